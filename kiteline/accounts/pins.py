"""Kiosk PIN rules and the slow-down after wrong tries. Plain values in and out.

Resident numbers are printed on wristbands, so anyone can type anyone's number: a lock-out
after some failures would let one person lock another out of care. Instead each failure
past the first few makes the next try wait a little longer, up to a minute, and a try is
always possible again once the wait is over.

Waits are counted per kiosk and per resident at one kiosk, never per resident across
kiosks: that would let someone at one kiosk keep the real resident waiting at every other.
Across kiosks a resident's failures are only counted, as a signal for staff (FailureSpell).
"""

import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from itertools import pairwise

PIN_MIN_DIGITS = 4
PIN_MAX_DIGITS = 8
TEMPORARY_PIN_DIGITS = 6

# Typing errors happen: the first tries cost nothing.
FREE_TRIES = 3
FIRST_DELAY_SECONDS = 2
MAX_DELAY_SECONDS = 60
# A kiosk is shared by everyone, so a success there never clears its count; a quiet spell
# does, so that one person's mistakes do not slow down the next person for long.
KIOSK_QUIET_PERIOD = timedelta(minutes=10)

# A resident's failures at every kiosk never make anyone wait; this many within an hour of
# the first of them tells staff, once for that hour, that someone may be guessing the PIN.
SUSPICIOUS_FAILURES = 10
SUSPICION_PERIOD = timedelta(hours=1)

# str.isdigit() would also accept other scripts' digits, which a keypad cannot type.
_DIGITS = re.compile(r"[0-9]+")


class PinProblem(StrEnum):
    NOT_DIGITS = "not digits"
    TOO_SHORT = "too short"
    TOO_LONG = "too long"
    ALL_SAME = "all the same digit"
    RUN = "a run of digits"
    SAME_AS_CURRENT = "the same as the current PIN"


def _is_run(pin: str) -> bool:
    """1234 and 4321, and runs that go on past 9 or 0, such as 7890 and 2109."""
    steps = {(int(b) - int(a)) % 10 for a, b in pairwise(pin)}
    return steps in ({1}, {9})


def pin_problem(pin: str) -> PinProblem | None:
    """What makes `pin` unacceptable as a PIN, or None when it is acceptable."""
    if not _DIGITS.fullmatch(pin):
        return PinProblem.NOT_DIGITS
    if len(pin) < PIN_MIN_DIGITS:
        return PinProblem.TOO_SHORT
    if len(pin) > PIN_MAX_DIGITS:
        return PinProblem.TOO_LONG
    if len(set(pin)) == 1:
        return PinProblem.ALL_SAME
    if _is_run(pin):
        return PinProblem.RUN
    return None


def new_pin_problem(new_pin: str, current_pin: str) -> PinProblem | None:
    """What makes `new_pin` unacceptable in place of `current_pin`, or None."""
    problem = pin_problem(new_pin)
    if problem is None and new_pin == current_pin:
        return PinProblem.SAME_AS_CURRENT
    return problem


def random_temporary_pin() -> str:
    """A PIN for a printed slip; it passes the rules so that no weak PIN is ever issued."""
    while True:
        pin = f"{secrets.randbelow(10**TEMPORARY_PIN_DIGITS):0{TEMPORARY_PIN_DIGITS}d}"
        if pin_problem(pin) is None:
            return pin


def delay_after(failures: int) -> int:
    """Seconds the next try waits after `failures` failures in a row: none for the first
    three, then 2, 4, 8, 16, 32 and 60 from then on."""
    if failures < FREE_TRIES:
        return 0
    # Bounded before shifting, so that a huge count costs no more than a small one.
    doublings = min(failures - FREE_TRIES, MAX_DELAY_SECONDS.bit_length())
    return min(FIRST_DELAY_SECONDS << doublings, MAX_DELAY_SECONDS)


@dataclass(frozen=True)
class Tries:
    """Failures in a row, at one kiosk or of one resident at one kiosk, and when the last
    one was."""

    failures: int = 0
    last_failed_at: datetime | None = None

    def seconds_to_wait(self, now: datetime) -> float:
        """0 when a try may be made now; never more than MAX_DELAY_SECONDS."""
        if self.last_failed_at is None:
            return 0.0
        free_at = self.last_failed_at + timedelta(seconds=delay_after(self.failures))
        return max((free_at - now).total_seconds(), 0.0)

    def after_failure(self, now: datetime) -> "Tries":
        return Tries(failures=self.failures + 1, last_failed_at=now)

    def forgotten_after_quiet(self, now: datetime) -> "Tries":
        """The count as it stands once a quiet spell of KIOSK_QUIET_PERIOD has passed."""
        if self.last_failed_at is not None and now - self.last_failed_at >= KIOSK_QUIET_PERIOD:
            return Tries()
        return self


@dataclass(frozen=True)
class FailureSpell:
    """A resident's failures at every kiosk since the spell began: a signal for staff only,
    never a reason to wait. A spell lasts SUSPICION_PERIOD from its first failure; the first
    failure after that begins the next one."""

    failures: int = 0
    started_at: datetime | None = None

    def after_failure(self, now: datetime) -> "FailureSpell":
        if self.started_at is None or now - self.started_at >= SUSPICION_PERIOD:
            return FailureSpell(failures=1, started_at=now)
        return FailureSpell(failures=self.failures + 1, started_at=self.started_at)

    @property
    def just_became_suspicious(self) -> bool:
        """True for the one failure that reaches SUSPICIOUS_FAILURES in this spell: staff
        hear of a spell once, so at most once an hour per resident."""
        return self.failures == SUSPICIOUS_FAILURES
