"""The roster API: scoped like the pages, and custody gets allow-listed fields only (I6)."""

import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from django.test import Client

from kiteline.accounts.allowlists import CUSTODY_ALLOWED_FIELDS
from kiteline.accounts.models import Role, User
from kiteline.accounts.tokens import create_api_token
from kiteline.facilities.models import Facility, HousingUnit
from kiteline.facilities.services import (
    PersonDetails,
    book_person,
    move_housing,
    rebook_person,
    release_person,
    transfer_person,
)
from tests.integration.scheduling_world import build_world
from tests.integration.test_api_scheduling import published_today

T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
RESIDENT_NUMBER = "R0000001"

# Every component of the API's schemas that a custody user can receive → its record kind in
# CUSTODY_ALLOWED_FIELDS. A new schema fails the payload test until it is listed here.
KIND_OF_SCHEMA = {
    "RosterPageOut": "roster_page",
    "RosterRowOut": "roster_row",
    "PersonOut": "person",
    "CustodyPersonOut": "person",
    "BookingOut": "booking",
    "PlacementOut": "placement",
    "EscortListOut": "escort_list",
    "EscortRowOut": "escort_row",
}
# A page's counts say nothing about anyone, so custody may have them beside the rows; nor
# do the facility, day and unit an escort list was asked for.
ALLOWED_FIELDS = CUSTODY_ALLOWED_FIELDS | {
    "roster_page": frozenset({"rows", "number", "num_pages", "total"}),
    "escort_list": frozenset({"facility", "date", "unit", "rows"}),
}
# A value for each path parameter of any GET route, from the seeded data below.
PATH_VALUES = {
    "resident_number": RESIDENT_NUMBER,
    "number": "K000001",
    "key": "phq9-v1",
    "administration_id": "1",
    "decision_id": "1",
    "appeal_id": "1",
    "service_id": "1",
    "run_id": "1",
}
# GET routes that refuse custody outright (403) whatever they hold: every field of a kite
# is clinical, so no kite schema has a record kind here (I6).
REFUSED_TO_CUSTODY = {
    "/api/v1/kites",
    "/api/v1/kites/mine",
    "/api/v1/kites/K000001",
    # Every screening field is clinical too.
    "/api/v1/screening/instruments",
    "/api/v1/screening/instruments/phq9-v1/fhir",
    "/api/v1/screening/evaluations",
    "/api/v1/screenings/1",
    "/api/v1/screenings/1/fhir",
    f"/api/v1/people/{RESIDENT_NUMBER}/screenings",
    # And every field of care: services, levels, decisions, appeals, policies.
    "/api/v1/care/services",
    "/api/v1/care/settings",
    f"/api/v1/people/{RESIDENT_NUMBER}/care",
    "/api/v1/decisions/mine",
    "/api/v1/decisions/1",
    "/api/v1/appeals",
    "/api/v1/appeals/1",
    "/api/v1/policies/1",
    # And of scheduling, but for the escort list: session types, clinicians, lengths and
    # services tell what care a person gets.
    "/api/v1/scheduling/availability",
    "/api/v1/scheduling/requirements",
    "/api/v1/scheduling/schedules",
    "/api/v1/scheduling/schedules/1",
    "/api/v1/scheduling/appointments",
}


def details(resident_number: str, family_name: str) -> PersonDetails:
    return PersonDetails(
        resident_number=resident_number,
        given_name="Alder",
        family_name=family_name,
        date_of_birth=date(1990, 5, 1),
        race_ethnicity="Recorded value",
    )


@pytest.fixture
def seeded(unit_a: HousingUnit, unit_b: HousingUnit, south_unit: HousingUnit) -> None:
    """One person with a past stay and a current one, moved and transferred, and one person
    only ever held at the other facility."""
    first = book_person(
        actor=None,
        details=details(RESIDENT_NUMBER, "Testfield"),
        housing_unit=unit_a,
        booked_at=T0,
        booking_number="B1",
    )
    move_housing(actor=None, booking=first, to_unit=unit_b, at=T0 + timedelta(days=1))
    release_person(actor=None, booking=first, at=T0 + timedelta(days=2))
    second = rebook_person(
        actor=None,
        person=first.person,
        housing_unit=unit_a,
        booked_at=T0 + timedelta(days=10),
        booking_number="B2",
    )
    transfer_person(actor=None, booking=second, to_unit=south_unit, at=T0 + timedelta(days=11))
    book_person(
        actor=None,
        details=details("R0000002", "Southonly"),
        housing_unit=south_unit,
        booked_at=T0,
        booking_number="B3",
    )


