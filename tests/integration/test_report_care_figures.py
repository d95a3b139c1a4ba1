"""The decision, appeal, denial and equity figures against an independent count of records
made through the care services."""

import random
import re
from collections import Counter
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from kiteline.accounts.models import Role, User
from kiteline.care.models import Appeal, AppealOutcome, Decision, Outcome
from kiteline.care.services import (
    confirm_decision,
    decide_appeal,
    file_appeal,
    override_decision,
    request_decision,
)
from kiteline.facilities.models import Facility, HousingUnit
from kiteline.facilities.services import release_person, transfer_person
from kiteline.reports.equity import ANOTHER, ATTRIBUTES, MEASURES, equity_figure
from kiteline.reports.equity_view import equity_page
from kiteline.reports.figures import (
    BY_FACILITY,
    BY_PERIOD,
    CLOSED_ON_RELEASE,
    NOT_YET_DUE,
    OVERDUE,
    RELEASED_FIRST,
    Scope,
    appeals,
    decisions_by_outcome,
    denials_by_reason,
    e05_screening,
    evaluations_by_urgency,
    overrides_by_reason,
    scope_for,
)
from kiteline.reports.periods import quarter_of, year
from kiteline.screening.evaluation_services import (
    open_evaluation,
    open_screening_duties,
    record_overdue_evaluations,
)
from kiteline.screening.models import Evaluation, EvaluationKind, EvaluationReason
from tests.integration.care_world import book, publish, service_of, staff, therapy_policy


@pytest.fixture
def decided(facility: Facility, unit_a: HousingUnit) -> list[Decision]:
    """Twenty decisions on a therapy policy nobody meets (more than 1,000 days held), each
    confirmed, or overridden to eligible with a reason drawn at random; some of the denials
    appealed, and some of those decided either way."""
    rng = random.Random(11)  # noqa: S311 -- synthetic test data, reproducible
    supervisor = staff(Role.SUPERVISOR, facility, "care-fig-supervisor")
    clinician = staff(Role.CLINICIAN, facility, "care-fig-clinician")
    reviewer = staff(Role.CLINICIAN, facility, "care-fig-reviewer")
    therapy = service_of(supervisor, facility)
    publish(supervisor, therapy, therapy_policy(expression="days_since_booking > 1000"))
    decisions = []
    for n in range(1, 21):
        booking = book(unit_a, n, language="es" if n % 3 == 0 else "en")
        decision = request_decision(actor=clinician, person=booking.person, service=therapy)
        if decision.proposed == Outcome.CLINICIAN_REVIEW or n % 4 == 0:
            decision = override_decision(
                actor=clinician,
                decision=decision,
                outcome=Outcome.ELIGIBLE,
                reason=rng.choice(["clinical_judgement", "safety", "new_information"]),
                text="Seen in person.",
            )
        else:
            decision = confirm_decision(actor=clinician, decision=decision)
        if decision.outcome == Outcome.NOT_ELIGIBLE and n % 2:
            appeal = file_appeal(actor=clinician, decision=decision, text="I need it.")
            if n % 3:
                decide_appeal(
                    actor=reviewer,
                    appeal=appeal,
                    outcome=rng.choice([AppealOutcome.UPHELD, AppealOutcome.OVERTURNED]),
                    reason="Read the record again.",
                )
        decisions.append(decision)
    return decisions


def scope(facility: Facility) -> Scope:
    now = timezone.now()
    return Scope((facility.pk,), facility.time_zone, now - timedelta(days=1), now, now, BY_PERIOD)


def test_decisions_overrides_and_appeals_match_an_independent_count(
    decided: list[Decision], facility: Facility
) -> None:
    rows = list(Decision.objects.all())
    outcomes = Counter(
        (
            "all",
            ("eligible" if d.outcome == Outcome.ELIGIBLE else "not eligible")
            + (", overridden" if d.override_reason else " as proposed"),
        )
        for d in rows
    )
    assert decisions_by_outcome(scope(facility)).counts == dict(outcomes)
    reasons = Counter(("all", d.get_override_reason_display()) for d in rows if d.override_reason)
    assert overrides_by_reason(scope(facility)).counts == dict(reasons)
    states = Counter(
        ("all", {"upheld": "upheld", "overturned": "overturned"}.get(a.outcome, "not decided yet"))
        for a in Appeal.objects.all()
    )
    assert appeals(scope(facility)).counts == dict(states)
    assert sum(states.values()) > 2


def test_denials_count_each_criterion_not_met_or_the_override(
    decided: list[Decision], facility: Facility
) -> None:
    """Denied as in the equity figures: not eligible, and not overturned on appeal."""
    expected: Counter[tuple[str, str]] = Counter()
    overturned = 0
    for d in Decision.objects.filter(outcome=Outcome.NOT_ELIGIBLE).select_related("service"):
        if Appeal.objects.filter(decision=d, outcome=AppealOutcome.OVERTURNED).exists():
            overturned += 1
            continue
        if d.override_reason:
            expected[(d.service.name_en, f"override: {d.get_override_reason_display()}")] += 1
        else:
            for reason in d.record["reasons"]:
                if reason["status"] == "not_met":
                    expected[(d.service.name_en, f"criterion {reason['criterion']}")] += 1
    with CaptureQueriesContext(connection) as queries:
        table = denials_by_reason(scope(facility))
    assert table.counts == dict(expected)
    assert expected
    assert overturned
    assert table.row_heading == "service"
    # Each denial's cited reasons, never the facts or the evidence the policy read.
    (sql,) = [q["sql"] for q in queries.captured_queries]
    assert '"facts"' not in sql
    reads = re.findall(r'"care_decision"\."record"(.{0,16})', sql)
    assert reads
    assert all("reasons" in key for key in reads)


