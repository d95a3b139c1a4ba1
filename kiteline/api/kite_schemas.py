"""The kites API's schemas, each the JSON form of a kite selector's record.

Custody receives none of them: every kite route refuses custody (I6), so no kite field is
on the custody allow-list. Choices come as the pages show them (labels in the caller's
language) and times in the facility's own time zone, as the selectors give them.
"""

from datetime import datetime

from ninja import Field, Schema

from kiteline.kites.resident_selectors import ResidentKite
from kiteline.kites.selectors import KiteDetail
from kiteline.kites.services import TEXT_MAX_LENGTH


class KiteIn(Schema):
    """A resident sends `topic` (a code such as `therapy`) and `text` only. Staff entering a
    request received another way also say whose it is, how it came (`channel`) and, for a
    late entry, when it was received and why it is entered late."""

    topic: str
    text: str = Field("", max_length=TEXT_MAX_LENGTH)
    resident_number: str | None = None
    channel: str | None = None
    received_at: datetime | None = None
    backdate_reason: str = Field("", max_length=300)


class KiteReceiptOut(Schema):
    """What POST answers, the same for a retry: the kite's number and how it stands."""

    number: str
    resident_number: str
    channel: str
    topic: str
    status: str
    emergent: bool
    received_at: datetime


class ClockOut(Schema):
    kind: str
    due_at: datetime
    met_at: datetime | None
    status: str
    due_soon: bool
    breached: bool


class KiteRowOut(Schema):
    """A line of the triage queue (`kiteline.kites.selectors.QueueRow`)."""

    number: str
    resident_number: str
    name: str
    facility: str
    channel: str
    topic: str
    urgency: str
    emergent: bool
    status: str
    received_at: datetime
    open_clocks: list[ClockOut]
    breached: bool
    due_soon: bool


class KitePageOut(Schema):
    rows: list[KiteRowOut]
    number: int
    num_pages: int
    total: int


class KiteRefOut(Schema):
    number: str
    received_at: datetime
    topic: str


class SignalOut(Schema):
    from_topic: bool
    words: str
    phrase_id: str
    detected_at: datetime
    false_alarm_at: datetime | None
    false_alarm_by: str
    false_alarm_reason: str


class AlertOut(Schema):
    level: str
    recipient: str
    created_at: datetime
    ack_due_at: datetime
    acknowledged_at: datetime | None
    acknowledged_by: str


class WatchOut(Schema):
    level: str
    check_minutes: int
    set_at: datetime
    set_by: str


class KiteOut(Schema):
    """One kite as health staff see it on its page (`kiteline.kites.selectors.KiteDetail`)."""

    number: str
    facility: str
    standard: str
    resident_number: str
    name: str
    booking_number: str
    housing_unit: str | None
    channel: str
    topic: str
    text: str
    received_at: datetime
    entered_at: datetime
    entered_by: str
    backdate_reason: str
    urgency: str
    emergent: bool
    status: str
    awaiting_triage: bool
    is_open: bool
    triaged_at: datetime | None
    triaged_by: str
    symptom_described: bool | None
    route: str
    route_reason: str
    seen_at: datetime | None
    seen_by: str
    contact_place: str
    contact_note: str
    outcome: str
    closed_at: datetime | None
    close_code: str
    linked_to: KiteRefOut | None
    clocks: list[ClockOut]
    signals: list[SignalOut]
    alerts: list[AlertOut]
    other_kites: list[KiteRefOut]
    watch: WatchOut | None

    @staticmethod
    def resolve_text(detail: KiteDetail) -> str:
        # The page cuts the words into pieces to highlight crisis words; `signals` say
        # which words matched.
        return "".join(piece.text for piece in detail.text)


class ResidentKiteOut(Schema):
    """One of a resident's own requests as their list at the kiosk shows it: the fields of
    `resident_selectors.LIST_FIELDS`, without their words, and what it means for them."""

    number: str
    topic: str
    received_at: datetime
    status: str
    urgency: str
    route: str
    route_reason: str
    seen_at: datetime | None
    outcome: str
    close_code: str
    stage: str
    next_step: str
    due_at: datetime | None
    late: bool
    crisis_steps: bool
    may_ask_again: bool

    @classmethod
    def of(cls, item: ResidentKite) -> "ResidentKiteOut":
        kite = item.kite
        return cls(
            number=kite.number,
            topic=kite.topic,
            received_at=kite.received_at,
            status=kite.status,
            urgency=kite.urgency,
            route=kite.route,
            route_reason=kite.route_reason,
            seen_at=kite.seen_at,
            outcome=kite.outcome,
            close_code=kite.close_code,
            stage=item.plain.stage,
            next_step=item.plain.next_step,
            due_at=item.plain.due_at,
            late=item.plain.late,
            crisis_steps=item.plain.crisis_steps,
            may_ask_again=item.plain.may_ask_again,
        )


class ResidentKitesOut(Schema):
    rows: list[ResidentKiteOut]


class ErrorOut(Schema):
    detail: str
