"""Kites: durable submissions over HTTP, and the triage queue with many open kites.

python -m benchmarks.kite_benchmark [--clients 100] [--seconds 10] [--open-kites 10000]

Targets (issue "Kites"): at least 500 kites/s acknowledged to 100 concurrent clients,
each durably committed first (gunicorn on SQLite with the settings' WAL and full sync),
p99 under 250 ms and none lost, beside the bare SQLite commit rate of this machine; the
triage queue's server time p50 under 50 ms at 10,000 open kites, with the same number of
queries as at 100. The submissions need SQLite and run only without DATABASE_URL; the
queue runs on DATABASE_URL's database when it is set.

`Site`, `Gunicorn` and `post_kite` are shared with tests/integration/test_kite_crash.py.
"""

import argparse
import http.client
import json
import os
import resource
import secrets
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import closing
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import IO, TYPE_CHECKING, Any, Self

import django

from benchmarks.harness import Figure, report, scratch_database

if TYPE_CHECKING:
    # Models are imported once Django is set up; these names are for the annotations only.
    from kiteline.facilities.models import Booking, Facility, HousingUnit

REPOSITORY = Path(__file__).resolve().parent.parent
GUNICORN = Path(sys.executable).with_name("gunicorn")
PREPARE = "prepare-site"


def resident_number(n: int) -> str:
    return f"R{n:07d}"


# ---- A live site: a SQLite file served by gunicorn --------------------------------------


@dataclass(frozen=True)
class Site:
    """A migrated SQLite file with residents in custody and a nurse's API token."""

    database: Path
    token: str
    residents: int
    secret_key: str = field(default_factory=lambda: secrets.token_urlsafe(40))

    @property
    def environment(self) -> dict[str, str]:
        return {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "kiteline.settings",
            "DATABASE_URL": f"sqlite:///{self.database}",
            "SECRET_KEY": self.secret_key,
            "ALLOWED_HOSTS": "127.0.0.1",
            "DEBUG": "false",
            "LOG_LEVEL": "WARNING",
        }

    @classmethod
    def prepare(cls, directory: Path, residents: int) -> "Site":
        site = cls(database=directory / "kiteline.sqlite3", token="", residents=residents)
        prepared = subprocess.run(  # noqa: S603 -- our own interpreter and module
            [sys.executable, "-m", "benchmarks.kite_benchmark", PREPARE, str(residents)],
            env=site.environment,
            cwd=REPOSITORY,
            check=True,
            capture_output=True,
            text=True,
        )
        return cls(
            database=site.database,
            token=prepared.stdout.split()[-1],
            residents=residents,
            secret_key=site.secret_key,
        )

    def kite_keys(self) -> dict[str, int]:
        """Each idempotency key in the database, with how many kites hold it."""
        with closing(sqlite3.connect(self.database)) as database:
            rows = database.execute(
                "SELECT idempotency_key, COUNT(*) FROM kites_kite GROUP BY idempotency_key"
            ).fetchall()
        return dict(rows)


def _prepare_site(residents: int) -> None:
    """In a subprocess with the site's environment: migrate, book the residents and print a
    nurse's API token."""
    django.setup()
    from django.core.management import call_command
    from django.utils import timezone

    from kiteline.accounts.models import Role, User
    from kiteline.accounts.tokens import create_api_token
    from kiteline.facilities.models import Facility, FacilityKind, HousingUnit

    call_command("migrate", verbosity=0)
    facility = Facility.objects.create(
        code="bench", name="Benchmark Jail", kind=FacilityKind.JAIL, time_zone="America/Chicago"
    )
    unit = HousingUnit.objects.create(facility=facility, code="A", name="A Pod")
    book_residents(unit, residents, booked_at=timezone.now() - timedelta(days=1))
    nurse = User.objects.create_user(username="bench-nurse", role=Role.NURSE)
    nurse.facilities.add(facility)
    print(create_api_token(actor=None, user=nurse, expires_in_days=1)[1])


