"""What a request's state means to the resident who sent it: a pure core.

Plain values in (`KiteFacts`), plain values out (`PlainKite`): which stage the request is
at, what happens next and by when, whether that is late, and whether the resident must be
told what to do this minute. The sentences themselves are in the kiosk templates
(`templates/kiosk/requests/_state.html`), one whole sentence per value here, so that a
translator sees whole sentences; the rules that choose the sentence are here, where they
are tested.

The strings compared below are the values of the choices in `kites.models` (Status, Urgency,
Route, ClockKind); this module repeats them rather than import Django.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

_TRIAGE_CLOCK = "triage"
_EMERGENT = "emergent"
_MENTAL_HEALTH = "mental_health"
_ROUTED_ELSEWHERE = "routed_elsewhere"


class Stage(StrEnum):
    WAITING = "waiting"  # received; nobody has read it yet
    READ = "read"  # triaged for the mental-health team, not yet answered
    ANSWERED = "answered"  # the resident was seen; the outcome says what came of it
    SENT_ELSEWHERE = "sent_elsewhere"  # routed to medical, dental, custody or elsewhere
    CLOSED = "closed"  # closed without the resident being seen, for the close code's reason


class NextStep(StrEnum):
    NURSE_READS = "nurse_reads"
    SEE_MENTAL_HEALTH = "see_mental_health"
    # Read, with no deadline running (no symptom described, routine): an answer will come,
    # but promising a time that no standard sets would be a promise nobody keeps.
    MENTAL_HEALTH_ANSWERS = "mental_health_answers"
    NOTHING = "nothing"


@dataclass(frozen=True, slots=True)
class OpenClock:
    kind: str  # a ClockKind value
    due_at: datetime


@dataclass(frozen=True, slots=True)
class KiteFacts:
    status: str
    urgency: str
    route: str
    outcome: str
    close_code: str
    open_clocks: tuple[OpenClock, ...]


@dataclass(frozen=True, slots=True)
class PlainKite:
    stage: Stage
    next_step: NextStep
    # When the next step is due; None when no clock runs for it.
    due_at: datetime | None
    # The next step's deadline has passed: said plainly, never hidden (I5).
    late: bool
    # An emergent request still open: show what to do this minute before anything else (I2).
    crisis_steps: bool
    # Closed without a visit, or sent elsewhere: the resident may ask again, and is told so.
    may_ask_again: bool


def stage(facts: KiteFacts) -> Stage:
    if facts.outcome:
        return Stage.ANSWERED
    if facts.status == "closed":
        routed = facts.route not in ("", _MENTAL_HEALTH)
        if routed or facts.close_code == _ROUTED_ELSEWHERE:
            return Stage.SENT_ELSEWHERE
        return Stage.CLOSED
    if facts.status == "seen":
        return Stage.ANSWERED
    if facts.status == "triaged":
        return Stage.READ
    return Stage.WAITING


def first_due(clocks: Iterable[OpenClock]) -> OpenClock | None:
    """The open clock that falls due first: the next thing the resident can expect."""
    return min(clocks, key=lambda clock: clock.due_at, default=None)


def describe(facts: KiteFacts, now: datetime) -> PlainKite:
    current = stage(facts)
    still_open = current in (Stage.WAITING, Stage.READ)
    clock = first_due(facts.open_clocks) if still_open else None
    if not still_open:
        next_step = NextStep.NOTHING
    elif clock is None:
        next_step = NextStep.MENTAL_HEALTH_ANSWERS
    elif clock.kind == _TRIAGE_CLOCK:
        next_step = NextStep.NURSE_READS
    else:
        # Face to face, urgent or emergent: each is a deadline to be seen.
        next_step = NextStep.SEE_MENTAL_HEALTH
    due_at = None if clock is None else clock.due_at
    return PlainKite(
        stage=current,
        next_step=next_step,
        due_at=due_at,
        late=due_at is not None and now > due_at,
        crisis_steps=still_open and facts.urgency == _EMERGENT,
        may_ask_again=current in (Stage.CLOSED, Stage.SENT_ELSEWHERE),
    )
