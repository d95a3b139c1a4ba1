"""The core's `Problem`, read from a facility's records: its capacity over a horizon and the
open requirements nobody has an appointment for yet; and how those records meet the core's
calendar (the facility's local dates, the units people are housed in now).

Ids in the problem are the records' readable names (a clinician's username, a room's and a
session type's code, a requirement's number, a resident's number, a unit's code), so the
core's messages ("The clinician clinician2 is in two sessions at once") read as they are.
"""

from collections import defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.db.models import Exists, OuterRef, Q, QuerySet

from kiteline.accounts.models import Role, User
from kiteline.facilities.models import Facility, HousingUnit, Placement
from kiteline.scheduling import problem as core
from kiteline.scheduling.models import (
    DEFAULT_HORIZON_DAYS,
    Appointment,
    AppointmentOutcome,
    AppointmentStatus,
    AvailabilityException,
    MovementRestriction,
    Requirement,
    Room,
    SchedulingSettings,
    SessionType,
    WeeklyWindow,
)


@dataclass(frozen=True)
class LoadedProblem:
    """The problem and the records behind its ids."""

    problem: core.Problem
    requirements: dict[str, Requirement]
    clinicians: dict[str, User]
    rooms: dict[str, Room]
    session_types: dict[str, SessionType]


def periods_of(facility: Facility) -> tuple[core.Window, ...]:
    settings = SchedulingSettings.objects.filter(facility=facility).first()
    if settings is None:
        return core.DEFAULT_PERIODS
    return tuple(core.Window(start, end) for start, end in settings.periods)


def horizon_of(facility: Facility) -> int:
    settings = SchedulingSettings.objects.filter(facility=facility).first()
    return settings.horizon_days if settings is not None else DEFAULT_HORIZON_DAYS


def local_date(facility: Facility, moment: datetime) -> date:
    """The facility's calendar date at a moment: the dates scheduling counts in."""
    return moment.astimezone(ZoneInfo(facility.time_zone)).date()


def pending_appointments() -> Q:
    """Published and waiting for an outcome."""
    return Q(status=AppointmentStatus.PUBLISHED, outcome="")


def still_to_come(facility: Facility, at: datetime) -> Q:
    """Appointments that start at `at` or later, on the facility's calendar and clock."""
    local = at.astimezone(ZoneInfo(facility.time_zone))
    minute = local.hour * 60 + local.minute
    return Q(date__gt=local.date()) | Q(date=local.date(), start_minute__gte=minute)


def to_schedule(facility: Facility, start: date, today: date) -> QuerySet[Requirement]:
    """Open requirements that no published appointment holds. An appointment from today up
    to `start`, still waiting for its outcome, holds its requirement; a later one is
    planned again by the schedule from `start`; an earlier one that never got an outcome
    holds nothing (the contact is not known to have happened, so it is owed again)."""
    held = Appointment.objects.filter(
        pending_appointments(), requirement=OuterRef("pk"), date__gte=today, date__lt=start
    )
    return (
        Requirement.objects.filter(facility=facility, closed_at__isnull=True)
        .exclude(Exists(held))
        .select_related("session_type", "person")
    )


def current_units(booking_ids: Collection[int]) -> dict[int, HousingUnit]:
    """Where each stay is housed now, by booking."""
    return {
        placement.booking_id: placement.housing_unit
        for placement in Placement.objects.filter(
            booking_id__in=booking_ids, ended_at__isnull=True
        ).select_related("housing_unit")
    }


