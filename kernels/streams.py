"""Counter-based uniform, normal and truncated-normal streams on top of Philox4x32-10.

The format these kernels compute (which element comes from which Philox block and word, the
retry counters, the samplers) is fixed and described in ``stream_format.py``, with its constants.
"""

import math

import numpy as np
from numba import literally, types
from numba.extending import overload

from ._bits import fma
from ._jit import jit
from .elementary import erfinv_f32, log_f32, log_f64, sincos_f32, sincos_f64
from .philox import philox4x32
from .stream_format import (
    GROUP,
    NORMAL,
    TRUNC_NORMAL,
    TRUNC_UNIFORM,
    TRUNCATED,
    TRUNCATED_INVCDF,
    UNIFORM,
)

_MAX_ATTEMPTS = 255
_RETRY_BIT = np.uint32(0x80000000)
_QUARTER_PI_F32 = np.float32(math.pi / 2)
_HALF_F32 = np.float32(0.5)
_SQRT2_F32 = np.float32(math.sqrt(2.0))


@jit(inline="always")
def _block_words(block, k0, k1, tag, ext):
    return philox4x32(np.uint32(block), np.uint32(block >> 32), tag, ext, k0, k1)


# ---------------------------------------------------------------------------------- float32 ---


@jit(inline="always")
def _unit_f32(w):
    """[0, 1) from the top 24 bits of a word."""
    return np.float32(np.int32(w >> np.uint32(8))) * np.float32(2.0**-24)


@jit(inline="always")
def _quarter_turns(q, s, c):
    """(cos, sin) of phi + q * pi/2 from (sin phi, cos phi), for q in 0..3, branch-free."""
    x = s if q & np.uint32(1) else c
    y = c if q & np.uint32(1) else s
    x = -x if ((q + np.uint32(1)) >> np.uint32(1)) & np.uint32(1) else x
    y = -y if q >> np.uint32(1) else y
    return x, y


@jit(inline="always")
def _box_muller_f32(w_radius, w_angle):
    # u in (0, 1]: 31 random bits plus a half, so log(u) is finite
    u = (np.float32(np.int32(w_radius >> np.uint32(1))) + _HALF_F32) * np.float32(2.0**-31)
    r = np.sqrt(np.float32(-2.0) * log_f32(u))
    # the angle: two bits pick the quadrant, 30 bits a point in (-pi/4, pi/4)
    t = np.float32(np.int32(w_angle & np.uint32(0x3FFFFFFF))) * np.float32(2.0**-30)
    s, c = sincos_f32((t - _HALF_F32) * _QUARTER_PI_F32)
    x, y = _quarter_turns(w_angle >> np.uint32(30), s, c)
    return r * x, r * y


def _nan_like(x):
    """A NaN of the float type of ``x`` (compiled code only: the overload below)."""
    raise NotImplementedError  # pragma: no cover


@overload(_nan_like, inline="always")
def _nan_of_the_type_of(x):
    nan = np.float32(np.nan) if x == types.float32 else np.float64(np.nan)
    return lambda x: nan


@jit(inline="always")
def _window(z, mean, std, alpha, beta, a, b):
    """mean + std*z clamped to [a, b] when alpha <= z <= beta, else NaN (marks a retry); in the
    float type of the arguments."""
    v = fma(std, z, mean)
    v = a if v < a else v
    v = b if v > b else v
    return v if (z >= alpha) & (z <= beta) else _nan_like(v)


@jit(inline="always")
def _invcdf_f32(w, mean, std, x_lo, x_hi, a, b):
    """A float32 truncated normal from one word by the inverse CDF, clamped to [a, b]."""
    x_lo, x_hi = np.float32(x_lo), np.float32(x_hi)  # no-ops for float32 (typing of f64 callers)
    x = fma(x_hi - x_lo, _unit_f32(w), x_lo)
    v = fma(np.float32(std), _SQRT2_F32 * erfinv_f32(x), np.float32(mean))
    v = np.float32(a) if v < a else v
    return np.float32(b) if v > b else v


@jit(inline="always")
def _uniform_f32(w, low, span, top):
    """A float32 in [low, top] from one word: low + span * unit, at most ``top``."""
    return min(fma(span, _unit_f32(w), low), top)


