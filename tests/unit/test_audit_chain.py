"""The audit chain core: every kind of tamper is found, at the right position."""

import dataclasses

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given
from hypothesis import strategies as st

from kiteline.audit.chain import (
    GENESIS,
    ChainPoint,
    EventContent,
    StoredEvent,
    canonical_bytes,
    link,
    parse_bytes,
    verify_chain,
)
from kiteline.audit.checkpoints import CheckpointError, read_checkpoint, sign_checkpoint

CHAIN = "north"


def build(count: int, chain: str = CHAIN) -> list[StoredEvent]:
    events = []
    previous = GENESIS
    for position in range(1, count + 1):
        content = EventContent(
            chain=chain,
            position=position,
            occurred_at=f"2026-11-{1 + position % 28:02d}T08:00:00.000000+00:00",
            actor=f"user:{position % 5}" if position % 7 else None,
            action="roster.move_housing" if position % 2 else "person.read",
            subjects=(f"person:{position}", f"booking:{position * 3}"),
            detail={"fields": ["housing_unit"], "to_unit": position % 4},
        )
        payload = canonical_bytes(content)
        digest = link(previous, payload)
        events.append(StoredEvent(content, payload, previous, digest))
        previous = digest
    return events


def head(events: list[StoredEvent]) -> ChainPoint:
    return ChainPoint(CHAIN, events[-1].columns.position, events[-1].hash)


def test_an_intact_chain_verifies() -> None:
    events = build(50)
    assert verify_chain(CHAIN, events, [head(events)]) is None


def test_an_empty_chain_verifies() -> None:
    assert verify_chain(CHAIN, []) is None


def test_canonical_bytes_round_trip_and_do_not_depend_on_key_order() -> None:
    content = EventContent(
        chain="north",
        position=3,
        occurred_at="2026-11-24T10:00:00.000001+00:00",
        actor=None,
        action="person.read",
        subjects=("person:1",),
        detail={"b": 1, "a": "Ñandú"},
    )
    reordered = dataclasses.replace(content, detail={"a": "Ñandú", "b": 1})
    assert canonical_bytes(content) == canonical_bytes(reordered)
    assert parse_bytes(canonical_bytes(content)) == content


sizes = st.integers(min_value=2, max_value=30)


@given(size=sizes, data=st.data())
def test_an_edited_column_is_found_at_its_position(size: int, data: st.DataObject) -> None:
    events = build(size)
    at = data.draw(st.integers(0, size - 1))
    edit: dict[str, object] = data.draw(
        st.sampled_from(
            [
                {"actor": "user:999"},
                {"action": "person.erase"},
                {"person": 999},
                {"subjects": ("person:0",)},
                {"occurred_at": "2020-01-01T00:00:00.000000+00:00"},
                {"detail": {"fields": []}},
            ]
        )
    )
    events[at] = dataclasses.replace(
        events[at],
        columns=dataclasses.replace(events[at].columns, **edit),  # type: ignore[arg-type]
    )
    fault = verify_chain(CHAIN, events)
    assert fault is not None
    assert fault.position == at + 1


@given(size=sizes, data=st.data())
def test_edited_bytes_are_found_at_their_position(size: int, data: st.DataObject) -> None:
    events = build(size)
    at = data.draw(st.integers(0, size - 1))
    tampered = (
        events[at].payload.replace(b"user:", b"user:9", 1).replace(b"person.read", b"person.reed")
    )
    if tampered == events[at].payload:
        tampered = events[at].payload + b" "
    events[at] = dataclasses.replace(events[at], payload=tampered)
    fault = verify_chain(CHAIN, events)
    assert fault is not None
    assert fault.position == at + 1


@given(size=sizes, data=st.data())
def test_a_deleted_event_is_found(size: int, data: st.DataObject) -> None:
    events = build(size)
    at = data.draw(st.integers(0, size - 2))
    del events[at]
    fault = verify_chain(CHAIN, events)
    assert fault is not None
    assert fault.position == at + 1


@given(size=sizes, data=st.data())
def test_an_inserted_event_is_found(size: int, data: st.DataObject) -> None:
    events = build(size)
    at = data.draw(st.integers(0, size - 1))
    forged = build(size, chain=CHAIN)[at]
    forged = dataclasses.replace(
        forged, columns=dataclasses.replace(forged.columns, action="person.forged")
    )
    events.insert(at, forged)
    fault = verify_chain(CHAIN, events)
    assert fault is not None
    assert fault.position == at + 1


