"""``planlib reschedule RUN_DIR SCENARIO.yaml --now "2026-11-25 10:00"``: revise the published schedule.

A thin layer over :func:`planlib.revise.revise_schedule` and :func:`planlib.revise.publish_revision`
(the scenario editor's "Revise the published schedule" button calls the same two).
"""
from __future__ import annotations

import argparse

import pandas as pd

from planlib.cli.common import Progress, add_format, positive_float
from planlib.problems import InputError, Problems


def _now(text: str) -> pd.Timestamp:
    try:
        ts = pd.Timestamp(text)
    except (ValueError, TypeError):
        ts = None
    if ts is None or pd.isna(ts):
        raise argparse.ArgumentTypeError(f'not a date and time: {text!r} (write "YYYY-MM-DD HH:MM")')
    return ts


def _hours(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, not {value:g}")
    return value


def add_parser(sub) -> None:
    """Register ``planlib reschedule RUN_DIR SCENARIO`` and its arguments on the ``planlib`` subparsers ``sub``."""
    p = sub.add_parser(
        "reschedule", help="revise a published schedule mid-week after a disruption",
        description="Revise the schedule of a published weekly run (RUN_DIR, reports/<week>/<scenario>) after "
                    "the disruption a scenario file describes (downtime, rush_order, late_material, "
                    "supplier_delay, quantity_change, operator_absence): operations started by --now or "
                    "starting within --frozen-hours keep their machine and times, the rest is re-planned with "
                    "a penalty per moved operation. Publishes the revised schedule, what moved and why, and "
                    "the work tickets in RUN_DIR/revisions/<scenario>-<YYYYMMDD-HHMM>/.")
    p.add_argument("run_dir", metavar="RUN_DIR", help="a published run folder (reports/2026-W48/base)")
    p.add_argument("scenario", metavar="SCENARIO.yaml", help="the disruption, as a scenario file")
    p.add_argument("--now", type=_now, required=True, metavar='"YYYY-MM-DD HH:MM"',
                   help="time of the revision, inside the published schedule")
    p.add_argument("--frozen-hours", type=_hours, default=8.0, metavar="H",
                   help="operations starting within H hours of --now keep their place (default 8)")
    p.add_argument("--time-limit", type=positive_float, metavar="S", help="CP-SAT time limit (default: the run's)")
    p.add_argument("--seed", type=int, metavar="N", help="CP-SAT random seed (default: the run's)")
    p.add_argument("--source", metavar="SOURCE",
                   help="the dataset the week was planned from (default: the run's manifest.json)")
    add_format(p)
    p.add_argument("--quiet", action="store_true", help="no progress lines")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Revise and publish; print the summary. Returns the exit code (bad input raises InputError: 2)."""
    from pathlib import Path

    from planlib.revise import publish_revision, revise_schedule
    from planlib.scenario import load_scenario

    if not Path(args.scenario).is_file():
        p = Problems()
        p.add("scenario", args.scenario, "", "", "no such file", "give the path of a scenario YAML file")
        raise InputError(f"scenario file {args.scenario} not found", p.frame())
    scenario = load_scenario(args.scenario)
    say = Progress(args.quiet)
    revision = revise_schedule(args.run_dir, scenario, args.now, progress=say, frozen_hours=args.frozen_hours,
                               source=args.source, time_limit_s=args.time_limit, seed=args.seed)
    folder = publish_revision(revision, args.run_dir, table_format=args.table_format)
    print(f"{revision.summary()}, published in {folder}")
    for line in revision.notes:
        print(f"note: {line}")
    return 0
