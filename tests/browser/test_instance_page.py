"""An instance page in a real browser: the bpmn-js diagram, with markers that follow the case."""

from __future__ import annotations

from typing import Any

import pytest

from processes import services
from processes.selectors import journey_by_key
from tests.browser.test_inbox import sign_in
from workflow_site.demo import demo_data_install

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_diagram_shows_where_the_case_is_and_follows_it_live(
    daphne_server: str, page: Any, chromium: Any, screenshot: Any
) -> None:
    from django.contrib.auth import get_user_model

    demo_data_install()
    ana = get_user_model().objects.get(username="ana")
    instance = services.instance_start(
        actor=ana, journey=journey_by_key(key="expense-claim"), business_key="DIAG-1"
    )
    task = instance.tasks.get()
    sign_in(page, daphne_server, "ana")
    page.goto(f"{daphne_server}/processes/{instance.pk}/")
    active = page.locator('[data-element-id="Task_Review"].itn-active')
    active.wait_for()
    assert page.locator(".itn-token").first.inner_text() == "1"
    page.wait_for_function(
        "document.getElementById('diagram-status').textContent.startsWith('Updated')"
    )

    worker = chromium.new_context()
    other = worker.new_page()
    try:
        sign_in(other, daphne_server, "ana")
        other.goto(f"{daphne_server}/inbox/{task.pk}/")
        other.get_by_label("Total amount").fill("2500")
        other.get_by_label("Receipts match the claim").check()
        other.get_by_role("button", name="Complete").click()
        other.wait_for_url(f"{daphne_server}/inbox/")
    finally:
        worker.close()

    # Over 1,000 needs a manager's approval: the marker moves there without a reload.
    page.locator('[data-element-id="Task_Approve"].itn-active').wait_for(timeout=10_000)
    assert page.locator('[data-element-id="Task_Review"].itn-done').count() == 1
    assert page.locator('[data-element-id="Task_Review"].itn-active').count() == 0
    screenshot(page, "instance-diagram-live")


def test_a_manager_suspends_and_resumes_an_instance(daphne_server: str, page: Any) -> None:
    from django.contrib.auth import get_user_model

    demo_data_install()
    ana = get_user_model().objects.get(username="ana")
    instance = services.instance_start(
        actor=ana, journey=journey_by_key(key="expense-claim"), business_key="HOLD-1"
    )
    sign_in(page, daphne_server, "maria")
    page.goto(f"{daphne_server}/processes/{instance.pk}/")
    status = page.get_by_test_id("instance-status")
    assert status.inner_text() == "running"
    page.get_by_role("button", name="Suspend").click()
    page.get_by_role("button", name="Resume").wait_for()
    assert status.inner_text() == "suspended"
    instance.refresh_from_db()
    assert instance.status == "suspended"
    page.get_by_role("button", name="Resume").click()
    page.get_by_role("button", name="Suspend").wait_for()
    assert status.inner_text() == "running"
    instance.refresh_from_db()
    assert instance.status == "running"


def test_a_worker_cannot_see_operator_actions_or_open_others_tasks(
    daphne_server: str, page: Any
) -> None:
    from django.contrib.auth import get_user_model

    demo_data_install()
    ana = get_user_model().objects.get(username="ana")
    instance = services.instance_start(
        actor=ana, journey=journey_by_key(key="loan-application"), business_key="MINE-1"
    )
    task = instance.tasks.get()
    sign_in(page, daphne_server, "carla")
    response = page.goto(f"{daphne_server}/inbox/{task.pk}/")
    assert response is not None
    assert response.status == 404
    assert page.get_by_role("heading", name="Not found").is_visible()
    response = page.goto(f"{daphne_server}/processes/{instance.pk}/")
    assert response is not None
    assert response.status == 404
