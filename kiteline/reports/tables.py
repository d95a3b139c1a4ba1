"""The public report's tables as plain values, shared by the suppression engine
(``suppression.py``) and its independent check (``disclosure.py``). Pure core: no Django.

A ``Table`` holds true counts; its row totals, column totals and grand total are published
too, under the reserved label ``TOTAL``. A ``Release`` is the tables published together with
the ``links`` between them: what a reader knows ties figures of different tables together
(a sum of figures equals, or is at most, another sum). A ``ProtectedRelease`` is what may
be published: each figure a count, ``Suppressed`` or ``Merged``. The ``Ledger`` is what
earlier releases published, each figure as the sum of counts it is.

docs/reports.md ("Small cells: suppression and its check") describes the method.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from itertools import chain
from typing import Any, Final

TOTAL: Final = "Total"
# Counts from 1 to SMALL are never published nor derivable (DOMAIN.md, the CMS rule); 0 is.
SMALL: Final = 10


@dataclass(frozen=True, slots=True)
class CellRef:
    """One figure: a cell, or a total when ``row`` or ``column`` is TOTAL. In a link, a
    merged row's cell is that row's own count, which is not published."""

    table: str
    period: str  # "2026Q3"
    row: str
    column: str

    def __str__(self) -> str:
        return f"{self.table} {self.period} [{self.row}, {self.column}]"


@dataclass(frozen=True, slots=True)
class Sum:
    """The counts of some rows and some columns of one table, added up: what a published
    figure is (a cell of a row that others were merged into sums those rows too)."""

    table: str
    period: str
    rows: frozenset[str]
    columns: frozenset[str]


@dataclass(frozen=True, slots=True)
class Table:
    """True counts in a fixed shape: ``counts[i][j]`` is row ``rows[i]``'s own count in
    column ``columns[j]``.

    ``merged``: each (row, the shown row that holds its counts). A merged row is not
    published; a shown row publishes its own counts and those of the rows merged into it.
    ``mergeable`` is the rule a reader is told, where rows merge because they are small:
    each (row, target) merges into the target when it holds at most SMALL (``merge_small``),
    so that a reader knows such a row, merged, held at most SMALL and, shown, holds more.
    A row merged for another reason (as another table merged it) tells nothing of its own
    size."""

    key: str  # "kites_by_topic"
    period: str
    rows: tuple[str, ...]
    columns: tuple[str, ...]
    counts: tuple[tuple[int, ...], ...]
    merged: tuple[tuple[str, str], ...] = ()
    mergeable: tuple[tuple[str, str], ...] = ()

    def __post_init__(self) -> None:
        for labels, what in ((self.rows, "row"), (self.columns, "column")):
            if not labels:
                raise ValueError(f"{self.key}: a table has at least one {what}.")
            if len(set(labels)) != len(labels) or TOTAL in labels:
                raise ValueError(f"{self.key}: {what} labels are unique and never {TOTAL!r}.")
        if len(self.counts) != len(self.rows) or any(
            len(line) != len(self.columns) for line in self.counts
        ):
            raise ValueError(f"{self.key}: counts are one line of columns per row.")
        if any(type(n) is not int or n < 0 for n in chain.from_iterable(self.counts)):
            raise ValueError(f"{self.key}: counts are non-negative integers.")
        into, rule = dict(self.merged), dict(self.mergeable)
        if len(into) != len(self.merged) or len(rule) != len(self.mergeable):
            raise ValueError(f"{self.key}: a row is merged once, by one rule.")
        if not {*into, *into.values(), *rule, *rule.values()} <= set(self.rows):
            raise ValueError(f"{self.key}: merging joins rows of the table.")
        for row, target in into.items():
            if target in into:
                raise ValueError(f"{self.key}: {row!r} is merged into a row that is shown.")
        # What the rule tells the reader must be true: a row that merges when small and was
        # merged held at most SMALL; one that was not holds more.
        for row in rule:
            if (row in into and sum(self.counts[self.rows.index(row)]) > SMALL) or (
                row not in into and self.count(row, TOTAL) <= SMALL
            ):
                raise ValueError(f"{self.key}: {row!r} is not merged as its rule says.")

    def merged_into(self, row: str) -> str | None:
        return dict(self.merged).get(row)

    def shown_rows(self) -> tuple[str, ...]:
        """The rows that have figures of their own, then TOTAL."""
        into = dict(self.merged)
        return (*(row for row in self.rows if row not in into), TOTAL)

    def members(self, row: str) -> tuple[str, ...]:
        """The rows whose counts a row's figures add up: every row for TOTAL; a shown row
        and the rows merged into it; a merged row alone."""
        if row == TOTAL:
            return self.rows
        return (row, *(r for r, target in self.merged if target == row))

    def sum_of(self, row: str, column: str) -> Sum:
        columns = self.columns if column == TOTAL else (column,)
        return Sum(self.key, self.period, frozenset(self.members(row)), frozenset(columns))

    def count(self, row: str, column: str) -> int:
        """A figure's count, or a total's when ``row`` or ``column`` is TOTAL (a merged
        row's own count when ``row`` is merged)."""
        rows = [self.rows.index(r) for r in self.members(row)]
        columns = range(len(self.columns)) if column == TOTAL else (self.columns.index(column),)
        return sum(self.counts[i][j] for i in rows for j in columns)

    def refs(self) -> Iterator[CellRef]:
        """Every figure the table publishes, row by row, totals last."""
        for row in self.shown_rows():
            for column in (*self.columns, TOTAL):
                yield CellRef(self.key, self.period, row, column)


type Terms = CellRef | tuple[CellRef, ...]


def _terms(terms: Terms) -> tuple[CellRef, ...]:
    return (terms,) if isinstance(terms, CellRef) else terms


@dataclass(frozen=True, slots=True)
class Link:
    """What a reader knows about figures of a release beyond each table's own sums: the
    figure ``a`` (or the sum of the figures ``a``) equals the figure or sum ``b``, or, with
    ``at_most``, is at most it. Each facility's requests in the topic and the channel
    tables are one count; its overrides are its decisions' two "overridden" columns; its
    requests seen face to face are at most those triaged."""

    a: Terms
    b: Terms
    at_most: bool = False

    @property
    def left(self) -> tuple[CellRef, ...]:
        return _terms(self.a)

    @property
    def right(self) -> tuple[CellRef, ...]:
        return _terms(self.b)

    def __str__(self) -> str:
        left, right = (" + ".join(map(str, side)) for side in (self.left, self.right))
        return f"{left} {'≤' if self.at_most else '='} {right}"


@dataclass(frozen=True, slots=True)
class Release:
    tables: tuple[Table, ...]
    links: tuple[Link, ...] = ()

    def __post_init__(self) -> None:
        names = [(t.key, t.period) for t in self.tables]
        if len(set(names)) != len(names):
            raise ValueError("A release holds each table and period once.")
        for link in self.links:
            if not link.left or not link.right:
                raise ValueError(f"A link has figures on both sides: {link}.")
            try:
                left, right = (sum(map(self.count, side)) for side in (link.left, link.right))
            except KeyError as error:
                raise ValueError(f"A link joins counts of the release: {error}") from error
            if left > right or (left < right and not link.at_most):
                raise ValueError(f"The counts do not bear the link out: {link}.")

    def table(self, key: str, period: str) -> Table:
        for table in self.tables:
            if (table.key, table.period) == (key, period):
                return table
        raise KeyError(f"No table {key} for {period}.")

    def count(self, ref: CellRef) -> int:
        """The true count of a figure, or of a merged row's cell; KeyError for anything
        else."""
        table = self.table(ref.table, ref.period)
        if ref.row not in (*table.rows, TOTAL) or ref.column not in (*table.columns, TOTAL):
            raise KeyError(f"{ref} is not in the release.")
        return table.count(ref.row, ref.column)


class Reason(StrEnum):
    """Why a count is suppressed. For the audit and the tests only: never publish it, since
    "primary" says the count is from 1 to 10 and "complementary" that it is not."""

    PRIMARY = "primary"  # the count is from 1 to SMALL
    COMPLEMENTARY = "complementary"  # so that another suppressed count cannot be derived


@dataclass(frozen=True, slots=True)
class Suppressed:
    reason: Reason


@dataclass(frozen=True, slots=True)
class Merged:
    into: str  # the row that holds this row's counts


type Shown = int | Suppressed | Merged

# How every output format writes a figure that is not a count. A suppressed figure is never
# written as 0, and both reasons read the same.
SUPPRESSED_TEXT: Final = "suppressed"


def public_text(shown: Shown) -> str:
    match shown:
        case Suppressed():
            return SUPPRESSED_TEXT
        case Merged(into=into):
            return f"merged into {into}"
        case int():
            return str(shown)


@dataclass(frozen=True, slots=True)
class ProtectedTable:
    """What a table publishes: ``shown[i][j]`` for row ``(*rows, TOTAL)[i]`` and column
    ``(*columns, TOTAL)[j]``."""

    key: str
    period: str
    rows: tuple[str, ...]
    columns: tuple[str, ...]
    shown: tuple[tuple[Shown, ...], ...]

    def value(self, row: str, column: str) -> Shown:
        i = len(self.rows) if row == TOTAL else self.rows.index(row)
        j = len(self.columns) if column == TOTAL else self.columns.index(column)
        return self.shown[i][j]

    def figures(self) -> Iterator[tuple[CellRef, Shown]]:
        for i, row in enumerate((*self.rows, TOTAL)):
            for j, column in enumerate((*self.columns, TOTAL)):
                yield CellRef(self.key, self.period, row, column), self.shown[i][j]

    def sum_of(self, row: str, column: str) -> Sum:
        """What a figure adds up, as a reader of the table can tell from its merged rows."""
        if row == TOTAL:
            rows = frozenset(self.rows)
        else:
            marks = [line[0] for line in self.shown[: len(self.rows)]]
            rows = frozenset(
                {row} | {r for r, mark in zip(self.rows, marks, strict=True) if mark == Merged(row)}
            )
        columns = frozenset(self.columns if column == TOTAL else (column,))
        return Sum(self.key, self.period, rows, columns)


@dataclass(frozen=True, slots=True)
class ProtectedRelease:
    tables: tuple[ProtectedTable, ...]
    links: tuple[Link, ...] = ()

    def table(self, key: str, period: str) -> ProtectedTable:
        for table in self.tables:
            if (table.key, table.period) == (key, period):
                return table
        raise KeyError(f"No table {key} for {period}.")

    def value(self, ref: CellRef) -> Shown:
        return self.table(ref.table, ref.period).value(ref.row, ref.column)


@dataclass(frozen=True, slots=True)
class Ledger:
    """What earlier releases published: for each sum of counts a figure was, every value it
    was published with (a revised release can publish a figure again with another value).
    Stored as JSON (``as_json``, ``from_json``): the one form the ledger takes."""

    values: Mapping[Sum, frozenset[int]] = field(default_factory=dict)

    def knows(self, figure: Sum, count: int) -> bool:
        """Whether a reader of earlier releases knows that this sum is ``count``: an earlier
        value that differs from the count is stale and pins nothing."""
        return count in self.values.get(figure, frozenset())

    def record(self, published: ProtectedRelease) -> Ledger:
        """This ledger with what ``published`` publishes added."""
        values = dict(self.values)
        for table in published.tables:
            for ref, shown in table.figures():
                if isinstance(shown, int):
                    figure = table.sum_of(ref.row, ref.column)
                    values[figure] = values.get(figure, frozenset()) | {shown}
        return Ledger(values)

    def as_json(self) -> list[dict[str, Any]]:
        return [
            {
                "table": figure.table,
                "period": figure.period,
                "rows": sorted(figure.rows),
                "columns": sorted(figure.columns),
                "values": sorted(values),
            }
            for figure, values in sorted(self.values.items(), key=lambda item: _sort_key(item[0]))
        ]

    @classmethod
    def from_json(cls, entries: Iterable[Mapping[str, Any]]) -> Ledger:
        """The ledger of one or more releases' entries, as ``as_json`` wrote them."""
        values: dict[Sum, frozenset[int]] = {}
        for entry in entries:
            figure = Sum(
                str(entry["table"]),
                str(entry["period"]),
                frozenset(map(str, entry["rows"])),
                frozenset(map(str, entry["columns"])),
            )
            values[figure] = values.get(figure, frozenset()) | {int(v) for v in entry["values"]}
        return cls(values)


def _sort_key(figure: Sum) -> tuple[str, str, list[str], list[str]]:
    return figure.table, figure.period, sorted(figure.rows), sorted(figure.columns)
