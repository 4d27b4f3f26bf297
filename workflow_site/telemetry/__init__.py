"""OpenTelemetry for Itinera: engine spans and metrics named in ``registry.yaml``.

Off unless the standard ``OTEL_*`` variables ask for an exporter (see ``providers``): then no SDK
is installed and every helper here returns at once. The helpers:

- ``traced("process.advance")`` decorates a service; ``span(name, **attributes)`` is the same as
  a ``with`` block; ``annotate(**attributes)`` adds attributes to the innermost Itinera span;
- ``add(metric, value, **attributes)`` and ``record(metric, value, **attributes)`` feed a counter
  or a histogram once the current transaction commits;
- ``process_started``, ``task_completed`` and ``sla_breached`` record what the engine did;
- ``current_trace_id()`` is the OpenTelemetry trace id, or the request id when tracing is off.

Names and attribute keywords are checked against the registry: a name it does not define raises
``UnknownTelemetryName``.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

from opentelemetry import trace

from workflow_site.telemetry.registry import (
    MetricSpec,
    SpanSpec,
    UnknownTelemetryName,
    load,
)

if TYPE_CHECKING:
    from opentelemetry.metrics import MeterProvider
    from opentelemetry.trace import Span, Tracer, TracerProvider

__all__ = [
    "UnknownTelemetryName",
    "active",
    "add",
    "annotate",
    "current_trace_id",
    "process_started",
    "record",
    "sla_breached",
    "span",
    "task_completed",
    "traced",
]

logger = logging.getLogger(__name__)

P = ParamSpec("P")
R = TypeVar("R")


@dataclass
class Runtime:
    """What is installed in this process; all None/empty while telemetry is off."""

    tracer_provider: TracerProvider | None = None
    meter_provider: MeterProvider | None = None
    tracer: Tracer | None = None
    #: registry metric name -> the SDK instrument (observable gauges excluded).
    instruments: dict[str, Any] = field(default_factory=dict)
    #: library instrumentors to undo on uninstall.
    instrumentors: list[Any] = field(default_factory=list)
    #: metric readers and span processors owned by this runtime (shut down on uninstall).
    owned: list[Any] = field(default_factory=list)
    prometheus: bool = False

    @property
    def on(self) -> bool:
        return self.tracer is not None or bool(self.instruments)


runtime = Runtime()


def active() -> bool:
    """Whether telemetry is installed in this process."""
    return runtime.on


# --- spans ----------------------------------------------------------------------------------


@dataclass
class _SpanState:
    spec: SpanSpec
    attributes: dict[str, Any]
    span: Span | None = None


_current: ContextVar[_SpanState | None] = ContextVar("itinera_telemetry_span", default=None)
_NOOP = contextlib.nullcontext()


def _translate(keywords: Mapping[str, str], given: Mapping[str, Any], what: str) -> dict[str, Any]:
    """Keyword arguments to registry attribute names; None values are left out."""
    named = {}
    for keyword, value in given.items():
        name = keywords.get(keyword)
        if name is None:
            raise UnknownTelemetryName(f"{what} has no attribute {keyword!r} in the registry")
        if value is not None:
            named[name] = value
    return named


@contextlib.contextmanager
def _opened(spec: SpanSpec, attributes: dict[str, Any]) -> Iterator[None]:
    state = _SpanState(spec, attributes)
    token = _current.set(state)
    began = time.perf_counter()
    error: str | None = None
    try:
        if runtime.tracer is None:
            yield
        else:
            with runtime.tracer.start_as_current_span(spec.name, attributes=attributes) as opened:
                state.span = opened
                try:
                    yield
                except BaseException as exc:
                    error = type(exc).__qualname__
                    opened.set_attribute("error.type", error)
                    raise
    except BaseException as exc:
        error = error or type(exc).__qualname__
        raise
    finally:
        _current.reset(token)
        histogram = runtime.instruments.get(spec.duration_metric or "")
        if histogram is not None:
            allowed = load().metrics[spec.duration_metric or ""].attributes
            labels = {name: value for name, value in state.attributes.items() if name in allowed}
            if error is not None:
                labels["error.type"] = error
            histogram.record(time.perf_counter() - began, labels)


def span(name: str, **attributes: Any) -> contextlib.AbstractContextManager[Any]:
    """A ``with`` block that is the span ``name`` (a no-op while telemetry is off)."""
    spec = load().span(name)
    if not runtime.on:
        return _NOOP
    return _opened(spec, _translate(spec.keywords, attributes, f"span {name}"))


def traced(name: str) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Decorate a service so that each call is the span ``name`` (checked now, at import)."""
    spec = load().span(name)

    def decorate(function: Callable[P, R]) -> Callable[P, R]:
        @functools.wraps(function)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            if not runtime.on:
                return function(*args, **kwargs)
            with _opened(spec, {}):
                return function(*args, **kwargs)

        return wrapper

    return decorate


