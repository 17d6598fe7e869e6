"""Argument checks shared by the propagation functions, on top of fastinit._checks.

Everything here raises before anything is allocated or any seed is drawn from, and names the
argument at fault.
"""

import contextlib
import copy

import numpy as np

from .. import _checks

# Layer sizes above this could never be allocated, and as floats they would lose precision
# (theory() divides widths to get its gradient ratios)
MAX_SIZE = int(np.iinfo(np.int64).max)

# A spawned SeedSequence (one per network and layer) measured about 380 bytes; a little more
# is counted for its list slot and allocator overhead
_SEED_BYTES = 512


def real_array(value, name):
    """``value`` (a number or an array_like of them) as a float64 array of finite values.

    Booleans, complex numbers, timedeltas, datetimes, strings and None are refused with a
    TypeError, as ``_checks.real`` refuses them one at a time: converting them would silently
    turn a wrong argument into a number.
    """
    try:
        arr = np.asarray(value)
    except (TypeError, ValueError, OverflowError):  # ragged nesting, unconvertible objects
        raise TypeError(
            f"{name} must be a real number or an array of them, got {value!r}"
        ) from None
    if arr.dtype == object:
        # Python ints beyond int64, or mixed objects: each must be a real number on its own
        values = [_checks.real(v, name, finite=False) for v in arr.flat]
        arr = np.array(values, dtype=np.float64).reshape(arr.shape)
    elif arr.dtype.kind not in "iuf":
        raise TypeError(f"{name} must be real numbers, got dtype {arr.dtype} ({value!r})")
    arr = arr.astype(np.float64)
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite, got {value!r}")
    return arr


def non_negative_array(value, name):
    """``real_array`` of values >= 0 (variances)."""
    arr = real_array(value, name)
    if np.any(arr < 0):
        raise ValueError(f"{name} must be >= 0 (it is a variance), got min {arr.min()}")
    return arr


def correlation_array(value, name):
    """``real_array`` of correlations, in [-1, 1]."""
    arr = real_array(value, name)
    if np.any(np.abs(arr) > 1):
        raise ValueError(f"{name} must be a correlation in [-1, 1], got {value!r}")
    return arr


def simulation_fits(widths, n_networks, batch, itemsize):
    """Refuse a simulation whose arrays could never fit in memory, before building any.

    Counts what simulate() and diagnose() hold at their peak: every weight matrix, the input,
    every layer's pre-activations (kept for the backward pass), the output gradient, one
    activation and one gradient temporary of the widest layer, and per network and layer three
    float64 results and a spawned seed.
    """
    depth = len(widths) - 1
    weights = n_networks * sum(a * b for a, b in zip(widths[:-1], widths[1:], strict=True))
    activations = n_networks * batch * (sum(widths) + widths[-1] + 2 * max(widths))
    nbytes = (weights + activations) * itemsize + n_networks * depth * (3 * 8 + _SEED_BYTES)
    _checks.fits_in_memory(
        nbytes,
        "widths, n_networks and batch",
        f"{n_networks} network(s) of {depth} layer(s) up to {max(widths)} wide on a batch of "
        f"{batch}",
    )


@contextlib.contextmanager
def seed_restored_on_error(seed):
    """Put a Generator ``seed`` back as it was if the call fails after drawing from it.

    Some checks can only run once the seed is used: what an initializer or a user's ``init``
    callable accepts, or whether lsuv's rescaling is possible. A refused call must still leave
    the caller's Generator where it was, so its state is saved and restored on any failure.
    """
    saved = None
    if isinstance(seed, np.random.Generator):
        saved = copy.deepcopy(seed.bit_generator.state)
    try:
        yield
    except BaseException:
        if saved is not None:
            seed.bit_generator.state = saved
        raise
