import re
from datetime import date, datetime

from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from kiteline.accounts.kiosk_services import issue_pin
from kiteline.accounts.models import Role, User
from kiteline.facilities.models import Facility, HousingUnit
from kiteline.facilities.services import PersonDetails, book_person
from kiteline.kites.models import Kite, Status
from tests.e2e.steps import register_kiosk


def test_a_resident_asks_for_therapy_and_sees_it_waiting_with_a_time(
    live_server: LiveServer,
    page: Page,
    facility: Facility,
    unit_a: HousingUnit,
    nurse: User,
    jan_first: datetime,
) -> None:
    supervisor = User.objects.create_user(
        username="test-supervisor", password="a-test-password", role=Role.SUPERVISOR
    )
    supervisor.facilities.add(facility)
    details = PersonDetails(
        resident_number="R0000001",
        given_name="Alder",
        family_name="Testfield",
        date_of_birth=date(1990, 1, 1),
        language="en",
    )
    person = book_person(
        actor=None, details=details, housing_unit=unit_a, booked_at=jan_first, booking_number="B1"
    ).person
    temporary_pin = issue_pin(actor=nurse, person=person)

    # The supervisor makes this browser a kiosk, as in test_kiosk_in_browser.
    register_kiosk(page, live_server.url, "test-supervisor", "North Test Jail")

    # The resident signs in and replaces the slip's PIN with their own.
    page.get_by_label("Your resident number").fill("R0000001")
    page.get_by_label("Your PIN").fill(temporary_pin)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_label("The PIN you signed in with").fill(temporary_pin)
    page.get_by_label("Your new PIN", exact=True).fill("2580")
    page.get_by_label("Your new PIN again").fill("2580")
    page.get_by_role("button", name="Save my PIN").click()

    # They ask for therapy, in their own words.
    page.get_by_role("link", name="Ask to see someone").click()
    page.get_by_label("Therapy").check()
    page.get_by_label("In your own words").fill("I keep having bad dreams and want to talk.")
    page.get_by_role("button", name="Send my request").click()

    expect(page.get_by_role("heading", name="We got your request")).to_be_visible()
    kite = Kite.objects.get()
    expect(page.locator(".number strong")).to_have_text(kite.number)
    expect(page.locator(".number strong")).to_have_text(re.compile(r"K\d{6}"))
    expect(
        page.get_by_text(re.compile(r"^Received \w+day, \w+ \d+ at \d\d:\d\d\.$"))
    ).to_be_visible()
    expect(page.get_by_role("alert")).to_have_count(0)
    assert (kite.topic, kite.text) == ("therapy", "I keep having bad dreams and want to talk.")

    # My requests: it waits for a nurse, with a time it will be read by.
    page.get_by_role("link", name="My requests").click()
    expect(page.get_by_role("heading", name="My requests")).to_be_visible()
    item = page.locator(".requests > li")
    expect(item).to_have_count(1)
    expect(item).to_contain_text(kite.number)
    expect(item).to_contain_text("Sent. Waiting to be read.")
    expect(item).to_contain_text(
        re.compile(r"A nurse will read your request by \w+day, \w+ \d+ at \d\d:\d\d\.")
    )
    # Their own words are not on the first screen of the shared device.
    expect(item).not_to_contain_text("bad dreams")
    expect(page.get_by_role("heading", name="Where to get help now")).to_be_visible()

    # Their own words open on the request's page, folded until asked for.
    item.get_by_role("link").click()
    words = page.get_by_text("I keep having bad dreams and want to talk.")
    expect(words).to_be_hidden()
    page.get_by_text("Show what I wrote").click()
    expect(words).to_be_visible()
    assert Kite.objects.get().status == Status.RECEIVED
