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
