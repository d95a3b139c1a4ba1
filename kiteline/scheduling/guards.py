"""What every scheduling service checks before it writes, and the error it refuses with: who
may act, and where; and the plain values a supervisor types (text, names, codes, windows of
time). Shared by `capacity_services`, `requirement_services` and `services`."""

import re
from collections.abc import Collection

from kiteline.accounts.models import Role, User
from kiteline.facilities.models import Facility
from kiteline.scheduling import problem as core

NOTE_MAX_LENGTH = 2000
NAME_MAX_LENGTH = 100
_CODE = re.compile(r"[a-z0-9_-]{1,32}")


class ScheduleError(ValueError):
    """A scheduling change that cannot be made, with the reason in plain words."""


def require_role(actor: User, roles: Collection[Role], what: str) -> None:
    if not actor.is_staff_member or actor.role not in roles:
        raise ScheduleError(f"Your role cannot {what}.")


def at_facility(actor: User, facility: Facility) -> None:
    if not actor.facilities.filter(pk=facility.pk).exists():
        raise ScheduleError("That is not at your facilities.")


def supervising(actor: User, facility: Facility, what: str) -> None:
    require_role(actor, {Role.SUPERVISOR}, what)
    at_facility(actor, facility)


def clinician_here(clinician: User, facility: Facility) -> None:
    if clinician.role != Role.CLINICIAN or not clinician.facilities.filter(pk=facility.pk).exists():
        raise ScheduleError(f"{clinician.username} is not a clinician at this facility.")


def checked_text(value: str, what: str, *, required: bool = True) -> str:
    if "\x00" in value:
        raise ScheduleError(f"The {what} holds a character that cannot be stored (NUL).")
    value = value.strip()
    if required and not value:
        raise ScheduleError(f"Give the {what}.")
    if len(value) > NOTE_MAX_LENGTH:
        raise ScheduleError(f"The {what} is longer than {NOTE_MAX_LENGTH} characters.")
    return value


def checked_name(value: str, what: str) -> str:
    """A name as stored: trimmed, given, and refused (never cut) when too long."""
    name = checked_text(value, what)
    if len(name) > NAME_MAX_LENGTH:
        raise ScheduleError(f"A {what} is at most {NAME_MAX_LENGTH} characters.")
    return name


def checked_code(code: str, what: str) -> str:
    if not _CODE.fullmatch(code):
        raise ScheduleError(f"A {what} is 1 to 32 lower-case letters, digits, - or _.")
    return code


def checked_window(start: int, end: int, what: str) -> core.Window:
    if not 0 <= start < end <= core.DAY_MINUTES:
        raise ScheduleError(f"The {what} must start before it ends, within one day.")
    return core.Window(start, end)
