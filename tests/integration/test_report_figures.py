"""Each dashboard figure against an independent count, in Python, of generated records."""

import random
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from kiteline.accounts.models import Role, User
from kiteline.facilities.models import Facility, HousingUnit
from kiteline.facilities.services import move_housing, release_person, transfer_person
from kiteline.kites.models import Clock, ClockKind, CloseCode, Kite, Route, Status, Urgency
from kiteline.kites.models import Outcome as KiteOutcome
from kiteline.kites.services import close_kite, record_contact, record_paper_kite, triage_kite
from kiteline.reports.equity import ANOTHER, ATTRIBUTES, waits_by_attribute
from kiteline.reports.figures import (
    BY_MONTH,
    BY_PERIOD,
    BY_UNIT,
    CLOSED_UNSEEN,
    CLOSED_UNTRIAGED,
    LATE,
    NOT_YET_DUE,
    ON_TIME,
    OVERDUE,
    CountTable,
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
from kiteline.reports.tables import TOTAL
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
    clinician = staff(Role.CLINICIAN, facility, "fig-clinician")
    kites = []
    for n in range(400):
        received = START - timedelta(days=5) + timedelta(hours=rng.uniform(0, 24 * 100))
        triaged = received + timedelta(hours=rng.choice([2, 10, 23, 30])) if n % 7 else None
        seen = received + timedelta(hours=rng.choice([20, 47, 60])) if n % 3 == 0 else None
        # Closed without a visit, before or after the deadlines, as the services close it.
        closing = received + timedelta(hours=rng.choice([5, 30, 60]))
        closed = closing if n % 5 == 0 and seen is None and closing < NOW else None
        kite = Kite.objects.create(
            person=(booking := rng.choice(bookings)).person,
            booking=booking,
            facility=facility,
            channel=rng.choice(["kiosk", "paper", "voice"]),
            topic=rng.choice(["talk", "therapy", "medication"]),
            received_at=received,
            entered_at=received,
            status=Status.CLOSED if closed or seen else Status.TRIAGED,
            close_code="withdrawn" if closed else "",
            closed_at=closed or seen,
            outcome="resolved" if seen else "",
            # A visit before triage settles triage, by the clinician, deciding no symptom.
            triaged_at=triaged or seen,
            triaged_by=rng.choice(nurses) if triaged else clinician if seen else None,
            symptom_described=bool(n % 4) if triaged else None,
            seen_at=seen,
        )
        # A clock stops at its step, or when the request is closed (kites.services._close).
        Clock.objects.create(
            kite=kite,
            kind=ClockKind.TRIAGE,
            due_at=received + timedelta(hours=24),
            met_at=triaged or seen or closed,
        )
        if n % 2:
            Clock.objects.create(
                kite=kite,
                kind=ClockKind.FACE_TO_FACE,
                due_at=received + timedelta(hours=48),
                met_at=seen or closed,
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


def state(due: datetime, done: datetime | None, closed: datetime | None, first: str) -> str:
    """A deadline judged by the step itself; `first`: closed without it before the deadline."""
    if done is not None:
        return ON_TIME if done <= due else LATE
    if closed is not None:
        return first if closed <= due else OVERDUE
    return OVERDUE if due < NOW else NOT_YET_DUE


@pytest.mark.parametrize("by", [BY_MONTH, BY_UNIT, BY_PERIOD])
@pytest.mark.parametrize(
    ("figure", "kind", "step", "first"),
    [
        (triage_timeliness, ClockKind.TRIAGE, "triaged_at", CLOSED_UNTRIAGED),
        (face_to_face_timeliness, ClockKind.FACE_TO_FACE, "seen_at", CLOSED_UNSEEN),
    ],
)
def test_clock_timeliness_matches_an_independent_count(
    generated: list[Kite],
    facility: Facility,
    by: str,
    figure: Callable[[Scope], CountTable],
    kind: str,
    step: str,
    first: str,
) -> None:
    expected: Counter[tuple[str, str]] = Counter()
    for kite in filter(in_period, generated):
        for clock in kite.clocks.filter(kind=kind):
            done = getattr(kite, step)
            expected[(group_of(kite, by), state(clock.due_at, done, kite.closed_at, first))] += 1
    table = figure(scope(facility, by))
    assert table.counts == dict(expected)
    assert {state for _, state in expected} >= {ON_TIME, LATE, OVERDUE, first}


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


def test_equity_waits_read_every_attribute_in_one_pass(
    generated: list[Kite], facility: Facility, django_assert_num_queries: object
) -> None:
    assert callable(django_assert_num_queries)
    with django_assert_num_queries(1):
        found = waits_by_attribute(scope(facility, BY_PERIOD))
    seen = [k for k in generated if in_period(k) and k.seen_at]
    hours = [(k.seen_at - k.received_at).total_seconds() / 3600 for k in seen]  # type: ignore[operator]
    pair = (round(percentile(hours, 0.5), 1), round(percentile(hours, 0.9), 1))
    assert found["language"] == {"English": pair, "Spanish": None, ANOTHER: None, TOTAL: pair}
    assert found.keys() == {attribute.key for attribute in ATTRIBUTES}
    assert all(waits[TOTAL] == pair for waits in found.values())


def test_each_nurses_no_symptom_triage_is_counted(
    generated: list[Kite], facility: Facility
) -> None:
    # A visit that settled triage decided nothing about a symptom: not a triage decision.
    kites = [k for k in generated if in_period(k) and k.symptom_described is not None]
    expected: Counter[tuple[str, str]] = Counter()
    for kite in kites:
        assert kite.triaged_by is not None
        expected[(kite.triaged_by.username, "triaged")] += 1
        if kite.symptom_described is False:
            expected[(kite.triaged_by.username, "no clinical symptom")] += 1
    table = no_symptom_by_nurse(scope(facility, BY_PERIOD))
    assert {k: v for k, v in table.counts.items() if v} == dict(expected)
    assert "fig-clinician" not in table.rows
    assert table.row_heading == "staff member"


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


# --- Records made through the services ---------------------------------------------------


def around_now(facility: Facility, by: str = BY_PERIOD) -> Scope:
    now = timezone.now()
    return Scope(
        (facility.pk,),
        facility.time_zone,
        now - timedelta(days=5),
        now + timedelta(days=1),
        now,
        by,
    )


def test_closing_a_request_is_neither_triage_nor_a_visit(
    facility: Facility, unit_a: HousingUnit, unit_b: HousingUnit
) -> None:
    """Closing stops a request's clocks; the figures judge the step itself, so a request
    answered in writing was not seen, one closed on release was not triaged, and one
    closed after its deadline stays overdue (I5)."""
    nurse = staff(Role.NURSE, facility, "svc-nurse")
    clinician = staff(Role.CLINICIAN, facility, "svc-clinician")
    now = timezone.now()

    def paper(number: int, hours_ago: int = 0) -> Kite:
        booked_at = now - timedelta(days=10)
        booking = book(unit_a if number % 2 else unit_b, number, booked_at=booked_at)
        return record_paper_kite(
            actor=nurse,
            person=booking.person,
            channel="paper",
            topic="talk",
            text="I can't sleep",
            received_at=now - timedelta(hours=hours_ago),
            backdate_reason="Entered after the downtime." if hours_ago else "",
        ).kite

    def triage(kite: Kite) -> Kite:
        return triage_kite(
            actor=nurse,
            kite=kite,
            urgency=Urgency.ROUTINE,
            symptom_described=True,
            route=Route.MENTAL_HEALTH,
        )

    in_writing = triage(paper(1))
    close_kite(actor=nurse, kite=in_writing, close_code=CloseCode.ANSWERED_IN_WRITING)
    too_late = triage(paper(2, hours_ago=80))
    close_kite(actor=nurse, kite=too_late, close_code=CloseCode.ANSWERED_IN_WRITING)
    released = paper(3)
    release_person(actor=None, booking=released.booking, at=timezone.now())
    seen = triage(paper(4))
    record_contact(
        actor=clinician,
        kite=seen,
        seen_at=timezone.now(),
        place="clinic",
        note="Talked.",
        outcome=KiteOutcome.RESOLVED,
    )
    kites = list(Kite.objects.all())
    assert all(kite.status == Status.CLOSED for kite in kites)
    assert not Clock.objects.filter(met_at__isnull=True).exists()  # closing stopped them all
    for figure, kind, step, first in (
        (triage_timeliness, ClockKind.TRIAGE, "triaged_at", CLOSED_UNTRIAGED),
        (face_to_face_timeliness, ClockKind.FACE_TO_FACE, "seen_at", CLOSED_UNSEEN),
    ):
        expected = Counter(
            ("all", state(clock.due_at, getattr(kite, step), kite.closed_at, first))
            for kite in kites
            for clock in kite.clocks.filter(kind=kind)
        )
        assert figure(around_now(facility)).counts == dict(expected)
    assert face_to_face_timeliness(around_now(facility)).counts == {
        ("all", CLOSED_UNSEEN): 1,
        ("all", OVERDUE): 1,
        ("all", ON_TIME): 1,
    }
    assert triage_timeliness(around_now(facility)).counts == {
        ("all", CLOSED_UNTRIAGED): 1,
        ("all", LATE): 1,
        ("all", ON_TIME): 2,
    }


def test_a_visit_before_triage_is_not_a_no_symptom_decision(
    facility: Facility, unit_a: HousingUnit
) -> None:
    nurse = staff(Role.NURSE, facility, "svc-nurse")
    clinician = staff(Role.CLINICIAN, facility, "svc-clinician")
    for number in (1, 2):
        kite = record_paper_kite(
            actor=nurse,
            person=book(unit_a, number).person,
            channel="paper",
            topic="talk",
            text="Please",
        ).kite
        if number == 1:
            triage_kite(
                actor=nurse,
                kite=kite,
                urgency=Urgency.ROUTINE,
                symptom_described=False,
                route=Route.MENTAL_HEALTH,
            )
        else:
            record_contact(
                actor=clinician,
                kite=kite,
                seen_at=timezone.now(),
                place="clinic",
                note="Talked.",
                outcome=KiteOutcome.RESOLVED,
            )
    assert Kite.objects.get(triaged_by=clinician).symptom_described is None
    table = no_symptom_by_nurse(around_now(facility))
    assert table.counts == {("svc-nurse", "triaged"): 1, ("svc-nurse", "no clinical symptom"): 1}


def test_a_request_carried_by_a_transfer_names_the_sending_facilitys_unit(
    facility: Facility, other_facility: Facility, unit_a: HousingUnit, south_unit: HousingUnit
) -> None:
    nurse = staff(Role.NURSE, facility, "svc-nurse")
    south_nurse = staff(Role.NURSE, other_facility, "svc-south-nurse")
    booking = book(unit_a, 1, booked_at=timezone.now() - timedelta(days=2))
    record_paper_kite(
        actor=nurse, person=booking.person, channel="paper", topic="talk", text="Please"
    )
    transfer_person(actor=None, booking=booking, to_unit=south_unit, at=timezone.now())
    record_paper_kite(
        actor=south_nurse, person=booking.person, channel="paper", topic="therapy", text="Again"
    )
    table = kites_by_topic(around_now(other_facility, BY_UNIT))
    assert table.counts == {
        ("A (north)", "Talk to someone"): 1,
        ("S1", "Therapy"): 1,
    }
    assert table.row_heading == "housing unit"
    assert kites_by_topic(around_now(facility, BY_UNIT)).counts == {}
