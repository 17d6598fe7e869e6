"""A real install: where the kernel cache goes, and that uninstalling leaves nothing behind.

A wheel is built from a copy of this checkout's package sources (building in the checkout itself
would leave a ``build/`` folder there, whose stale files later builds would pick up) and installed
into a new virtual environment; its dependencies come from the package index or pip's cache, so
this takes a minute or two (marked install; deselect with -m 'not install').
Every command runs from a neutral folder, never from the repository root, whose ``fastinit/``
would shadow the installed package.
"""

import os
import pathlib
import shutil
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.install

_CALL = (
    "import fastinit, fastinit.config as c; fastinit.normal(3, seed=0); "
    "print(c.CACHE_DIR); print(fastinit.__file__)"
)


def _run(args, *, cwd, env=None, check=True):
    result = subprocess.run(
        [str(a) for a in args], capture_output=True, text=True, cwd=cwd, env=env, timeout=900
    )
    if check and result.returncode != 0:
        raise AssertionError(f"{args} -> {result.returncode}\n{result.stdout}\n{result.stderr}")
    return result


def _sources(target):
    """Copy what the wheel is built from (metadata, README, the two package folders)."""
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.nbi", "*.nbc")
    target.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, target / name)
    for name in ("fastinit", "kernels"):
        shutil.copytree(ROOT / name, target / name, ignore=ignore)
    return target


def _files(folder):
    """Relative paths of the files under ``folder``, without Python's bytecode caches."""
    return {
        str(p.relative_to(folder))
        for p in folder.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"
    }


def test_wheel_install_caches_kernels_per_user_and_uninstalls_cleanly(tmp_path):
    neutral = tmp_path / "work"
    neutral.mkdir()
    wheels = tmp_path / "wheels"
    source = _sources(tmp_path / "source")
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", wheels, source],
         cwd=neutral)  # fmt: skip
    (wheel,) = wheels.glob("fastinit-*.whl")
    venv = tmp_path / "venv"
    _run([sys.executable, "-m", "venv", venv], cwd=neutral)
    python = venv / "bin" / "python"
    if not python.exists():  # Windows layout
        python = venv / "Scripts" / "python.exe"
    pip = [python, "-m", "pip", "install", "-q"]
    _run([*pip, wheel], cwd=neutral)

    unset = {"NUMBA_CACHE_DIR", "PYTHONPATH", "FASTINIT_CACHE", "VIRTUAL_ENV"}
    env = {k: v for k, v in os.environ.items() if k not in unset}
    home, xdg = tmp_path / "home", tmp_path / "xdg"
    env.update(HOME=str(home), XDG_CACHE_HOME=str(xdg))
    site = pathlib.Path(
        _run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
             cwd=neutral, env=env).stdout.strip()
    )  # fmt: skip
    package = site / "fastinit"
    installed = _files(package)
    assert "kernels/_jit.py" in installed and not (site / "kernels").exists()

    cache_dir, module = _run([python, "-c", _CALL], cwd=neutral, env=env).stdout.split()
    assert module.startswith(str(package))
    # the kernels are cached in the per-user folder, nothing is written into the package
    assert cache_dir.startswith(str(xdg / "fastinit"))
    assert list(pathlib.Path(cache_dir).glob("*.nbi")), "no kernel was cached"
    assert not list(venv.rglob("*.nbi")) and not list(venv.rglob("*.nbc"))
    assert _files(package) == installed

    _run([python, "-m", "pip", "uninstall", "-y", "-q", "fastinit"], cwd=neutral, env=env)
    assert not package.exists(), "the uninstall left files in site-packages/fastinit"
    gone = _run([python, "-c", "import fastinit"], cwd=neutral, env=env, check=False)
    assert gone.returncode != 0 and "No module named 'fastinit'" in gone.stderr

    # reinstall, use it, then switch the same environment to an editable install
    _run([*pip, "--no-deps", wheel], cwd=neutral, env=env)
    _run([python, "-c", _CALL], cwd=neutral, env=env)
    _run([*pip, "--no-deps", "-e", ROOT], cwd=neutral, env=env)
    cache_dir, module = _run([python, "-c", _CALL], cwd=neutral, env=env).stdout.split()
    assert module == str(ROOT / "fastinit" / "__init__.py")
    assert cache_dir.startswith(str(xdg / "fastinit"))
    assert not list(ROOT.glob("kernels/__pycache__/*.nbi"))
