"""The independent check: it finds hand-made leaks (one suppressed cell in a row, two tables
that leak through a shared total, an earlier release that pins a cell), its intervals equal
those found by enumerating every table a reader could hold possible, and it shares nothing
with the suppression engine."""

import ast
import itertools
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import kiteline.reports.disclosure
from kiteline.reports.disclosure import Finding, Interval, Problem, check, intervals
from kiteline.reports.tables import (
    SMALL,
    TOTAL,
    CellRef,
    Ledger,
    Link,
    Merged,
    ProtectedRelease,
    ProtectedTable,
    Reason,
    Release,
    Shown,
    Suppressed,
    Table,
)
from tests.unit.test_report_suppression import equal_pairs, ref, table

NONE = Ledger()


def shown_as(t: Table, hide: set[tuple[str, str]]) -> ProtectedTable:
    """The table published by hand, with the figures in ``hide`` suppressed."""
    shown: list[tuple[Shown, ...]] = []
    for row in (*t.rows, TOTAL):
        line: list[Shown] = []
        for column in (*t.columns, TOTAL):
            count = t.count(row, column)
            if (row, column) in hide:
                reason = Reason.PRIMARY if count <= SMALL else Reason.COMPLEMENTARY
                line.append(Suppressed(reason))
            elif (into := t.merged_into(row)) is not None:
                line.append(Merged(into))
            else:
                line.append(count)
        shown.append(tuple(line))
    return ProtectedTable(t.key, t.period, t.rows, t.columns, tuple(shown))


def problems(findings: tuple[Finding, ...]) -> set[tuple[str, str, Problem]]:
    return {(f.cell.row, f.cell.column, f.problem) for f in findings}


RECTANGLE = {("a", "x"), ("a", "y"), ("b", "x"), ("b", "y")}
T = table("k", (3, 12, 40), (20, 30, 50), (25, 15, 60))


def test_a_table_whose_small_count_is_hidden_in_a_rectangle_is_safe() -> None:
    release = Release((T,))
    assert check(release, ProtectedRelease((shown_as(T, RECTANGLE),)), NONE) == ()


def test_it_finds_a_release_with_only_one_suppressed_cell_per_row() -> None:
    t = table("k", (3, 12, 40), (20, 30, 50))
    protected = ProtectedRelease((shown_as(t, {("a", "x"), ("b", "x")}),))
    findings = check(Release((t,)), protected, NONE)
    assert problems(findings) == {("a", "x", Problem.DERIVABLE), ("b", "x", Problem.DERIVABLE)}
    assert findings[0].interval == Interval(3, 3)


def test_it_finds_small_counts_that_can_be_confined_to_1_to_10_though_not_derived() -> None:
    # Row a shows 2 and 3 hidden beside 40, total 45: each is from 1 to 4.
    t = table("k", (2, 3, 40), (20, 30, 50), (25, 15, 60))
    hide = {("a", "x"), ("a", "y"), ("b", "x"), ("b", "y")}
    findings = check(Release((t,)), ProtectedRelease((shown_as(t, hide),)), NONE)
    assert ("a", "x", Problem.CONFINED) in problems(findings)
    assert ("a", "y", Problem.CONFINED) in problems(findings)


# `a` alone hides row a, its column totals and its grand total: safe. `b` publishes
# everything and has no small count: safe. But their grand totals are the same count.
A = table("a", (3, 8), (15, 40))
B = table("b", (30, 20), (16, 0))
A_HIDDEN = {("a", "x"), ("a", "y"), ("a", TOTAL), (TOTAL, "x"), (TOTAL, "y"), (TOTAL, TOTAL)}
GRAND_TOTALS = Link(ref("a", TOTAL, TOTAL), ref("b", TOTAL, TOTAL))


def test_two_tables_that_share_a_total_leak_together_though_each_is_safe_alone() -> None:
    alone_a, alone_b = shown_as(A, A_HIDDEN), shown_as(B, set())
    assert check(Release((A,)), ProtectedRelease((alone_a,)), NONE) == ()
    assert check(Release((B,)), ProtectedRelease((alone_b,)), NONE) == ()
    linked = Release((A, B), links=(GRAND_TOTALS,))
    findings = check(linked, ProtectedRelease((alone_a, alone_b), linked.links), NONE)
    assert problems(findings) == {
        ("a", "x", Problem.CONFINED),
        ("a", "y", Problem.CONFINED),
        ("a", TOTAL, Problem.DERIVABLE),
        (TOTAL, TOTAL, Problem.DERIVABLE),
    }


