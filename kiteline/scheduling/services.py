"""Writes to scheduling: capacity (settings, rooms, session types, clinicians' hours and
exceptions, movement restrictions), requirements, proposed and published schedules, and
outcomes. Each is one transaction with its audit event (I7); details name records and
fields, never clinical values."""

import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from kiteline.accounts.models import Role, User
from kiteline.audit.recording import record_event
from kiteline.care.models import Service
from kiteline.facilities.models import Facility, HousingUnit, Person
from kiteline.kites.models import Heartbeat
from kiteline.scheduling import problem as core
from kiteline.scheduling.checks import violations
from kiteline.scheduling.greedy import greedy
from kiteline.scheduling.models import (
    Appointment,
    AppointmentOutcome,
    AppointmentStatus,
    AvailabilityException,
    CloseReason,
    CustodyReason,
    ExceptionReason,
    MovementRestriction,
    Requirement,
    RestrictionKind,
    Room,
    RunStatus,
    ScheduleRun,
    SchedulingSettings,
    SessionType,
    Source,
    WeeklyWindow,
)
from kiteline.scheduling.optimizer import SolveOptions, optimize
from kiteline.scheduling.problem_source import load_problem, pending_appointments, periods_of
from kiteline.scheduling.requirement_rules import Spec, specs
from kiteline.scheduling.requirement_sources import gather_facts
from kiteline.scheduling.schedule import Appointment as CoreAppointment
from kiteline.scheduling.schedule import Schedule
from kiteline.scheduling.shortfall import shortfall

NOTE_MAX_LENGTH = 2000
MAX_HORIZON_DAYS = 28
METHODS = ("cp-sat", "greedy")
# Words custody must not read in a place's name: they would reveal the service (I6).
_CLINICAL_WORDS = re.compile(
    r"psych|therap|counsel|mental|crisis|group|clinic|medicat|suicid|depress|trauma|ptsd"
    r"|psiqui|terapi|salud mental",
    re.IGNORECASE,
)


class ScheduleError(ValueError):
    """A scheduling change that cannot be made, with the reason in plain words."""


def _audit(
    action: str,
    *,
    actor: User | None,
    facility: Facility,
    subjects: Sequence[str] = (),
    person: Person | None = None,
    **detail: object,
) -> None:
    record_event(
        actor=actor,
        action=action,
        facility=facility,
        person=person,
        subjects=subjects,
        detail=detail or None,
    )


def _require(actor: User, roles: Collection[Role], what: str) -> None:
    if not actor.is_staff_member or actor.role not in roles:
        raise ScheduleError(f"Your role cannot {what}.")


def _at_facility(actor: User, facility: Facility) -> None:
    if not actor.facilities.filter(pk=facility.pk).exists():
        raise ScheduleError("That is not at your facilities.")


def _supervising(actor: User, facility: Facility, what: str) -> None:
    _require(actor, {Role.SUPERVISOR}, what)
    _at_facility(actor, facility)


def _text(value: str, what: str, *, required: bool = True) -> str:
    if "\x00" in value:
        raise ScheduleError(f"The {what} holds a character that cannot be stored (NUL).")
    value = value.strip()
    if required and not value:
        raise ScheduleError(f"Give the {what}.")
    if len(value) > NOTE_MAX_LENGTH:
        raise ScheduleError(f"The {what} is longer than {NOTE_MAX_LENGTH} characters.")
    return value


def _window(start: int, end: int, what: str) -> core.Window:
    if not 0 <= start < end <= core.DAY_MINUTES:
        raise ScheduleError(f"The {what} must start before it ends, within one day.")
    return core.Window(start, end)


def local_today(facility: Facility, now: datetime) -> date:
    return now.astimezone(ZoneInfo(facility.time_zone)).date()


# ---- Capacity --------------------------------------------------------------------------


