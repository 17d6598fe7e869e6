"""Bad-input sweep of the residual stacks, depth-aware schemes and muP (opt-in: ``-m sweep``).

The companion of tests/test_sweep_propagation.py, with the same rules: each call returns, or
refuses with a ValueError/TypeError naming an argument and leaves every input as it was. Each
case takes valid values for every argument but a few (none, one or two), which get junk or
out-of-range values instead, so that the calls that go ahead are swept as well as the
refusals. Everything is tiny (widths <= 8, depth <= 3, seq_len <= 4, batch <= 2, one or two
training steps) so that a case runs in milliseconds, and the junk integers that a size would
accept (a depth of 5000) are left out of the junk: they are valid, only slow. Absurd sizes stay
in, and must be refused before anything is allocated (the memory limit of ``fits_in_memory``
is lowered to 64 MiB here too).
"""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import fastinit.propagation as prop
from tests.sweep import SWEEP, call, junk, memory_limit

pytestmark = pytest.mark.sweep

MEMORY_LIMIT = 64 << 20


small_memory = memory_limit(MEMORY_LIMIT)


# ---------------------------------------------------------------------------- strategies ---
@st.composite
def arguments(draw, valid, wrong, most=2):
    """Keyword arguments: each from ``valid``, except a few (none, one or two) from ``wrong``
    (whose names may also be arguments that ``valid`` leaves out, given only to be refused)."""
    bad = draw(st.sets(st.sampled_from(sorted(wrong)), max_size=most))
    names = [*valid, *(name for name in sorted(bad) if name not in valid)]
    return {name: draw(wrong[name] if name in bad else valid[name]) for name in names}


def _slow_but_valid(value):
    """An integer a size accepts and that only makes a case slow (junk draws them)."""
    return (
        isinstance(value, (int, np.integer)) and not isinstance(value, bool) and 8 < value < 10**9
    )


absurd = st.sampled_from([10**9, 2**40, 2**63, 2**64, 10**30, 10**400])
# wrong sizes: junk (without slow valid integers), zero and negative ones, absurd ones
bad_counts = st.one_of(
    junk().filter(lambda v: not _slow_but_valid(v)), st.sampled_from([0, -1, -(2**63)]), absurd
)


def wrong(*values):
    """Junk, or one of ``values`` (out of range for the argument)."""
    return st.one_of(junk(), st.sampled_from(values)) if values else junk()


small_floats = st.floats(0.0, 4.0)
variances = st.one_of(small_floats, st.lists(small_floats, max_size=2), st.just(1e300))
bad_variances = wrong(-1.0, math.nan, math.inf, [1.0, -1.0], [[1.0], [1.0, 2.0]])
multipliers = st.one_of(st.floats(-2.0, 2.0), st.lists(st.floats(-2.0, 2.0), max_size=2))
seeds = st.one_of(
    st.none(),
    st.integers(0, 2**64),
    st.integers(0, 10).map(np.random.default_rng),
    st.integers(0, 10).map(np.random.SeedSequence),
)
bad_seeds = wrong(-1, 1.5, "0", np.random.RandomState(0))

MLP_VALID = {
    "activation": st.sampled_from(["relu", "tanh", "gelu", "linear", "elu"]),
    "ratio": st.sampled_from([0.5, 1.0, 2.0, 1e-300, 1e308]),
    "sigma_w2": variances,
    "sigma_o2": variances,
    "param": st.none(),
}
MLP_WRONG = {
    "activation": wrong("swish", "ReLU", "relu "),
    "ratio": wrong(0.0, -1.0, math.inf),
    "sigma_w2": bad_variances,
    "sigma_o2": bad_variances,
    "param": wrong(1e101, -1e300),
}
ATTENTION_VALID = {
    "heads": st.sampled_from([1, 2, 4]),
    "scale": st.sampled_from([None, 0.5, 1e200, 1e-300]),
    "sigma_qk2": variances,
    "sigma_v2": variances,
    "sigma_o2": variances,
}
ATTENTION_WRONG = {
    "heads": bad_counts,
    "scale": wrong(0.0, -1.0, math.nan),
    "sigma_qk2": bad_variances,
    "sigma_v2": bad_variances,
    "sigma_o2": bad_variances,
}


@st.composite
def valid_branches(draw, variance, heads=(1, 2, 4)):
    """An MLPBranch or AttentionBranch of valid fields (``heads`` dividing the stack's width)."""
    if draw(st.booleans()):
        return prop.MLPBranch(
            draw(st.sampled_from(["relu", "tanh", "gelu", "linear"])),
            ratio=draw(st.sampled_from([0.5, 1.0, 2.0])), sigma_w2=draw(variance),
            sigma_o2=draw(variance),
        )  # fmt: skip
    return prop.AttentionBranch(
        heads=draw(st.sampled_from(heads)), scale=draw(st.sampled_from([None, 0.5, 1e200])),
        sigma_qk2=draw(variance), sigma_v2=draw(variance), sigma_o2=draw(variance),
    )  # fmt: skip


