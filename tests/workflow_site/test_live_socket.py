"""The live socket: session authentication, the Origin check and commit-time broadcasts."""

from __future__ import annotations

from typing import Any

import pytest
from asgiref.sync import async_to_sync
from channels.testing import WebsocketCommunicator
from django.db import transaction
from django.test import Client

from monitoring.consumers import CLOSE_UNAUTHENTICATED, user_group
from workflow_site import effects
from workflow_site.asgi import application

pytestmark = pytest.mark.django_db(transaction=True)

ORIGIN = (b"origin", b"http://127.0.0.1:8000")


def session_cookie(user: Any) -> tuple[bytes, bytes]:
    client = Client()
    client.force_login(user)
    return (b"cookie", f"sessionid={client.cookies['sessionid'].value}".encode())


async def _connect(headers: list[tuple[bytes, bytes]]) -> tuple[WebsocketCommunicator, Any]:
    communicator = WebsocketCommunicator(application, "/ws/live/", headers=headers)
    connected, code = await communicator.connect(timeout=5)
    return communicator, (connected, code)


def test_anonymous_sockets_are_closed() -> None:
    async def scenario() -> Any:
        communicator, result = await _connect([ORIGIN])
        await communicator.disconnect()
        return result

    assert async_to_sync(scenario)() == (False, CLOSE_UNAUTHENTICATED)


def test_foreign_origin_is_refused(worker: Any) -> None:
    cookie = session_cookie(worker)

    async def scenario() -> Any:
        communicator, result = await _connect([(b"origin", b"http://evil.example.com"), cookie])
        await communicator.disconnect()
        return result

    connected, _ = async_to_sync(scenario)()
    assert connected is False


def test_signed_in_user_receives_events_broadcast_after_commit(worker: Any) -> None:
    cookie = session_cookie(worker)

    async def scenario() -> list[Any]:
        communicator, (connected, _) = await _connect([ORIGIN, cookie])
        assert connected
        received = [await communicator.receive_json_from(timeout=5)]
        await communicator.send_json_to({"type": "ping"})
        received.append(await communicator.receive_json_from(timeout=5))
        await _broadcast_in_transactions(worker.pk)
        received.append(await communicator.receive_json_from(timeout=5))
        assert await communicator.receive_nothing(timeout=0.3)
        await communicator.disconnect()
        return received

    hello, pong, event = async_to_sync(scenario)()
    assert hello == {"type": "hello", "user": "worker"}
    assert pong == {"type": "pong"}
    assert event == {"type": "event", "event": {"kind": "committed"}}


async def _broadcast_in_transactions(user_id: int) -> None:
    from asgiref.sync import sync_to_async

    def rolled_back() -> None:
        try:
            with transaction.atomic():
                effects.broadcast_on_commit(user_group(user_id), {"kind": "rolled back"})
                raise RuntimeError("abort")
        except RuntimeError:
            pass

    def committed() -> None:
        with transaction.atomic():
            effects.broadcast_on_commit(user_group(user_id), {"kind": "committed"})

    await sync_to_async(rolled_back)()
    await sync_to_async(committed)()


def test_instance_subscriptions_need_the_right_to_see_the_instance(worker: Any) -> None:
    from tests.factories import ProcessInstanceFactory, UserFactory

    mine = ProcessInstanceFactory(started_by=worker)
    other = ProcessInstanceFactory(started_by=UserFactory())
    cookie = session_cookie(worker)

    async def scenario() -> list[Any]:
        communicator, (connected, _) = await _connect([ORIGIN, cookie])
        assert connected
        await communicator.receive_json_from(timeout=5)
        answers = []
        for instance_id in (mine.pk, other.pk, 999_999, "x"):
            await communicator.send_json_to({"type": "subscribe", "instance": instance_id})
            answers.append(await communicator.receive_json_from(timeout=5))
        await communicator.disconnect()
        return answers

    subscribed, hidden, missing, bad = async_to_sync(scenario)()
    assert subscribed == {"type": "subscribed", "instance": mine.pk}
    assert hidden == missing == {"type": "error", "code": "not_found", "field": "instance"}
    assert bad["code"] == "invalid"


def test_role_members_hear_about_offered_tasks(worker: Any, worker_role: Any) -> None:
    cookie = session_cookie(worker)

    async def scenario() -> Any:
        from asgiref.sync import sync_to_async

        communicator, (connected, _) = await _connect([ORIGIN, cookie])
        assert connected
        await communicator.receive_json_from(timeout=5)

        def offer() -> None:
            with transaction.atomic():
                effects.broadcast_on_commit(f"role.{worker_role.pk}", {"kind": "task"})

        await sync_to_async(offer)()
        event = await communicator.receive_json_from(timeout=5)
        await communicator.disconnect()
        return event

    assert async_to_sync(scenario)() == {"type": "event", "event": {"kind": "task"}}


def test_the_sender_thread_delivers_batches_in_commit_order() -> None:
    from workflow_site.effects import _Sender

    delivered: list[tuple[str, Any]] = []

    class RecordingLayer:
        async def group_send(self, group: str, message: dict[str, Any]) -> None:
            delivered.append((group, message["event"]["n"]))

    sender, layer = _Sender(), RecordingLayer()
    for number in range(50):
        sender.submit(layer, [(f"user.{number % 3}", {"n": number})])
    sender.drain(timeout=10)
    assert [n for _, n in delivered] == list(range(50))
    assert sender.thread is not None
    assert not sender.thread.is_alive()
    sender.submit(layer, [("user.0", {"n": 50})])  # starts again when needed
    sender.drain(timeout=10)
    assert delivered[-1] == ("user.0", 50)
