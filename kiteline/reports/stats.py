"""Waits as the dashboard shows them (pure core): the median and the 90th percentile, only
for groups large enough that they describe a group and not a person."""

import math
from collections.abc import Sequence

# A median of ten or fewer waits describes a handful of people: the same line as the
# public report's small-cell rule (DOMAIN.md, CMS: no cell from 1 to 10).
MIN_GROUP = 11


def percentile(values: Sequence[float], share: float) -> float:
    """The nearest-rank percentile: the smallest value with at least `share` of the values
    at or below it. Always a value that occurred, never an interpolation."""
    if not values:
        raise ValueError("No values.")
    if not 0 < share <= 1:
        raise ValueError("The share is above 0 and at most 1.")
    ordered = sorted(values)
    return ordered[max(1, math.ceil(share * len(ordered))) - 1]


def waits_summary(values: Sequence[float]) -> tuple[float, float] | None:
    """(median, 90th percentile), or None for a group smaller than MIN_GROUP."""
    if len(values) < MIN_GROUP:
        return None
    return percentile(values, 0.5), percentile(values, 0.9)
