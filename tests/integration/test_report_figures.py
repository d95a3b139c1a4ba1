"""Each dashboard figure against an independent count, in Python, of generated records."""

import random
from collections import Counter
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from kiteline.accounts.models import Role, User
from kiteline.facilities.models import Facility, HousingUnit
from kiteline.facilities.services import move_housing
from kiteline.kites.models import Clock, ClockKind, Kite, Status
from kiteline.reports.figures import (
    BY_MONTH,
    BY_PERIOD,
    BY_UNIT,
    LATE,
    NOT_YET_DUE,
    ON_TIME,
    OVERDUE,
    Scope,
    closed_unseen,
    face_to_face_timeliness,
    kites_by_channel,
    kites_by_topic,
    no_symptom_by_nurse,
    triage_timeliness,
    waits,
)
from kiteline.reports.stats import percentile
from tests.integration.care_world import book, staff

START = datetime(2026, 4, 1, 5, 0, tzinfo=UTC)  # midnight in Chicago
END = datetime(2026, 7, 1, 5, 0, tzinfo=UTC)
NOW = datetime(2026, 6, 29, 12, 0, tzinfo=UTC)
CHICAGO = ZoneInfo("America/Chicago")


@pytest.fixture
def generated(facility: Facility, unit_a: HousingUnit, unit_b: HousingUnit) -> list[Kite]:
    """Requests over three months and a little beyond, from people in two units (some
    moved between them), with clocks met early, late, or not at all."""
    rng = random.Random(4)  # noqa: S311 -- synthetic test data, reproducible
    nurses = [staff(Role.NURSE, facility, f"fig-nurse-{n}") for n in range(2)]
    bookings = [
        book(unit_a if n % 2 else unit_b, n, booked_at=START - timedelta(days=30))
        for n in range(1, 13)
    ]
    # Two people move on 15 May: their earlier requests count in the old unit.
    for booking in bookings[:2]:
        move_housing(
            actor=None,
            booking=booking,
            to_unit=unit_a if booking.placements.get().housing_unit == unit_b else unit_b,
            at=datetime(2026, 5, 15, 12, tzinfo=UTC),
        )
    kites = []
    for n in range(400):
        received = START - timedelta(days=5) + timedelta(hours=rng.uniform(0, 24 * 100))
        triaged = received + timedelta(hours=rng.choice([2, 10, 23, 30])) if n % 7 else None
        seen = received + timedelta(hours=rng.choice([20, 47, 60])) if n % 3 == 0 else None
        kite = Kite.objects.create(
            person=(booking := rng.choice(bookings)).person,
            booking=booking,
            facility=facility,
            channel=rng.choice(["kiosk", "paper", "voice"]),
            topic=rng.choice(["talk", "therapy", "medication"]),
            received_at=received,
            entered_at=received,
            status=Status.CLOSED if n % 5 == 0 else Status.TRIAGED,
            close_code="withdrawn" if n % 5 == 0 else "",
            outcome="",
            triaged_at=triaged,
            triaged_by=rng.choice(nurses) if triaged else None,
            symptom_described=bool(n % 4) if triaged else None,
            seen_at=seen,
        )
        Clock.objects.create(
            kite=kite, kind=ClockKind.TRIAGE, due_at=received + timedelta(hours=24), met_at=triaged
        )
        if n % 2:
            Clock.objects.create(
                kite=kite,
                kind=ClockKind.FACE_TO_FACE,
                due_at=received + timedelta(hours=48),
                met_at=seen,
            )
        kites.append(kite)
    return kites


def scope(facility: Facility, by: str) -> Scope:
    return Scope((facility.pk,), "America/Chicago", START, END, NOW, by)


def in_period(kite: Kite) -> bool:
    return START <= kite.received_at < END


def group_of(kite: Kite, by: str) -> str:
    if by == BY_MONTH:
        return kite.received_at.astimezone(CHICAGO).strftime("%Y-%m")
    if by == BY_UNIT:
        placement = next(
            p
            for p in kite.booking.placements.all()
            if p.started_at <= kite.received_at
            and (p.ended_at is None or p.ended_at > kite.received_at)
        )
        return placement.housing_unit.code
    return "all"


def state(due: datetime, met: datetime | None) -> str:
    if met is not None:
        return ON_TIME if met <= due else LATE
    return OVERDUE if due < NOW else NOT_YET_DUE


