"""Counter-based random streams: seeds, keys, and uniform / normal / truncated-normal draws.

Every value is a pure function of (key, stream tag, element index), computed by Philox4x32-10
(Salmon et al., SC'11). Hence:

* the same seed gives the same bits whatever the thread count
  (:func:`fastinit.config.set_num_threads`);
* any contiguous range ``[start, stop)`` of a tensor's flat (C-order) elements can be generated
  alone with :func:`block`, and equals the same slice of the whole tensor (this is how large
  tensors are sharded);
* a :class:`Key` can be resolved once and reused to regenerate or shard a tensor.

The stream format is documented in ``fastinit/kernels/stream_format.py``; float32 and float64
streams of the same key differ (float64 values use 53-bit uniforms).
"""

import math
from typing import NamedTuple

import numpy as np

from . import _checks, _output, _threads, config
from ._keys import Key, _check_seed, _int, key

__all__ = ["Key", "key", "block", "uniform", "normal", "trunc_normal"]

# The stream format's constants and the fill kernels' argument layout: plain Python, importing
# it loads no Numba (the kernels themselves are imported by the function that calls them).
from .kernels import stream_format as _format

# Largest |z| of a normal draw (31- or 53-bit Box-Muller radii) by compute itemsize, and of a
# truncated-normal retry past the nearer of mean and bound: larger values would overflow the output.
_Z_REACH, _TRUNC_Z_REACH, _F32 = {4: 6.7, 8: 8.7}, 10.0, np.dtype(np.float32)
# A window 2**512 or more standard deviations from the mean (z**2 overflows there) holds all its
# mass within a rounding of its nearer edge: that edge is returned.
_FAR_Z = 2.0**512


def _normal_reach(std, dtype):
    """The farthest a normal draw of ``std`` gets from its mean, in the stream of ``dtype``."""
    return _Z_REACH[_output.compute_dtype(dtype).itemsize] * std


class _Draw(NamedTuple):
    """A validated distribution as the fill kernels take it (see kernels/stream_format.py): the
    kernel's ``kind``, its ``params`` and, for TRUNCATED only, its ``retry`` sampler."""

    kind: int
    params: _format.Params
    retry: _format.Retry | None = None


