"""Every page has an access rule, and each role gets exactly the pages DESIGN.md gives it."""

import hashlib
import tempfile
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.http import HttpRequest, HttpResponse
from django.test import Client, override_settings
from django.urls import URLPattern, URLResolver, get_resolver, path, reverse
from django.utils import timezone

from kiteline.accounts.authz import Audience, rule_of
from kiteline.accounts.models import Role, User
from kiteline.api.api import api
from kiteline.care.demo import INDIVIDUAL_THERAPY
from kiteline.care.models import Decision
from kiteline.care.services import (
    add_service,
    file_appeal,
    override_decision,
    publish_policy,
    request_decision,
    save_draft,
)
from kiteline.facilities.models import Facility, HousingUnit, Person
from kiteline.facilities.services import PersonDetails, book_person
from kiteline.kites.services import record_paper_kite
from kiteline.reports.models import PublicRelease, SampleKind, release_digest
from kiteline.reports.sample_services import draw_sample
from kiteline.scheduling.models import ScheduleRun
from kiteline.screening.services import start_administration

RESIDENT_NUMBER = "R0000001"
STAFF: set[str] = {Role.NURSE, Role.CLINICIAN, Role.CUSTODY, Role.SUPERVISOR, Role.AUDITOR}
HEALTH: set[str] = {Role.NURSE, Role.CLINICIAN, Role.SUPERVISOR}
# Stands for the id of the kite that the `booked` fixture makes, known only once it exists.
KITE_ID = "<kite>"
# And the id of the receiving screen it starts.
SCREENING_ID = "<screening>"
# And of the decision, refused and appealed, that it makes.
DECISION_ID = "<decision>"
APPEAL_ID = "<appeal>"
# And of the service the decision is on.
SERVICE_ID = "<service>"
RUN_ID = "<run>"
# And of a sample of requests an auditor drew, and the kite it drew.
SAMPLE_ID = "<sample>"
RELEASE_ID = "<release>"
SAMPLE_RECORD_ID = "<sample record>"

