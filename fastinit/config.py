"""Tunables of fastinit, in one place.

Compile options live in ``fastinit.kernels._jit`` (kernels never import this package) and are
re-exported here for reference:

``CACHE``
    Whether compiled kernels are cached on disk. Set the environment variable
    ``FASTINIT_CACHE=0`` before importing fastinit to turn the cache off.
``CACHE_DIR``
    Where this build's compiled kernels are cached: a folder of :func:`cache_root` named by a
    digest of the kernel sources and of the Python, Numba and llvmlite versions, so that
    different versions never load each other's files. Never inside the installed package.
``FASTMATH``
    The curated fastmath flags used by kernels that opt in (never ``nnan`` or ``ninf``).

Thread count: fastinit's parallel kernels use Numba's thread pool; ``numba.set_num_threads``
or ``NUMBA_NUM_THREADS`` control it. Random streams give identical bits for any thread count.

Threads and fork: Numba picks the GNU OpenMP thread pool here, which is safe for calls from
several Python threads at once but aborts a forked child that launches a parallel region after
its parent did. So in such a child fastinit runs every kernel on the calling thread (same
results, one core): see :func:`use_threads`.
"""

import os
import sys


def __getattr__(name):
    # read lazily so that importing fastinit.config does not import numba
    if name in {"CACHE", "CACHE_DIR", "FASTMATH"}:
        from .kernels import _jit

        return getattr(_jit, name)
    raise AttributeError(f"module 'fastinit.config' has no attribute {name!r}")


# Outputs smaller than this are generated on the calling thread: waking Numba's thread pool
# costs ~20 us on an idle machine and milliseconds on a loaded one (measured). Any value gives
# the same bits.
PARALLEL_MIN_ELEMENTS = 1 << 16

_forked_after_openmp = False


def _after_fork_in_child():
    global _forked_after_openmp
    numba = sys.modules.get("numba")
    if numba is None:
        return
    try:
        layer = numba.threading_layer()
    except ValueError:  # no parallel region ran in the parent: the child may start a pool
        return
    _forked_after_openmp = _forked_after_openmp or layer == "omp"


os.register_at_fork(after_in_child=_after_fork_in_child)


def cache_root():
    """The folder holding the kernel caches of every fastinit build: ``NUMBA_CACHE_DIR/fastinit``
    when ``NUMBA_CACHE_DIR`` is set, else the per-user cache folder (``~/.cache/fastinit`` on
    Linux). ``fastinit cache`` prints it and its size; ``fastinit cache --clear`` empties it.

    Examples
    --------
    >>> from fastinit import config
    >>> config.CACHE_DIR.startswith(config.cache_root())
    True
    """
    from .kernels import _jit

    return _jit.cache_root()


# Variance propagation: diagnose() calls a layer healthy while its variance stays within this
# factor band of the reference (the input variance q0 forward, the output gradient's variance
# backward); outside it the signal is vanishing (below) or exploding (above).
HEALTHY_BAND = (0.1, 10.0)

# Orthogonal initialization (measured on a 2-core AMD EPYC, see docs/orthogonal.md). These pick
# the algorithm from the shape alone; changing them may change results in the last bits.
ORTHOGONAL_BLOCK = 128  # reflectors per compact-WY block
ORTHOGONAL_UNBLOCKED_MAX_K = 64  # min(rows, cols) up to which matrices use the unblocked kernel
ORTHOGONAL_UNBLOCKED_BATCH_MAX_K = 256  # ... and up to which batches of at least
ORTHOGONAL_BATCH_MIN = 4  # ... this many matrices do
ORTHOGONAL_SERIAL_MAX_WORK = 1 << 20  # count * m * k * k below which that kernel stays serial

# Gradient clipping: below this many elements in total a call runs on one thread.
CLIP_PARALLEL_MIN = 1 << 20


def thread_count():
    """Threads a parallel kernel may use: Numba's setting, or 1 in a process forked after its
    parent used the OpenMP pool (see :func:`use_threads`).

    Examples
    --------
    >>> from fastinit import config
    >>> config.thread_count() >= 1
    True
    """
    if _forked_after_openmp:
        return 1
    import numba

    return numba.get_num_threads()


def use_threads(work_items, minimum=None):
    """Whether a kernel over ``work_items`` elements should run on the thread pool.

    False below ``minimum`` (default :data:`PARALLEL_MIN_ELEMENTS`) and in a process forked
    after its parent used the OpenMP pool. Kernels give the same results either way.

    Examples
    --------
    >>> from fastinit import config
    >>> config.use_threads(10), config.use_threads(10**8)
    (False, True)
    """
    if minimum is None:
        minimum = PARALLEL_MIN_ELEMENTS
    return work_items >= minimum and not _forked_after_openmp
