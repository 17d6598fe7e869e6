"""Initializing a GPT-2-small-shaped model: fastinit.torch against torch, in one process.

Run: ``python benchmarks/bench_torch_init.py [--rounds 5]``. Needs torch.

The model has GPT-2 small's shapes (124M parameters): token embedding 50257 x 768 tied to the
output layer, position embedding 1024 x 768, 12 blocks of LayerNorm, a 768 -> 2304 attention
projection, 768 -> 768 output projection, 768 -> 3072 -> 768 MLP, and a final LayerNorm.

Cases, each timed in interleaved rounds (one call of every peer per round; min / median / max):

* torch's own initialization: ``reset_parameters()`` of every module, against
  ``fastinit.torch.init_module_(model)`` (the same distributions);
* the GPT-2 recipe (weights and embeddings N(0, 0.02), biases zero, LayerNorms one / zero) with
  torch's ``normal_`` / ``zeros_`` / ``ones_``, against ``init_module_`` with that recipe as
  ``scheme=``;
* building the model: ``GPT2()`` eagerly (torch allocates and initializes), against building it
  on the meta device and ``materialize_module_``.

The first ``init_module_`` call of the process is printed separately: from an empty kernel cache
(``NUMBA_CACHE_DIR=$(mktemp -d)``) it includes compiling the uniform and normal kernels.
"""

import argparse
import os
import platform
import statistics
import time

# torch's idle OpenMP threads spin after each call and would take the cores of the next call
# timed (fastinit bench sets the same); read when the OpenMP runtime loads, so set it first
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import torch  # noqa: E402
from torch import nn  # noqa: E402

import fastinit  # noqa: E402
from fastinit.torch import init_module_, materialize_module_  # noqa: E402

WIDTH, LAYERS, VOCAB, CONTEXT = 768, 12, 50257, 1024


class Block(nn.Module):
    def __init__(self, d):
        super().__init__()
        self.ln_1, self.ln_2 = nn.LayerNorm(d), nn.LayerNorm(d)
        self.attn = nn.ModuleDict({"c_attn": nn.Linear(d, 3 * d), "c_proj": nn.Linear(d, d)})
        self.mlp = nn.ModuleDict({"c_fc": nn.Linear(d, 4 * d), "c_proj": nn.Linear(4 * d, d)})


class GPT2(nn.Module):
    def __init__(self, d=WIDTH, layers=LAYERS, vocab=VOCAB, context=CONTEXT):
        super().__init__()
        self.wte, self.wpe = nn.Embedding(vocab, d), nn.Embedding(context, d)
        self.h = nn.ModuleList(Block(d) for _ in range(layers))
        self.ln_f = nn.LayerNorm(d)
        self.lm_head = nn.Linear(d, vocab, bias=False)
        self.lm_head.weight = self.wte.weight


def torch_reset(model):
    for module in model.modules():
        if hasattr(module, "reset_parameters"):
            module.reset_parameters()


def gpt2_recipe(name, tensor):
    """The GPT-2 recipe as a scheme: N(0, 0.02) weights and embeddings, zero biases."""
    if tensor.dim() >= 2:
        return "normal", {"std": 0.02}
    return ("zeros", {}) if name.endswith("bias") else ("ones", {})


@torch.no_grad()
def torch_recipe(model):
    for name, p in model.named_parameters():
        scheme, kwargs = gpt2_recipe(name, p)
        if scheme == "normal":
            nn.init.normal_(p, 0.0, kwargs["std"])
        elif scheme == "zeros":
            nn.init.zeros_(p)
        else:
            nn.init.ones_(p)


def build_on_meta():
    with torch.device("meta"):
        model = GPT2()
    return materialize_module_(model, seed=0)


def rounds_of(fns, rounds, pause=0.05):
    """Times of every callable, round-robin, after one untimed call each; ``pause`` sleeps
    untimed before each timed call so that one library's worker threads are idle when the
    other's call starts."""
    for fn in fns.values():
        fn()
    times = {name: [] for name in fns}
    for _ in range(rounds):
        for name, fn in fns.items():
            time.sleep(pause)
            start = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - start)
    return times


def show(title, times, ours, theirs, goal):
    print(f"\n{title}")
    for name, ts in times.items():
        print(f"  {name:<44} min {min(ts):7.3f} s  median {statistics.median(ts):7.3f} s  "
              f"max {max(ts):7.3f} s")  # fmt: skip
    ratios = [t / o for t, o in zip(times[theirs], times[ours], strict=True)]
    ratio = statistics.median(times[theirs]) / statistics.median(times[ours])
    verdict = "met" if ratio >= goal else "NOT MET"
    print(f"  ratio of medians {ratio:.2f}x (per round {min(ratios):.2f}-{max(ratios):.2f}x), "
          f"goal >= {goal}x: {verdict}")  # fmt: skip


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    print(f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs; torch "
          f"{torch.__version__} ({torch.get_num_threads()} threads), fastinit "
          f"{fastinit.__version__} ({fastinit.config.thread_count()} threads)")  # fmt: skip
    reinitialize(GPT2(), args.rounds)
    times = rounds_of(
        {"torch: GPT2() eagerly": GPT2, "meta + materialize_module_": build_on_meta},
        args.rounds,
    )
    show("building the model", times, "meta + materialize_module_", "torch: GPT2() eagerly", 3.0)


def reinitialize(model, rounds):
    count = sum(p.numel() for p in model.parameters())
    print(f"GPT-2 small shapes: {count / 1e6:.1f}M parameters")

    start = time.perf_counter()
    init_module_(model, seed=0)
    print(f"first init_module_ call of the process: {time.perf_counter() - start:.2f} s "
          f"(NUMBA_CACHE_DIR={os.environ.get('NUMBA_CACHE_DIR', 'default')})")  # fmt: skip

    times = rounds_of(
        {
            "torch: reset_parameters() of every module": lambda: torch_reset(model),
            "fastinit.torch.init_module_": lambda: init_module_(model, seed=0),
        },
        rounds,
    )
    show("torch's default initialization", times, "fastinit.torch.init_module_",
         "torch: reset_parameters() of every module", 5.0)  # fmt: skip

    times = rounds_of(
        {
            "torch: normal_(0, 0.02) / zeros_ / ones_": lambda: torch_recipe(model),
            "init_module_(scheme=GPT-2 recipe)": lambda: init_module_(
                model, seed=0, scheme=gpt2_recipe
            ),
        },
        rounds,
    )
    show("the GPT-2 recipe", times, "init_module_(scheme=GPT-2 recipe)",
         "torch: normal_(0, 0.02) / zeros_ / ones_", 5.0)  # fmt: skip


if __name__ == "__main__":
    main()
