"""Time every operation of the comparison table against the peers that are installed.

How a row is measured (``fastinit bench`` prints this policy in its header):

* fastinit is called once at the timed size before it is timed: that first call compiles its
  kernels (or loads them from the cache) and is reported apart, as ``1st call``;
* every other peer is warmed up by one call at 1/100 of the size (imports, lazy set-up), so a
  peer that needs seconds per call is not run twice at full size for nothing;
* then up to ``repeat`` timed calls, fewer when they would exceed the time ``budget`` of that peer
  (a peer that needs seconds per call gets one timed call); each row reports min / median / max;
* a slow peer (``Peer.max_size``) runs at a smaller size than the operation's ``bench_size``, and
  so does a peer whose warm-up at 1/100 of the size, called a second time (after its imports),
  still took longer than the budget (it is timed at that size: at full size one call could take
  minutes); fastinit is then timed at that same size too, so every ratio compares two medians at
  equal sizes.
"""

import fnmatch
import importlib.metadata
import json
import os
import platform
import statistics
import time
from dataclasses import asdict, dataclass, field

from . import load, timing

BUDGET_S = 0.5  # timed seconds per peer and size, after the warm-up call
# how to install the peers that an operation may need (module name -> command)
INSTALL = {
    "torch": "pip install torch==2.13.0 (the CPU build this project tests with)",
    "sklearn": "pip install scikit-learn",
    "scipy": "pip install scipy",
}
DISTRIBUTIONS = {"sklearn": "scikit-learn"}  # module -> distribution name, where they differ


@dataclass(frozen=True)
class Row:
    """One peer of one operation at one size: times in seconds, ``ratio`` = median over
    fastinit's median at the same size (``None`` on fastinit's own rows)."""

    operation: str
    peer: str
    size: int
    unit: str
    calls: int
    first_call_s: float | None  # fastinit's first call at this size (compilation included)
    min_s: float
    median_s: float
    max_s: float
    fastinit_median_s: float
    ratio: float | None


@dataclass
class Result:
    """Everything one benchmark run produced: the machine, the rows, what was skipped."""

    machine: dict
    settings: dict
    rows: list = field(default_factory=list)
    skipped: dict = field(default_factory=dict)  # peer -> {"module", "install", "operations"}
    failed: list = field(default_factory=list)  # (operation, peer, error)
    wall_s: float = 0.0

    def as_dict(self):
        return {
            "machine": self.machine,
            "settings": self.settings,
            "ratio": "peer median / fastinit median at the same size (> 1: fastinit is faster)",
            "rows": [asdict(row) for row in self.rows],
            "skipped": [{"peer": peer, **info} for peer, info in sorted(self.skipped.items())],
            "failed": [
                dict(zip(("operation", "peer", "error"), f, strict=True)) for f in self.failed
            ],  # fmt: skip
            "wall_s": round(self.wall_s, 3),
        }


# ------------------------------------------------------------------------------- machine ---
def _cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.lower().startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown CPU"


def _simd(features):
    """The widest vector extension among ``features`` (names as LLVM spells them)."""
    for name in ("avx512f", "avx2", "avx", "sse4.2", "sve2", "sve", "neon", "asimd"):
        if name in features:
            return name
    return "none detected"


def _version(module):
    try:
        return importlib.metadata.version(DISTRIBUTIONS.get(module, module))
    except importlib.metadata.PackageNotFoundError:
        return None


