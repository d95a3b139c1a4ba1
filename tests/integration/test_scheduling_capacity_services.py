"""Capacity (`capacity_services.py`): room names custody may read, session types that hold
each need one at a time, names refused rather than cut, and codes taken in a race refused
in plain words."""

from collections.abc import Iterator
from typing import Any

import pytest
from django.db.models.signals import pre_save

from kiteline.care.models import Service
from kiteline.care.services import add_service
from kiteline.facilities.models import Facility, HousingUnit
from kiteline.scheduling.capacity_services import (
    SessionTypeDetails,
    add_room,
    add_session_type,
    update_session_type,
)
from kiteline.scheduling.guards import ScheduleError
from kiteline.scheduling.models import Room, SessionType
from tests.integration.scheduling_world import World, build_world


@pytest.fixture
def world(facility: Facility, unit_a: HousingUnit) -> World:
    return build_world(facility, unit_a)


def individual(name: str = "Another individual session", **changes: Any) -> SessionTypeDetails:
    details: dict[str, Any] = {
        "name": name,
        "kind": "individual",
        "minutes": 45,
        "seats": 1,
        "clinicians": [],
    }
    return SessionTypeDetails(**(details | changes))


# ---- Rooms: custody reads their names ---------------------------------------------------


def test_a_room_named_for_a_service_is_refused(world: World) -> None:
    with pytest.raises(ScheduleError, match="never a service"):
        add_room(
            actor=world.supervisor,
            facility=world.facility,
            code="psy",
            name="Psychiatry office",
            seats=1,
        )


@pytest.mark.parametrize(
    "name",
    [
        "Individual session office",  # a session type's name
        "Room individual",  # a session type's code, as a word
        "INDIVIDUAL room",
    ],
)
def test_a_room_named_for_a_session_type_is_refused(world: World, name: str) -> None:
    with pytest.raises(ScheduleError, match="never a service or a session type"):
        add_room(actor=world.supervisor, facility=world.facility, code="r9", name=name, seats=1)
    assert not Room.objects.filter(code="r9").exists()


def test_a_code_inside_another_word_does_not_refuse_a_room(world: World) -> None:
    add_session_type(
        actor=world.supervisor,
        facility=world.facility,
        code="it",
        details=individual(name="Intake talk", service=None, active=False),
    )
    room = add_room(
        actor=world.supervisor, facility=world.facility, code="r9", name="Health unit, B", seats=1
    )
    assert room.name == "Health unit, B"


def test_a_room_name_over_a_hundred_characters_is_refused(world: World) -> None:
    with pytest.raises(ScheduleError, match="at most 100 characters"):
        add_room(
            actor=world.supervisor, facility=world.facility, code="r9", name="R" * 101, seats=1
        )


# ---- Session types ------------------------------------------------------------------------


def test_a_session_type_name_over_a_hundred_characters_is_refused_not_cut(
    world: World,
) -> None:
    with pytest.raises(ScheduleError, match="at most 100 characters"):
        update_session_type(
            actor=world.supervisor,
            session=world.individual,
            details=individual(name="I" * 101, clinicians=[world.clinician]),
        )
    world.individual.refresh_from_db()
    assert world.individual.name == "Individual session"


def test_a_second_active_general_session_type_of_a_kind_is_refused(world: World) -> None:
    with pytest.raises(ScheduleError, match=r"Individual session \(individual\) already holds"):
        add_session_type(
            actor=world.supervisor, facility=world.facility, code="one-to-one", details=individual()
        )
    assert not SessionType.objects.filter(code="one-to-one").exists()


def test_a_general_session_type_is_not_switched_on_beside_another(world: World) -> None:
    spare = add_session_type(
        actor=world.supervisor,
        facility=world.facility,
        code="one-to-one",
        details=individual(active=False),
    )
    with pytest.raises(ScheduleError, match="already holds"):
        update_session_type(actor=world.supervisor, session=spare, details=individual())
    spare.refresh_from_db()
    assert not spare.active


def test_a_session_type_of_another_kind_or_delivering_a_service_is_added(
    world: World, service: Service
) -> None:
    add_session_type(
        actor=world.supervisor,
        facility=world.facility,
        code="crisis",
        details=individual(name="Follow-up", kind="crisis_follow_up"),
    )
    add_session_type(
        actor=world.supervisor,
        facility=world.facility,
        code="granted",
        details=individual(name="Granted sessions", service=service),
    )
    assert SessionType.objects.filter(facility=world.facility, active=True).count() == 4


def test_a_second_active_session_type_delivering_the_same_service_is_refused(
    world: World, service: Service
) -> None:
    add_session_type(
        actor=world.supervisor,
        facility=world.facility,
        code="granted",
        details=individual(name="Granted sessions", service=service),
    )
    with pytest.raises(ScheduleError, match=r"Granted sessions \(granted\) already delivers"):
        add_session_type(
            actor=world.supervisor,
            facility=world.facility,
            code="granted2",
            details=individual(name="Granted sessions too", service=service),
        )


@pytest.fixture
def service(world: World) -> Service:
    return add_service(
        actor=world.supervisor,
        facility=world.facility,
        code="granted_service",
        name_en="Granted service",
        name_es="Servicio concedido",
    )


# ---- Codes taken in a race ----------------------------------------------------------------


@pytest.fixture
def taken_meanwhile() -> Iterator[None]:
    """Another supervisor's add of the same code lands just before this one's insert."""
    racing = {Room, SessionType}

    def insert_first(
        sender: type[Room | SessionType], instance: Room | SessionType, **_: Any
    ) -> None:
        if sender in racing and instance.pk is None and instance.code == "taken":
            racing.discard(sender)
            other = sender.objects.get(facility_id=instance.facility_id, code="template")
            other.pk, other.code = None, "taken"
            other.save()

    pre_save.connect(insert_first, weak=False)
    yield
    pre_save.disconnect(insert_first)


@pytest.mark.usefixtures("taken_meanwhile")
def test_a_room_code_taken_meanwhile_is_refused_in_plain_words(world: World) -> None:
    add_room(
        actor=world.supervisor,
        facility=world.facility,
        code="template",
        name="Health unit, 7",
        seats=1,
    )
    with pytest.raises(ScheduleError, match="There is already a room taken"):
        add_room(
            actor=world.supervisor,
            facility=world.facility,
            code="taken",
            name="Health unit, 8",
            seats=1,
        )


@pytest.mark.usefixtures("taken_meanwhile")
def test_a_session_type_code_taken_meanwhile_is_refused_in_plain_words(world: World) -> None:
    add_session_type(
        actor=world.supervisor,
        facility=world.facility,
        code="template",
        details=individual(name="Spare", active=False),
    )
    with pytest.raises(ScheduleError, match="There is already a session type taken"):
        add_session_type(
            actor=world.supervisor,
            facility=world.facility,
            code="taken",
            details=individual(name="Spare too", active=False),
        )
