"""The simulation graph of a process: what each node does to a token, in dense integer ids.

Built from the engine's ``CompiledProcess`` (its top-level scope). Work items queue for a person
of their role; automatic tasks, receive tasks, sub-processes, call activities and catch events are
delays that need nobody; exclusive and event-based gateways choose one outgoing flow by weight;
parallel gateways split to every outgoing flow and join when every incoming flow delivered.
Inclusive and complex gateways are simulated as exclusive choices and plain merges (their
outgoing flows are chosen one at a time), which is said in ``warnings``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final

import numpy as np
import numpy.typing as npt

import accelerators
from processes.engine import compiled as ck
from processes.engine.compiled import CompiledProcess
from processes.engine.timers import TimerError, parse_duration

# What a token does at a node.
TASK: Final = 0  # queue for a person of the node's role, then work
DELAY: Final = 1  # take time without anybody
CHOICE: Final = 2  # leave by one outgoing flow, drawn by weight
SPLIT: Final = 3  # leave by every outgoing flow
JOIN: Final = 4  # wait for a token on every incoming flow, then leave by every outgoing one
PASS: Final = 5  # leave at once by every outgoing flow (start events, merges, throw events)
END: Final = 6  # the token ends here
TERMINATE: Final = 7  # the whole instance ends here

ACTIVITY_CODES: Final = frozenset({TASK, DELAY})
_DELAY_KINDS: Final = frozenset({ck.AUTO, ck.RECEIVE, ck.SUB, ck.CALL, ck.CATCH})
_CHOICE_KINDS: Final = frozenset({ck.XOR, ck.OR, ck.COMPLEX, ck.EVENT_GATEWAY})


@dataclass(frozen=True)
class Branch:
    """One outgoing flow of a choice node."""

    flow_id: str
    target: int
    name: str = ""
    is_default: bool = False


@dataclass
class SimGraph:
    """A process as the simulation plays it. Node ``i`` is ``element_ids[i]``."""

    element_ids: list[str]
    names: list[str]
    code: list[int]
    #: Target nodes in the order of the outgoing flows.
    successors: list[tuple[int, ...]]
    #: Choice nodes: their branches (one per outgoing flow, in order).
    branches: dict[int, tuple[Branch, ...]]
    #: Joins: how many tokens they wait for.
    join_need: list[int]
    #: Work items: their role key ("" when they name none) and priority (0-100).
    role: list[str]
    priority: list[int]
    #: Seconds of a timer catch event's duration, or itn:expectedDuration, where given.
    expected_seconds: list[float | None]
    expected_source: list[str]
    #: SLA of each node (itn:sla text) and of the process.
    sla_text: list[str | None]
    process_sla_text: str | None
    start: int
    warnings: list[str] = field(default_factory=list)

    @property
    def node_count(self) -> int:
        return len(self.element_ids)

    def index(self, element_id: str) -> int:
        return self.element_ids.index(element_id)

    def activities(self) -> list[int]:
        return [i for i, code in enumerate(self.code) if code in ACTIVITY_CODES]

    def roles(self) -> list[str]:
        """The role keys work items name, in order of first appearance."""
        seen: dict[str, None] = {}
        for i, code in enumerate(self.code):
            if code == TASK:
                seen.setdefault(self.role[i], None)
        return list(seen)

    def choices(self) -> list[int]:
        return sorted(self.branches)


def _seconds(text: str | None) -> float | None:
    if not text:
        return None
    try:
        return parse_duration(text).total_seconds_approx()
    except TimerError:
        return None


def build_graph(process: CompiledProcess) -> SimGraph:
    """The simulation graph of ``process``'s top level; raises ValueError when it has no none
    start event to begin at."""
    top = [i for i in range(len(process.ids)) if process.parent[i] == -1]
    local = {node: position for position, node in enumerate(top)}
    warnings: list[str] = []
    starts = process.none_starts.get(-1, ()) or process.sourceless.get(-1, ())
    if not starts:
        raise ValueError("the process has no none start event to begin simulated instances at")
    codes: list[int] = []
    successors: list[tuple[int, ...]] = []
    branches: dict[int, tuple[Branch, ...]] = {}
    join_need: list[int] = []
    roles: list[str] = []
    priorities: list[int] = []
    expected: list[float | None] = []
    expected_source: list[str] = []
    slas: list[str | None] = []
    for position, i in enumerate(top):
        node = process.nodes[i]
        kind = process.kind[i]
        outgoing = [f for f in process.outgoing[i] if process.flow_target[f] in local]
        targets = tuple(local[process.flow_target[f]] for f in outgoing)
        incoming = len(process.incoming[i])
        seconds = _seconds(node.extensions.get("expectedDuration"))
        source = "expectedDuration" if seconds is not None else "none"
        event = process.event[i]
        if kind == ck.WORK:
            code = TASK
        elif kind in _DELAY_KINDS or (kind == ck.THROW and seconds is not None):
            code = DELAY
            timer = event.timer if kind == ck.CATCH and event is not None else None
            if timer is not None and seconds is None and timer.kind == "duration":
                seconds, source = _seconds(timer.text), "timer"
        elif kind in _CHOICE_KINDS and len(targets) > 1:
            code = CHOICE
            if kind in (ck.OR, ck.COMPLEX):
                warnings.append(
                    f"{node.id}: the {node.type} is simulated as an exclusive choice "
                    "(one outgoing flow at a time)."
                )
        elif kind == ck.AND and incoming > 1:
            code = JOIN
        elif kind == ck.AND and len(targets) > 1:
            code = SPLIT
        elif kind == ck.END or not targets:
            terminate = event is not None and event.kind == "terminate"
            code = TERMINATE if terminate else END
        else:
            code = PASS
        if kind == ck.SUB:
            warnings.append(
                f"{node.id}: the sub-process is simulated as one step (its expected duration)."
            )
        if node.loop is not None or node.multi_instance is not None:
            warnings.append(f"{node.id}: its loop or multiple instances are simulated once.")
        if process.boundaries[i]:
            warnings.append(f"{node.id}: its boundary events are not simulated.")
        codes.append(code)
        successors.append(targets)
        if code == CHOICE:
            default = process.default_flow[i]
            branches[position] = tuple(
                Branch(
                    flow_id=process.flow_ids[f],
                    target=local[process.flow_target[f]],
                    name=process.process.flows[process.flow_ids[f]].name,
                    is_default=f == default,
                )
                for f in outgoing
            )
        join_need.append(incoming if code == JOIN else 0)
        roles.append(node.extensions.get("role", "") if code == TASK else "")
        priorities.append(_priority(node.extensions.get("priority")))
        expected.append(seconds)
        expected_source.append(source)
        slas.append(node.extensions.get("sla") or None)
    graph = SimGraph(
        element_ids=[process.ids[i] for i in top],
        names=[process.nodes[i].name or process.ids[i] for i in top],
        code=codes,
        successors=successors,
        branches=branches,
        join_need=join_need,
        role=roles,
        priority=priorities,
        expected_seconds=expected,
        expected_source=expected_source,
        sla_text=slas,
        process_sla_text=process.process.extensions.get("sla") or None,
        start=local[starts[0]],
        warnings=warnings,
    )
    return graph


def _priority(value: str | None) -> int:
    try:
        return max(0, min(100, int(value))) if value not in (None, "") else 50
    except (TypeError, ValueError):
        return 50


# ---------------------------------------------------------------------------------------------
# Visits per instance with the compiled kernels' batch firing
# ---------------------------------------------------------------------------------------------


def expected_visits(
    graph: SimGraph, weights: dict[int, npt.NDArray[np.float64]], *, runs: int, seed: int
) -> npt.NDArray[np.float64]:
    """How often each node is visited per instance, on average over ``runs`` token games played
    by the graph kernels' ``batch_fire`` with the branch ``weights``. Used to tell each role's
    offered load before the timed simulation runs."""
    from accelerators import _graph_py as kinds

    kernel_kind = np.zeros(graph.node_count, dtype=np.int32)
    edges: list[tuple[int, int]] = []
    edge_weights: list[float] = []
    for node, code in enumerate(graph.code):
        if code == CHOICE:
            kernel_kind[node] = kinds.CHOICE
            edge_weights.extend(float(w) for w in weights[node])
        elif code == SPLIT:
            kernel_kind[node] = kinds.SPLIT
            edge_weights.extend(1.0 for _ in graph.successors[node])
        elif code == JOIN:
            kernel_kind[node] = kinds.JOIN
            edge_weights.extend(1.0 for _ in graph.successors[node])
        elif code in (END, TERMINATE):
            kernel_kind[node] = kinds.END
            edge_weights.extend(1.0 for _ in graph.successors[node])
        else:
            kernel_kind[node] = kinds.PASS
            edge_weights.extend(1.0 for _ in graph.successors[node])
        edges.extend((node, target) for target in graph.successors[node])
    indptr, indices = accelerators.build_csr(graph.node_count, edges)
    in_degree = np.array([max(1, need) for need in graph.join_need], dtype=np.int32)
    visits, _ = accelerators.batch_fire(
        kernel_kind,
        indptr,
        indices,
        np.array(edge_weights, dtype=np.float64),
        in_degree,
        graph.start,
        runs,
        seed,
        max(64, graph.node_count * 50),
    )
    result: npt.NDArray[np.float64] = visits.astype(np.float64) / max(runs, 1)
    return result
