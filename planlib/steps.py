"""The three planning steps, one definition each, as every entry point calls them.

``forecast`` -> ``mrp`` -> ``schedule``: each turns a dataset, the planning
parameters and the upstream step's tables into that step's result, whose
``tables()`` are what gets written. The ``planlib`` subcommands, the weekly
run's notebooks (through :mod:`planlib.pipeline`), :func:`planlib.pipeline.plan_week`
and the scenario editor all call these functions, so the same inputs and
parameters give the same plan whichever way it is made.

The planning rules that connect the steps live here and nowhere else:

- which safety stock MRP plans to (:func:`planning_safety_stock`): the
  forecast step's suggestion for items with a service-level target, the
  item master's ``safety_stock`` for the others;
- how far MRP plans when a forecast is given (:func:`mrp_params`): at least
  as far as the forecast reaches;
- how the schedule is solved (:func:`schedule_settings`): deterministic
  CP-SAT with the run's seed, time limit and workers, orders that the data
  cannot schedule reported rather than failing the run;
- what the schedule takes from MRP: the planned make orders, and the pegging
  that says which supply serves which order's components.

Glossary: docs/glossary.md.
"""
from __future__ import annotations

from collections.abc import Callable

import pandas as pd

from planlib.buckets import lead_time_buckets
from planlib.dataset import Dataset
from planlib.params import PlanParams

__all__ = ["forecast", "forecast_settings", "forecast_tables", "mrp", "mrp_params", "planning_safety_stock",
           "scenario_forecast", "schedule", "schedule_settings", "schedule_tables", "used_parameters"]


# --------------------------------------------------------------------------- forecast

def forecast_settings(params: PlanParams, **changes):
    """The :class:`planlib.forecast.ForecastSettings` of a plan: the plan's seed and workers, plus
    ``changes``."""
    from planlib.forecast import ForecastSettings

    return ForecastSettings(**{"seed": params.seed, "n_jobs": params.workers, **changes})


def forecast(ds: Dataset, params: PlanParams, scenario=None, *, settings=None, as_of=None,
             horizon: int | None = None, service_type: str = "cycle",
             progress: Callable[[str], None] | None = None):
    """Forecast every item with demand history and suggest safety stock from its errors.

    Parameters
    ----------
    ds : Dataset
        Uses ``demand_history``, and ``forecast_overrides`` and ``items`` when present.
    params : PlanParams
        ``plan_start`` (the first bucket forecast, unless ``as_of`` is given),
        ``forecast_horizon``, ``bucket``, ``seed``, ``service_level``,
        ``review_period_weeks``.
    scenario : Scenario, optional
        Its demand multipliers scale the forecast (:func:`scenario_forecast`).
    settings : ForecastSettings, optional
        Default :func:`forecast_settings`.
    as_of : date or "history", optional
        First day to forecast; default ``params.plan_start``; ``"history"``: the bucket after the
        last history date.
    horizon : int, optional
        Buckets to forecast; default ``params.forecast_horizon``.
    service_type : {"cycle", "fill_rate"}
        How item service levels are read for the safety stock suggestions.

    Returns
    -------
    ForecastResult
        :func:`planlib.forecast.build_forecast`'s result with ``safety_stock``
        (:func:`planlib.inventory.safety_stock`) set; :func:`forecast_tables` lists
        the tables written.
    """
    from planlib.forecast import build_forecast
    from planlib.inventory import safety_stock_from_forecast

    items = ds.items if ds.has("items") else None
    res = build_forecast(ds.demand_history, horizon or params.forecast_horizon, params.bucket,
                         as_of=params.plan_start if as_of is None else None if as_of == "history" else as_of,
                         overrides=ds.forecast_overrides if ds.has("forecast_overrides") else None,
                         settings=settings or forecast_settings(params), progress=progress)
    res.service_type = service_type
    res.safety_stock = safety_stock_from_forecast(res, items, params, service_type)
    if scenario is not None:
        res = scenario_forecast(res, scenario, items, params)
    return res


def scenario_forecast(result, scenario, items: pd.DataFrame | None, params: PlanParams):
    """A forecast result with a scenario's demand multipliers applied and its safety stock
    suggestions recomputed from the scaled forecast (the error estimate stays the backtest's).

    Parameters
    ----------
    result : ForecastResult
        The forecast step's result (:func:`planlib.forecast.build_forecast`).
    scenario : Scenario
        Its demand multipliers scale ``result.forecast`` (:func:`planlib.scenario.scale_forecast`).
    items : DataFrame or None
        The ``items`` table (``item_id, family, service_level`` ...), for the multipliers by family
        and the service-level targets; None for none.
    params : PlanParams

    Returns
    -------
    ForecastResult
        A copy; ``forecast`` scaled (columns as :func:`planlib.forecast.forecast_demand`) and
        ``safety_stock`` recomputed (:func:`planlib.inventory.safety_stock_from_forecast`).
        ``result`` is not changed.
    """
    import copy

    from planlib.inventory import safety_stock_from_forecast
    from planlib.scenario import scale_forecast

    out = copy.copy(result)
    out.forecast = scale_forecast(result.forecast, scenario, items if items is not None else pd.DataFrame(
        columns=["item_id", "family"]))
    out.safety_stock = safety_stock_from_forecast(out, items, params, getattr(result, "service_type", "cycle"))
    return out


