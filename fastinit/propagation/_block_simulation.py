"""Batched simulation of residual stacks: forward, backward, and per-block measurements.

One network per draw: the weights come from fastinit's normal stream (each matrix from its own
key, ``key(seed).fold_in(...)``), inputs of ``batch`` sequences of ``seq_len`` tokens go forward,
and a unit Gaussian gradient, independent across tokens, goes backward. Only the gradients with
respect to the activations are computed (no weight gradients): that is all the measurement
needs, and a third fewer matrix products than an autograd framework spends on the same stack
when its weights require gradients.
"""

import math
from dataclasses import dataclass

import numpy as np

from .. import _blas, _checks, _output, _threads, config
from ..random import _normal_reach, key, normal
from ._blocks import AttentionBranch, ResidualStack

_NORM_EPS = 1e-5  # as torch.nn.LayerNorm; it only matters for a dead signal
_BLOCK_ELEMENTS = 1 << 15


@dataclass(frozen=True)
class BlockSimulationResult:
    """Per-block measurements on ``n_networks`` random residual stacks.

    Attributes
    ----------
    q : ndarray, shape (n_networks, depth + 1)
        Mean square of the residual stream x_l (``q[:, 0]`` is the input's).
    c : ndarray, shape (n_networks, depth + 1)
        Correlation between two tokens of one sequence: the mean of x_a . x_b over distinct
        token pairs, over the mean of x_a . x_a.
    grad_var : ndarray, shape (n_networks, depth + 1)
        Mean square of dL/dx_l for a unit Gaussian output gradient, over that at the output.
    grad_corr : ndarray, shape (n_networks, depth + 1)
        The same correlation as ``c``, between the tokens' gradients.
    stack : ResidualStack
    """

    q: np.ndarray
    c: np.ndarray
    grad_var: np.ndarray
    grad_corr: np.ndarray
    stack: ResidualStack

    @property
    def forward_var(self):
        """``q`` of blocks 1..depth."""
        return self.q[:, 1:]

    def mean(self, name):
        """The mean over networks of ``q``, ``c``, ``grad_var`` or ``grad_corr``."""
        return getattr(self, name).mean(axis=0)


def _token_sums(x, t):
    """(sum of squares, sum of x_a . x_b over distinct token pairs of each sequence) of x
    (sequences of t tokens, one token per row), in float64."""
    x = x.reshape(-1, t, x.shape[-1])
    squares = np.einsum("btn,btn->", x, x, dtype=np.float64)
    total = x.sum(axis=1, dtype=np.float64)  # (batch, width)
    return squares, np.einsum("bn,bn->", total, total) - squares


def _moments(squares, pairs, tokens, t, n):
    """(second moment, correlation between distinct tokens) from :func:`_token_sums`' sums
    over ``tokens`` tokens of width ``n``."""
    q = squares / (tokens * n)
    with np.errstate(divide="ignore", invalid="ignore"):
        c = np.where((q == 0) | (t < 2), 0.0, pairs / (tokens * max(t - 1, 1) * n) / q)
    return q, c


class _Norm:
    """LayerNorm / RMSNorm over the last axis, no affine parameters (``kernels/rows.py``)."""

    def __init__(self, kind):
        self.center = kind == "layer"

    def forward(self, x):
        from ..kernels import rows

        u = np.empty_like(x)
        inv = np.empty(x.shape[0])
        rows.norm_forward(x, u, inv, self.center, _NORM_EPS)
        return u, inv

    def backward(self, gu, u, inv, g, alpha=None):
        """g = the gradient through the norm of ``gu`` (``g`` may be ``gu``), or with ``alpha``
        alpha * g plus it: in place."""
        from ..kernels import rows

        keep = alpha is not None
        rows.norm_backward(gu, u, inv, g, self.center, keep, float(alpha) if keep else 0.0)


_GELU = 5  # the activation code of gelu (``_activations.ACTIVATIONS``)
_GELU_CHUNK = 1 << 16  # elements per thread task of the float32 GELU passes


