"""The dispatching heuristic on the weekly run's schedule problem: incremental vs the reference.

Builds the weekly run's schedule problem of a generated factory (as benchmarks/workbench/bench_weekly_run.py
does: ``make_factory(n_items, levels=6, n_work_centers=20, history_weeks=104, seed=7)``, the week-48
forecast and MRP, the orders and material of the schedule step, calendars doubled until they hold the
work), then runs ``planlib.schedule.dispatch`` and the one-candidate-at-a-time reference
(``tests/dispatch_reference.py``) on it and prints their CPU seconds, the ratio and whether the two
solution tables are equal.

Usage::

    flock /tmp/planlib-bench.lock nice -n 10 .venv/bin/python benchmarks/schedule/bench_dispatch.py --items 10000
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests"))

from dispatch_reference import reference_dispatch  # noqa: E402

from planlib import pipeline, steps  # noqa: E402
from planlib.data import write_dataset  # noqa: E402
from planlib.factory import make_factory  # noqa: E402
from planlib.schedule import build_orders, build_problem, dispatch, material_supply  # noqa: E402
from planlib.schedule.dispatch import calendar_too_short  # noqa: E402


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--items", type=int, default=10000)
    ap.add_argument("--rules", nargs="+", default=["atcs"])
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "factory"
        write_dataset(make_factory(n_items=args.items, levels=6, n_work_centers=20, history_weeks=104, seed=7),
                      source)
        ds, params, _ = pipeline.inputs(str(source), "2026-W48", "", seed=0, time_limit_s=20.0)
    fc = steps.forecast(ds, params)
    mrp = steps.mrp(ds, params, fc.forecast, fc.safety_stock)
    settings = steps.schedule_settings(params)
    t0 = pd.Timestamp(params.plan_start)
    orders = build_orders(ds, t0, settings.horizon_days, mrp.planned_orders)
    material = material_supply(ds, orders, t0, mrp.planned_orders, mrp.pegging)
    days = max(4 * settings.horizon_days, 56)
    while True:
        problem = build_problem(ds, orders, t0, settings, material=material, calendar_days=days)
        if not calendar_too_short(problem):
            break
        days *= 2
    print(f"{args.items} items: {len(problem.ops)} operations, {len(problem.alts)} machine alternatives, "
          f"{len(problem.timelines)} machines, calendars {days} days", flush=True)
    for rule in args.rules:
        c = time.process_time()
        fast = dispatch(problem, rule)
        c_fast = time.process_time() - c
        c = time.process_time()
        ref = reference_dispatch(problem, rule)
        c_ref = time.process_time() - c
        print(f"rule {rule}: incremental {c_fast:.1f} s CPU, reference {c_ref:.1f} s CPU, "
              f"ratio {c_ref / c_fast:.1f}x, same solution table: {fast.equals(ref)}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
