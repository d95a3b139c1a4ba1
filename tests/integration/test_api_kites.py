"""The kites API: a kite is received once per key (I1), custody gets no kite at all (I6),
staff see only their facilities' kites, and every read of one is recorded (I7)."""

from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from kiteline.accounts.kiosk_services import issue_pin, register_kiosk
from kiteline.accounts.kiosks import KIOSK_COOKIE
from kiteline.accounts.models import Role, User
from kiteline.accounts.tokens import create_api_token
from kiteline.audit.models import AuditEvent
from kiteline.facilities.models import Booking, Facility, HousingUnit
from kiteline.facilities.services import PersonDetails, book_person
from kiteline.kites.models import Channel, Kite, Urgency

KITES = "/api/v1/kites"
MINE = "/api/v1/kites/mine"
HEALTH_STAFF = (Role.NURSE, Role.CLINICIAN, Role.SUPERVISOR)


def book(unit: HousingUnit, resident_number: str) -> Booking:
    return book_person(
        actor=None,
        details=PersonDetails(
            resident_number=resident_number,
            given_name="Alder",
            family_name=f"Testfield{resident_number[-1]}",
            date_of_birth=date(1990, 5, 1),
        ),
        housing_unit=unit,
        booked_at=timezone.now() - timedelta(days=2),
        booking_number=f"B-{resident_number}",
    )


def staff_user(role: Role, *facilities: Facility) -> User:
    user = User.objects.create_user(username=f"test-{role}-{facilities[0].code}", role=role)
    user.facilities.set(facilities)
    return user


def token_client(user: User) -> Client:
    """A script calling the API with a token of `user`."""
    _, plaintext = create_api_token(actor=None, user=user, expires_in_days=1)
    return Client(headers={"Authorization": f"Bearer {plaintext}"})


def resident_user(booking: Booking) -> User:
    return User.objects.create_user(
        username=f"resident-{booking.person.resident_number}",
        role=Role.RESIDENT,
        person=booking.person,
    )


@pytest.fixture
def kiosk_token(facility: Facility) -> str:
    supervisor = User.objects.create_user(username="test-supervisor-kiosk", role=Role.SUPERVISOR)
    supervisor.facilities.add(facility)
    return register_kiosk(actor=supervisor, facility=facility, name="A Pod dayroom")[1]


def kiosk_client(kiosk_token: str, user: User, *, enforce_csrf_checks: bool = False) -> Client:
    """A resident signed in at a registered kiosk."""
    client = Client(enforce_csrf_checks=enforce_csrf_checks)
    client.cookies[KIOSK_COOKIE] = kiosk_token
    client.force_login(user)
    return client


@pytest.fixture
def booking(unit_a: HousingUnit) -> Booking:
    return book(unit_a, "R0000001")


@pytest.fixture
def resident(booking: Booking) -> User:
    return resident_user(booking)


@pytest.fixture
def at_kiosk(kiosk_token: str, resident: User) -> Client:
    return kiosk_client(kiosk_token, resident)


@pytest.fixture
def nurse_api(facility: Facility) -> Client:
    return token_client(staff_user(Role.NURSE, facility))


def send(client: Client, key: str, **body: Any) -> Any:
    return client.post(
        KITES, body, content_type="application/json", headers={"Idempotency-Key": key}
    )


def paper(resident_number: str = "R0000001", **changes: Any) -> dict[str, Any]:
    return {
        "resident_number": resident_number,
        "channel": "paper",
        "topic": "therapy",
        "text": "I would like to talk to someone",
        **changes,
    }


def test_a_resident_at_a_kiosk_sends_a_kite_and_a_retry_with_the_same_key_gets_the_same_one(
    at_kiosk: Client, resident: User
) -> None:
    first = send(at_kiosk, "key-1", topic="therapy", text="I would like therapy")
    again = send(at_kiosk, "key-1", topic="therapy", text="I would like therapy")

    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json() == again.json()
    kite = Kite.objects.get()
    assert first.json()["number"] == kite.number
    assert (kite.person, kite.channel, kite.idempotency_key) == (
        resident.person,
        Channel.KIOSK,
        "key-1",
    )


def test_a_key_reused_for_a_different_request_is_a_conflict(at_kiosk: Client) -> None:
    assert send(at_kiosk, "key-1", topic="therapy", text="one thing").status_code == 201
    response = send(at_kiosk, "key-1", topic="therapy", text="another thing")

    assert response.status_code == 409
    assert response.json() == {
        "detail": "This request key was already used for a different request."
    }
    assert Kite.objects.count() == 1


def test_the_same_key_from_another_resident_is_a_second_kite(
    at_kiosk: Client, kiosk_token: str, unit_a: HousingUnit
) -> None:
    other = kiosk_client(kiosk_token, resident_user(book(unit_a, "R0000002")))

    first = send(at_kiosk, "shared-key", topic="talk")
    second = send(other, "shared-key", topic="talk")

    assert (first.status_code, second.status_code) == (201, 201)
    assert first.json()["number"] != second.json()["number"]
    assert Kite.objects.count() == 2


