"""Care decisions as records: the facility's levels-of-care scheme and services, each
service's eligibility policy (drafts, and published versions that never change), each
person's level of care, decisions with the evidence that made them, and appeals.

The rules live in the pure cores beside this file (`policy.py`, `levels.py`); a decision
stores the policy version, the facts and the engine's record, so it can be reproduced (I9).
"""

from typing import Any

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from kiteline.accounts.models import User
from kiteline.facilities.models import Booking, Facility, Person
from kiteline.kites.models import Kite
from kiteline.screening.models import Evaluation

# How long a resident has to appeal a decision, and a reviewer to answer an appeal, unless
# the facility sets its own. No national standard names either: both are the facility's.
APPEAL_WINDOW_DAYS = 30
# The levels-of-care scheme of a facility that has chosen none.
DEFAULT_SCHEME = "generic"
APPEAL_RESPONSE_DAYS = 14


class CareSettings(models.Model):
    """A facility's levels-of-care scheme (a preset in `levels.PRESETS`), its own contact
    frequencies where it set them, and its appeal deadlines."""

    facility = models.OneToOneField(Facility, on_delete=models.PROTECT, related_name="care")
    scheme = models.CharField(max_length=32, default=DEFAULT_SCHEME)
    # {"<level>": {"<contact kind>": days}}: the facility's own figures over the preset's.
    contact_days = models.JSONField(default=dict, blank=True)
    appeal_window_days = models.PositiveIntegerField(default=APPEAL_WINDOW_DAYS)
    appeal_response_days = models.PositiveIntegerField(default=APPEAL_RESPONSE_DAYS)
    updated_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    updated_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.facility.code} care settings"


class LevelAssignment(models.Model):
    """A person's level of care from a clinician, with the reason. Every change is a new
    row; the latest of the stay is current, and it moves with the stay on a transfer."""

    booking = models.ForeignKey(Booking, on_delete=models.PROTECT, related_name="levels")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="levels")
    facility = models.ForeignKey(Facility, on_delete=models.PROTECT, related_name="+")
    scheme = models.CharField(max_length=32)
    level = models.CharField(max_length=32)
    reason = models.TextField()
    evaluation = models.ForeignKey(
        Evaluation, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    assigned_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    assigned_at = models.DateTimeField()

    class Meta:
        ordering = ["-assigned_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.person.resident_number} at {self.scheme}/{self.level}"


class Service(models.Model):
    facility = models.ForeignKey(Facility, on_delete=models.PROTECT, related_name="services")
    code = models.CharField(max_length=64)
    name_en = models.CharField(max_length=120)
    name_es = models.CharField(max_length=120)
    capacity_note = models.CharField(max_length=300, blank=True)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["facility", "name_en"]
        constraints = [
            models.UniqueConstraint(fields=["facility", "code"], name="service_code_per_facility")
        ]

    def __str__(self) -> str:
        return f"{self.facility.code}/{self.code}"

    def name(self, language: str) -> str:
        return self.name_es if language.split("-")[0] == "es" else self.name_en


class PolicyDraft(models.Model):
    """The policy a supervisor is editing for a service; publishing copies it into a new
    version. Saved as typed, even when it does not yet check."""

    service = models.OneToOneField(Service, on_delete=models.PROTECT, related_name="draft")
    body = models.JSONField()
    edited_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    edited_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"draft policy for {self.service}"


class PublishedError(RuntimeError):
    """A published policy version was about to change: they never do (I9)."""


class PolicyVersion(models.Model):
    """A published policy: immutable, under the publisher's name. Every decision names one."""

    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="versions")
    version = models.PositiveIntegerField()
    body = models.JSONField()
    published_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    published_at = models.DateTimeField()

    class Meta:
        ordering = ["service", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["service", "version"], name="policy_version_unique")
        ]

    def __str__(self) -> str:
        return f"{self.service} policy v{self.version}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise PublishedError(f"{self} is published and cannot change.")
        super().save(*args, **kwargs)


