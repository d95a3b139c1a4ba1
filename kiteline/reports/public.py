"""The public report: facility-by-quarter aggregates of the shared figures and the equity
figures, protected by the suppression engine, checked again independently, written as
static files, and recorded in the ledger the next release is checked against (I8).

`build_public_report` is the one way to make one (the command line and the page both call
it); nothing is written unless the independent check finds nothing.
"""

import hashlib
import shutil
import tempfile
from collections import Counter
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from pathlib import Path
from zoneinfo import ZoneInfo

from django.db import transaction

from kiteline.accounts.models import Role, User
from kiteline.audit.recording import record_event
from kiteline.facilities.models import Facility
from kiteline.kites.models import CloseCode
from kiteline.reports.disclosure import check
from kiteline.reports.equity import ANOTHER, ATTRIBUTES, MEASURES, equity_figure
from kiteline.reports.errors import ReportError
from kiteline.reports.figures import (
    BY_FACILITY,
    CLOSED_UNSEEN,
    CLOSED_UNTRIAGED,
    LATE,
    NOT_YET_DUE,
    ON_TIME,
    SHARED_FIGURES,
    scope_for,
    waits,
)
from kiteline.reports.models import PublicRelease, release_digest
from kiteline.reports.periods import Period
from kiteline.reports.public_files import ReportInfo, TableText, Wait, report_files
from kiteline.reports.public_tables import (
    Counts,
    FigureCounts,
    Records,
    Within,
    category_table,
    facility_table,
    merged_as,
    release_of,
)
from kiteline.reports.suppression import SuppressionError, protect
from kiteline.reports.tables import TOTAL, Ledger, ProtectedRelease, Release, Table

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

Small categories of sex, age, language, and race or ethnicity (10 or fewer) are merged \
into "Another or not recorded" before suppression; services denied are merged in the \
categories where service decisions are, whatever their number. Percentages are shown \
only where both the count and its total are published. Waits are shown only for 11 or \
more requests.

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
# Denials are part of the decisions, category by category: merged as the decisions are, so
# that a denial category merged while its decisions are shown cannot tell a reader that
# every denial is in it (a merged row, from 0 to 10) and so confine their number.
MERGED_AS = {"denials": "decisions"}  # by measure
for _measure in MEASURES:
    for _attribute in ATTRIBUTES:
        _merging = (
            f"categories are merged into “{ANOTHER}” where those of {_as} are"
            if (_as := MERGED_AS.get(_measure.key))
            else f"small categories are merged into “{ANOTHER}”"
        )
        TEXTS[f"{_measure.key}_by_{_attribute.key}"] = TableText(
            f"{_measure.title} by {_attribute.title}",
            _attribute.title.capitalize(),
            f"{_measure.title} in the quarter by the resident's {_attribute.title}, one column "
            f"a facility; {_merging}.",
        )


# What each table counts: two tables of one population show each facility's total twice.
# A table that does not say is refused (public_tables.release_of).
REQUESTS = "requests"
FIGURE_COUNTS = {
    "triage_24h": Counts(REQUESTS),  # every request has one triage clock
    "face_to_face": Counts("requests with a face-to-face clock"),
    "e05_screening": Counts("screenings"),
    "evaluations": Counts("evaluations"),
    "kites_by_topic": Counts(REQUESTS),
    "kites_by_channel": Counts(REQUESTS),
    "closed_unseen": Counts("requests closed without a visit"),
    "decisions": Counts("decisions"),
    "overrides": Counts("overrides"),
    "appeals": Counts("appeals"),
    "required_contacts": Counts("required contacts"),
}
MEASURE_POPULATIONS = {
    "requests": REQUESTS,
    "decisions": "decisions",
    "denials": "denials",
    "appeals": "appeals",
}
COUNTS = FIGURE_COUNTS | {
    f"{measure.key}_by_{attribute.key}": Counts(MEASURE_POPULATIONS[measure.key], attribute.key)
    for measure in MEASURES
    for attribute in ATTRIBUTES
}

