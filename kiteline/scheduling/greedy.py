"""The baseline: first come, first served, each into the earliest clinician-day that fits;
and a better greedy start for the optimizer. Pure core.

The baseline takes requirements in the order they started waiting (then by id); each goes
to the first date, and on that date to the first clinician in the problem's order, with a
piece of their day long enough, a room free in that period, and the person not yet booked
that day. A group member joins a meeting of their group already set that day if it has a
seat, or opens one. Nothing placed is ever moved: this is what a scheduler does by hand,
and the figure the optimizer is measured against.

``urgent_first`` is where the optimizer starts: groups first (their meetings need long
pieces), then the mandatory contacts due within the horizon, most urgent first, each on
the latest date that is still on time (leaving the early dates free); then those that can
no longer be on time, as early as there is room; then everything else, first come; then
polished. ``polish`` moves each individual session, longest waiting first, to the earliest
date with room, or trades it with one seen earlier by someone who waited less.
"""

from __future__ import annotations

import time
from bisect import insort
from collections import Counter
from collections.abc import Iterable
from datetime import date

from kiteline.scheduling.calendar import Calendar, Item, Slot, build_calendar
from kiteline.scheduling.problem import Problem, Requirement
from kiteline.scheduling.schedule import Placement, Schedule, SolveStatus, make_schedule


def greedy(problem: Problem) -> Schedule:
    """The first-come baseline's schedule. ProblemError for inconsistent input."""
    started = time.perf_counter()
    calendar = build_calendar(problem)
    return make_schedule(
        calendar,
        first_come(calendar),
        method="greedy",
        status=SolveStatus.HEURISTIC,
        seconds=time.perf_counter() - started,
    )


def first_come(calendar: Calendar) -> list[Placement]:
    board = Board(calendar)
    for requirement in sorted(calendar.problem.requirements, key=_first_come):
        board.place(requirement, calendar.dates)
    return board.placements()


def urgent_first(calendar: Calendar) -> list[Placement]:
    board = Board(calendar)
    dates = calendar.dates
    everyone = sorted(calendar.problem.requirements, key=_first_come)
    for requirement in everyone:
        if requirement.group is not None:
            on_time = [day for day in reversed(dates) if day <= requirement.due]
            board.place(requirement, on_time + [day for day in dates if day > requirement.due])
    urgent = [r for r in everyone if r.mandatory and r.group is None and calendar.due_in_horizon(r)]
    late = []
    for requirement in sorted(urgent, key=lambda r: (r.due, -r.acuity, r.id)):
        if not board.place(requirement, [day for day in reversed(dates) if day <= requirement.due]):
            late.append(requirement)
    # Those that cannot be on time any more come after all that still can: late is late.
    for requirement in late:
        board.place(requirement, [day for day in dates if day > requirement.due])
    for requirement in everyone:
        if requirement.id not in board.booked:
            board.place(requirement, dates)
    return _earlier(board)


def polish(calendar: Calendar, placements: list[Placement]) -> list[Placement]:
    """The same schedule with anyone unscheduled placed where room is left, then each
    individual session, longest waiting first, moved to the earliest date with room or
    traded with one seen earlier by someone who waited less. Nobody on time is made late
    and nobody is dropped, so no part of the objective before continuity gets worse."""
    board = Board(calendar)
    for placement in placements:
        board.load(placement)
    for requirement in sorted(calendar.problem.requirements, key=_first_come):
        if requirement.id not in board.booked:
            board.place(requirement, calendar.dates)
    return _earlier(board)


def _earlier(board: Board) -> list[Placement]:
    dates = board.calendar.dates
    for requirement in sorted(board.calendar.problem.requirements, key=_first_come):
        if requirement.group is None and requirement.id in board.booked:
            day = board.booked[requirement.id][2]
            board.remove(requirement)
            board.place(requirement, [d for d in dates if d <= day])
    while _trade_earlier(board):
        pass
    return board.placements()


def _trade_earlier(board: Board) -> bool:
    """Longest waiting first, each individual session trades places with one of the same
    session type seen on an earlier date by someone who has waited less, where both still
    fit (earliest dates, the units' periods, the people's days) and nobody on time becomes
    late. Whether any traded."""
    calendar, booked = board.calendar, board.booked
    singles = [r for r in sorted(calendar.problem.requirements, key=_first_come) if r.group is None]
    # By session type and date, least waiting first.
    seen: dict[tuple[str, date], list[Requirement]] = {}
    for requirement in singles:
        if requirement.id in booked:
            key = (requirement.session_type, booked[requirement.id][2])
            insort(seen.setdefault(key, []), requirement, key=calendar.wait)
    traded = False
    for mover in singles:
        if mover.id not in booked:
            continue
        for other in _partners(board, mover, seen):
            _, there, day, piece = booked[other.id]
            _, here, later, own = booked[mover.id]
            booked[mover.id] = (mover.id, there, day, piece)
            booked[other.id] = (other.id, here, later, own)
            board.busy -= {(mover.person, later), (other.person, day)}
            board.busy |= {(mover.person, day), (other.person, later)}
            seen[mover.session_type, day].remove(other)
            seen[mover.session_type, later].remove(mover)
            insort(seen[mover.session_type, day], mover, key=calendar.wait)
            insort(seen[mover.session_type, later], other, key=calendar.wait)
            traded = True
            break
    return traded


