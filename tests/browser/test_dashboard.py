"""A manager's walk through the dashboard in a real browser: tiles, charts, the slowest steps on
the diagram, a drill-down list, and figures that follow a colleague's work live."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from processes import services
from processes.selectors import journey_by_key
from tasks import services as task_services
from tasks.models import Task
from tests.browser.test_inbox import sign_in
from workflow_site.demo import demo_data_install

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_managers_walk_through_the_dashboard(
    daphne_server: str, page: Any, chromium: Any, screenshot: Any
) -> None:
    from django.contrib.auth import get_user_model

    demo_data_install()
    users = {user.username: user for user in get_user_model().objects.all()}
    journey = journey_by_key(key="expense-claim")
    cases = [
        services.instance_start(actor=users["ana"], journey=journey, business_key=f"DASH-{n}")
        for n in (1, 2, 3)
    ]
    # DASH-1 goes all the way: reviewed (large, so approved by a manager) and paid.
    review = cases[0].tasks.get(element_id="Task_Review")
    task_services.task_complete(
        actor=users["ana"], task=review, data={"total": 2500, "receipts_ok": True}
    )
    approve = cases[0].tasks.get(element_id="Task_Approve")
    task_services.task_complete(actor=users["carla"], task=approve, data={"approved": True})
    # DASH-2's review is past its SLA.
    now = timezone.now()
    Task.objects.filter(instance=cases[1], element_id="Task_Review").update(
        sla_deadline=now - timedelta(hours=1), sla_warn_at=now - timedelta(hours=5)
    )

    sign_in(page, daphne_server, "maria")
    page.get_by_role("link", name="Dashboard").click()
    page.wait_for_url(f"{daphne_server}/monitoring/dashboard/")
    open_tile = page.locator('[data-metric="sla.tasks.open"]')
    assert open_tile.inner_text() == "2"
    assert page.locator('[data-metric="sla.tasks.breached"]').inner_text() == "1"
    assert page.locator('[data-metric="sla.tasks.on_track"]').inner_text() == "1"
    # The charts are drawn, and the slowest steps sit on the journey's diagram.
    page.wait_for_function("window.Chart && Chart.getChart('throughput-chart') !== undefined")
    page.wait_for_function("window.Chart && Chart.getChart('roles-chart') !== undefined")
    page.locator("#heat-journey").select_option("expense-claim")
    page.locator('[data-heat="Task_Review"]').wait_for()
    page.locator('[data-heat="Task_Approve"]').wait_for()
    assert page.locator("#heat-table tbody tr").count() == 2
    classes = page.locator('g.djs-element[data-element-id="Task_Review"]').get_attribute("class")
    assert any(f"heat-{level}" in (classes or "").split() for level in range(5)), classes
    # Drill down into the breached tasks.
    page.get_by_test_id("tile-breached").click()
    drill = page.locator("#drill-down-list")
    drill.wait_for()
    assert "Breached: 1 open task" in drill.inner_text()
    assert "DASH-2" in drill.inner_text()
    assert page.locator("#active-instances tr[data-instance]").count() == 2
    page.wait_for_function("document.getElementById('dashboard').dataset.live === 'on'")

    # A colleague finishes DASH-3's review (a small claim, paid at once): the figures follow.
    colleague = chromium.new_context()
    other = colleague.new_page()
    try:
        sign_in(other, daphne_server, "ana")
        task = cases[2].tasks.get(element_id="Task_Review")
        other.goto(f"{daphne_server}/inbox/{task.pk}/")
        other.get_by_label("Total amount").fill("300")
        other.get_by_label("Receipts match the claim").check()
        other.get_by_role("button", name="Complete").click()
        other.wait_for_url(f"{daphne_server}/inbox/")
    finally:
        colleague.close()
    page.wait_for_function(
        "document.querySelector('[data-metric=\"sla.tasks.open\"]').textContent.trim() === '1'"
    )
    page.wait_for_function(
        "document.querySelectorAll('#active-instances tr[data-instance]').length === 1"
    )
    assert page.locator('[data-metric="sla.tasks.on_track"]').inner_text() == "0"
    screenshot(page, "dashboard")