def test_a_nurse_enters_a_paper_kite_once_per_key(nurse_api: Client, booking: Booking) -> None:
    first = send(nurse_api, "paper-1", **paper())
    again = send(nurse_api, "paper-1", **paper())

    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json() == again.json()
    receipt = first.json()
    assert (receipt["resident_number"], receipt["channel"], receipt["topic"]) == (
        "R0000001",
        "paper",
        "therapy",
    )
    kite = Kite.objects.get()
    assert (kite.idempotency_key, kite.entered_by.role) == ("paper-1", Role.NURSE)  # type: ignore[union-attr]


def test_a_staff_key_reused_for_a_different_request_is_a_conflict(
    nurse_api: Client, booking: Booking
) -> None:
    send(nurse_api, "paper-1", **paper())
    assert send(nurse_api, "paper-1", **paper(channel="voice")).status_code == 409
    assert send(nurse_api, "paper-1", **paper(text="other words")).status_code == 409
    assert Kite.objects.count() == 1


def test_a_late_paper_kite_keeps_its_receipt_time_with_a_reason(
    nurse_api: Client, booking: Booking
) -> None:
    received = timezone.now() - timedelta(hours=6)
    late = paper(received_at=received.isoformat())

    refused = send(nurse_api, "late-1", **late)
    assert refused.status_code == 400
    assert refused.json() == {
        "detail": "Say why the request is entered later than it was received."
    }

    taken = send(nurse_api, "late-2", **late, backdate_reason="screens were down")
    assert taken.status_code == 201
    assert Kite.objects.get().received_at == received


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        (paper(topic="nonsense"), "Choose what the request is about."),
        (paper(channel="kiosk"), "Choose how the request was received."),
        (paper(resident_number=""), "Say which resident the request is from."),
        (paper(resident_number="R0000009"), "Resident R0000009 is not held at your facilities."),
    ],
)
def test_bad_input_from_staff_is_refused_with_the_reason(
    nurse_api: Client, booking: Booking, body: dict[str, Any], detail: str
) -> None:
    response = send(nurse_api, "key-1", **body)
    assert (response.status_code, response.json()) == (400, {"detail": detail})
    assert not Kite.objects.exists()


def test_a_resident_cannot_send_a_kite_for_someone_else(at_kiosk: Client) -> None:
    response = send(at_kiosk, "key-1", **paper(resident_number="R0000002"))
    assert response.status_code == 400
    assert not Kite.objects.exists()


@pytest.mark.parametrize("headers", [{}, {"Idempotency-Key": ""}, {"Idempotency-Key": "k" * 65}])
def test_a_post_without_a_usable_idempotency_key_is_refused(
    nurse_api: Client, booking: Booking, headers: dict[str, str]
) -> None:
    response = nurse_api.post(KITES, paper(), content_type="application/json", headers=headers)
    assert response.status_code == 422
    assert not Kite.objects.exists()


def test_a_resident_post_needs_the_csrf_token(kiosk_token: str, resident: User) -> None:
    browser = kiosk_client(kiosk_token, resident, enforce_csrf_checks=True)
    assert send(browser, "key-1", topic="talk").status_code == 403

    secret = "a" * 32
    browser.cookies["csrftoken"] = secret
    response = browser.post(
        KITES,
        {"topic": "talk"},
        content_type="application/json",
        headers={"Idempotency-Key": "key-1", "X-CSRFToken": secret},
    )
    assert response.status_code == 201


def test_a_resident_away_from_a_kiosk_is_refused(resident: User) -> None:
    client = Client()
    client.force_login(resident)
    assert send(client, "key-1", topic="talk").status_code == 401
    assert client.get(MINE).status_code == 401


def test_a_resident_still_holding_staffs_pin_is_told_to_choose_their_own(
    at_kiosk: Client, resident: User, facility: Facility
) -> None:
    issue_pin(actor=staff_user(Role.NURSE, facility), person=resident.person)  # type: ignore[arg-type]
    response = send(at_kiosk, "key-1", topic="talk")
    assert response.status_code == 403
    assert not Kite.objects.exists()


# The test database of SQLite is in memory with a shared cache, where a second writer fails
# at once ("table is locked") instead of waiting its turn as on a file; test_kite_crash.py
# runs the same retries against gunicorn on a SQLite file.
@pytest.mark.skipif(connection.vendor == "sqlite", reason="SQLite's case is in test_kite_crash")
@pytest.mark.django_db(transaction=True)
def test_concurrent_retries_with_the_same_key_make_one_kite(unit_a: HousingUnit) -> None:
    booking = book(unit_a, "R0000001")
    nurse = staff_user(Role.NURSE, unit_a.facility)
    _, plaintext = create_api_token(actor=None, user=nurse, expires_in_days=1)

    def retry(_: int) -> tuple[int, str]:
        try:
            client = Client(headers={"Authorization": f"Bearer {plaintext}"})
            response = send(client, "same-key", **paper(booking.person.resident_number))
            return response.status_code, response.json()["number"]
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=6) as pool:
        answers = list(pool.map(retry, range(12)))

    assert sorted(status for status, _ in answers) == [200] * 11 + [201]
    assert len({number for _, number in answers}) == 1
    assert Kite.objects.count() == 1


