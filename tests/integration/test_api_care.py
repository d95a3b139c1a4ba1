"""The care API: a "no" with its reasons read by the resident in their language and appealed
(I3), the appeal decided by someone else (I4), custody refused everywhere (I6), residents
reading only their own, hostile policies refused with their problems (I9), reads audited
(I7)."""

from typing import Any, cast

import pytest
from django.test import Client
from django.utils import translation
from django.utils.translation import gettext

from kiteline.accounts.models import Role, User
from kiteline.api.api import api
from kiteline.audit.models import AuditEvent
from kiteline.care.demo import INDIVIDUAL_THERAPY
from kiteline.care.models import Appeal, Decision, LevelAssignment, PolicyDraft, PolicyVersion
from kiteline.care.models import Service as CareService
from kiteline.care.services import add_service, confirm_decision, request_decision
from kiteline.facilities.models import Booking, Facility, HousingUnit, Person
from kiteline.screening.services import record_answer, start_administration, submit_screen
from tests.integration.test_api_kites import (
    book,
    kiosk_client,
    kiosk_token,  # noqa: F401 -- a fixture
    resident_user,
    staff_user,
    token_client,
)

pytestmark = pytest.mark.django_db

# PHQ-9 answers totalling 8, below the policy's 15; item 9 is 0.
LOW = (1, 1, 1, 1, 1, 1, 1, 1, 0)
THERAPY = "individual_therapy"


@pytest.fixture
def supervisor(facility: Facility) -> User:
    return staff_user(Role.SUPERVISOR, facility)


@pytest.fixture
def clinician(facility: Facility) -> User:
    return staff_user(Role.CLINICIAN, facility)


@pytest.fixture
def second_clinician(facility: Facility) -> User:
    user = User.objects.create_user(username="test-second-clinician", role=Role.CLINICIAN)
    user.facilities.add(facility)
    return user


@pytest.fixture
def therapy(supervisor: User, facility: Facility) -> CareService:
    return add_service(
        actor=supervisor,
        facility=facility,
        code=THERAPY,
        name_en="Individual therapy",
        name_es="Terapia individual",
        capacity_note="6 clinician hours a week",
    )


@pytest.fixture
def published(supervisor: User, therapy: CareService) -> CareService:
    """The therapy service with the demo's policy, drafted and published through the API."""
    api_client = token_client(supervisor)
    drafted = post(api_client, f"/api/v1/policies/{therapy.pk}/draft", {"body": INDIVIDUAL_THERAPY})
    assert drafted.status_code == 200, drafted.content
    response = post(api_client, f"/api/v1/policies/{therapy.pk}/publish")
    assert response.status_code == 201, response.content
    return therapy


@pytest.fixture
def lucia(unit_a: HousingUnit) -> Booking:
    """A Spanish speaker."""
    booking = book(unit_a, "R0000002")
    Person.objects.filter(pk=booking.person_id).update(language="es-MX")
    booking.person.refresh_from_db()
    return booking


@pytest.fixture
def rosa(unit_a: HousingUnit) -> Booking:
    return book(unit_a, "R0000001")


def post(client: Client, url: str, body: dict[str, Any] | None = None) -> Any:
    return client.post(url, body or {}, content_type="application/json")


def phq9(clinician: User, booking: Booking, values: tuple[int, ...] = LOW) -> None:
    screen = start_administration(actor=clinician, person=booking.person, instrument="phq9-v1")
    for number, value in enumerate(values, start=1):
        record_answer(actor=clinician, administration=screen, item=f"q{number}", value=value)
    submit_screen(actor=clinician, administration=screen)


def denied(clinician: User, booking: Booking, service: CareService) -> Decision:
    phq9(clinician, booking)
    decision = request_decision(actor=clinician, person=booking.person, service=service)
    return confirm_decision(actor=clinician, decision=decision)


def spanish(message: str) -> str:
    """A string as a Spanish reader gets it: its translation once there is one."""
    with translation.override("es"):
        return gettext(message)


