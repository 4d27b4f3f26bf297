"""Task completions through the REST API over HTTP, with token authentication, against Daphne.

Daphne runs on the production profile (PostgreSQL, Redis) in ``servers`` child processes; each
of ``clients`` client processes has its own user, token and keep-alive connection to one of them.
A client starts seq10 instances (``POST /api/processes/start``) and completes their tasks one by
one (``POST /api/tasks/{id}/complete/``); the next task's id is read straight from the database,
as the service-layer benchmark does. Reported: completions/s over all clients (responses that
came back 200 inside the window) and p50/p99 of one completion request.

``python -m bench.api_http [--quick] [--seconds N] [--clients N] [--servers N]``
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import os
import sys
import time
from typing import Any

from bench import common

SHAPE = "seq10"
JOURNEY = f"bench-api-{SHAPE}"


def _prepare(clients: int) -> dict[str, Any]:
    common.setup_django()
    common.migrate()
    from rest_framework.authtoken.models import Token

    from bench.engine_core import make_bpmn
    from tasks.models import Task

    owner = common.bench_user()
    journey = common.bench_journey(JOURNEY, make_bpmn(SHAPE), owner)
    tokens = []
    for index in range(clients):
        user = common.bench_user(f"bench-api-{index}")
        tokens.append(Token.objects.get_or_create(user=user)[0].key)
        from guardian.shortcuts import assign_perm

        assign_perm("processes.start_journey", user, journey)
    return {"tokens": tokens, "task_table": Task._meta.db_table}


class _Api:
    def __init__(self, port: int, token: str) -> None:
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.headers = {
            "Authorization": f"Token {token}",
            "Content-Type": "application/json",
            "Host": "127.0.0.1",
        }

    def post(self, path: str, body: dict[str, Any]) -> tuple[int, Any]:
        self.connection.request("POST", path, json.dumps(body), self.headers)
        response = self.connection.getresponse()
        payload = response.read()
        return response.status, payload


def _client(port: int, token: str, task_table: str, seconds: float, barrier: Any, out: Any) -> None:
    import psycopg

    api = _Api(port, token)
    database = psycopg.connect(os.environ["DATABASE_URL"], autocommit=True)
    next_task = (
        f"SELECT id FROM {task_table} WHERE instance_id = %s "  # noqa: S608 - our table name
        "AND status IN ('offered', 'claimed') ORDER BY id LIMIT 1"
    )

    def run_instance(deadline: float, latencies: list[float] | None) -> int:
        status, payload = api.post("/api/processes/start", {"journey": JOURNEY})
        if status != 201:
            raise RuntimeError(f"start answered {status}: {payload[:300]!r}")
        instance_id = json.loads(payload)["id"]
        done = 0
        while time.perf_counter() < deadline:
            row = database.execute(next_task, (instance_id,)).fetchone()
            if row is None:
                break
            began = time.perf_counter()
            status, payload = api.post(f"/api/tasks/{row[0]}/complete/", {"data": {}})
            ended = time.perf_counter()
            if status != 200:
                raise RuntimeError(f"complete answered {status}: {payload[:300]!r}")
            if ended <= deadline:
                done += 1
                if latencies is not None:
                    latencies.append(ended - began)
        return done

    try:
        run_instance(float("inf"), None)  # warm-up: connections, caches, the first queries
        barrier.wait(timeout=300)
        latencies: list[float] = []
        done = 0
        deadline = time.perf_counter() + seconds
        while time.perf_counter() < deadline:
            done += run_instance(deadline, latencies)
        out.put(("ok", done, latencies))
    except BaseException as error:
        barrier.abort()
        out.put(("error", repr(error), []))


def measure(seconds: float = 10.0, clients: int = 4, servers: int | None = None) -> dict[str, Any]:
    reason = common.missing_services(redis=True)
    if reason:
        return {"details": {"api_http": {"skipped": reason}}}
    servers = servers or max(1, min(clients, os.cpu_count() or 1))
    prepared = _prepare(clients)
    context = multiprocessing.get_context("spawn")
    with common.daphne_servers(servers) as ports:
        barrier = context.Barrier(clients)
        out = context.Queue()
        workers = [
            context.Process(
                target=_client,
                args=(
                    ports[index % len(ports)],
                    prepared["tokens"][index],
                    prepared["task_table"],
                    seconds,
                    barrier,
                    out,
                ),
            )
            for index in range(clients)
        ]
        for worker in workers:
            worker.start()
        gathered = [out.get(timeout=seconds + 600) for _ in workers]
        for worker in workers:
            worker.join(timeout=30)
        errors = [detail for state, detail, _ in gathered if state == "error"]
        if errors:  # raised while the servers' logs are still there to be shown
            raise RuntimeError(f"API benchmark client failed: {errors[0]}")
    total = sum(done for _, done, _ in gathered)
    latencies = sorted(value for _, _, values in gathered for value in values)
    return {
        f"api_completions_per_s_{SHAPE}": round(total / seconds, 1),
        f"api_p50_ms_{SHAPE}": common.ms(common.percentile(latencies, 0.5)),
        f"api_p99_ms_{SHAPE}": common.ms(common.percentile(latencies, 0.99)),
        "details": {
            "api_http": {
                "completions": total,
                "clients": clients,
                "daphne_processes": servers,
                "seconds": seconds,
                "auth": "DRF token",
            }
        },
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="a short run (2 s, 2 clients)")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--servers", type=int, default=None)
    arguments = parser.parse_args(argv)
    if arguments.quick:
        arguments.seconds, arguments.clients = 2.0, 2
    print(json.dumps(measure(arguments.seconds, arguments.clients, arguments.servers), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
