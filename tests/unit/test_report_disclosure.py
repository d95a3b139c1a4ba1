"""The independent check: it finds hand-made leaks (one suppressed cell in a row, two tables
that leak through a shared total, an earlier release that pins a cell), its intervals equal
those found by enumerating every table a reader could hold possible, and it shares nothing
with the suppression engine."""

import ast
import itertools
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import kiteline.reports.disclosure
from kiteline.reports.disclosure import Finding, Interval, Problem, check, intervals
from kiteline.reports.suppression import SuppressionError, merge_small, protect
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
    Sum,
    Suppressed,
    Table,
)
from tests.unit.test_report_suppression import PERIOD, earlier, equal_pairs, ref, table

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
    ledger = earlier(T, {ref("k", "a", "y"): {12}})
    assert problems(check(release, protected, ledger)) == {
        ("a", "y", Problem.DERIVABLE),  # hidden now, but published before
        ("a", "x", Problem.DERIVABLE),
        ("b", "x", Problem.DERIVABLE),
        ("b", "y", Problem.DERIVABLE),
    }


def test_a_ledger_entry_that_no_longer_holds_pins_nothing() -> None:
    release, protected = Release((T,)), ProtectedRelease((shown_as(T, RECTANGLE),))
    stale = earlier(T, {ref("k", "a", "y"): {11, 13}})
    assert check(release, protected, stale) == ()


def test_an_earlier_figure_that_adds_up_counts_this_release_does_not_hold_is_refused() -> None:
    """Rows a and z together, published before: whether that still holds cannot be told
    without z, so the check refuses rather than guess (the build refuses such releases
    first). One of z alone shares nothing with this release and is left out."""
    protected = ProtectedRelease((shown_as(T, RECTANGLE),))
    partly = Ledger({Sum("k", PERIOD, frozenset({"a", "z"}), frozenset({"x"})): frozenset({9})})
    with pytest.raises(ValueError, match="holds only some"):
        check(Release((T,)), protected, partly)
    apart = Ledger({Sum("k", PERIOD, frozenset({"z"}), frozenset({"x"})): frozenset({9})})
    assert check(Release((T,)), protected, apart) == ()


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
        "race",
        "2026Q3",
        ("a", "b", "c"),
        ("x", "y"),
        ((30, 20), (0, 0), (17, 43)),
        merged=(("b", "c"),),
        mergeable=(("b", "c"),),
    )
    assert check(Release((t,)), ProtectedRelease((shown_as(t, set()),)), NONE) == ()


# A facility's overrides are its decisions' two "overridden" columns: a sum, not a pair.
DECISIONS = Table(
    "decisions",
    PERIOD,
    ("north",),
    ("eligible", "eligible, overridden", "not eligible", "not eligible, overridden"),
    ((5, 0, 5, 37),),
)
OVERRIDES = Table("overrides", PERIOD, ("north",), ("judgement", "safety", "other"), ((0, 37, 0),))
OVERRIDDEN = Link(
    ref("overrides", "north", TOTAL),
    (
        ref("decisions", "north", "eligible, overridden"),
        ref("decisions", "north", "not eligible, overridden"),
    ),
)


def test_a_sum_of_figures_in_another_table_lets_a_reader_confine_small_counts() -> None:
    # Protected as if the tables were unrelated, "not eligible, overridden" (37) is the
    # only complement of the two 5s; the overrides table publishes it.
    unrelated = protect(Release((DECISIONS, OVERRIDES)), NONE)
    related = Release((DECISIONS, OVERRIDES), (OVERRIDDEN,))
    findings = check(related, replace(unrelated, links=related.links), NONE)
    assert ("north", "eligible", Problem.CONFINED) in problems(findings)
    assert ("north", "not eligible", Problem.CONFINED) in problems(findings)
    assert check(related, protect(related, NONE), NONE) == ()


EQUITY = Table(
    "race",
    PERIOD,
    ("White", "Black", "Hispanic", "Another"),
    ("north",),
    ((50,), (30,), (12,), (4,)),
)


