"""One plan from every entry point: the weekly run, the CLI given the upstream outputs, each step
notebook opened on its own, :func:`plan_week` and the scenario editor's base give identical planned
orders and schedules from the same data and parameters (planlib.steps is the one definition)."""
from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path

import nbformat
import pandas as pd
import papermill as pm
import pytest

from planlib import steps
from planlib.data import load, read_table, write_tables
from planlib.params import PlanParams, week_start
from planlib.pipeline import NOTEBOOKS, plan_week, run_week

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "sample"
WEEK = "2026-W48"
LIMIT = 5.0

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """The weekly run of the sample (the reference every other entry point must equal)."""
    out = tmp_path_factory.mktemp("reports")
    return run_week(str(SAMPLE), WEEK, out=out, time_limit_s=LIMIT)


@pytest.fixture(scope="module")
def params():
    return PlanParams(plan_start=week_start(WEEK), time_limit_s=LIMIT)


def _as_written(table: pd.DataFrame, tmp: Path, name: str) -> bytes:
    """A table as the one writer writes it (what a planner receives)."""
    write_tables({name: table}, tmp)
    return (tmp / f"{name}.csv").read_bytes()


def _cli(*args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "planlib.cli", *map(str, args)], capture_output=True, text=True,
                          cwd=ROOT)


def test_published_schedule_keeps_the_time_of_day(run):
    """The weekly run's schedule.csv and dispatch_list.csv carried dates only (06:30 read 2026-11-23)."""
    for name in ("schedule", "dispatch_list"):
        text = (run / "schedule" / f"{name}.csv").read_text()
        back = read_table(run / "schedule" / f"{name}.csv")
        start = back.start
        assert pd.api.types.is_datetime64_any_dtype(start), name
        assert (start != start.dt.normalize()).mean() > 0.5, f"{name}: most starts lost their time of day"
        first = start.iloc[0]
        assert f"{first:%Y-%m-%d %H:%M}" in text
    assert "unscheduled_orders" in set(read_table(run / "weekly_report" / "kpis.csv").kpi)


def test_cli_given_the_run_outputs_plans_the_same(run, tmp_path):
    """``planlib mrp --forecast F --safety-stock S`` planned 600 orders where the weekly run planned 602:
    the CLI applied the safety stock suggestions to every item, the pipeline only to items with a
    service-level target. Both now call planlib.steps.mrp."""
    mrp_out, sched_out = tmp_path / "mrp", tmp_path / "schedule"
    r = _cli("mrp", SAMPLE, "--start", WEEK, "--forecast", run / "forecast" / "forecast.csv",
             "--safety-stock", run / "forecast" / "safety_stock.csv", "--out", mrp_out, "--quiet")
    assert r.returncode == 0, r.stderr
    for name in ("planned_orders", "pegging", "mrp_grid", "exceptions"):
        assert (mrp_out / f"{name}.csv").read_bytes() == (run / "mrp" / f"{name}.csv").read_bytes(), name
    r = _cli("schedule", SAMPLE, "--start", WEEK, "--mrp", mrp_out, "--time-limit", LIMIT, "--out", sched_out,
             "--quiet")
    assert r.returncode == 0, r.stderr
    for name in ("schedule", "dispatch_list", "late_orders"):
        assert (sched_out / f"{name}.csv").read_bytes() == (run / "schedule" / f"{name}.csv").read_bytes(), name


@pytest.mark.parametrize("notebook, step, table", [("02_mrp.ipynb", "mrp", "planned_orders"),
                                                   ("03_schedule.ipynb", "schedule", "schedule")])
def test_a_step_notebook_on_its_own_computes_upstream_and_says_so(run, tmp_path, notebook, step, table):
    """Opened on its own (no earlier step in its run folder), 02 planned without a forecast and 03
    without planned orders, silently. Now the upstream steps run in process, with a note first."""
    run_dir = tmp_path / "alone"
    run_dir.mkdir()
    executed = tmp_path / notebook
    pm.execute_notebook(str(NOTEBOOKS / notebook), str(executed), cwd=str(NOTEBOOKS), progress_bar=False,
                        kernel_name="python3",
                        parameters=dict(source=str(SAMPLE), week=WEEK, run_dir=str(run_dir), time_limit_s=LIMIT))
    assert (run_dir / step / f"{table}.csv").read_bytes() == (run / step / f"{table}.csv").read_bytes()
    nb = nbformat.read(executed, 4)
    first = next(c for c in nb.cells if c.cell_type == "code" and "parameters" not in c.metadata.get("tags", [])
                 and "injected-parameters" not in c.metadata.get("tags", []))
    text = " ".join(str(o.get("data", {}).get("text/markdown", "")) + str(o.get("text", "")) for o in first.outputs)
    assert "computed in process" in text, text[:300]


