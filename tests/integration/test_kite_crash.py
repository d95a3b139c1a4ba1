"""Nothing lost through a crash (I1): gunicorn on a SQLite file, every process killed at once
in the middle of a stream of kites, then restarted. Every kite acknowledged before the kill
is stored exactly once, and retrying every key that got no answer makes no duplicate.

Runs only on SQLite: it is the settings' SQLite durability (WAL, full sync, writers taking
the lock at BEGIN) that is on trial, with the real server rather than the test client.
"""

import http.client
import itertools
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing
from pathlib import Path
from typing import IO, Any

import pytest
from django.db import connection

from benchmarks.kite_benchmark import REPOSITORY, Gunicorn, Site, post_kite, resident_number

pytestmark = pytest.mark.skipif(
    connection.vendor != "sqlite", reason="on trial here: gunicorn on a SQLite file"
)

SUBMITTERS = 6
# Enough acknowledged kites that the kill lands in the middle of the stream.
ACKNOWLEDGED_BEFORE_THE_KILL = 120


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Site:
    return Site.prepare(tmp_path_factory.mktemp("crash"), residents=SUBMITTERS)


@pytest.fixture
def log(tmp_path: Path) -> Iterator[IO[bytes]]:
    with open(tmp_path / "gunicorn.log", "wb") as file:
        yield file


def stored_numbers(site: Site) -> dict[str, list[str]]:
    """Each idempotency key in the database → the numbers of the kites that hold it."""
    with closing(sqlite3.connect(site.database)) as database:
        rows = database.execute("SELECT idempotency_key, id FROM kites_kite").fetchall()
    numbers: dict[str, list[str]] = {}
    for key, pk in rows:
        numbers.setdefault(key, []).append(f"K{pk:06d}")
    return numbers


def test_every_acknowledged_kite_survives_a_kill_and_retries_make_no_duplicate(
    site: Site, log: IO[bytes]
) -> None:
    server = Gunicorn(site, log, workers=3, threads=4)
    server.start()
    sent: dict[str, str] = {}  # key → resident, for the retry
    acknowledged: dict[str, str] = {}  # key → the number in the answer
    refused: list[tuple[str, int]] = []
    lock = threading.Lock()

    def submit(index: int) -> None:
        resident = resident_number(index + 1)
        with closing(server.connect(timeout=10)) as link:
            for n in itertools.count():
                key = f"crash-{index}-{n}"
                with lock:
                    sent[key] = resident
                try:
                    status, body = post_kite(server, link, key, resident)
                except (OSError, http.client.HTTPException):
                    return  # the server is gone
                with lock:
                    if status in (200, 201):
                        acknowledged[key] = body["number"]
                    else:
                        refused.append((key, status))

    submitters = [threading.Thread(target=submit, args=(n,)) for n in range(SUBMITTERS)]
    for thread in submitters:
        thread.start()
    deadline = time.monotonic() + 15
    while len(acknowledged) < ACKNOWLEDGED_BEFORE_THE_KILL and time.monotonic() < deadline:
        time.sleep(0.02)
    server.kill()
    for thread in submitters:
        thread.join()

    unanswered = sorted(sent.keys() - acknowledged.keys())
    with (
        Gunicorn(site, log, workers=3, threads=4) as restarted,
        closing(restarted.connect()) as link,
    ):
        retried = {key: post_kite(restarted, link, key, sent[key]) for key in unanswered}

    stored = stored_numbers(site)
    assert refused == []
    assert len(acknowledged) >= ACKNOWLEDGED_BEFORE_THE_KILL
    assert {key: stored.get(key) for key in acknowledged} == {
        key: [number] for key, number in acknowledged.items()
    }
    assert all(status in (200, 201) for status, _ in retried.values()), retried
    assert {key: len(numbers) for key, numbers in stored.items()} == dict.fromkeys(sent, 1)
    # Each kite's audit event was in its transaction: the chains are whole after the kill.
    verify = subprocess.run(
        [sys.executable, "-m", "kiteline", "audit", "verify"],
        env=site.environment,
        cwd=REPOSITORY,
        capture_output=True,
        text=True,
    )
    assert verify.returncode == 0, verify.stdout + verify.stderr


def test_concurrent_retries_with_the_same_key_make_one_kite_on_a_sqlite_file(
    site: Site, log: IO[bytes]
) -> None:
    with Gunicorn(site, log, workers=3, threads=4) as server:

        def retry(_: int) -> tuple[int, dict[str, Any]]:
            with closing(server.connect()) as link:
                return post_kite(server, link, "the-same-key", resident_number(1))

        with ThreadPoolExecutor(max_workers=12) as pool:
            answers = list(pool.map(retry, range(12)))

    assert sorted(status for status, _ in answers) == [200] * 11 + [201]
    assert len({body["number"] for _, body in answers}) == 1
    assert len(stored_numbers(site)["the-same-key"]) == 1
