"""Refusals of the propagation functions: absurd sizes, wrong types, odd dtypes, and inputs
(seeds included) left as they were. Each case is fast: nothing here compiles a new kernel."""

import datetime
import re
from pathlib import Path

import numpy as np
import pytest

import fastinit
from fastinit.propagation import (
    critical_sigma_w2,
    diagnose,
    fixed_point,
    lsuv,
    simulate,
    theory,
)

SMALL = {"n_networks": 1, "batch": 2}

# ------------------------------------------------------------------------- absurd sizes ---


@pytest.mark.parametrize(
    ("call", "name"),
    [
        (lambda: theory("relu", 2.0, depth=10**12), "depth"),
        (lambda: theory("relu", 2.0, depth=2**63), "depth"),
        (lambda: theory("relu", 2.0, depth=10**400), "depth"),
        # a 10^6 x 10^6 grid of configurations from two 8 MB vectors
        (lambda: theory("tanh", np.ones((10**6, 1)), np.ones(10**6), depth=1), "sigma_w2"),
        (lambda: simulate([10**6] * 2, "relu"), "widths"),
        (lambda: simulate([8, 8], "relu", n_networks=10**12), "n_networks"),
        (lambda: simulate([8, 8], "relu", batch=10**15, n_networks=1), "batch"),
        (lambda: simulate([4] * 3, "relu", n_networks=10**11, batch=1), "n_networks"),
        (lambda: diagnose([10**6] * 3, "relu"), "widths"),
        (lambda: diagnose([8, 8], "relu", batch=10**15), "batch"),
    ],
)
def test_absurd_sizes_are_refused_before_allocating(call, name):
    with pytest.raises(ValueError, match=rf"{name}.*would need .*(TiB|PiB|2\*\*1023 bytes)"):
        call()


def test_lsuv_absurd_activations_are_refused():
    # x is (10^6, 1) and weights[0] is (10^6, 1): their product would be 10^6 x 10^6 float64
    x = np.broadcast_to(np.ones(1), (10**6, 1))
    w = np.zeros((10**6, 1), np.float16)
    with pytest.raises(ValueError, match=r"x and weights.*would need .*TiB"):
        lsuv([w], x, "relu")
    assert not w.any()


def test_widths_beyond_int64_are_refused():
    with pytest.raises(ValueError, match="widths"):
        theory("relu", 2.0, depth=1, widths=[1, 10**30])
    with pytest.raises(ValueError, match="widths"):
        simulate([2**64, 1], "relu")


# ---------------------------------------------------------------------- numeric arguments ---

NOT_NUMBERS = [None, "1", b"1", 1j, np.complex128(1), np.timedelta64(3), True, np.bool_(False),
               datetime.timedelta(days=1), np.datetime64("2026-01-01"), [None], [1, "a"],
               [True, False], object(), [[1], [1, 2]]]  # fmt: skip
NOT_FINITE = [np.nan, np.inf, -np.inf, [1.0, np.nan], 10**400]


# not numbers are TypeErrors, numbers that are not finite ValueErrors
@pytest.mark.parametrize(
    ("value", "error"),
    [(v, TypeError) for v in NOT_NUMBERS] + [(v, ValueError) for v in NOT_FINITE],
    ids=lambda v: v.__name__ if isinstance(v, type) else repr(v),
)
@pytest.mark.parametrize("arg", ["sigma_w2", "sigma_b2", "q0"])
def test_theory_variances_that_are_not_finite_numbers_are_refused(arg, value, error):
    args = {"sigma_w2": 1.0, "sigma_b2": 0.0, "q0": 1.0} | {arg: value}
    with pytest.raises(error, match=arg):
        theory("tanh", depth=2, **args)


def test_theory_accepts_ints_beyond_int64_and_float16():
    res = theory("linear", [10**30, 1], np.float16(0.5), depth=1)
    np.testing.assert_allclose(res.q[:, 1], [1e30 + 0.5, 1.5], rtol=1e-12)


@pytest.mark.parametrize("value", NOT_NUMBERS, ids=repr)
def test_critical_and_fixed_point_type_errors(value):
    with pytest.raises(TypeError, match="sigma_b2"):
        critical_sigma_w2("tanh", value)
    with pytest.raises(TypeError, match="sigma_b2"):
        fixed_point("tanh", 1.0, value)
    with pytest.raises(TypeError, match="sigma_w2"):
        fixed_point("tanh", value)


