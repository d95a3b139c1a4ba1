from datetime import UTC, date, datetime, timedelta

import pytest
from django.test import Client

from kiteline.accounts.allowlists import CUSTODY_ALLOWED_FIELDS
from kiteline.accounts.models import Role, User
from kiteline.facilities.models import Facility, HousingUnit
from kiteline.facilities.selectors import CustodyPersonRecord, PersonRecord, person_record
from kiteline.facilities.services import (
    PersonDetails,
    book_person,
    rebook_person,
    release_person,
    transfer_person,
)

T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


@pytest.fixture
def booked(unit_a: HousingUnit) -> str:
    book_person(
        actor=None,
        details=PersonDetails(
            resident_number="R0000001",
            given_name="Alder",
            family_name="Testfield",
            date_of_birth=date(1990, 5, 1),
            race_ethnicity="Recorded value",
        ),
        housing_unit=unit_a,
        booked_at=T0,
        booking_number="B1",
    )
    return "R0000001"


def staff_member(role: Role, *facilities: Facility) -> User:
    user = User.objects.create_user(username=f"test-{role}", role=role)
    user.facilities.set(facilities)
    return user


def test_a_nurse_sees_the_persons_stays_and_housing(
    client: Client, nurse: User, booked: str
) -> None:
    client.force_login(nurse)
    response = client.get(f"/people/{booked}/")
    assert response.status_code == 200
    record = response.context["person"]
    assert isinstance(record, PersonRecord)
    assert record.race_ethnicity == "Recorded value"
    (booking,) = record.bookings
    assert [p.housing_unit for p in booking.placements] == ["A Pod"]


def test_a_person_outside_the_actors_facilities_is_not_found(
    client: Client, booked: str, other_facility: Facility
) -> None:
    client.force_login(staff_member(Role.CLINICIAN, other_facility))
    assert client.get(f"/people/{booked}/").status_code == 404
    assert client.get("/people/R9999999/").status_code == 404


def test_custody_gets_a_record_with_allow_listed_fields_only(
    facility: Facility, booked: str
) -> None:
    record = person_record(actor=staff_member(Role.CUSTODY, facility), resident_number=booked)
    assert type(record) is CustodyPersonRecord
    assert set(vars(record)) <= CUSTODY_ALLOWED_FIELDS["person"]
    for booking in record.bookings:
        assert set(vars(booking)) <= CUSTODY_ALLOWED_FIELDS["booking"]
        for placement in booking.placements:
            assert set(vars(placement)) <= CUSTODY_ALLOWED_FIELDS["placement"]


def test_the_custody_page_does_not_show_what_custody_may_not_see(
    client: Client, facility: Facility, booked: str
) -> None:
    client.force_login(staff_member(Role.CUSTODY, facility))
    assert b"Recorded value" not in client.get(f"/people/{booked}/").content


def test_a_stay_held_wholly_elsewhere_is_left_out(
    unit_a: HousingUnit, south_unit: HousingUnit, facility: Facility, other_facility: Facility
) -> None:
    booking = book_person(
        actor=None,
        details=PersonDetails(
            resident_number="R0000002",
            given_name="Wren",
            family_name="Sampleton",
            date_of_birth=date(1985, 1, 1),
        ),
        housing_unit=south_unit,
        booked_at=T0,
        booking_number="B-SOUTH",
    )
    release_person(actor=None, booking=booking, at=T0 + timedelta(days=1))
    second = rebook_person(
        actor=None,
        person=booking.person,
        housing_unit=south_unit,
        booked_at=T0 + timedelta(days=5),
        booking_number="B-BOTH",
    )
    transfer_person(actor=None, booking=second, to_unit=unit_a, at=T0 + timedelta(days=6))

    record = person_record(actor=staff_member(Role.NURSE, facility), resident_number="R0000002")
    assert [b.booking_number for b in record.bookings] == ["B-BOTH"]
    record = person_record(
        actor=staff_member(Role.CLINICIAN, other_facility), resident_number="R0000002"
    )
    assert [b.booking_number for b in record.bookings] == ["B-BOTH", "B-SOUTH"]


@pytest.mark.parametrize(("role", "offered"), [(Role.NURSE, True), (Role.CUSTODY, False)])
def test_the_pin_slip_is_offered_only_to_roles_that_may_issue_it(
    client: Client, facility: Facility, booked: str, role: Role, offered: bool
) -> None:
    client.force_login(staff_member(role, facility))
    response = client.get(f"/people/{booked}/")
    assert (b"/kiosk/pins/R0000001/issue/" in response.content) is offered
