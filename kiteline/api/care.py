"""Care decisions, scoped like their pages: health staff read the service catalogue, a
person's care, decisions and appeals; a clinician sets levels, asks for decisions, confirms
or overrides them and decides others' appeals (I4); a supervisor sets the facility's
contact figures and services and drafts and publishes policies; a resident at a kiosk
reads their own decisions and appeals them. Custody may call none of these (I6).

Reads are the pages' selectors, which record one read event per answer (I7); writes are
the services, which record theirs. A refusal of a service is 400 with its reason.
"""

from django.conf import settings
from django.http import Http404, HttpRequest
from django.utils import timezone, translation
from ninja import Router, Status
from ninja.errors import HttpError

from kiteline.accounts.authz import acting_user
from kiteline.accounts.kiosk_services import screen_language
from kiteline.accounts.kiosk_views import LANGUAGE_KEY
from kiteline.accounts.models import HEALTH_ROLES, Role, User
from kiteline.api.auth import ResidentSession, residents, roles
from kiteline.api.care_schemas import (
    AppealDecisionIn,
    AppealFiledOut,
    AppealIn,
    AppealListOut,
    AppealPageOut,
    CareSettingsOut,
    ContactFiguresIn,
    DecisionIn,
    DecisionOut,
    DraftIn,
    LevelIn,
    LevelSetOut,
    OverrideIn,
    OwnDecisionOut,
    OwnDecisionsOut,
    PendingDecisionOut,
    PersonCareOut,
    PolicyOut,
    ProblemOut,
    ProblemsOut,
    ServiceChangeIn,
    ServiceOut,
    grievance_notice,
)
from kiteline.api.kite_schemas import ErrorOut
from kiteline.api.kites import KITE_NUMBER
from kiteline.care.models import Appeal, Decision
from kiteline.care.policy_format import PolicyError, Problem
from kiteline.care.policy_forms import MAX_DRAFT_CHARS, draft_text
from kiteline.care.policy_selectors import service_for_editing
from kiteline.care.resident_selectors import appeal_of, own_decision
from kiteline.care.services import (
    CareError,
    assign_level,
    check_draft,
    choose_care_settings,
    confirm_decision,
    decide_appeal,
    file_appeal,
    override_decision,
    publish_policy,
    request_decision,
    save_draft,
    scheme_of,
    update_service,
)
from kiteline.care.staff_selectors import (
    AppealList,
    AppealPage,
    CatalogueRow,
    DecisionView,
    PersonCare,
    PolicyHistory,
    SettingsPage,
    appeal_for_action,
    appeal_list,
    appeal_page,
    care_settings,
    decision_for_action,
    decision_page,
    decision_target,
    evaluation_for_level,
    facility_for_settings,
    own_decisions_in_full,
    person_care,
    person_for_action,
    policy_history,
    service_catalogue,
    service_for_decision,
)
from kiteline.kites.selectors import local_time

router = Router(tags=["care"])


def _refused(error: CareError) -> HttpError:
    return HttpError(400, str(error))


def _decision(actor: User, decision_id: int) -> DecisionView:
    return decision_page(actor=actor, decision_id=decision_id, now=timezone.now()).decision


# ---- Services and levels -----------------------------------------------------------------


@router.get("/care/services", response=list[ServiceOut], auth=roles(*HEALTH_ROLES))
def services(request: HttpRequest) -> list[CatalogueRow]:
    """The services of the caller's facilities, each with its published version (null
    before the first)."""
    return service_catalogue(actor=acting_user(request))


