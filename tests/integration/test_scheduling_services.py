from datetime import timedelta

import pytest
from django.utils import timezone

from kiteline.audit.models import AuditEvent
from kiteline.facilities.models import Facility, HousingUnit
from kiteline.facilities.services import release_person
from kiteline.kites.sweep import sweep
from kiteline.scheduling.models import (
    Appointment,
    AppointmentOutcome,
    AppointmentStatus,
    CloseReason,
    Requirement,
    RunStatus,
)
from kiteline.scheduling.services import (
    ScheduleError,
    add_room,
    local_today,
    move_appointment,
    propose_schedule,
    publish_schedule,
    record_outcome,
    refresh_requirements,
)
from tests.integration.scheduling_world import World, build_world


@pytest.fixture
def world(facility: Facility, unit_a: HousingUnit) -> World:
    return build_world(facility, unit_a)


def _refresh(world: World) -> None:
    refresh_requirements(actor=world.supervisor, facility=world.facility, now=timezone.now())


def test_a_level_of_care_opens_its_required_contact(world: World) -> None:
    booking = world.on_level(1, "enhanced")
    _refresh(world)
    requirement = Requirement.objects.get(booking=booking)
    assert requirement.key == "level:clinician"
    assert requirement.mandatory
    assert requirement.session_type == world.individual
    assert (requirement.due - requirement.waiting_since).days == 7


def test_refreshing_twice_changes_nothing(world: World) -> None:
    world.on_level(1)
    _refresh(world)
    second = refresh_requirements(
        actor=world.supervisor, facility=world.facility, now=timezone.now()
    )
    assert (second.opened, second.updated, second.closed) == (0, 0, 0)
    assert Requirement.objects.count() == 1


def test_a_release_closes_the_requirement_with_its_reason(world: World) -> None:
    booking = world.on_level(1)
    _refresh(world)
    release_person(actor=None, booking=booking, at=timezone.now())
    _refresh(world)
    requirement = Requirement.objects.get(booking=booking)
    assert requirement.close_reason == CloseReason.RELEASED


def test_a_proposal_books_everyone_due_and_publishing_makes_it_the_facilitys(
    world: World,
) -> None:
    bookings = [world.on_level(n) for n in range(1, 6)]
    run = propose_schedule(
        actor=world.supervisor, facility=world.facility, start=world.next_monday(), days=7
    )
    assert run.status == RunStatus.PROPOSED
    booked = {a.person_id for a in run.appointments.all()}
    assert booked == {b.person_id for b in bookings}
    publish_schedule(actor=world.supervisor, run=run)
    assert set(run.appointments.values_list("status", flat=True)) == {AppointmentStatus.PUBLISHED}
    assert AuditEvent.objects.filter(action="scheduling.publish").count() == 1


def test_publishing_refuses_a_hand_edit_that_double_books_a_clinician(world: World) -> None:
    world.on_level(1)
    world.on_level(2)
    run = propose_schedule(
        actor=world.supervisor, facility=world.facility, start=world.next_monday(), days=7
    )
    first, second = run.appointments.all()[:2]
    start = 9 * 60
    # Fifteen minutes apart, in two rooms: the same clinician in two sessions at once.
    for appointment, room, minute in (
        (first, world.room, start),
        (second, world.room2, start + 15),
    ):
        move_appointment(
            actor=world.supervisor,
            appointment=appointment,
            day=world.next_monday(),
            start_minute=minute,
            clinician=world.clinician,
            room=room,
        )
    with pytest.raises(ScheduleError, match="two sessions at once"):
        publish_schedule(actor=world.supervisor, run=run)
    run.refresh_from_db()
    assert run.status == RunStatus.PROPOSED


def test_a_refusal_keeps_the_requirement_open_and_attendance_meets_it(world: World) -> None:
    world.on_level(1)
    world.on_level(2)
    today = local_today(world.facility, timezone.now())
    run = propose_schedule(
        actor=world.supervisor, facility=world.facility, start=world.next_monday(), days=7
    )
    publish_schedule(actor=world.supervisor, run=run)
    refused, attended = Appointment.objects.order_by("pk")[:2]
    # The outcome is written once the day has come.
    Appointment.objects.filter(pk__in=[refused.pk, attended.pk]).update(date=today)
    refused.refresh_from_db()
    attended.refresh_from_db()
    with pytest.raises(ScheduleError, match="offered next"):
        record_outcome(
            actor=world.clinician, appointment=refused, outcome=AppointmentOutcome.REFUSED
        )
    record_outcome(
        actor=world.clinician,
        appointment=refused,
        outcome=AppointmentOutcome.REFUSED,
        note="Offered Thursday afternoon.",
    )
    record_outcome(actor=world.clinician, appointment=attended, outcome=AppointmentOutcome.ATTENDED)
    assert refused.requirement.closed_at is None
    attended.requirement.refresh_from_db()
    assert attended.requirement.close_reason == CloseReason.MET
    _refresh(world)
    # The attended contact opens the next one, due a week after it.
    following = Requirement.objects.get(booking=attended.requirement.booking, closed_at=None)
    assert following.due == today + timedelta(days=7)


def test_a_room_named_for_a_service_is_refused(world: World) -> None:
    with pytest.raises(ScheduleError, match="never a service"):
        add_room(
            actor=world.supervisor,
            facility=world.facility,
            code="psy",
            name="Psychiatry office",
            seats=1,
        )


def test_the_sweep_refreshes_requirements_every_ten_minutes(world: World) -> None:
    world.on_level(1)
    now = timezone.now()
    assert sweep(now).requirements_refreshed == 1
    assert Requirement.objects.count() == 1
    world.on_level(2)
    assert sweep(now + timedelta(minutes=5)).requirements_refreshed == 0
    assert Requirement.objects.count() == 1
    assert sweep(now + timedelta(minutes=11)).requirements_refreshed == 1
    assert Requirement.objects.count() == 2
    refreshes = AuditEvent.objects.filter(action="scheduling.requirements_refresh")
    assert list(refreshes.values_list("actor_id", flat=True)) == [None, None]
