"""The two run profiles, read in fresh interpreters with controlled environments."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SERVICE_VARIABLES = (
    "DATABASE_URL",
    "REDIS_URL",
    "CELERY_BROKER_URL",
    "SECRET_KEY",
    "AUDIT_SIGNING_KEY",
    "ALLOWED_HOSTS",
    "DJANGO_SETTINGS_MODULE",
    "ITINERA_PUREPYTHON",
    "ITINERA_DATABASE_POOL",
    "DATABASE_POOL_SIZE",
    "DATABASE_PREPARE_THRESHOLD",
    "DATABASE_CONN_MAX_AGE",
    "DEBUG",
)
PRODUCTION_ENV = {
    "DJANGO_SETTINGS_MODULE": "workflow_site.settings.production",
    "SECRET_KEY": "x7!kq2@m9#v4$w8%z1^t6&y3*u5(p0)r-s+a=b_c.d,e;f:g'h?i/j~k",
    "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/postgres",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
    "ALLOWED_HOSTS": "itinera.example.com",
    "AUDIT_SIGNING_KEY": "4f1c0b7e9a2d86b35e0c71f4a9d2b6e8c3f05a1d7b9e24c6f8a0d3b5e7c9f1a2",
}
SHOW_SETTINGS = """
import json, django
django.setup()
from django.conf import settings
print(json.dumps({
    "engine": settings.DATABASES["default"]["ENGINE"],
    "layer": settings.CHANNEL_LAYERS["default"]["BACKEND"],
    "eager": settings.CELERY_TASK_ALWAYS_EAGER,
    "sweeper_in_process": settings.SWEEPER_IN_PROCESS,
    "debug": settings.DEBUG,
}))
"""


def run(
    args: list[str], extra_env: dict[str, str], tmp_path: Path
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in SERVICE_VARIABLES}
    env["ITINERA_SQLITE_PATH"] = str(tmp_path / "profile.sqlite3")
    env.update(extra_env)
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def test_embedded_default_needs_no_services(tmp_path: Path) -> None:
    result = run(
        ["-c", SHOW_SETTINGS], {"DJANGO_SETTINGS_MODULE": "workflow_site.settings.dev"}, tmp_path
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {
        "engine": "django.db.backends.sqlite3",
        "layer": "channels.layers.InMemoryChannelLayer",
        "eager": True,
        "sweeper_in_process": True,
        "debug": True,
    }


def test_production_profile_uses_the_services(tmp_path: Path) -> None:
    result = run(["-c", SHOW_SETTINGS], PRODUCTION_ENV, tmp_path)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {
        "engine": "django.db.backends.postgresql",
        "layer": "channels_redis.pubsub.RedisPubSubChannelLayer",
        "eager": False,
        "sweeper_in_process": False,
        "debug": False,
    }


SHOW_CONNECTIONS = """
import json, os, sys
if sys.argv[1] == "asgi":
    import workflow_site.asgi
else:
    import django
    django.setup()
