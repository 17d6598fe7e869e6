"""What diagnose() reads during its pass: one row per measured module call.

A forward hook reads each measured module's output and puts a hook on that output tensor, which
autograd calls with the gradient of the loss with respect to it. A tensor hook, unlike a
module's full backward hook, wraps nothing: a forward may modify the output in place afterwards
(the hook still gets the gradient of the value the module returned), and outputs inside a list
or a dict are followed as well as tensors and tuples. A torch function mode sees which
activations the pass calls, whoever calls them, and a global module hook which activation
modules it calls.
"""

import math
import re
from collections.abc import Mapping
from contextlib import contextmanager

import torch
from torch import nn
from torch.nn.modules.module import register_module_forward_pre_hook
from torch.overrides import TorchFunctionMode

# modules whose outputs hold features (channels) on axis 1, not on the last axis
_CHANNELS_FIRST = (nn.modules.conv._ConvNd, nn.modules.batchnorm._NormBase, nn.GroupNorm)
# activations after which He (kaiming) initialization keeps the variance: ReLU and its smooth
# relatives, by the name of the torch function the forward pass calls, whether a module calls
# it (nn.ReLU, a Hugging Face GELU module), a custom forward (F.relu) or a tensor (x.relu())
_RELU_LIKE = frozenset((
    "relu", "relu_", "leaky_relu", "leaky_relu_", "rrelu", "rrelu_", "prelu", "elu", "elu_",
    "celu", "celu_", "gelu", "silu", "mish", "hardswish",
))  # fmt: skip


class Rows:
    """Per measured module call, in forward order: the module, its name, whether it is a
    residual block or lies inside one, its features and its input's, the mean square of its
    output and of the output's gradient, and the output's correlation; and the mean square of
    the first block's input (the residual stream entering the stack)."""

    def __init__(self, batch_first, block_names):
        self.batch_first = batch_first
        self.block_names = frozenset(block_names)
        self.block_prefixes = tuple(f"{name}." if name else "" for name in block_names)
        self.modules, self.names, self.branch, self.block, self.widths = [], [], [], [], []
        self.input_widths = []  # the last axis of the first float input, None without one
        self.forward, self.grad, self.correlation = [], [], []
        self.stream_input = None
        self.recording = True  # turned off when the forward pass is over
        self.calls = {}  # module -> how many times it ran
        self.tensor_hooks = []  # handles of the hooks on the outputs, removed after the pass

    def forward_hook(self, name):
        is_block = name in self.block_names
        inside_block = any(name != p[:-1] and name.startswith(p) for p in self.block_prefixes)

        def record(module, args, kwargs, output):
            tensor = measured_output(output)
            if tensor is None or not self.recording:
                return
            entering = measured_output((*args, *kwargs.values()))
            if is_block and self.stream_input is None and entering is not None:
                self.stream_input = mean_square(entering)
            calls = self.calls[module] = self.calls.get(module, 0) + 1
            self.modules.append(module)
            self.names.append(name if calls == 1 else f"{name}#{calls}")
            self.branch.append(inside_block)
            self.block.append(is_block)
            self.widths.append(_features(module, tensor))
            self.input_widths.append(None if entering is None else int(entering.shape[-1]))
            self.forward.append(mean_square(tensor))
            self.correlation.append(_similarity(module, tensor, self.batch_first))
            # an output that never gets a gradient is one the loss does not depend on
            self.grad.append(0.0)
            if tensor.requires_grad:
                hook = tensor.register_hook(self._gradient_of(len(self.grad) - 1))
                self.tensor_hooks.append(hook)

        return record

    def _gradient_of(self, row):
        def store(gradient):
            self.grad[row] = mean_square(gradient)

        return store


@contextmanager
def hooked(modules, rows):
    """A forward hook on each of the (name, module) pairs ``modules``, and the tensor hooks
    those put on the outputs, all removed on the way out (an output can outlive the pass: a
    parameter a module returns)."""
    handles = []
    try:
        for name, module in modules:
            handles.append(module.register_forward_hook(rows.forward_hook(name), with_kwargs=True))
        yield
    finally:
        for handle in handles + rows.tensor_hooks:
            handle.remove()


def measured_output(output):
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


def mean_square(tensor):
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


# activation modules that compute a ReLU relative from other functions, known by their class
# name (and by holding no parameters, unlike a model called "ReLUNet"): Hugging Face's
# NewGELUActivation (GPT-2's gelu_new) is written with tanh, QuickGELU with a sigmoid.
# Case-sensitive, so that "SELU" or "ModelUtils" do not match.
_RELU_LIKE_MODULE = re.compile(r"GELU|GeLU|Gelu|SiLU|Silu|Swish|Mish|ReLU|Relu")


class Activations(TorchFunctionMode):
    """Sees every torch function and every module the forward pass calls; ``relu_like`` tells
    whether one of them was a ReLU-like activation."""

    def __init__(self):
        super().__init__()
        self.relu_like = False
        self._modules = None

    def __enter__(self):
        self._modules = register_module_forward_pre_hook(self._module_called)
        return super().__enter__()

    def __exit__(self, *exc):
        self._modules.remove()
        return super().__exit__(*exc)

    def _module_called(self, module, inputs):
        if not self.relu_like and _RELU_LIKE_MODULE.search(type(module).__name__):
            self.relu_like = next(module.parameters(), None) is None

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
