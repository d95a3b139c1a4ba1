"""The equity view for supervisors and auditors: requests, decisions, denials and appeals,
and waits, by sex, age band, language, and race or ethnicity, at one facility for a
finished quarter, with the public report's small-cell suppression applied (I8): an internal
page, but a small group here is a person all the same.

Each page is protected on its own, with no ledger of what earlier pages showed, so it
offers only the periods the public report does: finished calendar quarters. Were a quarter
and its three months both on offer, a reader could subtract one from the other and confine
a count the suppression had hidden."""

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from kiteline.accounts.models import User
from kiteline.audit.recording import record_read
from kiteline.reports.dashboard import dashboard_facility
from kiteline.reports.equity import (
    ATTRIBUTES,
    MEASURES,
    Attribute,
    Waits,
    waits_by_attribute,
)
from kiteline.reports.errors import ReportError
from kiteline.reports.figures_core import BY_FACILITY, scope_for
from kiteline.reports.periods import Period, previous_quarter, quarter_of
from kiteline.reports.public import gather_release
from kiteline.reports.suppression import protect
from kiteline.reports.tables import (
    TOTAL,
    Ledger,
    ProtectedRelease,
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


def check_equity_period(period: Period, today: date) -> None:
    """ReportError unless the period is a calendar quarter that has ended by `today`."""
    if period != quarter_of(period.first):
        raise ReportError(
            f"The equity view covers a quarter, such as {previous_quarter(today).label}: "
            "a quarter beside its months would let a hidden count be worked out."
        )
    if period.end > today:
        raise ReportError(
            f"{period.label} has not ended yet: the equity view shows a finished quarter."
        )


def equity_page(
    *, actor: User, facility_code: str | None, period: Period | None, now: datetime
) -> EquityPage:
    """The page for a finished quarter (the last one when `period` is None); ReportError,
    with nothing read, for any other period."""
    facility = dashboard_facility(actor=actor, facility_code=facility_code)
    today = now.astimezone(ZoneInfo(facility.time_zone)).date()
    period = period or previous_quarter(today)
    check_equity_period(period, today)
    scope = scope_for([facility], period, BY_FACILITY, now)
    # The public report's whole release for this facility, so the equity tables get its
    # merging and every relation to the other tables (denials within decisions, totals).
    protected = protect(gather_release([facility], period, now), Ledger())
    waits = waits_by_attribute(scope)
    record_read(actor=actor, action="reports.equity_read", facility=facility, fields=["counts"])
    return EquityPage(
        facility=facility.name,
        facility_code=facility.code,
        period=period.label,
        tables=tuple(
            _attribute_table(protected, attribute, period, waits[attribute.key])
            for attribute in ATTRIBUTES
        ),
    )


def _attribute_table(
    protected: ProtectedRelease, attribute: Attribute, period: Period, waits: Waits
) -> EquityTable:
    lines = []
    for category in (*attribute.categories, TOTAL):
        cells = []
        for measure in MEASURES:
            table = protected.table(f"{measure.key}_by_{attribute.key}", period.label)
            cells.append(public_text(table.value(category, TOTAL)))
        lines.append(EquityLine(category, tuple(cells), waits.get(category)))
    return EquityTable(attribute.title, tuple(m.title for m in MEASURES), tuple(lines))
