from datetime import UTC, date, datetime, timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from kiteline.accounts.models import User
from kiteline.facilities.models import Booking, HousingUnit, Person, Placement
from kiteline.facilities.services import (
    PersonDetails,
    RosterError,
    book_person,
    move_housing,
    rebook_person,
    release_person,
    transfer_person,
)

T0 = datetime(2026, 2, 1, 9, 30, tzinfo=UTC)


def details(number: str = "R0000001", **changes: object) -> PersonDetails:
    values: dict[str, object] = {
        "resident_number": number,
        "given_name": "Alder",
        "family_name": "Testfield",
        "date_of_birth": date(1991, 4, 2),
        "language": "es",
        "needs_interpreter": True,
    }
    values.update(changes)
    return PersonDetails(**values)  # type: ignore[arg-type]


def book(unit: HousingUnit, actor: User, at: datetime = T0, number: str = "B1") -> Booking:
    return book_person(
        actor=actor, details=details(), housing_unit=unit, booked_at=at, booking_number=number
    )


def housing_history(booking: Booking) -> list[tuple[str, datetime, datetime | None]]:
    return [
        (p.housing_unit.code, p.started_at, p.ended_at)
        for p in booking.placements.select_related("housing_unit")
    ]


def test_booking_creates_the_person_their_stay_and_their_first_housing(
    unit_a: HousingUnit, nurse: User
) -> None:
    booking = book(unit_a, nurse)

    person = Person.objects.get(resident_number="R0000001")
    assert booking.person == person
    assert person.language == "es"
    assert person.needs_interpreter
    assert booking.facility == unit_a.facility
    assert booking.is_open
    assert housing_history(booking) == [("A", T0, None)]


def test_booking_a_person_already_known_is_refused_and_points_to_re_booking(
    unit_a: HousingUnit, nurse: User
) -> None:
    book(unit_a, nurse)
    with pytest.raises(RosterError, match="re-book"):
        book(unit_a, nurse, number="B2")
    assert Booking.objects.count() == 1


def test_a_booking_time_in_the_future_is_refused(unit_a: HousingUnit, nurse: User) -> None:
    with pytest.raises(RosterError, match="in the future"):
        book(unit_a, nurse, at=timezone.now() + timedelta(hours=1))
    assert not Person.objects.exists()


def test_a_booking_number_already_used_is_refused_and_nothing_is_written(
    unit_a: HousingUnit, nurse: User
) -> None:
    book(unit_a, nurse)
    with pytest.raises(RosterError, match="already in use"):
        book_person(
            actor=nurse,
            details=details("R0000002"),
            housing_unit=unit_a,
            booked_at=T0,
            booking_number="B1",
        )
    assert not Person.objects.filter(resident_number="R0000002").exists()


def test_re_booking_keeps_the_earlier_stay_and_refreshes_the_details(
    unit_a: HousingUnit, unit_b: HousingUnit, nurse: User
) -> None:
    first = book(unit_a, nurse)
    release_person(actor=nurse, booking=first, at=T0 + timedelta(days=10))

    second = rebook_person(
        actor=nurse,
        person=first.person,
        housing_unit=unit_b,
        booked_at=T0 + timedelta(days=40),
        booking_number="B2",
        details=details(language="en", needs_interpreter=False),
    )

    person = Person.objects.get()
    assert list(person.bookings.order_by("booked_at")) == [first, second]
    assert person.language == "en"
    assert not person.needs_interpreter
    assert housing_history(second) == [("B", T0 + timedelta(days=40), None)]


def test_re_booking_someone_still_in_custody_is_refused(unit_a: HousingUnit, nurse: User) -> None:
    booking = book(unit_a, nurse)
    with pytest.raises(RosterError, match="still in custody"):
        rebook_person(
            actor=nurse,
            person=booking.person,
            housing_unit=unit_a,
            booked_at=T0 + timedelta(days=1),
            booking_number="B2",
        )


