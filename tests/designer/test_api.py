"""The designer API: checks, validation, the dry run, the diff, and test scenarios."""

from __future__ import annotations

from typing import Any

import pytest
from guardian.shortcuts import assign_perm

from designer.models import Scenario
from monitoring.models import AuditEvent
from processes import services as journey_services
from processes.models import Journey
from tests.designer.support import PARALLEL_CHOICE
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

BASE = "/api/designer"


@pytest.fixture
def journey(designer: Any) -> Journey:
    return journey_services.journey_create(
        actor=designer, key="parallel", name="Parallel", bpmn_xml=PARALLEL_CHOICE
    )


@pytest.fixture
def client(designer: Any, api_as: Any) -> Any:
    return api_as(designer)


def test_conditions_and_timer_values_are_checked_inline(client: Any) -> None:
    good = client.post(f"{BASE}/check", {"text": "amount > 100 and ok"}, format="json")
    assert good.status_code == 200
    assert good.json() == {"valid": True, "message": "", "offset": None, "names": ["amount", "ok"]}
    bad = client.post(f"{BASE}/check", {"text": "amount >"}, format="json").json()
    assert bad["valid"] is False
    assert bad["message"]
    eval_call = client.post(f"{BASE}/check", {"text": "__import__('os')"}, format="json").json()
    assert eval_call["valid"] is False
    duration = client.post(f"{BASE}/check", {"kind": "duration", "text": "P2D"}, format="json")
    assert duration.json()["valid"] is True
    wrong = client.post(f"{BASE}/check", {"kind": "duration", "text": "2 days"}, format="json")
    assert wrong.json()["valid"] is False
    unknown = client.post(f"{BASE}/check", {"kind": "colour", "text": "x"}, format="json")
    assert (unknown.status_code, unknown.json()["error"]["field"]) == (400, "kind")


def test_validation_lists_findings_by_element_with_form_errors(client: Any, journey: Any) -> None:
    broken = PARALLEL_CHOICE.replace("amount &gt; 100", "amount &gt;").replace(
        'type="number" label="Amount"', 'type="colour" label="Amount"'
    )
    response = client.post(
        f"{BASE}/journeys/{journey.pk}/validate", {"bpmn_xml": broken}, format="json"
    )
    assert response.status_code == 200
    body = response.json()
    assert body["valid"] is False
    codes = {(f["element_id"], f["code"]) for f in body["findings"]}
    assert ("Big", "bad-expression") in codes
    assert ("B", "bad-form") in codes
    fine = client.post(
        f"{BASE}/journeys/{journey.pk}/validate", {"bpmn_xml": PARALLEL_CHOICE}, format="json"
    )
    assert fine.json()["valid"] is True
    not_bpmn = client.post(
        f"{BASE}/journeys/{journey.pk}/validate", {"bpmn_xml": "<x/>"}, format="json"
    )
    assert (not_bpmn.status_code, not_bpmn.json()["error"]["code"]) == (400, "invalid_bpmn")


def test_the_dry_run_over_the_api(client: Any, journey: Any) -> None:
    url = f"{BASE}/journeys/{journey.pk}/dry-run"
    started = client.post(f"{url}/start", {"bpmn_xml": PARALLEL_CHOICE, "data": {}}, format="json")
    assert started.status_code == 200, started.json()
    view = started.json()
    assert view["open"] == {"A": 1, "B": 1}
    for element, data in (("A", {}), ("B", {"amount": 7})):
        response = client.post(
            f"{url}/fire",
            {
                "bpmn_xml": PARALLEL_CHOICE,
                "state": view["state"],
                "event": {"complete": element, "data": data},
            },
            format="json",
        )
        assert response.status_code == 200, response.json()
        view = response.json()
    assert (view["status"], view["log"]) == ("completed", {"A": 1, "B": 1})
    stale = client.post(
        f"{url}/fire",
        {
            "bpmn_xml": PARALLEL_CHOICE.replace("Check A", "Check AA"),
            "state": view["state"],
            "event": {"signal": "x"},
        },
        format="json",
    )
    assert (stale.status_code, stale.json()["error"]["code"]) == (400, "invalid_state")
    missing = client.post(f"{url}/fire", {"bpmn_xml": PARALLEL_CHOICE}, format="json")
    assert (missing.status_code, missing.json()["error"]["field"]) == (400, "state")


def test_someone_who_may_not_design_the_journey_gets_404(journey: Any, api_as: Any) -> None:
    viewer = UserFactory(username="viewer")
    assign_perm("processes.view_journey", viewer, journey)
    client = api_as(viewer)
    for method, path in (
        ("post", "validate"),
        ("post", "dry-run/start"),
        ("get", "diff"),
        ("get", "scenarios/"),
        ("post", "scenarios/run"),
    ):
        response = getattr(client, method)(
            f"{BASE}/journeys/{journey.pk}/{path}", {"bpmn_xml": PARALLEL_CHOICE}, format="json"
        )
        assert response.status_code == 404, (path, response.json())
    assert AuditEvent.objects.filter(type="access.denied", actor_id=viewer.pk).exists()


