"""Variance propagation in the comparison table.

``propagation.simulate``: forward and backward passes of ``n`` stacked random ReLU networks
(``size`` layers; the benchmark runs 50 layers of width 512, batch 256, 4 networks),
recording per-layer forward and gradient variance. fastinit's kernel path against torch autograd
(weights as parameters, ``retain_grad`` on every pre-activation, as an nn.Linear stack does it)
and plain NumPy. Weights and inputs are built once in ``setup``, outside the timed call.

``propagation.theory``: the mean-field maps over a size x size grid of (sigma_w2, sigma_b2) for
100 tanh layers, against a naive loop calling the quadrature once per configuration and layer.
"""

import numpy as np

from . import Comparison, Peer, register

_WIDTH, _BATCH, _NETWORKS = 512, 256, 4


def _sim_setup(size):
    from ..propagation._simulation import build_weights, resolve_init, seed_children

    width, batch, networks = (_WIDTH, _BATCH, _NETWORKS) if size >= 10 else (48, 16, 2)
    seeds = seed_children(11, size * networks)
    weights = build_weights([width] * (size + 1), resolve_init("kaiming_normal"), networks,
                            seeds, np.float32)  # fmt: skip
    rng = np.random.default_rng(12)
    h0 = rng.standard_normal((networks, batch, width), dtype=np.float32)
    g_out = rng.standard_normal((networks, batch, width), dtype=np.float32)
    return {"weights": weights, "h0": h0, "g_out": g_out}


def _sim_fastinit(weights, h0, g_out):
    from ..propagation._simulation import run_networks

    return run_networks(weights, h0, g_out.copy(), 1, 0.0)


def _sim_torch(weights, h0, g_out, frozen=False):
    import torch

    if frozen:  # the weights as plain tensors: autograd then skips the weight gradients
        params = [torch.from_numpy(w) for w in weights]
        x = torch.relu(torch.from_numpy(h0).requires_grad_())
    else:
        params = [torch.from_numpy(w).requires_grad_() for w in weights]
        x = torch.relu(torch.from_numpy(h0))
    hs = []
    for i, w in enumerate(params):
        h = torch.matmul(x, w.transpose(1, 2))
        h.retain_grad()
        hs.append(h)
        if i + 1 < len(params):
            x = torch.relu(h)
    hs[-1].backward(torch.from_numpy(g_out))
    with torch.no_grad():
        fwd = torch.stack([h.square().mean(dim=(1, 2)) for h in hs], dim=1)
        grad = torch.stack([h.grad.square().mean(dim=(1, 2)) for h in hs], dim=1)
    return fwd.double().numpy(), grad.double().numpy()


def _sim_torch_frozen(weights, h0, g_out):
    return _sim_torch(weights, h0, g_out, frozen=True)


def _sim_numpy(weights, h0, g_out, dtype=None):
    hs, x = [], np.maximum(h0.astype(dtype or h0.dtype), 0)
    for i, w in enumerate(weights):
        h = np.matmul(x, w.astype(x.dtype).transpose(0, 2, 1))
        hs.append(h)
        if i + 1 < len(weights):
            x = np.maximum(h, 0)
    fwd = np.stack([(h.astype(np.float64) ** 2).mean(axis=(1, 2)) for h in hs], axis=1)
    g = g_out.astype(x.dtype)
    grads = [g]
    for i in range(len(weights) - 1, 0, -1):
        g = np.matmul(g, weights[i].astype(x.dtype)) * (hs[i - 1] > 0)
        grads.append(g)
    grad = np.stack([(g.astype(np.float64) ** 2).mean(axis=(1, 2)) for g in grads[::-1]], axis=1)
    return fwd, grad


def _sim_check(inputs, peer, result):
    fwd, grad = _sim_numpy(**inputs, dtype=np.float64)
    # float32 products over up to 50 layers: ~1e-5 relative; 1e-3 leaves room for BLAS order
    np.testing.assert_allclose(result[0], fwd, rtol=1e-3, err_msg=peer)
    np.testing.assert_allclose(result[1], grad, rtol=1e-3, err_msg=peer)


register(
    Comparison(
        name="propagation.simulate",
        setup=_sim_setup,
        check=_sim_check,
        peers={
            "fastinit": Peer(_sim_fastinit),
            "torch": Peer(_sim_torch, requires="torch"),
            "torch (frozen weights)": Peer(_sim_torch_frozen, requires="torch"),
            "numpy": Peer(_sim_numpy),
        },
        test_size=4,
        bench_size=50,
        unit="layer",
        description="50 ReLU layers of 512, batch 256, 4 networks: forward + backward",
    )
)


_DEPTH = 100


def _theory_setup(size):
    return {
        "sigma_w2": np.linspace(0.5, 4.0, size)[:, None],
        "sigma_b2": np.linspace(0.0, 0.3, size)[None, :],
    }


def _theory_fastinit(sigma_w2, sigma_b2):
    from ..propagation import theory

    return theory("tanh", sigma_w2, sigma_b2, depth=_DEPTH).q


def _theory_naive(sigma_w2, sigma_b2):
    from ..propagation import _activations

    sw2, sb2 = np.broadcast_arrays(sigma_w2, sigma_b2)
    q = np.empty(sw2.shape + (_DEPTH + 1,))
    for idx in np.ndindex(sw2.shape):
        value = 1.0
        q[idx + (0,)] = value
        for layer in range(_DEPTH):
            value = sw2[idx] * _activations.expectations(np.array([value]), 3, 0.0)[0][0] + sb2[idx]
            q[idx + (layer + 1,)] = value
    return q


def _theory_check(inputs, peer, result):
    n = inputs["sigma_w2"].shape[0]
    assert result.shape == (n, n, _DEPTH + 1), peer
    pick = {k: v[: min(n, 3)] if k == "sigma_w2" else v[:, : min(n, 3)] for k, v in
            inputs.items()}  # fmt: skip
    expected = _theory_naive(**pick)
    # table interpolation vs direct quadrature: ~1e-10 per layer
    np.testing.assert_allclose(result[: min(n, 3), : min(n, 3)], expected, rtol=1e-8,
                               err_msg=peer)  # fmt: skip


register(
    Comparison(
        name="propagation.theory",
        setup=_theory_setup,
        check=_theory_check,
        peers={"fastinit": Peer(_theory_fastinit), "naive": Peer(_theory_naive, max_size=4)},
        test_size=6,
        bench_size=100,
        unit="config",
        description="tanh mean-field maps, size x size grid of (sigma_w2, sigma_b2), 100 layers",
    )
)
