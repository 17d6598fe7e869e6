"""PyTorch adapter: initialize tensors and whole modules, clip and inspect gradients, in place.

``import fastinit.torch`` is cheap: PyTorch and the kernels load on the first use of a function
(install the extra with ``pip install "fastinit[torch]"``).

Initialization (``init_``, ``init_module_``, ``materialize_module_``) draws on the host from
fastinit's counter-based streams, so values are the same on every thread count and device.
Clipping (``clip_grad_norm_``, ``clip_grad_value_``, ``get_total_norm``, ``adaptive_clip_``) and
``grad_stats`` take torch's arguments and work over CPU ``.grad`` tensors. ``diagnose`` measures
how variance and correlation travel through a real model in one forward and backward pass, and
``lsuv_`` rescales its layers to unit output variance (LSUV).
"""

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # for type checkers and the API reference; at run time, see __getattr__
    from ._clip import (
        GradStats,
        adaptive_clip_,
        clip_grad_norm_,
        clip_grad_value_,
        get_total_norm,
        grad_stats,
    )
    from ._diagnose import diagnose
    from ._init import init_, init_module_, init_shard_, materialize_module_
    from ._lsuv import LSUVLayer, lsuv_

# public name -> private submodule that defines it (loaded on first attribute access, PEP 562)
_EXPORTS = {
    "_init": ("init_", "init_module_", "materialize_module_", "init_shard_"),
    "_clip": (
        "clip_grad_norm_", "clip_grad_value_", "get_total_norm", "adaptive_clip_", "grad_stats",
        "GradStats",
    ),
    "_diagnose": ("diagnose",),
    "_lsuv": ("lsuv_", "LSUVLayer"),
}  # fmt: skip
_WHERE = {name: module for module, names in _EXPORTS.items() for name in names}
__all__ = [
    "init_", "init_module_", "materialize_module_", "init_shard_", "clip_grad_norm_",
    "clip_grad_value_", "get_total_norm", "adaptive_clip_", "grad_stats", "GradStats", "diagnose",
    "lsuv_", "LSUVLayer",
]  # fmt: skip


def __getattr__(name):
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    try:
        importlib.import_module("torch")
    except ImportError as error:
        raise ImportError(
            f"fastinit.torch.{name} needs PyTorch: pip install 'fastinit[torch]'"
        ) from error
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(__all__))