@jit(inline="always")
def values_f32(kind, w0, w1, w2, w3, p0, p1, alpha, beta, a, b):
    """The four float32 values of one block; p0, p1 are (low, high-low) or (mean, std), and
    for UNIFORM ``b`` is the largest value allowed (below high).

    TRUNCATED_INVCDF is not handled here but by the callers, in a loop of its own: one more
    branch in this function stopped LLVM from unswitching the loop (uniform went from 0.73 to
    1.9 ns per value, measured)."""
    if kind == UNIFORM:
        return (
            _uniform_f32(w0, p0, p1, b),
            _uniform_f32(w1, p0, p1, b),
            _uniform_f32(w2, p0, p1, b),
            _uniform_f32(w3, p0, p1, b),
        )
    z0, z1 = _box_muller_f32(w0, w1)
    z2, z3 = _box_muller_f32(w2, w3)
    if kind == NORMAL:
        return fma(p1, z0, p0), fma(p1, z1, p0), fma(p1, z2, p0), fma(p1, z3, p0)
    return (
        _window(z0, p0, p1, alpha, beta, a, b),
        _window(z1, p0, p1, alpha, beta, a, b),
        _window(z2, p0, p1, alpha, beta, a, b),
        _window(z3, p0, p1, alpha, beta, a, b),
    )


# ---------------------------------------------------------------------------------- float64 ---


@jit(inline="always")
def _bits53(hi, lo):
    """An integer in [0, 2^53) from the top 27 bits of ``hi`` and the top 26 bits of ``lo``."""
    return np.int64(hi >> np.uint32(5)) * np.int64(1 << 26) + np.int64(lo >> np.uint32(6))


@jit(inline="always")
def _box_muller_f64(w0, w1, w2, w3):
    u = (np.float64(_bits53(w0, w1)) + 0.5) * 2.0**-53
    r = np.sqrt(-2.0 * log_f64(u))
    m = np.int64(w2 & np.uint32(0x3FFFFFFF)) * np.int64(1 << 23) + np.int64(w3 >> np.uint32(9))
    s, c = sincos_f64((np.float64(m) * 2.0**-53 - 0.5) * (math.pi / 2))
    x, y = _quarter_turns(w2 >> np.uint32(30), s, c)
    return r * x, r * y


@jit(inline="always")
def values_f64(kind, w0, w1, w2, w3, p0, p1, alpha, beta, a, b):
    """The two float64 values of one block (see :func:`values_f32`)."""
    if kind == UNIFORM:
        return (
            min(fma(p1, np.float64(_bits53(w0, w1)) * 2.0**-53, p0), b),
            min(fma(p1, np.float64(_bits53(w2, w3)) * 2.0**-53, p0), b),
        )
    z0, z1 = _box_muller_f64(w0, w1, w2, w3)
    if kind == NORMAL:
        return fma(p1, z0, p0), fma(p1, z1, p0)
    return _window(z0, p0, p1, alpha, beta, a, b), _window(z1, p0, p1, alpha, beta, a, b)


# ------------------------------------------------------------------ truncated-normal retries ---


@jit
def _retry_z(i, attempt, k0, k1, tag, ext, mode, alpha, beta, lam):
    """Attempt ``attempt`` (>= 1) for element ``i``: a standard-normal z in [alpha, beta], or NaN.

    For TRUNC_EXP the window is the upper tail (alpha > 0); the caller mirrors a lower tail.
    """
    c1 = np.uint32((i >> 32) | (attempt << 24))
    w0, w1, w2, w3 = philox4x32(np.uint32(i), c1, np.uint32(tag | _RETRY_BIT), ext, k0, k1)
    if mode == TRUNC_NORMAL:
        z = _box_muller_f64(w0, w1, w2, w3)[0]
        return z if (z >= alpha) & (z <= beta) else np.nan
    u1 = (np.float64(_bits53(w0, w1)) + 0.5) * 2.0**-53  # (0, 1)
    u2 = (np.float64(_bits53(w2, w3)) + 0.5) * 2.0**-53
    if mode == TRUNC_UNIFORM:
        z = alpha + (beta - alpha) * u1
        if alpha > 0.0:
            log_accept = 0.5 * (alpha * alpha - z * z)
        elif beta < 0.0:
            log_accept = 0.5 * (beta * beta - z * z)
        else:
            log_accept = -0.5 * z * z
        z = min(z, beta)  # alpha + (beta-alpha)*u1 can round up past beta
        return z if math.log(u2) <= log_accept else np.nan
    z = alpha - math.log(u1) / lam
    d = z - lam
    return z if (z <= beta) & (math.log(u2) <= -0.5 * d * d) else np.nan


