"""Every write to kites: receiving, triage, contact, closing, alerts and crisis signals.

A kite is durably committed before its receipt is shown (I1); a crisis signal writes the
emergent item, its alert and custody's welfare-check notice in the same transaction (I2);
clocks count from receipt and a breach, once recorded, stays (I5); every write records its
audit event in the same transaction, with identifiers only (I7).
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from kiteline.accounts.models import HEALTH_ROLES, Role, User
from kiteline.audit.recording import record_event
from kiteline.facilities.models import Booking, Person
from kiteline.kites import clocks
from kiteline.kites.clocks import NCCHC_DEFAULTS
from kiteline.kites.crisis import match as crisis_matches
from kiteline.kites.models import (
    Alert,
    Breach,
    Channel,
    Clock,
    ClockKind,
    CloseCode,
    CrisisSignal,
    Kite,
    Outcome,
    Route,
    Status,
    Topic,
    Urgency,
    WelfareCheck,
)
from kiteline.kites.phrases import phrase_list_for
from kiteline.kites.signals import kite_seen
from kiteline.kites.standards import (
    clock_standard,
    current_standard,
    on_call_now,
)

# A paper kite is usually entered a little after it was handed over; only an entry older
# than this needs a reason.
BACKDATE_GRACE = timedelta(minutes=15)
CLOCK_SKEW = timedelta(minutes=5)
CLINICIANS = frozenset({Role.CLINICIAN})


# The longest request the kiosk and the API take: long enough for anything typed at a
# kiosk, since words refused for length could be a crisis.
TEXT_MAX_LENGTH = 10_000

# How staff may say a request reached them; the kiosk and screening channels are the
# system's own.
STAFF_CHANNELS = frozenset(Channel) - {Channel.KIOSK, Channel.SCREENING}

# Who an alert is for: the clinician on call, their backup, then the facility's supervisors.
ON_CALL_LEVEL, BACKUP_LEVEL, SUPERVISOR_LEVEL = 0, 1, 2


def alert_window(kite: Kite) -> timedelta:
    """How long each level has to acknowledge the kite's alert before it escalates."""
    minutes = (
        kite.standard.alert_ack_minutes
        if kite.standard is not None
        else NCCHC_DEFAULTS["alert_ack_minutes"]
    )
    return timedelta(minutes=minutes)


class KiteError(ValueError):
    """A kite change that cannot be made, with the reason in plain words."""


class KeyReused(KiteError):
    """An idempotency key already used for a different request of the same person."""


@dataclass(frozen=True)
class Receipt:
    kite: Kite
    # False when an idempotency key found the kite already received: nothing new was made.
    created: bool


def _audit(action: str, *, actor: User | None, kite: Kite, **detail: object) -> None:
    """Detail names fields and records, never their values: an urgency, a topic or an
    outcome is clinical, and the audit log keeps what it is given forever (I7)."""
    record_event(
        actor=actor,
        action=action,
        facility=kite.facility,
        person=kite.person,
        subjects=[f"kite:{kite.pk}"],
        detail=detail or None,
    )


def _open_booking(person: Person) -> Booking:
    booking = (
        Booking.objects.select_related("facility")
        .filter(person=person, released_at__isnull=True)
        .first()
    )
    if booking is None:
        raise KiteError(f"Resident {person.resident_number} is not in custody now.")
    return booking


@transaction.atomic
def submit_kite(*, actor: User, topic: str, text: str = "", idempotency_key: str = "") -> Receipt:
    """A resident's own request, from the kiosk or the API.

    The same idempotency key from the same resident returns the kite already received:
    a double click, a resubmitted form or a network retry never makes a second one.
    """
    if not actor.is_resident or actor.person is None:
        raise KiteError("Only a resident can send their own request.")
    if not topic and text.strip():
        # Words without a topic are still a request: they may be the only way someone
        # who cannot find the right button says they are in danger (I2).
        topic = Topic.OTHER
    if topic not in Topic.values:
        raise KiteError("Choose what the request is about.")
    person = actor.person
    return _receive_once(
        person=person,
        idempotency_key=idempotency_key,
        request=(Channel.KIOSK, topic, text.strip()),
        receive=lambda: _receive(
            actor=actor,
            person=person,
            channel=Channel.KIOSK,
            topic=topic,
            text=text,
            received_at=timezone.now(),
            idempotency_key=idempotency_key,
        ),
    )


