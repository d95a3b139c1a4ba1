"""Screening scores: exact totals and bands at every boundary, no total for an incomplete
administration, and safety flags (I2) that fire on whatever answers exist."""

from collections.abc import Mapping

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kiteline.screening.definitions import Definition, load_all
from kiteline.screening.scoring import AnswerError, certain_flags, score, visible_items

DEFS = load_all()
PHQ9 = DEFS["phq9-v1"]
GAD7 = DEFS["gad7-v1"]
CSSRS = DEFS["cssrs-screener-v1"]
BJMHS = DEFS["bjmhs-v1"]
PCL5 = DEFS["pcl5-v1"]
SUMMED = [PHQ9, GAD7, BJMHS, PCL5]


def answers_totalling(definition: Definition, total: int) -> dict[str, int]:
    """Fill items in order, each as high as needed, to reach an exact total."""
    answers: dict[str, int] = {}
    left = total
    for item in definition.items:
        top = item.answers.values[-1] if item.scored else 0
        answers[item.id] = min(top, left)
        left -= answers[item.id]
    assert left == 0
    return answers


BOUNDARIES = [
    (PHQ9, 0, "minimal"),
    (PHQ9, 4, "minimal"),
    (PHQ9, 5, "mild"),
    (PHQ9, 9, "mild"),
    (PHQ9, 10, "moderate"),
    (PHQ9, 14, "moderate"),
    (PHQ9, 15, "moderately_severe"),
    (PHQ9, 19, "moderately_severe"),
    (PHQ9, 20, "severe"),
    (PHQ9, 27, "severe"),
    (GAD7, 0, "minimal"),
    (GAD7, 4, "minimal"),
    (GAD7, 5, "mild"),
    (GAD7, 9, "mild"),
    (GAD7, 10, "moderate"),
    (GAD7, 14, "moderate"),
    (GAD7, 15, "severe"),
    (GAD7, 21, "severe"),
]


@pytest.mark.parametrize(
    ("definition", "total", "band"), BOUNDARIES, ids=[f"{d.id}-{t}" for d, t, _ in BOUNDARIES]
)
def test_every_band_boundary_lands_in_the_published_band(
    definition: Definition, total: int, band: str
) -> None:
    result = score(definition, answers_totalling(definition, total))
    assert (result.complete, result.total, result.band) == (True, total, band)


@pytest.mark.parametrize(("total", "flagged"), [(9, False), (10, True), (21, True)])
def test_gad7_asks_for_further_evaluation_from_a_total_of_ten(total: int, flagged: bool) -> None:
    result = score(GAD7, answers_totalling(GAD7, total))
    assert ("evaluate" in result.actions) is flagged


def full_answers(definition: Definition) -> st.SearchStrategy[dict[str, int]]:
    return st.fixed_dictionaries(
        {item.id: st.sampled_from(item.answers.values) for item in definition.items}
    )


@given(st.sampled_from(SUMMED).flatmap(lambda d: st.tuples(st.just(d), full_answers(d))))
def test_the_total_is_the_sum_of_the_scored_items(case: tuple[Definition, dict[str, int]]) -> None:
    definition, answers = case
    result = score(definition, answers)
    assert result.total == sum(answers[item.id] for item in definition.items if item.scored)
    assert dict(result.answers) == answers


@given(
    st.sampled_from([PHQ9, GAD7]).flatmap(lambda d: st.tuples(st.just(d), full_answers(d))),
    st.data(),
)
def test_adding_points_never_lowers_the_band(
    case: tuple[Definition, dict[str, int]], data: st.DataObject
) -> None:
    definition, answers = case
    raised = dict(answers)
    for item in definition.items:
        raised[item.id] = data.draw(st.integers(answers[item.id], item.answers.values[-1]))
    order = [band.id for band in definition.bands]
    before, after = score(definition, answers).band, score(definition, raised).band
    assert before is not None
    assert after is not None
    assert order.index(after) >= order.index(before)


@given(
    st.sampled_from(list(DEFS.values())).flatmap(
        lambda d: st.tuples(st.just(d), full_answers(d), st.sets(st.sampled_from(d.items)))
    )
)
def test_an_incomplete_administration_never_has_a_total_or_band(
    case: tuple[Definition, dict[str, int], set[object]],
) -> None:
    definition, answers, dropped = case
    partial: dict[str, int | None] = dict(answers)
    for item in definition.items:
        if item in dropped:
            partial[item.id] = None
    result = score(definition, partial)
    if not result.complete:
        assert result.missing
        assert result.total is None
        assert result.band is None
        assert all(flag.safety for flag in result.flags)
    else:
        assert set(visible_items(definition, partial)) <= set(result.answers)


