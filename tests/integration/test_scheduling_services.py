"""Schedules and outcomes (`services.py`): proposing from tomorrow, publishing so that no
requirement holds two appointments, hand edits on a fresh read, proposals checked against
capacity as it stands, and outcomes that never erase a contact still to be accounted for."""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from kiteline.accounts.models import User
from kiteline.audit.models import AuditEvent
from kiteline.facilities.models import Facility, HousingUnit
from kiteline.scheduling.capacity_services import (
    SessionTypeDetails,
    add_session_type,
)
from kiteline.scheduling.guards import ScheduleError
from kiteline.scheduling.models import (
    Appointment,
    AppointmentOutcome,
    AppointmentStatus,
    CloseReason,
    Requirement,
    Room,
    RunStatus,
    ScheduleRun,
)
from kiteline.scheduling.problem_source import local_date
from kiteline.scheduling.requirement_services import refresh_requirements
from kiteline.scheduling.services import (
    check_proposal,
    discard_schedule,
    move_appointment,
    propose_schedule,
    publish_schedule,
    record_outcome,
    remove_from_proposal,
)
from tests.integration.scheduling_world import World, build_world


@pytest.fixture
def world(facility: Facility, unit_a: HousingUnit) -> World:
    return build_world(facility, unit_a)


def _refresh(world: World) -> None:
    refresh_requirements(actor=world.supervisor, facility=world.facility, now=timezone.now())


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
    today = local_date(world.facility, timezone.now())
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


# ---- A schedule starts tomorrow, within a year ----------------------------------------------


def test_a_schedule_starting_today_is_refused(world: World) -> None:
    world.on_level(1)
    with pytest.raises(ScheduleError, match="tomorrow at the earliest"):
        world.propose(world.today())
    assert not ScheduleRun.objects.exists()


def test_a_proposal_whose_first_day_has_come_is_not_published(world: World) -> None:
    world.on_level(1)
    run = world.propose()
    # Proposed yesterday for today, say: publishing would replan a day under way.
    ScheduleRun.objects.filter(pk=run.pk).update(start=world.today())
    run.refresh_from_db()
    with pytest.raises(ScheduleError, match="today or earlier"):
        publish_schedule(actor=world.supervisor, run=run)
    run.refresh_from_db()
    assert run.status == RunStatus.PROPOSED


def test_a_schedule_starting_more_than_a_year_ahead_is_refused_in_plain_words(
    world: World,
) -> None:
    world.on_level(1)
    for start in (world.today() + timedelta(days=367), date(9999, 12, 25)):
        with pytest.raises(ScheduleError, match="at most 366 days from today"):
            world.propose(start)
    assert not ScheduleRun.objects.exists()


# ---- What holds a requirement -----------------------------------------------------------


def test_a_passed_appointment_with_no_outcome_no_longer_holds_its_requirement(
    world: World,
) -> None:
    world.on_level_since(1, days_ago=20)
    first = world.publish()
    # Its day passed three days ago, and nobody recorded what happened.
    first.appointments.update(date=world.today() - timedelta(days=3))
    again = world.propose()
    assert again.appointments.count() == 1


def test_an_appointment_before_the_first_day_holds_its_requirement(world: World) -> None:
    world.on_level_since(1, days_ago=20)
    world.publish()
    later = world.propose(world.next_monday() + timedelta(days=7))
    assert later.appointments.count() == 0


# ---- One requirement, one appointment waiting ---------------------------------------------


def _pending() -> list[tuple[int, date]]:
    return sorted(
        Appointment.objects.filter(status=AppointmentStatus.PUBLISHED, outcome="").values_list(
            "requirement_id", "date"
        )
    )


def test_publishing_withdraws_the_later_appointment_of_a_requirement_it_places(
    world: World,
) -> None:
    for number in (1, 2, 3):
        world.on_level(number)
    start = world.next_monday()
    first = world.publish(start, days=14)
    moved = first.appointments.order_by("pk").first()
    assert moved is not None
    Appointment.objects.filter(pk=moved.pk).update(date=start + timedelta(days=10))
    # A shorter schedule from the same day places that requirement again, within its week.
    world.publish(start, days=7)
    pending = _pending()
    assert len(pending) == 3
    assert len({requirement for requirement, _ in pending}) == 3
    assert all(day < start + timedelta(days=7) for _, day in pending)
    moved.refresh_from_db()
    assert moved.status == AppointmentStatus.WITHDRAWN