@transaction.atomic
def save_scheduling_settings(
    *,
    actor: User,
    facility: Facility,
    periods: Sequence[tuple[int, int]],
    horizon_days: int,
    unescorted_units: Collection[HousingUnit] = (),
) -> SchedulingSettings:
    _supervising(actor, facility, "change scheduling settings")
    windows = sorted((_window(s, e, "movement period") for s, e in periods), key=lambda w: w.start)
    if not windows:
        raise ScheduleError("Give at least one movement period.")
    if any(a.overlaps(b) for a, b in pairwise(windows)):
        raise ScheduleError("Movement periods must not overlap.")
    if not 1 <= horizon_days <= MAX_HORIZON_DAYS:
        raise ScheduleError(f"The horizon is from 1 to {MAX_HORIZON_DAYS} days.")
    if any(unit.facility_id != facility.pk for unit in unescorted_units):
        raise ScheduleError("A housing unit named is not at this facility.")
    settings, _ = SchedulingSettings.objects.update_or_create(
        facility=facility,
        defaults={
            "periods": [[w.start, w.end] for w in windows],
            "horizon_days": horizon_days,
            "updated_by": actor,
            "updated_at": timezone.now(),
        },
    )
    settings.unescorted_units.set(list(unescorted_units))
    _audit(
        "scheduling.settings",
        actor=actor,
        facility=facility,
        subjects=[f"scheduling_settings:{settings.pk}"],
        fields=["periods", "horizon_days", "unescorted_units"],
    )
    return settings


def _place_name(name: str, facility: Facility) -> str:
    name = _text(name, "room name")
    if len(name) > 100:
        raise ScheduleError("A room name is at most 100 characters.")
    services = Service.objects.filter(facility=facility).values_list("name_en", "name_es")
    named = [n.lower() for pair in services for n in pair if n]
    if _CLINICAL_WORDS.search(name) or any(n in name.lower() for n in named):
        raise ScheduleError(
            "Custody reads a room's name on the escort list: name the place "
            "(“Health unit, room 3”), never a service."
        )
    return name


@transaction.atomic
def add_room(
    *, actor: User, facility: Facility, code: str, name: str, seats: int, on_site: bool = True
) -> Room:
    _supervising(actor, facility, "add rooms")
    if not re.fullmatch(r"[a-z0-9_-]{1,32}", code):
        raise ScheduleError("A room code is 1 to 32 lower-case letters, digits, - or _.")
    if Room.objects.filter(facility=facility, code=code).exists():
        raise ScheduleError(f"There is already a room {code}.")
    if seats < 1:
        raise ScheduleError("A room seats at least one person.")
    room = Room.objects.create(
        facility=facility,
        code=code,
        name=_place_name(name, facility),
        seats=seats,
        on_site=on_site,
    )
    _audit("scheduling.room_add", actor=actor, facility=facility, subjects=[f"room:{room.pk}"])
    return room


@transaction.atomic
def update_room(
    *, actor: User, room: Room, name: str, seats: int, on_site: bool, active: bool
) -> Room:
    _supervising(actor, room.facility, "change rooms")
    if seats < 1:
        raise ScheduleError("A room seats at least one person.")
    room.name, room.seats = _place_name(name, room.facility), seats
    room.on_site, room.active = on_site, active
    room.save()
    _audit(
        "scheduling.room_update",
        actor=actor,
        facility=room.facility,
        subjects=[f"room:{room.pk}"],
        fields=["name", "seats", "on_site", "active"],
    )
    return room


@dataclass(frozen=True)
class SessionTypeDetails:
    name: str
    kind: str
    minutes: int
    seats: int
    clinicians: Collection[User]
    service: Service | None = None
    every_days: int | None = None
    active: bool = True


def _checked_session(facility: Facility, details: SessionTypeDetails) -> SessionTypeDetails:
    if details.kind not in core.Kind.__members__.values():
        raise ScheduleError(f"{details.kind!r} is not a kind of session.")
    longest = max(period.minutes for period in periods_of(facility))
    if not 1 <= details.minutes <= longest:
        raise ScheduleError(f"A session lasts from 1 to {longest} minutes (a movement period).")
    group = details.kind == core.Kind.GROUP
    if group and details.seats < 2:
        raise ScheduleError("A group seats at least two.")
    if not group and details.seats != 1:
        raise ScheduleError("Only a group seats more than one person.")
    if details.every_days is not None and not 1 <= details.every_days <= 366:
        raise ScheduleError("Sessions repeat every 1 to 366 days.")
    if details.service is not None and details.service.facility_id != facility.pk:
        raise ScheduleError("That service is not at this facility.")
    for clinician in details.clinicians:
        if (
            clinician.role != Role.CLINICIAN
            or not clinician.facilities.filter(pk=facility.pk).exists()
        ):
            raise ScheduleError(f"{clinician.username} is not a clinician at this facility.")
    return SessionTypeDetails(
        name=_text(details.name, "session type name")[:100],
        kind=details.kind,
        minutes=details.minutes,
        seats=details.seats,
        clinicians=details.clinicians,
        service=details.service,
        every_days=details.every_days,
        active=details.active,
    )


