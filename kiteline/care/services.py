"""Writes to care decisions: levels of care, services, policy drafts and publishing,
decisions (asked, confirmed or overridden) and appeals. Each is one transaction with its
audit event (I7); details name records and fields, never clinical values."""

import json
from collections.abc import Collection
from datetime import datetime, timedelta
from functools import lru_cache

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from kiteline.accounts.models import Role, User
from kiteline.audit.recording import audit
from kiteline.care.fact_sources import facts_for
from kiteline.care.facts import JsonValue
from kiteline.care.levels import (
    MAX_DAYS,
    PRESETS,
    ContactKind,
    LevelError,
    Scheme,
    set_contact,
)
from kiteline.care.models import (
    DEFAULT_SCHEME,
    Appeal,
    AppealOutcome,
    CareSettings,
    Decision,
    DecisionSource,
    LevelAssignment,
    Outcome,
    OverrideReason,
    PolicyDraft,
    PolicyVersion,
    Service,
)
from kiteline.care.policy import CompiledPolicy, compile_policy, evaluate
from kiteline.care.policy_format import PolicyError, parse_policy
from kiteline.care.storable import unstorable
from kiteline.facilities.models import Booking, Facility, Person
from kiteline.kites.models import Kite
from kiteline.kites.models import Outcome as KiteOutcome
from kiteline.kites.services import BACKDATE_GRACE, CLOCK_SKEW
from kiteline.screening.models import Evaluation, EvaluationKind

TEXT_MAX_LENGTH = 4000
LATE_REASON_MAX_LENGTH = 300


class CareError(ValueError):
    """A care change that cannot be made, with the reason in plain words."""


def _words(text: str) -> str:
    """Words as stored: trimmed, and never with a NUL character, which PostgreSQL refuses
    (a 500 after half the checks is worse than a clear no before any)."""
    if "\x00" in text:
        raise CareError("The text holds a character that cannot be stored (NUL).")
    return text.strip()


def _require(actor: User, roles: set[Role], what: str) -> None:
    if not actor.is_staff_member or actor.role not in roles:
        raise CareError(f"Your role cannot {what}.")


def _at_facility(actor: User, facility_id: int) -> None:
    if not actor.facilities.filter(pk=facility_id).exists():
        raise CareError("That is not at your facilities.")


def _open_booking(actor: User, person: Person) -> Booking:
    booking = (
        Booking.objects.select_related("facility")
        .filter(person=person, released_at__isnull=True, facility__in=actor.facilities.all())
        .first()
    )
    if booking is None:
        raise CareError(f"Resident {person.resident_number} is not held at your facilities.")
    return booking


# ---- Levels of care --------------------------------------------------------------------


type ContactDays = dict[str, dict[str, int | None]]


def with_own_figures(preset: Scheme, contact_days: ContactDays) -> Scheme:
    """The preset with the facility's own figures over it (None: not required). A figure
    the facility sets is its own, never unverified; a contact the preset requires only for
    those who need it (psychiatry, for those on medication) stays so."""
    scheme = preset
    for level, contacts in contact_days.items():
        for kind, days in contacts.items():
            contact_kind = ContactKind(kind)
            shown = preset.level(level).contact(contact_kind)
            as_needed = shown is not None and shown.as_needed
            scheme = set_contact(scheme, level, contact_kind, days, as_needed=as_needed)
    return scheme


def scheme_of(facility: Facility) -> Scheme:
    """The facility's scheme with its own contact figures over the preset's."""
    settings = CareSettings.objects.filter(facility=facility).first()
    if settings is None:
        return PRESETS[DEFAULT_SCHEME]
    return with_own_figures(PRESETS[settings.scheme], settings.contact_days)


def appeal_days(facility: Facility) -> tuple[int, int]:
    """(days a resident has to appeal, days a reviewer has to answer)."""
    settings = CareSettings.objects.filter(facility=facility).first()
    if settings is None:
        defaults = CareSettings()
        return defaults.appeal_window_days, defaults.appeal_response_days
    return settings.appeal_window_days, settings.appeal_response_days


