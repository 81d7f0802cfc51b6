"""MRP benchmark: generated factories of 1,000 / 10,000 / 100,000 items, 8 levels, 104 weekly buckets.

Prints, per size: wall time of ``run_mrp`` (all ten tables) and of its phases,
peak memory (resident set of the process that ran it), the time of the plain
reference implementation (``tests/mrp_reference.py``) where it was run, the
speed-up, and the largest difference between the two plans.

    nice -n 10 .venv/bin/python benchmarks/mrp/bench_mrp.py             # 1k, 10k, 100k
    nice -n 10 .venv/bin/python benchmarks/mrp/bench_mrp.py --sizes 1000 --reference-max 1000

Each size runs in a fresh subprocess, so peak memory is that run's own.
Generated factories are cached in ``benchmarks/mrp/results/cache`` (the
100,000-item factory takes a minute or two to generate); results go to
``benchmarks/mrp/results/bench_mrp.json``. Timing targets are not tests:
read the figures.
"""
from __future__ import annotations

import argparse
import json
import os
import pickle
import resource
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
RESULTS = HERE / "results"
CACHE = RESULTS / "cache"
LEVELS, WEEKS, WORK_CENTERS = 8, 104, 30
CORE = ("inputs", "netting", "planned_orders", "mrp_grid")  # the work the reference does too (it checks nothing)


def factory(n: int):
    from planlib.factory import make_factory
    CACHE.mkdir(parents=True, exist_ok=True)
    path = CACHE / f"factory_{n}_{LEVELS}_{WORK_CENTERS}.pkl"
    if path.exists():
        with open(path, "rb") as fh:
            return pickle.load(fh)
    ds = make_factory(n, LEVELS, WORK_CENTERS, history_weeks=0, history_grain="W")
    with open(path, "wb") as fh:
        pickle.dump(ds, fh)
    return ds


def flat_forecast(ds, weeks: int):
    """A planning forecast for every item with customer orders: its average weekly order
    quantity over the first eight weeks, in every week of the horizon (whole units)."""
    import numpy as np
    import pandas as pd

    rate = ds.demand.groupby("item_id").qty.sum() / 8.0
    starts = pd.date_range(pd.Timestamp("2026-11-23"), periods=weeks, freq="7D")
    return pd.DataFrame({"item_id": np.repeat(rate.index.to_numpy(), weeks),
                         "period_start": np.tile(starts, len(rate)),
                         "forecast": np.repeat(np.ceil(rate.to_numpy()), weeks)})


