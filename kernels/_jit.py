"""The one place where compile options are decided.

Every kernel module builds its functions with :func:`jit` so that caching and fastmath are set
here and nowhere else. ``fastinit.config`` re-exports these values for users.

Environment variables (read once, when the first kernel module is imported):

``FASTINIT_CACHE``
    ``1`` (default) caches compiled kernels on disk next to the installed sources, or in Numba's
    user-wide cache directory when the install location is read-only. ``0`` turns the cache off.

Cache validity: Numba stamps a cached kernel with a hash of the one file that defines it, so a
kernel inlining code from another module (``streams.py`` uses ``elementary.py`` and
``philox.py``) would be reloaded stale after that other module changed, e.g. after an upgrade
that rewrote ``elementary.py`` but left ``streams.py`` as it was (pip leaves Numba's cache files
behind). fastinit's kernels are therefore stamped with one hash of every kernel source file:
any change to any of them recompiles them all.
"""

import hashlib
import os
import pathlib

import numba
from numba.core import caching

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


def _sources_digest(directory):
    """One digest of the names and contents of every ``*.py`` file in ``directory``."""
    digest = hashlib.sha256()
    for path in sorted(pathlib.Path(directory).glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.digest()


_SOURCES_DIGEST = _sources_digest(pathlib.Path(__file__).parent) if CACHE else b""


class _WholePackageStamp:
    """Mixin for Numba's cache locators: the stamp of every kernel is the digest of all kernel
    sources, not of its own file (see the module notes)."""

    def get_source_stamp(self):
        return _SOURCES_DIGEST


def _numba_class(*names):
    # Numba made its locator classes public (``_InTreeCacheLocator`` -> ``InTreeCacheLocator``)
    for name in names:
        if hasattr(caching, name):
            return getattr(caching, name)
    return None


def _kernel_cache_class():
    """A FunctionCache whose locators (in Numba's order: NUMBA_CACHE_DIR, ``__pycache__`` next
    to the sources, the user-wide directory) use whole-package stamps; None if this Numba's
    caching classes are not the ones expected (fastinit then uses Numba's own cache)."""
    bases = [
        _numba_class("UserProvidedCacheLocator", "_UserProvidedCacheLocator"),
        _numba_class("InTreeCacheLocator", "_InTreeCacheLocator"),
        _numba_class("UserWideCacheLocator", "_UserWideCacheLocator"),
    ]
    impl = _numba_class("CompileResultCacheImpl")
    cache = _numba_class("FunctionCache")
    if None in bases or impl is None or cache is None:
        return None
    locators = [type("Stamped" + b.__name__, (_WholePackageStamp, b), {}) for b in bases]
    impl = type("_KernelCacheImpl", (impl,), {"_locator_classes": locators})
    return type("_KernelCache", (cache,), {"_impl_class": impl})


_KERNEL_CACHE = _kernel_cache_class() if CACHE else None


def _cached(dispatcher):
    # what ``cache=True`` does (Dispatcher.enable_caching), with fastinit's locators
    dispatcher._cache = _KERNEL_CACHE(dispatcher.py_func)
    return dispatcher


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
        "parallel": dict(PRANGE_ONLY) if parallel else False,
        "fastmath": flags or False,
        "nogil": True,
        "error_model": "numpy",
    }
    options.update(kwargs)
    if _KERNEL_CACHE is None:  # no cache, or this Numba's caching classes are unknown
        return numba.njit(*args, **options, cache=CACHE)
    if args and callable(args[0]):
        return _cached(numba.njit(**options)(args[0]))
    return lambda fn: _cached(numba.njit(*args, **options)(fn))
