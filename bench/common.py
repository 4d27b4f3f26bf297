"""What the benchmarks against the running services share: the production profile's environment,
Django set up on it, the bench journeys, Daphne servers in child processes, and percentiles."""

from __future__ import annotations

import contextlib
import math
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PRODUCTION = "workflow_site.settings.production"


def postgres_url() -> str:
    url = os.environ.get("DATABASE_URL", "")
    return url if url.startswith(("postgres://", "postgresql://")) else ""


def missing_services(*, redis: bool = False) -> str | None:
    """Why this benchmark cannot run here (None when it can)."""
    if not postgres_url():
        return "DATABASE_URL is not PostgreSQL"
    if redis and not os.environ.get("REDIS_URL"):
        return "REDIS_URL is not set"
    return None


def settings_module(environ: dict[str, str] | os._Environ[str] | None = None) -> str:
    """The production profile; the embedded default's settings where Redis is not configured
    (only the database-only benchmarks run there)."""
    environ = os.environ if environ is None else environ
    if environ.get("REDIS_URL") or environ.get("CELERY_BROKER_URL"):
        return PRODUCTION
    return "workflow_site.settings.dev"


def production_env(**extra: str) -> dict[str, str]:
    """The environment of a production-profile process: this one's services, bench keys, HTTP."""
    env = dict(os.environ)
    env.update(extra)
    env["DJANGO_SETTINGS_MODULE"] = settings_module(env)
    env.setdefault("SECRET_KEY", "bench-" + secrets.token_hex(16))
    env.setdefault("AUDIT_SIGNING_KEY", "bench-audit-" + secrets.token_hex(16))
    env.setdefault("ALLOWED_HOSTS", "127.0.0.1,localhost")
    env["SECURE_SSL_REDIRECT"] = "0"  # the bench speaks plain HTTP on the loopback
    env.setdefault("LOG_LEVEL", "WARNING")
    env.update(extra)
    return env


def setup_django() -> None:
    """Django on the production profile in this process (unless it is already set up)."""
    from django.apps import apps

    if apps.ready:
        return
    os.environ.update({k: v for k, v in production_env().items() if k not in os.environ})
    os.environ["DJANGO_SETTINGS_MODULE"] = settings_module()
    os.environ["SECURE_SSL_REDIRECT"] = "0"
    import django

    django.setup()


def migrate() -> None:
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


def bench_user(username: str = "bench") -> Any:
    from django.contrib.auth import get_user_model

    user, _ = get_user_model().objects.get_or_create(username=username)
    if not user.is_superuser:
        user.is_superuser = True
        user.save(update_fields=["is_superuser"])
    return user


def bench_journey(key: str, bpmn_xml: str, user: Any) -> Any:
    """A published journey the bench user may start (made once, reused by later runs)."""
    from guardian.shortcuts import assign_perm

    from processes import selectors, services

    journey = selectors.journey_by_key(key=key)
    if journey is None:
        journey = services.journey_create(actor=user, key=key, name=key, bpmn_xml=bpmn_xml)
        services.journey_version_publish(actor=user, version=journey.versions.get())
        assign_perm("processes.start_journey", user, journey)
    return journey


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextlib.contextmanager
def daphne_servers(count: int, env: dict[str, str] | None = None) -> Iterator[list[int]]:
    """``count`` Daphne processes on the production profile; their ports."""
    env = env or production_env()
    ports = [free_port() for _ in range(count)]
    logs = [
        tempfile.NamedTemporaryFile(prefix=f"daphne-{port}-", suffix=".log")  # noqa: SIM115
        for port in ports
    ]
    servers = [
        subprocess.Popen(
            [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port)]
            + ["workflow_site.asgi:application"],
            env=env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=log,
        )
        for port, log in zip(ports, logs, strict=True)
    ]
    try:
        for server, port in zip(servers, ports, strict=True):
            deadline = time.monotonic() + 60
            while True:
                with socket.socket() as probe:
                    if probe.connect_ex(("127.0.0.1", port)) == 0:
                        break
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"daphne on port {port} did not start: {_tail(port, logs)}")
                time.sleep(0.1)
        yield ports
    except BaseException:
        for port in ports:
            print(f"daphne on port {port} said: {_tail(port, logs)}", file=sys.stderr)
        raise
    finally:
        for server in servers:
            server.terminate()
        for server in servers:
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
        for log in logs:
            log.close()


def _tail(port: int, logs: list[Any]) -> str:
    for log in logs:
        if f"daphne-{port}-" in log.name:
            return Path(log.name).read_text(errors="replace")[-3000:]
    return ""


def percentile(sorted_values: Sequence[float], fraction: float) -> float | None:
    """The nearest-rank percentile of already sorted values (None when there are none)."""
    if not sorted_values:
        return None
    rank = max(1, min(len(sorted_values), math.ceil(fraction * len(sorted_values))))
    return float(sorted_values[rank - 1])


def ms(value: float | None) -> float | None:
    return None if value is None else round(value * 1000, 2)
