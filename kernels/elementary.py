"""Logarithm and quarter-turn sine/cosine as polynomials that LLVM can vectorize.

This machine's Numba has no SVML, so ``math.log``/``math.sin`` stay scalar libm calls inside a
vectorized loop and cost ~10x more than the rest of a Box-Muller draw (measured: 5e7 float32
normals took 0.62 s with libm and 0.09 s with these kernels). The polynomials below are plain
arithmetic plus bit casts, so the loop vectorizer turns them into AVX2 code. Every multiply-add
is an explicit ``fma`` (one rounding, the same bits on every CPU; see ``_bits.fma``).

Accuracy (tested in tests/test_elementary.py against float64 NumPy on 10^6 points each):
``log_f32`` within 2 ulp, ``log_f64`` within 2 ulp, ``sincos_f32`` within 2 ulp and
``sincos_f64`` within 2 ulp (absolute error relative to the float spacing at the result);
``erfinv_f32`` within 3 ulp of erfinv of its (float32) argument for |x| <= 0.99662.
"""

import numpy as np

from ._bits import f32_as_i32, f64_as_i64, fma, i32_as_f32, i64_as_f64
from ._jit import jit

_LN2_F32 = np.float32(0.6931471805599453)
_LN2_F64 = 0.6931471805599453
_SQRT_HALF_BITS_F32 = np.int32(0x3F3504F3)  # bits of float32(sqrt(0.5))
_SQRT_HALF_BITS_F64 = np.int64(0x3FE6A09E667F3BCD)  # bits of sqrt(0.5)

# Polynomial coefficients for _horner, highest degree first. log: the 2/(2k+1) of 2 atanh(s), in
# z = s^2.
_LOG_F32 = tuple(np.float32(2.0 / k) for k in (9, 7, 5, 3))
_LOG_F64 = tuple(2.0 / k for k in range(21, 2, -2))
# sine and cosine in z = phi^2, Taylor: sin phi = phi + phi z S(z); cos phi = 1 + z C(z) in
# float32, 1 - z C(z) in float64 (C there holds the negated coefficients)
_SIN_F32 = tuple(np.float32(c) for c in (1.0 / 362880.0, -1.0 / 5040.0, 1.0 / 120.0, -1.0 / 6.0))
_COS_F32 = tuple(
    np.float32(c) for c in (-1.0 / 3628800.0, 1.0 / 40320.0, -1.0 / 720.0, 1.0 / 24.0, -0.5)
)
_SIN_F64 = (
    1.0 / 355687428096000.0, -1.0 / 1307674368000.0, 1.0 / 6227020800.0, -1.0 / 39916800.0,
    1.0 / 362880.0, -1.0 / 5040.0, 1.0 / 120.0, -1.0 / 6.0,
)  # fmt: skip
_COS_F64 = (
    1.0 / 6402373705728000.0, -1.0 / 20922789888000.0, 1.0 / 87178291200.0,
    -1.0 / 479001600.0, 1.0 / 3628800.0, -1.0 / 40320.0, 1.0 / 720.0, -1.0 / 24.0, 0.5,
)  # fmt: skip


@jit(inline="always")
def _horner(z, coefficients):
    """c0 z^n + c1 z^(n-1) + ... + cn for ``coefficients`` (c0, ..., cn), n >= 1, by Horner's
    rule: one fused multiply-add per degree, starting from fma(c0, z, c1)."""
    p = coefficients[0]
    for c in coefficients[1:]:
        p = fma(p, z, c)
    return p


