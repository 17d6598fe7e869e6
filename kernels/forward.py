"""Elementwise work of the batched simulation: activations, their derivatives, sums of squares.

The matrix products of simulate() run in BLAS (np.matmul on stacked networks); everything else
is one fused pass per layer here: the forward pass writes phi(h) and accumulates sum(h^2) per
network, the backward pass multiplies the incoming gradient by phi'(h) in place and accumulates
sum(g^2). Arrays are (networks, elements) float32 or float64, sums are float64.

These passes run on the calling thread on purpose. They alternate with multi-threaded BLAS
calls, and Numba's OpenMP workers keep spinning after each parallel region: on 2 cores a
parallel version made a 50-layer simulate take 15 s instead of 0.38 s (measured). Serial, they
cost ~8% of the matrix products.

Activation codes (fastinit/propagation/_activations.py): 0 linear, 1 relu, 2 leaky_relu
(param = slope), 3 tanh, 4 sigmoid, 5 gelu, 6 silu, 7 selu, 8 elu (param = alpha), 9 softplus.
"""

import math

import numpy as np

from ._jit import FASTMATH, jit

_SELU_LAMBDA = 1.0507009873554804934193349852946
_SELU_ALPHA = 1.6732632423543772848170429916717
_INV_SQRT2 = 0.7071067811865476
_INV_SQRT_2PI = 0.3989422804014327


@jit(inline="always")
def _sigmoid(x):
    if x >= 0.0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


@jit(inline="always")
def phi(x, code, param):
    if code == 0:
        return x
    if code == 1:
        return x if x > 0.0 else 0.0
    if code == 2:
        return x if x > 0.0 else param * x
    if code == 3:
        return math.tanh(x)
    if code == 4:
        return _sigmoid(x)
    if code == 5:
        return 0.5 * x * math.erfc(-x * _INV_SQRT2)
    if code == 6:
        return x * _sigmoid(x)
    if code == 7:
        return _SELU_LAMBDA * (x if x > 0.0 else _SELU_ALPHA * math.expm1(x))
    if code == 8:
        return x if x > 0.0 else param * math.expm1(x)
    return max(x, 0.0) + math.log1p(math.exp(-abs(x)))


@jit(inline="always")
def dphi(x, code, param):
    if code == 0:
        return 1.0
    if code == 1:
        return 1.0 if x > 0.0 else 0.0
    if code == 2:
        return 1.0 if x > 0.0 else param
    if code == 3:
        t = math.tanh(x)
        return 1.0 - t * t
    if code == 4:
        s = _sigmoid(x)
        return s * (1.0 - s)
    if code == 5:
        return 0.5 * math.erfc(-x * _INV_SQRT2) + x * _INV_SQRT_2PI * math.exp(-0.5 * x * x)
    if code == 6:
        s = _sigmoid(x)
        return s * (1.0 + x * (1.0 - s))
    if code == 7:
        return _SELU_LAMBDA * (1.0 if x > 0.0 else _SELU_ALPHA * math.exp(x))
    if code == 8:
        return 1.0 if x > 0.0 else param * math.exp(x)
    return _sigmoid(x)


@jit(fastmath=FASTMATH)
def _forward_block(h, x, code, param):
    # relu and linear get their own loops so that LLVM vectorizes them (the common case)
    acc = 0.0
    if code == 1:
        for i in range(h.shape[0]):
            v = h[i]
            acc += v * v
            x[i] = v if v > 0 else 0
    elif code == 0:
        for i in range(h.shape[0]):
            v = h[i]
            acc += v * v
            x[i] = v
    else:
        for i in range(h.shape[0]):
            v = h[i]
            acc += v * v
            x[i] = phi(v, code, param)
    return acc


@jit(fastmath=FASTMATH)
def _backward_block(g, h, code, param):
    acc = 0.0
    if code == 1:
        for i in range(g.shape[0]):
            v = g[i] if h[i] > 0 else 0
            g[i] = v
            acc += v * v
    else:
        for i in range(g.shape[0]):
            v = g[i] * dphi(h[i], code, param)
            g[i] = v
            acc += v * v
    return acc


@jit(fastmath=FASTMATH)
def _square_block(g):
    acc = 0.0
    for i in range(g.shape[0]):
        v = g[i]
        acc += v * v
    return acc


# the three passes, as the shared block loop below tells them apart
_FORWARD, _BACKWARD, _SQUARES = 0, 1, 2