def test_a_category_that_could_have_merged_and_did_not_holds_11_or_more() -> None:
    # Hispanic (12) hides Another (4) in their column: 16 between them. A reader told that
    # Hispanic would have been merged had it held 10 or less knows Another is at most 5.
    t = merge_small(EQUITY, dict.fromkeys(EQUITY.rows[:-1], "Another"))
    assert t.merged == ()
    hide = {(r, c) for r in ("Hispanic", "Another") for c in ("north", TOTAL)}
    findings = check(Release((t,)), ProtectedRelease((shown_as(t, hide),)), NONE)
    assert ("Another", "north", Problem.CONFINED) in problems(findings)
    # Without the rule, the same figures leave Another anywhere from 1 to 15.
    assert check(Release((EQUITY,)), ProtectedRelease((shown_as(EQUITY, hide),)), NONE) == ()


def test_a_row_merged_for_being_small_held_10_or_less() -> None:
    # Denials are part of decisions in each category. English decisions are shown (15);
    # English denials (6) merged for being small; nobody else has a decision. A reader
    # learns that every denial is English, so at most 10: merging denials where decisions
    # merge tells nothing more.
    decisions = merge_small(
        Table("decisions", PERIOD, ("English", "Another"), ("north",), ((15,), (0,))),
        {"English": "Another"},
    )
    part = Table("denials", PERIOD, ("English", "Another"), ("north",), ((6,), (0,)))
    english, another = (
        Link(ref("denials", "English", "north"), ref("decisions", "English", "north"), True),
        # Another's own denials at most its own decisions; English's denials are in it.
        Link(
            ref("denials", "Another", "north"),
            (ref("decisions", "Another", "north"), ref("denials", "English", "north")),
            True,
        ),
    )
    by_size = merge_small(part, {"English": "Another"})
    release = Release((decisions, by_size), (english, another))
    findings = check(release, protect(Release((decisions, by_size)), NONE), NONE)
    assert ("Another", "north", Problem.CONFINED) in problems(findings)
    with pytest.raises(SuppressionError):
        protect(release, NONE)
    as_decisions = Release(
        (decisions, replace(part, merged=decisions.merged)),
        (english, replace(another, b=ref("decisions", "Another", "north"))),
    )
    assert check(as_decisions, protect(as_decisions, NONE), NONE) == ()


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


def compositions(total: int, parts: int, least: int = 1) -> Iterator[tuple[int, ...]]:
    """Every way to write ``total`` as ``parts`` whole numbers of at least ``least``."""
    if parts == 0:
        if total == 0:
            yield ()
        return
    for first in range(least, total - least * (parts - 1) + 1):
        for rest in compositions(total - first, parts - 1, least):
            yield (first, *rest)


def possible(t: Table, shown: ProtectedTable, ledger: Ledger) -> list[dict[CellRef, int]]:
    """Every table (as its figures, and its merged rows' own counts) consistent with what
    ``shown`` publishes, where each suppressed figure is at least 1, with what its merging
    rule says, and with the ledger's entries that still hold."""
    grand = shown.value(TOTAL, TOTAL)
    assert isinstance(grand, int), "the grand total bounds the enumeration"
    into = dict(t.merged)
    cells = list(itertools.product(t.rows, t.columns))
    # A published cell of a row that nothing was merged into is that row's own count.
    fixed = {
        (r, c): value
        for r, c in cells
        if r not in into and r not in into.values() and isinstance(value := shown.value(r, c), int)
    }
    unknown = [cell for cell in cells if cell not in fixed]
    found = []
    for values in compositions(grand - sum(fixed.values()), len(unknown), least=0):
        own = fixed | dict(zip(unknown, values, strict=True))
        lines = tuple(tuple(own[r, c] for c in t.columns) for r in t.rows)
        candidate = Table(t.key, t.period, t.rows, t.columns, lines, merged=t.merged)
        figures = {r: candidate.count(r.row, r.column) for r in t.refs()}
        published = all(
            figures[r] == value
            if isinstance(value := shown.value(r.row, r.column), int)
            else figures[r] >= 1
            for r in figures
        )
        merging = all(
            sum(candidate.counts[t.rows.index(row)]) <= SMALL
            if row in into
            else candidate.count(row, TOTAL) > SMALL
            for row, _ in t.mergeable
        )
        remembered = all(
            sum(own[r, c] for r in figure.rows for c in figure.columns) == true
            for figure, values in ledger.values.items()
            if figure.table == t.key and (true := sum_of(t, figure)) in values
        )
        if published and merging and remembered:
            for row in into:
                for column in (*t.columns, TOTAL):
                    figures[CellRef(t.key, t.period, row, column)] = candidate.count(row, column)
            found.append(figures)
    return found


