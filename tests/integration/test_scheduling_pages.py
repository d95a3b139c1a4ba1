from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from kiteline.audit.models import AuditEvent
from kiteline.facilities.models import Facility, HousingUnit
from kiteline.scheduling.models import (
    Appointment,
    AppointmentOutcome,
    AppointmentStatus,
    Requirement,
    RunStatus,
    ScheduleRun,
)
from kiteline.scheduling.problem_source import local_date
from kiteline.scheduling.services import propose_schedule, publish_schedule
from tests.integration.scheduling_world import World, build_world


@pytest.fixture
def world(facility: Facility, unit_a: HousingUnit) -> World:
    return build_world(facility, unit_a)


def _published(world: World, people: int = 3) -> ScheduleRun:
    for number in range(1, people + 1):
        world.on_level(number)
    run = propose_schedule(
        actor=world.supervisor, facility=world.facility, start=world.next_monday(), days=7
    )
    return publish_schedule(actor=world.supervisor, run=run)


def test_a_supervisor_proposes_reviews_and_publishes_from_the_pages(
    client: Client, world: World
) -> None:
    world.on_level(1)
    world.on_level(2)
    client.force_login(world.supervisor)
    response = client.post(
        reverse("scheduling-propose"),
        {"start": world.next_monday().isoformat(), "days": "7", "method": "greedy"},
    )
    run = ScheduleRun.objects.get()
    assert response["Location"] == reverse("scheduling-run", args=[run.pk])
    page = client.get(reverse("scheduling-run", args=[run.pk])).content.decode()
    assert "Every hard rule holds" in page
    assert "Testfield1" in page
    assert "Testfield2" in page
    client.post(reverse("scheduling-publish", args=[run.pk]))
    run.refresh_from_db()
    assert run.status == RunStatus.PUBLISHED
    assert AuditEvent.objects.filter(action="scheduling.schedule_read").exists()


def test_a_hand_edit_that_breaks_a_rule_is_listed_and_blocks_publishing(
    client: Client, world: World
) -> None:
    world.on_level(1)
    world.on_level(2)
    run = propose_schedule(
        actor=world.supervisor, facility=world.facility, start=world.next_monday(), days=7
    )
    client.force_login(world.supervisor)
    for appointment in run.appointments.all():
        client.post(
            reverse("scheduling-appointment-move", args=[appointment.pk]),
            {
                "day": world.next_monday().isoformat(),
                "start": "09:00",
                "clinician": str(world.clinician.pk),
                "room": str(world.room.pk),
            },
        )
    page = client.get(reverse("scheduling-run", args=[run.pk])).content.decode()
    assert "publishing is refused" in page
    client.post(reverse("scheduling-publish", args=[run.pk]))
    run.refresh_from_db()
    assert run.status == RunStatus.PROPOSED


def test_a_move_with_a_malformed_time_changes_nothing(client: Client, world: World) -> None:
    world.on_level(1)
    run = propose_schedule(
        actor=world.supervisor, facility=world.facility, start=world.next_monday(), days=7
    )
    appointment = run.appointments.get()
    client.force_login(world.supervisor)
    response = client.post(
        reverse("scheduling-appointment-move", args=[appointment.pk]),
        {
            "day": world.next_monday().isoformat(),
            "start": "nine",
            "clinician": str(world.clinician.pk),
            "room": str(world.room.pk),
        },
        follow=True,
    )
    assert "Write the time as HH:MM" in response.content.decode()
    before = (appointment.date, appointment.start_minute)
    appointment.refresh_from_db()
    assert (appointment.date, appointment.start_minute) == before


def test_outcomes_recorded_on_the_day_page_show_apart_in_missed_contacts(
    client: Client, world: World
) -> None:
    _published(world)
    today = local_date(world.facility, timezone.now())
    refused, cancelled, attended = Appointment.objects.order_by("pk")
    Appointment.objects.update(date=today)
    client.force_login(world.supervisor)
    for appointment, form in (
        (refused, {"outcome": "refused", "note": "Offered Friday morning."}),
        (cancelled, {"outcome": "cancelled_custody", "custody_reason": "lockdown"}),
        (attended, {"outcome": "attended"}),
    ):
        client.post(reverse("scheduling-appointment-outcome", args=[appointment.pk]), form)
    outcomes = dict(Appointment.objects.values_list("pk", "outcome"))
    assert outcomes == {
        refused.pk: AppointmentOutcome.REFUSED,
        cancelled.pk: AppointmentOutcome.CANCELLED_CUSTODY,
        attended.pk: AppointmentOutcome.ATTENDED,
    }
    response = client.get(reverse("scheduling-missed"))
    assert response.context["page"].counts == {
        "refused": 1,
        "cancelled_custody": 1,
        "cancelled_clinician": 0,
        "no_outcome": 0,
        "never_scheduled": 0,
    }
    page = response.content.decode()
    assert "Offered Friday morning." in page
    # The two that did not happen are still required.
    assert Requirement.objects.filter(closed_at__isnull=True).count() == 2


