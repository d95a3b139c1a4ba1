from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import timezone
from pytest_django.fixtures import DjangoCaptureOnCommitCallbacks as CaptureCallbacks

from kiteline.facilities.models import Facility
from kiteline.kites.models import Breach, Kite
from kiteline.reports.demo import prepare_reports_demo
from kiteline.reports.periods import previous_quarter
from kiteline.reports.public import build_public_report
from kiteline.reports.tables import SMALL
from tests.integration.test_report_pages import published_numbers


@pytest.mark.django_db
def test_the_demo_history_fills_the_last_quarters_public_report(
    tmp_path: Path, django_capture_on_commit_callbacks: CaptureCallbacks
) -> None:
    call_command("seed", "--residents", "120", "--seed", "4", "--demo", stdout=StringIO())
    facility = Facility.objects.order_by("pk").first()
    assert facility is not None
    assert Kite.objects.filter(facility=facility).count() > 500
    assert Breach.objects.exists()
    # Once only: a second run adds nothing.
    assert prepare_reports_demo(facility) == 0
    now = timezone.now()
    # The files move into place when the release's record commits.
    with django_capture_on_commit_callbacks(execute=True):
        built = build_public_report(
            actor=None,
            facilities=[facility],
            period=previous_quarter(now.date()),
            out=tmp_path,
            now=now,
        )
    numbers = published_numbers(built.files)
    assert max(numbers) > 100
    assert not [n for n in numbers if 1 <= n <= SMALL]
    assert (tmp_path / "index.html").exists()