from django.conf import settings
database = settings.DATABASES["default"]
print(json.dumps({"options": database["OPTIONS"], "max_age": database["CONN_MAX_AGE"]}))
"""


def test_the_asgi_server_pools_connections_and_workers_keep_one(tmp_path: Path) -> None:
    # Under ASGI a connection kept past its request is never used again: kept ones pile up
    # until PostgreSQL refuses new clients. The server takes them from a pool instead.
    server = run(["-c", SHOW_CONNECTIONS, "asgi"], PRODUCTION_ENV, tmp_path)
    worker = run(["-c", SHOW_CONNECTIONS, "worker"], PRODUCTION_ENV, tmp_path)
    assert server.returncode == 0, server.stderr
    assert worker.returncode == 0, worker.stderr
    pooled, kept = json.loads(server.stdout), json.loads(worker.stdout)
    assert pooled == {
        "options": {
            "server_side_binding": True,
            "prepare_threshold": 2,
            "pool": {"min_size": 1, "max_size": 20, "timeout": 10},
        },
        "max_age": 0,
    }
    assert kept == {"options": {"server_side_binding": True, "prepare_threshold": 2}, "max_age": 60}
    unprepared = run(
        ["-c", SHOW_CONNECTIONS, "worker"],
        {**PRODUCTION_ENV, "DATABASE_PREPARE_THRESHOLD": "0"},
        tmp_path,
    )
    assert json.loads(unprepared.stdout)["options"]["prepare_threshold"] is None


def test_the_list_channel_layer_stays_selectable(tmp_path: Path) -> None:
    show_prefix = (
        "import django; django.setup()\n"
        "from django.conf import settings\n"
        "print(settings.CHANNEL_LAYERS['default']['CONFIG']['prefix'])\n"
    )
    # Pub/sub channels are server-wide: the Redis database keeps sites apart only by the name.
    pubsub = run(["-c", show_prefix], {**PRODUCTION_ENV, "REDIS_URL": "redis://h:6379/7"}, tmp_path)
    assert pubsub.returncode == 0, pubsub.stderr
    assert pubsub.stdout.strip() == "itinera.db7."
    lists = run(
        ["-c", SHOW_SETTINGS], {**PRODUCTION_ENV, "ITINERA_CHANNEL_LAYER": "lists"}, tmp_path
    )
    assert lists.returncode == 0, lists.stderr
    assert json.loads(lists.stdout)["layer"] == "channels_redis.core.RedisChannelLayer"
    wrong = run(
        ["manage.py", "check"], {**PRODUCTION_ENV, "ITINERA_CHANNEL_LAYER": "kafka"}, tmp_path
    )
    assert wrong.returncode != 0
    assert "ITINERA_CHANNEL_LAYER='kafka' is not a channel layer" in wrong.stderr


def test_production_deploy_check_passes(tmp_path: Path) -> None:
    result = run(
        ["manage.py", "check", "--deploy", "--fail-level", "WARNING"], PRODUCTION_ENV, tmp_path
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_profile_names_what_is_missing(tmp_path: Path) -> None:
    env = dict(PRODUCTION_ENV)
    del env["SECRET_KEY"]
    del env["REDIS_URL"]
    del env["AUDIT_SIGNING_KEY"]
    result = run(["manage.py", "check"], env, tmp_path)
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr
    assert "REDIS_URL" in result.stderr
    assert "AUDIT_SIGNING_KEY" in result.stderr


def test_deploy_check_flags_an_unsafe_setup(tmp_path: Path) -> None:
    # The embedded default is fine for a laptop and wrong for production; --deploy says why.
    result = run(
        ["manage.py", "check", "--deploy"],
        {"DJANGO_SETTINGS_MODULE": "workflow_site.settings.dev", "ITINERA_PUREPYTHON": "1"},
        tmp_path,
    )
    assert result.returncode != 0
    for check_id in ("itinera.E002", "itinera.E003", "itinera.E004", "itinera.W001"):
        assert check_id in result.stderr, result.stderr


def test_bad_boolean_is_a_clear_configuration_error(tmp_path: Path) -> None:
    result = run(
        ["manage.py", "check"],
        {"DJANGO_SETTINGS_MODULE": "workflow_site.settings.dev", "DEBUG": "maybe"},
        tmp_path,
    )
    assert result.returncode != 0
    assert "DEBUG='maybe' is not a boolean" in result.stderr


@pytest.mark.parametrize("module", ["workflow_site.settings.dev", "workflow_site.settings.test"])
def test_celery_without_reject_on_worker_lost_fails_check(module: str, tmp_path: Path) -> None:
    code = (
        "import django; django.setup()\n"
        "from django.test import override_settings\n"
        "from workflow_site.checks import check_celery_delivery\n"
        "with override_settings(CELERY_TASK_REJECT_ON_WORKER_LOST=False):\n"
        "    print([e.id for e in check_celery_delivery()])\n"
        "print([e.id for e in check_celery_delivery()])\n"
    )
    result = run(["-c", code], {"DJANGO_SETTINGS_MODULE": module}, tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["['itinera.E001']", "[]"]