# URL name and arguments → the roles that may open the page with GET. Write the expectation
# here by hand from DESIGN.md: a rule changed by mistake then fails this matrix.
STAFF_PAGES: dict[str, tuple[dict[str, str], set[str]]] = {
    "roster": ({}, STAFF),
    "person": ({"resident_number": RESIDENT_NUMBER}, STAFF),
    "staff-users": ({}, {Role.SUPERVISOR.value}),
    "kiosk-pin-slip": (
        {"resident_number": RESIDENT_NUMBER},
        {Role.NURSE.value, Role.CLINICIAN.value, Role.SUPERVISOR.value},
    ),
    "kiosk-devices": ({}, {Role.SUPERVISOR.value}),
    "kiosk-register": ({}, {Role.SUPERVISOR.value}),
    "audit-log": ({}, {Role.AUDITOR.value}),
    "audit-export": ({}, {Role.AUDITOR.value}),
    "audit-verify": ({}, {Role.AUDITOR.value}),
    "reports-samples": ({}, {Role.AUDITOR.value}),
    "reports-dashboard": ({}, {Role.SUPERVISOR.value, Role.AUDITOR.value}),
    "reports-csv": ({"key": "triage_timeliness"}, {Role.SUPERVISOR.value, Role.AUDITOR.value}),
    "reports-equity": ({}, {Role.SUPERVISOR.value, Role.AUDITOR.value}),
    "reports-public": ({}, {Role.SUPERVISOR.value, Role.AUDITOR.value}),
    "reports-public-download": (
        {"release_id": RELEASE_ID},
        {Role.SUPERVISOR.value, Role.AUDITOR.value},
    ),
    "reports-sample": ({"sample_id": SAMPLE_ID}, {Role.AUDITOR.value}),
    "reports-sample-record": (
        {"sample_id": SAMPLE_ID, "record_id": SAMPLE_RECORD_ID},
        {Role.AUDITOR.value},
    ),
    "kite-queue": ({}, HEALTH),
    "kite-new": ({}, HEALTH),
    "kite-detail": ({"kite_id": KITE_ID}, HEALTH),
    "kite-receipt": ({"kite_id": KITE_ID}, HEALTH),
    "kite-alerts": ({}, {Role.CLINICIAN.value, Role.SUPERVISOR.value}),
    "kite-watch": ({}, HEALTH),
    "kite-custody": ({}, {Role.CUSTODY.value, Role.SUPERVISOR.value}),
    "kite-downtime": ({}, HEALTH),
    "kite-on-call": ({}, {Role.SUPERVISOR.value}),
    "kite-standard": ({}, {Role.SUPERVISOR.value}),
    "kite-phrases": ({}, {Role.SUPERVISOR.value}),
    "screening-evaluations": ({}, HEALTH),
    "screening-start": ({}, HEALTH),
    "screening-give": ({"administration_id": SCREENING_ID}, HEALTH),
    "screening-history": ({"resident_number": RESIDENT_NUMBER}, {Role.CLINICIAN.value}),
    "care-decision": ({"decision_id": DECISION_ID}, HEALTH),
    "care-appeal": ({"appeal_id": APPEAL_ID}, HEALTH),
    "care-referred": ({}, {Role.CLINICIAN.value}),
    "care-appeals": ({}, {Role.CLINICIAN.value, Role.SUPERVISOR.value}),
    "care-settings": ({}, {Role.SUPERVISOR.value}),
    "policy-list": ({}, {Role.SUPERVISOR.value}),
    "policy-drafts": ({}, {Role.CLINICIAN.value}),
    "policy-editor": ({"service_id": SERVICE_ID}, {Role.SUPERVISOR.value}),
    "policy-version": ({"service_id": SERVICE_ID, "version": "1"}, {Role.SUPERVISOR.value}),
    "policy-simulate": ({"service_id": SERVICE_ID}, {Role.SUPERVISOR.value}),
    "policy-simulate-changes": ({"service_id": SERVICE_ID}, {Role.CLINICIAN.value}),
    "scheduling-capacity": ({}, {Role.SUPERVISOR.value}),
    "scheduling-escorts": ({}, {Role.CUSTODY.value, Role.SUPERVISOR.value}),
    # Custody record lockdowns too: they know first.
    "scheduling-restrictions": ({}, {Role.SUPERVISOR.value, Role.CUSTODY.value}),
    "scheduling-schedules": ({}, HEALTH),
    "scheduling-run": ({"run_id": RUN_ID}, HEALTH),
    "scheduling-requirements": ({}, HEALTH),
    "scheduling-appointments": ({}, {Role.CLINICIAN.value, Role.SUPERVISOR.value}),
    "scheduling-missed": ({}, {Role.CLINICIAN.value, Role.SUPERVISOR.value}),
}
# Pages that only act on POST; their tests cover who may post.
POST_ONLY = {
    "staff-user-deactivate",
    "staff-user-reactivate",
    "logout",
    "set-language",
    "kiosk-retire",
    "audit-verify-run",
    "reports-sample-draw",
    "reports-public-build",
    "kite-triage",
    "kite-link",
    "kite-close",
    "kite-contact",
    "kite-false-alarm",
    "kite-alert-acknowledge",
    "kite-watch-set",
    "kite-watch-clear",
    "kite-welfare-done",
    "screening-answer",
    "screening-submit",
    "screening-assign",
    "screening-evaluation-done",
    "care-level-set",
    "care-decision-ask",
    "care-decision-confirm",
    "care-decision-override",
    "care-decision-appeal",
    "care-appeal-decide",
    "care-appeal-reviewer",
    "care-settings-scheme",
    "care-settings-service",
    "care-settings-service-edit",
    "care-settings-contacts",
    "policy-publish",
    "scheduling-capacity-settings",
    "scheduling-room-add",
    "scheduling-room-edit",
    "scheduling-session-type-add",
    "scheduling-session-type-edit",
    "scheduling-weekly-hours",
    "scheduling-exception-add",
    "scheduling-exception-remove",
    "scheduling-restriction-add",
    "scheduling-restriction-remove",
    "scheduling-propose",
    "scheduling-publish",
    "scheduling-discard",
    "scheduling-appointment-move",
    "scheduling-appointment-remove",
    "scheduling-appointment-outcome",
    "scheduling-refresh",
}
# Pages for everyone, such as sign-in.
OPEN_PAGES = {"home", "login"}


def walk(patterns: list[URLPattern | URLResolver]) -> Iterator[URLPattern]:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from walk(pattern.url_patterns)
        else:
            yield pattern


def test_every_url_pattern_has_an_explicit_access_rule() -> None:
    missing = [
        str(p.pattern) for p in walk(get_resolver().url_patterns) if rule_of(p.callback) is None
    ]
    assert missing == []


