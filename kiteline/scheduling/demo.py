"""What the scheduling stories need in the demo: the main facility's capacity (rooms,
session types, the demo clinicians' hours, a training day, a unit's lockdown), levels of
care and approved group therapy for part of the roster, last week's schedule with its
outcomes, and a published two-week schedule from tomorrow (a schedule never starts on a day
under way). Synthetic figures, for trying the system.

Runs once: a second `make demo` finds the published schedule and leaves everything as is.
"""

import random
from collections.abc import Sequence
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone

from kiteline.accounts.models import User
from kiteline.audit.recording import record_event
from kiteline.care.models import Decision, LevelAssignment, Service
from kiteline.care.services import assign_level, confirm_decision, request_decision
from kiteline.facilities.models import Booking, Facility
from kiteline.scheduling.capacity_services import (
    SessionTypeDetails,
    add_availability_exception,
    add_restriction,
    add_room,
    add_session_type,
    save_scheduling_settings,
    set_weekly_hours,
)
from kiteline.scheduling.greedy import greedy
from kiteline.scheduling.models import (
    Appointment,
    AppointmentOutcome,
    AppointmentStatus,
    CloseReason,
    CustodyReason,
    Requirement,
    RestrictionKind,
    RunStatus,
    ScheduleRun,
)
from kiteline.scheduling.problem_source import load_problem, local_date
from kiteline.scheduling.requirement_services import refresh_requirements
from kiteline.scheduling.services import propose_schedule, publish_schedule, schedule_report

MORNING, AFTERNOON = (8 * 60, 11 * 60 + 30), (13 * 60, 16 * 60 + 30)
# Levels given to part of the roster: (level, share of the people held). Crisis care is
# left to the clinicians: a crisis needs a person's own story, not a demo's draw.
LEVELS = (("outpatient", 0.12), ("enhanced", 0.04))
GROUP_MEMBERS = 12
SOLVE_SECONDS = 8.0


def prepare_scheduling_demo(facilities: Sequence[Facility]) -> ScheduleRun:
    """The main facility's published schedule, made on the first run."""
    facility = facilities[0]
    published = ScheduleRun.objects.filter(facility=facility, status=RunStatus.PUBLISHED).first()
    if published is not None:
        return published
    supervisor = User.objects.get(username="supervisor")
    _capacity(facility, supervisor)
    _care(facility)
    _last_week(facility, supervisor)
    tomorrow = local_date(facility, timezone.now()) + timedelta(days=1)
    run = propose_schedule(
        actor=supervisor, facility=facility, start=tomorrow, days=14, time_limit=SOLVE_SECONDS
    )
    return publish_schedule(actor=supervisor, run=run)


@transaction.atomic
def _capacity(facility: Facility, supervisor: User) -> None:
    clinician = User.objects.get(username="clinician")
    clinician2 = User.objects.get(username="clinician2")
    save_scheduling_settings(
        actor=supervisor, facility=facility, periods=[MORNING, AFTERNOON], horizon_days=14
    )
    for number in (1, 2, 3):
        add_room(
            actor=supervisor,
            facility=facility,
            code=f"room-{number}",
            name=f"Health unit, room {number}",
            seats=1,
        )
    add_room(
        actor=supervisor, facility=facility, code="dayroom", name="Health unit, day room", seats=10
    )
    both = [clinician, clinician2]
    group_service = Service.objects.get(facility=facility, code="group_therapy")
    for code, details in (
        ("individual", SessionTypeDetails("Individual session", "individual", 45, 1, both)),
        ("psychiatry", SessionTypeDetails("Psychiatry", "psychiatry", 30, 1, [clinician2])),
        (
            "crisis-follow-up",
            SessionTypeDetails("Crisis follow-up", "crisis_follow_up", 30, 1, both),
        ),
        (
            "coping-group",
            SessionTypeDetails(
                "Coping skills group", "group", 60, 8, [clinician], group_service, 7
            ),
        ),
    ):
        add_session_type(actor=supervisor, facility=facility, code=code, details=details)
    # Weekday mornings and afternoons; weekend mornings for clinician, who covers crises.
    weekdays = [(d, *MORNING) for d in range(5)] + [(d, *AFTERNOON) for d in range(5)]
    set_weekly_hours(
        actor=supervisor,
        facility=facility,
        clinician=clinician,
        windows=[*weekdays, (5, *MORNING), (6, *MORNING)],
    )
    set_weekly_hours(actor=supervisor, facility=facility, clinician=clinician2, windows=weekdays)
    today = local_date(facility, timezone.now())
    add_availability_exception(
        actor=supervisor,
        facility=facility,
        clinician=clinician2,
        day=today + timedelta(days=8),
        window=None,
        reason="training",
    )
    unit = facility.housing_units.order_by("code").first()
    add_restriction(
        actor=supervisor,
        facility=facility,
        unit=unit,
        day=today + timedelta(days=3),
        start_minute=MORNING[0],
        end_minute=MORNING[1],
        kind=RestrictionKind.LOCKDOWN,
    )


