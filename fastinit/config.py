"""Tunables of fastinit, in one place.

Compile options live in ``fastinit.kernels._jit`` (kernels never import this package) and are
re-exported here for reference:

``CACHE``
    Whether compiled kernels are cached on disk. Set the environment variable
    ``FASTINIT_CACHE=0`` before importing fastinit to turn the cache off. The cache lives next to
    the installed kernel sources, or in Numba's user-wide cache directory (``NUMBA_CACHE_DIR``
    overrides it) when the install location is read-only.
``FASTMATH``
    The curated fastmath flags used by kernels that opt in (never ``nnan`` or ``ninf``).

Thread count: fastinit's parallel kernels use Numba's thread pool; ``numba.set_num_threads``
or ``NUMBA_NUM_THREADS`` control it. Random streams give identical bits for any thread count.
"""


def __getattr__(name):
    # read lazily so that importing fastinit.config does not import numba
    if name in {"CACHE", "FASTMATH"}:
        from .kernels import _jit

        return getattr(_jit, name)
    raise AttributeError(f"module 'fastinit.config' has no attribute {name!r}")


# Outputs smaller than this are generated on the calling thread: waking Numba's thread pool
# costs ~20 us on an idle machine and milliseconds on a loaded one (measured). Any value gives
# the same bits.
PARALLEL_MIN_ELEMENTS = 1 << 16
