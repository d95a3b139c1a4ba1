"""The equity figures: requests, decisions, denials and appeals by sex, age band, language,
and race or ethnicity where recorded — counted like every other figure, one GROUP BY each,
and published (on the dashboard's equity view and in the public report) only after the same
small-cell suppression (I8).

Categories are fixed so that every release has the same shape; a category too small to
publish is merged into "Another or not recorded" by the suppression core's `merge_small`.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from zoneinfo import ZoneInfo

from django.db.models import Case, CharField, Model, Q, QuerySet, Value, When
from django.db.models.expressions import Expression

from kiteline.care.models import Appeal, AppealOutcome, Decision, Outcome
from kiteline.facilities.models import Sex
from kiteline.reports.figures import CountTable, Scope, count_table, kites_in
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
    key: str
    title: str
    records: Callable[[Scope], QuerySet[Model]]
    person: str
    booking: str
    moment: str


def _decided(scope: Scope) -> QuerySet[Model]:
    return Decision.objects.filter(
        facility_id__in=scope.facility_ids,
        decided_at__gte=scope.start,
        decided_at__lt=scope.end,
    )


def _denied(scope: Scope) -> QuerySet[Model]:
    """Not eligible as decided and not overturned on appeal."""
    return (
        _decided(scope)
        .filter(outcome=Outcome.NOT_ELIGIBLE)
        .exclude(appeal__outcome=AppealOutcome.OVERTURNED)
    )


def _appealed(scope: Scope) -> QuerySet[Model]:
    return Appeal.objects.filter(
        facility_id__in=scope.facility_ids, filed_at__gte=scope.start, filed_at__lt=scope.end
    )


MEASURES = (
    Measure("requests", "Requests", kites_in, "person", "booking", "received_at"),
    Measure("decisions", "Service decisions", _decided, "person", "booking", "decided_at"),
    Measure("denials", "Services denied", _denied, "person", "booking", "decided_at"),
    Measure("appeals", "Appeals", _appealed, "person", "decision__booking", "filed_at"),
)


def equity_figure(scope: Scope, measure: Measure, attribute: Attribute) -> CountTable:
    """Rows as the scope groups them; a column per category of the attribute."""
    first = scope.start.astimezone(ZoneInfo(scope.zone)).date()
    category: Expression = attribute.category(measure.person, first)
    return count_table(
        f"{measure.key}_by_{attribute.key}",
        f"{measure.title} by {attribute.title}",
        scope,
        measure.records(scope),
        booking=measure.booking,
        moment=measure.moment,
        category=category,
        columns=attribute.categories,
    )


def equity_figures(scope: Scope, measures: Sequence[Measure] = MEASURES) -> tuple[CountTable, ...]:
    return tuple(
        equity_figure(scope, measure, attribute) for measure in measures for attribute in ATTRIBUTES
    )


def waits_by(scope: Scope, attribute: Attribute) -> dict[str, tuple[float, float] | None]:
    """Hours from receipt to the face-to-face visit, median and 90th percentile, by
    category and in all (under TOTAL); None for fewer than stats.MIN_GROUP visits."""
    first = scope.start.astimezone(ZoneInfo(scope.zone)).date()
    seen = (
        kites_in(scope)
        .filter(seen_at__isnull=False)
        .annotate(figure_category=attribute.category("person", first))
        .values_list("figure_category", "received_at", "seen_at")
    )
    hours: dict[str, list[float]] = {}
    for category, received, contact in seen.iterator(chunk_size=5000):
        if contact is not None:  # filtered above; the type does not know it
            hours.setdefault(category, []).append((contact - received).total_seconds() / 3600)
    hours[TOTAL] = [hour for values in hours.values() for hour in values]
    summary = {}
    for category in (*attribute.categories, TOTAL):
        pair = waits_summary(hours.get(category, []))
        summary[category] = None if pair is None else (round(pair[0], 1), round(pair[1], 1))
    return summary
