"""WebSocket fan-out: one change to an instance reaches every socket subscribed to it.

``subscribers`` signed-in users (one session each) open ``/ws/live/`` on Daphne (production
profile, Redis channel layer, ``servers`` processes) from ``client_processes`` client processes,
and subscribe to one instance. Then, ``rounds`` times, this process completes one of the
instance's tasks through the services; the commit broadcasts an ``instance`` event. Latency is
from the commit of the change to the event's arrival at each socket (one clock: one machine); the
time the change itself took is reported apart. Reported: median and p99 over every delivery,
and the deliveries that never came.

``python -m bench.ws_fanout [--quick] [--subscribers N] [--rounds N]``
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import json
import multiprocessing
import secrets
import sys
import time
from datetime import timedelta
from typing import Any

from bench import common

JOURNEY = "bench-ws-seq10"
GRACE_SECONDS = 5.0
#: Sockets a client process opens at once: Daphne drops a handshake the application has not
#: accepted within 5 s, and every accept reads the session, the user and their roles.
CONNECTING = 20


def _now_into(moments: list[float]) -> None:
    moments.append(time.time())


def _sessions(count: int) -> list[str]:
    """``count`` bench users, each with a fresh session; their session keys."""
    from django.contrib.auth import (
        BACKEND_SESSION_KEY,
        HASH_SESSION_KEY,
        SESSION_KEY,
        get_user_model,
    )
    from django.contrib.auth.hashers import make_password
    from django.contrib.sessions.backends.db import SessionStore
    from django.contrib.sessions.models import Session
    from django.utils import timezone

    model = get_user_model()
    names = [f"bench-ws-{index:04d}" for index in range(count)]
    unusable = make_password(None)
    model.objects.bulk_create(
        [model(username=name, is_superuser=True, password=unusable) for name in names],
        ignore_conflicts=True,
    )
    users = list(model.objects.filter(username__in=names).order_by("username"))
    store = SessionStore()
    expire = timezone.now() + timedelta(hours=2)
    sessions = []
    for user in users:
        data = {
            SESSION_KEY: str(user.pk),
            BACKEND_SESSION_KEY: "django.contrib.auth.backends.ModelBackend",
            HASH_SESSION_KEY: user.get_session_auth_hash(),
        }
        sessions.append(
            Session(
                session_key=secrets.token_hex(16),
                session_data=store.encode(data),
                expire_date=expire,
            )
        )
    Session.objects.bulk_create(sessions)
    return [session.session_key for session in sessions]


async def _subscriber(
    port: int, session_key: str, instance_id: int, ready: asyncio.Event, arrivals: dict[int, float]
) -> None:
    from websockets.asyncio.client import connect

    async with connect(
        f"ws://127.0.0.1:{port}/ws/live/",
        origin=f"http://127.0.0.1:{port}",  # type: ignore[arg-type]
        additional_headers={"Cookie": f"sessionid={session_key}"},
        open_timeout=120,
        ping_interval=None,
        max_queue=None,
    ) as socket:
        await socket.send(json.dumps({"type": "subscribe", "instance": instance_id}))
        while True:
            message = json.loads(await socket.recv())
            if message.get("type") == "subscribed":
                break
            if message.get("type") == "error":
                raise RuntimeError(f"subscribe refused: {message}")
        ready.set()
        async for raw in socket:
            received = time.time()
            message = json.loads(raw)
            event = message.get("event") or {}
            if event.get("kind") == "instance" and event.get("instance") == instance_id:
                arrivals.setdefault(int(event["version"]), received)


def _client(
    ports: list[int], sessions: list[str], instance_id: int, ready: Any, stop: Any, out: Any
) -> None:
    async def main() -> list[dict[int, float]]:
        arrivals: list[dict[int, float]] = [{} for _ in sessions]
        flags = [asyncio.Event() for _ in sessions]
        gate = asyncio.Semaphore(CONNECTING)

        async def one(index: int) -> None:
            async with gate:
                opened = asyncio.create_task(
                    _subscriber(
                        ports[index % len(ports)],
                        sessions[index],
                        instance_id,
                        flags[index],
                        arrivals[index],
                    )
                )
                waiter = asyncio.create_task(flags[index].wait())
                await asyncio.wait({opened, waiter}, return_when=asyncio.FIRST_COMPLETED)
                if opened.done():
                    opened.result()  # raises what went wrong
            await opened

        runners = [asyncio.create_task(one(index)) for index in range(len(sessions))]
        while not all(flag.is_set() for flag in flags):
            failed = [runner for runner in runners if runner.done()]
            if failed:
                failed[0].result()
            await asyncio.sleep(0.05)
        ready.put(len(sessions))
        while not stop.is_set():
            await asyncio.sleep(0.05)
        for runner in runners:
            runner.cancel()
        await asyncio.gather(*runners, return_exceptions=True)
        return arrivals

    try:
        out.put(("ok", asyncio.run(main())))
    except BaseException as error:
        ready.put(-1)
        out.put(("error", repr(error)))


def measure(
    subscribers: int = 1000, rounds: int = 5, servers: int = 2, client_processes: int = 2
) -> dict[str, Any]:
    reason = common.missing_services(redis=True)
    if reason:
        return {"details": {"ws_fanout": {"skipped": reason}}}
    common.setup_django()
    common.migrate()
    from django.db import transaction

    from bench.engine_core import make_bpmn
    from processes import services
    from tasks import services as task_services
    from tasks.models import Task

    user = common.bench_user()
    journey = common.bench_journey(JOURNEY, make_bpmn("seq10"), user)
    rounds = min(rounds, 9)  # the tenth completion ends the instance
    sessions = _sessions(subscribers)
    instance = services.instance_start(actor=user, journey=journey)
    context = multiprocessing.get_context("spawn")
    ready, out, stop = context.Queue(), context.Queue(), context.Event()
    sent: dict[int, float] = {}
    change_seconds: list[float] = []
    with common.daphne_servers(servers) as ports:
        shares = [sessions[index::client_processes] for index in range(client_processes)]
        workers = [
            context.Process(target=_client, args=(ports, share, instance.pk, ready, stop, out))
            for share in shares
        ]
        for worker in workers:
            worker.start()
        try:
            if any(ready.get(timeout=300) < 0 for _ in workers):
                raise RuntimeError(f"a fan-out client failed: {out.get(timeout=30)[1]}")
            time.sleep(0.5)
            for _ in range(rounds):
                task = (
                    Task.objects.filter(instance=instance, status__in=("offered", "claimed"))
                    .select_related("instance__version__journey")
                    .order_by("pk")
                    .first()
                )
                if task is None:
                    raise RuntimeError("the fan-out instance ran out of tasks")
                began = time.time()
                committed: list[float] = []
                with transaction.atomic():
                    # Registered before the completion's own callbacks, so it runs first: the
                    # moment of the commit, before the broadcast is sent.
                    transaction.on_commit(functools.partial(_now_into, committed))
                    task_services.task_complete(actor=user, task=task, data={})
                change_seconds.append(committed[0] - began)
                instance.refresh_from_db()
                sent[instance.lock_version] = committed[0]
                time.sleep(0.5)
            time.sleep(GRACE_SECONDS)
        finally:
            stop.set()
            gathered = [out.get(timeout=120) for _ in workers]
            for worker in workers:
                worker.join(timeout=30)
    errors = [detail for state, detail in gathered if state == "error"]
    if errors:
        raise RuntimeError(f"a fan-out client failed: {errors[0]}")
    latencies: list[float] = []
    lost = 0
    for _, arrivals_per_socket in gathered:
        for arrivals in arrivals_per_socket:
            for version, began in sent.items():
                if version in arrivals:
                    latencies.append(arrivals[version] - began)
                else:
                    lost += 1
    latencies.sort()
    firsts = sorted(
        min(
            arrivals[version]
            for _, per_socket in gathered
            for arrivals in per_socket
            if version in arrivals
        )
        - began
        for version, began in sent.items()
    )
    label = f"ws_fanout_{subscribers}"
    return {
        f"{label}_median_ms": common.ms(common.percentile(latencies, 0.5)),
        f"{label}_p99_ms": common.ms(common.percentile(latencies, 0.99)),
        f"{label}_lost": lost,
        "details": {
            "ws_fanout": {
                "subscribers": subscribers,
                "rounds": rounds,
                "deliveries": len(latencies),
                "daphne_processes": servers,
                "client_processes": client_processes,
                "change_ms_median": common.ms(common.percentile(sorted(change_seconds), 0.5)),
                "max_ms": common.ms(latencies[-1]) if latencies else None,
                # The first socket of each round to hear of the change: the cost of the way
                # there (commit, Redis, a server) apart from the cost of the thousand sends.
                "first_ms_median": common.ms(common.percentile(firsts, 0.5)),
            }
        },
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="100 subscribers, 2 rounds")
    parser.add_argument("--subscribers", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=5)
    arguments = parser.parse_args(argv)
    if arguments.quick:
        arguments.subscribers, arguments.rounds = 100, 2
    print(json.dumps(measure(arguments.subscribers, arguments.rounds), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
