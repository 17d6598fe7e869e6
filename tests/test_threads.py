"""The thread runner: every task exactly once, errors raised, same results for any thread count."""

import os
import threading

import numpy as np
import pytest

import fastinit
from fastinit import _threads, config
from tests._helpers import with_threads


@pytest.mark.parametrize("ntasks, grain, threads", [(1, 1, 4), (10, 3, 2), (97, 5, 4), (64, 64, 8)])
def test_every_task_runs_once(ntasks, grain, threads):
    seen = np.zeros(ntasks, np.int64)
    lock = threading.Lock()

    def mark(seen, lo, hi):
        with lock:
            seen[lo:hi] += 1

    _threads.run(mark, ntasks, seen, grain=grain, threads=threads)
    assert seen.tolist() == [1] * ntasks


def test_no_tasks_calls_nothing():
    calls = []
    _threads.run(lambda lo, hi: calls.append((lo, hi)), 0, threads=4)
    assert calls == []


def test_an_error_in_a_chunk_is_raised_after_all_threads_stop():
    done = []

    def fail_on_third(lo, hi):
        if lo == 2:
            raise RuntimeError("chunk 2")
        done.append(lo)

    with pytest.raises(RuntimeError, match="chunk 2"):
        _threads.run(fail_on_third, 8, grain=1, threads=3)


def test_set_num_threads_validates():
    before = config.thread_count()
    for bad in (0, -1, 1.5, "2"):
        with pytest.raises((TypeError, ValueError), match="n"):
            config.set_num_threads(bad)
    assert config.thread_count() == before


def test_norms_are_bit_identical_for_any_thread_count():
    rng = np.random.default_rng(0)
    sizes = ((3_000_001, 3), (777, -5), (1_500_000, 0))
    arrays = [rng.standard_normal(n) * 10.0**e for n, e in sizes]
    arrays.append(rng.standard_normal((700, 900)).astype(np.float32)[:, ::2])
    one = with_threads(1, lambda: [fastinit.global_norm(arrays, p) for p in (1.0, 2.0, 3.0)])
    many = with_threads(4, lambda: [fastinit.global_norm(arrays, p) for p in (1.0, 2.0, 3.0)])
    assert one == many


def test_a_run_inside_a_task_is_serial():
    """Work split at an outer level (the tensors of a model) is not split again inside."""
    import threading

    from fastinit import _threads

    seen = []

    def inner(lo, hi):
        seen.append(threading.current_thread().name)

    def outer(lo, hi):
        for _ in range(lo, hi):
            _threads.run(inner, 8, grain=1, threads=2)

    _threads.run(outer, 4, grain=1, threads=2)
    assert len(seen) == 4  # each inner run: one serial call over its 8 tasks
    _threads.run(inner, 8, grain=1, threads=2)  # outside a task: split again
    assert len(seen) > 5


@pytest.mark.parametrize(
    "runnable, cpus, expected",
    [(1, 2, 2), (2, 2, 1), (3, 2, 1), (9, 2, 1), (3, 8, 2), (7, 8, 2), (8, 8, 1), (None, 2, 2)],
)
def test_unloaded_gives_way_to_other_running_tasks(monkeypatch, runnable, cpus, expected):
    """One thread less per CPU that another task needs now (the caller is one of the running
    tasks); never below one; unchanged where the load is unknown."""
    monkeypatch.setattr(_threads, "_runnable_tasks", lambda: runnable)
    monkeypatch.setattr(_threads.os, "cpu_count", lambda: cpus)
    assert _threads.unloaded(2) == expected
    assert _threads.unloaded(1) == 1


def test_the_load_is_read_where_linux_gives_it(monkeypatch):
    monkeypatch.undo()  # the autouse fixture hides the load from every other test
    runnable = _threads._runnable_tasks()
    if runnable is None:
        pytest.skip("no /proc/loadavg here")
    assert runnable >= 1  # this test is running


def test_clipping_on_a_busy_machine_runs_on_one_thread_with_the_same_bits(monkeypatch):
    grads = tuple(
        np.random.default_rng(0).standard_normal(3000).astype(np.float32) for _ in range(3)
    )
    monkeypatch.setattr(config, "CLIP_PARALLEL_MIN", 5)
    monkeypatch.setattr(config, "CLIP_TASK_ELEMENTS", 256)
    from fastinit import _arrays

    def clipped(runnable):
        monkeypatch.setattr(_threads, "_runnable_tasks", lambda: runnable)
        assert _arrays.table(grads, "grads", False).threads == (1 if runnable else 2)
        copies = [g.copy() for g in grads]
        return fastinit.clip_grad_norm(copies, 1.0), copies

    idle = with_threads(2, lambda: clipped(None))
    busy = with_threads(2, lambda: clipped(os.cpu_count() + 1))
    assert idle[0] == busy[0]
    assert all(np.array_equal(a, b) for a, b in zip(idle[1], busy[1], strict=True))


def test_ignoring_load_keeps_every_thread(monkeypatch):
    """``fastinit compile`` runs beside its own busy processes and must still compile the
    threaded kernels."""
    monkeypatch.setattr(_threads, "_runnable_tasks", lambda: 99)
    assert _threads.unloaded(2) == 1
    with _threads.ignoring_load():
        assert _threads.unloaded(2) == 2
    assert _threads.unloaded(2) == 1
