"""Reads for the staff care pages: a person's level of care and decisions, one decision with
its evidence, requests referred for a decision, appeals, and the care settings.

Each is scoped to the actor: health staff only (custody, auditors and residents never get
here, I6), the care records of the actor's facilities and of the stays held there now (care
travels with a transfer), and 404 for anything else. A clinician named as an appeal's remote
reviewer also sees that appeal and its decision, and nothing else of that facility. Every
page that shows clinical records writes one read event listing them (I7)."""

from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import datetime, timedelta

from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery
from django.http import Http404
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from kiteline.accounts.models import HEALTH_ROLES, Role, User
from kiteline.audit.recording import record_read
from kiteline.care.facts import FACTS, FactError, JsonValue, facts_from_json, render_value
from kiteline.care.levels import (
    CONTACT_NAMES,
    PRESETS,
    ContactKind,
    LevelError,
    Scheme,
    unverified_figures,
)
from kiteline.care.models import (
    Appeal,
    CareSettings,
    Decision,
    LevelAssignment,
    Outcome,
    PolicyDraft,
    PolicyVersion,
    Service,
)
from kiteline.care.resident_selectors import (
    DETAIL_FIELDS,
    PENDING_FIELDS,
    ResidentDecisions,
    in_words,
    own_decisions,
)
from kiteline.care.services import (
    ContactDays,
    appeal_days,
    denial_reasons,
    may_review,
    scheme_of,
)
from kiteline.facilities.models import Booking, Facility, Person
from kiteline.facilities.selectors import facility_for_actor, people_in_scope, read_chain
from kiteline.kites.models import Kite
from kiteline.kites.models import Outcome as KiteOutcome
from kiteline.kites.selectors import display_name, local_time, local_time_or_none, staff_name
from kiteline.screening.models import Evaluation, EvaluationKind

# How far back the appeals list shows decided appeals.
RECENT_DAYS = 30
LIST_LIMIT = 500

STATUS_LABELS = {
    "met": gettext_lazy("met"),
    "not_met": gettext_lazy("not met"),
    "unknown": gettext_lazy("unknown"),
}


# ---- Scope -----------------------------------------------------------------------------


def _health_staff(actor: User) -> None:
    if not actor.is_staff_member or actor.role not in HEALTH_ROLES:
        raise Http404


def _held_here(actor: User, booking: str = "booking") -> Q:
    """Records of the actor's facilities, and those of the stays held there now."""
    mine = actor.facilities.all()
    return Q(facility__in=mine) | Q(**{f"{booking}__facility__in": mine})


def decisions_in_scope(actor: User) -> QuerySet[Decision]:
    _health_staff(actor)
    scope = _held_here(actor)
    if actor.role == Role.CLINICIAN:
        # A remote reviewer sees the decision of the appeal named to them, and no other.
        scope |= Q(appeal__reviewer=actor)
    return Decision.objects.filter(scope)


def appeals_in_scope(actor: User) -> QuerySet[Appeal]:
    _health_staff(actor)
    scope = _held_here(actor, "decision__booking")
    if actor.role == Role.CLINICIAN:
        scope |= Q(reviewer=actor)
    return Appeal.objects.filter(scope)


def _my_facility_ids(actor: User) -> set[int]:
    return set(actor.facilities.values_list("pk", flat=True))


# ---- Words -----------------------------------------------------------------------------


def _language() -> str:
    return "es" if (get_language() or "en").split("-")[0] == "es" else "en"


def _text(value: JsonValue) -> str:
    """A stored {"en": ..., "es": ...} text in the page's language."""
    if not isinstance(value, dict):
        return ""
    chosen = value.get(_language()) or value.get("en")
    return chosen if isinstance(chosen, str) else ""


def _level_name(scheme: str, level: str) -> str:
    preset = PRESETS.get(scheme)
    try:
        return level if preset is None else preset.level(level).name.get(_language())
    except LevelError:
        return level


@dataclass(frozen=True)
class FactView:
    name: str
    label: str
    value: str
    missing: bool


def _fact_views(values: Mapping[str, JsonValue]) -> tuple[FactView, ...]:
    """Facts as stored with a decision, each in words as a reason writes it, in the order
    of FACTS (PostgreSQL's jsonb keeps no order of its own)."""
    language = _language()
    shown = []
    for name, fact in FACTS.items():
        if name not in values:
            continue
        stored = values[name]
        try:
            value = facts_from_json({name: stored}).values.get(name)
            words = render_value(name, value, language)
        except FactError:
            words = str(stored)
        shown.append(FactView(name, fact.label.get(language), words, stored is None))
    return tuple(shown)


# ---- Levels, decisions and appeals as rows ---------------------------------------------


@dataclass(frozen=True)
class LevelRow:
    level_id: int
    level: str
    name: str
    scheme: str
    reason: str
    assigned_by: str
    assigned_at: datetime
    booking_number: str
    evaluation_id: int | None


def _level_row(assignment: LevelAssignment) -> LevelRow:
    return LevelRow(
        level_id=assignment.pk,
        level=assignment.level,
        name=_level_name(assignment.scheme, assignment.level),
        scheme=assignment.scheme,
        reason=assignment.reason,
        assigned_by=staff_name(assignment.assigned_by),
        assigned_at=local_time(assignment.assigned_at, assignment.facility.time_zone),
        booking_number=assignment.booking.booking_number,
        evaluation_id=assignment.evaluation_id,
    )


