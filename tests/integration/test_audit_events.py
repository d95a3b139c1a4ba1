"""Every service writes exactly its audit events, and every read of a record one event."""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta

import pytest
from django.test import Client

from kiteline.accounts.models import Role, User
from kiteline.accounts.services import create_staff_user, deactivate_user, reactivate_user
from kiteline.accounts.tokens import create_api_token, revoke_api_token
from kiteline.audit.models import AuditEvent
from kiteline.facilities.models import Booking, Facility, HousingUnit
from kiteline.facilities.roster_csv import parse_roster
from kiteline.facilities.roster_import import import_roster
from kiteline.facilities.seeding import seed_facility
from kiteline.facilities.services import (
    PersonDetails,
    RosterError,
    book_person,
    move_housing,
    rebook_person,
    release_person,
    transfer_person,
    update_person_details,
)
from kiteline.facilities.synthetic import plan_facility

T0 = datetime(2026, 2, 1, 9, 0, tzinfo=UTC)
DETAILS = PersonDetails(
    resident_number="R0000001",
    given_name="Alder",
    family_name="Testfield",
    date_of_birth=date(1990, 1, 1),
)


class Recorded:
    def __init__(self) -> None:
        self.events: list[AuditEvent] = []

    @property
    def actions(self) -> list[tuple[str, str]]:
        return [(event.chain, event.action) for event in self.events]


@contextmanager
def recorded() -> Iterator[Recorded]:
    mark = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
    result = Recorded()
    yield result
    result.events = list(AuditEvent.objects.filter(id__gt=mark).order_by("id"))


def book(unit: HousingUnit, actor: User | None = None) -> Booking:
    return book_person(
        actor=actor, details=DETAILS, housing_unit=unit, booked_at=T0, booking_number="B1"
    )


def test_booking_records_one_event_naming_the_person_stay_and_housing(
    unit_a: HousingUnit, nurse: User
) -> None:
    with recorded() as log:
        booking = book(unit_a, nurse)
    (event,) = log.events
    assert (event.chain, event.action, event.actor_id) == ("north", "roster.book", nurse.pk)
    assert event.person_id == booking.person.pk
    assert event.subjects == [f"booking:{booking.pk}", f"placement:{booking.placements.get().pk}"]


def test_each_roster_change_records_exactly_its_events(
    unit_a: HousingUnit, unit_b: HousingUnit, south_unit: HousingUnit, nurse: User
) -> None:
    booking = book(unit_a, nurse)
    with recorded() as move:
        move_housing(actor=nurse, booking=booking, to_unit=unit_b, at=T0 + timedelta(days=1))
    with recorded() as transfer:
        transfer_person(actor=nurse, booking=booking, to_unit=south_unit, at=T0 + timedelta(days=2))
    with recorded() as release:
        release_person(actor=nurse, booking=booking, at=T0 + timedelta(days=3))
    with recorded() as rebook:
        rebook_person(
            actor=nurse,
            person=booking.person,
            housing_unit=unit_a,
            booked_at=T0 + timedelta(days=9),
            booking_number="B2",
            details=PersonDetails(**{**vars(DETAILS), "language": "es"}),
        )
    with recorded() as update:
        update_person_details(
            actor=nurse,
            person=booking.person,
            details=PersonDetails(**{**vars(DETAILS), "language": "es", "sex": "F"}),
        )

    assert move.actions == [("north", "roster.move")]
    assert transfer.actions == [("north", "roster.transfer_out"), ("south", "roster.transfer_in")]
    assert release.actions == [("south", "roster.release")]
    assert rebook.actions == [("north", "roster.rebook")]
    assert rebook.events[0].detail == {"fields": ["language"]}
    assert update.actions == [("north", "person.update")]
    assert update.events[0].detail == {"fields": ["sex"]}


def test_a_refused_change_records_nothing(unit_a: HousingUnit, nurse: User) -> None:
    booking = book(unit_a, nurse)
    with recorded() as log, pytest.raises(RosterError, match="already housed"):
        move_housing(actor=nurse, booking=booking, to_unit=unit_a, at=T0 + timedelta(days=1))
    assert log.events == []


