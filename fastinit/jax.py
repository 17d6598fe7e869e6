"""Initializers with ``jax.nn.initializers``' calling convention, drawn from fastinit's streams.

Every factory has the name, arguments, defaults and argument order of its
``jax.nn.initializers`` namesake and returns ``init(key, shape, dtype=<factory dtype>,
out_sharding=None)``: the values are drawn on the host by fastinit's NumPy API (its
counter-based streams) and returned as a ``jax.Array``. JAX is imported when an initializer is
first called, never by ``import fastinit.jax``.

Keys. ``key`` may be

* a :class:`fastinit.random.Key` or a non-negative int: the ``seed`` of fastinit's NumPy API,
  so ``normal(0.02)(k, (3, 4))`` equals ``fastinit.normal((3, 4), std=0.02, seed=k)`` bit for
  bit (the int ``0`` is hashed by NumPy's SeedSequence: it is not ``jax.random.key(0)``);
* a JAX PRNG key, typed (``jax.random.key(0)``) or legacy (``jax.random.PRNGKey(0)``, a uint32
  vector). Its data words ``w`` (``jax.random.key_data``) become the fastinit key
  ``Key(0, 0, 0).fold_in(b"jax" + w.astype("<u4").tobytes())``. Only the words count, not the
  key's implementation, so ``key(0)`` and ``PRNGKey(0)`` give the same values, as they do in
  JAX. The mapping uses :meth:`~fastinit.random.Key.fold_in`, which is part of the stream
  format: the same key gives the same values on every platform and in every version.

The values are not JAX's for the same key (the generators differ); the distributions are.
Under ``jax.jit`` or ``jax.vmap`` the key is traced: the draw then runs on the host through
``jax.pure_callback`` (once per key under ``vmap``), with the values of an eager call.
"""

import functools
import math
import numbers
import operator
import warnings

import numpy as np

from . import _checks
from . import init as _init
from . import random as _random
from .random import Key

__all__ = [
    "variance_scaling", "glorot_uniform", "glorot_normal", "xavier_uniform", "xavier_normal",
    "he_uniform", "he_normal", "kaiming_uniform", "kaiming_normal", "lecun_uniform",
    "lecun_normal", "orthogonal", "truncated_normal", "normal", "uniform",
]  # fmt: skip

_NEEDS_JAX = "fastinit.jax needs JAX: pip install 'fastinit[jax]'"
_ROOT = Key(0, 0, 0)  # JAX keys are folded into this fixed root (see the module docstring)
_MODES = ("fan_in", "fan_out", "fan_avg", "fan_geo_avg")
_DISTRIBUTIONS = ("truncated_normal", "normal", "uniform")
_TN = _DISTRIBUTIONS[0]  # keeps the presets' lines short
_FLOATS = ("bfloat16", "float16", "float32", "float64")


def _jax():
    try:
        import jax  # its numpy, dtypes, random and sharding modules come with it
    except ImportError as error:
        raise ImportError(_NEEDS_JAX) from error
    return jax


def _float_dtype(dtype, jax):
    """``dtype`` as a NumPy dtype if it is one of :data:`_FLOATS`; TypeError otherwise."""
    accepted = ", ".join(_FLOATS)
    try:
        dt = jax.numpy.dtype(dtype)
    except Exception:  # noqa: BLE001 - whatever the parser raises, the argument is at fault
        raise TypeError(f"dtype must be a float dtype ({accepted}), got {dtype!r}") from None
    if dt.name not in _FLOATS:
        why = " (complex weights: use jax.nn.initializers)" if dt.kind == "c" else ""
        raise TypeError(f"dtype must be a float dtype ({accepted}), got {dt}{why}")
    return dt


