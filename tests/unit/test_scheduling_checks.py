"""The hard-constraint checks catch each kind of broken appointment, as a hand edit could
make them."""

from dataclasses import replace
from typing import Any

import pytest

from kiteline.scheduling.checks import violations
from kiteline.scheduling.problem import Kind, Problem, Restriction, Room, Window
from kiteline.scheduling.schedule import Appointment
from tests.unit.test_scheduling_problem import clinician, day, problem, requirement, session

TWO = problem(
    requirement("r1", person="p1", unit="A"),
    requirement("r2", person="p2", unit="B"),
    clinicians=(clinician("a"), clinician("b")),
    sessions=(session(clinicians=("a", "b")),),
    rooms=(Room("room-1", 1), Room("room-2", 1)),
    restrictions=(Restriction(day(2), Window(9 * 60, 10 * 60), "A", "search"),),
)


def appointment(requirement: str = "r1", **changes: Any) -> Appointment:
    person, unit = {"r1": ("p1", "A"), "r2": ("p2", "B")}[requirement]
    sound = Appointment(
        requirement=requirement,
        person=person,
        unit=unit,
        session_type="individual",
        date=day(0),
        start=9 * 60,
        minutes=60,
        clinician="a",
        room="room-1",
    )
    return replace(sound, **changes)


def test_sound_appointments_pass() -> None:
    second = appointment("r2", clinician="b", room="room-2")
    assert violations(TWO, [appointment(), second]) == ()


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"date": day(5)}, "r1 on 2026-12-05 at 540: outside a's hours."),
        ({"start": 11 * 60}, "r1 on 2026-11-30 at 660: not inside one movement period."),
        ({"date": day(2)}, "r1 on 2026-12-02 at 540: movement is restricted then (search)."),
        ({"date": day(7)}, "r1 on 2026-12-07 at 540: outside the horizon."),
        ({"minutes": 30}, "r1 on 2026-11-30 at 540: lasts 30 minutes, not 60."),
        ({"room": "broom-closet"}, "r1 on 2026-11-30 at 540: no such room 'broom-closet'."),
        ({"clinician": "z"}, "r1 on 2026-11-30 at 540: 'z' does not hold this session type."),
        ({"person": "p9"}, "r1 on 2026-11-30 at 540: does not match its requirement."),
        ({"session_type": "gone"}, "r1 on 2026-11-30 at 540: no such session type 'gone'."),
    ],
)
def test_it_catches_one_broken_appointment(changes: dict[str, Any], expected: str) -> None:
    assert expected in violations(TWO, [appointment(**changes)])


def test_it_catches_a_clinician_a_room_and_a_person_in_two_places() -> None:
    clash = appointment("r2", clinician="a", room="room-1", start=9 * 60 + 30)
    found = violations(TWO, [appointment(), clash])
    assert "The clinician a is in two sessions at once on 2026-11-30." in found
    assert "The room room-1 is in two sessions at once on 2026-11-30." in found
    same_person = problem(
        requirement("r1", person="p1"),
        requirement("r2", person="p1", unit="A"),
        clinicians=(clinician("a"), clinician("b")),
        sessions=(session(clinicians=("a", "b")),),
        rooms=(Room("room-1", 1), Room("room-2", 1)),
    )
    twice = appointment("r2", person="p1", unit="A", clinician="b", room="room-2")
    assert violations(same_person, [appointment(), twice]) == (
        "The person p1 is in two sessions at once on 2026-11-30.",
    )


def test_it_catches_a_requirement_booked_twice_or_unknown_or_too_early() -> None:
    early = problem(requirement("r1", person="p1", earliest=1))
    found = violations(early, [appointment(), appointment(date=day(1)), appointment("r2")])
    assert "r1 on 2026-11-30 at 540: before its earliest date 2026-12-01." in found
    assert "r1 on 2026-12-01 at 540: booked more than once." in found
    assert "r2 on 2026-11-30 at 540: no such requirement." in found


def test_it_catches_a_group_larger_than_its_room_or_its_type() -> None:
    groups: Problem = problem(
        *(requirement(f"m{n}", person=f"p{n}", session_type="group", group="g") for n in range(3)),
        sessions=(session("group", 60, ("a",), Kind.GROUP, capacity=2),),
        rooms=(Room("room-1", 2),),
    )
    meeting = [
        Appointment(f"m{n}", f"p{n}", "A", "group", day(0), 9 * 60, 60, "a", "room-1", "g")
        for n in range(3)
    ]
    found = violations(groups, meeting)
    assert "a's session on 2026-11-30 at 540: more people than the session type seats." in found
    assert "a's session on 2026-11-30 at 540: more people than room room-1 seats." in found
