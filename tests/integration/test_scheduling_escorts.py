"""The escort list custody prints (issue 8, point 6): who, when, where and whether an officer
walks them, grouped by housing unit; never a session type, a clinician or a service (I6);
one read event per page (I7)."""

import html
import re
from dataclasses import fields, is_dataclass
from datetime import date
from typing import TYPE_CHECKING

import pytest
from django.db.models import Model
from django.template.context import Context
from django.test import Client
from django.utils import timezone

from kiteline.accounts.allowlists import CUSTODY_ALLOWED_FIELDS
from kiteline.accounts.models import Role, User
from kiteline.audit.models import AuditEvent
from kiteline.care.services import assign_level
from kiteline.facilities.models import Facility, HousingUnit
from kiteline.scheduling.capacity_services import save_scheduling_settings
from kiteline.scheduling.models import Appointment, AppointmentStatus
from kiteline.scheduling.problem import DEFAULT_PERIODS
from kiteline.scheduling.problem_source import local_date
from kiteline.scheduling.selectors import EscortList, EscortRow
from kiteline.scheduling.services import propose_schedule, publish_schedule
from tests.integration.care_world import book, staff
from tests.integration.scheduling_world import World, build_world, grant, offer_service

if TYPE_CHECKING:
    from django.test.client import _MonkeyPatchedWSGIResponse as Response

pytestmark = pytest.mark.django_db

SERVICE_EN, SERVICE_ES = "Trauma therapy", "Terapia de trauma"
THERAPY_SESSION = "Trauma session"


@pytest.fixture
def world(facility: Facility, unit_a: HousingUnit) -> World:
    return build_world(facility, unit_a)


@pytest.fixture
def day(world: World, unit_b: HousingUnit) -> date:
    """A published week whose appointments all fall on its Monday: two people in A Pod (one
    granted trauma therapy) and one in B Pod, a unit whose residents walk on their own."""
    save_scheduling_settings(
        actor=world.supervisor,
        facility=world.facility,
        periods=[(w.start, w.end) for w in DEFAULT_PERIODS],
        horizon_days=14,
        unescorted_units=[unit_b],
    )
    service = offer_service(world, SERVICE_EN, SERVICE_ES, THERAPY_SESSION)
    grant(world, world.on_level(1), service)
    world.on_level(2)
    walker = book(unit_b, 3)
    assign_level(actor=world.clinician, person=walker.person, level="enhanced", reason="Seen.")
    monday = world.next_monday()
    run = propose_schedule(actor=world.supervisor, facility=world.facility, start=monday, days=7)
    publish_schedule(actor=world.supervisor, run=run)
    # Scheduled for the service, so its name is there to leak if anything let it through.
    assert run.appointments.filter(session_type__service=service).exists()
    Appointment.objects.filter(status=AppointmentStatus.PUBLISHED).update(date=monday)
    return monday


def escorts(client: Client, **query: str) -> "Response":
    return client.get("/scheduling/escorts/", query)


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def text_of(response: "Response") -> str:
    """The page as a reader sees it: no tags, entities decoded, spaces collapsed."""
    page = re.sub(r"<(script|style)\b.*?</\1>", " ", response.content.decode(), flags=re.S)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def rows_of(response: "Response") -> list[str]:
    """The table rows, each as text."""
    rows = re.findall(r"<tr>.*?</tr>", response.content.decode(), flags=re.S)
    return [" ".join(re.sub(r"<[^>]+>", " ", row).split()) for row in rows]


def row_of(response: "Response", name: str) -> str:
    """The one table row of the person named."""
    [row] = [row for row in rows_of(response) if name in row]
    return row


def test_an_escort_row_carries_exactly_the_fields_custody_is_allowed() -> None:
    assert {field.name for field in fields(EscortRow)} == CUSTODY_ALLOWED_FIELDS["escort_row"]


def test_custody_sees_who_goes_where_and_when_by_unit(world: World, day: date) -> None:
    response = escorts(signed_in(world.custody), date=day.isoformat())
    assert response.status_code == 200
    page, rows = text_of(response), rows_of(response)
    for appointment in Appointment.objects.select_related("person", "room"):
        person, minute = appointment.person, appointment.start_minute
        row = (
            f"{minute // 60:02d}:{minute % 60:02d} {person.family_name}, {person.given_name} "
            f"{person.resident_number} {appointment.room.name}"
        )
        assert any(shown.startswith(row) for shown in rows), row
    assert "A Pod" in page
    assert "B Pod" in page
    assert page.index("A Pod") < page.index("Testfield1") < page.index("B Pod")


