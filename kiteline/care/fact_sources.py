"""The facts a policy reads, gathered from the records for many stays at once: a fixed
number of queries whatever the number of people, so a what-if over a whole state system
builds each person's facts once (docs/policies.md lists every fact).

A fact the records cannot give is left out (missing), never guessed: no recorded release
date means no `days_to_release`, no complete PHQ-9 means no `phq9_total` (I9)."""

from collections import defaultdict
from datetime import date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from django.db.models import Count, QuerySet

from kiteline.care.facts import FactError, Facts, check_facts
from kiteline.care.models import (
    DEFAULT_SCHEME,
    AppealOutcome,
    CareSettings,
    Decision,
    LevelAssignment,
    Outcome,
)
from kiteline.facilities.models import Booking
from kiteline.kites.models import Kite, Status, Urgency, WatchStatus
from kiteline.screening.models import Administration

# Instrument definition keys → the fact prefix each fills.
SCREENS = {"phq9-v1": "phq9", "gad7-v1": "gad7", "pcl5-v1": "pcl5", "cssrs-screener-v1": "cssrs"}
CRISIS_DAYS = 30
OPEN_KITES = (Status.RECEIVED, Status.TRIAGED)


def _local_day(moment: datetime, zone: ZoneInfo) -> date:
    return moment.astimezone(zone).date()


@lru_cache(maxsize=1024)
def _language(tag: str) -> str | None:
    """The person's language as a fact ("EN" recorded by hand is "en"), or missing when what
    is recorded is not a language tag ("English"): not knowable, never a crash."""
    primary, dash, rest = tag.strip().replace("_", "-").partition("-")
    tag = primary.lower() + dash + rest
    try:
        check_facts({"language": tag})
    except FactError:
        return None
    return tag


def _cssrs_risk(flags: list[str]) -> str:
    if "cssrs-imminent" in flags:
        return "imminent"
    return "refer" if "cssrs-refer" in flags else "none"


def raw_facts_for(bookings: QuerySet[Booking], now: datetime) -> dict[int, dict[str, object]]:
    """Booking id → the raw facts of that stay's person, as `check_facts` takes them."""
    # Five columns as plain tuples: model rows cost seven times as much at a state's size.
    rows = list(
        bookings.values_list(
            "pk", "person_id", "booked_at", "person__language", "facility__time_zone"
        )
    )
    # Subqueries, not lists of ids: a whole system's stays would pass any parameter limit.
    ids = bookings.values("pk")
    people = bookings.values("person_id")
    zone_of: dict[str, ZoneInfo] = {}
    zones: dict[int, ZoneInfo] = {}
    facts: dict[int, dict[str, object]] = {}
    by_person: dict[int, list[int]] = defaultdict(list)
    for booking_id, person_id, booked_at, language, time_zone in rows:
        zone = zones[booking_id] = zone_of.setdefault(time_zone, ZoneInfo(time_zone))
        today = _local_day(now, zone)
        facts[booking_id] = {
            "language": _language(language),
            # Booking day is day one.
            "days_since_booking": max(1, (today - _local_day(booked_at, zone)).days + 1),
            "open_kites": 0,
            "crises_past_30_days": 0,
            "on_watch": False,
            "current_services": [],
            "earlier_decisions": [],
        }
        by_person[person_id].append(booking_id)

    for booking_id, level in _current_levels(bookings):
        facts[booking_id]["level_of_care"] = level
    for person_id, instrument, total, flags, submitted_at in _latest_screens(bookings):
        prefix = SCREENS[instrument]
        for booking_id in by_person[person_id]:
            day = _local_day(submitted_at, zones[booking_id])
            target = facts[booking_id]
            target[f"{prefix}_date"] = day
            target[f"days_since_{prefix}"] = max(0, (_local_day(now, zones[booking_id]) - day).days)
            if prefix == "cssrs":
                target["cssrs_risk"] = _cssrs_risk(flags)
            else:
                target[f"{prefix}_total"] = total
    for booking_id, count in (
        Kite.objects.filter(booking_id__in=ids, status__in=OPEN_KITES)
        .values_list("booking_id")
        .annotate(n=Count("pk"))
    ):
        facts[booking_id]["open_kites"] = count
    since = now - timedelta(days=CRISIS_DAYS)
    for person_id, count in (
        Kite.objects.filter(person_id__in=people, urgency=Urgency.EMERGENT, received_at__gte=since)
        .values_list("person_id")
        .annotate(n=Count("pk"))
    ):
        for booking_id in by_person[person_id]:
            facts[booking_id]["crises_past_30_days"] = count
    for booking_id in WatchStatus.objects.filter(
        booking_id__in=ids, cleared_at__isnull=True
    ).values_list("booking_id", flat=True):
        facts[booking_id]["on_watch"] = True
    for booking_id, decisions, services in _decisions(bookings, now):
        facts[booking_id]["earlier_decisions"] = decisions
        facts[booking_id]["current_services"] = services
    return facts


