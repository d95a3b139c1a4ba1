"""Reads of kites for the staff pages, already scoped to what the actor may see.

Health staff (nurse, clinician, supervisor) see the kites of their facilities; custody see
no kite at all, only the safety notices of `notice_selectors`, built from allow-listed
fields and never from a kite (I6). Every read of clinical content records one audit event
listing the records it showed (I7). Times come back in the facility's own time zone.
"""

from collections.abc import Iterable
from dataclasses import dataclass, fields
from datetime import datetime
from zoneinfo import ZoneInfo

from django.core.paginator import Paginator
from django.db.models import Case, F, OuterRef, Prefetch, Q, QuerySet, Subquery, Value, When
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _

from kiteline.accounts.models import HEALTH_ROLES, Role, User
from kiteline.audit.recording import record_read
from kiteline.facilities.models import Booking, Person
from kiteline.facilities.selectors import read_chain
from kiteline.kites.clocks import ClockStatus, clock_state
from kiteline.kites.models import (
    Alert,
    Breach,
    Clock,
    CrisisSignal,
    FacilityStandard,
    Kite,
    Status,
    Urgency,
    WatchStatus,
)
from kiteline.kites.services import SUPERVISOR_LEVEL
from kiteline.kites.standards import clock_standard
from kiteline.kites.sweep import WARN_BEFORE
from kiteline.kites.watch import WatchLevel

QUEUE_PAGE_SIZE = 25
ALERT_LEVELS = {0: _("On call"), 1: _("Backup"), 2: _("Supervisors")}
CONTACT_PLACE_LABELS = {
    "confidential_room": _("Confidential room"),
    "cell_front": _("Cell front"),
    "clinic": _("Clinic"),
    "telehealth": _("Telehealth"),
}
STANDARD_LABELS = {
    "triage_hours": _("Triage within (hours)"),
    "face_to_face_hours": _("Face to face within (hours)"),
    "face_to_face_weekend_hours": _("Face to face over a weekend or holiday (hours)"),
    "urgent_hours": _("Urgent response within (hours)"),
    "emergent_minutes": _("Emergent response within (minutes)"),
    "alert_ack_minutes": _("Alert acknowledged within (minutes)"),
}


def local_time(moment: datetime, zone: str) -> datetime:
    return moment.astimezone(ZoneInfo(zone))


def local_time_or_none(moment: datetime | None, zone: str) -> datetime | None:
    return None if moment is None else local_time(moment, zone)


def display_name(person: Person) -> str:
    return f"{person.family_name}, {person.given_name}"


def watch_level_label(value: str) -> str:
    return str(WatchLevel(value).label) if value in WatchLevel.values else value


def staff_name(user: User | None) -> str:
    return "" if user is None else user.get_full_name() or user.username


def kites_in_scope(actor: User) -> QuerySet[Kite]:
    """The kites of the actor's facilities; none at all for a role outside health care."""
    if not actor.is_staff_member or actor.role not in HEALTH_ROLES:
        return Kite.objects.none()
    return Kite.objects.filter(facility__in=actor.facilities.all())


@dataclass(frozen=True)
class ClockView:
    kind: str
    due_at: datetime
    met_at: datetime | None
    status: ClockStatus

    @property
    def is_open(self) -> bool:
        return self.met_at is None

    @property
    def due_soon(self) -> bool:
        return self.status == ClockStatus.DUE_SOON

    @property
    def breached(self) -> bool:
        """Passed unmet, or met late: a breach stays shown after the kite is answered (I5)."""
        return self.status in (ClockStatus.BREACHED, ClockStatus.MET_LATE)

    @property
    def met_on_time(self) -> bool:
        return self.status == ClockStatus.MET_ON_TIME

    @property
    def met_late(self) -> bool:
        return self.status == ClockStatus.MET_LATE


