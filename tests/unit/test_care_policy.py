"""The policy engine: outcomes by the rule, reasons with evidence (I3), missing facts sent to
a clinician and never to "not eligible" (I9), reproducible records, and the what-if count."""

import copy
import json
from datetime import date
from typing import Any

import cel
import pytest
from hypothesis import given
from hypothesis import strategies as st

from kiteline.care.facts import DECISION_OUTCOMES, Facts, Text, check_facts, facts_from_json
from kiteline.care.policy import (
    CompiledPolicy,
    Evaluation,
    Outcome,
    Status,
    compile_policy,
    decide,
    evaluate,
    parse_policy,
    simulate,
)
from tests.unit.test_care_facts import raw_facts


def text(en: str, es: str) -> dict[str, str]:
    return {"en": en, "es": es}


def criterion(id: str, expression: str, met: str = "", not_met: str = "") -> dict[str, Any]:
    return {
        "id": id,
        "expression": expression,
        "met_text": text(met or f"{id}: met", f"{id}: se cumple"),
        "not_met_text": text(not_met or f"{id}: not met", f"{id}: no se cumple"),
    }


THERAPY: dict[str, Any] = {
    "service": "individual_therapy",
    "version": 3,
    "criteria": [
        {
            "id": "phq9-severe",
            "expression": "phq9_total >= 15",
            "met_text": text(
                "PHQ-9 total {phq9_total} on {phq9_date}; at least 15 needed",
                "PHQ-9 total {phq9_total} el {phq9_date}; se necesita al menos 15",
            ),
            "not_met_text": text(
                "PHQ-9 total {phq9_total} on {phq9_date}; at least 15 needed",
                "PHQ-9 total {phq9_total} el {phq9_date}; se necesita al menos 15",
            ),
        },
        criterion("recent-screen", "days_since_phq9 <= 30"),
        criterion("time-left", "days_to_release >= 30"),
        criterion("not-in-therapy", "!('individual_therapy' in current_services)"),
        criterion(
            "recent-crisis",
            "crises_past_30_days > 0 || on_watch",
            met="A crisis in the past 30 days, or on watch: a clinician decides",
        ),
    ],
    "rule": {"combine": "all", "review_when_met": ["recent-crisis"]},
    "offered_instead": [
        text("Group therapy", "Terapia de grupo"),
        text("Re-screening in 30 days", "Nueva evaluación en 30 días"),
    ],
}
GROUP: dict[str, Any] = {
    "service": "group_therapy",
    "version": 1,
    "criteria": [
        criterion("anxious", "gad7_total >= 10"),
        criterion("depressed", "phq9_total >= 10"),
        criterion("trauma", "pcl5_total >= 33"),
    ],
    "rule": {"combine": "any"},
    "offered_instead": [text("Peer support", "Apoyo entre pares")],
}
PSYCHIATRY: dict[str, Any] = {
    "service": "psychiatry",
    "version": 7,
    "criteria": [
        criterion("level", "level_of_care in ['cccms', 'eop', 'mhcb']"),
        criterion(
            "not-refused-lately",
            "!earlier_decisions.exists(d, d.service == 'psychiatry' "
            "&& d.outcome == 'not_eligible' && d.days_ago < 30)",
        ),
        criterion("imminent-risk", "cssrs_risk == 'imminent'"),
    ],
    "rule": {"combine": "all", "review_when_met": ["imminent-risk"]},
    "offered_instead": [text("Sick call with a nurse", "Consulta con enfermería")],
}
# Criteria that fail when run for some people: dividing by zero, and a type error.
FRAGILE: dict[str, Any] = {
    "service": "case_management",
    "version": 2,
    "criteria": [
        criterion("many-requests", "100 / open_kites < 50"),
        criterion("wrong-type", "level_of_care > 3 || phq9_total > 20"),
        criterion("not-a-yes-or-no", "open_kites > 4 ? on_watch : gad7_total"),
    ],
    "rule": {"combine": "any"},
    "offered_instead": [text("A waitlist", "Una lista de espera")],
}
POLICIES = [compile_policy(parse_policy(data)) for data in (THERAPY, GROUP, PSYCHIATRY, FRAGILE)]
COMPILED_THERAPY = POLICIES[0]

