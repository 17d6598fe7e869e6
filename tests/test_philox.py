"""Philox4x32-10 bit for bit: published known-answer vectors, and an independent reference."""

import numpy as np
import pytest
from fastinit.kernels.philox import philox_raw
from hypothesis import given, settings
from hypothesis import strategies as st

from fastinit.random import block, key
from tests import reference

# Random123's kat_vectors, "philox4x32 10" lines: counter (4 words), key (2 words) -> output
KNOWN_ANSWERS = [
    ((0, 0, 0, 0), (0, 0), (0x6627E8D5, 0xE169C58D, 0xBC57AC4C, 0x9B00DBD8)),
    ((0xFFFFFFFF,) * 4, (0xFFFFFFFF,) * 2, (0x408F276D, 0x41C83B0E, 0xA20BC7C6, 0x6D5451FD)),
    (
        (0x243F6A88, 0x85A308D3, 0x13198A2E, 0x03707344),
        (0xA4093822, 0x299F31D0),
        (0xD16CFE09, 0x94FDCCEB, 0x5001E420, 0x24126EA1),
    ),
]


def _raw(counters, keys):
    counters = np.asarray(counters, dtype=np.uint32).reshape(-1, 4)
    keys = np.asarray(keys, dtype=np.uint32).reshape(-1, 2)
    out = np.zeros((len(counters), 4), dtype=np.uint32)
    philox_raw(counters, keys, out)
    return out


@pytest.mark.parametrize("counter, key_words, expected", KNOWN_ANSWERS)
def test_known_answer_vectors(counter, key_words, expected):
    assert tuple(int(w) for w in _raw(counter, key_words)[0]) == expected


def test_reference_matches_known_answers():
    for counter, key_words, expected in KNOWN_ANSWERS:
        assert reference.philox4x32_10(counter, key_words) == expected


word = st.integers(0, 2**32 - 1)


@settings(derandomize=True, deadline=None, max_examples=200)
@given(st.tuples(word, word, word, word), st.tuples(word, word))
def test_kernel_equals_reference(counter, key_words):
    assert tuple(int(w) for w in _raw(counter, key_words)[0]) == reference.philox4x32_10(
        counter, key_words
    )


@settings(derandomize=True, deadline=None, max_examples=30)
@given(st.integers(0, 2**40), st.integers(0, 2**32 - 1), st.integers(0, 2**31 - 1))
def test_stream_layout_float32_uniform(index, seed, tag):
    """Element i of the float32 uniform stream is the documented function of its block."""
    k = key(seed)
    value = block("uniform", index, index + 1, seed=k, tag=tag)[0]
    expected = reference.uniform_f32(index, (k.k0, k.k1), tag=tag, ext=k.ext)
    assert value == np.float32(expected)


@settings(derandomize=True, deadline=None, max_examples=30)
@given(st.integers(0, 2**40), st.integers(0, 2**32 - 1))
def test_stream_layout_float64(index, seed):
    k = key(seed)
    kw = {"tag": 0, "ext": k.ext}
    u = block("uniform", index, index + 1, seed=k, dtype=np.float64)[0]
    assert u == reference.uniform_f64(index, (k.k0, k.k1), **kw)
    z = block("normal", index, index + 1, seed=k, dtype=np.float64)[0]
    assert z == pytest.approx(reference.normal_f64(index, (k.k0, k.k1), **kw), rel=1e-13, abs=1e-14)


def test_counter_high_word_is_used():
    """Blocks 2^32 apart differ (the block index's high word reaches the counter)."""
    k = key(0)
    group = 256
    low = block("uniform", 0, 4, seed=k)
    # element 4*group*2**32 / group... pick the element whose block index is exactly 2**32
    far = 4 * group * (2**32 // group)
    high = block("uniform", far, far + 4, seed=k)
    assert not np.array_equal(low, high)
