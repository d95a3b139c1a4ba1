"""One criterion's CEL expression: capped, scanned, compiled once, and checked (pure core).

The CEL library is Rust code called in-process. A deep enough expression (about 12,000
chained operators, far fewer on a small thread stack) overflows its stack and kills the
whole Python process, and a huge one can make it panic while formatting its own error
message. So nothing reaches ``cel.compile`` before two checks of our own: a cap on length,
and a cap on nesting and on operators found by a plain left-to-right scan — never by
compiling. The scan follows CEL's lexical rules for strings and comments (and refuses
where it is unsure, such as an unknown escape) so that brackets inside a string are not
counted and brackets outside one are.

After compiling, the names the expression reads must all be documented facts and the
functions it calls must be ones the CEL core provides, so a typo is an error when the
policy is written rather than a "clinician review" for everyone later.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import cel

from kiteline.care.facts import FACTS

MAX_EXPRESSION_CHARS = 2_000
MAX_NESTING = 16
MAX_OPERATORS = 100

# Functions of the CEL core that this library provides natively; the cel package's
# optional Python extras (min, max, lowerAscii...) are not registered, so they are refused.
FUNCTIONS = frozenset(
    {
        "size",
        "contains",
        "startsWith",
        "endsWith",
        "matches",
        "int",
        "uint",
        "double",
        "string",
        "timestamp",
        "duration",
        "getFullYear",
        "getMonth",
        "getDayOfMonth",
        "getDayOfWeek",
        "getDayOfYear",
        "getHours",
        "getMinutes",
        "getSeconds",
    }
)
# Macros that bind a loop variable: `list.exists(x, x == 'group')`.
_BINDING_MACROS = frozenset({"all", "exists", "exists_one", "map", "filter"})
_KEYWORDS = frozenset({"true", "false", "null", "in"})
_TWO_CHAR_OPERATORS = frozenset({"&&", "||", "==", "!=", "<=", ">="})
# Each adds at most one level to the syntax tree: binary and unary operators, the
# conditional, member selection, and (counted with brackets below) indexing and calls.
_ONE_CHAR_OPERATORS = frozenset("<>+-*/%!?.")
_OPENING, _CLOSING = "([{", ")]}"
_ESCAPES = {"x": 2, "u": 4, "U": 8}
_SIMPLE_ESCAPES = frozenset("\\'\"`?abfnrtv")
_HEX, _OCTAL = frozenset("0123456789abcdefABCDEF"), frozenset("01234567")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# As CEL lexes numbers: a dot belongs to a number only with digits after it, so `1.x` is
# the number 1, then member selection — never a number that would hide an operator.
_NUMBER = re.compile(r"0[xX][0-9a-fA-F]+[uU]?|(?:\d+\.\d+|\.\d+|\d+)(?:[eE][+-]?\d+)?[uU]?")
_STRING_PREFIX = re.compile(r"(?:[rR]|[bB][rR]?)['\"]")
_CEL_POSITION = re.compile(r"<input>:(\d+):(\d+): ([^\n]*)")


class ExpressionError(ValueError):
    """An expression that cannot be used, with where the fault is when that is known."""

    def __init__(self, message: str, source: str = "", offset: int | None = None) -> None:
        self.message = message
        self.offset = offset
        self.line: int | None = None
        self.column: int | None = None
        if offset is not None:
            self.line, self.column = line_and_column(source, offset)
            message = f"line {self.line}, column {self.column}: {message}"
        super().__init__(message)


@dataclass(frozen=True)
class CompiledExpression:
    source: str
    program: cel.Program
    reads: tuple[str, ...]  # the facts it reads, in the order of FACTS


def line_and_column(source: str, offset: int) -> tuple[int, int]:
    """1-based line and column (in characters, as CEL counts them) of ``offset``."""
    line_start = source.rfind("\n", 0, offset) + 1
    return source.count("\n", 0, offset) + 1, offset - line_start + 1


def compile_expression(source: str) -> CompiledExpression:
    """Check the caps, compile, and check every name read and every function called."""
    if not source.strip():
        raise ExpressionError("the expression is empty")
    if len(source) > MAX_EXPRESSION_CHARS:
        raise ExpressionError(
            f"the expression is {len(source):,} characters long; at most "
            f"{MAX_EXPRESSION_CHARS:,} are allowed (split it into several criteria)"
        )
    tokens = _scan(source)
    _refuse_nested_macros(source, tokens)
    try:
        program = cel.compile(source)
    except BaseException as error:
        if not is_library_failure(error):
            raise
        raise _compile_error(source, error) from None
    bound = _bound_names(source, tokens)
    reads: list[str] = []
    for name in program.variables():
        if name in bound:
            continue
        if name not in FACTS:
            raise ExpressionError(f"unknown fact {name!r}", source, _first_use(tokens, name))
        reads.append(name)
    for name in program.functions():
        if _NAME.fullmatch(name) and name not in FUNCTIONS:
            offset = _first_use(tokens, name)
            raise ExpressionError(f"unknown function {name!r}", source, offset)
    return CompiledExpression(source, program, tuple(name for name in FACTS if name in reads))


@dataclass(frozen=True)
class _Token:
    kind: str  # name, number, string, operator, open, close, other
    text: str
    offset: int


def _scan(source: str) -> list[_Token]:
    """Tokens outside strings and comments; refuses too deep a nesting or too many operators."""
    tokens: list[_Token] = []
    depth = operators = 0
    index = 0
    while index < len(source):
        char = source[index]
        if char.isspace():
            index += 1
        elif source.startswith("//", index):
            newline = source.find("\n", index)
            index = len(source) if newline < 0 else newline
        elif char in "'\"" or _is_string_prefix(source, index):
            end = _string_end(source, index)
            tokens.append(_Token("string", source[index:end], index))
            index = end
        elif name := _NAME.match(source, index):
            tokens.append(_Token("name", name.group(), index))
            index = name.end()
        elif number := _NUMBER.match(source, index):
            tokens.append(_Token("number", number.group(), index))
            index = number.end()
        else:
            width = 2 if source[index : index + 2] in _TWO_CHAR_OPERATORS else 1
            text = source[index : index + width]
            kind = "open" if text in _OPENING else "close" if text in _CLOSING else "other"
            if kind == "open":
                depth += 1
                if depth > MAX_NESTING:
                    raise ExpressionError(
                        f"brackets are nested more than {MAX_NESTING} deep", source, index
                    )
            elif kind == "close":
                depth = max(0, depth - 1)
            if kind == "open" or text in _TWO_CHAR_OPERATORS or text in _ONE_CHAR_OPERATORS:
                kind = kind if kind == "open" else "operator"
                operators += 1
                if operators > MAX_OPERATORS:
                    raise ExpressionError(
                        f"more than {MAX_OPERATORS} operators and brackets (split it into "
                        "several criteria)",
                        source,
                        index,
                    )
            tokens.append(_Token(kind, text, index))
            index += width
    return tokens


def _refuse_nested_macros(source: str, tokens: list[_Token]) -> None:
    """A macro inside another macro's brackets is refused. Each loop runs its body once per
    item, so nested loops multiply: five levels over twenty written-out items took 20 s,
    and the library has no limit on work. One level stays linear in the expression, whose
    length is capped."""
    open_macros: list[int] = []  # bracket depth at which each open macro's "(" sits
    depth = 0
    for n, token in enumerate(tokens):
        if token.kind == "open":
            depth += 1
            is_macro = (
                n >= 2
                and tokens[n - 2].text == "."
                and tokens[n - 1].text in _BINDING_MACROS
                and token.text == "("
            )
            if is_macro:
                if open_macros:
                    raise ExpressionError(
                        f"{tokens[n - 1].text}() inside another list macro: write one loop "
                        "per criterion",
                        source,
                        tokens[n - 1].offset,
                    )
                open_macros.append(depth)
        elif token.kind == "close":
            if open_macros and open_macros[-1] == depth:
                open_macros.pop()
            depth = max(0, depth - 1)


def _is_string_prefix(source: str, index: int) -> bool:
    # CEL writes raw strings r'...', bytes b'...' and raw bytes br'...'; nothing else.
    return _STRING_PREFIX.match(source, index) is not None


def _string_end(source: str, start: int) -> int:
    """The offset just past the string literal at ``start``; refuses one CEL would not lex."""
    index = start
    raw = False
    while source[index] not in "'\"":
        raw = raw or source[index] in "rR"
        index += 1
    quote = (
        source[index : index + 3] if source[index : index + 3] in ("'''", '"""') else source[index]
    )
    index += len(quote)
    while index < len(source):
        if source.startswith(quote, index):
            return index + len(quote)
        char = source[index]
        if char == "\n" and len(quote) == 1:
            raise ExpressionError("a quoted string ends at the end of its line", source, start)
        if char == "\\" and not raw:
            index = _escape_end(source, index)
        else:
            index += 1
    raise ExpressionError("a quoted string is never closed", source, start)


