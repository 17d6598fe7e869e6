"""Any N-D box of a stream-filled tensor, computed alone, in time proportional to the box.

Element ``e`` of a C-order tensor is stream element ``e`` (``stream_format.py``), so a box is a
set of *runs*: contiguous ranges of stream indices, one per index of the box's leading axes.
The box is written in its own C order into a contiguous vector; ``first`` and ``out.size`` say
which of its elements a call computes (so a box can also be filled piece by piece).

A run segment of a superblock's length or more goes through the vectorized superblock fill;
a shorter one (a narrow column block of a wide matrix) computes each element from its own
Philox block, lane by lane, with the same arithmetic: both give the bits of the whole tensor.
The short path is what keeps a box proportional to its size: a run of 96 values costs 96
blocks, not the two superblocks (2048 values) it touches.
"""

import numpy as np
from numba import types
from numba.extending import overload

from ._jit import jit
from .stream_format import GROUP, NORMAL, TRUNC_NORMAL, TRUNCATED, TRUNCATED_INVCDF, UNIFORM

# the stream's own arithmetic, shared so that a box holds the bits of the whole tensor
from .streams import (
    _block_words,
    _fill_task,
    _first_retry_f32,
    _invcdf_f32,
    _retry,
    values_f32,
    values_f64,
)
from .streams import task_count as _segment_tasks

# Box elements per task: tasks write disjoint parts of ``out``, any split over threads gives
# the same values.
TASK_ELEMENTS = 1 << 16


@jit(inline="always")
def _segment_is_long(length, itemsize):
    """Whether a run segment goes through whole superblocks: from one superblock's length on,
    the vectorized fill (up to two partial superblocks wasted) beats one block per element."""
    return length >= (4 if itemsize == 4 else 2) * GROUP


@jit(inline="always")
def _fill_segment(dst, start, key, kind, params, retry):
    """Stream elements ``start ..`` into the contiguous ``dst``, superblock by superblock."""
    for task in range(_segment_tasks(dst.size, start, dst.itemsize)):
        _fill_task(dst, start, task, key, kind, params, retry)


@jit
def _lane_f32(dst, first, key, kind, params, retry):
    """Float32 stream elements ``first .. first + dst.size - 1``, all in one lane of one
    superblock (consecutive blocks), each from its own block with the superblock fill's
    arithmetic; rejected truncated-normal draws get ``streams._replace_rejected``'s retries."""
    p0, p1, alpha, beta, a, b = params
    k0, k1, tag, ext = key
    f = np.float32
    t_p0, t_p1, t_alpha, t_beta, t_a, t_b = f(p0), f(p1), f(alpha), f(beta), f(a), f(b)
    sb, r = divmod(first, 4 * GROUP)
    lane, j0 = divmod(r, GROUP)
    high_pair, odd = lane >= 2, lane & 1 == 1
    shared_first_draw = retry is None or retry[0] == TRUNC_NORMAL
    for i in range(dst.size):
        w0, w1, w2, w3 = _block_words(sb * GROUP + j0 + i, k0, k1, tag, ext)
        # the lane's pair of words, given twice: the values of the other pair are not computed
        wa, wb = (w2, w3) if high_pair else (w0, w1)
        if kind == TRUNCATED_INVCDF:
            dst[i] = _invcdf_f32(wb if odd else wa, t_p0, t_p1, t_alpha, t_beta, t_a, t_b)
        elif shared_first_draw:
            v0, v1, _, _ = values_f32(kind, wa, wb, wa, wb, t_p0, t_p1, t_alpha, t_beta, t_a, t_b)
            dst[i] = v1 if odd else v0
        else:
            dst[i] = np.nan
    if retry is not None:
        mode, sign, lam = retry
        for i in range(dst.size):
            if np.isnan(dst[i]):
                e = first + i
                first_attempt, v = 1, f(np.nan)
                if mode == TRUNC_NORMAL:
                    first_attempt = 2
                    v = _first_retry_f32(e, k0, k1, tag, ext, t_p0, t_p1, t_alpha, t_beta, t_a, t_b)
                if np.isnan(v):
                    z = _retry(e, first_attempt, k0, k1, tag, ext, mode, alpha, beta, sign, lam)
                    v = min(max(f(p0 + p1 * z), t_a), t_b)
                dst[i] = v


