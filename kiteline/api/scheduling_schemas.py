"""The scheduling API's schemas, each the JSON form of a scheduling selector's record.

Custody receives one of them: `EscortListOut`, whose rows (`EscortRowOut`) hold exactly the
allow-listed fields of an escort row (I6), a place and a time, never a session type,
clinician, length or service; the list around them says only which facility, day and unit
it is. Every other schema is for health staff. Dates are the facility's calendar and times
of day its clock ("09:30"); moments are in its time zone.
"""

import datetime as dt

from django.utils import timezone
from ninja import Field, Schema
from pydantic import field_validator

from kiteline.kites.selectors import local_time, local_time_or_none
from kiteline.scheduling.guards import NOTE_MAX_LENGTH
from kiteline.scheduling.models import MAX_HORIZON_DAYS, MovementRestriction, SessionType
from kiteline.scheduling.selectors import (
    AppointmentRow,
    ClinicianHours,
    RunSummary,
    minutes_label,
)
from kiteline.scheduling.services import MAX_START_DAYS_AHEAD, latest_start

# A proposal is solved while the caller waits, inside one web request that gunicorn's
# `--timeout` ends (docs/operations.md): the limit stays well under it.
MAX_TIME_LIMIT_SECONDS = 15.0

# ---- In ----------------------------------------------------------------------------------


class ProposeIn(Schema):
    """Propose a schedule from `start` (a date from tomorrow to a year ahead, at the
    facility) for `days` days (the facility's horizon when left out), solved by `method`:
    `cp-sat` (the optimiser, for at most `time_limit` seconds, 15 at most) or `greedy`
    (the first-come baseline). `facility` is a facility code, the caller's first when left
    out."""

    facility: str | None = None
    start: dt.date
    days: int | None = Field(None, ge=1, le=MAX_HORIZON_DAYS)
    # The service refuses any other in plain words.
    method: str = "cp-sat"
    time_limit: float = Field(10.0, gt=0, le=MAX_TIME_LIMIT_SECONDS)

    @field_validator("start")
    @classmethod
    def start_within_a_year(cls, start: dt.date) -> dt.date:
        if start > latest_start(timezone.now()):
            raise ValueError(f"A schedule starts at most {MAX_START_DAYS_AHEAD} days from today.")
        return start


class OutcomeIn(Schema):
    """What happened: `attended`, `refused` (with what was offered next in `note`),
    `cancelled_custody` (with `custody_reason`: lockdown, movement, staffing, other) or
    `cancelled_clinician` (with why in `note`)."""

    outcome: str
    note: str = Field("", max_length=NOTE_MAX_LENGTH)
    custody_reason: str = ""


# ---- Custody: the escort list ------------------------------------------------------------


class EscortRowOut(Schema):
    """Who goes where and when, and whether an officer walks them: exactly the allow-listed
    fields of `escort_row`."""

    resident_number: str
    name: str
    housing_unit: str
    date: dt.date
    time: str
    place: str
    needs_escort: bool


class EscortListOut(Schema):
    facility: str  # its code
    date: dt.date
    unit: str  # the housing unit's code asked for, or "" for every unit
    rows: list[EscortRowOut]


# ---- Capacity ----------------------------------------------------------------------------


class PeriodOut(Schema):
    start: str
    end: str


class RoomOut(Schema):
    room_id: int = Field(alias="pk")
    code: str
    name: str
    seats: int
    on_site: bool
    active: bool


class SessionTypeOut(Schema):
    session_type_id: int = Field(alias="pk")
    code: str
    name: str
    kind: str  # individual, group, psychiatry, crisis_follow_up
    minutes: int
    seats: int
    service: str | None  # the code of the service it delivers
    every_days: int | None
    active: bool
    clinicians: list[str]  # usernames of those who may hold it

    @staticmethod
    def resolve_service(session: SessionType) -> str | None:
        return session.service.code if session.service is not None else None

    @staticmethod
    def resolve_clinicians(session: SessionType) -> list[str]:
        return sorted(user.username for user in session.clinicians.all())


class WeeklyHoursOut(Schema):
    weekday: int  # Monday is 0
    start: str
    end: str


class ExceptionOut(Schema):
    exception_id: int
    date: dt.date
    hours: str  # the only hours worked that day ("13:00-17:00"), or "" for a day off
    reason: str


class ClinicianOut(Schema):
    clinician_id: int
    username: str
    name: str
    weekly: list[WeeklyHoursOut]
    session_types: list[str]
    exceptions: list[ExceptionOut]

    @classmethod
    def of(cls, hours: ClinicianHours) -> "ClinicianOut":
        return cls(
            clinician_id=hours.clinician_id,
            username=hours.username,
            name=hours.name,
            weekly=[WeeklyHoursOut(weekday=d, start=s, end=e) for d, s, e in hours.weekly],
            session_types=list(hours.session_types),
            exceptions=[
                ExceptionOut(exception_id=pk, date=day, hours=worked, reason=reason)
                for pk, day, worked, reason in hours.exceptions
            ],
        )


