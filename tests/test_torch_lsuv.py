"""fastinit.torch.lsuv_ on real models: every layer at unit variance, in forward order, in
agreement with fastinit.propagation.lsuv, from the orthogonal weight of each parameter's key;
refusals that leave the model as it was."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import fastinit  # noqa: E402
import fastinit.propagation as P  # noqa: E402
from fastinit.torch import LSUVLayer, diagnose, init_, lsuv_  # noqa: E402
from tests._torch_models import Conv1DLike, gaussian, mlp  # noqa: E402

nn = torch.nn


def _output_variances(net, x):
    """The variance of every Linear/Conv output on ``x``, read with forward hooks."""
    seen = {}

    def read(name):
        def record(module, args, output):  # returns None, leaving the output as it is
            seen.setdefault(name, float(output.double().var(correction=0)))

        return record

    layers = [(n, m) for n, m in net.named_modules() if isinstance(m, (nn.Linear, nn.Conv2d))]
    hooks = [module.register_forward_hook(read(name)) for name, module in layers]
    with torch.no_grad():
        net(x)
    for hook in hooks:
        hook.remove()
    return seen


@pytest.mark.parametrize("kind", ["mlp", "cnn"])
def test_lsuv_brings_every_layer_to_unit_variance(kind):
    torch.manual_seed(0)
    if kind == "mlp":
        net, x = mlp(8, 64), gaussian(256, 64)
    else:
        net = nn.Sequential(nn.Conv2d(3, 8, 3), nn.ReLU(), nn.Conv2d(8, 8, 3), nn.ReLU(),
                            nn.Flatten(), nn.Linear(8 * 4 * 4, 10))  # fmt: skip
        x = gaussian(32, 3, 8, 8)
    report = lsuv_(net, x, seed=0)
    assert all(isinstance(layer, LSUVLayer) for layer in report)
    variances = _output_variances(net, x)
    assert [layer.name for layer in report] == list(variances)  # forward order
    for layer in report:
        assert abs(variances[layer.name] - 1) < 0.1
        assert layer.variance == pytest.approx(variances[layer.name], rel=1e-6)
        assert 0 <= layer.iterations <= 10


def test_lsuv_fixes_the_vanishing_mlp():
    torch.manual_seed(0)
    net, x = mlp(20), gaussian(256, 128)
    lsuv_(net, x, seed=0)
    assert diagnose(net, x, seed=0).verdict == "stable"


def test_lsuv_rescales_matrix_layers_of_any_layout():
    torch.manual_seed(0)
    net = nn.Sequential(Conv1DLike(16, 48, 1.0), nn.Tanh(), Conv1DLike(48, 16, 1.0))
    report = lsuv_(net, gaussian(256, 16), seed=0)
    assert [layer.name for layer in report] == ["0", "2"]
    assert all(abs(layer.variance - 1) < 0.1 for layer in report)
    for layer in (net[0], net[2]):  # orthonormal rows or columns, times one scale
        w = layer.weight.detach().double()
        gram = w @ w.T if w.shape[0] <= w.shape[1] else w.T @ w
        np.testing.assert_allclose(gram / gram[0, 0], np.eye(len(gram)), atol=1e-5)


def test_lsuv_agrees_with_the_numpy_version():
    torch.manual_seed(0)
    net = mlp(6, 32, bias=False).double()
    weights = [m.weight.detach().numpy().copy() for m in net if isinstance(m, nn.Linear)]
    x = gaussian(128, 32, seed=3).double()
    report = lsuv_(net, x, orthonormal=False)
    variances = P.lsuv(weights, x.numpy(), "relu", orthonormal=False)
    np.testing.assert_allclose([layer.variance for layer in report], variances, rtol=1e-12)
    rescaled = [m.weight.detach().numpy() for m in net if isinstance(m, nn.Linear)]
    for ours, theirs in zip(rescaled, weights, strict=True):
        np.testing.assert_allclose(ours, theirs, rtol=1e-12)


def test_lsuv_starts_from_the_orthogonal_weight_of_each_parameter_key():
    torch.manual_seed(0)
    net = mlp(3, 16)
    lsuv_(net, gaussian(64, 16), seed=5)
    for name, module in net.named_children():
        if isinstance(module, nn.Linear):
            start = init_(torch.empty(16, 16), "orthogonal",
                          seed=fastinit.random.key(5).fold_in(f"{name}.weight"))  # fmt: skip
            ratio = module.weight.detach() / start
            torch.testing.assert_close(ratio, torch.full_like(ratio, float(ratio[0, 0])))


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [({"model": "net"}, TypeError, "model"),
     ({"batch": [[1.0]]}, TypeError, "batch\\[0\\]"),
     ({"tol": 0}, ValueError, "tol"),
     ({"max_iter": 0}, ValueError, "max_iter"),
     ({"orthonormal": "no"}, TypeError, "orthonormal"),
     ({"seed": -1}, ValueError, "seed"),
     ({"model": nn.Sequential(nn.ReLU())}, ValueError, "no Linear or Conv"),
     # an all-zero batch without biases: variance 0 at the first layer, after its orthonormal
     # draw was written: the model is put back
     ({"batch": torch.zeros(8, 16)}, ValueError, "cannot be rescaled")],
)  # fmt: skip
def test_lsuv_refusals_leave_the_model_as_it_was(kwargs, error, match):
    torch.manual_seed(0)
    net = mlp(3, 16, bias=False)
    before = {n: p.detach().clone() for n, p in net.named_parameters()}
    args = {"model": net, "batch": gaussian(8, 16)} | kwargs
    with pytest.raises(error, match=match):
        lsuv_(args.pop("model"), args.pop("batch"), **args)
    for name, value in before.items():
        assert torch.equal(dict(net.named_parameters())[name], value), name
