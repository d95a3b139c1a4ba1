"""Scheduling input: inconsistent data is refused with every problem listed; and the small
problems the other scheduling tests build (by hand and with Hypothesis)."""

from dataclasses import replace
from datetime import date, timedelta

import pytest
from hypothesis import strategies as st

from kiteline.scheduling.problem import (
    Clinician,
    DateException,
    Kind,
    Problem,
    ProblemError,
    Requirement,
    Restriction,
    Room,
    SessionType,
    Window,
    check_problem,
)

START = date(2026, 11, 30)  # a Monday
MORNING, AFTERNOON = Window(8 * 60, 11 * 60 + 30), Window(13 * 60, 16 * 60 + 30)
DAY = (MORNING, AFTERNOON)


def day(n: int) -> date:
    return START + timedelta(days=n)


def clinician(
    id: str, windows: tuple[Window, ...] = DAY, days: int = 5, off: tuple[date, ...] = ()
) -> Clinician:
    weekly = (windows,) * days + ((),) * (7 - days)
    return Clinician(id, weekly, tuple(DateException(d) for d in off))


def session(
    id: str = "individual",
    minutes: int = 60,
    clinicians: tuple[str, ...] = ("a",),
    kind: Kind = Kind.INDIVIDUAL,
    capacity: int = 1,
) -> SessionType:
    return SessionType(id, kind, minutes, frozenset(clinicians), capacity)


def requirement(
    id: str,
    *,
    person: str | None = None,
    unit: str = "A",
    session_type: str = "individual",
    earliest: int = 0,
    due: int = 6,
    acuity: int = 1,
    mandatory: bool = True,
    waited: int = 0,
    last: str | None = None,
    group: str | None = None,
) -> Requirement:
    return Requirement(
        id=id,
        person=person or f"person-{id}",
        unit=unit,
        session_type=session_type,
        earliest=day(earliest),
        due=day(due),
        acuity=acuity,
        mandatory=mandatory,
        waiting_since=day(-waited),
        last_clinician=last,
        group=group,
    )


def problem(
    *requirements: Requirement,
    clinicians: tuple[Clinician, ...] = (clinician("a"),),
    sessions: tuple[SessionType, ...] = (session(),),
    rooms: tuple[Room, ...] = (Room("room-1", 1),),
    restrictions: tuple[Restriction, ...] = (),
    days: int = 7,
) -> Problem:
    return Problem(
        start=START,
        clinicians=clinicians,
        rooms=rooms,
        session_types=sessions,
        requirements=requirements,
        restrictions=restrictions,
        days=days,
    )


# --- small random problems ----------------------------------------------------------------

WINDOWS = (MORNING, AFTERNOON, Window(9 * 60, 10 * 60 + 30), Window(14 * 60, 15 * 60))


@st.composite
def problems(draw: st.DrawFn, max_requirements: int = 8, max_days: int = 5) -> Problem:
    """Valid problems small enough to solve to optimality in well under a second."""
    days = draw(st.integers(1, max_days))
    names = ["a", "b", "c"][: draw(st.integers(1, 3))]
    clinicians = tuple(
        Clinician(
            name,
            tuple(
                _disjoint(draw(st.lists(st.sampled_from(WINDOWS), max_size=2))) for _ in range(7)
            ),
            tuple(
                DateException(day(n)) for n in draw(st.sets(st.integers(0, days - 1), max_size=1))
            ),
        )
        for name in names
    )
    sessions = (
        session("individual", draw(st.sampled_from((30, 45, 60, 90))), tuple(names)),
        session("psychiatry", 30, tuple(draw(st.sets(st.sampled_from(names), min_size=1)))),
        session("group", 60, (names[0],), Kind.GROUP, capacity=3),
    )
    rooms = (Room("room-1", 1), Room("room-2", 3))[: draw(st.integers(1, 2))]
    if len(rooms) == 1:
        rooms = (Room("room-1", 3),)
    restrictions = tuple(
        Restriction(
            day(draw(st.integers(0, days - 1))),
            draw(st.sampled_from((*WINDOWS, Window(10 * 60, 10 * 60 + 15), Window(0, 1440)))),
            draw(st.sampled_from(("A", "B", None))),
        )
        for _ in range(draw(st.integers(0, 2)))
    )
    requirements = []
    for n in range(draw(st.integers(0, max_requirements))):
        kind = draw(st.sampled_from(("individual", "individual", "psychiatry", "group")))
        earliest = draw(st.integers(-2, days - 1))
        requirements.append(
            requirement(
                f"r{n}",
                person=f"p{draw(st.integers(0, 3))}",
                unit=draw(st.sampled_from(("A", "B"))),
                session_type=kind,
                earliest=earliest,
                due=earliest + draw(st.integers(0, days)),
                acuity=draw(st.integers(1, 5)),
                mandatory=draw(st.booleans()),
                waited=draw(st.integers(0, 60)),
                last=draw(st.sampled_from((None, *names))),
                group="g" if kind == "group" else None,
            )
        )
    return problem(
        *requirements,
        clinicians=clinicians,
        sessions=sessions,
        rooms=rooms,
        restrictions=restrictions,
        days=days,
    )


