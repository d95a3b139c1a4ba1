"""Kites (requests for mental-health care), their clocks, crisis signals and alerts.

A kite's clocks count from the moment it was received, in the facility's time zone, by the
facility's published standard; a breach is a row written when it happens and never removed.
"""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from kiteline.accounts.models import User
from kiteline.facilities.models import Booking, Facility, HousingUnit, Person
from kiteline.kites.clocks import NCCHC_DEFAULTS


class FacilityStandard(models.Model):
    """The timeliness standard a facility's health authority published; immutable once
    published, so every kite can name the version that set its deadlines."""

    facility = models.ForeignKey(Facility, on_delete=models.PROTECT, related_name="standards")
    version = models.PositiveIntegerField()
    # NCCHC E-07 by default: triage within 24 h of receipt; face to face within 48 h when a
    # clinical symptom is described, 72 h when the window spans a weekend or holiday.
    triage_hours = models.PositiveIntegerField(default=NCCHC_DEFAULTS["triage_hours"])
    face_to_face_hours = models.PositiveIntegerField(default=NCCHC_DEFAULTS["face_to_face_hours"])
    face_to_face_weekend_hours = models.PositiveIntegerField(
        default=NCCHC_DEFAULTS["face_to_face_weekend_hours"]
    )
    # NCCHC sets no deadline for these tiers: they are the facility's own.
    urgent_hours = models.PositiveIntegerField(default=NCCHC_DEFAULTS["urgent_hours"])
    emergent_minutes = models.PositiveIntegerField(default=NCCHC_DEFAULTS["emergent_minutes"])
    # How long the on-call clinician has to acknowledge an alert before it escalates.
    alert_ack_minutes = models.PositiveIntegerField(default=NCCHC_DEFAULTS["alert_ack_minutes"])
    holidays = models.JSONField(default=list, blank=True)  # facility-local ISO dates
    published_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    published_at = models.DateTimeField()

    class Meta:
        ordering = ["facility", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["facility", "version"], name="standard_version_unique")
        ]

    def __str__(self) -> str:
        return f"{self.facility.code} standard v{self.version}"


class Channel(models.TextChoices):
    KIOSK = "kiosk", _("Kiosk")
    PAPER = "paper", _("Paper slip")
    VOICE = "voice", _("Spoken to staff")
    FAMILY = "family", _("Family call")
    STAFF_REFERRAL = "staff_referral", _("Staff referral")
    COURT_ORDER = "court_order", _("Court order")
    # Raised by a screening answer that a safety rule flags, not written by anyone.
    SCREENING = "screening", _("Screening safety answer")


class Topic(models.TextChoices):
    TALK = "talk", _("Talk to someone")
    THERAPY = "therapy", _("Therapy")
    MEDICATION = "medication", _("Medication")
    CRISIS = "crisis", _("I am in crisis now")
    OTHER = "other", _("Something else")


class Urgency(models.TextChoices):
    EMERGENT = "emergent", _("Emergent")
    URGENT = "urgent", _("Urgent")
    ROUTINE = "routine", _("Routine")


class Status(models.TextChoices):
    RECEIVED = "received", _("Received")
    TRIAGED = "triaged", _("Triaged")
    SEEN = "seen", _("Seen")
    CLOSED = "closed", _("Closed")


class Route(models.TextChoices):
    MENTAL_HEALTH = "mental_health", _("Mental-health team")
    MEDICAL = "medical", _("Medical")
    DENTAL = "dental", _("Dental")
    CUSTODY = "custody", _("Custody matter")
    OTHER = "other", _("Elsewhere")


class Outcome(models.TextChoices):
    RESOLVED = "resolved", _("Resolved")
    REFERRED_EVALUATION = "referred_evaluation", _("Referred for a mental-health evaluation")
    REFERRED_DECISION = "referred_decision", _("Referred for a service decision")
    REFERRED_MEDICAL = "referred_medical", _("Referred to medical")
    REFUSED = "refused", _("Refused by the resident")


class CloseCode(models.TextChoices):
    """Why a kite was closed without the resident being seen."""

    DUPLICATE = "duplicate", _("Same matter as another request")
    ROUTED_ELSEWHERE = "routed_elsewhere", _("Sent to another service")
    RELEASED = "released", _("Resident released")
    WITHDRAWN = "withdrawn", _("Withdrawn by the resident")
    ANSWERED_IN_WRITING = "answered_in_writing", _("Answered in writing")


