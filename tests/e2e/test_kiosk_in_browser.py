from datetime import date, datetime

from django.test import override_settings
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from kiteline.accounts.kiosk_services import issue_pin
from kiteline.accounts.models import Role, User
from kiteline.facilities.models import Facility, HousingUnit
from kiteline.facilities.services import PersonDetails, book_person
from tests.e2e.steps import register_kiosk

# Short, so the test sees the idle sign-out; the live server's thread reads the same
# settings object, and the page hands the value to the script in a data attribute.
IDLE_SECONDS = 3


@override_settings(KIOSK_IDLE_SECONDS=IDLE_SECONDS)
def test_a_spanish_speaker_signs_in_at_a_new_kiosk_and_is_signed_out_when_idle(
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
        given_name="Rosa",
        family_name="Testigo",
        date_of_birth=date(1988, 2, 3),
        language="es-MX",
    )
    person = book_person(
        actor=None, details=details, housing_unit=unit_a, booked_at=jan_first, booking_number="B1"
    ).person
    temporary_pin = issue_pin(actor=nurse, person=person)

    # The supervisor registers the device they are using.
    register_kiosk(page, live_server.url, "test-supervisor", "North Test Jail")

    # The device now shows the kiosk sign-in, and nobody is signed in.
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    page.get_by_label("Your resident number").fill("R0000001")
    page.get_by_label("Your PIN").fill(temporary_pin)
    page.get_by_role("button", name="Sign in").click()

    expect(page.get_by_role("heading", name="Elija su propio PIN")).to_be_visible()
    page.get_by_label("El PIN con el que entró").fill(temporary_pin)
    page.get_by_label("Su PIN nuevo", exact=True).fill("2580")
    page.get_by_label("Su PIN nuevo otra vez").fill("2580")
    page.get_by_role("button", name="Guardar mi PIN").click()

    home = page.get_by_role("heading", name="¿Qué quiere hacer?")
    expect(home).to_be_visible()
    expect(page.get_by_role("link", name="Pedir ver a alguien")).to_be_visible()

    # Nobody touches the screen: the kiosk signs the resident out by itself.
    expect(page.get_by_role("heading", name="Ya salió de su cuenta")).to_be_visible(
        timeout=IDLE_SECONDS * 1000 + 5000
    )

    # Back: the browser kept no copy, asks again, and is sent to the sign-in.
    page.go_back()
    expect(page).to_have_url(f"{live_server.url}/kiosk/")
    expect(page.get_by_label("Your resident number")).to_be_visible()
    expect(home).to_have_count(0)
