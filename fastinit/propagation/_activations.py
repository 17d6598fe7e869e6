"""Activations and the Gaussian expectations of mean-field theory (private to propagation).

The two expectations that drive the theory are, for z ~ N(0, 1),

    V(q) = E[phi(sqrt(q) z)^2]        (forward length map)
    D(q) = E[phi'(sqrt(q) z)^2]       (backward gradient factor)

How they are computed, and why:

* Every activation here has its interesting point at 0: a kink (relu, leaky_relu, elu, selu), or
  the transition between its two regimes (tanh, sigmoid, gelu, silu, softplus), whose width in z
  shrinks like 1/sqrt(q). A Gauss-Hermite rule over the whole line converges slowly across a kink
  (its nodes straddle it) and needs hundreds of nodes for tanh at q = 10. So the line is split at
  0 and each half-line integral uses the Gauss rule of the half-range Gaussian weight
  exp(-z^2/2) on [0, inf): exact for polynomials of degree < 2n on the half-line, with nodes
  clustered near 0 where the transition is. With 160 nodes per half, V and D agree with adaptive
  quadrature to ~1e-9 relative up to q = 1e3 (tests/test_propagation_activations.py).
* The half-range rule is computed, not written down: a Stieltjes procedure on a fine
  Gauss-Legendre discretization of the weight gives the three-term recurrence, and Golub-Welsch
  (a symmetric tridiagonal eigenproblem) gives nodes and weights. The full-range Gauss-Hermite
  rule (numpy.polynomial.hermite_e.hermegauss) is used for smooth integrands such as the
  correlation map and serves as an oracle in the tests.
* theory() iterates V and D over many configurations and layers, so they are tabulated once per
  activation on a grid of u = log q (step 0.01, q in [1e-12, 2e3]) and read back with 4-point
  Lagrange interpolation of r(u) = V / q and D(u). Constant r and D (linear, relu, leaky_relu) are
  reproduced exactly; elsewhere the interpolation error is ~1e-10 relative. Below the grid r and
  D are power laws (error O(sqrt(q)) < 1e-5); above it q^s (a + b / sqrt(q) + c / q) with the
  asymptotic exponent s (0, -1/2 or -1) and a, b, c fitted at the end of the grid (error
  < 3e-4 relative).
"""

import functools
import math

import numpy as np
import scipy.special
from numpy.polynomial.legendre import legder, legval
from scipy.linalg import eigh_tridiagonal, eigvalsh_tridiagonal

from .. import _checks

SELU_LAMBDA = 1.0507009873554804934193349852946
SELU_ALPHA = 1.6732632423543772848170429916717

# name -> (integer code used by the kernels, default parameter or None)
ACTIVATIONS = {
    "linear": (0, None),
    "relu": (1, None),
    "leaky_relu": (2, 0.01),  # negative slope, as torch.nn.LeakyReLU
    "tanh": (3, None),
    "sigmoid": (4, None),
    "gelu": (5, None),  # exact (erf) form, torch's default
    "silu": (6, None),
    "selu": (7, None),
    "elu": (8, 1.0),  # alpha
    "softplus": (9, None),
}

# |param| above this is refused: the tables square param * sqrt(q) z for q up to 2e3 and nodes z
# up to ~40, which overflows float64 near 1e150; no network uses a slope or alpha near it
MAX_PARAM = 1e100

HALF_NODES = 160  # nodes of the half-range rule on each side of 0
U_MIN, U_MAX, U_STEP = math.log(1e-12), math.log(2e3), 0.01


def activation_spec(activation, param=None, name="activation"):
    """Validated ``(name, code, param)``; ``param`` is the slope / alpha where one applies."""
    if not isinstance(activation, str):
        raise TypeError(f"{name} must be a string such as 'relu', got {type(activation).__name__}")
    _checks.choice(activation, name, tuple(ACTIVATIONS))
    code, default = ACTIVATIONS[activation]
    if default is None:
        if param is not None:
            raise ValueError(f"param is only used by leaky_relu and elu, not by {activation!r}")
        return activation, code, 0.0
    value = default if param is None else _checks.real(param, "param")
    if abs(value) > MAX_PARAM:
        raise ValueError(f"param must be at most {MAX_PARAM:g} in magnitude, got {value}")
    if activation == "elu" and value <= 0:
        raise ValueError(f"param (the ELU alpha) must be > 0, got {value}")
    return activation, code, float(value)


