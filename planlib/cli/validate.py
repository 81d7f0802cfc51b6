"""``planlib validate SOURCE``: check a dataset, report every problem at once."""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from planlib.cli.common import add_source, date_arg
from planlib.data import check_source, write_tables
from planlib.problems import format_problems, mask_problems, mask_source
from planlib.validate import loop_problems


def add_parser(sub) -> None:
    """Register ``planlib validate SOURCE`` and its arguments on the ``planlib`` subparsers ``sub``."""
    p = sub.add_parser("validate", help="check a dataset against the data contract",
                       description="Check every table of a dataset: columns, types, dates, allowed values, "
                                   "ranges, duplicate keys, references, BOM cycles, calendars, and the "
                                   "execution records against the snapshot (docs/weekly-loop.md). All problems "
                                   "are reported at once. Exit 2 on errors, 0 when only warnings remain.")
    add_source(p)
    p.add_argument("--start", type=date_arg, metavar="DATE",
                   help="also check the execution records against a plan starting on DATE (YYYY-MM-DD or "
                        "YYYY-Www): records dated on or after it, a snapshot (inventory.as_of) after it")
    p.add_argument("--today", type=date_arg, metavar="DATE",
                   help="the day to check against: records dated after it are an error (default: the "
                        "computer's date, or the end of the snapshot's week when that is later, as for a "
                        "simulated week; planlib.validate.reference_day)")
    p.add_argument("--problems", metavar="FILE",
                   help="also write the problems to this file: CSV, or Parquet when FILE ends in .parquet")
    p.set_defaults(func=run)


def run(args) -> int:
    """Run ``planlib validate SOURCE`` with the parsed arguments ``args``.

    Returns
    -------
    int
        The exit code: 2 when the dataset has an error, else 0 (warnings allowed).
    """
    ds, frame = check_source(args.source, today=args.today)
    if args.start is not None:
        frame = pd.concat([frame, loop_problems(ds, args.start)], ignore_index=True).drop_duplicates(
            subset=["severity", "table", "row", "column", "problem"]).reset_index(drop=True)
    frame = mask_problems(frame, args.source)
    if args.problems:
        out = Path(args.problems)
        write_tables({out.stem: frame}, out.parent,
                     table_format="parquet" if out.suffix.lower() == ".parquet" else "csv")
    counts = {name: len(ds[name]) for name in sorted(ds.present)}
    print(f"{mask_source(args.source)}: " + ", ".join(f"{n} {c}" for n, c in counts.items()))
    errors = int((frame.severity == "error").sum())
    warnings = int((frame.severity == "warning").sum())
    if len(frame):
        print(format_problems(frame))
    print(f"{errors} error(s), {warnings} warning(s)" + ("" if errors else ": the dataset is valid"))
    return 2 if errors else 0
