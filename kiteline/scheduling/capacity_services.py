"""Writes to a facility's capacity for scheduling: its settings (movement periods, horizon,
units that walk unescorted), rooms, session types, clinicians' weekly hours and their
exceptions, and movement restrictions. Each is one transaction with its audit event (I7);
details name records and fields, never clinical values."""

import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date
from itertools import pairwise

from django.db import IntegrityError, transaction
from django.utils import timezone

from kiteline.accounts.models import Role, User
from kiteline.audit.recording import audit
from kiteline.care.models import Service
from kiteline.facilities.models import Facility, HousingUnit
from kiteline.scheduling import problem as core
from kiteline.scheduling.guards import (
    ScheduleError,
    at_facility,
    checked_code,
    checked_name,
    checked_window,
    clinician_here,
    require_role,
    supervising,
)
from kiteline.scheduling.models import (
    MAX_HORIZON_DAYS,
    AvailabilityException,
    ExceptionReason,
    MovementRestriction,
    RestrictionKind,
    Room,
    SchedulingSettings,
    SessionType,
    WeeklyWindow,
)
from kiteline.scheduling.problem_source import periods_of

# Words custody must not read in a place's name: they would reveal the service (I6).
_CLINICAL_WORDS = re.compile(
    r"psych|therap|counsel|mental|crisis|group|clinic|medicat|suicid|depress|trauma|ptsd"
    r"|psiqui|terapi|salud mental",
    re.IGNORECASE,
)


@transaction.atomic
def save_scheduling_settings(
    *,
    actor: User,
    facility: Facility,
    periods: Sequence[tuple[int, int]],
    horizon_days: int,
    unescorted_units: Collection[HousingUnit] = (),
) -> SchedulingSettings:
    supervising(actor, facility, "change scheduling settings")
    windows = sorted(
        (checked_window(s, e, "movement period") for s, e in periods), key=lambda w: w.start
    )
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
    audit(
        "scheduling.settings",
        actor=actor,
        facility=facility,
        subjects=[f"scheduling_settings:{settings.pk}"],
        fields=["periods", "horizon_days", "unescorted_units"],
    )
    return settings


def _place_name(name: str, facility: Facility) -> str:
    """A room's name, which custody reads on the escort list: it names a place, never a
    service, so it holds no clinical word, no service's name and no session type's name or
    code (a code as a word of its own: "room 3" is not refused for a code "3a")."""
    name = checked_name(name, "room name")
    lowered = name.lower()
    services = Service.objects.filter(facility=facility).values_list("name_en", "name_es")
    sessions = list(SessionType.objects.filter(facility=facility).values_list("name", "code"))
    names = {n.lower() for pair in services for n in pair if n} | {n.lower() for n, _ in sessions}
    codes = (re.compile(rf"(?<![a-z0-9_-]){re.escape(code)}(?![a-z0-9_-])") for _, code in sessions)
    if (
        _CLINICAL_WORDS.search(name)
        or any(n in lowered for n in names)
        or any(code.search(lowered) for code in codes)
    ):
        raise ScheduleError(
            "Custody reads a room's name on the escort list: name the place "
            "(“Health unit, room 3”), never a service or a session type."
        )
    return name


@transaction.atomic
def add_room(
    *, actor: User, facility: Facility, code: str, name: str, seats: int, on_site: bool = True
) -> Room:
    supervising(actor, facility, "add rooms")
    checked_code(code, "room code")
    if seats < 1:
        raise ScheduleError("A room seats at least one person.")
    name = _place_name(name, facility)
    try:
        # The code is unique per facility: taken already, or by another supervisor's add
        # at the same moment, it is refused in plain words (the only constraint not checked
        # above), and in a savepoint, so the transaction stays usable.
        with transaction.atomic():
            room = Room.objects.create(
                facility=facility, code=code, name=name, seats=seats, on_site=on_site
            )
    except IntegrityError as error:
        raise ScheduleError(f"There is already a room {code}.") from error
    audit("scheduling.room_add", actor=actor, facility=facility, subjects=[f"room:{room.pk}"])
    return room


