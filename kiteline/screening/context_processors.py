from django.http import HttpRequest

from kiteline.accounts.models import User
from kiteline.screening.selectors import own_screens_of


def screens_waiting(request: HttpRequest) -> dict[str, int]:
    """`screens_waiting` for a signed-in resident: how many self-screens a clinician asked
    them to fill in, so the kiosk's start page can offer them."""
    user = request.user
    if isinstance(user, User) and user.is_resident and user.person_id is not None:
        return {"screens_waiting": own_screens_of(user.person_id).count()}
    return {"screens_waiting": 0}