@transaction.atomic
def choose_care_settings(
    *,
    actor: User,
    facility: Facility,
    scheme: str,
    contact_days: ContactDays | None = None,
    appeal_window_days: int | None = None,
    appeal_response_days: int | None = None,
) -> CareSettings:
    """`contact_days` (level → contact kind → every so many days, or None: not required)
    are the facility's own figures, all of them: a figure left out is the preset's. None
    keeps the facility's own figures while the scheme stays the same; a new scheme starts
    from its preset's."""
    _require(actor, {Role.SUPERVISOR}, "choose the levels of care")
    _at_facility(actor, facility.pk)
    if scheme not in PRESETS:
        raise CareError(f"There is no scheme {scheme!r}: choose one of {', '.join(PRESETS)}.")
    current = CareSettings.objects.filter(facility=facility).first()
    if contact_days is None and current is not None and current.scheme == scheme:
        contact_days = current.contact_days
    contact_days = _checked_contact_days(PRESETS[scheme], contact_days or {})
    for limit in (appeal_window_days, appeal_response_days):
        if limit is not None and not 1 <= limit <= 365:
            raise CareError("Appeal deadlines are between 1 and 365 days.")
    before = (
        None
        if current is None
        else {
            "scheme": current.scheme,
            "contact_days": current.contact_days,
            "appeal_window_days": current.appeal_window_days,
            "appeal_response_days": current.appeal_response_days,
        }
    )
    settings, _ = CareSettings.objects.update_or_create(
        facility=facility,
        defaults={
            "scheme": scheme,
            "contact_days": contact_days,
            "updated_by": actor,
            "updated_at": timezone.now(),
            **({"appeal_window_days": appeal_window_days} if appeal_window_days else {}),
            **({"appeal_response_days": appeal_response_days} if appeal_response_days else {}),
        },
    )
    after = {
        "scheme": settings.scheme,
        "contact_days": settings.contact_days,
        "appeal_window_days": settings.appeal_window_days,
        "appeal_response_days": settings.appeal_response_days,
    }
    audit(
        "care.settings",
        actor=actor,
        facility=facility,
        subjects=[f"facility:{facility.pk}"],
        fields=[name for name, value in after.items() if before is None or before[name] != value],
    )
    return settings


def _checked_contact_days(preset: Scheme, contact_days: object) -> ContactDays:
    """The figures as stored, or CareError naming the first that cannot be used (a form or
    the API may hand over text, a yes/no, a level or kind that is not there)."""
    kinds = ", ".join(kind.value for kind in ContactKind)
    if not isinstance(contact_days, dict):
        raise CareError("Contact figures are given per level, then per kind of contact.")
    checked: ContactDays = {}
    for level, contacts in contact_days.items():
        try:
            preset.level(str(level))
        except LevelError as error:
            raise CareError(f"{level!r} is not a level of the {preset.code} scheme.") from error
        if not isinstance(contacts, dict):
            raise CareError(f"{level}: give the figures per kind of contact ({kinds}).")
        checked[level] = {}
        for kind, every in contacts.items():
            if kind not in {one.value for one in ContactKind}:
                raise CareError(f"{level}: {kind!r} is not a kind of contact ({kinds}).")
            if every is not None and (
                not isinstance(every, int) or isinstance(every, bool) or not 1 <= every <= MAX_DAYS
            ):
                raise CareError(
                    f"{level}: {kind} every {every!r} days cannot be used: give a whole "
                    f"number of days from 1 to {MAX_DAYS}, or none when it is not required."
                )
            checked[level][kind] = every
    try:
        with_own_figures(preset, checked)
    except (LevelError, ValueError) as error:
        raise CareError(str(error)) from error
    return checked


@transaction.atomic
def assign_level(
    *,
    actor: User,
    person: Person,
    level: str,
    reason: str,
    evaluation: Evaluation | None = None,
) -> LevelAssignment:
    """A clinician sets the person's level of care, with the reason; every change is kept."""
    _require(actor, {Role.CLINICIAN}, "set a level of care")
    booking = _open_booking(actor, person)
    scheme = scheme_of(booking.facility)
    try:
        scheme.level(level)
    except LevelError as error:
        raise CareError(f"{level!r} is not a level of the {scheme.code} scheme.") from error
    reason = _words(reason)
    if not reason:
        raise CareError("Give the reason for this level of care.")
    if len(reason) > TEXT_MAX_LENGTH:
        raise CareError(f"Keep the reason under {TEXT_MAX_LENGTH} characters.")
    if evaluation is not None and evaluation.booking_id != booking.pk:
        raise CareError("That evaluation belongs to another stay.")
    assignment = LevelAssignment.objects.create(
        booking=booking,
        person=person,
        facility=booking.facility,
        scheme=scheme.code,
        level=level,
        reason=reason,
        evaluation=evaluation,
        assigned_by=actor,
        assigned_at=timezone.now(),
    )
    audit(
        "care.level",
        actor=actor,
        facility=booking.facility,
        person=person,
        subjects=[f"level:{assignment.pk}"],
        fields=["level", "reason"],
    )
    return assignment


