"""fastinit.jax against JAX's own initializers (the oracles) and fastinit's NumPy API.

JAX's initializers and fastinit's draw from different generators, so the comparison is by law:
shapes and dtypes equal, standard deviations within sampling error of JAX's theoretical value,
the same bounds, and a two-sample Kolmogorov-Smirnov test between the two samples. With a
fastinit key the values equal fastinit's NumPy API bit for bit.
"""

import inspect
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import fastinit
from fastinit.random import Key

jax = pytest.importorskip("jax")
jnp = pytest.importorskip("jax.numpy")
fj = pytest.importorskip("fastinit.jax")
scipy_stats = pytest.importorskip("scipy.stats")

ROOT = Path(__file__).resolve().parents[1]
K = Key(11, 22, 33)
TRUNC2_STD = 0.87962566103423978
# name -> (scale, mode, distribution) of jax.nn.initializers' presets
PRESETS = {
    "glorot_uniform": (1.0, "fan_avg", "uniform"),
    "glorot_normal": (1.0, "fan_avg", "truncated_normal"),
    "he_uniform": (2.0, "fan_in", "uniform"),
    "he_normal": (2.0, "fan_in", "truncated_normal"),
    "lecun_uniform": (1.0, "fan_in", "uniform"),
    "lecun_normal": (1.0, "fan_in", "truncated_normal"),
}
# (shape, axis arguments): dense, conv (HWIO), batched, torch's conv layout (OIHW)
SHAPES = [
    ((512, 256), {}),
    ((3, 3, 16, 32), {}),
    ((8, 128, 64), {"batch_axis": 0}),
    ((64, 32, 3, 3), {"in_axis": 1, "out_axis": 0}),
]
SHAPE_IDS = ["dense", "conv", "batch", "oihw"]


def jax_fans(shape, **axes):
    """JAX's own fan computation (private, hence imported here only)."""
    compute_fans = getattr(pytest.importorskip("jax._src.nn.initializers"), "_compute_fans", None)
    if compute_fans is None:
        pytest.skip("this JAX has no jax._src.nn.initializers._compute_fans")
    return compute_fans(shape, **axes)


def jax_n(mode, shape, **axes):
    """The denominator of JAX's variance_scaling for ``mode``."""
    fan_in, fan_out = jax_fans(shape, **axes)
    return {
        "fan_in": fan_in,
        "fan_out": fan_out,
        "fan_avg": (fan_in + fan_out) / 2,
        "fan_geo_avg": math.sqrt(fan_in * fan_out),
    }[mode]


def expected_std(scale, mode, shape, **axes):
    return math.sqrt(scale / jax_n(mode, shape, **axes))


def std_tolerance(n, kurtosis=3.0):
    """Six standard errors of a sample standard deviation of ``n`` values, relative."""
    return 6 * 0.5 * math.sqrt((kurtosis - 1) / n)


def ks_pvalue(ours, theirs):
    ours = np.asarray(ours, dtype=np.float64).ravel()
    theirs = np.asarray(theirs, dtype=np.float64).ravel()
    return scipy_stats.ks_2samp(ours, theirs).pvalue


def same_law(ours, theirs, std, bound=None, kurtosis=3.0):
    """The checks every random initializer passes against JAX's sample of the same call."""
    assert ours.shape == theirs.shape and ours.dtype == theirs.dtype
    assert isinstance(ours, jax.Array)
    values = np.asarray(ours, dtype=np.float64)
    assert abs(values.std() / std - 1) < std_tolerance(values.size, kurtosis)
    if bound is not None:
        lo, hi = bound
        for sample in (values, np.asarray(theirs, dtype=np.float64)):
            assert lo * (1 + 1e-6) <= sample.min() and sample.max() <= hi * (1 + 1e-6)
        width = hi - lo
        assert values.min() < lo + 0.05 * width and values.max() > hi - 0.05 * width
    assert ks_pvalue(ours, theirs) > 1e-4


# ------------------------------------------------------------------------------ import ---


