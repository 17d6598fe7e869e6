"""Filled arrays for the kernels that allocate (the array table, the norms), through few types.

Numba compiles NumPy's ``zeros``, ``empty``, ``full`` and ``ones`` anew for every combination of
shape type and dtype spelling a kernel uses (``np.zeros(n)``, ``np.zeros(n, np.int64)``,
``np.zeros((n, 6))`` ... are different overloads), 40-150 ms each on the first call of a process,
with the zero-filling helpers on top. The first ``clip_grad_norm`` compiled a dozen of them;
allocating through these five helpers (an ``np.empty`` of one fixed spelling, then a plain loop)
compiles five at most.
"""

import numpy as np

from ._jit import jit


@jit(inline="always")
def full_i64(n, value):
    """A 1-d int64 array of ``n`` times ``value``."""
    out = np.empty(n, np.int64)
    for i in range(n):
        out[i] = value
    return out


@jit(inline="always")
def full_f64(n, value):
    """A 1-d float64 array of ``n`` times ``value``."""
    out = np.empty(n, np.float64)
    for i in range(n):
        out[i] = value
    return out


@jit(inline="always")
def full_bool(n, value):
    """A 1-d bool array of ``n`` times ``value``."""
    out = np.empty(n, np.bool_)
    for i in range(n):
        out[i] = value
    return out


@jit(inline="always")
def full_i64_2d(rows, cols, value):
    """A (rows, cols) int64 array filled with ``value``."""
    out = np.empty((rows, cols), np.int64)
    for i in range(rows):
        for j in range(cols):
            out[i, j] = value
    return out


@jit(inline="always")
def full_f64_2d(rows, cols, value):
    """A (rows, cols) float64 array filled with ``value``."""
    out = np.empty((rows, cols), np.float64)
    for i in range(rows):
        for j in range(cols):
            out[i, j] = value
    return out
