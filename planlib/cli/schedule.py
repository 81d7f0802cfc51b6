"""``planlib schedule SOURCE --out DIR``: finite-capacity schedule and dispatch lists."""
from __future__ import annotations

import argparse
from pathlib import Path

from planlib import steps
from planlib.cli.common import (
    Progress,
    add_format,
    add_out,
    add_source,
    date_arg,
    params_from,
    positive_float,
    positive_int,
)
from planlib.data import load, read_table, table_path, write_tables
from planlib.pipeline import schedule_pages
from planlib.problems import InputError, Problems, format_problems, mask_source
from planlib.validate import planning_dataset, require


def add_parser(sub) -> None:
    """Register ``planlib schedule SOURCE`` and its arguments on the ``planlib`` subparsers ``sub``."""
    p = sub.add_parser(
        "schedule", help="finite-capacity schedule of production orders (CP-SAT)",
        description="Schedule released, in-progress and planned make orders on the machines of their work "
                    "centers, with calendars, changeovers and due dates. Planned orders come from "
                    "--planned-orders, or else from an MRP run on SOURCE. Writes schedule, dispatch_list, "
                    "schedule_kpis, late_orders, schedule_exceptions (CSV), the printable work tickets of each "
                    "work center, one list per day (dispatch_<WC>.html), and the Gantt chart (gantt.html, "
                    "works offline) to DIR, all at once.")
    add_source(p)
    add_out(p)
    add_format(p)
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
    p.add_argument("--deterministic", action=argparse.BooleanOptionalAction, default=True,
                   help="same inputs give the same schedule: CP-SAT stops on a deterministic work budget "
                        "(default, as in the weekly run); --no-deterministic stops on wall-clock time")
    p.add_argument("--mrp", metavar="DIR",
                   help="folder of an MRP run (planlib mrp --out DIR, or a weekly run's mrp/ folder): its "
                        "planned_orders and pegging tables (CSV or Parquet) give the planned make orders and the supply of "
                        "their components; default: run MRP on SOURCE (customer orders, no forecast)")
    p.add_argument("--planned-orders", metavar="FILE",
                   help="CSV of MRP planned orders (order_id, item_id, order_type, qty, release_date, "
                        "due_date) without pegging; prefer --mrp")
    p.add_argument("--no-mrp", action="store_true", help="schedule only released and in-progress orders")
    p.add_argument("--crew", action="append", default=[], metavar="WC=N",
                   help="operators available at work center WC (repeatable); runs needing routings.crew_size "
                        "operators then never need more at once")
    p.add_argument("--respect-staffing", action="store_true",
                   help="plan operators to the staffing table: at a work center with staffing rows, operations "
                        "needing routings.crew_size operators never need more at once than the shift puts there "
                        "(changeover, setup and run; docs/labour.md)")
    p.add_argument("--quiet", action="store_true", help="no progress lines")
    p.set_defaults(func=run)


def _need_file(path: Path, table: str) -> Path:
    if not path.is_file():
        pr = Problems()
        pr.add(table, str(path), "", "", "file not found",
               f"give the path of the {table} file, .csv or .parquet (written by planlib mrp --out DIR)")
        raise InputError(f"cannot read {table} file {path}", pr.frame())
    return path


def _mrp_orders(args, ds, params, progress):
    """Planned orders and pegging: from --mrp DIR, --planned-orders FILE, or MRP run in process."""
    if args.mrp:
        folder = Path(args.mrp)
        planned = read_table(_need_file(table_path(folder, "planned_orders") or folder / "planned_orders.csv",
                                        "planned_orders"))
        pegging = read_table(_need_file(table_path(folder, "pegging") or folder / "pegging.csv", "pegging"))
        return planned, pegging
    if args.planned_orders:
        return read_table(_need_file(Path(args.planned_orders), "planned_orders")), None
    if args.no_mrp:
        return None, None
    res = steps.mrp(ds, params)
    progress(f"MRP in process (customer orders, no forecast; give --mrp DIR to schedule a weekly run's "
             f"plan): {int((res.planned_orders.order_type == 'make').sum())} planned make orders")
    return res.planned_orders, res.pegging


def run(args) -> int:
    """Run ``planlib schedule SOURCE`` with the parsed arguments ``args``.

    Returns
    -------
    int
        The exit code (0 success; bad input raises :class:`~planlib.problems.InputError`,
        which :func:`planlib.cli.main` turns into exit code 2).
    """
    progress = Progress(args.quiet)
    params = params_from(args)
    ds = load(args.source)
    require(ds, "schedule", checked=True)  # load() ran every check of validate
    ds = planning_dataset(ds, params.plan_start)
    progress(f"loaded {mask_source(args.source)}: {len(ds.machines)} machines, {len(ds.scheduled_receipts)} open orders")
    planned, pegging = _mrp_orders(args, ds, params, progress)
    objective = (args.objective, args.then) if args.then and args.then != args.objective else args.objective
    settings = steps.schedule_settings(params, deterministic=args.deterministic, objective=objective)
    crews = {}
    for text in args.crew:
        wc, _, n = text.partition("=")
        try:
            crews[wc.strip()] = float(n)
        except ValueError:
            pr = Problems()
            pr.add("arguments", "--crew", "", text, "not of the form WC=N", "write e.g. --crew ASSY=3")
            raise InputError(f"bad --crew {text!r}", pr.frame()) from None
    result = steps.schedule(ds, params, planned, pegging, settings, crews=crews)
    if len(result.exceptions):
        print(f"{len(result.exceptions)} order problem(s); these orders are left out:")
        print(format_problems(result.exceptions))
    warnings = getattr(result, "warnings", None)
    if warnings is not None and len(warnings):
        print(f"{len(warnings)} warning(s); these orders are scheduled, but look:")
        print(format_problems(warnings))
    info = result.info
    progress(f"scheduled {len(result.schedule)} operations of {result.schedule.order_id.nunique()} orders: "
             f"{info['solver_status']}, objective {info.get('objective')}, bound {info.get('bound')} "
             f"(heuristic {info['heuristic_objective']:g})")
    tables = steps.schedule_tables(result)
    pages = schedule_pages(result, f"Plan start {params.plan_start}", gantt=True, ds=ds)
    out = write_tables(tables, args.out, extra_files=pages, table_format=args.table_format)
    k = result.kpis.set_index("kpi").value
    print(f"{len(result.schedule)} operations, on time {k.get('on_time_pct')} %, "
          f"weighted tardiness {k.get('weighted_tardiness')} weighted h, makespan {k.get('makespan')} h, "
          f"status {info['solver_status']}; wrote {len(tables)} tables and {len(pages)} pages to {out}")
    return 0
