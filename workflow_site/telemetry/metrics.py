"""The registry's metrics as SDK instruments, and the queue-depth gauges read at collection time."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from opentelemetry.metrics import CallbackOptions, Meter, Observation

from workflow_site.telemetry.registry import load

logger = logging.getLogger(__name__)


def task_queue_depth(options: CallbackOptions) -> Iterable[Observation]:
    """Open work items by status: one grouped count in the database."""
    from django.db import DatabaseError, connection
    from django.db.models import Count

    from tasks.models import OPEN_TASK_STATUSES, Task

    counts = {str(status): 0 for status in OPEN_TASK_STATUSES}
    try:
        rows = (
            Task.objects.filter(status__in=OPEN_TASK_STATUSES)
            .order_by()
            .values_list("status")
            .annotate(count=Count("pk"))
        )
        for status, count in rows:
            counts[status] = count
    except DatabaseError:
        logger.warning("could not count the open work items", exc_info=True)
        connection.close()  # reconnect on the next collection
        return []
    return [Observation(count, {"itinera.task.status": status}) for status, count in counts.items()]


def job_queue_depth(options: CallbackOptions) -> Iterable[Observation]:
    """Jobs waiting in the Celery broker's default queue (nothing without a broker)."""
    from django.conf import settings

    if settings.CELERY_TASK_ALWAYS_EAGER or not settings.CELERY_BROKER_URL:
        return []
    from workflow_site.celery import app

    queue = str(app.conf.task_default_queue)
    try:
        with app.connection_for_read() as broker:
            broker.ensure_connection(max_retries=1, timeout=2)
            channel: Any = broker.default_channel
            waiting = channel.queue_declare(queue=queue, passive=True)
    except Exception:
        logger.warning("could not read the depth of the Celery queue %s", queue, exc_info=True)
        return []
    return [Observation(int(waiting.message_count), {"itinera.queue.name": queue})]


GAUGES = {
    "itinera.task.queue_depth": task_queue_depth,
    "itinera.job.queue_depth": job_queue_depth,
}


def create_instruments(meter: Meter) -> dict[str, Any]:
    """One instrument per registry metric; observable gauges get their callbacks here."""
    instruments: dict[str, Any] = {}
    for spec in load().metrics.values():
        if spec.instrument == "counter":
            instruments[spec.name] = meter.create_counter(spec.name, spec.unit, spec.brief)
        elif spec.instrument == "up_down_counter":
            instruments[spec.name] = meter.create_up_down_counter(spec.name, spec.unit, spec.brief)
        elif spec.instrument == "histogram":
            instruments[spec.name] = meter.create_histogram(
                spec.name,
                spec.unit,
                spec.brief,
                explicit_bucket_boundaries_advisory=list(spec.buckets) or None,
            )
        else:
            callback = GAUGES.get(spec.name)
            if callback is None:
                raise LookupError(f"the gauge {spec.name} has no callback in {__name__}")
            meter.create_observable_gauge(spec.name, [callback], spec.unit, spec.brief)
    return instruments
