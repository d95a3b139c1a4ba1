from datetime import UTC, datetime, timedelta
from itertools import pairwise

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kiteline.accounts import pins
from kiteline.accounts.pins import (
    FailureSpell,
    PinProblem,
    Tries,
    delay_after,
    new_pin_problem,
    pin_problem,
)

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize("pin", ["2580", "1357", "9021", "48213", "73915820"])
def test_it_accepts_four_to_eight_digits_with_no_pattern(pin: str) -> None:
    assert pin_problem(pin) is None


@pytest.mark.parametrize(
    ("pin", "problem"),
    [
        ("", PinProblem.NOT_DIGITS),
        ("12a4", PinProblem.NOT_DIGITS),
        (" 2580", PinProblem.NOT_DIGITS),
        ("٢٥٨٠", PinProblem.NOT_DIGITS),  # Arabic-Indic digits: no kiosk keypad has them
        ("258", PinProblem.TOO_SHORT),
        ("258013579", PinProblem.TOO_LONG),
        ("0000", PinProblem.ALL_SAME),
        ("77777777", PinProblem.ALL_SAME),
        ("1234", PinProblem.RUN),
        ("4321", PinProblem.RUN),
        ("0123456", PinProblem.RUN),
        ("7890", PinProblem.RUN),
        ("2109", PinProblem.RUN),
    ],
)
def test_it_names_what_is_wrong_with_a_pin(pin: str, problem: PinProblem) -> None:
    assert pin_problem(pin) == problem


def test_a_new_pin_may_not_be_the_current_one() -> None:
    assert new_pin_problem("2580", "2580") == PinProblem.SAME_AS_CURRENT
    assert new_pin_problem("2581", "2580") is None


def test_a_rule_breaking_new_pin_is_reported_before_the_sameness() -> None:
    assert new_pin_problem("1234", "1234") == PinProblem.RUN


def test_a_temporary_pin_has_six_digits_and_passes_the_rules() -> None:
    for _ in range(200):
        pin = pins.random_temporary_pin()
        assert len(pin) == 6
        assert pin_problem(pin) is None


@pytest.mark.parametrize(
    ("failures", "seconds"),
    [(0, 0), (1, 0), (2, 0), (3, 2), (4, 4), (5, 8), (6, 16), (7, 32), (8, 60), (9, 60)],
)
def test_the_delay_doubles_after_three_failures_up_to_a_minute(failures: int, seconds: int) -> None:
    assert delay_after(failures) == seconds


@given(st.integers(min_value=0, max_value=10**12))
def test_no_number_of_failures_waits_longer_than_a_minute(failures: int) -> None:
    assert 0 <= delay_after(failures) <= pins.MAX_DELAY_SECONDS


@given(
    failures=st.integers(min_value=0, max_value=10**9),
    seconds_from_t0=st.integers(min_value=-(10**9), max_value=10**9),
)
def test_a_try_is_always_possible_again_a_minute_after_the_last_failure(
    failures: int, seconds_from_t0: int
) -> None:
    last = T0 + timedelta(seconds=seconds_from_t0)
    tries = Tries(failures=failures, last_failed_at=last)
    assert tries.seconds_to_wait(last + timedelta(seconds=pins.MAX_DELAY_SECONDS)) == 0


def test_a_try_during_the_wait_learns_how_long_is_left() -> None:
    tries = Tries(failures=4, last_failed_at=T0)
    assert tries.seconds_to_wait(T0 + timedelta(seconds=1)) == 3
    assert tries.seconds_to_wait(T0 + timedelta(seconds=4)) == 0


def test_nobody_waits_before_a_first_failure() -> None:
    assert Tries().seconds_to_wait(T0) == 0


def test_a_failure_counts_one_more_and_remembers_when() -> None:
    assert Tries(failures=2, last_failed_at=T0).after_failure(T0 + timedelta(seconds=9)) == Tries(
        failures=3, last_failed_at=T0 + timedelta(seconds=9)
    )


def test_a_kiosk_count_is_forgotten_after_a_quiet_spell() -> None:
    tries = Tries(failures=12, last_failed_at=T0)
    just_before = T0 + pins.KIOSK_QUIET_PERIOD - timedelta(seconds=1)
    assert tries.forgotten_after_quiet(just_before) == tries
    assert tries.forgotten_after_quiet(T0 + pins.KIOSK_QUIET_PERIOD) == Tries()


def test_a_failure_spell_counts_a_residents_failures_for_an_hour_from_the_first() -> None:
    spell = FailureSpell().after_failure(T0)
    assert spell == FailureSpell(failures=1, started_at=T0)
    within = spell.after_failure(T0 + pins.SUSPICION_PERIOD - timedelta(seconds=1))
    assert within == FailureSpell(failures=2, started_at=T0)
    after = within.after_failure(T0 + pins.SUSPICION_PERIOD)
    assert after == FailureSpell(failures=1, started_at=T0 + pins.SUSPICION_PERIOD)


def test_a_spell_becomes_suspicious_on_one_failure_only() -> None:
    spell = FailureSpell()
    flags = []
    for minute in range(3 * pins.SUSPICIOUS_FAILURES):
        spell = spell.after_failure(T0 + timedelta(minutes=minute))
        flags.append(spell.just_became_suspicious)
    assert flags.count(True) == 1
    assert flags.index(True) == pins.SUSPICIOUS_FAILURES - 1


@given(st.lists(st.integers(min_value=0, max_value=4 * 3600), max_size=200))
def test_staff_hear_of_a_resident_at_most_once_an_hour(gaps: list[int]) -> None:
    spell = FailureSpell()
    at = T0
    told: list[datetime] = []
    for gap in gaps:
        at += timedelta(seconds=gap)
        spell = spell.after_failure(at)
        if spell.just_became_suspicious:
            told.append(at)
    assert all(later - earlier >= pins.SUSPICION_PERIOD for earlier, later in pairwise(told))
