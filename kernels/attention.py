"""Softmax self-attention per head, forward and backward, for the residual-stack simulation.

Each task is one (sequence, head) pair: its score matrix (seq_len^2, 64 KB for 128 tokens in
float32) is built, turned into probabilities and used while it is still in cache, and its
products are single-threaded BLAS calls (``blas.gemm_rows``) that read the heads straight out of
the stacked projections: Q, K and V of head h are column blocks of the (tokens, 3 * width)
matrix ``u @ W_qkv^T`` (leading dimension 3 * width), and the head's output is written into its
column block of the (tokens, width) merged output. NumPy's batched ``matmul`` needs contiguous
per-head copies and ran these 128 x 128 x 64 products at 47 GFLOP/s on two threads.

The caller spreads the tasks over fastinit's threads with scipy's BLAS on one thread
(``fastinit._blas.threads(1)``).

Layouts (row-major, flat arrays): ``qkv`` (tokens, 3 * width), columns [Q | K | V], each
``heads`` blocks of ``d``; ``probs`` (batch, heads, t, t); ``out`` and ``grad_out`` (tokens,
width); ``grads`` like ``qkv``, receiving [dQ | dK | dV].
"""

import math

import numpy as np

from ._bits import f32_as_i32, i32_as_f32
from ._jit import FASTMATH, jit
from .blas import CHAR_N, CHAR_T, gemm_rows

# exp(x) = 2^n e^r, n = round(x / ln 2), |r| <= ln(2) / 2, in float32 so that a row's
# exponentials vectorize 16 to a register (Numba calls libm per value). ln 2 is split in two
# (Cody & Waite) so that r is exact; e^r is its Taylor polynomial to r^7 (truncation below
# 5e-9 relative, under float32's rounding); 2^n is built from its exponent bits, in two factors
# so that each stays a normal number. Below -87.3 the value is under float32's smallest normal
# number and is returned as 0; above 88.72 it overflows to inf.
_LOG2E = np.float32(1.4426950408889634)
_LN2_HI = np.float32(0.693359375)
_LN2_LO = np.float32(-2.12194440e-4)
_EXP_MIN = np.float32(-87.3)
_EXP_MAX = np.float32(88.72)
_HALF = np.float32(0.5)
_ZERO = np.float32(0.0)
_ONE = np.float32(1.0)
_INF = np.float32(np.inf)
_TAYLOR = tuple(np.float32(1.0 / math.factorial(i)) for i in range(8))


@jit(inline="always")
def _exp32(x):
    """e^x for a float32 ``x`` (NaN stays NaN)."""
    c0, c1, c2, c3, c4, c5, c6, c7 = _TAYLOR
    clamped = min(max(x, _EXP_MIN), _EXP_MAX)
    n = np.floor(clamped * _LOG2E + _HALF)
    r = (clamped - n * _LN2_HI) - n * _LN2_LO
    p = ((((((c7 * r + c6) * r + c5) * r + c4) * r + c3) * r + c2) * r + c1) * r + c0
    half = np.int32(n) >> 1
    rest = np.int32(n) - half
    value = p * i32_as_f32((half + 127) << 23) * i32_as_f32((rest + 127) << 23)
    if x < _EXP_MIN:
        value = _ZERO
    if x > _EXP_MAX:
        value = _INF
    if x != x:
        value = x
    return value


@jit(inline="always")
def _max32(row):
    """The largest of the float32 values ``row`` (NaN if any is NaN).

    A float compare-and-select reduction stays scalar (the fast-math flags here keep NaN), so
    the maximum is taken over integers that order like the floats: the bits of a negative
    value with all but the sign flipped. NaN orders above +inf.
    """
    top = -(1 << 31)
    for j in range(row.shape[0]):
        bits = f32_as_i32(np.float32(row[j]))  # a no-op on float32 rows, the only ones given
        key = bits ^ ((bits >> 31) & 0x7FFFFFFF)
        top = max(top, key)
    return i32_as_f32(top ^ ((top >> 31) & 0x7FFFFFFF))