def _escape_end(source: str, backslash: int) -> int:
    kind = source[backslash + 1 : backslash + 2]
    if kind in _SIMPLE_ESCAPES:
        return backslash + 2
    if kind in _ESCAPES:
        digits = source[backslash + 2 : backslash + 2 + _ESCAPES[kind]]
        if len(digits) == _ESCAPES[kind] and set(digits) <= _HEX:
            return backslash + 2 + len(digits)
    elif kind in "0123":
        digits = source[backslash + 1 : backslash + 4]
        if len(digits) == 3 and set(digits) <= _OCTAL:
            return backslash + 4
    raise ExpressionError("unknown escape in a quoted string", source, backslash)


def _bound_names(source: str, tokens: list[_Token]) -> frozenset[str]:
    """Loop variables of macros (the ``x`` in ``.exists(x, ...)``): not facts.

    A loop variable may not reuse a fact's name: the expression would read as if it used
    the fact.
    """
    names = set()
    for n in range(1, len(tokens) - 3):
        dot, macro, paren, name, comma = tokens[n - 1 : n + 4]
        if (
            (dot.text, paren.text, comma.text) == (".", "(", ",")
            and macro.text in _BINDING_MACROS
            and name.kind == "name"
        ):
            if name.text in FACTS:
                raise ExpressionError(
                    f"the loop variable {name.text!r} is the name of a fact; choose another",
                    source,
                    name.offset,
                )
            names.add(name.text)
    return frozenset(names)


