"""The suppression engine: every count from 1 to 10 suppressed, totals included; enough
complements that none can be derived, checked by the independent check, with links and
earlier releases; zeros published; small rows merged and marked; percentages only of
published counts. Also the random releases the disclosure tests use."""

import itertools
import json
from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kiteline.reports import suppression
from kiteline.reports.disclosure import Finding, check
from kiteline.reports.suppression import SuppressionError, merge_small, protect, share
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
    Sum,
    Suppressed,
    Table,
    public_text,
)

PERIOD = "2026Q3"
NONE = Ledger()


def table(key: str, *counts: tuple[int, ...], period: str = PERIOD) -> Table:
    """A table with rows a, b, c... and columns x, y, z..."""
    rows = tuple("abcdefgh"[: len(counts)])
    return Table(key, period, rows, tuple("xyzw"[: len(counts[0])]), counts)


def ref(key: str, row: str, column: str, period: str = PERIOD) -> CellRef:
    return CellRef(key, period, row, column)


def earlier(t: Table | Release, values: dict[CellRef, set[int]]) -> Ledger:
    """A ledger in which earlier releases published these figures, of tables shaped as
    ``t``'s, with these values."""
    release = Release((t,)) if isinstance(t, Table) else t
    return Ledger(
        {
            release.table(r.table, r.period).sum_of(r.row, r.column): frozenset(v)
            for r, v in values.items()
        }
    )


def hidden(protected: ProtectedTable) -> dict[tuple[str, str], Reason]:
    return {
        (r.row, r.column): shown.reason
        for r, shown in protected.figures()
        if isinstance(shown, Suppressed)
    }


def protect_one(t: Table, ledger: Ledger = NONE) -> ProtectedTable:
    release = Release((t,))
    protected = protect(release, ledger)
    assert check(release, protected, ledger) == ()
    return protected.tables[0]


def test_a_single_small_cell_gets_a_complement_in_its_row_and_in_its_column() -> None:
    shown = protect_one(table("k", (3, 12, 40), (20, 30, 50), (25, 15, 60)))
    assert hidden(shown) == {
        ("a", "x"): Reason.PRIMARY,
        ("a", "y"): Reason.COMPLEMENTARY,  # the smallest other cell of its row
        ("b", "x"): Reason.COMPLEMENTARY,  # the smallest other cell of its column
        ("b", "y"): Reason.COMPLEMENTARY,  # mends row b and column y at once
    }
    assert shown.value("a", TOTAL) == 55
    assert shown.value(TOTAL, "x") == 48


def test_a_complement_that_mends_a_row_and_a_column_at_once_is_preferred() -> None:
    # 3 and 4 leave rows a and b and columns x and y with one hidden cell each: 30 mends row
    # a and column y at once, where 20, though smaller, would mend row a alone.
    shown = protect_one(table("k", (3, 30, 20), (40, 4, 50), (60, 70, 80)))
    assert hidden(shown) == {
        ("a", "x"): Reason.PRIMARY,
        ("b", "y"): Reason.PRIMARY,
        ("a", "y"): Reason.COMPLEMENTARY,
        ("b", "x"): Reason.COMPLEMENTARY,
    }


def test_a_total_from_1_to_10_is_suppressed() -> None:
    shown = protect_one(table("k", (4, 0, 0), (0, 30, 40), (0, 25, 50)))
    assert hidden(shown)["a", TOTAL] is Reason.PRIMARY
    assert hidden(shown)[TOTAL, "x"] is Reason.PRIMARY
    assert shown.value("a", "y") == 0


def test_a_row_whose_small_cells_add_up_to_little_gets_another_complement() -> None:
    # Hiding only 2 and 3 would tell a reader both are from 1 to 4.
    shown = protect_one(table("k", (2, 3, 40), (30, 30, 50), (25, 15, 60)))
    assert ("a", "z") in hidden(shown) or ("a", TOTAL) in hidden(shown)


