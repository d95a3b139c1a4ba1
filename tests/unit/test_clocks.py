"""Clock arithmetic: deadlines from receipt (I5), the weekend rule exactly as docs/kites.md
states it, DST in both hemispheres, and clock states whose breaches never go away."""

import inspect
import itertools
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kiteline.kites.clocks import (
    ClockStatus,
    Standard,
    Urgency,
    clock_state,
    day_number,
    face_to_face_allowance,
    face_to_face_due,
    response_due,
    screening_due,
    triage_due,
)

CHICAGO = ZoneInfo("America/Chicago")
SYDNEY = ZoneInfo("Australia/Sydney")
SANTIAGO = ZoneInfo("America/Santiago")
HOURS_48 = timedelta(hours=48)
HOURS_72 = timedelta(hours=72)
JULY_3 = date(2026, 7, 3)  # a Friday, the observed Independence Day holiday of 2026
NEW_YEAR = date(2027, 1, 1)  # a Friday

NCCHC = Standard(time_zone="America/Chicago", urgent_hours=24, emergent_minutes=60)
WITH_HOLIDAYS = Standard(
    time_zone="America/Chicago",
    urgent_hours=24,
    emergent_minutes=60,
    holidays=frozenset({JULY_3, NEW_YEAR}),
)

# Zones of both hemispheres, with midnight jumps (Santiago), half-hour DST (Lord Howe),
# no DST (Phoenix), an odd offset (Kathmandu) and weekday DST jumps (Cairo).
ZONES = (
    "America/Chicago",
    "America/New_York",
    "America/Phoenix",
    "Pacific/Honolulu",
    "America/Santiago",
    "Australia/Sydney",
    "Australia/Lord_Howe",
    "Europe/London",
    "Asia/Kathmandu",
    "Africa/Cairo",
    "UTC",
)


def chicago(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=CHICAGO)


# Hypothesis takes naive bounds and attaches the zone itself.
FIRST = datetime(2000, 1, 1)  # noqa: DTZ001
LAST = datetime(2037, 12, 31)  # noqa: DTZ001


@st.composite
def instants(draw: st.DrawFn) -> datetime:
    """A moment between 2000 and 2037, written in a random zone (the zone of the writing
    must never matter, only the instant)."""
    moment = draw(st.datetimes(FIRST, LAST, timezones=st.just(UTC)))
    return moment.astimezone(ZoneInfo(draw(st.sampled_from(ZONES))))


def later(moment: datetime, by: timedelta) -> datetime:
    """`moment + by` in real time, written in the moment's own zone (plain `+` on a zoned
    datetime adds wall-clock time)."""
    return (moment.astimezone(UTC) + by).astimezone(moment.tzinfo)


@st.composite
def standards_near(draw: st.DrawFn, around: datetime) -> Standard:
    """A standard in a random zone, with holidays close enough to `around` to matter."""
    anchor = around.date()
    holidays = draw(st.frozensets(st.integers(-3, 6).map(lambda n: anchor + timedelta(n))))
    urgent = draw(st.integers(1, 48))
    return Standard(
        time_zone=draw(st.sampled_from(ZONES)),
        urgent_hours=urgent,
        emergent_minutes=draw(st.integers(1, urgent * 60)),
        holidays=holidays,
    )


@st.composite
def receipts_and_standards(draw: st.DrawFn) -> tuple[datetime, Standard]:
    received = draw(instants())
    return received, draw(standards_near(received))


def touches_a_day_off_by_sampling(standard: Standard, received: datetime, hours: int) -> bool:
    """An independent oracle: read the local date every 15 real minutes and at the last
    instant. No local day is shorter than 15 minutes, so no touched day slips between."""
    zone = ZoneInfo(standard.time_zone)
    start = received.astimezone(UTC)
    end = start + timedelta(hours=hours)
    moments = [
        start + timedelta(minutes=15 * n) for n in range(int((end - start) / timedelta(minutes=15)))
    ]
    moments.append(end - timedelta(microseconds=1))
    days = {moment.astimezone(zone).date() for moment in moments}
    return any(day.weekday() >= 5 or day in standard.holidays for day in days)


# The worked examples of docs/kites.md, "Clock rules".


