"""Pieces the subcommands share: the source argument, plan parameters, progress."""
from __future__ import annotations

import argparse
import sys
import time

from planlib.buckets import parse_date_or_week
from planlib.params import PlanParams


def add_source(parser: argparse.ArgumentParser) -> None:
    """Add the positional ``SOURCE`` argument (a CSV folder, an ``.xlsx`` workbook or a database URL)."""
    parser.add_argument("source", metavar="SOURCE",
                        help="folder of CSV files, .xlsx workbook, or database URL (sqlite:///plant.db)")


def add_out(parser: argparse.ArgumentParser, required: bool = True) -> None:
    """Add ``--out DIR``, the folder the output tables are written to."""
    parser.add_argument("--out", metavar="DIR", required=required,
                        help="folder for the output tables (written all at once at the end)")


def add_format(parser: argparse.ArgumentParser) -> None:
    """Add ``--format {csv,parquet}``, the file format of the output tables (``args.table_format``)."""
    parser.add_argument("--format", dest="table_format", choices=("csv", "parquet"), default="csv",
                        help="file format of the output tables: csv (default) or parquet (faster for large "
                             "plants, keeps the types); planlib reads either back")


def date_arg(text: str):
    """An argument type: a date from ``YYYY-MM-DD`` or an ISO week ``YYYY-Www`` (its Monday)."""
    try:
        return parse_date_or_week(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _whole_number(text: str, minimum: int) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < minimum:
        raise argparse.ArgumentTypeError(f"must be at least {minimum}, not {value}")
    return value


def positive_int(text: str) -> int:
    """An argument type: a whole number of at least 1."""
    return _whole_number(text, 1)


def non_negative_int(text: str) -> int:
    """An argument type: a whole number of at least 0."""
    return _whole_number(text, 0)


def positive_float(text: str) -> float:
    """An argument type: a number greater than 0."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be positive, not {value}")
    return value


def params_from(args: argparse.Namespace, **overrides) -> PlanParams:
    """PlanParams from the arguments a subcommand defines (``--start``, ``--seed`` ...)."""
    values = {}
    for arg, field in (("start", "plan_start"), ("as_of", "plan_start"), ("seed", "seed"),
                       ("workers", "workers"), ("time_limit", "time_limit_s"),
                       ("horizon_weeks", "horizon_weeks"), ("horizon_days", "schedule_horizon_days"),
                       ("bucket", "bucket"), ("respect_staffing", "respect_staffing")):
        value = getattr(args, arg, None)
        if value is not None:
            values[field] = value
    values.update(overrides)
    return PlanParams(**values)


class Progress:
    """Progress lines on stderr: ``[  1.2s] step ...``."""

    def __init__(self, quiet: bool = False) -> None:
        self.t0 = time.perf_counter()
        self.quiet = quiet

    def __call__(self, message: str) -> None:
        if not self.quiet:
            print(f"[{time.perf_counter() - self.t0:6.1f}s] {message}", file=sys.stderr, flush=True)


def add_dask(parser: argparse.ArgumentParser) -> None:
    """Add ``--dask ADDRESS|local:N``: run the forecast (and scenario batches) on a Dask cluster."""
    parser.add_argument("--dask", metavar="ADDRESS|local:N", default=None,
                        help="fit the forecast models on a Dask cluster: a scheduler address (tcp://host:8786) "
                             "or local:N (N worker processes on this machine, started for the run); the "
                             "numbers are the same as without it (docs/dask.md)")