def _receive_once(
    *,
    person: Person,
    idempotency_key: str,
    request: tuple[str, str, str],
    receive: Callable[[], Kite],
) -> Receipt:
    """Receive a kite once per person and key: a retry gets the kite already received, and
    a key reused for a different (channel, topic, text) is refused (I1)."""
    if len(idempotency_key) > 64:
        raise KiteError("The request key is too long.")
    if idempotency_key:
        existing = Kite.objects.filter(person=person, idempotency_key=idempotency_key).first()
        if existing is not None:
            return _same_request(existing, request)
    try:
        with transaction.atomic():
            kite = receive()
    except IntegrityError:
        # Another request with the same key committed first: that one is this one.
        existing = Kite.objects.filter(person=person, idempotency_key=idempotency_key).first()
        if existing is None:
            raise
        return _same_request(existing, request)
    return Receipt(kite=kite, created=True)


def _same_request(existing: Kite, request: tuple[str, str, str]) -> Receipt:
    if (existing.channel, existing.topic, existing.text) != request:
        raise KeyReused("This request key was already used for a different request.")
    return Receipt(kite=existing, created=False)


@transaction.atomic
def record_paper_kite(
    *,
    actor: User,
    person: Person,
    channel: str,
    topic: str,
    text: str,
    received_at: datetime | None = None,
    backdate_reason: str = "",
    idempotency_key: str = "",
) -> Receipt:
    """A request received on paper, by voice, from family, a staff referral or a court order,
    entered by staff. It then follows the same path as a kiosk request, and the same
    idempotency key for the same person returns the kite already entered (I1)."""
    if not actor.is_staff_member or actor.role not in HEALTH_ROLES:
        raise KiteError("Only a nurse, a clinician or a supervisor can enter a request.")
    if channel not in STAFF_CHANNELS:
        raise KiteError("Choose how the request was received.")
    if topic not in Topic.values:
        raise KiteError("Choose what the request is about.")
    now = timezone.now()
    received_at = received_at or now
    if timezone.is_naive(received_at):
        raise KiteError("The time received has no time zone.")
    if received_at > now + CLOCK_SKEW:
        raise KiteError("The time received cannot be in the future.")
    if received_at < now - BACKDATE_GRACE and not backdate_reason.strip():
        raise KiteError("Say why the request is entered later than it was received.")
    receipt = _receive_once(
        person=person,
        idempotency_key=idempotency_key,
        request=(channel, topic, text.strip()),
        receive=lambda: _receive(
            actor=actor,
            person=person,
            channel=channel,
            topic=topic,
            text=text,
            received_at=received_at,
            backdate_reason=backdate_reason.strip(),
            entered_by=actor,
            idempotency_key=idempotency_key,
        ),
    )
    if not receipt.created and not actor.facilities.filter(pk=receipt.kite.facility_id).exists():
        raise KiteError(f"Resident {person.resident_number} is not held at your facilities.")
    return receipt


def _receive(
    *,
    actor: User,
    person: Person,
    channel: str,
    topic: str,
    text: str,
    received_at: datetime,
    idempotency_key: str = "",
    backdate_reason: str = "",
    entered_by: User | None = None,
) -> Kite:
    booking = _open_booking(person)
    if entered_by is not None and not entered_by.facilities.filter(pk=booking.facility_id).exists():
        raise KiteError(f"Resident {person.resident_number} is not held at your facilities.")
    standard = current_standard(booking.facility)
    kite = Kite.objects.create(
        person=person,
        booking=booking,
        facility=booking.facility,
        standard=standard,
        channel=channel,
        topic=topic,
        text=text.strip(),
        received_at=received_at,
        entered_at=timezone.now(),
        entered_by=entered_by,
        backdate_reason=backdate_reason,
        idempotency_key=idempotency_key,
    )
    rules = clock_standard(booking.facility, standard)
    Clock.objects.create(
        kite=kite, kind=ClockKind.TRIAGE, due_at=clocks.triage_due(rules, received_at)
    )
    signals = _crisis_signals(kite)
    _audit("kite.receive", actor=actor, kite=kite, fields=["channel", "topic", "text"])
    if signals:
        _raise_to_emergent(kite, actor=actor)
    return kite


def _crisis_signals(kite: Kite) -> list[CrisisSignal]:
    now = timezone.now()
    signals = []
    if kite.topic == Topic.CRISIS:
        signals.append(CrisisSignal(kite=kite, source="topic", detected_at=now))
    phrases = phrase_list_for(kite.facility)
    for found in crisis_matches(phrases, kite.text):
        signals.append(
            CrisisSignal(
                kite=kite,
                source="text",
                phrase_list_version=phrases.version,
                phrase_id=found.phrase_id,
                start=found.start,
                end=found.end,
                detected_at=now,
            )
        )
    return CrisisSignal.objects.bulk_create(signals)


