"""What the scheduler is asked: capacity, restrictions and requirements as plain values.

Pure core: no Django. Times of day are whole minutes after the facility's local midnight
and dates are the facility's local calendar, so a schedule never depends on a time zone.

``check_problem`` refuses inconsistent data (an unknown session type, a due date before the
earliest date, a group larger than every room...) with every problem listed at once, so an
input the solver could never honour is reported, never silently scheduled around.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from itertools import pairwise

DAY_MINUTES = 24 * 60
# Weights are bounded so that every objective term fits comfortably in 64-bit integers.
MAX_ACUITY = 1_000


@dataclass(frozen=True, slots=True)
class Window:
    """[start, end) in minutes after local midnight."""

    start: int
    end: int

    @property
    def minutes(self) -> int:
        return self.end - self.start

    def overlaps(self, other: Window) -> bool:
        return self.start < other.end and other.start < self.end

    def contains(self, other: Window) -> bool:
        return self.start <= other.start and other.end <= self.end


# The facility's movement periods when it states none: a morning and an afternoon block,
# with the midday count and meal between them.
DEFAULT_PERIODS = (Window(8 * 60, 11 * 60 + 30), Window(13 * 60, 16 * 60 + 30))


class Kind(StrEnum):
    INDIVIDUAL = "individual"
    GROUP = "group"
    PSYCHIATRY = "psychiatry"
    CRISIS_FOLLOW_UP = "crisis_follow_up"


@dataclass(frozen=True, slots=True)
class DateException:
    """A date on which a clinician's weekly template does not apply: ``windows`` replace it
    (reduced hours, training in the morning), and no windows means off (leave)."""

    date: date
    windows: tuple[Window, ...] = ()


@dataclass(frozen=True, slots=True)
class Clinician:
    id: str
    weekly: tuple[tuple[Window, ...], ...]  # seven entries, Monday first
    exceptions: tuple[DateException, ...] = ()

    def windows_on(self, day: date) -> tuple[Window, ...]:
        for exception in self.exceptions:
            if exception.date == day:
                return exception.windows
        return self.weekly[day.weekday()]


@dataclass(frozen=True, slots=True)
class Room:
    id: str
    capacity: int  # residents it seats


@dataclass(frozen=True, slots=True)
class SessionType:
    id: str
    kind: Kind
    minutes: int
    clinicians: frozenset[str]  # who may hold it
    capacity: int = 1  # residents in one session: more than one only for a group

    @property
    def is_group(self) -> bool:
        return self.kind is Kind.GROUP


@dataclass(frozen=True, slots=True)
class Restriction:
    """Movement stopped on one date during ``window``: for one housing unit (a lockdown, a
    search) or, when ``unit`` is None, for the whole facility (an emergency count)."""

    date: date
    window: Window
    unit: str | None = None
    reason: str = ""


@dataclass(frozen=True, slots=True)
class Requirement:
    """One contact that should happen: seen on or after ``earliest``, by ``due``."""

    id: str
    person: str
    unit: str
    session_type: str
    earliest: date
    due: date
    acuity: int  # 1 and up: how much a miss or a delay of this contact weighs
    mandatory: bool  # a required contact or a deadline, not only a wish
    waiting_since: date
    last_clinician: str | None = None
    group: str | None = None  # the group it attends, for a group session type


@dataclass(frozen=True, slots=True)
class Problem:
    start: date
    clinicians: tuple[Clinician, ...]
    rooms: tuple[Room, ...]
    session_types: tuple[SessionType, ...]
    requirements: tuple[Requirement, ...]
    restrictions: tuple[Restriction, ...] = ()
    # When people may move, the same every day; counts and meals are the gaps between them.
    periods: tuple[Window, ...] = DEFAULT_PERIODS
    days: int = 14

    @property
    def dates(self) -> tuple[date, ...]:
        return tuple(self.start + timedelta(days=n) for n in range(self.days))

    @property
    def last_date(self) -> date:
        return self.start + timedelta(days=self.days - 1)


class ProblemError(ValueError):
    """The input is inconsistent; ``problems`` lists every reason, for the person who fixes
    the data."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = tuple(problems)


