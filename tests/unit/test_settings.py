import os
import subprocess
import sys
from pathlib import Path

import pytest


def run_python(code: str, tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    clean_env = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "DEBUG")}
    clean_env.update(env, DJANGO_SETTINGS_MODULE="kiteline.settings")
    return subprocess.run(  # noqa: S603 -- runs this interpreter on code written in this file
        [sys.executable, "-c", code],
        env=clean_env,
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=False,
    )


def test_it_refuses_to_start_without_a_secret_key_when_debug_is_off(tmp_path: Path) -> None:
    result = run_python("import django; django.setup()", tmp_path)
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_it_starts_with_the_development_key_in_debug_mode(tmp_path: Path) -> None:
    result = run_python("import django; django.setup()", tmp_path, DEBUG="true")
    assert result.returncode == 0, result.stderr


def test_sqlite_keeps_a_write_ahead_log_with_full_sync(tmp_path: Path) -> None:
    code = (
        "import django; django.setup()\n"
        "from django.db import connection\n"
        "with connection.cursor() as c:\n"
        "    c.execute('PRAGMA journal_mode'); print(c.fetchone()[0])\n"
        "    c.execute('PRAGMA synchronous'); print(c.fetchone()[0])\n"
        "    c.execute('PRAGMA busy_timeout'); print(c.fetchone()[0])\n"
    )
    result = run_python(
        code, tmp_path, SECRET_KEY="x" * 50, DATABASE_URL=f"sqlite:///{tmp_path / 'k.sqlite3'}"
    )
    assert result.returncode == 0, result.stderr
    journal_mode, synchronous, busy_timeout = result.stdout.split()
    assert journal_mode == "wal"
    assert synchronous == "2"  # FULL
    assert int(busy_timeout) >= 5000


def test_a_malformed_whole_number_setting_names_the_variable(tmp_path: Path) -> None:
    result = run_python(
        "import django; django.setup()", tmp_path, DEBUG="true", ROSTER_PAGE_SIZE="x"
    )
    assert result.returncode != 0
    assert "ROSTER_PAGE_SIZE must be a whole number" in result.stderr


@pytest.mark.parametrize("value", ["1", "true", "Yes", "on"])
def test_debug_accepts_the_usual_ways_of_saying_yes(tmp_path: Path, value: str) -> None:
    result = run_python(
        "from django.conf import settings; print(settings.DEBUG)", tmp_path, DEBUG=value
    )
    assert result.stdout.strip() == "True", result.stderr


def test_the_page_solves_a_schedule_for_ten_seconds_unless_told_otherwise(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SCHEDULE_TIME_LIMIT_SECONDS", raising=False)
    code = (
        "import django; django.setup()\n"
        "from django.conf import settings\n"
        "print(settings.SCHEDULE_TIME_LIMIT_SECONDS)\n"
    )
    result = run_python(code, tmp_path, DEBUG="true")
    # The solve runs inside the request: far below gunicorn's --timeout (docs/operations.md).
    assert result.stdout.split() == ["10"], result.stderr
