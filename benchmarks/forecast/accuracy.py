"""Score planlib's forecast against public data, beside statsforecast's single models.

Usage (from the repository root)::

    nice -n 10 .venv/bin/python benchmarks/forecast/accuracy.py m3        # M3 monthly, 1428 series, h=18
    nice -n 10 .venv/bin/python benchmarks/forecast/accuracy.py m4w       # M4 weekly, 359 series, h=13
    nice -n 10 .venv/bin/python benchmarks/forecast/accuracy.py carparts  # 2509 complete series, h=12
    ... --limit 200      # first 200 series only (a quick look)
    ... --singles AutoETS,AutoTheta,SeasonalNaive   # leave AutoARIMA out (slow)

One run fits planlib (``build_forecast`` with its default settings: the
per-item backtest chooses the model) and each single statsforecast model on
the same training data, forecasts the same horizon and prints MASE, sMAPE,
RMSSE, WQL and wall time. Results also go to
``benchmarks/forecast/results/<dataset>.csv``. Data and published figures:
``benchmarks/forecast/README.md``.

Metrics (the conventions of the published tables)
-------------------------------------------------
MASE   mean over series of MAE_h / in-sample mean |y_t - y_{t-m}|
       (m = 12 for M3 monthly and carparts, m = 1 for M4 weekly); series with
       a zero scale are left out (carparts: 16).
sMAPE  mean over series of mean_h 200 |y - f| / (|y| + |f|) (0/0 counts 0).
RMSSE  mean over series of sqrt(MSE_h / in-sample mean (y_t - y_{t-1})^2)
       (the M5 scale, lag 1); zero-scale series left out.
WQL    2 sum_{q,i,t} pinball_q / (9 sum_{i,t} |y|), q = 0.1 .. 0.9, pooled
       over all series (fev / GluonTS "mean weighted quantile loss").
"""
from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))

from planlib.forecast import ForecastSettings, build_forecast, make_model

QUANTILES = np.round(np.arange(0.1, 0.91, 0.1), 2)
# levels whose interval ends are the deciles 0.1 .. 0.9 (plus the 50/80/95 planlib writes)
LEVELS = (20, 40, 50, 60, 80, 95)


def load_dataset(name: str, limit: int | None):
    """(train, test, bucket, h, m_mase) with long frames item_id, date, qty."""
    d = HERE / "data"
    if name == "m3":
        tr = pd.read_csv(d / "m3_monthly_train.csv.gz")
        te = pd.read_csv(d / "m3_monthly_test.csv.gz")
        bucket, h, m = "M", 18, 12
        base = pd.Period("2000-01", "M").ordinal  # every series' last training month
        to_date = lambda t: pd.PeriodIndex.from_ordinals(base + t.to_numpy(), freq="M").to_timestamp()
    elif name == "m4w":
        tr = pd.read_csv(d / "m4_weekly_train.csv.gz")
        te = pd.read_csv(d / "m4_weekly_test.csv.gz")
        bucket, h, m = "W", 13, 1
        base = pd.Timestamp("2000-01-03")  # a Monday: every series' last training week
        to_date = lambda t: base + pd.to_timedelta(t.to_numpy() * 7, unit="D")
    elif name == "carparts":
        cp = pd.read_csv(d / "carparts.csv.gz", parse_dates=["ds"])
        bad = cp[cp.y.isna()].unique_id.unique()
        cp = cp[~cp.unique_id.isin(bad)]
        cp = cp.sort_values(["unique_id", "ds"])
        cp["t"] = cp.groupby("unique_id").cumcount() + 1
        tr, te = cp[cp.t <= 39], cp[cp.t > 39]
        bucket, h, m = "M", 12, 12
        to_date = None
    else:
        raise SystemExit(f"unknown dataset {name!r}: m3, m4w or carparts")
    ids = sorted(tr.unique_id.unique())
    if limit:
        ids = ids[:limit]
        tr, te = tr[tr.unique_id.isin(ids)], te[te.unique_id.isin(ids)]
    # series have different lengths: align them on their last training period
    # (t below is counted back from it: 0 = last training period, 1 = first test period)
    n_train = tr.groupby("unique_id").t.max()
    out = []
    for f in (tr, te):
        f = f.copy()
        f["t"] = f.t - f.unique_id.map(n_train)
        f["item_id"] = f.unique_id.astype(str)
        f["date"] = f.ds if to_date is None else to_date(f.t)
        f["qty"] = f.y.astype(float)
        out.append(f[["item_id", "date", "qty"]].sort_values(["item_id", "date"]).reset_index(drop=True))
    return out[0], out[1], bucket, h, m


