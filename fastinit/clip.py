"""Gradient clipping: by global norm, by value, per array, and adaptive (unit-wise) clipping.

Every function takes one array or a sequence of arrays (float16/32/64, any shapes and strides,
mixed) and works in place. Norms accumulate in float64 and are overflow-safe; arguments and arrays
are validated before anything is written. One compiled call handles all the arrays, whatever their
number (see ``docs/clip.md``).

Arrays in one list may share memory (one array listed twice, a view and its base, overlapping
slices; in ``adaptive_clip`` a grad that is also a param). The result is then the *sequential* one,
what a Python loop over the list in order gives, whatever the number of threads; each function's
docstring says exactly what that loop is. Memory is compared by byte ranges, so arrays that only
interleave (``x[::2]`` and ``x[1::2]``) are treated as sharing: correct, only not threaded.
"""

import math
import sys
from typing import NamedTuple

import numpy as np

from . import _checks, _threads, config

_NONFINITE = ("raise", "skip", "propagate")
_LAYOUTS = ("torch", "jax")
_SWAPPED_CHAR = ord(">") if sys.byteorder == "little" else ord("<")
_kernels = None
_fast_headers = None


def _norms():
    """The kernel module, imported (and the header reader self-checked) on first use."""
    global _kernels, _fast_headers
    if _kernels is None:
        from .kernels import norms

        _kernels = norms
        _fast_headers = _headers_agree(norms)
    return _kernels


def _raw_public(seq, name):
    """Raw table rows from NumPy's public attributes (the slow, always-correct path)."""
    n = len(seq)
    raw = np.zeros((n, 6), np.int64)
    dims, strides = [], []
    kinds = {np.dtype(np.float16): 0, np.dtype(np.float32): 1, np.dtype(np.float64): 2}
    for i, a in enumerate(seq):
        if not isinstance(a, np.ndarray):
            raise TypeError(_not_array(name, i, a))
        raw[i] = (
            a.__array_interface__["data"][0],
            kinds.get(a.dtype.newbyteorder("="), -1) if a.dtype.kind == "f" else -1,
            a.ndim,
            len(dims),
            (0x100 if a.flags.aligned else 0) | (0x400 if a.flags.writeable else 0),
            0 if a.dtype.isnative else 1,
        )
        dims.extend(a.shape)
        strides.extend(a.strides)
    return raw, np.array(dims, np.int64), np.array(strides, np.int64)


def _headers_agree(norms):
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
        slow = _raw_public(sample, "sample")
    except Exception:  # pragma: no cover - an unknown ABI: keep the public path
        return False
    return bad == -1 and all(np.array_equal(f, s) for f, s in zip(fast, slow, strict=True))


def _not_array(name, i, a):
    return (
        f"{name}[{i}] must be a NumPy array (use tensor.numpy() for a CPU torch tensor), "
        f"got {type(a).__name__}"
    )


def _sequence(arrays, name):
    if isinstance(arrays, np.ndarray):
        return (arrays,)
    if isinstance(arrays, (str, bytes, dict)) or not hasattr(arrays, "__iter__"):
        raise TypeError(
            f"{name} must be a NumPy array or a sequence of arrays, got {type(arrays).__name__}"
        )
    return tuple(arrays)


class _Arrays(NamedTuple):
    """The kernels' description of a list of arrays (memory described, nothing copied)."""

    table: np.ndarray  # one row per array (kernels/array_table.py)
    shape: np.ndarray  # collapsed shapes and byte strides, all arrays one after the other
    strides: np.ndarray
    paths: tuple  # (f16, f64, gather): None where no array needs that code (it is not compiled)
    threads: int  # how many threads the kernels may use on these arrays