def reads(action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action).order_by("position"))


# ---- The whole story -----------------------------------------------------------------------


def test_a_no_with_reasons_is_read_in_spanish_appealed_and_granted_by_another_clinician(
    clinician: User,
    second_clinician: User,
    published: CareService,
    lucia: Booking,
    kiosk_token: str,  # noqa: F811
) -> None:
    deciding = token_client(clinician)
    phq9(clinician, lucia)

    asked = post(deciding, "/api/v1/decisions", {"resident_number": "R0000002", "service": THERAPY})
    assert asked.status_code == 201, asked.content
    decision = asked.json()
    assert (decision["proposed"], decision["outcome"], decision["policy_version"]) == (
        "not_eligible",
        "",
        1,
    )
    (phq9_criterion,) = [c for c in decision["criteria"] if c["criterion"] == "phq9-15"]
    assert (phq9_criterion["status"], phq9_criterion["cited"]) == ("not_met", True)
    assert {"name": "phq9_total", "value": "8"}.items() <= phq9_criterion["values"][0].items()
    assert decision["offered_instead"] == ["Group therapy", "A new screening in 30 days"]
    number = decision["decision_id"]

    confirmed = post(deciding, f"/api/v1/decisions/{number}/confirm")
    assert confirmed.status_code == 200, confirmed.content
    assert confirmed.json()["outcome"] == "not_eligible"
    assert confirmed.json()["appeal_by"] is not None

    at_kiosk = kiosk_client(kiosk_token, resident_user(lucia))
    mine = at_kiosk.get("/api/v1/decisions/mine").json()
    assert mine["language"] == "es"
    assert mine["pending"] == []
    (own,) = mine["decided"]
    assert (own["decision_id"], own["service"], own["answer"]) == (
        number,
        "Terapia individual",
        "no",
    )
    assert own["answer_words"] == spanish("No, not now.")
    (reason,) = [r for r in own["reasons"] if "PHQ-9" in r]
    assert reason.startswith("PHQ-9 total 8 el ")
    assert reason.endswith("; se necesita al menos 15")
    assert own["offered_instead"] == ["Terapia de grupo", "Una nueva evaluación en 30 días"]
    assert (own["appeal_state"], own["appeal"]) == ("open", None)
    assert own["appeal_by"] is not None

    words = "Estoy muy triste y necesito hablar con alguien."
    filed = post(at_kiosk, f"/api/v1/decisions/{number}/appeal", {"text": words})
    assert filed.status_code == 201, filed.content
    again = post(at_kiosk, f"/api/v1/decisions/{number}/appeal", {"text": words})
    assert again.status_code == 200
    assert again.json() == filed.json()
    other = post(at_kiosk, f"/api/v1/decisions/{number}/appeal", {"text": "Otra cosa."})
    assert other.status_code == 400
    assert Appeal.objects.get().text == words
    notice = filed.json()["grievance_notice"]
    assert spanish("Only a formal grievance protects your right to go to court.") in notice
    appeal_id = filed.json()["appeal_id"]

    refused = post(
        deciding,
        f"/api/v1/appeals/{appeal_id}/decide",
        {"outcome": "overturned", "reason": "I change my mind."},
    )
    assert refused.status_code == 400
    assert "did not make the decision" in refused.json()["detail"]
    assert Appeal.objects.get().decided_at is None
    assert not AuditEvent.objects.filter(action="appeal.decide").exists()

    reviewing = token_client(second_clinician)
    (listed,) = reviewing.get("/api/v1/appeals").json()["open"]
    assert (listed["appeal_id"], listed["may_review"]) == (appeal_id, True)
    assert reviewing.get(f"/api/v1/appeals/{appeal_id}").json()["appeal"]["text"] == words
    reason_text = "Los síntomas descritos justifican terapia individual."
    granted = post(
        reviewing,
        f"/api/v1/appeals/{appeal_id}/decide",
        {"outcome": "overturned", "reason": reason_text},
    )
    assert granted.status_code == 200, granted.content
    assert granted.json()["appeal"]["outcome"] == "overturned"

    (own,) = at_kiosk.get("/api/v1/decisions/mine").json()["decided"]
    assert (own["answer"], own["appeal_state"]) == ("yes", "granted")
    assert own["appeal"]["written_by_staff"] == reason_text