def facts_for(booking: Booking, now: datetime) -> Facts:
    return check_facts(raw_facts_for(Booking.objects.filter(pk=booking.pk), now)[booking.pk])


def _current_levels(bookings: QuerySet[Booking]) -> list[tuple[int, str]]:
    """Each stay's latest level, when it belongs to the scheme of the facility holding the
    stay now. A level from another scheme (set before a transfer, or before the facility
    changed scheme) means nothing to this facility's policies: it is missing, so the
    policy asks a clinician (I9), never a "no" read from a foreign code."""
    schemes = dict(CareSettings.objects.values_list("facility_id", "scheme"))
    seen: set[int] = set()
    current = []
    for booking_id, level, scheme, facility_id in (
        LevelAssignment.objects.filter(booking_id__in=bookings.values("pk"))
        .order_by("booking_id", "-assigned_at", "-pk")
        .values_list("booking_id", "level", "scheme", "booking__facility_id")
    ):
        if booking_id not in seen:
            seen.add(booking_id)
            if scheme == schemes.get(facility_id, DEFAULT_SCHEME):
                current.append((booking_id, level))
    return current


def _latest_screens(
    bookings: QuerySet[Booking],
) -> list[tuple[int, str, int | None, list[str], datetime]]:
    """Each person's latest complete screen of each instrument, across their stays."""
    seen: set[tuple[int, str]] = set()
    latest = []
    for person_id, instrument, total, flags, submitted_at in (
        Administration.objects.filter(
            person_id__in=bookings.values("person_id"),
            complete=True,
            submitted_at__isnull=False,
            instrument__in=list(SCREENS),
        )
        .order_by("person_id", "instrument", "-submitted_at", "-pk")
        .values_list("person_id", "instrument", "total", "flags", "submitted_at")
    ):
        if (person_id, instrument) not in seen and submitted_at is not None:
            seen.add((person_id, instrument))
            latest.append((person_id, instrument, total, flags, submitted_at))
    return latest


def _decisions(
    bookings: QuerySet[Booking], now: datetime
) -> list[tuple[int, list[dict[str, object]], list[str]]]:
    """Each stay's signed-off decisions (an overturned appeal makes one eligible), and the
    services it receives now: those whose latest decision is eligible."""
    decided: dict[int, list[tuple[datetime, str, str]]] = defaultdict(list)
    for booking_id, service, outcome, decided_at, appeal in (
        Decision.objects.filter(booking_id__in=bookings.values("pk"), decided_at__isnull=False)
        .order_by("decided_at", "pk")
        .values_list("booking_id", "service__code", "outcome", "decided_at", "appeal__outcome")
    ):
        if appeal == AppealOutcome.OVERTURNED:
            outcome = Outcome.ELIGIBLE
        if decided_at is not None:
            decided[booking_id].append((decided_at, service, outcome))
    result = []
    for booking_id, rows in decided.items():
        latest = {service: outcome for _, service, outcome in rows}
        result.append(
            (
                booking_id,
                [
                    {"service": service, "outcome": outcome, "days_ago": max(0, (now - at).days)}
                    for at, service, outcome in rows
                ],
                sorted(s for s, outcome in latest.items() if outcome == Outcome.ELIGIBLE),
            )
        )
    return result
