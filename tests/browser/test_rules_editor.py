"""The rules editor in a real browser: edit a decision table, see an inline syntax error, try it,
see the matched row; save and publish."""

from __future__ import annotations

from typing import Any

import pytest

from rules import services
from rules.models import Rule
from tests.rules.support import ASSIGNMENT, rule_author

pytestmark = pytest.mark.django_db(transaction=True)


def sign_in_as(page: Any, base_url: str, username: str, password: str) -> None:
    page.goto(f"{base_url}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base_url}/")


def test_edit_a_table_see_the_error_try_it_and_publish(
    daphne_server: str, page: Any, screenshot: Any
) -> None:
    author = rule_author()
    rule = services.rule_create(
        actor=author,
        key="loan-assignment",
        name="Loan assignment",
        kind="decision_table",
        definition=ASSIGNMENT,
    )
    sign_in_as(page, daphne_server, "author", "secret-pass")
    page.get_by_role("link", name="Rules").click()
    page.get_by_role("link", name="Loan assignment").click()
    page.wait_for_url(f"{daphne_server}/rules/{rule.pk}/")
    table = page.get_by_test_id("decision-table")
    table.wait_for()

    # A typo in a cell: the problem shows under that cell, with where it is.
    cell = page.get_by_label("Row 1 Amount")
    cell.fill("[500000..")
    feedback = page.locator('[data-feedback-for="rules[0].inputs[0]"]')
    feedback.wait_for(state="visible")
    assert "close the interval" in feedback.inner_text()
    assert "is-invalid" in (cell.get_attribute("class") or "")

    # Fixed, and a new row added above the catch-all.
    cell.fill("[750000..]")
    page.wait_for_function(
        "!document.querySelector('[data-cell=\"rules[0].inputs[0]\"]').classList.contains('is-invalid')"
    )
    page.get_by_role("button", name="+ Row").click()
    page.get_by_label("Row 3 Amount").fill("[100000..750000)")
    page.get_by_label("Row 3 assignee").fill('"ben"')
    page.get_by_label("Row 3 role").fill('"officers"')
    page.get_by_label("Row 3 description").fill("mid-size")

    # Try it: row 3 is not yet before the catch-all, so row 2 wins; the matched rows are marked.
    page.get_by_label("Sample data").fill('{"amount": 200000}')
    page.get_by_role("button", name="Try it").click()
    rows = page.get_by_test_id("try-rows")
    rows.wait_for()
    assert rows.inner_text() == "Matched rows 2 (used), 3"
    assert '"role": "officers"' in page.get_by_test_id("try-output").inner_text()
    assert page.locator('tr[data-row="1"].table-success').count() == 1
    assert page.locator('tr[data-row="2"].table-info').count() == 1

    # Under a unique hit policy the two rows overlap: trying it names both rows.
    page.locator("#hit-policy").select_option("unique")
    page.get_by_role("button", name="Try it").click()
    page.get_by_test_id("try-error").wait_for()
    assert "rows 2, 3 all match" in page.get_by_test_id("try-error").inner_text()
    page.locator("#hit-policy").select_option("first")

    # Move the catch-all last: remove it and add it again at the end.
    page.get_by_role("button", name="Remove row 2").click()
    page.get_by_role("button", name="+ Row").click()
    page.get_by_label("Row 3 role").fill('"officers"')
    page.get_by_label("Row 3 assignee").fill("null")
    page.get_by_role("button", name="Try it").click()
    page.wait_for_function(
        "document.querySelector('[data-testid=try-rows]')?.textContent === "
        "'Matched rows 2 (used), 3'"
    )
    assert page.locator('tr[data-row="1"].table-success').count() == 1
    assert '"assignee": "ben"' in page.get_by_test_id("try-output").inner_text()
    screenshot(page, "rules-editor-try-it")

    page.get_by_role("button", name="Save draft").click()
    page.get_by_text("Draft saved.").wait_for()
    page.get_by_label("Why it changed").fill("mid-size loans go to Ben")
    page.get_by_role("button", name="Publish").click()
    page.get_by_text("latest published: v1").wait_for()
    published = Rule.objects.get(pk=rule.pk).versions.get()
    assert [row["inputs"] for row in published.definition["rules"]] == [
        ["[750000..]"],
        ["[100000..750000)"],
        ["-"],
    ]
    assert published.note == "mid-size loans go to Ben"
    page.get_by_role("link", name="History").click()
    assert "mid-size loans go to Ben" in page.get_by_test_id("versions").inner_text()


def test_a_condition_rule_editor_shows_problems_and_tries(daphne_server: str, page: Any) -> None:
    author = rule_author()
    rule = services.rule_create(
        actor=author, key="credit-score-threshold", name="Credit score", kind="condition"
    )
    sign_in_as(page, daphne_server, "author", "secret-pass")
    page.goto(f"{daphne_server}/rules/{rule.pk}/")
    page.get_by_label("Condition 1 field").fill("credit_score")
    page.get_by_label("Condition 1 operator").select_option("gte")
    page.get_by_label("Condition 1 value").fill("620")
    page.get_by_role("button", name="+ Condition").click()
    page.get_by_label("Condition 2 field").fill("2bad")
    feedback = page.locator('[data-feedback-for="conditions[1].field"]')
    feedback.wait_for(state="visible")
    assert "case variable name" in feedback.inner_text()
    page.get_by_role("button", name="Remove condition 2").click()
    page.get_by_label("Sample data").fill('{"credit_score": 700}')
    page.get_by_role("button", name="Try it").click()
    assert "Result: true" in page.get_by_test_id("try-output").inner_text()
