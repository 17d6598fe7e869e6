"""Weight initializers with PyTorch's semantics (and Keras/JAX's where PyTorch has none).

Shapes follow PyTorch's layout ``(out, in, *kernel)`` by default; ``layout="jax"`` reads
``(*kernel, in, out)`` as Keras and JAX do. Every initializer returns a new float32 array, or one
of ``dtype`` (float32, float64, float16), or fills ``out`` in place and returns it. Random
initializers draw from fastinit's counter-based streams (see :mod:`fastinit.random`), so a seed
gives the same values on any number of threads.
"""

import math

import numpy as np

from . import _checks, _output
from . import random as _random
from ._orthogonal import orthogonal, special_orthogonal
from .random import key, normal, trunc_normal, uniform

__all__ = [
    "calculate_gain", "compute_fans", "constant", "zeros", "ones", "eye", "dirac", "uniform",
    "normal", "trunc_normal", "xavier_uniform", "xavier_normal", "kaiming_uniform",
    "kaiming_normal", "lecun_uniform", "lecun_normal", "variance_scaling", "sparse", "orthogonal",
    "special_orthogonal",
]  # fmt: skip

_LINEAR = (
    "linear", "identity", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
    "conv_transpose3d", "sigmoid",
)  # fmt: skip
_NONLINEARITIES = _LINEAR + ("tanh", "relu", "leaky_relu", "selu")
_LAYOUTS = ("torch", "jax")
_MODES = ("fan_in", "fan_out", "fan_avg")
_DISTRIBUTIONS = ("truncated_normal", "untruncated_normal", "uniform")
# standard deviation of a standard normal truncated to [-2, 2] (scipy.stats.truncnorm(-2, 2).std())
_TRUNC2_STD = 0.8796256610342398
_SPARSE_MASK_TAG = 1  # stream tag of sparse()'s mask, independent of its values (tag 0)


def calculate_gain(nonlinearity, param=None):
    """The recommended gain for a nonlinearity (the table of ``torch.nn.init.calculate_gain``).

    Parameters
    ----------
    nonlinearity : str
        ``linear``, ``identity``, ``conv{1,2,3}d``, ``conv_transpose{1,2,3}d``, ``sigmoid`` (gain
        1), ``tanh`` (5/3), ``relu`` (sqrt 2), ``leaky_relu`` (sqrt(2 / (1 + slope^2))), ``selu``
        (3/4).
    param : float, optional
        The negative slope of ``leaky_relu`` (default 0.01).

    Examples
    --------
    >>> from fastinit import calculate_gain
    >>> calculate_gain("relu")
    1.4142135623730951
    >>> round(calculate_gain("leaky_relu", 0.2), 6)
    1.386750
    """
    _checks.choice(nonlinearity, "nonlinearity", _NONLINEARITIES)
    if nonlinearity in _LINEAR:
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3.0
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "selu":
        return 0.75
    slope = 0.01 if param is None else _checks.real(param, "param (the negative slope)")
    return math.sqrt(2.0 / (1.0 + slope * slope))


def compute_fans(shape, *, layout="torch"):
    """(fan_in, fan_out) of a weight of ``shape``, as ``torch.nn.init`` computes them.

    ``layout="torch"``: ``(out, in, *kernel)``; ``layout="jax"``: ``(*kernel, in, out)``. The
    receptive field (product of the kernel dims) multiplies both fans.

    Examples
    --------
    >>> from fastinit import compute_fans
    >>> compute_fans((64, 32, 3, 3))
    (288, 576)
    >>> compute_fans((3, 3, 32, 64), layout="jax")
    (288, 576)
    """
    _checks.choice(layout, "layout", _LAYOUTS)
    dims = _checks.shape_tuple(shape, min_ndim=2)
    if layout == "torch":
        fan_out, fan_in, kernel = dims[0], dims[1], dims[2:]
    else:
        fan_in, fan_out, kernel = dims[-2], dims[-1], dims[:-2]
    receptive = math.prod(kernel)
    return fan_in * receptive, fan_out * receptive


