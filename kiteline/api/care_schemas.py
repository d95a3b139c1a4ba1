"""The care API's schemas, each the JSON form of a care selector's record.

Custody receives none of them: every care route refuses custody (I6), so no care field is
on the custody allow-list. Staff get the pages' views: choices with their labels in the
caller's language, times in the facility's time zone. A resident gets their own decisions
in plain words in their language, staff's own words marked as staff's (I3).
"""

from datetime import datetime
from typing import Any

from django.utils.translation import gettext as _
from ninja import Field, Schema

from kiteline.care.plain_words import Answer
from kiteline.care.resident_selectors import ResidentDecision
from kiteline.care.services import LATE_REASON_MAX_LENGTH, TEXT_MAX_LENGTH
from kiteline.kites.selectors import local_time, local_time_or_none

# ---- In ----------------------------------------------------------------------------------


class LevelIn(Schema):
    level: str
    reason: str = Field(max_length=TEXT_MAX_LENGTH)
    evaluation_id: int | None = None


class DecisionIn(Schema):
    """Ask the published policy of `service` (its code, such as `individual_therapy`) for
    a decision on the resident, directly, from a request referred for a decision
    (`kite_number`, such as `K000123`) or from an evaluation."""

    resident_number: str
    service: str
    kite_number: str | None = None
    evaluation_id: int | None = None


class OverrideIn(Schema):
    outcome: str
    reason: str
    text: str = Field("", max_length=TEXT_MAX_LENGTH)


class AppealIn(Schema):
    text: str = Field(max_length=TEXT_MAX_LENGTH)
    # Staff only: when the resident made an appeal entered later (with a time zone), and
    # why it is entered late when that was more than a few minutes ago.
    received_at: datetime | None = None
    late_reason: str = Field("", max_length=LATE_REASON_MAX_LENGTH)


class AppealDecisionIn(Schema):
    outcome: str
    reason: str = Field(max_length=TEXT_MAX_LENGTH)


class ContactFiguresIn(Schema):
    """The facility's own contact figures, all of them: level → kind of contact → every
    so many days (1 to 366), or null when it is not required. A figure left out is the
    preset's. `facility` is a facility code (the caller's first when left out)."""

    facility: str | None = None
    # Any: a figure that is not a whole number is refused by the service in plain words.
    contact_days: dict[str, dict[str, Any]]


class ServiceChangeIn(Schema):
    """What to change of a service; a field left out stays as it is."""

    name_en: str | None = None
    name_es: str | None = None
    capacity_note: str | None = None
    active: bool | None = None


class DraftIn(Schema):
    """The policy as docs/policies.md describes it; its service and version are the
    system's to set."""

    body: dict[str, Any]


# ---- Staff: services, levels, decisions, appeals -------------------------------------------


class ServiceOut(Schema):
    service_id: int
    facility: str
    code: str
    name_en: str
    name_es: str
    capacity_note: str
    active: bool
    version: int | None


class ContactFigureOut(Schema):
    kind: str  # clinician, psychiatry, treatment_plan
    name: str
    every_days: int
    unverified: bool  # a preset's default that no public source confirms
    as_needed: bool
    own: bool  # the facility's own figure


class SchemeLevelOut(Schema):
    code: str
    name: str
    description: str
    contacts: list[ContactFigureOut]
    not_required: list[str]  # kinds the facility itself says are not required here
    weekly_structured_hours: int | None
    weekly_structured_hours_unverified: bool


class SettingsServiceOut(Schema):
    service_id: int
    code: str
    name_en: str
    name_es: str
    capacity_note: str
    active: bool
    version: int | None
    has_draft: bool


class CareSettingsOut(Schema):
    """A facility's care settings as its page shows them (`staff_selectors.SettingsPage`)."""

    facility: str
    scheme: str
    scheme_name: str
    source: str
    levels: list[SchemeLevelOut]
    unverified: list[str]
    appeal_window_days: int
    appeal_response_days: int
    updated_by: str
    updated_at: datetime | None
    services: list[SettingsServiceOut]


