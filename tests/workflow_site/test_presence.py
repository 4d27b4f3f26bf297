"""Presence on the task page: who else has a task open, told live over the socket."""

from __future__ import annotations

from typing import Any

import pytest
from asgiref.sync import async_to_sync
from channels.testing import WebsocketCommunicator

from tests.workflow_site.test_live_socket import ORIGIN, session_cookie
from workflow_site.asgi import application

pytestmark = pytest.mark.django_db(transaction=True)


async def _open(user: Any) -> WebsocketCommunicator:
    communicator = WebsocketCommunicator(application, "/ws/live/", headers=[ORIGIN, user])
    connected, _ = await communicator.connect(timeout=5)
    assert connected
    assert (await communicator.receive_json_from(timeout=5))["type"] == "hello"
    return communicator


def test_people_with_the_same_task_open_see_each_other_arrive_and_leave(
    worker: Any, worker_role: Any
) -> None:
    from tests.factories import TaskFactory, UserFactory

    colleague = UserFactory(first_name="Ana", last_name="Silva")
    colleague.groups.add(worker_role.group)
    task = TaskFactory(role=worker_role)
    first, second = session_cookie(worker), session_cookie(colleague)

    async def scenario() -> list[Any]:
        ana = await _open(second)
        await ana.send_json_to({"type": "presence", "task": task.pk})
        seen = [await ana.receive_json_from(timeout=5)]
        me = await _open(first)
        await me.send_json_to({"type": "presence", "task": task.pk})
        seen.append(await me.receive_json_from(timeout=5))  # present
        seen.append(await ana.receive_json_from(timeout=5))  # the worker arrived
        seen.append(await me.receive_json_from(timeout=5))  # ana was already there
        await ana.disconnect()
        # With the pub/sub channel layer a server hands a group message to the members it has
        # when the message arrives, so ana's own announcement, still on its way when the worker
        # joined, may tell the worker "here" a second time (the page keys people by socket).
        while (message := await me.receive_json_from(timeout=5)) == seen[-1]:
            pass
        seen.append(message)  # ana left
        assert await me.receive_nothing(timeout=0.3)
        await me.disconnect()
        return seen

    present, arrived, already, left = async_to_sync(scenario)()[1:]
    assert present == {"type": "present", "task": task.pk}
    assert arrived["state"] == "here"
    assert arrived["user"] == worker.pk
    assert already["state"] == "here"
    assert already["name"] == "Ana Silva"
    assert left["state"] == "left"
    assert left["socket"] == already["socket"]


def test_presence_on_a_task_one_may_not_see_is_refused(worker: Any) -> None:
    from tests.factories import RoleFactory, TaskFactory

    hidden = TaskFactory(role=RoleFactory(key="others", name="Others"))
    cookie = session_cookie(worker)

    async def scenario() -> list[Any]:
        me = await _open(cookie)
        answers = []
        for task_id in (hidden.pk, 999_999, "7"):
            await me.send_json_to({"type": "presence", "task": task_id})
            answers.append(await me.receive_json_from(timeout=5))
        await me.disconnect()
        return answers

    hidden_answer, missing, bad = async_to_sync(scenario)()
    assert hidden_answer == missing == {"type": "error", "code": "not_found", "field": "task"}
    assert bad == {"type": "error", "code": "invalid", "field": "task"}