@transaction.atomic
def add_session_type(
    *, actor: User, facility: Facility, code: str, details: SessionTypeDetails
) -> SessionType:
    _supervising(actor, facility, "add session types")
    if not re.fullmatch(r"[a-z0-9_-]{1,32}", code):
        raise ScheduleError("A session type code is 1 to 32 lower-case letters, digits, - or _.")
    if SessionType.objects.filter(facility=facility, code=code).exists():
        raise ScheduleError(f"There is already a session type {code}.")
    checked = _checked_session(facility, details)
    session = SessionType.objects.create(
        facility=facility,
        code=code,
        name=checked.name,
        kind=checked.kind,
        minutes=checked.minutes,
        seats=checked.seats,
        service=checked.service,
        every_days=checked.every_days,
        active=checked.active,
    )
    session.clinicians.set(list(checked.clinicians))
    _audit(
        "scheduling.session_type_add",
        actor=actor,
        facility=facility,
        subjects=[f"session_type:{session.pk}"],
    )
    return session


@transaction.atomic
def update_session_type(
    *, actor: User, session: SessionType, details: SessionTypeDetails
) -> SessionType:
    _supervising(actor, session.facility, "change session types")
    checked = _checked_session(session.facility, details)
    session.name, session.kind, session.minutes = checked.name, checked.kind, checked.minutes
    session.seats, session.service = checked.seats, checked.service
    session.every_days, session.active = checked.every_days, checked.active
    session.save()
    session.clinicians.set(list(checked.clinicians))
    _audit(
        "scheduling.session_type_update",
        actor=actor,
        facility=session.facility,
        subjects=[f"session_type:{session.pk}"],
        fields=["name", "kind", "minutes", "seats", "clinicians", "service", "every_days"],
    )
    return session


def _clinician_here(clinician: User, facility: Facility) -> None:
    if clinician.role != Role.CLINICIAN or not clinician.facilities.filter(pk=facility.pk).exists():
        raise ScheduleError(f"{clinician.username} is not a clinician at this facility.")


@transaction.atomic
def set_weekly_hours(
    *,
    actor: User,
    facility: Facility,
    clinician: User,
    windows: Sequence[tuple[int, int, int]],
) -> list[WeeklyWindow]:
    """Replace a clinician's weekly template: (weekday, start, end), Monday is 0."""
    _supervising(actor, facility, "set clinicians' hours")
    _clinician_here(clinician, facility)
    by_day: dict[int, list[core.Window]] = {}
    for weekday, start, end in windows:
        if not 0 <= weekday <= 6:
            raise ScheduleError("A weekday is from 0 (Monday) to 6 (Sunday).")
        by_day.setdefault(weekday, []).append(_window(start, end, "working window"))
    for day_windows in by_day.values():
        ordered = sorted(day_windows, key=lambda w: w.start)
        if any(a.overlaps(b) for a, b in pairwise(ordered)):
            raise ScheduleError("Working windows on one day must not overlap.")
    WeeklyWindow.objects.filter(facility=facility, clinician=clinician).delete()
    created = WeeklyWindow.objects.bulk_create(
        WeeklyWindow(
            facility=facility, clinician=clinician, weekday=d, start_minute=s, end_minute=e
        )
        for d, s, e in sorted(windows)
    )
    _audit(
        "scheduling.weekly_hours",
        actor=actor,
        facility=facility,
        subjects=[f"user:{clinician.pk}"],
        windows=len(created),
    )
    return created


