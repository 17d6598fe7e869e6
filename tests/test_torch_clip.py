"""fastinit.torch's clipping functions against torch itself (same process), a float64 oracle for
the roundings, a naive AGC, and bad input."""

import itertools
import math
import warnings

import pytest

torch = pytest.importorskip("torch")

import fastinit.torch as ft  # noqa: E402
from fastinit.torch import _grads  # noqa: E402

DTYPES = [torch.float32, torch.float64, torch.float16, torch.bfloat16]
NORM_TYPES = [1, 2.0, 3.5, 0.5, math.inf, "inf"]
# torch rounds its total norm and its coefficient to the gradients' dtype; fastinit keeps both in
# float64 and rounds each product once, so the two agree to a few roundings of that dtype
RTOL = {torch.float32: 2e-6, torch.float64: 1e-13, torch.float16: 8e-3, torch.bfloat16: 3e-2}


def model(dtype, seed=0, scale=3.0):
    """A small network with every kind of parameter shape (and gradients of ``dtype``)."""
    torch.manual_seed(seed)
    net = torch.nn.Sequential(
        torch.nn.Conv2d(3, 4, 3), torch.nn.Flatten(), torch.nn.Linear(36, 20),
        torch.nn.LayerNorm(20), torch.nn.Linear(20, 1),
    ).to(dtype)  # fmt: skip
    net.register_parameter("scalar", torch.nn.Parameter(torch.zeros((), dtype=dtype)))
    for p in net.parameters():
        p.grad = (torch.randn(p.shape, dtype=torch.float64) * scale).to(dtype)
    return net


def twins(dtype, **options):
    """Two copies of the same parameters (ours, torch's), gradients equal."""
    a = list(model(dtype, **options).parameters())
    b = [torch.nn.Parameter(p.detach().clone()) for p in a]
    for p, q in zip(a, b, strict=True):
        q.grad = p.grad.clone()
    return a, b


def grads(params):
    return [p.grad for p in params]


def close(ours, theirs, dtype):
    for x, y in zip(ours, theirs, strict=True):
        torch.testing.assert_close(x, y, rtol=RTOL[dtype], atol=0, equal_nan=True)


def nearest(y, dtype):
    """float64 ``y`` rounded once to ``dtype`` (bfloat16: exactly, through its 8-bit grid;
    float16 via float32, as fastinit's kernels compute it and as docs/clip.md says)."""
    if dtype is torch.float16:
        return y.to(torch.float32).to(dtype)
    if dtype is torch.bfloat16:
        exponent = torch.frexp(y).exponent.clamp(min=-125)
        ulp = torch.ldexp(torch.ones_like(y), exponent - 8)
        return (torch.round(y / ulp) * ulp).to(dtype)  # representable: the cast is exact
    return y.to(dtype)


