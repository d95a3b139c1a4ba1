"""The what-if (issue 7, I9): a service's draft policy run against its published version over
the people in custody now at the service's facility, counted in total and per housing unit.

The app's side of `policy.simulate`: one query set of open stays, their facts gathered once
(`raw_facts_for`, a fixed number of queries), each policy compiled once, and each person's
facts built once and read by both policies. Only the people whose outcome changes are
evaluated in full, and only when someone asks why (`explain`).

Every run is audited where it is shown (`record_what_if`): counts only, or, on the
clinicians' page, the people listed.
"""

import gc
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.db.models import QuerySet

from kiteline.accounts.models import User
from kiteline.audit.recording import record_event
from kiteline.care.fact_sources import raw_facts_for
from kiteline.care.facts import Facts, check_facts
from kiteline.care.models import PolicyDraft, PolicyVersion, Service
from kiteline.care.policy import (
    Change,
    CompiledPolicy,
    CriterionResult,
    Evaluation,
    PolicyError,
    Problem,
    Simulation,
    Status,
    evaluate,
    simulate,
)
from kiteline.care.services import check_draft, compiled, published_policy
from kiteline.facilities.models import Booking, Placement

# The group of a stay with no open placement (a booking recorded before its housing).
UNPLACED = ""

type Progress = Callable[[Iterator[tuple[int, Facts]], int], Iterable[tuple[int, Facts]]]


class SimulationError(ValueError):
    """A what-if that cannot run, with the reason in plain words and, for a draft that does
    not check, every problem found."""

    def __init__(self, message: str, problems: Sequence[Problem] = ()) -> None:
        super().__init__(message)
        self.problems = tuple(problems)


@dataclass(frozen=True)
class WhatIf:
    service: Service
    draft: CompiledPolicy  # as it would be published: its version is the next one
    published: PolicyVersion | None
    before: CompiledPolicy | None  # the published version compiled; None if none yet
    result: Simulation[int]  # keyed by booking id, grouped by housing unit code
    units: Mapping[int, str]  # booking id → code of its current housing unit
    raw_facts: Mapping[int, Mapping[str, object]]  # to explain a change without reading again


@dataclass(frozen=True)
class CriterionChange:
    criterion: str
    before: CriterionResult | None  # None when the published policy has no such criterion
    after: CriterionResult | None  # None when the draft drops it


@dataclass(frozen=True)
class Explained:
    """One person whose outcome changes, and the criteria whose results differ."""

    booking_id: int
    person_id: int
    resident_number: str
    name: str
    unit: str
    before: Evaluation | None
    after: Evaluation
    criteria: tuple[CriterionChange, ...]


def population(service: Service) -> QuerySet[Booking]:
    """The stays open now at the service's facility."""
    return Booking.objects.filter(facility_id=service.facility_id, released_at__isnull=True)


def current_units(bookings: QuerySet[Booking]) -> dict[int, str]:
    return dict(
        Placement.objects.filter(booking__in=bookings.values("pk"), ended_at__isnull=True)
        .values_list("booking_id", "housing_unit__code")
        .iterator(chunk_size=10_000)
    )


def draft_of(service: Service) -> CompiledPolicy:
    """The saved draft compiled as it would be published, or SimulationError."""
    draft = PolicyDraft.objects.filter(service=service).first()
    if draft is None:
        raise SimulationError("There is no draft to simulate: save one in the editor first.")
    try:
        return check_draft(service, draft.body)
    except PolicyError as error:
        raise SimulationError(
            "The draft does not check: fix its problems in the editor first.", error.problems
        ) from error


