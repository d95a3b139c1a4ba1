"""The capacity pages (issue 8, point 1): a supervisor sets movement periods, rooms, session
types, clinicians' weekly hours and exceptions; supervisors and custody record movement
restrictions. Malformed input is refused whole; a room named after a service is refused
with the service's reason; each page is for its roles and facility only."""

import html
import re
from dataclasses import fields
from datetime import timedelta
from typing import TYPE_CHECKING

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from kiteline.accounts.allowlists import CUSTODY_ALLOWED_FIELDS
from kiteline.accounts.models import Role, User
from kiteline.accounts.navigation import menu_for
from kiteline.audit.models import AuditEvent
from kiteline.care.services import add_service
from kiteline.facilities.models import Facility, HousingUnit
from kiteline.scheduling.capacity_selectors import RestrictionRow
from kiteline.scheduling.capacity_services import add_room, set_weekly_hours
from kiteline.scheduling.models import (
    AvailabilityException,
    MovementRestriction,
    Room,
    SchedulingSettings,
    SessionType,
    WeeklyWindow,
)
from kiteline.scheduling.problem_source import local_date
from tests.integration.care_world import staff

if TYPE_CHECKING:
    from django.test.client import _MonkeyPatchedWSGIResponse as Response

pytestmark = pytest.mark.django_db

CAPACITY = reverse("scheduling-capacity")
RESTRICTIONS = reverse("scheduling-restrictions")
NINE, NOON = 9 * 60, 12 * 60


@pytest.fixture
def supervisor(facility: Facility) -> User:
    return staff(Role.SUPERVISOR, facility, "cap-supervisor")


@pytest.fixture
def alder(facility: Facility) -> User:
    user = staff(Role.CLINICIAN, facility, "cap-alder")
    user.first_name, user.last_name = "Alder", "Reyes"
    user.save()
    return user


@pytest.fixture
def birch(facility: Facility) -> User:
    return staff(Role.CLINICIAN, facility, "cap-birch")


@pytest.fixture
def custody(facility: Facility) -> User:
    return staff(Role.CUSTODY, facility, "cap-custody")


@pytest.fixture
def room(supervisor: User, facility: Facility) -> Room:
    return add_room(
        actor=supervisor, facility=facility, code="r1", name="Health unit, room 1", seats=1
    )


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def text_of(response: "Response") -> str:
    page = re.sub(r"<(script|style)\b.*?</\1>", " ", response.content.decode(), flags=re.S)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def week(**days: str) -> dict[str, str]:
    names = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
    return {"facility": "north", **{name: days.get(name, "") for name in names}}


def test_a_supervisor_adds_a_room_a_session_type_hours_and_an_exception_and_sees_them(
    supervisor: User, alder: User, birch: User, facility: Facility
) -> None:
    client = signed_in(supervisor)
    therapy = add_service(
        actor=supervisor,
        facility=facility,
        code="individual_therapy",
        name_en="Individual therapy",
        name_es="Terapia individual",
    )
    client.post(
        reverse("scheduling-room-add"),
        {
            "facility": "north",
            "code": "hu-3",
            "name": "Health unit, room 3",
            "seats": "1",
            "on_site": "on",
        },
    )
    client.post(
        reverse("scheduling-session-type-add"),
        {
            "facility": "north",
            "code": "one-on-one",
            "name": "One-on-one session",
            "kind": "individual",
            "minutes": "50",
            "seats": "1",
            "clinicians": [str(alder.pk), str(birch.pk)],
            "service": str(therapy.pk),
            "every_days": "7",
            "active": "on",
        },
    )
    client.post(
        reverse("scheduling-weekly-hours", args=[alder.pk]),
        week(monday="09:00-12:00, 13:00-17:00", friday="08:30-11:30"),
    )
    day = local_date(facility, timezone.now()) + timedelta(days=3)
    client.post(
        reverse("scheduling-exception-add", args=[alder.pk]),
        {"facility": "north", "date": day.isoformat(), "hours": "", "reason": "training"},
    )

    room = Room.objects.get(facility=facility, code="hu-3")
    assert (room.name, room.seats, room.on_site, room.active) == (
        "Health unit, room 3",
        1,
        True,
        True,
    )
    session = SessionType.objects.get(facility=facility, code="one-on-one")
    assert set(session.clinicians.all()) == {alder, birch}
    assert (session.kind, session.minutes, session.service, session.every_days) == (
        "individual",
        50,
        therapy,
        7,
    )
    assert list(
        WeeklyWindow.objects.filter(clinician=alder).values_list(
            "weekday", "start_minute", "end_minute"
        )
    ) == [(0, 540, 720), (0, 780, 1020), (4, 510, 690)]
    exception = AvailabilityException.objects.get(clinician=alder)
    assert (exception.date, exception.start_minute, exception.reason) == (day, None, "training")

    page = text_of(client.get(CAPACITY))
    assert "Health unit, room 3" in page
    assert "One-on-one session" in page
    held_by = "(Alder Reyes, cap-birch|cap-birch, Alder Reyes)"
    assert re.search(
        f"One-on-one session one-on-one Individual 50 min 1 {held_by} Individual therapy", page
    )
    assert "Holds: One-on-one session" in page
    assert "none: a day off" in page
    assert "Training" in page
    content = client.get(CAPACITY).content.decode()
    assert 'value="09:00-12:00, 13:00-17:00"' in content
    assert 'value="08:30-11:30"' in content


