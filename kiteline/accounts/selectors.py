from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from kiteline.accounts.models import STAFF_ROLES, User
from kiteline.facilities.models import Facility


def staff_in_scope(actor: User) -> QuerySet[User]:
    """Staff accounts that work at one of the actor's facilities."""
    return (
        User.objects.filter(role__in=STAFF_ROLES, facilities__in=actor.facilities.all())
        .distinct()
        .prefetch_related("facilities")
        .order_by("username")
    )


def staff_member(*, actor: User, user_id: int) -> User:
    return get_object_or_404(staff_in_scope(actor), pk=user_id)


def facilities_of(actor: User) -> QuerySet[Facility]:
    return actor.facilities.order_by("name")