def forecast_tables(result) -> dict[str, pd.DataFrame]:
    """The tables a forecast step writes.

    Parameters
    ----------
    result : ForecastResult
        The forecast step's result (:func:`planlib.forecast.build_forecast`).

    Returns
    -------
    dict of str to DataFrame
        ``forecast, forecast_accuracy, safety_stock, demand_classes`` and, when outliers were
        cleaned, ``forecast_outliers``: the result's ``forecast, accuracy, safety_stock, classes,
        outliers`` (columns and units in :class:`planlib.forecast.ForecastResult`).
    """
    tables = {"forecast": result.forecast, "forecast_accuracy": result.accuracy,
              "safety_stock": result.safety_stock, "demand_classes": result.classes}
    if result.outliers is not None and len(result.outliers):
        tables["forecast_outliers"] = result.outliers
    return tables


# --------------------------------------------------------------------------- MRP

def planning_safety_stock(suggestions: pd.DataFrame | None, items: pd.DataFrame) -> pd.DataFrame | None:
    """The safety stock MRP plans to, from the forecast step's suggestions.

    A suggestion replaces ``items.safety_stock`` only for items that carry a
    service-level target (``items.service_level`` set); the others keep their
    item-master safety stock.

    Parameters
    ----------
    suggestions : DataFrame or None
        ``item_id, safety_stock`` [uom] (:func:`planlib.inventory.safety_stock`);
        other columns are ignored.
    items : DataFrame
        ``items`` with ``service_level``.

    Returns
    -------
    DataFrame or None
        ``item_id, safety_stock`` [uom] for the targeted items; None when no suggestion is given.
    """
    if suggestions is None or "safety_stock" not in suggestions:
        return None
    targeted = set(items.item_id[items.service_level.notna()]) if "service_level" in items else set()
    out = suggestions[suggestions.item_id.astype(str).isin(targeted)][["item_id", "safety_stock"]]
    return out.reset_index(drop=True)


def mrp_params(params: PlanParams, forecast: pd.DataFrame | None) -> PlanParams:
    """The parameters MRP plans with: given a forecast, the horizon reaches at least to the end of
    the forecast's last bucket (forecast beyond the MRP horizon is demand too), never shorter than
    ``params.horizon_weeks``.

    Parameters
    ----------
    params : PlanParams
    forecast : DataFrame or None
        The forecast step's ``forecast`` table; only ``period_start`` (the first day of each
        bucket) is read.

    Returns
    -------
    PlanParams
        ``params`` with ``horizon_weeks`` raised to the whole weeks [weeks] from ``plan_start`` to
        the end of the last forecast bucket (a month bucket counted as 31 days), if that is longer.
    """
    if forecast is None or not len(forecast) or "period_start" not in forecast:
        return params
    start = pd.Timestamp(params.plan_start)
    last = pd.to_datetime(forecast.period_start).max()
    bucket_days = 7 if params.bucket == "W" else 31
    reach = int(lead_time_buckets((last - start).days + bucket_days))  # whole weeks to the end of the last bucket
    return params.replace(horizon_weeks=max(params.horizon_weeks, reach))


def mrp(ds: Dataset, params: PlanParams, forecast: pd.DataFrame | None = None,
        safety_stock: pd.DataFrame | None = None, settings=None):
    """MPS and MRP from customer orders, the forecast and stock.

    Parameters
    ----------
    ds : Dataset
        See :func:`planlib.mrp.run_mrp`.
    params : PlanParams
    forecast : DataFrame, optional
        The forecast step's ``forecast`` table (``item_id, period_start, forecast`` [uom per bucket]).
    safety_stock : DataFrame, optional
        The forecast step's ``safety_stock`` suggestions (``item_id, safety_stock`` [uom]);
        applied by :func:`planning_safety_stock`.
    settings : MrpSettings, optional

    Returns
    -------
    MrpResult
        Its ``tables()`` are written.
    """
    from planlib.mrp import run_mrp

    return run_mrp(ds, mrp_params(params, forecast), forecast=forecast,
                   safety_stock=planning_safety_stock(safety_stock, ds.items), settings=settings)


# --------------------------------------------------------------------------- schedule

