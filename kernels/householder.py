"""Haar-random orthogonal matrices as products of Householder reflectors (no QR factorization).

The construction (Stewart 1980; Mezzadri 2007)
----------------------------------------------
Let x_j (j = 0 .. k-1) be independent standard Gaussian vectors of lengths m - j, and H_j the
Householder reflector acting on coordinates j .. m-1 that maps x_j to -s_j |x_j| e_j, with
s_j = sign(x_j[0]) (sign(0) = +1). Then, with d_j = -s_j,

    Y = H_0 H_1 ... H_{k-1} [diag(d); 0]        (m x k, m >= k)

has the distribution of the first k columns of a Haar orthogonal matrix: it is exactly what
Householder QR of an m x k Gaussian matrix returns after the R-diagonal sign fix (R_jj = -s_j |x_j|,
so the fix multiplies column j by sign(R_jj) = d_j), because by rotation invariance the trailing
columns seen by step j of the QR are again i.i.d. Gaussian and independent of the earlier steps.
The factorization itself (geqrf, (4/3)n^3 flops for a square matrix) is therefore skipped: only
the accumulation (orgqr, another (4/3)n^3) is left, half the work of QR-based samplers.

For a square matrix every H_j is a proper reflector (the 1 x 1 one is -1), so
det(Y) = prod_j (-1) d_j = prod_j s_j: the determinant is known before any arithmetic, and Haar
on SO(n) is one sign flip of column k-1 when that product is -1.

Each reflector is I - tau v v^T with v = x_j + s_j |x_j| e_0 (no cancellation) and
tau = 2 / (v^T v) computed in float64 from the stored v.

Accumulation
------------
Backward, like LAPACK's orgqr: Y starts as [diag(d); 0] and the reflectors are applied from the
last to the first, so that H_j only touches the trailing block Y[j:, j:].

* Blocked (large matrices): nb reflectors at a time in compact WY form,
  H_j0 ... H_j1-1 = I - V T V^T (Schreiber & Van Loan 1989), with T from S = V^T V (one GEMM)
  by the recurrence T[:i, i] = -tau_i T[:i, :i] S[:i, i]. The trailing update is two GEMMs and a
  small TRMM (W = V^T Y, W = T W, Y -= V W); the block's own columns are [D; 0] - V (T V_top^T D).
  About (4/3)n^3 flops for a square matrix, nearly all inside BLAS-3 calls.
* Unblocked (small matrices, batched): two reflectors per pass over a column-major scratch
  matrix (dot products and axpys on contiguous columns), matrices handed out to threads by the
  caller; the scratch is copied (transposed when needed) into the output slot.

BLAS
----
The blocked kernel calls scipy's BLAS through ``blas.py`` (in place, on strided sub-blocks).

Storage: every matrix is a 1-D buffer. ``row_major=False``: Y[r, c] at r + c*m (column-major);
``row_major=True``: Y[r, c] at c + r*k, i.e. column-major storage of Y^T. The Gaussian draws of
one matrix are packed: x_j starts at j*m - j*(j-1)/2.
"""

import numpy as np

from . import streams
from ._jit import FASTMATH, jit
from .blas import CHAR_L, CHAR_N, CHAR_R, CHAR_T, gemm, syrk_upper, trmm_upper

_STANDARD = (0.0, 1.0, 0.0, 0.0, 0.0, 0.0)  # normal stream parameters: mean 0, std 1


# ------------------------------------------------------------------------------ reflectors ---


@jit(inline="always")
def packed_size(m, k):
    """Number of Gaussian draws of one m x k matrix: (m) + (m-1) + ... + (m-k+1)."""
    return m * k - k * (k - 1) // 2


@jit(inline="always")
def _offset(j, m):
    return j * m - j * (j - 1) // 2


@jit(fastmath=FASTMATH)
def _sum_squares(x):
    acc = 0.0
    for i in range(x.size):
        acc += np.float64(x[i]) * np.float64(x[i])
    return acc


