"""Small helpers shared by test modules of different areas."""

import contextlib
from unittest import mock

from fastinit import _load, config


@contextlib.contextmanager
def threads(n):
    """fastinit's thread count set to ``n`` inside the block, the previous count restored after,
    as on an idle machine: the work that leaves busy cores alone (``fastinit._load``) does not
    see what else runs beside the tests."""
    before = config.thread_count()
    try:
        config.set_num_threads(n)
        with mock.patch.object(_load, "others_running", return_value=0):
            yield
    finally:
        config.set_num_threads(before)


def with_threads(n, fn):
    """``fn()`` run on ``n`` threads (comparing a result on one thread and on several is how the
    tests check that results do not depend on the thread count)."""
    with threads(n):
        return fn()