def _settings(page: SettingsPage) -> dict[str, object]:
    scheme = page.in_force
    return {
        "facility": page.facility_code,
        "scheme": scheme.code,
        "scheme_name": scheme.name,
        "source": scheme.source,
        "levels": [
            {
                "code": level.code,
                "name": level.name,
                "description": level.description,
                "contacts": [
                    {
                        "kind": contact.kind_code,
                        "name": contact.kind,
                        "every_days": contact.every_days,
                        "unverified": contact.unverified,
                        "as_needed": contact.as_needed,
                        "own": contact.own,
                    }
                    for contact in level.contacts
                ],
                "not_required": [code for code, _name in level.not_required],
                "weekly_structured_hours": level.weekly_hours,
                "weekly_structured_hours_unverified": level.weekly_hours_unverified,
            }
            for level in scheme.levels
        ],
        "unverified": list(scheme.unverified),
        "appeal_window_days": page.appeal_window_days,
        "appeal_response_days": page.appeal_response_days,
        "updated_by": page.updated_by,
        "updated_at": page.updated_at,
        "services": [
            {
                "service_id": row.service_id,
                "code": row.code,
                "name_en": row.name_en,
                "name_es": row.name_es,
                "capacity_note": row.capacity_note,
                "active": row.active,
                "version": row.version,
                "has_draft": row.has_draft,
            }
            for row in page.services
        ],
    }


@router.get("/care/settings", response=CareSettingsOut, auth=roles(Role.SUPERVISOR))
def care_settings_of(request: HttpRequest, facility: str | None = None) -> dict[str, object]:
    """A facility's levels of care with each contact figure (the preset's, marked
    `unverified` where no public source confirms it, or the facility's `own`), its appeal
    deadlines and its services. `facility` is a facility code; the caller's first when
    left out. Names nobody: records no read."""
    return _settings(care_settings(actor=acting_user(request), facility_code=facility))


@router.put(
    "/care/settings/contacts",
    response={200: CareSettingsOut, 400: ErrorOut},
    auth=roles(Role.SUPERVISOR),
)
def set_contact_figures(request: HttpRequest, payload: ContactFiguresIn) -> dict[str, object]:
    """Set the facility's own contact figures for the scheme in force (which stays); a
    figure that is not a whole number of days from 1 to 366 (or null) is refused, and
    nothing is saved."""
    actor = acting_user(request)
    facility = facility_for_settings(actor=actor, facility_code=payload.facility)
    try:
        choose_care_settings(
            actor=actor,
            facility=facility,
            scheme=scheme_of(facility).code,
            contact_days=payload.contact_days,
        )
    except CareError as error:
        raise _refused(error) from error
    return _settings(care_settings(actor=actor, facility_code=facility.code))


@router.post(
    "/care/services/{service_id}",
    response={200: ServiceOut, 400: ErrorOut},
    auth=roles(Role.SUPERVISOR),
)
def change_service(request: HttpRequest, service_id: int, payload: ServiceChangeIn) -> CatalogueRow:
    """Rename a service, change its capacity note, stop (`"active": false`) or start
    offering it; a field left out stays as it is. An inactive service gets no new
    decisions; the decisions it has keep it."""
    actor = acting_user(request)
    service = service_for_editing(actor=actor, service_id=service_id)
    try:
        changed = update_service(
            actor=actor,
            service=service,
            name_en=service.name_en if payload.name_en is None else payload.name_en,
            name_es=service.name_es if payload.name_es is None else payload.name_es,
            capacity_note=(
                service.capacity_note if payload.capacity_note is None else payload.capacity_note
            ),
            active=service.active if payload.active is None else payload.active,
        )
    except CareError as error:
        raise _refused(error) from error
    return next(row for row in service_catalogue(actor=actor) if row.service_id == changed.pk)


@router.get("/people/{resident_number}/care", response=PersonCareOut, auth=roles(*HEALTH_ROLES))
def care_of(request: HttpRequest, resident_number: str) -> PersonCare:
    """A person's level of care now, every level they were given, and their decisions, as
    the person page shows them; 404 for a person never held at the caller's facilities."""
    care = person_care(
        actor=acting_user(request), resident_number=resident_number, now=timezone.now()
    )
    if care is None:
        raise Http404
    return care


