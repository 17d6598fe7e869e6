"""The ``fastinit`` command line: ``fastinit bench`` and ``fastinit diagnose``."""

import argparse
import sys


def _bench(args):
    import numba

    from .comparisons.runner import run

    print(f"fastinit bench: {numba.get_num_threads()} threads; ratios are peer time / fastinit")
    run(args.only or ("*",), scale=args.scale, repeat=args.repeat)
    return 0


def build_parser():
    """The argparse parser of the ``fastinit`` command (subcommands ``bench``, ``diagnose``).

    Examples
    --------
    >>> from fastinit.cli import build_parser
    >>> build_parser().parse_args(["bench", "--scale", "0.5"]).scale
    0.5
    """
    parser = argparse.ArgumentParser(prog="fastinit", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    bench = commands.add_parser(
        "bench", help="time every operation against the installed peers (synthetic data)"
    )
    bench.add_argument(
        "--only", nargs="*", metavar="PATTERN", help="operation names or globs, e.g. 'init.*'"
    )
    bench.add_argument(
        "--scale", type=float, default=1.0, help="multiply every problem size (default 1)"
    )
    bench.add_argument("--repeat", type=int, default=5, help="timed calls per peer (median)")
    bench.set_defaults(handler=_bench)
    from .propagation import add_diagnose_command  # imports NumPy/SciPy only, no kernels

    add_diagnose_command(commands)
    return parser


def main(argv=None):
    """Run the ``fastinit`` command line with ``argv`` (default: ``sys.argv[1:]``).

    Examples
    --------
    >>> from fastinit.cli import main
    >>> main(["bench", "--only", "init.constant", "--scale", "0.0001", "--repeat", "1"])
    ... # doctest: +ELLIPSIS
    fastinit bench: ... threads; ratios are peer time / fastinit
    ...
    0
    """
    args = build_parser().parse_args(argv)
    return args.handler(args)


if __name__ == "__main__":
    sys.exit(main())
