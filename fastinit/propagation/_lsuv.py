"""lsuv(): layer-sequential unit-variance initialization (Mishkin & Matas 2016), in place."""

import numpy as np

from .. import _checks
from . import _activations
from . import _checks as pc


def _orthonormal(shape, seed, dtype):
    """A Haar-random matrix with orthonormal rows or columns (fastinit.orthogonal)."""
    from .._orthogonal import orthogonal

    return orthogonal(shape, seed=seed, dtype=np.float64)


def lsuv(weights, x, activation, *, tol=0.1, max_iter=10, orthonormal=True, seed=None,
         param=None):  # fmt: skip
    """Layer-sequential unit-variance initialization, in place (Mishkin & Matas 2016).

    Each weight is first replaced by a random orthonormal matrix (``orthonormal=True``), then,
    layer by layer on the batch ``x``, scaled by 1 / sqrt(Var(h)) until the variance of its
    pre-activations h = x W^T is 1 within ``tol`` (or ``max_iter`` rescalings). Everything is
    validated and computed before the first weight is written: on error nothing changes.

    Parameters
    ----------
    weights : sequence of ndarray
        Writable float arrays of shape (n_out, n_in) (PyTorch layout), chained:
        ``weights[i].shape[1] == weights[i - 1].shape[0]``.
    x : array_like, shape (batch, n_in of the first layer)
        A batch of inputs (at least 2 rows).
    activation : str
        Applied between layers (as in :func:`theory`).
    tol : float, default 0.1
    max_iter : int, default 10
    orthonormal : bool, default True
        Start from orthonormal matrices (the paper's choice); False keeps the given weights.
    seed : None, int, SeedSequence, Generator or Key
        For the orthonormal start.
    param : float, optional
        leaky_relu slope or elu alpha.

    Returns
    -------
    ndarray
        The final pre-activation variance of each layer.

    Examples
    --------
    >>> import numpy as np
    >>> import fastinit
    >>> from fastinit.propagation import lsuv
    >>> ws = [fastinit.xavier_normal((64, 64), seed=i) for i in range(5)]
    >>> x = np.random.default_rng(0).standard_normal((256, 64))
    >>> variances = lsuv(ws, x, "relu", seed=0)
    >>> bool(np.all(np.abs(variances - 1) < 0.1))
    True
    """
    _, code, param = _activations.activation_spec(activation, param)
    tol = _checks.positive(tol, "tol")
    max_iter = _checks.positive_int(max_iter, "max_iter")
    orthonormal = _checks.flag(orthonormal, "orthonormal")
    _check_weights(weights, orthonormal)
    xs = _inputs(x, weights[0].shape[1])
    _fits(weights, xs)
    from ..random import key

    with pc.seed_restored_on_error(seed):
        seeds = (
            np.random.SeedSequence(list(key(seed))).spawn(len(weights))
            if orthonormal
            else [None] * len(weights)
        )
        # everything is computed in float64; an input whose variance overflows it is refused
        # by name below rather than warned about from inside NumPy
        with np.errstate(over="ignore", invalid="ignore", under="ignore"):
            new, variances = _rescaled(weights, xs, code, param, tol, max_iter, seeds)
    for w, mat in zip(weights, new, strict=True):
        w[...] = mat
    return variances


def _check_weights(weights, orthonormal):
    if isinstance(weights, np.ndarray) or not isinstance(weights, (list, tuple)):
        raise TypeError("weights must be a list or tuple of 2-D arrays (one per layer)")
    if not weights:
        raise ValueError("weights must contain at least one array")
    for i, w in enumerate(weights):
        name = f"weights[{i}]"
        if not isinstance(w, np.ndarray):
            raise TypeError(f"{name} must be a NumPy array, got {type(w).__name__}")
        _checks.float_dtype(w.dtype, f"{name}.dtype", allow_half=True)
        if w.ndim != 2 or 0 in w.shape:
            raise ValueError(f"{name} must be a non-empty 2-D (n_out, n_in) array, got {w.shape}")
        if not w.flags.writeable:
            raise ValueError(f"{name} is read-only; lsuv works in place")
        if i and w.shape[1] != weights[i - 1].shape[0]:
            raise ValueError(
                f"{name} has n_in = {w.shape[1]} but weights[{i - 1}] has n_out = "
                f"{weights[i - 1].shape[0]}"
            )
        if not orthonormal and not np.all(np.isfinite(w)):
            raise ValueError(f"{name} contains NaN or inf")


