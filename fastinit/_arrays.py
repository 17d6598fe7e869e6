"""Many arrays described to one kernel call: the checked array table, and which arrays share
memory.

The clipping functions take any number of arrays of mixed shapes, strides and dtypes. This module
turns such a list into the int64 array table of ``kernels/array_table.py`` (read straight from the
arrays' headers when the compiled reader agrees with NumPy's attributes on a sample, else from
those attributes), names the first array the kernels cannot take, and answers the memory
questions that decide whether writes may run on several threads.
"""

import functools
import sys
from typing import NamedTuple

import numpy as np

from . import _threads, config

_SWAPPED_CHAR = ord(">") if sys.byteorder == "little" else ord("<")


@functools.cache
def _headers_readable():
    """Whether the compiled header reader agrees with NumPy here (checked once per process)."""
    from .kernels import norms

    return headers_agree(norms)


_FLOAT_KINDS = {np.dtype(np.float16): 0, np.dtype(np.float32): 1, np.dtype(np.float64): 2}


def raw_public(seq, name):
    """Raw table rows from NumPy's public attributes (the slow, always-correct path)."""
    rows, dims, strides = [], [], []
    for i, a in enumerate(seq):
        if not isinstance(a, np.ndarray):
            raise TypeError(not_array(name, i, a))
        dtype, flags = a.dtype, a.flags
        native = dtype.isnative
        rows.append((
            a.__array_interface__["data"][0],
            _FLOAT_KINDS.get(dtype if native else dtype.newbyteorder("="), -1),
            a.ndim,
            len(dims),
            (0x100 if flags.aligned else 0) | (0x400 if flags.writeable else 0),
            0 if native else 1,
        ))  # fmt: skip
        dims.extend(a.shape)
        strides.extend(a.strides)
    raw = np.array(rows, np.int64).reshape(len(rows), 6)
    return raw, np.array(dims, np.int64), np.array(strides, np.int64)


def headers_agree(norms):
    """True when the compiled header reader matches NumPy's attributes on a varied sample."""
    base = np.arange(24.0).reshape(2, 3, 4)
    sample = (
        base,
        base[:, ::2, 1:].astype(np.float32),
        base.T,
        np.zeros((), np.float16),
        np.ones((0, 3)),
        np.frombuffer(b"\0" * 16, np.float32),
        base.astype(">f8"),
        base[::-1, 1],
    )
    try:
        bad, *fast = norms.read_headers(id(sample), len(sample), id(np.ndarray), _SWAPPED_CHAR)
        slow = raw_public(sample, "sample")
    except Exception:  # pragma: no cover - an unknown ABI: keep the public path
        return False
    return bad == -1 and all(np.array_equal(f, s) for f, s in zip(fast, slow, strict=True))


def not_array(name, i, a):
    return (
        f"{name}[{i}] must be a NumPy array (for torch tensors use fastinit.torch), "
        f"got {type(a).__name__}"
    )


def sequence(arrays, name):
    if isinstance(arrays, np.ndarray):
        return (arrays,)
    if isinstance(arrays, (str, bytes, dict)) or not hasattr(arrays, "__iter__"):
        raise TypeError(
            f"{name} must be a NumPy array or a sequence of arrays, got {type(arrays).__name__}"
        )
    return tuple(arrays)


class Arrays(NamedTuple):
    """The kernels' description of a list of arrays (memory described, nothing copied)."""

    table: np.ndarray  # one row per array (kernels/array_table.py)
    shape: np.ndarray  # collapsed shapes and byte strides, all arrays one after the other
    strides: np.ndarray
    paths: tuple  # (f16, f64, gather): None where no array needs that code (it is not compiled)
    threads: int  # how many threads the kernels may use on these arrays
    size: int  # elements in all the arrays together


def table(seq, name, write):
    """The checked description of ``seq``; raises naming the first bad array."""
    from .kernels import norms

    raw = None
    if len(seq) >= config.CLIP_HEADER_READER_MIN and _headers_readable():
        bad, *raw = norms.read_headers(id(seq), len(seq), id(np.ndarray), _SWAPPED_CHAR)
        if bad >= 0:  # a subclass or not an array at all: the public path
            raw = None
    if raw is None:
        raw = raw_public(seq, name)
    return from_raw(*raw, write, lambda i: f"{name}[{i}]", lambda i: seq[i].dtype)


