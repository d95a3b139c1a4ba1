"""The policy format: plain JSON-able dicts in, a checked ``Policy`` out (pure core).

```json
{
  "service": "individual_therapy",
  "version": 3,
  "criteria": [
    {"id": "phq9-moderately-severe",
     "expression": "phq9_total >= 15",
     "met_text": {"en": "PHQ-9 total {phq9_total} on {phq9_date}; at least 15 needed",
                  "es": "..."},
     "not_met_text": {"en": "...", "es": "..."}}
  ],
  "rule": {"combine": "all", "review_when_met": ["recent-crisis"]},
  "offered_instead": [{"en": "Group therapy", "es": "Terapia de grupo"}]
}
```

Every fault is collected, not only the first, so that the policy editor can show them all;
each names where it is (``criteria[1] (recent-crisis).expression``) and, for an expression,
the line and column when known.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from kiteline.care.facts import JsonValue, Text
from kiteline.care.policy_cel import CompiledExpression, ExpressionError, compile_expression
from kiteline.care.policy_text import MAX_TEXT_CHARS, Template, TemplateError, parse_template

MAX_CRITERIA = 40
MAX_OFFERED = 10
_CODE = re.compile(r"[a-z][a-z0-9_-]{0,63}\Z")
_LANGUAGES = ("en", "es")


class Combine(StrEnum):
    ALL = "all"
    ANY = "any"


@dataclass(frozen=True)
class Criterion:
    id: str
    expression: str
    met_text: Text
    not_met_text: Text


@dataclass(frozen=True)
class Rule:
    combine: Combine
    review_when_met: tuple[str, ...] = ()


@dataclass(frozen=True)
class Policy:
    service: str
    version: int
    criteria: tuple[Criterion, ...]
    rule: Rule
    offered_instead: tuple[Text, ...]


@dataclass(frozen=True)
class Problem:
    where: str
    message: str
    line: int | None = None
    column: int | None = None

    def __str__(self) -> str:
        at = f" (line {self.line}, column {self.column})" if self.line is not None else ""
        return f"{self.where}: {self.message}{at}"


class PolicyError(ValueError):
    """A policy that cannot be used; ``problems`` lists every fault found."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = tuple(problems)
        super().__init__("; ".join(str(problem) for problem in self.problems))


def parse_policy(data: object) -> Policy:
    problems: list[Problem] = []
    if not isinstance(data, Mapping):
        raise PolicyError([Problem("policy", "expected an object")])
    _no_other_keys(
        data, {"service", "version", "criteria", "rule", "offered_instead"}, "policy", problems
    )
    service = _code(data.get("service"), "service", problems)
    version = data.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        problems.append(Problem("version", f"expected a whole number from 1, got {version!r}"))
    criteria, ids = _criteria(data.get("criteria"), problems)
    rule = _rule(data.get("rule"), ids, problems)
    offered = _offered(data.get("offered_instead"), problems)
    if problems or service is None or rule is None or not isinstance(version, int):
        raise PolicyError(problems)
    return Policy(service, version, tuple(criteria), rule, offered)


def policy_to_dict(policy: Policy) -> dict[str, JsonValue]:
    """The policy in the format ``parse_policy`` reads (to store, show or diff)."""
    return {
        "service": policy.service,
        "version": policy.version,
        "criteria": [
            {
                "id": criterion.id,
                "expression": criterion.expression,
                "met_text": criterion.met_text.as_dict(),
                "not_met_text": criterion.not_met_text.as_dict(),
            }
            for criterion in policy.criteria
        ],
        "rule": {
            "combine": policy.rule.combine.value,
            "review_when_met": list(policy.rule.review_when_met),
        },
        "offered_instead": [text.as_dict() for text in policy.offered_instead],
    }


def compile_criterion(
    criterion: Criterion, where: str, problems: list[Problem]
) -> tuple[CompiledExpression, tuple[Template, Template], tuple[Template, Template]] | None:
    """The criterion's expression and texts compiled, or None with its problems added."""
    expression = None
    try:
        expression = compile_expression(criterion.expression)
    except ExpressionError as error:
        problems.append(Problem(f"{where}.expression", error.message, error.line, error.column))
    met = _templates(criterion.met_text, f"{where}.met_text", problems)
    not_met = _templates(criterion.not_met_text, f"{where}.not_met_text", problems)
    if expression is None or met is None or not_met is None:
        return None
    return expression, met, not_met


def _templates(text: Text, where: str, problems: list[Problem]) -> tuple[Template, Template] | None:
    templates = []
    for language in _LANGUAGES:
        try:
            templates.append(parse_template(text.get(language)))
        except TemplateError as error:
            problems.append(Problem(f"{where}.{language}", str(error)))
    return (templates[0], templates[1]) if len(templates) == 2 else None


