"""plan_scenario: a scenario planned next to its base plan without widgets, with the weekly run's
steps; the scenario editor's Run is the same call."""
from __future__ import annotations

import sys
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
import snapshots
from test_scenario_editor import FORECAST, PARAMS, FakePlanner, plant  # noqa: F401 (plant: a fixture)

from planlib.params import PlanParams
from planlib.problems import InputError
from planlib.scenario import (
    DemandMultiplier,
    Downtime,
    LeadTimeChange,
    Scenario,
    SupplierDelay,
    apply_scenario,
    load_scenario,
)
from planlib.scenario.plan import plan_scenario
from planlib.scenario_editor import ScenarioEditor

SCENARIO = Scenario("more B, M1 and M3 down, S1 late", changes=(
    DemandMultiplier(factor=2.0, families=("F2",)),
    Downtime(machines=("M1", "M3"), start=pd.Timestamp("2026-11-24 06:00"), end=pd.Timestamp("2026-11-25")),
    SupplierDelay(supplier="S1", days=4)))


def _no_widgets(monkeypatch):
    """Any ``import ipywidgets`` (or of the editor) from here on raises ImportError."""
    monkeypatch.setitem(sys.modules, "ipywidgets", None)
    monkeypatch.setitem(sys.modules, "planlib.scenario_editor", None)


def _same_comparison(a, b):
    for part in ("kpis", "order_status", "load", "item_orders"):
        pd.testing.assert_frame_equal(getattr(a, part), getattr(b, part), check_exact=True, obj=part)
    assert (a.name, a.description, a.changes, a.headline()) == (b.name, b.description, b.changes, b.headline())


def test_plan_scenario_is_the_editors_run(plant, monkeypatch):  # noqa: F811
    e = ScenarioEditor(plant, PARAMS, planner=FakePlanner(), forecast=FORECAST, scenario=SCENARIO)
    assert e.run() is not None
    _no_widgets(monkeypatch)
    planner = FakePlanner()
    run = plan_scenario(plant, PARAMS, SCENARIO, forecast=FORECAST, planner=planner)
    for name in ("kpis", "capacity_load", "exceptions", "planned_orders"):
        pd.testing.assert_frame_equal(getattr(run.base, name), getattr(e.base, name), check_exact=True)
        pd.testing.assert_frame_equal(getattr(run.plan, name), getattr(e.result, name), check_exact=True)
    _same_comparison(run.comparison, e.plan_comparison)
    pd.testing.assert_frame_equal(e.comparison, run.comparison.kpis.drop(columns="judgment"))
    # values computed by hand from the data: B's orders doubled (30 -> 60), its forecast 16 -> 32,
    # two machines down, S1's receipt 4 days later
    k = run.comparison.kpis.set_index("kpi")
    assert k.loc["open_demand", ["base", "scenario"]].tolist() == [40.0, 70.0]
    assert k.loc["forecast_total", ["base", "scenario"]].tolist() == [26.0, 42.0]
    assert k.loc["downtime_rows", "scenario"] == 2 and k.loc["receipt_delay_days", "scenario"] == 4
    assert k.loc["open_demand", "judgment"] == ""          # no better-or-worse rule for it
    assert run.comparison.item_orders[["item_id", "base_qty", "scenario_qty"]].values.tolist() == [["B", 30.0, 60.0]]
    # the base plan is planned from the base data, the scenario plan from the changed data
    assert planner.calls[0].ds is plant and planner.calls[0].forecast is FORECAST
    assert planner.calls[1].ds.demand.qty.tolist() == [10, 60] and plant.demand.qty.tolist() == [10, 30]
    assert run.forecast is FORECAST


def test_a_given_base_is_not_planned_again(plant):  # noqa: F811
    planner = FakePlanner()
    base = planner(plant, PARAMS, FORECAST)
    run = plan_scenario(plant, PARAMS, SCENARIO, base, planner=planner,
                        forecaster=lambda *a, **k: pytest.fail("forecast again"))
    assert run.base is base and len(planner.calls) == 2
    assert planner.calls[1].forecast.forecast.sum() == 42.0   # the base plan's forecast, scaled


def test_progress_names_each_phase(plant):  # noqa: F811
    seen = []

    def progress(phase):
        seen.append(phase)
        return lambda *a, **k: seen.append(f"{phase}: {a[0]}")

    plan_scenario(plant, PARAMS, SCENARIO, planner=FakePlanner(), forecaster=lambda ds, p, progress: FORECAST,
                  progress=progress)
    assert seen == ["forecast", "base plan", "base plan: mrp", "base plan: schedule", "scenario plan",
                    "scenario plan: mrp", "scenario plan: schedule"]


