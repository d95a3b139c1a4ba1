import re
from datetime import date, datetime
from typing import TYPE_CHECKING

import pytest
from django.conf import settings
from django.contrib.auth.hashers import check_password
from django.contrib.sessions.models import Session
from django.test import Client, override_settings
from django.utils import timezone, translation

from kiteline.accounts import kiosk_views
from kiteline.accounts.authz import rule_of
from kiteline.accounts.kiosk_services import (
    choose_pin,
    issue_pin,
    register_kiosk,
    retire_kiosk,
)
from kiteline.accounts.kiosks import KIOSK_COOKIE
from kiteline.accounts.models import HEALTH_ROLES, Kiosk, KioskPinTries, ResidentPin, Role, User
from kiteline.audit.models import AuditEvent
from kiteline.facilities.models import Facility, HousingUnit, Person
from kiteline.facilities.services import PersonDetails, book_person

if TYPE_CHECKING:
    from django.test.client import _MonkeyPatchedWSGIResponse as Response

pytestmark = pytest.mark.django_db


@pytest.fixture
def supervisor(facility: Facility) -> User:
    user = User.objects.create_user(username="test-supervisor", password="x", role=Role.SUPERVISOR)
    user.facilities.add(facility)
    return user


@pytest.fixture
def kiosk_token(supervisor: User, facility: Facility) -> str:
    return register_kiosk(actor=supervisor, facility=facility, name="A Pod dayroom")[1]


@pytest.fixture
def kiosk_client(kiosk_token: str) -> Client:
    client = Client()
    client.cookies[KIOSK_COOKIE] = kiosk_token
    return client


def book(unit: HousingUnit, resident_number: str, language: str, booked_at: datetime) -> Person:
    details = PersonDetails(
        resident_number=resident_number,
        given_name="Test",
        family_name="Resident",
        date_of_birth=date(1990, 5, 17),
        language=language,
    )
    return book_person(
        actor=None,
        details=details,
        housing_unit=unit,
        booked_at=booked_at,
        booking_number=f"B-{resident_number}",
    ).person


@pytest.fixture
def resident(unit_a: HousingUnit, jan_first: datetime) -> Person:
    return book(unit_a, "R0000001", "en", jan_first)


@pytest.fixture
def temporary_pin(nurse: User, resident: Person) -> str:
    return issue_pin(actor=nurse, person=resident)


def sign_in(client: Client, resident_number: str, pin: str) -> "Response":
    return client.post("/kiosk/", {"resident_number": resident_number, "pin": pin})


def signed_in_with_own_pin(client: Client, resident: Person, temporary_pin: str) -> None:
    choose_pin(person=resident, current_pin=temporary_pin, new_pin="2580")
    assert sign_in(client, resident.resident_number, "2580")["Location"] == "/kiosk/home/"


def alert(response: "Response") -> str:
    found = re.search(r'role="alert">([^<]*)<', response.content.decode())
    return found.group(1) if found else ""


def test_the_kiosk_sign_in_is_refused_on_a_device_that_is_not_a_kiosk(client: Client) -> None:
    assert client.get("/kiosk/").status_code == 403


def test_the_kiosk_sign_in_is_refused_on_a_retired_kiosk(
    kiosk_client: Client, supervisor: User
) -> None:
    retire_kiosk(actor=supervisor, kiosk=Kiosk.objects.get())
    assert kiosk_client.get("/kiosk/").status_code == 403


def test_the_sign_in_shows_only_the_resident_number_and_pin(kiosk_client: Client) -> None:
    page = kiosk_client.get("/kiosk/").content.decode()
    fields = re.findall(r'<input[^>]*name="([^"]+)"', page)
    assert sorted(set(fields) - {"csrfmiddlewaretoken", "next"}) == ["pin", "resident_number"]