def _table(seq, name, write):
    """The checked description of ``seq``; raises naming the first bad array."""
    norms = _norms()
    if _fast_headers:
        code, index, *described = norms.describe(
            id(seq), len(seq), id(np.ndarray), _SWAPPED_CHAR, write
        )
        if code == norms.NOT_ARRAY:  # a subclass or not an array at all: the public path
            code, index, *described = norms.describe_raw(*_raw_public(seq, name), write)
    else:
        code, index, *described = norms.describe_raw(*_raw_public(seq, name), write)
    if code != norms.OK:
        a = seq[index]
        where = f"{name}[{index}]"
        if code == norms.BAD_DTYPE:
            raise TypeError(
                f"{where} has dtype {a.dtype}; clipping needs float16, float32 or float64 arrays"
            )
        if code == norms.SWAPPED:
            raise TypeError(
                f"{where} has non-native byte order ({a.dtype.str}); clipping works in place on "
                "native-order float arrays"
            )
        if code == norms.UNALIGNED:
            raise ValueError(f"{where} is not aligned to its itemsize; pass an aligned array")
        raise ValueError(f"{where} is read-only; clipping works in place on writable arrays")
    table, shape, strides, bits = described
    k = _kernels
    if write and (index := _first_self_overlapping(table, shape, strides)) >= 0:
        # (torch refuses such writes too: in tasks or gathered blocks, one element would be
        # read and written several times, in an order that depends on the split)
        raise ValueError(
            f"{name}[{index}] has elements that share memory (a broadcast or as_strided view); "
            "clipping works in place on arrays whose elements are distinct: pass a copy"
        )
    paths = tuple(True if bits & b else None for b in (k.PATH_F16, k.PATH_F64, k.PATH_GATHER))
    total = int(table[:, k.COL_SIZE].sum())
    threads = config.thread_count() if config.use_threads(total, config.CLIP_PARALLEL_MIN) else 1
    return _Arrays(table, shape, strides, paths, threads)


def _first_self_overlapping(table, shape, strides):
    """The index of the first described array two of whose elements may share memory, or -1.

    Conservative: with its axes sorted by stride, an array is safe when each stride is larger
    than the reach of all the smaller ones (true of every view NumPy's slicing, transposing and
    reshaping make); any other layout (a zero stride, as_strided tricks) counts as sharing."""
    # every array one run (each has ndim >= 1, so the flat vectors are then one entry per array)
    # and none of stride 0: the common case, decided without sorting
    if len(strides) == len(table) and strides.all():
        return -1
    k = _kernels
    ndim = table[:, k.COL_NDIM]
    owner = np.repeat(np.arange(len(table)), ndim)
    step = np.abs(strides)
    order = np.lexsort((step, owner))  # each array's axes stay at its own offsets, by stride
    step, owner = step[order], owner[order]
    reach = (shape[order] - 1) * step
    below = np.cumsum(reach) - reach  # reach of every earlier axis, then of the array's own ones
    first = table[:, k.COL_DOFF]
    below -= below[first][owner]
    itemsize = np.array([2, 4, 8])[table[:, k.COL_KIND]][owner]
    shared = (step < below + itemsize) & (table[owner, k.COL_SIZE] > 1)
    return int(owner[shared][0]) if shared.any() else -1


def _extents(arrays):
    """(low, high): the byte range ``[low, high)`` each described array's elements lie in; for
    an array without elements, an empty range (``low == high``), which meets nothing."""
    k = _kernels
    table, shape, strides = arrays.table, arrays.shape, arrays.strides
    if len(table) == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    reach = (shape - 1) * strides
    starts = table[:, k.COL_DOFF]
    addr = table[:, k.COL_ADDR]
    low = addr + np.add.reduceat(np.minimum(reach, 0), starts)
    itemsize = np.array([2, 4, 8])[table[:, k.COL_KIND]]
    high = addr + np.add.reduceat(np.maximum(reach, 0), starts) + itemsize
    empty = table[:, k.COL_SIZE] == 0
    return np.where(empty, addr, low), np.where(empty, addr, high)


def _sorted_live(low, high):
    """The indices of the ranges holding bytes, sorted by start."""
    index = np.flatnonzero(high > low)
    return index[np.argsort(low[index], kind="stable")]


def _overlap_mask(low, high):
    """Which ranges share a byte with another: conservative (interleaved views such as ``x[::2]``
    and ``x[1::2]`` count as overlapping), never a missed overlap."""
    out = np.zeros(len(low), bool)
    index = _sorted_live(low, high)
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


def _writes_meet(low, high, written):
    """Whether a ``written`` range shares a byte with any other range (two ranges that are only
    read may share memory freely)."""
    index = _sorted_live(low, high)
    if len(index) < 2:
        return False
    low, high, written = low[index], high[index], written[index]
    end_any = np.maximum.accumulate(high)[:-1]
    end_written = np.maximum.accumulate(np.where(written, high, np.iinfo(np.int64).min))[:-1]
    # sorted by start, two ranges meet when the later one starts before the earlier one ends
    return bool(np.any((low[1:] < end_written) | (written[1:] & (low[1:] < end_any))))