@pytest.mark.parametrize(
    ("standard", "received", "due"),
    [
        # Friday 16:00: the window runs to Sunday 16:00 and holds Saturday.
        (NCCHC, chicago(2026, 1, 9, 16), chicago(2026, 1, 12, 16)),
        # Saturday: the window starts on a weekend day.
        (NCCHC, chicago(2026, 1, 10, 10), chicago(2026, 1, 13, 10)),
        # Monday: Monday to Wednesday holds no weekend day.
        (NCCHC, chicago(2026, 1, 12, 9), chicago(2026, 1, 14, 9)),
        # Thursday morning: the window runs into Saturday, holiday or not.
        (NCCHC, chicago(2026, 7, 2, 9), chicago(2026, 7, 5, 9)),
        (WITH_HOLIDAYS, chicago(2026, 7, 2, 9), chicago(2026, 7, 5, 9)),
        # Thursday at midnight: the window ends exactly as Saturday begins, so only the
        # Friday holiday extends it.
        (NCCHC, chicago(2026, 7, 2, 0), chicago(2026, 7, 4, 0)),
        (WITH_HOLIDAYS, chicago(2026, 7, 2, 0), chicago(2026, 7, 5, 0)),
        # Wednesday before the Friday holiday: the holiday alone extends it.
        (NCCHC, chicago(2026, 7, 1, 9), chicago(2026, 7, 3, 9)),
        (WITH_HOLIDAYS, chicago(2026, 7, 1, 9), chicago(2026, 7, 4, 9)),
        # Sunday 23:00 and Monday 00:00: the later receipt is due 23 hours earlier.
        (NCCHC, chicago(2026, 1, 11, 23), chicago(2026, 1, 14, 23)),
        (NCCHC, chicago(2026, 1, 12, 0), chicago(2026, 1, 14, 0)),
    ],
)
def test_the_worked_examples_of_the_docs_hold(
    standard: Standard, received: datetime, due: datetime
) -> None:
    assert face_to_face_due(standard, received) == due


def test_a_later_receipt_can_be_due_earlier_just_after_a_weekend() -> None:
    sunday_night = face_to_face_due(NCCHC, chicago(2026, 1, 11, 23, 59))
    monday_morning = face_to_face_due(NCCHC, chicago(2026, 1, 12, 0, 1))
    assert monday_morning < sunday_night
    assert sunday_night - monday_morning == timedelta(hours=24) - timedelta(minutes=2)


def test_triage_is_due_24_hours_after_receipt_whatever_the_day() -> None:
    assert triage_due(NCCHC, chicago(2026, 1, 9, 16)) == chicago(2026, 1, 10, 16)


@pytest.mark.parametrize(
    ("urgency", "due"),
    [
        (Urgency.EMERGENT, chicago(2026, 1, 9, 17)),
        (Urgency.URGENT, chicago(2026, 1, 10, 16)),
        (Urgency.ROUTINE, chicago(2026, 1, 12, 16)),
        ("emergent", chicago(2026, 1, 9, 17)),
    ],
)
def test_each_urgency_has_its_own_deadline(urgency: str, due: datetime) -> None:
    assert response_due(NCCHC, urgency, chicago(2026, 1, 9, 16)) == due


def test_an_unknown_urgency_is_refused() -> None:
    with pytest.raises(ValueError, match="soon"):
        response_due(NCCHC, "soon", chicago(2026, 1, 9, 16))


def test_deadlines_depend_only_on_the_standard_and_the_receipt() -> None:
    for function in (triage_due, face_to_face_due, face_to_face_allowance):
        assert list(inspect.signature(function).parameters) == ["standard", "received_at"]
    assert list(inspect.signature(response_due).parameters) == [
        "standard",
        "urgency",
        "received_at",
    ]


# Month and year ends.