@transaction.atomic
def add_availability_exception(
    *,
    actor: User,
    facility: Facility,
    clinician: User,
    day: date,
    window: tuple[int, int] | None,
    reason: str,
) -> AvailabilityException:
    """A day off (no window), or the only hours worked that day."""
    _supervising(actor, facility, "record leave and training")
    _clinician_here(clinician, facility)
    if reason not in ExceptionReason.values:
        raise ScheduleError("Choose why the usual hours do not apply.")
    if window is not None:
        checked = _window(*window, "hours worked")
        same_day = AvailabilityException.objects.filter(
            facility=facility, clinician=clinician, date=day
        )
        for other in same_day:
            if other.start_minute is None or other.end_minute is None:
                raise ScheduleError("That day is already recorded as a day off.")
            if checked.overlaps(core.Window(other.start_minute, other.end_minute)):
                raise ScheduleError("Those hours overlap hours already recorded that day.")
    elif AvailabilityException.objects.filter(
        facility=facility, clinician=clinician, date=day
    ).exists():
        raise ScheduleError("That day already has hours recorded; remove them first.")
    exception = AvailabilityException.objects.create(
        facility=facility,
        clinician=clinician,
        date=day,
        start_minute=window[0] if window else None,
        end_minute=window[1] if window else None,
        reason=reason,
    )
    _audit(
        "scheduling.exception_add",
        actor=actor,
        facility=facility,
        subjects=[f"user:{clinician.pk}", f"availability_exception:{exception.pk}"],
        reason=reason,
    )
    return exception


@transaction.atomic
def remove_availability_exception(*, actor: User, exception: AvailabilityException) -> None:
    facility = Facility.objects.get(pk=exception.facility_id)
    _supervising(actor, facility, "record leave and training")
    subject = f"availability_exception:{exception.pk}"
    exception.delete()
    _audit("scheduling.exception_remove", actor=actor, facility=facility, subjects=[subject])


@transaction.atomic
def add_restriction(
    *,
    actor: User,
    facility: Facility,
    unit: HousingUnit | None,
    day: date,
    start_minute: int,
    end_minute: int,
    kind: str,
) -> MovementRestriction:
    """Movement stopped on a date, for a unit or (no unit) the whole facility. Supervisors
    and custody record them: custody knows first when a unit locks down."""
    _require(actor, {Role.SUPERVISOR, Role.CUSTODY}, "record movement restrictions")
    _at_facility(actor, facility)
    if unit is not None and unit.facility_id != facility.pk:
        raise ScheduleError("That housing unit is not at this facility.")
    if kind not in RestrictionKind.values:
        raise ScheduleError("Choose what stops movement.")
    _window(start_minute, end_minute, "restriction")
    restriction = MovementRestriction.objects.create(
        facility=facility,
        unit=unit,
        date=day,
        start_minute=start_minute,
        end_minute=end_minute,
        kind=kind,
        created_by=actor,
        created_at=timezone.now(),
    )
    _audit(
        "scheduling.restriction_add",
        actor=actor,
        facility=facility,
        subjects=[f"movement_restriction:{restriction.pk}"],
        kind=kind,
    )
    return restriction


@transaction.atomic
def remove_restriction(*, actor: User, restriction: MovementRestriction) -> None:
    facility = Facility.objects.get(pk=restriction.facility_id)
    _require(actor, {Role.SUPERVISOR, Role.CUSTODY}, "record movement restrictions")
    _at_facility(actor, facility)
    subject = f"movement_restriction:{restriction.pk}"
    restriction.delete()
    _audit("scheduling.restriction_remove", actor=actor, facility=facility, subjects=[subject])


# ---- Requirements ----------------------------------------------------------------------


@dataclass(frozen=True)
class RefreshResult:
    opened: int
    updated: int
    closed: int
    # Specs no session type can hold here (no active session type of the kind needed).
    unplaceable: tuple[str, ...]


# What a refresh may change on an open requirement, by attribute; the session type by id,
# so that comparing reads no row.
_UPDATED_FIELDS = ("session_type_id", "earliest", "due", "acuity", "mandatory", "waiting_since")


def _session_for(spec: Spec, sessions: list[SessionType]) -> SessionType | None:
    if isinstance(spec.session, core.Kind):
        # A required contact takes the facility's general session type of its kind: one
        # that delivers no particular service.
        general = [s for s in sessions if s.kind == spec.session and s.service_id is None]
        return general[0] if general else None
    return next((s for s in sessions if s.code == spec.session), None)


