"""The dispatching heuristic's incremental candidate evaluation makes the decisions of the reference.

``planlib.schedule.dispatch`` evaluates candidates on arrays and only where a placement moved
them; ``tests/dispatch_reference.py`` is the earlier one-candidate-at-a-time implementation of
the same rules. On generated plants (calendars with holidays, maintenance and overtime, family
changeovers, uninterruptible runs, MRP's material links between orders, crews) both must give
the same solution table, row for row, and the schedule must pass the independent checker.
"""
from __future__ import annotations

import importlib

import pandas as pd
import pytest

from dispatch_reference import reference_dispatch
from planlib.factory import make_factory
from planlib.mrp import run_mrp
from planlib.params import PlanParams
from planlib.schedule import (
    ScheduleSettings,
    build_orders,
    build_problem,
    check_schedule,
    dispatch,
    material_supply,
)
from planlib.schedule.generate import random_orders
from planlib.schedule.report import material_table, to_schedule

T0 = pd.Timestamp("2026-11-23")  # Monday of ISO week 2026-W48
# the module (planlib.schedule.dispatch the attribute is the function)
dispatch_module = importlib.import_module("planlib.schedule.dispatch")


def _mrp_plant(seed: int, stressed: bool, crews: bool):
    """A generated plant's MRP orders in a 3-week horizon, with MRP's material links; crews of 2
    operators on every other work center if ``crews``."""
    ds = make_factory(n_items=80 if stressed else 200, levels=4, n_work_centers=8, seed=seed, history_weeks=20,
                      stressed=stressed)
    mrp = run_mrp(ds, PlanParams(plan_start=T0.date()))
    orders = build_orders(ds, T0, 21, mrp.planned_orders)
    material = material_supply(ds, orders, T0, mrp.planned_orders, mrp.pegging)
    teams = {w: 2 for w in sorted(ds.work_centers.work_center_id)[::2]} if crews else None
    problem = build_problem(ds, orders, T0, ScheduleSettings(horizon_days=21, skip_unschedulable=True),
                            material=material, crews=teams, calendar_days=120)
    return ds, problem


def _crowded_plant():
    """Many random orders released in two days on a plant of four work centers (long queues:
    large conflict sets)."""
    ds = make_factory(n_items=120, n_work_centers=4, seed=7, history_weeks=20)
    orders = random_orders(ds, 300, T0, seed=11, release_days=2, due_days=(3, 20))
    problem = build_problem(ds, orders, T0, ScheduleSettings(horizon_days=28, skip_unschedulable=True),
                            calendar_days=240)
    return ds, problem


PLANTS = {
    "mrp-stressed-crews": lambda: _mrp_plant(1, True, True),
    "mrp-calm-crews": lambda: _mrp_plant(2, False, True),
    "mrp-stressed": lambda: _mrp_plant(3, True, False),
    "mrp-calm": lambda: _mrp_plant(4, False, False),
    "crowded": _crowded_plant,
}


@pytest.fixture(scope="module", params=sorted(PLANTS))
def plant(request):
    return request.param, *PLANTS[request.param]()


@pytest.mark.parametrize("rule", ["atcs", "edd", "mwkr"])
def test_incremental_dispatch_makes_the_reference_decisions(plant, rule):
    name, ds, problem = plant
    assert len(problem.ops) > 50
    fast = dispatch(problem, rule)
    assert fast.equals(reference_dispatch(problem, rule)), f"{name} {rule}: the decisions differ"
    sched = to_schedule(problem, fast)
    bad = check_schedule(sched, problem.plan_start, problem.calendar_intervals, ds.setup_matrix, None, ds.machines,
                         problem.crews, material=material_table(problem, sched))
    assert bad.empty, bad.to_string()


def test_the_array_paths_are_the_ones_exercised(monkeypatch):
    """On the crowded plant the candidates are evaluated on arrays in batches and the ATCS index
    is ranked on arrays, so the equality above covers those paths and not only the scalar ones."""
    calls = {"evaluate_many": [], "atcs_many": []}
    real_eval, real_atcs = dispatch_module._Dispatch.evaluate_many, dispatch_module._Dispatch.atcs_many

    def evaluate_many(self, ops):
        calls["evaluate_many"].append(len(ops))
        return real_eval(self, ops)

    def atcs_many(self, ops, t):
        calls["atcs_many"].append(len(ops))
        return real_atcs(self, ops, t)

    monkeypatch.setattr(dispatch_module._Dispatch, "evaluate_many", evaluate_many)
    monkeypatch.setattr(dispatch_module._Dispatch, "atcs_many", atcs_many)
    _, problem = _crowded_plant()
    dispatch(problem, "atcs")
    assert len(calls["evaluate_many"]) > 100 and max(calls["evaluate_many"]) > 20
    assert len(calls["atcs_many"]) > 100 and max(calls["atcs_many"]) > 20
