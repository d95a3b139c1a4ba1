"""Reporting periods (pure core): calendar quarters and months in a facility's own time
zone, as half-open [start, end) moments, so that a kite at midnight on the first of a month
belongs to that month wherever the server runs."""

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

_QUARTER = re.compile(r"(\d{4})Q([1-4])")
_MONTH = re.compile(r"(\d{4})-(\d{2})")
_YEAR = re.compile(r"\d{4}")


# The years a period may fall in: records begin long after the first, and the last keeps
# every period's end (the day after its last) a date Python can hold.
FIRST_YEAR, LAST_YEAR = 2000, 9998


class PeriodError(ValueError):
    """A period that is not written as 2026Q3 or 2026-07, or outside the years a report
    covers."""


def _check_year(number: int) -> None:
    if not FIRST_YEAR <= number <= LAST_YEAR:
        raise PeriodError(f"{number} is not a year from {FIRST_YEAR} to {LAST_YEAR}.")


@dataclass(frozen=True, slots=True)
class Period:
    label: str  # "2026Q3" or "2026-07"
    first: date  # the first day
    end: date  # the day after the last

    def bounds(self, zone: str) -> tuple[datetime, datetime]:
        """[start, end) as moments, at local midnight in `zone`."""
        tz = ZoneInfo(zone)
        return (
            datetime.combine(self.first, time(), tzinfo=tz).astimezone(UTC),
            datetime.combine(self.end, time(), tzinfo=tz).astimezone(UTC),
        )


def _next_month(year: int, number: int) -> date:
    return date(year + number // 12, number % 12 + 1, 1)


def month(year: int, number: int) -> Period:
    _check_year(year)
    if not 1 <= number <= 12:
        raise PeriodError(f"{number} is not a month.")
    return Period(f"{year:04d}-{number:02d}", date(year, number, 1), _next_month(year, number))


def quarter(year: int, number: int) -> Period:
    _check_year(year)
    if not 1 <= number <= 4:
        raise PeriodError(f"{number} is not a quarter.")
    first_month = 3 * (number - 1) + 1
    return Period(
        f"{year:04d}Q{number}", date(year, first_month, 1), _next_month(year, first_month + 2)
    )


def year(number: int) -> Period:
    _check_year(number)
    return Period(f"{number:04d}", date(number, 1, 1), date(number + 1, 1, 1))


def parse_period(text: str) -> Period:
    """'2026Q3' → the third quarter of 2026; '2026-07' → July 2026; '2026' → the year."""
    text = text.strip().upper()
    if _YEAR.fullmatch(text):
        return year(int(text))
    if match := _QUARTER.fullmatch(text):
        return quarter(int(match.group(1)), int(match.group(2)))
    if match := _MONTH.fullmatch(text):
        return month(int(match.group(1)), int(match.group(2)))
    raise PeriodError(f"{text!r} is not a period such as 2026, 2026Q3 or 2026-07.")


def quarter_of(day: date) -> Period:
    return quarter(day.year, (day.month - 1) // 3 + 1)


def previous_quarter(day: date) -> Period:
    current = quarter_of(day)
    number = (current.first.month - 1) // 3 + 1
    return quarter(day.year - 1, 4) if number == 1 else quarter(day.year, number - 1)
