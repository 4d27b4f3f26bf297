"""The rules pages: list and search, new rule, editor, history, imports; others' rules are 404."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from rules import services
from rules.models import Rule
from tests.factories import UserFactory
from tests.rules.support import ASSIGNMENT, rule_author

pytestmark = pytest.mark.django_db
FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture
def author(db: Any) -> Any:
    return rule_author()


@pytest.fixture
def signed_in(author: Any) -> Client:
    client = Client()
    client.force_login(author)
    return client


@pytest.fixture
def table(author: Any) -> Rule:
    rule = services.rule_create(
        actor=author,
        key="loan-assignment",
        name="Loan assignment",
        kind="decision_table",
        definition=ASSIGNMENT,
        description="Who approves a loan",
    )
    services.rule_publish(actor=author, rule=rule, note="first cut")
    return rule


def test_list_search_and_nav(signed_in: Client, table: Rule) -> None:
    page = signed_in.get("/rules/")
    assert page.status_code == 200
    text = page.content.decode()
    assert 'href="/rules/"' in text
    assert ">Rules</a>" in text
    assert "Loan assignment" in text
    assert "v1" in text
    partial = signed_in.get("/rules/?q=nothing-like-it", HTTP_HX_REQUEST="true").content.decode()
    assert "No rule matches" in partial
    assert "<html" not in partial
    assert "Loan assignment" in signed_in.get("/rules/?q=approves").content.decode()


def test_new_rule_form(signed_in: Client) -> None:
    response = signed_in.post(
        "/rules/new/", {"key": "bad key", "name": "x", "kind": "condition", "description": ""}
    )
    assert response.status_code == 200
    assert "lower-case letters" in response.content.decode()
    created = signed_in.post(
        "/rules/new/", {"key": "threshold", "name": "Threshold", "kind": "condition"}
    )
    rule = Rule.objects.get(key="threshold")
    assert created["Location"] == f"/rules/{rule.pk}/"


def test_editor_and_history(signed_in: Client, table: Rule) -> None:
    editor = signed_in.get(f"/rules/{table.pk}/").content.decode()
    assert 'id="rule-data"' in editor
    assert "rules-editor.js" in editor
    assert "Try it" in editor
    history = signed_in.get(f"/rules/{table.pk}/history/").content.decode()
    assert "first version" in history
    assert "first cut" in history
    assert "rule.published" in history
    assert "author" in history


def test_imports(signed_in: Client, table: Rule) -> None:
    with (FIXTURES / "camunda-dish.dmn").open("rb") as upload:
        response = signed_in.post("/rules/import/", {"file": upload})
    dish = Rule.objects.get(key="dish")
    assert response["Location"] == f"/rules/{dish.pk}/"
    csv = 'input:amount:number,output:assignee:string,output:role:string\n-,null,"""all"""\n'
    from django.core.files.uploadedfile import SimpleUploadedFile

    signed_in.post(
        f"/rules/{table.pk}/draft-import/",
        {"format": "csv", "file": SimpleUploadedFile("t.csv", csv.encode())},
    )
    table.refresh_from_db()
    assert table.draft["rules"] == [
        {"inputs": ["-"], "outputs": ["null", '"all"'], "description": ""}
    ]


def test_someone_elses_rule_is_404(table: Rule) -> None:
    client = Client()
    client.force_login(UserFactory(username="stranger"))
    assert client.get(f"/rules/{table.pk}/").status_code == 404
    assert client.get(f"/rules/{table.pk}/history/").status_code == 404
    assert "Loan assignment" not in client.get("/rules/").content.decode()
