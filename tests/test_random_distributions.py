"""The laws of the streams: Kolmogorov-Smirnov tests against scipy.stats, moments and tails,
exact truncation (every retry sampler), and values at the edges of the parameters' range."""

import math

import numpy as np
import pytest
import scipy.stats
from fastinit.kernels import stream_format

from fastinit import random as fr

N = 200_000  # draws per KS test (at least 10^5, for power against small deviations)
DTYPES = [np.float32, np.float64]


def _ks(sample, cdf):
    return scipy.stats.kstest(np.asarray(sample, dtype=np.float64), cdf).pvalue


@pytest.mark.parametrize("dtype", DTYPES)
def test_uniform_distribution(dtype):
    x = fr.uniform(N, -3.0, 5.0, seed=11, dtype=dtype)
    assert x.dtype == dtype and x.min() >= -3.0 and x.max() < 5.0
    assert _ks(x, scipy.stats.uniform(-3.0, 8.0).cdf) > 1e-3
    assert abs(x.mean() - 1.0) < 4 * 8 / math.sqrt(12 * N)


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
@pytest.mark.parametrize("low, high", [(0.1, 0.2), (0.5, 1.0), (-1.0, 1.0), (0.0, 1.0), (3.0, 3.0)])
def test_uniform_never_returns_high(dtype, low, high):
    """low + (high - low) * u can round up to high (about once in a thousand float16 draws,
    measured before the cap); values stay in [low, high) of the output dtype, and equal low
    when the interval is empty."""
    x = fr.uniform(2_000_000, low, high, seed=5, dtype=dtype)
    t = np.dtype(dtype).type
    if t(low) == t(high):
        assert (x == t(low)).all()
    else:
        assert x.min() >= t(low) and x.max() < t(high)
        if dtype == np.float16:  # 2e6 draws over ~2000 values reach the top one
            assert x.max() == np.nextafter(t(high), t(-np.inf))


@pytest.mark.parametrize("dtype", DTYPES)
def test_normal_distribution_and_moments(dtype):
    x = fr.normal(N, 1.5, 2.0, seed=12, dtype=dtype).astype(np.float64)
    assert _ks(x, scipy.stats.norm(1.5, 2.0).cdf) > 1e-3
    z = (x - 1.5) / 2.0
    se = 1 / math.sqrt(N)
    assert abs(z.mean()) < 5 * se
    assert abs(z.var() - 1) < 5 * math.sqrt(2) * se
    assert abs(scipy.stats.skew(z)) < 5 * math.sqrt(6) * se
    assert abs(scipy.stats.kurtosis(z)) < 5 * math.sqrt(24) * se


@pytest.mark.parametrize("dtype", DTYPES)
def test_normal_tails(dtype):
    """Tail frequencies beyond 3 and 4 sigma match the normal law (Box-Muller radius bits)."""
    x = np.abs(fr.normal(2_000_000, seed=13, dtype=dtype))
    for t in (3.0, 4.0):
        expected = 2_000_000 * 2 * scipy.stats.norm.sf(t)
        assert abs((x > t).sum() - expected) < 5 * math.sqrt(expected)


