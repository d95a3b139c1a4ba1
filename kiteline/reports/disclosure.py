"""The independent check of a protected release. Pure core: no Django.

It shares nothing with the suppression engine but the plain values of ``tables.py``, and
reads the tables' structure afresh from their counts, so that a mistake in the engine is
not repeated here. It models what a reader knows, as linear constraints on each table's
own counts (row by column, merged rows included): every published figure; that a
suppressed figure is a whole number of at least 1 (every 0 is published); that a row
merged for being small held at most 10, and one that could have merged but did not holds
at least 11; the
links between tables (sums equal, or at most); and what earlier releases published (the
ledger), where that is still the count. For each suppressed figure, CP-SAT then finds the
least and the greatest value consistent with all of that: exact, since the values are
integers.

A finding is a published count from 1 to 10, a suppressed count from 1 to 10 whose interval
lies within 1 to 10 (the reader learns that a small group exists), or a suppressed figure
whose interval is a single value. docs/reports.md describes the method.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
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
    table, shape or merged row), or when a ledger entry adds up counts of which this
    release holds some but not all (an earlier release of overlapping facilities)."""
    findings: list[Finding] = []
    pairs = _pairs(true, protected)
    for table, shown in pairs:
        for ref, count, published in _figures(table, shown):
            if isinstance(published, Suppressed):
                if count == 0:
                    findings.append(Finding(ref, Problem.SUPPRESSED_ZERO))
            elif published != count:
                findings.append(Finding(ref, Problem.MISREPORTED))
    if findings:
        return tuple(findings)  # the reader's model below would start from false premises
    truth = {ref: count for table, shown in pairs for ref, count, _ in _figures(table, shown)}
    bounds = _bounds(true, protected, ledger, truth)
    for ref, count in truth.items():
        if not isinstance(protected.value(ref), Suppressed):
            if 1 <= count <= SMALL:
                findings.append(Finding(ref, Problem.PUBLISHED_SMALL))
        elif (interval := bounds.get(ref)) is None:
            continue  # worlds the reader holds possible show it safe
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
    return _bounds(true, protected, ledger, None)


def _bounds(
    true: Release,
    protected: ProtectedRelease,
    ledger: Ledger,
    truth: Mapping[CellRef, int] | None,
) -> dict[CellRef, Interval]:
    """Every suppressed figure's interval; given the counts (``truth``), only those of the
    figures that the worlds found on the way do not already show safe."""
    pairs = _pairs(true, protected)
    found: dict[CellRef, Interval] = {}
    for group in _linked(pairs, true.links):
        model = _Model()
        for table, shown in group:
            model.add_table(table, shown)
        names = {(table.key, table.period) for table, _ in group}
        for link in true.links:
            if (link.left[0].table, link.left[0].period) in names:
                model.add_link(link)
        for table, _ in group:
            model.add_ledger(table, ledger)
        found |= model.solve(truth)
    return {
        ref: found[ref]
        for _, shown in pairs
        for ref, value in shown.figures()
        if isinstance(value, Suppressed) and ref in found
    }


type _Expr = cp_model.LinearExprT


