"""Care follows its stay: a transfer carries the level of care (it belongs to the stay),
undecided decisions and open appeals to the receiving facility."""

from datetime import datetime
from typing import Any

from django.dispatch import receiver

from kiteline.audit.recording import record_event
from kiteline.care.models import Appeal, Decision
from kiteline.care.services import record_breaches
from kiteline.facilities.models import Booking, Facility
from kiteline.facilities.signals import booking_transferred


@receiver(booking_transferred)
def carry_care(
    sender: object,
    booking: Booking,
    sending: Facility,
    receiving: Facility,
    at: datetime,
    **_: Any,
) -> None:
    appeals = Appeal.objects.filter(decision__booking=booking, decided_at__isnull=True)
    # A deadline passed before the transfer is the sending facility's breach (I5).
    record_breaches(appeals, at)
    decisions = Decision.objects.filter(booking=booking, decided_at__isnull=True)
    subjects = [f"decision:{pk}" for pk in decisions.values_list("pk", flat=True)]
    subjects += [f"appeal:{pk}" for pk in appeals.values_list("pk", flat=True)]
    if not subjects:
        return
    decisions.update(facility=receiving)
    appeals.update(facility=receiving)
    record_event(
        actor=None,
        action="care.transfer",
        facility=receiving,
        person=booking.person,
        subjects=subjects,
        detail={"from": sending.code, "to": receiving.code},
    )
