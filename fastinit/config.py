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

Thread count: fastinit's parallel kernels run on the calling thread plus a small pool of its own
(``fastinit._threads``), never on Numba's ``prange`` pool, so they share a loaded machine well,
give the same bits for any thread count, and work after ``fork``. :func:`set_num_threads` (or
the environment variable ``FASTINIT_NUM_THREADS``) sets the thread count; the default is the
number of CPUs this process may run on.
"""

import os


def __getattr__(name):
    # read lazily so that importing fastinit.config does not import numba
    if name in {"CACHE", "CACHE_DIR", "FASTMATH"}:
        from .kernels import _jit

        return getattr(_jit, name)
    raise AttributeError(f"module 'fastinit.config' has no attribute {name!r}")


# Outputs smaller than this are generated on the calling thread: handing work to a pool thread
# costs tens of microseconds on an idle machine, more on a loaded one. Any value gives the same
# bits.
PARALLEL_MIN_ELEMENTS = 1 << 16

# The random fills start a second thread only from this many values. Measured on a quiet 2-core
# Intel Xeon VM (medians of 41 calls, one thread / two): normal 2**18 340 / 408 us, 2**19
# 722 / 664 us; trunc_normal 2**18 372 / 420, 2**19 738 / 686; uniform 2**19 440 / 509,
# 2**21 1408 / 1141. Waking the pool costs ~150 us there, more than a few hundred thousand
# values take on one thread. Any value gives the same bits.
RANDOM_PARALLEL_MIN = 1 << 19


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
ORTHOGONAL_ONE_BLAS_THREAD_MAX_WORK = 1 << 24  # m * k * k up to which BLAS runs on one thread

# Gradient clipping: below this many elements in total a call runs on one thread. A second
# thread pays from 2-3M float32 elements for one pass (a norm, a clamp) and from 3.5M for
# clip_grad_norm's two (2-core Xeon VM, arrays just written by the calling thread: at 1M,
# 1.24-1.70x the one-thread time; at 4M, 0.78-0.92x; benchmarks/bench_thresholds.py). Work is
# split into tasks of CLIP_TASK_ELEMENTS consecutive elements of the arrays laid end to end; norms
# are summed per task, then in task order, so changing it may change norms in the last bits
# (changing the thread count never does).
CLIP_PARALLEL_MIN = 1 << 22
CLIP_TASK_ELEMENTS = 1 << 18
# Lists of at least this many arrays are described by reading the arrays' headers in compiled
# code (about 0.1 us per array); shorter ones from NumPy's attributes in Python (about 2-4 us per
# array), which spares their first call the header reader's compilation (0.4 s).
CLIP_HEADER_READER_MIN = 4


def _default_threads():
    value = os.environ.get("FASTINIT_NUM_THREADS", "").strip()
    if value:
        try:
            count = int(value)
        except ValueError:
            count = 0
        if count < 1:
            raise ValueError(f"FASTINIT_NUM_THREADS must be a positive integer, got {value!r}")
        return count
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not on Linux
        return os.cpu_count() or 1


_threads = _default_threads()


def set_num_threads(n):
    """Use at most ``n`` threads in fastinit's parallel kernels (results do not depend on it).

    Examples
    --------
    >>> from fastinit import config
    >>> before = config.thread_count()
    >>> config.set_num_threads(1); config.thread_count()
    1
    >>> config.set_num_threads(before)
    """
    global _threads
    from . import _checks

    _threads = _checks.positive_int(n, "n")


def thread_count():
    """Threads a parallel kernel may use (see :func:`set_num_threads`).

    Examples
    --------
    >>> from fastinit import config
    >>> config.thread_count() >= 1
    True
    """
    return _threads


def use_threads(work_items, minimum=None):
    """Whether a kernel over ``work_items`` elements is worth splitting over threads.

    False below ``minimum`` (default :data:`PARALLEL_MIN_ELEMENTS`) or with one thread. Kernels
    give the same results either way.

    Examples
    --------
    >>> from fastinit import config
    >>> config.use_threads(10), config.use_threads(10**8) == (config.thread_count() > 1)
    (False, True)
    """
    if minimum is None:
        minimum = PARALLEL_MIN_ELEMENTS
    return work_items >= minimum and _threads > 1
