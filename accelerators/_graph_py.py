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
