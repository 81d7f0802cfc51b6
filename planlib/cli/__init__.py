"""The ``planlib`` command: a thin layer over the package's functions.

One module per subcommand in this folder; each has ``add_parser(subparsers)``
that registers its arguments and sets ``func``, a function of the parsed
arguments returning the exit code. Anything a subcommand computes is a
planlib function a notebook can call too.

Exit codes: 0 success (warnings allowed), 2 bad input (the problems are
printed as a table), 1 anything else, reported in one line without traceback
(``PLANLIB_DEBUG=1`` shows it). A database password never appears in what
is printed (:func:`planlib.problems.mask_text`).
"""
from __future__ import annotations

import argparse
import importlib
import os
import sys

from planlib import __version__
from planlib.problems import InputError, format_problems, mask_problems, mask_text

# Subcommand modules, in the order --help lists them. A module that is not
# there yet (an engine still being built) is skipped.
SUBCOMMANDS = ["validate", "make_factory", "convert", "forecast", "mrp", "schedule", "bench_schedule", "run",
               "reschedule"]


def build_parser() -> argparse.ArgumentParser:
    """The ``planlib`` argument parser with every subcommand of :data:`SUBCOMMANDS` that exists."""
    parser = argparse.ArgumentParser(
        prog="planlib",
        description="Planning workbench: validate data, forecast, MRP, scheduling and weekly runs.",
    )
    parser.add_argument("--version", action="version", version=f"planlib {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in SUBCOMMANDS:
        try:
            module = importlib.import_module(f"planlib.cli.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"planlib.cli.{name}":
                continue
            raise
        module.add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the ``planlib`` command with ``argv`` (default: the process's arguments).

    Returns
    -------
    int
        The exit code: 0 success, 2 bad input (the problems printed as a table on stderr),
        1 any other error (one line, no traceback unless ``PLANLIB_DEBUG`` is set), 130 interrupted.
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 0
    source = getattr(args, "source", None)
    try:
        return int(args.func(args) or 0)
    except InputError as exc:
        print(f"planlib {args.command}: {mask_text(exc, source)}", file=sys.stderr)
        if not exc.problems.empty:
            print(format_problems(mask_problems(exc.problems, source)), file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"planlib {args.command}: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:
        if os.environ.get("PLANLIB_DEBUG"):
            raise
        print(f"planlib {args.command}: error: {type(exc).__name__}: {mask_text(exc, source)}\n"
              f"(set PLANLIB_DEBUG=1 to see the traceback)", file=sys.stderr)
        return 1


def entry() -> None:
    """The console script ``planlib``: :func:`main`, its result as the exit status."""
    sys.exit(main())
