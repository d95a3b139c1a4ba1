from collections.abc import Callable
from pathlib import Path

import pytest

from kiteline.facilities.models import Facility, FacilityKind, HousingUnit


@pytest.fixture
def roster_file(tmp_path: Path) -> Callable[[str], Path]:
    """Writes a CSV text to a new file and gives its path."""
    paths = (tmp_path / f"roster-{n}.csv" for n in range(1, 1000))

    def write(text: str) -> Path:
        path = next(paths)
        path.write_text(text, encoding="utf-8")
        return path

    return write


@pytest.fixture
def example_facilities(db: None) -> None:
    """The facilities and housing units that docs/roster-example.csv names."""
    north = Facility.objects.create(
        code="example-north",
        name="Example North Jail",
        kind=FacilityKind.JAIL,
        time_zone="America/Chicago",
    )
    south = Facility.objects.create(
        code="example-south",
        name="Example South Jail",
        kind=FacilityKind.JAIL,
        time_zone="America/Denver",
    )
    HousingUnit.objects.create(facility=north, code="A", name="A Pod")
    HousingUnit.objects.create(facility=north, code="B", name="B Pod")
    HousingUnit.objects.create(facility=south, code="S1", name="South One")
