"""Slow, obviously-correct oracles for fastinit's orthogonal initializers.

``haar_from_draws`` rebuilds a matrix from the packed Gaussian vectors as documented in
``fastinit/kernels/householder.py``: dense reflectors, float64, one product at a time.
``qr_haar`` is the textbook sampler: QR of a Gaussian matrix with the R-diagonal sign fix.
"""

import numpy as np


def packed_size(m, k):
    """Draws used by one m x k matrix: m + (m-1) + ... + (m-k+1)."""
    return m * k - k * (k - 1) // 2


def haar_from_draws(draws, m, k, *, sign_fix=True, special=False):
    """H_0 ... H_{k-1} [D; 0] (m x k, m >= k) from the packed draws x_0, x_1, ... (lengths m,
    m-1, ...), with H_j the reflector on coordinates j.. mapping x_j to -sign(x_j[0]) |x_j| e_j and
    D = diag(-sign(x_j[0])).

    ``sign_fix=False`` drops D: the classic mistake (a QR without the sign correction), which is
    not Haar and which the statistics tests must reject. ``special`` (square only) negates the
    last column when the determinant is -1.
    """
    draws = np.asarray(draws, dtype=np.float64)
    q = np.zeros((m, k))
    reflectors, signs = [], []
    offset = 0
    for j in range(k):
        x = draws[offset : offset + m - j]
        offset += m - j
        s = 1.0 if x[0] >= 0 else -1.0
        v = x.copy()
        v[0] += s * np.linalg.norm(x)
        h = np.eye(m)
        if v @ v > 0:
            h[j:, j:] -= 2.0 * np.outer(v, v) / (v @ v)
        reflectors.append(h)
        signs.append(-s if sign_fix else 1.0)
    q[np.arange(k), np.arange(k)] = signs
    for h in reversed(reflectors):
        q = h @ q
    if special:
        if m != k:
            raise ValueError("special needs a square matrix")
        if np.linalg.det(q) < 0:
            q[:, -1] = -q[:, -1]
    return q


def qr_haar(a, *, sign_fix=True):
    """Q of the QR of ``a`` (..., m, k), m >= k, with columns scaled by sign(diag R)
    (Mezzadri 2007); ``sign_fix=False`` returns LAPACK's Q as is (not Haar)."""
    q, r = np.linalg.qr(a)
    if not sign_fix:
        return q
    d = np.diagonal(r, axis1=-2, axis2=-1)
    return q * np.where(d < 0, -1.0, 1.0)[..., None, :]
