"""The correlation map of an activation: C(q, c) = E[phi(u1) phi(u2)] and its derivative map.

For (u1, u2) Gaussian with variance q each and correlation c,

    C(q, c)  = E[phi(u1) phi(u2)]        (the c-map of Poole et al. 2016, times q)
    Cd(q, c) = E[phi'(u1) phi'(u2)]      (the same for the backward pass)

How they are computed, and why:

* linear, relu and leaky_relu have closed forms: phi = p x + m |x| with p = (1 + a) / 2,
  m = (1 - a) / 2, and E|u1||u2| = q (2/pi) (sqrt(1 - c^2) + c arcsin c) (the arc-cosine
  kernel of Cho & Saul 2009); E[sign u1 sign u2] = (2/pi) arcsin c.
* Every other activation uses Mehler's expansion: with h_k the normalized Hermite polynomials
  and a_k(q) = E[phi(sqrt(q) z) h_k(z)], C = sum_k a_k^2 c^k, and by Price's theorem
  Cd = (1/q) dC/dc = (1/q) sum_k k a_k^2 c^(k-1). The a_k come from the split half-range Gauss
  rule of ``_activations`` (so a kink at 0, as in selu, costs no accuracy). The series is cut
  after ``TERMS`` terms and the rest is put in one last power of c whose coefficient makes the
  sum exact at c = 1, where C = V(q) and Cd = D(q) are known to ~1e-10: the maps are then exact
  at c = 0 and c = 1 and their error in between is bounded by the weight of the dropped terms
  (checked against a 2-D Gauss-Hermite rule in tests/test_propagation_blocks.py).
"""

import math

import numpy as np

from . import _activations

TERMS = 32  # Hermite terms kept before the tail term
_CLOSED_FORM = (0, 1, 2)  # linear, relu, leaky_relu


def _normalized_hermite(z, terms):
    """(len(z), terms + 1): h_k(z) = He_k(z) / sqrt(k!), by the three-term recurrence."""
    h = np.empty((z.size, terms + 1))
    h[:, 0] = 1.0
    h[:, 1] = z
    for k in range(1, terms):
        h[:, k + 1] = (z * h[:, k] - math.sqrt(k) * h[:, k - 1]) / math.sqrt(k + 1)
    return h


def _squared_coefficients(code, param, q):
    """a_k(q)^2 for k = 0..TERMS, an array (len(q), TERMS + 1)."""
    z, w = _activations.half_range_rule()
    nodes = np.concatenate([z, -z])
    weights = np.concatenate([w, w])
    basis = _normalized_hermite(nodes, TERMS)
    values = _activations.phi(np.sqrt(q)[:, None] * nodes, code, param) * weights
    return (values @ basis) ** 2


class CorrelationMap:
    """C and Cd of one activation at fixed variances q (an array), for any correlations c."""

    def __init__(self, code, param, q):
        from ._theory import _vd

        self.code, self.param = code, param
        self.q = np.asarray(q, dtype=np.float64)
        if code in _CLOSED_FORM:
            return
        flat = self.q.reshape(-1)
        unique, inverse = np.unique(flat, return_inverse=True)
        coeff = _squared_coefficients(code, param, unique)[inverse]
        v, d = _vd(code, param, flat)
        k = np.arange(TERMS + 1)
        # d a_k^2 c^k / dc, over q: a_k^2 shrinks like q^k, so the quotient is taken directly
        # (1 / q of a subnormal q overflows, and inf * a_1^2 is inf, not phi'(0)^2)
        positive = (flat > 0)[:, None]
        slopes = np.zeros_like(coeff[:, 1:])
        with np.errstate(over="ignore"):
            np.divide(coeff[:, 1:] * k[1:], flat[:, None], out=slopes, where=positive)
        # one row per power of c, one column per variance
        self.coeff = np.ascontiguousarray(coeff.T)
        self.tail = v - coeff.sum(axis=1)
        self.dcoeff = np.ascontiguousarray(slopes.T)
        # at q = 0 every u is 0: Cd is phi'(0)^2 whatever c, which D(0) holds
        self.dtail = np.where(flat > 0, d - self.dcoeff.sum(axis=0), d)

    def at(self, c):
        """(C, Cd) at correlations ``c``, broadcast against q."""
        c = np.clip(np.asarray(c, dtype=np.float64), -1.0, 1.0)
        if self.code in _CLOSED_FORM:
            return _closed_form(self.code, self.param, self.q, c)
        from ..kernels import meanfield

        shape = np.broadcast_shapes(self.q.shape, c.shape)
        flat_c = np.ascontiguousarray(np.broadcast_to(c, shape).reshape(-1))
        value, slope = np.empty_like(flat_c), np.empty_like(flat_c)
        # with one q for all c (a normalized stack) the coefficients have one column
        meanfield.mehler(self.coeff, self.dcoeff, self.tail, self.dtail, flat_c, value, slope)
        return value.reshape(shape), slope.reshape(shape)


def closed_form_slope(code, param):
    """The negative-side slope a of a closed-form activation (phi = x for x > 0, a x below)."""
    return 1.0 if code == 0 else (0.0 if code == 1 else param)


def _closed_form(code, param, q, c):
    slope = closed_form_slope(code, param)
    p, m = (1.0 + slope) / 2.0, (1.0 - slope) / 2.0
    arcsin = np.arcsin(c)
    abs_term = (2.0 / math.pi) * (np.sqrt(np.maximum(1.0 - c * c, 0.0)) + c * arcsin)
    value = q * (p * p * c + m * m * abs_term)
    deriv = p * p + m * m * (2.0 / math.pi) * arcsin
    return value, np.broadcast_to(deriv, np.broadcast_shapes(np.shape(q), np.shape(c)))
