"""Refusals of the residual stacks, the depth-aware schemes and muP: every argument given junk
is refused with a TypeError or ValueError that names it, before anything is drawn or written.

The companion of tests/test_propagation_refusals.py (which holds the MLP functions' refusals
and the check that every public name is exercised in one of the two files). Each case is fast:
the stacks are a few units wide and the simulations that run are one block deep.
"""

import datetime

import numpy as np
import pytest

from fastinit.propagation import (
    AttentionBranch,
    MLPBranch,
    ResidualStack,
    coord_check,
    deepnorm,
    fixup_scale,
    mup_scales,
    simulate,
    skipinit_alpha,
    tfixup,
    theory,
    zero_init,
)

NOT_NUMBERS = [None, "1", b"1", 1j, np.complex128(1), np.timedelta64(3), True, np.bool_(False),
               datetime.timedelta(days=1), np.datetime64("2026-01-01"), [None], [1, "a"],
               object(), [[1], [1, 2]]]  # fmt: skip
NOT_FINITE = [np.nan, np.inf, -np.inf, [1.0, np.nan], 10**400]
NOT_COUNTS = [None, 1.0, "2", True, np.float64(2), [2], 1j, object()]
ids = repr


def tiny(*branches, **kwargs):
    """A stack small enough that its simulation takes milliseconds."""
    default = branches or (AttentionBranch(heads=2), MLPBranch("relu", ratio=1.0))
    kwargs = {"branches": default, "depth": 1, "width": 4, "seq_len": 2} | kwargs
    return ResidualStack(**kwargs)


# ------------------------------------------------------------------------ the stack's parts ---


@pytest.mark.parametrize("value", NOT_NUMBERS, ids=ids)
@pytest.mark.parametrize(
    ("make", "field"),
    [(lambda v: MLPBranch(ratio=v), "ratio"),
     (lambda v: MLPBranch(sigma_w2=v), "sigma_w2"),
     (lambda v: MLPBranch(sigma_o2=v), "sigma_o2"),
     (lambda v: AttentionBranch(sigma_qk2=v), "sigma_qk2"),
     (lambda v: AttentionBranch(sigma_v2=v), "sigma_v2"),
     (lambda v: AttentionBranch(sigma_o2=v), "sigma_o2"),
     (lambda v: tiny(alpha=v), "alpha"),
     (lambda v: tiny(beta=v), "beta")],
)  # fmt: skip
def test_numeric_fields_that_are_not_numbers_are_type_errors(make, field, value):
    with pytest.raises(TypeError, match=field):
        make(value)


@pytest.mark.parametrize("value", NOT_FINITE + [-1.0, [1.0, -2.0]], ids=ids)
@pytest.mark.parametrize(
    ("make", "field"),
    [(lambda v: MLPBranch(sigma_w2=v), "sigma_w2"),
     (lambda v: AttentionBranch(sigma_qk2=v), "sigma_qk2"),
     (lambda v: AttentionBranch(sigma_v2=v), "sigma_v2")],
)  # fmt: skip
def test_variances_that_are_not_finite_or_negative_are_value_errors(make, field, value):
    with pytest.raises(ValueError, match=field):
        make(value)


@pytest.mark.parametrize(
    ("make", "error", "field"),
    [(lambda: MLPBranch(activation=None), TypeError, "activation"),
     (lambda: MLPBranch(activation=np.array(["relu"])), TypeError, "activation"),
     (lambda: MLPBranch(ratio=-1.0), ValueError, "ratio"),
     (lambda: MLPBranch(ratio=np.inf), ValueError, "ratio"),
     (lambda: MLPBranch("leaky_relu", param="0.1"), TypeError, "param"),
     (lambda: MLPBranch("leaky_relu", param=1e300), ValueError, "param"),
     (lambda: AttentionBranch(heads=2.0), TypeError, "heads"),
     (lambda: AttentionBranch(heads=None), TypeError, "heads"),
     (lambda: AttentionBranch(heads=-2), ValueError, "heads"),
     (lambda: AttentionBranch(scale=0.0), ValueError, "scale"),
     (lambda: AttentionBranch(scale="1"), TypeError, "scale"),
     (lambda: AttentionBranch(scale=[0.5]), TypeError, "scale")],
)  # fmt: skip
def test_branch_fields(make, error, field):
    with pytest.raises(error, match=field):
        make()