def test_re_booking_before_the_last_release_is_refused(unit_a: HousingUnit, nurse: User) -> None:
    booking = book(unit_a, nurse)
    release_person(actor=nurse, booking=booking, at=T0 + timedelta(days=10))
    with pytest.raises(RosterError, match="was released at"):
        rebook_person(
            actor=nurse,
            person=booking.person,
            housing_unit=unit_a,
            booked_at=T0 + timedelta(days=5),
            booking_number="B2",
        )


def test_a_housing_move_closes_one_placement_where_the_next_opens(
    unit_a: HousingUnit, unit_b: HousingUnit, nurse: User
) -> None:
    booking = book(unit_a, nurse)
    moved_at = T0 + timedelta(days=3)

    move_housing(actor=nurse, booking=booking, to_unit=unit_b, at=moved_at)

    assert housing_history(booking) == [("A", T0, moved_at), ("B", moved_at, None)]


def test_a_move_to_another_facility_is_refused_as_a_move(
    unit_a: HousingUnit, south_unit: HousingUnit, nurse: User
) -> None:
    booking = book(unit_a, nurse)
    with pytest.raises(RosterError, match="transfer"):
        move_housing(actor=nurse, booking=booking, to_unit=south_unit, at=T0 + timedelta(days=1))
    assert housing_history(booking) == [("A", T0, None)]


def test_a_move_dated_before_the_current_placement_is_refused(
    unit_a: HousingUnit, unit_b: HousingUnit, nurse: User
) -> None:
    booking = book(unit_a, nurse)
    with pytest.raises(RosterError, match="after"):
        move_housing(actor=nurse, booking=booking, to_unit=unit_b, at=T0 - timedelta(hours=1))


def test_a_transfer_carries_the_stay_to_the_next_facility(
    unit_a: HousingUnit, south_unit: HousingUnit, nurse: User
) -> None:
    booking = book(unit_a, nurse)
    moved_at = T0 + timedelta(days=2)

    transfer_person(actor=nurse, booking=booking, to_unit=south_unit, at=moved_at)

    booking.refresh_from_db()
    assert booking.facility == south_unit.facility
    assert booking.is_open
    assert Booking.objects.count() == 1
    assert housing_history(booking) == [("A", T0, moved_at), ("S1", moved_at, None)]


def test_a_transfer_within_the_same_facility_is_refused(
    unit_a: HousingUnit, unit_b: HousingUnit, nurse: User
) -> None:
    booking = book(unit_a, nurse)
    with pytest.raises(RosterError, match="same facility"):
        transfer_person(actor=nurse, booking=booking, to_unit=unit_b, at=T0 + timedelta(days=1))


def test_release_ends_the_stay_and_its_housing(unit_a: HousingUnit, nurse: User) -> None:
    booking = book(unit_a, nurse)
    released_at = T0 + timedelta(days=30)

    release_person(actor=nurse, booking=booking, at=released_at)

    booking.refresh_from_db()
    assert booking.released_at == released_at
    assert booking.status == "released"
    assert housing_history(booking) == [("A", T0, released_at)]


def test_nothing_can_move_or_release_a_stay_already_released(
    unit_a: HousingUnit, unit_b: HousingUnit, nurse: User
) -> None:
    booking = book(unit_a, nurse)
    release_person(actor=nurse, booking=booking, at=T0 + timedelta(days=1))
    later = T0 + timedelta(days=2)
    with pytest.raises(RosterError, match="already released"):
        release_person(actor=nurse, booking=booking, at=later)
    with pytest.raises(RosterError, match="already released"):
        move_housing(actor=nurse, booking=booking, to_unit=unit_b, at=later)


def test_the_database_refuses_a_second_open_booking_for_one_person(
    unit_a: HousingUnit, nurse: User
) -> None:
    booking = book(unit_a, nurse)
    with pytest.raises(IntegrityError), transaction.atomic():
        Booking.objects.create(
            person=booking.person, booking_number="B2", facility=unit_a.facility, booked_at=T0
        )


def test_the_database_refuses_a_second_open_placement_for_one_stay(
    unit_a: HousingUnit, unit_b: HousingUnit, nurse: User
) -> None:
    booking = book(unit_a, nurse)
    with pytest.raises(IntegrityError), transaction.atomic():
        Placement.objects.create(booking=booking, housing_unit=unit_b, started_at=T0)