@given(
    st.integers(1, 3),
    st.dictionaries(
        st.sampled_from([f"q{n}" for n in range(1, 9)]), st.one_of(st.none(), st.integers(0, 3))
    ),
)
def test_phq9_item9_above_zero_always_flags_emergent_safety(
    item9: int, others: Mapping[str, int | None]
) -> None:
    result = score(PHQ9, {**others, "q9": item9})
    assert any(f.rule == "phq9-item9" and f.action == "emergent" and f.safety for f in result.flags)


def test_phq9_item9_alone_flags_emergent_with_no_total() -> None:
    result = score(PHQ9, {"q9": 1})
    assert not result.complete
    assert result.total is None
    assert [f.rule for f in result.safety_flags] == ["phq9-item9"]


def test_phq9_item9_at_zero_raises_no_flag() -> None:
    assert score(PHQ9, answers_totalling(PHQ9, 0)).flags == ()


def test_an_out_of_range_answer_is_refused_naming_the_item() -> None:
    with pytest.raises(AnswerError, match="item q3 answer 4"):
        score(PHQ9, {"q3": 4})


def test_an_unknown_item_is_refused_naming_it() -> None:
    with pytest.raises(AnswerError, match="unknown item 'q10'"):
        score(PHQ9, {"q10": 1})


def test_a_yes_no_answer_is_refused_for_a_numbered_item() -> None:
    with pytest.raises(AnswerError, match="item q1 takes a number"):
        score(PHQ9, {"q1": True})


def test_a_language_the_instrument_lacks_is_refused() -> None:
    with pytest.raises(AnswerError, match="no 'xx' version"):
        score(PHQ9, {}, language="xx")


def test_a_paraphrased_instrument_is_scored_as_unvalidated() -> None:
    assert score(CSSRS, {}).validated_language is False
    assert score(PHQ9, {}).validated_language is True


@pytest.mark.parametrize("definition", [GAD7, PCL5, CSSRS, BJMHS], ids=lambda d: d.id)
def test_a_spanish_score_on_a_team_translation_is_unvalidated(definition: Definition) -> None:
    assert definition.languages["es"].wording == "translation"
    result = score(definition, {}, language="es")
    assert (result.language, result.validated_language) == ("es", False)


def test_a_spanish_score_on_the_published_phq9_is_validated() -> None:
    assert PHQ9.languages["es"].wording == "published"
    result = score(PHQ9, answers_totalling(PHQ9, 12), language="es")
    assert (result.language, result.validated_language) == ("es", True)


def test_validation_is_reported_per_language_not_per_instrument() -> None:
    assert score(GAD7, {}, language="en").validated_language is True
    assert score(GAD7, {}, language="es").validated_language is False


@given(
    st.sampled_from(list(DEFS.values())).flatmap(lambda d: st.tuples(st.just(d), full_answers(d)))
)
def test_the_language_never_changes_the_score_or_the_flags(
    case: tuple[Definition, dict[str, int]],
) -> None:
    definition, answers = case
    english, spanish = score(definition, answers), score(definition, answers, language="es")
    assert (spanish.total, spanish.band, spanish.clusters, spanish.flags) == (
        english.total,
        english.band,
        english.clusters,
        english.flags,
    )


def test_phq9_item9_in_spanish_still_flags_emergent_safety() -> None:
    result = score(PHQ9, {"q9": 1}, language="es")
    assert [f.rule for f in result.safety_flags] == ["phq9-item9"]


# --- C-SSRS skip logic and actions ----------------------------------------------------


def test_cssrs_q2_no_hides_q3_to_q5_and_they_are_not_missing() -> None:
    answers = {"q1": False, "q2": False, "q6": False}
    assert visible_items(CSSRS, answers) == ("q1", "q2", "q6")
    result = score(CSSRS, answers)
    assert result.complete
    assert result.flags == ()


def test_cssrs_q2_yes_shows_q3_to_q5_and_they_are_missing_until_answered() -> None:
    result = score(CSSRS, {"q1": True, "q2": True, "q6": False})
    assert result.missing == ("q3", "q4", "q5")


def test_cssrs_past_three_months_is_asked_only_after_behaviour_ever() -> None:
    assert "q6_recent" not in visible_items(CSSRS, {"q6": False})
    assert "q6_recent" in visible_items(CSSRS, {"q6": True})


