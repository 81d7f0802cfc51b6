"""Inventory policy: safety stock and reorder points from the forecast error.

The safety stock of an item protects against the forecast error over its
protection period, the lead time plus the review period (``L + R``), at the
item's service level. The forecast error comes from the rolling-origin
backtest of :mod:`planlib.forecast` (the error of the model actually used);
items without a backtest fall back on the spread of their bucketed demand.

Formulas (normal forecast errors, independent from bucket to bucket):

* ``sigma_protection = sigma_bucket * sqrt(P)``, ``P = (L + R)`` in buckets.
* Cycle service level (probability of no stockout in a cycle):
  ``k = Phi^-1(CSL)``.
* Fill rate ``beta`` (share of demand served from stock): ``k`` solves
  ``sigma_protection * G(k) = (1 - beta) * Q`` with ``G(k) = phi(k) - k (1 -
  Phi(k))`` the standard normal loss function and ``Q`` the expected demand
  per replenishment cycle (the review period's demand).
* ``safety_stock = max(0, k * sigma_protection)``;
  ``reorder_point = forecast over P + safety_stock`` (the order-up-to level S
  of a periodic review (R, S) policy; with R = one bucket it is the level
  below which to order).

References: Silver, Pyke & Thomas, *Inventory and Production Management in
Supply Chains*, 4th ed. (2017), ch. 6-7 (``(R, S)`` systems, ``sigma_{R+L}``,
the loss function ``G_u(k)``); Chopra & Meindl, *Supply Chain Management*,
5th ed. (2013), ch. 11 (safety inventory, cycle service level and fill rate,
worked examples used in ``tests/test_inventory.py``). ``docs/inventory-policy.md``
has the derivations.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import optimize, stats

from planlib.params import PlanParams

DAYS_PER_BUCKET = {"W": 7.0, "M": 365.25 / 12}
SAFETY_STOCK_COLUMNS = ["item_id", "safety_stock", "reorder_point", "service_level", "service_type",
                        "lead_time_days", "review_period_days", "protection_buckets", "demand_per_bucket",
                        "demand_over_protection", "sigma_bucket", "sigma_protection", "safety_factor",
                        "sigma_source"]


def normal_loss(k):
    """Standard normal loss function ``G(k) = phi(k) - k (1 - Phi(k))`` [-]:
    the expected shortage per unit of standard deviation when the safety factor is ``k``."""
    k = np.asarray(k, dtype=float)
    return stats.norm.pdf(k) - k * stats.norm.sf(k)


def safety_factor_cycle(service_level):
    """Safety factor ``k = Phi^-1(CSL)`` for a cycle service level ``0 < CSL < 1``."""
    return stats.norm.ppf(np.asarray(service_level, dtype=float))


def safety_factor_fill_rate(fill_rate: float, sigma: float, cycle_demand: float) -> float:
    """Safety factor ``k`` giving fill rate ``fill_rate``: ``sigma G(k) = (1 - fill_rate) cycle_demand``.

    Parameters
    ----------
    fill_rate : float
        Target share of demand served from stock (0 < fill_rate < 1).
    sigma : float
        Standard deviation of the forecast error over the protection period [uom].
    cycle_demand : float
        Expected demand per replenishment cycle (order quantity) [uom].

    Returns
    -------
    float
        ``k`` [-]; may be negative when the cycle is long compared with the
        error. 0 when ``sigma`` is 0.
    """
    if sigma <= 0:
        return 0.0
    target = (1 - fill_rate) * max(cycle_demand, 0.0) / sigma
    if target <= 0:
        return 8.0
    # G is decreasing: G(-8) ~ 8, G(8) ~ 0
    if target >= normal_loss(-8.0):
        return -8.0
    if target <= normal_loss(8.0):
        return 8.0
    return float(optimize.brentq(lambda k: normal_loss(k) - target, -8.0, 8.0, xtol=1e-10))


def forecast_error_sigma(backtest: pd.DataFrame, max_step: pd.Series | None = None) -> pd.Series:
    """Root mean squared backtest error per item [uom per bucket].

    Parameters
    ----------
    backtest : DataFrame
        Backtest rows of the chosen model: ``item_id, step, actual, forecast``
        (``ForecastResult.backtest``).
    max_step : Series, optional
        Per item, the last step to use (the protection period in buckets,
        rounded up); all steps when missing.

    Returns
    -------
    Series
        Indexed by ``item_id``.
    """
    if backtest is None or len(backtest) == 0:
        return pd.Series(dtype=float)
    b = backtest
    if max_step is not None:
        lim = max_step.reindex(b.item_id).to_numpy()
        b = b[(b.step.to_numpy() <= np.nan_to_num(lim, nan=np.inf)) | (b.step.to_numpy() == 1)]
    return np.sqrt(((b.actual - b.forecast) ** 2).groupby(b.item_id).mean())


def safety_stock(forecast: pd.DataFrame, backtest: pd.DataFrame | None = None,
                 items: pd.DataFrame | None = None, params: PlanParams | None = None,
                 bucket: str = "W", service_type: str = "cycle",
                 buckets: pd.DataFrame | None = None) -> pd.DataFrame:
    """Safety stock and reorder point per item from the forecast and its backtest error.

    Parameters
    ----------
    forecast : DataFrame
        :func:`planlib.forecast.forecast_demand` output: ``item_id,
        period_start, forecast`` [uom per bucket].
    backtest : DataFrame, optional
        Backtest rows of the chosen model (``ForecastResult.backtest``):
        ``item_id, step, actual, forecast`` [uom].
    items : DataFrame, optional
        ``items``: ``lead_time_days`` and ``service_level`` per item; items
        missing here (or no table) use 7 days and ``params.service_level``.
    params : PlanParams, optional
        ``service_level`` (default) and ``review_period_weeks``.
    bucket : {"W", "M"}
        Bucket of the forecast.
    service_type : {"cycle", "fill_rate"}
        Read the service level as a cycle service level (probability of no
        stockout per cycle) or a fill rate (share of demand served).
    buckets : DataFrame, optional
        Bucketed history ``item_id, period_start, qty``: the fallback error
        (standard deviation of demand) for items without a backtest.

    Returns
    -------
    DataFrame
        One row per item: ``item_id``, ``safety_stock`` [uom],
        ``reorder_point`` [uom] (forecast over lead time + review period plus
        safety stock), ``service_level`` [-], ``service_type``,
        ``lead_time_days`` [days], ``review_period_days`` [days],
        ``protection_buckets`` [buckets], ``demand_per_bucket`` [uom/bucket],
        ``demand_over_protection`` [uom], ``sigma_bucket`` [uom/bucket],
        ``sigma_protection`` [uom], ``safety_factor`` [-], ``sigma_source``
        (``backtest``, ``demand_std`` or ``none``).
    """
    if service_type not in ("cycle", "fill_rate"):
        raise ValueError(f"service_type must be 'cycle' or 'fill_rate', not {service_type!r}")
    params = params or PlanParams()
    day = DAYS_PER_BUCKET[bucket]
    fc = forecast.sort_values(["item_id", "period_start"], kind="stable")
    ids = fc.item_id.drop_duplicates().to_numpy()
    lead = pd.Series(7.0, index=ids)
    level = pd.Series(params.service_level, index=ids)
    if items is not None and len(items):
        it = items.drop_duplicates("item_id").set_index("item_id")
        if "lead_time_days" in it:
            lead = it.lead_time_days.reindex(ids).astype(float).fillna(7.0)
        if "service_level" in it:
            level = it.service_level.reindex(ids).astype(float).fillna(params.service_level)
    review_days = 7.0 * params.review_period_weeks
    p_buckets = (lead + review_days) / day
    # forecast over the protection period: whole buckets plus the fraction of the last
    pos = fc.groupby("item_id").cumcount().to_numpy()
    pb = p_buckets.reindex(fc.item_id).to_numpy()
    weight = np.clip(pb - pos, 0, 1)
    over = pd.Series(fc.forecast.to_numpy() * weight, index=fc.item_id.to_numpy()).groupby(level=0).sum()
    per_bucket = fc.groupby("item_id").forecast.mean()
    r_buckets = review_days / day
    cycle = pd.Series(fc.forecast.to_numpy() * np.clip(r_buckets - pos, 0, 1),
                      index=fc.item_id.to_numpy()).groupby(level=0).sum()
    sigma = forecast_error_sigma(backtest, np.ceil(p_buckets)) if backtest is not None else pd.Series(dtype=float)
    sigma = sigma.reindex(ids)
    source = pd.Series(np.where(sigma.notna(), "backtest", "none"), index=ids, dtype=object)
    if buckets is not None and len(buckets):
        dstd = buckets.groupby("item_id").qty.std(ddof=1).reindex(ids)
        fill = sigma.isna() & dstd.notna()
        sigma[fill] = dstd[fill]
        source[fill] = "demand_std"
    sigma = sigma.fillna(0.0)
    sig_p = sigma * np.sqrt(p_buckets)
    if service_type == "cycle":
        k = pd.Series(safety_factor_cycle(level.to_numpy()), index=ids)
    else:
        k = pd.Series([safety_factor_fill_rate(level[i], sig_p[i], cycle.get(i, 0.0)) for i in ids], index=ids)
    ss = np.maximum(0.0, k * sig_p)
    out = pd.DataFrame({
        "item_id": ids, "safety_stock": ss.to_numpy(), "reorder_point": (over.reindex(ids) + ss).to_numpy(),
        "service_level": level.to_numpy(), "service_type": service_type,
        "lead_time_days": lead.to_numpy(), "review_period_days": review_days,
        "protection_buckets": p_buckets.to_numpy(), "demand_per_bucket": per_bucket.reindex(ids).to_numpy(),
        "demand_over_protection": over.reindex(ids).to_numpy(), "sigma_bucket": sigma.to_numpy(),
        "sigma_protection": sig_p.to_numpy(), "safety_factor": k.to_numpy(), "sigma_source": source.to_numpy(),
    })
    return out[SAFETY_STOCK_COLUMNS]


def safety_stock_from_forecast(result, items: pd.DataFrame | None = None, params: PlanParams | None = None,
                               service_type: str = "cycle") -> pd.DataFrame:
    """:func:`safety_stock` from a :class:`planlib.forecast.ForecastResult`.

    Uses its forecast, the backtest of the chosen models, its bucket and its
    bucketed history (fallback error).

    Parameters
    ----------
    result : ForecastResult
        The forecast step's result (:func:`planlib.forecast.build_forecast`).
    items : DataFrame, optional
        The ``items`` table: ``item_id, lead_time_days`` [days], ``service_level`` [-] ... (see
        :func:`safety_stock`).
    params : PlanParams, optional
        The plan-wide service level and review period.
    service_type : {"cycle", "fill_rate"}
        How the service level is read (see :func:`safety_stock`).

    Returns
    -------
    DataFrame
        One row per item, columns as :func:`safety_stock`: ``item_id, safety_stock`` [uom],
        ``reorder_point`` [uom], ``service_level`` [-] ...
    """
    return safety_stock(result.forecast, result.backtest, items, params, result.bucket, service_type,
                        result.buckets)


def expected_shortage(safety_stock: float, sigma: float) -> float:
    """Expected shortage per replenishment cycle ``ESC = sigma G(ss / sigma)`` [uom]
    (Chopra & Meindl 2013, ch. 11)."""
    if sigma <= 0:
        return 0.0
    return float(sigma * normal_loss(safety_stock / sigma))


def fill_rate(safety_stock: float, sigma: float, cycle_demand: float) -> float:
    """Fill rate ``1 - ESC / Q`` of a safety stock [-] (Chopra & Meindl 2013, ch. 11)."""
    if cycle_demand <= 0:
        return 1.0
    return 1.0 - expected_shortage(safety_stock, sigma) / cycle_demand


__all__ = [
    "expected_shortage",
    "fill_rate",
    "forecast_error_sigma",
    "normal_loss",
    "safety_factor_cycle",
    "safety_factor_fill_rate",
    "safety_stock",
    "safety_stock_from_forecast",
]
