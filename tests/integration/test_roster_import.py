import dataclasses
import io
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import CharField, Model

from kiteline.facilities.models import Booking, Facility, HousingUnit, Person, Placement
from kiteline.facilities.roster_csv import COLUMNS, MAX_LENGTHS, RowError, parse_roster
from kiteline.facilities.roster_import import ImportResult, RosterImportError, import_roster

EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "roster-example.csv"

# One row's values; each test overrides the few that matter to it.
DEFAULT_ROW = {
    "booking_number": "B-1",
    "resident_number": "R-1",
    "family_name": "Testperson",
    "given_name": "Alder",
    "date_of_birth": "1988-03-14",
    "sex": "M",
    "language": "en",
    "needs_interpreter": "no",
    "reads_without_help": "yes",
    "race_ethnicity": "",
    "facility_code": "north",
    "housing_unit_code": "A",
    "housed_at": "2026-01-01T08:00:00+00:00",
    "booked_at": "2026-01-01T08:00:00+00:00",
    "released_at": "",
}
JAN = {day: datetime(2026, 1, day, 8, 0, tzinfo=UTC) for day in range(1, 32)}


def roster_csv(*rows: dict[str, str]) -> str:
    """An extract with a full header and one line per dict of overrides."""
    lines = [",".join(COLUMNS)]
    lines += [",".join((DEFAULT_ROW | row)[column] for column in COLUMNS) for row in rows]
    return "\n".join(lines) + "\n"


def at(day: int, hour: int = 8) -> str:
    return f"2026-01-{day:02}T{hour:02}:00:00+00:00"


def import_text(text: str, *, dry_run: bool = False) -> ImportResult:
    parsed = parse_roster(text)
    assert parsed.errors == ()
    return import_roster(actor=None, rows=parsed.rows, dry_run=dry_run)


def roster_tables() -> dict[str, list[dict[str, object]]]:
    """Every stored value of the roster, to tell whether an import changed anything at all."""
    models: tuple[type[Model], ...] = (Person, Booking, Placement)
    return {
        model.__name__: [dict(row) for row in model._default_manager.order_by("pk").values()]
        for model in models
    }


def housing_history(booking_number: str) -> list[tuple[str, str, datetime, datetime | None]]:
    return [
        (p.housing_unit.facility.code, p.housing_unit.code, p.started_at, p.ended_at)
        for p in Placement.objects.filter(booking__booking_number=booking_number)
        .select_related("housing_unit__facility")
        .order_by("started_at", "pk")
    ]


@pytest.fixture
def units(unit_a: HousingUnit, unit_b: HousingUnit, south_unit: HousingUnit) -> None:
    """Units A and B at north, S1 at south."""


# Booking, re-booking, moves, transfers, releases


@pytest.mark.usefixtures("units")
def test_a_new_booking_of_an_unknown_person_books_them() -> None:
    result = import_text(roster_csv({"language": "VI", "needs_interpreter": "yes"}))

    assert result.booked == ("B-1",)
    assert result.counts["booked"] == 1
    person = Person.objects.get(resident_number="R-1")
    assert (person.family_name, person.language, person.needs_interpreter) == (
        "Testperson",
        "vi",
        True,
    )
    assert Booking.objects.get(booking_number="B-1").facility.code == "north"
    assert housing_history("B-1") == [("north", "A", JAN[1], None)]


@pytest.mark.usefixtures("units")
def test_a_new_booking_housed_later_is_recorded_in_its_unit_from_the_booking_time() -> None:
    import_text(roster_csv({"housing_unit_code": "B", "housed_at": at(3)}))

    assert housing_history("B-1") == [("north", "B", JAN[1], None)]


@pytest.mark.usefixtures("units")
def test_a_new_booking_of_a_known_person_rebooks_them_and_refreshes_their_details() -> None:
    import_text(roster_csv({"released_at": at(2)}))

    result = import_text(
        roster_csv(
            {"booking_number": "B-2", "booked_at": at(9), "housed_at": at(9), "language": "es"}
        )
    )

    assert result.rebooked == ("B-2",)
    assert result.booked == ()
    person = Person.objects.get(resident_number="R-1")
    assert person.language == "es"
    assert [b.booking_number for b in person.bookings.order_by("booked_at")] == ["B-1", "B-2"]


