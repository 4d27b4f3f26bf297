"""The compiled graph kernels against their pure-Python twin, on generated graphs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from types import ModuleType

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accelerators import _graph_py

_graph_compiled: ModuleType | None
try:
    from accelerators import _graph as _graph_compiled
except ImportError:  # pragma: no cover - the install step builds it
    _graph_compiled = None

IMPLEMENTATIONS = [
    pytest.param(_graph_py, id="python"),
    pytest.param(
        _graph_compiled,
        id="compiled",
        marks=pytest.mark.skipif(
            _graph_compiled is None and not os.environ.get("CI"),
            reason="the Cython extension is not built",
        ),
    ),
]


@st.composite
def graphs(draw: st.DrawFn) -> tuple[int, list[tuple[int, int]]]:
    node_count = draw(st.integers(min_value=1, max_value=40))
    node = st.integers(min_value=0, max_value=node_count - 1)
    edges = draw(st.lists(st.tuples(node, node), max_size=120))
    return node_count, edges


def test_compiled_extension_is_built() -> None:
    assert _graph_compiled is not None, "pip install should have built accelerators._graph"


@pytest.mark.parametrize("impl", IMPLEMENTATIONS)
def test_successors_keep_edge_order(impl: ModuleType) -> None:
    indptr, indices = impl.build_csr(4, [(0, 2), (0, 1), (1, 3), (0, 3), (2, 3)])
    assert indptr.dtype == np.int32
    assert impl.successors(indptr, indices, 0) == (2, 1, 3)
    assert impl.successors(indptr, indices, 3) == ()


@pytest.mark.parametrize("impl", IMPLEMENTATIONS)
def test_bad_input_is_refused(impl: ModuleType) -> None:
    with pytest.raises(ValueError, match="outside"):
        impl.build_csr(2, [(0, 2)])
    with pytest.raises(ValueError, match="negative"):
        impl.build_csr(-1, [])
    indptr, indices = impl.build_csr(2, [(0, 1)])
    with pytest.raises(IndexError):
        impl.successors(indptr, indices, 2)
    with pytest.raises(IndexError):
        impl.reachable(indptr, indices, [5])
    with pytest.raises(ValueError, match="one entry per node"):
        impl.reachable(indptr, indices, [0], np.zeros(3, dtype=np.uint8))


@pytest.mark.parametrize("impl", IMPLEMENTATIONS)
def test_reachable_stops_at_blocked_nodes(impl: ModuleType) -> None:
    # 0 -> 1 -> 2 -> 3, 0 -> 4
    indptr, indices = impl.build_csr(5, [(0, 1), (1, 2), (2, 3), (0, 4)])
    seen, examined = impl.reachable(indptr, indices, [0])
    assert seen.tolist() == [1, 1, 1, 1, 1]
    assert examined == 4
    blocked = np.array([0, 0, 1, 0, 0], dtype=np.uint8)
    seen, examined = impl.reachable(indptr, indices, [0], blocked)
    assert seen.tolist() == [1, 1, 1, 0, 1]
    assert examined == 3


@settings(max_examples=200, deadline=None)
@given(graph=graphs(), data=st.data())
def test_compiled_matches_the_twin(
    graph: tuple[int, list[tuple[int, int]]], data: st.DataObject
) -> None:
    if _graph_compiled is None:
        pytest.skip("the Cython extension is not built")
    node_count, edges = graph
    py_indptr, py_indices = _graph_py.build_csr(node_count, edges)
    c_indptr, c_indices = _graph_compiled.build_csr(node_count, edges)
    assert py_indptr.tolist() == c_indptr.tolist()
    assert py_indices.tolist() == c_indices.tolist()
    for node in range(node_count):
        assert _graph_py.successors(py_indptr, py_indices, node) == _graph_compiled.successors(
            c_indptr, c_indices, node
        )
    some_node = st.integers(min_value=0, max_value=node_count - 1)
    sources = data.draw(st.lists(some_node, min_size=1, max_size=4))
    blocked_list = data.draw(st.lists(st.booleans(), min_size=node_count, max_size=node_count))
    blocked = np.array(blocked_list, dtype=np.uint8)
    for mask in (None, blocked):
        py_seen, py_examined = _graph_py.reachable(py_indptr, py_indices, sources, mask)
        c_seen, c_examined = _graph_compiled.reachable(c_indptr, c_indices, sources, mask)
        assert py_seen.tolist() == c_seen.tolist()
        assert py_examined == c_examined


def _selected(env_value: str | None) -> dict[str, object]:
    env = {k: v for k, v in os.environ.items() if k != "ITINERA_PUREPYTHON"}
    if env_value is not None:
        env["ITINERA_PUREPYTHON"] = env_value
    code = (
        "import json, accelerators; "
        "print(json.dumps({'impl': accelerators.IMPLEMENTATION, "
        "'module': accelerators.successors.__module__}))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    return dict(json.loads(out.stdout))


def test_compiled_kernels_are_used_by_default() -> None:
    assert _selected(None) == {"impl": "compiled", "module": "accelerators._graph"}


def test_purepython_switch_selects_the_twin() -> None:
    assert _selected("1") == {"impl": "python", "module": "accelerators._graph_py"}


@settings(max_examples=150, deadline=None)
@given(graph=graphs(), data=st.data())
def test_upstream_reaches_matches_the_twin_and_reachable(
    graph: tuple[int, list[tuple[int, int]]], data: st.DataObject
) -> None:
    if _graph_compiled is None:
        pytest.skip("the Cython extension is not built")
    node_count, edges = graph
    indptr, indices = _graph_py.build_csr(node_count, edges)
    node = st.integers(min_value=0, max_value=node_count - 1)
    sources = data.draw(st.lists(node, max_size=4))
    targets = data.draw(st.lists(node, max_size=4))
    blocked = data.draw(node)
    expected = _graph_py.upstream_reaches(indptr, indices, sources, blocked, targets)
    assert _graph_compiled.upstream_reaches(indptr, indices, sources, blocked, targets) is expected
    mask = np.zeros(node_count, dtype=np.uint8)
    mask[blocked] = 1
    seen, _ = _graph_py.reachable(indptr, indices, sources, mask) if sources else (mask * 0, 0)
    assert expected == any(seen[t] for t in targets)


@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_token_operations_match_the_twin(data: st.DataObject) -> None:
    if _graph_compiled is None:
        pytest.skip("the Cython extension is not built")
    flow_count = data.draw(st.integers(min_value=1, max_value=12))
    flow = st.integers(min_value=0, max_value=flow_count - 1)
    flows = st.lists(flow, max_size=5).map(lambda f: np.array(f, dtype=np.int32))
    operations = data.draw(
        st.lists(st.tuples(st.sampled_from(["add", "clear", "join"]), flow, flows), max_size=30)
    )
    twin = np.zeros(flow_count, dtype=np.int32)
    compiled = np.zeros(flow_count, dtype=np.int32)
    for operation, one, several in operations:
        if operation == "add":
            twin[one] += 1
            compiled[one] += 1
        elif operation == "clear":
            assert _graph_py.clear_flows(twin, several) == _graph_compiled.clear_flows(
                compiled, several
            )
        else:
            assert _graph_py.join_enabled(twin, several) is _graph_compiled.join_enabled(
                compiled, several
            )
        assert twin.tolist() == compiled.tolist()


@pytest.mark.parametrize("impl", IMPLEMENTATIONS)
def test_token_operations_refuse_unknown_flows(impl: ModuleType) -> None:
    tokens = np.zeros(2, dtype=np.int32)
    with pytest.raises(IndexError):
        impl.join_enabled(tokens, np.array([2], dtype=np.int32))
    with pytest.raises(IndexError):
        impl.clear_flows(tokens, np.array([5], dtype=np.int32))
    assert impl.join_enabled(tokens, np.array([], dtype=np.int32)) is False


@st.composite
def token_games(draw: st.DrawFn) -> dict[str, object]:
    node_count, edges = draw(graphs())
    indptr, indices = _graph_py.build_csr(node_count, edges)
    kinds = draw(st.lists(st.integers(0, 4), min_size=node_count, max_size=node_count))
    weights = draw(st.lists(st.floats(0.0, 10.0), min_size=len(indices), max_size=len(indices)))
    degrees = draw(st.lists(st.integers(0, 3), min_size=node_count, max_size=node_count))
    return {
        "kind": np.array(kinds, dtype=np.int32),
        "indptr": indptr,
        "indices": indices,
        "weights": np.array(weights, dtype=np.float64),
        "in_degree": np.array(degrees, dtype=np.int32),
        "start": draw(st.integers(0, node_count - 1)),
        "runs": draw(st.integers(1, 20)),
        "seed": draw(st.integers(0, 2**64 - 1)),
        "max_steps": draw(st.integers(1, 60)),
    }


@settings(max_examples=150, deadline=None)
@given(game=token_games())
def test_batch_fire_matches_the_twin(game: dict[str, object]) -> None:
    if _graph_compiled is None:
        pytest.skip("the Cython extension is not built")
    py_visits, py_steps = _graph_py.batch_fire(**game)
    c_visits, c_steps = _graph_compiled.batch_fire(**game)
    assert py_visits.tolist() == c_visits.tolist()
    assert py_steps.tolist() == c_steps.tolist()


@pytest.mark.parametrize("impl", IMPLEMENTATIONS)
def test_batch_fire_follows_branch_weights(impl: ModuleType) -> None:
    # start -> choice -> (a: weight 1 | b: weight 3) -> join(1) -> end
    indptr, indices = impl.build_csr(6, [(0, 1), (1, 2), (1, 3), (2, 4), (3, 4), (4, 5)])
    kind = np.array([0, 1, 0, 0, 3, 4], dtype=np.int32)
    weights = np.array([1, 1, 3, 1, 1, 1], dtype=np.float64)
    degree = np.array([0, 1, 1, 1, 1, 1], dtype=np.int32)
    visits, steps = impl.batch_fire(kind, indptr, indices, weights, degree, 0, 4000, 11, 50)
    assert visits[0] == visits[1] == visits[4] == visits[5] == 4000
    assert visits[2] + visits[3] == 4000
    assert 0.7 < visits[3] / 4000 < 0.8
    assert steps.tolist() == [5] * 4000
