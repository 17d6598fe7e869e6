"""fastinit.dask initializers: compute() equals the in-memory initializer bit for bit, for any
chunking; chunks are drawn alone; arguments are checked when the array is built."""

import numpy as np
import pytest

da = pytest.importorskip("dask.array")
import dask  # noqa: E402

import fastinit  # noqa: E402
import fastinit.dask as fd  # noqa: E402

CALLS = {
    "uniform": ((-1.0, 2.0), {}),
    "normal": ((0.5, 2.0), {}),
    "trunc_normal": ((0.0, 0.02, -0.04, 0.04), {}),
    "xavier_uniform": ((1.5,), {}),
    "xavier_normal": ((), {"layout": "jax"}),
    "kaiming_uniform": ((0.1, "fan_out"), {}),
    "kaiming_normal": ((0.0, "fan_in", "relu"), {}),
    "lecun_uniform": ((), {}),
    "lecun_normal": ((), {}),
    "variance_scaling": ((2.0, "fan_avg", "uniform"), {}),
    "sparse": ((0.2,), {}),
}
CHUNKINGS = [
    ((1000, 300), (100, 300)),  # rows
    ((1000, 300), (1000, 37)),  # columns: runs shorter than a superblock
    ((1000, 300), ((1, 499, 500), (150, 150))),  # irregular
    ((40, 30, 20), (7, 11, 20)),  # N-D
    ((40, 30, 3, 3), (10, 7, 2, 3)),  # a conv weight
]


@pytest.mark.parametrize("name", sorted(CALLS))
@pytest.mark.parametrize("shape, chunks", CHUNKINGS)
def test_compute_equals_the_in_memory_result(name, shape, chunks):
    args, kwargs = CALLS[name]
    if name == "sparse" and len(shape) != 2:
        pytest.skip("sparse is 2-D")
    lazy = getattr(fd, name)(shape, *args, **kwargs, chunks=chunks, seed=5, dtype=np.float64)
    expected = getattr(fastinit, name)(shape, *args, **kwargs, seed=5, dtype=np.float64)
    assert isinstance(lazy, da.Array) and lazy.dtype == np.float64
    with dask.config.set(scheduler="threads"):
        np.testing.assert_array_equal(lazy.compute(), expected)


def test_chunks_are_independent_and_the_seed_resolved_once():
    rng = np.random.default_rng(0)
    lazy = fd.trunc_normal((500, 400), std=0.02, a=-0.04, b=0.04, chunks=(100, 100), seed=rng)
    after = rng.integers(2**32)
    again = np.random.default_rng(0)
    k = fastinit.random.key(again)
    assert again.integers(2**32) == after  # the Generator advanced once, when building
    one = lazy.blocks[3, 2].compute()  # a chunk alone, from nothing but its graph
    whole = fastinit.trunc_normal((500, 400), std=0.02, a=-0.04, b=0.04, seed=k)
    np.testing.assert_array_equal(one, whole[300:400, 200:300])
    with dask.config.set(scheduler="synchronous"):
        np.testing.assert_array_equal(lazy.compute(), whole)


def test_float16_and_default_dtype():
    lazy = fd.normal((64, 64), chunks=16, seed=1, dtype=np.float16)
    np.testing.assert_array_equal(
        lazy.compute(), fastinit.normal((64, 64), seed=1, dtype=np.float16)
    )
    assert fd.uniform(10, chunks=5, seed=0).dtype == np.float32


def test_empty_shapes():
    assert fd.kaiming_normal((0, 5), chunks=2, seed=0).compute().shape == (0, 5)


@pytest.mark.parametrize(
    "call, error, match",
    [
        (lambda: fd.normal((10, 10), std=-1.0, chunks=5), ValueError, "std"),
        (lambda: fd.kaiming_uniform((10,), chunks=5), ValueError, "2 dimensions"),
        (lambda: fd.variance_scaling((10, 10), mode="fan_x", chunks=5), ValueError, "mode"),
        (lambda: fd.uniform((10, 10), chunks=((3, 3), 10)), ValueError, "chunks"),
        (lambda: fd.uniform((10, 10), chunks=5, dtype=np.int32), TypeError, "dtype"),
        (lambda: fd.uniform((10, 10), chunks=5, seed=-1), ValueError, "seed"),
        (lambda: fd.sparse((10, 10, 2), 0.1, chunks=5), ValueError, "2-D"),
    ],
)
def test_refused_when_built(call, error, match):
    with pytest.raises(error, match=match):
        call()