def branch_lists(variance):
    return st.one_of(
        valid_branches(variance), st.lists(valid_branches(variance), min_size=1, max_size=2)
    )


STACK_VALID = {
    "branches": branch_lists(variances),
    "depth": st.integers(1, 3),
    "width": st.sampled_from([4, 8]),
    "seq_len": st.integers(1, 4),
    "norm": st.sampled_from(["layer", "rms", None]),
    "position": st.sampled_from(["pre", "post"]),
    "alpha": multipliers,
    "beta": multipliers,
}
STACK_WRONG = {
    "branches": st.one_of(
        junk(),
        st.lists(st.one_of(valid_branches(variances), junk()), max_size=3),
        # heads that do not divide the width, a hidden width beyond int64
        st.sampled_from([prop.AttentionBranch(heads=3), prop.MLPBranch(ratio=1e308)]),
    ),
    "depth": bad_counts,
    "width": st.one_of(bad_counts, st.just(6)),
    "seq_len": bad_counts,
    "norm": wrong("batch", "Layer"),
    "position": wrong("Pre", "middle"),
    "alpha": wrong(math.nan, [1.0, math.inf]),
    "beta": wrong(-math.inf),
}


def stacks(scalar):
    """Valid tiny stacks: with scalar settings only when ``scalar`` (what simulate() takes);
    now and then a variance of 1e300, whose weights no float dtype holds."""
    if not scalar:
        return st.builds(prop.ResidualStack, **STACK_VALID)
    variance = st.one_of(small_floats, st.just(1e300))
    fields = STACK_VALID | {"branches": branch_lists(variance), "alpha": st.floats(-2, 2),
                            "beta": st.floats(-2, 2)}  # fmt: skip
    return st.builds(prop.ResidualStack, **fields)


def run(fn, args, kwargs, names=()):
    return call(fn, args, kwargs, names=[*names, *kwargs])


# --------------------------------------------------------------------------- construction ---
@SWEEP
@given(kwargs=arguments(MLP_VALID, MLP_WRONG))
def test_MLPBranch(kwargs):  # noqa: N802 - named after the class swept
    res, error = run(prop.MLPBranch, (), kwargs)
    if error is None:
        assert isinstance(res.activation, str) and res.ratio > 0
        assert all(np.all(np.asarray(v) >= 0) for v in res.variances())


@SWEEP
@given(kwargs=arguments(ATTENTION_VALID, ATTENTION_WRONG))
def test_AttentionBranch(kwargs):  # noqa: N802
    res, error = run(prop.AttentionBranch, (), kwargs)
    if error is None:
        assert isinstance(res.heads, int) and res.heads >= 1
        assert res.scale is None or res.scale > 0


@SWEEP
@given(kwargs=arguments(STACK_VALID, STACK_WRONG))
def test_ResidualStack(kwargs):  # noqa: N802
    # a branch's own field is named when the stack refuses it (heads against width, ratio)
    res, error = run(prop.ResidualStack, (), kwargs, ("heads", "ratio"))
    if error is None:
        assert isinstance(res.branches, tuple) and res.branches
        assert res.sublayers == res.depth * len(res.branches)
        assert res.norm in ("layer", "rms", None) and res.position in ("pre", "post")


# ------------------------------------------------------------------- theory and simulate ---
THEORY_VALID = {
    "q0": st.one_of(small_floats, st.lists(small_floats, min_size=1, max_size=2)),
    "c0": st.one_of(st.floats(-1.0, 1.0), st.lists(st.floats(-1.0, 1.0), max_size=2)),
}
THEORY_WRONG = {
    "q0": wrong(-1.0, math.inf, [1.0, 2.0, 3.0]),
    "c0": wrong(1.5, -1.01, [0.0, math.nan], [0.1, 0.2, 0.3]),
    # what the activation form takes and a stack does not (None and sigma_b2=0 are accepted)
    "sigma_w2": junk(),
    "sigma_b2": junk(),
    "depth": junk(),
    "widths": junk(),
    "param": junk(),
}