def phi(x, code, param):
    """The activation, elementwise, in NumPy (float64; no overflow warnings)."""
    x = np.asarray(x, dtype=np.float64)
    if code == 0:
        return x.copy()
    if code == 1:
        return np.maximum(x, 0.0)
    if code == 2:
        return np.where(x > 0, x, param * x)
    if code == 3:
        return np.tanh(x)
    if code == 4:
        return scipy.special.expit(x)
    if code == 5:
        return x * scipy.special.ndtr(x)
    if code == 6:
        return x * scipy.special.expit(x)
    if code == 7:
        return SELU_LAMBDA * np.where(x > 0, x, SELU_ALPHA * np.expm1(np.minimum(x, 0.0)))
    if code == 8:
        return np.where(x > 0, x, param * np.expm1(np.minimum(x, 0.0)))
    return np.logaddexp(0.0, x)


def dphi(x, code, param):
    """The activation's derivative (one-sided values at a kink are never needed: nodes avoid 0)."""
    x = np.asarray(x, dtype=np.float64)
    if code == 0:
        return np.ones_like(x)
    if code == 1:
        return (x > 0).astype(np.float64)
    if code == 2:
        return np.where(x > 0, 1.0, param)
    if code == 3:
        return 1.0 - np.tanh(x) ** 2
    if code == 4:
        s = scipy.special.expit(x)
        return s * (1.0 - s)
    if code == 5:
        return scipy.special.ndtr(x) + x * np.exp(-0.5 * x * x) / math.sqrt(2.0 * math.pi)
    if code == 6:
        s = scipy.special.expit(x)
        return s * (1.0 + x * (1.0 - s))
    if code == 7:
        return SELU_LAMBDA * np.where(x > 0, 1.0, SELU_ALPHA * np.exp(np.minimum(x, 0.0)))
    if code == 8:
        return np.where(x > 0, 1.0, param * np.exp(np.minimum(x, 0.0)))
    return scipy.special.expit(x)


@functools.cache
def leggauss(n):
    """``numpy.polynomial.legendre.leggauss(n)`` in O(n^2) (the same bits for n = 1 .. 1000 here).

    NumPy finds the nodes as the eigenvalues of the Legendre companion matrix with a dense
    symmetric solver: at n = 1000 that took 0.5 s on an idle 2-core machine and up to 7 s on a
    loaded one (its BLAS threads wait for busy cores), most of the first theory() call. The
    matrix is tridiagonal, so a tridiagonal solver finds the same eigenvalues; NumPy's Newton
    step and weight formula follow unchanged (compared in tests/test_propagation_activations.py).
    """
    c = np.zeros(n + 1)
    c[-1] = 1.0
    scale = 1.0 / np.sqrt(2.0 * np.arange(n) + 1.0)
    x = eigvalsh_tridiagonal(np.zeros(n), np.arange(1, n) * scale[:-1] * scale[1:])
    # improve the roots by one Newton step, then the weights (scaled against overflow)
    dy = legval(x, c)
    df = legval(x, legder(c))
    x -= dy / df
    fm = legval(x, c[1:])
    fm /= np.abs(fm).max()
    df /= np.abs(df).max()
    w = 1.0 / (fm * df)
    w = (w + w[::-1]) / 2.0  # symmetrize
    x = (x - x[::-1]) / 2.0
    w *= 2.0 / w.sum()
    return x, w


