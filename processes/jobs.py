"""Celery jobs of the processes app: service tasks run here, with retries and backoff."""

from __future__ import annotations

import copy
import logging
from typing import Any

from celery import shared_task
from django.db import OperationalError

logger = logging.getLogger(__name__)

MAX_RETRIES = 5


def _backoff(retries: int) -> int:
    return int(min(300, 2 ** (retries + 1)))


@shared_task(
    name="processes.jobs.run_service_task",
    bind=True,
    max_retries=MAX_RETRIES,
    acks_late=True,
    reject_on_worker_lost=True,
    ignore_result=True,
)
def run_service_task(self: Any, instance_id: int, activity: int) -> str:
    """Run the handler of a waiting service task, then continue the instance with its result.

    When the database fails the job (its connection lost, a deadlock, a lock timeout) nothing of
    the job was committed, and the job is sent again with the handler's backoff, as a redelivery
    would be: a job acknowledged after such a failure would leave its instance waiting for
    ever. The handler may then run more than once, as on any redelivery.
    """
    try:
        return _run_service_task(self, instance_id, activity)
    except OperationalError as error:
        retries = self.request.retries
        if self.request.is_eager or retries >= MAX_RETRIES:
            raise
        logger.warning(
            "Service task %s of instance %s: the database failed (%s); retry %s of %s",
            activity,
            instance_id,
            error,
            retries + 1,
            MAX_RETRIES,
        )
        raise self.retry(exc=error, countdown=_backoff(retries)) from error


def _run_service_task(self: Any, instance_id: int, activity: int) -> str:
    from processes import handlers, selectors, services

    job = selectors.waiting_job(instance_id=instance_id, activity=activity)
    if job is None:
        return "gone"  # finished by an earlier delivery, or the instance ended
    element_id, topic, data = job
    # In-process (no broker) the retries happen at once, one after the other.
    attempts = range(MAX_RETRIES + 1) if self.request.is_eager else range(1)
    failure: Exception | None = None
    for _ in attempts:
        try:
            result = _call_handler(topic, data)
        except handlers.NoHandler as error:
            failure = error
            break  # retrying cannot help
        except Exception as error:
            failure = error
            continue
        services.instance_job_done(instance_id=instance_id, activity=activity, data=result)
        return "done"
    if failure is None:  # pragma: no cover - the loop above returns or records a failure
        raise RuntimeError("a service task job ended without a result")
    retries = self.request.retries
    retryable = not self.request.is_eager and not isinstance(failure, handlers.NoHandler)
    if retryable and retries < MAX_RETRIES:
        raise self.retry(exc=failure, countdown=_backoff(retries)) from failure
    message = (
        str(failure)
        if isinstance(failure, handlers.NoHandler)
        else (f"{type(failure).__name__}: {failure}")
    )
    services.instance_job_failed(
        instance_id=instance_id,
        activity=activity,
        element_id=element_id,
        message=message,
        attempts=(len(attempts) if self.request.is_eager else retries + 1),
    )
    return "incident"


def _call_handler(topic: str, data: dict[str, Any]) -> dict[str, Any]:
    from processes import handlers

    result = handlers.handler_for(topic)(copy.deepcopy(data)) or {}
    if not isinstance(result, dict):
        raise TypeError(f"the handler of {topic!r} returned {type(result).__name__}, not a dict")
    return result