# ------------------------------------------------------------------------- deterministic ---


def _zeroed_output(shape, dtype, out, check=None):
    """(shape, result, plain view to write) after validation, ``check(shape)`` included; a new
    zeroed array when ``out`` is None. Nothing is written on failure."""
    output = _output.resolve(shape, dtype, out)
    if check is not None:
        check(output.shape)
    if output.view is None:
        _output.room(output.shape, output.dtype)
    return output.shape, *_output.allocate(output, zero=True)


def constant(shape, value, *, dtype=None, out=None):
    """An array filled with ``value``.

    A finite ``value`` must fit the output dtype (``1e5`` does not fit float16); ``inf`` and
    ``-inf`` are allowed.

    Examples
    --------
    >>> from fastinit import constant
    >>> constant((2, 2), 0.5)
    array([[0.5, 0.5],
           [0.5, 0.5]], dtype=float32)
    """
    value = _checks.real(value, "value", finite=False)
    dt = _output.resolve(shape, dtype, out).dtype
    _output.check_in_range([value] if math.isfinite(value) else [], f"value={value}", dt)
    _, result, target = _zeroed_output(shape, dtype, out)
    target[...] = value
    return result


def zeros(shape, *, dtype=None, out=None):
    """An array of zeros.

    Examples
    --------
    >>> from fastinit import zeros
    >>> zeros(3)
    array([0., 0., 0.], dtype=float32)
    """
    return constant(shape, 0.0, dtype=dtype, out=out)


def ones(shape, *, dtype=None, out=None):
    """An array of ones.

    Examples
    --------
    >>> from fastinit import ones
    >>> ones((1, 2), dtype="float64")
    array([[1., 1.]])
    """
    return constant(shape, 1.0, dtype=dtype, out=out)


def _check_eye_shape(shape):
    if len(shape) != 2:
        raise ValueError(f"shape must be 2-D for eye, got {shape}")


def eye(shape, *, dtype=None, out=None):
    """The identity matrix (ones on the main diagonal of a 2-D shape), like ``nn.init.eye_``.

    Examples
    --------
    >>> from fastinit import eye
    >>> eye((2, 3))
    array([[1., 0., 0.],
           [0., 1., 0.]], dtype=float32)
    """
    shape, result, target = _zeroed_output(shape, dtype, out, check=_check_eye_shape)
    target[...] = 0
    n = min(shape)
    target[np.arange(n), np.arange(n)] = 1
    return result


