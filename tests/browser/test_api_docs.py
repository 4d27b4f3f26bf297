"""The API reference page in a real browser: reached from the navigation, drawn without scripts
or files from anywhere but this server."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.test_sign_in import sign_in
from tests.processes.test_api import operation_count
from workflow_site.demo import demo_data_install

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_api_reference_lists_every_endpoint(page: Any, live_server: Any) -> None:
    demo_data_install()
    elsewhere: list[str] = []
    page.on(
        "request",
        lambda request: (
            None if request.url.startswith(live_server.url) else elsewhere.append(request.url)
        ),
    )
    sign_in(page, live_server.url, "ana", "ana-demo")
    page.wait_for_url(f"{live_server.url}/")
    page.get_by_role("link", name="API").click()
    page.wait_for_url(f"{live_server.url}/api/docs/")
    assert page.get_by_role("heading", level=1).inner_text().startswith("Itinera API")
    assert page.get_by_test_id("api-operation").count() == operation_count()
    page.get_by_role("navigation", name="API sections").get_by_role("link", name="Tasks").click()
    complete = page.locator("article#tasks_complete_create")
    assert complete.is_visible()
    complete.get_by_role("link", name="Complete").click()
    page.wait_for_url(f"{live_server.url}/api/docs/#schema-Complete")
    assert page.locator("#schema-Complete").is_visible()
    assert elsewhere == []
