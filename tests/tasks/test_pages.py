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


def test_saved_filters_are_kept_per_user_replayed_and_deleted(users: dict[str, Any]) -> None:
    ana, ben = users["ana"], users["ben"]
    start_loan(ana, "L-1")
    client = signed_in(ana)
    saved = client.post(
        "/inbox/filters/",
        {"name": " Urgent loans ", "query": "q=L-1&priority_min=10&page=3&bogus=1&due="},
    )
    assert saved.status_code == 302
    assert saved["Location"] == "/inbox/?priority_min=10&q=L-1"  # known keys only, no paging
    page = client.get(saved["Location"]).content.decode()
    assert 'data-testid="saved-filter"' in page
    assert "Urgent loans" in page
    # Saving under the same name replaces the query; another user sees none of ana's filters.
    client.post("/inbox/filters/", {"name": "Urgent loans", "query": "due=overdue"})
    assert list(ana.saved_filters.values_list("name", "query")) == [("Urgent loans", "due=overdue")]
    assert "Urgent loans" not in signed_in(ben).get("/inbox/").content.decode()
    mine = ana.saved_filters.get()
    assert signed_in(ben).post(f"/inbox/filters/{mine.pk}/delete/").status_code == 404
    refused = client.post("/inbox/filters/", {"name": "  ", "query": ""}, follow=True)
    assert "Give the filter a name." in refused.content.decode()
    assert client.post(f"/inbox/filters/{mine.pk}/delete/").status_code == 302
    assert not ana.saved_filters.exists()


def test_saved_filter_service_refuses_bad_input(users: dict[str, Any]) -> None:
    from tasks import services as task_services
    from workflow_site.errors import ApplicationError

    ana = users["ana"]
    for name, query, field in (
        (None, "", "name"),
        ("x" * 81, "", "name"),
        ("ok", 5, "query"),
        ("ok", "q=" + "x" * 1000, "query"),
    ):
        with pytest.raises(ApplicationError) as refused:
            task_services.saved_filter_save(user=ana, name=name, query=query)
        assert refused.value.field == field
    for index in range(task_services.MAX_SAVED_FILTERS):
        task_services.saved_filter_save(user=ana, name=f"f{index}", query="")
    with pytest.raises(ApplicationError) as refused:
        task_services.saved_filter_save(user=ana, name="one more", query="")
    assert refused.value.code == "too_many_filters"


def test_due_filter_and_paging_keep_the_filters(users: dict[str, Any]) -> None:
    from datetime import timedelta

    from django.utils import timezone

    ana = users["ana"]
    for number in range(3):
        start_loan(ana, f"D-{number}")
    tasks = list(ana.assigned_tasks.order_by("pk"))
    now = timezone.now()
    tasks[0].due_at = now - timedelta(hours=1)
    tasks[0].save()
    if len(tasks) > 1:
        tasks[1].due_at = now + timedelta(days=3)
        tasks[1].save()
    client = signed_in(ana)
    overdue = client.get("/inbox/?due=overdue", HTTP_HX_REQUEST="true").content.decode()
    assert overdue.count('class="inbox-row"') == 1
    assert "overdue" in overdue
    undated = client.get("/inbox/?due=none", HTTP_HX_REQUEST="true").content.decode()
    assert undated.count('class="inbox-row"') == len(tasks) - min(len(tasks), 2)
    assert client.get("/inbox/?due=yesterday").status_code == 400
    for number in range(60):  # routing shares them between ana and ben: more than a page each
        start_loan(ana, f"P-{number}")
    paged = client.get("/inbox/?q=P-&sort=created").content.decode()
    assert 'href="?q=P-&amp;sort=created&amp;page=2"' in paged


def test_manager_reassigns_and_assignee_delegates_from_the_task_page(
    users: dict[str, Any],
) -> None:
    ana, ben, maria = users["ana"], users["ben"], users["maria"]
    task = start_loan(ana).tasks.get()
    assert task.assignee == ana
    page = signed_in(ana).get(f"/inbox/{task.pk}/").content.decode()
    assert 'id="delegate-user"' in page
    assert f'value="{ben.pk}"' in page
    refused = signed_in(ana).post(
        f"/inbox/{task.pk}/delegate/", {"user": "abc", "reason": "away"}, follow=True
    )
    assert "There is no such active user." in refused.content.decode()
    delegated = signed_in(ana).post(
        f"/inbox/{task.pk}/delegate/", {"user": str(ben.pk), "reason": "I am away"}
    )
    assert delegated.status_code == 302
    task.refresh_from_db()
    assert (task.assignee, task.delegated_by) == (ben, ana)
    manager_page = signed_in(maria).get(f"/inbox/{task.pk}/").content.decode()
    assert 'id="reassign-user"' in manager_page
    signed_in(maria).post(f"/inbox/{task.pk}/reassign/", {"user": str(ana.pk), "reason": "back"})
    task.refresh_from_db()
    assert task.assignee == ana
