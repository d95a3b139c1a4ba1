"""Screening, scoped like its pages: health staff give screens and read the evaluations
list; a clinician assigns self-screens and reads a person's history and FHIR exports; a
resident answers and sends their own self-screen. Custody may call none of these (I6).
Each answer is saved and its safety rule applied by the same service as the pages (I2)."""

from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from ninja import Router, Status
from ninja.errors import HttpError

from kiteline.accounts.authz import acting_user
from kiteline.accounts.models import HEALTH_ROLES, Role, User
from kiteline.api.auth import ResidentSession, roles
from kiteline.api.kite_schemas import ErrorOut
from kiteline.api.screening_schemas import (
    AnswerIn,
    AnswerOut,
    AssignIn,
    EvaluationOut,
    HistoryOut,
    InstrumentOut,
    QuestionOut,
    ReferralOut,
    ScreenOut,
    StartIn,
    SubmitIn,
    SubmittedOut,
)
from kiteline.facilities.models import Person
from kiteline.interop import fhir
from kiteline.kites.selectors import resident_for_entry
from kiteline.screening.history import History, screening_history
from kiteline.screening.models import RECEIVING_SCREEN, Administration, Mode
from kiteline.screening.selectors import (
    EvaluationRow,
    Screen,
    administration_for_export,
    evaluation_list,
    own_screen,
    screen_for_staff,
)
from kiteline.screening.services import (
    SELF_SCREENS,
    ScreeningError,
    Submitted,
    assign_self_screen,
    definition_of,
    instruments,
    record_answer,
    start_administration,
    submit_receiving_screen,
    submit_screen,
)

router = Router(tags=["screening"])
FHIR_JSON = "application/fhir+json"


def _screen(actor: User, administration_id: int) -> Screen:
    if actor.is_resident:
        return own_screen(actor=actor, administration_id=administration_id)
    return screen_for_staff(actor=actor, administration_id=administration_id)


def _person(actor: User, resident_number: str) -> Person:
    entry = resident_for_entry(actor=actor, resident_number=resident_number)
    if entry is None:
        raise HttpError(400, f"Resident {resident_number} is not held at your facilities.")
    return entry.person


@router.get("/screening/instruments", response=list[InstrumentOut], auth=roles(*HEALTH_ROLES))
def instrument_list(request: HttpRequest) -> list[InstrumentOut]:
    """The instruments this system ships, and which of their language versions are
    validated (a score in an unvalidated one is flagged wherever it appears)."""
    return [
        InstrumentOut(
            key=key,
            name=definition.name,
            version=definition.version,
            languages={code: lang.validated for code, lang in definition.languages.items()},
            items=len(definition.items),
            self_screen=key in SELF_SCREENS,
        )
        for key, definition in sorted(instruments().items())
    ]


@router.get("/screening/instruments/{key}/fhir", auth=roles(*HEALTH_ROLES))
def instrument_fhir(request: HttpRequest, key: str, language: str = "en") -> HttpResponse:
    """The instrument as a FHIR R5 Questionnaire."""
    definition = instruments().get(key)
    if definition is None or language not in definition.languages:
        raise Http404
    return HttpResponse(fhir.to_json(fhir.questionnaire(definition, language)), FHIR_JSON)


@router.post(
    "/screenings",
    response={201: ScreenOut, 400: ErrorOut},
    auth=roles(*HEALTH_ROLES),
)
def start(request: HttpRequest, payload: StartIn) -> Status[ScreenOut]:
    """Health staff start a screen they give (the receiving screen is `bjmhs-v1`)."""
    actor = acting_user(request)
    try:
        administration = start_administration(
            actor=actor,
            person=_person(actor, payload.resident_number),
            instrument=payload.instrument,
            language=payload.language,
            interpreter=payload.interpreter,
        )
    except ScreeningError as error:
        raise HttpError(400, str(error)) from error
    return Status(201, _screen_out(_screen(actor, administration.pk)))


@router.post(
    "/screenings/self",
    response={201: ScreenOut, 400: ErrorOut},
    auth=roles(Role.CLINICIAN),
)
def assign(request: HttpRequest, payload: AssignIn) -> Status[ScreenOut]:
    """A clinician asks a resident to fill in a PHQ-9, GAD-7 or PCL-5 at the kiosk."""
    actor = acting_user(request)
    try:
        administration = assign_self_screen(
            actor=actor,
            person=_person(actor, payload.resident_number),
            instrument=payload.instrument,
        )
    except ScreeningError as error:
        raise HttpError(400, str(error)) from error
    return Status(201, _screen_out(_summary(administration)))


def _summary(administration: Administration) -> Screen:
    """The new self-screen as its assigner sees it: no answers yet, so no read to audit."""
    definition = definition_of(administration.instrument)
    return Screen(
        administration_id=administration.pk,
        instrument=administration.instrument,
        name=definition.name,
        language=administration.language,
        validated_language=definition.languages[administration.language].validated,
        instructions="",
        mode=administration.mode,
        resident_number=administration.person.resident_number,
        person_name="",
        questions=(),
        missing=tuple(item.id for item in definition.items),
        submitted=False,
        receiving=False,
        positive=False,
        current_medication=False,
        safety_raised=False,
    )