@transaction.atomic
def refresh_requirements(*, actor: User | None, facility: Facility, now: datetime) -> RefreshResult:
    """Bring the facility's requirements in line with levels, decisions, kites, evaluations
    and the roster. Opens what is newly needed, updates due dates that moved (a new level,
    an attended contact), and closes, with the reason, what is needed no longer (a release,
    a transfer, a kite seen, an evaluation done). Appointments waiting for a requirement
    that closed are withdrawn. Idempotent: a second run changes nothing."""
    if actor is not None:
        _require(actor, {Role.SUPERVISOR, Role.CLINICIAN, Role.NURSE}, "update requirements")
        _at_facility(actor, facility)
    sessions = list(SessionType.objects.filter(facility=facility, active=True).order_by("code"))
    wanted: dict[tuple[int, str], tuple[Spec, SessionType]] = {}
    unplaceable = []
    # Still needed though nothing here can hold them now: an open one stays open as it is
    # (closing it would say, falsely, that it was done or is no longer needed).
    held: set[tuple[int, str]] = set()
    for spec in specs(gather_facts(facility)):
        session = _session_for(spec, sessions)
        if session is None:
            unplaceable.append(f"{spec.key} needs a {spec.session} session type")
            held.add((spec.booking, spec.key))
        else:
            wanted[(spec.booking, spec.key)] = (spec, session)
    # Those of people held here now, and those this facility opened for people since moved.
    open_here = (
        Requirement.objects.select_for_update()
        .filter(Q(facility=facility) | Q(booking__facility=facility), closed_at__isnull=True)
        .select_related("booking")
    )
    opened, updated, closed = [], [], []
    for requirement in open_here:
        reason = _close_reason(requirement, facility, wanted, held)
        if reason is not None:
            requirement.closed_at, requirement.close_reason = now, reason
            requirement.save(update_fields=["closed_at", "close_reason"])
            closed.append(requirement)
            continue
        if requirement.facility_id != facility.pk or (
            (requirement.booking_id, requirement.key) in held
        ):
            continue
        spec, session = wanted.pop((requirement.booking_id, requirement.key))
        values = _values(spec, session)
        if any(getattr(requirement, f) != values[f] for f in _UPDATED_FIELDS):
            for field in _UPDATED_FIELDS:
                setattr(requirement, field, values[field])
            requirement.save(update_fields=[f.removesuffix("_id") for f in _UPDATED_FIELDS])
            updated.append(requirement)
    bookings = dict(
        facility.bookings.filter(pk__in={b for b, _ in wanted}).values_list("pk", "person_id")
    )
    for (booking_id, key), (spec, session) in sorted(wanted.items()):
        opened.append(
            Requirement.objects.create(
                facility=facility,
                booking_id=booking_id,
                person_id=bookings[booking_id],
                source=spec.source,
                key=key,
                decision_id=spec.decision,
                opened_at=now,
                **_values(spec, session),
            )
        )
    withdrawn = Appointment.objects.filter(
        pending_appointments(), requirement__in=[r.pk for r in closed]
    ).update(status=AppointmentStatus.WITHDRAWN)
    if opened or updated or closed:
        _audit(
            "scheduling.requirements_refresh",
            actor=actor,
            facility=facility,
            subjects=[f"requirement:{r.pk}" for r in opened + updated + closed],
            opened=len(opened),
            updated=len(updated),
            closed=len(closed),
            appointments_withdrawn=withdrawn,
        )
    return RefreshResult(len(opened), len(updated), len(closed), tuple(unplaceable))


# The sweep brings every facility's requirements up to date this often: often enough that a
# release or a new level shows within minutes, rarely enough to cost nothing at scale.
REFRESH_EVERY = timedelta(minutes=10)
REFRESH_HEARTBEAT = "requirements"


def refresh_due_requirements(now: datetime) -> int:
    """For the sweep: refresh each facility that schedules, when the last refresh is older
    than REFRESH_EVERY. The number of facilities refreshed."""
    last = Heartbeat.objects.filter(name=REFRESH_HEARTBEAT).values_list("beat_at", flat=True)
    if last and now - last[0] < REFRESH_EVERY:
        return 0
    facilities = Facility.objects.filter(session_types__active=True).distinct()
    for facility in facilities:
        refresh_requirements(actor=None, facility=facility, now=now)
    Heartbeat.objects.update_or_create(name=REFRESH_HEARTBEAT, defaults={"beat_at": now})
    return len(facilities)