@pytest.fixture
def escorted_today(facility: Facility, unit_a: HousingUnit) -> None:
    """Appointments today at North, so that the escort list has rows to check."""
    published_today(build_world(facility, unit_a), first=11)


def staff_client(role: Role, *facilities: Facility) -> Client:
    """A client that calls the API with a token of a new user in `role`."""
    user = User.objects.create_user(username=f"test-{role}", role=role)
    user.facilities.set(facilities)
    _, plaintext = create_api_token(actor=None, user=user, expires_in_days=1)
    return Client(headers={"Authorization": f"Bearer {plaintext}"})


def test_the_roster_gives_the_pages_rows_and_counts(seeded: None, facility: Facility) -> None:
    nurse = staff_client(Role.NURSE, facility)

    assert nurse.get("/api/v1/roster").json() == {
        "rows": [],
        "number": 1,
        "num_pages": 1,
        "total": 0,
    }
    page = nurse.get("/api/v1/roster", {"released": "true", "q": "testfield"}).json()
    (row,) = page["rows"]
    assert (row["resident_number"], row["booking_number"], row["housing_unit"]) == (
        RESIDENT_NUMBER,
        "B2",
        "South One",
    )
    assert row["in_custody"] is True
    assert (page["number"], page["num_pages"], page["total"]) == (1, 1, 1)


def test_the_roster_of_the_other_facility_shows_its_people_in_custody(
    seeded: None, other_facility: Facility
) -> None:
    rows = staff_client(Role.CLINICIAN, other_facility).get("/api/v1/roster").json()["rows"]
    assert [row["resident_number"] for row in rows] == ["R0000002", RESIDENT_NUMBER]


def test_health_staff_get_the_full_record(seeded: None, facility: Facility) -> None:
    record = staff_client(Role.NURSE, facility).get(f"/api/v1/people/{RESIDENT_NUMBER}").json()

    assert record["race_ethnicity"] == "Recorded value"
    assert [booking["booking_number"] for booking in record["bookings"]] == ["B2", "B1"]
    assert [p["housing_unit"] for p in record["bookings"][1]["placements"]] == ["A Pod", "B Pod"]


def test_a_custody_token_gets_the_custody_record(seeded: None, facility: Facility) -> None:
    record = staff_client(Role.CUSTODY, facility).get(f"/api/v1/people/{RESIDENT_NUMBER}").json()

    assert "race_ethnicity" not in record
    assert set(record) == CUSTODY_ALLOWED_FIELDS["person"]


def test_a_token_of_a_nurse_at_one_facility_gets_404_for_a_person_held_only_at_another(
    seeded: None, facility: Facility
) -> None:
    assert staff_client(Role.NURSE, facility).get("/api/v1/people/R0000002").status_code == 404


def test_a_token_loses_access_when_its_user_leaves_the_facility(
    seeded: None, facility: Facility
) -> None:
    nurse = staff_client(Role.NURSE, facility)
    assert nurse.get(f"/api/v1/people/{RESIDENT_NUMBER}").status_code == 200
    User.objects.get(role=Role.NURSE).facilities.clear()
    assert nurse.get(f"/api/v1/people/{RESIDENT_NUMBER}").status_code == 404


def test_the_openapi_description_is_served_to_staff_with_both_routes(
    client: Client, nurse: User
) -> None:
    assert client.get("/api/v1/openapi.json").status_code == 404
    assert client.get("/api/v1/docs").status_code == 404
    client.force_login(nurse)
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["info"]["title"] == "Kiteline API"
    assert {"/api/v1/roster", "/api/v1/people/{resident_number}"} <= set(schema["paths"])


