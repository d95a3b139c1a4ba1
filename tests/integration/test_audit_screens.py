import csv
import io
from datetime import UTC, date, datetime, timedelta

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client

from kiteline.accounts.models import Role, User
from kiteline.audit.models import AuditEvent
from kiteline.facilities.models import Facility, HousingUnit
from kiteline.facilities.services import PersonDetails, book_person, move_housing

T0 = datetime(2026, 2, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def auditor(facility: Facility) -> User:
    user = User.objects.create_user(username="test-auditor", role=Role.AUDITOR)
    user.facilities.add(facility)
    return user


@pytest.fixture
def history(unit_a: HousingUnit, unit_b: HousingUnit, south_unit: HousingUnit, nurse: User) -> None:
    for n, unit in enumerate([unit_a, south_unit], start=1):
        book_person(
            actor=nurse,
            details=PersonDetails(
                resident_number=f"R000000{n}",
                given_name="Alder",
                family_name="Testfield",
                date_of_birth=date(1990, 1, 1),
            ),
            housing_unit=unit,
            booked_at=T0,
            booking_number=f"B{n}",
        )
    move_housing(
        actor=None,
        booking=unit_a.facility.bookings.get(),
        to_unit=unit_b,
        at=T0 + timedelta(days=1),
    )


def test_the_auditor_sees_their_facilities_events_and_not_others(
    client: Client, auditor: User, history: None
) -> None:
    client.force_login(auditor)
    rows = client.get("/audit/", {"action": "roster."}).context["page"].rows
    assert {row.chain for row in rows} == {"north"}
    assert [row.action for row in rows] == ["roster.move", "roster.book"]
    assert rows[1].actor == "test-nurse"
    assert rows[0].actor == "system"
    assert rows[1].resident_number == "R0000001"


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"resident_number": "R0000001"}, ["roster.move", "roster.book"]),
        ({"username": "test-nurse"}, ["roster.book"]),
        ({"action": "roster.mo"}, ["roster.move"]),
        ({"since": "2099-01-01"}, []),
        ({"resident_number": "R9999999"}, []),
    ],
)
def test_the_log_filters_by_person_actor_action_and_time(
    client: Client, auditor: User, history: None, query: dict[str, str], expected: list[str]
) -> None:
    client.force_login(auditor)
    rows = client.get("/audit/", query).context["page"].rows
    assert [row.action for row in rows] == expected


def test_a_start_day_after_the_end_day_is_explained(client: Client, auditor: User) -> None:
    client.force_login(auditor)
    response = client.get("/audit/", {"since": "2026-02-02", "until": "2026-02-01"})
    assert "The start day is after the end day." in response.content.decode()


def test_the_export_is_the_filtered_log_as_csv_and_is_itself_audited(
    client: Client, auditor: User, history: None
) -> None:
    client.force_login(auditor)
    response = client.get("/audit/export.csv", {"action": "roster."})
    body = response.getvalue().decode()
    rows = list(csv.DictReader(io.StringIO(body)))
    assert [row["action"] for row in rows] == ["roster.move", "roster.book"]
    assert rows[1]["resident_number"] == "R0000001"
    latest = client.get("/audit/", {"action": "audit."}).context["page"].rows
    assert [row.action for row in latest] == ["audit.export"]
    assert latest[0].detail == {"action": "roster."}


# The worker closes its database connection when it is done, as a long-running process
# should: only a test outside a wrapping transaction survives that.
@pytest.mark.django_db(transaction=True)
def test_the_verify_page_reports_each_chain_and_finds_a_tamper(
    client: Client, auditor: User, history: None
) -> None:
    client.force_login(auditor)
    assert client.get("/audit/verify/").context["results"] is None

    def verified() -> dict[str, str | None]:
        # The page queues a job; the worker runs it; the page then shows its result.
        client.post("/audit/verify/run/")
        assert client.get("/audit/verify/").context["results"] is None
        call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)
        response = client.get("/audit/verify/")
        return {row["chain"]: row["fault"] for row in response.context["results"]}

    assert verified() == {"north": None, "system": None}
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE audit_auditevent SET action = 'x' WHERE chain = 'north' AND position = 1"
        )
    fault = verified()["north"]
    assert fault is not None
    assert "first bad position 1" in fault
    assert AuditEvent.objects.filter(action="audit.verify").count() == 2


def test_of_the_system_chain_an_auditor_sees_only_their_colleagues_and_the_system(
    client: Client, auditor: User, nurse: User, other_facility: Facility
) -> None:
    stranger = User.objects.create_user(username="south-nurse", role=Role.NURSE)
    stranger.facilities.add(other_facility)
    Client().force_login(stranger)
    Client().force_login(nurse)
    client.force_login(auditor)
    rows = client.get("/audit/", {"action": "auth."}).context["page"].rows
    assert {row.actor for row in rows} == {"test-nurse", "test-auditor"}
