"""Stacked bar charts drawn on the server as SVG geometry (pure core, no Django): one bar a
row, one segment a column, each segment's share of the row's length by its count. The page
needs no script and no library, and the same numbers stand beside it as a table and CSV."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

WIDTH = 640
BAR = 18
GAP = 8
LABEL = 90  # room on the left for the row's label
# Segments cycle through this many CSS classes (`seg-0` …), styled in reports.css.
PALETTE = 6


@dataclass(frozen=True)
class Segment:
    x: float
    width: float
    column: str
    count: int
    css: str


@dataclass(frozen=True)
class Bar:
    label: str
    y: float
    segments: tuple[Segment, ...]


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    bars: tuple[Bar, ...]
    legend: tuple[tuple[str, str], ...]  # (column, css class)


def stacked_bars(
    rows: Sequence[str], columns: Sequence[str], counts: Mapping[tuple[str, str], int]
) -> Chart:
    """Bars on one scale, the largest row's total filling the width, so rows compare."""
    totals = {row: sum(counts.get((row, c), 0) for c in columns) for row in rows}
    largest = max(totals.values(), default=0)
    scale = (WIDTH - LABEL) / largest if largest else 0.0
    css = {column: f"seg-{n % PALETTE}" for n, column in enumerate(columns)}
    bars = []
    for index, row in enumerate(rows):
        x = float(LABEL)
        segments = []
        for column in columns:
            count = counts.get((row, column), 0)
            if count:
                width = count * scale
                segments.append(Segment(round(x, 1), round(width, 1), column, count, css[column]))
                x += width
        bars.append(Bar(row, index * (BAR + GAP), tuple(segments)))
    height = max(1, len(rows)) * (BAR + GAP)
    return Chart(WIDTH, height, tuple(bars), tuple(css.items()))
