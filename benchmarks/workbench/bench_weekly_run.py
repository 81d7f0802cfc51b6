"""End-to-end weekly run: the sample factory, and a generated 10,000-item factory.

Run: .venv/bin/python benchmarks/workbench/bench_weekly_run.py [--sizes sample 10000] [--time-limit S]
Prints the wall time of `planlib run` (all four notebooks, HTML export, archive) and of each step, from the
run's manifest, the CPU seconds of this process and its children (the notebook kernels), and the schedule's
solver figures from the run's `schedule/schedule_kpis.csv`: operations, the heuristic's seconds, its
objective and the published one (weighted late hours), the bound and the gap, how the schedule was solved
(`windows` for a large plant, see docs/schedule.md "Large plants"), and the independent check of the
published schedule read back from the run folder. Targets: the sample factory's weekly run in at most
2 minutes; 10,000 items in at most 4 minutes with a CP-SAT-improved schedule.
"""
from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

import pandas as pd

from planlib.data import write_dataset
from planlib.factory import make_factory
from planlib.pipeline import run_week

ROOT = Path(__file__).resolve().parents[2]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", nargs="+", default=["sample", "10000"])
    ap.add_argument("--time-limit", type=float, default=20.0, help="CP-SAT time limit per run [s] (default 20)")
    args = ap.parse_args()
    print(f"{'factory':>10} {'items':>7} {'total_s':>8} {'cpu_s':>7} {'forecast':>9} {'mrp':>7} {'schedule':>9} "
          f"{'report':>7} {'status':>10}")
    with tempfile.TemporaryDirectory() as tmp:
        for size in args.sizes:
            if size == "sample":
                source, n = ROOT / "data" / "sample", 60
            else:
                n = int(size)
                source = Path(tmp) / f"factory{n}"
                write_dataset(make_factory(n_items=n, levels=6, n_work_centers=20, history_weeks=104, seed=7), source)
            t0, c0 = time.perf_counter(), _cpu()
            run = run_week(str(source), "2026-W48", out=Path(tmp) / f"reports{size}", time_limit_s=args.time_limit,
                           progress=lambda line: print(f"    {time.perf_counter() - t0:6.1f}s {line}", flush=True))
            total, cpu = time.perf_counter() - t0, _cpu() - c0
            m = json.loads((run / "manifest.json").read_text())
            s = {k: v["seconds"] for k, v in m["steps"].items()}
            print(f"{size:>10} {n:>7} {total:>8.1f} {cpu:>7.1f} {s['forecast']:>9.1f} {s['mrp']:>7.1f} "
                  f"{s['schedule']:>9.1f} {s['weekly_report']:>7.1f} {m.get('solver_status', ''):>10}", flush=True)
            print("           " + _solver_figures(run, source), flush=True)


def _cpu() -> float:
    """CPU seconds of this process and its finished children (the notebook kernels) [s]."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def _solver_figures(run: Path, source: Path) -> str:
    """The schedule's solver figures of a run folder, and the independent check of its schedule."""
    from planlib.data import load, read_table
    from planlib.schedule import check_schedule

    k = pd.read_csv(run / "schedule" / "schedule_kpis.csv")
    k = k[k.machine_id.isna()].set_index("kpi").value

    def num(name):
        try:
            return float(k[name])
        except (KeyError, TypeError, ValueError):
            return float("nan")

    sched = read_table(run / "schedule" / "schedule.csv")
    material = read_table(run / "schedule" / "material.csv") if (run / "schedule" / "material.csv").exists() else None
    ds = load(str(source))
    from planlib.calendar import machine_intervals

    start = pd.Timestamp("2026-11-23")
    end = pd.Timestamp(sched.end.max()) + pd.Timedelta(days=2)
    iv = machine_intervals(ds, start, end)
    bad = check_schedule(sched, start, iv, ds.setup_matrix, None, ds.machines, material=material)
    return (f"operations {len(sched)}, heuristic {num('heuristic_seconds'):.1f} s, weighted late h: heuristic "
            f"{num('heuristic_objective') / 60:,.1f}, published {num('objective') / 60:,.1f} "
            f"({100 * (1 - num('objective') / num('heuristic_objective')):.4f} % better), bound "
            f"{num('bound') / 60:,.1f}, gap {num('gap_pct'):.2f} %, method {k.get('method', 'model')}, "
            f"windows {k.get('windows', '-')} ({k.get('windows_improved', '-')} improved); "
            f"independent check of the published schedule: {'ok' if bad.empty else f'{len(bad)} violations'}")


if __name__ == "__main__":
    main()
