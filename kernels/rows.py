"""Row-wise passes of the residual-stack simulation: LayerNorm / RMSNorm and softmax.

Each replaces several NumPy passes (a mean, a square, a second mean, a subtraction, a product
...) over a (rows, width) float array by one read to reduce a row and one write: the rows are
short (a model width, a sequence length), so the row stays in L1 between the two. Reductions
are in float64. Inner loops run over whole rows from index 0, so that they vectorize.

The passes run on the calling thread, between multi-threaded matrix products (see
``forward.py``: pools that take turns with BLAS's cost more than they save on arrays of a few MB).
"""

import math

from ._jit import FASTMATH, jit


@jit(fastmath=FASTMATH)
def norm_forward(x, u, inv, center, eps):
    """u = (x - mean) / sqrt(var + eps) per row (``center``: LayerNorm), or x / sqrt(mean(x^2) +
    eps) (RMSNorm); ``inv`` receives each row's 1 / sqrt(...)."""
    n = x.shape[1]
    for r in range(x.shape[0]):
        row = x[r]
        out = u[r]
        mean = 0.0
        if center:
            total = 0.0
            for i in range(n):
                total += row[i]
            mean = total / n
        squares = 0.0
        for i in range(n):
            d = row[i] - mean
            squares += d * d
        scale = 1.0 / math.sqrt(squares / n + eps)
        inv[r] = scale
        for i in range(n):
            out[i] = (row[i] - mean) * scale


@jit(fastmath=FASTMATH)
def norm_backward(gu, u, inv, g, center, accumulate, alpha):
    """The gradient through the norm of the gradient ``gu`` of its output ``u``:
    (gu - u mean(gu u) - [center] mean(...)) inv, per row; written to ``g``, or with
    ``accumulate`` added to ``alpha * g`` (``g`` may be ``gu`` itself: a row is read whole
    before it is written)."""
    n = gu.shape[1]
    for r in range(gu.shape[0]):
        grow = gu[r]
        urow = u[r]
        out = g[r]
        dot = 0.0
        gsum = 0.0
        usum = 0.0
        for i in range(n):
            dot += grow[i] * urow[i]
            gsum += grow[i]
            usum += urow[i]
        proj = dot / n
        shift = (gsum - proj * usum) / n if center else 0.0
        scale = inv[r]
        if accumulate:
            for i in range(n):
                out[i] = alpha * out[i] + (grow[i] - urow[i] * proj - shift) * scale
        else:
            for i in range(n):
                out[i] = (grow[i] - urow[i] * proj - shift) * scale


@jit(fastmath=FASTMATH)
def softmax_backward(ga, a, scale):
    """ga = scale * a * (ga - sum(ga a)) per row, in place: the gradient through the scores of
    a softmax row ``a`` whose output received ``ga``."""
    n = ga.shape[1]
    for r in range(ga.shape[0]):
        grow = ga[r]
        arow = a[r]
        dot = 0.0
        for i in range(n):
            dot += grow[i] * arow[i]
        for i in range(n):
            grow[i] = scale * arow[i] * (grow[i] - dot)


@jit(fastmath=FASTMATH)
def normalize_rows(s):
    """s /= sum(s) per row, in place (a softmax's last step, after the exponentials)."""
    n = s.shape[1]
    for r in range(s.shape[0]):
        row = s[r]
        total = 0.0
        for i in range(n):
            total += row[i]
        factor = 1.0 / total
        for i in range(n):
            row[i] = row[i] * factor


@jit(fastmath=FASTMATH)
def shift_rows(s, tops, scale):
    """s = scale * (s - tops) per row, in place: a softmax's first step, so that the largest
    exponential is 1 (``tops`` holds each row's maximum, found by NumPy: a compiled running
    maximum stays scalar, as the fast-math flags here keep NaN semantics)."""
    n = s.shape[1]
    for r in range(s.shape[0]):
        row = s[r]
        top = tops[r]
        for i in range(n):
            row[i] = scale * (row[i] - top)