def _draw(distribution, dtype, **p):
    """The :class:`_Draw` of ``distribution`` ("uniform", "normal" or "trunc_normal") with
    parameters ``p`` for an output of ``dtype``, all validated."""
    dtype = np.dtype(dtype)
    if distribution == "uniform":
        low = _checks.real(p["low"], "low")
        high = _checks.real(p["high"], "high")
        if low > high:
            raise ValueError(f"low must be <= high, got low={low}, high={high}")
        compute = _output.compute_dtype(dtype).type
        with np.errstate(over="ignore", invalid="ignore"):  # inf - inf: refused just below
            width = compute(high) - compute(low)
        if not np.isfinite(width):
            raise ValueError(
                f"high - low overflows {np.dtype(compute)}: low={low}, high={high} (NumPy raises "
                "OverflowError for the same bounds)"
            )
        # a bound that the output dtype cannot hold would fill it with inf (torch refuses too)
        _output.check_in_range([low], f"low={low}", dtype)
        _output.check_in_range([high], f"high={high}", dtype)
        # low + (high - low) * u rounds up to high now and then (in float16 output about once
        # in a thousand draws): values are capped at the largest output value below high
        t = dtype.type
        top = np.nextafter(t(high), t(-np.inf)) if t(low) < t(high) else t(low)
        return _Draw(_format.UNIFORM, _format.Params(low, high - low, b=float(top)))  # b: the cap
    mean = _checks.real(p["mean"], "mean")
    std = _checks.non_negative(p["std"], "std")
    if distribution == "normal":
        reach = _normal_reach(std, dtype)
        _output.check_in_range([mean - reach, mean + reach], f"mean={mean} and std={std}", dtype)
        return _Draw(_format.NORMAL, _format.Params(mean, std))
    a = _checks.real(p["a"], "a", finite=False)
    b = _checks.real(p["b"], "b", finite=False)
    if a > b:
        raise ValueError(f"a must be <= b, got a={a}, b={b}")
    if a == math.inf or b == -math.inf:
        raise ValueError(f"the window [a, b] must hold finite values, got a={a}, b={b}")
    # an unbounded side reaches a few standard deviations past the mean or the other bound
    reach = _TRUNC_Z_REACH * std
    _output.check_in_range([a] if math.isfinite(a) else [], f"a={a}", dtype)
    _output.check_in_range([b] if math.isfinite(b) else [], f"b={b}", dtype)
    low = a if math.isfinite(a) else min(mean, b) - reach
    high = b if math.isfinite(b) else max(mean, a) + reach
    _output.check_in_range([low, high], f"mean={mean}, std={std}, a={a} and b={b}", dtype)
    alpha, beta = ((a - mean) / std, (b - mean) / std) if std > 0.0 else (0.0, 0.0)
    if alpha == beta or alpha >= _FAR_Z or beta <= -_FAR_Z:
        # a point mass, returned exactly by the uniform sampler over a zero-width window; also
        # a window narrower than the mean's resolution in z, or 2**512+ std out, whose law is
        # its nearer edge plus an exponential of scale under std * 2**-512 (the samplers'
        # z**2, log(beta - alpha) and mean + std * z fail there)
        centre = min(max(mean, a), b)
        return _Draw(
            _format.TRUNCATED,
            _format.Params(centre, 0.0, a=a, b=b),
            _format.Retry(_format.TRUNC_UNIFORM),
        )
    # float32 first draws compute in float32: a mean or std beyond it takes float64 retries
    f32 = dtype == np.float64 or not (_output.overflows(mean, _F32) or _output.overflows(std, _F32))
    if (
        dtype != np.float64
        and f32
        and -_format.INVCDF_MAX_Z <= alpha
        and beta <= _format.INVCDF_MAX_Z
    ):
        x_lo, x_hi = (math.erf(t / math.sqrt(2.0)) for t in (alpha, beta))
        return _Draw(_format.TRUNCATED_INVCDF, _format.Params(mean, std, x_lo, x_hi, a, b))
    retry = _retry_sampler(alpha, beta, normal=f32)
    if retry.mode == _format.TRUNC_EXP and retry.sign < 0:
        alpha, beta = -beta, -alpha  # the kernel samples the mirrored upper tail
    return _Draw(_format.TRUNCATED, _format.Params(mean, std, alpha, beta, a, b), retry)


def _log_mass(alpha, beta):
    """log P(alpha < Z < beta) for a standard normal Z, accurate in both tails."""
    import scipy.special  # imported here: 0.1-0.4 s that only truncated normals need

    if alpha > 0:  # upper tail: use survival functions
        alpha, beta = -beta, -alpha
    hi, lo = scipy.special.log_ndtr(beta), scipy.special.log_ndtr(alpha)
    return hi + math.log1p(-math.exp(lo - hi)) if lo < hi else -math.inf


def _retry_sampler(alpha, beta, normal=True):
    """The retry sampler (:class:`~fastinit.kernels.stream_format.Retry`: mode, sign, rate) with
    the best acceptance for [alpha, beta]; the normal one only where ``normal``."""
    log_mass = _log_mass(alpha, beta)
    if normal and log_mass >= math.log(_format.TRUNC_NORMAL_MIN_MASS):
        return _format.Retry(_format.TRUNC_NORMAL)
    half_log_2pi = 0.5 * math.log(2 * math.pi)
    closest = 0.0 if alpha <= 0.0 <= beta else min(abs(alpha), abs(beta))
    log_acc_uniform = log_mass + half_log_2pi - math.log(beta - alpha) + 0.5 * closest**2
    if alpha <= 0.0 <= beta:
        return _format.Retry(_format.TRUNC_UNIFORM)
    sign = 1.0 if alpha > 0 else -1.0
    lower = alpha if alpha > 0 else -beta  # the window's lower bound after mirroring
    lam = 0.5 * (lower + math.sqrt(lower * lower + 4.0))
    log_acc_exp = math.log(lam) + lam * lower - 0.5 * lam * lam + half_log_2pi + log_mass
    if log_acc_uniform >= log_acc_exp:
        return _format.Retry(_format.TRUNC_UNIFORM)
    return _format.Retry(_format.TRUNC_EXP, sign, lam)