def clock_view(clock: Clock, now: datetime, zone: str) -> ClockView:
    """How a clock stands; fetch clocks with `select_related("breach")`."""
    status = clock_state(clock.due_at, clock.met_at, now, WARN_BEFORE).status
    # A recorded breach stands even when a later entry says the deadline was met (I5).
    if status == ClockStatus.MET_ON_TIME and _has_breach(clock):
        status = ClockStatus.MET_LATE
    return ClockView(
        kind=clock.get_kind_display(),
        due_at=local_time(clock.due_at, zone),
        met_at=local_time_or_none(clock.met_at, zone),
        status=status,
    )


def _has_breach(clock: Clock) -> bool:
    try:
        return clock.breach is not None
    except Breach.DoesNotExist:
        return False


# ---- The triage queue ------------------------------------------------------------------


@dataclass(frozen=True)
class QueueRow:
    kite_id: int
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
    open_clocks: tuple[ClockView, ...]
    breached: bool

    @property
    def due_soon(self) -> bool:
        return any(clock.due_soon for clock in self.open_clocks)


@dataclass(frozen=True)
class QueuePage:
    rows: list[QueueRow]
    number: int
    num_pages: int
    total: int
    now: datetime

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.num_pages


def _open_kites_by_urgency(actor: User) -> QuerySet[Kite]:
    """Open kites, emergent first, then urgent, then the rest; within each, the nearest
    unmet deadline first."""
    next_due = Clock.objects.filter(kite=OuterRef("pk"), met_at__isnull=True).order_by("due_at")
    return (
        kites_in_scope(actor)
        .exclude(status=Status.CLOSED)
        .annotate(
            urgency_rank=Case(
                When(urgency=Urgency.EMERGENT, then=Value(0)),
                When(urgency=Urgency.URGENT, then=Value(1)),
                default=Value(2),
            ),
            next_due=Subquery(next_due.values("due_at")[:1]),
        )
        .order_by("urgency_rank", F("next_due").asc(nulls_last=True), "received_at", "pk")
    )


def triage_queue(*, actor: User, now: datetime, page_number: str | int = 1) -> QueuePage:
    """One page of the open kites; the same few queries however long the queue is."""
    kites = _open_kites_by_urgency(actor).select_related("person", "facility")
    kites = kites.prefetch_related(
        Prefetch("clocks", Clock.objects.select_related("breach").order_by("due_at", "pk"))
    )
    paginator = Paginator(kites, QUEUE_PAGE_SIZE)
    page = paginator.get_page(page_number)
    shown: list[Kite] = list(page.object_list)
    rows = []
    for kite in shown:
        zone = kite.facility.time_zone
        views = [clock_view(clock, now, zone) for clock in kite.clocks.all()]
        rows.append(
            QueueRow(
                kite_id=kite.pk,
                number=kite.number,
                resident_number=kite.person.resident_number,
                name=display_name(kite.person),
                facility=kite.facility.name,
                channel=kite.get_channel_display(),
                topic=kite.get_topic_display(),
                urgency=kite.get_urgency_display(),
                emergent=kite.urgency == Urgency.EMERGENT,
                status=kite.get_status_display(),
                received_at=local_time(kite.received_at, zone),
                open_clocks=tuple(view for view in views if view.is_open),
                breached=any(view.breached for view in views),
            )
        )
    record_read(
        actor=actor,
        action="kite_queue.read",
        facility=read_chain(actor, {kite.facility_id for kite in shown}),
        records=[f"kite:{kite.pk}" for kite in shown],
        fields=[field.name for field in fields(QueueRow)],
    )
    return QueuePage(
        rows=rows, number=page.number, num_pages=paginator.num_pages, total=paginator.count, now=now
    )


# ---- One kite --------------------------------------------------------------------------


@dataclass(frozen=True)
class TextPiece:
    text: str
    matched: bool


def highlight(text: str, spans: Iterable[tuple[int, int]]) -> tuple[TextPiece, ...]:
    """The text cut into pieces, the matched spans marked; overlapping spans merge."""
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        start, end = max(0, start), min(len(text), end)
        if start >= end:
            continue
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    pieces, at = [], 0
    for start, end in merged:
        if at < start:
            pieces.append(TextPiece(text[at:start], matched=False))
        pieces.append(TextPiece(text[start:end], matched=True))
        at = end
    if at < len(text):
        pieces.append(TextPiece(text[at:], matched=False))
    return tuple(pieces)


