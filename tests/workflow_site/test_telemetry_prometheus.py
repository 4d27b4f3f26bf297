"""A real Prometheus scrape of ``/metrics`` from Daphne with OTEL_METRICS_EXPORTER=prometheus."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connection
from guardian.shortcuts import assign_perm
from prometheus_client.parser import text_string_to_metric_families
from rest_framework.authtoken.models import Token

from processes import services
from tasks.models import Task
from tests.factories import MINIMAL_BPMN, UserFactory

SCRAPE_TOKEN = "scrape-secret-for-tests"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def prometheus_server(transactional_db: Any) -> Iterator[str]:
    """Daphne on the test database with the Prometheus exporter on and a scrape token."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("OTEL_") and key != "ITINERA_METRICS_TOKEN"
    }
    env.update(
        DJANGO_SETTINGS_MODULE="workflow_site.settings.test",
        OTEL_METRICS_EXPORTER="prometheus",
        ITINERA_METRICS_TOKEN=SCRAPE_TOKEN,
    )
    database = connection.settings_dict
    if connection.vendor == "sqlite":
        env["ITINERA_SQLITE_PATH"] = str(database["NAME"])
    else:
        env["DATABASE_URL"] = os.environ["DATABASE_URL"].rsplit("/", 1)[0] + f"/{database['NAME']}"
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port)]
        + ["workflow_site.asgi:application"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                break
        if server.poll() is not None:
            raise RuntimeError(server.stderr.read().decode() if server.stderr else "daphne exited")
        time.sleep(0.1)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()


def _call(url: str, *, token: str = "", scheme: str = "Token", body: Any = None) -> Any:
    request = urllib.request.Request(url, method="POST" if body is not None else "GET")  # noqa: S310
    if token:
        request.add_header("Authorization", f"{scheme} {token}")
    if body is not None:
        request.add_header("Content-Type", "application/json")
        request.data = json.dumps(body).encode()
    try:
        with urllib.request.urlopen(request, timeout=20) as response:  # noqa: S310 - our server
            return response.status, response.read().decode()
    except urllib.error.HTTPError as refused:
        return refused.code, refused.read().decode()


def test_a_prometheus_scrape_sees_the_engine_metrics(prometheus_server: str) -> None:
    user: Any = UserFactory(username="scraped", is_superuser=True)
    api_token = Token.objects.create(user=user).key
    journey = services.journey_create(
        actor=user, key="scrape", name="Scrape", bpmn_xml=MINIMAL_BPMN
    )
    services.journey_version_publish(actor=user, version=journey.versions.get())
    assign_perm("processes.start_journey", user, journey)

    status, body = _call(
        f"{prometheus_server}/api/processes/start", token=api_token, body={"journey": "scrape"}
    )
    assert status == 201, body
    task = Task.objects.get(instance_id=json.loads(body)["id"], element_id="Work")
    status, body = _call(
        f"{prometheus_server}/api/tasks/{task.pk}/complete/", token=api_token, body={"data": {}}
    )
    assert status == 200, body
    services.instance_start(actor=user, journey=journey)  # one task left open

    assert _call(f"{prometheus_server}/metrics")[0] == 401
    assert _call(f"{prometheus_server}/metrics", token="wrong", scheme="Bearer")[0] == 401
    assert _call(f"{prometheus_server}/metrics", token=api_token)[0] == 401
    status, text = _call(f"{prometheus_server}/metrics", token=SCRAPE_TOKEN, scheme="Bearer")
    assert status == 200
    samples = [
        (sample.name, sample.labels, sample.value)
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    ]

    def value(name: str, **labels: str) -> float:
        found = [v for n, got, v in samples if n == name and labels.items() <= got.items()]
        assert found, f"no {name} {labels} in the scrape"
        return sum(found)

    assert (
        value(
            "itinera_task_completions_total",
            itinera_journey_key="scrape",
            itinera_element_id="Work",
        )
        == 1
    )
    assert value("itinera_process_starts_total", itinera_journey_key="scrape") == 1
    assert value("itinera_process_advance_duration_seconds_count") == 1
    open_tasks = value("itinera_task_queue_depth", itinera_task_status="claimed") + value(
        "itinera_task_queue_depth", itinera_task_status="offered"
    )
    assert open_tasks == Task.objects.filter(status__in=("offered", "claimed")).count() == 1
    names = {name for name, _, _ in samples}
    assert any(name.startswith("http_server_") for name in names)  # Django's own metrics


def test_metrics_are_not_served_unless_prometheus_export_is_on(client: Any) -> None:
    assert client.get("/metrics").status_code == 404
