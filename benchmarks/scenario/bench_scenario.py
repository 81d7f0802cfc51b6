"""Scenario speed: parse, check and apply a scenario with every kind of change, 1,000 to 100,000 items.

Run: .venv/bin/python benchmarks/scenario/bench_scenario.py [--sizes 1000 10000 100000]
Prints the factory size and the wall time of each step (best of --repeat runs). Planning the
changed data (forecast, MRP, schedule) is timed by the pipeline and engine benchmarks, not here.
"""
from __future__ import annotations

import argparse
import time

import pandas as pd

from planlib.factory import make_factory
from planlib.scenario import apply_scenario, check_scenario, parse_scenario, scale_forecast


def every_kind(ds) -> str:
    items = ds.items
    family = items.family[items.family.fillna("") != ""].iloc[0]
    supplier = items.supplier_id.dropna().iloc[0]
    return f"""\
name: every kind
changes:
  - kind: demand_multiplier
    family: {family}
    factor: 1.2
    from: 2026-W49
  - kind: demand_multiplier
    factor: 1.1
  - kind: rush_order
    item: {items.item_id.iloc[0]}
    qty: 5
    due: 2026-12-01
  - kind: downtime
    machine: {ds.machines.machine_id.iloc[0]}
    start: 2026-11-24
    hours: 8
  - kind: overtime
    work_center: {ds.work_centers.work_center_id.iloc[0]}
    start: 2026-11-28 06:00
    hours: 6
    repeat_weeks: 4
  - kind: supplier_delay
    supplier: {supplier}
    days: 7
  - kind: lead_time
    supplier: {supplier}
    add_days: 3
"""


def best(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000, 100_000])
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    print(f"{'items':>8} {'demand':>8} {'receipts':>8} {'parse_s':>8} {'check_s':>8} {'apply_s':>8} "
          f"{'scale_fc_s':>10}")
    for n in args.sizes:
        ds = make_factory(n_items=n, seed=1)
        text = every_kind(ds)
        scenario = parse_scenario(text)
        # a forecast-shaped frame: every item, 26 weekly buckets
        weeks = pd.date_range("2026-11-23", periods=26, freq="7D")
        idx = pd.MultiIndex.from_product([ds.items.item_id, weeks], names=["item_id", "period_start"])
        fc = pd.DataFrame({"forecast": 1.0, "lo_80": 0.5, "hi_80": 1.5}, index=idx).reset_index()
        t_parse = best(lambda t=text: parse_scenario(t), args.repeat)
        t_check = best(lambda s=scenario, d=ds: check_scenario(s, d), args.repeat)
        t_apply = best(lambda s=scenario, d=ds: apply_scenario(d, s), args.repeat)
        t_scale = best(lambda s=scenario, d=ds, f=fc: scale_forecast(f, s, d.items), args.repeat)
        print(f"{n:>8} {len(ds.demand):>8} {len(ds.scheduled_receipts):>8} {t_parse:>8.3f} {t_check:>8.3f} "
              f"{t_apply:>8.3f} {t_scale:>10.3f}", flush=True)


if __name__ == "__main__":
    main()
