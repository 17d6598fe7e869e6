"""How many threads BLAS may use while fastinit runs its own threads over BLAS calls.

Two BLAS libraries serve fastinit: scipy's, which the compiled kernels call
(``kernels/blas.py``), and NumPy's, behind ``@``. A computation that fastinit spreads over its
own threads (``_threads.run``, each thread on its own matrices, tiles or sequences) wants them on
one thread: the parallelism is already there, and a BLAS call splits its work evenly over
threads that then wait for each other (on a loaded machine the slowest core sets the pace of
every call) and spin between calls, holding cores that the work between the calls needs.
:func:`threads` bounds both for a block of code. The setting is the process's: other threads'
BLAS calls during the block see it too. Callers enter in the order they come: one that asks
for the count the callers inside asked for joins them (two simulations on two threads run at
once), one that asks for another count waits until they are out, and so do the callers behind
it. The last one out restores what the libraries were set to.
"""

import contextlib
import os
import threading

_changes = threading.Condition()
_count = None  # the count the callers inside a block asked for
_inside = 0  # how many callers are inside a block
_saved = ()  # (library, its thread count) for each library the block changed
_issued = 0  # tickets handed out, one per caller in order of arrival
_serving = 0  # the ticket whose turn it is to enter
_controllers = None  # threadpoolctl controllers of every BLAS library loaded


def _forget_callers():
    """In a forked child, no other thread is inside a block or waiting."""
    global _changes, _inside, _saved, _issued, _serving
    _changes, _inside, _saved, _issued, _serving = threading.Condition(), 0, (), 0, 0


os.register_at_fork(after_in_child=_forget_callers)


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
    _enter(count)
    try:
        yield
    finally:
        _leave()


def _enter(count):
    global _count, _inside, _saved, _issued, _serving
    with _changes:
        ticket = _issued
        _issued += 1
        while ticket != _serving or (_inside and _count != count):
            _changes.wait()
        try:
            if not _inside:
                _saved = tuple(
                    (lib, lib.num_threads)
                    for lib in _libraries()
                    if count is not None and lib.num_threads > count
                )
                for lib, _ in _saved:
                    _set(lib, count)
                _count = count
            _inside += 1
        finally:  # a failed entry still hands the turn on
            _serving += 1
            _changes.notify_all()  # the next in line may join


def _leave():
    global _inside, _saved
    with _changes:
        _inside -= 1
        if not _inside:
            for lib, n in _saved:
                _set(lib, n)
            _saved = ()
            _changes.notify_all()


def _set(lib, count):
    """Set a library's thread count, then let go of it. threadpoolctl (3.8 on) lets only one
    thread at a time change OpenBLAS's process-wide count: the first to change it, until it
    lets go. Kept, fastinit's hold would silently void every later change from another thread,
    a user's ``threadpool_limits`` or fastinit's own next caller's; a change while a user's
    block in another thread holds it is, in turn, left to that block."""
    lib.set_num_threads(count)
    let_go = getattr(type(lib), "clear_controlling_thread", None)
    if let_go is not None:
        let_go()  # only releases a hold of this thread's