ELIGIBLE_PERSON: dict[str, object] = {
    "phq9_total": 18,
    "phq9_date": date(2026, 11, 20),
    "days_since_phq9": 4,
    "days_to_release": 120,
    "current_services": ["group_therapy"],
    "crises_past_30_days": 0,
    "on_watch": False,
}


def therapy(**changes: object) -> Evaluation:
    return evaluate(COMPILED_THERAPY, check_facts({**ELIGIBLE_PERSON, **changes}))


def reason_ids(evaluation: Evaluation) -> list[str]:
    return [reason.criterion for reason in evaluation.reasons]


def result(evaluation: Evaluation, id: str) -> Any:
    return next(one for one in evaluation.results if one.criterion == id)


# --- outcomes by the rule ---------------------------------------------------------------


def test_a_person_meeting_every_criterion_is_eligible_for_those_reasons() -> None:
    evaluation = therapy()
    assert evaluation.outcome is Outcome.ELIGIBLE
    assert reason_ids(evaluation) == ["phq9-severe", "recent-screen", "time-left", "not-in-therapy"]
    assert evaluation.offered_instead == ()


def test_a_criterion_not_met_makes_the_person_not_eligible_with_evidence_and_alternatives() -> None:
    evaluation = therapy(phq9_total=12)
    assert evaluation.outcome is Outcome.NOT_ELIGIBLE
    [reason] = evaluation.reasons
    assert (reason.criterion, reason.service, reason.policy_version) == (
        "phq9-severe",
        "individual_therapy",
        3,
    )
    assert reason.status is Status.NOT_MET
    assert reason.text == Text(
        "PHQ-9 total 12 on 2026-11-20; at least 15 needed",
        "PHQ-9 total 12 el 2026-11-20; se necesita al menos 15",
    )
    assert [offer.en for offer in evaluation.offered_instead] == [
        "Group therapy",
        "Re-screening in 30 days",
    ]


def test_a_missing_fact_sends_the_decision_to_a_clinician_saying_what_is_missing() -> None:
    evaluation = therapy(phq9_total=None)
    assert evaluation.outcome is Outcome.CLINICIAN_REVIEW
    assert reason_ids(evaluation) == ["phq9-severe"]
    unknown = result(evaluation, "phq9-severe")
    assert (unknown.status, unknown.missing, unknown.error) == (
        Status.UNKNOWN,
        ("phq9_total",),
        None,
    )
    assert unknown.text == Text(
        "Not recorded: PHQ-9 total, so a clinician decides.",
        "No consta: puntuación total del PHQ-9, así que decide un profesional clínico.",
    )
    assert evaluation.offered_instead == ()


def test_a_missing_fact_that_cannot_change_the_outcome_leaves_it_not_eligible() -> None:
    evaluation = therapy(phq9_total=12, days_to_release=None)
    assert evaluation.outcome is Outcome.NOT_ELIGIBLE
    # Only the criterion that was really not met is cited, never the unknown one.
    assert reason_ids(evaluation) == ["phq9-severe"]
    assert result(evaluation, "time-left").status is Status.UNKNOWN


def test_a_review_criterion_met_sends_to_a_clinician_whatever_else_holds() -> None:
    for person in (therapy(crises_past_30_days=1), therapy(on_watch=True, phq9_total=3)):
        assert person.outcome is Outcome.CLINICIAN_REVIEW
        assert reason_ids(person) == ["recent-crisis"]
        assert person.reasons[0].text.en.startswith("A crisis in the past 30 days")