def _overlapping(arrays):
    """Whether any two of the described arrays may share memory (see :func:`_overlap_mask`).

    Writes then follow the list order: the arrays are written one after the other, as a Python
    loop over the list (torch's) would, even when one buffer appears twice in the list."""
    return bool(_overlap_mask(*_extents(arrays)).any())


def _offsets(table):
    """Where each array starts when all are laid end to end, then the total."""
    offs = np.zeros(len(table) + 1, np.int64)
    np.cumsum(table[:, _kernels.COL_SIZE], out=offs[1:])
    return offs


def _norms_of(arrays, pk, p, each):
    """(total norm, per-array norms, index of the first non-finite array or -1)."""
    k = _kernels
    table, shape, strides, paths, threads = arrays
    offs = _offsets(table)
    chunk = config.CLIP_TASK_ELEMENTS
    ntasks = -(-int(offs[-1]) // chunk)
    acc = np.zeros(len(table))
    flag = np.zeros(len(table))
    slots = np.zeros((ntasks, 6))
    _threads.run(
        k.NORM_TASKS[pk], ntasks, table, shape, strides, offs, p, chunk, acc, flag, slots,
        *paths, grain=_threads.grain_for(ntasks, threads), threads=threads,
    )  # fmt: skip
    total, norms, bad, unsafe, fix = k.finish_norms(table, acc, flag, slots, pk, p, each)
    if unsafe.any():
        k.RESCALED_NORMS[pk](table, shape, strides, unsafe, p, norms, *paths)
    if fix:
        total = k.combine_norms(norms, pk, p)
    return total, norms, bad


def _write(kernel, arrays, coef, threads=None):
    """Run a write kernel (scale or clamp, coefficient per array) over every array; on one thread,
    in list order, when arrays may overlap, unless the caller passes ``threads``."""
    chunk = config.CLIP_TASK_ELEMENTS
    offs = _offsets(arrays.table)
    ntasks = -(-int(offs[-1]) // chunk)
    if threads is None:
        threads = 1 if _overlapping(arrays) else arrays.threads
    _threads.run(
        kernel, ntasks, *arrays[:3], offs, coef, chunk, *arrays.paths,
        grain=_threads.grain_for(ntasks, threads), threads=threads,
    )  # fmt: skip


def _real(value, name, *, finite=True):
    """:func:`_checks.real`, and an int too large for a float refused naming ``name`` (float()
    raises OverflowError, which is neither a ValueError nor a TypeError)."""
    try:
        return _checks.real(value, name, finite=finite)
    except OverflowError:
        raise ValueError(f"{name} is too large for a float, got {value!r}") from None


def _non_negative(value, name):
    x = _real(value, name)
    if x < 0:
        raise ValueError(f"{name} must be >= 0, got {x}")
    return x


def _option(value, name, options):
    """``value`` if it is one of the strings ``options``; anything but a string is a TypeError
    (comparing a NumPy array with a string is elementwise, so ``in`` would not even be a bool)."""
    if not isinstance(value, str):
        listed = ", ".join(repr(o) for o in options)
        raise TypeError(f"{name} must be one of {listed}; got {type(value).__name__} {value!r}")
    return _checks.choice(value, name, options)


def _norm_kind(norm_type):
    """(kernel kind, p) for ``norm_type``: any p > 0, or inf."""
    if type(norm_type) is float and norm_type == 2.0:  # the common case, without the checks
        return _kernels.P2, 2.0
    p = _real(norm_type, "norm_type", finite=False)
    if p == math.inf:
        return _kernels.PINF, p
    if p <= 0:
        raise ValueError(f"norm_type must be > 0 or inf, got {p}")
    return {1.0: _kernels.P1, 2.0: _kernels.P2}.get(p, _kernels.PGEN), p


def _max_norm(max_norm, name="max_norm"):
    if type(max_norm) is float and max_norm > 0:  # finite or inf; NaN fails the comparison
        return max_norm
    x = _real(max_norm, name, finite=False)
    if x <= 0:
        raise ValueError(f"{name} must be > 0, got {x}")
    return x


def _coefficient_beyond_range(seq, p, max_norm):
    """``max_norm / norm`` for finite arrays whose norm is beyond float64's range (float64 data,
    or a tiny ``p``), where the norm is inf and the plain quotient 0: ``(max_norm / big) /
    |x / big|`` with ``big`` the largest |x|. A rare path, in NumPy."""
    data = [np.asarray(a, np.float64) for a in seq if a.size]
    big = max(float(np.max(np.abs(a))) for a in data)
    if p == math.inf:
        return max_norm / big
    with np.errstate(under="ignore"):
        terms = math.fsum(float(np.sum(np.abs(a / big) ** p)) for a in data)
    try:
        return max_norm / big / terms ** (1.0 / p)
    except OverflowError:  # |x / big| itself beyond float64 (p tiny): the quotient is 0 indeed
        return 0.0


def global_norm(arrays, norm_type=2.0):
    """The norm of all elements of ``arrays`` taken together.

    Parameters
    ----------
    arrays : ndarray or sequence of ndarray
        float16/32/64 arrays of any shapes and strides (not modified).
    norm_type : float, default 2.0
        ``p`` of the p-norm, any ``p > 0`` or ``inf`` (max-abs).

    Returns
    -------
    float
        ``(sum |x|^p)^(1/p)`` over every element, computed in float64 without overflow or
        underflow; NaN if any element is NaN, inf if any is inf (and none NaN). 0.0 for no data.

    Examples
    --------
    >>> import numpy as np
    >>> from fastinit.clip import global_norm
    >>> global_norm([np.array([3.0, 0.0]), np.array([[4.0]], np.float32)])
    5.0
    >>> global_norm(np.array([1e20, -1e20, 3.0], np.float32))  # float32 squares would overflow
    1.4142135907151756e+20
    >>> global_norm([np.array([1.0, -2.0])], norm_type=float("inf"))
    2.0
    """
    seq = _sequence(arrays, "arrays")
    _norms()
    pk, p = _norm_kind(norm_type)
    total, _, _ = _norms_of(_table(seq, "arrays", False), pk, p, False)
    return float(total)


def clip_grad_norm(arrays, max_norm, *, norm_type=2.0, eps=1e-6, nonfinite="raise"):
    """Scale ``arrays`` in place so that their global norm is at most about ``max_norm``.

    The coefficient is ``max_norm / (total + eps)`` clamped at 1, as in
    ``torch.nn.utils.clip_grad_norm_``; when it is 1 nothing is written.

    Sequential semantics (torch's): the total norm is taken over the list as given, before any
    write (an array listed twice counts twice), then each listed array is scaled by the one
    coefficient in turn, so memory listed twice is scaled twice.

    Parameters
    ----------
    arrays : ndarray or sequence of ndarray
        Writable float16/32/64 arrays (gradients), any shapes and strides.
    max_norm : float
        The largest allowed norm, > 0 (``inf`` means never clip).
    norm_type : float, default 2.0
        ``p`` of the p-norm, any ``p > 0`` or ``inf``.
    eps : float, default 1e-6
        Added to the norm in the coefficient's denominator (>= 0).
    nonfinite : {"raise", "skip", "propagate"}, default "raise"
        When some element is NaN or inf: ``"raise"`` raises a ValueError naming the first such
        array, ``"skip"`` returns the non-finite norm, both without touching any array;
        ``"propagate"`` scales by the resulting coefficient (0 or NaN), as torch does.

    Returns
    -------
    float
        The global norm before clipping.

    Examples
    --------
    >>> import numpy as np
    >>> from fastinit.clip import clip_grad_norm
    >>> g = [np.array([3.0, 4.0], np.float32), np.zeros((2, 2), np.float32)]
    >>> clip_grad_norm(g, 1.0)
    5.0
    >>> np.round(g[0], 6)  # scaled by 1 / (5 + 1e-6)
    array([0.6, 0.8], dtype=float32)
    >>> bad = [np.array([1.0]), np.array([np.nan])]
    >>> clip_grad_norm(bad, 1.0, nonfinite="skip")
    nan
    """
    seq = _sequence(arrays, "arrays")
    _norms()
    max_norm = _max_norm(max_norm)
    pk, p = _norm_kind(norm_type)
    eps = eps if type(eps) is float and 0 <= eps < math.inf else _non_negative(eps, "eps")
    _option(nonfinite, "nonfinite", _NONFINITE)
    arrays = _table(seq, "arrays", True)
    done = False
    if arrays.threads == 1:
        total, bad, done = _kernels.CLIP_NORM_SERIAL[pk](
            *arrays[:3], p, config.CLIP_TASK_ELEMENTS, max_norm, eps, nonfinite == "propagate",
            *arrays.paths,
        )  # fmt: skip
    if not done:
        total, _, bad = _norms_of(arrays, pk, p, False)
    if not done and (bad < 0 or nonfinite == "propagate"):
        # a zero norm with eps = 0: torch's max_norm / 0 is inf, clamped to 1 (no write)
        c = max_norm / (total + eps) if total + eps != 0.0 else math.inf
        if total == math.inf and bad < 0:  # finite data: max_norm / inf = 0 would zero it all
            c = _coefficient_beyond_range(seq, p, max_norm)
        # torch's coefficient; non-finite data gives 0 or NaN. From finite data a NaN can only
        # be inf / inf (max_norm inf, the norm beyond float64's range): never clip then
        if c < 1.0 or (c != c and bad >= 0):
            _write(_kernels.scale_tasks, arrays, np.full(len(seq), c))
    if bad >= 0 and nonfinite == "raise":
        raise ValueError(
            f"arrays[{bad}] contains NaN or inf (total norm {total}); nothing was modified. "
            "Pass nonfinite='skip' to skip this step, or 'propagate' for torch's behaviour"
        )
    return float(total)


def clip_grad_value(arrays, clip_value):
    """Clamp every element of ``arrays`` to ``[-clip_value, clip_value]`` in place.

    Parameters
    ----------
    arrays : ndarray or sequence of ndarray
        Writable float16/32/64 arrays, any shapes and strides.
    clip_value : float
        The bound, >= 0 (``inf`` allowed). NaN elements stay NaN, as in torch.

    Returns
    -------
    None

    Examples
    --------
    >>> import numpy as np
    >>> from fastinit.clip import clip_grad_value
    >>> g = np.array([-3.0, 0.5, 2.0])
    >>> clip_grad_value(g, 1.0)
    >>> g
    array([-1. ,  0.5,  1. ])
    """
    seq = _sequence(arrays, "arrays")
    _norms()
    clip = _real(clip_value, "clip_value", finite=False)
    if clip < 0:
        raise ValueError(f"clip_value must be >= 0, got {clip}")
    arrays = _table(seq, "arrays", True)
    bounds = np.full(len(seq), clip)
    half = arrays.table[:, _kernels.COL_KIND] == _kernels.F16
    if half.any():
        # float16 is clamped in float32: a bound rounded to float32 and then the result to
        # float16 can round twice (1 + 2^-11 + 2^-40 gave 1.0, not 1 + 2^-10); rounded to float16
        # first, the clamp is exact and the result the correctly rounded one
        with np.errstate(over="ignore"):
            bounds[half] = float(np.float16(clip))
    _write(_kernels.clamp_tasks, arrays, bounds)


def clip_by_norm(arrays, max_norm, *, norm_type=2.0):
    """Clip each array on its own: ``a *= max_norm / norm(a)`` where ``norm(a) > max_norm``.

    Like ``tf.clip_by_norm`` applied to each array (no eps; arrays within the bound are not
    written).

    Sequential semantics: the loop ``for a in arrays: n = norm(a); a *= max_norm / n if n >
    max_norm``. Each array's norm is measured when its turn comes, after the earlier arrays of the
    list were scaled, so an array listed twice is clipped once and then found within the bound
    (its second norm, returned, is then about ``max_norm``).

    Parameters
    ----------
    arrays : ndarray or sequence of ndarray
        Writable float16/32/64 arrays, any shapes and strides.
    max_norm : float
        The largest allowed norm of each array, > 0.
    norm_type : float, default 2.0
        ``p`` of the p-norm, any ``p > 0`` or ``inf``.

    Returns
    -------
    ndarray of float64
        The norm of each array before its own clipping (as measured at its turn).

    Raises
    ------
    ValueError
        If an array holds NaN or inf (nothing is written then).

    Examples
    --------
    >>> import numpy as np
    >>> from fastinit.clip import clip_by_norm
    >>> g = [np.array([3.0, 4.0]), np.array([0.1])]
    >>> clip_by_norm(g, 1.0)
    array([5. , 0.1])
    >>> g[0], g[1]
    (array([0.6, 0.8]), array([0.1]))
    """
    seq = _sequence(arrays, "arrays")
    _norms()
    max_norm = _max_norm(max_norm)
    pk, p = _norm_kind(norm_type)
    arrays = _table(seq, "arrays", True)
    _, norms, bad = _norms_of(arrays, pk, p, True)
    if bad >= 0:
        raise ValueError(f"arrays[{bad}] contains NaN or inf; nothing was modified")
    over = norms > max_norm
    coef = np.ones_like(norms)
    coef[over] = max_norm / norms[over]
    for i in np.flatnonzero(over & (norms == math.inf)):  # finite data (checked): not 0
        coef[i] = _coefficient_beyond_range(seq[i : i + 1], p, max_norm)
    shared = _overlap_mask(*_extents(arrays))
    if not shared.any():
        _write(_kernels.scale_tasks, arrays, coef)
        return norms
    # The arrays that share memory are done one after the other, in list order, each measured
    # when its turn comes (an earlier one's scaling may have changed it); the others meet
    # nothing, so the first pass's norms hold for them and they are written together, threaded.
    coef[shared] = 1.0  # the write kernel skips these
    _write(_kernels.scale_tasks, arrays, coef, threads=arrays.threads)
    written = False
    for i in np.flatnonzero(shared):
        one = arrays._replace(table=arrays.table[i : i + 1])
        if written:  # unchanged until something was scaled: the first pass's norm is its norm
            norms[i] = _norms_of(one, pk, p, True)[1][0]
        if norms[i] > max_norm:
            c = max_norm / norms[i]
            if norms[i] == math.inf:
                c = _coefficient_beyond_range(seq[i : i + 1], p, max_norm)
            _write(_kernels.scale_tasks, one, np.array([c]))
            written = True
    return norms


def _units(shape, layout):
    """(number of units, flat elements per unit step) of a tensor of ``shape``."""
    size = math.prod(shape)
    if len(shape) <= 1:
        return 1, max(size, 1)
    if layout == "torch":
        return shape[0], (size // shape[0] if shape[0] else 1)
    return shape[-1], 1


def _unit_norms(agc, g, w, units, inner, uoff, sums, norms, paths, a_lo, a_hi):
    """Fill ``norms`` (grad, param) with the unit norms of arrays ``a_lo .. a_hi - 1`` from their
    ``sums`` of squares; NaN where the data is not finite. An inf sum is finite float64 data
    whose squares overflowed: that array's units are measured again, scaled by their largest
    value."""
    lo, hi = uoff[a_lo], uoff[a_hi]
    for total, norm, arrays in zip(sums, norms, (g, w), strict=True):
        np.sqrt(total[lo:hi], out=norm[lo:hi])
        if not np.isinf(total[lo:hi]).any():  # the common case: no loop over the arrays
            continue
        for a in range(a_lo, a_hi):
            unit = total[uoff[a] : uoff[a + 1]]
            if np.isinf(unit).any() and not np.isnan(unit).any():
                agc.agc_rescaled_norms(*arrays[:3], a, units, inner, uoff, norm, *paths)


def adaptive_clip(grads, params, clipping=0.01, *, eps=1e-3, layout="torch"):
    """Adaptive gradient clipping (AGC, Brock et al. 2021), unit-wise and in place.

    For every unit ``i`` (an output unit: a row of the weight), with ``W_i`` and ``G_i`` its
    parameters and gradients: if ``|G_i| > clipping * max(|W_i|, eps)`` then
    ``G_i *= clipping * max(|W_i|, eps) / max(|G_i|, 1e-6)`` (Frobenius norms).

    Sequential semantics (timm's loop): for each pair ``(grads[k], params[k])`` in turn, every
    unit norm of both arrays is taken as they are at that moment, then the units of
    ``grads[k]`` are scaled. When a grad shares memory with another grad or with a param, later
    pairs see the earlier scaling (and a param that is also a grad is modified).

    Parameters
    ----------
    grads : ndarray or sequence of ndarray
        Writable float16/32/64 gradients.
    params : ndarray or sequence of ndarray
        The parameters, same number and shapes as ``grads`` (not modified, unless they share
        memory with a grad).
    clipping : float, default 0.01
        The clipping threshold λ, > 0.
    eps : float, default 1e-3
        Floor on the parameter norm (>= 0), so zero-initialized units can still move.
    layout : {"torch", "jax"}, default "torch"
        ``"torch"``: the unit axis is the first (norms over all other axes); ``"jax"``: the last.
        Scalars and vectors are one unit.

    Returns
    -------
    None

    Examples
    --------
    >>> import numpy as np
    >>> from fastinit.clip import adaptive_clip
    >>> w = np.array([[3.0, 4.0], [0.0, 1.0]])
    >>> g = np.array([[0.3, 0.4], [0.0, 0.001]])
    >>> adaptive_clip(g, w, clipping=0.01)
    >>> g  # row 0 had |G|/|W| = 0.1 > 0.01: scaled to 0.01 * 5; row 1 is within the bound
    array([[0.03 , 0.04 ],
           [0.   , 0.001]])
    """
    gseq = _sequence(grads, "grads")
    pseq = _sequence(params, "params")
    _norms()
    clipping = _real(clipping, "clipping")
    if clipping <= 0:
        raise ValueError(f"clipping must be > 0, got {clipping}")
    eps = _non_negative(eps, "eps")
    _option(layout, "layout", _LAYOUTS)
    if len(gseq) != len(pseq):
        raise ValueError(f"grads has {len(gseq)} arrays but params has {len(pseq)}")
    g = _table(gseq, "grads", True)
    w = _table(pseq, "params", False)
    units = np.empty(len(gseq), np.int64)
    inner = np.empty(len(gseq), np.int64)
    for i, (grad, param) in enumerate(zip(gseq, pseq, strict=True)):
        if grad.shape != param.shape:
            raise ValueError(f"grads[{i}] has shape {grad.shape} but params[{i}] has {param.shape}")
        units[i], inner[i] = _units(grad.shape, layout)
    from .kernels import agc

    uoff = np.concatenate(([0], np.cumsum(units)))
    gsum = np.zeros(uoff[-1])
    psum = np.zeros(uoff[-1])
    n = len(gseq)
    threads = g.threads
    grain = _threads.grain_for(n, threads)
    paths = tuple(a or b for a, b in zip(g.paths, w.paths, strict=True))
    _threads.run(
        agc.agc_sums, n, *g[:3], *w[:3], units, inner, uoff, gsum, psum, *paths,
        grain=grain, threads=threads,
    )  # fmt: skip
    gnorm, pnorm = np.empty_like(gsum), np.empty_like(psum)
    _unit_norms(agc, g, w, units, inner, uoff, (gsum, psum), (gnorm, pnorm), paths, 0, n)
    coef, _, bad = agc.agc_coefficients(uoff, gnorm, pnorm, clipping, eps)
    if bad >= 0:
        raise ValueError(
            f"grads[{bad}] or params[{bad}] has a non-finite unit norm (NaN or inf values, or a "
            "norm beyond float64's range); nothing was modified"
        )
    (glow, ghigh), (wlow, whigh) = _extents(g), _extents(w)
    written = np.arange(2 * n) < n
    if n < 2 or not _writes_meet(np.r_[glow, wlow], np.r_[ghigh, whigh], written):
        _threads.run(
            agc.agc_scale, n, *g[:3], units, inner, uoff, coef, *paths,
            grain=grain, threads=threads,
        )  # fmt: skip
        return
    # A grad shares memory with another grad or with a param: one pair after the other, in list
    # order, each measured when its turn comes (after the earlier grads were scaled). One pair
    # alone needs no such care: all its unit norms are taken before its grad is written.
    scaled = False
    for a in range(n):
        lo, hi = uoff[a], uoff[a + 1]
        if scaled:  # nothing changed before the first write: the first pass's sums hold
            gsum[lo:hi] = 0.0
            psum[lo:hi] = 0.0
            agc.agc_sums(*g[:3], *w[:3], units, inner, uoff, gsum, psum, *paths, a, a + 1)
            _unit_norms(
                agc, g, w, units, inner, uoff, (gsum, psum), (gnorm, pnorm), paths, a, a + 1
            )
            coef[lo:hi] = agc.agc_coefficients(
                uoff[a : a + 2] - lo, gnorm[lo:hi], pnorm[lo:hi], clipping, eps
            )[0]
        if np.any(coef[lo:hi] != 1.0):
            agc.agc_scale(*g[:3], units, inner, uoff, coef, *paths, a, a + 1)
            scaled = True