@pytest.mark.parametrize("value", NOT_COUNTS + [0, -3, 2**63, 10**400], ids=ids)
@pytest.mark.parametrize("field", ["depth", "width", "seq_len"])
def test_stack_sizes(field, value):
    error = ValueError if isinstance(value, int) and not isinstance(value, bool) else TypeError
    with pytest.raises(error, match=field):
        tiny(**{field: value})


@pytest.mark.parametrize(
    ("kwargs", "error", "field"),
    [({"branches": None}, TypeError, "branches"),
     ({"branches": [MLPBranch(), "mlp"]}, TypeError, "branches"),
     ({"branches": MLPBranch}, TypeError, "branches"),
     ({"branches": np.array([])}, ValueError, "branches"),
     # an array norm made NumPy's `in` raise its ambiguous-truth error
     ({"norm": np.array(["layer", "rms"])}, TypeError, "norm"),
     ({"norm": np.zeros(0)}, TypeError, "norm"),
     ({"norm": "Layer"}, ValueError, "norm"),
     ({"norm": False}, TypeError, "norm"),
     ({"position": None}, TypeError, "position"),
     ({"position": ["pre"]}, TypeError, "position"),
     ({"alpha": np.array([1.0, np.inf])}, ValueError, "alpha"),
     ({"beta": "0"}, TypeError, "beta"),
     # width 6 is not a multiple of 4 heads
     ({"branches": AttentionBranch(heads=4), "width": 6}, ValueError, "heads"),
     # round(inf) raised OverflowError from the hidden width
     ({"branches": MLPBranch(ratio=1e308)}, ValueError, "ratio"),
     ({"branches": MLPBranch(ratio=1e300), "width": 2**62}, ValueError, "ratio")],
)  # fmt: skip
def test_stack_fields(kwargs, error, field):
    with pytest.raises(error, match=field):
        tiny(**kwargs)


# ---------------------------------------------------------------------- theory of a stack ---


@pytest.mark.parametrize(
    ("value", "error"),
    [(v, TypeError) for v in NOT_NUMBERS] + [(v, ValueError) for v in NOT_FINITE],
    ids=lambda v: v.__name__ if isinstance(v, type) else repr(v),
)
@pytest.mark.parametrize("arg", ["q0", "c0"])
def test_theory_of_a_stack_q0_and_c0(arg, value, error):
    with pytest.raises(error, match=arg):
        theory(tiny(), **{arg: value})


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [({"q0": -1.0}, ValueError, "q0"),
     ({"c0": 1.5}, ValueError, "c0"),
     ({"c0": [0.0, -2.0]}, ValueError, "c0"),
     ({"q0": [1.0, 2.0], "c0": [0.0, 0.5, 1.0]}, ValueError, "q0 and c0 do not broadcast"),
     ({"depth": 3}, TypeError, "depth"),
     ({"widths": [4, 4]}, TypeError, "widths"),
     ({"param": 0.1}, TypeError, "param"),
     ({"sigma_b2": 0.1}, TypeError, "sigma_b2"),
     ({"sigma_b2": np.zeros(2)}, TypeError, "sigma_b2"),
     # a (10^4, 10^4) grid of configurations from two 80 kB vectors
     ({"q0": np.ones((10**4, 1)), "c0": np.zeros(10**4)}, ValueError, "q0 and c0: .*would need")],
)  # fmt: skip
def test_theory_of_a_stack_refusals(kwargs, error, match):
    old = dict(kwargs)
    with pytest.raises(error, match=match):
        theory(tiny(depth=10**5 if "would need" in match else 1), **kwargs)
    assert all(np.array_equal(kwargs[k], old[k]) for k in old)