@functools.cache
def half_range_rule(n=HALF_NODES):
    """Gauss rule for the weight exp(-z^2/2)/sqrt(2 pi) on [0, inf) (total mass 1/2).

    Stieltjes procedure on a 1000-point Gauss-Legendre discretization of the weight on [0, 38]
    (beyond, the weight is below 1e-313, under double precision), then Golub-Welsch. Built once
    per process (2 ms, which every correlation map paid); the arrays are read-only.
    """
    x, w = leggauss(1000)
    z = 19.0 * (x + 1.0)
    w = 19.0 * w * np.exp(-0.5 * z * z) / math.sqrt(2.0 * math.pi)
    mass = w.sum()
    alpha, beta = np.zeros(n), np.zeros(n)
    p_prev, p = np.zeros_like(z), np.ones_like(z)
    for k in range(n):
        norm = w @ (p * p)
        alpha[k] = (w @ (z * p * p)) / norm
        beta[k] = norm  # polynomials are renormalized each step, so this is ||p_k||^2/||p_{k-1}||^2
        p_next = (z - alpha[k]) * p - (beta[k] if k else 0.0) * p_prev
        scale = math.sqrt(norm)
        p_prev, p = p / scale, p_next / scale
    nodes, vectors = eigh_tridiagonal(alpha, np.sqrt(beta[1:]))
    weights = mass * vectors[0] ** 2
    nodes.flags.writeable = weights.flags.writeable = False
    return nodes, weights


def expectations(q, code, param):
    """(V(q), D(q)) by split half-range quadrature, for an array of q >= 0 (float64)."""
    q = np.asarray(q, dtype=np.float64)
    z, w = half_range_rule()
    s = np.sqrt(q)[..., None]
    both = np.concatenate([s * z, -s * z], axis=-1)
    ww = np.concatenate([w, w])
    return phi(both, code, param) ** 2 @ ww, dphi(both, code, param) ** 2 @ ww


def at_zero(code, param):
    """(V(0), D(0)): phi(0)^2 and the mean of the one-sided phi'(0)^2."""
    tiny = np.array([1e-300, -1e-300])
    v = float(phi(0.0, code, param)) ** 2
    d = float(np.mean(dphi(tiny, code, param) ** 2))
    return v, d


class Table:
    """Tabulated r(u) = V(e^u) / e^u and D(e^u) on a uniform grid of u, with tail exponents."""

    def __init__(self, code, param):
        u = np.arange(U_MIN, U_MAX + U_STEP / 2, U_STEP)
        v, d = expectations(np.exp(u), code, param)
        self.u0, self.step = float(u[0]), U_STEP
        self.r = v / np.exp(u)
        self.d = d
        self.v0, self.d0 = at_zero(code, param)

        def slope(values, i, j):
            # the leading exponents are multiples of 1/2 (0, -1/2, -1): snap to them
            raw = (math.log(values[j]) - math.log(values[i])) / ((j - i) * U_STEP)
            return round(2.0 * raw) / 2.0

        def upper_tail(values, s):
            # values ~ q^s (a + b / sqrt(q) + c / q) above the grid: the corrections of every
            # activation here are relative powers of q^{-1/2} (a step-like phi' or a
            # saturating phi); fitted through the last point and those 100 and 200 steps (a
            # factor e and e^2 in q) below it
            idx = np.array([-1, -101, -201])
            qs = np.exp(u[idx])
            basis = np.stack([np.ones(3), qs**-0.5, 1.0 / qs], axis=1)
            return np.linalg.solve(basis, values[idx] / qs**s)

        n = len(u)
        s_r, s_d = slope(self.r, n - 51, n - 1), slope(self.d, n - 51, n - 1)
        self.tails = np.array(
            [slope(self.r, 0, 50), s_r, slope(self.d, 0, 50), s_d,
             *upper_tail(self.r, s_r), *upper_tail(self.d, s_d)]
        )  # fmt: skip

    def arrays(self):
        """The table as the kernels take it."""
        scalars = np.array([self.u0, self.step, self.v0, self.d0, 1.0 / self.step])
        return self.r, self.d, scalars, self.tails


# bounded: param is any float, and an unbounded cache would keep a table (~55 KB) per value seen
@functools.lru_cache(maxsize=64)
def table(code, param):
    return Table(code, param)