def _screen_out(screen: Screen) -> ScreenOut:
    return ScreenOut(
        administration_id=screen.administration_id,
        instrument=screen.instrument,
        name=screen.name,
        language=screen.language,
        validated_language=screen.validated_language,
        mode=screen.mode,
        resident_number=screen.resident_number,
        questions=[
            QuestionOut(
                id=q.id, number=q.number, text=q.text, options=list(q.options), answer=q.answer
            )
            for q in screen.questions
        ],
        missing=list(screen.missing),
        submitted=screen.submitted,
        safety_raised=screen.safety_raised,
    )


@router.get(
    "/screenings/{administration_id}",
    response=ScreenOut,
    auth=[*roles(*HEALTH_ROLES), ResidentSession()],
)
def screen(request: HttpRequest, administration_id: int) -> ScreenOut:
    """A screen being given: staff read one they give; a resident reads their own
    self-screen."""
    return _screen_out(_screen(acting_user(request), administration_id))


@router.post(
    "/screenings/{administration_id}/answers",
    response={200: AnswerOut, 400: ErrorOut},
    auth=[*roles(*HEALTH_ROLES), ResidentSession()],
)
def answer(request: HttpRequest, administration_id: int, payload: AnswerIn) -> AnswerOut:
    """Save one answer now. The same answer again changes nothing. `safety` is true when a
    safety rule has fired: the emergent item and alert already exist (I2)."""
    actor = acting_user(request)
    screen = _screen(actor, administration_id)
    try:
        result = record_answer(
            actor=actor,
            administration=Administration(pk=screen.administration_id),
            item=payload.item,
            value=payload.value,
        )
    except ScreeningError as error:
        raise HttpError(400, str(error)) from error
    return AnswerOut(missing=list(result.missing), safety=bool(result.safety_flags))


@router.post(
    "/screenings/{administration_id}/submit",
    response={200: SubmittedOut, 400: ErrorOut},
    auth=[*roles(*HEALTH_ROLES), ResidentSession()],
)
def submit(request: HttpRequest, administration_id: int, payload: SubmitIn) -> SubmittedOut:
    """Submit: scored if complete (else kept with the reason it ended early, unscored);
    referrals opened are listed with their deadlines. The receiving screen takes the
    nurse's referral decision (`urgency`, `discretion_reason`)."""
    actor = acting_user(request)
    screen = _screen(actor, administration_id)
    administration = Administration(pk=screen.administration_id)
    try:
        if screen.instrument == RECEIVING_SCREEN and screen.mode == Mode.STAFF:
            submitted = submit_receiving_screen(
                actor=actor,
                administration=administration,
                urgency=payload.urgency,
                discretion_reason=payload.discretion_reason,
                incomplete_reason=payload.incomplete_reason,
            )
        else:
            submitted = submit_screen(
                actor=actor,
                administration=administration,
                incomplete_reason=payload.incomplete_reason,
            )
    except ScreeningError as error:
        raise HttpError(400, str(error)) from error
    return _submitted_out(submitted)


def _submitted_out(submitted: Submitted) -> SubmittedOut:
    result = submitted.result
    return SubmittedOut(
        administration_id=submitted.administration.pk,
        complete=result.complete,
        total=result.total,
        band=result.band,
        flags=[flag.rule for flag in result.flags],
        validated_language=result.validated_language,
        referrals=[
            ReferralOut(
                evaluation_id=referral.pk,
                kind=referral.kind,
                urgency=referral.urgency,
                due_at=referral.due_at,
            )
            for referral in submitted.referrals
        ],
    )


@router.get("/screening/evaluations", response=list[EvaluationOut], auth=roles(*HEALTH_ROLES))
def evaluations(request: HttpRequest, show: str = "open") -> list[EvaluationRow]:
    """Evaluations and E-05 screenings at the caller's facilities: `open` (by deadline),
    `overdue`, or `done` (most recent first)."""
    return evaluation_list(actor=acting_user(request), show=show, now=timezone.now())


@router.get("/people/{resident_number}/screenings", response=HistoryOut, auth=roles(Role.CLINICIAN))
def history(request: HttpRequest, resident_number: str) -> History:
    """A person's screening history at the caller's facilities, every answer and score."""
    return screening_history(actor=acting_user(request), resident_number=resident_number)


@router.get("/screenings/{administration_id}/fhir", auth=roles(Role.CLINICIAN))
def administration_fhir(request: HttpRequest, administration_id: int) -> HttpResponse:
    """The administration as a FHIR R5 Bundle (collection): its QuestionnaireResponse and,
    when complete, an Observation of the total with its LOINC code."""
    export = administration_for_export(
        actor=acting_user(request), administration_id=administration_id
    )
    bundle = fhir.administration_bundle(
        definition_of(export.instrument),
        export.answers,
        subject_reference=f"Patient/{export.resident_number}",
        authored=export.authored,
        language=export.language,
        submitted=export.submitted,
    )
    return HttpResponse(fhir.to_json(bundle), FHIR_JSON)
