"""``fastinit compile``: run every kernel once so that Numba writes it to the on-disk cache.

Kernels compile on first use, one specialization per argument types, and the cache keeps each
one. Precompiling means calling the public functions with inputs that take every compiled path:
each float dtype, sizes on both sides of the thresholds that choose several threads
(``config.RANDOM_PARALLEL_MIN``, ``config.CLIP_PARALLEL_MIN``, the metrics' 2**17 samples),
every distribution and truncation sampler, every orthogonal algorithm, each set of dtypes in a
clipping list, int32 and int64 labels, weighted and unweighted counts, 1-D and 2-D regression
targets, read-only metric inputs. ``_compile_tasks.TASKS`` lists one small function per family;
a task over floats runs once per requested dtype. Inputs of other kinds (int8 labels, say, or a
float32 / float64 pair) still compile their own variant on first use.

Tasks run in separate processes ("spawn", so no process inherits a thread pool). Numba saves a
kernel by reading its index file, adding an entry and writing it back; two processes saving
different specializations of one kernel at once could each pick the same data file name. The
workers therefore take a file lock around that save (a lock file outside the cache folder).
"""

import fnmatch
import os
import time
import warnings

import numpy as np

from ._compile_tasks import TASKS

_LOCK_PATH = None
_BY_NAME = {task.name: task for task in TASKS}


def plan(dtypes=("float32", "float64"), patterns=("*",)):
    """The work items ``"name"`` or ``"name:dtype"`` selected by the glob ``patterns``.

    Raises ValueError naming a pattern that selects nothing, with the valid items.

    Examples
    --------
    >>> from fastinit._precompile import plan
    >>> plan(["float32"], ["random*", "clip.mixed"])
    ['random:float32', 'clip.mixed']
    >>> plan(["float64"], ["nothing"])  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: no compile task matches 'nothing'; valid tasks: metrics.classification, ...
    """
    dtypes = [str(np.dtype(d)) for d in dtypes]
    items = [
        item
        for task in TASKS
        for item in ([f"{task.name}:{d}" for d in dtypes] if task.per_dtype else [task.name])
    ]
    unmatched = [p for p in patterns if not any(fnmatch.fnmatchcase(i, p) for i in items)]
    if unmatched:
        raise ValueError(f"no compile task matches {', '.join(map(repr, unmatched))}; "
                         f"valid tasks: {', '.join(items)}")  # fmt: skip
    return [i for i in items if any(fnmatch.fnmatchcase(i, p) for p in patterns)]


def run_task(item):
    """Run one work item of :func:`plan` in this process; return ``(item, seconds)``.

    Examples
    --------
    >>> from fastinit._precompile import run_task
    >>> run_task("propagation.diagnose")[0]
    'propagation.diagnose'
    """
    name, _, dtype = item.partition(":")
    start = time.perf_counter()
    with warnings.catch_warnings():  # ill-defined metrics on purpose, and the like
        warnings.simplefilter("ignore")
        _BY_NAME[name].run(np.dtype(dtype) if dtype else None)
    return item, time.perf_counter() - start


# ---------------------------------------------------------------------------- workers ---
def _worker_init(lock_path):
    """In a worker: serialize Numba's cache saves across the workers (see the module notes)."""
    global _LOCK_PATH
    _LOCK_PATH = lock_path
    try:
        import fcntl
    except ImportError:  # not POSIX: precompile() then runs one worker
        return
    from numba.core import caching

    save = caching.IndexDataCacheFile.save
    if getattr(save, "_fastinit_locked", False):
        return

    def locked_save(self, key, data):
        with open(_LOCK_PATH, "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                save(self, key, data)
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    locked_save._fastinit_locked = True
    caching.IndexDataCacheFile.save = locked_save


def _cpus():
    """The CPUs this process may run on (its affinity mask where the OS has one)."""
    if hasattr(os, "process_cpu_count"):  # Python 3.13
        return os.process_cpu_count() or 1
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def _can_lock():
    try:
        import fcntl  # noqa: F401
    except ImportError:
        return False
    from numba.core import caching

    return hasattr(caching, "IndexDataCacheFile") and hasattr(caching.IndexDataCacheFile, "save")


class _TextProgress:
    def __init__(self, total, write):
        self.total, self.done, self.write = total, 0, write

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def advance(self, line):
        self.done += 1
        width = len(str(self.total))
        self.write(f"[{self.done:>{width}}/{self.total}] {line}")


class _RichProgress:
    def __init__(self, total):
        import rich.progress as rp

        self.bar = rp.Progress(
            rp.TextColumn("compiling"), rp.BarColumn(), rp.MofNCompleteColumn(),
            rp.TimeElapsedColumn(),
        )  # fmt: skip
        self.task = self.bar.add_task("compile", total=total)

    def __enter__(self):
        self.bar.__enter__()
        return self

    def __exit__(self, *exc):
        return self.bar.__exit__(*exc)

    def advance(self, line):
        self.bar.console.print(line, highlight=False)
        self.bar.advance(self.task)


def _progress(total, write):
    if write is print:
        try:
            return _RichProgress(total)
        except ImportError:
            pass
    return _TextProgress(total, write)


def precompile(items, *, jobs=None, write=print):
    """Run the work ``items`` of :func:`plan` in ``jobs`` spawned processes (default: the
    number of CPUs), reporting each as it finishes; return the failures ``[(item, error)]``.

    Examples
    --------
    >>> from fastinit._precompile import precompile
    >>> lines = []
    >>> precompile([], write=lines.append)  # nothing to do: no process is started
    []
    >>> lines[-1]  # doctest: +ELLIPSIS
    'done in ... s: 0 of 0 tasks; the cache folder holds ... files'
    """
    import concurrent.futures as cf
    import multiprocessing
    import tempfile

    from . import config

    jobs = max(1, min(jobs or _cpus(), len(items)))
    if not _can_lock():
        jobs = 1
    cache = config.CACHE_DIR if config.CACHE else "nowhere (FASTINIT_CACHE=0: nothing is kept)"
    write(f"fastinit compile: {len(items)} task{'s' * (len(items) != 1)} in {jobs} "
          f"process{'es' * (jobs != 1)}, into {cache}")  # fmt: skip
    failures = []
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="fastinit-compile-") as tmp:
        lock_path = os.path.join(tmp, "save.lock")
        context = multiprocessing.get_context("spawn")
        with (
            cf.ProcessPoolExecutor(
                jobs, mp_context=context, initializer=_worker_init, initargs=(lock_path,)
            ) as pool,  # fmt: skip
            _progress(len(items), write) as progress,
        ):
            futures = {pool.submit(run_task, item): item for item in items}
            for future in cf.as_completed(futures):
                item = futures[future]
                try:
                    _, seconds = future.result()
                except Exception as error:  # a task failed, or its process died
                    failures.append((item, f"{type(error).__name__}: {error}"))
                    progress.advance(f"{item:<32} FAILED: {type(error).__name__}: {error}")
                else:
                    progress.advance(f"{item:<32} {seconds:6.1f} s")
    files = sum(len(names) for _, _, names in os.walk(config.CACHE_DIR))
    write(f"done in {time.perf_counter() - start:.1f} s: {len(items) - len(failures)} of "
          f"{len(items)} tasks; the cache folder holds {files} files")  # fmt: skip
    return failures
