"""The compliance dashboard, the equity view and the public report: who may see them, what
they show, that every output keeps small counts out, and that each read and build is audited."""

import csv
import io
import json
import re
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from pytest_django.fixtures import DjangoCaptureOnCommitCallbacks as CaptureCallbacks
from pytest_django.fixtures import Settings

from kiteline.accounts.models import Role, User
from kiteline.audit.models import AuditEvent
from kiteline.facilities.models import Facility, HousingUnit
from kiteline.kites.models import Clock, ClockKind, Kite
from kiteline.kites.services import record_paper_kite, triage_kite
from kiteline.reports.errors import ReportError
from kiteline.reports.models import PublicRelease
from kiteline.reports.periods import parse_period, previous_quarter, quarter_of
from kiteline.reports.public import build_public_report
from kiteline.reports.tables import SMALL
from kiteline.screening.evaluation_services import open_evaluation, record_overdue_evaluations
from kiteline.screening.models import EvaluationKind, EvaluationReason
from tests.integration.care_world import book, staff

QUARTER = parse_period("2026Q2")
NOW = datetime(2026, 7, 15, 12, tzinfo=UTC)


def requests(unit: HousingUnit, count: int, *, first: int = 1, late_every: int = 4) -> None:
    """`count` requests in the second quarter from as many people, a quarter triaged late."""
    for n in range(first, first + count):
        booking = book(unit, n, booked_at=datetime(2026, 3, 1, tzinfo=UTC))
        received = datetime(2026, 4, 2, 15, tzinfo=UTC) + timedelta(hours=17 * n)
        late = n % late_every == 0
        kite = Kite.objects.create(
            person=booking.person,
            booking=booking,
            facility=unit.facility,
            channel="kiosk",
            topic="talk" if n % 2 else "therapy",
            received_at=received,
            entered_at=received,
            triaged_at=received + timedelta(hours=30 if late else 3),
            status="triaged",
        )
        Clock.objects.create(
            kite=kite,
            kind=ClockKind.TRIAGE,
            due_at=received + timedelta(hours=24),
            met_at=kite.triaged_at,
        )


@pytest.fixture
def supervisor(facility: Facility) -> User:
    return staff(Role.SUPERVISOR, facility, "report-supervisor")


@pytest.fixture
def auditor(facility: Facility) -> User:
    return staff(Role.AUDITOR, facility, "report-auditor")


@pytest.mark.parametrize("role", [Role.SUPERVISOR, Role.AUDITOR])
def test_the_dashboard_shows_each_figure_with_its_table_and_csv(
    client: Client, facility: Facility, unit_a: HousingUnit, role: Role
) -> None:
    requests(unit_a, 24)
    client.force_login(staff(role, facility, f"dash-{role}"))
    page = client.get(reverse("reports-dashboard"), {"period": "2026Q2", "by": "month"})
    assert page.status_code == 200
    sections = {s.name: s for s in page.context["page"].sections}
    triage = sections["triage_timeliness"].table
    assert triage.total == 24
    assert triage.column_total("late") == 6
    assert "<svg" in page.content.decode()
    download = client.get(
        reverse("reports-csv", args=["triage_timeliness"]), {"period": "2026Q2", "by": "month"}
    )
    rows = list(csv.reader(io.StringIO(download.content.decode())))
    assert rows[0] == [
        "month",
        "on time",
        "late",
        "overdue",
        "open, not yet due",
        "closed untriaged",
        "total",
    ]
    assert sum(int(row[2]) for row in rows[1:]) == 6
    assert AuditEvent.objects.filter(action="reports.dashboard_read").count() == 1


@pytest.mark.parametrize("role", [Role.NURSE, Role.CLINICIAN, Role.CUSTODY])
def test_other_roles_cannot_open_the_reports(
    client: Client, facility: Facility, role: Role
) -> None:
    client.force_login(staff(role, facility, f"no-{role}"))
    for name in ("reports-dashboard", "reports-equity", "reports-public"):
        assert client.get(reverse(name)).status_code == 403


def test_a_malformed_period_is_refused_with_a_message(
    client: Client, supervisor: User, unit_a: HousingUnit
) -> None:
    client.force_login(supervisor)
    page = client.get(reverse("reports-dashboard"), {"period": "spring"})
    assert page.status_code == 200
    assert "is not a period" in page.content.decode()


def test_the_equity_view_suppresses_small_counts(
    client: Client, auditor: User, unit_a: HousingUnit
) -> None:
    requests(unit_a, 24)
    client.force_login(auditor)
    page = client.get(reverse("reports-equity"), {"period": "2026Q2"})
    shown = [
        cell for table in page.context["page"].tables for line in table.lines for cell in line.cells
    ]
    assert "24" in shown
    assert not any(cell.isdigit() and 1 <= int(cell) <= SMALL for cell in shown)


