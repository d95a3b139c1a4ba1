"""Writes to requirements: `refresh_requirements` keeps a facility's in step with levels of
care, decisions, kites, evaluations and the roster (the sweep runs it for every facility
through `refresh_due_requirements`); `close_stay_requirements` closes a stay's at once when
the person is released or transferred (`receivers.py`). Each is one transaction with its
audit event (I7); details name records and counts, never clinical values."""

import logging
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Q

from kiteline.accounts.models import Role, User
from kiteline.audit.recording import audit
from kiteline.facilities.models import Booking, Facility
from kiteline.kites.models import Heartbeat
from kiteline.scheduling.guards import at_facility, require_role
from kiteline.scheduling.models import (
    Appointment,
    AppointmentStatus,
    CloseReason,
    Requirement,
    SessionType,
    Source,
)
from kiteline.scheduling.problem_source import pending_appointments, still_to_come
from kiteline.scheduling.requirement_rules import Spec, specs
from kiteline.scheduling.requirement_sources import gather_facts, session_holders

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class RefreshResult:
    opened: int
    updated: int
    closed: int
    # Specs no session type can hold here (no active session type of the kind needed).
    unplaceable: tuple[str, ...]


# What a refresh may change on an open requirement, by attribute; the session type by id,
# so that comparing reads no row.
_UPDATED_FIELDS = ("session_type_id", "earliest", "due", "acuity", "mandatory", "waiting_since")


@transaction.atomic
def refresh_requirements(*, actor: User | None, facility: Facility, now: datetime) -> RefreshResult:
    """Bring the facility's requirements in line with levels, decisions, kites, evaluations
    and the roster. Opens what is newly needed, updates what changed (a new level), and
    closes, with the reason, what is needed no longer (a release, a transfer, a kite seen,
    an evaluation done). A due date only ever moves earlier: an open requirement keeps the
    earlier of its due date and the new one, and the earlier waiting since (a change of
    level never makes a contact already due less late, I5). Appointments still to come of
    a requirement that closed are withdrawn. Idempotent: a second run changes nothing."""
    if actor is not None:
        require_role(actor, {Role.SUPERVISOR, Role.CLINICIAN, Role.NURSE}, "update requirements")
        at_facility(actor, facility)
    holders = session_holders(facility)
    wanted: dict[tuple[int, str], tuple[Spec, SessionType]] = {}
    unplaceable = []
    # Still needed though nothing here can hold them now: an open one stays open as it is
    # (closing it would say, falsely, that it was done or is no longer needed).
    held: set[tuple[int, str]] = set()
    for spec in specs(gather_facts(facility, holders)):
        session = holders.holder(spec.session)
        if session is None:
            unplaceable.append(f"{spec.key} needs a {spec.session} session type")
            held.add((spec.booking, spec.key))
        else:
            wanted[(spec.booking, spec.key)] = (spec, session)
    # Those of people held here now, and those this facility opened for people since moved.
    open_here = (
        Requirement.objects.select_for_update()
        .filter(Q(facility=facility) | Q(booking__facility=facility), closed_at__isnull=True)
        .select_related("booking")
    )
    opened, updated, closed = [], [], []
    for requirement in open_here:
        reason = _close_reason(requirement, facility, wanted, held)
        if reason is not None:
            requirement.closed_at, requirement.close_reason = now, reason
            requirement.save(update_fields=["closed_at", "close_reason"])
            closed.append(requirement)
            continue
        if requirement.facility_id != facility.pk or (
            (requirement.booking_id, requirement.key) in held
        ):
            continue
        spec, session = wanted.pop((requirement.booking_id, requirement.key))
        values = _values(spec, session, requirement)
        if any(getattr(requirement, f) != values[f] for f in _UPDATED_FIELDS):
            for field in _UPDATED_FIELDS:
                setattr(requirement, field, values[field])
            requirement.save(update_fields=[f.removesuffix("_id") for f in _UPDATED_FIELDS])
            updated.append(requirement)
    bookings = dict(
        facility.bookings.filter(pk__in={b for b, _ in wanted}).values_list("pk", "person_id")
    )
    for (booking_id, key), (spec, session) in sorted(wanted.items()):
        opened.append(
            Requirement.objects.create(
                facility=facility,
                booking_id=booking_id,
                person_id=bookings[booking_id],
                source=spec.source,
                key=key,
                decision_id=spec.decision,
                opened_at=now,
                **_values(spec, session),
            )
        )
    withdrawn = withdraw_still_to_come(closed, now)
    if opened or updated or closed:
        audit(
            "scheduling.requirements_refresh",
            actor=actor,
            facility=facility,
            subjects=[f"requirement:{r.pk}" for r in opened + updated + closed],
            opened=len(opened),
            updated=len(updated),
            closed=len(closed),
            appointments_withdrawn=len(withdrawn),
        )
    return RefreshResult(len(opened), len(updated), len(closed), tuple(unplaceable))


