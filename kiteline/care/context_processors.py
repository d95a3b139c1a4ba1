from django.http import HttpRequest

from kiteline.accounts.models import User
from kiteline.care.resident_selectors import has_decided_decisions


def decisions_decided(request: HttpRequest) -> dict[str, bool]:
    """`decisions_decided` for a signed-in resident: whether a clinician has signed off any
    decision about their care, so that the kiosk's start page can lead to them."""
    user = request.user
    if isinstance(user, User) and user.is_resident and user.person_id is not None:
        return {"decisions_decided": has_decided_decisions(user.person_id)}
    return {"decisions_decided": False}