def run_python(code):
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_importing_the_module_does_not_import_jax():
    out = run_python("import sys, fastinit, fastinit.jax; print('jax' in sys.modules)")
    assert out.strip() == "False"


def test_missing_jax_is_a_clear_import_error():
    code = (
        "import sys; sys.modules['jax'] = None\n"
        "import fastinit.jax\n"
        "try:\n    fastinit.jax.he_normal()(0, (2, 2))\n"
        "except ImportError as error:\n    print(error)\n"
    )
    assert "fastinit.jax needs JAX: pip install 'fastinit[jax]'" in run_python(code)


def parameters(function):
    """(name, default, kind) of each parameter: JAX's signatures also carry annotations."""
    return [(p.name, p.default, p.kind) for p in inspect.signature(function).parameters.values()]


@pytest.mark.parametrize("name", fj.__all__)
def test_signatures_equal_jax(name):
    ours, theirs = getattr(fj, name), getattr(jax.nn.initializers, name)
    assert parameters(ours) == parameters(theirs)
    args = (1.0, "fan_in", "normal") if name == "variance_scaling" else ()
    assert parameters(ours(*args)) == parameters(theirs(*args))


def test_aliases_are_the_same_functions():
    assert fj.xavier_uniform is fj.glorot_uniform and fj.xavier_normal is fj.glorot_normal
    assert fj.kaiming_uniform is fj.he_uniform and fj.kaiming_normal is fj.he_normal


# --------------------------------------------------------------------- laws, vs JAX ---


@pytest.mark.parametrize("name", sorted(PRESETS))
@pytest.mark.parametrize(("shape", "axes"), SHAPES, ids=SHAPE_IDS)
def test_presets_follow_jax(name, shape, axes):
    scale, mode, distribution = PRESETS[name]
    key = jax.random.key(3)
    ours = getattr(fj, name)(**axes)(key, shape)
    theirs = getattr(jax.nn.initializers, name)(**axes)(key, shape)
    std = expected_std(scale, mode, shape, **axes)
    if distribution == "uniform":
        b = math.sqrt(3) * std
        same_law(ours, theirs, std, (-b, b), kurtosis=1.8)
    else:
        b = 2 * std / TRUNC2_STD
        same_law(ours, theirs, std, (-b, b), kurtosis=2.36)


@pytest.mark.parametrize("mode", ["fan_in", "fan_out", "fan_avg", "fan_geo_avg"])
@pytest.mark.parametrize("distribution", ["truncated_normal", "normal", "uniform"])
def test_variance_scaling_follows_jax(mode, distribution):
    shape, scale, key = (3, 3, 16, 32), 1.7, jax.random.key(4)
    ours = fj.variance_scaling(scale, mode, distribution)(key, shape)
    theirs = jax.nn.initializers.variance_scaling(scale, mode, distribution)(key, shape)
    std = expected_std(scale, mode, shape)
    bound = {"uniform": math.sqrt(3) * std, "truncated_normal": 2 * std / TRUNC2_STD}
    b = bound.get(distribution)
    kurtosis = {"uniform": 1.8, "truncated_normal": 2.36}.get(distribution, 3.0)
    same_law(ours, theirs, std, None if b is None else (-b, b), kurtosis)


def test_normal_uniform_truncated_normal_follow_jax():
    key, shape = jax.random.key(5), (256, 256)
    same_law(fj.normal(0.02)(key, shape), jax.nn.initializers.normal(0.02)(key, shape), 0.02)
    # JAX's uniform is U[0, scale), not centred
    ours, theirs = fj.uniform(0.5)(key, shape), jax.nn.initializers.uniform(0.5)(key, shape)
    same_law(ours, theirs, 0.5 / math.sqrt(12), (0.0, 0.5), kurtosis=1.8)
    assert float(ours.max()) < 0.5
    # lower / upper in units of stddev, no std correction
    init = fj.truncated_normal(0.3, lower=-1.5, upper=2.5)
    oracle = jax.nn.initializers.truncated_normal(0.3, lower=-1.5, upper=2.5)
    std = 0.3 * scipy_stats.truncnorm(-1.5, 2.5).std()
    same_law(init(key, shape), oracle(key, shape), std, (-0.45, 0.75), kurtosis=2.5)


