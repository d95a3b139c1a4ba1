import io
from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kiteline.facilities.roster_csv import (
    COLUMNS,
    MAX_LENGTHS,
    OPTIONAL_COLUMNS,
    RosterRow,
    RowError,
    parse_roster,
)

HEADER = ",".join(COLUMNS)
GOOD = (
    "B-1,R-1,Testperson,Alder,1988-03-14,M,en,no,yes,,north,A,"
    "2026-01-02T09:30:00-06:00,2026-01-01T08:00:00-06:00,"
)
CHICAGO_WINTER = timezone(timedelta(hours=-6))


def row_with(**values: str) -> str:
    """The good row with some values replaced."""
    cells = dict(zip(COLUMNS, GOOD.split(","), strict=True)) | values
    return ",".join(cells[column] for column in COLUMNS)


def errors_of(*lines: str) -> list[str]:
    return [str(error) for error in parse_roster("\n".join(lines) + "\n").errors]


def test_a_good_row_reads_into_typed_values() -> None:
    parsed = parse_roster(f"{HEADER}\n{GOOD}\n")

    assert parsed.errors == ()
    assert parsed.rows == (
        RosterRow(
            line=2,
            booking_number="B-1",
            resident_number="R-1",
            family_name="Testperson",
            given_name="Alder",
            date_of_birth=date(1988, 3, 14),
            sex="M",
            language="en",
            needs_interpreter=False,
            reads_without_help=True,
            race_ethnicity="",
            facility_code="north",
            housing_unit_code="A",
            housed_at=datetime(2026, 1, 2, 9, 30, tzinfo=CHICAGO_WINTER),
            booked_at=datetime(2026, 1, 1, 8, 0, tzinfo=CHICAGO_WINTER),
            released_at=None,
        ),
    )


def test_it_reads_the_lines_of_an_open_file_as_well_as_a_text() -> None:
    lines = io.StringIO(f"{HEADER}\n{GOOD}\n")

    assert parse_roster(lines) == parse_roster(f"{HEADER}\n{GOOD}\n")


def test_values_and_column_names_are_read_without_surrounding_spaces() -> None:
    header = ", ".join(f" {column.upper()}" for column in COLUMNS)
    padded = ", ".join(f" {value} " for value in GOOD.split(","))

    assert parse_roster(f"{header}\n{padded}\n") == parse_roster(f"{HEADER}\n{GOOD}\n")


def test_blank_optional_values_take_their_defaults() -> None:
    (row,) = parse_roster(
        f"{HEADER}\n"
        + row_with(language="", needs_interpreter="", reads_without_help="", released_at="")
    ).rows

    assert (row.language, row.needs_interpreter, row.reads_without_help) == ("en", False, True)
    assert row.released_at is None


def test_optional_columns_may_be_left_out_of_the_header() -> None:
    columns = [column for column in COLUMNS if column not in OPTIONAL_COLUMNS]
    cells = dict(zip(COLUMNS, GOOD.split(","), strict=True))

    parsed = parse_roster(
        ",".join(columns) + "\n" + ",".join(cells[column] for column in columns) + "\n"
    )

    assert parsed.errors == ()
    assert parsed.rows[0].language == "en"


def test_columns_may_come_in_any_order() -> None:
    cells = dict(zip(COLUMNS, GOOD.split(","), strict=True))
    columns = list(reversed(COLUMNS))

    parsed = parse_roster(
        ",".join(columns) + "\n" + ",".join(cells[column] for column in columns) + "\n"
    )

    assert parsed == parse_roster(f"{HEADER}\n{GOOD}\n")


def test_yes_no_and_sex_are_read_whatever_their_case() -> None:
    (row,) = parse_roster(
        f"{HEADER}\n" + row_with(sex="f", needs_interpreter="YES", reads_without_help="No")
    ).rows

    assert (row.sex, row.needs_interpreter, row.reads_without_help) == ("F", True, False)


@pytest.mark.parametrize(
    ("written", "recorded"),
    [
        ("EN", "en"),
        ("en-us", "en-US"),
        ("zh-hant-tw", "zh-Hant-TW"),
        ("es-419", "es-419"),
        ("de-ch-x-phonebk", "de-CH-x-phonebk"),
        ("en-u-ca-gregory", "en-u-ca-gregory"),
    ],
)
def test_a_language_code_is_recorded_in_its_conventional_case(written: str, recorded: str) -> None:
    (row,) = parse_roster(f"{HEADER}\n" + row_with(language=written)).rows

    assert row.language == recorded


