"""The independent check of a protected release. Pure core: no Django.

It shares nothing with the suppression engine but the plain values of ``tables.py``, and
reads the tables' structure afresh from their counts, so that a mistake in the engine is
not repeated here. It models what a reader knows: every published figure; that each row and
column adds up to its total; that a suppressed figure is a whole number of at least 1 (every
0 is published); the links between tables; and what earlier releases published (the
ledger), where that is still the count. For each suppressed figure, CP-SAT then finds the
least and the greatest value consistent with all of that: exact, since the values are
integers.

A finding is a published count from 1 to 10, a suppressed count from 1 to 10 whose interval
lies within 1 to 10 (the reader learns that a small group exists), or a suppressed figure
whose interval is a single value. docs/reports.md describes the method.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from ortools.sat.python import cp_model

from kiteline.reports.tables import (
    SMALL,
    TOTAL,
    CellRef,
    Ledger,
    Link,
    Merged,
    ProtectedRelease,
    ProtectedTable,
    Release,
    Shown,
    Suppressed,
    Table,
)

# The reader's upper bound on a figure of a table whose grand total is suppressed: far above
# any count, so that a greatest value near it means "no published figure bounds it".
UNBOUNDED: Final = 10**9


@dataclass(frozen=True, slots=True)
class Interval:
    """The values of a suppressed figure consistent with everything a reader knows."""

    low: int
    high: int | None  # None: nothing published bounds it

    def __str__(self) -> str:
        return f"[{self.low}, {'∞' if self.high is None else self.high}]"


class Problem(StrEnum):
    PUBLISHED_SMALL = "a published count from 1 to 10"
    CONFINED = "a suppressed count from 1 to 10 that can be shown to be from 1 to 10"
    DERIVABLE = "a suppressed figure that can be derived exactly"
    MISREPORTED = "a published figure that is not the count"
    SUPPRESSED_ZERO = "a suppressed figure that is 0 (every 0 is published)"


@dataclass(frozen=True, slots=True)
class Finding:
    cell: CellRef
    problem: Problem
    interval: Interval | None = None  # for a suppressed figure

    def __str__(self) -> str:
        bounds = "" if self.interval is None else f", between {self.interval}"
        return f"{self.cell}: {self.problem}{bounds}"


def check(true: Release, protected: ProtectedRelease, ledger: Ledger) -> tuple[Finding, ...]:
    """Every way ``protected`` discloses a count from 1 to 10 of ``true``; () when it is
    safe to publish. ValueError when ``protected`` is not a protection of ``true`` (another
    table, shape or merged row)."""
    findings: list[Finding] = []
    for table, shown in _pairs(true, protected):
        for ref, count, published in _figures(table, shown):
            if isinstance(published, Suppressed):
                if count == 0:
                    findings.append(Finding(ref, Problem.SUPPRESSED_ZERO))
            elif published != count:
                findings.append(Finding(ref, Problem.MISREPORTED))
    if findings:
        return tuple(findings)  # the reader's model below would start from false premises
    truth = _truth(true, protected)
    bounds = intervals(true, protected, ledger)
    for ref, count in truth.items():
        interval = bounds.get(ref)
        if interval is None:
            if 1 <= count <= SMALL:
                findings.append(Finding(ref, Problem.PUBLISHED_SMALL))
        elif interval.low == interval.high:
            findings.append(Finding(ref, Problem.DERIVABLE, interval))
        elif 1 <= count <= SMALL and interval.high is not None and interval.high <= SMALL:
            findings.append(Finding(ref, Problem.CONFINED, interval))
    return tuple(findings)


def intervals(
    true: Release, protected: ProtectedRelease, ledger: Ledger
) -> dict[CellRef, Interval]:
    """For every suppressed figure of ``protected``, the least and greatest value that a
    reader of it, of ``true``'s links and of the ``ledger``'s earlier releases can hold
    possible. ``true`` supplies the counts only to tell which ledger entries still hold."""
    truth = _truth(true, protected)
    found: dict[CellRef, Interval] = {}
    for group in _linked(_pairs(true, protected), true.links):
        model = _Model()
        for shown in group:
            model.add_table(shown)
        for link in true.links:
            model.add_link(link)
        for ref, var in model.unknown.items():
            if ledger.knows(ref, truth[ref]):
                model.cp.add(var == truth[ref])
        found |= model.solve()
    return {ref: found[ref] for ref in truth if ref in found}


class _Model:
    """One CP-SAT model for a group of linked tables: a variable per suppressed figure."""

    def __init__(self) -> None:
        self.cp = cp_model.CpModel()
        self.unknown: dict[CellRef, cp_model.IntVar] = {}
        self.published: dict[CellRef, int] = {}

    def add_table(self, shown: ProtectedTable) -> None:
        grand = shown.shown[-1][-1]
        high = grand if isinstance(grand, int) else UNBOUNDED
        grid: list[list[cp_model.IntVar | int]] = []
        for i, line in enumerate(shown.shown):
            if isinstance(line[0], Merged):
                continue  # its counts are in the row it was merged into
            terms: list[cp_model.IntVar | int] = []
            for j, value in enumerate(line):
                ref = _ref(shown, i, j)
                if isinstance(value, int):
                    self.published[ref] = value
                    terms.append(value)
                else:
                    self.unknown[ref] = self.cp.new_int_var(1, high, str(ref))
                    terms.append(self.unknown[ref])
            grid.append(terms)
        for terms in grid:
            self._add_sum(terms[:-1], terms[-1])
        for j in range(len(shown.columns) + 1):
            self._add_sum([terms[j] for terms in grid[:-1]], grid[-1][j])

    def _add_sum(self, parts: list[cp_model.IntVar | int], total: cp_model.IntVar | int) -> None:
        if not all(isinstance(term, int) for term in (*parts, total)):
            self.cp.add(cp_model.LinearExpr.sum(parts) == total)

    def add_link(self, link: Link) -> None:
        a, b = (self.unknown.get(ref, self.published.get(ref)) for ref in (link.a, link.b))
        if isinstance(a, cp_model.IntVar) and b is not None:
            self.cp.add(a == b)
        elif isinstance(b, cp_model.IntVar) and a is not None:
            self.cp.add(b == a)

    def solve(self) -> dict[CellRef, Interval]:
        solver = cp_model.CpSolver()
        # One worker: the models are small, the machine is shared, and the optimum is exact
        # whatever the search order.
        solver.parameters.num_workers = 1
        found: dict[CellRef, Interval] = {}
        for ref, var in self.unknown.items():
            ends = []
            for set_objective in (self.cp.minimize, self.cp.maximize):
                set_objective(var)
                status = solver.solve(self.cp)
                if status != cp_model.OPTIMAL:
                    raise RuntimeError(f"CP-SAT says {solver.status_name(status)} for {ref}.")
                ends.append(round(solver.objective_value))
            found[ref] = Interval(ends[0], None if ends[1] > UNBOUNDED // 2 else ends[1])
        return found


def _pairs(true: Release, protected: ProtectedRelease) -> list[tuple[Table, ProtectedTable]]:
    """Each true table beside its protected version, once it is sure they correspond."""
    names = [(t.key, t.period) for t in true.tables]
    if names != [(t.key, t.period) for t in protected.tables]:
        raise ValueError("The protected release holds other tables.")
    pairs = list(zip(true.tables, protected.tables, strict=True))
    for table, shown in pairs:
        n, m = len(table.rows), len(table.columns)
        if (shown.rows, shown.columns) != (table.rows, table.columns) or [
            len(line) for line in shown.shown
        ] != [m + 1] * (n + 1):
            raise ValueError(f"{table.key}: the protected table has another shape.")
        into = dict(table.merged)
        for i, line in enumerate(shown.shown):
            target = into.get(table.rows[i]) if i < n else None
            marks = {value.into if isinstance(value, Merged) else None for value in line}
            if marks != {target}:
                raise ValueError(f"{table.key}: row {i} is not merged as the table says.")
    return pairs


def _figures(table: Table, shown: ProtectedTable) -> Iterator[tuple[CellRef, int, Shown]]:
    """Every figure of a table that is not in a merged row: its count, summed here rather
    than by the table, and what is published for it."""
    n, m = len(table.rows), len(table.columns)
    row_sums = [sum(line) for line in table.counts]
    column_sums = [sum(line[j] for line in table.counts) for j in range(m)]
    for i in range(n + 1):
        for j in range(m + 1):
            if isinstance(shown.shown[i][j], Merged):
                continue
            if i < n:
                count = table.counts[i][j] if j < m else row_sums[i]
            else:
                count = column_sums[j] if j < m else sum(row_sums)
            yield _ref(shown, i, j), count, shown.shown[i][j]


def _truth(true: Release, protected: ProtectedRelease) -> dict[CellRef, int]:
    return {
        ref: count
        for table, shown in _pairs(true, protected)
        for ref, count, _ in _figures(table, shown)
    }


def _linked(
    pairs: list[tuple[Table, ProtectedTable]], links: tuple[Link, ...]
) -> list[list[ProtectedTable]]:
    """The protected tables in groups that links join, in release order."""
    group = {(shown.key, shown.period): i for i, (_, shown) in enumerate(pairs)}
    for link in links:
        a, b = group[link.a.table, link.a.period], group[link.b.table, link.b.period]
        group = {name: min(a, b) if g in (a, b) else g for name, g in group.items()}
    groups: dict[int, list[ProtectedTable]] = {}
    for _, shown in pairs:
        groups.setdefault(group[shown.key, shown.period], []).append(shown)
    return list(groups.values())


def _ref(shown: ProtectedTable, i: int, j: int) -> CellRef:
    row = shown.rows[i] if i < len(shown.rows) else TOTAL
    column = shown.columns[j] if j < len(shown.columns) else TOTAL
    return CellRef(shown.key, shown.period, row, column)