@dataclass(frozen=True)
class AppealRow:
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
    overdue: bool  # unanswered past its deadline
    due_soon: bool  # unanswered and the sweep warned that its deadline is near
    breached: bool  # a breach is recorded; no later answer clears it (I5)
    # Unanswered, no reviewer named and no other active clinician at the facility: nobody
    # may decide it until a supervisor names a reviewer (I4).
    needs_reviewer: bool
    reviewer: str
    remote_reviewer: bool  # the named reviewer has no other access to the facility
    outcome: str
    outcome_label: str
    decided_by: str
    decided_at: datetime | None
    may_review: bool
    own_decision: bool  # the actor made the decision: someone else decides (I4)
    in_scope: bool  # the actor may open the person's page
    reviewer_choices: tuple[tuple[int, str], ...]  # for a supervisor naming a reviewer


@dataclass(frozen=True)
class AppealView(AppealRow):
    """An appeal as its page shows it: with the resident's words and the answer."""

    text: str
    filed_by: str
    late_reason: str  # why staff entered it later than the resident made it
    reason: str


APPEAL_SELECTED = (
    "decision__service",
    "decision__booking",
    "person",
    "facility",
    "reviewer",
    "decided_by",
    "filed_by",
)
APPEAL_PREFETCHED = ("reviewer__facilities",)


def _others_may_decide() -> Exists:
    """An appeal's facility has an active clinician other than the one who decided."""
    return Exists(
        User.objects.filter(
            role=Role.CLINICIAN, is_active=True, facilities=OuterRef("facility_id")
        ).exclude(pk=OuterRef("decision__decided_by_id"))
    )


def appeals_with_reviewers(appeals: QuerySet[Appeal]) -> QuerySet[Appeal]:
    """`appeals`, each knowing (in the same query) whether anyone but a named reviewer may
    decide it: read by `_needs_reviewer`."""
    return appeals.annotate(others_may_decide=_others_may_decide())


def _needs_reviewer(appeal: Appeal) -> bool:
    """Open, no reviewer named, and no other active clinician at the facility: nobody may
    decide it (I4) until a supervisor names one. Known only for appeals read through
    `appeals_with_reviewers`."""
    return (
        appeal.decided_at is None
        and appeal.reviewer_id is None
        and getattr(appeal, "others_may_decide", True) is False
    )


def _appeal_row(
    appeal: Appeal,
    actor: User,
    now: datetime,
    mine: set[int],
    clinicians: "tuple[Clinician, ...] | None" = None,
) -> AppealRow:
    zone = appeal.facility.time_zone
    reviewer = appeal.reviewer
    open_ = appeal.decided_at is None
    overdue = open_ and now > appeal.due_at
    return AppealRow(
        appeal_id=appeal.pk,
        number=appeal.number,
        decision_id=appeal.decision_id,
        decision_number=appeal.decision.number,
        resident_number=appeal.person.resident_number,
        name=display_name(appeal.person),
        facility=appeal.facility.name,
        service=appeal.decision.service.name(_language()),
        filed_at=local_time(appeal.filed_at, zone),
        due_at=local_time(appeal.due_at, zone),
        overdue=overdue,
        due_soon=open_ and not overdue and appeal.warned_at is not None,
        breached=appeal.breached_at is not None,
        needs_reviewer=_needs_reviewer(appeal),
        reviewer=staff_name(reviewer),
        remote_reviewer=reviewer is not None
        and appeal.facility_id not in {f.pk for f in reviewer.facilities.all()},
        outcome=appeal.outcome,
        outcome_label=appeal.get_outcome_display() if appeal.outcome else "",
        decided_by=staff_name(appeal.decided_by),
        decided_at=local_time_or_none(appeal.decided_at, zone),
        may_review=open_ and may_review(actor, appeal, facility_ids=mine),
        own_decision=appeal.decision.decided_by_id == actor.pk,
        in_scope=bool({appeal.facility_id, appeal.decision.booking.facility_id} & mine),
        reviewer_choices=()
        if clinicians is None or not open_
        else _reviewer_choices(clinicians, appeal),
    )


@dataclass(frozen=True)
class Clinician:
    """An active clinician who may be named to review an appeal, with their facilities."""

    user_id: int
    name: str
    facility_ids: frozenset[int]


def _active_clinicians() -> tuple[Clinician, ...]:
    """Who may be named to review an appeal: any active clinician, at any facility. Read
    once for a whole page (two queries), however many appeals it lists."""
    users = list(
        User.objects.filter(role=Role.CLINICIAN, is_active=True).order_by(
            "last_name", "first_name", "username"
        )
    )
    facilities: dict[int, set[int]] = {user.pk: set() for user in users}
    links = User.facilities.through.objects.filter(user__in=[user.pk for user in users])
    for user_id, facility_id in links.values_list("user_id", "facility_id"):
        facilities[user_id].add(facility_id)
    return tuple(
        Clinician(
            user_id=user.pk, name=staff_name(user), facility_ids=frozenset(facilities[user.pk])
        )
        for user in users
    )


def _reviewer_choices(
    clinicians: tuple[Clinician, ...], appeal: Appeal
) -> tuple[tuple[int, str], ...]:
    choices = []
    for clinician in clinicians:
        if clinician.user_id == appeal.decision.decided_by_id:
            continue  # I4: never the clinician who made the decision
        label = clinician.name
        if appeal.facility_id not in clinician.facility_ids:
            label = _("%(name)s (remote: sees this appeal only)") % {"name": label}
        choices.append((clinician.user_id, label))
    return tuple(choices)


@dataclass(frozen=True)
class DecisionRow:
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


