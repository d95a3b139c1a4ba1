"""Criterion expressions: capped before CEL sees them, compile errors with their position,
and nothing read but documented facts. Hostile input is refused, never a crash."""

import threading

import cel
import pytest
from hypothesis import given
from hypothesis import strategies as st

from kiteline.care.policy_cel import (
    MAX_EXPRESSION_CHARS,
    MAX_NESTING,
    MAX_OPERATORS,
    ExpressionError,
    compile_expression,
    is_library_failure,
)


def refused(source: str) -> ExpressionError:
    with pytest.raises(ExpressionError) as error:
        compile_expression(source)
    return error.value


# --- caps -------------------------------------------------------------------------------


def test_ten_thousand_nested_parentheses_are_refused_before_cel_sees_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(cel, "compile", _never_called)
    error = refused("(" * 10_000 + "phq9_total > 1" + ")" * 10_000)
    assert "20,014 characters long; at most 2,000" in str(error)


def test_a_one_megabyte_expression_is_refused_before_cel_sees_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(cel, "compile", _never_called)
    # Left to the library, this chain of additions overflows its stack and kills Python.
    error = refused("1 + " * 262_144 + "1")
    assert "1,048,577 characters long" in str(error)


def test_nesting_deeper_than_the_cap_is_refused_by_the_scan_at_the_bracket(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(cel, "compile", _never_called)
    error = refused("(" * 999 + "1" + ")" * 999)
    assert error.message == f"brackets are nested more than {MAX_NESTING} deep"
    assert (error.line, error.column) == (1, MAX_NESTING + 1)


def test_too_many_operators_are_refused_by_the_scan(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cel, "compile", _never_called)
    error = refused(" + ".join(["1"] * (MAX_OPERATORS + 2)) + " > phq9_total")
    assert f"more than {MAX_OPERATORS} operators" in error.message


@pytest.mark.parametrize(
    "source",
    [
        # Member selection and indexing deepen the tree as operators do.
        "current_services" + ".x" * (MAX_OPERATORS + 1),
        "current_services" + "[0]" * (MAX_OPERATORS + 1),
        "!" * (MAX_OPERATORS + 1) + "on_watch",
        "phq9_total" + "-1" * (MAX_OPERATORS + 1) + " > 0",
        # A dot with no digits after it belongs to no number: `1.x` is 1, then `.x`.
        "1" + ".x" * (MAX_OPERATORS + 1),
    ],
)
def test_chains_that_deepen_the_syntax_tree_count_against_the_cap(source: str) -> None:
    assert "operators" in refused(source).message


def test_brackets_and_operators_inside_strings_and_comments_do_not_count() -> None:
    inside = "(" * 40 + "+" * 150 + ")" * 40
    compiled = compile_expression(f"// {inside}\nlevel_of_care != '{inside}'")
    assert compiled.reads == ("level_of_care",)


def test_the_largest_expression_the_caps_allow_runs_even_on_a_small_thread_stack() -> None:
    depth = MAX_NESTING
    # Every bracket, `+`, `!` and the four joining operators count: exactly at the cap.
    operands = MAX_OPERATORS - 2 * depth - 3
    source = (
        "(" * depth
        + " + ".join(["phq9_total"] * operands)
        + ")" * depth
        + " >= 0 && ("
        + "!" * depth
        + "on_watch || true)"
    )
    assert len(source) <= MAX_EXPRESSION_CHARS
    compiled = compile_expression(source)
    results: list[object] = []

    def run() -> None:
        program = compile_expression(source).program
        results.append(program.execute({"phq9_total": 1, "on_watch": False}))

    previous = threading.stack_size(256 * 1024)
    try:
        thread = threading.Thread(target=run)
        thread.start()
        thread.join()
    finally:
        threading.stack_size(previous)
    assert compiled.reads == ("phq9_total", "on_watch")
    assert results == [True]


# --- compile errors and their positions -------------------------------------------------


@pytest.mark.parametrize(
    ("source", "line", "column", "message"),
    [
        ("phq9_total >", 1, 13, "the expression ends too soon"),
        ("phq9_total >= 15 &&\n  (days_since_phq9 <", 2, 21, "the expression ends too soon"),
        ("phq9_total >>> 3", 1, 13, "unexpected '>'"),
        # CEL counts columns in characters, not bytes.
        ("level_of_care == 'é' +", 1, 23, "the expression ends too soon"),
        ("current_services.exists(1, true)", 1, 25, "argument must be a simple name"),
    ],
)
def test_a_syntax_error_is_reported_at_its_line_and_column(
    source: str, line: int, column: int, message: str
) -> None:
    error = refused(source)
    assert (error.line, error.column) == (line, column)
    assert message in error.message
    assert "expecting {" not in error.message
    assert str(error).startswith(f"line {line}, column {column}: ")


def test_a_position_inside_the_echoed_source_is_not_mistaken_for_the_error() -> None:
    error = refused("language == '<input>:9:9: x' &&")
    assert (error.line, error.column) == (1, 32)


@pytest.mark.parametrize(
    ("source", "column", "message"),
    [
        ("phq10_total >= 15", 1, "unknown fact 'phq10_total'"),
        ("on_watch || person.name == 'x'", 13, "unknown fact 'person'"),
        ("min(phq9_total, 3) > 1", 1, "unknown function 'min'"),
        ("level_of_care.lowerAscii() == 'eop'", 15, "unknown function 'lowerAscii'"),
        ("current_services.exists(on_watch, true)", 25, "loop variable 'on_watch'"),
        ("language == 'it\\qs'", 16, "unknown escape"),
        ("language == 'es", 13, "never closed"),
        ("language == 'e\ns'", 13, "ends at the end of its line"),
    ],
)
def test_a_name_or_string_fault_is_reported_where_it_is(
    source: str, column: int, message: str
) -> None:
    error = refused(source)
    assert message in error.message
    assert error.column == column


def test_an_empty_expression_is_refused() -> None:
    assert refused("  \n ").message == "the expression is empty"


# --- what an expression reads -----------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "reads"),
    [
        ("phq9_total >= 15", ("phq9_total",)),
        ("days_to_release >= 30 && phq9_total >= 15", ("phq9_total", "days_to_release")),
        ("current_services.exists(s, s == 'group_therapy')", ("current_services",)),
        (
            "earlier_decisions.exists(d, d.service == 'individual_therapy' && d.days_ago < 30)",
            ("earlier_decisions",),
        ),
        ("'psychiatry' in current_services", ("current_services",)),
        ("size(current_services) == 0", ("current_services",)),
        ("phq9_date > timestamp('2026-01-01T00:00:00Z')", ("phq9_date",)),
        ("true", ()),
        ("// only a comment before\non_watch", ("on_watch",)),
    ],
)
def test_the_facts_an_expression_reads_are_found_once_at_compile_time(
    source: str, reads: tuple[str, ...]
) -> None:
    assert compile_expression(source).reads == reads