@pytest.mark.parametrize("phq9_total", [3, 18])
def test_an_unknown_review_criterion_sends_to_a_clinician_as_it_could_change_the_outcome(
    phq9_total: int,
) -> None:
    evaluation = therapy(phq9_total=phq9_total, crises_past_30_days=None)
    assert evaluation.outcome is Outcome.CLINICIAN_REVIEW
    assert reason_ids(evaluation) == ["recent-crisis"]


@pytest.mark.parametrize(
    ("facts", "outcome", "reasons"),
    [
        ({"gad7_total": 12, "phq9_total": 2, "pcl5_total": 5}, Outcome.ELIGIBLE, ["anxious"]),
        ({"gad7_total": 12, "phq9_total": 2}, Outcome.ELIGIBLE, ["anxious"]),
        (
            {"gad7_total": 2, "phq9_total": 2, "pcl5_total": 5},
            Outcome.NOT_ELIGIBLE,
            ["anxious", "depressed", "trauma"],
        ),
        ({"gad7_total": 2, "phq9_total": 2}, Outcome.CLINICIAN_REVIEW, ["trauma"]),
        ({}, Outcome.CLINICIAN_REVIEW, ["anxious", "depressed", "trauma"]),
    ],
)
def test_any_makes_one_met_criterion_enough_and_needs_all_known_to_refuse(
    facts: dict[str, object], outcome: Outcome, reasons: list[str]
) -> None:
    evaluation = evaluate(POLICIES[1], check_facts(facts))
    assert (evaluation.outcome, reason_ids(evaluation)) == (outcome, reasons)


def test_a_list_of_earlier_decisions_can_be_read() -> None:
    refused = {"service": "psychiatry", "outcome": "not_eligible", "days_ago": 10}
    facts = {"level_of_care": "eop", "cssrs_risk": "refer", "earlier_decisions": [refused]}
    evaluation = evaluate(POLICIES[2], check_facts(facts))
    assert evaluation.outcome is Outcome.NOT_ELIGIBLE
    assert reason_ids(evaluation) == ["not-refused-lately"]


# --- failures at run time ---------------------------------------------------------------


def one_criterion(expression: str) -> CompiledPolicy:
    data = copy.deepcopy(GROUP)
    data["criteria"] = [criterion("only", expression)]
    return compile_policy(parse_policy(data))


@pytest.mark.parametrize(
    ("expression", "facts", "error"),
    [
        ("level_of_care > 3", {"level_of_care": "eop"}, "TypeError: No such overload"),
        ("100 / open_kites > 5", {"open_kites": 0}, "ZeroDivisionError"),
        ("days_to_release * 1000000000 * 1000000000 > 0", {"days_to_release": 100}, "Overflow"),
        ("language.matches('[')", {"language": "en"}, "RuntimeError: Function 'matches'"),
        ("current_services[3] == 'x'", {"current_services": []}, ""),
        ("earlier_decisions[0].reason == 'x'", {"earlier_decisions": []}, ""),
        ("phq9_total", {"phq9_total": 16}, "the expression gave 16, not true or false"),
        ("1.x.y", {}, ""),
    ],
)
def test_a_criterion_that_fails_when_run_is_unknown_and_sends_to_a_clinician(
    expression: str, facts: dict[str, object], error: str
) -> None:
    evaluation = evaluate(one_criterion(expression), check_facts(facts))
    assert evaluation.outcome is Outcome.CLINICIAN_REVIEW
    failed = result(evaluation, "only")
    assert failed.status is Status.UNKNOWN
    assert failed.missing == ()
    assert failed.error is not None
    assert error in failed.error
    assert failed.text.en == "This requirement could not be checked, so a clinician decides."


# --- records ----------------------------------------------------------------------------


def test_an_earlier_decision_fact_takes_only_signed_off_outcomes() -> None:
    assert set(DECISION_OUTCOMES) == {Outcome.ELIGIBLE, Outcome.NOT_ELIGIBLE}


