"""The scheduling API: scoped like the pages, a schedule proposed and published through it,
outcomes recorded once with their reasons, custody refused everything but an escort list
that holds only allow-listed fields and nothing clinical (I6), reads audited (I7)."""

from datetime import date, timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from kiteline.accounts.allowlists import CUSTODY_ALLOWED_FIELDS
from kiteline.accounts.models import Role, User
from kiteline.api.api import api
from kiteline.audit.models import AuditEvent
from kiteline.care.services import add_service
from kiteline.facilities.models import Facility, HousingUnit
from kiteline.scheduling.capacity_services import (
    SessionTypeDetails,
    add_availability_exception,
    add_restriction,
    add_session_type,
)
from kiteline.scheduling.models import (
    Appointment,
    AppointmentOutcome,
    AppointmentStatus,
    ExceptionReason,
    MovementRestriction,
    Requirement,
    RestrictionKind,
    RunStatus,
    ScheduleRun,
    Source,
)
from kiteline.scheduling.problem_source import local_date
from kiteline.scheduling.requirement_services import refresh_requirements
from kiteline.scheduling.services import move_appointment, propose_schedule, publish_schedule
from tests.integration.scheduling_world import World, build_world
from tests.integration.test_api_kites import (
    kiosk_client,
    kiosk_token,  # noqa: F401 -- a fixture
    resident_user,
    staff_user,
    token_client,
)

SCHEDULES = "/api/v1/scheduling/schedules"
APPOINTMENTS = "/api/v1/scheduling/appointments"
ESCORTS = "/api/v1/scheduling/escorts"


@pytest.fixture
def world(facility: Facility, unit_a: HousingUnit) -> World:
    return build_world(facility, unit_a)


def published(world: World, people: int = 2, *, first: int = 1) -> ScheduleRun:
    """People on a level of care (resident numbers from `first` on), and a week's schedule
    for them published (greedy: quick)."""
    for number in range(first, first + people):
        world.on_level(number)
    run = propose_schedule(
        actor=world.supervisor,
        facility=world.facility,
        start=world.next_monday(),
        days=7,
        method="greedy",
    )
    return publish_schedule(actor=world.supervisor, run=run)


def published_today(world: World, people: int = 2, *, first: int = 1) -> date:
    """A published schedule whose appointments all fall today at the facility: the day an
    escort list is asked for and outcomes may be recorded."""
    published(world, people, first=first)
    today = local_date(world.facility, timezone.now())
    Appointment.objects.update(date=today)
    return today


def post(client: Client, url: str, body: dict[str, Any] | None = None) -> Any:
    return client.post(url, body or {}, content_type="application/json")


def scheduling_routes() -> list[tuple[str, str]]:
    return [
        (method, path)
        for path, methods in api.get_openapi_schema()["paths"].items()
        if path.startswith("/api/v1/scheduling/")
        for method in methods
    ]


def filled(path: str, run_id: int = 1, appointment_id: int = 1) -> str:
    return path.format(run_id=run_id, appointment_id=appointment_id)


# ---- Capacity, requirements and the waitlist -----------------------------------------------


