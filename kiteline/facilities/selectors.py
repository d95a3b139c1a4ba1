"""Reads of the roster, shaped for the screens that show them and scoped to the actor:
staff see the people ever housed at one of their facilities."""

from collections.abc import Collection
from dataclasses import dataclass, fields
from datetime import date, datetime
from typing import Any

from django.conf import settings
from django.core.paginator import Paginator
from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.http import Http404

from kiteline.accounts.models import Role, User
from kiteline.audit.recording import record_read
from kiteline.facilities.models import Booking, Facility, Person, Placement


@dataclass(frozen=True)
class RosterRow:
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

    @property
    def in_custody(self) -> bool:
        return self.booking_number is not None and self.released_at is None


ROSTER_FIELDS = (
    "pk",
    "facility_id",
    "resident_number",
    "family_name",
    "given_name",
    "date_of_birth",
    "language",
    "needs_interpreter",
    "booking_number",
    "facility_name",
    "housing_unit_name",
    "booked_at",
    "released_at",
)


def bookings_in_scope(actor: User) -> QuerySet[Booking]:
    """Stays with at least one placement at one of the actor's facilities: a transfer does
    not hide a stay from the facility that held it, and a stay held wholly elsewhere is not
    the actor's to see."""
    return Booking.objects.filter(
        Exists(
            Placement.objects.filter(
                booking=OuterRef("pk"), housing_unit__facility__in=actor.facilities.all()
            )
        )
    )


def people_in_scope(actor: User) -> QuerySet[Person]:
    """People with a stay in the actor's scope."""
    return Person.objects.filter(Exists(bookings_in_scope(actor).filter(person=OuterRef("pk"))))


def facility_for_actor(
    *, actor: User, facility_code: str | None, roles: Collection[Role]
) -> Facility:
    """One of the actor's facilities (the first when none is named), for a page or route
    that these roles may use; 404 for any other facility, or for another role."""
    if not actor.is_staff_member or actor.role not in roles:
        raise Http404
    facilities = actor.facilities.order_by("name", "pk")
    facility = (
        facilities.filter(code=facility_code).first() if facility_code else facilities.first()
    )
    if facility is None:
        raise Http404
    return facility


def read_chain(actor: User, facility_ids: set[int]) -> Facility | None:
    """The facility whose audit chain records a read: the actor's own when they work at one
    facility, else the one facility of theirs the records came from, else the system chain."""
    mine = set(actor.facilities.values_list("pk", flat=True))
    candidates = mine if len(mine) == 1 else mine & facility_ids
    (only,) = candidates if len(candidates) == 1 else (None,)
    return None if only is None else Facility.objects.get(pk=only)


def _roster_rows(
    actor: User, query: str, include_released: bool
) -> QuerySet[Person, dict[str, Any]]:
    latest_booking = bookings_in_scope(actor).filter(person=OuterRef("pk")).order_by("-booked_at")
    latest_placement = Placement.objects.filter(booking=OuterRef("latest_booking_id")).order_by(
        "-started_at", "-id"
    )
    people = people_in_scope(actor).annotate(
        latest_booking_id=Subquery(latest_booking.values("id")[:1]),
        booking_number=Subquery(latest_booking.values("booking_number")[:1]),
        facility_id=Subquery(latest_booking.values("facility_id")[:1]),
        facility_name=Subquery(latest_booking.values("facility__name")[:1]),
        booked_at=Subquery(latest_booking.values("booked_at")[:1]),
        released_at=Subquery(latest_booking.values("released_at")[:1]),
        housing_unit_name=Subquery(latest_placement.values("housing_unit__name")[:1]),
    )
    if not include_released:
        people = people.filter(
            Exists(
                Booking.objects.filter(
                    person=OuterRef("pk"),
                    released_at__isnull=True,
                    facility__in=actor.facilities.all(),
                )
            )
        )
    for term in query.split():
        people = people.filter(
            Q(resident_number__iexact=term)
            | Q(family_name__icontains=term)
            | Q(given_name__icontains=term)
            | Exists(
                bookings_in_scope(actor).filter(person=OuterRef("pk"), booking_number__iexact=term)
            )
        )
    rows: QuerySet[Person, dict[str, Any]] = people.order_by(
        "family_name", "given_name", "resident_number"
    ).values(*ROSTER_FIELDS)
    return rows