@given(size=sizes, data=st.data())
def test_two_swapped_events_are_found(size: int, data: st.DataObject) -> None:
    events = build(size)
    first = data.draw(st.integers(0, size - 2))
    second = data.draw(st.integers(first + 1, size - 1))
    events[first], events[second] = events[second], events[first]
    fault = verify_chain(CHAIN, events)
    assert fault is not None
    assert fault.position == first + 1


@given(size=sizes, data=st.data())
def test_swapped_positions_with_columns_to_match_are_found(size: int, data: st.DataObject) -> None:
    # Reordering by renumbering the position column: the bytes still say the old position.
    events = build(size)
    first = data.draw(st.integers(0, size - 2))
    second = first + 1
    a, b = events[first], events[second]
    events[first] = dataclasses.replace(
        b, columns=dataclasses.replace(b.columns, position=first + 1)
    )
    events[second] = dataclasses.replace(
        a, columns=dataclasses.replace(a.columns, position=second + 1)
    )
    fault = verify_chain(CHAIN, events)
    assert fault is not None
    assert fault.position == first + 1


@given(size=sizes, data=st.data())
def test_one_recomputed_hash_is_found(size: int, data: st.DataObject) -> None:
    events = build(size)
    at = data.draw(st.integers(0, size - 1))
    edited = dataclasses.replace(events[at].columns, actor="user:666")
    payload = canonical_bytes(edited)
    events[at] = StoredEvent(
        edited, payload, events[at].previous_hash, link(events[at].previous_hash, payload)
    )
    fault = verify_chain(CHAIN, events)
    if at == size - 1:
        # Re-hashing the very last event leaves a consistent chain: only a checkpoint holds.
        assert fault is None
    else:
        assert fault is not None
        assert fault.position == at + 2


@given(size=sizes, data=st.data())
def test_truncation_up_to_the_last_checkpoint_is_found(size: int, data: st.DataObject) -> None:
    events = build(size)
    checkpoint = head(events)
    keep = data.draw(st.integers(0, size - 1))
    fault = verify_chain(CHAIN, events[:keep], [checkpoint])
    assert fault is not None
    assert fault.position == keep + 1
    assert "removed from the end" in fault.reason


@given(size=sizes, data=st.data())
def test_a_chain_rewritten_from_some_point_fails_an_earlier_checkpoint(
    size: int, data: st.DataObject
) -> None:
    events = build(size)
    at = data.draw(st.integers(0, size - 1))
    checkpoint = head(events)
    # Rewrite everything from `at` on, each link recomputed: only the checkpoint tells.
    rewritten = events[:at]
    previous = rewritten[-1].hash if rewritten else GENESIS
    for event in events[at:]:
        content = dataclasses.replace(event.columns, actor="user:666")
        payload = canonical_bytes(content)
        digest = link(previous, payload)
        rewritten.append(StoredEvent(content, payload, previous, digest))
        previous = digest
    assert verify_chain(CHAIN, rewritten) is None
    fault = verify_chain(CHAIN, rewritten, [checkpoint])
    assert fault is not None
    assert fault.position == size
    assert "checkpoint" in fault.reason


def test_checkpoints_of_another_chain_are_ignored() -> None:
    events = build(3)
    other = ChainPoint("south", 10, bytes(32))
    assert verify_chain(CHAIN, events, [other]) is None


def test_a_signed_checkpoint_reads_back_with_the_public_key() -> None:
    key = Ed25519PrivateKey.generate()
    point = ChainPoint("north", 12, bytes(range(32)))
    text = sign_checkpoint(point, "2026-11-24T10:00:00+00:00", key)
    assert read_checkpoint(text, key.public_key()).point == point


def test_an_altered_checkpoint_is_refused() -> None:
    key = Ed25519PrivateKey.generate()
    text = sign_checkpoint(ChainPoint("north", 12, bytes(32)), "2026-11-24T10:00:00+00:00", key)
    with pytest.raises(CheckpointError, match="signature"):
        read_checkpoint(text.replace('"position": 12', '"position": 11'), key.public_key())


def test_a_checkpoint_signed_with_another_key_is_refused() -> None:
    text = sign_checkpoint(
        ChainPoint("north", 1, bytes(32)), "2026-11-24T10:00:00+00:00", Ed25519PrivateKey.generate()
    )
    with pytest.raises(CheckpointError, match="another key"):
        read_checkpoint(text, Ed25519PrivateKey.generate().public_key())


@pytest.mark.parametrize(
    "text", ["not json", "[]", '{"format": "other"}', '{"format": "kiteline-audit-checkpoint/1"}']
)
def test_a_malformed_checkpoint_file_is_refused_with_a_reason(text: str) -> None:
    with pytest.raises(CheckpointError):
        read_checkpoint(text, Ed25519PrivateKey.generate().public_key())
