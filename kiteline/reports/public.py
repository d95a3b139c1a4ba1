"""The public report: facility-by-quarter aggregates of the shared figures and the equity
figures, protected by the suppression engine, checked again independently, written as
static files, and recorded in the ledger the next release is checked against (I8).

`build_public_report` is the one way to make one (the command line and the page both call
it); nothing is written unless the independent check finds nothing.
"""

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from django.db import transaction

from kiteline.accounts.models import Role, User
from kiteline.audit.recording import record_event
from kiteline.facilities.models import Facility
from kiteline.reports.disclosure import check
from kiteline.reports.equity import ANOTHER, ATTRIBUTES, MEASURES, equity_figure
from kiteline.reports.errors import ReportError
from kiteline.reports.figures import (
    BY_FACILITY,
    ON_TIME,
    SHARED_FIGURES,
    CountTable,
    Scope,
    waits,
)
from kiteline.reports.models import PublicRelease
from kiteline.reports.periods import Period
from kiteline.reports.public_files import ReportInfo, TableText, Wait, report_files
from kiteline.reports.suppression import SuppressionError, merge_small, protect
from kiteline.reports.tables import TOTAL, CellRef, Ledger, Link, ProtectedRelease, Release, Table

PUBLIC_ROLES = frozenset({Role.SUPERVISOR, Role.AUDITOR})

METHODS = """Every figure counts records the facility's health staff keep in Kiteline for the \
quarter: requests for mental-health care (kites) by the day they were received, screenings \
and evaluations by the day they were opened, decisions by the day they were made, appeals by \
the day they were filed, and required contacts by the day they were due or held. Days are \
the facility's own local days. Each figure's exact definition is in Kiteline's \
docs/reports.md.

No count from 1 to 10 is published. Such a count is shown as "suppressed", and so is any \
other count that would let one be worked out from the totals, from another table, or from \
an earlier release of these figures (complementary suppression). Before anything is \
written, an independent check computes, for every suppressed count, the smallest and \
largest value a reader could deduce from everything published, and refuses the report if \
any of them pins a count from 1 to 10. A suppressed count is never a zero: a zero is \
written 0.

Small categories of sex, age, language, and race or ethnicity are merged into "Another or \
not recorded" before suppression. Percentages are shown only where both the count and its \
total are published. Waits are shown only for 11 or more requests.

These are counts of what was recorded, not of need: a request that was never written down \
is not here. Race or ethnicity is as the jail management system records it."""

TEXTS = {
    "triage_24h": TableText(
        "Requests triaged within 24 hours",
        "Facility",
        "Every request received in the quarter, by whether a health professional reviewed and "
        "prioritised it within 24 hours of receipt.",
        ON_TIME,
    ),
    "face_to_face": TableText(
        "Requests seen face to face within 48 hours (72 over a weekend)",
        "Facility",
        "Requests received in the quarter that described a clinical symptom, by whether the "
        "resident was seen face to face in time.",
        ON_TIME,
    ),
    "e05_screening": TableText(
        "Mental-health screening within 14 days of booking",
        "Facility",
        "Every stay that began in the quarter, by whether its mental-health screening was "
        "done within 14 days of booking (the booking day is day one).",
        ON_TIME,
    ),
    "evaluations": TableText(
        "Evaluations on time, by urgency",
        "Facility",
        "Evaluations and medication checks opened in the quarter, by urgency and whether they "
        "were done by their deadline.",
    ),
    "kites_by_topic": TableText(
        "Requests by topic", "Facility", "Requests received in the quarter, by their topic."
    ),
    "kites_by_channel": TableText(
        "Requests by channel",
        "Facility",
        "Requests received in the quarter, by how they were made (kiosk, paper, spoken...).",
    ),
    "closed_unseen": TableText(
        "Requests closed without a visit",
        "Facility",
        "Requests received in the quarter and closed without the resident being seen, by "
        "the reason recorded.",
    ),
    "decisions": TableText(
        "Service decisions",
        "Facility",
        "Decisions on a service (therapy, group, psychiatry...) made in the quarter, by outcome "
        "and whether the clinician overrode the published policy.",
    ),
    "overrides": TableText(
        "Overrides of the policy, by reason",
        "Facility",
        "Decisions in the quarter where the clinician decided otherwise than the published "
        "policy proposed, by the reason given.",
    ),
    "appeals": TableText(
        "Appeals",
        "Facility",
        "Appeals filed in the quarter, by outcome so far.",
    ),
    "required_contacts": TableText(
        "Required contacts",
        "Facility",
        "Contacts required by a resident's level of care or by a service, held or due in the "
        "quarter: attended, refused, cancelled by custody, cancelled by the clinician, or "
        "never scheduled before they were due.",
        "attended",
    ),
}
for _measure in MEASURES:
    for _attribute in ATTRIBUTES:
        TEXTS[f"{_measure.key}_by_{_attribute.key}"] = TableText(
            f"{_measure.title} by {_attribute.title}",
            _attribute.title.capitalize(),
            f"{_measure.title} in the quarter by the resident's {_attribute.title}, one column "
            f"a facility; small categories are merged into “{ANOTHER}”.",
        )


def _table(count: CountTable, period: str, names: dict[str, str]) -> Table:
    """A figure by facility as a suppression table: a row a facility."""
    rows = tuple(names[code] for code in count.rows)
    return Table(
        key=count.key,
        period=period,
        rows=rows,
        columns=count.columns,
        counts=tuple(tuple(count.count(code, c) for c in count.columns) for code in count.rows),
    )


