"""fastinit.torch.init_: any initializer into any float tensor, in place, with the values of
fastinit's NumPy API; refusals before any write."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import fastinit  # noqa: E402
from fastinit.torch import _tensors, init_  # noqa: E402

from ._helpers import threads  # noqa: E402

CASES = [
    ("uniform", {"low": -0.5, "high": 2.0}),
    ("normal", {"mean": 1.0, "std": 0.3}),
    ("trunc_normal", {"std": 0.02, "a": -0.04, "b": 0.04}),
    ("xavier_uniform", {"gain": 2.0}),
    ("xavier_normal", {}),
    ("kaiming_uniform", {"a": 5**0.5}),
    ("kaiming_normal", {"mode": "fan_out", "nonlinearity": "relu"}),
    ("lecun_normal", {}),
    ("variance_scaling", {"scale": 2.0, "distribution": "uniform"}),
    ("orthogonal", {"gain": 1.5}),
    ("sparse", {"sparsity": 0.5}),
    ("constant", {"value": 0.25}),
    ("eye", {}),
]


@pytest.mark.parametrize("scheme, kwargs", CASES)
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64, torch.float16])
def test_init_equals_the_numpy_api(scheme, kwargs, dtype):
    t = torch.nn.Parameter(torch.empty(24, 40, dtype=dtype))
    out = init_(t, scheme, seed=7, **kwargs)
    assert out is t and t.requires_grad
    np_dtype = {torch.float32: np.float32, torch.float64: np.float64, torch.float16: np.float16}
    seeded = {} if scheme in ("constant", "eye") else {"seed": 7}
    expected = getattr(fastinit, scheme)((24, 40), **kwargs, **seeded, dtype=np_dtype[dtype])
    np.testing.assert_array_equal(t.detach().numpy(), expected)


@pytest.mark.parametrize("scheme, kwargs", CASES[:8])
def test_bfloat16_is_float32_rounded_to_nearest_even(scheme, kwargs):
    t = init_(torch.empty(16, 33, dtype=torch.bfloat16), scheme, seed=3, **kwargs)
    reference = torch.from_numpy(getattr(fastinit, scheme)((16, 33), **kwargs, seed=3))
    assert torch.equal(t, reference.to(torch.bfloat16))


def test_host_route_gives_the_bits_of_the_in_place_route(monkeypatch):
    """CUDA tensors go through the host route (draw on the host, copy_): with no device here,
    run a CPU tensor through that route and compare it with the in-place one."""
    for dtype in (torch.float16, torch.float32, torch.float64):
        direct = init_(torch.empty(8, 129, dtype=dtype), "normal", std=0.1, seed=5)
        with monkeypatch.context() as m:
            m.setattr(_tensors, "_NUMPY_DTYPES", ())
            copied = init_(torch.empty(8, 129, dtype=dtype), "normal", std=0.1, seed=5)
        assert torch.equal(direct, copied)


def test_strided_tensors_are_filled_in_place():
    base = torch.zeros(10, 12)
    view = base.t()[::2]  # (6, 10), non-contiguous
    init_(view, "uniform", seed=1)
    np.testing.assert_array_equal(view.numpy(), fastinit.uniform((6, 10), seed=1))
    rest = base.clone()
    rest.t()[::2] = 0
    assert not rest.any(), "elements outside the view were written"
    half = torch.zeros(4, 6, dtype=torch.bfloat16)
    init_(half[:, ::2], "normal", seed=2)
    expected = torch.from_numpy(fastinit.normal((4, 3), seed=2)).to(torch.bfloat16)
    assert torch.equal(half[:, ::2], expected) and not half[:, 1::2].any()


def test_thread_count_does_not_change_values():
    with threads(1):
        one = init_(torch.empty(300, 301), "trunc_normal", std=0.02, a=-0.04, b=0.04, seed=9)
    with threads(2):
        two = init_(torch.empty(300, 301), "trunc_normal", std=0.02, a=-0.04, b=0.04, seed=9)
    assert torch.equal(one, two)


def test_seed_none_follows_torch_manual_seed():
    torch.manual_seed(0)
    a = init_(torch.empty(5, 5), "normal")
    b = init_(torch.empty(5, 5), "normal")
    torch.manual_seed(0)
    again = init_(torch.empty(5, 5), "normal")
    assert torch.equal(a, again) and not torch.equal(a, b)


def test_trailing_underscore_and_key_seeds():
    k = fastinit.random.key(4).fold_in("w")
    a = init_(torch.empty(3, 4), "kaiming_uniform_", seed=k)
    np.testing.assert_array_equal(a.numpy(), fastinit.kaiming_uniform((3, 4), seed=k))


def test_zero_element_tensor_is_returned():
    t = torch.empty(0, 5)
    assert init_(t, "xavier_uniform", seed=0) is t


@pytest.mark.parametrize(
    "tensor, scheme, kwargs, error, match",
    [
        (np.zeros((2, 2), np.float32), "normal", {}, TypeError, "must be a torch.Tensor"),
        (torch.zeros(2, 2, dtype=torch.int64), "normal", {}, TypeError, "float16, bfloat16"),
        (torch.zeros(2, 2, dtype=torch.complex64), "normal", {}, TypeError, "complex64"),
        (torch.empty(2, 2, device="meta"), "normal", {}, ValueError, "meta device"),
        (torch.zeros(2).expand(3, 2), "normal", {}, ValueError, "zero stride"),
        (torch.zeros(2, 2).to_sparse(), "normal", {}, TypeError, "dense"),
        (torch.zeros(2, 2), "he_normal", {}, ValueError, "is not an initializer"),
        (torch.zeros(2, 2), 3, {}, TypeError, "initializer name"),
        (torch.zeros(2, 2), "normal", {"dtype": np.float32}, TypeError, "sets dtype"),
        (torch.zeros(2, 2), "normal", {"out": None}, TypeError, "sets out"),
        (torch.zeros(2, 2), "normal", {"stdev": 1.0}, TypeError, "'stdev'"),
        (torch.zeros(5), "kaiming_uniform", {}, ValueError, "2 or more dimensions"),
        (torch.zeros(2, 2), "normal", {"std": -1.0}, ValueError, "std"),
        (torch.zeros(2, 2), "uniform", {"low": 1.0, "high": 0.0}, ValueError, "low"),
        (torch.zeros(4, dtype=torch.float16), "normal", {"std": 1e6}, ValueError, "range"),
    ],
)
def test_refusals_leave_the_tensor_as_it_was(tensor, scheme, kwargs, error, match):
    before = tensor.clone() if isinstance(tensor, torch.Tensor) and not tensor.is_meta else None
    with pytest.raises(error, match=match):
        init_(tensor, scheme, seed=0, **kwargs)
    if before is not None and tensor.layout == torch.strided:
        assert torch.equal(tensor, before)


def test_a_refused_call_does_not_draw_from_torch():
    torch.manual_seed(1)
    expected = torch.rand(3)
    torch.manual_seed(1)
    with pytest.raises(ValueError):
        init_(torch.zeros(3), "normal", std=-1.0)
    assert torch.equal(torch.rand(3), expected)


def test_import_is_lazy_and_exports_agree():
    import subprocess
    import sys

    import fastinit.torch as ft

    code = (
        "import sys, fastinit.torch as ft; assert 'torch' not in sys.modules; "
        "ft.init_; assert 'torch' in sys.modules; print('ok')"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.stdout.strip() == "ok", done.stderr
    assert sorted(ft.__all__) == sorted(ft._WHERE)
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        ft.nope  # noqa: B018
