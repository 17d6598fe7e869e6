"""fastinit.torch.init_shard_: shards of any world size and placement equal the whole tensor."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import fastinit  # noqa: E402
from fastinit.torch import init_, init_module_, init_shard_  # noqa: E402

SCHEMES = [
    ("kaiming_uniform", {"a": 5**0.5}),
    ("normal", {"std": 0.02}),
    ("trunc_normal", {"std": 0.02, "a": -0.04, "b": 0.04}),
    ("xavier_normal", {}),
    ("variance_scaling", {"scale": 2.0, "distribution": "truncated_normal"}),
    ("sparse", {"sparsity": 0.1}),
    ("constant", {"value": 0.5}),
]


def _splits(n, parts):
    edges = np.linspace(0, n, parts + 1).astype(int)
    return list(zip(edges[:-1], edges[1:], strict=True))


@pytest.mark.parametrize("scheme, kwargs", SCHEMES)
@pytest.mark.parametrize("world", [1, 2, 3, 8])
@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16, torch.float64])
def test_shards_concatenate_to_the_whole(scheme, kwargs, world, dtype):
    shape = (96, 200)
    whole = init_(torch.empty(shape, dtype=dtype), scheme,
                  seed=fastinit.random.key(7).fold_in("h.0.mlp.weight"), **kwargs)  # fmt: skip
    for axis in (0, 1):  # Shard(0) and Shard(1)
        pieces = []
        for lo, hi in _splits(shape[axis], world):
            local_shape = list(shape)
            local_shape[axis] = hi - lo
            offsets = [0, 0]
            offsets[axis] = lo
            local = torch.empty(local_shape, dtype=dtype)
            init_shard_(local, shape, offsets, scheme, seed=7, name="h.0.mlp.weight", **kwargs)
            pieces.append(local)
        assert torch.equal(torch.cat(pieces, dim=axis), whole), (axis, world)


def test_grid_shards_and_strided_local_tensors():
    shape = (64, 48, 3, 3)
    whole = init_(torch.empty(shape), "kaiming_normal", seed=3)
    for r0, r1 in _splits(64, 2):
        for c0, c1 in _splits(48, 3):
            local = torch.empty(3, 3, c1 - c0, r1 - r0).permute(3, 2, 0, 1)  # non-contiguous
            init_shard_(local, shape, (r0, c0, 0, 0), "kaiming_normal", seed=3)
            assert torch.equal(local, whole[r0:r1, c0:c1])


def test_shards_match_init_module_values():
    layer = init_module_(torch.nn.Linear(30, 20), seed=4)
    top = torch.empty(10, 30)
    init_shard_(top, (20, 30), (0, 0), "kaiming_uniform", a=5**0.5, seed=4, name="weight")
    assert torch.equal(top, layer.weight[:10].detach())


@pytest.mark.parametrize(
    "call, error, match",
    [
        (lambda: init_shard_(torch.empty(2, 2), (4, 4), (0, 0), "orthogonal", seed=0),
         ValueError, "cannot be drawn shard by shard"),
        (lambda: init_shard_(torch.empty(2, 2), (4, 4), (3, 0), "normal", seed=0),
         ValueError, "does not fit"),
        (lambda: init_shard_(torch.empty(2, 2), (4, 4), (0,), "normal", seed=0),
         ValueError, "one entry per axis"),
        (lambda: init_shard_(torch.empty(2, 2), (4, 4), (0, 0), "normal", seed=None),
         TypeError, "explicit seed"),
        (lambda: init_shard_(torch.empty(2, 2), (4, 4), (0, 0), "normal", seed=0, name=3),
         TypeError, "name"),
        (lambda: init_shard_(torch.empty(2, 2), (4, 4), (0, -1), "normal", seed=0),
         ValueError, "negative"),
        (lambda: init_shard_(torch.empty(2), (4,), (0,), "kaiming_normal", seed=0),
         ValueError, "2 or more dimensions"),
    ],
)  # fmt: skip
def test_refusals(call, error, match):
    with pytest.raises(error, match=match):
        call()
