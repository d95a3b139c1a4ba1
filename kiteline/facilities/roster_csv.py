"""Reading a jail management system's roster extract: CSV text in, checked rows out.

Each row is the current state of one booking. Every problem is kept with its file line
number, so whoever fixes the file can fix all of it in one pass. Imports nothing from Django.
"""

import contextlib
import csv
import io
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime

COLUMNS = (
    "booking_number",
    "resident_number",
    "family_name",
    "given_name",
    "date_of_birth",
    "sex",
    "language",
    "needs_interpreter",
    "reads_without_help",
    "race_ethnicity",
    "facility_code",
    "housing_unit_code",
    "housed_at",
    "booked_at",
    "released_at",
)
# These have a default, so an extract that never fills them may leave them out altogether.
OPTIONAL_COLUMNS = frozenset(
    {"language", "needs_interpreter", "reads_without_help", "race_ethnicity", "released_at"}
)
# The database columns' sizes: a longer value is refused here, with its line, rather than
# failing the whole import later.
MAX_LENGTHS = {
    "booking_number": 32,
    "resident_number": 32,
    "family_name": 100,
    "given_name": 100,
    "language": 35,
    "race_ethnicity": 100,
    "facility_code": 32,
    "housing_unit_code": 32,
}
SEXES = ("F", "M", "X", "U")

# RFC 5646 language tags, less the irregular grandfathered ones ("i-klingon").
_LANGUAGE_TAG = re.compile(
    r"[a-z]{2,3}(-[a-z]{3}){0,3}"
    r"(-[a-z]{4})?"
    r"(-([a-z]{2}|[0-9]{3}))?"
    r"(-([a-z0-9]{5,8}|[0-9][a-z0-9]{3}))*"
    r"(-[0-9a-wy-z](-[a-z0-9]{2,8})+)*"
    r"(-x(-[a-z0-9]{1,8})+)?",
    re.IGNORECASE,
)
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_TIME_EXAMPLE = "2026-01-05T08:30:00-06:00"


@dataclass(frozen=True)
class RowError:
    line: int
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.reason}"


@dataclass(frozen=True)
class RosterRow:
    line: int
    booking_number: str
    resident_number: str
    family_name: str
    given_name: str
    date_of_birth: date
    sex: str
    language: str
    needs_interpreter: bool
    reads_without_help: bool
    race_ethnicity: str
    facility_code: str
    housing_unit_code: str
    housed_at: datetime
    booked_at: datetime
    released_at: datetime | None


@dataclass(frozen=True)
class ParsedRoster:
    rows: tuple[RosterRow, ...]
    errors: tuple[RowError, ...]


class _Invalid(ValueError):
    """A value that cannot be read, with the reason in plain words."""


def parse_roster(source: str | Iterable[str]) -> ParsedRoster:
    """Read an extract: a whole CSV text, or its lines (an open file, say)."""
    reader = csv.reader(io.StringIO(source) if isinstance(source, str) else source)
    rows: list[RosterRow] = []
    errors: list[RowError] = []
    columns: list[str] = []
    first_line_of_booking: dict[str, int] = {}
    last_line = 0
    try:
        for record in reader:
            # A quoted value may span lines: a record starts just after the previous one ended.
            line, last_line = last_line + 1, reader.line_num
            if not any(value.strip() for value in record):
                continue
            if not columns:
                columns = [name.strip().lower() for name in record]
                header_errors = _check_header(columns)
                if header_errors:
                    return ParsedRoster((), tuple(RowError(line, e) for e in header_errors))
                continue
            if len(record) != len(columns):
                errors.append(
                    RowError(
                        line,
                        f"There are {len(record)} values; the header names {len(columns)} columns.",
                    )
                )
                continue
            values = {column: value.strip() for column, value in zip(columns, record, strict=True)}
            row, row_errors = _read_row(line, values)
            errors.extend(row_errors)
            booking_number = values["booking_number"]
            if booking_number in first_line_of_booking:
                errors.append(
                    RowError(
                        line,
                        f"Booking number {booking_number} is also on line "
                        f"{first_line_of_booking[booking_number]}; each booking must appear once.",
                    )
                )
            elif booking_number:
                first_line_of_booking[booking_number] = line
            if row is not None:
                rows.append(row)
    except csv.Error as error:
        errors.append(RowError(reader.line_num, f"This is not readable as CSV: {error}."))
    if not columns and not errors:
        errors.append(RowError(1, "The file is empty; its first line must name the columns."))
    return ParsedRoster(tuple(rows), tuple(errors))


def _check_header(columns: list[str]) -> list[str]:
    problems = []
    repeated = sorted({name for name in columns if columns.count(name) > 1})
    if repeated:
        problems.append(f"These columns appear more than once: {', '.join(repeated)}.")
    unknown = [name for name in dict.fromkeys(columns) if name not in COLUMNS]
    if unknown:
        problems.append(
            f"Unknown columns: {', '.join(name or '(blank)' for name in unknown)}. "
            f"The columns are: {', '.join(COLUMNS)}."
        )
    missing = [name for name in COLUMNS if name not in columns and name not in OPTIONAL_COLUMNS]
    if missing:
        problems.append(f"Missing columns: {', '.join(missing)}.")
    return problems