def test_a_time_in_utc_may_be_written_with_z() -> None:
    (row,) = parse_roster(f"{HEADER}\n" + row_with(released_at="2026-01-03T15:00:00Z")).rows

    assert row.released_at == datetime(2026, 1, 3, 15, 0, tzinfo=UTC)


# Fixed offsets: a zone's wall-clock times skipped at a daylight-saving change name no moment.
offsets = st.integers(min_value=-(24 * 60 - 1), max_value=24 * 60 - 1).map(
    lambda minutes: timezone(timedelta(minutes=minutes))
)


# Hypothesis takes naive bounds and adds the offsets itself.
@given(st.datetimes(min_value=datetime(2026, 1, 4), timezones=offsets))  # noqa: DTZ001
def test_any_time_written_with_its_offset_reads_back_as_the_same_moment(
    moment: datetime,
) -> None:
    (row,) = parse_roster(f"{HEADER}\n" + row_with(released_at=moment.isoformat())).rows

    assert row.released_at == moment


# The header


def test_an_empty_file_is_an_error() -> None:
    assert errors_of("") == ["line 1: The file is empty; its first line must name the columns."]


def test_unknown_columns_are_named() -> None:
    (error,) = errors_of(HEADER + ",shoe_size,")

    assert error.startswith("line 1: Unknown columns: shoe_size, (blank). The columns are: ")


def test_missing_columns_are_named() -> None:
    header = ",".join(c for c in COLUMNS if c not in ("date_of_birth", "booked_at"))

    assert errors_of(header, GOOD) == ["line 1: Missing columns: date_of_birth, booked_at."]


def test_a_repeated_column_is_an_error() -> None:
    assert errors_of(HEADER + ",sex") == ["line 1: These columns appear more than once: sex."]


# Lines


def test_line_numbers_are_the_file_line_numbers() -> None:
    bad = row_with(sex="Q")
    quoted_over_two_lines = row_with(booking_number="B-2", family_name='"Test\nperson"')
    bad_again = row_with(booking_number="B-3", sex="Q")
    text = f"{HEADER}\n{bad}\n\n{quoted_over_two_lines}\n{bad_again}\n"

    assert [error.line for error in parse_roster(text).errors] == [2, 6]


def test_blank_lines_and_lines_of_empty_values_are_skipped() -> None:
    parsed = parse_roster(f"\n{HEADER}\n\n{',' * (len(COLUMNS) - 1)}\n{GOOD}\n\n")

    assert parsed.errors == ()
    assert parsed.rows[0].line == 5


def test_a_row_with_too_few_or_too_many_values_is_an_error() -> None:
    assert errors_of(HEADER, GOOD + ",extra", "B-2,R-2") == [
        "line 2: There are 16 values; the header names 15 columns.",
        "line 3: There are 2 values; the header names 15 columns.",
    ]


def test_a_booking_number_that_appears_twice_is_an_error() -> None:
    assert errors_of(HEADER, GOOD, row_with(resident_number="R-2"), GOOD) == [
        "line 3: Booking number B-1 is also on line 2; each booking must appear once.",
        "line 4: Booking number B-1 is also on line 2; each booking must appear once.",
    ]


def test_every_problem_of_a_row_is_reported() -> None:
    assert errors_of(HEADER, row_with(sex="Q", language="English", given_name="")) == [
        "line 2: given_name is blank.",
        "line 2: sex 'Q' is not one of F, M, X (another sex) or U (not recorded).",
        "line 2: language 'English' is not a language code such as en, es, vi or zh-Hant.",
    ]


def test_rows_that_are_good_are_read_even_when_others_are_not() -> None:
    parsed = parse_roster(f"{HEADER}\n{row_with(sex='Q')}\n{row_with(booking_number='B-2')}\n")

    assert [row.booking_number for row in parsed.rows] == ["B-2"]
    assert parsed.errors == (
        RowError(2, "sex 'Q' is not one of F, M, X (another sex) or U (not recorded)."),
    )


def test_a_file_that_is_not_csv_is_reported_at_its_line() -> None:
    huge = "x" * 200_000

    (error,) = errors_of(HEADER, GOOD, row_with(family_name=huge))

    assert error.startswith("line 3: This is not readable as CSV: field larger than field limit")


# Values


@pytest.mark.parametrize("column", [column for column in COLUMNS if column not in OPTIONAL_COLUMNS])
def test_a_required_value_left_blank_is_an_error(column: str) -> None:
    assert errors_of(HEADER, row_with(**{column: ""})) == [f"line 2: {column} is blank."]


