"""The roster: who is held where, and since when.

A Person is booked many times; each Booking is one stay, and its Placements record every
housing unit the person occupied during that stay, across transfers between facilities.
"""

import zoneinfo

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(f"{value!r} is not a time zone name such as America/Chicago.")


def validate_not_reserved(value: str) -> None:
    # "system" names the audit chain of events that belong to no one facility.
    if value == "system":
        raise ValidationError("The code system is reserved; choose another.")


class FacilityKind(models.TextChoices):
    JAIL = "jail", "Jail"
    PRISON = "prison", "Prison"


class Facility(models.Model):
    code = models.SlugField(max_length=32, unique=True, validators=[validate_not_reserved])
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=16, choices=FacilityKind.choices)
    # Deadlines are counted in the facility's own local days (NCCHC: booking day is day one).
    time_zone = models.CharField(max_length=64, validators=[validate_time_zone])

    class Meta:
        verbose_name_plural = "facilities"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class HousingUnit(models.Model):
    facility = models.ForeignKey(Facility, on_delete=models.PROTECT, related_name="housing_units")
    code = models.CharField(max_length=32)
    name = models.CharField(max_length=200)

    class Meta:
        ordering = ["facility", "code"]
        constraints = [
            models.UniqueConstraint(fields=["facility", "code"], name="housing_unit_code_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.facility.code})"


class Sex(models.TextChoices):
    FEMALE = "F", "Female"
    MALE = "M", "Male"
    OTHER = "X", "Another sex"
    UNKNOWN = "U", "Not recorded"


class Person(models.Model):
    # The number printed on the wristband; stays the same across bookings.
    resident_number = models.CharField(max_length=32, unique=True)
    given_name = models.CharField(max_length=100)
    family_name = models.CharField(max_length=100)
    date_of_birth = models.DateField()
    sex = models.CharField(max_length=1, choices=Sex.choices, default=Sex.UNKNOWN)
    # A BCP 47 language tag ("en", "es", "vi", "zh-Hant"...), not limited to the UI languages.
    language = models.CharField(max_length=35, default="en")
    needs_interpreter = models.BooleanField(default=False)
    reads_without_help = models.BooleanField(default=True)
    # Recorded the way the facility records it; blank when not recorded.
    race_ethnicity = models.CharField(max_length=100, blank=True)

    class Meta:
        ordering = ["family_name", "given_name", "resident_number"]
        indexes = [models.Index(fields=["family_name", "given_name"])]

    def __str__(self) -> str:
        return f"{self.family_name}, {self.given_name} ({self.resident_number})"


class Booking(models.Model):
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="bookings")
    # The jail management system's number for this stay.
    booking_number = models.CharField(max_length=32, unique=True)
    # The facility that holds the person now (or held them at release); a transfer moves
    # it, and the placements keep where they were before.
    facility = models.ForeignKey(Facility, on_delete=models.PROTECT, related_name="bookings")
    booked_at = models.DateTimeField()
    released_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-booked_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["person"],
                condition=Q(released_at__isnull=True),
                name="one_open_booking_per_person",
            ),
            models.CheckConstraint(
                condition=Q(released_at__isnull=True) | Q(released_at__gte=F("booked_at")),
                name="booking_released_after_booked",
            ),
        ]

    def __str__(self) -> str:
        return f"Booking {self.booking_number}"

    @property
    def is_open(self) -> bool:
        return self.released_at is None

    @property
    def status(self) -> str:
        return "in custody" if self.is_open else "released"


class Placement(models.Model):
    booking = models.ForeignKey(Booking, on_delete=models.PROTECT, related_name="placements")
    housing_unit = models.ForeignKey(HousingUnit, on_delete=models.PROTECT, related_name="+")
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["started_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["booking"],
                condition=Q(ended_at__isnull=True),
                name="one_open_placement_per_booking",
            ),
            models.CheckConstraint(
                condition=Q(ended_at__isnull=True) | Q(ended_at__gte=F("started_at")),
                name="placement_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.housing_unit} from {self.started_at:%Y-%m-%d %H:%M}"
