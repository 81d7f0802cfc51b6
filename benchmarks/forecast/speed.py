"""Speed of planlib's forecast on generated weekly items (model choice included), locally and on Dask.

Usage (from the repository root)::

    flock /tmp/planlib-bench.lock nice -n 10 .venv/bin/python benchmarks/forecast/speed.py   # 1,000 and 10,000 items
    ... speed.py --sizes 1000 10000 100000                 # up to 100,000 items
    ... speed.py --sizes 2000 --dask local:1 local:2       # also on local Dask clusters of 1 and 2 workers
    ... speed.py --sizes 10000 --setting screen_min_items=5000   # an experiment: candidate screening on

Each item has two years (104 weeks) of history; the horizon is 26 weeks. The
mix follows the sample factory: 60 % finished-good-like items (level, trend,
yearly season, gamma-Poisson noise) and 40 % spare-part-like items
(Bernoulli occurrence x log-normal size), generated with a fixed seed; the
26 weeks after the history are drawn from the same processes afterwards (the
history is the same as without them) and score the forecast out of sample:
MASE (mean over items of MAE / in-sample MAE of the lag-1 naive), RMSSE (M5)
and WAPE. The whole :func:`planlib.forecast.build_forecast` is timed:
bucketing, classification, screening, backtest, selection, final fit,
quantiles. Prints wall seconds, CPU seconds (this process and its worker
processes; Dask workers are not counted) and seconds per 1,000 items; with
``--dask`` the same items again on the cluster, whether every number is the
same, and the wall-time ratio. Writes ``benchmarks/forecast/results/speed.csv``.
"""
from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))

from planlib.forecast import ForecastSettings, build_forecast  # noqa: E402

AS_OF = "2026-11-23"


def generate(n_items: int, weeks: int = 104, seed: int = 0, future: int = 0):
    """History of ``n_items`` items (``item_id, date, qty``) and, with ``future`` > 0, the next
    ``future`` weeks of the same processes (drawn after the history, which stays the same)."""
    rng = np.random.default_rng(seed)
    t = np.arange(weeks)
    smooth = rng.random(n_items) < 0.6
    base = np.where(smooth, np.exp(rng.normal(np.log(50), 0.8, n_items)), np.exp(rng.normal(np.log(4), 0.6, n_items)))
    trend = rng.uniform(-0.1, 0.25, n_items) / 52
    amp = np.where(smooth, rng.uniform(0, 0.35, n_items), 0)
    phase = rng.uniform(0, 2 * np.pi, n_items)

    def rate_at(tt):
        r = base[:, None] * (1 + trend[:, None] * (tt - weeks)) * (1 + amp[:, None] * np.sin(
            2 * np.pi * tt / 52.18 + phase[:, None]))
        return np.maximum(r, 0.05 * base[:, None])

    qty_s = rng.poisson(rng.gamma(4.0, rate_at(t) / 4.0))
    p = rng.uniform(0.08, 0.45, n_items)
    qty_i = (rng.random((n_items, weeks)) < p[:, None]) * np.ceil(rng.lognormal(np.log(base / p)[:, None] * 0.5, 0.8, (n_items, weeks)))
    qty = np.where(smooth[:, None], qty_s, qty_i).astype(float)
    qty[:, 0] = np.maximum(qty[:, 0], 1)  # every item starts two years back
    start = pd.Timestamp("2024-11-25")
    ids = np.array([f"I{i:06d}" for i in range(n_items)])

    def frame(q, tt):
        return pd.DataFrame({"item_id": np.repeat(ids, len(tt)),
                             "date": np.tile(start + pd.to_timedelta(tt * 7, unit="D"), n_items),
                             "qty": q.ravel()})

    hist = frame(qty, t)
    if not future:
        return hist
    tf = np.arange(weeks, weeks + future)
    fs = rng.poisson(rng.gamma(4.0, rate_at(tf) / 4.0))
    fi = (rng.random((n_items, future)) < p[:, None]) * np.ceil(rng.lognormal(np.log(base / p)[:, None] * 0.5, 0.8, (n_items, future)))
    return hist, frame(np.where(smooth[:, None], fs, fi).astype(float), tf)


