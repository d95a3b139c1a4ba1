"""A sampled record as chart review shows it: identified, with everything a monitor needs to
judge whether it was timely and whether its reasons hold. For a request, its words, its
steps' times, its clocks with their deadlines and when they were met, and its breaches; for
a decision, the policy version, the facts, each criterion met or not, the proposal, the
outcome and any override; for an appeal, its words, deadline, reviewer and answer; for an
evaluation, its kind, urgency, reason, times, note and breach.

No access rule lives here: `sample_selectors.case_record` decides which record may be
opened, and records the read."""

from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import datetime

from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from kiteline.care.facts import FACTS, FactError, JsonValue, facts_from_json, render_value
from kiteline.care.models import Appeal, Decision
from kiteline.facilities.models import Person
from kiteline.kites.models import Breach, Kite, Urgency
from kiteline.kites.selectors import (
    ClockView,
    clock_view,
    display_name,
    local_time,
    local_time_or_none,
    staff_name,
)
from kiteline.reports.models import SampleKind
from kiteline.screening.models import Evaluation, EvaluationBreach

PREFIXES: dict[str, str] = {
    SampleKind.KITES: "K",
    SampleKind.DECISIONS: "D",
    SampleKind.APPEALS: "A",
    SampleKind.EVALUATIONS: "E",
}
STATUS_WORDS = {
    "met": _("met"),
    "not_met": _("not met"),
    "unknown": _("not decided: a fact it reads is not recorded"),
}


def record_number(kind: str, record_id: int) -> str:
    """How staff pages name a record: K000012, D000003, A000001, E000007."""
    return f"{PREFIXES[kind]}{record_id:06d}"


@dataclass(frozen=True)
class Resident:
    resident_number: str
    name: str
    booking_number: str


@dataclass(frozen=True)
class BreachLine:
    what: str
    breached_at: datetime
    facility: str  # responsible when it happened; a later transfer does not move it


@dataclass(frozen=True)
class KiteRecord:
    number: str
    resident: Resident
    facility: str
    channel: str
    topic: str
    text: str
    received_at: datetime
    entered_at: datetime
    entered_by: str
    backdate_reason: str
    urgency: str
    status: str
    triaged_at: datetime | None
    triaged_by: str
    symptom_described: bool | None
    route: str
    route_reason: str
    seen_at: datetime | None
    seen_by: str
    contact_note: str
    contact_late_reason: str
    outcome: str
    closed_at: datetime | None
    close_code: str
    clocks: tuple[ClockView, ...]
    breaches: tuple[BreachLine, ...]


@dataclass(frozen=True)
class CriterionLine:
    criterion: str
    status: str  # met, not_met or unknown
    status_words: str
    text: str  # the reason as the resident reads it, its evidence filled in


@dataclass(frozen=True)
class FactLine:
    label: str
    value: str


@dataclass(frozen=True)
class AppealSummary:
    number: str
    filed_at: datetime
    due_at: datetime
    outcome: str
    reason: str
    decided_at: datetime | None
    breached_at: datetime | None


@dataclass(frozen=True)
class DecisionRecord:
    number: str
    resident: Resident
    facility: str
    service: str
    policy_version: int
    policy_published_by: str
    policy_published_at: datetime
    source: str
    kite_number: str
    requested_by: str
    requested_at: datetime
    facts: tuple[FactLine, ...]
    criteria: tuple[CriterionLine, ...]
    proposed: str
    outcome: str
    decided_by: str
    decided_at: datetime | None
    override_reason: str
    override_text: str
    appeal_by: datetime | None
    appeal: AppealSummary | None


@dataclass(frozen=True)
class DecisionSummary:
    number: str
    service: str
    policy_version: int
    proposed: str
    outcome: str
    decided_by: str
    decided_at: datetime | None
    override_reason: str


@dataclass(frozen=True)
class AppealRecord:
    number: str
    resident: Resident
    facility: str
    decision: DecisionSummary
    text: str
    filed_by: str
    filed_at: datetime
    late_reason: str
    due_at: datetime
    reviewer: str
    outcome: str
    reason: str
    decided_by: str
    decided_at: datetime | None
    breached_at: datetime | None


@dataclass(frozen=True)
class EvaluationRecord:
    number: str
    resident: Resident
    facility: str
    kind: str
    urgency: str
    reason: str
    discretion_reason: str
    safety: bool
    opened_at: datetime
    opened_by: str
    due_at: datetime
    done_at: datetime | None
    done_by: str
    done_note: str
    closed_at: datetime | None
    breach: BreachLine | None


type CaseRecord = KiteRecord | DecisionRecord | AppealRecord | EvaluationRecord


