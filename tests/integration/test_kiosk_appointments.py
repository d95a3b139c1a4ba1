"""The resident's appointments at the kiosk (issue 8, points 3 and 5): their own next on-site
dates and times, never an off-site trip's date and never anyone else's (I6); the services
they wait for, since when, and what happens next, with no place in any line; in their
language; one read event per page (I7)."""

import html
import re
from datetime import date, timedelta
from typing import TYPE_CHECKING

import pytest
from django.test import Client
from django.utils import dateformat, timezone, translation

from kiteline.accounts.kiosk_services import choose_pin, issue_pin, register_kiosk
from kiteline.accounts.kiosks import KIOSK_COOKIE
from kiteline.accounts.models import User
from kiteline.audit.models import AuditEvent
from kiteline.care.models import Service
from kiteline.care.services import assign_level
from kiteline.facilities.models import Booking, Facility, HousingUnit, Person
from kiteline.scheduling.capacity_services import add_room
from kiteline.scheduling.models import Appointment, Requirement
from kiteline.scheduling.requirement_services import refresh_requirements
from kiteline.scheduling.services import propose_schedule, publish_schedule
from tests.integration.care_world import book
from tests.integration.scheduling_world import World, build_world, grant, offer_service

if TYPE_CHECKING:
    from django.test.client import _MonkeyPatchedWSGIResponse as Response

pytestmark = pytest.mark.django_db

PIN = "2580"


@pytest.fixture
def world(facility: Facility, unit_a: HousingUnit) -> World:
    return build_world(facility, unit_a)


@pytest.fixture
def kiosk_token(world: World) -> str:
    return register_kiosk(actor=world.supervisor, facility=world.facility, name="A Pod dayroom")[1]


def signed_in(kiosk_token: str, nurse: User, person: Person) -> Client:
    """A kiosk client with `person` signed in the way a resident does, with their own PIN."""
    choose_pin(person=person, current_pin=issue_pin(actor=nurse, person=person), new_pin=PIN)
    client = Client()
    client.cookies[KIOSK_COOKIE] = kiosk_token
    response = client.post("/kiosk/", {"resident_number": person.resident_number, "pin": PIN})
    assert response["Location"] == "/kiosk/home/"
    return client


def text_of(response: "Response") -> str:
    """The page as a reader sees it: no tags, entities decoded, spaces collapsed."""
    page = re.sub(r"<(script|style)\b.*?</\1>", " ", response.content.decode(), flags=re.S)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def english_day(day: date) -> str:
    return dateformat.format(day, "l, F j")


def appointments_page(client: Client) -> str:
    response = client.get("/kiosk/appointments/")
    assert response.status_code == 200
    return text_of(response)


@pytest.fixture
def service(world: World) -> Service:
    return offer_service(world, "Trauma therapy", "Terapia de trauma", "Trauma session")


@pytest.fixture
def rosa(world: World) -> Booking:
    return world.on_level(1)


@pytest.fixture
def rosa_kiosk(kiosk_token: str, nurse: User, rosa: Booking) -> Client:
    return signed_in(kiosk_token, nurse, rosa.person)


@pytest.fixture
def published(world: World, rosa: Booking) -> dict[str, Appointment]:
    """A published week: Rosa's session on Tuesday, another resident's on Thursday, and Rosa's
    trip out of the facility the Wednesday after."""
    other = world.on_level(2)
    monday = world.next_monday()
    run = propose_schedule(actor=world.supervisor, facility=world.facility, start=monday, days=7)
    publish_schedule(actor=world.supervisor, run=run)
    own = Appointment.objects.get(person=rosa.person)
    others = Appointment.objects.get(person=other.person)
    Appointment.objects.filter(pk=own.pk).update(date=monday + timedelta(days=1), start_minute=570)
    Appointment.objects.filter(pk=others.pk).update(date=monday + timedelta(days=3))
    outside = add_room(
        actor=world.supervisor,
        facility=world.facility,
        code="outside",
        name="County hospital",
        seats=1,
        on_site=False,
    )
    own.refresh_from_db()
    trip = Appointment.objects.create(
        run=run,
        facility=world.facility,
        requirement=own.requirement,
        person=rosa.person,
        session_type=own.session_type,
        clinician=own.clinician,
        room=outside,
        date=monday + timedelta(days=9),
        start_minute=600,
        minutes=own.minutes,
        status=own.status,
    )
    others.refresh_from_db()
    return {"own": own, "other": others, "trip": trip}


def test_the_kiosk_home_leads_to_my_appointments(rosa_kiosk: Client) -> None:
    home = rosa_kiosk.get("/kiosk/home/")
    assert 'href="/kiosk/appointments/"' in home.content.decode()
    assert "My appointments" in text_of(home)


