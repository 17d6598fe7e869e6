"""Bad-input sweep of fastinit.propagation (opt-in: ``pytest -m sweep``).

Every public function of the module is called with valid values and junk mixed in every
argument; each call must return, or refuse with a ValueError/TypeError naming an argument and
leave every input (arrays, Generators) as it was. Sizes are drawn small, except deliberately
absurd ones, which must be refused before anything is allocated: for the sweep the memory limit
of ``fits_in_memory`` is lowered to 64 MiB, so that a junk size that a large machine would
accept (depth=10**8) is refused rather than run for minutes.
"""

import contextlib
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import fastinit.propagation as prop
from fastinit import config
from fastinit.propagation import _theory as theory_module
from fastinit.propagation._activations import ACTIVATIONS
from tests.sweep import SWEEP, call, junk, memory_limit

pytestmark = pytest.mark.sweep

MEMORY_LIMIT = 64 << 20

SWEPT = {"theory", "critical_sigma_w2", "fixed_point", "simulate", "diagnose", "lsuv"}
# swept in tests/test_sweep_propagation_stacks.py (theory and simulate of a stack there too)
SWEPT_WITH_THE_STACKS = {
    "ResidualStack", "MLPBranch", "AttentionBranch", "deepnorm", "tfixup", "fixup_scale",
    "skipinit_alpha", "zero_init", "mup_scales", "coord_check",
}  # fmt: skip
# not functions: result types (exercised through the results of the sweeps) and a constant
NOT_FUNCTIONS = {
    "TheoryResult", "SimulationResult", "Diagnosis", "HEALTHY_BAND", "BlockTheoryResult",
    "BlockSimulationResult", "DeepNorm", "DeepNormStack", "TFixup", "MupScales", "LayerScales",
    "CoordCheck",
}  # fmt: skip


small_memory = memory_limit(MEMORY_LIMIT)


def test_every_public_name_is_swept():
    assert set(prop.__all__) == SWEPT | SWEPT_WITH_THE_STACKS | NOT_FUNCTIONS
    stacks = (Path(__file__).parent / "test_sweep_propagation_stacks.py").read_text()
    for name in SWEPT_WITH_THE_STACKS:
        assert f"prop.{name}" in stacks, f"{name} is not swept"
    for name in ("theory", "simulate"):
        assert f"def test_{name}_of_a_stack(" in stacks


# ---------------------------------------------------------------------------- strategies ---
def _refusing_init(shape, seed):
    raise ValueError("this init refuses every shape")


def maybe(valid):
    return st.one_of(valid, junk())


NAMES = tuple(ACTIVATIONS)
activations = maybe(st.sampled_from(NAMES + ("RELU", "relu ", "swish", "Tanh")))
# slopes/alphas from a small set (each new value builds a 0.3 s table), junk otherwise
params = st.one_of(st.none(), st.sampled_from([0.01, 0.2, 1.0, -0.5, 0.0, 1e100, 1e101]), junk())
absurd = st.sampled_from([10**9, 2**40, 2**63, 10**30, 10**400])
small_floats = st.floats(0.0, 4.0)
variances = maybe(
    st.one_of(
        small_floats,
        st.lists(small_floats, min_size=0, max_size=3),
        st.lists(st.lists(small_floats, min_size=2, max_size=2), min_size=1, max_size=2),
        st.integers(0, 3),
    )
)
seeds = st.one_of(
    st.none(),
    st.integers(0, 2**64),
    st.integers(0, 10).map(np.random.default_rng),
    st.integers(0, 10).map(np.random.SeedSequence),
    junk(),
)
widths_lists = st.lists(st.integers(1, 6), min_size=2, max_size=4)
widths = st.one_of(widths_lists, junk(), absurd.map(lambda n: [n, n]), absurd.map(lambda n: [4, n]))
counts = st.one_of(st.integers(1, 3), junk(), absurd)
inits = st.one_of(
    st.sampled_from(
        ["kaiming_normal", "xavier_uniform", "orthogonal", "lecun_normal", "normal", "sparse",
         "uniform", "trunc_normal", "variance_scaling", "he", ""]
    ),
    st.floats(0.0, 3.0),
    st.sampled_from(
        [lambda shape, seed: np.ones(shape), lambda shape, seed: np.zeros(shape[::-1]),
         lambda shape, seed: np.full(shape, 1j), lambda shape, seed: [[1.0]],
         lambda shape, seed: np.full(shape, np.inf), _refusing_init]
    ),
    junk(),
)  # fmt: skip
init_kwargs = st.one_of(
    st.none(),
    st.sampled_from(
        [{}, {"mode": "fan_out"}, {"nonlinearity": "relu"}, {"gain": 2.0}, {"std": -1.0},
         {"std": 0.5}, {"sparsity": 0.5}, {"seed": 1}, {"bogus": 1}, {1: 2}, {"mode": None}]
    ),
    junk(),
)  # fmt: skip
dtypes = st.one_of(
    st.sampled_from([np.float32, np.float64, "float64", np.float16, np.int32]), junk()
)

