"""Writes to schedules: proposing one (after refreshing the requirements), a supervisor's
hand edits, publishing and discarding, and the outcome of each appointment. Each is one
transaction with its audit event (I7); details name records and fields, never clinical
values. Capacity is written by `capacity_services`, requirements by
`requirement_services`."""

from datetime import UTC, date, datetime, timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from kiteline.accounts.models import Role, User
from kiteline.audit.recording import audit
from kiteline.facilities.models import Facility, Person
from kiteline.scheduling import problem as core
from kiteline.scheduling.checks import violations
from kiteline.scheduling.greedy import greedy
from kiteline.scheduling.guards import (
    ScheduleError,
    at_facility,
    checked_text,
    checked_window,
    clinician_here,
    require_role,
    supervising,
)
from kiteline.scheduling.models import (
    MAX_HORIZON_DAYS,
    Appointment,
    AppointmentOutcome,
    AppointmentStatus,
    CloseReason,
    CustodyReason,
    Requirement,
    Room,
    RunStatus,
    ScheduleRun,
)
from kiteline.scheduling.optimizer import SolveOptions, optimize
from kiteline.scheduling.problem_source import load_problem, local_date, pending_appointments
from kiteline.scheduling.requirement_services import refresh_requirements
from kiteline.scheduling.schedule import Appointment as CoreAppointment
from kiteline.scheduling.schedule import Schedule
from kiteline.scheduling.shortfall import shortfall

METHODS = ("cp-sat", "greedy")
# How far ahead a schedule may start: a year, and a day more for a leap year.
MAX_START_DAYS_AHEAD = 366


def latest_start(now: datetime) -> date:
    """The latest first day a schedule may have anywhere now: MAX_START_DAYS_AHEAD after
    the furthest-ahead calendar (a day after UTC's at most). The page's form and the API
    refuse a later day before the facility is known; the service checks its own day."""
    return now.astimezone(UTC).date() + timedelta(days=MAX_START_DAYS_AHEAD + 1)


def schedule_report(solved: Schedule, problem: core.Problem) -> dict[str, object]:
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
    """Refresh the requirements, then solve and store a proposal. It starts tomorrow at the
    earliest (the facility's date), so it never books a time already past nor replans the
    day under way. The solve runs outside any transaction (it may take the whole time
    limit); the proposal is written in one."""
    supervising(actor, facility, "propose schedules")
    if method not in METHODS:
        raise ScheduleError(f"Choose a method: {', '.join(METHODS)}.")
    if days is not None and not 1 <= days <= MAX_HORIZON_DAYS:
        raise ScheduleError(f"A schedule covers 1 to {MAX_HORIZON_DAYS} days.")
    today = local_date(facility, timezone.now())
    if start <= today:
        raise ScheduleError("A schedule starts tomorrow at the earliest.")
    if start > today + timedelta(days=MAX_START_DAYS_AHEAD):
        raise ScheduleError(f"A schedule starts at most {MAX_START_DAYS_AHEAD} days from today.")
    refresh_requirements(actor=actor, facility=facility, now=timezone.now())
    loaded = load_problem(facility, start, days, today=today)
    try:
        core.check_problem(loaded.problem)
    except core.ProblemError as error:
        raise ScheduleError("The capacity data is inconsistent: " + str(error)) from error
    if method == "greedy":
        solved = greedy(loaded.problem)
    else:
        options = SolveOptions(time_limit=time_limit, workers=2, seed=0)
        solved = optimize(loaded.problem, options).schedule
    with transaction.atomic():
        run = ScheduleRun.objects.create(
            facility=facility,
            start=start,
            days=loaded.problem.days,
            method=method,
            solve_status=str(solved.status),
            report=schedule_report(solved, loaded.problem),
            seconds=round(solved.seconds, 3),
            created_by=actor,
            created_at=timezone.now(),
        )
        Appointment.objects.bulk_create(
            Appointment(
                run=run,
                facility=facility,
                requirement=(requirement := loaded.requirements[a.requirement]),
                person_id=requirement.person_id,
                session_type=loaded.session_types[a.session_type],
                clinician=loaded.clinicians[a.clinician],
                room=loaded.rooms[a.room],
                date=a.date,
                start_minute=a.start,
                minutes=a.minutes,
                group=a.group or "",
            )
            for a in solved.appointments
        )
        audit(
            "scheduling.propose",
            actor=actor,
            facility=facility,
            subjects=[f"schedule_run:{run.pk}"],
            method=method,
            appointments=len(solved.appointments),
        )
    return run


