"""Writes to screenings: starting or assigning one, saving each answer as it is given, and
submitting it, which refers for evaluation when the screen says so.

A safety rule (PHQ-9 item 9 above 0; C-SSRS Q4 or Q5, or behaviour in the past three
months) fires on the answer's own save, in its transaction, through the kites emergent
path; nothing can switch it off, and it fires once per administration (I2).
"""

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache

from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.utils import timezone

from kiteline.accounts.models import HEALTH_ROLES, Role, User
from kiteline.audit.recording import record_event
from kiteline.facilities.models import Booking, Person
from kiteline.kites.clocks import Urgency
from kiteline.kites.services import receive_screening_emergent_item
from kiteline.screening.definitions import Definition, load_all
from kiteline.screening.evaluation_services import meet_screening_duty, open_evaluation
from kiteline.screening.models import (
    RECEIVING_SCREEN,
    Administration,
    Answer,
    Evaluation,
    EvaluationKind,
    EvaluationReason,
    Mode,
)
from kiteline.screening.scoring import AnswerError, ScoreResult, certain_flags, score

# What a clinician may ask a resident to fill in alone at the kiosk.
SELF_SCREENS = ("phq9-v1", "gad7-v1", "pcl5-v1")
# BJMHS item 7: currently taking psychiatric medication.
MEDICATION_ITEM = "q7"
REASON_MAX_LENGTH = 300


class ScreeningError(ValueError):
    """A screening change that cannot be made, with the reason in plain words."""


@dataclass(frozen=True)
class Submitted:
    administration: Administration
    result: ScoreResult
    # What the screen opened, to tell the resident or nurse who sees them and by when.
    referrals: tuple[Evaluation, ...]


@cache
def instruments() -> dict[str, Definition]:
    """The shipped definitions, loaded and checked once per process."""
    return load_all()


# Invariant I2 names these answers; each must raise a safety flag whatever the definition
# files say, or the system refuses to start.
SAFETY_ANSWERS = {
    "phq9-v1": ({"q9": 1},),
    "cssrs-screener-v1": ({"q4": 1}, {"q5": 1}, {"q6_recent": 1}),
}


def check_safety_rules(definitions: dict[str, Definition]) -> None:
    """Refuse definitions that lost a safety rule I2 requires (checked at start-up)."""
    for key, cases in SAFETY_ANSWERS.items():
        definition = definitions.get(key)
        if definition is None:
            raise ImproperlyConfigured(f"The instrument {key} is missing: I2 needs it.")
        for answers in cases:
            if not score(definition, answers).safety_flags:
                raise ImproperlyConfigured(
                    f"{key}: the answers {answers} must raise a safety flag (I2); "
                    "its definition file has lost the rule."
                )


def definition_of(key: str) -> Definition:
    definition = instruments().get(key)
    if definition is None:
        raise ScreeningError(f"There is no instrument {key}.")
    return definition


def _audit(action: str, *, actor: User, administration: Administration, **detail: object) -> None:
    record_event(
        actor=actor,
        action=action,
        facility=administration.facility,
        person=administration.person,
        subjects=[f"screening:{administration.pk}"],
        detail=detail or None,
    )


def _open_booking(actor: User, person: Person) -> Booking:
    booking = (
        Booking.objects.select_related("facility")
        .filter(person=person, released_at__isnull=True, facility__in=actor.facilities.all())
        .first()
    )
    if booking is None:
        raise ScreeningError(f"Resident {person.resident_number} is not held at your facilities.")
    return booking


@transaction.atomic
def start_administration(
    *,
    actor: User,
    person: Person,
    instrument: str,
    language: str = "en",
    interpreter: bool = False,
) -> Administration:
    """A screen given by health staff, who record the language and any interpreter."""
    if not actor.is_staff_member or actor.role not in HEALTH_ROLES:
        raise ScreeningError("Only health staff give a screening.")
    return _create(
        actor=actor,
        person=person,
        instrument=instrument,
        language=language,
        mode=Mode.STAFF,
        interpreter=interpreter,
    )


