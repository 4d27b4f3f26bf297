"""Simulation over the API: scripted dry runs of a journey version, and BPMN validation."""

from __future__ import annotations

from typing import Any

import pytest

from processes.models import Journey
from tests.factories import MINIMAL_BPMN, UserFactory

pytestmark = pytest.mark.django_db

CAPTURE = {
    "complete": "Task_Capture",
    "data": {"applicant": "Jo", "amount": 75000, "term_months": 24},
}


def play(client: Any, **payload: Any) -> Any:
    return client.post("/api/simulation/test-journey", payload, format="json")


def test_a_script_plays_against_the_latest_published_version(
    demo_users: dict[str, Any], api_as: Any
) -> None:
    script = [
        CAPTURE,
        {"complete": "Task_Documents", "data": {"documents_ok": True}},
        {"complete": "Task_Nowhere"},
        {"complete": "Task_Underwrite", "data": {"approved": False, "decision_reason": "Risk"}},
    ]
    response = play(api_as(demo_users["carla"]), journey="loan-application", script=script)
    assert response.status_code == 200, response.json()
    lines = response.json()["lines"]
    assert [line["step"] for line in lines] == [0, 1, 2, 3, 4]
    assert lines[0]["open"] == {"Task_Capture": 1}
    assert lines[0]["event"] is None
    assert lines[2]["open"] == {"Task_Underwrite": 1}
    assert (lines[3]["ok"], lines[3]["error"] is not None) == (False, True)
    assert lines[4]["state"] == "completed"
    assert lines[4]["data"]["decision_reason"] == "Risk"


def test_a_script_with_start_data_by_journey_id_and_version_number(
    demo_users: dict[str, Any], api_as: Any
) -> None:
    journey = Journey.objects.get(key="expense-claim")
    script = {
        "data": {"total": 50},
        "events": [{"complete": "Task_Review", "data": {"receipts_ok": False}}],
    }
    response = play(api_as(demo_users["ana"]), journey=journey.pk, version=1, script=script)
    assert response.status_code == 200, response.json()
    first, second = response.json()["lines"]
    assert first["data"] == {"total": 50}
    assert second["open"] == {"Task_Clarify": 1}


def test_the_draft_can_be_played(demo_users: dict[str, Any], api_as: Any) -> None:
    admin = api_as(demo_users["admin"])
    journey = Journey.objects.get(key="loan-application")
    missing = play(admin, journey="loan-application", version="draft", script=[])
    assert (missing.status_code, missing.json()["error"]["code"]) == (404, "no_draft")
    admin.put(
        f"/api/journeys/{journey.pk}/draft/",
        {"bpmn_xml": MINIMAL_BPMN, "lock_version": None},
        format="json",
    )
    response = play(
        admin, journey="loan-application", version="draft", script=[{"complete": "Work"}]
    )
    assert response.status_code == 200
    assert [line["state"] for line in response.json()["lines"]] == ["running", "completed"]


@pytest.mark.parametrize(
    ("payload", "status", "code", "field"),
    [
        ({"script": "events"}, 400, "invalid_script", "script"),
        ({"script": {"data": [], "events": []}}, 400, "invalid_script", "script"),
        ({"script": {"events": {}}}, 400, "invalid_script", "script"),
        ({"script": {"now": "soon", "events": []}}, 400, "invalid_script", "script"),
        ({"script": [{}] * 10_001}, 400, "invalid_script", "script"),
        ({}, 400, "invalid.required", "script"),
        ({"script": [], "version": "latest"}, 400, "invalid", "version"),
        ({"script": [], "version": 0}, 400, "invalid", "version"),
        ({"script": [], "version": 9}, 404, "not_found", None),
        ({"script": [], "journey": "nope"}, 404, "not_found", None),
        ({"script": [], "journey": None}, 400, "invalid.null", "journey"),
    ],
)
def test_bad_simulation_requests(
    demo_users: dict[str, Any],
    api_as: Any,
    payload: dict[str, Any],
    status: int,
    code: str,
    field: str | None,
) -> None:
    response = play(api_as(demo_users["ana"]), **{"journey": "loan-application", **payload})
    assert response.status_code == status
    error = response.json()["error"]
    assert (error["code"], error["field"]) == (code, field)


def test_only_users_who_see_the_journey_may_simulate_it(
    demo_users: dict[str, Any], api_as: Any
) -> None:
    stranger = api_as(UserFactory())
    hidden = play(stranger, journey="loan-application", script=[])
    missing = play(stranger, journey="no-such-journey", script=[])
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json() == missing.json()


def test_a_journey_without_published_version_names_the_version(designer: Any, api_as: Any) -> None:
    client = api_as(designer)
    client.post(
        "/api/journeys/", {"key": "fresh", "name": "Fresh", "bpmn_xml": MINIMAL_BPMN}, format="json"
    )
    response = play(client, journey="fresh", script=[])
    assert response.status_code == 400
    assert (response.json()["error"]["code"], response.json()["error"]["field"]) == (
        "not_published",
        "version",
    )
    assert play(client, journey="fresh", version="draft", script=[]).status_code == 200


def test_validate_workflow(worker: Any, api_as: Any) -> None:
    client = api_as(worker)
    valid = client.post(
        "/api/simulation/validate-workflow", {"bpmn_xml": MINIMAL_BPMN}, format="json"
    )
    assert valid.status_code == 200
    assert valid.json() == {"valid": True, "findings": []}
    broken = MINIMAL_BPMN.replace('targetRef="End"', 'targetRef="Nowhere"')
    invalid = client.post("/api/simulation/validate-workflow", {"bpmn_xml": broken}, format="json")
    assert invalid.status_code == 200
    body = invalid.json()
    assert body["valid"] is False
    errors = {(f["code"], f["element_id"]) for f in body["findings"] if f["severity"] == "error"}
    assert {("dangling-flow", "F2"), ("unreachable", "End")} <= errors


@pytest.mark.parametrize(
    ("bpmn_xml", "field"),
    [
        ("<bpmn:definitions", "bpmn_xml"),
        ("<html/>", "bpmn_xml"),
        ("", "bpmn_xml"),
    ],
)
def test_validate_workflow_refuses_what_is_not_bpmn(
    worker: Any, api_as: Any, bpmn_xml: str, field: str
) -> None:
    response = api_as(worker).post(
        "/api/simulation/validate-workflow", {"bpmn_xml": bpmn_xml}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["error"]["field"] == field


def test_simulation_needs_authentication() -> None:
    from rest_framework.test import APIClient

    response = APIClient().post("/api/simulation/validate-workflow", {}, format="json")
    assert response.status_code == 401


def test_a_draft_the_engine_cannot_compile_names_the_element(
    demo_users: dict[str, Any], api_as: Any
) -> None:
    admin = api_as(demo_users["admin"])
    bad_condition = MINIMAL_BPMN.replace(
        '<bpmn:sequenceFlow id="F2" sourceRef="Work" targetRef="End" />',
        '<bpmn:sequenceFlow id="F2" sourceRef="Work" targetRef="End">'
        "<bpmn:conditionExpression>amount &gt;</bpmn:conditionExpression></bpmn:sequenceFlow>",
    )
    journey = Journey.objects.get(key="loan-application")
    admin.put(
        f"/api/journeys/{journey.pk}/draft/",
        {"bpmn_xml": bad_condition, "lock_version": None},
        format="json",
    )
    response = play(admin, journey="loan-application", version="draft", script=[])
    assert response.status_code == 400
    error = response.json()["error"]
    assert (error["code"], error["field"], error["details"]) == (
        "invalid_process",
        "version",
        {"element_id": "F2"},
    )