def test_the_grievance_notice_is_in_the_callers_language_when_staff_file_for_a_resident(
    clinician: User, published: CareService, rosa: Booking, facility: Facility
) -> None:
    decision = denied(clinician, rosa, published)
    nurse = token_client(staff_user(Role.NURSE, facility))
    filed = post(nurse, f"/api/v1/decisions/{decision.pk}/appeal", {"text": "She disagrees."})
    assert filed.status_code == 201, filed.content
    notice = filed.json()["grievance_notice"]
    assert notice.startswith("This appeal is not a grievance.")
    assert "To file a grievance, ask an officer for a grievance form." in notice
    assert Appeal.objects.get().filed_by.role == Role.NURSE


def test_a_decision_not_signed_off_is_listed_to_the_resident_without_an_outcome(
    clinician: User,
    published: CareService,
    rosa: Booking,
    kiosk_token: str,  # noqa: F811
) -> None:
    phq9(clinician, rosa)
    request_decision(actor=clinician, person=rosa.person, service=published)
    mine = kiosk_client(kiosk_token, resident_user(rosa)).get("/api/v1/decisions/mine").json()
    assert mine["decided"] == []
    assert mine["pending"] == [
        {
            "service": "Individual therapy",
            "answer": "pending",
            "answer_words": "A clinician is looking at your request.",
        }
    ]
    (event,) = reads("decision.read")
    assert event.detail == {"fields": ["service"]}


# ---- Levels, services and the person's care ------------------------------------------------


def test_a_clinician_sets_a_level_and_health_staff_read_it_with_the_decisions(
    clinician: User, published: CareService, rosa: Booking, facility: Facility
) -> None:
    decision = denied(clinician, rosa, published)
    level = post(
        token_client(clinician),
        "/api/v1/people/R0000001/level",
        {"level": "outpatient", "reason": "Depressed mood, stable."},
    )
    assert level.status_code == 201, level.content
    assert (level.json()["scheme"], level.json()["level"]) == ("generic", "outpatient")
    bad = post(
        token_client(clinician), "/api/v1/people/R0000001/level", {"level": "x", "reason": "r"}
    )
    assert bad.status_code == 400
    assert "not a level" in bad.json()["detail"]
    assert LevelAssignment.objects.count() == 1

    care = token_client(staff_user(Role.NURSE, facility)).get("/api/v1/people/R0000001/care")
    assert care.status_code == 200
    body = care.json()
    assert (body["current"]["level"], body["current"]["reason"]) == (
        "outpatient",
        "Depressed mood, stable.",
    )
    assert [row["decision_id"] for row in body["decisions"]] == [decision.pk]
    (event,) = reads("care.read")
    assert f"decision:{decision.pk}" in event.subjects


def test_a_nurse_may_not_set_a_level_or_ask_for_a_decision(
    facility: Facility, published: CareService, rosa: Booking
) -> None:
    nurse = token_client(staff_user(Role.NURSE, facility))
    level = post(nurse, "/api/v1/people/R0000001/level", {"level": "outpatient", "reason": "r"})
    asked = post(nurse, "/api/v1/decisions", {"resident_number": "R0000001", "service": THERAPY})
    assert (level.status_code, asked.status_code) == (403, 403)
    assert not Decision.objects.exists()


def test_the_service_catalogue_shows_the_version_in_force(
    facility: Facility, supervisor: User, published: CareService
) -> None:
    add_service(actor=supervisor, facility=facility, code="group", name_en="G", name_es="G")
    rows = token_client(staff_user(Role.NURSE, facility)).get("/api/v1/care/services").json()
    assert [(row["code"], row["version"]) for row in rows] == [("group", None), (THERAPY, 1)]
    assert rows[1]["capacity_note"] == "6 clinician hours a week"