def _gelu(h, x):
    """x = gelu(h) and h = gelu'(h), float32, over flat views, split over threads."""
    from ..kernels import forward

    flat_h, flat_x = h.reshape(-1), x.reshape(-1)
    ntasks = -(-flat_h.size // _GELU_CHUNK)
    threads = config.thread_count() if config.use_threads(flat_h.size) else 1
    _threads.run(
        forward.gelu_with_slope, ntasks, flat_h, flat_x, _GELU_CHUNK,
        grain=_threads.grain_for(ntasks, threads), threads=threads,
    )  # fmt: skip


def _activate(h, x, code, param):
    """x = phi(h), and (phi'(h), written over ``h`` where it can be). The backward pass needs
    only the slope, and computing it here, from values still in cache, spares that pass a
    second evaluation. Float32 GELU takes the vectorized kernel, every other activation the
    shared ones of ``simulate()``."""
    from ..kernels import forward as kernels

    if code == _GELU and h.dtype == np.float32:
        _gelu(h, x)
        return h
    sums = np.empty(1)
    blocks = max(1, min(64, h.size // _BLOCK_ELEMENTS))
    kernels.forward(h.reshape(1, -1), x.reshape(1, -1), code, param, sums, blocks)
    slope = np.ones_like(h)
    kernels.backward(slope.reshape(1, -1), h.reshape(1, -1), code, param, sums, blocks)
    return slope


class _Scratch:
    """Buffers that a group's passes reuse for their temporaries, one per name: a new array of
    a few MB costs its first touch of every page (on a VM, about as much as the pass itself)."""

    def __init__(self):
        self._buffers = {}

    def __call__(self, name, shape, dtype):
        buffer = self._buffers.get(name)
        if buffer is None or buffer.shape != shape or buffer.dtype != dtype:
            buffer = self._buffers[name] = np.empty(shape, dtype)
        return buffer


class _MLPLayer:
    def __init__(self, branch, width, draw):
        hidden = branch.hidden(width)
        self.branch = branch
        self.w_in = draw((hidden, width), branch.sigma_w2)
        self.w_out = draw((width, hidden), branch.sigma_o2)

    def forward(self, u, scratch):
        h = u @ self.w_in.T  # becomes the slope, kept for the backward pass
        x = scratch("hidden", h.shape, h.dtype)
        slope = _activate(h, x, self.branch.code, self.branch.param)
        y = scratch("branch", u.shape, u.dtype)
        return np.matmul(x, self.w_out.T, out=y), slope

    def backward(self, g, slope, scratch):
        ga = np.matmul(g, self.w_out, out=scratch("hidden", slope.shape, g.dtype))
        ga *= slope
        return np.matmul(ga, self.w_in, out=scratch("branch", g.shape, g.dtype))


class _AttentionLayer:
    def __init__(self, branch, width, draw, seq_len):
        self.heads, self.scale, self.t = branch.heads, branch.score_scale(width), seq_len
        # W_Q, W_K and W_V stacked: one matrix product each way instead of three
        self.w_qkv = np.concatenate([
            draw((width, width), branch.sigma_qk2), draw((width, width), branch.sigma_qk2),
            draw((width, width), branch.sigma_v2),
        ])  # fmt: skip
        self.w_o = draw((width, width), branch.sigma_o2)

    def _heads(self, kernel, *arrays):
        """``kernel`` over every (sequence, head) pair of the rows (one thread: the caller
        spreads groups of sequences over threads)."""
        tasks = arrays[0].shape[0] // self.t * self.heads
        flat = [a.reshape(-1) for a in arrays]
        d = self.w_o.shape[0] // self.heads
        kernel(*flat, self.t, self.heads, d, float(self.scale), 0, tasks)

    def forward(self, u, scratch):
        from ..kernels import attention

        qkv = u @ self.w_qkv.T  # (tokens, 3 * width): [Q | K | V], heads side by side
        probs = np.empty((qkv.shape[0] * self.heads, self.t), dtype=u.dtype)
        out = scratch("heads", u.shape, u.dtype)
        self._heads(attention.forward, qkv, probs, out)
        return np.matmul(out, self.w_o.T, out=scratch("branch", u.shape, u.dtype)), (qkv, probs)

    def backward(self, g, saved, scratch):
        from ..kernels import attention

        qkv, probs = saved
        grads = scratch("qkv", qkv.shape, g.dtype)  # [dQ | dK | dV]
        go = np.matmul(g, self.w_o, out=scratch("heads", g.shape, g.dtype))
        self._heads(attention.backward, qkv, probs, go, grads)
        return np.matmul(grads, self.w_qkv, out=scratch("branch", g.shape, g.dtype))


def _layers(stack, root, dtype):
    """Every sublayer's weights, each matrix from its own key."""
    layers = []
    for block in range(stack.depth):
        for j, branch in enumerate(stack.branches):
            base = root.fold_in(f"block{block}.branch{j}")
            count = iter(range(8))

            def draw(shape, sigma2, base=base, count=count):
                std = math.sqrt(sigma2 / shape[1])
                return normal(shape, 0.0, std, seed=base.fold_in(next(count)), dtype=dtype)

            if isinstance(branch, AttentionBranch):
                layers.append(_AttentionLayer(branch, stack.width, draw, stack.seq_len))
            else:
                layers.append(_MLPLayer(branch, stack.width, draw))
    return layers


def _inputs(stack, batch, q0, c0, root, dtype):
    """Tokens of variance q0 and pairwise correlation c0 within each sequence, as a
    (batch * seq_len, width) array (sequence after sequence)."""
    shape = (batch, stack.seq_len, stack.width)
    shared = normal((batch, 1, stack.width), seed=root.fold_in("input.shared"), dtype=np.float64)
    own = normal(shape, seed=root.fold_in("input.tokens"), dtype=np.float64)
    x = math.sqrt(q0) * (math.sqrt(c0) * shared + math.sqrt(1.0 - c0) * own)
    return x.astype(dtype).reshape(-1, stack.width)


# Sequences per task: a group of about this many tokens goes forward and backward on one
# thread, every product on single-threaded BLAS. Sequences never interact (no weight gradients
# are taken), so the groups need no synchronization. Against whole-batch products on BLAS's
# threads, this spares the time those threads spin between products, holding the cores that
# the passes between the products need. Fewer tokens per group lose more to BLAS repacking
# the weights for each product (24 transformer blocks of width 512 on two threads: 1.59 s with
# groups of 512 tokens, 1.66 s with 256).
_GROUP_TOKENS = 512


def _run(stack, layers, x, g_out):
    """Forward then backward; (q, c, grad_var, grad_corr), each (depth + 1,). The sums behind
    them are taken per group of sequences and added in group order: the groups depend on the
    shapes only, so the result does not depend on the thread count."""
    t, n = stack.seq_len, stack.width
    sequences = x.shape[0] // t
    per = max(1, _GROUP_TOKENS // t)
    groups = -(-sequences // per)
    sums = np.zeros((groups, 4, stack.depth + 1))  # squares, pairs; forward then backward

    def task(lo, hi):
        for group in range(lo, hi):
            rows = slice(group * per * t, min(sequences, (group + 1) * per) * t)
            _passes(stack, layers, x[rows], g_out[rows], sums[group])

    # Beside busy processes every group still gets its thread: the groups never wait for each
    # other, and more threads get more of the machine's time (one busy process on 2 cores: 2.3-
    # 2.6 s on two threads, 3.1-3.2 s on one)
    with _blas.threads(1):
        _threads.run(task, groups, threads=config.thread_count())
    total = sums.sum(axis=0)
    q, c = _moments(total[0], total[1], x.shape[0], t, n)
    grad_var, grad_corr = _moments(total[2], total[3], x.shape[0], t, n)
    return q, c, grad_var / grad_var[-1], grad_corr


def _residual(x, alpha, y, beta=1.0):
    """x = alpha * x + beta * y in place, ``y`` a scratch buffer (a factor of 1 costs no pass:
    the default residual stack has alpha = beta = 1)."""
    if alpha != 1:
        x *= alpha
    if beta != 1:
        y *= beta
    x += y


def _passes(stack, layers, x, g_out, sums):
    """Forward and backward through the stack for some whole sequences, their token sums
    (:func:`_token_sums`) per block written to ``sums`` (4, depth + 1)."""
    alpha = np.asarray(stack.alpha, dtype=x.dtype)
    beta = np.asarray(stack.beta, dtype=x.dtype)
    norm = _Norm(stack.norm) if stack.norm is not None else None
    pre = stack.position == "pre"
    per_block = len(stack.branches)
    t = stack.seq_len
    scratch = _Scratch()
    sums[0:2, 0] = _token_sums(x, t)
    x = x.copy()  # the residual stream, updated in place (the tape keeps the norms' outputs)
    tape = []
    for i, layer in enumerate(layers):
        if pre:
            u, inv = norm.forward(x) if norm else (x, None)  # no norm: u is not kept
            y, saved = layer.forward(u, scratch)
            _residual(x, alpha, y, beta)
        else:
            u, inv = x, None
            y, saved = layer.forward(x, scratch)
            x = alpha * x + beta * y
            if norm:
                x, inv = norm.forward(x)
        tape.append((u if pre else x, inv, saved))
        if (i + 1) % per_block == 0:
            sums[0:2, (i + 1) // per_block] = _token_sums(x, t)
    g = g_out.copy()  # updated in place below
    sums[2:4, stack.depth] = _token_sums(g, t)
    for i in range(len(layers) - 1, -1, -1):
        layer, (normed, inv, saved) = layers[i], tape[i]
        if not pre and norm:
            norm.backward(g, normed, inv, g)  # post-norm: through the norm first
        scaled = g if beta == 1 else np.multiply(g, beta, out=scratch("scaled", g.shape, g.dtype))
        gu = layer.backward(scaled, saved, scratch)  # reads g, writes scratch buffers only
        if pre and norm:
            norm.backward(gu, normed, inv, g, alpha)
        else:
            _residual(g, alpha, gu)
        if i % per_block == 0:
            sums[2:4, i // per_block] = _token_sums(g, t)


def block_simulate(stack, *, batch=8, n_networks=1, seed=None, q0=1.0, c0=0.0, dtype=np.float32):
    """Measure a residual stack on random weights: see :func:`simulate`."""
    if not stack.is_scalar():
        raise ValueError(
            "simulate() builds real networks: alpha, beta and the branch variances must be "
            "numbers, not arrays (theory() takes grids)"
        )
    batch = _checks.positive_int(batch, "batch")
    n_networks = _checks.positive_int(n_networks, "n_networks")
    dtype = _checks.float_dtype(dtype)
    q0 = _checks.non_negative(q0, "q0")
    c0 = _checks.real(c0, "c0")
    if not 0.0 <= c0 <= 1.0:
        raise ValueError(f"c0 must be in [0, 1] for a simulation, got {c0}")
    _check_memory(stack, batch, n_networks, dtype.itemsize)
    _check_weights(stack, dtype)
    root = key(seed)
    rows = []
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        for net in range(n_networks):
            base = root.fold_in(net)
            layers = _layers(stack, base, dtype)
            x = _inputs(stack, batch, q0, c0, base, dtype)
            g = normal(x.shape, seed=base.fold_in("output.grad"), dtype=dtype)
            rows.append(_run(stack, layers, x, g))
    q, c, gv, gc = (np.array(column) for column in zip(*rows, strict=True))
    return BlockSimulationResult(q, c, gv, gc, stack)


def _check_weights(stack, dtype):
    """Refuse, before any draw, a branch variance whose Gaussian weights ``dtype`` cannot hold
    (the weight stream would refuse it later, naming its std rather than the variance)."""
    n = stack.width
    for j, branch in enumerate(stack.branches):
        if isinstance(branch, AttentionBranch):
            fans = {"sigma_qk2": n, "sigma_v2": n, "sigma_o2": n}
        else:
            fans = {"sigma_w2": n, "sigma_o2": branch.hidden(n)}
        for name, fan_in in fans.items():
            sigma2 = getattr(branch, name)
            reach = _normal_reach(math.sqrt(sigma2 / fan_in), dtype)
            _output.check_in_range([reach], f"branches[{j}].{name}={sigma2}", dtype)


def _check_memory(stack, batch, n_networks, itemsize):
    """Refuse a simulation whose weights, saved activations and per-network results could
    never fit."""
    tokens = batch * stack.seq_len
    n = stack.width
    total = 0
    for branch in stack.branches:
        if isinstance(branch, AttentionBranch):
            per = 4 * n * n + tokens * (5 * n) + batch * branch.heads * stack.seq_len**2
        else:
            hidden = branch.hidden(n)
            per = 2 * n * hidden + tokens * (2 * n + hidden)
        total += per * stack.depth
    # per network: four (depth + 1) float64 rows while running, four in the result, and the
    # arrays' and tuples' own headers
    results = n_networks * (64 * (stack.depth + 1) + 1024)
    _checks.fits_in_memory(
        itemsize * total + results,
        "batch, n_networks and the stack's depth and width",
        f"{n_networks} network(s) of a {stack.depth}-block stack of width {n} on a batch of "
        f"{batch}",
    )