def _criteria(value: object, problems: list[Problem]) -> tuple[list[Criterion], list[str]]:
    """The criteria that are sound, and the ids of all of them (for the rule to refer to,
    so that one faulty criterion does not make every reference to it a fault too)."""
    if not isinstance(value, list) or not value:
        problems.append(Problem("criteria", "expected a list of at least one criterion"))
        return [], []
    if len(value) > MAX_CRITERIA:
        problems.append(Problem("criteria", f"at most {MAX_CRITERIA} criteria are allowed"))
        return [], []
    criteria = []
    ids: list[str] = []
    for index, raw in enumerate(value):
        id = raw.get("id") if isinstance(raw, Mapping) else None
        if isinstance(id, str) and id in ids:
            problems.append(Problem(f"criteria[{index}]", f"the id {id!r} is used twice"))
        ids.append(id if isinstance(id, str) else f"criteria[{index}]")
        criterion = _criterion(raw, index, problems)
        if criterion is not None:
            criteria.append(criterion)
    return criteria, ids


def _criterion(raw: object, index: int, problems: list[Problem]) -> Criterion | None:
    where = f"criteria[{index}]"
    if not isinstance(raw, Mapping):
        problems.append(Problem(where, "expected an object"))
        return None
    id = _code(raw.get("id"), f"{where}.id", problems)
    where = f"{where} ({id})" if id else where
    _no_other_keys(raw, {"id", "expression", "met_text", "not_met_text"}, where, problems)
    expression = raw.get("expression")
    if not isinstance(expression, str):
        problems.append(Problem(f"{where}.expression", "expected the expression as a string"))
    met = _text(raw.get("met_text"), f"{where}.met_text", problems)
    not_met = _text(raw.get("not_met_text"), f"{where}.not_met_text", problems)
    if id is None or not isinstance(expression, str) or met is None or not_met is None:
        return None
    criterion = Criterion(id, expression, met, not_met)
    if compile_criterion(criterion, where, problems) is None:
        return None
    return criterion


def _rule(value: object, ids: list[str], problems: list[Problem]) -> Rule | None:
    if not isinstance(value, Mapping):
        problems.append(Problem("rule", 'expected an object such as {"combine": "all"}'))
        return None
    _no_other_keys(value, {"combine", "review_when_met"}, "rule", problems)
    combine = value.get("combine")
    if combine not in tuple(Combine):
        problems.append(Problem("rule.combine", f'expected "all" or "any", got {combine!r}'))
        return None
    review = value.get("review_when_met", [])
    if not isinstance(review, list) or not all(isinstance(id, str) for id in review):
        problems.append(Problem("rule.review_when_met", "expected a list of criterion ids"))
        return None
    for id in review:
        if id not in ids:
            problems.append(Problem("rule.review_when_met", f"no criterion has the id {id!r}"))
    if len(set(review)) != len(review):
        problems.append(Problem("rule.review_when_met", "an id is listed twice"))
    if ids and set(ids) <= set(review):
        problems.append(
            Problem("rule", "every criterion sends to review; at least one must decide eligibility")
        )
    return Rule(Combine(combine), tuple(review))


def _offered(value: object, problems: list[Problem]) -> tuple[Text, ...]:
    if not isinstance(value, list) or not value:
        problems.append(
            Problem(
                "offered_instead",
                "a policy must name what is offered to someone not eligible "
                "(group therapy, a waitlist, re-screening...): expected a list of texts",
            )
        )
        return ()
    if len(value) > MAX_OFFERED:
        problems.append(Problem("offered_instead", f"at most {MAX_OFFERED} are allowed"))
        return ()
    texts = [_text(raw, f"offered_instead[{index}]", problems) for index, raw in enumerate(value)]
    return tuple(text for text in texts if text is not None)


def _text(value: object, where: str, problems: list[Problem]) -> Text | None:
    if not isinstance(value, Mapping):
        problems.append(Problem(where, 'expected {"en": "...", "es": "..."}'))
        return None
    _no_other_keys(value, set(_LANGUAGES), where, problems)
    found = []
    for language in _LANGUAGES:
        text = value.get(language)
        if not isinstance(text, str) or not text.strip():
            problems.append(Problem(f"{where}.{language}", "the text is missing"))
        elif len(text) > MAX_TEXT_CHARS:
            problems.append(
                Problem(f"{where}.{language}", f"longer than {MAX_TEXT_CHARS:,} characters")
            )
        else:
            found.append(text)
    return Text(found[0], found[1]) if len(found) == 2 else None


def _code(value: object, where: str, problems: list[Problem]) -> str | None:
    if not isinstance(value, str) or not _CODE.match(value):
        problems.append(
            Problem(where, f"expected a code of lower-case letters, digits, - and _, got {value!r}")
        )
        return None
    return value


def _no_other_keys(
    value: Mapping[object, object], allowed: set[str], where: str, problems: list[Problem]
) -> None:
    for key in value:
        if key not in allowed:
            problems.append(Problem(where, f"unknown key {key!r}"))
