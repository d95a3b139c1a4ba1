"""A chart of one instrument's totals over time, drawn on the server as SVG coordinates
(pure core, no Django): the page needs no script and no library, and the numbers stay
beside it as a table."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

WIDTH, HEIGHT = 600, 200
MARGIN = 30


@dataclass(frozen=True)
class Point:
    x: float
    y: float
    total: int
    at: datetime


@dataclass(frozen=True)
class Line:
    """A horizontal guide at a band's lower edge."""

    y: float
    value: int
    label: str


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    points: tuple[Point, ...]
    guides: tuple[Line, ...]
    highest: int

    @property
    def polyline(self) -> str:
        return " ".join(f"{point.x:.1f},{point.y:.1f}" for point in self.points)


def chart(
    totals: Sequence[tuple[datetime, int]],
    highest: int,
    bands: Sequence[tuple[str, int]] = (),
) -> Chart:
    """Totals (when, total) in time order on a scale from 0 to `highest`; `bands` are
    (label, lowest total) guides. Evenly spaced by order, not by date: screens weeks apart
    and days apart then read alike, and each point's date is printed beside it."""
    if highest <= 0:
        raise ValueError("The scale needs a highest total above zero.")
    if any(not 0 <= total <= highest for _, total in totals):
        raise ValueError(f"A total lies outside 0 to {highest}.")
    ordered = sorted(totals)
    span = WIDTH - 2 * MARGIN
    step = span / (len(ordered) - 1) if len(ordered) > 1 else 0

    def y(value: int) -> float:
        return HEIGHT - MARGIN - (HEIGHT - 2 * MARGIN) * value / highest

    points = tuple(
        Point(x=MARGIN + step * index if step else WIDTH / 2, y=y(total), total=total, at=at)
        for index, (at, total) in enumerate(ordered)
    )
    guides = tuple(Line(y=y(low), value=low, label=label) for label, low in bands if low > 0)
    return Chart(width=WIDTH, height=HEIGHT, points=points, guides=guides, highest=highest)