def test_the_diff_compares_the_draft_with_the_version_published_before(
    client: Any, journey: Any, designer: Any
) -> None:
    first = client.get(f"{BASE}/journeys/{journey.pk}/diff").json()
    assert (first["version"], first["previous"]) == (1, None)
    assert "Start" in {row["id"] for row in first["added"]}
    journey_services.journey_version_publish(actor=designer, version=journey.versions.get())
    journey_services.journey_draft_save(
        actor=designer,
        journey=journey,
        bpmn_xml=PARALLEL_CHOICE.replace('itn:sla="P1D"', 'itn:sla="P3D"'),
        expected_lock_version=None,
    )
    diff = client.get(f"{BASE}/journeys/{journey.pk}/diff").json()
    assert (diff["version"], diff["previous"]) == (2, 1)
    assert diff["added"] == diff["removed"] == []
    assert diff["changed"] == [
        {"id": "A", "type": "userTask", "name": "Check A", "changes": ["itn:sla: 'P1D' → 'P3D'"]}
    ]
    of_one = client.get(f"{BASE}/journeys/{journey.pk}/diff?version=1").json()
    assert of_one["previous"] is None
    assert client.get(f"{BASE}/journeys/{journey.pk}/diff?version=9").status_code == 404
    assert client.get(f"{BASE}/journeys/{journey.pk}/diff?version=x").status_code == 400


SCENARIO = {
    "name": "Big amounts end big",
    "description": "Both checks, then the amount decides.",
    "script": {
        "data": {},
        "events": [{"complete": "A"}, {"complete": "B", "data": {"amount": 500}}],
    },
    "expect": [{"step": 1, "open": {"B": 1}}, {"state": "completed", "log": {"A": 1, "B": 1}}],
}


def test_scenarios_are_saved_run_changed_and_deleted_with_audit_events(
    client: Any, journey: Any, designer: Any
) -> None:
    url = f"{BASE}/journeys/{journey.pk}/scenarios/"
    created = client.post(url, SCENARIO, format="json")
    assert created.status_code == 201, created.json()
    scenario_id = created.json()["id"]
    assert client.get(url).json()[0]["name"] == SCENARIO["name"]
    duplicate = client.post(url, SCENARIO, format="json")
    assert (duplicate.status_code, duplicate.json()["error"]["code"]) == (400, "duplicate_name")

    ran = client.post(f"{url}run", {}, format="json").json()
    assert (ran["passed"], ran["failed"]) == (1, 0)
    # Against an edited diagram in which B is no longer a work item, the test fails.
    edited = PARALLEL_CHOICE.replace('<bpmn:userTask id="B"', '<bpmn:scriptTask id="B"').replace(
        '</bpmn:userTask>\n    <bpmn:parallelGateway id="Join"',
        '</bpmn:scriptTask>\n    <bpmn:parallelGateway id="Join"',
    )
    failed = client.post(f"{url}run", {"bpmn_xml": edited}, format="json").json()
    assert failed["failed"] == 1
    assert failed["results"][0]["failures"]

    changed = {**SCENARIO, "expect": [{"state": "running"}]}
    put = client.put(f"{url}{scenario_id}/", changed, format="json")
    assert put.status_code == 200, put.json()
    assert client.post(f"{url}run", {}, format="json").json()["failed"] == 1
    bad = client.put(f"{url}{scenario_id}/", {**SCENARIO, "expect": [{"x": 1}]}, format="json")
    assert (bad.status_code, bad.json()["error"]["field"]) == (400, "expect[0]")

    assert client.delete(f"{url}{scenario_id}/").status_code == 204
    assert not Scenario.objects.exists()
    types = list(
        AuditEvent.objects.filter(object_type="scenario")
        .order_by("seq")
        .values_list("type", flat=True)
    )
    assert types == ["scenario.created", "scenario.updated", "scenario.deleted"]
    deleted = AuditEvent.objects.get(type="scenario.deleted")
    assert deleted.before["name"] == SCENARIO["name"]
    assert deleted.journey_id == journey.pk


def test_another_journeys_scenario_is_a_404(client: Any, journey: Any, designer: Any) -> None:
    other = journey_services.journey_create(
        actor=designer, key="other", name="Other", bpmn_xml=PARALLEL_CHOICE
    )
    scenario_id = client.post(
        f"{BASE}/journeys/{other.pk}/scenarios/", SCENARIO, format="json"
    ).json()["id"]
    assert client.get(f"{BASE}/journeys/{journey.pk}/scenarios/{scenario_id}/").status_code == 404
    assert (
        client.delete(f"{BASE}/journeys/{journey.pk}/scenarios/{scenario_id}/").status_code == 404
    )


def test_running_against_a_document_the_engine_cannot_read_is_a_400(
    client: Any, journey: Any
) -> None:
    client.post(f"{BASE}/journeys/{journey.pk}/scenarios/", SCENARIO, format="json")
    response = client.post(
        f"{BASE}/journeys/{journey.pk}/scenarios/run", {"bpmn_xml": "not xml"}, format="json"
    )
    assert (response.status_code, response.json()["error"]["code"]) == (400, "invalid_bpmn")
