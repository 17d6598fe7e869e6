"""The command line: ``fastinit bench`` (options, report, equal-size ratios), ``fastinit
diagnose``, ``fastinit cache`` and ``fastinit compile``.

Commands run in a subprocess from the repository root (so they use this checkout) with tiny
scales; the kernel cache is the default one unless a test needs its own (``NUMBA_CACHE_DIR``).
"""

import json
import os
import pathlib
import subprocess
import sys
import time

import pytest

from fastinit import cli
from fastinit.comparisons import Comparison, Peer, load, runner

ROOT = pathlib.Path(__file__).resolve().parent.parent


def _fastinit(*args, env=None, check=True, timeout=600):
    result = subprocess.run(
        [sys.executable, "-m", "fastinit", *args], capture_output=True, text=True, cwd=ROOT,
        env={**os.environ, **(env or {})}, timeout=timeout,
    )  # fmt: skip
    if check and result.returncode != 0:
        raise AssertionError(f"exit {result.returncode}\n{result.stdout}\n{result.stderr}")
    return result


# ------------------------------------------------------------------------------- bench ---
def test_bench_list_names_every_operation_and_exits():
    out = _fastinit("bench", "--list").stdout
    for name, comparison in load().items():
        assert name in out and comparison.description in out
    assert "[quick]" in out
    assert "peer/fastinit" not in out  # nothing was timed


def test_bench_pattern_matching_nothing_is_an_error_listing_the_names():
    result = _fastinit("bench", "--only", "init.*", "no.such.op", check=False)
    assert result.returncode == 2
    assert "no operation matches 'no.such.op'" in result.stderr
    assert "init.normal" in result.stderr and "metrics.r2_score" in result.stderr
    assert result.stdout == ""  # it failed before timing anything


def test_bench_report_header_rows_and_json(tmp_path):
    path = tmp_path / "bench.json"
    # at this scale init.normal has 500,000 elements, over the naive peer's max_size (200,000)
    out = _fastinit("bench", "--only", "init.normal", "--scale", "0.01", "--repeat", "3",
                    "--json", str(path)).stdout  # fmt: skip
    header = out[: out.index("[1/1]")]
    for word in ("machine:", "SIMD", "Numba target CPU", "threads", "Python", "NumPy", "Numba",
                 "SciPy", "SAME size", "min / median / max"):  # fmt: skip
        assert word in header, word
    assert "[1/1] init.normal" in out and "Done:" in out
    data = json.loads(path.read_text())
    machine = data["machine"]
    assert machine["threads"] >= 1 and machine["simd"] and machine["numba_cpu"]
    assert {"python", "numpy", "numba", "scipy"} <= set(machine["versions"])
    assert machine["omp_wait_policy"]  # set by the command unless the user chose one
    rows = data["rows"]
    assert {r["peer"] for r in rows} >= {"fastinit", "numpy", "naive"}
    fastinit = {r["size"]: r for r in rows if r["peer"] == "fastinit"}
    assert sorted(fastinit) == [200_000, 500_000]  # fastinit timed again at the naive size
    for r in rows:
        assert 1 <= r["calls"] <= 3
        assert r["min_s"] <= r["median_s"] <= r["max_s"]
        assert r["fastinit_median_s"] == fastinit[r["size"]]["median_s"]
        if r["peer"] == "fastinit":
            assert r["ratio"] is None and r["first_call_s"] > 0
        else:
            assert r["ratio"] == pytest.approx(r["median_s"] / r["fastinit_median_s"])
    naive = next(r for r in rows if r["peer"] == "naive")
    assert naive["size"] == 200_000
    assert data["settings"]["scale"] == 0.01 and data["skipped"] == []


def test_bench_markdown_goes_to_stdout_and_progress_to_stderr():
    result = _fastinit("bench", "init.constant", "--markdown", "--scale", "0.0001",
                       "--repeat", "1")  # fmt: skip
    md = result.stdout
    assert md.startswith("Machine: ") and "Software: Python" in md
    assert "| operation | peer | size | min | median | max | peer / fastinit |" in md
    assert "| init.constant | fastinit | 5,000 elements |" in md
    assert "| init.constant | numpy | 5,000 elements |" in md
    assert "[1/1] init.constant" not in md
    assert "[1/1] init.constant: fill with 0.5" in result.stderr  # progress


def test_quick_selects_a_few_operations_at_a_smaller_scale():
    parse = cli.build_parser().parse_args
    patterns, scale, repeat, budget = cli.bench_settings(parse(["bench", "--quick"]))
    assert patterns == list(cli.QUICK_OPERATIONS)
    assert (scale, repeat) == (cli.QUICK_SCALE, cli.QUICK_REPEAT) and scale < 1
    assert budget < runner.BUDGET_S
    names = load()
    assert set(cli.QUICK_OPERATIONS) <= set(names)
    assert len(cli.QUICK_OPERATIONS) < len(names)
    areas = {name.split(".")[0] for name in names}
    assert {name.split(".")[0] for name in cli.QUICK_OPERATIONS} == areas  # every area
    # explicit options win over the quick defaults
    assert cli.bench_settings(parse(["bench", "--quick", "--scale", "0.5", "clip.*"]))[:2] == (
        ["clip.*"], 0.5,
    )  # fmt: skip
    assert cli.bench_settings(parse(["bench"]))[:3] == (["*"], 1.0, 5)


