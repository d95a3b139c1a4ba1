"""Six months of synthetic request history at the demo's main facility, so the compliance
dashboard and the public report have figures to show: requests received, triaged and seen
(most on time, some late, some closed without a visit), with their clocks and breaches.

Written in bulk with one audit event for the whole history (a synthetic seed, as the roster
generator writes its roster), never through the services that stamp `now`. The deadlines are
the clock core's, under the facility's standard, as the services would have set them (72
hours for a visit over a weekend). Runs once.
"""

import random
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from kiteline.accounts.models import User
from kiteline.audit.recording import record_event
from kiteline.facilities.models import Booking, Facility
from kiteline.kites import clocks
from kiteline.kites.models import (
    Breach,
    Channel,
    Clock,
    ClockKind,
    CloseCode,
    FacilityStandard,
    Kite,
    Route,
    Status,
    Topic,
    Urgency,
)
from kiteline.kites.models import Outcome as KiteOutcome
from kiteline.kites.standards import clock_standard, current_standard

DAYS = 183
# Requests a day across the facility, and the shares that go wrong (synthetic figures).
PER_DAY = 6
LATE_TRIAGE = 0.06
LATE_CONTACT = 0.12
NO_SYMPTOM = 0.3
CLOSED_UNSEEN = 0.08
TOPICS = [Topic.TALK, Topic.THERAPY, Topic.MEDICATION, Topic.OTHER]
CHANNELS = [Channel.KIOSK, Channel.PAPER, Channel.KIOSK, Channel.VOICE]
CLOSE_CODES = [CloseCode.ANSWERED_IN_WRITING, CloseCode.WITHDRAWN, CloseCode.DUPLICATE]


def prepare_reports_demo(facility: Facility, now: datetime | None = None) -> int:
    """The history's requests, created on the first run only; the number created."""
    now = now or timezone.now()
    start = now - timedelta(days=DAYS)
    if Kite.objects.filter(facility=facility, received_at__lt=now - timedelta(days=2)).exists():
        return 0
    nurse = User.objects.get(username="nurse")
    clinicians = list(User.objects.filter(username__in=["clinician", "clinician2"]))
    bookings = list(Booking.objects.filter(facility=facility).order_by("pk"))
    rng = random.Random(9)  # noqa: S311 -- synthetic demo data, reproducible
    with transaction.atomic():
        created = _history(facility, bookings, nurse, clinicians, start, rng)
        record_event(
            actor=None,
            action="reports.demo_history",
            facility=facility,
            detail={"kites": created},
        )
    return created


def _held_at(bookings: list[Booking], moment: datetime) -> list[Booking]:
    return [
        b
        for b in bookings
        if b.booked_at <= moment and (b.released_at is None or b.released_at > moment)
    ]


def _step(rng: random.Random, received: datetime, due: datetime, late: bool) -> datetime:
    """A step's time: within the allowance, or after the deadline by up to most of it."""
    allowance = due - received
    if late:
        return due + allowance * rng.uniform(0.05, 0.7)
    return received + allowance * rng.uniform(0.05, 0.9)


def _history(
    facility: Facility,
    bookings: list[Booking],
    nurse: User,
    clinicians: list[User],
    start: datetime,
    rng: random.Random,
) -> int:
    standard: FacilityStandard | None = current_standard(facility)
    rules = clock_standard(facility, standard)
    kites: list[Kite] = []
    deadlines: list[tuple[Kite, datetime, datetime | None]] = []
    # The last week stays empty: a late visit comes up to five days after receipt, and
    # every step of the history is in the past.
    for day in range(DAYS - 7):
        for _ in range(rng.randint(PER_DAY // 2, PER_DAY * 3 // 2)):
            received = start + timedelta(days=day, minutes=rng.randrange(6 * 60, 22 * 60))
            held = _held_at(bookings, received)
            if not held:
                continue
            booking = rng.choice(held)
            triage_due = clocks.triage_due(rules, received)
            triaged = _step(rng, received, triage_due, rng.random() < LATE_TRIAGE)
            symptom = rng.random() >= NO_SYMPTOM
            visit_due = clocks.face_to_face_due(rules, received) if symptom else None
            seen = None
            if visit_due is not None and rng.random() >= CLOSED_UNSEEN:
                seen = _step(rng, received, visit_due, rng.random() < LATE_CONTACT)
            kite = Kite(
                person_id=booking.person_id,
                booking=booking,
                facility=facility,
                standard=standard,
                channel=rng.choice(CHANNELS),
                topic=rng.choice(TOPICS),
                text="Synthetic request from the demo history.",
                received_at=received,
                entered_at=received,
                urgency=Urgency.ROUTINE,
                status=Status.CLOSED,
                triaged_at=triaged,
                triaged_by=nurse,
                symptom_described=symptom,
                route=Route.MENTAL_HEALTH,
                seen_at=seen,
                seen_by=rng.choice(clinicians) if seen else None,
                contact_place="confidential_room" if seen else "",
                outcome=KiteOutcome.RESOLVED if seen else "",
                close_code="" if seen else rng.choice(CLOSE_CODES),
                closed_at=(seen or triaged) + timedelta(hours=2),
            )
            kites.append(kite)
            deadlines.append((kite, triage_due, visit_due))
    Kite.objects.bulk_create(kites, batch_size=500)
    clocks_made: list[Clock] = []
    for kite, triage_due, visit_due in deadlines:
        clocks_made.append(
            Clock(kite=kite, kind=ClockKind.TRIAGE, due_at=triage_due, met_at=kite.triaged_at)
        )
        if visit_due is not None:
            # As the services do: closing a request stops its clocks.
            clocks_made.append(
                Clock(
                    kite=kite,
                    kind=ClockKind.FACE_TO_FACE,
                    due_at=visit_due,
                    met_at=kite.seen_at or kite.closed_at,
                )
            )
    Clock.objects.bulk_create(clocks_made, batch_size=500)
    Breach.objects.bulk_create(
        (
            Breach(
                clock=clock, facility=facility, breached_at=clock.due_at, recorded_at=clock.due_at
            )
            for clock in clocks_made
            if clock.met_at is not None and clock.met_at > clock.due_at
        ),
        batch_size=500,
    )
    return len(kites)
