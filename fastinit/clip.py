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

import numpy as np

from . import _agc, _arrays, _checks, _threads, config

_NONFINITE = ("raise", "skip", "propagate")
_LAYOUTS = ("torch", "jax")


def _norms_of(arrays, pk, p, each, count=False):
    """(total norm, per-array norms, index of the first non-finite array or -1); with ``count``,
    a fourth item: the number of NaN and inf elements of each array (float64)."""
    from .kernels import norms as k

    table, shape, strides, paths, threads, _ = arrays
    offs = _arrays.offsets(table)
    chunk = config.CLIP_TASK_ELEMENTS
    ntasks = -(-int(offs[-1]) // chunk)
    acc = np.zeros(len(table))
    flag = np.zeros(len(table))
    slots = np.zeros((ntasks, 6))
    _threads.run(
        (k.COUNT_TASKS if count else k.NORM_TASKS)[pk], ntasks, table, shape, strides, offs, p,
        chunk, acc, flag, slots, *paths, grain=_threads.grain_for(ntasks, threads),
        threads=threads,
    )  # fmt: skip
    total, norms, bad, unsafe, fix = k.finish_norms(table, acc, flag, slots, pk, p, each)
    if unsafe.any():
        k.RESCALED_NORMS[pk](table, shape, strides, unsafe, p, norms, *paths)
    if fix:
        total = k.combine_norms(norms, pk, p)
    return (total, norms, bad, flag) if count else (total, norms, bad)


def _write(kernel, arrays, coef, threads=None):
    """Run a write kernel (scale or clamp, coefficient per array) over every array; on one thread,
    in list order, when arrays may overlap, unless the caller passes ``threads``."""
    chunk = config.CLIP_TASK_ELEMENTS
    offs = _arrays.offsets(arrays.table)
    ntasks = -(-int(offs[-1]) // chunk)
    if threads is None:
        threads = 1 if _arrays.overlapping(arrays) else arrays.threads
    _threads.run(
        kernel, ntasks, *arrays[:3], offs, coef, chunk, *arrays.paths,
        grain=_threads.grain_for(ntasks, threads), threads=threads,
    )  # fmt: skip


def _norm_kind(norm_type):
    """(kernel kind, p) for ``norm_type``: any p > 0, or inf."""
    from .kernels.norm_loops import P1, P2, PGEN, PINF

    if type(norm_type) is float and norm_type == 2.0:  # the common case, without the checks
        return P2, 2.0
    p = _checks.real(norm_type, "norm_type", finite=False)
    if p == math.inf:
        return PINF, p
    if p <= 0:
        raise ValueError(f"norm_type must be > 0 or inf, got {p}")
    return {1.0: P1, 2.0: P2}.get(p, PGEN), p


def _max_norm(max_norm, name="max_norm"):
    if type(max_norm) is float and max_norm > 0:  # finite or inf; NaN fails the comparison
        return max_norm
    x = _checks.real(max_norm, name, finite=False)
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
    from .kernels import norms

    seq = _arrays.sequence(arrays, "arrays")
    pk, p = _norm_kind(norm_type)
    described = _arrays.table(seq, "arrays", False)
    if described.threads == 1:
        # the one-call clipping kernel, clipping to an infinite norm: it never writes (its
        # coefficient is inf, or NaN from non-finite data, which it scales only when told to
        # propagate), and a process that calls both functions compiles one kernel
        total, _, done = norms.CLIP_NORM_SERIAL[pk](
            *described[:3], p, config.CLIP_TASK_ELEMENTS, math.inf, 0.0, False,
            *_serial_scratch(described), *described.paths,
        )  # fmt: skip
        if done:
            return float(total)
    total, _, _ = _norms_of(described, pk, p, False)
    return float(total)


def _serial_scratch(arrays):
    """The scratch of the serial kernels, allocated here (allocating in compiled code would
    compile Numba's allocation code on a first call): offsets, sums and coefficients, slots."""
    n = len(arrays.table)
    ntasks = -(-arrays.size // config.CLIP_TASK_ELEMENTS)
    return np.empty(n + 1, np.int64), np.zeros(3 * n), np.zeros((ntasks, 6))


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
    seq = _arrays.sequence(arrays, "arrays")
    max_norm = _max_norm(max_norm)
    pk, p = _norm_kind(norm_type)
    eps = eps if type(eps) is float and 0 <= eps < math.inf else _checks.non_negative(eps, "eps")
    _checks.choice(nonfinite, "nonfinite", _NONFINITE)
    arrays = _arrays.table(seq, "arrays", True)
    total, bad = _clip_norm(arrays, max_norm, pk, p, eps, nonfinite == "propagate", lambda: seq)
    if bad >= 0 and nonfinite == "raise":
        raise ValueError(
            f"arrays[{bad}] contains NaN or inf (total norm {total}); nothing was modified. "
            "Pass nonfinite='skip' to skip this step, or 'propagate' for torch's behaviour"
        )
    return float(total)


def _clip_norm(arrays, max_norm, pk, p, eps, propagate, data):
    """The scaling of :func:`clip_grad_norm` over described arrays (``max_norm >= 0``): returns
    (total norm, index of the first non-finite array or -1). Non-finite data is scaled only when
    ``propagate``. ``data()`` gives the arrays as NumPy-convertible objects, for the rare
    coefficient of finite data whose norm is beyond float64's range."""
    from .kernels import norms

    done = False
    if arrays.threads == 1:
        total, bad, done = norms.CLIP_NORM_SERIAL[pk](
            *arrays[:3], p, config.CLIP_TASK_ELEMENTS, max_norm, eps, propagate,
            *_serial_scratch(arrays), *arrays.paths,
        )  # fmt: skip
    if not done:
        total, _, bad = _norms_of(arrays, pk, p, False)
    if not done and (bad < 0 or propagate):
        # a zero norm with eps = 0: torch's max_norm / 0 is inf, clamped to 1 (no write)
        c = max_norm / (total + eps) if total + eps != 0.0 else math.inf
        if total == math.inf and bad < 0:  # finite data: max_norm / inf = 0 would zero it all
            c = _coefficient_beyond_range(data(), p, max_norm)
        # torch's coefficient; non-finite data gives 0 or NaN. From finite data a NaN can only
        # be inf / inf (max_norm inf, the norm beyond float64's range): never clip then
        if c < 1.0 or (c != c and bad >= 0):
            _write(norms.scale_tasks, arrays, np.full(len(arrays.table), c))
    return total, bad


def _bfloat16(x):
    """``x`` rounded once to the nearest bfloat16 (ties to even), as a float."""
    if x == 0.0 or math.isinf(x):
        return x
    exponent = math.frexp(x)[1]  # x = m * 2**exponent with 0.5 <= |m| < 1
    ulp = math.ldexp(1.0, max(exponent, -125) - 8)  # 8 significant bits; subnormal below 2^-126
    r = round(x / ulp) * ulp  # round() on a float ties to even
    return r if abs(r) < 2.0**128 else math.copysign(math.inf, r)


def _clamp(arrays, clip):
    """Clamp described arrays to ``[-clip, clip]`` (``clip >= 0``)."""
    from .kernels import norms

    kind = arrays.table[:, norms.COL_KIND]
    bounds = np.full(len(kind), clip)
    # 16-bit data is clamped in float32: a bound rounded to float32 and then the result to
    # float16 can round twice (1 + 2^-11 + 2^-40 gave 1.0, not 1 + 2^-10); rounded to the
    # element type first, the clamp is exact and the result the correctly rounded one
    if (half := kind == norms.F16).any():
        with np.errstate(over="ignore"):
            bounds[half] = float(np.float16(clip))
    if (brain := kind == norms.BF16).any():
        bounds[brain] = _bfloat16(clip)
    _write(norms.clamp_tasks, arrays, bounds)


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
    seq = _arrays.sequence(arrays, "arrays")
    clip = _checks.real(clip_value, "clip_value", finite=False)
    if clip < 0:
        raise ValueError(f"clip_value must be >= 0, got {clip}")
    _clamp(_arrays.table(seq, "arrays", True), clip)


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
    from .kernels.norms import scale_tasks

    seq = _arrays.sequence(arrays, "arrays")
    max_norm = _max_norm(max_norm)
    pk, p = _norm_kind(norm_type)
    arrays = _arrays.table(seq, "arrays", True)
    _, norms, bad = _norms_of(arrays, pk, p, True)
    if bad >= 0:
        raise ValueError(f"arrays[{bad}] contains NaN or inf; nothing was modified")
    over = norms > max_norm
    coef = np.ones_like(norms)
    coef[over] = max_norm / norms[over]
    for i in np.flatnonzero(over & (norms == math.inf)):  # finite data (checked): not 0
        coef[i] = _coefficient_beyond_range(seq[i : i + 1], p, max_norm)
    shared = _arrays.overlap_mask(*_arrays.extents(arrays))
    if not shared.any():
        _write(scale_tasks, arrays, coef)
        return norms
    # The arrays that share memory are done one after the other, in list order, each measured
    # when its turn comes (an earlier one's scaling may have changed it); the others meet
    # nothing, so the first pass's norms hold for them and they are written together, threaded.
    coef[shared] = 1.0  # the write kernel skips these
    _write(scale_tasks, arrays, coef, threads=arrays.threads)
    from .kernels.array_table import COL_SIZE

    written = False
    for i in np.flatnonzero(shared):
        one = arrays._replace(table=arrays.table[i : i + 1], size=int(arrays.table[i, COL_SIZE]))
        if written:  # unchanged until something was scaled: the first pass's norm is its norm
            norms[i] = _norms_of(one, pk, p, True)[1][0]
        if norms[i] > max_norm:
            c = max_norm / norms[i]
            if norms[i] == math.inf:
                c = _coefficient_beyond_range(seq[i : i + 1], p, max_norm)
            _write(scale_tasks, one, np.array([c]))
            written = True
    return norms


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
    gseq = _arrays.sequence(grads, "grads")
    pseq = _arrays.sequence(params, "params")
    clipping = _checks.real(clipping, "clipping")
    if clipping <= 0:
        raise ValueError(f"clipping must be > 0, got {clipping}")
    eps = _checks.non_negative(eps, "eps")
    _checks.choice(layout, "layout", _LAYOUTS)
    if len(gseq) != len(pseq):
        raise ValueError(f"grads has {len(gseq)} arrays but params has {len(pseq)}")
    g = _arrays.table(gseq, "grads", True)
    w = _arrays.table(pseq, "params", False)
    units = np.empty(len(gseq), np.int64)
    inner = np.empty(len(gseq), np.int64)
    for i, (grad, param) in enumerate(zip(gseq, pseq, strict=True)):
        if grad.shape != param.shape:
            raise ValueError(f"grads[{i}] has shape {grad.shape} but params[{i}] has {param.shape}")
        units[i], inner[i] = _agc.units(grad.shape, layout)
    _agc.adaptive(g, w, units, inner, clipping, eps)
