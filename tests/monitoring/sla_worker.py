"""The Celery app a test worker runs (``celery -A tests.monitoring.sla_worker worker``): the
project's app, consuming the test's own queue, stopping an escalation where the test asks.

The test writes ``stop-before-<kind>-<id>`` (inside the escalation's transaction, before its
commit) or ``stop-after-<kind>-<id>`` (after the commit, before the job returns and is
acknowledged) into ``ITINERA_TEST_STOP_DIR``. The first time the job gets there, the process
renames the request to ``stopped-…``, writes its pid into it and sleeps, so the test can kill it.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "workflow_site.settings.test")
django.setup()

from monitoring import sla  # noqa: E402
from tests.celery_worker_support import stop_if_asked  # noqa: E402
from workflow_site.celery import app  # noqa: E402

STOP_DIR = Path(os.environ["ITINERA_TEST_STOP_DIR"])
app.conf.task_default_queue = os.environ["ITINERA_TEST_QUEUE"]


def _before_commit(kind: str, object_id: int) -> None:
    stop_if_asked(STOP_DIR, "before", str(kind), object_id)


_escalation_run = sla.escalation_run


def _escalation_run_then_stop(*, kind: str, object_id: int) -> Any:
    result = _escalation_run(kind=kind, object_id=object_id)
    stop_if_asked(STOP_DIR, "after", str(kind), object_id)
    return result


sla._escalation_hook = _before_commit
sla.escalation_run = _escalation_run_then_stop

__all__ = ["app"]
