"""What every figure shares: what a report covers (`Scope`), a table of counts (`CountTable`),
the rows records are grouped in, and `count_table`, the one GROUP BY query that counts a
figure (issue 9, point 5: a report reads aggregates, never the records one by one).

A figure names, for its records, the path to the facility responsible for each one, to its
stay and to its anchor moment; `count_table` filters and groups by those same paths, so a
record is always counted in the row of the facility it was selected for.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import (
    Case,
    CharField,
    Count,
    F,
    Model,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.expressions import Expression
from django.db.models.functions import Concat, TruncMonth

from kiteline.facilities.models import Facility, Placement
from kiteline.reports.periods import Period

ALL = "all"
BY_MONTH, BY_UNIT, BY_PERIOD, BY_FACILITY = "month", "unit", "period", "facility"
ROW_HEADINGS = {
    BY_MONTH: "month",
    BY_UNIT: "housing unit",
    BY_PERIOD: "period",
    BY_FACILITY: "facility",
}
NO_UNIT = "no unit recorded"

# Deadlines: met on time or late; not met and past the deadline (still open, or closed
# without it after the deadline had passed: the breach stands, I5); open, not yet due. Each
# figure adds its own column for a record closed, without it, before its deadline.
ON_TIME, LATE, OVERDUE, NOT_YET_DUE = "on time", "late", "overdue", "open, not yet due"
TIMELINESS = (ON_TIME, LATE, OVERDUE, NOT_YET_DUE)
URGENCIES = ("emergent", "urgent", "routine")


@dataclass(frozen=True)
class Scope:
    """What a report covers: facilities, a period as [start, end) moments, the time zone
    months and days are counted in, how rows are grouped, and the moment "now" for open
    items."""

    facility_ids: tuple[int, ...]
    zone: str
    start: datetime
    end: datetime
    now: datetime
    by: str = BY_MONTH
    # By facility, every facility is a row, in this order, even one with nothing to count.
    facility_codes: tuple[str, ...] = ()

    @property
    def days(self) -> tuple[date, date]:
        """The period's first local day and the day after its last."""
        zone = ZoneInfo(self.zone)
        return self.start.astimezone(zone).date(), self.end.astimezone(zone).date()

    @property
    def today(self) -> date:
        return self.now.astimezone(ZoneInfo(self.zone)).date()


def scope_for(facilities: Sequence[Facility], period: Period, by: str, now: datetime) -> Scope:
    """A period at facilities that count days in one time zone (the first one's)."""
    zone = facilities[0].time_zone
    start, end = period.bounds(zone)
    codes = tuple(f.code for f in facilities)
    return Scope(tuple(f.pk for f in facilities), zone, start, end, now, by, codes)


@dataclass(frozen=True)
class CountTable:
    key: str
    title: str
    row_heading: str  # what a row is: "month", "housing unit", "staff member", "service"…
    rows: tuple[str, ...]
    columns: tuple[str, ...]
    counts: dict[tuple[str, str], int] = field(default_factory=dict)

    def count(self, row: str, column: str) -> int:
        return self.counts.get((row, column), 0)

    def row_total(self, row: str) -> int:
        return sum(self.count(row, column) for column in self.columns)

    def column_total(self, column: str) -> int:
        return sum(self.count(row, column) for row in self.rows)

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def in_period[M: Model](
    records: QuerySet[M], scope: Scope, *, moment: str, facility: str, dated: bool = False
) -> QuerySet[M]:
    """The records at the scope's facilities (through `facility`, the path to the facility
    responsible for each) whose anchor `moment` falls in the period; `dated`: the moment is
    a local date (a due date, an appointment's day), compared with the period's days."""
    first, end = scope.days if dated else (scope.start, scope.end)
    return records.filter(
        **{f"{facility}__in": scope.facility_ids, f"{moment}__gte": first, f"{moment}__lt": end}
    )


def _unit_code(scope: Scope) -> Expression:
    """A placement's unit: its code at the report's facility; elsewhere (a stay transferred
    since) the code with its facility's, so that no other facility's unit reads as ours."""
    named = Concat(
        F("housing_unit__code"),
        Value(" ("),
        F("housing_unit__facility__code"),
        Value(")"),
        output_field=CharField(),
    )
    if len(scope.facility_ids) != 1:
        return named
    return Case(
        When(housing_unit__facility_id=scope.facility_ids[0], then=F("housing_unit__code")),
        default=named,
        output_field=CharField(),
    )


def _unit_at(scope: Scope, booking: str, moment: str) -> Subquery:
    """The unit the stay was placed in at that moment."""
    return Subquery(
        Placement.objects.filter(booking=OuterRef(booking), started_at__lte=OuterRef(moment))
        .filter(Q(ended_at__isnull=True) | Q(ended_at__gt=OuterRef(moment)))
        .order_by("-started_at")
        .annotate(unit=_unit_code(scope))
        .values("unit")[:1]
    )