def from_raw(raw, dims, strides, write, label, dtype_of):
    """The checked description of the arrays in raw rows (from NumPy's headers or attributes, or
    built by an adapter from another library's buffers: see ``kernels/array_table.py``); raises
    naming the first bad one as ``label(index)``, with its dtype from ``dtype_of(index)``."""
    from .kernels import norms

    table = np.zeros((len(raw), norms.WIDTH), np.int64)
    cshape, cstride = np.empty((2, len(dims) + len(raw)), np.int64)
    code, index, used, bits, total, plain = norms.describe(
        raw, dims, strides, write, table, cshape, cstride
    )
    if code != norms.OK:
        where, dtype = label(index), dtype_of(index)
        if code == norms.BAD_DTYPE:
            raise TypeError(
                f"{where} has dtype {dtype}; clipping needs float16, float32 or float64 arrays"
            )
        if code == norms.SWAPPED:
            raise TypeError(
                f"{where} has non-native byte order ({dtype.str}); clipping works in place on "
                "native-order float arrays"
            )
        if code == norms.UNALIGNED:
            raise ValueError(f"{where} is not aligned to its itemsize; pass an aligned array")
        raise ValueError(f"{where} is read-only; clipping works in place on writable arrays")
    shape, strides = cshape[:used], cstride[:used]
    k = norms
    if write and not plain and (index := first_self_overlapping(table, shape, strides)) >= 0:
        # (torch refuses such writes too: in tasks or gathered blocks, one element would be
        # read and written several times, in an order that depends on the split)
        raise ValueError(
            f"{label(index)} has elements that share memory (a broadcast or as_strided view); "
            "clipping works in place on arrays whose elements are distinct: pass a copy"
        )
    paths = tuple(True if bits & b else None for b in (k.PATH_F16, k.PATH_F64, k.PATH_GATHER))
    threads = 1
    if config.use_threads(total, config.CLIP_PARALLEL_MIN):
        threads = _threads.unloaded(config.thread_count())
    return Arrays(table, shape, strides, paths, threads, total)


def first_self_overlapping(table, shape, strides):
    """The index of the first described array two of whose elements may share memory, or -1.

    Conservative: with its axes sorted by stride, an array is safe when each stride is larger
    than the reach of all the smaller ones (true of every view NumPy's slicing, transposing and
    reshaping make); any other layout (a zero stride, as_strided tricks) counts as sharing."""
    # every array one run (each has ndim >= 1, so the flat vectors are then one entry per array)
    # and none of stride 0: the common case, decided without sorting
    if len(strides) == len(table) and strides.all():
        return -1
    from .kernels import array_table as k

    ndim = table[:, k.COL_NDIM]
    owner = np.repeat(np.arange(len(table)), ndim)
    step = np.abs(strides)
    order = np.lexsort((step, owner))  # each array's axes stay at its own offsets, by stride
    step, owner = step[order], owner[order]
    reach = (shape[order] - 1) * step
    below = np.cumsum(reach) - reach  # reach of every earlier axis, then of the array's own ones
    first = table[:, k.COL_DOFF]
    below -= below[first][owner]
    itemsize = np.array(k.ITEMSIZE)[table[:, k.COL_KIND]][owner]
    shared = (step < below + itemsize) & (table[owner, k.COL_SIZE] > 1)
    return int(owner[shared][0]) if shared.any() else -1


def extents(arrays):
    """(low, high): the byte range ``[low, high)`` each described array's elements lie in; for
    an array without elements, an empty range (``low == high``), which meets nothing."""
    from .kernels import array_table as k

    table, shape, strides = arrays.table, arrays.shape, arrays.strides
    if len(table) == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    reach = (shape - 1) * strides
    starts = table[:, k.COL_DOFF]
    addr = table[:, k.COL_ADDR]
    low = addr + np.add.reduceat(np.minimum(reach, 0), starts)
    itemsize = np.array(k.ITEMSIZE)[table[:, k.COL_KIND]]
    high = addr + np.add.reduceat(np.maximum(reach, 0), starts) + itemsize
    empty = table[:, k.COL_SIZE] == 0
    return np.where(empty, addr, low), np.where(empty, addr, high)


def sorted_live(low, high):
    """The indices of the ranges holding bytes, sorted by start."""
    index = np.flatnonzero(high > low)
    return index[np.argsort(low[index], kind="stable")]


def overlap_mask(low, high):
    """Which ranges share a byte with another: conservative (interleaved views such as ``x[::2]``
    and ``x[1::2]`` count as overlapping), never a missed overlap."""
    out = np.zeros(len(low), bool)
    index = sorted_live(low, high)
    if len(index) < 2:
        return out
    low, high = low[index], high[index]
    # sorted by start, a range meets an earlier one when it starts before the furthest end among
    # them, and a later one when the next start comes before its own end
    hit = np.zeros(len(index), bool)
    hit[1:] = low[1:] < np.maximum.accumulate(high)[:-1]
    hit[:-1] |= low[1:] < high[:-1]
    out[index] = hit
    return out


def writes_meet(low, high, written):
    """Whether a ``written`` range shares a byte with any other range (two ranges that are only
    read may share memory freely)."""
    index = sorted_live(low, high)
    if len(index) < 2:
        return False
    low, high, written = low[index], high[index], written[index]
    end_any = np.maximum.accumulate(high)[:-1]
    end_written = np.maximum.accumulate(np.where(written, high, np.iinfo(np.int64).min))[:-1]
    # sorted by start, two ranges meet when the later one starts before the earlier one ends
    return bool(np.any((low[1:] < end_written) | (written[1:] & (low[1:] < end_any))))


def overlapping(arrays):
    """Whether any two of the described arrays may share memory (see :func:`overlap_mask`).

    Writes then follow the list order: the arrays are written one after the other, as a Python
    loop over the list (torch's) would, even when one buffer appears twice in the list."""
    return bool(overlap_mask(*extents(arrays)).any())


def offsets(table):
    """Where each array starts when all are laid end to end, then the total."""
    from .kernels.array_table import COL_SIZE

    offs = np.zeros(len(table) + 1, np.int64)
    np.cumsum(table[:, COL_SIZE], out=offs[1:])
    return offs
