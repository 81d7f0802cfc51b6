"""``planlib schedule SOURCE --out DIR``: finite-capacity schedule and dispatch lists."""
from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from planlib.cli.common import (
    Progress,
    add_out,
    add_source,
    date_arg,
    params_from,
    positive_float,
    positive_int,
)
from planlib.data import load, write_tables
from planlib.problems import InputError, Problems, format_problems


def add_parser(sub) -> None:
    p = sub.add_parser(
        "schedule", help="finite-capacity schedule of production orders (CP-SAT)",
        description="Schedule released, in-progress and planned make orders on the machines of their work "
                    "centers, with calendars, changeovers and due dates. Planned orders come from "
                    "--planned-orders, or else from an MRP run on SOURCE. Writes schedule, dispatch_list, "
                    "schedule_kpis, late_orders, schedule_exceptions (CSV), one printable dispatch list per "
                    "work center (dispatch_<WC>.html) and gantt.html to DIR, all at once.")
    add_source(p)
    add_out(p)
    p.add_argument("--start", type=date_arg, metavar="DATE",
                   help="plan start (YYYY-MM-DD or ISO week YYYY-Www); default 2026-W48")
    p.add_argument("--horizon-days", type=positive_int, metavar="N",
                   help="orders released within N days are scheduled (default 14)")
    p.add_argument("--time-limit", type=positive_float, metavar="S", help="CP-SAT time limit in seconds (30)")
    p.add_argument("--workers", type=positive_int, metavar="N", help="CP-SAT workers (default 2)")
    p.add_argument("--seed", type=int, metavar="N", help="CP-SAT random seed (default 0)")
    p.add_argument("--objective", choices=("tardiness", "makespan", "setup"), default="tardiness",
                   help="weighted tardiness (default), makespan or total changeover time")
    p.add_argument("--then", choices=("tardiness", "makespan", "setup"), metavar="OBJ",
                   help="second objective, minimised among the schedules best on --objective")
    p.add_argument("--deterministic", action="store_true",
                   help="same inputs give the same schedule (deterministic CP-SAT time budget)")
    p.add_argument("--planned-orders", metavar="FILE",
                   help="CSV of MRP planned orders (order_id, item_id, order_type, qty, release_date, "
                        "due_date); default: run MRP on SOURCE")
    p.add_argument("--no-mrp", action="store_true", help="schedule only released and in-progress orders")
    p.add_argument("--crew", action="append", default=[], metavar="WC=N",
                   help="operators available at work center WC (repeatable); runs needing routings.crew_size "
                        "operators then never need more at once")
    p.add_argument("--quiet", action="store_true", help="no progress lines")
    p.set_defaults(func=run)


def _planned_orders(args, ds, params, progress):
    if args.planned_orders:
        file = Path(args.planned_orders)
        if not file.is_file():
            pr = Problems()
            pr.add("planned_orders", str(file), "", "", "file not found", "give the path of the CSV file")
            raise InputError(f"cannot read planned orders file {file}", pr.frame())
        po = pd.read_csv(file, dtype={"order_id": str, "item_id": str}, parse_dates=["release_date", "due_date"])
        return po
    if args.no_mrp:
        return None
    try:
        from planlib.mrp import run_mrp
    except ImportError:
        return None
    try:
        po = run_mrp(ds, params).planned_orders
    except InputError as exc:
        print(f"MRP could not run ({exc}); scheduling released orders only")
        return None
    progress(f"MRP: {int((po.order_type == 'make').sum())} planned make orders")
    return po


def run(args) -> int:
    from planlib.schedule import ScheduleSettings, dispatch_html, schedule_dataset

    progress = Progress(args.quiet)
    params = params_from(args)
    ds = load(args.source)
    progress(f"loaded {args.source}: {len(ds.machines)} machines, {len(ds.scheduled_receipts)} open orders")
    planned = _planned_orders(args, ds, params, progress)
    objective = (args.objective, args.then) if args.then and args.then != args.objective else args.objective
    settings = ScheduleSettings(horizon_days=params.schedule_horizon_days, time_limit_s=params.time_limit_s,
                                workers=params.workers, seed=params.seed, deterministic=args.deterministic,
                                objective=objective, skip_unschedulable=True)
    crews = {}
    for text in args.crew:
        wc, _, n = text.partition("=")
        try:
            crews[wc.strip()] = float(n)
        except ValueError:
            pr = Problems()
            pr.add("arguments", "--crew", "", text, "not of the form WC=N", "write e.g. --crew ASSY=3")
            raise InputError(f"bad --crew {text!r}", pr.frame()) from None
    result = schedule_dataset(ds, params.plan_start, settings, planned_orders=planned, crews=crews)
    if len(result.exceptions):
        print(f"{len(result.exceptions)} order problem(s); these orders are left out:")
        print(format_problems(result.exceptions))
    info = result.info
    progress(f"scheduled {len(result.schedule)} operations of {result.schedule.order_id.nunique()} orders: "
             f"{info['solver_status']}, objective {info.get('objective')}, bound {info.get('bound')} "
             f"(heuristic {info['heuristic_objective']:g})")
    tables = {
        "schedule": result.schedule,
        "dispatch_list": result.dispatch_list,
        "schedule_kpis": result.kpis,
        "late_orders": result.late_orders,
        "schedule_exceptions": result.exceptions,
    }
    pages = {}
    title = f"Plan start {params.plan_start}, schedule status {info['solver_status']}"
    for wc in sorted(result.dispatch_list.work_center_id.unique()):
        safe = re.sub(r"[^A-Za-z0-9_.-]", "_", str(wc))
        pages[f"dispatch_{safe}.html"] = dispatch_html(result.dispatch_list, wc, title)
    if len(result.schedule):
        pages["gantt.html"] = gantt_page(result.gantt(f"Schedule from {params.plan_start}"))
    out = write_tables(tables, args.out, extra_files=pages)
    k = result.kpis.set_index("kpi").value
    print(f"{len(result.schedule)} operations, on time {k.get('on_time_pct')} %, "
          f"weighted tardiness {k.get('weighted_tardiness')} weighted h, makespan {k.get('makespan')} h, "
          f"status {info['solver_status']}; wrote {len(tables)} tables and {len(pages)} pages to {out}")
    return 0


def gantt_page(chart) -> str:
    """The Gantt chart as a standalone HTML page, however many bars it has (a large plant has more
    than altair's default limit of 5,000 rows)."""
    import altair as alt

    with alt.data_transformers.disable_max_rows():
        return chart.to_html()
