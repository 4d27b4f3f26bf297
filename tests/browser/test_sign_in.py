"""The quick start's first steps in a real browser: sign in, see what you may start, sign out."""

from __future__ import annotations

from typing import Any

import pytest

from workflow_site.demo import demo_data_install

pytestmark = pytest.mark.django_db(transaction=True)


def sign_in(page: Any, base_url: str, username: str, password: str) -> None:
    page.goto(f"{base_url}/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def test_demo_worker_signs_in_and_sees_startable_journeys(page: Any, live_server: Any) -> None:
    demo_data_install()
    sign_in(page, live_server.url, "carla", "carla-demo")
    page.wait_for_url(f"{live_server.url}/")
    cards = page.locator("[data-journey-key]")
    assert cards.count() == 1
    assert cards.first.get_attribute("data-journey-key") == "expense-claim"
    assert page.get_by_test_id("current-user").inner_text() == "Carla Chen"
    # Bootstrap's stylesheet came from the npm package through the static files.
    color = page.evaluate("getComputedStyle(document.querySelector('nav')).backgroundColor")
    assert color == "rgb(31, 78, 121)"
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(f"{live_server.url}/accounts/login/")


def test_wrong_password_stays_on_the_form(page: Any, live_server: Any) -> None:
    demo_data_install()
    sign_in(page, live_server.url, "ana", "not-her-password")
    assert page.get_by_role("alert").inner_text().startswith("Your username and password")
    assert page.get_by_label("Username").input_value() == "ana"


def test_keyboard_reaches_the_form_and_submits(page: Any, live_server: Any) -> None:
    demo_data_install()
    page.goto(f"{live_server.url}/accounts/login/")
    assert page.evaluate("document.activeElement.id") == "id_username"
    page.keyboard.type("ana")
    page.keyboard.press("Tab")
    page.keyboard.type("ana-demo")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_server.url}/")
    assert page.locator("[data-journey-key]").count() == 2