@transaction.atomic
def update_room(
    *, actor: User, room: Room, name: str, seats: int, on_site: bool, active: bool
) -> Room:
    supervising(actor, room.facility, "change rooms")
    if seats < 1:
        raise ScheduleError("A room seats at least one person.")
    room.name, room.seats = _place_name(name, room.facility), seats
    room.on_site, room.active = on_site, active
    room.save()
    audit(
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


def _checked_session(
    facility: Facility, details: SessionTypeDetails, session: SessionType | None = None
) -> SessionTypeDetails:
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
        clinician_here(clinician, facility)
    if details.active:
        _one_holder(facility, details, session)
    return SessionTypeDetails(
        name=checked_name(details.name, "session type name"),
        kind=details.kind,
        minutes=details.minutes,
        seats=details.seats,
        clinicians=details.clinicians,
        service=details.service,
        every_days=details.every_days,
        active=details.active,
    )


def _one_holder(
    facility: Facility, details: SessionTypeDetails, session: SessionType | None
) -> None:
    """One active session type holds each need (`requirement_sources.session_holders`), so
    which one does never depends on the order of codes: one that delivers no service for
    each kind (it holds the required contacts of that kind), one for each service."""
    others = SessionType.objects.filter(facility=facility, active=True)
    if session is not None:
        others = others.exclude(pk=session.pk)
    if details.service is None:
        general = others.filter(service__isnull=True, kind=details.kind).first()
        if general is not None:
            raise ScheduleError(
                f"{general.name} ({general.code}) already holds the {details.kind} sessions "
                "that deliver no particular service (the required contacts): only one active "
                "session type may. Deactivate it first, or make this one deliver a service."
            )
        return
    delivering = others.filter(service=details.service).first()
    if delivering is not None:
        raise ScheduleError(
            f"{delivering.name} ({delivering.code}) already delivers this service: only one "
            "active session type may. Deactivate it first."
        )


@transaction.atomic
def add_session_type(
    *, actor: User, facility: Facility, code: str, details: SessionTypeDetails
) -> SessionType:
    supervising(actor, facility, "add session types")
    checked_code(code, "session type code")
    checked = _checked_session(facility, details)
    try:
        # As for rooms: a code taken, even at the same moment, is refused in plain words.
        with transaction.atomic():
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
    except IntegrityError as error:
        raise ScheduleError(f"There is already a session type {code}.") from error
    session.clinicians.set(list(checked.clinicians))
    audit(
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
    supervising(actor, session.facility, "change session types")
    checked = _checked_session(session.facility, details, session)
    session.name, session.kind, session.minutes = checked.name, checked.kind, checked.minutes
    session.seats, session.service = checked.seats, checked.service
    session.every_days, session.active = checked.every_days, checked.active
    session.save()
    session.clinicians.set(list(checked.clinicians))
    audit(
        "scheduling.session_type_update",
        actor=actor,
        facility=session.facility,
        subjects=[f"session_type:{session.pk}"],
        fields=[
            "name",
            "kind",
            "minutes",
            "seats",
            "clinicians",
            "service",
            "every_days",
            "active",
        ],
    )
    return session


@transaction.atomic
def set_weekly_hours(
    *,
    actor: User,
    facility: Facility,
    clinician: User,
    windows: Sequence[tuple[int, int, int]],
) -> list[WeeklyWindow]:
    """Replace a clinician's weekly template: (weekday, start, end), Monday is 0."""
    supervising(actor, facility, "set clinicians' hours")
    clinician_here(clinician, facility)
    by_day: dict[int, list[core.Window]] = {}
    for weekday, start, end in windows:
        if not 0 <= weekday <= 6:
            raise ScheduleError("A weekday is from 0 (Monday) to 6 (Sunday).")
        by_day.setdefault(weekday, []).append(checked_window(start, end, "working window"))
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
    audit(
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
    supervising(actor, facility, "record leave and training")
    clinician_here(clinician, facility)
    if reason not in ExceptionReason.values:
        raise ScheduleError("Choose why the usual hours do not apply.")
    if window is not None:
        checked = checked_window(*window, "hours worked")
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
    audit(
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
    supervising(actor, facility, "record leave and training")
    subject = f"availability_exception:{exception.pk}"
    exception.delete()
    audit("scheduling.exception_remove", actor=actor, facility=facility, subjects=[subject])


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
    require_role(actor, {Role.SUPERVISOR, Role.CUSTODY}, "record movement restrictions")
    at_facility(actor, facility)
    if unit is not None and unit.facility_id != facility.pk:
        raise ScheduleError("That housing unit is not at this facility.")
    if kind not in RestrictionKind.values:
        raise ScheduleError("Choose what stops movement.")
    checked_window(start_minute, end_minute, "restriction")
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
    audit(
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
    require_role(actor, {Role.SUPERVISOR, Role.CUSTODY}, "record movement restrictions")
    at_facility(actor, facility)
    subject = f"movement_restriction:{restriction.pk}"
    restriction.delete()
    audit("scheduling.restriction_remove", actor=actor, facility=facility, subjects=[subject])
