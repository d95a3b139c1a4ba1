"""API tokens: bearer tokens for staff scripts and integrations.

A token acts with exactly its user's permissions, so it is refused as soon as the user is
no longer active staff. Only its SHA-256 is stored: the plaintext is shown once, at creation.
"""

import secrets
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from kiteline.accounts.kiosks import hash_token
from kiteline.accounts.models import ApiToken, User
from kiteline.audit.recording import record_event

# Marks a string as a Kiteline token, for people and for secret scanners; not a secret.
TOKEN_MARK = "kl_"  # noqa: S105
# "kl_" and 7 random characters: enough to tell a user's tokens apart in a list, far too
# few to help anyone guess the rest.
PREFIX_LENGTH = 10
MAX_DAYS = 365
# Recording every use would be a database write per request; a minute is precise enough to
# tell whether a token is still in use.
LAST_USED_RESOLUTION = timedelta(minutes=1)


class TokenError(ValueError):
    """A token that cannot be created or revoked, with the reason in plain words."""


def create_api_token(
    *, actor: User | None, user: User, name: str = "", expires_in_days: int
) -> tuple[ApiToken, str]:
    """A new token for `user` and its plaintext, which is not kept anywhere."""
    if not user.is_staff_member:
        raise TokenError(f"{user.username} is not active staff; only staff may have API tokens.")
    if not 1 <= expires_in_days <= MAX_DAYS:
        raise TokenError(
            f"A token must expire in 1 to {MAX_DAYS} days, not {expires_in_days} days."
        )
    max_name = ApiToken._meta.get_field("name").max_length
    if max_name is not None and len(name) > max_name:
        raise TokenError(f"A token's name may have up to {max_name} characters.")
    plaintext = TOKEN_MARK + secrets.token_urlsafe(32)
    now = timezone.now()
    with transaction.atomic():
        token = ApiToken.objects.create(
            user=user,
            name=name,
            prefix=plaintext[:PREFIX_LENGTH],
            token_hash=hash_token(plaintext),
            created_at=now,
            expires_at=now + timedelta(days=expires_in_days),
        )
        record_event(
            actor=actor,
            action="token.create",
            facility=None,
            subjects=[f"user:{user.pk}", f"token:{token.pk}"],
            detail={"expires_in_days": expires_in_days},
        )
    return token, plaintext


def revoke_api_token(*, actor: User | None, token: ApiToken) -> ApiToken:
    with transaction.atomic():
        locked = ApiToken.objects.select_for_update().get(pk=token.pk)
        if locked.revoked_at is not None:
            raise TokenError(
                f"Token {locked.prefix} was already revoked on {locked.revoked_at:%Y-%m-%d}."
            )
        locked.revoked_at = timezone.now()
        locked.save(update_fields=["revoked_at"])
        record_event(
            actor=actor,
            action="token.revoke",
            facility=None,
            subjects=[f"user:{locked.user_id}", f"token:{locked.pk}"],
        )
    return locked


def token_with_prefix(prefix: str) -> ApiToken:
    """The one token whose list prefix is `prefix`; refused when none or several match."""
    matches = list(ApiToken.objects.select_related("user").filter(prefix=prefix)[:2])
    if not matches:
        raise TokenError(f"No token has the prefix {prefix}.")
    if len(matches) > 1:
        raise TokenError(f"Several tokens have the prefix {prefix}; nothing was changed.")
    return matches[0]


def api_tokens(*, user: User | None = None) -> QuerySet[ApiToken]:
    """Every token, or one user's, newest first, revoked and expired ones included."""
    tokens = ApiToken.objects.select_related("user").order_by("-created_at", "-id")
    return tokens if user is None else tokens.filter(user=user)


def user_for_token(plaintext: str, now: datetime) -> User | None:
    """The active staff user a token acts for, or None if it is unknown, revoked or expired."""
    if not plaintext.startswith(TOKEN_MARK):
        return None
    token = (
        ApiToken.objects.select_related("user")
        .filter(token_hash=hash_token(plaintext), revoked_at__isnull=True, expires_at__gt=now)
        .first()
    )
    if token is None or not token.user.is_staff_member:
        return None
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user