def test_availability_lists_rooms_session_types_with_their_clinicians_hours_and_exceptions(
    world: World,
) -> None:
    monday = world.next_monday()
    add_availability_exception(
        actor=world.supervisor,
        facility=world.facility,
        clinician=world.clinician,
        day=monday,
        window=None,
        reason=ExceptionReason.LEAVE,
    )
    add_restriction(
        actor=world.supervisor,
        facility=world.facility,
        unit=world.unit,
        day=monday,
        start_minute=10 * 60,
        end_minute=11 * 60,
        kind=RestrictionKind.LOCKDOWN,
    )
    response = token_client(world.clinician).get("/api/v1/scheduling/availability")

    assert response.status_code == 200
    capacity = response.json()
    assert capacity["facility"] == "north"
    assert [(r["code"], r["name"], r["seats"]) for r in capacity["rooms"]] == [
        ("r1", "Health unit, room 1", 1),
        ("r2", "Health unit, room 2", 1),
    ]
    assert capacity["rooms"][0]["room_id"] == world.room.pk
    sessions = {s["code"]: s for s in capacity["session_types"]}
    assert sessions["individual"]["session_type_id"] == world.individual.pk
    assert sessions["individual"]["clinicians"] == ["sched-clinician", "sched-clinician2"]
    assert (sessions["psychiatry"]["clinicians"], sessions["psychiatry"]["minutes"]) == (
        ["sched-clinician2"],
        30,
    )
    clinicians = {c["username"]: c for c in capacity["clinicians"]}
    assert set(clinicians) == {"sched-clinician", "sched-clinician2"}
    first = clinicians["sched-clinician"]
    assert first["weekly"][:2] == [
        {"weekday": 0, "start": "09:00", "end": "12:00"},
        {"weekday": 0, "start": "13:00", "end": "17:00"},
    ]
    assert len(first["weekly"]) == 10
    assert [(e["date"], e["hours"], e["reason"]) for e in first["exceptions"]] == [
        (monday.isoformat(), "", "Leave")
    ]
    assert clinicians["sched-clinician2"]["session_types"] == ["Individual session", "Psychiatry"]
    (restriction,) = capacity["restrictions"]
    assert (restriction["unit"], restriction["start"], restriction["end"]) == (
        "A",
        "10:00",
        "11:00",
    )
    assert restriction["kind"] == "lockdown"
    assert restriction["restriction_id"] == MovementRestriction.objects.get().pk


def test_requirements_list_the_open_ones_and_the_waitlist_in_its_order(world: World) -> None:
    world.on_level(1)
    refresh_requirements(actor=world.supervisor, facility=world.facility, now=timezone.now())
    today = local_date(world.facility, timezone.now())
    # Two approved services waiting: the higher acuity goes first, though it waited less.
    waiting = {}
    for number, acuity, waited in ((2, 100, 30), (3, 300, 2)):
        booking = world.on_level(number, "outpatient")
        waiting[number] = Requirement.objects.create(
            facility=world.facility,
            booking=booking,
            person=booking.person,
            source=Source.SERVICE,
            key=f"service:therapy-{number}",
            session_type=world.individual,
            earliest=today - timedelta(days=waited),
            due=today + timedelta(days=14),
            acuity=acuity,
            mandatory=False,
            waiting_since=today - timedelta(days=waited),
            opened_at=timezone.now(),
        )

    response = token_client(world.clinician).get("/api/v1/scheduling/requirements")

    assert response.status_code == 200
    page = response.json()
    assert [row["resident_number"] for row in page["rows"]] == ["R0000001"]
    (row,) = page["rows"]
    assert (row["session_type"], row["mandatory"], row["state"]) == (
        "Individual session",
        True,
        "to schedule",
    )
    assert [row["number"] for row in page["waitlist"]] == [
        waiting[3].number,
        waiting[2].number,
    ]
    assert page["waitlist"][1]["waiting_since"] == (today - timedelta(days=30)).isoformat()
    (read,) = AuditEvent.objects.filter(action="scheduling.requirements_read")
    shown = {f"requirement:{r.pk}" for r in Requirement.objects.all()}
    assert set(read.subjects) == shown


# ---- Schedules -----------------------------------------------------------------------------


