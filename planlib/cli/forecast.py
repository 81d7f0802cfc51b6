"""``planlib forecast SOURCE --out DIR``: demand forecast, its accuracy and safety stock."""
from __future__ import annotations

import sys

from planlib import steps
from planlib.cli.common import Progress, add_dask, add_format, add_out, add_source, date_arg, params_from, positive_int
from planlib.cluster import open_cluster
from planlib.data import read_dataset, write_tables
from planlib.problems import InputError, Problems, format_problems, mask_source
from planlib.validate import history_problems


def add_parser(sub) -> None:
    """Register ``planlib forecast SOURCE`` and its arguments on the ``planlib`` subparsers ``sub``."""
    p = sub.add_parser(
        "forecast", help="forecast demand per item, score it, suggest safety stock",
        description="Forecast demand per item from demand_history: buckets, demand classes, a "
                    "rolling-origin backtest that picks the model per item (statsforecast), 50/80/95 %% "
                    "intervals and planner overrides. Writes forecast.csv, forecast_accuracy.csv and "
                    "safety_stock.csv (and forecast_outliers.csv with --clean-outliers) into DIR, all at "
                    "once. A source with only demand_history is enough; items adds lead times and "
                    "service levels. Exit 2 when nothing can be forecast.")
    add_source(p)
    add_out(p)
    add_format(p)
    p.add_argument("--horizon", type=positive_int, default=None,
                   help="buckets to forecast (default: PlanParams.forecast_horizon, 26)")
    p.add_argument("--bucket", choices=["W", "M"], default="W", help="weekly (Monday) or monthly buckets")
    p.add_argument("--as-of", dest="as_of", type=date_arg, default=None,
                   help="first day to forecast, YYYY-MM-DD or YYYY-Www (default: the bucket after the last "
                        "history date)")
    p.add_argument("--service-type", choices=["cycle", "fill_rate"], default="cycle",
                   help="read service levels as cycle service level (default) or fill rate")
    p.add_argument("--clean-outliers", action="store_true", help="cap one-off spikes before fitting")
    p.add_argument("--gross", action="store_true", help="ignore returns instead of netting them")
    p.add_argument("--quiet", action="store_true", help="no progress lines")
    add_dask(p)
    p.set_defaults(func=run)


def run(args) -> int:
    """Run ``planlib forecast SOURCE`` with the parsed arguments ``args``.

    Returns
    -------
    int
        The exit code (0 success; bad input raises :class:`~planlib.problems.InputError`,
        which :func:`planlib.cli.main` turns into exit code 2).
    """
    say = Progress(args.quiet)
    ds, loaded = read_dataset(args.source, tables=["demand_history", "items", "forecast_overrides"])
    loaded = loaded.frame()
    # unreadable demand_history rows are left out with a warning (forecast_demand names the items);
    # anything else wrong (source, items, overrides) stops the run
    row_level = ((loaded.table == "demand_history") & (loaded.column != "")
                 & ~loaded.row.astype(str).str.endswith("header"))
    fatal = loaded[(loaded.severity == "error") & ~row_level]
    if len(fatal):
        raise InputError(f"{len(fatal)} problem(s) in {mask_source(args.source)}", fatal)
    if not ds.has("demand_history"):
        raise InputError(f"{mask_source(args.source)} has no demand_history table: nothing to forecast from",
                         _problem("demand_history", "", "", "", "table missing",
                                  "add demand_history (item_id, date, qty) to the source"))
    if row_level.any():
        print(format_problems(loaded[row_level].assign(severity="warning")), file=sys.stderr)
    history = history_problems(ds)  # a row dated years away would move the whole forecast
    if (history.severity == "error").any():
        raise InputError("demand history outside the plan's window", history[history.severity == "error"])
    if len(history):
        print(format_problems(history), file=sys.stderr)
    params = params_from(args) if args.as_of else params_from(args, plan_start=_default_start())
    horizon = args.horizon or params.forecast_horizon
    say(f"{len(ds.demand_history)} demand_history row(s)")
    with open_cluster(args.dask) as address:
        if address:
            say(f"forecast models fitted on the Dask cluster at {address}")
        settings = steps.forecast_settings(params, clean_outliers=args.clean_outliers, net_returns=not args.gross,
                                           dask=address)
        res = steps.forecast(ds, params, settings=settings, as_of=args.as_of or "history", horizon=horizon,
                             service_type=args.service_type, progress=say)
    out = write_tables(steps.forecast_tables(res), args.out, table_format=args.table_format)
    if len(res.problems):
        print(format_problems(res.problems), file=sys.stderr)
    tot = res.accuracy[res.accuracy.item_id == "TOTAL"]
    n_items = res.forecast.item_id.nunique()
    line = f"{n_items} item(s), {horizon} {'week' if args.bucket == 'W' else 'month'}(s) written to {out}"
    if len(tot):
        t = tot.iloc[0]
        line += (f"; backtest MASE {t.mase:.3f}, WAPE {t.wape:.1f} %, bias {t.bias:+.1f} %, "
                 f"80 % interval coverage {t.coverage_80:.0f} %, value added vs seasonal naive {t.fva:+.1f} %")
    print(line)
    return 0


def _default_start():
    from planlib.params import PlanParams

    return PlanParams().plan_start


def _problem(table, row, column, value, problem, fix):
    p = Problems()
    p.add(table, row, column, value, problem, fix)
    return p.frame()
