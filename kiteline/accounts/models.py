from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from kiteline.facilities.models import Facility, Person


class Role(models.TextChoices):
    RESIDENT = "resident", _("Resident")
    NURSE = "nurse", _("Nurse")
    CLINICIAN = "clinician", _("Clinician")
    CUSTODY = "custody", _("Custody officer")
    SUPERVISOR = "supervisor", _("Supervisor")
    AUDITOR = "auditor", _("Auditor")


STAFF_ROLES = frozenset(Role) - {Role.RESIDENT}
# Staff who work with clinical records: they enter and triage requests and issue PINs.
HEALTH_ROLES = frozenset({Role.NURSE, Role.CLINICIAN, Role.SUPERVISOR})


class User(AbstractUser):
    """Everyone who signs in. What a user may see and do follows from `role`.

    Staff see only the facilities they belong to. A resident's account is tied to their
    person record and signs in only at a kiosk, with a PIN.
    """

    role = models.CharField(max_length=16, choices=Role.choices)
    facilities = models.ManyToManyField(Facility, blank=True, related_name="staff")
    person = models.OneToOneField(
        Person, null=True, blank=True, on_delete=models.PROTECT, related_name="account"
    )

    REQUIRED_FIELDS = ["email", "role"]

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(role__in=Role.values), name="user_role_is_known"
            ),
            models.CheckConstraint(
                condition=Q(role="resident", person__isnull=False)
                | (~Q(role="resident") & Q(person__isnull=True)),
                name="resident_accounts_have_a_person",
            ),
        ]

    @property
    def is_staff_member(self) -> bool:
        return self.is_active and self.role in STAFF_ROLES

    @property
    def is_resident(self) -> bool:
        return self.is_active and self.role == Role.RESIDENT


class ResidentPin(models.Model):
    """A resident's kiosk PIN, hashed like a password."""

    person = models.OneToOneField(Person, on_delete=models.CASCADE, related_name="pin")
    pin_hash = models.CharField(max_length=256)
    # Set when staff issued or reset the PIN: the resident must choose their own at first use.
    must_change = models.BooleanField(default=True)
    issued_at = models.DateTimeField()
    issued_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # The resident's failures at every kiosk in the spell that began at
    # failure_spell_started_at: a signal for staff, never a wait (see pins.FailureSpell).
    # The waits are counted per kiosk, in KioskPinTries.
    failure_spell_count = models.PositiveIntegerField(default=0)
    failure_spell_started_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"PIN of {self.person.resident_number}"


class Kiosk(models.Model):
    """A shared device a supervisor registered; residents sign in only on one of these."""

    facility = models.ForeignKey(Facility, on_delete=models.PROTECT, related_name="kiosks")
    name = models.CharField(max_length=100)
    # SHA-256 of the random device token kept in the kiosk's cookie.
    token_hash = models.CharField(max_length=64, unique=True)
    registered_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    registered_at = models.DateTimeField()
    retired_at = models.DateTimeField(null=True, blank=True)
    failed_tries = models.PositiveIntegerField(default=0)
    last_failed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["facility", "name"],
                condition=Q(retired_at__isnull=True),
                name="kiosk_name_unique_in_facility",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.facility.code})"


class KioskPinTries(models.Model):
    """A resident's wrong tries in a row at one kiosk. They slow down the next try with that
    resident's number at that kiosk only, never at another (see pins.py)."""

    pin = models.ForeignKey(ResidentPin, on_delete=models.CASCADE, related_name="kiosk_tries")
    kiosk = models.ForeignKey(Kiosk, on_delete=models.CASCADE, related_name="+")
    failed_tries = models.PositiveIntegerField(default=0)
    last_failed_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["pin", "kiosk"], name="kiosk_pin_tries_once_per_kiosk"),
        ]

    def __str__(self) -> str:
        return f"{self.failed_tries} wrong tries at kiosk {self.kiosk_id} for PIN {self.pin_id}"


class ApiToken(models.Model):
    """A bearer token for a staff script; it acts with exactly its user's permissions."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100, blank=True)
    # The first characters, shown in lists so a token can be recognised and revoked.
    prefix = models.CharField(max_length=12)
    # SHA-256 of the whole token: a token is long and random, so a slow hash adds nothing.
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.prefix}… of {self.user.username}"