@pytest.mark.parametrize(("column", "limit"), MAX_LENGTHS.items())
def test_a_value_too_long_for_its_column_is_an_error(column: str, limit: int) -> None:
    # A language code of variants ("en-abcdefgh-...") is well formed, whatever its length.
    value = "x" * (limit + 1) if column != "language" else "-".join(["en"] + ["abcdefgh"] * 4)

    assert errors_of(HEADER, row_with(**{column: value})) == [
        f"line 2: {column} is {len(value)} characters long; at most {limit} fit."
    ]


@pytest.mark.parametrize("written", ["04/30/1990", "1990-4-30", "19900430", "1990-02-30"])
def test_a_date_of_birth_not_written_yyyy_mm_dd_is_an_error(written: str) -> None:
    assert errors_of(HEADER, row_with(date_of_birth=written)) == [
        f"line 2: date_of_birth {written!r} is not a date written YYYY-MM-DD, such as 1990-04-30."
    ]


@pytest.mark.parametrize("written", ["English", "en_US", "e", "123", "en-"])
def test_a_language_that_is_not_a_language_code_is_an_error(written: str) -> None:
    assert errors_of(HEADER, row_with(language=written)) == [
        f"line 2: language {written!r} is not a language code such as en, es, vi or zh-Hant."
    ]


@pytest.mark.parametrize("column", ["needs_interpreter", "reads_without_help"])
def test_a_yes_no_value_that_is_neither_is_an_error(column: str) -> None:
    assert errors_of(HEADER, row_with(**{column: "maybe"})) == [
        f"line 2: {column} 'maybe' is not yes or no."
    ]


@pytest.mark.parametrize("column", ["housed_at", "booked_at", "released_at"])
@pytest.mark.parametrize("written", ["2026-01-01T08:00:00", "2026-01-01 08:00", "2026-01-01"])
def test_a_time_without_an_offset_is_an_error_that_says_so(column: str, written: str) -> None:
    (error,) = errors_of(
        HEADER,
        row_with(
            **{"booked_at": "2026-01-01T08:00:00+00:00", "housed_at": "2026-01-01T08:00:00+00:00"}
            | {column: written}
        ),
    )

    assert error == (
        f"line 2: {column} {written!r} has no UTC offset, so the moment it names is unknown; "
        "write it with one, such as 2026-01-05T08:30:00-06:00 or 2026-01-05T14:30:00Z."
    )


@pytest.mark.parametrize("written", ["yesterday", "01/02/2026 08:00", "2026-01-01T25:00Z"])
def test_a_time_that_is_not_iso_8601_is_an_error(written: str) -> None:
    assert errors_of(HEADER, row_with(released_at=written)) == [
        f"line 2: released_at {written!r} is not a date and time such as 2026-01-05T08:30:00-06:00."
    ]


@pytest.mark.parametrize(
    ("values", "reason"),
    [
        ({"date_of_birth": "2026-01-02"}, "date_of_birth is after booked_at."),
        ({"housed_at": "2026-01-01T07:59:00-06:00"}, "housed_at is before booked_at."),
        ({"released_at": "2026-01-01T07:59:00-06:00"}, "released_at is before booked_at."),
        ({"released_at": "2026-01-02T09:29:00-06:00"}, "housed_at is after released_at."),
    ],
)
def test_times_out_of_order_are_an_error(values: dict[str, str], reason: str) -> None:
    assert errors_of(HEADER, row_with(**values)) == [f"line 2: {reason}"]


def test_times_in_different_offsets_are_compared_as_moments() -> None:
    # 14:00 UTC is 08:00 in Chicago in winter: housed at the very moment of booking.
    parsed = parse_roster(f"{HEADER}\n" + row_with(housed_at="2026-01-01T14:00:00Z"))

    assert parsed.errors == ()


def test_an_error_reads_as_its_line_and_reason() -> None:
    assert str(RowError(7, "sex is blank.")) == "line 7: sex is blank."


def test_a_resident_number_is_stored_in_capitals_as_wristbands_print_it() -> None:
    parsed = parse_roster(
        "booking_number,resident_number,family_name,given_name,date_of_birth,sex,"
        "facility_code,housing_unit_code,housed_at,booked_at\n"
        "B1,r0001234,Testfield,Alder,1990-01-01,M,north,A,"
        "2026-02-01T09:00:00+00:00,2026-02-01T09:00:00+00:00\n"
    )
    assert [row.resident_number for row in parsed.rows] == ["R0001234"]
