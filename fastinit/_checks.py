"""Argument validation shared by every public function (one place, one wording).

Each check raises TypeError or ValueError naming the argument, the bad value and what is
accepted, and never mutates anything: callers validate everything before the first write.
"""

import math
import numbers
import operator
import os
import reprlib

import numpy as np

FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


def shape_tuple(shape, name="shape", *, min_ndim=0):
    """``shape`` as a tuple of non-negative Python ints, with at least ``min_ndim`` entries."""
    if isinstance(shape, numbers.Integral) and not isinstance(shape, bool):
        shape = (shape,)
    try:
        dims = tuple(operator.index(d) for d in shape)
    except TypeError:
        raise TypeError(f"{name} must be an int or a sequence of ints, got {shape!r}") from None
    if any(d < 0 for d in dims):
        raise ValueError(f"{name} must not have negative dimensions, got {dims}")
    if len(dims) < min_ndim:
        raise ValueError(
            f"{name} must have at least {min_ndim} dimensions for this operation, got {dims}"
        )
    return dims


def box(region, shape, name="region"):
    """``region``, a slice or a tuple of slices (step 1; missing trailing axes are whole), as
    ``((start, stop), ...)`` within ``shape``, with NumPy's slicing rules (negative indices
    count from the end, bounds are clipped, an inverted slice is empty)."""
    slices = (region,) if isinstance(region, slice) else region
    if not isinstance(slices, tuple) or not all(isinstance(s, slice) for s in slices):
        raise TypeError(
            f"{name} must be a slice or a tuple of slices (one per axis), got {region!r}"
        )
    if len(slices) > len(shape):
        raise ValueError(f"{name} has {len(slices)} slices for a shape of {len(shape)} axes")
    bounds = []
    slices += (slice(None),) * (len(shape) - len(slices))
    for axis, (s, n) in enumerate(zip(slices, shape, strict=True)):
        for part in (s.start, s.stop, s.step):
            if part is not None and (
                isinstance(part, bool) or not isinstance(part, numbers.Integral)
            ):
                raise TypeError(f"{name}[{axis}] must have int or None bounds, got {s!r}")
        if s.step not in (None, 1):
            raise ValueError(f"{name}[{axis}] must have step 1 (a box), got {s!r}")
        start, stop, _ = s.indices(n)
        bounds.append((start, max(start, stop)))
    return tuple(bounds)


def float_dtype(dtype, name="dtype", *, allow_half=False):
    """``dtype`` as a NumPy float32/float64 dtype (float16 too when ``allow_half``)."""
    try:
        dt = np.dtype(dtype)
    except Exception:  # noqa: BLE001 - NumPy's parser also raises ValueError and SyntaxError
        raise TypeError(f"{name} must be a NumPy float dtype, got {dtype!r}") from None
    accepted = FLOAT_DTYPES + ((np.dtype(np.float16),) if allow_half else ())
    if dt not in accepted:
        names = ", ".join(str(d) for d in accepted)
        raise TypeError(f"{name} must be one of {names}; got {dt}")
    return dt


def out_array(out, shape, name="out"):
    """Check that ``out`` is a writable float16/32/64 ndarray of exactly ``shape``."""
    if not isinstance(out, np.ndarray):
        raise TypeError(
            f"{name} must be a NumPy array (for torch tensors use fastinit.torch), "
            f"got {type(out).__name__}"
        )
    float_dtype(out.dtype, name=f"{name}.dtype", allow_half=True)
    if out.shape != tuple(shape):
        raise ValueError(f"{name} has shape {out.shape}, expected {tuple(shape)}")
    if not out.flags.writeable:
        raise ValueError(f"{name} is read-only; pass a writable array")
    if any(step == 0 and n > 1 for n, step in zip(out.shape, out.strides, strict=True)):
        # a broadcast view: several elements share one memory location
        raise ValueError(f"{name} has a zero stride (several elements share memory): {out.strides}")
    return out


def positive_int(value, name):
    """``value`` as a Python int >= 1 (bools are refused)."""
    if isinstance(value, bool):
        raise TypeError(f"{name} must be an int, got {value!r}")
    try:
        value = operator.index(value)
    except TypeError:
        raise TypeError(f"{name} must be an int, got {value!r}") from None
    if value < 1:
        raise ValueError(f"{name} must be >= 1, got {value}")
    return value


def is_real_number(value):
    """Whether :func:`real` accepts ``value`` by its type.

    numbers.Real covers Python and NumPy ints and floats; complex numbers, timedeltas, strings
    and bools are refused rather than converted (float(np.complex128(1)) only warns), and
    np.timedelta64, which subclasses np.signedinteger (hence numbers.Real), is refused by name.
    """
    return isinstance(value, numbers.Real) and not isinstance(
        value, (bool, np.bool_, np.timedelta64)
    )


def real(value, name, *, finite=True):
    """``value`` as a Python float; finite unless ``finite=False``."""
    if not is_real_number(value):
        raise TypeError(f"{name} must be a real number, got {value!r}")
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a real number, got {value!r}") from None
    except OverflowError:  # an int beyond float64 (OverflowError is not a refusal callers catch)
        raise ValueError(f"{name} is too large for a float, got {reprlib.repr(value)}") from None
    if math.isnan(x) or (finite and math.isinf(x)):
        raise ValueError(f"{name} must be a finite number, got {x}")
    return x


def non_negative(value, name):
    x = real(value, name)
    if x < 0:
        raise ValueError(f"{name} must be >= 0, got {x}")
    return x


def positive(value, name):
    x = real(value, name)
    if x <= 0:
        raise ValueError(f"{name} must be > 0, got {x}")
    return x


def in_unit_interval(value, name):
    x = real(value, name)
    if not 0.0 <= x <= 1.0:
        raise ValueError(f"{name} must be in [0, 1], got {x}")
    return x


def flag(value, name):
    """``value`` as a bool; only True and False (NumPy's too) are accepted, since any other
    object would be read by its truthiness ("no" is true)."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, got {reprlib.repr(value)}")
    return bool(value)


def choice(value, name, options):
    """``value`` if it is one of ``options`` (strings compared as given); a value of another type
    than the options is a TypeError (``in`` with a NumPy array would not even give a bool)."""
    if not any(isinstance(value, type(o)) for o in options):
        listed = ", ".join(repr(o) for o in options)
        raise TypeError(
            f"{name} must be one of {listed}; got {type(value).__name__} {reprlib.repr(value)}"
        )
    if value not in options:
        listed = ", ".join(repr(o) for o in options)
        raise ValueError(f"{name} must be one of {listed}; got {value!r}")
    return value


def _memory_bytes():
    """This machine's physical memory in bytes (None where the OS does not say)."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, OSError, ValueError):  # pragma: no cover - not a POSIX system
        return None


MEMORY_BYTES = _memory_bytes()


def _human(nbytes):
    size = float(min(nbytes, 10**300))  # an int beyond float64 would not divide
    for unit in ("bytes", "KiB", "MiB", "GiB", "TiB"):
        if size < 1024:
            return f"{size:.0f} {unit}" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.3g} PiB"


def fits_in_memory(nbytes, name, what):
    """Refuse, before anything is allocated, a request that could never fit in this machine's
    memory: ``what`` (for instance "an output of shape (10**6, 10**6) float32") would need
    ``nbytes``; the ValueError names the argument ``name`` and both sizes."""
    limit = MEMORY_BYTES
    if limit is not None and nbytes > limit:
        raise ValueError(
            f"{name}: {what} would need {_human(nbytes)}, more than this machine's "
            f"{_human(limit)} of memory"
        )
