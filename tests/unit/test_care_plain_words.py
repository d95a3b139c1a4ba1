from dataclasses import replace
from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from kiteline.care.plain_words import (
    Answer,
    AppealFacts,
    AppealStage,
    DecisionFacts,
    describe,
    in_language,
    reasons_in,
    texts_in,
)

NOW = datetime(2030, 1, 14, 15, 12, tzinfo=UTC)
NO = DecisionFacts(outcome="not_eligible", appeal_by=NOW + timedelta(days=30), appeal=None)
YES = DecisionFacts(outcome="eligible", appeal_by=None, appeal=None)
WAITING = AppealFacts(due_at=NOW + timedelta(days=14), outcome="")


def test_a_no_may_be_appealed_until_its_deadline_and_says_until_when() -> None:
    plain = describe(NO, NOW)
    assert (plain.answer, plain.appeal, plain.appeal_by) == (
        Answer.NO,
        AppealStage.OPEN,
        NO.appeal_by,
    )
    assert plain.may_appeal
    assert plain.was_no
    assert not plain.late


def test_the_last_moment_to_appeal_is_still_in_time_and_the_next_is_not() -> None:
    assert NO.appeal_by is not None
    assert describe(NO, NO.appeal_by).may_appeal
    late = describe(NO, NO.appeal_by + timedelta(microseconds=1))
    assert (late.appeal, late.appeal_by, late.may_appeal) == (AppealStage.CLOSED, None, False)
    assert late.was_no


def test_a_yes_has_nothing_to_appeal() -> None:
    plain = describe(YES, NOW)
    assert (plain.answer, plain.appeal, plain.appeal_by) == (
        Answer.YES,
        AppealStage.NOT_NEEDED,
        None,
    )
    assert not plain.was_no


def test_a_decision_not_signed_off_shows_no_outcome() -> None:
    pending = describe(replace(NO, outcome="", appeal_by=None), NOW)
    assert (pending.answer, pending.appeal) == (Answer.PENDING, AppealStage.NOT_NEEDED)
    assert not pending.may_appeal


def test_an_appeal_waits_then_is_late_after_its_deadline() -> None:
    appealed = replace(NO, appeal=WAITING)
    plain = describe(appealed, NOW)
    assert (plain.answer, plain.appeal, plain.late, plain.may_appeal) == (
        Answer.NO,
        AppealStage.WAITING,
        False,
        False,
    )
    assert describe(appealed, WAITING.due_at + timedelta(seconds=1)).late


def test_an_appeal_granted_turns_the_answer_to_yes_and_one_not_granted_keeps_no() -> None:
    granted = describe(replace(NO, appeal=replace(WAITING, outcome="overturned")), NOW)
    assert (granted.answer, granted.appeal, granted.was_no) == (
        Answer.YES,
        AppealStage.GRANTED,
        True,
    )
    upheld = describe(replace(NO, appeal=replace(WAITING, outcome="upheld")), NOW)
    assert (upheld.answer, upheld.appeal) == (Answer.NO, AppealStage.NOT_GRANTED)
    # An answer is never late, however long after its deadline it is read.
    assert not describe(
        replace(NO, appeal=replace(WAITING, outcome="upheld")), WAITING.due_at + timedelta(days=30)
    ).late


@given(
    outcome=st.sampled_from(["", "eligible", "not_eligible"]),
    deadline_days=st.one_of(st.none(), st.integers(-60, 60)),
    appeal=st.one_of(st.none(), st.sampled_from(["", "upheld", "overturned"])),
)
def test_only_an_unappealed_no_within_its_deadline_may_be_appealed(
    outcome: str, deadline_days: int | None, appeal: str | None
) -> None:
    facts = DecisionFacts(
        outcome=outcome,
        appeal_by=None if deadline_days is None else NOW + timedelta(days=deadline_days),
        appeal=None if appeal is None else replace(WAITING, outcome=appeal),
    )
    plain = describe(facts, NOW)
    in_time = facts.appeal_by is None or facts.appeal_by >= NOW
    assert plain.may_appeal == (outcome == "not_eligible" and appeal is None and in_time)
    assert (plain.answer is Answer.PENDING) == (outcome == "")
    assert (plain.answer is Answer.YES) == (
        outcome == "eligible" or (outcome == "not_eligible" and appeal == "overturned")
    )


def test_a_text_is_read_in_the_residents_language_or_else_english() -> None:
    text = {"en": "Group therapy", "es": "Terapia de grupo"}
    assert in_language(text, "es") == "Terapia de grupo"
    assert in_language(text, "es-MX") == "Terapia de grupo"
    assert in_language(text, "en") == "Group therapy"
    assert in_language(text, "vi") == "Group therapy"
    assert in_language({"en": "Group therapy", "es": ""}, "es") == "Group therapy"
    assert in_language("Group therapy", "en") == ""
    assert in_language({"fr": "Thérapie"}, "en") == ""


def test_the_reasons_of_a_record_are_read_in_order_skipping_what_is_not_a_reason() -> None:
    record = {
        "reasons": [
            {"criterion": "phq9-15", "text": {"en": "PHQ-9 total 8", "es": "PHQ-9 total 8 (es)"}},
            "not a reason",
            {"criterion": "other", "text": {"en": "No crisis", "es": "Ninguna crisis"}},
        ]
    }
    assert reasons_in(record, "es") == ("PHQ-9 total 8 (es)", "Ninguna crisis")
    assert reasons_in(record, "en") == ("PHQ-9 total 8", "No crisis")
    assert reasons_in({}, "en") == ()
    assert reasons_in({"reasons": "text"}, "en") == ()
    assert reasons_in(None, "en") == ()
    assert texts_in([{"en": "A"}, {"es": "B"}, None], "en") == ("A",)
    assert texts_in("A", "en") == ()
