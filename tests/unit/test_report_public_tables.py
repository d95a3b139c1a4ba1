"""The public report's tables as one release: a table must say what it counts, and the links
a reader can rely on follow from that (tables of one population, records of some columns
within those of others, category by category where both are split alike)."""

from collections.abc import Mapping
from dataclasses import dataclass

import pytest

from kiteline.reports.public_tables import (
    Counts,
    Records,
    Within,
    category_table,
    facility_table,
    merged_as,
    release_of,
)
from kiteline.reports.tables import TOTAL, CellRef, Link

PERIOD = "2026Q3"
FACILITIES = ("north", "south")


@dataclass(frozen=True)
class Counted:
    key: str
    columns: tuple[str, ...]
    counts: Mapping[tuple[str, str], int]

    def count(self, row: str, column: str) -> int:
        return self.counts.get((row, column), 0)


def ref(key: str, row: str, column: str) -> CellRef:
    return CellRef(key, PERIOD, row, column)


TOPIC = facility_table(
    Counted("topic", ("talk", "therapy"), {("north", "talk"): 12, ("south", "therapy"): 30}),
    PERIOD,
    FACILITIES,
)
CHANNEL = facility_table(
    Counted(
        "channel",
        ("kiosk", "paper"),
        {("north", "kiosk"): 4, ("north", "paper"): 8, ("south", "paper"): 30},
    ),
    PERIOD,
    FACILITIES,
)
VISITS = facility_table(
    Counted("visits", ("on time", "late"), {("north", "late"): 4, ("south", "on time"): 9}),
    PERIOD,
    FACILITIES,
)
COUNTS = {
    "topic": Counts("requests"),
    "channel": Counts("requests"),
    "visits": Counts("visits"),
}


def test_a_table_that_does_not_say_what_it_counts_is_refused() -> None:
    with pytest.raises(ValueError, match="Say what visits counts"):
        release_of([TOPIC, VISITS], {"topic": Counts("requests")}, (), FACILITIES)


def test_two_tables_of_one_population_show_each_facility_total_once() -> None:
    release = release_of([TOPIC, CHANNEL, VISITS], COUNTS, (), FACILITIES)
    assert release.links == (
        Link((ref("topic", "north", TOTAL),), (ref("channel", "north", TOTAL),)),
        Link((ref("topic", "south", TOTAL),), (ref("channel", "south", TOTAL),)),
    )


def test_records_within_others_are_a_sum_at_most_another_at_each_facility() -> None:
    within = Within((Records("visits"), Records("channel", ("kiosk",))), (Records("topic"),))
    release = release_of([TOPIC, CHANNEL, VISITS], COUNTS, (within,), FACILITIES)
    assert (
        Link(
            (ref("visits", "north", TOTAL), ref("channel", "north", "kiosk")),
            (ref("topic", "north", TOTAL),),
            at_most=True,
        )
        in release.links
    )
    # A relation the counts do not bear out is refused, not published from.
    wrong = Within((Records("topic"),), (Records("visits"),))
    with pytest.raises(ValueError, match="do not bear the link out"):
        release_of([TOPIC, CHANNEL, VISITS], COUNTS, (wrong,), FACILITIES)
    unknown = Within((Records("visits", ("never",)),), (Records("topic"),))
    with pytest.raises(ValueError, match="has no columns"):
        release_of([TOPIC, CHANNEL, VISITS], COUNTS, (unknown,), FACILITIES)


def test_a_relation_between_tables_the_release_does_not_hold_is_left_out() -> None:
    within = Within((Records("visits"),), (Records("absent"),))
    assert release_of([TOPIC, VISITS], COUNTS, (within,), FACILITIES).links == ()


SEXES = ("Female", "Male", "Another")


def by_sex(key: str, counts: dict[tuple[str, str], int]) -> Counted:
    return Counted(key, SEXES, counts)


def test_a_part_split_like_its_whole_is_at_most_it_in_each_category_whatever_merged() -> None:
    # Female merges in both (2 and 1); Male is shown in decisions (14) but merges in the
    # denials (3) by its size: Another's own denials are still at most its own decisions.
    decisions = category_table(
        by_sex("decisions_by_sex", {("north", "Female"): 2, ("north", "Male"): 14}),
        PERIOD,
        ("north",),
        {"Female": "Another", "Male": "Another"},
    )
    denials = category_table(
        by_sex("denials_by_sex", {("north", "Female"): 1, ("north", "Male"): 3}),
        PERIOD,
        ("north",),
        {"Female": "Another", "Male": "Another"},
    )
    counts = {
        "decisions_by_sex": Counts("decisions", "sex"),
        "denials_by_sex": Counts("denials", "sex"),
    }
    within = Within((Records("denials_by_sex"),), (Records("decisions_by_sex"),))
    release = release_of([decisions, denials], counts, (within,), ("north",))
    assert (
        Link(
            (ref("denials_by_sex", "Another", "north"), ref("decisions_by_sex", "Female", "north")),
            (
                ref("decisions_by_sex", "Another", "north"),
                ref("denials_by_sex", "Female", "north"),
                ref("denials_by_sex", "Male", "north"),
            ),
            at_most=True,
        )
        in release.links
    )
    assert (
        Link(
            (ref("denials_by_sex", "Male", "north"),),
            (ref("decisions_by_sex", "Male", "north"),),
            at_most=True,
        )
        in release.links
    )


def test_denials_merge_where_decisions_do_whatever_their_size() -> None:
    decisions = category_table(
        by_sex("decisions_by_sex", {("north", "Female"): 2, ("north", "Male"): 14}),
        PERIOD,
        ("north",),
        {"Female": "Another", "Male": "Another"},
    )
    denials = category_table(
        by_sex("denials_by_sex", {("north", "Female"): 1, ("north", "Male"): 3}),
        PERIOD,
        ("north",),
        {"Female": "Another", "Male": "Another"},
    )
    assert dict(denials.merged) == {"Female": "Another", "Male": "Another"}
    same = merged_as(denials, decisions)
    assert same.merged == decisions.merged == (("Female", "Another"),)
    assert same.mergeable == ()  # merged as the decisions are, not for being small
    assert same.count("Male", TOTAL) == 3
