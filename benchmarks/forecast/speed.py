"""Wall time of planlib's forecast on generated weekly items (model choice included).

Usage (from the repository root)::

    nice -n 10 .venv/bin/python benchmarks/forecast/speed.py              # 1,000 and 10,000 items
    nice -n 10 .venv/bin/python benchmarks/forecast/speed.py --sizes 1000 3000

Each item has two years (104 weeks) of history; the horizon is 26 weeks. The
mix follows the sample factory: 60 % finished-good-like items (level, trend,
yearly season, gamma-Poisson noise) and 40 % spare-part-like items
(Bernoulli occurrence x log-normal size), generated with a fixed seed. The
whole :func:`planlib.forecast.build_forecast` is timed: bucketing,
classification, backtest of every candidate, selection, final fit, quantiles.
Prints seconds in total and per 1,000 items; writes
``benchmarks/forecast/results/speed.csv``.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))

from planlib.forecast import ForecastSettings, build_forecast


def generate(n_items: int, weeks: int = 104, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    t = np.arange(weeks)
    smooth = rng.random(n_items) < 0.6
    base = np.where(smooth, np.exp(rng.normal(np.log(50), 0.8, n_items)), np.exp(rng.normal(np.log(4), 0.6, n_items)))
    trend = rng.uniform(-0.1, 0.25, n_items) / 52
    amp = np.where(smooth, rng.uniform(0, 0.35, n_items), 0)
    phase = rng.uniform(0, 2 * np.pi, n_items)
    rate = base[:, None] * (1 + trend[:, None] * (t - weeks)) * (1 + amp[:, None] * np.sin(2 * np.pi * t / 52.18 + phase[:, None]))
    rate = np.maximum(rate, 0.05 * base[:, None])
    qty_s = rng.poisson(rng.gamma(4.0, rate / 4.0))
    p = rng.uniform(0.08, 0.45, n_items)
    qty_i = (rng.random((n_items, weeks)) < p[:, None]) * np.ceil(rng.lognormal(np.log(base / p)[:, None] * 0.5, 0.8, (n_items, weeks)))
    qty = np.where(smooth[:, None], qty_s, qty_i).astype(float)
    qty[:, 0] = np.maximum(qty[:, 0], 1)  # every item starts two years back
    start = pd.Timestamp("2024-11-25")
    return pd.DataFrame({"item_id": np.repeat([f"I{i:06d}" for i in range(n_items)], weeks),
                         "date": np.tile(start + pd.to_timedelta(t * 7, unit="D"), n_items),
                         "qty": qty.ravel()})


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    ap.add_argument("--n-jobs", type=int, default=2)
    args = ap.parse_args(argv)
    rows = []
    for n in args.sizes:
        hist = generate(n)
        t0 = time.perf_counter()
        res = build_forecast(hist, 26, "W", as_of="2026-11-23", settings=ForecastSettings(n_jobs=args.n_jobs),
                             progress=lambda m: print(f"  [{time.perf_counter() - t0:7.1f}s] {m}", file=sys.stderr, flush=True))
        wall = time.perf_counter() - t0
        classes = res.classes.demand_class.value_counts().to_dict()
        load = os.getloadavg()[0]
        rows.append(dict(items=n, wall_s=round(wall, 1), s_per_1000=round(wall / n * 1000, 1),
                         rows=len(res.forecast), load_avg_1min=round(load, 1), classes=str(classes)))
        print(f"{n} items: {wall:.1f} s ({wall / n * 1000:.1f} s per 1,000 items; load average {load:.1f}) "
              f"classes {classes}", flush=True)
    table = pd.DataFrame(rows)
    print(table.to_string(index=False))
    (HERE / "results").mkdir(exist_ok=True)
    table.to_csv(HERE / "results" / "speed.csv", index=False)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
