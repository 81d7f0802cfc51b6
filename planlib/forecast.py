"""Demand forecasting for planners, built on statsforecast (Nixtla).

planlib does not fit ETS, ARIMA, Theta or Croston itself: statsforecast does.
This module adds what a planner needs around those models:

* :func:`bucket_history` turns ``demand_history`` (daily transactions or bucket
  totals) into planning buckets, zero-filled, returns netted.
* :func:`classify_demand` sorts items into smooth, erratic, intermittent and
  lumpy (Syntetos, Boylan & Croston 2005) and flags new, short-history,
  dormant and no-demand items.
* :func:`clean_outliers` optionally caps one-off spikes and reports them.
* :func:`screen_models` screens the candidates of a large smooth or erratic
  class on a sample of its items, keeping those that earn their cost;
* :func:`backtest` runs a rolling-origin backtest (statsforecast
  cross-validation) of the candidate models of each item's class;
  :func:`select_models` chooses per item the model, or the combination of the
  best models, with the lowest backtest error; :func:`accuracy` scores it.
* :func:`forecast_demand` puts it together: point forecast (the expected
  demand MRP consumes), 50/80/95 % intervals, planner overrides.
* :func:`build_forecast` returns the forecast with its backtest, accuracy
  table, demand classes, outlier report and problems (what the CLI writes).

The fits go to statsforecast in chunks of items, with a progress line and
the time left after each; with ``ForecastSettings.dask`` they run on a Dask
cluster with the same numbers (:mod:`planlib.cluster`, ``docs/dask.md``).

Formulas, choices and references: ``docs/forecast.md``. Vocabulary:
``docs/glossary.md`` (item, demand, forecast, bucket).
"""
from __future__ import annotations

import math
import time
import warnings
import zlib
from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from planlib.buckets import bucket_start, pandas_freq, period_number, period_start
from planlib.problems import InputError, Problems

SMOOTH_MODELS_W = ("AutoETS", "AutoTheta", "MSTL", "SeasonalNaive")
SMOOTH_MODELS_M = ("AutoETS", "AutoTheta", "AutoCES", "SeasonalNaive")
INTERMITTENT_MODELS = ("CrostonSBA", "TSB", "ADIDA", "IMAPA")
BENCHMARK_MODEL = "SeasonalNaive"


@dataclass(frozen=True)
class ForecastSettings:
    """Settings of the forecast engine (plan-wide settings stay in ``PlanParams``).

    Attributes
    ----------
    season_length : int or None
        Periods per season; None for 52 (weekly buckets) or 12 (monthly).
    levels : tuple of int
        Central interval levels in percent; 50, 80 and 95 are always written.
    n_windows : int
        Rolling origins of the backtest.
    backtest_horizon : int or None
        Periods scored after each origin; None for ``min(horizon, 13)``
        weekly and ``min(horizon, 6)`` monthly (a planning lead time).
    step_size : int or None
        Periods between origins; None for ``ceil(backtest_horizon / 2)``.
    min_train : int or None
        Fewest periods a backtest fit may use; None for ``max(8, backtest_horizon)``.
    smooth_models, intermittent_models : tuple of str or None
        Candidate statsforecast models per class group; None for the defaults
        (weekly: AutoETS, AutoTheta, MSTL, SeasonalNaive; monthly: AutoETS,
        AutoTheta, AutoCES, SeasonalNaive; intermittent and lumpy:
        CrostonSBA, TSB, ADIDA, IMAPA). AutoARIMA is available but not a
        default: it costs 10 to 50 times AutoETS per item.
    combine : int
        Also try the mean of the ``combine`` best models of each item (0 or 1: off).
    adi_cutoff, cv2_cutoff : float
        Classification thresholds (1.32 and 0.49, Syntetos et al. 2005).
    new_periods : int or None
        Items with fewer periods since their first demand are flagged ``new``;
        None for 13 weekly / 3 monthly.
    dormant_periods : int or None
        Items without demand for more than ``max(this, 3 ADI)`` periods are
        flagged ``dormant`` (perhaps discontinued) and warned about; their
        forecast still comes from their model, which fades with the zeros
        (spare parts often come back). None for 26 weekly / 6 monthly.
    net_returns : bool
        Net returns (negative quantities) against shipments in the same
        bucket; False ignores returns.
    clean_outliers : bool
        Cap spikes before fitting (see :func:`clean_outliers`).
    outlier_z : float
        Spike threshold in robust standard deviations.
    tsb_alpha : tuple of float
        TSB smoothing of demand size and probability.
    n_jobs : int
        statsforecast processes (2 = both cores of the project's machines).
    seed : int
        Seed of every random step (none at present; kept for repeatability).
    chunk_size : int
        Items per statsforecast call in the backtest (a progress line after each).
    strategy : {"auto", "item", "combo"}
        How the combination competes with single models (see :func:`select_models`).
    shrink_intermittent, shrink_smooth : float
        Margin by which an item's own best model must beat its class group's
        pooled-best model in the backtest to be chosen (see
        :func:`select_models`); 0 turns shrinkage off. Default 0.2 for
        intermittent and lumpy items (noisy per-item backtests), 0 for smooth
        and erratic ones.
    calibrate_intervals : bool
        Widen the model intervals of smooth and erratic items where the
        backtest found them too narrow (see :func:`interval_scales`); on by
        default, False keeps statsforecast's intervals as they are.
    screen_min_items : int
        A smooth or erratic demand class with at least this many items has its
        candidate models screened on a sample first (see :func:`screen_models`);
        0 (default) never screens. Off by default: on M4 weekly (screening
        forced on 150 of 303 smooth items) it dropped AutoETS and the test MASE
        rose from 2.285 to 2.386 (``docs/forecast.md``); 5,000 is the value
        measured on generated weekly items (34 % less CPU, no worse out of sample).
    screen_sample : int
        Items of the class the screening backtests with every candidate.
    dask : str
        Address of a running Dask scheduler (``tcp://host:8786``) to fit the
        models on, through statsforecast's distributed backend
        (:func:`planlib.cluster.distributed_run`; the same numbers as a local
        run); empty (default): fit here with ``n_jobs`` processes. ``local:N``
        is opened by the caller (:func:`planlib.cluster.open_cluster`), which
        passes its address.
    """

    season_length: int | None = None
    levels: tuple[int, ...] = (50, 80, 95)
    n_windows: int = 3
    backtest_horizon: int | None = None
    step_size: int | None = None
    min_train: int | None = None
    smooth_models: tuple[str, ...] | None = None
    intermittent_models: tuple[str, ...] | None = None
    combine: int = 3
    adi_cutoff: float = 1.32
    cv2_cutoff: float = 0.49
    new_periods: int | None = None
    dormant_periods: int | None = None
    net_returns: bool = True
    clean_outliers: bool = False
    outlier_z: float = 5.0
    tsb_alpha: tuple[float, float] = (0.1, 0.1)
    n_jobs: int = 2
    seed: int = 0
    chunk_size: int = 1000
    strategy: str = "auto"
    shrink_intermittent: float = 0.2
    shrink_smooth: float = 0.0
    calibrate_intervals: bool = True
    screen_min_items: int = 0
    screen_sample: int = 1000
    dask: str = ""

    def resolved(self, bucket: str, horizon: int) -> ForecastSettings:
        """A copy with every ``None`` replaced by its default for the bucket."""
        weekly = bucket == "W"
        m = self.season_length or (52 if weekly else 12)
        hb = self.backtest_horizon or min(horizon, 13 if weekly else 6)
        levels = tuple(sorted(set(int(v) for v in self.levels) | {50, 80, 95}))
        return replace(
            self, season_length=m, backtest_horizon=hb, levels=levels,
            step_size=self.step_size or max(1, math.ceil(hb / 2)),
            min_train=self.min_train or max(8, hb),
            smooth_models=self.smooth_models or (SMOOTH_MODELS_W if weekly else SMOOTH_MODELS_M),
            intermittent_models=self.intermittent_models or INTERMITTENT_MODELS,
            new_periods=self.new_periods or (13 if weekly else 3),
            dormant_periods=self.dormant_periods or (26 if weekly else 6),
        )


@dataclass
class ForecastResult:
    """Everything one forecast run produces (see :func:`build_forecast`)."""

    forecast: pd.DataFrame
    accuracy: pd.DataFrame
    backtest: pd.DataFrame
    classes: pd.DataFrame
    buckets: pd.DataFrame
    outliers: pd.DataFrame
    problems: pd.DataFrame
    settings: ForecastSettings
    bucket: str = "W"
    #: :func:`screen_models`' report (empty when no class was screened).
    screening: pd.DataFrame | None = None


def _bad_rows(history: pd.DataFrame) -> dict[str, np.ndarray]:
    d = history["date"]
    dates = d if pd.api.types.is_datetime64_any_dtype(d) else pd.to_datetime(d, errors="coerce", format="mixed")
    qty = pd.to_numeric(history["qty"], errors="coerce")
    return {"date": dates.isna().to_numpy(),
            "qty": (qty.isna() | ~np.isfinite(qty.fillna(0))).to_numpy(),
            "item_id": (history["item_id"].isna() | (history["item_id"].astype(str).str.strip() == "")).to_numpy()}


def check_history(history: pd.DataFrame, horizon: int = 1) -> Problems:
    """Problems of a forecast's input: missing columns, empty history, unreadable rows, bad horizon.

    Rows with an empty or unreadable ``date``, ``qty`` or ``item_id`` are
    warnings naming the items (:func:`build_forecast` leaves those rows out);
    they are errors when no good row is left. A horizon below 1, missing
    columns and an empty history are errors. ``table`` is ``demand_history``.

    Parameters
    ----------
    history : DataFrame
        ``demand_history``: ``item_id, date, qty`` [uom].
    horizon : int
        Buckets to forecast.

    Returns
    -------
    Problems
        Its ``frame()`` has the columns ``severity, table, row, column, value, problem, fix``.
    """
    p = Problems()
    if not isinstance(horizon, (int, np.integer)) or horizon < 1:
        p.add("(settings)", "", "horizon", horizon, "the forecast horizon must be at least 1 bucket",
              "give --horizon 1 or more (26 weeks is the weekly default)")
    missing = [c for c in ("item_id", "date", "qty") if c not in history.columns]
    if missing:
        p.add("demand_history", "", ", ".join(missing), "", "column(s) missing",
              "give demand_history the columns item_id, date, qty")
        return p
    if len(history) == 0:
        p.add("demand_history", "", "", "", "demand history is empty: nothing to forecast from",
              "export at least one year of shipments per item into demand_history")
        return p
    bad = _bad_rows(history)
    any_bad = bad["date"] | bad["qty"] | bad["item_id"]
    nothing_left = bool(any_bad.all())
    fixes = {"date": "write the date as YYYY-MM-DD", "qty": "write a number (0 for none)",
             "item_id": "give every row an item_id"}
    for col, rows in bad.items():
        if rows.any():
            items = history.loc[rows, "item_id"].astype(str).unique()
            what = ("no row can be used" if nothing_left
                    else "these rows are left out; the items are forecast from their other rows")
            p.add("demand_history", f"{int(rows.sum())} row(s), first at row {int(np.flatnonzero(rows)[0]) + 1}",
                  col, ", ".join(items[:10]) + (" ..." if len(items) > 10 else ""),
                  f"{col} is empty or not readable for item(s) listed: {what}", fixes[col],
                  severity="error" if nothing_left else "warning")
    return p


