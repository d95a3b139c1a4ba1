"""Staff sign-in, sign-out and failed sign-in, recorded in the audit chain (I7).

Residents' kiosk sign-ins are recorded by the kiosk services, with the kiosk they used.
A failed sign-in names the account only when one exists: people type their password into
the username box, and the log keeps what it is given forever.
"""

from typing import Any

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db import transaction
from django.dispatch import receiver
from django.http import HttpRequest

from kiteline.accounts.models import User
from kiteline.audit.recording import record_event


def _record(action: str, user: User | None, actor: User | None) -> None:
    with transaction.atomic():
        record_event(
            actor=actor,
            action=action,
            facility=None,
            subjects=[] if user is None else [f"user:{user.pk}"],
        )


@receiver(user_logged_in)
def record_sign_in(sender: object, request: HttpRequest | None, user: User, **_: Any) -> None:
    if not user.is_resident:
        _record("auth.sign_in", user, user)


@receiver(user_logged_out)
def record_sign_out(
    sender: object, request: HttpRequest | None, user: User | None, **_: Any
) -> None:
    if user is not None and not user.is_resident:
        _record("auth.sign_out", user, user)


@receiver(user_login_failed)
def record_failed_sign_in(sender: object, credentials: dict[str, Any], **_: Any) -> None:
    username = credentials.get("username")
    user = User.objects.filter(username=username).first() if isinstance(username, str) else None
    _record("auth.sign_in_failed", user, None)
