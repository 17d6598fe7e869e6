"""The one place where compile options are decided.

Every kernel module builds its functions with :func:`jit` so that caching and fastmath are set
here and nowhere else. ``fastinit.config`` re-exports these values for users.

Environment variables (read once, when the first kernel module is imported):

``FASTINIT_CACHE``
    ``1`` (default) caches compiled kernels on disk, ``0`` turns the cache off.
``NUMBA_CACHE_DIR``
    When set, the cache lives in its ``fastinit`` subfolder; otherwise in the per-user cache
    directory (``~/.cache/fastinit`` on Linux, as ``platformdirs`` decides elsewhere).

The cache never lives inside the installed package: pip neither tracks nor removes files there,
and a leftover ``kernels/__pycache__`` folder would survive an uninstall and shadow a later
editable install. Inside :func:`cache_root`, each build has its own folder named by one digest
of every kernel source file and of the Python, Numba and llvmlite versions, so two versions of
fastinit (or of Numba) never load each other's files. The same digest stamps every cached kernel:
Numba alone stamps a kernel with its own file only, and would reload stale code after a change
in a module it inlines (``streams.py`` inlines ``elementary.py``).
"""

import functools
import hashlib
import os
import pathlib
import sys

import llvmlite
import llvmlite.binding as llvm_binding
import numba
import platformdirs
from numba.core import caching, compiler, compiler_machinery, lowering, typed_passes


def _full_width_avx512():
    """On an AVX-512 host, let LLVM use 512-bit vectors (unless the user chose the target).

    LLVM's tuning for AVX-512 CPUs prefers 256-bit vectors; for the stream kernels it then mixes
    256- and 512-bit code (in the superblock loop of a float32 normal: 241 zmm and 363 ymm
    operands, against 868 zmm with ``-prefer-256-bit``; checked by compiling for skylake-avx512).
    On an Intel Xeon that mixed code ran 2.2x slower than full-width code (4.18 against 1.93 ns
    per truncated normal on one thread). Numba reads the feature string once, when its code
    generator starts, so this must run before the first compilation of the process; it is set
    in the environment because Numba rereads its configuration from there before compiling.
    """
    if os.environ.get("NUMBA_CPU_NAME") or os.environ.get("NUMBA_CPU_FEATURES"):
        return
    try:
        host = llvm_binding.get_host_cpu_features()
    except RuntimeError:  # pragma: no cover - LLVM cannot read this CPU's features
        return
    if host.get("avx512f", False) and numba.config.ENABLE_AVX:
        os.environ["NUMBA_CPU_FEATURES"] = host.flatten() + ",-prefer-256-bit"
        # Numba rereads its environment only at certain points, and may build its code generator
        # (which reads CPU_FEATURES once) before the next of them: reread it now.
        numba.core.config.reload_config()


_full_width_avx512()

CACHE = os.environ.get("FASTINIT_CACHE", "1").strip().lower() not in {"0", "false", "no", "off"}

# A curated fastmath set: it lets LLVM contract a*b+c into FMAs and reassociate reductions, but
# never assumes that NaN or inf are absent (no nnan / ninf), so non-finite data stays detectable.
FASTMATH = frozenset({"contract", "reassoc", "nsz", "arcp"})


