"""diagnose(): one forward and backward pass of a real nn.Module, measured module by module.

Forward hooks read each module's output and put a hook on that output tensor, which autograd
calls with the gradient of the loss with respect to it. A tensor hook, unlike a module's full
backward hook, wraps nothing: a forward may modify the output in place afterwards (the hook
still gets the gradient of the value the module returned), and outputs inside a list or a dict
are followed as well as tensors and tuples. Everything the call changes to make that possible
(requires_grad flags, the training mode when asked, buffers such as BatchNorm's running
statistics, the hooks themselves) is put back when it returns or raises; gradients are taken
with ``torch.autograd.grad``, so no ``.grad`` field is ever written.
"""

import math
from collections.abc import Mapping
from contextlib import ExitStack, contextmanager

import numpy as np
import torch
from torch import nn
from torch.overrides import TorchFunctionMode

from .. import _checks
from .. import random as _random
from ..config import HEALTHY_BAND
from ..propagation._checks import seed_restored_on_error
from ..propagation._diagnosis import Diagnosis, check_band, locate_failure, variance_ratios
from ..propagation._simulation import SimulationResult
from ..random import normal
from ._tensors import resolve_key

# modules whose outputs hold features (channels) on axis 1, not on the last axis
_CHANNELS_FIRST = (nn.modules.conv._ConvNd, nn.modules.batchnorm._NormBase, nn.GroupNorm)
# layers whose weight has torch's (out, in, *kernel) layout and a fan_in
_WEIGHT_LAYERS = (nn.Linear, nn.modules.conv._ConvNd)
# residual blocks of torch that get a row of their own beside their layers
_TORCH_BLOCKS = (nn.TransformerEncoderLayer, nn.TransformerDecoderLayer)
# activations after which He (kaiming) initialization keeps the variance: ReLU and its smooth
# relatives, by the name of the torch function the forward pass calls, whether a module calls
# it (nn.ReLU, a Hugging Face GELU module), a custom forward (F.relu) or a tensor (x.relu())
_RELU_LIKE = frozenset((
    "relu", "relu_", "leaky_relu", "leaky_relu_", "rrelu", "rrelu_", "prelu", "elu", "elu_",
    "celu", "celu_", "gelu", "silu", "mish", "hardswish",
))  # fmt: skip


def check_model(model):
    """Refuse a ``model`` that is not an nn.Module."""
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    if type(model).forward is nn.Module.forward:  # a container: ModuleList, ModuleDict
        raise TypeError(f"model ({type(model).__name__}) has no forward method to call")


def batch_tuple(batch):
    """``batch`` (a tensor, or a tuple or list of them) as the tuple of the model's positional
    arguments; an empty tensor is refused (there is no sample to measure a variance on)."""
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


class _Rows:
    """Per measured module call, in forward order: the module, its name, whether it lies in a
    residual block, its features, the mean square of its output and of the output's gradient,
    and the output's correlation."""

    def __init__(self, batch_first, block_names):
        self.batch_first = batch_first
        self.block_prefixes = tuple(f"{name}." if name else "" for name in block_names)
        self.modules, self.names, self.branch, self.widths = [], [], [], []
        self.forward, self.grad, self.correlation = [], [], []
        self.calls = {}  # module -> how many times it ran
        self.tensor_hooks = []  # handles of the hooks on the outputs, removed after the pass

    def forward_hook(self, name):
        inside_block = any(name != p[:-1] and name.startswith(p) for p in self.block_prefixes)

        def record(module, args, output):
            tensor = _measured_output(output)
            if tensor is None:
                return
            calls = self.calls[module] = self.calls.get(module, 0) + 1
            self.modules.append(module)
            self.names.append(name if calls == 1 else f"{name}#{calls}")
            self.branch.append(inside_block)
            self.widths.append(_features(module, tensor))
            self.forward.append(_mean_square(tensor))
            self.correlation.append(_similarity(module, tensor, self.batch_first))
            # an output that never gets a gradient is one the loss does not depend on
            self.grad.append(0.0)
            if tensor.requires_grad:
                hook = tensor.register_hook(self._gradient_of(len(self.grad) - 1))
                self.tensor_hooks.append(hook)

        return record

    def _gradient_of(self, row):
        def store(gradient):
            self.grad[row] = _mean_square(gradient)

        return store