@jit(fastmath=FASTMATH)
def _softmax_rows(s, t, single):
    """Each of the t rows of the t x t block ``s`` (scaled scores) becomes its softmax. Float32
    rows sum in float32: a float64 sum of float32 values converts each one, and took the row
    twice as long (1.24 against 0.61 ns per value)."""
    for i in range(t):
        row = s[i * t : (i + 1) * t]
        if single:
            top = _max32(row)
            total32 = _ZERO
            for j in range(t):
                e = _exp32(row[j] - top)
                row[j] = e
                total32 += e
            factor32 = _ONE / total32
            for j in range(t):
                row[j] *= factor32
        else:
            top = row[0]
            for j in range(1, t):
                if row[j] > top:
                    top = row[j]
            total = 0.0
            for j in range(t):
                e = math.exp(row[j] - top)
                row[j] = e
                total += e
            factor = 1.0 / total
            for j in range(t):
                row[j] *= factor


@jit(fastmath=FASTMATH)
def _softmax_backward_rows(ga, a, t, scale):
    """Through the softmax and the scale, in place: dL/dS = scale * A * (dL/dA - rowsum(dL/dA
    A)), row by row of the t x t blocks ``ga`` (dL/dA) and ``a`` (A), in their own float type
    (float32 rows in float32, as in :func:`_softmax_rows`)."""
    kind = ga.dtype.type
    scale_t = kind(scale)
    for i in range(t):
        grow = ga[i * t : (i + 1) * t]
        arow = a[i * t : (i + 1) * t]
        dot = kind(0.0)
        for j in range(t):
            dot += grow[j] * arow[j]
        for j in range(t):
            grow[j] = scale_t * arow[j] * (grow[j] - dot)


@jit(fastmath=FASTMATH)
def forward(qkv, probs, out, t, heads, d, scale, task_lo, task_hi):
    """Tasks ``task_lo..task_hi`` (task = sequence * heads + head): probs = softmax(scale Q K^T)
    per row, and the head's block of ``out`` = probs V."""
    n = heads * d
    ld = 3 * n
    single = probs.itemsize == 4
    for task in range(task_lo, task_hi):
        first = (task // heads) * t  # the sequence's first token
        col = (task % heads) * d
        q = qkv[first * ld + col :]
        a = probs[task * t * t : (task + 1) * t * t]
        gemm_rows(CHAR_N, CHAR_T, t, t, d, scale, q, ld, q[n:], ld, 0.0, a, t)
        _softmax_rows(a, t, single)
        gemm_rows(CHAR_N, CHAR_N, t, d, t, 1.0, a, t, q[2 * n :], ld, 0.0,
                  out[first * n + col :], n)  # fmt: skip


@jit(fastmath=FASTMATH)
def backward(qkv, probs, grad_out, grads, t, heads, d, scale, task_lo, task_hi):
    """Tasks as in :func:`forward`: from the gradient of the merged output, the gradients of
    the head's Q, K and V, written into their blocks of ``grads``."""
    n = heads * d
    ld = 3 * n
    ga = np.empty(t * t, probs.dtype)
    for task in range(task_lo, task_hi):
        first = (task // heads) * t
        col = (task % heads) * d
        q = qkv[first * ld + col :]
        a = probs[task * t * t : (task + 1) * t * t]
        go = grad_out[first * n + col :]
        g = grads[first * ld + col :]
        gemm_rows(CHAR_N, CHAR_T, t, t, d, 1.0, go, n, q[2 * n :], ld, 0.0, ga, t)  # dL/dA
        gemm_rows(CHAR_T, CHAR_N, t, d, t, 1.0, a, t, go, n, 0.0, g[2 * n :], ld)  # dL/dV
        _softmax_backward_rows(ga, a, t, scale)
        gemm_rows(CHAR_N, CHAR_N, t, d, t, 1.0, ga, t, q[n:], ld, 0.0, g, ld)  # dL/dQ
        gemm_rows(CHAR_T, CHAR_N, t, d, t, 1.0, ga, t, q, ld, 0.0, g[n:], ld)  # dL/dK
