"""Building the public report: releases of overlapping facilities, facilities keyed by code
and named for readers, files written and recorded together (moved into place only when the
release commits), the download of exactly the files a release wrote, bad periods and
folders refused with a message, and the ledger kept in one form."""

import csv
import io
import json
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from pytest_django.fixtures import DjangoCaptureOnCommitCallbacks as CaptureCallbacks
from pytest_django.fixtures import Settings

from kiteline.accounts.models import Role, User
from kiteline.facilities.models import Facility, FacilityKind, HousingUnit
from kiteline.reports import public
from kiteline.reports.errors import ReportError
from kiteline.reports.models import PublicRelease
from kiteline.reports.periods import FIRST_YEAR, LAST_YEAR, PeriodError, parse_period
from kiteline.reports.public import build_public_report, ledger_of
from kiteline.reports.tables import TOTAL, Ledger, ProtectedRelease, Release, Sum
from tests.integration.care_world import staff
from tests.integration.test_report_pages import requests

QUARTER = parse_period("2026Q2")
NOW = datetime(2026, 7, 15, 12, tzinfo=UTC)


def jail(code: str, name: str) -> Facility:
    return Facility.objects.create(
        code=code, name=name, kind=FacilityKind.JAIL, time_zone="America/Chicago"
    )


def unit_of(facility: Facility) -> HousingUnit:
    return HousingUnit.objects.create(facility=facility, code="A", name="A Pod")


def build(facilities: list[Facility], out: Path) -> PublicRelease:
    return build_public_report(
        actor=None, facilities=facilities, period=QUARTER, out=out, now=NOW
    ).release


# ---- Releases of overlapping facilities ----------------------------------------------------


def test_a_release_of_some_of_an_earlier_release_s_facilities_is_refused(
    facility: Facility, unit_a: HousingUnit, tmp_path: Path
) -> None:
    """North and South, then North alone: South would be North and South's totals less
    North's. The same facilities again, or others, are checked against the ledger."""
    south, west = jail("south", "South Jail"), jail("west", "West Jail")
    requests(unit_a, 30)
    requests(unit_of(south), 14, first=100)
    build([facility, south], tmp_path / "both")
    with pytest.raises(ReportError, match="covered north, south"):
        build([facility], tmp_path / "north")
    with pytest.raises(ReportError, match="covered north, south"):
        build([facility, south, west], tmp_path / "three")
    build([south, facility], tmp_path / "again")
    build([west], tmp_path / "west")
    assert PublicRelease.objects.count() == 3
    assert not (tmp_path / "north").exists()


def test_rows_are_facility_codes_and_readers_see_names_that_can_be_told_apart(
    unit_a: HousingUnit,
    facility: Facility,
    tmp_path: Path,
    django_capture_on_commit_callbacks: CaptureCallbacks,
) -> None:
    """A facility named "Total", two of one name, a "|" in a name: none is confused with
    another row, a total or the ledger's keys."""
    facility.name = "Total"
    facility.save()
    twins = [jail("east-1", "East | Annex"), jail("east-2", "East | Annex")]
    for n, twin in enumerate(twins):
        requests(unit_of(twin), 12, first=40 + 20 * n)
    requests(unit_a, 30)
    everyone = [facility, *twins]
    with django_capture_on_commit_callbacks(execute=True):
        release = build(everyone, tmp_path / "first")
    report = json.loads((tmp_path / "first" / "report.json").read_text())
    triage = next(t for t in report["tables"] if t["key"] == "triage_24h")
    assert triage["rows"] == ["east-1", "east-2", "north", TOTAL]
    assert {"code": "north", "name": "Total (north)"} in report["facilities"]
    html = (tmp_path / "first" / "index.html").read_text()
    assert "East | Annex (east-1)" in html
    assert "East | Annex (east-2)" in html
    assert "Total (north)" in html
    lines = list(csv.reader(io.StringIO((tmp_path / "first" / "triage_24h.csv").read_text())))
    assert [line[0] for line in lines[1:]] == [
        "East | Annex (east-1)",
        "East | Annex (east-2)",
        "Total (north)",
        TOTAL,
    ]
    # The ledger keys each figure by the codes and categories whose counts it adds up, in
    # JSON: the grand total adds up every facility's.
    entries = [e for e in release.published if e["table"] == "triage_24h"]
    assert all(set(e) == {"table", "period", "rows", "columns", "values"} for e in entries)
    grand = next(e for e in entries if len(e["rows"]) == 3 and len(e["columns"]) > 1)
    assert grand["rows"] == ["east-1", "east-2", "north"]
    assert grand["values"] == [54]
    figure = Sum("triage_24h", "2026Q2", frozenset(grand["rows"]), frozenset(grand["columns"]))
    assert ledger_of([release]).knows(figure, 54)
    # A second release of the same facilities reads the first's back.
    build(everyone, tmp_path / "second")