@transaction.atomic
def assign_self_screen(*, actor: User, person: Person, instrument: str) -> Administration:
    """A clinician asks a resident to fill in a screen at the kiosk, in the resident's
    language when the instrument has it, else in English (the resident can ask for help)."""
    if not actor.is_staff_member or actor.role != Role.CLINICIAN:
        raise ScreeningError("Only a clinician assigns a self-screen.")
    if instrument not in SELF_SCREENS:
        raise ScreeningError(f"{instrument} is not a self-screen.")
    # Only a screen still to do in this stay blocks another: one left undone in an earlier
    # stay can no longer be done, and refusing before the facility check would tell a
    # clinician elsewhere about a resident they may not see.
    booking = _open_booking(actor, person)
    waiting = Administration.objects.filter(
        booking=booking, instrument=instrument, mode=Mode.SELF, submitted_at__isnull=True
    )
    if waiting.exists():
        raise ScreeningError(f"Resident {person.resident_number} already has this screen to do.")
    languages = definition_of(instrument).languages
    tag = person.language.replace("_", "-")
    # "es-MX" reads the Spanish version; a language without one gets English.
    language = next((code for code in (tag, tag.split("-")[0]) if code in languages), "en")
    return _create(
        actor=actor, person=person, instrument=instrument, language=language, mode=Mode.SELF
    )


def _create(
    *,
    actor: User,
    person: Person,
    instrument: str,
    language: str,
    mode: Mode,
    interpreter: bool = False,
) -> Administration:
    definition = definition_of(instrument)
    if language not in definition.languages:
        raise ScreeningError(f"{instrument} has no {language} version.")
    booking = _open_booking(actor, person)
    administration = Administration.objects.create(
        person=person,
        booking=booking,
        facility=booking.facility,
        instrument=instrument,
        language=language,
        mode=mode,
        interpreter=interpreter,
        started_by=actor,
        started_at=timezone.now(),
    )
    _audit("screening.start", actor=actor, administration=administration, mode=mode)
    return administration


def _lock(administration: Administration) -> Administration:
    return (
        Administration.objects.select_for_update(of=("self",))
        .select_related("facility", "person", "booking__facility")
        .get(pk=administration.pk)
    )


def _check_answerer(actor: User, administration: Administration) -> None:
    if administration.booking.released_at is not None:
        raise ScreeningError("This stay has ended: the screen can no longer be answered.")
    if administration.mode == Mode.SELF:
        allowed = actor.is_resident and actor.person_id == administration.person_id
    else:
        allowed = (
            actor.is_staff_member
            and actor.role in HEALTH_ROLES
            and actor.facilities.filter(pk=administration.facility_id).exists()
        )
    if not allowed:
        raise ScreeningError("Only the person giving this screen, or its resident, answers it.")


def given_answers(administration: Administration) -> dict[str, int]:
    """The current answers; replaced ones stay in the record but are not scored."""
    return dict(
        administration.answers.filter(replaced_at__isnull=True).values_list("item", "value")
    )


@transaction.atomic
def record_answer(
    *, actor: User, administration: Administration, item: str, value: int
) -> ScoreResult:
    """Save one answer; a safety flag raises the emergent item at once, before any submit.
    Saving the same answer again changes nothing, so a retried save is harmless."""
    administration = _lock(administration)
    _check_answerer(actor, administration)
    if administration.submitted_at is not None:
        raise ScreeningError("This screening was already submitted.")
    given = given_answers(administration)
    try:
        result = score(
            definition_of(administration.instrument),
            {**given, item: value},
            administration.language,
        )
    except AnswerError as error:
        raise ScreeningError(str(error)) from error
    if given.get(item) != value:
        now = timezone.now()
        administration.answers.filter(item=item, replaced_at__isnull=True).update(replaced_at=now)
        Answer.objects.create(
            administration=administration,
            item=item,
            value=value,
            answered_at=now,
            answered_by=actor,
        )
        _audit("screening.answer", actor=actor, administration=administration, fields=[item])
    fired = [flag.rule for flag in result.safety_flags]
    if set(fired) - set(administration.safety_rules):
        administration.safety_rules = sorted({*administration.safety_rules, *fired})
        administration.save(update_fields=["safety_rules"])
    if fired and administration.safety_kite is None:
        _raise_emergent(actor, administration, reason=EvaluationReason.SAFETY_ANSWER)
    return result