def _current_unit(scope: Scope, booking: str) -> Subquery:
    return Subquery(
        Placement.objects.filter(booking=OuterRef(booking), ended_at__isnull=True)
        .annotate(unit=_unit_code(scope))
        .values("unit")[:1]
    )


def group_of(
    scope: Scope, *, facility: str, booking: str, moment: str, dated: bool = False
) -> Expression | Subquery | F:
    """The row a record counts in: the month of its anchor (in the facility's time zone),
    the housing unit the stay was placed in at that moment (for a date, which has no time
    to place it, where the person is now), the whole period, or the facility responsible."""
    if scope.by == BY_FACILITY:
        return F(f"{facility}__code")
    if scope.by == BY_MONTH:
        return TruncMonth(moment) if dated else TruncMonth(moment, tzinfo=ZoneInfo(scope.zone))
    if scope.by == BY_UNIT:
        return _current_unit(scope, booking) if dated else _unit_at(scope, booking, moment)
    return Value(ALL)


def label(scope: Scope, value: object) -> str:
    if scope.by == BY_MONTH and isinstance(value, datetime):
        return value.astimezone(ZoneInfo(scope.zone)).strftime("%Y-%m")
    if value is None:
        return NO_UNIT
    if isinstance(value, date):  # a truncated date, or SQLite's naive local datetime
        return value.strftime("%Y-%m")
    return str(value)


def rows_of(scope: Scope, found: set[str]) -> tuple[str, ...]:
    """Months in order from the period's first (every month shown, even an empty one);
    by facility, every facility of the scope; otherwise the groups found, in order."""
    if scope.by == BY_MONTH:
        zone = ZoneInfo(scope.zone)
        months = []
        first = scope.start.astimezone(zone)
        year, month = first.year, first.month
        last = scope.end.astimezone(zone).strftime("%Y-%m")
        while f"{year:04d}-{month:02d}" < last:
            months.append(f"{year:04d}-{month:02d}")
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        return tuple(months)
    if scope.by == BY_PERIOD:
        return (ALL,)
    if scope.by == BY_FACILITY:
        return scope.facility_codes + tuple(sorted(found - set(scope.facility_codes)))
    return tuple(sorted(found))


def count_table(
    key: str,
    title: str,
    scope: Scope,
    records: QuerySet[Any],
    *,
    facility: str,
    booking: str,
    moment: str,
    category: Expression,
    columns: Sequence[str],
    dated: bool = False,
) -> CountTable:
    """The records in the period (`in_period`, through `facility` and `moment`), counted in
    one GROUP BY: (row, category) → count. `booking` leads to the stay, for its unit."""
    grouped = (
        in_period(records, scope, moment=moment, facility=facility, dated=dated)
        .annotate(
            figure_group=group_of(
                scope, facility=facility, booking=booking, moment=moment, dated=dated
            ),
            figure_category=category,
        )
        .values("figure_group", "figure_category")
        .annotate(n=Count("pk"))
        .order_by()
    )
    counts: dict[tuple[str, str], int] = {}
    for row in grouped:
        cell = (label(scope, row["figure_group"]), str(row["figure_category"]))
        counts[cell] = counts.get(cell, 0) + row["n"]
    return CountTable(
        key=key,
        title=title,
        row_heading=ROW_HEADINGS[scope.by],
        rows=rows_of(scope, {r for r, _ in counts}),
        columns=tuple(columns),
        counts=counts,
    )


def timeliness(
    scope: Scope,
    *,
    done: str,
    due: str,
    closed: str,
    closed_label: str,
    when: Q | None = None,
    prefix: str = "",
) -> list[When]:
    """A deadline's state, from when the thing was done, when the record was closed without
    it, and the deadline: on time, late, closed first (`closed_label`: closed without it at
    or before the deadline), overdue (not done and the deadline passed: still open, or
    closed after it, the breach standing, I5), or open and not yet due. `when` narrows the
    records these states are for, `prefix` labels them (an urgency's)."""
    narrow = when or Q()
    return [
        When(narrow & Q(**{f"{done}__lte": F(due)}), then=Value(prefix + ON_TIME)),
        When(narrow & Q(**{f"{done}__isnull": False}), then=Value(prefix + LATE)),
        When(narrow & Q(**{f"{closed}__lte": F(due)}), then=Value(prefix + closed_label)),
        When(narrow & Q(**{f"{closed}__isnull": False}), then=Value(prefix + OVERDUE)),
        When(narrow & Q(**{f"{due}__lt": scope.now}), then=Value(prefix + OVERDUE)),
        When(narrow & Q(**{f"{due}__gte": scope.now}), then=Value(prefix + NOT_YET_DUE)),
    ]


def states(whens: Sequence[When]) -> Case:
    return Case(*whens, output_field=CharField())


def choice_category(field_name: str, choices: Sequence[tuple[str, object]]) -> Case:
    """A choice field's label, or "other" for a value no longer among its choices."""
    return Case(
        *(When(**{field_name: value}, then=Value(str(text))) for value, text in choices),
        default=Value("other"),
        output_field=CharField(),
    )