def test_account_changes_go_to_the_system_chain(facility: Facility) -> None:
    supervisor = User.objects.create_user(username="boss", role=Role.SUPERVISOR)
    supervisor.facilities.add(facility)
    with recorded() as log:
        user = create_staff_user(
            actor=supervisor,
            username="new-nurse",
            role=Role.NURSE,
            facilities=[facility],
            password="long enough test passphrase",
        )
        deactivate_user(actor=supervisor, user=user)
        reactivate_user(actor=supervisor, user=user)
    assert log.actions == [
        ("system", "account.create"),
        ("system", "account.deactivate"),
        ("system", "account.reactivate"),
    ]
    assert log.events[0].detail == {"role": "nurse", "facilities": ["north"]}
    assert "long enough" not in bytes(log.events[0].payload).decode()


def test_an_import_records_each_change_and_its_summary(unit_a: HousingUnit) -> None:
    text = (
        "booking_number,resident_number,family_name,given_name,date_of_birth,sex,"
        "facility_code,housing_unit_code,housed_at,booked_at\n"
        "B1,R0000001,Testfield,Alder,1990-01-01,M,north,A,"
        "2026-02-01T09:00:00+00:00,2026-02-01T09:00:00+00:00\n"
    )
    parsed = parse_roster(text)
    assert parsed.errors == ()
    with recorded() as log:
        import_roster(actor=None, rows=parsed.rows)
    assert log.actions == [("north", "roster.book"), ("system", "roster.import")]
    assert log.events[1].detail["booked"] == 1


def test_seeding_records_one_event_per_facility(db: None) -> None:
    plan = plan_facility(kind="jail", residents=20, seed=4, now=datetime(2026, 6, 1, tzinfo=UTC))
    with recorded() as log:
        seed_facility(actor=None, plan=plan, demo=False)
    assert [action for _, action in log.actions] == ["roster.seed", "roster.seed"]
    assert log.events[0].detail["people"] > 0


def test_each_page_of_the_roster_records_one_read_listing_the_people_shown(
    client: Client, unit_a: HousingUnit, nurse: User
) -> None:
    booking = book(unit_a, nurse)
    client.force_login(nurse)
    with recorded() as log:
        client.get("/roster/")
    (event,) = log.events
    assert (event.chain, event.action, event.actor_id) == ("north", "roster.read", nurse.pk)
    assert event.subjects == [f"person:{booking.person.pk}"]
    assert "housing_unit" in event.detail["fields"]


def test_opening_a_person_records_one_read_with_the_fields_shown(
    client: Client, unit_a: HousingUnit, nurse: User
) -> None:
    booking = book(unit_a, nurse)
    client.force_login(nurse)
    with recorded() as log:
        client.get("/people/R0000001/")
    (event,) = log.events
    assert (event.action, event.person_id) == ("person.read", booking.person.pk)
    assert event.subjects == [f"booking:{booking.pk}"]
    assert "race_ethnicity" in event.detail["fields"]


def test_creating_and_revoking_a_token_go_to_the_system_chain(nurse: User) -> None:
    with recorded() as log:
        token, plaintext = create_api_token(actor=None, user=nurse, expires_in_days=30)
        revoke_api_token(actor=None, token=token)
    assert log.actions == [("system", "token.create"), ("system", "token.revoke")]
    assert all(plaintext not in bytes(event.payload).decode() for event in log.events)


def test_a_read_of_a_person_transferred_away_is_recorded_on_the_readers_facility_chain(
    client: Client, unit_a: HousingUnit, south_unit: HousingUnit, nurse: User
) -> None:
    booking = book(unit_a, nurse)
    transfer_person(actor=None, booking=booking, to_unit=south_unit, at=T0 + timedelta(days=1))
    client.force_login(nurse)
    with recorded() as log:
        client.get("/people/R0000001/")
    assert log.actions == [("north", "person.read")]


def test_staff_sign_in_sign_out_and_failures_are_recorded_without_what_was_typed(
    client: Client, nurse: User
) -> None:
    with recorded() as log:
        client.post("/accounts/sign-in/", {"username": "test-nurse", "password": "wrong"})
        client.post("/accounts/sign-in/", {"username": "my-password-typed", "password": "x"})
        client.post("/accounts/sign-in/", {"username": "test-nurse", "password": "a-test-password"})
        client.post("/accounts/sign-out/")
    assert log.actions == [
        ("system", "auth.sign_in_failed"),
        ("system", "auth.sign_in_failed"),
        ("system", "auth.sign_in"),
        ("system", "auth.sign_out"),
    ]
    assert [event.subjects for event in log.events] == [
        [f"user:{nurse.pk}"],
        [],
        [f"user:{nurse.pk}"],
        [f"user:{nurse.pk}"],
    ]
    assert all(b"my-password-typed" not in bytes(event.payload) for event in log.events)