def test_the_sign_in_page_renews_the_kiosks_cookie(kiosk_client: Client, kiosk_token: str) -> None:
    cookie = kiosk_client.get("/kiosk/").cookies[KIOSK_COOKIE]
    assert cookie.value == kiosk_token
    assert cookie["httponly"]
    assert cookie["samesite"] == "Strict"
    assert int(cookie["max-age"]) == 400 * 24 * 3600


def test_wrong_pin_unknown_number_and_someone_released_see_the_same_answer(
    kiosk_client: Client, nurse: User, unit_a: HousingUnit, temporary_pin: str, jan_first: datetime
) -> None:
    released = book(unit_a, "R0000002", "en", jan_first)
    released_pin = issue_pin(actor=nurse, person=released)
    booking = released.bookings.get()
    booking.released_at = jan_first.replace(day=2)
    booking.save()

    answers = {
        (response.status_code, alert(response))
        for response in (
            sign_in(kiosk_client, "R0000001", "999999"),
            sign_in(kiosk_client, "R9999999", temporary_pin),
        )
    }
    assert answers == {(200, "That number and PIN do not match. Try again.")}
    # A third failure at this kiosk makes the next one wait, whoever it is for.
    after_three = sign_in(kiosk_client, "R0000002", released_pin)
    assert alert(after_three) == "That number and PIN do not match. Try again."
    waiting = sign_in(kiosk_client, "R0000001", temporary_pin)
    assert alert(waiting) == "Too many wrong tries. Wait one minute. Then try again."
    assert "_auth_user_id" not in kiosk_client.session


def test_a_number_in_its_own_wait_sees_the_answer_of_an_unknown_number_or_a_wrong_pin(
    kiosk_client: Client,
    nurse: User,
    unit_a: HousingUnit,
    resident: Person,
    temporary_pin: str,
    jan_first: datetime,
) -> None:
    other = book(unit_a, "R0000002", "en", jan_first)
    issue_pin(actor=nurse, person=other)
    # R0000001 waits at this kiosk after its own wrong tries; the kiosk itself does not wait.
    KioskPinTries.objects.create(
        pin=ResidentPin.objects.get(person=resident),
        kiosk=Kiosk.objects.get(),
        failed_tries=8,
        last_failed_at=timezone.now(),
    )

    answers = [
        (response.status_code, alert(response))
        for response in (
            sign_in(kiosk_client, "R9999999", temporary_pin),
            sign_in(kiosk_client, "R0000001", temporary_pin),
            sign_in(kiosk_client, "R0000002", "999999"),
        )
    ]
    assert answers == [(200, "That number and PIN do not match. Try again.")] * 3
    assert "_auth_user_id" not in kiosk_client.session


def test_a_temporary_pin_leads_to_choosing_a_new_one(
    kiosk_client: Client, temporary_pin: str
) -> None:
    assert sign_in(kiosk_client, "R0000001", temporary_pin)["Location"] == "/kiosk/new-pin/"
    assert kiosk_client.get("/kiosk/home/")["Location"] == "/kiosk/new-pin/"

    mismatch = kiosk_client.post(
        "/kiosk/new-pin/", {"pin": temporary_pin, "new_pin": "2580", "new_pin_again": "2581"}
    )
    assert alert(mismatch) == "The two new PINs are not the same. Try again."
    weak = kiosk_client.post(
        "/kiosk/new-pin/", {"pin": temporary_pin, "new_pin": "1234", "new_pin_again": "1234"}
    )
    assert alert(weak) == "Do not use numbers in a row, like 1234."

    chosen = kiosk_client.post(
        "/kiosk/new-pin/", {"pin": temporary_pin, "new_pin": "2580", "new_pin_again": "2580"}
    )
    assert chosen["Location"] == "/kiosk/home/"
    home = kiosk_client.get("/kiosk/home/")
    assert "What do you want to do?" in home.content.decode()
    assert kiosk_client.get("/kiosk/new-pin/")["Location"] == "/kiosk/home/"


