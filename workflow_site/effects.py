"""Side effects that must happen only once the transaction that caused them has committed.

Every Celery enqueue and every Channels broadcast goes through here, so that a rolled-back change
never reaches a worker or a browser.
"""

from __future__ import annotations

import asyncio
import atexit
import logging
import os
import queue
import threading
from collections.abc import Callable, Mapping
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import InMemoryChannelLayer, get_channel_layer
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


async def _deliver(layer: Any, messages: list[tuple[str, dict[str, Any]]]) -> None:
    for group, event in messages:
        await layer.group_send(group, {"type": "live.event", "event": event})


def _deliver_here(layer: Any, messages: list[tuple[str, dict[str, Any]]]) -> None:
    """Deliver on the server's own loop: the in-memory layer's queues belong to it."""

    async def deliver() -> None:
        await _deliver(layer, messages)

    if _loop_running_here():
        # Sync code called from a thread that runs an event loop (a notebook, a test driving a
        # browser): deliver from a helper thread instead of failing.
        helper = threading.Thread(target=async_to_sync(deliver), daemon=True)
        helper.start()
        helper.join(timeout=10)
    else:
        async_to_sync(deliver)()


class _Sender:
    """Delivers committed broadcasts through a networked channel layer (Redis) from a thread of
    its own, in commit order, so that a committing request or job never waits for the layer.

    Started on first use in each process (so after a fork too); at exit it is given a few
    seconds to send what is left.
    """

    def __init__(self) -> None:
        self.queue: queue.SimpleQueue[tuple[Any, list[tuple[str, dict[str, Any]]]] | None] = (
            queue.SimpleQueue()
        )
        self.pid: int | None = None
        self.thread: threading.Thread | None = None
        self.lock = threading.Lock()

    def submit(self, layer: Any, messages: list[tuple[str, dict[str, Any]]]) -> None:
        with self.lock:
            if self.pid != os.getpid() or self.thread is None or not self.thread.is_alive():
                self.pid = os.getpid()
                self.queue = queue.SimpleQueue()
                self.thread = threading.Thread(
                    target=self.run, name="itinera-live-sender", daemon=True
                )
                self.thread.start()
            self.queue.put((layer, messages))

    def run(self) -> None:
        loop = asyncio.new_event_loop()
        try:
            while (batch := self.queue.get()) is not None:
                layer, messages = batch
                try:
                    loop.run_until_complete(_deliver(layer, messages))
                except Exception:
                    logger.exception("live events could not be delivered")
        finally:
            loop.close()

    def drain(self, timeout: float = 5.0) -> None:
        """Send what is queued, then stop the thread (at exit; waits at most ``timeout``)."""
        thread = self.thread
        if thread is None or not thread.is_alive() or self.pid != os.getpid():
            return
        self.queue.put(None)
        thread.join(timeout=timeout)


_sender = _Sender()
atexit.register(_sender.drain)


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
            if isinstance(layer, InMemoryChannelLayer):
                _deliver_here(layer, messages)
            else:
                _sender.submit(layer, messages)

        on_commit(send_all)