@SWEEP
@given(stack=stacks(scalar=False), kwargs=arguments(THEORY_VALID, THEORY_WRONG))
def test_theory_of_a_stack(stack, kwargs):
    res, error = run(prop.theory, (stack,), kwargs, ("activation",))
    if error is None:
        arrays = [*stack.grid_arrays(), kwargs["q0"], kwargs["c0"]]
        shape = np.broadcast_shapes(*(np.shape(a) for a in arrays))
        for values in (res.q, res.c, res.grad_var, res.grad_corr):
            assert values.shape == shape + (stack.depth + 1,)
        np.testing.assert_array_equal(res.grad_var[..., -1], 1.0)


SIMULATE_VALID = {
    "batch": st.integers(1, 2),
    "n_networks": st.integers(1, 2),
    "seed": seeds,
    "q0": small_floats,
    "c0": st.floats(0.0, 1.0),
    "dtype": st.sampled_from([np.float32, np.float64, "float64"]),
}
SIMULATE_WRONG = {
    "batch": bad_counts,
    "n_networks": bad_counts,
    "seed": bad_seeds,
    "q0": wrong(-1.0, math.inf, [1.0]),
    "c0": wrong(-0.5, 1.5, [0.5]),
    "dtype": wrong(np.float16, np.int32, "float"),
}


@SWEEP
@given(
    stack=st.one_of(stacks(scalar=True), stacks(scalar=False)),
    kwargs=arguments(SIMULATE_VALID, SIMULATE_WRONG),
)
def test_simulate_of_a_stack(stack, kwargs):
    # a stack's own settings are named when they cannot be simulated (arrays, huge variances)
    res, error = run(prop.simulate, (stack,), kwargs, ("alpha", "beta", "sigma"))
    if error is None:
        shape = (kwargs["n_networks"], stack.depth + 1)
        assert res.q.shape == res.c.shape == res.grad_var.shape == shape
        np.testing.assert_array_equal(res.grad_var[:, -1], 1.0)


@SWEEP
@given(
    stack=stacks(scalar=True),
    extra=st.fixed_dictionaries({}, optional={
        "activation": junk(), "init": junk(),
        "init_kwargs": junk(), "param": junk(),
    }),
)  # fmt: skip
def test_simulate_of_a_stack_refuses_the_mlp_arguments(stack, extra):
    # what the widths form takes and a stack does not: refused by name (None is the default)
    res, error = run(prop.simulate, (stack,), extra | {"batch": 1}, ("sigma",))
    if error is None:
        assert all(v is None for v in extra.values())


# ---------------------------------------------------------------------- depth-aware schemes ---
layer_counts = st.one_of(st.integers(1, 10**6), st.integers(2**63 - 2, 2**63 - 1))
bad_layer_counts = st.one_of(bad_counts, st.integers(2**63, 2**65), st.sampled_from([2.0, True]))


@SWEEP
@given(
    scheme=st.sampled_from([prop.deepnorm, prop.tfixup]),
    kwargs=arguments(
        {"encoder_layers": st.one_of(st.none(), layer_counts),
         "decoder_layers": st.one_of(st.none(), layer_counts)},
        {"encoder_layers": bad_layer_counts, "decoder_layers": bad_layer_counts},
    ),
)  # fmt: skip
def test_deepnorm_and_tfixup(scheme, kwargs):
    res, error = run(scheme, (), kwargs)
    if error is None:
        given_ = [kwargs[k] is not None for k in ("encoder_layers", "decoder_layers")]
        assert [res[0] is not None, res[1] is not None] == given_
        numbers = np.ravel([x for x in res if x is not None]).astype(float)
        assert numbers.size and np.all(np.isfinite(numbers) & (numbers > 0))


@SWEEP
@given(
    kwargs=arguments(
        {"n_branches": layer_counts, "branch_layers": st.one_of(st.integers(2, 4), layer_counts)},
        {"n_branches": bad_layer_counts, "branch_layers": st.one_of(bad_layer_counts, st.just(1))},
    )
)  # fmt: skip
def test_fixup_scale(kwargs):
    res, error = run(prop.fixup_scale, (kwargs["n_branches"], kwargs["branch_layers"]), {},
                     ("n_branches", "branch_layers"))  # fmt: skip
    if error is None:
        assert isinstance(res, float) and 0 < res <= 1


@SWEEP
@given(args=st.one_of(st.just([]), st.lists(junk(), min_size=1, max_size=2)))
def test_skipinit_alpha(args):
    # it takes no argument: any is refused by Python, naming the function
    res, error = run(prop.skipinit_alpha, tuple(args), {}, ("skipinit_alpha",))
    assert (error is not None) if args else (res == 0.0 and error is None)


OUT_DTYPES = [np.float32, np.float64, np.float16, ">f4", np.int64, np.complex64, bool]


