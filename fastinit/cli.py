"""The ``fastinit`` command line (also ``python -m fastinit``).

``fastinit bench``     time every operation against the peers that are installed
``fastinit diagnose``  simulate a network and say whether its signals vanish or explode
``fastinit compile``   compile every kernel into the on-disk cache (container images, CI)
``fastinit cache``     show where the kernel cache lives and how big it is; ``--clear`` empties it
"""

import argparse
import math
import os
import shutil
import sys

# ``fastinit bench --quick``: one or two operations per area at a fifth of the sizes, fewer
# calls. With a warm kernel cache it finishes in well under a minute on two cores.
QUICK_OPERATIONS = (
    "init.normal", "init.trunc_normal", "init.orthogonal_float32", "clip.clip_grad_norm",
    "metrics.confusion_matrix", "metrics.mean_squared_error", "propagation.simulate",
)  # fmt: skip
QUICK_SCALE = 0.2
QUICK_REPEAT = 3
QUICK_BUDGET_S = 0.25


def bench_settings(args):
    """(patterns, scale, repeat, budget) of a parsed ``fastinit bench`` command line.

    ``--quick`` picks :data:`QUICK_OPERATIONS` at :data:`QUICK_SCALE`; explicit patterns,
    ``--scale`` and ``--repeat`` override it.

    Examples
    --------
    >>> from fastinit.cli import bench_settings, build_parser
    >>> bench_settings(build_parser().parse_args(["bench", "--quick", "--only", "init.*"]))
    (['init.*'], 0.2, 3, 0.25)
    """
    from .comparisons.runner import BUDGET_S

    patterns = list(args.patterns or []) + list(args.only or [])
    if args.quick:
        scale = QUICK_SCALE if args.scale is None else args.scale
        repeat = QUICK_REPEAT if args.repeat is None else args.repeat
        return patterns or list(QUICK_OPERATIONS), scale, repeat, QUICK_BUDGET_S
    scale = 1.0 if args.scale is None else args.scale
    return patterns or ["*"], scale, 5 if args.repeat is None else args.repeat, BUDGET_S


def _bench(args):
    # Idle OpenMP threads (torch's, and BLAS's when built with OpenMP) spin by default; on a
    # small machine they take the cores that the next call's threads, or another library's,
    # need: torch's orthogonal_ on twenty 64 x 64 matrices took 1.5-2.5 s instead of 0.02 s
    # on a busy 2-core VM. Read by each OpenMP runtime when it loads, so set before any does.
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    from .comparisons import load, runner

    comparisons = load()
    if args.list:
        width = max(len(name) for name in comparisons)
        for name in sorted(comparisons):
            c = comparisons[name]
            quick = " [quick]" if name in QUICK_OPERATIONS else ""
            print(f"{name:<{width}}  {c.description}{quick}")
            print(f"{'':<{width}}  peers: {', '.join(c.peers)}; bench size "
                  f"{runner.size_text(c.bench_size, c.unit)}")  # fmt: skip
        return 0
    patterns, scale, repeat, budget = bench_settings(args)
    try:
        runner.select(patterns, comparisons)
    except ValueError as error:
        args.subparser.error(str(error))  # exits with status 2
    if not 0 < scale < math.inf:  # NaN fails both comparisons
        args.subparser.error(f"--scale must be a finite number > 0, got {scale}")
    _positive_int_option(args, "--repeat", repeat)
    # with --markdown the table is the output: progress and rows go to stderr
    write, status = _stream_writer(sys.stderr if args.markdown else sys.stdout)
    result = runner.run(patterns, scale=scale, repeat=repeat, budget=budget, write=write,
                        status=status, comparisons=comparisons)  # fmt: skip
    if args.json:
        runner.write_json(result, args.json)
        write(f"Wrote {len(result.rows)} rows and the machine description to {args.json}")
    if args.markdown:
        print(runner.to_markdown(result), flush=True)
    return 0


def _diagnose(args):
    from .propagation import diagnose

    widths = [args.width] * (args.depth + 1)
    kwargs = {}
    if args.nonlinearity:
        kwargs["nonlinearity"] = args.nonlinearity
    init = args.init
    try:
        init = float(init)  # a gain
    except ValueError:
        pass  # an initializer name
    try:
        result = diagnose(
            widths, args.activation, init=init, init_kwargs=kwargs or None,
            n_networks=args.networks, batch=args.batch, seed=args.seed,
        )  # fmt: skip
    except (TypeError, ValueError) as error:  # a refused option: the usage error, status 2
        args.subparser.error(str(error))
    print(result.table())
    if args.plot:
        result.plot(args.plot)
        print(f"plot written to {args.plot}")
    return 0


def _positive_int_option(args, option, value):
    """Exit with the usage error (status 2) of the command when ``option``'s int is below 1."""
    from ._checks import positive_int

    try:
        positive_int(value, option)
    except ValueError as error:
        args.subparser.error(str(error))