def _run_fill(kernel, ntasks, flat, where, stream_key, draw, tag):
    """Run a fill kernel over ``ntasks`` tasks into ``flat``, on several threads when it is
    large. ``where`` (a tuple) places ``flat`` in the stream: its first index (flat fills), or
    the box's first element, run and runs (box fills). The key, params and retry reach the kernel
    as plain tuples of uint32, Python floats and ints, field by field (its compiled
    signature)."""
    words = tuple(np.uint32(w) for w in (stream_key.k0, stream_key.k1, tag, stream_key.ext))
    p, r = draw.params, draw.retry
    params = (float(p.p0), float(p.p1), float(p.alpha), float(p.beta), float(p.a), float(p.b))
    retry = None if r is None else (int(r.mode), float(r.sign), float(r.lam))
    large = config.use_threads(flat.size, config.RANDOM_PARALLEL_MIN)
    threads = config.thread_count() if large else 1
    _threads.run(
        kernel, ntasks, flat, *where, words, params, retry,
        grain=_threads.grain_for(ntasks, threads), threads=threads,
    )  # fmt: skip


def _fill_flat(flat, stream_key, draw, start, tag):
    """Stream elements ``start ..`` of ``draw`` into ``flat``, a contiguous compute-dtype vector."""
    from .kernels import streams

    ntasks = streams.task_count(flat.size, start, flat.itemsize)
    _run_fill(streams.FILL[draw.kind], ntasks, flat, (start,), stream_key, draw, tag)


def _box_runs(whole, box):
    """A box of a C-order tensor of shape ``whole`` as the box kernels take it: ``(run,
    (lead_start, lead_size, lead_stride, inner_start))``. Trailing axes the box spans whole
    merge into one run of contiguous stream indices per index of the leading axes."""
    strides = [1] * len(whole)
    for axis in range(len(whole) - 2, -1, -1):
        strides[axis] = strides[axis + 1] * whole[axis + 1]
    split = len(whole) - 1
    while split > 0 and box[split] == (0, whole[split]):
        split -= 1
    if split < 0:  # a 0-d tensor: one run of one element
        run, inner_start = 1, 0
    else:
        run = (box[split][1] - box[split][0]) * strides[split]
        inner_start = box[split][0] * strides[split]
    lead = box[: max(split, 0)]
    arrays = (
        np.array([start for start, _ in lead], np.int64),
        np.array([stop - start for start, stop in lead], np.int64),
        np.array(strides[: len(lead)], np.int64),
    )
    return run, (*arrays, inner_start)


def _fill_box(flat, stream_key, draw, tag, runs, first):
    """Elements ``first ..`` (in the box's own C order) of a box of a stream into ``flat``."""
    from .kernels import regions

    ntasks = regions.task_count(flat.size)
    _run_fill(regions.FILL_BOX[draw.kind], ntasks, flat, (first, *runs), stream_key, draw, tag)


def _fill(target, stream_key, draw, tag, start=0, whole=None, box=None):
    """Fill ``target`` (a plain float ndarray, any strides) with stream elements ``start ..`` in
    C order, or with the ``box`` of a tensor of shape ``whole``, directly or piece by piece
    (:func:`fastinit._output.fill`): the values are the same, since an element depends on its
    stream index only."""
    if box is None:
        _output.fill(
            target, lambda flat, first: _fill_flat(flat, stream_key, draw, start + first, tag)
        )
        return
    runs = _box_runs(whole, box)
    _output.fill(target, lambda flat, first: _fill_box(flat, stream_key, draw, tag, runs, first))