def test_the_evaluation_is_a_plain_json_record_with_the_evidence_it_used() -> None:
    record = therapy(phq9_total=12, days_to_release=None).to_record()
    assert json.loads(json.dumps(record)) == record
    assert record["outcome"] == "not_eligible"
    assert record["policy_version"] == 3
    assert record["facts"] == {
        "phq9_total": 12,
        "phq9_date": "2026-11-20",
        "days_since_phq9": 4,
        "days_to_release": None,
        "current_services": ["group_therapy"],
        "crises_past_30_days": 0,
        "on_watch": False,
    }
    results = record["results"]
    assert isinstance(results, list)
    assert results[0] == {
        "criterion": "phq9-severe",
        "status": "not_met",
        "values": {"phq9_total": 12, "phq9_date": "2026-11-20"},
        "missing": [],
        "error": None,
        "text": {
            "en": "PHQ-9 total 12 on 2026-11-20; at least 15 needed",
            "es": "PHQ-9 total 12 el 2026-11-20; se necesita al menos 15",
        },
    }


def test_a_placeholder_for_a_fact_not_read_does_not_make_the_criterion_unknown() -> None:
    evaluation = therapy(phq9_date=None)
    assert evaluation.outcome is Outcome.ELIGIBLE
    assert result(evaluation, "phq9-severe").text.en == (
        "PHQ-9 total 18 on not recorded; at least 15 needed"
    )


# --- properties over any person ---------------------------------------------------------

ANY_POLICY = st.sampled_from(POLICIES)


@given(ANY_POLICY, raw_facts())
def test_every_not_eligible_outcome_cites_a_criterion_the_version_and_an_alternative(
    compiled: CompiledPolicy, raw: dict[str, object]
) -> None:
    evaluation = evaluate(compiled, check_facts(raw))
    if evaluation.outcome is not Outcome.NOT_ELIGIBLE:
        return
    ids = {criterion.id for criterion in compiled.policy.criteria}
    assert evaluation.reasons
    for reason in evaluation.reasons:
        assert reason.criterion in ids
        assert reason.status is Status.NOT_MET
        assert reason.policy_version == compiled.policy.version
        assert reason.service == compiled.policy.service
        assert reason.text.en.strip()
        assert reason.text.es.strip()
    assert evaluation.offered_instead
    assert evaluation.offered_instead == compiled.policy.offered_instead


@given(ANY_POLICY, raw_facts())
def test_every_outcome_has_a_reason_and_a_result_for_each_criterion(
    compiled: CompiledPolicy, raw: dict[str, object]
) -> None:
    evaluation = evaluate(compiled, check_facts(raw))
    assert evaluation.reasons
    assert [one.criterion for one in evaluation.results] == [
        criterion.id for criterion in compiled.policy.criteria
    ]


@given(ANY_POLICY, raw_facts(), raw_facts(complete=True))
def test_a_missing_fact_never_yields_not_eligible(
    compiled: CompiledPolicy, known: dict[str, object], completion: dict[str, object]
) -> None:
    """An outcome reached with facts missing stands whatever those facts turn out to be;
    so not eligible never rests on a missing fact."""
    outcome = decide(compiled, check_facts(known))
    if outcome is Outcome.CLINICIAN_REVIEW:
        return
    present = {name: value for name, value in known.items() if value is not None}
    assert decide(compiled, check_facts({**completion, **present})) is outcome


@given(ANY_POLICY)
def test_a_person_about_whom_nothing_is_known_goes_to_a_clinician(
    compiled: CompiledPolicy,
) -> None:
    assert evaluate(compiled, check_facts({})).outcome is Outcome.CLINICIAN_REVIEW