def test_a_ledger_entry_that_still_holds_pins_a_cell() -> None:
    release, protected = Release((T,)), ProtectedRelease((shown_as(T, RECTANGLE),))
    ledger = Ledger({ref("k", "a", "y"): frozenset({12})})
    assert problems(check(release, protected, ledger)) == {
        ("a", "y", Problem.DERIVABLE),  # hidden now, but published before
        ("a", "x", Problem.DERIVABLE),
        ("b", "x", Problem.DERIVABLE),
        ("b", "y", Problem.DERIVABLE),
    }


def test_a_ledger_entry_that_no_longer_holds_pins_nothing() -> None:
    release, protected = Release((T,)), ProtectedRelease((shown_as(T, RECTANGLE),))
    stale = Ledger({ref("k", "a", "y"): frozenset({11, 13})})
    assert check(release, protected, stale) == ()


def test_a_published_count_from_1_to_10_is_a_finding() -> None:
    findings = check(Release((T,)), ProtectedRelease((shown_as(T, set()),)), NONE)
    assert problems(findings) == {("a", "x", Problem.PUBLISHED_SMALL)}


def test_a_suppressed_zero_and_a_misreported_count_are_findings() -> None:
    t = table("k", (0, 12), (30, 45))
    shown = shown_as(t, {("a", "x")})
    misreported = ProtectedTable(
        t.key, t.period, t.rows, t.columns, ((0, 13, 12), *shown.shown[1:])
    )
    assert problems(check(Release((t,)), ProtectedRelease((shown,)), NONE)) == {
        ("a", "x", Problem.SUPPRESSED_ZERO)
    }
    assert problems(check(Release((t,)), ProtectedRelease((misreported,)), NONE)) == {
        ("a", "y", Problem.MISREPORTED)
    }


def test_a_figure_that_nothing_published_bounds_has_no_upper_bound() -> None:
    everything = {(r, c) for r in (*T.rows, TOTAL) for c in (*T.columns, TOTAL)}
    found = intervals(Release((T,)), ProtectedRelease((shown_as(T, everything),)), NONE)
    assert found[ref("k", "a", "x")] == Interval(1, None)
    assert str(found[ref("k", "a", "x")]) == "[1, ∞]"


def test_a_merged_row_is_no_part_of_what_the_reader_can_solve_for() -> None:
    t = Table(
        "race", "2026Q3", ("a", "b", "c"), ("x", "y"), ((30, 20), (0, 0), (17, 43)), (("b", "c"),)
    )
    assert check(Release((t,)), ProtectedRelease((shown_as(t, set()),)), NONE) == ()


def test_the_check_refuses_a_protection_of_another_release() -> None:
    other = table("k", (3, 12), (20, 30))
    with pytest.raises(ValueError, match="shape"):
        check(Release((T,)), ProtectedRelease((shown_as(other, set()),)), NONE)
    with pytest.raises(ValueError, match="other tables"):
        check(Release((T,)), ProtectedRelease(()), NONE)


