"""The periodic sweeper: fires whatever has come due (timers, SLA checks) on a fixed interval.

Each kind of due work registers a sweep function with :func:`register_sweep`. A sweep function
claims its own due rows (``SELECT … FOR UPDATE SKIP LOCKED`` on PostgreSQL) in its own
transaction, so running sweeps in several processes at once, or twice in a row, is safe. Celery beat
runs :func:`sweep` in production; on the embedded default a daemon thread in the server does.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime

from django.conf import settings
from django.db import close_old_connections
from django.utils import timezone

logger = logging.getLogger(__name__)

SweepFunction = Callable[[datetime], int]

_registry: dict[str, SweepFunction] = {}


def register_sweep(name: str) -> Callable[[SweepFunction], SweepFunction]:
    """Register ``function(now) -> number of items handled`` to run on every sweep."""

    def decorator(function: SweepFunction) -> SweepFunction:
        if name in _registry and _registry[name] is not function:
            raise ValueError(f"a sweep named {name!r} is already registered")
        _registry[name] = function
        return function

    return decorator


def registered_sweeps() -> dict[str, SweepFunction]:
    return dict(_registry)


def sweep(*, now: datetime | None = None) -> dict[str, int | None]:
    """Run every registered sweep once; a failing sweep is logged and reported as ``None``."""
    moment = now or timezone.now()
    results: dict[str, int | None] = {}
    for name, function in list(_registry.items()):
        try:
            results[name] = function(moment)
        except Exception:
            logger.exception("sweep %s failed; it runs again on the next interval", name)
            results[name] = None
    return results


class InProcessSweeper(threading.Thread):
    """Runs :func:`sweep` every ``interval`` seconds until :meth:`stop` is called."""

    def __init__(self, interval: float) -> None:
        super().__init__(name="itinera-sweeper", daemon=True)
        self.interval = interval
        self.rounds = 0
        self._stopped = threading.Event()

    def run(self) -> None:
        while not self._stopped.wait(self.interval):
            close_old_connections()
            try:
                sweep()
            finally:
                self.rounds += 1
                close_old_connections()

    def stop(self, timeout: float | None = None) -> None:
        self._stopped.set()
        self.join(timeout)


_in_process: InProcessSweeper | None = None
_start_lock = threading.Lock()


def start_in_process_sweeper() -> InProcessSweeper | None:
    """Start the sweeper thread when this profile runs it in the server (once per process)."""
    global _in_process
    if not settings.SWEEPER_IN_PROCESS:
        return None
    with _start_lock:
        if _in_process is None or not _in_process.is_alive():
            _in_process = InProcessSweeper(settings.SWEEPER_INTERVAL_SECONDS)
            _in_process.start()
            logger.info("in-process sweeper running every %ss", _in_process.interval)
        return _in_process