@pytest.mark.parametrize(
    "counts",
    [
        ((3, 12, 40), (20, 30, 50), (25, 15, 60)),
        ((3, 30, 20), (40, 4, 50), (60, 70, 80)),
        ((2, 3, 40), (30, 30, 50), (25, 15, 60)),
        ((4, 0, 0), (0, 30, 40), (0, 25, 50)),
    ],
)
def test_the_heuristic_alone_protects_a_plain_table_so_the_check_runs_once(
    counts: tuple[tuple[int, ...], ...], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert checks_run(Release((table("k", *counts),)), NONE, monkeypatch) == [()]


def checks_run(
    release: Release, ledger: Ledger, monkeypatch: pytest.MonkeyPatch
) -> list[tuple[Finding, ...]]:
    """What each run of the check found while protecting ``release``."""
    runs: list[tuple[Finding, ...]] = []

    def counted(
        release: Release, protected: ProtectedRelease, ledger: Ledger
    ) -> tuple[Finding, ...]:
        runs.append(check(release, protected, ledger))
        return runs[-1]

    monkeypatch.setattr(suppression, "check", counted)
    protect(release, ledger)
    return runs


def test_zeros_stay_published_and_read_differently_from_suppressed_cells() -> None:
    shown = protect_one(table("k", (0, 5, 0), (0, 30, 40), (0, 25, 50)))
    assert shown.value("a", "x") == 0
    assert shown.value(TOTAL, "x") == 0
    assert isinstance(shown.value("a", "y"), Suppressed)
    assert public_text(shown.value("a", "x")) == "0"
    assert public_text(shown.value("a", "y")) == "suppressed"
    # Both reasons read the same: the reason would tell a reader whether the count is small.
    assert public_text(Suppressed(Reason.PRIMARY)) == public_text(Suppressed(Reason.COMPLEMENTARY))


def test_nothing_is_suppressed_in_a_table_without_small_counts() -> None:
    assert hidden(protect_one(table("k", (0, 12), (30, 45)))) == {}


def test_a_link_to_a_suppressed_figure_is_suppressed_at_its_other_end_too() -> None:
    # The grand total of `a` is 9; `b` counts the same kites another way.
    a = table("a", (4, 5), (0, 0))
    b = table("b", (0, 9), (0, 0))
    release = Release((a, b), links=(Link(ref("a", TOTAL, TOTAL), ref("b", TOTAL, TOTAL)),))
    protected = protect(release, NONE)
    assert isinstance(protected.value(ref("b", TOTAL, TOTAL)), Suppressed)
    assert check(release, protected, NONE) == ()


def test_a_complement_linked_to_a_count_of_another_table_is_suppressed_there_too() -> None:
    # Row a's complement (12) is the same count as a cell of a table with no small count.
    a = table("a", (3, 12, 40), (20, 30, 50), (25, 15, 60))
    b = table("b", (12, 11), (40, 50))
    link = Link(ref("a", "a", "y"), ref("b", "a", "x"))
    release = Release((a, b), links=(link,))
    protected = protect(release, NONE)
    assert isinstance(protected.value(ref("a", "a", "y")), Suppressed)
    assert isinstance(protected.value(ref("b", "a", "x")), Suppressed)
    assert check(release, protected, NONE) == ()


def test_protect_does_not_count_on_a_complement_that_an_earlier_release_published() -> None:
    t = table("k", (3, 12, 40), (20, 30, 50), (25, 15, 60))
    ledger = earlier(t, {ref("k", "a", "y"): {12}})
    shown = protect_one(t, ledger)
    assert ("a", "y") not in hidden(shown)
    assert len([cell for cell in hidden(shown) if cell[0] == "a"]) >= 2


def test_protect_does_not_count_on_a_complement_that_earlier_releases_let_a_reader_derive(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Column y's other cells and total were published as they are: 12 follows from them.
    t = table("k", (3, 12, 40), (20, 30, 50), (25, 15, 60))
    ledger = earlier(t, {ref("k", r, "y"): {t.count(r, "y")} for r in ("b", "c", TOTAL)})
    shown = protect_one(t, ledger)
    assert ("a", "y") not in hidden(shown)
    assert len([cell for cell in hidden(shown) if cell[0] == "a"]) >= 2
    assert checks_run(Release((t,)), ledger, monkeypatch) == [()]


def test_an_earlier_value_that_has_since_changed_does_not_hold_protect_back() -> None:
    t = table("k", (3, 12, 40), (20, 30, 50), (25, 15, 60))
    stale = earlier(t, {ref("k", "a", "y"): {13}})
    assert protect_one(t, stale) == protect_one(t)


def test_protect_refuses_when_an_earlier_release_published_the_small_count() -> None:
    t = table("k", (3, 12, 40), (20, 30, 50), (25, 15, 60))
    with pytest.raises(SuppressionError):
        protect(Release((t,)), earlier(t, {ref("k", "a", "x"): {3}}))


def test_protect_refuses_when_an_earlier_total_confines_two_small_counts() -> None:
    # Column z held 0 and 11 when it was published; now 8 and 3, total still 11.
    t = table("k", (0, 49, 0), (52, 0, 8), (0, 0, 3))
    with pytest.raises(SuppressionError, match="withhold the table"):
        protect(Release((t,)), earlier(t, {ref("k", TOTAL, "z"): {11}}))


def test_a_count_above_10_that_earlier_releases_pin_is_published_rather_than_hidden() -> None:
    # Row a of `a` is published before as 24 in all, and both its counts are the one count
    # of `b`: a reader knows each is 12, however much is hidden.
    a = table("a", (12, 12, 0), (3, 20, 30))
    b = table("b", (12,))
    links = (
        Link(ref("a", "a", "x"), ref("b", "a", "x")),
        Link(ref("a", "a", "y"), ref("b", "a", "x")),
    )
    release = Release((a, b), links)
    ledger = earlier(release, {ref("a", "a", TOTAL): {24}})
    protected = protect(release, ledger)
    assert protected.value(ref("a", "a", "x")) == 12
    assert check(release, protected, ledger) == ()


def test_the_ledger_keeps_what_each_published_figure_adds_up_in_one_json_form() -> None:
    merged = merge_small(table("race", (30, 20), (2, 3), (15, 40)), {"b": "c"})
    ledger = NONE.record(protect(Release((merged,)), NONE))
    # Row c's figures add up its own counts and b's, merged into it.
    assert ledger.knows(Sum("race", PERIOD, frozenset("bc"), frozenset("x")), 17)
    assert ledger.knows(Sum("race", PERIOD, frozenset("abc"), frozenset("xy")), 110)
    assert not ledger.knows(Sum("race", PERIOD, frozenset("c"), frozenset("x")), 17)
    stored = json.loads(json.dumps(ledger.as_json()))
    assert Ledger.from_json(stored) == ledger
    assert {"table": "race", "period": PERIOD, "rows": ["b", "c"], "columns": ["x"]}.items() <= (
        next(e for e in stored if e["rows"] == ["b", "c"] and e["columns"] == ["x"]).items()
    )
    # Two releases' entries read together: every value each figure was published with.
    again = Ledger.from_json(
        [
            *stored,
            {
                "table": "race",
                "period": PERIOD,
                "rows": ["b", "c"],
                "columns": ["x"],
                "values": [18],
            },
        ]
    )
    assert again.values[Sum("race", PERIOD, frozenset("bc"), frozenset("x"))] == {17, 18}


def test_protect_is_deterministic() -> None:
    release = Release(
        (table("a", (3, 12, 40), (7, 30, 5), (25, 0, 60)), table("b", (1, 2), (40, 50)))
    )
    assert protect(release, NONE) == protect(release, NONE)


def test_merge_small_moves_a_small_row_into_its_target_and_marks_it() -> None:
    t = table("race", (30, 20), (2, 3), (15, 40))
    merged = merge_small(t, {"b": "c"})
    assert merged.merged_into("b") == "c"
    assert merged.count("c", "x") == 17  # its own 15 and b's 2
    assert merged.count("b", "x") == 2  # b's own count, kept though not published
    assert merged.rows == t.rows  # the shape stays fixed
    assert merged.counts == t.counts


def test_merge_small_merges_again_when_the_target_becomes_small() -> None:
    t = table("race", (30, 20), (2, 3), (1, 0), (15, 40))
    merged = merge_small(t, {"b": "c", "c": "d"})
    assert dict(merged.merged) == {"b": "d", "c": "d"}
    assert (merged.count("d", "x"), merged.count("d", "y")) == (18, 43)


def test_merge_small_leaves_a_large_row_and_a_row_with_no_target_alone() -> None:
    t = table("race", (30, 20), (2, 3), (15, 40))
    assert merge_small(t, {"a": "c"}).merged == ()
    assert merge_small(t, {}) == t


def test_merge_small_merges_an_empty_row_too_so_that_merged_never_means_small() -> None:
    merged = merge_small(table("race", (30, 20), (0, 0), (15, 40)), {"b": "c"})
    assert merged.merged_into("b") == "c"


def test_merge_small_refuses_a_circle_and_an_unknown_row() -> None:
    t = table("race", (3, 2), (2, 3), (15, 40))
    with pytest.raises(ValueError, match="circle"):
        merge_small(t, {"a": "b", "b": "a"})
    with pytest.raises(ValueError, match="cannot merge"):
        merge_small(t, {"a": "nobody"})


def test_protect_shows_a_merged_row_as_merged_and_not_as_zero() -> None:
    merged = merge_small(table("race", (30, 20), (2, 3), (15, 40)), {"b": "c"})
    shown = protect_one(merged)
    assert shown.shown[1] == (Merged("c"),) * 3
    assert public_text(shown.value("b", "x")) == "merged into c"
    assert shown.value("c", "x") == 17


def test_share_is_given_only_where_numerator_and_denominator_are_published() -> None:
    assert share(12, 48) == 0.25
    assert share(0, 48) == 0.0
    assert share(Suppressed(Reason.PRIMARY), 48) is None
    assert share(12, Suppressed(Reason.COMPLEMENTARY)) is None
    assert share(0, 0) is None
    assert share(Merged("c"), 48) is None


# Random releases (also used by the disclosure tests). Each example runs CP-SAT a few hundred
# times, so its time depends on the shared machine's load: no deadline.

COUNTS = st.one_of(st.just(0), st.integers(1, SMALL), st.integers(1, SMALL), st.integers(11, 60))


@st.composite
def tables(draw: st.DrawFn, key: str, rows: tuple[int, int] = (2, 5)) -> Table:
    n = draw(st.integers(*rows))
    m = draw(st.integers(2, 4))
    counts = draw(st.lists(st.lists(COUNTS, min_size=m, max_size=m), min_size=n, max_size=n))
    return table(key, *(tuple(line) for line in counts))


def equal_pairs(release: Release) -> list[Link]:
    figures = [(r, release.count(r)) for t in release.tables for r in t.refs()]
    return [
        Link(a, b)
        for i, (a, count) in enumerate(figures)
        for b, other in figures[i + 1 :]
        if a.table != b.table and count == other
    ]


@st.composite
def releases(draw: st.DrawFn, size: tuple[int, int] = (1, 3)) -> Release:
    """Random tables, with random links between figures that are the same count."""
    number = draw(st.integers(*size))
    unlinked = Release(tuple(draw(tables(f"t{i}")) for i in range(number)))
    pairs = equal_pairs(unlinked)
    links = draw(st.lists(st.sampled_from(pairs), max_size=3, unique=True)) if pairs else []
    return replace(unlinked, links=tuple(links))


@st.composite
def earlier_ledgers(draw: st.DrawFn, release: Release) -> Ledger:
    """What a protected release of the same tables (and the links that held then)
    published before some counts changed, with a few stale values besides."""
    tables = tuple(
        replace(
            t,
            counts=tuple(
                tuple(draw(st.one_of(st.just(n), COUNTS)) for n in line) for line in t.counts
            ),
        )
        for t in release.tables
    )
    unlinked = Release(tables)
    held = tuple(
        k for k in release.links if unlinked.count(k.left[0]) == unlinked.count(k.right[0])
    )
    ledger = NONE.record(protect(Release(tables, held), NONE))
    figures = [r for t in release.tables for r in t.refs()]
    stale = draw(st.lists(st.sampled_from(figures), max_size=3))
    return Ledger(
        dict(ledger.values)
        | dict(earlier(release, {r: {release.count(r) + 1} for r in stale}).values)
    )


def hide_all_that_can_be(release: Release, ledger: Ledger) -> ProtectedRelease:
    """Every figure suppressed but the zeros and those earlier releases published as they
    are now: no protection hides more."""
    assert not any(t.merged for t in release.tables)
    return ProtectedRelease(
        tuple(
            ProtectedTable(
                t.key,
                t.period,
                t.rows,
                t.columns,
                tuple(
                    tuple(
                        Suppressed(Reason.COMPLEMENTARY)
                        if (n := release.count(r)) > 0
                        and not ledger.knows(t.sum_of(r.row, r.column), n)
                        else n
                        for r in refs
                    )
                    for refs in itertools.batched(t.refs(), len(t.columns) + 1)
                ),
            )
            for t in release.tables
        ),
        release.links,
    )


def assert_nothing_small_is_published(release: Release, protected: ProtectedRelease) -> None:
    for t in protected.tables:
        for r, shown in t.figures():
            if isinstance(shown, int):
                assert not 1 <= shown <= SMALL, r
            elif isinstance(shown, Suppressed):
                assert release.count(r) > 0, f"{r} is suppressed but 0"
    for link in release.links:
        ends = {isinstance(protected.value(r), Suppressed) for r in (*link.left, *link.right)}
        assert len(ends) == 1, f"{link} is suppressed at one end only"


@settings(max_examples=60, deadline=None)
@given(releases())
def test_a_protected_release_passes_the_check_and_publishes_no_small_count(
    release: Release,
) -> None:
    protected = protect(release, NONE)
    assert check(release, protected, NONE) == ()
    assert_nothing_small_is_published(release, protected)


@settings(max_examples=40, deadline=None)
@given(st.data())
def test_a_release_protected_against_an_earlier_one_passes_the_check_or_cannot_be(
    data: st.DataObject,
) -> None:
    release = data.draw(releases(size=(1, 2)))
    ledger = data.draw(earlier_ledgers(release))
    try:
        protected = protect(release, ledger)
    except SuppressionError:
        # Only when even hiding all it may still lets a reader learn a small count.
        findings = check(release, hide_all_that_can_be(release, ledger), ledger)
        assert any(1 <= release.count(f.cell) <= SMALL for f in findings)
        return
    assert check(release, protected, ledger) == ()
    assert_nothing_small_is_published(release, protected)


@settings(max_examples=30, deadline=None)
@given(tables("race", rows=(3, 5)), st.data())
def test_a_merged_table_keeps_its_shape_and_its_totals(t: Table, data: st.DataObject) -> None:
    # Each row may merge into a later one, so that merging never goes round in a circle.
    merge_into = {
        row: data.draw(st.sampled_from(t.rows[i + 1 :]))
        for i, row in enumerate(t.rows[:-1])
        if data.draw(st.booleans())
    }
    merged = merge_small(t, merge_into)
    assert merged.rows == t.rows
    assert merged.columns == t.columns
    for column in (*t.columns, TOTAL):
        assert merged.count(TOTAL, column) == t.count(TOTAL, column)
    into = dict(merged.merged)
    for row in t.rows:
        if row in into:
            assert row in merge_into
            assert into[row] not in into
        else:
            assert row not in merge_into or merged.count(row, TOTAL) > SMALL
    shown = protect_one(merged)
    assert_nothing_small_is_published(Release((merged,)), ProtectedRelease((shown,)))
