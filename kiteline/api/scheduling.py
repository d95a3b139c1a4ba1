"""Scheduling, scoped like its pages: health staff read the facility's capacity, its
requirements and waitlist and its schedules; a supervisor proposes and publishes a
schedule; clinicians and supervisors read a day's appointments and record what happened;
custody and supervisors read the escort list.

Custody may call only the escort list, whose rows hold a place and a time and nothing
clinical (I6): session types, clinicians, lengths and services are clinical, so every
other route refuses custody. Reads are the pages' selectors, which record one read event
per answer that names people (I7); writes are the services, which record theirs. A change
the service refuses is 400 with its reason; a schedule that cannot be published as it
stands is 409.
"""

import datetime as dt

from django.http import HttpRequest
from django.utils import timezone
from ninja import Router, Status
from ninja.errors import HttpError

from kiteline.accounts.authz import acting_user
from kiteline.accounts.models import HEALTH_ROLES, Role, User
from kiteline.api.auth import roles
from kiteline.api.kite_schemas import ErrorOut
from kiteline.api.scheduling_schemas import (
    CapacityOut,
    ClinicianOut,
    DayAppointmentsOut,
    EscortListOut,
    OutcomeIn,
    OutcomeOut,
    ProposeIn,
    RequirementsOut,
    RunOut,
    ScheduleListOut,
    SchedulePageOut,
)
from kiteline.facilities.models import Facility
from kiteline.kites.selectors import local_time
from kiteline.scheduling.guards import ScheduleError
from kiteline.scheduling.problem_source import local_date
from kiteline.scheduling.selectors import (
    ESCORT_ROLES,
    appointment_for_action,
    appointments_of_day,
    capacity,
    escort_list,
    facility_for,
    requirements_page,
    run_for_action,
    schedule_list,
    schedule_page,
)
from kiteline.scheduling.services import propose_schedule, publish_schedule, record_outcome

router = Router(tags=["scheduling"])

OUTCOME_ROLES = (Role.CLINICIAN, Role.SUPERVISOR)


def _zone(facility_code: str) -> str:
    return Facility.objects.values_list("time_zone", flat=True).get(code=facility_code)


def _schedule(actor: User, run_id: int) -> dict[str, object]:
    page = schedule_page(actor=actor, run_id=run_id, now=timezone.now())
    return {
        "run": RunOut.of(page.run, _zone(page.facility_code)),
        "facility": page.facility_code,
        "parts": page.report.get("parts", []),
        "days": [{"date": day, "appointments": rows} for day, rows in page.days],
        "removed": page.removed,
        "shortfall": page.shortfall,
        "unscheduled": page.unscheduled,
        "editable": page.editable,
    }


# ---- Capacity, requirements and the waitlist ---------------------------------------------


@router.get("/scheduling/availability", response=CapacityOut, auth=roles(*HEALTH_ROLES))
def availability(request: HttpRequest, facility: str | None = None) -> dict[str, object]:
    """A facility's capacity: movement periods, rooms, session types with the clinicians
    who may hold them, clinicians' weekly hours and their exceptions from today on, and
    movement restrictions from today on. `facility` is a facility code, the caller's first
    when left out. Names no resident: records no read."""
    actor = acting_user(request)
    place = facility_for(actor=actor, facility_code=facility)
    found = capacity(actor=actor, facility_code=place.code, today=local_date(place, timezone.now()))
    return {
        "facility": found.facility_code,
        "periods": [{"start": start, "end": end} for start, end in found.periods],
        "horizon_days": found.horizon_days,
        "unescorted_units": found.unescorted_units,
        "rooms": found.rooms,
        "session_types": found.session_types,
        "clinicians": [ClinicianOut.of(hours) for hours in found.clinicians],
        "restrictions": found.restrictions,
    }


@router.get("/scheduling/requirements", response=RequirementsOut, auth=roles(*HEALTH_ROLES))
def requirements(request: HttpRequest, facility: str | None = None) -> dict[str, object]:
    """The facility's open requirements by due date, and the waitlist (approved services
    not yet scheduled) in its documented order: higher acuity first, then who has waited
    longest."""
    page = requirements_page(actor=acting_user(request), facility_code=facility, now=timezone.now())
    return {
        "facility": page.facility_code,
        "today": page.today,
        "rows": page.rows,
        "waitlist": page.waitlist,
    }


# ---- Schedules ---------------------------------------------------------------------------


@router.get("/scheduling/schedules", response=ScheduleListOut, auth=roles(*HEALTH_ROLES))
def schedules(request: HttpRequest, facility: str | None = None) -> dict[str, object]:
    """The facility's proposed, published and discarded schedules, newest first, with
    their counts, score and shortfall in clinician-hours. Names nobody: records no read."""
    found = schedule_list(actor=acting_user(request), facility_code=facility, now=timezone.now())
    zone = _zone(found.facility_code)
    return {
        "facility": found.facility_code,
        "today": found.today,
        "horizon_days": found.horizon_days,
        "runs": [RunOut.of(run, zone) for run in found.runs],
    }


