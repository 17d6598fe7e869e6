"""Speed criteria of fastinit.propagation, measured in one process.

    python benchmarks/bench_propagation.py [--repeat 7]

1. theory(): a 100 x 100 grid of (sigma_w2, sigma_b2) over 100 layers, target < 50 ms.
2. simulate: 50 ReLU layers of width 512, batch 256, 4 networks, forward + backward, against
   torch autograd with retained gradients (target: fastinit >= 1.5x faster). Same weights and
   inputs for every peer, built outside the timed region. Peers are timed round-robin, with a
   short pause before each call so that one library's spinning worker threads (OpenMP,
   OpenBLAS) are not charged to the next: on 2 cores they otherwise slow the next call ~5x.
"""

import argparse
import statistics
import time

import numpy as np


def timed(fn, pause):
    time.sleep(pause)
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--pause", type=float, default=1.0)
    args = parser.parse_args(argv)

    from fastinit import config
    from fastinit.comparisons import propagation_ops as ops
    from fastinit.propagation import simulate, theory

    print(f"fastinit threads {config.thread_count()}, repeat {args.repeat} (medians)")

    sw2 = np.linspace(0.5, 4.0, 100)[:, None]
    sb2 = np.linspace(0.0, 0.3, 100)
    for activation in ("tanh", "relu", "gelu"):
        theory(activation, sw2, sb2, depth=100)
        times = [
            timed(lambda a=activation: theory(a, sw2, sb2, depth=100), 0.05)
            for _ in range(args.repeat)
        ]
        print(f"theory {activation:<5} 100x100 configs x 100 layers: "
              f"median {statistics.median(times) * 1e3:7.1f} ms (target < 50 ms)")  # fmt: skip

    inputs = ops._sim_setup(50)
    peers = {"fastinit": ops._sim_fastinit, "numpy": ops._sim_numpy}
    try:
        import torch

        peers["torch (params, retain_grad)"] = ops._sim_torch

        def torch_frozen(weights, h0, g_out):
            # the weights as plain tensors: autograd then skips the weight gradients
            x0 = torch.from_numpy(h0).requires_grad_()
            x = torch.relu(x0)
            hs = []
            for i, w in enumerate(weights):
                h = torch.matmul(x, torch.from_numpy(w).transpose(1, 2))
                h.retain_grad()
                hs.append(h)
                if i + 1 < len(weights):
                    x = torch.relu(h)
            hs[-1].backward(torch.from_numpy(g_out))
            with torch.no_grad():
                return [h.grad.square().mean() for h in hs]

        peers["torch (frozen weights)"] = torch_frozen
        print(f"torch {torch.__version__}, {torch.get_num_threads()} threads")
    except ImportError:
        print("torch not installed: no torch peer")
    peers["fastinit simulate() end to end"] = lambda **_: simulate(
        [512] * 51, "relu", n_networks=4, batch=256, seed=0
    )
    for fn in peers.values():
        fn(**inputs)  # warm-up / compile
    times = {name: [] for name in peers}
    for _ in range(args.repeat):
        for name, fn in peers.items():
            times[name].append(timed(lambda f=fn: f(**inputs), args.pause))
    base = statistics.median(times["fastinit"])
    print("simulate: 50 ReLU layers x 512, batch 256, 4 networks, forward + backward")
    for name, values in times.items():
        med = statistics.median(values)
        print(f"  {name:<32} median {med * 1e3:8.1f} ms   {med / base:5.2f}x fastinit's time")


if __name__ == "__main__":
    main()