@pytest.mark.parametrize("position", ["pre", "post"])
def test_theory_of_a_dead_input_needs_no_division_by_zero(position):
    # q0 = 0 before a norm: 1.0 / 0.0 on a Python float raised ZeroDivisionError
    res = theory(tiny(MLPBranch("relu"), position=position), q0=0)
    assert res.q.shape == (2,) and res.q[0] == 0.0


def test_theory_of_a_huge_score_scale_is_inf_not_an_overflow_error():
    # scale ** 2 of a Python float raised OverflowError beyond 1e154
    res = theory(tiny(AttentionBranch(heads=2, scale=1e200)))
    assert res.q.shape == (2,)
    # and zero query/key weights give zero scores, not inf * 0 (a NaN, and a warning)
    zero = theory(tiny(AttentionBranch(heads=2, sigma_qk2=[0.0, 1.0], scale=1e200)))
    plain = theory(tiny(AttentionBranch(heads=2, sigma_qk2=0.0)))
    np.testing.assert_array_equal(zero.q[0], plain.q)


def test_theory_of_subnormal_and_overflowing_variances_warns_of_nothing():
    # a subnormal variance into the Hermite series: 1 / q overflowed, and the slope came out inf
    faint = theory(tiny(MLPBranch("tanh", sigma_w2=2.2250738585e-313), norm="layer"))
    assert np.isfinite(faint.q).all() and np.isfinite(faint.grad_var).all()
    # s1 * q0 beyond float64 before a post-norm: the series of inf warned of inf * 0
    huge = theory(tiny(MLPBranch("gelu", sigma_w2=1e300), position="post"), q0=2.0**31)
    np.testing.assert_allclose(huge.q[1:], 1.0)


@pytest.mark.parametrize("norm", ["layer", None])
@pytest.mark.parametrize("position", ["pre", "post"])
def test_theory_of_an_empty_grid_is_empty(position, norm):
    # one series-map branch with an empty grid beside a scalar one: the compiled pass's
    # coefficient table could not broadcast 0 configurations into 1
    empty = MLPBranch("tanh", sigma_w2=np.zeros((3, 0)))
    res = theory(tiny(empty, MLPBranch("tanh"), AttentionBranch(heads=2), position=position,
                      norm=norm))  # fmt: skip
    for values in (res.q, res.c, res.grad_var, res.grad_corr):
        assert values.shape == (3, 0, 2)


# ------------------------------------------------------------------ simulation of a stack ---


@pytest.mark.parametrize("value", [None, 1j, np.timedelta64(1), True, "1", 10**400, np.nan, 2.0])
@pytest.mark.parametrize("arg", ["batch", "n_networks", "q0", "c0"])
def test_simulate_of_a_stack_numeric_arguments(arg, value):
    if arg in ("q0", "c0") and value == 2.0:
        value = -1.0  # 2.0 is a valid q0 (and an invalid but float c0): test a negative one
    with pytest.raises((TypeError, ValueError), match=arg):
        simulate(tiny(), **({"batch": 1} | {arg: value}))


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [({"dtype": np.float16}, TypeError, "dtype"),
     ({"dtype": "int32"}, TypeError, "dtype"),
     ({"dtype": object()}, TypeError, "dtype"),
     ({"dtype": "0:"}, TypeError, "dtype"),  # NumPy's parser raises ValueError
     ({"dtype": "01"}, TypeError, "dtype"),  # and SyntaxError
     ({"seed": "x"}, TypeError, "seed"),
     ({"seed": -1}, ValueError, "seed"),
     ({"seed": 1.5}, TypeError, "seed"),
     ({"c0": 1.0000001}, ValueError, "c0"),
     ({"activation": "relu"}, TypeError, "activation"),
     ({"param": 0.2}, TypeError, "param"),
     ({"init": "orthogonal"}, TypeError, "init")],
)  # fmt: skip
def test_simulate_of_a_stack_refusals(kwargs, error, match):
    with pytest.raises(error, match=match):
        simulate(tiny(), batch=1, **kwargs)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"n_networks": 2**60}, "n_networks"),  # ran 2^60 networks one after the other
        ({"batch": 2**60}, "batch"),
        ({"n_networks": 10**30}, "n_networks"),
    ],
)
def test_simulate_of_a_stack_absurd_sizes(kwargs, match):
    with pytest.raises(ValueError, match=rf"{match}.*would need .*PiB"):
        simulate(tiny(), **({"batch": 1} | kwargs))