# ------------------------------------------------------------------------- torch as the oracle ---
@pytest.mark.parametrize("norm_type", NORM_TYPES)
@pytest.mark.parametrize("dtype", DTYPES)
def test_clip_grad_norm_matches_torch(dtype, norm_type, split):
    if dtype is torch.float16 and norm_type == 0.5:
        pytest.skip("torch's float16 norm overflows here (see test_float16_norm_beyond_65504)")
    ours, theirs = twins(dtype)
    got = ft.clip_grad_norm_(iter(ours), 1.0, norm_type)
    want = torch.nn.utils.clip_grad_norm_(theirs, 1.0, norm_type, foreach=True)
    assert (got.shape, got.dtype, got.device) == (want.shape, want.dtype, want.device)
    torch.testing.assert_close(got, want, rtol=RTOL[dtype], atol=0)
    close(grads(ours), grads(theirs), dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_each_product_rounded_once_from_the_float64_coefficient(dtype, split):
    params, _ = twins(dtype)
    before = [g.double().clone() for g in grads(params)]  # (a float64 .double() is no copy)
    total = torch.linalg.vector_norm(torch.cat([g.flatten() for g in before]))
    ft.clip_grad_norm_(params, 0.25)
    c = 0.25 / (float(total) + 1e-6)
    for g, g0 in zip(grads(params), before, strict=True):
        want = nearest(g0 * c, dtype)
        # float32/float64: 1 ulp, from a norm summed in another order
        tol = torch.finfo(dtype).eps if dtype in (torch.float32, torch.float64) else 0
        torch.testing.assert_close(g, want, rtol=tol, atol=0)


@pytest.mark.parametrize("norm_type", NORM_TYPES)
@pytest.mark.parametrize("dtype", DTYPES)
def test_get_total_norm_matches_torch(dtype, norm_type):
    if dtype is torch.float16 and norm_type == 0.5:
        norm_type = 1.5
    tensors = [g.t() if g.dim() == 2 else g for g in grads(model(dtype).parameters())]
    got = ft.get_total_norm(tensors, norm_type)
    want = torch.nn.utils.get_total_norm(tensors, norm_type)
    assert (got.shape, got.dtype, got.device) == (want.shape, want.dtype, want.device)
    torch.testing.assert_close(got, want, rtol=RTOL[dtype], atol=0)


@pytest.mark.parametrize(
    "dtypes", [(torch.float16, torch.bfloat16), (torch.float32, torch.float64), (torch.float64,)]
)
def test_result_dtype_is_torchs(dtypes):
    tensors = [torch.ones(3, dtype=d) for d in dtypes]
    got, want = ft.get_total_norm(tensors), torch.nn.utils.get_total_norm(tensors)
    assert got.dtype == want.dtype and got.dim() == 0 and got.device.type == "cpu"
    # (torch rounds each dtype's norm to that dtype before combining them)
    torch.testing.assert_close(got, want, rtol=max(RTOL[d] for d in dtypes), atol=0)


def test_empty_inputs_give_torchs_zero():
    for got, want in [
        (ft.get_total_norm([]), torch.nn.utils.get_total_norm([])),
        (ft.clip_grad_norm_([], 1.0), torch.nn.utils.clip_grad_norm_([], 1.0)),
        (ft.clip_grad_norm_([torch.nn.Parameter(torch.ones(2))], 1.0), torch.tensor(0.0)),
    ]:
        assert got.dtype == want.dtype and got.dim() == 0 and float(got) == float(want) == 0.0
    with pytest.warns(UserWarning, match="empty generator"):
        ft.clip_grad_norm_((p for p in []), 1.0)
    assert ft.clip_grad_value_([], 1.0) is None


@pytest.mark.parametrize("dtype", DTYPES)
def test_clip_grad_value_matches_torch(dtype, split):
    ours, theirs = twins(dtype)
    ours[1].grad.view(-1)[:3] = torch.tensor([math.nan, math.inf, -math.inf], dtype=dtype)
    theirs[1].grad.copy_(ours[1].grad)
    ft.clip_grad_value_(ours, 2.5)
    torch.nn.utils.clip_grad_value_(theirs, 2.5, foreach=True)
    for x, y in zip(grads(ours), grads(theirs), strict=True):
        torch.testing.assert_close(x, y, rtol=0, atol=0, equal_nan=True)


def test_clip_value_bound_is_rounded_once_to_bfloat16():
    """torch rounds the bound to float32 and then to bfloat16 (twice): 1 + 2^-8 + 2^-40 becomes
    1.0 there; fastinit rounds it once, to 1 + 2^-7, its nearest bfloat16."""
    c = 1 + 2**-8 + 2**-40
    w = torch.nn.Parameter(torch.zeros(2, dtype=torch.bfloat16))
    w.grad = torch.tensor([2.0, -2.0], dtype=torch.bfloat16)
    ft.clip_grad_value_(w, c)
    assert w.grad.tolist() == [1 + 2**-7, -(1 + 2**-7)]


def test_non_contiguous_and_shared_gradients_match_torch():
    base = torch.randn(6, 40, dtype=torch.float64)
    views = [lambda b: b.t(), lambda b: b[:, ::3], lambda b: b[1:4, 5:30:2].t(), lambda b: b[2]]
    for dtype in (torch.float32, torch.bfloat16):
        ours, theirs = [], []
        for make_view in views:
            for out in (ours, theirs):
                g = make_view(base.to(dtype).clone())
                out.append(torch.nn.Parameter(torch.zeros(g.shape, dtype=dtype)))
                out[-1].grad = g
        ours.append(ours[0])  # listed twice: counted twice in the norm and scaled twice
        theirs.append(theirs[0])
        got = ft.clip_grad_norm_(ours, 0.5)
        want = torch.nn.utils.clip_grad_norm_(theirs, 0.5)
        torch.testing.assert_close(got, want, rtol=RTOL[dtype], atol=0)
        close(grads(ours), grads(theirs), dtype)
        ft.clip_grad_value_(ours, 0.01)
        torch.nn.utils.clip_grad_value_(theirs, 0.01)
        close(grads(ours), grads(theirs), dtype)


# --------------------------------------------------------------------------- non-finite values ---
@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
@pytest.mark.parametrize("norm_type", [2.0, "inf", 1.5])
def test_nonfinite_raises_like_torch_and_modifies_nothing(bad, norm_type):
    ours, theirs = twins(torch.float32)
    for params in (ours, theirs):
        params[2].grad.view(-1)[1] = bad
    before = [g.clone() for g in grads(ours)]
    with pytest.raises(RuntimeError, match=r"parameters\[2\]\.grad holds NaN or inf"):
        ft.clip_grad_norm_(ours, 1.0, norm_type, error_if_nonfinite=True)
    with pytest.raises(RuntimeError):
        torch.nn.utils.clip_grad_norm_(theirs, 1.0, norm_type, error_if_nonfinite=True)
    close(grads(ours), before, torch.float32)
    with pytest.raises(RuntimeError, match=r"tensors\[2\]"):
        ft.get_total_norm(grads(ours), norm_type, error_if_nonfinite=True)
    # without the error: torch's propagation (coefficient 0 for inf, NaN for NaN)
    got = ft.clip_grad_norm_(ours, 1.0, norm_type)
    want = torch.nn.utils.clip_grad_norm_(theirs, 1.0, norm_type)
    torch.testing.assert_close(got, want, equal_nan=True)
    close(grads(ours), grads(theirs), torch.float32)


def test_float16_norm_beyond_65504():
    """torch's float16 norm overflows to inf and it zeroes the gradients; fastinit sums in
    float64, scales them to max_norm, and returns the norm rounded to float16 (inf)."""
    ours, theirs = twins(torch.float16, scale=1.0)
    for params in (ours, theirs):
        params[1].grad.fill_(10000.0)  # 108 values: a norm of 103923
    got = ft.clip_grad_norm_(ours, 1.0, error_if_nonfinite=True)  # finite data: no error
    want = torch.nn.utils.clip_grad_norm_(theirs, 1.0)
    assert got.dtype == want.dtype == torch.float16 and math.isinf(got) and math.isinf(want)
    assert all((g == 0).all() for g in grads(theirs))
    after = float(ft.get_total_norm([g.float() for g in grads(ours)]))
    assert after == pytest.approx(1.0, rel=2e-3)
    named = [(str(i), p) for i, p in enumerate(ours)]
    assert ft.grad_stats(named).total_norm == pytest.approx(after, rel=1e-6)


# ---------------------------------------------------------------- PyTorch's own tests, restated ---
def test_torchs_clip_grad_norm_cases():
    """A Linear(10, 10) with large gradients is clipped to max_norm, every element by the same
    factor, the returned norm the one before; small gradients are left alone; one tensor and a
    list of it give the same result."""
    layer = torch.nn.Linear(10, 10)
    big = (torch.arange(1.0, 101).view(10, 10), torch.ones(10) / 1000)
    small = (torch.rand(10, 10) / 10000, torch.ones(10) / 500)
    for (start, clips), p in itertools.product(
        [(big, True), (small, False)], [0.5, 1.5, 2, 4, "inf"]
    ):
        for param, g in zip(layer.parameters(), start, strict=True):
            param.grad = g.clone()
        before = torch.nn.utils.get_total_norm(grads(layer.parameters()), p)
        norm = ft.clip_grad_norm_(layer.parameters(), 2, norm_type=p)
        after = torch.nn.utils.get_total_norm(grads(layer.parameters()), p)
        torch.testing.assert_close(norm, before)
        ratio = torch.cat(
            [(q.grad / g).flatten() for q, g in zip(layer.parameters(), start, strict=True)]
        )
        assert float(ratio.std()) < 1e-6
        if clips:
            torch.testing.assert_close(after, torch.tensor(2.0), rtol=1e-5, atol=0)
        else:
            assert float(ratio[0]) == 1.0 and float(after) == float(before) <= 2
    one, listed = torch.randn(10, 10), torch.randn(10, 10)
    one.grad, listed.grad = torch.arange(1.0, 101).view(10, 10), torch.arange(1.0, 101).view(10, 10)
    for p in [0.5, 1.5, 2, 4, "inf"]:
        ft.clip_grad_norm_(one, 2, norm_type=p)
        ft.clip_grad_norm_([listed], 2, norm_type=p)
        torch.testing.assert_close(one.grad, listed.grad, rtol=0, atol=0)


def test_torchs_clip_grad_value_cases():
    layer = torch.nn.Linear(10, 10)
    w, b = torch.arange(-50.0, 50).view(10, 10) / 5, torch.ones(10) * 2
    for pair in ([w, b], [w, None]):
        for param, g in zip(layer.parameters(), pair, strict=True):
            param.grad = None if g is None else g.clone()
        ft.clip_grad_value_(layer.parameters(), 2.5)
        assert layer.bias.grad is None or float(layer.bias.grad.max()) <= 2.5
        assert -2.5 <= float(layer.weight.grad.min()) <= float(layer.weight.grad.max()) <= 2.5
    one, listed = torch.randn(10, 10), torch.randn(10, 10)
    one.grad, listed.grad = w.clone(), w.clone()
    ft.clip_grad_value_(one, 2.5)
    ft.clip_grad_value_([listed], 2.5)
    torch.testing.assert_close(one.grad, listed.grad, rtol=0, atol=0)


# ----------------------------------------------------------------- what the kernels cannot take ---
def test_other_devices_are_torchs_own_call(monkeypatch):
    """Gradients the kernels cannot read (here on the meta device; CUDA takes the same branch)
    make the whole call torch's function, with the same arguments."""
    calls = []
    for name in ("clip_grad_norm_", "clip_grad_value_", "get_total_norm"):
        real = getattr(torch.nn.utils, name)

        def record(*args, _real=real, _name=name):
            calls.append((_name, args[1:]))
            return _real(*args)

        monkeypatch.setattr(torch.nn.utils, name, record)
    meta = torch.nn.Parameter(torch.empty(3, device="meta"))
    meta.grad = torch.empty(3, device="meta")
    assert ft.clip_grad_norm_([meta], 1.0, "inf", foreach=False).device.type == "meta"
    assert ft.get_total_norm([meta.grad], 3.0).device.type == "meta"
    ft.clip_grad_value_([meta], 0.5)
    assert calls == [
        ("clip_grad_norm_", (1.0, "inf", False, False)),
        ("get_total_norm", (3.0, False, None)),
        ("clip_grad_value_", (0.5, None)),
    ]
    with pytest.raises(TypeError, match="on meta"):
        ft.adaptive_clip_([meta])
    with pytest.raises(TypeError, match="on meta"):
        ft.grad_stats([("m", meta)])


def test_complex_gradients_are_torchs_own_call():
    ours, theirs = torch.nn.Parameter(torch.zeros(4, dtype=torch.complex64)), None
    ours.grad = torch.tensor([3 + 4j, 1j, 0, 2], dtype=torch.complex64)
    theirs = torch.nn.Parameter(torch.zeros(4, dtype=torch.complex64))
    theirs.grad = ours.grad.clone()
    torch.testing.assert_close(
        ft.clip_grad_norm_(ours, 1.0), torch.nn.utils.clip_grad_norm_(theirs, 1.0)
    )
    torch.testing.assert_close(ours.grad, theirs.grad)


def test_sparse_gradients_are_refused_by_name():
    emb = torch.nn.Embedding(10, 3, sparse=True)
    emb(torch.tensor([1, 2, 1])).sum().backward()
    dense = torch.nn.Parameter(torch.ones(2))
    dense.grad = torch.full((2,), 5.0)
    for fn in (ft.clip_grad_norm_, ft.clip_grad_value_):
        with pytest.raises(TypeError, match=r"parameters\[1\]\.grad has layout torch\.sparse_coo"):
            fn([dense, emb.weight], 1.0)
    assert dense.grad.tolist() == [5.0, 5.0]


@pytest.mark.parametrize(
    "call, error, match",
    [
        (lambda p: ft.clip_grad_norm_([p, 3], 1.0), TypeError, r"parameters\[1\] must be"),
        (lambda p: ft.clip_grad_norm_("weights", 1.0), TypeError, "parameters must be"),
        (lambda p: ft.get_total_norm([torch.arange(3)]), TypeError, r"tensors\[0\] has dtype"),
        (lambda p: ft.get_total_norm([None]), TypeError, r"tensors\[0\] must be a torch"),
        (lambda p: ft.clip_grad_norm_(p, -1.0), ValueError, "max_norm must be >= 0"),
        (lambda p: ft.clip_grad_norm_(p, math.nan), ValueError, "max_norm"),
        (lambda p: ft.clip_grad_norm_(p, "1"), TypeError, "max_norm"),
        (lambda p: ft.clip_grad_norm_(p, 1.0, "fro"), ValueError, "norm_type must be"),
        (lambda p: ft.clip_grad_norm_(p, 1.0, 0), ValueError, "norm_type must be > 0"),
        (lambda p: ft.clip_grad_norm_(p, 1.0, -2.0), ValueError, "norm_type must be > 0"),
        (lambda p: ft.get_total_norm(p.grad, "-inf"), ValueError, "norm_type must be > 0"),
        (lambda p: ft.get_total_norm(p.grad, None), TypeError, "norm_type must be"),
        (lambda p: ft.clip_grad_norm_(p, 1.0, error_if_nonfinite=1), TypeError, "error_if"),
        (lambda p: ft.clip_grad_norm_(p, 1.0, foreach="yes"), TypeError, "foreach"),
        (lambda p: ft.clip_grad_value_(p, -0.1), ValueError, "clip_value must be >= 0"),
        (lambda p: ft.clip_grad_value_(p, math.nan), ValueError, "clip_value"),
        (lambda p: ft.grad_stats([p]), TypeError, r"named_parameters\[0\] must be a \(name"),
        (lambda p: ft.grad_stats([("a", p), ("a", p)]), ValueError, "'a' twice"),
        (lambda p: ft.adaptive_clip_(p, 0.0), ValueError, "clipping must be > 0"),
        (lambda p: ft.adaptive_clip_([p], exclude="w"), ValueError, "exclude needs named"),
        (lambda p: ft.adaptive_clip_([("w", p)], exclude="x"), ValueError, "match no parameter"),
        (lambda p: ft.adaptive_clip_([("w", p)], exclude=[1]), TypeError, r"exclude\[0\]"),
    ],
)
def test_bad_input_is_refused_by_name_before_any_write(call, error, match):
    p = torch.nn.Parameter(torch.ones(3))
    p.grad = torch.tensor([3.0, -4.0, 12.0])
    with pytest.raises(error, match=match):
        call(p)
    assert p.grad.tolist() == [3.0, -4.0, 12.0]


def test_what_torch_accepts_and_fastinit_accepts_too():
    p = torch.nn.Parameter(torch.ones(2))
    p.grad = torch.tensor([3.0, 4.0])
    assert float(ft.get_total_norm(p.grad, "Infinity")) == 4.0
    assert float(ft.get_total_norm(p.grad, 1)) == 7.0
    assert float(ft.clip_grad_norm_(p, math.inf)) == 5.0 and p.grad.tolist() == [3.0, 4.0]
    ft.clip_grad_norm_(p, 0.0)  # torch's coefficient 0: the gradients are zeroed
    assert p.grad.tolist() == [0.0, 0.0]
    x = torch.ones(2, requires_grad=True)
    (3 * x).sum().backward()
    version = x.grad._version
    assert float(ft.clip_grad_norm_(x, 1.0)) == pytest.approx(math.sqrt(18))
    assert x.grad._version > version  # autograd is told about the in-place write


# --------------------------------------------------------------------------- bfloat16 kernels ---
def test_every_bfloat16_pattern_survives_the_kernels():
    bits = torch.arange(-(2**15), 2**15, dtype=torch.int32).to(torch.int16)
    w = torch.nn.Parameter(torch.zeros(2**16, dtype=torch.bfloat16))
    w.grad = bits.view(torch.bfloat16).clone()
    ft.clip_grad_value_(w, math.inf)  # every value read into float32 and stored back
    same = w.grad.view(torch.int16) == bits
    nan = torch.isnan(bits.view(torch.bfloat16))
    assert bool((same | nan).all()) and bool(torch.isnan(w.grad[nan]).all())
    want = torch.linalg.vector_norm(bits.view(torch.bfloat16)[~nan].double(), math.inf)
    assert float(ft.get_total_norm(w.grad[~nan], "inf")) == float(want)


def test_bfloat16_scaling_rounds_ties_and_subnormals_once():
    values = [1 + k / 128 for k in range(128)] + [2.0**-126, 3 * 2.0**-133, 2.0**-133, 3.3e38]
    x = torch.tensor(values + [-v for v in values], dtype=torch.bfloat16)
    for c in (1 + 2**-9, 1 - 2**-10, 0.75 + 2**-30, 0.5 - 2**-40, 1e-3):
        w = torch.nn.Parameter(torch.zeros(len(x), dtype=torch.bfloat16))
        w.grad = x.clone()
        total = float(torch.linalg.vector_norm(x.double()))
        max_norm = c * (total + 1e-6)
        ft.clip_grad_norm_(w, max_norm)
        want = nearest(x.double() * (max_norm / (total + 1e-6)), torch.bfloat16)
        assert torch.equal(w.grad.view(torch.int16), want.view(torch.int16)), c


# ------------------------------------------------------------------------------------------ AGC ---
def naive_agc(params, clipping, eps):
    """timm's unit-wise AGC, in float64."""
    for p in params:
        w, g = p.detach().double(), p.grad.double()
        dims = tuple(range(1, g.dim())) if g.dim() > 1 else None
        wn = torch.linalg.vector_norm(w, dim=dims, keepdim=True).clamp(min=eps)
        gn = torch.linalg.vector_norm(g, dim=dims, keepdim=True)
        limit = wn * clipping
        scaled = g * (limit / gn.clamp(min=1e-6))
        p.grad.copy_(torch.where(gn > limit, scaled, g))


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64, torch.bfloat16])
def test_adaptive_clip_matches_a_naive_torch_agc(dtype):
    ours, theirs = twins(dtype, scale=0.05)
    ours[1].grad = None
    theirs[1].grad = None
    ft.adaptive_clip_(ours, 0.02)
    naive_agc([p for p in theirs if p.grad is not None], 0.02, 1e-3)
    close([g for g in grads(ours) if g is not None], [g for g in grads(theirs) if g is not None],
          dtype)  # fmt: skip
    assert ours[1].grad is None