FLOAT_DTYPES = [np.float16, np.float32, np.float64, ">f8", np.int32, np.complex128, bool, object]


@st.composite
def arrays(draw, shape, dtypes=FLOAT_DTYPES):
    dtype = draw(st.sampled_from(dtypes))
    values = draw(st.lists(st.floats(-3, 3), min_size=1, max_size=1))[0]
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    base = np.asarray(rng.standard_normal(shape) + values)
    if draw(st.booleans()) and base.size:
        base.flat[0] = draw(st.sampled_from([0.0, np.nan, np.inf, 1e300, 1e-300]))
    with np.errstate(all="ignore"):  # inf or NaN cast to ints or float16 is what is wanted
        arr = base.astype(dtype)
    if draw(st.integers(0, 9)) == 0:
        arr.flags.writeable = False
    return arr


def run(fn, args, kwargs, positional):
    """``call`` with the names of every argument; lsuv's ``x`` is matched as "x " since a
    lone letter would be found in any message."""
    names = [n if n != "x" else "x " for n in (*positional, *kwargs)]
    return call(fn, args, kwargs, names=names)


# --------------------------------------------------------------------------------- sweeps ---
@SWEEP
@given(
    activation=activations, sigma_w2=variances, sigma_b2=variances, q0=variances,
    depth=st.one_of(st.integers(1, 12), junk(), absurd), param=params, data=st.data(),
)  # fmt: skip
def test_theory(activation, sigma_w2, sigma_b2, q0, depth, param, data):
    if isinstance(depth, int) and 1 <= depth <= 12:
        width = st.lists(st.integers(1, 9), min_size=depth + 1, max_size=depth + 1)
    else:
        width = widths_lists
    w = data.draw(st.one_of(st.none(), width, junk()))
    kwargs = {"depth": depth, "q0": q0, "widths": w, "param": param}
    res, error = run(
        prop.theory,
        (activation, sigma_w2, sigma_b2),
        kwargs,
        ("activation", "sigma_w2", "sigma_b2"),
    )
    if error is None:
        shape = np.broadcast_shapes(np.shape(sigma_w2), np.shape(sigma_b2), np.shape(q0))
        assert res.q.shape == shape + (depth + 1,)
        assert res.chi.shape == shape + (depth,)
        assert res.grad_var.shape == res.chi.shape
        assert res.depth_scale.shape == shape


@SWEEP
@given(activation=activations, sigma_b2=variances, param=params)
def test_critical_sigma_w2(activation, sigma_b2, param):
    res, error = run(
        prop.critical_sigma_w2, (activation, sigma_b2), {"param": param}, ("activation", "sigma_b2")
    )
    if error is None:
        assert np.shape(res) == np.shape(sigma_b2)


@SWEEP
@given(
    activation=activations, sigma_w2=maybe(st.floats(0, 1e6)), sigma_b2=maybe(small_floats),
    param=params,
)  # fmt: skip
def test_fixed_point(activation, sigma_w2, sigma_b2, param):
    res, error = run(
        prop.fixed_point,
        (activation, sigma_w2, sigma_b2),
        {"param": param},
        ("activation", "sigma_w2", "sigma_b2"),
    )
    if error is None:
        assert res >= 0.0


def simulate_kwargs(draw):
    return {
        "init": draw(inits), "init_kwargs": draw(init_kwargs), "n_networks": draw(counts),
        "batch": draw(counts), "seed": draw(seeds), "q0": draw(maybe(small_floats)),
        "param": draw(params),
    }  # fmt: skip


@SWEEP
@given(w=widths, activation=activations, dtype=dtypes, data=st.data())
def test_simulate(w, activation, dtype, data):
    kwargs = simulate_kwargs(data.draw) | {"dtype": dtype}
    res, error = run(prop.simulate, (w, activation), kwargs, ("widths", "activation"))
    if error is None:
        shape = (kwargs["n_networks"], len(w) - 1)
        assert res.forward_var.shape == res.grad_var.shape == res.sigma_w2.shape == shape
        assert res.forward_std.shape == res.grad_mean.shape == shape[1:]


@SWEEP
@given(
    w=widths, activation=activations, data=st.data(),
    band=st.one_of(st.sampled_from([(0.1, 10.0), (0.5, 2), [0.9, 1.1]]), junk()),
)  # fmt: skip
def test_diagnose(w, activation, band, data):
    kwargs = simulate_kwargs(data.draw) | {"band": band}
    res, error = run(prop.diagnose, (w, activation), kwargs, ("widths", "activation"))
    if error is None:
        assert res.verdict in ("stable", "vanishing", "exploding")
        assert len(res.table().splitlines()) == len(w) + 1
        assert "verdict" in res.summary()