class LevelOut(Schema):
    level_id: int
    level: str
    name: str
    scheme: str
    reason: str
    assigned_by: str
    assigned_at: datetime
    booking_number: str
    evaluation_id: int | None


class DecisionRowOut(Schema):
    decision_id: int
    number: str
    service: str
    proposed: str
    proposed_label: str
    outcome: str
    outcome_label: str
    overridden: bool
    requested_at: datetime
    decided_at: datetime | None
    appeal_id: int | None
    appeal_number: str
    appeal_outcome_label: str
    appeal_due_at: datetime | None


class PersonCareOut(Schema):
    """A person's care as the person page shows it to health staff
    (`staff_selectors.PersonCare`)."""

    scheme: str
    current: LevelOut | None
    levels: list[LevelOut]
    decisions: list[DecisionRowOut]


class LevelSetOut(Schema):
    """The level just set: what the caller sent, and where it was recorded."""

    level_id: int
    scheme: str
    level: str
    booking_number: str
    assigned_at: datetime


class FactOut(Schema):
    name: str
    label: str
    value: str
    missing: bool


class CriterionOut(Schema):
    criterion: str
    status: str
    status_label: str
    review: bool
    cited: bool
    text: str
    values: list[FactOut]
    missing: list[str]
    error: str


class AppealRowOut(Schema):
    """A line of the appeals list (`staff_selectors.AppealRow`)."""

    appeal_id: int
    number: str
    decision_id: int
    decision_number: str
    resident_number: str
    name: str
    facility: str
    service: str
    filed_at: datetime
    due_at: datetime
    overdue: bool
    due_soon: bool
    breached: bool
    needs_reviewer: bool
    reviewer: str
    remote_reviewer: bool
    outcome: str
    outcome_label: str
    decided_by: str
    decided_at: datetime | None
    may_review: bool
    own_decision: bool


class AppealOut(AppealRowOut):
    """An appeal as its page shows it: with the resident's words and the answer."""

    text: str
    filed_by: str
    late_reason: str
    reason: str


class DecisionOut(Schema):
    """One decision as its page shows it (`staff_selectors.DecisionView`): the proposal,
    each criterion with the values it read, the facts, what is offered instead, the policy
    version, the clinician's outcome or override, and the appeal."""

    decision_id: int
    number: str
    resident_number: str
    name: str
    facility: str
    booking_number: str
    service: str
    policy_version: int
    published_by: str
    published_at: datetime
    proposed: str
    proposed_label: str
    source_label: str
    kite_number: str
    evaluation_id: int | None
    requested_by: str
    requested_at: datetime
    criteria: list[CriterionOut]
    facts: list[FactOut]
    offered_instead: list[str]
    outcome: str
    outcome_label: str
    decided_by: str
    decided_at: datetime | None
    override_reason: str
    override_reason_label: str
    override_text: str
    appeal_by: datetime | None
    appeal: AppealOut | None


class AppealListOut(Schema):
    open: list[AppealRowOut]
    decided: list[AppealRowOut]
    needs_reviewer: int  # for a supervisor: open appeals nobody may decide until one is named


class AppealPageOut(Schema):
    appeal: AppealOut
    decision: DecisionOut


# ---- Policies ----------------------------------------------------------------------------


class PublishedOut(Schema):
    version: int
    published_by: str
    published_at: datetime
    body: dict[str, Any]


class DraftOut(Schema):
    body: dict[str, Any]
    edited_by: str
    edited_at: datetime


class PolicyOut(Schema):
    service_id: int
    facility: str
    code: str
    versions: list[PublishedOut]
    draft: DraftOut | None


class ProblemOut(Schema):
    where: str  # as the engine names it: criteria[0] (phq9-15).expression
    message: str
    line: int | None  # in the expression, counted from 1
    column: int | None


class ProblemsOut(Schema):
    detail: str
    problems: list[ProblemOut]


# ---- Appeals filed, and the grievance notice ---------------------------------------------