TRIAGED = (ON_TIME, LATE)
ROUTED = str(CloseCode.ROUTED_ELSEWHERE.label)
NOT_ROUTED = tuple(
    str(text) for code, text in CloseCode.choices if code != CloseCode.ROUTED_ELSEWHERE
)
NOT_ELIGIBLE = ("not eligible as proposed", "not eligible, overridden")
OVERRIDDEN = ("eligible, overridden", "not eligible, overridden")
# Which records of one table are among another's, at each facility: rules of how Kiteline
# keeps its records (kites/services.py, care/services.py). For the request tables, the
# three are all that the states of triage, of the face-to-face visit and of closing imply.
RELATIONS = (
    # A face-to-face clock starts when a nurse triages a request with a symptom; a request
    # routed elsewhere is closed at triage, with none.
    Within(
        (Records("face_to_face"), Records("closed_unseen", (ROUTED,))),
        (Records("triage_24h", TRIAGED),),
    ),
    # Closed untriaged (a visit would have settled triage), or closed before its visit was
    # due: closed without a visit, and not at triage.
    Within(
        (Records("triage_24h", (CLOSED_UNTRIAGED,)), Records("face_to_face", (CLOSED_UNSEEN,))),
        (Records("closed_unseen", NOT_ROUTED),),
    ),
    # Closed without a visit; open and not yet triaged; seen, or open with a visit not yet
    # due: three kinds of request that never overlap.
    Within(
        (
            Records("closed_unseen"),
            Records("triage_24h", (NOT_YET_DUE,)),
            Records("face_to_face", (ON_TIME, LATE, NOT_YET_DUE)),
        ),
        (Records("triage_24h"),),
    ),
    # An override is a decision with an override reason.
    Within((Records("overrides"),), (Records("decisions", OVERRIDDEN),), exact=True),
    # A denial is a decision not eligible (and not overturned on appeal), of the same
    # resident: at most the decisions in each category too. (Any denials table stands for
    # them all: they show one total.)
    Within((Records("denials_by_sex"),), (Records("decisions", NOT_ELIGIBLE),)),
)


def equity_table(count: FigureCounts, period: str, facilities: Collection[str]) -> Table:
    """An equity figure turned so that its categories are rows (the ones that merge) and
    its facilities (by code) columns, with small categories merged into ANOTHER."""
    return category_table(
        count, period, facilities, {row: ANOTHER for row in count.columns if row != ANOTHER}
    )


def assemble(figures: Sequence[FigureCounts], period: str, facilities: Sequence[str]) -> Release:
    """The report's tables from its figures counted by facility (rows are facility codes):
    an equity figure with its categories as rows, and every link between the tables. Pure:
    the tests feed it counts of generated records."""
    tables: dict[str, Table] = {}
    for figure in figures:
        counts = COUNTS.get(figure.key)
        if counts is None or counts.attribute is None:
            tables[figure.key] = facility_table(figure, period, facilities)
            continue
        table = equity_table(figure, period, facilities)
        measure = figure.key.removesuffix(f"_by_{counts.attribute}")
        if (other := MERGED_AS.get(measure)) is not None:
            table = merged_as(table, tables[f"{other}_by_{counts.attribute}"])
        tables[figure.key] = table
    return release_of(list(tables.values()), COUNTS, RELATIONS, facilities)


def gather_release(facilities: Sequence[Facility], period: Period, now: datetime) -> Release:
    """Every table of the report with its true counts (one GROUP BY query a figure), a row
    or column a facility by its code, and the links between them."""
    scope = scope_for(facilities, period, BY_FACILITY, now)
    figures = [figure(scope) for figure in SHARED_FIGURES]
    figures += [
        equity_figure(scope, measure, attribute) for measure in MEASURES for attribute in ATTRIBUTES
    ]
    return assemble(figures, period.label, scope.facility_codes)


def ledger_of(releases: Iterable[PublicRelease]) -> Ledger:
    return Ledger.from_json(entry for release in releases for entry in release.published)


def labels_of(facilities: Sequence[Facility]) -> dict[str, str]:
    """How the report names each facility: by its name, with its code beside a name that
    two facilities share or that reads as a total."""
    names = Counter(f.name.casefold() for f in facilities)
    return {
        f.code: f.name
        if names[f.name.casefold()] == 1 and f.name.casefold() != TOTAL.casefold()
        else f"{f.name} ({f.code})"
        for f in facilities
    }


@dataclass(frozen=True)
class Built:
    release: PublicRelease
    files: dict[str, bytes]


def _authorise(actor: User | None, facilities: Sequence[Facility]) -> None:
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
    if any(f.code == TOTAL for f in facilities):
        raise ReportError(f"A facility coded {TOTAL!r} cannot be told from the totals.")


def _check_out(out: Path) -> None:
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise ReportError(f"{out} is not an empty folder: choose a new one.")


def _earlier(facilities: Sequence[Facility], period: Period) -> list[PublicRelease]:
    """The earlier releases of the period that share a facility with this one. The ledger
    matches a figure to the same facilities' figure, so each must cover the same
    facilities: a release of North and South, then one of North alone, would let South be
    worked out from the first release's totals."""
    sharing = PublicRelease.objects.filter(period=period.label, facilities__in=facilities)
    earlier = list(sharing.distinct().order_by("pk"))
    covered: dict[int, set[str]] = {}
    through = PublicRelease.facilities.through.objects.filter(publicrelease__in=sharing)
    for pk, code in through.values_list("publicrelease_id", "facility__code"):
        covered.setdefault(pk, set()).add(code)
    codes = {f.code for f in facilities}
    for release in earlier:
        if covered[release.pk] != codes:
            raise ReportError(
                f"An earlier release of {period.label} covered "
                f"{', '.join(sorted(covered[release.pk]))}: build one of the same facilities, "
                "or of facilities it did not cover."
            )
    return earlier


