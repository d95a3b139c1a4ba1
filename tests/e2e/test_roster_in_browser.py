from datetime import UTC, datetime

from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from kiteline.accounts.models import User
from kiteline.facilities.models import HousingUnit
from kiteline.facilities.services import PersonDetails, book_person


def book(unit: HousingUnit, number: int, family_name: str) -> None:
    book_person(
        actor=None,
        details=PersonDetails(
            resident_number=f"R{number:07d}",
            given_name="Alder",
            family_name=family_name,
            date_of_birth=datetime(1990, 5, 1, tzinfo=UTC).date(),
        ),
        housing_unit=unit,
        booked_at=datetime(2026, 3, 1, 8, 0, tzinfo=UTC),
        booking_number=f"B2026{number:06d}",
    )


def test_a_nurse_signs_in_and_finds_a_resident_on_the_roster(
    live_server: LiveServer, page: Page, nurse: User, unit_a: HousingUnit
) -> None:
    book(unit_a, 1, "Testfield")
    book(unit_a, 2, "Sampleton")

    page.goto(f"{live_server.url}/roster/")
    expect(page.get_by_role("heading", name="Staff sign-in")).to_be_visible()
    page.get_by_label("Username").fill("test-nurse")
    page.get_by_label("Password").fill("a-test-password")
    page.get_by_role("button", name="Sign in").click()

    expect(page.get_by_role("heading", name="Roster")).to_be_visible()
    expect(page.get_by_text("2 people")).to_be_visible()

    page.get_by_label("Search by name, resident number or booking number").fill("Sampleton")
    expect(page.get_by_text("1 person")).to_be_visible()
    row = page.get_by_role("row", name="R0000002")
    expect(row).to_contain_text("A Pod")
    expect(row).to_contain_text("In custody")
    expect(page.get_by_role("row", name="R0000001")).to_have_count(0)