def _check_stream_room(whole, distribution):
    """Refuse a tensor (of which a box is drawn) whose element indices leave the stream."""
    limit, text = (
        (_format.TRUNC_MAX_STOP, "2**56")
        if distribution == "trunc_normal"
        else (_format.MAX_STOP, "2**62")
    )
    if math.prod(whole) > limit:
        raise ValueError(
            f"shape {whole} has more than {text} elements, the most a {distribution} stream indexes"
        )


def _generate(distribution, shape, seed, dtype, out, region=None, tag=0, **p):
    """Validate everything, then fill ``out`` (or a new array) with stream elements."""
    output = _output.resolve(shape, dtype, out, region)
    return _generate_into(output, distribution, seed, tag, **p)


def _generate_into(output, distribution, seed, tag=0, **p):
    """:func:`_generate` for an ``output`` that :func:`fastinit._output.resolve` checked."""
    draw = _draw(distribution, output.dtype, **p)
    if output.view is None:
        _output.room(output.shape, output.dtype)
    if output.box is not None:
        _check_stream_room(output.whole, distribution)
    _check_seed(seed)
    stream_key = key(seed)  # last: a Generator advances only for a call that goes ahead
    result, target = _output.allocate(output)
    _fill(target, stream_key, draw, tag, whole=output.whole, box=output.box)
    return result


def block(distribution, start, stop, *, seed=None, dtype=np.float32, tag=0, **params):
    """Flat elements ``start .. stop-1`` of a stream, computed on their own.

    ``block(d, i, j, seed=k, ...)`` equals ``f(shape, ..., seed=k).reshape(-1)[i:j]`` for the
    matching function ``f`` (:func:`uniform`, :func:`normal`, :func:`trunc_normal`), for any
    shape with at least ``j`` elements, so a huge tensor can be generated in shards.

    Parameters
    ----------
    distribution : {"uniform", "normal", "trunc_normal"}
    start, stop : int
        Flat element range, ``0 <= start <= stop <= 2**62`` (``2**56`` for ``trunc_normal``,
        whose retries keep the attempt number in the counter word above the index).
    seed : see :func:`key`
        Resolve it once with :func:`key` when generating several blocks of one tensor.
    dtype : float32 (default), float64 or float16
    tag : int
        Stream tag in [0, 2**31): independent streams of one key (initializers use tag 0).
    **params
        ``low``, ``high`` / ``mean``, ``std`` / ``mean``, ``std``, ``a``, ``b``.

    Examples
    --------
    >>> import numpy as np
    >>> from fastinit.random import block, normal, key
    >>> k = key(3)
    >>> whole = normal((10, 100), seed=k)
    >>> part = block("normal", 250, 640, seed=k, mean=0.0, std=1.0)
    >>> np.array_equal(part, whole.reshape(-1)[250:640])
    True
    """
    _checks.choice(distribution, "distribution", ("uniform", "normal", "trunc_normal"))
    start, stop, tag = _int(start, "start"), _int(stop, "stop"), _int(tag, "tag")
    if not 0 <= start <= stop:
        raise ValueError(f"need 0 <= start <= stop, got start={start}, stop={stop}")
    limit, limit_text = (
        (_format.TRUNC_MAX_STOP, "2**56")
        if distribution == "trunc_normal"
        else (_format.MAX_STOP, "2**62")
    )
    if stop > limit:
        raise ValueError(
            f"stop must be <= {limit_text} for {distribution} (the stream's element indices "
            f"stay below it), got {stop}"
        )
    if not 0 <= tag < 2**31:
        raise ValueError(f"tag must be in [0, 2**31), got {tag}")
    defaults = {
        "uniform": {"low": 0.0, "high": 1.0},
        "normal": {"mean": 0.0, "std": 1.0},
        "trunc_normal": {"mean": 0.0, "std": 1.0, "a": -2.0, "b": 2.0},
    }[distribution]
    unknown = set(params) - set(defaults)
    if unknown:
        raise TypeError(f"unknown parameters for {distribution}: {sorted(unknown)}")
    dt = _output.float_dtype(dtype)
    draw = _draw(distribution, dt, **{**defaults, **params})
    _output.room((stop - start,), dt, "stop")
    _check_seed(seed)
    stream_key = key(seed)  # last: a Generator advances only for a call that goes ahead
    flat = np.empty(stop - start, dtype=dt)
    _fill(flat, stream_key, draw, tag, start)
    return flat


