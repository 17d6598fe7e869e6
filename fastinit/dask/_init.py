"""Random initializers as dask arrays: every chunk drawn on its own, no communication.

Each chunk is the ``region=`` box of the tensor that the in-memory initializer would draw
(:mod:`fastinit.init`), so ``compute()`` equals the in-memory result bit for bit for any
chunking, and any chunk can be (re)computed anywhere. The seed is resolved into a key once, when
the array is built; the arguments are checked then too, on a one-element box.
"""

import numpy as np

from .. import _checks, _output
from .. import init as _init
from .. import random as _random
from ._require import require_dask

__all__ = [
    "uniform", "normal", "trunc_normal", "xavier_uniform", "xavier_normal", "kaiming_uniform",
    "kaiming_normal", "lecun_uniform", "lecun_normal", "variance_scaling", "sparse",
]  # fmt: skip


def _chunk(function, shape, args, kwargs, block_info=None):
    """The chunk of ``function(shape, *args, **kwargs)`` that dask asks for."""
    location = block_info[None]["array-location"]
    region = tuple(slice(start, stop) for start, stop in location)
    return function(shape, *args, **kwargs, region=region)


def _lazy(function, shape, args, kwargs, chunks, seed, dtype):
    """``function(shape, *args, **kwargs, seed=seed, dtype=dtype)`` as a dask array of
    ``chunks``, each chunk its ``region=`` box."""
    da = require_dask()
    shape = _checks.shape_tuple(shape)
    dt = _output.float_dtype(np.float32 if dtype is None else dtype)
    stream_key = _random.key(seed)  # once: a Generator seed advances once per array
    options = {**kwargs, "seed": stream_key, "dtype": dt}
    # checked now, not at compute: draw a one-element box (an empty tensor checks itself)
    function(shape, *args, **options, region=tuple(slice(0, min(n, 1)) for n in shape))
    try:
        chunks = da.core.normalize_chunks(chunks, shape, dtype=dt)
    except (TypeError, ValueError) as error:
        raise ValueError(f"chunks={chunks!r} does not fit shape {shape}: {error}") from None
    name = f"fastinit-{function.__name__}-" + _tokenize(function, shape, args, options, chunks)
    return da.map_blocks(
        _chunk, function, shape, args, options, chunks=chunks, dtype=dt, name=name,
        meta=np.empty((0,) * len(shape), dt),
    )  # fmt: skip


def _tokenize(*parts):
    from dask.base import tokenize

    return tokenize(*parts)


def uniform(shape, low=0.0, high=1.0, *, chunks="auto", seed=None, dtype=None):
    """{lazy}"""
    return _lazy(_random.uniform, shape, (low, high), {}, chunks, seed, dtype)


def normal(shape, mean=0.0, std=1.0, *, chunks="auto", seed=None, dtype=None):
    """{lazy}"""
    return _lazy(_random.normal, shape, (mean, std), {}, chunks, seed, dtype)


def trunc_normal(shape, mean=0.0, std=1.0, a=-2.0, b=2.0, *, chunks="auto", seed=None,
                 dtype=None):  # fmt: skip
    """{lazy}"""
    return _lazy(_random.trunc_normal, shape, (mean, std, a, b), {}, chunks, seed, dtype)


def xavier_uniform(shape, gain=1.0, *, layout="torch", chunks="auto", seed=None, dtype=None):
    """{lazy}"""
    return _lazy(_init.xavier_uniform, shape, (gain,), {"layout": layout}, chunks, seed, dtype)


def xavier_normal(shape, gain=1.0, *, layout="torch", chunks="auto", seed=None, dtype=None):
    """{lazy}"""
    return _lazy(_init.xavier_normal, shape, (gain,), {"layout": layout}, chunks, seed, dtype)


def kaiming_uniform(shape, a=0.0, mode="fan_in", nonlinearity="leaky_relu", *, layout="torch",
                    chunks="auto", seed=None, dtype=None):  # fmt: skip
    """{lazy}"""
    args, kwargs = (a, mode, nonlinearity), {"layout": layout}
    return _lazy(_init.kaiming_uniform, shape, args, kwargs, chunks, seed, dtype)


def kaiming_normal(shape, a=0.0, mode="fan_in", nonlinearity="leaky_relu", *, layout="torch",
                   chunks="auto", seed=None, dtype=None):  # fmt: skip
    """{lazy}"""
    args, kwargs = (a, mode, nonlinearity), {"layout": layout}
    return _lazy(_init.kaiming_normal, shape, args, kwargs, chunks, seed, dtype)


def lecun_uniform(shape, *, layout="torch", chunks="auto", seed=None, dtype=None):
    """{lazy}"""
    return _lazy(_init.lecun_uniform, shape, (), {"layout": layout}, chunks, seed, dtype)


def lecun_normal(shape, *, layout="torch", chunks="auto", seed=None, dtype=None):
    """{lazy}"""
    return _lazy(_init.lecun_normal, shape, (), {"layout": layout}, chunks, seed, dtype)


def variance_scaling(shape, scale=1.0, mode="fan_in", distribution="truncated_normal", *,
                     layout="torch", chunks="auto", seed=None, dtype=None):  # fmt: skip
    """{lazy}"""
    args, kwargs = (scale, mode, distribution), {"layout": layout}
    return _lazy(_init.variance_scaling, shape, args, kwargs, chunks, seed, dtype)


def sparse(shape, sparsity, std=0.01, *, chunks="auto", seed=None, dtype=None):
    """{lazy}"""
    return _lazy(_init.sparse, shape, (sparsity, std), {}, chunks, seed, dtype)


def _fill_docstring(lazy, example_args=""):
    name = lazy.__name__
    lazy.__doc__ = f"""Lazy :func:`fastinit.{name}`: a dask array whose chunks are drawn alone.

    Each chunk is the ``region=`` box of the in-memory result, drawn on its own (no
    communication), so ``compute()`` equals ``fastinit.{name}`` with the same arguments bit for
    bit, for any chunking.

    Parameters
    ----------
    shape, ...
        As for :func:`fastinit.{name}` (fans come from the whole ``shape``).
    chunks : str, int or tuple, default "auto"
        Chunk sizes, as for ``dask.array.ones``: ``"auto"``, an int, a tuple per axis, or
        explicit block sizes (irregular chunks allowed).
    seed : None, int, SeedSequence, Generator or fastinit.random.Key
        Resolved into a key once, when the array is built.
    dtype : float32 (default), float64 or float16

    Returns
    -------
    dask.array.Array
        Lazy; every argument has been checked when it is returned.

    Examples
    --------
    >>> import fastinit, fastinit.dask as fd
    >>> lazy = fd.{name}((600, 400){example_args}, chunks=(250, 150), seed=0)
    >>> bool((lazy.compute() == fastinit.{name}((600, 400){example_args}, seed=0)).all())
    True
    """


for _function in (uniform, normal, trunc_normal, xavier_uniform, xavier_normal, kaiming_uniform,
                  kaiming_normal, lecun_uniform, lecun_normal, variance_scaling):  # fmt: skip
    _fill_docstring(_function)
_fill_docstring(sparse, ", 0.1")
