"""Slow, obviously-correct oracles for fastinit.propagation (closed forms, SciPy, loops)."""

import math
import warnings

import numpy as np
from scipy import integrate, optimize, special

SELU_LAMBDA = 1.0507009873554804934193349852946
SELU_ALPHA = 1.6732632423543772848170429916717


def phi(name, x, param=None):
    """Scalar activation (plain math, independent of fastinit's NumPy versions)."""
    if name == "linear":
        return x
    if name == "relu":
        return max(x, 0.0)
    if name == "leaky_relu":
        return x if x > 0 else (0.01 if param is None else param) * x
    if name == "tanh":
        return math.tanh(x)
    if name == "sigmoid":
        return 1.0 / (1.0 + math.exp(-x)) if x > -700 else 0.0
    if name == "gelu":
        return 0.5 * x * math.erfc(-x / math.sqrt(2.0))
    if name == "silu":
        return x / (1.0 + math.exp(-x)) if x > -700 else 0.0
    if name == "selu":
        return SELU_LAMBDA * (x if x > 0 else SELU_ALPHA * math.expm1(x))
    if name == "elu":
        return x if x > 0 else (1.0 if param is None else param) * math.expm1(x)
    if name == "softplus":
        return max(x, 0.0) + math.log1p(math.exp(-abs(x)))
    raise ValueError(name)


def dphi(name, x, param=None, h=None):
    """Derivative, analytic where easy, else a central difference away from the kink."""
    if name == "linear":
        return 1.0
    if name == "relu":
        return 1.0 if x > 0 else 0.0
    if name == "leaky_relu":
        return 1.0 if x > 0 else (0.01 if param is None else param)
    if name == "tanh":
        return 1.0 - math.tanh(x) ** 2
    if name == "sigmoid":
        s = phi("sigmoid", x)
        return s * (1 - s)
    if name == "gelu":
        return 0.5 * math.erfc(-x / math.sqrt(2.0)) + x * math.exp(-x * x / 2) / math.sqrt(
            2 * math.pi
        )
    if name == "silu":
        s = phi("sigmoid", x)
        return s * (1 + x * (1 - s))
    if name == "selu":
        return SELU_LAMBDA * (1.0 if x > 0 else SELU_ALPHA * math.exp(x))
    if name == "elu":
        return 1.0 if x > 0 else (1.0 if param is None else param) * math.exp(x)
    if name == "softplus":
        return phi("sigmoid", x)
    raise ValueError(name)


def closed_form(name, q, param=None):
    """(V(q), D(q)) where a closed form exists (linear, relu, leaky_relu)."""
    if name == "linear":
        return q, 1.0
    if name == "relu":
        return q / 2.0, 0.5
    if name == "leaky_relu":
        a = 0.01 if param is None else param
        return q * (1 + a * a) / 2.0, (1 + a * a) / 2.0
    raise ValueError(name)


def quad_expectations(name, q, param=None):
    """(V(q), D(q)) by adaptive quadrature (scipy.integrate.quad), split at 0 and at +-1/sqrt(q)."""
    s = math.sqrt(q)
    dens = 1.0 / math.sqrt(2.0 * math.pi)

    def integrate_half(f, sign):
        total = 0.0
        edges = [0.0, min(1.0, 1.0 / s), min(4.0, 8.0 / s), 40.0]
        for a, b in zip(edges[:-1], edges[1:], strict=True):
            if b > a:
                with warnings.catch_warnings():  # roundoff notices at 1e-13; values still fine
                    warnings.simplefilter("ignore", integrate.IntegrationWarning)
                    total += integrate.quad(
                        lambda z: f(sign * s * z) * dens * math.exp(-z * z / 2), a, b,
                        epsabs=0.0, epsrel=1e-13, limit=500,
                    )[0]  # fmt: skip
        return total

    v = sum(integrate_half(lambda x: phi(name, x, param) ** 2, sg) for sg in (1, -1))
    d = sum(integrate_half(lambda x: dphi(name, x, param) ** 2, sg) for sg in (1, -1))
    return v, d


def theory_loop(name, sigma_w2, sigma_b2, depth, q0=1.0, expectations=None):
    """q and chi for one configuration, one layer at a time."""
    expectations = expectations or (
        (lambda q: closed_form(name, q)) if name in ("linear", "relu", "leaky_relu")
        else (lambda q: quad_expectations(name, q))
    )  # fmt: skip
    q = [q0]
    chi = []
    for _ in range(depth):
        if q[-1] > 0:
            v, d = expectations(q[-1])
        else:  # phi(0)^2 and the mean of the one-sided derivatives squared
            v, d = phi(name, 0.0) ** 2, 0.5 * (dphi(name, 1e-300) ** 2 + dphi(name, -1e-300) ** 2)
        chi.append(sigma_w2 * d)
        q.append(sigma_w2 * v + sigma_b2)
    return np.array(q), np.array(chi)


def critical_tanh(sigma_b2):
    """Order-to-chaos boundary of tanh by nested root finding with adaptive quadrature."""
    if sigma_b2 == 0.0:
        return 1.0

    def q_star(sw2):
        return optimize.brentq(
            lambda q: sw2 * quad_expectations("tanh", q)[0] + sigma_b2 - q, sigma_b2,
            sw2 + sigma_b2 + 1.0, xtol=1e-15,
        )  # fmt: skip

    def chi_minus_one(sw2):
        return sw2 * quad_expectations("tanh", q_star(sw2))[1] - 1.0

    return optimize.brentq(chi_minus_one, 1.0, 10.0, xtol=1e-12)


def half_moment(k):
    """int_0^inf z^k exp(-z^2/2) / sqrt(2 pi) dz."""
    return 2 ** (k / 2 - 1) * special.gamma((k + 1) / 2) / math.sqrt(math.pi)