def test_the_check_shares_no_code_with_the_engine_and_neither_imports_django() -> None:
    source = Path(kiteline.reports.disclosure.__file__).read_text()
    imported = {
        node.module
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.ImportFrom) and node.module
    }
    assert {m for m in imported if m.startswith("kiteline")} == {"kiteline.reports.tables"}
    code = (
        "import sys, kiteline.reports.suppression, kiteline.reports.disclosure;"
        "print(sorted(m for m in sys.modules if m.startswith(('django', 'kiteline.'))))"
    )
    # This interpreter, on code written here: nothing untrusted reaches the subprocess.
    out = subprocess.run(  # noqa: S603
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert eval(out) == [  # noqa: S307 -- the list printed just above
        "kiteline.reports",
        "kiteline.reports.disclosure",
        "kiteline.reports.suppression",
        "kiteline.reports.tables",
    ]


# Brute force: every table a reader could hold possible, on tables small enough to list.


def compositions(total: int, parts: int) -> Iterator[tuple[int, ...]]:
    """Every way to write ``total`` as ``parts`` whole numbers of at least 1."""
    if parts == 0:
        if total == 0:
            yield ()
        return
    for first in range(1, total - parts + 2):
        for rest in compositions(total - first, parts - 1):
            yield (first, *rest)


def possible(t: Table, shown: ProtectedTable, ledger: Ledger) -> list[dict[CellRef, int]]:
    """Every table (as its figures) consistent with what ``shown`` publishes, where each
    suppressed figure is at least 1, and with the ledger's entries that still hold."""
    grand = shown.value(TOTAL, TOTAL)
    assert isinstance(grand, int), "the grand total bounds the enumeration"
    cells = list(itertools.product(t.rows, t.columns))
    fixed = {cell: value for cell in cells if isinstance(value := shown.value(*cell), int)}
    unknown = [cell for cell in cells if cell not in fixed]
    found = []
    for values in compositions(grand - sum(fixed.values()), len(unknown)):
        counts = fixed | dict(zip(unknown, values, strict=True))
        lines = tuple(tuple(counts[r, c] for c in t.columns) for r in t.rows)
        candidate = Table(t.key, t.period, t.rows, t.columns, lines)
        figures = {r: candidate.count(r.row, r.column) for r in t.refs()}
        published = all(
            figures[r] == value
            if isinstance(value := shown.value(r.row, r.column), int)
            else figures[r] >= 1
            for r in figures
        )
        remembered = all(
            figures[r] == t.count(r.row, r.column)
            for r in figures
            if ledger.knows(r, t.count(r.row, r.column))
        )
        if published and remembered:
            found.append(figures)
    return found


def brute_force(
    release: Release, protected: ProtectedRelease, ledger: Ledger
) -> dict[CellRef, Interval]:
    each = [possible(t, s, ledger) for t, s in zip(release.tables, protected.tables, strict=True)]
    combined = (
        {r: v for part in parts for r, v in part.items()} for parts in itertools.product(*each)
    )
    worlds = [w for w in combined if all(w[link.a] == w[link.b] for link in release.links)]
    hidden = [r for s in protected.tables for r, v in s.figures() if isinstance(v, Suppressed)]
    return {r: Interval(min(w[r] for w in worlds), max(w[r] for w in worlds)) for r in hidden}


@st.composite
def tiny_cases(draw: st.DrawFn) -> tuple[Release, ProtectedRelease, Ledger]:
    """One 2x2 or 2x3 table, or two linked 2x2 tables, with small counts; any figures but
    zeros and the grand totals suppressed; a ledger that pins some figures."""
    two = draw(st.booleans())
    columns = 2 if two else draw(st.integers(2, 3))
    top = 3 if two or columns == 3 else 4
    line = st.tuples(*[st.integers(0, top)] * columns)
    tables = [table(key, draw(line), draw(line)) for key in (("a", "b") if two else ("a",))]
    release = Release(tuple(tables))
    if two and (pairs := equal_pairs(release)):
        release = Release(release.tables, (draw(st.sampled_from(pairs)),))
    shown = []
    figures = []
    for t in release.tables:
        hide = {
            (r.row, r.column)
            for r in t.refs()
            if (r.row, r.column) != (TOTAL, TOTAL)
            and t.count(r.row, r.column) > 0
            and draw(st.booleans())
        }
        shown.append(shown_as(t, hide))
        figures += list(t.refs())
    pinned = draw(st.lists(st.sampled_from(figures), max_size=2))
    stale = draw(st.lists(st.sampled_from(figures), max_size=2))
    ledger = Ledger(
        {r: frozenset({release.count(r)}) for r in pinned}
        | {r: frozenset({release.count(r) + 1}) for r in stale}
    )
    return release, ProtectedRelease(tuple(shown), release.links), ledger


@settings(max_examples=80, deadline=None)
@given(tiny_cases())
def test_the_intervals_are_those_of_every_table_a_reader_could_hold_possible(
    case: tuple[Release, ProtectedRelease, Ledger],
) -> None:
    assert intervals(*case) == brute_force(*case)