@jit
def _retry(i, first_attempt, k0, k1, tag, ext, mode, alpha, beta, sign, lam):
    """The first accepted retry of element ``i``, as a standardized z (sign-corrected)."""
    for attempt in range(first_attempt, _MAX_ATTEMPTS + 1):
        z = _retry_z(i, attempt, k0, k1, tag, ext, mode, alpha, beta, lam)
        if not np.isnan(z):
            return sign * z
    # unreachable in practice: the sampler is chosen to accept with probability >= 0.25
    # (tests/test_random_distributions.py), so 255 rejections have probability below 1e-31;
    # stay in the window
    return sign * 0.5 * (alpha + beta)


@jit(inline="always")
def _first_retry_f32(i, k0, k1, tag, ext, p0, p1, alpha, beta, a, b):
    """Float32 attempt 1 of a normal-mode retry: four candidates from one block, first one in
    the window wins (all four miss with probability <= 0.75^4); NaN if none does."""
    c1 = np.uint32((i >> 32) | (1 << 24))
    w0, w1, w2, w3 = philox4x32(np.uint32(i), c1, np.uint32(tag | _RETRY_BIT), ext, k0, k1)
    z0, z1 = _box_muller_f32(w0, w1)
    z2, z3 = _box_muller_f32(w2, w3)
    v = _window(z3, p0, p1, alpha, beta, a, b)
    v2 = _window(z2, p0, p1, alpha, beta, a, b)
    v = v if np.isnan(v2) else v2
    v1 = _window(z1, p0, p1, alpha, beta, a, b)
    v = v if np.isnan(v1) else v1
    v0 = _window(z0, p0, p1, alpha, beta, a, b)
    return v if np.isnan(v0) else v0


@jit
def _rejected_offsets(dst, rejected):
    """Offsets of the NaN-marked (rejected) draws of ``dst`` into ``rejected``; returns the count.

    Branch-free compaction, since rejections are rare and unpredictable. (Recording a rejection
    bit per block in the vectorized loop instead made that loop 30% slower: measured.)
    """
    count = 0
    for j in range(dst.size):
        rejected[count] = j
        count += np.isnan(dst[j])
    return count


@jit
def _replace_rejected(
    dst, rejected, count, first, k0, k1, tag, ext, mode, p0, p1, alpha, beta, a, b, sign, lam
):
    """Replace the rejected draws ``dst[rejected[:count]]`` (element 0 of ``dst`` is stream index
    ``first``) by their retries. Float32 normal-mode retries start with a vectorized attempt
    that tries four candidates; everything else goes through the scalar float64 :func:`_retry`.
    """
    if count == 0:
        return
    dt = dst.dtype.type
    first_attempt = 1
    if mode == TRUNC_NORMAL and dst.itemsize == 4:
        first_attempt = 2
        f_p0, f_p1, f_alpha = np.float32(p0), np.float32(p1), np.float32(alpha)
        f_beta, f_a, f_b = np.float32(beta), np.float32(a), np.float32(b)
        retried = np.empty(count, np.float32)
        for c in range(count):  # contiguous loads and stores: this loop vectorizes
            retried[c] = _first_retry_f32(
                first + rejected[c], k0, k1, tag, ext, f_p0, f_p1, f_alpha, f_beta, f_a, f_b
            )
        for c in range(count):
            dst[rejected[c]] = retried[c]
    lo, hi = dt(a), dt(b)
    for c in range(count):
        j = rejected[c]
        if np.isnan(dst[j]):
            z = _retry(first + j, first_attempt, k0, k1, tag, ext, mode, alpha, beta, sign, lam)
            dst[j] = min(max(dt(p0 + p1 * z), lo), hi)


# ------------------------------------------------------------------------------- drivers ---
# The superblock bodies write into a slice ``dst`` indexed from 0 by a range variable: with an
# arbitrary offset Numba keeps a negative-index wraparound select on every store, and LLVM then
# refuses to vectorize (measured 3.9 ns per float32 uniform on one core instead of 0.73).