def withdraw_still_to_come(requirements: Collection[Requirement], at: datetime) -> list[int]:
    """Withdraw the published appointments of these requirements that start at `at` or
    later and wait for their outcome; the ids withdrawn. One that began before stays as it
    is: whether it happened is a clinician's to record, never erased by a later change."""
    withdrawn: list[int] = []
    for facility in Facility.objects.filter(pk__in={r.facility_id for r in requirements}):
        pending = Appointment.objects.filter(
            pending_appointments(),
            still_to_come(facility, at),
            requirement__in=[r.pk for r in requirements if r.facility_id == facility.pk],
        )
        withdrawn += pending.values_list("pk", flat=True)
    Appointment.objects.filter(pk__in=withdrawn).update(status=AppointmentStatus.WITHDRAWN)
    return withdrawn


def close_stay_requirements(
    *, booking: Booking, reason: str, at: datetime, keep: Facility | None = None
) -> None:
    """A release or transfer closes the stay's open requirements at once, at the event's
    time and with its reason (all but those at `keep`, the receiving facility), and
    withdraws their appointments still to come, inside the roster change's transaction: no
    escort is called for someone gone while the sweep's next refresh is minutes away."""
    requirements = Requirement.objects.select_for_update().filter(
        booking=booking, closed_at__isnull=True
    )
    if keep is not None:
        requirements = requirements.exclude(facility=keep)
    closing = list(requirements)
    if not closing:
        return
    Requirement.objects.filter(pk__in=[r.pk for r in closing]).update(
        closed_at=at, close_reason=reason
    )
    withdrawn = set(withdraw_still_to_come(closing, at))
    for facility in Facility.objects.filter(pk__in={r.facility_id for r in closing}):
        mine = [r for r in closing if r.facility_id == facility.pk]
        appointments = Appointment.objects.filter(requirement__in=mine, pk__in=withdrawn)
        audit(
            "scheduling.requirements_close",
            actor=None,
            facility=facility,
            person=booking.person,
            subjects=[
                *(f"requirement:{r.pk}" for r in mine),
                *(f"appointment:{pk}" for pk in appointments.values_list("pk", flat=True)),
            ],
            reason=reason,
        )


# The sweep brings every facility's requirements up to date this often: often enough that a
# new level or decision shows within minutes, rarely enough to cost nothing at scale.
REFRESH_EVERY = timedelta(minutes=10)
REFRESH_HEARTBEAT = "requirements"


def refresh_due_requirements(now: datetime) -> int:
    """For the sweep: refresh each facility that schedules, when the last refresh is older
    than REFRESH_EVERY. The number of facilities refreshed. One facility whose refresh
    fails is logged and left for the next time: it stops neither the others nor the sweep."""
    last = Heartbeat.objects.filter(name=REFRESH_HEARTBEAT).values_list("beat_at", flat=True)
    if last and now - last[0] < REFRESH_EVERY:
        return 0
    refreshed = 0
    for facility in Facility.objects.filter(session_types__active=True).distinct():
        try:
            refresh_requirements(actor=None, facility=facility, now=now)
        except Exception:
            # Whatever went wrong (one facility's records, a bug): logged, rolled back for
            # that facility alone, and the others go on.
            logger.exception(
                "The requirements of facility %s could not be refreshed", facility.code
            )
        else:
            refreshed += 1
    Heartbeat.objects.update_or_create(name=REFRESH_HEARTBEAT, defaults={"beat_at": now})
    return refreshed


def _close_reason(
    requirement: Requirement,
    facility: Facility,
    wanted: dict[tuple[int, str], tuple[Spec, SessionType]],
    held: set[tuple[int, str]],
) -> str | None:
    booking = requirement.booking
    if booking.released_at is not None:
        return CloseReason.RELEASED
    if booking.facility_id != requirement.facility_id:
        return CloseReason.TRANSFERRED
    if requirement.facility_id != facility.pk:
        return None  # another facility's to settle
    if (requirement.booking_id, requirement.key) in wanted or (
        (requirement.booking_id, requirement.key) in held
    ):
        return None
    if requirement.source in (Source.KITE, Source.EVALUATION):
        return CloseReason.DONE_ELSEWHERE
    return CloseReason.NO_LONGER_REQUIRED


def _values(
    spec: Spec, session: SessionType, open_one: Requirement | None = None
) -> dict[str, object]:
    """What a requirement should hold; for one already open, never a later due date or
    waiting since than it holds, and never an earliest date after its due date."""
    due, waiting_since = spec.due, spec.waiting_since
    if open_one is not None:
        due = min(due, open_one.due)
        waiting_since = min(waiting_since, open_one.waiting_since)
    return {
        "session_type_id": session.pk,
        "earliest": min(spec.earliest, due),
        "due": due,
        "acuity": spec.acuity,
        "mandatory": spec.mandatory,
        "waiting_since": waiting_since,
    }
