from libc.stdint cimport int32_t, uint8_t

cdef Py_ssize_t bfs_mark(const int32_t[::1] indptr, const int32_t[::1] indices,
                         int32_t[::1] queue, uint8_t[::1] seen, Py_ssize_t queued,
                         const uint8_t[::1] blocked, bint use_blocked) noexcept nogil
