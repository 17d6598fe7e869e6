"""Filling one torch tensor from a fastinit initializer: the checks and the two routes.

CPU tensors of a dtype NumPy has (float16/32/64) are filled in place through a NumPy view of
their memory, whatever their strides. Every other tensor (bfloat16, or on another device) is
drawn on the host as a NumPy array and copied in with ``Tensor.copy_``, which rounds float32 to
bfloat16 to nearest even. Both routes draw the same host values, so a tensor gets the same bits
on every device.
"""

import inspect

import numpy as np
import torch

from .. import init as _init
from .. import random as _random

# torch dtype -> the NumPy dtype the host draws in (bfloat16: float32, rounded by copy_)
_HOST_DTYPE = {
    torch.float16: np.float16,
    torch.float32: np.float32,
    torch.float64: np.float64,
    torch.bfloat16: np.float32,
}
_NUMPY_DTYPES = (torch.float16, torch.float32, torch.float64)

# every initializer of fastinit.init, by name; the deterministic ones take no seed
SCHEMES = {
    name: getattr(_init, name)
    for name in (
        "constant", "zeros", "ones", "eye", "dirac", "uniform", "normal", "trunc_normal",
        "xavier_uniform", "xavier_normal", "kaiming_uniform", "kaiming_normal",
        "lecun_uniform", "lecun_normal", "variance_scaling", "orthogonal",
        "special_orthogonal", "sparse",
    )
}  # fmt: skip
# each initializer's keyword arguments, read once
_ACCEPTED = {name: frozenset(inspect.signature(f).parameters) for name, f in SCHEMES.items()}
_SEEDED = {name for name in SCHEMES if "seed" in _ACCEPTED[name]}
_FAN_BASED = {
    "xavier_uniform", "xavier_normal", "kaiming_uniform", "kaiming_normal", "lecun_uniform",
    "lecun_normal", "variance_scaling",
}  # fmt: skip
# schemes that draw any box of a tensor alone (region=); constants need no box, and an
# orthogonal matrix, eye and dirac have no shards that can be computed alone
_BOXED = {name for name in SCHEMES if "region" in _ACCEPTED[name]}
SHARDABLE = _BOXED | {"constant", "zeros", "ones"}
# arguments init_ decides itself
_RESERVED = ("shape", "dtype", "out", "seed", "region")


def scheme_function(scheme, name="scheme"):
    """The fastinit initializer called ``scheme`` (torch's trailing underscore allowed)."""
    if not isinstance(scheme, str):
        raise TypeError(f"{name} must be an initializer name (a str), got {type(scheme).__name__}")
    base = scheme.removesuffix("_")
    if base not in SCHEMES:
        raise ValueError(f"{name}={scheme!r} is not an initializer; choose from {sorted(SCHEMES)}")
    return base


def check_kwargs(scheme, kwargs):
    """Refuse the arguments ``init_`` sets itself and those the initializer does not take."""
    reserved = [k for k in kwargs if k in _RESERVED]
    if reserved:
        raise TypeError(
            f"init_ sets {', '.join(reserved)} itself (from the tensor and seed=); "
            f"do not pass {reserved[0]!r}"
        )
    unknown = [k for k in kwargs if k not in _ACCEPTED[scheme]]
    if unknown:
        raise TypeError(f"{scheme} got an unexpected keyword argument {unknown[0]!r}")


def check_tensor(tensor, name="tensor", *, allow_meta=False):
    """Refuse what cannot be initialized: non-tensors, meta tensors (unless ``allow_meta``),
    sparse and non-float tensors, and views whose elements share memory (torch refuses to write
    those too)."""
    if not isinstance(tensor, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(tensor).__name__}")
    if tensor.is_meta and not allow_meta:
        raise ValueError(
            f"{name} is on the meta device and has no memory to fill; allocate it first, or "
            "build the module on meta and use fastinit.torch.materialize_module_"
        )
    if tensor.layout != torch.strided:
        raise TypeError(f"{name} must be a dense (strided) tensor, got layout {tensor.layout}")
    if tensor.dtype not in _HOST_DTYPE:
        raise TypeError(
            f"{name} must be a float16, bfloat16, float32 or float64 tensor, got {tensor.dtype}"
        )
    if any(step == 0 and n > 1 for n, step in zip(tensor.shape, tensor.stride(), strict=True)):
        raise ValueError(
            f"{name} has a zero stride (an expanded view: several elements share memory)"
        )


def check_scheme_for(tensor, scheme, name="tensor"):
    """Refuse a fan-based scheme for a tensor of fewer than 2 dimensions, naming the fix."""
    if scheme in _FAN_BASED and tensor.dim() < 2:
        raise ValueError(
            f"{scheme} computes fans from a weight of 2 or more dimensions; {name} has shape "
            f"{tuple(tensor.shape)}. For a bias use 'uniform' with the bound of its weight "
            "(torch's rule: 1/sqrt(fan_in)), or init_module_ for whole layers"
        )


def rehearse(tensor, scheme, kwargs):
    """Call the initializer on a stand-in of the tensor, so that a bad argument is refused
    before any tensor is written: one element per axis, except for eye and dirac, whose checks
    (groups dividing the channels) need the tensor's own shape."""
    if scheme in ("eye", "dirac"):
        stand_in = tuple(tensor.shape)
    else:
        stand_in = (1,) * max(tensor.dim(), 2 if scheme in _FAN_BASED else 0)
    seeded = {"seed": 0} if scheme in _SEEDED else {}
    SCHEMES[scheme](stand_in, **kwargs, **seeded, dtype=_HOST_DTYPE[tensor.dtype])


def key_from_torch():
    """A fastinit key drawn from torch's default generator, so torch.manual_seed repeats it."""
    draw = torch.randint(0, 2**63 - 1, (), dtype=torch.int64)
    return _random.key(int(draw))


def resolve_key(seed):
    """``seed`` as a fastinit Key; ``None`` draws one from torch's default generator."""
    return key_from_torch() if seed is None else _random.key(seed)


def fill(tensor, scheme, kwargs, key, whole=None, region=None):
    """Draw ``scheme(**kwargs)`` for ``key`` into the (checked) ``tensor`` in place, or, with
    ``region``, that box of a tensor of shape ``whole``; zero-element tensors are left as they
    are."""
    if tensor.numel() == 0:
        return tensor
    function = SCHEMES[scheme]
    options = dict(kwargs)
    if scheme in _SEEDED:
        options["seed"] = key
    if region is not None and scheme in _BOXED:
        options["region"] = region
        shape = whole
    else:
        shape = tuple(tensor.shape)
    with torch.no_grad():
        if tensor.device.type == "cpu" and tensor.dtype in _NUMPY_DTYPES:
            function(shape, **options, out=tensor.detach().numpy())
        else:
            host = function(shape, **options, dtype=_HOST_DTYPE[tensor.dtype])
            tensor.copy_(torch.from_numpy(host))
    return tensor
