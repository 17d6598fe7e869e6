"""Orthogonal initialization in the comparison table: fastinit against QR-based samplers.

Every peer returns a Haar-distributed (semi-)orthogonal matrix from scratch, Gaussian draws
included: NumPy and SciPy as QR of a Gaussian matrix with the R-diagonal sign fix (Mezzadri
2007), ``scipy.stats.ortho_group``, and ``torch.nn.init.orthogonal_`` filling a zero-copy view of
the same buffer as fastinit. ``benchmarks/bench_orthogonal.py`` times the speed criteria
(including QR alone, without the draws) and the flop rate.
"""

import numpy as np

from .._orthogonal import orthogonal
from . import Comparison, Peer, register


def _sign_fixed(q, r):
    d = np.diagonal(r, axis1=-2, axis2=-1)
    return q * np.where(d < 0, -1.0, 1.0).astype(q.dtype)[..., None, :]


def _numpy_haar(shape, dtype):
    a = np.random.default_rng(0).standard_normal(shape, dtype=dtype)
    return _sign_fixed(*np.linalg.qr(a))


def _scipy_haar(shape, dtype):
    import scipy.linalg

    a = np.random.default_rng(0).standard_normal(shape, dtype=dtype)
    return _sign_fixed(*scipy.linalg.qr(a, mode="economic"))


def _ortho_group(n, count=None):
    import scipy.stats

    q = scipy.stats.ortho_group.rvs(n, size=count or 1, random_state=0)
    return q if count else q.reshape(n, n)


def _torch_orthogonal(buffer):
    import torch

    view = torch.from_numpy(buffer)
    if buffer.ndim == 2:
        return torch.nn.init.orthogonal_(view).numpy()
    for matrix in view:  # torch flattens a 3-D weight into one matrix: loop over the stack
        torch.nn.init.orthogonal_(matrix)
    return buffer


def _orthonormal_check(tol, shape_of):
    """A check: the result has the expected shape and orthonormal columns (or rows)."""

    def check(inputs, peer, result):
        q = np.asarray(result)
        assert q.shape == shape_of(inputs), f"{peer}: shape {q.shape}"
        q = q.astype(np.float64).reshape(-1, *q.shape[-2:])
        rows, cols = q.shape[-2:]
        gram = q.transpose(0, 2, 1) @ q if rows >= cols else q @ q.transpose(0, 2, 1)
        error = np.abs(gram - np.eye(min(rows, cols))).max()
        assert error < tol, f"{peer}: max |Q^T Q - I| = {error:.2e}"

    return check


def _square(dtype):
    def setup(n):
        return {"buffer": np.empty((n, n), dtype=dtype)}

    return setup


def _square_peers(dtype):
    return {
        "fastinit": Peer(lambda buffer: orthogonal(None, out=buffer, seed=0)),
        "numpy": Peer(lambda buffer: _numpy_haar(buffer.shape, dtype)),
        "scipy": Peer(lambda buffer: _scipy_haar(buffer.shape, dtype), requires="scipy"),
        "scipy.stats": Peer(
            lambda buffer: _ortho_group(buffer.shape[0]).astype(dtype), requires="scipy"
        ),
        "torch": Peer(_torch_orthogonal, requires="torch"),
    }


for _name, _dtype, _tol in (("float64", np.float64, 1e-12), ("float32", np.float32, 1e-4)):
    register(
        Comparison(
            name=f"init.orthogonal_{_name}",
            description=f"Haar orthogonal n x n {_name} (bench n = 2048)",
            setup=_square(_dtype),
            check=_orthonormal_check(_tol, lambda inputs: inputs["buffer"].shape),
            peers=_square_peers(_dtype),
            test_size=96,
            bench_size=2048,
            unit="n",
        )
    )

register(
    Comparison(
        name="init.orthogonal_tall",
        description="Haar 4k x k float64 with orthonormal columns (bench k = 1024)",
        setup=lambda k: {"buffer": np.empty((4 * k, k))},
        check=_orthonormal_check(1e-12, lambda inputs: inputs["buffer"].shape),
        peers={
            "fastinit": Peer(lambda buffer: orthogonal(None, out=buffer, seed=0)),
            "numpy": Peer(lambda buffer: _numpy_haar(buffer.shape, np.float64)),
            "scipy": Peer(lambda buffer: _scipy_haar(buffer.shape, np.float64)),
            "torch": Peer(_torch_orthogonal, requires="torch"),
        },
        test_size=40,
        bench_size=1024,
        unit="k",
    )
)

register(
    Comparison(
        name="init.orthogonal_batched",
        description="a stack of Haar 64 x 64 float64 (bench: 1024 of them)",
        setup=lambda count: {"buffer": np.empty((count, 64, 64))},
        check=_orthonormal_check(1e-12, lambda inputs: inputs["buffer"].shape),
        peers={
            "fastinit": Peer(lambda buffer: orthogonal(None, batch_ndim=1, out=buffer, seed=0)),
            "numpy": Peer(lambda buffer: _numpy_haar(buffer.shape, np.float64)),
            "scipy.stats": Peer(lambda buffer: _ortho_group(64, len(buffer)), requires="scipy"),
            "torch": Peer(_torch_orthogonal, requires="torch"),
        },
        test_size=8,
        bench_size=1024,
        unit="matrix",
    )
)
