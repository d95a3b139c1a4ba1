"""The screening API's schemas, each the JSON form of a screening selector's record.

Custody receives none of them: every screening route refuses custody (I6)."""

from datetime import datetime

from ninja import Field, Schema

from kiteline.screening.services import REASON_MAX_LENGTH


class InstrumentOut(Schema):
    key: str
    name: str
    version: int
    languages: dict[str, bool]  # language code → validated
    items: int
    self_screen: bool


class StartIn(Schema):
    resident_number: str
    instrument: str
    language: str = "en"
    interpreter: bool = False


class AssignIn(Schema):
    resident_number: str
    instrument: str


class AnswerIn(Schema):
    item: str
    value: int


class SubmitIn(Schema):
    incomplete_reason: str = Field("", max_length=REASON_MAX_LENGTH)
    # The receiving screen only: the referral decision.
    urgency: str = ""
    discretion_reason: str = Field("", max_length=REASON_MAX_LENGTH)


class QuestionOut(Schema):
    id: str
    number: int
    text: str
    options: list[tuple[int, str]]
    answer: int | None


class ScreenOut(Schema):
    administration_id: int
    instrument: str
    name: str
    language: str
    validated_language: bool
    mode: str
    resident_number: str
    questions: list[QuestionOut]
    missing: list[str]
    submitted: bool
    safety_raised: bool


class AnswerOut(Schema):
    """After each answer: what is still missing, and whether a safety rule fired (I2)."""

    missing: list[str]
    safety: bool


class ReferralOut(Schema):
    evaluation_id: int
    kind: str
    urgency: str
    due_at: datetime


class SubmittedOut(Schema):
    administration_id: int
    complete: bool
    total: int | None
    band: str | None
    flags: list[str]
    validated_language: bool
    referrals: list[ReferralOut]


class EvaluationOut(Schema):
    evaluation_id: int
    resident_number: str
    name: str
    facility: str
    kind: str
    urgency: str
    reason_label: str
    safety: bool
    due_at: datetime
    done_at: datetime | None
    state: str
    breached: bool


class AnsweredItemOut(Schema):
    number: int
    text: str
    value: int
    label: str


class PastScreenOut(Schema):
    administration_id: int
    name: str
    booking_number: str
    facility: str
    started_at: datetime
    submitted_at: datetime | None
    given_by: str
    mode: str
    language: str
    validated_language: bool
    interpreter: bool
    complete: bool | None
    total: int | None
    band: str
    flags: list[str]
    incomplete_reason: str
    safety_raised: bool
    items: list[AnsweredItemOut]


class HistoryOut(Schema):
    resident_number: str
    name: str
    screens: list[PastScreenOut]
