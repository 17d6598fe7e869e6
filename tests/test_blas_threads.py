"""fastinit._blas.threads: callers asking for the same BLAS thread count run at once, others
wait their turn in arrival order, and the libraries get their setting back from the last one
out, after an error too."""

import threading
import time

import pytest
import threadpoolctl

from fastinit import _blas

TIMEOUT = 10.0


def blas_threads():
    """The thread count of each BLAS library loaded (NumPy's and scipy's)."""
    _blas._libraries()  # both libraries loaded before anyone reads them
    return sorted(
        i["num_threads"] for i in threadpoolctl.threadpool_info() if i["user_api"] == "blas"
    )


@pytest.fixture
def two_blas_threads():
    libs = _blas._libraries()
    before = [lib.num_threads for lib in libs]
    for lib in libs:
        _blas._set(lib, 2)
    yield
    for lib, count in zip(libs, before, strict=True):
        _blas._set(lib, count)


def _wait_for(condition):
    deadline = time.monotonic() + TIMEOUT
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.001)


def test_callers_asking_for_the_same_count_run_at_once(two_blas_threads):
    both_inside = threading.Barrier(2, timeout=TIMEOUT)
    seen = []

    def caller():
        with _blas.threads(1):
            both_inside.wait()  # breaks (and raises) if the other caller cannot come in
            seen.append(blas_threads())

    workers = [threading.Thread(target=caller) for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(TIMEOUT)
    assert seen == [[1, 1], [1, 1]]
    assert blas_threads() == [2, 2]


def test_another_count_waits_and_callers_enter_in_arrival_order(two_blas_threads):
    release = threading.Event()
    order = []

    def caller(name, count, hold=False):
        with _blas.threads(count):
            order.append((name, blas_threads()))
            if hold:
                assert release.wait(TIMEOUT)

    first = threading.Thread(target=caller, args=("first", 1, True))
    first.start()
    _wait_for(lambda: order)
    # "as set" comes next: it waits for the first caller; a later caller asking for one thread,
    # what the first caller holds, waits behind it rather than joining the first
    issued = _blas._issued
    second = threading.Thread(target=caller, args=("as set", None))
    second.start()
    _wait_for(lambda: _blas._issued == issued + 1)
    third = threading.Thread(target=caller, args=("third", 1))
    third.start()
    _wait_for(lambda: _blas._issued == issued + 2)
    assert [name for name, _ in order] == ["first"]
    release.set()
    for worker in (first, second, third):
        worker.join(TIMEOUT)
    assert order == [("first", [1, 1]), ("as set", [2, 2]), ("third", [1, 1])]
    assert blas_threads() == [2, 2] and _blas._inside == 0


def test_the_setting_comes_back_after_an_error(two_blas_threads):
    with pytest.raises(RuntimeError, match="inside"):
        with _blas.threads(1):
            assert blas_threads() == [1, 1]
            raise RuntimeError("inside")
    assert blas_threads() == [2, 2] and _blas._inside == 0
    with _blas.threads(None):  # the next caller is not kept waiting
        assert blas_threads() == [2, 2]


def test_fastinit_keeps_no_hold_on_openblas_after_its_block(two_blas_threads):
    """threadpoolctl lets one thread at a time change OpenBLAS's count; after fastinit's block in
    this thread, a limit set in another thread still takes effect."""
    with _blas.threads(1):
        pass
    seen = []

    def other():
        with threadpoolctl.threadpool_limits(1, user_api="blas"):
            seen.append(blas_threads())

    worker = threading.Thread(target=other)
    worker.start()
    worker.join(TIMEOUT)
    assert seen == [[1, 1]] and blas_threads() == [2, 2]
