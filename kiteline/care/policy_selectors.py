"""Reads for the policy pages: the services a supervisor governs and their versions, the
editor's checks and diff, a draft tried on one person, and the what-if. Each is scoped to
the actor's facilities (another facility's service is not found); a read of someone's
clinical facts is audited as one event per request listing who was shown (I7)."""

import difflib
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import OuterRef, QuerySet, Subquery
from django.http import Http404
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from kiteline.accounts.models import Role, User
from kiteline.audit.recording import record_read
from kiteline.care.fact_sources import facts_for
from kiteline.care.facts import FACTS, JsonValue
from kiteline.care.models import Outcome, PolicyDraft, PolicyVersion, Service
from kiteline.care.policy import (
    CompiledPolicy,
    CriterionResult,
    Evaluation,
    PolicyError,
    Problem,
    Status,
    Tally,
    evaluate,
)
from kiteline.care.policy_forms import draft_text
from kiteline.care.services import check_draft, compiled, next_version, published_policy
from kiteline.care.simulation import (
    UNPLACED,
    CriterionChange,
    Explained,
    WhatIf,
    explain,
    record_what_if,
    run_what_if,
)
from kiteline.facilities.models import Booking
from kiteline.kites.selectors import display_name, local_time, staff_name

CHANGES_PER_PAGE = 50
# The system sets these when it publishes; the editor leaves them out.
IDENTITY = ("service", "version")
STATUS_LABELS = {Status.MET: _("met"), Status.NOT_MET: _("not met"), Status.UNKNOWN: _("unknown")}
EXCERPT_CHARS = 80


# ---- Services and versions -------------------------------------------------------------


@dataclass(frozen=True)
class ServiceRow:
    service_id: int
    facility: str
    code: str
    name: str
    active: bool
    published_version: int | None
    published_by: str
    published_at: datetime | None  # in the facility's time
    draft: str  # "none", "same" (as the published version) or "changed"
    draft_edited_at: datetime | None


@dataclass(frozen=True)
class VersionRow:
    version: int
    published_by: str
    published_at: datetime


def _governed(actor: User) -> QuerySet[Service]:
    if not actor.is_staff_member or actor.role != Role.SUPERVISOR:
        return Service.objects.none()
    return Service.objects.filter(facility__in=actor.facilities.all())


def _reviewed(actor: User) -> QuerySet[Service]:
    if not actor.is_staff_member or actor.role != Role.CLINICIAN:
        return Service.objects.none()
    return Service.objects.filter(facility__in=actor.facilities.all())


def without_identity(body: object) -> object:
    if isinstance(body, dict):
        return {key: value for key, value in body.items() if key not in IDENTITY}
    return body


def _rows(services: QuerySet[Service]) -> list[ServiceRow]:
    latest = PolicyVersion.objects.filter(service=OuterRef("pk")).order_by("-version")
    annotated = (
        services.select_related("facility", "draft")
        .annotate(latest_id=Subquery(latest.values("pk")[:1]))
        .order_by("facility__name", "name_en")
    )
    versions = PolicyVersion.objects.select_related("published_by").in_bulk(
        [s.latest_id for s in annotated if s.latest_id is not None]
    )
    language = get_language() or "en"
    rows = []
    for service in annotated:
        version = versions.get(service.latest_id) if service.latest_id else None
        draft = getattr(service, "draft", None)
        zone = service.facility.time_zone
        rows.append(
            ServiceRow(
                service_id=service.pk,
                facility=service.facility.name,
                code=service.code,
                name=service.name(language),
                active=service.active,
                published_version=None if version is None else version.version,
                published_by="" if version is None else staff_name(version.published_by),
                published_at=None if version is None else local_time(version.published_at, zone),
                draft=_draft_state(draft, version),
                draft_edited_at=None if draft is None else local_time(draft.edited_at, zone),
            )
        )
    return rows


def _draft_state(draft: PolicyDraft | None, version: PolicyVersion | None) -> str:
    if draft is None:
        return "none"
    if version is not None and without_identity(draft.body) == without_identity(version.body):
        return "same"
    return "changed"


def policy_services(*, actor: User) -> list[ServiceRow]:
    """Every service of the supervisor's facilities, with its published version and draft."""
    return _rows(_governed(actor))


def drafts_to_review(*, actor: User) -> list[ServiceRow]:
    """For a clinician: the services of their facilities with a draft to see the effect of."""
    return [row for row in _rows(_reviewed(actor)) if row.draft != "none"]


