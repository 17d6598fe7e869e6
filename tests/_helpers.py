"""Small helpers shared by test modules of different areas."""

import contextlib

from fastinit import config


@contextlib.contextmanager
def threads(n):
    """fastinit's thread count set to ``n`` inside the block, the previous count restored after."""
    before = config.thread_count()
    try:
        config.set_num_threads(n)
        yield
    finally:
        config.set_num_threads(before)


def with_threads(n, fn):
    """``fn()`` run on ``n`` threads (comparing a result on one thread and on several is how the
    tests check that results do not depend on the thread count)."""
    with threads(n):
        return fn()