def run_what_if(service: Service, now: datetime, *, progress: Progress | None = None) -> WhatIf:
    """The saved draft against the published version over the people in custody now.

    `progress(people, count)` may wrap the people as their facts are built and both
    policies decide, to show how far it has gone.
    """
    draft = draft_of(service)
    version = published_policy(service)
    before = None if version is None else compiled(version.pk)
    bookings = population(service)
    with _no_cycle_collection():
        raw = raw_facts_for(bookings, now)
        units = current_units(bookings)
        people: Iterable[tuple[int, Facts]] = _people(raw)
        if progress is not None:
            people = progress(_people(raw), len(raw))
        result = simulate(draft, before, people, group=lambda b: units.get(b, UNPLACED))
    return WhatIf(service, draft, version, before, result, units, raw)


@contextmanager
def _no_cycle_collection() -> Iterator[None]:
    """Hundreds of thousands of objects are made and kept for the whole run (model rows,
    facts), none of them garbage until it ends; the cycle collector would walk them again
    and again, about a seventh of the run at 150,000 people. Memory is still freed as
    usual by reference counting; the collector's state is restored afterwards."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _people(raw: Mapping[int, Mapping[str, object]]) -> Iterator[tuple[int, Facts]]:
    # Built one at a time as the simulation reads them: 150,000 Facts need not all be alive.
    for booking_id, facts in raw.items():
        yield booking_id, check_facts(facts)


def explain(what_if: WhatIf, changes: Sequence[Change[int]]) -> list[Explained]:
    """The listed changes evaluated in full under both policies, with the criteria whose
    results differ. Reads the people's names; the caller audits the read."""
    bookings = Booking.objects.select_related("person").in_bulk([c.person for c in changes])
    explained = []
    for change in changes:
        booking = bookings[change.person]
        facts = check_facts(what_if.raw_facts[change.person])
        after = evaluate(what_if.draft, facts)
        before = None if what_if.before is None else evaluate(what_if.before, facts)
        explained.append(
            Explained(
                booking_id=booking.pk,
                person_id=booking.person_id,
                resident_number=booking.person.resident_number,
                name=f"{booking.person.family_name}, {booking.person.given_name}",
                unit=what_if.units.get(booking.pk, UNPLACED),
                before=before,
                after=after,
                criteria=differing(before, after),
            )
        )
    return explained


def differing(before: Evaluation | None, after: Evaluation) -> tuple[CriterionChange, ...]:
    """Criteria whose status differs, or that only one of the two policies has."""
    old = {} if before is None else {result.criterion: result for result in before.results}
    new = {result.criterion: result for result in after.results}
    order = [*new, *(criterion for criterion in old if criterion not in new)]
    return tuple(
        CriterionChange(criterion, old.get(criterion), new.get(criterion))
        for criterion in order
        if _status(old.get(criterion)) is not _status(new.get(criterion))
    )


def _status(result: CriterionResult | None) -> Status | None:
    return None if result is None else result.status


def counts(what_if: WhatIf) -> dict[str, object]:
    """What an audit event may say of a run: versions and counts, never who."""
    total = what_if.result.total
    return {
        "draft_version": what_if.draft.policy.version,
        "published_version": None if what_if.published is None else what_if.published.version,
        "people": total.people,
        "gained": total.gained,
        "lost": total.lost,
        "changed": total.changed,
        "units": len(what_if.result.groups),
    }


@transaction.atomic
def record_what_if(*, actor: User | None, what_if: WhatIf, shown: Sequence[Explained] = ()) -> None:
    """One event for one run: counts only, plus the people listed when they are shown (I7).
    `actor` None is the system (the command line)."""
    service = what_if.service
    subjects = [f"service:{service.pk}"]
    if what_if.published is not None:
        subjects.append(f"policy:{what_if.published.pk}")
    subjects += [f"person:{row.person_id}" for row in shown]
    detail = counts(what_if)
    if shown:
        detail["fields"] = ["name", "resident_number", "outcome", "criteria", "facts"]
    record_event(
        actor=actor,
        action="policy.simulate_changes" if shown else "policy.simulate",
        facility=service.facility,
        subjects=subjects,
        detail=detail,
    )
