"""Safety notices: welfare checks and the watch list. Custody get them from allow-listed
fields only, never from a kite (I6); health staff see the same watch list with actions."""

from dataclasses import dataclass, fields
from datetime import datetime

from django.db.models import OuterRef, QuerySet, Subquery
from django.shortcuts import get_object_or_404

from kiteline.accounts.models import HEALTH_ROLES, User
from kiteline.audit.recording import record_read
from kiteline.facilities.models import Booking, Facility, Placement
from kiteline.facilities.selectors import read_chain
from kiteline.kites.models import (
    WatchStatus,
    WelfareCheck,
)
from kiteline.kites.selectors import (
    local_time,
    watch_level_label,
)


@dataclass(frozen=True)
class WelfareCheckNotice:
    """ "Welfare check now": who and where, never why."""

    check_id: int
    resident_number: str
    name: str
    facility: str
    housing_unit: str
    asked_at: datetime


@dataclass(frozen=True)
class WatchNotice:
    """Who is on watch and how often to check: never why."""

    resident_number: str
    name: str
    facility: str
    housing_unit: str | None
    level: str
    check_minutes: int


@dataclass(frozen=True)
class CustodyNotices:
    checks: tuple[WelfareCheckNotice, ...]
    watches: tuple[WatchNotice, ...]


def welfare_check_notices(
    facilities: QuerySet[Facility], **where: object
) -> list[WelfareCheckNotice]:
    # Named columns only: the row's link to its kite is never read for custody.
    rows = (
        WelfareCheck.objects.filter(facility__in=facilities, done_at__isnull=True, **where)
        .order_by("created_at", "pk")
        .values(
            "pk",
            "person__resident_number",
            "person__family_name",
            "person__given_name",
            "facility__name",
            "facility__time_zone",
            "housing_unit__name",
            "created_at",
        )
    )
    return [
        WelfareCheckNotice(
            check_id=row["pk"],
            resident_number=row["person__resident_number"],
            name=f"{row['person__family_name']}, {row['person__given_name']}",
            facility=row["facility__name"],
            housing_unit=row["housing_unit__name"],
            asked_at=local_time(row["created_at"], row["facility__time_zone"]),
        )
        for row in rows
    ]


def watch_notices(facilities: QuerySet[Facility], **where: object) -> list[tuple[int, WatchNotice]]:
    housing = Placement.objects.filter(booking=OuterRef("booking"), ended_at__isnull=True)
    rows = (
        WatchStatus.objects.filter(
            booking__facility__in=facilities,
            booking__released_at__isnull=True,
            cleared_at__isnull=True,
            **where,
        )
        .annotate(unit=Subquery(housing.values("housing_unit__name")[:1]))
        .order_by("unit", "booking__person__family_name", "pk")
        .values(
            "pk",
            "booking__person__resident_number",
            "booking__person__family_name",
            "booking__person__given_name",
            "booking__facility__name",
            "unit",
            "level",
            "check_minutes",
        )
    )
    return [
        (
            row["pk"],
            WatchNotice(
                resident_number=row["booking__person__resident_number"],
                name=f"{row['booking__person__family_name']}, {row['booking__person__given_name']}",
                facility=row["booking__facility__name"],
                housing_unit=row["unit"],
                level=watch_level_label(row["level"]),
                check_minutes=row["check_minutes"],
            ),
        )
        for row in rows
    ]


def custody_notices(*, actor: User) -> CustodyNotices:
    """Open welfare checks and the watch list of the actor's facilities."""
    facilities = actor.facilities.all()
    checks = welfare_check_notices(facilities)
    watches = watch_notices(facilities)
    record_read(
        actor=actor,
        action="custody_notices.read",
        facility=read_chain(actor, set()),
        records=[
            *(f"welfare_check:{check.check_id}" for check in checks),
            *(f"watch:{pk}" for pk, _notice in watches),
        ],
        fields=sorted(
            {field.name for field in fields(WelfareCheckNotice)}
            | {field.name for field in fields(WatchNotice)}
        ),
    )
    return CustodyNotices(checks=tuple(checks), watches=tuple(notice for _pk, notice in watches))


def welfare_check_for_action(*, actor: User, check_id: int) -> WelfareCheck:
    return get_object_or_404(
        WelfareCheck.objects.filter(facility__in=actor.facilities.all()), pk=check_id
    )


# ---- The watch list, for health staff --------------------------------------------------


@dataclass(frozen=True)
class WatchRow:
    watch_id: int
    notice: WatchNotice


def watch_list(*, actor: User) -> list[WatchRow]:
    if actor.role not in HEALTH_ROLES:
        return []
    rows = [
        WatchRow(watch_id=pk, notice=notice) for pk, notice in watch_notices(actor.facilities.all())
    ]
    record_read(
        actor=actor,
        action="watch.read",
        facility=read_chain(actor, set()),
        records=[f"watch:{row.watch_id}" for row in rows],
        fields=[field.name for field in fields(WatchNotice)],
    )
    return rows


def watch_for_action(*, actor: User, watch_id: int) -> WatchStatus:
    return get_object_or_404(
        WatchStatus.objects.filter(booking__facility__in=actor.facilities.all()), pk=watch_id
    )


def open_booking_for(*, actor: User, resident_number: str) -> Booking:
    """The person's current stay at one of the actor's facilities, or 404."""
    return get_object_or_404(
        Booking.objects.filter(facility__in=actor.facilities.all(), released_at__isnull=True),
        person__resident_number=resident_number.strip().upper(),
    )