# ---- Services and policies -------------------------------------------------------------


@transaction.atomic
def add_service(
    *,
    actor: User,
    facility: Facility,
    code: str,
    name_en: str,
    name_es: str,
    capacity_note: str = "",
) -> Service:
    _require(actor, {Role.SUPERVISOR}, "add a service")
    _at_facility(actor, facility.pk)
    if Service.objects.filter(facility=facility, code=code).exists():
        raise CareError(f"{facility.code} already has a service {code!r}.")
    try:
        parse_policy({"service": code})
    except PolicyError as error:
        if any(problem.where == "service" for problem in error.problems):
            raise CareError(
                f"{code!r} is not a service code (lower-case letters, digits, - and _)."
            ) from error
    service = Service.objects.create(
        facility=facility,
        code=code,
        name_en=_words(name_en),
        name_es=_words(name_es),
        capacity_note=_words(capacity_note),
    )
    audit("care.service", actor=actor, facility=facility, subjects=[f"service:{service.pk}"])
    return service


@transaction.atomic
def update_service(
    *,
    actor: User,
    service: Service,
    name_en: str,
    name_es: str,
    capacity_note: str,
    active: bool,
) -> Service:
    """Rename a service, change its capacity note, or stop (and start again) offering it.
    An inactive service gets no new decisions (`request_decision`); the decisions it has
    keep it. Its code stays: published policies name it."""
    _require(actor, {Role.SUPERVISOR}, "change a service")
    service = Service.objects.select_for_update().get(pk=service.pk)
    _at_facility(actor, service.facility_id)
    wanted = {
        "name_en": _words(name_en),
        "name_es": _words(name_es),
        "capacity_note": _words(capacity_note),
    }
    if not wanted["name_en"] or not wanted["name_es"]:
        raise CareError("A service needs its name in English and in Spanish.")
    limits = {  # as the model's columns
        "name_en": ("English name", 120),
        "name_es": ("Spanish name", 120),
        "capacity_note": ("capacity note", 300),
    }
    for field, text in wanted.items():
        what, limit = limits[field]
        if len(text) > limit:
            raise CareError(f"Keep the {what} to {limit} characters.")
    changed = [field for field, value in wanted.items() if getattr(service, field) != value]
    if service.active != active:
        changed.append("active")
    if not changed:
        return service
    for field, value in wanted.items():
        setattr(service, field, value)
    service.active = active
    service.save(update_fields=changed)
    audit(
        "care.service",
        actor=actor,
        facility=service.facility,
        subjects=[f"service:{service.pk}"],
        fields=changed,
    )
    return service


def _with_identity(body: object, service: Service, version: int) -> object:
    """The body as it will be published: its service and version are the system's."""
    if isinstance(body, dict):
        return {**body, "service": service.code, "version": version}
    return body


def next_version(service: Service) -> int:
    latest = service.versions.order_by("-version").values_list("version", flat=True).first()
    return (latest or 0) + 1


@transaction.atomic
def save_draft(*, actor: User, service: Service, body: object) -> PolicyDraft:
    """Keep the supervisor's draft as typed; checking it is the editor's job, publishing
    refuses one that does not check."""
    _require(actor, {Role.SUPERVISOR}, "edit a policy")
    _at_facility(actor, service.facility_id)
    if not isinstance(body, dict):
        raise CareError("A policy is a JSON object.")
    if unstorable(body) is not None:
        raise CareError("The draft holds text, a number or nesting the database cannot store.")
    draft, _ = PolicyDraft.objects.update_or_create(
        service=service,
        defaults={"body": body, "edited_by": actor, "edited_at": timezone.now()},
    )
    audit(
        "policy.draft", actor=actor, facility=service.facility, subjects=[f"service:{service.pk}"]
    )
    return draft


def check_draft(service: Service, body: object) -> CompiledPolicy:
    """The draft compiled as it would be published, or PolicyError with every problem."""
    return compile_policy(parse_policy(_with_identity(body, service, next_version(service))))


