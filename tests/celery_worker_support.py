"""A real Celery worker for the tests that kill one mid-job: prefork with one child, on the test
database and a queue of the test's own, and stopped (its queue purged) afterwards.

The worker's app module reads ``ITINERA_TEST_STOP_DIR`` and ``ITINERA_TEST_QUEUE``; a test asks
its child to stop at a point by creating a file in that directory (see ``stop_if_asked``).
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db import connection

from workflow_site.celery import app

ROOT = Path(__file__).resolve().parents[1]
BROKER = os.environ.get("CELERY_BROKER_URL") or os.environ.get("REDIS_URL")


@contextlib.contextmanager
def own_queue(prefix: str) -> Iterator[str]:
    """A queue of the test's own, with jobs sent to it (not run in-process) meanwhile."""
    if not BROKER:
        pytest.skip(
            "needs a Celery broker: set CELERY_BROKER_URL (or REDIS_URL), e.g. "
            "redis://127.0.0.1:6379/1, as CI does"
        )
    assert settings.CELERY_TASK_ACKS_LATE
    assert settings.CELERY_TASK_REJECT_ON_WORKER_LOST
    name = f"{prefix}-{uuid.uuid4().hex[:10]}"
    eager, default_queue = app.conf.task_always_eager, app.conf.task_default_queue
    app.conf.task_always_eager, app.conf.task_default_queue = False, name
    try:
        yield name
    finally:
        app.conf.task_always_eager, app.conf.task_default_queue = eager, default_queue


@contextlib.contextmanager
def running_worker(app_module: str, queue: str, stop_dir: Path) -> Iterator[Path]:
    """A worker of ``app_module`` on ``queue``, ready; yields ``stop_dir`` (its log is there)."""
    database = connection.settings_dict
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="workflow_site.settings.test",
        ITINERA_TEST_STOP_DIR=str(stop_dir),
        ITINERA_TEST_QUEUE=queue,
        CELERY_BROKER_URL=str(BROKER),
    )
    if connection.vendor == "sqlite":
        env["ITINERA_SQLITE_PATH"] = str(database["NAME"])
    else:
        env["DATABASE_URL"] = os.environ["DATABASE_URL"].rsplit("/", 1)[0] + f"/{database['NAME']}"
    log = (stop_dir / "worker.log").open("w")
    worker = subprocess.Popen(  # noqa: S603 - our own worker, started from this interpreter
        [sys.executable, "-m", "celery", "-A", app_module, "worker"]
        + ["--pool=prefork", "--concurrency=1", "-Q", queue, "-n", f"{queue}@%h"]
        + ["--without-gossip", "--without-mingle", "--without-heartbeat", "--loglevel=INFO"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_for(lambda: "ready" in (stop_dir / "worker.log").read_text(), 60, stop_dir, worker)
        yield stop_dir
    finally:
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait(timeout=10)
        log.close()
        with app.connection_for_write() as broker:
            broker.default_channel.queue_purge(queue)


def wait_for(condition: Any, seconds: float, stop_dir: Path, worker: Any = None) -> None:
    """Until ``condition()`` holds; the test fails with the worker's log after ``seconds`` or
    when ``worker`` (the process, if given) exits."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        if worker is not None and worker.poll() is not None:
            pytest.fail(f"the worker exited:\n{(stop_dir / 'worker.log').read_text()[-3000:]}")
        time.sleep(0.1)
    pytest.fail(f"timed out; worker log:\n{(stop_dir / 'worker.log').read_text()[-3000:]}")


def stop_if_asked(stop_dir: Path, *point: Any) -> None:
    """In the worker's child: when the test created ``stop-<point>``, say so (``stopped-<point>``
    holding this process id) and wait to be killed."""
    name = "-".join(str(part) for part in point)
    request = stop_dir / f"stop-{name}"
    if not request.exists():
        return
    stopped = stop_dir / f"stopped-{name}"
    request.rename(stopped)
    stopped.write_text(str(os.getpid()))
    time.sleep(120)  # killed by the test long before this ends
