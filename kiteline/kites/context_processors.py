from django.http import HttpRequest
from django.utils import timezone

from kiteline.accounts.models import User
from kiteline.kites.sweep import heartbeat_is_stale


def sweep_banner(request: HttpRequest) -> dict[str, bool]:
    """`sweep_stale` for signed-in staff: true when the sweep has stopped beating, so that
    nobody trusts a clock or an alert that no one is checking."""
    user = request.user
    if isinstance(user, User) and user.is_staff_member:
        return {"sweep_stale": heartbeat_is_stale(timezone.now())}
    return {"sweep_stale": False}