@transaction.atomic
def publish_policy(*, actor: User, service: Service) -> PolicyVersion:
    """Publish the draft as the next version, under the publisher's name; it never
    changes after this (I9)."""
    _require(actor, {Role.SUPERVISOR}, "publish a policy")
    _at_facility(actor, service.facility_id)
    service = Service.objects.select_for_update().select_related("facility").get(pk=service.pk)
    draft = PolicyDraft.objects.filter(service=service).first()
    if draft is None:
        raise CareError("There is no draft to publish.")
    version = next_version(service)
    body = _with_identity(draft.body, service, version)
    latest = published_policy(service)
    if latest is not None and _with_identity(latest.body, service, version) == body:
        raise CareError(f"The draft is the same as version {latest.version}: nothing to publish.")
    try:
        compile_policy(parse_policy(body))
    except PolicyError as error:
        raise CareError(f"The draft does not check: {error}") from error
    published = PolicyVersion.objects.create(
        service=service,
        version=version,
        body=body,
        published_by=actor,
        published_at=timezone.now(),
    )
    audit(
        "policy.publish",
        actor=actor,
        facility=service.facility,
        subjects=[f"service:{service.pk}", f"policy:{published.pk}"],
        version=version,
    )
    return published


def compiled(version_id: int) -> CompiledPolicy:
    """A published version, compiled once per process for each body."""
    body = PolicyVersion.objects.values_list("body", flat=True).get(pk=version_id)
    return _compiled_body(json.dumps(body, sort_keys=True))


@lru_cache(maxsize=256)
def _compiled_body(body: str) -> CompiledPolicy:
    # Keyed by the body rather than the row's id: a rolled-back publish gives its id to the
    # next one (SQLite reuses it), which must never be decided with the earlier's criteria.
    return compile_policy(parse_policy(json.loads(body)))


def published_policy(service: Service) -> PolicyVersion | None:
    return service.versions.order_by("-version").first()


# ---- Decisions -------------------------------------------------------------------------


@transaction.atomic
def request_decision(
    *,
    actor: User,
    person: Person,
    service: Service,
    kite: Kite | None = None,
    evaluation: Evaluation | None = None,
) -> Decision:
    """The published policy's proposal for this person, with the facts it read and each
    criterion's result; a clinician then confirms or overrides it."""
    _require(actor, {Role.CLINICIAN}, "ask for a care decision")
    booking = _open_booking(actor, person)
    if service.facility_id != booking.facility_id:
        raise CareError("That service is not offered where the resident is held.")
    if not service.active:
        raise CareError(f"{service.name_en} is not offered now.")
    version = published_policy(service)
    if version is None:
        raise CareError(f"{service.name_en} has no published policy yet.")
    for linked, what in ((kite, "request"), (evaluation, "evaluation")):
        if linked is not None and linked.booking_id != booking.pk:
            raise CareError(f"That {what} belongs to another stay.")
    if kite is not None:
        if kite.outcome != KiteOutcome.REFERRED_DECISION:
            raise CareError(f"Request {kite.number} was not referred for a service decision.")
        if Decision.objects.filter(kite=kite, service=service).exists():
            # A double click, or a second clinician at the same time: one decision.
            raise CareError(f"Request {kite.number} already has a decision on this service.")
    # The stay's row is the lock: two requests for one person's decision take turns, so
    # the check below holds under PostgreSQL too.
    Booking.objects.select_for_update().filter(pk=booking.pk).exists()
    waiting = Decision.objects.filter(booking=booking, service=service, decided_at__isnull=True)
    if waiting.exists():
        # A double click, or two clinicians at once: one proposal waits for sign-off.
        raise CareError(f"A decision on {service.name_en} already waits for sign-off.")
    if evaluation is not None and evaluation.kind != EvaluationKind.EVALUATION:
        raise CareError("A decision follows an evaluation, not a screening or a check.")
    now = timezone.now()
    facts = facts_for(booking, now)
    result = evaluate(compiled(version.pk), facts)
    record = result.to_record()
    decision = Decision.objects.create(
        person=person,
        booking=booking,
        facility=booking.facility,
        service=service,
        policy_version=version,
        facts=facts.to_json(tuple(facts.values)),
        record=record,
        proposed=result.outcome.value,
        source=(
            DecisionSource.KITE
            if kite is not None
            else DecisionSource.EVALUATION
            if evaluation is not None
            else DecisionSource.DIRECT
        ),
        kite=kite,
        evaluation=evaluation,
        requested_by=actor,
        requested_at=now,
    )
    audit(
        "decision.request",
        actor=actor,
        facility=booking.facility,
        person=person,
        subjects=[f"decision:{decision.pk}", f"policy:{version.pk}"],
    )
    return decision