def annotate(**attributes: Any) -> None:
    """Add attributes to the innermost Itinera span (nothing while telemetry is off)."""
    state = _current.get()
    if state is None:
        return
    named = _translate(state.spec.keywords, attributes, f"span {state.spec.name}")
    state.attributes.update(named)
    if state.span is not None:
        state.span.set_attributes(named)


# --- metrics --------------------------------------------------------------------------------


def _after_commit(action: Callable[[], None]) -> None:
    from django.db import transaction

    if transaction.get_connection().in_atomic_block:
        transaction.on_commit(action, robust=True)
    else:
        action()


def _metric(name: str, instruments: tuple[str, ...]) -> tuple[MetricSpec, Any]:
    spec = load().metric(name)
    if spec.instrument not in instruments:
        raise UnknownTelemetryName(f"metric {name!r} is a {spec.instrument}")
    return spec, runtime.instruments.get(name)


def add(name: str, value: int | float = 1, /, **attributes: Any) -> None:
    """Add ``value`` to the counter ``name`` once the current transaction commits."""
    if not runtime.instruments:
        return
    spec, counter = _metric(name, ("counter", "up_down_counter"))
    named = _translate(spec.keywords, attributes, f"metric {name}")
    _after_commit(lambda: counter.add(value, named))


def record(name: str, value: int | float, /, **attributes: Any) -> None:
    """Record ``value`` in the histogram ``name`` once the current transaction commits."""
    if not runtime.instruments:
        return
    spec, histogram = _metric(name, ("histogram",))
    named = _translate(spec.keywords, attributes, f"metric {name}")
    _after_commit(lambda: histogram.record(value, named))


# --- what the engine did --------------------------------------------------------------------


def process_started(journey_key: str, version: int, instance_id: int, /) -> None:
    """An instance was started (call inside the ``process.start`` span)."""
    if not runtime.on:
        return
    annotate(journey_key=journey_key, journey_version=version, instance_id=instance_id)
    add("itinera.process.starts", journey_key=journey_key)


def _journey_key(task: Any) -> str | None:
    """The task's journey key, from the relations already loaded if they are."""
    try:
        instance = task._state.fields_cache["instance"]
        return str(instance._state.fields_cache["version"]._state.fields_cache["journey"].key)
    except KeyError:
        pass
    return _journey_key_of_instance(task.instance_id)


def _journey_key_of_instance(instance_id: int) -> str | None:
    from processes.models import ProcessInstance

    key = (
        ProcessInstance.objects.filter(pk=instance_id)
        .values_list("version__journey__key", flat=True)
        .first()
    )
    return str(key) if key is not None else None


def task_completed(task: Any) -> None:
    """A work item was completed (call inside the ``task.complete`` span, before the task is
    reloaded, so that its journey comes from the relations already fetched)."""
    if not runtime.on:
        return
    from django.utils import timezone

    journey_key = _journey_key(task)
    annotate(
        task_id=task.pk,
        instance_id=task.instance_id,
        element_id=task.element_id,
        journey_key=journey_key,
    )
    add("itinera.task.completions", journey_key=journey_key, element_id=task.element_id)
    open_for = max(0.0, (timezone.now() - task.created_at).total_seconds())
    record("itinera.task.duration", open_for, journey_key=journey_key, element_id=task.element_id)


def sla_breached(*, level: str, task: Any = None, instance: Any = None) -> None:
    """A work item (``task``) or a whole instance crossed its SLA's ``level`` ("warning" or
    "breach"): call inside the ``sla.escalate`` span, i.e. in the escalation service decorated
    with ``@telemetry.traced("sla.escalate")``, once the escalation is written."""
    if not runtime.on:
        return
    if task is not None:
        journey_key = _journey_key(task)
        annotate(task_id=task.pk, instance_id=task.instance_id, element_id=task.element_id)
    else:
        journey_key = _journey_key_of_instance(instance.pk)
        annotate(instance_id=instance.pk)
    annotate(journey_key=journey_key, sla_level=level)
    add("itinera.sla.breaches", journey_key=journey_key, sla_level=level)


# --- trace ids ------------------------------------------------------------------------------


def current_trace_id(*, create: bool = True) -> str:
    """The id that ties an error response to its log lines and trace.

    The OpenTelemetry trace id (32 hex digits) when a span is recording; otherwise the request
    id of the request being served (its ``X-Request-ID``); otherwise a new id (``create``) or "".
    """
    context = trace.get_current_span().get_span_context()
    if context.is_valid:
        return trace.format_trace_id(context.trace_id)
    from monitoring import context as request_context

    where = request_context.current()
    if where is not None and where.request_id:
        return where.request_id
    return uuid.uuid4().hex if create else ""