def bucket_history(history: pd.DataFrame, bucket: str = "W", as_of=None,
                   net_returns: bool = True) -> pd.DataFrame:
    """Demand per item and planning bucket, zero-filled.

    Parameters
    ----------
    history : DataFrame
        ``demand_history``: columns ``item_id, date, qty`` [uom]; daily
        transactions or bucket totals; negative ``qty`` is a return.
    bucket : {"W", "M"}
        Weeks starting Monday or calendar months.
    as_of : date-like, optional
        First day to forecast. History from the bucket holding ``as_of`` on is
        left out (a partial bucket would look like a drop). None: the bucket
        after the one holding the last history date (taken as complete).
    net_returns : bool
        True subtracts returns from shipments of their bucket (a net negative
        bucket becomes 0); False drops returns.

    Returns
    -------
    DataFrame
        Columns ``item_id, period_start, qty`` [uom per bucket], one row per
        item and bucket from the item's first row (its first demand, or an
        earlier explicit zero row: a bucket total of 0 is an observation of no
        demand) to the last bucket before ``as_of`` (missing buckets are 0),
        sorted by item and period.
    """
    h = history[["item_id", "date", "qty"]].copy()
    h["item_id"] = h["item_id"].astype(str)
    h["date"] = pd.to_datetime(h["date"]).dt.normalize()
    h["qty"] = pd.to_numeric(h["qty"]).astype(float)
    if not net_returns:
        h = h[h.qty >= 0]
    if as_of is None:  # the bucket after the last history date: that bucket counts as complete
        last = int(period_number(bucket_start(pd.Series([h["date"].max()]), bucket), bucket)[0])
        first_fc = period_start(np.array([last + 1]), bucket)[0]
    else:
        first_fc = bucket_start(pd.Series([pd.Timestamp(as_of)]), bucket).iloc[0]
    h = h[h["date"] < first_fc]
    end = int(period_number(pd.Series([first_fc]), bucket)[0]) - 1
    h["period"] = period_number(bucket_start(h["date"], bucket), bucket)
    totals = h.groupby(["item_id", "period"], sort=True)["qty"].sum().clip(lower=0)
    if totals.empty:
        return pd.DataFrame({"item_id": pd.Series(dtype=str), "period_start": pd.Series(dtype="datetime64[ns]"),
                             "qty": pd.Series(dtype=float)})
    # an item's history starts at its first row: an explicit zero row (a bucket total of 0)
    # is an observation of no demand, not a bucket before the item existed
    first = totals.reset_index().groupby("item_id")["period"].min().astype("int64")
    n = (end - first.to_numpy() + 1).clip(min=1)
    item = np.repeat(first.index.to_numpy(), n)
    offs = np.arange(n.sum()) - np.repeat(np.cumsum(n) - n, n)
    period = np.repeat(first.to_numpy(), n) + offs
    grid = pd.MultiIndex.from_arrays([item, period], names=["item_id", "period"])
    qty = totals.reindex(grid, fill_value=0.0).to_numpy()
    return pd.DataFrame({"item_id": item, "period_start": period_start(period, bucket).to_numpy(),
                         "qty": qty})


# --------------------------------------------------------------------------- classification

def classify_demand(buckets: pd.DataFrame, adi_cutoff: float = 1.32, cv2_cutoff: float = 0.49,
                    new_periods: int = 13, dormant_periods: int = 26) -> pd.DataFrame:
    """Demand class and lifecycle flags per item.

    ADI is the average interval between non-zero buckets (buckets of history,
    see :func:`bucket_history`, / number of non-zero buckets); CV² is the squared
    coefficient of variation of the non-zero sizes (population variance).
    smooth: ADI < 1.32, CV² < 0.49; erratic: ADI < 1.32, CV² >= 0.49;
    intermittent: ADI >= 1.32, CV² < 0.49; lumpy: ADI >= 1.32, CV² >= 0.49
    (Syntetos, Boylan & Croston 2005, J. Oper. Res. Soc. 56(5), 495-503).

    Parameters
    ----------
    buckets : DataFrame
        Output of :func:`bucket_history`: ``item_id, period_start, qty``.
    adi_cutoff, cv2_cutoff : float
        Class boundaries.
    new_periods : int
        Items with fewer periods of history are flagged ``new``.
    dormant_periods : int
        Items whose last demand is more than ``max(dormant_periods, 3 ADI)``
        periods old are flagged ``dormant``.

    Returns
    -------
    DataFrame
        One row per item: ``item_id, n_periods, n_nonzero, mean_demand``
        [uom per bucket], ``adi`` [buckets], ``cv2`` [-], ``demand_class``,
        ``periods_since_demand`` [buckets], ``flags`` (``;``-separated: ``new``,
        ``no_demand``, ``dormant``).
    """
    b = buckets.sort_values(["item_id", "period_start"], kind="stable")
    g = b.groupby("item_id", sort=True)
    n = g.size()
    nz = b[b.qty > 0]
    gn = nz.groupby("item_id")
    n_nonzero = gn.size().reindex(n.index, fill_value=0)
    mean_size = gn.qty.mean().reindex(n.index)
    var_size = gn.qty.var(ddof=0).reindex(n.index)
    adi = n / n_nonzero.replace(0, np.nan)
    cv2 = (var_size / mean_size**2).fillna(0.0)
    pos = g.cumcount()
    last_nz = b.assign(pos=pos)[b.qty > 0].groupby("item_id").pos.max().reindex(n.index)
    since = (n - 1 - last_nz)
    cls = np.where(adi < adi_cutoff, np.where(cv2 < cv2_cutoff, "smooth", "erratic"),
                   np.where(cv2 < cv2_cutoff, "intermittent", "lumpy"))
    cls = np.where(n_nonzero == 0, "none", cls)
    out = pd.DataFrame({"item_id": n.index, "n_periods": n.to_numpy(), "n_nonzero": n_nonzero.to_numpy(),
                        "mean_demand": g.qty.mean().to_numpy(), "adi": adi.to_numpy(),
                        "cv2": cv2.to_numpy(), "demand_class": cls,
                        "periods_since_demand": since.to_numpy()})
    flags = []
    for r in out.itertuples():
        f = []
        if r.n_nonzero == 0:
            f.append("no_demand")
        else:
            if r.n_periods < new_periods:
                f.append("new")
            if r.periods_since_demand > max(dormant_periods, 3 * r.adi):
                f.append("dormant")
        flags.append(";".join(f))
    out["flags"] = flags
    return out.reset_index(drop=True)


# --------------------------------------------------------------------------- outliers

