"""Who may call the API: staff with a bearer token or signed in, in the operation's roles;
an operation that names no roles is refused to everyone."""

from datetime import date, timedelta

import pytest
from django.http import HttpRequest
from django.test import Client, override_settings
from django.urls import include, path
from django.utils import timezone
from ninja import NinjaAPI

from kiteline.accounts.authz import ALL_STAFF
from kiteline.accounts.models import ApiToken, Role, User
from kiteline.accounts.tokens import create_api_token, revoke_api_token
from kiteline.api.api import api, urls_of
from kiteline.api.auth import roles
from kiteline.facilities.models import Person

ROSTER = "/api/v1/roster"

# A second API with the real one's default auth, to show what an operation gets when it
# names no roles, and to try a role rule and an unsafe method that the real API lacks so far.
throwaway = NinjaAPI(urls_namespace="throwaway", auth=api.auth)


@throwaway.get("/unguarded")
def unguarded(request: HttpRequest) -> str:
    return "should never be seen"


@throwaway.get("/supervisors", auth=roles(Role.SUPERVISOR))
def supervisors(request: HttpRequest) -> str:
    return "for supervisors"


@throwaway.post("/echo", auth=roles(*ALL_STAFF))
def echo(request: HttpRequest) -> str:
    return "posted"


urlpatterns = [path("throwaway/", include((urls_of(throwaway), "throwaway")))]
on_the_throwaway_api = override_settings(ROOT_URLCONF=__name__)


def bearer(plaintext: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {plaintext}"}


@pytest.fixture
def nurse_token(nurse: User) -> tuple[ApiToken, str]:
    return create_api_token(actor=None, user=nurse, expires_in_days=30)


def test_a_token_works_as_a_bearer_token(client: Client, nurse_token: tuple[ApiToken, str]) -> None:
    response = client.get(ROSTER, headers=bearer(nurse_token[1]))
    assert response.status_code == 200
    assert response.json()["rows"] == []


def test_a_revoked_token_is_refused(client: Client, nurse_token: tuple[ApiToken, str]) -> None:
    token, plaintext = nurse_token
    revoke_api_token(actor=None, token=token)
    assert client.get(ROSTER, headers=bearer(plaintext)).status_code == 401


def test_an_expired_token_is_refused(client: Client, nurse_token: tuple[ApiToken, str]) -> None:
    token, plaintext = nurse_token
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert client.get(ROSTER, headers=bearer(plaintext)).status_code == 401


@pytest.mark.parametrize("header", ["Bearer kl_unknown", "Bearer ", "Basic a2w6eA==", "kl_x"])
def test_an_unknown_token_is_refused(client: Client, nurse: User, header: str) -> None:
    assert client.get(ROSTER, headers={"Authorization": header}).status_code == 401


def test_the_token_of_a_deactivated_user_is_refused(
    client: Client, nurse: User, nurse_token: tuple[ApiToken, str]
) -> None:
    nurse.is_active = False
    nurse.save()
    assert client.get(ROSTER, headers=bearer(nurse_token[1])).status_code == 401


def test_a_token_that_a_resident_somehow_holds_is_refused(client: Client, db: None) -> None:
    person = Person.objects.create(
        resident_number="R1",
        given_name="Alder",
        family_name="Testfield",
        date_of_birth=date(1990, 1, 1),
    )
    resident = User.objects.create_user(username="resident", role=Role.RESIDENT, person=person)
    nurse = User.objects.create_user(username="test-nurse", role=Role.NURSE)
    token, plaintext = create_api_token(actor=None, user=nurse, expires_in_days=30)
    ApiToken.objects.filter(pk=token.pk).update(user=resident)

    assert client.get(ROSTER, headers=bearer(plaintext)).status_code == 401


def test_session_auth_works_for_a_signed_in_staff_member(client: Client, nurse: User) -> None:
    client.force_login(nurse)
    assert client.get(ROSTER).status_code == 200


def test_an_anonymous_caller_is_refused(client: Client, db: None) -> None:
    assert client.get(ROSTER).status_code == 401


def test_a_signed_in_resident_is_refused(client: Client, db: None) -> None:
    person = Person.objects.create(
        resident_number="R1",
        given_name="Alder",
        family_name="Testfield",
        date_of_birth=date(1990, 1, 1),
    )
    client.force_login(User.objects.create_user(username="r", role=Role.RESIDENT, person=person))
    assert client.get(ROSTER).status_code == 401


def test_api_responses_are_never_cached(client: Client, nurse_token: tuple[ApiToken, str]) -> None:
    response = client.get(ROSTER, headers=bearer(nurse_token[1]))
    assert "no-store" in response["Cache-Control"]


def test_every_operation_of_the_api_names_its_roles() -> None:
    schema = api.get_openapi_schema()
    operations = [
        (route, method, operation)
        for route, methods in schema["paths"].items()
        for method, operation in methods.items()
    ]
    assert operations
    staff: list[dict[str, list[str]]] = [{"BearerToken": []}, {"StaffSession": []}]
    named = (
        staff,  # roles(...)
        [{"ResidentSession": []}, *staff],  # residents(): staff are told 403
        [*staff, {"ResidentSession": []}],  # roles(...) and residents at a kiosk
    )
    for route, method, operation in operations:
        assert operation.get("security") in named, (
            f"{method.upper()} {route} must declare auth=roles(...), residents() or both"
        )


@on_the_throwaway_api
def test_an_operation_that_names_no_roles_is_refused_to_everyone(
    client: Client, nurse: User, nurse_token: tuple[ApiToken, str]
) -> None:
    assert client.get("/throwaway/unguarded", headers=bearer(nurse_token[1])).status_code == 401
    supervisor = User.objects.create_user(username="s", role=Role.SUPERVISOR)
    client.force_login(supervisor)
    response = client.get("/throwaway/unguarded")
    assert response.status_code == 401
    assert b"should never be seen" not in response.content


@on_the_throwaway_api
def test_staff_in_another_role_are_forbidden(
    client: Client, nurse: User, nurse_token: tuple[ApiToken, str]
) -> None:
    assert client.get("/throwaway/supervisors", headers=bearer(nurse_token[1])).status_code == 403
    client.force_login(nurse)
    assert client.get("/throwaway/supervisors").status_code == 403
    client.force_login(User.objects.create_user(username="s", role=Role.SUPERVISOR))
    assert client.get("/throwaway/supervisors").status_code == 200


@on_the_throwaway_api
def test_a_signed_in_post_needs_the_csrf_token_and_a_bearer_post_does_not(
    nurse: User, nurse_token: tuple[ApiToken, str]
) -> None:
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(nurse)
    assert browser.post("/throwaway/echo").status_code == 403

    secret = "a" * 32
    browser.cookies["csrftoken"] = secret
    assert browser.post("/throwaway/echo", headers={"X-CSRFToken": secret}).status_code == 200

    script = Client(enforce_csrf_checks=True)
    assert script.post("/throwaway/echo", headers=bearer(nurse_token[1])).status_code == 200