def test_every_staff_page_is_in_the_role_matrix() -> None:
    named = {
        p.name: rule_of(p.callback)
        for p in walk(get_resolver().url_patterns)
        if p.name and rule_of(p.callback) is not None
    }
    staff_pages = {
        name for name, rule in named.items() if rule is not None and rule.audience == Audience.STAFF
    }
    assert staff_pages - POST_ONLY == set(STAFF_PAGES)
    open_pages = {name for name, rule in named.items() if rule and rule.audience == Audience.ANYONE}
    assert open_pages == OPEN_PAGES | {"logout", "set-language"}


def unruled_view(request: HttpRequest) -> HttpResponse:
    return HttpResponse("should never be seen")


urlpatterns = [path("unruled/", unruled_view)]


@override_settings(ROOT_URLCONF=__name__)
def test_a_view_without_a_rule_is_refused_even_to_a_supervisor(
    client: Client, facility: Facility
) -> None:
    supervisor = User.objects.create_user(username="s", role=Role.SUPERVISOR)
    client.force_login(supervisor)
    response = client.get("/unruled/")
    assert response.status_code == 404
    assert b"should never be seen" not in response.content


@pytest.fixture
def booked(unit_a: HousingUnit) -> dict[str, str]:
    """The resident of RESIDENT_NUMBER, with one kite; the ids that stand in page arguments."""
    booking = book_person(
        actor=None,
        details=PersonDetails(
            resident_number=RESIDENT_NUMBER,
            given_name="Alder",
            family_name="Testfield",
            date_of_birth=date(1990, 1, 1),
        ),
        housing_unit=unit_a,
        booked_at=datetime(2026, 1, 5, tzinfo=UTC),
        booking_number="B1",
    )
    nurse = User.objects.create_user(username="matrix-nurse", role=Role.NURSE)
    nurse.facilities.add(unit_a.facility)
    kite = record_paper_kite(
        actor=nurse, person=booking.person, channel="paper", topic="talk", text="matrix"
    ).kite
    screening = start_administration(actor=nurse, person=booking.person, instrument="bjmhs-v1")
    decision = refused_and_appealed(unit_a.facility, booking.person)
    run = ScheduleRun.objects.create(
        facility=unit_a.facility,
        start=date(2026, 1, 5),
        days=7,
        method="greedy",
        solve_status="heuristic",
        report={},
        seconds=0.0,
        created_by=User.objects.get(username="matrix-supervisor"),
        created_at=datetime(2026, 1, 5, tzinfo=UTC),
    )
    auditor = User.objects.create_user(username="matrix-auditor", role=Role.AUDITOR)
    auditor.facilities.add(unit_a.facility)
    today = timezone.now().astimezone(ZoneInfo(unit_a.facility.time_zone)).date()
    sample = draw_sample(
        actor=auditor,
        facility=unit_a.facility,
        kind=SampleKind.KITES,
        first_day=today,
        last_day=today,
        seed=1,
        size=5,
    )
    # A public release whose files are on disk, for its download.
    folder = Path(tempfile.mkdtemp(prefix="matrix-release-"))
    files = {"index.html": b"<!doctype html>"}
    (folder / "index.html").write_bytes(files["index.html"])
    release = PublicRelease.objects.create(
        period="2026Q1",
        published=[],
        files={"index.html": hashlib.sha256(files["index.html"]).hexdigest()},
        digest=release_digest(files),
        folder=str(folder),
        built_at=timezone.now(),
    )
    release.facilities.add(unit_a.facility)
    return {
        RELEASE_ID: str(release.pk),
        SAMPLE_ID: str(sample.pk),
        SAMPLE_RECORD_ID: str(kite.pk),
        RUN_ID: str(run.pk),
        KITE_ID: str(kite.pk),
        SCREENING_ID: str(screening.pk),
        DECISION_ID: str(decision.pk),
        APPEAL_ID: str(decision.appeal.pk),
        SERVICE_ID: str(decision.service_id),
    }


def refused_and_appealed(facility: Facility, person: Person) -> Decision:
    supervisor = User.objects.create_user(username="matrix-supervisor", role=Role.SUPERVISOR)
    clinician = User.objects.create_user(username="matrix-clinician", role=Role.CLINICIAN)
    for user in (supervisor, clinician):
        user.facilities.add(facility)
    service = add_service(
        actor=supervisor, facility=facility, code="therapy", name_en="Therapy", name_es="Terapia"
    )
    save_draft(actor=supervisor, service=service, body=INDIVIDUAL_THERAPY)
    publish_policy(actor=supervisor, service=service)
    decision = override_decision(
        actor=clinician,
        decision=request_decision(actor=clinician, person=person, service=service),
        outcome="not_eligible",
        reason="clinical_judgement",
        text="Matrix fixture.",
    )
    file_appeal(actor=clinician, decision=decision, text="Matrix fixture.")
    return decision


