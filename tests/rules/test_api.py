"""The rules API: CRUD, drafts, publish, versions, evaluate, imports and exports, permissions, the
error contract (400 with the field, 404 for what you may not see, 409), and the OpenAPI schema."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from drf_spectacular.generators import SchemaGenerator

from monitoring.models import AuditEvent
from rules.models import Rule
from tests.factories import UserFactory
from tests.rules.support import ASSIGNMENT, THRESHOLD, rule_author

pytestmark = pytest.mark.django_db
FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture
def author(db: Any) -> Any:
    return rule_author()


@pytest.fixture
def table_rule(author: Any, api_as: Any) -> dict[str, Any]:
    response = api_as(author).post(
        "/api/rules/",
        {
            "key": "loan-assignment",
            "name": "Loan assignment",
            "kind": "decision_table",
            "definition": ASSIGNMENT,
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    return dict(response.json())


def error(response: Any) -> dict[str, Any]:
    return dict(response.json()["error"])


def test_create_list_search_get_patch(author: Any, api_as: Any, table_rule: dict[str, Any]) -> None:
    client = api_as(author)
    created = client.post(
        "/api/rules/",
        {"key": "credit-score-threshold", "name": "Credit score threshold", "kind": "condition"},
        format="json",
    )
    assert created.status_code == 201
    assert created.json()["draft"]["kind"] == "condition"
    listed = client.get("/api/rules/").json()
    assert listed["count"] == 2
    assert [rule["key"] for rule in listed["results"]] == [
        "credit-score-threshold",
        "loan-assignment",
    ]
    assert client.get("/api/rules/?search=assign").json()["count"] == 1
    detail = client.get(f"/api/rules/{table_rule['id']}/").json()
    assert detail["draft"]["hit_policy"] == "first"
    assert detail["latest_version"] is None
    patched = client.patch(
        f"/api/rules/{table_rule['id']}/", {"always_latest": True, "name": "Routing"}, format="json"
    )
    assert patched.json()["always_latest"] is True
    assert patched.json()["name"] == "Routing"


@pytest.mark.parametrize(
    ("body", "code", "field"),
    [
        ({"key": "Bad Key", "name": "x", "kind": "condition"}, "invalid_key", "key"),
        ({"key": "ok", "name": "x", "kind": "spreadsheet"}, "invalid_choice", "kind"),
        ({"key": "ok", "name": "x"}, "required", "kind"),
        (
            {
                "key": "ok",
                "name": "x",
                "kind": "condition",
                "definition": {"kind": "decision_table"},
            },
            "invalid_rule",
            "definition.kind",
        ),
        (
            {
                "key": "ok",
                "name": "x",
                "kind": "decision_table",
                "definition": {
                    **ASSIGNMENT,
                    "rules": [{"inputs": ["[1..2"], "outputs": ['"a"', "null"]}],
                },
            },
            "invalid_rule",
            "definition.rules[0].inputs[0]",
        ),
    ],
)
def test_create_400s_name_the_field(
    author: Any, api_as: Any, body: dict[str, Any], code: str, field: str
) -> None:
    response = api_as(author).post("/api/rules/", body, format="json")
    assert response.status_code == 400
    assert error(response)["code"].endswith(code)  # serializer errors are "invalid.<code>"
    assert error(response)["field"] == field


def test_duplicate_key_and_permission(author: Any, api_as: Any, table_rule: dict[str, Any]) -> None:
    again = api_as(author).post(
        "/api/rules/", {"key": "loan-assignment", "name": "x", "kind": "condition"}, format="json"
    )
    assert error(again) == {**error(again), "code": "duplicate_key", "field": "key"}
    nobody = UserFactory(username="nobody")
    refused = api_as(nobody).post(
        "/api/rules/", {"key": "n", "name": "n", "kind": "condition"}, format="json"
    )
    assert refused.status_code == 400
    assert error(refused)["code"] == "permission_denied"


def test_draft_check_publish_versions(author: Any, api_as: Any, table_rule: dict[str, Any]) -> None:
    client = api_as(author)
    rule_id = table_rule["id"]
    bad = {**ASSIGNMENT, "rules": [{"inputs": [">= 1 2"], "outputs": ['"a"', "null"]}]}
    check = client.post(f"/api/rules/{rule_id}/check", {"definition": bad}, format="json").json()
    assert check["valid"] is False
    assert check["problems"] == [
        {
            "path": "rules[0].inputs[0]",
            "message": "unexpected '2'; separate tests with ','",
            "offset": 5,
        }
    ]
    stale = client.put(
        f"/api/rules/{rule_id}/draft/", {"definition": ASSIGNMENT, "lock_version": 7}, format="json"
    )
    assert stale.status_code == 409
    assert error(stale)["field"] == "lock_version"
    invalid = client.put(
        f"/api/rules/{rule_id}/draft/", {"definition": bad, "lock_version": 1}, format="json"
    )
    assert invalid.status_code == 400
    assert error(invalid)["field"] == "definition.rules[0].inputs[0]"
    published = client.post(f"/api/rules/{rule_id}/publish", {"note": "first"}, format="json")
    assert published.status_code == 201
    assert published.json()["number"] == 1
    assert client.post(f"/api/rules/{rule_id}/publish", {}, format="json").status_code == 409
    overlapping = {**ASSIGNMENT, "hit_policy": "unique"}
    saved = client.put(
        f"/api/rules/{rule_id}/draft/",
        {"definition": overlapping, "lock_version": 1},
        format="json",
    )
    assert saved.status_code == 200
    refused = client.post(f"/api/rules/{rule_id}/publish", {}, format="json")
    assert refused.status_code == 400
    assert error(refused)["field"] == "definition.rules[1]"
    versions = client.get(f"/api/rules/{rule_id}/versions/").json()
    assert versions["count"] == 1
    assert versions["results"][0]["published_by"]["username"] == "author"
    one = client.get(f"/api/rules/{rule_id}/versions/1/").json()
    assert one["definition"] == ASSIGNMENT
    assert client.get(f"/api/rules/{rule_id}/versions/9/").status_code == 404
    types = set(AuditEvent.objects.filter(object_type="rule").values_list("type", flat=True))
    assert {"rule.created", "rule.draft_saved", "rule.published"} <= types


def test_evaluate_returns_result_and_matched_rows(
    author: Any, api_as: Any, table_rule: dict[str, Any]
) -> None:
    client = api_as(author)
    url = f"/api/rules/{table_rule['id']}/evaluate"
    draft = client.post(url, {"data": {"amount": 600_000}}, format="json").json()
    assert draft == {
        "version": None,
        "result": {"assignee": "carla", "role": "seniors"},
        "matched": [0, 1],
        "selected": [0],
        "rows": [
            {"index": 0, "description": "big", "selected": True},
            {"index": 1, "description": "the rest", "selected": False},
        ],
    }
    client.post(f"/api/rules/{table_rule['id']}/publish", {}, format="json")
    published = client.post(url, {"data": {"amount": 5}}, format="json").json()
    assert published["version"] == 1
    assert published["selected"] == [1]
    unsaved = {**ASSIGNMENT, "rules": ASSIGNMENT["rules"][1:]}
    tried = client.post(
        url, {"data": {"amount": 600_000}, "definition": unsaved}, format="json"
    ).json()
    assert tried["selected"] == [0]
    assert tried["result"]["role"] == "officers"
    failing = {
        **ASSIGNMENT,
        "hit_policy": "unique",
        "rules": [
            {"inputs": ["< limit"], "outputs": ['"a"', "null"]},
            {"inputs": ["-"], "outputs": ['"b"', "null"]},
        ],
    }
    violated = client.post(
        url, {"data": {"amount": 1, "limit": 5}, "definition": failing}, format="json"
    )
    assert violated.status_code == 400
    assert error(violated)["code"] == "rule_failed"
    assert error(violated)["details"] == {"rows": [0, 1]}
    assert client.post(url, {"data": 5}, format="json").json()["error"]["field"] == "data"
    assert client.post(url, {"version": 3}, format="json").status_code == 404


def test_condition_rule_evaluates(author: Any, api_as: Any) -> None:
    client = api_as(author)
    rule = client.post(
        "/api/rules/",
        {"key": "threshold", "name": "Threshold", "kind": "condition", "definition": THRESHOLD},
        format="json",
    ).json()
    url = f"/api/rules/{rule['id']}/evaluate"
    assert client.post(url, {"data": {"credit_score": 700}}, format="json").json()["result"] is True
    assert (
        client.post(url, {"data": {"credit_score": 600}}, format="json").json()["result"] is False
    )


def test_dmn_import_export_and_csv(author: Any, api_as: Any, table_rule: dict[str, Any]) -> None:
    client = api_as(author)
    with (FIXTURES / "camunda-dish.dmn").open("rb") as upload:
        imported = client.post("/api/rules/import/dmn", {"file": upload}, format="multipart")
    assert imported.status_code == 201, imported.content
    dish = imported.json()
    assert dish["key"] == "dish"
    assert dish["kind"] == "decision_table"
    evaluated = client.post(
        f"/api/rules/{dish['id']}/evaluate",
        {"data": {"season": "Spring", "guestCount": 6}},
        format="json",
    ).json()
    assert evaluated["result"] == {"desiredDish": "Steak"}
    exported = client.get(f"/api/rules/{dish['id']}/dmn")
    assert exported.status_code == 200
    assert exported["Content-Type"] == "application/xml"
    assert b"https://www.omg.org/spec/DMN/20191111/MODEL/" in exported.content
    bad = client.post("/api/rules/import/dmn", {"dmn": "<nope/>"}, format="json")
    assert bad.status_code == 400
    assert error(bad)["field"] == "file"
    csv_text = client.get(f"/api/rules/{table_rule['id']}/csv").content.decode()
    assert csv_text.startswith(
        "input:amount:number,output:assignee:string,output:role:string,description"
    )
    edited = csv_text.replace("[500000..]", "[400000..]")
    replaced = client.post(
        f"/api/rules/{table_rule['id']}/draft/import",
        {"format": "csv", "text": edited},
        format="json",
    )
    assert replaced.status_code == 200
    assert replaced.json()["draft"]["rules"][0]["inputs"] == ["[400000..]"]
    broken = client.post(
        f"/api/rules/{table_rule['id']}/draft/import",
        {"format": "csv", "text": "input:amount,output:role\n[1..,x\n"},
        format="json",
    )
    assert broken.status_code == 400
    assert error(broken)["field"] == "definition.rules[0].inputs[0]"
    assert client.get(f"/api/rules/{table_rule['id']}/dmn?version=x").status_code == 400


def test_other_users_rules_are_404_and_permissions_open_them(
    author: Any, api_as: Any, table_rule: dict[str, Any]
) -> None:
    stranger = UserFactory(username="stranger")
    client = api_as(stranger)
    rule_id = table_rule["id"]
    assert client.get("/api/rules/").json()["count"] == 0
    calls: list[tuple[str, str, Any]] = [
        ("get", f"/api/rules/{rule_id}/", None),
        ("put", f"/api/rules/{rule_id}/draft/", {"definition": ASSIGNMENT, "lock_version": 1}),
        ("post", f"/api/rules/{rule_id}/evaluate", {"data": {}}),
        ("post", f"/api/rules/{rule_id}/publish", {}),
        ("delete", f"/api/rules/{rule_id}/", None),
        ("get", f"/api/rules/{rule_id}/dmn", None),
    ]
    for method, path, body in calls:
        response = getattr(client, method)(path, body, format="json")
        missing = getattr(client, method)(path.replace(str(rule_id), "987654"), body, format="json")
        assert response.status_code == missing.status_code == 404, (method, path)
        assert response.content == missing.content
    granted = api_as(author).post(
        f"/api/rules/{rule_id}/permissions", {"action": "view", "user": "stranger"}, format="json"
    )
    assert granted.status_code == 204
    assert client.get(f"/api/rules/{rule_id}/").status_code == 200
    # Seeing is not editing: a 400 permission_denied, not a 404.
    edit = client.put(
        f"/api/rules/{rule_id}/draft/", {"definition": ASSIGNMENT, "lock_version": 1}, format="json"
    )
    assert edit.status_code == 400
    assert error(edit)["code"] == "permission_denied"
    unknown = api_as(author).post(
        f"/api/rules/{rule_id}/permissions", {"action": "view", "user": "ghost"}, format="json"
    )
    assert error(unknown)["field"] == "user"
    assert AuditEvent.objects.filter(type="rule.permission_granted").count() == 1


def test_delete(author: Any, api_as: Any, table_rule: dict[str, Any]) -> None:
    response = api_as(author).delete(f"/api/rules/{table_rule['id']}/")
    assert response.status_code == 204
    assert not Rule.objects.filter(pk=table_rule["id"]).exists()


def test_schema_documents_the_rules_api() -> None:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    paths = schema["paths"]
    evaluate = paths["/api/rules/{rule_id}/evaluate"]["post"]
    assert set(evaluate["responses"]) == {"200", "400", "404"}
    assert "/api/rules/" in paths
    assert "/api/rules/{rule_id}/publish" in paths
    assert "/api/rules/{rule_id}/versions/" in paths
    assert "/api/rules/import/dmn" in paths