@st.composite
def outs(draw, shape, valid):
    """None or a writable float array of ``shape`` when ``valid``; else junk, or an array of
    another shape, dtype, or read-only."""
    if valid:
        if draw(st.booleans()):
            return None
        array = np.full(shape, 7.0, dtype=draw(st.sampled_from(OUT_DTYPES[:3])))
        return np.asfortranarray(array) if draw(st.booleans()) else array
    kind = draw(st.integers(0, 3))
    if kind == 0:
        return draw(junk())
    dims = draw(st.sampled_from([shape[::-1], (3,), (2, 2, 2)])) if kind == 1 else shape
    array = np.full(dims, 7.0).astype(draw(st.sampled_from(OUT_DTYPES)))
    array.flags.writeable = kind != 3
    return array


@SWEEP
@given(
    shape=st.tuples(st.integers(0, 9), st.integers(0, 9)),
    bad=st.sets(st.sampled_from(["shape", "dtype", "out"]), max_size=2),
    data=st.data(),
)
def test_zero_init(shape, bad, data):
    out = data.draw(outs(shape, "out" not in bad))
    # with out, dtype is None or out's (another one is refused)
    dtypes = st.just(None) if out is not None else st.sampled_from([None, np.float32, "f8"])
    dtype = data.draw(wrong(np.int32, np.complex64, "float8") if "dtype" in bad else dtypes)
    if "shape" in bad:
        wrong_shapes = wrong((2, 3, 4), (-1, 2), (2.0, 3), (2**40, 2**30), (2**20, 2**20))
        shape = data.draw(st.one_of(wrong_shapes, st.just(None)))
    res, error = run(prop.zero_init, (shape,), {"dtype": dtype, "out": out}, ("shape",))
    if error is None:
        if out is not None:
            assert res is out
        p, q = res.shape
        if p <= q:
            np.testing.assert_array_equal(res, np.eye(p, q))
        elif q:
            magnitude = 2.0 ** (-(math.ceil(math.log2(p)) - 1) / 2)
            np.testing.assert_allclose(np.abs(res.astype(np.float64)), magnitude, rtol=1e-3)


# ------------------------------------------------------------------------------------ muP ---
@SWEEP
@given(
    kwargs=arguments(
        {"width": st.integers(1, 2**63 - 1), "base_width": st.integers(1, 2**63 - 1),
         "optimizer": st.sampled_from(["adam", "sgd"])},
        {"width": bad_layer_counts, "base_width": bad_layer_counts,
         "optimizer": wrong("Adam", "lion")},
    )
)  # fmt: skip
def test_mup_scales(kwargs):
    width, base_width = kwargs.pop("width"), kwargs.pop("base_width")
    res, error = run(prop.mup_scales, (width, base_width), kwargs, ("width", "base_width"))
    if error is None:
        assert res.width_mult == pytest.approx(width / base_width)
        assert all(math.isfinite(v) and v > 0 for layer in res[:3] for v in layer)


COORD_VALID = {
    "widths": st.lists(st.integers(1, 8), min_size=2, max_size=3),
    "parametrization": st.sampled_from(["mup", "sp"]),
    "optimizer": st.sampled_from(["adam", "sgd"]),
    "steps": st.integers(1, 2),
    "depth": st.integers(1, 2),
    "lr": st.one_of(st.none(), st.floats(1e-4, 1.0), st.just(1e308)),
    "batch": st.integers(1, 2),
    "n_networks": st.integers(1, 2),
    "base_width": st.one_of(st.none(), st.integers(1, 8), st.just(2**63 - 1)),
    "seed": seeds,
    "readout_zero_init": st.booleans(),
}
COORD_WRONG = {
    "widths": st.one_of(junk(), st.sampled_from([(4,), (4, 0), (4, 2**40), (4.0, 8)])),
    "parametrization": wrong("ntk", "muP"),
    "optimizer": wrong("lion"),
    "steps": bad_counts,
    "depth": bad_counts,
    "lr": wrong(0.0, -0.1, math.inf),
    "batch": bad_counts,
    "n_networks": bad_counts,
    "base_width": st.one_of(bad_counts, st.just(2**63)),
    "seed": bad_seeds,
    "readout_zero_init": wrong(1, "yes"),
}


@SWEEP
@given(kwargs=arguments(COORD_VALID, COORD_WRONG))
def test_coord_check(kwargs):
    res, error = run(prop.coord_check, (), kwargs)
    if error is None:
        steps, depth = kwargs["steps"], kwargs["depth"]
        assert res.l1.shape == (len(res.widths), steps + 1, depth + 1)
        assert res.spread().shape == (steps + 1, depth + 1)
        assert len(res.table().splitlines()) == 1 + (steps + 1) * (len(res.widths) + 3)
