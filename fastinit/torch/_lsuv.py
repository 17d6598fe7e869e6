"""lsuv_(): layer-sequential unit-variance initialization of a real nn.Module, in place.

The loop is :func:`fastinit.propagation.lsuv`'s (``rescale_to_unit_variance``); here a layer's
output variance is read by a forward hook on a forward pass of the batch, which the hook stops
as soon as it has read it: the layers after it do not need to run.
"""

import math
from typing import NamedTuple

import torch
from torch import nn

from .. import _checks
from .. import random as _random
from ..propagation._checks import seed_restored_on_error
from ..propagation._lsuv import rescale_to_unit_variance
from ._diagnose import batch_tuple, buffers_restored, check_model, matrix_weight
from ._init import init_
from ._measure import measured_output
from ._tensors import resolve_key

# the layers LSUV rescales: those whose weight sets the scale of their output (and any other
# layer holding a matrix as its weight, such as Hugging Face's Conv1D)
_RESCALED = (nn.Linear, nn.modules.conv._ConvNd)


def _rescaled(module):
    return isinstance(module, _RESCALED) or matrix_weight(module) is not None


class LSUVLayer(NamedTuple):
    """One layer of :func:`lsuv_`'s report.

    Attributes
    ----------
    name : str
        The layer's qualified name in the model.
    variance : float
        Its output variance on the batch once rescaled.
    iterations : int
        How many rescalings it took (0 when the start already was within ``tol``).
    """

    name: str
    variance: float
    iterations: int


class _Measured(Exception):
    """Raised by the measuring hook: the output is read, the rest of the pass is not needed."""


def lsuv_(model, batch, *, tol=0.1, max_iter=10, seed=None, orthonormal=True):
    """Layer-sequential unit-variance initialization of a model, in place (Mishkin & Matas 2016).

    Every ``nn.Linear`` and ``nn.Conv*`` layer that runs on ``batch``, and every other layer
    holding a 2-D ``weight`` in any layout (not an embedding: Hugging Face's ``Conv1D`` holds
    (in, out)), is taken in forward order (its first call). Its weight is first drawn
    orthonormal (``orthonormal=True``) with fastinit's orthogonal initializer, from
    ``key(seed).fold_in("<name>.weight")``, the key :func:`init_module_` gives that parameter;
    then it is divided by the standard deviation of the layer's output, measured by a forward
    hook on a forward pass of ``batch`` under ``torch.no_grad()``, until that variance is
    within ``tol`` of 1 (or ``max_iter`` times), as :func:`fastinit.propagation.lsuv` does for
    a plain network. Biases are left as they are.

    The model's modes are left as they are (dropout in training mode adds to the variance
    measured); its buffers (BatchNorm's running statistics) are put back after the passes. A
    call that raises leaves the model as it was: arguments are checked first, and every
    weight written is restored from a copy.

    Parameters
    ----------
    model : torch.nn.Module
    batch : torch.Tensor or tuple of torch.Tensor
        The model's positional arguments: ``model(*batch)``.
    tol : float, default 0.1
    max_iter : int, default 10
        Rescalings per layer at most.
    seed : None, int, SeedSequence, Generator or fastinit.random.Key
        For the orthonormal start; ``None`` draws the key from torch's default generator.
    orthonormal : bool, default True
        Start from orthonormal weights (the paper's choice); False rescales the weights as
        they are.

    Returns
    -------
    list of LSUVLayer
        Per layer, in forward order: ``name``, final ``variance``, ``iterations``.

    Examples
    --------
    >>> import torch, fastinit.torch as ft
    >>> _ = torch.manual_seed(0)
    >>> net = torch.nn.Sequential(torch.nn.Linear(32, 64), torch.nn.Tanh(),
    ...                           torch.nn.Linear(64, 64), torch.nn.Tanh(),
    ...                           torch.nn.Linear(64, 10))
    >>> report = ft.lsuv_(net, torch.randn(256, 32), seed=0)
    >>> [layer.name for layer in report]
    ['0', '2', '4']
    >>> all(abs(layer.variance - 1) < 0.1 for layer in report)
    True
    """
    check_model(model)
    inputs = batch_tuple(batch)
    tol = _checks.positive(tol, "tol")
    max_iter = _checks.positive_int(max_iter, "max_iter")
    orthonormal = _checks.flag(orthonormal, "orthonormal")
    _random._check_seed(seed)
    # a Generator seed is drawn from below: a call that fails puts it back as it was
    with seed_restored_on_error(seed), buffers_restored(model), torch.no_grad():
        layers = _layers_in_forward_order(model, inputs)
        # drawn only now, so that a refused call has not drawn from torch's generator
        root = resolve_key(seed) if orthonormal else None
        saved = [(module.weight, module.weight.detach().clone()) for _, module in layers]
        try:
            return [
                _to_unit_variance(model, inputs, name, module, root, tol, max_iter)
                for name, module in layers
            ]
        except BaseException:
            for weight, value in saved:
                weight.copy_(value)
            raise


def _layers_in_forward_order(model, inputs):
    """(name, module) of each layer LSUV rescales that runs on the batch, by its first call."""
    order = {}
    candidates = [(n, m) for n, m in model.named_modules() if _rescaled(m)]

    def recorder(name):
        def record(module, args, output):  # returns None: a value would replace the output
            order.setdefault(module, name)

        return record

    handles = [module.register_forward_hook(recorder(name)) for name, module in candidates]
    try:
        model(*inputs)
    finally:
        for handle in handles:
            handle.remove()
    if not order:
        raise ValueError(
            f"model ({type(model).__name__}) has no Linear or Conv layer (nor any other layer "
            "with a matrix weight) that runs on batch"
        )
    return [(name, module) for module, name in order.items()]


def _to_unit_variance(model, inputs, name, module, root, tol, max_iter):
    parameter = f"{name}.weight" if name else "weight"
    if root is not None:
        init_(module.weight, "orthogonal", seed=root.fold_in(parameter))
    _, variance, rescalings = rescale_to_unit_variance(
        module.weight,
        lambda weight: _output_variance(model, inputs, module, name),
        lambda weight, var: weight.div_(math.sqrt(var)),
        tol,
        max_iter,
    )
    if variance == 0 or not math.isfinite(variance):
        raise ValueError(
            f"batch gives layer {name!r} an output variance of {variance}; it cannot be "
            "rescaled to 1 (the model was left as it was)"
        )
    return LSUVLayer(name, variance, rescalings)


def _output_variance(model, inputs, module, name):
    """The variance of ``module``'s output (its first call) on a forward pass of the batch."""
    measured = []

    def read(module, args, output):
        tensor = measured_output(output)
        if tensor is None:
            raise ValueError(f"layer {name!r} returned no float tensor to rescale")
        measured.append(float(tensor.detach().to(torch.float64).var(correction=0)))
        raise _Measured

    handle = module.register_forward_hook(read)
    try:
        model(*inputs)
    except _Measured:
        return measured[0]
    finally:
        handle.remove()
    raise ValueError(f"layer {name!r} did not run on batch a second time")
