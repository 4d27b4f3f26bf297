from __future__ import annotations

from typing import Any

import pytest
from guardian.shortcuts import assign_perm
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tests.factories import MINIMAL_BPMN, JourneyVersionFactory, UserFactory

pytestmark = pytest.mark.django_db


def client_for(user: Any) -> APIClient:
    client = APIClient()
    token, _ = Token.objects.get_or_create(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def test_the_api_needs_authentication() -> None:
    response = APIClient().get("/api/v1/journeys/")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"


def test_list_shows_only_visible_journeys_in_constant_queries(
    worker: Any, worker_role: Any, startable_journey: Any, django_assert_num_queries: Any
) -> None:
    JourneyVersionFactory()  # invisible to the worker
    client = client_for(worker)
    client.get("/api/v1/journeys/")  # warm the content-type cache
    with django_assert_num_queries(5):
        response = client.get("/api/v1/journeys/")
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1
    assert body["results"][0]["key"] == "onboarding"
    assert body["results"][0]["published_version"] == startable_journey.versions.get().number
    for _ in range(3):
        journey = JourneyVersionFactory().journey
        assign_perm("processes.view_journey", worker_role.group, journey)
    with django_assert_num_queries(5):
        assert client.get("/api/v1/journeys/").json()["count"] == 4


def test_create_journey(designer: Any) -> None:
    response = client_for(designer).post(
        "/api/v1/journeys/",
        {"key": "claims", "name": "Claims", "bpmn_xml": MINIMAL_BPMN},
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert response.json()["key"] == "claims"
    assert response.json()["published_version"] is None


@pytest.mark.parametrize(
    ("payload", "code", "field"),
    [
        ({"name": "No key", "bpmn_xml": MINIMAL_BPMN}, "invalid.required", "key"),
        ({"key": "has space", "name": "X", "bpmn_xml": MINIMAL_BPMN}, "invalid", "key"),
        ({"key": "x", "name": "X", "bpmn_xml": "<not-bpmn/>"}, "invalid_bpmn", "bpmn_xml"),
        ({"key": "x", "name": "X", "bpmn_xml": 17}, "invalid_bpmn", "bpmn_xml"),
        ({"key": "x", "name": "x" * 201, "bpmn_xml": MINIMAL_BPMN}, "invalid.max_length", "name"),
    ],
)
def test_bad_input_gets_a_400_with_code_and_field(
    designer: Any, payload: dict[str, Any], code: str, field: str
) -> None:
    response = client_for(designer).post("/api/v1/journeys/", payload, format="json")
    assert response.status_code == 400
    error = response.json()["error"]
    assert (error["code"], error["field"]) == (code, field)


def test_malformed_json_is_a_400(designer: Any) -> None:
    response = client_for(designer).post(
        "/api/v1/journeys/", "{not json", content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "parse_error"


def test_create_without_permission_is_refused(worker: Any) -> None:
    response = client_for(worker).post(
        "/api/v1/journeys/", {"key": "x", "name": "X", "bpmn_xml": MINIMAL_BPMN}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "permission_denied"


def test_detail_is_404_for_invisible_and_unknown_alike(worker: Any, startable_journey: Any) -> None:
    hidden = JourneyVersionFactory().journey
    client = client_for(worker)
    assert client.get(f"/api/v1/journeys/{startable_journey.pk}/").status_code == 200
    invisible = client.get(f"/api/v1/journeys/{hidden.pk}/")
    unknown = client.get("/api/v1/journeys/999999/")
    assert invisible.status_code == unknown.status_code == 404
    assert invisible.json() == unknown.json()


def test_openapi_schema_is_served(worker: Any) -> None:
    response = client_for(worker).get("/api/schema/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200


def test_unexpected_errors_hide_the_trace(worker: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from processes import selectors

    def explode(**kwargs: Any) -> Any:
        raise RuntimeError("database password is hunter2")

    monkeypatch.setattr(selectors, "journeys_visible_to", explode)
    response = client_for(UserFactory()).get("/api/v1/journeys/")
    assert response.status_code == 500
    error = response.json()["error"]
    assert error["code"] == "server_error"
    assert "hunter2" not in response.content.decode()
    assert error["details"]["trace_id"] in error["message"]
