import hashlib
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from pathlib import Path
from statistics import mean

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kiteline.facilities.synthetic import (
    MAX_RESIDENTS,
    BookingPlan,
    PersonPlan,
    SyntheticPlan,
    plan_facility,
)

NOW = datetime(2026, 3, 1, tzinfo=UTC)


def all_bookings(plan: SyntheticPlan) -> list[BookingPlan]:
    return [booking for person in plan.people for booking in person.bookings]


def check_invariants(plan: SyntheticPlan, residents: int) -> None:
    bookings = all_bookings(plan)
    assert len({person.resident_number for person in plan.people}) == len(plan.people)
    assert len({booking.booking_number for booking in bookings}) == len(bookings)
    assert sum(booking.released_at is None for booking in bookings) == residents
    for person in plan.people:
        check_person(person)
    units = {(unit.facility_code, unit.code) for unit in plan.units}
    for booking in bookings:
        check_booking(booking, units)


def check_person(person: PersonPlan) -> None:
    for earlier, later in pairwise(person.bookings):
        assert earlier.released_at is not None
        assert earlier.released_at < later.booked_at
    first_booked_on = person.bookings[0].booked_at.date()
    assert person.date_of_birth < first_booked_on - timedelta(days=18 * 365)


def check_booking(booking: BookingPlan, units: set[tuple[str, str]]) -> None:
    placements = booking.placements
    assert placements[0].started_at == booking.booked_at
    assert placements[-1].ended_at == booking.released_at
    assert booking.facility_code == placements[-1].facility_code
    for earlier, later in pairwise(placements):
        assert earlier.ended_at == later.started_at
        assert (earlier.facility_code, earlier.unit_code) != (later.facility_code, later.unit_code)
    for placement in placements:
        assert (placement.facility_code, placement.unit_code) in units
        assert placement.started_at < NOW
        assert placement.ended_at is None or placement.started_at < placement.ended_at < NOW


def crosses_facilities(booking: BookingPlan) -> bool:
    return len({placement.facility_code for placement in booking.placements}) > 1


def test_the_same_arguments_give_the_same_plan() -> None:
    first = plan_facility(kind="jail", residents=200, seed=7, now=NOW)
    second = plan_facility(kind="jail", residents=200, seed=7, now=NOW)
    assert first == second


def plan_digest() -> str:
    plan = plan_facility(kind="jail", residents=300, seed=4, now=NOW)
    return hashlib.sha256(repr(plan).encode()).hexdigest()


def test_the_plan_does_not_depend_on_the_process_hash_seed() -> None:
    code = "from tests.unit.test_synthetic import plan_digest; print(plan_digest())"
    # A fixed interpreter and a fixed command: nothing untrusted reaches the subprocess.
    other_process = subprocess.run(  # noqa: S603
        [sys.executable, "-c", code],
        env={**os.environ, "PYTHONHASHSEED": "12345"},
        cwd=Path(__file__).resolve().parents[2],
        capture_output=True,
        text=True,
        check=True,
    )
    assert other_process.stdout.strip() == plan_digest()


def test_another_seed_gives_another_plan() -> None:
    first = plan_facility(kind="jail", residents=200, seed=7, now=NOW)
    second = plan_facility(kind="jail", residents=200, seed=8, now=NOW)
    assert first.people != second.people
    assert first.main.code == "synthetic-jail-7"
    assert second.annex.code == "synthetic-jail-8-annex"


@settings(max_examples=15, deadline=None)
@given(
    kind=st.sampled_from(["jail", "prison"]),
    residents=st.integers(min_value=1, max_value=60),
    seed=st.integers(min_value=0, max_value=10**6),
)
def test_every_plan_keeps_the_roster_invariants(kind: str, residents: int, seed: int) -> None:
    check_invariants(plan_facility(kind=kind, residents=residents, seed=seed, now=NOW), residents)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_plan_of_a_hundred_has_transfers_moves_and_re_bookings(seed: int) -> None:
    plan = plan_facility(kind="jail", residents=100, seed=seed, now=NOW)
    bookings = all_bookings(plan)
    assert any(crosses_facilities(booking) for booking in bookings)
    assert any(booking.facility_code == plan.annex.code for booking in bookings)
    assert any(
        len({p.facility_code for p in booking.placements}) == 1 and len(booking.placements) > 1
        for booking in bookings
    )
    assert any(len(p.bookings) > 1 and p.bookings[-1].released_at is None for p in plan.people)
    assert any(person.bookings[-1].released_at is not None for person in plan.people)


def test_a_jail_stay_lasts_about_32_days_on_average() -> None:
    plan = plan_facility(kind="jail", residents=5_000, seed=11, now=NOW)
    stays = [
        (booking.released_at - booking.booked_at).total_seconds() / 86_400
        for booking in all_bookings(plan)
        if booking.released_at is not None
    ]
    assert 27 < mean(stays) < 37


def test_a_prison_stay_lasts_years() -> None:
    plan = plan_facility(kind="prison", residents=2_000, seed=11, now=NOW)
    stays = [
        (booking.released_at - booking.booked_at).days / 365.25
        for booking in all_bookings(plan)
        if booking.released_at is not None
    ]
    assert 2 < mean(stays) < 3.5


def test_the_people_are_mostly_men_and_english_speakers_but_not_only() -> None:
    people = plan_facility(kind="jail", residents=2_000, seed=5, now=NOW).people
    share = len(people) / 100
    assert 10 <= sum(p.sex == "F" for p in people) / share <= 18
    assert 13 <= sum(p.language == "es" for p in people) / share <= 22
    assert {"vi", "zh", "ar", "ht"} <= {p.language for p in people}
    assert any(p.needs_interpreter and p.language == "es" for p in people)
    assert 11 <= sum(not p.reads_without_help for p in people) / share <= 19
    assert 0 < sum(p.race_ethnicity == "" for p in people) / share < 20


def test_numbers_and_names_follow_the_synthetic_patterns() -> None:
    plan = plan_facility(kind="prison", residents=50, seed=3, now=NOW)
    person = plan.people[0]
    assert person.resident_number.startswith("R")
    assert len(person.resident_number) == 8
    assert person.bookings[0].booking_number.startswith(f"B{person.bookings[0].booked_at.year}")
    assert plan.main.name == "Synthetic State Prison"
    assert plan.annex.name == "Synthetic State Prison Annex"


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"kind": "camp"}, "kind must be one of jail, prison"),
        ({"residents": 0}, "residents must be a whole number from 1 to 2,000,000"),
        ({"residents": MAX_RESIDENTS + 1}, "not 2000001"),
        ({"seed": -1}, "seed must be a whole number from 0"),
        ({"now": datetime(2026, 3, 1)}, "no time zone"),  # noqa: DTZ001
    ],
)
def test_it_refuses_bad_arguments(arguments: dict[str, object], message: str) -> None:
    call = {"kind": "jail", "residents": 10, "seed": 1, "now": NOW} | arguments
    with pytest.raises(ValueError, match=message):
        plan_facility(**call)  # type: ignore[arg-type]
