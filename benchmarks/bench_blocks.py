"""Speed criteria of the residual-stack theory and simulation, measured in one process.

    python benchmarks/bench_blocks.py [--repeat 5] [--pause 1.0]

1. theory(): 10^4 configurations (100 alpha x 100 beta) over 100 transformer blocks (attention
   and a GELU MLP each, so 200 residual sublayers), pre- and post-norm; target <= 100 ms.
2. simulate(): a 24-block pre-LayerNorm transformer-like stack (width 512, 8 heads, MLP ratio 4,
   8 sequences of 128 tokens), forward and backward with per-block variance, token correlation
   and gradient variance, against torch autograd with hooks that measure the same on the same
   stack with the same weights (target: fastinit >= 1.5x faster). Torch runs twice: as a user
   would (parameters require grad, so autograd also computes weight gradients) and with frozen
   weights (only the input requires grad: the same matrix products as fastinit). The stack is
   built outside the timed region for both; fastinit's end-to-end call (weights drawn inside)
   is timed too. Peers alternate, with a pause before each call so that one library's spinning
   threads are not charged to the next.
"""

import argparse
import os
import platform

import numpy as np

from fastinit.comparisons.timing import interleaved, median_time

WIDTH, HEADS, SEQ, BATCH, BLOCKS = 512, 8, 128, 8, 24


def _stack():
    from fastinit.propagation import AttentionBranch, MLPBranch, ResidualStack

    return ResidualStack((AttentionBranch(heads=HEADS), MLPBranch("gelu", sigma_w2=1.0)),
                         depth=BLOCKS, width=WIDTH, seq_len=SEQ)  # fmt: skip


def bench_theory(repeat):
    from fastinit.propagation import AttentionBranch, MLPBranch, ResidualStack, theory

    alpha = np.linspace(0.5, 1.5, 100)[:, None]
    beta = np.linspace(0.05, 1.0, 100)
    for position in ("pre", "post"):
        stack = ResidualStack((AttentionBranch(), MLPBranch("gelu")), depth=100,
                              position=position, alpha=alpha, beta=beta)  # fmt: skip
        theory(stack)  # tables and kernels built once per process
        median = median_time(lambda s=stack: theory(s), repeat, pause=0.05)
        print(f"theory {position}-norm transformer, 10^4 configs x 100 blocks: "
              f"median {median * 1e3:6.1f} ms (target <= 100 ms)")  # fmt: skip


def _torch_model(layers):
    """The same stack in torch, with fastinit's weights."""
    import torch
    from torch import nn

    class Block(nn.Module):
        def __init__(self, attn, mlp):
            super().__init__()
            # one stacked in-projection, as torch.nn.MultiheadAttention holds it
            self.w_qkv = nn.Parameter(torch.from_numpy(attn.w_qkv.copy()))
            self.wo = nn.Parameter(torch.from_numpy(attn.w_o.copy()))
            self.w1 = nn.Parameter(torch.from_numpy(mlp.w_in.copy()))
            self.w2 = nn.Parameter(torch.from_numpy(mlp.w_out.copy()))

        def forward(self, x):
            b, t, n = x.shape
            u = nn.functional.layer_norm(x, (n,))
            qkv = (u @ self.w_qkv.T).view(b, t, 3, HEADS, n // HEADS).permute(2, 0, 3, 1, 4)
            q, k, v = qkv[0], qkv[1], qkv[2]
            o = nn.functional.scaled_dot_product_attention(q, k, v)
            x = x + o.transpose(1, 2).reshape(b, t, n) @ self.wo.T
            u = nn.functional.layer_norm(x, (n,))
            return x + nn.functional.gelu(u @ self.w1.T) @ self.w2.T

    return nn.Sequential(*(Block(layers[2 * i], layers[2 * i + 1]) for i in range(BLOCKS)))


def _torch_run(model, x, g_out):
    """Forward and backward with hooks measuring what fastinit's simulation measures."""

    def moments(y):
        y = y.detach().double()
        squares = (y * y).sum()
        total = y.sum(dim=1)
        pairs = (total * total).sum() - squares
        b, t, n = y.shape
        q = squares / y.numel()
        return float(q), float(pairs / (b * t * (t - 1) * n) / q)

    fwd, bwd = [], []
    handles = []
    for block in model:
        handles.append(block.register_forward_hook(lambda m, i, o: fwd.append(moments(o))))
        handles.append(
            block.register_full_backward_hook(lambda m, gi, go: bwd.append(moments(gi[0])))
        )
    x = x.detach().requires_grad_(True)
    try:
        out = model(x)
        out.backward(g_out)
    finally:
        for h in handles:
            h.remove()
    return fwd, bwd


def bench_simulation(repeat, pause):
    from fastinit.propagation import simulate
    from fastinit.propagation._block_simulation import _inputs, _layers, _run
    from fastinit.random import key, normal

    stack = _stack()
    root = key(0).fold_in(0)
    layers = _layers(stack, root, np.float32)
    x = _inputs(stack, BATCH, 1.0, 0.0, root, np.float32)
    g = normal(x.shape, seed=root.fold_in("output.grad"), dtype=np.float32)
    calls = {"fastinit (weights built)": lambda: _run(stack, layers, x, g)}
    calls["fastinit simulate() end to end"] = lambda: simulate(stack, batch=BATCH, seed=0)
    try:
        import torch

        model = _torch_model(layers)
        frozen = _torch_model(layers).requires_grad_(False)
        tx = torch.from_numpy(x.reshape(BATCH, SEQ, WIDTH))
        tg = torch.from_numpy(g.reshape(BATCH, SEQ, WIDTH))
        calls["torch autograd + hooks"] = lambda: _torch_run(model, tx, tg)
        calls["torch autograd + hooks, frozen weights"] = lambda: _torch_run(frozen, tx, tg)
        print(f"torch {torch.__version__}, {torch.get_num_threads()} threads")
        ours = _run(stack, layers, x, g)
        fwd, _ = _torch_run(model, tx, tg)
        print(f"same stack: block-24 variance fastinit {ours[0][-1]:.4f}, torch {fwd[-1][0]:.4f}")
    except ImportError:
        print("torch not installed: no torch peer (pip install torch)")
    times = interleaved(calls, repeat, pause=pause)
    base = times["fastinit (weights built)"]
    print(f"simulate: {BLOCKS} pre-LN blocks, width {WIDTH}, {HEADS} heads, batch {BATCH} x "
          f"{SEQ} tokens, forward + backward (target: torch / fastinit >= 1.5)")  # fmt: skip
    for name, med in times.items():
        print(f"  {name:<40} median {med * 1e3:8.1f} ms   {med / base:5.2f}x fastinit's time")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--pause", type=float, default=1.0)
    args = parser.parse_args(argv)
    from fastinit import config

    print(f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, fastinit "
          f"threads {config.thread_count()}, repeat {args.repeat} (medians)")  # fmt: skip
    bench_theory(args.repeat)
    bench_simulation(args.repeat, args.pause)


if __name__ == "__main__":
    main()
