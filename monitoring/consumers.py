"""The live event socket: a signed-in user receives the events of their tasks, their roles'
offered tasks, and the instances they subscribe to (if they may see them)."""

from __future__ import annotations

import hashlib
from typing import Any

from channels.consumer import get_handler_name
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.http import Http404

from monitoring import context

# Close codes in the 4000 range are ours: 4401 means the socket has no signed-in user.
CLOSE_UNAUTHENTICATED = 4401
MAX_SUBSCRIPTIONS = 50
#: Channel-layer messages whose handlers never touch the database. Channels runs Django's
#: close_old_connections before every handler, in the one thread sync code shares: one change
#: to a thousand sockets would queue a thousand hops to that thread. This consumer reads the
#: database only through database_sync_to_async, which closes old connections itself.
NO_DATABASE_MESSAGES = frozenset({"live.event", "presence.here", "presence.ack", "presence.left"})


def user_group(user_id: int) -> str:
    """The channel group that reaches every open socket of one user."""
    return f"user.{user_id}"


def role_group(role_id: int) -> str:
    return f"role.{role_id}"


def instance_group(instance_id: int) -> str:
    return f"instance.{instance_id}"


def presence_group(task_id: int) -> str:
    """The sockets that have one task's page open."""
    return f"presence.task.{task_id}"


@database_sync_to_async
def _role_ids(user: Any) -> list[int]:
    from tasks.selectors import roles_of

    return list(roles_of(user=user).values_list("pk", flat=True))


@database_sync_to_async
def _may_see_task(user: Any, task_id: int, where: context.RequestContext) -> bool:
    """Whether ``user`` may see the task; asking for one they may not see is audited."""
    from tasks.access import access_task

    with context.bound(where):
        try:
            access_task(user=user, task_id=task_id)
        except Http404:
            return False
    return True


@database_sync_to_async
def _may_see_instance(user: Any, instance_id: int, where: context.RequestContext) -> bool:
    """Whether ``user`` may see the instance; asking for one they may not see is audited."""
    from processes.access import access_instance

    with context.bound(where):
        try:
            access_instance(user=user, instance_id=instance_id)
        except Http404:
            return False
    return True


@database_sync_to_async
def _is_manager(user: Any) -> bool:
    from monitoring.metrics import is_manager

    return is_manager(user)


def _socket_context(scope: dict[str, Any]) -> context.RequestContext:
    headers = dict(scope.get("headers") or [])
    client = scope.get("client") or ("", 0)
    return context.from_meta(
        {
            "REMOTE_ADDR": client[0],
            "HTTP_USER_AGENT": headers.get(b"user-agent", b"").decode("latin-1"),
            "HTTP_X_REQUEST_ID": headers.get(b"x-request-id", b"").decode("latin-1"),
        }
    )


