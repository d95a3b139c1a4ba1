"""Kites follow their stay: a transfer carries open requests, their clocks, alerts and
welfare checks to the receiving facility; a release closes them."""

from datetime import datetime
from typing import Any

from django.dispatch import receiver

from kiteline.audit.recording import record_event
from kiteline.facilities.models import Booking, Facility
from kiteline.facilities.signals import booking_released, booking_transferred
from kiteline.kites.models import Alert, Clock, Kite, Status, WelfareCheck
from kiteline.kites.services import (
    ON_CALL_LEVEL,
    SUPERVISOR_LEVEL,
    alert_window,
    close_on_release,
    record_breach,
)
from kiteline.kites.standards import on_call_now

OPEN = (Status.RECEIVED, Status.TRIAGED)


@receiver(booking_transferred)
def carry_kites(
    sender: object,
    booking: Booking,
    sending: Facility,
    receiving: Facility,
    at: datetime,
    **_: Any,
) -> None:
    kites = list(Kite.objects.filter(booking=booking, status__in=OPEN))
    if not kites:
        return
    # A deadline passed before the transfer is the sending facility's breach (I5).
    overdue = Clock.objects.filter(
        kite__in=kites, met_at__isnull=True, due_at__lt=at, breach__isnull=True
    ).select_related("kite__facility", "kite__person")
    for clock in overdue:
        record_breach(clock)
    Kite.objects.filter(pk__in=[kite.pk for kite in kites]).update(facility=receiving)
    placement = booking.placements.select_related("housing_unit").get(ended_at__isnull=True)
    WelfareCheck.objects.filter(person=booking.person, done_at__isnull=True).update(
        facility=receiving, housing_unit=placement.housing_unit
    )
    shift = on_call_now(receiving, at)
    for alert in Alert.objects.filter(
        kite__in=kites, acknowledged_at__isnull=True, escalated_at__isnull=True
    ).select_related("kite__standard"):
        # The receiving facility's clinician on call takes over, with a fresh window.
        alert.escalated_at = at
        alert.save(update_fields=["escalated_at"])
        Alert.objects.create(
            kite=alert.kite,
            facility=receiving,
            level=ON_CALL_LEVEL if shift is not None else SUPERVISOR_LEVEL,
            recipient=None if shift is None else shift.clinician,
            created_at=at,
            ack_due_at=at + alert_window(alert.kite),
        )
    for kite in kites:
        record_event(
            actor=None,
            action="kite.transfer",
            facility=receiving,
            person=booking.person,
            subjects=[f"kite:{kite.pk}"],
            detail={"from": sending.code, "to": receiving.code},
        )


@receiver(booking_released)
def close_kites(sender: object, booking: Booking, **_: Any) -> None:
    close_on_release(booking=booking)
