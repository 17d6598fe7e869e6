"""The contiguous inner loops of the norm and clipping kernels (``kernels/norms.py``).

One small function per loop so that each vectorizes (the curated fastmath set lets the sums use
SIMD lanes); :func:`_apply` picks one for an operation and a norm kind that are constants at every
call, so a call compiles its own loop only. The 16-bit kinds (float16, bfloat16) are loaded into
a float32 buffer and stored back from it by :func:`load16` and :func:`store16`; bfloat16 is
scaled by :func:`scale_bf16` in one loop instead, each product rounded once.
"""

import numpy as np
from numba import carray, literally, types
from numba.extending import overload

from ._bits import f32_as_i32, f32_to_half, half_to_f32, i32_as_f32
from ._jit import FASTMATH, jit
from .array_table import ptr_u16

# operations of the visitor
OP_ACC = 0  # sum |x|^p (max |x| for p = inf) and the non-finite flag
OP_MAXABS = 1  # max |x| (finite inputs)
OP_SCALED = 2  # sum (|x| * c)^p
OP_SCALE = 3  # x *= c
OP_CLAMP = 4  # x = clip(x, -c, c), NaN kept
OP_COUNT = 5  # as OP_ACC, but the flag is the number of NaN and inf elements

# norm kinds
P1, P2, PINF, PGEN = 0, 1, 2, 3


# The loops taken with the curated fastmath set are the implementations of :func:`_apply`'s
# overload themselves (its jit options carry the set): one compiled function per loop, where a
# wrapper calling a jitted loop cost two (about 50 ms more per loop on a first call). They take
# _apply's arguments, used or not. The NaN-sticky maxima and the clamp compare elements and must
# not be reassociated: they stay jitted functions of their own, without fastmath.


def _acc_p1(x, op, pk, p, c):
    s = 0.0
    z = 0.0
    for i in range(x.size):
        v = np.float64(x[i])
        s += abs(v)
        z += v * 0.0
    return s, z


def _acc_p2(x, op, pk, p, c):
    s = 0.0
    z = 0.0
    for i in range(x.size):
        v = np.float64(x[i])
        s += v * v
        z += v * 0.0
    return s, z


def _acc_pgen(x, op, pk, p, c):
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


def _count_pow(x, op, pk, p, c):
    # ``v * 0.0`` is NaN exactly for NaN and inf (nnan and ninf are off, so it is not folded)
    s = 0.0
    z = 0.0
    if pk == P2:
        for i in range(x.size):
            v = np.float64(x[i])
            s += v * v
            z += 1.0 if v * 0.0 != 0.0 else 0.0
    elif pk == P1:
        for i in range(x.size):
            v = np.float64(x[i])
            s += abs(v)
            z += 1.0 if v * 0.0 != 0.0 else 0.0
    else:
        for i in range(x.size):
            v = np.float64(x[i])
            s += abs(v) ** p
            z += 1.0 if v * 0.0 != 0.0 else 0.0
    return s, z


@jit
def _count_pinf(x):
    m = 0.0
    z = 0.0
    for i in range(x.size):
        a = abs(np.float64(x[i]))
        if a > m or a != a:
            m = a
        z += 1.0 if a * 0.0 != 0.0 else 0.0
    return m, z


def _max_abs(x, op, pk, p, c):
    m = 0.0
    for i in range(x.size):
        m = max(m, abs(np.float64(x[i])))
    return m, 0.0


def _acc_scaled(x, op, pk, p, c):
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
    return s, 0.0


def _scale(x, op, pk, p, c):
    # the product in float64, rounded once to the array's type: a float32 coefficient would lose
    # digits when subnormal (1e-3 / 5e36 kept 1.6e-6 relative error), and costs one more rounding
    t = x.dtype.type
    for i in range(x.size):
        x[i] = t(np.float64(x[i]) * c)
    return 0.0, 0.0


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


