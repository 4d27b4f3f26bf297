"""Process analytics on a generated history with known answers: variants, conformance (with the
operator actions and migrations that explain deviations), rework, waiting and working time,
handovers, anomalies, and the XES and OCEL 2.0 exports checked against their formats."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.utils import timezone

from monitoring.models import AuditEvent
from processes.models import InstanceEvent, InstanceStatus, Journey, VersionStatus
from tests.monitoring.history_support import Step, record_case

pytestmark = pytest.mark.django_db

CAPTURE, DOCUMENTS, UNDERWRITE = "Task_Capture", "Task_Documents", "Task_Underwrite"


@pytest.fixture
def history(demo_users: dict[str, Any]) -> dict[str, Any]:
    """Six standard loans, three large ones, one with its documents checked twice (an operator
    moved the token back), one migrated that skipped the documents, one that skipped them
    without anybody's help, and one still running."""
    ana, ben, carla = demo_users["ana"], demo_users["ben"], demo_users["carla"]
    version = Journey.objects.get(key="loan-application").versions.get(
        status=VersionStatus.PUBLISHED
    )
    start = timezone.now() - timedelta(days=5)

    def capture() -> Step:
        return Step(CAPTURE, "loan-officers", ana, wait=60, work=600)

    def documents() -> Step:
        return Step(DOCUMENTS, "loan-officers", ben, wait=120, work=1800)

    def underwrite() -> Step:
        return Step(UNDERWRITE, "underwriters", carla, wait=300, work=7200)

    cases: dict[str, Any] = {"standard": [], "large": []}
    for n in range(6):
        cases["standard"].append(
            record_case(version, [capture(), documents()], start=start + timedelta(hours=n))
        )
    for n in range(3):
        cases["large"].append(
            record_case(
                version,
                [capture(), documents(), underwrite()],
                start=start + timedelta(hours=10 + n),
            )
        )
    cases["rework"] = record_case(
        version,
        [capture(), documents(), documents()],
        start=start + timedelta(hours=20),
        extra_events=[("token_moved", DOCUMENTS)],
        business_key="REWORK",
    )
    cases["migrated"] = record_case(
        version, [capture(), underwrite()], start=start + timedelta(hours=21)
    )
    InstanceEvent.objects.filter(instance=cases["migrated"], kind="started").update(
        detail={"version": version.number + 5}
    )
    cases["skipped"] = record_case(
        version, [capture(), underwrite()], start=start + timedelta(hours=22), business_key="ODD"
    )
    cases["running"] = record_case(
        version,
        [capture(), Step(DOCUMENTS, "loan-officers", ben, done=False)],
        start=start + timedelta(hours=23),
        status=InstanceStatus.RUNNING,
    )
    return cases


def query(extra: str = "") -> str:
    return f"?journey=loan-application{extra}"


def test_variants_count_paths_with_their_median_duration(
    history: dict[str, Any], demo_users: dict[str, Any], api_as: Any
) -> None:
    response = api_as(demo_users["maria"]).get("/api/analytics/variants" + query())
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["instances"], body["finished"]) == (13, 12)
    rows = [(row["path"], row["count"]) for row in body["variants"]]
    assert rows == [
        ([CAPTURE, DOCUMENTS], 6),
        ([CAPTURE, DOCUMENTS, UNDERWRITE], 3),
        ([CAPTURE, UNDERWRITE], 2),
        ([CAPTURE, DOCUMENTS, DOCUMENTS], 1),
    ]
    first = body["variants"][0]
    assert first["rank"] == 1
    assert first["share"] == 50.0
    assert first["median_duration"] == 60 + 600 + 120 + 1800
    assert body["variants"][1]["median_duration"] == 2580 + 300 + 7200
    assert sorted(first["instances"]) == sorted(c.pk for c in history["standard"])[:5]
    running = api_as(demo_users["maria"]).get("/api/analytics/variants" + query("&running=1"))
    assert [CAPTURE] in [row["path"] for row in running.json()["variants"]]


def test_conformance_finds_who_left_the_model_and_why(
    history: dict[str, Any], demo_users: dict[str, Any], api_as: Any
) -> None:
    body = api_as(demo_users["maria"]).get("/api/analytics/conformance" + query()).json()
    assert body["checked"] == 13
    assert body["fitting"] == 10  # standard, large and the running one
    assert body["deviating"] == 3
    by_instance = {row["instance"]: row for row in body["instances"]}
    rework = by_instance[history["rework"].pk]
    assert rework["explained"] is True
    assert [i["kind"] for i in rework["interventions"]] == ["token_moved"]
    assert rework["deviations"][0] == {
        "position": 2,
        "element_id": DOCUMENTS,
        "kind": "not_enabled",
    }
    migrated = by_instance[history["migrated"].pk]
    assert migrated["explained"] is True
    assert migrated["interventions"][0]["kind"] == "migrated"
    skipped = by_instance[history["skipped"].pk]
    assert skipped["explained"] is False
    assert skipped["deviations"][0]["element_id"] == UNDERWRITE
    assert 0 < skipped["fitness"] < 1
    assert (body["explained"], body["unexplained"]) == (2, 1)