def test_each_change_says_what_it_did_and_is_audited(
    supervisor: User, alder: User, facility: Facility
) -> None:
    response = signed_in(supervisor).post(
        reverse("scheduling-weekly-hours", args=[alder.pk]),
        week(tuesday="09:00-12:00"),
        follow=True,
    )
    assert "Weekly hours of Alder Reyes saved." in text_of(response)
    assert AuditEvent.objects.filter(
        action="scheduling.weekly_hours", actor_id=supervisor.pk
    ).exists()


def test_a_room_named_after_a_service_is_refused_with_the_reason(
    supervisor: User, facility: Facility
) -> None:
    response = signed_in(supervisor).post(
        reverse("scheduling-room-add"),
        {"facility": "north", "code": "r9", "name": "Psychiatry office", "seats": "1"},
        follow=True,
    )
    assert response.redirect_chain[-1][0].startswith(CAPACITY)
    assert "Custody reads a room's name on the escort list" in text_of(response)
    assert not Room.objects.filter(facility=facility).exists()


def test_renaming_a_room_after_a_service_is_refused_and_the_room_keeps_its_name(
    supervisor: User, room: Room
) -> None:
    response = signed_in(supervisor).post(
        reverse("scheduling-room-edit", args=[room.pk]),
        {"name": "Counseling room", "seats": "1", "on_site": "on", "active": "on"},
        follow=True,
    )
    assert "never a service" in text_of(response)
    room.refresh_from_db()
    assert room.name == "Health unit, room 1"


@pytest.mark.parametrize(
    "hours",
    ["9-12", "09:00-12:00; 13:00-17:00", "12:00-09:00", "09:00-25:00", "nine to noon"],
)
def test_malformed_weekly_hours_are_refused_and_nothing_changes(
    supervisor: User, alder: User, facility: Facility, hours: str
) -> None:
    set_weekly_hours(
        actor=supervisor, facility=facility, clinician=alder, windows=[(0, NINE, NOON)]
    )
    response = signed_in(supervisor).post(
        reverse("scheduling-weekly-hours", args=[alder.pk]),
        # Monday would be valid: nothing is written when any day is not.
        week(monday="10:00-11:00", wednesday=hours),
        follow=True,
    )
    assert f"Wednesday: “{hours}”" in text_of(response)
    assert list(
        WeeklyWindow.objects.filter(clinician=alder).values_list(
            "weekday", "start_minute", "end_minute"
        )
    ) == [(0, NINE, NOON)]


def test_malformed_movement_periods_are_refused_and_the_settings_stay(
    supervisor: User, facility: Facility, unit_a: HousingUnit
) -> None:
    client = signed_in(supervisor)
    client.post(
        reverse("scheduling-capacity-settings"),
        {
            "facility": "north",
            "periods": "08:00-11:30, 13:00-16:30",
            "horizon_days": "14",
            "unescorted_units": [str(unit_a.pk)],
        },
    )
    response = client.post(
        reverse("scheduling-capacity-settings"),
        {"facility": "north", "periods": "08:00-11:30, 1pm-4pm", "horizon_days": "7"},
        follow=True,
    )
    assert "Movement periods: “1pm-4pm” is not hours like 09:00-12:00." in text_of(response)
    settings = SchedulingSettings.objects.get(facility=facility)
    assert (settings.periods, settings.horizon_days) == ([[480, 690], [780, 990]], 14)
    assert list(settings.unescorted_units.all()) == [unit_a]


def test_a_unit_of_another_facility_cannot_be_named_unescorted(
    supervisor: User, facility: Facility, south_unit: HousingUnit
) -> None:
    response = signed_in(supervisor).post(
        reverse("scheduling-capacity-settings"),
        {
            "facility": "north",
            "periods": "08:00-11:30",
            "horizon_days": "14",
            "unescorted_units": [str(south_unit.pk)],
        },
        follow=True,
    )
    assert "is not one of the available choices" in text_of(response)
    assert not SchedulingSettings.objects.filter(facility=facility).exists()


def test_a_session_type_refused_by_the_service_shows_why_and_is_not_added(
    supervisor: User, alder: User, facility: Facility
) -> None:
    response = signed_in(supervisor).post(
        reverse("scheduling-session-type-add"),
        {
            "facility": "north",
            "code": "pairs",
            "name": "Pairs",
            "kind": "individual",
            "minutes": "45",
            "seats": "2",
            "clinicians": [str(alder.pk)],
        },
        follow=True,
    )
    assert "Only a group seats more than one person." in text_of(response)
    assert not SessionType.objects.filter(facility=facility).exists()


