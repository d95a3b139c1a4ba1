"""The what-if (issue 7, point 6; I9): a draft run against the published version over the
people in custody now, counted per housing unit for the supervisor, listed with reasons for
clinicians, and the same from `kiteline policy simulate`; every run audited (I7)."""

import html
import io
import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any
from unittest import mock

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from kiteline.accounts.models import Role, User
from kiteline.audit.models import AuditEvent
from kiteline.care.models import PolicyDraft, PolicyVersion, Service
from kiteline.care.services import add_service, publish_policy, save_draft
from kiteline.care.simulation import run_what_if
from kiteline.facilities.models import Booking, Facility, HousingUnit
from kiteline.facilities.services import PersonDetails, book_person, release_person
from kiteline.screening.models import Administration

if TYPE_CHECKING:
    from django.test.client import _MonkeyPatchedWSGIResponse as Response

pytestmark = pytest.mark.django_db

NOW = datetime(2030, 1, 14, 15, 12, tzinfo=UTC)
# The population: (resident number, housing unit, latest PHQ-9 total or None).
PEOPLE = (
    ("R0000001", "A", 20),
    ("R0000002", "A", 16),
    ("R0000003", "A", 14),
    ("R0000004", "A", 5),
    ("R0000005", "B", 12),
    ("R0000006", "B", 10),
    ("R0000007", "B", 9),
    ("R0000008", "B", None),
)


@pytest.fixture(autouse=True)
def clock() -> Iterator[None]:
    with mock.patch("django.utils.timezone.now", return_value=NOW):
        yield


def staff(role: Role, facility: Facility, name: str | None = None) -> User:
    user = User.objects.create_user(username=name or f"test-{role}", role=role)
    user.facilities.add(facility)
    return user


def text(en: str) -> dict[str, str]:
    return {"en": en, "es": en}


def policy(threshold: int) -> dict[str, Any]:
    return {
        "criteria": [
            {
                "id": "phq9-high",
                "expression": f"phq9_total >= {threshold}",
                "met_text": text(f"PHQ-9 total {{phq9_total}}; {threshold} needed"),
                "not_met_text": text(f"PHQ-9 total {{phq9_total}}; {threshold} needed"),
            },
            {
                "id": "recent-crisis",
                "expression": "crises_past_30_days > 0 || on_watch",
                "met_text": text("A crisis"),
                "not_met_text": text("No crisis"),
            },
        ],
        "rule": {"combine": "all", "review_when_met": ["recent-crisis"]},
        "offered_instead": [text("Group therapy")],
    }


def book(unit: HousingUnit, number: str, phq9: int | None) -> Booking:
    booking = book_person(
        actor=None,
        details=PersonDetails(
            resident_number=number,
            given_name="Alder",
            family_name=f"Testfield{number[-2:]}",
            date_of_birth=date(1990, 1, 1),
        ),
        housing_unit=unit,
        booked_at=NOW - timedelta(days=5),
        booking_number=f"B-{number}",
    )
    if phq9 is not None:
        nurse = User.objects.get_or_create(username="phq9-giver", defaults={"role": Role.NURSE})[0]
        Administration.objects.create(
            person=booking.person,
            booking=booking,
            facility=booking.facility,
            instrument="phq9-v1",
            language="en",
            started_by=nurse,
            started_at=NOW - timedelta(days=2),
            submitted_at=NOW - timedelta(days=2),
            submitted_by=nurse,
            complete=True,
            total=phq9,
        )
    return booking


@pytest.fixture
def supervisor(facility: Facility) -> User:
    return staff(Role.SUPERVISOR, facility)


@pytest.fixture
def clinician(facility: Facility) -> User:
    return staff(Role.CLINICIAN, facility)


@pytest.fixture
def service(supervisor: User, facility: Facility) -> Service:
    """Individual therapy: version 1 published at PHQ-9 15, a draft at 10."""
    service = add_service(
        actor=supervisor,
        facility=facility,
        code="individual_therapy",
        name_en="Individual therapy",
        name_es="Terapia individual",
    )
    save_draft(actor=supervisor, service=service, body=policy(15))
    publish_policy(actor=supervisor, service=service)
    save_draft(actor=supervisor, service=service, body=policy(10))
    return service


@pytest.fixture
def population(
    unit_a: HousingUnit, unit_b: HousingUnit, south_unit: HousingUnit
) -> dict[str, Booking]:
    """PEOPLE in custody at the facility; someone released and someone held elsewhere, who
    are not counted."""
    units = {"A": unit_a, "B": unit_b}
    bookings = {number: book(units[unit], number, total) for number, unit, total in PEOPLE}
    gone = book(unit_a, "R0000090", 12)
    release_person(actor=None, booking=gone, at=NOW - timedelta(hours=1))
    book(south_unit, "R0000091", 12)
    return bookings