@jit
def _lane_f64(dst, first, key, kind, params, retry):
    """Float64 stream elements in one lane of one superblock (see :func:`_lane_f32`)."""
    p0, p1, alpha, beta, a, b = params
    k0, k1, tag, ext = key
    sb, r = divmod(first, 2 * GROUP)
    lane, j0 = divmod(r, GROUP)
    shared_first_draw = retry is None or retry[0] == TRUNC_NORMAL
    for i in range(dst.size):
        w0, w1, w2, w3 = _block_words(sb * GROUP + j0 + i, k0, k1, tag, ext)
        if kind == UNIFORM:  # one value per pair of words: compute the lane's only
            wa, wb = (w2, w3) if lane == 1 else (w0, w1)
            dst[i] = values_f64(kind, wa, wb, wa, wb, p0, p1, alpha, beta, a, b)[0]
        elif shared_first_draw:  # a normal pair takes all four words
            v0, v1 = values_f64(kind, w0, w1, w2, w3, p0, p1, alpha, beta, a, b)
            dst[i] = v1 if lane == 1 else v0
        else:
            dst[i] = np.nan
    if retry is not None:
        mode, sign, lam = retry
        for i in range(dst.size):
            if np.isnan(dst[i]):
                z = _retry(first + i, 1, k0, k1, tag, ext, mode, alpha, beta, sign, lam)
                dst[i] = min(max(p0 + p1 * z, a), b)


def _lane(dst, first, key, kind, params, retry):
    """:func:`_lane_f32` or :func:`_lane_f64` by the dtype of ``dst`` (compiled code only)."""
    raise NotImplementedError  # pragma: no cover


@overload(_lane, inline="always")
def _lane_for_dtype(dst, first, key, kind, params, retry):
    # chosen while typing, as the superblocks are: a float32 box compiles no float64 code
    if dst.dtype == types.float32:
        return lambda dst, first, key, kind, params, retry: _lane_f32(
            dst, first, key, kind, params, retry
        )
    return lambda dst, first, key, kind, params, retry: _lane_f64(
        dst, first, key, kind, params, retry
    )


@jit(inline="always")
def _fill_short(dst, start, key, kind, params, retry):
    """Stream elements ``start ..`` into ``dst``, lane segment by lane segment."""
    done = 0
    while done < dst.size:
        e = start + done
        count = min(GROUP - e % GROUP, dst.size - done)  # to the end of the lane's blocks
        _lane(dst[done : done + count], e, key, kind, params, retry)
        done += count


@jit
def task_count(size):
    return (size + TASK_ELEMENTS - 1) // TASK_ELEMENTS


@jit(inline="always")
def _run_origin(r, lead_start, lead_size, lead_stride, inner_start):
    """Stream index of the first element of run ``r`` (mixed radix over the leading axes)."""
    origin = inner_start
    for d in range(lead_size.size - 1, -1, -1):
        i = r % lead_size[d]
        r //= lead_size[d]
        origin += (lead_start[d] + i) * lead_stride[d]
    return origin


@jit(inline="always")
def _fill_box_task(out, first, run, box, task, key, kind, params, retry):
    lead_start, lead_size, lead_stride, inner_start = box
    lo = task * TASK_ELEMENTS
    hi = min(lo + TASK_ELEMENTS, out.size)
    f = lo
    while f < hi:
        b = first + f  # the box element
        r = b // run
        offset = b - r * run
        length = min(run - offset, hi - f)
        start = _run_origin(r, lead_start, lead_size, lead_stride, inner_start) + offset
        dst = out[f : f + length]
        if _segment_is_long(length, out.itemsize):
            _fill_segment(dst, start, key, kind, params, retry)
        else:
            _fill_short(dst, start, key, kind, params, retry)
        f += length


# One entry kernel per distribution, as for the flat fills (``streams.FILL``): the distribution
# reaches the element and superblock code as a constant. ``box`` is (lead_start, lead_size,
# lead_stride, inner_start): int64 arrays over the leading axes (the axes whose every index
# starts a run) and the stream index where the run of index 0 starts within its row.


@jit
def fill_box_uniform(out, first, run, box, key, params, retry, task_lo, task_hi):
    for task in range(task_lo, task_hi):
        _fill_box_task(out, first, run, box, task, key, UNIFORM, params, retry)


@jit
def fill_box_normal(out, first, run, box, key, params, retry, task_lo, task_hi):
    for task in range(task_lo, task_hi):
        _fill_box_task(out, first, run, box, task, key, NORMAL, params, retry)


@jit
def fill_box_truncated(out, first, run, box, key, params, retry, task_lo, task_hi):
    for task in range(task_lo, task_hi):
        _fill_box_task(out, first, run, box, task, key, TRUNCATED, params, retry)


@jit
def fill_box_truncated_invcdf(out, first, run, box, key, params, retry, task_lo, task_hi):
    for task in range(task_lo, task_hi):
        _fill_box_task(out, first, run, box, task, key, TRUNCATED_INVCDF, params, retry)


FILL_BOX = {
    UNIFORM: fill_box_uniform,
    NORMAL: fill_box_normal,
    TRUNCATED: fill_box_truncated,
    TRUNCATED_INVCDF: fill_box_truncated_invcdf,
}
