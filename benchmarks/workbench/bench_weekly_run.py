"""End-to-end weekly run: the sample factory, and a generated 10,000-item factory.

Run: .venv/bin/python benchmarks/workbench/bench_weekly_run.py [--sizes sample 10000] [--time-limit S]
Prints the wall time of `planlib run` (all four notebooks, HTML export, archive) and of each step, from the
run's manifest. The issue's target: the sample factory's weekly run in at most 2 minutes on this machine.
"""
from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from planlib.data import write_dataset
from planlib.factory import make_factory
from planlib.pipeline import run_week

ROOT = Path(__file__).resolve().parents[2]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", nargs="+", default=["sample", "10000"])
    ap.add_argument("--time-limit", type=float, default=20.0, help="CP-SAT time limit per run [s] (default 20)")
    args = ap.parse_args()
    print(f"{'factory':>10} {'items':>7} {'total_s':>8} {'forecast':>9} {'mrp':>7} {'schedule':>9} {'report':>7} {'status':>10}")
    with tempfile.TemporaryDirectory() as tmp:
        for size in args.sizes:
            if size == "sample":
                source, n = ROOT / "data" / "sample", 60
            else:
                n = int(size)
                source = Path(tmp) / f"factory{n}"
                write_dataset(make_factory(n_items=n, levels=6, n_work_centers=20, history_weeks=104, seed=7), source)
            t0 = time.perf_counter()
            run = run_week(str(source), "2026-W48", out=Path(tmp) / f"reports{size}", time_limit_s=args.time_limit)
            total = time.perf_counter() - t0
            m = json.loads((run / "manifest.json").read_text())
            s = {k: v["seconds"] for k, v in m["steps"].items()}
            print(f"{size:>10} {n:>7} {total:>8.1f} {s['forecast']:>9.1f} {s['mrp']:>7.1f} {s['schedule']:>9.1f} "
                  f"{s['weekly_report']:>7.1f} {m.get('solver_status', ''):>10}", flush=True)


if __name__ == "__main__":
    main()
