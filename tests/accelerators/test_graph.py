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
