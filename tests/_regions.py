"""Hypothesis strategies for ``region=`` boxes of the initializers (used by the sweeps): valid
boxes, NumPy-clipped ones past the ends, empty ones, and malformed ones."""

import numpy as np
from hypothesis import strategies as st

import fastinit

from .sweep import junk

SMALL_DIMS = st.lists(st.integers(0, 5), min_size=0, max_size=4).map(tuple)


def _dims_or_small(draw, shape):
    """The dims of ``shape`` when it is a valid shape of at most 4 axes, else small drawn ones."""
    try:
        dims = fastinit._checks.shape_tuple(shape)
        if len(dims) <= 4:
            return dims
    except (TypeError, ValueError):
        pass
    return draw(SMALL_DIMS)


def _bound(draw, n):
    """A slice bound for an axis of ``n``: None, inside, negative (from the end) or past an end
    (NumPy clips it)."""
    return draw(
        st.one_of(
            st.none(),
            st.integers(0, min(n, 2**62)),
            st.integers(-max(min(n, 2**62), 1), -1),
            st.integers(min(n, 2**62), min(n, 2**62) + 3),
            st.sampled_from([-(10**20), 10**20, np.int64(1), np.uint8(0)]),
        )
    )


def _axis_slice(draw, n):
    """A step-1 slice of an axis of ``n``; a narrow one (at most 4) on a long axis, so that a
    box of a huge tensor stays small."""
    if n <= 64:
        return slice(_bound(draw, n), _bound(draw, n))
    start = draw(st.integers(-min(n, 2**62), min(n, 2**62)))
    return slice(start, start + draw(st.integers(0, 4)))


_BAD_BOUNDS = [0.5, "1", True, False, np.float64(1.0), 1j, [1]]


@st.composite
def regions(draw, shape):
    """A ``region`` for a tensor of ``shape``: a box (all axes or the leading ones, a bare
    slice, ``()``), empty or clipped, or a malformed one."""
    dims = _dims_or_small(draw, shape)
    kind = draw(
        st.sampled_from(
            ["box", "box", "box", "leading", "slice", "empty", "outside", "too_many", "step",
             "int", "bad_bound", "list", "junk"]
        )
    )  # fmt: skip
    if kind == "junk":
        return draw(junk())
    box = [_axis_slice(draw, n) for n in dims]
    if kind == "leading":
        box = box[: draw(st.integers(0, len(box)))]
    elif kind == "slice":
        return box[0] if box else slice(draw(st.integers(-2, 2)), None)
    elif kind == "empty" and box:  # an empty or inverted slice on one axis
        axis = draw(st.integers(0, len(box) - 1))
        start = draw(st.integers(0, 5))
        box[axis] = slice(start, start - draw(st.integers(0, 2)))
    elif kind == "outside" and box:
        axis = draw(st.integers(0, len(box) - 1))
        n = dims[axis]
        box[axis] = draw(st.sampled_from([slice(n, n + 4), slice(-n - 5, -n - 1), slice(-1, 2)]))
    elif kind == "too_many":
        box += [slice(None)] * draw(st.integers(1, 2))
    elif kind == "step":
        step = draw(st.sampled_from([2, 0, -1, 3, np.int64(2)]))
        box = box or [slice(None)]
        axis = draw(st.integers(0, len(box) - 1))
        box[axis] = slice(box[axis].start, box[axis].stop, step)
    elif kind == "int":
        index = draw(st.sampled_from([0, 1, -1, np.int64(0), 10**20]))
        if not box or draw(st.booleans()):
            return index
        box[draw(st.integers(0, len(box) - 1))] = index
    elif kind == "bad_bound":
        box = box or [slice(None)]
        axis = draw(st.integers(0, len(box) - 1))
        bad = draw(st.sampled_from(_BAD_BOUNDS))
        box[axis] = draw(st.sampled_from([slice(bad, None), slice(0, bad), slice(0, 1, bad)]))
    elif kind == "list":
        return box
    return tuple(box)


def box_shape(shape, region):
    """The shape of ``region`` of a tensor of ``shape``, or None when either is not valid."""
    try:
        dims = fastinit._checks.shape_tuple(shape)
        return tuple(stop - start for start, stop in fastinit._checks.box(region, dims))
    except (TypeError, ValueError):
        return None
