"""Reads for the scheduling pages and API, each scoped to what the actor may see.

Custody gets one record here, `EscortRow`, whose every field is allow-listed in
`accounts/allowlists.py` (I6): who, when, where (a place, never a service), and whether an
officer walks them. Everything else is for health staff, and each read of it is audited
with the records shown (I7).
"""

from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass, fields
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.db.models import Exists, F, OuterRef, Prefetch, Q, QuerySet
from django.db.models.functions import TruncDate
from django.http import Http404
from django.shortcuts import get_object_or_404

from kiteline.accounts.models import HEALTH_ROLES, Role, User
from kiteline.audit.recording import record_read
from kiteline.facilities.models import Facility
from kiteline.facilities.selectors import facility_for_actor
from kiteline.scheduling.guards import ScheduleError
from kiteline.scheduling.models import (
    WAITLIST_ORDER,
    Appointment,
    AppointmentOutcome,
    AppointmentStatus,
    AvailabilityException,
    MovementRestriction,
    Requirement,
    Room,
    RunStatus,
    ScheduleRun,
    SchedulingSettings,
    SessionType,
    Source,
    WeeklyWindow,
)
from kiteline.scheduling.problem_source import (
    current_units,
    horizon_of,
    local_date,
    pending_appointments,
    periods_of,
)

LIST_LIMIT = 1000
# Custody reads the escort list (nothing clinical); supervisors read it too.
ESCORT_ROLES = (Role.CUSTODY, Role.SUPERVISOR)
# The longest period the missed-contacts view counts over: a year, leap day included.
MAX_PERIOD_DAYS = 366