@router.post(
    "/people/{resident_number}/level",
    response={201: LevelSetOut, 400: ErrorOut},
    auth=roles(Role.CLINICIAN),
)
def set_level(request: HttpRequest, resident_number: str, payload: LevelIn) -> Status[LevelSetOut]:
    """A clinician sets the person's level of care (a level of the facility's scheme),
    with the reason and, optionally, the evaluation it follows."""
    actor = acting_user(request)
    person = person_for_action(actor=actor, resident_number=resident_number)
    evaluation = evaluation_for_level(actor=actor, evaluation_id=payload.evaluation_id)
    try:
        assignment = assign_level(
            actor=actor,
            person=person,
            level=payload.level,
            reason=payload.reason,
            evaluation=evaluation,
        )
    except CareError as error:
        raise _refused(error) from error
    return Status(
        201,
        LevelSetOut(
            level_id=assignment.pk,
            scheme=assignment.scheme,
            level=assignment.level,
            booking_number=assignment.booking.booking_number,
            assigned_at=local_time(assignment.assigned_at, assignment.facility.time_zone),
        ),
    )


# ---- Decisions ---------------------------------------------------------------------------


def _kite_id(number: str | None) -> int | None:
    if number is None:
        return None
    found = KITE_NUMBER.fullmatch(number)
    if found is None:
        raise HttpError(400, f"{number!r} is not a request number (such as K000123).")
    return int(found.group(1))


@router.post("/decisions", response={201: DecisionOut, 400: ErrorOut}, auth=roles(Role.CLINICIAN))
def ask(request: HttpRequest, payload: DecisionIn) -> Status[DecisionView]:
    """Ask the service's published policy for a decision on the resident: 201 with the
    decision as GET /decisions/{decision_id} shows it, the proposal waiting for the
    clinician to confirm or override it."""
    actor = acting_user(request)
    person = person_for_action(actor=actor, resident_number=payload.resident_number)
    service = service_for_decision(actor=actor, person=person, code=payload.service)
    if service is None:
        raise HttpError(
            400, f"There is no service {payload.service!r} where {person.resident_number} is held."
        )
    target = decision_target(
        actor=actor,
        resident_number=person.resident_number,
        kite_id=_kite_id(payload.kite_number),
        service_id=service.pk,
        evaluation_id=payload.evaluation_id,
    )
    if target.person.pk != person.pk:
        raise HttpError(400, f"Request {payload.kite_number} is not {person.resident_number}'s.")
    try:
        decision = request_decision(
            actor=actor,
            person=target.person,
            service=target.service,
            kite=target.kite,
            evaluation=target.evaluation,
        )
    except CareError as error:
        raise _refused(error) from error
    return Status(201, _decision(actor, decision.pk))


def _resident_language(request: HttpRequest, actor: User) -> str:
    """The kiosk's language for the signed-in resident: the one they chose on screen, else
    the one their record gives (as at sign-in)."""
    chosen = request.session.get(LANGUAGE_KEY)
    if chosen in dict(settings.LANGUAGES):
        return str(chosen)
    language = "" if actor.person is None else actor.person.language
    return screen_language(language).code


@router.get("/decisions/mine", response=OwnDecisionsOut, auth=residents())
def my_decisions(request: HttpRequest) -> OwnDecisionsOut:
    """The signed-in resident's own decisions in plain words, in their language: the
    signed-off ones newest first, with reasons, what is offered instead and how to appeal;
    then those a clinician has not signed off, without an outcome."""
    actor = acting_user(request)
    language = _resident_language(request, actor)
    with translation.override(language):
        shown = own_decisions_in_full(actor=actor, now=timezone.now(), language=language)
        return OwnDecisionsOut(
            language=language,
            decided=[OwnDecisionOut.of(item) for item in shown.decided],
            pending=[PendingDecisionOut.of(item) for item in shown.pending],
        )


