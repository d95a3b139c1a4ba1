from datetime import UTC, datetime

from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from kiteline.accounts.models import User
from kiteline.facilities.seeding import seed_facility
from kiteline.facilities.synthetic import plan_facility


def test_a_nurse_signs_in_and_finds_a_resident_on_the_roster(
    live_server: LiveServer, page: Page, nurse: User
) -> None:
    plan = plan_facility(kind="jail", residents=60, seed=3, now=datetime(2026, 6, 1, tzinfo=UTC))
    seeded = seed_facility(actor=None, plan=plan, demo=False)
    nurse.facilities.set(seeded.facilities)
    wanted = seeded.kiosk_residents[0]

    page.goto(f"{live_server.url}/roster/")
    expect(page.get_by_role("heading", name="Staff sign-in")).to_be_visible()
    page.get_by_label("Username").fill("test-nurse")
    page.get_by_label("Password").fill("a-test-password")
    page.get_by_role("button", name="Sign in").click()

    expect(page.get_by_role("heading", name="Roster")).to_be_visible()
    expect(page.get_by_text("60 people")).to_be_visible()

    # Typing is enough: htmx replaces the table without the form being submitted.
    page.get_by_label("Search by name, resident number or booking number").fill(
        wanted.resident_number
    )
    expect(page.get_by_text("1 person", exact=True)).to_be_visible()
    row = page.get_by_role("row", name=wanted.resident_number)
    expect(row).to_contain_text("In custody")
    expect(row).to_contain_text("Synthetic County Jail")
