"""Pure-Python twin of ``accelerators._graph``: the reference semantics of the graph kernels.

A graph is in CSR form: ``indptr`` (int32, length n + 1) and ``indices`` (int32); the successors
of node ``v`` are ``indices[indptr[v]:indptr[v + 1]]`` in the order the edges were given.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Sequence

import numpy as np
import numpy.typing as npt

IntArray = npt.NDArray[np.int32]
ByteArray = npt.NDArray[np.uint8]


def build_csr(node_count: int, edges: Iterable[tuple[int, int]]) -> tuple[IntArray, IntArray]:
    """Build CSR arrays from ``(source, target)`` pairs, keeping each node's edge order."""
    if node_count < 0:
        raise ValueError("node_count must not be negative")
    pairs = list(edges)
    counts = [0] * (node_count + 1)
    for source, target in pairs:
        if not (0 <= source < node_count and 0 <= target < node_count):
            raise ValueError(f"edge ({source}, {target}) names a node outside 0..{node_count - 1}")
        counts[source + 1] += 1
    for i in range(node_count):
        counts[i + 1] += counts[i]
    indptr = np.array(counts, dtype=np.int32)
    indices = np.zeros(len(pairs), dtype=np.int32)
    fill = counts[:-1]
    for source, target in pairs:
        indices[fill[source]] = target
        fill[source] += 1
    return indptr, indices


def _check_node(indptr: IntArray, node: int) -> None:
    if not 0 <= node < len(indptr) - 1:
        raise IndexError(f"node {node} is outside 0..{len(indptr) - 2}")


def successors(indptr: IntArray, indices: IntArray, node: int) -> tuple[int, ...]:
    """The successors of ``node``, in edge order."""
    _check_node(indptr, node)
    return tuple(int(v) for v in indices[indptr[node] : indptr[node + 1]])


def reachable(
    indptr: IntArray,
    indices: IntArray,
    sources: Sequence[int],
    blocked: ByteArray | None = None,
) -> tuple[ByteArray, int]:
    """Breadth-first reachability from ``sources``.

    Returns a 0/1 array marking every node reached (sources included) and the number of edges
    examined. A node marked in ``blocked`` is reached but not expanded: tokens stop there.
    """
    node_count = len(indptr) - 1
    seen = np.zeros(node_count, dtype=np.uint8)
    if blocked is not None and len(blocked) != node_count:
        raise ValueError("blocked must have one entry per node")
    queue: deque[int] = deque()
    for source in sources:
        _check_node(indptr, source)
        if not seen[source]:
            seen[source] = 1
            queue.append(source)
    examined = 0
    while queue:
        node = queue.popleft()
        if blocked is not None and blocked[node]:
            continue
        for position in range(indptr[node], indptr[node + 1]):
            examined += 1
            target = int(indices[position])
            if not seen[target]:
                seen[target] = 1
                queue.append(target)
    return seen, examined


def _check_flow(tokens: IntArray, flow: int) -> None:
    if not 0 <= flow < len(tokens):
        raise IndexError(f"flow {flow} is outside 0..{len(tokens) - 1}")


def join_enabled(tokens: IntArray, flows: IntArray) -> bool:
    """True when every flow in ``flows`` holds a token (a parallel join can fire)."""
    if len(flows) == 0:
        return False
    for flow in flows:
        _check_flow(tokens, int(flow))
        if tokens[flow] <= 0:
            return False
    return True


def clear_flows(tokens: IntArray, flows: IntArray) -> int:
    """Remove every token on ``flows`` (a cancellation set); return how many were removed."""
    removed = 0
    for flow in flows:
        _check_flow(tokens, int(flow))
        removed += int(tokens[flow])
        tokens[flow] = 0
    return removed


