"""How capacity is laid out by date: pieces of each clinician's day, periods closed to a
unit by its restrictions, and where each requirement could go."""

import pytest

from kiteline.scheduling.calendar import Piece, build_calendar
from kiteline.scheduling.problem import Kind, ProblemError, Restriction, Room, Window
from tests.unit.test_scheduling_problem import (
    AFTERNOON,
    MORNING,
    clinician,
    day,
    problem,
    requirement,
    session,
)


def test_each_window_inside_a_movement_period_is_a_piece() -> None:
    long_day = clinician("a", (Window(7 * 60, 17 * 60),))
    calendar = build_calendar(problem(clinicians=(long_day,)))
    assert calendar.pieces["a", day(0)] == (Piece(0, MORNING), Piece(1, AFTERNOON))
    assert ("a", day(5)) not in calendar.pieces  # Saturday: no hours


def test_a_facility_wide_restriction_cuts_everyones_pieces() -> None:
    count = Restriction(day(0), Window(10 * 60, 10 * 60 + 30), None, "count")
    calendar = build_calendar(problem(restrictions=(count,)))
    assert calendar.pieces["a", day(0)] == (
        Piece(0, Window(MORNING.start, 10 * 60)),
        Piece(0, Window(10 * 60 + 30, MORNING.end)),
        Piece(1, AFTERNOON),
    )


def test_pieces_shorter_than_every_session_are_dropped() -> None:
    short = clinician("a", (Window(8 * 60, 8 * 60 + 20), AFTERNOON))
    calendar = build_calendar(problem(clinicians=(short,), sessions=(session(minutes=30),)))
    assert calendar.pieces["a", day(0)] == (Piece(1, AFTERNOON),)


def test_a_unit_restriction_closes_every_period_it_touches_to_that_unit_only() -> None:
    search = Restriction(day(1), Window(11 * 60, 14 * 60), "A", "search")
    calendar = build_calendar(problem(restrictions=(search,)))
    assert calendar.open_periods({"A"}, day(1)) == frozenset()
    assert calendar.open_periods({"B"}, day(1)) == {0, 1}
    assert calendar.open_periods({"A"}, day(2)) == {0, 1}
    assert calendar.open_periods({"A", "B"}, day(1)) == frozenset()


def test_a_requirement_can_go_from_its_earliest_date_to_clinicians_who_hold_its_type() -> None:
    two = (clinician("a"), clinician("b", days=2))
    sessions = (session(clinicians=("b",)),)
    calendar = build_calendar(
        problem(requirement("r1", earliest=1), clinicians=two, sessions=sessions)
    )
    assert [(s.clinician, s.date, s.pieces) for s in calendar.slots["r1"]] == [
        ("b", day(1), (0, 1))
    ]


def test_a_group_meets_only_when_every_members_unit_can_move() -> None:
    members = (
        requirement("m1", unit="A", session_type="group", group="g"),
        requirement("m2", unit="B", session_type="group", group="g"),
    )
    lockdown = Restriction(day(0), Window(0, 24 * 60), "B", "lockdown")
    calendar = build_calendar(
        problem(
            *members,
            sessions=(session("group", 60, ("a",), Kind.GROUP, 2),),
            rooms=(Room("big", 2),),
            restrictions=(lockdown,),
            days=2,
        )
    )
    assert [s.date for s in calendar.slots["group:g"]] == [day(1)]


def test_building_checks_the_problem_first() -> None:
    with pytest.raises(ProblemError):
        build_calendar(problem(requirement("r1", session_type="unknown")))


def test_the_missed_weight_outweighs_every_late_contact_together() -> None:
    calendar = build_calendar(
        problem(requirement("r1", acuity=4), requirement("r2", acuity=3, mandatory=False))
    )
    assert calendar.missed_weight == 5
