"""A manager's walk through a what-if comparison in a real browser: two scenarios of the loan
journey (as staffed today, and with a second underwriter and slower underwriting), run as
simulations with their progress on the live socket, compared side by side."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.test_inbox import sign_in
from tests.monitoring.history_support import loan_history
from workflow_site.demo import demo_data_install

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_manager_compares_two_staffing_scenarios(
    daphne_server: str, page: Any, screenshot: Any
) -> None:
    from django.contrib.auth import get_user_model

    demo_data_install()
    users = {user.username: user for user in get_user_model().objects.all()}
    loan_history(users, count=80)

    sign_in(page, daphne_server, "maria")
    page.get_by_role("link", name="What-if").click()
    page.wait_for_url(f"{daphne_server}/monitoring/what-if/")
    page.wait_for_function("document.getElementById('whatif').dataset.live === 'on'")
    for side in ("A", "B"):
        page.locator(f"#version-{side}").select_option(label="Loan application — v1 (published)")
        page.locator(f"#rate-{side}").fill("1.6")
        page.locator(f"#instances-{side}").fill("400")
        page.locator(f"#replications-{side}").fill("3")
        page.locator(f"#sla-{side}").fill("PT4H")
    assert page.locator("#people-A-underwriters").input_value() == "1"
    page.locator("#name-B").fill("Two underwriters, slower decisions")
    page.locator("#people-B-underwriters").fill("2")
    page.locator("#step-B").select_option(label="Underwriter decision")
    page.locator("#factor-B").fill("1.5")
    page.get_by_role("button", name="Run both scenarios").click()

    page.wait_for_function("document.getElementById('whatif').dataset.compared === '2'")
    assert page.locator('[data-status="A"]').inner_text() == "done"
    assert page.locator('[data-status="B"]').inner_text() == "done"
    table = page.locator("#comparison-table")
    assert "Two underwriters, slower decisions" in table.locator("thead").inner_text()
    rows = {
        row.locator("th").inner_text(): [cell.inner_text() for cell in row.locator("td").all()]
        for row in table.locator("tbody tr").all()
    }
    assert {"Median cycle time (p50)", "p95", "p99", "Utilisation, underwriters"} <= set(rows)
    compliance = [float(text.split("%")[0]) for text in rows["SLA compliance"]]
    assert all(0 < value <= 100 for value in compliance)
    utilisation = [float(text.split("%")[0]) for text in rows["Utilisation, underwriters"]]
    # Twice the people for 1.5 times the work: each is less busy.
    assert utilisation[1] < utilisation[0]
    for chart in ("histogram-chart", "utilisation-chart", "sla-chart"):
        page.wait_for_function(f"window.Chart && Chart.getChart('{chart}') !== undefined")
    assert page.locator('[data-bottlenecks="A"] tbody tr').count() >= 1
    assert page.locator("#recent-runs").count() == 1
    screenshot(page, "whatif-comparison")