class _Model:
    """One CP-SAT model for a group of linked tables: a variable per count of each table
    (its own counts, row by column, merged rows included), and each figure the sum of the
    counts it adds up."""

    def __init__(self) -> None:
        self.cp = cp_model.CpModel()
        self.counts: dict[tuple[str, str], dict[tuple[str, str], cp_model.IntVar]] = {}
        # Each figure, and each merged row's own cell, as the reader can write it.
        self.terms: dict[CellRef, _Expr] = {}
        self.hidden: list[CellRef] = []

    def add_table(self, table: Table, shown: ProtectedTable) -> None:
        grand = shown.shown[-1][-1]
        high = grand if isinstance(grand, int) else UNBOUNDED
        cells = {
            (row, column): self.cp.new_int_var(0, high, f"{table.key} {row} {column}")
            for row in table.rows
            for column in table.columns
        }
        self.counts[table.key, table.period] = cells
        merged = {
            row: line[0].into
            for row, line in zip(table.rows, shown.shown, strict=False)
            if isinstance(line[0], Merged)
        }

        def total(rows: Sequence[str], columns: Sequence[str]) -> _Expr:
            return cp_model.LinearExpr.sum([cells[r, c] for r in rows for c in columns])

        could_merge = {row for row, _ in table.mergeable}
        for row in merged:
            if row in could_merge:
                # Merged because it was small: the reader knows it held at most SMALL.
                self.cp.add(total([row], table.columns) <= SMALL)
            for column in table.columns:
                self.terms[_cell(table, row, column)] = cells[row, column]
            self.terms[_cell(table, row, TOTAL)] = total([row], table.columns)
        for i, row in enumerate((*table.rows, TOTAL)):
            if row in merged:
                continue
            rows = (
                table.rows
                if row == TOTAL
                else (row, *(r for r, into in merged.items() if into == row))
            )
            for j, column in enumerate((*table.columns, TOTAL)):
                ref = _cell(table, row, column)
                expr = total(rows, table.columns if column == TOTAL else (column,))
                self.terms[ref] = expr
                value = shown.shown[i][j]
                if isinstance(value, int):
                    self.cp.add(expr == value)
                else:
                    self.cp.add(expr >= 1)
                    self.hidden.append(ref)
            if row in could_merge:
                # It could have merged and did not: the reader knows it holds more than SMALL.
                self.cp.add(total(rows, table.columns) >= SMALL + 1)

    def add_link(self, link: Link) -> None:
        left, right = (
            cp_model.LinearExpr.sum([self.terms[ref] for ref in side])
            for side in (link.left, link.right)
        )
        self.cp.add(left <= right if link.at_most else left == right)

    def add_ledger(self, table: Table, ledger: Ledger) -> None:
        """Each earlier figure of this table that still has the value it was published
        with: the reader knows it. One that sums counts this release does not hold is
        refused: whether it still holds cannot be told."""
        cells = self.counts[table.key, table.period]
        own = {
            (row, column): table.counts[i][j]
            for i, row in enumerate(table.rows)
            for j, column in enumerate(table.columns)
        }
        for figure, values in ledger.values.items():
            if (figure.table, figure.period) != (table.key, table.period):
                continue
            atoms = [(r, c) for r in sorted(figure.rows) for c in sorted(figure.columns)]
            held = [atom for atom in atoms if atom in own]
            if not held:
                continue
            if len(held) < len(atoms):
                raise ValueError(
                    f"An earlier release of {table.key} {table.period} adds up rows or "
                    "columns of which this release holds only some."
                )
            if sum(own[atom] for atom in atoms) in values:
                expr = cp_model.LinearExpr.sum([cells[atom] for atom in atoms])
                self.cp.add(expr == sum(own[atom] for atom in atoms))

    def solve(self, truth: Mapping[CellRef, int] | None) -> dict[CellRef, Interval]:
        """Each hidden figure's least and greatest value. Given the counts, a figure that
        the worlds found so far already show at two values, one of them above SMALL or the
        count above SMALL, is safe and left out: those worlds are possible, so its interval
        is at least as wide."""
        solver = cp_model.CpSolver()
        # One worker: the models are small, the machine is shared, and the optimum is exact
        # whatever the search order.
        solver.parameters.num_workers = 1
        # The model is solved hundreds of times with another objective: presolving it each
        # time costs more than it saves (a report of 40 facilities builds in 60% of the time).
        solver.parameters.cp_model_presolve = False
        seen: dict[CellRef, tuple[int, int]] = {}

        def optimum(objective: Callable[[_Expr], None], expr: _Expr, what: object) -> int:
            objective(expr)
            status = solver.solve(self.cp)
            if status != cp_model.OPTIMAL:
                raise RuntimeError(f"CP-SAT says {solver.status_name(status)} for {what}.")
            for ref in self.hidden:
                value = solver.value(self.terms[ref])
                low, high = seen.get(ref, (value, value))
                seen[ref] = min(low, value), max(high, value)
            return round(solver.objective_value)

        def safe(ref: CellRef) -> bool:
            if truth is None or ref not in seen:
                return False
            low, high = seen[ref]
            return low < high and (truth[ref] > SMALL or high > SMALL)

        # Broad worlds first: the figures not yet shown safe all as great, then all as
        # small, as they can be, for as long as that shows more of them safe.
        pending = [] if truth is None else self.hidden
        while pending:
            together = cp_model.LinearExpr.sum([self.terms[ref] for ref in pending])
            for objective in (self.cp.maximize, self.cp.minimize):
                optimum(objective, together, "the hidden figures")
            still = [ref for ref in pending if not safe(ref)]
            pending = still if len(still) < len(pending) else []
        found: dict[CellRef, Interval] = {}
        for ref in self.hidden:
            if safe(ref):
                continue
            high = optimum(self.cp.maximize, self.terms[ref], ref)
            if safe(ref):
                continue
            low = optimum(self.cp.minimize, self.terms[ref], ref)
            if not safe(ref):
                found[ref] = Interval(low, None if high > UNBOUNDED // 2 else high)
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
    """Every figure of a table that is not in a merged row: its count, summed here from
    the table's own counts rather than by the table, and what is published for it."""
    n, m = len(table.rows), len(table.columns)
    into = dict(table.merged)
    for i in range(n + 1):
        if i < n and table.rows[i] in into:
            continue
        rows = (
            range(n)
            if i == n
            else [k for k in range(n) if k == i or into.get(table.rows[k]) == table.rows[i]]
        )
        for j in range(m + 1):
            columns = range(m) if j == m else (j,)
            count = sum(table.counts[k][c] for k in rows for c in columns)
            yield _ref(shown, i, j), count, shown.shown[i][j]


def _linked(
    pairs: list[tuple[Table, ProtectedTable]], links: tuple[Link, ...]
) -> list[list[tuple[Table, ProtectedTable]]]:
    """The tables in groups that links join, in release order."""
    group = {(table.key, table.period): i for i, (table, _) in enumerate(pairs)}
    for link in links:
        joined = {group[ref.table, ref.period] for ref in link.left + link.right}
        first = min(joined)
        group = {name: first if g in joined else g for name, g in group.items()}
    groups: dict[int, list[tuple[Table, ProtectedTable]]] = {}
    for pair in pairs:
        groups.setdefault(group[pair[0].key, pair[0].period], []).append(pair)
    return list(groups.values())


def _cell(table: Table, row: str, column: str) -> CellRef:
    return CellRef(table.key, table.period, row, column)


def _ref(shown: ProtectedTable, i: int, j: int) -> CellRef:
    row = shown.rows[i] if i < len(shown.rows) else TOTAL
    column = shown.columns[j] if j < len(shown.columns) else TOTAL
    return CellRef(shown.key, shown.period, row, column)
