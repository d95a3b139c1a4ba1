"""Clock arithmetic, a pure core: deadlines from receipt, and what state a clock is in (I5).

Every deadline counts from the moment a request was *received*, never from triage, and is
an elapsed duration: 48 hours is 48 real hours even across a daylight-saving change. Only
the question "does this window touch a weekend or a holiday?" looks at the facility's local
calendar. docs/kites.md ("Clock rules") states the rules with worked examples.

Every datetime in or out is timezone-aware; a naive one is refused, because guessing its
zone is how a deadline silently moves by hours. Inside, all arithmetic and comparison is
done in UTC: Python adds to, subtracts and compares two datetimes that share a ZoneInfo by
their wall-clock readings, which is wrong across a DST change.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

SATURDAY, SUNDAY = 5, 6
# Python datetimes count in microseconds: the last instant before `t` is `t - TICK`.
TICK = timedelta(microseconds=1)


class Urgency(StrEnum):
    EMERGENT = "emergent"
    URGENT = "urgent"
    ROUTINE = "routine"


class ClockStatus(StrEnum):
    OPEN = "open"
    DUE_SOON = "due_soon"
    BREACHED = "breached"
    MET_ON_TIME = "met_on_time"
    MET_LATE = "met_late"


# NCCHC E-07's figures, and starting points for the tiers each facility sets itself
# (NCCHC names no deadline for them). The one place these numbers are written.
NCCHC_DEFAULTS = {
    "triage_hours": 24,
    "face_to_face_hours": 48,
    "face_to_face_weekend_hours": 72,
    "urgent_hours": 24,
    "emergent_minutes": 60,
    "alert_ack_minutes": 15,
}


@dataclass(frozen=True, slots=True)
class Standard:
    """A facility's timeliness standard. The defaults are NCCHC E-07's; the urgent and
    emergent tiers have no national figure, so each facility must state its own."""

    time_zone: str  # IANA name, e.g. "America/Chicago"
    urgent_hours: int
    emergent_minutes: int
    holidays: frozenset[date] = frozenset()  # dates on the facility's local calendar
    triage_hours: int = NCCHC_DEFAULTS["triage_hours"]
    face_to_face_hours: int = NCCHC_DEFAULTS["face_to_face_hours"]
    face_to_face_weekend_hours: int = NCCHC_DEFAULTS["face_to_face_weekend_hours"]

    def __post_init__(self) -> None:
        try:
            ZoneInfo(self.time_zone)
        except (ZoneInfoNotFoundError, ValueError) as error:
            raise ValueError(f"Unknown time zone {self.time_zone!r}.") from error
        durations = (
            self.urgent_hours,
            self.emergent_minutes,
            self.triage_hours,
            self.face_to_face_hours,
            self.face_to_face_weekend_hours,
        )
        if any(value <= 0 for value in durations):
            raise ValueError("Every deadline must be longer than zero.")
        if self.face_to_face_weekend_hours < self.face_to_face_hours:
            raise ValueError("The weekend face-to-face deadline cannot be the shorter one.")
        # Raising a request's urgency must never give it a later deadline (I2), so the
        # tiers must be ordered: emergent ≤ urgent ≤ routine.
        if self.emergent_minutes > self.urgent_hours * 60:
            raise ValueError("The emergent deadline cannot be longer than the urgent one.")
        if self.urgent_hours > self.face_to_face_hours:
            raise ValueError("The urgent deadline cannot be longer than the routine one.")

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)


@dataclass(frozen=True, slots=True)
class ClockState:
    """A clock as it stood at one moment. `met_at` is the meeting time if it was known by
    then; `breached_at` is the due time whenever the clock breached, and stays so forever."""

    status: ClockStatus
    due_at: datetime
    met_at: datetime | None
    breached_at: datetime | None

    @property
    def breached(self) -> bool:
        return self.breached_at is not None


def triage_due(standard: Standard, received_at: datetime) -> datetime:
    return _elapsed(standard, received_at, timedelta(hours=standard.triage_hours))


def face_to_face_allowance(standard: Standard, received_at: datetime) -> timedelta:
    """The weekday allowance, or the weekend one when the weekday window
    [receipt, receipt + weekday allowance) touches a Saturday, a Sunday or a holiday of the
    facility's local calendar. The longer window is not checked again: one extension only."""
    received = _utc("received_at", received_at)
    weekday = timedelta(hours=standard.face_to_face_hours)
    touched = _local_dates(received, received + weekday, standard.zone)
    if any(day.weekday() in (SATURDAY, SUNDAY) or day in standard.holidays for day in touched):
        return timedelta(hours=standard.face_to_face_weekend_hours)
    return weekday


