"""The facts `requirement_rules.specs` reads, gathered for one facility in a fixed number of
queries: current levels of care, approved services, kites waiting for a face-to-face
visit, evaluations due, and what has already been attended; and which session type holds
each kind of need."""

from dataclasses import dataclass
from datetime import date, datetime

from django.db.models import Q

from kiteline.care.levels import Scheme
from kiteline.care.models import Appeal, AppealOutcome, Decision, LevelAssignment, Outcome
from kiteline.care.services import scheme_of
from kiteline.facilities.models import Booking, Facility
from kiteline.kites.models import Clock, ClockKind
from kiteline.kites.models import Status as KiteStatus
from kiteline.scheduling.models import (
    Appointment,
    AppointmentOutcome,
    CloseReason,
    Requirement,
    SessionType,
)
from kiteline.scheduling.problem import Kind
from kiteline.scheduling.problem_source import local_date
from kiteline.scheduling.requirement_rules import (
    EvaluationFact,
    Facts,
    KiteFact,
    LevelContact,
    LevelFact,
    ServiceFact,
)
from kiteline.screening.models import Evaluation, EvaluationKind

ONE_OFF_SOURCES = ("kite", "evaluation")


@dataclass(frozen=True)
class SessionHolders:
    """Which active session type holds each need at a facility: for each kind of session,
    the one that delivers no particular service (it holds the required contacts, kites and
    evaluations of that kind); for each service, the one that delivers it. The capacity
    services refuse a second active one of either, so the choice never depends on order;
    for records made before they did, the first made holds it."""

    general: dict[str, SessionType]
    delivering: dict[int, SessionType]

    def holder(self, session: str | Kind) -> SessionType | None:
        """The session type for a spec's session: a kind, or a delivering session's code."""
        if isinstance(session, Kind):
            return self.general.get(session)
        return next((s for s in self.delivering.values() if s.code == session), None)


def session_holders(facility: Facility) -> SessionHolders:
    general: dict[str, SessionType] = {}
    delivering: dict[int, SessionType] = {}
    for session in SessionType.objects.filter(facility=facility, active=True).order_by("pk"):
        if session.service_id is None:
            general.setdefault(session.kind, session)
        else:
            delivering.setdefault(session.service_id, session)
    return SessionHolders(general, delivering)


def gather_facts(facility: Facility, holders: SessionHolders) -> Facts:
    bookings = Booking.objects.filter(facility=facility, released_at__isnull=True)
    booking_ids = set(bookings.values_list("pk", flat=True))
    return Facts(
        levels=_levels(facility, booking_ids),
        services=_services(facility, booking_ids, holders),
        kites=_kites(facility),
        evaluations=_evaluations(facility),
        last_attended=_last_attended(booking_ids),
        met_once=_met_once(booking_ids),
    )


def _levels(facility: Facility, booking_ids: set[int]) -> tuple[LevelFact, ...]:
    scheme: Scheme = scheme_of(facility)
    codes = [level.code for level in scheme.levels]
    latest: dict[int, LevelAssignment] = {}
    # When the current level began: the same level recorded again (at a review) must not
    # postpone a contact already due.
    began: dict[int, datetime] = {}
    assignments = LevelAssignment.objects.filter(booking_id__in=booking_ids).order_by(
        "booking_id", "assigned_at", "pk"
    )
    for assignment in assignments:
        before = latest.get(assignment.booking_id)
        if before is None or (before.scheme, before.level) != (
            assignment.scheme,
            assignment.level,
        ):
            began[assignment.booking_id] = assignment.assigned_at
        latest[assignment.booking_id] = assignment
    found = []
    for booking_id, assignment in latest.items():
        # A level from another scheme (chosen before the facility changed scheme) sets
        # nothing here: a clinician has to set the level again in the current scheme.
        if assignment.scheme != scheme.code or assignment.level not in codes:
            continue
        level = scheme.level(assignment.level)
        contacts = tuple(
            LevelContact(kind=str(contact.kind), every_days=contact.every_days.value)
            for contact in level.contacts
            if not contact.as_needed
        )
        if contacts:
            found.append(
                LevelFact(
                    booking=booking_id,
                    level_index=codes.index(assignment.level),
                    assigned_on=local_date(facility, began[booking_id]),
                    contacts=contacts,
                )
            )
    return tuple(found)


