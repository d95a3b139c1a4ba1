"""What must be scheduled for a stay, from the facts of its care (pure core: no Django).

Four sources, each giving at most one open requirement per stay and key:

- ``level:<contact>``: a contact the person's level of care requires, due its interval
  after the last one attended (or after the level was set, when none was);
- ``service:<code>``: sessions of an approved service. The first session is the waitlist
  (not mandatory: capacity decides when a course starts, in the waitlist's order); once a
  course has begun, each next session is due its interval after the last and is mandatory;
- ``kite:<id>``: a request's face-to-face deadline not yet met;
- ``evaluation:<id>``: an evaluation or medication check not yet done.

The acuity weights below order what matters most when not everything fits; they are
Kiteline's defaults (no standard sets them), documented in docs/scheduling.md.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date, timedelta

from kiteline.scheduling.problem import MAX_ACUITY, Kind

# Required contacts weigh more the more intensive the level (its position in the scheme).
LEVEL_ACUITY_BASE = 100
LEVEL_ACUITY_STEP = 100
SERVICE_ACUITY_BASE = 50
SERVICE_ACUITY_STEP = 50
KITE_ACUITY = {"urgent": 600, "routine": 400}
EVALUATION_ACUITY = {"emergent": 900, "urgent": 600, "routine": 300}
SAFETY_ACUITY = MAX_ACUITY
MEDICATION_CHECK_ACUITY = 600
# A level's psychiatry and plan contacts are held in these kinds of session.
CONTACT_SESSION_KIND = {
    "clinician": Kind.INDIVIDUAL,
    "treatment_plan": Kind.INDIVIDUAL,
    "psychiatry": Kind.PSYCHIATRY,
}


@dataclass(frozen=True, slots=True)
class LevelContact:
    kind: str  # "clinician", "psychiatry", "treatment_plan"
    every_days: int


@dataclass(frozen=True, slots=True)
class LevelFact:
    booking: int
    level_index: int  # 0 for the least intensive level of the scheme
    assigned_on: date  # when the level began (recording it again unchanged keeps the date)
    contacts: tuple[LevelContact, ...]  # those required of everyone at the level


@dataclass(frozen=True, slots=True)
class ServiceFact:
    booking: int
    decision: int
    service_code: str
    approved_on: date
    session_type: str  # the session type that delivers the service
    every_days: int | None  # None: a single session


@dataclass(frozen=True, slots=True)
class KiteFact:
    booking: int
    kite: int
    received_on: date
    due_on: date
    urgent: bool


@dataclass(frozen=True, slots=True)
class EvaluationFact:
    booking: int
    evaluation: int
    medication_check: bool
    urgency: str  # "emergent", "urgent", "routine"
    safety: bool
    opened_on: date
    due_on: date


@dataclass(frozen=True, slots=True)
class Spec:
    """A requirement as it should stand now."""

    booking: int
    key: str
    source: str  # "level", "service", "kite", "evaluation"
    session: str | Kind  # a session type's code, or the kind of session needed
    earliest: date
    due: date
    acuity: int
    mandatory: bool
    waiting_since: date
    decision: int | None = None


@dataclass(frozen=True)
class Facts:
    levels: tuple[LevelFact, ...] = ()
    services: tuple[ServiceFact, ...] = ()
    kites: tuple[KiteFact, ...] = ()
    evaluations: tuple[EvaluationFact, ...] = ()
    # (booking, key) → the date of the last attended session for that key.
    last_attended: dict[tuple[int, str], date] | None = None
    # (booking, key) of one-off requirements already met: never opened again.
    met_once: frozenset[tuple[int, str]] = frozenset()


def specs(facts: Facts) -> tuple[Spec, ...]:
    """Every requirement the facts call for, in a stable order."""
    last = facts.last_attended or {}
    found: list[Spec] = []
    level_of = {fact.booking: fact.level_index for fact in facts.levels}
    for level in facts.levels:
        found += _level_specs(level, last)
    for service in facts.services:
        spec = _service_spec(service, level_of.get(service.booking, 0), last)
        if spec is not None and (spec.booking, spec.key) not in facts.met_once:
            found.append(spec)
    for kite in _one_per_kite(facts.kites):
        key = f"kite:{kite.kite}"
        if (kite.booking, key) not in facts.met_once:
            found.append(_kite_spec(kite, key))
    for evaluation in facts.evaluations:
        key = f"evaluation:{evaluation.evaluation}"
        if (evaluation.booking, key) not in facts.met_once:
            found.append(_evaluation_spec(evaluation, key))
    return tuple(sorted(found, key=lambda s: (s.booking, s.key)))


def _one_per_kite(kites: Iterable[KiteFact]) -> list[KiteFact]:
    """An urgent kite that describes a symptom runs two clocks (urgent, and face to face):
    one requirement answers both, due by the nearer deadline, urgent if either is."""
    merged: dict[tuple[int, int], KiteFact] = {}
    for kite in kites:
        seen = merged.get((kite.booking, kite.kite))
        if seen is not None:
            kite = replace(
                kite,
                received_on=min(seen.received_on, kite.received_on),
                due_on=min(seen.due_on, kite.due_on),
                urgent=seen.urgent or kite.urgent,
            )
        merged[(kite.booking, kite.kite)] = kite
    return list(merged.values())


def _capped(acuity: int) -> int:
    return max(1, min(MAX_ACUITY, acuity))


def _level_specs(level: LevelFact, last: dict[tuple[int, str], date]) -> list[Spec]:
    found = []
    acuity = _capped(LEVEL_ACUITY_BASE + LEVEL_ACUITY_STEP * level.level_index)
    for contact in level.contacts:
        key = f"level:{contact.kind}"
        previous = last.get((level.booking, key))
        # Counted from the last contact attended, or from the day the level was set.
        since = previous if previous is not None else level.assigned_on
        earliest = since + timedelta(days=1) if previous is not None else since
        # Never due before the level began: under a new level, a contact counted from one
        # attended long before is due the day the level is set, not late from the start.
        # This holds for a requirement opened now; one already open keeps the earlier of
        # its due date and this (`refresh_requirements` never moves a due date later).
        due = max(earliest, since + timedelta(days=contact.every_days), level.assigned_on)
        found.append(
            Spec(
                booking=level.booking,
                key=key,
                source="level",
                session=CONTACT_SESSION_KIND[contact.kind],
                earliest=earliest,
                due=due,
                acuity=acuity,
                mandatory=True,
                waiting_since=since,
            )
        )
    return found


def _service_spec(
    service: ServiceFact, level_index: int, last: dict[tuple[int, str], date]
) -> Spec | None:
    key = f"service:{service.service_code}"
    previous = last.get((service.booking, key))
    acuity = _capped(SERVICE_ACUITY_BASE + SERVICE_ACUITY_STEP * level_index)
    if previous is None:
        # The waitlist: waiting since approval, wanted within one interval of it.
        interval = service.every_days or 14
        return Spec(
            booking=service.booking,
            key=key,
            source="service",
            session=service.session_type,
            earliest=service.approved_on,
            due=service.approved_on + timedelta(days=interval),
            acuity=acuity,
            mandatory=False,
            waiting_since=service.approved_on,
            decision=service.decision,
        )
    if service.every_days is None:
        return None  # a single session, already given
    return Spec(
        booking=service.booking,
        key=key,
        source="service",
        session=service.session_type,
        earliest=previous + timedelta(days=1),
        due=previous + timedelta(days=service.every_days),
        acuity=acuity,
        mandatory=True,
        waiting_since=previous,
        decision=service.decision,
    )


def _kite_spec(kite: KiteFact, key: str) -> Spec:
    return Spec(
        booking=kite.booking,
        key=key,
        source="kite",
        session=Kind.INDIVIDUAL,
        earliest=kite.received_on,
        due=max(kite.received_on, kite.due_on),
        acuity=KITE_ACUITY["urgent" if kite.urgent else "routine"],
        mandatory=True,
        waiting_since=kite.received_on,
    )


def _evaluation_spec(evaluation: EvaluationFact, key: str) -> Spec:
    if evaluation.safety:
        acuity = SAFETY_ACUITY
    elif evaluation.medication_check:
        acuity = MEDICATION_CHECK_ACUITY
    else:
        acuity = EVALUATION_ACUITY.get(evaluation.urgency, EVALUATION_ACUITY["routine"])
    return Spec(
        booking=evaluation.booking,
        key=key,
        source="evaluation",
        session=Kind.PSYCHIATRY if evaluation.medication_check else Kind.INDIVIDUAL,
        earliest=evaluation.opened_on,
        due=max(evaluation.opened_on, evaluation.due_on),
        acuity=acuity,
        mandatory=True,
        waiting_since=evaluation.opened_on,
    )
