"""The Celery app a test worker runs (``celery -A tests.processes.jobs_worker worker``): the
project's app on the test's own queue, with a service-task handler, stopping a job where the
test asks.

The test writes ``stop-<where>-<n>`` into ``ITINERA_TEST_STOP_DIR`` for the job of the instance
started with ``{"n": n}``: ``handler`` (while the handler runs, before any transaction),
``before`` (inside the job's transaction, before its commit) or ``after`` (committed, before the
job returns and is acknowledged). The first time a job gets there, the process renames the
request to ``stopped-…``, writes its pid into it and sleeps, so the test can kill it.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "workflow_site.settings.test")
django.setup()

from django.db import transaction  # noqa: E402

from processes import services  # noqa: E402
from processes.handlers import register_handler  # noqa: E402
from processes.models import ProcessInstance  # noqa: E402
from tests.celery_worker_support import stop_if_asked  # noqa: E402
from workflow_site.celery import app  # noqa: E402

TOPIC = "test-count"
STOP_DIR = Path(os.environ["ITINERA_TEST_STOP_DIR"])
app.conf.task_default_queue = os.environ["ITINERA_TEST_QUEUE"]


@register_handler(TOPIC)
def count(data: dict[str, Any]) -> dict[str, Any]:
    """Counts its runs in a file of its own (a handler may run again after a kill)."""
    stop_if_asked(STOP_DIR, "handler", data["n"])
    with (STOP_DIR / f"ran-{data['n']}").open("a") as runs:
        runs.write("x")
    return {"counted": True}


_instance_job_done = services.instance_job_done


def _instance_job_done_then_stop(*, instance_id: int, **kwargs: Any) -> Any:
    number = ProcessInstance.objects.get(pk=instance_id).data.get("n")
    with transaction.atomic():
        instance = _instance_job_done(instance_id=instance_id, **kwargs)
        stop_if_asked(STOP_DIR, "before", number)
    stop_if_asked(STOP_DIR, "after", number)
    return instance


services.instance_job_done = _instance_job_done_then_stop

__all__ = ["app"]
