"""Gradient clipping and gradient statistics over torch parameters, in place and zero-copy.

``clip_grad_norm_``, ``clip_grad_value_`` and ``get_total_norm`` take ``torch.nn.utils``'s
arguments and return what it returns; ``adaptive_clip_`` (AGC) and ``grad_stats`` have no torch
twin. CPU gradients of dtype float16, bfloat16, float32 and float64 go to fastinit's kernels as
they lie in memory (contiguous or strided): one compiled call for all of them, norms accumulated
in float64. See ``docs/torch.md`` for where the results differ from torch's.
"""

from typing import NamedTuple

import numpy as np
import torch

from .. import _agc, _checks, clip
from . import _grads

__all__ = ["adaptive_clip_", "clip_grad_norm_", "clip_grad_value_", "get_total_norm", "grad_stats"]

_EPS = 1e-6  # torch's: the coefficient is max_norm / (total + 1e-6), clamped at 1


def _nonfinite_error(p, label, clipping=True):
    """torch's exception type for a non-finite total norm, naming the first culprit."""
    if not clipping:
        return RuntimeError(
            f"The total norm of order {p} is non-finite ({label} holds NaN or inf). Pass "
            "error_if_nonfinite=False to get it anyway"
        )
    return RuntimeError(
        f"The total norm of order {p} of the gradients is non-finite ({label} holds NaN or inf), "
        "so they cannot be clipped; nothing was modified. Pass error_if_nonfinite=False to scale "
        "them by the non-finite norm anyway, as torch does"
    )


def clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    """Scale the gradients of ``parameters`` in place so that their total norm is at most
    ``max_norm``; ``torch.nn.utils.clip_grad_norm_``, computed by fastinit's kernels.

    The total norm is that of all gradients taken together, as if concatenated into one vector;
    each gradient is multiplied by ``min(1, max_norm / (total + 1e-6))`` (nothing is written when
    that is 1).

    Parameters
    ----------
    parameters : Tensor or iterable of Tensor
        Parameters (or any tensors) whose ``.grad`` is clipped; generators such as
        ``net.parameters()`` are fine. Those whose ``.grad`` is None are skipped.
    max_norm : float
        The largest allowed total norm, >= 0 (``inf``: measure only).
    norm_type : float or str, default 2.0
        ``p`` of the p-norm: any ``p > 0``, ``inf`` or ``'inf'``.
    error_if_nonfinite : bool, default False
        Raise a RuntimeError, with nothing modified, when a gradient holds NaN or inf. When
        False such gradients are scaled as torch does (by 0 for an inf norm, NaN for a NaN one).
    foreach : bool or None, default None
        Accepted for torch's signature and ignored: every CPU gradient goes through one
        compiled call. Passed on when the call is handed to torch (see Notes).

    Returns
    -------
    Tensor
        The total norm before clipping, a 0-d CPU tensor of the gradients' (promoted) dtype, as
        torch returns it; computed in float64 and rounded to that dtype.

    Raises
    ------
    RuntimeError
        ``error_if_nonfinite=True`` and a gradient holds NaN or inf.
    TypeError
        An item is not a tensor, or a gradient is not a floating-point tensor or is sparse.
    ValueError
        ``max_norm`` negative or NaN, ``norm_type`` not > 0.

    Notes
    -----
    When any gradient lies on another device than the CPU (CUDA, meta ...), is complex or is a
    tensor subclass, the whole call is ``torch.nn.utils.clip_grad_norm_`` itself, with the same
    arguments (after fastinit's checks of them).

    Examples
    --------
    >>> import torch
    >>> from fastinit.torch import clip_grad_norm_
    >>> net = torch.nn.Linear(2, 1)
    >>> net.weight.grad = torch.tensor([[3.0, 4.0]])
    >>> net.bias.grad = torch.zeros(1)
    >>> clip_grad_norm_(net.parameters(), max_norm=1.0)
    tensor(5.)
    >>> net.weight.grad
    tensor([[0.6000, 0.8000]])
    >>> clip_grad_norm_(net.parameters(), max_norm=1.0, norm_type="inf")
    tensor(0.8000)
    """
    params = _grads.as_list(parameters, "parameters", warn_empty_generator=True)
    max_norm = _grads.non_negative(max_norm, "max_norm", torch_does="torch flips the gradients")
    pk, p = _grads.norm_kind(norm_type)
    error_if_nonfinite = _checks.flag(error_if_nonfinite, "error_if_nonfinite")
    _grads.check_foreach(foreach)
    grads, labels = _grads.grads_of(params, "parameters")
    if any(_grads.foreign(g) for g in grads):
        return torch.nn.utils.clip_grad_norm_(
            params, max_norm, norm_type, error_if_nonfinite, foreach
        )
    if not grads:
        return _grads.result(0.0, grads)
    arrays = _grads.describe(grads, True, labels)
    total, bad = clip._clip_norm(
        arrays, max_norm, pk, p, _EPS, not error_if_nonfinite, lambda: _grads.as_float64(grads)
    )
    if bad >= 0 and error_if_nonfinite:
        raise _nonfinite_error(p, labels[bad])
    _grads.modified(grads)
    return _grads.result(total, grads)