def score(train: pd.DataFrame, test: pd.DataFrame, fc: pd.DataFrame, m: int) -> dict:
    """MASE, sMAPE, RMSSE (means over series) and WQL (pooled) of a forecast frame
    with columns item_id, date, forecast, q_0.1 .. q_0.9."""
    t = test.merge(fc, on=["item_id", "date"], how="left")
    if t.forecast.isna().any():
        raise RuntimeError(f"{int(t.forecast.isna().sum())} forecasts missing")
    y, f = t.qty.to_numpy(), t.forecast.to_numpy()
    t["ae"], t["se"] = np.abs(y - f), (y - f) ** 2
    den = np.abs(y) + np.abs(f)
    t["smape"] = np.where(den > 0, 200 * np.abs(y - f) / np.where(den > 0, den, 1), 0.0)
    g = train.groupby("item_id").qty
    mase_scale = g.apply(lambda v: np.mean(np.abs(v.to_numpy()[m:] - v.to_numpy()[:-m])))
    rmsse_scale = g.apply(lambda v: np.mean(np.diff(v.to_numpy()) ** 2))
    per = t.groupby("item_id").agg(mae=("ae", "mean"), mse=("se", "mean"), smape=("smape", "mean"))
    ms, rs = mase_scale.reindex(per.index), rmsse_scale.reindex(per.index)
    mase = (per.mae / ms)[ms > 0]
    rmsse = np.sqrt(per.mse / rs)[rs > 0]
    pin = 0.0
    for q in QUANTILES:
        qf = t[f"q_{q:g}"].to_numpy()
        pin += np.sum(np.maximum(q * (y - qf), (q - 1) * (y - qf)))
    wql = 2 * pin / (len(QUANTILES) * np.abs(y).sum())
    return dict(MASE=mase.mean(), sMAPE=per.smape.mean(), RMSSE=rmsse.mean(), WQL=wql,
                n_series=len(per), n_mase=len(mase))


def run_planlib(train, h, bucket, n_jobs, overrides=None):
    s = ForecastSettings(levels=LEVELS, n_jobs=n_jobs, **(overrides or {}))
    t0 = time.perf_counter()
    res = build_forecast(train, h, bucket, settings=s,
                         progress=lambda msg: print(f"  planlib: {msg}", file=sys.stderr, flush=True))
    wall = time.perf_counter() - t0
    fc = res.forecast.rename(columns={"period_start": "date"})
    for q in QUANTILES:
        lv = int(round(abs(q - 0.5) * 200))
        fc[f"q_{q:g}"] = fc["forecast"] if lv == 0 else fc[f"{'lo' if q < 0.5 else 'hi'}_{lv}"]
    # planlib's forecast is the mean; the median for WQL is taken between the 0.4 and 0.6 quantiles
    fc["q_0.5"] = (fc["lo_20"] + fc["hi_20"]) / 2
    return fc, wall, res


