"""fastinit._output on its own: pieces cover an output exactly, in C order, and fill writes the
sequence it is given whatever the output's dtype and strides (the initializers' tests cover the
rest through the public functions)."""

import math

import numpy as np
import pytest

from fastinit import _output


@pytest.mark.parametrize(
    "shape, limit",
    [((10,), 3), ((4, 5, 6), 7), ((4, 5, 6), 30), ((4, 5, 6), 1000), ((3, 1, 9), 4), ((), 5)],
)
def test_pieces_cover_the_array_in_c_order(shape, limit):
    flat = np.arange(math.prod(shape)).reshape(shape)
    covered = 0
    for index, start, count in _output._pieces(shape, limit):
        assert start == covered and 0 < count <= limit
        piece = flat[index + (Ellipsis,)].reshape(-1)
        assert np.array_equal(piece, np.arange(start, start + count))
        covered += count
    assert covered == flat.size


def _sequence(calls):
    def fill_flat(vector, first):
        calls.append((vector.dtype, vector.size, first))
        vector[...] = np.arange(first, first + vector.size)

    return fill_flat


@pytest.mark.parametrize("piece_bytes", [8, _output.PIECE_BYTES, None])
@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_fill_writes_the_sequence_directly_or_through_pieces(dtype, piece_bytes):
    base = np.zeros((6, 10), dtype)
    for target, direct in [(base, dtype != np.float16), (base[:, ::2], False)]:
        calls = []
        _output.fill(target, _sequence(calls), piece_bytes=piece_bytes)
        assert np.array_equal(target.reshape(-1), np.arange(target.size))
        compute = np.float64 if dtype == np.float64 else np.float32
        assert all(d == compute for d, _, _ in calls)
        if direct or piece_bytes is None:  # one call: the whole output at once
            assert [(size, first) for _, size, first in calls] == [(target.size, 0)]


@pytest.mark.filterwarnings("ignore::PendingDeprecationWarning")  # np.matrix
def test_allocate_hands_back_out_or_a_new_array():
    out = np.asmatrix(np.ones((2, 3), np.float32))
    output = _output.resolve(None, None, out)
    result, target = _output.allocate(output)
    assert result is out and type(target) is np.ndarray and np.shares_memory(target, out)
    result, target = _output.allocate(_output.resolve((2, 3), None, None), zero=True)
    assert result is target and result.dtype == np.float32 and not result.any()