def _lock_decision(actor: User, decision: Decision) -> Decision:
    decision = (
        Decision.objects.select_for_update(of=("self",))
        .select_related("facility", "person", "service", "policy_version")
        .get(pk=decision.pk)
    )
    _require(actor, {Role.CLINICIAN}, "decide")
    _at_facility(actor, decision.facility_id)
    if decision.decided_at is not None:
        raise CareError(f"Decision {decision.number} is already made.")
    return decision


def denial_reasons(decision: Decision) -> list[dict[str, JsonValue]]:
    """The criteria a not-eligible outcome can cite: those the engine found not met or
    unknown, or a review criterion that was met (I3). Empty when every criterion was met."""
    reasons = decision.record.get("reasons", [])
    if decision.proposed == Outcome.ELIGIBLE:
        return []
    return [reason for reason in reasons if isinstance(reason, dict)]


def _sign(decision: Decision, actor: User, outcome: str) -> None:
    now = timezone.now()
    decision.outcome, decision.decided_by, decision.decided_at = outcome, actor, now
    if outcome == Outcome.NOT_ELIGIBLE:
        window, _ = appeal_days(decision.facility)
        decision.appeal_by = now + timedelta(days=window)


@transaction.atomic
def confirm_decision(*, actor: User, decision: Decision) -> Decision:
    """The clinician agrees with the policy's proposal."""
    decision = _lock_decision(actor, decision)
    if decision.proposed == Outcome.CLINICIAN_REVIEW:
        raise CareError("The policy asks for your review: choose the outcome and say why.")
    _sign(decision, actor, decision.proposed)
    decision.save()
    audit(
        "decision.confirm",
        actor=actor,
        facility=decision.facility,
        person=decision.person,
        subjects=[f"decision:{decision.pk}"],
    )
    return decision


@transaction.atomic
def override_decision(
    *, actor: User, decision: Decision, outcome: str, reason: str, text: str = ""
) -> Decision:
    """The clinician decides other than the proposal (or settles a clinician review),
    with a reason from the list and, where it does not say enough, their own words."""
    decision = _lock_decision(actor, decision)
    if outcome not in (Outcome.ELIGIBLE, Outcome.NOT_ELIGIBLE):
        raise CareError("Choose eligible or not eligible.")
    if outcome == decision.proposed:
        raise CareError("That is what the policy proposes: confirm it instead.")
    if reason not in OverrideReason.values:
        raise CareError("Choose a reason for the override.")
    text = _words(text)
    if reason == OverrideReason.OTHER and not text:
        raise CareError("Say in your own words why you decide this.")
    if (
        decision.proposed == Outcome.CLINICIAN_REVIEW
        and outcome == Outcome.NOT_ELIGIBLE
        and not text
    ):
        # The policy left this to the clinician ("not recorded: PHQ-9 total"): a "no" then
        # rests on the clinician's judgement, which the resident reads in their own words.
        raise CareError("Say in your own words why the answer is no.")
    if len(text) > TEXT_MAX_LENGTH:
        raise CareError(f"Keep the reason under {TEXT_MAX_LENGTH} characters.")
    if outcome == Outcome.NOT_ELIGIBLE and not denial_reasons(decision):
        # I3: a denial cites a published criterion. When every criterion was met there is
        # none to cite, and a bare "no" is what this system exists to end.
        raise CareError(
            "Every criterion of the published policy is met: a denial would cite none. "
            "Change the policy instead."
        )
    _sign(decision, actor, outcome)
    decision.override_reason, decision.override_text = reason, text
    decision.save()
    audit(
        "decision.override",
        actor=actor,
        facility=decision.facility,
        person=decision.person,
        subjects=[f"decision:{decision.pk}"],
        fields=["outcome", "override_reason", "override_text"],
    )
    return decision


# ---- Appeals ---------------------------------------------------------------------------


