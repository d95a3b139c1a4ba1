"""The figures of the compliance dashboard and the public report, counted by the database.

Each figure is a `CountTable`: rows are groups (months, housing units, facilities or the
whole period) and columns a fixed set of categories; every count is one GROUP BY query, so
building a report reads aggregates, never the records themselves (issue 9, point 5).
docs/reports.md defines every figure; the names below are the ones it uses.

The figures live in small modules around `figures_core`; this module gathers them under
one name, with the shared figures in the order they are shown.
"""

from collections.abc import Callable

from kiteline.reports.figures_care import (
    CLOSED_ON_RELEASE,
    RELEASED_FIRST,
    appeals,
    decisions_by_outcome,
    denials_by_reason,
    denied,
    e05_screening,
    evaluations_by_urgency,
    overrides_by_reason,
)
from kiteline.reports.figures_contacts import (
    CONTACT_COLUMNS,
    NEVER_SCHEDULED,
    ShortfallLine,
    missed_requirements,
    required_contacts,
    shortfall,
)
from kiteline.reports.figures_core import (
    ALL,
    BY_FACILITY,
    BY_MONTH,
    BY_PERIOD,
    BY_UNIT,
    LATE,
    NO_UNIT,
    NOT_YET_DUE,
    ON_TIME,
    OVERDUE,
    ROW_HEADINGS,
    TIMELINESS,
    URGENCIES,
    CountTable,
    Scope,
    count_table,
    in_period,
    scope_for,
)
from kiteline.reports.figures_dashboard import (
    BREACH_LIMIT,
    NO_SYMPTOM_COLUMNS,
    BreachRow,
    breaches,
    no_symptom_by_nurse,
)
from kiteline.reports.figures_requests import (
    CLOSED_UNSEEN,
    CLOSED_UNTRIAGED,
    WaitRow,
    closed_unseen,
    face_to_face_timeliness,
    kites_by_channel,
    kites_by_topic,
    kites_in,
    triage_timeliness,
    waits,
)

# The figures the dashboard and the public report share, in the order they are shown.
SHARED_FIGURES: tuple[Callable[[Scope], CountTable], ...] = (
    triage_timeliness,
    face_to_face_timeliness,
    e05_screening,
    evaluations_by_urgency,
    kites_by_topic,
    kites_by_channel,
    closed_unseen,
    decisions_by_outcome,
    overrides_by_reason,
    appeals,
    required_contacts,
)

__all__ = [
    "ALL",
    "BREACH_LIMIT",
    "BY_FACILITY",
    "BY_MONTH",
    "BY_PERIOD",
    "BY_UNIT",
    "CLOSED_ON_RELEASE",
    "CLOSED_UNSEEN",
    "CLOSED_UNTRIAGED",
    "CONTACT_COLUMNS",
    "LATE",
    "NEVER_SCHEDULED",
    "NOT_YET_DUE",
    "NO_SYMPTOM_COLUMNS",
    "NO_UNIT",
    "ON_TIME",
    "OVERDUE",
    "RELEASED_FIRST",
    "ROW_HEADINGS",
    "SHARED_FIGURES",
    "TIMELINESS",
    "URGENCIES",
    "BreachRow",
    "CountTable",
    "Scope",
    "ShortfallLine",
    "WaitRow",
    "appeals",
    "breaches",
    "closed_unseen",
    "count_table",
    "decisions_by_outcome",
    "denials_by_reason",
    "denied",
    "e05_screening",
    "evaluations_by_urgency",
    "face_to_face_timeliness",
    "in_period",
    "kites_by_channel",
    "kites_by_topic",
    "kites_in",
    "missed_requirements",
    "no_symptom_by_nurse",
    "overrides_by_reason",
    "required_contacts",
    "scope_for",
    "shortfall",
    "triage_timeliness",
    "waits",
]