def orthonormal_residual(w, column_axis, scale):
    m = np.moveaxis(np.asarray(w, dtype=np.float64), column_axis, -1)
    m = m.reshape(-1, m.shape[-1])
    gram = m.T @ m if m.shape[0] >= m.shape[1] else m @ m.T
    return np.abs(gram - scale**2 * np.eye(len(gram))).max()


@pytest.mark.parametrize(
    ("shape", "column_axis", "scale"),
    [
        ((64, 32), -1, 1.0),
        ((32, 64), -1, 1.0),
        ((3, 3, 16, 32), -1, 2.0),
        ((16, 8, 4), 0, 1.0),
        ((5, 12, 7), 1, 0.5),
        ((6, 40), -2, 1.0),
    ],
)
def test_orthogonal_follows_jax(shape, column_axis, scale):
    key = jax.random.key(6)
    ours = fj.orthogonal(scale, column_axis)(key, shape)
    theirs = jax.nn.initializers.orthogonal(scale, column_axis)(key, shape)
    assert ours.shape == theirs.shape and ours.dtype == theirs.dtype
    # the same axis holds the orthonormal columns in both (JAX's own output checks the reading)
    assert orthonormal_residual(theirs, column_axis, scale) < 1e-4 * max(scale**2, 1)
    assert orthonormal_residual(ours, column_axis, scale) < 1e-4 * max(scale**2, 1)


def test_orthogonal_entries_follow_jax():
    # entries of Haar matrices: the same law as JAX's (compared over a few matrices each)
    ours = [fj.orthogonal()(jax.random.key(i), (128, 64)) for i in range(4)]
    theirs = [jax.nn.initializers.orthogonal()(jax.random.key(i), (128, 64)) for i in range(4)]
    assert ks_pvalue(np.stack(ours), np.stack(theirs)) > 1e-4


# ------------------------------------------------------------- equal to the NumPy API ---


@pytest.mark.parametrize("shape", [(3, 4), (3, 3, 16, 32), (7,)])
def test_normal_uniform_truncated_equal_numpy_api(shape):
    assert np.array_equal(fj.normal(0.02)(K, shape), fastinit.normal(shape, std=0.02, seed=K))
    assert np.array_equal(fj.uniform(0.3)(K, shape), fastinit.uniform(shape, 0.0, 0.3, seed=K))
    ours = fj.truncated_normal(0.1, lower=-1.0, upper=3.0)(K, shape)
    assert np.array_equal(ours, fastinit.trunc_normal(shape, 0.0, 0.1, -0.1, 0.3, seed=K))
    # an int key is the NumPy API's int seed
    assert np.array_equal(fj.normal(1.0)(7, shape), fastinit.normal(shape, seed=7))


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_presets_equal_numpy_api(name):
    scale, mode, distribution = PRESETS[name]
    for shape in [(64, 32), (3, 3, 16, 32)]:
        expected = fastinit.variance_scaling(shape, scale, mode, distribution, layout="jax", seed=K)
        assert np.array_equal(getattr(fj, name)()(K, shape), expected)


def test_generic_axes_equal_numpy_api():
    # in_axis=1, out_axis=0 on (out, in, kh, kw) is fastinit's torch layout
    shape = (16, 32, 3, 3)
    ours = fj.variance_scaling(1.5, "fan_out", "normal", in_axis=1, out_axis=0)(K, shape)
    expected = fastinit.variance_scaling(shape, 1.5, "fan_out", "untruncated_normal", seed=K)
    assert np.array_equal(ours, expected)
    # fan_geo_avg, which the NumPy API lacks, draws through fastinit.normal with JAX's std
    ours = fj.variance_scaling(2.0, "fan_geo_avg", "normal")(K, (20, 45))
    expected = fastinit.normal((20, 45), std=math.sqrt(2.0) / math.sqrt(30.0), seed=K)
    assert np.array_equal(ours, expected)


