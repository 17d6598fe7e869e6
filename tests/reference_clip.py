"""Slow, obviously-correct oracles for fastinit.clip (NumPy float64 and Python loops)."""

import math

import numpy as np


def norm(arrays, p=2.0):
    """The p-norm of all elements, computed exactly enough in float64 with a max-abs scale."""
    values = [float(v) for a in arrays for v in np.asarray(a, np.float64).ravel()]
    if any(math.isnan(v) for v in values):
        return math.nan
    big = max((abs(v) for v in values), default=0.0)
    if big == 0.0 or math.isinf(big) or p == math.inf:
        return big
    return big * math.fsum((abs(v) / big) ** p for v in values) ** (1.0 / p)


def clip_grad_norm(arrays, max_norm, p=2.0, eps=1e-6):
    """(total norm, clipped copies): coefficient max_norm / (total + eps), at most 1."""
    total = norm(arrays, p)
    coef = min(max_norm / (total + eps), 1.0)
    return total, [(a.astype(np.float64) * coef).astype(a.dtype) for a in arrays]


def clip_by_norm(arrays, max_norm, p=2.0):
    """(per-array norms, clipped copies), each array on its own."""
    norms = [norm([a], p) for a in arrays]
    out = [
        (a.astype(np.float64) * (max_norm / n if n > max_norm else 1.0)).astype(a.dtype)
        for a, n in zip(arrays, norms, strict=True)
    ]
    return np.array(norms), out


def adaptive_clip(grads, params, clipping, eps=1e-3, layout="torch"):
    """Clipped copies of ``grads``: AGC unit by unit with explicit loops."""
    out = []
    for g, w in zip(grads, params, strict=True):
        g64 = np.array(g, np.float64)
        w64 = np.array(w, np.float64)
        if g64.ndim <= 1:
            units = [(...,)]
        elif layout == "torch":
            units = [(i,) for i in range(g64.shape[0])]
        else:
            units = [(..., i) for i in range(g64.shape[-1])]
        for u in units:
            gn = math.sqrt(sum(float(v) ** 2 for v in g64[u].ravel()))
            wn = math.sqrt(sum(float(v) ** 2 for v in w64[u].ravel()))
            limit = clipping * max(wn, eps)
            if gn > limit:
                g64[u] = g64[u] * (limit / max(gn, 1e-6))
        out.append(g64.astype(g.dtype))
    return out


# What "sequential" means, as plain NumPy loops over the list in order (float64 arithmetic,
# rounded once to the array's dtype, as the kernels do).
def _norm64(a, p=2.0):
    v = np.abs(np.asarray(a, np.float64)).ravel()
    if p == math.inf:
        return float(v.max(initial=0.0))
    return float(np.sum(v**p) ** (1.0 / p))


def _scale(a, c):
    a[...] = (a.astype(np.float64) * c).astype(a.dtype)


def seq_clip_grad_norm(arrays, max_norm, eps=1e-6):
    """torch's clip_grad_norm_: the total first, then each listed array scaled in turn."""
    total = math.sqrt(sum(_norm64(a) ** 2 for a in arrays))
    c = max_norm / (total + eps)
    if c < 1.0:
        for a in arrays:
            _scale(a, c)
    return total


def seq_clip_by_norm(arrays, max_norm, p=2.0):
    """Each array's norm measured when its turn comes, after the earlier ones were scaled."""
    norms = []
    for a in arrays:
        n = _norm64(a, p)
        norms.append(n)
        if n > max_norm:
            _scale(a, max_norm / n)
    return np.array(norms)


def seq_adaptive_clip(grads, params, clipping, eps=1e-3, layout="torch"):
    """For each (grad, param) in turn: every unit norm of both as they are now, then scale."""
    for g, w in zip(grads, params, strict=True):
        if g.ndim <= 1:
            units = [...]
        elif layout == "torch":
            units = list(range(g.shape[0]))
        else:
            units = [(..., i) for i in range(g.shape[-1])]
        coefs = []
        for u in units:
            limit = clipping * max(_norm64(w[u]), eps)
            gn = _norm64(g[u])
            coefs.append(limit / max(gn, 1e-6) if gn > limit else 1.0)
        for u, c in zip(units, coefs, strict=True):
            if c != 1.0:
                _scale(g[u], c)


def assert_clipped_close(got, want, dtype=None):
    """Equal up to the rounding of a coefficient taken from a norm summed in another order (a
    few ulps, more for float16, whose products round twice); ulps of ``dtype`` when a rounding
    in another dtype reached the coefficient (default: ``got``'s own)."""
    eps = float(np.finfo(got.dtype if dtype is None else dtype).eps)
    np.testing.assert_allclose(
        got.astype(np.float64), want.astype(np.float64), rtol=16 * eps, atol=1e-7
    )
