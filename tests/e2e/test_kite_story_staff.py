from datetime import timedelta

from django.utils import timezone
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from kiteline.accounts.models import Role, User
from kiteline.facilities.models import Booking, Person
from kiteline.facilities.seeding import SeedResult, seed_facility
from kiteline.facilities.synthetic import plan_facility
from kiteline.kites.models import Kite, Status
from kiteline.kites.services import submit_kite
from kiteline.kites.standards import schedule_on_call

PASSWORD = "a-test-password"
CRISIS_TEXT = "I want to kill myself tonight"


def seeded() -> SeedResult:
    plan = plan_facility(kind="jail", residents=60, seed=3, now=timezone.now())
    return seed_facility(actor=None, plan=plan, demo=False)


def colleague(username: str, role: Role, result: SeedResult) -> User:
    user = User.objects.create_user(username=username, password=PASSWORD, role=role)
    user.facilities.set(result.facilities)
    return user


def kite_from(resident_number: str, topic: str, text: str) -> Kite:
    """What the resident sends at the kiosk, sent through the same service."""
    person = Person.objects.get(resident_number=resident_number)
    resident = User.objects.create_user(
        username=f"resident-{resident_number}", role=Role.RESIDENT, person=person
    )
    return submit_kite(actor=resident, topic=topic, text=text).kite


def sign_in(page: Page, url: str, username: str) -> None:
    page.goto(url)
    expect(page.get_by_role("heading", name="Staff sign-in")).to_be_visible()
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def sign_out(page: Page) -> None:
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="Staff sign-in")).to_be_visible()


def test_a_nurse_triages_a_kiosk_request_and_a_clinician_records_the_contact(
    live_server: LiveServer, page: Page, nurse: User
) -> None:
    result = seeded()
    nurse.facilities.set(result.facilities)
    colleague("test-clinician", Role.CLINICIAN, result)
    resident = result.kiosk_residents[0]
    kite = kite_from(resident.resident_number, "therapy", "I keep having bad dreams.")

    # The nurse opens the triage queue and the request at its head.
    sign_in(page, f"{live_server.url}/kites/", "test-nurse")
    expect(page.get_by_role("heading", name="Triage queue")).to_be_visible()
    row = page.get_by_role("row", name=kite.number)
    expect(row).to_contain_text(resident.resident_number)
    expect(row).to_contain_text("left")
    row.get_by_role("link", name=kite.number).click()

    expect(page.get_by_text("I keep having bad dreams.")).to_be_visible()
    page.get_by_label("Routine").check()
    page.get_by_label("Yes").check()
    page.get_by_role("button", name="Save triage").click()
    expect(page.get_by_text(f"Triaged {kite.number}.")).to_be_visible()
    expect(page.locator("dd.status")).to_have_text("Triaged")
    sign_out(page)

    # The clinician sees the resident and records the contact.
    sign_in(page, f"{live_server.url}/kites/{kite.pk}/", "test-clinician")
    page.get_by_label("Where").select_option(label="Confidential room")
    page.get_by_label("Brief note").fill("Talked about sleep; follow up in two weeks.")
    page.get_by_label("Outcome").select_option(label="Resolved")
    page.get_by_role("button", name="Record the contact").click()
    expect(page.get_by_text(f"Recorded the contact for {kite.number}.")).to_be_visible()
    expect(page.locator("dd.status")).to_have_text("Closed")
    kite.refresh_from_db()
    assert (kite.status, kite.outcome, kite.seen_by) == (
        Status.CLOSED,
        "resolved",
        User.objects.get(username="test-clinician"),
    )


def test_the_on_call_clinician_acknowledges_a_crisis_and_custody_see_only_the_check(
    live_server: LiveServer, page: Page
) -> None:
    result = seeded()
    supervisor = colleague("test-supervisor", Role.SUPERVISOR, result)
    clinician = colleague("test-clinician", Role.CLINICIAN, result)
    colleague("test-officer", Role.CUSTODY, result)
    resident = result.kiosk_residents[0]
    held_at = Booking.objects.get(
        person__resident_number=resident.resident_number, released_at__isnull=True
    ).facility
    schedule_on_call(
        actor=supervisor,
        facility=held_at,
        clinician=clinician,
        starts_at=timezone.now() - timedelta(hours=1),
        ends_at=timezone.now() + timedelta(hours=8),
    )
    kite = kite_from(resident.resident_number, "talk", CRISIS_TEXT)

    # The on-call clinician finds the alert and takes it.
    sign_in(page, f"{live_server.url}/kites/alerts/", "test-clinician")
    expect(page.get_by_role("heading", name="My alerts")).to_be_visible()
    row = page.get_by_role("row", name=kite.number)
    expect(row).to_contain_text("On call")
    row.get_by_role("button", name="Acknowledge").click()
    expect(page.get_by_text("Acknowledged. You have this alert now.")).to_be_visible()
    expect(page.get_by_role("row", name=kite.number)).to_have_count(0)
    sign_out(page)

    # The officer sees who needs a welfare check, and where, but nothing of why.
    sign_in(page, f"{live_server.url}/roster/", "test-officer")
    page.get_by_role("link", name="Custody notices").click()
    expect(page.get_by_role("heading", name="Welfare checks now")).to_be_visible()
    check = page.get_by_role("row", name=resident.resident_number)
    person = Person.objects.get(resident_number=resident.resident_number)
    expect(check).to_contain_text(f"{person.family_name}, {person.given_name}")
    expect(check.get_by_role("button", name="Done")).to_be_visible()
    content = page.content()
    assert CRISIS_TEXT not in content
    assert "kill" not in content
    assert kite.number not in content
