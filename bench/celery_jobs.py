"""Service-task jobs per second, end to end, through real Celery worker processes.

Each of ``jobs`` instances of a start → service task → end journey is started through the
services; its commit enqueues the service task's job on the broker (``CELERY_BROKER_URL``: Redis
or RabbitMQ) in a queue of this run's own. Then Celery workers (prefork, ``concurrency``
processes, production profile) are started on that queue: each job runs the handler and
continues its instance in one transaction (``instance_job_done``). The rate is the number of
jobs finished over the time between the first and the last one finishing (the workers' drain
rate, worker start-up excluded); every instance must have completed, none twice.

The worker is set up as production's: prefork, one process per core, prefetch multiplier 1,
acks late (a child killed mid-job has its job requeued at once; see
tests/processes/test_jobs_worker_killed.py). A job is CPU-bound (about three fifths of its
time is Python: the ORM, Celery, the engine; the rest waits on PostgreSQL), so more processes
than cores only contend: on the shared 2-core machine 4 processes did no better than 2
(103, 148, 195 jobs/s against 148, 188, 184 in alternating runs), nor did a threads pool or a
prefetch of 4 within the noise. ``--pool``,
``--concurrency`` and ``--prefetch`` try other setups.

``python -m bench.celery_jobs [--quick] [--jobs N] [--concurrency N] [--pool P] [--prefetch N]``
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import subprocess
import sys
import time
from typing import Any

import kombu

from bench import common
from processes.handlers import register_handler
from workflow_site.celery import app

__all__ = ["app", "measure"]

TOPIC = "bench-echo"
JOURNEY = "bench-celery"
BPMN = (
    '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
    'xmlns:itn="urn:itinera:bpmn:1" id="defs" targetNamespace="urn:bench">'
    '<bpmn:process id="proc" isExecutable="true"><bpmn:startEvent id="start"/>'
    f'<bpmn:serviceTask id="job" itn:topic="{TOPIC}"/><bpmn:endEvent id="end"/>'
    '<bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="job"/>'
    '<bpmn:sequenceFlow id="f2" sourceRef="job" targetRef="end"/>'
    "</bpmn:process></bpmn:definitions>"
)


@register_handler(TOPIC)
def echo(data: Any) -> dict[str, Any]:
    """The bench's service task: nothing but a result merged into the case."""
    return {"echoed": True}


def _worker(
    queue: str, concurrency: int, pool: str = "prefork", prefetch: int = 1
) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "bench.celery_jobs", "worker"]
        + ["--pool", pool, "--concurrency", str(concurrency), "-Q", queue]
        + ["--prefetch-multiplier", str(prefetch)]
        + ["-n", f"{queue}@%h", "--without-gossip", "--without-mingle", "--without-heartbeat"]
        + ["--loglevel", "WARNING"],
        env=common.production_env(),
        cwd=common.ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _delete_queue(queue: str) -> None:
    """The run's queue goes with it: a run that failed leaves no jobs behind on the broker."""
    with app.connection_for_write() as connection:
        kombu.Queue(queue).bind(connection.default_channel).delete()


def measure(
    jobs: int = 2000, concurrency: int | None = None, pool: str = "prefork", prefetch: int = 1
) -> dict[str, Any]:
    reason = common.missing_services()
    if reason is None and not os.environ.get("CELERY_BROKER_URL", os.environ.get("REDIS_URL")):
        reason = "neither CELERY_BROKER_URL nor REDIS_URL is set"
    if reason:
        return {"details": {"celery_jobs": {"skipped": reason}}}
    concurrency = concurrency or os.cpu_count() or 1
    common.setup_django()
    common.migrate()
    from processes import services
    from processes.models import InstanceEvent, InstanceStatus, ProcessInstance

    user = common.bench_user()
    journey = common.bench_journey(JOURNEY, BPMN, user)
    queue = f"itinera-bench-{secrets.token_hex(4)}"
    app.conf.task_routes = {"processes.jobs.run_service_task": {"queue": queue}}
    began = time.perf_counter()
    ids = [services.instance_start(actor=user, journey=journey).pk for _ in range(jobs)]
    enqueue_seconds = time.perf_counter() - began
    worker = _worker(queue, concurrency, pool, prefetch)
    try:
        deadline = time.monotonic() + 120 + jobs / 20
        finished = InstanceEvent.objects.filter(instance_id__in=ids, kind="job_done")
        while finished.count() < jobs:
            if worker.poll() is not None:
                raise RuntimeError(f"the Celery worker exited with {worker.returncode}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"only {finished.count()} of {jobs} jobs finished in time")
            time.sleep(0.25)
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            worker.kill()
        app.conf.task_routes = None
        _delete_queue(queue)
    moments = sorted(finished.values_list("at", flat=True))
    completed = ProcessInstance.objects.filter(pk__in=ids, status=InstanceStatus.COMPLETED)
    if completed.count() != jobs or len(moments) != jobs:
        raise RuntimeError(f"{completed.count()} instances completed, {len(moments)} jobs ran")
    window = (moments[-1] - moments[0]).total_seconds()
    return {
        "celery_jobs_per_s": round((jobs - 1) / window, 1) if window > 0 else None,
        "details": {
            "celery_jobs": {
                "jobs": jobs,
                "worker_processes": concurrency,
                "pool": pool,
                "prefetch_multiplier": prefetch,
                "broker": str(app.conf.broker_url).split("://", 1)[0],
                "queue": queue,
                "drain_seconds": round(window, 3),
                "enqueue_per_s": round(jobs / enqueue_seconds, 1),
            }
        },
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="100 jobs")
    parser.add_argument("--jobs", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=None, help="default: one per core")
    parser.add_argument("--pool", default="prefork", help="Celery pool: prefork, threads, solo")
    parser.add_argument("--prefetch", type=int, default=1, help="prefetch multiplier")
    arguments = parser.parse_args(argv)
    if arguments.quick:
        arguments.jobs = 100
    print(
        json.dumps(
            measure(arguments.jobs, arguments.concurrency, arguments.pool, arguments.prefetch),
            indent=2,
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
