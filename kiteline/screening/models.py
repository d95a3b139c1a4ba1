"""Screening administrations, kept answer by answer as they are given.

Each answer is saved the moment it is given, so a safety answer counts even if the screen is
abandoned before the final submit (I2). The instrument itself is a definition file; an
administration names it by id and version.
"""

from django.db import models

from kiteline.accounts.models import User
from kiteline.facilities.models import Booking, Facility, Person
from kiteline.kites.models import Kite


class Administration(models.Model):
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="screenings")
    booking = models.ForeignKey(Booking, on_delete=models.PROTECT, related_name="screenings")
    facility = models.ForeignKey(Facility, on_delete=models.PROTECT, related_name="+")
    instrument = models.CharField(max_length=64)  # the definition's key, e.g. "phq9-v1"
    language = models.CharField(max_length=35)
    started_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    started_at = models.DateTimeField()
    submitted_at = models.DateTimeField(null=True, blank=True)
    # The emergent item a safety answer raised; one per administration, never removed.
    safety_kite = models.ForeignKey(
        Kite, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"{self.instrument} for {self.person.resident_number}"


class Answer(models.Model):
    administration = models.ForeignKey(
        Administration, on_delete=models.PROTECT, related_name="answers"
    )
    item = models.CharField(max_length=32)
    value = models.IntegerField()
    answered_at = models.DateTimeField()
    answered_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["administration", "answered_at"]
        constraints = [
            models.UniqueConstraint(fields=["administration", "item"], name="one_answer_per_item")
        ]

    def __str__(self) -> str:
        return f"{self.administration} {self.item}={self.value}"