@dataclass(frozen=True)
class SignalView:
    signal_id: int
    from_topic: bool
    words: str
    phrase_id: str
    detected_at: datetime
    false_alarm_at: datetime | None
    false_alarm_by: str
    false_alarm_reason: str


@dataclass(frozen=True)
class AlertView:
    alert_id: int
    level: str
    recipient: str
    created_at: datetime
    ack_due_at: datetime
    acknowledged_at: datetime | None
    acknowledged_by: str


@dataclass(frozen=True)
class KiteRef:
    kite_id: int
    number: str
    received_at: datetime
    topic: str


@dataclass(frozen=True)
class WatchView:
    watch_id: int
    level: str
    check_minutes: int
    set_at: datetime
    set_by: str


@dataclass(frozen=True)
class KiteDetail:
    kite_id: int
    number: str
    facility: str
    time_zone: str
    standard: str
    resident_number: str
    name: str
    booking_number: str
    housing_unit: str | None
    channel: str
    topic: str
    text: tuple[TextPiece, ...]
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
    contact_late_reason: str
    outcome: str
    closed_at: datetime | None
    close_code: str
    linked_to: KiteRef | None
    clocks: tuple[ClockView, ...]
    signals: tuple[SignalView, ...]
    alerts: tuple[AlertView, ...]
    other_kites: tuple[KiteRef, ...]
    watch: WatchView | None
    now: datetime


def _kite_ref(kite: Kite, zone: str) -> KiteRef:
    return KiteRef(
        kite_id=kite.pk,
        number=kite.number,
        received_at=local_time(kite.received_at, zone),
        topic=kite.get_topic_display(),
    )


def _signal_view(signal: CrisisSignal, text: str, zone: str) -> SignalView:
    spanned = signal.start is not None and signal.end is not None
    return SignalView(
        signal_id=signal.pk,
        from_topic=signal.source == "topic",
        words=text[signal.start : signal.end] if spanned else "",
        phrase_id=signal.phrase_id,
        detected_at=local_time(signal.detected_at, zone),
        false_alarm_at=local_time_or_none(signal.false_alarm_at, zone),
        false_alarm_by=staff_name(signal.false_alarm_by),
        false_alarm_reason=signal.false_alarm_reason,
    )


def _alert_view(alert: Alert, zone: str) -> AlertView:
    return AlertView(
        alert_id=alert.pk,
        level=str(ALERT_LEVELS.get(alert.level, alert.level)),
        recipient=staff_name(alert.recipient),
        created_at=local_time(alert.created_at, zone),
        ack_due_at=local_time(alert.ack_due_at, zone),
        acknowledged_at=local_time_or_none(alert.acknowledged_at, zone),
        acknowledged_by=staff_name(alert.acknowledged_by),
    )


def _open_watch(person: Person, zone: str) -> WatchView | None:
    watch = (
        WatchStatus.objects.filter(
            booking__person=person, booking__released_at__isnull=True, cleared_at__isnull=True
        )
        .select_related("set_by")
        .first()
    )
    if watch is None:
        return None
    return WatchView(
        watch_id=watch.pk,
        level=watch_level_label(watch.level),
        check_minutes=watch.check_minutes,
        set_at=local_time(watch.set_at, zone),
        set_by=staff_name(watch.set_by),
    )


def _standard_label(standard: FacilityStandard | None) -> str:
    if standard is None:
        return str(_("NCCHC E-07 defaults"))
    return str(_("version %(version)s") % {"version": standard.version})