def _measured_output(output):
    """The float tensor (of at least one dimension) that a row describes: the output itself, or
    the first such tensor among a tuple's or list's items (MultiheadAttention's attention
    output) or a mapping's values (a model's dict of named outputs); None when there is none."""
    if isinstance(output, Mapping):
        items = output.values()
    elif isinstance(output, (tuple, list)):
        items = output
    else:
        items = (output,)
    for item in items:
        if isinstance(item, torch.Tensor) and item.is_floating_point() and item.dim() > 0:
            return item
    return None


def _features(module, tensor):
    axis = 1 if isinstance(module, _CHANNELS_FIRST) and tensor.dim() > 1 else -1
    return int(tensor.shape[axis])


def _mean_square(tensor):
    """mean(x^2) in float64: the variance of a zero-mean signal, and what theory calls q."""
    if tensor.numel() == 0:
        return math.nan
    with torch.no_grad():
        norm = torch.linalg.vector_norm(tensor.detach(), dtype=torch.float64)
    return float(norm) ** 2 / tensor.numel()


def _similarity(module, tensor, batch_first):
    """Mean pairwise cosine similarity: between the tokens of each sequence for a 3-D
    (batch, tokens, features) output, between whole samples for any other output."""
    with torch.no_grad():
        x = tensor.detach().to(torch.float64)
        if x.dim() == 3 and not isinstance(module, _CHANNELS_FIRST):
            groups = x if batch_first else x.transpose(0, 1)
        else:
            groups = x.reshape(1, x.shape[0], -1)  # one group whose items are the samples
        return mean_pairwise_cosine(groups)


def mean_pairwise_cosine(groups):
    """Over the groups of a (groups, n, d) tensor, the mean over the n(n - 1) ordered pairs of
    distinct items of their cosine similarity; a zero item counts as similar to nothing.

    |sum_i u_i|^2 = sum_ij u_i . u_j for the unit vectors u_i, so the pairs cost O(n d), not
    O(n^2 d).
    """
    n = groups.shape[1]
    if n < 2:
        return math.nan
    norms = torch.linalg.vector_norm(groups, dim=-1, keepdim=True)
    units = groups / norms.clamp_min(torch.finfo(groups.dtype).tiny)
    all_pairs = units.sum(dim=1).square().sum(dim=-1)
    self_pairs = units.square().sum(dim=(1, 2))
    return float(((all_pairs - self_pairs) / (n * (n - 1))).mean())


def _measured_modules(model, blocks):
    """(name, module) of every module that owns parameters, and of every residual block."""
    found = [
        (name, module)
        for name, module in model.named_modules()
        if isinstance(module, blocks) or next(module.parameters(recurse=False), None) is not None
    ]
    if not found:
        raise ValueError(f"model ({type(model).__name__}) has no module with parameters")
    return found


@contextmanager
def _hooked(modules, rows):
    """A forward hook on each of ``modules``, and the tensor hooks those put on the outputs,
    all removed on the way out (an output can outlive the pass: a parameter a module returns)."""
    handles = []
    try:
        for name, module in modules:
            handles.append(module.register_forward_hook(rows.forward_hook(name)))
        yield
    finally:
        for handle in handles + rows.tensor_hooks:
            handle.remove()


def _loss(output, loss_fn, key):
    """``loss_fn(output)``, or sum(output * G) for a unit-variance Gaussian G drawn from
    ``key``, so that the model's output gets a unit-variance gradient."""
    if loss_fn is not None:
        loss = loss_fn(output)
        if not isinstance(loss, torch.Tensor) or loss.numel() != 1:
            raise ValueError(f"loss_fn must return a scalar tensor, got {_described(loss)}")
        return loss.reshape(())
    tensor = _measured_output(output)
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


def _run(model, inputs, loss_fn, key):
    """One forward and backward pass; the hooks record everything. Returns whether the forward
    called a ReLU-like activation."""
    with _Activations() as activations:
        output = model(*inputs)
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
            return _mean_square(tensor), width
    return rows.forward[0], 0


def _weights_sigma_w2(modules):
    """fan_in * mean(W^2) averaged over the weights of the distinct Linear, Conv and attention
    layers among ``modules`` (torch's fan_in: W.shape[1] times the kernel size); None without
    any."""
    values = [
        _mean_square(weight) * weight[0].numel()
        for module in dict.fromkeys(modules)  # each layer once, in forward order
        for weight in _layer_weights(module)
        if weight.numel()
    ]
    return float(np.mean(values)) if values else None


