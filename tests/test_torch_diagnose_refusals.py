"""Refusals of fastinit.torch.diagnose and lsuv_: every argument given junk is refused with a
TypeError or ValueError that names it, and the model (parameters, gradients, buffers, modes,
flags, hooks) and a Generator seed are left as they were.

There is no hypothesis sweep of the torch adapter (tests/test_sweep_*.py cover the NumPy
API); these cases are its bad-input sweep. Errors raised by the model's own forward (a batch of
the wrong width, say) are the model's to word: they propagate as they are, the model restored.
"""

import datetime

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from fastinit.torch import diagnose, lsuv_  # noqa: E402
from tests._torch_models import assert_unchanged, model_state  # noqa: E402

nn = torch.nn

JUNK = [None, True, 0, 1.5, "model", b"x", 1j, np.ones((2, 4)), [[1.0] * 4] * 2, object(),
        datetime.timedelta(1), np.float64, Ellipsis]  # fmt: skip


def tiny(bias=True):
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(4, 6, bias=bias), nn.ReLU(), nn.Linear(6, 3, bias=bias))


def batch(rows=5):
    torch.manual_seed(1)
    return torch.randn(rows, 4)


class _Detached(nn.Module):
    """A model whose output does not depend on its parameters."""

    def __init__(self):
        super().__init__()
        self.layer = nn.Linear(4, 4)

    def forward(self, x):
        return self.layer(x).detach()


def refused(fn, net, x, kwargs, error, match):
    """``fn(net, x, **kwargs)`` raises ``error`` matching ``match`` and leaves ``net`` and a
    Generator seed as they were."""
    before = model_state(net) if isinstance(net, nn.Module) else None
    seed = kwargs.get("seed")
    state = seed.bit_generator.state if isinstance(seed, np.random.Generator) else None
    with pytest.raises(error, match=match):
        fn(net, x, **kwargs)
    if before is not None:
        assert_unchanged(net, before)
    if state is not None:
        assert seed.bit_generator.state == state


# ------------------------------------------------------------------------ model and batch ---
MODELS = [(v, TypeError) for v in JUNK] + [
    (nn.Linear, TypeError),  # the class, not a module
    (nn.ModuleList([nn.Linear(4, 4)]), TypeError),  # a container: torch's NotImplementedError
    (nn.ModuleDict({"a": nn.Linear(4, 4)}), TypeError),
]
BATCHES = [(v, TypeError) for v in JUNK] + [
    ((), TypeError),
    ([], TypeError),
    ((batch(), 3), TypeError),
    ({"x": batch()}, TypeError),
    (torch.zeros(0, 4), ValueError),  # diagnose crashed reshaping it, lsuv_ warned
    (torch.zeros(5, 0), ValueError),
    ((batch(), torch.zeros(0)), ValueError),
    (torch.full((5, 4), torch.nan), ValueError),  # diagnose read it as an explosion
    ((batch(), torch.tensor([0.0, torch.nan])), ValueError),
]


@pytest.mark.parametrize(("model", "error"), MODELS, ids=repr)
@pytest.mark.parametrize("fn", [diagnose, lsuv_])
def test_model_junk(fn, model, error):
    refused(fn, model, batch(), {"seed": np.random.default_rng(0)}, error, "model")


@pytest.mark.parametrize(("x", "error"), BATCHES, ids=repr)
@pytest.mark.parametrize("fn", [diagnose, lsuv_])
def test_batch_junk(fn, x, error):
    refused(fn, tiny(), x, {"seed": np.random.default_rng(0)}, error, "batch")


class _Masked(nn.Module):
    """A layer whose second argument is an additive mask, -inf where a feature is dropped."""

    def __init__(self):
        super().__init__()
        self.linear = nn.Linear(4, 4)

    def forward(self, x, mask):
        return self.linear(x).masked_fill(torch.isinf(mask), 0.0) + torch.nan_to_num(mask)


