"""Drawing a sample of cases for a monitor's chart review.

The draw is reproducible from what the sample stores. Its population is every record of the
kind at the facility whose moment (a request's receipt, a decision's sign-off, an appeal's
filing, an evaluation's opening) falls on a day of the period, counted in the facility's
own local days, ordered by primary key; the records drawn are

    random.Random(seed).sample(population, min(size, len(population)))

in the order drawn. The same seed, size, kind, facility and period draw the same records
again, for as long as the population is the same: a paper request entered after a downtime
keeps its original time and may join an earlier period, which is why the population's size
is stored beside the ids. Python guarantees a seed's sequence of numbers, not `sample`'s
use of it across versions, so the ids drawn are kept too, in the sample and in its audit
event."""

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db import models, transaction
from django.utils import timezone

from kiteline.accounts.models import Role, User
from kiteline.audit.recording import record_event
from kiteline.care.models import Appeal, Decision
from kiteline.facilities.models import Facility
from kiteline.kites.models import Kite
from kiteline.reports.errors import ReportError
from kiteline.reports.models import CaseSample, SampleKind
from kiteline.screening.models import Evaluation

MAX_SIZE = 500
# A year, leap day included: a monitor reviews a longer stretch one year at a time.
MAX_PERIOD_DAYS = 366
# What the seed column holds (a signed 64-bit integer).
MAX_SEED = 2**63 - 1


@dataclass(frozen=True)
class Source:
    """Where a kind's records come from: the table, the moment that places a record in a
    period, and the name its audit subjects use."""

    model: type[models.Model]
    moment: str
    subject: str


SOURCES: dict[str, Source] = {
    SampleKind.KITES: Source(Kite, "received_at", "kite"),
    # A decision counts once signed off: one still awaiting a clinician has no outcome yet.
    SampleKind.DECISIONS: Source(Decision, "decided_at", "decision"),
    SampleKind.APPEALS: Source(Appeal, "filed_at", "appeal"),
    SampleKind.EVALUATIONS: Source(Evaluation, "opened_at", "evaluation"),
}


def _start_of(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time.min, tzinfo=zone).astimezone(UTC)


def population(*, facility: Facility, kind: str, first_day: date, last_day: date) -> list[int]:
    """The ids of the kind's records at the facility in the period, by primary key."""
    source = SOURCES[kind]
    zone = ZoneInfo(facility.time_zone)
    window = {
        f"{source.moment}__gte": _start_of(first_day, zone),
        f"{source.moment}__lt": _start_of(last_day + timedelta(days=1), zone),
    }
    records = source.model._default_manager.filter(facility=facility, **window)
    return list(records.order_by("pk").values_list("pk", flat=True))


def _check(
    *,
    actor: User,
    facility: Facility,
    kind: str,
    first_day: date,
    last_day: date,
    seed: object,
    size: object,
) -> None:
    if not actor.is_staff_member or actor.role != Role.AUDITOR:
        raise ReportError("Only an auditor draws a sample of cases.")
    if not actor.facilities.filter(pk=facility.pk).exists():
        raise ReportError("That facility is not one of yours.")
    if kind not in SOURCES:
        raise ReportError("Choose what to sample: requests, decisions, appeals or evaluations.")
    if last_day < first_day:
        raise ReportError("The last day of the period is before its first day.")
    if (last_day - first_day).days + 1 > MAX_PERIOD_DAYS:
        raise ReportError(
            f"A period is at most {MAX_PERIOD_DAYS} days: draw one sample for each year."
        )
    today = timezone.now().astimezone(ZoneInfo(facility.time_zone)).date()
    if last_day > today:
        raise ReportError(
            "The period ends after today: records still to come would change the sample. "
            "End it today or earlier."
        )
    # Whole numbers only: a form's text or a bool (an int to Python) is refused here too.
    if isinstance(size, bool) or not isinstance(size, int) or not 1 <= size <= MAX_SIZE:
        raise ReportError(f"The size is a whole number from 1 to {MAX_SIZE}.")
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed <= MAX_SEED:
        raise ReportError("The seed is a whole number, 0 or more, such as 20260401.")


@transaction.atomic
def draw_sample(
    *,
    actor: User,
    facility: Facility,
    kind: str,
    first_day: date,
    last_day: date,
    seed: int,
    size: int,
) -> CaseSample:
    """Draw and keep a sample of the kind's records at the facility in the period (see the
    module's note for how to draw it again)."""
    _check(
        actor=actor,
        facility=facility,
        kind=kind,
        first_day=first_day,
        last_day=last_day,
        seed=seed,
        size=size,
    )
    ids = population(facility=facility, kind=kind, first_day=first_day, last_day=last_day)
    if not ids:
        raise ReportError(
            f"There are no {SampleKind(kind).label.lower()} at {facility.name} "
            "in that period: nothing to draw."
        )
    # Reproducible from the seed by design: a monitor, a court or the facility must be able
    # to draw the same sample again, so an unpredictable generator would defeat the purpose.
    drawn = random.Random(seed).sample(ids, min(size, len(ids)))  # noqa: S311
    sample = CaseSample.objects.create(
        facility=facility,
        kind=kind,
        first_day=first_day,
        last_day=last_day,
        seed=seed,
        size=size,
        record_ids=drawn,
        population=len(ids),
        drawn_by=actor,
        drawn_at=timezone.now(),
    )
    record_event(
        actor=actor,
        action="reports.sample_draw",
        facility=facility,
        subjects=[f"case_sample:{sample.pk}"],
        detail={
            "kind": kind,
            "first_day": first_day.isoformat(),
            "last_day": last_day.isoformat(),
            "seed": seed,
            "size": size,
            "population": len(ids),
            # The ids drawn, in order: the hash chain keeps them beyond reach of any edit.
            "records": drawn,
        },
    )
    return sample
