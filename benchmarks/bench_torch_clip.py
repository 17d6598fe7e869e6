"""Speed of ``fastinit.torch.clip_grad_norm_`` against torch's, on a GPT-2-small-sized model.

Run ``python benchmarks/bench_torch_clip.py`` (``--repeat N`` for more rounds, ``--dtype
float32`` or ``bfloat16`` for one of the two). Builds the gradients of a model shaped like GPT-2
small (124M parameters in 148 tensors: token and position embeddings, 12 blocks of width 768,
the final layer norm) as float32 and as bfloat16 CPU tensors, and times, in one process and
round-robin so that a burst of load on the shared machine hits both alike:

* ``fastinit.torch.clip_grad_norm_(params, max_norm)``
* ``torch.nn.utils.clip_grad_norm_(params, max_norm, foreach=True)``

Every timed call clips: ``max_norm`` is 0.9 times the gradients' norm after the previous call,
so they shrink a little each call and neither function can skip its write pass; each contender
clips its own copy of the gradients. Prints the
first call of each (fastinit's includes loading, or compiling, its kernels), then the median and
the range of the timed calls and torch's median over fastinit's (goal: at least 1.5).
"""

import argparse
import os
import statistics
import time

# torch's idle OpenMP threads spin after each call and would take the cores of the next call
# timed (fastinit bench sets the same); read when the OpenMP runtime loads, so set it first
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import torch  # noqa: E402

import fastinit  # noqa: E402
import fastinit.torch as fastinit_torch  # noqa: E402
from fastinit.comparisons.timing import seconds  # noqa: E402

PAUSE = 0.05  # untimed, before each timed call: the other library's threads go idle

GOAL = 1.5
WIDTH, BLOCKS, VOCAB, CONTEXT = 768, 12, 50257, 1024


def gpt2_small_shapes():
    """The parameter shapes of GPT-2 small, in ``named_parameters()`` order (weights stored
    ``(in, out)``, as in its Conv1D layers)."""
    d = WIDTH
    block = [
        (d,), (d,),  # ln_1 weight, bias
        (d, 3 * d), (3 * d,),  # attn.c_attn
        (d, d), (d,),  # attn.c_proj
        (d,), (d,),  # ln_2
        (d, 4 * d), (4 * d,),  # mlp.c_fc
        (4 * d, d), (d,),  # mlp.c_proj
    ]  # fmt: skip
    return [(VOCAB, d), (CONTEXT, d)] + block * BLOCKS + [(d,), (d,)]


def make_params(dtype, seed=0):
    """Parameters of GPT-2 small's shapes with standard normal gradients of ``dtype``."""
    generator = torch.Generator().manual_seed(seed)
    params = []
    for shape in gpt2_small_shapes():
        p = torch.nn.Parameter(torch.empty(shape, dtype=dtype))
        p.grad = torch.randn(shape, generator=generator).to(dtype)
        params.append(p)
    return params


class Clipper:
    """One contender: each call clips to 0.9 times the norm that the last call returned."""

    def __init__(self, clip, params):
        self.clip, self.params, self.norm = clip, params, None

    def __call__(self):
        max_norm = 0.9 * self.norm if self.norm is not None else 1.0
        # the norm after this call: max_norm when it clipped, else the norm it returned
        self.norm = min(float(self.clip(self.params, max_norm)), max_norm)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=11, help="timed calls of each (default 11)")
    parser.add_argument("--dtype", choices=["float32", "bfloat16", "both"], default="both")
    args = parser.parse_args()
    print(
        f"fastinit {fastinit.__version__}, torch {torch.__version__} "
        f"({torch.get_num_threads()} threads), fastinit threads {fastinit.config.thread_count()}"
    )
    shapes = gpt2_small_shapes()
    count = sum(torch.Size(s).numel() for s in shapes)
    print(f"GPT-2 small gradients: {count:,} values in {len(shapes)} tensors")

    def theirs(params, max_norm):
        return torch.nn.utils.clip_grad_norm_(params, max_norm, foreach=True)

    dtypes = ["float32", "bfloat16"] if args.dtype == "both" else [args.dtype]
    for name in dtypes:
        # each its own copy of the gradients: clipping shared ones, one contender would find
        # them already below its bound after the other's call, and skip its write pass
        params = make_params(getattr(torch, name))
        contenders = {
            "fastinit": Clipper(fastinit_torch.clip_grad_norm_, params),
            "torch": Clipper(theirs, make_params(getattr(torch, name))),
        }
        first = {key: seconds(fn, pause=PAUSE) for key, fn in contenders.items()}
        times = {key: [] for key in contenders}
        for _ in range(args.repeat):
            for key, fn in contenders.items():
                times[key].append(seconds(fn, pause=PAUSE))
        median = {key: statistics.median(ts) for key, ts in times.items()}
        print(f"\n{name}, {count * params[0].grad.element_size() / 1e6:.0f} MB of gradients")
        for key, ts in times.items():
            low, high = min(ts) * 1e3, max(ts) * 1e3
            print(
                f"  {key:<9} first call {first[key] * 1e3:8.1f} ms   median "
                f"{median[key] * 1e3:7.1f} ms  range {low:7.1f} - {high:7.1f} ms ({len(ts)} calls)"
            )
        ratio = median["torch"] / median["fastinit"]
        verdict = "met" if ratio >= GOAL else "NOT MET"
        print(f"  torch / fastinit = {ratio:.2f}x   (goal >= {GOAL}x: {verdict})")
        del params, contenders
        time.sleep(0.1)


if __name__ == "__main__":
    main()