def holds_a_model(value: object) -> bool:
    """Whether a model instance is in `value`, through dataclasses and containers."""
    if isinstance(value, Model):
        return True
    if is_dataclass(value) and not isinstance(value, type):
        return any(holds_a_model(getattr(value, f.name)) for f in fields(value))
    if isinstance(value, dict):
        return any(holds_a_model(v) for v in value.values())
    if isinstance(value, list | tuple | set | frozenset):
        return any(holds_a_model(v) for v in value)
    return False


def test_the_template_gets_the_escort_list_and_no_model_instance(world: World, day: date) -> None:
    response = escorts(signed_in(world.custody), date=day.isoformat())
    context = response.context
    assert isinstance(context, Context)
    assert isinstance(context["escorts"], EscortList)
    # The view's own context, after the context processors' (which hold the signed-in user).
    view_context = context.dicts[-1]
    assert "escorts" in view_context
    assert not any(holds_a_model(value) for value in view_context.values())


def test_the_escort_page_names_no_session_clinician_or_service(world: World, day: date) -> None:
    page = escorts(signed_in(world.custody), date=day.isoformat()).content.decode()
    assert Appointment.objects.count() >= 3
    for secret in (
        THERAPY_SESSION,
        world.individual.name,
        world.psychiatry.name,
        world.clinician.username,
        world.clinician2.username,
        SERVICE_EN,
        SERVICE_ES,
    ):
        assert secret not in page


def test_a_resident_of_an_unescorted_unit_needs_no_escort(world: World, day: date) -> None:
    response = escorts(signed_in(world.custody), date=day.isoformat())
    assert row_of(response, "Testfield3").endswith("No")
    assert row_of(response, "Testfield2").endswith("Yes")


def test_the_unit_filter_lists_only_that_unit(world: World, day: date) -> None:
    page = text_of(escorts(signed_in(world.custody), date=day.isoformat(), unit="B"))
    assert "Testfield3" in page
    assert "Testfield1" not in page
    assert "Testfield2" not in page


def test_without_a_date_the_list_is_for_today_at_the_facility(world: World, day: date) -> None:
    response = escorts(signed_in(world.custody))
    assert response.status_code == 200
    today = local_date(world.facility, timezone.now())
    assert f'name="date" value="{today.isoformat()}"' in response.content.decode()
    assert "Testfield1" not in text_of(response)


@pytest.mark.parametrize("typed", ["14/03/2026", "2026-02-30", "tomorrow"])
def test_a_date_nobody_can_read_gets_a_clear_message(world: World, typed: str) -> None:
    response = escorts(signed_in(world.custody), date=typed)
    assert response.status_code == 400
    assert "Write the date as YYYY-MM-DD, for example 2026-03-14." in text_of(response)
    assert not AuditEvent.objects.filter(action="scheduling.escort_list_read").exists()


@pytest.mark.parametrize("role", [Role.NURSE, Role.CLINICIAN])
def test_health_staff_are_refused_the_escort_page(world: World, day: date, role: Role) -> None:
    response = escorts(signed_in(staff(role, world.facility, f"other-{role}")))
    assert response.status_code == 403


def test_a_supervisor_may_print_it_too(world: World, day: date) -> None:
    response = escorts(signed_in(world.supervisor), date=day.isoformat())
    assert response.status_code == 200
    assert "data-print" in response.content.decode()


def test_reading_the_escort_list_writes_one_audit_event(world: World, day: date) -> None:
    escorts(signed_in(world.custody), date=day.isoformat())
    [event] = AuditEvent.objects.filter(action="scheduling.escort_list_read")
    assert event.actor_id == world.custody.pk
    shown = {f"appointment:{pk}" for pk in Appointment.objects.values_list("pk", flat=True)}
    assert set(event.subjects) == shown
    assert set(event.detail["fields"]) == CUSTODY_ALLOWED_FIELDS["escort_row"]


def test_the_page_prints_without_inline_script_or_style(world: World, day: date) -> None:
    page = escorts(signed_in(world.custody), date=day.isoformat()).content.decode()
    assert 'src="/static/kiosk/print.js"' in page
    assert 'href="/static/css/escorts.css"' in page
    assert "<style" not in page
    assert " style=" not in page
    assert "onclick" not in page
    assert re.findall(r"<script(?![^>]*\bsrc=)", page) == []


def test_custody_finds_the_escort_list_in_the_menu(world: World) -> None:
    menu = Client()
    menu.force_login(world.custody)
    assert 'href="/scheduling/escorts/"' in menu.get("/kites/custody/").content.decode()
