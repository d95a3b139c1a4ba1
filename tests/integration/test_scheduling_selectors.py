"""Reads for health staff (`selectors.py`): the state of each requirement, the missed
contacts by cause (honest about what nobody recorded, and never erased by a release), and
one read event listing every record shown (I7)."""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from kiteline.audit.models import AuditEvent
from kiteline.facilities.models import Booking, Facility, HousingUnit
from kiteline.facilities.services import release_person
from kiteline.scheduling import selectors
from kiteline.scheduling.capacity_services import add_availability_exception
from kiteline.scheduling.guards import ScheduleError
from kiteline.scheduling.models import Requirement
from kiteline.scheduling.requirement_services import refresh_requirements
from kiteline.scheduling.selectors import (
    MissedContacts,
    missed_contacts,
    requirements_page,
    schedule_page,
)
from kiteline.scheduling.services import remove_from_proposal
from tests.integration.scheduling_world import World, build_world


@pytest.fixture
def world(facility: Facility, unit_a: HousingUnit) -> World:
    return build_world(facility, unit_a)


def refresh(world: World) -> None:
    refresh_requirements(actor=None, facility=world.facility, now=timezone.now())


def missed(world: World, start: date | None = None) -> MissedContacts:
    today = world.today()
    return missed_contacts(
        actor=world.supervisor,
        facility_code=None,
        start=start or today - timedelta(days=28),
        end=today,
        now=timezone.now(),
    )


def overdue(world: World, number: int) -> Booking:
    """Enhanced care set twenty days ago: the weekly contact was due thirteen days ago."""
    booking = world.on_level_since(number, days_ago=20)
    refresh(world)
    return booking


# ---- A published appointment whose day passed with no outcome ---------------------------


def test_a_requirement_whose_appointment_passed_with_no_outcome_is_shown_so(
    world: World,
) -> None:
    overdue(world, 1)
    run = world.publish()
    passed = world.today() - timedelta(days=3)
    run.appointments.update(date=passed)
    page = requirements_page(actor=world.supervisor, facility_code=None, now=timezone.now())
    (row,) = page.rows
    assert (row.state, row.appointment_date) == ("no outcome recorded", passed)


def test_a_passed_appointment_with_no_outcome_is_a_missed_contact_of_its_own(
    world: World,
) -> None:
    overdue(world, 1)
    run = world.publish()
    run.appointments.update(date=world.today() - timedelta(days=3))
    found = missed(world)
    assert found.counts["no_outcome"] == 1
    assert [row.appointment_id for row in found.no_outcome] == [run.appointments.get().pk]
    # Today's have not passed yet: nobody is late to record them.
    run.appointments.update(date=world.today())
    assert missed(world).counts["no_outcome"] == 0


# ---- Never scheduled by its due date ------------------------------------------------------


def test_an_appointment_taken_out_of_a_proposal_does_not_count_as_scheduled(
    world: World,
) -> None:
    overdue(world, 1)
    run = world.propose()
    remove_from_proposal(actor=world.supervisor, appointment=run.appointments.get())
    assert missed(world).counts["never_scheduled"] == 1


def test_a_release_never_erases_an_overdue_contact(world: World) -> None:
    booking = overdue(world, 1)
    release_person(actor=None, booking=booking, at=timezone.now())
    assert Requirement.objects.get().closed_at is not None
    found = missed(world)
    assert found.counts["never_scheduled"] == 1
    assert [row.resident_number for row in found.never_scheduled] == ["R0000001"]


def test_a_contact_scheduled_late_still_was_not_scheduled_by_its_due_date(world: World) -> None:
    overdue(world, 1)
    world.publish()
    assert missed(world).counts["never_scheduled"] == 1


def test_a_requirement_closed_before_its_due_date_is_not_missed(world: World) -> None:
    booking = world.on_level_since(1, days_ago=3)
    refresh(world)
    release_person(actor=None, booking=booking, at=timezone.now())
    # As it stands a few days on: due yesterday, but closed by the release two days ago,
    # before anything was owed.
    Requirement.objects.update(
        due=world.today() - timedelta(days=1), closed_at=timezone.now() - timedelta(days=2)
    )
    assert missed(world).counts["never_scheduled"] == 0


def test_the_counts_are_whole_though_the_lists_are_cut(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    for number in (1, 2, 3):
        overdue(world, number)
    monkeypatch.setattr(selectors, "LIST_LIMIT", 2)
    found = missed(world)
    assert found.counts["never_scheduled"] == 3
    assert len(found.never_scheduled) == 2


def test_a_period_longer_than_a_year_is_refused(world: World) -> None:
    with pytest.raises(ScheduleError, match="at most 366 days"):
        missed(world, start=world.today() - timedelta(days=366))
    assert missed(world, start=world.today() - timedelta(days=365)).start is not None


# ---- One read event per page, with every record shown -----------------------------------------


def test_the_schedule_read_lists_the_requirements_it_could_not_place(world: World) -> None:
    overdue(world, 1)
    start = world.next_monday()
    for clinician in (world.clinician, world.clinician2):
        for day in range(7):
            add_availability_exception(
                actor=world.supervisor,
                facility=world.facility,
                clinician=clinician,
                day=start + timedelta(days=day),
                window=None,
                reason="leave",
            )
    run = world.propose(start)
    page = schedule_page(actor=world.supervisor, run_id=run.pk, now=timezone.now())
    (unplaced,) = page.unscheduled
    event = AuditEvent.objects.get(action="scheduling.schedule_read")
    assert f"requirement:{unplaced.requirement_id}" in event.subjects
    assert {"acuity", "waiting_since", "resident_number"} <= set(event.detail["fields"])


def test_the_missed_contacts_read_lists_requirements_and_their_fields(world: World) -> None:
    overdue(world, 1)
    (row,) = missed(world).never_scheduled
    event = AuditEvent.objects.get(action="scheduling.missed_read")
    assert event.subjects == [f"requirement:{row.requirement_id}"]
    assert {"source", "earliest", "waiting_since", "state"} <= set(event.detail["fields"])
