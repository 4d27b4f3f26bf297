"""Process mining on our own history, without Django: variants, conformance by token replay,
rework, waiting and working time per step, handovers between roles and people.

A case is one process instance: its work items (what the inbox shows: created, started,
completed) and its history events. Its trace is the work items it completed, in order.
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Final

from monitoring.simulation import graph as sg

#: History kinds the engine and the inbox write in the ordinary course of a case; any other
#: kind is an operator's intervention (a moved token, a skipped step, a migration, ...).
ORDINARY_KINDS: Final = frozenset(
    {
        "started",
        "task_completed",
        "task_start",
        "task_claimed",
        "task_unclaimed",
        "task_reassigned",
        "task_delegated",
        "task_escalated",
        "task_commented",
        "task_withdrawn",
        "message",
        "signal",
        "timer",
        "job_done",
        "job_queued",
        "service_task",
        "incident",
        "incident_retried",
        "engine",
        "running",
        "suspended",
        "completed",
        "cancelled",
        "failed",
        "terminated",
        "sla_escalated",
        "escalated",
    }
)
#: A claim this close to the completion means the item was completed straight from the queue.
CLAIM_AT_COMPLETION: Final = timedelta(seconds=1)


@dataclass(frozen=True)
class WorkItem:
    element: str
    name: str
    role: str | None
    user: str | None
    created: datetime
    started: datetime | None
    claimed: datetime | None
    completed: datetime | None

    @property
    def begun(self) -> datetime:
        """When work on it began: its start, else its claim (unless made at completion), else
        its creation."""
        if self.started is not None:
            return self.started
        if (
            self.claimed is not None
            and self.completed is not None
            and self.completed - self.claimed > CLAIM_AT_COMPLETION
        ):
            return self.claimed
        return self.created


@dataclass
class Case:
    id: int
    version: int
    status: str
    started: datetime
    ended: datetime | None
    business_key: str = ""
    items: list[WorkItem] = field(default_factory=list)
    #: (kind, element, at) of the history events.
    events: list[tuple[str, str, datetime]] = field(default_factory=list)
    #: The version the case started on (a migrated case runs another one now).
    started_version: int | None = None

    @property
    def trace(self) -> tuple[str, ...]:
        done = [item for item in self.items if item.completed is not None]
        done.sort(key=lambda item: (item.completed, item.created))
        return tuple(item.element for item in done)

    @property
    def duration(self) -> float | None:
        return (self.ended - self.started).total_seconds() if self.ended else None


def _median(values: Sequence[float]) -> float | None:
    return round(statistics.median(values), 3) if values else None


def _mean(values: Sequence[float]) -> float | None:
    return round(statistics.fmean(values), 3) if values else None


# ---------------------------------------------------------------------------------------------
# Variants
# ---------------------------------------------------------------------------------------------


def variants(cases: Iterable[Case], *, finished_only: bool = True) -> list[dict[str, Any]]:
    """Distinct paths (the completed work items in order) with how many cases took each, their
    share, the median duration of those cases, and a few of them; the most frequent first."""
    groups: dict[tuple[str, ...], list[Case]] = defaultdict(list)
    for case in cases:
        if finished_only and case.ended is None:
            continue
        groups[case.trace].append(case)
    total = sum(len(members) for members in groups.values())
    rows: list[dict[str, Any]] = []
    for path, members in groups.items():
        durations = [case.duration for case in members if case.duration is not None]
        rows.append(
            {
                "path": list(path),
                "count": len(members),
                "share": round(len(members) / total * 100, 2) if total else 0.0,
                "median_duration": _median(durations),
                "instances": sorted(case.id for case in members)[:5],
            }
        )
    rows.sort(key=lambda row: (-row["count"], row["path"]))
    for rank, row in enumerate(rows, start=1):
        row["rank"] = rank
    return rows


# ---------------------------------------------------------------------------------------------
# Rework, waiting and working time, handovers
# ---------------------------------------------------------------------------------------------


def rework(cases: Iterable[Case]) -> list[dict[str, Any]]:
    """Steps done more than once in a case: in how many cases, and how many extra times."""
    cases_with: Counter[str] = Counter()
    extra: Counter[str] = Counter()
    total = 0
    for case in cases:
        total += 1
        for element, times in Counter(case.trace).items():
            if times > 1:
                cases_with[element] += 1
                extra[element] += times - 1
    return sorted(
        (
            {
                "element_id": element,
                "cases": cases_with[element],
                "share": round(cases_with[element] / total * 100, 2) if total else 0.0,
                "extra_executions": extra[element],
            }
            for element in cases_with
        ),
        key=lambda row: (-row["extra_executions"], row["element_id"]),
    )


def waiting_and_working(cases: Iterable[Case]) -> list[dict[str, Any]]:
    """Per step: seconds its completed work items waited (creation to the start of work) and
    were worked on (start of work to completion): count, mean and median; the waiting share."""
    waits: dict[str, list[float]] = defaultdict(list)
    works: dict[str, list[float]] = defaultdict(list)
    names: dict[str, str] = {}
    for case in cases:
        for item in case.items:
            if item.completed is None:
                continue
            begun = item.begun
            waits[item.element].append(max((begun - item.created).total_seconds(), 0.0))
            works[item.element].append(max((item.completed - begun).total_seconds(), 0.0))
            names.setdefault(item.element, item.name)
    rows: list[dict[str, Any]] = []
    for element in waits:
        waited, worked = sum(waits[element]), sum(works[element])
        rows.append(
            {
                "element_id": element,
                "name": names[element],
                "count": len(waits[element]),
                "wait_mean": _mean(waits[element]),
                "wait_median": _median(waits[element]),
                "work_mean": _mean(works[element]),
                "work_median": _median(works[element]),
                "waiting_share": round(waited / (waited + worked) * 100, 2)
                if waited + worked
                else None,
            }
        )
    rows.sort(key=lambda row: (-(row["wait_mean"] or 0), row["element_id"]))
    return rows


def handovers(cases: Iterable[Case], *, by: str = "role") -> list[dict[str, Any]]:
    """Work passing from one role (``by="role"``) or person (``by="user"``) to another between
    consecutive completed work items of a case: how often, and the median seconds from the
    first's completion to the start of work on the next; the busiest first."""
    counts: Counter[tuple[str, str]] = Counter()
    delays: dict[tuple[str, str], list[float]] = defaultdict(list)
    for case in cases:
        done = sorted(
            (item for item in case.items if item.completed is not None),
            key=lambda item: (item.completed, item.created),
        )
        for before, after in zip(done, done[1:], strict=False):
            source = before.role if by == "role" else before.user
            target = after.role if by == "role" else after.user
            if source is None or target is None or source == target:
                continue
            counts[(source, target)] += 1
            finished = before.completed or before.created
            delays[(source, target)].append(max((after.begun - finished).total_seconds(), 0.0))
    return [
        {
            "from": source,
            "to": target,
            "count": count,
            "median_delay": _median(delays[(source, target)]),
        }
        for (source, target), count in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    ]


