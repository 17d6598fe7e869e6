"""The comparison table shared by the correctness tests and the benchmarks.

``COMPARISONS`` maps an operation name to a :class:`Comparison`, which maps a peer name
(``"fastinit"``, ``"numpy"``, ``"scipy"``, ``"torch"``, ``"sklearn"``, ``"naive"`` ...) to a
callable taking the operation's inputs::

    COMPARISONS["init.normal"]["torch"](**inputs)

The test-suite runs every available peer at ``test_size`` and checks the results with the
operation's ``check``; ``fastinit bench`` times the same callables at ``bench_size``. So nothing is
benchmarked that is not also checked. Each module ``*_ops.py`` in this package registers the
operations of one area with :func:`register`; they are discovered, so adding an area is adding a
file.
"""

import importlib
import importlib.util
import pkgutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Peer:
    """One implementation of an operation.

    ``requires`` names the importable module it needs (skipped when absent); ``max_size``
    caps the problem size for slow peers (naive loops), whose time is then scaled per element.
    """

    fn: Callable[..., Any]
    requires: str | None = None
    max_size: int | None = None

    def available(self):
        return self.requires is None or importlib.util.find_spec(self.requires) is not None


@dataclass(frozen=True)
class Comparison(Mapping):
    """An operation, its inputs, its implementations and how to check them."""

    name: str
    setup: Callable[[int], dict]  # size -> keyword inputs shared by every peer (fixed seed)
    check: Callable[[dict, str, Any], None]  # (inputs, peer name, result) -> assert it is right
    peers: dict[str, Peer]
    test_size: int
    bench_size: int
    unit: str = "element"  # what `size` counts, for per-unit timings
    description: str = ""
    prepare: Callable[[dict], dict] | None = field(default=None)  # fresh inputs before each call

    def __getitem__(self, peer):
        return self.peers[peer].fn

    def __iter__(self):
        return iter(self.peers)

    def __len__(self):
        return len(self.peers)

    def available(self):
        """Names of the peers whose requirements are installed."""
        return [name for name, peer in self.peers.items() if peer.available()]


COMPARISONS: dict[str, Comparison] = {}


def register(comparison):
    """Add ``comparison`` to :data:`COMPARISONS` (names must be unique).

    Examples
    --------
    >>> from fastinit.comparisons import load, register
    >>> comparisons = load()
    >>> try:
    ...     register(comparisons["init.normal"])
    ... except ValueError as error:
    ...     print(error)
    comparison 'init.normal' is registered twice
    """
    if comparison.name in COMPARISONS:
        raise ValueError(f"comparison {comparison.name!r} is registered twice")
    COMPARISONS[comparison.name] = comparison
    return comparison


def load():
    """Import every ``*_ops`` module of this package and return :data:`COMPARISONS`.

    Examples
    --------
    >>> from fastinit.comparisons import load
    >>> normal = load()["init.normal"]
    >>> "fastinit" in normal.available() and "numpy" in normal.available()
    True
    """
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if info.name.endswith("_ops"):
            importlib.import_module(f"{__name__}.{info.name}")
    return COMPARISONS
