"""One pass of regression moments per output column, mergeable (Chan et al.) across chunks.

For targets ``t``, predictions ``p``, residuals ``e = t - p`` and weights ``w`` (1 when None),
:func:`column_moments` returns, per column, the vector indexed by the constants below:
total weight, weighted mean and centred sum of squares (M2) of ``t`` and of ``e``, the weighted
sums of ``e^2``, ``|e|`` and ``|e| / max(|t|, eps)``, and ``max |e|``.

Why blocks and not Welford per element: each block of :data:`BLOCK` values is read twice from L1
(sums, then squares about the block mean), which vectorizes and needs no division per element;
blocks are combined with Chan's pairwise update. Centring per block keeps M2 exact for targets
with a large mean (y ~ 1e6 + noise), where the sum-of-squares formula loses every digit.
"""

import numpy as np
from numba import prange

from ._jit import FASTMATH, jit

W, MEAN_T, M2_T, MEAN_E, M2_E, SSE, SAE, SAPE, MAX_E = range(9)
N_STATS = 9
SQUARED_ONLY, SQUARES, FULL = 0, 1, 2
BLOCK = 1024
EPS = np.finfo(np.float64).eps


@jit(inline="always")
def merge_into(a, b):
    """Merge the statistics vector ``b`` into ``a`` (both length :data:`N_STATS`)."""
    wa = a[W]
    wb = b[W]
    n = wa + wb
    if wb != 0.0:
        if wa == 0.0:
            a[MEAN_T] = b[MEAN_T]
            a[MEAN_E] = b[MEAN_E]
            a[M2_T] += b[M2_T]
            a[M2_E] += b[M2_E]
        else:
            f = wb / n
            dt = b[MEAN_T] - a[MEAN_T]
            de = b[MEAN_E] - a[MEAN_E]
            a[MEAN_T] += dt * f
            a[MEAN_E] += de * f
            a[M2_T] += b[M2_T] + dt * dt * wa * f
            a[M2_E] += b[M2_E] + de * de * wa * f
    else:
        a[M2_T] += b[M2_T]
        a[M2_E] += b[M2_E]
    a[W] = n
    a[SSE] += b[SSE]
    a[SAE] += b[SAE]
    a[SAPE] += b[SAPE]
    a[MAX_E] = max(a[MAX_E], b[MAX_E])


@jit(fastmath=FASTMATH)
def _block_sums(t, p, w):
    sw = 0.0
    st = 0.0
    se = 0.0
    for i in range(t.size):
        wi = 1.0 if w is None else np.float64(w[i])
        ti = np.float64(t[i])
        st += wi * ti
        se += wi * (ti - np.float64(p[i]))
        sw += wi
    return sw, st, se


@jit(fastmath=FASTMATH)
def _block_squares(t, p, w, mt, me, out):
    m2t = 0.0
    m2e = 0.0
    sse = 0.0
    sae = 0.0
    sape = 0.0
    mx = 0.0
    for i in range(t.size):
        wi = 1.0 if w is None else np.float64(w[i])
        ti = np.float64(t[i])
        e = ti - np.float64(p[i])
        ae = abs(e)
        dt = ti - mt
        de = e - me
        m2t += wi * dt * dt
        m2e += wi * de * de
        sse += wi * e * e
        sae += wi * ae
        sape += wi * ae / max(abs(ti), EPS)
        mx = max(mx, ae)
    out[M2_T] = m2t
    out[M2_E] = m2e
    out[SSE] = sse
    out[SAE] = sae
    out[SAPE] = sape
    out[MAX_E] = mx


@jit(fastmath=FASTMATH)
def _block_squares_basic(t, p, w, mt, me, out):
    m2t = 0.0
    m2e = 0.0
    sse = 0.0
    for i in range(t.size):
        wi = 1.0 if w is None else np.float64(w[i])
        ti = np.float64(t[i])
        e = ti - np.float64(p[i])
        dt = ti - mt
        de = e - me
        m2t += wi * dt * dt
        m2e += wi * de * de
        sse += wi * e * e
    out[M2_T] = m2t
    out[M2_E] = m2e
    out[SSE] = sse


@jit(fastmath=FASTMATH)
def _sse(t, p, w, out):
    sw = 0.0
    sse = 0.0
    for i in range(t.size):
        wi = 1.0 if w is None else np.float64(w[i])
        e = np.float64(t[i]) - np.float64(p[i])
        sse += wi * e * e
        sw += wi
    out[W] = sw
    out[SSE] = sse


@jit
def _part_moments(t, p, w, mode, out):
    out[:] = 0.0
    if mode == SQUARED_ONLY:
        if w is None:
            _sse(t, p, None, out)
        else:
            _sse(t, p, w, out)
        return
    blk = np.zeros(N_STATS)
    n = t.size
    for s in range(0, n, BLOCK):
        e = min(n, s + BLOCK)
        if w is None:
            sw, st, se = _block_sums(t[s:e], p[s:e], None)
        else:
            sw, st, se = _block_sums(t[s:e], p[s:e], w[s:e])
        mt = st / sw if sw != 0.0 else 0.0
        me = se / sw if sw != 0.0 else 0.0
        if mode == FULL:
            if w is None:
                _block_squares(t[s:e], p[s:e], None, mt, me, blk)
            else:
                _block_squares(t[s:e], p[s:e], w[s:e], mt, me, blk)
        elif w is None:
            _block_squares_basic(t[s:e], p[s:e], None, mt, me, blk)
        else:
            _block_squares_basic(t[s:e], p[s:e], w[s:e], mt, me, blk)
        blk[W] = sw
        blk[MEAN_T] = mt
        blk[MEAN_E] = me
        merge_into(out, blk)


@jit
def _share_moments(k, parts, t, p, w, mode, acc):
    n = t.size
    s = k * n // parts
    e = (k + 1) * n // parts
    if w is None:
        _part_moments(t[s:e], p[s:e], None, mode, acc[k])
    else:
        _part_moments(t[s:e], p[s:e], w[s:e], mode, acc[k])


@jit
def _merge_parts(acc):
    out = acc[0].copy()
    for k in range(1, acc.shape[0]):
        merge_into(out, acc[k])
    return out


@jit(parallel=True)
def column_moments(t, p, w, parts, mode):
    """Statistics of 1-d ``t``, ``p`` (``w`` None or 1-d weights), split into ``parts``.

    ``mode`` picks the work: :data:`SQUARED_ONLY` (total weight and SSE: one streaming pass),
    :data:`SQUARES` (adds the means and M2 of ``t`` and ``e``) or :data:`FULL` (adds absolute and
    percentage errors and the maximum); skipped statistics are left at 0. The division of the
    percentage error made the full pass 2x slower, hence the modes. One thread per part;
    :func:`column_moments_serial` is the same work on the calling thread.
    """
    acc = np.zeros((parts, N_STATS))
    for k in prange(parts):
        _share_moments(k, parts, t, p, w, mode, acc)
    return _merge_parts(acc)


@jit
def column_moments_serial(t, p, w, parts, mode):
    """:func:`column_moments` on the calling thread (same parts, same result)."""
    acc = np.zeros((parts, N_STATS))
    for k in range(parts):
        _share_moments(k, parts, t, p, w, mode, acc)
    return _merge_parts(acc)
