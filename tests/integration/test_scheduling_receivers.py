"""A release or a transfer closes the stay's requirements at once (`receivers.py`): at the
event's time, with its reason, its appointments still to come withdrawn and one audit event,
in the roster change's transaction."""

import pytest
from django.utils import timezone

from kiteline.audit.models import AuditEvent
from kiteline.facilities.models import Facility, HousingUnit
from kiteline.facilities.services import release_person, transfer_person
from kiteline.scheduling.models import Appointment, AppointmentStatus, CloseReason, Requirement
from tests.integration.scheduling_world import World, build_world


@pytest.fixture
def world(facility: Facility, unit_a: HousingUnit) -> World:
    return build_world(facility, unit_a)


def booked_twice(world: World) -> tuple[Appointment, Appointment]:
    """One person's contact, published for next week; and a copy of it at 00:00 today
    that has begun by now (the release comes after it)."""
    booking = world.on_level(1)
    upcoming = world.publish().appointments.get()
    begun = Appointment.objects.get(pk=upcoming.pk)
    begun.pk, begun.date, begun.start_minute = None, world.today(), 0
    begun.save()
    assert booking.pk == upcoming.requirement.booking_id
    return upcoming, begun


def statuses(*appointments: Appointment) -> list[str]:
    return [Appointment.objects.get(pk=a.pk).status for a in appointments]


def test_a_release_closes_the_stays_requirements_at_once_and_withdraws_what_is_to_come(
    world: World,
) -> None:
    upcoming, begun = booked_twice(world)
    released_at = timezone.now()
    release_person(actor=None, booking=upcoming.requirement.booking, at=released_at)
    requirement = Requirement.objects.get(pk=upcoming.requirement_id)
    assert (requirement.close_reason, requirement.closed_at) == (
        CloseReason.RELEASED,
        released_at,
    )
    # What began before the release stays: whether it happened is still to be recorded.
    assert statuses(upcoming, begun) == [AppointmentStatus.WITHDRAWN, AppointmentStatus.PUBLISHED]
    event = AuditEvent.objects.get(action="scheduling.requirements_close")
    assert event.subjects == [f"requirement:{requirement.pk}", f"appointment:{upcoming.pk}"]
    assert event.detail == {"reason": "released"}
    assert event.person_id == requirement.person_id


def test_a_transfer_closes_the_sending_facilitys_requirements_at_the_transfer(
    world: World, south_unit: HousingUnit
) -> None:
    upcoming, begun = booked_twice(world)
    moved_at = timezone.now()
    transfer_person(
        actor=None, booking=upcoming.requirement.booking, to_unit=south_unit, at=moved_at
    )
    requirement = Requirement.objects.get(pk=upcoming.requirement_id)
    assert (requirement.close_reason, requirement.closed_at) == (
        CloseReason.TRANSFERRED,
        moved_at,
    )
    assert statuses(upcoming, begun) == [AppointmentStatus.WITHDRAWN, AppointmentStatus.PUBLISHED]
    event = AuditEvent.objects.get(action="scheduling.requirements_close")
    assert event.chain == world.facility.code


def test_a_release_with_nothing_open_records_nothing(world: World) -> None:
    booking = world.on_level(1)
    release_person(actor=None, booking=booking, at=timezone.now())
    assert not AuditEvent.objects.filter(action="scheduling.requirements_close").exists()
