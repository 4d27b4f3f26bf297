"""Hot graph kernels of the engine: a compiled Cython module and its pure-Python twin.

The compiled module is used unless ``ITINERA_PUREPYTHON=1`` is set or it was not built; both
expose the same functions with the same results, and the test suite runs against both.
"""

from __future__ import annotations

import os
from types import ModuleType

from accelerators import _graph_py


def _select() -> tuple[ModuleType, str, bool]:
    try:
        from accelerators import _graph  # type: ignore[attr-defined,unused-ignore]
    except ImportError:
        compiled: ModuleType | None = None
    else:
        compiled = _graph
    if os.environ.get("ITINERA_PUREPYTHON", "") not in ("", "0") or compiled is None:
        return _graph_py, "python", compiled is not None
    return compiled, "compiled", True


_impl, IMPLEMENTATION, COMPILED_AVAILABLE = _select()

build_csr = _impl.build_csr
successors = _impl.successors
reachable = _impl.reachable
upstream_reaches = _impl.upstream_reaches
join_enabled = _impl.join_enabled
clear_flows = _impl.clear_flows
batch_fire = _impl.batch_fire

__all__ = [
    "COMPILED_AVAILABLE",
    "IMPLEMENTATION",
    "batch_fire",
    "build_csr",
    "clear_flows",
    "join_enabled",
    "reachable",
    "successors",
    "upstream_reaches",
]