def _dtypes(dtype, jax):
    """(the result's dtype, the dtype fastinit draws in). Like JAX: None is the default float
    dtype (float64 only under x64) and an unavailable float64 becomes float32 with a warning."""
    wanted = np.dtype(np.float64) if dtype is None else _float_dtype(dtype, jax)
    result = np.dtype(jax.dtypes.canonicalize_dtype(wanted))
    if result != wanted and dtype is not None and dtype is not float:  # as JAX: no warning
        why = "(set the jax_enable_x64 configuration option to enable it)"
        message = f"Explicitly requested dtype {wanted} is not available, and will be truncated"
        warnings.warn(f"{message} to dtype {result} {why}", UserWarning, stacklevel=3)
    # bfloat16 and float16 are drawn in float32 and rounded (to nearest even) on conversion
    return result, np.dtype(np.float64 if result == np.float64 else np.float32)


def _axes(value, name):
    """An axis argument (an int or a sequence of ints) as a tuple of ints."""
    if isinstance(value, numbers.Integral) and not isinstance(value, bool | np.bool_):
        return (operator.index(value),)
    try:
        if isinstance(value, str | bytes):
            raise TypeError
        return tuple(_random._int(a, name) for a in value)
    except TypeError:
        raise TypeError(f"{name} must be an int or a sequence of ints, got {value!r}") from None


def _axis_in(axis, shape, name, value):
    if not -len(shape) <= axis < len(shape):
        raise ValueError(f"{name}={value!r} is out of range for the {len(shape)}-D shape {shape}")
    return axis % len(shape)


def _fans(shape, in_axis, out_axis, batch_axis):
    """(fan_in, fan_out) as JAX computes them: the product of the sizes on the in (out) axes
    times the receptive field, the product of the sizes on the axes in none of the three."""
    sizes = []
    for axes, name in ((in_axis, "in_axis"), (out_axis, "out_axis"), (batch_axis, "batch_axis")):
        value = axes[0] if len(axes) == 1 else axes
        sizes.append(math.prod(shape[_axis_in(a, shape, name, value)] for a in axes))
    if 0 in shape:
        return 0.0, 0.0
    receptive = math.prod(shape) / sizes[0] / sizes[1] / sizes[2]
    return sizes[0] * receptive, sizes[1] * receptive


def _check_reach(reach, what, result, jax):
    """Refuse parameters (``what``) whose values, as large as ``reach``, overflow ``result``."""
    top = float(jax.numpy.finfo(result).max)
    if not reach <= top:
        raise ValueError(
            f"{what} is too large for {result}: values would reach {reach:g}, beyond its "
            f"largest finite value {top:g}"
        )


def _from_words(words):
    """The fastinit key of a JAX key's data words (the mapping of the module docstring)."""
    return _ROOT.fold_in(b"jax" + np.asarray(words).astype("<u4").tobytes())


def _key_source(key, jax):
    """(fastinit Key, None) for a Key or an int, (None, data words) for a JAX key."""
    if isinstance(key, Key):
        return Key(*key), None
    if isinstance(key, numbers.Integral) and not isinstance(key, bool | np.bool_):
        if key < 0:
            raise ValueError(f"key must be a non-negative int seed, got {key}")
        return _random.key(operator.index(key)), None
    if isinstance(key, jax.Array | np.ndarray):
        if jax.dtypes.issubdtype(key.dtype, jax.dtypes.prng_key):
            if key.shape == ():
                return None, jax.random.key_data(key)
        elif key.dtype == np.uint32 and key.ndim == 1 and key.size:
            return None, key
        shown = f"an array of dtype {key.dtype} and shape {key.shape}"
        raise ValueError(f"key must be one JAX PRNG key (map over several with vmap), got {shown}")
    raise TypeError(f"key must be a JAX PRNG key, a fastinit Key or an int, got {key!r}")


