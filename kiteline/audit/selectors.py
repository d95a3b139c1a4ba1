"""Reads of the audit log for auditors: their facilities' chains and the system chain."""

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from itertools import batched

from django.core.paginator import Paginator
from django.db.models import Q, QuerySet

from kiteline.accounts.models import User
from kiteline.audit.chain import SYSTEM_CHAIN
from kiteline.audit.models import AuditEvent
from kiteline.facilities.models import Person

PAGE_SIZE = 50
_IDENTIFIER = re.compile(r"[A-Za-z0-9_.:-]{1,64}")


@dataclass(frozen=True)
class AuditFilters:
    resident_number: str = ""
    username: str = ""
    action: str = ""
    since: date | None = None
    until: date | None = None  # inclusive: the whole of that day, in UTC


@dataclass(frozen=True)
class AuditRow:
    chain: str
    position: int
    occurred_at: datetime
    actor: str
    action: str
    resident_number: str
    subjects: list[str]
    detail: dict[str, object]


@dataclass(frozen=True)
class AuditPage:
    rows: list[AuditRow]
    number: int
    num_pages: int
    total: int


def chains_for(actor: User) -> list[str]:
    return [*actor.facilities.values_list("code", flat=True), SYSTEM_CHAIN]


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def _visible_to(actor: User) -> QuerySet[AuditEvent]:
    """Their facilities' chains, and of the system chain what their colleagues (staff of one
    of their facilities) or system processes did: an auditor of one jail does not read the
    activity of another's staff."""
    facilities = actor.facilities.all()
    colleagues = User.objects.filter(facilities__in=facilities).values("pk")
    return AuditEvent.objects.filter(
        Q(chain__in=facilities.values("code"))
        | Q(chain=SYSTEM_CHAIN, actor_id__in=colleagues)
        | Q(chain=SYSTEM_CHAIN, actor_id__isnull=True)
    )


def _filtered(actor: User, filters: AuditFilters) -> QuerySet[AuditEvent]:
    events = _visible_to(actor)
    if filters.resident_number:
        person_ids = Person.objects.filter(resident_number=filters.resident_number.strip())
        events = events.filter(person_id__in=person_ids.values("pk"))
    if filters.username:
        user_ids = User.objects.filter(username=filters.username.strip())
        events = events.filter(actor_id__in=user_ids.values("pk"))
    if filters.action:
        events = events.filter(action__startswith=filters.action.strip())
    if filters.since:
        events = events.filter(occurred_at__gte=_start_of(filters.since))
    if filters.until:
        events = events.filter(occurred_at__lt=_start_of(filters.until + timedelta(days=1)))
    return events.order_by("-occurred_at", "chain", "-position")


def _rows(events: Iterable[AuditEvent]) -> list[AuditRow]:
    events = list(events)
    usernames = dict(
        User.objects.filter(pk__in={e.actor_id for e in events}).values_list("pk", "username")
    )
    residents = dict(
        Person.objects.filter(pk__in={e.person_id for e in events}).values_list(
            "pk", "resident_number"
        )
    )
    return [
        AuditRow(
            chain=event.chain,
            position=event.position,
            occurred_at=event.occurred_at,
            actor="system" if event.actor_id is None else usernames.get(event.actor_id, "?"),
            action=event.action,
            resident_number=residents.get(event.person_id, "") if event.person_id else "",
            subjects=list(event.subjects),
            detail=dict(event.detail),
        )
        for event in events
    ]


def audit_page(*, actor: User, filters: AuditFilters, page_number: str | int = 1) -> AuditPage:
    paginator = Paginator(_filtered(actor, filters), PAGE_SIZE)
    page = paginator.get_page(page_number)
    return AuditPage(
        rows=_rows(page.object_list),
        number=page.number,
        num_pages=paginator.num_pages,
        total=paginator.count,
    )


def audit_export(*, actor: User, filters: AuditFilters, batch: int = 2_000) -> Iterator[AuditRow]:
    """Every matching event, streamed in batches so that a large export never sits in memory."""
    for chunk in batched(_filtered(actor, filters).iterator(chunk_size=batch), batch):
        yield from _rows(chunk)


def export_detail(filters: AuditFilters) -> dict[str, object]:
    """The export's filters as audit detail: only values that are identifiers."""
    detail: dict[str, object] = {
        name: value.isoformat()
        for name, value in (("since", filters.since), ("until", filters.until))
        if value
    }
    for name in ("resident_number", "username", "action"):
        value = getattr(filters, name).strip()
        if value and _IDENTIFIER.fullmatch(value):
            detail[name] = value
    return detail
