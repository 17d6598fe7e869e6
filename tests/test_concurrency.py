"""Kernels called from several Python threads at once, and from a forked child process."""

import os
import sys
import threading

import numpy as np
import pytest

import fastinit

from ._helpers import with_threads


def test_concurrent_threads_give_the_single_threaded_bits():
    results, errors = {}, []

    def work(i):
        try:
            results[i] = fastinit.trunc_normal(300_000, std=0.02, a=-0.04, b=0.04, seed=i)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    for i in range(4):
        expected = fastinit.trunc_normal(300_000, std=0.02, a=-0.04, b=0.04, seed=i)
        assert np.array_equal(results[i], expected)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_forked_child_after_parallel_use():
    parent = fastinit.normal(1_000_000, seed=0)  # the thread pool is running now
    fastinit.clip_grad_norm([parent.reshape(1000, 1000).copy(), parent.copy()], 1.0)
    fastinit.orthogonal((64, 32, 32), batch_ndim=1, seed=1)
    sys.stdout.flush()
    pid = os.fork()
    if pid == 0:  # child: must neither abort nor change a bit
        ok = np.array_equal(parent, fastinit.normal(1_000_000, seed=0))
        grads = [parent.reshape(1000, 1000).copy(), parent[:5000].copy()]
        expected = np.sqrt(sum((g.astype(np.float64) ** 2).sum() for g in grads))
        ok &= bool(np.isclose(fastinit.clip_grad_norm(grads, 1.0), expected, rtol=1e-9))
        fastinit.adaptive_clip([g.copy() for g in grads], grads)
        q = fastinit.orthogonal((64, 32, 32), batch_ndim=1, seed=1)  # the batched kernel
        ok &= bool(np.allclose(q[0] @ q[0].T, np.eye(32), atol=1e-5))
        os._exit(0 if ok else 3)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0


@pytest.mark.parametrize(
    "shape, batch_ndim", [((3, 100, 100), 1), ((64, 16, 16), 1), ((300, 200), 0)]
)
def test_orthogonal_bits_do_not_depend_on_thread_count(shape, batch_ndim):
    def draw():
        return fastinit.orthogonal(shape, batch_ndim=batch_ndim, seed=3, dtype=np.float64)

    one, many = with_threads(1, draw), with_threads(4, draw)
    assert np.array_equal(one, many)
