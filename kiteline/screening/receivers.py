"""Evaluations follow their stay: a new stay owes its E-05 screening, a transfer carries
open evaluations to the receiving facility, and a release closes them."""

from datetime import datetime
from typing import Any

from django.dispatch import receiver
from django.utils import timezone

from kiteline.accounts.models import User
from kiteline.audit.recording import record_event
from kiteline.facilities.models import Booking, Facility
from kiteline.facilities.signals import booking_released, booking_transferred, bookings_started
from kiteline.kites.models import Kite
from kiteline.kites.signals import kite_seen
from kiteline.screening.evaluation_services import (
    close_evaluations_on_release,
    close_with_contact,
    open_screening_duties,
    record_overdue_evaluations,
)
from kiteline.screening.models import Administration, Evaluation


@receiver(bookings_started)
def owe_screening(sender: object, bookings: list[Booking], **_: Any) -> None:
    open_screening_duties(bookings, now=timezone.now())


@receiver(booking_transferred)
def carry_evaluations(
    sender: object,
    booking: Booking,
    sending: Facility,
    receiving: Facility,
    at: datetime,
    **_: Any,
) -> None:
    # A deadline passed before the transfer is the sending facility's breach (I5).
    record_overdue_evaluations(at, booking=booking)
    moving = Evaluation.objects.filter(
        booking=booking, done_at__isnull=True, closed_at__isnull=True
    )
    for pk in moving.values_list("pk", flat=True):
        record_event(
            actor=None,
            action="evaluation.transfer",
            facility=receiving,
            person=booking.person,
            subjects=[f"evaluation:{pk}"],
            detail={"from": sending.code, "to": receiving.code},
        )
    moving.update(facility=receiving)
    # A screen being given goes along, so the receiving facility's staff can finish it.
    screens = Administration.objects.filter(booking=booking, submitted_at__isnull=True)
    for pk in screens.values_list("pk", flat=True):
        record_event(
            actor=None,
            action="screening.transfer",
            facility=receiving,
            person=booking.person,
            subjects=[f"screening:{pk}"],
            detail={"from": sending.code, "to": receiving.code},
        )
    screens.update(facility=receiving)


@receiver(kite_seen)
def evaluated_on_contact(
    sender: object, kite: Kite, actor: User, seen_at: datetime, **_: Any
) -> None:
    close_with_contact(kite=kite, actor=actor, seen_at=seen_at)


@receiver(booking_released)
def close_evaluations(sender: object, booking: Booking, **_: Any) -> None:
    close_evaluations_on_release(booking=booking)