def test_equity_counts_follow_each_persons_recorded_language_and_denial(
    decided: list[Decision], facility: Facility
) -> None:
    language = next(a for a in ATTRIBUTES if a.key == "language")
    by_measure = {m.key: m for m in MEASURES}
    decisions = equity_figure(scope(facility), by_measure["decisions"], language)
    expected = Counter(
        ("all", "Spanish" if d.person.language == "es" else "English")
        for d in Decision.objects.select_related("person")
    )
    assert decisions.counts == dict(expected)
    denials = equity_figure(scope(facility), by_measure["denials"], language)
    denied = [
        d
        for d in Decision.objects.select_related("person")
        if d.outcome == Outcome.NOT_ELIGIBLE
        and not Appeal.objects.filter(decision=d, outcome=AppealOutcome.OVERTURNED).exists()
    ]
    assert denials.total == len(denied)
    assert ANOTHER in decisions.columns
    assert User.objects.filter(role=Role.CLINICIAN).count() == 2


def test_an_open_appeal_carried_by_a_transfer_counts_at_the_receiving_facility(
    facility: Facility, other_facility: Facility, unit_a: HousingUnit, south_unit: HousingUnit
) -> None:
    """The appeal moves with the stay; the decision it appeals stays where it was made. Both
    the appeals figure and the equity figures count it where it is filtered: at the
    facility responsible for the appeal."""
    supervisor = staff(Role.SUPERVISOR, facility, "moving-supervisor")
    clinician = staff(Role.CLINICIAN, facility, "moving-clinician")
    therapy = service_of(supervisor, facility)
    publish(supervisor, therapy, therapy_policy(expression="days_since_booking > 1000"))
    booking = book(unit_a, 1)
    decision = confirm_decision(
        actor=clinician,
        decision=request_decision(actor=clinician, person=booking.person, service=therapy),
    )
    file_appeal(actor=clinician, decision=decision, text="Please.")
    transfer_person(actor=None, booking=booking, to_unit=south_unit, at=timezone.now())
    appeal = Appeal.objects.select_related("facility", "decision__facility").get()
    assert (appeal.facility, appeal.decision.facility) == (other_facility, facility)
    now = timezone.now()
    both = scope_for([facility, other_facility], year(now.year), BY_FACILITY, now)
    expected = Counter((a.facility.code, "not decided yet") for a in Appeal.objects.all())
    assert appeals(both).counts == dict(expected) == {("south", "not decided yet"): 1}
    measure = next(m for m in MEASURES if m.key == "appeals")
    language = next(a for a in ATTRIBUTES if a.key == "language")
    assert equity_figure(both, measure, language).counts == {("south", "English"): 1}
    # The receiving facility's equity page for the quarter, read once it has ended.
    auditor = staff(Role.AUDITOR, other_facility, "moving-auditor")
    quarter = quarter_of(now.astimezone(ZoneInfo(other_facility.time_zone)).date())
    page = equity_page(
        actor=auditor,
        facility_code=other_facility.code,
        period=quarter,
        now=datetime.combine(quarter.end, time(12), tzinfo=UTC),
    )
    assert page.facility_code == "south"


def test_a_screening_missed_then_closed_on_release_stays_overdue(
    facility: Facility, unit_a: HousingUnit
) -> None:
    """Released first only when the release came by the deadline; a breach stands (I5)."""
    now = timezone.now()
    missed = book(unit_a, 1, booked_at=now - timedelta(days=20))
    open_screening_duties([missed], now=missed.booked_at + timedelta(hours=1))
    assert record_overdue_evaluations(now) == 1
    left = book(unit_a, 2)
    waiting = book(unit_a, 3)
    for booking in (missed, left):
        release_person(actor=None, booking=booking, at=timezone.now())
    screenings = list(Evaluation.objects.filter(kind=EvaluationKind.SCREENING))
    assert len(screenings) == 3
    assert all(s.closed_at for s in screenings if s.booking_id != waiting.pk)

    def state(evaluation: Evaluation) -> str:
        if evaluation.closed_at is not None:
            return RELEASED_FIRST if evaluation.closed_at <= evaluation.due_at else OVERDUE
        return OVERDUE if evaluation.due_at < now else NOT_YET_DUE

    expected = Counter(("all", state(s)) for s in screenings)
    table = e05_screening(recent(facility))
    assert table.counts == dict(expected)
    assert table.counts == {
        ("all", OVERDUE): 1,
        ("all", RELEASED_FIRST): 1,
        ("all", NOT_YET_DUE): 1,
    }


def test_an_evaluation_closed_on_release_is_no_longer_open(
    facility: Facility, unit_a: HousingUnit
) -> None:
    clinician = staff(Role.CLINICIAN, facility, "eval-clinician")
    for number in (1, 2):
        open_evaluation(
            actor=clinician,
            booking=book(unit_a, number),
            kind=EvaluationKind.MEDICATION_CHECK,
            urgency="urgent",
            reason=EvaluationReason.CURRENT_MEDICATION,
        )
    released = Evaluation.objects.filter(kind=EvaluationKind.MEDICATION_CHECK).first()
    assert released is not None
    release_person(actor=None, booking=released.booking, at=timezone.now())
    table = evaluations_by_urgency(recent(facility))
    assert table.counts == {
        ("all", f"urgent: {CLOSED_ON_RELEASE}"): 1,
        ("all", f"urgent: {NOT_YET_DUE}"): 1,
    }
    assert {column for _, column in table.counts} <= set(table.columns)


def recent(facility: Facility) -> Scope:
    now = timezone.now()
    start, end = now - timedelta(days=30), now + timedelta(days=1)
    return Scope((facility.pk,), facility.time_zone, start, end, now, BY_PERIOD)
