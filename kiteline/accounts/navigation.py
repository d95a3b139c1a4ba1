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
    ("kite-queue", _("Triage")),
    ("kite-new", _("Enter a request")),
    ("screening-evaluations", _("Evaluations")),
    ("care-referred", _("Referred for a decision")),
    ("care-appeals", _("Appeals")),
    ("scheduling-appointments", _("Appointments")),
    ("scheduling-requirements", _("Waitlist")),
    ("scheduling-schedules", _("Schedules")),
    ("policy-drafts", _("Draft policies")),
    ("kite-alerts", _("Alerts")),
    ("kite-custody", _("Custody notices")),
    ("scheduling-escorts", _("Escort list")),
    ("kite-on-call", _("On call")),
    ("kite-phrases", _("Crisis phrases")),
    ("care-settings", _("Care settings")),
    ("scheduling-capacity", _("Capacity")),
    ("scheduling-restrictions", _("Movement")),
    ("policy-list", _("Policies")),
    ("kite-downtime", _("Downtime")),
    ("staff-users", _("Users")),
    ("kiosk-devices", _("Kiosks")),
    ("reports-dashboard", _("Compliance")),
    ("reports-equity", _("Equity")),
    ("reports-public", _("Public report")),
    ("audit-log", _("Audit log")),
    ("reports-samples", _("Case review")),
)


@dataclass(frozen=True)
class MenuItem:
    url: str
    label: str


def may_open(user: User, url: str) -> bool:
    """Whether the access rule of the page at `url` lets this staff member in."""
    rule = rule_of(resolve(url).func)
    return rule is not None and rule.audience == Audience.STAFF and user.role in rule.roles


def menu_for(user: User) -> list[MenuItem]:
    return [
        MenuItem(url=url, label=str(label))
        for url_name, label in STAFF_MENU
        if may_open(user, url := reverse(url_name))
    ]


def staff_menu(request: HttpRequest) -> dict[str, list[MenuItem]]:
    """Template context processor: `staff_menu` for signed-in staff."""
    user = request.user
    if isinstance(user, User) and user.is_staff_member:
        return {"staff_menu": menu_for(user)}
    return {"staff_menu": []}