def service_for_editing(*, actor: User, service_id: int) -> Service:
    service = _governed(actor).select_related("facility").filter(pk=service_id).first()
    if service is None:
        raise Http404
    return service


def service_for_review(*, actor: User, service_id: int) -> Service:
    service = _reviewed(actor).select_related("facility").filter(pk=service_id).first()
    if service is None:
        raise Http404
    return service


def versions_of(service: Service) -> list[VersionRow]:
    zone = service.facility.time_zone
    return [
        VersionRow(v.version, staff_name(v.published_by), local_time(v.published_at, zone))
        for v in service.versions.select_related("published_by").order_by("-version")
    ]


@dataclass(frozen=True)
class VersionPage:
    row: VersionRow
    text: str
    criteria: tuple[tuple[str, str], ...]  # (id, expression)


def version_for_reading(*, actor: User, service: Service, version: int) -> VersionPage:
    found = (
        service.versions.select_related("published_by").filter(version=version).first()
        if _governed(actor).filter(pk=service.pk).exists()
        else None
    )
    if found is None:
        raise Http404
    policy = compiled(found.pk).policy
    return VersionPage(
        row=VersionRow(
            found.version,
            staff_name(found.published_by),
            local_time(found.published_at, service.facility.time_zone),
        ),
        text=draft_text(found.body),
        criteria=tuple((c.id, c.expression) for c in policy.criteria),
    )


# ---- The editor ------------------------------------------------------------------------


@dataclass(frozen=True)
class EditorStart:
    text: str
    draft: PolicyDraft | None
    edited_by: str
    edited_at: datetime | None


def editor_start(service: Service) -> EditorStart:
    """The saved draft; else the published version to start from; else an outline."""
    draft = PolicyDraft.objects.select_related("edited_by").filter(service=service).first()
    if draft is not None:
        return EditorStart(
            draft_text(draft.body),
            draft,
            staff_name(draft.edited_by),
            local_time(draft.edited_at, service.facility.time_zone),
        )
    version = published_policy(service)
    body = without_identity(version.body) if version is not None else OUTLINE
    return EditorStart(draft_text(body), None, "", None)


OUTLINE: dict[str, Any] = {
    "criteria": [
        {
            "id": "phq9-15",
            "expression": "phq9_total >= 15",
            "met_text": {"en": "PHQ-9 total {phq9_total}; at least 15 needed", "es": "..."},
            "not_met_text": {"en": "PHQ-9 total {phq9_total}; at least 15 needed", "es": "..."},
        }
    ],
    "rule": {"combine": "all", "review_when_met": []},
    "offered_instead": [{"en": "Group therapy", "es": "Terapia de grupo"}],
}


@dataclass(frozen=True)
class ProblemRow:
    where: str  # as the engine names it: criteria[0] (phq9-15).expression
    criterion: str  # the criterion's id, or its position when it has none
    field: str  # expression, met_text.en, rule...
    message: str
    line: int | None  # in the expression, counted from 1
    column: int | None
    excerpt: str  # the expression's line around the fault
    caret: str  # spaces then ^ under the column


def check(service: Service, body: object) -> tuple[CompiledPolicy | None, list[ProblemRow]]:
    """The draft compiled as it would be published, or every problem beside where it is."""
    try:
        return check_draft(service, body), []
    except PolicyError as error:
        return None, [_problem_row(body, problem) for problem in error.problems]


