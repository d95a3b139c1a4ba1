"""The unmet need in clinician-hours, by ISO week and session type."""

from hypothesis import given, settings

from kiteline.scheduling.greedy import greedy
from kiteline.scheduling.optimizer import SolveOptions, optimize
from kiteline.scheduling.problem import Kind, Problem, Room, Window
from kiteline.scheduling.shortfall import ShortfallRow, shortfall
from tests.unit.test_scheduling_problem import (
    clinician,
    problem,
    problems,
    requirement,
    session,
)


@settings(max_examples=30, deadline=None)
@given(problems())
def test_it_equals_the_missed_mandatory_minutes_over_sixty(problem: Problem) -> None:
    for schedule in (greedy(problem), optimize(problem, SolveOptions(5, 1)).schedule):
        rows = shortfall(problem, schedule)
        individual = [row for row in rows if row.session_type != "group"]
        sessions = {s.id: s.minutes for s in problem.session_types}
        requirements = {r.id: r for r in problem.requirements}
        missed = [requirements[r] for r in schedule.missed]
        expected = sum(sessions[r.session_type] for r in missed if r.group is None)
        assert sum(row.minutes for row in individual) == expected
        assert sum(row.hours for row in individual) == sum(row.minutes for row in individual) / 60
        assert sum(row.requirements for row in rows) == len(missed)


def test_it_is_empty_when_nothing_is_missed() -> None:
    fits = problem(requirement("r1"))
    assert shortfall(fits, greedy(fits)) == ()


def test_by_hand_it_counts_weeks_types_and_group_meetings() -> None:
    # One clinician, one hour on Mondays: this Monday and next go to the longest waiting.
    one_hour = (clinician("a", (Window(9 * 60, 10 * 60),), days=1),)
    sessions = (
        session(minutes=45),
        session("psychiatry", 30),
        session("group", 60, ("a",), Kind.GROUP, capacity=3),
    )
    demand = problem(
        requirement("monday", due=0, waited=5),
        requirement("week-2", earliest=7, due=8, waited=4),
        requirement("overdue", earliest=-9, due=-2),  # counts in the first week
        requirement("psychiatry", session_type="psychiatry", due=3),
        requirement("wish", mandatory=False, due=3),  # not mandatory: not counted
        *(
            requirement(f"member-{n}", session_type="group", group="g", earliest=8, due=11)
            for n in range(4)
        ),
        clinicians=one_hour,
        sessions=sessions,
        rooms=(Room("big", 3),),
        days=14,
    )
    schedule = greedy(demand)
    assert schedule.missed == (
        "overdue",
        "psychiatry",
        "member-0",
        "member-1",
        "member-2",
        "member-3",
    )
    assert shortfall(demand, schedule) == (
        ShortfallRow("2026-W49", "individual", 1, 45),
        ShortfallRow("2026-W49", "psychiatry", 1, 30),
        # Four members of a group of three need two meetings of an hour.
        ShortfallRow("2026-W50", "group", 4, 120),
    )