@jit(inline="always")
def _copy(src, dst):
    for i in range(src.size):
        dst[i] = src[i]


@jit(inline="always")
def _reflector(x, v):
    """Write v = x + s |x| e_0 into ``v``; return (tau, s) with s = sign(x[0]) (+1 for 0).

    tau = 2 / (v^T v) from the stored v; a zero x gives tau = 0 (H = I).
    """
    _copy(x, v)
    x0 = np.float64(x[0])
    s = 1.0 if x0 >= 0.0 else -1.0
    tail = _sum_squares(x[1:])
    norm = np.sqrt(tail + x0 * x0)
    if norm == 0.0:
        return 0.0, s
    v[0] = x0 + s * norm
    v0 = np.float64(v[0])
    return 2.0 / (tail + v0 * v0), s


@jit(inline="always")
def determinant_sign(packed, m, k):
    """det of the square (m == k) matrix built from ``packed``: the product of the signs s_j."""
    det = 1.0
    for j in range(k):
        if packed[_offset(j, m)] < 0:
            det = -det
    return det


@jit(inline="always")
def _column_signs(packed, m, k, gain, special, ds):
    """ds[j] = gain * d_j, with column k-1 flipped when ``special`` and det = -1."""
    for j in range(k):
        ds[j] = -gain if packed[_offset(j, m)] >= 0 else gain
    if special and determinant_sign(packed, m, k) < 0:
        ds[k - 1] = -ds[k - 1]


# -------------------------------------------------------------------------------- blocked ---


@jit
def _triangular_factor(s, t, taus, nbc, ld):
    """T (upper, column-major, leading dimension ld) of I - V T V^T from the upper triangle of
    S = V^T V: T[:i, i] = -tau_i T[:i, :i] S[:i, i], as column updates (contiguous, vectorized)."""
    for i in range(nbc):
        acc = t[i * ld : i * ld + i]
        _zero(acc)
        for col in range(i):
            _axpy(s[col + i * ld], t[col * ld : col * ld + col + 1], acc[: col + 1])
        _scaled(-taus[i], acc, acc)
        t[i + i * ld] = taus[i]


@jit(inline="always")
def _zero(x):
    for i in range(x.size):
        x[i] = 0


