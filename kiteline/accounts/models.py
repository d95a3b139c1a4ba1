from django.contrib.auth.models import AbstractUser
from django.db import models


class Role(models.TextChoices):
    RESIDENT = "resident", "Resident"
    NURSE = "nurse", "Nurse"
    CLINICIAN = "clinician", "Clinician"
    CUSTODY = "custody", "Custody officer"
    SUPERVISOR = "supervisor", "Supervisor"
    AUDITOR = "auditor", "Auditor"


STAFF_ROLES = frozenset(Role) - {Role.RESIDENT}


class User(AbstractUser):
    """Everyone who signs in. What a user may see and do follows from `role`."""

    role = models.CharField(max_length=16, choices=Role.choices)

    REQUIRED_FIELDS = ["email", "role"]

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(role__in=Role.values), name="user_role_is_known"
            ),
        ]

    @property
    def is_staff_member(self) -> bool:
        return self.is_active and self.role in STAFF_ROLES