def _initializer(plan, default_dtype):
    """A factory's ``init``. ``plan(shape, compute, result, jax)`` checks what depends on the
    shape and returns ``draw(fastinit_key) -> ndarray`` in ``compute`` (None: none to draw)."""
    if default_dtype is not None:
        _float_dtype(default_dtype, _jax())

    def init(key, shape, dtype=default_dtype, out_sharding=None):
        jax = _jax()
        shape = _checks.shape_tuple(shape)
        result, compute = _dtypes(dtype, jax)
        placements = jax.sharding.Sharding | jax.sharding.PartitionSpec
        if out_sharding is not None and not isinstance(out_sharding, placements):
            raise TypeError(f"out_sharding must be a Sharding or PartitionSpec: {out_sharding!r}")
        draw = plan(shape, compute, result, jax)
        fkey, words = _key_source(key, jax)  # last: everything else is checked first
        if draw is None or 0 in shape:
            values = jax.numpy.zeros(shape, result)
        elif isinstance(words, jax.core.Tracer):
            # under jit/vmap the words exist only when the program runs: draw then, per key
            values = jax.pure_callback(
                lambda w: draw(_from_words(w)).astype(result),
                jax.ShapeDtypeStruct(shape, result),
                words,
                vmap_method="sequential",
            )
        else:
            drawn = draw(fkey if words is None else _from_words(words))
            values = jax.numpy.asarray(drawn.astype(result, copy=False))
        return values if out_sharding is None else jax.device_put(values, out_sharding)

    return init


def _simple(draw, reach, what, dtype):
    """The initializer of ``draw(shape, seed=k, dtype=compute)``; ``reach``: see _check_reach."""

    def plan(shape, compute, result, jax):
        _check_reach(reach(compute), what, result, jax)
        return lambda k: draw(shape, seed=k, dtype=compute)

    return _initializer(plan, dtype)


def variance_scaling(scale, mode, distribution, in_axis=-2, out_axis=-1, batch_axis=(), dtype=None):
    """An initializer with variance ``scale / n``, n a fan of the shape (``jax.nn.initializers``).

    Parameters
    ----------
    scale : float
        Positive scaling factor.
    mode : {"fan_in", "fan_out", "fan_avg", "fan_geo_avg"}
        n is fan_in, fan_out, their arithmetic mean or their geometric mean.
    distribution : {"truncated_normal", "normal", "uniform"}
        ``"truncated_normal"``: a normal truncated at two standard deviations, its std divided
        by 0.87962566103423978 (the std of a standard normal truncated to [-2, 2]) so that the
        variance is ``scale / n``; ``"normal"``: N(0, scale / n); ``"uniform"``: U(-b, b) with
        b = sqrt(3 scale / n).
    in_axis, out_axis, batch_axis : int or sequence of ints
        fan_in (fan_out) is the product of the sizes on the in (out) axes times the receptive
        field, the product of the sizes on the axes that none of the three names.
    dtype : dtype, optional
        The default of the returned ``init``'s ``dtype``: bfloat16, float16, float32 or
        float64; None is JAX's default float (float64 only with ``jax_enable_x64``).

    Returns
    -------
    init : callable
        ``init(key, shape, dtype=dtype, out_sharding=None) -> jax.Array``. With the default
        axes and a fastinit key, it equals ``fastinit.variance_scaling(shape, scale, mode,
        distribution, layout="jax", seed=key)`` (``"normal"`` is fastinit's
        ``"untruncated_normal"``). bfloat16 and float16 are drawn in float32 and rounded;
        ``out_sharding`` (a Sharding, or a PartitionSpec under a mesh) goes to device_put.

    Raises
    ------
    ValueError or TypeError
        Naming the argument: ``scale``, ``mode``, ``distribution``, an axis outside the shape,
        a non-float ``dtype`` (complex included), values beyond the dtype's range, the key.

    Examples
    --------
    >>> import jax
    >>> import fastinit.jax
    >>> init = fastinit.jax.variance_scaling(2.0, "fan_in", "truncated_normal")
    >>> w = init(jax.random.key(0), (3, 3, 16, 32))  # conv kernel: fan_in = 3 * 3 * 16
    >>> w.shape, w.dtype
    ((3, 3, 16, 32), dtype('float32'))
    >>> bool(abs(w).max() <= 2 * (2 / 144) ** 0.5 / 0.87962566103423978)
    True
    """
    scale = _checks.positive(scale, "scale")
    _checks.choice(mode, "mode", _MODES)
    _checks.choice(distribution, "distribution", _DISTRIBUTIONS)
    named = {"in_axis": in_axis, "out_axis": out_axis, "batch_axis": batch_axis}
    axes = tuple(_axes(value, name) for name, value in named.items())

    def plan(shape, compute, result, jax):
        fan_in, fan_out = _fans(shape, *axes)
        if 0 in shape:
            return None  # every fan would be 0
        avg, geo = (fan_in + fan_out) / 2, math.sqrt(fan_in * fan_out)
        n = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": avg, "fan_geo_avg": geo}[mode]
        std = math.sqrt(scale) / math.sqrt(n)  # as fastinit.variance_scaling computes it
        what = f"scale={scale} (std {std:g} for {mode} {n:g})"
        if distribution == "normal":
            _check_reach(_random._normal_reach(std, compute), what, result, jax)
            return lambda k: _init.normal(shape, 0.0, std, seed=k, dtype=compute)
        if distribution == "uniform":
            bound = math.sqrt(3.0) * std
            _check_reach(bound, what, result, jax)
            return lambda k: _init.uniform(shape, -bound, bound, seed=k, dtype=compute)
        std /= _init._TRUNC2_STD  # fastinit.variance_scaling's constant: the same std and bits
        a = 2 * std
        _check_reach(a, what, result, jax)
        return lambda k: _init.trunc_normal(shape, 0.0, std, -a, a, seed=k, dtype=compute)

    return _initializer(plan, dtype)


