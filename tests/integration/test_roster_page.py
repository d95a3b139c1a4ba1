from datetime import UTC, date, datetime, timedelta

import pytest
from django.test import Client, override_settings

from kiteline.accounts.models import Role, User
from kiteline.facilities.models import HousingUnit, Person
from kiteline.facilities.services import (
    PersonDetails,
    book_person,
    rebook_person,
    release_person,
    transfer_person,
)

T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


def book(unit: HousingUnit, n: int, family_name: str, given_name: str = "Wren") -> None:
    book_person(
        actor=None,
        details=PersonDetails(
            resident_number=f"R{n:07d}",
            given_name=given_name,
            family_name=family_name,
            date_of_birth=date(1988, 1, 1),
        ),
        housing_unit=unit,
        booked_at=T0,
        booking_number=f"B{n}",
    )


@pytest.fixture
def signed_in(client: Client, nurse: User) -> Client:
    client.force_login(nurse)
    return client


def test_the_roster_shows_each_persons_booking_and_housing(
    signed_in: Client, unit_a: HousingUnit
) -> None:
    book(unit_a, 1, "Testfield")
    page = signed_in.get("/roster/").context["page"]
    (row,) = page.rows
    assert (row.resident_number, row.booking_number, row.housing_unit) == (
        "R0000001",
        "B1",
        "A Pod",
    )
    assert row.facility == "North Test Jail"
    assert row.in_custody


@pytest.mark.parametrize("query", ["Sampleton", "sample", "R0000002", "b2", "wren sampleton"])
def test_search_finds_a_person_by_name_resident_number_or_booking_number(
    signed_in: Client, unit_a: HousingUnit, query: str
) -> None:
    book(unit_a, 1, "Testfield")
    book(unit_a, 2, "Sampleton")
    rows = signed_in.get("/roster/", {"q": query}).context["page"].rows
    assert [row.resident_number for row in rows] == ["R0000002"]


def test_people_released_show_only_when_asked_for(signed_in: Client, unit_a: HousingUnit) -> None:
    book(unit_a, 1, "Testfield")
    release_person(actor=None, booking=unit_a.facility.bookings.get(), at=T0 + timedelta(days=2))

    assert signed_in.get("/roster/").context["page"].rows == []
    (row,) = signed_in.get("/roster/", {"released": "1"}).context["page"].rows
    assert not row.in_custody
    assert b"Released 2026-03-03" in signed_in.get("/roster/", {"released": "1"}).content


@override_settings(ROSTER_PAGE_SIZE=2)
def test_the_roster_pages_in_name_order(signed_in: Client, unit_a: HousingUnit) -> None:
    for n, name in enumerate(["Ctest", "Atest", "Etest", "Btest", "Dtest"], start=1):
        book(unit_a, n, name)

    pages = [signed_in.get("/roster/", {"page": n}).context["page"] for n in (1, 2, 3)]

    assert [[r.name.split(",")[0] for r in p.rows] for p in pages] == [
        ["Atest", "Btest"],
        ["Ctest", "Dtest"],
        ["Etest"],
    ]
    assert (pages[0].num_pages, pages[0].total) == (3, 5)
    assert b'rel="next"' in signed_in.get("/roster/", {"page": 1}).content


def test_a_page_number_out_of_range_shows_the_last_page(
    signed_in: Client, unit_a: HousingUnit
) -> None:
    book(unit_a, 1, "Testfield")
    assert signed_in.get("/roster/", {"page": "99"}).context["page"].number == 1


def test_an_htmx_search_gets_only_the_table(signed_in: Client, unit_a: HousingUnit) -> None:
    book(unit_a, 1, "Testfield")
    response = signed_in.get("/roster/", {"q": "Testfield"}, headers={"HX-Request": "true"})
    assert b"<table" in response.content
    assert b"<html" not in response.content


def test_a_resident_account_cannot_open_the_roster(client: Client, unit_a: HousingUnit) -> None:
    book(unit_a, 1, "Testfield")
    resident = User.objects.create_user(
        username="resident",
        role=Role.RESIDENT,
        person=Person.objects.get(resident_number="R0000001"),
    )
    client.force_login(resident)
    assert client.get("/roster/").status_code == 404


def test_staff_see_only_people_held_at_their_facilities(
    signed_in: Client, unit_a: HousingUnit, south_unit: HousingUnit
) -> None:
    book(unit_a, 1, "Testfield")
    book(south_unit, 2, "Sampleton")
    rows = signed_in.get("/roster/").context["page"].rows
    assert [row.resident_number for row in rows] == ["R0000001"]


def test_a_transfer_away_leaves_the_stay_visible_to_the_sending_facility(
    signed_in: Client, unit_a: HousingUnit, south_unit: HousingUnit
) -> None:
    book(unit_a, 1, "Testfield")
    transfer_person(
        actor=None,
        booking=unit_a.facility.bookings.get(),
        to_unit=south_unit,
        at=T0 + timedelta(days=1),
    )
    assert signed_in.get("/roster/").context["page"].rows == []
    (row,) = signed_in.get("/roster/", {"released": "1"}).context["page"].rows
    assert row.facility == "South Test Jail"


def test_a_later_stay_held_wholly_elsewhere_never_shows_on_the_roster(
    signed_in: Client, unit_a: HousingUnit, south_unit: HousingUnit
) -> None:
    book(unit_a, 1, "Testfield")
    first = unit_a.facility.bookings.get()
    release_person(actor=None, booking=first, at=T0 + timedelta(days=1))
    rebook_person(
        actor=None,
        person=first.person,
        housing_unit=south_unit,
        booked_at=T0 + timedelta(days=5),
        booking_number="SOUTH-9",
    )
    (row,) = signed_in.get("/roster/", {"released": "1"}).context["page"].rows
    assert (row.booking_number, row.facility) == ("B1", "North Test Jail")
    assert not row.in_custody
    assert signed_in.get("/roster/", {"q": "SOUTH-9", "released": "1"}).context["page"].rows == []
