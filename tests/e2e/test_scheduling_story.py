"""The scheduling story in a browser: a supervisor proposes and publishes a week; custody
prints the day's escort list, with nothing clinical on it; a clinician records a refusal
and a custody cancellation; the missed-contacts view counts each on its own (I5, I6)."""

from datetime import date, timedelta

from django.utils import timezone
from playwright.sync_api import Browser, Page, expect
from pytest_django.live_server_helper import LiveServer

from kiteline.accounts.models import Role, User
from kiteline.care.models import LevelAssignment
from kiteline.care.services import assign_level
from kiteline.facilities.models import Facility, HousingUnit
from kiteline.facilities.services import PersonDetails, book_person
from kiteline.scheduling.capacity_services import (
    SessionTypeDetails,
    add_room,
    add_session_type,
    set_weekly_hours,
)
from kiteline.scheduling.models import Appointment, AppointmentStatus
from kiteline.scheduling.problem_source import local_date
from tests.e2e.steps import PASSWORD, staff_sign_in

EVERY_DAY = [(day, 8 * 60, 11 * 60 + 30) for day in range(7)] + [
    (day, 13 * 60, 16 * 60 + 30) for day in range(7)
]


def _user(name: str, role: Role, facility: Facility) -> User:
    user = User.objects.create_user(username=name, password=PASSWORD, role=role)
    user.facilities.add(facility)
    return user


def _staff_page(browser: Browser, url: str, username: str) -> Page:
    page = browser.new_context().new_page()
    staff_sign_in(page, url, username)
    return page


def test_a_week_is_published_escorted_and_its_missed_contacts_counted_by_cause(
    live_server: LiveServer, browser: Browser, page: Page, facility: Facility, unit_a: HousingUnit
) -> None:
    supervisor = _user("test-supervisor", Role.SUPERVISOR, facility)
    clinician = _user("test-clinician", Role.CLINICIAN, facility)
    _user("test-custody", Role.CUSTODY, facility)
    set_weekly_hours(actor=supervisor, facility=facility, clinician=clinician, windows=EVERY_DAY)
    add_room(actor=supervisor, facility=facility, code="r3", name="Health unit, room 3", seats=1)
    add_session_type(
        actor=supervisor,
        facility=facility,
        code="individual",
        details=SessionTypeDetails("Individual session", "individual", 45, 1, [clinician]),
    )
    for number, family in ((1, "Testfield"), (2, "Sampleton"), (3, "Mockridge")):
        booking = book_person(
            actor=None,
            details=PersonDetails(
                resident_number=f"R000000{number}",
                given_name="Alder",
                family_name=family,
                date_of_birth=date(1990, 1, 1),
            ),
            housing_unit=unit_a,
            booked_at=timezone.now() - timedelta(days=20),
            booking_number=f"B{number}",
        )
        level = assign_level(
            actor=clinician, person=booking.person, level="enhanced", reason="Weekly contact."
        )
        # Set two weeks ago: the weekly contact is overdue, so it is placed tomorrow.
        LevelAssignment.objects.filter(pk=level.pk).update(
            assigned_at=level.assigned_at - timedelta(days=14)
        )
    today = local_date(facility, timezone.now())

    # The supervisor proposes a week from tomorrow (the earliest a schedule may start) and
    # publishes it.
    staff_sign_in(page, f"{live_server.url}/scheduling/", "test-supervisor")
    page.get_by_label("First day").fill((today + timedelta(days=1)).isoformat())
    page.get_by_label("Days").fill("7")
    page.get_by_role("button", name="Propose").click()
    expect(page.get_by_text("Every hard rule holds")).to_be_visible()
    expect(page.get_by_text("Testfield, Alder")).to_be_visible()
    page.get_by_role("button", name="Publish this schedule").click()
    expect(page.locator("#run-status")).to_contain_text("published")
    # The day arrives: the appointments, published for tomorrow, are moved to today in the
    # database, standing for the night that passes before the escort list and outcomes.
    assert Appointment.objects.filter(status=AppointmentStatus.PUBLISHED).update(date=today) == 3

    # Custody opens today's escort list: who, when, where; no session, clinician or length.
    custody = _staff_page(browser, f"{live_server.url}/scheduling/escorts/", "test-custody")
    for family in ("Testfield", "Sampleton", "Mockridge"):
        expect(custody.get_by_text(f"{family}, Alder")).to_be_visible()
    expect(custody.get_by_text("Health unit, room 3").first).to_be_visible()
    listing = custody.content()
    assert "Individual session" not in listing
    assert "test-clinician" not in listing
    expect(custody.get_by_role("button", name="Print")).to_be_visible()
    custody.emulate_media(media="print")
    assert custody.pdf()[:4] == b"%PDF"

    # The clinician records a refusal and a custody cancellation.
    work = _staff_page(
        browser, f"{live_server.url}/scheduling/appointments/?all=1", "test-clinician"
    )
    refused = work.locator("tbody tr").filter(has_text="Testfield, Alder")
    refused.get_by_label("What happened").select_option(label="Refused by the resident")
    refused.get_by_label("Note (for a refusal: what was offered next)").fill(
        "Offered tomorrow morning."
    )
    refused.get_by_role("button", name="Record").click()
    expect(work.get_by_text("Offered tomorrow morning.")).to_be_visible()
    cancelled = work.locator("tbody tr").filter(has_text="Sampleton, Alder")
    cancelled.get_by_label("What happened").select_option(label="Cancelled by custody")
    cancelled.get_by_label("Why custody cancelled").select_option(label="Lockdown")
    cancelled.get_by_role("button", name="Record").click()
    expect(work.locator("tbody tr").filter(has_text="Sampleton, Alder")).to_contain_text("Lockdown")

    # The missed-contacts view shows each cause on its own.
    work.goto(f"{live_server.url}/scheduling/missed/")
    expect(work.locator("[data-cause=refused]")).to_have_text("1")
    expect(work.locator("[data-cause=cancelled_custody]")).to_have_text("1")
    expect(work.locator("[data-cause=cancelled_clinician]")).to_have_text("0")
    expect(work.locator("#refused")).to_contain_text("Testfield")
    expect(work.locator("#cancelled-custody")).to_contain_text("Sampleton")
