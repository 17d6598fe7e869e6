"""fastinit.torch.diagnose's verdicts and remedies on plain networks: vanishing and exploding
signals as the theory says, the remedy that follows the activations the pass calls, agreement
with fastinit's own simulation."""

import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import fastinit.propagation as P  # noqa: E402
from fastinit.torch import diagnose, init_module_  # noqa: E402
from tests._torch_models import gaussian, mlp  # noqa: E402

nn = torch.nn


def test_default_torch_init_of_a_deep_relu_mlp_vanishes():
    torch.manual_seed(0)
    net = mlp(20)
    d = diagnose(net, gaussian(256, 128), seed=0)
    # torch's default weights have fan_in * Var(W) = 1/3: the first layer gives 1/3, the
    # second 1/3 * 1/2 * 1/3 = 0.056 < 0.1 (the biases add ~0.003)
    assert (d.verdict, d.failing_layer, d.direction) == ("vanishing", 2, "forward")
    assert d.failing_module == "2" and d.names == tuple(str(i) for i in range(0, 39, 2))
    assert d.simulation.forward_var.shape == d.simulation.grad_var.shape == (1, 20)
    assert d.simulation.forward_var[0, 0] == pytest.approx(1 / 3, rel=0.1)
    assert d.sigma_w2 == pytest.approx(1 / 3, rel=0.05) and d.theory is None
    assert d.remedy == "kaiming_normal" and d.suggested_gain == pytest.approx(6**0.5, rel=0.05)


def test_kaiming_init_of_the_same_mlp_is_stable():
    net = mlp(20)
    init_module_(net, seed=0, scheme=("kaiming_normal", {"nonlinearity": "relu"}))
    d = diagnose(net, gaussian(256, 128), seed=0)
    assert (d.verdict, d.failing_layer, d.direction, d.remedy) == ("stable", None, None, None)
    assert d.suggested_gain == 1.0 and d.sigma_w2 == pytest.approx(2.0, rel=0.05)
    assert np.all((d.forward_ratio > 1) & (d.forward_ratio < 4))


@pytest.mark.parametrize(
    ("activation", "depth", "direction", "layer"),
    # linear, gain 1.5: the variance grows 2.25x a layer, 2.25^3 > 10 at layer 3; tanh, gain 2:
    # the forward variance saturates but the gradient grows backwards (the chaotic phase)
    [(nn.Identity, 10, "forward", 3), (nn.Tanh, 30, "backward", None)],
)
def test_too_large_a_gain_explodes(activation, depth, direction, layer):
    net = mlp(depth, 64, activation)
    init_module_(net, seed=0, scheme=("xavier_normal", {"gain": 1.5 if layer else 2.0}))
    d = diagnose(net, gaussian(256, 64), seed=0)
    assert d.verdict == "exploding" and d.direction == direction and d.remedy == "xavier_normal"
    if layer is not None:
        assert d.failing_layer == layer
    else:  # read from the output back: the gradient leaves the band well before the input
        assert 1 < d.failing_layer < depth and d.backward_ratio[0] > 100
    assert d.suggested_gain == pytest.approx(1 / (1.5 if layer else 2.0), rel=0.05)


class _FunctionalMLP(nn.Module):
    """Linear layers joined by an activation that no module holds: a function, a tensor method,
    or a module of the user's own (as Hugging Face writes its GELU)."""

    def __init__(self, activation, depth=12, width=64):
        super().__init__()
        torch.manual_seed(0)
        self.layers = nn.ModuleList(nn.Linear(width, width) for _ in range(depth))
        self.act = activation

    def forward(self, x):
        for layer in self.layers[:-1]:
            x = self.act(layer(x))
        return self.layers[-1](x)


class _OwnGELU(nn.Module):
    def forward(self, x):
        return torch.nn.functional.gelu(x, approximate="tanh")


class NewGELUActivation(nn.Module):
    """GPT-2's gelu_new as Hugging Face writes it: with tanh, no gelu call."""

    def forward(self, x):
        return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x**3)))


class ReLUNet(nn.Module):
    """A model named after an activation that it does not use."""

    def __init__(self):
        super().__init__()
        self.inner = _FunctionalMLP(torch.tanh)

    def forward(self, x):
        return self.inner(x)


@pytest.mark.parametrize(
    ("activation", "remedy"),
    [
        (torch.nn.functional.relu, "kaiming_normal"),
        (torch.Tensor.relu, "kaiming_normal"),
        (lambda x: torch.nn.functional.leaky_relu(x, 0.1), "kaiming_normal"),
        (_OwnGELU(), "kaiming_normal"),
        (NewGELUActivation(), "kaiming_normal"),
        (nn.ReLU6(), "kaiming_normal"),
        (torch.tanh, "xavier_normal"),
        (nn.Hardtanh(), "xavier_normal"),
        (lambda x: x, "xavier_normal"),
    ],
    ids=["F.relu", "Tensor.relu", "leaky", "own GELU", "gelu_new", "ReLU6", "tanh", "Hardtanh",
         "identity"],
)  # fmt: skip
def test_the_remedy_follows_the_activations_the_pass_calls(activation, remedy):
    # torch's default weights (fan_in * Var(W) = 1/3) vanish with any of these activations
    d = diagnose(_FunctionalMLP(activation), gaussian(128, 64), seed=0)
    assert d.verdict == "vanishing" and d.remedy == remedy


def test_a_model_named_after_an_activation_is_not_one():
    d = diagnose(ReLUNet(), gaussian(128, 64), seed=0)
    assert d.verdict == "vanishing" and d.remedy == "xavier_normal"


def test_a_plain_relu_network_agrees_with_the_simulation():
    # propagation.simulate applies phi to its inputs too, hence the leading ReLU
    net = mlp(20, bias=False, first_activation=True)
    init_module_(net, seed=0, scheme="xavier_normal")
    d = diagnose(net, gaussian(256, 128), seed=0)
    sim = P.diagnose([128] * 21, "relu", init="xavier_normal", n_networks=2, batch=256, seed=0)
    assert (d.verdict, d.failing_layer, d.direction) == (sim.verdict, sim.failing_layer, "forward")
    assert d.suggested_gain == pytest.approx(sim.suggested_gain, rel=0.05)
    # both halve per layer (theory: 0.5^l); finite-width noise grows with depth, so only the
    # first layers are compared
    np.testing.assert_allclose(d.forward_ratio[:4], sim.forward_ratio[:4], rtol=0.2)
    np.testing.assert_allclose(d.forward_ratio[:4], 0.5 ** np.arange(1, 5), rtol=0.2)


# --------------------------------------------------------------------------- correlation ---