def test_a_person_held_elsewhere_is_not_found(
    other_facility: Facility, published: CareService, rosa: Booking
) -> None:
    elsewhere = token_client(staff_user(Role.CLINICIAN, other_facility))
    assert elsewhere.get("/api/v1/people/R0000001/care").status_code == 404
    asked = post(
        elsewhere, "/api/v1/decisions", {"resident_number": "R0000001", "service": THERAPY}
    )
    assert asked.status_code == 404


def test_an_unknown_service_or_a_malformed_request_number_is_refused(
    clinician: User, published: CareService, rosa: Booking
) -> None:
    client = token_client(clinician)
    unknown = post(client, "/api/v1/decisions", {"resident_number": "R0000001", "service": "spa"})
    assert unknown.status_code == 400
    malformed = post(
        client,
        "/api/v1/decisions",
        {"resident_number": "R0000001", "service": THERAPY, "kite_number": "123"},
    )
    assert malformed.status_code == 400
    assert not Decision.objects.exists()


def test_an_override_without_a_reason_is_refused_and_nothing_is_decided(
    clinician: User, published: CareService, rosa: Booking
) -> None:
    phq9(clinician, rosa)
    decision = request_decision(actor=clinician, person=rosa.person, service=published)
    client = token_client(clinician)
    refused = post(
        client, f"/api/v1/decisions/{decision.pk}/override", {"outcome": "eligible", "reason": ""}
    )
    assert refused.status_code == 400
    assert refused.json()["detail"] == "Choose a reason for the override."
    decision.refresh_from_db()
    assert decision.decided_at is None
    done = post(
        client,
        f"/api/v1/decisions/{decision.pk}/override",
        {"outcome": "eligible", "reason": "new_information", "text": "Seen today."},
    )
    assert done.status_code == 200, done.content
    assert (done.json()["outcome"], done.json()["override_text"]) == ("eligible", "Seen today.")


# ---- Who may see what --------------------------------------------------------------------


def care_routes() -> list[tuple[str, str]]:
    """Every method and path of the care router, with ids filled in."""
    care_paths = ("/care/", "/care", "/level", "/decisions", "/appeals", "/policies")
    return [
        (method, path)
        for path, methods in api.get_openapi_schema()["paths"].items()
        if any(part in path for part in care_paths)
        for method in methods
    ]


def test_custody_is_refused_every_care_route(
    facility: Facility,
    clinician: User,
    published: CareService,
    rosa: Booking,
) -> None:
    decision = denied(clinician, rosa, published)
    custody = token_client(staff_user(Role.CUSTODY, facility))
    routes = care_routes()
    assert len(routes) == 18
    before = AuditEvent.objects.count()
    for method, path in routes:
        url = path.format(
            resident_number="R0000001",
            decision_id=decision.pk,
            appeal_id=decision.pk,
            service_id=published.pk,
        )
        response = custody.generic(method.upper(), url, "{}", content_type="application/json")
        assert response.status_code == 403, (method, url)
        assert b"R0000001" not in response.content
    assert AuditEvent.objects.count() == before
    assert not Appeal.objects.exists()


def test_a_resident_cannot_read_or_appeal_another_residents_decision(
    clinician: User,
    published: CareService,
    rosa: Booking,
    lucia: Booking,
    kiosk_token: str,  # noqa: F811
) -> None:
    rosas = denied(clinician, rosa, published)
    at_kiosk = kiosk_client(kiosk_token, resident_user(lucia))
    assert at_kiosk.get("/api/v1/decisions/mine").json() == {
        "language": "es",
        "decided": [],
        "pending": [],
    }
    # The staff view of a decision is not a resident's to call at all.
    assert at_kiosk.get(f"/api/v1/decisions/{rosas.pk}").status_code in (401, 403)
    appealed = post(at_kiosk, f"/api/v1/decisions/{rosas.pk}/appeal", {"text": "Mine now."})
    assert appealed.status_code == 404
    assert not Appeal.objects.exists()
    assert not reads("decision.read")


