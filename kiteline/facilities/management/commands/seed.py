"""`kiteline seed`: create a synthetic facility, its annex and their roster, for demos.

The roster's history runs up to today's midnight UTC rather than this instant, so the same
arguments give the same roster all day; the plan is a pure function of its arguments.
"""

from argparse import ArgumentParser
from datetime import UTC, datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from kiteline.care.demo import prepare_care_demo
from kiteline.facilities.seeding import DEMO_PASSWORD, SeedError, SeedResult, seed_facility
from kiteline.facilities.synthetic import KINDS, SyntheticPlan, plan_facility
from kiteline.kites.demo import prepare_demo
from kiteline.reports.demo import prepare_reports_demo
from kiteline.scheduling.demo import prepare_scheduling_demo
from kiteline.scheduling.models import ScheduleRun
from kiteline.screening.demo import ScreeningDemo, prepare_screening_demo


def start_of_utc_day(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)


class Command(BaseCommand):
    help = (
        "Create a synthetic facility and its annex, with people in custody and a history of "
        "bookings, moves, transfers and releases. Nobody in it is real. Does nothing if the "
        "facility for this kind and seed already exists."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--kind", choices=KINDS, default="jail")
        parser.add_argument(
            "--residents",
            type=int,
            default=400,
            help="people in custody now, at the facility and its annex (default 400)",
        )
        parser.add_argument(
            "--seed", type=int, default=1, help="the same seed gives the same roster (default 1)"
        )
        parser.add_argument(
            "--demo",
            action="store_true",
            help=f"also create a sign-in for each staff role, with the password {DEMO_PASSWORD}",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        now = start_of_utc_day(timezone.now())
        try:
            plan = plan_facility(
                kind=options["kind"], residents=options["residents"], seed=options["seed"], now=now
            )
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        try:
            result = seed_facility(actor=None, plan=plan, demo=options["demo"])
        except SeedError as exc:
            raise CommandError(str(exc)) from exc
        self._report_roster(plan, result)
        if options["demo"]:
            prepare_demo(result.facilities)
            prepare_care_demo(result.facilities)
            numbers = [resident.resident_number for resident in result.kiosk_residents]
            screening = prepare_screening_demo(result.facilities, numbers)
            schedule = prepare_scheduling_demo(result.facilities)
            prepare_reports_demo(result.facilities[0])
            self._report_demo(result)
            self._report_screening(screening)
            self._report_schedule(schedule)

    def _report_roster(self, plan: SyntheticPlan, result: SeedResult) -> None:
        main, annex = result.facilities
        if result.reused:
            self.stdout.write(
                f"{main.name} ({main.code}) already exists, so nothing was created. "
                "For another roster, use another --seed or a fresh database."
            )
            return
        created = result.created
        self.stdout.write(
            self.style.SUCCESS(
                f"Created {main.name} ({main.code}) and {annex.name} ({annex.code}), "
                f"time zone {main.time_zone}."
            )
        )
        self.stdout.write(
            f"  {created.housing_units:,} housing units\n"
            f"  {created.people:,} people, {created.in_custody:,} of them in custody now\n"
            f"  {created.bookings:,} bookings\n"
            f"  {created.placements:,} placements\n"
            f"History up to {plan.now:%Y-%m-%d %H:%M} UTC."
        )

    def _report_demo(self, result: SeedResult) -> None:
        self.stdout.write(f"Demo sign-ins, password {DEMO_PASSWORD}:")
        for username in result.users_created:
            self.stdout.write(f"  {username}")
        for username in result.users_existing:
            self.stdout.write(f"  {username} (already existed; its password was not changed)")
        self.stdout.write(
            "Residents in custody now, to sign in at the kiosk with a temporary PIN "
            "(each run of the demo issues new ones):"
        )
        for resident in result.kiosk_residents:
            self.stdout.write(f"  {resident.resident_number}  PIN {resident.pin}  {resident.name}")

    def _report_screening(self, demo: ScreeningDemo) -> None:
        self.stdout.write(
            "Each of these residents has a PHQ-9 from `clinician` waiting at the kiosk "
            "(Questions from your care team)."
        )
        booking = demo.new_booking
        if booking is not None:
            self.stdout.write(
                f"Newest booking, waiting for its receiving screen: "
                f"{booking.person.resident_number} (booked {booking.booked_at:%Y-%m-%d %H:%M} "
                "UTC); `nurse` opens them from the roster and gives the receiving screen."
            )

    def _report_schedule(self, run: ScheduleRun) -> None:
        score = run.report["score"]
        hours = sum(row["minutes"] for row in run.report["shortfall"]) / 60
        self.stdout.write(
            f"Schedule {run.number} is published for {run.start:%Y-%m-%d} and the "
            f"{run.days - 1} days after: {score['missed']} mandatory contacts missed, "
            f"{score['late']} late, shortfall {hours:.1f} clinician-hours. `supervisor` sees "
            "it under Schedules; `custody` prints the Escort list; last week's outcomes "
            "are under Missed contacts."
        )