@pytest.mark.parametrize("fn", [diagnose, lsuv_])
def test_infinities_in_the_batch_pass(fn):
    mask = torch.zeros(5, 4)
    mask[:, 0] = -torch.inf
    torch.manual_seed(0)
    fn(_Masked(), (batch(), mask), seed=0)


@pytest.mark.parametrize("fn", [diagnose, lsuv_])
def test_errors_of_the_models_own_forward_propagate_with_the_model_restored(fn):
    refused(fn, tiny(), torch.randn(5, 7), {"seed": 0}, RuntimeError, "cannot be multiplied")


# ----------------------------------------------------------------------- diagnose options ---
DIAGNOSE = [
    *[("loss_fn", v, TypeError) for v in (3, "mean", np.ones(1), object(), 1j)],
    ("loss_fn", lambda out: out, ValueError),  # not a scalar
    ("loss_fn", lambda out: 1.0, ValueError),
    ("loss_fn", lambda out: out.detach().sum(), ValueError),  # no gradient reaches the model
    *[("seed", v, TypeError) for v in ("x", 1.5, [1], object(), 1j, np.random.RandomState(0))],
    ("seed", -1, ValueError),
    *[("band", v, TypeError) for v in ("ab", None, (0.1, None), (0.1, 1j), 5)],
    *[("band", v, ValueError) for v in ((), (0.1,), (2.0, 3.0), (0.1, np.inf), (0.1, 1, 10))],
    *[("batch_first", v, TypeError) for v in ("yes", 1, None, np.array(True))],
    *[("train", v, TypeError) for v in (1, "yes", np.array(False))],
    *[("blocks", v, TypeError) for v in ([nn.Linear], (nn.Linear, 3), "x", None, (int,))],
]


@pytest.mark.parametrize(("arg", "value", "error"), DIAGNOSE, ids=repr)
def test_diagnose_options(arg, value, error):
    kwargs = {"seed": np.random.default_rng(0)} | {arg: value}
    refused(diagnose, tiny(), batch(), kwargs, error, arg)


def test_diagnose_checks_the_seed_also_when_loss_fn_leaves_it_unused():
    refused(diagnose, tiny(), batch(), {"loss_fn": torch.sum, "seed": "x"}, TypeError, "seed")


def test_diagnose_refusal_after_drawing_puts_the_generator_back():
    # the Gaussian output gradient is drawn from the seed before the output is found detached
    refused(diagnose, _Detached(), batch(), {"seed": np.random.default_rng(0)}, ValueError,
            "the model's output does not depend")  # fmt: skip


# -------------------------------------------------------------------------- lsuv_ options ---
LSUV = [
    *[("tol", v, TypeError) for v in (None, True, "0.1", 1j, [0.1], np.timedelta64(1))],
    *[("tol", v, ValueError) for v in (0, -0.1, np.nan, np.inf, 10**400)],
    *[("max_iter", v, TypeError) for v in (None, True, 1.5, "3", [3])],
    *[("max_iter", v, ValueError) for v in (0, -1)],
    *[("seed", v, TypeError) for v in ("x", 1.5, [1], object())],
    ("seed", -1, ValueError),
    *[("orthonormal", v, TypeError) for v in ("no", 1, None, np.array(True))],
]


@pytest.mark.parametrize(("arg", "value", "error"), LSUV, ids=repr)
def test_lsuv_options(arg, value, error):
    kwargs = {"seed": np.random.default_rng(0)} | {arg: value}
    refused(lsuv_, tiny(), batch(), kwargs, error, arg)


def test_lsuv_refusal_after_drawing_puts_the_generator_back():
    # the orthonormal start is drawn from the seed, then a zero batch gives variance 0
    refused(lsuv_, tiny(bias=False), torch.zeros(5, 4), {"seed": np.random.default_rng(0)},
            ValueError, "batch gives layer '0'")  # fmt: skip
