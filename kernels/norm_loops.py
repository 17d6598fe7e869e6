"""The contiguous inner loops of the norm and clipping kernels (``kernels/norms.py``).

One small function per loop so that each vectorizes (the curated fastmath set lets the sums use
SIMD lanes); :func:`_apply` picks one for an operation and a norm kind that are constants at every
call, so a call compiles its own loop only.
"""

import numpy as np
from numba import literally, types
from numba.extending import overload

from ._jit import FASTMATH, jit

# operations of the visitor
OP_ACC = 0  # sum |x|^p (max |x| for p = inf) and the non-finite flag
OP_MAXABS = 1  # max |x| (finite inputs)
OP_SCALED = 2  # sum (|x| * c)^p
OP_SCALE = 3  # x *= c
OP_CLAMP = 4  # x = clip(x, -c, c), NaN kept

# norm kinds
P1, P2, PINF, PGEN = 0, 1, 2, 3


@jit(fastmath=FASTMATH)
def _acc_p1(x):
    s = 0.0
    z = 0.0
    for i in range(x.size):
        v = np.float64(x[i])
        s += abs(v)
        z += v * 0.0
    return s, z


@jit(fastmath=FASTMATH)
def _acc_p2(x):
    s = 0.0
    z = 0.0
    for i in range(x.size):
        v = np.float64(x[i])
        s += v * v
        z += v * 0.0
    return s, z


@jit(fastmath=FASTMATH)
def _acc_pgen(x, p):
    s = 0.0
    z = 0.0
    for i in range(x.size):
        v = np.float64(x[i])
        s += abs(v) ** p
        z += v * 0.0
    return s, z


@jit
def _acc_pinf(x):
    m = 0.0
    for i in range(x.size):
        a = abs(np.float64(x[i]))
        if a > m or a != a:  # NaN is sticky: nothing compares greater than it afterwards
            m = a
    return m, m * 0.0


@jit(fastmath=FASTMATH)
def _max_abs(x):
    m = 0.0
    for i in range(x.size):
        m = max(m, abs(np.float64(x[i])))
    return m


@jit(fastmath=FASTMATH)
def _acc_scaled(x, pk, p, c):
    s = 0.0
    if pk == P2:
        for i in range(x.size):
            v = np.float64(x[i]) * c
            s += v * v
    elif pk == P1:
        for i in range(x.size):
            s += abs(np.float64(x[i])) * c
    else:
        for i in range(x.size):
            s += (abs(np.float64(x[i])) * c) ** p
    return s


@jit(fastmath=FASTMATH)
def _scale(x, c):
    # the product in float64, rounded once to the array's type: a float32 coefficient would lose
    # digits when subnormal (1e-3 / 5e36 kept 1.6e-6 relative error), and costs one more rounding
    t = x.dtype.type
    for i in range(x.size):
        x[i] = t(np.float64(x[i]) * c)


@jit
def _clamp(x, c):
    hi = x.dtype.type(c)
    lo = -hi
    for i in range(x.size):
        v = x[i]
        v = hi if v > hi else v
        v = lo if v < lo else v
        x[i] = v


def _apply(x, op, pk, p, c):
    """One operation on a contiguous float32/float64 vector: (value, flag)."""
    raise NotImplementedError  # pragma: no cover (only the jitted overload is ever called)


@overload(_apply)
def _apply_loop(x, op, pk, p, c):
    # ``op`` and ``pk`` are constants at every call (``norm_tasks`` makes ``pk`` one), so each
    # call compiles the one loop it runs; a branch on them at run time compiled all eight
    if not isinstance(op, types.IntegerLiteral) or not isinstance(pk, types.IntegerLiteral):

        def constants_please(x, op, pk, p, c):
            literally(op)
            literally(pk)

        return constants_please
    operation, kind = op.literal_value, pk.literal_value
    if operation == OP_ACC and kind == PGEN:
        return lambda x, op, pk, p, c: _acc_pgen(x, p)
    if operation == OP_ACC:
        accumulate = {P1: _acc_p1, P2: _acc_p2, PINF: _acc_pinf}[kind]
        return lambda x, op, pk, p, c: accumulate(x)
    if operation == OP_MAXABS:
        return lambda x, op, pk, p, c: (_max_abs(x), 0.0)
    if operation == OP_SCALED:
        return lambda x, op, pk, p, c: (_acc_scaled(x, pk, p, c), 0.0)
    write = _scale if operation == OP_SCALE else _clamp

    def write_loop(x, op, pk, p, c):
        write(x, c)
        return 0.0, 0.0

    return write_loop
