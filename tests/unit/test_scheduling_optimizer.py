"""The CP-SAT optimizer: hard constraints always kept, the objective's order (missed, then
late, weighted by acuity; then the longest waiting first; then the same clinician), never
worse than greedy, equal to brute force on tiny problems, within its time limit, and
reproducible."""

import itertools
from collections import Counter
from datetime import date
from typing import Any

import pytest
from hypothesis import given, settings

from benchmarks.schedule_benchmark import build_problem
from kiteline.scheduling.calendar import Calendar, build_calendar
from kiteline.scheduling.checks import violations
from kiteline.scheduling.greedy import greedy
from kiteline.scheduling.optimizer import SolveOptions, optimize
from kiteline.scheduling.problem import Kind, Problem, Requirement, Restriction, Room, Window
from kiteline.scheduling.schedule import (
    Placement,
    Schedule,
    SchedulingError,
    SolveStatus,
    make_schedule,
)
from tests.unit.test_scheduling_problem import (
    MORNING,
    clinician,
    day,
    problem,
    problems,
    requirement,
    session,
)

QUICK = SolveOptions(time_limit=10, workers=1)


def solve(problem: Problem, options: SolveOptions = QUICK) -> Schedule:
    return optimize(problem, options).schedule


def assert_sound(problem: Problem, schedule: Schedule) -> None:
    """Every hard constraint, checked appointment by appointment."""
    assert violations(problem, schedule.appointments) == ()
    per_day = Counter((a.person, a.date) for a in schedule.appointments)
    assert all(count == 1 for count in per_day.values()), "one appointment a person a day"
    for appointment in schedule.appointments:
        # Movement runs by period: a period a unit's restriction touches is closed to it.
        period = next(p for p in problem.periods if p.start <= appointment.start < p.end)
        closed = [
            r
            for r in problem.restrictions
            if r.date == appointment.date
            and r.unit == appointment.unit
            and r.window.overlaps(period)
        ]
        assert not closed
        assert appointment.date <= problem.last_date
    booked = {a.requirement for a in schedule.appointments}
    assert set(schedule.unscheduled) == {r.id for r in problem.requirements} - booked
    assert set(schedule.missed) <= set(schedule.unscheduled)


@settings(max_examples=40, deadline=None)
@given(problems())
def test_every_schedule_keeps_the_hard_constraints(problem: Problem) -> None:
    assert_sound(problem, greedy(problem))
    assert_sound(problem, solve(problem))


@settings(max_examples=40, deadline=None)
@given(problems())
def test_the_optimizer_is_never_worse_than_greedy_on_missed_and_late(problem: Problem) -> None:
    optimized, baseline = solve(problem).score, greedy(problem).score
    assert (optimized.missed_acuity, optimized.late_acuity) <= (
        baseline.missed_acuity,
        baseline.late_acuity,
    )


@settings(max_examples=25, deadline=None)
@given(problems(max_requirements=3, max_days=2))
def test_on_tiny_problems_it_equals_brute_force(problem: Problem) -> None:
    schedule = solve(problem)
    assert schedule.status is SolveStatus.OPTIMAL
    assert schedule.score.key == brute_force(problem)


def brute_force(problem: Problem) -> tuple[int, int, int, int]:
    """The best score of every way to place each requirement (or not) in a piece of a
    clinician's day, by the model's rules: a group's members on the same clinician-day
    share one meeting, one session a person a day, pieces and rooms as laid out."""
    calendar = build_calendar(problem)
    options: list[list[tuple[str, date, int] | None]] = []
    for r in problem.requirements:
        slots = calendar.slots[calendar.requirement_items[r.id]]
        places: list[tuple[str, date, int] | None] = [None]
        places += [
            (s.clinician, s.date, n) for s in slots if s.date >= r.earliest for n in s.pieces
        ]
        options.append(places)
    best = None
    for choice in itertools.product(*options):
        chosen = [(r, at) for r, at in zip(problem.requirements, choice, strict=True) if at]
        if len({(r.person, at[1]) for r, at in chosen}) < len(chosen):
            continue
        placements = _placements(calendar, chosen)
        if placements is None:
            continue
        try:
            schedule = make_schedule(calendar, placements, method="", status=SolveStatus.HEURISTIC)
        except SchedulingError:
            continue  # a piece overfilled, or rooms short
        if best is None or schedule.score.key < best:
            best = schedule.score.key
    assert best is not None
    return best


