import pytest
from django.test import Client

from kiteline.accounts.models import User


@pytest.mark.django_db
def test_the_roster_asks_for_sign_in_first(client: Client) -> None:
    response = client.get("/roster/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/sign-in/")


def test_a_nurse_sees_the_roster(client: Client, nurse: User) -> None:
    client.force_login(nurse)
    response = client.get("/roster/")
    assert response.status_code == 200