@transaction.atomic
def file_appeal(
    *,
    actor: User,
    decision: Decision,
    text: str,
    received_at: datetime | None = None,
    late_reason: str = "",
) -> Appeal:
    """The resident appeals a not-eligible decision in their own words (or staff file it
    for them). The same appeal sent twice is one appeal.

    Staff entering an appeal the resident made earlier (on paper, at pill call) give when it
    was received, and why it is entered late when that was more than a few minutes ago: the
    appeal then counts from then (I5) — within the time to appeal if made within it, and
    due that many days after it was made. A resident's own appeal is made now."""
    decision = (
        Decision.objects.select_for_update(of=("self",))
        .select_related("facility", "person", "booking__facility")
        .get(pk=decision.pk)
    )
    # The appeal belongs where the stay is now: after a transfer, the receiving facility
    # hears it (as it does the appeals already open when the resident moved).
    facility = decision.booking.facility
    if actor.is_resident:
        if actor.person_id != decision.person_id:
            raise CareError("You can appeal only your own decisions.")
        if received_at is not None or late_reason:
            raise CareError("An appeal made at the kiosk is made now.")
    else:
        _require(actor, {Role.NURSE, Role.CLINICIAN, Role.SUPERVISOR}, "file an appeal")
        _at_facility(actor, facility.pk)
    text = _words(text)
    existing = Appeal.objects.filter(decision=decision).first()
    if existing is not None:
        if existing.text == text:
            return existing
        raise CareError("This decision is already appealed.")
    if decision.outcome != Outcome.NOT_ELIGIBLE:
        raise CareError("Only a decision that says no can be appealed.")
    now = timezone.now()
    made_at, late_reason = _appeal_made_at(decision, now, received_at, late_reason)
    if decision.appeal_by is not None and made_at > decision.appeal_by:
        raise CareError("The time to appeal this decision has passed.")
    if not text:
        raise CareError("Say why you disagree.")
    if len(text) > TEXT_MAX_LENGTH:
        raise CareError(f"Keep it under {TEXT_MAX_LENGTH} characters.")
    _, response_days = appeal_days(facility)
    appeal = Appeal.objects.create(
        decision=decision,
        person=decision.person,
        facility=facility,
        text=text,
        filed_by=actor,
        filed_at=made_at,
        late_reason=late_reason,
        due_at=made_at + timedelta(days=response_days),
    )
    audit(
        "appeal.file",
        actor=actor,
        facility=facility,
        person=decision.person,
        subjects=[f"appeal:{appeal.pk}", f"decision:{decision.pk}"],
        fields=["text", "late_reason"] if late_reason else ["text"],
    )
    return appeal


def _appeal_made_at(
    decision: Decision, now: datetime, received_at: datetime | None, late_reason: str
) -> tuple[datetime, str]:
    """When the resident made the appeal, and why it is entered late (if it is): the rules
    of a paper kite's time received (`kites.services.record_paper_kite`)."""
    late_reason = _words(late_reason)
    if len(late_reason) > LATE_REASON_MAX_LENGTH:
        raise CareError(f"Keep why it is entered late under {LATE_REASON_MAX_LENGTH} characters.")
    made_at = now if received_at is None else received_at
    if timezone.is_naive(made_at):
        raise CareError("The time received has no time zone.")
    if made_at > now + CLOCK_SKEW:
        raise CareError("The time received cannot be in the future.")
    made_at = min(made_at, now)
    if decision.decided_at is not None and made_at < decision.decided_at:
        raise CareError("The time received is before the decision was made.")
    if made_at < now - BACKDATE_GRACE and not late_reason:
        raise CareError("Say why the appeal is entered later than the resident made it.")
    return made_at, late_reason


def may_review(actor: User, appeal: Appeal, *, facility_ids: Collection[int] | None = None) -> bool:
    """I4: never the clinician who made the decision. A named remote reviewer may review
    this appeal (and only this one); otherwise a clinician at the facility.

    `facility_ids`, the actor's facilities when the caller has them already (a list of
    appeals asks once, not once a line)."""
    if not actor.is_staff_member or actor.role != Role.CLINICIAN:
        return False
    if actor.pk == appeal.decision.decided_by_id:
        return False
    if appeal.reviewer_id is not None:
        return actor.pk == appeal.reviewer_id
    if facility_ids is not None:
        return appeal.facility_id in facility_ids
    return actor.facilities.filter(pk=appeal.facility_id).exists()