def glorot_uniform(in_axis=-2, out_axis=-1, batch_axis=(), dtype=None):
    """{preset}"""
    return variance_scaling(1.0, "fan_avg", "uniform", in_axis, out_axis, batch_axis, dtype)


def glorot_normal(in_axis=-2, out_axis=-1, batch_axis=(), dtype=None):
    """{preset}"""
    return variance_scaling(1.0, "fan_avg", _TN, in_axis, out_axis, batch_axis, dtype)


def he_uniform(in_axis=-2, out_axis=-1, batch_axis=(), dtype=None):
    """{preset}"""
    return variance_scaling(2.0, "fan_in", "uniform", in_axis, out_axis, batch_axis, dtype)


def he_normal(in_axis=-2, out_axis=-1, batch_axis=(), dtype=None):
    """{preset}"""
    return variance_scaling(2.0, "fan_in", _TN, in_axis, out_axis, batch_axis, dtype)


def lecun_uniform(in_axis=-2, out_axis=-1, batch_axis=(), dtype=None):
    """{preset}"""
    return variance_scaling(1.0, "fan_in", "uniform", in_axis, out_axis, batch_axis, dtype)


def lecun_normal(in_axis=-2, out_axis=-1, batch_axis=(), dtype=None):
    """{preset}"""
    return variance_scaling(1.0, "fan_in", _TN, in_axis, out_axis, batch_axis, dtype)


# the same objects under both names, as in jax.nn.initializers
xavier_uniform = glorot_uniform
"""The same function as :func:`glorot_uniform` (JAX's alias)."""
xavier_normal = glorot_normal
"""The same function as :func:`glorot_normal` (JAX's alias)."""
kaiming_uniform = he_uniform
"""The same function as :func:`he_uniform` (JAX's alias)."""
kaiming_normal = he_normal
"""The same function as :func:`he_normal` (JAX's alias)."""