def _raise_emergent(
    actor: User, administration: Administration, *, reason: str, discretion_reason: str = ""
) -> Evaluation:
    """The emergent item, its alert and welfare check, and an emergent evaluation that puts
    "safety precautions until evaluated" on the person until a clinician has seen them."""
    administration.safety_kite = receive_screening_emergent_item(
        actor=actor, person=administration.person, answered_at=timezone.now()
    )
    administration.save(update_fields=["safety_kite"])
    _audit(
        "screening.emergent",
        actor=actor,
        administration=administration,
        kite=administration.safety_kite.pk,
    )
    return open_evaluation(
        actor=actor,
        booking=administration.booking,
        kind=EvaluationKind.EVALUATION,
        urgency=Urgency.EMERGENT,
        reason=EvaluationReason(reason),
        administration=administration,
        discretion_reason=discretion_reason,
        safety=True,
    )


def _finish(actor: User, administration: Administration, incomplete_reason: str) -> ScoreResult:
    """Score what was given and keep it; a screen ended early needs a reason from staff,
    and keeps no total."""
    _check_answerer(actor, administration)
    if administration.submitted_at is not None:
        raise ScreeningError("This screening was already submitted.")
    result = score(
        definition_of(administration.instrument),
        given_answers(administration),
        administration.language,
    )
    incomplete_reason = incomplete_reason.strip()
    if len(incomplete_reason) > REASON_MAX_LENGTH:
        raise ScreeningError(f"Keep the reason under {REASON_MAX_LENGTH} characters.")
    if not result.complete:
        if administration.mode == Mode.SELF:
            raise ScreeningError("Please answer every question before you send.")
        if not incomplete_reason:
            raise ScreeningError(
                "Questions are unanswered (" + ", ".join(result.missing) + "): "
                "say why the screen ended early."
            )
    elif incomplete_reason:
        raise ScreeningError("Every question is answered: this screen is complete.")
    administration.submitted_at, administration.submitted_by = timezone.now(), actor
    administration.complete = result.complete
    administration.total = result.total
    administration.band = result.band or ""
    # A safety rule that fired on an answer since changed stays among the flags (I2).
    fired = {flag.rule for flag in result.flags}
    administration.flags = [flag.rule for flag in result.flags] + [
        rule for rule in administration.safety_rules if rule not in fired
    ]
    administration.incomplete_reason = incomplete_reason
    administration.save()
    _audit("screening.submit", actor=actor, administration=administration)
    return result