# ---------------------------------------------------------------------------------------------
# Conformance: token replay of each trace on its version's graph
# ---------------------------------------------------------------------------------------------

Edge = tuple[int, int]


class _Replay:
    """Token replay on a simulation graph: work items are the visible steps; gateways, events
    and automatic tasks fire silently when a visible step needs a token they can bring."""

    def __init__(self, graph: sg.SimGraph) -> None:
        self.graph = graph
        self.index = {element: i for i, element in enumerate(graph.element_ids)}
        self.incoming: list[list[Edge]] = [[] for _ in range(graph.node_count)]
        for source, targets in enumerate(graph.successors):
            for target in targets:
                self.incoming[target].append((source, target))
        self.reaches_end = self._reaches_end()

    def _reaches_end(self) -> list[bool]:
        graph = self.graph
        ends = [graph.code[n] in (sg.END, sg.TERMINATE) or not graph.successors[n]
                for n in range(graph.node_count)]  # fmt: skip
        changed = True
        while changed:
            changed = False
            for node in range(graph.node_count):
                if ends[node] or graph.code[node] == sg.TASK:
                    continue
                if any(ends[target] for target in graph.successors[node]):
                    ends[node] = True
                    changed = True
        return ends

    def silent(self, node: int) -> bool:
        return self.graph.code[node] != sg.TASK

    def _outputs(self, node: int, chosen: int | None) -> list[Edge]:
        if self.graph.code[node] == sg.CHOICE:
            target = chosen if chosen is not None else self.graph.successors[node][0]
            return [(node, target)]
        return [(node, target) for target in self.graph.successors[node]]

    def bring(self, marking: Counter[Edge], node: int, depth: int, seen: frozenset[int]) -> bool:
        """Put a token on an incoming edge of ``node`` by firing silent nodes (``marking`` is
        changed only when this succeeds)."""
        for edge in self.incoming[node]:
            if marking[edge] > 0:
                return True
        if depth <= 0:
            return False
        for source, _ in self.incoming[node]:
            if not self.silent(source) or source in seen:
                continue
            trial = marking.copy()
            if self.fire_silent(trial, source, node, depth - 1, seen | {source}):
                marking.clear()
                marking.update(trial)
                return True
        return False

    def fire_silent(
        self, marking: Counter[Edge], node: int, towards: int | None, depth: int,
        seen: frozenset[int],
    ) -> bool:  # fmt: skip
        graph = self.graph
        if node == graph.start and not self.incoming[node]:
            return False  # the start fires once, when the case starts
        if graph.code[node] == sg.JOIN:
            for edge in self.incoming[node]:
                if marking[edge] <= 0:
                    source = edge[0]
                    if not self.silent(source) or source in seen:
                        return False
                    if not self.fire_silent(marking, source, node, depth - 1, seen | {source}):
                        return False
            for edge in self.incoming[node]:
                marking[edge] -= 1
        else:
            if not self.bring(marking, node, depth, seen):
                return False
            edge = next(e for e in self.incoming[node] if marking[e] > 0)
            marking[edge] -= 1
        for edge in self._outputs(node, towards):
            marking[edge] += 1
        return True

    def finish(self, marking: Counter[Edge]) -> int:
        """Move the tokens left through silent nodes towards an end; consumed tokens at ends
        are returned as their number."""
        graph = self.graph
        consumed = 0
        for _ in range(graph.node_count * 4 + 8):
            moved = False
            for edge, count in list(marking.items()):
                if count <= 0:
                    continue
                node = edge[1]
                code = graph.code[node]
                if code in (sg.END, sg.TERMINATE) or (
                    self.silent(node) and not graph.successors[node]
                ):
                    marking[edge] = 0
                    consumed += count
                    moved = True
                elif code == sg.TASK:
                    continue
                elif code == sg.JOIN:
                    if all(marking[e] > 0 for e in self.incoming[node]):
                        for e in self.incoming[node]:
                            marking[e] -= 1
                        for out in self._outputs(node, None):
                            marking[out] += 1
                        moved = True
                else:
                    marking[edge] -= 1
                    chosen = None
                    if code == sg.CHOICE:
                        chosen = next(
                            (t for t in graph.successors[node] if self.reaches_end[t]),
                            graph.successors[node][0],
                        )
                    for out in self._outputs(node, chosen):
                        marking[out] += 1
                    moved = True
            if not moved:
                break
        return consumed

    def replay(self, trace: Sequence[str], completed: bool) -> dict[str, Any]:
        graph = self.graph
        marking: Counter[Edge] = Counter()
        for edge in self._outputs(graph.start, None):
            marking[edge] += 1
        produced, consumed, missing = len(marking), 0, 0
        deviations: list[dict[str, Any]] = []
        depth = graph.node_count + 2
        for position, element in enumerate(trace):
            node = self.index.get(element)
            if node is None:
                missing += 1
                consumed += 1
                deviations.append(
                    {"position": position, "element_id": element, "kind": "not_in_model"}
                )
                continue
            if self.bring(marking, node, depth, frozenset({node})):
                edge = next(e for e in self.incoming[node] if marking[e] > 0)
                marking[edge] -= 1
            else:
                missing += 1
                deviations.append(
                    {"position": position, "element_id": element, "kind": "not_enabled"}
                )
            consumed += 1
            for edge in self._outputs(node, None):
                marking[edge] += 1
                produced += 1
        remaining = 0
        if completed:
            consumed += self.finish(marking)
            left = [(edge, count) for edge, count in marking.items() if count > 0]
            remaining = sum(count for _, count in left)
            for (_, target), _count in left:
                deviations.append(
                    {
                        "position": len(trace),
                        "element_id": graph.element_ids[target],
                        "kind": "left_undone",
                    }
                )
        fitness = 0.5 * (1 - missing / max(consumed, 1)) + 0.5 * (1 - remaining / max(produced, 1))
        return {
            "fits": missing == 0 and remaining == 0,
            "fitness": round(fitness, 4),
            "missing": missing,
            "remaining": remaining,
            "deviations": deviations,
        }