def _read_row(line: int, values: dict[str, str]) -> tuple[RosterRow | None, list[RowError]]:
    errors: list[RowError] = []

    def cell[T](column: str, read: Callable[[str, str], T], fallback: T) -> T:
        # The fallback is never used in a row: a row with any error is not returned.
        try:
            return read(column, values.get(column, ""))
        except _Invalid as invalid:
            errors.append(RowError(line, str(invalid)))
            return fallback

    booking_number = cell("booking_number", _text, "")
    # Wristbands print numbers in capitals, and the kiosk matches them exactly as printed.
    resident_number = cell("resident_number", _text, "").upper()
    family_name = cell("family_name", _text, "")
    given_name = cell("given_name", _text, "")
    date_of_birth = cell("date_of_birth", _date, None)
    sex = cell("sex", _sex, "")
    language = cell("language", _language, "")
    needs_interpreter = cell("needs_interpreter", _yes_no(default=False), False)
    reads_without_help = cell("reads_without_help", _yes_no(default=True), True)
    race_ethnicity = cell("race_ethnicity", _optional_text, "")
    facility_code = cell("facility_code", _text, "")
    housing_unit_code = cell("housing_unit_code", _text, "")
    housed_at = cell("housed_at", _moment, None)
    booked_at = cell("booked_at", _moment, None)
    released_at = cell("released_at", _optional_moment, None)

    if booked_at is not None:
        if date_of_birth is not None and date_of_birth > booked_at.date():
            errors.append(RowError(line, "date_of_birth is after booked_at."))
        if housed_at is not None and housed_at < booked_at:
            errors.append(RowError(line, "housed_at is before booked_at."))
        if released_at is not None and released_at < booked_at:
            errors.append(RowError(line, "released_at is before booked_at."))
        elif released_at is not None and housed_at is not None and housed_at > released_at:
            errors.append(RowError(line, "housed_at is after released_at."))

    if errors or date_of_birth is None or housed_at is None or booked_at is None:
        return None, errors
    row = RosterRow(
        line=line,
        booking_number=booking_number,
        resident_number=resident_number,
        family_name=family_name,
        given_name=given_name,
        date_of_birth=date_of_birth,
        sex=sex,
        language=language,
        needs_interpreter=needs_interpreter,
        reads_without_help=reads_without_help,
        race_ethnicity=race_ethnicity,
        facility_code=facility_code,
        housing_unit_code=housing_unit_code,
        housed_at=housed_at,
        booked_at=booked_at,
        released_at=released_at,
    )
    return row, []


def _optional_text(column: str, value: str) -> str:
    limit = MAX_LENGTHS[column]
    if len(value) > limit:
        raise _Invalid(f"{column} is {len(value)} characters long; at most {limit} fit.")
    return value


def _text(column: str, value: str) -> str:
    if not value:
        raise _Invalid(f"{column} is blank.")
    return _optional_text(column, value)


def _date(column: str, value: str) -> date:
    if not value:
        raise _Invalid(f"{column} is blank.")
    if _ISO_DATE.fullmatch(value):
        with contextlib.suppress(ValueError):
            return date.fromisoformat(value)
    raise _Invalid(f"{column} {value!r} is not a date written YYYY-MM-DD, such as 1990-04-30.")


def _sex(column: str, value: str) -> str:
    if not value:
        raise _Invalid(f"{column} is blank.")
    if value.upper() not in SEXES:
        raise _Invalid(
            f"{column} {value!r} is not one of F, M, X (another sex) or U (not recorded)."
        )
    return value.upper()


def _language(column: str, value: str) -> str:
    if not value:
        return "en"
    if not _LANGUAGE_TAG.fullmatch(_optional_text(column, value)):
        raise _Invalid(f"{column} {value!r} is not a language code such as en, es, vi or zh-Hant.")
    return _canonical_language_tag(value)


def _canonical_language_tag(tag: str) -> str:
    """RFC 5646's case conventions, so that "EN-us" and "en-US" are recorded alike."""
    first, *rest = tag.lower().split("-")
    subtags = [first]
    in_extension = False
    for subtag in rest:
        # After a singleton ("x", "u"...) the subtags are an extension's and stay lower case.
        in_extension = in_extension or len(subtag) == 1
        if not in_extension and subtag.isalpha() and len(subtag) in (2, 4):
            subtag = subtag.upper() if len(subtag) == 2 else subtag.title()
        subtags.append(subtag)
    return "-".join(subtags)


def _yes_no(*, default: bool) -> Callable[[str, str], bool]:
    def read(column: str, value: str) -> bool:
        answer = value.lower()
        if answer == "yes":
            return True
        if answer == "no":
            return False
        if not answer:
            return default
        raise _Invalid(f"{column} {value!r} is not yes or no.")

    return read


def _optional_moment(column: str, value: str) -> datetime | None:
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise _Invalid(
            f"{column} {value!r} is not a date and time such as {_TIME_EXAMPLE}."
        ) from None
    if moment.tzinfo is None:
        raise _Invalid(
            f"{column} {value!r} has no UTC offset, so the moment it names is unknown; "
            f"write it with one, such as {_TIME_EXAMPLE} or 2026-01-05T14:30:00Z."
        )
    return moment


def _moment(column: str, value: str) -> datetime:
    moment = _optional_moment(column, value)
    if moment is None:
        raise _Invalid(f"{column} is blank.")
    return moment