def _disjoint(windows: list[Window]) -> tuple[Window, ...]:
    kept: list[Window] = []
    for window in windows:
        if not any(window.overlaps(other) for other in kept):
            kept.append(window)
    return tuple(sorted(kept, key=lambda w: w.start))


# --- checks -------------------------------------------------------------------------------


def test_a_sound_problem_passes() -> None:
    check_problem(problem(requirement("r1"), requirement("r2", due=0)))


def test_it_lists_every_problem_at_once() -> None:
    bad = problem(
        requirement("r1", session_type="massage"),
        requirement("r1", earliest=3, due=1),
        requirement("r3", acuity=0),
        clinicians=(clinician("a"), Clinician("b", (DAY,) * 3)),
        sessions=(session(clinicians=("a", "nobody")),),
        days=0,
    )
    with pytest.raises(ProblemError) as raised:
        check_problem(bad)
    assert raised.value.problems == (
        "The horizon must be at least one day.",
        "The requirement id 'r1' is used 2 times.",
        "Clinician 'b': the weekly template needs seven days.",
        "Session type 'individual' names an unknown clinician 'nobody'.",
        "Requirement 'r1' names an unknown session type.",
        "Requirement 'r1' is due before its earliest date.",
        "Requirement 'r3': acuity must be from 1 to 1000.",
    )


def test_it_refuses_a_group_no_room_can_seat() -> None:
    groups = (session("group", 60, ("a",), Kind.GROUP, capacity=8),)
    with pytest.raises(ProblemError, match="needs a room for 8; none is that large"):
        check_problem(problem(sessions=groups))


def test_it_refuses_a_session_longer_than_every_period() -> None:
    with pytest.raises(ProblemError, match="lasts longer than every movement period"):
        check_problem(problem(sessions=(session(minutes=240),)))


def test_it_refuses_overlapping_windows_and_a_group_without_a_group_type() -> None:
    overlapping = Clinician("a", ((MORNING, Window(9 * 60, 12 * 60)),) + ((),) * 6)
    with pytest.raises(ProblemError) as raised:
        check_problem(problem(requirement("r1", group="g"), clinicians=(overlapping,)))
    assert raised.value.problems == (
        "Clinician 'a', weekday 0: the windows overlap.",
        "Requirement 'r1' names a group but its session type is not a group.",
    )


def test_a_group_must_keep_to_one_session_type() -> None:
    sessions = (
        session("group", 60, ("a",), Kind.GROUP, capacity=2),
        session("other-group", 60, ("a",), Kind.GROUP, capacity=2),
    )
    mixed = problem(
        requirement("r1", session_type="group", group="g"),
        requirement("r2", session_type="other-group", group="g"),
        sessions=sessions,
        rooms=(Room("big", 2),),
    )
    with pytest.raises(ProblemError, match="Group 'g' mixes session types"):
        check_problem(mixed)


def test_an_exception_replaces_the_weekly_template_on_its_date() -> None:
    reduced = replace(clinician("a"), exceptions=(DateException(day(1), (MORNING,)),))
    assert reduced.windows_on(day(0)) == DAY
    assert reduced.windows_on(day(1)) == (MORNING,)
    assert reduced.windows_on(day(5)) == ()
