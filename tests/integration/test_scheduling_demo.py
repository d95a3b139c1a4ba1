from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from kiteline.facilities.models import Facility
from kiteline.scheduling.models import Appointment, AppointmentStatus, RunStatus, ScheduleRun
from kiteline.scheduling.services import local_today


@pytest.mark.django_db
def test_the_demo_publishes_two_weeks_records_outcomes_and_runs_once() -> None:
    out = StringIO()
    call_command("seed", "--residents", "80", "--seed", "3", "--demo", stdout=out)
    run = ScheduleRun.objects.get(status=RunStatus.PUBLISHED)
    facility = Facility.objects.get(pk=run.facility_id)
    assert run.start == local_today(facility, timezone.now())
    assert run.days == 14
    published = Appointment.objects.filter(run=run, status=AppointmentStatus.PUBLISHED)
    assert published.count() > 10
    outcomes = set(published.exclude(outcome="").values_list("outcome", flat=True))
    assert outcomes == {"attended", "refused", "cancelled_custody"}
    assert f"Schedule {run.number} is published" in out.getvalue()
    call_command("seed", "--residents", "80", "--seed", "3", "--demo", stdout=StringIO())
    assert ScheduleRun.objects.count() == 1