@router.get("/decisions/{decision_id}", response=DecisionOut, auth=roles(*HEALTH_ROLES))
def decision(request: HttpRequest, decision_id: int) -> DecisionView:
    """One decision with its evidence, as its page shows it: for the health staff of its
    facility, and for the remote reviewer named on its appeal."""
    return _decision(acting_user(request), decision_id)


@router.post(
    "/decisions/{decision_id}/confirm",
    response={200: DecisionOut, 400: ErrorOut},
    auth=roles(Role.CLINICIAN),
)
def confirm(request: HttpRequest, decision_id: int) -> DecisionView:
    """The clinician agrees with the policy's proposal."""
    actor = acting_user(request)
    target = decision_for_action(actor=actor, decision_id=decision_id)
    try:
        confirm_decision(actor=actor, decision=target)
    except CareError as error:
        raise _refused(error) from error
    return _decision(actor, target.pk)


@router.post(
    "/decisions/{decision_id}/override",
    response={200: DecisionOut, 400: ErrorOut},
    auth=roles(Role.CLINICIAN),
)
def override(request: HttpRequest, decision_id: int, payload: OverrideIn) -> DecisionView:
    """The clinician decides other than the proposal (`outcome` eligible or not_eligible),
    with a `reason` from the list and, where it does not say enough, their own `text`."""
    actor = acting_user(request)
    target = decision_for_action(actor=actor, decision_id=decision_id)
    try:
        override_decision(
            actor=actor,
            decision=target,
            outcome=payload.outcome,
            reason=payload.reason,
            text=payload.text,
        )
    except CareError as error:
        raise _refused(error) from error
    return _decision(actor, target.pk)


def _decision_to_appeal(actor: User, decision_id: int) -> Decision:
    if actor.is_resident:
        return own_decision(actor, decision_id)
    return decision_for_action(actor=actor, decision_id=decision_id)


def _filed(appeal: Appeal) -> AppealFiledOut:
    zone = appeal.facility.time_zone
    return AppealFiledOut(
        appeal_id=appeal.pk,
        number=appeal.number,
        decision_id=appeal.decision_id,
        filed_at=local_time(appeal.filed_at, zone),
        due_at=local_time(appeal.due_at, zone),
        grievance_notice=grievance_notice(),
    )


@router.post(
    "/decisions/{decision_id}/appeal",
    response={201: AppealFiledOut, 200: AppealFiledOut, 400: ErrorOut},
    auth=[*roles(*HEALTH_ROLES), ResidentSession()],
)
def appeal(request: HttpRequest, decision_id: int, payload: AppealIn) -> Status[AppealFiledOut]:
    """A resident appeals their own "no" in their own words, or health staff file the
    resident's appeal for them — one the resident made earlier with `received_at` (and a
    `late_reason` when that was more than 15 minutes ago), counted from then. 201 for a new
    appeal; 200 and the same appeal for the same words again. The answer says that this
    appeal is not the formal grievance, and how to file one."""
    actor = acting_user(request)
    target = _decision_to_appeal(actor, decision_id)
    # The service keeps one appeal per decision whatever races; two first sends at once
    # may both be told 201, for the one appeal.
    already = appeal_of(target) is not None
    try:
        filed = file_appeal(
            actor=actor,
            decision=target,
            text=payload.text,
            received_at=payload.received_at,
            late_reason=payload.late_reason,
        )
    except CareError as error:
        raise _refused(error) from error
    # Staff read the notice in their own language, a resident in the kiosk's.
    language = _resident_language(request, actor) if actor.is_resident else None
    with translation.override(language or translation.get_language()):
        return Status(200 if already else 201, _filed(filed))


# ---- Appeals -----------------------------------------------------------------------------


@router.get("/appeals", response=AppealListOut, auth=roles(Role.CLINICIAN, Role.SUPERVISOR))
def appeals(request: HttpRequest) -> AppealList:
    """For a clinician, the open appeals they may decide (never of their own decisions)
    and those decided in the past 30 days; for a supervisor, every appeal of their
    facilities."""
    return appeal_list(actor=acting_user(request), now=timezone.now())