def test_a_supervisor_proposes_then_publishes_a_week_through_the_api(world: World) -> None:
    world.on_level(1)
    world.on_level(2)
    supervisor = token_client(world.supervisor)
    monday = world.next_monday()

    proposed = post(
        supervisor, SCHEDULES, {"start": monday.isoformat(), "days": 7, "method": "greedy"}
    )

    assert proposed.status_code == 201, proposed.content
    page = proposed.json()
    run = ScheduleRun.objects.get()
    assert page["run"]["run_id"] == run.pk
    assert (page["run"]["status"], page["run"]["method"]) == ("proposed", "greedy")
    assert (page["run"]["start"], page["run"]["end"]) == (
        monday.isoformat(),
        (monday + timedelta(days=6)).isoformat(),
    )
    assert page["editable"] is True
    booked = [a for day in page["days"] for a in day["appointments"]]
    assert sorted(a["resident_number"] for a in booked) == ["R0000001", "R0000002"]
    assert {a["status"] for a in booked} == {"proposed"}
    listed = supervisor.get(SCHEDULES).json()
    assert [(r["number"], r["appointments"]) for r in listed["runs"]] == [(run.number, 2)]
    # Moments are the facility's: North is in Chicago.
    assert listed["runs"][0]["created_at"].endswith(("-06:00", "-05:00"))

    published_page = post(supervisor, f"{SCHEDULES}/{run.pk}/publish")

    assert published_page.status_code == 200, published_page.content
    assert published_page.json()["run"]["status"] == "published"
    assert published_page.json()["run"]["published_by"] == "sched-supervisor"
    assert published_page.json()["editable"] is False
    assert set(run.appointments.values_list("status", flat=True)) == {AppointmentStatus.PUBLISHED}
    assert AuditEvent.objects.filter(action="scheduling.publish").count() == 1
    # The page names people: each read of it is recorded with what it showed.
    reads = AuditEvent.objects.filter(action="scheduling.schedule_read").order_by("position")
    assert reads.count() == 2
    shown = {f"schedule_run:{run.pk}", *(f"appointment:{a.pk}" for a in run.appointments.all())}
    assert [set(event.subjects) for event in reads] == [shown, shown]


def test_a_schedule_that_is_no_longer_a_proposal_is_not_published_again(world: World) -> None:
    run = published(world, people=1)
    response = post(token_client(world.supervisor), f"{SCHEDULES}/{run.pk}/publish")

    assert response.status_code == 409
    assert response.json() == {"detail": "Only a proposed schedule can be published."}


def test_a_hand_edit_that_double_books_a_clinician_is_refused_with_its_reason(
    world: World,
) -> None:
    world.on_level(1)
    world.on_level(2)
    run = propose_schedule(
        actor=world.supervisor,
        facility=world.facility,
        start=world.next_monday(),
        days=7,
        method="greedy",
    )
    # Fifteen minutes apart, in two rooms: the same clinician in two sessions at once.
    for appointment, room, minute in zip(
        Appointment.objects.order_by("pk"), (world.room, world.room2), (540, 555), strict=True
    ):
        move_appointment(
            actor=world.supervisor,
            appointment=appointment,
            day=world.next_monday(),
            start_minute=minute,
            clinician=world.clinician,
            room=room,
        )

    response = post(token_client(world.supervisor), f"{SCHEDULES}/{run.pk}/publish")

    assert response.status_code == 409
    assert response.json()["detail"].startswith("Not published: ")
    assert "two sessions at once" in response.json()["detail"]
    run.refresh_from_db()
    assert run.status == RunStatus.PROPOSED


def test_cp_sat_proposes_with_its_bounds_and_gap(world: World) -> None:
    world.on_level(1)
    response = post(
        token_client(world.supervisor),
        SCHEDULES,
        {"start": world.next_monday().isoformat(), "days": 7, "time_limit": 5},
    )

    assert response.status_code == 201, response.content
    page = response.json()
    assert page["run"]["method"] == "cp-sat"
    assert page["run"]["missed"] == 0
    assert [part["name"] for part in page["parts"]][:2] == ["missed", "late"]
    assert all(part["value"] >= part["bound"] for part in page["parts"])