def _raise_to_emergent(kite: Kite, *, actor: User | None) -> None:
    """Make the kite emergent, alert the on-call clinician and ask custody for a welfare
    check, all in the caller's transaction. Nothing ever lowers it again (I2)."""
    now = timezone.now()
    kite.urgency = Urgency.EMERGENT
    kite.save(update_fields=["urgency"])
    rules = clock_standard(kite.facility, kite.standard)
    Clock.objects.get_or_create(
        kite=kite,
        kind=ClockKind.EMERGENT,
        defaults={"due_at": clocks.response_due(rules, Urgency.EMERGENT, kite.received_at)},
    )
    shift = on_call_now(kite.facility, now)
    alert = Alert.objects.create(
        kite=kite,
        facility=kite.facility,
        # With nobody on call the alert starts with the supervisors.
        level=ON_CALL_LEVEL if shift is not None else SUPERVISOR_LEVEL,
        recipient=None if shift is None else shift.clinician,
        created_at=now,
        ack_due_at=now + alert_window(kite),
    )
    placement = (
        kite.booking.placements.select_related("housing_unit").filter(ended_at__isnull=True).first()
    )
    check = (
        None
        if placement is None
        else WelfareCheck.objects.create(
            facility=kite.facility,
            housing_unit=placement.housing_unit,
            person=kite.person,
            kite=kite,
            created_at=now,
        )
    )
    _audit(
        "kite.alert",
        actor=actor,
        kite=kite,
        alert=alert.pk,
        level=alert.level,
        welfare_check=None if check is None else check.pk,
    )


def _meet(clock: Clock, at: datetime) -> None:
    """Stop a clock; a deadline passed is recorded as a breach, which nothing later erases."""
    if clock.met_at is not None:
        return
    clock.met_at = at
    clock.save(update_fields=["met_at"])
    if at > clock.due_at:
        record_breach(clock)


def record_breach(clock: Clock) -> Breach:
    """The breach of a clock, recorded once, against the facility responsible now (I5)."""
    breach, created = Breach.objects.get_or_create(
        clock=clock,
        defaults={
            "facility": clock.kite.facility,
            "breached_at": clock.due_at,
            "recorded_at": timezone.now(),
        },
    )
    if created:
        _audit("kite.breach", actor=None, kite=clock.kite, clock=clock.kind)
    return breach


def _lock(kite: Kite) -> Kite:
    # Only the kite row is locked: the standard is a nullable (outer) join, which
    # PostgreSQL will not lock.
    return (
        Kite.objects.select_for_update(of=("self",))
        .select_related("facility", "standard")
        .get(pk=kite.pk)
    )


def _check_staff(actor: User, roles: frozenset[Role], what: str, kite: Kite) -> None:
    if not actor.is_staff_member or actor.role not in roles:
        raise KiteError(f"Your role cannot {what}.")
    if not actor.facilities.filter(pk=kite.facility_id).exists():
        raise KiteError(f"Request {kite.number} is not at your facilities.")


@transaction.atomic
def triage_kite(
    *,
    actor: User,
    kite: Kite,
    urgency: str,
    symptom_described: bool,
    route: str,
    route_reason: str = "",
) -> Kite:
    """Record triage: urgency, whether a clinical symptom is described (which starts the
    face-to-face clock, counted from receipt), and where the request goes."""
    kite = _lock(kite)
    _check_staff(actor, HEALTH_ROLES, "triage requests", kite)
    if kite.status != Status.RECEIVED:
        raise KiteError(f"Request {kite.number} was already triaged.")
    if urgency not in Urgency.values or route not in Route.values:
        raise KiteError("Choose an urgency and a route.")
    if kite.urgency == Urgency.EMERGENT and urgency != Urgency.EMERGENT:
        raise KiteError("A crisis signal made this request emergent; triage cannot lower it.")
    if route != Route.MENTAL_HEALTH and not route_reason.strip():
        raise KiteError("Say why the request goes to another service.")
    if Urgency.EMERGENT in (kite.urgency, urgency) and route != Route.MENTAL_HEALTH:
        raise KiteError(
            "An emergent request stays with mental health until someone sees the resident."
        )
    now = timezone.now()
    kite.urgency, kite.symptom_described, kite.route = urgency, symptom_described, route
    kite.route_reason = route_reason.strip()
    kite.status, kite.triaged_at, kite.triaged_by = Status.TRIAGED, now, actor
    rules = clock_standard(kite.facility, kite.standard)
    _meet(kite.clocks.get(kind=ClockKind.TRIAGE), now)
    if route != Route.MENTAL_HEALTH:
        kite.status, kite.closed_at, kite.close_code = (
            Status.CLOSED,
            now,
            CloseCode.ROUTED_ELSEWHERE,
        )
    else:
        if symptom_described:
            Clock.objects.create(
                kite=kite,
                kind=ClockKind.FACE_TO_FACE,
                due_at=clocks.face_to_face_due(rules, kite.received_at),
            )
        if urgency == Urgency.URGENT:
            Clock.objects.create(
                kite=kite,
                kind=ClockKind.URGENT,
                due_at=clocks.response_due(rules, Urgency.URGENT, kite.received_at),
            )
    kite.save()
    if urgency == Urgency.EMERGENT and not kite.alerts.exists():
        _raise_to_emergent(kite, actor=actor)
    _audit(
        "kite.triage",
        actor=actor,
        kite=kite,
        fields=["urgency", "symptom_described", "route", "route_reason"],
    )
    return kite


