"""A process graph over integer node ids in CSR form, built on the accelerator kernels."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

import accelerators


@dataclass(frozen=True)
class ProcessGraph:
    """Nodes are named by element id outside and by dense integers inside the engine."""

    node_ids: tuple[str, ...]
    indptr: npt.NDArray[np.int32]
    indices: npt.NDArray[np.int32]
    index: dict[str, int] = field(repr=False)

    @classmethod
    def build(cls, node_ids: Sequence[str], flows: Iterable[tuple[str, str]]) -> ProcessGraph:
        """Build from element ids and ``(source id, target id)`` flows, keeping flow order."""
        index = {node_id: position for position, node_id in enumerate(node_ids)}
        if len(index) != len(node_ids):
            raise ValueError("node ids must be unique")
        edges = []
        for source, target in flows:
            if source not in index or target not in index:
                missing = source if source not in index else target
                raise ValueError(f"flow {source} -> {target} names unknown node {missing}")
            edges.append((index[source], index[target]))
        indptr, indices = accelerators.build_csr(len(node_ids), edges)
        return cls(tuple(node_ids), indptr, indices, index)

    def successors(self, node_id: str) -> tuple[str, ...]:
        targets = accelerators.successors(self.indptr, self.indices, self.index[node_id])
        return tuple(self.node_ids[target] for target in targets)

    def reachable_from(self, node_ids: Iterable[str]) -> frozenset[str]:
        """Every node a token placed on ``node_ids`` could ever reach (those nodes included)."""
        sources = [self.index[node_id] for node_id in node_ids]
        seen, _ = accelerators.reachable(self.indptr, self.indices, sources)
        return frozenset(self.node_ids[position] for position in np.flatnonzero(seen))
