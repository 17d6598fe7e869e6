"""Derived keys: Key.fold_in is stable, separates its input types, and its children are
independent streams (of each other and of the parent)."""

import hashlib
import struct

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats

from fastinit import kaiming_uniform
from fastinit.random import Key, key, uniform


def _reference_fold(parent, kind, payload):
    """The documented derivation, spelled with struct instead of NumPy."""
    h = hashlib.blake2b(
        struct.pack("<3I", *parent) + kind + payload, digest_size=12, person=b"fastinit.fold"
    )
    return Key(*struct.unpack("<3I", h.digest()))


def test_fold_in_is_pinned():
    # part of the stream format: these words must never change
    assert key(0).fold_in("a") == Key(812498664, 2365289763, 482946380)
    assert key(0).fold_in(0) == Key(1873231367, 3886046684, 529714450)
    assert key(0).fold_in(b"0") == Key(1984918059, 3917013471, 3856827363)


@given(
    words=st.tuples(*[st.integers(0, 2**32 - 1)] * 3),
    data=st.one_of(st.text(), st.integers(-(2**80), 2**80), st.binary()),
)
def test_fold_in_matches_the_documented_derivation(words, data):
    parent = Key(*words)
    if isinstance(data, str):
        expected = _reference_fold(parent, b"s", data.encode("utf-8"))
    elif isinstance(data, bytes):
        expected = _reference_fold(parent, b"b", data)
    else:
        n = data.bit_length() // 8 + 1
        expected = _reference_fold(parent, b"i", data.to_bytes(n, "little", signed=True))
    assert parent.fold_in(data) == expected
    assert parent.fold_in(data) != parent


def test_fold_in_separates_types_and_parents():
    root = key(1)
    children = {
        root.fold_in("0"),
        root.fold_in(0),
        root.fold_in(b"0"),
        root.fold_in(bytearray(b"0")),
    }
    assert len(children) == 3  # bytes and bytearray are the same data
    assert root.fold_in(np.int64(5)) == root.fold_in(5)
    assert key(2).fold_in("0") != root.fold_in("0")
    assert root.fold_in("a").fold_in("b") != root.fold_in("b").fold_in("a")


@pytest.mark.parametrize("bad", [1.0, None, True, np.bool_(False), ["a"], np.timedelta64(1)])
def test_fold_in_refuses_other_types(bad):
    with pytest.raises(TypeError, match="fold_in data must be a str, an int or bytes"):
        key(0).fold_in(bad)


def test_children_are_independent_streams():
    n = 200_000
    root = key(12345)
    streams = [uniform(n, seed=root, dtype=np.float64)]
    streams += [
        uniform(n, seed=root.fold_in(f"layer{i}.weight"), dtype=np.float64) for i in range(6)
    ]
    streams += [uniform(n, seed=root.fold_in(i), dtype=np.float64) for i in range(3)]
    corr = np.corrcoef(np.stack(streams))
    off_diagonal = corr[~np.eye(len(streams), dtype=bool)]
    # |r| of independent uniforms has standard deviation 1 / sqrt(n); 5 sigma
    assert np.abs(off_diagonal).max() < 5 / np.sqrt(n)
    for s in streams[1:]:
        assert stats.kstest(s, "uniform").pvalue > 1e-4
    # lagged pairs across streams: the same element index of two children is not related
    pairs = np.stack(streams[1:3], axis=1)
    hist, _, _ = np.histogram2d(pairs[:, 0], pairs[:, 1], bins=10)
    assert stats.chisquare(hist.ravel()).pvalue > 1e-4


def test_folded_layers_are_not_proportional():
    # one seed for two shapes reuses one stream (the same leading uniforms, scaled by each
    # shape's bound); folding the layer's name in gives each its own
    same_a, same_b = kaiming_uniform((4, 8), seed=0), kaiming_uniform((4, 4), seed=0)
    assert np.allclose(same_a.ravel()[:16] / same_b.ravel(), same_a[0, 0] / same_b[0, 0])
    root = key(0)
    a = kaiming_uniform((4, 8), seed=root.fold_in("fc1.weight"))
    b = kaiming_uniform((4, 4), seed=root.fold_in("fc2.weight"))
    ratio = a.ravel()[:16] / b.ravel()
    assert np.ptp(ratio) > 1.0
