"""The what-if and analytics pages: managers only, every version a manager may simulate offered
(the draft too), and the analytics page wired to its API."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from django.test import Client

from processes import services as process_services
from processes.models import Journey, VersionStatus

pytestmark = pytest.mark.django_db


def test_the_what_if_page_offers_published_versions_and_drafts(
    client: Client, demo_users: dict[str, Any]
) -> None:
    journey = Journey.objects.get(key="loan-application")
    process_services.journey_draft_save(
        actor=demo_users["admin"],
        journey=journey,
        bpmn_xml=journey.versions.get(status=VersionStatus.PUBLISHED).bpmn_xml,
        expected_lock_version=None,
    )
    client.force_login(demo_users["maria"])
    response = client.get("/monitoring/what-if/")
    assert response.status_code == 200
    page = response.content.decode()
    found = re.search(
        r'<script id="whatif-versions" type="application/json">(.*?)</script>', page, re.S
    )
    assert found is not None
    versions = json.loads(found.group(1))
    loan = [v for v in versions if v["journey"] == "loan-application"]
    assert [(v["version"], v["status"]) for v in loan] == [("draft", "draft"), (1, "published")]
    assert loan[1]["roles"] == ["loan-officers", "underwriters"]
    assert loan[1]["people"] == {"loan-officers": 2, "underwriters": 1}
    assert {"id": "Task_Underwrite", "name": "Underwriter decision"} in loan[1]["steps"]
    assert loan[1]["choices"][0]["id"] == "Gateway_Amount"
    assert 'href="/monitoring/what-if/"' in page  # the navigation's item


def test_the_analytics_page_names_its_journey_and_exports(
    client: Client, demo_users: dict[str, Any]
) -> None:
    client.force_login(demo_users["maria"])
    response = client.get("/monitoring/analytics/?journey=expense-claim")
    assert response.status_code == 200
    page = response.content.decode()
    assert 'data-journey="expense-claim"' in page
    assert "/api/analytics/event-log.xes?journey=expense-claim" in page
    assert "/api/analytics/event-log.ocel.json?journey=expense-claim" in page
    bad = client.get("/monitoring/analytics/?since=x")
    assert bad.status_code == 400


@pytest.mark.parametrize(
    "path", ["/monitoring/what-if/", "/monitoring/analytics/", "/monitoring/dashboard/anomalies/"]
)
def test_only_managers_open_the_pages(
    client: Client, demo_users: dict[str, Any], path: str
) -> None:
    assert client.get(path).status_code == 302  # sign in first
    client.force_login(demo_users["ana"])
    assert client.get(path).status_code == 403
