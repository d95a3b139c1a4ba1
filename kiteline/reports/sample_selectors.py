"""Reads for sampled case review: an auditor's samples, one sample's records as identifiers,
and one record of a sample opened for chart review.

A sample is the auditor's only way to clinical records (I6): `case_record` opens a record
only when it was drawn in a sample of the auditor's facilities, and 404 otherwise. An
auditor who leaves a facility leaves its samples behind. Every sample page and every
record opened writes one read event naming what it showed (I7). Times are shown in the
sample facility's time zone, the one its period is counted in."""

from dataclasses import dataclass, fields
from datetime import date, datetime

from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone

from kiteline.accounts.models import Role, User
from kiteline.audit.recording import record_read
from kiteline.kites.selectors import local_time, staff_name
from kiteline.reports.models import CaseSample
from kiteline.reports.sample_records import CaseRecord, open_record, record_number
from kiteline.reports.sample_services import SOURCES

PAGE_SIZE = 50


def samples_in_scope(actor: User) -> QuerySet[CaseSample]:
    """The samples of the actor's facilities, whoever drew them; none but to an auditor."""
    if not actor.is_staff_member or actor.role != Role.AUDITOR:
        raise Http404
    return CaseSample.objects.filter(facility__in=actor.facilities.all())


def _sample_in_scope(actor: User, sample_id: int) -> CaseSample:
    sample = (
        samples_in_scope(actor).select_related("facility", "drawn_by").filter(pk=sample_id).first()
    )
    if sample is None:
        raise Http404
    return sample


# ---- The list --------------------------------------------------------------------------


@dataclass(frozen=True)
class SampleRow:
    sample_id: int
    facility: str
    time_zone: str
    kind: str
    kind_label: str
    first_day: date
    last_day: date
    seed: int
    size: int
    drawn: int
    population: int
    drawn_by: str
    drawn_at: datetime


def _sample_row(sample: CaseSample) -> SampleRow:
    zone = sample.facility.time_zone
    return SampleRow(
        sample_id=sample.pk,
        facility=sample.facility.name,
        time_zone=zone,
        kind=sample.kind,
        kind_label=sample.get_kind_display(),
        first_day=sample.first_day,
        last_day=sample.last_day,
        seed=sample.seed,
        size=sample.size,
        drawn=len(sample.record_ids),
        population=sample.population,
        drawn_by=staff_name(sample.drawn_by),
        drawn_at=local_time(sample.drawn_at, zone),
    )


@dataclass(frozen=True)
class SampleList:
    rows: list[SampleRow]
    number: int
    num_pages: int
    total: int


def sample_list(*, actor: User, page_number: str | int = 1) -> SampleList:
    """The samples of the actor's facilities, the newest first. Their settings and sizes
    only, nothing clinical: no read event."""
    samples = samples_in_scope(actor).select_related("facility", "drawn_by")
    paginator = Paginator(samples, PAGE_SIZE)
    page = paginator.get_page(page_number)
    return SampleList(
        rows=[_sample_row(sample) for sample in page.object_list],
        number=page.number,
        num_pages=paginator.num_pages,
        total=paginator.count,
    )


# ---- One sample ------------------------------------------------------------------------


@dataclass(frozen=True)
class DrawnRow:
    position: int  # in the order drawn, from 1
    record_id: int
    number: str
    moment: datetime  # the moment that placed it in the period
    facility: str  # where it is now: a transfer may have moved it since


@dataclass(frozen=True)
class SamplePage:
    sample: SampleRow
    rows: tuple[DrawnRow, ...]


SAMPLE_FIELDS = [f.name for f in fields(DrawnRow)]


def sample_page(*, actor: User, sample_id: int) -> SamplePage:
    """A sample's records as identifiers, in the order drawn; no clinical words."""
    sample = _sample_in_scope(actor, sample_id)
    source = SOURCES[sample.kind]
    ids = [int(record_id) for record_id in sample.record_ids]
    # Identifiers only: the clinical columns are never read for this page.
    found = {
        pk: (moment, facility)
        for pk, moment, facility in source.model._default_manager.filter(pk__in=ids).values_list(
            "pk", source.moment, "facility__name"
        )
    }
    zone = sample.facility.time_zone
    rows = tuple(
        DrawnRow(
            position=position,
            record_id=record_id,
            number=record_number(sample.kind, record_id),
            moment=local_time(found[record_id][0], zone),
            facility=found[record_id][1],
        )
        for position, record_id in enumerate(ids, start=1)
    )
    record_read(
        actor=actor,
        action="reports.sample_read",
        facility=sample.facility,
        records=[f"case_sample:{sample.pk}", *(f"{source.subject}:{i}" for i in ids)],
        fields=SAMPLE_FIELDS,
    )
    return SamplePage(sample=_sample_row(sample), rows=rows)


# ---- One record, for chart review ------------------------------------------------------


@dataclass(frozen=True)
class RecordPage:
    sample: SampleRow
    kind: str
    position: int  # in the order drawn, from 1
    record_id: int
    record: CaseRecord
    now: datetime


def case_record(
    actor: User, sample_id: int, record_id: int, *, now: datetime | None = None
) -> RecordPage:
    """One record drawn in one of the actor's samples, identified, with everything a
    monitor needs to judge its timeliness and its reasons (see `sample_records`). A record
    the sample did not draw is 404, whatever the actor's facilities."""
    sample = _sample_in_scope(actor, sample_id)
    ids = [int(drawn) for drawn in sample.record_ids]
    if record_id not in ids:
        raise Http404
    now = timezone.now() if now is None else now
    zone = sample.facility.time_zone
    opened = open_record(sample.kind, record_id, zone, now)
    record_read(
        actor=actor,
        action="reports.sample_record_read",
        facility=sample.facility,
        person=opened.person,
        records=[
            f"case_sample:{sample.pk}",
            f"{SOURCES[sample.kind].subject}:{record_id}",
            *opened.also_shown,
        ],
        fields=opened.field_names,
    )
    return RecordPage(
        sample=_sample_row(sample),
        kind=sample.kind,
        position=ids.index(record_id) + 1,
        record_id=record_id,
        record=opened.record,
        now=local_time(now, zone),
    )