def _inputs(x, n_in):
    """``x`` as a float64 (batch, n_in) array of finite values.

    Real floats and ints are accepted (converted to float64, as everything here is computed);
    complex values would lose their imaginary part, and bools, timedeltas, datetimes, strings
    and objects are no inputs of a layer, so all of those are refused by dtype.
    """
    try:
        arr = np.asarray(x)
    except (TypeError, ValueError):  # ragged nesting
        raise TypeError(f"x must be a real array of shape (batch, {n_in})") from None
    if arr.dtype.kind not in "iuf":
        raise TypeError(f"x must be a real (float or int) array, got dtype {arr.dtype}")
    if arr.ndim != 2 or arr.shape[1] != n_in or arr.shape[0] < 2:
        raise ValueError(f"x must have shape (batch >= 2, {n_in}), got {arr.shape}")
    xs = arr.astype(np.float64, copy=False)
    if not np.all(np.isfinite(xs)):
        raise ValueError("x contains NaN or inf")
    return xs


def _fits(weights, xs):
    """Refuse, before allocating, work that could never fit in memory: a float64 copy of each
    weight, its rescaled value in the weight's dtype, and per layer the activations, the
    pre-activations and the previous layer's (batch, width) float64 arrays."""
    batch = xs.shape[0]
    widest = max(max(w.shape) for w in weights)
    nbytes = sum(w.size * (8 + w.itemsize) for w in weights) + 3 * 8 * batch * widest
    _checks.fits_in_memory(
        nbytes, "x and weights", f"lsuv on a batch of {batch} through layers up to {widest} wide"
    )


def rescale_to_unit_variance(weight, variance_of, divided, tol, max_iter):
    """LSUV's loop for one layer: ``weight = divided(weight, var)`` (weight / sqrt(var)) while
    the output variance ``var = variance_of(weight)`` is more than ``tol`` from 1, at most
    ``max_iter`` times; a variance of 0, inf or NaN cannot be rescaled and stops it.

    Returns (weight, its variance, the number of rescalings). The NumPy and PyTorch versions
    share it; only how a variance is measured and a weight divided differs.
    """
    var = variance_of(weight)
    rescalings = 0
    while rescalings < max_iter and var != 0 and np.isfinite(var) and abs(var - 1.0) >= tol:
        weight = divided(weight, var)
        var = variance_of(weight)
        rescalings += 1
    return weight, var, rescalings


def _rescaled(weights, xs, code, param, tol, max_iter, seeds):
    """The rescaled weights, cast to each weight's dtype, and the variance each layer reaches."""
    new = []
    variances = np.empty(len(weights))
    h_in = xs
    for i, w in enumerate(weights):
        mat = _orthonormal(w.shape, seeds[i], w.dtype) if seeds[i] is not None else None
        if mat is None:
            mat = w.astype(np.float64)
        act = h_in if i == 0 else _activations.phi(h_in, code, param)
        outputs = [None]  # the last pre-activations measured, the next layer's input

        def variance_of(weight, act=act, outputs=outputs):
            outputs[0] = act @ weight.T
            return outputs[0].var()

        mat, var, _ = rescale_to_unit_variance(
            mat, variance_of, lambda weight, var: weight / np.sqrt(var), tol, max_iter
        )
        if var == 0 or not np.isfinite(var):
            raise ValueError(
                f"x gives layer {i} a pre-activation variance of {var}; it cannot be rescaled "
                "to 1 (no weight was modified)"
            )
        cast = mat.astype(w.dtype)
        if not np.all(np.isfinite(cast)):
            raise ValueError(
                f"x needs weights[{i}] scaled beyond the range of {w.dtype} to reach unit "
                "variance (no weight was modified)"
            )
        new.append(cast)
        variances[i] = var
        h_in = outputs[0]
    return new, variances