@pytest.mark.parametrize("by", [BY_MONTH, BY_UNIT, BY_PERIOD])
@pytest.mark.parametrize(
    ("figure", "kind"),
    [(triage_timeliness, ClockKind.TRIAGE), (face_to_face_timeliness, ClockKind.FACE_TO_FACE)],
)
def test_clock_timeliness_matches_an_independent_count(
    generated: list[Kite], facility: Facility, by: str, figure: object, kind: str
) -> None:
    expected: Counter[tuple[str, str]] = Counter()
    for kite in filter(in_period, generated):
        for clock in kite.clocks.filter(kind=kind):
            expected[(group_of(kite, by), state(clock.due_at, clock.met_at))] += 1
    assert callable(figure)
    table = figure(scope(facility, by))
    assert table.counts == dict(expected)
    assert sum(expected.values()) > 50


@pytest.mark.parametrize("by", [BY_MONTH, BY_UNIT])
def test_requests_by_topic_channel_and_closed_unseen_match(
    generated: list[Kite], facility: Facility, by: str
) -> None:
    kites = list(filter(in_period, generated))
    labels = {"talk": "Talk to someone", "therapy": "Therapy", "medication": "Medication"}
    topics = Counter((group_of(k, by), labels[k.topic]) for k in kites)
    assert kites_by_topic(scope(facility, by)).counts == dict(topics)
    channels = Counter((group_of(k, by), k.get_channel_display()) for k in kites)
    assert kites_by_channel(scope(facility, by)).counts == dict(channels)
    unseen = Counter(
        (group_of(k, by), "Withdrawn by the resident")
        for k in kites
        if k.status == Status.CLOSED and k.seen_at is None
    )
    assert closed_unseen(scope(facility, by)).counts == dict(unseen)


def test_months_are_counted_in_the_facilitys_time_zone(
    facility: Facility, unit_a: HousingUnit
) -> None:
    booking = book(unit_a, 1, booked_at=START - timedelta(days=3))
    # 03:00 UTC on 1 May is still 30 April in Chicago.
    received = datetime(2026, 5, 1, 3, 0, tzinfo=UTC)
    Kite.objects.create(
        person=booking.person,
        booking=booking,
        facility=facility,
        channel="kiosk",
        topic="talk",
        received_at=received,
        entered_at=received,
    )
    table = kites_by_topic(scope(facility, BY_MONTH))
    assert table.rows == ("2026-04", "2026-05", "2026-06")
    assert table.counts == {("2026-04", "Talk to someone"): 1}


def test_waits_match_and_hide_small_groups(generated: list[Kite], facility: Facility) -> None:
    kites = [k for k in generated if in_period(k)]
    rows = {row.group: row for row in waits(scope(facility, BY_UNIT))}
    for unit in ("A", "B"):
        mine = [k for k in kites if group_of(k, BY_UNIT) == unit and k.triaged_at]
        hours = [(k.triaged_at - k.received_at).total_seconds() / 3600 for k in mine]  # type: ignore[operator]
        assert rows[unit].triaged == len(hours)
        assert rows[unit].triage == (
            round(percentile(hours, 0.5), 1),
            round(percentile(hours, 0.9), 1),
        )
    one_month = Scope((facility.pk,), "America/Chicago", START, START + timedelta(days=1), NOW)
    assert all(row.triage is None for row in waits(one_month))


def test_each_nurses_no_symptom_triage_is_counted(
    generated: list[Kite], facility: Facility
) -> None:
    kites = [k for k in generated if in_period(k) and k.triaged_by_id]
    expected: Counter[tuple[str, str]] = Counter()
    for kite in kites:
        assert kite.triaged_by is not None
        expected[(kite.triaged_by.username, "triaged")] += 1
        if kite.symptom_described is False:
            expected[(kite.triaged_by.username, "no clinical symptom")] += 1
    table = no_symptom_by_nurse(scope(facility, BY_PERIOD))
    assert {k: v for k, v in table.counts.items() if v} == dict(expected)


def test_a_figure_reads_its_counts_in_one_query(
    generated: list[Kite], facility: Facility, django_assert_num_queries: object
) -> None:
    assert callable(django_assert_num_queries)
    with django_assert_num_queries(1):
        triage_timeliness(scope(facility, BY_UNIT))


def test_another_facilitys_requests_are_not_counted(
    generated: list[Kite], other_facility: Facility
) -> None:
    table = triage_timeliness(scope(other_facility, BY_PERIOD))
    assert table.total == 0
    assert timezone.is_aware(NOW)
    assert User.objects.filter(role=Role.NURSE).count() == 2