def _appeal_of(decision: Decision) -> Appeal | None:
    try:
        return decision.appeal
    except Appeal.DoesNotExist:
        return None


def _decision_row(decision: Decision) -> DecisionRow:
    zone = decision.facility.time_zone
    appeal = _appeal_of(decision)
    return DecisionRow(
        decision_id=decision.pk,
        number=decision.number,
        service=decision.service.name(_language()),
        proposed=decision.proposed,
        proposed_label=decision.get_proposed_display(),
        outcome=decision.outcome,
        outcome_label=decision.get_outcome_display() if decision.outcome else "",
        overridden=decision.overridden,
        requested_at=local_time(decision.requested_at, zone),
        decided_at=local_time_or_none(decision.decided_at, zone),
        appeal_id=None if appeal is None else appeal.pk,
        appeal_number="" if appeal is None else appeal.number,
        appeal_outcome_label=appeal.get_outcome_display() if appeal and appeal.outcome else "",
        appeal_due_at=None if appeal is None else local_time(appeal.due_at, zone),
    )


# ---- The person page's care panel ------------------------------------------------------


@dataclass(frozen=True)
class PersonCare:
    """What the person page shows health staff of a resident's care, and what a clinician
    may do there: the choices are empty when the actor may not act."""

    scheme: str
    current: LevelRow | None
    levels: tuple[LevelRow, ...]
    decisions: tuple[DecisionRow, ...]
    may_act: bool
    level_choices: tuple[tuple[str, str], ...]
    service_choices: tuple[tuple[int, str], ...]
    evaluation_choices: tuple[tuple[int, str], ...]


PERSON_CARE_FIELDS = [f.name for f in fields(LevelRow)] + [f.name for f in fields(DecisionRow)]


def _evaluation_label(evaluation: Evaluation) -> str:
    zone = evaluation.facility.time_zone
    opened = local_time(evaluation.opened_at, zone)
    if evaluation.done_at is None:
        return _("%(kind)s opened %(day)s, open") % {
            "kind": evaluation.get_kind_display(),
            "day": f"{opened:%Y-%m-%d}",
        }
    return _("%(kind)s opened %(day)s, done %(done)s") % {
        "kind": evaluation.get_kind_display(),
        "day": f"{opened:%Y-%m-%d}",
        "done": f"{local_time(evaluation.done_at, zone):%Y-%m-%d}",
    }


def _services_with_policy(facility_id: int) -> QuerySet[Service]:
    """The services a decision can be asked for: offered now, with a published policy."""
    return Service.objects.filter(
        Exists(PolicyVersion.objects.filter(service=OuterRef("pk"))),
        facility_id=facility_id,
        active=True,
    ).order_by("name_en")


def _service_choices(facility_id: int) -> tuple[tuple[int, str], ...]:
    language = _language()
    return tuple((s.pk, s.name(language)) for s in _services_with_policy(facility_id))


def person_care(*, actor: User, resident_number: str, now: datetime) -> PersonCare | None:
    """None for anyone outside the health roles: custody never sees any of it (I6)."""
    if not actor.is_staff_member or actor.role not in HEALTH_ROLES:
        return None
    person = people_in_scope(actor).filter(resident_number=resident_number).first()
    if person is None:
        raise Http404
    booking = (
        Booking.objects.select_related("facility")
        .filter(person=person, released_at__isnull=True, facility__in=actor.facilities.all())
        .first()
    )
    assignments = list(
        LevelAssignment.objects.filter(_held_here(actor), person=person)
        .select_related("booking", "facility", "assigned_by")
        .order_by("-assigned_at", "-pk")
    )
    levels = tuple(_level_row(assignment) for assignment in assignments)
    current = next(
        (
            row
            for row, assignment in zip(levels, assignments, strict=True)
            if booking is not None and assignment.booking_id == booking.pk
        ),
        None,
    )
    decisions = list(
        decisions_in_scope(actor)
        .filter(person=person)
        .select_related("service", "facility", "appeal")
        .order_by("-requested_at", "-pk")
    )
    may_act = actor.role == Role.CLINICIAN and booking is not None
    scheme = scheme_of(booking.facility) if booking is not None else None
    evaluations = (
        list(
            Evaluation.objects.filter(
                booking=booking, kind=EvaluationKind.EVALUATION, closed_at__isnull=True
            )
            .select_related("facility")
            .order_by("-opened_at", "-pk")
        )
        if may_act
        else []
    )
    records = [f"level:{row.level_id}" for row in levels]
    records += [f"decision:{d.pk}" for d in decisions]
    records += [f"appeal:{a.pk}" for d in decisions if (a := _appeal_of(d)) is not None]
    records += [f"evaluation:{e.pk}" for e in evaluations]
    if records:
        facility_ids = {a.facility_id for a in assignments} | {d.facility_id for d in decisions}
        record_read(
            actor=actor,
            action="care.read",
            facility=read_chain(
                actor, facility_ids | ({booking.facility_id} if booking else set())
            ),
            person=person,
            records=records,
            fields=PERSON_CARE_FIELDS + (["evaluation_choices"] if evaluations else []),
        )
    language = _language()
    return PersonCare(
        scheme="" if scheme is None else scheme.name.get(language),
        current=current,
        levels=levels,
        decisions=tuple(_decision_row(decision) for decision in decisions),
        may_act=may_act,
        level_choices=tuple((level.code, level.name.get(language)) for level in scheme.levels)
        if may_act and scheme is not None
        else (),
        service_choices=_service_choices(booking.facility_id)
        if may_act and booking is not None
        else (),
        evaluation_choices=tuple((e.pk, _evaluation_label(e)) for e in evaluations),
    )