def _close_reason(
    requirement: Requirement,
    facility: Facility,
    wanted: dict[tuple[int, str], tuple[Spec, SessionType]],
    held: set[tuple[int, str]],
) -> str | None:
    booking = requirement.booking
    if booking.released_at is not None:
        return CloseReason.RELEASED
    if booking.facility_id != requirement.facility_id:
        return CloseReason.TRANSFERRED
    if requirement.facility_id != facility.pk:
        return None  # another facility's to settle
    if (requirement.booking_id, requirement.key) in wanted or (
        (requirement.booking_id, requirement.key) in held
    ):
        return None
    if requirement.source in (Source.KITE, Source.EVALUATION):
        return CloseReason.DONE_ELSEWHERE
    return CloseReason.NO_LONGER_REQUIRED


def _values(spec: Spec, session: SessionType) -> dict[str, object]:
    return {
        "session_type_id": session.pk,
        "earliest": spec.earliest,
        "due": spec.due,
        "acuity": spec.acuity,
        "mandatory": spec.mandatory,
        "waiting_since": spec.waiting_since,
    }


# ---- Schedules -------------------------------------------------------------------------


def _report(solved: Schedule, problem: core.Problem) -> dict[str, object]:
    return {
        "status": str(solved.status),
        "score": {
            "missed": solved.score.missed,
            "late": solved.score.late,
            "missed_acuity": solved.score.missed_acuity,
            "late_acuity": solved.score.late_acuity,
            "waiting": solved.score.waiting,
            "other_clinician": solved.score.other_clinician,
        },
        "parts": [
            {"name": p.name, "value": p.value, "bound": p.bound, "gap": round(p.gap, 4)}
            for p in solved.parts
        ],
        "gap": None if solved.gap is None else round(solved.gap, 4),
        "unscheduled": list(solved.unscheduled),
        "missed": list(solved.missed),
        "late": list(solved.late),
        "shortfall": [
            {
                "week": row.week,
                "session_type": row.session_type,
                "requirements": row.requirements,
                "minutes": row.minutes,
            }
            for row in shortfall(problem, solved)
        ],
    }


def propose_schedule(
    *,
    actor: User,
    facility: Facility,
    start: date,
    days: int | None = None,
    method: str = "cp-sat",
    time_limit: float = 10.0,
) -> ScheduleRun:
    """Refresh the requirements, then solve and store a proposal. The solve runs outside
    any transaction (it may take the whole time limit); the proposal is written in one."""
    _supervising(actor, facility, "propose schedules")
    if method not in METHODS:
        raise ScheduleError(f"Choose a method: {', '.join(METHODS)}.")
    if days is not None and not 1 <= days <= MAX_HORIZON_DAYS:
        raise ScheduleError(f"A schedule covers 1 to {MAX_HORIZON_DAYS} days.")
    if start < local_today(facility, timezone.now()):
        raise ScheduleError("A schedule cannot start in the past.")
    refresh_requirements(actor=actor, facility=facility, now=timezone.now())
    source = load_problem(facility, start, days)
    try:
        core.check_problem(source.problem)
    except core.ProblemError as error:
        raise ScheduleError("The capacity data is inconsistent: " + str(error)) from error
    if method == "greedy":
        solved = greedy(source.problem)
    else:
        options = SolveOptions(time_limit=time_limit, workers=2, seed=0)
        solved = optimize(source.problem, options).schedule
    with transaction.atomic():
        run = ScheduleRun.objects.create(
            facility=facility,
            start=start,
            days=source.problem.days,
            method=method,
            solve_status=str(solved.status),
            report=_report(solved, source.problem),
            seconds=round(solved.seconds, 3),
            created_by=actor,
            created_at=timezone.now(),
        )
        Appointment.objects.bulk_create(
            Appointment(
                run=run,
                facility=facility,
                requirement=(requirement := source.requirements[a.requirement]),
                person_id=requirement.person_id,
                session_type=source.session_types[a.session_type],
                clinician=source.clinicians[a.clinician],
                room=source.rooms[a.room],
                date=a.date,
                start_minute=a.start,
                minutes=a.minutes,
                group=a.group or "",
            )
            for a in solved.appointments
        )
        _audit(
            "scheduling.propose",
            actor=actor,
            facility=facility,
            subjects=[f"schedule_run:{run.pk}"],
            method=method,
            appointments=len(solved.appointments),
        )
    return run


