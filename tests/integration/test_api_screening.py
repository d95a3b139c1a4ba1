"""The screening API: scoped like its pages, custody refused (I6), a safety answer fires on
its own save (I2), every read audited (I7), and FHIR exports that parse."""

import pytest
from django.test import Client
from fhir.resources.bundle import Bundle
from fhir.resources.questionnaire import Questionnaire

from kiteline.accounts.models import Role, User
from kiteline.audit.models import AuditEvent
from kiteline.facilities.models import Booking, Facility, HousingUnit
from kiteline.kites.models import Alert, Channel, Kite
from kiteline.screening.models import Administration, Evaluation, EvaluationKind
from tests.integration.test_api_kites import (
    book,
    kiosk_client,
    kiosk_token,  # noqa: F401 -- a fixture
    resident_user,
    staff_user,
    token_client,
)

pytestmark = pytest.mark.django_db
NO_BJMHS = {f"q{n}": 0 for n in range(1, 9)}


@pytest.fixture
def booking(unit_a: HousingUnit) -> Booking:
    return book(unit_a, "R0000001")


@pytest.fixture
def nurse_api(facility: Facility) -> Client:
    return token_client(staff_user(Role.NURSE, facility))


@pytest.fixture
def clinician(facility: Facility) -> User:
    return staff_user(Role.CLINICIAN, facility)


def start(client: Client, instrument: str = "bjmhs-v1") -> int:
    response = client.post(
        "/api/v1/screenings",
        {"resident_number": "R0000001", "instrument": instrument, "interpreter": True},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    return int(response.json()["administration_id"])


def answer(client: Client, screening: int, item: str, value: int) -> dict[str, object]:
    response = client.post(
        f"/api/v1/screenings/{screening}/answers",
        {"item": item, "value": value},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    result: dict[str, object] = response.json()
    return result


def test_a_nurse_gives_the_receiving_screen_and_refers_it_as_urgent(
    nurse_api: Client, booking: Booking
) -> None:
    screening = start(nurse_api)
    for item, value in {**NO_BJMHS, "q7": 1}.items():
        answer(nurse_api, screening, item, value)
    response = nurse_api.post(
        f"/api/v1/screenings/{screening}/submit",
        {"urgency": "urgent"},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["complete"] is True
    assert body["flags"] == ["bjmhs-refer"]
    assert sorted(r["kind"] for r in body["referrals"]) == ["evaluation", "medication_check"]
    assert Administration.objects.get().interpreter is True


def test_a_positive_receiving_screen_without_urgency_is_refused_with_a_reason(
    nurse_api: Client, booking: Booking
) -> None:
    screening = start(nurse_api)
    for item, value in {**NO_BJMHS, "q8": 1}.items():
        answer(nurse_api, screening, item, value)
    response = nurse_api.post(
        f"/api/v1/screenings/{screening}/submit", {}, content_type="application/json"
    )
    assert response.status_code == 400
    assert "how soon" in response.json()["detail"]
    assert Administration.objects.get().submitted_at is None
    assert not Evaluation.objects.exclude(kind=EvaluationKind.SCREENING).exists()


def test_an_out_of_range_answer_is_refused_and_nothing_is_saved(
    nurse_api: Client, booking: Booking
) -> None:
    screening = start(nurse_api, "phq9-v1")
    response = nurse_api.post(
        f"/api/v1/screenings/{screening}/answers",
        {"item": "q1", "value": 7},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "q1" in response.json()["detail"]
    assert not Administration.objects.get().answers.exists()


def test_custody_can_call_no_screening_route(facility: Facility, booking: Booking) -> None:
    custody = token_client(staff_user(Role.CUSTODY, facility))
    assert custody.get("/api/v1/screening/evaluations").status_code == 403
    assert custody.get("/api/v1/screening/instruments").status_code == 403
    response = custody.post(
        "/api/v1/screenings",
        {"resident_number": "R0000001", "instrument": "bjmhs-v1"},
        content_type="application/json",
    )
    assert response.status_code == 403
    assert not Administration.objects.exists()


def test_a_resident_answers_their_self_screen_and_item_9_alerts_at_once(
    clinician: User,
    booking: Booking,
    kiosk_token: str,  # noqa: F811
) -> None:
    assigned = token_client(clinician).post(
        "/api/v1/screenings/self",
        {"resident_number": "R0000001", "instrument": "phq9-v1"},
        content_type="application/json",
    )
    assert assigned.status_code == 201, assigned.content
    screening = int(assigned.json()["administration_id"])
    at_kiosk = kiosk_client(kiosk_token, resident_user(booking))
    result = answer(at_kiosk, screening, "q9", 2)
    assert result["safety"] is True
    kite = Kite.objects.get(channel=Channel.SCREENING)
    assert Alert.objects.filter(kite=kite).exists()


def test_a_resident_cannot_read_or_answer_another_residents_screen(
    clinician: User,
    booking: Booking,
    unit_a: HousingUnit,
    kiosk_token: str,  # noqa: F811
) -> None:
    other = book(unit_a, "R0000002")
    response = token_client(clinician).post(
        "/api/v1/screenings/self",
        {"resident_number": "R0000002", "instrument": "gad7-v1"},
        content_type="application/json",
    )
    screening = response.json()["administration_id"]
    at_kiosk = kiosk_client(kiosk_token, resident_user(booking))
    assert at_kiosk.get(f"/api/v1/screenings/{screening}").status_code == 404
    refused = at_kiosk.post(
        f"/api/v1/screenings/{screening}/answers",
        {"item": "q1", "value": 1},
        content_type="application/json",
    )
    assert refused.status_code == 404
    assert not Administration.objects.get(person=other.person).answers.exists()


def test_the_fhir_exports_parse_and_each_administration_export_is_audited(
    clinician: User, nurse_api: Client, booking: Booking
) -> None:
    as_clinician = token_client(clinician)
    questionnaire = as_clinician.get("/api/v1/screening/instruments/phq9-v1/fhir?language=es")
    assert questionnaire["Content-Type"] == "application/fhir+json"
    assert Questionnaire.model_validate_json(questionnaire.content).language == "es"
    screening = start(nurse_api, "gad7-v1")
    for n in range(1, 8):
        answer(nurse_api, screening, f"q{n}", 2)
    nurse_api.post(f"/api/v1/screenings/{screening}/submit", {}, content_type="application/json")
    exported = as_clinician.get(f"/api/v1/screenings/{screening}/fhir")
    bundle = Bundle.model_validate_json(exported.content)
    kinds = [
        entry.resource.get_resource_type()
        for entry in bundle.entry or []
        if entry.resource is not None
    ]
    assert kinds == ["QuestionnaireResponse", "Observation"]
    event = AuditEvent.objects.get(action="screening.export")
    assert event.subjects == [f"screening:{screening}"]


def test_a_nurse_cannot_read_the_history_but_a_clinician_can(
    clinician: User, nurse_api: Client, booking: Booking
) -> None:
    start(nurse_api, "phq9-v1")
    assert nurse_api.get("/api/v1/people/R0000001/screenings").status_code == 403
    history = token_client(clinician).get("/api/v1/people/R0000001/screenings")
    assert history.status_code == 200
    assert [screen["name"] for screen in history.json()["screens"]] == [
        "Patient Health Questionnaire-9 (PHQ-9)"
    ]
    assert AuditEvent.objects.filter(action="screening_history.read").count() == 1
