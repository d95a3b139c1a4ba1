"""The two stories in one browser each: a request from the kiosk to its answer, and crisis
words at the kiosk reaching the on-call clinician and custody at once."""

from datetime import date, datetime, timedelta

from django.utils import timezone
from playwright.sync_api import Browser, Page, expect
from pytest_django.live_server_helper import LiveServer

from kiteline.accounts.kiosk_services import issue_pin
from kiteline.accounts.models import Role, User
from kiteline.facilities.models import Facility, HousingUnit
from kiteline.facilities.services import PersonDetails, book_person
from kiteline.kites.models import Kite
from kiteline.kites.standards import schedule_on_call
from tests.e2e.steps import PASSWORD, register_kiosk, staff_sign_in


def test_a_request_asked_at_the_kiosk_is_triaged_seen_and_answered(
    live_server: LiveServer,
    page: Page,
    browser: Browser,
    facility: Facility,
    unit_a: HousingUnit,
    nurse: User,
    jan_first: datetime,
) -> None:
    for username, role in (
        ("test-supervisor", Role.SUPERVISOR),
        ("test-clinician", Role.CLINICIAN),
    ):
        User.objects.create_user(username=username, password=PASSWORD, role=role).facilities.add(
            facility
        )
    person = book_person(
        actor=None,
        details=PersonDetails(
            resident_number="R0000001",
            given_name="Alder",
            family_name="Testfield",
            date_of_birth=date(1990, 1, 1),
        ),
        housing_unit=unit_a,
        booked_at=jan_first,
        booking_number="B1",
    ).person
    pin = issue_pin(actor=nurse, person=person)

    # At the kiosk: registered by the supervisor, then the resident signs in and asks.
    kiosk = page
    register_kiosk(kiosk, live_server.url, "test-supervisor", "North Test Jail")
    kiosk.get_by_label("Your resident number").fill("R0000001")
    kiosk.get_by_label("Your PIN").fill(pin)
    kiosk.get_by_role("button", name="Sign in").click()
    kiosk.get_by_label("The PIN you signed in with").fill(pin)
    kiosk.get_by_label("Your new PIN", exact=True).fill("2580")
    kiosk.get_by_label("Your new PIN again").fill("2580")
    kiosk.get_by_role("button", name="Save my PIN").click()
    kiosk.get_by_role("link", name="Ask to see someone").click()
    kiosk.get_by_label("Therapy").check()
    kiosk.get_by_label("In your own words").fill("I cannot sleep and I feel on edge.")
    kiosk.get_by_role("button", name="Send my request").click()
    expect(kiosk.get_by_role("heading", name="We got your request")).to_be_visible()
    number = Kite.objects.get().number

    # In the health unit, on another computer: the nurse triages from the queue.
    context = browser.new_context()
    desk = context.new_page()
    staff_sign_in(desk, f"{live_server.url}/kites/", "test-nurse")
    desk.get_by_role("row", name=number).get_by_role("link", name=number).click()
    expect(desk.get_by_text("I cannot sleep and I feel on edge.")).to_be_visible()
    desk.get_by_label("Routine").check()
    desk.get_by_label("Yes").check()
    desk.get_by_role("button", name="Save triage").click()
    expect(desk.get_by_text(f"Triaged {number}.")).to_be_visible()
    desk.get_by_role("button", name="Sign out").click()

    # The clinician sees the resident and records the contact.
    staff_sign_in(desk, f"{live_server.url}/kites/{Kite.objects.get().pk}/", "test-clinician")
    desk.get_by_label("Where").select_option(label="Confidential room")
    desk.get_by_label("Brief note").fill("Sleep routine agreed.")
    desk.get_by_label("Outcome").select_option(label="Resolved")
    desk.get_by_role("button", name="Record the contact").click()
    expect(desk.get_by_text(f"Recorded the contact for {number}.")).to_be_visible()
    context.close()

    # Back at the kiosk, the resident reads the answer in plain words.
    kiosk.get_by_role("link", name="My requests").click()
    item = kiosk.locator(".requests > li")
    expect(item).to_contain_text(number)
    item.get_by_role("link").click()
    expect(kiosk.get_by_text("This request is done.")).to_be_visible()
    expect(kiosk.get_by_role("heading", name="Where to get help now")).to_be_visible()


def test_crisis_words_at_the_kiosk_reach_the_on_call_clinician_and_custody_at_once(
    live_server: LiveServer,
    page: Page,
    browser: Browser,
    facility: Facility,
    unit_a: HousingUnit,
    nurse: User,
    jan_first: datetime,
) -> None:
    users = {
        name: User.objects.create_user(username=name, password=PASSWORD, role=role)
        for name, role in (
            ("test-supervisor", Role.SUPERVISOR),
            ("test-clinician", Role.CLINICIAN),
            ("test-officer", Role.CUSTODY),
        )
    }
    for user in users.values():
        user.facilities.add(facility)
    schedule_on_call(
        actor=users["test-supervisor"],
        facility=facility,
        clinician=users["test-clinician"],
        starts_at=jan_first,
        ends_at=timezone.now() + timedelta(hours=8),
    )
    person = book_person(
        actor=None,
        details=PersonDetails(
            resident_number="R0000001",
            given_name="Alder",
            family_name="Testfield",
            date_of_birth=date(1990, 1, 1),
            language="es",
        ),
        housing_unit=unit_a,
        booked_at=jan_first,
        booking_number="B1",
    ).person
    pin = issue_pin(actor=nurse, person=person)

    kiosk = page
    register_kiosk(kiosk, live_server.url, "test-supervisor", "North Test Jail")
    # The sign-in screen is in English until the resident is known; then, Spanish.
    kiosk.get_by_label("Your resident number").fill("R0000001")
    kiosk.get_by_label("Your PIN").fill(pin)
    kiosk.get_by_role("button", name="Sign in").click()
    kiosk.get_by_label("El PIN con el que entró").fill(pin)
    kiosk.get_by_label("Su PIN nuevo", exact=True).fill("2580")
    kiosk.get_by_label("Su PIN nuevo otra vez").fill("2580")
    kiosk.get_by_role("button", name="Guardar mi PIN").click()
    kiosk.get_by_role("link", name="Pedir ver a alguien").click()
    kiosk.get_by_label("Hablar con alguien").check()
    kiosk.get_by_label("Con sus propias palabras").fill("Ya no quiero vivir, no aguanto más")
    kiosk.get_by_role("button", name="Enviar mi pedido").click()

    # The resident is told at once what to do this minute.
    expect(kiosk.get_by_role("alert")).to_be_visible()
    kite = Kite.objects.get()
    assert kite.urgency == "emergent"

    context = browser.new_context()
    desk = context.new_page()
    staff_sign_in(desk, f"{live_server.url}/kites/alerts/", "test-clinician")
    row = desk.get_by_role("row", name=kite.number)
    expect(row).to_contain_text("On call")
    row.get_by_role("button", name="Acknowledge").click()
    expect(desk.get_by_text("Acknowledged. You have this alert now.")).to_be_visible()
    desk.get_by_role("button", name="Sign out").click()

    staff_sign_in(desk, f"{live_server.url}/kites/custody/", "test-officer")
    check = desk.get_by_role("row", name="R0000001")
    expect(check).to_contain_text("Testfield, Alder")
    expect(check).to_contain_text("A Pod")
    content = desk.content()
    assert "vivir" not in content
    assert kite.number not in content
    context.close()