def get_total_norm(tensors, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    """The norm of all elements of ``tensors`` taken together; ``torch.nn.utils.get_total_norm``,
    computed by fastinit's kernels in float64.

    Parameters
    ----------
    tensors : Tensor or iterable of Tensor
        The tensors themselves (not their ``.grad``): float16, bfloat16, float32 or float64,
        any strides. Not modified.
    norm_type : float or str, default 2.0
        ``p`` of the p-norm: any ``p > 0``, ``inf`` or ``'inf'``.
    error_if_nonfinite : bool, default False
        Raise a RuntimeError when a tensor holds NaN or inf.
    foreach : bool or None, default None
        Accepted and ignored, as in :func:`clip_grad_norm_`.

    Returns
    -------
    Tensor
        A 0-d CPU tensor of the tensors' promoted dtype (``tensor(0.)`` for none).

    Examples
    --------
    >>> import torch
    >>> from fastinit.torch import get_total_norm
    >>> get_total_norm([torch.tensor([3.0, 0.0]), torch.tensor([[4.0]])])
    tensor(5.)
    >>> get_total_norm(torch.tensor([1.0, -2.0], dtype=torch.bfloat16), norm_type="inf")
    tensor(2., dtype=torch.bfloat16)
    """
    items = _grads.as_list(tensors, "tensors")
    pk, p = _grads.norm_kind(norm_type)
    error_if_nonfinite = _checks.flag(error_if_nonfinite, "error_if_nonfinite")
    _grads.check_foreach(foreach)
    labels = [f"tensors[{i}]" for i in range(len(items))]
    for t, label in zip(items, labels, strict=True):
        _grads.check_tensor(t, label)
    if any(_grads.foreign(t) for t in items):
        return torch.nn.utils.get_total_norm(items, norm_type, error_if_nonfinite, foreach)
    if not items:
        return _grads.result(0.0, items)
    total, _, bad = clip._norms_of(_grads.describe(items, False, labels), pk, p, False)
    if bad >= 0 and error_if_nonfinite:
        raise _nonfinite_error(p, labels[bad], clipping=False)
    return _grads.result(total, items)


def clip_grad_value_(parameters, clip_value, foreach=None):
    """Clamp the gradients of ``parameters`` to ``[-clip_value, clip_value]`` in place;
    ``torch.nn.utils.clip_grad_value_``, computed by fastinit's kernels.

    Parameters
    ----------
    parameters : Tensor or iterable of Tensor
        Parameters whose ``.grad`` is clamped; those whose ``.grad`` is None are skipped.
    clip_value : float
        The bound, >= 0 (``inf`` allowed). NaN elements stay NaN, as in torch.
    foreach : bool or None, default None
        Accepted and ignored; passed on when the call is handed to torch (other devices,
        complex gradients, tensor subclasses, as in :func:`clip_grad_norm_`).

    Returns
    -------
    None

    Examples
    --------
    >>> import torch
    >>> from fastinit.torch import clip_grad_value_
    >>> w = torch.nn.Parameter(torch.zeros(4))
    >>> w.grad = torch.tensor([-3.0, 0.5, float("nan"), 2.0])
    >>> clip_grad_value_(w, 1.0)
    >>> w.grad
    tensor([-1.0000,  0.5000,     nan,  1.0000])
    """
    params = _grads.as_list(parameters, "parameters")
    bound = _grads.non_negative(
        clip_value, "clip_value", torch_does="torch would set every element to clip_value"
    )
    _grads.check_foreach(foreach)
    grads, labels = _grads.grads_of(params, "parameters")
    if any(_grads.foreign(g) for g in grads):
        return torch.nn.utils.clip_grad_value_(params, clip_value, foreach)
    if grads:
        clip._clamp(_grads.describe(grads, True, labels), bound)
        _grads.modified(grads)
    return None


def _named_or_plain(parameters):
    """(names or None, tensors) of an iterable of parameters or of (name, parameter) pairs."""
    if isinstance(parameters, torch.Tensor):
        return None, [parameters]
    if isinstance(parameters, dict):
        parameters = parameters.items()
    items = _grads.as_list(parameters, "parameters")
    if items and isinstance(items[0], tuple):
        named = _grads.named_items(items, "parameters")
        return [n for n, _ in named], [t for _, t in named]
    for i, t in enumerate(items):
        if not isinstance(t, torch.Tensor):
            raise TypeError(
                f"parameters[{i}] must be a torch.Tensor, or every item a (name, parameter) "
                f"pair; got {type(t).__name__}"
            )
    return None, items


def adaptive_clip_(parameters, clipping=0.01, *, eps=1e-3, exclude=()):
    """Adaptive gradient clipping (AGC, Brock et al. 2021), unit-wise, of the gradients of
    ``parameters`` in place.

    For every unit ``i`` of a parameter ``W`` (a slice along axis 0, torch's output-unit axis;
    a scalar or vector parameter is one unit), with ``G_i`` its gradient: if
    ``|G_i| > clipping * max(|W_i|, eps)`` then ``G_i *= clipping * max(|W_i|, eps) / |G_i|``
    (Frobenius norms; ``|G_i|`` floored at 1e-6). Built on :func:`fastinit.clip.adaptive_clip`.

    Parameters
    ----------
    parameters : Tensor, iterable of Tensor, or iterable of (str, Tensor)
        The parameters, or ``model.named_parameters()`` (needed for ``exclude``). Those whose
        ``.grad`` is None are skipped. CPU tensors of dtype float16, bfloat16, float32 or
        float64 (parameter and gradient dtypes may differ).
    clipping : float, default 0.01
        The threshold λ, > 0.
    eps : float, default 1e-3
        Floor of the parameter norm (>= 0), so zero-initialized units can still move.
    exclude : str or iterable of str, default ()
        Parameters not to clip, by name: a full name (``"fc.weight"``) or a module prefix
        (``"fc"`` covers ``"fc.weight"`` and ``"fc.bias"``, not ``"fc2.weight"``). The NFNet
        paper leaves the final classifier out. An entry that matches no name is an error (a
        typo would otherwise clip the layer silently).

    Returns
    -------
    None

    Raises
    ------
    TypeError
        A tensor on another device, complex, sparse or of an integer dtype.
    ValueError
        Bad ``clipping``/``eps``/``exclude``, or a unit norm that is NaN or inf (nothing is
        modified then).

    Examples
    --------
    >>> import torch
    >>> from fastinit.torch import adaptive_clip_
    >>> net = torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.Linear(2, 1))
    >>> with torch.no_grad():
    ...     _ = net[0].weight.copy_(torch.tensor([[3.0, 4.0], [0.0, 1.0]]))
    >>> for p in net.parameters():
    ...     p.grad = torch.ones_like(p)
    >>> adaptive_clip_(net.named_parameters(), clipping=0.01, exclude=["1"])
    >>> net[0].weight.grad  # row norms 5 and 1: each scaled to 0.01 of them
    tensor([[0.0354, 0.0354],
            [0.0071, 0.0071]])
    >>> net[1].weight.grad  # excluded
    tensor([[1., 1.]])
    """
    names, tensors = _named_or_plain(parameters)
    clipping = _grads.positive(clipping, "clipping")
    eps = _checks.non_negative(eps, "eps")
    entries = _grads.exclude_entries(exclude)
    if entries and names is None:
        raise ValueError("exclude needs named parameters: pass model.named_parameters()")
    skip = _grads.excluded(entries, names) if entries else [False] * len(tensors)
    grads, params, labels = [], [], []
    for i, (t, left_out) in enumerate(zip(tensors, skip, strict=True)):
        if left_out or t.grad is None:
            continue
        label = f"parameters[{i}]" if names is None else repr(names[i])
        g = _grads.check_tensor(t.grad, f"the gradient of {label}")
        grads.append(_grads.check_cpu(g, f"the gradient of {label}", "adaptive_clip_"))
        params.append(_grads.check_cpu(t.detach(), label, "adaptive_clip_"))
        labels.append(label)
    if not grads:
        return None
    g = _grads.describe(grads, True, [f"the gradient of {x}" for x in labels])
    w = _grads.describe(params, False, labels)
    units, inner = zip(*(_agc.units(tuple(t.shape), "torch") for t in grads), strict=True)
    _agc.adaptive(
        g, w, np.array(units, np.int64), np.array(inner, np.int64), clipping, eps,
        lambda i: f"{labels[i]} or its gradient",
    )  # fmt: skip
    _grads.modified(grads)
    return None


class GradStats(NamedTuple):
    """What :func:`grad_stats` measured, in one pass over the gradients."""

    total_norm: float
    """The norm of all gradients taken together (float64; NaN or inf when some value is)."""
    norms: dict
    """name -> the norm of that parameter's gradient, for every parameter with a gradient."""
    nonfinite: dict
    """name -> how many NaN and inf values its gradient holds, for those holding any."""
    finite: bool
    """Whether every gradient value is finite (``nonfinite`` is empty)."""


def grad_stats(named_parameters, norm_type=2.0):
    """Per-parameter gradient norms, counts of non-finite values and the total norm, in one pass.

    For a training loop that logs gradient norms, or skips a step on NaN/inf gradients, without
    reading the gradients a second time; the total equals :func:`get_total_norm` of the
    gradients (as a float64 Python float).

    Parameters
    ----------
    named_parameters : iterable of (str, Tensor), or mapping str -> Tensor
        ``model.named_parameters()`` or a dict of parameters. Those whose ``.grad`` is None are
        left out of the result. CPU gradients of dtype float16, bfloat16, float32 or float64.
    norm_type : float or str, default 2.0
        ``p`` of the p-norms: any ``p > 0``, ``inf`` or ``'inf'``.

    Returns
    -------
    GradStats
        A named tuple: ``total_norm`` (float), ``norms`` (dict name -> float), ``nonfinite``
        (dict name -> count, only names with a count > 0) and ``finite`` (bool).

    Examples
    --------
    >>> import torch
    >>> from fastinit.torch import grad_stats
    >>> net = torch.nn.Linear(2, 1)
    >>> net.weight.grad = torch.tensor([[3.0, 4.0]])
    >>> net.bias.grad = torch.tensor([12.0])
    >>> stats = grad_stats(net.named_parameters())
    >>> stats.total_norm, stats.norms, stats.finite
    (13.0, {'weight': 5.0, 'bias': 12.0}, True)
    >>> net.bias.grad[0] = float("nan")
    >>> stats = grad_stats(net.named_parameters())
    >>> stats.finite, stats.nonfinite
    (False, {'bias': 1})
    """
    named = _grads.named_items(named_parameters, "named_parameters")
    pk, p = _grads.norm_kind(norm_type)
    names, grads = [], []
    for name, t in named:
        if t.grad is not None:
            label = f"the gradient of {name!r}"
            grads.append(_grads.check_cpu(_grads.check_tensor(t.grad, label), label, "grad_stats"))
            names.append(name)
    if not grads:
        return GradStats(0.0, {}, {}, True)
    arrays = _grads.describe(grads, False, [f"the gradient of {n!r}" for n in names])
    total, norms, bad, counts = clip._norms_of(arrays, pk, p, True, count=True)
    nonfinite = {n: int(c) for n, c in zip(names, counts, strict=True) if c}
    return GradStats(
        float(total), dict(zip(names, norms.tolist(), strict=True)), nonfinite, bad < 0
    )
