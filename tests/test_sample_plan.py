"""The sample plant is in a normal week: its W48 base plan keeps the ranges data/sample/README.md states.

The plan is made with the functions the weekly run uses (:func:`planlib.pipeline.inputs`,
:func:`planlib.pipeline.plan_week`), with a short deterministic solver budget. Generated plants
are checked with MRP alone (the load and the exceptions do not depend on the schedule).
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from planlib import pipeline, steps
from planlib.factory import make_factory
from planlib.params import PlanParams
from planlib.pipeline import late_lines

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "sample"
WEEK = "2026-W48"
SCENARIOS = ROOT / "data" / "scenarios"
TIME_LIMIT = 5.0
BOTTLENECK = "LATHE"


def _load(capacity_load: pd.DataFrame, weeks: int = 4) -> pd.DataFrame:
    """Mean and peak load per work center over the first ``weeks`` weeks [fraction of available hours]."""
    first = capacity_load[capacity_load.period <= weeks]
    g = first.groupby("work_center_id")
    return pd.DataFrame({"mean": g.load_hours.sum() / g.available_hours.sum(), "peak": g.utilisation.max()})


def _figures(plan) -> dict:
    sched = plan.schedule
    k = sched.kpis[sched.kpis.machine_id.fillna("").astype(str).isin(["", "nan"])].set_index("kpi").value
    ex = plan.mrp.exceptions.exception.value_counts()
    lines = sched.promise_dates
    return dict(on_time=float(k["on_time_pct"]), late=int(float(k["late_orders"])),
                lines_on_time=1 - len(late_lines(lines)) / len(lines), exceptions=ex,
                load=_load(plan.mrp.capacity_load),
                hours=float(plan.mrp.capacity_load.query("period <= 6").load_hours.sum()),
                week1=plan.mrp.capacity_load.query("period == 1").set_index("work_center_id").utilisation)


@pytest.fixture(scope="module")
def base():
    ds, params, _ = pipeline.inputs(str(SAMPLE), WEEK, time_limit_s=TIME_LIMIT)
    plan = pipeline.plan_week(ds, params)
    return plan, _figures(plan)


def test_most_orders_are_on_time(base):
    _, f = base
    assert f["on_time"] >= 90.0          # production orders on time [%]
    assert 1 <= f["late"] <= 6           # a few late: the rush order and what waits for it
    assert f["lines_on_time"] >= 0.95    # customer order lines


def test_one_bottleneck_the_others_comfortable(base):
    _, f = base
    load = f["load"]
    others = load.drop(BOTTLENECK)
    assert load["mean"].idxmax() == BOTTLENECK
    assert 0.85 <= load.loc[BOTTLENECK, "mean"] <= 1.05  # turning near its capacity over four weeks
    assert 1.0 <= load.loc[BOTTLENECK, "peak"] <= 1.45  # and slightly above it in its busiest week
    assert (others["mean"] <= 0.75).all() and (others["mean"] >= 0.30).all()  # the others comfortable
    assert (others["peak"] <= 1.15).all()
    assert load.loc[BOTTLENECK, "mean"] >= others["mean"].max() + 0.2  # a clear bottleneck


def test_exceptions_are_a_handful_of_real_problems(base):
    _, f = base
    ex = f["exceptions"]
    assert ex.get("release_in_past", 0) <= 5
    assert ex.get("past_due_receipt", 0) == 1      # the late supplier
    assert ex.get("past_due_demand", 0) == 2       # two lines past due
    shortages = sum(ex.get(k, 0) for k in ("release_in_past", "below_safety_stock", "past_due_demand", "shortage"))
    assert 2 <= shortages <= 10
    assert ex.get("shortage", 0) == 0


def test_sample_carries_its_deliberate_problems(sample_state):
    sample = sample_state  # the state the plan starts from
    start = pd.Timestamp("2026-11-23")
    sr = sample.scheduled_receipts
    late_po = sr[(sr.order_type == "purchase") & (sr.due_date < start)]
    assert len(late_po) == 1
    # the late receipt's item is needed now: its free stock is below a week of its receipts' worth
    item = late_po.item_id.iloc[0]
    inv = sample.inventory.set_index("item_id")
    assert inv.on_hand[item] - inv.allocated[item] < late_po.qty.iloc[0]
    ex = sample.calendar_exceptions
    assert (ex.kind == "maintenance").sum() == 1
    dem = sample.demand
    assert (dem.due_date < start).sum() == 2
    rush = dem[(dem.due_date == start + pd.Timedelta(days=2)) & (dem.priority == 1)]
    assert len(rush) >= 1
    items = sample.items.set_index("item_id")
    free = inv.on_hand - inv.allocated
    below = items.index[(items.safety_stock > 0) & (free.reindex(items.index) < items.safety_stock)]
    assert len(below) == 1


def _scenario(base, name):
    plan, f = base
    ds, params, scen = pipeline.inputs(str(SAMPLE), WEEK, scenario=str(SCENARIOS / f"{name}.yaml"),
                                       time_limit_s=TIME_LIMIT)
    other = pipeline.plan_week(ds, params, forecast=plan.forecast_result, scenario=scen)
    return f, _figures(other)


def test_lathe_breakdown_overloads_turning_in_its_week(base):
    f, s = _scenario(base, "lathe_breakdown")
    before, after = (x["week1"][BOTTLENECK] for x in (f, s))
    assert before < 0.8 and after >= before + 0.3  # two lathes down: turning's first week near capacity
    assert s["late"] >= f["late"]


def test_rush_orders_make_orders_late(base):
    f, s = _scenario(base, "rush_orders")
    assert s["late"] > f["late"]
    assert s["exceptions"].get("release_in_past", 0) > f["exceptions"].get("release_in_past", 0)


def test_peak_demand_raises_the_load(base):
    f, s = _scenario(base, "peak_demand")
    assert s["hours"] > 1.05 * f["hours"]  # more work in the six weeks of the peak
    assert s["week1"][BOTTLENECK] > f["week1"][BOTTLENECK] + 0.1  # turning's first week fills up
    assert s["exceptions"].get("release_in_past", 0) > f["exceptions"].get("release_in_past", 0)


def test_supplier_delay_shows_in_the_material_plan(base):
    f, s = _scenario(base, "supplier_delay")
    short = ("release_in_past", "past_due_receipt", "expedite", "shortage", "below_safety_stock")
    assert sum(s["exceptions"].get(k, 0) for k in short) > sum(f["exceptions"].get(k, 0) for k in short)


# --------------------------------------------------------------------------- generated plants

def _mrp_figures(ds):
    params = PlanParams()
    fc = steps.forecast(ds, params)
    m = steps.mrp(ds, params, fc.forecast, fc.safety_stock)
    return m.exceptions.exception.value_counts(), _load(m.capacity_load)


@pytest.mark.parametrize("seed", [1, 2])
def test_generated_plant_is_feasible_with_slack(seed):
    ds = make_factory(n_items=300, seed=seed, history_weeks=52)
    ex, load = _mrp_figures(ds)
    n_make = int((ds.items.item_type == "make").sum())
    assert ex.get("release_in_past", 0) <= 0.15 * n_make  # stressed: over half of them
    assert ex.get("shortage", 0) == 0
    assert (load["mean"] <= 1.0).all()


def test_stressed_plant_is_not():
    calm = _mrp_figures(make_factory(n_items=300, seed=1, history_weeks=52))
    stressed = _mrp_figures(make_factory(n_items=300, seed=1, history_weeks=52, stressed=True))
    assert stressed[0].get("release_in_past", 0) > 3 * max(1, calm[0].get("release_in_past", 0))
    assert (stressed[1]["mean"] > 1.0).any()