@pytest.mark.usefixtures("units")
def test_a_new_unit_in_the_same_facility_moves_the_person_at_housed_at() -> None:
    import_text(roster_csv({}))

    result = import_text(roster_csv({"housing_unit_code": "B", "housed_at": at(3)}))

    assert result.moved == ("B-1",)
    assert housing_history("B-1") == [
        ("north", "A", JAN[1], JAN[3]),
        ("north", "B", JAN[3], None),
    ]


@pytest.mark.usefixtures("units")
def test_a_unit_in_another_facility_transfers_the_person_at_housed_at() -> None:
    import_text(roster_csv({}))

    result = import_text(
        roster_csv({"facility_code": "south", "housing_unit_code": "S1", "housed_at": at(4)})
    )

    assert result.transferred == ("B-1",)
    assert Booking.objects.get(booking_number="B-1").facility.code == "south"
    assert housing_history("B-1") == [
        ("north", "A", JAN[1], JAN[4]),
        ("south", "S1", JAN[4], None),
    ]


@pytest.mark.usefixtures("units")
def test_a_release_time_releases_an_open_booking() -> None:
    import_text(roster_csv({}))

    result = import_text(roster_csv({"released_at": at(5)}))

    assert result.released == ("B-1",)
    assert Booking.objects.get(booking_number="B-1").released_at == JAN[5]
    assert housing_history("B-1") == [("north", "A", JAN[1], JAN[5])]


@pytest.mark.usefixtures("units")
def test_one_row_can_move_a_person_and_release_them() -> None:
    import_text(roster_csv({}))

    result = import_text(
        roster_csv({"housing_unit_code": "B", "housed_at": at(3), "released_at": at(5)})
    )

    assert (result.moved, result.released) == (("B-1",), ("B-1",))
    assert housing_history("B-1") == [
        ("north", "A", JAN[1], JAN[3]),
        ("north", "B", JAN[3], JAN[5]),
    ]


@pytest.mark.usefixtures("units")
def test_a_release_comes_before_a_rebooking_of_the_same_person_listed_above_it() -> None:
    text = roster_csv(
        {"booking_number": "B-2", "booked_at": at(9), "housed_at": at(9)},
        {"booking_number": "B-1", "released_at": at(2)},
    )

    result = import_text(text)

    assert (result.booked, result.rebooked, result.released) == (("B-1",), ("B-2",), ("B-1",))
    assert Booking.objects.get(booking_number="B-1").released_at == JAN[2]
    assert Booking.objects.get(booking_number="B-2").is_open


# Person details


@pytest.mark.usefixtures("units")
def test_changed_details_on_a_known_booking_update_the_person() -> None:
    import_text(roster_csv({}))

    result = import_text(roster_csv({"family_name": "Renamed", "reads_without_help": "no"}))

    assert result.updated == ("B-1",)
    assert result.unchanged == ()
    person = Person.objects.get(resident_number="R-1")
    assert (person.family_name, person.reads_without_help) == ("Renamed", False)


@pytest.mark.usefixtures("units")
def test_the_details_of_an_older_booking_in_the_file_do_not_overwrite_the_latest() -> None:
    text = roster_csv(
        {"booking_number": "B-2", "booked_at": at(9), "housed_at": at(9)},
        {"booking_number": "B-1", "released_at": at(2), "family_name": "Formername"},
    )

    import_text(text)
    again = import_text(text)

    assert Person.objects.get(resident_number="R-1").family_name == "Testperson"
    assert again.updated == ()


@pytest.mark.usefixtures("units")
def test_an_older_booking_alone_does_not_overwrite_the_details_of_a_later_one() -> None:
    import_text(
        roster_csv(
            {"booking_number": "B-1", "released_at": at(2)},
            {"booking_number": "B-2", "booked_at": at(9), "housed_at": at(9)},
        )
    )

    result = import_text(
        roster_csv({"booking_number": "B-1", "released_at": at(2), "family_name": "Formername"})
    )

    assert result.unchanged == ("B-1",)
    assert Person.objects.get(resident_number="R-1").family_name == "Testperson"


