"""API tokens: created, listed and revoked from the command line; stored hashed; refused once
revoked or expired, or when their user is no longer active staff."""

import hashlib
import re
from datetime import date, datetime, timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from kiteline.accounts.models import ApiToken, Role, User
from kiteline.accounts.tokens import (
    TokenError,
    create_api_token,
    revoke_api_token,
    user_for_token,
)
from kiteline.facilities.models import Person


def run(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("token", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def listed(*args: str) -> list[dict[str, str]]:
    """The rows of `token list`, as column name → cell."""
    header, *lines = (re.split(r"\s{2,}", line) for line in run("list", *args)[0].splitlines())
    return [dict(zip(header, line, strict=True)) for line in lines]


def test_create_prints_only_the_token_on_standard_output_and_warns_it_is_not_shown_again(
    nurse: User,
) -> None:
    out, err = run("create", "--user", nurse.username, "--expires", "30", "--name", "sync")

    plaintext = out.strip()
    assert plaintext.startswith("kl_")
    assert "not shown again" in err
    token = ApiToken.objects.get()
    assert (token.user, token.name) == (nurse, "sync")
    assert token.expires_at - token.created_at == timedelta(days=30)
    assert user_for_token(plaintext, timezone.now()) == nurse


def test_a_token_is_stored_as_its_hash_and_a_short_prefix_only(nurse: User) -> None:
    token, plaintext = create_api_token(actor=None, user=nurse, expires_in_days=7)

    (row,) = ApiToken.objects.filter(pk=token.pk).values()
    assert not any(plaintext in str(value) for value in row.values())
    assert row["token_hash"] == hashlib.sha256(plaintext.encode()).hexdigest()
    assert plaintext.startswith(row["prefix"])
    assert len(row["prefix"]) < len(plaintext) // 4


@pytest.mark.parametrize("days", ["0", "366", "-1"])
def test_create_refuses_an_expiry_out_of_range(nurse: User, days: str) -> None:
    with pytest.raises(CommandError, match="1 to 365 days"):
        run("create", "--user", nurse.username, "--expires", days)
    assert not ApiToken.objects.exists()


def test_create_refuses_a_name_too_long_to_store(nurse: User) -> None:
    with pytest.raises(CommandError, match="up to 100 characters"):
        run("create", "--user", nurse.username, "--expires", "30", "--name", "x" * 101)


def test_create_refuses_an_unknown_user(db: None) -> None:
    with pytest.raises(CommandError, match="There is no user nobody"):
        run("create", "--user", "nobody", "--expires", "30")


def test_a_resident_cannot_get_a_token(db: None) -> None:
    person = Person.objects.create(
        resident_number="R1",
        given_name="Alder",
        family_name="Testfield",
        date_of_birth=date(1990, 1, 1),
    )
    User.objects.create_user(username="resident", role=Role.RESIDENT, person=person)

    with pytest.raises(CommandError, match="only staff may have API tokens"):
        run("create", "--user", "resident", "--expires", "30")
    assert not ApiToken.objects.exists()


def test_an_inactive_staff_user_cannot_get_a_token(nurse: User) -> None:
    nurse.is_active = False
    nurse.save()
    with pytest.raises(TokenError, match="not active staff"):
        create_api_token(actor=None, user=nurse, expires_in_days=30)


def test_list_shows_each_tokens_prefix_user_name_and_dates_but_never_the_token(
    nurse: User,
) -> None:
    clinician = User.objects.create_user(username="test-clinician", role=Role.CLINICIAN)
    nurse_token, nurse_plaintext = create_api_token(
        actor=None, user=nurse, name="sync", expires_in_days=30
    )
    create_api_token(actor=None, user=clinician, expires_in_days=30)

    assert [row["user"] for row in listed()] == ["test-clinician", "test-nurse"]
    assert nurse_plaintext not in run("list")[0]
    (row,) = listed("--user", nurse.username)
    assert row == {
        "prefix": nurse_token.prefix,
        "user": "test-nurse",
        "name": "sync",
        "created": f"{nurse_token.created_at:%Y-%m-%d %H:%M} UTC",
        "expires": f"{nurse_token.expires_at:%Y-%m-%d %H:%M} UTC",
        "revoked": "-",
        "last used": "-",
    }


def test_revoke_stops_the_token_at_once(nurse: User) -> None:
    token, plaintext = create_api_token(actor=None, user=nurse, expires_in_days=30)

    out, _ = run("revoke", token.prefix)

    assert f"Revoked token {token.prefix}" in out
    assert user_for_token(plaintext, timezone.now()) is None
    (row,) = listed()
    assert row["revoked"] != "-"


def test_revoke_refuses_a_prefix_that_several_tokens_share(nurse: User) -> None:
    first, _ = create_api_token(actor=None, user=nurse, expires_in_days=30)
    second, _ = create_api_token(actor=None, user=nurse, expires_in_days=30)
    ApiToken.objects.filter(pk=second.pk).update(prefix=first.prefix)

    with pytest.raises(CommandError, match="Several tokens"):
        run("revoke", first.prefix)
    assert not ApiToken.objects.filter(revoked_at__isnull=False).exists()


def test_revoke_refuses_an_unknown_prefix_and_a_token_already_revoked(nurse: User) -> None:
    token, _ = create_api_token(actor=None, user=nurse, expires_in_days=30)
    with pytest.raises(CommandError, match="No token has the prefix kl_nothing"):
        run("revoke", "kl_nothing")
    revoke_api_token(actor=None, token=token)
    with pytest.raises(CommandError, match="already revoked"):
        run("revoke", token.prefix)


@pytest.fixture
def token_of_nurse(nurse: User) -> tuple[ApiToken, str]:
    return create_api_token(actor=None, user=nurse, expires_in_days=30)


def test_an_expired_token_is_refused(token_of_nurse: tuple[ApiToken, str]) -> None:
    token, plaintext = token_of_nurse
    assert user_for_token(plaintext, token.expires_at - timedelta(seconds=1)) is not None
    assert user_for_token(plaintext, token.expires_at) is None


def test_an_unknown_token_is_refused(token_of_nurse: tuple[ApiToken, str]) -> None:
    _, plaintext = token_of_nurse
    assert user_for_token(plaintext[:-1], timezone.now()) is None
    assert user_for_token("", timezone.now()) is None


def test_a_token_stops_working_when_its_user_is_deactivated(
    nurse: User, token_of_nurse: tuple[ApiToken, str]
) -> None:
    nurse.is_active = False
    nurse.save()
    assert user_for_token(token_of_nurse[1], timezone.now()) is None


def test_last_use_is_recorded_at_most_once_a_minute(token_of_nurse: tuple[ApiToken, str]) -> None:
    token, plaintext = token_of_nurse
    first = token.created_at + timedelta(hours=1)

    def last_used_after_use_at(moment: datetime) -> datetime | None:
        user_for_token(plaintext, moment)
        return ApiToken.objects.get(pk=token.pk).last_used_at

    assert last_used_after_use_at(first) == first
    assert last_used_after_use_at(first + timedelta(seconds=59)) == first
    assert last_used_after_use_at(first + timedelta(seconds=60)) == first + timedelta(seconds=60)