def test_the_docs_page_loads_nothing_from_another_site(client: Client, nurse: User) -> None:
    client.force_login(nurse)
    response = client.get("/api/v1/docs")
    assert response.status_code == 200
    sources = re.findall(rb'(?:src|href)="([^"]*)"', response.content)
    assert sources
    assert all(source.startswith(b"/static/") for source in sources)


def get_routes(schema: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """Each GET route as a URL with its path parameters filled in, and its 200 schema."""
    for route, methods in schema["paths"].items():
        if "get" not in methods:
            continue
        names = re.findall(r"{(\w+)}", route)
        missing = [name for name in names if name not in PATH_VALUES]
        assert not missing, f"Add a seeded value for {missing} of {route} to PATH_VALUES."
        url = route.format(**PATH_VALUES)
        # FHIR routes answer application/fhir+json and declare no JSON schema.
        content = methods["get"]["responses"]["200"].get("content", {})
        yield url, content.get("application/json", {}).get("schema", {})


def check_fields(
    value: Any, schema: dict[str, Any], components: dict[str, Any], at: str
) -> set[str]:
    """Every key of every object in `value` is allow-listed for the record kind of the
    schema component it was built from, at every depth. Gives the kinds it met."""
    kinds = set()
    branches = schema.get("anyOf", [schema])
    if isinstance(value, dict):
        names = [branch["$ref"].rsplit("/", 1)[-1] for branch in branches if "$ref" in branch]
        assert names, f"{at}: an object with no schema component"
        unmapped = [name for name in names if name not in KIND_OF_SCHEMA]
        assert not unmapped, f"{at}: map {unmapped} to a record kind in KIND_OF_SCHEMA."
        (kind,) = {KIND_OF_SCHEMA[name] for name in names}
        extra = set(value) - ALLOWED_FIELDS[kind]
        assert not extra, f"{at}: custody received {sorted(extra)}, not allow-listed for {kind}"
        properties = components[names[0]]["properties"]
        kinds.add(kind)
        for key, item in value.items():
            kinds |= check_fields(item, properties[key], components, f"{at}.{key}")
    elif isinstance(value, list):
        (items,) = [branch["items"] for branch in branches if branch.get("type") == "array"]
        for index, item in enumerate(value):
            kinds |= check_fields(item, items, components, f"{at}[{index}]")
    return kinds


@pytest.mark.parametrize("query", [{}, {"released": "true"}])
def test_every_payload_a_custody_user_can_get_holds_only_allow_listed_fields(
    seeded: None,
    escorted_today: None,
    facility: Facility,
    other_facility: Facility,
    query: dict[str, str],
) -> None:
    custody = staff_client(Role.CUSTODY, facility, other_facility)
    schema = custody.get("/api/v1/openapi.json").json()
    components = schema["components"]["schemas"]
    checked, refused, kinds = [], set(), set()
    for url, response_schema in get_routes(schema):
        response = custody.get(url, query)
        if url in REFUSED_TO_CUSTODY:
            assert response.status_code == 403, url
            refused.add(url)
            continue
        assert response.status_code == 200, url
        kinds |= check_fields(response.json(), response_schema, components, url)
        checked.append(url)
    assert checked == [
        "/api/v1/roster",
        f"/api/v1/people/{RESIDENT_NUMBER}",
        "/api/v1/scheduling/escorts",
    ]
    assert refused == REFUSED_TO_CUSTODY
    # Proves the seeded data reached every depth: an empty list would check nothing.
    assert kinds == set(KIND_OF_SCHEMA.values())


def test_the_payload_check_catches_a_field_that_is_not_allow_listed(
    seeded: None, facility: Facility
) -> None:
    nurse = staff_client(Role.NURSE, facility)
    schema = nurse.get("/api/v1/openapi.json").json()
    url = f"/api/v1/people/{RESIDENT_NUMBER}"
    response_schema = dict(get_routes(schema))[url]
    with pytest.raises(AssertionError, match=r"\['race_ethnicity'\], not allow-listed"):
        check_fields(nurse.get(url).json(), response_schema, schema["components"]["schemas"], url)
