"""Who may open which page. The accounts issue grows this into the one place that decides."""

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest

from kiteline.accounts.models import User


def require_staff(request: HttpRequest) -> User:
    """The signed-in staff member making the request; anyone else is refused."""
    user = request.user
    if not isinstance(user, User) or not user.is_staff_member:
        raise PermissionDenied
    return user
