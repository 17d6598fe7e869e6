"""Mean-field theory: the tabulated expectations read back, published results, broadcasting,
errors, speed."""

import math
import time

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fastinit.propagation import _activations, critical_sigma_w2, fixed_point, theory
from tests import reference_propagation as ref

ACTIVATIONS = list(_activations.ACTIVATIONS)


def spec(name):
    return _activations.activation_spec(name)[1:]


# ------------------------------------------------------------------- table read-back ---


@pytest.mark.parametrize("name", ACTIVATIONS)
def test_table_interpolation_matches_quadrature(name):
    # one layer of theory reads V and D from the table at q0; compare with direct quadrature,
    # inside the grid (1e-12 .. 2e3) the 4-point interpolation at step 0.01 is ~1e-10
    rng = np.random.default_rng(0)
    q = np.exp(rng.uniform(math.log(1e-10), math.log(1.9e3), 200))
    res = theory(name, 1.0, depth=1, q0=q)
    v, d = _activations.expectations(q, *spec(name))
    np.testing.assert_allclose(res.q[:, 1], v, rtol=1e-8)
    np.testing.assert_allclose(res.chi[:, 0], d, rtol=1e-8)


@pytest.mark.parametrize("name", ACTIVATIONS)
def test_tails_beyond_the_table(name):
    # beyond q = 2e3 the tails q^s (a + b / sqrt(q) + c / q) take over (the fixed-node rule
    # itself would be 2% off for tanh's D at q = 1e5)
    q = np.array([2e4, 1e6])
    res = theory(name, 1.0, depth=1, q0=q)
    v, d = np.array([ref.quad_expectations(name, x) for x in q]).T
    # (worst: silu and selu's V, whose correction is O(q^{-3/2}) and not in the fitted form)
    np.testing.assert_allclose(res.q[:, 1], v, rtol=3e-4)
    np.testing.assert_allclose(res.chi[:, 0], d, rtol=3e-4)
    # and tiny q (the table starts at 1e-12)
    tiny = theory(name, 1.0, depth=1, q0=np.array([1e-14, 0.0]))
    v0, d0 = _activations.at_zero(*spec(name))
    # kinked activations approach D(0) like sqrt(q): 1e-6 relative at q = 1e-14
    np.testing.assert_allclose(tiny.chi[:, 0], d0, rtol=1e-5)
    assert tiny.q[1, 1] == v0


# ------------------------------------------------------------------------ published results ---


def test_he_2015_relu_keeps_or_halves_the_variance():
    # He et al. 2015: Var(W) = 2/n (sigma_w2 = 2) keeps the variance of ReLU nets through 30
    # layers; Var(W) = 1/n halves it at every layer
    # (the half-range rule's E[z^2 1{z>0}] is 5e-14 off 1/2: 30 layers drift ~1.5e-12)
    kept = theory("relu", 2.0, depth=30)
    np.testing.assert_allclose(kept.q, 1.0, rtol=1e-11)
    halved = theory("relu", 1.0, depth=30)
    np.testing.assert_allclose(halved.q, 0.5 ** np.arange(31), rtol=1e-11)
    np.testing.assert_allclose(halved.chi, 0.5, rtol=1e-11)


def test_tanh_order_to_chaos_boundary():
    # Poole et al. 2016 / Schoenholz et al. 2017: sigma_b2 = 0 -> 1; sigma_b2 = 0.05 -> 1.76
    # (Schoenholz et al., Fig. 1); Pennington et al. 2017 list (1.05, 2.01e-5) as critical
    assert critical_sigma_w2("tanh") == pytest.approx(1.0, abs=1e-10)
    assert critical_sigma_w2("tanh", 0.05) == pytest.approx(1.76, abs=5e-3)
    assert critical_sigma_w2("tanh", 2.01e-5) == pytest.approx(1.05, abs=5e-4)
    for sb2 in (0.01, 0.3):
        assert critical_sigma_w2("tanh", sb2) == pytest.approx(ref.critical_tanh(sb2), rel=1e-7)
    # chi at the fixed point is 1 there, and the boundary rises with sigma_b2
    sb2 = np.array([0.0, 0.1, 0.2, 0.5])
    crit = critical_sigma_w2("tanh", sb2)
    assert crit.shape == (4,) and np.all(np.diff(crit) > 0)
    q_star = fixed_point("tanh", crit[2], 0.2)
    d_star = _activations.expectations(np.array([q_star]), *spec("tanh"))[1][0]
    assert crit[2] * d_star == pytest.approx(1.0, rel=1e-9)


@pytest.mark.parametrize(
    ("name", "expected"),
    [("relu", 2.0), ("linear", 1.0), ("leaky_relu", 2 / 1.0001), ("elu", 1.0), ("gelu", 4.0)],
)
def test_critical_sigma_w2_closed_cases(name, expected):
    # relu-like: chi = sigma_w2 D does not depend on q; gelu and elu at sigma_b2 = 0 sit at
    # q* = 0 below the boundary, where D(0) = 1/4 and 1
    assert critical_sigma_w2(name) == pytest.approx(expected, rel=1e-9)