def _preset_doc(function, title, scale, mode, note):
    """Fill a preset's ``{preset}`` docstring (in the example, fan_in 256 and fan_avg 192)."""
    distribution = "uniform" if function.__name__.endswith("uniform") else _TN
    function.__doc__ = f"""{title}: ``variance_scaling({scale}, "{mode}", "{distribution}", ...)``.

    Same arguments as :func:`variance_scaling` after its first three; {note}

    Examples
    --------
    >>> import jax
    >>> import fastinit.jax
    >>> w = fastinit.jax.{function.__name__}()(jax.random.key(0), (256, 128))
    >>> round(float(w.var() * {256 if mode == "fan_in" else 192}), 1)
    {scale}
    """


_preset_doc(glorot_uniform, "Glorot (Xavier) uniform", 1.0, "fan_avg", "alias xavier_uniform.")
_preset_doc(glorot_normal, "Glorot (Xavier) normal", 1.0, "fan_avg", "alias xavier_normal.")
_preset_doc(he_uniform, "He (Kaiming) uniform", 2.0, "fan_in", "alias kaiming_uniform.")
_preset_doc(he_normal, "He (Kaiming) normal", 2.0, "fan_in", "alias kaiming_normal.")
_preset_doc(lecun_uniform, "LeCun uniform", 1.0, "fan_in", "variance 1 / fan_in.")
_preset_doc(lecun_normal, "LeCun normal", 1.0, "fan_in", "the usual init of SELU networks.")


def orthogonal(scale=1.0, column_axis=-1, dtype=None):
    """An initializer of Haar-distributed (semi-)orthogonal matrices, times ``scale``.

    As in ``jax.nn.initializers.orthogonal``, a shape is read as a matrix whose columns lie
    along ``column_axis`` (``shape[column_axis]`` columns) and whose rows are all the other
    axes, flattened in C order; the rows or the columns, whichever are fewer, are orthonormal.

    Parameters
    ----------
    scale : float
        The factor of the result.
    column_axis : int
        The axis of the columns.
    dtype : dtype, optional
        As for :func:`variance_scaling`.

    Returns
    -------
    init : callable
        ``init(key, shape, dtype=dtype, out_sharding=None)``, for shapes of two dimensions or
        more: ``fastinit.orthogonal((rows, cols), scale, seed=k)`` for a fastinit key ``k``
        (``rows = prod(shape) // cols``), with its columns moved to ``column_axis``.

    Examples
    --------
    >>> import jax, jax.numpy as jnp
    >>> import fastinit.jax
    >>> q = fastinit.jax.orthogonal()(jax.random.key(0), (64, 32))
    >>> bool(jnp.allclose(q.T @ q, jnp.eye(32), atol=1e-5))
    True
    >>> w = fastinit.jax.orthogonal(2.0, column_axis=0)(jax.random.key(1), (8, 4, 5))
    >>> m = w.reshape(8, 20)  # the 8 columns, as rows
    >>> bool(jnp.allclose(m @ m.T, 4 * jnp.eye(8), atol=1e-4))
    True
    """
    scale = _checks.real(scale, "scale")
    column_axis = _random._int(column_axis, "column_axis")

    def plan(shape, compute, result, jax):
        if len(shape) < 2:
            raise ValueError(f"shape must have at least 2 dimensions for orthogonal, got {shape}")
        axis = _axis_in(column_axis, shape, "column_axis", column_axis)
        # entries are at most |scale|, up to rounding (hence the margin)
        _check_reach(abs(scale) * 1.01, f"scale={scale}", result, jax)
        if 0 in shape:
            return None  # rows would divide by 0
        cols = shape[axis]
        rows = math.prod(shape) // cols
        rest = shape[:axis] + shape[axis + 1 :]

        def draw(k):
            q = _init.orthogonal((rows, cols), scale, seed=k, dtype=compute)
            return np.moveaxis(q.reshape(rest + (cols,)), -1, axis)

        return draw

    return _initializer(plan, dtype)