def run_single(name, train, h, bucket, season_length, n_jobs):
    from statsforecast import StatsForecast
    from statsforecast.models import Naive

    df = train.rename(columns={"item_id": "unique_id", "date": "ds", "qty": "y"})
    model = make_model(name, season_length, ets_max_season=None)  # statsforecast's own models
    sf = StatsForecast(models=[model], freq="W-MON" if bucket == "W" else "MS", n_jobs=n_jobs,
                       fallback_model=Naive())
    t0 = time.perf_counter()
    no_intervals = name in ("CrostonSBA", "CrostonOptimized", "TSB", "ADIDA", "IMAPA")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = sf.forecast(h=h, df=df, level=None if no_intervals else [20, 40, 60, 80])
    wall = time.perf_counter() - t0
    out = out.reset_index() if "unique_id" not in out.columns else out
    fc = pd.DataFrame({"item_id": out.unique_id.astype(str), "date": out.ds,
                       "forecast": out[name].to_numpy()})
    for q in QUANTILES:  # models without intervals get no WQL (NaN)
        lv = int(round(abs(q - 0.5) * 200))
        fc[f"q_{q:g}"] = (np.nan if no_intervals else out[name].to_numpy() if lv == 0
                          else out[f"{name}-{'lo' if q < 0.5 else 'hi'}-{lv}"].to_numpy())
    return fc, wall


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("dataset", choices=["m3", "m4w", "carparts"])
    ap.add_argument("--limit", type=int, help="first N series only")
    ap.add_argument("--singles", default="AutoETS,AutoTheta,AutoARIMA,SeasonalNaive",
                    help="statsforecast single models to run beside planlib ('' for none)")
    ap.add_argument("--n-jobs", type=int, default=2)
    ap.add_argument("--setting", action="append", default=[], metavar="NAME=VALUE",
                    help="a ForecastSettings field for planlib (repeatable), e.g. calibrate_intervals=true; "
                         "the default settings are what the published figures use")
    args = ap.parse_args(argv)
    overrides = {}
    for item in args.setting:
        name, _, value = item.partition("=")
        if name not in ForecastSettings.__dataclass_fields__ or not value:
            raise SystemExit(f"--setting {item!r}: give NAME=VALUE with a ForecastSettings field")
        low = value.lower()
        overrides[name] = (low == "true") if low in ("true", "false") else type_of(value)
    train, test, bucket, h, m = load_dataset(args.dataset, args.limit)
    season = 52 if bucket == "W" else 12
    print(f"{args.dataset}: {train.item_id.nunique()} series, h={h}, MASE m={m}", flush=True)
    rows = []
    if overrides:
        print(f"  planlib settings: {overrides}", flush=True)
    fc, wall, res = run_planlib(train, h, bucket, args.n_jobs, overrides)
    r = score(train, test, fc, m)
    r.update(method="planlib", wall_s=wall)
    rows.append(r)
    print(f"  planlib  {r}", flush=True)
    models = res.forecast.groupby("item_id").model.first().value_counts()
    print("  planlib models chosen: " + ", ".join(f"{k} {v}" for k, v in models.head(12).items()), flush=True)
    tot = res.accuracy[res.accuracy.item_id == "TOTAL"].iloc[0]
    print(f"  planlib backtest coverage 50/80/95: {tot.coverage_50:.1f} / {tot.coverage_80:.1f} / "
          f"{tot.coverage_95:.1f} %", flush=True)
    # coverage on the test set
    t = test.merge(fc, on=["item_id", "date"])
    cov = {lv: 100 * np.mean((t.qty >= t[f"lo_{lv}"] - 1e-9) & (t.qty <= t[f"hi_{lv}"] + 1e-9)) for lv in (50, 80, 95)}
    print(f"  planlib test coverage 50/80/95: {cov[50]:.1f} / {cov[80]:.1f} / {cov[95]:.1f} %", flush=True)
    rows[-1].update({f"coverage_{k}": v for k, v in cov.items()})
    for name in [n for n in args.singles.split(",") if n]:
        fc, wall = run_single(name, train, h, bucket, season, args.n_jobs)
        r = score(train, test, fc, m)
        r.update(method=name, wall_s=wall)
        rows.append(r)
        print(f"  {name:<13} {r}", flush=True)
    table = pd.DataFrame(rows)[["method", "MASE", "sMAPE", "RMSSE", "WQL", "wall_s", "n_series", "n_mase"]
                               + [c for c in ("coverage_50", "coverage_80", "coverage_95") if c in rows[0]]]
    print(table.to_string(index=False, float_format=lambda v: f"{v:.4f}"))
    out = HERE / "results"
    out.mkdir(exist_ok=True)
    tag = "".join(f"_{k}-{v}" for k, v in overrides.items())
    table.to_csv(out / f"{args.dataset}{'_limit' + str(args.limit) if args.limit else ''}{tag}.csv", index=False)
    return 0


def type_of(value: str):
    """A number if it reads as one, else the text."""
    for kind in (int, float):
        try:
            return kind(value)
        except ValueError:
            pass
    return value


if __name__ == "__main__":
    raise SystemExit(main())