def sum_of(t: Table, figure: Sum) -> int:
    return sum(
        t.counts[t.rows.index(r)][t.columns.index(c)] for r in figure.rows for c in figure.columns
    )


def holds(link: Link, world: dict[CellRef, int]) -> bool:
    left, right = (sum(world[r] for r in side) for side in (link.left, link.right))
    return left <= right if link.at_most else left == right


def brute_force(
    release: Release, protected: ProtectedRelease, ledger: Ledger
) -> dict[CellRef, Interval]:
    each = [possible(t, s, ledger) for t, s in zip(release.tables, protected.tables, strict=True)]
    combined = (
        {r: v for part in parts for r, v in part.items()} for parts in itertools.product(*each)
    )
    worlds = [w for w in combined if all(holds(link, w) for link in release.links)]
    hidden = [r for s in protected.tables for r, v in s.figures() if isinstance(v, Suppressed)]
    return {r: Interval(min(w[r] for w in worlds), max(w[r] for w in worlds)) for r in hidden}


def relations(release: Release) -> dict[str, list[Link]]:
    """Links that hold between two tables, by kind: equal figures, a figure and the sum of
    two cells, a figure at most another."""
    a, b = ([(r, release.count(r)) for r in t.refs()] for t in release.tables)
    cells = [(r, n) for r, n in b if TOTAL not in (r.row, r.column)]
    return {
        "equal": equal_pairs(release),
        "sum": [
            Link(x, (y, z))
            for x, n in a
            for (y, m), (z, k) in itertools.combinations(cells, 2)
            if n == m + k
        ],
        "at most": [Link(x, y, at_most=True) for x, n in a for y, m in b if n < m],
    }


LINK_KINDS = ("equal", "sum", "at most")


@st.composite
def tiny_cases(draw: st.DrawFn) -> tuple[Release, ProtectedRelease, Ledger]:
    """One 2x2 or 2x3 table, or two 2x2 tables joined by a link (equal figures, a sum, an
    inequality), or one table whose rows merge when small; small counts; any figures but
    zeros and the grand totals suppressed; a ledger that pins some figures."""
    kind = draw(st.sampled_from(["one", "two", "merged"]))
    if kind == "merged":
        # Rows a and b merge into c when they hold 10 or less: one column, so that the
        # counts stay few enough to list every table.
        counts = [draw(st.sampled_from([0, 2, 5, 11, 13])) for _ in "ab"]
        t = Table("a", PERIOD, ("a", "b", "c"), ("x",), ((counts[0],), (counts[1],), (3,)))
        tables = [merge_small(t, {"a": "c", "b": "c"})]
    else:
        columns = 2 if kind == "two" else draw(st.integers(2, 3))
        top = 3 if kind == "two" or columns == 3 else 4
        line = st.tuples(*[st.integers(0, top)] * columns)
        keys = ("a", "b") if kind == "two" else ("a",)
        tables = [table(key, draw(line), draw(line)) for key in keys]
    release = Release(tuple(tables))
    if kind == "two" and (links := relations(release)[draw(st.sampled_from(LINK_KINDS))]):
        release = Release(release.tables, (draw(st.sampled_from(links)),))
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
    ledger = earlier(
        release,
        {r: {release.count(r)} for r in pinned} | {r: {release.count(r) + 1} for r in stale},
    )
    return release, ProtectedRelease(tuple(shown), release.links), ledger


@settings(max_examples=120, deadline=None)
@given(tiny_cases())
def test_the_intervals_are_those_of_every_table_a_reader_could_hold_possible(
    case: tuple[Release, ProtectedRelease, Ledger],
) -> None:
    assert intervals(*case) == brute_force(*case)
