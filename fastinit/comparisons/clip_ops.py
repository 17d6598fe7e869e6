"""Gradient clipping in the comparison table: fastinit against torch, NumPy and naive loops.

Inputs are a list of float32 arrays of mixed shapes (``size`` elements in total). The in-place
operations get fresh copies from ``prepare`` before every call (and, when torch is installed,
torch Parameters whose ``.grad`` shares memory with them, built outside the timed call). Every
peer returns ``(norm or None, arrays after the call)`` and ``check`` compares both with a float64
oracle computed from the untouched inputs.
"""

import importlib.util
import math

import numpy as np

from . import Comparison, Peer, register

MAX_NORM = 1.0
CLIP_VALUE = 0.5


def _setup(size):
    rng = np.random.default_rng(4)
    n_big = max(1, size // (1 << 16))
    shapes, left = [], size
    for i in range(n_big):  # a few large matrices, then many small vectors
        rows = max(1, left // (2 * 1024) if i < n_big - 1 else left // 2048)
        shapes.append((rows, 1024) if rows * 1024 <= left else (left,))
        left -= math.prod(shapes[-1])
    while left > 0:
        shapes.append((min(left, 256),))
        left -= shapes[-1][0]
    return {"arrays": [rng.standard_normal(s, dtype=np.float32) for s in shapes if math.prod(s)]}


def _prepare(inputs):
    arrays = [a.copy() for a in inputs["arrays"]]
    params = None
    if importlib.util.find_spec("torch") is not None:
        import torch

        params = []
        for a in arrays:
            p = torch.nn.Parameter(torch.empty(a.shape))
            p.grad = torch.from_numpy(a)
            params.append(p)
    return {"arrays": arrays, "torch_params": params}


# -------------------------------------------------------------------------------- oracles ---
def _oracle_norm(arrays):
    return math.sqrt(math.fsum(float(np.dot(a.ravel(), a.ravel())) for a in
                               (x.astype(np.float64) for x in arrays)))  # fmt: skip


def _check_norm(inputs, peer, result):
    total, _ = result
    expected = _oracle_norm(inputs["arrays"])
    assert math.isclose(total, expected, rel_tol=1e-6), (peer, total, expected)


def _check_clip_norm(inputs, peer, result):
    total, after = result
    expected = _oracle_norm(inputs["arrays"])
    assert math.isclose(total, expected, rel_tol=1e-6), (peer, total, expected)
    coef = min(MAX_NORM / (expected + 1e-6), 1.0)
    for a, b in zip(inputs["arrays"], after, strict=True):
        np.testing.assert_allclose(b, a.astype(np.float64) * coef, rtol=1e-6, err_msg=peer)


def _check_clip_value(inputs, peer, result):
    _, after = result
    for a, b in zip(inputs["arrays"], after, strict=True):
        np.testing.assert_array_equal(b, np.minimum(np.maximum(a, -CLIP_VALUE), CLIP_VALUE))


# ---------------------------------------------------------------------------------- peers ---
def _fastinit_norm(arrays, torch_params=None):
    from fastinit.clip import global_norm

    return global_norm(arrays), arrays


def _torch_norm(arrays, torch_params=None):
    import torch

    return float(torch.nn.utils.get_total_norm([p.grad for p in torch_params])), arrays


def _numpy_norm(arrays, torch_params=None):
    return math.sqrt(sum(float(np.dot(a.ravel(), a.ravel())) for a in arrays)), arrays


def _naive_norm(arrays, torch_params=None):
    s = 0.0
    for a in arrays:
        for v in a.ravel().tolist():
            s += v * v
    return math.sqrt(s), arrays


def _fastinit_clip_norm(arrays, torch_params=None):
    from fastinit.clip import clip_grad_norm

    return clip_grad_norm(arrays, MAX_NORM), arrays


def _torch_clip_norm(arrays, torch_params=None):
    import torch

    total = torch.nn.utils.clip_grad_norm_(torch_params, MAX_NORM, foreach=True)
    return float(total), arrays


def _numpy_clip_norm(arrays, torch_params=None):
    total = math.sqrt(sum(float(np.dot(a.ravel(), a.ravel())) for a in arrays))
    coef = min(MAX_NORM / (total + 1e-6), 1.0)
    if coef < 1.0:
        for a in arrays:
            np.multiply(a, np.float32(coef), out=a)
    return total, arrays


def _naive_clip_norm(arrays, torch_params=None):
    total, _ = _naive_norm(arrays)
    coef = min(MAX_NORM / (total + 1e-6), 1.0)
    for a in arrays:
        flat = a.reshape(-1)
        for i in range(flat.size):
            flat[i] = flat[i] * coef
    return total, arrays


def _fastinit_clip_value(arrays, torch_params=None):
    from fastinit.clip import clip_grad_value

    clip_grad_value(arrays, CLIP_VALUE)
    return None, arrays


def _torch_clip_value(arrays, torch_params=None):
    import torch

    torch.nn.utils.clip_grad_value_(torch_params, CLIP_VALUE, foreach=True)
    return None, arrays


def _numpy_clip_value(arrays, torch_params=None):
    for a in arrays:
        np.clip(a, -CLIP_VALUE, CLIP_VALUE, out=a)
    return None, arrays


def _register(name, check, description, fastinit, torch, numpy, naive=None):
    """One clipping comparison; they all run on the same list of float32 arrays."""
    peers = {
        "fastinit": Peer(fastinit),
        "torch": Peer(torch, requires="torch"),
        "numpy": Peer(numpy),
    }
    if naive is not None:
        peers["naive"] = naive
    register(
        Comparison(
            name=f"clip.{name}",
            setup=_setup,
            check=check,
            peers=peers,
            description=description,
            test_size=5000,
            bench_size=1 << 22,
            prepare=_prepare,
        )
    )


_register(
    "global_norm", _check_norm, "L2 norm of a list of float32 arrays (mixed shapes)",
    _fastinit_norm, _torch_norm, _numpy_norm, Peer(_naive_norm, max_size=1 << 16),
)  # fmt: skip
_register(
    "clip_grad_norm", _check_clip_norm,
    "clip a list of float32 arrays to global L2 norm 1 in place",
    _fastinit_clip_norm, _torch_clip_norm, _numpy_clip_norm,
    Peer(_naive_clip_norm, max_size=1 << 14),
)  # fmt: skip
_register(
    "clip_grad_value", _check_clip_value, "clamp a list of float32 arrays to [-0.5, 0.5] in place",
    _fastinit_clip_value, _torch_clip_value, _numpy_clip_value,
)  # fmt: skip
