"""Policy engine: a four-criterion CEL policy over synthetic people, beside the same
criteria written by hand in Python.

python -m benchmarks.policy_benchmark [--people 150000] [--seed 7]

Target (issue 7, "What-if"): 150,000 people in 10 s or less end to end. This measures the
pure core only (no database): building each person's facts once, deciding the outcome,
the full evaluation record with reasons and evidence, and a simulation of a draft against
the published policy. The baseline decides the same outcome with plain Python comparisons
— the cost floor of the rule itself — and every outcome is checked to agree with it.
"""

import argparse
import random
import time
from collections.abc import Callable, Mapping
from datetime import date, timedelta

from benchmarks.harness import Figure, report
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

SERVICES = ["group_therapy", "psychiatry", "individual_therapy", "case_management"]


def policy(version: int, threshold: int) -> CompiledPolicy:
    def criterion(id: str, expression: str, en: str, es: str) -> dict[str, object]:
        return {
            "id": id,
            "expression": expression,
            "met_text": {"en": en, "es": es},
            "not_met_text": {"en": en, "es": es},
        }

    return compile_policy(
        parse_policy(
            {
                "service": "individual_therapy",
                "version": version,
                "criteria": [
                    criterion(
                        "phq9-severe",
                        f"phq9_total >= {threshold} && days_since_phq9 <= 30",
                        f"PHQ-9 total {{phq9_total}} on {{phq9_date}}; {threshold} needed",
                        f"PHQ-9 total {{phq9_total}} el {{phq9_date}}; se necesita {threshold}",
                    ),
                    criterion(
                        "time-left",
                        "days_to_release >= 30",
                        "{days_to_release} days to release; 30 needed",
                        "{days_to_release} días hasta la salida; se necesitan 30",
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
        )
    )


def by_hand(threshold: int) -> Callable[[Mapping[str, object]], Outcome]:
    """The same criteria and rule in plain Python, with missing facts as unknown (None)."""

    def outcome(facts: Mapping[str, object]) -> Outcome:
        phq9, since = facts.get("phq9_total"), facts.get("days_since_phq9")
        release, services = facts.get("days_to_release"), facts.get("current_services")
        crises, watch = facts.get("crises_past_30_days"), facts.get("on_watch")
        assert phq9 is None or isinstance(phq9, int)
        assert since is None or isinstance(since, int)
        assert release is None or isinstance(release, int)
        assert crises is None or isinstance(crises, int)
        assert services is None or isinstance(services, tuple)
        trigger = (crises > 0 or bool(watch)) if crises is not None and watch is not None else None
        if trigger is not False:
            return Outcome.CLINICIAN_REVIEW
        screened = None
        if phq9 is not None and since is not None:
            screened = phq9 >= threshold and since <= 30
        deciding = [
            screened,
            release >= 30 if release is not None else None,
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
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--people", type=int, default=150_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    raw = synthetic_people(args.people, args.seed)
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

    n = args.people
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


if __name__ == "__main__":
    main()
