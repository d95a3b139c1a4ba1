"""Policy engine: a four-criterion CEL policy over synthetic people, beside the same
criteria written by hand in Python; then the app's what-if over people stored in a database.

python -m benchmarks.policy_benchmark [--people 150000] [--seed 7]
    [--residents 150000] [--kind prison]

Target (issue 7, "What-if"): 150,000 people in 10 s or less end to end.

The first part measures the pure core (no database): building each person's facts once,
deciding the outcome, the full evaluation record with reasons and evidence, and a
simulation of a draft against the published policy. The baseline decides the same outcome
with plain Python comparisons — the cost floor of the rule itself — and every outcome is
checked to agree with it.

The second part (skipped with --residents 0) stores a synthetic roster with
`kiteline.facilities.synthetic` (about --residents people in custody at the main facility),
a PHQ-9 for most of them, levels of care and a few watches, on a scratch SQLite file (or
DATABASE_URL), and times the app's what-if (`kiteline.care.simulation.run_what_if`, as the
supervisor's page and `kiteline policy simulate` run it): gathering the facts from the
database, building them, and simulating; beside the same criteria by hand over the same
gathered facts.
"""

import argparse
import gc
import math
import random
import time
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from benchmarks.harness import Figure, report, scratch_database
from kiteline.care.facts import Facts, check_facts
from kiteline.care.policy import (
    CompiledPolicy,
    Outcome,
    compile_policy,
    decide,
    evaluate,
    parse_policy,
    simulate,
)

if TYPE_CHECKING:
    from kiteline.care.models import Service
    from kiteline.facilities.models import Facility

SERVICES = ["group_therapy", "psychiatry", "individual_therapy", "case_management"]
# The time criterion: days to release for the synthetic fact sets; the stored roster records
# no expected release date, so there it is the days since booking.
RELEASE = ("days_to_release", 30)
SETTLED = ("days_since_booking", 3)


def policy_body(threshold: int, stay: tuple[str, int] = RELEASE) -> dict[str, Any]:
    def criterion(id: str, expression: str, en: str, es: str) -> dict[str, object]:
        return {
            "id": id,
            "expression": expression,
            "met_text": {"en": en, "es": es},
            "not_met_text": {"en": en, "es": es},
        }

    fact, minimum = stay
    return {
        "criteria": [
            criterion(
                "phq9-severe",
                f"phq9_total >= {threshold} && days_since_phq9 <= 30",
                f"PHQ-9 total {{phq9_total}} on {{phq9_date}}; {threshold} needed",
                f"PHQ-9 total {{phq9_total}} el {{phq9_date}}; se necesita {threshold}",
            ),
            criterion(
                "time",
                f"{fact} >= {minimum}",
                f"{{{fact}}} days; {minimum} needed",
                f"{{{fact}}} días; se necesitan {minimum}",
            ),
            criterion(
                "not-in-therapy",
                "!('individual_therapy' in current_services)",
                "Current services: {current_services}",
                "Servicios actuales: {current_services}",
            ),
            criterion(
                "recent-crisis",
                "crises_past_30_days > 0 || on_watch",
                "Crises in the past 30 days: {crises_past_30_days}",
                "Crisis en los últimos 30 días: {crises_past_30_days}",
            ),
        ],
        "rule": {"combine": "all", "review_when_met": ["recent-crisis"]},
        "offered_instead": [{"en": "Group therapy", "es": "Terapia de grupo"}],
    }


def policy(version: int, threshold: int, stay: tuple[str, int] = RELEASE) -> CompiledPolicy:
    body = {"service": "individual_therapy", "version": version, **policy_body(threshold, stay)}
    return compile_policy(parse_policy(body))