@pytest.mark.parametrize("value", [None, 1j, np.timedelta64(1), True, "1", 10**400, np.nan])
@pytest.mark.parametrize("arg", ["q0", "param", "n_networks", "batch"])
def test_simulate_numeric_arguments(arg, value):
    if arg == "param" and value is None:
        return  # the default slope
    activation = "leaky_relu" if arg == "param" else "relu"
    with pytest.raises((TypeError, ValueError), match=arg):
        simulate([4, 4], activation, **(SMALL | {arg: value}))


@pytest.mark.parametrize("param", [1e200, -1e101, 10**400])
def test_param_too_large_for_the_tables_is_refused(param):
    with pytest.raises(ValueError, match="param"):
        theory("leaky_relu", 1.0, depth=1, param=param)


@pytest.mark.parametrize("activation", ["tanh", "relu", "elu"])
def test_fixed_point_of_a_huge_sigma_w2_is_inf_without_warnings(activation):
    assert fixed_point(activation, 1e308) == np.inf
    assert fixed_point(activation, 1e308, 1e308) == np.inf


def test_critical_search_with_a_steep_slope_refuses_without_overflow_warnings():
    # chi is ~1e197 at both ends of the first bracket: their product used to overflow
    with pytest.raises(ValueError, match="activation='leaky_relu'"):
        critical_sigma_w2("leaky_relu", 0.0, param=1e100)


def test_q0_whose_std_overflows_the_dtype_is_refused():
    with pytest.raises(ValueError, match="q0"):
        simulate([4, 4], "relu", q0=1e300, **SMALL)


@pytest.mark.parametrize(
    ("band", "error"),
    [((0.1, 10.0, 3.0), ValueError), ((), ValueError), ("ab", TypeError), (None, TypeError),
     ((0.1, None), TypeError), ((0.1, 1j), TypeError), ((0.1, np.inf), ValueError)],
)  # fmt: skip
def test_diagnose_band(band, error):
    with pytest.raises(error, match="band"):
        diagnose([4, 4], "relu", band=band, **SMALL)


# ----------------------------------------------------------------------------- lsuv x ---

ODD_X = [
    np.ones((4, 3)) + 1j,
    np.ones((4, 3), bool),
    np.full((4, 3), "1"),
    np.ones((4, 3), object),
    np.full((4, 3), np.datetime64("2026-01-01")),
    np.full((4, 3), np.timedelta64(1, "s")),
    [[1, 2, 3], [1, 2]],
]


@pytest.mark.parametrize("x", ODD_X, ids=lambda x: str(getattr(x, "dtype", "ragged")))
def test_lsuv_refuses_x_that_is_not_real(x):
    w = np.ones((3, 3))
    with pytest.raises(TypeError, match="x"):
        lsuv([w], x, "relu", orthonormal=False)
    np.testing.assert_array_equal(w, 1.0)


@pytest.mark.parametrize("dtype", [np.float16, np.int32, np.uint8, ">f8"])
def test_lsuv_upcasts_half_and_integer_x(dtype):
    x = np.random.default_rng(0).integers(0, 5, (16, 4)).astype(dtype)
    w = np.random.default_rng(1).standard_normal((4, 4))
    variances = lsuv([w], x, "linear", orthonormal=False)
    assert abs(variances[0] - 1) < 0.1


def test_lsuv_orthonormal_must_be_a_bool():
    w = np.ones((3, 3))
    with pytest.raises(TypeError, match="orthonormal"):
        lsuv([w], np.ones((4, 3)), "relu", orthonormal="no")


def test_lsuv_weight_overflowing_its_dtype_is_refused_before_writing():
    # unit variance from inputs of size 1e-10 needs float16 weights near 1e10 (beyond 65504)
    w = np.eye(3, dtype=np.float16)
    x = np.random.default_rng(0).standard_normal((8, 3)) * 1e-10
    with pytest.raises(ValueError, match="x needs weights\\[0\\]"):
        lsuv([w], x, "linear", orthonormal=False)
    np.testing.assert_array_equal(w, np.eye(3))


def test_lsuv_input_whose_variance_overflows_is_refused_by_name():
    w = np.eye(3)
    with pytest.raises(ValueError, match="x gives layer 0"):
        lsuv([w], np.full((4, 3), 1e300) * [[1], [-1], [1], [-1]], "linear", orthonormal=False)
    np.testing.assert_array_equal(w, np.eye(3))


