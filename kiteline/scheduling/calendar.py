"""The problem's capacity laid out by date: what each clinician-day can hold, and where each
requirement could go. Shared by the optimizer, the greedy baseline and the checks.

Time inside a day is kept coarse on purpose, so that the optimizer decides only who is seen
by whom on which day and the exact minutes follow without search:

- A clinician's day is cut into *pieces*: each of their availability windows, inside one
  movement period, less the facility-wide restrictions of that date. Sessions placed in a
  piece run back to back from its start, so a piece holds any set of sessions whose minutes
  add up to its length.
- A restriction for one housing unit closes, for that unit's people, every period it
  touches on its date (movement runs by period, so a lockdown from 10:00 stops the morning's
  movement). A group meets only in a period open to the units of all its members.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from functools import cached_property

from kiteline.scheduling.problem import (
    Problem,
    Requirement,
    SessionType,
    Window,
    check_problem,
)


@dataclass(frozen=True, slots=True)
class Piece:
    period: int  # index into Problem.periods
    window: Window


@dataclass(frozen=True, slots=True)
class Item:
    """What takes one stretch of a clinician's time: one person's session, or one meeting
    of a group (its ``requirements`` are the group's members)."""

    key: str  # the requirement's id, or "group:" and the group's key
    session: SessionType
    requirements: tuple[Requirement, ...]
    group: str | None
    units: frozenset[str]

    @property
    def minutes(self) -> int:
        return self.session.minutes

    @property
    def room_need(self) -> int:
        """The seats its room needs: a group's room seats the whole group."""
        return self.session.capacity


@dataclass(frozen=True, slots=True)
class Slot:
    """A clinician-day an item could use, and which of that day's pieces may hold it."""

    clinician: str
    date: date
    pieces: tuple[int, ...]  # indices into the clinician-day's pieces


@dataclass(frozen=True)
class Calendar:
    problem: Problem
    dates: tuple[date, ...]
    pieces: dict[tuple[str, date], tuple[Piece, ...]]
    items: tuple[Item, ...]
    slots: dict[str, tuple[Slot, ...]]  # by item key
    sessions: dict[str, SessionType]
    # Periods still open to a housing unit on a date, where a restriction closed some.
    open: dict[tuple[str, date], frozenset[int]]

    @cached_property
    def requirements(self) -> dict[str, Requirement]:
        return {r.id: r for r in self.problem.requirements}

    @cached_property
    def items_by_key(self) -> dict[str, Item]:
        return {item.key: item for item in self.items}

    @cached_property
    def requirement_items(self) -> dict[str, str]:
        """Requirement id → the key of the item it is part of (itself, or its group)."""
        return {r.id: item.key for item in self.items for r in item.requirements}

    @cached_property
    def missed_weight(self) -> int:
        """What one point of acuity missed weighs against one point made late: more than
        every mandatory contact made late together, so that the fewest missed comes first."""
        return 1 + sum(r.acuity for r in self.problem.requirements if r.mandatory)

    def offset(self, day: date) -> int:
        return (day - self.problem.start).days

    def wait(self, requirement: Requirement) -> int:
        """Days waited by the horizon's first day, counting that day: at least one."""
        return max(1, (self.problem.start - requirement.waiting_since).days + 1)

    def due_in_horizon(self, requirement: Requirement) -> bool:
        return requirement.due <= self.problem.last_date

    def continuity_possible(self, requirement: Requirement) -> bool:
        """Whether the last clinician could hold this session type at all."""
        last = requirement.last_clinician
        return last is not None and last in self.sessions[requirement.session_type].clinicians

    def open_periods(self, units: Iterable[str], day: date) -> frozenset[int]:
        periods = frozenset(range(len(self.problem.periods)))
        for unit in units:
            periods &= self.open.get((unit, day), periods)
        return periods


def build_calendar(problem: Problem) -> Calendar:
    """The capacity laid out by date. Checks the problem first: ProblemError."""
    check_problem(problem)
    dates = problem.dates
    closed: dict[tuple[str, date], set[int]] = {}
    facility_blocks: dict[date, list[Window]] = {}
    for restriction in problem.restrictions:
        if restriction.unit is None:
            facility_blocks.setdefault(restriction.date, []).append(restriction.window)
            continue
        touched = {
            n for n, period in enumerate(problem.periods) if period.overlaps(restriction.window)
        }
        closed.setdefault((restriction.unit, restriction.date), set()).update(touched)
    every = frozenset(range(len(problem.periods)))
    open_periods = {key: every - periods for key, periods in closed.items()}
    shortest = min(s.minutes for s in problem.session_types) if problem.session_types else 1
    pieces = {}
    for clinician in problem.clinicians:
        for day in dates:
            found = _pieces(
                clinician.windows_on(day), problem.periods, facility_blocks.get(day, [])
            )
            kept = tuple(piece for piece in found if piece.window.minutes >= shortest)
            if kept:
                pieces[clinician.id, day] = kept
    sessions = {s.id: s for s in problem.session_types}
    calendar = Calendar(
        problem=problem,
        dates=dates,
        pieces=pieces,
        items=_items(problem, sessions),
        slots={},
        sessions=sessions,
        open=open_periods,
    )
    # Filled once here, read-only afterwards: the slots need the calendar's open periods.
    for item in calendar.items:
        calendar.slots[item.key] = _slots(calendar, item)
    return calendar


def _pieces(
    windows: tuple[Window, ...], periods: tuple[Window, ...], blocks: list[Window]
) -> list[Piece]:
    found = []
    for n, period in enumerate(periods):
        for window in windows:
            start, end = max(window.start, period.start), min(window.end, period.end)
            if start >= end:
                continue
            for part in _subtract(Window(start, end), blocks):
                found.append(Piece(n, part))
    return sorted(found, key=lambda piece: piece.window.start)


def _subtract(window: Window, blocks: list[Window]) -> list[Window]:
    parts = [window]
    for block in blocks:
        parts = [
            part
            for whole in parts
            for part in (
                Window(whole.start, min(whole.end, block.start)),
                Window(max(whole.start, block.end), whole.end),
            )
            if part.start < part.end
        ]
    return parts


def _items(problem: Problem, sessions: dict[str, SessionType]) -> tuple[Item, ...]:
    items = []
    members: dict[str, list[Requirement]] = {}
    for requirement in problem.requirements:
        session = sessions[requirement.session_type]
        if requirement.group is None:
            items.append(
                Item(requirement.id, session, (requirement,), None, frozenset({requirement.unit}))
            )
        else:
            members.setdefault(requirement.group, []).append(requirement)
    for group, requirements in members.items():
        session = sessions[requirements[0].session_type]
        units = frozenset(r.unit for r in requirements)
        items.append(Item(f"group:{group}", session, tuple(requirements), group, units))
    return tuple(items)


def _slots(calendar: Calendar, item: Item) -> tuple[Slot, ...]:
    first = min(r.earliest for r in item.requirements)
    found = []
    for day in calendar.dates:
        if day < first:
            continue
        periods = calendar.open_periods(item.units, day)
        for clinician in calendar.problem.clinicians:
            if clinician.id not in item.session.clinicians:
                continue
            pieces = calendar.pieces.get((clinician.id, day), ())
            fits = tuple(
                n
                for n, piece in enumerate(pieces)
                if piece.period in periods and piece.window.minutes >= item.minutes
            )
            if fits:
                found.append(Slot(clinician.id, day, fits))
    return tuple(found)