def by_hand(
    threshold: int, stay: tuple[str, int] = RELEASE
) -> Callable[[Mapping[str, object]], Outcome]:
    """The same criteria and rule in plain Python, with missing facts as unknown (None)."""
    fact, minimum = stay

    def outcome(facts: Mapping[str, object]) -> Outcome:
        phq9, since = facts.get("phq9_total"), facts.get("days_since_phq9")
        release, services = facts.get(fact), facts.get("current_services")
        crises, watch = facts.get("crises_past_30_days"), facts.get("on_watch")
        assert phq9 is None or isinstance(phq9, int)
        assert since is None or isinstance(since, int)
        assert release is None or isinstance(release, int)
        assert crises is None or isinstance(crises, int)
        assert services is None or isinstance(services, list | tuple)
        trigger = (crises > 0 or bool(watch)) if crises is not None and watch is not None else None
        if trigger is not False:
            return Outcome.CLINICIAN_REVIEW
        screened = None
        if phq9 is not None and since is not None:
            screened = phq9 >= threshold and since <= 30
        deciding = [
            screened,
            release >= minimum if release is not None else None,
            "individual_therapy" not in services if services is not None else None,
        ]
        if False in deciding:
            return Outcome.NOT_ELIGIBLE
        return Outcome.CLINICIAN_REVIEW if None in deciding else Outcome.ELIGIBLE

    return outcome


def synthetic_people(count: int, seed: int) -> list[dict[str, object]]:
    """Deterministic people: a few facts missing, as in a real jail (no release date set)."""
    rng = random.Random(seed)  # noqa: S311 -- synthetic data, reproducible by seed
    today = date(2026, 11, 25)
    people = []
    for _ in range(count):
        since = rng.randrange(0, 90)
        person: dict[str, object] = {
            "phq9_total": rng.randrange(0, 28),
            "phq9_date": today - timedelta(days=since),
            "days_since_phq9": since,
            "days_to_release": rng.randrange(-3, 400),
            "current_services": rng.sample(SERVICES, rng.randrange(0, 3)),
            "crises_past_30_days": 1 if rng.random() < 0.05 else 0,
            "on_watch": rng.random() < 0.02,
            "open_kites": rng.randrange(0, 4),
        }
        if rng.random() < 0.3:
            person["days_to_release"] = None
        if rng.random() < 0.08:
            person["phq9_total"] = person["phq9_date"] = person["days_since_phq9"] = None
        people.append(person)
    return people


def timed[T](work: Callable[[], T]) -> tuple[T, float]:
    started = time.perf_counter()
    result = work()
    return result, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--people", type=int, default=150_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--residents",
        type=int,
        default=150_000,
        help="people in custody at the stored facility (0: skip the database part)",
    )
    parser.add_argument("--kind", choices=("jail", "prison"), default="prison")
    args = parser.parse_args()
    pure_core(args.people, args.seed)
    if args.residents:
        stored_population(args.residents, args.kind, args.seed)


def pure_core(n: int, seed: int) -> None:
    raw = synthetic_people(n, seed)
    published, draft = policy(1, 15), policy(2, 10)
    facts, build = timed(lambda: [check_facts(person) for person in raw])
    values = [one.values for one in facts]
    hand = by_hand(15)

    expected, hand_time = timed(lambda: [hand(one) for one in values])
    decided, decide_time = timed(lambda: [decide(published, one) for one in facts])
    # Each record is dropped once read, as the app stores it and moves on; keeping 150,000
    # of them alive would measure the garbage collector instead.
    evaluated, evaluate_time = timed(lambda: [evaluate(published, one).outcome for one in facts])
    assert decided == expected, "the engine and the hand-written criteria disagree"
    assert evaluated == expected

    def both_by_hand() -> int:
        lower = by_hand(10)
        return sum(hand(one) is not lower(one) for one in values)

    people: list[tuple[int, Facts]] = list(enumerate(facts))
    simulation, simulate_time = timed(
        lambda: simulate(draft, published, people, group=lambda n: f"unit-{n % 12}")
    )
    changed_by_hand, hand_simulate_time = timed(both_by_hand)
    assert simulation.total.changed == changed_by_hand

    counts = {outcome: expected.count(outcome) for outcome in Outcome}
    report(
        f"Policy engine, a four-criterion CEL policy over {n:,} synthetic people "
        f"({', '.join(f'{o.value} {c:,}' for o, c in counts.items())})",
        [
            Figure("build facts (check_facts), people/s", n / build, "people/s"),
            Figure(
                "decide (outcome only), people/s",
                n / decide_time,
                "people/s",
                n / hand_time,
                "by hand",
            ),
            Figure(
                "decide, total",
                decide_time * 1000,
                "ms",
                hand_time * 1000,
                "by hand",
            ),
            Figure(
                "evaluate (full record), people/s",
                n / evaluate_time,
                "people/s",
                n / hand_time,
                "by hand",
            ),
            Figure(
                "evaluate, total",
                evaluate_time * 1000,
                "ms",
                hand_time * 1000,
                "by hand",
            ),
            Figure(
                f"simulate, {simulation.total.changed:,} of {n:,} change",
                simulate_time * 1000,
                "ms",
                hand_simulate_time * 1000,
                "by hand",
                "<= 10 s end to end",
            ),
            Figure(
                "simulate + build facts, total",
                (simulate_time + build) * 1000,
                "ms",
                target="<= 10,000 ms",
            ),
        ],
    )


