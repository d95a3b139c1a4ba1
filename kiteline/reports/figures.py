"""The figures of the compliance dashboard and the public report, counted by the database.

Each figure is a `CountTable`: rows are groups (months, housing units, or the whole period)
and columns a fixed set of categories; every count is one GROUP BY query, so building a
report reads aggregates, never the records themselves (issue 9, point 5). docs/reports.md
defines every figure; the names below are the ones it uses.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from django.db.models import (
    Case,
    CharField,
    Count,
    F,
    Model,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.expressions import Expression
from django.db.models.functions import TruncMonth

from kiteline.care.models import Appeal, AppealOutcome, Decision, Outcome, OverrideReason
from kiteline.facilities.models import Placement
from kiteline.kites.models import (
    Breach,
    Channel,
    Clock,
    ClockKind,
    CloseCode,
    Kite,
    Status,
    Topic,
)
from kiteline.reports.stats import waits_summary
from kiteline.scheduling.models import (
    Appointment,
    AppointmentOutcome,
    AppointmentStatus,
    Requirement,
    RunStatus,
    ScheduleRun,
)
from kiteline.screening.models import Evaluation, EvaluationBreach, EvaluationKind

ALL = "all"
BY_MONTH, BY_UNIT, BY_PERIOD, BY_FACILITY = "month", "unit", "period", "facility"
GROUPINGS = (BY_MONTH, BY_UNIT, BY_PERIOD)
NO_UNIT = "no unit recorded"

ON_TIME, LATE, OVERDUE, NOT_YET_DUE = "on time", "late", "open, overdue", "open, not yet due"
TIMELINESS = (ON_TIME, LATE, OVERDUE, NOT_YET_DUE)
URGENCIES = ("emergent", "urgent", "routine")


@dataclass(frozen=True)
class Scope:
    """What a report covers: facilities, a period as [start, end) moments, the time zone
    months are counted in, how rows are grouped, and the moment "now" for open items."""

    facility_ids: tuple[int, ...]
    zone: str
    start: datetime
    end: datetime
    now: datetime
    by: str = BY_MONTH
    # By facility, every facility is a row, in this order, even one with nothing to count.
    facility_codes: tuple[str, ...] = ()


@dataclass(frozen=True)
class CountTable:
    key: str
    title: str
    rows: tuple[str, ...]
    columns: tuple[str, ...]
    counts: dict[tuple[str, str], int] = field(default_factory=dict)

    def count(self, row: str, column: str) -> int:
        return self.counts.get((row, column), 0)

    def row_total(self, row: str) -> int:
        return sum(self.count(row, column) for column in self.columns)

    def column_total(self, column: str) -> int:
        return sum(self.count(row, column) for row in self.rows)

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def _unit_at(booking: str, moment: str) -> Subquery:
    """The code of the housing unit the stay was placed in at that moment."""
    return Subquery(
        Placement.objects.filter(booking=OuterRef(booking), started_at__lte=OuterRef(moment))
        .filter(Q(ended_at__isnull=True) | Q(ended_at__gt=OuterRef(moment)))
        .order_by("-started_at")
        .values("housing_unit__code")[:1]
    )


def _current_unit(booking: str) -> Subquery:
    return Subquery(
        Placement.objects.filter(booking=OuterRef(booking), ended_at__isnull=True).values(
            "housing_unit__code"
        )[:1]
    )


def _group(scope: Scope, booking: str, moment: str, dated: bool) -> Expression | Subquery | F:
    """The row a record counts in. `dated`: the moment is a local date (a due date, an
    appointment's day), already in the facility's calendar; by unit, such a record counts
    where the person is now, for a date has no time to place it. By facility: the facility
    beside the stay (`kite__booking` → `kite__facility`), the one responsible for it."""
    if scope.by == BY_FACILITY:
        return F(f"{booking.removesuffix('booking')}facility__code")
    if scope.by == BY_MONTH:
        return TruncMonth(moment) if dated else TruncMonth(moment, tzinfo=ZoneInfo(scope.zone))
    if scope.by == BY_UNIT:
        return _current_unit(booking) if dated else _unit_at(booking, moment)
    return Value(ALL)


def _label(scope: Scope, value: object) -> str:
    if scope.by == BY_MONTH and isinstance(value, datetime):
        return value.astimezone(ZoneInfo(scope.zone)).strftime("%Y-%m")
    if value is None:
        return NO_UNIT
    if isinstance(value, date):  # a truncated date, or SQLite's naive local datetime
        return value.strftime("%Y-%m")
    return str(value)


def _rows(scope: Scope, found: set[str]) -> tuple[str, ...]:
    """Months in order from the period's first (every month shown, even an empty one);
    otherwise the groups found, in order."""
    if scope.by == BY_MONTH:
        zone = ZoneInfo(scope.zone)
        months = []
        first = scope.start.astimezone(zone)
        year, month = first.year, first.month
        last = (scope.end.astimezone(zone)).strftime("%Y-%m")
        while f"{year:04d}-{month:02d}" < last:
            months.append(f"{year:04d}-{month:02d}")
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        return tuple(months)
    if scope.by == BY_PERIOD:
        return (ALL,)
    if scope.by == BY_FACILITY:
        return scope.facility_codes + tuple(sorted(found - set(scope.facility_codes)))
    return tuple(sorted(found))


def count_table(
    key: str,
    title: str,
    scope: Scope,
    queryset: QuerySet[Model],
    *,
    booking: str,
    moment: str,
    category: Expression,
    columns: Sequence[str],
    dated: bool = False,
) -> CountTable:
    """One GROUP BY: (group, category) → count."""
    grouped = (
        queryset.annotate(
            figure_group=_group(scope, booking, moment, dated), figure_category=category
        )
        .values("figure_group", "figure_category")
        .annotate(n=Count("pk"))
        .order_by()
    )
    counts: dict[tuple[str, str], int] = {}
    for row in grouped:
        cell = (_label(scope, row["figure_group"]), str(row["figure_category"]))
        counts[cell] = counts.get(cell, 0) + row["n"]
    rows = _rows(scope, {r for r, _ in counts})
    return CountTable(key, title, rows, tuple(columns), counts)


def _timeliness(scope: Scope, done: str = "met_at", due: str = "due_at") -> Case:
    return Case(
        When(Q(**{f"{done}__isnull": False, f"{done}__lte": F(due)}), then=Value(ON_TIME)),
        When(Q(**{f"{done}__isnull": False}), then=Value(LATE)),
        When(Q(**{f"{due}__lt": scope.now}), then=Value(OVERDUE)),
        default=Value(NOT_YET_DUE),
        output_field=CharField(),
    )


def kites_in(scope: Scope) -> QuerySet[Kite]:
    return Kite.objects.filter(
        facility_id__in=scope.facility_ids, received_at__gte=scope.start, received_at__lt=scope.end
    )


# ---- Requests ------------------------------------------------------------------------------


def _clock_figure(scope: Scope, kind: str, key: str, title: str) -> CountTable:
    clocks = Clock.objects.filter(
        kind=kind,
        kite__facility_id__in=scope.facility_ids,
        kite__received_at__gte=scope.start,
        kite__received_at__lt=scope.end,
    )
    return count_table(
        key,
        title,
        scope,
        clocks,
        booking="kite__booking",
        moment="kite__received_at",
        category=_timeliness(scope),
        columns=TIMELINESS,
    )


def triage_timeliness(scope: Scope) -> CountTable:
    return _clock_figure(scope, ClockKind.TRIAGE, "triage_24h", "Requests triaged within 24 hours")


def face_to_face_timeliness(scope: Scope) -> CountTable:
    return _clock_figure(
        scope,
        ClockKind.FACE_TO_FACE,
        "face_to_face",
        "Requests with a clinical symptom seen face to face within 48 hours (72 over a weekend)",
    )


def _choice_figure(
    scope: Scope,
    key: str,
    title: str,
    queryset: QuerySet[Kite],
    field_name: str,
    choices: Sequence[tuple[str, object]],
) -> CountTable:
    labels = dict(choices)
    category = Case(
        *(When(**{field_name: value}, then=Value(str(label))) for value, label in choices),
        default=Value("other"),
        output_field=CharField(),
    )
    return count_table(
        key,
        title,
        scope,
        queryset,
        booking="booking",
        moment="received_at",
        category=category,
        columns=[str(label) for label in labels.values()],
    )


def kites_by_topic(scope: Scope) -> CountTable:
    return _choice_figure(
        scope, "kites_by_topic", "Requests by topic", kites_in(scope), "topic", Topic.choices
    )


def kites_by_channel(scope: Scope) -> CountTable:
    return _choice_figure(
        scope,
        "kites_by_channel",
        "Requests by channel",
        kites_in(scope),
        "channel",
        Channel.choices,
    )


def closed_unseen(scope: Scope) -> CountTable:
    unseen = kites_in(scope).filter(status=Status.CLOSED, seen_at__isnull=True)
    return _choice_figure(
        scope,
        "closed_unseen",
        "Requests closed without the resident being seen, by reason",
        unseen,
        "close_code",
        CloseCode.choices,
    )


# ---- Screening and evaluations -------------------------------------------------------------


def e05_screening(scope: Scope) -> CountTable:
    """Every stay's mental-health screening within 14 days of booking (NCCHC E-05)."""
    screenings = Evaluation.objects.filter(
        kind=EvaluationKind.SCREENING,
        facility_id__in=scope.facility_ids,
        opened_at__gte=scope.start,
        opened_at__lt=scope.end,
    )
    category = Case(
        When(done_at__isnull=True, closed_at__isnull=False, then=Value("released first")),
        default=_timeliness(scope, done="done_at"),
        output_field=CharField(),
    )
    return count_table(
        "e05_screening",
        "Mental-health screening within 14 days of booking (E-05)",
        scope,
        screenings,
        booking="booking",
        moment="opened_at",
        category=category,
        columns=(*TIMELINESS, "released first"),
    )


def evaluations_by_urgency(scope: Scope) -> CountTable:
    evaluations = Evaluation.objects.filter(
        kind__in=[EvaluationKind.EVALUATION, EvaluationKind.MEDICATION_CHECK],
        facility_id__in=scope.facility_ids,
        opened_at__gte=scope.start,
        opened_at__lt=scope.end,
    )
    columns = [f"{urgency}: {state}" for urgency in URGENCIES for state in (ON_TIME, LATE, "open")]
    whens = []
    for urgency in URGENCIES:
        whens += [
            When(urgency=urgency, done_at__lte=F("due_at"), then=Value(f"{urgency}: {ON_TIME}")),
            When(urgency=urgency, done_at__isnull=False, then=Value(f"{urgency}: {LATE}")),
            When(urgency=urgency, then=Value(f"{urgency}: open")),
        ]
    category = Case(*whens, default=Value("routine: open"), output_field=CharField())
    return count_table(
        "evaluations",
        "Evaluations on time, by urgency",
        scope,
        evaluations,
        booking="booking",
        moment="opened_at",
        category=category,
        columns=columns,
    )


# ---- Decisions and appeals -----------------------------------------------------------------


def decisions_by_outcome(scope: Scope) -> CountTable:
    decisions = Decision.objects.filter(
        facility_id__in=scope.facility_ids,
        decided_at__gte=scope.start,
        decided_at__lt=scope.end,
    )
    overridden = ~Q(override_reason="")
    category = Case(
        When(Q(outcome=Outcome.ELIGIBLE) & overridden, then=Value("eligible, overridden")),
        When(outcome=Outcome.ELIGIBLE, then=Value("eligible as proposed")),
        When(overridden, then=Value("not eligible, overridden")),
        default=Value("not eligible as proposed"),
        output_field=CharField(),
    )
    return count_table(
        "decisions",
        "Service decisions by outcome, and whether the clinician overrode the policy",
        scope,
        decisions,
        booking="booking",
        moment="decided_at",
        category=category,
        columns=(
            "eligible as proposed",
            "eligible, overridden",
            "not eligible as proposed",
            "not eligible, overridden",
        ),
    )


def overrides_by_reason(scope: Scope) -> CountTable:
    overrides = Decision.objects.filter(
        facility_id__in=scope.facility_ids,
        decided_at__gte=scope.start,
        decided_at__lt=scope.end,
    ).exclude(override_reason="")
    category = Case(
        *(
            When(override_reason=value, then=Value(str(label)))
            for value, label in OverrideReason.choices
        ),
        default=Value(str(OverrideReason.OTHER.label)),
        output_field=CharField(),
    )
    return count_table(
        "overrides",
        "Overrides of the policy, by reason",
        scope,
        overrides,
        booking="booking",
        moment="decided_at",
        category=category,
        columns=[str(label) for _, label in OverrideReason.choices],
    )


def appeals(scope: Scope) -> CountTable:
    filed = Appeal.objects.filter(
        facility_id__in=scope.facility_ids, filed_at__gte=scope.start, filed_at__lt=scope.end
    )
    category = Case(
        When(outcome=AppealOutcome.OVERTURNED, then=Value("overturned")),
        When(outcome=AppealOutcome.UPHELD, then=Value("upheld")),
        default=Value("not decided yet"),
        output_field=CharField(),
    )
    return count_table(
        "appeals",
        "Appeals by outcome",
        scope,
        filed,
        booking="decision__booking",
        moment="filed_at",
        category=category,
        columns=("upheld", "overturned", "not decided yet"),
    )


# ---- Required contacts ---------------------------------------------------------------------

NEVER_SCHEDULED = "never scheduled before due"
CONTACT_COLUMNS = (
    "attended",
    "refused by the resident",
    "cancelled by custody",
    "cancelled by the clinician",
    NEVER_SCHEDULED,
)


def required_contacts(scope: Scope) -> CountTable:
    """Mandatory contacts by what became of them: the appointments of the period by outcome,
    and the requirements due in the period that never had an appointment."""
    zone = ZoneInfo(scope.zone)
    first, last = scope.start.astimezone(zone).date(), scope.end.astimezone(zone).date()
    held = Appointment.objects.filter(
        facility_id__in=scope.facility_ids,
        status=AppointmentStatus.PUBLISHED,
        requirement__mandatory=True,
        date__gte=first,
        date__lt=last,
    ).exclude(outcome="")
    labels = {
        AppointmentOutcome.ATTENDED: "attended",
        AppointmentOutcome.REFUSED: "refused by the resident",
        AppointmentOutcome.CANCELLED_CUSTODY: "cancelled by custody",
        AppointmentOutcome.CANCELLED_CLINICIAN: "cancelled by the clinician",
    }
    category = Case(
        *(When(outcome=value, then=Value(label)) for value, label in labels.items()),
        output_field=CharField(),
    )
    table = count_table(
        "required_contacts",
        "Required contacts: held, refused, cancelled by custody or by the clinician, or never "
        "scheduled",
        scope,
        held,
        booking="requirement__booking",
        moment="date",
        category=category,
        columns=CONTACT_COLUMNS,
        dated=True,
    )
    today = scope.now.astimezone(zone).date()
    never = Requirement.objects.filter(
        facility_id__in=scope.facility_ids,
        mandatory=True,
        due__gte=first,
        due__lt=min(last, today),
        appointments__isnull=True,
    )
    missing = count_table(
        "never",
        "",
        scope,
        never,
        booking="booking",
        moment="due",
        category=Value(NEVER_SCHEDULED, output_field=CharField()),
        columns=(NEVER_SCHEDULED,),
        dated=True,
    )
    counts = dict(table.counts)
    counts.update(missing.counts)
    rows = _rows(scope, {r for r, _ in counts})
    return CountTable(table.key, table.title, rows, table.columns, counts)


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


# ---- The dashboard's own figures -----------------------------------------------------------


@dataclass(frozen=True)
class WaitRow:
    """Hours from receipt to triage and to the face-to-face visit: median and 90th
    percentile, None for a group too small to describe (stats.MIN_GROUP)."""

    group: str
    triaged: int
    triage: tuple[float, float] | None
    seen: int
    face_to_face: tuple[float, float] | None


def waits(scope: Scope) -> tuple[WaitRow, ...]:
    """Reads three moments per request of the period, and nothing else about it."""
    moments = (
        kites_in(scope)
        .annotate(figure_group=_group(scope, "booking", "received_at", False))
        .values_list("figure_group", "received_at", "triaged_at", "seen_at")
    )
    triage: dict[str, list[float]] = {}
    seen: dict[str, list[float]] = {}
    for group, received, triaged, contact in moments.iterator(chunk_size=5000):
        label = _label(scope, group)
        if triaged is not None:
            triage.setdefault(label, []).append((triaged - received).total_seconds() / 3600)
        if contact is not None:
            seen.setdefault(label, []).append((contact - received).total_seconds() / 3600)
    rows = _rows(scope, set(triage) | set(seen))
    return tuple(
        WaitRow(
            group=row,
            triaged=len(triage.get(row, [])),
            triage=_rounded(waits_summary(triage.get(row, []))),
            seen=len(seen.get(row, [])),
            face_to_face=_rounded(waits_summary(seen.get(row, []))),
        )
        for row in rows
    )


def _rounded(pair: tuple[float, float] | None) -> tuple[float, float] | None:
    return None if pair is None else (round(pair[0], 1), round(pair[1], 1))


NO_SYMPTOM_COLUMNS = ("triaged", "no clinical symptom")


def no_symptom_by_nurse(scope: Scope) -> CountTable:
    """How often each member of staff triaged a request as describing no clinical symptom,
    which stops the face-to-face clock: a pattern a supervisor should see."""
    triaged = (
        kites_in(scope)
        .filter(triaged_by__isnull=False)
        .values("triaged_by__username")
        .annotate(
            triaged=Count("pk"),
            no_symptom=Count("pk", filter=Q(symptom_described=False)),
        )
        .order_by("triaged_by__username")
    )
    counts: dict[tuple[str, str], int] = {}
    for row in triaged:
        counts[(row["triaged_by__username"], "triaged")] = row["triaged"]
        counts[(row["triaged_by__username"], "no clinical symptom")] = row["no_symptom"]
    return CountTable(
        "no_symptom_by_nurse",
        "Requests each member of staff triaged, and how many as describing no clinical symptom",
        tuple(sorted({name for name, _ in counts})),
        NO_SYMPTOM_COLUMNS,
        counts,
    )


@dataclass(frozen=True)
class BreachRow:
    kind: str  # "triage", "face_to_face", …, or "evaluation"
    record: str  # K000012, or E000034 for an evaluation
    kite_id: int | None
    evaluation_id: int | None
    resident_number: str
    due_at: datetime
    breached_at: datetime


BREACH_LIMIT = 500


def breaches(scope: Scope) -> tuple[tuple[BreachRow, ...], int]:
    """Deadlines missed in the period (recorded when they passed: I5), the newest first,
    at most BREACH_LIMIT of them, and how many there were in all."""
    kite_breaches = Breach.objects.filter(
        facility_id__in=scope.facility_ids,
        breached_at__gte=scope.start,
        breached_at__lt=scope.end,
    )
    evaluation_breaches = EvaluationBreach.objects.filter(
        facility_id__in=scope.facility_ids,
        breached_at__gte=scope.start,
        breached_at__lt=scope.end,
    )
    total = kite_breaches.count() + evaluation_breaches.count()
    rows = [
        BreachRow(
            kind=breach.clock.kind,
            record=breach.clock.kite.number,
            kite_id=breach.clock.kite_id,
            evaluation_id=None,
            resident_number=breach.clock.kite.person.resident_number,
            due_at=breach.clock.due_at,
            breached_at=breach.breached_at,
        )
        for breach in kite_breaches.select_related("clock__kite__person").order_by("-breached_at")[
            :BREACH_LIMIT
        ]
    ]
    rows += [
        BreachRow(
            kind=f"evaluation: {breach.evaluation.kind}",
            record=f"E{breach.evaluation_id:06d}",
            kite_id=None,
            evaluation_id=breach.evaluation_id,
            resident_number=breach.evaluation.person.resident_number,
            due_at=breach.evaluation.due_at,
            breached_at=breach.breached_at,
        )
        for breach in evaluation_breaches.select_related("evaluation__person").order_by(
            "-breached_at"
        )[:BREACH_LIMIT]
    ]
    rows.sort(key=lambda row: row.breached_at, reverse=True)
    return tuple(rows[:BREACH_LIMIT]), total


@dataclass(frozen=True)
class ShortfallLine:
    facility: str
    schedule: str
    week: str
    session_type: str
    requirements: int
    hours: float


def shortfall(scope: Scope) -> tuple[ShortfallLine, ...]:
    """The unmet need that published schedules starting in the period reported, in
    clinician-hours by week and session type (the latest schedule for each week wins)."""
    zone = ZoneInfo(scope.zone)
    first, last = scope.start.astimezone(zone).date(), scope.end.astimezone(zone).date()
    runs = ScheduleRun.objects.filter(
        facility_id__in=scope.facility_ids,
        status=RunStatus.PUBLISHED,
        start__gte=first,
        start__lt=last,
    ).select_related("facility")
    latest: dict[tuple[str, str, str], ShortfallLine] = {}
    for run in runs.order_by("published_at"):
        for line in run.report.get("shortfall", []):
            key = (run.facility.code, line["week"], line["session_type"])
            latest[key] = ShortfallLine(
                facility=run.facility.code,
                schedule=run.number,
                week=line["week"],
                session_type=line["session_type"],
                requirements=line["requirements"],
                hours=round(line["minutes"] / 60, 1),
            )
    return tuple(latest[key] for key in sorted(latest))


def denials_by_reason(scope: Scope) -> CountTable:
    """Services denied in the period, by service and by the reason: each published criterion
    the decision found not met (I3: a denial always cites one), or the clinician's override
    reason. A decision citing two criteria counts under each. Reads the record of denials
    only; the columns are the reasons found, so the dashboard shows it for the whole period."""
    denied = Decision.objects.filter(
        facility_id__in=scope.facility_ids,
        decided_at__gte=scope.start,
        decided_at__lt=scope.end,
        outcome=Outcome.NOT_ELIGIBLE,
    ).values_list("service__name_en", "override_reason", "record")
    overrides = dict(OverrideReason.choices)
    counts: dict[tuple[str, str], int] = {}
    for service, override, record in denied:
        if override:
            reasons = [f"override: {overrides.get(override, override)}"]
        else:
            reasons = [
                f"criterion {reason['criterion']}"
                for reason in record.get("reasons", [])
                if reason.get("status") == "not_met"
            ] or ["no criterion recorded"]
        for reason in reasons:
            counts[(service, reason)] = counts.get((service, reason), 0) + 1
    return CountTable(
        "denials_by_reason",
        "Services denied, by the criterion not met or the override's reason",
        tuple(sorted({service for service, _ in counts})),
        tuple(sorted({reason for _, reason in counts})),
        counts,
    )