def _stream_writer(stream=None):
    """(write, status) callables for a text stream (default: standard output).

    On a terminal, a status shows on one line that the next status or write replaces; elsewhere
    statuses are not shown (the title lines and rows already say what runs). Output is flushed.

    Examples
    --------
    >>> import io
    >>> from fastinit.cli import _stream_writer
    >>> stream = io.StringIO()
    >>> write, status = _stream_writer(stream)
    >>> status("timing...")
    >>> write("a row")
    >>> stream.getvalue()
    'a row\\n'
    """
    stream = stream or sys.stdout
    live = getattr(stream, "isatty", lambda: False)()
    shown = [False]

    def write(line):
        if shown[0]:
            stream.write("\r\033[K")
            shown[0] = False
        stream.write(line + "\n")
        stream.flush()

    def status(text):
        if live:
            stream.write("\r\033[K" + text[: _columns() - 1])
            stream.flush()
            shown[0] = True

    return write, status


def _columns():
    return shutil.get_terminal_size((100, 24)).columns


def _size_of(folder):
    """(files, bytes) under ``folder`` (zeros when it does not exist)."""
    files = size = 0
    for root, _, names in os.walk(folder):
        for name in names:
            try:
                size += os.lstat(os.path.join(root, name)).st_size
            except OSError:
                continue
            files += 1
    return files, size


def _amount(size):
    """Bytes in B, kB or MB."""
    if size < 1000:
        return f"{size} B"
    return f"{size / 1e3:.1f} kB" if size < 1e6 else f"{size / 1e6:.1f} MB"


def _count(n, noun):
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _cache(args):
    from . import config

    root = config.cache_root()
    here = config.CACHE_DIR
    if args.clear:
        return _clear(root)
    if config.CACHE:
        writable = os.path.isdir(here) and os.access(here, os.W_OK)
        state = "on" if writable else "on, but not writable: kernels compile on each first use"
        print(f"kernel cache: {state} (FASTINIT_CACHE=0 turns it off)")
    else:
        print("kernel cache: off (FASTINIT_CACHE=0): kernels compile on each first use")
    origin = "NUMBA_CACHE_DIR/fastinit" if os.environ.get("NUMBA_CACHE_DIR") else "per-user cache"
    print(f"cache root:   {root} ({origin})")
    files, size = _size_of(here)
    print(f"this build:   {here} ({_count(files, 'file')}, {_amount(size)})")
    builds = [e for e in os.scandir(root) if e.is_dir()] if os.path.isdir(root) else []
    files, size = _size_of(root)
    print(f"all builds:   {_count(len(builds), 'folder')}, {_count(files, 'file')}, "
          f"{_amount(size)} (fastinit cache --clear empties {root})")  # fmt: skip
    return 0


def _clear(root):
    # the root is NUMBA_CACHE_DIR/fastinit or the per-user folder named fastinit: never more
    if os.path.basename(os.path.normpath(root)) != "fastinit" or os.path.islink(root):
        print(f"refusing to clear {root}: not a folder named 'fastinit'", file=sys.stderr)
        return 1
    if not os.path.isdir(root):
        print(f"nothing to remove: {root} does not exist")
        return 0
    files, size = _size_of(root)
    entries = list(os.scandir(root))
    for entry in entries:
        try:
            if entry.is_dir(follow_symlinks=False):
                shutil.rmtree(entry.path)
            else:
                os.unlink(entry.path)
        except FileNotFoundError:  # removed meanwhile (another fastinit cache --clear)
            pass
    what = "entry" if len(entries) == 1 else "entries"
    print(f"removed {_count(files, 'file')} ({_amount(size)}) in {len(entries)} {what} from {root}")
    return 0


def _compile(args):
    from . import _precompile

    if args.list:
        for task in _precompile.TASKS:
            per = " (once per --dtype)" if task.per_dtype else ""
            print(f"{task.name:<26} {task.description}{per}")
        return 0
    try:
        work = _precompile.plan(args.dtype, args.only or ["*"])
    except ValueError as error:
        args.subparser.error(str(error))
    if args.jobs is not None:
        _positive_int_option(args, "--jobs", args.jobs)
    failures = _precompile.precompile(work, jobs=args.jobs)
    return 1 if failures else 0