def test_staff_cannot_read_the_residents_own_list(clinician: User) -> None:
    assert token_client(clinician).get("/api/v1/decisions/mine").status_code == 403


def test_a_nurse_reads_a_decision_but_cannot_confirm_it(
    facility: Facility, clinician: User, published: CareService, rosa: Booking
) -> None:
    phq9(clinician, rosa)
    decision = request_decision(actor=clinician, person=rosa.person, service=published)
    nurse = token_client(staff_user(Role.NURSE, facility))
    assert nurse.get(f"/api/v1/decisions/{decision.pk}").status_code == 200
    assert post(nurse, f"/api/v1/decisions/{decision.pk}/confirm").status_code == 403
    decision.refresh_from_db()
    assert decision.decided_at is None


def test_a_remote_reviewer_reads_only_the_appeal_named_to_them(
    facility: Facility,
    other_facility: Facility,
    supervisor: User,
    clinician: User,
    published: CareService,
    rosa: Booking,
) -> None:
    decision = denied(clinician, rosa, published)
    appeal = Appeal.objects.get(
        pk=post(
            token_client(clinician),
            f"/api/v1/decisions/{decision.pk}/appeal",
            {"text": "Please look again."},
        ).json()["appeal_id"]
    )
    remote = staff_user(Role.CLINICIAN, other_facility)
    as_remote = token_client(remote)
    assert as_remote.get(f"/api/v1/appeals/{appeal.pk}").status_code == 404
    appeal.reviewer = remote
    appeal.save(update_fields=["reviewer"])
    assert as_remote.get(f"/api/v1/appeals/{appeal.pk}").status_code == 200
    assert as_remote.get(f"/api/v1/decisions/{decision.pk}").status_code == 200
    assert as_remote.get("/api/v1/people/R0000001/care").status_code == 404


# ---- Policies ------------------------------------------------------------------------------


def test_a_supervisor_reads_the_versions_and_the_draft(
    supervisor: User, published: CareService
) -> None:
    body = token_client(supervisor).get(f"/api/v1/policies/{published.pk}").json()
    (version,) = body["versions"]
    assert (version["version"], version["published_by"]) == (1, supervisor.username)
    assert version["body"]["service"] == THERAPY
    assert version["body"]["criteria"] == INDIVIDUAL_THERAPY["criteria"]
    assert body["draft"]["body"] == INDIVIDUAL_THERAPY
    assert body["draft"]["edited_by"] == supervisor.username


def with_expression(expression: str) -> dict[str, Any]:
    """The demo's therapy policy with its first criterion's expression replaced."""
    first, *others = cast(list[dict[str, Any]], INDIVIDUAL_THERAPY["criteria"])
    return {**INDIVIDUAL_THERAPY, "criteria": [{**first, "expression": expression}, *others]}


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("phq9_total >= ", "Syntax error"),
        ("no_such_fact > 1", "unknown fact 'no_such_fact'"),
        ("(" * 500 + "1" + ")" * 500 + " > 0", "nested more than"),
        (" + ".join(["phq9_total"] * 20_000) + " > 0", "characters long"),
    ],
    ids=["syntax", "unknown-fact", "deep", "huge"],
)
def test_a_hostile_draft_is_refused_with_its_problems_and_nothing_is_saved_or_published(
    supervisor: User, published: CareService, expression: str, message: str
) -> None:
    client = token_client(supervisor)
    body = with_expression(expression)
    response = post(client, f"/api/v1/policies/{published.pk}/draft", {"body": body})
    assert response.status_code == 400, response.content
    (problem,) = response.json()["problems"]
    assert problem["where"] == "criteria[0] (phq9-15).expression"
    assert message in problem["message"]
    assert set(problem) == {"where", "message", "line", "column"}
    assert PolicyDraft.objects.get().body == INDIVIDUAL_THERAPY
    # The kept draft is the published text: publishing it again makes nothing new.
    refused = post(client, f"/api/v1/policies/{published.pk}/publish")
    assert refused.status_code == 400
    assert "nothing to publish" in refused.json()["detail"]
    assert list(PolicyVersion.objects.values_list("version", flat=True)) == [1]


