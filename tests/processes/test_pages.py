from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from tests.factories import JourneyVersionFactory

pytestmark = pytest.mark.django_db


def test_home_needs_sign_in(client: Client) -> None:
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/"


def test_sign_in_lands_on_the_startable_journeys(
    client: Client, worker: Any, startable_journey: Any
) -> None:
    JourneyVersionFactory(journey__name="Secret journey")
    response = client.post(
        "/accounts/login/", {"username": "worker", "password": "secret-pass"}, follow=True
    )
    assert response.redirect_chain[-1][0] == "/"
    page = response.content.decode()
    assert "Onboarding" in page
    assert "Secret journey" not in page
    assert 'data-journey-key="onboarding"' in page


def test_wrong_password_shows_an_error(client: Client, worker: Any) -> None:
    response = client.post("/accounts/login/", {"username": "worker", "password": "nope"})
    assert response.status_code == 200
    assert "did not match" in response.content.decode()


def test_a_user_with_nothing_to_start_is_told_why(client: Client, worker: Any) -> None:
    client.force_login(worker)
    assert 'data-testid="no-journeys"' in client.get("/").content.decode()


def test_sign_out(client: Client, worker: Any) -> None:
    client.force_login(worker)
    response = client.post("/accounts/logout/")
    assert response.status_code == 302
    assert client.get("/").status_code == 302


def test_admin_link_only_for_staff(client: Client, worker: Any) -> None:
    client.force_login(worker)
    assert "/admin/" not in client.get("/").content.decode()
    worker.is_staff = True
    worker.save()
    assert "/admin/" in client.get("/").content.decode()
