import io

import pytest
from django.core.management import CommandError, call_command

from kiteline.accounts.models import Role, User
from kiteline.facilities.models import Facility


def add(monkeypatch: pytest.MonkeyPatch, password: str, *args: str) -> str:
    monkeypatch.setattr("sys.stdin", io.StringIO(password + "\n"))
    out = io.StringIO()
    call_command("staff", "add", *args, stdout=out)
    return out.getvalue()


def test_the_operator_creates_an_auditor_at_named_facilities(
    monkeypatch: pytest.MonkeyPatch, facility: Facility
) -> None:
    output = add(
        monkeypatch,
        "long enough test passphrase",
        "--username",
        "monitor",
        "--role",
        "auditor",
        "--facility",
        "north",
    )
    auditor = User.objects.get(username="monitor")
    assert (auditor.role, list(auditor.facilities.all())) == (Role.AUDITOR, [facility])
    assert auditor.check_password("long enough test passphrase")
    assert "Created monitor (auditor) at north." in output


def test_an_unknown_facility_or_a_weak_password_creates_nothing(
    monkeypatch: pytest.MonkeyPatch, facility: Facility
) -> None:
    with pytest.raises(CommandError, match="No facility with code nowhere"):
        add(
            monkeypatch,
            "long enough test passphrase",
            "--username",
            "x",
            "--role",
            "auditor",
            "--facility",
            "nowhere",
        )
    with pytest.raises(CommandError, match="too common"):
        add(monkeypatch, "password", "--username", "x", "--role", "auditor", "--facility", "north")
    assert not User.objects.filter(username="x").exists()
