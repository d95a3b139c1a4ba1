"""The compliance dashboard for supervisors and auditors: every figure of one facility and
period, grouped by month or housing unit, each as a chart, a table and a CSV. The figures
are aggregates; the breach list names cases, so each view is one audited read (I7).

Auditors read cases only through a sample (docs/reports.md): their breach list shows each
case's number and the deadline missed, never the resident or what the evaluation was for
(I6); supervisors see both, and follow a breached request to its page."""

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from django.http import Http404

from kiteline.accounts.models import Role, User
from kiteline.audit.recording import record_read
from kiteline.facilities.models import Facility
from kiteline.facilities.selectors import facility_for_actor
from kiteline.reports.charts import Chart, stacked_bars
from kiteline.reports.figures import (
    BY_MONTH,
    ROW_HEADINGS,
    SHARED_FIGURES,
    BreachRow,
    CountTable,
    Scope,
    ShortfallLine,
    WaitRow,
    breaches,
    denials_by_reason,
    no_symptom_by_nurse,
    scope_for,
    shortfall,
    waits,
)
from kiteline.reports.periods import Period

WAIT_COLUMNS = (
    "triaged",
    "to triage median h",
    "to triage p90 h",
    "seen",
    "to face to face median h",
    "to face to face p90 h",
)
DASHBOARD_ROLES = frozenset({Role.SUPERVISOR, Role.AUDITOR})
DASHBOARD_FIGURES: tuple[Callable[[Scope], CountTable], ...] = (
    *SHARED_FIGURES,
    denials_by_reason,
    no_symptom_by_nurse,
)


@dataclass(frozen=True)
class Section:
    name: str  # the figure's name, for its CSV
    table: CountTable
    chart: Chart
    # (row, [count per column], row total) for the template's table.
    lines: tuple[tuple[str, tuple[int, ...], int], ...]


@dataclass(frozen=True)
class Dashboard:
    facility: str
    facility_code: str
    facilities: tuple[tuple[str, str], ...]
    period: str
    by: str
    row_heading: str
    sections: tuple[Section, ...]
    waits: tuple[WaitRow, ...]
    # Supervisors: the resident's number, the evaluation's kind, and a link to each request.
    identified: bool
    breaches: tuple[BreachRow, ...]
    breach_total: int
    shortfall: tuple[ShortfallLine, ...]


def dashboard_facility(*, actor: User, facility_code: str | None) -> Facility:
    """One of a supervisor's or auditor's facilities (the first when none is named)."""
    return facility_for_actor(actor=actor, facility_code=facility_code, roles=DASHBOARD_ROLES)


def _section(name: str, table: CountTable) -> Section:
    lines = tuple(
        (
            row,
            tuple(table.count(row, column) for column in table.columns),
            table.row_total(row),
        )
        for row in table.rows
    )
    return Section(name, table, stacked_bars(table.rows, table.columns, table.counts), lines)


def compliance_dashboard(
    *, actor: User, facility_code: str | None, period: Period, by: str = BY_MONTH, now: datetime
) -> Dashboard:
    facility = dashboard_facility(actor=actor, facility_code=facility_code)
    scope = scope_for([facility], period, by, now)
    sections = tuple(_section(figure.__name__, figure(scope)) for figure in DASHBOARD_FIGURES)
    identified = actor.role == Role.SUPERVISOR
    missed, total = breaches(scope, identified=identified)
    shown = ["record", "kind", "due_at", "breached_at"]
    record_read(
        actor=actor,
        action="reports.dashboard_read",
        facility=facility,
        records=list(
            dict.fromkeys(
                f"kite:{row.kite_id}" if row.kite_id else f"evaluation:{row.evaluation_id}"
                for row in missed
            )
        ),
        fields=[*shown, "resident_number", "evaluation_kind"] if identified else shown,
    )
    return Dashboard(
        facility=facility.name,
        facility_code=facility.code,
        facilities=tuple(actor.facilities.order_by("name").values_list("code", "name")),
        period=period.label,
        by=by,
        row_heading=ROW_HEADINGS[by],
        sections=sections,
        waits=waits(scope),
        identified=identified,
        breaches=missed,
        breach_total=total,
        shortfall=shortfall(scope),
    )


def figure_csv(
    *, actor: User, facility_code: str | None, period: Period, by: str, key: str, now: datetime
) -> tuple[str, str]:
    """(file name, CSV text) of one figure: one line per row, a column per category, and
    the row's total. Aggregates only; recorded as a read all the same."""
    facility = dashboard_facility(actor=actor, facility_code=facility_code)
    scope = scope_for([facility], period, by, now)
    out = io.StringIO()
    writer = csv.writer(out)
    if key == "waits":
        writer.writerow([ROW_HEADINGS[by], *WAIT_COLUMNS])
        for wait in waits(scope):
            triage, seen = wait.triage or ("", ""), wait.face_to_face or ("", "")
            writer.writerow([wait.group, wait.triaged, *triage, wait.seen, *seen])
    else:
        figure = next((f for f in DASHBOARD_FIGURES if f.__name__ == key), None)
        if figure is None:
            raise Http404
        table = figure(scope)
        writer.writerow([table.row_heading, *table.columns, "total"])
        for row in table.rows:
            counts = [table.count(row, column) for column in table.columns]
            writer.writerow([row, *counts, sum(counts)])
    record_read(
        actor=actor,
        action="reports.figure_csv",
        facility=facility,
        fields=[key],
    )
    return f"{facility.code}-{period.label}-{key}-by-{by}.csv", out.getvalue()
