import re

import pytest
from django.test import Client


@pytest.mark.django_db
def test_every_script_carries_the_nonce_of_its_response(client: Client) -> None:
    response = client.get("/accounts/sign-in/")
    policy = response["Content-Security-Policy"]
    nonce = re.search(r"'nonce-([^']+)'", policy)
    assert nonce is not None
    scripts = re.findall(r"<script[^>]*>", response.content.decode())
    assert scripts
    assert all(f'nonce="{nonce.group(1)}"' in tag for tag in scripts)


@pytest.mark.django_db
def test_pages_load_nothing_from_another_site(client: Client) -> None:
    response = client.get("/accounts/sign-in/")
    assert "default-src 'self'" in response["Content-Security-Policy"]
    assert not re.search(r'(src|href)="(https?:)?//', response.content.decode())


@pytest.mark.django_db
def test_two_responses_get_two_different_nonces(client: Client) -> None:
    first = client.get("/accounts/sign-in/")["Content-Security-Policy"]
    second = client.get("/accounts/sign-in/")["Content-Security-Policy"]
    assert first != second
