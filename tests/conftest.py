"""Fixtures shared by test modules (pytest finds them here by name)."""

import pytest

from fastinit import _threads, config

from ._helpers import threads


@pytest.fixture(autouse=True)
def ignore_machine_load(monkeypatch):
    """Kernels that give way to other tasks on a busy machine (``_threads.unloaded``) keep their
    threads in tests: on a loaded test machine, the threaded code would otherwise go untested.
    ``tests/test_threads.py`` reads the load on purpose."""
    monkeypatch.setattr(_threads, "_runnable_tasks", lambda: None)


@pytest.fixture(params=[False, True], ids=["serial", "tasks"])
def split(request, monkeypatch):
    """Run a clipping test on one thread and with the work split into many small tasks."""
    if request.param:
        monkeypatch.setattr(config, "CLIP_PARALLEL_MIN", 5)
    return request.param


@pytest.fixture
def two_threads():
    """Run a test with two threads, whatever the machine's default."""
    with threads(2):
        yield