@jit
def _superblock_invcdf_f32(dst, sb, k0, k1, tag, ext, p0, p1, x_lo, x_hi, a, b):
    for j in range(GROUP):
        w0, w1, w2, w3 = _block_words(sb * GROUP + j, k0, k1, tag, ext)
        dst[j] = _invcdf_f32(w0, p0, p1, x_lo, x_hi, a, b)
        dst[GROUP + j] = _invcdf_f32(w1, p0, p1, x_lo, x_hi, a, b)
        dst[2 * GROUP + j] = _invcdf_f32(w2, p0, p1, x_lo, x_hi, a, b)
        dst[3 * GROUP + j] = _invcdf_f32(w3, p0, p1, x_lo, x_hi, a, b)


@jit(vector_bits=256)
def _superblock_uniform_f32(dst, sb, k0, k1, tag, ext, p0, p1, b):
    """The float32 UNIFORM superblock: its Philox products ran 15% faster in 256-bit vectors than
    in 512-bit ones on an AVX-512 Xeon (0.91 against 1.05 ns per value on one thread)."""
    for j in range(GROUP):
        w0, w1, w2, w3 = _block_words(sb * GROUP + j, k0, k1, tag, ext)
        dst[j] = _uniform_f32(w0, p0, p1, b)
        dst[GROUP + j] = _uniform_f32(w1, p0, p1, b)
        dst[2 * GROUP + j] = _uniform_f32(w2, p0, p1, b)
        dst[3 * GROUP + j] = _uniform_f32(w3, p0, p1, b)


@jit
def _superblock_f32(dst, sb, k0, k1, tag, ext, kind, p0, p1, alpha, beta, a, b):
    for j in range(GROUP):
        w0, w1, w2, w3 = _block_words(sb * GROUP + j, k0, k1, tag, ext)
        v0, v1, v2, v3 = values_f32(kind, w0, w1, w2, w3, p0, p1, alpha, beta, a, b)
        dst[j] = v0
        dst[GROUP + j] = v1
        dst[2 * GROUP + j] = v2
        dst[3 * GROUP + j] = v3


@jit
def _superblock_f64(dst, sb, k0, k1, tag, ext, kind, p0, p1, alpha, beta, a, b):
    for j in range(GROUP):
        w0, w1, w2, w3 = _block_words(sb * GROUP + j, k0, k1, tag, ext)
        v0, v1 = values_f64(kind, w0, w1, w2, w3, p0, p1, alpha, beta, a, b)
        dst[j] = v0
        dst[GROUP + j] = v1


def _superblock(block, sb, k0, k1, tag, ext, kind, p0, p1, alpha, beta, a, b):
    """Fill ``block`` with superblock ``sb`` of the stream (dispatched on its dtype below)."""
    raise NotImplementedError  # pragma: no cover (only the jitted overload is ever called)


@overload(_superblock)
def _superblock_for_dtype(block, sb, k0, k1, tag, ext, kind, p0, p1, alpha, beta, a, b):
    # chosen while typing, so a float32 fill never compiles the float64 superblock (or the
    # other way round): the first call of a fill compiles 1-6 s less
    # ``kind`` is a constant (see the fill kernels): only its distribution's code is compiled
    if not isinstance(kind, types.IntegerLiteral):
        return lambda block, sb, k0, k1, tag, ext, kind, p0, p1, alpha, beta, a, b: literally(kind)
    if block.dtype == types.float32 and kind.literal_value == TRUNCATED_INVCDF:

        def superblock_invcdf(block, sb, k0, k1, tag, ext, kind, p0, p1, alpha, beta, a, b):
            _superblock_invcdf_f32(block, sb, k0, k1, tag, ext, p0, p1, alpha, beta, a, b)

        return superblock_invcdf

    if block.dtype == types.float32 and kind.literal_value == UNIFORM:

        def superblock_uniform(block, sb, k0, k1, tag, ext, kind, p0, p1, alpha, beta, a, b):
            _superblock_uniform_f32(block, sb, k0, k1, tag, ext, p0, p1, b)

        return superblock_uniform

    if block.dtype == types.float32:

        def superblock_f32(block, sb, k0, k1, tag, ext, kind, p0, p1, alpha, beta, a, b):
            _superblock_f32(block, sb, k0, k1, tag, ext, kind, p0, p1, alpha, beta, a, b)

        return superblock_f32

    def superblock_f64(block, sb, k0, k1, tag, ext, kind, p0, p1, alpha, beta, a, b):
        _superblock_f64(block, sb, k0, k1, tag, ext, kind, p0, p1, alpha, beta, a, b)

    return superblock_f64


TASK = 16  # superblocks per task: retries of a whole task are batched into one vector loop