def book_residents(unit: "HousingUnit", count: int, booked_at: datetime) -> list["Booking"]:
    """`count` people in custody in `unit`, stored in bulk; gives their bookings."""
    from kiteline.facilities.models import Booking, Person, Placement

    people = Person.objects.bulk_create(
        Person(
            resident_number=resident_number(n),
            given_name="Test",
            family_name=f"Resident{n}",
            date_of_birth=date(1990, 1, 1),
        )
        for n in range(1, count + 1)
    )
    bookings = Booking.objects.bulk_create(
        Booking(
            person=person,
            booking_number=f"B{n:07d}",
            facility=unit.facility,
            booked_at=booked_at,
        )
        for n, person in enumerate(people, start=1)
    )
    Placement.objects.bulk_create(
        Placement(booking=booking, housing_unit=unit, started_at=booked_at) for booking in bookings
    )
    return bookings


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class Gunicorn:
    """gunicorn serving a site, in a process group of its own so that one SIGKILL takes the
    master and every worker at once, as a crash of the service would."""

    def __init__(self, site: Site, log: IO[bytes], *, workers: int = 3, threads: int = 4) -> None:
        self.site, self.log, self.workers, self.threads = site, log, workers, threads
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(  # noqa: S603 -- the venv's own gunicorn
            [
                str(GUNICORN),
                "kiteline.wsgi",
                f"--bind=127.0.0.1:{self.port}",
                f"--workers={self.workers}",
                f"--threads={self.threads}",
                "--worker-class=gthread",
                # The application is loaded once, so every worker answers from the start.
                "--preload",
            ],
            env=self.site.environment,
            cwd=REPOSITORY,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self._wait_until_it_answers()

    def _wait_until_it_answers(self, seconds: float = 30) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self.process.returncode}")
            try:
                connection = self.connect()
                connection.request("GET", "/api/v1/openapi.json", headers=self.headers())
                if connection.getresponse().status == 200:
                    connection.close()
                    return
            except OSError:
                pass
            time.sleep(0.1)
        raise RuntimeError("gunicorn did not answer in time")

    def connect(self, timeout: float = 30) -> http.client.HTTPConnection:
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.site.token}"}

    def kill(self) -> None:
        """SIGKILL to the whole group: nothing gets to finish or flush."""
        assert self.process is not None
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        assert self.process is not None
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


def kite_body(key: str, resident: str) -> bytes:
    """The request sent with `key`: a retry sends the very same one."""
    return json.dumps(
        {
            "resident_number": resident,
            "channel": "paper",
            "topic": "talk",
            "text": f"Paper request {key}",
        }
    ).encode()


def post_kite(
    server: Gunicorn, connection: http.client.HTTPConnection, key: str, resident: str
) -> tuple[int, dict[str, Any]]:
    connection.request(
        "POST",
        "/api/v1/kites",
        body=kite_body(key, resident),
        headers={
            **server.headers(),
            "Idempotency-Key": key,
            "Content-Type": "application/json",
        },
    )
    response = connection.getresponse()
    return response.status, json.loads(response.read() or b"{}")


# ---- Submissions -----------------------------------------------------------------------


@dataclass
class Load:
    acknowledged: dict[str, str] = field(default_factory=dict)  # key → kite number
    latencies: list[float] = field(default_factory=list)
    failures: int = 0
    seconds: float = 0.0


def submit_from_clients(server: Gunicorn, clients: int, seconds: float) -> Load:
    """`clients` threads, each on its own keep-alive connection, each sending the next kite
    as soon as the last was answered, for `seconds`."""
    load, lock, stop = Load(), threading.Lock(), threading.Event()

    def client(index: int) -> None:
        connection = server.connect(timeout=60)
        resident = resident_number(index % server.site.residents + 1)
        sent = 0
        while not stop.is_set():
            key = f"bench-{index}-{sent}"
            sent += 1
            started = time.perf_counter()
            try:
                status, body = post_kite(server, connection, key, resident)
            except (OSError, http.client.HTTPException):
                connection.close()
                connection = server.connect(timeout=60)
                status, body = 0, {}
            elapsed = time.perf_counter() - started
            with lock:
                if status in (200, 201):
                    load.acknowledged[key] = body["number"]
                    load.latencies.append(elapsed)
                else:
                    load.failures += 1
        connection.close()

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    time.sleep(seconds)
    stop.set()
    for thread in threads:
        thread.join()
    load.seconds = time.perf_counter() - started
    return load


