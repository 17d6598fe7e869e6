"""Filled arrays for the kernels that allocate (the array table, the norms), through one spelling.

Numba compiles NumPy's ``zeros``, ``empty``, ``full`` and ``ones`` anew for every combination of
shape type and dtype spelling a kernel uses (``np.zeros(n)``, ``np.zeros(n, np.int64)``,
``np.zeros((n, 6))`` ... are different overloads), 40-150 ms each on the first call of a process,
with the zero-filling helpers on top. The first ``clip_grad_norm`` compiled a dozen of them;
through these helpers (a 1-d ``np.empty`` of the dtype, a plain loop, a reshape for 2-d) it
compiles one per dtype.
"""

import numpy as np

from ._jit import jit


@jit(inline="always")
def full(n, value, dtype):
    """A 1-d array of ``n`` times ``value``, of the NumPy scalar type ``dtype``."""
    out = np.empty(n, dtype)
    for i in range(n):
        out[i] = value
    return out


@jit(inline="always")
def full_2d(rows, cols, value, dtype):
    """A (rows, cols) C-ordered array filled with ``value``."""
    return full(rows * cols, value, dtype).reshape((rows, cols))
