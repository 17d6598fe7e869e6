"""pytest-benchmark suite over the shared comparison table (not part of the CI test run).

Run: ``python -m pytest benchmarks/test_comparisons_bench.py --benchmark-enable
-p no:cacheprovider --benchmark-columns=median,iqr --benchmark-group-by=param:name``.
Sizes are each operation's ``bench_size`` times ``FASTINIT_BENCH_SCALE`` (default 0.1).
"""

import os

import pytest

from fastinit.comparisons import load

COMPARISONS = load()
SCALE = float(os.environ.get("FASTINIT_BENCH_SCALE", "0.1"))
CASES = [(n, p) for n, c in sorted(COMPARISONS.items()) for p in c.available()]


@pytest.mark.parametrize("name, peer", CASES, ids=[f"{n}[{p}]" for n, p in CASES])
def test_bench(benchmark, name, peer):
    comparison = COMPARISONS[name]
    spec = comparison.peers[peer]
    size = max(1, int(comparison.bench_size * SCALE))
    if spec.max_size:
        size = min(size, spec.max_size)
    inputs = comparison.setup(size)
    benchmark.extra_info["size"] = size
    if comparison.prepare:
        benchmark.pedantic(
            lambda kw: spec.fn(**kw), setup=lambda: ((comparison.prepare(inputs),), {}), rounds=5
        )
    else:
        benchmark(lambda: spec.fn(**inputs))
