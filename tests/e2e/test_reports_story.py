"""The reports in a browser: a supervisor reads the compliance dashboard (charts, tables,
CSV) and builds the public report; the exported report opens from disk, with no server,
its suppressed counts written as such and never as zeros (I8)."""

from pathlib import Path

from playwright.sync_api import Browser, Page, expect
from pytest_django.fixtures import Settings
from pytest_django.live_server_helper import LiveServer

from kiteline.accounts.models import Role, User
from kiteline.facilities.models import Facility, HousingUnit
from kiteline.reports.models import PublicRelease
from tests.e2e.steps import PASSWORD, staff_sign_in
from tests.integration.test_report_pages import requests


def test_the_dashboard_and_the_public_report_opened_from_disk(
    live_server: LiveServer,
    browser: Browser,
    page: Page,
    facility: Facility,
    unit_a: HousingUnit,
    tmp_path: Path,
    settings: Settings,
) -> None:
    settings.REPORTS_DIR = tmp_path
    supervisor = User.objects.create_user(
        username="test-supervisor", password=PASSWORD, role=Role.SUPERVISOR
    )
    supervisor.facilities.add(facility)
    # Thirty requests in the second quarter, one in four triaged late (7: a small count).
    requests(unit_a, 30, late_every=4)

    staff_sign_in(page, f"{live_server.url}/reports/?period=2026Q2&by=month", "test-supervisor")
    triage = page.locator("#triage_timeliness")
    expect(triage.get_by_role("heading", name="Requests triaged within 24 hours")).to_be_visible()
    expect(triage.locator("svg rect").first).to_be_visible()
    expect(triage.get_by_role("row", name="2026-04")).to_be_visible()
    with page.expect_download() as download:
        triage.get_by_role("link", name="Download as CSV").click()
    assert "late" in Path(download.value.path()).read_text()

    page.goto(f"{live_server.url}/reports/public/")
    page.get_by_label("Quarter").fill("2026Q2")
    page.get_by_role("button", name="Build the public report").click()
    expect(page.get_by_text("The public report for 2026Q2 is built")).to_be_visible()

    # The files open from disk in a browser with no server behind them.
    folder = Path(PublicRelease.objects.get().folder)
    report = browser.new_context().new_page()
    report.goto((folder / "index.html").as_uri())
    expect(report.get_by_role("heading", name="Requests triaged within 24 hours")).to_be_visible()
    row = report.locator("#triage_24h tbody tr").first
    expect(row).to_contain_text("30")
    expect(row.locator("td.suppressed").first).to_have_text("suppressed*")
    expect(report.get_by_role("heading", name="How these figures are made")).to_be_visible()
    expect(report.get_by_role("link", name="triage_24h.csv")).to_be_visible()
    assert "suppressed" in (folder / "triage_24h.csv").read_text()