def test_orthogonal_equals_numpy_api():
    assert np.array_equal(fj.orthogonal(2.0)(K, (12, 7)), fastinit.orthogonal((12, 7), 2.0, seed=K))
    matrix = fastinit.orthogonal((3 * 5, 4), seed=K)  # column_axis=0 of (4, 3, 5): 15 x 4
    expected = np.moveaxis(matrix.reshape(3, 5, 4), -1, 0)
    assert np.array_equal(fj.orthogonal(column_axis=0)(K, (4, 3, 5)), expected)


def test_float64_under_x64_equals_numpy_api():
    with jax.enable_x64(True):
        ours = fj.he_normal()(K, (32, 16))  # None is JAX's default float: float64 here
        theirs = jax.nn.initializers.he_normal()(jax.random.key(0), (32, 16))
    assert ours.dtype == theirs.dtype == np.float64
    expected = fastinit.variance_scaling(
        (32, 16), 2.0, "fan_in", "truncated_normal", layout="jax", seed=K, dtype=np.float64
    )
    assert np.array_equal(ours, expected)


# ----------------------------------------------------------------------------- keys ---


def test_jax_key_mapping_is_pinned():
    root = Key(0, 0, 0)
    # the mapping of the module docstring, and the key it gives for key(0) in every version
    assert root.fold_in(b"jax" + bytes(8)) == Key(1229505906, 1261025458, 3772837752)
    for key, words in [
        (jax.random.key(7), [0, 7]),
        (jnp.array([256, 5], dtype=jnp.uint32), [256, 5]),
    ]:
        child = root.fold_in(b"jax" + np.array(words, dtype="<u4").tobytes())
        assert np.array_equal(fj.normal(1.0)(key, (5,)), fastinit.normal(5, seed=child))


def test_same_jax_key_same_values_both_styles():
    for init in [fj.he_normal(), fj.orthogonal(), fj.uniform()]:
        a = init(jax.random.key(0), (8, 6))
        assert np.array_equal(a, init(jax.random.key(0), (8, 6)))
        # typed and legacy keys with the same words are the same key, as in JAX
        assert np.array_equal(a, init(jax.random.PRNGKey(0), (8, 6)))


def test_different_jax_keys_different_values():
    init, shape = fj.normal(1.0), (64,)
    first, second = jax.random.split(jax.random.key(0))
    pairs = [
        (jax.random.key(0), jax.random.key(1)),
        (jax.random.PRNGKey(0), jax.random.PRNGKey(1)),
        (first, second),
        (jax.random.key(0), jax.random.key(0, impl="rbg")),  # other words
        (jax.random.key(0), 0),  # a JAX key is not the int seed
    ]
    for a, b in pairs:
        assert (np.asarray(init(a, shape)) != np.asarray(init(b, shape))).all()


def test_jit_and_vmap_give_the_eager_values():
    init, shape = fj.he_normal(), (8, 4)
    for key in [jax.random.key(5), jax.random.PRNGKey(5)]:
        assert np.array_equal(jax.jit(lambda k: init(k, shape))(key), init(key, shape))
    keys = jax.random.split(jax.random.key(9), 3)
    batch = jax.vmap(lambda k: fj.orthogonal()(k, shape))(keys)
    assert batch.shape == (3, *shape)
    for i in range(3):
        assert np.array_equal(batch[i], fj.orthogonal()(keys[i], shape))


# --------------------------------------------------------------------------- dtypes ---

FACTORIES = [
    fj.he_normal, fj.glorot_uniform, lambda **kw: fj.orthogonal(**kw),
    lambda **kw: fj.normal(0.3, **kw), lambda **kw: fj.uniform(2.0, **kw),
    lambda **kw: fj.truncated_normal(0.5, **kw),
]  # fmt: skip


