"""What a care decision means to the resident it is about: a pure core.

Plain values in (`DecisionFacts`), plain values out (`PlainDecision`): the answer as it
stands now (an appeal granted turns a "no" into a "yes"), where the appeal is, whether the
resident may appeal now and until when, and whether an appeal's answer is late. The
sentences are in the kiosk templates (`templates/kiosk/decisions/`), one whole sentence per
value here, so that a translator sees whole sentences; the rules that choose them are here.

The texts of a decision (its reasons, what is offered instead) are stored as
``{"en": ..., "es": ...}``; `in_language` picks the resident's, or English when the record
has none in it.

The strings compared below are the values of the choices in `care.models` (Outcome,
AppealOutcome); this module repeats them rather than import Django.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

_ELIGIBLE = "eligible"
_NOT_ELIGIBLE = "not_eligible"
_OVERTURNED = "overturned"
_UPHELD = "upheld"
FALLBACK_LANGUAGE = "en"


class Answer(StrEnum):
    YES = "yes"
    NO = "no"
    # Not signed off by a clinician yet: no outcome is shown, only that one is coming.
    PENDING = "pending"


class AppealStage(StrEnum):
    NOT_NEEDED = "not_needed"  # the answer is yes, or there is no answer yet
    OPEN = "open"  # a "no" the resident may appeal now
    CLOSED = "closed"  # a "no" whose time to appeal has passed, with no appeal
    WAITING = "waiting"  # appealed; a reviewer has not answered
    GRANTED = "granted"  # the reviewer overturned the decision
    NOT_GRANTED = "not_granted"  # the reviewer upheld it


@dataclass(frozen=True, slots=True)
class AppealFacts:
    due_at: datetime
    outcome: str  # an AppealOutcome value, or "" while undecided


@dataclass(frozen=True, slots=True)
class DecisionFacts:
    outcome: str  # an Outcome value once signed off, "" before
    appeal_by: datetime | None
    appeal: AppealFacts | None


@dataclass(frozen=True, slots=True)
class PlainDecision:
    answer: Answer
    appeal: AppealStage
    # When the resident can appeal until; None when there is nothing to appeal.
    appeal_by: datetime | None
    # An appeal's deadline has passed without an answer: said plainly, never hidden (I5).
    late: bool

    @property
    def may_appeal(self) -> bool:
        return self.appeal is AppealStage.OPEN

    @property
    def was_no(self) -> bool:
        """The decision itself said no: the page says what is offered instead (while the
        answer stays no), how to appeal, and that an appeal is not a grievance."""
        return self.appeal is not AppealStage.NOT_NEEDED


def _appeal_stage(facts: DecisionFacts, now: datetime) -> AppealStage:
    if facts.outcome != _NOT_ELIGIBLE:
        return AppealStage.NOT_NEEDED
    if facts.appeal is not None:
        if facts.appeal.outcome == _OVERTURNED:
            return AppealStage.GRANTED
        if facts.appeal.outcome == _UPHELD:
            return AppealStage.NOT_GRANTED
        return AppealStage.WAITING
    # The same test as the appeal service: the last moment to appeal is still in time.
    if facts.appeal_by is not None and now > facts.appeal_by:
        return AppealStage.CLOSED
    return AppealStage.OPEN


def describe(facts: DecisionFacts, now: datetime) -> PlainDecision:
    stage = _appeal_stage(facts, now)
    if not facts.outcome:
        answer = Answer.PENDING
    elif facts.outcome == _ELIGIBLE or stage is AppealStage.GRANTED:
        answer = Answer.YES
    else:
        answer = Answer.NO
    appeal = facts.appeal
    return PlainDecision(
        answer=answer,
        appeal=stage,
        appeal_by=facts.appeal_by if stage is AppealStage.OPEN else None,
        late=stage is AppealStage.WAITING and appeal is not None and now > appeal.due_at,
    )


def in_language(text: object, language: str) -> str:
    """A stored ``{"en": ..., "es": ...}`` text in `language` ("es-MX" reads "es"), else
    in English; "" when it holds neither."""
    if not isinstance(text, Mapping):
        return ""
    for code in (language, language.split("-")[0].lower(), FALLBACK_LANGUAGE):
        chosen = text.get(code)
        if isinstance(chosen, str) and chosen:
            return chosen
    return ""


def texts_in(texts: object, language: str) -> tuple[str, ...]:
    """Each of a stored list of texts in `language`, skipping any that is empty."""
    if not isinstance(texts, Sequence) or isinstance(texts, str):
        return ()
    chosen = (in_language(text, language) for text in texts)
    return tuple(text for text in chosen if text)


def reasons_in(record: object, language: str) -> tuple[str, ...]:
    """The reasons of an engine record (``record["reasons"][i]["text"]``) in `language`.
    Each already carries its evidence ("PHQ-9 total 8 on 2030-01-14; at least 15 needed")."""
    reasons = record.get("reasons") if isinstance(record, Mapping) else None
    if not isinstance(reasons, Sequence) or isinstance(reasons, str):
        return ()
    texts = [reason.get("text") for reason in reasons if isinstance(reason, Mapping)]
    return texts_in(texts, language)