def upstream_reaches(
    indptr: IntArray,
    indices: IntArray,
    sources: Sequence[int],
    blocked: int,
    targets: Sequence[int],
) -> bool:
    """The inclusive-join test: can a token at ``sources`` reach any of ``targets`` without
    passing through ``blocked``? Stops at the first target found."""
    node_count = len(indptr) - 1
    wanted = np.zeros(node_count, dtype=np.uint8)
    for target in targets:
        _check_node(indptr, target)
        wanted[target] = 1
    seen = np.zeros(node_count, dtype=np.uint8)
    queue: deque[int] = deque()
    for source in sources:
        _check_node(indptr, source)
        if not seen[source]:
            if wanted[source]:
                return True
            seen[source] = 1
            queue.append(source)
    while queue:
        node = queue.popleft()
        if node == blocked:
            continue
        for position in range(indptr[node], indptr[node + 1]):
            target = int(indices[position])
            if not seen[target]:
                if wanted[target]:
                    return True
                seen[target] = 1
                queue.append(target)
    return False


# Node kinds understood by batch_fire.
PASS, CHOICE, SPLIT, JOIN, END = 0, 1, 2, 3, 4
_MASK64 = (1 << 64) - 1


def _next_random(state: int) -> int:
    """xorshift64*: the same stream in both implementations."""
    state ^= state >> 12
    state ^= (state << 25) & _MASK64
    state ^= state >> 27
    return state & _MASK64


def batch_fire(
    kind: IntArray,
    indptr: IntArray,
    indices: IntArray,
    weights: npt.NDArray[np.float64],
    in_degree: IntArray,
    start: int,
    runs: int,
    seed: int,
    max_steps: int,
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Play ``runs`` token games on a graph for simulation.

    A token leaves ``start``; PASS nodes pass it to every successor (usually one), CHOICE nodes to
    one successor drawn with the edge ``weights``, SPLIT nodes to every successor, JOIN nodes fire
    once ``in_degree`` tokens have arrived, END nodes absorb it. Returns the visits of every node
    summed over the runs, and the number of steps each run took (``max_steps`` when cut off).
    """
    node_count = len(indptr) - 1
    _check_node(indptr, start)
    if len(kind) != node_count or len(in_degree) != node_count:
        raise ValueError("kind and in_degree must have one entry per node")
    if len(weights) != len(indices):
        raise ValueError("weights must have one entry per edge")
    # The token stack is bounded like the compiled one's: pushes past it are dropped.
    capacity = max(max_steps * 2 + len(indices) + 1, 1)
    visits = np.zeros(node_count, dtype=np.int64)
    steps = np.zeros(runs, dtype=np.int64)
    waiting = np.zeros(node_count, dtype=np.int64)
    if not 0 <= seed < 1 << 64:
        raise OverflowError("seed must be in 0..2**64-1")
    state = (seed * 2685821657736338717 + 1) & _MASK64 or 1
    for run in range(runs):
        waiting[:] = 0
        stack = [start]
        taken = 0
        while stack and taken < max_steps:
            node = stack.pop()
            taken += 1
            code = int(kind[node])
            if code == JOIN:
                waiting[node] += 1
                if waiting[node] < in_degree[node]:
                    continue
                waiting[node] = 0
            visits[node] += 1
            first, last = int(indptr[node]), int(indptr[node + 1])
            if code == END or first == last:
                continue
            if code == CHOICE:
                state = _next_random(state)
                draw = ((state * 2685821657736338717) & _MASK64) / 18446744073709551616.0
                total = 0.0
                for position in range(first, last):
                    total += float(weights[position])
                pick = last - 1
                cumulative = 0.0
                for position in range(first, last):
                    cumulative += float(weights[position])
                    if draw * total < cumulative:
                        pick = position
                        break
                if len(stack) < capacity:
                    stack.append(int(indices[pick]))
            else:
                for position in range(last - 1, first - 1, -1):
                    if len(stack) < capacity:
                        stack.append(int(indices[position]))
        steps[run] = taken
    return visits, steps