@router.get("/appeals/{appeal_id}", response=AppealPageOut, auth=roles(*HEALTH_ROLES))
def appeal_detail(request: HttpRequest, appeal_id: int) -> AppealPage:
    """One appeal with its decision and the evidence, as its page shows it."""
    return appeal_page(actor=acting_user(request), appeal_id=appeal_id, now=timezone.now())


@router.post(
    "/appeals/{appeal_id}/decide",
    response={200: AppealPageOut, 400: ErrorOut},
    auth=roles(Role.CLINICIAN),
)
def decide(request: HttpRequest, appeal_id: int, payload: AppealDecisionIn) -> AppealPage:
    """A clinician who did not make the decision (I4) upholds or overturns it (`outcome`
    upheld or overturned), with the reason the resident reads."""
    actor = acting_user(request)
    target = appeal_for_action(actor=actor, appeal_id=appeal_id)
    try:
        decide_appeal(actor=actor, appeal=target, outcome=payload.outcome, reason=payload.reason)
    except CareError as error:
        raise _refused(error) from error
    return appeal_page(actor=actor, appeal_id=target.pk, now=timezone.now())


# ---- Policies ----------------------------------------------------------------------------


def _problems(detail: str, problems: tuple[Problem, ...] = ()) -> Status[ProblemsOut]:
    return Status(
        400,
        ProblemsOut(
            detail=detail,
            problems=[
                ProblemOut(where=p.where, message=p.message, line=p.line, column=p.column)
                for p in problems
            ],
        ),
    )


@router.get("/policies/{service_id}", response=PolicyOut, auth=roles(Role.SUPERVISOR))
def policy(request: HttpRequest, service_id: int) -> PolicyHistory:
    """A service's published versions, newest first, each under its publisher's name, and
    the draft as saved."""
    service = service_for_editing(actor=acting_user(request), service_id=service_id)
    return policy_history(service)


@router.post(
    "/policies/{service_id}/draft",
    response={200: PolicyOut, 400: ProblemsOut},
    auth=roles(Role.SUPERVISOR),
)
def draft(
    request: HttpRequest, service_id: int, payload: DraftIn
) -> Status[PolicyHistory] | Status[ProblemsOut]:
    """Save the draft, replacing the one saved before. A draft that does not check is
    refused with every problem and where it is (the criterion, and the line and column
    in its expression), and nothing is saved. Nobody is affected until it is published."""
    actor = acting_user(request)
    service = service_for_editing(actor=actor, service_id=service_id)
    if len(draft_text(payload.body)) > MAX_DRAFT_CHARS:
        return _problems(f"A draft holds at most {MAX_DRAFT_CHARS:,} characters.")
    try:
        check_draft(service, payload.body)
        save_draft(actor=actor, service=service, body=payload.body)
    except PolicyError as error:
        return _problems("The draft does not check.", error.problems)
    except CareError as error:
        return _problems(str(error))
    return Status(200, policy_history(service))


@router.post(
    "/policies/{service_id}/publish",
    response={201: PolicyOut, 400: ProblemsOut},
    auth=roles(Role.SUPERVISOR),
)
def publish(request: HttpRequest, service_id: int) -> Status[PolicyHistory] | Status[ProblemsOut]:
    """Publish the saved draft as the next version, under the caller's name; a published
    version never changes (I9)."""
    actor = acting_user(request)
    service = service_for_editing(actor=actor, service_id=service_id)
    history = policy_history(service)
    try:
        if history.draft is not None:
            check_draft(service, history.draft.body)
        publish_policy(actor=actor, service=service)
    except PolicyError as error:
        return _problems("The draft does not check.", error.problems)
    except CareError as error:
        return _problems(str(error))
    return Status(201, policy_history(service))
