import os
from datetime import UTC, datetime

import pytest
from hypothesis import settings

from kiteline.accounts.models import Role, User
from kiteline.facilities.models import Facility, FacilityKind, HousingUnit

# In CI, Hypothesis draws the same examples every run so that a red run can be reproduced.
settings.register_profile("ci", derandomize=True, deadline=None)
settings.load_profile(os.getenv("HYPOTHESIS_PROFILE", "default"))


@pytest.fixture
def facility(db: None) -> Facility:
    return Facility.objects.create(
        code="north", name="North Test Jail", kind=FacilityKind.JAIL, time_zone="America/Chicago"
    )


@pytest.fixture
def other_facility(db: None) -> Facility:
    return Facility.objects.create(
        code="south", name="South Test Jail", kind=FacilityKind.JAIL, time_zone="America/Denver"
    )


@pytest.fixture
def unit_a(facility: Facility) -> HousingUnit:
    return HousingUnit.objects.create(facility=facility, code="A", name="A Pod")


@pytest.fixture
def unit_b(facility: Facility) -> HousingUnit:
    return HousingUnit.objects.create(facility=facility, code="B", name="B Pod")


@pytest.fixture
def south_unit(other_facility: Facility) -> HousingUnit:
    return HousingUnit.objects.create(facility=other_facility, code="S1", name="South One")


@pytest.fixture
def nurse(facility: Facility) -> User:
    user = User.objects.create_user(
        username="test-nurse", password="a-test-password", role=Role.NURSE
    )
    user.facilities.add(facility)
    return user


@pytest.fixture
def jan_first() -> datetime:
    return datetime(2026, 1, 1, 8, 0, tzinfo=UTC)