def bare_sqlite_commit_rate(directory: Path, commits: int = 3000) -> float:
    """The floor: single-row INSERT + COMMIT from Python, with the settings' pragmas."""
    with closing(sqlite3.connect(directory / "bare.sqlite3", isolation_level=None)) as database:
        database.execute("PRAGMA journal_mode=WAL")
        database.execute("PRAGMA synchronous=FULL")
        database.execute("CREATE TABLE kite (id INTEGER PRIMARY KEY, text TEXT NOT NULL)")
        started = time.perf_counter()
        for n in range(commits):
            database.execute("BEGIN IMMEDIATE")
            database.execute("INSERT INTO kite (text) VALUES (?)", (f"Paper request {n}",))
            database.execute("COMMIT")
        return commits / (time.perf_counter() - started)


def _cpu_seconds(who: int) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def submission_figures(clients: int, seconds: float, workers: int, threads: int) -> list[Figure]:
    with tempfile.TemporaryDirectory() as scratch:
        directory = Path(scratch)
        site = Site.prepare(directory, residents=clients)
        # CPU of gunicorn and its workers once they are reaped, and of the clients here.
        server_before = _cpu_seconds(resource.RUSAGE_CHILDREN)
        client_before = _cpu_seconds(resource.RUSAGE_SELF)
        with (
            open(directory / "gunicorn.log", "wb") as log,
            Gunicorn(site, log, workers=workers, threads=threads) as server,
        ):
            load = submit_from_clients(server, clients, seconds)
            client_cpu = _cpu_seconds(resource.RUSAGE_SELF) - client_before
        server_cpu = _cpu_seconds(resource.RUSAGE_CHILDREN) - server_before
        stored = site.kite_keys()
        bare = bare_sqlite_commit_rate(directory)
    lost = [key for key in load.acknowledged if stored.get(key) != 1]
    rate = len(load.acknowledged) / load.seconds
    return [
        Figure(
            f"kites acknowledged/s, {clients} clients",
            rate,
            "kites/s",
            bare,
            "bare SQLite commits/s",
            ">= 500/s",
        ),
        Figure(
            "server CPU per kite (gunicorn and workers)",
            server_cpu / len(load.acknowledged) * 1000,
            "ms",
            target=f"{os.cpu_count()} cores",
        ),
        Figure(
            "client CPU per kite (these threads)",
            client_cpu / len(load.acknowledged) * 1_000_000,
            "µs",
        ),
        Figure("latency p50", percentile(load.latencies, 0.50) * 1000, "ms"),
        Figure("latency p99", percentile(load.latencies, 0.99) * 1000, "ms", target="< 250 ms"),
        Figure("acknowledged", len(load.acknowledged), "kites"),
        Figure("acknowledged but not stored once", len(lost), "kites", target="0"),
        Figure("failed requests", load.failures, "requests", target="0"),
        Figure("kites stored", sum(stored.values()), "kites"),
    ]


# ---- The triage queue ------------------------------------------------------------------