@transaction.atomic
def _care(facility: Facility) -> None:
    """Levels of care for part of the roster, some set weeks ago (so their contacts are due
    now), and group therapy approved for a dozen people (the waitlist)."""
    clinician = User.objects.get(username="clinician")
    rng = random.Random(8)  # noqa: S311 -- synthetic demo data, reproducible
    held = list(
        Booking.objects.filter(facility=facility, released_at__isnull=True)
        .select_related("person")
        .order_by("booking_number")
    )
    rng.shuffle(held)
    start = 0
    backdated = []
    for level, share in LEVELS:
        chosen = held[start : start + round(len(held) * share)]
        start += len(chosen)
        for booking in chosen:
            assignment = assign_level(
                actor=clinician, person=booking.person, level=level, reason="Demo level of care."
            )
            set_weeks_ago = timedelta(days=rng.randrange(0, 35))
            LevelAssignment.objects.filter(pk=assignment.pk).update(
                assigned_at=assignment.assigned_at - set_weeks_ago
            )
            backdated.append(f"level:{assignment.pk}")
    # Moving the levels' dates into the past is a write of its own: recorded like any other.
    record_event(
        actor=None,
        action="scheduling.demo_levels_backdated",
        facility=facility,
        subjects=backdated,
        detail={"levels": len(backdated)},
    )
    group = Service.objects.get(facility=facility, code="group_therapy")
    for booking in held[start : start + GROUP_MEMBERS]:
        decision: Decision = request_decision(actor=clinician, person=booking.person, service=group)
        confirm_decision(actor=clinician, decision=decision)


# Last week's outcomes, as shares of its appointments (synthetic figures).
OUTCOMES = (
    (AppointmentOutcome.ATTENDED, "", "", 0.7),
    (AppointmentOutcome.REFUSED, "", "Offered the same time next week.", 0.1),
    (AppointmentOutcome.CANCELLED_CUSTODY, CustodyReason.STAFFING, "", 0.1),
    (AppointmentOutcome.CANCELLED_CLINICIAN, "", "Called to a crisis on another unit.", 0.1),
)


def _last_week(facility: Facility, supervisor: User) -> None:
    """The seven days before today as if they had been scheduled and held: the greedy
    scheduler lays out what was due then, and each appointment gets an outcome. Written as
    history, with one audit event, since no service publishes a schedule for days gone by;
    an attended contact meets its requirement, any other leaves it owed (as it would be)."""
    now = timezone.now()
    today = local_date(facility, now)
    start = today - timedelta(days=7)
    refresh_requirements(actor=None, facility=facility, now=now)
    loaded = load_problem(facility, start, 7, today=start)
    solved = greedy(loaded.problem)
    rng = random.Random(12)  # noqa: S311 -- synthetic demo data, reproducible
    with transaction.atomic():
        run = ScheduleRun.objects.create(
            facility=facility,
            start=start,
            days=7,
            method="greedy",
            solve_status=str(solved.status),
            report=schedule_report(solved, loaded.problem),
            seconds=round(solved.seconds, 3),
            status=RunStatus.PUBLISHED,
            created_by=supervisor,
            created_at=now,
            published_by=supervisor,
            published_at=now,
        )
        for placed in solved.appointments:
            requirement = loaded.requirements[placed.requirement]
            outcome, reason, note, _share = rng.choices(OUTCOMES, [o[3] for o in OUTCOMES])[0]
            held_at = datetime.combine(
                placed.date,
                time(placed.start // 60, placed.start % 60),
                ZoneInfo(facility.time_zone),
            )
            Appointment.objects.create(
                run=run,
                facility=facility,
                requirement=requirement,
                person_id=requirement.person_id,
                session_type=loaded.session_types[placed.session_type],
                clinician=(clinician := loaded.clinicians[placed.clinician]),
                room=loaded.rooms[placed.room],
                date=placed.date,
                start_minute=placed.start,
                minutes=placed.minutes,
                group=placed.group or "",
                status=AppointmentStatus.PUBLISHED,
                outcome=outcome,
                custody_reason=reason,
                outcome_note=note,
                outcome_by=clinician,
                outcome_at=held_at + timedelta(minutes=placed.minutes),
            )
            if outcome == AppointmentOutcome.ATTENDED:
                Requirement.objects.filter(pk=requirement.pk, closed_at__isnull=True).update(
                    closed_at=held_at, close_reason=CloseReason.MET
                )
        record_event(
            actor=None,
            action="scheduling.demo_history",
            facility=facility,
            subjects=[f"schedule_run:{run.pk}"],
            detail={"appointments": len(solved.appointments)},
        )