def clean_outliers(buckets: pd.DataFrame, classes: pd.DataFrame, z: float = 5.0,
                   window: int = 13) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Cap one-off spikes in the bucketed history.

    Smooth and erratic items: a bucket above the centred rolling median
    (``window`` buckets) by more than ``z`` robust standard deviations
    (1.4826 x the item's median absolute deviation from that median) is cut
    to that limit. Intermittent and lumpy items: a non-zero size above
    median + ``z`` x 1.4826 MAD of the item's non-zero sizes is cut to it.
    Items with fewer than 8 non-zero buckets are left alone.

    Parameters
    ----------
    buckets : DataFrame
        ``item_id, period_start, qty`` [uom per bucket] (:func:`bucket_history`).
    classes : DataFrame
        ``item_id, demand_class`` (:func:`classify_demand`).
    z : float
        Robust standard deviations [-] above which a bucket is a spike.
    window : int
        Buckets of the centred rolling median.

    Returns
    -------
    (DataFrame, DataFrame)
        The cleaned buckets (same columns as ``buckets``) and a report with
        columns ``item_id, period_start, qty, cleaned_qty`` [uom] and ``limit``.
    """
    b = buckets.sort_values(["item_id", "period_start"], kind="stable").reset_index(drop=True)
    cls = classes.set_index("item_id").demand_class.reindex(b.item_id).to_numpy()
    limit = np.full(len(b), np.inf)
    smooth = np.isin(cls, ("smooth", "erratic"))
    if smooth.any():
        s = b[smooth]
        med = s.groupby("item_id").qty.transform(
            lambda v: v.rolling(window, center=True, min_periods=1).median())
        mad = (s.qty - med).abs().groupby(s.item_id).transform("median") * 1.4826
        mad = np.maximum(mad, 0.1 * med.abs().groupby(s.item_id).transform("mean") + 1e-9)
        limit[smooth] = (med + z * mad).to_numpy()
    inter = np.isin(cls, ("intermittent", "lumpy")) & (b.qty > 0).to_numpy()
    if inter.any():
        s = b[inter]
        med = s.groupby("item_id").qty.transform("median")
        mad = (s.qty - med).abs().groupby(s.item_id).transform("median") * 1.4826
        mad = np.maximum(mad, 0.25 * med)
        limit[inter] = (med + z * mad).to_numpy()
    nz_count = b[b.qty > 0].groupby("item_id").size().reindex(b.item_id, fill_value=0).to_numpy()
    limit[nz_count < 8] = np.inf
    hit = b.qty.to_numpy() > limit
    report = b[hit].assign(cleaned_qty=limit[hit], limit=limit[hit])
    cleaned = b.copy()
    cleaned.loc[hit, "qty"] = limit[hit]
    return cleaned, report[["item_id", "period_start", "qty", "cleaned_qty", "limit"]].reset_index(drop=True)


# --------------------------------------------------------------------------- models

#: Longest season ETS is fitted with (Hyndman et al. 2008; R's ``forecast::ets`` ignores
#: seasonality above 24 periods).
ETS_MAX_SEASON = 24


def make_model(name: str, season_length: int, tsb_alpha=(0.1, 0.1), ets_max_season: int | None = ETS_MAX_SEASON):
    """The statsforecast model called ``name`` (its alias is ``name``).

    ``AutoETS`` with a season longer than ``ets_max_season`` periods (weekly
    buckets: 52) searches the non-seasonal forms only (``model="ZZN"``), as
    R's ``forecast::ets`` does: statsforecast would otherwise also fit
    seasonal forms with 52 seasonal states, which costs about 14 times as much
    and which ETS is not meant for (Hyndman & Athanasopoulos, *Forecasting:
    principles and practice*, 3rd ed., section 13.1: STL plus a non-seasonal
    method for weekly data). Weekly
    seasonality comes from MSTL, AutoTheta and SeasonalNaive instead.
    ``ets_max_season=None`` gives statsforecast's own AutoETS.
    """
    from statsforecast import models as sm

    m = season_length
    if name == "AutoETS":
        if ets_max_season is not None and m > ets_max_season:
            return sm.AutoETS(season_length=m, model="ZZN", alias="AutoETS")
        return sm.AutoETS(season_length=m)
    if name == "AutoTheta":
        return sm.AutoTheta(season_length=m)
    if name == "AutoARIMA":
        return sm.AutoARIMA(season_length=m)
    if name == "MSTL":
        return sm.MSTL(season_length=m, trend_forecaster=sm.AutoETS(model="ZZN"))
    if name == "SeasonalNaive":
        return sm.SeasonalNaive(season_length=m)
    if name == "Naive":
        return sm.Naive()
    if name == "HistoricAverage":
        return sm.HistoricAverage()
    if name == "CrostonSBA":
        return sm.CrostonSBA()
    if name == "CrostonOptimized":
        return sm.CrostonOptimized()
    if name == "TSB":
        return sm.TSB(alpha_d=tsb_alpha[0], alpha_p=tsb_alpha[1])
    if name == "ADIDA":
        return sm.ADIDA()
    if name == "IMAPA":
        return sm.IMAPA()
    if name == "AutoCES":
        return sm.AutoCES(season_length=m, alias="AutoCES")
    raise ValueError(f"unknown model {name!r}")


_NO_INTERVALS = {"CrostonSBA", "CrostonOptimized", "TSB", "ADIDA", "IMAPA"}


def _run_sf(kind: str, df: pd.DataFrame, names, bucket: str, settings: ForecastSettings, h: int,
            levels=None, n_windows: int = 1, step_size: int = 1) -> pd.DataFrame:
    """statsforecast cross-validation or forecast of models ``names`` on ``df`` (unique_id, ds, y)."""
    from statsforecast import StatsForecast
    from statsforecast.models import Naive

    models = [make_model(n, settings.season_length, settings.tsb_alpha) for n in names]
    lv = list(levels) if levels and not (set(names) & _NO_INTERVALS) else None
    # models with a forward method are fitted once, at the first origin, and
    # carried forward to the later origins (rolling origin without re-estimation)
    refit = bool(set(names) & _NO_INTERVALS) or n_windows == 1
    n_series = df["unique_id"].nunique()
    cheap = model_cost(names) * n_series * (n_windows if kind == "cv" else 1) < CHEAP_CALL_MS
    if settings.dask and not cheap:  # a cheap call costs less here than its trip to the cluster
        from planlib.cluster import distributed_run

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return distributed_run(settings.dask, kind, df, models, pandas_freq(bucket), Naive(), h, lv,
                                   n_windows, step_size, refit)
    n_jobs = min(settings.n_jobs, max(1, n_series))
    if cheap:
        n_jobs = 1  # starting worker processes and sending them the data costs more than the fits
    sf = StatsForecast(models=models, freq=pandas_freq(bucket), n_jobs=n_jobs, fallback_model=Naive())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if kind == "cv":
            out = sf.cross_validation(h=h, df=df, n_windows=n_windows, step_size=step_size, level=lv,
                                      refit=refit)
        else:
            out = sf.forecast(h=h, df=df, level=lv)
    out = out.reset_index() if "unique_id" not in out.columns else out
    return out


def _quantile_levels(levels) -> list[float]:
    qs = {0.5}
    for lv in levels:
        qs |= {round(0.5 - lv / 200, 6), round(0.5 + lv / 200, 6)}
    return sorted(qs)


def _interval_to_quantiles(frame: pd.DataFrame, name: str, levels) -> np.ndarray:
    """Quantile matrix (rows x quantile levels) from statsforecast's lo/hi columns."""
    qs = _quantile_levels(levels)
    out = np.empty((len(frame), len(qs)))
    for j, q in enumerate(qs):
        if q == 0.5:
            out[:, j] = frame[name].to_numpy()
        else:
            lv = int(round(abs(q - 0.5) * 200))
            col = f"{name}-{'lo' if q < 0.5 else 'hi'}-{lv}"
            out[:, j] = frame[col].to_numpy() if col in frame else frame[name].to_numpy()
    return out


def hurdle_quantiles(history: np.ndarray, mean: np.ndarray, quantiles) -> np.ndarray:
    """Quantiles of intermittent demand: a zero/non-zero hurdle with empirical sizes.

    A bucket has demand with probability ``p`` (share of non-zero buckets in
    ``history``); its size is drawn from the item's non-zero sizes, scaled so
    that the mean of the mixture equals ``mean`` (the point forecast). The
    ``q`` quantile is 0 for ``q <= 1 - p`` and otherwise the scaled
    ``(q - (1 - p)) / p`` quantile of the sizes (linear interpolation). This
    is the one-bucket case of the bootstrap of Willemain, Smart & Schwarz
    (2004, Int. J. Forecasting 20(3), 375-387).

    Returns
    -------
    ndarray
        Shape ``(len(mean), len(quantiles))`` [uom], non-negative, ordered.
    """
    mean = np.asarray(mean, dtype=float)
    history = np.asarray(history, dtype=float)
    sizes = history[history > 0]
    qs = np.asarray(quantiles, dtype=float)
    if sizes.size == 0:
        return np.zeros((mean.size, qs.size))
    p = sizes.size / history.size
    rel = sizes / sizes.mean()  # sizes relative to their mean (no overflow for tiny sizes)
    inner = np.clip((qs - (1 - p)) / p, 0, 1)
    size_q = np.where(qs > 1 - p, np.quantile(rel, inner), 0.0)
    return (np.maximum(mean, 0) / p)[:, None] * size_q[None, :]


def _tidy_quantiles(q: np.ndarray) -> np.ndarray:
    """Non-negative and ordered along the quantile axis."""
    q = np.nan_to_num(np.maximum(q, 0.0), nan=0.0)
    return np.sort(q, axis=1)


# --------------------------------------------------------------------------- backtest

#: CPU milliseconds per item and fit of each model, relative weights for the time-left estimate
#: and the order in which :func:`screen_models` tries to drop candidates (measured on 300
#: generated weekly items, 104 weeks: a three-origin backtest, forecast included).
MODEL_COST_MS = {"AutoETS": 6.0, "AutoTheta": 3.0, "MSTL": 6.5, "AutoCES": 6.0, "AutoARIMA": 60.0,
                 "SeasonalNaive": 0.5, "CrostonSBA": 0.05, "TSB": 0.05, "ADIDA": 0.05, "IMAPA": 0.07,
                 "CrostonOptimized": 0.05, "Naive": 0.05, "HistoricAverage": 0.05}


#: Estimated CPU milliseconds below which a statsforecast call runs in this process: starting
#: ``n_jobs`` worker processes and sending them the data costs about half a second (measured:
#: the seasonal naive of 2,000 weekly items took 2.45 s with 2 processes, 2.65 s with one).
CHEAP_CALL_MS = 2000.0


def model_cost(names) -> float:
    """Estimated CPU milliseconds per item and origin of fitting ``names`` (:data:`MODEL_COST_MS`)."""
    return float(sum(MODEL_COST_MS.get(n, 5.0) for n in names)) + 0.05


class _Eta:
    """Progress of a long step: items done of the total and the time left, from the rate so far.

    Work is counted in estimated CPU time (:func:`model_cost`), so that a chunk of cheap
    intermittent items does not make the smooth items ahead look quick.
    """

    def __init__(self, progress, step: str) -> None:
        self.progress, self.step = progress, step
        self.total = 0.0
        self.work = 0.0
        self.items = 0
        self.t0 = time.perf_counter()

    def done(self, items: int, work: float, what: str) -> None:
        self.items += items
        self.work += work
        if not self.progress or self.total <= 0:
            return
        spent = time.perf_counter() - self.t0
        share = min(1.0, self.work / self.total)
        # the rate of the first seconds says little (process start, imports)
        left = spent * (1 - share) / share if share > 0 and (spent >= 5 or share >= 0.05) else float("nan")
        self.progress(f"  {self.step}: {what} done ({100 * share:.0f} % of the {self.step}; "
                      f"{_duration(spent)} so far, about {_duration(left)} left)")


def _duration(seconds: float) -> str:
    if not np.isfinite(seconds):
        return "?"
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:.1f} h"


class _ItemRows:
    """The rows of chosen items of a long table, by position (one pass over the table, not one per chunk)."""

    def __init__(self, frame: pd.DataFrame, key: str = "unique_id") -> None:
        self.frame = frame
        self.pos = frame.groupby(key, sort=False).indices

    def __call__(self, items) -> pd.DataFrame:
        parts = [self.pos[i] for i in items if i in self.pos]
        rows = np.sort(np.concatenate(parts)) if parts else np.array([], dtype=np.int64)
        return self.frame.take(rows)


def _plan_groups(classes: pd.DataFrame, s: ForecastSettings) -> pd.DataFrame:
    """Per item: model group, backtest horizon and windows it can afford."""
    c = classes.copy()
    c["group"] = np.where(c.demand_class.isin(("smooth", "erratic")), "smooth",
                          np.where(c.demand_class.isin(("intermittent", "lumpy")), "intermittent", "none"))
    c.loc[c["flags"].str.contains("no_demand"), "group"] = "none"
    hb, step = s.backtest_horizon, s.step_size
    avail = c.n_periods - s.min_train
    w = np.floor((avail - hb) / step).astype(int) + 1
    c["bt_windows"] = np.clip(w, 0, s.n_windows)
    c["bt_horizon"] = hb
    short = (c.bt_windows == 0) & (avail >= 1)
    c.loc[short, "bt_windows"] = 1
    c.loc[short, "bt_horizon"] = np.minimum(hb, avail[short])
    c.loc[avail < 1, ["bt_windows", "bt_horizon"]] = 0
    c.loc[c.group == "none", ["bt_windows", "bt_horizon"]] = 0
    return c