def build_parser():
    """The argparse parser of the ``fastinit`` command (bench, diagnose, compile, cache).

    Examples
    --------
    >>> from fastinit.cli import build_parser
    >>> build_parser().parse_args(["bench", "--scale", "0.5"]).scale
    0.5
    """
    parser = argparse.ArgumentParser(
        prog="fastinit", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    commands = parser.add_subparsers(dest="command", required=True)

    bench = commands.add_parser(
        "bench",
        help="time every operation against the installed peers (synthetic data)",
        description="Time every operation of fastinit's comparison table against the peers "
        "that are installed (NumPy, SciPy, PyTorch, scikit-learn, plain loops), on synthetic "
        "data, and print min / median / max per peer and the ratio to fastinit at the same "
        "size. The first run compiles fastinit's kernels (about a minute; they are cached).",
    )
    bench.add_argument("patterns", nargs="*", metavar="PATTERN",
                       help="operation names or globs, as with --only")  # fmt: skip
    bench.add_argument(
        "--only", nargs="+", metavar="PATTERN",
        help="operation names or globs, e.g. 'init.*' (see --list); a pattern that matches "
        "nothing is an error",
    )  # fmt: skip
    bench.add_argument("--list", action="store_true", help="list the operations and exit")
    bench.add_argument(
        "--quick", action="store_true",
        help=f"a short run: {len(QUICK_OPERATIONS)} representative operations (marked "
        f"[quick] by --list) at {QUICK_SCALE:g} x the sizes, up to {QUICK_REPEAT} timed calls; "
        "under a minute on two cores once the kernels are cached",
    )  # fmt: skip
    bench.add_argument("--scale", type=float, default=None,
                       help="multiply every problem size (default 1)")  # fmt: skip
    bench.add_argument(
        "--repeat", type=int, default=None,
        help="most timed calls per peer (default 5; fewer for slow calls)",
    )  # fmt: skip
    bench.add_argument("--json", metavar="FILE",
                       help="also write every row and the machine description as JSON")  # fmt: skip
    bench.add_argument(
        "--markdown", action="store_true",
        help="print the results as a Markdown table (machine described above it) on stdout; "
        "progress goes to stderr",
    )  # fmt: skip
    bench.set_defaults(handler=_bench, subparser=bench)

    from .propagation._activations import ACTIVATIONS  # imports NumPy/SciPy only, no kernels

    diag = commands.add_parser(
        "diagnose",
        help="vanishing/exploding signals: theory beside simulation for a deep MLP",
        description="Simulate random fully connected networks, compare with mean-field theory "
        "and say whether the signal vanishes or explodes, where, and which gain fixes it.",
    )
    diag.add_argument("--activation", required=True, choices=list(ACTIVATIONS))
    diag.add_argument("--init", default="kaiming_normal",
                      help="initializer name or a gain (N(0, gain^2 / fan_in))")  # fmt: skip
    diag.add_argument("--nonlinearity", default=None,
                      help="nonlinearity argument of kaiming_* (e.g. relu, tanh)")  # fmt: skip
    diag.add_argument("--depth", type=int, default=50, help="number of layers (default 50)")
    diag.add_argument("--width", type=int, default=512, help="units per layer (default 512)")
    diag.add_argument("--networks", type=int, default=4, help="networks simulated (default 4)")
    diag.add_argument("--batch", type=int, default=256, help="inputs per network (default 256)")
    diag.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    diag.add_argument("--plot", metavar="PATH", default=None,
                      help="write the per-layer plot there (needs matplotlib)")  # fmt: skip
    diag.set_defaults(handler=_diagnose, subparser=diag)

    comp = commands.add_parser(
        "compile",
        help="compile every kernel into the on-disk cache",
        description="Compile every kernel fastinit may run into the on-disk cache, for "
        "container images and CI: later processes load them instead of compiling. Tasks run "
        "in parallel processes. The cache is specific to this CPU model (set NUMBA_CPU_NAME "
        "before compiling for a portable cache) and to these fastinit/Numba versions.",
    )
    comp.add_argument("--dtype", nargs="+", default=["float32", "float64"],
                      choices=["float32", "float64"],
                      help="float dtypes to compile for (default: both)")  # fmt: skip
    comp.add_argument("--jobs", type=int, default=None,
                      help="parallel processes (default: the number of CPUs)")  # fmt: skip
    comp.add_argument("--only", nargs="+", metavar="PATTERN",
                      help="task names or globs (see --list), e.g. 'random:*'")  # fmt: skip
    comp.add_argument("--list", action="store_true", help="list the tasks and exit")
    comp.set_defaults(handler=_compile, subparser=comp)

    cache = commands.add_parser(
        "cache",
        help="show the kernel cache (location, files, size); --clear empties it",
        description="Show where fastinit caches compiled kernels, how many files it holds and "
        "whether caching is on. The location is NUMBA_CACHE_DIR/fastinit when NUMBA_CACHE_DIR "
        "is set, else the per-user cache folder (never inside the installed package).",
    )
    cache.add_argument("--clear", action="store_true",
                       help="delete everything inside the cache root folder")  # fmt: skip
    cache.set_defaults(handler=_cache, subparser=cache)
    return parser


def main(argv=None):
    """Run the ``fastinit`` command line with ``argv`` (default: ``sys.argv[1:]``).

    Examples
    --------
    >>> from fastinit.cli import main
    >>> main(["bench", "--only", "init.constant", "--scale", "0.0001", "--repeat", "1"])
    ... # doctest: +ELLIPSIS
    fastinit bench: ...
    machine: ...
    [1/1] init.constant: ...
      fastinit ...
    ...
    0
    """
    args = build_parser().parse_args(argv)
    return args.handler(args)


if __name__ == "__main__":
    sys.exit(main())