WINDOWS = [
    (0.0, 0.02, -0.04, 0.04),  # the transformer init: +-2 std
    (0.0, 1.0, -2.0, 2.0),
    (0.0, 1.0, -1.0, 0.5),  # asymmetric, normal sampler
    (0.0, 1.0, -0.01, 0.01),  # very narrow: uniform proposal
    (0.0, 1.0, 0.5, 0.7),  # narrow, off-centre: uniform proposal
    (0.0, 1.0, 3.0, 3.5),  # tail: exponential proposal
    (0.0, 1.0, 8.0, math.inf),  # far tail
    (1.0, 2.0, -math.inf, -9.0),  # lower far tail (mirrored exponential)
    (0.0, 1.0, -math.inf, math.inf),  # no truncation
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("mean, std, a, b", WINDOWS)
def test_trunc_normal_exact(mean, std, a, b, dtype):
    x = fr.trunc_normal(N, mean, std, a, b, seed=14, dtype=dtype)
    assert x.min() >= np.asarray(a, dtype) and x.max() <= np.asarray(b, dtype)
    law = scipy.stats.truncnorm((a - mean) / std, (b - mean) / std, loc=mean, scale=std)
    assert _ks(x, law.cdf) > 1e-3
    x = x.astype(np.float64)
    assert abs(x.mean() - law.mean()) < 5 * law.std() / math.sqrt(N)
    assert abs(x.var() / law.var() - 1) < 0.02


@pytest.mark.parametrize("dtype", DTYPES)
def test_trunc_normal_point_mass(dtype):
    assert np.all(fr.trunc_normal(10, 0.5, 0.0, -1, 1, seed=0, dtype=dtype) == 0.5)
    assert np.all(fr.trunc_normal(10, 0.0, 1.0, 0.25, 0.25, seed=0, dtype=dtype) == 0.25)
    assert np.all(fr.trunc_normal(10, 5.0, 0.0, -1, 1, seed=0, dtype=dtype) == 1.0)


def test_trunc_samplers_accept_at_least_a_quarter():
    """Every window gets a retry sampler accepting >= 25% (so 255 retries never run out)."""
    grid = np.concatenate([-np.logspace(-3, 1.5, 40)[::-1], [0.0], np.logspace(-3, 1.5, 40)])
    half_log_2pi = 0.5 * math.log(2 * math.pi)
    for alpha in grid:
        for beta in [*grid, math.inf]:
            if beta <= alpha:
                continue
            log_mass = fr._log_mass(alpha, beta)
            mode, _, lam = fr._retry_sampler(alpha, beta)
            if mode == stream_format.TRUNC_NORMAL:
                log_acc = log_mass
            elif mode == stream_format.TRUNC_UNIFORM:
                closest = 0.0 if alpha <= 0 <= beta else min(abs(alpha), abs(beta))
                log_acc = log_mass + half_log_2pi - math.log(beta - alpha) + closest**2 / 2
            else:
                lower = alpha if alpha > 0 else -beta
                log_acc = math.log(lam) + lam * lower - lam * lam / 2 + half_log_2pi + log_mass
            assert log_acc >= math.log(0.25) - 1e-12, (alpha, beta, mode)


# ------------------------------------------------------- edges of the parameters' range ---


def test_trunc_normal_far_in_the_tail():
    """(1e155, 1e156) and (1e200, inf) raised OverflowError; a window whose standardized bound
    overflows returned the far bound b instead of the near bound a."""
    f64 = np.float64
    assert (fr.trunc_normal(8, 0, 1, 1e155, 1e156, seed=0, dtype=f64) == 1e155).all()
    assert (fr.trunc_normal(8, 0, 1, 1e200, np.inf, seed=0, dtype=f64) == 1e200).all()
    assert (fr.trunc_normal(8, 0, 1, -np.inf, -1e200, seed=0, dtype=f64) == -1e200).all()
    assert (fr.trunc_normal(8, -1e300, 1e-300, 0.0, 1.0, seed=0, dtype=f64) == 0.0).all()
    # just inside the old limit the samplers still run, and values sit at a
    x = fr.trunc_normal(8, 0, 1, 1e150, np.inf, seed=0, dtype=f64)
    assert np.allclose(x, 1e150, rtol=1e-15, atol=0)
    with pytest.raises(ValueError, match=r"\[a, b\]"):
        fr.trunc_normal(8, 0, 1, np.inf, np.inf, seed=0)


def test_trunc_normal_window_narrower_than_the_means_resolution():
    """trunc_normal((), mean=1e38) (window [-2, 2] at -1e38 std: alpha == beta in float) raised
    'math domain error'; the window's values sit at its edge nearest the mean."""
    for dtype in (np.float32, np.float64):
        assert fr.trunc_normal((), 1e38, seed=0, dtype=dtype) == 2.0
        assert (fr.trunc_normal(4, -1e6, 1.0, 0.0, 1e-12, seed=0, dtype=dtype) == 0.0).all()


def test_float32_trunc_normal_with_a_std_beyond_float32():
    """trunc_normal((), std=1e155) in float32 was NaN: the float32 first draw used std = inf.
    Such windows (and a mean beyond float32) take the float64 retry samplers."""
    x = fr.trunc_normal(2000, 0.0, 1e155, seed=0)
    assert np.isfinite(x).all() and x.min() >= -2 and x.max() <= 2 and x.std() > 0.5
    y = fr.trunc_normal(2000, 0.0, 1e39, -6e4, 6e4, seed=0, dtype=np.float16)
    assert np.isfinite(y).all()
    z = fr.trunc_normal(2000, 0.0, 1e39, -3e38, 3e38, seed=0).astype(np.float64)
    assert np.isfinite(z).all() and abs(z.mean()) < 3e37 and z.std() > 1e38