def _layer_weights(module):
    """The (out, in, *kernel) weights of a layer: a Linear's or Conv's, or an attention's input
    projections (packed or separate) and output projection (never called as a module)."""
    if isinstance(module, _WEIGHT_LAYERS):
        return [module.weight]
    if isinstance(module, nn.MultiheadAttention):
        names = ("in_proj_weight", "q_proj_weight", "k_proj_weight", "v_proj_weight")
        found = [getattr(module, name) for name in names]
        return [w for w in found if w is not None] + [module.out_proj.weight]
    return []


class _Activations(TorchFunctionMode):
    """Sees every torch function the forward pass calls; ``relu_like`` tells whether one of them
    was a ReLU-like activation."""

    def __init__(self):
        super().__init__()
        self.relu_like = False

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        if not self.relu_like:
            self.relu_like = _is_relu_like(func, args, kwargs)
        return func(*args, **kwargs)


def _is_relu_like(func, args, kwargs):
    name = getattr(func, "__name__", "")
    if name == "hardtanh":  # nn.ReLU6 is hardtanh(x, 0, 6); nn.Hardtanh's own is tanh-like
        return kwargs.get("min_val", args[1] if len(args) > 1 else -1.0) == 0
    return name in _RELU_LIKE


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
             train=None, blocks=_TORCH_BLOCKS):  # fmt: skip
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
    :func:`fastinit.propagation.diagnose` does. Rows inside a block are branches of a residual
    sum (an attention branch is meant to be small beside the stream it is added to): the table
    shows their flags in parentheses, and the verdict reads the block's row instead.

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
    blocks : tuple of nn.Module subclasses
        Modules that get a row of their own besides their layers, such as residual blocks;
        torch's transformer encoder and decoder layers by default.

    Returns
    -------
    Diagnosis
        ``.verdict``, ``.failing_layer`` (1-based row) and ``.failing_module`` (its name),
        ``.direction``, ``.names``, ``.branch``, ``.correlation``, ``.sigma_w2`` (fan_in *
        mean(W^2) of the Linear, Conv and attention layers), ``.remedy``
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
    modules = _measured_modules(model, blocks)
    rows = _Rows(batch_first, [name for name, module in modules if isinstance(module, blocks)])
    with ExitStack() as stack:
        # a Generator seed is drawn from below: a call that fails puts it back as it was
        stack.enter_context(seed_restored_on_error(seed))
        key = resolve_key(seed) if loss_fn is None else None
        stack.enter_context(buffers_restored(model))
        stack.enter_context(_measurable(model, train))
        stack.enter_context(_hooked(modules, rows))
        stack.enter_context(torch.enable_grad())
        relu_like = _run(model, inputs, loss_fn, key)
        if not rows.names:
            raise ValueError(
                f"none of the modules with parameters of model ({type(model).__name__}) "
                "returned a float tensor when called on batch"
            )
    return _diagnosis(model, inputs, rows, band, relu_like)


def _block_types(blocks):
    if isinstance(blocks, type):
        blocks = (blocks,)
    if not isinstance(blocks, tuple) or not all(
        isinstance(b, type) and issubclass(b, nn.Module) for b in blocks
    ):
        raise TypeError(f"blocks must be a tuple of nn.Module subclasses, got {blocks!r}")
    return blocks


def _diagnosis(model, inputs, rows, band, relu_like):
    q0, input_width = _reference_variance(inputs, rows)
    forward = np.array([rows.forward])
    sim = SimulationResult(
        forward, np.array([rows.grad]), np.full_like(forward, np.nan),
        (input_width, *rows.widths), type(model).__name__, q0,
    )  # fmt: skip
    # rows inside a residual block are branches: the block's own row speaks for the stream
    branch = np.array(rows.branch)
    forward_ratio, backward_ratio = (np.where(branch, 1.0, r) for r in variance_ratios(sim))
    verdict, layer, direction = locate_failure(forward_ratio, backward_ratio, band)
    sigma_w2 = _weights_sigma_w2(rows.modules)
    scheme, gain = _remedy(relu_like, verdict, sigma_w2)
    return Diagnosis(
        verdict, layer, direction, gain, sigma_w2, None, band, sim, None, tuple(rows.names),
        np.array(rows.correlation), scheme, tuple(rows.branch),
    )  # fmt: skip