def test_rework_waiting_and_working_time_per_step(
    history: dict[str, Any], demo_users: dict[str, Any], api_as: Any
) -> None:
    body = api_as(demo_users["maria"]).get("/api/analytics/steps" + query()).json()
    assert body["version"] == 1
    assert "Task_Underwrite" in body["bpmn_xml"]
    steps = {row["element_id"]: row for row in body["steps"]}
    assert steps[DOCUMENTS]["count"] == 6 + 3 + 2
    assert steps[DOCUMENTS]["wait_median"] == 120
    assert steps[DOCUMENTS]["work_median"] == 1800
    assert steps[UNDERWRITE]["waiting_share"] == pytest.approx(300 / 7500 * 100, abs=0.01)
    assert body["rework"] == [
        {"element_id": DOCUMENTS, "cases": 1, "share": pytest.approx(100 / 13, abs=0.01),
         "extra_executions": 1}
    ]  # fmt: skip


def test_the_busiest_handovers_between_roles_and_people(
    history: dict[str, Any], demo_users: dict[str, Any], api_as: Any
) -> None:
    client = api_as(demo_users["maria"])
    roles = client.get("/api/analytics/handovers" + query()).json()["handovers"]
    assert roles == [
        {"from": "loan-officers", "to": "underwriters", "count": 5, "median_delay": 300.0}
    ]
    people = client.get("/api/analytics/handovers" + query("&by=user")).json()["handovers"]
    assert people[0] == {"from": "ana", "to": "ben", "count": 10, "median_delay": 120.0}
    assert {"from": "ben", "to": "carla", "count": 3, "median_delay": 300.0} in people
    assert {"from": "ana", "to": "carla", "count": 2, "median_delay": 300.0} in people
    bad = client.get("/api/analytics/handovers" + query("&by=team"))
    assert bad.status_code == 400
    assert bad.json()["error"]["field"] == "by"


def _xes(name: str) -> str:
    return "{http://www.xes-standard.org/}" + name


def test_the_event_log_exports_as_xes(
    history: dict[str, Any], demo_users: dict[str, Any], api_as: Any
) -> None:
    response = api_as(demo_users["maria"]).get("/api/analytics/event-log.xes" + query())
    assert response.status_code == 200
    assert response["Content-Type"] == "application/xml"
    assert 'filename="loan-application.xes"' in response["Content-Disposition"]
    root = ET.fromstring(b"".join(response.streaming_content))  # noqa: S314 - our own output
    assert root.tag == _xes("log")
    assert root.get("xes.version") == "1849-2016"
    prefixes = {e.get("prefix"): e.get("uri") for e in root.findall(_xes("extension"))}
    assert prefixes == {
        "concept": "http://www.xes-standard.org/concept.xesext",
        "time": "http://www.xes-standard.org/time.xesext",
        "lifecycle": "http://www.xes-standard.org/lifecycle.xesext",
        "org": "http://www.xes-standard.org/org.xesext",
    }
    assert {g.get("scope") for g in root.findall(_xes("global"))} == {"trace", "event"}
    assert root.find(_xes("classifier")).get("keys") == "concept:name"
    traces = root.findall(_xes("trace"))
    assert len(traces) == 13
    names = {
        t.find(_xes("string")).get("value"): t for t in traces if t.find(_xes("string")) is not None
    }
    large = names[str(history["large"][0].pk)]
    events = large.findall(_xes("event"))
    assert len(events) == 6  # start and complete of three work items
    moments = []
    for event in events:
        keys = {child.get("key"): child for child in event}
        assert keys["concept:name"].tag == _xes("string")
        assert keys["lifecycle:transition"].get("value") in ("start", "complete")
        assert keys["time:timestamp"].tag == _xes("date")
        moments.append(datetime.fromisoformat(keys["time:timestamp"].get("value")))
        assert keys["org:resource"].get("value") in ("ana", "ben", "carla")
        assert keys["org:role"].get("value") in ("loan-officers", "underwriters")
    assert moments == sorted(moments)
    assert AuditEvent.objects.filter(type="event_log.exported").count() == 1