def check_problem(problem: Problem) -> None:
    """Every inconsistency in ``problem`` at once, as a ProblemError; None when it is sound."""
    problems: list[str] = []
    if problem.days < 1:
        problems.append("The horizon must be at least one day.")
    _check_windows("periods", problem.periods, problems)
    if not problem.periods:
        problems.append("At least one movement period is needed.")
    for kind, ids in (
        ("clinician", [c.id for c in problem.clinicians]),
        ("room", [r.id for r in problem.rooms]),
        ("session type", [s.id for s in problem.session_types]),
        ("requirement", [r.id for r in problem.requirements]),
    ):
        for repeated, count in Counter(ids).items():
            if count > 1:
                problems.append(f"The {kind} id {repeated!r} is used {count} times.")
    for clinician in problem.clinicians:
        _check_clinician(clinician, problems)
    if not problem.rooms:
        problems.append("At least one room is needed.")
    for room in problem.rooms:
        if room.capacity < 1:
            problems.append(f"Room {room.id!r} must seat at least one person.")
    clinicians = {c.id for c in problem.clinicians}
    largest_room = max((r.capacity for r in problem.rooms), default=0)
    longest_period = max((p.minutes for p in problem.periods), default=0)
    for session in problem.session_types:
        _check_session_type(session, clinicians, largest_room, longest_period, problems)
    _check_requirements(problem, problems)
    for restriction in problem.restrictions:
        _check_windows(f"restriction on {restriction.date}", (restriction.window,), problems)
    if problems:
        raise ProblemError(problems)


def _check_windows(where: str, windows: tuple[Window, ...], problems: list[str]) -> None:
    for window in windows:
        if not 0 <= window.start < window.end <= DAY_MINUTES:
            problems.append(f"{where}: {window.start}-{window.end} is not a time window.")
    ordered = sorted(windows, key=lambda w: w.start)
    if any(a.overlaps(b) for a, b in pairwise(ordered)):
        problems.append(f"{where}: the windows overlap.")


def _check_clinician(clinician: Clinician, problems: list[str]) -> None:
    if len(clinician.weekly) != 7:
        problems.append(f"Clinician {clinician.id!r}: the weekly template needs seven days.")
    for weekday, windows in enumerate(clinician.weekly):
        _check_windows(f"Clinician {clinician.id!r}, weekday {weekday}", windows, problems)
    dates = Counter(exception.date for exception in clinician.exceptions)
    for day, count in dates.items():
        if count > 1:
            problems.append(f"Clinician {clinician.id!r} has {count} exceptions on {day}.")
    for exception in clinician.exceptions:
        where = f"Clinician {clinician.id!r} on {exception.date}"
        _check_windows(where, exception.windows, problems)


def _check_session_type(
    session: SessionType,
    clinicians: set[str],
    largest_room: int,
    longest_period: int,
    problems: list[str],
) -> None:
    where = f"Session type {session.id!r}"
    if session.minutes < 1:
        problems.append(f"{where} must last at least a minute.")
    elif session.minutes > longest_period:
        problems.append(f"{where} lasts longer than every movement period.")
    if session.is_group and session.capacity < 2:
        problems.append(f"{where} is a group and must seat at least two.")
    if not session.is_group and session.capacity != 1:
        problems.append(f"{where} is not a group, so it sees one person at a time.")
    if session.capacity > largest_room:
        problems.append(f"{where} needs a room for {session.capacity}; none is that large.")
    if not session.clinicians:
        problems.append(f"{where}: no clinician may hold it.")
    for unknown in sorted(session.clinicians - clinicians):
        problems.append(f"{where} names an unknown clinician {unknown!r}.")


def _check_requirements(problem: Problem, problems: list[str]) -> None:
    sessions = {s.id: s for s in problem.session_types}
    group_types: dict[str, set[str]] = {}
    for requirement in problem.requirements:
        where = f"Requirement {requirement.id!r}"
        session = sessions.get(requirement.session_type)
        if session is None:
            problems.append(f"{where} names an unknown session type.")
        elif session.is_group and requirement.group is None:
            problems.append(f"{where} is for a group session but names no group.")
        elif not session.is_group and requirement.group is not None:
            problems.append(f"{where} names a group but its session type is not a group.")
        if requirement.due < requirement.earliest:
            problems.append(f"{where} is due before its earliest date.")
        if not 1 <= requirement.acuity <= MAX_ACUITY:
            problems.append(f"{where}: acuity must be from 1 to {MAX_ACUITY}.")
        if requirement.group is not None:
            group_types.setdefault(requirement.group, set()).add(requirement.session_type)
    ids = {requirement.id for requirement in problem.requirements}
    for group, types in sorted(group_types.items()):
        if len(types) > 1:
            problems.append(f"Group {group!r} mixes session types {sorted(types)}.")
        # A group's meetings are known by this key beside the requirements' ids.
        if f"group:{group}" in ids:
            problems.append(f"Group {group!r} clashes with the requirement id 'group:{group}'.")
