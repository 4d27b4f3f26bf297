"""Live events reach a socket without a hop to the thread sync code shares: Channels would run
``close_old_connections`` there before every handler, one hop per socket per event."""

from __future__ import annotations

from typing import Any

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator

from monitoring.consumers import user_group
from tests.workflow_site.test_live_socket import ORIGIN, session_cookie
from workflow_site.asgi import application

pytestmark = pytest.mark.django_db(transaction=True)


def test_live_events_skip_the_per_message_close_old_connections(
    worker: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import channels.consumer

    hops: list[str] = []
    close_old_connections = channels.consumer.aclose_old_connections

    async def counted() -> None:
        hops.append("hop")
        await close_old_connections()

    monkeypatch.setattr(channels.consumer, "aclose_old_connections", counted)
    cookie = session_cookie(worker)

    async def scenario() -> list[Any]:
        socket = WebsocketCommunicator(application, "/ws/live/", headers=[ORIGIN, cookie])
        connected, _ = await socket.connect(timeout=5)
        assert connected
        received = [await socket.receive_json_from(timeout=5)]  # hello
        after_connect = len(hops)
        layer = get_channel_layer()
        for number in range(3):
            await layer.group_send(
                user_group(worker.pk), {"type": "live.event", "event": {"n": number}}
            )
            received.append(await socket.receive_json_from(timeout=5))
        assert len(hops) == after_connect  # no hop for the events ...
        await socket.send_json_to({"type": "ping"})
        received.append(await socket.receive_json_from(timeout=5))
        assert len(hops) == after_connect + 1  # ... while what the browser sends keeps it
        await socket.disconnect()
        return received

    hello, *events, pong = async_to_sync(scenario)()
    assert hello["type"] == "hello"
    assert events == [{"type": "event", "event": {"n": n}} for n in range(3)]
    assert pong == {"type": "pong"}