def test_the_event_log_exports_as_ocel_2(
    history: dict[str, Any], demo_users: dict[str, Any], api_as: Any
) -> None:
    response = api_as(demo_users["maria"]).get("/api/analytics/event-log.ocel.json" + query())
    assert response.status_code == 200
    log = json.loads(response.content)
    assert set(log) == {"objectTypes", "eventTypes", "objects", "events"}
    types = {"string", "time", "integer", "float", "boolean"}
    object_types = {
        t["name"]: {a["name"]: a["type"] for a in t["attributes"]} for t in log["objectTypes"]
    }
    event_types = {
        t["name"]: {a["name"]: a["type"] for a in t["attributes"]} for t in log["eventTypes"]
    }
    assert set(object_types) == {"case", "work item", "person", "role"}
    for declared in [*object_types.values(), *event_types.values()]:
        assert set(declared.values()) <= types
    objects = {o["id"]: o for o in log["objects"]}
    assert len(objects) == len(log["objects"])
    for item in log["objects"]:
        assert item["type"] in object_types
        for attribute in item["attributes"]:
            assert attribute["name"] in object_types[item["type"]]
            datetime.fromisoformat(attribute["time"])
        for relation in item["relationships"]:
            assert relation["objectId"] in objects
            assert relation["qualifier"]
    assert sum(1 for o in log["objects"] if o["type"] == "case") == 13
    assert {o["id"] for o in log["objects"] if o["type"] == "person"} == {
        "person:ana",
        "person:ben",
        "person:carla",
    }
    ids = [e["id"] for e in log["events"]]
    assert len(set(ids)) == len(ids)
    moments = [datetime.fromisoformat(e["time"]) for e in log["events"]]
    assert moments == sorted(moments)
    for event in log["events"]:
        assert event["type"] in event_types
        for attribute in event["attributes"]:
            assert attribute["name"] in event_types[event["type"]]
        for relation in event["relationships"]:
            assert relation["objectId"] in objects
    completions = [e for e in log["events"] if e["type"] == DOCUMENTS]
    assert len(completions) == 6 + 3 + 2
    assert {r["qualifier"] for r in completions[0]["relationships"]} == {
        "case",
        "work item",
        "performed by",
        "role",
    }


def test_anomalies_flag_stuck_instances_unusual_paths_and_throughput_drops(
    demo_users: dict[str, Any], api_as: Any
) -> None:
    ana, ben = demo_users["ana"], demo_users["ben"]
    version = Journey.objects.get(key="loan-application").versions.get(
        status=VersionStatus.PUBLISHED
    )
    now = timezone.now()
    # Five completions a day for two weeks, none yesterday; documents take 30 minutes.
    for day in range(2, 16):
        for n in range(5):
            record_case(
                version,
                [
                    Step(CAPTURE, "loan-officers", ana, wait=60, work=600),
                    Step(DOCUMENTS, "loan-officers", ben, wait=0, work=1800),
                ],
                start=now - timedelta(days=day, hours=n + 1),
            )
    odd = record_case(
        version,
        [Step(CAPTURE, "loan-officers", ana), Step(CAPTURE, "loan-officers", ana)],
        start=now - timedelta(days=3),
        business_key="ODD-1",
    )
    stuck = record_case(
        version,
        [Step(CAPTURE, "loan-officers", ana), Step(DOCUMENTS, "loan-officers", ben, done=False)],
        start=now - timedelta(days=1),
        status=InstanceStatus.RUNNING,
        business_key="STUCK-1",
    )
    body = api_as(demo_users["maria"]).get("/api/analytics/anomalies").json()
    assert [flag["instance"] for flag in body["stuck"]] == [stuck.pk]
    assert body["stuck"][0]["element_id"] == DOCUMENTS
    assert body["stuck"][0]["times_usual"] > 3
    assert [flag["instance"] for flag in body["unusual_paths"]] == [odd.pk]
    (drop,) = body["throughput_drops"]
    assert (drop["journey"], drop["completed"]) == ("loan-application", 0)
    assert drop["usual"] >= 4
    # The dashboard shows them, each with a link to the instance.
    client = api_as(demo_users["maria"])
    client.force_login(demo_users["maria"])
    page = client.get("/monitoring/dashboard/anomalies/")
    assert page.status_code == 200
    html = page.content.decode()
    assert f'href="/processes/{stuck.pk}/"' in html
    assert f'href="/processes/{odd.pk}/"' in html
    assert "loan-application" in html


@pytest.mark.parametrize(
    ("path", "code", "field"),
    [
        ("/api/analytics/variants", "required", "journey"),
        ("/api/analytics/conformance?journey=nope", "unknown_journey", "journey"),
        ("/api/analytics/handovers?journey=loan-application&since=x", "invalid", "since"),
        ("/api/analytics/steps?journey=loan-application&version=x", "invalid", "version"),
        ("/api/analytics/steps?journey=loan-application&version=9", "unknown_version", "version"),
        ("/api/analytics/event-log.xes", "required", "journey"),
        ("/api/analytics/event-log.ocel.json?journey=nope", "unknown_journey", "journey"),
    ],
)
def test_bad_queries_are_400s_naming_the_parameter(
    demo_users: dict[str, Any], api_as: Any, path: str, code: str, field: str
) -> None:
    response = api_as(demo_users["maria"]).get(path)
    assert response.status_code == 400
    error = response.json()["error"]
    assert (error["code"], error["field"]) == (code, field)


@pytest.mark.parametrize(
    "path",
    [
        "/api/analytics/variants",
        "/api/analytics/conformance",
        "/api/analytics/handovers",
        "/api/analytics/steps",
        "/api/analytics/anomalies",
        "/api/analytics/event-log.xes",
        "/api/analytics/event-log.ocel.json",
    ],
)
def test_only_managers_read_analytics(demo_users: dict[str, Any], api_as: Any, path: str) -> None:
    assert api_as(demo_users["ana"]).get(path + query()).status_code == 403