def test_depth_scale_diverges_at_criticality():
    res = theory("tanh", np.array([0.8, 1.0, 1.5]), 0.0, depth=400)
    xi = res.depth_scale
    assert xi[0] == pytest.approx(-1 / math.log(0.8), rel=1e-6)  # q* = 0, chi = sigma_w2
    assert xi[1] > 50  # chi -> 1 at the boundary (slowly, q ~ 1/l)
    assert xi[2] < 0  # chaotic phase: chi > 1 at q*, gradients grow


# --------------------------------------------------------------------------- behaviour ---


@settings(derandomize=True, deadline=None, max_examples=40)
@given(
    name=st.sampled_from(["linear", "relu", "leaky_relu"]),
    sw2=st.floats(0.0, 4.0),
    sb2=st.floats(0.0, 1.0),
    q0=st.floats(0.0, 10.0),
    depth=st.integers(1, 40),
)
def test_theory_matches_closed_form_recursion(name, sw2, sb2, q0, depth):
    res = theory(name, sw2, sb2, depth=depth, q0=q0)
    q, chi = ref.theory_loop(name, sw2, sb2, depth, q0)
    np.testing.assert_allclose(res.q, q, rtol=1e-11, atol=1e-300)
    np.testing.assert_allclose(res.chi, chi, rtol=1e-11)


@pytest.mark.parametrize("name", ["tanh", "selu", "softplus"])
def test_theory_matches_layer_loop_with_adaptive_quadrature(name):
    res = theory(name, 1.7, 0.1, depth=4, q0=0.8)
    q, chi = ref.theory_loop(name, 1.7, 0.1, 4, 0.8)
    np.testing.assert_allclose(res.q, q, rtol=1e-9)
    np.testing.assert_allclose(res.chi, chi, rtol=1e-9)


def test_broadcasting_and_shapes():
    sw2 = np.linspace(0.5, 3, 5)[:, None, None]
    sb2 = np.linspace(0, 0.2, 3)[None, :, None]
    q0 = np.array([0.5, 1.0])
    res = theory("tanh", sw2, sb2, depth=7, q0=q0)
    assert res.q.shape == (5, 3, 2, 8) and res.chi.shape == (5, 3, 2, 7)
    one = theory("tanh", float(sw2[3, 0, 0]), float(sb2[0, 2, 0]), depth=7, q0=1.0)
    np.testing.assert_array_equal(res.q[3, 2, 1], one.q)
    assert res.forward_var.shape == (5, 3, 2, 7) and res.grad_var.shape == (5, 3, 2, 7)
    scalar = theory("relu", 2.0, depth=2)
    assert scalar.q.shape == (3,) and scalar.chi.shape == (2,)


def test_grad_var_and_widths():
    res = theory("relu", 1.0, depth=4, widths=[8, 16, 16, 32, 8])
    # chi^l carries n_l / n_{l-1}; grad_var[l-1] = prod(chi[l:])
    np.testing.assert_allclose(res.chi, 0.5 * np.array([2.0, 1.0, 2.0, 0.25]))
    np.testing.assert_allclose(res.grad_var, [0.0625, 0.125, 0.125, 1.0])


def test_exploding_network_overflows_to_inf_without_warnings():
    res = theory("relu", 1e200, depth=5)
    assert np.isinf(res.q[-1])
    res = theory("tanh", 1e10, depth=3)
    assert np.all(np.isfinite(res.q))


# ------------------------------------------------------------------------------ errors ---


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"activation": "swish"}, ValueError, "activation"),
        ({"activation": 3}, TypeError, "activation"),
        ({"sigma_w2": -1.0}, ValueError, "sigma_w2"),
        ({"sigma_b2": [0.1, -0.1]}, ValueError, "sigma_b2"),
        ({"q0": np.nan}, ValueError, "q0"),
        ({"sigma_w2": "big"}, TypeError, "sigma_w2"),
        ({"depth": 0}, ValueError, "depth"),
        ({"depth": 2.5}, TypeError, "depth"),
        ({"widths": [4]}, ValueError, "widths"),
        ({"widths": [4, 4, 4]}, ValueError, "widths"),
        ({"sigma_w2": [1, 2], "sigma_b2": [1, 2, 3]}, ValueError, "broadcast"),
        ({"activation": "relu", "param": 0.1}, ValueError, "param"),
    ],
)
def test_theory_errors(kwargs, error, match):
    args = {"activation": "tanh", "sigma_w2": 1.0, "depth": 3} | kwargs
    with pytest.raises(error, match=match):
        theory(**args)


def test_critical_errors():
    with pytest.raises(ValueError, match="sigma_b2"):
        critical_sigma_w2("tanh", -0.1)
    with pytest.raises(ValueError, match="activation"):
        critical_sigma_w2("swish")


# ------------------------------------------------------------------------------- speed ---


def test_theory_grid_speed():
    # the speed criterion: a 100 x 100 grid over 100 layers under 50 ms (median of 5, after
    # warm-up). Asserted at 3x that here because the test machine is shared; the benchmark
    # script reports the real number
    sw2 = np.linspace(0.5, 4, 100)[:, None]
    sb2 = np.linspace(0, 0.3, 100)
    theory("tanh", sw2, sb2, depth=100)
    times = []
    for _ in range(5):
        start = time.perf_counter()
        theory("tanh", sw2, sb2, depth=100)
        times.append(time.perf_counter() - start)
    assert np.median(times) < 0.15
