from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from processes import services
from processes.selectors import journey_by_key
from tasks.models import TaskStatus
from workflow_site.demo import demo_data_install

pytestmark = pytest.mark.django_db


@pytest.fixture
def users() -> dict[str, Any]:
    demo_data_install()
    return {u.username: u for u in get_user_model().objects.all()}


def signed_in(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def start_loan(user: Any, key: str = "L-1") -> Any:
    return services.instance_start(
        actor=user, journey=journey_by_key(key="loan-application"), business_key=key
    )


def test_inbox_lists_my_tasks_and_filters(users: dict[str, Any]) -> None:
    start_loan(users["ana"], "L-1")
    start_loan(users["ana"], "L-2")
    client = signed_in(users["ana"])
    page = client.get("/inbox/").content.decode()
    assert page.count('class="inbox-row"') >= 1
    assert "Capture application" in page
    # Least-loaded routing gave the second application to ben.
    assert "L-2" not in page
    partial = client.get("/inbox/?q=L-1", HTTP_HX_REQUEST="true").content.decode()
    assert partial.startswith('<div id="inbox-table"')
    assert "L-1" in partial
    for username, expected in (("ana", False), ("ben", True)):
        rows = signed_in(users[username]).get("/inbox/?q=L-2", HTTP_HX_REQUEST="true")
        assert ("L-2" in rows.content.decode()) is expected
    assert client.get("/inbox/?priority_min=500").status_code == 400


def test_offered_tasks_are_claimed_in_bulk(users: dict[str, Any]) -> None:
    ana, ben = users["ana"], users["ben"]
    instance = start_loan(ana)
    task = instance.tasks.get()
    from tasks import services as task_services

    task_services.task_unclaim(actor=task.assignee, task=task)
    client = signed_in(ben)
    offered = client.get("/inbox/?scope=offered").content.decode()
    assert f'value="{task.pk}"' in offered
    response = client.post("/inbox/claim/", {"task": [str(task.pk), "x"]})
    assert response.status_code == 302
    task.refresh_from_db()
    assert (task.assignee, task.status) == (ben, TaskStatus.CLAIMED)


def test_task_page_form_errors_are_shown_inline_then_completion_works(
    users: dict[str, Any],
) -> None:
    ana = users["ana"]
    task = start_loan(ana).tasks.get()
    client = signed_in(ana)
    page = client.get(f"/inbox/{task.pk}/").content.decode()
    assert 'for="f-amount"' in page
    assert 'id="f-amount"' in page
    bad = client.post(f"/inbox/{task.pk}/complete/", {"applicant": "Jo", "amount": "5"})
    assert bad.status_code == 200  # the page again, with the errors next to their fields
    body = bad.content.decode()
    assert 'data-error-for="amount"' in body
    assert 'value="Jo"' in body  # what was typed is kept
    good = client.post(
        f"/inbox/{task.pk}/complete/",
        {"applicant": "Jo", "amount": "60000", "term_months": "12"},
    )
    assert good.status_code == 302
    task.refresh_from_db()
    assert task.status == TaskStatus.COMPLETED


def test_someone_elses_task_page_is_a_404(users: dict[str, Any]) -> None:
    task = start_loan(users["ana"]).tasks.get()
    client = signed_in(users["carla"])
    assert client.get(f"/inbox/{task.pk}/").status_code == 404
    assert client.post(f"/inbox/{task.pk}/claim/").status_code == 404
    assert client.get("/inbox/999999/").status_code == 404


def test_comments_and_unknown_actions(users: dict[str, Any]) -> None:
    ana = users["ana"]
    task = start_loan(ana).tasks.get()
    client = signed_in(ana)
    client.post(f"/inbox/{task.pk}/comment/", {"text": "Called the customer."})
    assert "Called the customer." in client.get(f"/inbox/{task.pk}/").content.decode()
    response = client.post(f"/inbox/{task.pk}/fly/", follow=True)
    assert "Unknown action" in response.content.decode()
