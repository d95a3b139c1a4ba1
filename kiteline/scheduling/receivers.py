"""Scheduling follows its stay: a release or a transfer closes the stay's open requirements
at once, with the reason and at the event's time, and withdraws their appointments still to
come, in the roster change's transaction. The receiving facility's next refresh opens its
own, counted from the same facts, so a wait carries."""

from datetime import datetime
from typing import Any

from django.dispatch import receiver

from kiteline.facilities.models import Booking, Facility
from kiteline.facilities.signals import booking_released, booking_transferred
from kiteline.scheduling.models import CloseReason
from kiteline.scheduling.requirement_services import close_stay_requirements


@receiver(booking_released)
def close_on_release(sender: object, booking: Booking, **_: Any) -> None:
    assert booking.released_at is not None  # noqa: S101 -- the release has just saved it
    close_stay_requirements(booking=booking, reason=CloseReason.RELEASED, at=booking.released_at)


@receiver(booking_transferred)
def close_on_transfer(
    sender: object,
    booking: Booking,
    sending: Facility,
    receiving: Facility,
    at: datetime,
    **_: Any,
) -> None:
    close_stay_requirements(booking=booking, reason=CloseReason.TRANSFERRED, at=at, keep=receiving)
