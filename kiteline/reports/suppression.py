"""The suppression engine: what of a release may be published. Pure core: no Django.

``protect`` suppresses every count from 1 to 10 (primary suppression), then enough other
counts that none of those can be derived from what is published, from the links between
tables and from earlier releases (complementary suppression), and does not return until the
independent check (``disclosure.check``) finds nothing. ``merge_small`` folds small rows into
a designated row before that; ``share`` is the only way the report computes a percentage.
docs/reports.md ("Small cells: suppression and its check") describes the method.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

from kiteline.reports.disclosure import Finding, check
from kiteline.reports.tables import (
    SMALL,
    TOTAL,
    CellRef,
    Ledger,
    Merged,
    ProtectedRelease,
    ProtectedTable,
    Reason,
    Release,
    Shown,
    Suppressed,
    Table,
)


class SuppressionError(Exception):
    """The release cannot be protected: earlier releases already pin what it must hide."""


def protect(release: Release, ledger: Ledger) -> ProtectedRelease:
    """The release as it may be published, given what ``ledger``'s earlier releases did.

    Deterministic: the same release and ledger always give the same result. SuppressionError
    when earlier releases already reveal a count from 1 to 10, so that nothing hidden now
    could protect it."""
    grid = _Grid.of(release, ledger)
    grid.suppress_small()
    grid.complete()
    while findings := check(release, grid.protected(), ledger):
        grid.repair(findings)
        grid.complete()
    return grid.protected()


def share(numerator: Shown, denominator: Shown) -> float | None:
    """numerator / denominator, for a percentage; None unless both are published counts
    (and the denominator is not 0), so that no percentage reveals a suppressed count."""
    if isinstance(numerator, int) and isinstance(denominator, int) and denominator > 0:
        return numerator / denominator
    return None


def merge_small(table: Table, merge_into: Mapping[str, str]) -> Table:
    """The table with each row named in ``merge_into`` whose total is at most SMALL merged
    into the row it names ("Asian" into "Another or not recorded"), again and again while a
    row that received counts is itself small and named in ``merge_into``.

    The shape stays fixed: a merged row stays in its place, marked as merged (``merged``),
    and the report shows where its counts went; the table keeps each row's own counts and
    the rule (``mergeable``), which the reader is told. A row with no counts at all is
    merged too: were only rows of 1 to 10 merged, the mark would tell the reader that the
    row is small and not empty."""
    for row, target in merge_into.items():
        if row not in table.rows or target not in table.rows or row == target:
            raise ValueError(f"{table.key}: cannot merge {row!r} into {target!r}.")
    for start in merge_into:
        seen, step = {start}, merge_into[start]
        while step in merge_into:
            if step in seen:
                raise ValueError(f"{table.key}: merging goes round in a circle at {step!r}.")
            seen.add(step)
            step = merge_into[step]
    held = {row: sum(line) for row, line in zip(table.rows, table.counts, strict=True)}
    into: dict[str, str] = {}
    while True:
        small = [r for r in table.rows if r in merge_into and r not in into]
        found = next((r for r in small if held[r] <= SMALL), None)
        if found is None:
            break
        target = merge_into[found]
        while target in into:
            target = into[target]
        held[target] += held[found]
        into = {r: target if t == found else t for r, t in into.items()} | {found: target}
    return replace(
        table,
        merged=tuple((row, into[row]) for row in table.rows if row in into),
        mergeable=tuple((row, merge_into[row]) for row in table.rows if row in merge_into),
    )


@dataclass(frozen=True, slots=True)
class _Line:
    """Figures tied by one equation a reader knows: the figures ``left`` add up to the
    figures ``right`` (a row's cells to its total; a link)."""

    left: tuple[CellRef, ...]
    right: tuple[CellRef, ...]

    @property
    def figures(self) -> tuple[CellRef, ...]:
        return self.left + self.right


@dataclass
class _Grid:
    """Every figure of a release, the lines that tie figures together (each row and each
    column with its total, each link that is an equation between figures), the figures
    each relation ties together (for repairs), and which figures are hidden so far."""

    release: Release
    figures: list[CellRef]
    count: dict[CellRef, int]
    lines: list[_Line]
    near: dict[CellRef, set[CellRef]]  # the figures that share a line or a link with it
    known: set[CellRef]  # earlier releases reveal the current count
    position: dict[CellRef, int]
    hidden: dict[CellRef, Reason] = field(default_factory=dict)

    @classmethod
    def of(cls, release: Release, ledger: Ledger) -> _Grid:
        figures: list[CellRef] = []
        lines: list[_Line] = []
        known: set[CellRef] = set()
        for table in release.tables:
            rows = table.shown_rows()
            columns = (*table.columns, TOTAL)
            cells = [[CellRef(table.key, table.period, r, c) for c in columns] for r in rows]
            figures += [ref for line in cells for ref in line]
            lines += [_Line(tuple(line[:-1]), (line[-1],)) for line in cells]
            lines += [
                _Line(tuple(line[j] for line in cells[:-1]), (cells[-1][j],))
                for j in range(len(columns))
            ]
            known |= {
                ref
                for ref in table.refs()
                if ledger.knows(table.sum_of(ref.row, ref.column), table.count(ref.row, ref.column))
            }
        published = set(figures)
        ties = [line.figures for line in lines]
        for link in release.links:
            terms = link.left + link.right
            # An inequality, or an equation with a count that is not published (a merged
            # row's), gives nothing away by itself; the check models it.
            if not link.at_most and set(terms) <= published:
                lines.append(_Line(link.left, link.right))
            ties.append(tuple(ref for ref in terms if ref in published))
        near: dict[CellRef, set[CellRef]] = {ref: set() for ref in figures}
        for tie in ties:
            for ref in tie:
                near[ref].update(tie)
        count = {ref: release.count(ref) for ref in figures}
        # A figure alone in a line with figures that earlier releases published or that are
        # 0 (always published) is known too: hiding it would protect nothing.
        fixed = known | {ref for ref in figures if count[ref] == 0}
        while pinned := {
            free[0]
            for line in lines
            if len(free := [ref for ref in line.figures if ref not in fixed]) == 1
        }:
            known |= pinned
            fixed |= pinned
        position = {ref: i for i, ref in enumerate(figures)}
        return cls(release, figures, count, lines, near, known, position)

    def can_hide(self, ref: CellRef) -> bool:
        # A 0 is always published (so a suppressed figure is never 0), and hiding a count an
        # earlier release published protects nothing.
        return ref not in self.hidden and ref not in self.known and self.count[ref] > 0

    def suppress_small(self) -> None:
        for ref in self.figures:
            if 1 <= self.count[ref] <= SMALL:
                if ref in self.known:
                    raise SuppressionError(f"Earlier releases reveal {ref}, a count from 1 to 10.")
                self.hidden[ref] = Reason.PRIMARY

    def complete(self) -> None:
        """Complementary suppression to a fixed point. A line gives a hidden figure away when
        it is the line's only one, or when all its hidden figures are on one side of it (the
        other side published) and add up to so little that each, being at least 1, is at
        most 10. Such a line gets another hidden figure: among those that would mend the most
        leaking lines at once, the smallest. A line where nothing more can be hidden is left
        to the check."""
        while True:
            leaking = [line for line in self.lines if self._leaks(line)]
            covers = Counter(ref for line in leaking for ref in line.figures)
            line = next((line for line in leaking if any(map(self.can_hide, line.figures))), None)
            if line is None:
                return
            best = min(
                filter(self.can_hide, line.figures), key=lambda r: (-covers[r], *self._smallest(r))
            )
            self.hidden[best] = Reason.COMPLEMENTARY

    def _leaks(self, line: _Line) -> bool:
        left = [ref for ref in line.left if ref in self.hidden]
        right = [ref for ref in line.right if ref in self.hidden]
        hidden = left + right
        if len(hidden) == 1:
            return True
        # Hidden figures on both sides of a line (a row's cell and its total, both ends of a
        # link) are not pinned by it.
        if not hidden or (left and right):
            return False
        return sum(self.count[ref] for ref in hidden) - (len(hidden) - 1) <= SMALL

    def repair(self, findings: Sequence[Finding]) -> None:
        """Hide more where the check found a leak: for each leaking figure, the smallest
        figure that shares a line or a link with it; failing that, its whole table; failing
        that, the whole release. Hiding every figure but the zeros is always safe, unless
        earlier releases pin figures."""
        progress = False
        touched: set[CellRef] = set()
        for finding in findings:
            ref = finding.cell
            if ref not in self.hidden:
                raise RuntimeError(f"The check found a published figure: {finding}.")
            if ref in touched:
                continue
            near = list(filter(self.can_hide, self.near[ref]))
            same_table = [
                r
                for r in self.figures
                if (r.table, r.period) == (ref.table, ref.period) and self.can_hide(r)
            ]
            if near:
                self._hide_for_leak([min(near, key=self._smallest)], touched)
            elif same_table:
                self._hide_for_leak(same_table, touched)
            elif everything := list(filter(self.can_hide, self.figures)):
                self._hide_for_leak(everything, touched)
            else:
                continue
            progress = True
        if not progress:
            self._give_up(findings)

    def _give_up(self, findings: Sequence[Finding]) -> None:
        """Everything that can be hidden is. A figure above 10 that the reader can still
        derive is published, since hiding it protects nothing; a count from 1 to 10 that the
        reader can still derive or confine cannot be protected."""
        for finding in findings:
            if self.count[finding.cell] <= SMALL:
                raise SuppressionError(
                    f"Earlier releases reveal {finding}. Merge categories, publish a longer "
                    "period, or withhold the table."
                )
        for finding in findings:
            del self.hidden[finding.cell]
            self.known.add(finding.cell)

    def _smallest(self, ref: CellRef) -> tuple[int, int]:
        return self.count[ref], self.position[ref]

    def _hide_for_leak(self, chosen: Sequence[CellRef], touched: set[CellRef]) -> None:
        for ref in chosen:
            self.hidden[ref] = Reason.COMPLEMENTARY
            # The figures that share a line with this one wait for the next check.
            touched.update(self.near[ref])

    def protected(self) -> ProtectedRelease:
        return ProtectedRelease(
            tables=tuple(self._protected(table) for table in self.release.tables),
            links=self.release.links,
        )

    def _protected(self, table: Table) -> ProtectedTable:
        shown: list[tuple[Shown, ...]] = []
        for row in (*table.rows, TOTAL):
            into = table.merged_into(row)
            line: list[Shown] = []
            for column in (*table.columns, TOTAL):
                ref = CellRef(table.key, table.period, row, column)
                if into is not None:
                    line.append(Merged(into))
                elif ref in self.hidden:
                    line.append(Suppressed(self.hidden[ref]))
                else:
                    line.append(self.count[ref])
            shown.append(tuple(line))
        return ProtectedTable(table.key, table.period, table.rows, table.columns, tuple(shown))
