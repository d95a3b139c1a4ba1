"""Writes to the evaluations and screenings a stay is owed, each with a deadline from the
kites clock core: opening one, doing one, and recording a breach that nothing erases (I5)."""

from collections.abc import Iterable
from datetime import datetime
from itertools import batched

from django.db import transaction
from django.utils import timezone

from kiteline.accounts.models import Role, User
from kiteline.audit.recording import record_event
from kiteline.facilities.models import Booking, Facility
from kiteline.kites import clocks
from kiteline.kites.models import Kite
from kiteline.kites.standards import clock_standard, current_standard
from kiteline.screening.models import (
    Administration,
    Evaluation,
    EvaluationBreach,
    EvaluationKind,
    EvaluationReason,
)

# NCCHC E-05: everyone is screened within 14 days of booking (booking day is day one).
E05_DAYS = 14
# The most screenings one audit event names when many stays start at once (a seeded roster).
AUDIT_BATCH = 1000

# Who may record each kind as done.
DONE_BY = {
    EvaluationKind.SCREENING: frozenset({Role.CLINICIAN}),
    EvaluationKind.EVALUATION: frozenset({Role.CLINICIAN}),
    EvaluationKind.MEDICATION_CHECK: frozenset({Role.NURSE, Role.CLINICIAN}),
}


class EvaluationError(ValueError):
    """An evaluation change that cannot be made, with the reason in plain words."""


def _audit(action: str, *, actor: User | None, evaluation: Evaluation, **detail: object) -> None:
    record_event(
        actor=actor,
        action=action,
        facility=evaluation.facility,
        person=evaluation.person,
        subjects=[f"evaluation:{evaluation.pk}"],
        detail=detail or None,
    )


def open_screening_duties(bookings: Iterable[Booking], *, now: datetime) -> list[Evaluation]:
    """The E-05 screening for each new stay whose 14 days have not yet run out. A stay that
    was already past day 14 when it reached Kiteline (a roster loaded at go-live) gets
    none: no one can screen it in time, and inventing a breach for it would be false."""
    bookings = list(bookings)
    # One query for the zones: a seeded roster's bookings carry only their facility's id.
    zones = dict(
        Facility.objects.filter(pk__in={b.facility_id for b in bookings}).values_list(
            "pk", "time_zone"
        )
    )
    duties = []
    for booking in bookings:
        due = clocks.screening_due(booking.booked_at, zones[booking.facility_id], E05_DAYS)
        if due > now:
            duties.append(
                Evaluation(
                    booking=booking,
                    person_id=booking.person_id,
                    facility_id=booking.facility_id,
                    kind=EvaluationKind.SCREENING,
                    reason=EvaluationReason.BOOKING,
                    opened_at=now,
                    due_at=due,
                )
            )
    opened = Evaluation.objects.bulk_create(duties)
    # Audited (I7) like a seeded roster's bulk rows: events per facility, each naming up to
    # AUDIT_BATCH screenings opened there; a single booking's event also names the person.
    by_facility: dict[int, list[Evaluation]] = {}
    for duty in opened:
        by_facility.setdefault(duty.facility_id, []).append(duty)
    for group in by_facility.values():
        facility = group[0].booking.facility
        for batch in batched(group, AUDIT_BATCH):
            record_event(
                actor=None,
                action="evaluation.open",
                facility=facility,
                person=batch[0].booking.person if len(group) == 1 else None,
                subjects=[f"evaluation:{duty.pk}" for duty in batch],
            )
    return opened


def open_evaluation(
    *,
    actor: User,
    booking: Booking,
    kind: EvaluationKind,
    urgency: str,
    reason: EvaluationReason,
    administration: Administration | None = None,
    discretion_reason: str = "",
    safety: bool = False,
) -> Evaluation:
    """An evaluation or check due by the facility's deadline for its urgency, counted from
    now; called inside the screening service's transaction."""
    now = timezone.now()
    rules = clock_standard(booking.facility, current_standard(booking.facility))
    evaluation = Evaluation.objects.create(
        booking=booking,
        person_id=booking.person_id,
        facility_id=booking.facility_id,
        kind=kind,
        urgency=urgency,
        reason=reason,
        administration=administration,
        discretion_reason=discretion_reason,
        safety=safety,
        opened_at=now,
        opened_by=actor,
        due_at=clocks.response_due(rules, urgency, now),
    )
    # No kind in the detail: "medication_check" would tell the log's reader about
    # psychiatric medication (I7). The subject names the record.
    _audit("evaluation.open", actor=actor, evaluation=evaluation)
    return evaluation


