"""Writes to staff accounts. Only a supervisor manages users, and only at their facilities."""

from collections.abc import Iterable

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction

from kiteline.accounts.models import STAFF_ROLES, Role, User
from kiteline.audit.recording import record_event
from kiteline.facilities.models import Facility


class AccountError(ValueError):
    """An account change that cannot be made, with the reason in plain words."""


def _check_supervisor(actor: User) -> None:
    if not actor.is_staff_member or actor.role != Role.SUPERVISOR:
        raise AccountError("Only a supervisor can manage staff accounts.")


# Auditors oversee the health authority that supervisors lead, so a supervisor can neither
# make nor stop an auditor's account: that is done from the command line by the operator.
SUPERVISED_ROLES = STAFF_ROLES - {Role.AUDITOR}


def _check_supervises(actor: User, user: User) -> None:
    """The user works only at facilities of the actor's, and not as an auditor."""
    if user.role not in SUPERVISED_ROLES:
        raise AccountError("A supervisor does not manage auditors' accounts.")
    if user.facilities.exclude(pk__in=actor.facilities.all()).exists():
        raise AccountError(f"{user.username} also works at facilities that are not yours.")


@transaction.atomic
def create_staff_user(
    *,
    actor: User,
    username: str,
    role: str,
    facilities: Iterable[Facility],
    password: str,
    first_name: str = "",
    last_name: str = "",
) -> User:
    _check_supervisor(actor)
    if role == Role.AUDITOR:
        raise AccountError("A supervisor does not manage auditors' accounts.")
    if role not in SUPERVISED_ROLES:
        raise AccountError("A staff account needs a staff role; residents sign in at a kiosk.")
    chosen = list(facilities)
    if not chosen:
        raise AccountError("Choose at least one facility.")
    mine = set(actor.facilities.values_list("pk", flat=True))
    if any(facility.pk not in mine for facility in chosen):
        raise AccountError("You can only give access to facilities you belong to.")
    if User.objects.filter(username__iexact=username).exists():
        raise AccountError(f"The username {username} is taken.")
    user = User(username=username, role=role, first_name=first_name, last_name=last_name)
    try:
        validate_password(password, user)
    except ValidationError as error:
        raise AccountError(" ".join(error.messages)) from error
    user.set_password(password)
    user.full_clean()
    user.save()
    user.facilities.set(chosen)
    # Staff accounts span facilities, so their events go to the system-wide chain.
    record_event(
        actor=actor,
        action="account.create",
        facility=None,
        subjects=[f"user:{user.pk}"],
        detail={"role": role, "facilities": sorted(f.code for f in chosen)},
    )
    return user


@transaction.atomic
def deactivate_user(*, actor: User, user: User) -> User:
    """Stop an account. Its sessions end with it: Django refuses an inactive user's session
    on the next request, and its API tokens stop working."""
    _check_supervisor(actor)
    _check_supervises(actor, user)
    if user.pk == actor.pk:
        raise AccountError("You cannot deactivate your own account.")
    return _set_active(actor=actor, user=user, active=False)


@transaction.atomic
def reactivate_user(*, actor: User, user: User) -> User:
    _check_supervisor(actor)
    _check_supervises(actor, user)
    return _set_active(actor=actor, user=user, active=True)


def _set_active(*, actor: User, user: User, active: bool) -> User:
    user = User.objects.select_for_update().get(pk=user.pk)
    user.is_active = active
    user.save(update_fields=["is_active"])
    record_event(
        actor=actor,
        action="account.reactivate" if active else "account.deactivate",
        facility=None,
        subjects=[f"user:{user.pk}"],
    )
    return user