@pytest.mark.parametrize(
    ("body", "status", "detail"),
    [
        (
            {"start": "2020-01-06", "method": "greedy"},
            400,
            "A schedule starts tomorrow at the earliest.",
        ),
        ({"method": "simulated-annealing"}, 400, "Choose a method: cp-sat, greedy."),
        ({"time_limit": 16}, 422, None),
        ({"start": "9999-12-25", "method": "greedy"}, 422, None),
        ({"days": 29}, 422, None),
    ],
)
def test_a_proposal_that_cannot_be_made_is_refused_and_nothing_is_stored(
    world: World, body: dict[str, Any], status: int, detail: str | None
) -> None:
    response = post(
        token_client(world.supervisor),
        SCHEDULES,
        {"start": world.next_monday().isoformat(), **body},
    )

    assert response.status_code == status
    if detail is not None:
        assert response.json() == {"detail": detail}
    assert not ScheduleRun.objects.exists()


# ---- Appointments and outcomes -------------------------------------------------------------


def test_outcomes_are_recorded_once_with_their_reasons(world: World) -> None:
    today = published_today(world)
    refused, cancelled = Appointment.objects.order_by("pk")
    clinician = token_client(world.clinician)
    url = f"{APPOINTMENTS}/{refused.pk}/outcome"

    bare = post(clinician, url, {"outcome": "refused"})
    assert bare.status_code == 400
    assert bare.json() == {"detail": "Say what was offered next: the refusal is recorded with it."}
    refused.refresh_from_db()
    assert refused.outcome == ""

    recorded = post(clinician, url, {"outcome": "refused", "note": "Offered Friday morning."})
    assert recorded.status_code == 200, recorded.content
    body = recorded.json()
    assert (body["number"], body["outcome"], body["note"]) == (
        refused.number,
        "refused",
        "Offered Friday morning.",
    )
    assert post(clinician, url, {"outcome": "attended"}).json() == {
        "detail": "This appointment's outcome is already recorded."
    }
    by_custody = post(
        clinician,
        f"{APPOINTMENTS}/{cancelled.pk}/outcome",
        {"outcome": "cancelled_custody", "custody_reason": "lockdown"},
    )
    assert by_custody.status_code == 200, by_custody.content

    day = clinician.get(APPOINTMENTS, {"date": today.isoformat()}).json()
    outcomes = {row["appointment_id"]: row for row in day["rows"]}
    assert outcomes[refused.pk]["outcome"] == AppointmentOutcome.REFUSED
    assert outcomes[refused.pk]["outcome_note"] == "Offered Friday morning."
    assert outcomes[cancelled.pk]["outcome_label"] == "Cancelled by custody"
    assert outcomes[cancelled.pk]["custody_reason"] == "Lockdown"
    # Neither happened: both contacts are still required.
    assert Requirement.objects.filter(closed_at__isnull=True).count() == 2
    assert AuditEvent.objects.filter(action="scheduling.outcome").count() == 2


def test_an_outcome_is_refused_before_the_appointments_day(world: World) -> None:
    published(world, people=1)
    appointment = Appointment.objects.get()
    response = post(
        token_client(world.supervisor),
        f"{APPOINTMENTS}/{appointment.pk}/outcome",
        {"outcome": "attended"},
    )

    assert response.status_code == 400
    assert response.json() == {"detail": "This appointment has not happened yet."}


def test_a_clinician_reads_their_own_appointments_of_the_day_or_everyones(world: World) -> None:
    today = published_today(world, people=3)
    clinician = token_client(world.clinician)

    mine = clinician.get(APPOINTMENTS, {"mine": "true"}).json()
    everyone = clinician.get(APPOINTMENTS).json()

    assert (mine["date"], mine["mine_only"]) == (today.isoformat(), True)
    own = Appointment.objects.filter(clinician=world.clinician)
    assert sorted(r["appointment_id"] for r in mine["rows"]) == sorted(a.pk for a in own)
    assert {r["clinician"] for r in mine["rows"]} <= {"sched-clinician"}
    assert len(everyone["rows"]) == 3
    assert clinician.get(APPOINTMENTS, {"date": "2020-01-01"}).json()["rows"] == []
    reads = AuditEvent.objects.filter(action="scheduling.appointments_read").order_by("position")
    assert [len(event.subjects) for event in reads] == [own.count(), 3, 0]