def score(hist: pd.DataFrame, test: pd.DataFrame, fc: pd.DataFrame) -> dict:
    """MASE and RMSSE (lag-1 scales, mean over items with a non-zero scale) and WAPE [%] over the test weeks."""
    t = test.merge(fc.rename(columns={"period_start": "date"})[["item_id", "date", "forecast"]],
                   on=["item_id", "date"], how="left")
    if t.forecast.isna().any():
        raise RuntimeError(f"{int(t.forecast.isna().sum())} forecasts missing")
    y, f = t.qty.to_numpy(), t.forecast.to_numpy()
    t["ae"], t["se"] = np.abs(y - f), (y - f) ** 2
    h = hist.sort_values(["item_id", "date"])
    d = h.groupby("item_id").qty.diff()
    mae_s, mse_s = d.abs().groupby(h.item_id).mean(), (d ** 2).groupby(h.item_id).mean()
    per = t.groupby("item_id").agg(mae=("ae", "mean"), mse=("se", "mean"))
    mase = (per.mae / mae_s.reindex(per.index))[mae_s.reindex(per.index) > 0]
    rmsse = np.sqrt(per.mse / mse_s.reindex(per.index))[mse_s.reindex(per.index) > 0]
    return {"test_mase": round(float(mase.mean()), 4), "test_rmsse": round(float(rmsse.mean()), 4),
            "test_wape_pct": round(float(100 * t.ae.sum() / t.qty.sum()), 2)}


def cpu_seconds() -> float:
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def timed(hist, settings, label):
    t0, c0 = time.perf_counter(), cpu_seconds()
    res = build_forecast(hist, 26, "W", as_of=AS_OF, settings=settings,
                         progress=lambda m: print(f"  [{label} {time.perf_counter() - t0:7.1f}s] {m}",
                                                  file=sys.stderr, flush=True))
    return res, time.perf_counter() - t0, cpu_seconds() - c0


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    ap.add_argument("--n-jobs", type=int, default=2)
    ap.add_argument("--dask", metavar="ADDRESS|local:N", nargs="+", default=[],
                    help="also run every size on these Dask clusters (e.g. local:1 local:2), check that the "
                         "numbers are the same and print the wall-time ratio to the local run")
    ap.add_argument("--setting", action="append", default=[], metavar="NAME=VALUE",
                    help="a ForecastSettings field (repeatable), e.g. screen_min_items=0")
    args = ap.parse_args(argv)
    changes = {}
    for item in args.setting:
        name, _, value = item.partition("=")
        if name not in ForecastSettings.__dataclass_fields__ or not value:
            raise SystemExit(f"--setting {item!r}: give NAME=VALUE with a ForecastSettings field")
        changes[name] = int(value) if value.lstrip("-").isdigit() else value
    settings = ForecastSettings(n_jobs=args.n_jobs, **changes)
    rows = []
    for n in args.sizes:
        hist, test = generate(n, future=26)
        res, wall, cpu = timed(hist, settings, "local")
        classes = res.classes.demand_class.value_counts().to_dict()
        screened = ("; ".join(f"{c}: {', '.join(g[g.dropped].model)}"
                              for c, g in res.screening.groupby("demand_class") if g.dropped.any())
                    if res.screening is not None and len(res.screening) else "")
        load = os.getloadavg()[0]
        row = dict(items=n, run="local", wall_s=round(wall, 1), cpu_s=round(cpu, 1),
                   wall_s_per_1000=round(wall / n * 1000, 2), cpu_s_per_1000=round(cpu / n * 1000, 2),
                   **score(hist, test, res.forecast), load_avg_1min=round(load, 1),
                   settings=str(changes), screening_dropped=screened, classes=str(classes))
        rows.append(row)
        print(f"{n} items local: {wall:.1f} s wall, {cpu:.1f} s CPU ({wall / n * 1000:.2f} s wall per 1,000 items); "
              f"test MASE {row['test_mase']}, RMSSE {row['test_rmsse']}, WAPE {row['test_wape_pct']} %; "
              f"load {load:.1f}; dropped by screening: {screened or 'nothing'}", flush=True)
        for spec in args.dask:
            from planlib.cluster import open_cluster

            with open_cluster(spec) as address:
                dres, dwall, dcpu = timed(hist, replace(settings, dask=address), f"dask {spec}")
            same = all(getattr(res, name).equals(getattr(dres, name))
                       for name in ("forecast", "backtest", "accuracy", "classes"))
            load = os.getloadavg()[0]
            rows.append(dict(items=n, run=f"dask {spec}", wall_s=round(dwall, 1), cpu_s=round(dcpu, 1),
                             wall_s_per_1000=round(dwall / n * 1000, 2), cpu_s_per_1000=round(dcpu / n * 1000, 2),
                             **score(hist, test, dres.forecast), load_avg_1min=round(load, 1), settings=str(changes),
                             same_numbers=same, wall_ratio_dask_to_local=round(dwall / wall, 3)))
            print(f"{n} items on Dask {spec}: {dwall:.1f} s wall (ratio to local {dwall / wall:.3f}); "
                  f"same numbers as local: {same}; load {load:.1f}", flush=True)
    table = pd.DataFrame(rows)
    print(table.drop(columns=["classes"], errors="ignore").to_string(index=False))
    (HERE / "results").mkdir(exist_ok=True)
    table.to_csv(HERE / "results" / "speed.csv", index=False)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