# Re-running


@pytest.mark.usefixtures("units")
def test_importing_the_same_file_twice_changes_nothing() -> None:
    import_text(
        roster_csv(
            {"booking_number": "B-1"},
            {"booking_number": "B-2", "resident_number": "R-2"},
            {"booking_number": "B-3", "resident_number": "R-3"},
            {"booking_number": "B-4", "resident_number": "R-4", "released_at": at(2)},
        )
    )
    text = roster_csv(
        {"booking_number": "B-1", "housing_unit_code": "B", "housed_at": at(3)},
        {"booking_number": "B-2", "resident_number": "R-2"}
        | {"facility_code": "south", "housing_unit_code": "S1", "housed_at": at(4)},
        {"booking_number": "B-3", "resident_number": "R-3", "released_at": at(5)},
        {"booking_number": "B-5", "resident_number": "R-4", "booked_at": at(6)}
        | {"housed_at": at(7), "given_name": "Birch"},
        {"booking_number": "B-6", "resident_number": "R-6", "booked_at": at(8)}
        | {"housed_at": at(8), "language": "zh-hant"},
    )
    first = import_text(text)
    after_first = roster_tables()

    second = import_text(text)

    assert first.counts == {
        "booked": 1,
        "rebooked": 1,
        "moved": 1,
        "transferred": 1,
        "released": 1,
        "updated": 0,
        "unchanged": 0,
    }
    assert second.counts == dict.fromkeys(first.counts, 0) | {"unchanged": 5}
    assert roster_tables() == after_first


# Errors: all or nothing


@pytest.mark.usefixtures("units")
def test_a_bad_row_on_the_last_line_applies_nothing_at_all() -> None:
    import_text(roster_csv({}))
    before = roster_tables()
    text = roster_csv(
        {"housing_unit_code": "B", "housed_at": at(3)},
        {"booking_number": "B-2", "resident_number": "R-2"},
        {"booking_number": "B-3", "resident_number": "R-3", "released_at": at(5)},
        {"booking_number": "B-4", "resident_number": "R-4", "housing_unit_code": "Z"},
    )

    with pytest.raises(RosterImportError) as raised:
        import_text(text)

    assert raised.value.errors == (RowError(5, "Facility north has no housing unit with code Z."),)
    assert roster_tables() == before


@pytest.mark.usefixtures("units")
def test_a_row_a_roster_service_refuses_applies_nothing_at_all() -> None:
    import_text(roster_csv({}))
    import_text(roster_csv({"housing_unit_code": "B", "housed_at": at(5)}))
    before = roster_tables()
    text = roster_csv(
        {"booking_number": "B-2", "resident_number": "R-2"},
        # Back to A before the person entered B: a move cannot go back in time.
        {"housing_unit_code": "A", "housed_at": at(4)},
    )

    with pytest.raises(RosterImportError) as raised:
        import_text(text)

    (error,) = raised.value.errors
    assert error.line == 3
    assert "moved into its current housing at" in error.reason
    assert roster_tables() == before


@pytest.mark.usefixtures("units")
def test_every_refused_row_is_reported_in_line_order() -> None:
    text = roster_csv(
        {"booking_number": "B-1", "facility_code": "east"},
        {"booking_number": "B-2", "resident_number": "R-2"},
        {"booking_number": "B-3", "resident_number": "R-2", "booked_at": at(2)}
        | {"housed_at": at(2)},
    )

    with pytest.raises(RosterImportError) as raised:
        import_text(text)

    assert raised.value.errors == (
        RowError(2, "There is no facility with code east."),
        RowError(4, "Resident R-2 is still in custody."),
    )
    assert str(raised.value) == (
        "line 2: There is no facility with code east.\nline 4: Resident R-2 is still in custody."
    )
    assert roster_tables() == {"Person": [], "Booking": [], "Placement": []}


