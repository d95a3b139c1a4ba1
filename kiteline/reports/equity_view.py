"""The equity view for supervisors and auditors: requests, decisions, denials and appeals,
and waits, by sex, age band, language, and race or ethnicity, at one facility for a period,
with the public report's small-cell suppression applied (I8): an internal page, but a
small group here is a person all the same."""

from dataclasses import dataclass, replace
from datetime import datetime

from kiteline.accounts.models import User
from kiteline.audit.recording import record_read
from kiteline.reports.dashboard import dashboard_facility, scope_of
from kiteline.reports.equity import ATTRIBUTES, MEASURES, Attribute, equity_figure, waits_by
from kiteline.reports.figures import BY_FACILITY, Scope
from kiteline.reports.periods import Period
from kiteline.reports.public import equity_table
from kiteline.reports.suppression import protect
from kiteline.reports.tables import (
    TOTAL,
    CellRef,
    Ledger,
    Link,
    ProtectedRelease,
    Release,
    public_text,
)


@dataclass(frozen=True)
class EquityLine:
    category: str
    cells: tuple[str, ...]  # one per measure, as published ("suppressed", "merged into …")
    wait: tuple[float, float] | None


@dataclass(frozen=True)
class EquityTable:
    attribute: str
    measures: tuple[str, ...]
    lines: tuple[EquityLine, ...]


@dataclass(frozen=True)
class EquityPage:
    facility: str
    facility_code: str
    period: str
    tables: tuple[EquityTable, ...]


def equity_page(
    *, actor: User, facility_code: str | None, period: Period, now: datetime
) -> EquityPage:
    facility = dashboard_facility(actor=actor, facility_code=facility_code)
    scope = replace(scope_of(facility, period, BY_FACILITY, now), facility_codes=(facility.code,))
    names = {facility.code: facility.name}
    tables = [
        equity_table(equity_figure(scope, measure, attribute), period.label, names)
        for measure in MEASURES
        for attribute in ATTRIBUTES
    ]
    # Each measure's total is the same count in every attribute's table.
    links = tuple(
        Link(
            CellRef(f"{measure.key}_by_{ATTRIBUTES[0].key}", period.label, TOTAL, TOTAL),
            CellRef(f"{measure.key}_by_{attribute.key}", period.label, TOTAL, TOTAL),
        )
        for measure in MEASURES
        for attribute in ATTRIBUTES[1:]
    )
    protected = protect(Release(tuple(tables), links), Ledger())
    record_read(actor=actor, action="reports.equity_read", facility=facility, fields=["counts"])
    return EquityPage(
        facility=facility.name,
        facility_code=facility.code,
        period=period.label,
        tables=tuple(
            _attribute_table(protected, attribute, period, scope) for attribute in ATTRIBUTES
        ),
    )


def _attribute_table(
    protected: ProtectedRelease, attribute: Attribute, period: Period, scope: Scope
) -> EquityTable:
    waits = waits_by(scope, attribute)
    lines = []
    for category in (*attribute.categories, TOTAL):
        cells = []
        for measure in MEASURES:
            table = protected.table(f"{measure.key}_by_{attribute.key}", period.label)
            cells.append(public_text(table.value(category, TOTAL)))
        lines.append(EquityLine(category, tuple(cells), waits.get(category)))
    return EquityTable(attribute.title, tuple(m.title for m in MEASURES), tuple(lines))