@transaction.atomic
def name_reviewer(*, actor: User, appeal: Appeal, reviewer: User) -> Appeal:
    """A supervisor names who reviews an appeal — in a one-clinician facility, a remote
    clinician whose access reaches this appeal only."""
    _require(actor, {Role.SUPERVISOR}, "name an appeal's reviewer")
    appeal = (
        Appeal.objects.select_for_update(of=("self",))
        .select_related("decision", "facility")
        .get(pk=appeal.pk)
    )
    _at_facility(actor, appeal.facility_id)
    if appeal.decided_at is not None:
        raise CareError(f"Appeal {appeal.number} is already decided.")
    if reviewer.role != Role.CLINICIAN or not reviewer.is_active:
        raise CareError("The reviewer must be an active clinician.")
    if reviewer.pk == appeal.decision.decided_by_id:
        raise CareError("The clinician who made the decision cannot review its appeal.")
    appeal.reviewer = reviewer
    appeal.save(update_fields=["reviewer"])
    audit(
        "appeal.reviewer",
        actor=actor,
        facility=appeal.facility,
        subjects=[f"appeal:{appeal.pk}", f"user:{reviewer.pk}"],
    )
    return appeal


@transaction.atomic
def decide_appeal(*, actor: User, appeal: Appeal, outcome: str, reason: str) -> Appeal:
    appeal = (
        Appeal.objects.select_for_update(of=("self",))
        .select_related("decision", "facility", "person")
        .get(pk=appeal.pk)
    )
    if not may_review(actor, appeal):
        raise CareError(
            "An appeal is decided by a clinician who did not make the decision"
            + (" — here, its named reviewer." if appeal.reviewer_id else ".")
        )
    if appeal.decided_at is not None:
        raise CareError(f"Appeal {appeal.number} is already decided.")
    if outcome not in AppealOutcome.values:
        raise CareError("Choose whether the decision is upheld or overturned.")
    reason = _words(reason)
    if not reason:
        raise CareError("Explain the outcome: the resident reads it.")
    if len(reason) > TEXT_MAX_LENGTH:
        raise CareError(f"Keep the reason under {TEXT_MAX_LENGTH} characters.")
    now = timezone.now()
    appeal.outcome, appeal.reason = outcome, reason
    appeal.decided_by, appeal.decided_at = actor, now
    breached_now = now > appeal.due_at and appeal.breached_at is None
    if breached_now:
        appeal.breached_at = appeal.due_at
    appeal.save()
    if breached_now:
        audit(
            "appeal.breach",
            actor=None,
            facility=appeal.facility,
            person=appeal.person,
            subjects=[f"appeal:{appeal.pk}"],
        )
    audit(
        "appeal.decide",
        actor=actor,
        facility=appeal.facility,
        person=appeal.person,
        subjects=[f"appeal:{appeal.pk}", f"decision:{appeal.decision_id}"],
        fields=["outcome", "reason"],
    )
    return appeal


def warn_appeals(now: datetime, before: timedelta) -> int:
    """The sweep's part: an unanswered appeal due within `before` is marked due soon, once.
    A derived state, like a kite clock's warning: no audit event (the breach has one)."""
    return Appeal.objects.filter(
        decided_at__isnull=True,
        warned_at__isnull=True,
        due_at__gte=now,
        due_at__lt=now + before,
    ).update(warned_at=now)


def record_overdue_appeals(now: datetime) -> int:
    """The sweep's part: an appeal past its deadline unanswered is a breach, kept (I5)."""
    return record_breaches(Appeal.objects.all(), now)


def record_breaches(appeals: QuerySet[Appeal], now: datetime) -> int:
    """Mark each of `appeals` unanswered past its deadline at `now` as breached, once, on
    the chain of the facility that held it then."""
    count = 0
    for appeal in appeals.filter(
        decided_at__isnull=True, breached_at__isnull=True, due_at__lt=now
    ).select_related("facility", "person"):
        with transaction.atomic():
            # Another sweep, or a late answer, may have recorded it since it was read.
            marked = Appeal.objects.filter(
                pk=appeal.pk, decided_at__isnull=True, breached_at__isnull=True
            ).update(breached_at=appeal.due_at)
            if not marked:
                continue
            audit(
                "appeal.breach",
                actor=None,
                facility=appeal.facility,
                person=appeal.person,
                subjects=[f"appeal:{appeal.pk}"],
            )
            count += 1
    return count