def machine_info(peer_modules=("torch", "sklearn")):
    """The machine and software a benchmark ran on, as a JSON-ready dict.

    CPU model, SIMD level and Numba's target CPU (LLVM's host CPU, or ``NUMBA_CPU_NAME`` when
    set), the thread count of fastinit's parallel kernels, ``OMP_WAIT_POLICY``, and the versions
    of Python, NumPy, Numba, SciPy and of each module in ``peer_modules`` that is installed.

    Examples
    --------
    >>> from fastinit.comparisons.runner import machine_info
    >>> info = machine_info()
    >>> info["threads"] >= 1 and "numpy" in info["versions"]
    True
    """
    import llvmlite
    import llvmlite.binding as llvm
    import numba
    import numpy

    from .. import config

    try:
        features = {name for name, on in llvm.get_host_cpu_features().items() if on}
    except RuntimeError:  # LLVM cannot read them on this platform
        features = set()
    versions = {
        "python": platform.python_version(),
        "numpy": numpy.__version__,
        "numba": numba.__version__,
        "llvmlite": llvmlite.__version__,
        "scipy": _version("scipy"),
    }
    for module in peer_modules:
        version = _version(module)
        if version is not None:
            versions[DISTRIBUTIONS.get(module, module)] = version
    return {
        "cpu": _cpu_model(),
        "arch": platform.machine(),
        "os": platform.platform(terse=True),
        "simd": _simd(features),
        "cpu_features": sorted(f for f in features if f.startswith(("avx", "sse", "fma"))),
        "numba_cpu": llvm.get_host_cpu_name(),
        "numba_cpu_name_env": os.environ.get("NUMBA_CPU_NAME"),
        "threads": config.thread_count(),  # fastinit's parallel kernels
        "numba_threads": numba.config.NUMBA_NUM_THREADS,  # read without starting Numba's pool
        "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY"),
        "versions": versions,
    }


def describe_machine(info):
    """Two lines (machine, software versions) describing ``info`` from :func:`machine_info`.

    Examples
    --------
    >>> from fastinit.comparisons.runner import describe_machine, machine_info
    >>> cpu, versions = describe_machine(machine_info())
    >>> "SIMD" in cpu and "threads" in cpu, versions.startswith("Python")
    (True, True)
    """
    target = info["numba_cpu"]
    if info["numba_cpu_name_env"]:
        target = f"{info['numba_cpu_name_env']} (NUMBA_CPU_NAME; host {target})"
    cpu = (f"{info['cpu']} ({info['arch']}), SIMD {info['simd']}, Numba target CPU {target}, "
           f"{info['threads']} threads")  # fmt: skip
    names = {"python": "Python", "numpy": "NumPy", "numba": "Numba", "llvmlite": "llvmlite",
             "scipy": "SciPy"}  # fmt: skip
    versions = ", ".join(f"{names.get(k, k)} {v}" for k, v in info["versions"].items() if v)
    return cpu, versions


# ------------------------------------------------------------------------------- timing ---
def _seconds(fn, inputs, prepare):
    kwargs = prepare(inputs) if prepare else inputs  # untimed: fresh copies of in-place inputs
    return timing.seconds(lambda: fn(**kwargs))


def _time_calls(fn, inputs, prepare, repeat, budget):
    """At least one timed call, then more until ``repeat`` calls or ``budget`` seconds."""
    times = [_seconds(fn, inputs, prepare)]
    while len(times) < repeat and sum(times) + times[-1] <= budget:
        times.append(_seconds(fn, inputs, prepare))
    return times


WARMUP_FRACTION = 100  # other peers are warmed up at 1/100 of the timed size


