"""The demo history's deadlines are the ones the services would set: the clock core's, under
the facility's published standard (reports/demo.py)."""

from datetime import timedelta

from django.utils import timezone

from kiteline.accounts.models import Role
from kiteline.facilities.models import Facility, HousingUnit
from kiteline.kites import clocks
from kiteline.kites.models import Clock, ClockKind, Kite
from kiteline.kites.standards import clock_standard, publish_standard
from kiteline.reports.demo import DAYS, prepare_reports_demo
from tests.integration.care_world import book, staff


def test_the_demo_history_counts_deadlines_by_the_facilitys_standard(
    facility: Facility, unit_a: HousingUnit
) -> None:
    for name, role in (
        ("nurse", Role.NURSE),
        ("clinician", Role.CLINICIAN),
        ("clinician2", Role.CLINICIAN),
    ):
        staff(role, facility, name)
    supervisor = staff(Role.SUPERVISOR, facility, "demo-supervisor")
    # A Wednesday off: a visit due over it has the weekend allowance, as over a weekend.
    holiday = timezone.localdate() - timedelta(days=60)
    holiday -= timedelta(days=(holiday.weekday() - 2) % 7)
    standard = publish_standard(
        actor=supervisor, facility=facility, holidays=[holiday], triage_hours=20
    )
    for number in range(1, 6):
        book(unit_a, number, booked_at=timezone.now() - timedelta(days=DAYS + 10))
    assert prepare_reports_demo(facility) > 100
    rules = clock_standard(facility, standard)
    assert set(Kite.objects.values_list("standard", flat=True)) == {standard.pk}
    allowances = set()
    before_the_holiday = set()
    for clock in Clock.objects.select_related("kite"):
        received = clock.kite.received_at
        if clock.kind == ClockKind.TRIAGE:
            # Compared as instants: Python never calls a wall time that a DST change
            # makes ambiguous equal to a time in another zone.
            assert clock.due_at.timestamp() == clocks.triage_due(rules, received).timestamp()
            assert clock.due_at - received == timedelta(hours=20)
        else:
            assert clock.due_at.timestamp() == clocks.face_to_face_due(rules, received).timestamp()
            allowances.add(clock.due_at - received)
            if received.astimezone(rules.zone).date() == holiday - timedelta(days=1):
                before_the_holiday.add(clock.due_at - received)
    assert allowances == {timedelta(hours=48), timedelta(hours=72)}
    assert before_the_holiday == {timedelta(hours=72)}
    # Every step of the history has happened.
    now = timezone.now()
    assert not Kite.objects.filter(closed_at__gt=now).exists()