class Kite(models.Model):
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="kites")
    booking = models.ForeignKey(Booking, on_delete=models.PROTECT, related_name="kites")
    # The facility responsible now; a transfer moves it, and breaches keep their own.
    facility = models.ForeignKey(Facility, on_delete=models.PROTECT, related_name="kites")
    # The published standard that set its deadlines; empty when the facility had published
    # none and the built-in NCCHC E-07 defaults applied (a kite is never refused for that).
    standard = models.ForeignKey(
        FacilityStandard, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    channel = models.CharField(max_length=16, choices=Channel.choices)
    topic = models.CharField(max_length=16, choices=Topic.choices)
    # The resident's own words, exactly as written or spoken; clinical content.
    text = models.TextField(blank=True)
    received_at = models.DateTimeField()
    entered_at = models.DateTimeField()
    entered_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    backdate_reason = models.CharField(max_length=300, blank=True)
    # Scoped to the person: the same key from another resident is another request (I1).
    idempotency_key = models.CharField(max_length=64, blank=True)
    urgency = models.CharField(max_length=16, choices=Urgency.choices, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.RECEIVED)
    triaged_at = models.DateTimeField(null=True, blank=True)
    triaged_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    symptom_described = models.BooleanField(null=True, blank=True)
    route = models.CharField(max_length=16, choices=Route.choices, blank=True)
    route_reason = models.CharField(max_length=300, blank=True)
    linked_to = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="repeats"
    )
    seen_at = models.DateTimeField(null=True, blank=True)
    seen_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    contact_place = models.CharField(max_length=32, blank=True)
    contact_note = models.TextField(blank=True)
    # Why the contact was entered long after it took place (downtime, say).
    contact_late_reason = models.CharField(max_length=300, blank=True)
    outcome = models.CharField(max_length=32, choices=Outcome.choices, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    close_code = models.CharField(max_length=32, choices=CloseCode.choices, blank=True)

    class Meta:
        ordering = ["-received_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["person", "idempotency_key"],
                condition=~Q(idempotency_key=""),
                name="kite_idempotency_key_unique_per_person",
            ),
            models.CheckConstraint(
                condition=~Q(status="closed") | ~Q(outcome="") | ~Q(close_code=""),
                name="closed_kite_has_an_outcome_or_code",
            ),
        ]
        indexes = [models.Index(fields=["facility", "status", "urgency"])]

    def __str__(self) -> str:
        return self.number

    @property
    def number(self) -> str:
        return f"K{self.pk:06d}"


class ClockKind(models.TextChoices):
    TRIAGE = "triage", _("Triage")
    FACE_TO_FACE = "face_to_face", _("Face to face")
    URGENT = "urgent", _("Urgent response")
    EMERGENT = "emergent", _("Emergent response")


