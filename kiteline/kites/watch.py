"""Custody's safety tasks as writes: watch status, set and cleared by a clinician, and the
"welfare check now" notices that officers mark done.

Custody may know who is on watch, at what level and how often to check, never why (I6);
every change records its audit event in the same transaction, with identifiers only (I7).
"""

from datetime import datetime

from django.db import transaction
from django.db.models import TextChoices
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kiteline.accounts.models import Role, User
from kiteline.audit.recording import record_event
from kiteline.facilities.models import Booking
from kiteline.kites.models import WatchStatus, WelfareCheck

# A check more than two hours apart is not a watch.
MAX_CHECK_MINUTES = 120


class WatchLevel(TextChoices):
    CONSTANT = "constant", _("Constant observation")
    CLOSE = "close", _("Close observation")


class WatchError(ValueError):
    """A watch or welfare-check change that cannot be made, with the reason in plain words."""


def _check_clinician(actor: User, booking: Booking) -> None:
    if not actor.is_staff_member or actor.role != Role.CLINICIAN:
        raise WatchError("Only a clinician sets or clears a watch.")
    if not actor.facilities.filter(pk=booking.facility_id).exists():
        raise WatchError(f"Booking {booking.booking_number} is not at your facilities.")


@transaction.atomic
def set_watch(*, actor: User, booking: Booking, level: str, check_minutes: int) -> WatchStatus:
    """Put the person on watch for this stay. A watch already open is cleared first, so the
    record keeps every level the person was on and when it changed."""
    # Only the booking's row is locked: it serialises two clinicians setting a watch at once.
    booking = Booking.objects.select_for_update().get(pk=booking.pk)
    _check_clinician(actor, booking)
    if not booking.is_open:
        raise WatchError(f"Booking {booking.booking_number} has ended.")
    if level not in WatchLevel.values:
        raise WatchError("Choose a watch level.")
    if not 1 <= check_minutes <= MAX_CHECK_MINUTES:
        raise WatchError(f"Checks are every 1 to {MAX_CHECK_MINUTES} minutes.")
    now = timezone.now()
    current = booking.watches.select_for_update().filter(cleared_at__isnull=True).first()
    if current is not None:
        _clear(actor, current, booking, now)
    watch = WatchStatus.objects.create(
        booking=booking, level=level, check_minutes=check_minutes, set_at=now, set_by=actor
    )
    record_event(
        actor=actor,
        action="watch.set",
        facility=booking.facility,
        person=booking.person,
        subjects=[f"watch:{watch.pk}", f"booking:{booking.pk}"],
        detail={"fields": ["level", "check_minutes"]},
    )
    return watch


@transaction.atomic
def clear_watch(*, actor: User, watch: WatchStatus) -> WatchStatus:
    watch = WatchStatus.objects.select_for_update().get(pk=watch.pk)
    booking = Booking.objects.select_related("person", "facility").get(pk=watch.booking_id)
    _check_clinician(actor, booking)
    if watch.cleared_at is not None:
        raise WatchError("This watch was already cleared.")
    return _clear(actor, watch, booking, timezone.now())


def _clear(actor: User, watch: WatchStatus, booking: Booking, now: datetime) -> WatchStatus:
    watch.cleared_at, watch.cleared_by = now, actor
    watch.save(update_fields=["cleared_at", "cleared_by"])
    record_event(
        actor=actor,
        action="watch.clear",
        facility=booking.facility,
        person=booking.person,
        subjects=[f"watch:{watch.pk}", f"booking:{booking.pk}"],
    )
    return watch


@transaction.atomic
def complete_welfare_check(*, actor: User, check: WelfareCheck) -> WelfareCheck:
    """An officer looked in on the person: when, and who."""
    check = WelfareCheck.objects.select_for_update().get(pk=check.pk)
    if not actor.is_staff_member or actor.role != Role.CUSTODY:
        raise WatchError("Only a custody officer records a welfare check.")
    if not actor.facilities.filter(pk=check.facility_id).exists():
        raise WatchError("This welfare check is not at your facilities.")
    if check.done_at is not None:
        raise WatchError("This welfare check was already recorded as done.")
    check.done_at, check.done_by = timezone.now(), actor
    check.save(update_fields=["done_at", "done_by"])
    record_event(
        actor=actor,
        action="welfare_check.done",
        facility=check.facility,
        person=check.person,
        subjects=[f"welfare_check:{check.pk}"],
    )
    return check