def expected(published: int, draft: int) -> dict[str, tuple[int, int, int, int]]:
    """Counted by hand from PEOPLE: eligible when the total reaches the threshold, not
    eligible below it, clinician review when there is no PHQ-9 (never a change)."""
    counts: dict[str, list[int]] = {}
    for _, unit, total in PEOPLE:
        before = total is not None and total >= published
        after = total is not None and total >= draft
        row = counts.setdefault(unit, [0, 0, 0, 0])
        row[0] += 1
        row[1] += after and not before
        row[2] += before and not after
        row[3] += before != after
    totals = [sum(row[n] for row in counts.values()) for n in range(4)]
    return {"total": (totals[0], totals[1], totals[2], totals[3])} | {
        unit: (row[0], row[1], row[2], row[3]) for unit, row in counts.items()
    }


def page_text(response: "Response") -> str:
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode())))


def table_rows(response: "Response") -> dict[str, tuple[int, ...]]:
    """The counts table: first cell → the four figures."""
    found = re.findall(
        r"<tr><t[hd][^>]*>([^<]*)</t[hd]><td>(\d+)</td><td>(\d+)</td><td>(\d+)</td><td>(\d+)</td>",
        response.content.decode(),
    )
    return {row[0]: tuple(int(n) for n in row[1:]) for row in found}


# ---- the counts ------------------------------------------------------------------------


def test_the_counts_match_a_count_by_hand(service: Service, population: dict[str, Booking]) -> None:
    what_if = run_what_if(service, NOW)
    figures = expected(published=15, draft=10)
    total = what_if.result.total
    assert (total.people, total.gained, total.lost, total.changed) == figures["total"]
    assert {unit: tuple(vars(t).values()) for unit, t in what_if.result.groups.items()} == {
        unit: figures[unit] for unit in ("A", "B")
    }
    gained = {
        population[number].pk for number, _, phq9 in PEOPLE if phq9 is not None and 10 <= phq9 < 15
    }
    assert {change.person for change in what_if.result.changes} == gained
    assert figures["total"] == (8, 3, 0, 3)


def test_a_stricter_draft_counts_who_loses(
    supervisor: User, service: Service, population: dict[str, Booking]
) -> None:
    save_draft(actor=supervisor, service=service, body=policy(18))
    total = run_what_if(service, NOW).result.total
    assert (total.people, total.gained, total.lost, total.changed) == expected(15, 18)["total"]
    assert total.lost == 1


def test_the_supervisor_page_shows_the_counts_and_audits_counts_only(
    client: Client, supervisor: User, service: Service, population: dict[str, Booking]
) -> None:
    client.force_login(supervisor)
    response = client.get(f"/policies/{service.pk}/simulate/")
    assert response.status_code == 200
    figures = expected(published=15, draft=10)
    assert table_rows(response) == {"A": figures["A"], "B": figures["B"], "Total": figures["total"]}
    for number, _, _ in PEOPLE:
        assert number not in response.content.decode()
    event = AuditEvent.objects.get(action="policy.simulate")
    assert event.actor_id == supervisor.pk
    assert event.person_id is None
    assert event.subjects == [
        f"service:{service.pk}",
        f"policy:{PolicyVersion.objects.get(service=service).pk}",
    ]
    assert event.detail == {
        "draft_version": 2,
        "published_version": 1,
        "people": 8,
        "gained": 3,
        "lost": 0,
        "changed": 3,
        "units": 2,
    }


def test_a_facility_with_nobody_in_custody_gives_zeros(
    client: Client, supervisor: User, service: Service
) -> None:
    client.force_login(supervisor)
    response = client.get(f"/policies/{service.pk}/simulate/")
    assert response.status_code == 200
    assert table_rows(response) == {"Total": (0, 0, 0, 0)}
    assert AuditEvent.objects.get(action="policy.simulate").detail["people"] == 0


def test_with_nothing_published_every_eligible_person_gains(
    supervisor: User, facility: Facility, population: dict[str, Booking]
) -> None:
    fresh = add_service(
        actor=supervisor, facility=facility, code="psychiatry", name_en="P", name_es="P"
    )
    save_draft(actor=supervisor, service=fresh, body=policy(10))
    total = run_what_if(fresh, NOW).result.total
    # Eligible under the draft: 20, 16, 14, 12, 10. Everyone's outcome is new.
    assert (total.people, total.gained, total.lost, total.changed) == (8, 5, 0, 8)


