"""Audit chain: append rate on this database, and verify rate against a bare hashlib chain.

python -m benchmarks.audit_benchmark [--events 200000] [--appends 2000]

Targets (issue: tamper-evident audit): the verify engine at 1 M events/s or more, and 10 M
events verified from the database in 15 s or less; the second is extrapolated from --events.
"""

import argparse
import hashlib
import time
from itertools import batched

from benchmarks.harness import Figure, report, scratch_database
from kiteline.audit.chain import GENESIS, EventContent, StoredEvent, canonical_bytes, link


def synthetic_events(count: int, chain: str = "bench") -> list[StoredEvent]:
    events = []
    previous = GENESIS
    for position in range(1, count + 1):
        content = EventContent(
            chain=chain,
            position=position,
            occurred_at=f"2026-11-24T10:{position // 60 % 60:02d}:{position % 60:02d}.000000+00:00",
            actor=f"user:{position % 40}",
            action="person.read" if position % 3 else "roster.move",
            person=position % 5000,
            subjects=(f"booking:{position}",),
            detail={"fields": ["housing_unit", "language", "name"]},
        )
        payload = canonical_bytes(content)
        digest = link(previous, payload)
        events.append(StoredEvent(content, payload, previous, digest))
        previous = digest
    return events


def bare_chain_rate(payloads: list[bytes]) -> float:
    """The floor: SHA-256 over the same bytes with nothing else checked."""
    started = time.perf_counter()
    previous = GENESIS
    for payload in payloads:
        previous = hashlib.sha256(previous + payload).digest()
    return len(payloads) / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--appends", type=int, default=2_000)
    args = parser.parse_args()

    with scratch_database() as vendor:
        from django.db import transaction

        from kiteline.audit.chain import verify_chain
        from kiteline.audit.models import AuditEvent, ChainHead
        from kiteline.audit.recording import record_event
        from kiteline.audit.verification import verify_stored_chain
        from kiteline.facilities.models import Facility

        events = synthetic_events(args.events)
        bare = bare_chain_rate([event.payload for event in events])
        started = time.perf_counter()
        assert verify_chain("bench", events) is None
        in_memory = args.events / (time.perf_counter() - started)

        facility = Facility.objects.create(
            code="bench-append", name="Benchmark", kind="jail", time_zone="UTC"
        )
        started = time.perf_counter()
        for n in range(args.appends):
            with transaction.atomic():
                record_event(
                    actor=None, action="bench.append", facility=facility, subjects=[f"n:{n}"]
                )
        append_rate = args.appends / (time.perf_counter() - started)

        started = time.perf_counter()
        for n in range(args.appends):
            with transaction.atomic():
                Facility.objects.filter(pk=facility.pk).update(name=f"Benchmark {n}")
        plain_write_rate = args.appends / (time.perf_counter() - started)

        for chunk in batched(events, 5_000):
            AuditEvent.objects.bulk_create(
                AuditEvent(
                    chain="bench",
                    position=e.columns.position,
                    occurred_at=e.columns.occurred_at,
                    actor_id=int(e.columns.actor.split(":")[1]) if e.columns.actor else None,
                    action=e.columns.action,
                    person_id=e.columns.person,
                    subjects=list(e.columns.subjects),
                    detail=dict(e.columns.detail),
                    payload=e.payload,
                    previous_hash=e.previous_hash,
                    hash=e.hash,
                )
                for e in chunk
            )
        ChainHead.objects.create(chain="bench", position=args.events, hash=events[-1].hash)
        started = time.perf_counter()
        assert verify_stored_chain("bench") is None
        from_database = args.events / (time.perf_counter() - started)

    report(
        f"Audit chain on {vendor} ({args.events:,} events verified, {args.appends:,} appends)",
        [
            Figure(
                "verify engine, in memory", in_memory, "events/s", bare, "bare hashlib", ">= 1 M/s"
            ),
            Figure(
                "verify from the database",
                from_database,
                "events/s",
                bare,
                "bare hashlib",
                f"10 M in <= 15 s (here: {10_000_000 / from_database:,.0f} s)",
            ),
            Figure(
                "append, one event per transaction",
                append_rate,
                "events/s",
                plain_write_rate,
                "one UPDATE per transaction",
            ),
        ],
    )


if __name__ == "__main__":
    main()