def test_bench_rejects_bad_scale_and_repeat():
    for scale in ("0", "nan", "inf"):
        assert _fastinit("bench", "init.constant", "--scale", scale, check=False).returncode == 2
    assert _fastinit("bench", "init.constant", "--repeat", "0", check=False).returncode == 2


def _fake(name, peers, max_size=None):
    def setup(n):
        return {"n": n}

    def fn(n):
        return sum(range(n))

    return Comparison(
        name=name, setup=setup, check=lambda inputs, peer, result: None,
        peers={"fastinit": Peer(fn), **peers}, test_size=10, bench_size=20_000,
        description="a fake operation",
    )  # fmt: skip


def test_slow_peers_are_compared_with_fastinit_at_their_own_size():
    def slower(n):
        return sum(float(i) for i in range(n))

    fake = _fake("fake.sum", {"quick": Peer(slower), "slow": Peer(slower, max_size=5_000)})
    rows = runner.measure(fake, repeat=2)
    assert [(r.peer, r.size) for r in rows] == [
        ("fastinit", 20_000), ("quick", 20_000), ("fastinit", 5_000), ("slow", 5_000),
    ]  # fmt: skip
    base = {r.size: r.median_s for r in rows if r.peer == "fastinit"}
    for r in rows:
        assert r.fastinit_median_s == base[r.size]
        if r.peer != "fastinit":
            assert r.ratio == r.median_s / base[r.size] and r.first_call_s is None


def test_a_peer_slow_at_its_warm_up_size_is_timed_at_that_size():
    def sleepy(n):
        time.sleep(n * 1e-5)  # 2 ms at the warm-up size (200), 0.2 s at the full size

    imported = []

    def slow_import(n):  # a one-time cost over the budget, then fast calls
        if not imported:
            imported.append(time.sleep(0.01))

    fake = _fake("fake.sleep", {"sleepy": Peer(sleepy), "importer": Peer(slow_import)})
    rows = runner.measure(fake, repeat=2, budget=0.001)
    assert [(r.peer, r.size) for r in rows] == [
        ("fastinit", 20_000), ("importer", 20_000), ("fastinit", 200), ("sleepy", 200),
    ]  # fmt: skip
    assert rows[3].ratio == rows[3].median_s / rows[2].median_s


def test_missing_and_failing_peers_are_reported_once_with_install_hints(monkeypatch):
    def broken(n):
        raise RuntimeError("peer broke")

    fakes = {
        f"fake.op{i}": _fake(f"fake.op{i}", {
            "ghost": Peer(lambda n: n, requires="fastinit_no_such_module"),
            "gone": Peer(lambda n: n, requires="torch"),
            "broken": Peer(broken),
        })
        for i in (1, 2)
    }  # fmt: skip
    lines = []
    real = Peer.available
    monkeypatch.setattr(Peer, "available", lambda self: self.requires != "torch" and real(self))
    result = runner.run(["fake.*"], scale=0.01, repeat=1, write=lines.append, comparisons=fakes)
    assert sorted(result.skipped) == ["ghost", "gone"]
    assert result.skipped["ghost"]["operations"] == ["fake.op1", "fake.op2"]
    text = "\n".join(lines)
    summary = text[text.index("Skipped peers") :]
    assert text.count("Skipped peers") == 1
    assert "pip install torch==2.13.0" in summary
    assert "pip install fastinit_no_such_module" in summary
    assert "Failed: fake.op1 / broken: RuntimeError: peer broke" in summary
    assert {r.peer for r in result.rows} == {"fastinit"}
    assert runner.INSTALL["sklearn"] == "pip install scikit-learn"
    as_json = result.as_dict()
    assert {s["peer"] for s in as_json["skipped"]} == {"ghost", "gone"}
    assert as_json["failed"][0]["error"] == "RuntimeError: peer broke"


# ---------------------------------------------------------------------------- diagnose ---
def test_diagnose_defaults():
    args = cli.build_parser().parse_args(["diagnose", "--activation", "tanh", "--depth", "3"])
    assert (args.width, args.init) == (512, "kaiming_normal")


def test_diagnose_prints_the_table_and_writes_the_plot(tmp_path, capsys):
    out = tmp_path / "p.png"
    args = cli.build_parser().parse_args(
        ["diagnose", "--activation", "relu", "--init", "xavier_normal", "--depth", "6", "--width",
         "32", "--networks", "2", "--batch", "8", "--plot", str(out)]
    )  # fmt: skip
    assert args.handler(args) == 0
    printed = capsys.readouterr().out
    assert "verdict: vanishing" in printed and out.exists()


