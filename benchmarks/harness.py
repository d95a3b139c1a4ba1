"""What every benchmark shares: a scratch database and a table of figures.

A figure is printed beside its baseline (a simpler thing doing the same work, measured in
the same run) and its target, so a reader sees at once what the number means. Nothing here
asserts: a target not reached is reported, never failed.
"""

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import django
from django.core.management import call_command


@dataclass(frozen=True)
class Figure:
    name: str
    value: float
    unit: str
    baseline: float | None = None
    baseline_name: str = ""
    target: str = ""


@contextmanager
def scratch_database() -> Iterator[str]:
    """Django set up on DATABASE_URL if it is set (PostgreSQL), else a throwaway SQLite file.

    Yields the database's vendor name.
    """
    with tempfile.TemporaryDirectory() as scratch:
        # Read when the settings are imported, so it must be set before django.setup().
        os.environ.setdefault("DATABASE_URL", f"sqlite:///{scratch}/benchmark.sqlite3")
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
        django.setup()
        from django.db import connection
        from django.test.utils import setup_databases, teardown_databases

        if connection.vendor == "sqlite":
            call_command("migrate", verbosity=0)
            yield connection.vendor
            return
        # On a shared server, work in a database of our own and drop it afterwards.
        config = setup_databases(verbosity=0, interactive=False)
        try:
            yield connection.vendor
        finally:
            teardown_databases(config, verbosity=0)


def report(title: str, figures: list[Figure]) -> None:
    print(f"\n{title}")
    header = f"  {'figure':<44} {'value':>16}   {'baseline':>28}   target"
    print(header)
    print("  " + "-" * (len(header) - 2))
    for figure in figures:
        value = f"{figure.value:,.0f} {figure.unit}"
        if figure.baseline is None:
            baseline = ""
        else:
            ratio = figure.value / figure.baseline if figure.baseline else float("nan")
            baseline = f"{figure.baseline:,.0f} ({figure.baseline_name}, x{ratio:.2f})"
        print(f"  {figure.name:<44} {value:>16}   {baseline:>28}   {figure.target}")
