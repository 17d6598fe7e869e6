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

import numpy as np

from fastinit.comparisons.timing import interleaved, median_time


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
        median = median_time(
            lambda a=activation: theory(a, sw2, sb2, depth=100), args.repeat, pause=0.05
        )
        print(f"theory {activation:<5} 100x100 configs x 100 layers: "
              f"median {median * 1e3:7.1f} ms (target < 50 ms)")  # fmt: skip

    inputs = ops._sim_setup(50)
    peers = {"fastinit": ops._sim_fastinit, "numpy": ops._sim_numpy}
    try:
        import torch

        peers["torch (params, retain_grad)"] = ops._sim_torch
        peers["torch (frozen weights)"] = ops._sim_torch_frozen
        print(f"torch {torch.__version__}, {torch.get_num_threads()} threads")
    except ImportError:
        print("torch not installed: no torch peer")
    peers["fastinit simulate() end to end"] = lambda **_: simulate(
        [512] * 51, "relu", n_networks=4, batch=256, seed=0
    )
    calls = {name: (lambda f=fn: f(**inputs)) for name, fn in peers.items()}
    times = interleaved(calls, args.repeat, pause=args.pause)
    base = times["fastinit"]
    print("simulate: 50 ReLU layers x 512, batch 256, 4 networks, forward + backward")
    for name, med in times.items():
        print(f"  {name:<32} median {med * 1e3:8.1f} ms   {med / base:5.2f}x fastinit's time")


if __name__ == "__main__":
    main()