@jit
def _fill_task(out, start, task, key, kind, params, retry):
    """Superblocks ``task * TASK ..`` (the part inside ``out``; see the fill kernels below)."""
    p0, p1, alpha, beta, a, b = params
    n = out.size
    width = (4 if out.itemsize == 4 else 2) * GROUP
    dt = out.dtype.type
    t_p0, t_p1, t_alpha, t_beta, t_a, t_b = dt(p0), dt(p1), dt(alpha), dt(beta), dt(a), dt(b)
    shared_first_draw = True
    if retry is not None:  # pruned while typing when None: no retry code is compiled then
        shared_first_draw = retry[0] == TRUNC_NORMAL
    first = start // width + task * TASK
    last = min(first + TASK, (start + n - 1) // width + 1)
    scratch = np.empty(width, out.dtype)  # a partial superblock at either end is made whole here
    for sb in range(first, last):
        lo = max(sb * width, start)
        hi = min((sb + 1) * width, start + n)
        dst = out[lo - start : hi - start]
        if not shared_first_draw:  # every element goes through the retries
            dst[:] = np.nan
            continue
        whole = hi - lo == width
        block = dst if whole else scratch
        k0, k1, tag, ext = key
        _superblock(block, sb, k0, k1, tag, ext, kind, t_p0, t_p1, t_alpha, t_beta, t_a, t_b)
        if not whole:  # element by element: an array assignment compiles Numba's
            offset = lo - sb * width  # shape-mismatch message builder (seconds of compile)
            for j in range(hi - lo):
                dst[j] = scratch[offset + j]
    if retry is not None:
        # the task's values are still in L2: replace its rejected draws, all in one batch
        mode, sign, lam = retry
        lo = max(first * width, start)
        hi = min(last * width, start + n)
        dst = out[lo - start : hi - start]
        rejected = np.empty(hi - lo, np.int64)
        count = _rejected_offsets(dst, rejected)
        _replace_rejected(
            dst, rejected, count, lo, *key, mode, p0, p1, alpha, beta, a, b, sign, lam
        )


@jit
def task_count(size, start, itemsize):
    """Number of tasks covering ``size`` elements from stream index ``start``."""
    if size == 0:
        return 0
    width = (4 if itemsize == 4 else 2) * GROUP
    superblocks = (start + size - 1) // width - start // width + 1
    return (superblocks + TASK - 1) // TASK


# The fill kernels, one per distribution, so that ``kind`` reaches the superblocks as a compile-time
# constant and a call compiles its own distribution's code only. Each fills the part of the
# contiguous float32 or float64 vector ``out`` (stream elements start .. start + out.size - 1) that
# tasks ``task_lo .. task_hi - 1`` cover; a task is up to 16 superblocks (:func:`task_count`).
# Tasks write disjoint elements, so any split of the task range over threads gives the same values.
#
# ``key`` is (k0, k1, tag, ext) as uint32; ``params`` the six floats of ``stream_format.Params``
# (whose fields say what each one is for each distribution), TRUNCATED_INVCDF in float32 only.
# ``retry`` is None except for TRUNCATED, where it is ``stream_format.Retry`` (mode, sign, lam) as
# a plain tuple; the first draw of a TRUNCATED element is the NORMAL stream's only when mode ==
# TRUNC_NORMAL. ``retry`` is a separate argument because Numba compiles the retry code only where
# it is not None.


@jit
def fill_uniform(out, start, key, params, retry, task_lo, task_hi):
    for task in range(task_lo, task_hi):
        _fill_task(out, start, task, key, UNIFORM, params, retry)


@jit
def fill_normal(out, start, key, params, retry, task_lo, task_hi):
    for task in range(task_lo, task_hi):
        _fill_task(out, start, task, key, NORMAL, params, retry)


@jit
def fill_truncated(out, start, key, params, retry, task_lo, task_hi):
    for task in range(task_lo, task_hi):
        _fill_task(out, start, task, key, TRUNCATED, params, retry)


@jit
def fill_truncated_invcdf(out, start, key, params, retry, task_lo, task_hi):
    for task in range(task_lo, task_hi):
        _fill_task(out, start, task, key, TRUNCATED_INVCDF, params, retry)


FILL = {
    UNIFORM: fill_uniform,
    NORMAL: fill_normal,
    TRUNCATED: fill_truncated,
    TRUNCATED_INVCDF: fill_truncated_invcdf,
}