@dataclass(frozen=True)
class Opened:
    """A record as shown, whose it is, and the other records it shows (for the read event)."""

    record: CaseRecord
    person: Person
    also_shown: tuple[str, ...] = ()

    @property
    def field_names(self) -> list[str]:
        return [field.name for field in fields(self.record)]


def _resident(person: Person, booking_number: str) -> Resident:
    return Resident(
        resident_number=person.resident_number,
        name=display_name(person),
        booking_number=booking_number,
    )


def _language() -> str:
    return "es" if (get_language() or "en").split("-")[0] == "es" else "en"


# ---- A request -------------------------------------------------------------------------


def _kite(kite_id: int, zone: str, now: datetime) -> Opened:
    kite = Kite.objects.select_related(
        "person", "booking", "facility", "entered_by", "triaged_by", "seen_by"
    ).get(pk=kite_id)
    clocks = list(kite.clocks.select_related("breach__facility").order_by("due_at", "pk"))
    breaches = []
    for clock in clocks:
        try:
            breach = clock.breach
        except Breach.DoesNotExist:
            continue
        breaches.append(
            BreachLine(
                what=clock.get_kind_display(),
                breached_at=local_time(breach.breached_at, zone),
                facility=breach.facility.name,
            )
        )
    record = KiteRecord(
        number=kite.number,
        resident=_resident(kite.person, kite.booking.booking_number),
        facility=kite.facility.name,
        channel=kite.get_channel_display(),
        topic=kite.get_topic_display(),
        text=kite.text,
        received_at=local_time(kite.received_at, zone),
        entered_at=local_time(kite.entered_at, zone),
        entered_by=staff_name(kite.entered_by),
        backdate_reason=kite.backdate_reason,
        urgency=kite.get_urgency_display(),
        status=kite.get_status_display(),
        triaged_at=local_time_or_none(kite.triaged_at, zone),
        triaged_by=staff_name(kite.triaged_by),
        symptom_described=kite.symptom_described,
        route=kite.get_route_display(),
        route_reason=kite.route_reason,
        seen_at=local_time_or_none(kite.seen_at, zone),
        seen_by=staff_name(kite.seen_by),
        contact_note=kite.contact_note,
        contact_late_reason=kite.contact_late_reason,
        outcome=kite.get_outcome_display(),
        closed_at=local_time_or_none(kite.closed_at, zone),
        close_code=kite.get_close_code_display(),
        clocks=tuple(clock_view(clock, now, zone) for clock in clocks),
        breaches=tuple(breaches),
    )
    return Opened(record=record, person=kite.person)


# ---- A decision ------------------------------------------------------------------------


def _in_language(value: JsonValue) -> str:
    """A stored {"en": ..., "es": ...} text in the page's language."""
    if not isinstance(value, dict):
        return ""
    chosen = value.get(_language()) or value.get("en")
    return chosen if isinstance(chosen, str) else ""


def _facts(stored: Mapping[str, JsonValue]) -> tuple[FactLine, ...]:
    """The facts the policy read, in words, in the order of FACTS."""
    language = _language()
    lines = []
    for name, fact in FACTS.items():
        if name not in stored:
            continue
        try:
            value = facts_from_json({name: stored[name]}).values.get(name)
            words = render_value(name, value, language)
        except FactError:
            words = str(stored[name])
        lines.append(FactLine(label=fact.label.get(language), value=words))
    return tuple(lines)


def _criteria(record: JsonValue) -> tuple[CriterionLine, ...]:
    """Each criterion of the engine's record, met or not, with its reason."""
    results = record.get("results") if isinstance(record, dict) else None
    lines = []
    for result in results if isinstance(results, list) else []:
        if not isinstance(result, dict):
            continue
        status = str(result.get("status", ""))
        lines.append(
            CriterionLine(
                criterion=str(result.get("criterion", "")),
                status=status,
                status_words=str(STATUS_WORDS.get(status, status)),
                text=_in_language(result.get("text")),
            )
        )
    return tuple(lines)


def _appeal_summary(appeal: Appeal, zone: str) -> AppealSummary:
    return AppealSummary(
        number=appeal.number,
        filed_at=local_time(appeal.filed_at, zone),
        due_at=local_time(appeal.due_at, zone),
        outcome=appeal.get_outcome_display(),
        reason=appeal.reason,
        decided_at=local_time_or_none(appeal.decided_at, zone),
        breached_at=local_time_or_none(appeal.breached_at, zone),
    )


