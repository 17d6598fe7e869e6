"""Compile policy (kernels/_jit.py): the vector width on AVX-512 hosts, the cache location."""

import os
import subprocess
import sys

import numba
import pytest
from fastinit.kernels import _jit

_ORIGINAL_FEATURES = os.environ.get("NUMBA_CPU_FEATURES", "")


def _forget_target(monkeypatch):
    # setenv first, so that monkeypatch restores the variable's absence after the test even
    # when the code under test sets it
    for name in ("NUMBA_CPU_NAME", "NUMBA_CPU_FEATURES"):
        monkeypatch.setenv(name, "")
        monkeypatch.delenv(name)
    # the fake features must never reach this process's Numba configuration (code compiled
    # later for a CPU that lacks them would die with SIGILL)
    monkeypatch.setattr(_jit.numba.core.config, "reload_config", lambda: None)


class _Features(dict):
    def flatten(self):
        return ",".join(("+" if on else "-") + name for name, on in sorted(self.items()))


@pytest.mark.parametrize("avx512", [True, False])
def test_full_width_vectors_on_avx512_hosts(monkeypatch, avx512):
    _forget_target(monkeypatch)
    features = _Features(avx2=True, avx512f=avx512)
    monkeypatch.setattr(_jit.llvm_binding, "get_host_cpu_features", lambda: features)
    _jit._full_width_avx512()
    if avx512:
        assert os.environ["NUMBA_CPU_FEATURES"] == "+avx2,+avx512f,-prefer-256-bit"
    else:
        assert "NUMBA_CPU_FEATURES" not in os.environ


def test_the_environment_is_restored_after_those_tests():
    # the tests above must not leave AVX-512 features for later subprocesses (they would die
    # with SIGILL on a host without AVX-512)
    assert os.environ.get("NUMBA_CPU_FEATURES", "") in ("", _ORIGINAL_FEATURES)


@pytest.mark.parametrize("variable", ["NUMBA_CPU_NAME", "NUMBA_CPU_FEATURES"])
def test_a_target_chosen_by_the_user_is_kept(monkeypatch, variable):
    _forget_target(monkeypatch)
    monkeypatch.setenv(variable, "+avx2" if variable.endswith("FEATURES") else "haswell")
    monkeypatch.setattr(_jit.llvm_binding, "get_host_cpu_features", lambda: _Features(avx512f=True))
    _jit._full_width_avx512()
    assert os.environ.get("NUMBA_CPU_FEATURES") in (None, "+avx2")


def test_numba_compiles_with_the_chosen_features():
    # Numba reads its configuration at set points and may build its code generator before the
    # next one: the features must be in its configuration as soon as the kernels are imported
    # (without that, an AVX-512 host got the slow mixed-width code; on other hosts nothing is set)
    check = (
        "import os, numba; import fastinit.kernels._jit; "
        "wanted = os.environ.get('NUMBA_CPU_FEATURES'); "
        "assert wanted is None or numba.config.CPU_FEATURES == wanted, "
        "(wanted, numba.config.CPU_FEATURES)"
    )
    env = {k: v for k, v in os.environ.items() if k not in ("NUMBA_CPU_NAME", "NUMBA_CPU_FEATURES")}
    subprocess.run([sys.executable, "-c", check], env=env, check=True)


def _doubled(x):
    for i in range(x.size):
        x[i] *= 2.0


def test_vector_bits_reach_llvm_as_the_function_attribute():
    import numba
    import numpy as np

    narrow = numba.njit(pipeline_class=_jit._compiler_preferring(256))(_doubled)
    plain = numba.njit(_doubled)
    x = np.ones(40)
    narrow(x)
    plain(x)
    assert np.all(x == 4.0)  # the same results either way
    attribute = '"prefer-vector-width"="256"'
    assert all(attribute in ir for ir in narrow.inspect_llvm().values())
    assert not any(attribute in ir for ir in plain.inspect_llvm().values())


def test_the_float32_uniform_superblock_prefers_256_bit_vectors():
    # its 32-bit integer products ran 15% faster in 256-bit vectors on an AVX-512 Xeon, where
    # the other streams run faster at full width (their superblocks keep the default)
    from fastinit.kernels import streams

    preferring = _jit._compiler_preferring(256)
    assert streams._superblock_uniform_f32._compiler.pipeline_class is preferring
    for other in (streams._superblock_f32, streams._superblock_f64):
        assert other._compiler.pipeline_class is not preferring


def test_cache_lives_outside_the_package():
    package = os.path.dirname(os.path.dirname(os.path.abspath(_jit.__file__)))
    assert not os.path.abspath(_jit.CACHE_DIR).startswith(package + os.sep)
    assert _jit.CACHE_DIR.startswith(_jit.cache_root())


def test_build_key_changes_with_the_sources():
    assert _jit._build_key(b"a") != _jit._build_key(b"b")
    assert _jit._build_key(b"a") == _jit._build_key(b"a")


def _labs():
    import ctypes
    import ctypes.util

    labs = ctypes.CDLL(ctypes.util.find_library("c")).labs
    labs.argtypes, labs.restype = [ctypes.c_long], ctypes.c_long
    return labs


_LABS = _labs()


def _absolute(x):
    return _LABS(x)  # a global: Numba would try to pickle a closure's ctypes pointer


@pytest.mark.skipif(_jit._KERNEL_CACHE is None, reason="no kernel cache (FASTINIT_CACHE=0)")
def test_a_kernel_that_cannot_be_cached_warns_and_runs():
    """Numba refuses to cache code holding dynamic addresses (a ctypes function here; every
    kernel at ``NUMBA_OPT=0``) and says so in a warning that points at the kernel's file."""
    kernel = _jit.jit(_absolute)
    with pytest.warns(numba.NumbaWarning, match="Cannot cache") as caught:
        assert kernel(-3) == 3
    assert caught[0].filename == __file__