# ---- One decision ----------------------------------------------------------------------


@dataclass(frozen=True)
class CriterionView:
    criterion: str
    status: str
    status_label: str
    review: bool  # met, it sends the decision to a clinician
    cited: bool  # one of the reasons for the proposal
    text: str
    values: tuple[FactView, ...]
    missing: tuple[str, ...]  # labels of the facts it reads that are not recorded
    error: str


@dataclass(frozen=True)
class DecisionView:
    decision_id: int
    number: str
    resident_number: str
    name: str
    facility: str
    booking_number: str
    in_scope: bool  # the actor may open the person's page
    service: str
    policy_id: int
    policy_version: int
    published_by: str
    published_at: datetime
    proposed: str
    proposed_label: str
    source_label: str
    kite_id: int | None
    kite_number: str
    kite_in_scope: bool
    evaluation_id: int | None
    evaluation_label: str
    requested_by: str
    requested_at: datetime
    criteria: tuple[CriterionView, ...]
    facts: tuple[FactView, ...]
    offered_instead: tuple[str, ...]
    outcome: str
    outcome_label: str
    decided_by: str
    decided_at: datetime | None
    override_reason: str
    override_reason_label: str
    override_text: str
    appeal_by: datetime | None
    appeal: AppealView | None


DECISION_SELECTED = (
    "person",
    "booking",
    "facility",
    "service",
    "policy_version__published_by",
    "kite",
    "evaluation",
    "requested_by",
    "decided_by",
)
DECISION_FIELDS = [f.name for f in fields(DecisionView) if f.name != "appeal"]
APPEAL_FIELDS = [f"appeal.{f.name}" for f in fields(AppealView)]


def _criteria(decision: Decision) -> tuple[CriterionView, ...]:
    record = decision.record if isinstance(decision.record, dict) else {}
    rule = decision.policy_version.body.get("rule", {})
    review = set(rule.get("review_when_met", [])) if isinstance(rule, dict) else set()
    cited = {
        reason.get("criterion") for reason in record.get("reasons", []) if isinstance(reason, dict)
    }
    language = _language()
    views = []
    for result in record.get("results", []):
        if not isinstance(result, dict):
            continue
        criterion, status = str(result.get("criterion", "")), str(result.get("status", ""))
        values = result.get("values")
        missing = result.get("missing")
        views.append(
            CriterionView(
                criterion=criterion,
                status=status,
                status_label=str(STATUS_LABELS.get(status, status)),
                review=criterion in review,
                cited=criterion in cited,
                text=_text(result.get("text")),
                values=_fact_views(values if isinstance(values, dict) else {}),
                missing=tuple(
                    FACTS[name].label.get(language)
                    for name in (missing if isinstance(missing, list) else [])
                    if isinstance(name, str) and name in FACTS
                ),
                error=str(result.get("error") or ""),
            )
        )
    return tuple(views)


def _decision_view(
    decision: Decision, actor: User, now: datetime, mine: set[int], appeal: Appeal | None
) -> DecisionView:
    zone = decision.facility.time_zone
    version = decision.policy_version
    record = decision.record if isinstance(decision.record, dict) else {}
    facts = record.get("facts")
    offered = version.body.get("offered_instead")
    kite, evaluation = decision.kite, decision.evaluation
    return DecisionView(
        decision_id=decision.pk,
        number=decision.number,
        resident_number=decision.person.resident_number,
        name=display_name(decision.person),
        facility=decision.facility.name,
        booking_number=decision.booking.booking_number,
        in_scope=bool({decision.facility_id, decision.booking.facility_id} & mine),
        service=decision.service.name(_language()),
        policy_id=version.pk,
        policy_version=version.version,
        published_by=staff_name(version.published_by),
        published_at=local_time(version.published_at, zone),
        proposed=decision.proposed,
        proposed_label=decision.get_proposed_display(),
        source_label=decision.get_source_display(),
        kite_id=None if kite is None else kite.pk,
        kite_number="" if kite is None else kite.number,
        kite_in_scope=kite is not None and kite.facility_id in mine,
        evaluation_id=None if evaluation is None else evaluation.pk,
        evaluation_label="" if evaluation is None else evaluation.get_kind_display(),
        requested_by=staff_name(decision.requested_by),
        requested_at=local_time(decision.requested_at, zone),
        criteria=_criteria(decision),
        facts=_fact_views(facts if isinstance(facts, dict) else {}),
        offered_instead=tuple(_text(text) for text in offered) if isinstance(offered, list) else (),
        outcome=decision.outcome,
        outcome_label=decision.get_outcome_display() if decision.outcome else "",
        decided_by=staff_name(decision.decided_by),
        decided_at=local_time_or_none(decision.decided_at, zone),
        override_reason=decision.override_reason,
        override_reason_label=decision.get_override_reason_display()
        if decision.override_reason
        else "",
        override_text=decision.override_text,
        appeal_by=local_time_or_none(decision.appeal_by, zone),
        appeal=None if appeal is None else _appeal_view(appeal, actor, now, mine),
    )


def _appeal_view(
    appeal: Appeal,
    actor: User,
    now: datetime,
    mine: set[int],
    clinicians: tuple[Clinician, ...] | None = None,
) -> AppealView:
    row = _appeal_row(appeal, actor, now, mine, clinicians)
    return AppealView(
        **vars(row),
        text=appeal.text,
        filed_by=staff_name(appeal.filed_by),
        late_reason=appeal.late_reason,
        reason=appeal.reason,
    )