def uniform(shape, low=0.0, high=1.0, *, seed=None, dtype=None, out=None, region=None):
    """Values from U[low, high).

    ``high`` is never returned, also in float16: ``low + (high - low) * u`` can round up to
    ``high``, and such values are capped at the largest value of the output dtype below it
    (NumPy's ``Generator.uniform`` returns ``high`` in that case). With ``low == high`` every
    value is ``low``.

    Parameters
    ----------
    shape : int or tuple of ints
        Output shape (may be ``None`` when ``out`` is given).
    low, high : float
        Bounds, ``low <= high``.
    seed : None, int, SeedSequence, Generator or Key
        See :func:`key`.
    dtype : float32 (default), float64 or float16
    out : ndarray, optional
        Writable float array of shape ``shape`` (or of the region's shape) to fill in place
        (any strides, no zero strides); it is returned. Torch tensors:
        :func:`fastinit.torch.init_`.
    region : slice or tuple of slices, optional
        Compute only this box of the tensor of shape ``shape`` (step-1 slices, NumPy's rules;
        missing trailing axes are whole): the result equals ``f(shape, ...)[region]`` bit for
        bit, in time proportional to the box. This is how a tensor is sharded: rows, columns
        or any N-D block, each on its own.

    Returns
    -------
    ndarray

    Examples
    --------
    >>> import fastinit
    >>> w = fastinit.uniform((3, 4), -0.1, 0.1, seed=0)
    >>> bool(((w >= -0.1) & (w < 0.1)).all())
    True
    >>> part = fastinit.uniform((3, 4), -0.1, 0.1, seed=0, region=(slice(1, 3), slice(0, 2)))
    >>> bool((part == w[1:3, 0:2]).all())
    True
    """
    return _generate("uniform", shape, seed, dtype, out, region, low=low, high=high)


def normal(shape, mean=0.0, std=1.0, *, seed=None, dtype=None, out=None, region=None):
    """Values from N(mean, std^2).

    Parameters are as for :func:`uniform` (``region=`` included); ``std >= 0``.

    Examples
    --------
    >>> import fastinit
    >>> w = fastinit.normal(100_000, std=0.5, seed=1)
    >>> round(float(w.std()), 2)
    0.5
    """
    return _generate("normal", shape, seed, dtype, out, region, mean=mean, std=std)


def trunc_normal(
    shape, mean=0.0, std=1.0, a=-2.0, b=2.0, *, seed=None, dtype=None, out=None, region=None
):
    """Values from N(mean, std^2) conditioned on [a, b] (PyTorch semantics: absolute bounds).

    Exact for every window, never clipped: float32 windows inside 2.9 standard deviations of
    the mean go through the inverse CDF (no rejection); other draws outside [a, b] are redrawn,
    with a sampler chosen per window (normal, uniform or exponential proposals, Robert 1995),
    so narrow or far-tail windows stay fast. See docs/random.md.

    Parameters are as for :func:`uniform` (``region=`` included); ``std >= 0``, ``a <= b``
    (infinite bounds allowed).

    Examples
    --------
    >>> import fastinit
    >>> w = fastinit.trunc_normal((768, 768), std=0.02, a=-0.04, b=0.04, seed=0)
    >>> float(abs(w).max()) <= 0.04
    True
    """
    return _generate("trunc_normal", shape, seed, dtype, out, region, mean=mean, std=std, a=a, b=b)