# Share of the people in custody who are held at the main facility (the rest at its annex).
MAIN_SHARE = 0.8
LEVELS = ("outpatient", "enhanced", "crisis")


def stored_population(residents: int, kind: str, seed: int) -> None:
    """The app's what-if over a synthetic roster stored in a scratch database."""
    with scratch_database() as vendor:
        # The app's modules import models, so only once Django is set up.
        from kiteline.care.fact_sources import raw_facts_for
        from kiteline.care.services import check_draft, compiled, published_policy
        from kiteline.care.simulation import current_units, population, run_what_if
        from kiteline.facilities.seeding import seed_facility
        from kiteline.facilities.synthetic import plan_facility

        now = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
        started = time.perf_counter()
        plan = plan_facility(
            kind=kind, residents=math.ceil(residents / MAIN_SHARE), seed=seed, now=now
        )
        main = seed_facility(actor=None, plan=plan, demo=False).facilities[0]
        service = store_clinical_records(main, now, seed)
        seeded = time.perf_counter() - started

        what_if, end_to_end = timed(lambda: run_what_if(service, now))

        # The parts, one by one, as run_what_if runs them: without the cycle collector.
        bookings = population(service)
        gc.disable()
        # What raw_facts_for reads of each stay, as model rows (as it does) and as tuples.
        rows, model_rows = timed(lambda: list(bookings.select_related("person", "facility")))
        fields = ("pk", "person_id", "person__language", "booked_at", "facility__time_zone")
        row_tuples, tuples = timed(lambda: list(bookings.values_list(*fields)))
        del rows, row_tuples
        raw, gather = timed(lambda: raw_facts_for(bookings, now))
        units, units_time = timed(lambda: current_units(bookings))
        built, build = timed(lambda: [(b, check_facts(f)) for b, f in raw.items()])
        draft = check_draft(service, policy_body(10, SETTLED))
        version = published_policy(service)
        assert version is not None
        published = compiled(version.pk)
        simulation, simulate_time = timed(
            lambda: simulate(draft, published, built, group=lambda b: units.get(b, ""))
        )
        before, after = by_hand(15, SETTLED), by_hand(10, SETTLED)

        def changes_by_hand() -> int:
            return sum(before(facts) is not after(facts) for facts in raw.values())

        changed_by_hand, hand_time = timed(changes_by_hand)
        gc.enable()
        assert simulation.total.changed == changed_by_hand, "the engine and by hand disagree"
        assert what_if.result.total == simulation.total

    n = simulation.total.people
    total = simulation.total
    report(
        f"What-if over {n:,} people stored in {vendor} ({kind}, "
        f"{len(simulation.groups):,} housing units; gained {total.gained:,}, lost "
        f"{total.lost:,}, changed {total.changed:,}); roster and records stored in "
        f"{seeded:,.0f} s",
        [
            Figure(
                "what-if end to end (run_what_if)",
                end_to_end * 1000,
                "ms",
                (gather + units_time + hand_time) * 1000,
                "gather + by hand",
                "<= 10,000 ms",
            ),
            Figure("gather facts from the database, people/s", n / gather, "people/s"),
            Figure("gather facts (raw_facts_for), total", gather * 1000, "ms"),
            Figure(
                "  of which the stays as model rows",
                model_rows * 1000,
                "ms",
                tuples * 1000,
                "as tuples",
            ),
            Figure("housing units of the stays, total", units_time * 1000, "ms"),
            Figure("build facts (check_facts), total", build * 1000, "ms"),
            Figure(
                "simulate, draft vs published",
                simulate_time * 1000,
                "ms",
                hand_time * 1000,
                "by hand",
            ),
        ],
    )