def grievance_notice() -> str:
    """What every appeal screen says (`templates/kiosk/decisions/_grievance.html`), in the
    active language: an appeal taken for a grievance can cost the right to sue (DOMAIN.md).
    The same sentences as the kiosk's, so one translation serves both."""
    return " ".join(
        (
            _("This appeal is not a grievance") + ".",
            _(
                "An appeal asks a clinician to look at a decision again. It is not the formal "
                "grievance of this facility."
            ),
            _("Only a formal grievance protects your right to go to court."),
            _(
                "To file a grievance, ask an officer for a grievance form. Grievances have "
                "time limits, so ask soon. You can appeal and file a grievance."
            ),
        )
    )


class AppealFiledOut(Schema):
    appeal_id: int
    number: str
    decision_id: int
    filed_at: datetime
    due_at: datetime
    # This appeal is not the formal grievance, and how to file one: only a grievance
    # preserves the resident's legal rights.
    grievance_notice: str


# ---- A resident's own decisions ----------------------------------------------------------


def answer_words(answer: Answer) -> str:
    """The kiosk's sentence for the answer (`kiosk/decisions/_answer.html`)."""
    if answer is Answer.YES:
        return _("Yes, you can have this care.")
    if answer is Answer.NO:
        return _("No, not now.")
    return _("A clinician is looking at your request.")


class OwnAppealOut(Schema):
    filed_at: datetime
    due_at: datetime
    late: bool  # unanswered past its deadline: said plainly (I5)
    written_by_staff: str  # the reviewer's answer, as they wrote it


class OwnDecisionOut(Schema):
    """One of a resident's signed-off decisions in plain words in their language: the
    answer as it stands now (an appeal granted makes a "no" a "yes"), each reason with its
    evidence, what is offered instead of a "no", and the appeal: `appeal_state` is one of
    not_needed, open (until `appeal_by`), closed, waiting, granted, not_granted."""

    decision_id: int
    number: str
    service: str
    decided_at: datetime
    answer: str
    answer_words: str
    reasons: list[str]
    # A clinician's override: the standard reason, translated, and their own words as
    # they wrote them, never translated (I3).
    override_reason: str
    written_by_staff: str
    offered_instead: list[str]
    policy_version: int
    appeal_state: str
    appeal_by: datetime | None
    appeal: OwnAppealOut | None

    @classmethod
    def of(cls, item: ResidentDecision) -> "OwnDecisionOut":
        decision, appeal, plain = item.decision, item.appeal, item.plain
        zone = decision.facility.time_zone
        assert decision.decided_at is not None  # noqa: S101 -- `decided` holds signed-off ones
        return cls(
            decision_id=decision.pk,
            number=decision.number,
            service=item.service,
            decided_at=local_time(decision.decided_at, zone),
            answer=plain.answer.value,
            answer_words=answer_words(plain.answer),
            reasons=list(item.reasons),
            override_reason=str(decision.get_override_reason_display())
            if decision.override_reason
            else "",
            written_by_staff=decision.override_text,
            offered_instead=list(item.offered_instead),
            policy_version=decision.policy_version.version,
            appeal_state=plain.appeal.value,
            appeal_by=local_time_or_none(plain.appeal_by, zone),
            appeal=None
            if appeal is None
            else OwnAppealOut(
                filed_at=local_time(appeal.filed_at, zone),
                due_at=local_time(appeal.due_at, zone),
                late=plain.late,
                written_by_staff=appeal.reason if appeal.decided_at is not None else "",
            ),
        )


class PendingDecisionOut(Schema):
    """A decision a clinician has not signed off: no outcome is shown, only that one is
    coming."""

    service: str
    answer: str
    answer_words: str

    @classmethod
    def of(cls, item: ResidentDecision) -> "PendingDecisionOut":
        return cls(
            service=item.service,
            answer=item.plain.answer.value,
            answer_words=answer_words(item.plain.answer),
        )


class OwnDecisionsOut(Schema):
    language: str
    decided: list[OwnDecisionOut]
    pending: list[PendingDecisionOut]