def test_plan_week_and_the_scenario_editor_base_plan_the_same(run, params, tmp_path):
    """The editor's base (570 orders, 83.7 % on time) differed from the weekly run's (602, 69.1 %):
    plan_week did not pass the forecast step's safety stock."""
    from planlib.scenario_editor import ScenarioEditor

    ds = load(SAMPLE)
    plan = plan_week(ds, params)
    expected_orders = (run / "mrp" / "planned_orders.csv").read_bytes()
    expected_schedule = (run / "schedule" / "schedule.csv").read_bytes()
    assert _as_written(plan.planned_orders, tmp_path / "pw", "planned_orders") == expected_orders
    assert _as_written(plan.schedule.schedule, tmp_path / "pw", "schedule") == expected_schedule
    kpis = read_table(run / "weekly_report" / "kpis.csv").set_index("kpi").value
    mine = plan.kpis.set_index("kpi").value
    assert float(mine["on_time_pct"]) == pytest.approx(float(kpis["on_time_pct"]))

    editor = ScenarioEditor(ds, params)  # as the scenario notebook opens it: it forecasts once itself
    editor.dt_machines.value = ("LATHE-2",)  # any change: the base is what is compared here
    editor.dt_start_date.value, editor.dt_end_date.value = dt.date(2026, 11, 24), dt.date(2026, 11, 25)
    editor.dt_add.click()
    editor.run_button.click()
    assert editor.progress.bar_style == "success", editor.message
    assert _as_written(editor.base.planned_orders, tmp_path / "ed", "planned_orders") == expected_orders
    assert _as_written(editor.base.schedule.schedule, tmp_path / "ed", "schedule") == expected_schedule


def test_planning_rules_live_in_steps(sample, params):
    """The two rules that connect the steps: suggestions apply to targeted items only; MRP plans at
    least as far as the forecast reaches."""
    suggestions = pd.DataFrame({"item_id": list(sample.items.item_id[:4]), "safety_stock": [1.0, 2.0, 3.0, 4.0]})
    targeted = set(sample.items.item_id[sample.items.service_level.notna()])
    chosen = steps.planning_safety_stock(suggestions, sample.items)
    assert set(chosen.item_id) == set(suggestions.item_id) & targeted
    assert steps.planning_safety_stock(None, sample.items) is None
    fc = pd.DataFrame({"item_id": ["X"], "period_start": [pd.Timestamp(params.plan_start) + pd.Timedelta(weeks=39)],
                       "forecast": [1.0]})
    assert steps.mrp_params(params, fc).horizon_weeks == 40
    assert steps.mrp_params(params, None).horizon_weeks == params.horizon_weeks
    assert steps.mrp_params(params.replace(horizon_weeks=52), fc).horizon_weeks == 52


def test_manifest_records_every_parameter_the_steps_used(run):
    """The manifest recorded seed and time limit only; now the plan parameters and each step's settings."""
    import json

    m = json.loads((run / "manifest.json").read_text())
    used = m["parameters"]
    plan = used["plan"]
    assert plan["plan_start"] == "2026-11-23" and plan["time_limit_s"] == LIMIT and plan["seed"] == 0
    assert {"horizon_weeks", "forecast_horizon", "demand_time_fence_weeks", "service_level",
            "schedule_horizon_days", "workers", "objective", "deterministic"} <= set(plan)
    assert used["schedule"]["objective"] == "tardiness" and used["schedule"]["deterministic"] is True
    assert used["schedule"]["time_limit_s"] == LIMIT and used["schedule"]["workers"] == 2
    assert used["mrp_horizon_weeks"] == 26 and "past_releases" in used["mrp"]
    assert used["forecast"]["seed"] == 0
    assert m["schedule_horizon_days"] == 14
    promise = read_table(run / "schedule" / "promise_dates.csv")
    assert len(promise) == len(load(SAMPLE).demand)
    assert (promise.scheduled_date.notna() | (promise.basis == "shortage")).all()


def test_mrp_params_reaches_the_end_of_the_last_forecast_bucket_in_whole_weeks():
    params = PlanParams(plan_start=dt.date(2026, 11, 23), horizon_weeks=4)
    fc = pd.DataFrame({"item_id": ["A", "A"], "period_start": pd.to_datetime(["2026-11-23", "2027-03-01"]),
                       "forecast": [1.0, 1.0]})
    # 2027-03-01 is 98 days after the start; its week ends 105 days after: 15 weeks
    assert steps.mrp_params(params, fc).horizon_weeks == 15
    fc.loc[1, "period_start"] = pd.Timestamp("2027-03-02")  # 99 + 7 days: 15.1 weeks -> 16
    assert steps.mrp_params(params, fc).horizon_weeks == 16
    assert steps.mrp_params(params.replace(horizon_weeks=30), fc).horizon_weeks == 30  # never shorter
    monthly = params.replace(bucket="M")
    fc.loc[1, "period_start"] = pd.Timestamp("2027-03-01")  # a month counted 31 days: 129 days -> 19 weeks
    assert steps.mrp_params(monthly, fc).horizon_weeks == 19
    assert steps.mrp_params(params, None) is params