@dataclass(frozen=True)
class DecisionPage:
    decision: DecisionView
    may_confirm: bool
    override_outcomes: tuple[str, ...]  # the outcomes a clinician may choose over the proposal
    denial_cites_nothing: bool  # every criterion was met: a denial would cite none (I3)
    may_file_appeal: bool
    # The time to appeal has passed: staff may still enter an appeal made within it (I5).
    appeal_window_passed: bool


def decision_page(*, actor: User, decision_id: int, now: datetime) -> DecisionPage:
    decision = (
        decisions_in_scope(actor).select_related(*DECISION_SELECTED).filter(pk=decision_id).first()
    )
    if decision is None:
        raise Http404
    appeal = (
        Appeal.objects.select_related(*APPEAL_SELECTED)
        .prefetch_related(*APPEAL_PREFETCHED)
        .filter(decision=decision)
        .first()
    )
    mine = _my_facility_ids(actor)
    view = _decision_view(decision, actor, now, mine, appeal)
    record_read(
        actor=actor,
        action="decision.read",
        facility=decision.facility,
        person=decision.person,
        records=[f"decision:{decision.pk}"] + ([f"appeal:{appeal.pk}"] if appeal else []),
        fields=DECISION_FIELDS + (APPEAL_FIELDS if appeal else []),
    )
    acts_here = decision.facility_id in mine
    deciding = actor.role == Role.CLINICIAN and acts_here and decision.decided_at is None
    outcomes = tuple(
        outcome
        for outcome in (Outcome.ELIGIBLE, Outcome.NOT_ELIGIBLE)
        if outcome != decision.proposed
        and (outcome != Outcome.NOT_ELIGIBLE or denial_reasons(decision))
    )
    return DecisionPage(
        decision=view,
        may_confirm=deciding and decision.proposed != Outcome.CLINICIAN_REVIEW,
        override_outcomes=outcomes if deciding else (),
        denial_cites_nothing=deciding and not denial_reasons(decision),
        # An appeal is heard where the stay is now, as `file_appeal` files it.
        # After the time to appeal, staff may still enter one the resident made within it.
        may_file_appeal=decision.booking.facility_id in mine
        and appeal is None
        and decision.outcome == Outcome.NOT_ELIGIBLE,
        appeal_window_passed=decision.appeal_by is not None and now > decision.appeal_by,
    )


def decision_for_action(*, actor: User, decision_id: int) -> Decision:
    """A decision the actor may see, for a service to act on; it shows nothing, so it
    records no read (the service records the change)."""
    decision = decisions_in_scope(actor).filter(pk=decision_id).first()
    if decision is None:
        raise Http404
    return decision


# ---- Appeals ---------------------------------------------------------------------------


@dataclass(frozen=True)
class AppealList:
    open: tuple[AppealRow, ...]
    decided: tuple[AppealRow, ...]
    names_reviewers: bool
    needs_reviewer: int  # open appeals nobody may decide until a reviewer is named


def appeal_list(*, actor: User, now: datetime) -> AppealList:
    """For a clinician, the open appeals they may review (those named to them included,
    wherever they are) and those decided lately; for a supervisor, every appeal at their
    facilities, with who may be named to review the open ones."""
    if not actor.is_staff_member or actor.role not in (Role.CLINICIAN, Role.SUPERVISOR):
        raise Http404
    # A fixed number of queries however many appeals there are: the actor's facilities
    # and the clinicians are read once, not once a line.
    mine = _my_facility_ids(actor)
    appeals = (
        appeals_in_scope(actor)
        .select_related(*APPEAL_SELECTED)
        .prefetch_related(*APPEAL_PREFETCHED)
    )
    open_appeals = list(
        appeals_with_reviewers(appeals.filter(decided_at__isnull=True)).order_by("due_at", "pk")
    )
    if actor.role == Role.CLINICIAN:
        open_appeals = [a for a in open_appeals if may_review(actor, a, facility_ids=mine)]
    decided = list(
        appeals.filter(decided_at__gte=now - timedelta(days=RECENT_DAYS)).order_by(
            "-decided_at", "-pk"
        )[:LIST_LIMIT]
    )
    open_appeals = open_appeals[:LIST_LIMIT]
    names = actor.role == Role.SUPERVISOR
    clinicians = _active_clinicians() if names and open_appeals else None
    shown = open_appeals + decided
    record_read(
        actor=actor,
        action="appeals.read",
        facility=read_chain(actor, {appeal.facility_id for appeal in shown}),
        records=[f"appeal:{appeal.pk}" for appeal in shown],
        fields=[f.name for f in fields(AppealRow)],
    )
    return AppealList(
        open=tuple(_appeal_row(a, actor, now, mine, clinicians) for a in open_appeals),
        decided=tuple(_appeal_row(a, actor, now, mine) for a in decided),
        names_reviewers=names,
        needs_reviewer=sum(1 for a in open_appeals if names and _needs_reviewer(a)),
    )


def stranded_appeals(*, actor: User, now: datetime) -> int:
    """For a supervisor's alerts: how many open appeals at their facilities nobody may
    decide (no reviewer named, no other clinician there) are due soon or overdue. A count
    only, naming no one: the appeals list shows which."""
    if not actor.is_staff_member or actor.role != Role.SUPERVISOR:
        return 0
    due = Q(warned_at__isnull=False) | Q(due_at__lt=now)
    return (
        Appeal.objects.filter(
            due,
            facility__in=actor.facilities.all(),
            decided_at__isnull=True,
            reviewer__isnull=True,
        )
        .exclude(_others_may_decide())
        .count()
    )