def test_adaptive_clip_excludes_by_name_and_module_prefix():
    net = model(torch.float32, scale=1.0)
    named = dict(net.named_parameters())
    before = {n: p.grad.clone() for n, p in named.items()}
    ft.adaptive_clip_(net.named_parameters(), 0.01, exclude=["4", "2.bias"])
    untouched = {"4.weight", "4.bias", "2.bias"}
    for n, p in named.items():
        assert torch.equal(p.grad, before[n]) == (n in untouched), n
    twin = model(torch.float32, scale=1.0)
    naive_agc([p for n, p in twin.named_parameters() if n not in untouched], 0.01, 1e-3)
    for (n, p), q in zip(twin.named_parameters(), named.values(), strict=True):
        if n not in untouched:
            torch.testing.assert_close(q.grad, p.grad, rtol=2e-6, atol=0)
    with pytest.raises(ValueError, match="match no parameter"):
        ft.adaptive_clip_(net.named_parameters(), exclude="2.b")  # a prefix at a dot only


def test_adaptive_clip_refuses_nonfinite_units_by_name():
    net = torch.nn.Linear(3, 2)
    for p in net.parameters():
        p.grad = torch.ones_like(p)
    net.bias.grad[1] = math.nan
    with pytest.raises(ValueError, match="'bias' or its gradient"):
        ft.adaptive_clip_(net.named_parameters())
    assert torch.equal(net.weight.grad, torch.ones(2, 3))


