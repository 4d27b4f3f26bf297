"""System checks for unsafe configuration (``manage.py check``, some only with ``--deploy``)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register
from django.db import connections


@register()
def check_celery_delivery(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    errors = []
    if getattr(settings, "CELERY_TASK_ACKS_LATE", False) and not getattr(
        settings, "CELERY_TASK_REJECT_ON_WORKER_LOST", False
    ):
        errors.append(
            Error(
                "Celery acknowledges late but does not reject on worker loss: a job whose worker "
                "is killed is acknowledged and lost.",
                hint="Set CELERY_TASK_REJECT_ON_WORKER_LOST = True.",
                id="itinera.E001",
            )
        )
    return errors


@register(Tags.compatibility, deploy=True)
def check_production_services(app_configs: Any = None, **kwargs: Any) -> list[Error | Warning]:
    import accelerators

    findings: list[Error | Warning] = []
    if accelerators.IMPLEMENTATION != "compiled":
        findings.append(
            Error(
                "The engine runs on the pure-Python graph kernels, not the compiled accelerator.",
                hint="Install with `pip install .` so the Cython extension is built, and do not "
                "set ITINERA_PUREPYTHON in production.",
                id="itinera.E002",
            )
        )
    if connections["default"].vendor != "postgresql":
        findings.append(
            Error(
                "The database is not PostgreSQL: it has no row locks, so concurrent completions "
                "of one instance are serialised by a database-wide lock.",
                hint="Set DATABASE_URL to a PostgreSQL database.",
                id="itinera.E003",
            )
        )
    if getattr(settings, "CELERY_TASK_ALWAYS_EAGER", False):
        findings.append(
            Error(
                "Celery jobs run inside the web process (no broker is configured).",
                hint="Set CELERY_BROKER_URL or REDIS_URL and run a Celery worker and beat.",
                id="itinera.E004",
            )
        )
    backend = str(settings.CHANNEL_LAYERS.get("default", {}).get("BACKEND", ""))
    if backend.endswith("InMemoryChannelLayer"):
        findings.append(
            Warning(
                "The channel layer is in memory: live updates reach only sockets served by this "
                "process.",
                hint="Set REDIS_URL to use channels-redis.",
                id="itinera.W001",
            )
        )
    return findings
