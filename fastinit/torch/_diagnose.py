"""diagnose(): one forward and backward pass of a real nn.Module, measured module by module.

The rows are read during the pass by ``_measure.py``. Everything the call changes to make that
possible (requires_grad flags, the training mode when asked, buffers such as BatchNorm's
running statistics, the hooks) is put back when it returns or raises; gradients are taken with
``torch.autograd.grad``, so no ``.grad`` field is ever written. In a model with residual blocks
the verdict reads the blocks' rows: how the residual stream and its gradient travel through
depth.
"""

import math
from collections import Counter
from contextlib import ExitStack, contextmanager

import numpy as np
import torch
from torch import nn

from .. import _checks
from .. import random as _random
from ..config import HEALTHY_BAND
from ..propagation._checks import seed_restored_on_error
from ..propagation._diagnosis import (
    Diagnosis,
    check_band,
    deciding_rows,
    locate_failure,
    variance_ratios,
)
from ..propagation._simulation import SimulationResult
from ..random import normal
from ._measure import Activations, Rows, hooked, mean_square, measured_output
from ._tensors import resolve_key

# layers whose weight has torch's (out, in, *kernel) layout and a fan_in
_WEIGHT_LAYERS = (nn.Linear, nn.modules.conv._ConvNd)
# residual blocks of torch, found as such whatever their container
_TORCH_BLOCKS = (nn.TransformerEncoderLayer, nn.TransformerDecoderLayer)


def check_model(model):
    """Refuse a ``model`` that is not an nn.Module."""
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    if type(model).forward is nn.Module.forward:  # a container: ModuleList, ModuleDict
        raise TypeError(f"model ({type(model).__name__}) has no forward method to call")


def batch_tuple(batch):
    """``batch`` (a tensor, or a tuple or list of them) as the tuple of the model's positional
    arguments; an empty tensor is refused (there is no sample to measure a variance on), and so
    is one holding NaN (every variance after it would be NaN, which reads as an explosion).
    Infinities pass: an attention mask holds -inf by design."""
    if isinstance(batch, torch.Tensor):
        items, names = (batch,), ("batch",)
    elif isinstance(batch, (tuple, list)) and batch:
        items, names = tuple(batch), tuple(f"batch[{i}]" for i in range(len(batch)))
    else:
        raise TypeError(
            "batch must be a torch.Tensor or a non-empty tuple of tensors (the model's "
            f"positional arguments), got {type(batch).__name__}"
        )
    for name, item in zip(names, items, strict=True):
        if not isinstance(item, torch.Tensor):
            raise TypeError(f"{name} must be a torch.Tensor, got {type(item).__name__}")
        if item.numel() == 0:
            raise ValueError(f"{name} is empty (shape {tuple(item.shape)}): nothing to measure")
        if (item.is_floating_point() or item.is_complex()) and bool(torch.isnan(item).any()):
            raise ValueError(f"{name} holds NaN values: no variance can be measured through them")
    return items


@contextmanager
def buffers_restored(model):
    """Put every buffer back as it was (BatchNorm's running statistics move in train mode)."""
    saved = [(buffer, buffer.detach().clone()) for buffer in model.buffers()]
    try:
        yield
    finally:
        with torch.no_grad():
            for buffer, value in saved:
                buffer.copy_(value)


@contextmanager
def _measurable(model, train):
    """The model ready for one measured pass, and afterwards exactly as it was: modes and
    requires_grad flags (every float parameter needs a gradient so that the graph reaches every
    module)."""
    modes = [(module, module.training) for module in model.modules()]
    flags = [(p, p.requires_grad) for p in model.parameters()]
    try:
        if train is not None:
            model.train(train)
        for parameter, _ in flags:
            if parameter.is_floating_point():
                parameter.requires_grad_(True)
        yield
    finally:
        for module, mode in modes:
            module.training = mode
        for parameter, flag in flags:
            parameter.requires_grad_(flag)


def _owns_parameters(module):
    return next(module.parameters(recurse=False), None) is not None


def _block_names(model, blocks):
    """Names of the modules that are residual blocks: the instances of the classes ``blocks``;
    for "auto", torch's transformer layers and every item of a ModuleList or Sequential that
    shares its class with another item there and holds parameters only in its submodules
    (the layers of a transformer, the blocks of a ResNet stage)."""
    if blocks != "auto":
        return [name for name, module in model.named_modules() if isinstance(module, blocks)]
    found = [name for name, module in model.named_modules() if isinstance(module, _TORCH_BLOCKS)]
    for prefix, container in model.named_modules():
        if not isinstance(container, (nn.ModuleList, nn.Sequential)):
            continue
        items = list(container.named_children())
        repeated = Counter(type(item) for _, item in items)
        found += [
            f"{prefix}.{name}" if prefix else name
            for name, item in items
            if repeated[type(item)] > 1
            and not _owns_parameters(item)
            and next(item.parameters(), None) is not None
        ]
    return list(dict.fromkeys(found))


