"""Each facility's crisis phrase list: the built-in one, plus what its supervisors added."""

from dataclasses import dataclass
from typing import cast

from django.db import transaction
from django.utils import timezone

from kiteline.accounts.models import Role, User
from kiteline.audit.recording import record_event
from kiteline.facilities.models import Facility
from kiteline.kites.crisis import (
    Language,
    Phrase,
    PhraseList,
    default_phrase_list,
    extend,
    normalise,
)
from kiteline.kites.models import CrisisPhraseAddition


class PhraseError(ValueError):
    """A phrase that cannot be added, with the reason in plain words."""


def phrase_list_for(facility: Facility) -> PhraseList:
    """Version "v1" is the built-in list; "v1.north.3" adds north's first three phrases."""
    built_in = default_phrase_list()
    added = list(facility.crisis_phrase_additions.order_by("number"))
    if not added:
        return built_in
    return extend(
        built_in,
        (
            Phrase(
                id=f"{facility.code}-{row.number}",
                language=cast(Language, row.language),
                pattern=row.pattern,
            )
            for row in added
        ),
        version=f"{built_in.version}.{facility.code}.{added[-1].number}",
    )


@transaction.atomic
def add_crisis_phrase(
    *, actor: User, facility: Facility, language: str, pattern: str
) -> CrisisPhraseAddition:
    if not actor.is_staff_member or actor.role != Role.SUPERVISOR:
        raise PhraseError("Only a supervisor adds crisis phrases.")
    if not actor.facilities.filter(pk=facility.pk).exists():
        raise PhraseError(f"You are not a supervisor at {facility}.")
    if language not in ("en", "es"):
        raise PhraseError("Choose English or Spanish.")
    normal = normalise(pattern)
    if len(normal) < 4:
        raise PhraseError("Write a phrase of at least a few letters.")
    current = phrase_list_for(facility)
    if any(normal in phrase.forms for phrase in current.phrases):
        raise PhraseError("That phrase is already on the list.")
    last = facility.crisis_phrase_additions.order_by("-number").first()
    addition = CrisisPhraseAddition.objects.create(
        facility=facility,
        number=1 if last is None else last.number + 1,
        language=language,
        pattern=pattern.strip(),
        added_by=actor,
        added_at=timezone.now(),
    )
    record_event(
        actor=actor,
        action="crisis.phrase_add",
        facility=facility,
        subjects=[f"phrase:{addition.pk}"],
        detail={"version": phrase_list_for(facility).version, "language": language},
    )
    return addition


@dataclass(frozen=True)
class FacilityPhrases:
    facility: str
    version: str
    phrases: tuple[Phrase, ...]


def phrase_lists(*, actor: User) -> list[FacilityPhrases]:
    """The list in force at each of the supervisor's facilities."""
    return [
        FacilityPhrases(
            facility.name, (current := phrase_list_for(facility)).version, current.phrases
        )
        for facility in actor.facilities.order_by("name")
    ]
