"""What the screening stories need in the demo: a PHQ-9 waiting at the kiosk for each
resident the demo prints, a new booking for the nurse's receiving screen, and PHQ-9 scores
for part of the roster, for decisions and the what-if to read."""

import random
from collections.abc import Sequence
from dataclasses import dataclass

from django.db import transaction

from kiteline.accounts.models import User
from kiteline.facilities.models import Booking, Facility, Person
from kiteline.screening.models import RECEIVING_SCREEN, Administration, Mode
from kiteline.screening.selectors import own_screens_of
from kiteline.screening.services import (
    assign_self_screen,
    record_answer,
    start_administration,
    submit_screen,
)

DEMO_SELF_SCREEN = "phq9-v1"
# Part of the roster gets a PHQ-9 the nurse gave, so that decisions and the what-if have
# scores to read; the rest have none (their policies then ask a clinician).
SCREENED_SHARE = 0.5


@dataclass(frozen=True)
class ScreeningDemo:
    self_screens: tuple[str, ...]  # resident numbers with a PHQ-9 waiting
    new_booking: Booking | None  # the latest stay still without its receiving screen


@transaction.atomic
def prepare_screening_demo(
    facilities: Sequence[Facility], resident_numbers: Sequence[str]
) -> ScreeningDemo:
    clinician = User.objects.get(username="clinician")
    for person in Person.objects.filter(resident_number__in=resident_numbers):
        if not own_screens_of(person).filter(instrument=DEMO_SELF_SCREEN).exists():
            assign_self_screen(actor=clinician, person=person, instrument=DEMO_SELF_SCREEN)
    _give_phq9s(facilities[0], exclude=resident_numbers)
    screened = Administration.objects.filter(instrument=RECEIVING_SCREEN).values("booking_id")
    new_booking = (
        Booking.objects.filter(released_at__isnull=True, facility__in=facilities)
        .exclude(pk__in=screened)
        .select_related("person")
        .order_by("-booked_at")
        .first()
    )
    return ScreeningDemo(self_screens=tuple(resident_numbers), new_booking=new_booking)


def _give_phq9s(facility: Facility, *, exclude: Sequence[str]) -> None:
    """A PHQ-9 given by the demo nurse to part of the people held at `facility`, with
    answers drawn from a fixed seed; none twice, and never to the printed residents, whose
    own PHQ-9 waits at the kiosk."""
    given = Administration.objects.filter(
        facility=facility, instrument=DEMO_SELF_SCREEN, mode=Mode.STAFF
    )
    if given.exists():
        return
    nurse = User.objects.get(username="nurse")
    draw = random.Random(1)  # noqa: S311 -- synthetic demo answers, not a secret
    people = (
        Person.objects.filter(bookings__facility=facility, bookings__released_at__isnull=True)
        .exclude(resident_number__in=exclude)
        .order_by("resident_number")
    )
    for person in people:
        if draw.random() >= SCREENED_SHARE:
            continue
        screen = start_administration(actor=nurse, person=person, instrument=DEMO_SELF_SCREEN)
        # Mostly low answers, some high; item 9 stays 0 so the demo raises no alarms.
        severity = draw.choice((0, 0, 1, 1, 2))
        for n in range(1, 10):
            value = 0 if n == 9 else min(3, max(0, severity + draw.choice((-1, 0, 0, 1))))
            record_answer(actor=nurse, administration=screen, item=f"q{n}", value=value)
        submit_screen(actor=nurse, administration=screen)