class Outcome(models.TextChoices):
    ELIGIBLE = "eligible", _("Eligible")
    NOT_ELIGIBLE = "not_eligible", _("Not eligible")
    CLINICIAN_REVIEW = "clinician_review", _("Clinician review")


class DecisionSource(models.TextChoices):
    DIRECT = "direct", _("Asked directly")
    KITE = "kite", _("A request referred for a decision")
    EVALUATION = "evaluation", _("An evaluation")


class OverrideReason(models.TextChoices):
    """Standard reasons to override the policy; each is shown translated to the resident,
    beside any words the clinician wrote (shown as written, marked as staff's)."""

    CLINICAL_JUDGEMENT = "clinical_judgement", _("The clinician's assessment of your needs")
    NEW_INFORMATION = "new_information", _("Information the policy does not cover")
    SAFETY = "safety", _("Your safety")
    CAPACITY_FREED = "capacity", _("A place became available")
    OTHER = "other", _("Another reason, explained below")


class Decision(models.Model):
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="decisions")
    booking = models.ForeignKey(Booking, on_delete=models.PROTECT, related_name="decisions")
    facility = models.ForeignKey(Facility, on_delete=models.PROTECT, related_name="+")
    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="decisions")
    policy_version = models.ForeignKey(
        PolicyVersion, on_delete=models.PROTECT, related_name="decisions"
    )
    # What the engine read and what it made of it: enough to reproduce the proposal.
    facts = models.JSONField()
    record = models.JSONField()
    proposed = models.CharField(max_length=20, choices=Outcome.choices)
    source = models.CharField(max_length=16, choices=DecisionSource.choices)
    kite = models.ForeignKey(
        Kite, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    evaluation = models.ForeignKey(
        Evaluation, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    requested_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField()
    # The clinician's sign-off: the outcome the resident is told.
    outcome = models.CharField(max_length=20, choices=Outcome.choices, blank=True)
    decided_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    override_reason = models.CharField(max_length=24, choices=OverrideReason.choices, blank=True)
    override_text = models.TextField(blank=True)
    appeal_by = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-requested_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(decided_at__isnull=True) | ~Q(outcome=""),
                name="decided_has_an_outcome",
            ),
            models.CheckConstraint(
                condition=~Q(outcome="clinician_review"), name="a_decision_decides"
            ),
        ]

    def __str__(self) -> str:
        return f"decision D{self.pk:06d}"

    @property
    def number(self) -> str:
        return f"D{self.pk:06d}"

    @property
    def overridden(self) -> bool:
        return bool(self.override_reason)


class AppealOutcome(models.TextChoices):
    UPHELD = "upheld", _("Decision upheld")
    OVERTURNED = "overturned", _("Decision overturned")


class Appeal(models.Model):
    decision = models.OneToOneField(Decision, on_delete=models.PROTECT, related_name="appeal")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="appeals")
    facility = models.ForeignKey(Facility, on_delete=models.PROTECT, related_name="+")
    # The resident's own words; clinical content.
    text = models.TextField()
    filed_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    # When the resident made the appeal (I5): for one staff enter later from paper, the
    # time it was received, with why it was entered late.
    filed_at = models.DateTimeField()
    late_reason = models.CharField(max_length=300, blank=True)
    due_at = models.DateTimeField()
    # Set by the sweep once the deadline is near; a derived state, not audited (as a
    # clock's warned_at).
    warned_at = models.DateTimeField(null=True, blank=True)
    # Named when the facility has no other clinician: this reviewer sees this appeal only.
    reviewer = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="appeals_to_review"
    )
    outcome = models.CharField(max_length=16, choices=AppealOutcome.choices, blank=True)
    reason = models.TextField(blank=True)
    decided_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    # Set once by the sweep or a late answer; nothing clears it (I5).
    breached_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["due_at"]

    def __str__(self) -> str:
        return f"appeal A{self.pk:06d}"

    @property
    def number(self) -> str:
        return f"A{self.pk:06d}"