def store_clinical_records(facility: "Facility", now: datetime, seed: int) -> "Service":
    """What the facts are read from, written in bulk for the people held at `facility`: a
    PHQ-9 for most, a level of care for some, a watch for a few; and the service with a
    published policy (PHQ-9 at least 15) and a draft (at least 10)."""
    from kiteline.accounts.models import Role, User
    from kiteline.care.models import LevelAssignment
    from kiteline.care.services import add_service, publish_policy, save_draft
    from kiteline.facilities.models import Booking
    from kiteline.kites.models import WatchStatus
    from kiteline.screening.models import Administration

    rng = random.Random(seed)  # noqa: S311 -- synthetic data, reproducible by seed
    staff = {}
    for role in (Role.SUPERVISOR, Role.NURSE, Role.CLINICIAN):
        staff[role] = User.objects.create_user(username=f"bench-{role}", role=role)
        staff[role].facilities.add(facility)
    screens, levels, watches = [], [], []
    for booking_id, person_id, booked_at in Booking.objects.filter(
        facility=facility, released_at__isnull=True
    ).values_list("pk", "person_id", "booked_at"):
        if rng.random() < 0.92:
            at = max(booked_at, now - timedelta(minutes=rng.randrange(0, 60 * 24 * 60)))
            screens.append(
                Administration(
                    person_id=person_id,
                    booking_id=booking_id,
                    facility=facility,
                    instrument="phq9-v1",
                    language="en",
                    started_by=staff[Role.NURSE],
                    started_at=at,
                    submitted_at=at,
                    submitted_by=staff[Role.NURSE],
                    complete=True,
                    total=rng.randrange(0, 28),
                )
            )
        if rng.random() < 0.4:
            levels.append(
                LevelAssignment(
                    booking_id=booking_id,
                    person_id=person_id,
                    facility=facility,
                    scheme="generic",
                    level=rng.choice(LEVELS),
                    reason="synthetic",
                    assigned_by=staff[Role.CLINICIAN],
                    assigned_at=now,
                )
            )
        if rng.random() < 0.02:
            watches.append(
                WatchStatus(
                    booking_id=booking_id,
                    level="close",
                    check_minutes=15,
                    set_at=now,
                    set_by=staff[Role.CLINICIAN],
                )
            )
    Administration.objects.bulk_create(screens, batch_size=2_000)
    LevelAssignment.objects.bulk_create(levels, batch_size=2_000)
    WatchStatus.objects.bulk_create(watches, batch_size=2_000)
    supervisor = staff[Role.SUPERVISOR]
    service = add_service(
        actor=supervisor,
        facility=facility,
        code="individual_therapy",
        name_en="Individual therapy",
        name_es="Terapia individual",
    )
    save_draft(actor=supervisor, service=service, body=policy_body(15, SETTLED))
    publish_policy(actor=supervisor, service=service)
    save_draft(actor=supervisor, service=service, body=policy_body(10, SETTLED))
    return service


if __name__ == "__main__":
    main()
