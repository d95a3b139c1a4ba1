from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kiteline.kites.plain_words import (
    KiteFacts,
    NextStep,
    OpenClock,
    Stage,
    describe,
    first_due,
    stage,
)

NOW = datetime(2030, 1, 14, 15, 12, tzinfo=UTC)
TRIAGE = OpenClock(kind="triage", due_at=NOW + timedelta(hours=24))
FACE_TO_FACE = OpenClock(kind="face_to_face", due_at=NOW + timedelta(hours=48))
EMERGENT = OpenClock(kind="emergent", due_at=NOW + timedelta(minutes=60))
RECEIVED = KiteFacts(
    status="received", urgency="", route="", outcome="", close_code="", open_clocks=(TRIAGE,)
)
TRIAGED = replace(RECEIVED, status="triaged", urgency="routine", route="mental_health")


def test_a_new_request_waits_for_a_nurse_by_the_triage_deadline() -> None:
    plain = describe(RECEIVED, NOW)
    assert (plain.stage, plain.next_step, plain.due_at) == (
        Stage.WAITING,
        NextStep.NURSE_READS,
        TRIAGE.due_at,
    )
    assert not plain.late
    assert not plain.crisis_steps
    assert not plain.may_ask_again


def test_after_triage_with_a_symptom_the_next_step_is_being_seen() -> None:
    plain = describe(replace(TRIAGED, open_clocks=(FACE_TO_FACE,)), NOW)
    assert (plain.stage, plain.next_step, plain.due_at) == (
        Stage.READ,
        NextStep.SEE_MENTAL_HEALTH,
        FACE_TO_FACE.due_at,
    )


def test_after_triage_with_no_clock_running_no_time_is_promised() -> None:
    plain = describe(replace(TRIAGED, open_clocks=()), NOW)
    assert (plain.next_step, plain.due_at, plain.late) == (
        NextStep.MENTAL_HEALTH_ANSWERS,
        None,
        False,
    )


def test_an_emergent_request_says_when_they_will_be_seen_and_what_to_do_now() -> None:
    facts = replace(RECEIVED, urgency="emergent", open_clocks=(TRIAGE, EMERGENT))
    plain = describe(facts, NOW)
    assert (plain.next_step, plain.due_at) == (NextStep.SEE_MENTAL_HEALTH, EMERGENT.due_at)
    assert plain.crisis_steps


def test_a_deadline_passed_is_late_and_one_met_exactly_on_time_is_not() -> None:
    assert describe(RECEIVED, TRIAGE.due_at + timedelta(seconds=1)).late
    assert not describe(RECEIVED, TRIAGE.due_at).late


@pytest.mark.parametrize("outcome", ["resolved", "referred_evaluation", "refused"])
def test_a_request_with_an_outcome_is_answered_with_nothing_left_to_wait_for(
    outcome: str,
) -> None:
    facts = replace(TRIAGED, status="closed", outcome=outcome, urgency="emergent")
    plain = describe(facts, NOW)
    assert (plain.stage, plain.next_step, plain.due_at) == (Stage.ANSWERED, NextStep.NOTHING, None)
    assert not plain.crisis_steps
    assert not plain.may_ask_again


def test_a_request_routed_to_another_service_is_sent_elsewhere() -> None:
    facts = replace(TRIAGED, status="closed", route="medical", close_code="routed_elsewhere")
    plain = describe(facts, NOW)
    assert (plain.stage, plain.next_step) == (Stage.SENT_ELSEWHERE, NextStep.NOTHING)
    assert plain.may_ask_again


@pytest.mark.parametrize("code", ["duplicate", "released", "withdrawn", "answered_in_writing"])
def test_a_request_closed_without_a_visit_is_closed_and_may_be_asked_again(code: str) -> None:
    plain = describe(replace(RECEIVED, status="closed", close_code=code), NOW)
    assert (plain.stage, plain.next_step, plain.due_at) == (Stage.CLOSED, NextStep.NOTHING, None)
    assert plain.may_ask_again


def test_seen_without_an_outcome_yet_counts_as_answered() -> None:
    assert stage(replace(TRIAGED, status="seen", open_clocks=())) == Stage.ANSWERED


clock_lists = st.lists(
    st.builds(
        OpenClock,
        kind=st.sampled_from(["triage", "face_to_face", "urgent", "emergent"]),
        due_at=st.datetimes(timezones=st.just(UTC)),
    ),
    max_size=4,
)


@given(clock_lists)
def test_the_next_step_is_the_clock_that_falls_due_first(clocks: list[OpenClock]) -> None:
    plain = describe(replace(RECEIVED, open_clocks=tuple(clocks)), NOW)
    soonest = first_due(clocks)
    if soonest is None:
        assert plain.next_step == NextStep.MENTAL_HEALTH_ANSWERS
    else:
        assert plain.due_at == min(clock.due_at for clock in clocks)
        expected = NextStep.NURSE_READS if soonest.kind == "triage" else NextStep.SEE_MENTAL_HEALTH
        assert plain.next_step == expected