def schedule_settings(params: PlanParams, **changes):
    """The :class:`planlib.schedule.ScheduleSettings` of a plan: horizon, time limit, workers and
    seed from ``params``, deterministic CP-SAT (repeatable), the objective ``params.objective``,
    orders the data cannot schedule reported instead of failing, staffing as a limit when
    ``params.respect_staffing``; ``changes`` override."""
    from planlib.schedule import ScheduleSettings

    values = dict(horizon_days=params.schedule_horizon_days, time_limit_s=params.time_limit_s,
                  workers=params.workers, seed=params.seed, deterministic=params.deterministic,
                  objective=params.objective, skip_unschedulable=True,
                  respect_staffing=params.respect_staffing)
    values.update(changes)
    return ScheduleSettings(**values)


def schedule(ds: Dataset, params: PlanParams, planned_orders: pd.DataFrame | None = None,
             pegging: pd.DataFrame | None = None, settings=None, crews: dict | None = None,
             progress: Callable[[str], None] | None = None):
    """Finite-capacity schedule of released and planned make orders, checked independently.

    Parameters
    ----------
    ds : Dataset
        See :func:`planlib.schedule.schedule_dataset`.
    params : PlanParams
    planned_orders : DataFrame, optional
        MRP's ``planned_orders``; its make orders released in the horizon are scheduled.
    pegging : DataFrame, optional
        MRP's ``pegging``: which supply serves which order's components.
    settings : ScheduleSettings, optional
        Default :func:`schedule_settings`.
    crews : dict, optional
        ``work_center_id -> operators``.
    progress : callable, optional
        Called with a line of text at each stage of the solve, with the time left.

    Returns
    -------
    ScheduleResult
        :func:`schedule_tables` lists the tables written. Given MRP's pegging, its
        ``promise_dates`` (:func:`planlib.promise.promise_dates`) are set: when the schedule
        completes each customer order line, what MRP would promise, and why they differ.

    Raises
    ------
    RuntimeError
        The independent checker (:func:`planlib.schedule.check`) finds a broken rule: such a
        schedule is never returned.
    """
    from planlib.schedule import check, schedule_dataset

    settings = settings or schedule_settings(params)
    res = schedule_dataset(ds, pd.Timestamp(params.plan_start), settings, planned_orders=planned_orders,
                           crews=crews, pegging=pegging, progress=progress)
    violations = check(res, ds)
    if len(violations):  # the independent checker disagrees with the solver: never publish such a schedule
        raise RuntimeError(f"the schedule breaks {len(violations)} rule(s), first: "
                           f"{violations.iloc[0].to_dict()}")
    if pegging is not None and planned_orders is not None and ds.has("demand") and len(ds.demand):
        from planlib.promise import promise_dates

        res.promise_dates = promise_dates(ds.demand, pegging, res.schedule, res.late_orders, planned_orders,
                                          params.plan_start, scheduled_receipts=ds.scheduled_receipts,
                                          exceptions=res.exceptions, horizon_days=settings.horizon_days)
    return res


def schedule_tables(result) -> dict[str, pd.DataFrame]:
    """The tables a schedule step writes.

    Parameters
    ----------
    result : ScheduleResult
        The schedule step's result (:func:`planlib.steps.schedule`).

    Returns
    -------
    dict of str to DataFrame
        ``schedule, dispatch_list, schedule_kpis, late_orders, schedule_exceptions`` (orders left
        out), ``schedule_warnings`` (scheduled, but look), ``material`` (when each order's components
        are available, the checker's input) and, given MRP's pegging, ``promise_dates``; columns and
        units in :class:`planlib.schedule.ScheduleResult` and :func:`planlib.promise.promise_dates`.
    """
    tables = {"schedule": result.schedule, "dispatch_list": result.dispatch_list,
              "schedule_kpis": result.kpis, "late_orders": result.late_orders,
              "schedule_exceptions": result.exceptions}
    for name, attr in (("schedule_warnings", "warnings"), ("material", "material"),
                       ("promise_dates", "promise_dates")):
        table = getattr(result, attr, None)
        if isinstance(table, pd.DataFrame):
            tables[name] = table
    return tables


def used_parameters(params: PlanParams, schedule=None, forecast=None, mrp=None) -> dict:
    """Every planning parameter a plan used, for its manifest: the :class:`PlanParams` and the
    step settings (schedule objective, time limit, workers, seed, deterministic mode ...)."""
    from dataclasses import asdict, is_dataclass

    def plain(obj):
        if obj is None:
            return None
        values = asdict(obj) if is_dataclass(obj) else dict(vars(obj))
        return {k: (v if isinstance(v, (int, float, str, bool, type(None))) else str(v))
                for k, v in values.items()}

    out = {"plan": params.as_dict()}
    for name, obj in (("forecast", forecast), ("mrp", mrp), ("schedule", schedule)):
        if obj is not None:
            out[name] = plain(obj)
    return out
