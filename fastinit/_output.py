"""The output of every initializer and random stream: resolved, checked, allocated and filled here.

An initializer chooses a distribution; this module does the rest, the same way for all of them
(as numpy.random's ``check_output`` and fill helpers do for its distributions):

* :func:`resolve` checks ``shape``, ``dtype`` and ``out=`` together and returns an
  :class:`Output`, allocating nothing;
* :func:`room` refuses an output that NumPy or this machine's memory could never hold, and
  :func:`overflows` / :func:`check_in_range` refuse parameters whose values the output dtype
  cannot hold, all before anything is drawn or written;
* :func:`allocate` makes the new array (or hands back ``out`` and a plain view of it);
* :func:`fill` writes into it: the kernels fill contiguous vectors of the *compute dtype*
  (float64, or float32 for float32 and float16 outputs), so a float16 or strided output is
  filled through a scratch vector and copied back.
"""

import math
from typing import NamedTuple

import numpy as np

from . import _checks

# Outputs the kernels cannot fill directly (float16, strided) go through a scratch vector of this
# many bytes, one piece at a time: no copy of the whole output is ever made.
PIECE_BYTES = 1 << 22


class Output(NamedTuple):
    """A validated output: its shape and dtype, and the caller's ``out`` with a plain ndarray
    view of it (both None when a new array is to be made)."""

    shape: tuple
    dtype: np.dtype
    out: object = None
    view: np.ndarray | None = None
    # a box of a larger tensor: its shape, and ((start, stop), ...) per axis; ``shape`` above is
    # then the box's
    whole: tuple | None = None
    box: tuple | None = None


def out_view(out, name="out"):
    """``out`` as a plain ndarray over its memory (kernels take no np.matrix or subclasses)."""
    if not isinstance(out, np.ndarray):
        raise TypeError(
            f"{name} must be a NumPy array (for torch tensors use fastinit.torch), "
            f"got {type(out).__name__}"
        )
    return out if type(out) is np.ndarray else out.view(np.ndarray)


def shape_of(shape, out):
    """``shape``, or ``out``'s when only ``out`` is given (which must then be an array)."""
    if shape is None and out is not None:
        return out_view(out).shape
    return shape


def float_dtype(dtype, name="dtype"):
    """:func:`_checks.float_dtype` with float16."""
    return _checks.float_dtype(dtype, name, allow_half=True)


def compute_dtype(dtype):
    """The dtype the kernels fill for an output dtype: float64, or float32 (also for float16)."""
    return np.dtype(np.float64) if dtype == np.float64 else np.dtype(np.float32)


def resolve(shape, dtype, out, region=None):
    """The :class:`Output` of ``shape``, ``dtype`` (float32 when None) and ``out``, validated;
    nothing is allocated. ``shape`` may be None when ``out`` is given. With ``region``, the
    output is that box of a tensor of ``shape`` (and ``out`` has the box's shape)."""
    if region is not None:
        if shape is None:
            raise TypeError("region= needs shape, the shape of the whole tensor")
        whole = _checks.shape_tuple(shape)
        box = _checks.box(region, whole)
        inner = resolve(tuple(stop - start for start, stop in box), dtype, out)
        return inner._replace(whole=whole, box=box)
    if out is not None:
        view = out_view(out)
        shape = _checks.shape_tuple(view.shape if shape is None else shape)
        _checks.out_array(view, shape)
        if dtype is not None:
            dt = float_dtype(dtype)
            if dt != view.dtype:
                raise TypeError(f"dtype={dt} does not match out.dtype={view.dtype}")
        return Output(shape, view.dtype, out, view)
    shape = _checks.shape_tuple(shape)
    return Output(shape, float_dtype(np.float32 if dtype is None else dtype))


def room(shape, dt, name="shape", *, per_element=None):
    """Refuse an output that NumPy or the memory can never hold (+ ``per_element`` bytes)."""
    what = f"an output of shape {tuple(shape)} {dt}"
    if math.prod(d for d in shape if d) * dt.itemsize > np.iinfo(np.intp).max:
        raise ValueError(f"{name}: {what} is larger than NumPy allows")
    per_element = dt.itemsize if per_element is None else per_element
    _checks.fits_in_memory(math.prod(shape) * per_element, name, what)


def overflows(value, dt):
    """Whether the finite ``value`` becomes infinite when stored as ``dt``."""
    with np.errstate(over="ignore"):
        return math.isfinite(value) and bool(np.isinf(dt.type(value)))


def check_in_range(values, names, dt):
    """Refuse parameters ``names`` whose values (or draws) reach beyond what ``dt`` holds."""
    for x in values:
        if not math.isfinite(x) or overflows(x, dt):
            raise ValueError(
                f"{names}: values as large as {abs(x):g} are beyond the range of {dt} (largest "
                f"finite value {float(np.finfo(dt).max):g})"
            )


def allocate(output, *, zero=False):
    """(result, target): the array to return and a plain ndarray over the same memory to write
    into; ``out`` and its view when given, else one new (zeroed when ``zero``) array."""
    if output.view is not None:
        return output.out, output.view
    result = np.zeros(output.shape, output.dtype) if zero else np.empty(output.shape, output.dtype)
    return result, result


def fills_directly(array):
    """Whether the kernels can write ``array`` itself (C-contiguous, in its compute dtype)."""
    return array.dtype == compute_dtype(array.dtype) and array.flags.c_contiguous


def fill(target, fill_flat, *, piece_bytes=PIECE_BYTES):
    """Fill ``target`` (a plain float ndarray, any strides) with a sequence in C order.

    ``fill_flat(vector, first)`` writes elements ``first .. first + vector.size - 1`` of the
    sequence into a contiguous vector of the compute dtype. ``target`` is passed to it directly
    when :func:`fills_directly`; otherwise the sequence goes through a scratch vector of at most
    ``piece_bytes`` (``None``: the whole output at once, for a sequence that must be computed in
    one go), one piece at a time, and is copied back. The values are the same either way when
    an element depends on its index only.
    """
    if fills_directly(target):
        fill_flat(target.reshape(-1), 0)
        return
    if target.size == 0:
        return
    compute = compute_dtype(target.dtype)
    limit = target.size if piece_bytes is None else max(1, piece_bytes // compute.itemsize)
    scratch = np.empty(min(limit, target.size), compute)
    for index, first, count in _pieces(target.shape, limit):
        piece = scratch[:count]
        fill_flat(piece, first)
        part = target[index + (Ellipsis,)]  # a view, also for a 0-d target
        part[...] = piece.reshape(part.shape)


def _pieces(shape, limit):
    """``(index, start, count)``: ``array[index]`` holds flat elements ``start .. start+count-1``
    of a C-order array of ``shape``; the pieces are sub-arrays (trailing axes whole, one axis
    sliced) of at most ``limit`` and, but for the last of a row, over ``limit / 2`` elements."""
    inner, k = 1, len(shape)
    while k > 0 and inner * shape[k - 1] <= limit:
        inner *= shape[k - 1]
        k -= 1
    if k == 0:
        yield (), 0, inner
        return
    length = shape[k - 1]
    step = max(1, limit // inner)
    start = 0
    for outer in np.ndindex(*shape[: k - 1]):
        for j in range(0, length, step):
            rows = min(step, length - j)
            yield outer + (slice(j, j + rows),), start, rows * inner
            start += rows * inner