@pytest.mark.parametrize(
    ("standard", "received", "due"),
    [
        # New Year's Eve, a Thursday: Saturday 2 January is in the window.
        (NCCHC, chicago(2026, 12, 31, 20), chicago(2027, 1, 3, 20)),
        # Wednesday 30 December: only the New Year's Day holiday extends it.
        (NCCHC, chicago(2026, 12, 30, 9), chicago(2027, 1, 1, 9)),
        (WITH_HOLIDAYS, chicago(2026, 12, 30, 9), chicago(2027, 1, 2, 9)),
        # Tuesday 29 December at 20:00 ends on Thursday 31 December: no holiday touched.
        (WITH_HOLIDAYS, chicago(2026, 12, 29, 20), chicago(2026, 12, 31, 20)),
        # The end of March, and a leap day.
        (NCCHC, chicago(2026, 3, 31, 10), chicago(2026, 4, 2, 10)),
        (NCCHC, chicago(2028, 2, 28, 10), chicago(2028, 3, 1, 10)),
    ],
)
def test_deadlines_cross_month_and_year_ends(
    standard: Standard, received: datetime, due: datetime
) -> None:
    assert face_to_face_due(standard, received) == due


def test_triage_crosses_the_year_end() -> None:
    assert triage_due(NCCHC, chicago(2026, 12, 31, 23, 30)) == chicago(2027, 1, 1, 23, 30)


# Daylight saving time: durations are real hours.


def test_72_hours_across_chicagos_spring_forward_end_an_hour_later_on_the_wall_clock() -> None:
    received = chicago(2026, 3, 6, 16)  # Friday, CST; clocks jump on Sunday 8 March
    due = face_to_face_due(NCCHC, received)
    assert due == chicago(2026, 3, 9, 17)
    assert due.astimezone(UTC) - received.astimezone(UTC) == HOURS_72


def test_72_hours_across_chicagos_fall_back_end_an_hour_earlier_on_the_wall_clock() -> None:
    received = chicago(2026, 10, 30, 16)  # Friday, CDT; clocks fall back on Sunday 1 November
    due = face_to_face_due(NCCHC, received)
    assert due == chicago(2026, 11, 2, 15)
    assert due.astimezone(UTC) - received.astimezone(UTC) == HOURS_72


def test_triage_across_spring_forward_is_24_real_hours() -> None:
    received = chicago(2026, 3, 7, 12)
    assert triage_due(NCCHC, received) == chicago(2026, 3, 8, 13)


@pytest.mark.parametrize(
    ("received", "due"),
    [
        # Sydney leaves DST on Sunday 5 April 2026 (AEDT +11 to AEST +10).
        (datetime(2026, 4, 3, 16, tzinfo=SYDNEY), datetime(2026, 4, 6, 15, tzinfo=SYDNEY)),
        # and enters it on Sunday 4 October 2026.
        (datetime(2026, 10, 2, 16, tzinfo=SYDNEY), datetime(2026, 10, 5, 17, tzinfo=SYDNEY)),
        # Santiago springs forward at midnight into Sunday 6 September 2026.
        (datetime(2026, 9, 3, 22, tzinfo=SANTIAGO), datetime(2026, 9, 6, 23, tzinfo=SANTIAGO)),
    ],
)
def test_southern_hemisphere_changes_keep_real_hours(received: datetime, due: datetime) -> None:
    zone = received.tzinfo
    assert isinstance(zone, ZoneInfo)
    standard = Standard(time_zone=zone.key, urgent_hours=24, emergent_minutes=60)
    assert face_to_face_due(standard, received) == due
    assert due.astimezone(UTC) - received.astimezone(UTC) == HOURS_72


def test_weekends_are_read_on_the_facilitys_calendar_not_utcs() -> None:
    # Wednesday 19:00 in Chicago: the window ends on Friday 19:00 at the jail, which is
    # already Saturday 01:00 in UTC.
    wednesday = chicago(2026, 1, 7, 19)
    assert (wednesday + HOURS_48).astimezone(UTC).weekday() == 5
    assert face_to_face_allowance(NCCHC, wednesday) == HOURS_48


def test_a_window_crossing_a_weekday_dst_jump_is_measured_in_real_hours() -> None:
    # Cairo springs forward at midnight into Friday 24 April 2026. From Wednesday 23:30,
    # 48 real hours end on Saturday 00:30: the window touches Saturday. (Adding 48 hours
    # on the wall clock would end on Friday 23:30 and miss it.)
    cairo = Standard(time_zone="Africa/Cairo", urgent_hours=24, emergent_minutes=60)
    received = datetime(2026, 4, 22, 23, 30, tzinfo=ZoneInfo("Africa/Cairo"))
    assert face_to_face_allowance(cairo, received) == HOURS_72