def custody_and_auditor_clients(facility: Facility) -> list[Client]:
    clients = []
    for role in (Role.CUSTODY, Role.AUDITOR):
        user = staff_user(role, facility)
        clients.append(token_client(user))
        session = Client()
        session.force_login(user)
        clients.append(session)
    return clients


def test_custody_and_auditors_are_refused_every_kite_route(
    nurse_api: Client, booking: Booking, facility: Facility
) -> None:
    number = send(nurse_api, "paper-1", **paper()).json()["number"]
    for client in custody_and_auditor_clients(facility):
        for url in (KITES, MINE, f"{KITES}/{number}"):
            response = client.get(url)
            assert response.status_code == 403, url
            assert b"talk to someone" not in response.content
        assert send(client, "custody-1", **paper()).status_code == 403
    assert Kite.objects.count() == 1


def test_every_kite_route_of_the_openapi_description_is_checked_above(nurse_api: Client) -> None:
    paths = nurse_api.get("/api/v1/openapi.json").json()["paths"]
    kite_routes = {(path, method) for path, item in paths.items() for method in item}
    kite_routes = {(path, method) for path, method in kite_routes if path.startswith(KITES)}
    assert kite_routes == {
        (KITES, "get"),
        (KITES, "post"),
        (MINE, "get"),
        (f"{KITES}/{{number}}", "get"),
    }


def test_staff_cannot_read_a_residents_own_list(nurse_api: Client) -> None:
    assert nurse_api.get(MINE).status_code == 403


def test_a_nurse_of_another_facility_gets_404_for_a_kite_number(
    nurse_api: Client, booking: Booking, other_facility: Facility
) -> None:
    number = send(nurse_api, "paper-1", **paper()).json()["number"]
    elsewhere = token_client(staff_user(Role.NURSE, other_facility))

    assert elsewhere.get(f"{KITES}/{number}").status_code == 404
    assert elsewhere.get(KITES).json()["rows"] == []
    assert nurse_api.get(f"{KITES}/{number}").status_code == 200


@pytest.mark.parametrize("number", ["K999999", "12", "K", "Kxyz"])
def test_a_kite_number_that_is_no_kite_is_not_found(nurse_api: Client, number: str) -> None:
    assert nurse_api.get(f"{KITES}/{number}").status_code == 404


def test_a_nurse_of_another_facility_cannot_replay_a_key_to_get_a_receipt(
    nurse_api: Client, booking: Booking, other_facility: Facility
) -> None:
    number = send(nurse_api, "paper-1", **paper()).json()["number"]
    elsewhere = token_client(staff_user(Role.NURSE, other_facility))

    response = send(elsewhere, "paper-1", **paper())

    assert response.status_code == 400
    assert number not in response.content.decode()
    assert Kite.objects.count() == 1


def test_reading_a_kite_records_a_read_event(
    nurse_api: Client, booking: Booking, facility: Facility
) -> None:
    number = send(nurse_api, "paper-1", **paper()).json()["number"]
    kite = Kite.objects.get()

    detail = nurse_api.get(f"{KITES}/{number}").json()

    assert detail["text"] == "I would like to talk to someone"
    assert detail["resident_number"] == "R0000001"
    (event,) = AuditEvent.objects.filter(action="kite.read")
    assert event.subjects == [f"kite:{kite.pk}"]
    assert event.chain == facility.code
    assert "text" in event.detail["fields"]
    assert "talk" not in str(event.detail)


def test_the_triage_queue_puts_emergent_kites_first_and_records_one_read(
    nurse_api: Client, booking: Booking, unit_a: HousingUnit
) -> None:
    book(unit_a, "R0000002")
    routine = send(nurse_api, "k1", **paper()).json()["number"]
    crisis = send(nurse_api, "k2", **paper("R0000002", topic="crisis")).json()["number"]
    assert Kite.objects.filter(urgency=Urgency.EMERGENT).count() == 1

    page = nurse_api.get(KITES).json()

    assert [row["number"] for row in page["rows"]] == [crisis, routine]
    assert [row["emergent"] for row in page["rows"]] == [True, False]
    assert (page["number"], page["num_pages"], page["total"]) == (1, 1, 2)
    (event,) = AuditEvent.objects.filter(action="kite_queue.read")
    assert sorted(event.subjects) == sorted(f"kite:{kite.pk}" for kite in Kite.objects.all())


def test_a_resident_lists_only_their_own_kites_and_the_read_is_recorded(
    at_kiosk: Client, nurse_api: Client, resident: User, unit_a: HousingUnit
) -> None:
    book(unit_a, "R0000002")
    mine = send(at_kiosk, "key-1", topic="therapy", text="I would like therapy").json()
    send(nurse_api, "k2", **paper("R0000002"))

    rows = at_kiosk.get(MINE).json()["rows"]

    assert [row["number"] for row in rows] == [mine["number"]]
    assert rows[0]["stage"] == "waiting"
    (event,) = AuditEvent.objects.filter(action="kite.read")
    assert event.actor_id == resident.pk
    assert event.subjects == [f"kite:{Kite.objects.get(person=resident.person).pk}"]
