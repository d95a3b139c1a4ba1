"""`kiteline policy simulate`: a service's saved draft against its published version over
the people in custody now, from the command line, with the same counts and audit event as
the supervisor's what-if page."""

import sys
from argparse import ArgumentParser
from collections.abc import Iterable, Iterator
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from tqdm import tqdm

from kiteline.care.facts import Facts
from kiteline.care.models import Service
from kiteline.care.policy import Tally
from kiteline.care.simulation import SimulationError, population, record_what_if, run_what_if

# How a stay with no open placement is shown (the simulation groups it under "").
NO_UNIT = "(no housing unit)"


class Command(BaseCommand):
    help = "Eligibility policies: simulate a service's draft over the people held now."

    def add_arguments(self, parser: ArgumentParser) -> None:
        commands = parser.add_subparsers(dest="action", required=True)
        simulate = commands.add_parser(
            "simulate",
            help="how many would gain or lose eligibility, per housing unit, if the saved "
            "draft were published",
        )
        simulate.add_argument("--service", required=True, help="the service's code")
        simulate.add_argument(
            "--facility", help="the facility's code; needed when several offer the service"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        service = self._service(options["service"], options["facility"])
        self.stderr.write(
            f"Reading the records of {population(service).count():,} people in custody at "
            f"{service.facility.code}..."
        )
        try:
            what_if = run_what_if(service, timezone.now(), progress=self._progress)
        except SimulationError as error:
            problems = "".join(f"\n  {problem}" for problem in error.problems)
            raise CommandError(f"{error}{problems}") from error
        record_what_if(actor=None, what_if=what_if)
        published = what_if.published
        self.stdout.write(
            f"{service.code} at {service.facility.code}: the draft (to be version "
            f"{what_if.draft.policy.version}) against "
            + ("nothing published" if published is None else f"version {published.version}")
        )
        rows = [(unit or NO_UNIT, tally) for unit, tally in what_if.result.groups.items()]
        width = max([len(NO_UNIT), *(len(unit) for unit, _ in rows)])
        self.stdout.write(
            self._line("housing unit", ("people", "gained", "lost", "changed"), width)
        )
        for unit, tally in rows:
            self.stdout.write(self._line(unit, _figures(tally), width))
        self.stdout.write(self._line("total", _figures(what_if.result.total), width))

    def _service(self, code: str, facility: str | None) -> Service:
        services = Service.objects.select_related("facility").filter(code=code)
        if facility is not None:
            services = services.filter(facility__code=facility)
        found = list(services)
        if not found:
            where = f" at {facility}" if facility else ""
            raise CommandError(f"There is no service {code!r}{where}.")
        if len(found) > 1:
            codes = ", ".join(sorted(s.facility.code for s in found))
            raise CommandError(f"{code!r} is offered at {codes}: choose one with --facility.")
        return found[0]

    def _progress(
        self, people: Iterator[tuple[int, Facts]], total: int
    ) -> Iterable[tuple[int, Facts]]:
        return tqdm(people, total=total, desc="facts and outcomes", unit=" people", file=sys.stderr)

    @staticmethod
    def _line(first: str, figures: tuple[object, ...], width: int) -> str:
        return f"{first:<{width}}" + "".join(
            f"  {figure:>9,}" if isinstance(figure, int) else f"  {figure:>9}" for figure in figures
        )


def _figures(tally: Tally) -> tuple[int, int, int, int]:
    return tally.people, tally.gained, tally.lost, tally.changed