def test_a_deadline_is_returned_in_the_facilitys_zone() -> None:
    due = face_to_face_due(NCCHC, datetime(2026, 1, 12, 15, tzinfo=UTC))
    assert due.tzinfo == CHICAGO
    assert due == chicago(2026, 1, 14, 9)


# Properties.


@given(receipts_and_standards())
def test_every_deadline_is_after_receipt(case: tuple[datetime, Standard]) -> None:
    received, standard = case
    for urgency in Urgency:
        assert response_due(standard, urgency, received) > received
    assert triage_due(standard, received) > received


@given(receipts_and_standards())
def test_face_to_face_is_due_exactly_48_or_72_real_hours_after_receipt(
    case: tuple[datetime, Standard],
) -> None:
    received, standard = case
    elapsed = face_to_face_due(standard, received).astimezone(UTC) - received.astimezone(UTC)
    assert elapsed in (HOURS_48, HOURS_72)


@given(receipts_and_standards())
def test_72_hours_apply_exactly_when_the_48_hour_window_touches_a_day_off(
    case: tuple[datetime, Standard],
) -> None:
    received, standard = case
    extended = touches_a_day_off_by_sampling(standard, received, 48)
    assert face_to_face_allowance(standard, received) == (HOURS_72 if extended else HOURS_48)


@given(receipts_and_standards())
def test_triage_is_24_real_hours_after_receipt(case: tuple[datetime, Standard]) -> None:
    received, standard = case
    elapsed = triage_due(standard, received).astimezone(UTC) - received.astimezone(UTC)
    assert elapsed == timedelta(hours=24)


@given(receipts_and_standards(), st.sampled_from(ZONES))
def test_the_zone_a_receipt_is_written_in_does_not_matter(
    case: tuple[datetime, Standard], zone: str
) -> None:
    received, standard = case
    rewritten = received.astimezone(ZoneInfo(zone))
    assert face_to_face_due(standard, rewritten) == face_to_face_due(standard, received)


@given(receipts_and_standards())
def test_raising_the_urgency_never_gives_a_later_deadline(
    case: tuple[datetime, Standard],
) -> None:
    received, standard = case
    emergent, urgent, routine = (response_due(standard, u, received) for u in Urgency)
    assert emergent <= urgent <= routine


@given(receipts_and_standards(), st.timedeltas(timedelta(0), timedelta(hours=30)))
def test_a_later_receipt_is_due_earlier_only_when_it_leaves_an_extended_window(
    case: tuple[datetime, Standard], later_by: timedelta
) -> None:
    """The weekend rule is not monotone (docs/kites.md says why no 48-or-72 rule can be):
    this pins down the only way it fails, and by how much at most."""
    first, standard = case
    second = later(first, later_by)
    if face_to_face_due(standard, second) < face_to_face_due(standard, first):
        assert face_to_face_allowance(standard, first) == HOURS_72
        assert face_to_face_allowance(standard, second) == HOURS_48
        assert later_by < timedelta(hours=24)


@given(receipts_and_standards(), st.timedeltas(timedelta(0), timedelta(days=30)))
def test_a_backdated_paper_kite_keeps_the_deadline_of_its_receipt(
    case: tuple[datetime, Standard], entered_after: timedelta
) -> None:
    received, standard = case
    due = face_to_face_due(standard, received)
    entered = received.astimezone(UTC) + entered_after
    state = clock_state(due, None, entered, timedelta(hours=2))
    if entered > due:
        assert state.status == ClockStatus.BREACHED
        assert state.breached_at == due
    else:
        assert not state.breached


# Clock states.

DUE = chicago(2026, 1, 14, 9)
WARN = timedelta(hours=2)
TICK = timedelta(microseconds=1)


@pytest.mark.parametrize(
    ("now", "status"),
    [
        (DUE - WARN - TICK, ClockStatus.OPEN),
        (DUE - WARN, ClockStatus.DUE_SOON),
        (DUE, ClockStatus.DUE_SOON),
        (DUE + TICK, ClockStatus.BREACHED),
    ],
)
def test_an_unmet_clock_is_open_then_due_soon_then_breached(
    now: datetime, status: ClockStatus
) -> None:
    assert clock_state(DUE, None, now, WARN).status == status


