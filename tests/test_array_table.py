"""The array table (kernels/array_table.py): how many arrays are described to one kernel call.

The compiled header reader must agree with NumPy's public attributes, and the table must
collapse each array to the fewest runs that still address exactly its elements.
"""

import sys

import numpy as np
import pytest
from fastinit.kernels import array_table as T
from hypothesis import given, settings
from hypothesis import strategies as st

SWAPPED = ord(">") if sys.byteorder == "little" else ord("<")


def _public_raw(arrays):
    """Raw rows from NumPy's public attributes (what read_headers reads from the headers)."""
    kinds = {np.dtype(np.float16): T.F16, np.dtype(np.float32): T.F32, np.dtype(np.float64): T.F64}
    raw, dims, strides = [], [], []
    for a in arrays:
        native = a.dtype.newbyteorder("=")
        flags = (T.FLAG_ALIGNED if a.flags.aligned else 0) | (
            T.FLAG_WRITEABLE if a.flags.writeable else 0
        )
        swapped = 0 if a.dtype.isnative else 1
        raw.append((a.ctypes.data, kinds.get(native, -1), a.ndim, len(dims), flags, swapped))
        dims += a.shape
        strides += a.strides
    return (
        np.array(raw, np.int64).reshape(-1, 6),
        np.array(dims, np.int64),
        np.array(strides, np.int64),
    )


def _described(raw, dims, strides, write):
    """``describe`` on raw rows, into arrays allocated here as the callers do:
    ``(code, index, table, shape, strides, paths)``."""
    table = np.zeros((len(raw), T.WIDTH), np.int64)
    cshape, cstride = np.empty((2, len(dims) + len(raw)), np.int64)
    code, index, used, paths, size, plain = T.describe(
        raw, dims, strides, write, table, cshape, cstride
    )
    assert size == table[:, T.COL_SIZE].sum()
    assert plain == (used == len(table) and cstride[:used].all())
    return code, index, table, cshape[:used], cstride[:used], paths


def _describe(arrays, write=False):
    """The checked table of ``arrays``, their headers read by the compiled reader."""
    seq = tuple(arrays)
    bad, *raw = T.read_headers(id(seq), len(seq), id(np.ndarray), SWAPPED)
    assert bad == -1
    return _described(*raw, write)


def _elements(table, shape, strides, i):
    """Byte offsets of array i's elements, in order, walked from its collapsed runs."""
    start, ndim = table[i, T.COL_DOFF], table[i, T.COL_NDIM]
    offsets = np.zeros(1, np.int64)
    for d in range(ndim):
        step = np.arange(shape[start + d], dtype=np.int64) * strides[start + d]
        offsets = (offsets[:, None] + step[None, :]).ravel()
    return offsets[: table[i, T.COL_SIZE]]


@st.composite
def views(draw):
    """A float view with odd shapes and strides (reversed, sliced, transposed, size-1 axes)."""
    dtype = draw(st.sampled_from([np.float16, np.float32, np.float64]))
    shape = tuple(draw(st.lists(st.integers(0, 5), min_size=0, max_size=4)))
    base = np.arange(int(np.prod(shape)), dtype=dtype).reshape(shape)
    if base.ndim:
        axes = draw(st.permutations(range(base.ndim)))
        base = base.transpose(axes)
        index = tuple(
            draw(st.sampled_from([slice(None), slice(None, None, -1), slice(None, None, 2)]))
            for _ in range(base.ndim)
        )
        base = base[index]
    return base


@settings(max_examples=200, deadline=None)
@given(st.lists(views(), min_size=1, max_size=5))
def test_compiled_reader_agrees_with_numpy_and_runs_address_every_element(arrays):
    seq = tuple(arrays)
    bad, *raw = T.read_headers(id(seq), len(seq), id(np.ndarray), SWAPPED)
    assert bad == -1
    for got, want in zip(raw, _public_raw(arrays), strict=True):
        np.testing.assert_array_equal(got, want)
    code, index, table, shape, strides, paths = _described(*raw, False)
    assert (code, index) == (T.OK, -1)
    for i, a in enumerate(arrays):
        assert table[i, T.COL_SIZE] == a.size
        assert table[i, T.COL_ADDR] == a.ctypes.data
        # walking the runs visits exactly the elements of a, in C order
        want = np.array(
            [sum(k * s for k, s in zip(ix, a.strides, strict=True)) for ix in np.ndindex(a.shape)],
            np.int64,
        )
        np.testing.assert_array_equal(_elements(table, shape, strides, i), want[: a.size])


def test_contiguous_arrays_collapse_to_one_run():
    a = np.zeros((4, 1, 6, 5), np.float32)
    code, _, table, shape, strides, paths = _describe([a, a[:, :, 1:3], a[0, 0]])
    assert code == T.OK
    assert table[0, T.COL_NDIM] == 1 and shape[0] == a.size and strides[0] == 4
    assert table[1, T.COL_NDIM] == 2  # rows of 2 contiguous floats, 30 floats apart
    assert paths == 0  # float32, unit-stride innermost runs: no gather, no f16, no f64


def test_paths_name_the_code_the_kernels_need():
    a16, a64 = np.zeros(3, np.float16), np.zeros(3)
    strided = np.zeros(6, np.float32)[::2]
    assert _describe([a16])[5] == T.PATH_F16
    assert _describe([a64])[5] == T.PATH_F64
    assert _describe([strided])[5] == T.PATH_GATHER
    assert _describe([a16, a64, strided])[5] == T.PATH_F16 | T.PATH_F64 | T.PATH_GATHER


def test_empty_and_zero_d_arrays_are_one_run_of_their_size():
    code, _, table, shape, _, _ = _describe([np.zeros((3, 0)), np.ones((), np.float32)])
    assert code == T.OK
    assert list(table[:, T.COL_SIZE]) == [0, 1]
    assert list(table[:, T.COL_NDIM]) == [1, 1]
    assert list(shape) == [0, 1]


@pytest.mark.parametrize(
    "bad, code, write",
    [
        (np.zeros(3, np.int32), T.BAD_DTYPE, False),
        (np.zeros(3, ">f4" if sys.byteorder == "little" else "<f4"), T.SWAPPED, False),
        (np.frombuffer(b"\0" * 17, np.uint8)[1:].view(np.float64), T.UNALIGNED, False),
        (np.zeros(3), T.READ_ONLY, True),
    ],
    ids=["dtype", "byte order", "alignment", "read-only"],
)
def test_the_first_bad_array_is_reported_by_index(bad, code, write):
    if code == T.READ_ONLY:
        bad.flags.writeable = False
    assert _describe([np.zeros(2), bad, bad], write=write)[:2] == (code, 1)


def test_a_non_array_is_reported_before_anything_is_read():
    seq = (np.zeros(2), [1.0, 2.0])
    bad, raw, dims, strides = T.read_headers(id(seq), len(seq), id(np.ndarray), SWAPPED)
    assert bad == 1
    assert raw.shape == (0, 6) and dims.size == strides.size == 0
