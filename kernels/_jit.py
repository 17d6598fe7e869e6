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


def jit(*args, parallel=False, fastmath=frozenset(), **kwargs):
    """``numba.njit`` with fastinit's cache, fastmath and parallelism policy.

    ``fastmath`` is a subset of the curated :data:`FASTMATH` flags (kernels pass ``FASTMATH``
    itself); ``True`` and any flag outside the set are refused, so Numba's full set (with nnan
    and ninf) can never slip in. ``parallel=True`` means :data:`PRANGE_ONLY`.
    """
    flags = set(fastmath) if not isinstance(fastmath, bool) else None
    if flags is None or not flags <= FASTMATH:
        raise ValueError(f"fastmath must be a subset of {sorted(FASTMATH)}, got {fastmath!r}")
    options = {
        "cache": CACHE,
        "parallel": dict(PRANGE_ONLY) if parallel else False,
        "fastmath": flags or False,
        "nogil": True,
        "error_model": "numpy",
    }
    options.update(kwargs)
    return numba.njit(*args, **options)
