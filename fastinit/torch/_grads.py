"""Torch tensors described to fastinit's clipping kernels, zero-copy, and the argument checks that
``fastinit.torch``'s clipping functions share.

A CPU tensor with a strided layout is a data pointer, a dtype, a shape and strides in elements:
the same facts a NumPy array gives. :func:`describe` writes them into the raw rows of the array
table (``kernels/array_table.py``), so the kernels read and write the tensors' own memory, as
they do NumPy views. bfloat16, which NumPy cannot view, becomes the table's own BF16 kind.

Tensors the kernels cannot take are sorted here too: a tensor on another device, a complex one,
a tensor subclass (its storage may not be what it seems) is *foreign*, and the functions with a
torch twin hand the whole call to it; a sparse tensor, an integer or bool tensor, a non-tensor
is refused with an error naming it.
"""

import functools
import types
import warnings

import numpy as np
import torch

from .. import _arrays, _checks, clip

_PLAIN = (torch.Tensor, torch.nn.Parameter)
_FLOATS = frozenset((torch.float16, torch.bfloat16, torch.float32, torch.float64))


@functools.cache
def _kinds():
    """torch dtype -> the array table's dtype kind (loaded with the kernels, on first use)."""
    from ..kernels import array_table as k

    return {
        torch.float16: k.F16,
        torch.float32: k.F32,
        torch.float64: k.F64,
        torch.bfloat16: k.BF16,
    }


def as_list(tensors, name, *, warn_empty_generator=False):
    """``tensors`` (one tensor, or any iterable, generators included) as a list."""
    if isinstance(tensors, torch.Tensor):
        return [tensors]
    if isinstance(tensors, (str, bytes)) or not hasattr(tensors, "__iter__"):
        raise TypeError(
            f"{name} must be a tensor or an iterable of tensors, got {type(tensors).__name__}"
        )
    generator = isinstance(tensors, types.GeneratorType)
    items = list(tensors)
    if warn_empty_generator and generator and not items:
        # torch warns here: an exhausted net.parameters() generator is a common mistake
        warnings.warn(
            f"`{name}` is an empty generator, no gradient clipping will occur.", stacklevel=3
        )
    return items


def foreign(t):
    """Whether the kernels cannot take tensor ``t`` (a float tensor): another device than the
    CPU, a complex dtype, a tensor subclass, or a lazily negated or conjugated view."""
    return (
        type(t) not in _PLAIN
        or t.device.type != "cpu"
        or t.dtype not in _FLOATS
        or t.is_neg()
        or t.is_conj()
    )


def check_tensor(t, label):
    """Refuse what neither fastinit nor torch can clip: non-tensors, non-float dtypes, sparse
    (or other non-strided) layouts. Returns ``t``."""
    if not isinstance(t, torch.Tensor):
        raise TypeError(f"{label} must be a torch.Tensor, got {type(t).__name__}")
    if not (t.is_floating_point() or t.is_complex()):
        raise TypeError(
            f"{label} has dtype {t.dtype}; clipping needs a floating-point tensor "
            "(float16, bfloat16, float32 or float64)"
        )
    if t.layout != torch.strided:
        raise TypeError(
            f"{label} has layout {t.layout}; fastinit.torch clips dense (strided) tensors only, "
            "and torch.nn.utils cannot clip a sparse gradient either: convert it with "
            ".to_dense(), or leave that parameter out"
        )
    return t


def check_cpu(t, label, what):
    """Refuse a tensor the kernels cannot take, for the functions that have no torch twin."""
    if foreign(t):
        where = "" if t.device.type == "cpu" else f" on {t.device}"
        raise TypeError(
            f"{label} is a {type(t).__name__} of dtype {t.dtype}{where}; {what} works on CPU "
            "tensors of dtype float16, bfloat16, float32 or float64"
        )
    return t


def grads_of(params, name):
    """(grads, labels) of the items of ``params`` whose ``.grad`` is set, each checked."""
    grads, labels = [], []
    for i, param in enumerate(params):
        if not isinstance(param, torch.Tensor):
            raise TypeError(
                f"{name}[{i}] must be a torch.Tensor (a parameter), got {type(param).__name__}"
            )
        g = param.grad
        if g is not None:
            labels.append(f"{name}[{i}].grad")
            grads.append(check_tensor(g, labels[-1]))
    return grads, labels


def describe(tensors, write, labels):
    """The array table of CPU ``tensors`` (float16/bfloat16/float32/float64, strided), as
    ``fastinit._arrays.from_raw`` checks it; their memory is described, never copied."""
    from ..kernels import array_table as k

    kinds = _kinds()
    rows, dims, strides = [], [], []
    flags = k.FLAG_WRITEABLE | k.FLAG_ALIGNED
    for t in tensors:
        size = t.element_size()
        address = t.data_ptr()
        rows.append((address, kinds[t.dtype], t.dim(), len(dims),
                     flags if address % size == 0 else k.FLAG_WRITEABLE, 0))  # fmt: skip
        dims.extend(t.shape)
        strides.extend(step * size for step in t.stride())
    return _arrays.from_raw(
        np.array(rows, np.int64).reshape(-1, 6), np.array(dims, np.int64),
        np.array(strides, np.int64), write, labels.__getitem__,
        lambda i: tensors[i].dtype,
    )  # fmt: skip


