"""fastinit: compiled kernels for training-stability numerics.

Weight initialization (counter-based, reproducible), variance propagation, gradient clipping and
confusion-matrix metrics, as Numba kernels behind a NumPy API.

Importing fastinit is cheap: submodules, Numba and the kernels load on first use.

>>> import fastinit
>>> w = fastinit.kaiming_normal((256, 128), seed=0)
>>> w.shape, w.dtype
((256, 128), dtype('float32'))
"""

import importlib
import importlib.util
import os
import sys

__version__ = "0.1.0"


def _find_kernels_beside():
    """``kernels/`` is installed as ``fastinit.kernels``, but in a source checkout it sits beside
    this package. When Python runs in the checkout after a non-editable install (``python -m
    fastinit`` in the repository root), the checkout's ``fastinit`` shadows the installed one:
    register a finder that maps ``fastinit.kernels`` to ``../kernels`` then (it answers for that
    one name only). Nothing is imported here."""
    here = os.path.dirname(os.path.abspath(__file__))
    beside = os.path.join(os.path.dirname(here), "kernels")
    if os.path.isdir(os.path.join(here, "kernels")):
        return
    if not os.path.isfile(os.path.join(beside, "_jit.py")):
        return

    class KernelsBeside:
        @staticmethod
        def find_spec(name, path=None, target=None):
            if name != __name__ + ".kernels":
                return None
            init = os.path.join(beside, "__init__.py")
            return importlib.util.spec_from_file_location(
                name, init, submodule_search_locations=[beside]
            )

    # first: an editable install of another checkout must not supply this checkout's kernels
    sys.meta_path.insert(0, KernelsBeside)


_find_kernels_beside()

# public name -> submodule that defines it (loaded on first attribute access, PEP 562)
_EXPORTS = {
    "init": (
        "calculate_gain", "compute_fans", "constant", "zeros", "ones", "eye", "dirac",
        "uniform", "normal", "trunc_normal", "xavier_uniform", "xavier_normal",
        "kaiming_uniform", "kaiming_normal", "lecun_uniform", "lecun_normal",
        "variance_scaling", "sparse", "orthogonal", "special_orthogonal",
    ),
    "clip": (
        "global_norm", "clip_grad_norm", "clip_grad_value", "clip_by_norm", "adaptive_clip",
    ),
}  # fmt: skip
_SUBMODULES = (
    "random", "init", "clip", "metrics", "propagation", "config", "comparisons", "dask", "cli",
    "torch", "jax",
)  # fmt: skip
_OWNER = {name: module for module, names in _EXPORTS.items() for name in names}

__all__ = sorted(_OWNER) + list(_SUBMODULES)


def __getattr__(name):
    if name in _OWNER:
        value = getattr(importlib.import_module(f".{_OWNER[name]}", __name__), name)
    elif name in _SUBMODULES:
        value = importlib.import_module(f".{name}", __name__)
    else:
        raise AttributeError(f"module 'fastinit' has no attribute {name!r}")
    globals()[name] = value  # later lookups skip __getattr__
    return value


def __dir__():
    return sorted(set(globals()) | set(__all__))
