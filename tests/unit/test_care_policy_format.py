"""Reading a policy from plain data: every fault found, named, and placed."""

import copy
import json
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest

from kiteline.care.facts import Text
from kiteline.care.policy import (
    Combine,
    Criterion,
    Policy,
    PolicyError,
    Rule,
    compile_policy,
    parse_policy,
    policy_to_dict,
)


def text(en: str, es: str | None = None) -> dict[str, str]:
    return {"en": en, "es": es or f"(es) {en}"}


def therapy_policy() -> dict[str, Any]:
    return {
        "service": "individual_therapy",
        "version": 1,
        "criteria": [
            {
                "id": "phq9-severe",
                "expression": "phq9_total >= 15",
                "met_text": text("PHQ-9 total {phq9_total} on {phq9_date}; at least 15 needed"),
                "not_met_text": text("PHQ-9 total {phq9_total}; at least 15 needed"),
            },
            {
                "id": "recent-crisis",
                "expression": "crises_past_30_days > 0",
                "met_text": text("A crisis in the past 30 days"),
                "not_met_text": text("No crisis in the past 30 days"),
            },
        ],
        "rule": {"combine": "all", "review_when_met": ["recent-crisis"]},
        "offered_instead": [text("Group therapy")],
    }


def problems_of(data: object) -> list[str]:
    with pytest.raises(PolicyError) as refused:
        parse_policy(data)
    return [str(problem) for problem in refused.value.problems]


def test_a_valid_policy_reads_into_typed_values() -> None:
    policy = parse_policy(therapy_policy())
    assert policy.service == "individual_therapy"
    assert policy.rule == Rule(Combine.ALL, ("recent-crisis",))
    assert policy.criteria[0].met_text.en.startswith("PHQ-9 total {phq9_total}")
    assert policy.offered_instead == (Text("Group therapy", "(es) Group therapy"),)


def test_a_policy_survives_a_round_trip_through_its_stored_form() -> None:
    policy = parse_policy(therapy_policy())
    stored = json.loads(json.dumps(policy_to_dict(policy)))
    assert parse_policy(stored) == policy


def edit(change: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    data = copy.deepcopy(therapy_policy())
    change(data)
    return data


def _set(path: str, value: object) -> Callable[[dict[str, Any]], None]:
    def change(data: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        target: Any = data
        for key in parents:
            target = target[int(key)] if key.isdigit() else target[key]
        if value is _DELETE:
            del target[int(last) if last.isdigit() else last]
        else:
            target[int(last) if last.isdigit() else last] = value

    return change


_DELETE = object()

FAULTS = [
    (
        "criteria.0.expression",
        "phq10_total >= 15",
        "criteria[0] (phq9-severe).expression: unknown fact 'phq10_total' (line 1, column 1)",
    ),
    (
        "criteria.0.expression",
        "phq9_total >=\n  ",
        "criteria[0] (phq9-severe).expression: Syntax error: the expression ends too soon "
        "(line 2, column 3)",
    ),
    (
        "criteria.0.expression",
        "(" * 20 + "phq9_total" + ")" * 20,
        "criteria[0] (phq9-severe).expression: brackets are nested more than 16 deep",
    ),
    ("criteria.0.expression", 15, "criteria[0] (phq9-severe).expression: expected the expression"),
    ("criteria.1.id", "phq9-severe", "criteria[1]: the id 'phq9-severe' is used twice"),
    ("criteria.1.id", "Recent Crisis", "criteria[1].id: expected a code"),
    (
        "criteria.0.met_text.es",
        _DELETE,
        "criteria[0] (phq9-severe).met_text.es: the text is missing",
    ),
    ("criteria.0.not_met_text.en", " ", "not_met_text.en: the text is missing"),
    ("criteria.0.met_text.fr", "x", "criteria[0] (phq9-severe).met_text: unknown key 'fr'"),
    (
        "criteria.0.met_text.en",
        "Total {phq9_total.__class__}",
        "criteria[0] (phq9-severe).met_text.en: unknown fact {phq9_total.__class__} in the text",
    ),
    ("criteria.0.extra", 1, "criteria[0] (phq9-severe): unknown key 'extra'"),
    ("criteria", [], "criteria: expected a list of at least one criterion"),
    ("offered_instead", _DELETE, "offered_instead: a policy must name what is offered"),
    ("offered_instead", [], "offered_instead: a policy must name what is offered"),
    ("offered_instead.0", {"en": "Group therapy"}, "offered_instead[0].es: the text is missing"),
    ("rule.combine", "most", 'rule.combine: expected "all" or "any"'),
    ("rule", _DELETE, "rule: expected an object"),
    ("rule.review_when_met", ["crisis"], "rule.review_when_met: no criterion has the id 'crisis'"),
    (
        "rule.review_when_met",
        ["recent-crisis", "phq9-severe"],
        "rule: every criterion sends to review",
    ),
    ("version", 0, "version: expected a whole number from 1, got 0"),
    ("version", True, "version: expected a whole number from 1, got True"),
    ("version", "2", "version: expected a whole number from 1, got '2'"),
    ("service", "Individual Therapy", "service: expected a code"),
    ("critera", [], "policy: unknown key 'critera'"),
]


@pytest.mark.parametrize(("path", "value", "problem"), FAULTS, ids=[f[2][:50] for f in FAULTS])
def test_a_fault_is_refused_naming_where_it_is(path: str, value: object, problem: str) -> None:
    found = problems_of(edit(_set(path, value)))
    assert any(problem in one for one in found), found


def test_every_fault_is_reported_at_once() -> None:
    data = edit(_set("criteria.0.expression", "phq10_total > 1"))
    data["offered_instead"] = []
    data["version"] = -1
    assert len(problems_of(data)) == 3


def test_a_policy_that_is_not_an_object_is_refused() -> None:
    assert problems_of(["not", "a", "policy"]) == ["policy: expected an object"]


def test_a_compile_error_carries_its_line_and_column_for_the_editor() -> None:
    with pytest.raises(PolicyError) as refused:
        parse_policy(edit(_set("criteria.0.expression", "phq9_total >= 15 &&\n  on_watch ||")))
    problem = refused.value.problems[0]
    assert (problem.where, problem.line, problem.column) == (
        "criteria[0] (phq9-severe).expression",
        2,
        14,
    )


def test_too_many_criteria_are_refused() -> None:
    data = therapy_policy()
    data["criteria"] = [dict(data["criteria"][0], id=f"c{n}") for n in range(41)]
    assert "criteria: at most 40 criteria are allowed" in problems_of(data)


def test_a_hand_built_policy_with_a_bad_expression_is_refused_when_compiled() -> None:
    policy = Policy(
        service="psychiatry",
        version=1,
        criteria=(Criterion("x", "no_such_fact > 1", Text("a", "a"), Text("b", "b")),),
        rule=Rule(Combine.ALL),
        offered_instead=(Text("c", "c"),),
    )
    with pytest.raises(PolicyError, match=r"criteria\[0\] \(x\)\.expression: unknown fact"):
        compile_policy(policy)


def test_a_hand_built_policy_whose_rule_names_no_criterion_is_refused_when_compiled() -> None:
    policy = parse_policy(therapy_policy())
    broken = replace(policy, rule=Rule(Combine.ALL, ("no-such-criterion",)))
    with pytest.raises(PolicyError, match="no criterion has the id 'no-such-criterion'"):
        compile_policy(broken)
