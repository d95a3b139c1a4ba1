"""Writes to screenings: starting one and saving each answer as it is given.

A safety rule (PHQ-9 item 9 above 0; C-SSRS Q4 or Q5, or behaviour in the past three
months) fires on the answer's own save, in its transaction, through the kites emergent
path; nothing can switch it off, and it fires once per administration (I2).
"""

from functools import cache

from django.db import transaction
from django.utils import timezone

from kiteline.accounts.models import HEALTH_ROLES, User
from kiteline.audit.recording import record_event
from kiteline.facilities.models import Booking, Person
from kiteline.kites.services import receive_screening_safety_item
from kiteline.screening.definitions import Definition, load_all
from kiteline.screening.models import Administration, Answer
from kiteline.screening.scoring import AnswerError, ScoreResult, score


class ScreeningError(ValueError):
    """A screening change that cannot be made, with the reason in plain words."""


@cache
def instruments() -> dict[str, Definition]:
    """The shipped definitions, loaded and checked once per process."""
    return load_all()


def _definition(key: str) -> Definition:
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


@transaction.atomic
def start_administration(
    *, actor: User, person: Person, instrument: str, language: str = "en"
) -> Administration:
    if not actor.is_staff_member or actor.role not in HEALTH_ROLES:
        raise ScreeningError("Only health staff start a screening.")
    definition = _definition(instrument)
    if language not in definition.languages:
        raise ScreeningError(f"{instrument} has no {language} version.")
    booking = (
        Booking.objects.select_related("facility")
        .filter(person=person, released_at__isnull=True, facility__in=actor.facilities.all())
        .first()
    )
    if booking is None:
        raise ScreeningError(f"Resident {person.resident_number} is not held at your facilities.")
    administration = Administration.objects.create(
        person=person,
        booking=booking,
        facility=booking.facility,
        instrument=instrument,
        language=language,
        started_by=actor,
        started_at=timezone.now(),
    )
    _audit("screening.start", actor=actor, administration=administration)
    return administration


@transaction.atomic
def record_answer(
    *, actor: User, administration: Administration, item: str, value: int
) -> ScoreResult:
    """Save one answer; a safety flag raises the emergent item at once, before any submit."""
    administration = Administration.objects.select_for_update().get(pk=administration.pk)
    if administration.submitted_at is not None:
        raise ScreeningError("This screening was already submitted.")
    if actor.pk != administration.started_by_id and actor.person_id != administration.person_id:
        raise ScreeningError("Only the person giving the screening, or its resident, answers it.")
    definition = _definition(administration.instrument)
    given = dict(administration.answers.values_list("item", "value"))
    try:
        result = score(definition, {**given, item: value}, administration.language)
    except AnswerError as error:
        raise ScreeningError(str(error)) from error
    now = timezone.now()
    Answer.objects.update_or_create(
        administration=administration,
        item=item,
        defaults={"value": value, "answered_at": now, "answered_by": actor},
    )
    _audit("screening.answer", actor=actor, administration=administration, fields=[item])
    if result.safety_flags and administration.safety_kite is None:
        administration.safety_kite = receive_screening_safety_item(
            actor=actor, person=administration.person, answered_at=now
        )
        administration.save(update_fields=["safety_kite"])
        _audit(
            "screening.safety",
            actor=actor,
            administration=administration,
            kite=administration.safety_kite.pk,
        )
    return result
