"""Session rules: 30 minutes idle and 12 hours in all for staff, 2 minutes idle at a kiosk,
and nothing a signed-in page showed left in the browser's cache."""

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from kiteline.accounts.kiosks import current_kiosk
from kiteline.accounts.models import Role, User

SIGNED_IN_AT = "signed_in_at"


@receiver(user_logged_in)
def remember_sign_in_time(
    sender: object, request: HttpRequest | None, user: User, **_: object
) -> None:
    if request is not None:
        request.session[SIGNED_IN_AT] = int(time.time())


class SessionLimitsMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if isinstance(user, User):
            signed_in_at = request.session.setdefault(SIGNED_IN_AT, int(time.time()))
            if time.time() - signed_in_at > settings.SESSION_ABSOLUTE_SECONDS:
                logout(request)
                return redirect(settings.LOGIN_URL)
            if user.role == Role.RESIDENT:
                # Relative expiry: with SESSION_SAVE_EVERY_REQUEST it slides with each request.
                request.session.set_expiry(settings.KIOSK_IDLE_SECONDS)
        response = self.get_response(request)
        if isinstance(user, User) or current_kiosk(request) is not None:
            # A shared device must not show a signed-in page again from its cache.
            response["Cache-Control"] = "no-store"
        return response