def test_a_pin_reset_by_staff_forces_a_new_pin_and_the_old_one_stops_working(
    kiosk_client: Client, nurse: User, resident: Person, temporary_pin: str
) -> None:
    choose_pin(person=resident, current_pin=temporary_pin, new_pin="2580")
    staff = Client()
    staff.force_login(nurse)
    slip = staff.post("/kiosk/pins/R0000001/issue/", {"language": "en"}).content.decode()
    new_temporary = re.search(r'class="pin">(\d{6})<', slip)
    assert new_temporary is not None

    assert alert(sign_in(kiosk_client, "R0000001", "2580")).startswith("That number and PIN")
    response = sign_in(kiosk_client, "R0000001", new_temporary.group(1))
    assert response["Location"] == "/kiosk/new-pin/"


def test_resident_pages_need_a_resident_signed_in_at_a_kiosk(
    kiosk_client: Client, client: Client, nurse: User
) -> None:
    assert kiosk_client.get("/kiosk/home/")["Location"] == "/kiosk/"
    client.force_login(nurse)
    assert client.get("/kiosk/home/").status_code == 404


@override_settings(KIOSK_IDLE_SECONDS=7)
def test_a_resident_session_ends_after_the_kiosk_idle_time(
    kiosk_client: Client, resident: Person, temporary_pin: str
) -> None:
    response = sign_in(kiosk_client, "R0000001", temporary_pin)
    assert response.cookies[settings.SESSION_COOKIE_NAME]["max-age"] == 7
    assert kiosk_client.session.get_expiry_age() == 7
    kiosk_client.get("/kiosk/new-pin/")
    assert kiosk_client.session.get_expiry_age() == 7


def test_sign_out_clears_the_site_data_but_keeps_the_kiosk_registered(
    kiosk_client: Client, resident: Person, temporary_pin: str
) -> None:
    signed_in_with_own_pin(kiosk_client, resident, temporary_pin)
    session_key = kiosk_client.session.session_key

    response = kiosk_client.post("/kiosk/sign-out/")

    assert response.status_code == 200
    assert response["Clear-Site-Data"] == '"cache", "storage"'
    assert response["Cache-Control"] == "no-store"
    assert response.cookies[settings.SESSION_COOKIE_NAME]["max-age"] == 0
    assert KIOSK_COOKIE not in response.cookies
    assert not Session.objects.filter(session_key=session_key).exists()
    assert "You are signed out" in response.content.decode()
    assert kiosk_client.get("/kiosk/home/")["Location"] == "/kiosk/"
    assert kiosk_client.get("/kiosk/").status_code == 200


def test_the_signed_out_screen_speaks_the_language_the_resident_was_reading(
    kiosk_client: Client, resident: Person, temporary_pin: str
) -> None:
    signed_in_with_own_pin(kiosk_client, resident, temporary_pin)
    home = kiosk_client.get("/kiosk/home/").content.decode()
    assert '<input type="hidden" name="language" value="en">' in home
    response = kiosk_client.post("/kiosk/sign-out/", {"language": "es"})
    assert "Ya salió de su cuenta" in response.content.decode()


def test_signed_in_kiosk_pages_are_never_cached(
    kiosk_client: Client, resident: Person, temporary_pin: str
) -> None:
    signed_in_with_own_pin(kiosk_client, resident, temporary_pin)
    assert kiosk_client.get("/kiosk/home/")["Cache-Control"] == "no-store"
    assert kiosk_client.get("/kiosk/")["Cache-Control"] == "no-store"


def test_sign_out_is_only_a_post(kiosk_client: Client) -> None:
    assert kiosk_client.get("/kiosk/sign-out/").status_code == 405


def test_the_kiosk_page_scripts_carry_the_nonce(kiosk_client: Client) -> None:
    response = kiosk_client.get("/kiosk/")
    nonce = re.search(r"'nonce-([^']+)'", response["Content-Security-Policy"])
    assert nonce is not None
    scripts = re.findall(r"<script[^>]*>", response.content.decode())
    assert scripts
    assert all(f'nonce="{nonce.group(1)}"' in tag for tag in scripts)
    assert 'data-idle-seconds="120"' in response.content.decode()


