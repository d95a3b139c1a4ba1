"""The figures of screening, evaluations, decisions and appeals. docs/reports.md defines
each."""

from django.db.models import Case, CharField, Q, QuerySet, Value, When

from kiteline.care.models import Appeal, AppealOutcome, Decision, Outcome, OverrideReason
from kiteline.reports.figures_core import (
    TIMELINESS,
    URGENCIES,
    CountTable,
    Scope,
    count_table,
    in_period,
    states,
    timeliness,
)
from kiteline.screening.models import Evaluation, EvaluationKind

RELEASED_FIRST = "released first"
CLOSED_ON_RELEASE = "closed on release"
EVALUATION_STATES = (*TIMELINESS, CLOSED_ON_RELEASE)


def _evaluation_figure(
    scope: Scope,
    key: str,
    title: str,
    evaluations: QuerySet[Evaluation],
    category: Case,
    columns: tuple[str, ...],
) -> CountTable:
    return count_table(
        key,
        title,
        scope,
        evaluations,
        facility="facility",
        booking="booking",
        moment="opened_at",
        category=category,
        columns=columns,
    )


def e05_screening(scope: Scope) -> CountTable:
    """Every stay's mental-health screening within 14 days of booking (NCCHC E-05)."""
    category = states(
        timeliness(
            scope, done="done_at", due="due_at", closed="closed_at", closed_label=RELEASED_FIRST
        )
    )
    return _evaluation_figure(
        scope,
        "e05_screening",
        "Mental-health screening within 14 days of booking (E-05)",
        Evaluation.objects.filter(kind=EvaluationKind.SCREENING),
        category,
        (*TIMELINESS, RELEASED_FIRST),
    )


def evaluations_by_urgency(scope: Scope) -> CountTable:
    """Each urgency's evaluations by state; an urgency not among URGENCIES counts as the
    last (routine), so that no evaluation is left out."""
    *named, last = URGENCIES
    whens = []
    for urgency in URGENCIES:
        whens += timeliness(
            scope,
            done="done_at",
            due="due_at",
            closed="closed_at",
            closed_label=CLOSED_ON_RELEASE,
            when=~Q(urgency__in=named) if urgency == last else Q(urgency=urgency),
            prefix=f"{urgency}: ",
        )
    return _evaluation_figure(
        scope,
        "evaluations",
        "Evaluations on time, by urgency",
        Evaluation.objects.filter(
            kind__in=[EvaluationKind.EVALUATION, EvaluationKind.MEDICATION_CHECK]
        ),
        states(whens),
        tuple(f"{urgency}: {state}" for urgency in URGENCIES for state in EVALUATION_STATES),
    )


def _decision_figure(
    scope: Scope,
    key: str,
    title: str,
    decisions: QuerySet[Decision],
    category: Case,
    columns: tuple[str, ...],
) -> CountTable:
    return count_table(
        key,
        title,
        scope,
        decisions,
        facility="facility",
        booking="booking",
        moment="decided_at",
        category=category,
        columns=columns,
    )


def decisions_by_outcome(scope: Scope) -> CountTable:
    overridden = ~Q(override_reason="")
    category = Case(
        When(Q(outcome=Outcome.ELIGIBLE) & overridden, then=Value("eligible, overridden")),
        When(outcome=Outcome.ELIGIBLE, then=Value("eligible as proposed")),
        When(overridden, then=Value("not eligible, overridden")),
        default=Value("not eligible as proposed"),
        output_field=CharField(),
    )
    return _decision_figure(
        scope,
        "decisions",
        "Service decisions by outcome, and whether the clinician overrode the policy",
        Decision.objects.all(),
        category,
        (
            "eligible as proposed",
            "eligible, overridden",
            "not eligible as proposed",
            "not eligible, overridden",
        ),
    )


def overrides_by_reason(scope: Scope) -> CountTable:
    category = Case(
        *(
            When(override_reason=value, then=Value(str(text)))
            for value, text in OverrideReason.choices
        ),
        default=Value(str(OverrideReason.OTHER.label)),
        output_field=CharField(),
    )
    return _decision_figure(
        scope,
        "overrides",
        "Overrides of the policy, by reason",
        Decision.objects.exclude(override_reason=""),
        category,
        tuple(str(text) for _, text in OverrideReason.choices),
    )


def appeals(scope: Scope) -> CountTable:
    """By the facility responsible for the appeal: an open one moves with a transfer, while
    the decision it appeals stays where it was made."""
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
        Appeal.objects.all(),
        facility="facility",
        booking="decision__booking",
        moment="filed_at",
        category=category,
        columns=("upheld", "overturned", "not decided yet"),
    )


def denied() -> QuerySet[Decision]:
    """Services denied: decided not eligible and not overturned on appeal (the same in the
    equity figures and in denials by reason)."""
    return Decision.objects.filter(outcome=Outcome.NOT_ELIGIBLE).exclude(
        appeal__outcome=AppealOutcome.OVERTURNED
    )


def denials_by_reason(scope: Scope) -> CountTable:
    """Services denied in the period, by service and by the reason: each criterion the
    decision cites as not met (I3: a denial always cites one), or the clinician's override
    reason. A decision citing two criteria counts under each. Reads each denial's service,
    override reason and cited reasons, never its facts or evidence; the columns are the
    reasons found, so the dashboard shows it for the whole period."""
    rows = in_period(denied(), scope, moment="decided_at", facility="facility").values_list(
        "service__name_en", "override_reason", "record__reasons"
    )
    overrides = dict(OverrideReason.choices)
    counts: dict[tuple[str, str], int] = {}
    for service, override, reasons in rows:
        if override:
            cited = [f"override: {overrides.get(override, override)}"]
        else:
            cited = [
                f"criterion {reason.get('criterion')}"
                for reason in reasons or []
                if isinstance(reason, dict) and reason.get("status") == "not_met"
            ] or ["no criterion recorded"]
        for reason in cited:
            counts[(service, reason)] = counts.get((service, reason), 0) + 1
    return CountTable(
        key="denials_by_reason",
        title="Services denied, by the criterion not met or the override's reason",
        row_heading="service",
        rows=tuple(sorted({service for service, _ in counts})),
        columns=tuple(sorted({reason for _, reason in counts})),
        counts=counts,
    )
