"""The inbox in a real browser, served by Daphne: live updates over the WebSocket, keyboard use."""

from __future__ import annotations

from typing import Any

import pytest

from processes import services
from processes.selectors import journey_by_key
from tasks import services as task_services
from workflow_site.demo import demo_data_install

pytestmark = pytest.mark.django_db(transaction=True)


def sign_in(page: Any, base_url: str, username: str) -> None:
    page.goto(f"{base_url}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(f"{username}-demo")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base_url}/")


def test_a_task_given_back_appears_live_in_a_colleagues_offered_tab(
    daphne_server: str, page: Any, chromium: Any
) -> None:
    from django.contrib.auth import get_user_model

    demo_data_install()
    ana = get_user_model().objects.get(username="ana")
    instance = services.instance_start(
        actor=ana, journey=journey_by_key(key="loan-application"), business_key="LIVE-1"
    )
    task = instance.tasks.get()
    assert task.assignee == ana

    sign_in(page, daphne_server, "ben")
    page.goto(f"{daphne_server}/inbox/?scope=offered")
    page.get_by_text("Live", exact=True).wait_for()
    assert page.get_by_test_id("inbox-empty").is_visible()

    colleague = chromium.new_context()
    other = colleague.new_page()
    try:
        sign_in(other, daphne_server, "ana")
        other.goto(f"{daphne_server}/inbox/{task.pk}/")
        other.get_by_role("button", name="Unclaim").click()
        other.wait_for_url(f"{daphne_server}/inbox/{task.pk}/")
    finally:
        colleague.close()

    # No reload: the row arrives through the socket.
    row = page.locator(f'tr[data-task="{task.pk}"]')
    row.wait_for(timeout=10_000)
    assert "LIVE-1" in row.inner_text()

    # Keyboard: j selects the row, c claims it.
    page.keyboard.press("j")
    page.keyboard.press("c")
    page.wait_for_url(f"{daphne_server}/inbox/?scope=mine")
    assert page.locator(f'tr[data-task="{task.pk}"]').is_visible()
    task.refresh_from_db()
    assert task.assignee.username == "ben"


def test_completing_a_task_in_the_browser_shows_form_errors_then_moves_on(
    daphne_server: str, page: Any
) -> None:
    from django.contrib.auth import get_user_model

    demo_data_install()
    ana = get_user_model().objects.get(username="ana")
    instance = services.instance_start(actor=ana, journey=journey_by_key(key="expense-claim"))
    task = instance.tasks.get()
    sign_in(page, daphne_server, "ana")
    page.goto(f"{daphne_server}/inbox/")
    page.get_by_role("link", name=task.name).click()
    page.get_by_label("Total amount").fill("")
    page.get_by_role("button", name="Complete").click()
    assert page.locator('[data-error-for="total"]').is_visible()
    page.get_by_label("Total amount").fill("250")
    page.get_by_label("Receipts match the claim").check()
    page.get_by_role("button", name="Complete").click()
    page.wait_for_url(f"{daphne_server}/inbox/")
    task.refresh_from_db()
    assert task.status == "completed"
    assert task_services is not None
