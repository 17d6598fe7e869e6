"""How many threads BLAS may use while fastinit runs its own threads over BLAS calls.

Two BLAS libraries serve fastinit: scipy's, which the compiled kernels call
(``kernels/blas.py``), and NumPy's, behind ``@``. A computation that fastinit spreads over its
own threads (``_threads.run``, each thread on its own matrices, tiles or sequences) wants them on
one thread: the parallelism is already there, and a BLAS call splits its work evenly over
threads that then wait for each other (on a loaded machine the slowest core sets the pace of
every call) and spin between calls, holding cores that the work between the calls needs.
:func:`threads` bounds both for a block of code; a lock keeps concurrent callers from restoring
each other's setting. The setting is the process's: other threads' BLAS calls during the block
see it too.
"""

import contextlib
import threading

_lock = threading.Lock()
_controllers = None  # threadpoolctl controllers of every BLAS library loaded


def _libraries():
    global _controllers
    if _controllers is None:
        import numpy  # noqa: F401 - loads NumPy's BLAS
        import scipy.linalg.cython_blas  # noqa: F401 - loads scipy's
        import threadpoolctl

        found = threadpoolctl.ThreadpoolController().select(user_api="blas")
        _controllers = list(found.lib_controllers)
    return _controllers


@contextlib.contextmanager
def threads(count):
    """Run the block with every BLAS library on at most ``count`` threads; with ``None``, on
    the threads they are set to, which no other fastinit call changes during the block."""
    with _lock:
        libs = _libraries()
        before = [lib.num_threads for lib in libs]
        lower = [count is not None and n > count for n in before]
        for lib, change in zip(libs, lower, strict=True):
            if change:
                lib.set_num_threads(count)
        try:
            yield
        finally:
            for lib, n, change in zip(libs, before, lower, strict=True):
                if change:
                    lib.set_num_threads(n)