def _decision(decision_id: int, zone: str) -> Opened:
    decision = Decision.objects.select_related(
        "person",
        "booking",
        "facility",
        "service",
        "policy_version__published_by",
        "kite",
        "requested_by",
        "decided_by",
    ).get(pk=decision_id)
    appeal = Appeal.objects.filter(decision=decision).first()
    version = decision.policy_version
    record = DecisionRecord(
        number=decision.number,
        resident=_resident(decision.person, decision.booking.booking_number),
        facility=decision.facility.name,
        service=decision.service.name(_language()),
        policy_version=version.version,
        policy_published_by=staff_name(version.published_by),
        policy_published_at=local_time(version.published_at, zone),
        source=decision.get_source_display(),
        kite_number="" if decision.kite is None else decision.kite.number,
        requested_by=staff_name(decision.requested_by),
        requested_at=local_time(decision.requested_at, zone),
        facts=_facts(decision.facts if isinstance(decision.facts, dict) else {}),
        criteria=_criteria(decision.record),
        proposed=decision.get_proposed_display(),
        outcome=decision.get_outcome_display(),
        decided_by=staff_name(decision.decided_by),
        decided_at=local_time_or_none(decision.decided_at, zone),
        override_reason=decision.get_override_reason_display(),
        override_text=decision.override_text,
        appeal_by=local_time_or_none(decision.appeal_by, zone),
        appeal=None if appeal is None else _appeal_summary(appeal, zone),
    )
    also = () if appeal is None else (f"appeal:{appeal.pk}",)
    return Opened(record=record, person=decision.person, also_shown=also)


# ---- An appeal -------------------------------------------------------------------------


def _appeal(appeal_id: int, zone: str) -> Opened:
    appeal = Appeal.objects.select_related(
        "person",
        "facility",
        "decision__booking",
        "decision__service",
        "decision__policy_version",
        "decision__decided_by",
        "filed_by",
        "reviewer",
        "decided_by",
    ).get(pk=appeal_id)
    decision = appeal.decision
    record = AppealRecord(
        number=appeal.number,
        resident=_resident(appeal.person, decision.booking.booking_number),
        facility=appeal.facility.name,
        decision=DecisionSummary(
            number=decision.number,
            service=decision.service.name(_language()),
            policy_version=decision.policy_version.version,
            proposed=decision.get_proposed_display(),
            outcome=decision.get_outcome_display(),
            decided_by=staff_name(decision.decided_by),
            decided_at=local_time_or_none(decision.decided_at, zone),
            override_reason=decision.get_override_reason_display(),
        ),
        text=appeal.text,
        filed_by=staff_name(appeal.filed_by),
        filed_at=local_time(appeal.filed_at, zone),
        late_reason=appeal.late_reason,
        due_at=local_time(appeal.due_at, zone),
        reviewer=staff_name(appeal.reviewer),
        outcome=appeal.get_outcome_display(),
        reason=appeal.reason,
        decided_by=staff_name(appeal.decided_by),
        decided_at=local_time_or_none(appeal.decided_at, zone),
        breached_at=local_time_or_none(appeal.breached_at, zone),
    )
    return Opened(record=record, person=appeal.person, also_shown=(f"decision:{decision.pk}",))


# ---- An evaluation ---------------------------------------------------------------------


def _urgency_words(value: str) -> str:
    return str(Urgency(value).label) if value in Urgency.values else value


def _evaluation(evaluation_id: int, zone: str) -> Opened:
    evaluation = Evaluation.objects.select_related(
        "person", "booking", "facility", "opened_by", "done_by"
    ).get(pk=evaluation_id)
    breach = (
        EvaluationBreach.objects.select_related("facility").filter(evaluation=evaluation).first()
    )
    record = EvaluationRecord(
        number=record_number(SampleKind.EVALUATIONS, evaluation.pk),
        resident=_resident(evaluation.person, evaluation.booking.booking_number),
        facility=evaluation.facility.name,
        kind=evaluation.get_kind_display(),
        urgency=_urgency_words(evaluation.urgency),
        reason=evaluation.get_reason_display(),
        discretion_reason=evaluation.discretion_reason,
        safety=evaluation.safety,
        opened_at=local_time(evaluation.opened_at, zone),
        opened_by=staff_name(evaluation.opened_by),
        due_at=local_time(evaluation.due_at, zone),
        done_at=local_time_or_none(evaluation.done_at, zone),
        done_by=staff_name(evaluation.done_by),
        done_note=evaluation.done_note,
        closed_at=local_time_or_none(evaluation.closed_at, zone),
        breach=None
        if breach is None
        else BreachLine(
            what=evaluation.get_kind_display(),
            breached_at=local_time(breach.breached_at, zone),
            facility=breach.facility.name,
        ),
    )
    return Opened(record=record, person=evaluation.person)


def open_record(kind: str, record_id: int, zone: str, now: datetime) -> Opened:
    """The record of that kind, its times in `zone`; its clocks as they stand at `now`."""
    match kind:
        case SampleKind.KITES:
            return _kite(record_id, zone, now)
        case SampleKind.DECISIONS:
            return _decision(record_id, zone)
        case SampleKind.APPEALS:
            return _appeal(record_id, zone)
        case _:
            return _evaluation(record_id, zone)
