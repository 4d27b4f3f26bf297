"""OpenTelemetry: every span and metric a representative run emits is the one the registry
defines, the helpers refuse undefined names, and nothing is installed unless asked for."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.utils import timezone
from guardian.shortcuts import assign_perm
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import StatusCode, format_trace_id
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from processes import handlers, services
from processes.models import InstanceStatus
from tasks import services as task_services
from tasks.models import Task
from tests.factories import UserFactory
from workflow_site import telemetry
from workflow_site.telemetry import providers
from workflow_site.telemetry.logs import TraceIdFilter
from workflow_site.telemetry.registry import Registry, UnknownTelemetryName, load, parse

BPMN = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:itn="urn:itinera:bpmn:1" id="D" targetNamespace="urn:itinera:test">
  <bpmn:process id="Telemetry" isExecutable="true">
    <bpmn:startEvent id="Start" />
    <bpmn:serviceTask id="Score" itn:topic="telemetry-score" />
    <bpmn:userTask id="Review" />
    <bpmn:boundaryEvent id="Late" attachedToRef="Review">
      <bpmn:timerEventDefinition><bpmn:timeDuration>PT1H</bpmn:timeDuration>
      </bpmn:timerEventDefinition>
    </bpmn:boundaryEvent>
    <bpmn:userTask id="Chase" />
    <bpmn:userTask id="Approve" />
    <bpmn:endEvent id="End" />
    <bpmn:endEvent id="LateEnd" />
    <bpmn:sequenceFlow id="F1" sourceRef="Start" targetRef="Score" />
    <bpmn:sequenceFlow id="F2" sourceRef="Score" targetRef="Review" />
    <bpmn:sequenceFlow id="F3" sourceRef="Review" targetRef="Approve" />
    <bpmn:sequenceFlow id="F4" sourceRef="Approve" targetRef="End" />
    <bpmn:sequenceFlow id="F5" sourceRef="Late" targetRef="Chase" />
    <bpmn:sequenceFlow id="F6" sourceRef="Chase" targetRef="LateEnd" />
  </bpmn:process>
</bpmn:definitions>
"""


@pytest.fixture
def captured() -> Iterator[tuple[InMemorySpanExporter, InMemoryMetricReader]]:
    """Itinera's telemetry on in-memory providers, with Django, psycopg and Celery instrumented."""
    exporter = InMemorySpanExporter()
    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(SimpleSpanProcessor(exporter))
    reader = InMemoryMetricReader()
    meter_provider = MeterProvider(metric_readers=[reader])
    providers.install(tracer_provider=tracer_provider, meter_provider=meter_provider)
    try:
        yield exporter, reader
    finally:
        providers.uninstall()
        tracer_provider.shutdown()
        meter_provider.shutdown()


@pytest.fixture
def score_handler() -> Iterator[None]:
    handlers.register_handler("telemetry-score")(lambda data: {"score": 700})
    try:
        yield
    finally:
        handlers.unregister_handler("telemetry-score")


