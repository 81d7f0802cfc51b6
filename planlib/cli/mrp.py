"""``planlib mrp SOURCE --out DIR``: MPS and MRP, one CSV per output table."""
from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

import pandas as pd

from planlib import steps
from planlib.buckets import monday
from planlib.cli.common import (
    Progress,
    add_format,
    add_out,
    add_source,
    date_arg,
    non_negative_int,
    params_from,
    positive_int,
)
from planlib.data import load, read_table, write_tables
from planlib.mrp import MrpSettings
from planlib.problems import InputError, Problems, mask_source
from planlib.validate import planning_dataset, require


def add_parser(sub) -> None:
    """Register ``planlib mrp SOURCE`` and its arguments on the ``planlib`` subparsers ``sub``."""
    p = sub.add_parser(
        "mrp", help="master production schedule and material requirements plan",
        description="Net demand over every BOM level in weekly buckets, size lots, peg supply to demand, "
                    "and write mps, mrp_grid, planned_orders, pegging, exceptions, atp, capacity_load, "
                    "rough_cut, purchase_requisitions and cost_projection as CSV (or Parquet) files in DIR (all or none). "
                    "Exit 2 with a table of problems when the input cannot be planned.")
    add_source(p)
    add_out(p)
    add_format(p)
    p.add_argument("--start", type=date_arg, metavar="DATE",
                   help="plan start (YYYY-MM-DD or ISO week YYYY-Www); a date after Monday plans from the "
                        "Monday of its week, the first weekly bucket; default 2026-W48")
    p.add_argument("--horizon-weeks", type=positive_int, metavar="N", help="weekly buckets to plan (default 26; with --forecast, at least to the end of the forecast)")
    p.add_argument("--forecast", metavar="FILE",
                   help="CSV or Parquet file with item_id, period_start, forecast (the planning forecast); "
                        "without it customer orders alone are the demand")
    p.add_argument("--safety-stock", metavar="FILE",
                   help="CSV or Parquet file with item_id, safety_stock (the forecast step's safety_stock table); replaces "
                        "items.safety_stock for the items listed that have a service_level target, as in "
                        "the weekly run")
    p.add_argument("--demand-time-fence", type=non_negative_int, metavar="N",
                   help="weeks from the start in which only customer orders count (default 2)")
    p.add_argument("--consume-backward", type=non_negative_int, metavar="N",
                   help="weeks before an order's week whose forecast it may consume (default 2)")
    p.add_argument("--consume-forward", type=non_negative_int, metavar="N",
                   help="weeks after an order's week whose forecast it may consume (default 2)")
    p.add_argument("--past-releases", choices=("expedite", "delay"), default="expedite",
                   help="planned orders whose release date is past: keep the need date and report "
                        "(expedite, default) or move the receipt out by the lead time (delay)")
    p.add_argument("--quiet", action="store_true", help="no progress lines")
    p.set_defaults(func=run)


def _read_csv(path: str, name: str) -> pd.DataFrame:
    file = Path(path)
    if not file.is_file():
        p = Problems()
        p.add(name, str(file), "", "", "file not found", f"give the path of the {name} file (.csv or .parquet)")
        raise InputError(f"cannot read {name} file {file}", p.frame())
    return read_table(file)


def run(args) -> int:
    """Run ``planlib mrp SOURCE`` with the parsed arguments ``args``.

    Returns
    -------
    int
        The exit code (0 success; bad input raises :class:`~planlib.problems.InputError`,
        which :func:`planlib.cli.main` turns into exit code 2).
    """
    progress = Progress(args.quiet)
    overrides = {field: getattr(args, arg) for arg, field in (
        ("demand_time_fence", "demand_time_fence_weeks"), ("consume_backward", "consumption_backward_weeks"),
        ("consume_forward", "consumption_forward_weeks")) if getattr(args, arg) is not None}
    params = params_from(args, **overrides)
    if params.plan_start.weekday() != 0:
        first = monday(params.plan_start)
        print(f"planlib mrp: note: plan start {params.plan_start} is a {params.plan_start:%A}; the first "
              f"weekly bucket starts on Monday {first}", file=sys.stderr)
        params = replace(params, plan_start=first)
    ds = load(args.source)
    require(ds, "mrp", checked=True)  # load() ran every check of validate
    ds = planning_dataset(ds, params.plan_start)
    progress(f"loaded {mask_source(args.source)}: {len(ds.items)} items, {len(ds.bom)} BOM lines, {len(ds.demand)} orders")
    forecast = _read_csv(args.forecast, "forecast") if args.forecast else None
    safety = _read_csv(args.safety_stock, "safety_stock") if args.safety_stock else None
    result = steps.mrp(ds, params, forecast, safety, MrpSettings(past_releases=args.past_releases))
    progress(f"planned {steps.mrp_params(params, forecast).horizon_weeks} weeks from {params.plan_start}: "
             f"{len(result.planned_orders)} planned orders, {len(result.exceptions)} exceptions")
    out = write_tables(result.tables(), args.out, table_format=args.table_format)
    progress(f"wrote {len(result.tables())} tables to {out}")
    return 0
