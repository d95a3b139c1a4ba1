"""What a scheduler answers: appointments with times and rooms, and how good they are.

The optimizer and the greedy baseline both decide *placements* (who is seen by whom, on
which day, in which piece of that clinician's day) and hand them to ``make_schedule``, which
lays each piece out back to back, gives each clinician a room for each period they work in,
and scores the result by the objective's three parts.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from kiteline.scheduling.calendar import Calendar, Item
from kiteline.scheduling.problem import Requirement, Room


class SolveStatus(StrEnum):
    OPTIMAL = "optimal"  # no better schedule exists: every solve proved it
    FEASIBLE = "feasible"  # every hard constraint holds; not proved best within the time
    HEURISTIC = "heuristic"  # the greedy baseline: no bound to compare with
    # The solver found nothing in its time: the greedy baseline's schedule is returned.
    NOT_SOLVED = "not_solved"


class SchedulingError(RuntimeError):
    """A bug, never bad input: placements that break a hard constraint."""


@dataclass(frozen=True, slots=True)
class Appointment:
    requirement: str
    person: str
    unit: str
    session_type: str
    date: date
    start: int  # minutes after local midnight
    minutes: int
    clinician: str
    room: str
    group: str | None = None

    @property
    def end(self) -> int:
        return self.start + self.minutes


@dataclass(frozen=True, slots=True)
class Score:
    """The objective, in its order: ``key`` is compared lexicographically, lower is better."""

    missed: int  # mandatory, due within the horizon, not scheduled
    late: int  # mandatory, scheduled after the due date
    missed_acuity: int  # the acuity of the missed ones, added up
    late_acuity: int  # the acuity of the late ones, added up
    waiting: int  # days waited * days until seen (the horizon's length when not seen)
    other_clinician: int  # seen by someone else although the last clinician could

    @property
    def key(self) -> tuple[int, int, int, int]:
        return (self.missed_acuity, self.late_acuity, self.waiting, self.other_clinician)


@dataclass(frozen=True, slots=True)
class Part:
    """One part of the objective: its value in the schedule, and a bound no schedule can
    beat (given the parts before it at their values), as the solver proved it."""

    name: str  # "missed", "late", "waiting" or "continuity"
    value: int
    bound: int

    @property
    def gap(self) -> float:
        return abs(self.value - self.bound) / max(1, abs(self.value))


@dataclass(frozen=True)
class Schedule:
    method: str
    status: SolveStatus
    appointments: tuple[Appointment, ...]  # by date, start, clinician, requirement
    unscheduled: tuple[str, ...]  # requirement ids
    missed: tuple[str, ...]
    late: tuple[str, ...]
    score: Score
    parts: tuple[Part, ...]  # the objective's parts with their bounds; none for greedy
    seconds: float

    @property
    def gap(self) -> float | None:
        """The largest relative gap of any part; None without a bound."""
        return max((part.gap for part in self.parts), default=None)


@dataclass(frozen=True, slots=True)
class Placement:
    item: Item
    attendees: tuple[Requirement, ...]  # the item's requirement, or the group's members seen
    clinician: str
    date: date
    piece: int  # index into the clinician-day's pieces


def bookings(placements: Iterable[Placement]) -> dict[str, tuple[date, str]]:
    """Requirement id → (date, clinician), as ``score`` reads them."""
    return {
        requirement.id: (placement.date, placement.clinician)
        for placement in placements
        for requirement in placement.attendees
    }


def score(calendar: Calendar, booked: Mapping[str, tuple[date, str]]) -> Score:
    """The objective for a set of bookings: requirement id → (date, clinician)."""
    missed = late = missed_acuity = late_acuity = waiting = other = 0
    horizon = len(calendar.dates)
    for requirement in calendar.problem.requirements:
        booking = booked.get(requirement.id)
        if booking is None:
            waiting += calendar.wait(requirement) * horizon
            if requirement.mandatory and calendar.due_in_horizon(requirement):
                missed += 1
                missed_acuity += requirement.acuity
            continue
        day, clinician = booking
        waiting += calendar.wait(requirement) * calendar.offset(day)
        if requirement.mandatory and day > requirement.due:
            late += 1
            late_acuity += requirement.acuity
        if calendar.continuity_possible(requirement) and clinician != requirement.last_clinician:
            other += 1
    return Score(missed, late, missed_acuity, late_acuity, waiting, other)


def make_schedule(
    calendar: Calendar,
    placements: Iterable[Placement],
    *,
    method: str,
    status: SolveStatus,
    parts: tuple[Part, ...] = (),
    seconds: float = 0.0,
) -> Schedule:
    """Placements laid out into appointments, deterministically, and scored."""
    by_piece: dict[tuple[str, date, int], list[Placement]] = {}
    for placement in placements:
        key = (placement.clinician, placement.date, placement.piece)
        by_piece.setdefault(key, []).append(placement)
    timed: list[tuple[Placement, int]] = []
    needs: dict[tuple[date, int], dict[str, int]] = {}
    for (clinician, day, index), placed in sorted(by_piece.items()):
        piece = calendar.pieces[clinician, day][index]
        start = piece.window.start
        for placement in sorted(placed, key=_priority):
            timed.append((placement, start))
            start += placement.item.minutes
        if start > piece.window.end:
            raise SchedulingError(f"{clinician} on {day}: piece {index} overfilled.")
        period = needs.setdefault((day, piece.period), {})
        need = max(p.item.room_need for p in placed)
        period[clinician] = max(period.get(clinician, 0), need)
    rooms = {
        (day, period, clinician): room
        for (day, period), clinicians in needs.items()
        for clinician, room in _rooms(calendar.problem.rooms, clinicians, day).items()
    }
    appointments = []
    booked: dict[str, tuple[date, str]] = {}
    for placement, start in timed:
        piece = calendar.pieces[placement.clinician, placement.date][placement.piece]
        room = rooms[placement.date, piece.period, placement.clinician]
        for requirement in placement.attendees:
            if requirement.id in booked:
                raise SchedulingError(f"Requirement {requirement.id} placed twice.")
            booked[requirement.id] = (placement.date, placement.clinician)
            appointments.append(
                Appointment(
                    requirement=requirement.id,
                    person=requirement.person,
                    unit=requirement.unit,
                    session_type=requirement.session_type,
                    date=placement.date,
                    start=start,
                    minutes=placement.item.minutes,
                    clinician=placement.clinician,
                    room=room.id,
                    group=placement.item.group,
                )
            )
    appointments.sort(key=lambda a: (a.date, a.start, a.clinician, a.requirement))
    requirements = calendar.problem.requirements
    unscheduled = tuple(r.id for r in requirements if r.id not in booked)
    return Schedule(
        method=method,
        status=status,
        appointments=tuple(appointments),
        unscheduled=unscheduled,
        missed=tuple(
            r.id
            for r in requirements
            if r.mandatory and r.id not in booked and calendar.due_in_horizon(r)
        ),
        late=tuple(
            r.id for r in requirements if r.mandatory and r.id in booked and booked[r.id][0] > r.due
        ),
        score=score(calendar, booked),
        parts=parts,
        seconds=seconds,
    )


def _priority(placement: Placement) -> tuple[int, date, str]:
    """Within a piece: the most acute first, then the longest waiting."""
    return (
        -max(r.acuity for r in placement.attendees),
        min(r.waiting_since for r in placement.attendees),
        placement.item.key,
    )


def _rooms(rooms: tuple[Room, ...], needs: dict[str, int], day: date) -> dict[str, Room]:
    """A room for each clinician working in one period, held for the whole period.

    The clinicians who need the most seats choose first, each taking the smallest room that
    seats enough: whenever, for every size, no more clinicians need that size than there are
    rooms of it (what the optimizer ensures), this finds a room for everyone."""
    free = sorted(rooms, key=lambda room: (room.capacity, room.id))
    given = {}
    for clinician, need in sorted(needs.items(), key=lambda pair: (-pair[1], pair[0])):
        room = next((room for room in free if room.capacity >= need), None)
        if room is None:
            raise SchedulingError(f"No room left for {clinician} on {day}.")
        free.remove(room)
        given[clinician] = room
    return given