@dataclass(frozen=True)
class AppealPage:
    appeal: AppealView
    decision: DecisionView
    names_reviewer: bool


def appeal_page(*, actor: User, appeal_id: int, now: datetime) -> AppealPage:
    """One appeal with the decision and its evidence: for the staff of its facility, and
    for the remote reviewer named to it."""
    appeal = (
        appeals_with_reviewers(appeals_in_scope(actor))
        .select_related(*APPEAL_SELECTED)
        .prefetch_related(*APPEAL_PREFETCHED)
        .filter(pk=appeal_id)
        .first()
    )
    if appeal is None:
        raise Http404
    decision = Decision.objects.select_related(*DECISION_SELECTED).get(pk=appeal.decision_id)
    mine = _my_facility_ids(actor)
    names = (
        actor.role == Role.SUPERVISOR and appeal.facility_id in mine and appeal.decided_at is None
    )
    view = _appeal_view(appeal, actor, now, mine, _active_clinicians() if names else None)
    record_read(
        actor=actor,
        action="appeal.read",
        facility=appeal.facility,
        person=appeal.person,
        records=[f"appeal:{appeal.pk}", f"decision:{decision.pk}"],
        fields=DECISION_FIELDS + APPEAL_FIELDS,
    )
    return AppealPage(
        appeal=view,
        decision=_decision_view(decision, actor, now, mine, appeal=None),
        names_reviewer=names,
    )


def appeal_for_action(*, actor: User, appeal_id: int) -> Appeal:
    appeal = appeals_in_scope(actor).filter(pk=appeal_id).first()
    if appeal is None:
        raise Http404
    return appeal


def reviewer_for_action(reviewer_id: int) -> User | None:
    """The clinician a supervisor chose; whether they may review is the service's to say."""
    return User.objects.filter(pk=reviewer_id, role=Role.CLINICIAN).first()


# ---- Requests referred for a decision --------------------------------------------------


@dataclass(frozen=True)
class ReferredRow:
    kite_id: int
    number: str
    resident_number: str
    name: str
    facility: str
    topic: str
    seen_at: datetime | None
    seen_by: str
    services: tuple[tuple[int, str], ...]


def referred_kites(*, actor: User) -> list[ReferredRow]:
    """Requests a clinician referred for a service decision that has not been asked for
    yet, of residents still held at the actor's facilities, oldest first."""
    _health_staff(actor)
    kites = list(
        Kite.objects.filter(
            ~Exists(Decision.objects.filter(kite=OuterRef("pk"))),
            facility__in=actor.facilities.all(),
            outcome=KiteOutcome.REFERRED_DECISION,
            booking__released_at__isnull=True,
        )
        .select_related("person", "facility", "seen_by")
        .order_by("seen_at", "pk")[:LIST_LIMIT]
    )
    services = {f: _service_choices(f) for f in {kite.facility_id for kite in kites}}
    rows = [
        ReferredRow(
            kite_id=kite.pk,
            number=kite.number,
            resident_number=kite.person.resident_number,
            name=display_name(kite.person),
            facility=kite.facility.name,
            topic=kite.get_topic_display(),
            seen_at=local_time_or_none(kite.seen_at, kite.facility.time_zone),
            seen_by=staff_name(kite.seen_by),
            services=services[kite.facility_id],
        )
        for kite in kites
    ]
    record_read(
        actor=actor,
        action="care_referrals.read",
        facility=read_chain(actor, {kite.facility_id for kite in kites}),
        records=[f"kite:{kite.pk}" for kite in kites],
        fields=[f.name for f in fields(ReferredRow)],
    )
    return rows


# ---- What a clinician's form names -----------------------------------------------------


@dataclass(frozen=True)
class DecisionTarget:
    person: Person
    service: Service
    kite: Kite | None
    evaluation: Evaluation | None


def _evaluation_here(actor: User, evaluation_id: int | None) -> Evaluation | None:
    if evaluation_id is None:
        return None
    evaluation = Evaluation.objects.filter(
        pk=evaluation_id, facility__in=actor.facilities.all()
    ).first()
    if evaluation is None:
        raise Http404
    return evaluation


def person_for_action(*, actor: User, resident_number: str) -> Person:
    _health_staff(actor)
    person = people_in_scope(actor).filter(resident_number=resident_number).first()
    if person is None:
        raise Http404
    return person


def decision_target(
    *,
    actor: User,
    resident_number: str,
    kite_id: int | None,
    service_id: int,
    evaluation_id: int | None,
) -> DecisionTarget:
    """The records a request for a decision names, each found in the actor's scope or
    404; whether they go together is for `request_decision` to say."""
    _health_staff(actor)
    kite = None
    if kite_id is not None:
        kite = (
            Kite.objects.select_related("person")
            .filter(pk=kite_id, facility__in=actor.facilities.all())
            .first()
        )
        if kite is None:
            raise Http404
        person = kite.person
    else:
        person = person_for_action(actor=actor, resident_number=resident_number)
    service = Service.objects.filter(pk=service_id, facility__in=actor.facilities.all()).first()
    if service is None:
        raise Http404
    return DecisionTarget(person, service, kite, _evaluation_here(actor, evaluation_id))


def evaluation_for_level(*, actor: User, evaluation_id: int | None) -> Evaluation | None:
    _health_staff(actor)
    return _evaluation_here(actor, evaluation_id)


# ---- Care settings ---------------------------------------------------------------------


@dataclass(frozen=True)
class ContactView:
    kind: str
    every_days: int
    unverified: bool
    as_needed: bool
    own: bool = False  # the facility's own figure, not the preset's
    kind_code: str = ""


