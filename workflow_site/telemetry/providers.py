"""Installing OpenTelemetry from the standard ``OTEL_*`` environment variables.

Telemetry is off unless one of these is set (then nothing is installed and the helpers are
no-ops): ``OTEL_TRACES_EXPORTER``, ``OTEL_METRICS_EXPORTER`` (``otlp``, ``console``, ``none``;
metrics also ``prometheus``, served at ``/metrics``), ``OTEL_EXPORTER_OTLP_ENDPOINT`` or its
per-signal ``…_TRACES_ENDPOINT``/``…_METRICS_ENDPOINT`` (which imply ``otlp`` for that signal).
``OTEL_SDK_DISABLED=true`` turns everything off whatever else is set. The exporters, sampler,
batch processor and resource read their own standard variables (``OTEL_EXPORTER_OTLP_HEADERS``,
``OTEL_TRACES_SAMPLER``, ``OTEL_BSP_*``, ``OTEL_METRIC_EXPORT_INTERVAL``, ``OTEL_SERVICE_NAME``,
``OTEL_RESOURCE_ATTRIBUTES`` …). OTLP goes over HTTP/protobuf.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Mapping
from typing import Any

from django.core.exceptions import ImproperlyConfigured

from workflow_site.telemetry import runtime
from workflow_site.telemetry.registry import load

logger = logging.getLogger(__name__)

TRACE_EXPORTERS = ("otlp", "console", "none")
METRIC_EXPORTERS = ("otlp", "console", "prometheus", "none")
_configured = False


def _truthy(value: str | None) -> bool:
    return (value or "").strip().lower() in ("1", "true", "yes", "on")


def _exporters(
    environ: Mapping[str, str], variable: str, endpoint: str, choices: Iterable[str]
) -> list[str]:
    raw = environ.get(variable, "").strip()
    if not raw:
        has_endpoint = environ.get("OTEL_EXPORTER_OTLP_ENDPOINT") or environ.get(endpoint)
        return ["otlp"] if has_endpoint else []
    names = [name.strip().lower() for name in raw.split(",") if name.strip()]
    unknown = [name for name in names if name not in choices]
    if unknown:
        raise ImproperlyConfigured(
            f"{variable}={raw!r}: unknown exporter(s) {unknown}; choose from {list(choices)}"
        )
    return [name for name in names if name != "none"]


def wanted(environ: Mapping[str, str] | None = None) -> tuple[list[str], list[str]]:
    """The trace and metric exporters the environment asks for (empty lists: telemetry off)."""
    environ = os.environ if environ is None else environ
    if _truthy(environ.get("OTEL_SDK_DISABLED")):
        return [], []
    traces = _exporters(
        environ, "OTEL_TRACES_EXPORTER", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", TRACE_EXPORTERS
    )
    metrics = _exporters(
        environ, "OTEL_METRICS_EXPORTER", "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT", METRIC_EXPORTERS
    )
    if "otlp" in traces + metrics:
        for variable in (
            "OTEL_EXPORTER_OTLP_PROTOCOL",
            "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL",
            "OTEL_EXPORTER_OTLP_METRICS_PROTOCOL",
        ):
            protocol = environ.get(variable, "").strip()
            if protocol and protocol != "http/protobuf":
                raise ImproperlyConfigured(
                    f"{variable}={protocol!r}: Itinera exports OTLP over http/protobuf only"
                )
    return traces, metrics


def _resource() -> Any:
    from opentelemetry.sdk.resources import SERVICE_NAME, Resource

    named = os.environ.get("OTEL_SERVICE_NAME") or "service.name=" in os.environ.get(
        "OTEL_RESOURCE_ATTRIBUTES", ""
    )
    return Resource.create({} if named else {SERVICE_NAME: "itinera"})


def configure_from_environment() -> bool:
    """Install the SDK the environment asks for, once per process; whether telemetry is on."""
    global _configured
    if _configured:
        return runtime.on
    _configured = True
    traces, metrics = wanted()
    if not traces and not metrics:
        return False
    from opentelemetry import metrics as metrics_api
    from opentelemetry import trace as trace_api

    resource = _resource()
    tracer_provider = None
    if traces:
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter

        tracer_provider = TracerProvider(resource=resource)
        for name in traces:
            if name == "otlp":
                from opentelemetry.exporter.otlp.proto.http.trace_exporter import (
                    OTLPSpanExporter,
                )

                tracer_provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
            else:
                tracer_provider.add_span_processor(BatchSpanProcessor(ConsoleSpanExporter()))
        trace_api.set_tracer_provider(tracer_provider)
    meter_provider = None
    prometheus = False
    if metrics:
        from opentelemetry.sdk.metrics import MeterProvider
        from opentelemetry.sdk.metrics.export import (
            ConsoleMetricExporter,
            MetricReader,
            PeriodicExportingMetricReader,
        )

        readers: list[MetricReader] = []
        for name in metrics:
            if name == "otlp":
                from opentelemetry.exporter.otlp.proto.http.metric_exporter import (
                    OTLPMetricExporter,
                )

                readers.append(PeriodicExportingMetricReader(OTLPMetricExporter()))
            elif name == "console":
                readers.append(PeriodicExportingMetricReader(ConsoleMetricExporter()))
            else:
                from opentelemetry.exporter.prometheus import PrometheusMetricReader

                readers.append(PrometheusMetricReader())
                prometheus = True
        meter_provider = MeterProvider(resource=resource, metric_readers=readers)
        metrics_api.set_meter_provider(meter_provider)
    install(tracer_provider=tracer_provider, meter_provider=meter_provider, owned=True)
    runtime.prometheus = prometheus
    logger.info("OpenTelemetry on: traces %s, metrics %s", traces or "off", metrics or "off")
    return True


def install(
    *,
    tracer_provider: Any = None,
    meter_provider: Any = None,
    instrument_libraries: bool = True,
    owned: bool = False,
) -> None:
    """Make these providers Itinera's: the engine's tracer and instruments, and (unless told
    otherwise) Django, psycopg and Celery instrumented with them. Tests install in-memory ones."""
    from workflow_site.telemetry import metrics as gauges

    uninstall()
    registry = load()
    if tracer_provider is not None:
        runtime.tracer_provider = tracer_provider
        runtime.tracer = tracer_provider.get_tracer(registry.scope)
    if meter_provider is not None:
        runtime.meter_provider = meter_provider
        runtime.instruments = gauges.create_instruments(meter_provider.get_meter(registry.scope))
    if owned:
        runtime.owned = [provider for provider in (tracer_provider, meter_provider) if provider]
    if instrument_libraries and (tracer_provider is not None or meter_provider is not None):
        runtime.instrumentors = _instrument_libraries(tracer_provider, meter_provider)


def _instrument_libraries(tracer_provider: Any, meter_provider: Any) -> list[Any]:
    from opentelemetry.instrumentation.celery import CeleryInstrumentor
    from opentelemetry.instrumentation.django import DjangoInstrumentor
    from opentelemetry.instrumentation.psycopg import PsycopgInstrumentor

    done = []
    for instrumentor in (DjangoInstrumentor(), PsycopgInstrumentor(), CeleryInstrumentor()):
        if instrumentor.is_instrumented_by_opentelemetry:
            continue
        options: dict[str, Any] = {"meter_provider": meter_provider}
        if tracer_provider is not None:
            options["tracer_provider"] = tracer_provider
        instrumentor.instrument(**options)
        done.append(instrumentor)
    return done


def uninstall() -> None:
    """Undo ``install``: the helpers are no-ops again and the libraries uninstrumented."""
    for instrumentor in runtime.instrumentors:
        instrumentor.uninstrument()
    for provider in runtime.owned:
        provider.shutdown()
    runtime.tracer_provider = runtime.meter_provider = runtime.tracer = None
    runtime.instruments = {}
    runtime.instrumentors = []
    runtime.owned = []
    runtime.prometheus = False


def instrument_asgi(application: Any) -> Any:
    """Wrap the WebSocket application so that sockets are traced when tracing is on."""
    if runtime.tracer_provider is None:
        return application
    from opentelemetry.instrumentation.asgi import OpenTelemetryMiddleware

    return OpenTelemetryMiddleware(
        application,
        tracer_provider=runtime.tracer_provider,
        meter_provider=runtime.meter_provider,
    )