def equity_table(count: CountTable, period: str, names: dict[str, str]) -> Table:
    """An equity figure turned so that its categories are rows (the ones that merge), with
    small categories merged into ANOTHER."""
    table = Table(
        key=count.key,
        period=period,
        rows=count.columns,
        columns=tuple(names[code] for code in count.rows),
        counts=tuple(tuple(count.count(code, c) for code in count.rows) for c in count.columns),
    )
    return merge_small(table, {row: ANOTHER for row in table.rows if row != ANOTHER})


def _links(tables: Sequence[Table], names: Sequence[str], period: str) -> tuple[Link, ...]:
    """The same count in two tables: each facility's requests, decisions and appeals."""
    keys = {t.key for t in tables}
    links = []
    bases = (("requests", "kites_by_topic"), ("decisions", "decisions"), ("appeals", "appeals"))
    for measure, base in bases:
        for name in names:
            anchor = CellRef(base, period, name, TOTAL)
            if measure == "requests" and "kites_by_channel" in keys:
                links.append(Link(anchor, CellRef("kites_by_channel", period, name, TOTAL)))
            for attribute in ATTRIBUTES:
                key = f"{measure}_by_{attribute.key}"
                if key in keys:
                    links.append(Link(anchor, CellRef(key, period, TOTAL, name)))
    return tuple(links)


def _scope(facilities: Sequence[Facility], period: Period, now: datetime) -> Scope:
    zone = facilities[0].time_zone
    start, end = period.bounds(zone)
    codes = tuple(f.code for f in facilities)
    return Scope(tuple(f.pk for f in facilities), zone, start, end, now, BY_FACILITY, codes)


def gather_release(facilities: Sequence[Facility], period: Period, now: datetime) -> Release:
    """Every table of the report with its true counts: one GROUP BY query a figure."""
    scope = _scope(facilities, period, now)
    codes = scope.facility_codes
    names = {f.code: f.name for f in facilities}
    tables = [_table(figure(scope), period.label, names) for figure in SHARED_FIGURES]
    tables += [
        equity_table(equity_figure(scope, measure, attribute), period.label, names)
        for measure in MEASURES
        for attribute in ATTRIBUTES
    ]
    return Release(tuple(tables), _links(tables, [names[c] for c in codes], period.label))


def ledger_of(releases: Sequence[PublicRelease]) -> Ledger:
    entries: dict[CellRef, frozenset[int]] = {}
    for release in releases:
        for key, value in release.published.items():
            table, period, row, column = key.split("|")
            ref = CellRef(table, period, row, column)
            entries[ref] = entries.get(ref, frozenset()) | {int(value)}
    return Ledger(entries)


def _published(protected: ProtectedRelease) -> dict[str, int]:
    return {
        f"{ref.table}|{ref.period}|{ref.row}|{ref.column}": shown
        for table in protected.tables
        for ref, shown in table.figures()
        if isinstance(shown, int)
    }


@dataclass(frozen=True)
class Built:
    release: PublicRelease
    files: dict[str, bytes]


def build_public_report(
    *,
    actor: User | None,
    facilities: Sequence[Facility],
    period: Period,
    out: Path,
    now: datetime,
) -> Built:
    """Build, protect, check, write and record a public report. ReportError, with nothing
    written, when it cannot be published safely."""
    if actor is not None and (not actor.is_staff_member or actor.role not in PUBLIC_ROLES):
        raise ReportError("Your role cannot build public reports.")
    if not facilities:
        raise ReportError("Choose at least one facility.")
    if actor is not None:
        mine = set(actor.facilities.values_list("pk", flat=True))
        if any(f.pk not in mine for f in facilities):
            raise ReportError("That is not at your facilities.")
    if len({f.time_zone for f in facilities}) > 1:
        raise ReportError("A report's facilities count days in one time zone; build one each.")
    if period.end > now.astimezone(ZoneInfo(facilities[0].time_zone)).date():
        raise ReportError(f"{period.label} has not ended yet: report a finished quarter.")
    true = gather_release(facilities, period, now)
    ledger = ledger_of(list(PublicRelease.objects.all()))
    try:
        protected = protect(true, ledger)
    except SuppressionError as error:
        raise ReportError(f"Not built: {error}") from error
    findings = check(true, protected, ledger)
    if findings:
        raise ReportError("Not built: the check found " + "; ".join(map(str, findings[:5])))
    face_waits = {row.group: row.face_to_face for row in waits(_scope(facilities, period, now))}
    info = ReportInfo(
        period=period.label,
        facilities=tuple(f.name for f in facilities),
        built_at=now.isoformat(timespec="seconds"),
        methods=METHODS,
    )
    files = report_files(
        protected,
        TEXTS,
        [Wait(f.name, *(face_waits.get(f.code) or (None, None))) for f in facilities],
        info,
    )
    digest = hashlib.sha256()
    for name in sorted(files):
        digest.update(name.encode() + b"\0" + files[name])
    with transaction.atomic():
        record = PublicRelease.objects.create(
            period=period.label,
            published=_published(protected),
            digest=digest.hexdigest(),
            folder=str(out.resolve()),
            built_by=actor,
            built_at=now,
        )
        record.facilities.set(list(facilities))
        for facility in facilities:
            record_event(
                actor=actor,
                action="reports.public_build",
                facility=facility,
                subjects=[f"public_release:{record.pk}"],
                detail={"period": period.label, "files": len(files)},
            )
        out.mkdir(parents=True, exist_ok=True)
        for name, content in files.items():
            (out / name).write_bytes(content)
    return Built(record, files)