@dataclass(frozen=True)
class RosterPage:
    rows: list[RosterRow]
    number: int
    num_pages: int
    total: int

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.num_pages


def roster_page(
    *, actor: User, query: str = "", include_released: bool = False, page_number: str | int = 1
) -> RosterPage:
    """One page of the roster: each person with their latest booking and housing.

    Search terms match a resident or booking number exactly, or part of a name.
    """
    paginator = Paginator(
        _roster_rows(actor, query.strip(), include_released), settings.ROSTER_PAGE_SIZE
    )
    page = paginator.get_page(page_number)
    shown = list(page.object_list)
    record_read(
        actor=actor,
        action="roster.read",
        facility=read_chain(actor, {row["facility_id"] for row in shown}),
        records=[f"person:{row['pk']}" for row in shown],
        fields=[field.name for field in fields(RosterRow)],
    )
    rows = [
        RosterRow(
            resident_number=row["resident_number"],
            name=f"{row['family_name']}, {row['given_name']}",
            date_of_birth=row["date_of_birth"],
            language=row["language"],
            needs_interpreter=row["needs_interpreter"],
            booking_number=row["booking_number"],
            facility=row["facility_name"],
            housing_unit=row["housing_unit_name"],
            booked_at=row["booked_at"],
            released_at=row["released_at"],
        )
        for row in shown
    ]
    return RosterPage(
        rows=rows, number=page.number, num_pages=paginator.num_pages, total=paginator.count
    )


@dataclass(frozen=True)
class PlacementView:
    facility: str
    housing_unit: str
    started_at: datetime
    ended_at: datetime | None


@dataclass(frozen=True)
class BookingView:
    booking_number: str
    facility: str
    booked_at: datetime
    released_at: datetime | None
    placements: tuple[PlacementView, ...]

    @property
    def in_custody(self) -> bool:
        return self.released_at is None


@dataclass(frozen=True)
class CustodyPersonRecord:
    """What custody may know of a person: identity, language and where they are housed."""

    resident_number: str
    name: str
    date_of_birth: date
    sex: str
    language: str
    needs_interpreter: bool
    reads_without_help: bool
    bookings: tuple[BookingView, ...]


@dataclass(frozen=True)
class PersonRecord(CustodyPersonRecord):
    """What health staff may know of a person's roster record."""

    race_ethnicity: str


def person_record(*, actor: User, resident_number: str) -> PersonRecord | CustodyPersonRecord:
    """One person's roster record as the actor may see it; 404 outside the actor's scope."""
    placements = Placement.objects.select_related("housing_unit__facility").order_by(
        "started_at", "id"
    )
    person = (
        people_in_scope(actor)
        .filter(resident_number=resident_number)
        .prefetch_related(
            Prefetch(
                "bookings",
                bookings_in_scope(actor).select_related("facility").order_by("-booked_at"),
            ),
            Prefetch("bookings__placements", placements),
        )
        .first()
    )
    if person is None:
        raise Http404
    bookings = tuple(
        BookingView(
            booking_number=booking.booking_number,
            facility=booking.facility.name,
            booked_at=booking.booked_at,
            released_at=booking.released_at,
            placements=tuple(
                PlacementView(
                    facility=placement.housing_unit.facility.name,
                    housing_unit=placement.housing_unit.name,
                    started_at=placement.started_at,
                    ended_at=placement.ended_at,
                )
                for placement in booking.placements.all()
            ),
        )
        for booking in person.bookings.all()
    )
    custody_view = CustodyPersonRecord(
        resident_number=person.resident_number,
        name=f"{person.family_name}, {person.given_name}",
        date_of_birth=person.date_of_birth,
        sex=person.get_sex_display(),
        language=person.language,
        needs_interpreter=person.needs_interpreter,
        reads_without_help=person.reads_without_help,
        bookings=bookings,
    )
    record: PersonRecord | CustodyPersonRecord = custody_view
    if actor.role != Role.CUSTODY:
        record = PersonRecord(**vars(custody_view), race_ethnicity=person.race_ethnicity)
    housed_at = {
        placement.housing_unit.facility_id
        for booking in person.bookings.all()
        for placement in booking.placements.all()
    }
    record_read(
        actor=actor,
        action="person.read",
        facility=read_chain(actor, housed_at),
        person=person,
        records=[f"booking:{booking.pk}" for booking in person.bookings.all()],
        fields=[field.name for field in fields(record)],
    )
    return record
