"""The Celery application: configured from ``CELERY_*`` settings, jobs found in ``jobs.py``."""

import os
from typing import Any

from celery import Celery, signals

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "workflow_site.settings.dev")

app = Celery("itinera")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks(related_name="jobs")


@signals.task_prerun.connect
@signals.task_postrun.connect
def _close_old_connections(task: Any = None, **kwargs: Any) -> None:
    """Around a job on a worker, drop the database connections that are broken or older than
    ``CONN_MAX_AGE`` (the rest are reused; see ``CELERY_DB_REUSE_MAX``). Not around a job run
    in-process: it runs inside its caller's transaction."""
    if task is None or getattr(task.request, "is_eager", False):
        return
    from django.db import close_old_connections

    close_old_connections()