# ---- The escort list -----------------------------------------------------------------------


def test_the_escort_list_holds_only_the_allow_listed_fields_and_nothing_clinical(
    world: World,
) -> None:
    today = published_today(world)
    # One of them is a session of a named service, by a clinician with a full name.
    therapy = add_service(
        actor=world.supervisor,
        facility=world.facility,
        code="individual_therapy",
        name_en="Individual therapy",
        name_es="Terapia individual",
    )
    sessions = add_session_type(
        actor=world.supervisor,
        facility=world.facility,
        code="therapy",
        details=SessionTypeDetails(
            name="Weekly therapy hour",
            kind="individual",
            minutes=50,
            seats=1,
            clinicians=[world.clinician],
            service=therapy,
        ),
    )
    Appointment.objects.filter(pk=Appointment.objects.order_by("pk")[0].pk).update(
        session_type=sessions
    )
    User.objects.filter(pk=world.clinician.pk).update(first_name="Dana", last_name="Okafor")

    response = token_client(world.custody).get(ESCORTS)

    assert response.status_code == 200
    page = response.json()
    assert set(page) == {"facility", "date", "unit", "rows"}
    assert (page["facility"], page["date"], page["unit"]) == ("north", today.isoformat(), "")
    assert len(page["rows"]) == 2
    for row in page["rows"]:
        assert set(row) == CUSTODY_ALLOWED_FIELDS["escort_row"]
        assert row["housing_unit"] == "A Pod"
        assert row["place"].startswith("Health unit, room")
        assert row["needs_escort"] is True
    assert sorted(row["resident_number"] for row in page["rows"]) == ["R0000001", "R0000002"]
    text = response.content.decode()
    clinical = [
        "Individual session",
        "individual",
        "Psychiatry",
        "psychiatry",
        "Weekly therapy hour",
        "Individual therapy",
        "Terapia individual",
        "therapy",
        "sched-clinician",
        "Okafor",
        "Dana",
        "enhanced",
        "minutes",
        "clinician",
    ]
    assert [word for word in clinical if word.lower() in text.lower()] == []
    (read,) = AuditEvent.objects.filter(action="scheduling.escort_list_read")
    assert read.detail["fields"] == sorted(CUSTODY_ALLOWED_FIELDS["escort_row"])


def test_the_escort_list_is_by_day_and_unit(world: World, unit_b: HousingUnit) -> None:
    today = published_today(world)
    custody = token_client(world.custody)

    assert len(custody.get(ESCORTS, {"unit": "A"}).json()["rows"]) == 2
    assert custody.get(ESCORTS, {"unit": "B"}).json()["rows"] == []
    tomorrow = (today + timedelta(days=1)).isoformat()
    assert custody.get(ESCORTS, {"date": tomorrow}).json()["rows"] == []
    # A supervisor reads it too, and a custody officer in a browser.
    assert len(token_client(world.supervisor).get(ESCORTS).json()["rows"]) == 2
    browser = Client()
    browser.force_login(world.custody)
    assert len(browser.get(ESCORTS).json()["rows"]) == 2


# ---- Who may call what ---------------------------------------------------------------------


def test_custody_is_refused_every_scheduling_route_but_the_escort_list(world: World) -> None:
    run = published(world, people=1)
    appointment = Appointment.objects.get()
    custody = token_client(world.custody)
    routes = scheduling_routes()
    assert len(routes) == 9
    before = AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    for method, path in routes:
        url = filled(path, run.pk, appointment.pk)
        response = custody.generic(method.upper(), url, "{}", content_type="application/json")
        if path == ESCORTS:
            assert response.status_code == 200
            continue
        assert response.status_code == 403, (method, url)
        assert b"R0000001" not in response.content
    # Only the escort list's read was recorded; nothing else was read or written.
    assert list(AuditEvent.objects.filter(pk__gt=before).values_list("action", flat=True)) == [
        "scheduling.escort_list_read"
    ]
    assert ScheduleRun.objects.count() == 1
    appointment.refresh_from_db()
    assert appointment.outcome == ""


