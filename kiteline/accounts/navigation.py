"""The staff menu, built from the access rules so that it never offers a page the user
cannot open."""

from dataclasses import dataclass

from django.http import HttpRequest
from django.urls import resolve, reverse
from django.utils.translation import gettext_lazy as _

from kiteline.accounts.authz import Audience, rule_of
from kiteline.accounts.models import User

# (URL name, label), in menu order.
STAFF_MENU = (
    ("roster", _("Roster")),
    ("staff-users", _("Users")),
)


@dataclass(frozen=True)
class MenuItem:
    url: str
    label: str


def menu_for(user: User) -> list[MenuItem]:
    items = []
    for url_name, label in STAFF_MENU:
        url = reverse(url_name)
        rule = rule_of(resolve(url).func)
        if rule is not None and rule.audience == Audience.STAFF and user.role in rule.roles:
            items.append(MenuItem(url=url, label=str(label)))
    return items


def staff_menu(request: HttpRequest) -> dict[str, list[MenuItem]]:
    """Template context processor: `staff_menu` for signed-in staff."""
    user = request.user
    if isinstance(user, User) and user.is_staff_member:
        return {"staff_menu": menu_for(user)}
    return {"staff_menu": []}
