from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from kiteline.accounts.models import STAFF_ROLES, Kiosk, ResidentPin, User
from kiteline.facilities.models import Facility, Person


def staff_in_scope(actor: User) -> QuerySet[User]:
    """Staff accounts that work at one of the actor's facilities; the services decide which
    of them the actor may change."""
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


def kiosks_in_scope(actor: User) -> QuerySet[Kiosk]:
    """The kiosks in use at the actor's facilities."""
    return (
        Kiosk.objects.filter(facility__in=actor.facilities.all(), retired_at__isnull=True)
        .select_related("facility", "registered_by")
        .order_by("facility__name", "name")
    )


def must_choose_pin(person: Person) -> bool:
    """True while the resident still holds a PIN that staff issued."""
    return ResidentPin.objects.filter(person=person, must_change=True).exists()
