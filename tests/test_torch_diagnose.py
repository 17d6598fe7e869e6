"""fastinit.torch.diagnose on real models: the correlation columns, residual blocks, outputs of
any structure, a model left exactly as it was, refusals by name (verdicts and remedies on plain
networks: test_torch_diagnose_verdicts.py)."""

import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from fastinit.torch import diagnose  # noqa: E402
from fastinit.torch._measure import mean_pairwise_cosine  # noqa: E402
from tests._torch_models import (  # noqa: E402
    Conv1DLike,
    assert_unchanged,
    conv_net,
    gaussian,
    mlp,
    model_state,
)

nn = torch.nn


class AttentionStack(nn.Module):
    """Self-attention layers without residuals or norms: the setting of rank collapse."""

    def __init__(self, depth=6, width=32, heads=4):
        super().__init__()
        self.layers = nn.ModuleList(
            nn.MultiheadAttention(width, heads, batch_first=True) for _ in range(depth)
        )

    def forward(self, x):
        for attention in self.layers:
            x = attention(x, x, x, need_weights=False)[0]
        return x


# ------------------------------------------------------------------------------ verdicts ---
def test_token_correlation_of_an_attention_stack_rises_to_one():
    torch.manual_seed(0)
    d = diagnose(AttentionStack(), gaussian(8, 16, 32), seed=0)
    corr = d.correlation
    assert d.names == tuple(f"layers.{i}" for i in range(6)) and not any(d.branch)
    assert corr[0] < 0.9 and corr[-1] > 0.999
    assert np.all(np.diff(corr) > -1e-3)  # rising with depth: rank collapse
    assert d.verdict == "vanishing"


def test_transformer_layers_get_block_rows_and_their_branches_do_not_decide():
    torch.manual_seed(0)
    layer = nn.TransformerEncoderLayer(32, 4, 64, dropout=0.0, batch_first=True)
    encoder = nn.TransformerEncoder(layer, 2, enable_nested_tensor=False)
    d = diagnose(encoder, gaussian(4, 12, 32), seed=0)
    rows = dict(zip(d.names, d.branch, strict=True))
    assert rows["layers.0"] is False and rows["layers.0.self_attn"] is True
    assert d.names.index("layers.0") == d.names.index("layers.0.norm2") + 1  # after its layers
    # the attention branch is small beside the residual stream: flagged in parentheses only
    assert d.forward_ratio[d.names.index("layers.0.self_attn")] < 0.1
    assert d.verdict == "stable" and "(fwd)" in d.table()


class _PreNormBlock(nn.Module):
    """x + MLP(LayerNorm(x)): parameters only in its submodules, as in a GPT's layers."""

    def __init__(self, width):
        super().__init__()
        self.norm = nn.LayerNorm(width)
        self.up, self.down = nn.Linear(width, 4 * width), nn.Linear(4 * width, width)

    def forward(self, x):
        return x + self.down(torch.nn.functional.gelu(self.up(self.norm(x))))


class _TinyGPT(nn.Module):
    """Token and position embeddings of std 0.02, pre-norm blocks, a final norm and a head tied
    to the embedding: GPT-2's layout and initialization (weights of std 0.02, zero biases),
    which trains as it is."""

    def __init__(self, depth=8, width=32, vocab=50, seq=16):
        super().__init__()
        torch.manual_seed(0)
        self.tokens, self.positions = nn.Embedding(vocab, width), nn.Embedding(seq, width)
        self.layers = nn.ModuleList(_PreNormBlock(width) for _ in range(depth))
        self.norm, self.head = nn.LayerNorm(width), nn.Linear(width, vocab, bias=False)
        for module in self.modules():
            if isinstance(module, (nn.Linear, nn.Embedding)):
                nn.init.normal_(module.weight, std=0.02)
            if isinstance(module, nn.Linear) and module.bias is not None:
                nn.init.zeros_(module.bias)
        self.head.weight = self.tokens.weight

    def forward(self, ids):
        x = self.tokens(ids) + self.positions(torch.arange(ids.shape[1]))
        for layer in self.layers:
            x = layer(x)
        return self.head(self.norm(x))