def test_the_equity_view_shows_finished_quarters_only(
    client: Client, auditor: User, unit_a: HousingUnit
) -> None:
    """A quarter beside its months would let a hidden count be worked out: each page is
    protected alone. Another period is refused with the reason, and the last quarter shown."""
    requests(unit_a, 24)
    client.force_login(auditor)
    last = previous_quarter(timezone.localdate()).label
    for period, refusal in (
        ("2026-04", "covers a quarter"),
        ("2026", "covers a quarter"),
        (quarter_of(timezone.localdate()).label, "has not ended"),
    ):
        page = client.get(reverse("reports-equity"), {"period": period})
        assert page.status_code == 200
        assert refusal in page.content.decode()
        assert page.context["page"].period == last
    shown = client.get(reverse("reports-equity"), {"period": "2026Q2"})
    assert shown.context["page"].period == "2026Q2"
    assert "covers a quarter" not in shown.content.decode()
    # Each refusal read nothing; each page shown is one audited read.
    assert AuditEvent.objects.filter(action="reports.equity_read").count() == 4


def breaches_of_both_kinds(facility: Facility, unit_a: HousingUnit) -> set[str]:
    """A request triaged late and a medication check not done in time, made through the
    services."""
    nurse = staff(Role.NURSE, facility, "breach-nurse")
    clinician = staff(Role.CLINICIAN, facility, "breach-clinician")
    booking = book(unit_a, 1, booked_at=timezone.now() - timedelta(days=10))
    kite = record_paper_kite(
        actor=nurse,
        person=booking.person,
        channel="paper",
        topic="talk",
        text="Please",
        received_at=timezone.now() - timedelta(hours=30),
        backdate_reason="Found in the box late.",
    ).kite
    triage_kite(
        actor=nurse, kite=kite, urgency="routine", symptom_described=False, route="mental_health"
    )
    check = open_evaluation(
        actor=clinician,
        booking=booking,
        kind=EvaluationKind.MEDICATION_CHECK,
        urgency="urgent",
        reason=EvaluationReason.CURRENT_MEDICATION,
    )
    assert record_overdue_evaluations(check.due_at + timedelta(minutes=1)) == 1
    return {kite.number, f"E{check.pk:06d}"}


def test_an_auditor_reads_breaches_by_case_number_and_deadline_only(
    client: Client, auditor: User, supervisor: User, facility: Facility, unit_a: HousingUnit
) -> None:
    """Auditors read cases through a sample: the breach list names no resident, and no
    evaluation's kind (a medication check says a named person takes psychiatric
    medication). Supervisors see both, and follow each request to its page."""
    cases = breaches_of_both_kinds(facility, unit_a)
    for user, identified in ((auditor, False), (supervisor, True)):
        client.force_login(user)
        response = client.get(reverse("reports-dashboard"), {"by": "period"})
        page = response.context["page"]
        html = response.content.decode()
        assert page.breach_total == 2
        assert {row.record for row in page.breaches} == cases
        assert ("R0000001" in html) is identified
        assert ("medication_check" in html) is identified
        assert ("/kites/" in html) is identified
        assert all((row.resident_number is not None) is identified for row in page.breaches)
        event = AuditEvent.objects.filter(action="reports.dashboard_read").latest("pk")
        assert ("resident_number" in event.detail["fields"]) is identified


def test_each_csv_names_what_its_rows_are(
    client: Client, supervisor: User, facility: Facility, unit_a: HousingUnit
) -> None:
    breaches_of_both_kinds(facility, unit_a)
    client.force_login(supervisor)
    for key, by, heading in (
        ("no_symptom_by_nurse", "month", "staff member"),
        ("denials_by_reason", "month", "service"),
        ("triage_timeliness", "unit", "housing unit"),
        ("waits", "period", "period"),
    ):
        download = client.get(reverse("reports-csv", args=[key]), {"by": by})
        header = next(csv.reader(io.StringIO(download.content.decode())))
        assert header[0] == heading


def published_numbers(files: dict[str, bytes]) -> list[int]:
    """Every count written in the report's CSV and JSON files."""
    found = []
    for name, content in files.items():
        if name.endswith(".csv"):
            for row in csv.reader(io.StringIO(content.decode())):
                found += [int(cell) for cell in row[1:] if cell.isdigit()]
    report = json.loads(files["report.json"])
    for table in report["tables"]:
        found += [cell["value"] for line in table["cells"] for cell in line if "value" in cell]
    return found


