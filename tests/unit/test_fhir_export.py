"""FHIR export: every instrument becomes a valid Questionnaire that survives a JSON round
trip, administrations become QuestionnaireResponses that keep every answer, and only a
complete administration gets a total Observation."""

import json
from datetime import UTC, datetime

import pytest
from fhir.resources.observation import Observation
from fhir.resources.questionnaire import Questionnaire
from fhir.resources.questionnaireresponse import QuestionnaireResponse

from kiteline.interop import fhir
from kiteline.screening.definitions import Definition, load_all
from kiteline.screening.scoring import score

DEFS = load_all()
PHQ9 = DEFS["phq9-v1"]
GAD7 = DEFS["gad7-v1"]
CSSRS = DEFS["cssrs-screener-v1"]
WHEN = datetime(2025, 3, 4, 9, 30, tzinfo=UTC)
SUBJECT = "Patient/resident-1"
PHQ9_COMPLETE = {f"q{n}": value for n, value in enumerate([1, 2, 0, 3, 1, 0, 2, 1, 0], start=1)}
PHQ9_INCOMPLETE = {"q1": 1, "q2": 2, "q9": 1}


@pytest.mark.parametrize("definition", DEFS.values(), ids=DEFS.keys())
def test_every_instrument_exports_a_questionnaire_that_round_trips_through_json(
    definition: Definition,
) -> None:
    exported = fhir.questionnaire(definition)
    parsed = Questionnaire.model_validate_json(fhir.to_json(exported))
    assert parsed == exported
    assert parsed.status == "active"
    assert parsed.version == str(definition.version)
    assert [item.linkId for item in parsed.item or []] == [i.id for i in definition.items]


def test_the_phq9_questionnaire_carries_its_loinc_panel_and_item_codes() -> None:
    exported = fhir.questionnaire(PHQ9)
    assert exported.code is not None
    assert [(c.system, c.code) for c in exported.code] == [("http://loinc.org", "44249-1")]
    first = (exported.item or [])[0]
    assert first.type == "coding"
    assert [(c.code) for c in first.code or []] == ["44250-9"]
    assert [o.valueCoding.code for o in first.answerOption or [] if o.valueCoding] == [
        "not_at_all",
        "several_days",
        "more_than_half",
        "nearly_every_day",
    ]


def test_the_cssrs_questionnaire_asks_q3_to_q5_only_when_q2_is_yes() -> None:
    items = {item.linkId: item for item in fhir.questionnaire(CSSRS).item or []}
    for link_id in ("q3", "q4", "q5"):
        conditions = items[link_id].enableWhen or []
        assert [(c.question, c.operator, c.answerBoolean) for c in conditions] == [
            ("q2", "=", True)
        ]
    assert items["q2"].type == "boolean"
    assert items["q1"].enableWhen is None
    assert items["q6"].enableWhen is None


def test_a_complete_phq9_response_round_trips_with_status_completed() -> None:
    response = fhir.questionnaire_response(
        PHQ9, PHQ9_COMPLETE, subject_reference=SUBJECT, authored=WHEN
    )
    parsed = QuestionnaireResponse.model_validate_json(fhir.to_json(response))
    assert parsed == response
    assert parsed.status == "completed"
    assert parsed.questionnaire == f"{fhir.questionnaire_url(PHQ9)}|1"
    codings = [item.answer[0].valueCoding for item in parsed.item or [] if item.answer]
    assert [coding.code for coding in codings if coding is not None] == [
        PHQ9.item(f"q{n}").answers.options[value].key
        for n, value in enumerate(PHQ9_COMPLETE.values(), start=1)
    ]


def test_an_incomplete_phq9_response_round_trips_with_status_in_progress_and_every_answer() -> None:
    response = fhir.questionnaire_response(
        PHQ9, PHQ9_INCOMPLETE, subject_reference=SUBJECT, authored=WHEN
    )
    parsed = QuestionnaireResponse.model_validate_json(fhir.to_json(response))
    assert parsed == response
    assert parsed.status == "in-progress"
    assert [item.linkId for item in parsed.item or []] == ["q1", "q2", "q9"]


