"""Small helpers shared by test modules of different areas."""

from fastinit import config


def with_threads(n, fn):
    """``fn()`` run with fastinit's thread count set to ``n``, the previous count restored after
    (comparing a result on one thread and on several is how the tests check that results do not
    depend on the thread count)."""
    before = config.thread_count()
    try:
        config.set_num_threads(n)
        return fn()
    finally:
        config.set_num_threads(before)