def _placements(
    calendar: Calendar, chosen: list[tuple[Requirement, tuple[str, date, int]]]
) -> list[Placement] | None:
    placements = []
    meetings: dict[tuple[str, str, date, int], list[Requirement]] = {}
    for r, (clinician_id, when, piece) in chosen:
        key = calendar.requirement_items[r.id]
        if r.group is None:
            placements.append(
                Placement(calendar.items_by_key[key], (r,), clinician_id, when, piece)
            )
        else:
            meetings.setdefault((key, clinician_id, when, piece), []).append(r)
    if len({(key, c, when) for key, c, when, _ in meetings}) < len(meetings):
        return None  # one group meeting twice with a clinician on one day
    for (key, clinician_id, when, piece), members in meetings.items():
        item = calendar.items_by_key[key]
        if len(members) > item.session.capacity:
            return None
        placements.append(Placement(item, tuple(members), clinician_id, when, piece))
    return placements


def one_hour_a_day(*requirements: Requirement, days: int, **more: Any) -> Problem:
    """One clinician with one hour a day for ``days`` days: room for one session a day."""
    one_hour = (clinician("a", (Window(9 * 60, 10 * 60),)),)
    return problem(*requirements, clinicians=one_hour, days=days, **more)


def test_when_capacity_allows_no_mandatory_contact_is_missed() -> None:
    # First come puts the long wait on Monday; the Monday deadline then goes to Tuesday and
    # Tuesday's has no room left. Two hours, two mandatory contacts: both are kept.
    tight = one_hour_a_day(
        requirement("waited-long", earliest=0, due=1, mandatory=False, waited=30),
        requirement("due-monday", earliest=0, due=0),
        requirement("due-tuesday", earliest=1, due=1),
        days=2,
    )
    baseline = greedy(tight)
    assert baseline.missed == ("due-tuesday",)
    schedule = solve(tight)
    assert schedule.missed == ()
    assert schedule.late == ()
    assert schedule.unscheduled == ("waited-long",)


def test_with_room_for_only_one_the_more_acute_is_seen() -> None:
    two = one_hour_a_day(
        requirement("calm", acuity=1, waited=60, due=0),
        requirement("acute", acuity=3, waited=0, due=0),
        days=1,
    )
    schedule = solve(two)
    assert [a.requirement for a in schedule.appointments] == ["acute"]
    assert schedule.missed == ("calm",)


def test_a_miss_weighs_more_than_any_lateness() -> None:
    # Unit B is locked down on Tuesday, so its contact can only be seen on Monday, and the
    # acute one then goes late; keeping the acute one on time would miss the other.
    locked = one_hour_a_day(
        requirement("acute", unit="A", acuity=5, due=0),
        requirement("routine", unit="B", acuity=1, due=0),
        restrictions=(Restriction(day(1), Window(0, 24 * 60), "B", "lockdown"),),
        days=2,
    )
    schedule = solve(locked)
    assert schedule.missed == ()
    assert schedule.late == ("acute",)


def test_the_longest_waiting_is_seen_first() -> None:
    two = one_hour_a_day(
        requirement("newer", mandatory=False, waited=3),
        requirement("older", mandatory=False, waited=40),
        days=2,
    )
    order = [a.requirement for a in solve(two).appointments]
    assert order == ["older", "newer"]


