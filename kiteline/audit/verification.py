"""Verifying the stored chains, and writing checkpoints of their heads."""

import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
    load_pem_private_key,
    load_pem_public_key,
)
from django.conf import settings
from django.db import connection
from django.db.models import Subquery
from django.utils import timezone

from kiteline.audit.chain import ChainPoint, EventContent, Fault, StoredEvent, verify_chain
from kiteline.audit.checkpoints import sign_checkpoint
from kiteline.audit.models import AuditEvent, ChainHead
from kiteline.audit.recording import timestamp

COLUMNS = (
    "position",
    "occurred_at",
    "actor_id",
    "action",
    "person_id",
    "subjects",
    "detail",
    "payload",
    "previous_hash",
    "hash",
)
type Progress = Callable[[Iterable[StoredEvent], int, str], Iterable[StoredEvent]]


class SigningKeyError(RuntimeError):
    """The signing or public key cannot be found or read."""


def chains() -> list[str]:
    """Every chain that has a head or an event: deleting one of the two hides nothing."""
    named = set(ChainHead.objects.values_list("chain", flat=True))
    named |= set(AuditEvent.objects.values_list("chain", flat=True).distinct())
    return sorted(named)


def _as_utc(value: datetime | str) -> datetime:
    # SQLite hands back text; PostgreSQL a datetime in the connection's time zone.
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _json(value: str | bytes | list[Any] | dict[str, Any]) -> Any:
    # psycopg decodes jsonb itself; SQLite gives the text.
    return orjson.loads(value) if isinstance(value, str | bytes) else value


def stored_events(chain: str, batch: int = 10_000) -> Iterator[StoredEvent]:
    """The chain's events in position order, read without the ORM's per-row conversions:
    verifying ten million events spends its time here."""
    table = connection.ops.quote_name(AuditEvent._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(column) for column in COLUMNS)
    sql = f"SELECT {columns} FROM {table} WHERE chain = %s ORDER BY position"  # noqa: S608 -- names are ours, the value a parameter
    with connection.chunked_cursor() as cursor:
        cursor.execute(sql, [chain])
        while rows := cursor.fetchmany(batch):
            for (
                position,
                occurred_at,
                actor_id,
                action,
                person_id,
                subjects,
                detail,
                payload,
                previous,
                digest,
            ) in rows:
                yield StoredEvent(
                    columns=EventContent(
                        chain=chain,
                        position=position,
                        occurred_at=timestamp(_as_utc(occurred_at)),
                        actor=None if actor_id is None else f"user:{actor_id}",
                        action=action,
                        person=person_id,
                        subjects=tuple(_json(subjects)),
                        detail=_json(detail),
                    ),
                    payload=bytes(payload),
                    previous_hash=bytes(previous),
                    hash=bytes(digest),
                )


def last_point(chain: str) -> ChainPoint | None:
    last = (
        AuditEvent.objects.filter(chain=chain)
        .order_by("-position")
        .values_list("position", "hash")
        .first()
    )
    return None if last is None else ChainPoint(chain, last[0], bytes(last[1]))


def _head_fault(chain: str) -> Fault | None:
    """The head row is written with every append: a tail removed without mending it shows.

    Head and last event are read in one statement, so an append committed in between cannot
    make a live chain look tampered.
    """
    last = AuditEvent.objects.filter(chain=chain).order_by("-position")
    row = (
        ChainHead.objects.filter(chain=chain)
        .annotate(
            last_position=Subquery(last.values("position")[:1]),
            last_hash=Subquery(last.values("hash")[:1]),
        )
        .values_list("position", "hash", "last_position", "last_hash")
        .first()
    )
    if row is None:
        stored = last_point(chain)
        if stored is None:
            return None
        return Fault(chain, 1, f"the chain has {stored.position} events but no head")
    head_position, head_hash, last_position, last_hash = row
    last_position = last_position or 0
    if head_position != last_position:
        return Fault(
            chain,
            min(head_position, last_position) + 1,
            f"the chain's head says {head_position} events but {last_position} are stored",
        )
    if last_hash is not None and bytes(head_hash) != bytes(last_hash):
        return Fault(
            chain, last_position, "the chain's head holds another hash than its last event"
        )
    return None


def verify_stored_chain(
    chain: str, checkpoints: Sequence[ChainPoint] = (), progress: Progress | None = None
) -> Fault | None:
    events: Iterable[StoredEvent] = stored_events(chain)
    if progress is not None:
        events = progress(events, AuditEvent.objects.filter(chain=chain).count(), chain)
    return verify_chain(chain, events, checkpoints) or _head_fault(chain)


def load_private_key(path: Path | None = None) -> Ed25519PrivateKey:
    path = path or settings.AUDIT_SIGNING_KEY_FILE
    try:
        key = load_pem_private_key(path.read_bytes(), password=None)
    except FileNotFoundError as error:
        raise SigningKeyError(
            f"No signing key at {path}; create one with `kiteline audit keygen`."
        ) from error
    if not isinstance(key, Ed25519PrivateKey):
        raise SigningKeyError(f"{path} does not hold an Ed25519 private key.")
    return key


def load_public_key(path: Path | None) -> Ed25519PublicKey:
    if path is None:
        return load_private_key().public_key()
    key = load_pem_public_key(path.read_bytes())
    if not isinstance(key, Ed25519PublicKey):
        raise SigningKeyError(f"{path} does not hold an Ed25519 public key.")
    return key


def create_signing_key(path: Path) -> Ed25519PublicKey:
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())
    path.parent.mkdir(parents=True, exist_ok=True)
    # Created with owner-only permissions: whoever reads it can sign checkpoints.
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as file:
        file.write(pem)
    return key.public_key()


def public_pem(key: Ed25519PublicKey) -> str:
    return key.public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo).decode()


def head_checkpoint(chain: str, key: Ed25519PrivateKey) -> tuple[ChainPoint, str] | None:
    """A signed checkpoint of the chain's last stored event, or None for an empty chain."""
    point = last_point(chain)
    if point is None:
        return None
    return point, sign_checkpoint(point, timestamp(timezone.now()), key)
