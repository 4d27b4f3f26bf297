# cython: language_level=3
"""Compiled graph kernels of the engine; ``accelerators._graph_py`` is the reference twin."""

import numpy as np

from libc.stdint cimport int32_t, int64_t, uint8_t, uint64_t


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


def join_enabled(const int32_t[::1] tokens, const int32_t[::1] flows):
    """True when every flow in ``flows`` holds a token (a parallel join can fire)."""
    cdef Py_ssize_t i
    if flows.shape[0] == 0:
        return False
    for i in range(flows.shape[0]):
        if not 0 <= flows[i] < tokens.shape[0]:
            raise IndexError(f"flow {flows[i]} is outside 0..{tokens.shape[0] - 1}")
        if tokens[flows[i]] <= 0:
            return False
    return True


def clear_flows(int32_t[::1] tokens, const int32_t[::1] flows):
    """Remove every token on ``flows`` (a cancellation set); return how many were removed."""
    cdef Py_ssize_t i
    cdef long long removed = 0
    for i in range(flows.shape[0]):
        if not 0 <= flows[i] < tokens.shape[0]:
            raise IndexError(f"flow {flows[i]} is outside 0..{tokens.shape[0] - 1}")
        removed += tokens[flows[i]]
        tokens[flows[i]] = 0
    return removed


def upstream_reaches(const int32_t[::1] indptr, const int32_t[::1] indices, sources,
                     Py_ssize_t blocked, targets):
    """The inclusive-join test: can a token at ``sources`` reach any of ``targets`` without
    passing through ``blocked``? Stops at the first target found."""
    cdef Py_ssize_t node_count = indptr.shape[0] - 1
    wanted_arr = np.zeros(node_count, dtype=np.uint8)
    seen_arr = np.zeros(node_count, dtype=np.uint8)
    queue_arr = np.empty(max(node_count, 1), dtype=np.int32)
    cdef uint8_t[::1] wanted = wanted_arr
    cdef uint8_t[::1] seen = seen_arr
    cdef int32_t[::1] queue = queue_arr
    cdef Py_ssize_t target, source, head = 0, tail = 0, position
    cdef int32_t node, successor
    for target in targets:
        _check_node(indptr, target)
        wanted[target] = 1
    for source in sources:
        _check_node(indptr, source)
        if not seen[source]:
            if wanted[source]:
                return True
            seen[source] = 1
            queue[tail] = <int32_t>source
            tail += 1
    with nogil:
        while head < tail:
            node = queue[head]
            head += 1
            if node == blocked:
                continue
            for position in range(indptr[node], indptr[node + 1]):
                successor = indices[position]
                if not seen[successor]:
                    if wanted[successor]:
                        with gil:
                            return True
                    seen[successor] = 1
                    queue[tail] = successor
                    tail += 1
    return False


# Node kinds understood by batch_fire (the twin defines the same constants).
PASS, CHOICE, SPLIT, JOIN, END = 0, 1, 2, 3, 4


cdef inline uint64_t _next_random(uint64_t state) noexcept nogil:
    state ^= state >> 12
    state ^= state << 25
    state ^= state >> 27
    return state


def batch_fire(const int32_t[::1] kind, const int32_t[::1] indptr, const int32_t[::1] indices,
               const double[::1] weights, const int32_t[::1] in_degree, Py_ssize_t start,
               Py_ssize_t runs, unsigned long long seed, Py_ssize_t max_steps):
    """Play ``runs`` token games on a graph for simulation (see the twin for the rules)."""
    cdef Py_ssize_t node_count = indptr.shape[0] - 1
    _check_node(indptr, start)
    if kind.shape[0] != node_count or in_degree.shape[0] != node_count:
        raise ValueError("kind and in_degree must have one entry per node")
    if weights.shape[0] != indices.shape[0]:
        raise ValueError("weights must have one entry per edge")
    visits_arr = np.zeros(node_count, dtype=np.int64)
    steps_arr = np.zeros(runs, dtype=np.int64)
    waiting_arr = np.zeros(node_count, dtype=np.int64)
    stack_arr = np.empty(max(max_steps * 2 + indices.shape[0] + 1, 1), dtype=np.int32)
    cdef int64_t[::1] visits = visits_arr
    cdef int64_t[::1] steps = steps_arr
    cdef int64_t[::1] waiting = waiting_arr
    cdef int32_t[::1] stack = stack_arr
    cdef Py_ssize_t capacity = stack.shape[0]
    cdef uint64_t state = seed * <uint64_t>2685821657736338717ULL + 1
    if state == 0:
        state = 1
    cdef Py_ssize_t run, depth, taken, first, last, position, pick
    cdef int32_t node, code
    cdef double draw, total, cumulative
    with nogil:
        for run in range(runs):
            waiting[:] = 0
            depth = 0
            stack[depth] = <int32_t>start
            depth += 1
            taken = 0
            while depth > 0 and taken < max_steps:
                depth -= 1
                node = stack[depth]
                taken += 1
                code = kind[node]
                if code == 3:
                    waiting[node] += 1
                    if waiting[node] < in_degree[node]:
                        continue
                    waiting[node] = 0
                visits[node] += 1
                first = indptr[node]
                last = indptr[node + 1]
                if code == 4 or first == last:
                    continue
                if code == 1:
                    state = _next_random(state)
                    draw = <double>(state * <uint64_t>2685821657736338717ULL) / 18446744073709551616.0
                    total = 0.0
                    for position in range(first, last):
                        total += weights[position]
                    pick = last - 1
                    cumulative = 0.0
                    for position in range(first, last):
                        cumulative += weights[position]
                        if draw * total < cumulative:
                            pick = position
                            break
                    if depth < capacity:
                        stack[depth] = indices[pick]
                        depth += 1
                else:
                    for position in range(last - 1, first - 1, -1):
                        if depth < capacity:
                            stack[depth] = indices[position]
                            depth += 1
            steps[run] = taken
    return visits_arr, steps_arr