@SWEEP
@given(
    sizes=st.lists(st.integers(1, 5), min_size=2, max_size=4), batch=st.integers(0, 6),
    activation=activations, tol=maybe(st.floats(0.01, 1.0)), max_iter=maybe(st.integers(1, 5)),
    orthonormal=maybe(st.booleans()), seed=seeds, param=params, data=st.data(),
)  # fmt: skip
def test_lsuv(sizes, batch, activation, tol, max_iter, orthonormal, seed, param, data):
    layers = [(n_out, n_in) for n_in, n_out in zip(sizes[:-1], sizes[1:], strict=True)]
    weights = [data.draw(arrays(s)) for s in layers]
    mangle = data.draw(st.integers(0, 5))
    if mangle == 0:  # a broken chain, a 1-D or 3-D weight, junk in place of a weight
        weights[-1] = data.draw(
            st.one_of(
                arrays((sizes[-1] + 1, sizes[-1] + 1)), arrays((3,)), arrays((2, 2, 2)), junk()
            )  # fmt: skip
        )
    elif mangle == 1:
        weights = data.draw(st.one_of(junk(), st.just(tuple(weights)), st.just([])))
    x_shape = data.draw(st.sampled_from([(batch, sizes[0]), (batch, sizes[0] + 1), (batch,), ()]))
    x = data.draw(st.one_of(arrays(x_shape), junk(), arrays((batch, sizes[0]))))
    kwargs = {"tol": tol, "max_iter": max_iter, "orthonormal": orthonormal, "seed": seed,
              "param": param}  # fmt: skip
    res, error = run(prop.lsuv, (weights, x, activation), kwargs, ("weights", "x", "activation"))
    if error is None:
        assert res.shape == (len(weights),)
        # one rescaling of a linear map reaches 1 up to rounding, whatever the activation
        assert np.all(np.abs(res - 1) < max(tol, 1e-9))


# -------------------------------------------------------------------- thread independence ---
@contextlib.contextmanager
def small_thresholds():
    """Let small, fast cases take the threaded paths: theory() splits its configurations into
    tasks of 8 (any split gives the same bits) and threads from 1000 configuration-layers;
    the random streams behind the weights and inputs thread from 4096 elements."""
    saved = (theory_module._PARALLEL_MIN_WORK, theory_module._TASK_CONFIGS,
             config.PARALLEL_MIN_ELEMENTS)  # fmt: skip
    theory_module._PARALLEL_MIN_WORK, theory_module._TASK_CONFIGS = 1000, 8
    config.PARALLEL_MIN_ELEMENTS = 4096
    try:
        yield
    finally:
        (theory_module._PARALLEL_MIN_WORK, theory_module._TASK_CONFIGS,
         config.PARALLEL_MIN_ELEMENTS) = saved  # fmt: skip


def _with_threads(n, fn):
    before = config.thread_count()
    config.set_num_threads(n)
    try:
        with small_thresholds():
            return fn()
    finally:
        config.set_num_threads(before)


@SWEEP
@given(
    activation=st.sampled_from(NAMES), groups=st.integers(1, 200), depth=st.integers(1, 60),
    seed=st.integers(0, 2**32 - 1),
)  # fmt: skip
def test_theory_same_bits_on_one_and_two_threads(activation, groups, depth, seed):
    rng = np.random.default_rng(seed)
    sw2 = rng.uniform(0.1, 4.0, groups)
    sb2 = rng.uniform(0.0, 0.5, (groups,))

    def go():
        return prop.theory(activation, sw2, sb2, depth=depth)

    one, two = _with_threads(1, go), _with_threads(2, go)
    np.testing.assert_array_equal(one.q, two.q)
    np.testing.assert_array_equal(one.chi, two.chi)


@SWEEP
@given(
    w=st.lists(st.integers(1, 48), min_size=2, max_size=4), activation=st.sampled_from(NAMES),
    n_networks=st.integers(1, 3), batch=st.integers(1, 128), seed=st.integers(0, 2**32 - 1),
    init=st.sampled_from(["kaiming_normal", "orthogonal", "xavier_uniform", 1.3]),
    dtype=st.sampled_from([np.float32, np.float64]),
)  # fmt: skip
def test_simulate_same_bits_on_one_and_two_threads(w, activation, n_networks, batch, seed, init,
                                                   dtype):  # fmt: skip
    def go():
        return prop.simulate(w, activation, init=init, n_networks=n_networks, batch=batch,
                             seed=seed, dtype=dtype)  # fmt: skip

    one, two = _with_threads(1, go), _with_threads(2, go)
    for a, b in ((one.forward_var, two.forward_var), (one.grad_var, two.grad_var),
                 (one.sigma_w2, two.sigma_w2)):  # fmt: skip
        np.testing.assert_array_equal(a, b)
