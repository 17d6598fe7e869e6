"""Adaptive gradient clipping over described arrays: the passes behind
:func:`fastinit.clip.adaptive_clip` and ``fastinit.torch.adaptive_clip_``, which check their
arguments and describe the arrays first (``fastinit._arrays``).
"""

import math

import numpy as np

from . import _arrays, _threads


def units(shape, layout):
    """(number of units, flat elements per unit step) of a tensor of ``shape``."""
    size = math.prod(shape)
    if len(shape) <= 1:
        return 1, max(size, 1)
    if layout == "torch":
        return shape[0], (size // shape[0] if shape[0] else 1)
    return shape[-1], 1


def _unit_norms(agc, g, w, units, inner, uoff, sums, norms, paths, a_lo, a_hi):
    """Fill ``norms`` (grad, param) with the unit norms of arrays ``a_lo .. a_hi - 1`` from their
    ``sums`` of squares; NaN where the data is not finite. An inf sum is finite float64 data
    whose squares overflowed: that array's units are measured again, scaled by their largest
    value."""
    lo, hi = uoff[a_lo], uoff[a_hi]
    for total, norm, arrays in zip(sums, norms, (g, w), strict=True):
        np.sqrt(total[lo:hi], out=norm[lo:hi])
        if not np.isinf(total[lo:hi]).any():  # the common case: no loop over the arrays
            continue
        for a in range(a_lo, a_hi):
            unit = total[uoff[a] : uoff[a + 1]]
            if np.isinf(unit).any() and not np.isnan(unit).any():
                agc.agc_rescaled_norms(*arrays[:3], a, units, inner, uoff, norm, *paths)


def adaptive(g, w, units, inner, clipping, eps, label=lambda i: f"grads[{i}] or params[{i}]"):
    """The body of :func:`fastinit.clip.adaptive_clip` over described grads and params (checked:
    same number, same shapes) with ``units`` and ``inner`` of each pair from :func:`units`; an
    error names pair ``i`` as ``label(i)``."""
    from .kernels import agc

    uoff = np.concatenate(([0], np.cumsum(units)))
    gsum = np.zeros(uoff[-1])
    psum = np.zeros(uoff[-1])
    n = len(g.table)
    threads = g.threads
    grain = _threads.grain_for(n, threads)
    paths = tuple(a or b for a, b in zip(g.paths, w.paths, strict=True))
    _threads.run(
        agc.agc_sums, n, *g[:3], *w[:3], units, inner, uoff, gsum, psum, *paths,
        grain=grain, threads=threads,
    )  # fmt: skip
    gnorm, pnorm = np.empty_like(gsum), np.empty_like(psum)
    _unit_norms(agc, g, w, units, inner, uoff, (gsum, psum), (gnorm, pnorm), paths, 0, n)
    coef, _, bad = agc.agc_coefficients(uoff, gnorm, pnorm, clipping, eps)
    if bad >= 0:
        raise ValueError(
            f"{label(bad)} has a non-finite unit norm (NaN or inf values, or a "
            "norm beyond float64's range); nothing was modified"
        )
    (glow, ghigh), (wlow, whigh) = _arrays.extents(g), _arrays.extents(w)
    written = np.arange(2 * n) < n
    if n < 2 or not _arrays.writes_meet(np.r_[glow, wlow], np.r_[ghigh, whigh], written):
        _threads.run(
            agc.agc_scale, n, *g[:3], units, inner, uoff, coef, *paths,
            grain=grain, threads=threads,
        )  # fmt: skip
        return
    # A grad shares memory with another grad or with a param: one pair after the other, in list
    # order, each measured when its turn comes (after the earlier grads were scaled). One pair
    # alone needs no such care: all its unit norms are taken before its grad is written.
    scaled = False
    for a in range(n):
        lo, hi = uoff[a], uoff[a + 1]
        if scaled:  # nothing changed before the first write: the first pass's sums hold
            gsum[lo:hi] = 0.0
            psum[lo:hi] = 0.0
            agc.agc_sums(*g[:3], *w[:3], units, inner, uoff, gsum, psum, *paths, a, a + 1)
            _unit_norms(
                agc, g, w, units, inner, uoff, (gsum, psum), (gnorm, pnorm), paths, a, a + 1
            )
            coef[lo:hi] = agc.agc_coefficients(
                uoff[a : a + 2] - lo, gnorm[lo:hi], pnorm[lo:hi], clipping, eps
            )[0]
        if np.any(coef[lo:hi] != 1.0):
            agc.agc_scale(*g[:3], units, inner, uoff, coef, *paths, a, a + 1)
            scaled = True