def test_repeated_blocks_are_found_and_the_verdict_reads_the_stream_through_them():
    model, ids = (
        _TinyGPT(),
        torch.randint(0, 50, (4, 16), generator=torch.Generator().manual_seed(0)),
    )
    d = diagnose(model, ids, seed=0)
    blocks = [name for name, is_block in zip(d.names, d.block, strict=True) if is_block]
    assert blocks == [f"layers.{i}" for i in range(8)] and list(d.deciding) == list(d.block)
    with torch.no_grad():  # q0: the stream entering the first block
        stream = model.tokens(ids) + model.positions(torch.arange(16))
    assert d.simulation.q0 == pytest.approx(float(stream.double().square().mean()), rel=1e-9)
    # the embeddings (std 0.02), the final norm (variance 1) and the head have scales of their
    # own: their flags are shown in parentheses, and they do not decide
    assert d.verdict == "stable" and d.backward_ratio[d.names.index("layers.7")] == 1.0
    rows = {line.split()[1]: line for line in d.table().splitlines()[1:-1]}
    assert rows["norm"].endswith("(fwd grad)") and rows["head"].endswith("(fwd)")
    # read row by row as an MLP, the first norm's output (~1, against the stream's 0.0008) would
    # be an explosion
    plain = diagnose(model, ids, seed=0, blocks=())
    assert not any(plain.block) and plain.verdict == "exploding"
    assert plain.failing_module == "layers.0.norm"


def test_the_plot_joins_the_rows_the_verdict_reads(tmp_path):
    pytest.importorskip("matplotlib")
    ids = torch.randint(0, 50, (4, 16), generator=torch.Generator().manual_seed(0))
    d = diagnose(_TinyGPT(), ids, seed=0)
    figure = d.plot(tmp_path / "gpt.png")
    lines = {line.get_label(): line for line in figure.axes[0].get_lines()}
    joined = lines["forward (output), rows the verdict reads"].get_xdata()
    assert list(joined) == [i + 1 for i, reads in enumerate(d.deciding) if reads]
    assert len(lines["forward (output), measured"].get_xdata()) == len(d.names)
    assert (tmp_path / "gpt.png").stat().st_size > 0


class _Stage(nn.Sequential):
    """Repeated items that own parameters (Linear) are layers, not blocks; a lone item is no
    block either."""


def test_auto_blocks_are_repeated_parameterless_container_items():
    from fastinit.torch._diagnose import _block_names

    lone = nn.Sequential(_PreNormBlock(8))
    layers = nn.Sequential(nn.Linear(8, 8), nn.ReLU(), nn.Linear(8, 8))
    pairs = nn.Sequential(*(nn.Sequential(nn.Linear(8, 8), nn.ReLU()) for _ in range(3)))
    mixed = nn.ModuleDict({"a": nn.ModuleList([_PreNormBlock(8), _PreNormBlock(8), nn.ReLU()])})
    assert _block_names(lone, "auto") == [] and _block_names(layers, "auto") == []
    assert _block_names(pairs, "auto") == ["0", "1", "2"]
    assert _block_names(mixed, "auto") == ["a.0", "a.1"]  # ReLU twice would hold no parameters
    assert _block_names(mixed, (nn.ReLU,)) == ["a.2"] and _block_names(mixed, ()) == []


class _Checkpointed(nn.Module):
    """Pre-norm blocks run under activation checkpointing, which recomputes parts of them in
    the backward pass."""

    def __init__(self, checkpointed):
        super().__init__()
        torch.manual_seed(0)
        self.layers = nn.ModuleList(_PreNormBlock(16) for _ in range(4))
        self.checkpointed = checkpointed

    def forward(self, x):
        for layer in self.layers:
            if self.checkpointed:
                x = torch.utils.checkpoint.checkpoint(layer, x, use_reentrant=False)
            else:
                x = layer(x)
        return x


def test_modules_recomputed_in_the_backward_pass_make_no_rows():
    x = gaussian(8, 16)
    plain = diagnose(_Checkpointed(False), x, seed=0)
    checkpointed = diagnose(_Checkpointed(True), x, seed=0)
    assert checkpointed.names == plain.names and len(plain.names) == 16
    np.testing.assert_allclose(checkpointed.simulation.grad_var, plain.simulation.grad_var)
    assert checkpointed.verdict == plain.verdict == "stable"


def test_sigma_w2_counts_matrix_layers_of_any_layout_by_their_input_width():
    torch.manual_seed(0)
    net = nn.Sequential(Conv1DLike(16, 48, 0.3), nn.Tanh(), nn.Linear(48, 16, bias=False))
    d = diagnose(net, gaussian(64, 16), seed=0)
    w1, w2 = net[0].weight.detach().double(), net[2].weight.detach().double()
    expected = (16 * float(w1.square().mean()) + 48 * float(w2.square().mean())) / 2
    assert d.sigma_w2 == pytest.approx(expected, rel=1e-12)
    # a lookup table is no matrix layer, whatever its width
    table = nn.Sequential(nn.Embedding(16, 16), nn.Linear(16, 16))
    d = diagnose(table, torch.randint(0, 16, (8, 4)), seed=0)
    assert d.sigma_w2 == pytest.approx(
        16 * float(table[1].weight.detach().double().square().mean())
    )


