"""The first-come greedy baseline, and the urgent-first start the optimizer uses."""

from kiteline.scheduling.calendar import build_calendar
from kiteline.scheduling.greedy import greedy, urgent_first
from kiteline.scheduling.problem import Kind, Room, Window
from kiteline.scheduling.schedule import SolveStatus, bookings
from tests.unit.test_scheduling_problem import (
    MORNING,
    clinician,
    day,
    problem,
    requirement,
    session,
)


def test_first_come_takes_the_earliest_clinician_day_in_waiting_order() -> None:
    two_hours = (clinician("a", (Window(9 * 60, 11 * 60),)), clinician("b"))
    three = problem(
        requirement("newest", waited=1),
        requirement("oldest", waited=30),
        requirement("middle", waited=10),
        clinicians=two_hours,
        sessions=(session(clinicians=("a", "b")),),
        rooms=(Room("room-1", 1), Room("room-2", 1)),
    )
    schedule = greedy(three)
    assert schedule.status is SolveStatus.HEURISTIC
    assert schedule.parts == ()
    assert schedule.gap is None
    placed = [(a.requirement, a.clinician, a.date, a.start) for a in schedule.appointments]
    # The oldest and the middle fill a's two hours; the newest goes to b.
    assert placed == [
        ("newest", "b", day(0), MORNING.start),
        ("oldest", "a", day(0), 9 * 60),
        ("middle", "a", day(0), 10 * 60),
    ]


def test_within_a_piece_the_most_acute_goes_first() -> None:
    two = problem(requirement("calm", acuity=1, waited=9), requirement("acute", acuity=4))
    starts = {a.requirement: a.start for a in greedy(two).appointments}
    assert starts == {"acute": MORNING.start, "calm": MORNING.start + 60}


def test_group_members_share_a_meeting_until_it_is_full_then_meet_another_day() -> None:
    members = [requirement(f"m{n}", session_type="group", group="g") for n in range(3)]
    groups = problem(
        *members,
        sessions=(session("group", 60, ("a",), Kind.GROUP, capacity=2),),
        rooms=(Room("big", 2),),
    )
    meetings = {(a.date, a.start) for a in greedy(groups).appointments}
    assert meetings == {(day(0), MORNING.start), (day(1), MORNING.start)}


def test_urgent_first_keeps_the_deadline_that_first_come_misses() -> None:
    one_hour = (clinician("a", (Window(9 * 60, 10 * 60),)),)
    tight = problem(
        requirement("waited-long", earliest=0, due=1, mandatory=False, waited=30),
        requirement("due-monday", due=0),
        requirement("due-tuesday", earliest=1, due=1),
        clinicians=one_hour,
        days=2,
    )
    assert greedy(tight).missed == ("due-tuesday",)
    booked = bookings(urgent_first(build_calendar(tight)))
    assert booked == {"due-monday": (day(0), "a"), "due-tuesday": (day(1), "a")}