def test_a_syntax_error_is_placed_at_its_line_and_column(
    supervisor: User, published: CareService
) -> None:
    body = with_expression("phq9_total >=\n  >= 3")
    response = post(
        token_client(supervisor), f"/api/v1/policies/{published.pk}/draft", {"body": body}
    )
    (problem,) = response.json()["problems"]
    assert (problem["line"], problem["column"]) == (2, 3)


def test_a_body_nested_too_deep_to_parse_is_refused_and_nothing_is_saved(
    supervisor: User, published: CareService
) -> None:
    nested = "[" * 100_000 + "]" * 100_000
    response = token_client(supervisor).post(
        f"/api/v1/policies/{published.pk}/draft",
        '{"body": {"criteria": ' + nested + "}}",
        content_type="application/json",
    )
    assert response.status_code == 400
    assert PolicyDraft.objects.get().body == INDIVIDUAL_THERAPY


def test_a_hostile_draft_saved_from_the_editor_is_not_published(
    supervisor: User, published: CareService
) -> None:
    PolicyDraft.objects.filter(service=published).update(body={"criteria": "many"})
    response = post(token_client(supervisor), f"/api/v1/policies/{published.pk}/publish")
    assert response.status_code == 400
    assert response.json()["problems"]
    assert PolicyVersion.objects.count() == 1


def test_a_clinician_may_not_draft_or_publish(
    clinician: User, published: CareService, other_facility: Facility
) -> None:
    client = token_client(clinician)
    draft = post(client, f"/api/v1/policies/{published.pk}/draft", {"body": {}})
    assert draft.status_code == 403
    elsewhere = token_client(staff_user(Role.SUPERVISOR, other_facility))
    assert elsewhere.get(f"/api/v1/policies/{published.pk}").status_code == 404
    assert post(elsewhere, f"/api/v1/policies/{published.pk}/publish").status_code == 404
    assert PolicyVersion.objects.count() == 1


# ---- Audit ---------------------------------------------------------------------------------


def test_each_read_writes_one_read_event_naming_what_it_showed(
    clinician: User,
    second_clinician: User,
    published: CareService,
    rosa: Booking,
    kiosk_token: str,  # noqa: F811
) -> None:
    decision = denied(clinician, rosa, published)
    appeal = Appeal.objects.get(
        pk=post(
            token_client(clinician),
            f"/api/v1/decisions/{decision.pk}/appeal",
            {"text": "Please look again."},
        ).json()["appeal_id"]
    )
    reviewing = token_client(second_clinician)
    reviewing.get(f"/api/v1/decisions/{decision.pk}")
    reviewing.get(f"/api/v1/appeals/{appeal.pk}")
    reviewing.get("/api/v1/appeals")
    kiosk_client(kiosk_token, resident_user(rosa)).get("/api/v1/decisions/mine")

    staff_read, own_read = reads("decision.read")
    assert staff_read.subjects == [f"decision:{decision.pk}", f"appeal:{appeal.pk}"]
    assert staff_read.actor_id == second_clinician.pk
    assert own_read.subjects == [f"decision:{decision.pk}", f"appeal:{appeal.pk}"]
    assert "record.reasons" in own_read.detail["fields"]
    assert "appeal.text" not in own_read.detail["fields"]
    (appeal_read,) = reads("appeal.read")
    assert appeal_read.subjects == [f"appeal:{appeal.pk}", f"decision:{decision.pk}"]
    (list_read,) = reads("appeals.read")
    assert list_read.subjects == [f"appeal:{appeal.pk}"]
    # Names records and fields, never what they hold.
    for event in (staff_read, own_read, appeal_read, list_read):
        assert "Please look again." not in str(event.detail)