def _proposed(appointment: Appointment, actor: User) -> None:
    facility = Facility.objects.get(pk=appointment.facility_id)
    _supervising(actor, facility, "edit schedules")
    if appointment.run.status != RunStatus.PROPOSED:
        raise ScheduleError("Only a proposed schedule can be edited.")
    if appointment.status != AppointmentStatus.PROPOSED:
        raise ScheduleError("That appointment was already taken out of the proposal.")


@transaction.atomic
def move_appointment(
    *,
    actor: User,
    appointment: Appointment,
    day: date,
    start_minute: int,
    clinician: User,
    room: Room,
) -> Appointment:
    """A supervisor's hand edit of a proposal; the hard rules are checked at publishing."""
    _proposed(appointment, actor)
    run = appointment.run
    if not run.start <= day < run.start + timedelta(days=run.days):
        raise ScheduleError("Keep the appointment within the schedule's dates.")
    _window(start_minute, start_minute + appointment.minutes, "appointment")
    if room.facility_id != appointment.facility_id:
        raise ScheduleError("That room is not at this facility.")
    _clinician_here(clinician, room.facility)
    appointment.date, appointment.start_minute = day, start_minute
    appointment.clinician, appointment.room = clinician, room
    appointment.save(update_fields=["date", "start_minute", "clinician", "room"])
    _audit(
        "scheduling.appointment_move",
        actor=actor,
        facility=room.facility,
        subjects=[f"appointment:{appointment.pk}", f"schedule_run:{run.pk}"],
        fields=["date", "start_minute", "clinician", "room"],
    )
    return appointment


@transaction.atomic
def remove_from_proposal(*, actor: User, appointment: Appointment) -> None:
    _proposed(appointment, actor)
    appointment.status = AppointmentStatus.WITHDRAWN
    appointment.save(update_fields=["status"])
    _audit(
        "scheduling.appointment_remove",
        actor=actor,
        facility=Facility.objects.get(pk=appointment.facility_id),
        subjects=[f"appointment:{appointment.pk}", f"schedule_run:{appointment.run_id}"],
    )


def _hard_rule_breaks(run: ScheduleRun) -> tuple[str, ...]:
    """The core's checks over the proposal, against capacity as it stands now."""
    source = load_problem(Facility.objects.get(pk=run.facility_id), run.start, run.days)
    kept = run.appointments.filter(status=AppointmentStatus.PROPOSED).select_related(
        "requirement", "session_type", "clinician", "room", "person"
    )
    requirements = {r.pk: n for n, r in source.requirements.items()}
    units = {r.id: r.unit for r in source.problem.requirements}
    found: list[str] = []
    appointments = []
    for a in kept:
        number = requirements.get(a.requirement_id)
        if number is None:
            found.append(f"{a.requirement.number} no longer needs scheduling.")
            continue
        appointments.append(
            CoreAppointment(
                requirement=number,
                person=a.person.resident_number,
                unit=units[number],
                session_type=a.session_type.code,
                date=a.date,
                start=a.start_minute,
                minutes=a.minutes,
                clinician=a.clinician.username,
                room=a.room.code,
                group=a.group or None,
            )
        )
    return tuple(found) + violations(source.problem, appointments)


def check_proposal(*, actor: User, run: ScheduleRun) -> tuple[str, ...]:
    _supervising(actor, Facility.objects.get(pk=run.facility_id), "check schedules")
    return _hard_rule_breaks(run)


