"""The equity figures: requests, decisions, denials and appeals by sex, age band, language,
and race or ethnicity where recorded — counted like every other figure, one GROUP BY each,
and published (on the dashboard's equity view and in the public report) only after the same
small-cell suppression (I8).

Categories are fixed so that every release has the same shape; a category too small to
publish is merged into "Another or not recorded" by the suppression core's `merge_small`.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db.models import Case, CharField, Q, QuerySet, Value, When
from django.db.models.expressions import Expression

from kiteline.care.models import Appeal, Decision
from kiteline.facilities.models import Sex
from kiteline.kites.models import Kite
from kiteline.reports.figures_care import denied
from kiteline.reports.figures_core import CountTable, Scope, count_table
from kiteline.reports.figures_requests import hours, kites_in, rounded
from kiteline.reports.stats import waits_summary
from kiteline.reports.tables import TOTAL

# The label a small or unrecorded category is merged into.
ANOTHER = "Another or not recorded"
SEXES = ((Sex.FEMALE, "Female"), (Sex.MALE, "Male"))
LANGUAGES = (("en", "English"), ("es", "Spanish"))
# As the jail management systems record it (docs/roster-import.md); blank is not recorded.
RACES = (
    "White",
    "Black",
    "Hispanic",
    "Asian",
    "American Indian or Alaska Native",
    "Native Hawaiian or Other Pacific Islander",
    "Two or more races",
)
# Age on the period's first day, in years: (label, youngest, oldest).
AGE_BANDS = (
    ("under 25", 0, 24),
    ("25 to 34", 25, 34),
    ("35 to 44", 35, 44),
    ("45 to 54", 45, 54),
    ("55 and over", 55, 200),
)


@dataclass(frozen=True)
class Attribute:
    key: str
    title: str
    categories: tuple[str, ...]
    category: Callable[[str, date], Case]  # (path to the person, period's first day)


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def _sex(person: str, first: date) -> Case:
    return Case(
        *(When(**{f"{person}__sex": code}, then=Value(label)) for code, label in SEXES),
        default=Value(ANOTHER),
        output_field=CharField(),
    )


def _language(person: str, first: date) -> Case:
    return Case(
        *(When(**{f"{person}__language": code}, then=Value(label)) for code, label in LANGUAGES),
        default=Value(ANOTHER),
        output_field=CharField(),
    )


def _race(person: str, first: date) -> Case:
    return Case(
        *(When(**{f"{person}__race_ethnicity": race}, then=Value(race)) for race in RACES),
        default=Value(ANOTHER),
        output_field=CharField(),
    )


def _age(person: str, first: date) -> Case:
    """Born after the day `oldest + 1` years before the first day, on or before the day
    `youngest` years before it."""
    whens = []
    for label, youngest, oldest in AGE_BANDS:
        born = Q(**{f"{person}__date_of_birth__lte": _years_before(first, youngest)}) & Q(
            **{f"{person}__date_of_birth__gt": _years_before(first, oldest + 1)}
        )
        whens.append(When(born, then=Value(label)))
    return Case(*whens, default=Value(ANOTHER), output_field=CharField())


ATTRIBUTES = (
    Attribute("sex", "sex", (*(label for _, label in SEXES), ANOTHER), _sex),
    Attribute("age", "age band", (*(label for label, _, _ in AGE_BANDS), ANOTHER), _age),
    Attribute("language", "language", (*(label for _, label in LANGUAGES), ANOTHER), _language),
    Attribute("race", "race or ethnicity", (*RACES, ANOTHER), _race),
)


@dataclass(frozen=True)
class Measure:
    """What an equity figure counts: its records (the period is applied by `count_table`),
    and the paths to the person, the facility responsible, the stay and the anchor."""

    key: str
    title: str
    records: Callable[[], QuerySet[Any]]
    person: str
    facility: str
    booking: str
    moment: str


MEASURES = (
    Measure(
        "requests", "Requests", Kite.objects.all, "person", "facility", "booking", "received_at"
    ),
    Measure(
        "decisions",
        "Service decisions",
        Decision.objects.all,
        "person",
        "facility",
        "booking",
        "decided_at",
    ),
    Measure("denials", "Services denied", denied, "person", "facility", "booking", "decided_at"),
    Measure(
        "appeals",
        "Appeals",
        Appeal.objects.all,
        "person",
        "facility",
        "decision__booking",
        "filed_at",
    ),
)


def equity_figure(scope: Scope, measure: Measure, attribute: Attribute) -> CountTable:
    """Rows as the scope groups them; a column per category of the attribute."""
    category: Expression = attribute.category(measure.person, scope.days[0])
    return count_table(
        f"{measure.key}_by_{attribute.key}",
        f"{measure.title} by {attribute.title}",
        scope,
        measure.records(),
        facility=measure.facility,
        booking=measure.booking,
        moment=measure.moment,
        category=category,
        columns=attribute.categories,
    )


Waits = dict[str, tuple[float, float] | None]


def waits_by_attribute(scope: Scope) -> dict[str, Waits]:
    """Hours from receipt to the face-to-face visit, median and 90th percentile, for each
    attribute (by its key) by category and in all (under TOTAL); None for fewer than
    stats.MIN_GROUP visits. One pass over the period's visits, which reads each one's
    categories of every attribute at once."""
    first = scope.days[0]
    seen = (
        kites_in(scope)
        .filter(seen_at__isnull=False)
        .annotate(
            **{f"figure_{a.key}": a.category("person", first) for a in ATTRIBUTES},
        )
        .values_list(*(f"figure_{a.key}" for a in ATTRIBUTES), "received_at", "seen_at")
    )
    found: dict[str, dict[str, list[float]]] = {a.key: {} for a in ATTRIBUTES}
    every: list[float] = []
    for *categories, received, contact in seen.iterator(chunk_size=5000):
        wait = hours(received, contact)
        every.append(wait)
        for attribute, category in zip(ATTRIBUTES, categories, strict=True):
            found[attribute.key].setdefault(category, []).append(wait)
    return {
        attribute.key: {
            **{
                category: rounded(waits_summary(found[attribute.key].get(category, [])))
                for category in attribute.categories
            },
            TOTAL: rounded(waits_summary(every)),
        }
        for attribute in ATTRIBUTES
    }
