"""Escalations happen exactly once: concurrent sweepers, a repeated job, and a real Celery worker
killed in the middle of an escalation (before and after its commit)."""

from __future__ import annotations

import os
import signal
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from monitoring import sla
from monitoring.models import AuditEvent
from monitoring.sla_models import SlaEscalation
from processes import services as process_services
from tasks.models import Task
from tests.celery_worker_support import own_queue, running_worker, wait_for
from tests.monitoring.sla_support import publish, simple_bpmn

pytestmark = pytest.mark.django_db(transaction=True)


def _due_tasks(designer: Any, role: Any, starter: Any, count: int) -> list[Task]:
    """``count`` open tasks whose one-second SLA (raise priority, notify) has passed."""
    journey = publish(
        designer,
        f"quick-{uuid.uuid4().hex[:8]}",
        simple_bpmn(check_sla='itn:sla="PT1S" itn:escalation="raise-priority notify"'),
        starters=(role,),
    )
    instances = [
        process_services.instance_start(actor=starter, journey=journey) for _ in range(count)
    ]
    time.sleep(1.2)
    return [instance.tasks.get(element_id="Check") for instance in instances]


def _assert_escalated_once(tasks: list[Task]) -> None:
    for task in tasks:
        task.refresh_from_db()
        assert task.sla_escalated_at is not None, task
        assert task.priority == 75, task  # raised once, not twice
    ids = [task.pk for task in tasks]
    assert SlaEscalation.objects.filter(task_id__in=ids).count() == len(ids)
    escalated = AuditEvent.objects.filter(type="task.escalated", object_id__in=map(str, ids))
    assert escalated.count() == len(ids)


def _run_together(count: int, work: Any) -> list[Any]:
    barrier = threading.Barrier(count, timeout=20)
    results: list[Any] = []
    lock = threading.Lock()

    def run() -> None:
        try:
            barrier.wait()
            outcome = work()
        except Exception as error:  # reported below, so a failure is not lost in a thread
            outcome = error
        finally:
            connection.close()
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
        assert not thread.is_alive(), "a sweeper hung (deadlock?)"
    errors = [result for result in results if isinstance(result, Exception)]
    assert not errors, errors
    return results


def test_concurrent_sweepers_claim_each_check_once(
    designer: Any, worker_role: Any, worker: Any
) -> None:
    tasks = _due_tasks(designer, worker_role, worker, 6)
    # Jobs run in-process (eager) once each sweeper's claim commits.
    claimed = _run_together(4, lambda: sla.sla_checks_claim_due(timezone.now()))
    assert sum(claimed) == 6
    _assert_escalated_once(tasks)
    # Later sweeps and the same job again find nothing to do.
    assert sla.sla_checks_claim_due(timezone.now()) == 0
    assert not any(sla.escalation_run(kind="task", object_id=task.pk) for task in tasks)
    _assert_escalated_once(tasks)


def test_concurrent_jobs_for_one_check_escalate_once(
    designer: Any, worker_role: Any, worker: Any
) -> None:
    (task,) = _due_tasks(designer, worker_role, worker, 1)
    outcomes = _run_together(3, lambda: sla.escalation_run(kind="task", object_id=task.pk))
    assert sorted(outcomes) == [False, False, True]
    _assert_escalated_once([task])


# --- A real worker ----------------------------------------------------------------------------


@pytest.fixture
def celery_worker(tmp_path: Path) -> Iterator[Path]:
    """A Celery worker (prefork, one child) on the test database; yields its stop directory."""
    with (
        own_queue("itinera-sla-test") as queue,
        running_worker("tests.monitoring.sla_worker", queue, tmp_path) as stop_dir,
    ):
        yield stop_dir


def test_a_worker_killed_mid_escalation_escalates_once_when_the_job_is_redelivered(
    designer: Any, worker_role: Any, worker: Any, celery_worker: Path
) -> None:
    stop_dir = celery_worker
    tasks = _due_tasks(designer, worker_role, worker, 4)
    # Killed inside the escalation's transaction, before it commits ...
    (stop_dir / f"stop-before-task-{tasks[0].pk}").touch()
    # ... and after it committed, before the job was acknowledged.
    (stop_dir / f"stop-after-task-{tasks[1].pk}").touch()

    # Three sweepers at once hand the due checks to the worker.
    claimed = _run_together(3, lambda: sla.sla_checks_claim_due(timezone.now()))
    assert sum(claimed) == 4

    killed: set[str] = set()
    for _ in range(2):
        wait_for(
            lambda: any(p.name not in killed for p in stop_dir.glob("stopped-*")),
            60,
            stop_dir,
        )
        stopped = next(p for p in stop_dir.glob("stopped-*") if p.name not in killed)
        wait_for(lambda stopped=stopped: stopped.read_text().strip() != "", 10, stop_dir)
        pid = int(stopped.read_text())
        if stopped.name.startswith("stopped-before"):
            # Nothing of the interrupted escalation is visible before the kill ...
            assert not SlaEscalation.objects.filter(task_id=tasks[0].pk).exists()
        os.kill(pid, signal.SIGKILL)
        killed.add(stopped.name)

    # ... and the redelivered jobs finish the work once.
    def all_escalated() -> bool:
        return Task.objects.filter(
            pk__in=[t.pk for t in tasks], sla_escalated_at__isnull=False
        ).count() == len(tasks)

    wait_for(all_escalated, 60, stop_dir)
    # Give a second (wrongly) redelivered run the time to do harm, then check nothing doubled.
    time.sleep(1.5)
    log = (stop_dir / "worker.log").read_text()
    assert "WorkerLostError" in log or "Worker exited prematurely" in log, log[-3000:]
    _assert_escalated_once(tasks)
    assert sla.sla_checks_claim_due(timezone.now()) == 0