def kite_page(*, actor: User, kite_id: int, now: datetime) -> KiteDetail:
    """One kite with everything a health professional needs to act on it; the resident's
    words are clinical content, so showing them is recorded as a read (I7)."""
    kite = get_object_or_404(
        kites_in_scope(actor).select_related(
            "person",
            "booking",
            "facility",
            "standard",
            "entered_by",
            "triaged_by",
            "seen_by",
            "linked_to",
        ),
        pk=kite_id,
    )
    zone = kite.facility.time_zone
    signals = kite.crisis_signals.select_related("false_alarm_by").order_by("detected_at", "pk")
    alerts = kite.alerts.select_related("recipient", "acknowledged_by").order_by("created_at")
    others = (
        kites_in_scope(actor)
        .filter(person=kite.person)
        .exclude(pk=kite.pk)
        .order_by("-received_at")
    )
    placement = (
        kite.booking.placements.filter(ended_at__isnull=True).select_related("housing_unit").first()
    )
    spans = [(s.start, s.end) for s in signals if s.start is not None and s.end is not None]
    detail = KiteDetail(
        kite_id=kite.pk,
        number=kite.number,
        facility=kite.facility.name,
        time_zone=zone,
        standard=_standard_label(kite.standard),
        resident_number=kite.person.resident_number,
        name=display_name(kite.person),
        booking_number=kite.booking.booking_number,
        housing_unit=None if placement is None else placement.housing_unit.name,
        channel=kite.get_channel_display(),
        topic=kite.get_topic_display(),
        text=highlight(kite.text, spans),
        received_at=local_time(kite.received_at, zone),
        entered_at=local_time(kite.entered_at, zone),
        entered_by=staff_name(kite.entered_by),
        backdate_reason=kite.backdate_reason,
        urgency=kite.get_urgency_display(),
        emergent=kite.urgency == Urgency.EMERGENT,
        status=kite.get_status_display(),
        awaiting_triage=kite.status == Status.RECEIVED,
        is_open=kite.status != Status.CLOSED,
        triaged_at=local_time_or_none(kite.triaged_at, zone),
        triaged_by=staff_name(kite.triaged_by),
        symptom_described=kite.symptom_described,
        route=kite.get_route_display(),
        route_reason=kite.route_reason,
        seen_at=local_time_or_none(kite.seen_at, zone),
        seen_by=staff_name(kite.seen_by),
        contact_place=str(CONTACT_PLACE_LABELS.get(kite.contact_place, kite.contact_place)),
        contact_note=kite.contact_note,
        contact_late_reason=kite.contact_late_reason,
        outcome=kite.get_outcome_display(),
        closed_at=local_time_or_none(kite.closed_at, zone),
        close_code=kite.get_close_code_display(),
        linked_to=None if kite.linked_to is None else _kite_ref(kite.linked_to, zone),
        clocks=tuple(
            clock_view(clock, now, zone)
            for clock in kite.clocks.select_related("breach").order_by("due_at")
        ),
        signals=tuple(_signal_view(signal, kite.text, zone) for signal in signals),
        alerts=tuple(_alert_view(alert, zone) for alert in alerts),
        other_kites=tuple(_kite_ref(other, zone) for other in others),
        watch=_open_watch(kite.person, zone),
        now=local_time(now, zone),
    )
    record_read(
        actor=actor,
        action="kite.read",
        facility=kite.facility,
        person=kite.person,
        records=[f"kite:{kite.pk}", *(f"kite:{other.kite_id}" for other in detail.other_kites)],
        fields=[field.name for field in fields(KiteDetail)],
    )
    return detail


def kite_for_action(*, actor: User, kite_id: int) -> Kite:
    """The kite a POST acts on: 404 outside the actor's scope; the service checks the rest."""
    return get_object_or_404(kites_in_scope(actor), pk=kite_id)


def signal_for_action(*, actor: User, signal_id: int) -> CrisisSignal:
    return get_object_or_404(
        CrisisSignal.objects.filter(kite__in=kites_in_scope(actor)), pk=signal_id
    )


def alert_for_action(*, actor: User, alert_id: int) -> Alert:
    return get_object_or_404(Alert.objects.filter(kite__in=kites_in_scope(actor)), pk=alert_id)


