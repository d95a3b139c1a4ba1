"""The API's output schemas (invariant I6: custody receives allow-listed fields only).

A schema a custody user can receive lists only fields of `CUSTODY_ALLOWED_FIELDS`; a test
compares them. Roster rows, bookings and placements carry no clinical field for anyone, so
one schema serves every role; a field for health staff only goes in a health schema beside
it, as `PersonOut` does beside `CustodyPersonOut`.
"""

from datetime import date, datetime

from ninja import Schema

from kiteline.accounts.models import Role, User


class RosterRowOut(Schema):
    resident_number: str
    name: str
    date_of_birth: date
    language: str
    needs_interpreter: bool
    booking_number: str | None
    facility: str | None
    housing_unit: str | None
    booked_at: datetime | None
    released_at: datetime | None
    in_custody: bool


class RosterPageOut(Schema):
    rows: list[RosterRowOut]
    number: int
    num_pages: int
    total: int


class PlacementOut(Schema):
    facility: str
    housing_unit: str
    started_at: datetime
    ended_at: datetime | None


class BookingOut(Schema):
    booking_number: str
    facility: str
    booked_at: datetime
    released_at: datetime | None
    in_custody: bool
    placements: list[PlacementOut]


class CustodyPersonOut(Schema):
    resident_number: str
    name: str
    date_of_birth: date
    sex: str
    language: str
    needs_interpreter: bool
    reads_without_help: bool
    bookings: list[BookingOut]


class PersonOut(CustodyPersonOut):
    race_ethnicity: str


def person_schema(actor: User) -> type[CustodyPersonOut]:
    return CustodyPersonOut if actor.role == Role.CUSTODY else PersonOut