@pytest.mark.parametrize(
    ("branch", "field"),
    [
        (MLPBranch("relu", sigma_w2=1e300), "branches\\[0\\].sigma_w2"),
        (MLPBranch("relu", sigma_o2=1e300), "branches\\[0\\].sigma_o2"),
        (AttentionBranch(heads=2, sigma_qk2=1e300), "branches\\[0\\].sigma_qk2"),
        (AttentionBranch(heads=2, sigma_v2=1e300), "branches\\[0\\].sigma_v2"),
    ],
)
def test_simulate_weights_beyond_the_dtype_name_the_variance(branch, field):
    # the weight stream refused them naming its std, after the Generator was drawn from
    gen = np.random.default_rng(3)
    state = gen.bit_generator.state
    with pytest.raises(ValueError, match=field):
        simulate(tiny(branch), batch=1, seed=gen)
    assert gen.bit_generator.state == state
    res = simulate(tiny(branch), batch=1, seed=0, dtype=np.float64)  # float64 holds them
    assert res.q.shape == (1, 2)


@pytest.mark.parametrize("field", ["alpha", "beta"])
def test_simulate_refuses_array_settings(field):
    with pytest.raises(ValueError, match=f"{field}.*not arrays"):
        simulate(tiny(**{field: [1.0, 0.5]}), batch=1)


# -------------------------------------------------------------------- depth-aware schemes ---


@pytest.mark.parametrize("value", NOT_COUNTS + [0, -1, 2**63, np.uint64(2**64 - 1)], ids=ids)
@pytest.mark.parametrize("arg", ["encoder_layers", "decoder_layers"])
@pytest.mark.parametrize("scheme", [deepnorm, tfixup])
def test_layer_counts(scheme, arg, value):
    if value is None:
        return  # an absent stack
    with pytest.raises((TypeError, ValueError), match=arg):
        scheme(**{arg: value})


@pytest.mark.parametrize("value", NOT_COUNTS + [0, -1, 2**63], ids=ids)
@pytest.mark.parametrize("position", [0, 1])
def test_fixup_scale_arguments(position, value):
    args = [4, 2]
    args[position] = value
    with pytest.raises((TypeError, ValueError), match=["n_branches", "branch_layers"][position]):
        fixup_scale(*args)


def test_skipinit_alpha_takes_no_arguments():
    assert skipinit_alpha() == 0.0
    with pytest.raises(TypeError, match="skipinit_alpha"):
        skipinit_alpha(1.0)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [({"shape": None}, TypeError, "shape"),
     ({"shape": "ab"}, TypeError, "shape"),
     ({"shape": (2.0, 3)}, TypeError, "shape"),
     ({"shape": (2, 3, 4)}, ValueError, "shape"),
     ({"shape": (2**20, 2**20)}, ValueError, "shape.*would need .*TiB"),
     ({"shape": (2**40, 2**30)}, ValueError, "shape.*larger than NumPy allows"),
     ({"dtype": "float8"}, TypeError, "dtype"),
     ({"dtype": np.complex64}, TypeError, "dtype"),
     ({"out": [[0.0, 0.0]] * 4}, TypeError, "out"),
     ({"out": np.zeros((2, 4))}, ValueError, "out"),
     ({"out": np.zeros((4, 2), np.int64)}, TypeError, "out"),
     ({"out": np.zeros((4, 2), ">f4")}, TypeError, "out"),
     ({"out": np.broadcast_to(np.zeros(2), (4, 2))}, ValueError, "out")],
)  # fmt: skip
def test_zero_init_refusals(kwargs, error, match):
    kwargs = {"shape": (4, 2)} | kwargs
    out = kwargs.get("out")
    before = None if not isinstance(out, np.ndarray) else out.copy()
    with pytest.raises(error, match=match):
        zero_init(**kwargs)
    if before is not None:
        np.testing.assert_array_equal(out, before)