def test_a_facility_coded_as_the_totals_is_refused_with_a_message(db: None, tmp_path: Path) -> None:
    with pytest.raises(ReportError, match="cannot be told from the totals"):
        build([jail(TOTAL, "A Jail")], tmp_path / "out")


def test_the_ledger_is_kept_in_one_form(
    facility: Facility, unit_a: HousingUnit, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    requests(unit_a, 30)
    protected: list[ProtectedRelease] = []
    real = public._protected

    def keep(true: Release, ledger: Ledger) -> ProtectedRelease:
        protected.append(real(true, ledger))
        return protected[-1]

    monkeypatch.setattr(public, "_protected", keep)
    release = build([facility], tmp_path / "out")
    assert release.published == Ledger().record(protected[-1]).as_json()
    assert ledger_of([release]) == Ledger().record(protected[-1])


# ---- Files written and recorded together ---------------------------------------------------


def test_an_out_folder_that_is_not_empty_is_refused(
    facility: Facility, unit_a: HousingUnit, tmp_path: Path
) -> None:
    requests(unit_a, 12)
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(ReportError, match="not an empty folder"):
        build([facility], tmp_path)
    assert [p.name for p in tmp_path.iterdir()] == ["notes.txt"]
    assert not PublicRelease.objects.exists()


def test_the_command_turns_file_system_errors_into_command_errors(
    facility: Facility, unit_a: HousingUnit, tmp_path: Path
) -> None:
    requests(unit_a, 12)
    a_file = tmp_path / "a-file"
    a_file.write_text("")
    for out in (a_file, a_file / "report"):
        with pytest.raises(CommandError, match=str(a_file)):
            call_command("report", "public", "--period", "2026Q2", "--out", str(out))
    assert not PublicRelease.objects.exists()


def test_the_files_move_into_place_only_when_the_release_commits(
    facility: Facility,
    unit_a: HousingUnit,
    tmp_path: Path,
    django_capture_on_commit_callbacks: CaptureCallbacks,
) -> None:
    requests(unit_a, 12)
    out = tmp_path / "report"
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        build([facility], out)
    assert not out.exists()
    (waiting,) = tmp_path.iterdir()  # beside it, until the record commits
    assert (waiting / "index.html").exists()
    for callback in callbacks:
        callback()
    assert (out / "index.html").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["report"]


def test_a_build_that_fails_while_recording_leaves_no_files(
    facility: Facility, unit_a: HousingUnit, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    requests(unit_a, 12)

    def broken(**_: object) -> None:
        raise RuntimeError("the audit chain is locked")

    monkeypatch.setattr(public, "record_event", broken)
    with pytest.raises(RuntimeError, match="audit chain"):
        build([facility], tmp_path / "report")
    assert list(tmp_path.iterdir()) == []
    assert not PublicRelease.objects.exists()


def test_a_build_is_checked_against_a_release_recorded_while_it_was_made(
    facility: Facility, unit_a: HousingUnit, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two builds at once: the ledger read under the lock holds the one that finished
    first, and the second is protected and checked against it."""
    requests(unit_a, 30)
    real = public._protected
    ledgers: list[Ledger] = []
    first: list[PublicRelease] = []

    def meanwhile(true: Release, ledger: Ledger) -> ProtectedRelease:
        if ledgers == []:
            ledgers.append(ledger)
            first.append(build([facility], tmp_path / "first"))  # finishes in between
        else:
            ledgers.append(ledger)
        return real(true, ledger)

    monkeypatch.setattr(public, "_protected", meanwhile)
    build([facility], tmp_path / "second")
    # Read before the lock: nothing yet. The first build's own two reads, then the second's
    # under the lock: the first release.
    assert ledgers[0] == Ledger()
    assert ledgers[-1] == ledger_of(first) != Ledger()
    assert PublicRelease.objects.count() == 2


@pytest.fixture
def built(
    client: Client,
    facility: Facility,
    unit_a: HousingUnit,
    tmp_path: Path,
    settings: Settings,
    django_capture_on_commit_callbacks: CaptureCallbacks,
) -> PublicRelease:
    requests(unit_a, 12)
    settings.REPORTS_DIR = tmp_path
    client.force_login(staff(Role.SUPERVISOR, facility, "public-supervisor"))
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("reports-public-build"), {"period": "2026Q1", "facilities": ["north"]})
    return PublicRelease.objects.get()


def test_a_release_keeps_its_files_names_and_digests(built: PublicRelease) -> None:
    folder = Path(built.folder)
    assert set(built.files) == {p.name for p in folder.iterdir()}
    assert {"index.html", "report.json", "triage_24h.csv"} <= set(built.files)
    assert len(built.digest) == 64


def test_the_download_zips_only_the_files_the_release_wrote(
    client: Client, built: PublicRelease
) -> None:
    folder = Path(built.folder)
    (folder / "db.sqlite3").write_bytes(b"every resident's record")
    download = client.get(reverse("reports-public-download", args=[built.pk]))
    names = zipfile.ZipFile(io.BytesIO(download.content)).namelist()
    assert sorted(names) == sorted(f"2026Q1/{name}" for name in built.files)


@pytest.mark.parametrize("change", ["edited", "removed"])
def test_a_file_changed_since_the_build_is_not_offered(
    client: Client, built: PublicRelease, change: str
) -> None:
    index = Path(built.folder) / "index.html"
    if change == "edited":
        index.write_text("<p>Not what was checked.</p>")
    else:
        index.unlink()
    assert client.get(reverse("reports-public-download", args=[built.pk])).status_code == 404


# ---- Periods and the page ------------------------------------------------------------------


@pytest.mark.parametrize("text", ["0000", "1999", "9999", "9999Q4", "10000", "0001-01"])
def test_a_period_outside_the_years_a_report_covers_is_a_period_error(text: str) -> None:
    with pytest.raises(PeriodError):
        parse_period(text)


def test_the_first_and_last_years_are_periods() -> None:
    assert parse_period(f"{FIRST_YEAR}Q1").first.year == FIRST_YEAR
    assert parse_period(f"{LAST_YEAR}Q4").end.year == LAST_YEAR + 1


@pytest.mark.parametrize("period", ["0000", "9999", "9999Q4"])
def test_a_period_out_of_range_is_refused_with_a_message_on_every_page(
    client: Client, facility: Facility, period: str
) -> None:
    client.force_login(staff(Role.SUPERVISOR, facility, "range-supervisor"))
    dashboard = client.get(reverse("reports-dashboard"), {"period": period})
    assert dashboard.status_code == 200
    assert "is not a year from" in dashboard.content.decode()
    build = client.post(
        reverse("reports-public-build"), {"period": period, "facilities": ["north"]}, follow=True
    )
    assert build.status_code == 200
    assert "is not a year from" in build.content.decode()


def test_the_build_page_offers_the_last_quarter_ended_at_the_facility(
    client: Client, facility: Facility, monkeypatch: pytest.MonkeyPatch
) -> None:
    """At 03:00 on 1 July in UTC it is still 30 June in Chicago: the quarter that has
    ended there is the first, as the command counts it, and facilities are in code order."""
    jail("aaa", "Zebra Jail")
    user = staff(Role.SUPERVISOR, facility, "quarter-supervisor")
    user.facilities.add(Facility.objects.get(code="aaa"))
    monkeypatch.setattr(timezone, "now", lambda: datetime(2026, 7, 1, 3, tzinfo=UTC))
    client.force_login(user)
    form = client.get(reverse("reports-public")).context["form"]
    assert form.initial["period"] == "2026Q1"
    assert [code for code, _ in form.fields["facilities"].choices] == ["aaa", "north"]


def test_the_page_and_the_command_build_the_same_release(
    client: Client,
    facility: Facility,
    unit_a: HousingUnit,
    tmp_path: Path,
    settings: Settings,
) -> None:
    west = jail("aaa", "West Jail")
    requests(unit_a, 30)
    requests(unit_of(west), 14, first=100)
    user: User = staff(Role.SUPERVISOR, facility, "same-supervisor")
    user.facilities.add(west)
    settings.REPORTS_DIR = tmp_path / "page"
    client.force_login(user)
    client.post(
        reverse("reports-public-build"), {"period": "2026Q2", "facilities": ["north", "aaa"]}
    )
    call_command(
        "report",
        "public",
        "--period",
        "2026Q2",
        "--out",
        str(tmp_path / "command"),
        "--facility",
        "north",
        "--facility",
        "aaa",
        stdout=io.StringIO(),
    )
    page, command = PublicRelease.objects.order_by("pk")
    assert page.published == command.published
