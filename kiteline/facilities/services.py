"""Every write to the roster: booking, re-booking, housing moves, transfers and release.

Each service takes the acting user (None for a system process such as the roster import
run from the command line), runs in one transaction and refuses an impossible change with
a RosterError that says what is wrong.
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db import transaction
from django.utils import timezone

from kiteline.accounts.models import User
from kiteline.facilities.models import Booking, HousingUnit, Person, Placement, Sex

# Clocks on a jail management system and on this server never agree exactly.
CLOCK_SKEW = timedelta(minutes=5)


class RosterError(ValueError):
    """A roster change that cannot be made, with the reason in plain words."""


@dataclass(frozen=True)
class PersonDetails:
    resident_number: str
    given_name: str
    family_name: str
    date_of_birth: date
    sex: str = Sex.UNKNOWN
    language: str = "en"
    needs_interpreter: bool = False
    reads_without_help: bool = True
    race_ethnicity: str = ""

    @classmethod
    def of(cls, person: Person) -> "PersonDetails":
        return cls(
            resident_number=person.resident_number,
            given_name=person.given_name,
            family_name=person.family_name,
            date_of_birth=person.date_of_birth,
            sex=person.sex,
            language=person.language,
            needs_interpreter=person.needs_interpreter,
            reads_without_help=person.reads_without_help,
            race_ethnicity=person.race_ethnicity,
        )

    def apply_to(self, person: Person) -> None:
        person.given_name = self.given_name
        person.family_name = self.family_name
        person.date_of_birth = self.date_of_birth
        person.sex = self.sex
        person.language = self.language
        person.needs_interpreter = self.needs_interpreter
        person.reads_without_help = self.reads_without_help
        person.race_ethnicity = self.race_ethnicity


def _check_not_in_future(moment: datetime, what: str) -> None:
    if timezone.is_naive(moment):
        raise RosterError(f"The {what} time has no time zone.")
    if moment > timezone.now() + CLOCK_SKEW:
        raise RosterError(f"The {what} time {moment.isoformat()} is in the future.")


def _open_placement(booking: Booking) -> Placement:
    placement = booking.placements.select_for_update().filter(ended_at__isnull=True).first()
    if placement is None:
        raise RosterError(f"Booking {booking.booking_number} has no current housing.")
    return placement


def _lock_open_booking(booking: Booking) -> Booking:
    locked = Booking.objects.select_for_update().get(pk=booking.pk)
    if not locked.is_open:
        raise RosterError(f"Booking {booking.booking_number} was already released.")
    return locked


def _start_booking(
    *, person: Person, housing_unit: HousingUnit, booked_at: datetime, booking_number: str
) -> Booking:
    _check_not_in_future(booked_at, "booking")
    if Booking.objects.filter(booking_number=booking_number).exists():
        raise RosterError(f"Booking number {booking_number} is already in use.")
    booking = Booking.objects.create(
        person=person,
        booking_number=booking_number,
        facility=housing_unit.facility,
        booked_at=booked_at,
    )
    Placement.objects.create(booking=booking, housing_unit=housing_unit, started_at=booked_at)
    return booking


@transaction.atomic
def book_person(
    *,
    actor: User | None,
    details: PersonDetails,
    housing_unit: HousingUnit,
    booked_at: datetime,
    booking_number: str,
) -> Booking:
    """Book someone never booked before: create the person and their first stay."""
    if Person.objects.filter(resident_number=details.resident_number).exists():
        raise RosterError(
            f"Resident {details.resident_number} is already known; re-book them instead."
        )
    person = Person(resident_number=details.resident_number)
    details.apply_to(person)
    person.full_clean()
    person.save()
    return _start_booking(
        person=person, housing_unit=housing_unit, booked_at=booked_at, booking_number=booking_number
    )


@transaction.atomic
def rebook_person(
    *,
    actor: User | None,
    person: Person,
    housing_unit: HousingUnit,
    booked_at: datetime,
    booking_number: str,
    details: PersonDetails | None = None,
) -> Booking:
    """Book a person already known, keeping their history; optionally refresh their details."""
    person = Person.objects.select_for_update().get(pk=person.pk)
    if person.bookings.filter(released_at__isnull=True).exists():
        raise RosterError(f"Resident {person.resident_number} is still in custody.")
    last = person.bookings.order_by("-released_at").first()
    if last is not None and last.released_at is not None and booked_at < last.released_at:
        raise RosterError(
            f"Resident {person.resident_number} was released at {last.released_at.isoformat()}, "
            "after this booking time."
        )
    if details is not None:
        _save_details(person, details)
    return _start_booking(
        person=person, housing_unit=housing_unit, booked_at=booked_at, booking_number=booking_number
    )


@transaction.atomic
def update_person_details(*, actor: User | None, person: Person, details: PersonDetails) -> Person:
    """Record corrected or changed details of a person, such as a name or a language."""
    person = Person.objects.select_for_update().get(pk=person.pk)
    _save_details(person, details)
    return person


def _save_details(person: Person, details: PersonDetails) -> None:
    if details.resident_number != person.resident_number:
        raise RosterError("The details are for a different resident number.")
    details.apply_to(person)
    person.full_clean()
    person.save()


def _change_placement(booking: Booking, to_unit: HousingUnit, at: datetime) -> Placement:
    current = _open_placement(booking)
    if current.housing_unit_id == to_unit.pk:
        raise RosterError(f"Booking {booking.booking_number} is already housed in {to_unit}.")
    if at < current.started_at:
        raise RosterError(
            f"Booking {booking.booking_number} moved into its current housing at "
            f"{current.started_at.isoformat()}, after {at.isoformat()}."
        )
    current.ended_at = at
    current.save(update_fields=["ended_at"])
    return Placement.objects.create(booking=booking, housing_unit=to_unit, started_at=at)


@transaction.atomic
def move_housing(
    *, actor: User | None, booking: Booking, to_unit: HousingUnit, at: datetime
) -> Placement:
    """Move a person to another housing unit of the same facility."""
    _check_not_in_future(at, "move")
    booking = _lock_open_booking(booking)
    if to_unit.facility_id != booking.facility_id:
        raise RosterError(
            f"{to_unit} is in another facility; a move to another facility is a transfer."
        )
    return _change_placement(booking, to_unit, at)


@transaction.atomic
def transfer_person(
    *, actor: User | None, booking: Booking, to_unit: HousingUnit, at: datetime
) -> Placement:
    """Transfer a person to another facility; the stay, and all that belongs to it, goes along."""
    _check_not_in_future(at, "transfer")
    booking = _lock_open_booking(booking)
    if to_unit.facility_id == booking.facility_id:
        raise RosterError(f"{to_unit} is in the same facility; that is a housing move.")
    placement = _change_placement(booking, to_unit, at)
    booking.facility = to_unit.facility
    booking.save(update_fields=["facility"])
    return placement


@transaction.atomic
def release_person(*, actor: User | None, booking: Booking, at: datetime) -> Booking:
    """Release a person: the stay and its current housing end at `at`."""
    _check_not_in_future(at, "release")
    booking = _lock_open_booking(booking)
    current = _open_placement(booking)
    if at < current.started_at:
        raise RosterError(
            f"Booking {booking.booking_number} moved into its current housing at "
            f"{current.started_at.isoformat()}, after the release time {at.isoformat()}."
        )
    current.ended_at = at
    current.save(update_fields=["ended_at"])
    booking.released_at = at
    booking.save(update_fields=["released_at"])
    return booking