@pytest.mark.parametrize("language", ["es", "es-MX"])
def test_a_spanish_speaker_is_answered_in_spanish(
    kiosk_client: Client,
    nurse: User,
    unit_b: HousingUnit,
    jan_first: datetime,
    language: str,
) -> None:
    person = book(unit_b, "R0000003", language, jan_first)
    pin = issue_pin(actor=nurse, person=person)
    sign_in(kiosk_client, "R0000003", pin)

    page = kiosk_client.get("/kiosk/new-pin/")
    assert page["Content-Language"] == "es"
    assert "Elija su propio PIN" in page.content.decode()
    assert "interpreter" not in page.content.decode()


def test_the_residents_language_ends_with_the_response(
    kiosk_client: Client, nurse: User, unit_b: HousingUnit, jan_first: datetime
) -> None:
    person = book(unit_b, "R0000003", "es", jan_first)
    sign_in(kiosk_client, "R0000003", issue_pin(actor=nurse, person=person))
    assert "Elija su propio PIN" in kiosk_client.get("/kiosk/new-pin/").content.decode()
    assert translation.gettext("Sign in") == "Sign in"


def test_a_language_without_a_translation_gets_english_and_an_interpreter_note(
    kiosk_client: Client, nurse: User, unit_b: HousingUnit, jan_first: datetime
) -> None:
    person = book(unit_b, "R0000004", "vi", jan_first)
    sign_in(kiosk_client, "R0000004", issue_pin(actor=nurse, person=person))

    page = kiosk_client.get("/kiosk/new-pin/")
    assert page["Content-Language"] == "en"
    assert "Choose your own PIN" in page.content.decode()
    assert "An interpreter can help you. Ask an officer." in page.content.decode()


def test_anyone_at_the_kiosk_can_switch_the_language(
    kiosk_client: Client, resident: Person, temporary_pin: str
) -> None:
    sign_in(kiosk_client, "R0000001", temporary_pin)
    switched = kiosk_client.post("/kiosk/language/", {"language": "es", "next": "/kiosk/new-pin/"})
    assert switched["Location"] == "/kiosk/new-pin/"
    assert "Elija su propio PIN" in kiosk_client.get("/kiosk/new-pin/").content.decode()


def test_the_language_switch_goes_back_only_to_this_site(kiosk_client: Client) -> None:
    response = kiosk_client.post(
        "/kiosk/language/", {"language": "es", "next": "https://example.com/"}
    )
    assert response["Location"] == "/kiosk/"
    assert "Entrar" in kiosk_client.get("/kiosk/").content.decode()


def test_a_supervisor_registers_the_device_they_are_using(
    client: Client, supervisor: User, facility: Facility
) -> None:
    client.force_login(supervisor)
    assert client.get("/kiosk/register/").status_code == 200

    response = client.post("/kiosk/register/", {"name": "Intake", "facility": facility.pk})

    assert response["Location"] == "/kiosk/"
    cookie = response.cookies[KIOSK_COOKIE]
    assert cookie["httponly"]
    assert cookie["samesite"] == "Strict"
    assert bool(cookie["secure"]) == settings.SESSION_COOKIE_SECURE
    assert "_auth_user_id" not in client.session
    assert Kiosk.objects.get(name="Intake").registered_by == supervisor
    assert "Your resident number" in client.get("/kiosk/").content.decode()


def test_registering_a_kiosk_is_refused_to_a_nurse(client: Client, nurse: User) -> None:
    client.force_login(nurse)
    assert client.get("/kiosk/register/").status_code == 403