def test_the_public_report_publishes_no_small_count_and_marks_suppression(
    facility: Facility,
    unit_a: HousingUnit,
    tmp_path: Path,
    django_capture_on_commit_callbacks: CaptureCallbacks,
) -> None:
    requests(unit_a, 30)
    # The files move into place when the release's record commits.
    with django_capture_on_commit_callbacks(execute=True):
        built = build_public_report(
            actor=None, facilities=[facility], period=QUARTER, out=tmp_path, now=NOW
        )
    numbers = published_numbers(built.files)
    assert 30 in numbers
    assert not [n for n in numbers if 1 <= n <= SMALL]
    triage = (tmp_path / "triage_24h.csv").read_text()
    # 30 requests, 7 late: both late and on time... the late count is small, so suppressed.
    assert "suppressed" in triage
    report = json.loads((tmp_path / "report.json").read_text())
    cells = [c for t in report["tables"] for line in t["cells"] for c in line]
    assert {"suppressed": True} in cells
    assert {"value": 0} in cells
    html = (tmp_path / "index.html").read_text()
    assert "<script" not in html
    assert not re.search(r"(src|href)=\"https?://", html)
    release = PublicRelease.objects.get()
    assert release.published
    assert AuditEvent.objects.filter(action="reports.public_build").count() == 1


def test_a_second_release_is_checked_against_the_first(
    facility: Facility, unit_a: HousingUnit, tmp_path: Path
) -> None:
    requests(unit_a, 30)
    build_public_report(
        actor=None, facilities=[facility], period=QUARTER, out=tmp_path / "a", now=NOW
    )
    # A late entry changes one count; the second release must not let it be pinned.
    requests(unit_a, 1, first=31, late_every=1)
    second = build_public_report(
        actor=None, facilities=[facility], period=QUARTER, out=tmp_path / "b", now=NOW
    )
    assert not [n for n in published_numbers(second.files) if 1 <= n <= SMALL]
    assert PublicRelease.objects.count() == 2


def test_a_quarter_not_yet_over_is_refused_and_nothing_is_written(
    facility: Facility, tmp_path: Path
) -> None:
    with pytest.raises(ReportError, match="has not ended"):
        build_public_report(
            actor=None,
            facilities=[facility],
            period=parse_period("2026Q3"),
            out=tmp_path / "out",
            now=NOW,
        )
    assert not (tmp_path / "out").exists()
    assert not PublicRelease.objects.exists()


def test_building_reads_aggregates_not_records(
    facility: Facility, unit_a: HousingUnit, tmp_path: Path
) -> None:
    requests(unit_a, 12)
    with CaptureQueriesContext(connection) as small:
        build_public_report(
            actor=None, facilities=[facility], period=QUARTER, out=tmp_path / "a", now=NOW
        )
    requests(unit_a, 40, first=13)
    with CaptureQueriesContext(connection) as large:
        build_public_report(
            actor=None, facilities=[facility], period=QUARTER, out=tmp_path / "b", now=NOW
        )
    # The same queries whatever the number of records: each figure is one GROUP BY.
    assert len(large.captured_queries) == len(small.captured_queries)


def test_the_command_builds_a_quarter(
    facility: Facility,
    unit_a: HousingUnit,
    tmp_path: Path,
    django_capture_on_commit_callbacks: CaptureCallbacks,
) -> None:
    requests(unit_a, 12)
    out = io.StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("report", "public", "--period", "2026Q1", "--out", str(tmp_path), stdout=out)
    assert (tmp_path / "index.html").exists()
    assert "Wrote" in out.getvalue()
    with pytest.raises(CommandError, match="covers a quarter"):
        call_command("report", "public", "--period", "2026-01", "--out", str(tmp_path))


def test_the_page_builds_a_report_and_offers_it_as_a_zip(
    client: Client,
    supervisor: User,
    facility: Facility,
    unit_a: HousingUnit,
    tmp_path: Path,
    settings: Settings,
    django_capture_on_commit_callbacks: CaptureCallbacks,
) -> None:
    requests(unit_a, 12)
    settings.REPORTS_DIR = tmp_path
    client.force_login(supervisor)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("reports-public-build"), {"period": "2026Q1", "facilities": [facility.code]}
        )
    release = PublicRelease.objects.get()
    assert release.built_by == supervisor
    download = client.get(reverse("reports-public-download", args=[release.pk]))
    names = zipfile.ZipFile(io.BytesIO(download.content)).namelist()
    assert "2026Q1/index.html" in names
    assert timezone.is_aware(release.built_at)