# ------------------------------------------------------------- seeds after a refusal ---


def test_lsuv_refusal_leaves_the_generator_as_it_was():
    gen = np.random.default_rng(5)
    state = gen.bit_generator.state
    w = np.ones((3, 3))
    with pytest.raises(ValueError, match="x gives layer 0"):
        lsuv([w], np.zeros((4, 3)), "relu", seed=gen)
    assert gen.bit_generator.state == state
    np.testing.assert_array_equal(w, 1.0)


@pytest.mark.parametrize("fn", [simulate, diagnose])
def test_refusal_by_the_initializer_leaves_the_generator_as_it_was(fn):
    gen = np.random.default_rng(5)
    state = gen.bit_generator.state
    with pytest.raises(ValueError, match="init='normal'.*std"):
        fn([4, 4], "relu", init="normal", init_kwargs={"std": -1.0}, seed=gen, **SMALL)
    assert gen.bit_generator.state == state


@pytest.mark.parametrize(
    ("init_kwargs", "error"),
    [(5, TypeError), ("ab", TypeError), ([("mode", "fan_in")], TypeError), ({1: 2}, TypeError),
     ({"seed": 1}, ValueError), ({"out": None}, ValueError), ({"bogus": 1}, TypeError)],
)  # fmt: skip
def test_init_kwargs_are_checked_by_name(init_kwargs, error):
    gen = np.random.default_rng(5)
    state = gen.bit_generator.state
    with pytest.raises(error, match="init_kwargs"):
        simulate([4, 4], "relu", init_kwargs=init_kwargs, seed=gen, **SMALL)
    assert gen.bit_generator.state == state


@pytest.mark.parametrize(
    ("init", "error", "match"),
    [(lambda: 0, TypeError, "init"),
     (int, TypeError, "init"),
     (lambda shape, seed: np.full(shape, 1j), TypeError, "init returned .*complex"),
     (lambda shape, seed: np.full(shape, "a"), TypeError, "init returned"),
     (lambda shape, seed: np.full(shape, 1e300), ValueError, "init gave non-finite"),
     (True, TypeError, "init"),
     (1e300, ValueError, "init")],
)  # fmt: skip
def test_init_forms_that_fail_name_init(init, error, match):
    gen = np.random.default_rng(5)
    state = gen.bit_generator.state
    with pytest.raises(error, match=match):
        simulate([4, 4], "relu", init=init, seed=gen, **SMALL)
    assert gen.bit_generator.state == state


def test_exploding_simulation_gives_inf_without_warnings():
    # weights of size ~1e18 per layer: float32 overflows by layer 3
    res = simulate([4] * 6, "linear", init=1e18, seed=0, **SMALL)
    assert np.isinf(res.forward_var[0, -1]) or np.isnan(res.forward_var[0, -1])
    assert res.forward_std.shape == (5,)


def test_diagnosis_of_a_zero_input_reads_without_warnings():
    # q0 = 0 gives 0 / 0 forward ratios; diagnose() already called them healthy (ones)
    d = diagnose([4, 4], "linear", q0=0.0, seed=0, **SMALL)
    np.testing.assert_array_equal(d.forward_ratio, [1.0])
    assert "verdict: stable" in d.table()


STACKS = "test_propagation_stack_refusals.py"


def test_public_names_are_exercised_here():
    # every public function (and class that takes user input) of the module appears in this
    # file or in its companion for the stacks, depth schemes and muP (the sweeps cover them too)
    public = {n for n in fastinit.propagation.__all__ if callable(getattr(fastinit.propagation, n))}
    classes = {
        "TheoryResult", "SimulationResult", "Diagnosis", "BlockTheoryResult",
        "BlockSimulationResult", "DeepNorm", "DeepNormStack", "TFixup", "MupScales",
        "LayerScales", "CoordCheck",
    }  # fmt: skip
    exercised = {
        "theory", "critical_sigma_w2", "fixed_point", "simulate", "diagnose", "lsuv",
        "ResidualStack", "MLPBranch", "AttentionBranch", "deepnorm", "tfixup", "fixup_scale",
        "skipinit_alpha", "zero_init", "mup_scales", "coord_check",
    }  # fmt: skip
    assert public - classes == exercised
    # imported once, then used
    here = Path(__file__).read_text() + (Path(__file__).parent / STACKS).read_text()
    for name in exercised:
        assert len(re.findall(rf"\b{name}\b", here)) >= 2, f"{name} is not exercised"
