"""Reads for the capacity pages, beside `selectors.capacity`: what their forms offer, the
record an action names (404 outside the actor's facilities), and the movement
restrictions, which custody records too and so reads from allow-listed fields only (I6).

Nothing here is about a resident's care, so nothing here records a read.
"""

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime

from django.shortcuts import get_object_or_404

from kiteline.accounts.models import Role, User
from kiteline.care.models import Service
from kiteline.facilities.models import Facility, HousingUnit
from kiteline.scheduling.models import (
    AvailabilityException,
    MovementRestriction,
    RestrictionKind,
    Room,
    SessionType,
)
from kiteline.scheduling.problem_source import local_date
from kiteline.scheduling.selectors import LIST_LIMIT, facilities_of, facility_for, minutes_label

SUPERVISING = frozenset({Role.SUPERVISOR})
# Custody knows first when a unit locks down, so they record movement restrictions too.
RECORDING_MOVEMENT = frozenset({Role.SUPERVISOR, Role.CUSTODY})


def supervised_facility(*, actor: User, facility_code: str | None) -> Facility:
    return facility_for(actor=actor, facility_code=facility_code, roles=SUPERVISING)


def _units_of(facility: Facility) -> tuple[tuple[int, str, str], ...]:
    """(id, code, name) of the facility's housing units."""
    return tuple(
        HousingUnit.objects.filter(facility=facility)
        .order_by("code")
        .values_list("pk", "code", "name")
    )


def _labelled(units: tuple[tuple[int, str, str], ...]) -> tuple[tuple[int, str], ...]:
    return tuple((pk, f"{name} ({code})") for pk, code, name in units)


def unit_choices(facility: Facility) -> tuple[tuple[int, str], ...]:
    return _labelled(_units_of(facility))


@dataclass(frozen=True)
class CapacityChoices:
    """What the capacity page's forms offer, each record as (id, label)."""

    facilities: tuple[tuple[str, str], ...]
    units: tuple[tuple[int, str], ...]
    unit_codes: dict[str, int]
    clinicians: tuple[tuple[int, str], ...]
    services: tuple[tuple[int, str], ...]


def capacity_choices(*, actor: User, facility: Facility) -> CapacityChoices:
    units = _units_of(facility)
    clinicians = User.objects.filter(
        role=Role.CLINICIAN, is_active=True, facilities=facility
    ).order_by("username")
    services = Service.objects.filter(facility=facility).order_by("name_en", "pk")
    return CapacityChoices(
        facilities=facilities_of(actor),
        units=_labelled(units),
        unit_codes={code: pk for pk, code, _name in units},
        clinicians=tuple((user.pk, user.get_full_name() or user.username) for user in clinicians),
        services=tuple((service.pk, service.name_en) for service in services),
    )


def units_named(facility: Facility, ids: Collection[int]) -> list[HousingUnit]:
    return list(HousingUnit.objects.filter(facility=facility, pk__in=ids))


def unit_named(facility: Facility, unit_id: int | None) -> HousingUnit | None:
    if unit_id is None:
        return None
    return get_object_or_404(HousingUnit, facility=facility, pk=unit_id)


def clinicians_named(facility: Facility, ids: Collection[int]) -> list[User]:
    return list(User.objects.filter(role=Role.CLINICIAN, facilities=facility, pk__in=ids))


def service_named(facility: Facility, service_id: int | None) -> Service | None:
    if service_id is None:
        return None
    return get_object_or_404(Service, facility=facility, pk=service_id)


def room_for_action(*, actor: User, room_id: int) -> Room:
    return get_object_or_404(
        Room.objects.filter(facility__in=actor.facilities.all()).select_related("facility"),
        pk=room_id,
    )


def session_type_for_action(*, actor: User, session_type_id: int) -> SessionType:
    return get_object_or_404(
        SessionType.objects.filter(facility__in=actor.facilities.all()).select_related("facility"),
        pk=session_type_id,
    )


def clinician_for_action(*, facility: Facility, clinician_id: int) -> User:
    return get_object_or_404(
        User.objects.filter(role=Role.CLINICIAN, facilities=facility), pk=clinician_id
    )


def exception_for_action(*, actor: User, exception_id: int) -> AvailabilityException:
    return get_object_or_404(
        AvailabilityException.objects.filter(facility__in=actor.facilities.all()),
        pk=exception_id,
    )


def restriction_for_action(*, actor: User, restriction_id: int) -> MovementRestriction:
    return get_object_or_404(
        MovementRestriction.objects.filter(facility__in=actor.facilities.all()),
        pk=restriction_id,
    )


# ---- Movement restrictions, for supervisors and custody ----------------------------------


@dataclass(frozen=True)
class RestrictionRow:
    """A movement restriction as custody may read it: every field is allow-listed as
    "movement_restriction" in `accounts/allowlists.py`."""

    restriction_id: int
    date: date
    unit: str | None  # None: the whole facility
    start: str
    end: str
    kind: str


@dataclass(frozen=True)
class RestrictionsPage:
    facility: str
    facility_code: str
    facilities: tuple[tuple[str, str], ...]
    today: date
    units: tuple[tuple[int, str], ...]
    rows: tuple[RestrictionRow, ...]


def restrictions_page(*, actor: User, facility_code: str | None, now: datetime) -> RestrictionsPage:
    """A facility's movement restrictions from its today on, with the units to name."""
    facility = facility_for(actor=actor, facility_code=facility_code, roles=RECORDING_MOVEMENT)
    today = local_date(facility, now)
    kinds = dict(RestrictionKind.choices)
    # Named columns only: who recorded a restriction is not for this page.
    rows = (
        MovementRestriction.objects.filter(facility=facility, date__gte=today)
        .order_by("date", "start_minute", "pk")
        .values("pk", "date", "unit__name", "start_minute", "end_minute", "kind")[:LIST_LIMIT]
    )
    return RestrictionsPage(
        facility=facility.name,
        facility_code=facility.code,
        facilities=facilities_of(actor),
        today=today,
        units=unit_choices(facility),
        rows=tuple(
            RestrictionRow(
                restriction_id=row["pk"],
                date=row["date"],
                unit=row["unit__name"],
                start=minutes_label(row["start_minute"]),
                end=minutes_label(row["end_minute"]),
                kind=str(kinds.get(row["kind"], row["kind"])),
            )
            for row in rows
        ),
    )
