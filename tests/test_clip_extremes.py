"""Clipping at the edges of floating point: zero norms, norms beyond float64, subnormal
norms, float16 and tiny coefficients rounded once."""

import math

import numpy as np
import pytest

import fastinit

from . import reference_clip as ref

NORM_TYPES = [1.0, 2.0, 3.5, 0.5, math.inf]


def test_zero_norm_with_zero_eps_is_not_clipped(split):
    """max_norm / 0 is torch's inf coefficient, clamped to 1: nothing written, no error."""
    for arrays in ([np.zeros(3), np.zeros((2, 2), np.float32)], [], [np.ones((0, 4))]):
        before = [a.copy() for a in arrays]
        assert fastinit.clip_grad_norm(arrays, 1.0, eps=0.0) == 0.0
        for a, b in zip(arrays, before, strict=True):
            assert a.tobytes() == b.tobytes()


def test_infinite_max_norm_never_clips_a_norm_beyond_float64(split):
    a = np.array([1.5e308, -1.5e308, 1.0])  # finite data whose norm is beyond float64's range
    assert fastinit.clip_grad_norm(a, math.inf) == math.inf
    np.testing.assert_array_equal(a, [1.5e308, -1.5e308, 1.0])


def test_norm_beyond_float64_is_inf_not_nan(split):
    """Finite data whose norm exceeds float64's range: inf (the ratios to the largest array
    norm were inf / inf = NaN)."""
    arrays = [np.array([1.5e308, -1.5e308]), np.ones(3)]
    assert fastinit.global_norm(arrays) == math.inf
    np.testing.assert_array_equal(fastinit.clip_by_norm([np.ones(2), arrays[0]], 1e300)[1], np.inf)


@pytest.mark.parametrize("layout", ["torch", "jax"])
def test_adaptive_clip_huge_float64_is_not_refused(layout):
    """Finite float64 units whose squares overflow are measured scaled, not refused as
    non-finite (every unit here but the small one is clipped by 0.5)."""
    w = np.array([[3e200, 4e200], [1.0, 1.0]])
    g = np.array([[3e200, 4e200], [0.0, 1e-3]])
    want = {"torch": [[1.5e200, 2e200], [0.0, 1e-3]], "jax": [[1.5e200, 2e200], [0.0, 5e-4]]}
    fastinit.adaptive_clip(g, w, 0.5, layout=layout)
    np.testing.assert_allclose(g, want[layout], rtol=1e-14)


@pytest.mark.parametrize("p", NORM_TYPES)
def test_subnormal_float64_norms_are_not_inf(p, split):
    """The rescaled pass divided by the largest |x|: 1 / 5e-324 is inf, and the norm was too."""
    for values in ([5e-324], [5e-324, -1e-320, 0.0], [2.0**-1023, 1e-310]):
        a = np.array(values)
        want = ref.norm([a], p)
        assert fastinit.global_norm(a, norm_type=p) == pytest.approx(want, rel=1e-6, abs=5e-324)
        assert fastinit.clip_by_norm(a.copy(), 1.0, norm_type=p)[0] == pytest.approx(
            want, rel=1e-6, abs=5e-324
        )


def test_norm_beyond_float64_clips_instead_of_zeroing(split):
    """Finite data with a norm beyond float64's range (returned as inf) is scaled to max_norm;
    max_norm / inf = 0 zeroed it."""
    a = np.array([1.5e308, -1.5e308, 1e300])
    b = a.copy()
    assert fastinit.clip_grad_norm([a, np.ones(2)], 1.0) == math.inf
    np.testing.assert_allclose(a, [2**-0.5, -(2**-0.5), 1e300 / 1.5e308 * 2**-0.5], rtol=1e-12)
    norms = fastinit.clip_by_norm([np.ones(2), b], 1.0)
    assert norms[1] == math.inf
    np.testing.assert_allclose(b, a, rtol=1e-12)
    c = np.array([1.5e308, 1.5e308])
    fastinit.clip_by_norm([c, c], 1.0)  # in turn: the second turn finds it within the bound
    np.testing.assert_allclose(c, [2**-0.5, 2**-0.5], rtol=1e-12)


def test_float16_value_clipping_rounds_once():
    """The bound is rounded to float16, not to float32 and then float16 (twice)."""
    c = 1 + 2**-11 + 2**-40  # rounds to a float16 midpoint in float32
    for bound in (c, 65510.0, 1e30, 3e-8):
        a = np.array([2.0, -2.0, 0.5, np.inf, -65504.0, 1e-7, np.nan], np.float16)
        with np.errstate(over="ignore"):  # inf clamped to 1e30 rounds back to inf
            want = np.clip(a.astype(np.float64), -bound, bound).astype(np.float16)
        fastinit.clip_grad_value([a], bound)
        assert a.tobytes() == want.tobytes(), (bound, a, want)


def test_float32_scaling_by_a_tiny_coefficient_rounds_once():
    """The coefficient stays float64: as a float32 it was subnormal here and lost digits."""
    a = np.array([5.347972e36, -1e30], np.float32)
    x = a.astype(np.float64)
    want = (x * (1e-3 / np.abs(x).sum())).astype(np.float32)
    fastinit.clip_grad_norm(a, 1e-3, norm_type=1.0, eps=0.0)
    np.testing.assert_allclose(a, want, rtol=1.2e-7)


def test_norm_beyond_float64_edge_cases():
    """max_norm inf never clips (it scaled by inf); a p so small that the norm of ordinary data
    is beyond float64 gives a 0 coefficient instead of an OverflowError."""
    a = np.array([7.8e306, 1.8e307, 7.4e306, -2.9e307])
    b = a.copy()
    assert fastinit.clip_by_norm(a, math.inf, norm_type=0.5)[0] == math.inf
    np.testing.assert_array_equal(a, b)
    assert fastinit.clip_grad_norm(a, math.inf, norm_type=0.5) == math.inf
    np.testing.assert_array_equal(a, b)
    fastinit.clip_by_norm(a, 1e-3, norm_type=0.5)
    assert fastinit.global_norm(a, norm_type=0.5) == pytest.approx(1e-3, rel=1e-9)
    h = np.array([0.1257, -0.1321], np.float16)
    assert fastinit.clip_by_norm(h, 1e-3, norm_type=2.6e-174)[0] == math.inf
    np.testing.assert_array_equal(h, 0.0)


def test_norm_beyond_float64_from_a_small_p_is_clipped_on_one_thread():
    """p < 1 takes a finite sum beyond float64's range in the root: the one-thread fused path
    scaled by max_norm / inf = 0 and zeroed everything."""
    arrays = [np.array(0.1257, np.float16), np.array(2.82530444e306), np.array(-1.79769313e308)]
    assert fastinit.clip_grad_norm(arrays, 1e-3, norm_type=0.5, eps=0.0) == math.inf
    assert fastinit.global_norm(arrays, norm_type=0.5) == pytest.approx(1e-3, rel=1e-6)