@pytest.mark.usefixtures("units")
def test_a_changed_booking_time_is_refused() -> None:
    import_text(roster_csv({}))

    with pytest.raises(RosterImportError) as raised:
        import_text(roster_csv({"booked_at": at(1, hour=9), "housed_at": at(1, hour=9)}))

    assert raised.value.errors[0].reason == (
        "Booking B-1 was booked at 2026-01-01T08:00:00+00:00, not 2026-01-01T09:00:00+00:00; "
        "a booking time cannot be changed."
    )


@pytest.mark.usefixtures("units")
def test_a_booking_number_of_another_resident_is_refused() -> None:
    import_text(roster_csv({}))

    with pytest.raises(RosterImportError) as raised:
        import_text(roster_csv({"resident_number": "R-2"}))

    assert raised.value.errors[0].reason == "Booking B-1 is of resident R-1, not R-2."


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        (
            {},
            "Booking B-1 was released at 2026-01-02T08:00:00+00:00; the file shows it in "
            "custody, and a release cannot be undone.",
        ),
        (
            {"released_at": at(3)},
            "Booking B-1 was released at 2026-01-02T08:00:00+00:00, not "
            "2026-01-03T08:00:00+00:00; a release time cannot be changed.",
        ),
        (
            {"released_at": at(2), "housing_unit_code": "B"},
            "Booking B-1 was released from A Pod (north), not from B at north; "
            "a released booking cannot move.",
        ),
    ],
)
@pytest.mark.usefixtures("units")
def test_a_released_booking_cannot_change(row: dict[str, str], reason: str) -> None:
    import_text(roster_csv({"released_at": at(2)}))

    with pytest.raises(RosterImportError) as raised:
        import_text(roster_csv(row))

    assert raised.value.errors == (RowError(2, reason),)


@pytest.mark.usefixtures("units")
def test_a_value_the_database_refuses_is_reported_with_its_line() -> None:
    (row,) = parse_roster(roster_csv({})).rows

    with pytest.raises(RosterImportError) as raised:
        import_roster(actor=None, rows=[dataclasses.replace(row, given_name="x" * 101)])

    (error,) = raised.value.errors
    assert error.line == 2
    assert error.reason.startswith("given_name: Ensure this value has at most 100 characters")


@pytest.mark.usefixtures("units")
def test_a_dry_run_reports_the_outcomes_and_saves_nothing() -> None:
    result = import_text(roster_csv({"released_at": at(2)}), dry_run=True)

    assert (result.booked, result.released) == (("B-1",), ("B-1",))
    assert roster_tables() == {"Person": [], "Booking": [], "Placement": []}


def max_length(model: type[Model], name: str) -> int | None:
    field = model._meta.get_field(name)
    assert isinstance(field, CharField)
    return field.max_length


def test_the_csv_length_limits_are_the_database_column_sizes() -> None:
    limits = {
        "booking_number": max_length(Booking, "booking_number"),
        "facility_code": max_length(Facility, "code"),
        "housing_unit_code": max_length(HousingUnit, "code"),
    } | {
        name: max_length(Person, name)
        for name in ("resident_number", "family_name", "given_name", "language", "race_ethnicity")
    }

    assert limits == MAX_LENGTHS


# The command


