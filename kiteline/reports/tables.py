"""The public report's tables as plain values, shared by the suppression engine
(``suppression.py``) and its independent check (``disclosure.py``). Pure core: no Django.

A ``Table`` holds true counts; its row totals, column totals and grand total are published
too, under the reserved label ``TOTAL``. A ``Release`` is the tables published together with
the ``links`` between them (two cells, in different tables, that are the same count). A
``ProtectedRelease`` is what may be published: each cell a count, ``Suppressed`` or
``Merged``. The ``Ledger`` is what earlier releases published.

docs/reports.md ("Small cells: suppression and its check") describes the method.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from itertools import chain
from typing import Final

TOTAL: Final = "Total"
# Counts from 1 to SMALL are never published nor derivable (DOMAIN.md, the CMS rule); 0 is.
SMALL: Final = 10


@dataclass(frozen=True, slots=True)
class CellRef:
    """One published figure: a cell, or a total when ``row`` or ``column`` is TOTAL."""

    table: str
    period: str  # "2026Q3"
    row: str
    column: str

    def __str__(self) -> str:
        return f"{self.table} {self.period} [{self.row}, {self.column}]"


@dataclass(frozen=True, slots=True)
class Table:
    """True counts in a fixed shape: ``counts[i][j]`` is row ``rows[i]``, column
    ``columns[j]``. ``merged`` names the rows whose counts were moved into another row
    (``merge_small``): their counts are 0 here and the report shows them as merged."""

    key: str  # "kites_by_category"
    period: str
    rows: tuple[str, ...]
    columns: tuple[str, ...]
    counts: tuple[tuple[int, ...], ...]
    merged: tuple[tuple[str, str], ...] = ()  # (row, the row that holds its counts)

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
        into = dict(self.merged)
        if len(into) != len(self.merged) or not set(into) <= set(self.rows):
            raise ValueError(f"{self.key}: merged rows are rows of the table, each once.")
        for row, target in into.items():
            if target not in self.rows or target in into:
                raise ValueError(f"{self.key}: {row!r} is merged into a row that is shown.")
            if any(self.counts[self.rows.index(row)]):
                raise ValueError(f"{self.key}: merged row {row!r} keeps no counts of its own.")

    def merged_into(self, row: str) -> str | None:
        return dict(self.merged).get(row)

    def shown_rows(self) -> tuple[str, ...]:
        """The rows that have cells of their own, then TOTAL."""
        into = dict(self.merged)
        return (*(row for row in self.rows if row not in into), TOTAL)

    def count(self, row: str, column: str) -> int:
        """A cell's count, or a total's when ``row`` or ``column`` is TOTAL."""
        rows = range(len(self.rows)) if row == TOTAL else (self.rows.index(row),)
        columns = range(len(self.columns)) if column == TOTAL else (self.columns.index(column),)
        return sum(self.counts[i][j] for i in rows for j in columns)

    def refs(self) -> Iterator[CellRef]:
        """Every figure the table publishes, row by row, totals last."""
        for row in self.shown_rows():
            for column in (*self.columns, TOTAL):
                yield CellRef(self.key, self.period, row, column)


@dataclass(frozen=True, slots=True)
class Link:
    """Two figures in different tables that are the same count (two tables' grand totals,
    say): a reader who sees one knows the other."""

    a: CellRef
    b: CellRef


@dataclass(frozen=True, slots=True)
class Release:
    tables: tuple[Table, ...]
    links: tuple[Link, ...] = ()

    def __post_init__(self) -> None:
        names = [(t.key, t.period) for t in self.tables]
        if len(set(names)) != len(names):
            raise ValueError("A release holds each table and period once.")
        for link in self.links:
            if (link.a.table, link.a.period) == (link.b.table, link.b.period):
                raise ValueError(f"A link joins two tables: {link.a} and {link.b}.")
            try:
                same = self.count(link.a) == self.count(link.b)
            except KeyError as error:
                raise ValueError(f"A link joins published figures: {error}") from error
            if not same:
                raise ValueError(f"Linked figures differ: {link.a} and {link.b}.")

    def table(self, key: str, period: str) -> Table:
        for table in self.tables:
            if (table.key, table.period) == (key, period):
                return table
        raise KeyError(f"No table {key} for {period}.")

    def count(self, ref: CellRef) -> int:
        """The figure's true count; KeyError when the release does not publish it."""
        table = self.table(ref.table, ref.period)
        if ref.row not in table.shown_rows() or ref.column not in (*table.columns, TOTAL):
            raise KeyError(f"{ref} is not published.")
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
    """What earlier releases published: every value each figure was ever published with (a
    revised release can publish a figure again with another value)."""

    entries: Mapping[CellRef, frozenset[int]] = field(default_factory=dict)

    def knows(self, ref: CellRef, count: int) -> bool:
        """Whether a reader of earlier releases knows that this figure is ``count``: an
        earlier value that differs from the count is stale and pins nothing."""
        return count in self.entries.get(ref, frozenset())

    def record(self, published: ProtectedRelease) -> Ledger:
        """This ledger with what ``published`` publishes added."""
        entries = dict(self.entries)
        for table in published.tables:
            for ref, shown in table.figures():
                if isinstance(shown, int):
                    entries[ref] = entries.get(ref, frozenset()) | {shown}
        return Ledger(entries)
