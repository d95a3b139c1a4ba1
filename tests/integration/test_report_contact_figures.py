"""Required contacts against an independent count of requirements and appointments made
through the scheduling services: levels of care, refreshes, schedules proposed and
published, releases and transfers."""

from collections import Counter
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from kiteline.accounts.models import Role
from kiteline.facilities.models import Facility, HousingUnit
from kiteline.facilities.services import release_person, transfer_person
from kiteline.reports.figures import BY_PERIOD, NEVER_SCHEDULED, Scope, required_contacts
from kiteline.scheduling.capacity_services import SessionTypeDetails, add_session_type
from kiteline.scheduling.models import AppointmentStatus, CloseReason, Requirement
from kiteline.scheduling.requirement_services import refresh_requirements
from tests.integration.care_world import staff
from tests.integration.scheduling_world import World, build_world

NOW = timezone.now()


@pytest.fixture
def world(facility: Facility, unit_a: HousingUnit) -> World:
    return build_world(facility, unit_a)


def local(moment: datetime, facility: Facility) -> date:
    return moment.astimezone(ZoneInfo(facility.time_zone)).date()


def missed(facility: Facility, today: date) -> int:
    """Requirements due before `today` that were open at the end of their due day, with no
    published appointment on or before it: counted here, one by one."""
    count = 0
    for requirement in Requirement.objects.filter(facility=facility, mandatory=True):
        opened = local(requirement.opened_at, facility) <= requirement.due
        closed = requirement.closed_at is not None and (
            local(requirement.closed_at, facility) <= requirement.due
        )
        scheduled = any(
            a.status == AppointmentStatus.PUBLISHED and a.date <= requirement.due
            for a in requirement.appointments.all()
        )
        count += requirement.due < today and opened and not closed and not scheduled
    return count


def test_required_contacts_never_scheduled_before_their_due_date(
    world: World, other_facility: Facility, south_unit: HousingUnit
) -> None:
    north, south = world.facility, other_facility
    south_supervisor = staff(Role.SUPERVISOR, south, "contacts-south-supervisor")
    add_session_type(
        actor=south_supervisor,
        facility=south,
        code="individual",
        details=SessionTypeDetails(
            name="Individual session", kind="individual", minutes=45, seats=1, clinicians=[]
        ),
    )

    def on_level(number: int, days_ago: int) -> Requirement:
        """Enhanced care set `days_ago` days ago, its weekly contact opened then."""
        booking = world.on_level_since(number, days_ago)
        refresh_requirements(
            actor=None, facility=north, now=NOW - timedelta(days=days_ago, hours=-1)
        )
        return Requirement.objects.get(booking=booking, closed_at__isnull=True)

    # Due three days ago, never scheduled, then transferred: the sending facility's miss.
    transferred_late = on_level(1, 10)
    # Transferred, or released, before the due date: not missed here.
    transferred_early = on_level(2, 2)
    released = [on_level(number, 2) for number in (3, 4)]
    # Due three days ago, and scheduled only after it.
    scheduled_late = on_level(5, 10)
    # Scheduled in time.
    scheduled = on_level(6, 0)
    world.publish()
    # Only proposed, never published.
    proposed_only = on_level(7, 0)
    world.propose()

    for requirement in (transferred_late, transferred_early):
        transfer_person(
            actor=None, booking=requirement.booking, to_unit=south_unit, at=timezone.now()
        )
    for requirement in released:
        release_person(actor=None, booking=requirement.booking, at=timezone.now())
    refresh_requirements(actor=None, facility=south, now=timezone.now())

    copies = Requirement.objects.filter(facility=south, closed_at__isnull=True)
    assert {r.booking_id: r.due for r in copies} == {
        transferred_late.booking_id: transferred_late.due,
        transferred_early.booking_id: transferred_early.due,
    }
    assert Requirement.objects.filter(close_reason=CloseReason.TRANSFERRED).count() == 2
    assert [a.status for a in proposed_only.appointments.all()] == [AppointmentStatus.PROPOSED]
    for requirement in (scheduled_late, scheduled):
        (published,) = requirement.appointments.filter(status=AppointmentStatus.PUBLISHED)
        assert (published.date > requirement.due) == (requirement == scheduled_late)

    # Ten days on, every due date has passed.
    later = NOW + timedelta(days=10)
    for facility, expected in ((north, 3), (south, 1)):
        zone = ZoneInfo(facility.time_zone)
        scope = Scope(
            (facility.pk,),
            facility.time_zone,
            NOW - timedelta(days=30),
            NOW + timedelta(days=30),
            later,
            BY_PERIOD,
        )
        table = required_contacts(scope)
        count = missed(facility, later.astimezone(zone).date())
        assert count == expected
        assert table.counts == {("all", NEVER_SCHEDULED): count}
    assert Counter(r.facility_id for r in Requirement.objects.all()) == {north.pk: 7, south.pk: 2}
