from collections.abc import Iterable, Sequence

import numpy as np
import numpy.typing as npt

def build_csr(
    node_count: int, edges: Iterable[tuple[int, int]]
) -> tuple[npt.NDArray[np.int32], npt.NDArray[np.int32]]: ...
def successors(
    indptr: npt.NDArray[np.int32], indices: npt.NDArray[np.int32], node: int
) -> tuple[int, ...]: ...
def reachable(
    indptr: npt.NDArray[np.int32],
    indices: npt.NDArray[np.int32],
    sources: Sequence[int],
    blocked: npt.NDArray[np.uint8] | None = None,
) -> tuple[npt.NDArray[np.uint8], int]: ...
def join_enabled(tokens: npt.NDArray[np.int32], flows: npt.NDArray[np.int32]) -> bool: ...
def clear_flows(tokens: npt.NDArray[np.int32], flows: npt.NDArray[np.int32]) -> int: ...
def upstream_reaches(
    indptr: npt.NDArray[np.int32],
    indices: npt.NDArray[np.int32],
    sources: Sequence[int],
    blocked: int,
    targets: Sequence[int],
) -> bool: ...

PASS: int
CHOICE: int
SPLIT: int
JOIN: int
END: int

def batch_fire(
    kind: npt.NDArray[np.int32],
    indptr: npt.NDArray[np.int32],
    indices: npt.NDArray[np.int32],
    weights: npt.NDArray[np.float64],
    in_degree: npt.NDArray[np.int32],
    start: int,
    runs: int,
    seed: int,
    max_steps: int,
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]: ...