# ---- Entering a kite, and its receipt --------------------------------------------------


@dataclass(frozen=True)
class EntryResident:
    person: Person
    time_zone: str


def resident_for_entry(*, actor: User, resident_number: str) -> EntryResident | None:
    """A person in custody now at one of the actor's facilities, by their number."""
    booking = (
        Booking.objects.filter(
            person__resident_number=resident_number.strip().upper(),
            released_at__isnull=True,
            facility__in=actor.facilities.all(),
        )
        .select_related("person", "facility")
        .first()
    )
    if booking is None or actor.role not in HEALTH_ROLES:
        return None
    return EntryResident(person=booking.person, time_zone=booking.facility.time_zone)


@dataclass(frozen=True)
class ReceiptSlip:
    number: str
    received_at: datetime
    resident_number: str
    name: str
    language: str
    emergent: bool
    triage_hours: int
    face_to_face_hours: int
    face_to_face_weekend_hours: int


def kite_receipt(*, actor: User, kite_id: int) -> ReceiptSlip:
    kite = get_object_or_404(
        kites_in_scope(actor).select_related("person", "facility", "standard"), pk=kite_id
    )
    rules = clock_standard(kite.facility, kite.standard)
    record_read(
        actor=actor,
        action="kite_receipt.read",
        facility=kite.facility,
        person=kite.person,
        records=[f"kite:{kite.pk}"],
        fields=[field.name for field in fields(ReceiptSlip)],
    )
    return ReceiptSlip(
        number=kite.number,
        received_at=local_time(kite.received_at, kite.facility.time_zone),
        resident_number=kite.person.resident_number,
        name=display_name(kite.person),
        language=kite.person.language,
        emergent=kite.urgency == Urgency.EMERGENT,
        triage_hours=rules.triage_hours,
        face_to_face_hours=rules.face_to_face_hours,
        face_to_face_weekend_hours=rules.face_to_face_weekend_hours,
    )


# ---- Alerts ----------------------------------------------------------------------------


@dataclass(frozen=True)
class AlertRow:
    alert_id: int
    kite_id: int
    number: str
    resident_number: str
    name: str
    facility: str
    level: str
    created_at: datetime
    ack_due_at: datetime
    overdue: bool


def my_alerts(*, actor: User, now: datetime) -> list[AlertRow]:
    """Unacknowledged alerts addressed to the actor, or to the group the actor belongs to
    at that facility: the supervisors. One row per kite: acknowledging one acknowledges all.
    """
    mine = Q(recipient=actor)
    if actor.role == Role.SUPERVISOR:
        mine |= Q(recipient__isnull=True, level=SUPERVISOR_LEVEL)
    alerts = (
        Alert.objects.filter(mine, kite__in=kites_in_scope(actor), acknowledged_at__isnull=True)
        .select_related("kite__person", "facility")
        .order_by("-created_at", "-pk")
    )
    latest: dict[int, Alert] = {}
    for alert in alerts:
        latest.setdefault(alert.kite_id, alert)
    rows = []
    for alert in sorted(latest.values(), key=lambda a: (a.ack_due_at, a.pk)):
        zone = alert.facility.time_zone
        rows.append(
            AlertRow(
                alert_id=alert.pk,
                kite_id=alert.kite_id,
                number=alert.kite.number,
                resident_number=alert.kite.person.resident_number,
                name=display_name(alert.kite.person),
                facility=alert.facility.name,
                level=str(ALERT_LEVELS.get(alert.level, alert.level)),
                created_at=local_time(alert.created_at, zone),
                ack_due_at=local_time(alert.ack_due_at, zone),
                overdue=alert.ack_due_at < now,
            )
        )
    record_read(
        actor=actor,
        action="alerts.read",
        facility=read_chain(actor, {alert.facility_id for alert in latest.values()}),
        records=[f"alert:{row.alert_id}" for row in rows],
        fields=[field.name for field in fields(AlertRow)],
    )
    return rows
