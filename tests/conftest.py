"""Fixtures shared by test modules (pytest finds them here by name)."""

import pytest

from fastinit import config

from ._helpers import threads


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