@transaction.atomic
def submit_screen(
    *, actor: User, administration: Administration, incomplete_reason: str = ""
) -> Submitted:
    """Submit any screen but the receiving screen. A complete one meets the stay's E-05
    duty; a result that calls for it opens a routine evaluation, unless one is open."""
    administration = _lock(administration)
    if administration.instrument == RECEIVING_SCREEN:
        raise ScreeningError("The receiving screen is submitted with its referral decision.")
    if (
        administration.submitted_at is not None
        and administration.mode == Mode.SELF
        and actor.is_resident
        and actor.person_id == administration.person_id
    ):
        # A resident's double tap on "send" on their self-screen: it is already in. (Not a
        # screen staff gave: its score is not the resident's to read here.)
        result = score(
            definition_of(administration.instrument),
            given_answers(administration),
            administration.language,
        )
        return Submitted(administration, result, _referrals(administration))
    result = _finish(actor, administration, incomplete_reason)
    referrals: list[Evaluation] = []
    # E-05 asks for a screening by health staff: a self-screen informs it but does not
    # meet it.
    if result.complete and administration.mode == Mode.STAFF:
        meet_screening_duty(actor=actor, administration=administration)
    # A screen ended early refers when the answers it has already call for it (C-SSRS
    # yes answers, say); a complete one by its own flags.
    flags = (
        result.flags
        if result.complete
        else certain_flags(definition_of(administration.instrument), result.answers)
    )
    wants_evaluation = any(not flag.safety for flag in flags)
    already_open = Evaluation.objects.filter(
        booking=administration.booking,
        kind=EvaluationKind.EVALUATION,
        done_at__isnull=True,
        closed_at__isnull=True,
    ).exists()
    if wants_evaluation and not already_open:
        referrals.append(
            open_evaluation(
                actor=actor,
                booking=administration.booking,
                kind=EvaluationKind.EVALUATION,
                urgency=Urgency.ROUTINE,
                reason=EvaluationReason.SCREEN_RESULT,
                administration=administration,
            )
        )
    return Submitted(administration, result, _referrals(administration))


def _referrals(administration: Administration) -> tuple[Evaluation, ...]:
    return tuple(administration.referrals.order_by("due_at"))


def receiving_screen_positive(answers: Mapping[str, int]) -> bool:
    """Whether the yes answers given already make the receiving screen positive, even if
    it ended early."""
    flags = certain_flags(definition_of(RECEIVING_SCREEN), answers)
    return any(flag.action == "refer" for flag in flags)


@transaction.atomic
def submit_receiving_screen(
    *,
    actor: User,
    administration: Administration,
    urgency: str = "",
    discretion_reason: str = "",
    incomplete_reason: str = "",
) -> Submitted:
    """The nurse's receiving screen at booking. Positive (two or more of items 1 to 6, item 7 or
    item 8), or referred at the screener's discretion with a reason, it opens an
    evaluation with the urgency the nurse chose; current psychiatric medication (item 7)
    also opens a medication-continuity check within the facility's urgent deadline."""
    administration = _lock(administration)
    if administration.instrument != RECEIVING_SCREEN:
        raise ScreeningError("Only the receiving screen is submitted this way.")
    discretion_reason = discretion_reason.strip()
    if len(discretion_reason) > REASON_MAX_LENGTH:
        raise ScreeningError(f"Keep the reason under {REASON_MAX_LENGTH} characters.")
    if urgency and urgency not in Urgency:
        raise ScreeningError(f"{urgency!r} is not an urgency.")
    result = _finish(actor, administration, incomplete_reason)
    positive = receiving_screen_positive(result.answers)
    if (positive or discretion_reason) and not urgency:
        raise ScreeningError("Choose how soon the evaluation is needed.")
    if not (positive or discretion_reason) and urgency:
        raise ScreeningError("This screen is negative: give a reason to refer at your discretion.")
    reason = EvaluationReason.RECEIVING_SCREEN if positive else EvaluationReason.DISCRETION
    if urgency == Urgency.EMERGENT:
        _raise_emergent(actor, administration, reason=reason, discretion_reason=discretion_reason)
    elif urgency:
        open_evaluation(
            actor=actor,
            booking=administration.booking,
            kind=EvaluationKind.EVALUATION,
            urgency=urgency,
            reason=reason,
            administration=administration,
            discretion_reason=discretion_reason,
        )
    if result.answers.get(MEDICATION_ITEM) == 1:
        open_evaluation(
            actor=actor,
            booking=administration.booking,
            kind=EvaluationKind.MEDICATION_CHECK,
            urgency=Urgency.URGENT,
            reason=EvaluationReason.CURRENT_MEDICATION,
            administration=administration,
        )
    return Submitted(administration, result, _referrals(administration))