def _first_use(tokens: list[_Token], name: str) -> int | None:
    for before, token in zip([None, *tokens], tokens, strict=False):
        if token.kind == "name" and token.text == name and (before is None or before.text != "."):
            return token.offset
    # A method call (`services.size()`) is written after a dot.
    return next((token.offset for token in tokens if token.text == name), None)


def is_library_failure(error: BaseException) -> bool:
    """Whether ``error`` is the CEL library failing, as opposed to an interrupt or exit.

    The library raises ordinary exceptions, except that a panic in its Rust code arrives
    as pyo3's PanicException, which derives from BaseException and cannot be imported.
    """
    return isinstance(error, Exception) or type(error).__name__ == "PanicException"


def _compile_error(source: str, error: BaseException) -> ExpressionError:
    """The library's first message, with its position turned into an offset."""
    text = str(error)
    # The message repeats the source first, which could itself contain "<input>:1:1:".
    text = text.removeprefix(f"Failed to parse expression '{source}': ")
    found = _CEL_POSITION.search(text)
    if found is None:
        first_line = text.splitlines()[0] if text else type(error).__name__
        return ExpressionError(f"CEL could not compile this: {first_line}")
    line, column, message = int(found[1]), int(found[2]), found[3]
    # The list of every token that would have been accepted helps nobody writing a policy.
    message = re.sub(r" expecting \{.*", "", message)
    message = re.sub(
        r"(mismatched|extraneous) input '<EOF>'", "the expression ends too soon", message
    )
    message = re.sub(r"(mismatched|extraneous) input ", "unexpected ", message)
    lines = source.split("\n")
    offset = sum(len(text) + 1 for text in lines[: line - 1]) + column - 1
    return ExpressionError(message, source, min(offset, len(source)))