@transaction.atomic
def publish_schedule(*, actor: User, run: ScheduleRun) -> ScheduleRun:
    """Publish a proposal: its appointments become the facility's; published appointments
    in its dates still waiting for an outcome are withdrawn (planned again in this one), and
    other proposals are discarded. Refused, with every reason, while a hard rule breaks."""
    facility = Facility.objects.get(pk=run.facility_id)
    _supervising(actor, facility, "publish schedules")
    run = ScheduleRun.objects.select_for_update().get(pk=run.pk)
    if run.status != RunStatus.PROPOSED:
        raise ScheduleError("Only a proposed schedule can be published.")
    if run.start < local_today(facility, timezone.now()):
        raise ScheduleError("This proposal starts in the past: propose a new one.")
    breaks = _hard_rule_breaks(run)
    if breaks:
        raise ScheduleError("Not published: " + " ".join(breaks))
    end = run.start + timedelta(days=run.days - 1)
    replaced = Appointment.objects.filter(
        pending_appointments(), facility=facility, date__range=(run.start, end)
    ).update(status=AppointmentStatus.WITHDRAWN)
    published = run.appointments.filter(status=AppointmentStatus.PROPOSED).update(
        status=AppointmentStatus.PUBLISHED
    )
    run.status, run.published_by, run.published_at = RunStatus.PUBLISHED, actor, timezone.now()
    run.save(update_fields=["status", "published_by", "published_at"])
    discarded = ScheduleRun.objects.filter(facility=facility, status=RunStatus.PROPOSED).update(
        status=RunStatus.DISCARDED
    )
    _audit(
        "scheduling.publish",
        actor=actor,
        facility=facility,
        subjects=[f"schedule_run:{run.pk}"],
        appointments=published,
        withdrawn=replaced,
        proposals_discarded=discarded,
    )
    return run


@transaction.atomic
def discard_schedule(*, actor: User, run: ScheduleRun) -> None:
    facility = Facility.objects.get(pk=run.facility_id)
    _supervising(actor, facility, "discard schedules")
    if run.status != RunStatus.PROPOSED:
        raise ScheduleError("Only a proposed schedule can be discarded.")
    run.status = RunStatus.DISCARDED
    run.save(update_fields=["status"])
    _audit(
        "scheduling.discard", actor=actor, facility=facility, subjects=[f"schedule_run:{run.pk}"]
    )


# ---- Outcomes --------------------------------------------------------------------------


@transaction.atomic
def record_outcome(
    *,
    actor: User,
    appointment: Appointment,
    outcome: str,
    note: str = "",
    custody_reason: str = "",
) -> Appointment:
    """What happened to a published appointment. Attended meets its requirement; any other
    outcome leaves the requirement open with its due date (it goes back to be scheduled,
    late if it is), so a missed contact never silently drops. Written once."""
    _require(actor, {Role.CLINICIAN, Role.SUPERVISOR}, "record appointment outcomes")
    facility = Facility.objects.get(pk=appointment.facility_id)
    _at_facility(actor, facility)
    appointment = Appointment.objects.select_for_update().get(pk=appointment.pk)
    if appointment.status != AppointmentStatus.PUBLISHED:
        raise ScheduleError("Only a published appointment has an outcome.")
    if appointment.outcome:
        raise ScheduleError("This appointment's outcome is already recorded.")
    if outcome not in AppointmentOutcome.values:
        raise ScheduleError("Choose what happened.")
    if appointment.date > local_today(facility, timezone.now()):
        raise ScheduleError("This appointment has not happened yet.")
    note = _text(note, "note", required=False)
    if outcome == AppointmentOutcome.CANCELLED_CUSTODY:
        if custody_reason not in CustodyReason.values:
            raise ScheduleError("Say why custody cancelled: lockdown, movement or staffing.")
    elif custody_reason:
        raise ScheduleError("A custody reason goes only with a cancellation by custody.")
    if outcome == AppointmentOutcome.REFUSED and not note:
        raise ScheduleError("Say what was offered next: the refusal is recorded with it.")
    if outcome == AppointmentOutcome.CANCELLED_CLINICIAN and not note:
        raise ScheduleError("Say why the clinician cancelled.")
    now = timezone.now()
    appointment.outcome, appointment.custody_reason = outcome, custody_reason
    appointment.outcome_note, appointment.outcome_by, appointment.outcome_at = note, actor, now
    appointment.save(
        update_fields=["outcome", "custody_reason", "outcome_note", "outcome_by", "outcome_at"]
    )
    subjects = [f"appointment:{appointment.pk}", f"requirement:{appointment.requirement_id}"]
    if outcome == AppointmentOutcome.ATTENDED:
        Requirement.objects.filter(pk=appointment.requirement_id, closed_at__isnull=True).update(
            closed_at=now, close_reason=CloseReason.MET
        )
    _audit(
        "scheduling.outcome",
        actor=actor,
        facility=facility,
        person=Person.objects.get(pk=appointment.person_id),
        subjects=subjects,
        outcome=outcome,
        custody_reason=custody_reason or None,
        fields=["outcome_note"] if note else [],
    )
    return appointment