def test_a_scenario_that_does_not_fit_plans_nothing(plant):  # noqa: F811
    planner = FakePlanner()
    bad = Scenario("other plant", changes=(Downtime(machines=("LATHE-9",), start=pd.Timestamp("2026-11-24"),
                                                    end=pd.Timestamp("2026-11-25")),))
    with pytest.raises(InputError) as info:
        plan_scenario(plant, PARAMS, bad, planner=planner, forecast=FORECAST)
    assert "LATHE-9" in info.value.problems.problem.iloc[0] and planner.calls == []


def test_a_lead_time_change_moves_the_scenario_safety_stock(sample):
    """As ``planlib run --scenario`` plans it: the scenario's safety stock suggestions are computed
    with the scenario's lead times (the editor used the base items' lead times)."""
    from planlib import steps

    params = PlanParams(plan_start="2026-11-23", horizon_weeks=8, forecast_horizon=8, time_limit_s=0.01)
    base_fc = steps.forecast(sample, params)
    stocked = base_fc.safety_stock
    item = stocked[stocked.safety_stock > 0].sort_values("item_id").item_id.iloc[0]
    longer = Scenario("slow", changes=(LeadTimeChange(items=(item,), add_days=28),))
    calls = []

    def planner(ds, params, forecast=None, progress=None):  # plans nothing: keeps what it is given
        calls.append(forecast)
        return SimpleNamespace(kpis=pd.DataFrame({"kpi": ["items"], "value": [float(len(ds.items))]}))

    e = ScenarioEditor(sample, params, planner=planner, forecast=base_fc, scenario=longer)
    assert e.run() is not None, e.message
    got = calls[1].safety_stock.set_index("item_id")
    weekly_run = steps.forecast(apply_scenario(sample, longer), params, longer).safety_stock.set_index("item_id")
    pd.testing.assert_frame_equal(got, weekly_run, check_exact=True)
    before = stocked.set_index("item_id")
    assert got.loc[item, "lead_time_days"] == before.loc[item, "lead_time_days"] + 28
    assert got.loc[item, "safety_stock"] > before.loc[item, "safety_stock"]     # 4 weeks more to cover
    others = before.index != item
    np.testing.assert_array_equal(got.safety_stock[others].to_numpy(), before.safety_stock[others].to_numpy())


def test_plan_scenario_on_the_sample_is_the_weekly_runs_plan(monkeypatch):
    """Without widgets, the sample's W48 base and lathe_breakdown plans and their comparison equal
    the snapshots (which plan the scenario as ``planlib run --scenario`` does); the editor's Run
    against that base gives the same tables again."""
    from planlib import pipeline

    _, whole = snapshots.stored("sample")
    ds, params, _ = pipeline.inputs(str(snapshots.SAMPLE), snapshots.WEEK, time_limit_s=snapshots.TIME_LIMIT)
    scen = load_scenario(snapshots.ROOT / "data" / "scenarios" / "lathe_breakdown.yaml", ds)
    with monkeypatch.context() as m:
        _no_widgets(m)
        run = plan_scenario(ds, params, scen)
    tables = {**snapshots._plan_tables(run.base), **snapshots._plan_tables(run.plan, "lathe_breakdown.")}
    tables.pop("lathe_breakdown.forecast.forecast_accuracy")   # the base's, reused
    tables.update({f"lathe_breakdown.compare.{k}": v for k, v in run.tables().items()})
    tables["lathe_breakdown.compare.text"] = pd.DataFrame({"line": [run.comparison.headline(),
                                                                    *run.comparison.changes]})
    assert len(tables) > 30
    for name, table in tables.items():
        pd.testing.assert_frame_equal(table, whole[name], check_exact=True, obj=name)
    # the editor's Run: the same call, the same tables
    e = ScenarioEditor(ds, params, base=run.base, scenario=scen)
    assert e.run() is not None, e.message
    again = snapshots._plan_tables(e.result, "lathe_breakdown.")
    again.pop("lathe_breakdown.forecast.forecast_accuracy")
    for name, table in again.items():
        pd.testing.assert_frame_equal(table, tables[name], check_exact=True, obj=name)
    _same_comparison(e.plan_comparison, run.comparison)