@dataclass(frozen=True)
class LevelView:
    code: str
    name: str
    description: str
    contacts: tuple[ContactView, ...]
    weekly_hours: int | None
    weekly_hours_unverified: bool
    # (code, name) of each contact the facility itself says is not required here.
    not_required: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class SchemeView:
    code: str
    name: str
    source: str
    levels: tuple[LevelView, ...]
    unverified: tuple[str, ...]
    chosen: bool


@dataclass(frozen=True)
class ServiceRow:
    service_id: int
    code: str
    name_en: str
    name_es: str
    capacity_note: str
    active: bool
    version: int | None
    published_by: str
    published_at: datetime | None
    has_draft: bool


@dataclass(frozen=True)
class SettingsPage:
    facility_code: str
    facility_name: str
    facilities: tuple[tuple[str, str], ...]  # (code, name) of each of the actor's facilities
    scheme: str
    appeal_window_days: int
    appeal_response_days: int
    updated_by: str
    updated_at: datetime | None
    schemes: tuple[SchemeView, ...]
    services: tuple[ServiceRow, ...]
    figures: tuple["FigureRow", ...] = ()  # the scheme in force's figures, to set

    @property
    def in_force(self) -> SchemeView:
        return next(scheme for scheme in self.schemes if scheme.chosen)


@dataclass(frozen=True)
class FigureCell:
    """One contact of one level of the scheme in force: the preset's figure and the
    facility's own, if it set one."""

    kind: str  # a ContactKind
    kind_name: str
    preset_days: int | None  # None: the preset does not require it
    preset_unverified: bool
    own: bool
    own_days: int | None  # the facility's own figure; None with `own`: not required


@dataclass(frozen=True)
class FigureRow:
    level: str
    level_name: str
    cells: tuple[FigureCell, ...]


def contact_figures(scheme: str, own: ContactDays) -> tuple[FigureRow, ...]:
    """Every level and kind of contact of the preset `scheme`, with the facility's own
    figures (`CareSettings.contact_days`) beside the preset's."""
    language = _language()
    rows = []
    for level in PRESETS[scheme].levels:
        cells = []
        for kind in ContactKind:
            preset = level.contact(kind)
            mine = own.get(level.code, {})
            cells.append(
                FigureCell(
                    kind=kind.value,
                    kind_name=CONTACT_NAMES[kind].get(language),
                    preset_days=None if preset is None else preset.every_days.value,
                    preset_unverified=preset is not None and preset.every_days.unverified,
                    own=kind.value in mine,
                    own_days=mine.get(kind.value),
                )
            )
        rows.append(FigureRow(level.code, level.name.get(language), tuple(cells)))
    return tuple(rows)


def _scheme_view(scheme: Scheme, chosen: bool, own: ContactDays | None = None) -> SchemeView:
    language = _language()
    own = own or {}
    return SchemeView(
        code=scheme.code,
        name=scheme.name.get(language),
        source=scheme.source,
        levels=tuple(
            LevelView(
                code=level.code,
                name=level.name.get(language),
                description=level.description.get(language),
                contacts=tuple(
                    ContactView(
                        kind=CONTACT_NAMES[contact.kind].get(language),
                        every_days=contact.every_days.value,
                        unverified=contact.every_days.unverified,
                        as_needed=contact.as_needed,
                        own=contact.kind.value in own.get(level.code, {}),
                        kind_code=contact.kind.value,
                    )
                    for contact in level.contacts
                ),
                weekly_hours=None
                if level.weekly_structured_hours is None
                else level.weekly_structured_hours.value,
                weekly_hours_unverified=level.weekly_structured_hours is not None
                and level.weekly_structured_hours.unverified,
                not_required=tuple(
                    (kind.value, CONTACT_NAMES[kind].get(language))
                    for kind in ContactKind
                    if kind.value in own.get(level.code, {}) and own[level.code][kind.value] is None
                ),
            )
            for level in scheme.levels
        ),
        unverified=unverified_figures(scheme),
        chosen=chosen,
    )


def facility_for_settings(*, actor: User, facility_code: str | None) -> Facility:
    """One of the supervisor's facilities (the first when none is named); 404 otherwise."""
    return facility_for_actor(actor=actor, facility_code=facility_code, roles={Role.SUPERVISOR})


def care_settings(*, actor: User, facility_code: str | None) -> SettingsPage:
    """A facility's levels-of-care scheme, appeal deadlines and service catalogue. Nothing
    here is about a person, so it records no read."""
    facility = facility_for_settings(actor=actor, facility_code=facility_code)
    settings = CareSettings.objects.select_related("updated_by").filter(facility=facility).first()
    window, response = appeal_days(facility)
    in_force = scheme_of(facility)
    services = Service.objects.filter(facility=facility).order_by("name_en", "pk")
    latest = {
        version.service_id: version
        for version in PolicyVersion.objects.filter(service__facility=facility)
        .select_related("published_by")
        .order_by("service_id", "version")
    }
    drafts = set(
        PolicyDraft.objects.filter(service__facility=facility).values_list("service_id", flat=True)
    )
    zone = facility.time_zone
    own: ContactDays = {} if settings is None else settings.contact_days
    return SettingsPage(
        facility_code=facility.code,
        facility_name=facility.name,
        facilities=tuple(actor.facilities.order_by("name", "pk").values_list("code", "name")),
        scheme=in_force.code,
        appeal_window_days=window,
        appeal_response_days=response,
        updated_by="" if settings is None else staff_name(settings.updated_by),
        updated_at=None if settings is None else local_time(settings.updated_at, zone),
        schemes=tuple(
            _scheme_view(in_force, True, own)
            if code == in_force.code
            else _scheme_view(preset, False)
            for code, preset in PRESETS.items()
        ),
        services=tuple(
            ServiceRow(
                service_id=service.pk,
                code=service.code,
                name_en=service.name_en,
                name_es=service.name_es,
                capacity_note=service.capacity_note,
                active=service.active,
                version=None if (v := latest.get(service.pk)) is None else v.version,
                published_by="" if v is None else staff_name(v.published_by),
                published_at=None if v is None else local_time(v.published_at, zone),
                has_draft=service.pk in drafts,
            )
            for service in services
        ),
        figures=contact_figures(in_force.code, own),
    )


