"""Initializer operations of the comparison table: fastinit against NumPy, PyTorch and loops.

Every peer fills the same preallocated float32 buffer (torch through a zero-copy
``torch.from_numpy`` view), so allocation is never part of a timing.
"""

import math
import random as _pyrandom

import numpy as np

from .. import init
from . import Comparison, Peer, register

_NAIVE_MAX = 200_000  # pure-Python loops are timed on this many elements and scaled


def _buffer(n):
    return {"buffer": np.empty(n, dtype=np.float32)}


def _moments_check(mean, std, *, low=-math.inf, high=math.inf):
    """A check: the sample has the law's mean and std (5 standard errors) and its support."""

    def check(inputs, peer, result):
        x = np.asarray(result, dtype=np.float64).reshape(-1)
        n = x.size
        assert x.min() >= low and x.max() <= high, f"{peer}: values outside [{low}, {high}]"
        assert abs(x.mean() - mean) < 5 * std / math.sqrt(n) + 1e-7, f"{peer}: mean {x.mean()}"
        assert abs(x.std() / std - 1) < 5 * math.sqrt(2 / n) + 0.002, f"{peer}: std {x.std()}"

    return check


def _torch_view(buffer):
    import torch

    return torch.from_numpy(buffer)


def _naive_fill(buffer, draw):
    for i in range(buffer.size):
        buffer[i] = draw()
    return buffer


def _naive_trunc(mean, std, a, b):
    def draw():
        while True:
            x = _pyrandom.gauss(mean, std)
            if a <= x <= b:
                return x

    return draw


# the common transformer init (std 0.02 cut at two standard deviations), the benchmark's window
_TN = {"mean": 0.0, "std": 0.02, "a": -0.04, "b": 0.04}
_TN_LAW = (0.0, 0.02 * 0.8796256610342398)  # mean and std of N(0, 0.02^2) truncated at 2 std

register(
    Comparison(
        name="init.normal",
        description="N(0, 1) float32",
        setup=_buffer,
        check=_moments_check(0.0, 1.0),
        test_size=200_000,
        bench_size=50_000_000,
        peers={
            "fastinit": Peer(lambda buffer: init.normal(None, out=buffer, seed=0)),
            "numpy": Peer(
                lambda buffer: np.random.default_rng(0).standard_normal(
                    dtype=np.float32, out=buffer
                )
            ),
            "torch": Peer(
                lambda buffer: __import__("torch").nn.init.normal_(_torch_view(buffer)).numpy(),
                requires="torch",
            ),
            "naive": Peer(lambda buffer: _naive_fill(buffer, lambda: _pyrandom.gauss(0.0, 1.0)),
                          max_size=_NAIVE_MAX),
        },
    )
)  # fmt: skip

register(
    Comparison(
        name="init.uniform",
        description="U[-1, 1) float32",
        setup=_buffer,
        check=_moments_check(0.0, 1 / math.sqrt(3), low=-1.0, high=1.0),
        test_size=200_000,
        bench_size=50_000_000,
        peers={
            "fastinit": Peer(lambda buffer: init.uniform(None, -1.0, 1.0, out=buffer, seed=0)),
            "numpy": Peer(
                lambda buffer: np.subtract(
                    np.multiply(
                        np.random.default_rng(0).random(dtype=np.float32, out=buffer), 2,
                        out=buffer,
                    ),
                    1, out=buffer,
                )
            ),
            "torch": Peer(
                lambda buffer: __import__("torch").nn.init.uniform_(_torch_view(buffer), -1.0, 1.0)
                .numpy(),
                requires="torch",
            ),
            "naive": Peer(lambda buffer: _naive_fill(buffer, lambda: _pyrandom.uniform(-1, 1)),
                          max_size=_NAIVE_MAX),
        },
    )
)  # fmt: skip

register(
    Comparison(
        name="init.trunc_normal",
        description="N(0, 0.02^2) truncated to [-0.04, 0.04], float32",
        setup=_buffer,
        check=_moments_check(*_TN_LAW, low=-0.04, high=0.04),
        test_size=200_000,
        bench_size=50_000_000,
        peers={
            "fastinit": Peer(lambda buffer: init.trunc_normal(None, **_TN, out=buffer, seed=0)),
            "torch": Peer(
                lambda buffer: __import__("torch").nn.init.trunc_normal_(_torch_view(buffer), **_TN)
                .numpy(),
                requires="torch",
            ),
            "scipy": Peer(
                lambda buffer: np.copyto(buffer, __import__("scipy.stats").stats.truncnorm.rvs(
                    -2, 2, scale=0.02, size=buffer.size, random_state=0)) or buffer,
                max_size=5_000_000,
            ),
            "naive": Peer(lambda buffer: _naive_fill(buffer, _naive_trunc(**_TN)),
                          max_size=_NAIVE_MAX),
        },
    )
)  # fmt: skip

_KAIMING_COLS = 1024


def _kaiming_setup(n):
    rows = max(1, n // _KAIMING_COLS)
    return {"buffer": np.empty((rows, _KAIMING_COLS), dtype=np.float32)}


register(
    Comparison(
        name="init.kaiming_uniform",
        description="kaiming_uniform_ defaults on (n/1024, 1024) float32",
        setup=_kaiming_setup,
        check=_moments_check(0.0, math.sqrt(2 / _KAIMING_COLS)),
        test_size=_KAIMING_COLS * 200,
        bench_size=_KAIMING_COLS * 16_384,
        peers={
            "fastinit": Peer(lambda buffer: init.kaiming_uniform(None, out=buffer, seed=0)),
            "torch": Peer(
                lambda buffer: __import__("torch").nn.init.kaiming_uniform_(_torch_view(buffer))
                .numpy(),
                requires="torch",
            ),
        },
    )
)  # fmt: skip


def _constant_check(inputs, peer, result):
    assert np.all(np.asarray(result) == 0.5), f"{peer}: not all 0.5"


register(
    Comparison(
        name="init.constant",
        description="fill with 0.5, float32 (the memory-bandwidth reference)",
        setup=_buffer,
        check=_constant_check,
        test_size=100_000,
        bench_size=50_000_000,
        peers={
            "fastinit": Peer(lambda buffer: init.constant(None, 0.5, out=buffer)),
            "numpy": Peer(lambda buffer: buffer.fill(0.5) or buffer),
            "torch": Peer(
                lambda buffer: __import__("torch").nn.init.constant_(_torch_view(buffer), 0.5)
                .numpy(),
                requires="torch",
            ),
        },
    )
)  # fmt: skip