def test_custody_add_and_remove_a_restriction(
    custody: User, facility: Facility, unit_a: HousingUnit
) -> None:
    client = signed_in(custody)
    day = local_date(facility, timezone.now())
    response = client.post(
        reverse("scheduling-restriction-add"),
        {
            "facility": "north",
            "date": day.isoformat(),
            "unit": str(unit_a.pk),
            "start": "13:00",
            "end": "24:00",
            "kind": "lockdown",
        },
        follow=True,
    )
    assert response.redirect_chain[-1][0].startswith(RESTRICTIONS)
    restriction = MovementRestriction.objects.get()
    assert (restriction.unit, restriction.start_minute, restriction.end_minute) == (
        unit_a,
        780,
        1440,
    )
    page = text_of(response)
    assert "Movement restriction recorded." in page
    assert "A Pod 13:00 24:00 Lockdown" in page

    response = client.post(
        reverse("scheduling-restriction-remove", args=[restriction.pk]), follow=True
    )
    assert "Movement restriction removed." in text_of(response)
    assert not MovementRestriction.objects.exists()
    assert set(AuditEvent.objects.filter(actor_id=custody.pk).values_list("action", flat=True)) >= {
        "scheduling.restriction_add",
        "scheduling.restriction_remove",
    }


def test_custody_are_refused_the_capacity_page_and_its_actions(custody: User, room: Room) -> None:
    client = signed_in(custody)
    assert client.get(CAPACITY).status_code == 403
    response = client.post(
        reverse("scheduling-room-edit", args=[room.pk]),
        {"name": "Holding", "seats": "1", "on_site": "on", "active": "on"},
    )
    assert response.status_code == 403
    room.refresh_from_db()
    assert room.name == "Health unit, room 1"


def test_a_clinician_is_refused_the_capacity_page_and_the_restrictions(alder: User) -> None:
    client = signed_in(alder)
    assert client.get(CAPACITY).status_code == 403
    assert client.get(RESTRICTIONS).status_code == 403
    response = client.post(reverse("scheduling-weekly-hours", args=[alder.pk]), week())
    assert response.status_code == 403


def test_a_restriction_with_a_time_that_is_not_one_is_refused(
    custody: User, facility: Facility
) -> None:
    response = signed_in(custody).post(
        reverse("scheduling-restriction-add"),
        {
            "facility": "north",
            "date": local_date(facility, timezone.now()).isoformat(),
            "unit": "",
            "start": "25:00",
            "end": "26:00",
            "kind": "count",
        },
        follow=True,
    )
    page = text_of(response)
    assert "From: write the time as HH:MM" in page
    assert "Until: write the time as HH:MM" in page
    assert not MovementRestriction.objects.exists()


def test_the_restrictions_page_hands_custody_only_allow_listed_fields(
    custody: User, supervisor: User, facility: Facility
) -> None:
    assert {f.name for f in fields(RestrictionRow)} <= CUSTODY_ALLOWED_FIELDS[
        "movement_restriction"
    ]
    day = local_date(facility, timezone.now())
    MovementRestriction.objects.create(
        facility=facility,
        date=day,
        start_minute=NINE,
        end_minute=NOON,
        kind="search",
        created_by=supervisor,
        created_at=timezone.now(),
    )
    response = signed_in(custody).get(RESTRICTIONS)
    assert response.status_code == 200
    rows = response.context["rows"]
    assert len(rows) == 1
    assert set(vars(rows[0])) <= CUSTODY_ALLOWED_FIELDS["movement_restriction"]
    assert "The whole facility 09:00 12:00 Search" in text_of(response)
    assert "cap-supervisor" not in response.content.decode()


def test_a_supervisor_of_another_facility_cannot_touch_this_facilitys_rooms(
    room: Room, other_facility: Facility, alder: User
) -> None:
    stranger = signed_in(staff(Role.SUPERVISOR, other_facility, "cap-stranger"))
    response = stranger.post(
        reverse("scheduling-room-edit", args=[room.pk]),
        {"name": "Holding", "seats": "4", "on_site": "on", "active": "on"},
    )
    assert response.status_code == 404
    room.refresh_from_db()
    assert (room.name, room.seats) == ("Health unit, room 1", 1)
    assert stranger.get(CAPACITY, {"facility": "north"}).status_code == 404
    response = stranger.post(
        reverse("scheduling-weekly-hours", args=[alder.pk]),
        {**week(monday="09:00-12:00"), "facility": "north"},
    )
    assert response.status_code == 404
    assert not WeeklyWindow.objects.exists()


def test_the_menu_offers_custody_movement_but_not_capacity(custody: User, supervisor: User) -> None:
    custody_menu = {item.label for item in menu_for(custody)}
    assert "Movement" in custody_menu
    assert "Capacity" not in custody_menu
    assert {"Movement", "Capacity"} <= {item.label for item in menu_for(supervisor)}