def as_float64(tensors):
    """NumPy float64 copies of ``tensors`` (for the rare norms beyond float64's range)."""
    return [t.detach().to(torch.float64).numpy() for t in tensors]


def result(total, tensors):
    """The total norm as torch returns it: a 0-d CPU tensor of the tensors' promoted dtype
    (torch's default dtype when there are none)."""
    if not tensors:
        return torch.tensor(total)
    dtype = functools.reduce(torch.promote_types, (t.dtype for t in tensors))
    return torch.tensor(total, dtype=torch.float64).to(dtype)


def modified(tensors):
    """Tell autograd that ``tensors`` were written in place (as torch's own in-place ops do),
    so a graph that saved one of them refuses to use the stale value."""
    if tensors:
        torch.autograd.graph.increment_version(tensors)


def norm_kind(norm_type):
    """(kernel kind, p) of torch's ``norm_type``: a real number > 0, inf, or a string that
    ``float`` reads (``'inf'``)."""
    if type(norm_type) is float and norm_type == 2.0:
        return clip._norm_kind(norm_type)
    if isinstance(norm_type, str):
        try:
            value = float(norm_type)
        except ValueError:
            raise ValueError(
                f"norm_type must be a number > 0 or 'inf', got {norm_type!r}"
            ) from None
    elif _checks.is_real_number(norm_type):
        value = float(norm_type)
    else:
        raise TypeError(
            f"norm_type must be a float or 'inf', got {type(norm_type).__name__} {norm_type!r}"
        )
    if not value > 0:  # NaN, 0, negative, -inf
        raise ValueError(
            f"norm_type must be > 0 or inf, got {value} (torch's order 0 counts the tensors "
            "with a nonzero element and negative orders are not norms: neither is supported)"
        )
    return clip._norm_kind(value)


def non_negative(value, name, *, torch_does):
    """``value`` as a float >= 0 (inf allowed), refusing what torch would silently accept."""
    x = _checks.real(value, name, finite=False)
    if x < 0:
        raise ValueError(f"{name} must be >= 0, got {x} ({torch_does})")
    return x


def positive(value, name):
    x = _checks.real(value, name)
    if x <= 0:
        raise ValueError(f"{name} must be > 0, got {x}")
    return x


def check_foreach(foreach):
    if foreach is not None and not isinstance(foreach, (bool, np.bool_)):
        raise TypeError(f"foreach must be None, True or False, got {foreach!r}")
    return foreach


def named_items(named_parameters, name):
    """[(name, tensor)] from a mapping or an iterable of (name, tensor) pairs."""
    if isinstance(named_parameters, dict) or hasattr(named_parameters, "items"):
        named_parameters = named_parameters.items()
    items = as_list(named_parameters, name)
    out = []
    for i, item in enumerate(items):
        if not (isinstance(item, tuple) and len(item) == 2 and isinstance(item[0], str)):
            raise TypeError(
                f"{name}[{i}] must be a (name, tensor) pair, as model.named_parameters() gives, "
                f"got {type(item).__name__}"
            )
        if not isinstance(item[1], torch.Tensor):
            raise TypeError(f"{name}[{i}] ({item[0]!r}) must hold a torch.Tensor, got "
                            f"{type(item[1]).__name__}")  # fmt: skip
        out.append(item)
    seen = set()
    for key, _ in out:
        if key in seen:
            raise ValueError(f"{name} holds the name {key!r} twice")
        seen.add(key)
    return out


def exclude_entries(exclude):
    """``exclude`` (one name or an iterable of names) as a list of str."""
    entries = [exclude] if isinstance(exclude, str) else as_list(exclude, "exclude")
    for i, entry in enumerate(entries):
        if not isinstance(entry, str):
            raise TypeError(f"exclude[{i}] must be a str, got {type(entry).__name__}")
    return entries


def excluded(entries, names):
    """Which of ``names`` an entry of ``entries`` covers: the name itself, or a module prefix of
    it (``"fc"`` covers ``"fc.weight"`` and ``"fc.bias"``, not ``"fc2.weight"``). An entry that
    covers no name is an error: a typo would otherwise leave that layer clipped, silently."""

    def covers(entry, name):
        return name == entry or name.startswith(entry + ".")

    unmatched = [e for e in entries if not any(covers(e, n) for n in names)]
    if unmatched:
        raise ValueError(
            f"exclude entries {unmatched} match no parameter name (an entry is a full name, such "
            "as 'fc.weight', or a module prefix, such as 'fc')"
        )
    return [any(covers(e, n) for e in entries) for n in names]
