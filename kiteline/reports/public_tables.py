"""The public report's tables as one release, and what ties them together. Pure core: no
Django.

Every table says what it counts (``Counts``): the records of a population at each facility,
a row a facility, or split by an attribute's categories with a column a facility. Rules of
how records are kept say which records of one table are among those of another
(``Within``). The links a reader can rely on follow from these declarations, and
``release_of`` refuses a table that does not say what it counts:

- two tables of one population: each facility's totals are one count;
- ``Within``: at each facility, a sum of columns of some tables is at most (or, ``exact``,
  equal to) a sum of columns of others;
- a whole population within another, both split by one attribute: each category's count
  is at most the larger population's in that category.

docs/reports.md ("The public report") lists the relations of the report's tables.
"""

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Protocol

from kiteline.reports.suppression import merge_small
from kiteline.reports.tables import TOTAL, CellRef, Link, Release, Table


class FigureCounts(Protocol):
    """A figure as the database counted it: rows are facility codes (figures.CountTable)."""

    @property
    def key(self) -> str: ...

    @property
    def columns(self) -> tuple[str, ...]: ...

    def count(self, row: str, column: str) -> int: ...


@dataclass(frozen=True)
class Counts:
    """What a table counts: the records of ``population`` at each facility; with an
    ``attribute``, split by its categories (rows) with a column a facility, otherwise a row
    a facility."""

    population: str
    attribute: str | None = None


@dataclass(frozen=True)
class Records:
    """A facility's records in some columns of a table (in all of them when none)."""

    table: str
    columns: tuple[str, ...] = ()


@dataclass(frozen=True)
class Within:
    """At each facility, the records ``part`` (sets that do not overlap) are among the
    records ``whole``; ``exact`` when they are all of them."""

    part: tuple[Records, ...]
    whole: tuple[Records, ...]
    exact: bool = False


def facility_table(count: FigureCounts, period: str, facilities: Collection[str]) -> Table:
    """A figure by facility as a table: a row a facility (by code), in the release's order."""
    return Table(
        key=count.key,
        period=period,
        rows=tuple(facilities),
        columns=count.columns,
        counts=tuple(tuple(count.count(code, c) for c in count.columns) for code in facilities),
    )


def category_table(
    count: FigureCounts, period: str, facilities: Collection[str], merge_into: Mapping[str, str]
) -> Table:
    """A figure by category, turned so that its categories are rows (the ones that merge)
    and its facilities columns, with small categories merged as ``merge_into`` says."""
    table = Table(
        key=count.key,
        period=period,
        rows=count.columns,
        columns=tuple(facilities),
        counts=tuple(tuple(count.count(code, c) for code in facilities) for c in count.columns),
    )
    return merge_small(table, merge_into)


def merged_as(table: Table, other: Table) -> Table:
    """The table with its rows merged as ``other`` merged its own (same rows), whatever
    their size: denials as the decisions they are part of, so that merging them tells a
    reader nothing the decisions' merging did not."""
    if table.rows != other.rows:
        raise ValueError(f"{table.key} cannot merge as {other.key}: other rows.")
    return replace(table, merged=other.merged, mergeable=())


def release_of(
    tables: Sequence[Table],
    counts: Mapping[str, Counts],
    relations: Sequence[Within],
    facilities: Sequence[str],
) -> Release:
    """The tables as one release, with every link that follows from what each counts and
    from ``relations`` (those whose tables it holds). ValueError for a table that does not
    say what it counts or a relation that names a column its table does not have (and, from
    Release, for a link the counts do not bear out)."""
    missing = [t.key for t in tables if t.key not in counts]
    if missing:
        raise ValueError(f"Say what {', '.join(missing)} counts: its links follow from it.")
    by_key = {t.key: t for t in tables}
    populations: dict[str, list[Table]] = {}
    for table in tables:
        populations.setdefault(counts[table.key].population, []).append(table)
    links: list[Link] = []
    for members in populations.values():
        anchor, *others = members
        for table in others:
            links += [
                Link(_records(anchor, counts, f), _records(table, counts, f)) for f in facilities
            ]
    for relation in relations:
        if any(records.table not in by_key for records in (*relation.part, *relation.whole)):
            continue
        for records in (*relation.part, *relation.whole):
            table = by_key[records.table]
            if records.columns and (
                counts[table.key].attribute is not None
                or not set(records.columns) <= set(table.columns)
            ):
                raise ValueError(f"{table.key} has no columns {records.columns}.")
        for f in facilities:
            left, right = (
                tuple(
                    ref
                    for records in side
                    for ref in _records(by_key[records.table], counts, f, records.columns)
                )
                for side in (relation.part, relation.whole)
            )
            links.append(Link(left, right, at_most=not relation.exact))
        links += _by_category(relation, populations, counts)
    return Release(tuple(tables), tuple(links))


def _records(
    table: Table, counts: Mapping[str, Counts], facility: str, columns: tuple[str, ...] = ()
) -> tuple[CellRef, ...]:
    """A facility's records in some columns of a table (all of them when none)."""
    if counts[table.key].attribute is not None:
        return (CellRef(table.key, table.period, TOTAL, facility),)
    return tuple(CellRef(table.key, table.period, facility, c) for c in columns or (TOTAL,))


def _by_category(
    relation: Within,
    populations: Mapping[str, Sequence[Table]],
    counts: Mapping[str, Counts],
) -> list[Link]:
    """For a whole population within (some of) another's records: each category's count at
    most the other's, at each facility, where both are split by the attribute. A merged row
    stands for its own count, so the relation holds whatever each table merged:
    part[r] + whole's rows merged into r ≤ whole[r] + part's rows merged into r."""
    if len(relation.part) != 1 or relation.part[0].columns or len(relation.whole) != 1:
        return []
    part = populations[counts[relation.part[0].table].population]
    whole = populations[counts[relation.whole[0].table].population]
    links = []
    for small in part:
        attribute = counts[small.key].attribute
        large = next((t for t in whole if attribute and counts[t.key].attribute == attribute), None)
        if large is None:
            continue
        if (small.rows, small.columns) != (large.rows, large.columns):
            raise ValueError(f"{small.key} and {large.key} are split by {attribute} differently.")
        for row in small.rows:
            for facility in small.columns:
                left = [CellRef(small.key, small.period, row, facility)]
                left += [CellRef(large.key, large.period, r, facility) for r in _into(large, row)]
                right = [CellRef(large.key, large.period, row, facility)]
                right += [CellRef(small.key, small.period, r, facility) for r in _into(small, row)]
                links.append(Link(tuple(left), tuple(right), at_most=True))
    return links


def _into(table: Table, row: str) -> list[str]:
    return [r for r, target in table.merged if target == row]