@pytest.mark.parametrize("dtype", ["bfloat16", "float16"])
@pytest.mark.parametrize("factory", FACTORIES)
def test_half_dtypes_round_the_float32_values(factory, dtype):
    dt = jnp.dtype(dtype)
    key, shape = jax.random.key(1), (48, 40)
    single = factory()(key, shape, jnp.float32)
    half = factory()(key, shape, dt)
    assert half.dtype == dt
    assert np.array_equal(np.asarray(half), np.asarray(single.astype(dt)))
    # the factory's dtype is the init's default
    assert np.array_equal(np.asarray(factory(dtype=dt)(key, shape)), np.asarray(half))


def test_float64_without_x64_is_float32_with_a_warning_as_in_jax():
    key, shape = jax.random.key(2), (6, 5)
    for spelling in ["float64", np.dtype(np.float64), jnp.float64]:
        with pytest.warns(UserWarning, match="float64"):
            assert fj.he_normal()(key, shape, spelling).dtype == np.float32
    with pytest.warns(UserWarning, match="float64"):
        ours = fj.he_normal()(key, shape, np.float64)
    with pytest.warns(UserWarning, match="float64"):
        theirs = jax.nn.initializers.he_normal()(key, shape, np.float64)
    assert ours.dtype == theirs.dtype == np.float32
    assert np.array_equal(ours, fj.he_normal()(key, shape, np.float32))
    assert fj.he_normal()(key, shape).dtype == np.float32  # JAX's default float
    # Python's float is the default float, without a warning, in both
    assert fj.he_normal()(key, shape, float).dtype == np.float32
    assert jax.nn.initializers.he_normal()(key, shape, float).dtype == np.float32


def test_empty_shapes_give_empty_arrays():
    for init in [fj.he_normal(), fj.orthogonal(), fj.normal(), fj.truncated_normal()]:
        out = init(jax.random.key(0), (0, 5))
        assert out.shape == (0, 5) and out.dtype == np.float32


def test_out_sharding_places_the_array_as_in_jax():
    sharding = jax.sharding.SingleDeviceSharding(jax.devices()[0])
    out = fj.normal()(K, (4, 4), out_sharding=sharding)
    assert out.sharding == sharding
    assert np.array_equal(out, fj.normal()(K, (4, 4)))
    spec = jax.sharding.PartitionSpec("data", None)
    mesh = jax.make_mesh((1,), ("data",), axis_types=(jax.sharding.AxisType.Explicit,))
    with jax.set_mesh(mesh):
        theirs = jax.nn.initializers.he_normal()(jax.random.key(0), (4, 4), out_sharding=spec)
        ours = fj.he_normal()(jax.random.key(0), (4, 4), out_sharding=spec)
        init = jax.jit(lambda k: fj.he_normal()(k, (4, 4), out_sharding=spec))
        traced = init(jax.random.key(0))
    assert ours.sharding == theirs.sharding == traced.sharding
    assert np.array_equal(traced, ours)
    with pytest.raises(TypeError, match="out_sharding"):
        fj.normal()(K, (4, 4), out_sharding="rows")