def _api(user: Any) -> APIClient:
    client = APIClient()
    token, _ = Token.objects.get_or_create(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def _open_task(instance_id: int, element_id: str) -> Task:
    return Task.objects.get(
        instance_id=instance_id, element_id=element_id, status__in=("offered", "claimed")
    )


def _representative_run(user: Any) -> dict[str, Any]:
    """Start two instances over the API (a service task runs as an eager Celery job), complete
    tasks over the API and through the services, fire a timer, and be refused once."""
    connection.close()  # the next connection is made through the instrumented driver
    journey = services.journey_create(actor=user, key="telemetry", name="Telemetry", bpmn_xml=BPMN)
    services.journey_version_publish(actor=user, version=journey.versions.get())
    assign_perm("processes.start_journey", user, journey)
    client = _api(user)
    started = [
        client.post("/api/processes/start", {"journey": "telemetry"}, format="json")
        for _ in range(2)
    ]
    assert [response.status_code for response in started] == [201, 201], started[0].content
    first, second = (response.json()["id"] for response in started)
    review = _open_task(first, "Review")  # the service task ran: the instance moved on
    done = client.post(f"/api/tasks/{review.pk}/complete/", {"data": {}}, format="json")
    assert done.status_code == 200, done.content
    again = client.post(f"/api/tasks/{review.pk}/complete/", {"data": {}}, format="json")
    assert again.status_code == 409
    approve = _open_task(first, "Approve")
    task_services.task_complete(actor=user, task=approve, data={})
    assert services.timers_fire_due(timezone.now() + timedelta(hours=2)) == 1
    chase = _open_task(second, "Chase")
    task_services.task_complete(actor=user, task=chase, data={})
    missing = client.get("/api/processes/999999/")
    assert missing.status_code == 404
    return {"instances": (first, second), "missing": missing}


def _check_attributes(registry: Registry, allowed: set[str], attributes: Any, what: str) -> None:
    problems = registry.problems(allowed, dict(attributes))
    assert problems == [], f"{what}: {problems}"


def _check_span(registry: Registry, span: ReadableSpan) -> None:
    scope = span.instrumentation_scope.name if span.instrumentation_scope else ""
    if scope != registry.scope:
        assert scope in registry.instrumentations, f"span {span.name} from unlisted scope {scope}"
        return
    spec = registry.spans.get(span.name)
    assert spec is not None, f"span {span.name} is not in the registry"
    attributes = dict(span.attributes or {})
    _check_attributes(registry, set(spec.allowed), attributes, f"span {span.name}")
    if span.status.status_code != StatusCode.ERROR:
        missing = spec.required - set(attributes)
        assert not missing, f"span {span.name} lacks {sorted(missing)}"


def _metric_points(reader: InMemoryMetricReader) -> list[tuple[str, str, dict[str, Any]]]:
    data = reader.get_metrics_data()
    points = []
    for resource_metrics in data.resource_metrics if data else ():
        for scope_metrics in resource_metrics.scope_metrics:
            for metric in scope_metrics.metrics:
                for point in metric.data.data_points:
                    points.append(
                        (scope_metrics.scope.name, metric.name, dict(point.attributes or {}))
                    )
    return points


@pytest.mark.django_db(transaction=True)
def test_every_span_and_metric_of_a_run_is_in_the_registry(
    captured: tuple[InMemorySpanExporter, InMemoryMetricReader], score_handler: None
) -> None:
    exporter, reader = captured
    registry = load()
    run = _representative_run(UserFactory(username="otel", is_superuser=True))

    spans = exporter.get_finished_spans()
    for span in spans:
        _check_span(registry, span)
    ours = [span for span in spans if span.instrumentation_scope.name == registry.scope]
    names = {span.name for span in ours}
    assert names == {"process.start", "process.advance", "task.complete"}
    kinds = {
        dict(span.attributes or {})["itinera.event.kind"]
        for span in ours
        if span.name == "process.advance"
    }
    assert kinds == {"job_done", "task_completed", "timer"}
    refused = [span for span in ours if span.status.status_code == StatusCode.ERROR]
    assert {dict(span.attributes or {}).get("error.type") for span in refused} == {"ConflictError"}
    scopes = {span.instrumentation_scope.name for span in spans}
    expected = {
        "opentelemetry.instrumentation.django",
        "opentelemetry.instrumentation.celery",
    }
    if connection.vendor == "postgresql":
        expected.add("opentelemetry.instrumentation.psycopg")
    assert expected <= scopes
    # A completion's engine step is a child of the completion; the job's step is a child of the
    # Celery job that ran it.
    by_id = {span.context.span_id: span for span in spans}
    parents = {
        (by_id[span.parent.span_id].name if span.parent and span.parent.span_id in by_id else None)
        for span in ours
        if span.name == "process.advance"
    }
    assert "task.complete" in parents
    assert any(name and name.startswith("run/") for name in parents)
    # An error response names the trace its request span belongs to.
    trace_id = run["missing"]["X-Trace-Id"]
    assert trace_id in {format_trace_id(span.context.trace_id) for span in spans}

    points = _metric_points(reader)
    for scope, name, attributes in points:
        if scope != registry.scope:
            assert scope in registry.instrumentations, f"metric {name} from unlisted {scope}"
            continue
        spec = registry.metrics.get(name)
        assert spec is not None, f"metric {name} is not in the registry"
        _check_attributes(registry, set(spec.attributes), attributes, f"metric {name}")
    seen = {name for scope, name, _ in points if scope == registry.scope}
    assert seen == {
        "itinera.process.starts",
        "itinera.process.start.duration",
        "itinera.process.advance.duration",
        "itinera.task.completions",
        "itinera.task.duration",
        "itinera.task.complete.duration",
        "itinera.task.queue_depth",
    }
    completions = {
        attributes["itinera.element.id"]
        for scope, name, attributes in points
        if name == "itinera.task.completions"
    }
    assert completions == {"Review", "Approve", "Chase"}


@pytest.mark.django_db(transaction=True)
def test_the_sla_escalation_helpers_follow_the_registry(
    captured: tuple[InMemorySpanExporter, InMemoryMetricReader], score_handler: None
) -> None:
    """The SLA escalation service wraps itself in ``sla.escalate`` and calls ``sla_breached``."""
    exporter, reader = captured
    user = UserFactory(username="otel", is_superuser=True)
    run = _representative_run(user)
    from processes.models import ProcessInstance
    from tests.factories import TaskFactory

    chase = TaskFactory(
        instance=ProcessInstance.objects.get(pk=run["instances"][0]), element_id="Chase"
    )
    # The real escalation service, on a task whose deadline has passed.
    from django.utils import timezone

    from monitoring import sla

    Task.objects.filter(pk=chase.pk).update(
        sla_deadline=timezone.now() - timedelta(minutes=1), sla={"escalation": ["notify"]}
    )
    assert sla.escalation_run(kind=sla.EscalationKind.TASK, object_id=chase.pk)

    @telemetry.traced("sla.escalate")
    def escalate_instance(instance: Any) -> None:
        telemetry.sla_breached(instance=instance, level="warning")

    escalate_instance(chase.instance)
    registry = load()
    spans = [span for span in exporter.get_finished_spans() if span.name == "sla.escalate"]
    assert len(spans) == 2
    for span in spans:
        _check_span(registry, span)
        assert dict(span.attributes or {})["itinera.journey.key"] == "telemetry"
    breaches = [
        attributes
        for scope, name, attributes in _metric_points(reader)
        if name == "itinera.sla.breaches"
    ]
    assert sorted(breaches, key=str) == [
        {"itinera.journey.key": "telemetry", "itinera.sla.level": "breach"},
        {"itinera.journey.key": "telemetry", "itinera.sla.level": "warning"},
    ]


def test_undefined_names_are_refused() -> None:
    with pytest.raises(UnknownTelemetryName):
        telemetry.traced("process.teleport")
    with pytest.raises(UnknownTelemetryName):
        telemetry.span("task.completed")


def test_undefined_attributes_are_refused_while_telemetry_is_on(
    captured: tuple[InMemorySpanExporter, InMemoryMetricReader],
) -> None:
    with (
        pytest.raises(UnknownTelemetryName, match="colour"),
        telemetry.span("task.complete", task_id=1),
    ):
        telemetry.annotate(colour="blue")
    with pytest.raises(UnknownTelemetryName, match="task_id"):
        telemetry.add("itinera.process.starts", task_id=3)
    with pytest.raises(UnknownTelemetryName, match="histogram"):
        telemetry.add("itinera.task.duration")


def test_off_by_default_nothing_is_installed() -> None:
    assert providers.wanted({}) == ([], [])
    assert not telemetry.active()
    assert telemetry.span("process.start") is telemetry.span("task.complete")  # one shared no-op
    with telemetry.span("process.start"):
        telemetry.annotate(anything="goes")  # nothing records, nothing checks
    telemetry.add("itinera.process.starts", journey_key="x")


def test_the_environment_chooses_the_exporters() -> None:
    assert providers.wanted({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318"}) == (
        ["otlp"],
        ["otlp"],
    )
    assert providers.wanted({"OTEL_METRICS_EXPORTER": "prometheus"}) == ([], ["prometheus"])
    assert providers.wanted(
        {"OTEL_TRACES_EXPORTER": "console", "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT": "http://c"}
    ) == (["console"], ["otlp"])
    assert providers.wanted({"OTEL_SDK_DISABLED": "true", "OTEL_TRACES_EXPORTER": "otlp"}) == (
        [],
        [],
    )
    assert providers.wanted({"OTEL_TRACES_EXPORTER": "none"}) == ([], [])
    with pytest.raises(ImproperlyConfigured, match="zipkin"):
        providers.wanted({"OTEL_TRACES_EXPORTER": "zipkin"})
    with pytest.raises(ImproperlyConfigured, match="http/protobuf"):
        providers.wanted({"OTEL_TRACES_EXPORTER": "otlp", "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"})


def test_the_registry_refuses_dangling_names() -> None:
    document = {
        "scope": "itinera",
        "attributes": {"itinera.a": {"type": "string"}},
        "spans": {"x": {"attributes": {"required": ["itinera.b"]}}},
        "metrics": {},
    }
    with pytest.raises(ValueError, match="itinera.b"):
        parse(document)
    document["spans"] = {"x": {"duration_metric": "itinera.nothing"}}
    with pytest.raises(ValueError, match="histogram"):
        parse(document)


def _formatted(record_name: str) -> str:
    record = logging.LogRecord(record_name, logging.INFO, __file__, 1, "hello", None, None)
    TraceIdFilter().filter(record)
    return logging.Formatter("[%(trace_id)s] %(message)s").format(record)


def test_log_lines_carry_the_trace_id(
    captured: tuple[InMemorySpanExporter, InMemoryMetricReader],
) -> None:
    assert _formatted("itinera") == "[-] hello"
    with telemetry.span("task.complete"):
        line = _formatted("itinera")
    (span,) = captured[0].get_finished_spans()
    assert line == f"[{format_trace_id(span.context.trace_id)}] hello"


@pytest.mark.django_db
def test_error_responses_carry_the_request_id_when_tracing_is_off(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from processes import selectors

    def explode(**kwargs: Any) -> Any:
        raise RuntimeError("boom")

    monkeypatch.setattr(selectors, "journeys_visible_to", explode)
    client = _api(UserFactory())
    failed = client.get("/api/journeys/", HTTP_X_REQUEST_ID="req-42")
    assert failed.status_code == 500
    assert failed.json()["error"]["details"]["trace_id"] == "req-42"
    assert failed["X-Trace-Id"] == "req-42"
    missing = client.get("/api/processes/999999/", HTTP_X_REQUEST_ID="req-43")
    assert missing.status_code == 404
    assert missing["X-Trace-Id"] == "req-43"
    # Django logs the refusal after the middleware returned: the line still names the id.
    record = logging.LogRecord(
        "django.request", logging.WARNING, __file__, 1, "Not Found", None, None
    )
    record.request = missing.wsgi_request
    TraceIdFilter().filter(record)
    assert record.trace_id == "req-43"
    fine = client.get("/api/processes/", HTTP_X_REQUEST_ID="req-44")
    assert fine.status_code == 200
    assert "X-Trace-Id" not in fine


@pytest.mark.django_db
def test_a_server_error_page_quotes_its_trace_id(
    captured: tuple[InMemorySpanExporter, InMemoryMetricReader],
) -> None:
    from django.test import RequestFactory

    from workflow_site.telemetry.views import server_error

    with telemetry.span("task.complete"):
        response = server_error(RequestFactory().get("/"))
    (span,) = captured[0].get_finished_spans()
    trace_id = format_trace_id(span.context.trace_id)
    assert response.status_code == 500
    assert response["X-Trace-Id"] == trace_id
    assert trace_id in response.content.decode()


def test_instance_status_enum_matches_the_model() -> None:
    """The registry's enums follow the code's choices (a new status must be added there)."""
    from tasks.models import OPEN_TASK_STATUSES

    registry = load()
    assert set(registry.attributes["itinera.instance.status"].enum) == set(InstanceStatus.values)
    assert set(registry.attributes["itinera.task.status"].enum) == {
        str(status) for status in OPEN_TASK_STATUSES
    }