def _protected(true: Release, ledger: Ledger) -> ProtectedRelease:
    try:
        protected = protect(true, ledger)
    except SuppressionError as error:
        raise ReportError(f"Not built: {error}") from error
    findings = check(true, protected, ledger)
    if findings:
        raise ReportError("Not built: the check found " + "; ".join(map(str, findings[:5])))
    return protected


def _written(files: dict[str, bytes], out: Path) -> Path:
    """The files, written into a new folder beside ``out`` (moved into place once the
    release is recorded)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix=f".{out.name}-", dir=out.parent))
    try:
        for name, content in files.items():
            (folder / name).write_bytes(content)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return folder


def _move(folder: Path, out: Path) -> None:
    try:
        folder.replace(out)  # an empty folder at ``out`` is replaced
    except OSError as error:
        raise ReportError(
            f"The release is recorded, but its files could not be moved to {out} "
            f"({error.strerror}): they are in {folder}."
        ) from error


def build_public_report(
    *,
    actor: User | None,
    facilities: Sequence[Facility],
    period: Period,
    out: Path,
    now: datetime,
) -> Built:
    """Build, protect, check, write and record a public report. ReportError, with nothing
    written or recorded, when it cannot be published safely or ``out`` cannot take it.

    The files are written beside ``out`` and moved there when the release's record
    commits. The earlier releases it is checked against are read again under a lock on
    its facilities, so that two builds at once see each other."""
    facilities = sorted(facilities, key=lambda f: f.code)
    _authorise(actor, facilities)
    if period.end > now.astimezone(ZoneInfo(facilities[0].time_zone)).date():
        raise ReportError(f"{period.label} has not ended yet: report a finished quarter.")
    try:
        _check_out(out)
        draft = _draft(facilities, period, now)
        seen = _earlier(facilities, period)
        protected = _protected(draft.true, ledger_of(seen))
        return _publish(actor, draft, protected, seen, out)
    except OSError as error:
        reason = error.strerror or str(error)
        raise ReportError(f"Cannot write the report to {out}: {reason}.") from error


@dataclass(frozen=True)
class _Draft:
    """What a report is made of, read from the database before anything is written."""

    facilities: list[Facility]
    period: Period
    now: datetime
    true: Release
    info: ReportInfo
    waits: list[Wait]


def _draft(facilities: list[Facility], period: Period, now: datetime) -> _Draft:
    scope = scope_for(facilities, period, BY_FACILITY, now)
    face_waits = {row.group: row.face_to_face for row in waits(scope)}
    labels = labels_of(facilities)
    return _Draft(
        facilities=facilities,
        period=period,
        now=now,
        true=gather_release(facilities, period, now),
        info=ReportInfo(
            period=period.label,
            facilities=tuple((f.code, labels[f.code]) for f in facilities),
            built_at=now.isoformat(timespec="seconds"),
            methods=METHODS,
        ),
        waits=[Wait(f.code, *(face_waits.get(f.code) or (None, None))) for f in facilities],
    )


def _publish(
    actor: User | None,
    draft: _Draft,
    protected: ProtectedRelease,
    seen: list[PublicRelease],
    out: Path,
) -> Built:
    """Check again against the earlier releases read under a lock on the facilities, write
    the files beside ``out``, record the release, and move the files into place when the
    record commits; on any failure before that, remove the files."""
    folder: Path | None = None
    committed: list[bool] = []
    try:
        with transaction.atomic():
            pks = [f.pk for f in draft.facilities]
            locked = Facility.objects.select_for_update().filter(pk__in=pks).order_by("pk")
            list(locked.values_list("pk", flat=True))
            earlier = _earlier(draft.facilities, draft.period)
            if [r.pk for r in earlier] != [r.pk for r in seen]:
                protected = _protected(draft.true, ledger_of(earlier))
            files = report_files(protected, TEXTS, draft.waits, draft.info)
            folder = _written(files, out)
            transaction.on_commit(lambda: committed.append(True))
            transaction.on_commit(partial(_move, folder, out))
            record = _record(actor, draft, protected, files, out)
    except BaseException:
        if folder is not None and not committed:
            shutil.rmtree(folder, ignore_errors=True)
        raise
    return Built(record, files)


def _record(
    actor: User | None,
    draft: _Draft,
    protected: ProtectedRelease,
    files: dict[str, bytes],
    out: Path,
) -> PublicRelease:
    record = PublicRelease.objects.create(
        period=draft.period.label,
        published=Ledger().record(protected).as_json(),
        files={name: hashlib.sha256(content).hexdigest() for name, content in files.items()},
        digest=release_digest(files),
        folder=str(out.resolve()),
        built_by=actor,
        built_at=draft.now,
    )
    record.facilities.set(draft.facilities)
    for facility in draft.facilities:
        record_event(
            actor=actor,
            action="reports.public_build",
            facility=facility,
            subjects=[f"public_release:{record.pk}"],
            detail={"period": draft.period.label, "files": len(files)},
        )
    return record