def test_attendance_withdraws_the_requirements_later_appointments(world: World) -> None:
    world.on_level(1)
    run = world.publish()
    held = run.appointments.get()
    Appointment.objects.filter(pk=held.pk).update(date=world.today())
    later = Appointment.objects.get(pk=held.pk)
    later.pk = None
    later.date = world.next_monday() + timedelta(days=2)
    later.save()
    held.refresh_from_db()
    record_outcome(actor=world.clinician, appointment=held, outcome=AppointmentOutcome.ATTENDED)
    later.refresh_from_db()
    assert later.status == AppointmentStatus.WITHDRAWN
    event = AuditEvent.objects.get(action="scheduling.outcome")
    assert f"appointment:{later.pk}" in event.subjects


def test_attendance_keeps_an_earlier_appointment_still_without_an_outcome(
    world: World,
) -> None:
    world.on_level(1)
    run = world.publish()
    held = run.appointments.get()
    Appointment.objects.filter(pk=held.pk).update(date=world.today())
    earlier = Appointment.objects.get(pk=held.pk)
    earlier.pk = None
    earlier.date = world.today() - timedelta(days=2)
    earlier.save()
    held.refresh_from_db()
    record_outcome(actor=world.clinician, appointment=held, outcome=AppointmentOutcome.ATTENDED)
    earlier.refresh_from_db()
    # Whether that one happened is still a clinician's to record: never erased (I5).
    assert (earlier.status, earlier.outcome) == (AppointmentStatus.PUBLISHED, "")


# ---- Proposals checked against capacity as it stands ----------------------------------------


def test_a_proposal_whose_session_type_was_switched_off_is_refused_not_a_crash(
    world: World,
) -> None:
    world.on_level(1)
    run = world.propose()
    world.set_active(world.individual, active=False)
    add_session_type(
        actor=world.supervisor,
        facility=world.facility,
        code="individual2",
        details=SessionTypeDetails(
            name="Individual session 2",
            kind="individual",
            minutes=45,
            seats=1,
            clinicians=[world.clinician],
        ),
    )
    refresh_requirements(actor=None, facility=world.facility, now=timezone.now())
    (problem,) = check_proposal(actor=world.supervisor, run=run)
    assert "its session type Individual session is no longer active" in problem
    with pytest.raises(ScheduleError, match="no longer active"):
        publish_schedule(actor=world.supervisor, run=run)


def test_a_proposal_whose_room_or_clinician_left_names_each(world: World) -> None:
    world.on_level(1)
    run = world.propose()
    booked = run.appointments.select_related("room", "clinician").get()
    Room.objects.filter(pk=booked.room_id).update(active=False)
    User.objects.filter(pk=booked.clinician_id).update(is_active=False)
    (problem,) = check_proposal(actor=world.supervisor, run=run)
    assert f"the room {booked.room.name} is no longer in use" in problem
    assert f"{booked.clinician.username} no longer holds sessions here" in problem


# ---- Hand edits read the schedule again under lock ------------------------------------------


def test_a_stale_copy_of_a_published_schedule_is_not_discarded(world: World) -> None:
    world.on_level(1)
    stale = world.propose()
    publish_schedule(actor=world.supervisor, run=ScheduleRun.objects.get(pk=stale.pk))
    with pytest.raises(ScheduleError, match="Only a proposed schedule"):
        discard_schedule(actor=world.supervisor, run=stale)
    assert ScheduleRun.objects.get(pk=stale.pk).status == RunStatus.PUBLISHED


def test_a_stale_copy_of_a_published_appointment_is_neither_moved_nor_taken_out(
    world: World,
) -> None:
    world.on_level(1)
    run = world.propose()
    stale = run.appointments.select_related("run").get()
    publish_schedule(actor=world.supervisor, run=run)
    with pytest.raises(ScheduleError, match="Only a proposed schedule"):
        move_appointment(
            actor=world.supervisor,
            appointment=stale,
            day=world.next_monday() + timedelta(days=1),
            start_minute=stale.start_minute,
            clinician=stale.clinician,
            room=stale.room,
        )
    with pytest.raises(ScheduleError, match="Only a proposed schedule"):
        remove_from_proposal(actor=world.supervisor, appointment=stale)
    kept = Appointment.objects.get(pk=stale.pk)
    assert (kept.status, kept.date) == (AppointmentStatus.PUBLISHED, stale.date)