@overload(_apply, jit_options={"fastmath": set(FASTMATH)})
def _apply_loop(x, op, pk, p, c):
    # ``op`` and ``pk`` are constants at every call (``norm_tasks`` makes ``pk`` one), so each
    # call compiles the one loop it runs; a branch on them at run time compiled all eight
    if not isinstance(op, types.IntegerLiteral) or not isinstance(pk, types.IntegerLiteral):

        def constants_please(x, op, pk, p, c):
            literally(op)
            literally(pk)

        return constants_please
    operation, kind = op.literal_value, pk.literal_value
    if operation == OP_COUNT and kind == PINF:
        return lambda x, op, pk, p, c: _count_pinf(x)
    if operation == OP_COUNT:
        return _count_pow
    if operation == OP_ACC and kind == PINF:
        return lambda x, op, pk, p, c: _acc_pinf(x)
    if operation == OP_ACC:
        return {P1: _acc_p1, P2: _acc_p2, PGEN: _acc_pgen}[kind]
    if operation == OP_MAXABS:
        return _max_abs
    if operation == OP_SCALED:
        return _acc_scaled
    if operation == OP_SCALE:
        return _scale

    def clamp_loop(x, op, pk, p, c):
        _clamp(x, c)
        return 0.0, 0.0

    return clamp_loop


# ------------------------------------------------------------------ 16-bit floats, via float32 ---
@jit(inline="always")
def bf16_to_f32(h):
    """bfloat16 bits -> float32 (exact: a bfloat16 is the upper half of a float32)."""
    return i32_as_f32(np.uint32(h) << np.uint32(16))


@jit(inline="always")
def f32_to_bf16(f):
    """float32 -> bfloat16 bits, rounded to nearest even (overflow gives inf; NaN stays a quiet
    NaN, its sign kept)."""
    b = np.uint32(f32_as_i32(f))
    if (b & np.uint32(0x7FFFFFFF)) > np.uint32(0x7F800000):
        return np.uint16((b >> np.uint32(16)) | np.uint32(0x40))
    odd = (b >> np.uint32(16)) & np.uint32(1)
    return np.uint16((b + np.uint32(0x7FFF) + odd) >> np.uint32(16))


@jit(inline="always")
def load16(buf, addr, m, stride, brain):
    """``buf[:m]`` = the float32 values of ``m`` float16 (bfloat16 when ``brain``) elements at
    ``addr``, ``stride`` bytes apart. The contiguous loops are separate so that they vectorize."""
    if stride == 2:
        src = carray(ptr_u16(addr), m)
        if brain:
            for i in range(m):
                buf[i] = bf16_to_f32(src[i])
        else:
            for i in range(m):
                buf[i] = half_to_f32(src[i])
    elif brain:
        for i in range(m):
            buf[i] = bf16_to_f32(ptr_u16(addr + i * stride)[0])
    else:
        for i in range(m):
            buf[i] = half_to_f32(ptr_u16(addr + i * stride)[0])


@jit(inline="always")
def store16(buf, addr, m, stride, brain):
    """The inverse of :func:`load16`: ``buf[:m]`` rounded to nearest even and stored."""
    if stride == 2:
        dst = carray(ptr_u16(addr), m)
        if brain:
            for i in range(m):
                dst[i] = f32_to_bf16(buf[i])
        else:
            for i in range(m):
                dst[i] = f32_to_half(buf[i])
    elif brain:
        for i in range(m):
            ptr_u16(addr + i * stride)[0] = f32_to_bf16(buf[i])
    else:
        for i in range(m):
            ptr_u16(addr + i * stride)[0] = f32_to_half(buf[i])


@jit(inline="always")
def _times_bf16(h, c):
    """The bfloat16 bits of ``bfloat16(h) * c`` rounded once: the float64 product, rounded to
    odd in float32 (the float32 toward zero, its last bit set when inexact), then to nearest even
    in bfloat16, which is the float64 product's own nearest bfloat16 (float32 keeps more than
    two extra bits)."""
    y = np.float64(bf16_to_f32(h)) * c
    f = np.float32(y)
    b = f32_as_i32(f)
    if np.float64(f) != y:
        if abs(np.float64(f)) > abs(y):
            b -= 1  # the bits of a float's magnitude are ordered: one step toward zero
        b |= 1
    return f32_to_bf16(i32_as_f32(b))


@jit
def scale_bf16(addr, n, stride, c):
    """Scale ``n`` bfloat16 elements at ``addr``, ``stride`` bytes apart, by ``c`` in place, in
    one loop (no float32 buffer), each product rounded once."""
    if stride == 2:
        x = carray(ptr_u16(addr), n)
        for i in range(n):
            x[i] = _times_bf16(x[i], c)
    else:
        for i in range(n):
            q = ptr_u16(addr + i * stride)
            q[0] = _times_bf16(q[0], c)
