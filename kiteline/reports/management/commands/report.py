"""`kiteline report public --period 2026Q3 --out DIR [--facility CODE ...]`: build the
public report of a finished quarter as static files, protected and checked (I8). DIR is a
new or empty folder; anything that stops the build, the file system included, is a
CommandError with the reason."""

from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from kiteline.facilities.models import Facility
from kiteline.reports.errors import ReportError
from kiteline.reports.periods import PeriodError, parse_period
from kiteline.reports.public import build_public_report


class Command(BaseCommand):
    help = "Reports: build the public report of a quarter as static HTML, CSV and JSON."

    def add_arguments(self, parser: ArgumentParser) -> None:
        commands = parser.add_subparsers(dest="action", required=True)
        public = commands.add_parser("public", help="the public report of a finished quarter")
        public.add_argument("--period", required=True, help="a quarter, such as 2026Q3")
        public.add_argument(
            "--out", type=Path, required=True, help="a new or empty folder to write into"
        )
        public.add_argument(
            "--facility",
            action="append",
            default=[],
            metavar="CODE",
            help="a facility to report on (repeat it; default: every facility)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            period = parse_period(options["period"])
        except PeriodError as error:
            raise CommandError(str(error)) from error
        if len(period.label) != len("2026Q3"):
            raise CommandError("The public report covers a quarter, such as 2026Q3.")
        codes = options["facility"]
        facilities = list(
            Facility.objects.filter(code__in=codes) if codes else Facility.objects.all()
        )
        unknown = set(codes) - {f.code for f in facilities}
        if unknown:
            raise CommandError(f"No facility {', '.join(sorted(unknown))}.")
        try:
            built = build_public_report(
                actor=None,
                facilities=facilities,
                period=period,
                out=options["out"],
                now=timezone.now(),
            )
        except ReportError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(
            f"Wrote {len(built.files)} files to {options['out']} "
            f"(release {built.release.pk}, sha256 {built.release.digest[:16]}…); "
            f"open {options['out'] / 'index.html'}."
        )