def _locked_proposal(appointment: Appointment, actor: User) -> Appointment:
    """The appointment and its schedule read again under lock, each still a proposal: a
    copy read before another request published or discarded it is refused, not trusted."""
    facility = Facility.objects.get(pk=appointment.facility_id)
    supervising(actor, facility, "edit schedules")
    run = ScheduleRun.objects.select_for_update().get(pk=appointment.run_id)
    appointment = Appointment.objects.select_for_update().get(pk=appointment.pk)
    if run.status != RunStatus.PROPOSED:
        raise ScheduleError("Only a proposed schedule can be edited.")
    if appointment.status != AppointmentStatus.PROPOSED:
        raise ScheduleError("That appointment was already taken out of the proposal.")
    appointment.run = run
    return appointment


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
    appointment = _locked_proposal(appointment, actor)
    run = appointment.run
    if not run.start <= day < run.start + timedelta(days=run.days):
        raise ScheduleError("Keep the appointment within the schedule's dates.")
    checked_window(start_minute, start_minute + appointment.minutes, "appointment")
    if room.facility_id != appointment.facility_id:
        raise ScheduleError("That room is not at this facility.")
    clinician_here(clinician, room.facility)
    appointment.date, appointment.start_minute = day, start_minute
    appointment.clinician, appointment.room = clinician, room
    appointment.save(update_fields=["date", "start_minute", "clinician", "room"])
    audit(
        "scheduling.appointment_move",
        actor=actor,
        facility=room.facility,
        subjects=[f"appointment:{appointment.pk}", f"schedule_run:{run.pk}"],
        fields=["date", "start_minute", "clinician", "room"],
    )
    return appointment


@transaction.atomic
def remove_from_proposal(*, actor: User, appointment: Appointment) -> None:
    appointment = _locked_proposal(appointment, actor)
    appointment.status = AppointmentStatus.WITHDRAWN
    appointment.save(update_fields=["status"])
    audit(
        "scheduling.appointment_remove",
        actor=actor,
        facility=Facility.objects.get(pk=appointment.facility_id),
        subjects=[f"appointment:{appointment.pk}", f"schedule_run:{appointment.run_id}"],
    )


def _hard_rule_breaks(run: ScheduleRun, today: date) -> tuple[str, ...]:
    """The core's checks over the proposal, against capacity as it stands now. An
    appointment whose session type, room or clinician is no longer in use is a break of
    its own, and the core checks the rest."""
    loaded = load_problem(
        Facility.objects.get(pk=run.facility_id), run.start, run.days, today=today
    )
    kept = run.appointments.filter(status=AppointmentStatus.PROPOSED).select_related(
        "requirement", "session_type", "clinician", "room", "person"
    )
    requirements = {r.pk: n for n, r in loaded.requirements.items()}
    units = {r.id: r.unit for r in loaded.problem.requirements}
    found: list[str] = []
    appointments = []
    for a in kept:
        number = requirements.get(a.requirement_id)
        gone = []
        if a.session_type.code not in loaded.session_types:
            gone.append(f"its session type {a.session_type.name} is no longer active")
        if a.room.code not in loaded.rooms:
            gone.append(f"the room {a.room.name} is no longer in use")
        if a.clinician.username not in loaded.clinicians:
            gone.append(f"{a.clinician.username} no longer holds sessions here")
        if gone:
            found.append(f"{a.number} on {a.date}: {'; '.join(gone)}.")
            continue
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
    return tuple(found) + violations(loaded.problem, appointments)


def check_proposal(*, actor: User, run: ScheduleRun) -> tuple[str, ...]:
    facility = Facility.objects.get(pk=run.facility_id)
    supervising(actor, facility, "check schedules")
    return _hard_rule_breaks(run, local_date(facility, timezone.now()))