@jit(inline="always")
def log_f32(x):
    """Natural log of a positive, normal float32 ``x`` (no checks for 0, inf or NaN).

    x = 2^e * m with m in [sqrt(1/2), sqrt(2)); log m = 2 atanh(s), s = (m - 1) / (m + 1),
    |s| <= 0.172, summed to s^9 (the next term is below 2e-9 relative).
    """
    # int32 casts keep LLVM on 32-bit lanes (Numba widens int32 arithmetic to int64)
    shifted = np.int32(f32_as_i32(x) - _SQRT_HALF_BITS_F32)
    e = np.float32(np.int32(shifted >> 23))
    m = i32_as_f32((shifted & np.int32(0x007FFFFF)) + _SQRT_HALF_BITS_F32)
    f = m - np.float32(1.0)
    s = f / (np.float32(2.0) + f)
    z = s * s
    p = _horner(z, _LOG_F32)
    # 2s + s*z*p keeps the leading term exact-ish for small s
    return fma(e, _LN2_F32, fma(s * z, p, np.float32(2.0) * s))


@jit(inline="always")
def log_f64(x):
    """Natural log of a positive, normal float64 ``x`` (same scheme as :func:`log_f32`, to s^21)."""
    shifted = f64_as_i64(x) - _SQRT_HALF_BITS_F64
    e = np.float64(shifted >> np.int64(52))
    m = i64_as_f64((shifted & np.int64(0x000FFFFFFFFFFFFF)) + _SQRT_HALF_BITS_F64)
    f = m - 1.0
    s = f / (2.0 + f)
    z = s * s
    p = _horner(z, _LOG_F64)
    return fma(e, _LN2_F64, fma(s * z, p, 2.0 * s))


@jit(inline="always")
def sincos_f32(phi):
    """(sin phi, cos phi) for float32 |phi| <= pi/4, Taylor to phi^9 / phi^10."""
    z = phi * phi
    s = _horner(z, _SIN_F32)
    c = _horner(z, _COS_F32)
    return fma(phi * z, s, phi), fma(z, c, np.float32(1.0))


@jit(inline="always")
def sincos_f64(phi):
    """(sin phi, cos phi) for float64 |phi| <= pi/4, Taylor to phi^17 / phi^18."""
    z = phi * phi
    s = _horner(z, _SIN_F64)
    c = _horner(z, _COS_F64)
    return fma(phi * z, s, phi), fma(-z, c, 1.0)


# erfinv(x) = x * P(w - 2.5) with w = -log(1 - x^2), for w in [0, 5] (|x| <= 0.99662, i.e.
# |sqrt(2) erfinv(x)| <= 2.93). Coefficients (lowest first) of our own degree-9 Chebyshev
# least-squares fit to scipy.special.erfinv(x) / x in float64, converted to powers of (w - 2.5):
# max relative error 3.5e-8 (tests/test_elementary.py re-derives the bound).
ERFINV_MAX_W = 5.0
_ERFINV = (
    1.501409354519073, 0.2466402677211926, -0.004177357249485908, -0.0012526938556365916,
    0.00021831700212653792, -4.995549322393504e-06, -3.4547633680912628e-06,
    4.739319903010925e-07, 2.2527618072859235e-08, -9.402097586775786e-09,
)  # fmt: skip
_E0, _E1, _E2, _E3, _E4, _E5, _E6, _E7, _E8, _E9 = (np.float32(c) for c in _ERFINV)


@jit(inline="always")
def erfinv_f32(x):
    """Inverse error function of a float32 ``x`` with |x| <= 0.99662 (no range check)."""
    w = -log_f32(fma(-x, x, np.float32(1.0))) - np.float32(2.5)
    # the high-order terms by Estrin's scheme (a shorter dependency chain: the vector loop is
    # bound by latency), the low-order ones by Horner's, which rounds less where the value is
    # made. Measured on one core, whole trunc_normal draw: all-Horner 1.90-1.94 ns per value,
    # this split 1.85-1.87 ns (and Horner's 2.9 ulp), all-Estrin 1.80-1.83 ns but 4.4 ulp.
    w2 = w * w
    high = fma(fma(fma(_E9, w, _E8), w2, fma(_E7, w, _E6)), w2, fma(_E5, w, _E4))
    return x * fma(fma(fma(fma(high, w, _E3), w, _E2), w, _E1), w, _E0)
