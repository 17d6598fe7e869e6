"""``out=``: arrays filled in place (strided, float16, np.matrix, torch views), the same bits as
a new array, and float16 and strided outputs filled in pieces, without a copy of the whole."""

import math
import subprocess
import sys

import numpy as np
import pytest

from fastinit import _output
from fastinit import random as fr


def test_out_contiguous_is_filled_in_place():
    out = np.empty((30, 40), np.float32)
    result = fr.normal(None, seed=2, out=out)
    assert result is out and np.array_equal(out, fr.normal((30, 40), seed=2))


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_out_strided_and_half(dtype):
    base = np.zeros((40, 60), dtype)
    view = base[::2, 1::3]
    result = fr.uniform(view.shape, -1, 1, seed=3, out=view)
    assert result is view
    expected = fr.uniform(view.shape, -1, 1, seed=3, dtype=dtype)
    assert np.array_equal(view, expected)
    assert np.all(base[1::2] == 0)


def test_out_torch_tensor_view():
    torch = pytest.importorskip("torch")
    t = torch.empty(64, 32)
    fr.normal(t.shape, seed=4, out=t.numpy())
    assert np.array_equal(t.numpy(), fr.normal((64, 32), seed=4))


@pytest.mark.filterwarnings("ignore::PendingDeprecationWarning")  # np.matrix
@pytest.mark.parametrize("fn", [fr.uniform, fr.normal, fr.trunc_normal])
def test_matrix_out_is_filled_in_place(fn):
    """An np.matrix out= was a Numba TypingError."""
    m = np.asmatrix(np.zeros((3, 5), np.float32))
    assert fn(None, seed=1, out=m) is m
    assert np.array_equal(np.asarray(m), fn((3, 5), seed=1))


def test_blocked_half_and_strided_fills_equal_the_contiguous_fill():
    """Outputs that the kernels cannot fill directly go through pieces of a few MB; the bits
    are those of the contiguous float32 fill, piece edges included."""
    n = 2 * (_output.PIECE_BYTES // 4) + 12345  # three pieces, the last one partial
    whole = fr.normal(n, seed=7)
    assert np.array_equal(fr.normal(n, seed=7, dtype=np.float16), whole.astype(np.float16))
    base = np.zeros(2 * n, np.float32)
    assert fr.normal(None, seed=7, out=base[::2]) is not None
    assert np.array_equal(base[::2], whole) and not base[1::2].any()
    # 2-D: rows longer than a piece, and rows much shorter than one
    for shape in [(2, n // 2), (n // 5, 5)]:
        size = math.prod(shape)
        out = np.zeros(shape[::-1], np.float32).T  # F-ordered
        fr.trunc_normal(None, 0.0, 1.0, -1.0, 3.0, seed=8, out=out)
        expected = fr.trunc_normal(size, 0.0, 1.0, -1.0, 3.0, seed=8)
        assert np.array_equal(out.reshape(-1), expected)
    # float16 uniforms are capped below high in float16 (the float32 stream is not)
    half = fr.uniform(n, -1, 1, seed=9, dtype=np.float16)
    top = np.nextafter(np.float16(1), np.float16(0))
    assert np.array_equal(half, np.minimum(fr.uniform(n, -1, 1, seed=9).astype(np.float16), top))
    assert np.array_equal(
        fr.block("normal", 5, n, seed=7, dtype=np.float16), whole[5:].astype(np.float16)
    )


_PEAKS = """
import tracemalloc
import numpy as np
from fastinit import random as fr

n = 1 << 24
base = np.empty(2 * (1 << 23), np.float32)
fr.normal(n, seed=0, dtype=np.float16)  # kernels loaded (or compiled) before the count starts
fr.normal(None, seed=0, out=base[::2])
tracemalloc.start()
half = fr.normal(n, seed=0, dtype=np.float16)
print(tracemalloc.get_traced_memory()[1] - half.nbytes)
del half
tracemalloc.reset_peak()
fr.normal(None, seed=0, out=base[::2])
print(tracemalloc.get_traced_memory()[1])
"""


def test_half_and_strided_fills_make_no_copy_of_the_output():
    """normal(2**28, dtype=float16) peaked at a float32 copy of the whole output (+1.5 GB) and
    a strided out= at a contiguous copy of it; now the work space is one piece (4 MiB).
    Measured in a process of its own: tracemalloc counts every thread's allocations, and
    threads that earlier tests leave behind (a dask cluster's) allocate while they wind down."""
    done = subprocess.run([sys.executable, "-c", _PEAKS], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    half_extra, strided = (int(line) for line in done.stdout.split())
    assert half_extra < 6 * 2**20
    assert strided < 6 * 2**20