def dirac(shape, groups=1, *, dtype=None, out=None):
    """The Dirac delta of a 3-, 4- or 5-D convolution weight, like ``nn.init.dirac_``.

    A convolution with this weight copies as many input channels as possible (per group) to
    its outputs.

    Examples
    --------
    >>> from fastinit import dirac
    >>> w = dirac((2, 2, 3))
    >>> w[:, :, 1]
    array([[1., 0.],
           [0., 1.]], dtype=float32)
    """
    groups = _checks.positive_int(groups, "groups")

    def check(shape):
        if len(shape) not in (3, 4, 5):
            raise ValueError(f"shape must be 3-, 4- or 5-D for dirac, got {shape}")
        if shape[0] % groups:
            raise ValueError(f"shape[0]={shape[0]} must be divisible by groups={groups}")

    shape, result, target = _zeroed_output(shape, dtype, out, check=check)
    target[...] = 0
    if math.prod(shape) == 0:  # no centre to index: a kernel axis of size 0
        return result
    per_group = shape[0] // groups
    centre = tuple(k // 2 for k in shape[2:])
    channels = np.arange(min(per_group, shape[1]))
    for g in range(groups):
        target[(g * per_group + channels, channels) + centre] = 1
    return result


# --------------------------------------------------------------------------------- random ---


def _fan(shape, mode, layout):
    _checks.choice(mode, "mode", _MODES)
    fan_in, fan_out = compute_fans(shape, layout=layout)
    return {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": 0.5 * (fan_in + fan_out)}[mode]


def _check_scale_in_range(name, dt, *, bound=None, std=None):
    """Refuse a scale argument ``name`` (a gain, a scale) whose draws overflow ``dt``: the bound
    of a uniform, or the farthest reach of a normal of ``std``."""
    if std is not None:
        bound = _random._normal_reach(std, dt)
    if not math.isfinite(bound) or _output.overflows(bound, dt):
        raise ValueError(
            f"{name} is too large for {dt}: values would reach {bound:g}, beyond its largest "
            f"finite value {float(np.finfo(dt).max):g}"
        )


def _std_for(fan, gain, name):
    if fan <= 0:
        raise ValueError(f"{name} is 0 for this shape; cannot scale by it")
    return gain / math.sqrt(fan)


def _fan_scaled(distribution, fan, gain, fan_name, checked, shape, *, seed, dtype, out, region):
    """Values of mean 0 and standard deviation ``gain / sqrt(fan)``, the draw of every fan-based
    initializer: ``distribution`` is "uniform", "normal" or "truncated_normal" (at two standard
    deviations, its std corrected for the truncation). The output and the seed are checked
    first (without drawing from the seed), and an empty shape returns at once; ``checked``
    names the argument refused when the values would overflow the output dtype (None where the
    scale cannot be that large)."""
    output = _output.resolve(shape, dtype, out, region)
    _random._check_seed(seed)
    if math.prod(output.shape) == 0:
        return _zeroed_output(output.shape, dtype, out)[1]
    dt, std = output.dtype, _std_for(fan, gain, fan_name)
    generate = _random._generate_into
    if distribution == "normal":
        if checked is not None:
            _check_scale_in_range(checked, dt, std=std)
        return generate(output, "normal", seed, mean=0.0, std=std)
    # values within sqrt(3) std, or 2 std of the corrected truncated normal
    bound = math.sqrt(3.0) * std if distribution == "uniform" else 2 * std / _TRUNC2_STD
    if checked is not None:
        _check_scale_in_range(checked, dt, bound=bound)
    if distribution == "uniform":
        return generate(output, "uniform", seed, low=-bound, high=bound)
    std /= _TRUNC2_STD
    return generate(output, "trunc_normal", seed, mean=0.0, std=std, a=-2 * std, b=2 * std)


def _xavier(distribution, shape, gain, layout, seed, dtype, out, region):
    """The draw of both Xavier initializers: std ``gain * sqrt(2 / (fan_in + fan_out))``."""
    gain = _checks.non_negative(gain, "gain")
    fan = _fan(_output.shape_of(shape, out), "fan_avg", layout)
    return _fan_scaled(
        distribution, fan, gain, "fan_in + fan_out", "gain", shape, seed=seed, dtype=dtype,
        out=out, region=region,
    )  # fmt: skip


def xavier_uniform(
    shape, gain=1.0, *, layout="torch", seed=None, dtype=None, out=None, region=None
):
    """Glorot/Xavier uniform: U(-b, b) with b = gain * sqrt(6 / (fan_in + fan_out)).

    Examples
    --------
    >>> import fastinit
    >>> w = fastinit.xavier_uniform((300, 200), seed=0)
    >>> bool(abs(w).max() <= (6 / 500) ** 0.5)
    True
    """
    return _xavier("uniform", shape, gain, layout, seed, dtype, out, region)


def xavier_normal(shape, gain=1.0, *, layout="torch", seed=None, dtype=None, out=None, region=None):
    """Glorot/Xavier normal: N(0, std^2) with std = gain * sqrt(2 / (fan_in + fan_out)).

    Examples
    --------
    >>> import fastinit
    >>> w = fastinit.xavier_normal((1000, 1000), seed=0)
    >>> round(float(w.std() ** 2 * 2000), 2)
    2.0
    """
    return _xavier("normal", shape, gain, layout, seed, dtype, out, region)


def _kaiming_fan_and_gain(shape, a, mode, nonlinearity, layout, out):
    """(the fan of ``mode``, the gain of ``nonlinearity`` and ``a``) of the kaiming initializers."""
    if a is not None:  # torch passes ``a`` to calculate_gain, which reads it for leaky_relu only
        _checks.real(a, "a")
    _checks.choice(mode, "mode", _MODES)
    if mode == "fan_avg":
        raise ValueError("mode must be 'fan_in' or 'fan_out' for kaiming; got 'fan_avg'")
    fan = _fan(_output.shape_of(shape, out), mode, layout)
    gain = calculate_gain(nonlinearity, a)
    return fan, gain


def kaiming_uniform(
    shape, a=0.0, mode="fan_in", nonlinearity="leaky_relu", *, layout="torch", seed=None,
    dtype=None, out=None, region=None,
):  # fmt: skip
    """He/Kaiming uniform: U(-b, b), b = gain * sqrt(3 / fan), gain from ``nonlinearity`` and ``a``.

    Same defaults as ``torch.nn.init.kaiming_uniform_`` (``leaky_relu`` with slope ``a=0``, i.e.
    gain sqrt 2, and ``mode="fan_in"``).

    Examples
    --------
    >>> import fastinit
    >>> w = fastinit.kaiming_uniform((64, 128), seed=0)
    >>> bool(abs(w).max() <= (6 / 128) ** 0.5)
    True
    """
    fan, gain = _kaiming_fan_and_gain(shape, a, mode, nonlinearity, layout, out)
    # the gain is at most 5/3 (tanh): no output dtype overflows
    return _fan_scaled(
        "uniform", fan, gain, mode, None, shape, seed=seed, dtype=dtype, out=out, region=region
    )


def kaiming_normal(
    shape, a=0.0, mode="fan_in", nonlinearity="leaky_relu", *, layout="torch", seed=None,
    dtype=None, out=None, region=None,
):  # fmt: skip
    """He/Kaiming normal: N(0, std^2), std = gain / sqrt(fan).

    Examples
    --------
    >>> import fastinit
    >>> w = fastinit.kaiming_normal((512, 512), nonlinearity="relu", seed=0)
    >>> round(float(w.var() * 512), 1)
    2.0
    """
    fan, gain = _kaiming_fan_and_gain(shape, a, mode, nonlinearity, layout, out)
    return _fan_scaled(
        "normal", fan, gain, mode, None, shape, seed=seed, dtype=dtype, out=out, region=region
    )


def variance_scaling(
    shape, scale=1.0, mode="fan_in", distribution="truncated_normal", *, layout="torch",
    seed=None, dtype=None, out=None, region=None,
):  # fmt: skip
    """Keras/JAX ``variance_scaling``: variance ``scale / n`` with n the fan of ``mode``.

    ``distribution="truncated_normal"`` draws a normal truncated at two standard deviations and
    divides the std by 0.8796 (the std of a standard normal truncated to [-2, 2]) so the
    variance is exactly ``scale / n``; ``"untruncated_normal"`` draws N(0, scale / n);
    ``"uniform"`` draws U(-sqrt(3 scale / n), sqrt(3 scale / n)). ``mode`` is ``fan_in``,
    ``fan_out`` or ``fan_avg`` ((fan_in + fan_out) / 2).

    Examples
    --------
    >>> import fastinit
    >>> w = fastinit.variance_scaling((1000, 1000), 2.0, seed=0)
    >>> round(float(w.var() * 1000), 1)
    2.0
    """
    scale = _checks.positive(scale, "scale")
    _checks.choice(distribution, "distribution", _DISTRIBUTIONS)
    fan = _fan(_output.shape_of(shape, out), mode, layout)
    drawn = "normal" if distribution == "untruncated_normal" else distribution
    return _fan_scaled(
        drawn, fan, math.sqrt(scale), mode, "scale", shape, seed=seed, dtype=dtype, out=out,
        region=region,
    )  # fmt: skip


def lecun_uniform(shape, *, layout="torch", seed=None, dtype=None, out=None, region=None):
    """LeCun uniform (Keras/JAX): ``variance_scaling(1, "fan_in", "uniform")``.

    Examples
    --------
    >>> import fastinit
    >>> w = fastinit.lecun_uniform((10, 300), seed=0)
    >>> bool(abs(w).max() <= (3 / 300) ** 0.5)
    True
    """
    return variance_scaling(
        shape, 1.0, "fan_in", "uniform", layout=layout, seed=seed, dtype=dtype, out=out,
        region=region,
    )  # fmt: skip


def lecun_normal(shape, *, layout="torch", seed=None, dtype=None, out=None, region=None):
    """LeCun normal (Keras/JAX): ``variance_scaling(1, "fan_in", "truncated_normal")``.

    A truncated normal with variance 1 / fan_in, as in Keras and JAX (the default init for SELU
    networks).

    Examples
    --------
    >>> import fastinit
    >>> w = fastinit.lecun_normal((1000, 500), seed=0)
    >>> round(float(w.var() * 500), 1)
    1.0
    """
    return variance_scaling(
        shape, 1.0, "fan_in", "truncated_normal", layout=layout, seed=seed, dtype=dtype,
        out=out, region=region,
    )  # fmt: skip


def sparse(shape, sparsity, std=0.01, *, seed=None, dtype=None, out=None, region=None):
    """A 2-D weight with N(0, std^2) entries and ``ceil(sparsity * rows)`` zeros per column.

    Like ``torch.nn.init.sparse_`` (Martens 2010), but reproducible: the zeroed rows of each
    column are a uniformly random subset drawn from the seed's stream (tag 1), independent of
    the values (tag 0). With ``region=``, choosing a column's zeros takes that column's
    whole height: a box costs its columns times the tensor's rows.

    Examples
    --------
    >>> import fastinit
    >>> w = fastinit.sparse((10, 4), 0.3, seed=0)
    >>> (w == 0).sum(axis=0)
    array([3, 3, 3, 3])
    """
    sparsity = _checks.in_unit_interval(sparsity, "sparsity")
    std = _checks.non_negative(std, "std")
    whole = _checks.shape_tuple(_output.shape_of(shape, out))
    if len(whole) != 2:
        raise ValueError(f"shape must be 2-D for sparse, got {whole}")
    output = _output.resolve(whole, dtype, out, region)
    dims, dt, view = output.shape, output.dtype, output.view
    (r0, r1), (c0, c1) = output.box or ((0, whole[0]), (0, whole[1]))
    _random._draw("normal", dt, mean=0.0, std=std)
    # the mask's float64 ranks (whole columns) and argpartition's int64 indices
    _output.room(dims, dt, per_element=0 if view is not None else dt.itemsize)
    _output.room((whole[0], c1 - c0), np.dtype(np.float64), per_element=16)
    if output.box is not None:  # normal() below checks it too, but after the seed is drawn
        _random._check_stream_room(whole, "normal")
    _random._check_seed(seed)
    stream_key = key(seed)  # last: a Generator advances only for a call that goes ahead
    values = normal(whole, 0.0, std, seed=stream_key, dtype=dt, out=out, region=region)
    target = values if view is None else view
    zeros_per_column = math.ceil(sparsity * whole[0])
    if zeros_per_column and dims[0] and dims[1]:
        ranks = _random._generate(
            "uniform", whole, stream_key, np.float64, None, (slice(None), slice(c0, c1)),
            tag=_SPARSE_MASK_TAG, low=0.0, high=1.0,
        )  # fmt: skip
        chosen = np.argpartition(ranks, zeros_per_column - 1, axis=0)[:zeros_per_column]
        column = np.broadcast_to(np.arange(c1 - c0), chosen.shape)
        inside = (chosen >= r0) & (chosen < r1)
        target[chosen[inside] - r0, column[inside]] = 0
    return values
