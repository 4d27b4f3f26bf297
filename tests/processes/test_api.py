from __future__ import annotations

import json
import re
from datetime import timedelta
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from guardian.shortcuts import assign_perm
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from processes import handlers
from processes.models import Journey, JourneyVersion, ProcessInstance
from tests.factories import MINIMAL_BPMN, JourneyVersionFactory, UserFactory
from tests.processes.test_instances import SERVICE_BPMN, TIMER_BPMN, published

pytestmark = pytest.mark.django_db


def client_for(user: Any) -> APIClient:
    client = APIClient()
    token, _ = Token.objects.get_or_create(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def test_the_api_needs_authentication() -> None:
    response = APIClient().get("/api/journeys/")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"


def test_list_shows_only_visible_journeys_in_constant_queries(
    worker: Any, worker_role: Any, startable_journey: Any, django_assert_num_queries: Any
) -> None:
    JourneyVersionFactory()  # invisible to the worker
    client = client_for(worker)
    client.get("/api/journeys/")  # warm the content-type cache
    with django_assert_num_queries(5):
        response = client.get("/api/journeys/")
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1
    assert body["results"][0]["key"] == "onboarding"
    assert body["results"][0]["published_version"] == startable_journey.versions.get().number
    for _ in range(3):
        journey = JourneyVersionFactory().journey
        assign_perm("processes.view_journey", worker_role.group, journey)
    with django_assert_num_queries(5):
        assert client.get("/api/journeys/").json()["count"] == 4


def test_create_journey(designer: Any) -> None:
    response = client_for(designer).post(
        "/api/journeys/",
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
    response = client_for(designer).post("/api/journeys/", payload, format="json")
    assert response.status_code == 400
    error = response.json()["error"]
    assert (error["code"], error["field"]) == (code, field)


def test_malformed_json_is_a_400(designer: Any) -> None:
    response = client_for(designer).post(
        "/api/journeys/", "{not json", content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "parse_error"


def test_create_without_permission_is_refused(worker: Any) -> None:
    response = client_for(worker).post(
        "/api/journeys/", {"key": "x", "name": "X", "bpmn_xml": MINIMAL_BPMN}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "permission_denied"


def test_detail_is_404_for_invisible_and_unknown_alike(worker: Any, startable_journey: Any) -> None:
    hidden = JourneyVersionFactory().journey
    client = client_for(worker)
    assert client.get(f"/api/journeys/{startable_journey.pk}/").status_code == 200
    invisible = client.get(f"/api/journeys/{hidden.pk}/")
    unknown = client.get("/api/journeys/999999/")
    assert invisible.status_code == unknown.status_code == 404
    assert invisible.json() == unknown.json()


def test_a_token_authenticates_its_user_and_a_bad_one_is_a_401(worker: Any) -> None:
    token = Token.objects.create(user=worker)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    assert client.get("/api/journeys/").status_code == 200  # who it is: the IDOR sweep's tests
    client.credentials(HTTP_AUTHORIZATION="Token " + "0" * 40)
    unknown = client.get("/api/journeys/")
    assert unknown.status_code == 401
    assert unknown.json()["error"]["message"] == "Invalid token."
    worker.is_active = False
    worker.save()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    inactive = client.get("/api/journeys/")
    assert inactive.status_code == 401
    assert inactive.json()["error"]["message"] == "User inactive or deleted."


def test_openapi_schema_is_served(worker: Any) -> None:
    response = client_for(worker).get("/api/schema/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200


def test_unexpected_errors_hide_the_trace(worker: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from processes import selectors

    def explode(**kwargs: Any) -> Any:
        raise RuntimeError("database password is hunter2")

    monkeypatch.setattr(selectors, "journeys_visible_to", explode)
    response = client_for(UserFactory()).get("/api/journeys/")
    assert response.status_code == 500
    error = response.json()["error"]
    assert error["code"] == "server_error"
    assert "hunter2" not in response.content.decode()
    assert error["details"]["trace_id"] in error["message"]


def test_an_unreachable_database_is_a_503_to_retry(
    worker: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from django.db import OperationalError

    from processes import selectors

    def unreachable(**kwargs: Any) -> Any:
        raise OperationalError("couldn't get a connection after 10.00 sec")

    monkeypatch.setattr(selectors, "journeys_visible_to", unreachable)
    response = client_for(UserFactory()).get("/api/journeys/")
    assert response.status_code == 503
    assert response["Retry-After"] == "1"
    error = response.json()["error"]
    assert error["code"] == "database_unavailable"
    assert "10.00 sec" not in response.content.decode()
    assert error["details"]["trace_id"] in error["message"]


# --- Journeys: versions, the draft, publishing, retiring, export, import ------------------------

BROKEN_BPMN = MINIMAL_BPMN.replace('targetRef="End"', 'targetRef="Nowhere"')


def loan(demo_users: dict[str, Any]) -> Journey:
    return Journey.objects.get(key="loan-application")


def test_a_draft_is_saved_validated_published_and_the_old_version_retired(
    demo_users: dict[str, Any], api_as: Any
) -> None:
    client = api_as(demo_users["admin"])
    journey = loan(demo_users)
    base = f"/api/journeys/{journey.pk}"
    versions = client.get(f"{base}/versions/").json()
    assert [(v["number"], v["status"]) for v in versions["results"]] == [(1, "published")]
    missing = client.get(f"{base}/draft/")
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "no_draft"

    xml = client.get(f"{base}/versions/1/bpmn").content.decode()
    saved = client.put(f"{base}/draft/", {"bpmn_xml": xml, "lock_version": None}, format="json")
    assert saved.status_code == 200, saved.json()
    assert (saved.json()["number"], saved.json()["lock_version"]) == (2, 1)
    again = client.put(f"{base}/draft/", {"bpmn_xml": xml, "lock_version": 1}, format="json")
    assert again.json()["lock_version"] == 2
    stale = client.put(f"{base}/draft/", {"bpmn_xml": xml, "lock_version": 1}, format="json")
    assert stale.status_code == 409
    assert stale.json()["error"]["code"] == "draft_conflict"
    assert stale.json()["error"]["details"] == {"current_lock_version": 2}
    assert client.get(f"{base}/draft/").json()["bpmn_xml"] == xml

    checked = client.post(f"{base}/draft/validate/")
    assert checked.status_code == 200
    assert checked.json()["valid"] is True
    published = client.post(f"{base}/draft/publish/")
    assert published.status_code == 200, published.json()
    assert (published.json()["number"], published.json()["status"]) == (2, "published")
    assert client.get(f"{base}/").json()["published_version"] == 2

    retired = client.post(f"{base}/versions/1/retire/")
    assert retired.status_code == 200
    assert retired.json()["status"] == "retired"
    assert retired.json()["retired_by"]["username"] == "admin"
    twice = client.post(f"{base}/versions/1/retire/")
    assert twice.status_code == 409
    assert twice.json()["error"]["code"] == "illegal_transition"
    assert client.post(f"{base}/versions/9/retire/").status_code == 404


def test_an_invalid_draft_validates_with_findings_and_is_not_published(
    demo_users: dict[str, Any], api_as: Any
) -> None:
    client = api_as(demo_users["admin"])
    base = f"/api/journeys/{loan(demo_users).pk}"
    client.put(f"{base}/draft/", {"bpmn_xml": BROKEN_BPMN, "lock_version": None}, format="json")
    checked = client.post(f"{base}/draft/validate/").json()
    assert checked["valid"] is False
    assert ("dangling-flow", "F2") in {(f["code"], f["element_id"]) for f in checked["findings"]}
    refused = client.post(f"{base}/draft/publish/")
    assert refused.status_code == 400
    error = refused.json()["error"]
    assert (error["code"], error["field"]) == ("invalid_process", "bpmn_xml")
    assert any(f["code"] == "dangling-flow" for f in error["details"]["findings"])
    assert client.get(f"{base}/draft/").json()["status"] == "draft"


def test_saving_a_draft_needs_the_design_permission(
    demo_users: dict[str, Any], api_as: Any
) -> None:
    response = api_as(demo_users["ana"]).put(
        f"/api/journeys/{loan(demo_users).pk}/draft/",
        {"bpmn_xml": MINIMAL_BPMN, "lock_version": None},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "permission_denied"


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"lock_version": None}, "bpmn_xml"),
        ({"bpmn_xml": MINIMAL_BPMN}, "lock_version"),
        ({"bpmn_xml": MINIMAL_BPMN, "lock_version": "two"}, "lock_version"),
        ({"bpmn_xml": "<oops", "lock_version": None}, "bpmn_xml"),
    ],
)
def test_draft_saves_with_bad_fields_are_400s(
    demo_users: dict[str, Any], api_as: Any, payload: dict[str, Any], field: str
) -> None:
    response = api_as(demo_users["admin"]).put(
        f"/api/journeys/{loan(demo_users).pk}/draft/", payload, format="json"
    )
    assert response.status_code == 400
    assert response.json()["error"]["field"] == field


def test_versions_and_drafts_export_as_bpmn_xml(demo_users: dict[str, Any], api_as: Any) -> None:
    client = api_as(demo_users["ana"])
    base = f"/api/journeys/{loan(demo_users).pk}"
    response = client.get(f"{base}/versions/1/bpmn")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/xml"
    assert 'filename="loan-application-v1.bpmn"' in response["Content-Disposition"]
    assert response.content.startswith(b"<?xml")
    assert b'id="Task_Underwrite"' in response.content
    as_xml = client.get(f"{base}/versions/1/bpmn", HTTP_ACCEPT="application/xml")
    assert as_xml.status_code == 200
    missing = client.get(f"{base}/versions/7/bpmn", HTTP_ACCEPT="application/xml")
    assert missing.status_code == 404
    assert missing.content.startswith(b"<?xml")
    assert b'code="not_found"' in missing.content
    assert client.get(f"{base}/draft/bpmn").status_code == 404
    api_as(demo_users["admin"]).put(
        f"{base}/draft/", {"bpmn_xml": MINIMAL_BPMN, "lock_version": None}, format="json"
    )
    draft = client.get(f"{base}/draft/bpmn")
    assert draft.status_code == 200
    assert b'id="Process_1"' in draft.content


def test_import_a_bpmn_file_upload_names_the_journey_after_its_process(designer: Any) -> None:
    upload = SimpleUploadedFile("minimal.bpmn", MINIMAL_BPMN.encode(), "application/xml")
    response = client_for(designer).post(
        "/api/journeys/import/", {"file": upload}, format="multipart"
    )
    assert response.status_code == 201, response.json()
    assert (response.json()["key"], response.json()["name"]) == ("minimal", "Minimal")
    version = JourneyVersion.objects.get(journey__key="minimal")
    assert (version.number, version.status, version.bpmn_xml) == (1, "draft", MINIMAL_BPMN)


def test_import_a_latin_1_file_with_its_own_key(designer: Any) -> None:
    xml = MINIMAL_BPMN.replace('encoding="UTF-8"', 'encoding="ISO-8859-1"').replace(
        'name="Minimal"', 'name="Café"'
    )
    upload = SimpleUploadedFile("cafe.bpmn", xml.encode("latin-1"))
    response = client_for(designer).post(
        "/api/journeys/import/", {"file": upload, "key": "cafe-run"}, format="multipart"
    )
    assert response.status_code == 201, response.json()
    assert (response.json()["key"], response.json()["name"]) == ("cafe-run", "Café")


def test_import_as_json(designer: Any) -> None:
    response = client_for(designer).post(
        "/api/journeys/import/",
        {"key": "claims", "name": "Claims", "bpmn_xml": MINIMAL_BPMN},
        format="json",
    )
    assert response.status_code == 201
    assert response.json()["name"] == "Claims"


@pytest.mark.parametrize(
    ("payload", "code", "field"),
    [
        ({}, "invalid.required", "file"),
        (
            {"file": SimpleUploadedFile("x.bpmn", b"<a/>"), "bpmn_xml": MINIMAL_BPMN},
            "invalid.required",
            "file",
        ),
        ({"file": SimpleUploadedFile("x.bpmn", b"<a>\xff</a>")}, "invalid_bpmn", "file"),
        ({"file": SimpleUploadedFile("x.bpmn", b"<a/>")}, "invalid_bpmn", "bpmn_xml"),
        ({"file": "not a file"}, "invalid", "file"),
    ],
)
def test_import_refuses_what_is_not_one_bpmn_document(
    designer: Any, payload: dict[str, Any], code: str, field: str
) -> None:
    response = client_for(designer).post("/api/journeys/import/", payload, format="multipart")
    assert response.status_code == 400
    error = response.json()["error"]
    assert (error["code"], error["field"]) == (code, field)


def test_bodies_over_10_mb_are_refused_unread(designer: Any) -> None:
    body = b'{"bpmn_xml": "' + b"x" * (10 * 1024 * 1024) + b'"}'
    response = client_for(designer).generic(
        "POST", "/api/journeys/import/", body, content_type="application/json"
    )
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "request_too_large"
    upload = SimpleUploadedFile("big.bpmn", b"<a/>" + b" " * (10 * 1024 * 1024))
    response = client_for(designer).post(
        "/api/journeys/import/", {"file": upload}, format="multipart"
    )
    assert response.status_code == 413


# --- Process instances -------------------------------------------------------------------------


def start_loan(client: APIClient, **fields: Any) -> dict[str, Any]:
    response = client.post(
        "/api/processes/start", {"journey": "loan-application", **fields}, format="json"
    )
    assert response.status_code == 201, response.json()
    return dict(response.json())


def test_start_by_key_or_id_returns_the_instance(demo_users: dict[str, Any], api_as: Any) -> None:
    client = api_as(demo_users["ana"])
    body = start_loan(client, data={"channel": "branch"}, business_key="L-7")
    assert body["status"] == "running"
    assert body["journey"] == {"key": "loan-application", "name": "Loan application"}
    assert (body["version"], body["business_key"], body["data"]) == (
        1,
        "L-7",
        {"channel": "branch"},
    )
    assert body["started_by"]["username"] == "ana"
    assert [
        (t["element_id"], t["status"], t["assignee"]["username"]) for t in body["open_tasks"]
    ] == [("Task_Capture", "claimed", "ana")]
    assert body["open_incidents"] == []
    by_id = client.post("/api/processes/start", {"journey": loan(demo_users).pk}, format="json")
    assert by_id.status_code == 201
    assert by_id.json()["id"] != body["id"]
    assert client.get(f"/api/processes/{body['id']}/").json() == body


@pytest.mark.parametrize(
    ("payload", "status", "code", "field"),
    [
        ({"journey": "no-such-journey"}, 404, "not_found", None),
        ({"journey": 999999}, 404, "not_found", None),
        ({"journey": True}, 400, "invalid", "journey"),
        ({"journey": ["loan-application"]}, 400, "invalid", "journey"),
        ({}, 400, "invalid.required", "journey"),
        ({"journey": "loan-application", "data": [1, 2]}, 400, "invalid.not_a_dict", "data"),
        (
            {"journey": "loan-application", "business_key": "k" * 201},
            400,
            "invalid.max_length",
            "business_key",
        ),
        ({"journey": "expense-claim", "data": {"a": 1}}, 201, None, None),
    ],
)
def test_start_input_is_checked(
    demo_users: dict[str, Any],
    api_as: Any,
    payload: dict[str, Any],
    status: int,
    code: str | None,
    field: str | None,
) -> None:
    response = api_as(demo_users["ana"]).post("/api/processes/start", payload, format="json")
    assert response.status_code == status
    if code is not None:
        assert (response.json()["error"]["code"], response.json()["error"]["field"]) == (
            code,
            field,
        )


def test_starting_a_journey_you_may_only_see_is_refused(
    demo_users: dict[str, Any], api_as: Any
) -> None:
    response = api_as(demo_users["carla"]).post(
        "/api/processes/start", {"journey": "loan-application"}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "permission_denied"


def test_another_users_instance_is_the_same_404_as_a_missing_one(
    demo_users: dict[str, Any], api_as: Any
) -> None:
    instance = start_loan(api_as(demo_users["ana"]))
    carla = api_as(demo_users["carla"])
    for suffix in ("", "history/", "visualize/"):
        hidden = carla.get(f"/api/processes/{instance['id']}/{suffix}")
        missing = carla.get(f"/api/processes/99999999/{suffix}")
        assert hidden.status_code == missing.status_code == 404
        assert hidden.json() == missing.json()
    hidden = carla.post(f"/api/processes/{instance['id']}/cancel/", {"reason": "x"}, format="json")
    assert hidden.status_code == 404
    assert carla.get("/api/processes/99999999999999999999999/").status_code == 404


def test_the_list_filters_by_status_journey_time_and_one_variable(
    demo_users: dict[str, Any], api_as: Any
) -> None:
    ana = api_as(demo_users["ana"])
    first = start_loan(ana, data={"amount": 75000, "channel": "branch"})
    second = start_loan(ana, data={"amount": 1200, "channel": "web", "in": "x"})
    ana.post(f"/api/processes/{second['id']}/suspend/", format="json")  # refused: not an operator
    api_as(demo_users["maria"]).post(
        f"/api/processes/{second['id']}/cancel/", {"reason": "Duplicate"}, format="json"
    )

    def ids(query: str) -> list[int]:
        response = ana.get(f"/api/processes/?{query}")
        assert response.status_code == 200, response.json()
        return [row["id"] for row in response.json()["results"]]

    assert ids("") == [second["id"], first["id"]]
    assert ids("status=running") == [first["id"]]
    assert ids("status=cancelled") == [second["id"]]
    assert ids("journey=loan-application") == [second["id"], first["id"]]
    assert ids("journey=expense-claim") == []
    assert ids("var_amount=75000") == [first["id"]]
    assert ids("var_channel=web") == [second["id"]]
    assert ids("var_in=x") == [second["id"]]
    assert ids("var_channel=phone") == []
    started = ProcessInstance.objects.get(pk=first["id"]).started_at
    assert (
        ids(f"started_after={(started + timedelta(seconds=1)).isoformat()}".replace("+", "%2B"))
        == []
    )
    assert ids("started_before=2000-01-01T00:00:00Z") == []
    assert ids("started_after=2000-01-01") == [second["id"], first["id"]]
    assert ids("limit=1&offset=1") == [first["id"]]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("status=sleeping", "status"),
        ("started_after=yesterday", "started_after"),
        ("started_before=2024-13-01T00:00:00Z", "started_before"),
        ("var_a=1&var_b=2", "var_b"),
        ("var_a-b=1", "var_a-b"),
        ("var_=1", "var_"),
    ],
)
def test_bad_list_filters_are_400s_naming_the_parameter(
    demo_users: dict[str, Any], api_as: Any, query: str, field: str
) -> None:
    response = api_as(demo_users["ana"]).get(f"/api/processes/?{query}")
    assert response.status_code == 400
    assert response.json()["error"]["field"] == field


def test_the_process_list_runs_the_same_queries_for_one_row_or_five(
    demo_users: dict[str, Any], api_as: Any, django_assert_num_queries: Any
) -> None:
    client = api_as(demo_users["ana"])
    start_loan(client)
    client.get("/api/processes/")  # warm the content-type cache
    with django_assert_num_queries(5):
        assert client.get("/api/processes/").json()["count"] == 1
    for _ in range(4):
        start_loan(client)
    with django_assert_num_queries(5):
        assert len(client.get("/api/processes/").json()["results"]) == 5


def test_operators_suspend_resume_and_cancel(demo_users: dict[str, Any], api_as: Any) -> None:
    instance = start_loan(api_as(demo_users["ana"]))
    ana, maria = api_as(demo_users["ana"]), api_as(demo_users["maria"])
    base = f"/api/processes/{instance['id']}"
    refused = ana.post(f"{base}/suspend/", {"reason": "mine"}, format="json")
    assert refused.status_code == 400
    assert refused.json()["error"]["code"] == "permission_denied"
    suspended = maria.post(f"{base}/suspend/", {"reason": "audit"}, format="json")
    assert suspended.status_code == 200
    assert suspended.json()["status"] == "suspended"
    assert maria.post(f"{base}/resume/").json()["status"] == "running"
    not_suspended = maria.post(f"{base}/resume/")
    assert not_suspended.status_code == 409
    assert not_suspended.json()["error"]["code"] == "illegal_transition"
    no_reason = maria.post(f"{base}/cancel/", {"reason": "  "}, format="json")
    assert (no_reason.status_code, no_reason.json()["error"]["field"]) == (400, "reason")
    cancelled = maria.post(
        f"{base}/cancel/", {"reason": "Withdrawn by the customer"}, format="json"
    )
    assert cancelled.status_code == 200
    body = cancelled.json()
    assert (body["status"], body["end_reason"], body["open_tasks"]) == (
        "cancelled",
        "Withdrawn by the customer",
        [],
    )
    assert maria.post(f"{base}/terminate/", {"reason": "x"}, format="json").status_code == 409
    kinds = [event["kind"] for event in maria.get(f"{base}/history/").json()["results"]]
    assert kinds[0] == "started"
    assert kinds[-3:] == ["suspended", "running", "cancelled"]


def test_terminate(demo_users: dict[str, Any], api_as: Any) -> None:
    instance = start_loan(api_as(demo_users["ana"]))
    response = api_as(demo_users["admin"]).post(
        f"/api/processes/{instance['id']}/terminate/", {}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["status"] == "terminated"


def test_history_and_visualize(demo_users: dict[str, Any], api_as: Any) -> None:
    client = api_as(demo_users["ana"])
    instance = start_loan(client)
    history = client.get(f"/api/processes/{instance['id']}/history/").json()
    assert history["count"] == len(history["results"]) >= 1
    first = history["results"][0]
    assert (first["kind"], first["actor"]["username"], first["detail"]) == (
        "started",
        "ana",
        {"version": 1},
    )
    diagram = client.get(f"/api/processes/{instance['id']}/visualize/").json()
    assert diagram["status"] == "running"
    assert diagram["active"] == {"Task_Capture": 1}
    assert diagram["incidents"] == []
    assert 'id="Task_Capture"' in diagram["bpmn_xml"]


def test_a_failed_service_task_is_retried_through_the_api(
    designer: Any, api_as: Any, django_capture_on_commit_callbacks: Any
) -> None:
    attempts: list[int] = []

    @handlers.register_handler("score")
    def flaky(data: Any) -> dict[str, Any]:
        attempts.append(1)
        if len(attempts) <= 6:
            raise ConnectionError("bureau down")
        return {"score": 1}

    try:
        journey = published(designer, "s", SERVICE_BPMN)
        client = api_as(designer)
        with django_capture_on_commit_callbacks(execute=True):
            started = client.post("/api/processes/start", {"journey": "s"}, format="json")
        (incident,) = client.get(f"/api/processes/{started.json()['id']}/").json()["open_incidents"]
        assert incident["kind"] == "service_task"
        stranger = api_as(UserFactory())
        hidden = stranger.post(f"/api/incidents/{incident['id']}/retry/")
        assert hidden.status_code == 404
        assert hidden.json() == stranger.post("/api/incidents/999999/retry/").json()
        with django_capture_on_commit_callbacks(execute=True):
            retried = client.post(f"/api/incidents/{incident['id']}/retry/")
        assert retried.status_code == 202
        assert retried.json()["resolved_at"] is not None
        again = client.post(f"/api/incidents/{incident['id']}/retry/")
        assert (again.status_code, again.json()["error"]["code"]) == (409, "already_resolved")
        body = client.get(f"/api/processes/{started.json()['id']}/").json()
        assert body["open_incidents"] == []
        assert body["data"] == {"score": 1}
        assert [t["element_id"] for t in body["open_tasks"]] == ["Work"]
        assert journey.versions.count() == 1
    finally:
        handlers.unregister_handler("score")


# --- Messages and signals ----------------------------------------------------------------------


def test_messages_reach_the_instances_with_their_correlation_key(
    designer: Any, api_as: Any
) -> None:
    published(designer, "t", TIMER_BPMN)
    assign_perm("tasks.view_task", designer)  # its task has no role, so nobody else sees it
    assign_perm("processes.send_message", designer)
    client = api_as(designer)
    first = client.post(
        "/api/processes/start", {"journey": "t", "correlation_key": "A-1"}, format="json"
    ).json()
    (work,) = first["open_tasks"]
    assert client.post(f"/api/tasks/{work['id']}/complete/", {}, format="json").status_code == 200
    response = client.post(
        "/api/messages",
        {"name": "reply", "correlation_key": "A-1", "data": {"ok": 1}},
        format="json",
    )
    assert response.status_code == 202
    assert response.json() == {"instances": [first["id"]]}
    body = client.get(f"/api/processes/{first['id']}/").json()
    assert (body["status"], body["data"]) == ("completed", {"ok": 1})
    nobody = client.post(
        "/api/messages", {"name": "reply", "correlation_key": "B-2"}, format="json"
    )
    assert (nobody.status_code, nobody.json()["error"]["code"]) == (404, "no_instance")
    unnamed = client.post("/api/messages", {"correlation_key": "A-1"}, format="json")
    assert (unnamed.status_code, unnamed.json()["error"]["field"]) == (400, "name")


def test_signals_reach_every_waiting_instance(designer: Any, api_as: Any) -> None:
    xml = MINIMAL_BPMN.replace(
        '<bpmn:userTask id="Work" name="Do the work" />',
        '<bpmn:intermediateCatchEvent id="Work"><bpmn:signalEventDefinition signalRef="Sg" />'
        "</bpmn:intermediateCatchEvent>",
    ).replace(
        '<bpmn:process id="Process_1"',
        '<bpmn:signal id="Sg" name="go" /><bpmn:process id="Process_1"',
    )
    published(designer, "sig", xml)
    assign_perm("processes.send_message", designer)
    client = api_as(designer)
    started = [
        client.post("/api/processes/start", {"journey": "sig"}, format="json").json()["id"]
        for _ in range(2)
    ]
    response = client.post("/api/signals", {"name": "go"}, format="json")
    assert response.status_code == 202
    assert sorted(response.json()["instances"]) == started
    assert client.post("/api/signals", {"name": "go"}, format="json").json() == {"instances": []}
    assert client.post("/api/signals", {"name": 5}, format="json").status_code == 202
    assert client.post("/api/signals", {}, format="json").json()["error"]["field"] == "name"


# --- Robustness, the schema and the reference page ---------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        "[" * 100_000 + "]" * 100_000,
        '{"journey": "loan-application", "data": {"a": ' + "[" * 70 + "]" * 70 + "}}",
        '{"journey": "loan-application", "data": {"a": 1e999}}',
        '{"journey": "loan-application", "data": {"a": NaN}}',
        '{"journey": "loan-application", "data": {"a": ' + "9" * 5000 + "}}",
        b'{"journey": "\xff"}',
    ],
)
def test_json_that_cannot_be_stored_is_a_parse_error(
    demo_users: dict[str, Any], api_as: Any, body: str | bytes
) -> None:
    response = api_as(demo_users["ana"]).generic(
        "POST", "/api/processes/start", body, content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "parse_error"


def test_unknown_api_paths_are_json_404s(worker: Any) -> None:
    client = client_for(worker)
    for path in ("/api/nothing/", "/api/processes/abc/", "/api/v1/journeys/", "/api/processes/1"):
        response = client.get(path)
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "not_found"
    assert client.post("/api/nothing", {}, format="json").status_code == 404


def test_wrong_methods_are_405s(worker: Any) -> None:
    response = client_for(worker).delete("/api/processes/start")
    assert response.status_code == 405
    assert response.json()["error"]["code"] == "method_not_allowed"


EVERY_PATH = [
    "/api/monitoring/active-processes",
    "/api/monitoring/bottlenecks",
    "/api/monitoring/metrics",
    "/api/monitoring/sla-compliance",
    "/api/monitoring/sla-tasks",
    "/api/simulation/run",
    "/api/simulation/runs",
    "/api/simulation/runs/{run_id}",
    "/api/analytics/variants",
    "/api/analytics/conformance",
    "/api/analytics/handovers",
    "/api/analytics/steps",
    "/api/analytics/anomalies",
    "/api/analytics/event-log.xes",
    "/api/analytics/event-log.ocel.json",
    "/api/journeys/",
    "/api/journeys/import/",
    "/api/journeys/{journey_id}/",
    "/api/journeys/{journey_id}/versions/",
    "/api/journeys/{journey_id}/versions/{number}/retire/",
    "/api/journeys/{journey_id}/versions/{number}/bpmn",
    "/api/journeys/{journey_id}/draft/",
    "/api/journeys/{journey_id}/draft/validate/",
    "/api/journeys/{journey_id}/draft/publish/",
    "/api/journeys/{journey_id}/draft/bpmn",
    "/api/processes/",
    "/api/processes/start",
    "/api/processes/{instance_id}/",
    "/api/processes/{instance_id}/suspend/",
    "/api/processes/{instance_id}/resume/",
    "/api/processes/{instance_id}/cancel/",
    "/api/processes/{instance_id}/terminate/",
    "/api/processes/{instance_id}/history/",
    "/api/processes/{instance_id}/visualize/",
    "/api/incidents/{incident_id}/retry/",
    "/api/messages",
    "/api/signals",
    "/api/simulation/test-journey",
    "/api/simulation/validate-workflow",
    "/api/tasks/inbox",
    "/api/tasks/stats",
    "/api/tasks/{task_id}/",
    "/api/designer/check",
    *(
        f"/api/designer/journeys/{{journey_id}}/{tail}"
        for tail in (
            "diff",
            "dry-run/fire",
            "dry-run/start",
            "scenarios/",
            "scenarios/run",
            "scenarios/{scenario_id}/",
            "validate",
        )
    ),
    "/api/rules/",
    "/api/rules/import/dmn",
    *(
        f"/api/rules/{{rule_id}}/{tail}"
        for tail in (
            "",
            "check",
            "csv",
            "dmn",
            "draft/",
            "draft/import",
            "evaluate",
            "permissions",
            "publish",
            "versions/",
            "versions/{number}/",
        )
    ),
    *(
        f"/api/tasks/{{task_id}}/{action}/"
        for action in (
            "start",
            "claim",
            "unclaim",
            "complete",
            "reassign",
            "delegate",
            "escalate",
            "comment",
        )
    ),
]


def operation_count() -> int:
    """How many operations the OpenAPI schema describes (each one has its article)."""
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    methods = {"get", "post", "put", "patch", "delete"}
    return sum(len(methods & set(operations)) for operations in schema["paths"].values())


def test_the_schema_lists_every_endpoint(worker: Any) -> None:
    response = client_for(worker).get("/api/schema/?format=json")
    assert response.status_code == 200
    schema = json.loads(response.content)
    assert sorted(schema["paths"]) == sorted(EVERY_PATH)
    complete = schema["paths"]["/api/tasks/{task_id}/complete/"]["post"]
    assert complete["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Complete"
    }
    assert set(complete["responses"]) == {"200", "400", "404", "409"}
    inbox = schema["paths"]["/api/tasks/inbox"]["get"]
    assert {"scope", "journey", "priority_min", "q", "sort"} <= {
        p["name"] for p in inbox["parameters"]
    }


def test_the_reference_page_lists_every_endpoint_without_outside_scripts(
    client: Client, worker: Any
) -> None:
    assert client.get("/api/docs/").status_code == 302
    client.force_login(worker)
    response = client.get("/api/docs/")
    assert response.status_code == 200
    page = response.content.decode()
    for path in EVERY_PATH:
        assert f'<code class="ms-2">{path}</code>' in page
    assert page.count('data-testid="api-operation"') == operation_count()
    # Every script, style sheet and link is served by us (or is a link within the page).
    assert all(url.startswith(("/", "#")) for url in re.findall(r'(?:src|href)="([^"]*)"', page))


ODD_BODIES = [
    "[]",
    '"text"',
    "1",
    "null",
    "{}",
    json.dumps(
        {
            "data": "x",
            "user": "x",
            "reason": 5,
            "text": [],
            "journey": {},
            "script": "x",
            "bpmn_xml": [],
            "lock_version": "x",
            "name": {},
            "correlation_key": [],
            "version": [],
            "business_key": {},
        }
    ),
    json.dumps(
        {
            "data": {"a": [1, {"b": None}], "amount": -1},
            "user": -1,
            "reason": "r" * 3000,
            "text": "t",
            "journey": "loan-application",
            "script": {"events": [1, "x", None, {"complete": 5}, {"advance": "P1000Y"}]},
            "bpmn_xml": "<x",
            "lock_version": -5,
            "name": "n",
            "correlation_key": "c",
            "version": "draft",
        }
    ),
]
ODD_QUERIES = [
    "limit=-1&offset=-5",
    "limit=x&offset=99999999999999999999999",
    "scope=&sort=&priority_min=&journey=&q=",
    "status=&started_after=&var_=",
    "var_amount=1e999&var_x=NaN",
    "var_amount=99999999999999999999999999",
]


@pytest.mark.parametrize("username", ["admin", "ana"])
def test_no_odd_request_makes_a_server_error(
    demo_users: dict[str, Any], api_as: Any, username: str
) -> None:
    """Every endpoint with bodies and queries of the wrong shape: a 4xx, never a 500."""
    owner = api_as(demo_users["ana"])
    instance = start_loan(owner)
    task = instance["open_tasks"][0]["id"]
    journey = loan(demo_users).pk
    ids = {
        "journey_id": journey,
        "number": 1,
        "instance_id": instance["id"],
        "task_id": task,
        "incident_id": 1,
        "scenario_id": 1,
        "rule_id": 1,
        "run_id": 1,
    }
    client = api_as(demo_users[username])
    for path in EVERY_PATH:
        url = path.format(**ids)
        for body in ODD_BODIES:
            for method in ("POST", "PUT"):
                response = client.generic(method, url, body, content_type="application/json")
                assert response.status_code < 500, (method, url, body, response.content)
        for query in ODD_QUERIES:
            response = client.get(f"{url}?{query}")
            assert response.status_code < 500, (url, query, response.content)
