"""What other processes run: the count that the blocked ``orthogonal`` kernel uses to keep its
BLAS threads off busy cores."""

import subprocess
import sys
import time

import numpy as np
import pytest

from fastinit import _load, _orthogonal, orthogonal

from ._helpers import threads


def _fake_proc(tmp_path, running, states, stat_lines=None):
    """A /proc with ``running`` runnable tasks and this process's threads in ``states``."""
    lines = stat_lines or ["cpu  1 2 3 4", f"procs_running {running}", "procs_blocked 0"]
    (tmp_path / "stat").write_text("\n".join(lines) + "\n")
    for tid, state in enumerate(states, start=100):
        task = tmp_path / "self" / "task" / str(tid)
        task.mkdir(parents=True)
        # a command name holding ") R (" must not be read as the state
        (task / "stat").write_text(f"{tid} (odd) R (name) {state} 1 2 3\n")
    return str(tmp_path)


def test_own_running_threads_are_not_counted(tmp_path):
    proc = _fake_proc(tmp_path, running=5, states=["R", "S", "R", "D"])
    assert _load.others_running(proc) == 3


@pytest.mark.parametrize("running, cores, count, expected",
                         [(0, 2, 2, 2), (1, 2, 2, 1), (2, 2, 2, 1), (9, 2, 4, 1), (1, 8, 4, 4),
                          (6, 8, 4, 2), (3, 2, 1, 1)])  # fmt: skip
def test_free_threads_leaves_the_busy_cores(tmp_path, monkeypatch, running, cores, count, expected):
    monkeypatch.setattr(_load.os, "cpu_count", lambda: cores)
    proc = _fake_proc(tmp_path, running=running + 1, states=["R"])  # +1: the caller itself
    assert _load.free_threads(count, proc) == expected


def test_an_unreadable_system_means_every_thread(tmp_path):
    assert _load.others_running(str(tmp_path / "missing")) == 0
    assert _load.others_running(_fake_proc(tmp_path, 0, [], ["cpu  1 2 3 4"])) == 0
    (tmp_path / "stat").write_text("procs_running many\n")
    assert _load.others_running(str(tmp_path)) == 0


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads Linux's /proc")
def test_a_busy_process_is_seen():
    spinner = subprocess.Popen([sys.executable, "-c", "while True:\n    pass\n"])
    try:
        time.sleep(0.3)
        seen = []
        for _ in range(20):
            seen.append(_load.others_running())
            time.sleep(0.01)
    finally:
        spinner.kill()
        spinner.wait()
    assert max(seen) >= 1


@pytest.mark.parametrize("shape, dtype", [((512, 512), np.float32), ((700, 1000), np.float64)])
def test_a_large_orthogonal_keeps_blas_off_a_busy_core(monkeypatch, shape, dtype):
    """Beside another busy process, the blocked kernel's BLAS runs on the free cores only, with
    the same bits as on every core."""
    import threadpoolctl

    def scipy_blas_threads():
        info = threadpoolctl.threadpool_info()
        return max(i["num_threads"] for i in info if "scipy" in i["filepath"])

    seen = []
    fill = _orthogonal._fill_blocked

    def spy(*args):
        seen.append(scipy_blas_threads())
        return fill(*args)

    monkeypatch.setattr(_orthogonal, "_fill_blocked", spy)
    monkeypatch.setattr(_load.os, "cpu_count", lambda: 2)
    everything = min(2, scipy_blas_threads())
    with threads(2):
        idle = orthogonal(shape, seed=3, dtype=dtype)
        with monkeypatch.context() as m:
            m.setattr(_load, "others_running", lambda proc=None: 1)
            busy = orthogonal(shape, seed=3, dtype=dtype)
    assert seen == [everything, 1]
    np.testing.assert_array_equal(idle, busy)
