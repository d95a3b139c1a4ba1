"""Time planning and storing a synthetic roster on a scratch SQLite database.

python -m benchmarks.seed_benchmark --residents 20000 [--kind prison] [--seed 1]
"""

import argparse
import os
import tempfile
import time
from datetime import UTC, datetime

import django
from django.core.management import call_command

from kiteline.facilities.synthetic import KINDS, plan_facility

NOW = datetime(2026, 3, 1, tzinfo=UTC)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--kind", choices=KINDS, default="jail")
    parser.add_argument("--residents", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        # Read when the settings are imported, so it must be set before django.setup().
        os.environ["DATABASE_URL"] = f"sqlite:///{scratch}/benchmark.sqlite3"
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
        django.setup()
        call_command("migrate", verbosity=0)
        # Models can only be imported once Django is set up.
        from kiteline.facilities.seeding import seed_facility

        started = time.perf_counter()
        plan = plan_facility(kind=args.kind, residents=args.residents, seed=args.seed, now=NOW)
        planned = time.perf_counter()
        result = seed_facility(actor=None, plan=plan, demo=False)
        stored = time.perf_counter()

    created = result.created
    rows = (
        len(plan.facilities)
        + created.housing_units
        + created.people
        + created.bookings
        + created.placements
    )
    plan_seconds = planned - started
    store_seconds = stored - planned
    print(f"{args.kind}, {args.residents:,} in custody, seed {args.seed}")
    print(
        f"  {created.people:,} people, {created.bookings:,} bookings, "
        f"{created.placements:,} placements, {created.housing_units:,} housing units"
    )
    print(f"  plan:  {plan_seconds:6.2f} s  {created.people / plan_seconds:10,.0f} people/s")
    print(f"  store: {store_seconds:6.2f} s  {rows / store_seconds:10,.0f} rows/s")
    print(f"  total: {plan_seconds + store_seconds:6.2f} s")


if __name__ == "__main__":
    main()