def load_problem(
    facility: Facility, start: date, days: int | None = None, *, today: date
) -> LoadedProblem:
    days = days or horizon_of(facility)
    end = start + timedelta(days=days - 1)
    session_types = {
        s.code: s
        for s in SessionType.objects.filter(facility=facility, active=True).prefetch_related(
            "clinicians"
        )
    }
    clinicians = {
        u.username: u
        for u in User.objects.filter(
            role=Role.CLINICIAN,
            is_active=True,
            facilities=facility,
            session_types__in=list(session_types.values()),
        ).distinct()
    }
    rooms = {r.code: r for r in Room.objects.filter(facility=facility, active=True)}
    requirements = {
        r.number: r
        for r in to_schedule(facility, start, today).filter(
            session_type__in=list(session_types.values())
        )
    }
    units = {
        booking: unit.code
        for booking, unit in current_units({r.booking_id for r in requirements.values()}).items()
    }
    last = _last_clinicians(requirements.values())
    problem = core.Problem(
        start=start,
        days=days,
        periods=periods_of(facility),
        clinicians=_clinicians(facility, clinicians, start, end),
        rooms=tuple(core.Room(id=code, capacity=room.seats) for code, room in rooms.items()),
        session_types=tuple(
            core.SessionType(
                id=code,
                kind=core.Kind(session.kind),
                minutes=session.minutes,
                capacity=session.seats,
                clinicians=frozenset(
                    u.username for u in session.clinicians.all() if u.username in clinicians
                ),
            )
            for code, session in session_types.items()
        ),
        requirements=tuple(
            core.Requirement(
                id=number,
                person=requirement.person.resident_number,
                unit=units.get(requirement.booking_id, ""),
                session_type=requirement.session_type.code,
                earliest=requirement.earliest,
                due=requirement.due,
                acuity=requirement.acuity,
                mandatory=requirement.mandatory,
                waiting_since=requirement.waiting_since,
                last_clinician=last.get(requirement.pk),
                group=requirement.session_type.code
                if requirement.session_type.kind == core.Kind.GROUP
                else None,
            )
            for number, requirement in requirements.items()
        ),
        restrictions=tuple(
            core.Restriction(
                date=restriction.date,
                window=core.Window(restriction.start_minute, restriction.end_minute),
                unit=restriction.unit.code if restriction.unit is not None else None,
                reason=restriction.get_kind_display(),
            )
            for restriction in MovementRestriction.objects.filter(
                facility=facility, date__range=(start, end)
            ).select_related("unit")
        ),
    )
    return LoadedProblem(problem, requirements, clinicians, rooms, session_types)


def _clinicians(
    facility: Facility, clinicians: dict[str, User], start: date, end: date
) -> tuple[core.Clinician, ...]:
    weekly: dict[int, list[list[core.Window]]] = defaultdict(lambda: [[] for _ in range(7)])
    for window in WeeklyWindow.objects.filter(facility=facility, clinician__in=clinicians.values()):
        weekly[window.clinician_id][window.weekday].append(
            core.Window(window.start_minute, window.end_minute)
        )
    exceptions: dict[int, dict[date, list[core.Window]]] = defaultdict(dict)
    for exception in AvailabilityException.objects.filter(
        facility=facility, clinician__in=clinicians.values(), date__range=(start, end)
    ):
        windows = exceptions[exception.clinician_id].setdefault(exception.date, [])
        if exception.start_minute is not None and exception.end_minute is not None:
            windows.append(core.Window(exception.start_minute, exception.end_minute))
    return tuple(
        core.Clinician(
            id=username,
            weekly=tuple(tuple(sorted(day, key=lambda w: w.start)) for day in weekly[user.pk]),
            exceptions=tuple(
                core.DateException(day, tuple(sorted(windows, key=lambda w: w.start)))
                for day, windows in sorted(exceptions[user.pk].items())
            ),
        )
        for username, user in sorted(clinicians.items())
    )


def _last_clinicians(requirements: Iterable[Requirement]) -> dict[int, str]:
    """For each requirement, who last saw the person in a session of the same type."""
    wanted = {(r.person_id, r.session_type_id): r.pk for r in requirements}
    attended = (
        Appointment.objects.filter(
            person_id__in={person for person, _ in wanted},
            outcome=AppointmentOutcome.ATTENDED,
        )
        .order_by("date", "start_minute")
        .values_list("person_id", "session_type_id", "clinician__username")
    )
    last: dict[int, str] = {}
    for person_id, session_type_id, username in attended:
        requirement = wanted.get((person_id, session_type_id))
        if requirement is not None:
            last[requirement] = username
    return last
