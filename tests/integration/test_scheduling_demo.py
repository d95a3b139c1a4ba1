from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db.models import Max, Min
from django.utils import timezone

from kiteline.facilities.models import Facility
from kiteline.scheduling.models import (
    Appointment,
    AppointmentStatus,
    Requirement,
    Room,
    RunStatus,
    ScheduleRun,
    SessionType,
)
from kiteline.scheduling.problem_source import local_date

SCHEDULING_RECORDS = (ScheduleRun, Appointment, Requirement, Room, SessionType)


def _counts() -> list[int]:
    return [model.objects.count() for model in SCHEDULING_RECORDS]


@pytest.mark.django_db
def test_the_demo_publishes_two_weeks_from_tomorrow_and_a_second_run_creates_nothing() -> None:
    out = StringIO()
    call_command("seed", "--residents", "80", "--seed", "3", "--demo", stdout=out)
    run = ScheduleRun.objects.filter(status=RunStatus.PUBLISHED).order_by("-start").first()
    assert run is not None
    facility = Facility.objects.get(pk=run.facility_id)
    tomorrow = local_date(facility, timezone.now()) + timedelta(days=1)
    assert (run.start, run.days) == (tomorrow, 14)
    published = Appointment.objects.filter(run=run, status=AppointmentStatus.PUBLISHED)
    assert published.count() > 10
    # Nothing booked on the day under way, nor after the fortnight; nothing happened yet.
    span = published.aggregate(first=Min("date"), last=Max("date"))
    assert tomorrow <= span["first"] <= span["last"] <= tomorrow + timedelta(days=13)
    assert not published.exclude(outcome="").exists()
    assert f"Schedule {run.number} is published" in out.getvalue()
    # Last week was held: every appointment has its outcome, and each attended one met its
    # requirement (others stay owed).
    past = ScheduleRun.objects.get(start=tomorrow - timedelta(days=8))
    held = Appointment.objects.filter(run=past)
    assert held.count() > 5
    assert not held.filter(outcome="").exists()
    attended = held.filter(outcome="attended")
    assert attended.exists()
    assert all(a.requirement.close_reason == "met" for a in attended)
    before = _counts()
    call_command("seed", "--residents", "80", "--seed", "3", "--demo", stdout=StringIO())
    assert _counts() == before
