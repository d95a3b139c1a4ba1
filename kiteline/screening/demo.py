"""What the screening stories need in the demo: a PHQ-9 waiting at the kiosk for each
resident the demo prints, and a new booking for the nurse's receiving screen."""

from collections.abc import Sequence
from dataclasses import dataclass

from django.db import transaction

from kiteline.accounts.models import User
from kiteline.facilities.models import Booking, Facility, Person
from kiteline.screening.models import RECEIVING_SCREEN, Administration
from kiteline.screening.selectors import own_screens_of
from kiteline.screening.services import assign_self_screen

DEMO_SELF_SCREEN = "phq9-v1"


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
    screened = Administration.objects.filter(instrument=RECEIVING_SCREEN).values("booking_id")
    new_booking = (
        Booking.objects.filter(released_at__isnull=True, facility__in=facilities)
        .exclude(pk__in=screened)
        .select_related("person")
        .order_by("-booked_at")
        .first()
    )
    return ScreeningDemo(self_screens=tuple(resident_numbers), new_booking=new_booking)