def client_as(role: str | None, facility: Facility) -> Client:
    client = Client()
    if role == Role.RESIDENT:
        user = User.objects.create_user(
            username="resident",
            role=role,
            person=Person.objects.get(resident_number=RESIDENT_NUMBER),
        )
        client.force_login(user)
    elif role is not None:
        user = User.objects.create_user(username=f"as-{role}", role=role)
        user.facilities.add(facility)
        client.force_login(user)
    return client


@pytest.mark.parametrize("role", [None, Role.RESIDENT, *sorted(STAFF)])
@pytest.mark.parametrize("page", sorted(STAFF_PAGES))
def test_role_matrix(
    role: str | None, page: str, facility: Facility, booked: dict[str, str]
) -> None:
    kwargs, allowed = STAFF_PAGES[page]
    kwargs = {key: booked.get(value, value) for key, value in kwargs.items()}
    response = client_as(role, facility).get(reverse(page, kwargs=kwargs))
    if role in allowed:
        assert response.status_code == 200
    elif role is None:
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/sign-in/")
    elif role == Role.RESIDENT:
        assert response.status_code == 404
    else:
        assert response.status_code == 403


# API path → the roles that may call it with GET, written by hand as for the pages.
API_ROUTES: dict[str, set[str]] = {
    "/api/v1/roster": STAFF,
    f"/api/v1/people/{RESIDENT_NUMBER}": STAFF,
    "/api/v1/kites": HEALTH,
    "/api/v1/kites/{number}": HEALTH,
    # Residents signed in at a registered kiosk only: client_as's resident has no kiosk.
    "/api/v1/kites/mine": set(),
    "/api/v1/screening/instruments": HEALTH,
    "/api/v1/screening/instruments/{key}/fhir": HEALTH,
    "/api/v1/screening/evaluations": HEALTH,
    "/api/v1/screenings/{administration_id}": HEALTH,
    "/api/v1/screenings/{administration_id}/fhir": {Role.CLINICIAN.value},
    f"/api/v1/people/{RESIDENT_NUMBER}/screenings": {Role.CLINICIAN.value},
    "/api/v1/care/services": HEALTH,
    "/api/v1/care/settings": {Role.SUPERVISOR.value},
    f"/api/v1/people/{RESIDENT_NUMBER}/care": HEALTH,
    "/api/v1/decisions/{decision_id}": HEALTH,
    # Residents at a registered kiosk only, as for their kites.
    "/api/v1/decisions/mine": set(),
    "/api/v1/appeals": {Role.CLINICIAN.value, Role.SUPERVISOR.value},
    "/api/v1/appeals/{appeal_id}": HEALTH,
    "/api/v1/policies/{service_id}": {Role.SUPERVISOR.value},
    "/api/v1/scheduling/availability": HEALTH,
    "/api/v1/scheduling/requirements": HEALTH,
    "/api/v1/scheduling/schedules": HEALTH,
    "/api/v1/scheduling/schedules/{run_id}": HEALTH,
    "/api/v1/scheduling/appointments": {Role.CLINICIAN.value, Role.SUPERVISOR.value},
    # Custody's one scheduling route: who, when, where, and nothing clinical (I6).
    "/api/v1/scheduling/escorts": {Role.CUSTODY.value, Role.SUPERVISOR.value},
}


def test_every_api_route_is_in_the_role_matrix() -> None:
    paths = {
        path.replace("{resident_number}", RESIDENT_NUMBER)
        for path, methods in api.get_openapi_schema()["paths"].items()
        if "get" in methods
    }
    assert paths == set(API_ROUTES)


@pytest.mark.parametrize("role", [None, Role.RESIDENT, *sorted(STAFF)])
@pytest.mark.parametrize("route", sorted(API_ROUTES))
def test_api_role_matrix(
    role: str | None, route: str, facility: Facility, booked: dict[str, str]
) -> None:
    url = route.format(
        number=f"K{int(booked[KITE_ID]):06d}",
        key="phq9-v1",
        administration_id=booked[SCREENING_ID],
        decision_id=booked[DECISION_ID],
        appeal_id=booked[APPEAL_ID],
        service_id=booked[SERVICE_ID],
        run_id=booked[RUN_ID],
    )
    response = client_as(role, facility).get(url)
    if role in API_ROUTES[route]:
        assert response.status_code == 200
    else:
        assert response.status_code in (401, 403)