@transaction.atomic
def record_contact(
    *,
    actor: User,
    kite: Kite,
    seen_at: datetime,
    place: str,
    note: str,
    outcome: str,
    late_reason: str = "",
) -> Kite:
    """The clinician saw the resident face to face: when, where, a brief note, the outcome."""
    kite = _lock(kite)
    _check_staff(actor, CLINICIANS, "record a contact", kite)
    if kite.status in (Status.SEEN, Status.CLOSED):
        raise KiteError(f"Request {kite.number} is already answered.")
    if outcome not in Outcome.values:
        raise KiteError("Choose the outcome of the contact.")
    if place not in CONTACT_PLACES:
        raise KiteError("Say where the contact took place.")
    now = timezone.now()
    if timezone.is_naive(seen_at) or seen_at > now + CLOCK_SKEW:
        raise KiteError("The time seen cannot be in the future.")
    if seen_at < kite.received_at:
        raise KiteError("The time seen is before the request was received.")
    # As for paper kites: a time well in the past is allowed, but never without a reason.
    if seen_at < now - BACKDATE_GRACE and not late_reason.strip():
        raise KiteError("Say why the contact is entered later than it took place.")
    kite.seen_at, kite.seen_by, kite.contact_place = seen_at, actor, place
    kite.contact_note, kite.outcome = note.strip(), outcome
    kite.contact_late_reason = late_reason.strip()
    kite.status, kite.closed_at = Status.CLOSED, now
    if kite.triaged_at is None:
        # Seeing the resident also settles triage; its clock stops when they were seen.
        kite.triaged_at, kite.triaged_by = seen_at, actor
    kite.save()
    for clock in kite.clocks.filter(met_at__isnull=True):
        _meet(clock, seen_at)
    _settle_alerts(kite, actor=actor, at=now)
    _audit(
        "kite.contact",
        actor=actor,
        kite=kite,
        fields=["seen_at", "contact_place", "contact_note", "outcome"],
    )
    kite_seen.send(sender=Kite, kite=kite, actor=actor, seen_at=seen_at)
    return kite


CONTACT_PLACES = ("confidential_room", "cell_front", "clinic", "telehealth")


@transaction.atomic
def close_kite(*, actor: User, kite: Kite, close_code: str) -> Kite:
    """Close a request without the resident being seen, with the code that says why."""
    kite = _lock(kite)
    _check_staff(actor, HEALTH_ROLES, "close requests", kite)
    if kite.status == Status.CLOSED:
        raise KiteError(f"Request {kite.number} is already closed.")
    if close_code not in CloseCode.values:
        raise KiteError("Choose why the request is closed without a visit.")
    if close_code == CloseCode.RELEASED and kite.booking.released_at is None:
        raise KiteError("The resident is still in custody.")
    if kite.urgency == Urgency.EMERGENT and close_code != CloseCode.RELEASED:
        raise KiteError("An emergent request is closed only by seeing the resident.")
    if close_code == CloseCode.DUPLICATE and (
        kite.linked_to is None or kite.linked_to.close_code == CloseCode.DUPLICATE
    ):
        raise KiteError("Link the request it repeats first; that one must stay open or answered.")
    _close(kite, close_code=close_code, actor=actor)
    return kite