def _partners(
    board: Board, mover: Requirement, seen: dict[tuple[str, date], list[Requirement]]
) -> Iterable[Requirement]:
    """Whom ``mover`` could trade places with, the earliest date first."""
    calendar, booked = board.calendar, board.booked
    _, here, later, own = booked[mover.id]
    waited = calendar.wait(mover)
    for day in calendar.dates:
        if day >= later:
            return
        if day < mover.earliest or (mover.person, day) in board.busy:
            continue
        for other in seen.get((mover.session_type, day), ()):
            if calendar.wait(other) >= waited:
                break  # the rest waited longer still
            on_time = other.due >= day
            if other.mandatory and on_time and later > other.due:
                continue
            if (other.person, later) in board.busy or later < other.earliest:
                continue
            _, there, _, piece = booked[other.id]
            if board.fits(mover, there, day, piece) and board.fits(other, here, later, own):
                yield other


def _first_come(requirement: Requirement) -> tuple[date, str]:
    return (requirement.waiting_since, requirement.id)


class Board:
    """What is booked so far: minutes left in each piece, who is busy each day, the rooms'
    seat needs in each period, and the groups' meetings."""

    def __init__(self, calendar: Calendar) -> None:
        self.calendar = calendar
        self.left = {
            (clinician, day, n): piece.window.minutes
            for (clinician, day), pieces in calendar.pieces.items()
            for n, piece in enumerate(pieces)
        }
        self.busy: set[tuple[str, date]] = set()  # person, date
        # (date, period) → clinician → the seat needs of what they hold then.
        self.needs: dict[tuple[date, int], dict[str, Counter[int]]] = {}
        self.meetings: dict[tuple[str, str, date], tuple[int, list[Requirement]]] = {}
        # Requirement id → (item key, clinician, date, piece).
        self.booked: dict[str, tuple[str, str, date, int]] = {}
        self.slots: dict[str, dict[date, list[Slot]]] = {}
        for item in calendar.items:
            by_day = self.slots[item.key] = {}
            for slot in calendar.slots[item.key]:
                by_day.setdefault(slot.date, []).append(slot)

    def place(self, requirement: Requirement, days: Iterable[date]) -> bool:
        """Books ``requirement`` on the first of ``days`` it fits; whether it did."""
        item = self.calendar.items_by_key[self.calendar.requirement_items[requirement.id]]
        for day in days:
            if day < requirement.earliest or (requirement.person, day) in self.busy:
                continue
            for slot in self.slots[item.key].get(day, ()):
                if self._try(requirement, item, slot):
                    self.busy.add((requirement.person, day))
                    return True
        return False

    def _try(self, requirement: Requirement, item: Item, slot: Slot) -> bool:
        clinician, day = slot.clinician, slot.date
        meeting = self.meetings.get((item.key, clinician, day))
        if meeting is not None:
            if len(meeting[1]) >= item.session.capacity:
                return False
            meeting[1].append(requirement)
            self.booked[requirement.id] = (item.key, clinician, day, meeting[0])
            return True
        pieces = self.calendar.pieces[clinician, day]
        for n in slot.pieces:
            if self.left[clinician, day, n] < item.minutes:
                continue
            needs = self.needs.setdefault((day, pieces[n].period), {})
            held = needs.setdefault(clinician, Counter())
            held[item.room_need] += 1
            if not self._rooms_suffice(needs):
                held[item.room_need] -= 1
                continue
            self.left[clinician, day, n] -= item.minutes
            self.booked[requirement.id] = (item.key, clinician, day, n)
            if item.group is not None:
                self.meetings[item.key, clinician, day] = (n, [requirement])
            return True
        return False

    def fits(self, requirement: Requirement, clinician: str, day: date, piece: int) -> bool:
        """Whether a piece of a clinician's day may hold this requirement (time aside)."""
        slots = self.slots[self.calendar.requirement_items[requirement.id]].get(day, ())
        return any(s.clinician == clinician and piece in s.pieces for s in slots)

    def load(self, placement: Placement) -> None:
        """Books a placement as it stands (one of a sound schedule: nothing is checked)."""
        item, clinician, day, n = (
            placement.item,
            placement.clinician,
            placement.date,
            placement.piece,
        )
        self.left[clinician, day, n] -= item.minutes
        period = self.calendar.pieces[clinician, day][n].period
        needs = self.needs.setdefault((day, period), {})
        needs.setdefault(clinician, Counter())[item.room_need] += 1
        for requirement in placement.attendees:
            self.busy.add((requirement.person, day))
            self.booked[requirement.id] = (item.key, clinician, day, n)
        if item.group is not None:
            self.meetings[item.key, clinician, day] = (n, list(placement.attendees))

    def remove(self, requirement: Requirement) -> None:
        """Frees an individual session's time, room need and the person's day."""
        key, clinician, day, n = self.booked.pop(requirement.id)
        item = self.calendar.items_by_key[key]
        self.left[clinician, day, n] += item.minutes
        period = self.calendar.pieces[clinician, day][n].period
        self.needs[day, period][clinician][item.room_need] -= 1
        self.busy.discard((requirement.person, day))

    def _rooms_suffice(self, needs: dict[str, Counter[int]]) -> bool:
        """For every seat count, no more clinicians need a room that large than there are."""
        largest = [max((n for n, k in held.items() if k > 0), default=0) for held in needs.values()]
        rooms = self.calendar.problem.rooms
        return all(
            sum(need >= size for need in largest) <= sum(r.capacity >= size for r in rooms)
            for size in set(largest)
            if size > 0
        )

    def placements(self) -> list[Placement]:
        found = []
        for requirement_id, (key, clinician, day, n) in self.booked.items():
            item = self.calendar.items_by_key[key]
            if item.group is None:
                requirement = self.calendar.requirements[requirement_id]
                found.append(Placement(item, (requirement,), clinician, day, n))
        for (key, clinician, day), (n, attendees) in self.meetings.items():
            found.append(
                Placement(self.calendar.items_by_key[key], tuple(attendees), clinician, day, n)
            )
        return found