@given(ANY_POLICY, raw_facts())
def test_re_evaluating_the_stored_facts_gives_the_same_record(
    compiled: CompiledPolicy, raw: dict[str, object]
) -> None:
    stored = json.loads(json.dumps(evaluate(compiled, check_facts(raw)).to_record()))
    again = evaluate(compiled, facts_from_json(stored["facts"]))
    assert again.to_record() == stored


@given(ANY_POLICY, raw_facts())
def test_deciding_alone_agrees_with_the_full_evaluation(
    compiled: CompiledPolicy, raw: dict[str, object]
) -> None:
    facts = check_facts(raw)
    assert decide(compiled, facts) is evaluate(compiled, facts).outcome


# --- what-if ----------------------------------------------------------------------------


def therapy_version(version: int, threshold: int) -> CompiledPolicy:
    data = copy.deepcopy(THERAPY)
    data["version"] = version
    data["criteria"][0]["expression"] = f"phq9_total >= {threshold}"
    return compile_policy(parse_policy(data))


def people_by_phq9() -> list[tuple[int, Facts]]:
    return [(total, check_facts({**ELIGIBLE_PERSON, "phq9_total": total})) for total in range(28)]


def test_lowering_a_threshold_counts_who_gains_eligibility_by_group() -> None:
    published, draft = therapy_version(3, 15), therapy_version(4, 10)
    simulation = simulate(draft, published, people_by_phq9(), group=lambda total: f"{total % 2}")
    assert (simulation.total.people, simulation.total.gained, simulation.total.lost) == (28, 5, 0)
    assert simulation.groups["0"].gained + simulation.groups["1"].gained == 5
    assert simulation.groups["0"].gained == 3  # 10, 12 and 14 are even; 11 and 13 odd
    assert [change.person for change in simulation.changes] == [10, 11, 12, 13, 14]
    assert {(c.before, c.after) for c in simulation.changes} == {
        (Outcome.NOT_ELIGIBLE, Outcome.ELIGIBLE)
    }


def test_raising_a_threshold_counts_who_loses_eligibility() -> None:
    simulation = simulate(therapy_version(4, 20), therapy_version(3, 15), people_by_phq9())
    assert (simulation.total.gained, simulation.total.lost, simulation.total.changed) == (0, 5, 5)
    assert simulation.groups == {}


def test_with_nothing_published_every_eligible_person_is_a_gain() -> None:
    simulation = simulate(therapy_version(1, 15), None, people_by_phq9())
    assert (simulation.total.gained, simulation.total.changed) == (13, 28)
    assert all(change.before is None for change in simulation.changes)


def test_a_draft_is_only_simulated_against_its_own_service() -> None:
    with pytest.raises(ValueError, match="its own service"):
        simulate(POLICIES[1], COMPILED_THERAPY, people_by_phq9())


def test_simulating_compiles_nothing_per_person(monkeypatch: pytest.MonkeyPatch) -> None:
    published, draft = therapy_version(3, 15), therapy_version(4, 10)

    def refuse(source: str) -> None:
        raise AssertionError("compiled while simulating")

    monkeypatch.setattr(cel, "compile", refuse)
    assert simulate(draft, published, people_by_phq9()).total.people == 28


@given(st.lists(raw_facts(), max_size=30), st.integers(0, 27), st.integers(0, 27))
def test_gains_less_losses_is_the_change_in_eligible_people(
    people: list[dict[str, object]], before: int, after: int
) -> None:
    published, draft = therapy_version(1, before), therapy_version(2, after)
    facts = [(n, check_facts(raw)) for n, raw in enumerate(people)]
    simulation = simulate(draft, published, facts, group=lambda n: f"unit-{n % 3}")

    def eligible(compiled: CompiledPolicy) -> int:
        return sum(decide(compiled, one) is Outcome.ELIGIBLE for _, one in facts)

    total = simulation.total
    assert total.gained - total.lost == eligible(draft) - eligible(published)
    assert sum(group.people for group in simulation.groups.values()) == len(people)
    assert sum(group.changed for group in simulation.groups.values()) == total.changed
