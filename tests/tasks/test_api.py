"""The work-item API on the demo data: the inbox, a task with its actions, and every action."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from tasks.models import Task

pytestmark = pytest.mark.django_db


def start_loan(client: APIClient, **data: Any) -> dict[str, Any]:
    response = client.post(
        "/api/processes/start", {"journey": "loan-application", "data": data}, format="json"
    )
    assert response.status_code == 201, response.json()
    return dict(response.json())


def inbox(client: APIClient, query: str = "") -> list[dict[str, Any]]:
    response = client.get(f"/api/tasks/inbox?{query}")
    assert response.status_code == 200, response.json()
    return list(response.json()["results"])


def only_task(client: APIClient, query: str = "") -> dict[str, Any]:
    (task,) = inbox(client, query)
    return task


def test_a_loan_runs_from_start_to_end_through_the_api(
    demo_users: dict[str, Any], api_as: Any
) -> None:
    ana, carla = api_as(demo_users["ana"]), api_as(demo_users["carla"])
    instance = start_loan(ana, channel="branch")

    capture = only_task(ana)
    assert (capture["element_id"], capture["status"]) == ("Task_Capture", "claimed")
    assert capture["instance"]["id"] == instance["id"]
    assert capture["instance"]["journey"] == "loan-application"
    detail = ana.get(f"/api/tasks/{capture['id']}/").json()
    assert detail["form_schema"]["x-order"] == ["applicant", "amount", "term_months"]
    assert detail["actions"] == ["unclaim", "start", "complete", "delegate", "escalate", "comment"]
    assert detail["instance"]["data"] == {"channel": "branch"}

    invalid = ana.post(
        f"/api/tasks/{capture['id']}/complete/",
        {"data": {"applicant": "Jo", "amount": "12"}},
        format="json",
    )
    assert invalid.status_code == 400
    error = invalid.json()["error"]
    assert error["code"] == "invalid_data"
    assert set(error["details"]["errors"]) == {"amount", "term_months"}

    form = {"applicant": "Jo", "amount": "75000", "term_months": "24"}
    done = ana.post(f"/api/tasks/{capture['id']}/complete/", {"data": form}, format="json")
    assert done.status_code == 200, done.json()
    assert (done.json()["status"], done.json()["actions"]) == ("completed", ["comment"])
    assert done.json()["data"] == {"applicant": "Jo", "amount": 75000, "term_months": 24}
    twice = ana.post(f"/api/tasks/{capture['id']}/complete/", {"data": form}, format="json")
    assert twice.status_code == 409
    assert twice.json()["error"]["code"] == "task_not_open"
    assert [t["element_id"] for t in inbox(ana, "scope=done")] == ["Task_Capture"]

    (documents,) = ana.get(f"/api/processes/{instance['id']}/").json()["open_tasks"]
    assert documents["element_id"] == "Task_Documents"
    officer = api_as(demo_users[documents["assignee"]["username"]])  # the least loaded
    assert [t["id"] for t in inbox(officer)] == [documents["id"]]
    response = officer.post(
        f"/api/tasks/{documents['id']}/complete/", {"data": {"documents_ok": True}}, format="json"
    )
    assert response.status_code == 200, response.json()

    underwrite = only_task(carla)
    assert underwrite["element_id"] == "Task_Underwrite"  # 75,000 needs an underwriter
    decision = {"approved": True, "decision_reason": "Solid income."}
    response = carla.post(
        f"/api/tasks/{underwrite['id']}/complete/", {"data": decision}, format="json"
    )
    assert response.status_code == 200, response.json()
    assert response.json()["instance"]["status"] == "completed"

    body = ana.get(f"/api/processes/{instance['id']}/").json()
    assert body["status"] == "completed"
    assert body["ended_at"] is not None
    assert body["open_tasks"] == []
    assert body["data"]["decision_reason"] == "Solid income."


def test_another_users_task_is_the_same_404_as_a_missing_one(
    demo_users: dict[str, Any], api_as: Any
) -> None:
    start_loan(api_as(demo_users["ana"]))
    task = Task.objects.get(element_id="Task_Capture")
    carla = api_as(demo_users["carla"])
    hidden = carla.get(f"/api/tasks/{task.pk}/")
    missing = carla.get("/api/tasks/999999/")
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json() == missing.json()
    for action in ("start", "claim", "complete", "comment"):
        response = carla.post(f"/api/tasks/{task.pk}/{action}/", {"text": "hi"}, format="json")
        assert response.status_code == 404
        assert response.json() == missing.json()


def test_offered_tasks_are_claimed_and_given_back(demo_users: dict[str, Any], api_as: Any) -> None:
    ana, ben = api_as(demo_users["ana"]), api_as(demo_users["ben"])
    start_loan(ana)
    task = only_task(ana)
    given_back = ana.post(f"/api/tasks/{task['id']}/unclaim/")
    assert given_back.status_code == 200
    assert (given_back.json()["status"], given_back.json()["assignee"]) == ("offered", None)
    offered = only_task(ben, "scope=offered")
    assert offered["id"] == task["id"]
    assert ben.get(f"/api/tasks/{task['id']}/").json()["actions"] == [
        "claim",
        "start",
        "complete",
        "comment",
    ]
    claimed = ben.post(f"/api/tasks/{task['id']}/claim/")
    assert claimed.status_code == 200
    assert claimed.json()["assignee"]["username"] == "ben"
    taken = ana.post(f"/api/tasks/{task['id']}/claim/")
    assert taken.status_code == 404  # no longer offered to ana, so not hers to see
    started = ben.post(f"/api/tasks/{task['id']}/start/")
    assert started.status_code == 200
    assert started.json()["status"] == "started"
    assert "start" not in started.json()["actions"]
    again = ben.post(f"/api/tasks/{task['id']}/start/")
    assert (again.status_code, again.json()["error"]["code"]) == (409, "already_started")


def test_managers_reassign_assignees_delegate_and_escalate(
    demo_users: dict[str, Any], api_as: Any
) -> None:
    ana, maria = api_as(demo_users["ana"]), api_as(demo_users["maria"])
    ben = demo_users["ben"]
    start_loan(ana)
    task = only_task(ana)
    url = f"/api/tasks/{task['id']}"
    assert maria.get(f"{url}/").json()["actions"] == ["unclaim", "reassign", "escalate", "comment"]

    refused = ana.post(f"{url}/reassign/", {"user": ben.pk, "reason": "busy"}, format="json")
    assert (refused.status_code, refused.json()["error"]["code"]) == (409, "not_manager")
    no_reason = maria.post(f"{url}/reassign/", {"user": ben.pk}, format="json")
    assert (no_reason.status_code, no_reason.json()["error"]["field"]) == (400, "reason")
    nobody = maria.post(f"{url}/reassign/", {"user": 10**12, "reason": "x"}, format="json")
    assert (nobody.status_code, nobody.json()["error"]["code"]) == (400, "unknown_user")
    wrong_type = maria.post(f"{url}/reassign/", {"user": "ben", "reason": "x"}, format="json")
    assert (wrong_type.status_code, wrong_type.json()["error"]["field"]) == (400, "user")
    outsider = maria.post(
        f"{url}/reassign/", {"user": demo_users["carla"].pk, "reason": "x"}, format="json"
    )
    assert (outsider.status_code, outsider.json()["error"]["field"]) == (400, "user")
    reassigned = maria.post(f"{url}/reassign/", {"user": ben.pk, "reason": "Leave"}, format="json")
    assert reassigned.status_code == 200
    assert reassigned.json()["assignee"]["username"] == "ben"

    ben_client = api_as(ben)
    delegated = ben_client.post(
        f"{url}/delegate/",
        {"user": demo_users["ana"].pk, "reason": "She knows them"},
        format="json",
    )
    assert delegated.status_code == 200
    assert delegated.json()["assignee"]["username"] == "ana"
    assert delegated.json()["delegated_by"]["username"] == "ben"

    escalated = ana.post(f"{url}/escalate/", {"reason": "Unusual income"}, format="json")
    assert escalated.status_code == 200
    body = escalated.json()
    assert (body["assignee"]["username"], body["priority"]) == ("maria", 75)
    assert body["escalated_at"] is not None
    kinds = [
        event["kind"]
        for event in maria.get(f"/api/processes/{task['instance']['id']}/history/").json()[
            "results"
        ]
    ]
    assert kinds[-3:] == ["task_reassigned", "task_delegated", "task_escalated"]


def test_comments(demo_users: dict[str, Any], api_as: Any) -> None:
    ana = api_as(demo_users["ana"])
    start_loan(ana)
    task = only_task(ana)
    created = ana.post(f"/api/tasks/{task['id']}/comment/", {"text": "Called them."}, format="json")
    assert created.status_code == 201
    assert (created.json()["text"], created.json()["author"]["username"]) == (
        "Called them.",
        "ana",
    )
    comments = ana.get(f"/api/tasks/{task['id']}/").json()["comments"]
    assert [c["text"] for c in comments] == ["Called them."]
    blank = ana.post(f"/api/tasks/{task['id']}/comment/", {"text": "  "}, format="json")
    assert (blank.status_code, blank.json()["error"]["field"]) == (400, "text")
    long = ana.post(f"/api/tasks/{task['id']}/comment/", {"text": "x" * 10_001}, format="json")
    assert (long.status_code, long.json()["error"]["field"]) == (400, "text")
    missing = ana.post(f"/api/tasks/{task['id']}/comment/", {}, format="json")
    assert (missing.status_code, missing.json()["error"]["code"]) == (400, "invalid.required")


def test_complete_wants_an_object_of_values(demo_users: dict[str, Any], api_as: Any) -> None:
    ana = api_as(demo_users["ana"])
    start_loan(ana)
    task = only_task(ana)
    response = ana.post(f"/api/tasks/{task['id']}/complete/", {"data": [1]}, format="json")
    assert (response.status_code, response.json()["error"]["field"]) == (400, "data")


def test_a_suspended_instance_refuses_task_work(demo_users: dict[str, Any], api_as: Any) -> None:
    ana = api_as(demo_users["ana"])
    instance = start_loan(ana)
    api_as(demo_users["maria"]).post(f"/api/processes/{instance['id']}/suspend/")
    task = only_task(ana)
    assert "complete" not in ana.get(f"/api/tasks/{task['id']}/").json()["actions"]
    form = {"applicant": "Jo", "amount": "5000", "term_months": "12"}
    response = ana.post(f"/api/tasks/{task['id']}/complete/", {"data": form}, format="json")
    assert (response.status_code, response.json()["error"]["code"]) == (409, "instance_suspended")


def test_the_inbox_filters_and_sorts(demo_users: dict[str, Any], api_as: Any) -> None:
    ana, maria = api_as(demo_users["ana"]), api_as(demo_users["maria"])
    loans = [start_loan(ana)["id"] for _ in range(3)]
    ana.post("/api/processes/start", {"journey": "expense-claim"}, format="json")
    # Each new task goes to the least loaded officer: ana, ben, ana, then ben.
    assert [t["instance"]["id"] for t in inbox(ana)] == [loans[0], loans[2]]
    assert len(inbox(maria, "scope=all")) == 4
    assert inbox(maria) == []  # nothing is assigned to her
    expenses = inbox(maria, "scope=all&journey=expense-claim")
    assert [t["element_id"] for t in expenses] == ["Task_Review"]
    assert inbox(maria, "scope=all&priority_min=51") == []
    created = [t["id"] for t in inbox(maria, "scope=all&sort=created")]
    assert created == sorted(created)
    assert [t["id"] for t in inbox(maria, "scope=all&sort=-created")] == created[::-1]
    assert len(inbox(maria, "scope=all&q=Capture")) == 3
    assert inbox(maria, "scope=all&q=nothing-like-this") == []
    page = maria.get("/api/tasks/inbox?scope=all&limit=1&offset=1").json()
    assert (page["count"], [t["id"] for t in page["results"]]) == (4, [created[1]])


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("scope=everything", "scope"),
        ("priority_min=high", "priority_min"),
        ("priority_min=101", "priority_min"),
        ("sort=name", "sort"),
        ("q=" + "x" * 201, "q"),
    ],
)
def test_bad_inbox_parameters_are_400s_naming_the_field(
    demo_users: dict[str, Any], api_as: Any, query: str, field: str
) -> None:
    response = api_as(demo_users["ana"]).get(f"/api/tasks/inbox?{query}")
    assert response.status_code == 400
    assert response.json()["error"]["field"] == field


def test_the_inbox_runs_the_same_queries_for_one_row_or_five(
    demo_users: dict[str, Any], api_as: Any, django_assert_num_queries: Any
) -> None:
    ana, maria = api_as(demo_users["ana"]), api_as(demo_users["maria"])
    start_loan(ana)
    maria.get("/api/tasks/inbox")  # warm the content-type cache
    with django_assert_num_queries(5):
        assert len(maria.get("/api/tasks/inbox?scope=all").json()["results"]) == 1
    for _ in range(4):
        start_loan(ana)
    with django_assert_num_queries(5):
        assert len(maria.get("/api/tasks/inbox?scope=all").json()["results"]) == 5


def test_stats(demo_users: dict[str, Any], api_as: Any) -> None:
    ana = api_as(demo_users["ana"])
    start_loan(ana)
    start_loan(ana)  # goes to ben
    task = only_task(ana)
    ana.post(f"/api/tasks/{task['id']}/unclaim/")
    response = ana.get("/api/tasks/stats")
    assert response.status_code == 200
    assert response.json() == {"mine": 0, "offered": 1, "done": 0, "overdue": 0}