@jit
def orthogonal_blocked(y, packed, m, k, row_major, nb, gain, special):
    """Fill the m x k buffer ``y`` (m >= k >= 1) with H_0 ... H_{k-1} [gain D; 0], blocked WY.

    ``packed`` holds the packed Gaussian draws (:func:`packed_size`), ``nb`` is the block size.
    With ``special`` (square only), column k-1 is flipped when det would be -1.

    Per block j0 .. j1-1 (backward): Y[j0:, j0:j1] = [D; 0] and Y[j0:j1, j1:] = 0 are set, then
    W = V^T Y[j0:, j0:] (its first nbc columns are V_top^T D, no GEMM needed), W = T W and
    Y[j0:, j0:] -= V W in one GEMM.
    """
    dt = y.dtype
    nb = min(nb, k)
    panel = np.empty(m * nb, dt)
    work = np.empty(nb * k, dt)
    s = np.empty(nb * nb, dt)
    t = np.empty(nb * nb, dt)
    taus = np.empty(nb)
    ds = np.empty(k)
    _column_signs(packed, m, k, gain, special, ds)
    for blk in range((k + nb - 1) // nb - 1, -1, -1):
        j0 = blk * nb
        j1 = min(k, j0 + nb)
        nbc = j1 - j0
        r0 = m - j0
        r1 = m - j1
        c = k - j1
        wc = k - j0  # columns of W
        # the panel V (r0 x nbc, column-major): column l is v_{j0+l} below l zeros
        for l in range(nbc):
            j = j0 + l
            col = panel[l * r0 : (l + 1) * r0]
            _zero(col[:l])
            off = _offset(j, m)
            taus[l] = _reflector(packed[off : off + m - j], col[l:])[0]
        syrk_upper(nbc, r0, panel, r0, s, nb)
        _triangular_factor(s, t, taus, nbc, nb)
        if row_major:  # Y[r, c] at c + r*k: work on Z = Y^T (k x m, column-major), W^T
            for row in range(j0, j1):
                _zero(y[row * k + j0 : row * k + k])
            for row in range(j1, m):
                _zero(y[row * k + j0 : row * k + j1])
            for l in range(nbc):
                y[(j0 + l) * k + j0 + l] = ds[j0 + l]
                for i in range(l + 1):
                    work[l + i * wc] = panel[l + i * r0] * ds[j0 + l]
                for i in range(l + 1, nbc):
                    work[l + i * wc] = 0.0
            gemm(CHAR_N, CHAR_N, c, nbc, r1, 1.0, y[j1 + j1 * k :], k, panel[nbc:], r0, 0.0,
                 work[nbc:], wc)  # fmt: skip
            trmm_upper(CHAR_R, CHAR_T, wc, nbc, t, nb, work, wc)
            gemm(CHAR_N, CHAR_T, wc, r0, nbc, -1.0, work, wc, panel, r0, 1.0,
                 y[j0 + j0 * k :], k)  # fmt: skip
        else:
            for col in range(j0, j1):
                _zero(y[col * m + j0 : col * m + m])
                y[col * m + col] = ds[col]
            for col in range(j1, k):
                _zero(y[col * m + j0 : col * m + j1])
            for l in range(nbc):
                for i in range(l + 1):
                    work[i + l * nb] = panel[l + i * r0] * ds[j0 + l]
                for i in range(l + 1, nbc):
                    work[i + l * nb] = 0.0
            gemm(CHAR_T, CHAR_N, nbc, c, r1, 1.0, panel[nbc:], r0, y[j1 + j1 * m :], m, 0.0,
                 work[nbc * nb :], nb)  # fmt: skip
            trmm_upper(CHAR_L, CHAR_N, nbc, wc, t, nb, work, nb)
            gemm(CHAR_N, CHAR_N, r0, wc, nbc, -1.0, panel, r0, work, nb, 1.0,
                 y[j0 + j0 * m :], m)  # fmt: skip


# ------------------------------------------------------------------------------ unblocked ---


@jit(fastmath=FASTMATH)
def _axpy(alpha, x, y):
    for i in range(x.size):
        y[i] += alpha * x[i]


@jit(fastmath=FASTMATH)
def _scaled(alpha, x, y):
    for i in range(x.size):
        y[i] = alpha * x[i]


@jit(fastmath=FASTMATH)
def _dot(x, y):
    acc = x.dtype.type(0)
    for i in range(x.size):
        acc += x[i] * y[i]
    return acc


@jit(inline="always")
def _apply_one(y, m, j, col, tail, v0, tau):
    """Column ``col`` (> j, row j still zero) of the column-major Y <- H_j Y."""
    seg = y[col * m + j : col * m + m]
    acc = _dot(tail, seg[1:]) * tau
    seg[0] = -v0 * acc
    _axpy(-acc, tail, seg[1:])


@jit(fastmath=FASTMATH)
def _dot2(x1, x2, y):
    acc1 = x1.dtype.type(0)
    acc2 = x1.dtype.type(0)
    for i in range(y.size):
        acc1 += x1[i] * y[i]
        acc2 += x2[i] * y[i]
    return acc1, acc2


@jit(fastmath=FASTMATH)
def _axpy2(a1, x1, a2, x2, y):
    for i in range(y.size):
        y[i] += a1 * x1[i] + a2 * x2[i]


@jit(inline="always")
def _own_column(y, m, j, v, n, tau, d):
    """Column j of Y after H_j: d (e_j - tau v v0) on rows j.., given rows j.. were d e_j."""
    seg = y[j * m + j : j * m + m]
    seg[0] = d * (1 - tau * v[0] * v[0])
    _scaled(-d * tau * v[0], v[1:n], seg[1:])


@jit
def _unblocked_column_major(y, packed, m, k, ds, v, u):
    """Y (column-major m x k) = H_0 ... H_{k-1} [D; 0], two reflectors per pass over Y.

    For a pair (a, b = a + 1) and a trailing column c (rows a and b still zero), H_a H_b is
    applied in one read and one write of the column: p = vb[1:] . c[2:] and q = va[2:] . c[2:]
    in one loop, then wb = tau_b p, c_b = -vb0 wb, wa = tau_a (va1 c_b + q - wb g) with
    g = va[2:] . vb[1:], and c[2:] -= wb vb[1:] + wa va[2:] in one loop. Halving the passes
    halves the loop overheads that dominate on short columns (1024 matrices 64 x 64 float64 on
    one core: 54 ms -> 43 ms of arithmetic, plus 14 ms of normal draws).
    """
    dt = y.dtype.type
    va = v
    vb = u
    j = k - 1
    if k % 2 == 1:  # the last reflector alone
        n = m - j
        off = _offset(j, m)
        tau = dt(_reflector(packed[off : off + n], v[:n])[0])
        _own_column(y, m, j, v, n, tau, dt(ds[j]))
        j -= 1
    while j > 0:
        a = j - 1
        b = j
        na = m - a
        nb = m - b
        off = _offset(a, m)
        tau_a = dt(_reflector(packed[off : off + na], va[:na])[0])
        off = _offset(b, m)
        tau_b = dt(_reflector(packed[off : off + nb], vb[:nb])[0])
        va_tail2 = va[2:na]
        vb_tail = vb[1:nb]
        g = _dot(va_tail2, vb_tail)
        for col in range(b + 1, k):
            seg = y[col * m + a : col * m + m]
            p, q = _dot2(vb_tail, va_tail2, seg[2:])
            wb = tau_b * p
            cb = -vb[0] * wb
            wa = tau_a * (va[1] * cb + q - wb * g)
            seg[0] = -va[0] * wa
            seg[1] = cb - va[1] * wa
            _axpy2(-wb, vb_tail, -wa, va_tail2, seg[2:])
        # column b: H_b (d_b e_b), then H_a (its row a is zero); column a: H_a (d_a e_a)
        _own_column(y, m, b, vb, nb, tau_b, dt(ds[b]))
        y[b * m + a] = 0
        _apply_one(y, m, a, b, va[1:na], va[0], tau_a)
        _own_column(y, m, a, va, na, tau_a, dt(ds[a]))
        j -= 2


@jit
def _batched_chunk(y, first, last, m, k, row_major, gain, special, key):
    """Matrices first .. last-1 of the stack, each built column-major in a scratch matrix and
    copied (transposed when ``row_major``) into its slot."""
    dt = y.dtype
    size = m * k
    packed = np.empty(packed_size(m, k), dt)
    scratch = np.empty(size, dt)
    v = np.empty(m, dt)
    u = np.empty(m, dt)
    ds = np.empty(k)
    for b in range(first, last):
        tasks = streams.task_count(packed.size, b * size, packed.itemsize)
        streams.fill_normal(packed, b * size, key, _STANDARD, None, 0, tasks)
        _column_signs(packed, m, k, gain, special, ds)
        slot = y[b * size : (b + 1) * size]
        if row_major:
            _unblocked_column_major(scratch, packed, m, k, ds, v, u)
            for r in range(m):
                _copy(scratch[r::m], slot[r * k : (r + 1) * k])
        else:
            _unblocked_column_major(slot, packed, m, k, ds, v, u)


@jit
def orthogonal_batched(y, m, k, row_major, gain, special, key, first, last):
    """Matrices ``first .. last - 1`` of the contiguous stack ``y`` of m x k matrices
    (m >= k >= 1), unblocked; any split of the stack over threads gives the same bits.

    Matrix b draws the stream elements b*m*k .. b*m*k + packed_size(m, k) - 1 of ``key`` =
    (k0, k1, tag, ext).
    """
    _batched_chunk(y, first, last, m, k, row_major, gain, special, key)