def queue_figures(open_kites: int, requests: int) -> tuple[str, list[Figure]]:
    with scratch_database() as vendor:
        from django.db import connection
        from django.test import Client
        from django.test.utils import CaptureQueriesContext
        from django.utils import timezone

        from kiteline.accounts.models import Role, User
        from kiteline.accounts.tokens import create_api_token
        from kiteline.facilities.models import Facility, FacilityKind, HousingUnit

        facility = Facility.objects.create(
            code="bench", name="Benchmark Jail", kind=FacilityKind.JAIL, time_zone="UTC"
        )
        unit = HousingUnit.objects.create(facility=facility, code="A", name="A Pod")
        bookings = book_residents(unit, 1000, booked_at=timezone.now() - timedelta(days=30))
        nurse = User.objects.create_user(username="bench-nurse", role=Role.NURSE)
        nurse.facilities.add(facility)
        token = create_api_token(actor=None, user=nurse, expires_in_days=1)[1]
        # In process, through the whole Django stack: the server's time, with no network.
        client = Client(SERVER_NAME="localhost", headers={"Authorization": f"Bearer {token}"})
        measured = {}
        for size in (100, open_kites):
            open_kites_in_bulk(bookings, size - _open_count(facility))
            if vendor == "postgresql":
                # Fresh statistics, as autovacuum keeps them on a live server; SQLite has no
                # such daemon and Kiteline runs no ANALYZE, so it plans without any.
                with connection.cursor() as cursor:
                    cursor.execute("ANALYZE")
            client.get("/api/v1/kites")  # warm
            times: list[float] = []
            budget = time.perf_counter() + 60
            # A slow queue gets fewer samples rather than an endless run.
            while len(times) < requests and (len(times) < 3 or time.perf_counter() < budget):
                started = time.perf_counter()
                response = client.get("/api/v1/kites")
                times.append(time.perf_counter() - started)
                assert response.status_code == 200
            with CaptureQueriesContext(connection) as queries:
                client.get("/api/v1/kites")
            measured[size] = (statistics.median(times) * 1000, len(queries))
    small, large = measured[100], measured[open_kites]
    return vendor, [
        Figure(
            f"GET /api/v1/kites p50, {open_kites:,} open",
            large[0],
            "ms",
            small[0],
            "at 100 open",
            "< 50 ms",
        ),
        Figure(
            f"queries per GET, {open_kites:,} open",
            large[1],
            "queries",
            small[1],
            "at 100 open",
            "equal",
        ),
    ]


def _open_count(facility: "Facility") -> int:
    from kiteline.kites.models import Kite, Status

    count: int = Kite.objects.filter(facility=facility).exclude(status=Status.CLOSED).count()
    return count


def open_kites_in_bulk(bookings: list["Booking"], count: int) -> None:
    """`count` more open kites with their triage clocks, a few urgent or emergent, stored in
    bulk: the queue's reads are measured here, not the services' writes."""
    from django.utils import timezone

    from kiteline.kites.models import Channel, Clock, ClockKind, Kite, Topic, Urgency

    now = timezone.now()
    urgencies = [Urgency.EMERGENT, Urgency.URGENT] + [""] * 18
    kites = Kite.objects.bulk_create(
        Kite(
            person_id=booking.person_id,
            booking=booking,
            facility_id=booking.facility_id,
            channel=Channel.PAPER,
            topic=Topic.TALK,
            text=f"Benchmark request {n}",
            received_at=now - timedelta(minutes=n % 2000),
            entered_at=now,
            urgency=urgencies[n % len(urgencies)],
        )
        for n, booking in ((n, bookings[n % len(bookings)]) for n in range(count))
    )
    Clock.objects.bulk_create(
        Clock(kite=kite, kind=ClockKind.TRIAGE, due_at=kite.received_at + timedelta(hours=24))
        for kite in kites
    )


def main() -> None:
    if sys.argv[1:2] == [PREPARE]:
        _prepare_site(int(sys.argv[2]))
        return
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clients", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--open-kites", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=30)
    args = parser.parse_args()
    if "DATABASE_URL" not in os.environ:
        report(
            f"Kite submissions over HTTP, gunicorn ({args.workers} workers x {args.threads} "
            f"threads) on SQLite, {args.seconds:.0f} s",
            submission_figures(args.clients, args.seconds, args.workers, args.threads),
        )
    vendor, figures = queue_figures(args.open_kites, args.requests)
    report(f"Triage queue on {vendor}", figures)


if __name__ == "__main__":
    main()