def conformance(cases: Iterable[Case], graphs: dict[int, sg.SimGraph]) -> dict[str, Any]:
    """Replay every case on the graph of its version (``graphs`` by version number). A case that
    does not fit took a path its version allows only through an operator's action or a
    migration; what in its history explains that is listed with it."""
    replays = {number: _Replay(graph) for number, graph in graphs.items()}
    checked = fitting = explained = 0
    deviating: list[dict[str, Any]] = []
    for case in cases:
        replay = replays.get(case.version)
        if replay is None:
            continue
        checked += 1
        outcome = replay.replay(case.trace, case.status == "completed")
        interventions: list[dict[str, Any]] = [
            {"kind": kind, "element_id": element, "at": at.isoformat()}
            for kind, element, at in case.events
            if kind not in ORDINARY_KINDS
        ]
        if case.started_version is not None and case.started_version != case.version:
            interventions.insert(
                0,
                {
                    "kind": "migrated",
                    "element_id": "",
                    "at": None,
                    "from_version": case.started_version,
                    "to_version": case.version,
                },
            )
        if outcome["fits"]:
            fitting += 1
            continue
        if interventions:
            explained += 1
        deviating.append(
            {
                "instance": case.id,
                "business_key": case.business_key,
                "version": case.version,
                "status": case.status,
                "trace": list(case.trace),
                **outcome,
                "interventions": interventions,
                "explained": bool(interventions),
            }
        )
    deviating.sort(key=lambda row: (row["fitness"], row["instance"]))
    return {
        "checked": checked,
        "fitting": fitting,
        "deviating": len(deviating),
        "explained": explained,
        "unexplained": len(deviating) - explained,
        "fitness_share": round(fitting / checked * 100, 2) if checked else None,
        "instances": deviating,
    }
