"""The decision, appeal, denial and equity figures against an independent count of records
made through the care services."""

import random
from collections import Counter
from datetime import timedelta

import pytest
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
from kiteline.reports.equity import ANOTHER, ATTRIBUTES, MEASURES, equity_figure
from kiteline.reports.figures import (
    BY_PERIOD,
    Scope,
    appeals,
    decisions_by_outcome,
    denials_by_reason,
    overrides_by_reason,
)
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
    expected: Counter[tuple[str, str]] = Counter()
    for d in Decision.objects.filter(outcome=Outcome.NOT_ELIGIBLE).select_related("service"):
        if d.override_reason:
            expected[(d.service.name_en, f"override: {d.get_override_reason_display()}")] += 1
        else:
            for reason in d.record["reasons"]:
                if reason["status"] == "not_met":
                    expected[(d.service.name_en, f"criterion {reason['criterion']}")] += 1
    assert denials_by_reason(scope(facility)).counts == dict(expected)
    assert expected


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
