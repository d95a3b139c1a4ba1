"""The downtime packet: what a unit needs on paper when the screens fail."""

from dataclasses import dataclass, fields
from datetime import datetime, timedelta

from django.shortcuts import get_object_or_404

from kiteline.accounts.models import User
from kiteline.audit.recording import record_read
from kiteline.facilities.models import HousingUnit, Placement
from kiteline.kites.models import (
    Clock,
    Status,
    Urgency,
)
from kiteline.kites.notice_selectors import (
    WatchNotice,
    WelfareCheckNotice,
    watch_notices,
    welfare_check_notices,
)
from kiteline.kites.selectors import (
    display_name,
    kites_in_scope,
    local_time,
)

# A downtime packet covers one shift: what falls due in the next twelve hours.
DOWNTIME_HORIZON = timedelta(hours=12)


@dataclass(frozen=True)
class UnitChoice:
    unit_id: int
    name: str
    facility: str


def housing_units(*, actor: User) -> list[UnitChoice]:
    units = HousingUnit.objects.filter(facility__in=actor.facilities.all()).select_related(
        "facility"
    )
    return [
        UnitChoice(unit_id=unit.pk, name=unit.name, facility=unit.facility.name)
        for unit in units.order_by("facility__name", "code")
    ]


@dataclass(frozen=True)
class PacketItem:
    number: str
    resident_number: str
    name: str
    received_at: datetime


@dataclass(frozen=True)
class PacketClock:
    number: str
    resident_number: str
    name: str
    kind: str
    due_at: datetime
    overdue: bool


@dataclass(frozen=True)
class DowntimePacket:
    facility: str
    unit: str
    printed_at: datetime
    covers_until: datetime
    emergent: tuple[PacketItem, ...]
    clocks_due: tuple[PacketClock, ...]
    watches: tuple[WatchNotice, ...]
    checks: tuple[WelfareCheckNotice, ...]


def downtime_packet(*, actor: User, unit_id: int, now: datetime) -> DowntimePacket:
    """What one housing unit needs on paper for the next shift if the screens fail."""
    unit = get_object_or_404(
        HousingUnit.objects.filter(facility__in=actor.facilities.all()).select_related("facility"),
        pk=unit_id,
    )
    zone = unit.facility.time_zone
    housed_here = Placement.objects.filter(
        housing_unit=unit, ended_at__isnull=True, booking__released_at__isnull=True
    ).values("booking_id")
    open_here = kites_in_scope(actor).filter(booking__in=housed_here).exclude(status=Status.CLOSED)
    emergent = open_here.filter(urgency=Urgency.EMERGENT).select_related("person")
    due = (
        Clock.objects.filter(
            kite__in=open_here, met_at__isnull=True, due_at__lte=now + DOWNTIME_HORIZON
        )
        .select_related("kite__person")
        .order_by("due_at", "pk")
    )
    emergent_kites = list(emergent.order_by("received_at", "pk"))
    due_clocks = list(due)
    facilities = actor.facilities.filter(pk=unit.facility_id)
    record_read(
        actor=actor,
        action="downtime_packet.read",
        facility=unit.facility,
        records=[
            f"kite:{pk}"
            for pk in sorted({k.pk for k in emergent_kites} | {c.kite_id for c in due_clocks})
        ],
        fields=[field.name for field in fields(DowntimePacket)],
    )
    return DowntimePacket(
        facility=unit.facility.name,
        unit=unit.name,
        printed_at=local_time(now, zone),
        covers_until=local_time(now + DOWNTIME_HORIZON, zone),
        emergent=tuple(
            PacketItem(
                number=kite.number,
                resident_number=kite.person.resident_number,
                name=display_name(kite.person),
                received_at=local_time(kite.received_at, zone),
            )
            for kite in emergent_kites
        ),
        clocks_due=tuple(
            PacketClock(
                number=clock.kite.number,
                resident_number=clock.kite.person.resident_number,
                name=display_name(clock.kite.person),
                kind=clock.get_kind_display(),
                due_at=local_time(clock.due_at, zone),
                overdue=clock.due_at < now,
            )
            for clock in due_clocks
        ),
        watches=tuple(notice for _pk, notice in watch_notices(facilities, booking__in=housed_here)),
        checks=tuple(welfare_check_notices(facilities, housing_unit=unit)),
    )