def _close(kite: Kite, *, close_code: str, actor: User | None) -> None:
    """Closing answers the request: its clocks stop now (a late one is recorded as a breach)
    and nobody is alerted about it any more."""
    now = timezone.now()
    kite.status, kite.closed_at, kite.close_code = Status.CLOSED, now, close_code
    kite.save(update_fields=["status", "closed_at", "close_code"])
    for clock in kite.clocks.filter(met_at__isnull=True):
        _meet(clock, now)
    _settle_alerts(kite, actor=actor, at=now)
    _audit("kite.close", actor=actor, kite=kite, fields=["close_code"])


def _settle_alerts(kite: Kite, *, actor: User | None, at: datetime) -> None:
    """The kite is answered: its open alerts stop escalating, acknowledged by whoever
    answered it."""
    Alert.objects.filter(kite=kite, acknowledged_at__isnull=True).update(
        acknowledged_at=at, acknowledged_by=actor
    )


@transaction.atomic
def close_on_release(*, booking: Booking) -> list[Kite]:
    """When a resident is released, their open requests close as released (a system act)."""
    closed = []
    for kite in Kite.objects.select_for_update(of=("self",)).filter(
        booking=booking, status__in=[Status.RECEIVED, Status.TRIAGED]
    ):
        _close(kite, close_code=CloseCode.RELEASED, actor=None)
        closed.append(kite)
    return closed


@transaction.atomic
def link_kites(*, actor: User, kite: Kite, same_matter_as: Kite) -> Kite:
    """Mark a repeat request about the same matter; both stay on record with their clocks."""
    kite = _lock(kite)
    _check_staff(actor, HEALTH_ROLES, "link requests", kite)
    if same_matter_as.person_id != kite.person_id or same_matter_as.pk == kite.pk:
        raise KiteError("Only two requests of the same resident can be linked.")
    if Kite.objects.filter(pk=same_matter_as.pk, linked_to=kite).exists():
        raise KiteError("That request is already linked to this one.")
    kite.linked_to = same_matter_as
    kite.save(update_fields=["linked_to"])
    _audit("kite.link", actor=actor, kite=kite, linked_to=same_matter_as.pk)
    return kite


@transaction.atomic
def acknowledge_alert(*, actor: User, alert: Alert) -> Alert:
    alert = Alert.objects.select_for_update().select_related("kite").get(pk=alert.pk)
    _check_staff(actor, CLINICIANS | {Role.SUPERVISOR}, "acknowledge alerts", alert.kite)
    if alert.acknowledged_at is None:
        alert.acknowledged_at, alert.acknowledged_by = timezone.now(), actor
        alert.save(update_fields=["acknowledged_at", "acknowledged_by"])
        # One person has it now: earlier and later levels of the same kite stop too.
        Alert.objects.filter(kite=alert.kite, acknowledged_at__isnull=True).update(
            acknowledged_at=alert.acknowledged_at, acknowledged_by=actor
        )
        _audit("alert.acknowledge", actor=actor, kite=alert.kite, alert=alert.pk)
    return alert


@transaction.atomic
def mark_false_alarm(*, actor: User, signal: CrisisSignal, reason: str) -> CrisisSignal:
    """A clinician judges matched words not a crisis. The signal and the kite stay on record,
    and the kite stays emergent until someone sees the resident (I2)."""
    signal = CrisisSignal.objects.select_for_update().select_related("kite").get(pk=signal.pk)
    _check_staff(actor, CLINICIANS, "judge crisis signals", signal.kite)
    if not reason.strip():
        raise KiteError("Say why this is not a crisis.")
    if signal.false_alarm_at is not None:
        raise KiteError("This signal was already marked.")
    signal.false_alarm_at, signal.false_alarm_by = timezone.now(), actor
    signal.false_alarm_reason = reason.strip()
    signal.save(update_fields=["false_alarm_at", "false_alarm_by", "false_alarm_reason"])
    _audit("kite.false_alarm", actor=actor, kite=signal.kite, signal=signal.pk)
    return signal


def receive_screening_emergent_item(*, actor: User, person: Person, answered_at: datetime) -> Kite:
    """An emergent item raised by a screening — an answer a safety rule flags (I2), or a
    receiving screen referred as emergent. It takes the same path as a crisis kite
    (emergent clock, alert to the clinician on call, welfare check for custody) inside the
    caller's transaction."""
    return _receive(
        actor=actor,
        person=person,
        channel=Channel.SCREENING,
        topic=Topic.CRISIS,
        text="",
        received_at=answered_at,
    )
