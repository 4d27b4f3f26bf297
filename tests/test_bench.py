from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench import graph_kernels, run


def test_peer_graph_is_the_agreed_one() -> None:
    node_count, edges = graph_kernels.peer_graph()
    assert node_count == 1_000
    assert len(set(edges)) == 3_000
    assert all(a < b for a, b in edges)


def test_bench_writes_results(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(graph_kernels, "REPEATS", 1)
    monkeypatch.setattr(graph_kernels, "TRAVERSALS", 2)
    out = tmp_path / "latest.json"
    assert run.main(["--only", "graph", "--json", str(out)]) == 0
    report = json.loads(out.read_text())
    assert report["graph_ns_per_edge"] > 0
    assert report["networkx_ns_per_edge"] > 0
    assert report["details"]["graph"]["edges_examined"] > 0


def test_engine_benchmark_runs_both_shapes_to_completion() -> None:
    from bench import engine_core

    for shape in ("seq10", "par10"):
        figures = engine_core.measure_shape(shape, seconds=0.0, batch=2)
        assert figures["us_per_completion"] > 0
        assert figures["instances"] >= 6