def run_command(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("roster", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.mark.usefixtures("units")
def test_the_command_prints_one_line_per_outcome(roster_file: Callable[[str], Path]) -> None:
    import_text(roster_csv({}, {"booking_number": "B-2", "resident_number": "R-2"}))
    path = roster_file(
        roster_csv(
            {"housing_unit_code": "B", "housed_at": at(3), "released_at": at(4)},
            {"booking_number": "B-2", "resident_number": "R-2"},
            {"booking_number": "B-4", "resident_number": "R-4"},
            {"booking_number": "B-3", "resident_number": "R-3"},
        )
    )

    out, err = run_command("import", str(path))

    assert out == (
        "booked 2: B-3, B-4\n"
        "rebooked 0\n"
        "moved 1: B-1\n"
        "transferred 0\n"
        "released 1: B-1\n"
        "updated 0\n"
        "unchanged 1\n"
        f"Imported 4 rows from {path}.\n"
    )
    assert err == ""


@pytest.mark.usefixtures("units")
def test_the_command_prints_every_bad_row_and_exits_non_zero_having_saved_nothing(
    roster_file: Callable[[str], Path],
) -> None:
    path = roster_file(
        roster_csv(
            {"booking_number": "B-1"},
            {"booking_number": "B-2", "sex": "Q"},
            {"booking_number": "B-3", "booked_at": "2026-01-01T08:00:00"},
        )
    )
    err = io.StringIO()

    with pytest.raises(CommandError) as raised:
        call_command("roster", "import", str(path), stdout=io.StringIO(), stderr=err)

    assert raised.value.returncode != 0
    assert str(raised.value) == f"{path} has 2 errors; nothing was imported."
    lines = err.getvalue().splitlines()
    assert [line.split(":")[0] for line in lines] == ["line 3", "line 4"]
    assert "has no UTC offset" in lines[1]
    assert roster_tables() == {"Person": [], "Booking": [], "Placement": []}


@pytest.mark.usefixtures("units")
def test_the_command_prints_rows_the_roster_refuses_and_exits_non_zero(
    roster_file: Callable[[str], Path],
) -> None:
    path = roster_file(roster_csv({}, {"booking_number": "B-2", "housing_unit_code": "Z"}))
    err = io.StringIO()

    with pytest.raises(CommandError, match="has 1 error; nothing was imported"):
        call_command("roster", "import", str(path), stdout=io.StringIO(), stderr=err)

    assert err.getvalue() == "line 3: Facility north has no housing unit with code Z.\n"
    assert roster_tables() == {"Person": [], "Booking": [], "Placement": []}


@pytest.mark.usefixtures("units")
def test_the_command_dry_run_reports_and_saves_nothing(
    roster_file: Callable[[str], Path],
) -> None:
    path = roster_file(roster_csv({}))

    out, _ = run_command("import", str(path), "--dry-run")

    assert out.splitlines()[0] == "booked 1: B-1"
    assert out.splitlines()[-1] == f"Dry run: {path} is importable; nothing was saved."
    assert roster_tables() == {"Person": [], "Booking": [], "Placement": []}


@pytest.mark.usefixtures("units")
def test_the_command_reads_a_file_that_starts_with_a_byte_order_mark(tmp_path: Path) -> None:
    path = tmp_path / "excel.csv"
    path.write_text(roster_csv({}), encoding="utf-8-sig")

    out, _ = run_command("import", str(path))

    assert out.startswith("booked 1: B-1\n")


@pytest.mark.django_db
def test_the_command_refuses_a_file_that_is_not_utf_8(tmp_path: Path) -> None:
    path = tmp_path / "latin1.csv"
    path.write_text(roster_csv({"family_name": "Testpérson"}), encoding="latin-1")

    with pytest.raises(CommandError, match=f"Cannot read {path}"):
        run_command("import", str(path))


@pytest.mark.django_db
def test_the_command_refuses_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="Cannot read"):
        run_command("import", str(tmp_path / "absent.csv"))


def test_the_command_needs_an_action() -> None:
    with pytest.raises(CommandError, match="ACTION"):
        run_command()


# The example in the docs


@pytest.mark.usefixtures("example_facilities")
def test_the_example_file_in_the_docs_imports_cleanly_twice() -> None:
    first, _ = run_command("import", str(EXAMPLE))
    after_first = roster_tables()
    second, _ = run_command("import", str(EXAMPLE))

    assert first.splitlines()[:7] == [
        "booked 5: EXN-1001, EXN-1002, EXN-1004, EXN-1005, EXN-1006",
        "rebooked 1: EXN-1003",
        "moved 0",
        "transferred 0",
        "released 2: EXN-1002, EXN-1006",
        "updated 0",
        "unchanged 0",
    ]
    assert second.splitlines()[:7] == [
        "booked 0",
        "rebooked 0",
        "moved 0",
        "transferred 0",
        "released 0",
        "updated 0",
        "unchanged 6",
    ]
    assert roster_tables() == after_first
