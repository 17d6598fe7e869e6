"""One pass of regression moments per output column, mergeable (Chan et al.) across chunks.

For targets ``t``, predictions ``p``, residuals ``e = t - p`` and weights ``w`` (1 when None),
the task kernels below compute, per task of a column, the vector indexed by the constants below:
total weight, weighted mean and centred sum of squares (M2) of ``t`` and of ``e``, the weighted
sums of ``e^2``, ``|e|`` and ``|e| / max(|t|, eps)``, and ``max |e|``.

Why blocks and not Welford per element: each block of :data:`BLOCK` values is read twice from L1
(sums, then squares about the block mean), which vectorizes and needs no division per element;
blocks are combined with Chan's pairwise update. Centring per block keeps M2 exact for targets
with a large mean (y ~ 1e6 + noise), where the sum-of-squares formula loses every digit.
"""

import numpy as np

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


# The task kernels, one per mode, so that a call compiles only its own mode's loops. Task k
# covers elements k * chunk .. min(n, (k + 1) * chunk) - 1 (``chunk`` a multiple of BLOCK, so
# blocks fall at the same places however the tasks are run) and writes its statistics to
# ``acc[k]``; a call runs tasks task_lo .. task_hi - 1. The caller runs the tasks on threads
# (``fastinit._threads``) and merges ``acc`` in task order with :func:`merge_tasks`: the same bits
# for any thread count. ``w`` is None or 1-d weights; skipped statistics are left at 0.


@jit
def sse_tasks(t, p, w, chunk, acc, task_lo, task_hi):
    """:data:`SQUARED_ONLY`: total weight and SSE (one streaming pass)."""
    n = t.size
    for k in range(task_lo, task_hi):
        s = k * chunk
        e = min(n, s + chunk)
        out = acc[k]
        out[:] = 0.0
        if w is None:
            _sse(t[s:e], p[s:e], None, out)
        else:
            _sse(t[s:e], p[s:e], w[s:e], out)


def _block_tasks_for(mode):
    """The task kernel of :data:`SQUARES` or :data:`FULL`: per block of :data:`BLOCK` values,
    the sums, then the squares about the block's means, merged into the task's statistics.
    ``mode`` is a constant of the kernel, so Numba prunes the branch on it and each kernel
    compiles its own block loop only (the percentage error's division made the FULL pass 2x
    slower, hence the two)."""

    @jit
    def block_tasks(t, p, w, chunk, acc, task_lo, task_hi):
        n = t.size
        blk = np.zeros(N_STATS)
        for k in range(task_lo, task_hi):
            out = acc[k]
            out[:] = 0.0
            for s in range(k * chunk, min(n, (k + 1) * chunk), BLOCK):
                e = min(n, s + BLOCK)
                ws = None if w is None else w[s:e]
                sw, st, se = _block_sums(t[s:e], p[s:e], ws)
                mt = st / sw if sw != 0.0 else 0.0
                me = se / sw if sw != 0.0 else 0.0
                if mode == FULL:
                    _block_squares(t[s:e], p[s:e], ws, mt, me, blk)
                else:
                    _block_squares_basic(t[s:e], p[s:e], ws, mt, me, blk)
                blk[W] = sw
                blk[MEAN_T] = mt
                blk[MEAN_E] = me
                merge_into(out, blk)

    return block_tasks


# SQUARES: the means and M2 of ``t`` and ``e`` besides what sse_tasks computes; FULL: also the
# absolute and percentage errors and the largest error
squares_tasks = _block_tasks_for(SQUARES)
full_tasks = _block_tasks_for(FULL)


TASKS = {SQUARED_ONLY: sse_tasks, SQUARES: squares_tasks, FULL: full_tasks}


@jit
def merge_tasks(acc):
    """The statistics of all tasks: the rows of ``acc`` merged in order (Chan's update)."""
    out = np.zeros(N_STATS)
    for j in range(N_STATS):
        out[j] = acc[0, j]
    for k in range(1, acc.shape[0]):
        merge_into(out, acc[k])
    return out


@jit
def column_moments_serial(t, p, w, parts, mode):
    """The statistics of 1-d ``t``, ``p`` split into ``parts`` tasks (rounded to whole blocks),
    all on the calling thread (for one-thread timings of the kernels and for tests)."""
    n = t.size
    share = -(-n // max(1, parts))
    chunk = max(1, -(-share // BLOCK)) * BLOCK
    ntasks = max(1, -(-n // chunk))
    acc = np.zeros((ntasks, N_STATS))
    if mode == SQUARED_ONLY:
        sse_tasks(t, p, w, chunk, acc, 0, ntasks)
    elif mode == SQUARES:
        squares_tasks(t, p, w, chunk, acc, 0, ntasks)
    else:
        full_tasks(t, p, w, chunk, acc, 0, ntasks)
    return merge_tasks(acc)
