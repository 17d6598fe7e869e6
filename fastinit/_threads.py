"""Parallel kernels: a compiled serial kernel over a range of tasks, run on a few Python threads.

fastinit does not use Numba's ``prange``. Each parallel operation is a serial ``nogil`` kernel
that takes a task range ``[lo, hi)``; :func:`run` hands out chunks of tasks to the calling thread
and to up to ``config.thread_count() - 1`` pool threads, first come first served. Why:

* Shared machines. OpenMP's workers wait for each other at every region's end, spinning. When
  another process holds a core, the region waits for the descheduled worker (measured: 10x slower
  with two threads than with one beside one busy process per core). Here the calling thread works
  through the tasks itself; a pool thread that the system does not schedule just takes fewer, so a
  call is never much slower than on one thread.
* Results. Tasks are fixed by the data, not by the thread count, and reductions write one partial
  result per task that the caller combines in task order: the same bits for any thread count.
* Compilation. A serial kernel compiles several times faster than its ``prange`` form, and the
  same machine code serves one thread and many.
* Fork. A child process gets a new pool (the parent's threads do not exist in it).
"""

import contextlib
import itertools
import os
import threading
from concurrent.futures import ThreadPoolExecutor

from . import config

_lock = threading.Lock()
_pool = None
# set while this thread runs a task of :func:`run`: a run started there is serial, so that
# work split over tasks at an outer level (the tensors of a model) is not split again inside
_inside = threading.local()


def _executor():
    global _pool
    with _lock:
        if _pool is None:
            # threads start on demand: at most thread_count() - 1 are ever busy at once
            _pool = ThreadPoolExecutor(max_workers=256, thread_name_prefix="fastinit")
        return _pool


def _forget_pool():
    global _lock, _pool
    _lock, _pool = threading.Lock(), None


os.register_at_fork(after_in_child=_forget_pool)


def run(kernel, ntasks, *args, grain=1, threads=None):
    """Call ``kernel(*args, lo, hi)`` on task ranges covering ``[0, ntasks)``.

    Chunks of ``grain`` tasks go to whichever thread asks first; the calling thread takes part,
    so the call finishes even if no pool thread ever runs. ``threads`` defaults to
    :func:`fastinit.config.thread_count`. The kernel must be safe to run concurrently on
    disjoint task ranges (it releases the GIL: ``nogil=True``, or is Python code that calls
    such kernels). An exception in any chunk is raised here once every thread has stopped. A
    run started from inside a task of another run is serial: the outer run already keeps
    every thread busy.

    Examples
    --------
    >>> import numpy as np
    >>> from fastinit import _threads
    >>> seen = np.zeros(10, int)
    >>> def mark(seen, lo, hi):
    ...     seen[lo:hi] += 1
    >>> _threads.run(mark, 10, seen, grain=3, threads=2)
    >>> seen.tolist() == [1] * 10
    True
    """
    if ntasks <= 0:
        return
    grain = max(1, int(grain))
    chunks = -(-ntasks // grain)
    threads = min(config.thread_count() if threads is None else threads, chunks)
    if threads <= 1 or getattr(_inside, "task", False):
        kernel(*args, 0, ntasks)
        return
    counter = itertools.count()

    def work():
        _inside.task = True
        try:
            while True:
                lo = next(counter) * grain  # next() on a count is atomic under the GIL
                if lo >= ntasks:
                    return
                kernel(*args, lo, min(lo + grain, ntasks))
        finally:
            _inside.task = False

    pool = _executor()
    helpers = [pool.submit(work) for _ in range(threads - 1)]
    try:
        work()
    finally:
        # a helper that has not started yet would find no work left: drop it rather than wait
        # for a busy machine to schedule it
        for helper in helpers:
            if not helper.cancel():
                helper.result()


def _runnable_tasks():
    """Tasks of the whole system running or waiting for a CPU now (Linux: the fourth field of
    /proc/loadavg, ``running/total``), or None where that is not known. About 2 us."""
    try:
        fd = os.open("/proc/loadavg", os.O_RDONLY)
    except OSError:
        return None
    try:
        return int(os.read(fd, 128).split()[3].split(b"/")[0])
    except (OSError, ValueError, IndexError):
        return None
    finally:
        os.close(fd)


_ignore_load = False  # set inside :func:`ignoring_load`


@contextlib.contextmanager
def ignoring_load():
    """Inside the block, :func:`unloaded` keeps every thread: ``fastinit compile`` runs beside
    its own busy processes and must still compile the threaded kernels."""
    global _ignore_load
    before, _ignore_load = _ignore_load, True
    try:
        yield
    finally:
        _ignore_load = before


def unloaded(threads):
    """``threads``, or fewer: no more than the CPUs that no other task is running on now (never
    below one).

    For short memory-bound passes (clipping): beside a busy process, a second thread there
    shares a core with it or with the caller, and the pass took 1.2-1.3x its one-thread time,
    where an idle machine gains at most 1.2x from it (2-core VM, 4M to 8M float32). Tasks are
    fixed by the data, so the result does not depend on the count. Long runs keep their threads:
    on a busy machine, more threads get more of it (a stack simulation beside one busy process
    took 2.3-2.6 s on two threads, 3.1-3.2 s on one).

    The count is the whole system's (in most containers, the host's), and counts this process's
    other threads too (a framework's workers still spinning after their last operation): a
    process kept to a few of many CPUs sees only whether the machine as a whole is full.

    Examples
    --------
    >>> from fastinit._threads import unloaded
    >>> 1 <= unloaded(2) <= 2
    True
    """
    if threads <= 1 or _ignore_load:
        return threads
    runnable = _runnable_tasks()
    if runnable is None:
        return threads
    others = runnable - 1  # the caller is running
    return max(1, min(threads, (os.cpu_count() or 1) - others))


def grain_for(ntasks, threads=None, *, per_thread=4):
    """Tasks per chunk: about ``per_thread`` chunks per thread, so that a thread that starts late
    or runs slowly leaves its share to the others.

    Examples
    --------
    >>> from fastinit._threads import grain_for
    >>> grain_for(64, 2)
    8
    """
    threads = config.thread_count() if threads is None else threads
    return max(1, ntasks // (max(1, threads) * per_thread))