# ----------------------------------------------------------------------------------- grad_stats ---
@pytest.mark.parametrize("norm_type", [2.0, 1, "inf", 3.5])
@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16, torch.float64])
def test_grad_stats_is_one_pass_of_everything(dtype, norm_type, split):
    net = model(dtype)
    net[2].bias.grad = None
    net[0].weight.grad.view(-1)[[0, 5, 7]] = torch.tensor([math.nan, math.inf, -math.inf]).to(dtype)
    stats = ft.grad_stats(net.named_parameters(), norm_type)
    p = float(norm_type)
    named = {n: q.grad for n, q in net.named_parameters() if q.grad is not None}
    assert list(stats.norms) == list(named) and "2.bias" not in stats.norms
    for n, g in named.items():
        want = float(torch.linalg.vector_norm(g.double(), p))
        assert stats.norms[n] == pytest.approx(want, rel=1e-12, nan_ok=True), n
    assert stats.nonfinite == {"0.weight": 3} and stats.finite is False
    assert math.isnan(stats.total_norm)
    net[0].weight.grad.view(-1)[[0, 5, 7]] = 1.0
    stats = ft.grad_stats(dict(net.named_parameters()), norm_type)
    want = torch.linalg.vector_norm(torch.cat([g.double().flatten() for g in named.values()]), p)
    assert stats.finite and stats.nonfinite == {}
    assert stats.total_norm == pytest.approx(float(want), rel=1e-12)
    assert ft.grad_stats([]) == (0.0, {}, {}, True)


def test_a_training_loop_skips_a_step_on_nonfinite_gradients():
    torch.manual_seed(0)
    net = torch.nn.Linear(4, 1)
    optimizer = torch.optim.SGD(net.parameters(), lr=0.1)
    applied = []
    for step, x in enumerate([torch.ones(8, 4), torch.full((8, 4), math.inf), torch.ones(8, 4)]):
        optimizer.zero_grad()
        net(x).pow(2).mean().backward()
        stats = ft.grad_stats(net.named_parameters())
        if stats.finite:
            ft.clip_grad_norm_(net.parameters(), 1.0)
            optimizer.step()
            applied.append(step)
    assert applied == [0, 2] and all(torch.isfinite(p).all() for p in net.parameters())


def test_grad_stats_warns_nothing_and_foreach_is_ignored():
    p = torch.nn.Parameter(torch.ones(2))
    p.grad = torch.tensor([3.0, 4.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for foreach in (None, True, False):
            assert float(ft.get_total_norm([p.grad], foreach=foreach)) == 5.0
    assert _grads.foreign(p.grad) is False
