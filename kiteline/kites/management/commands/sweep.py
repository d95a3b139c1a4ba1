"""`kiteline sweep`: the loop that keeps clocks and alerts honest while nobody is looking."""

import time
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand
from django.db import close_old_connections
from django.utils import timezone

from kiteline.kites.sweep import sweep


class Command(BaseCommand):
    help = "Every minute: record breaches, warn before deadlines, escalate unacknowledged alerts."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--once", action="store_true", help="sweep once and stop")
        parser.add_argument("--interval", type=int, default=60, help="seconds between sweeps")

    def handle(self, *args: Any, **options: Any) -> None:
        while True:
            # A long-running loop must not hold a connection the database has dropped.
            close_old_connections()
            result = sweep(timezone.now())
            if result.breaches or result.escalations or options["verbosity"] > 1:
                self.stdout.write(
                    f"{timezone.now():%Y-%m-%d %H:%M:%S} breaches {result.breaches}, "
                    f"warnings {result.warnings}, escalations {result.escalations}"
                )
            if options["once"]:
                return
            time.sleep(max(1, options["interval"]))