@router.post(
    "/scheduling/schedules",
    response={201: SchedulePageOut, 400: ErrorOut},
    auth=roles(Role.SUPERVISOR),
)
def propose(request: HttpRequest, payload: ProposeIn) -> Status[dict[str, object]]:
    """Refresh the facility's requirements, then solve and store a proposal, while the
    caller waits (up to `time_limit` seconds for CP-SAT). 201 and the proposal as `GET`
    shows it; nothing is published until the supervisor publishes it."""
    actor = acting_user(request)
    place = facility_for(actor=actor, facility_code=payload.facility, roles={Role.SUPERVISOR})
    try:
        run = propose_schedule(
            actor=actor,
            facility=place,
            start=payload.start,
            days=payload.days,
            method=payload.method,
            time_limit=payload.time_limit,
        )
    except ScheduleError as error:
        raise HttpError(400, str(error)) from error
    return Status(201, _schedule(actor, run.pk))


@router.get("/scheduling/schedules/{run_id}", response=SchedulePageOut, auth=roles(*HEALTH_ROLES))
def schedule(request: HttpRequest, run_id: int) -> dict[str, object]:
    """One schedule day by day, with its score, each stage's bound and gap, the shortfall
    by week and session type, what was taken out and what it could not place."""
    return _schedule(acting_user(request), run_id)


@router.post(
    "/scheduling/schedules/{run_id}/publish",
    response={200: SchedulePageOut, 409: ErrorOut},
    auth=roles(Role.SUPERVISOR),
)
def publish(request: HttpRequest, run_id: int) -> dict[str, object]:
    """Publish a proposal under the caller's name: its appointments become the facility's,
    those it plans again are withdrawn (so no requirement holds two) and other proposals
    discarded. 409 with every reason when it is not a proposal, starts today or earlier,
    or breaks a hard rule (after a hand edit, or capacity changed since: a session type,
    room or clinician no longer in use), and nothing is published."""
    actor = acting_user(request)
    run = run_for_action(actor=actor, run_id=run_id)
    try:
        publish_schedule(actor=actor, run=run)
    except ScheduleError as error:
        raise HttpError(409, str(error)) from error
    return _schedule(actor, run.pk)


# ---- Appointments and outcomes -----------------------------------------------------------


@router.get("/scheduling/appointments", response=DayAppointmentsOut, auth=roles(*OUTCOME_ROLES))
def appointments(
    request: HttpRequest,
    facility: str | None = None,
    date: dt.date | None = None,
    mine: bool = False,
) -> dict[str, object]:
    """A day's published appointments (today at the facility when `date` is left out),
    the caller's own with `mine=true`, each with its outcome."""
    actor = acting_user(request)
    place = facility_for(actor=actor, facility_code=facility, roles=OUTCOME_ROLES)
    page = appointments_of_day(
        actor=actor,
        facility_code=place.code,
        day=date or local_date(place, timezone.now()),
        mine_only=mine,
        now=timezone.now(),
    )
    return {
        "facility": page.facility_code,
        "date": page.day,
        "today": page.today,
        "mine_only": page.mine_only,
        "rows": page.rows,
    }


@router.post(
    "/scheduling/appointments/{appointment_id}/outcome",
    response={200: OutcomeOut, 400: ErrorOut},
    auth=roles(*OUTCOME_ROLES),
)
def outcome(request: HttpRequest, appointment_id: int, payload: OutcomeIn) -> OutcomeOut:
    """Record what happened to a published appointment, once, on or after its day. A
    refusal says what was offered next and a clinician's cancellation why (`note`); a
    cancellation by custody gives `custody_reason`. Anything but `attended` leaves the
    contact to be scheduled again."""
    actor = acting_user(request)
    appointment = appointment_for_action(actor=actor, appointment_id=appointment_id)
    try:
        recorded = record_outcome(
            actor=actor,
            appointment=appointment,
            outcome=payload.outcome,
            note=payload.note,
            custody_reason=payload.custody_reason,
        )
    except ScheduleError as error:
        raise HttpError(400, str(error)) from error
    assert recorded.outcome_at is not None  # noqa: S101 -- the service has just written it
    return OutcomeOut(
        appointment_id=recorded.pk,
        number=recorded.number,
        outcome=recorded.outcome,
        custody_reason=recorded.custody_reason,
        note=recorded.outcome_note,
        recorded_at=local_time(recorded.outcome_at, recorded.facility.time_zone),
    )


# ---- The escort list, for custody --------------------------------------------------------


@router.get("/scheduling/escorts", response=EscortListOut, auth=roles(*ESCORT_ROLES))
def escorts(
    request: HttpRequest,
    facility: str | None = None,
    date: dt.date | None = None,
    unit: str = "",
) -> dict[str, object]:
    """Who goes where and when on a day (today at the facility when `date` is left out),
    by housing unit and time, and whether an officer walks them; `unit` is a housing
    unit's code. A place and a time only: no session type, clinician, length or service."""
    actor = acting_user(request)
    place = facility_for(actor=actor, facility_code=facility, roles=ESCORT_ROLES)
    found = escort_list(
        actor=actor,
        facility_code=place.code,
        day=date or local_date(place, timezone.now()),
        unit_code=unit,
    )
    return {
        "facility": found.facility_code,
        "date": found.date,
        "unit": found.unit,
        "rows": found.rows,
    }