def minutes_label(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def facility_for(
    *, actor: User, facility_code: str | None, roles: Collection[Role] = HEALTH_ROLES
) -> Facility:
    """One of the actor's facilities (the first when none is named), health staff's unless
    other roles are named; 404 for any other."""
    return facility_for_actor(actor=actor, facility_code=facility_code, roles=roles)


def facilities_of(actor: User) -> tuple[tuple[str, str], ...]:
    """(code, name) of the actor's facilities, for a page's facility switch."""
    return tuple(actor.facilities.order_by("name", "pk").values_list("code", "name"))


def _person_name(appointment: Appointment | Requirement) -> str:
    person = appointment.person
    return f"{person.family_name}, {person.given_name}"


def _unit_names(booking_ids: Collection[int]) -> dict[int, str]:
    return {booking: unit.name for booking, unit in current_units(booking_ids).items()}


# ---- The escort list, for custody ------------------------------------------------------


@dataclass(frozen=True)
class EscortRow:
    """Everything custody reads about an appointment: nothing clinical (I6)."""

    resident_number: str
    name: str
    housing_unit: str
    date: date
    time: str
    place: str
    needs_escort: bool


@dataclass(frozen=True)
class EscortList:
    facility: str
    facility_code: str
    date: date
    unit: str
    units: tuple[str, ...]
    rows: tuple[EscortRow, ...]


def escort_list(
    *, actor: User, facility_code: str | None, day: date, unit_code: str = ""
) -> EscortList:
    """Published appointments of one day still to happen or attended, by unit and time. No
    session type, clinician, length or service reaches custody: only a place and a time."""
    facility = facility_for(actor=actor, facility_code=facility_code, roles=ESCORT_ROLES)
    settings = SchedulingSettings.objects.filter(facility=facility).first()
    unescorted = set(settings.unescorted_units.values_list("pk", flat=True)) if settings else set()
    appointments = (
        Appointment.objects.filter(
            facility=facility,
            status=AppointmentStatus.PUBLISHED,
            outcome__in=["", AppointmentOutcome.ATTENDED],
            date=day,
            # Someone released or moved away is nobody to escort, though an appointment
            # that began before the release or transfer was not withdrawn.
            requirement__booking__released_at__isnull=True,
            requirement__booking__facility=facility,
        )
        .select_related("person", "room", "requirement")
        .order_by("start_minute", "person__family_name", "pk")
    )
    placements = current_units([a.requirement.booking_id for a in appointments])
    rows: list[tuple[int, EscortRow]] = []
    for appointment in appointments:
        unit = placements.get(appointment.requirement.booking_id)
        if unit_code and (unit is None or unit.code != unit_code):
            continue
        rows.append(
            (
                appointment.pk,
                EscortRow(
                    resident_number=appointment.person.resident_number,
                    name=_person_name(appointment),
                    housing_unit=unit.name if unit is not None else "",
                    date=appointment.date,
                    time=minutes_label(appointment.start_minute),
                    place=appointment.room.name,
                    needs_escort=unit is None or unit.pk not in unescorted,
                ),
            )
        )
    rows.sort(key=lambda pair: (pair[1].housing_unit, pair[1].time, pair[1].name))
    record_read(
        actor=actor,
        action="scheduling.escort_list_read",
        facility=facility,
        records=[f"appointment:{pk}" for pk, _ in rows],
        fields=[field.name for field in fields(EscortRow)],
    )
    units = tuple(facility.housing_units.order_by("code").values_list("code", flat=True))
    return EscortList(
        facility=facility.name,
        facility_code=facility.code,
        date=day,
        unit=unit_code,
        units=units,
        rows=tuple(row for _, row in rows),
    )


# ---- Requirements and the waitlist, for health staff -----------------------------------


@dataclass(frozen=True)
class RequirementRow:
    requirement_id: int
    number: str
    resident_number: str
    name: str
    housing_unit: str
    source: str
    session_type: str
    earliest: date
    due: date
    acuity: int
    mandatory: bool
    waiting_since: date
    # "scheduled" (an appointment today or later), "no outcome recorded" (its last one has
    # passed with none: it is owed again), "overdue" or "to schedule".
    state: str
    appointment_date: date | None


def _requirement_rows(requirements: QuerySet[Requirement], today: date) -> list[RequirementRow]:
    requirements = requirements.select_related("person", "session_type").prefetch_related(
        Prefetch(
            "appointments",
            queryset=Appointment.objects.filter(pending_appointments()).order_by("date"),
            to_attr="pending",
        )
    )
    listed = list(requirements[:LIST_LIMIT])
    units = _unit_names({r.booking_id for r in listed})
    rows = []
    for requirement in listed:
        pending: list[Appointment] = getattr(requirement, "pending", [])
        upcoming = [a.date for a in pending if a.date >= today]
        passed = [a.date for a in pending if a.date < today]
        appointment_date = upcoming[0] if upcoming else passed[-1] if passed else None
        if upcoming:
            state = "scheduled"
        elif passed:
            state = "no outcome recorded"
        elif requirement.due < today:
            state = "overdue"
        else:
            state = "to schedule"
        rows.append(
            RequirementRow(
                requirement_id=requirement.pk,
                number=requirement.number,
                resident_number=requirement.person.resident_number,
                name=_person_name(requirement),
                housing_unit=units.get(requirement.booking_id, ""),
                source=requirement.get_source_display(),
                session_type=requirement.session_type.name,
                earliest=requirement.earliest,
                due=requirement.due,
                acuity=requirement.acuity,
                mandatory=requirement.mandatory,
                waiting_since=requirement.waiting_since,
                state=state,
                appointment_date=appointment_date,
            )
        )
    return rows


@dataclass(frozen=True)
class RequirementsPage:
    facility: str
    facility_code: str
    today: date
    rows: tuple[RequirementRow, ...]
    waitlist: tuple[RequirementRow, ...]


def requirements_page(*, actor: User, facility_code: str | None, now: datetime) -> RequirementsPage:
    """Open requirements by due date, and the waitlist in its documented order: higher
    acuity first, then who has waited longest."""
    facility = facility_for(actor=actor, facility_code=facility_code)
    today = local_date(facility, now)
    open_here = Requirement.objects.filter(facility=facility, closed_at__isnull=True)
    rows = _requirement_rows(open_here.exclude(source=Source.SERVICE, mandatory=False), today)
    # In the waitlist's order before the list is cut at LIST_LIMIT: its head is never cut.
    wanted = open_here.filter(source=Source.SERVICE, mandatory=False).order_by(*WAITLIST_ORDER)
    waiting = [row for row in _requirement_rows(wanted, today) if row.state != "scheduled"]
    record_read(
        actor=actor,
        action="scheduling.requirements_read",
        facility=facility,
        records=[f"requirement:{row.requirement_id}" for row in [*rows, *waiting]],
        fields=[field.name for field in fields(RequirementRow)],
    )
    return RequirementsPage(
        facility=facility.name,
        facility_code=facility.code,
        today=today,
        rows=tuple(rows),
        waitlist=tuple(waiting),
    )


# ---- Schedules --------------------------------------------------------------------------


@dataclass(frozen=True)
class AppointmentRow:
    appointment_id: int
    number: str
    requirement: str
    resident_number: str
    name: str
    housing_unit: str
    day: date
    time: str
    minutes: int
    clinician: str
    room: str
    session_type: str
    status: str
    outcome: str
    outcome_label: str
    custody_reason: str
    outcome_note: str
    due: date
    late: bool


def _appointment_rows(
    appointments: QuerySet[Appointment], limit: int | None = None
) -> list[AppointmentRow]:
    listed = list(
        appointments.select_related(
            "person", "clinician", "room", "session_type", "requirement"
        ).order_by("date", "start_minute", "clinician__username", "pk")[:limit]
    )
    units = _unit_names({a.requirement.booking_id for a in listed})
    return [
        AppointmentRow(
            appointment_id=a.pk,
            number=a.number,
            requirement=a.requirement.number,
            resident_number=a.person.resident_number,
            name=_person_name(a),
            housing_unit=units.get(a.requirement.booking_id, ""),
            day=a.date,
            time=minutes_label(a.start_minute),
            minutes=a.minutes,
            clinician=a.clinician.get_full_name() or a.clinician.username,
            room=a.room.name,
            session_type=a.session_type.name,
            status=a.status,
            outcome=a.outcome,
            outcome_label=a.get_outcome_display() if a.outcome else "",
            custody_reason=a.get_custody_reason_display() if a.custody_reason else "",
            outcome_note=a.outcome_note,
            due=a.requirement.due,
            late=a.requirement.mandatory and a.date > a.requirement.due,
        )
        for a in listed
    ]


# What a page showing appointments and requirements reads, for its audit event.
_ROW_FIELDS = sorted(
    {f.name for f in fields(AppointmentRow)} | {f.name for f in fields(RequirementRow)}
)


@dataclass(frozen=True)
class RunSummary:
    run_id: int
    number: str
    start: date
    end: date
    method: str
    solve_status: str
    status: str
    created_by: str
    created_at: datetime
    published_by: str
    published_at: datetime | None
    appointments: int
    missed: int
    late: int
    gap: float | None
    shortfall_hours: float


def _summary(run: ScheduleRun, appointments: int) -> RunSummary:
    report = run.report
    score = report.get("score", {})
    return RunSummary(
        run_id=run.pk,
        number=run.number,
        start=run.start,
        end=run.start + timedelta(days=run.days - 1),
        method=run.method,
        solve_status=run.solve_status,
        status=run.status,
        created_by=run.created_by.username,
        created_at=run.created_at,
        published_by=run.published_by.username if run.published_by else "",
        published_at=run.published_at,
        appointments=appointments,
        missed=int(score.get("missed", 0)),
        late=int(score.get("late", 0)),
        gap=report.get("gap"),
        shortfall_hours=round(sum(r["minutes"] for r in report.get("shortfall", [])) / 60, 1),
    )


@dataclass(frozen=True)
class ScheduleList:
    facility: str
    facility_code: str
    today: date
    horizon_days: int
    runs: tuple[RunSummary, ...]


def schedule_list(*, actor: User, facility_code: str | None, now: datetime) -> ScheduleList:
    """Proposals and published schedules: counts only, nothing about a person."""
    facility = facility_for(actor=actor, facility_code=facility_code)
    runs = ScheduleRun.objects.filter(facility=facility).select_related(
        "created_by", "published_by"
    )[:50]
    counts = Counter(
        Appointment.objects.filter(run__in=[r.pk for r in runs])
        .exclude(status=AppointmentStatus.WITHDRAWN)
        .values_list("run_id", flat=True)
    )
    return ScheduleList(
        facility=facility.name,
        facility_code=facility.code,
        today=local_date(facility, now),
        horizon_days=horizon_of(facility),
        runs=tuple(_summary(run, counts[run.pk]) for run in runs),
    )


@dataclass(frozen=True)
class ShortfallLine:
    week: str
    session_type: str
    requirements: int
    hours: float


@dataclass(frozen=True)
class SchedulePage:
    run: RunSummary
    facility_code: str
    report: dict[str, object]
    days: tuple[tuple[date, tuple[AppointmentRow, ...]], ...]
    removed: tuple[AppointmentRow, ...]
    shortfall: tuple[ShortfallLine, ...]
    unscheduled: tuple[RequirementRow, ...]
    editable: bool


def run_for_action(*, actor: User, run_id: int) -> ScheduleRun:
    return get_object_or_404(
        ScheduleRun.objects.filter(facility__in=actor.facilities.all()), pk=run_id
    )


def schedule_page(*, actor: User, run_id: int, now: datetime) -> SchedulePage:
    """One schedule, day by day, with its score, bounds, shortfall and what it could not
    place. Audited: it names people and their sessions."""
    if actor.role not in HEALTH_ROLES:
        raise Http404
    run = get_object_or_404(
        ScheduleRun.objects.filter(facility__in=actor.facilities.all()).select_related(
            "created_by", "published_by", "facility"
        ),
        pk=run_id,
    )
    rows = _appointment_rows(run.appointments.all())
    kept = [r for r in rows if r.status != AppointmentStatus.WITHDRAWN]
    removed = [r for r in rows if r.status == AppointmentStatus.WITHDRAWN]
    by_day: dict[date, list[AppointmentRow]] = {}
    for row in kept:
        by_day.setdefault(row.day, []).append(row)
    report = run.report
    sessions = dict(SessionType.objects.filter(facility=run.facility).values_list("code", "name"))
    shortfall = tuple(
        ShortfallLine(
            week=line["week"],
            session_type=sessions.get(line["session_type"], line["session_type"]),
            requirements=line["requirements"],
            hours=round(line["minutes"] / 60, 1),
        )
        for line in report.get("shortfall", [])
    )
    numbers = [int(n.removeprefix("Q")) for n in report.get("unscheduled", [])]
    unscheduled = _requirement_rows(
        Requirement.objects.filter(pk__in=numbers).order_by("due", "-acuity"),
        local_date(run.facility, now),
    )
    record_read(
        actor=actor,
        action="scheduling.schedule_read",
        facility=run.facility,
        records=[
            f"schedule_run:{run.pk}",
            *(f"appointment:{r.appointment_id}" for r in rows),
            *(f"requirement:{r.requirement_id}" for r in unscheduled),
        ],
        fields=_ROW_FIELDS,
    )
    return SchedulePage(
        run=_summary(run, len(kept)),
        facility_code=run.facility.code,
        report=report,
        days=tuple((day, tuple(day_rows)) for day, day_rows in sorted(by_day.items())),
        removed=tuple(removed),
        shortfall=shortfall,
        unscheduled=tuple(unscheduled),
        editable=run.status == RunStatus.PROPOSED and actor.role == Role.SUPERVISOR,
    )


# ---- Appointments and outcomes -----------------------------------------------------------


@dataclass(frozen=True)
class DayAppointments:
    facility: str
    facility_code: str
    day: date
    today: date
    mine_only: bool
    rows: tuple[AppointmentRow, ...]


def appointments_of_day(
    *, actor: User, facility_code: str | None, day: date, mine_only: bool, now: datetime
) -> DayAppointments:
    """Published appointments of a day (a clinician's own, or everyone's), with outcomes."""
    facility = facility_for(
        actor=actor, facility_code=facility_code, roles={Role.CLINICIAN, Role.SUPERVISOR}
    )
    appointments = Appointment.objects.filter(
        facility=facility, status=AppointmentStatus.PUBLISHED, date=day
    )
    if mine_only:
        appointments = appointments.filter(clinician=actor)
    rows = _appointment_rows(appointments)
    record_read(
        actor=actor,
        action="scheduling.appointments_read",
        facility=facility,
        records=[f"appointment:{r.appointment_id}" for r in rows],
        fields=[field.name for field in fields(AppointmentRow)],
    )
    return DayAppointments(
        facility=facility.name,
        facility_code=facility.code,
        day=day,
        today=local_date(facility, now),
        mine_only=mine_only,
        rows=tuple(rows),
    )


def appointment_for_action(*, actor: User, appointment_id: int) -> Appointment:
    return get_object_or_404(
        Appointment.objects.filter(facility__in=actor.facilities.all()).select_related("run"),
        pk=appointment_id,
    )


@dataclass(frozen=True)
class MissedContacts:
    """Mandatory contacts that did not happen, each cause counted on its own: the resident
    refused, custody cancelled, the clinician cancelled, the day passed and nobody recorded
    what happened, or nobody scheduled it by its due date. Counts are whole; each list
    shows at most LIST_LIMIT rows."""

    facility: str
    facility_code: str
    start: date
    end: date
    counts: dict[str, int]
    refused: tuple[AppointmentRow, ...]
    cancelled_custody: tuple[AppointmentRow, ...]
    cancelled_clinician: tuple[AppointmentRow, ...]
    no_outcome: tuple[AppointmentRow, ...]
    never_scheduled: tuple[RequirementRow, ...]


NO_OUTCOME = "no_outcome"
NEVER_SCHEDULED = "never_scheduled"


def missed_contacts(
    *, actor: User, facility_code: str | None, start: date, end: date, now: datetime
) -> MissedContacts:
    """From `start` to `end` (at most MAX_PERIOD_DAYS days). A requirement closed since
    still counts (a release never erases an overdue contact, I5), and one met late counts
    as not scheduled by its due date: only a published appointment on or before it does."""
    if (end - start).days + 1 > MAX_PERIOD_DAYS:
        raise ScheduleError(f"A period is at most {MAX_PERIOD_DAYS} days.")
    facility = facility_for(actor=actor, facility_code=facility_code)
    today = local_date(facility, now)
    published = Appointment.objects.filter(
        facility=facility,
        status=AppointmentStatus.PUBLISHED,
        date__range=(start, end),
        requirement__mandatory=True,
    )
    causes = {
        str(outcome): published.filter(outcome=outcome)
        for outcome in (
            AppointmentOutcome.REFUSED,
            AppointmentOutcome.CANCELLED_CUSTODY,
            AppointmentOutcome.CANCELLED_CLINICIAN,
        )
    }
    causes[NO_OUTCOME] = published.filter(outcome="", date__lt=today)
    rows = {cause: _appointment_rows(found, LIST_LIMIT) for cause, found in causes.items()}
    booked_in_time = Appointment.objects.filter(
        requirement=OuterRef("pk"), status=AppointmentStatus.PUBLISHED, date__lte=OuterRef("due")
    )
    zone = ZoneInfo(facility.time_zone)
    overdue = (
        Requirement.objects.filter(
            facility=facility,
            mandatory=True,
            due__range=(start, min(end, today - timedelta(days=1))),
        )
        # Still open when its due date passed: closed later, or not yet.
        .annotate(closed_on=TruncDate("closed_at", tzinfo=zone))
        .filter(Q(closed_at__isnull=True) | Q(closed_on__gt=F("due")))
        .exclude(Exists(booked_in_time))
        .order_by("due", "-acuity", "pk")
    )
    never = _requirement_rows(overdue, today)
    counts = {cause: found.count() for cause, found in causes.items()}
    counts[NEVER_SCHEDULED] = overdue.count()
    record_read(
        actor=actor,
        action="scheduling.missed_read",
        facility=facility,
        records=[
            *(f"appointment:{r.appointment_id}" for listed in rows.values() for r in listed),
            *(f"requirement:{r.requirement_id}" for r in never),
        ],
        fields=_ROW_FIELDS,
    )
    return MissedContacts(
        facility=facility.name,
        facility_code=facility.code,
        start=start,
        end=end,
        counts=counts,
        refused=tuple(rows[AppointmentOutcome.REFUSED]),
        cancelled_custody=tuple(rows[AppointmentOutcome.CANCELLED_CUSTODY]),
        cancelled_clinician=tuple(rows[AppointmentOutcome.CANCELLED_CLINICIAN]),
        no_outcome=tuple(rows[NO_OUTCOME]),
        never_scheduled=tuple(never),
    )


# ---- Capacity ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ClinicianHours:
    clinician_id: int
    username: str
    name: str
    weekly: tuple[tuple[int, str, str], ...]  # weekday, start, end
    session_types: tuple[str, ...]
    exceptions: tuple[tuple[int, date, str, str], ...]  # id, date, hours ("" = off), reason


@dataclass(frozen=True)
class Capacity:
    facility: str
    facility_code: str
    periods: tuple[tuple[str, str], ...]
    horizon_days: int
    unescorted_units: tuple[str, ...]
    rooms: tuple[Room, ...]
    session_types: tuple[SessionType, ...]
    clinicians: tuple[ClinicianHours, ...]
    restrictions: tuple[MovementRestriction, ...]


def capacity(*, actor: User, facility_code: str | None, today: date | None = None) -> Capacity:
    """A facility's rooms, session types, clinicians' hours and exceptions, and movement
    restrictions from `today` on. Nothing here is about a resident's care."""
    facility = facility_for(actor=actor, facility_code=facility_code)
    settings = SchedulingSettings.objects.filter(facility=facility).first()
    clinicians = User.objects.filter(
        role=Role.CLINICIAN, is_active=True, facilities=facility
    ).order_by("username")
    weekly: dict[int, list[tuple[int, str, str]]] = {}
    for window in WeeklyWindow.objects.filter(facility=facility):
        weekly.setdefault(window.clinician_id, []).append(
            (window.weekday, minutes_label(window.start_minute), minutes_label(window.end_minute))
        )
    exceptions: dict[int, list[tuple[int, date, str, str]]] = {}
    since = today or date.min
    for exception in AvailabilityException.objects.filter(facility=facility, date__gte=since):
        hours = (
            f"{minutes_label(exception.start_minute)}-{minutes_label(exception.end_minute)}"
            if exception.start_minute is not None and exception.end_minute is not None
            else ""
        )
        exceptions.setdefault(exception.clinician_id, []).append(
            (exception.pk, exception.date, hours, exception.get_reason_display())
        )
    holds: dict[int, list[str]] = {}
    session_types = tuple(
        SessionType.objects.filter(facility=facility)
        .select_related("service")
        .prefetch_related("clinicians")
    )
    for session in session_types:
        for clinician in session.clinicians.all():
            holds.setdefault(clinician.pk, []).append(session.name)
    return Capacity(
        facility=facility.name,
        facility_code=facility.code,
        periods=tuple((minutes_label(w.start), minutes_label(w.end)) for w in periods_of(facility)),
        horizon_days=horizon_of(facility),
        unescorted_units=tuple(
            settings.unescorted_units.values_list("code", flat=True) if settings else ()
        ),
        rooms=tuple(Room.objects.filter(facility=facility)),
        session_types=session_types,
        clinicians=tuple(
            ClinicianHours(
                clinician_id=user.pk,
                username=user.username,
                name=user.get_full_name() or user.username,
                weekly=tuple(sorted(weekly.get(user.pk, []))),
                session_types=tuple(holds.get(user.pk, [])),
                exceptions=tuple(exceptions.get(user.pk, [])),
            )
            for user in clinicians
        ),
        restrictions=tuple(
            MovementRestriction.objects.filter(facility=facility, date__gte=since).select_related(
                "unit"
            )
        ),
    )


# ---- The resident's own -----------------------------------------------------------------


@dataclass(frozen=True)
class MyAppointment:
    date: date
    time: str


@dataclass(frozen=True)
class MyWait:
    service: str
    waiting_since: date


@dataclass(frozen=True)
class MySchedule:
    appointments: tuple[MyAppointment, ...]
    waiting: tuple[MyWait, ...]


def my_schedule(*, resident: User, now: datetime, language: str) -> MySchedule:
    """A resident's own upcoming on-site appointments and the services they wait for.
    Never an off-site trip's date (an escape risk), never anyone else."""
    person = resident.person
    if not resident.is_resident or person is None:
        raise Http404
    booking = person.bookings.filter(released_at__isnull=True).select_related("facility").first()
    if booking is None:
        return MySchedule((), ())
    today = local_date(booking.facility, now)
    appointments = Appointment.objects.filter(
        pending_appointments(),
        person=person,
        facility=booking.facility,
        room__on_site=True,
        date__gte=today,
    ).order_by("date", "start_minute")
    waits = (
        Requirement.objects.filter(
            booking=booking, source=Source.SERVICE, mandatory=False, closed_at__isnull=True
        )
        # Waiting unless an appointment from today on holds it: one passed with no outcome
        # recorded holds nothing, and the wait goes on.
        .exclude(
            Exists(
                Appointment.objects.filter(
                    pending_appointments(), requirement=OuterRef("pk"), date__gte=today
                )
            )
        )
        .select_related("decision__service")
        .order_by("waiting_since")
    )
    shown_appointments = list(appointments)
    shown_waits = list(waits)
    record_read(
        actor=resident,
        action="scheduling.mine_read",
        facility=booking.facility,
        person=person,
        records=[
            *(f"appointment:{a.pk}" for a in shown_appointments),
            *(f"requirement:{r.pk}" for r in shown_waits),
        ],
        fields=["date", "time", "service", "waiting_since"],
    )
    return MySchedule(
        appointments=tuple(
            MyAppointment(date=a.date, time=minutes_label(a.start_minute))
            for a in shown_appointments
        ),
        waiting=tuple(
            MyWait(
                service=r.decision.service.name(language) if r.decision else "",
                waiting_since=r.waiting_since,
            )
            for r in shown_waits
        ),
    )


# ---- Choices for a supervisor's hand edits -----------------------------------------------


def move_choices(run: ScheduleRun) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(clinicians, rooms) an appointment of this schedule may be moved to, by id."""
    clinicians = (
        User.objects.filter(role=Role.CLINICIAN, is_active=True, facilities=run.facility_id)
        .order_by("username")
        .values_list("pk", "username")
    )
    rooms = Room.objects.filter(facility_id=run.facility_id, active=True).values_list("pk", "name")
    return (
        [(str(pk), name) for pk, name in clinicians],
        [(str(pk), name) for pk, name in rooms],
    )