def test_correlation_is_the_mean_pairwise_cosine():
    x = gaussian(3, 5, 4, seed=1).double()
    units = x / x.norm(dim=-1, keepdim=True)
    gram = units @ units.transpose(1, 2)
    brute = ((gram.sum(dim=(1, 2)) - 5) / 20).mean()
    assert mean_pairwise_cosine(x) == pytest.approx(float(brute), rel=1e-12)
    assert mean_pairwise_cosine(torch.ones(1, 4, 3, dtype=torch.float64)) == pytest.approx(1.0)
    assert math.isnan(mean_pairwise_cosine(torch.ones(2, 1, 3)))


@pytest.mark.parametrize("batch_first", [True, False])
def test_correlation_between_samples_and_between_tokens(batch_first):
    layer = nn.Linear(4, 4, bias=False)
    nn.init.eye_(layer.weight)
    same = torch.ones(6, 4)  # identical samples
    assert diagnose(layer, same, seed=0).correlation[0] == pytest.approx(1.0)
    # every sequence repeats one token: tokens agree within a sequence, not across the batch
    tokens = gaussian(6, 1, 4).expand(6, 5, 4).contiguous()
    if not batch_first:
        tokens = tokens.transpose(0, 1).contiguous()
    corr = diagnose(layer, tokens, seed=0, batch_first=batch_first).correlation[0]
    assert corr == pytest.approx(1.0)


# ------------------------------------------------------------------- the model left alone ---
@pytest.mark.parametrize("train", [None, True, False])
def test_the_model_is_left_exactly_as_it_was(train):
    net = conv_net()
    before = model_state(net)
    with torch.no_grad():  # diagnose turns gradients on for its own pass
        d = diagnose(net, gaussian(16, 3, 8, 8), seed=0, train=train)
    assert len(d.names) == 4 and d.names[1] == "1"  # the BatchNorm has a row of its own
    assert_unchanged(net, before)


class _Failing(nn.Module):
    def __init__(self):
        super().__init__()
        self.first = nn.Linear(4, 4)
        self.act = nn.ReLU(inplace=True)

    def forward(self, x):
        self.act(self.first(x))
        raise RuntimeError("boom")


def test_the_model_is_restored_when_the_forward_or_the_loss_raises():
    net = _Failing()
    before = model_state(net)
    with pytest.raises(RuntimeError, match="boom"):
        diagnose(net, torch.randn(3, 4), seed=0, train=False)
    assert_unchanged(net, before)
    net = conv_net()
    before = model_state(net)
    with pytest.raises(ValueError, match="loss_fn must return a scalar"):
        diagnose(net, gaussian(4, 3, 8, 8), loss_fn=lambda out: out)
    assert_unchanged(net, before)


class _InPlaceSum(nn.Module):
    def __init__(self):
        super().__init__()
        self.first = nn.Linear(4, 4)

    def forward(self, x):
        y = self.first(x)
        y += x  # in place on a measured output, after its hook has read it
        return y


class _OutOfPlaceSum(_InPlaceSum):
    def forward(self, x):
        return self.first(x) + x


def test_an_in_place_operation_on_a_module_output_is_measured_before_it():
    torch.manual_seed(0)
    in_place, out_of_place = _InPlaceSum(), _OutOfPlaceSum()
    out_of_place.load_state_dict(in_place.state_dict())
    x = torch.randn(64, 4)
    before = model_state(in_place)
    a = diagnose(in_place, x, seed=0)
    b = diagnose(out_of_place, x, seed=0)
    assert a.names == b.names == ("first",)
    np.testing.assert_array_equal(a.simulation.forward_var, b.simulation.forward_var)
    np.testing.assert_array_equal(a.simulation.grad_var, b.simulation.grad_var)
    with torch.no_grad():  # the row is first(x) as returned, not first(x) + x
        expected = float(in_place.first(x).double().square().mean())
    assert a.simulation.forward_var[0, 0] == pytest.approx(expected, rel=1e-12)
    assert_unchanged(in_place, before)