@pytest.mark.parametrize(
    "option, match", [(["--init", "bogus"], "init"), (["--depth", "0"], "widths")]
)
def test_diagnose_refuses_bad_options_with_a_usage_error(option, match, capsys):
    args = cli.build_parser().parse_args(["diagnose", "--activation", "relu", *option])
    with pytest.raises(SystemExit) as info:
        args.handler(args)
    assert info.value.code == 2
    assert match in capsys.readouterr().err


# ------------------------------------------------------------------------------- cache ---
def test_cache_shows_the_location_and_clear_empties_only_the_root(tmp_path):
    env = {"NUMBA_CACHE_DIR": str(tmp_path)}
    root = tmp_path / "fastinit"
    out = _fastinit("cache", env=env).stdout
    assert "kernel cache: on" in out
    assert f"cache root:   {root}" in out
    build = next(root.iterdir())  # this build's folder, named by the kernel sources' digest
    assert f"this build:   {build} (0 files, 0 B)" in out
    (build / "k.nbi").write_bytes(b"x" * 1000)
    (root / "old-build").mkdir()
    (root / "old-build" / "k.nbc").write_bytes(b"x" * 2000)
    (tmp_path / "keep.txt").write_text("outside the root")
    out = _fastinit("cache", env=env).stdout
    assert "(1 file, 1.0 kB)" in out and "all builds:   2 folders, 2 files, 3.0 kB" in out
    out = _fastinit("cache", "--clear", env=env).stdout
    assert f"removed 2 files (3.0 kB) in 2 entries from {root}" in out
    assert root.is_dir() and list(root.iterdir()) == []
    assert (tmp_path / "keep.txt").read_text() == "outside the root"
    out = _fastinit("cache", "--clear", env=env).stdout
    assert "removed 0 files" in out


def test_cache_reports_when_caching_is_off(tmp_path):
    out = _fastinit("cache", env={"NUMBA_CACHE_DIR": str(tmp_path), "FASTINIT_CACHE": "0"})
    assert "kernel cache: off" in out.stdout


# ----------------------------------------------------------------------------- compile ---
def test_compile_lists_tasks_and_rejects_unknown_ones():
    out = _fastinit("compile", "--list").stdout
    for name in ("random", "init", "orthogonal", "clip", "metrics.classification",
                 "metrics.regression", "propagation.theory"):  # fmt: skip
        assert name in out
    result = _fastinit("compile", "--only", "nope", check=False)
    assert result.returncode == 2 and "valid tasks: metrics.classification" in result.stderr


_SNAPSHOT = """
import os, sys, time
from fastinit import config, _precompile, random
def snap():
    return {os.path.join(d, n): os.stat(os.path.join(d, n)).st_mtime_ns
            for d, _, names in os.walk(config.cache_root()) for n in names}
before = snap()
start = time.perf_counter()
random.normal(1000, seed=0, dtype=sys.argv[1])  # a kernel every task here runs
print("FIRST", time.perf_counter() - start)
for item in sys.argv[2:]:
    _precompile.run_task(item)
print("NEW", sorted(set(snap().items()) - set(before.items())))
"""


def _compile_then_check(tmp_path, items, *args):
    env = {"NUMBA_CACHE_DIR": str(tmp_path)}
    out = _fastinit("compile", *args, env=env).stdout
    assert f"{len(items)} of {len(items)} tasks" in out
    for item in items:
        assert item in out
    files = list(tmp_path.rglob("*.nbi"))
    assert files and all(str(f).startswith(str(tmp_path / "fastinit")) for f in files)
    # a new process finds every kernel in the cache: nothing is compiled or written again
    check = subprocess.run(
        [sys.executable, "-c", _SNAPSHOT, "float32", *items], capture_output=True, text=True,
        cwd=ROOT, env={**os.environ, **env}, timeout=600, check=True,
    ).stdout.splitlines()  # fmt: skip
    assert check[-1] == "NEW []", check[-1]
    first = float(check[0].split()[1])
    assert first < 1.0, f"loading a cached kernel took {first:.2f} s"  # compiling takes ~10 s


def test_compile_fills_the_cache_for_a_new_process(tmp_path):
    start = time.perf_counter()
    _compile_then_check(tmp_path, ["propagation.diagnose"], "--dtype", "float32", "--jobs", "1",
                        "--only", "propagation.diagnose")  # fmt: skip
    assert time.perf_counter() - start < 300


def test_compile_in_parallel_processes_keeps_every_specialization(tmp_path):
    """Two processes compiling float32 and float64 versions of the same kernels at once: each
    save is locked, so both specializations stay in the cache index."""
    items = ["propagation.simulate:float32", "propagation.simulate:float64"]
    _compile_then_check(tmp_path, items, "--jobs", "2", "--only", "propagation.simulate:*")
