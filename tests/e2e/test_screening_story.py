"""The self-screen story in a browser: a clinician assigns a PHQ-9; a Spanish-speaking
resident answers it at the kiosk, one question per screen; the item-9 answer raises an
emergent alert the moment it is pressed (I2), and the clinician on call sees it."""

from datetime import date, datetime, timedelta

from django.utils import timezone
from playwright.sync_api import Browser, Page, expect
from pytest_django.live_server_helper import LiveServer

from kiteline.accounts.kiosk_services import issue_pin
from kiteline.accounts.models import Role, User
from kiteline.facilities.models import Facility, HousingUnit
from kiteline.facilities.services import PersonDetails, book_person
from kiteline.kites.models import Alert, Channel, Kite, Urgency
from kiteline.kites.standards import schedule_on_call
from kiteline.screening.models import Administration
from kiteline.screening.services import definition_of
from tests.e2e.steps import PASSWORD, register_kiosk, staff_sign_in


def test_a_spanish_self_screen_item_9_answer_alerts_the_clinician_on_call(
    live_server: LiveServer,
    browser: Browser,
    page: Page,
    facility: Facility,
    unit_a: HousingUnit,
    nurse: User,
    jan_first: datetime,
) -> None:
    supervisor = User.objects.create_user(
        username="test-supervisor", password=PASSWORD, role=Role.SUPERVISOR
    )
    clinician = User.objects.create_user(
        username="test-clinician", password=PASSWORD, role=Role.CLINICIAN
    )
    for user in (supervisor, clinician):
        user.facilities.add(facility)
    now = timezone.now()
    schedule_on_call(
        actor=supervisor,
        facility=facility,
        clinician=clinician,
        backup=None,
        starts_at=now - timedelta(hours=1),
        ends_at=now + timedelta(days=1),
    )
    details = PersonDetails(
        resident_number="R0000001",
        given_name="Alder",
        family_name="Testfield",
        date_of_birth=date(1990, 1, 1),
        language="es",
    )
    person = book_person(
        actor=None, details=details, housing_unit=unit_a, booked_at=jan_first, booking_number="B1"
    ).person
    temporary_pin = issue_pin(actor=nurse, person=person)
    spanish = definition_of("phq9-v1").languages["es"]

    # The clinician assigns a PHQ-9 from the person's page.
    staff_context = browser.new_context()
    staff = staff_context.new_page()
    staff_sign_in(staff, f"{live_server.url}/people/R0000001/", "test-clinician")
    staff.get_by_label("Self-screen").select_option("phq9-v1")
    staff.get_by_role("button", name="Assign a self-screen at the kiosk").click()
    expect(staff.get_by_text("The resident will find the screen at the kiosk.")).to_be_visible()
    assert Administration.objects.get().language == "es"

    # The resident signs in at a kiosk and finds the questions, in Spanish.
    register_kiosk(page, live_server.url, "test-supervisor", "North Test Jail")
    page.get_by_label("Your resident number").fill("R0000001")
    page.get_by_label("Your PIN").fill(temporary_pin)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_label("El PIN con el que entró").fill(temporary_pin)
    page.get_by_label("Su PIN nuevo", exact=True).fill("2580")
    page.get_by_label("Su PIN nuevo otra vez").fill("2580")
    page.get_by_role("button", name="Guardar mi PIN").click()
    page.get_by_role("link", name="Preguntas de su equipo de salud").click()
    page.get_by_role("link", name="PHQ-9").click()

    # Eight questions answered "Ningún día", one per screen; one goes back and changes.
    for number in range(1, 9):
        expect(page.get_by_text(f"Pregunta {number} de 9")).to_be_visible()
        expect(page.get_by_role("heading", name=spanish.items[f"q{number}"])).to_be_visible()
        page.get_by_role("button", name=spanish.answer_labels["frequency"][0]).click()
    page.get_by_role("link", name="Atrás").click()
    expect(page.get_by_text("Pregunta 8 de 9")).to_be_visible()
    page.get_by_role("button", name=spanish.answer_labels["frequency"][0]).click()

    # Item 9 above 0: the help steps show at once, before anything is sent.
    expect(page.get_by_role("heading", name=spanish.items["q9"])).to_be_visible()
    page.get_by_role("button", name=spanish.answer_labels["frequency"][1]).click()
    expect(page.get_by_role("heading", name="Haga esto ahora")).to_be_visible()
    kite = Kite.objects.get(channel=Channel.SCREENING)
    assert kite.urgency == Urgency.EMERGENT
    assert Administration.objects.get().submitted_at is None
    alert = Alert.objects.get(kite=kite)
    assert alert.recipient == clinician

    # The clinician on call sees the alert.
    staff.goto(f"{live_server.url}/kites/alerts/")
    row = staff.locator("tbody tr").filter(has_text=kite.number)
    expect(row).to_contain_text("R0000001")
    expect(row.get_by_role("button", name="Acknowledge")).to_be_visible()

    # The resident goes on, checks the answers and sends them.
    page.get_by_role("link", name="Seguir").click()
    expect(page.get_by_role("heading", name="Revise sus respuestas")).to_be_visible()
    page.get_by_role("button", name="Enviar mis respuestas").click()
    expect(page.get_by_role("heading", name="Sus respuestas se enviaron")).to_be_visible()
    assert Administration.objects.get().total == 1
    staff_context.close()
