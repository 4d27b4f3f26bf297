"""Side effects that must happen only once the transaction that caused them has committed.

Every Celery enqueue and every Channels broadcast goes through here, so that a rolled-back change
never reaches a worker or a browser.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable, Mapping
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

logger = logging.getLogger(__name__)


def on_commit(effect: Callable[[], object], *, using: str | None = None) -> None:
    """Run ``effect`` after the current transaction commits (at once outside a transaction)."""
    transaction.on_commit(effect, using=using, robust=True)


def broadcast_on_commit(group: str, event: Mapping[str, Any]) -> None:
    """Send ``event`` to ``group`` once the current transaction has committed."""
    outbox = Outbox()
    outbox.broadcast(group, event)
    outbox.send_on_commit()


def enqueue_on_commit(job: Any, /, *args: Any, **kwargs: Any) -> None:
    """Enqueue the Celery ``job`` with these arguments once the transaction has committed."""

    def enqueue_job() -> None:
        job.apply_async(args=args, kwargs=kwargs)

    on_commit(enqueue_job)


def _loop_running_here() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


class Outbox:
    """Broadcasts gathered during one transaction and sent together once it commits.

    One event loop run for all of them instead of one per message: a task completion produces
    several (the instance, the finished task, the next one), and each loop run costs more than
    the sends themselves.
    """

    def __init__(self) -> None:
        self.messages: list[tuple[str, dict[str, Any]]] = []

    def broadcast(self, group: str, event: Mapping[str, Any]) -> None:
        self.messages.append((group, dict(event)))

    def send_on_commit(self) -> None:
        if not self.messages:
            return
        messages = list(self.messages)
        self.messages.clear()

        def send_all() -> None:
            layer = get_channel_layer()
            if layer is None:
                return

            async def deliver() -> None:
                for group, event in messages:
                    await layer.group_send(group, {"type": "live.event", "event": event})

            if _loop_running_here():
                # Sync code called from a thread that runs an event loop (a notebook, a test
                # driving a browser): deliver from a helper thread instead of failing.
                sender = threading.Thread(target=async_to_sync(deliver), daemon=True)
                sender.start()
                sender.join(timeout=10)
            else:
                async_to_sync(deliver)()

        on_commit(send_all)