def one_size(n: int, reference: bool, with_forecast: bool = False, pegging: bool = True) -> dict:
    """Run in a child process: time run_mrp (and the reference) on one factory size."""
    import numpy as np

    sys.path.insert(0, str(ROOT / "tests"))
    from planlib.mrp import MrpSettings, run_mrp
    from planlib.params import PlanParams

    ds = factory(n)
    params = PlanParams(horizon_weeks=WEEKS)
    forecast = flat_forecast(ds, WEEKS) if with_forecast else None
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    phases: dict = {}
    t0, c0 = time.perf_counter(), time.process_time()
    result = run_mrp(ds, params, forecast=forecast, settings=MrpSettings(pegging=pegging), timings=phases)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    rss_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    from planlib.calendar import available_hours
    t0 = time.perf_counter()
    available_hours(ds, params.plan_start, WEEKS)
    calendar_s = time.perf_counter() - t0
    out = {"items": n, "bom_lines": len(ds.bom), "customer_orders": len(ds.demand), "wall_s": wall, "cpu_s": cpu,
           "phases": phases, "core_s": sum(phases[p] for p in CORE),
           "core_cpu_s": sum(phases["cpu:" + p] for p in CORE), "calendar_s": calendar_s,
           "peak_rss_mb": rss_peak, "rss_before_mb": rss_before, "load_avg": os.getloadavg()[0],
           "rows": {k: len(v) for k, v in result.tables().items()}}
    if reference:
        from mrp_reference import reference_mrp
        t0, c0 = time.perf_counter(), time.process_time()
        grid, planned = reference_mrp(ds, params, forecast=forecast)
        out["reference_s"], out["reference_cpu_s"] = time.perf_counter() - t0, time.process_time() - c0
        diff = 0.0
        for col, key in (("gross_requirements", "gross"), ("projected_on_hand", "on_hand"),
                         ("net_requirements", "net"), ("planned_order_receipts", "receipts_planned"),
                         ("planned_order_releases", "releases")):
            fast = result.mrp_grid[col].to_numpy().reshape(-1, WEEKS)
            ref = np.array([grid[i][key] for i in ds.items.item_id])
            diff = max(diff, float(np.abs(fast - ref).max()))
        same_orders = (len(planned) == len(result.planned_orders) and
                       result.planned_orders.item_id.tolist() == [p["item_id"] for p in planned])
        qty = max((abs(a - p["qty"]) for a, p in zip(result.planned_orders.qty, planned)), default=0.0)
        out.update(max_abs_diff=max(diff, qty), same_orders=bool(same_orders))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 100000])
    ap.add_argument("--reference-max", type=int, default=10000,
                    help="run the reference up to this many items; larger sizes are extrapolated (linear)")
    ap.add_argument("--child", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--with-reference", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--no-pegging", action="store_true",
                    help="leave the pegging table empty (MrpSettings(pegging=False))")
    ap.add_argument("--forecast", action="store_true",
                    help="add a flat 104-week forecast for every sold item (demand in every bucket)")
    args = ap.parse_args()
    if args.child:
        print(json.dumps(one_size(args.child, args.with_reference, args.forecast, not args.no_pegging)))
        return
    RESULTS.mkdir(parents=True, exist_ok=True)
    rows = []
    for n in args.sizes:
        cmd = [sys.executable, __file__, "--child", str(n)] + (["--with-reference"] if n <= args.reference_max else [])
        cmd += ["--forecast"] if args.forecast else []
        cmd += ["--no-pegging"] if args.no_pegging else []
        print(f"running {n:,} items ...", file=sys.stderr, flush=True)
        done = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, check=False)
        if done.returncode:
            print(done.stderr, file=sys.stderr)
            raise SystemExit(done.returncode)
        rows.append(json.loads(done.stdout.strip().splitlines()[-1]))
    # reference time per item from the largest size it ran at, for the extrapolation
    measured = [r for r in rows if "reference_s" in r]
    per_item = measured[-1]["reference_s"] / measured[-1]["items"] if measured else None
    what = "flat forecast in every week" if args.forecast else "customer orders only (no forecast)"
    what += ", no pegging" if args.no_pegging else ""
    print(f"\nMRP benchmark: {LEVELS} levels, {WEEKS} weekly buckets, {WORK_CENTERS} work centers, {what}")
    print(f"{'items':>8} {'run_mrp s':>10} {'cpu s':>7} {'core s':>7} {'core cpu':>8} {'no-cal s':>9} {'peak MB':>8} "
          f"{'reference s':>16} {'ref cpu':>8} {'x full':>7} {'x core':>7} {'x core cpu':>10} {'max |diff|':>11} "
          f"{'load':>5}")
    for r in rows:
        if "reference_s" in r:
            ref, label = r["reference_s"], f"{r['reference_s']:.2f}"
        else:
            ref = per_item * r["items"] if per_item else None
            label = f"~{ref:.1f} (extrap.)" if ref else "-"
        x_full = f"{ref / r['wall_s']:.1f}" if ref else "-"
        x_core = f"{ref / r['core_s']:.1f}" if ref else "-"
        diff = f"{r['max_abs_diff']:.1e}" if "max_abs_diff" in r else "-"
        no_cal = r["wall_s"] - r["calendar_s"]
        ref_cpu = r.get("reference_cpu_s")
        x_cpu = f"{ref_cpu / r['core_cpu_s']:.1f}" if ref_cpu else "-"
        ref_cpu = f"{ref_cpu:.2f}" if ref_cpu else "-"
        print(f"{r['items']:>8,} {r['wall_s']:>10.2f} {r['cpu_s']:>7.2f} {r['core_s']:>7.2f} {r['core_cpu_s']:>8.2f} "
              f"{no_cal:>9.2f} {r['peak_rss_mb']:>8.0f} {label:>16} {ref_cpu:>8} {x_full:>7} {x_core:>7} {x_cpu:>10} "
              f"{diff:>11} {r['load_avg']:>5.1f}")
    print("\nphases (s):")
    names = [p for p in rows[0]["phases"] if not p.startswith("cpu:")]
    print(f"{'items':>8} " + " ".join(f"{p[:12]:>12}" for p in names))
    for r in rows:
        print(f"{r['items']:>8,} " + " ".join(f"{r['phases'].get(p, 0):>12.2f}" for p in names) + "  wall")
        print(f"{'':>8} " + " ".join(f"{r['phases'].get('cpu:' + p, 0):>12.2f}" for p in names) + "  cpu")
    print("\ncpu s = CPU time of run_mrp (less sensitive than wall time to other work on the machine);")
    print("core = inputs + netting + planned_orders + mrp_grid (what the reference computes; it does not check")
    print("  its input, so the checks phase is left out of core and shown on its own);")
    print("no-cal = run_mrp less planlib.calendar.available_hours (timed separately: "
          + ", ".join(f"{r['calendar_s']:.2f} s" for r in rows) + "), which depends on work centers x weeks,")
    print("  not on items; load = 1-minute load average of the machine when the size finished;")
    print("x full / x core = reference time / run_mrp time, over all tables / over the core;")
    print("peak MB = peak resident memory of the process (factory included: "
          + ", ".join(f"{r['rss_before_mb']:.0f} MB before run_mrp at {r['items']:,}" for r in rows) + ").")
    out = RESULTS / ("bench_mrp_forecast.json" if args.forecast else "bench_mrp.json")
    out.write_text(json.dumps(rows, indent=2))
    print(f"written {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
