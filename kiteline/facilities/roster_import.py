"""The roster import: bring the roster to the state that a jail management system's extract shows.

Every change goes through the roster services, all in one transaction, so a file with any
error changes nothing. A row that already matches the roster changes nothing, so the same
extract can be imported again and again.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from kiteline.accounts.models import User
from kiteline.audit.recording import record_event
from kiteline.facilities.models import Booking, Facility, HousingUnit, Person, Placement
from kiteline.facilities.roster_csv import RosterRow, RowError
from kiteline.facilities.services import (
    PersonDetails,
    RosterError,
    book_person,
    move_housing,
    rebook_person,
    release_person,
    transfer_person,
    update_person_details,
)

OUTCOMES = ("booked", "rebooked", "moved", "transferred", "released", "updated", "unchanged")


@dataclass(frozen=True)
class ImportResult:
    """The booking numbers of each outcome; one row can both move and be released, say."""

    booked: tuple[str, ...] = ()
    rebooked: tuple[str, ...] = ()
    moved: tuple[str, ...] = ()
    transferred: tuple[str, ...] = ()
    released: tuple[str, ...] = ()
    updated: tuple[str, ...] = ()
    unchanged: tuple[str, ...] = ()

    @property
    def counts(self) -> dict[str, int]:
        return {outcome: len(getattr(self, outcome)) for outcome in OUTCOMES}


class RosterImportError(Exception):
    """An extract that was not imported, with every problem found and its line."""

    def __init__(self, errors: Iterable[RowError]) -> None:
        self.errors = tuple(sorted(errors, key=lambda error: error.line))
        super().__init__("\n".join(str(error) for error in self.errors))


@transaction.atomic
def import_roster(
    *, actor: User | None, rows: Iterable[RosterRow], dry_run: bool = False
) -> ImportResult:
    """Apply an extract's rows, or nothing at all: raises RosterImportError if any row fails.

    A dry run finds the same outcomes and errors, then rolls everything back.
    """
    # A person's stays never overlap, so in booking order the release of one stay is applied
    # before the same person's next booking, wherever the two rows are in the file.
    ordered = sorted(rows, key=lambda row: (row.booked_at, row.line))
    units, errors = _housing_units(ordered)
    # A person's details are those of their latest booking: older rows may hold older names.
    latest_row_of_resident = {row.resident_number: row for row in ordered}
    outcomes: dict[str, list[str]] = {outcome: [] for outcome in OUTCOMES}
    for row in ordered:
        unit = units.get((row.facility_code, row.housing_unit_code))
        if unit is None:
            continue
        latest = latest_row_of_resident[row.resident_number]
        try:
            # A savepoint per row: a refused row leaves nothing half done, and the rows after
            # it are still tried, so that every error is reported in one run.
            with transaction.atomic():
                done = _reconcile(
                    actor=actor,
                    row=row,
                    unit=unit,
                    details=_details(latest),
                    details_are_current=latest is row,
                )
        except RosterError as error:
            errors.append(RowError(row.line, str(error)))
        except ValidationError as error:
            errors.append(RowError(row.line, _explain(error)))
        except IntegrityError:
            # Another writer changed the same booking or person meanwhile.
            errors.append(RowError(row.line, "The roster changed while importing; run it again."))
        else:
            for outcome in done or ["unchanged"]:
                outcomes[outcome].append(row.booking_number)
    if errors:
        raise RosterImportError(errors)
    result = ImportResult(
        **{outcome: tuple(sorted(numbers)) for outcome, numbers in outcomes.items()}
    )
    # Each change recorded its own event; this one records that the import ran, and its sum.
    record_event(actor=actor, action="roster.import", facility=None, detail=result.counts)
    if dry_run:
        transaction.set_rollback(True)
    return result


def _housing_units(
    rows: list[RosterRow],
) -> tuple[dict[tuple[str, str], HousingUnit], list[RowError]]:
    codes = {row.facility_code for row in rows}
    facilities = set(Facility.objects.filter(code__in=codes).values_list("code", flat=True))
    units = {
        (unit.facility.code, unit.code): unit
        for unit in HousingUnit.objects.select_related("facility").filter(facility__code__in=codes)
    }
    errors = []
    for row in rows:
        if row.facility_code not in facilities:
            errors.append(
                RowError(row.line, f"There is no facility with code {row.facility_code}.")
            )
        elif (row.facility_code, row.housing_unit_code) not in units:
            errors.append(
                RowError(
                    row.line,
                    f"Facility {row.facility_code} has no housing unit with code "
                    f"{row.housing_unit_code}.",
                )
            )
    return units, errors


def _details(row: RosterRow) -> PersonDetails:
    return PersonDetails(
        resident_number=row.resident_number,
        given_name=row.given_name,
        family_name=row.family_name,
        date_of_birth=row.date_of_birth,
        sex=row.sex,
        language=row.language,
        needs_interpreter=row.needs_interpreter,
        reads_without_help=row.reads_without_help,
        race_ethnicity=row.race_ethnicity,
    )


def _reconcile(
    *,
    actor: User | None,
    row: RosterRow,
    unit: HousingUnit,
    details: PersonDetails,
    details_are_current: bool,
) -> list[str]:
    """Make one booking match its row; the outcomes, none when it already matched."""
    booking = (
        Booking.objects.select_related("person").filter(booking_number=row.booking_number).first()
    )
    if booking is None:
        return _book(actor=actor, row=row, unit=unit, details=details)
    if booking.person.resident_number != row.resident_number:
        raise RosterError(
            f"Booking {booking.booking_number} is of resident {booking.person.resident_number}, "
            f"not {row.resident_number}."
        )
    if booking.booked_at != row.booked_at:
        raise RosterError(
            f"Booking {booking.booking_number} was booked at {booking.booked_at.isoformat()}, "
            f"not {row.booked_at.isoformat()}; a booking time cannot be changed."
        )
    done = []
    # Only the person's latest booking speaks for who they are now.
    if (
        details_are_current
        and PersonDetails.of(booking.person) != details
        and not booking.person.bookings.filter(booked_at__gt=booking.booked_at).exists()
    ):
        update_person_details(actor=actor, person=booking.person, details=details)
        done.append("updated")
    if booking.released_at is not None:
        _check_release_matches(booking=booking, released_at=booking.released_at, row=row, unit=unit)
        return done
    current = _last_placement(booking)
    if current.housing_unit_id != unit.pk:
        if unit.facility_id == booking.facility_id:
            move_housing(actor=actor, booking=booking, to_unit=unit, at=row.housed_at)
            done.append("moved")
        else:
            transfer_person(actor=actor, booking=booking, to_unit=unit, at=row.housed_at)
            done.append("transferred")
    if row.released_at is not None:
        release_person(actor=actor, booking=booking, at=row.released_at)
        done.append("released")
    return done


def _book(
    *, actor: User | None, row: RosterRow, unit: HousingUnit, details: PersonDetails
) -> list[str]:
    # The extract shows only the current unit: what happened between booking and housed_at is
    # unknown, so the stay is recorded in that unit from the booking time.
    person = Person.objects.filter(resident_number=row.resident_number).first()
    if person is None:
        booking = book_person(
            actor=actor,
            details=details,
            housing_unit=unit,
            booked_at=row.booked_at,
            booking_number=row.booking_number,
        )
        done = ["booked"]
    else:
        booking = rebook_person(
            actor=actor,
            person=person,
            housing_unit=unit,
            booked_at=row.booked_at,
            booking_number=row.booking_number,
            details=details,
        )
        done = ["rebooked"]
    if row.released_at is not None:
        release_person(actor=actor, booking=booking, at=row.released_at)
        done.append("released")
    return done


def _last_placement(booking: Booking) -> Placement:
    placement = booking.placements.select_related("housing_unit").last()
    if placement is None:
        raise RosterError(f"Booking {booking.booking_number} has no housing recorded.")
    return placement


def _check_release_matches(
    *, booking: Booking, released_at: datetime, row: RosterRow, unit: HousingUnit
) -> None:
    number = booking.booking_number
    if row.released_at is None:
        raise RosterError(
            f"Booking {number} was released at {released_at.isoformat()}; the file shows it "
            "in custody, and a release cannot be undone."
        )
    if row.released_at != released_at:
        raise RosterError(
            f"Booking {number} was released at {released_at.isoformat()}, not "
            f"{row.released_at.isoformat()}; a release time cannot be changed."
        )
    last_unit = _last_placement(booking).housing_unit
    if last_unit.pk != unit.pk:
        raise RosterError(
            f"Booking {number} was released from {last_unit}, not from "
            f"{row.housing_unit_code} at {row.facility_code}; a released booking cannot move."
        )


def _explain(error: ValidationError) -> str:
    return " ".join(
        f"{field}: {' '.join(messages)}" for field, messages in error.message_dict.items()
    )
