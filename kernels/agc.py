"""Adaptive gradient clipping (AGC, Brock et al. 2021) over array tables: unit-wise norms of
gradients and parameters, then unit-wise scaling, on the visitor of ``kernels/norms.py``.

Tasks are whole arrays (a unit never spans two tasks), so any split over threads gives the same
sums; the caller runs them (``fastinit._threads``).
"""

import math

import numpy as np

from ._alloc import full
from ._jit import jit
from .array_table import COL_SIZE
from .norm_loops import OP_ACC, OP_MAXABS, OP_SCALE, OP_SCALED, P2
from .norm_runs import visit


@jit
def _agc_array(gt, gs, gst, pt, ps, pst, a, units, inner, uoff, gsum, psum, f16, f64, gather):
    """Unit-wise sums of squares of grads and params of array ``a`` (unit = (k // inner) % U).

    A unit holding NaN or inf gets a NaN sum (the visitor's flag is added in), so that an inf
    sum means finite float64 data whose squares overflowed (see :func:`agc_rescaled_norms`)."""
    size = gt[a, COL_SIZE]
    u_count = units[a]
    step = inner[a]
    if step > 1:  # units are consecutive flat ranges
        for u in range(u_count):
            lo, hi = u * step, (u + 1) * step
            g, zg = visit(gt, gs, gst, a, lo, hi, OP_ACC, P2, 2.0, 0.0, f16, f64, gather)
            q, zq = visit(pt, ps, pst, a, lo, hi, OP_ACC, P2, 2.0, 0.0, f16, f64, gather)
            gsum[uoff[a] + u] = g + zg
            psum[uoff[a] + u] = q + zq
        return
    for k in range(size):  # interleaved units (last axis): element by element
        u = uoff[a] + k % u_count
        g, zg = visit(gt, gs, gst, a, k, k + 1, OP_ACC, P2, 2.0, 0.0, f16, f64, gather)
        q, zq = visit(pt, ps, pst, a, k, k + 1, OP_ACC, P2, 2.0, 0.0, f16, f64, gather)
        gsum[u] += g + zg
        psum[u] += q + zq


@jit
def agc_rescaled_norms(t, s, st, a, units, inner, uoff, norms, f16, f64, gather):
    """``norms[u]`` for the units of array ``a`` (finite data) as big * sqrt(sum (x / big)^2),
    ``big`` the largest |x| of the unit (of the whole array for interleaved units): for float64
    data whose plain sums of squares overflow. Compiled on first need only."""
    size = t[a, COL_SIZE]
    u_count = units[a]
    step = inner[a]
    if step > 1:
        for u in range(u_count):
            lo, hi = u * step, (u + 1) * step
            big, _ = visit(t, s, st, a, lo, hi, OP_MAXABS, P2, 2.0, 0.0, f16, f64, gather)
            r = 0.0
            if big > 0.0:
                r, _ = visit(t, s, st, a, lo, hi, OP_SCALED, P2, 2.0, 1.0 / big, f16, f64, gather)
            norms[uoff[a] + u] = big * math.sqrt(r)
        return
    big, _ = visit(t, s, st, a, 0, size, OP_MAXABS, P2, 2.0, 0.0, f16, f64, gather)
    for u in range(u_count):
        norms[uoff[a] + u] = 0.0
    if big == 0.0:
        return
    for k in range(size):
        r, _ = visit(t, s, st, a, k, k + 1, OP_SCALED, P2, 2.0, 1.0 / big, f16, f64, gather)
        norms[uoff[a] + k % u_count] += r
    for u in range(u_count):
        norms[uoff[a] + u] = big * math.sqrt(norms[uoff[a] + u])


@jit
def _agc_scale(gt, gs, gst, a, units, inner, uoff, coef, f16, f64, gather):
    size = gt[a, COL_SIZE]
    u_count = units[a]
    step = inner[a]
    if step > 1:
        for u in range(u_count):
            c = coef[uoff[a] + u]
            if c != 1.0:
                lo, hi = u * step, (u + 1) * step
                visit(gt, gs, gst, a, lo, hi, OP_SCALE, P2, 2.0, c, f16, f64, gather)
        return
    for k in range(size):
        c = coef[uoff[a] + k % u_count]
        if c != 1.0:
            visit(gt, gs, gst, a, k, k + 1, OP_SCALE, P2, 2.0, c, f16, f64, gather)


@jit
def agc_sums(
    gt, gs, gst, pt, ps, pst, units, inner, uoff, gsum, psum, f16, f64, gather, a_lo, a_hi
):
    """Unit-wise sums of squares of grads and params of arrays ``a_lo .. a_hi - 1``; array ``a``'s
    units are ``uoff[a] .. uoff[a + 1] - 1`` (``gsum``, ``psum`` are zeros on entry)."""
    for a in range(a_lo, a_hi):
        _agc_array(gt, gs, gst, pt, ps, pst, a, units, inner, uoff, gsum, psum, f16, f64, gather)


@jit
def agc_coefficients(uoff, gnorms, pnorms, clipping, eps):
    """AGC's unit coefficients from the unit norms: where |g| > clipping * max(|w|, eps),
    clipping * max(|w|, eps) / max(|g|, 1e-6), else 1.

    Returns (coefficients, number of clipped units, -1), or (_, -1, a) when array ``a`` has a
    non-finite unit norm (the caller then writes nothing).
    """
    n = uoff.size - 1
    coef = full(uoff[n], 1.0, np.float64)
    for a in range(n):
        for u in range(uoff[a], uoff[a + 1]):
            if not (math.isfinite(gnorms[u]) and math.isfinite(pnorms[u])):
                return coef, -1, a
    clipped = 0
    for u in range(uoff[n]):
        limit = clipping * max(pnorms[u], eps)
        gnorm = gnorms[u]
        if gnorm > limit:
            coef[u] = limit / max(gnorm, 1e-6)
            clipped += 1
    return coef, clipped, -1


@jit
def agc_scale(gt, gs, gst, units, inner, uoff, coef, f16, f64, gather, a_lo, a_hi):
    """In place: scale the units of arrays ``a_lo .. a_hi - 1`` by their coefficients."""
    for a in range(a_lo, a_hi):
        _agc_scale(gt, gs, gst, a, units, inner, uoff, coef, f16, f64, gather)