class LiveConsumer(AsyncJsonWebsocketConsumer):
    async def dispatch(self, message: dict[str, Any]) -> None:
        if message.get("type") in NO_DATABASE_MESSAGES:
            await getattr(self, get_handler_name(message))(message)
        else:
            await super().dispatch(message)

    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        self.joined: list[str] = [user_group(user.pk)]
        self.joined += [role_group(role) for role in await _role_ids(user)]
        for group in self.joined:
            await self.channel_layer.group_add(group, self.channel_name)
        await self.accept()
        await self.send_json({"type": "hello", "user": user.get_username()})

    async def disconnect(self, code: int) -> None:
        await self.leave_presence()
        for group in getattr(self, "joined", []):
            await self.channel_layer.group_discard(group, self.channel_name)

    def _presence(self, kind: str) -> dict[str, Any]:
        user = self.scope["user"]
        return {
            "type": kind,
            "task": self.present_at,
            "user": user.pk,
            "name": user.get_full_name() or user.get_username(),
            "channel": self.channel_name,
        }

    async def announce_presence(self, task_id: Any) -> None:
        """Say that this socket's user has the task open, and learn who else has it open.

        Each socket shows one task at a time: announcing another one leaves the previous one.
        """
        if isinstance(task_id, bool) or not isinstance(task_id, int):
            await self.send_json({"type": "error", "code": "invalid", "field": "task"})
            return
        if not await _may_see_task(self.scope["user"], task_id, _socket_context(self.scope)):
            await self.send_json({"type": "error", "code": "not_found", "field": "task"})
            return
        if getattr(self, "present_at", None) != task_id:
            await self.leave_presence()
            self.present_at: int | None = task_id
            await self.channel_layer.group_add(presence_group(task_id), self.channel_name)
        await self.channel_layer.group_send(
            presence_group(task_id), self._presence("presence.here")
        )
        await self.send_json({"type": "present", "task": task_id})

    async def leave_presence(self) -> None:
        task_id = getattr(self, "present_at", None)
        if task_id is None:
            return
        await self.channel_layer.group_send(
            presence_group(task_id), self._presence("presence.left")
        )
        await self.channel_layer.group_discard(presence_group(task_id), self.channel_name)
        self.present_at = None

    def _someone_else(self, message: dict[str, Any]) -> bool:
        return (
            message["channel"] != self.channel_name
            and message["user"] != self.scope["user"].pk
            and message["task"] == getattr(self, "present_at", None)
        )

    async def _tell_presence(self, message: dict[str, Any], state: str) -> None:
        await self.send_json(
            {
                "type": "presence",
                "task": message["task"],
                "user": message["user"],
                "name": message["name"],
                # One user may have the task open in several tabs: each socket is told apart.
                "socket": hashlib.blake2s(message["channel"].encode(), digest_size=6).hexdigest(),
                "state": state,
            }
        )

    async def presence_here(self, message: dict[str, Any]) -> None:
        """Someone opened the task: show them, and tell them this socket is here too."""
        if not self._someone_else(message):
            return
        await self._tell_presence(message, "here")
        await self.channel_layer.send(message["channel"], self._presence("presence.ack"))

    async def presence_ack(self, message: dict[str, Any]) -> None:
        if self._someone_else(message):
            await self._tell_presence(message, "here")

    async def presence_left(self, message: dict[str, Any]) -> None:
        if self._someone_else(message):
            await self._tell_presence(message, "left")

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        kind = content.get("type") if isinstance(content, dict) else None
        if kind == "ping":
            await self.send_json({"type": "pong"})
        elif kind == "subscribe":
            await self.subscribe_instance(content.get("instance"))
        elif kind == "dashboard":
            await self.subscribe_dashboard()
        elif kind == "presence":
            await self.announce_presence(content.get("task"))
        else:
            await self.send_json({"type": "error", "code": "unknown_message"})

    async def subscribe_instance(self, instance_id: Any) -> None:
        if isinstance(instance_id, bool) or not isinstance(instance_id, int):
            await self.send_json({"type": "error", "code": "invalid", "field": "instance"})
            return
        if len(self.joined) >= MAX_SUBSCRIPTIONS:
            await self.send_json({"type": "error", "code": "too_many_subscriptions"})
            return
        where = _socket_context(self.scope)
        if not await _may_see_instance(self.scope["user"], instance_id, where):
            # The same answer as for an instance that does not exist.
            await self.send_json({"type": "error", "code": "not_found", "field": "instance"})
            return
        group = instance_group(instance_id)
        if group not in self.joined:
            self.joined.append(group)
            await self.channel_layer.group_add(group, self.channel_name)
        await self.send_json({"type": "subscribed", "instance": instance_id})

    async def subscribe_dashboard(self) -> None:
        """Managers' dashboards are told when the figures change (``monitoring.sla``)."""
        from monitoring.sla import DASHBOARD_GROUP

        if not await _is_manager(self.scope["user"]):
            await self.send_json({"type": "error", "code": "not_found", "field": "dashboard"})
            return
        if DASHBOARD_GROUP not in self.joined:
            self.joined.append(DASHBOARD_GROUP)
            await self.channel_layer.group_add(DASHBOARD_GROUP, self.channel_name)
        await self.send_json({"type": "dashboard", "subscribed": True})

    async def live_event(self, message: dict[str, Any]) -> None:
        await self.send_json({"type": "event", "event": message["event"]})
