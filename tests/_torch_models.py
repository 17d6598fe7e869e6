"""Small torch models, and a record of a model's whole state, that the tests of fastinit.torch's
diagnose and lsuv_ share."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import fastinit  # noqa: E402

nn = torch.nn


def mlp(depth, width=128, activation=nn.ReLU, bias=True, first_activation=False):
    layers = [activation()] if first_activation else []
    for _ in range(depth):
        layers += [nn.Linear(width, width, bias=bias), activation()]
    return nn.Sequential(*layers[:-1])  # no activation after the output layer


def gaussian(*shape, seed=0):
    return torch.from_numpy(fastinit.normal(shape, seed=seed, dtype=np.float32))


class Conv1DLike(nn.Module):
    """A layer holding its weight as (in, out), as Hugging Face's Conv1D (GPT-2) does."""

    def __init__(self, n_in, n_out, std):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(n_in, n_out) * std)

    def forward(self, x):
        return x @ self.weight


def conv_net():
    torch.manual_seed(0)
    net = nn.Sequential(
        nn.Conv2d(3, 8, 3), nn.BatchNorm2d(8), nn.ReLU(inplace=True), nn.Dropout(0.1),
        nn.Conv2d(8, 8, 3), nn.ReLU(inplace=True), nn.Flatten(), nn.Linear(8 * 4 * 4, 10),
    )  # fmt: skip
    net[7].weight.requires_grad_(False)  # a frozen head
    net(torch.randn(2, 3, 8, 8)).sum().backward()
    net[4].weight.grad = None  # some gradients set, some not
    net[3].eval()
    return net


def model_state(net):
    return {
        "params": {n: p.detach().clone() for n, p in net.named_parameters()},
        "grads": {n: p.grad for n, p in net.named_parameters()},
        "grad_values": {
            n: None if p.grad is None else p.grad.clone() for n, p in net.named_parameters()
        },  # fmt: skip
        "flags": {n: p.requires_grad for n, p in net.named_parameters()},
        "buffers": {n: b.clone() for n, b in net.named_buffers()},
        "modes": [m.training for m in net.modules()],
        "inplace": [getattr(m, "inplace", None) for m in net.modules()],
        "marks": [getattr(m, "_is_full_backward_hook", None) for m in net.modules()],
    }


def assert_unchanged(net, before):
    after = model_state(net)
    for name, value in before["params"].items():
        assert torch.equal(after["params"][name], value), name
    for name, grad in before["grads"].items():
        assert after["grads"][name] is grad, name
        if grad is not None:
            assert torch.equal(grad, before["grad_values"][name]), name
    for name, value in before["buffers"].items():
        assert torch.equal(after["buffers"][name], value), name
    for key in ("flags", "modes", "inplace", "marks"):
        assert after[key] == before[key], key
    for module in net.modules():
        hooks = (module._forward_hooks, module._backward_hooks, module._forward_pre_hooks,
                 module._backward_pre_hooks)  # fmt: skip
        assert not any(hooks), module
