"""The schemas a custody user can receive list exactly the allow-listed fields (I6)."""

import pytest
from ninja import Schema

from kiteline.accounts.allowlists import CUSTODY_ALLOWED_FIELDS
from kiteline.accounts.models import Role, User
from kiteline.api.scheduling_schemas import EscortRowOut
from kiteline.api.schemas import (
    BookingOut,
    CustodyPersonOut,
    PersonOut,
    PlacementOut,
    RosterRowOut,
    person_schema,
)

CUSTODY_SCHEMAS: dict[str, type[Schema]] = {
    "roster_row": RosterRowOut,
    "person": CustodyPersonOut,
    "booking": BookingOut,
    "placement": PlacementOut,
    "escort_row": EscortRowOut,
}


# Served to custody by a page only (`/kites/custody/`), through no API route yet; the page's
# tests hold its records to the allow-list (tests/integration/test_custody_kites.py).
# Movement restrictions likewise, on the scheduling capacity pages: the API serves them to
# health staff only (`/api/v1/scheduling/availability`).
PAGE_ONLY_KINDS = {"welfare_check", "watch", "movement_restriction"}


def test_there_is_a_custody_schema_for_every_allow_listed_record_kind() -> None:
    assert set(CUSTODY_SCHEMAS) == set(CUSTODY_ALLOWED_FIELDS) - PAGE_ONLY_KINDS


@pytest.mark.parametrize("kind", sorted(CUSTODY_SCHEMAS))
def test_each_custody_schema_has_exactly_the_allow_listed_fields(kind: str) -> None:
    assert set(CUSTODY_SCHEMAS[kind].model_fields) == CUSTODY_ALLOWED_FIELDS[kind]


def test_the_health_staff_record_adds_fields_that_custody_never_gets() -> None:
    assert set(PersonOut.model_fields) - CUSTODY_ALLOWED_FIELDS["person"] == {"race_ethnicity"}


def test_custody_gets_the_custody_person_schema_and_health_staff_the_full_one() -> None:
    assert person_schema(User(role=Role.CUSTODY)) is CustodyPersonOut
    for role in (Role.NURSE, Role.CLINICIAN, Role.SUPERVISOR, Role.AUDITOR):
        assert person_schema(User(role=role)) is PersonOut