def test_a_custody_cancellation_without_a_reason_is_refused(client: Client, world: World) -> None:
    _published(world, people=1)
    appointment = Appointment.objects.get()
    Appointment.objects.update(date=local_date(world.facility, timezone.now()))
    client.force_login(world.clinician2)
    response = client.post(
        reverse("scheduling-appointment-outcome", args=[appointment.pk]),
        {"outcome": "cancelled_custody"},
        follow=True,
    )
    assert "Say why custody cancelled" in response.content.decode()
    appointment.refresh_from_db()
    assert appointment.outcome == ""


def test_a_clinician_sees_their_own_appointments_of_the_day(client: Client, world: World) -> None:
    _published(world)
    Appointment.objects.update(date=local_date(world.facility, timezone.now()))
    mine = Appointment.objects.filter(clinician=world.clinician).count()
    client.force_login(world.clinician)
    response = client.get(reverse("scheduling-appointments"))
    assert len(response.context["page"].rows) == mine
    everyone = client.get(reverse("scheduling-appointments") + "?all=1")
    assert len(everyone.context["page"].rows) == Appointment.objects.count()


def test_the_waitlist_page_lists_requirements_and_refresh_opens_them(
    client: Client, world: World
) -> None:
    world.on_level(1)
    client.force_login(world.clinician)
    client.post(reverse("scheduling-refresh"))
    response = client.get(reverse("scheduling-requirements"))
    (row,) = response.context["page"].rows
    assert row.resident_number == "R0000001"
    assert row.state in {"to schedule", "overdue"}


@pytest.mark.parametrize(
    "url_name", ["scheduling-schedules", "scheduling-requirements", "scheduling-missed"]
)
def test_custody_cannot_open_the_clinical_scheduling_pages(
    client: Client, world: World, url_name: str
) -> None:
    client.force_login(world.custody)
    assert client.get(reverse(url_name)).status_code == 403


def test_a_clinician_cannot_propose_or_publish(client: Client, world: World) -> None:
    run = _published(world, people=1)
    client.force_login(world.clinician)
    assert client.post(reverse("scheduling-publish", args=[run.pk])).status_code == 403
    response = client.post(
        reverse("scheduling-propose"),
        {"start": world.next_monday().isoformat(), "method": "greedy"},
    )
    assert response.status_code == 403
    assert ScheduleRun.objects.count() == 1
    assert set(Appointment.objects.values_list("status", flat=True)) == {
        AppointmentStatus.PUBLISHED
    }


def test_changing_the_date_keeps_everyones_appointments(client: Client, world: World) -> None:
    client.force_login(world.clinician)
    page = client.get(reverse("scheduling-appointments") + "?all=1").content.decode()
    assert '<input type="hidden" name="all" value="1">' in page
    own = client.get(reverse("scheduling-appointments")).content.decode()
    assert 'name="all"' not in own.split("</form>")[0]


def test_a_passed_appointment_with_no_outcome_shows_on_the_pages(
    client: Client, world: World
) -> None:
    run = _published(world, people=1)
    run.appointments.update(date=world.today() - timedelta(days=2))
    client.force_login(world.supervisor)
    requirements = client.get(reverse("scheduling-requirements")).content.decode()
    assert "no outcome recorded" in requirements
    response = client.get(reverse("scheduling-missed"))
    assert 'data-cause="no_outcome">1<' in response.content.decode()


def test_a_missed_contacts_period_longer_than_a_year_is_cut_with_a_message(
    client: Client, world: World
) -> None:
    client.force_login(world.supervisor)
    today = world.today()
    response = client.get(
        reverse("scheduling-missed"), {"start": "2001-01-01", "end": today.isoformat()}
    )
    page = response.context["page"]
    assert (page.start, page.end) == (today - timedelta(days=365), today)
    assert "A period is at most 366 days" in response.content.decode()


def test_a_proposal_more_than_a_year_ahead_is_refused_by_the_form(
    client: Client, world: World
) -> None:
    client.force_login(world.supervisor)
    client.post(
        reverse("scheduling-propose"),
        {"start": "9999-12-25", "days": "7", "method": "greedy"},
    )
    assert not ScheduleRun.objects.exists()
    page = client.get(reverse("scheduling-schedules")).content.decode()
    assert "A schedule starts at most 366 days from today." in page
