"""How many cores other processes are using right now, so that BLAS's threads can leave theirs
alone.

BLAS splits a product evenly over its threads, and every thread waits for the slowest. When
another process holds a core, the thread that shares it runs at about half speed, and so does
the whole product: on 2 cores beside one busy process, a blocked 2048^2 ``orthogonal`` took 2.0x
its one-thread time on two BLAS threads. Such code asks :func:`free_threads` first. (Work
whose pieces never wait for each other gains nothing from it: the system shares each core among
the tasks that want it, so more threads get more of the machine.)

On Linux the kernel counts the runnable tasks of the whole system (``procs_running`` in
``/proc/stat``), and this process's own running threads (state R in ``/proc/self/task``) are
subtracted, so that fastinit's and BLAS's own threads are not mistaken for another process.
The count covers every online core, so it is compared with ``os.cpu_count()``, not with the
cores this process may use: in a container pinned to a few cores of a big host, the host's
other tasks take the threads away only when they hold nearly every core. Where there is no
``/proc``, nothing is known and every thread is used. One look costs about 30 us on 2 cores.

The thread count never changes results: BLAS computes each entry of a product the same way on
any number of threads.
"""

import os

_PROC = "/proc"


def _state_running(stat):
    """Whether a ``/proc/.../stat`` line is that of a running (runnable) task. The state follows
    the command name, which is in parentheses and may itself hold spaces or parentheses."""
    return stat[stat.rindex(b")") + 2 :][:1] == b"R"


def others_running(proc=_PROC):
    """Runnable tasks of other processes at this moment (0 when the system does not say)."""
    try:
        with open(os.path.join(proc, "stat"), "rb") as f:
            total = next(
                (int(line.split()[1]) for line in f if line.startswith(b"procs_running ")), None
            )
        if total is None:
            return 0
        own = 0
        tasks = os.path.join(proc, "self", "task")
        for tid in os.listdir(tasks):
            try:
                with open(os.path.join(tasks, tid, "stat"), "rb") as f:
                    own += _state_running(f.read())
            except (OSError, ValueError):  # the thread ended meanwhile
                continue
    except (OSError, ValueError):
        return 0
    return max(0, total - own)


def free_threads(count, proc=_PROC):
    """``count``, or fewer: no more than the cores that other processes leave free right now,
    and at least one.

    Examples
    --------
    >>> from fastinit._load import free_threads
    >>> 1 <= free_threads(2) <= 2
    True
    """
    if count <= 1:
        return count
    cores = os.cpu_count() or 1
    return max(1, min(count, cores - others_running(proc)))
