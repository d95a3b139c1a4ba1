"""Six months of synthetic request history at the demo's main facility, so the compliance
dashboard and the public report have figures to show: requests received, triaged and seen
(most on time, some late, some closed without a visit), with their clocks and breaches.

Written in bulk with one audit event for the whole history (a synthetic seed, as the roster
generator writes its roster), never through the services that stamp `now`. Runs once.
"""

import random
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from kiteline.accounts.models import User
from kiteline.audit.recording import record_event
from kiteline.facilities.models import Booking, Facility
from kiteline.kites.models import (
    Breach,
    Channel,
    Clock,
    ClockKind,
    CloseCode,
    Kite,
    Route,
    Status,
    Topic,
    Urgency,
)
from kiteline.kites.models import Outcome as KiteOutcome

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
        created = _history(facility, bookings, nurse, clinicians, start, now, rng)
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


def _history(
    facility: Facility,
    bookings: list[Booking],
    nurse: User,
    clinicians: list[User],
    start: datetime,
    now: datetime,
    rng: random.Random,
) -> int:
    kites: list[Kite] = []
    plans: list[tuple[Kite, datetime, datetime | None, datetime | None]] = []
    for day in range(DAYS - 2):
        for _ in range(rng.randint(PER_DAY // 2, PER_DAY * 3 // 2)):
            received = start + timedelta(days=day, minutes=rng.randrange(6 * 60, 22 * 60))
            held = _held_at(bookings, received)
            if not held:
                continue
            booking = rng.choice(held)
            triaged = received + timedelta(
                hours=rng.uniform(25, 40) if rng.random() < LATE_TRIAGE else rng.uniform(1, 20)
            )
            symptom = rng.random() >= NO_SYMPTOM
            unseen = rng.random() < CLOSED_UNSEEN
            seen = None
            if symptom and not unseen:
                late = rng.random() < LATE_CONTACT
                seen = received + timedelta(
                    hours=rng.uniform(50, 90) if late else rng.uniform(4, 46)
                )
            closed = (seen or triaged) + timedelta(hours=2)
            kite = Kite(
                person_id=booking.person_id,
                booking=booking,
                facility=facility,
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
                closed_at=closed,
            )
            kites.append(kite)
            plans.append((kite, triaged, seen, closed))
    Kite.objects.bulk_create(kites, batch_size=500)
    clocks: list[Clock] = []
    for kite, triaged, seen, _closed in plans:
        clocks.append(
            Clock(
                kite=kite,
                kind=ClockKind.TRIAGE,
                due_at=kite.received_at + timedelta(hours=24),
                met_at=triaged,
            )
        )
        if kite.symptom_described:
            clocks.append(
                Clock(
                    kite=kite,
                    kind=ClockKind.FACE_TO_FACE,
                    due_at=kite.received_at + timedelta(hours=48),
                    met_at=seen or kite.closed_at,
                )
            )
    Clock.objects.bulk_create(clocks, batch_size=500)
    Breach.objects.bulk_create(
        (
            Breach(
                clock=clock, facility=facility, breached_at=clock.due_at, recorded_at=clock.due_at
            )
            for clock in clocks
            if clock.met_at is not None and clock.met_at > clock.due_at
        ),
        batch_size=500,
    )
    return len(kites)