def test_a_breach_is_dated_at_the_deadline_not_when_it_was_noticed() -> None:
    state = clock_state(DUE, None, DUE + timedelta(days=3), WARN)
    assert state.breached_at == DUE


def test_a_clock_met_at_the_deadline_is_on_time() -> None:
    state = clock_state(DUE, DUE, DUE + timedelta(days=1), WARN)
    assert state.status == ClockStatus.MET_ON_TIME
    assert not state.breached


def test_a_clock_met_late_still_records_its_breach() -> None:
    met = DUE + timedelta(hours=5)
    state = clock_state(DUE, met, met + timedelta(days=1), WARN)
    assert state.status == ClockStatus.MET_LATE
    assert state.breached_at == DUE
    assert state.met_at == met


def test_a_meeting_after_now_is_not_yet_known() -> None:
    state = clock_state(DUE, DUE + timedelta(hours=5), DUE + timedelta(hours=1), WARN)
    assert state.status == ClockStatus.BREACHED
    assert state.met_at is None


def test_a_clock_met_in_the_repeated_hour_is_judged_in_real_time() -> None:
    # 01:30 CST (the second pass) comes 45 minutes after 01:45 CDT (the first), although
    # its wall-clock reading is earlier.
    due = datetime(2026, 11, 1, 1, 45, tzinfo=CHICAGO)
    met = datetime(2026, 11, 1, 1, 30, fold=1, tzinfo=CHICAGO)
    assert clock_state(due, met, met, WARN).status == ClockStatus.MET_LATE


def test_a_negative_warning_is_refused() -> None:
    with pytest.raises(ValueError, match="negative"):
        clock_state(DUE, None, DUE, -WARN)


@given(
    instants(),
    st.none() | st.timedeltas(timedelta(days=-3), timedelta(days=3)),
    st.lists(st.timedeltas(timedelta(days=-4), timedelta(days=8)), min_size=2, max_size=6),
)
def test_a_breach_once_seen_never_goes_away_nor_moves(
    due: datetime, met_offset: timedelta | None, offsets: list[timedelta]
) -> None:
    met = None if met_offset is None else later(due, met_offset)
    states = [clock_state(due, met, later(due, offset), WARN) for offset in sorted(offsets)]
    for before, after in itertools.pairwise(states):
        if before.breached:
            assert after.breached_at == before.breached_at == due


@given(
    instants(),
    st.none() | st.timedeltas(timedelta(days=-3), timedelta(days=3)),
    st.timedeltas(timedelta(days=-4), timedelta(days=8)),
)
def test_a_clock_is_breached_exactly_when_it_was_not_met_by_its_deadline(
    due: datetime, met_offset: timedelta | None, now_offset: timedelta
) -> None:
    met = None if met_offset is None else later(due, met_offset)
    # Decided on the offsets, which are real time, rather than on zoned datetimes.
    known = met_offset if met_offset is not None and met_offset <= now_offset else None
    expected = (known is None and now_offset > timedelta(0)) or (
        known is not None and known > timedelta(0)
    )
    state = clock_state(due, met, later(due, now_offset), WARN)
    assert state.breached_at == (due if expected else None)


# Days since booking (NCCHC: the booking day is day one).


def test_the_booking_day_is_day_one() -> None:
    booked = chicago(2026, 1, 5, 9)
    assert day_number(booked, booked, "America/Chicago") == 1
    assert day_number(booked, chicago(2026, 1, 5, 23, 59), "America/Chicago") == 1


def test_the_next_local_day_is_day_two_even_minutes_later() -> None:
    assert (
        day_number(chicago(2026, 1, 5, 23, 50), chicago(2026, 1, 6, 0, 10), "America/Chicago") == 2
    )


def test_days_are_counted_on_the_facilitys_calendar() -> None:
    # 20:00 in Chicago is already the next day in UTC.
    booked = chicago(2026, 1, 5, 20)
    assert day_number(booked, chicago(2026, 1, 5, 23), "America/Chicago") == 1


