"""The run-time state of one case: scopes holding tokens, running activities, armed subscriptions.

Everything here is plain data (ints, strings, dicts, lists): a state can be copied, compared and
stored as JSON. The engine (``processes.engine.core``) is the only code that changes it.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

# Case statuses.
RUNNING = "running"
COMPLETED = "completed"
CANCELLED = "cancelled"
FAILED = "failed"

# Activity kinds (what the activity instance is) and statuses.
A_WORK = "work"
A_RECEIVE = "receive"
A_SUB = "sub"
A_CALL = "call"
A_MI = "mi"
A_JOB = "job"

OPEN = "open"  # a work item that may be started now
STARTED = "started"  # a work item someone has started
WITHHELD = "withheld"  # a work item that may not be started now (mutex, interleaving, milestone)
ACTIVE = "active"  # any other running activity (sub-process, receive task, MI body)

MILESTONE_REACHED = 1


class Scope:
    """A token space: the process itself, one sub-process instance, or one called process."""

    __slots__ = (
        "id",
        "process",
        "node",
        "parent",
        "activity",
        "tokens",
        "data",
        "owner",
        "local",
        "busy",
        "compiled",
    )

    def __init__(
        self,
        id: int,
        process: str,
        node: int,
        parent: int,
        activity: int,
        data: dict[str, Any] | None,
        owner: int,
        local: dict[str, Any] | None,
    ) -> None:
        self.id = id
        #: The id of the process this scope runs (differs from its parent's for call activities).
        self.process = process
        #: The sub-process node whose body this is (-1 for a process root).
        self.node = node
        self.parent = parent
        #: The activity instance that owns the scope (-1 for the case's root).
        self.activity = activity
        #: Tokens on sequence flows: flow index -> count.
        self.tokens: dict[int, int] = {}
        #: Case data, on process roots only; other scopes use their owner's.
        self.data = data
        self.owner = owner
        #: Variables local to this scope (multi-instance item, loop counter), inherited inwards.
        self.local = local
        #: How many activities and live subscriptions are in this scope.
        self.busy = 0
        #: The engine's compiled form of ``process``, cached at run time (never stored or copied).
        self.compiled: Any = None

    def as_dict(self) -> dict[str, Any]:
        return {
            name: copy.deepcopy(getattr(self, name))
            for name in self.__slots__
            if name != "compiled"
        }

    def __deepcopy__(self, memo: dict[int, Any]) -> Scope:
        clone = Scope.__new__(Scope)
        for name in self.__slots__:
            value = getattr(self, name)
            setattr(clone, name, value if name == "compiled" else copy.deepcopy(value, memo))
        return clone


class Activity:
    """A running activity instance: a work item, a sub-process body, an MI body, a wait."""

    __slots__ = (
        "id",
        "node",
        "scope",
        "kind",
        "status",
        "parent",
        "child",
        "group",
        "local",
        "loop_count",
        "mi",
        "seq",
        "flags",
    )

    def __init__(self, id: int, node: int, scope: int, kind: str, status: str, seq: int) -> None:
        self.id = id
        self.node = node
        self.scope = scope
        self.kind = kind
        self.status = status
        #: The multi-instance body this is one instance of (-1 if none).
        self.parent = -1
        #: The scope of a sub-process or called process (-1 if none).
        self.child = -1
        #: The deferred-choice group (event-based gateway firing) it belongs to (-1 if none).
        self.group = -1
        self.local: dict[str, Any] | None = None
        self.loop_count = 0
        self.mi: dict[str, Any] | None = None
        self.seq = seq
        #: MILESTONE_REACHED once a milestone-guarded item has been enabled.
        self.flags = 0

    def as_dict(self) -> dict[str, Any]:
        return {name: copy.deepcopy(getattr(self, name)) for name in self.__slots__}


class Subscription:
    """An armed trigger: a message or signal name, a timer or a condition."""

    __slots__ = (
        "id",
        "kind",
        "key",
        "node",
        "scope",
        "activity",
        "group",
        "alive",
        "due",
        "armed_at",
        "fired",
        "seq",
    )

    def __init__(
        self, id: int, kind: str, key: str, node: int, scope: int, activity: int, seq: int
    ) -> None:
        self.id = id
        #: message, signal, timer or conditional
        self.kind = kind
        #: the message/signal name; for timers and conditions the element id
        self.key = key
        self.node = node
        self.scope = scope
        #: the activity instance it belongs to (boundary: the attached one; receive: its own)
        self.activity = activity
        self.group = -1
        #: whether it keeps the case alive (event sub-process starts do not)
        self.alive = True
        self.due: datetime | None = None
        self.armed_at: datetime | None = None
        self.fired = 0
        self.seq = seq

    def as_dict(self) -> dict[str, Any]:
        return {name: copy.deepcopy(getattr(self, name)) for name in self.__slots__}


@dataclass
class CaseState:
    """The whole state of one case."""

    status: str
    clock: datetime
    root: int = 0
    scopes: dict[int, Scope] = field(default_factory=dict)
    activities: dict[int, Activity] = field(default_factory=dict)
    subscriptions: dict[int, Subscription] = field(default_factory=dict)
    #: Messages received that no catch has consumed yet, oldest first: (name, data).
    messages: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    #: Completed work items by element id.
    log: dict[str, int] = field(default_factory=dict)
    #: Held locks: ("mutex", name) or ("adhoc", activity id) -> holder activity id.
    locks: dict[str, int] = field(default_factory=dict)
    #: Complex gateway rounds: "scope:node" -> {"arrived": [flow...], "fired": bool}.
    rounds: dict[str, dict[str, Any]] = field(default_factory=dict)
    incidents: list[dict[str, Any]] = field(default_factory=list)
    next_id: int = 1

    @property
    def data(self) -> dict[str, Any]:
        """The case data (of the root process)."""
        root = self.scopes.get(self.root)
        return root.data if root is not None and root.data is not None else {}

    def new_id(self) -> int:
        value = self.next_id
        self.next_id += 1
        return value

    def copy(self) -> CaseState:
        return copy.deepcopy(self)


def _moment(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _parse_moment(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value is not None else None


def state_to_json(state: CaseState) -> dict[str, Any]:
    """A JSON-ready copy of ``state`` (what the persistence layer stores)."""
    scopes = []
    for scope in state.scopes.values():
        row = scope.as_dict()
        row["tokens"] = [[flow, count] for flow, count in scope.tokens.items()]
        scopes.append(row)
    subscriptions = []
    for sub in state.subscriptions.values():
        row = sub.as_dict()
        row["due"] = _moment(sub.due)
        row["armed_at"] = _moment(sub.armed_at)
        subscriptions.append(row)
    return {
        "status": state.status,
        "clock": state.clock.isoformat(),
        "root": state.root,
        "scopes": scopes,
        "activities": [activity.as_dict() for activity in state.activities.values()],
        "subscriptions": subscriptions,
        "messages": [[name, copy.deepcopy(data)] for name, data in state.messages],
        "log": dict(state.log),
        "locks": dict(state.locks),
        "rounds": copy.deepcopy(state.rounds),
        "incidents": copy.deepcopy(state.incidents),
        "next_id": state.next_id,
    }


def state_from_json(document: dict[str, Any]) -> CaseState:
    """Rebuild a state from :func:`state_to_json`'s output (dict order is kept, so is seniority)."""
    state = CaseState(
        status=document["status"],
        clock=datetime.fromisoformat(document["clock"]),
        root=document["root"],
        log=dict(document["log"]),
        locks=dict(document["locks"]),
        rounds=copy.deepcopy(document["rounds"]),
        incidents=copy.deepcopy(document["incidents"]),
        next_id=document["next_id"],
        messages=[(name, copy.deepcopy(data)) for name, data in document["messages"]],
    )
    for row in document["scopes"]:
        scope = Scope(
            row["id"],
            row["process"],
            row["node"],
            row["parent"],
            row["activity"],
            copy.deepcopy(row["data"]),
            row["owner"],
            copy.deepcopy(row["local"]),
        )
        scope.tokens = {int(flow): int(count) for flow, count in row["tokens"]}
        scope.busy = row["busy"]
        state.scopes[scope.id] = scope
    for row in document["activities"]:
        activity = Activity(
            row["id"], row["node"], row["scope"], row["kind"], row["status"], row["seq"]
        )
        for name in ("parent", "child", "group", "loop_count", "flags"):
            setattr(activity, name, row[name])
        activity.local = copy.deepcopy(row["local"])
        activity.mi = copy.deepcopy(row["mi"])
        state.activities[activity.id] = activity
    for row in document["subscriptions"]:
        sub = Subscription(
            row["id"],
            row["kind"],
            row["key"],
            row["node"],
            row["scope"],
            row["activity"],
            row["seq"],
        )
        sub.group, sub.alive, sub.fired = row["group"], row["alive"], row["fired"]
        sub.due = _parse_moment(row["due"])
        sub.armed_at = _parse_moment(row["armed_at"])
        state.subscriptions[sub.id] = sub
    return state
