"""The unmet need a schedule leaves, in clinician-hours by ISO week and session type: the
figure a budget can answer ("four more clinician-hours of psychiatry a week"). Pure core.

Counted from the mandatory requirements due within the horizon that the schedule misses:
each missed individual session needs its session type's minutes of a clinician's time; a
group's missed members need as many more meetings as it takes to seat them. A requirement
counts in the ISO week of its due date (one already overdue, in the horizon's first week).
Late contacts were delivered, so they are not in it; the schedule's ``late`` lists them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from kiteline.scheduling.problem import Problem
from kiteline.scheduling.schedule import Schedule


@dataclass(frozen=True, slots=True)
class ShortfallRow:
    week: str  # ISO week of the due dates, e.g. "2026-W49"
    session_type: str
    requirements: int  # mandatory contacts missed
    minutes: int  # clinician time they needed

    @property
    def hours(self) -> float:
        return self.minutes / 60


def shortfall(problem: Problem, schedule: Schedule) -> tuple[ShortfallRow, ...]:
    """The unmet need, by week and then session type; empty when nothing was missed."""
    sessions = {s.id: s for s in problem.session_types}
    requirements = {r.id: r for r in problem.requirements}
    missed: dict[tuple[str, str], int] = {}
    groups: dict[tuple[str, str, str], int] = {}  # week, session type, group → members
    for requirement_id in schedule.missed:
        requirement = requirements[requirement_id]
        iso = max(requirement.due, problem.start).isocalendar()
        key = (f"{iso.year}-W{iso.week:02d}", requirement.session_type)
        missed[key] = missed.get(key, 0) + 1
        if requirement.group is not None:
            group = (*key, requirement.group)
            groups[group] = groups.get(group, 0) + 1
    minutes: dict[tuple[str, str], int] = {}
    for (week, session_type, _), members in groups.items():
        meetings = math.ceil(members / sessions[session_type].capacity)
        added = meetings * sessions[session_type].minutes
        minutes[week, session_type] = minutes.get((week, session_type), 0) + added
    for (week, session_type), count in missed.items():
        if not sessions[session_type].is_group:
            minutes[week, session_type] = count * sessions[session_type].minutes
    return tuple(
        ShortfallRow(week, session_type, count, minutes[week, session_type])
        for (week, session_type), count in sorted(missed.items())
    )
