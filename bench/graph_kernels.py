"""Graph queries: ns per edge examined by our BFS kernels and by networkx, on the same graph.

The graph is the one the peer benchmarks use: 1,000 nodes, 3,000 distinct edges ``(min, max)`` drawn
with ``random.Random(42)``, searched from the node with the largest reachable set; the time is the
best of 5 repeats of 200 traversals.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from types import ModuleType
from typing import Any

import networkx as nx
import numpy as np

from accelerators import _graph_py

NODES, EDGES, SEED = 1_000, 3_000, 42
REPEATS, TRAVERSALS = 5, 200


def peer_graph() -> tuple[int, list[tuple[int, int]]]:
    rng = random.Random(SEED)
    edges: set[tuple[int, int]] = set()
    while len(edges) < EDGES:
        a, b = rng.randrange(NODES), rng.randrange(NODES)
        if a != b:
            edges.add((min(a, b), max(a, b)))
    return NODES, sorted(edges)


def best_seconds(run: Callable[[], object]) -> float:
    best = float("inf")
    for _ in range(REPEATS):
        start = time.perf_counter()
        for _ in range(TRAVERSALS):
            run()
        best = min(best, time.perf_counter() - start)
    return best / TRAVERSALS


def measure() -> dict[str, Any]:
    node_count, edges = peer_graph()
    indptr, indices = _graph_py.build_csr(node_count, edges)
    reach = [int(_graph_py.reachable(indptr, indices, [v])[0].sum()) for v in range(node_count)]
    source = int(np.argmax(reach))
    _, examined = _graph_py.reachable(indptr, indices, [source])

    kernels: dict[str, ModuleType] = {"python": _graph_py}
    try:
        from accelerators import _graph
    except ImportError:
        pass
    else:
        kernels["compiled"] = _graph

    results: dict[str, Any] = {}
    for name, kernel in kernels.items():

        def traverse(kernel: ModuleType = kernel) -> object:
            return kernel.reachable(indptr, indices, [source])

        seconds = best_seconds(traverse)
        key = "graph_ns_per_edge" if name == "compiled" else "graph_python_ns_per_edge"
        results[key] = round(seconds * 1e9 / examined, 2)

    digraph = nx.DiGraph()
    digraph.add_nodes_from(range(node_count))
    digraph.add_edges_from(edges)
    seconds = best_seconds(lambda: sum(1 for _ in nx.bfs_edges(digraph, source)))
    results["networkx_ns_per_edge"] = round(seconds * 1e9 / examined, 2)
    results.setdefault("graph_ns_per_edge", None)
    results["details"] = {"graph": {"source": source, "edges_examined": examined}}
    return results