def _problem_row(body: object, problem: Problem) -> ProblemRow:
    criterion, field = "", problem.where
    criteria = body.get("criteria") if isinstance(body, dict) else None
    source = None
    if problem.where.startswith("criteria["):
        head, _sep, field = problem.where.partition(".")
        index = head[len("criteria[") : head.index("]")]
        named = head[head.index("]") + 1 :].strip(" ()")
        criterion = named or f"#{int(index) + 1}"
        if isinstance(criteria, list) and int(index) < len(criteria):
            raw = criteria[int(index)]
            source = raw.get("expression") if isinstance(raw, dict) else None
    excerpt = caret = ""
    if isinstance(source, str) and problem.line is not None and problem.column is not None:
        lines = source.split("\n")
        if problem.line <= len(lines):
            text = lines[problem.line - 1]
            start = max(0, problem.column - 1 - EXCERPT_CHARS // 2)
            excerpt = text[start : start + EXCERPT_CHARS]
            caret = " " * (problem.column - 1 - start) + "^"
    return ProblemRow(
        where=problem.where,
        criterion=criterion,
        field=field,
        message=problem.message,
        line=problem.line,
        column=problem.column,
        excerpt=excerpt,
        caret=caret,
    )


@dataclass(frozen=True)
class DiffLine:
    kind: str  # "added", "removed", "hunk", "header", "same"
    text: str


@dataclass(frozen=True)
class CriterionDiff:
    criterion: str
    change: str  # "added", "removed", "changed"
    before: str  # the expressions, when they are what changed
    after: str


@dataclass(frozen=True)
class Diff:
    against: int | None  # the published version compared with; None if none yet
    lines: tuple[DiffLine, ...]
    criteria: tuple[CriterionDiff, ...]


def diff(service: Service, text: str, body: object | None) -> Diff:
    """The draft against the published version: per criterion, and line by line."""
    version = published_policy(service)
    old = without_identity(version.body) if version is not None else None
    old_text = "" if old is None else draft_text(old)
    new_text = text if body is None else draft_text(without_identity(body))
    label = f"v{version.version}" if version is not None else "-"
    lines = tuple(
        DiffLine(_kind(line), line)
        for line in difflib.unified_diff(
            old_text.splitlines(), new_text.splitlines(), label, "draft", lineterm=""
        )
    )
    return Diff(
        None if version is None else version.version, lines, _criteria_diff(old, body or {})
    )


def _kind(line: str) -> str:
    if line.startswith(("+++", "---")):
        return "header"
    if line.startswith("@@"):
        return "hunk"
    return {"+": "added", "-": "removed"}.get(line[:1], "same")


def _criteria_by_id(body: object) -> dict[str, Mapping[str, object]]:
    criteria = body.get("criteria") if isinstance(body, dict) else None
    if not isinstance(criteria, list):
        return {}
    return {
        str(c["id"]): c for c in criteria if isinstance(c, dict) and isinstance(c.get("id"), str)
    }


def _criteria_diff(old: object, new: object) -> tuple[CriterionDiff, ...]:
    before, after = _criteria_by_id(old), _criteria_by_id(new)
    found = []
    for id in [*after, *(id for id in before if id not in after)]:
        was, now = before.get(id), after.get(id)
        if was is None or now is None:
            found.append(CriterionDiff(id, "added" if was is None else "removed", "", ""))
        elif was != now:
            found.append(
                CriterionDiff(id, "changed", str(was.get("expression")), str(now.get("expression")))
            )
    return tuple(found)


# ---- Evaluations shown to staff --------------------------------------------------------


@dataclass(frozen=True)
class ResultRow:
    criterion: str
    status: str
    status_label: str
    values: tuple[tuple[str, str], ...]  # (the fact's label, its value as read)
    text: str
    error: str


@dataclass(frozen=True)
class EvaluationView:
    version: int
    outcome: str
    outcome_label: str
    reasons: tuple[str, ...]  # ids of the criteria that decided it
    results: tuple[ResultRow, ...]


def _shown(value: JsonValue) -> str:
    if value is None:
        return str(_("not recorded"))
    if isinstance(value, bool):
        return str(_("yes") if value else _("no"))
    if isinstance(value, list):
        items = [
            f"{item.get('service')}: {item.get('outcome')} ({item.get('days_ago')} d)"
            if isinstance(item, dict)
            else str(item)
            for item in value
        ]
        return ", ".join(items) or str(_("none"))
    return str(value)


def result_row(result: CriterionResult, language: str) -> ResultRow:
    return ResultRow(
        criterion=result.criterion,
        status=result.status.value,
        status_label=str(STATUS_LABELS[result.status]),
        values=tuple(
            (FACTS[name].label.get(language), _shown(value))
            for name, value in result.values.items()
        ),
        text=result.text.get(language),
        error=result.error or "",
    )


def evaluation_view(evaluation: Evaluation, language: str) -> EvaluationView:
    return EvaluationView(
        version=evaluation.policy_version,
        outcome=evaluation.outcome.value,
        outcome_label=str(Outcome(evaluation.outcome.value).label),
        reasons=tuple(reason.criterion for reason in evaluation.reasons),
        results=tuple(result_row(result, language) for result in evaluation.results),
    )


@dataclass(frozen=True)
class Tried:
    resident_number: str
    name: str
    draft: EvaluationView
    published: EvaluationView | None


def try_on_person(
    *, actor: User, service: Service, draft: CompiledPolicy, resident_number: str, now: datetime
) -> Tried | None:
    """The draft's evaluation for one person in custody at the service's facility, beside
    the published version's; None when nobody with that number is held there. A read of
    their clinical facts: audited."""
    if not _governed(actor).filter(pk=service.pk).exists():
        raise Http404
    booking = (
        Booking.objects.select_related("person", "facility")
        .filter(
            person__resident_number=resident_number.strip().upper(),
            facility_id=service.facility_id,
            released_at__isnull=True,
        )
        .first()
    )
    if booking is None:
        return None
    facts = facts_for(booking, now)
    after = evaluate(draft, facts)
    version = published_policy(service)
    before = None if version is None else evaluate(compiled(version.pk), facts)
    language = get_language() or "en"
    read = {*after.facts, *(() if before is None else before.facts)}
    record_read(
        actor=actor,
        action="policy.try",
        facility=service.facility,
        person=booking.person,
        records=[f"booking:{booking.pk}", f"service:{service.pk}"],
        fields=sorted(read),
    )
    return Tried(
        resident_number=booking.person.resident_number,
        name=display_name(booking.person),
        draft=evaluation_view(after, language),
        published=None if before is None else evaluation_view(before, language),
    )


# ---- What-if ---------------------------------------------------------------------------


@dataclass(frozen=True)
class WhatIfView:
    draft_version: int
    published_version: int | None
    total: Tally
    units: tuple[tuple[str, Tally], ...]
    seconds: float


def _view(what_if: WhatIf, seconds: float) -> WhatIfView:
    return WhatIfView(
        draft_version=what_if.draft.policy.version,
        published_version=None if what_if.published is None else what_if.published.version,
        total=what_if.result.total,
        units=tuple(what_if.result.groups.items()),
        seconds=seconds,
    )


def what_if_counts(*, actor: User, service: Service, now: datetime) -> WhatIfView:
    """The supervisor's what-if: counts in total and per housing unit, nobody named.
    SimulationError when there is no draft or it does not check."""
    if not _governed(actor).filter(pk=service.pk).exists():
        raise Http404
    started = time.perf_counter()
    what_if = run_what_if(service, now)
    view = _view(what_if, time.perf_counter() - started)
    record_what_if(actor=actor, what_if=what_if)
    return view


@dataclass(frozen=True)
class ChangeRow:
    resident_number: str
    name: str
    unit: str
    before: EvaluationView | None
    after: EvaluationView
    criteria: tuple[tuple[str, ResultRow | None, ResultRow | None], ...]


@dataclass(frozen=True)
class ChangesView:
    counts: WhatIfView
    page: Page[Any]
    rows: tuple[ChangeRow, ...]


def what_if_changes(*, actor: User, service: Service, now: datetime, page: str) -> ChangesView:
    """The clinicians' what-if: who changes and why, a page at a time; the people listed
    are named in the run's audit event."""
    if not _reviewed(actor).filter(pk=service.pk).exists():
        raise Http404
    started = time.perf_counter()
    what_if = run_what_if(service, now)
    changes = sorted(
        what_if.result.changes, key=lambda c: (what_if.units.get(c.person, UNPLACED), c.person)
    )
    shown = Paginator(changes, CHANGES_PER_PAGE).get_page(page)
    explained = explain(what_if, list(shown.object_list))
    view = _view(what_if, time.perf_counter() - started)
    record_what_if(actor=actor, what_if=what_if, shown=explained)
    language = get_language() or "en"
    return ChangesView(view, shown, tuple(_change_row(row, language) for row in explained))


def _change_row(row: Explained, language: str) -> ChangeRow:
    return ChangeRow(
        resident_number=row.resident_number,
        name=row.name,
        unit=row.unit,
        before=None if row.before is None else evaluation_view(row.before, language),
        after=evaluation_view(row.after, language),
        criteria=tuple(_criterion_pair(change, language) for change in row.criteria),
    )


def _criterion_pair(
    change: CriterionChange, language: str
) -> tuple[str, ResultRow | None, ResultRow | None]:
    return (
        change.criterion,
        None if change.before is None else result_row(change.before, language),
        None if change.after is None else result_row(change.after, language),
    )


def would_publish_as(service: Service) -> int:
    return next_version(service)