def test_a_day_number_before_booking_is_refused() -> None:
    with pytest.raises(ValueError, match="before the booking"):
        day_number(chicago(2026, 1, 5, 9), chicago(2026, 1, 5, 8), "America/Chicago")


def test_screening_is_due_by_the_end_of_local_day_14() -> None:
    due = screening_due(chicago(2026, 1, 5, 15), "America/Chicago")
    assert due == datetime(2026, 1, 18, 23, 59, 59, 999999, tzinfo=CHICAGO)


def test_day_14_on_a_spring_forward_day_ends_at_its_local_midnight() -> None:
    # Booked Monday 23 February 2026: day 14 is Sunday 8 March, 23 real hours long.
    due = screening_due(chicago(2026, 2, 23, 8), "America/Chicago")
    assert due == datetime(2026, 3, 8, 23, 59, 59, 999999, tzinfo=CHICAGO)
    assert due.utcoffset() == timedelta(hours=-5)


def test_a_day_that_skips_its_midnight_ends_at_the_jump() -> None:
    # Santiago's Sunday 6 September 2026 begins at 01:00: clocks jump over midnight.
    # Booked Sunday 23 August: day 14 is Saturday 5 September.
    due = screening_due(datetime(2026, 8, 23, 10, tzinfo=SANTIAGO), "America/Santiago")
    assert due.astimezone(UTC) == datetime(2026, 9, 6, 3, 59, 59, 999999, tzinfo=UTC)
    assert later(due, TICK).date() == date(2026, 9, 6)


def test_a_day_with_a_repeated_hour_ends_after_its_second_pass() -> None:
    # Santiago's Saturday 4 April 2026 lasts 25 hours: 23:00 to 24:00 happens twice.
    due = screening_due(datetime(2026, 3, 22, 10, tzinfo=SANTIAGO), "America/Santiago")
    assert due.astimezone(UTC) == datetime(2026, 4, 5, 3, 59, 59, 999999, tzinfo=UTC)


def test_a_screening_due_before_day_one_is_refused() -> None:
    with pytest.raises(ValueError, match="day one"):
        screening_due(chicago(2026, 1, 5, 9), "America/Chicago", days=0)


@given(instants(), st.sampled_from(ZONES), st.integers(1, 30))
def test_the_screening_deadline_is_the_last_instant_of_its_day_number(
    booked: datetime, zone: str, days: int
) -> None:
    due = screening_due(booked, zone, days)
    assert day_number(booked, due, zone) == days
    assert day_number(booked, later(due, TICK), zone) == days + 1


# Refusals.

NAIVE = datetime(2026, 1, 5, 9)  # noqa: DTZ001 (the point of these tests is a naive datetime)


@pytest.mark.parametrize(
    "call",
    [
        lambda: triage_due(NCCHC, NAIVE),
        lambda: face_to_face_due(NCCHC, NAIVE),
        lambda: response_due(NCCHC, Urgency.EMERGENT, NAIVE),
        lambda: clock_state(NAIVE, None, DUE, WARN),
        lambda: clock_state(DUE, NAIVE, DUE, WARN),
        lambda: clock_state(DUE, None, NAIVE, WARN),
        lambda: day_number(NAIVE, DUE, "America/Chicago"),
        lambda: day_number(DUE, NAIVE, "America/Chicago"),
        lambda: screening_due(NAIVE, "America/Chicago"),
    ],
)
def test_a_naive_datetime_is_refused(call: Callable[[], object]) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        call()


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"time_zone": "Mars/Olympus"}, "Unknown time zone"),
        ({"triage_hours": 0}, "longer than zero"),
        ({"face_to_face_weekend_hours": 47}, "weekend"),
        ({"emergent_minutes": 25 * 60}, "emergent"),
        ({"urgent_hours": 49}, "urgent"),
    ],
)
def test_an_incoherent_standard_is_refused(changes: dict[str, object], message: str) -> None:
    values: dict[str, object] = {
        "time_zone": "America/Chicago",
        "urgent_hours": 24,
        "emergent_minutes": 60,
        **changes,
    }
    with pytest.raises(ValueError, match=message):
        Standard(**values)  # type: ignore[arg-type]