@jit(inline="always")
def _blocked(kind, a, b, code, param, sums, blocks):
    """Run pass ``kind`` over (networks, elements) arrays ``a`` (and ``b``) block by block, then
    sums[k] = the sum of network k's block results.

    Each network is cut into ``blocks`` contiguous blocks, each summed on its own (pairwise-like
    accuracy for float32 inputs; sums are float64 anyway). One branch per block, not per element.
    """
    networks, size = a.shape
    partial = np.empty(networks * blocks)
    for t in range(networks * blocks):
        k = t // blocks
        part = t - k * blocks  # block number within network k
        lo, hi = part * size // blocks, (part + 1) * size // blocks
        if kind == _FORWARD:
            partial[t] = _forward_block(a[k, lo:hi], b[k, lo:hi], code, param)
        elif kind == _BACKWARD:
            partial[t] = _backward_block(a[k, lo:hi], b[k, lo:hi], code, param)
        else:
            partial[t] = _square_block(a[k, lo:hi])
    for k in range(networks):
        sums[k] = partial[k * blocks : (k + 1) * blocks].sum()


@jit
def forward(h, x, code, param, sums, blocks):
    """x = phi(h) and sums[k] = sum(h[k]^2) for (networks, elements) arrays ``h`` and ``x``."""
    _blocked(_FORWARD, h, x, code, param, sums, blocks)


@jit
def backward(g, h, code, param, sums, blocks):
    """g *= phi'(h) in place and sums[k] = sum(g[k]^2) (after the product)."""
    _blocked(_BACKWARD, g, h, code, param, sums, blocks)


@jit
def square_sums(g, sums, blocks):
    """sums[k] = sum(g[k]^2)."""
    _blocked(_SQUARES, g, g, 0, 0.0, sums, blocks)


# GELU for the residual-stack simulation, Phi(v) = (1 + erf(v / sqrt 2)) / 2 with
# erf(y) ~ y P(y^2) / Q(y^2) for |y| <= 4 and sign(y) beyond. The rational function was fitted
# for this module (weighted least squares on [0, 4]); its largest error is 2.4e-8, under float32's
# spacing at 1, and Q >= 1 has no pole. The slope is that of the same function (1.2e-6 from the
# true erf' at worst), so forward and backward are one activation exactly. No libm call is left
# in the loops, so they vectorize: ~20x faster than math.erf per value.
_ERF_P = (1.1283790615156239, 0.1943687984951197, 0.053214708508600266, 0.0039213728335678148,
          0.00028589519497428405, 1.9856725950406001e-06)  # fmt: skip
_ERF_Q = (1.0, 0.50558677030498167, 0.11569499824504449, 0.015280752155555266,
          0.0011958111057733970, 3.7480383608978466e-05)  # fmt: skip
_INV_SQRT2 = 0.7071067811865476


@jit(inline="always")
def _gelu_pair(v):
    """(gelu(v), gelu'(v)) with the rational erf above, in float64."""
    p0, p1, p2, p3, p4, p5 = _ERF_P
    q0, q1, q2, q3, q4, q5 = _ERF_Q
    y = min(max(v * _INV_SQRT2, -4.0), 4.0)
    t = y * y
    p = ((((p5 * t + p4) * t + p3) * t + p2) * t + p1) * t + p0
    q = ((((q5 * t + q4) * t + q3) * t + q2) * t + q1) * t + q0
    dp = (((5.0 * p5 * t + 4.0 * p4) * t + 3.0 * p3) * t + 2.0 * p2) * t + p1
    dq = (((5.0 * q5 * t + 4.0 * q4) * t + 3.0 * q3) * t + 2.0 * q2) * t + q1
    inv_q = 1.0 / q
    r = p * inv_q
    inside = 1.0 if abs(v * _INV_SQRT2) < 4.0 else 0.0
    d_erf = inside * (r + 2.0 * t * (dp - r * dq) * inv_q)
    cdf = 0.5 * (1.0 + y * r)
    return v * cdf, cdf + v * (0.5 * _INV_SQRT2) * d_erf


@jit(fastmath=FASTMATH)
def gelu_with_slope(h, x, chunk, task_lo, task_hi):
    """x = gelu(h) and h = gelu'(h) in place, over flat float arrays, tasks of ``chunk``
    elements ``task_lo..task_hi``."""
    lo, hi = task_lo * chunk, min(h.shape[0], task_hi * chunk)
    # loops over slices from 0: with a signed start LLVM kept such a loop scalar (3.3x slower:
    # every index needed its negative-wraparound check)
    hs, xs = h[lo:hi], x[lo:hi]
    for i in range(hs.shape[0]):
        value, slope = _gelu_pair(np.float64(hs[i]))
        xs[i] = value
        hs[i] = slope