def test_without_a_draft_or_with_one_that_does_not_check_nothing_runs(
    client: Client, supervisor: User, service: Service
) -> None:
    client.force_login(supervisor)
    PolicyDraft.objects.filter(service=service).delete()
    assert "There is no draft to simulate" in page_text(
        client.get(f"/policies/{service.pk}/simulate/")
    )
    broken = policy(10)
    broken["criteria"][0]["expression"] = "phq9_total >="
    save_draft(actor=supervisor, service=service, body=broken)
    text = page_text(client.get(f"/policies/{service.pk}/simulate/"))
    assert "The draft does not check" in text
    assert "criteria[0] (phq9-high).expression" in text
    assert not AuditEvent.objects.filter(action__startswith="policy.simulate").exists()


# ---- who changes and why ---------------------------------------------------------------


def test_clinicians_see_who_changes_and_why_and_the_read_lists_them(
    client: Client, clinician: User, service: Service, population: dict[str, Booking]
) -> None:
    client.force_login(clinician)
    assert "Individual therapy" in page_text(client.get("/policies/drafts/"))
    response = client.get(f"/policies/{service.pk}/simulate/changes/")
    assert response.status_code == 200
    figures = expected(published=15, draft=10)
    assert table_rows(response) == {"A": figures["A"], "B": figures["B"], "Total": figures["total"]}
    text = page_text(response)
    changed = {number for number, _, phq9 in PEOPLE if phq9 is not None and 10 <= phq9 < 15}
    for number, _, _ in PEOPLE:
        assert (number in text) == (number in changed), number
    assert "Not eligible → Eligible" in text
    assert "PHQ-9 total 12; 15 needed" in text
    assert "PHQ-9 total 12; 10 needed" in text
    rows = response.context["view"].rows
    assert all([criterion for criterion, _, _ in row.criteria] == ["phq9-high"] for row in rows)
    event = AuditEvent.objects.get(action="policy.simulate_changes")
    assert event.actor_id == clinician.pk
    people = {f"person:{population[number].person_id}" for number in changed}
    assert set(event.subjects) - {
        f"service:{service.pk}",
        f"policy:{service.versions.get().pk}",
    } == (people)
    assert event.detail["changed"] == 3
    assert "name" in event.detail["fields"]


@pytest.mark.parametrize("role", [Role.SUPERVISOR, Role.NURSE, Role.CUSTODY, Role.AUDITOR])
def test_only_clinicians_see_who_changes(
    client: Client, facility: Facility, service: Service, role: Role
) -> None:
    client.force_login(staff(role, facility, f"other-{role}"))
    assert client.get(f"/policies/{service.pk}/simulate/changes/").status_code == 403
    assert client.get("/policies/drafts/").status_code == 403


def test_a_clinician_elsewhere_does_not_find_the_draft(
    client: Client, other_facility: Facility, service: Service
) -> None:
    client.force_login(staff(Role.CLINICIAN, other_facility, "south-clinician"))
    assert client.get(f"/policies/{service.pk}/simulate/changes/").status_code == 404
    assert "Individual therapy" not in page_text(client.get("/policies/drafts/"))


# ---- the command -----------------------------------------------------------------------


def test_the_command_prints_the_same_figures_and_audits_the_run_as_the_system(
    service: Service, population: dict[str, Booking]
) -> None:
    out, err = io.StringIO(), io.StringIO()
    call_command("policy", "simulate", "--service", "individual_therapy", stdout=out, stderr=err)
    lines = {
        line.split()[0]: tuple(int(n.replace(",", "")) for n in line.split()[1:])
        for line in out.getvalue().splitlines()[2:]
    }
    figures = expected(published=15, draft=10)
    assert lines == {"A": figures["A"], "B": figures["B"], "total": figures["total"]}
    assert "against version 1" in out.getvalue()
    event = AuditEvent.objects.get(action="policy.simulate")
    assert event.actor_id is None
    assert event.detail["gained"] == 3


def test_the_command_needs_the_facility_when_several_offer_the_service(
    service: Service, other_facility: Facility
) -> None:
    south_supervisor = staff(Role.SUPERVISOR, other_facility, "south-supervisor")
    south = add_service(
        actor=south_supervisor,
        facility=other_facility,
        code="individual_therapy",
        name_en="Individual therapy",
        name_es="Terapia individual",
    )
    with pytest.raises(CommandError, match="choose one with --facility"):
        call_command("policy", "simulate", "--service", "individual_therapy")
    with pytest.raises(CommandError, match="no draft"):
        call_command(
            "policy", "simulate", "--service", south.code, "--facility", other_facility.code
        )
    out = io.StringIO()
    call_command(
        "policy", "simulate", "--service", "individual_therapy", "--facility", "north", stdout=out
    )
    assert "total" in out.getvalue()
    with pytest.raises(CommandError, match="There is no service 'group'"):
        call_command("policy", "simulate", "--service", "group")