def test_raw_and_triple_quoted_strings_are_scanned_as_cel_lexes_them() -> None:
    compiled = compile_expression("level_of_care == r'\\d(' || level_of_care == '''a\n(b'''")
    assert compiled.reads == ("level_of_care",)


# --- hostile input ----------------------------------------------------------------------

CEL_ISH = st.lists(
    st.sampled_from(
        [
            *"()[]{}.,!?:+-*/%<>=&|'\"\\ \n0123456789_abxyzru",
            *["phq9_total", "on_watch", "current_services", "in", "&&", "||", "==", "exists"],
        ]
    ),
    max_size=200,
)


@given(st.one_of(st.text(max_size=300), CEL_ISH.map("".join)))
def test_any_text_either_compiles_or_is_refused_with_a_clear_error(source: str) -> None:
    try:
        compiled = compile_expression(source)
    except ExpressionError as error:
        refused = error
    else:
        assert set(compiled.reads) <= {"phq9_total", "on_watch", "current_services"}
        return
    assert refused.message
    if refused.offset is not None:
        assert refused.line is not None
        assert refused.column is not None
        assert 0 <= refused.offset <= len(source)


def test_an_interrupt_is_not_taken_for_a_library_failure() -> None:
    assert not is_library_failure(KeyboardInterrupt())
    assert is_library_failure(ValueError("x"))
    assert is_library_failure(type("PanicException", (BaseException,), {})())


def _never_called(source: str) -> None:
    raise AssertionError("the expression reached CEL")


def test_a_list_macro_inside_another_is_refused_before_it_can_run_for_ever() -> None:
    items = ", ".join(["0"] * 20)
    nested = f"size([{items}].map(a, [{items}].map(b, [{items}].map(c, phq9_total)))) > 0"
    with pytest.raises(ExpressionError, match="inside another list macro") as refused:
        compile_expression(nested)
    assert refused.value.column == nested.index("map(b") + 1


def test_one_level_of_list_macro_is_allowed() -> None:
    compiled = compile_expression("current_services.exists(s, s == 'group_therapy')")
    assert compiled.reads == ("current_services",)