def backtest(buckets: pd.DataFrame, classes: pd.DataFrame, bucket: str = "W",
             settings: ForecastSettings | None = None, horizon: int = 26,
             progress: Callable[[str], None] | None = None,
             candidates: dict[str, tuple[str, ...]] | None = None) -> pd.DataFrame:
    """Rolling-origin backtest of every candidate model (statsforecast cross-validation).

    Items are grouped by candidate set (smooth/erratic or intermittent/lumpy)
    and by the backtest their history affords (``n_windows`` origins
    ``step_size`` apart, each scored ``backtest_horizon`` periods ahead; a
    short history gets one shorter window).

    Parameters
    ----------
    buckets : DataFrame
        ``item_id, period_start, qty`` [uom per bucket] (:func:`bucket_history`).
    classes : DataFrame
        ``item_id, demand_class`` (:func:`classify_demand`); the class picks the candidates.
    bucket : {"W", "M"}
    settings : ForecastSettings, optional
        Candidate models, ``n_windows``, ``step_size``, ``backtest_horizon``.
    horizon : int
        The forecast horizon [buckets]; the backtest horizon is at most this.
    progress : callable, optional
        Called with a line of text per group of items and per chunk of
        ``chunk_size`` items (items done, total, time left).
    candidates : dict, optional
        Candidate models per demand class (``{"smooth": ("AutoETS", "AutoTheta")}``,
        see :func:`screen_models`), instead of the class group's candidates
        of ``settings``; the benchmark is added to every set.

    Returns
    -------
    DataFrame
        Long format, one row per item, origin, period and model:
        ``item_id, cutoff, period_start, step`` (1 = first period after the
        origin), ``actual`` [uom], ``model``, ``forecast`` [uom] and the
        quantile columns ``q_0.025 ... q_0.975`` [uom] (non-negative, ordered).
        ``model`` includes the benchmark ``SeasonalNaive`` for every item.
    """
    s = (settings or ForecastSettings()).resolved(bucket, horizon)
    plan = _plan_groups(classes, s)
    qs = _quantile_levels(s.levels)
    frames = []
    df_all = buckets.rename(columns={"item_id": "unique_id", "period_start": "ds", "qty": "y"})
    default = {"smooth": s.smooth_models, "intermittent": s.intermittent_models}
    plan["cands"] = [",".join((candidates or {}).get(c, default.get(g, ())))
                     for c, g in zip(plan.demand_class, plan.group)]
    keys = (plan[plan.bt_windows > 0].groupby(["group", "bt_horizon", "bt_windows", "cands"], sort=True)
            .item_id.apply(list))
    eta = _Eta(progress, "backtest")
    for (group, hb, w, cands), items in keys.items():
        names = [n for n in cands.split(",") if n]
        if BENCHMARK_MODEL not in names:
            names.append(BENCHMARK_MODEL)
        eta.total += len(items) * model_cost(names) * int(w)
    rows_of = _ItemRows(df_all)
    for (group, hb, w, cands), items in keys.items():
        df = rows_of(items)
        names = [n for n in cands.split(",") if n]
        if BENCHMARK_MODEL not in names:
            names.append(BENCHMARK_MODEL)
        if progress:
            progress(f"backtest {len(items)} {group} item(s): {w} origin(s) x {hb} period(s), "
                     f"{', '.join(names)}")
        chunks = [items[i:i + s.chunk_size] for i in range(0, len(items), s.chunk_size)]
        cvs = []
        for i, chunk_items in enumerate(chunks):
            dfc = rows_of(chunk_items) if len(chunks) > 1 else df
            parts = []
            for chunk in ([n for n in names if n not in _NO_INTERVALS], [n for n in names if n in _NO_INTERVALS]):
                if chunk:
                    parts.append(_run_sf("cv", dfc, chunk, bucket, s, int(hb), s.levels, int(w),
                                         min(s.step_size, int(hb))))
            part = parts[0]
            for p in parts[1:]:
                part = part.merge(p.drop(columns="y"), on=["unique_id", "ds", "cutoff"])
            cvs.append(part)
            eta.done(len(chunk_items), len(chunk_items) * model_cost(names) * int(w),
                     f"{min((i + 1) * s.chunk_size, len(items))} of {len(items)} {group} item(s)")
        cv = pd.concat(cvs, ignore_index=True) if len(cvs) > 1 else cvs[0]
        cv = cv.sort_values(["unique_id", "cutoff", "ds"], kind="stable").reset_index(drop=True)
        step = cv.groupby(["unique_id", "cutoff"]).cumcount().to_numpy() + 1
        hq = None
        if group == "intermittent":
            hq = _hurdle_backtest(df, cv, qs)
        for name in names:
            if name in _NO_INTERVALS:
                q = hq(cv[name].to_numpy())
            else:
                q = _interval_to_quantiles(cv, name, s.levels)
            q = _tidy_quantiles(q)
            f = pd.DataFrame({"item_id": cv.unique_id.to_numpy(), "cutoff": cv.cutoff.to_numpy(),
                              "period_start": cv.ds.to_numpy(), "step": step, "actual": cv.y.to_numpy(),
                              "model": name, "forecast": np.maximum(cv[name].to_numpy(), 0.0)})
            for j, ql in enumerate(qs):
                f[f"q_{ql:g}"] = q[:, j]
            frames.append(f)
    if not frames:
        cols = ["item_id", "cutoff", "period_start", "step", "actual", "model", "forecast"]
        return pd.DataFrame(columns=cols + [f"q_{q:g}" for q in qs])
    return pd.concat(frames, ignore_index=True)


def _hurdle_backtest(df: pd.DataFrame, cv: pd.DataFrame, qs):
    """A function mapping CV point forecasts to hurdle quantiles fitted on each origin's past."""
    by_item = {k: (g.ds.to_numpy(), g.y.to_numpy()) for k, g in df.groupby("unique_id", sort=False)}
    keys = cv[["unique_id", "cutoff"]].to_numpy()
    blocks = np.flatnonzero(np.r_[True, (keys[1:] != keys[:-1]).any(axis=1)])
    ends = np.r_[blocks[1:], len(cv)]

    def apply(mean: np.ndarray) -> np.ndarray:
        out = np.zeros((len(cv), len(qs)))
        for a, b in zip(blocks, ends):
            ds, y = by_item[keys[a, 0]]
            past = y[ds <= keys[a, 1]]
            out[a:b] = hurdle_quantiles(past, mean[a:b], qs)
        return out

    return apply


# --------------------------------------------------------------------------- screening

def screening_sample(items, n: int) -> np.ndarray:
    """``n`` of ``items`` chosen by a hash of the item id: the same items whatever their order,
    run or machine (CRC-32 of the id, ties by id)."""
    items = np.asarray(sorted(map(str, items)), dtype=object)
    if len(items) <= n:
        return items
    h = np.array([zlib.crc32(i.encode("utf-8")) for i in items], dtype=np.int64)
    return items[np.lexsort((items, h))[:n]]


def holdout_error(bt: pd.DataFrame, classes: pd.DataFrame, models, s: ForecastSettings,
                  scales: pd.Series) -> float:
    """Out-of-sample error of choosing per item among ``models`` (smooth and erratic items).

    The choice (:func:`select_models` with the settings' combination, strategy and shrinkage)
    is made on what was known at each item's last backtest origin (the earlier origins' periods
    up to it) and scored on the last origin's window: each item's mean absolute error divided
    by its in-sample naive MAE (``scales``), averaged over items (a MASE). Items with fewer
    than two origins are left out.

    Parameters
    ----------
    bt : DataFrame
        :func:`backtest` rows of the items, every model of ``models`` among them.
    classes : DataFrame
        :func:`classify_demand` output.
    models : iterable of str
        The candidate set.
    s : ForecastSettings
        Resolved settings.
    scales : Series
        In-sample naive MAE per item (index ``item_id``) [uom].

    Returns
    -------
    float
        The mean scaled error [-]; NaN when no item has two origins.
    """
    b = bt[bt.model.isin(list(models))]
    last = b.groupby("item_id").cutoff.transform("max")
    n_orig = b.groupby("item_id").cutoff.transform("nunique")
    early = b[(b.cutoff < last) & (b.period_start <= last) & (n_orig >= 2)]
    hold = b[(b.cutoff == last) & (n_orig >= 2)]
    if early.empty or hold.empty:
        return float("nan")
    choice, _ = select_models(early, classes, s.combine, s.strategy,
                              {"intermittent": s.shrink_intermittent, "smooth": s.shrink_smooth}, scales)
    members = choice.set_index("item_id").members.str.split("+")
    f = hold.pivot_table(index=["item_id", "period_start"], columns="model", values="forecast", aggfunc="first")
    actual = hold.groupby(["item_id", "period_start"]).actual.first().reindex(f.index).to_numpy()
    item = f.index.get_level_values("item_id")
    use = np.zeros(f.shape, dtype=bool)
    col = {m: j for j, m in enumerate(f.columns)}
    mem = members.reindex(item)
    for r, ms in enumerate(mem):
        if isinstance(ms, list):
            for m in ms:
                if m in col:
                    use[r, col[m]] = True
    v = f.to_numpy(dtype=float)
    with np.errstate(invalid="ignore"):
        pred = np.nansum(np.where(use, v, 0.0), axis=1) / use.sum(axis=1)
    ae = pd.Series(np.abs(actual - np.maximum(pred, 0.0)), index=item)
    per_item = ae.groupby(level=0).mean() / scales.reindex(ae.index.unique()).where(lambda x: x > 0)
    per_item = per_item.replace([np.inf, -np.inf], np.nan).dropna()
    return float(per_item.mean()) if len(per_item) else float("nan")


def screen_models(buckets: pd.DataFrame, classes: pd.DataFrame, bucket: str = "W",
                  settings: ForecastSettings | None = None, horizon: int = 26,
                  progress: Callable[[str], None] | None = None) -> tuple[dict, pd.DataFrame, pd.DataFrame]:
    """Candidate models per demand class, screened on a sample of the class's items.

    For each smooth or erratic demand class with at least ``screen_min_items``
    items, ``screen_sample`` of them (:func:`screening_sample`) are backtested
    with every candidate. Then, most expensive first (:data:`MODEL_COST_MS`),
    each candidate is dropped if choosing among the others is no worse out of
    sample (:func:`holdout_error` on the sample does not rise), so that only the
    candidates that earn their cost are backtested and fitted for the class's
    other items. The benchmark stays (the accuracy table needs it), and two
    candidates at least. Intermittent and lumpy classes are not screened:
    their candidates cost well under a millisecond per item.

    Parameters
    ----------
    buckets, classes, bucket, settings, horizon, progress
        As for :func:`backtest`.

    Returns
    -------
    (dict, DataFrame, DataFrame)
        Candidates per screened class (``{"smooth": ("AutoETS", "AutoTheta", "SeasonalNaive")}``,
        empty when no class is screened); the screening report, one row per class and
        candidate tried: ``demand_class, n_items, n_sample, model, error_with, error_without``
        [-] (:func:`holdout_error` of the set before and after dropping it), ``dropped`` (bool);
        and the sample's backtest rows (:func:`backtest` columns, every candidate).
    """
    s = (settings or ForecastSettings()).resolved(bucket, horizon)
    cols = ["demand_class", "n_items", "n_sample", "model", "error_with", "error_without", "dropped"]
    out, rows, bts = {}, [], []
    if s.screen_min_items <= 0:
        return out, pd.DataFrame(columns=cols), pd.DataFrame()
    plan = _plan_groups(classes, s)
    for cls in ("smooth", "erratic"):
        items = plan.item_id[(plan.demand_class == cls) & (plan.group == "smooth") & (plan.bt_windows > 0)]
        if len(items) < s.screen_min_items:
            continue
        sample = screening_sample(items, s.screen_sample)
        if progress:
            progress(f"screening the candidates of {len(items)} {cls} item(s) on {len(sample)} of them")
        sel = classes.item_id.isin(sample)
        b_s = buckets[buckets.item_id.isin(sample)]
        bt = backtest(b_s, classes[sel], bucket, s, horizon, progress)
        bts.append(bt)
        scales = _scales(b_s, bt.groupby("item_id").cutoff.min()).mae_scale
        models = [m for m in s.smooth_models]
        if BENCHMARK_MODEL not in models:
            models.append(BENCHMARK_MODEL)
        err = holdout_error(bt, classes[sel], models, s, scales)
        for m in sorted((m for m in models if m != BENCHMARK_MODEL), key=lambda m: -MODEL_COST_MS.get(m, 5.0)):
            if len(models) <= 2:
                break
            rest = [x for x in models if x != m]
            e = holdout_error(bt, classes[sel], rest, s, scales)
            drop = bool(np.isfinite(e) and np.isfinite(err) and e <= err)
            rows.append({"demand_class": cls, "n_items": len(items), "n_sample": len(sample), "model": m,
                         "error_with": err, "error_without": e, "dropped": drop})
            if drop:
                models, err = rest, e
        out[cls] = tuple(models)
        if progress:
            progress(f"{cls} items: candidates {', '.join(models)} (holdout MASE on the sample {err:.4f})")
    report = pd.DataFrame(rows, columns=cols)
    return out, report, (pd.concat(bts, ignore_index=True) if bts else pd.DataFrame())