def test_the_same_clinician_as_last_time_breaks_ties() -> None:
    both = (clinician("a"), clinician("b"))
    one = problem(
        requirement("r1", last="b"), clinicians=both, sessions=(session(clinicians=("a", "b")),)
    )
    (appointment,) = solve(one).appointments
    assert (appointment.clinician, appointment.date) == ("b", day(0))
    assert solve(one).score.other_clinician == 0


def test_continuity_never_delays_a_long_wait() -> None:
    # b is away on Monday: seeing b means waiting a day longer, which comes first.
    away = (clinician("a"), clinician("b", off=(day(0),)))
    one = problem(
        requirement("r1", last="b", waited=20),
        clinicians=away,
        sessions=(session(clinicians=("a", "b")),),
    )
    (appointment,) = solve(one).appointments
    assert (appointment.clinician, appointment.date) == ("a", day(0))


def test_a_lockdown_keeps_the_unit_in_and_others_move() -> None:
    locked = problem(
        requirement("in-a", unit="A", due=0),
        requirement("in-b", unit="B", due=0),
        restrictions=(Restriction(day(0), Window(0, 24 * 60), "A", "lockdown"),),
        days=2,
    )
    schedule = solve(locked)
    dates = {a.requirement: a.date for a in schedule.appointments}
    assert dates == {"in-b": day(0), "in-a": day(1)}
    assert schedule.late == ("in-a",)


def test_a_group_meets_once_in_a_room_that_seats_it() -> None:
    members = [requirement(f"m{n}", session_type="group", group="g", due=0) for n in range(3)]
    groups = problem(
        *members,
        sessions=(session("group", 60, ("a",), Kind.GROUP, capacity=3),),
        rooms=(Room("small", 1), Room("big", 3)),
        days=1,
    )
    schedule = solve(groups)
    assert {(a.clinician, a.start, a.room) for a in schedule.appointments} == {
        ("a", MORNING.start, "big")
    }
    assert len(schedule.appointments) == 3


def test_it_reports_its_bounds_and_gap() -> None:
    schedule = solve(problem(requirement("r1"), requirement("r2", waited=9)))
    assert schedule.status is SolveStatus.OPTIMAL
    assert [part.name for part in schedule.parts] == ["missed", "late", "waiting", "continuity"]
    assert all(part.bound == part.value for part in schedule.parts)
    assert schedule.gap == 0


def test_the_time_limit_is_kept() -> None:
    large = build_problem(people=1500, clinicians=10, days=14, seed=2)
    schedule = optimize(large, SolveOptions(time_limit=2.0, workers=2)).schedule
    # Half a second is kept back for laying out; the rest is the margin of a busy machine.
    assert schedule.seconds < 2.0 + 1.0
    assert schedule.status in (SolveStatus.FEASIBLE, SolveStatus.OPTIMAL, SolveStatus.NOT_SOLVED)
    assert violations(large, schedule.appointments) == ()


def test_out_of_time_it_returns_the_greedy_start_and_says_so() -> None:
    large = build_problem(people=1500, clinicians=10, days=14, seed=2)
    schedule = optimize(large, SolveOptions(time_limit=0.001)).schedule
    assert schedule.status is SolveStatus.NOT_SOLVED
    assert violations(large, schedule.appointments) == ()
    assert schedule.score.key[:2] <= greedy(large).score.key[:2]


def test_one_worker_and_a_seed_give_the_same_schedule_every_time() -> None:
    instance = build_problem(people=200, clinicians=3, days=5, seed=5)
    options = SolveOptions(time_limit=20, workers=1, seed=7)
    first, second = solve(instance, options), solve(instance, options)
    assert first.status is SolveStatus.OPTIMAL
    assert first.appointments == second.appointments


def test_a_time_limit_must_be_positive() -> None:
    with pytest.raises(ValueError, match="time limit must be positive"):
        optimize(problem(), SolveOptions(time_limit=0))


def test_an_empty_problem_is_an_empty_optimal_schedule() -> None:
    schedule = solve(problem())
    assert schedule.status is SolveStatus.OPTIMAL
    assert schedule.appointments == ()
