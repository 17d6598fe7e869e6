"""Activations and their Gaussian expectations (fastinit/propagation/_activations.py): the
Gauss rules, and V and D against closed forms, adaptive quadrature and full-range Gauss-Hermite."""

import math

import numpy as np
import pytest
from numpy.polynomial.hermite_e import hermegauss

from fastinit.propagation import _activations
from tests import reference_propagation as ref

ACTIVATIONS = list(_activations.ACTIVATIONS)


def spec(name):
    return _activations.activation_spec(name)[1:]


# ------------------------------------------------------------------------------ quadrature ---


@pytest.mark.parametrize("n", [1, 2, 7, 160, 1000])
def test_leggauss_equals_numpys(n):
    # the tridiagonal eigensolver replaces NumPy's dense one; Newton step and weights are NumPy's
    from numpy.polynomial.legendre import leggauss

    x, w = _activations.leggauss(n)
    x_np, w_np = leggauss(n)
    np.testing.assert_allclose(x, x_np, rtol=0, atol=1e-15)
    np.testing.assert_allclose(w, w_np, rtol=1e-13, atol=0)


@pytest.mark.parametrize("k", [0, 1, 2, 3, 5, 8, 13, 20])
def test_half_range_rule_integrates_monomials(k):
    # exact in exact arithmetic for degree < 320; the 1000-point discretization of the weight
    # costs ~1.5e-12 on the mass, nothing visible beyond
    z, w = _activations.half_range_rule()
    assert np.all(z > 0) and np.all(w >= 0)  # the last weights underflow to 0
    np.testing.assert_allclose(w @ z**k, ref.half_moment(k), rtol=2e-12)


@pytest.mark.parametrize("name", ["linear", "relu", "leaky_relu"])
def test_expectations_match_closed_forms(name):
    # the kink of relu/leaky_relu sits on the split point: the half-range rule integrates
    # z^2 exactly on each half, so V and D are exact to rounding over 24 decades of q
    q = np.geomspace(1e-12, 1e12, 49)
    v, d = _activations.expectations(q, *spec(name))
    cv, cd = np.vectorize(lambda x: ref.closed_form(name, x))(q)
    np.testing.assert_allclose(v, cv, rtol=1e-13)
    np.testing.assert_allclose(d, cd, rtol=2e-12)


def test_plain_gauss_hermite_struggles_at_the_kink():
    # why the integral is split: hermegauss with 101 nodes (one on the kink) is ~1e-3 off for
    # E[relu(z)] (a half-line odd moment), the split rule is exact
    z, w = hermegauss(101)
    w = w / w.sum()
    exact = 1 / math.sqrt(2 * math.pi)
    assert abs(w @ np.maximum(z, 0) - exact) > 1e-4
    zh, wh = _activations.half_range_rule()
    assert abs(wh @ zh - exact) < 1e-13


@pytest.mark.parametrize("name", ACTIVATIONS)
def test_expectations_match_adaptive_quadrature(name):
    q = np.array([1e-3, 0.7, 30.0])
    v, d = _activations.expectations(q, *spec(name))
    oracle = np.array([ref.quad_expectations(name, x) for x in q])
    # rule error (tests above) plus quad's own 1e-13; tanh's D at q = 30 is the worst (~1e-10)
    np.testing.assert_allclose(v, oracle[:, 0], rtol=1e-9)
    np.testing.assert_allclose(d, oracle[:, 1], rtol=1e-9)


@pytest.mark.parametrize("name", ["tanh", "sigmoid", "gelu", "silu", "softplus"])
def test_smooth_activations_agree_with_full_range_gauss_hermite(name):
    # for smooth integrands at moderate q the plain hermegauss rule converges: both agree
    z, w = hermegauss(120)
    w = w / w.sum()
    code, param = spec(name)
    for q in (0.05, 0.5, 1.0):  # hermegauss(120) itself is 2e-6 off for tanh at q = 4
        s = math.sqrt(q)
        v, d = _activations.expectations(np.array([q]), code, param)
        np.testing.assert_allclose(v[0], w @ _activations.phi(s * z, code, param) ** 2, rtol=1e-10)
        np.testing.assert_allclose(d[0], w @ _activations.dphi(s * z, code, param) ** 2, rtol=1e-10)
