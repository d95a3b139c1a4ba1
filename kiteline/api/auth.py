"""Who may call an API operation: the same staff roles as the pages, by token or session,
and residents signed in at a kiosk, by session only.

Every operation names who may call it with `auth=roles(...)`, `auth=residents()` or both;
the API's default refuses everyone, so an operation that names nobody is open to nobody.
"""

from collections.abc import Callable
from functools import wraps
from typing import Any, cast

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from ninja.errors import HttpError
from ninja.security import APIKeyCookie, HttpBearer

from kiteline.accounts.kiosks import current_kiosk
from kiteline.accounts.models import STAFF_ROLES, Role, User
from kiteline.accounts.selectors import must_choose_pin
from kiteline.accounts.tokens import user_for_token


def refuse(request: HttpRequest) -> None:
    """The API's default authentication, for an operation that names no roles."""
    return None


def _admit(request: HttpRequest, user: object, allowed: frozenset[Role]) -> User | None:
    if not isinstance(user, User) or not user.is_staff_member:
        return None
    if user.role not in allowed:
        raise HttpError(403, "Your role may not use this.")
    # Selectors and `acting_user` read the actor from here, whichever way they came in.
    request.user = user
    return user


class BearerToken(HttpBearer):
    def __init__(self, allowed: frozenset[Role]) -> None:
        super().__init__()
        self.allowed = allowed

    def authenticate(self, request: HttpRequest, token: str) -> User | None:
        return _admit(request, user_for_token(token, timezone.now()), self.allowed)


class StaffSession(APIKeyCookie):
    """A browser's sign-in; APIKeyCookie checks CSRF on unsafe methods before this runs."""

    param_name = settings.SESSION_COOKIE_NAME

    def __init__(self, allowed: frozenset[Role]) -> None:
        super().__init__(csrf=True)
        self.allowed = allowed

    def authenticate(self, request: HttpRequest, key: str | None) -> User | None:
        if key is None:
            return None
        return _admit(request, request.user, self.allowed)


def roles(*allowed: Role) -> list[BearerToken | StaffSession]:
    """Staff whose role is one of `allowed`, by bearer token or by session."""
    if not allowed or not set(allowed) <= STAFF_ROLES:
        raise ValueError(f"An API operation needs staff roles, not {allowed!r}.")
    admitted = frozenset(allowed)
    return [BearerToken(admitted), StaffSession(admitted)]


class ResidentSession(APIKeyCookie):
    """A resident signed in at a registered kiosk, as for the kiosk pages; never a token.
    APIKeyCookie checks CSRF on unsafe methods before this runs, as for staff."""

    param_name = settings.SESSION_COOKIE_NAME

    def __init__(self) -> None:
        super().__init__(csrf=True)

    def authenticate(self, request: HttpRequest, key: str | None) -> User | None:
        user = request.user
        if key is None or not isinstance(user, User) or not user.is_resident:
            return None
        if user.person is None or current_kiosk(request) is None:
            return None
        if must_choose_pin(user.person):
            raise HttpError(403, "Choose your own PIN at the kiosk first.")
        return user


def residents() -> list[ResidentSession | BearerToken | StaffSession]:
    """A resident signed in at a kiosk. Staff, by token or session, are told 403 rather
    than 401: they are signed in, and no role of theirs may use the operation."""
    nobody: frozenset[Role] = frozenset()
    return [ResidentSession(), BearerToken(nobody), StaffSession(nobody)]


def staff_only[View: Callable[..., HttpResponse]](view: View) -> View:
    """For the OpenAPI description and docs page: they name every field the API holds, so
    only signed-in staff may read them."""

    @wraps(view)
    def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        user: object = request.user
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() == "bearer" and token:
            user = user_for_token(token.strip(), timezone.now())
        if not isinstance(user, User) or not user.is_staff_member:
            raise Http404
        return view(request, *args, **kwargs)

    return cast(View, guarded)
