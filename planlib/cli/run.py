"""``planlib run SOURCE --week W``: the weekly plan, notebooks run with papermill, HTML reports."""
from __future__ import annotations

import datetime as dt
import sys

from planlib.buckets import iso_week, monday
from planlib.cli.common import Progress, add_dask, add_format, add_source, positive_float
from planlib.cluster import open_cluster
from planlib.pipeline import StepFailed, run_week


def coming_week(today: dt.date | None = None) -> str:
    """The ISO week a planner plans: this week on a Monday, else the week of the next Monday."""
    today = today or dt.date.today()
    return iso_week(monday(today + dt.timedelta(days=6)))  # the first Monday on or after today


def add_parser(sub) -> None:
    """Register ``planlib run SOURCE`` and its arguments on the ``planlib`` subparsers ``sub``."""
    p = sub.add_parser(
        "run", help="run the weekly plan (forecast, MRP, schedule, report) and publish HTML reports",
        description="Run the step notebooks with papermill for one ISO week and publish the run folder "
                    "OUT/<week>/<scenario>/ (tables, executed notebooks, self-contained HTML reports, "
                    "manifest.json). The week's previous run is replaced only when every step succeeded; a "
                    "failed run is kept in OUT/<week>/.failed-<scenario>/ for inspection. One run at a time "
                    "per reports folder. The scenario file's name (without .yaml) names the run folder: "
                    "lowercase letters, digits, _ and -, not 'base' (docs/weekly-run.md).")
    add_source(p)
    p.add_argument("--week", metavar="YYYY-Www", default=None,
                   help="ISO week to plan, e.g. 2026-W48 (default: the coming week)")
    p.add_argument("--scenario", metavar="FILE", action="append",
                   help="scenario YAML file applied to the data; repeat it to plan several scenarios against "
                        "the week's base plan in parallel (on the cluster with --dask) and write their comparison "
                        "into OUT/<week>/_scenarios/ (no run folders; docs/dask.md)")
    p.add_argument("--out", metavar="DIR", default="reports", help="reports folder (default reports/)")
    p.add_argument("--seed", type=int, default=0, help="random seed of models and solvers (default 0)")
    p.add_argument("--time-limit", type=positive_float, default=10.0, metavar="S",
                   help="CP-SAT time limit in seconds (default 10; deterministic, so repeatable)")
    p.add_argument("--wait", type=float, default=0.0, metavar="S",
                   help="if another run of the same reports folder is in progress, wait up to S seconds for "
                        "it (default 0: exit 2 at once, naming the run that holds the folder)")
    p.add_argument("--respect-staffing", action="store_true",
                   help="schedule operators to the staffing table, shift by shift (docs/labour.md); "
                        "default: labour is reported, not planned to")
    add_format(p)
    p.add_argument("--quiet", action="store_true", help="no progress lines")
    add_dask(p)
    p.set_defaults(func=run)


def run(args) -> int:
    """Run ``planlib run SOURCE`` with the parsed arguments ``args``.

    Returns
    -------
    int
        The exit code: 0 when every step succeeded and the run was published, 1 when a step
        failed (the failed run is kept for inspection when it can be); bad input raises
        :class:`~planlib.problems.InputError` (exit code 2).
    """
    progress = Progress(args.quiet)
    week = args.week or coming_week()
    scenarios = args.scenario or []
    if len(scenarios) > 1:
        from planlib.scenario.batch import run_scenarios

        with open_cluster(args.dask) as address:
            folder = run_scenarios(args.source, week, scenarios, args.out, seed=args.seed,
                                   time_limit_s=args.time_limit, dask=address, progress=progress,
                                   respect_staffing=args.respect_staffing, table_format=args.table_format)
        print(f"scenario comparison: {folder / 'comparison.html'}")
        return 0
    try:
        with open_cluster(args.dask) as address:
            folder = run_week(args.source, week, scenarios[0] if scenarios else None, args.out, seed=args.seed,
                              time_limit_s=args.time_limit, progress=progress, lock_wait_s=args.wait,
                              respect_staffing=args.respect_staffing, table_format=args.table_format, dask=address)
    except StepFailed as exc:
        print(f"planlib run: {exc}", file=sys.stderr)
        if exc.notebook is not None:
            print(f"the failed notebook is kept at {exc.notebook}", file=sys.stderr)
        elif exc.kept is not None:
            print(f"the failed run is kept at {exc.kept}", file=sys.stderr)
        else:
            print("the failed run could not be kept and was removed", file=sys.stderr)
        print(f"the previous run of {week}, if any, is untouched", file=sys.stderr)
        return 1
    print(f"weekly report: {folder / 'weekly_report.html'}")
    print(f"all reports:   {folder.parent.parent / 'index.html'}")
    return 0