def kept_contact_days(facility: Facility, scheme: str) -> ContactDays:
    """The facility's own contact figures, to keep when its scheme is chosen again; a new
    scheme starts from its preset's figures (the old levels are not its own)."""
    settings = CareSettings.objects.filter(facility=facility).first()
    if settings is None or settings.scheme != scheme:
        return {}
    return dict(settings.contact_days)


# ---- For the API (`kiteline/api/care.py`) ----------------------------------------------


@dataclass(frozen=True)
class CatalogueRow:
    service_id: int
    facility: str  # the facility's code: a service code is unique within a facility
    code: str
    name_en: str
    name_es: str
    capacity_note: str
    active: bool
    version: int | None  # the published version in force; None before the first


def service_catalogue(*, actor: User) -> list[CatalogueRow]:
    """The services of the health staff's facilities, with the version in force. A
    catalogue names nobody, so it records no read (as `care_settings`)."""
    _health_staff(actor)
    latest = PolicyVersion.objects.filter(service=OuterRef("pk")).order_by("-version")
    services = (
        Service.objects.filter(facility__in=actor.facilities.all())
        .select_related("facility")
        .annotate(version=Subquery(latest.values("version")[:1]))
        .order_by("facility__code", "name_en", "pk")
    )
    return [
        CatalogueRow(
            service_id=service.pk,
            facility=service.facility.code,
            code=service.code,
            name_en=service.name_en,
            name_es=service.name_es,
            capacity_note=service.capacity_note,
            active=service.active,
            version=service.version,
        )
        for service in services
    ]


def service_for_decision(*, actor: User, person: Person, code: str) -> Service | None:
    """The service `code` of the facility of the actor's that holds `person` now; None when
    there is none (whether it may be decided on is for `request_decision` to say)."""
    _health_staff(actor)
    held = Booking.objects.filter(
        person=person, released_at__isnull=True, facility__in=actor.facilities.all()
    )
    return Service.objects.filter(
        Exists(held.filter(facility=OuterRef("facility"))), code=code
    ).first()


@dataclass(frozen=True)
class PublishedBody:
    version: int
    published_by: str
    published_at: datetime
    body: dict[str, JsonValue]


@dataclass(frozen=True)
class DraftBody:
    body: dict[str, JsonValue]
    edited_by: str
    edited_at: datetime


@dataclass(frozen=True)
class PolicyHistory:
    service_id: int
    facility: str
    code: str
    versions: tuple[PublishedBody, ...]  # newest first
    draft: DraftBody | None


def policy_history(service: Service) -> PolicyHistory:
    """A service's published versions with their bodies, and its draft as saved, for a
    service from `policy_selectors.service_for_editing`. Policies name nobody, so this
    records no read (as the policy pages)."""
    zone = service.facility.time_zone
    draft = PolicyDraft.objects.select_related("edited_by").filter(service=service).first()
    return PolicyHistory(
        service_id=service.pk,
        facility=service.facility.code,
        code=service.code,
        versions=tuple(
            PublishedBody(
                v.version, staff_name(v.published_by), local_time(v.published_at, zone), v.body
            )
            for v in service.versions.select_related("published_by").order_by("-version")
        ),
        draft=None
        if draft is None
        else DraftBody(draft.body, staff_name(draft.edited_by), local_time(draft.edited_at, zone)),
    )


# The fields the API's list of a resident's own decisions shows: a decision page's, without
# the resident's own appeal words.
OWN_DECISIONS_API_FIELDS = tuple(f for f in DETAIL_FIELDS if f != "appeal.text")


def own_decisions_in_full(*, actor: User, now: datetime, language: str) -> ResidentDecisions:
    """A resident's own decisions with their reasons, for the API: the signed-off ones
    newest first, then those still with a clinician (their service only). One read event
    lists them all (I7); nobody else's are ever read (I6)."""
    rows = list(own_decisions(actor).order_by("-decided_at", "-requested_at", "-pk"))
    decided = [row for row in rows if row.decided_at is not None]
    pending = [row for row in rows if row.decided_at is None]
    if rows:
        facilities = {row.facility_id for row in rows}
        records = [f"decision:{row.pk}" for row in rows]
        records += [f"appeal:{a.pk}" for row in rows if (a := _appeal_of(row)) is not None]
        record_read(
            actor=actor,
            action="decision.read",
            # One chain: the decisions' facility, or the system's when they span several.
            facility=rows[0].facility if len(facilities) == 1 else None,
            person=rows[0].person,
            records=records,
            fields=OWN_DECISIONS_API_FIELDS if decided else PENDING_FIELDS,
        )
    return ResidentDecisions(
        decided=[in_words(row, now, language) for row in decided],
        pending=[in_words(row, now, language) for row in pending],
    )
