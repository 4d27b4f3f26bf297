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
    daphne_server: str, page: Any, chromium: Any, screenshot: Any
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
    screenshot(page, "inbox-offered-live")

    # Keyboard: j selects the row, c claims it.
    page.keyboard.press("j")
    page.keyboard.press("c")
    page.wait_for_url(f"{daphne_server}/inbox/?scope=mine")
    assert page.locator(f'tr[data-task="{task.pk}"]').is_visible()
    task.refresh_from_db()
    assert task.assignee.username == "ben"


def test_completing_a_task_in_the_browser_shows_form_errors_then_moves_on(
    daphne_server: str, page: Any, screenshot: Any
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
    screenshot(page, "task-page-validation-error")
    page.get_by_label("Total amount").fill("250")
    page.get_by_label("Receipts match the claim").check()
    page.get_by_role("button", name="Complete").click()
    page.wait_for_url(f"{daphne_server}/inbox/")
    task.refresh_from_db()
    assert task.status == "completed"
    assert task_services is not None


def test_presence_shows_who_else_has_the_task_open(
    daphne_server: str, page: Any, chromium: Any
) -> None:
    from django.contrib.auth import get_user_model

    demo_data_install()
    users = get_user_model().objects
    ana = users.get(username="ana")
    task = services.instance_start(
        actor=ana, journey=journey_by_key(key="loan-application"), business_key="SEEN-1"
    ).tasks.get()
    maria = users.get(username="maria")

    sign_in(page, daphne_server, "ana")
    page.goto(f"{daphne_server}/inbox/{task.pk}/")
    presence = page.get_by_test_id("presence")
    assert not presence.is_visible()

    manager = chromium.new_context()
    other = manager.new_page()
    try:
        sign_in(other, daphne_server, "maria")
        other.goto(f"{daphne_server}/inbox/{task.pk}/")
        other.get_by_text(f"{ana.get_full_name()} is working on this").wait_for(timeout=10_000)
        page.get_by_text(f"{maria.get_full_name()} is working on this").wait_for(timeout=10_000)
        other.goto(f"{daphne_server}/inbox/")  # maria leaves the task page
        presence.wait_for(state="hidden", timeout=10_000)
    finally:
        manager.close()


def test_a_filter_is_saved_and_replayed_from_the_inbox(daphne_server: str, page: Any) -> None:
    from django.contrib.auth import get_user_model

    demo_data_install()
    ana = get_user_model().objects.get(username="ana")
    for key in ("KEEP-1", "SKIP-1"):
        task = services.instance_start(
            actor=ana, journey=journey_by_key(key="loan-application"), business_key=key
        ).tasks.get()
        if task.assignee != ana:
            task_services.task_reassign(
                actor=get_user_model().objects.get(username="maria"),
                task=task,
                user_id=ana.pk,
                reason="for the test",
            )
    sign_in(page, daphne_server, "ana")
    page.goto(f"{daphne_server}/inbox/")
    page.get_by_label("Search").press_sequentially("KEEP")
    page.wait_for_url("**q=KEEP**")
    page.get_by_label("Name of this filter").fill("Keepers")
    page.get_by_role("button", name="Save filter").click()
    page.wait_for_url("**/inbox/?scope=mine&q=KEEP&sort=priority")
    page.goto(f"{daphne_server}/inbox/")
    assert page.get_by_text("SKIP-1").is_visible()
    page.get_by_test_id("saved-filter").filter(has_text="Keepers").click()
    page.wait_for_url("**/inbox/?scope=mine&q=KEEP&sort=priority")
    assert page.get_by_text("KEEP-1").is_visible()
    assert not page.get_by_text("SKIP-1").is_visible()
