"""A query parameter holding a NUL character is a 400 naming it, never a 500 from the database."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.django_db

PAGES = ["/inbox/?q=a%00b", "/rules/?q=%00", "/monitoring/?journey=a%00b", "/?status=%00"]
API = [
    ("/api/analytics/anomalies?journey=a%00b", "journey"),
    ("/api/analytics/steps?role=%00", "role"),
    ("/api/tasks/inbox?scope=mine&q%00=x", "q\x00"),
]


@pytest.mark.parametrize("url", PAGES)
def test_a_page_refuses_a_null_character(demo_users: dict[str, Any], client: Any, url: str) -> None:
    client.force_login(demo_users["maria"])
    assert client.get(url).status_code == 400


@pytest.mark.parametrize(("url", "field"), API)
def test_the_api_names_the_parameter(
    demo_users: dict[str, Any], api_as: Any, url: str, field: str
) -> None:
    response = api_as(demo_users["maria"]).get(url)
    assert response.status_code == 400
    error = response.json()["error"]
    assert (error["code"], error["field"]) == ("null_character", field)
    assert response["X-Trace-Id"]


def test_other_requests_pass(demo_users: dict[str, Any], api_as: Any) -> None:
    assert api_as(demo_users["maria"]).get("/api/tasks/inbox?q=plain").status_code == 200