# ------------------------------------------------------------------------- refusals ---


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda: fj.normal()(K, (2, 2), jnp.complex64), TypeError, "dtype.*complex"),
        (lambda: fj.normal()(K, (2, 2), jnp.int32), TypeError, "dtype"),
        (lambda: fj.normal()(K, (2, 2), "nonsense"), TypeError, "dtype"),
        (lambda: fj.he_normal(dtype=jnp.complex64), TypeError, "dtype"),
        (lambda: fj.variance_scaling(1.0, "fan_bad", "normal"), ValueError, "mode"),
        (lambda: fj.variance_scaling(1.0, 3, "normal"), TypeError, "mode"),
        (lambda: fj.variance_scaling(1.0, "fan_in", "untruncated_normal"), ValueError, "distri"),
        (lambda: fj.variance_scaling(0.0, "fan_in", "normal"), ValueError, "scale"),
        (lambda: fj.variance_scaling(1e80, "fan_in", "normal")(K, (4, 4)), ValueError, "scale"),
        (lambda: fj.normal(-1.0), ValueError, "stddev"),
        (lambda: fj.normal(1e4)(K, (2, 2), jnp.float16), ValueError, "stddev"),
        (lambda: fj.uniform(-1.0), ValueError, "scale"),
        (lambda: fj.uniform(1e5)(K, (2, 2), jnp.float16), ValueError, "scale"),
        (lambda: fj.truncated_normal(lower=1.0, upper=-1.0), ValueError, "lower"),
        (lambda: fj.truncated_normal(lower=float("nan")), ValueError, "lower"),
        (lambda: fj.orthogonal("2"), TypeError, "scale"),
        (lambda: fj.orthogonal(column_axis=1.0), TypeError, "column_axis"),
        (lambda: fj.orthogonal()(K, (5,)), ValueError, "shape"),
        (lambda: fj.orthogonal(column_axis=2)(K, (5, 4)), ValueError, "column_axis"),
        (lambda: fj.he_normal()(K, (5,)), ValueError, "in_axis"),
        (lambda: fj.he_normal(in_axis=4)(K, (5, 4)), ValueError, "in_axis"),
        (lambda: fj.he_normal(in_axis="0"), TypeError, "in_axis"),
        (lambda: fj.he_normal(batch_axis=[1.5]), TypeError, "batch_axis"),
        (lambda: fj.he_normal()(K, (-1, 3)), ValueError, "shape"),
        (lambda: fj.he_normal()(K, (2.5, 3)), TypeError, "shape"),
        (lambda: fj.he_normal()(None, (2, 3)), TypeError, "key"),
        (lambda: fj.he_normal()(1.5, (2, 3)), TypeError, "key"),
        (lambda: fj.he_normal()(-1, (2, 3)), ValueError, "key"),
        (lambda: fj.he_normal()(jax.random.split(jax.random.key(0)), (2, 3)), ValueError, "key"),
        (lambda: fj.he_normal()(jnp.zeros(2), (2, 3)), ValueError, "key"),
    ],
)
def test_refusals_name_the_argument(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_arguments_are_checked_before_the_key():
    # a bad shape is reported even with a bad key: the key is resolved last
    with pytest.raises(ValueError, match="shape"):
        fj.normal()(None, (-1,))


# ------------------------------------------------------------------------- invariants ---

AXES = st.integers(2, 4).flatmap(
    lambda ndim: st.tuples(
        st.lists(st.integers(1, 5), min_size=ndim, max_size=ndim),
        st.permutations(range(ndim)),
        st.booleans(),
    )
)


@settings(derandomize=True, deadline=None, max_examples=25)
@given(AXES)
def test_fans_and_bounds_follow_jax_for_any_axes(case):
    dims, order, batched = case
    shape = tuple(dims)
    axes = {"in_axis": order[0], "out_axis": order[1]}
    if batched and len(shape) > 2:
        axes["batch_axis"] = order[2]
    n = jax_n("fan_avg", shape, **axes)
    ours = fj.variance_scaling(2.0, "fan_avg", "uniform", **axes)(K, shape)
    oracle = jax.nn.initializers.variance_scaling(2.0, "fan_avg", "uniform", **axes)
    theirs = oracle(jax.random.key(0), shape)
    assert ours.shape == theirs.shape and ours.dtype == theirs.dtype
    # the NumPy API's uniform with the bound of JAX's fans (computed as fastinit computes it):
    # the fans are JAX's exactly
    bound = math.sqrt(3.0) * (math.sqrt(2.0) / math.sqrt(n))
    assert np.array_equal(ours, fastinit.uniform(shape, -bound, bound, seed=K))
    assert float(abs(ours).max()) < bound


@settings(derandomize=True, deadline=None, max_examples=20)
@given(
    st.lists(st.integers(1, 9), min_size=2, max_size=3), st.sampled_from(["bfloat16", "float16"])
)
def test_half_rounding_for_any_shape(dims, dtype):
    init, key, dt = fj.lecun_normal(), jax.random.key(8), jnp.dtype(dtype)
    half, single = init(key, tuple(dims), dt), init(key, tuple(dims), jnp.float32)
    assert np.array_equal(np.asarray(half), np.asarray(single.astype(dt)))