def test_a_cssrs_response_keeps_an_answer_to_a_question_its_skip_logic_hid() -> None:
    answers = {"q1": 0, "q2": 0, "q3": 1, "q6": 0}
    response = fhir.questionnaire_response(CSSRS, answers, subject_reference=SUBJECT, authored=WHEN)
    assert response.status == "completed"
    given = {
        item.linkId: item.answer[0].valueBoolean for item in response.item or [] if item.answer
    }
    assert given == {"q1": False, "q2": False, "q3": True, "q6": False}


def test_the_phq9_total_observation_carries_44261_6_and_the_total() -> None:
    result = score(PHQ9, PHQ9_COMPLETE)
    observation = fhir.total_observation(PHQ9, result, subject_reference=SUBJECT, effective=WHEN)
    assert observation is not None
    parsed = Observation.model_validate_json(fhir.to_json(observation))
    assert parsed == observation
    assert parsed.status == "final"
    assert [(c.system, c.code) for c in parsed.code.coding or []] == [
        ("http://loinc.org", "44261-6")
    ]
    assert parsed.valueInteger == sum(PHQ9_COMPLETE.values()) == 10


def test_the_gad7_total_observation_carries_70274_6() -> None:
    result = score(GAD7, {f"q{n}": 1 for n in range(1, 8)})
    observation = fhir.total_observation(GAD7, result, subject_reference=SUBJECT, effective=WHEN)
    assert observation is not None
    assert [c.code for c in observation.code.coding or []] == ["70274-6"]
    assert observation.valueInteger == 7


def test_an_incomplete_administration_gets_no_observation() -> None:
    result = score(PHQ9, PHQ9_INCOMPLETE)
    assert fhir.total_observation(PHQ9, result, subject_reference=SUBJECT, effective=WHEN) is None


def test_an_instrument_without_a_total_gets_no_observation() -> None:
    result = score(CSSRS, {"q1": 0, "q2": 0, "q6": 0})
    assert result.complete
    assert fhir.total_observation(CSSRS, result, subject_reference=SUBJECT, effective=WHEN) is None


def test_a_naive_timestamp_is_refused() -> None:
    with pytest.raises(fhir.ExportError, match="timezone-aware"):
        fhir.questionnaire_response(
            PHQ9, PHQ9_COMPLETE, subject_reference=SUBJECT, authored=WHEN.replace(tzinfo=None)
        )


def test_a_language_the_instrument_lacks_is_refused() -> None:
    with pytest.raises(fhir.ExportError, match="no 'xx' version"):
        fhir.questionnaire(PHQ9, language="xx")


def test_an_unsubmitted_administration_is_in_progress_and_carries_no_total() -> None:
    answers = {f"q{n}": 1 for n in range(1, 10)}
    bundle = fhir.administration_bundle(
        PHQ9,
        answers,
        subject_reference="Patient/R0000001",
        authored=datetime(2026, 11, 20, 15, 0, tzinfo=UTC),
        language="en",
        submitted=False,
    )
    (entry,) = bundle.entry or []
    assert entry.resource is not None
    assert entry.resource.get_resource_type() == "QuestionnaireResponse"
    assert json.loads(fhir.to_json(entry.resource))["status"] == "in-progress"


def test_a_total_from_an_unvalidated_translation_says_so() -> None:
    answers = {f"q{n}": 2 for n in range(1, 8)}
    result = score(GAD7, answers, "es")
    observation = fhir.total_observation(
        GAD7,
        result,
        subject_reference="Patient/R0000001",
        effective=datetime(2026, 11, 20, 15, 0, tzinfo=UTC),
    )
    assert observation is not None
    assert "not validated" in str((observation.note or [])[0].text)
