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
from kiteline.audit.recording import lock_chains, record_event
from kiteline.facilities.models import Booking, Facility, HousingUnit, Person, Placement, Sex
from kiteline.facilities.signals import booking_released, booking_transferred, bookings_started

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


def _record(
    action: str,
    *,
    actor: User | None,
    booking: Booking,
    placements: tuple[Placement, ...] = (),
    facility: Facility | None = None,
    fields: tuple[str, ...] = (),
) -> None:
    record_event(
        actor=actor,
        action=action,
        facility=facility or booking.facility,
        person=booking.person,
        subjects=[f"booking:{booking.pk}", *(f"placement:{p.pk}" for p in placements)],
        detail={"fields": list(fields)} if fields else None,
    )


def _start_booking(
    *,
    actor: User | None,
    action: str,
    person: Person,
    housing_unit: HousingUnit,
    booked_at: datetime,
    booking_number: str,
    fields: tuple[str, ...] = (),
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
    placement = Placement.objects.create(
        booking=booking, housing_unit=housing_unit, started_at=booked_at
    )
    _record(action, actor=actor, booking=booking, placements=(placement,), fields=fields)
    bookings_started.send(sender=Booking, bookings=[booking])
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
        actor=actor,
        action="roster.book",
        person=person,
        housing_unit=housing_unit,
        booked_at=booked_at,
        booking_number=booking_number,
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
    changed = _save_details(person, details) if details is not None else ()
    return _start_booking(
        actor=actor,
        action="roster.rebook",
        person=person,
        housing_unit=housing_unit,
        booked_at=booked_at,
        booking_number=booking_number,
        fields=changed,
    )


@transaction.atomic
def update_person_details(*, actor: User | None, person: Person, details: PersonDetails) -> Person:
    """Record corrected or changed details of a person, such as a name or a language."""
    person = Person.objects.select_for_update().get(pk=person.pk)
    changed = _save_details(person, details)
    latest = person.bookings.select_related("facility").order_by("-booked_at").first()
    record_event(
        actor=actor,
        action="person.update",
        facility=None if latest is None else latest.facility,
        person=person,
        detail={"fields": list(changed)},
    )
    return person


def _save_details(person: Person, details: PersonDetails) -> tuple[str, ...]:
    """Apply the details; the names of the fields that changed."""
    if details.resident_number != person.resident_number:
        raise RosterError("The details are for a different resident number.")
    before = PersonDetails.of(person)
    details.apply_to(person)
    person.full_clean()
    person.save()
    return tuple(name for name in vars(details) if getattr(details, name) != getattr(before, name))


def _change_placement(
    booking: Booking, to_unit: HousingUnit, at: datetime
) -> tuple[Placement, Placement]:
    """End the current placement at `at` and open the next; both, in that order."""
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
    return current, Placement.objects.create(booking=booking, housing_unit=to_unit, started_at=at)


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
    placements = _change_placement(booking, to_unit, at)
    _record("roster.move", actor=actor, booking=booking, placements=placements)
    return placements[1]


@transaction.atomic
def transfer_person(
    *, actor: User | None, booking: Booking, to_unit: HousingUnit, at: datetime
) -> Placement:
    """Transfer a person to another facility; the stay, and all that belongs to it, goes along."""
    _check_not_in_future(at, "transfer")
    booking = _lock_open_booking(booking)
    if to_unit.facility_id == booking.facility_id:
        raise RosterError(f"{to_unit} is in the same facility; that is a housing move.")
    placements = _change_placement(booking, to_unit, at)
    sending = booking.facility
    booking.facility = to_unit.facility
    booking.save(update_fields=["facility"])
    # Both facilities' chains hold the transfer: each keeps its own complete record.
    lock_chains([sending, booking.facility])
    _record(
        "roster.transfer_out", actor=actor, booking=booking, placements=placements, facility=sending
    )
    _record("roster.transfer_in", actor=actor, booking=booking, placements=placements)
    booking_transferred.send(
        sender=Booking, booking=booking, sending=sending, receiving=booking.facility, at=at
    )
    return placements[1]


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
    _record("roster.release", actor=actor, booking=booking, placements=(current,))
    booking_released.send(sender=Booking, booking=booking)
    return booking