def _services(
    facility: Facility, booking_ids: set[int], holders: SessionHolders
) -> tuple[ServiceFact, ...]:
    """The latest decision for each stay and service, when it grants the service: eligible
    and not overturned, or not eligible and overturned on appeal."""
    delivering = holders.delivering
    decisions = (
        Decision.objects.filter(
            booking_id__in=booking_ids,
            decided_at__isnull=False,
            service_id__in=delivering.keys(),
        )
        .select_related("service", "appeal")
        .order_by("booking_id", "service_id", "decided_at", "pk")
    )
    latest: dict[tuple[int, int], Decision] = {}
    # Since when each service has been granted without a break: a later decision that
    # grants it again (a new request) keeps the person's place on the waitlist.
    granted_since: dict[tuple[int, int], datetime] = {}
    for decision in decisions:
        key = (decision.booking_id, decision.service_id)
        latest[key] = decision
        granted_at = _granted_at(decision)
        if granted_at is None:
            granted_since.pop(key, None)
        else:
            granted_since[key] = min(granted_since.get(key, granted_at), granted_at)
    found = []
    for key, decision in latest.items():
        approved_at = granted_since.get(key)
        if approved_at is None:
            continue  # not granted
        session = delivering[decision.service_id]
        found.append(
            ServiceFact(
                booking=decision.booking_id,
                decision=decision.pk,
                service_code=decision.service.code,
                approved_on=local_date(facility, approved_at),
                session_type=session.code,
                every_days=session.every_days,
            )
        )
    return tuple(found)


def _granted_at(decision: Decision) -> datetime | None:
    """When a decided decision granted its service, or None when it does not grant it."""
    appeal: Appeal | None = getattr(decision, "appeal", None)
    overturned = appeal is not None and appeal.outcome == AppealOutcome.OVERTURNED
    if (decision.outcome == Outcome.ELIGIBLE) == overturned:
        return None
    if overturned and appeal is not None:
        return appeal.decided_at
    return decision.decided_at


def _kites(facility: Facility) -> tuple[KiteFact, ...]:
    clocks = (
        Clock.objects.filter(
            kite__facility=facility,
            kite__booking__released_at__isnull=True,
            kind__in=[ClockKind.FACE_TO_FACE, ClockKind.URGENT],
            met_at__isnull=True,
        )
        .exclude(kite__status__in=[KiteStatus.SEEN, KiteStatus.CLOSED])
        .select_related("kite")
    )
    return tuple(
        KiteFact(
            booking=clock.kite.booking_id,
            kite=clock.kite_id,
            received_on=local_date(facility, clock.kite.received_at),
            due_on=local_date(facility, clock.due_at),
            urgent=clock.kind == ClockKind.URGENT,
        )
        for clock in clocks
    )


def _evaluations(facility: Facility) -> tuple[EvaluationFact, ...]:
    due = Evaluation.objects.filter(
        facility=facility,
        booking__released_at__isnull=True,
        kind__in=[EvaluationKind.EVALUATION, EvaluationKind.MEDICATION_CHECK],
        done_at__isnull=True,
        closed_at__isnull=True,
    )
    return tuple(
        EvaluationFact(
            booking=evaluation.booking_id,
            evaluation=evaluation.pk,
            medication_check=evaluation.kind == EvaluationKind.MEDICATION_CHECK,
            urgency=evaluation.urgency or "routine",
            safety=evaluation.safety,
            opened_on=local_date(facility, evaluation.opened_at),
            due_on=local_date(facility, evaluation.due_at),
        )
        for evaluation in due
    )


def _last_attended(booking_ids: set[int]) -> dict[tuple[int, str], date]:
    attended = Appointment.objects.filter(
        requirement__booking_id__in=booking_ids, outcome=AppointmentOutcome.ATTENDED
    ).values_list("requirement__booking_id", "requirement__key", "date")
    last: dict[tuple[int, str], date] = {}
    for booking_id, key, day in attended:
        if day > last.get((booking_id, key), date.min):
            last[(booking_id, key)] = day
    return last


def _met_once(booking_ids: set[int]) -> frozenset[tuple[int, str]]:
    met = Requirement.objects.filter(
        Q(close_reason=CloseReason.MET) | Q(close_reason=CloseReason.DONE_ELSEWHERE),
        booking_id__in=booking_ids,
        source__in=ONE_OFF_SOURCES,
    ).values_list("booking_id", "key")
    return frozenset(met)
