"""Generated-factory benchmark: >= 2,000 operations on >= 30 machines with setups and calendars.

Builds a seeded factory (``make_factory(n_items=300, n_work_centers=14, seed=7)``: 31 machines,
two-shift and one-shift calendars with holidays, a maintenance window and Saturday overtime,
family changeovers on LATHE, MILL, PAINT and ASSY, uninterruptible PAINT runs, crew sizes), adds
seeded planned orders until the routings give at least ``--ops`` operations, and reports:

- the dispatching heuristic (ATCS): seconds to a feasible schedule (target <= 10 s);
- CP-SAT from that hint at ``--time-limit`` seconds: weighted tardiness, best bound, gap to the bound;
- the independent checker on the final schedule.

Usage::

    nice -n 10 .venv/bin/python benchmarks/schedule/run_factory.py --time-limit 60
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import pandas as pd

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))

from planlib.factory import make_factory
from planlib.schedule import (
    ScheduleSettings,
    build_problem,
    check_schedule,
    dispatch,
    evaluate,
    make_schedule_from_problem,
)
from planlib.schedule.generate import random_orders

T0 = pd.Timestamp("2026-11-23")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--ops", type=int, default=2000, help="at least this many operations")
    ap.add_argument("--time-limit", type=float, default=60.0)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--objective", default="tardiness")
    args = ap.parse_args(argv)

    ds = make_factory(n_items=300, n_work_centers=14, seed=7)
    per_order = ds.routings.groupby("item_id").size().mean()
    n_orders = int(args.ops / per_order * 1.08)
    settings = ScheduleSettings(time_limit_s=args.time_limit, workers=args.workers, seed=args.seed,
                                objective=args.objective, skip_unschedulable=True, horizon_days=28)
    while True:
        orders = random_orders(ds, n_orders, T0, seed=11, release_days=20, due_days=(5, 30))
        t = time.perf_counter()
        problem = build_problem(ds, orders, T0, settings, calendar_days=180)
        t_build = time.perf_counter() - t
        if len(problem.ops) >= args.ops:
            break
        n_orders = int(n_orders * 1.05) + 1
    print(f"factory: {len(ds.machines)} machines in {ds.machines.work_center_id.nunique()} work centers, "
          f"changeovers on {sorted(ds.setup_matrix.work_center_id.unique())}; {len(orders)} orders, "
          f"{len(problem.ops)} operations, {len(problem.alts)} machine alternatives "
          f"({0 if problem.exceptions is None else len(problem.exceptions)} orders left out); "
          f"problem built in {t_build:.1f}s", flush=True)
    t = time.perf_counter()
    hint = dispatch(problem, settings.rule)
    t_heur = time.perf_counter() - t
    h_obj = evaluate(problem, hint, "tardiness", settings)
    print(f"heuristic (ATCS): feasible schedule in {t_heur:.2f}s (+{t_build:.1f}s to build the problem), "
          f"weighted tardiness {h_obj / 60:.1f} weighted h", flush=True)
    t = time.perf_counter()
    res = make_schedule_from_problem(problem, settings, hint)
    total = time.perf_counter() - t
    info = res.info
    obj = evaluate(res.problem, res.solution, "tardiness", settings)
    bound = info.get("bound")
    gap = None if bound is None or obj <= 0 else 100.0 * (obj - bound) / obj
    print(f"CP-SAT {args.time_limit:g}s x {args.workers} workers: status {info['cpsat_status']}, returned "
          f"{info['solver_status']}; weighted tardiness {obj / 60:.1f} weighted h "
          f"(CP-SAT objective {info.get('objective')}, bound {bound}), gap to bound "
          f"{'n/a' if gap is None else f'{gap:.1f} %'}; wall {total:.1f}s", flush=True)
    k = res.kpis.set_index("kpi").value
    print(f"KPIs: on time {k['on_time_pct']} %, late orders {k['late_orders']}, makespan {k['makespan']} h, "
          f"setup {k['setup_hours']} h (changeovers {k['changeover_hours']} h)")
    bad = check_schedule(res.schedule, T0, res.problem.calendar_intervals, ds.setup_matrix, None, ds.machines)
    print(f"independent check: {'ok' if bad.empty else f'{len(bad)} violations: ' + bad.iloc[0].detail}")
    out = HERE / "results"
    out.mkdir(exist_ok=True)
    pd.DataFrame([dict(operations=len(problem.ops), machines=len(ds.machines), heuristic_s=round(t_heur, 2),
                       build_s=round(t_build, 2), heuristic_wt_h=round(h_obj / 60, 1),
                       time_limit_s=args.time_limit, status=info["solver_status"],
                       cpsat_status=info["cpsat_status"], wt_h=round(obj / 60, 1),
                       bound_h=None if bound is None else round(bound / 60, 1),
                       gap_pct=None if gap is None else round(gap, 2), wall_s=round(total, 1),
                       check="ok" if bad.empty else len(bad))]).to_csv(
        out / f"factory_{args.time_limit:g}s.csv", index=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
