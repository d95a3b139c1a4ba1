"""Every read the resident's own decision pages need, scoped to the resident (I6).

A resident sees only their own decisions, of this stay and earlier ones: any other is "not
found", never "forbidden", so that a guessed number tells nothing. A decision a clinician
has not signed off is never shown with an outcome: the list says one is coming, and its
page does not exist yet. Each page view records one read event listing the decisions (and
appeals) shown and the fields shown (I7).
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from kiteline.accounts.models import User
from kiteline.audit.recording import record_read
from kiteline.care.models import Appeal, Decision
from kiteline.care.plain_words import (
    AppealFacts,
    DecisionFacts,
    PlainDecision,
    describe,
    reasons_in,
    texts_in,
)

# The fields each page shows, for the read event. The list keeps the reasons and everyone's
# words off the first screen of a shared device; only the decision's own page shows them.
LIST_FIELDS = ("service", "outcome", "decided_at", "appeal_by", "appeal.due_at", "appeal.outcome")
PENDING_FIELDS = ("service",)
DETAIL_FIELDS = (
    *LIST_FIELDS,
    "number",
    "record.reasons",
    "policy_version",
    "offered_instead",
    "override_reason",
    "override_text",
    "appeal.filed_at",
    "appeal.text",
    "appeal.reason",
)
APPEAL_FORM_FIELDS = ("service", "outcome", "decided_at", "appeal_by", "appeal.due_at")
APPEAL_SENT_FIELDS = ("service", "appeal.filed_at", "appeal.due_at", "appeal.outcome")


@dataclass(frozen=True)
class ResidentDecision:
    decision: Decision
    appeal: Appeal | None
    plain: PlainDecision
    # In the resident's language: the service's name, the reasons with their evidence, and
    # what is offered instead of a "no".
    service: str
    reasons: tuple[str, ...]
    offered_instead: tuple[str, ...]


@dataclass(frozen=True)
class ResidentDecisions:
    decided: list[ResidentDecision]  # newest sign-off first
    pending: list[ResidentDecision]  # not signed off: the service's name only


def own_decisions(actor: User) -> QuerySet[Decision]:
    """The actor's own decisions, of every stay, with what their pages show."""
    if not actor.is_resident or actor.person_id is None:
        return Decision.objects.none()
    return Decision.objects.filter(person_id=actor.person_id).select_related(
        "facility", "person", "service", "policy_version", "appeal"
    )


def own_decision(actor: User, decision_id: int) -> Decision:
    """One of the actor's signed-off decisions, or 404."""
    return get_object_or_404(own_decisions(actor).filter(decided_at__isnull=False), pk=decision_id)


def appeal_of(decision: Decision) -> Appeal | None:
    try:
        return decision.appeal
    except Appeal.DoesNotExist:
        return None


def plain_of(decision: Decision, now: datetime) -> PlainDecision:
    appeal = appeal_of(decision)
    return describe(
        DecisionFacts(
            outcome=decision.outcome if decision.decided_at is not None else "",
            appeal_by=decision.appeal_by,
            appeal=None if appeal is None else AppealFacts(appeal.due_at, appeal.outcome),
        ),
        now,
    )


def in_words(decision: Decision, now: datetime, language: str) -> ResidentDecision:
    plain = plain_of(decision, now)
    return ResidentDecision(
        decision=decision,
        appeal=appeal_of(decision),
        plain=plain,
        service=decision.service.name(language),
        reasons=reasons_in(decision.record, language),
        offered_instead=(
            texts_in(decision.policy_version.body.get("offered_instead"), language)
            if plain.was_no
            else ()
        ),
    )


def _record(actor: User, decisions: Sequence[Decision], fields: Iterable[str]) -> None:
    if not decisions:
        return
    facilities = {decision.facility_id for decision in decisions}
    # One chain takes the event: the decisions' facility, or the system chain when a
    # resident's history spans facilities (decisions from an earlier stay elsewhere).
    facility = decisions[0].facility if len(facilities) == 1 else None
    records = []
    for decision in decisions:
        records.append(f"decision:{decision.pk}")
        appeal = appeal_of(decision)
        if appeal is not None:
            records.append(f"appeal:{appeal.pk}")
    record_read(
        actor=actor,
        action="decision.read",
        facility=facility,
        person=decisions[0].person,
        records=records,
        fields=fields,
    )


def read_own_decisions(actor: User, now: datetime, language: str) -> ResidentDecisions:
    """My decisions: the signed-off ones newest first, then those still with a clinician;
    read and recorded as one view."""
    rows = list(own_decisions(actor).order_by("-decided_at", "-requested_at", "-pk"))
    decided = [row for row in rows if row.decided_at is not None]
    pending = [row for row in rows if row.decided_at is None]
    _record(actor, [*decided, *pending], LIST_FIELDS if decided else PENDING_FIELDS)
    return ResidentDecisions(
        decided=[in_words(row, now, language) for row in decided],
        pending=[in_words(row, now, language) for row in pending],
    )


def show_own_decision(
    actor: User, decision: Decision, now: datetime, language: str, *, fields: Iterable[str]
) -> ResidentDecision:
    """A decision from `own_decision`, for a page that shows `fields` of it."""
    _record(actor, [decision], fields)
    return in_words(decision, now, language)


def read_own_decision(
    actor: User, decision_id: int, now: datetime, language: str, *, fields: Iterable[str]
) -> ResidentDecision:
    """One of the resident's signed-off decisions, for a page that shows `fields` of it."""
    return show_own_decision(actor, own_decision(actor, decision_id), now, language, fields=fields)


def has_decided_decisions(person_id: int) -> bool:
    return Decision.objects.filter(person_id=person_id, decided_at__isnull=False).exists()
