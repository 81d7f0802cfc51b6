"""``planlib make-factory``: write a generated factory (the sample, or a large one)."""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from planlib.buckets import iso_week
from planlib.cli.common import positive_int
from planlib.data import write_dataset
from planlib.factory import make_factory, make_sample_factory


def add_parser(sub) -> None:
    """Register ``planlib make-factory`` and its arguments on the ``planlib`` subparsers ``sub``."""
    p = sub.add_parser("make-factory", help="generate a factory dataset from a seed",
                       description="Generate a factory with every table of the data contract. The same "
                                   "arguments give the same files. --sample writes the sample factory.")
    p.add_argument("--out", required=True, metavar="DEST", help="folder, .xlsx workbook or database URL")
    p.add_argument("--sample", action="store_true", help="the sample factory of data/sample")
    p.add_argument("--items", type=positive_int, default=60, help="number of items (default 60)")
    p.add_argument("--levels", type=positive_int, default=4, help="BOM levels (default 4)")
    p.add_argument("--work-centers", type=positive_int, default=8, help="work centers (default 8)")
    p.add_argument("--history-weeks", type=positive_int, default=104, help="weeks of demand history")
    p.add_argument("--seed", type=int, default=42, help="random seed (default 42)")
    p.add_argument("--stressed", action="store_true",
                   help="a plant in crisis for tests (stock and capacity not calibrated to the plan)")
    p.add_argument("--weeks", type=positive_int, metavar="N",
                   help="also simulate the N weeks after it (planlib.simulate): DEST is a folder holding one "
                        "dataset folder per ISO week, the factory itself first (DEST/2026-W48 for the sample)")
    p.add_argument("--time-limit", type=float, default=10.0, metavar="SECONDS",
                   help="with --weeks: the schedule's solver budget per week (default 10)")
    p.set_defaults(func=run)


def run(args) -> int:
    """Run ``planlib make-factory`` with the parsed arguments ``args``.

    Returns
    -------
    int
        The exit code (0 success; bad input raises :class:`~planlib.problems.InputError`,
        which :func:`planlib.cli.main` turns into exit code 2).
    """
    if args.sample:
        ds = make_factory(stressed=True) if args.stressed else make_sample_factory()
    else:
        ds = make_factory(args.items, args.levels, args.work_centers, args.history_weeks, args.seed,
                          stressed=args.stressed)
    if getattr(args, "weeks", None):
        return _run_weeks(ds, args)
    dest = write_dataset(ds, args.out)
    print(f"wrote {sum(len(t) for t in ds.tables.values())} rows in {len(ds.tables)} tables to {dest}")
    return 0


def _run_weeks(ds, args) -> int:
    """Write ``ds`` and the ``args.weeks`` simulated weeks after it, one folder per ISO week."""
    from planlib.params import PlanParams
    from planlib.simulate import frame_start, simulate_weeks, week_summary

    start = frame_start(ds)
    out = Path(args.out)
    write_dataset(ds, out / iso_week(start.date()))
    print(f"wrote {out / iso_week(start.date())} (the factory)")
    params = PlanParams(plan_start=start.date(), time_limit_s=args.time_limit, seed=args.seed)
    weeks = simulate_weeks(ds, args.weeks, params, seed=args.seed, progress=print)
    for k, week in enumerate(weeks, start=1):
        name = iso_week((start + pd.Timedelta(weeks=k)).date())
        write_dataset(week, out / name)
        s = week_summary(week).iloc[0]
        print(f"wrote {out / name}: {s.reports} production reports ({s.good:.0f} good, {s.scrap:.0f} scrap), "
              f"{s.receipts} receipts ({s.late_receipts} late), {s.shipments} shipments")
    return 0
