"""fastinit.torch.init_module_ and materialize_module_: torch's default rule per layer type
(checked against torch's own initialization in the same process), keys by qualified name,
overrides, and materializing from meta."""

import math
import warnings

import numpy as np
import pytest
from scipy import stats

torch = pytest.importorskip("torch")
from torch import nn  # noqa: E402

import fastinit  # noqa: E402
from fastinit.torch import init_module_, materialize_module_  # noqa: E402

from ._helpers import threads  # noqa: E402

LAYERS = {
    "linear": lambda: nn.Linear(300, 200),
    "linear_no_bias": lambda: nn.Linear(300, 50, bias=False),
    "bilinear": lambda: nn.Bilinear(20, 30, 40),
    "conv1d": lambda: nn.Conv1d(16, 32, 5),
    "conv2d": lambda: nn.Conv2d(16, 32, 3),
    "conv3d": lambda: nn.Conv3d(4, 8, 3),
    "conv_transpose2d": lambda: nn.ConvTranspose2d(16, 32, 3, groups=2),
    "embedding": lambda: nn.Embedding(1000, 64, padding_idx=3),
    "embedding_bag": lambda: nn.EmbeddingBag(500, 32, padding_idx=0),
    "layer_norm": lambda: nn.LayerNorm(64),
    "group_norm": lambda: nn.GroupNorm(4, 64),
    "batch_norm": lambda: nn.BatchNorm2d(64),
    "instance_norm": lambda: nn.InstanceNorm1d(8, affine=True, track_running_stats=True),
    "rms_norm": lambda: nn.RMSNorm(64),
    "rnn": lambda: nn.RNN(32, 64, num_layers=2),
    "lstm_proj": lambda: nn.LSTM(32, 64, proj_size=16, bidirectional=True),
    "gru": lambda: nn.GRU(32, 48),
    "lstm_cell": lambda: nn.LSTMCell(32, 64),
    "prelu": lambda: nn.PReLU(8, init=0.1),
    "attention": lambda: nn.MultiheadAttention(64, 4),
    "attention_kv": lambda: nn.MultiheadAttention(64, 4, kdim=32, vdim=48, add_bias_kv=True),
    "encoder_layer": lambda: nn.TransformerEncoderLayer(64, 4, dim_feedforward=128),
    "decoder_layer": lambda: nn.TransformerDecoderLayer(64, 4, dim_feedforward=128),
    "transformer": lambda: nn.Transformer(32, 2, 1, 1, dim_feedforward=64, batch_first=True),
}


def _state(module):
    return {n: t.detach().clone() for n, t in module.state_dict().items()}


@pytest.mark.parametrize("layer", sorted(LAYERS))
def test_default_rule_matches_torch(layer):
    """Per parameter and buffer: constants equal torch's exactly; random tensors have torch's
    support (the same bound) and distribution (two-sample Kolmogorov-Smirnov against torch's
    own draw for the same layer)."""
    torch.manual_seed(0)
    theirs = _state(LAYERS[layer]())
    module = LAYERS[layer]()
    with torch.no_grad():  # scribble, so that nothing torch set is left by accident
        for t in module.state_dict().values():
            t.fill_(7)
    init_module_(module, seed=1)
    ours = _state(module)
    assert ours.keys() == theirs.keys()
    for name, mine in ours.items():
        ref = theirs[name]
        if ref.dtype == torch.int64 or torch.unique(ref).numel() <= 2:
            assert torch.equal(mine, ref), name  # ones, zeros, 0.1, counters, padding rows
            continue
        a, b = mine.double().numpy().ravel(), ref.double().numpy().ravel()
        assert np.abs(a).max() <= np.abs(b).max() * 1.5 + 1e-12, name
        if a.size >= 200:
            assert stats.ks_2samp(a, b).pvalue > 1e-4, name
            assert abs(a.std() / b.std() - 1) < 0.15, name


