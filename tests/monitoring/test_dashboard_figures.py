"""The dashboard's figures against a generated history whose answers are known, through the
monitoring API: compliance, counts, throughput, cycle times, workload, bottlenecks, the live list;
who may ask; and bad parameters."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from django.utils import timezone

from processes.models import InstanceStatus
from tasks.models import TaskStatus
from tests.factories import (
    JourneyFactory,
    JourneyVersionFactory,
    ProcessInstanceFactory,
    RoleFactory,
    TaskFactory,
    UserFactory,
)
from tests.monitoring.sla_support import utc

pytestmark = pytest.mark.django_db

HOUR = 3600
PERIOD = {"since": "2024-10-01", "until": "2024-10-10"}


def _instance(version: Any, started: datetime, **fields: Any) -> Any:
    return ProcessInstanceFactory(version=version, started_at=started, **fields)


def _task(instance: Any, element: str, role: Any, created: datetime, **fields: Any) -> Any:
    return TaskFactory(
        instance=instance, element_id=element, name=element, role=role, created_at=created, **fields
    )


def _with_sla(created: datetime, hours: float, **fields: Any) -> dict[str, Any]:
    return {
        "sla_seconds": hours * HOUR,
        "sla_deadline": created + timedelta(hours=hours),
        "sla_warn_at": created + timedelta(hours=hours * 0.8),
        "sla": {"calendar": None, "warn_seconds": hours * 0.8 * HOUR, "escalation": ["notify"]},
        **fields,
    }


@pytest.fixture
def history(db: Any) -> dict[str, Any]:
    """Known history, October 2024 (see each figure's test for the expected answers)."""
    now = timezone.now()
    boss = UserFactory(username="boss")
    uma = UserFactory(username="uma")
    ana, ben, carla = (UserFactory(username=name) for name in ("ana", "ben", "carla"))
    clerks = RoleFactory(key="clerks", name="Clerks", manager=boss)
    underwriters = RoleFactory(key="underwriters", name="Underwriters", manager=uma)
    loans = JourneyVersionFactory(journey=JourneyFactory(key="loans", name="Loans"), number=1)
    claims = JourneyVersionFactory(journey=JourneyFactory(key="claims", name="Claims"), number=1)

    # Loans: one instance a day, Oct 1..10 at 08:00, instance i done after i hours (journey SLA
    # 6 h: 1..6 met, 7..10 breached). Its Check (clerks, SLA 3 h) took i/2 hours.
    done = []
    for day in range(1, 11):
        started = utc(f"2024-10-{day:02d}T08:00")
        instance = _instance(
            loans,
            started,
            status=InstanceStatus.COMPLETED,
            ended_at=started + timedelta(hours=day),
            **_with_sla(started, 6),
        )
        done.append(instance)
        _task(
            instance,
            "Check",
            clerks,
            started,
            status=TaskStatus.COMPLETED,
            completed_at=started + timedelta(hours=day / 2),
            **_with_sla(started, 3),
        )
    # Approve (underwriters, SLA 3 h) on the first four: 1 h and 2 h met, 4 h and 5 h late.
    for instance, hours in zip(done[:4], (1, 2, 4, 5), strict=True):
        _task(
            instance,
            "Approve",
            underwriters,
            instance.started_at,
            status=TaskStatus.COMPLETED,
            completed_at=instance.started_at + timedelta(hours=hours),
            **_with_sla(instance.started_at, 3),
        )
    # A Check done in September: outside the period.
    september = _instance(loans, utc("2024-09-20T08:00"), status=InstanceStatus.COMPLETED)
    september.ended_at = utc("2024-09-20T09:00")
    september.save()
    _task(
        september,
        "Check",
        clerks,
        utc("2024-09-20T08:00"),
        status=TaskStatus.COMPLETED,
        completed_at=utc("2024-09-20T08:30"),
        **_with_sla(utc("2024-09-20T08:00"), 3),
    )
    # Two loans still running since Sep 30: X breached its journey SLA, Y is on track.
    x = _instance(loans, utc("2024-09-30T08:00"), **_with_sla(utc("2024-09-30T08:00"), 24))
    y = _instance(
        loans,
        utc("2024-09-30T09:00"),
        sla_seconds=HOUR,
        sla_deadline=now + timedelta(days=2),
        sla_warn_at=now + timedelta(days=1),
    )
    _task(
        x,
        "Approve",
        underwriters,
        utc("2024-10-05T06:00"),
        status=TaskStatus.CLAIMED,
        assignee=carla,
        **_with_sla(utc("2024-10-05T06:00"), 3),
    )
    _task(
        y,
        "Approve",
        underwriters,
        now - timedelta(hours=1),
        status=TaskStatus.STARTED,
        assignee=carla,
        sla_seconds=3 * HOUR,
        sla_deadline=now + timedelta(days=1),
        sla_warn_at=now + timedelta(hours=20),
    )
    # Claims: three running (Oct 2), one done on Oct 12 (outside the period).
    b1, b2, b3, b4 = (_instance(claims, utc("2024-10-02T10:00")) for _ in range(4))
    b4.status, b4.ended_at = InstanceStatus.COMPLETED, utc("2024-10-12T10:00")
    b4.save()
    _task(
        b1,
        "Review",
        clerks,
        utc("2024-10-03T06:00"),
        status=TaskStatus.CLAIMED,
        assignee=ana,
        **_with_sla(utc("2024-10-03T06:00"), 2),
    )
    _task(b1, "Plain", clerks, utc("2024-10-03T06:00"), status=TaskStatus.CLAIMED, assignee=ben)
    _task(
        b2,
        "Review",
        clerks,
        now - timedelta(hours=3),
        status=TaskStatus.CLAIMED,
        assignee=ana,
        sla_seconds=4 * HOUR,
        sla_deadline=now + timedelta(hours=1),
        sla_warn_at=now - timedelta(hours=1),
    )
    _task(
        b3,
        "Review",
        clerks,
        now - timedelta(hours=3),
        sla_seconds=4 * HOUR,
        sla={"paused_at": now.isoformat(), "remaining": HOUR},
    )
    staff = UserFactory(username="maria", is_staff=True)
    return {"staff": staff, "boss": boss, "uma": uma, "ana": ana, "x": x, "b1": b1}


def _get(api_as: Any, user: Any, path: str, **params: Any) -> Any:
    response = api_as(user).get(f"/api/monitoring/{path}", {**PERIOD, **params})
    return response


def test_sla_compliance_per_journey_step_and_role(api_as: Any, history: dict) -> None:
    response = _get(api_as, history["staff"], "sla-compliance")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["tasks"] == {"met": 8, "breached": 8, "compliance": 50.0}
    assert body["by_journey"] == [
        {"journey": "claims", "name": "Claims", "met": 0, "breached": 1, "compliance": 0.0},
        {"journey": "loans", "name": "Loans", "met": 8, "breached": 7, "compliance": 53.33},
    ]
    steps = {(row["journey"], row["element_id"]): row for row in body["by_step"]}
    assert {
        key: (row["met"], row["breached"], row["compliance"]) for key, row in steps.items()
    } == {
        ("claims", "Review"): (0, 1, 0.0),
        ("loans", "Approve"): (2, 3, 40.0),
        ("loans", "Check"): (6, 4, 60.0),
    }
    assert steps[("loans", "Check")]["step"] == "Check"
    assert [(r["role"], r["met"], r["breached"], r["compliance"]) for r in body["by_role"]] == [
        ("clerks", 6, 5, 54.55),
        ("underwriters", 2, 3, 40.0),
    ]
    # Journey SLAs: loans 1..6 h met, 7..10 h late; X's deadline (Oct 1) passed in the period.
    assert body["journeys"] == [
        {"journey": "loans", "name": "Loans", "met": 6, "breached": 5, "compliance": 54.55}
    ]


def test_a_role_manager_sees_the_roles_they_manage(api_as: Any, history: dict) -> None:
    body = _get(api_as, history["boss"], "sla-compliance").json()
    assert body["tasks"] == {"met": 6, "breached": 5, "compliance": 54.55}
    assert [row["role"] for row in body["by_role"]] == ["clerks"]
    # Narrowed to a journey, and to the role.
    narrowed = _get(api_as, history["boss"], "sla-compliance", journey="claims").json()
    assert narrowed["tasks"] == {"met": 0, "breached": 1, "compliance": 0.0}
    by_role = _get(api_as, history["staff"], "sla-compliance", role="underwriters").json()
    assert by_role["tasks"] == {"met": 2, "breached": 3, "compliance": 40.0}


def test_open_counts_throughput_cycle_times_and_workload(api_as: Any, history: dict) -> None:
    response = _get(api_as, history["staff"], "metrics")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["sla"]["tasks"] == {
        "open": 6,
        "with_sla": 5,
        "on_track": 1,
        "at_risk": 1,
        "breached": 2,
        "paused": 1,
    }
    assert body["sla"]["journeys"] == {
        "on_track": 1,
        "at_risk": 0,
        "breached": 1,
        "paused": 0,
        "with_sla": 2,
    }
    days = {row["date"]: (row["started"], row["completed"]) for row in body["throughput"]}
    assert len(days) == 10
    assert days["2024-10-02"] == (5, 1)
    assert all(days[f"2024-10-{d:02d}"] == (1, 1) for d in (1, *range(3, 11)))
    # Ten loans done in 1..10 hours.
    cycle = body["cycle_time"]
    assert (cycle["count"], cycle["mean"]) == (10, 5.5 * HOUR)
    assert (cycle["p50"], cycle["p95"], cycle["p99"]) == (5.5 * HOUR, 9.55 * HOUR, 9.91 * HOUR)
    assert [row["journey"] for row in cycle["by_journey"]] == ["loans"]
    roles = {row["role"]: row for row in body["workload"]["roles"]}
    assert {
        key: (r["open"], r["started"], r["at_risk"], r["breached"]) for key, r in roles.items()
    } == {
        "clerks": (4, 0, 1, 1),
        "underwriters": (2, 1, 0, 1),
    }
    users = {row["user"]: row for row in body["workload"]["users"]}
    assert {
        key: (r["open"], r["started"], r["at_risk"], r["breached"]) for key, r in users.items()
    } == {
        "ana": (2, 0, 1, 1),
        "carla": (2, 1, 0, 1),
        "ben": (1, 0, 0, 0),
        None: (1, 0, 0, 0),
    }
    assert users[None]["name"] == "(offered, not claimed)"


def test_the_slowest_steps_of_a_journey(api_as: Any, history: dict) -> None:
    response = _get(api_as, history["staff"], "bottlenecks", journey="loans")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["version"] == 1
    assert "<bpmn:definitions" in body["bpmn_xml"]
    assert body["elements"] == [
        {
            "element_id": "Approve",
            "name": "Approve",
            "count": 4,
            "mean": 3 * HOUR,
            "p50": 3 * HOUR,
            "p95": 4.85 * HOUR,
            "max": 5 * HOUR,
            "open": 2,
        },
        {
            "element_id": "Check",
            "name": "Check",
            "count": 10,
            "mean": 2.75 * HOUR,
            "p50": 2.75 * HOUR,
            "p95": 4.775 * HOUR,
            "max": 5 * HOUR,
            "open": 0,
        },
    ]


def test_active_instances_and_drill_down_lists(
    api_as: Any, history: dict, django_assert_max_num_queries: Any
) -> None:
    with django_assert_max_num_queries(8):
        response = _get(api_as, history["staff"], "active-processes")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["count"] == 5
    rows = {row["id"]: row for row in body["results"]}
    x = rows[history["x"].pk]
    assert (x["journey"], x["open_tasks"], x["breached_tasks"], x["sla_state"]) == (
        "loans",
        1,
        1,
        "breached",
    )
    assert rows[history["b1"].pk]["open_tasks"] == 2
    # The boss oversees the claims (their clerks' tasks), not X and Y.
    assert _get(api_as, history["boss"], "active-processes").json()["count"] == 3

    breached = _get(api_as, history["staff"], "sla-tasks", state="breached").json()
    assert [(row["element_id"], row["journey"]) for row in breached["results"]] == [
        ("Review", "claims"),
        ("Approve", "loans"),
    ]
    assert all(row["sla_state"] == "breached" for row in breached["results"])
    paused = _get(api_as, history["staff"], "sla-tasks", state="paused").json()
    assert [row["sla_state"] for row in paused["results"]] == ["paused"]


def test_only_managers_may_ask(api_as: Any, history: dict, client: Any) -> None:
    response = _get(api_as, history["ana"], "metrics")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"
    assert client.get("/api/monitoring/metrics").status_code in (401, 403)
    # A manager of a role may not narrow to a role that is not theirs (nor learn it exists).
    other = _get(api_as, history["boss"], "metrics", role="underwriters")
    assert (other.status_code, other.json()["error"]["field"]) == (400, "role")


@pytest.mark.parametrize(
    ("params", "code", "field"),
    [
        ({"since": "yesterday"}, "invalid", "since"),
        ({"until": "2024-13-01"}, "invalid", "until"),
        ({"since": "2024-10-05", "until": "2024-10-01"}, "invalid_period", "since"),
        ({"since": "2020-01-01", "until": "2024-10-01"}, "period_too_long", "since"),
        ({"journey": "nope"}, "unknown_journey", "journey"),
        ({"role": "nope"}, "unknown_role", "role"),
    ],
)
def test_bad_parameters_are_400_naming_the_parameter(
    api_as: Any, history: dict, params: dict, code: str, field: str
) -> None:
    response = _get(api_as, history["staff"], "metrics", **params)
    assert response.status_code == 400
    error = response.json()["error"]
    assert (error["code"], error["field"]) == (code, field)


def test_bottlenecks_need_a_journey_and_drill_downs_a_state(api_as: Any, history: dict) -> None:
    missing = _get(api_as, history["staff"], "bottlenecks")
    assert (missing.status_code, missing.json()["error"]["field"]) == (400, "journey")
    bad = _get(api_as, history["staff"], "sla-tasks", state="late")
    assert (bad.status_code, bad.json()["error"]["field"]) == (400, "state")