def _sources_digest(directory):
    """One digest of the names and contents of every ``*.py`` file in ``directory``."""
    digest = hashlib.sha256()
    for path in sorted(pathlib.Path(directory).glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.digest()


def _build_key(sources_digest):
    """Name of this build's cache folder: the kernel sources and the compiler's versions."""
    versions = f"{sys.version_info[:3]}|{numba.__version__}|{llvmlite.__version__}"
    digest = hashlib.sha256(sources_digest + versions.encode()).hexdigest()[:16]
    return f"numba-{numba.__version__}-py{sys.version_info[0]}{sys.version_info[1]}-{digest}"


def cache_root():
    """The folder that holds every fastinit build's kernel cache (``fastinit cache --clear``
    empties it); it depends on ``NUMBA_CACHE_DIR`` as read when this module was imported."""
    base = numba.config.CACHE_DIR
    if base:
        return os.path.join(os.path.abspath(base), "fastinit")
    return platformdirs.user_cache_dir("fastinit", appauthor=False)


_SOURCES_DIGEST = _sources_digest(pathlib.Path(__file__).parent)
CACHE_DIR = os.path.join(cache_root(), _build_key(_SOURCES_DIGEST))


class _KernelLocator(caching._CacheLocator):
    """Numba cache locator of every fastinit kernel: one folder per build (see the module notes),
    stamped with the digest of all kernel sources rather than the kernel's own file."""

    def __init__(self, py_func, py_file):
        self._lineno = py_func.__code__.co_firstlineno
        self._py_file = py_file  # where Numba's "cannot cache" warning points

    def get_cache_path(self):
        return CACHE_DIR

    def get_source_stamp(self):
        return _SOURCES_DIGEST

    def get_disambiguator(self):
        return str(self._lineno)

    @classmethod
    def from_function(cls, py_func, py_file):
        # the folder was created and found writable once, at import (_cache_writable): Numba's
        # own check here (a mkdir and a temporary file per kernel) would repeat it for each of
        # the ~200 kernels, a millisecond or more each on the first call of a process
        return cls(py_func, py_file)


def _cache_writable():
    try:
        os.makedirs(CACHE_DIR, exist_ok=True)
    except OSError:
        return False
    return os.access(CACHE_DIR, os.W_OK)


def _kernel_cache_class():
    """Numba's FunctionCache with :class:`_KernelLocator` as its only locator."""
    impl = type(
        "_KernelCacheImpl",
        (caching.CompileResultCacheImpl,),
        {"_locator_classes": [_KernelLocator]},
    )
    return type("_KernelCache", (caching.FunctionCache,), {"_impl_class": impl})


_KERNEL_CACHE = _kernel_cache_class() if CACHE and _cache_writable() else None


def _cached(dispatcher):
    # what ``cache=True`` does (Dispatcher.enable_caching), with fastinit's locator
    dispatcher._cache = _KERNEL_CACHE(dispatcher.py_func)
    return dispatcher


@functools.cache
def _compiler_preferring(bits):
    """A Numba compiler whose functions ask LLVM for vectors of at most ``bits`` bits.

    The vector width is otherwise one choice for the whole process (see
    :func:`_full_width_avx512`), but the best width depends on the loop: the float32 uniform
    stream, all 32-bit integer products, ran 15% faster at 256 bits on an AVX-512 Xeon, where the
    normal stream ran 30% slower. LLVM reads a function's ``prefer-vector-width`` attribute before
    the process-wide setting; llvmlite's attribute set knows LLVM's enumerated attributes only, so
    this string attribute is added to it as is. Bits do not change: the same operations run in
    narrower registers.
    """

    class Lower(lowering.Lower):
        def setup_function(self, fndesc):
            super().setup_function(fndesc)
            set.add(self.function.attributes, f'"prefer-vector-width"="{bits}"')

    @compiler_machinery.register_pass(mutates_CFG=True, analysis_only=False)
    class NativeLowering(typed_passes.NativeLowering):
        _name = f"native_lowering_preferring_{bits}_bits"

        @property
        def lowering_class(self):
            return Lower

    class Compiler(compiler.CompilerBase):
        def define_pipelines(self):
            pipeline = compiler.DefaultPassBuilder.define_nopython_pipeline(self.state)
            passes = [cls for cls, _ in pipeline.passes]
            if typed_passes.NativeLowering in passes:  # (else Numba's default width: slower)
                at = passes.index(typed_passes.NativeLowering)
                pipeline.passes[at] = (NativeLowering, f"native lowering, {bits}-bit vectors")
            pipeline.finalize()
            return [pipeline]

    return Compiler


def jit(*args, fastmath=frozenset(), vector_bits=None, **kwargs):
    """``numba.njit`` with fastinit's cache, fastmath and parallelism policy.

    ``fastmath`` is a subset of the curated :data:`FASTMATH` flags (kernels pass ``FASTMATH``
    itself); ``True`` and any flag outside the set are refused, so Numba's full set (with nnan
    and ninf) can never slip in. ``vector_bits`` (256) caps the vectors LLVM prefers for this
    function (see :func:`_compiler_preferring`). Kernels are serial: parallel work is split by
    the caller (``fastinit._threads``).
    """
    flags = set(fastmath) if not isinstance(fastmath, bool) else None
    if flags is None or not flags <= FASTMATH:
        raise ValueError(f"fastmath must be a subset of {sorted(FASTMATH)}, got {fastmath!r}")
    options = {
        "fastmath": flags or False,
        "nogil": True,
        "error_model": "numpy",
    }
    if vector_bits is not None:
        options["pipeline_class"] = _compiler_preferring(vector_bits)
    options.update(kwargs)
    if _KERNEL_CACHE is None:  # no cache asked for, or none can be written
        return numba.njit(*args, **options)
    if args and callable(args[0]):
        return _cached(numba.njit(**options)(args[0]))
    return lambda fn: _cached(numba.njit(*args, **options)(fn))