class RestrictionOut(Schema):
    restriction_id: int = Field(alias="pk")
    unit: str | None  # a housing unit's code, or null for the whole facility
    date: dt.date
    start: str
    end: str
    kind: str  # lockdown, search, count, meal, other

    @staticmethod
    def resolve_unit(restriction: MovementRestriction) -> str | None:
        return restriction.unit.code if restriction.unit is not None else None

    @staticmethod
    def resolve_start(restriction: MovementRestriction) -> str:
        return minutes_label(restriction.start_minute)

    @staticmethod
    def resolve_end(restriction: MovementRestriction) -> str:
        return minutes_label(restriction.end_minute)


class CapacityOut(Schema):
    """A facility's capacity as its page shows it (`selectors.Capacity`)."""

    facility: str
    periods: list[PeriodOut]  # when people may move; counts and meals are the gaps
    horizon_days: int
    unescorted_units: list[str]
    rooms: list[RoomOut]
    session_types: list[SessionTypeOut]
    clinicians: list[ClinicianOut]
    restrictions: list[RestrictionOut]  # from today on


# ---- Requirements and the waitlist -------------------------------------------------------


class RequirementOut(Schema):
    requirement_id: int
    number: str
    resident_number: str
    name: str
    housing_unit: str
    source: str
    session_type: str
    earliest: dt.date
    due: dt.date
    acuity: int
    mandatory: bool
    waiting_since: dt.date
    state: str  # to schedule, scheduled, no outcome recorded, overdue
    appointment_date: dt.date | None


class RequirementsOut(Schema):
    facility: str
    today: dt.date
    rows: list[RequirementOut]  # open requirements by due date
    waitlist: list[RequirementOut]  # in the documented order: acuity, then time waiting


# ---- Schedules and appointments ----------------------------------------------------------


class AppointmentOut(Schema):
    appointment_id: int
    number: str
    requirement: str
    resident_number: str
    name: str
    housing_unit: str
    date: dt.date
    time: str
    minutes: int
    clinician: str
    room: str
    session_type: str
    status: str  # proposed, published, withdrawn
    outcome: str  # "" until recorded
    outcome_label: str
    custody_reason: str
    outcome_note: str
    due: dt.date
    late: bool  # a mandatory contact booked after its due date

    @staticmethod
    def resolve_date(row: AppointmentRow) -> dt.date:
        return row.day


class RunOut(Schema):
    run_id: int
    number: str
    start: dt.date
    end: dt.date
    method: str
    solve_status: str
    status: str  # proposed, published, discarded
    created_by: str
    created_at: dt.datetime
    published_by: str
    published_at: dt.datetime | None
    appointments: int
    missed: int
    late: int
    gap: float | None
    shortfall_hours: float

    @classmethod
    def of(cls, summary: RunSummary, zone: str) -> "RunOut":
        return cls(
            run_id=summary.run_id,
            number=summary.number,
            start=summary.start,
            end=summary.end,
            method=summary.method,
            solve_status=summary.solve_status,
            status=summary.status,
            created_by=summary.created_by,
            created_at=local_time(summary.created_at, zone),
            published_by=summary.published_by,
            published_at=local_time_or_none(summary.published_at, zone),
            appointments=summary.appointments,
            missed=summary.missed,
            late=summary.late,
            gap=summary.gap,
            shortfall_hours=summary.shortfall_hours,
        )


class ScheduleListOut(Schema):
    facility: str
    today: dt.date
    horizon_days: int
    runs: list[RunOut]  # newest first


class PartOut(Schema):
    """One stage of the objective, in order: its value, the solver's bound and the gap."""

    name: str  # missed, late, waiting, continuity
    value: int
    bound: int
    gap: float


class ScheduleDayOut(Schema):
    date: dt.date
    appointments: list[AppointmentOut]


class ShortfallOut(Schema):
    week: str
    session_type: str
    requirements: int
    hours: float  # clinician-hours missing that week for that session type


class SchedulePageOut(Schema):
    """One schedule as its page shows it (`selectors.SchedulePage`)."""

    run: RunOut
    facility: str
    parts: list[PartOut]
    days: list[ScheduleDayOut]
    removed: list[AppointmentOut]  # taken out of the proposal by hand, or withdrawn
    shortfall: list[ShortfallOut]
    unscheduled: list[RequirementOut]
    editable: bool


class DayAppointmentsOut(Schema):
    facility: str
    date: dt.date
    today: dt.date
    mine_only: bool
    rows: list[AppointmentOut]


class OutcomeOut(Schema):
    """The outcome just recorded: what the caller sent, and when it was recorded."""

    appointment_id: int
    number: str
    outcome: str
    custody_reason: str
    note: str
    recorded_at: dt.datetime