def meet_screening_duty(*, actor: User, administration: Administration) -> Evaluation | None:
    """A complete screen given by health staff, other than the receiving screen, meets the
    stay's E-05 duty."""
    duty = (
        Evaluation.objects.select_for_update(of=("self",))
        .select_related("facility", "person")
        .filter(
            booking_id=administration.booking_id,
            kind=EvaluationKind.SCREENING,
            done_at__isnull=True,
            closed_at__isnull=True,
        )
        .first()
    )
    if duty is None:
        return None
    _mark_done(duty, actor=actor, at=administration.submitted_at or timezone.now())
    duty.done_with = administration
    duty.save(update_fields=["done_with"])
    return duty


@transaction.atomic
def complete_evaluation(*, actor: User, evaluation: Evaluation, note: str = "") -> Evaluation:
    """Record that the evaluation, screening or check took place now."""
    evaluation = (
        Evaluation.objects.select_for_update(of=("self",))
        .select_related("facility", "person")
        .get(pk=evaluation.pk)
    )
    if not actor.is_staff_member or actor.role not in DONE_BY[EvaluationKind(evaluation.kind)]:
        raise EvaluationError(f"Your role cannot record a {evaluation.get_kind_display()}.")
    if not actor.facilities.filter(pk=evaluation.facility_id).exists():
        raise EvaluationError("That evaluation is not at your facilities.")
    if not evaluation.is_open:
        raise EvaluationError("That evaluation is no longer open.")
    kite = emergent_kite_of(evaluation)
    if kite is not None:
        # One emergency, one record: the contact on the emergent item closes both, so
        # neither is left to breach while the other was done.
        raise EvaluationError(
            f"Record the contact on request {kite.number}: it closes this evaluation too."
        )
    evaluation.done_note = note.strip()
    evaluation.save(update_fields=["done_note"])
    _mark_done(evaluation, actor=actor, at=timezone.now())
    return evaluation


def emergent_kite_of(evaluation: Evaluation) -> Kite | None:
    """The emergent item raised together with a safety evaluation, if any."""
    if not evaluation.safety or evaluation.administration_id is None:
        return None
    kite_id = (
        Administration.objects.filter(pk=evaluation.administration_id)
        .values_list("safety_kite_id", flat=True)
        .first()
    )
    return None if kite_id is None else Kite.objects.get(pk=kite_id)


def close_with_contact(*, kite: Kite, actor: User, seen_at: datetime) -> list[Evaluation]:
    """The contact on an emergent item from a screen is the safety evaluation it called
    for: done at the moment seen (late means a breach, as for the kite's own clock)."""
    evaluations = list(
        Evaluation.objects.select_for_update(of=("self",))
        .select_related("facility", "person")
        .filter(
            safety=True,
            done_at__isnull=True,
            closed_at__isnull=True,
            administration__safety_kite=kite,
        )
    )
    for evaluation in evaluations:
        evaluation.done_note = f"Seen on request {kite.number}."
        evaluation.save(update_fields=["done_note"])
        _mark_done(evaluation, actor=actor, at=seen_at)
    return evaluations


def _mark_done(evaluation: Evaluation, *, actor: User, at: datetime) -> None:
    evaluation.done_at, evaluation.done_by = at, actor
    evaluation.save(update_fields=["done_at", "done_by"])
    _audit("evaluation.done", actor=actor, evaluation=evaluation, fields=["done_note"])
    if at > evaluation.due_at:
        record_evaluation_breach(evaluation)


def record_evaluation_breach(evaluation: Evaluation) -> EvaluationBreach:
    """The breach, once, against the facility responsible now (I5)."""
    breach, created = EvaluationBreach.objects.get_or_create(
        evaluation=evaluation,
        defaults={
            "facility_id": evaluation.facility_id,
            "breached_at": evaluation.due_at,
            "recorded_at": timezone.now(),
        },
    )
    if created:
        _audit("evaluation.breach", actor=None, evaluation=evaluation)
    return breach


def record_overdue_evaluations(now: datetime, *, booking: Booking | None = None) -> int:
    """Breaches for every open evaluation past its deadline (the sweep, and a transfer)."""
    overdue = Evaluation.objects.filter(
        done_at__isnull=True, closed_at__isnull=True, due_at__lt=now, breach__isnull=True
    ).select_related("facility", "person")
    if booking is not None:
        overdue = overdue.filter(booking=booking)
    count = 0
    for evaluation in overdue:
        with transaction.atomic():
            record_evaluation_breach(evaluation)
            count += 1
    return count


def close_evaluations_on_release(*, booking: Booking) -> int:
    """A released resident can no longer be seen here: open items close, breaches stay."""
    released = booking.released_at or timezone.now()
    record_overdue_evaluations(released, booking=booking)
    evaluations = list(
        Evaluation.objects.filter(
            booking=booking, done_at__isnull=True, closed_at__isnull=True
        ).select_related("facility", "person")
    )
    for evaluation in evaluations:
        evaluation.closed_at = released
        evaluation.save(update_fields=["closed_at"])
        _audit("evaluation.close", actor=None, evaluation=evaluation, reason="released")
    return len(evaluations)
