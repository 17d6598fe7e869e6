"""One run of one array for the norm and clipping kernels: :func:`visit` applies an operation to
a flat range of an array described in the array table (``kernels/array_table.py``), contiguous
runs in place and the others through a small buffer. The kernels of ``norms.py`` and ``agc.py``
split their work into such ranges."""

import numpy as np
from numba import carray

from ._jit import jit
from .array_table import (
    BF16,
    COL_ADDR,
    COL_DOFF,
    COL_KIND,
    COL_NDIM,
    F16,
    F32,
    F64,
    ptr_f32,
    ptr_f64,
)
from .norm_loops import (
    OP_ACC,
    OP_COUNT,
    OP_MAXABS,
    OP_SCALE,
    PINF,
    _apply,
    load16,
    scale_bf16,
    store16,
)

_BLOCK = 512  # gather buffer for strided and float16 runs


@jit(inline="always")
def _is_max_op(op, pk):
    return op == OP_MAXABS or ((op == OP_ACC or op == OP_COUNT) and pk == PINF)


@jit(inline="always")
def _merge(a, b, as_max):
    if as_max:
        return a if (a >= b or a != a) else b
    return a + b


# --------------------------------------------------------------------------------- one run ---
# Runs that are not contiguous float32/float64 (strided, or float16 to convert) are gathered
# _BLOCK elements at a time into a buffer, processed there and, for writes, scattered back. Two
# functions rather than one over the buffer's type: each compiles only when a table holds such a
# run (visit passes None for the paths it lacks), and the float32 one also converts 16-bit floats.
@jit
def _gather_f64(addr, n, stride, op, pk, p, c):
    as_max = _is_max_op(op, pk)
    buf = np.empty(min(n, _BLOCK), np.float64)
    s = 0.0
    z = 0.0
    for start in range(0, n, _BLOCK):
        m = min(_BLOCK, n - start)
        b = buf[:m]
        base = addr + start * stride
        for i in range(m):
            b[i] = ptr_f64(base + i * stride)[0]
        s1, z1 = _apply(b, op, pk, p, c)
        s = _merge(s, s1, as_max)
        z += z1
        if op >= OP_SCALE:
            for i in range(m):
                ptr_f64(base + i * stride)[0] = b[i]
    return s, z


@jit
def _gather_f32(addr, n, stride, kind, op, pk, p, c):
    if op == OP_SCALE and kind == BF16:  # fused, and rounded once (see scale_bf16)
        scale_bf16(addr, n, stride, c)
        return 0.0, 0.0
    as_max = _is_max_op(op, pk)
    buf = np.empty(min(n, _BLOCK), np.float32)
    s = 0.0
    z = 0.0
    for start in range(0, n, _BLOCK):
        m = min(_BLOCK, n - start)
        b = buf[:m]
        base = addr + start * stride
        if kind == F32:
            for i in range(m):
                b[i] = ptr_f32(base + i * stride)[0]
        else:
            load16(b, base, m, stride, kind == BF16)
        s1, z1 = _apply(b, op, pk, p, c)
        s = _merge(s, s1, as_max)
        z += z1
        if op >= OP_SCALE:
            if kind == F32:
                for i in range(m):
                    ptr_f32(base + i * stride)[0] = b[i]
            else:
                store16(b, base, m, stride, kind == BF16)
    return s, z


@jit
def visit(table, cshape, cstride, a, lo, hi, op, pk, p, c, f16, f64, gather):
    """Apply ``op`` to elements ``lo:hi`` (flat C order) of array ``a``: (value, flag).

    ``f16``, ``f64`` and ``gather`` are None when the table holds no float16 or bfloat16 array,
    no float64 array, no float32/float64 array whose innermost axis is strided: the code for
    those is then not compiled (every entry point passes them on)."""
    addr = table[a, COL_ADDR]
    kind = table[a, COL_KIND]
    nd = table[a, COL_NDIM]
    off = table[a, COL_DOFF]
    as_max = _is_max_op(op, pk)
    length = cshape[off + nd - 1]
    step = cstride[off + nd - 1]
    s = 0.0
    z = 0.0
    k = lo
    while k < hi:
        row = k // length
        col = k - row * length
        m = min(length - col, hi - k)
        base = addr + col * step
        r = row
        for d in range(nd - 2, -1, -1):  # the row's multi-index, innermost first
            q = r // cshape[off + d]
            base += (r - q * cshape[off + d]) * cstride[off + d]
            r = q
        s1 = z1 = 0.0
        if kind == F64:
            if f64 is not None:
                if gather is not None and step != 8:
                    s1, z1 = _gather_f64(base, m, step, op, pk, p, c)
                else:
                    s1, z1 = _apply(carray(ptr_f64(base), m), op, pk, p, c)
        elif kind == F16 or kind == BF16:
            if f16 is not None:
                s1, z1 = _gather_f32(base, m, step, kind, op, pk, p, c)
        elif gather is not None and step != 4:
            s1, z1 = _gather_f32(base, m, step, F32, op, pk, p, c)
        else:
            s1, z1 = _apply(carray(ptr_f32(base), m), op, pk, p, c)
        s = _merge(s, s1, as_max)
        z += z1
        k += m
    return s, z
