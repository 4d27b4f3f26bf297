from __future__ import annotations

import pytest

from processes.engine.graph import ProcessGraph


def test_graph_by_element_id() -> None:
    graph = ProcessGraph.build(
        ["Start", "Split", "A", "B", "Join", "End"],
        [
            ("Start", "Split"),
            ("Split", "A"),
            ("Split", "B"),
            ("A", "Join"),
            ("B", "Join"),
            ("Join", "End"),
        ],
    )
    assert graph.successors("Split") == ("A", "B")
    assert graph.successors("End") == ()
    assert graph.reachable_from(["B"]) == {"B", "Join", "End"}


def test_unknown_nodes_and_duplicates_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown node Nowhere"):
        ProcessGraph.build(["A"], [("A", "Nowhere")])
    with pytest.raises(ValueError, match="unique"):
        ProcessGraph.build(["A", "A"], [])