# ----------------------------------------------------------------------------------- muP ---


@pytest.mark.parametrize("value", NOT_COUNTS + [0, 2**63], ids=ids)
@pytest.mark.parametrize("arg", ["width", "base_width"])
def test_mup_scales_widths(arg, value):
    kwargs = {"width": 8, "base_width": 4} | {arg: value}
    with pytest.raises((TypeError, ValueError), match=arg):
        mup_scales(kwargs["width"], kwargs["base_width"])


@pytest.mark.parametrize("value", [None, "Adam", ["adam"], np.array("adam"), 1])
def test_mup_scales_optimizer(value):
    with pytest.raises((TypeError, ValueError), match="optimizer"):
        mup_scales(8, 4, optimizer=value)


TINY_CHECK = {"widths": (4, 8), "steps": 1, "depth": 1, "batch": 2, "n_networks": 1}


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [({"widths": 8}, ValueError, "widths"),
     ({"widths": (4, 0)}, ValueError, "widths"),
     ({"widths": (4.0, 8)}, TypeError, "widths"),
     ({"widths": None}, TypeError, "widths"),
     ({"parametrization": "ntk"}, ValueError, "parametrization"),
     ({"parametrization": None}, TypeError, "parametrization"),
     ({"optimizer": b"adam"}, TypeError, "optimizer"),
     ({"steps": 1.0}, TypeError, "steps"),
     ({"depth": True}, TypeError, "depth"),
     ({"batch": -1}, ValueError, "batch"),
     ({"n_networks": "2"}, TypeError, "n_networks"),
     ({"lr": 1j}, TypeError, "lr"),
     ({"lr": np.inf}, ValueError, "lr"),
     ({"base_width": 0}, ValueError, "base_width"),
     ({"base_width": 4.0}, TypeError, "base_width"),
     ({"seed": "x"}, TypeError, "seed"),
     ({"readout_zero_init": 1}, TypeError, "readout_zero_init"),
     # the records of 2^63 steps, and of 2^63 networks: refused, not NumPy's dimension error
     # or an OverflowError
     ({"steps": 2**63}, ValueError, "steps.*would need"),
     ({"n_networks": 2**63}, ValueError, "n_networks.*would need"),
     ({"steps": 2**40}, ValueError, "steps.*would need")],
)  # fmt: skip
def test_coord_check_refusals_leave_the_generator(kwargs, error, match):
    gen = np.random.default_rng(1)
    state = gen.bit_generator.state
    with pytest.raises(error, match=match):
        coord_check(**(TINY_CHECK | {"seed": gen} | kwargs))
    assert gen.bit_generator.state == state


# ------------------------------------------------------- MLP-only arguments with a stack ---
@pytest.mark.parametrize("arg", ["init", "init_kwargs"])
def test_simulate_of_a_stack_refuses_an_array_init_by_name(arg):
    with pytest.raises(TypeError, match=arg):
        simulate(tiny(), batch=1, **{arg: np.ones(2)})


@pytest.mark.parametrize("init_kwargs", [0, "", [], False])
def test_simulate_of_a_stack_refuses_a_falsy_init_kwargs(init_kwargs):
    with pytest.raises(TypeError, match="init_kwargs"):
        simulate(tiny(), batch=1, init_kwargs=init_kwargs)