def truncated_normal(stddev=1e-2, dtype=None, lower=-2.0, upper=2.0):
    """An initializer of N(0, stddev^2) truncated to [lower * stddev, upper * stddev].

    As in JAX, ``lower`` and ``upper`` are in units of ``stddev``, and ``stddev`` is the std of
    the normal before truncation (no correction).

    Parameters
    ----------
    stddev : float
        Standard deviation of the untruncated normal, >= 0.
    dtype : dtype, optional
        As for :func:`variance_scaling`.
    lower, upper : float
        The window in standard deviations, ``lower <= upper`` (infinite bounds allowed).

    Returns
    -------
    init : callable
        ``init(k, shape)`` equals ``fastinit.trunc_normal(shape, 0.0, stddev, lower * stddev,
        upper * stddev, seed=k)`` for a fastinit key ``k``.

    Examples
    --------
    >>> import jax
    >>> import fastinit.jax
    >>> w = fastinit.jax.truncated_normal(0.02)(jax.random.key(0), (768, 768))
    >>> bool(abs(w).max() <= 0.04)
    True
    """
    stddev = _checks.non_negative(stddev, "stddev")
    lower = _checks.real(lower, "lower", finite=False)
    upper = _checks.real(upper, "upper", finite=False)
    if lower > upper:
        raise ValueError(f"lower must be <= upper, got lower={lower}, upper={upper}")
    if lower == math.inf or upper == -math.inf:
        raise ValueError(f"[lower, upper] must hold finite values, got [{lower}, {upper}]")
    # an infinite bound stays infinite (inf * 0 would be nan); an open side reaches some
    # standard deviations past the other bound (or the mean)
    a, b = (t * stddev if math.isfinite(t) else t for t in (lower, upper))
    finite = [abs(t) for t in (a, b) if math.isfinite(t)]
    reach = max(finite, default=0.0) + (0.0 if len(finite) == 2 else 10.0 * stddev)
    what = f"stddev={stddev}, lower={lower} and upper={upper}"
    draw = functools.partial(_init.trunc_normal, mean=0.0, std=stddev, a=a, b=b)
    return _simple(draw, lambda compute: reach, what, dtype)


def normal(stddev=1e-2, dtype=None):
    """An initializer of N(0, stddev^2) values.

    Parameters
    ----------
    stddev : float
        Standard deviation, >= 0.
    dtype : dtype, optional
        As for :func:`variance_scaling`.

    Returns
    -------
    init : callable
        ``init(k, shape)`` equals ``fastinit.normal(shape, std=stddev, seed=k)`` for a
        fastinit key ``k``.

    Examples
    --------
    >>> import jax
    >>> import fastinit.jax
    >>> w = fastinit.jax.normal(0.5)(jax.random.key(0), (1000, 100))
    >>> round(float(w.std()), 2)
    0.5
    """
    stddev = _checks.non_negative(stddev, "stddev")
    draw = functools.partial(_init.normal, mean=0.0, std=stddev)
    return _simple(draw, lambda c: _random._normal_reach(stddev, c), f"stddev={stddev}", dtype)


def uniform(scale=1e-2, dtype=None):
    """An initializer of U[0, scale) values (JAX's ``uniform``: not centred).

    Parameters
    ----------
    scale : float
        The upper bound, >= 0 (never reached in float32 and float64; rounding to bfloat16 or
        float16 can reach it).
    dtype : dtype, optional
        As for :func:`variance_scaling`.

    Returns
    -------
    init : callable
        ``init(k, shape)`` equals ``fastinit.uniform(shape, 0.0, scale, seed=k)`` for a
        fastinit key ``k``.

    Examples
    --------
    >>> import jax
    >>> import fastinit.jax
    >>> w = fastinit.jax.uniform(10.0)(jax.random.key(0), (2, 3))
    >>> bool(((w >= 0) & (w < 10)).all())
    True
    """
    scale = _checks.non_negative(scale, "scale")
    draw = functools.partial(_init.uniform, low=0.0, high=scale)
    return _simple(draw, lambda compute: scale, f"scale={scale}", dtype)