@pytest.mark.parametrize("layer", ["linear", "conv2d", "bilinear", "rnn", "lstm_cell"])
def test_uniform_rules_reach_torchs_bound(layer):
    module = init_module_(LAYERS[layer](), seed=2)
    for name, p in module.named_parameters():
        if layer in ("rnn", "lstm_cell"):
            bound = 1 / math.sqrt(module.hidden_size)
        elif layer == "bilinear":
            bound = 1 / math.sqrt(module.weight.shape[1])
        else:
            bound = 1 / math.sqrt(fastinit.compute_fans(tuple(module.weight.shape))[0])
        top = p.detach().abs().max().item()
        assert top <= bound and (p.numel() < 200 or top > 0.95 * bound), name


def test_padding_rows_are_zero_and_attention_biases_too():
    emb = init_module_(nn.Embedding(50, 8, padding_idx=-1), seed=0)
    assert not emb.weight[49].any() and emb.weight[:49].abs().min() > 0
    mha = init_module_(nn.MultiheadAttention(16, 2), seed=0)
    assert not mha.in_proj_bias.any() and not mha.out_proj.bias.any()


def test_values_depend_on_the_name_and_seed_only():
    a = nn.Sequential()
    a.add_module("enc", nn.Linear(16, 8))
    a.add_module("dec", nn.Linear(8, 4))
    b = nn.Sequential()  # other order, another layer in between
    b.add_module("dec", nn.Linear(8, 4))
    b.add_module("extra", nn.Linear(4, 4))
    b.add_module("enc", nn.Linear(16, 8))
    with threads(1):
        init_module_(a, seed=3)
    with threads(2):
        init_module_(b, seed=3)
    for name, p in a.named_parameters():
        assert torch.equal(p, b.get_parameter(name)), name
    root = fastinit.random.key(3)
    expected = fastinit.kaiming_uniform((8, 16), a=math.sqrt(5), seed=root.fold_in("enc.weight"))
    np.testing.assert_array_equal(a.enc.weight.detach().numpy(), expected)


def test_seed_none_follows_torch_manual_seed():
    torch.manual_seed(5)
    first = _state(init_module_(nn.Linear(6, 6)))
    second = _state(init_module_(nn.Linear(6, 6)))
    torch.manual_seed(5)
    again = _state(init_module_(nn.Linear(6, 6)))
    assert all(torch.equal(first[k], again[k]) for k in first)
    assert not torch.equal(first["weight"], second["weight"])


def test_scheme_overrides():
    net = nn.Sequential(nn.Linear(64, 64), nn.LayerNorm(64), nn.Embedding(100, 64))
    init_module_(net, seed=0, scheme=("normal", {"std": 0.02}))
    assert abs(net[0].weight.std().item() - 0.02) < 0.002
    assert abs(net[2].weight.std().item() - 0.02) < 0.002
    assert net[0].bias.abs().max() <= 1 / 8 and torch.equal(net[1].weight, torch.ones(64))

    def zero_biases(name, tensor):
        return ("zeros", {}) if name.endswith("bias") else None

    init_module_(net, seed=0, scheme=zero_biases)
    assert not net[0].bias.any() and not net[1].bias.any()
    assert net[0].weight.abs().max() <= 1 / 8  # the default rule for the rest
    init_module_(net, seed=0, scheme="orthogonal")
    w = net[0].weight.detach().double()
    assert torch.allclose(w @ w.T, torch.eye(64, dtype=torch.float64), atol=1e-5)


class Scaled(nn.Module):
    """A custom module owning a parameter directly, and a buffer."""

    def __init__(self):
        super().__init__()
        self.proj = nn.Linear(4, 4)
        self.scale = nn.Parameter(torch.full((4,), 3.0))
        self.register_buffer("mask", torch.tril(torch.ones(4, 4)))


def test_unknown_modules_are_left_with_a_warning_naming_them():
    m = Scaled()
    with pytest.warns(UserWarning, match=r"scale \(Scaled\)"):
        init_module_(m, seed=0)
    assert torch.equal(m.scale, torch.full((4,), 3.0))
    assert torch.equal(m.mask, torch.tril(torch.ones(4, 4)))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        init_module_(m, seed=0, scheme=lambda n, t: ("ones", {}) if n == "scale" else None)
    assert torch.equal(m.scale, torch.ones(4))