def test_a_resident_sees_the_date_and_time_of_their_own_appointment(
    rosa_kiosk: Client, published: dict[str, Appointment]
) -> None:
    page = appointments_page(rosa_kiosk)
    assert f"{english_day(published['own'].date)} at 09:30" in page


def test_a_resident_never_sees_the_date_of_an_off_site_trip(
    rosa_kiosk: Client, published: dict[str, Appointment]
) -> None:
    page = appointments_page(rosa_kiosk)
    assert english_day(published["trip"].date) not in page
    assert "10:00" not in page
    assert "County hospital" not in page


def test_a_resident_never_sees_another_residents_appointment(
    rosa_kiosk: Client, published: dict[str, Appointment]
) -> None:
    page = appointments_page(rosa_kiosk)
    assert english_day(published["other"].date) not in page
    assert "Testfield2" not in page
    assert "R0000002" not in page


def test_the_page_names_no_clinician_room_or_session(
    world: World, rosa_kiosk: Client, published: dict[str, Appointment]
) -> None:
    page = appointments_page(rosa_kiosk)
    for hidden in (world.clinician.username, world.clinician2.username, world.room.name):
        assert hidden not in page
    assert world.individual.name not in page


def test_a_resident_with_nothing_planned_is_told_so(rosa_kiosk: Client) -> None:
    page = appointments_page(rosa_kiosk)
    assert "You have no appointments coming up." in page
    assert "Waiting for a service" not in page


def test_a_waitlist_entry_shows_the_service_and_since_when(
    world: World, rosa: Booking, rosa_kiosk: Client, service: Service
) -> None:
    grant(world, rosa, service)
    refresh_requirements(actor=world.supervisor, facility=world.facility, now=timezone.now())
    [waiting] = Requirement.objects.filter(booking=rosa, source="service", mandatory=False)
    page = appointments_page(rosa_kiosk)
    assert "Waiting for a service Trauma therapy" in page
    since = dateformat.format(waiting.waiting_since, "l, F j, Y")
    assert f"Waiting since {since}." in page
    assert "People whose need is greater go first. Then, whoever has waited longest." in page
    assert "When you get a date, you will see it here." in page
    assert 'href="/kiosk/requests/new/"' in rosa_kiosk.get("/kiosk/appointments/").text


def test_the_waitlist_shows_no_place_in_line_and_no_one_else(
    world: World, rosa: Booking, rosa_kiosk: Client, service: Service
) -> None:
    # Two people wait ahead of Rosa: her page says nothing of them, nor where she stands.
    for number in (2, 3):
        grant(world, world.on_level(number), service)
    grant(world, rosa, service)
    refresh_requirements(actor=world.supervisor, facility=world.facility, now=timezone.now())
    assert Requirement.objects.filter(source="service").count() == 3
    page = appointments_page(rosa_kiosk)
    assert page.count("Trauma therapy") == 1
    assert "Testfield2" not in page
    assert "Testfield3" not in page
    assert re.search(r"\b(3rd|third|number 3|position|place \d)", page, flags=re.I) is None


def test_each_page_writes_one_read_event_naming_what_it_showed(
    rosa_kiosk: Client, published: dict[str, Appointment]
) -> None:
    appointments_page(rosa_kiosk)
    [event] = AuditEvent.objects.filter(action="scheduling.mine_read")
    assert event.subjects == [f"appointment:{published['own'].pk}"]


def test_a_spanish_speaker_reads_the_page_in_spanish(
    world: World, kiosk_token: str, nurse: User, service: Service
) -> None:
    lucia = book(world.unit, 4, language="es")
    assign_level(actor=world.clinician, person=lucia.person, level="enhanced", reason="Seen.")
    monday = world.next_monday()
    run = propose_schedule(actor=world.supervisor, facility=world.facility, start=monday, days=7)
    publish_schedule(actor=world.supervisor, run=run)
    Appointment.objects.filter(person=lucia.person).update(date=monday, start_minute=13 * 60)
    grant(world, lucia, service)
    refresh_requirements(actor=world.supervisor, facility=world.facility, now=timezone.now())
    [waiting] = Requirement.objects.filter(booking=lucia, source="service", mandatory=False)
    client = signed_in(kiosk_token, nurse, lucia.person)
    assert "Mis citas" in text_of(client.get("/kiosk/home/"))
    response = client.get("/kiosk/appointments/")
    assert response["Content-Language"] == "es"
    page = text_of(response)
    with translation.override("es"):
        day = dateformat.format(monday, r"l j \d\e F")
        since = dateformat.format(waiting.waiting_since, r"l j \d\e F \d\e Y")
    assert "Sus próximas citas" in page
    assert f"{day} a las 13:00" in page
    assert "Esperando un servicio Terapia de trauma" in page
    assert f"Esperando desde el {since}." in page
    assert "Trauma therapy" not in page
