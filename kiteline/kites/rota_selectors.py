"""The on-call rota and the standards in force, for supervisors."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db.models import Prefetch, QuerySet

from kiteline.accounts.models import Role, User
from kiteline.kites.clocks import NCCHC_DEFAULTS
from kiteline.kites.models import (
    OnCallShift,
)
from kiteline.kites.selectors import (
    STANDARD_LABELS,
    local_time,
    staff_name,
)
from kiteline.kites.standards import current_standard

ROTA_DAYS = 14


@dataclass(frozen=True)
class ShiftView:
    clinician: str
    backup: str
    starts_at: datetime
    ends_at: datetime
    on_now: bool


@dataclass(frozen=True)
class FacilityRota:
    facility: str
    time_zone: str
    shifts: tuple[ShiftView, ...]


def on_call_rota(*, actor: User, now: datetime) -> list[FacilityRota]:
    """Each of the actor's facilities with its on-call shifts over the next two weeks."""
    shifts = OnCallShift.objects.filter(
        ends_at__gt=now, starts_at__lt=now + timedelta(days=ROTA_DAYS)
    ).select_related("clinician", "backup")
    facilities = actor.facilities.order_by("name").prefetch_related(
        Prefetch("on_call", shifts.order_by("starts_at", "pk"))
    )
    return [
        FacilityRota(
            facility=facility.name,
            time_zone=facility.time_zone,
            shifts=tuple(
                ShiftView(
                    clinician=staff_name(shift.clinician),
                    backup=staff_name(shift.backup),
                    starts_at=local_time(shift.starts_at, facility.time_zone),
                    ends_at=local_time(shift.ends_at, facility.time_zone),
                    on_now=shift.starts_at <= now < shift.ends_at,
                )
                for shift in facility.on_call.all()
            ),
        )
        for facility in facilities
    ]


def clinicians_in_scope(actor: User) -> QuerySet[User]:
    return (
        User.objects.filter(
            role=Role.CLINICIAN, is_active=True, facilities__in=actor.facilities.all()
        )
        .distinct()
        .order_by("username")
    )


@dataclass(frozen=True)
class StandardView:
    facility: str
    published: bool
    version: int | None
    published_by: str
    published_at: datetime | None
    values: tuple[tuple[str, int], ...]
    holidays: tuple[date, ...]


def standards_in_force(*, actor: User) -> list[StandardView]:
    """The standard in force at each of the actor's facilities, or the NCCHC defaults."""
    views = []
    for facility in actor.facilities.order_by("name"):
        standard = current_standard(facility)
        values = (
            NCCHC_DEFAULTS
            if standard is None
            else {key: getattr(standard, key) for key in NCCHC_DEFAULTS}
        )
        views.append(
            StandardView(
                facility=facility.name,
                published=standard is not None,
                version=None if standard is None else standard.version,
                published_by="" if standard is None else staff_name(standard.published_by),
                published_at=None
                if standard is None
                else local_time(standard.published_at, facility.time_zone),
                values=tuple((str(STANDARD_LABELS[key]), values[key]) for key in NCCHC_DEFAULTS),
                holidays=()
                if standard is None
                else tuple(date.fromisoformat(day) for day in standard.holidays),
            )
        )
    return views
