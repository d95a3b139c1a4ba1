import time

import pytest
from django.contrib.auth.models import AnonymousUser
from django.test import Client, RequestFactory, override_settings
from django.urls import reverse

from kiteline.accounts.authz import Audience, Rule, check_access
from kiteline.accounts.models import User
from kiteline.accounts.sessions import SIGNED_IN_AT

PASSWORD = "a-test-password"


def sign_in(client: Client, password: str = PASSWORD) -> int:
    response = client.post(
        reverse("login"), {"username": "test-nurse", "password": password}, REMOTE_ADDR="10.0.0.1"
    )
    return response.status_code


def test_signing_in_gives_a_new_session_key(client: Client, nurse: User) -> None:
    client.get(reverse("login"))
    client.session.save()
    before = client.session.session_key
    assert sign_in(client) == 302
    assert client.session.session_key != before


def test_a_staff_session_ends_after_thirty_minutes_idle(client: Client, nurse: User) -> None:
    sign_in(client)
    response = client.get("/roster/")
    assert response.status_code == 200
    assert client.session.get_expiry_age() == 30 * 60
    assert response.cookies["sessionid"]["max-age"] == 30 * 60


def test_a_staff_session_ends_twelve_hours_after_sign_in_however_busy(
    client: Client, nurse: User
) -> None:
    sign_in(client)
    session = client.session
    session[SIGNED_IN_AT] = int(time.time()) - 12 * 3600 - 1
    session.save()

    response = client.get("/roster/")

    assert response.status_code == 302
    assert client.get("/roster/").status_code == 302
    assert "_auth_user_id" not in client.session


def test_signed_in_pages_are_never_cached(client: Client, nurse: User) -> None:
    client.force_login(nurse)
    assert client.get("/roster/")["Cache-Control"] == "no-store"


@override_settings(AXES_FAILURE_LIMIT=3)
def test_staff_sign_in_is_throttled_per_account_and_address(client: Client, nurse: User) -> None:
    assert sign_in(client, password="wrong") == 200
    assert sign_in(client, password="wrong") == 200
    assert sign_in(client, password="wrong") == 429
    # Now even the right password is refused from this address for this account...
    assert sign_in(client) == 429
    # ...while the same account from another address still signs in.
    other = Client()
    response = other.post(
        reverse("login"),
        {"username": "test-nurse", "password": "a-test-password"},
        REMOTE_ADDR="10.0.0.2",
    )
    assert response.status_code == 302


@pytest.mark.django_db
def test_a_signed_out_visitor_to_a_staff_page_is_sent_to_sign_in() -> None:
    request = RequestFactory().get("/roster/")
    request.user = AnonymousUser()
    response = check_access(request, Rule(Audience.STAFF, frozenset({"nurse"})))
    assert response is not None
    assert response.status_code == 302