def _measured_modules(model, block_names):
    """(name, module) of every module that owns parameters, and of every residual block."""
    blocks = set(block_names)
    found = [
        (name, module)
        for name, module in model.named_modules()
        if name in blocks or _owns_parameters(module)
    ]
    if not found:
        raise ValueError(f"model ({type(model).__name__}) has no module with parameters")
    return found


def _loss(output, loss_fn, key):
    """``loss_fn(output)``, or sum(output * G) for a unit-variance Gaussian G drawn from
    ``key``, so that the model's output gets a unit-variance gradient."""
    if loss_fn is not None:
        loss = loss_fn(output)
        if not isinstance(loss, torch.Tensor) or loss.numel() != 1:
            raise ValueError(f"loss_fn must return a scalar tensor, got {_described(loss)}")
        return loss.reshape(())
    tensor = measured_output(output)
    if tensor is None:
        raise TypeError(
            f"the model returned {_described(output)}, with no float tensor in it; pass loss_fn "
            "to turn its output into a scalar loss"
        )
    dtype = np.float64 if tensor.dtype == torch.float64 else np.float32
    g = torch.from_numpy(normal(tuple(tensor.shape), seed=key, dtype=dtype))
    return (tensor * g.to(device=tensor.device, dtype=tensor.dtype)).sum()


def _described(value):
    if isinstance(value, torch.Tensor):
        return f"a tensor of shape {tuple(value.shape)} and dtype {value.dtype}"
    return f"a {type(value).__name__}"


def _run(model, inputs, loss_fn, key, rows):
    """One forward and backward pass; the hooks record everything into ``rows``. Returns
    whether the forward called a ReLU-like activation."""
    with Activations() as activations:
        output = model(*inputs)
    # modules that run again in the backward pass (activation checkpointing recomputes them)
    # make no rows: their outputs there are copies of the ones measured
    rows.recording = False
    loss = _loss(output, loss_fn, key)
    if not loss.requires_grad:
        source = "the model's output" if loss_fn is None else "the loss that loss_fn returns"
        raise ValueError(
            f"{source} does not depend on the model's parameters (is the output detached?)"
        )
    leaves = [p for p in model.parameters() if p.requires_grad]
    torch.autograd.grad(loss, leaves, allow_unused=True)
    return activations.relu_like


def _reference_variance(inputs, rows):
    """q0: the mean square of the first float input, or of the first row when the inputs are
    token ids (an embedding's scale is the model's own choice, not a failure)."""
    for tensor in inputs:
        if tensor.is_floating_point():
            width = int(tensor.shape[-1]) if tensor.dim() else 1
            return mean_square(tensor), width
    return rows.forward[0], 0


def _weights_sigma_w2(modules, input_widths):
    """fan_in * mean(W^2) averaged over the weights of the distinct Linear, Conv, attention and
    other matrix layers among ``modules`` (called on inputs of ``input_widths`` features); None
    without any."""
    values = [
        mean_square(weight) * fan_in
        for module, width in dict(zip(modules, input_widths, strict=True)).items()
        for weight, fan_in in _layer_weights(module, width)
        if weight.numel()
    ]
    return float(np.mean(values)) if values else None


def _layer_weights(module, input_width):
    """(weight, fan_in) of each weight of a layer: a Linear's or Conv's (torch's (out, in,
    *kernel) layout), an attention's input projections (packed or separate) and output
    projection (never called as a module), or the 2-D ``weight`` of any other layer, whose fan
    in is the width of its input (Hugging Face's ``Conv1D`` holds its weight as (in, out))."""
    if isinstance(module, _WEIGHT_LAYERS):
        return [(module.weight, module.weight[0].numel())]
    if isinstance(module, nn.MultiheadAttention):
        names = ("in_proj_weight", "q_proj_weight", "k_proj_weight", "v_proj_weight")
        found = [getattr(module, name) for name in names]
        weights = [w for w in found if w is not None] + [module.out_proj.weight]
        return [(w, w.shape[1]) for w in weights]
    weight = matrix_weight(module)
    if weight is not None and input_width in weight.shape:
        return [(weight, input_width)]
    return []