def test_a_nurse_reads_the_schedules_but_cannot_change_them_or_read_the_day_or_escorts(
    world: World,
) -> None:
    run = published(world, people=1)
    appointment = Appointment.objects.get()
    nurse = token_client(staff_user(Role.NURSE, world.facility))

    for url in (SCHEDULES, f"{SCHEDULES}/{run.pk}", "/api/v1/scheduling/requirements"):
        assert nurse.get(url).status_code == 200, url
    assert nurse.get(APPOINTMENTS).status_code == 403
    assert nurse.get(ESCORTS).status_code == 403
    body = {"start": world.next_monday().isoformat(), "method": "greedy"}
    assert post(nurse, SCHEDULES, body).status_code == 403
    assert post(nurse, f"{SCHEDULES}/{run.pk}/publish").status_code == 403
    outcome = post(nurse, f"{APPOINTMENTS}/{appointment.pk}/outcome", {"outcome": "attended"})
    assert outcome.status_code == 403
    assert ScheduleRun.objects.count() == 1


def test_a_clinician_cannot_propose_or_publish(world: World) -> None:
    world.on_level(1)
    run = propose_schedule(
        actor=world.supervisor,
        facility=world.facility,
        start=world.next_monday(),
        days=7,
        method="greedy",
    )
    clinician = token_client(world.clinician)

    assert post(clinician, f"{SCHEDULES}/{run.pk}/publish").status_code == 403
    body = {"start": world.next_monday().isoformat(), "method": "greedy"}
    assert post(clinician, SCHEDULES, body).status_code == 403
    run.refresh_from_db()
    assert run.status == RunStatus.PROPOSED
    assert ScheduleRun.objects.count() == 1


def test_a_resident_at_a_kiosk_is_refused_every_scheduling_route(
    world: World,
    kiosk_token: str,  # noqa: F811
) -> None:
    run = published(world, people=1)
    appointment = Appointment.objects.get()
    at_kiosk = kiosk_client(kiosk_token, resident_user(appointment.requirement.booking))
    for method, path in scheduling_routes():
        url = filled(path, run.pk, appointment.pk)
        response = at_kiosk.generic(method.upper(), url, "{}", content_type="application/json")
        assert response.status_code in (401, 403), (method, url)
        assert b"R0000001" not in response.content
    appointment.refresh_from_db()
    assert appointment.outcome == ""


def test_a_supervisor_of_another_facility_finds_nothing_here(
    world: World, other_facility: Facility
) -> None:
    published_today(world, people=1)
    run = ScheduleRun.objects.get()
    appointment = Appointment.objects.get()
    elsewhere = token_client(staff_user(Role.SUPERVISOR, other_facility))

    assert elsewhere.get(f"{SCHEDULES}/{run.pk}").status_code == 404
    assert post(elsewhere, f"{SCHEDULES}/{run.pk}/publish").status_code == 404
    outcome = post(elsewhere, f"{APPOINTMENTS}/{appointment.pk}/outcome", {"outcome": "attended"})
    assert outcome.status_code == 404
    for url in (
        "/api/v1/scheduling/availability",
        "/api/v1/scheduling/requirements",
        SCHEDULES,
        APPOINTMENTS,
        ESCORTS,
    ):
        assert elsewhere.get(url, {"facility": "north"}).status_code == 404, url
        # Their own facility has nothing of North's.
        assert b"R0000001" not in elsewhere.get(url).content, url
    body = {"facility": "north", "start": world.next_monday().isoformat(), "method": "greedy"}
    assert post(elsewhere, SCHEDULES, body).status_code == 404
    assert ScheduleRun.objects.count() == 1
    appointment.refresh_from_db()
    assert appointment.outcome == ""
