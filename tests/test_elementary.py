"""Polynomial log and sine/cosine kernels: stated ULP bounds against float64/extended NumPy."""

import math

import numpy as np
import pytest
from fastinit.kernels.elementary import log_f32, log_f64, sincos_f32, sincos_f64
from numba import njit


def _elementwise(fn):
    @njit
    def apply(x, out):
        for i in range(x.size):
            out[i] = fn(x[i])

    return apply


def _elementwise2(fn):
    @njit
    def apply(x, s, c):
        for i in range(x.size):
            s[i], c[i] = fn(x[i])

    return apply


_LOG = {np.float32: _elementwise(log_f32), np.float64: _elementwise(log_f64)}
_SINCOS = {np.float32: _elementwise2(sincos_f32), np.float64: _elementwise2(sincos_f64)}


def _ulps(values, exact, dtype):
    """|values - exact| in units of the float spacing at the exact result."""
    exact_rounded = exact.astype(dtype)
    spacing = np.spacing(np.abs(exact_rounded)).astype(np.float64)
    return np.abs(values.astype(np.float64) - exact) / spacing


@pytest.mark.parametrize("dtype, bound", [(np.float32, 2.0), (np.float64, 2.0)])
def test_log_ulp_bound(dtype, bound):
    rng = np.random.default_rng(0)
    # the Box-Muller range (0, 1] in log-uniform spread, plus values above 1 and exact powers
    x = np.concatenate(
        [
            np.exp(rng.uniform(np.log(2.0**-53), 0.0, 500_000)),
            rng.uniform(0.5, 2.0, 200_000),
            np.exp(rng.uniform(-80, 80, 200_000)),
            2.0 ** np.arange(-60, 60),
        ]
    ).astype(dtype)
    got = np.empty_like(x)
    _LOG[dtype](x, got)
    exact = np.log(x.astype(np.longdouble)).astype(np.float64)
    nonzero = exact != 0
    assert np.all(got[~nonzero] == 0)
    assert _ulps(got[nonzero], exact[nonzero], dtype).max() <= bound


@pytest.mark.parametrize("dtype, bound", [(np.float32, 2.0), (np.float64, 2.0)])
def test_sincos_ulp_bound(dtype, bound):
    rng = np.random.default_rng(1)
    x = rng.uniform(-math.pi / 4, math.pi / 4, 1_000_000).astype(dtype)
    s, c = np.empty_like(x), np.empty_like(x)
    _SINCOS[dtype](x, s, c)
    xl = x.astype(np.longdouble)
    assert _ulps(s, np.sin(xl).astype(np.float64), dtype).max() <= bound
    assert _ulps(c, np.cos(xl).astype(np.float64), dtype).max() <= bound


def test_erfinv_f32_ulp_bound():
    from fastinit.kernels.elementary import ERFINV_MAX_W, erfinv_f32
    from scipy.special import erfinv

    x_max = math.sqrt(1 - math.exp(-ERFINV_MAX_W))
    rng = np.random.default_rng(2)
    x = np.concatenate(
        [rng.uniform(-x_max, x_max, 1_000_000), 1 - np.logspace(-7, math.log10(1 - x_max), 1000)]
    ).astype(np.float32)
    x = x[np.abs(x) <= x_max]
    got = np.empty_like(x)
    _elementwise(erfinv_f32)(x, got)
    exact = erfinv(x.astype(np.float64))
    assert _ulps(got, exact, np.float32).max() <= 3


def test_erfinv_polynomial_fit_error():
    """The coefficients' own accuracy in float64 (the fit), over the whole domain w in [0, 5]."""
    from fastinit.kernels.elementary import _ERFINV, ERFINV_MAX_W
    from scipy.special import erfinv

    x = np.linspace(1e-6, math.sqrt(1 - math.exp(-ERFINV_MAX_W)), 200_001)
    w = -np.log1p(-x * x) - 2.5
    p = np.polynomial.polynomial.polyval(w, _ERFINV)
    assert np.abs(x * p / erfinv(x) - 1).max() < 4e-8


def _nearest(exact, dtype):
    """The float of ``dtype`` nearest to the Fraction ``exact`` (ties to even)."""
    from fractions import Fraction

    guess = dtype(float(exact))  # within one step of the answer (double rounding at worst)
    candidates = [np.nextafter(guess, dtype(-np.inf)), guess, np.nextafter(guess, dtype(np.inf))]
    errors = [abs(Fraction(float(c)) - exact) for c in candidates]
    best = min(errors)
    ties = [c for c, e in zip(candidates, errors, strict=True) if e == best]
    return min(
        ties, key=lambda c: int(np.array(c).view(np.int32 if dtype is np.float32 else np.int64)) & 1
    )


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_fma_rounds_once(dtype):
    """``_bits.fma`` is a*b + c rounded once, checked against exact rational arithmetic, on
    products whose low bits a separate multiply would round away."""
    from fractions import Fraction

    from fastinit.kernels._bits import fma

    @njit
    def apply(a, b, c, out):
        for i in range(a.size):
            out[i] = fma(a[i], b[i], c[i])

    rng = np.random.default_rng(3)
    a = rng.uniform(-2, 2, 2000).astype(dtype)
    b = rng.uniform(-2, 2, 2000).astype(dtype)
    c = (-(a.astype(np.float64) * b)).astype(dtype)  # cancels the product's leading bits
    c[::2] = rng.uniform(-2, 2, 1000).astype(dtype)
    got = np.empty_like(a)
    apply(a, b, c, got)
    for x, y, z, g in zip(a, b, c, got, strict=True):
        exact = Fraction(float(x)) * Fraction(float(y)) + Fraction(float(z))
        assert g == _nearest(exact, dtype)
    separate = a * b + c
    assert np.any(separate != got)  # the test would notice a multiply-then-add


def test_fma_promotes_mixed_precision():
    from fastinit.kernels._bits import fma
    from numba import types

    @njit
    def mixed(a, b, c):
        return fma(a, b, c)

    assert mixed(np.float32(1.5), 2.0, np.float32(0.25)) == 3.25
    mixed(np.float32(1.5), np.float32(2.0), np.float32(0.25))
    returns = {sig.args: sig.return_type for sig in mixed.nopython_signatures}
    assert returns[(types.float32, types.float64, types.float32)] == types.float64
    assert returns[(types.float32,) * 3] == types.float32