def matrix_weight(module):
    """The 2-D ``weight`` parameter of a layer that is not a lookup table (an embedding), in
    whatever layout; None for any other module."""
    weight = getattr(module, "weight", None)
    if (
        isinstance(weight, nn.Parameter)
        and weight.dim() == 2
        and not isinstance(module, (nn.Embedding, nn.EmbeddingBag))
    ):
        return weight
    return None


def _remedy(relu_like, verdict, sigma_w2):
    """(scheme, gain): kaiming_normal for a network with ReLU-like activations, xavier_normal
    otherwise, and the gain that brings the weights' sigma_w2 to that scheme's on square layers
    (2 or 1, the critical values of ReLU and of tanh or linear networks)."""
    if verdict == "stable":
        return None, 1.0
    scheme, target = ("kaiming_normal", 2.0) if relu_like else ("xavier_normal", 1.0)
    gain = 1.0 if sigma_w2 is None else math.sqrt(target / sigma_w2) if sigma_w2 > 0 else math.inf
    return scheme, gain


def diagnose(model, batch, *, loss_fn=None, seed=None, band=HEALTHY_BAND, batch_first=True,
             train=None, blocks="auto"):  # fmt: skip
    """Measure how signal and gradient variance travel through a real model, module by module.

    One forward and one backward pass of ``batch`` through ``model``, with a forward hook on
    every module that owns parameters (Linear, Conv*, Embedding, norms, MultiheadAttention, ...)
    and on every residual block of ``blocks``. Each call of such a module that returns a float
    tensor (alone, or first among the items of a tuple or list or the values of a dict) is a
    row, in the order the outputs are produced (a module called again gets another row,
    ``"name#2"``); a hook on that tensor receives its gradient. Per row:

    * the **forward variance**, mean(y^2) of the module's output y, as the module returned it
      (before any in-place change the forward makes to it later);
    * the **gradient variance**, mean(g^2) of the loss gradient g with respect to y (0 where the
      loss does not depend on y);
    * the **correlation**: for a 3-D (batch, tokens, features) output, the mean pairwise cosine
      similarity between the tokens of one sequence, averaged over the batch (it rising toward
      1 with depth is the rank collapse of attention stacks); for any other output
      ((batch, features), and convolution or batch-norm maps, each sample flattened), between
      the samples of the batch.

    The verdict reads the forward variance relative to q0 (the mean square of the first float
    input, or of the first row for token ids) from the input on, then the gradient variance
    relative to the last row's from the output back, against ``band``, as
    :func:`fastinit.propagation.diagnose` does. In a model with residual blocks it reads the
    blocks' own rows only: the forward variance relative to the mean square of the stream
    entering the first block, the gradient variance relative to the last block's. Rows inside
    a block are branches of a residual sum (an attention branch is meant to be small beside the
    stream it is added to), and the rows around the stack (embeddings, a final norm, the head)
    have scales of their own: the table shows the flags of all these in parentheses.

    The model is left exactly as it was, when the call returns or raises: parameters, ``.grad``
    fields (gradients come from ``torch.autograd.grad``), buffers, training modes and
    requires_grad flags, and no hook stays behind.

    Parameters
    ----------
    model : torch.nn.Module
    batch : torch.Tensor or tuple of torch.Tensor
        The model's positional arguments: ``model(*batch)``.
    loss_fn : callable, optional
        ``loss_fn(output) -> scalar tensor``. By default the loss is sum(output * G) with G a
        fixed unit-variance Gaussian drawn from ``seed``, so that the output's gradient has unit
        variance, as in :func:`fastinit.propagation.simulate`. A tuple, list or dict output
        counts by its first float tensor (a causal language model's logits).
    seed : None, int, SeedSequence, Generator or fastinit.random.Key
        For G; ``None`` draws the key from torch's default generator (``torch.manual_seed``
        makes runs repeat).
    band : (float, float), default (0.1, 10.0)
        Healthy range of the variance ratios.
    batch_first : bool, default True
        Whether 3-D outputs are (batch, tokens, features), or (tokens, batch, features).
    train : bool, optional
        Run in training (True) or evaluation (False) mode; by default as the model is.
    blocks : "auto" or tuple of nn.Module subclasses, default "auto"
        The residual blocks, which get a row of their own besides their layers: the instances
        of the classes given; by default torch's transformer encoder and decoder layers and
        every item of an ``nn.ModuleList`` or ``nn.Sequential`` that shares its class with
        another item there and holds parameters only in its submodules (a transformer's
        layers, a ResNet stage's blocks). ``()`` declares none.

    Returns
    -------
    Diagnosis
        ``.verdict``, ``.failing_layer`` (1-based row) and ``.failing_module`` (its name),
        ``.direction``, ``.names``, ``.branch``, ``.block``, ``.deciding``, ``.correlation``,
        ``.sigma_w2`` (fan_in * mean(W^2) of the Linear, Conv and attention layers, and of any
        other layer's 2-D weight with its input's width as fan_in), ``.remedy``
        (``"kaiming_normal"`` when the forward pass calls a ReLU-like activation: ReLU, leaky
        ReLU, GELU, SiLU, ..., as a module, a function or a tensor method; else
        ``"xavier_normal"``; None when stable),
        ``.suggested_gain`` (what brings sigma_w2 to the remedy's: 2 or 1; 1 when stable),
        ``.simulation.forward_var`` and ``.grad_var`` (shape (1, rows)), ``.table()``,
        ``.plot(path)``.

    Examples
    --------
    >>> import torch, fastinit.torch as ft
    >>> _ = torch.manual_seed(0)
    >>> layers = [m for _ in range(10) for m in (torch.nn.Linear(64, 64), torch.nn.ReLU())]
    >>> net = torch.nn.Sequential(*layers)
    >>> d = ft.diagnose(net, torch.randn(128, 64), seed=0)
    >>> d.verdict, d.failing_module, d.remedy, round(d.suggested_gain, 1)
    ('vanishing', '2', 'kaiming_normal', 2.5)
    """
    check_model(model)
    inputs = batch_tuple(batch)
    if loss_fn is not None and not callable(loss_fn):
        raise TypeError(f"loss_fn must be a callable or None, got {type(loss_fn).__name__}")
    band = check_band(band)
    batch_first = _checks.flag(batch_first, "batch_first")
    if train is not None:
        train = _checks.flag(train, "train")
    blocks = _block_types(blocks)
    _random._check_seed(seed)  # also when loss_fn leaves it unused: junk is not ignored
    block_names = _block_names(model, blocks)
    modules = _measured_modules(model, block_names)
    rows = Rows(batch_first, block_names)
    with ExitStack() as stack:
        # a Generator seed is drawn from below: a call that fails puts it back as it was
        stack.enter_context(seed_restored_on_error(seed))
        key = resolve_key(seed) if loss_fn is None else None
        stack.enter_context(buffers_restored(model))
        stack.enter_context(_measurable(model, train))
        stack.enter_context(hooked(modules, rows))
        stack.enter_context(torch.enable_grad())
        relu_like = _run(model, inputs, loss_fn, key, rows)
        if not rows.names:
            raise ValueError(
                f"none of the modules with parameters of model ({type(model).__name__}) "
                "returned a float tensor when called on batch"
            )
    return _diagnosis(model, inputs, rows, band, relu_like)


