"""Durable task completions through the service layer on PostgreSQL.

Each client process starts its own instances of the seq10 or par10 process and completes their
work items one transaction at a time (``access_task`` with the lock, then ``task_complete``), for
``seconds``. Reported: completions/s over all clients, p50/p99 of one completion (the commit
of the next work item included), and the client's CPU per completion.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import statistics
import sys
import time
from typing import Any

SHAPES = ("seq10", "par10")


def _prepare(shape: str) -> None:
    """Create the bench user and publish the process once (in the parent)."""
    from bench.common import migrate, setup_django

    setup_django()
    migrate()
    from django.contrib.auth import get_user_model
    from guardian.shortcuts import assign_perm

    from bench.engine_core import make_bpmn
    from processes import selectors, services

    user, _ = get_user_model().objects.get_or_create(username="bench")
    user.is_superuser = True
    user.save()
    if selectors.journey_by_key(key=f"bench-{shape}") is None:
        journey = services.journey_create(
            actor=user, key=f"bench-{shape}", name=shape, bpmn_xml=make_bpmn(shape)
        )
        services.journey_version_publish(actor=user, version=journey.versions.get())
        assign_perm("processes.start_journey", user, journey)
    from django.db import connection

    with connection.cursor() as cursor:  # fresh statistics: earlier runs left many rows behind
        cursor.execute("ANALYZE")


def _client(shape: str, seconds: float, start_at: float, out: Any) -> None:
    from bench.common import setup_django

    setup_django()
    from django.contrib.auth import get_user_model
    from django.db import connection, transaction

    from processes import selectors, services
    from tasks import services as task_services
    from tasks.access import access_task
    from tasks.models import Task

    user = get_user_model().objects.get(username="bench")
    journey = selectors.journey_by_key(key=f"bench-{shape}")
    if journey is None:
        raise RuntimeError(f"the bench-{shape} journey was not prepared")
    with connection.cursor() as cursor:
        cursor.execute("SET synchronous_commit = on")
    next_task = (
        f"SELECT id FROM {Task._meta.db_table} WHERE instance_id = %s "  # noqa: S608 - the model's table
        "AND status IN ('offered', 'claimed') ORDER BY id LIMIT 1"
    )
    latencies: list[float] = []
    done = 0
    cpu = 0.0
    while time.time() < start_at:
        time.sleep(0.005)
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        instance = services.instance_start(actor=user, journey=journey)
        while time.perf_counter() < deadline:
            # The harness's own bookkeeping, kept cheap so the client's CPU goes to completing.
            with connection.cursor() as cursor:
                cursor.execute(next_task, [instance.pk])
                found = cursor.fetchone()
            if found is None:
                break
            task_id = found[0]
            began, began_cpu = time.perf_counter(), time.process_time()
            with transaction.atomic():
                task = access_task(user=user, task_id=task_id, for_update=True)
                task_services.task_complete(actor=user, task=task, data={})
            ended, ended_cpu = time.perf_counter(), time.process_time()
            if ended <= deadline:
                latencies.append(ended - began)
                cpu += ended_cpu - began_cpu
                done += 1
    out.put((done, latencies, cpu))


def measure(seconds: float = 10.0, clients: int = 4) -> dict[str, Any]:
    if not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
        return {"details": {"durable": {"skipped": "DATABASE_URL is not PostgreSQL"}}}
    results: dict[str, Any] = {"details": {"durable": {}}}
    context = multiprocessing.get_context("spawn")
    for shape in SHAPES:
        _prepare(shape)
        queue = context.Queue()
        start_at = time.time() + 3.0
        workers = [
            context.Process(target=_client, args=(shape, seconds, start_at, queue))
            for _ in range(clients)
        ]
        for worker in workers:
            worker.start()
        gathered = [queue.get(timeout=seconds + 120) for _ in workers]
        for worker in workers:
            worker.join(timeout=30)
        total = sum(done for done, _, _ in gathered)
        latencies = sorted(value for _, values, _ in gathered for value in values)
        cpu = sum(spent for _, _, spent in gathered)
        p50 = statistics.median(latencies) * 1000 if latencies else None
        p99 = latencies[int(len(latencies) * 0.99) - 1] * 1000 if latencies else None
        results[f"durable_completions_per_s_{shape}"] = round(total / seconds, 1)
        results[f"durable_p50_ms_{shape}"] = round(p50, 2) if p50 is not None else None
        results[f"durable_p99_ms_{shape}"] = round(p99, 2) if p99 is not None else None
        # The client's own CPU per completion (Python: services, ORM, driver), the number that
        # bounds throughput on a machine with few cores.
        results[f"durable_client_cpu_ms_{shape}"] = round(cpu / total * 1000, 2) if total else None
        results["details"]["durable"][shape] = {"completions": total, "clients": clients}
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="a short run (1 s, 2 clients)")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--clients", type=int, default=4)
    arguments = parser.parse_args(argv)
    figures = (
        measure(1.0, clients=2)
        if arguments.quick
        else measure(arguments.seconds, clients=arguments.clients)
    )
    print(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