class Clock(models.Model):
    kite = models.ForeignKey(Kite, on_delete=models.PROTECT, related_name="clocks")
    kind = models.CharField(max_length=16, choices=ClockKind.choices)
    due_at = models.DateTimeField()
    met_at = models.DateTimeField(null=True, blank=True)
    warned_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["due_at"]
        constraints = [
            models.UniqueConstraint(fields=["kite", "kind"], name="one_clock_of_a_kind_per_kite")
        ]
        indexes = [
            models.Index(fields=["met_at", "due_at"]),
            # The triage queue orders each kite by its next open deadline: without this,
            # SQLite scans every open clock for every kite.
            models.Index(fields=["kite", "met_at", "due_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.kite} {self.kind} due {self.due_at:%Y-%m-%d %H:%M}"


class Breach(models.Model):
    """A clock that passed its deadline unmet: a fact, written once, never removed (I5)."""

    clock = models.OneToOneField(Clock, on_delete=models.PROTECT, related_name="breach")
    # The facility responsible when it happened; a later transfer does not move it.
    facility = models.ForeignKey(Facility, on_delete=models.PROTECT, related_name="+")
    breached_at = models.DateTimeField()
    recorded_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"breach of {self.clock}"


class CrisisSignal(models.Model):
    """Words in a kite that matched the crisis phrase list; a human decides what they mean."""

    kite = models.ForeignKey(Kite, on_delete=models.PROTECT, related_name="crisis_signals")
    source = models.CharField(max_length=16)  # "topic" or "text"
    phrase_list_version = models.CharField(max_length=32, blank=True)
    phrase_id = models.CharField(max_length=64, blank=True)
    start = models.PositiveIntegerField(null=True, blank=True)
    end = models.PositiveIntegerField(null=True, blank=True)
    detected_at = models.DateTimeField()
    false_alarm_at = models.DateTimeField(null=True, blank=True)
    false_alarm_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    false_alarm_reason = models.CharField(max_length=300, blank=True)

    def __str__(self) -> str:
        return f"{self.kite} {self.source} {self.phrase_id}"


class Alert(models.Model):
    """An emergent item that a person must acknowledge; each escalation is a new row."""

    kite = models.ForeignKey(Kite, on_delete=models.PROTECT, related_name="alerts")
    facility = models.ForeignKey(Facility, on_delete=models.PROTECT, related_name="+")
    level = models.PositiveSmallIntegerField(default=0)  # 0 on call, 1 backup, 2 supervisors
    recipient = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="alerts"
    )
    created_at = models.DateTimeField()
    ack_due_at = models.DateTimeField()
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    escalated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"alert on {self.kite} at level {self.level}"


class WelfareCheck(models.Model):
    """'Welfare check now' for custody: who and where, never why (I6)."""

    facility = models.ForeignKey(Facility, on_delete=models.PROTECT, related_name="+")
    housing_unit = models.ForeignKey(HousingUnit, on_delete=models.PROTECT, related_name="+")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="welfare_checks")
    # Kept for the health record only; never sent to custody.
    kite = models.ForeignKey(Kite, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()
    done_at = models.DateTimeField(null=True, blank=True)
    done_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    def __str__(self) -> str:
        return f"welfare check for {self.person.resident_number}"


class OnCallShift(models.Model):
    facility = models.ForeignKey(Facility, on_delete=models.PROTECT, related_name="on_call")
    clinician = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    backup = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["facility", "starts_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")), name="shift_ends_after_start"
            )
        ]

    def __str__(self) -> str:
        return f"{self.clinician} on call at {self.facility.code}"


class WatchStatus(models.Model):
    """Operational safety information custody may see: level and how often to check."""

    booking = models.ForeignKey(Booking, on_delete=models.PROTECT, related_name="watches")
    level = models.CharField(max_length=32)
    check_minutes = models.PositiveIntegerField()
    set_at = models.DateTimeField()
    set_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    cleared_at = models.DateTimeField(null=True, blank=True)
    cleared_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["booking"],
                condition=Q(cleared_at__isnull=True),
                name="one_open_watch_per_booking",
            )
        ]

    def __str__(self) -> str:
        return f"watch {self.level} on {self.booking}"


class Heartbeat(models.Model):
    name = models.CharField(max_length=32, primary_key=True)
    beat_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.name} at {self.beat_at:%H:%M:%S}"


class SupportResource(models.Model):
    """Where to get help now: shown at the end of every answer screen at the kiosk."""

    facility = models.ForeignKey(Facility, on_delete=models.CASCADE, related_name="resources")
    language = models.CharField(max_length=35, default="en")
    title = models.CharField(max_length=120)
    detail = models.CharField(max_length=300)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["facility", "language", "order"]

    def __str__(self) -> str:
        return self.title


class CrisisPhraseAddition(models.Model):
    """Phrases a supervisor added to the built-in crisis list for a facility. Each addition
    is a new version of that facility's list; nothing is ever removed or reworded, so a
    recorded signal (a phrase id and a version) keeps its meaning."""

    facility = models.ForeignKey(
        Facility, on_delete=models.PROTECT, related_name="crisis_phrase_additions"
    )
    number = models.PositiveIntegerField()
    language = models.CharField(max_length=2, choices=[("en", "English"), ("es", "Español")])
    pattern = models.CharField(max_length=120)
    added_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    added_at = models.DateTimeField()

    class Meta:
        ordering = ["facility", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["facility", "number"], name="crisis_phrase_number_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.facility.code} crisis phrase {self.number}"
