"""The dashboard's own figures, never published: each member of staff's triage decisions,
and the deadlines missed, case by case. docs/reports.md defines each."""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Q

from kiteline.kites.models import Breach
from kiteline.reports.figures_core import CountTable, Scope, in_period
from kiteline.reports.figures_requests import kites_in
from kiteline.reports.models import SampleKind
from kiteline.reports.sample_records import record_number
from kiteline.screening.models import EvaluationBreach

NO_SYMPTOM_COLUMNS = ("triaged", "no clinical symptom")


def no_symptom_by_nurse(scope: Scope) -> CountTable:
    """How often each member of staff triaged a request as describing no clinical symptom,
    which stops the face-to-face clock: a pattern a supervisor should see. Only triage
    decisions count: a request first answered by a visit is triaged by the clinician who
    saw the resident, who decided nothing about a symptom (`symptom_described` is empty)."""
    triaged = (
        kites_in(scope)
        .filter(triaged_by__isnull=False, symptom_described__isnull=False)
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
        key="no_symptom_by_nurse",
        title="Requests each member of staff triaged, and how many as describing no clinical "
        "symptom",
        row_heading="staff member",
        rows=tuple(sorted({name for name, _ in counts})),
        columns=NO_SYMPTOM_COLUMNS,
        counts=counts,
    )


@dataclass(frozen=True)
class BreachRow:
    kind: str  # "triage", "face_to_face", …; "evaluation", or for supervisors its kind too
    record: str  # K000012, or E000034 for an evaluation
    kite_id: int | None
    evaluation_id: int | None
    resident_number: str | None  # for supervisors only
    due_at: datetime
    breached_at: datetime


BREACH_LIMIT = 500


def breaches(scope: Scope, *, identified: bool) -> tuple[tuple[BreachRow, ...], int]:
    """Deadlines missed in the period (recorded when they passed: I5), the newest first,
    at most BREACH_LIMIT of them, and how many there were in all. `identified`: with the
    resident's number and the evaluation's kind (which can say, for instance, that a named
    person takes psychiatric medication); otherwise the case number and the deadline only,
    and neither is read."""
    kite_breaches = in_period(
        Breach.objects.all(), scope, moment="breached_at", facility="facility"
    ).order_by("-breached_at")
    evaluation_breaches = in_period(
        EvaluationBreach.objects.all(), scope, moment="breached_at", facility="facility"
    ).order_by("-breached_at")
    total = kite_breaches.count() + evaluation_breaches.count()
    person = ["clock__kite__person__resident_number"] if identified else []
    rows = [
        BreachRow(
            kind=kind,
            record=record_number(SampleKind.KITES, kite_id),
            kite_id=kite_id,
            evaluation_id=None,
            resident_number=number[0] if number else None,
            due_at=due_at,
            breached_at=breached_at,
        )
        for kind, kite_id, due_at, breached_at, *number in kite_breaches.values_list(
            "clock__kind", "clock__kite_id", "clock__due_at", "breached_at", *person
        )[:BREACH_LIMIT]
    ]
    details = ["evaluation__kind", "evaluation__person__resident_number"] if identified else []
    rows += [
        BreachRow(
            kind=f"evaluation: {detail[0]}" if detail else "evaluation",
            record=record_number(SampleKind.EVALUATIONS, evaluation_id),
            kite_id=None,
            evaluation_id=evaluation_id,
            resident_number=detail[1] if detail else None,
            due_at=due_at,
            breached_at=breached_at,
        )
        for evaluation_id, due_at, breached_at, *detail in evaluation_breaches.values_list(
            "evaluation_id", "evaluation__due_at", "breached_at", *details
        )[:BREACH_LIMIT]
    ]
    rows.sort(key=lambda row: row.breached_at, reverse=True)
    return tuple(rows[:BREACH_LIMIT]), total
