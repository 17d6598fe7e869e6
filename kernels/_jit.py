"""The one place where compile options are decided.

Every kernel module builds its functions with :func:`jit` so that caching and fastmath are set
here and nowhere else. ``fastinit.config`` re-exports these values for users.

Environment variables (read once, when the first kernel module is imported):

``FASTINIT_CACHE``
    ``1`` (default) caches compiled kernels on disk next to the installed sources, or in Numba's
    user-wide cache directory when the install location is read-only. ``0`` turns the cache off.
"""

import os

import numba

CACHE = os.environ.get("FASTINIT_CACHE", "1").strip().lower() not in {"0", "false", "no", "off"}

# A curated fastmath set: it lets LLVM contract a*b+c into FMAs and reassociate reductions, but
# never assumes that NaN or inf are absent (no nnan / ninf), so non-finite data stays detectable.
FASTMATH = frozenset({"contract", "reassoc", "nsz", "arcp"})


# ``parallel=True`` parallelizes explicit ``prange`` loops only. Numba's default would also turn
# array expressions such as ``np.zeros(n)`` into parallel regions, which launch the thread pool
# even on a kernel's serial path (and abort a process forked after OpenMP was used).
PRANGE_ONLY = {
    "prange": True, "comprehension": False, "reduction": False, "inplace_binop": False,
    "setitem": False, "numpy": False, "stencil": False, "fusion": False,
}  # fmt: skip


def jit(*args, parallel=False, fastmath=False, **kwargs):
    """``numba.njit`` with fastinit's cache, fastmath and parallelism policy.

    ``fastmath=True`` means the curated :data:`FASTMATH` set, never Numba's full set;
    ``parallel=True`` means :data:`PRANGE_ONLY`.
    """
    options = {
        "cache": CACHE,
        "parallel": dict(PRANGE_ONLY) if parallel else False,
        "fastmath": set(FASTMATH) if fastmath else False,
        "nogil": True,
        "error_model": "numpy",
    }
    options.update(kwargs)
    return numba.njit(*args, **options)
