"""Every operation of the shared comparison table: each installed peer passes the same check.

This is the half of the table the benchmarks do not run: nothing is timed by ``fastinit bench``
that is not checked here.
"""

import pytest

from fastinit.comparisons import load

COMPARISONS = load()
CASES = [
    (name, peer) for name, comparison in sorted(COMPARISONS.items()) for peer in comparison.peers
]


@pytest.mark.parametrize("name, peer", CASES, ids=[f"{n}[{p}]" for n, p in CASES])
def test_peer_passes_the_check(name, peer):
    comparison = COMPARISONS[name]
    spec = comparison.peers[peer]
    if not spec.available():
        pytest.skip(f"{spec.requires} is not installed")
    size = min(comparison.test_size, spec.max_size or comparison.test_size)
    inputs = comparison.setup(size)
    kwargs = comparison.prepare(inputs) if comparison.prepare else inputs
    comparison.check(inputs, peer, spec.fn(**kwargs))


def test_every_operation_has_fastinit_and_a_peer():
    for name, comparison in COMPARISONS.items():
        assert "fastinit" in comparison.peers, name
        assert len(comparison.peers) >= 2, name