def test_a_supervisor_lists_and_retires_the_kiosks_of_their_facilities(
    client: Client, supervisor: User, kiosk_client: Client, other_facility: Facility
) -> None:
    south_supervisor = User.objects.create_user(username="s", password="x", role=Role.SUPERVISOR)
    south_supervisor.facilities.add(other_facility)
    south = register_kiosk(actor=south_supervisor, facility=other_facility, name="South")[0]
    client.force_login(supervisor)
    listing = client.get("/kiosk/devices/").content.decode()
    assert "A Pod dayroom" in listing
    assert "South" not in listing

    assert client.post(f"/kiosk/devices/{south.pk}/retire/").status_code == 404
    ours = Kiosk.objects.get(name="A Pod dayroom")
    assert client.post(f"/kiosk/devices/{ours.pk}/retire/")["Location"] == "/kiosk/devices/"
    assert Kiosk.objects.get(pk=ours.pk).retired_at is not None
    assert kiosk_client.get("/kiosk/").status_code == 403


def test_the_pin_slip_asks_first_then_prints_a_hashed_pin(
    client: Client, nurse: User, resident: Person
) -> None:
    client.force_login(nurse)
    confirm = client.get("/kiosk/pins/R0000001/issue/").content.decode()
    assert "Issue a PIN and print a slip" in confirm
    assert not ResidentPin.objects.exists()

    slip = client.post("/kiosk/pins/R0000001/issue/", {"language": "en"})
    pin = re.search(r'class="pin">(\d{6})<', slip.content.decode())
    assert pin is not None
    assert slip["Cache-Control"] == "no-store"
    assert check_password(pin.group(1), ResidentPin.objects.get().pin_hash)
    assert "Reset the PIN" in client.get("/kiosk/pins/R0000001/issue/").content.decode()


def test_the_pin_slip_confirmation_records_reading_the_persons_name(
    client: Client, nurse: User, resident: Person
) -> None:
    client.force_login(nurse)
    client.get("/kiosk/pins/R0000001/issue/")

    (event,) = AuditEvent.objects.filter(action="person.read")
    assert (event.actor_id, event.person_id, event.chain) == (nurse.pk, resident.pk, "north")
    assert event.detail == {"fields": ["family_name", "given_name", "language", "resident_number"]}
    client.post("/kiosk/pins/R0000001/issue/", {"language": "en"})
    assert AuditEvent.objects.filter(action="person.read").count() == 1


def test_the_pin_slip_is_open_to_exactly_the_pin_issuers() -> None:
    rule = rule_of(kiosk_views.pin_slip)
    assert rule is not None
    assert rule.roles == HEALTH_ROLES


def test_the_pin_slip_is_in_the_persons_language(
    client: Client, nurse: User, unit_a: HousingUnit, jan_first: datetime
) -> None:
    book(unit_a, "R0000005", "es-MX", jan_first)
    client.force_login(nurse)
    assert (
        'value="es" lang="es" selected'
        in client.get("/kiosk/pins/R0000005/issue/").content.decode()
    )
    slip = client.post("/kiosk/pins/R0000005/issue/", {"language": "es"}).content.decode()
    assert "Su PIN para el quiosco" in slip
    assert "Print" in slip


def test_the_pin_slip_is_not_found_outside_the_actors_facilities(
    client: Client, nurse: User, south_unit: HousingUnit, jan_first: datetime
) -> None:
    book(south_unit, "R0000006", "en", jan_first)
    client.force_login(nurse)
    assert client.get("/kiosk/pins/R0000006/issue/").status_code == 404
    assert client.post("/kiosk/pins/R0000006/issue/").status_code == 404
    assert client.get("/kiosk/pins/R0000404/issue/").status_code == 404


@pytest.mark.parametrize("role", [Role.CUSTODY, Role.AUDITOR])
def test_the_pin_slip_is_refused_to_custody_and_auditors(
    client: Client, facility: Facility, resident: Person, role: Role
) -> None:
    user = User.objects.create_user(username="someone", password="x", role=role)
    user.facilities.add(facility)
    client.force_login(user)
    assert client.get("/kiosk/pins/R0000001/issue/").status_code == 403
    assert client.post("/kiosk/pins/R0000001/issue/").status_code == 403
    assert not ResidentPin.objects.exists()