class _OwnWeight(nn.Module):
    """A layer holding its weight itself, returning tanh(x W^T) alone, in a dict or in a list."""

    def __init__(self, width, wrap):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(width, width) / width**0.5)
        self.wrap = wrap

    def forward(self, x):
        y = torch.tanh(x @ self.weight.T)
        if self.wrap == "dict":
            return {"attentions": None, "hidden": y}
        if self.wrap == "list":
            return [7, y]
        return y


def _unwrapped(out, wrap):
    return out["hidden"] if wrap == "dict" else out[1] if wrap == "list" else out


class _NamedOutputs(nn.Module):
    """Layers and a model that answer with dicts and lists, as Hugging Face models do."""

    def __init__(self, wrap):
        super().__init__()
        torch.manual_seed(0)
        self.embed = nn.Linear(8, 16)
        self.body = nn.ModuleList(_OwnWeight(16, wrap) for _ in range(3))
        self.head = nn.Linear(16, 4)
        self.wrap = wrap

    def forward(self, x):
        h = self.embed(x)
        for layer in self.body:
            h = _unwrapped(layer(h), self.wrap)
        logits = self.head(h)
        if self.wrap == "plain":
            return logits
        return {"loss": torch.zeros(()), "logits": logits}  # a scalar loss first: skipped


@pytest.mark.parametrize("wrap", ["dict", "list"])
def test_outputs_inside_dicts_and_lists_get_rows_and_gradients(wrap):
    x = gaussian(32, 8)
    named = diagnose(_NamedOutputs(wrap), x, seed=0)
    plain = diagnose(_NamedOutputs("plain"), x, seed=0)
    assert named.names == plain.names == ("embed", "body.0", "body.1", "body.2", "head")
    np.testing.assert_array_equal(named.simulation.forward_var, plain.simulation.forward_var)
    np.testing.assert_array_equal(named.simulation.grad_var, plain.simulation.grad_var)
    assert np.all(named.simulation.grad_var > 0)


def test_a_custom_loss_gives_its_own_gradient():
    net = mlp(3, 16)
    x = gaussian(32, 16)
    d = diagnose(net, (x,), loss_fn=lambda out: out.square().mean())
    # d(mean(y^2))/dy = 2y / N, so the last row's gradient mean square is 4 q_L / N^2
    n = 32 * 16
    assert d.simulation.grad_var[0, -1] == pytest.approx(
        4 * d.simulation.forward_var[0, -1] / n**2, rel=1e-5
    )


def test_token_ids_take_the_first_row_as_reference():
    torch.manual_seed(0)
    net = nn.Sequential(nn.Embedding(50, 16), nn.Linear(16, 16))
    d = diagnose(net, torch.randint(0, 50, (4, 7)), seed=0)
    assert d.forward_ratio[0] == 1.0 and d.names == ("0", "1")
    assert d.simulation.widths == (0, 16, 16)


def test_table_and_plot(tmp_path):
    torch.manual_seed(0)
    d = diagnose(mlp(5, 32), gaussian(64, 32), seed=0)
    text = d.table()
    assert len(text.splitlines()) == 5 + 2 and "verdict: vanishing" in text and str(d) == text
    assert "try kaiming_normal" in text and "module '2'" in text
    pytest.importorskip("matplotlib")
    out = tmp_path / "model.png"
    d.plot(out)
    assert out.stat().st_size > 1000


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [({"model": object()}, TypeError, "model must be a torch.nn.Module"),
     ({"model": nn.ReLU()}, ValueError, "model \\(ReLU\\) has no module with parameters"),
     ({"batch": np.ones((2, 4))}, TypeError, "batch must be a torch.Tensor"),
     ({"batch": (torch.ones(2, 4), 3)}, TypeError, "batch\\[1\\]"),
     ({"batch": ()}, TypeError, "batch"),
     ({"loss_fn": 3}, TypeError, "loss_fn"),
     ({"band": (2.0, 3.0)}, ValueError, "band"),
     ({"batch_first": "yes"}, TypeError, "batch_first"),
     ({"train": 1}, TypeError, "train"),
     ({"blocks": [nn.Linear]}, TypeError, "blocks"),
     ({"seed": "x"}, TypeError, "seed"),
     ({"loss_fn": lambda out: out.detach().sum()}, ValueError, "does not depend")],
)  # fmt: skip
def test_bad_arguments_are_named(kwargs, error, match):
    args = {"model": nn.Linear(4, 4), "batch": torch.ones(2, 4)} | kwargs
    with pytest.raises(error, match=match):
        diagnose(args.pop("model"), args.pop("batch"), **args)
