"""Recording audit events: the one helper every service and clinical selector calls.

An event is appended inside the transaction of the change it records, so the change and its
event commit together or not at all (I7). Appending locks the chain's head row; callers
record as their last step, so the lock is held for as short a time as possible.
"""

import re
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import cast

from django.db import IntegrityError, transaction
from django.utils import timezone

from kiteline.accounts.models import User
from kiteline.audit.chain import (
    GENESIS,
    SYSTEM_CHAIN,
    EventContent,
    JsonValue,
    canonical_bytes,
    link,
)
from kiteline.audit.models import AuditEvent, ChainHead
from kiteline.facilities.models import Facility, Person

# Identifiers and field names only: the log is append-only, so clinical words written into
# it could never be removed. Free text is refused here rather than trusted to each caller.
_SAFE_TEXT = re.compile(r"[A-Za-z0-9_.:-]{0,64}")
_SUBJECT = re.compile(r"[a-z_]+:\d+")
_ACTION = re.compile(r"[a-z_]+(\.[a-z_]+)+")


class AuditDetailError(ValueError):
    """Detail that is not made of identifiers and field names."""


def _check_detail(value: object, where: str = "detail") -> None:
    if isinstance(value, bool | int) or value is None:
        return
    if isinstance(value, str):
        if not _SAFE_TEXT.fullmatch(value):
            raise AuditDetailError(f"{where} holds free text; audit detail takes identifiers only")
        return
    if isinstance(value, list):
        for item in value:
            _check_detail(item, where)
        return
    if isinstance(value, dict):
        for key, item in value.items():
            _check_detail(key, where)
            _check_detail(item, f"{where}.{key}")
        return
    raise AuditDetailError(f"{where} holds a {type(value).__name__}; use identifiers")


def chain_of(facility: Facility | None) -> str:
    return facility.code if facility is not None else SYSTEM_CHAIN


def actor_label(actor: User | None) -> str | None:
    return None if actor is None else f"user:{actor.pk}"


def timestamp(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def _locked_head(chain: str) -> ChainHead:
    head = ChainHead.objects.select_for_update().filter(chain=chain).first()
    if head is not None:
        return head
    # The chain's first event: two transactions may race to start it; one insert wins and
    # the other, in its savepoint, falls back to locking the winner's row.
    try:
        with transaction.atomic():
            return ChainHead.objects.create(chain=chain, hash=GENESIS)
    except IntegrityError:
        return ChainHead.objects.select_for_update().get(chain=chain)


def lock_chains(facilities: Iterable[Facility | None]) -> None:
    """Lock several chains' heads in one fixed order, before a change that appends to more
    than one: two such changes in opposite directions would otherwise deadlock."""
    for chain in sorted({chain_of(facility) for facility in facilities}):
        _locked_head(chain)


def record_event(
    *,
    actor: User | None,
    action: str,
    facility: Facility | None,
    person: Person | None = None,
    subjects: Iterable[str] = (),
    detail: Mapping[str, object] | None = None,
) -> AuditEvent:
    """Append one event to the facility's chain (the system chain when facility is None)."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("An audit event must be recorded inside the change's transaction.")
    if not _ACTION.fullmatch(action):
        raise AuditDetailError(f"{action!r} is not an action name such as roster.book")
    subjects = tuple(subjects)
    for subject in subjects:
        if not _SUBJECT.fullmatch(subject):
            raise AuditDetailError(f"{subject!r} is not a record reference such as booking:12")
    checked = dict(detail or {})
    _check_detail(checked)
    # Checked above: made only of identifiers, numbers, lists and mappings of them.
    json_detail = cast(dict[str, JsonValue], checked)
    chain = chain_of(facility)
    head = _locked_head(chain)
    occurred_at = timezone.now()
    content = EventContent(
        chain=chain,
        position=head.position + 1,
        occurred_at=timestamp(occurred_at),
        actor=actor_label(actor),
        action=action,
        person=None if person is None else person.pk,
        subjects=subjects,
        detail=json_detail,
    )
    payload = canonical_bytes(content)
    previous = bytes(head.hash)
    digest = link(previous, payload)
    event = AuditEvent.objects.create(
        chain=chain,
        position=content.position,
        occurred_at=occurred_at,
        actor_id=None if actor is None else actor.pk,
        action=action,
        person_id=content.person,
        subjects=list(content.subjects),
        detail=json_detail,
        payload=payload,
        previous_hash=previous,
        hash=digest,
    )
    head.position = content.position
    head.hash = digest
    head.save(update_fields=["position", "hash"])
    return event


def audit(
    action: str,
    *,
    actor: User | None,
    facility: Facility | None,
    subjects: Iterable[str] = (),
    person: Person | None = None,
    **detail: object,
) -> AuditEvent:
    """`record_event` as services write it: the detail as keyword arguments, none when empty."""
    return record_event(
        actor=actor,
        action=action,
        facility=facility,
        person=person,
        subjects=subjects,
        detail=detail or None,
    )


def record_read(
    *,
    actor: User,
    action: str,
    facility: Facility | None,
    person: Person | None = None,
    records: Iterable[str] = (),
    fields: Iterable[str] = (),
) -> AuditEvent:
    """One read event for one request: which records were shown, and which fields."""
    with transaction.atomic():
        return record_event(
            actor=actor,
            action=action,
            facility=facility,
            person=person,
            subjects=records,
            detail={"fields": sorted(fields)},
        )
