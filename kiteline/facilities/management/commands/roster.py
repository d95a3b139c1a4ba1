"""`kiteline roster import FILE.csv`: bring the roster up to date from the jail's extract."""

from pathlib import Path
from typing import Any, NoReturn

from django.core.management.base import BaseCommand, CommandError, CommandParser

from kiteline.facilities.roster_csv import RowError, parse_roster
from kiteline.facilities.roster_import import OUTCOMES, RosterImportError, import_roster

# Thousands of bookings are unchanged on a routine run; their numbers would drown the changes.
UNLISTED_OUTCOMES = frozenset({"unchanged"})


class Command(BaseCommand):
    help = "Work with the roster that comes from the jail management system."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        importer = actions.add_parser(
            "import",
            help="import a roster extract (see docs/roster-import.md)",
            description="Import a roster extract: all of it, or nothing if any row is wrong.",
        )
        importer.add_argument("file", type=Path, help="the CSV extract, UTF-8")
        importer.add_argument(
            "--dry-run",
            action="store_true",
            help="check the file and report what would change, then save nothing",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        # "import" is the only action so far; the subcommand leaves room for others.
        self.import_file(options["file"], dry_run=options["dry_run"])

    def import_file(self, path: Path, *, dry_run: bool) -> None:
        try:
            # utf-8-sig: spreadsheet programs often start a CSV file with a byte-order mark.
            with path.open(encoding="utf-8-sig", newline="") as lines:
                parsed = parse_roster(lines)
        except (OSError, UnicodeDecodeError) as error:
            raise CommandError(f"Cannot read {path}: {error}") from error
        if parsed.errors:
            self.fail(path, parsed.errors)
        try:
            # The command line is a system process: there is no acting user.
            result = import_roster(actor=None, rows=parsed.rows, dry_run=dry_run)
        except RosterImportError as error:
            self.fail(path, error.errors)
        for outcome in OUTCOMES:
            numbers = getattr(result, outcome)
            if numbers and outcome not in UNLISTED_OUTCOMES:
                self.stdout.write(f"{outcome} {len(numbers)}: {', '.join(numbers)}")
            else:
                self.stdout.write(f"{outcome} {len(numbers)}")
        if dry_run:
            self.stdout.write(f"Dry run: {path} is importable; nothing was saved.")
        else:
            self.stdout.write(f"Imported {len(parsed.rows)} rows from {path}.")

    def fail(self, path: Path, errors: tuple[RowError, ...]) -> NoReturn:
        for error in errors:
            self.stderr.write(str(error))
        found = "1 error" if len(errors) == 1 else f"{len(errors)} errors"
        raise CommandError(f"{path} has {found}; nothing was imported.")