def face_to_face_due(standard: Standard, received_at: datetime) -> datetime:
    return _elapsed(standard, received_at, face_to_face_allowance(standard, received_at))


def response_due(standard: Standard, urgency: str, received_at: datetime) -> datetime:
    """The deadline for a response at the given urgency; routine is the face-to-face rule.
    `urgency` is any string with an `Urgency` value, so Django's choices pass as they are."""
    match Urgency(urgency):
        case Urgency.EMERGENT:
            return _elapsed(standard, received_at, timedelta(minutes=standard.emergent_minutes))
        case Urgency.URGENT:
            return _elapsed(standard, received_at, timedelta(hours=standard.urgent_hours))
        case Urgency.ROUTINE:
            return face_to_face_due(standard, received_at)


def clock_state(
    due_at: datetime, met_at: datetime | None, now: datetime, warn_before: timedelta
) -> ClockState:
    """The clock as it stood at `now`. A meeting time after `now` was not yet known then, so
    it is ignored: this lets a report ask how a clock stood at the end of a past shift. Met
    exactly at the due time is on time; a breach begins the instant after it."""
    due, at = _utc("due_at", due_at), _utc("now", now)
    met = None if met_at is None else _utc("met_at", met_at)
    if warn_before < timedelta(0):
        raise ValueError("warn_before cannot be negative.")
    if met is not None and met <= at:
        late = met > due
        status = ClockStatus.MET_LATE if late else ClockStatus.MET_ON_TIME
        return ClockState(status, due_at, met_at, due_at if late else None)
    if at > due:
        return ClockState(ClockStatus.BREACHED, due_at, None, due_at)
    status = ClockStatus.DUE_SOON if at >= due - warn_before else ClockStatus.OPEN
    return ClockState(status, due_at, None, None)


def day_number(booked_at: datetime, moment: datetime, tz: str) -> int:
    """NCCHC counts the day of booking as day one, on the facility's local calendar."""
    if _utc("moment", moment) < _utc("booked_at", booked_at):
        raise ValueError("There is no day number before the booking.")
    zone = ZoneInfo(tz)
    return (moment.astimezone(zone).date() - booked_at.astimezone(zone).date()).days + 1


def screening_due(booked_at: datetime, tz: str, days: int = 14) -> datetime:
    """The last instant of local day `days`, counting the booking day as day one."""
    booked = _utc("booked_at", booked_at)
    if days < 1:
        raise ValueError("A screening is due on day one or later.")
    zone = ZoneInfo(tz)
    first_day_after = booked.astimezone(zone).date() + timedelta(days=days)
    return (_start_of_local_day(first_day_after, zone) - TICK).astimezone(zone)


def _elapsed(standard: Standard, start: datetime, duration: timedelta) -> datetime:
    return (_utc("received_at", start) + duration).astimezone(standard.zone)


def _local_dates(start: datetime, end: datetime, zone: ZoneInfo) -> Iterator[date]:
    """Every local date that some instant of [start, end) falls on (both in UTC). Local
    dates never go backwards in any zone with a jail (tzdata 1990-2040 shows it once, at an
    Antarctic station in 2010), so these are the dates from the first instant's to the
    last one's."""
    day = start.astimezone(zone).date()
    last = (end - TICK).astimezone(zone).date()
    while day <= last:
        yield day
        day += timedelta(days=1)


def _start_of_local_day(day: date, zone: ZoneInfo) -> datetime:
    """The day's first instant, in UTC. Where a zone skips midnight (America/Santiago
    springs forward at 00:00), fold=0 reads the missing midnight with the earlier offset,
    which lands exactly on the jump: the day's true first instant."""
    return datetime.combine(day, time.min, tzinfo=zone).astimezone(UTC)


def _utc(name: str, value: datetime) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, not naive: {value.isoformat()}")
    return value.astimezone(UTC)