# --------------------------------------------------------------------------- selection and accuracy

def _scales(buckets: pd.DataFrame, first_cutoff: pd.Series) -> pd.DataFrame:
    """In-sample naive (lag 1) scales per item, on the history before its first origin."""
    b = buckets.merge(first_cutoff.rename("first_cutoff"), left_on="item_id", right_index=True)
    b = b[b.period_start <= b.first_cutoff].sort_values(["item_id", "period_start"], kind="stable")
    d = b.groupby("item_id").qty.diff()
    return pd.DataFrame({"mae_scale": d.abs().groupby(b.item_id).mean(),
                         "mse_scale": (d**2).groupby(b.item_id).mean()})


def select_models(bt: pd.DataFrame, classes: pd.DataFrame, combine: int = 3,
                  strategy: str = "auto", shrink: dict[str, float] | None = None,
                  scales: pd.Series | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Choose per item the candidate with the lowest backtest error.

    Smooth and erratic items are scored on mean absolute error, intermittent
    and lumpy items on mean squared error: MSE is minimised by the mean, so it
    does not reward forecasting zero, whereas MAE is minimised by the median,
    which is 0 for most intermittent items. With ``combine >= 2`` the mean of
    the item's ``combine`` best models (``Combo(...)``; quantiles averaged
    level by level) is a candidate too.

    ``strategy`` says how the combination competes: ``"item"`` picks per item
    whichever of the single models and the combination has the lowest error;
    ``"combo"`` uses the combination for every item; ``"auto"`` (default)
    decides between the two per class group (smooth/erratic and
    intermittent/lumpy) out of sample: each strategy chooses on the errors
    known at the last origin (the earlier origins' periods up to it) and is
    scored on the last origin's window (errors of each item divided by the
    mean error of its candidates there, so large items do not dominate; the
    root of that ratio for intermittent items); the better strategy then
    chooses on all origins.

    ``shrink`` (per class group, ``{"intermittent": 0.2}`` say) pulls the
    per-item choice towards the group's pooled-best model: the single model
    with the lowest mean scaled error over the group's items (each item's
    error divided by ``scales``, its in-sample naive error, so large items do
    not dominate; for intermittent items the root of the ratio, the item's
    RMSSE, so that one burst does not decide for the group). An item keeps
    its own best single model, or gets its own combination, only when its
    error is at least this fraction below the pooled-best model's error on
    the item; otherwise it gets the pooled-best model. A handful of non-zero
    buckets per origin makes an intermittent item's own ranking mostly
    noise; the pooled ranking rests on every item of the group. With
    ``strategy="auto"`` the same margin applies to the group's switch to the
    combination: it must beat the per-item strategy on the holdout origin by
    that fraction.

    Parameters
    ----------
    bt : DataFrame
        Backtest rows of the candidates (:func:`backtest`).
    classes : DataFrame
        :func:`classify_demand` output.
    shrink : dict, optional
        Margin [-] per group (``smooth``, ``intermittent``); missing or 0: no shrinkage.
    scales : Series, optional
        Per item (index ``item_id``) the in-sample naive error in the unit of
        the group's metric (MAE for smooth, MSE for intermittent items);
        None: each item's errors are divided by their mean over its candidates.

    Returns
    -------
    (DataFrame, DataFrame)
        Choice per item: ``item_id, model, members`` (``+``-separated
        statsforecast models averaged), ``metric`` (``mae`` or ``mse``),
        ``error`` [uom or uom²] (backtest error of the choice), ``strategy``;
        and the backtest rows of the chosen model (columns of
        :func:`backtest`, ``model`` set to the choice).
    """
    ccols = ["item_id", "model", "members", "metric", "error", "strategy"]
    if bt.empty:
        return pd.DataFrame(columns=ccols), bt.copy()
    key = ["item_id", "cutoff", "period_start"]
    qcols = [c for c in bt.columns if c.startswith("q_")]
    valcols = ["forecast"] + qcols
    b = bt.set_index(key + ["model"]).sort_index()
    wide = {c: b[c].unstack("model") for c in valcols}
    F = wide["forecast"]
    names = np.array(F.columns)
    idx = F.index
    actual = b["actual"].groupby(level=[0, 1, 2]).first().reindex(idx).to_numpy()
    items = idx.get_level_values("item_id").to_numpy()
    cutoffs = idx.get_level_values("cutoff").to_numpy()
    cls = classes.set_index("item_id").demand_class
    inter_row = cls.reindex(items).isin(("intermittent", "lumpy")).to_numpy()
    Fv = F.to_numpy(dtype=float)
    if BENCHMARK_MODEL in names:  # the benchmark is no candidate for intermittent items
        Fv[inter_row, list(names).index(BENCHMARK_MODEL)] = np.nan
    err = actual[:, None] - Fv
    L = np.where(inter_row[:, None], err**2, np.abs(err))
    uitems, item_pos = np.unique(items, return_inverse=True)
    k = combine if combine >= 2 else 0
    group = np.where(cls.reindex(uitems).isin(("intermittent", "lumpy")).to_numpy(), "intermittent", "smooth")
    margin = np.array([float((shrink or {}).get(g, 0.0)) for g in group])
    item_scale = (scales.reindex(uitems).to_numpy(dtype=float) if scales is not None
                  else np.full(len(uitems), np.nan))

    def item_mean(values, rows):
        """Mean over the selected rows per item (items x columns); NaN where no value."""
        v = np.where(rows[:, None], values, np.nan)
        ok = ~np.isnan(v)
        s = np.zeros((len(uitems), v.shape[1]))
        n = np.zeros((len(uitems), v.shape[1]))
        np.add.at(s, item_pos, np.nan_to_num(v))
        np.add.at(n, item_pos, ok)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(n > 0, s / np.maximum(n, 1), np.nan)

    def choose(rows):
        """Per item: best single (index), its error, combo members mask, combo error, combo chosen."""
        S = item_mean(L, rows)
        S_rank = np.where(np.isnan(S), np.inf, S)
        best = np.argmin(S_rank, axis=1)
        pooled = pooled_best(S)
        if (margin > 0).any():
            best = shrink_to_pooled(S, best, pooled)
        best_err = S_rank[np.arange(len(uitems)), best]
        members = np.zeros_like(S, dtype=bool)
        if k:
            order = np.argsort(S_rank, axis=1, kind="stable")[:, :k]
            np.put_along_axis(members, order, True, axis=1)
            members &= np.isfinite(S_rank)
            members[members.sum(axis=1) < k] = False
        combo_err = np.full(len(uitems), np.inf)
        has = members.any(axis=1)
        if has.any():
            cf = combo_values(Fv, members)
            cerr = actual - cf
            cl = np.where(inter_row, cerr**2, np.abs(cerr))
            combo_err = np.where(has, item_mean(cl[:, None], rows)[:, 0], np.inf)
        combo_wins = combo_err < best_err
        if (margin > 0).any():
            # in a shrunk group the item's own combination, like its own single model, must
            # clearly beat the group's pooled-best model
            ref = S_rank[np.arange(len(uitems)), np.maximum(pooled, 0)]
            combo_wins &= (margin <= 0) | (pooled < 0) | (combo_err < (1 - margin) * ref)
        return best, best_err, members, combo_err, combo_wins

    def pooled_best(S):
        """Per item: the index of its class group's pooled-best single model (-1: none).

        Each item's errors are divided by its scale (in-sample naive error);
        intermittent items' squared errors are pooled as roots (per-item
        RMSSE, the M5 measure): pooled squared errors would let the few
        items with one burst in the backtest decide for the whole group.
        """
        with np.errstate(invalid="ignore", divide="ignore"):
            sc = np.where(np.isfinite(item_scale) & (item_scale > 0), item_scale, np.nanmean(S, axis=1))
            rel = S / sc[:, None]
        rel = np.where((group == "intermittent")[:, None], np.sqrt(rel), rel)
        pooled = np.full(len(uitems), -1)
        for g in ("smooth", "intermittent"):
            sel = (group == g) & np.isfinite(rel).any(axis=1)
            if not sel.any():
                continue
            complete = sel & np.isfinite(rel).all(axis=1)
            pool = rel[complete if complete.any() else sel]
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                pooled[sel] = int(np.nanargmin(np.nanmean(pool, axis=0)))
        return pooled

    def shrink_to_pooled(S, best, pooled):
        """Replace an item's best by its group's pooled best unless it is clearly better."""
        rows = np.arange(len(uitems))
        ok = (pooled >= 0) & (margin > 0)
        ref = S[rows, np.maximum(pooled, 0)]
        keep_own = ~np.isfinite(ref) | (S[rows, best] < (1 - margin) * ref)
        return np.where(ok & ~keep_own, pooled, best)

    def combo_values(values, members):
        m = members[item_pos]
        with np.errstate(invalid="ignore"):
            return np.nansum(np.where(m, values, 0.0), axis=1) / np.maximum(m.sum(axis=1), 1)

    def predict(best, members, use_combo, values=Fv):
        single = values[np.arange(len(values)), best[item_pos]]
        return np.where(use_combo[item_pos], combo_values(values, members), single)

    use_strategy = {g: strategy for g in ("smooth", "intermittent")}
    if strategy == "auto":
        last = pd.Series(cutoffs).groupby(items).transform("max").to_numpy() == cutoffs
        n_orig = pd.Series(cutoffs).groupby(items).transform("nunique").to_numpy()
        last_cut = pd.Series(cutoffs).groupby(items).transform("max").to_numpy()
        periods = idx.get_level_values("period_start").to_numpy()
        # choose on what was known at the last origin (earlier windows overlap it), score after it
        early = ~last & (n_orig >= 2) & (periods <= last_cut)
        hold = last & (n_orig >= 2)
        best, best_err, members, combo_err, combo_wins = choose(early)
        pred_item = predict(best, members, combo_wins)
        pred_combo = predict(best, members, members.any(axis=1))
        norm = item_mean(np.nanmean(L, axis=1)[:, None], hold)[:, 0]
        for name, pred in (("item", pred_item), ("combo", pred_combo)):
            e = actual - pred
            le = np.where(inter_row, e**2, np.abs(e))
            s = item_mean(le[:, None], hold)[:, 0] / np.where(norm > 0, norm, np.nan)
            s = np.where(group == "intermittent", np.sqrt(s), s)  # squared errors pooled as roots
            for g in ("smooth", "intermittent"):
                sel = (group == g) & np.isfinite(s)
                use_strategy[(g, name)] = float(np.mean(s[sel])) if sel.any() else np.nan
        for g in ("smooth", "intermittent"):
            ci, cc = use_strategy[(g, "item")], use_strategy[(g, "combo")]
            m_g = float((shrink or {}).get(g, 0.0))  # the same margin as for the single choice
            use_strategy[g] = "combo" if (k and np.isfinite(cc) and cc < (1 - m_g) * ci) else "item"
    all_rows = np.ones(len(idx), dtype=bool)
    best, best_err, members, combo_err, combo_wins = choose(all_rows)
    strat = np.array([use_strategy[g] for g in group])
    has_combo = members.any(axis=1)
    use_combo = np.where(strat == "combo", has_combo, combo_wins)
    out = {"forecast": np.maximum(predict(best, members, use_combo), 0.0)}
    Q = np.column_stack([predict(best, members, use_combo, wide[c].to_numpy(dtype=float)) for c in qcols]) \
        if qcols else np.empty((len(idx), 0))
    if qcols:
        Q = _tidy_quantiles(Q)
    member_names = ["+".join(sorted(names[m])) for m in members]
    model = [f"Combo({mn.replace('+', ',')})" if c else names[bi]
             for c, mn, bi in zip(use_combo, member_names, best)]
    choice = pd.DataFrame({"item_id": uitems, "model": model,
                           "members": [mn if c else names[bi] for c, mn, bi in zip(use_combo, member_names, best)],
                           "metric": np.where(group == "intermittent", "mse", "mae"),
                           "error": np.where(use_combo, combo_err, best_err), "strategy": strat})
    chosen = pd.DataFrame({"item_id": items, "cutoff": cutoffs,
                           "period_start": idx.get_level_values("period_start").to_numpy(),
                           "actual": actual, "model": np.array(model, dtype=object)[item_pos],
                           "forecast": out["forecast"]})
    for j, c in enumerate(qcols):
        chosen[c] = Q[:, j]
    step = bt.drop_duplicates(key).set_index(key).step
    chosen["step"] = step.reindex(pd.MultiIndex.from_frame(chosen[key])).to_numpy()
    chosen = chosen[[c for c in bt.columns]]
    chosen.attrs["strategy_scores"] = {str(k_): v for k_, v in use_strategy.items()}
    return choice, chosen.reset_index(drop=True)


def accuracy(chosen: pd.DataFrame, benchmark: pd.DataFrame, buckets: pd.DataFrame,
             classes: pd.DataFrame | None = None) -> pd.DataFrame:
    """Backtest accuracy per item and in total.

    Parameters
    ----------
    chosen : DataFrame
        Backtest rows of the chosen model (second output of :func:`select_models`).
    benchmark : DataFrame
        Backtest rows of the benchmark (``SeasonalNaive``) on the same origins.
    buckets : DataFrame
        Bucketed history (scales of MASE and RMSSE).
    classes : DataFrame, optional
        :func:`classify_demand` output, for the ``demand_class`` column.

    Returns
    -------
    DataFrame
        One row per item and a last row ``item_id == "TOTAL"``:
        ``item_id, demand_class, model, n_origins, n_obs, actual_total`` [uom],
        ``mase`` [-] (MAE over the in-sample MAE of the naive forecast),
        ``rmsse`` [-] (root of MSE over the naive in-sample MSE), ``wape`` [%]
        (sum |error| / sum actual), ``bias`` [%] (sum(forecast - actual) / sum
        actual; positive = over-forecast), ``coverage_50, coverage_80,
        coverage_95`` [%] (share of actuals inside the interval),
        ``mase_seasonal_naive`` [-], ``fva`` [%] (forecast value added: how
        much lower the MAE is than the seasonal naive's). TOTAL averages MASE
        and RMSSE over items and pools the others.
    """
    cols = ["item_id", "demand_class", "model", "n_origins", "n_obs", "actual_total", "mase", "rmsse",
            "wape", "bias", "coverage_50", "coverage_80", "coverage_95", "mase_seasonal_naive", "fva"]
    if chosen.empty:
        return pd.DataFrame(columns=cols)
    c = chosen.copy()
    c["ae"] = (c.actual - c.forecast).abs()
    c["se"] = (c.actual - c.forecast) ** 2
    c["fe"] = c.forecast - c.actual
    for lv, lo, hi in ((50, "q_0.25", "q_0.75"), (80, "q_0.1", "q_0.9"), (95, "q_0.025", "q_0.975")):
        c[f"in_{lv}"] = ((c.actual >= c[lo] - 1e-9) & (c.actual <= c[hi] + 1e-9)).astype(float)
    bm = benchmark.set_index(["item_id", "cutoff", "period_start"]).forecast
    c["bae"] = (c.actual - bm.reindex(pd.MultiIndex.from_frame(c[["item_id", "cutoff", "period_start"]]))
                .to_numpy()).abs()
    scales = _scales(buckets, c.groupby("item_id").cutoff.min())
    g = c.groupby("item_id")
    out = pd.DataFrame({
        "model": g.model.first(), "n_origins": g.cutoff.nunique(), "n_obs": g.size(),
        "actual_total": g.actual.sum(), "mae": g.ae.mean(), "mse": g.se.mean(), "sfe": g.fe.sum(),
        "sae": g.ae.sum(), "bae": g.bae.mean(), "sbae": g.bae.sum(),
        "coverage_50": g.in_50.mean() * 100, "coverage_80": g.in_80.mean() * 100,
        "coverage_95": g.in_95.mean() * 100,
    }).join(scales)
    with np.errstate(divide="ignore", invalid="ignore"):
        sc = out.mae_scale.where(out.mae_scale > 0)
        out["mase"] = out.mae / sc
        out["rmsse"] = np.sqrt(out.mse / out.mse_scale.where(out.mse_scale > 0))
        out["wape"] = 100 * out.sae / out.actual_total.where(out.actual_total > 0)
        out["bias"] = 100 * out.sfe / out.actual_total.where(out.actual_total > 0)
        out["mase_seasonal_naive"] = out.bae / sc
        out["fva"] = 100 * (out.bae - out.mae) / out.bae.where(out.bae > 0)
    out = out.reset_index().rename(columns={"index": "item_id"})
    if classes is not None:
        out = out.merge(classes[["item_id", "demand_class"]], on="item_id", how="left")
    else:
        out["demand_class"] = ""
    tot_act = c.actual.sum()
    total = {
        "item_id": "TOTAL", "demand_class": "", "model": "", "n_origins": int(out.n_origins.max()),
        "n_obs": len(c), "actual_total": tot_act,
        "mase": float(np.nanmean(out.mase)) if out.mase.notna().any() else np.nan,
        "rmsse": float(np.nanmean(out.rmsse)) if out.rmsse.notna().any() else np.nan,
        "wape": 100 * c.ae.sum() / tot_act if tot_act > 0 else np.nan,
        "bias": 100 * c.fe.sum() / tot_act if tot_act > 0 else np.nan,
        "coverage_50": 100 * c.in_50.mean(), "coverage_80": 100 * c.in_80.mean(),
        "coverage_95": 100 * c.in_95.mean(),
        "mase_seasonal_naive": (float(np.nanmean(out.mase_seasonal_naive))
                                if out.mase_seasonal_naive.notna().any() else np.nan),
        "fva": 100 * (c.bae.sum() - c.ae.sum()) / c.bae.sum() if c.bae.sum() > 0 else np.nan,
    }
    out = pd.concat([out[cols], pd.DataFrame([total])[cols]], ignore_index=True)
    return out


# --------------------------------------------------------------------------- forecast

def interval_scales(chosen: pd.DataFrame, classes: pd.DataFrame, levels) -> dict[int, float]:
    """Per interval level, the factor that widens smooth items' intervals to their nominal backtest coverage.

    For each backtest row of a smooth or erratic item, the factor ``c`` its
    interval (point forecast ``f``, ends ``lo``, ``hi``) needs to hold the
    actual ``a``: ``(a - f) / (hi - f)`` above, ``(f - a) / (f - lo)`` below,
    0 inside. The level's factor is the ``level`` % quantile of those, so that
    ``f -+ c (f - lo, hi - f)`` covers ``level`` % of the backtest; it is at
    least 1 (intervals are widened, never narrowed) and at most 4. A split
    conformal calibration on the rolling-origin backtest (Vovk, Gammerman &
    Shafer 2005; the backtest is the calibration set).

    Parameters
    ----------
    chosen : DataFrame
        The backtest rows of each item's chosen model (:func:`backtest` columns): ``item_id,
        actual, forecast`` [uom] and the quantile columns ``q_<p>`` [uom] of every level.
    classes : DataFrame
        ``item_id, demand_class`` (:func:`classify_demand`).
    levels : iterable of int
        Interval levels [%], e.g. ``(50, 80, 95)``.

    Returns
    -------
    dict
        ``{level: factor}``; 1.0 where there is nothing to calibrate (fewer than 20 rows).
    """
    out = {int(lv): 1.0 for lv in levels}
    if chosen.empty:
        return out
    cls = classes.set_index("item_id").demand_class
    rows = chosen[cls.reindex(chosen.item_id).isin(("smooth", "erratic")).to_numpy()]
    if len(rows) < 20:
        return out
    a, f = rows.actual.to_numpy(dtype=float), rows.forecast.to_numpy(dtype=float)
    for lv in levels:
        lo = rows[f"q_{0.5 - lv / 200:g}"].to_numpy(dtype=float)
        hi = rows[f"q_{0.5 + lv / 200:g}"].to_numpy(dtype=float)
        with np.errstate(divide="ignore", invalid="ignore"):
            up = np.where(a > f, (a - f) / (hi - f), 0.0)
            dn = np.where(a < f, (f - a) / (f - lo), 0.0)
        # a zero-width side with the actual beyond it needs any factor: count it as above the cap
        need = np.nan_to_num(np.maximum(up, dn), nan=0.0, posinf=1e9)
        out[int(lv)] = float(np.clip(np.quantile(need, lv / 100), 1.0, 4.0))
    return out


def _widen(fc: pd.DataFrame, items, scales: dict[int, float]) -> pd.DataFrame:
    """Scale the interval ends of ``items`` about the point forecast by the level's factor."""
    sel = fc.item_id.isin(items).to_numpy()
    if not sel.any():
        return fc
    fc = fc.copy()
    f = fc.loc[sel, "forecast"].to_numpy(dtype=float)
    for lv, c in scales.items():
        if c == 1.0:
            continue
        for q in (0.5 - lv / 200, 0.5 + lv / 200):
            col = f"q_{q:g}"
            v = fc.loc[sel, col].to_numpy(dtype=float)
            fc.loc[sel, col] = np.maximum(f + c * (v - f), 0.0)
    return fc


def _final_forecast(buckets: pd.DataFrame, plan: pd.DataFrame, choice: pd.DataFrame, bucket: str,
                    s: ForecastSettings, horizon: int, progress=None) -> pd.DataFrame:
    """Statistical forecast of each item with its chosen model (or combination)."""
    qs = _quantile_levels(s.levels)
    qcols = [f"q_{q:g}" for q in qs]
    df_all = buckets.rename(columns={"item_id": "unique_id", "period_start": "ds", "qty": "y"})
    members = choice.set_index("item_id").members.reindex(plan.item_id)
    model_of = choice.set_index("item_id").model.reindex(plan.item_id)
    plan = plan.assign(members=members.to_numpy(), chosen=model_of.to_numpy())
    # items without a backtest: a default model for their group
    nob = plan.chosen.isna() & (plan.group != "none")
    few = plan.n_periods < 2 * s.season_length
    plan.loc[nob & (plan.group == "smooth") & few, "members"] = "AutoETS"
    plan.loc[nob & (plan.group == "smooth") & ~few, "members"] = "AutoTheta"
    plan.loc[nob & (plan.group == "intermittent"), "members"] = "CrostonSBA"
    plan.loc[nob & (plan.n_periods < 3), "members"] = "HistoricAverage"
    plan.loc[plan.chosen.isna(), "chosen"] = plan.members
    plan.loc[plan.group == "none", "chosen"] = "Zero"
    pairs = (plan[plan.group != "none"].assign(model=plan.members.str.split("+"))
             .explode("model")[["item_id", "model", "group"]])
    parts = []
    by_model = pairs.groupby("model").item_id.apply(list)
    eta = _Eta(progress, "final fit")
    eta.total = float(sum(len(items) * model_cost([name]) for name, items in by_model.items()))
    rows_of = _ItemRows(df_all)
    for name, items in by_model.items():
        if progress:
            progress(f"forecast {len(items)} item(s) with {name}")
        fcs = []
        for i in range(0, len(items), s.chunk_size):
            chunk = items[i:i + s.chunk_size]
            fcs.append(_run_sf("fc", rows_of(chunk), [name], bucket, s, horizon, s.levels))
            eta.done(len(chunk), len(chunk) * model_cost([name]),
                     f"{min(i + s.chunk_size, len(items))} of {len(items)} item(s) with {name}")
        fc = pd.concat(fcs, ignore_index=True) if len(fcs) > 1 else fcs[0]
        df = rows_of(items)
        if name in _NO_INTERVALS:
            q = np.zeros((len(fc), len(qs)))
            mean = fc[name].to_numpy()
            ys = {k: g.to_numpy() for k, g in df.groupby("unique_id", sort=False).y}
            for item, idx in fc.groupby("unique_id", sort=False).indices.items():
                q[idx] = hurdle_quantiles(ys[item], mean[idx], qs)
        else:
            q = _interval_to_quantiles(fc, name, s.levels)
        f = pd.DataFrame({"item_id": fc.unique_id.to_numpy(), "period_start": fc.ds.to_numpy(),
                          "forecast": fc[name].to_numpy()})
        f[qcols] = q
        parts.append(f)
    if parts:
        allfc = pd.concat(parts, ignore_index=True)
        fc = allfc.groupby(["item_id", "period_start"], sort=True)[["forecast"] + qcols].mean().reset_index()
    else:
        fc = pd.DataFrame(columns=["item_id", "period_start", "forecast"] + qcols)
    # zero forecast for items without any demand
    zero_items = plan.loc[plan.group == "none", "item_id"].to_numpy()
    if len(zero_items):
        end = buckets.groupby("item_id").period_start.max().reindex(zero_items)
        last = buckets.period_start.max()
        start_num = period_number(pd.Series([last]), bucket)[0] + 1
        periods = period_start(np.arange(start_num, start_num + horizon), bucket)
        z = pd.DataFrame({"item_id": np.repeat(zero_items, horizon),
                          "period_start": np.tile(periods.to_numpy(), len(zero_items)), "forecast": 0.0})
        z[qcols] = 0.0
        fc = pd.concat([fc, z], ignore_index=True) if len(fc) else z
        del end
    fc["forecast"] = np.maximum(fc.forecast.astype(float), 0.0)
    fc[qcols] = _tidy_quantiles(fc[qcols].to_numpy(dtype=float))
    return fc.merge(plan[["item_id", "chosen"]].rename(columns={"chosen": "model"}), on="item_id")


def apply_overrides(forecast: pd.DataFrame, overrides: pd.DataFrame | None, bucket: str = "W"
                    ) -> tuple[pd.DataFrame, Problems]:
    """Planner overrides on top of the statistical forecast.

    Parameters
    ----------
    forecast : DataFrame
        Columns ``item_id, period_start, forecast`` [uom] and interval columns
        ``lo_*, hi_*`` [uom].
    overrides : DataFrame or None
        ``forecast_overrides``: ``item_id, period_start, qty`` (replace by this
        quantity) or ``pct`` (change by this percent), ``reason``. A
        ``period_start`` inside a bucket applies to that bucket.

    Returns
    -------
    (DataFrame, Problems)
        The forecast with ``statistical`` (the forecast before overrides),
        ``forecast`` (after), ``override`` (e.g. ``"+30% (Trade fair)"``, empty
        if none) and the intervals moved with it (scaled by forecast /
        statistical, shifted when the statistical forecast is 0); and warnings
        for overrides that match no forecast row.
    """
    p = Problems()
    out = forecast.copy()
    out["statistical"] = out["forecast"].astype(float)
    out["override"] = ""
    if overrides is None or len(overrides) == 0:
        return out, p
    ov = overrides.copy()
    ov["item_id"] = ov["item_id"].astype(str)
    ov["period_start"] = bucket_start(pd.to_datetime(ov["period_start"]), bucket)
    for c in ("qty", "pct"):
        ov[c] = pd.to_numeric(ov[c], errors="coerce") if c in ov else np.nan
    ov["reason"] = ov["reason"].fillna("").astype(str) if "reason" in ov else ""
    ov = ov.drop_duplicates(["item_id", "period_start"], keep="last")
    key = pd.MultiIndex.from_frame(out[["item_id", "period_start"]])
    okey = pd.MultiIndex.from_frame(ov[["item_id", "period_start"]])
    found = okey.isin(key)
    for i in np.flatnonzero(~found):
        r = ov.iloc[i]
        p.warn("forecast_overrides", f"item {r.item_id}", "period_start", r.period_start.date(),
               "override matches no forecast bucket (unknown item or outside the horizon); ignored",
               "check the item_id and that period_start lies within the forecast horizon")
    ov = ov[found].set_index(["item_id", "period_start"])
    hit = key.isin(ov.index)
    if not hit.any():
        return out, p
    o = ov.reindex(key[hit])
    stat = out.loc[hit, "statistical"].to_numpy()
    qty, pct = o.qty.to_numpy(), o.pct.to_numpy()
    new = np.where(~np.isnan(qty), qty, np.where(~np.isnan(pct), stat * (1 + np.nan_to_num(pct) / 100), stat))
    new = np.maximum(new, 0.0)
    text = np.where(~np.isnan(qty), [f"qty {v:g}" for v in np.nan_to_num(qty)],
                    np.where(~np.isnan(pct), [f"{v:+g}%" for v in np.nan_to_num(pct)], ""))
    reason = o.reason.fillna("").to_numpy()
    text = np.array([t + (f" ({r})" if r and t else "") for t, r in zip(text, reason)], dtype=object)
    out.loc[hit, "forecast"] = new
    out.loc[hit, "override"] = text
    icols = [c for c in out.columns if c.startswith(("lo_", "hi_"))]
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(stat > 0, new / stat, np.nan)
    for c in icols:
        v = out.loc[hit, c].to_numpy(dtype=float)
        out.loc[hit, c] = np.maximum(np.where(np.isnan(ratio), v + (new - stat), v * ratio), 0.0)
    return out, p


def build_forecast(history: pd.DataFrame, horizon: int, bucket: str = "W", as_of=None,
                   overrides: pd.DataFrame | None = None, settings: ForecastSettings | None = None,
                   progress: Callable[[str], None] | None = None) -> ForecastResult:
    """Forecast every item of ``history`` and keep the evidence (backtest, accuracy, classes).

    Raises :class:`InputError` when nothing can be forecast (empty history, unreadable rows,
    horizon < 1, no item with demand); single items without demand are warnings.

    Parameters
    ----------
    history : DataFrame
        ``demand_history``: ``item_id, date, qty`` [uom]; daily transactions or bucket totals;
        negative ``qty`` = return.
    horizon : int
        Buckets to forecast (>= 1).
    bucket : {"W", "M"}
        Weekly (Monday start) or monthly (first of the month) buckets.
    as_of : date-like, optional
        First day to forecast (see :func:`forecast_demand`).
    overrides : DataFrame, optional
        ``forecast_overrides`` (see :func:`apply_overrides`).
    settings : ForecastSettings, optional
    progress : callable, optional
        Called with a line of text at each step.

    Returns
    -------
    ForecastResult
        ``forecast`` (see :func:`forecast_demand`), ``accuracy`` (see
        :func:`accuracy`), ``backtest`` (chosen model and benchmark rows, see
        :func:`backtest`), ``classes`` (see :func:`classify_demand`, plus the
        chosen ``model``), ``buckets`` (the history fitted), ``outliers`` (see
        :func:`clean_outliers`; empty when cleaning is off) and ``problems``
        (warnings, problem-table columns).
    """
    if bucket not in ("W", "M"):
        raise InputError(f"bucket must be 'W' or 'M', not {bucket!r}")
    prob = check_history(history, horizon)
    if prob.errors:
        raise InputError("cannot forecast: " + "; ".join(prob.frame().problem.unique()), prob.frame())
    s = (settings or ForecastSettings()).resolved(bucket, int(horizon))
    say = progress or (lambda _m: None)
    warn = Problems()
    warn.extend(prob)
    bad = _bad_rows(history)
    if any(v.any() for v in bad.values()):
        history = history[~(bad["date"] | bad["qty"] | bad["item_id"])]
    if as_of is not None:
        start = bucket_start(pd.Series([pd.Timestamp(as_of)]), bucket).iloc[0]
        late = pd.to_datetime(history["date"]) >= start
        if late.any():
            warn.warn("demand_history", f"{int(late.sum())} row(s)", "date", f">= {start.date()}",
                      "history in or after the first forecast bucket is left out (a partial bucket would "
                      "look like a drop in demand)", "nothing to do if the extract runs up to today")
    buckets = bucket_history(history, bucket, as_of, s.net_returns)
    if buckets.empty:
        raise InputError("cannot forecast: no demand history before the forecast start",
                         _one("demand_history", "", "date", as_of,
                              "every history row is on or after the forecast start (--as-of)",
                              "give an earlier --as-of or history before it"))
    classes = classify_demand(buckets, s.adi_cutoff, s.cv2_cutoff, s.new_periods, s.dormant_periods)
    no_dem = classes[classes["flags"].str.contains("no_demand")]
    if len(no_dem) == len(classes):
        raise InputError("cannot forecast: no item has any positive demand in its history",
                         _one("demand_history", "", "qty", ", ".join(no_dem.item_id[:10]),
                              "all quantities are zero or net returns", "check the export of shipments"))
    for item in no_dem.item_id:
        warn.warn("demand_history", f"item {item}", "qty", 0, "item has no positive demand; forecast set to 0",
                  "check the item's history, or remove it if it is not sold any more")
    for r in classes[classes["flags"].str.contains("dormant")].itertuples():
        warn.warn("demand_history", f"item {r.item_id}", "date", f"{r.periods_since_demand} buckets",
                  "no demand for a long time (dormant): the forecast follows the item's model, which "
                  "fades with the zeros",
                  "if the item is no longer sold, add a qty 0 override in forecast_overrides")
    outliers = pd.DataFrame(columns=["item_id", "period_start", "qty", "cleaned_qty", "limit"])
    fit_buckets = buckets
    if s.clean_outliers:
        fit_buckets, outliers = clean_outliers(buckets, classes, s.outlier_z)
        say(f"outlier cleaning: {len(outliers)} bucket(s) capped")
    say(f"{len(classes)} item(s): " + ", ".join(f"{v} {k}" for k, v in classes.demand_class.value_counts().items()))
    screened, screening, bt_sample = screen_models(fit_buckets, classes, bucket, s, horizon, say)
    if screened:
        # the sample keeps the rows of its class's survivors; the other items are backtested with them
        in_sample = classes.item_id.isin(bt_sample.item_id.unique())
        cls_of = bt_sample.item_id.map(classes.set_index("item_id").demand_class)
        keep = np.array([m == BENCHMARK_MODEL or m in screened.get(c, (m,)) for m, c in zip(bt_sample.model, cls_of)],
                        dtype=bool)
        rest = backtest(fit_buckets[~fit_buckets.item_id.isin(bt_sample.item_id.unique())], classes[~in_sample],
                        bucket, s, horizon, say, candidates=screened)
        bt = pd.concat([bt_sample.loc[keep, rest.columns], rest], ignore_index=True)
    else:
        bt = backtest(fit_buckets, classes, bucket, s, horizon, say)
    plan = _plan_groups(classes, s)
    cand = bt[bt.model != BENCHMARK_MODEL] if not bt.empty else bt
    # SeasonalNaive stays a candidate for smooth items
    smooth_items = plan.loc[plan.group == "smooth", "item_id"]
    if not bt.empty:
        cand = pd.concat([cand, bt[(bt.model == BENCHMARK_MODEL) & bt.item_id.isin(smooth_items)]])
    scales = None
    if not cand.empty:
        sc = _scales(fit_buckets, cand.groupby("item_id").cutoff.min())
        inter = classes.set_index("item_id").demand_class.reindex(sc.index).isin(("intermittent", "lumpy"))
        scales = pd.Series(np.where(inter, sc.mse_scale, sc.mae_scale), index=sc.index)
    choice, chosen = select_models(cand, classes, s.combine, s.strategy,
                                   {"intermittent": s.shrink_intermittent, "smooth": s.shrink_smooth}, scales)
    sc = chosen.attrs.get("strategy_scores", {})
    for g in ("smooth", "intermittent"):
        if (choice.metric == ("mse" if g == "intermittent" else "mae")).any():
            item_s, combo_s = sc.get(f"('{g}', 'item')"), sc.get(f"('{g}', 'combo')")
            detail = (f" (holdout error per item model {item_s:.3f}, combination {combo_s:.3f})"
                      if item_s is not None and np.isfinite(item_s) else "")
            say(f"{g} items: {sc.get(g, s.strategy)} strategy{detail}")
    say("final fit and forecast")
    fc = _final_forecast(fit_buckets, plan, choice, bucket, s, int(horizon), say)
    qs = _quantile_levels(s.levels)
    if s.calibrate_intervals:
        scales = interval_scales(chosen, classes, s.levels)
        if any(c != 1.0 for c in scales.values()):
            say("intervals of smooth items widened to their backtest coverage: "
                + ", ".join(f"{lv} % x {c:.2f}" for lv, c in scales.items()))
            fc = _widen(fc, plan.loc[plan.group == "smooth", "item_id"], scales)
            qcols = [f"q_{q:g}" for q in qs]
            fc[qcols] = _tidy_quantiles(fc[qcols].to_numpy(dtype=float))
    for lv in s.levels:
        fc[f"lo_{lv}"] = fc[f"q_{0.5 - lv / 200:g}"]
        fc[f"hi_{lv}"] = fc[f"q_{0.5 + lv / 200:g}"]
    fc = fc.drop(columns=[f"q_{q:g}" for q in qs])
    fc = fc.merge(classes[["item_id", "demand_class", "flags"]], on="item_id", how="left")
    hist_n = plan.set_index("item_id")
    short = hist_n.index[(hist_n.bt_windows == 0) | (hist_n.bt_horizon < s.backtest_horizon)]
    fc.loc[fc.item_id.isin(short) & (fc.demand_class != "none"), "flags"] = (
        fc["flags"] + ";short_history").str.strip(";")
    if len(outliers):
        fc.loc[fc.item_id.isin(outliers.item_id), "flags"] = (fc["flags"] + ";outliers_cleaned").str.strip(";")
    if s.net_returns and (pd.to_numeric(history["qty"]) < 0).any():
        ret_items = history.loc[pd.to_numeric(history["qty"]) < 0, "item_id"].astype(str).unique()
        fc.loc[fc.item_id.isin(ret_items), "flags"] = (fc["flags"] + ";returns_netted").str.strip(";")
    fc, ov_prob = apply_overrides(fc, overrides, bucket)
    warn.extend(ov_prob)
    lvcols = [c for lv in s.levels for c in (f"lo_{lv}", f"hi_{lv}")]
    cols = ["item_id", "period_start", "forecast"] + lvcols + ["model", "demand_class", "override",
                                                                "statistical", "flags"]
    fc = fc[cols].sort_values(["item_id", "period_start"], kind="stable").reset_index(drop=True)
    bench = bt[bt.model == BENCHMARK_MODEL] if not bt.empty else bt
    acc = accuracy(chosen, bench, fit_buckets, classes)
    keep = chosen.assign(benchmark=bench.set_index(["item_id", "cutoff", "period_start"]).forecast
                         .reindex(pd.MultiIndex.from_frame(chosen[["item_id", "cutoff", "period_start"]]))
                         .to_numpy()) if len(chosen) else chosen
    classes = classes.merge(fc.groupby("item_id").model.first().rename("model"), on="item_id", how="left")
    return ForecastResult(forecast=fc, accuracy=acc, backtest=keep, classes=classes, buckets=fit_buckets,
                          outliers=outliers, problems=warn.frame(), settings=s, bucket=bucket,
                          screening=screening)


def _one(table, row, column, value, problem, fix) -> pd.DataFrame:
    p = Problems()
    p.add(table, row, column, value, problem, fix)
    return p.frame()


def forecast_demand(history: pd.DataFrame, horizon: int, bucket: str = "W", as_of=None,
                    overrides: pd.DataFrame | None = None, settings: ForecastSettings | None = None,
                    progress: Callable[[str], None] | None = None) -> pd.DataFrame:
    """Planning forecast per item and bucket: model chosen per item by backtest.

    Parameters
    ----------
    history : DataFrame
        ``demand_history``: ``item_id, date, qty`` [uom]; daily transactions
        or bucket totals; negative ``qty`` = return.
    horizon : int
        Buckets to forecast (>= 1).
    bucket : {"W", "M"}
        Weekly (Monday start) or monthly (first of the month) buckets.
    as_of : date-like, optional
        First day to forecast; the forecast starts with the bucket holding it
        and history from that bucket on is ignored. None: the bucket after the
        one holding the last history date.
    overrides : DataFrame, optional
        ``forecast_overrides`` (see :func:`apply_overrides`).
    settings : ForecastSettings, optional
        Engine settings (candidate models, backtest, classification...).
    progress : callable, optional
        Called with a line of text at each step (the CLI prints them).

    Returns
    -------
    DataFrame
        One row per item and bucket: ``item_id``, ``period_start`` (datetime,
        Monday or 1st of month), ``forecast`` [uom per bucket] (the final
        planning forecast, after overrides: what MRP consumes; the expected
        demand), ``lo_50, hi_50, lo_80, hi_80, lo_95, hi_95`` [uom] (central
        prediction intervals; non-negative, ordered), ``model`` (statsforecast
        model or ``Combo(...)``; ``Zero`` for items without demand),
        ``demand_class`` (smooth, erratic, intermittent, lumpy, none),
        ``override`` (text of the override applied, empty if none),
        ``statistical`` [uom] (the forecast before the override), ``flags``
        (``;``-separated: new, short_history, dormant, no_demand,
        outliers_cleaned, returns_netted). ``attrs["problems"]`` holds the
        warnings.
    """
    res = build_forecast(history, horizon, bucket, as_of, overrides, settings, progress)
    out = res.forecast
    out.attrs["problems"] = res.problems
    return out
