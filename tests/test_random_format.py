"""The stream format has one definition (``kernels/stream_format.py``) that both layers use."""

import inspect
import os
import subprocess
import sys

import numpy as np
from fastinit.kernels import stream_format, streams
from numba import types

from fastinit import random as fr

KINDS = ["UNIFORM", "NORMAL", "TRUNCATED", "TRUNCATED_INVCDF"]
SAMPLERS = ["TRUNC_NORMAL", "TRUNC_UNIFORM", "TRUNC_EXP"]


def _parameters(kernel):
    return list(inspect.signature(kernel.py_func).parameters)


def test_both_layers_read_the_same_constants():
    assert fr._format is stream_format
    for name in [*KINDS, *SAMPLERS[:2], "GROUP"]:  # TRUNC_EXP: the kernels' last branch
        assert getattr(streams, name) is getattr(stream_format, name), name
    fills = [streams.fill_uniform, streams.fill_normal, streams.fill_truncated]
    fills.append(streams.fill_truncated_invcdf)
    assert streams.FILL == {getattr(stream_format, k): f for k, f in zip(KINDS, fills, strict=True)}
    assert len({getattr(stream_format, k) for k in KINDS}) == len(KINDS)
    assert len({getattr(stream_format, k) for k in SAMPLERS}) == len(SAMPLERS)


def test_named_fields_are_the_kernels_parameter_names():
    params = list(stream_format.Params._fields)
    retry = list(stream_format.Retry._fields)
    for kernel in (streams.values_f32, streams.values_f64):
        assert _parameters(kernel)[-len(params) :] == params, kernel
    superblock = _parameters(streams._superblock_f32)
    assert superblock[superblock.index("kind") + 1 :] == params
    retried = _parameters(streams._replace_rejected)
    assert retried[retried.index("p0") :] == params + retry[1:]
    assert retried[retried.index("mode")] == retry[0]
    task = inspect.getsource(streams._fill_task.py_func)
    assert f"{', '.join(params)} = params" in task
    assert f"{', '.join(retry)} = retry" in task


def test_the_kernels_get_plain_tuples_of_floats():
    """Named tuples stay in the public layer: the fill kernels are compiled for plain tuples
    (a named tuple would be another Numba type, compiled again), also where householder.py
    calls them from compiled code."""
    for dtype in (np.float32, np.float64):
        fr.uniform(5, seed=0, dtype=dtype)
        fr.normal(5, seed=0, dtype=dtype)
        fr.trunc_normal(5, 0.0, 1.0, 3.0, 4.0, seed=0, dtype=dtype)
    fr.trunc_normal(5, seed=0)
    plain = types.UniTuple(types.float64, 6)
    retry = types.Tuple((types.int64, types.float64, types.float64))
    for kind, kernel in streams.FILL.items():
        assert kernel.signatures, kind
        for signature in kernel.signatures:
            assert signature[3] == plain, (kind, signature)
            expected = retry if kind == stream_format.TRUNCATED else types.none
            assert signature[4] == expected, (kind, signature)


def test_the_public_layer_reads_the_format_without_numba():
    code = "import sys, fastinit.random; print('numba' in sys.modules)"
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=root, check=True
    )
    assert result.stdout.strip() == "False"
