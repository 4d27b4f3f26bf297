# cython: language_level=3
"""Compiled graph kernels of the engine; ``accelerators._graph_py`` is the reference twin."""

import numpy as np

from libc.stdint cimport int32_t, uint8_t


def build_csr(Py_ssize_t node_count, edges):
    """Build CSR arrays from ``(source, target)`` pairs, keeping each node's edge order."""
    if node_count < 0:
        raise ValueError("node_count must not be negative")
    pairs = list(edges)
    cdef Py_ssize_t edge_count = len(pairs)
    indptr_arr = np.zeros(node_count + 1, dtype=np.int32)
    indices_arr = np.zeros(edge_count, dtype=np.int32)
    sources_arr = np.zeros(edge_count, dtype=np.int32)
    targets_arr = np.zeros(edge_count, dtype=np.int32)
    cdef int32_t[::1] indptr = indptr_arr
    cdef int32_t[::1] indices = indices_arr
    cdef int32_t[::1] src = sources_arr
    cdef int32_t[::1] dst = targets_arr
    cdef Py_ssize_t i, s, t
    for i in range(edge_count):
        s, t = pairs[i]
        if not (0 <= s < node_count and 0 <= t < node_count):
            raise ValueError(f"edge ({s}, {t}) names a node outside 0..{node_count - 1}")
        src[i] = <int32_t>s
        dst[i] = <int32_t>t
        indptr[s + 1] += 1
    for i in range(node_count):
        indptr[i + 1] += indptr[i]
    fill_arr = indptr_arr[:-1].copy()
    cdef int32_t[::1] fill = fill_arr
    for i in range(edge_count):
        indices[fill[src[i]]] = dst[i]
        fill[src[i]] += 1
    return indptr_arr, indices_arr


cdef inline void _check_node(const int32_t[::1] indptr, Py_ssize_t node) except *:
    if not 0 <= node < indptr.shape[0] - 1:
        raise IndexError(f"node {node} is outside 0..{indptr.shape[0] - 2}")


def successors(const int32_t[::1] indptr, const int32_t[::1] indices, Py_ssize_t node):
    """The successors of ``node``, in edge order."""
    _check_node(indptr, node)
    cdef Py_ssize_t start = indptr[node], stop = indptr[node + 1], i
    result = [None] * (stop - start)
    for i in range(start, stop):
        result[i - start] = indices[i]
    return tuple(result)


cdef Py_ssize_t bfs_mark(const int32_t[::1] indptr, const int32_t[::1] indices,
                         int32_t[::1] queue, uint8_t[::1] seen, Py_ssize_t queued,
                         const uint8_t[::1] blocked, bint use_blocked) noexcept nogil:
    """Expand the first ``queued`` entries of ``queue`` breadth-first; return edges examined."""
    cdef Py_ssize_t head = 0, tail = queued, examined = 0, position
    cdef int32_t node, target
    while head < tail:
        node = queue[head]
        head += 1
        if use_blocked and blocked[node]:
            continue
        for position in range(indptr[node], indptr[node + 1]):
            examined += 1
            target = indices[position]
            if not seen[target]:
                seen[target] = 1
                queue[tail] = target
                tail += 1
    return examined


def reachable(const int32_t[::1] indptr, const int32_t[::1] indices, sources, blocked=None):
    """Breadth-first reachability from ``sources``.

    Returns a 0/1 array marking every node reached (sources included) and the number of edges
    examined. A node marked in ``blocked`` is reached but not expanded: tokens stop there.
    """
    cdef Py_ssize_t node_count = indptr.shape[0] - 1
    seen_arr = np.zeros(node_count, dtype=np.uint8)
    queue_arr = np.empty(max(node_count, 1), dtype=np.int32)
    cdef uint8_t[::1] seen = seen_arr
    cdef int32_t[::1] queue = queue_arr
    cdef const uint8_t[::1] blocked_view
    cdef bint use_blocked = blocked is not None
    if use_blocked:
        blocked_view = np.ascontiguousarray(blocked, dtype=np.uint8)
        if blocked_view.shape[0] != node_count:
            raise ValueError("blocked must have one entry per node")
    else:
        blocked_view = seen_arr[:0]
    cdef Py_ssize_t queued = 0, source
    for source in sources:
        _check_node(indptr, source)
        if not seen[source]:
            seen[source] = 1
            queue[queued] = <int32_t>source
            queued += 1
    cdef Py_ssize_t examined
    with nogil:
        examined = bfs_mark(indptr, indices, queue, seen, queued, blocked_view, use_blocked)
    return seen_arr, examined
