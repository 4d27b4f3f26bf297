"""Branch weights of a journey's choices, from what instances did and from its conditions.

From history: an instance's trace lists the work items it completed, in order. Between two
consecutive ones (and from the start, and to the end of a completed instance) the token passed
only through steps that leave no work item (gateways, automatic tasks, events); walking the
graph between them tells which branch each choice on the way took.

From the rules: each choice's outgoing conditions (expressions or ``itn:rule`` condition rules)
are evaluated on sampled case data; the first that holds is the branch taken, else the default.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from monitoring.simulation import graph as sg
from processes.engine.compiled import CompiledProcess
from processes.engine.expressions import ExpressionError

#: A walk's end that is not a work item: the instance ended.
FINISHED = -1
Decision = tuple[int, int]  # (choice node, branch position)


def _walks(graph: sg.SimGraph, origin: int) -> dict[int, tuple[Decision, ...]]:
    """The work items (and FINISHED) a token leaving ``origin`` reaches first, each with the
    choices made on the way there (the first way found)."""
    found: dict[int, tuple[Decision, ...]] = {}
    stack: list[tuple[int, tuple[Decision, ...]]] = []
    seen: set[int] = set()

    def leave(node: int, decisions: tuple[Decision, ...]) -> None:
        if graph.code[node] == sg.CHOICE:
            for position, branch in enumerate(graph.branches[node]):
                stack.append((branch.target, (*decisions, (node, position))))
        elif not graph.successors[node] and graph.code[node] != sg.TASK:
            found.setdefault(FINISHED, decisions)
        else:
            for target in graph.successors[node]:
                stack.append((target, decisions))

    leave(origin, ())
    while stack:
        node, decisions = stack.pop()
        if graph.code[node] == sg.TASK:
            found.setdefault(node, decisions)
            continue
        if graph.code[node] in (sg.END, sg.TERMINATE):
            found.setdefault(FINISHED, decisions)
            continue
        if node in seen:
            continue
        seen.add(node)
        leave(node, decisions)
    return found


def history_branch_counts(
    graph: sg.SimGraph, traces: Iterable[tuple[Sequence[str], bool]]
) -> dict[str, dict[str, int]]:
    """How often each choice took each outgoing flow, from ``traces``: (the work items an
    instance completed, in order; whether it completed)."""
    index = {element: i for i, element in enumerate(graph.element_ids)}
    walks: dict[int, dict[int, tuple[Decision, ...]]] = {}
    counts: dict[int, dict[int, int]] = {node: {} for node in graph.choices()}

    def decisions(origin: int, target: int) -> tuple[Decision, ...]:
        table = walks.get(origin)
        if table is None:
            table = walks[origin] = _walks(graph, origin)
        return table.get(target, ())

    for elements, completed in traces:
        previous = graph.start
        for element in elements:
            node = index.get(element)
            if node is None or graph.code[node] != sg.TASK:
                continue
            for choice, position in decisions(previous, node):
                counts[choice][position] = counts[choice].get(position, 0) + 1
            previous = node
        if completed:
            for choice, position in decisions(previous, FINISHED):
                counts[choice][position] = counts[choice].get(position, 0) + 1
    return {
        graph.element_ids[choice]: {
            graph.branches[choice][position].flow_id: count for position, count in taken.items()
        }
        for choice, taken in counts.items()
        if taken
    }


def rule_branch_counts(
    process: CompiledProcess, graph: sg.SimGraph, samples: Iterable[Mapping[str, Any]]
) -> dict[str, dict[str, int]]:
    """How often each choice's conditions pick each outgoing flow on the sampled case data."""
    counts: dict[str, dict[str, int]] = {}
    choices = [(node, graph.element_ids[node]) for node in graph.choices()]
    for data in samples:
        for node, element in choices:
            picked = None
            default = None
            for branch in graph.branches[node]:
                if branch.is_default:
                    default = branch.flow_id
                    continue
                condition = process.flow_condition[process.flow_index[branch.flow_id]]
                if condition is None:
                    continue
                try:
                    held = bool(condition.evaluate(data))
                except (ExpressionError, TypeError, ValueError, KeyError):
                    held = False
                if held:
                    picked = branch.flow_id
                    break
            picked = picked or default
            if picked is not None:
                taken = counts.setdefault(element, {})
                taken[picked] = taken.get(picked, 0) + 1
    return counts