def test_cssrs_q4_yes_is_emergent_and_safety_even_before_the_end() -> None:
    result = score(CSSRS, {"q1": True, "q2": True, "q3": False, "q4": True})
    assert not result.complete
    assert [(f.action, f.safety) for f in result.flags] == [("emergent", True)]


def test_cssrs_q5_yes_is_emergent() -> None:
    answers = {"q1": True, "q2": True, "q3": True, "q4": False, "q5": True, "q6": False}
    assert {"emergent", "refer"} == score(CSSRS, answers).actions


def test_cssrs_q1_yes_only_is_a_referral_not_an_emergency() -> None:
    result = score(CSSRS, {"q1": True, "q2": False, "q6": False})
    assert result.complete
    assert [(f.action, f.safety) for f in result.flags] == [("refer", False)]


def test_cssrs_behaviour_in_the_past_three_months_is_emergent() -> None:
    result = score(CSSRS, {"q1": False, "q2": False, "q6": True, "q6_recent": True})
    assert "emergent" in result.actions


def test_cssrs_behaviour_longer_ago_is_a_referral() -> None:
    result = score(CSSRS, {"q1": False, "q2": False, "q6": True, "q6_recent": False})
    assert result.actions == {"refer"}


def test_cssrs_an_answer_to_a_hidden_question_is_kept_and_can_only_raise() -> None:
    result = score(CSSRS, {"q1": False, "q2": False, "q4": True, "q6": False})
    assert result.answers["q4"] == 1
    assert "emergent" in result.actions


# --- BJMHS refer rule -------------------------------------------------------------------

NO = dict.fromkeys(BJMHS.languages["en"].items, False)


@pytest.mark.parametrize(
    ("yes", "refer"),
    [
        ((), False),
        (("q1",), False),
        (("q6",), False),
        (("q1", "q2"), True),
        (("q3", "q6"), True),
        (("q7",), True),
        (("q8",), True),
    ],
)
def test_bjmhs_refers_on_two_current_symptoms_or_medication_or_hospital(
    yes: tuple[str, ...], refer: bool
) -> None:
    result = score(BJMHS, {**NO, **dict.fromkeys(yes, True)})
    assert result.complete
    assert ("refer" in result.actions) is refer


def test_bjmhs_an_unfinished_screen_refers_no_one_yet() -> None:
    assert score(BJMHS, {"q7": True}).flags == ()


# --- PCL-5 DSM-5 cluster rule -----------------------------------------------------------

ZERO = {f"q{n}": 0 for n in range(1, 21)}
MEETS = {"q1": 2, "q6": 2, "q8": 2, "q9": 2, "q15": 2, "q16": 2}


@pytest.mark.parametrize(
    ("changes", "provisional"),
    [
        ({}, True),
        ({"q1": 1}, False),
        ({"q6": 1}, False),
        ({"q9": 1}, False),
        ({"q16": 1}, False),
        ({"q1": 1, "q5": 4}, True),
        ({"q6": 0, "q7": 3}, True),
    ],
)
def test_pcl5_provisional_needs_every_dsm5_cluster(
    changes: dict[str, int], provisional: bool
) -> None:
    result = score(PCL5, {**ZERO, **MEETS, **changes})
    assert ("provisional" in result.actions) is provisional
    assert all(c.met for c in result.clusters) is provisional


def test_pcl5_high_total_without_clusters_is_not_provisional() -> None:
    result = score(PCL5, {**ZERO, **{f"q{n}": 4 for n in range(6, 21)}})
    assert result.total == 60
    assert [c.id for c in result.clusters if not c.met] == ["B"]
    assert "provisional" not in result.actions


@given(
    definition=st.sampled_from(list(DEFS.values())),
    data=st.data(),
)
def test_certain_flags_hold_for_every_way_the_unanswered_questions_could_go(
    definition: Definition, data: st.DataObject
) -> None:
    values = {item.id: item.answers.values for item in definition.items}
    partial = {
        item_id: data.draw(st.sampled_from(options))
        for item_id, options in values.items()
        if data.draw(st.booleans())
    }
    completion = {
        **{item_id: data.draw(st.sampled_from(options)) for item_id, options in values.items()},
        **partial,
    }
    certain = {flag.rule for flag in certain_flags(definition, partial)}
    assert certain <= {flag.rule for flag in score(definition, completion).flags}


def test_a_cssrs_stopped_after_a_yes_to_q1_is_certain_to_refer() -> None:
    cssrs = DEFS["cssrs-screener-v1"]
    assert [flag.rule for flag in certain_flags(cssrs, {"q1": 1})] == ["cssrs-refer"]
    assert certain_flags(cssrs, {"q1": 0}) == ()
