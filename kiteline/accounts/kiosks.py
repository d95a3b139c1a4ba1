"""Which registered kiosk, if any, a request comes from.

A supervisor registers a device; the device then holds a long random token in a cookie,
and only the token's SHA-256 is stored.
"""

import hashlib

from django.http import HttpRequest

from kiteline.accounts.models import Kiosk

KIOSK_COOKIE = "kiteline_kiosk"
_CACHE_ATTRIBUTE = "_kiteline_kiosk"


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def current_kiosk(request: HttpRequest) -> Kiosk | None:
    if not hasattr(request, _CACHE_ATTRIBUTE):
        token = request.COOKIES.get(KIOSK_COOKIE)
        kiosk = None
        if token:
            kiosk = (
                Kiosk.objects.select_related("facility")
                .filter(token_hash=hash_token(token), retired_at__isnull=True)
                .first()
            )
        setattr(request, _CACHE_ATTRIBUTE, kiosk)
    kiosk = getattr(request, _CACHE_ATTRIBUTE)
    return kiosk if isinstance(kiosk, Kiosk) else None
