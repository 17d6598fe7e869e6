"""Seeds, keys and blocks: reproducibility whatever the thread count, shards equal to slices of
the whole, and the checks of block indices and Key words."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import fastinit
from fastinit import config
from fastinit import random as fr

from ._helpers import with_threads

DTYPES = [np.float32, np.float64]


@pytest.mark.parametrize("fn", [fr.uniform, fr.normal, fr.trunc_normal])
@pytest.mark.parametrize("dtype", DTYPES)
def test_thread_count_invariance(fn, dtype, monkeypatch):
    monkeypatch.setattr(config, "RANDOM_PARALLEL_MIN", 1 << 12)  # many threaded tasks
    one, many = (with_threads(n, lambda: fn((257, 1031), seed=5, dtype=dtype)) for n in (1, 4))
    assert np.array_equal(one, many)


@settings(derandomize=True, deadline=None, max_examples=40)
@given(
    st.sampled_from(["uniform", "normal", "trunc_normal"]),
    st.sampled_from(["float32", "float64"]),
    st.integers(0, 5000),
    st.integers(0, 5000),
)
def test_block_equals_slice_of_whole(distribution, dtype, start, length):
    k = fr.key(99)
    fn = {"uniform": fr.uniform, "normal": fr.normal, "trunc_normal": fr.trunc_normal}
    whole = fn[distribution](start + length, seed=k, dtype=dtype)
    part = fr.block(distribution, start, start + length, seed=k, dtype=dtype)
    assert np.array_equal(part, whole[start:])


def test_block_with_rejections_near_shard_edges():
    """Truncated-normal retries depend on the element index only, not on the shard."""
    k = fr.key(1)
    whole = fr.trunc_normal(10_000, 0.0, 1.0, -0.3, 1.2, seed=k)
    for start, stop in [(0, 1), (1023, 1025), (3000, 7777), (9999, 10_000)]:
        part = fr.block("trunc_normal", start, stop, seed=k, a=-0.3, b=1.2)
        assert np.array_equal(part, whole[start:stop])


def test_seed_kinds():
    a = fr.normal(100, seed=7)
    assert np.array_equal(a, fr.normal(100, seed=7))
    assert np.array_equal(a, fr.normal(100, seed=np.random.SeedSequence(7)))
    assert np.array_equal(a, fr.normal(100, seed=fr.key(7)))
    assert not np.array_equal(a, fr.normal(100, seed=8))
    assert not np.array_equal(fr.normal(100), fr.normal(100))  # fresh entropy
    g1, g2 = np.random.default_rng(3), np.random.default_rng(3)
    first = fr.normal(100, seed=g1)
    assert np.array_equal(first, fr.normal(100, seed=g2))
    assert not np.array_equal(first, fr.normal(100, seed=g1))  # the generator advanced


def test_global_numpy_state_untouched():
    np.random.seed(123)  # noqa: NPY002 (the legacy global state is what must stay untouched)
    state = np.random.get_state()  # noqa: NPY002
    fr.normal(10)
    fr.uniform(10, seed=1)
    after = np.random.get_state()  # noqa: NPY002
    assert all(np.array_equal(x, y) for x, y in zip(state[1:], after[1:], strict=True))
    assert state[0] == after[0]


def test_dtypes_share_nothing_but_key():
    assert fr.normal(8, seed=0, dtype=np.float16).dtype == np.float16
    half = fr.normal(1000, seed=0, dtype=np.float16)
    assert np.array_equal(half, fr.normal(1000, seed=0).astype(np.float16))


# ------------------------------------------------------------------------ block and Key ---


def test_block_enforces_its_index_limit():
    """trunc_normal blocks at indices >= 2^56 repeated earlier values; start >= 2^63 raised
    OverflowError and a start near 2^63 overflowed int64 in the kernel."""
    with pytest.raises(ValueError, match="stop"):
        fr.block("trunc_normal", 2**56 - 2, 2**56 + 2, seed=0)
    assert fr.block("trunc_normal", 2**56 - 4, 2**56, seed=0).shape == (4,)
    with pytest.raises(ValueError, match="stop"):
        fr.block("uniform", 2**63 - 5, 2**63 - 1, seed=0)
    with pytest.raises(ValueError, match="stop"):
        fr.block("normal", 2**63, 2**63 + 1, seed=0)
    assert fr.block("uniform", 2**62 - 3, 2**62, seed=0).shape == (3,)


@pytest.mark.parametrize(
    "kwargs, name",
    [
        ({"start": 0.5}, "start"),
        ({"start": "1"}, "start"),
        ({"stop": 4.0}, "stop"),
        ({"start": True}, "start"),
        ({"tag": 1.5}, "tag"),
        ({"tag": np.timedelta64(1)}, "tag"),
    ],
)
def test_block_refuses_non_integer_indices(kwargs, name):
    args = {"start": 0, "stop": 4, **kwargs}
    with pytest.raises(TypeError, match=name):
        fr.block("normal", args.pop("start"), args.pop("stop"), seed=0, **args)


def test_key_fields_are_checked():
    with pytest.raises(ValueError, match="k0"):
        fr.Key(2**32, 0, 0)
    with pytest.raises(ValueError, match="ext"):
        fr.Key(0, 0, -1)
    with pytest.raises(TypeError, match="k0"):
        fr.Key(1.5, 0, 0)
    with pytest.raises(TypeError, match="k1"):
        fr.Key(0, True, 0)
    k = fr.Key(np.uint32(5), np.int64(6), 7)
    assert k == (5, 6, 7) and all(type(w) is int for w in k) and repr(k).startswith("Key(")
    with pytest.raises(ValueError, match="k1"):
        fr.normal(3, seed=k._replace(k1=2**40))


def test_top_level_reexports():
    assert fastinit.normal is fr.normal and fastinit.init.trunc_normal is fr.trunc_normal