@pytest.mark.parametrize(
    "scheme, error, match",
    [
        ("nope", ValueError, "is not an initializer"),
        (("normal", {"std": -1.0}), ValueError, "std"),
        (("normal", {"sigma": 1.0}), TypeError, "'sigma'"),
        (lambda n, t: ("kaiming_uniform", {}), ValueError, "2 or more dimensions"),
        (lambda n, t: 3, TypeError, "scheme for"),
        (42, TypeError, "scheme"),
    ],
)
def test_bad_schemes_are_refused_before_any_write(scheme, error, match):
    net = nn.Sequential(nn.Linear(4, 4), nn.Linear(4, 4))
    before = _state(net)
    with pytest.raises(error, match=match):
        init_module_(net, seed=0, scheme=scheme)
    assert all(torch.equal(before[k], v) for k, v in _state(net).items())


def test_refusals():
    with pytest.raises(TypeError, match="module must be a torch.nn.Module"):
        init_module_(torch.zeros(3))
    with torch.device("meta"):
        meta = nn.Linear(3, 3)
    with pytest.raises(ValueError, match="materialize_module_"):
        init_module_(meta)
    with pytest.raises(ValueError, match="lazy"):
        init_module_(nn.LazyLinear(3))


MODELS = {
    "mlp": lambda: nn.Sequential(nn.Linear(32, 64), nn.GELU(), nn.LayerNorm(64), nn.Linear(64, 8)),
    "lstm": lambda: nn.LSTM(16, 32, num_layers=2, proj_size=8),
    "encoder": lambda: nn.TransformerEncoder(
        nn.TransformerEncoderLayer(32, 4, 64, batch_first=True), 2
    ),
    "conv": lambda: nn.Sequential(nn.Conv2d(3, 8, 3), nn.BatchNorm2d(8), nn.Conv2d(8, 4, 1)),
}


@pytest.mark.parametrize("model", sorted(MODELS))
@pytest.mark.parametrize("dtype", [None, torch.bfloat16, torch.float64])
def test_materialize_equals_init_module_on_the_eager_model(model, dtype):
    with torch.device("meta"):
        lazy = MODELS[model]()
    materialize_module_(lazy, seed=11, dtype=dtype)
    eager = MODELS[model]()
    if dtype is not None:
        eager = eager.to(dtype)
    init_module_(eager, seed=11)
    lazy_state, eager_state = _state(lazy), _state(eager)
    assert lazy_state.keys() == eager_state.keys()
    for name, value in eager_state.items():
        assert lazy_state[name].device.type == "cpu"
        assert torch.equal(lazy_state[name], value), name
    for p in lazy.parameters():
        assert isinstance(p, nn.Parameter) and p.requires_grad


def test_materialized_modules_run_and_stay_tied():
    with torch.device("meta"):
        lstm = nn.LSTM(8, 16)
        tied = nn.Sequential(nn.Embedding(20, 8), nn.Linear(8, 20, bias=False))
    tied[1].weight = tied[0].weight
    materialize_module_(lstm, seed=0)
    out, _ = lstm(torch.ones(3, 1, 8))
    assert torch.isfinite(out).all()
    materialize_module_(tied, seed=0)
    assert tied[1].weight is tied[0].weight and not tied[0].weight.is_meta
    np.testing.assert_array_equal(
        tied[0].weight.detach().numpy(),
        fastinit.normal((20, 8), seed=fastinit.random.key(0).fold_in("0.weight")),
    )


def test_materialize_refuses_what_it_cannot_know_and_allocates_nothing():
    with torch.device("meta"):
        m = Scaled()
    with pytest.raises(ValueError, match=r"\['scale', 'mask'\]"):
        materialize_module_(m, seed=0)
    assert all(t.is_meta for t in m.state_dict().values())
    with pytest.raises(TypeError, match="dtype"):
        materialize_module_(nn.Linear(2, 2), dtype=torch.int32)