def measure(comparison, *, scale=1.0, repeat=5, budget=BUDGET_S, peers=None, status=None,
            emit=None, failed=None):  # fmt: skip
    """Time the available peers of ``comparison``; return a list of :class:`Row`.

    The operation runs at ``bench_size * scale``; a peer with a smaller ``max_size`` runs at that
    size, and so does a peer whose warm-up call at 1/100 of the size takes longer than
    ``budget`` twice in a row; fastinit is timed at each such size as well, so each ratio
    compares equal sizes. ``peers`` limits the peers timed besides fastinit; ``status(text)``
    hears what is about to run, ``emit(row)`` gets each row as soon as it is measured. A peer
    other than fastinit that raises is left out and recorded in ``failed`` (a list) when given,
    else the error propagates.

    Examples
    --------
    >>> from fastinit.comparisons import load
    >>> from fastinit.comparisons.runner import measure
    >>> rows = measure(load()["init.constant"], scale=1e-4, repeat=1, peers={"numpy"})
    >>> [(row.peer, row.size) for row in rows]
    [('fastinit', 5000), ('numpy', 5000)]
    >>> rows[1].ratio > 0
    True
    """
    status = status or (lambda text: None)
    size = max(1, int(comparison.bench_size * scale))
    pending = {}  # size -> the peers to time at that size (fastinit too, always first)
    for name in comparison.available():
        if peers is not None and name not in peers and name != "fastinit":
            continue
        peer = comparison.peers[name]
        pending.setdefault(min(size, peer.max_size) if peer.max_size else size, []).append(name)
    warmed = set()  # (peer, size): warmed up at that size already
    spare = {}  # size -> inputs built for a warm-up, kept for the peers moved to that size
    rows = []
    while pending:
        n = max(pending)
        names = ["fastinit"] + [p for p in pending.pop(n) if p != "fastinit"]
        inputs = spare.pop(n) if n in spare else comparison.setup(n)
        small = max(1, n // WARMUP_FRACTION)
        small_inputs = None
        base = None
        for name in names:
            fn = comparison.peers[name].fn
            first = None
            try:
                if name == "fastinit":
                    status(f"{comparison.name}: fastinit at {n:,}: compiling + first call...")
                    first = _seconds(fn, inputs, comparison.prepare)
                elif (name, n) not in warmed:
                    status(f"{comparison.name}: {name}: warm-up at {small:,}...")
                    if small_inputs is None:
                        small_inputs = comparison.setup(small) if small < n else inputs
                    warm = _seconds(fn, small_inputs, comparison.prepare)
                    if warm > budget and small < n:  # imports, or is the call itself slow?
                        warm = _seconds(fn, small_inputs, comparison.prepare)
                    if warm > budget and small < n:
                        # over the budget for 1/100 of the work: time it at that size instead
                        pending.setdefault(small, []).append(name)
                        spare.setdefault(small, small_inputs)
                        warmed.add((name, small))
                        continue
                status(f"{comparison.name}: {name} at {n:,}: timing...")
                times = _time_calls(fn, inputs, comparison.prepare, repeat, budget)
            except Exception as error:
                if name == "fastinit" or failed is None:
                    raise
                failed.append((comparison.name, name, f"{type(error).__name__}: {error}"))
                continue
            median = statistics.median(times)
            base = median if name == "fastinit" else base
            ratio = None if name == "fastinit" else median / base
            row = Row(comparison.name, name, n, comparison.unit, len(times), first, min(times),
                      median, max(times), base, ratio)  # fmt: skip
            rows.append(row)
            if emit:
                emit(row)
        del inputs, small_inputs
    return rows


def select(patterns, comparisons=None):
    """Names of the operations matching any of the glob ``patterns``, sorted.

    Raises ValueError naming the patterns that match nothing, with the valid names.

    Examples
    --------
    >>> from fastinit.comparisons.runner import select
    >>> select(["clip.clip_grad_*"])
    ['clip.clip_grad_norm', 'clip.clip_grad_value']
    >>> select(["clip.nothing"])  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: no operation matches 'clip.nothing'; valid names: clip.clip_grad_norm, ...
    """
    comparisons = load() if comparisons is None else comparisons
    unmatched = [p for p in patterns if not any(fnmatch.fnmatchcase(n, p) for n in comparisons)]
    if unmatched:
        listed = ", ".join(repr(p) for p in unmatched)
        valid = ", ".join(sorted(comparisons))
        raise ValueError(f"no operation matches {listed}; valid names: {valid}")
    return [n for n in sorted(comparisons) if any(fnmatch.fnmatchcase(n, p) for p in patterns)]


# ---------------------------------------------------------------------------- reporting ---
def format_seconds(seconds):
    """``seconds`` with a unit that keeps three significant figures readable.

    Examples
    --------
    >>> from fastinit.comparisons.runner import format_seconds
    >>> format_seconds(2.5), format_seconds(0.0123), format_seconds(4.2e-6)
    ('2.50 s', '12.3 ms', '4.20 us')
    """
    for scale, unit in ((1.0, "s"), (1e-3, "ms"), (1e-6, "us")):
        if seconds >= scale or unit == "us":
            value = seconds / scale
            return f"{value:#.3g} {unit}" if value < 100 else f"{value:.0f} {unit}"
    raise AssertionError  # pragma: no cover


def size_text(size, unit):
    """``size`` with its unit: ``"n = 2,048"`` for a one-letter unit, else ``"5,000 elements"``.

    Examples
    --------
    >>> from fastinit.comparisons.runner import size_text
    >>> size_text(2048, "n"), size_text(1, "label"), size_text(8, "matrix")
    ('n = 2,048', '1 label', '8 matrices')
    """
    if len(unit) == 1:
        return f"{unit} = {size:,}"
    if size == 1:
        return f"{size:,} {unit}"
    return f"{size:,} " + (unit[:-2] + "ices" if unit.endswith("ix") else unit + "s")


def _format_ratio(ratio):
    return "" if ratio is None else (f"{ratio:,.0f}x" if ratio >= 100 else f"{ratio:.2f}x")


_HEADER = (f"  {'peer':<12} {'size':>12} {'1st call':>9} {'min':>9} {'median':>9} {'max':>9} "
          f"{'calls':>5} {'peer/fastinit':>14}")  # fmt: skip


def _format_row(row):
    first = "" if row.first_call_s is None else format_seconds(row.first_call_s)
    return (
        f"  {row.peer:<12} {row.size:>12,} {first:>9} "
        f"{format_seconds(row.min_s):>9} {format_seconds(row.median_s):>9} "
        f"{format_seconds(row.max_s):>9} {row.calls:>5} {_format_ratio(row.ratio):>14}"
    )


def _policy_lines(settings):
    return [
        f"times: min / median / max of up to {settings['repeat']} timed calls per peer (at most "
        f"~{settings['budget_s']:g} s of them, at least one); before them fastinit is called once "
        "at the same size ('1st call': compilation or cache loading included) and every other "
        f"peer once at 1/{WARMUP_FRACTION} of the size (imports, lazy set-up)",
        "ratios: peer median / fastinit median at the SAME size (> 1: fastinit is faster); a slow "
        "peer (a set maximum size, or a warm-up call over the budget) runs at a smaller size, "
        "and fastinit is timed again at that size",
    ]


def to_markdown(result):
    """The rows of ``result`` as a Markdown table, the machine and the policy described above.

    Examples
    --------
    >>> from fastinit.comparisons.runner import run, to_markdown
    >>> result = run(["init.constant"], scale=1e-4, repeat=1, write=lambda line: None)
    >>> print(to_markdown(result))  # doctest: +ELLIPSIS
    Machine: ...
    | operation | peer | size | min | median | max | peer / fastinit |
    |---|---|---:|---:|---:|---:|---:|
    | init.constant | fastinit | 5,000 elements | ... | 1 (reference) |
    ...
    """
    cpu, versions = describe_machine(result.machine)
    notes = [f"Machine: {cpu}.", f"Software: {versions}."]
    if result.machine.get("omp_wait_policy"):
        notes.append(f"OpenMP: OMP_WAIT_POLICY={result.machine['omp_wait_policy']}.")
    notes += [line[0].upper() + line[1:] + "." for line in _policy_lines(result.settings)]
    lines = [text for note in notes for text in (note, "")]
    lines += ["| operation | peer | size | min | median | max | peer / fastinit |",
              "|---|---|---:|---:|---:|---:|---:|"]  # fmt: skip
    for r in result.rows:
        times = " | ".join(format_seconds(t) for t in (r.min_s, r.median_s, r.max_s))
        ratio = _format_ratio(r.ratio) or "1 (reference)"
        lines.append(f"| {r.operation} | {r.peer} | {size_text(r.size, r.unit)} | {times} | "
                     f"{ratio} |")  # fmt: skip
    if result.skipped:
        lines += ["", "Peers not installed (skipped): " + ", ".join(sorted(result.skipped)) + "."]
    return "\n".join(lines)


def _skipped(comparison, peers):
    """{peer: module} of the peers of ``comparison`` whose module is missing."""
    return {name: peer.requires for name, peer in comparison.peers.items()
            if (peers is None or name in peers) and not peer.available()}  # fmt: skip


def run(patterns=("*",), *, scale=1.0, repeat=5, budget=BUDGET_S, peers=None, write=print,
        status=None, comparisons=None):  # fmt: skip
    """Benchmark the operations whose names match any of ``patterns``; return a :class:`Result`.

    ``write(line)`` receives the report (header, a title line before each operation, each row
    as soon as it is measured, then the skipped peers); ``status(text)`` hears what is about
    to be compiled or timed (default: nothing). ``comparisons`` defaults to the whole table.

    Examples
    --------
    >>> from fastinit.comparisons.runner import run
    >>> result = run(["init.constant"], scale=1e-4, repeat=1, write=lambda line: None)
    >>> [(row.operation, row.peer, row.size) for row in result.rows][:1]
    [('init.constant', 'fastinit', 5000)]
    """
    start = time.perf_counter()
    comparisons = load() if comparisons is None else comparisons
    names = select(patterns, comparisons)
    modules = sorted({p.requires for c in comparisons.values() for p in c.peers.values()
                      if p.requires and p.requires != "scipy"})  # fmt: skip
    settings = {"scale": scale, "repeat": repeat, "budget_s": budget, "operations": names}
    result = Result(machine_info(modules), settings)
    cpu, versions = describe_machine(result.machine)
    write("fastinit bench: each operation on synthetic data, every peer in this process")
    write(f"machine:  {cpu}")
    write(f"software: {versions}")
    for line in _policy_lines(settings):
        write(line)
    if result.machine["omp_wait_policy"]:
        write(f"OpenMP: OMP_WAIT_POLICY={result.machine['omp_wait_policy']} (PASSIVE: idle "
              "OpenMP threads of the peers sleep instead of spinning on cores that other "
              "threads need)")  # fmt: skip
    for i, name in enumerate(names, 1):
        comparison = comparisons[name]
        size = max(1, int(comparison.bench_size * scale))
        write("")
        write(
            f"[{i}/{len(names)}] {name}: {comparison.description} "
            f"({size_text(size, comparison.unit)}): compiling + warm-up, then timing..."
        )
        write(_HEADER)
        for peer, module in _skipped(comparison, peers).items():
            entry = result.skipped.setdefault(
                peer, {"module": module, "install": INSTALL.get(module, f"pip install {module}"),
                       "operations": []})  # fmt: skip
            entry["operations"].append(name)
        result.rows += measure(comparison, scale=scale, repeat=repeat, budget=budget, peers=peers,
                               status=status, emit=lambda row: write(_format_row(row)),
                               failed=result.failed)  # fmt: skip
    result.wall_s = time.perf_counter() - start
    write("")
    for line in _summary_lines(result):
        write(line)
    return result


def _summary_lines(result):
    """The closing lines: skipped and failed peers (with how to install them), and the time."""
    lines = []
    if result.skipped:
        lines.append("Skipped peers (their module is not installed):")
        for peer, info in sorted(result.skipped.items()):
            ops = info["operations"]
            lines.append(f"  {peer}: module '{info['module']}' not found, {len(ops)} "
                         f"operation{'s' if len(ops) != 1 else ''} ({', '.join(ops)}); "
                         f"install with: {info['install']}")  # fmt: skip
    else:
        lines.append("Skipped peers: none (every peer's module is installed).")
    for operation, peer, error in result.failed:
        lines.append(f"Failed: {operation} / {peer}: {error}")
    lines.append(f"Done: {len(result.rows)} rows in {result.wall_s:.1f} s.")
    return lines


def write_json(result, path):
    """Write ``result`` (machine, settings, every row, skipped peers) as JSON to ``path``.

    Examples
    --------
    >>> import json, pathlib, tempfile
    >>> from fastinit.comparisons.runner import run, write_json
    >>> result = run(["init.constant"], scale=1e-4, repeat=1, write=lambda line: None)
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "bench.json"
    >>> write_json(result, path)
    >>> data = json.loads(path.read_text())
    >>> sorted(data["rows"][0])[:4], data["machine"]["threads"] >= 1
    (['calls', 'fastinit_median_s', 'first_call_s', 'max_s'], True)
    """
    with open(path, "w") as f:
        json.dump(result.as_dict(), f, indent=2)
        f.write("\n")