@transaction.atomic
def publish_schedule(*, actor: User, run: ScheduleRun) -> ScheduleRun:
    """Publish a proposal: its appointments become the facility's. Withdrawn, as planned
    again in this one: published appointments in its dates still waiting for an outcome,
    and any other still to come of a requirement it places, so that no requirement holds
    two. It starts tomorrow at the earliest, so nothing of today or before is withdrawn.
    Other proposals are discarded. Refused, with every reason, while a hard rule breaks."""
    facility = Facility.objects.get(pk=run.facility_id)
    supervising(actor, facility, "publish schedules")
    run = ScheduleRun.objects.select_for_update().get(pk=run.pk)
    if run.status != RunStatus.PROPOSED:
        raise ScheduleError("Only a proposed schedule can be published.")
    today = local_date(facility, timezone.now())
    if run.start <= today:
        raise ScheduleError(
            "This proposal starts today or earlier: propose a new one from tomorrow."
        )
    breaks = _hard_rule_breaks(run, today)
    if breaks:
        raise ScheduleError("Not published: " + " ".join(breaks))
    end = run.start + timedelta(days=run.days - 1)
    placing = run.appointments.filter(status=AppointmentStatus.PROPOSED)
    replaced = (
        Appointment.objects.filter(pending_appointments(), facility=facility, date__gt=today)
        .filter(
            Q(date__range=(run.start, end)) | Q(requirement__in=placing.values("requirement_id"))
        )
        .update(status=AppointmentStatus.WITHDRAWN)
    )
    published = placing.update(status=AppointmentStatus.PUBLISHED)
    run.status, run.published_by, run.published_at = RunStatus.PUBLISHED, actor, timezone.now()
    run.save(update_fields=["status", "published_by", "published_at"])
    discarded = ScheduleRun.objects.filter(facility=facility, status=RunStatus.PROPOSED).update(
        status=RunStatus.DISCARDED
    )
    audit(
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
    supervising(actor, facility, "discard schedules")
    # Read again under lock: a copy read before it was published is not trusted.
    run = ScheduleRun.objects.select_for_update().get(pk=run.pk)
    if run.status != RunStatus.PROPOSED:
        raise ScheduleError("Only a proposed schedule can be discarded.")
    run.status = RunStatus.DISCARDED
    run.save(update_fields=["status"])
    audit("scheduling.discard", actor=actor, facility=facility, subjects=[f"schedule_run:{run.pk}"])


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
    """What happened to a published appointment. Attended meets its requirement, and the
    requirement's other appointments from that day on, still waiting for an outcome, are
    withdrawn; any other outcome leaves the requirement open with its due date (it goes
    back to be scheduled, late if it is), so a missed contact never silently drops.
    Written once."""
    require_role(actor, {Role.CLINICIAN, Role.SUPERVISOR}, "record appointment outcomes")
    facility = Facility.objects.get(pk=appointment.facility_id)
    at_facility(actor, facility)
    appointment = Appointment.objects.select_for_update().get(pk=appointment.pk)
    if appointment.status != AppointmentStatus.PUBLISHED:
        raise ScheduleError("Only a published appointment has an outcome.")
    if appointment.outcome:
        raise ScheduleError("This appointment's outcome is already recorded.")
    if outcome not in AppointmentOutcome.values:
        raise ScheduleError("Choose what happened.")
    if appointment.date > local_date(facility, timezone.now()):
        raise ScheduleError("This appointment has not happened yet.")
    note = checked_text(note, "note", required=False)
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
        # Met: a later appointment for it would be a second one. One dated before this,
        # still without an outcome, stays: whether it happened is still to be recorded.
        others = Appointment.objects.filter(
            pending_appointments(),
            requirement_id=appointment.requirement_id,
            date__gte=appointment.date,
        ).exclude(pk=appointment.pk)
        subjects += [f"appointment:{pk}" for pk in others.values_list("pk", flat=True)]
        others.update(status=AppointmentStatus.WITHDRAWN)
    audit(
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
