"""The one place that decides who may open which page. Deny by default.

Every view declares its rule with one of the decorators below; `AccessMiddleware` refuses
any view that has none, and a test walks every URL pattern to catch one before it ships.
API operations declare theirs through `kiteline.api.auth`, which applies the same roles.
"""

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from functools import wraps
from typing import Any, cast

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect

from kiteline.accounts.kiosks import current_kiosk
from kiteline.accounts.models import STAFF_ROLES, Role, User

RULE_ATTRIBUTE = "kiteline_rule"


class Audience(StrEnum):
    ANYONE = "anyone"  # sign-in pages, the language switch
    STAFF = "staff"  # staff signed in, with one of the rule's roles
    KIOSK_DEVICE = "kiosk device"  # a registered kiosk, before anyone signs in
    RESIDENT = "resident"  # a resident signed in at a registered kiosk
    API = "api"  # decided per operation by the API's own authentication


@dataclass(frozen=True)
class Rule:
    audience: Audience
    roles: frozenset[str] = frozenset()


def _with_rule[ViewFunc: Callable[..., Any]](rule: Rule) -> Callable[[ViewFunc], ViewFunc]:
    def mark(view: ViewFunc) -> ViewFunc:
        # A wrapper carries the rule, so a view shared with Django itself is never changed.
        @wraps(view)
        def ruled(*args: Any, **kwargs: Any) -> Any:
            return view(*args, **kwargs)

        setattr(ruled, RULE_ATTRIBUTE, rule)
        return cast(ViewFunc, ruled)

    return mark


def anyone[ViewFunc: Callable[..., Any]](view: ViewFunc) -> ViewFunc:
    return _with_rule(Rule(Audience.ANYONE))(view)


def staff(*roles: Role) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Staff signed in whose role is one of `roles`."""
    if not roles or not set(roles) <= STAFF_ROLES:
        raise ValueError(f"A staff rule needs staff roles, not {roles!r}.")
    return _with_rule(Rule(Audience.STAFF, frozenset(roles)))


ALL_STAFF = tuple(sorted(STAFF_ROLES))


def kiosk_device[ViewFunc: Callable[..., Any]](view: ViewFunc) -> ViewFunc:
    return _with_rule(Rule(Audience.KIOSK_DEVICE))(view)


def resident[ViewFunc: Callable[..., Any]](view: ViewFunc) -> ViewFunc:
    return _with_rule(Rule(Audience.RESIDENT, frozenset({Role.RESIDENT})))(view)


def api[ViewFunc: Callable[..., Any]](view: ViewFunc) -> ViewFunc:
    return _with_rule(Rule(Audience.API))(view)


def rule_of(view: Callable[..., Any]) -> Rule | None:
    rule = getattr(view, RULE_ATTRIBUTE, None)
    return rule if isinstance(rule, Rule) else None


def _signed_in(request: HttpRequest) -> User | None:
    user = request.user
    return user if isinstance(user, User) and user.is_active else None


def check_access(request: HttpRequest, rule: Rule | None) -> HttpResponse | None:
    """None when the request may go on; otherwise the response that refuses it."""
    if rule is None:
        # A view nobody wrote a rule for is treated as not there.
        raise Http404
    user = _signed_in(request)
    match rule.audience:
        case Audience.ANYONE | Audience.API:
            return None
        case Audience.STAFF:
            if user is None:
                return redirect_to_login(request.get_full_path(), settings.LOGIN_URL)
            if not user.is_staff_member:
                raise Http404
            if user.role not in rule.roles:
                raise PermissionDenied
            return None
        case Audience.KIOSK_DEVICE:
            if current_kiosk(request) is None:
                raise PermissionDenied("This device is not a registered kiosk.")
            return None
        case Audience.RESIDENT:
            if current_kiosk(request) is None:
                raise Http404
            if user is None or not user.is_resident:
                return redirect("kiosk-sign-in")
            return None


class AccessMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self,
        request: HttpRequest,
        view_func: Callable[..., Any],
        view_args: tuple[Any, ...],
        view_kwargs: dict[str, Any],
    ) -> HttpResponse | None:
        return check_access(request, rule_of(view_func))


def acting_user(request: HttpRequest) -> User:
    """The signed-in user of a view whose rule already let them in."""
    user = _signed_in(request)
    if user is None:
        raise PermissionDenied
    return user
