"""Screening administrations, kept answer by answer as they are given, and the evaluations
and screenings each stay is owed.

Each answer is saved the moment it is given, so a safety answer counts even if the screen is
abandoned before the final submit (I2). The instrument itself is a definition file; an
administration names it by id and version.
"""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from kiteline.accounts.models import User
from kiteline.facilities.models import Booking, Facility, Person
from kiteline.kites.models import Kite

# The receiving screen at booking (NCCHC E-02) by default; it does not meet E-05.
RECEIVING_SCREEN = "bjmhs-v1"


class Mode(models.TextChoices):
    STAFF = "staff", _("Given by staff")
    SELF = "self", _("Self-screen at the kiosk")


class Administration(models.Model):
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="screenings")
    booking = models.ForeignKey(Booking, on_delete=models.PROTECT, related_name="screenings")
    facility = models.ForeignKey(Facility, on_delete=models.PROTECT, related_name="+")
    instrument = models.CharField(max_length=64)  # the definition's key, e.g. "phq9-v1"
    language = models.CharField(max_length=35)
    mode = models.CharField(max_length=8, choices=Mode.choices, default=Mode.STAFF)
    interpreter = models.BooleanField(default=False)
    # Who gave the screen, or, for a self-screen, the clinician who assigned it.
    started_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    started_at = models.DateTimeField()
    submitted_at = models.DateTimeField(null=True, blank=True)
    submitted_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # The score as it stood at submit; an incomplete screen keeps no total (never scored
    # as if complete) and says why it ended early.
    complete = models.BooleanField(null=True, blank=True)
    total = models.IntegerField(null=True, blank=True)
    band = models.CharField(max_length=32, blank=True)
    flags = models.JSONField(default=list, blank=True)  # rule ids that fired
    # Safety rules that fired on any answer, kept even if the answer is changed later: a
    # signal only ever raises (I2), and the clinician must see what was once answered.
    safety_rules = models.JSONField(default=list, blank=True)
    incomplete_reason = models.CharField(max_length=300, blank=True)
    # The emergent item a safety answer, or an emergent referral, raised: one per
    # administration, never removed.
    safety_kite = models.ForeignKey(
        Kite, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"{self.instrument} for {self.person.resident_number}"


class Answer(models.Model):
    """One answer as given. A changed answer is a new row and the old one is marked
    replaced, never overwritten: every answer ever given is kept."""

    administration = models.ForeignKey(
        Administration, on_delete=models.PROTECT, related_name="answers"
    )
    item = models.CharField(max_length=32)
    value = models.IntegerField()
    answered_at = models.DateTimeField()
    answered_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    replaced_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["administration", "answered_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["administration", "item"],
                condition=Q(replaced_at__isnull=True),
                name="one_current_answer_per_item",
            )
        ]

    def __str__(self) -> str:
        return f"{self.administration} {self.item}={self.value}"


class EvaluationKind(models.TextChoices):
    SCREENING = "screening", _("Mental-health screening (14 days)")
    EVALUATION = "evaluation", _("Mental-health evaluation")
    MEDICATION_CHECK = "medication_check", _("Medication-continuity check")


class EvaluationReason(models.TextChoices):
    BOOKING = "booking", _("Every stay (NCCHC E-05)")
    RECEIVING_SCREEN = "receiving_screen", _("Positive receiving screen")
    DISCRETION = "discretion", _("Screener's discretion")
    CURRENT_MEDICATION = "current_medication", _("Current psychiatric medication")
    SAFETY_ANSWER = "safety_answer", _("Safety answer on a screen")
    SCREEN_RESULT = "screen_result", _("Screen result")


class Evaluation(models.Model):
    """Something a stay is owed by a deadline: the E-05 screening within 14 days of booking,
    an evaluation after a positive screen, or a medication-continuity check. Its deadline
    comes from the same clock core as a kite's, and a breach is kept for good (I5)."""

    booking = models.ForeignKey(Booking, on_delete=models.PROTECT, related_name="evaluations")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="evaluations")
    # The facility responsible now; a transfer moves it, a breach keeps its own.
    facility = models.ForeignKey(Facility, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=20, choices=EvaluationKind.choices)
    urgency = models.CharField(max_length=16, blank=True)  # kites' Urgency; blank for E-05
    reason = models.CharField(max_length=24, choices=EvaluationReason.choices)
    administration = models.ForeignKey(
        Administration, null=True, blank=True, on_delete=models.PROTECT, related_name="referrals"
    )
    discretion_reason = models.CharField(max_length=300, blank=True)
    # Safety precautions apply until this evaluation is done (I2).
    safety = models.BooleanField(default=False)
    opened_at = models.DateTimeField()
    opened_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    due_at = models.DateTimeField()
    done_at = models.DateTimeField(null=True, blank=True)
    done_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # The screen that met an E-05 screening, when one did.
    done_with = models.ForeignKey(
        Administration, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    done_note = models.TextField(blank=True)
    # Closed without being done: the resident was released first.
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["due_at"]
        indexes = [models.Index(fields=["facility", "done_at", "closed_at", "due_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["booking"],
                condition=Q(kind="screening"),
                name="one_e05_screening_per_booking",
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} for {self.person.resident_number} due {self.due_at:%Y-%m-%d}"

    @property
    def is_open(self) -> bool:
        return self.done_at is None and self.closed_at is None


class EvaluationBreach(models.Model):
    """An evaluation or screening not done by its deadline: written once, never removed."""

    evaluation = models.OneToOneField(Evaluation, on_delete=models.PROTECT, related_name="breach")
    facility = models.ForeignKey(Facility, on_delete=models.PROTECT, related_name="+")
    breached_at = models.DateTimeField()
    recorded_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"breach of {self.evaluation}"
