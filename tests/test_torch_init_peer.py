"""The ideas of PyTorch's own tests of torch.nn.init (test/nn/test_init.py), asked of
fastinit.torch.init_ on torch tensors: laws by Kolmogorov-Smirnov tests, exact constants,
identities for eye and dirac, orthogonality, sparsity counts, and the refusals."""

import math

import pytest
from scipy import stats

torch = pytest.importorskip("torch")

from fastinit.torch import init_  # noqa: E402

SHAPES = [(64, 96), (48, 32, 3, 3), (30, 40, 5)]


def _sample(t):
    return t.detach().double().numpy().ravel()


@pytest.mark.parametrize("shape", SHAPES)
def test_uniform_and_normal_laws(shape):
    t = init_(torch.empty(shape), "uniform", low=-1.5, high=0.5, seed=0)
    assert stats.kstest(_sample(t), "uniform", args=(-1.5, 2.0)).pvalue > 1e-4
    t = init_(torch.empty(shape), "normal", mean=0.3, std=2.0, seed=1)
    assert stats.kstest(_sample(t), "norm", args=(0.3, 2.0)).pvalue > 1e-4


@pytest.mark.parametrize("shape", SHAPES)
def test_trunc_normal_law(shape):
    mean, std, a, b = 0.5, 2.0, -1.0, 4.0
    t = init_(torch.empty(shape), "trunc_normal", mean=mean, std=std, a=a, b=b, seed=2)
    law = stats.truncnorm((a - mean) / std, (b - mean) / std, loc=mean, scale=std)
    assert stats.kstest(_sample(t), law.cdf).pvalue > 1e-4


@pytest.mark.parametrize("shape", SHAPES)
def test_fan_based_laws(shape):
    receptive = math.prod(shape[2:])
    fan_in, fan_out = shape[1] * receptive, shape[0] * receptive
    bound = 2.0 * math.sqrt(6.0 / (fan_in + fan_out))
    t = init_(torch.empty(shape), "xavier_uniform", gain=2.0, seed=3)
    assert stats.kstest(_sample(t), "uniform", args=(-bound, 2 * bound)).pvalue > 1e-4
    std = math.sqrt(2.0 / (fan_in + fan_out))
    t = init_(torch.empty(shape), "xavier_normal", seed=4)
    assert stats.kstest(_sample(t), "norm", args=(0.0, std)).pvalue > 1e-4
    gain = math.sqrt(2.0 / (1 + 0.2**2))
    bound = gain * math.sqrt(3.0 / fan_out)
    t = init_(torch.empty(shape), "kaiming_uniform", a=0.2, mode="fan_out", seed=5)
    assert stats.kstest(_sample(t), "uniform", args=(-bound, 2 * bound)).pvalue > 1e-4
    t = init_(torch.empty(shape), "kaiming_normal", a=0.2, seed=6)
    assert stats.kstest(_sample(t), "norm", args=(0.0, gain / math.sqrt(fan_in))).pvalue > 1e-4


@pytest.mark.parametrize("scheme", ["xavier_uniform", "xavier_normal", "kaiming_uniform",
                                    "kaiming_normal"])  # fmt: skip
def test_fan_based_refuse_fewer_than_two_dims(scheme):
    for shape in [(), (5,)]:
        with pytest.raises(ValueError, match="2 or more dimensions"):
            init_(torch.empty(shape), scheme)


def test_constant_ones_zeros():
    for value in (0.0, 1.0, -2.5):
        t = init_(torch.empty(7, 9), "constant", value=value)
        assert torch.equal(t, torch.full((7, 9), value))
    assert torch.equal(init_(torch.empty(3, 4), "ones"), torch.ones(3, 4))
    assert torch.equal(init_(torch.empty(3, 4), "zeros"), torch.zeros(3, 4))


def test_eye():
    for shape in [(5, 5), (3, 7), (8, 2)]:
        assert torch.equal(init_(torch.empty(shape), "eye"), torch.eye(*shape))
    with pytest.raises(ValueError):
        init_(torch.empty(3, 3, 3), "eye")


@pytest.mark.parametrize("groups", [1, 2, 4])
def test_dirac_preserves_the_input_of_a_convolution(groups):
    channels = 8
    weight = init_(torch.empty(channels, channels // groups, 3, 3), "dirac", groups=groups)
    x = torch.randn(2, channels, 10, 10)
    y = torch.nn.functional.conv2d(x, weight, padding=1, groups=groups)
    assert torch.equal(y, x)
    with pytest.raises(ValueError):
        init_(torch.empty(3, 3), "dirac")


@pytest.mark.parametrize("rows, cols", [(4, 4), (4, 10), (10, 4), (6, 3 * 2 * 2)])
def test_orthogonal_rows_or_columns_are_orthonormal(rows, cols):
    gain = 1.7
    t = init_(torch.empty(rows, cols), "orthogonal", gain=gain, seed=7).double()
    product = t @ t.T if rows <= cols else t.T @ t
    eye = torch.eye(min(rows, cols), dtype=torch.float64) * gain**2
    assert torch.allclose(product, eye, atol=1e-5)


@pytest.mark.parametrize("sparsity", [0.1, 0.35, 0.9])
def test_sparse_zeros_per_column(sparsity):
    t = init_(torch.empty(40, 25), "sparse", sparsity=sparsity, std=0.5, seed=8)
    zeros = (t == 0).sum(dim=0)
    assert torch.equal(zeros, torch.full((25,), math.ceil(sparsity * 40)))
    with pytest.raises(ValueError):
        init_(torch.empty(4, 5, 6), "sparse", sparsity=0.1)
