"""Packaging contracts: cheap import, lazy compilation, the CLI, the install layout."""

import importlib
import os
import pathlib
import subprocess
import sys

import pytest

import fastinit


def _python(code, **env):
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=os.path.dirname(os.path.abspath(__file__)) + "/..",
        env={**os.environ, **env},
        timeout=300,
        check=True,
    )
    return result.stdout.strip()


def test_import_is_fast_and_compiles_nothing():
    code = (
        "import time, sys\n"
        "best = 1e9\n"
        "t = time.perf_counter(); import fastinit; best = time.perf_counter() - t\n"
        "print(best, 'numba' in sys.modules, 'fastinit.kernels' in sys.modules)"
    )
    seconds, numba_loaded, kernels_loaded = _python(code).split()
    assert numba_loaded == "False" and kernels_loaded == "False"
    assert float(seconds) < 0.3


def test_no_top_level_kernels_module_is_installed():
    # run from a directory that does not contain the repository's kernels/ folder; another
    # distribution may own a top-level "kernels" (Hugging Face's kernel loader does), but it
    # must not be fastinit's
    code = (
        "import importlib.util, os\n"
        "spec = importlib.util.find_spec('kernels')\n"
        "folders = spec.submodule_search_locations or [] if spec else []\n"
        "print(any(os.path.exists(os.path.join(f, 'householder.py')) for f in folders))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd="/", check=True
    )
    assert result.stdout.strip() == "False"
    assert importlib.import_module("fastinit.kernels").__name__ == "fastinit.kernels"


def test_cache_can_be_turned_off():
    assert _python("import fastinit.config as c; print(c.CACHE)", FASTINIT_CACHE="0") == "False"
    assert _python("import fastinit.config as c; print(c.CACHE)", FASTINIT_CACHE="1") == "True"


def test_every_public_name_resolves():
    """``__all__`` lists only names that import (``from fastinit import *`` once failed on a
    listed submodule that did not exist)."""
    code = (
        "from fastinit import *; import fastinit; [getattr(fastinit, n) for n in fastinit.__all__]"
    )
    _python(code)


def test_kernels_found_beside_the_package_in_a_checkout(tmp_path):
    """In a source checkout, ``kernels/`` sits beside ``fastinit/``: with the checkout first on
    the path (Python started in the repository root after a non-editable install), the checkout's
    ``fastinit.kernels`` must still import."""
    import shutil

    root = pathlib.Path(fastinit.__file__).resolve().parent.parent
    if not (root / "kernels" / "_jit.py").is_file():
        pytest.skip("not a source checkout")
    shutil.copytree(
        root / "fastinit", tmp_path / "fastinit", ignore=shutil.ignore_patterns("__pycache__")
    )
    shutil.copytree(
        root / "kernels", tmp_path / "kernels", ignore=shutil.ignore_patterns("__pycache__")
    )
    code = (
        "import sys; sys.path.insert(0, sys.argv[1]); import fastinit.kernels._bits as b; "
        "print(b.__file__.startswith(sys.argv[1]))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path)], capture_output=True, text=True,
        check=True, cwd=tmp_path,
    )  # fmt: skip
    assert result.stdout.strip() == "True"


def test_lazy_attributes():
    assert "normal" in dir(fastinit)
    with pytest.raises(AttributeError, match="no attribute"):
        fastinit.not_a_function  # noqa: B018


def test_cli_bench_runs():
    out = subprocess.run(
        [sys.executable, "-m", "fastinit", "bench", "--only", "init.constant", "--scale",
         "0.0001", "--repeat", "1"],
        capture_output=True, text=True, timeout=300, check=True,
    ).stdout  # fmt: skip
    assert "init.constant" in out and "fastinit" in out


def test_cli_diagnose_runs():
    out = subprocess.run(
        [sys.executable, "-m", "fastinit", "diagnose", "--activation", "tanh", "--depth", "3",
         "--width", "32", "--networks", "1", "--batch", "16"],
        capture_output=True, text=True, timeout=300, check=True,
    ).stdout  # fmt: skip
    assert "verdict" in out


def test_kernel_cache_stamp_covers_every_kernel_source(tmp_path):
    """Numba would stamp a cached kernel with its own file only; fastinit stamps every kernel
    with a digest of all kernel sources, so a change in an inlined callee's module (elementary.py
    for the streams) recompiles the callers too."""
    import shutil

    from fastinit.kernels import _jit, streams

    kernels_dir = pathlib.Path(_jit.__file__).parent
    for path in kernels_dir.glob("*.py"):
        shutil.copy(path, tmp_path / path.name)
    before = _jit._sources_digest(tmp_path)
    assert before == _jit._sources_digest(kernels_dir)
    with open(tmp_path / "elementary.py", "a") as f:
        f.write("# changed\n")
    assert _jit._sources_digest(tmp_path) != before
    if not _jit.CACHE:
        pytest.skip("FASTINIT_CACHE=0: no cache to stamp")
    locator = streams.fill_normal._cache._impl.locator
    assert isinstance(locator, _jit._KernelLocator)
    assert locator.get_source_stamp() == before
