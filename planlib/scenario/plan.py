"""Planning a scenario next to its base plan: :func:`plan_scenario`.

The one definition of a scenario plan for every caller without a weekly run folder: the
scenario editor (:mod:`planlib.scenario_editor` only lays out widgets and calls it), a notebook,
a script. It plans with the weekly run's steps (:func:`planlib.pipeline.plan_week`) and reuses
the base plan's forecast, scaled by the scenario's demand multipliers, as ``planlib run
--scenario`` plans a scenario: the same data, parameters and scenario give the same tables.
It lives in the scenario package rather than in :mod:`planlib.compare`, which stays pure
(tables in, tables out, no planning).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

from planlib.compare import PlanComparison, compare_plans
from planlib.params import PlanParams
from planlib.scenario.apply import apply_scenario, scale_forecast
from planlib.scenario.changes import Scenario
from planlib.validate import planning_dataset

__all__ = ["ScenarioPlan", "plan_scenario"]


@dataclass
class ScenarioPlan:
    """A scenario plan, the base plan it is compared with, and the comparison.

    Attributes
    ----------
    scenario : Scenario
    base : WeekPlan
        The base plan (given to :func:`plan_scenario`, or planned by it).
    plan : WeekPlan
        The scenario plan: :func:`planlib.pipeline.plan_week` on the changed data (its
        ``mrp``, ``schedule``, ``kpis`` ... as the weekly run writes them).
    comparison : PlanComparison
        :func:`planlib.compare.compare_plans` of ``base`` and ``plan``: KPIs side by side with
        their judgment, the orders the scenario makes late or on time, the work centers whose
        load changes, planned orders per item.
    forecast : ForecastResult, DataFrame or None
        The base forecast both plans start from (None without demand history); pass it, or the
        base, to the next :func:`plan_scenario` call to plan another scenario against the same base.
    """

    scenario: Scenario
    base: object
    plan: object
    comparison: PlanComparison
    forecast: object = None

    def tables(self) -> dict[str, pd.DataFrame]:
        """The comparison's tables.

        Returns
        -------
        dict of DataFrame
            ``kpis, order_status, load, item_orders``: the :class:`PlanComparison` parts, columns
            and units as :func:`planlib.compare.compare_kpis`, :func:`~planlib.compare.compare_order_status`,
            :func:`~planlib.compare.compare_load` and :func:`~planlib.compare.compare_item_orders` list them.
        """
        c = self.comparison
        return {"kpis": c.kpis, "order_status": c.order_status, "load": c.load, "item_orders": c.item_orders}


def _weekly_forecast(ds, params: PlanParams, progress: Callable | None = None):
    """The weekly run's forecast step (:func:`planlib.steps.forecast`: overrides and safety stock
    suggestions included), or None when the dataset has no demand history."""
    if not len(ds.demand_history):
        return None
    from planlib import steps

    return steps.forecast(ds, params, progress=progress)


def _scaled_forecast(forecast, scenario: Scenario, items: pd.DataFrame, params: PlanParams):
    """The base forecast as a scenario plan starts from it: scaled by the scenario's demand
    multipliers (:func:`scale_forecast`) and, for a forecast result, with its safety stock
    suggestions recomputed (:func:`planlib.steps.scenario_forecast`); None stays None.

    Parameters
    ----------
    forecast : ForecastResult, DataFrame or None
        A forecast result, or a bare ``item_id, period_start, forecast`` table [uom per bucket].
    scenario : Scenario
    items : DataFrame
        The scenario's ``items`` (``item_id, family, lead_time_days`` ...), as the weekly run
        passes them: a lead time change moves the safety stock suggestions.
    params : PlanParams
    """
    if forecast is None:
        return None
    if isinstance(forecast, pd.DataFrame):
        return scale_forecast(forecast, scenario, items)
    from planlib import steps

    return steps.scenario_forecast(forecast, scenario, items, params)


def plan_scenario(dataset, params: PlanParams, scenario: Scenario, base=None, *, forecast=None,
                  planner: Callable | None = None, forecaster: Callable | None = None,
                  progress: Callable[[str], Callable | None] | None = None) -> ScenarioPlan:
    """Plan a scenario with the weekly run's steps and compare it with the base plan.

    The scenario is checked and applied first (:func:`apply_scenario`; nothing is planned if it
    does not fit the data). The base plan is ``base`` when given, else planned here from
    ``dataset``. Both plans start from one forecast: ``forecast``, else the base plan's
    (``forecast_result``, else ``forecast``), else the weekly run's forecast step computed once
    here (when there is no base either). The scenario plan gets it scaled by the scenario's demand
    multipliers (:func:`planlib.steps.scenario_forecast`), as ``planlib run --scenario`` has it.

    Parameters
    ----------
    dataset : Dataset
        The base data (never changed).
    params : PlanParams
        Week and settings of both plans.
    scenario : Scenario
    base : WeekPlan, optional
        The base plan, if already planned with ``params``.
    forecast : ForecastResult or DataFrame, optional
        The base forecast: a forecast result (:func:`planlib.steps.forecast`, with its safety stock
        suggestions) or a bare ``item_id, period_start, forecast`` table [uom per bucket].
    planner : callable, optional
        ``planner(ds, params, forecast=None, progress=None)``, returning a plan with ``kpis`` and,
        for the comparison, ``late_orders``, ``promise_dates`` (its ``schedule``'s), ``capacity_load``
        and ``planned_orders`` (its ``mrp``'s); default :func:`planlib.pipeline.plan_week`.
    forecaster : callable, optional
        ``forecaster(ds, params, progress=None)`` returning the base forecast; default
        the weekly run's forecast step (none without demand history).
    progress : callable, optional
        ``progress(phase)`` is called as each phase starts (``"forecast"``, ``"base plan"``,
        ``"scenario plan"``) and returns the progress callback handed to that phase's step (or None).

    Returns
    -------
    ScenarioPlan

    Raises
    ------
    InputError
        If the scenario names what the dataset does not hold (before anything is planned).
    """
    dataset = planning_dataset(dataset, params.plan_start)  # idempotent: an applied dataset stays
    changed = apply_scenario(dataset, scenario)
    if planner is None:
        from planlib.pipeline import plan_week  # imported late: the pipeline imports papermill

        planner = plan_week
    phase = progress or (lambda name: None)
    if forecast is None and base is not None:
        forecast = getattr(base, "forecast_result", None)
        forecast = forecast if forecast is not None else getattr(base, "forecast", None)
    if forecast is None and base is None:
        forecast = (forecaster or _weekly_forecast)(dataset, params, progress=phase("forecast"))
    if base is None:
        base = planner(dataset, params, forecast=forecast, progress=phase("base plan"))
    scaled = _scaled_forecast(forecast, scenario, changed.items, params)
    plan = planner(changed, params, forecast=scaled, progress=phase("scenario plan"))
    return ScenarioPlan(scenario, base, plan, compare_plans(base, plan, scenario), forecast)
