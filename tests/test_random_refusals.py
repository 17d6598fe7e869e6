"""Refusals: bad arguments, values beyond the output dtype's range and absurd sizes raise a named
ValueError or TypeError before anything is written, allocated or drawn from a Generator."""

import copy

import numpy as np
import pytest

from fastinit import random as fr

from .refusals import refused_writing_nothing


@pytest.mark.parametrize(
    "call, error, fragment",
    [
        (lambda out: fr.normal((3, 3), std=-1, out=out), ValueError, "std"),
        (lambda out: fr.uniform((3, 3), 2, 1, out=out), ValueError, "low"),
        (lambda out: fr.trunc_normal((3, 3), a=1, b=-1, out=out), ValueError, "a must be <= b"),
        (lambda out: fr.normal((3, 4), out=out), ValueError, "shape"),
        (lambda out: fr.normal((3, 3), mean=float("nan"), out=out), ValueError, "mean"),
        (lambda out: fr.normal((3, 3), seed=-1, out=out), ValueError, "seed"),
        (lambda out: fr.normal((3, 3), seed="x", out=out), TypeError, "seed"),
        (lambda out: fr.normal((3, 3), dtype=np.float64, out=out), TypeError, "dtype"),
    ],
)
def test_errors_write_nothing(call, error, fragment):
    refused_writing_nothing(call, error, fragment, shape=(3, 3), fill=7.0)


def test_bad_dtype_and_out():
    with pytest.raises(TypeError, match="dtype"):
        fr.normal(3, dtype=np.int32)
    with pytest.raises(TypeError, match="out"):
        fr.normal(3, out=np.zeros(3, np.int64))
    with pytest.raises(TypeError, match="out"):
        fr.normal(3, out=[0.0, 0.0, 0.0])
    ro = np.zeros(3, np.float32)
    ro.flags.writeable = False
    with pytest.raises(ValueError, match="read-only"):
        fr.normal(3, out=ro)
    with pytest.raises(ValueError, match="negative"):
        fr.normal((3, -1))
    with pytest.raises(ValueError, match="distribution"):
        fr.block("cauchy", 0, 3)
    with pytest.raises(ValueError, match="start"):
        fr.block("normal", 5, 3)
    with pytest.raises(TypeError, match="unknown parameters"):
        fr.block("normal", 0, 3, low=1.0)


@pytest.mark.parametrize(
    "dtype, low, high",
    [(np.float64, -1e308, 1e308), (np.float32, -3e38, 3e38), (np.float16, -3e38, 3e38)],
)
def test_uniform_refuses_a_width_that_overflows(dtype, low, high):
    out = np.zeros(4, dtype)
    with pytest.raises(ValueError, match="high - low overflows"):
        fr.uniform(None, low, high, out=out, seed=0)
    assert not out.any()
    assert np.isfinite(fr.uniform(4, -3e38, 3e38, dtype=np.float64, seed=0)).all()


# ------------------------------------------------------------- the output dtype's range ---


@pytest.mark.parametrize(
    "call, name",
    [
        (lambda out: fr.uniform(None, 0, 1e5, out=out), "high"),
        (lambda out: fr.uniform(None, -1e5, 0, out=out), "low"),
        (lambda out: fr.normal(None, 1e5, 1.0, out=out), "mean"),
        (lambda out: fr.normal(None, 0.0, 1e4, out=out), "std"),
        (lambda out: fr.trunc_normal(None, 0, 1, -1e5, 0.0, out=out), "a"),
        (lambda out: fr.trunc_normal(None, 0, 1, 0.0, 1e5, out=out), "b"),
        (lambda out: fr.trunc_normal(None, 0, 1e4, 0.0, np.inf, out=out), "std"),
        (lambda out: fr.trunc_normal(None, 7e4, 1.0, -np.inf, np.inf, out=out), "mean"),
    ],
)
def test_bounds_beyond_float16_are_refused(call, name):
    """uniform(n, 0, 1e5, dtype=float16) returned 65504 (then inf) for a third of its values."""
    out = np.full(8, 3.0, np.float16)
    with pytest.raises(ValueError, match=rf"\b{name}\b.*float16"):
        call(out)
    assert (out == 3.0).all()


def test_bounds_beyond_float32_are_refused_and_float64_takes_them():
    with pytest.raises(ValueError, match="high"):
        fr.uniform(4, 0.0, 1e39, seed=0)
    with pytest.raises(ValueError, match="std"):
        fr.normal(4, 0.0, 1e38, seed=0)
    with pytest.raises(ValueError, match=r"\ba\b"):
        fr.trunc_normal(4, 0.0, 1.0, 1e155, 1e156, seed=0)
    assert fr.uniform(4, 0.0, 1e39, seed=0, dtype=np.float64).max() < 1e39
    # a window that float16 holds needs no check of mean and std: values stay inside it
    x = fr.trunc_normal(1000, 1e6, 1.0, -2.0, 2.0, seed=0, dtype=np.float16)
    assert (x == 2.0).all()


# -------------------------------------------------------------- sizes, Generators, junk ---


def test_absurd_sizes_are_refused_before_allocating():
    with pytest.raises(ValueError, match="shape.*would need"):
        fr.normal((10**6, 10**6), seed=0)
    with pytest.raises(ValueError, match="stop.*would need"):
        fr.block("normal", 0, 10**13, seed=0)
    rng = np.random.default_rng(0)
    state = copy.deepcopy(rng.bit_generator.state)
    with pytest.raises(ValueError, match="shape"):
        fr.uniform((10**6, 10**6), seed=rng, dtype=np.float16)
    assert rng.bit_generator.state == state


@pytest.mark.parametrize(
    "call",
    [
        lambda rng: fr.normal((3, 3), seed=rng, out=np.zeros((3, 4), np.float32)),
        lambda rng: fr.uniform((3, 3), 1.0, 0.0, seed=rng),
        lambda rng: fr.trunc_normal(3, seed=rng, dtype=np.int8),
        lambda rng: fr.block("normal", 0, 3, seed=rng, tag=-1),
        lambda rng: fr.block("normal", 0, 3, seed=rng, std=-1.0),
    ],
)
def test_a_refused_call_leaves_the_generator_as_it_was(call):
    rng = np.random.default_rng(0)
    state = copy.deepcopy(rng.bit_generator.state)
    with pytest.raises((ValueError, TypeError)):
        call(rng)
    assert rng.bit_generator.state == state


def test_junk_options_name_their_argument():
    with pytest.raises(TypeError, match="distribution"):
        fr.block(np.array([1, 2]), 0, 3)
    with pytest.raises(TypeError, match="dtype"):
        fr.normal(None, out=np.zeros(3, np.float32), dtype="not a dtype")
    with pytest.raises(TypeError, match="out"):
        fr.normal(None, out=[0.0, 0.0])


def test_found_by_the_sweep():
    """A dtype string NumPy cannot parse raised its ValueError/SyntaxError unnamed; an empty
    shape with a dimension NumPy cannot hold raised NumPy's anonymous 'too big' error."""
    for junk in ["0\x1b", "(", "f4,,"]:
        with pytest.raises(TypeError, match="dtype"):
            fr.normal(3, dtype=junk)
    for shape in [(0, 2**63), (0, 2**62, 4)]:
        with pytest.raises(ValueError, match="shape"):
            fr.uniform(shape, seed=0)


def test_bounds_both_beyond_the_compute_dtype_are_refused_without_a_warning():
    """uniform((), 1e39, 1e308) warned 'invalid value encountered' (inf - inf) on its way."""
    with pytest.raises(ValueError, match="high - low"):
        fr.uniform((), 1e39, 1e308, seed=0)
