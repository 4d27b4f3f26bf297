"""Celery workers keep their database connection from one job to the next (Celery's Django
fix-up would close it around every job) and drop it, as Django does around a request, when it
is broken or older than ``CONN_MAX_AGE``."""

from __future__ import annotations

import time
from types import SimpleNamespace
from typing import Any

import pytest
from celery import signals
from celery.fixups.django import DjangoWorkerFixup
from django.db import connection

from workflow_site.celery import app

pytestmark = pytest.mark.django_db(transaction=True)


class _Task:
    """What the signal handlers read of a job: its request."""

    def __init__(self, *, eager: bool) -> None:
        self.request = SimpleNamespace(is_eager=eager)


def _task(*, eager: bool) -> Any:
    return _Task(eager=eager)


def _around_a_job(task: Any) -> None:
    signals.task_prerun.send(sender=task, task_id="t", task=task, args=(), kwargs={})
    signals.task_postrun.send(
        sender=task, task_id="t", task=task, args=(), kwargs={}, retval=None, state="SUCCESS"
    )


def test_celerys_fixup_leaves_the_connection_open_between_jobs() -> None:
    fixup = DjangoWorkerFixup(app)
    connection.ensure_connection()
    opened = connection.connection
    task = _task(eager=False)
    for _ in range(3):
        fixup.on_task_prerun(sender=task)
        fixup.on_task_postrun(sender=task)
    assert connection.connection is opened


def test_a_connection_within_conn_max_age_is_reused_and_an_old_one_closed() -> None:
    connection.ensure_connection()
    opened = connection.connection
    connection.close_at = time.monotonic() + 60  # as with CONN_MAX_AGE=60 (production)
    _around_a_job(_task(eager=False))
    assert connection.connection is opened
    connection.close_at = time.monotonic() - 1  # older than CONN_MAX_AGE
    _around_a_job(_task(eager=False))
    assert connection.connection is None


def test_a_job_run_in_process_never_closes_its_callers_connection() -> None:
    connection.ensure_connection()
    opened = connection.connection
    connection.close_at = time.monotonic() - 1
    _around_a_job(_task(eager=True))
    assert connection.connection is opened