def _block_types(blocks):
    if isinstance(blocks, str) and blocks == "auto":
        return blocks
    if isinstance(blocks, type):
        blocks = (blocks,)
    if not isinstance(blocks, tuple) or not all(
        isinstance(b, type) and issubclass(b, nn.Module) for b in blocks
    ):
        raise TypeError(f"blocks must be 'auto' or a tuple of nn.Module subclasses, got {blocks!r}")
    return blocks


def _diagnosis(model, inputs, rows, band, relu_like):
    q0, input_width = _reference_variance(inputs, rows)
    deciding = deciding_rows(len(rows.names), rows.branch, rows.block)
    if any(rows.block):  # the stream is measured from where it enters the stack
        first = rows.block.index(True)
        q0 = rows.forward[first] if rows.stream_input is None else rows.stream_input
    forward = np.array([rows.forward])
    sim = SimulationResult(
        forward, np.array([rows.grad]), np.full_like(forward, np.nan),
        (input_width, *rows.widths), type(model).__name__, q0,
    )  # fmt: skip
    forward_ratio, backward_ratio = (
        np.where(deciding, r, 1.0) for r in variance_ratios(sim, deciding)
    )
    verdict, layer, direction = locate_failure(forward_ratio, backward_ratio, band)
    sigma_w2 = _weights_sigma_w2(rows.modules, rows.input_widths)
    scheme, gain = _remedy(relu_like, verdict, sigma_w2)
    return Diagnosis(
        verdict, layer, direction, gain, sigma_w2, None, band, sim, None, tuple(rows.names),
        np.array(rows.correlation), scheme, tuple(rows.branch), tuple(rows.block),
    )  # fmt: skip
