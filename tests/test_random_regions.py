"""region=: any N-D box of a random tensor, computed alone, equals that box of the whole tensor
bit for bit (every random initializer, float16/32/64, any thread count, out= of any layout)."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import fastinit
from fastinit.random import key

from ._helpers import threads

K = key(2024)
# every random initializer, with arguments that reach each sampler of the truncated normal
DRAWS = {
    "uniform": lambda shape, **kw: fastinit.uniform(shape, -2.0, 3.0, **kw),
    "normal": lambda shape, **kw: fastinit.normal(shape, 1.0, 0.5, **kw),
    "trunc_invcdf": lambda shape, **kw: fastinit.trunc_normal(
        shape, std=0.02, a=-0.04, b=0.04, **kw
    ),
    "trunc_normal_retry": lambda shape, **kw: fastinit.trunc_normal(shape, a=-1.0, b=3.0, **kw),
    "trunc_uniform_retry": lambda shape, **kw: fastinit.trunc_normal(shape, a=0.5, b=0.6, **kw),
    "trunc_tail": lambda shape, **kw: fastinit.trunc_normal(shape, a=3.0, b=8.0, **kw),
    "xavier_uniform": fastinit.xavier_uniform,
    "xavier_normal": fastinit.xavier_normal,
    "kaiming_uniform": fastinit.kaiming_uniform,
    "kaiming_normal": fastinit.kaiming_normal,
    "lecun_uniform": fastinit.lecun_uniform,
    "lecun_normal": fastinit.lecun_normal,
    "variance_scaling": lambda shape, **kw: fastinit.variance_scaling(shape, 2.0, "fan_avg", **kw),
}


@st.composite
def shapes_and_boxes(draw, min_ndim=1, max_ndim=4):
    shape = tuple(draw(st.lists(st.integers(1, 700), min_size=min_ndim, max_size=max_ndim)))
    if np.prod(shape) > 300_000:
        shape = shape[:1] + tuple(min(d, 40) for d in shape[1:])
    box = []
    for n in shape:
        start = draw(st.integers(0, n))
        stop = draw(st.integers(start, n))
        box.append(slice(start, stop))
    return shape, tuple(box[: draw(st.integers(1, len(box)))])


@pytest.mark.parametrize("name", sorted(DRAWS))
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@settings(max_examples=25, deadline=None)
@given(case=shapes_and_boxes(min_ndim=2))
def test_a_box_equals_the_box_of_the_whole(name, dtype, case):
    shape, region = case
    whole = DRAWS[name](shape, seed=K, dtype=dtype)
    part = DRAWS[name](shape, seed=K, dtype=dtype, region=region)
    assert part.shape == whole[region].shape and part.dtype == whole.dtype
    np.testing.assert_array_equal(part, whole[region])


@pytest.mark.parametrize("name", ["uniform", "normal", "trunc_invcdf", "trunc_tail"])
@settings(max_examples=15, deadline=None)
@given(case=shapes_and_boxes(min_ndim=1, max_ndim=3))
def test_boxes_of_any_rank_and_float16(name, case):
    shape, region = case
    whole = DRAWS[name](shape, seed=K, dtype=np.float16)
    np.testing.assert_array_equal(DRAWS[name](shape, seed=K, dtype=np.float16, region=region),
                                  whole[region])  # fmt: skip


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_column_and_row_shards_tile_the_whole(dtype, monkeypatch):
    """Tensor-parallel shards of a wide matrix: 8 column blocks (runs shorter than a
    superblock, the per-block path), 8 row blocks, and a 2 x 4 grid; each on its own thread
    count."""
    monkeypatch.setattr(fastinit.config, "RANDOM_PARALLEL_MIN", 1 << 12)  # shards split too
    shape = (777, 3000)
    whole = fastinit.kaiming_normal(shape, seed=K, dtype=dtype)
    cols = np.array_split(np.arange(shape[1]), 8)
    rows = np.array_split(np.arange(shape[0]), 8)
    for n, (r, c) in enumerate(
        [(slice(None), slice(c[0], c[-1] + 1)) for c in cols]
        + [(slice(r[0], r[-1] + 1), slice(None)) for r in rows]
        + [(slice(0, 400), slice(0, 750)), (slice(400, 777), slice(750, 3000))]
    ):
        with threads(1 + n % 2):
            part = fastinit.kaiming_normal(shape, seed=K, dtype=dtype, region=(r, c))
        np.testing.assert_array_equal(part, whole[r, c])


def test_out_of_any_layout_and_a_region():
    shape, region = (300, 500), (slice(20, 220), slice(33, 433))
    whole = fastinit.trunc_normal(shape, std=0.02, a=-0.04, b=0.04, seed=K)
    for out in (np.empty((400, 200), np.float32).T, np.empty((200, 400), np.float16),
                np.empty((200, 800), np.float32)[:, ::2]):  # fmt: skip
        got = fastinit.trunc_normal(shape, std=0.02, a=-0.04, b=0.04, seed=K, out=out,
                                    region=region)  # fmt: skip
        assert got is out
        np.testing.assert_array_equal(out, whole[region].astype(out.dtype))


def test_sparse_regions():
    whole = fastinit.sparse((120, 50), 0.25, seed=K)
    for region in [(slice(0, 60),), (slice(30, 90), slice(10, 11)), (slice(None), slice(49, 50))]:
        np.testing.assert_array_equal(fastinit.sparse((120, 50), 0.25, seed=K, region=region),
                                      whole[region])  # fmt: skip


def test_numpy_slicing_rules():
    whole = fastinit.normal((10, 20), seed=K)
    for region in [(slice(-3, None),), slice(2, 5), (slice(5, 2),), (slice(None), slice(-25, 100))]:
        np.testing.assert_array_equal(
            fastinit.normal((10, 20), seed=K, region=region), whole[region]
        )


def test_a_box_of_a_tensor_too_large_to_hold():
    shape = (10**7, 10**7)  # 4e14 bytes in float32: only its boxes can exist
    part = fastinit.uniform(shape, seed=K, region=(slice(5 * 10**6, 5 * 10**6 + 3), slice(0, 4)))
    flat = fastinit.random.block("uniform", 5 * 10**13, 5 * 10**13 + 4, seed=K)
    np.testing.assert_array_equal(part[0], flat)


@pytest.mark.parametrize(
    "call, error, match",
    [
        (lambda: fastinit.normal((4, 4), region=(slice(0, 4, 2),)), ValueError, "step 1"),
        (lambda: fastinit.normal((4, 4), region=(1, 2)), TypeError, "tuple of slices"),
        (lambda: fastinit.normal((4, 4), region=[slice(0, 1)]), TypeError, "tuple of slices"),
        (lambda: fastinit.normal((4, 4), region=(slice(0.5, 2),)), TypeError, "int or None"),
        (lambda: fastinit.normal((4,), region=(slice(0, 1),) * 2), ValueError, "2 slices"),
        (lambda: fastinit.normal(None, out=np.zeros(2, np.float32), region=(slice(0, 2),)),
         TypeError, "needs shape"),
        (lambda: fastinit.normal((4, 4), out=np.zeros((4, 4), np.float32),
                                 region=(slice(0, 2),)), ValueError, "shape"),
        (lambda: fastinit.normal((2**40, 2**30), region=(slice(0, 1),)), ValueError, "2\\*\\*62"),
        (lambda: fastinit.trunc_normal((2**40, 2**20), region=(slice(0, 1),)), ValueError,
         "2\\*\\*56"),
    ],
)  # fmt: skip
def test_refusals(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_sparse_box_of_a_tensor_too_long_for_the_stream_leaves_the_generator():
    gen = np.random.default_rng(0)
    state = gen.bit_generator.state
    with pytest.raises(ValueError, match="shape"):
        fastinit.sparse((2**40, 2**40), 0.5, seed=gen, region=(slice(0, 2), slice(0, 0)))
    assert gen.bit_generator.state == state
