"""Row-wise passes of the residual-stack simulation: LayerNorm and RMSNorm.

Each replaces several NumPy passes (a mean, a square, a second mean, a subtraction, a product
...) over a (rows, width) float array by one read to reduce a row and one write: the rows are
short (a model width), so the row stays in L1 between the two. Reductions are in float64.
Inner loops run over whole rows from index 0, so that they vectorize.

The passes run on the calling thread: the simulation spreads groups of sequences over threads.
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
