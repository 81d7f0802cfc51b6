"""The scenario editor's widget logic: set widget values in Python, click the buttons."""
from __future__ import annotations

import datetime as dt
import os
import shlex
import sys
import threading
import time
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from planlib.cli import build_parser
from planlib.data import from_frames, load, write_dataset
from planlib.params import PlanParams
from planlib.scenario import (
    DemandMultiplier,
    Downtime,
    LeadTimeChange,
    Overtime,
    RushOrder,
    Scenario,
    SupplierDelay,
    load_scenario,
    scale_forecast,
)
from planlib.scenario_editor import (
    ScenarioEditor,
    capacity_comparison_chart,
    exception_comparison_chart,
    kpi_delta_chart,
    repository_root,
    weekly_run_command,
)

ROOT = Path(__file__).resolve().parents[1]
PARAMS = PlanParams(plan_start="2026-11-23", time_limit_s=0.01)


@pytest.fixture(scope="module")
def plant():
    return from_frames({
        "items": pd.DataFrame({"item_id": ["A", "B", "R1"], "item_type": ["make", "make", "buy"],
                               "lead_time_days": [7, 14, 10], "family": ["F1", "F2", ""],
                               "supplier_id": [None, None, "S1"]}),
        "suppliers": pd.DataFrame({"supplier_id": ["S1"], "lead_time_days": [10]}),
        "demand": pd.DataFrame({"order_id": ["O1", "O2"], "item_id": ["A", "B"], "qty": [10, 30],
                                "due_date": ["2026-11-25", "2026-12-09"]}),
        "calendars": pd.DataFrame({"calendar_id": ["C"], "weekday": ["Mon"], "start_time": ["06:00"],
                                   "end_time": ["14:00"]}),
        "work_centers": pd.DataFrame({"work_center_id": ["W1", "W2"], "calendar_id": ["C", "C"]}),
        "machines": pd.DataFrame({"machine_id": ["M1", "M2", "M3"], "work_center_id": ["W1", "W1", "W2"]}),
        "scheduled_receipts": pd.DataFrame({"order_id": ["P1"], "item_id": ["R1"], "order_type": ["purchase"],
                                            "qty": [100], "due_date": ["2026-12-01"], "supplier_id": ["S1"]}),
    })


FORECAST = pd.DataFrame({"item_id": ["A", "A", "B", "B"],
                         "period_start": pd.to_datetime(["2026-11-23", "2026-11-30"] * 2),
                         "forecast": [5.0, 5.0, 8.0, 8.0]})


class FakePlanner:
    """Plans nothing: KPIs that read straight off the data it is given, so every change shows."""

    def __init__(self, fail: bool = False):
        self.calls, self.fail = [], fail

    def __call__(self, ds, params, forecast=None, progress=None):
        self.calls.append(SimpleNamespace(ds=ds, forecast=forecast))
        if progress:
            progress("mrp")
            progress("schedule")
        if self.fail:
            raise RuntimeError("solver exploded")
        ex = ds.calendar_exceptions
        offset = (ds.scheduled_receipts.due_date - pd.Timestamp("2026-12-01")).dt.days.sum()
        kpis = pd.DataFrame({
            "kpi": ["open_demand", "forecast_total", "downtime_rows", "overtime_rows", "receipt_delay_days",
                    "lead_time_total", "status"],
            "value": [float(ds.demand.qty.sum()), float(forecast.forecast.sum()) if forecast is not None else 0.0,
                      int(ex.kind.isin(["breakdown", "maintenance"]).sum()), int((ex.kind == "overtime").sum()),
                      int(offset), float(ds.items.lead_time_days.sum()), "OPTIMAL"],
            "unit": ["units", "units", "", "", "days", "days", ""]})
        load = pd.DataFrame({"work_center_id": ["W1", "W2"], "period": [1, 1],
                             "period_start": pd.to_datetime(["2026-11-23"] * 2),
                             "load_hours": [float(ds.demand.qty.sum()), 5.0], "available_hours": [40.0, 40.0]})
        exceptions = pd.DataFrame({"exception": ["expedite"] * (1 + len(ds.demand) // 2)})
        orders = ds.demand.assign(release_date=ds.demand.due_date - pd.Timedelta(days=7))[
            ["item_id", "qty", "release_date", "due_date"]]
        return SimpleNamespace(kpis=kpis, capacity_load=load, exceptions=exceptions, forecast=forecast,
                               planned_orders=orders)


def editor(plant, params=PARAMS, **kw):
    kw.setdefault("planner", FakePlanner())
    kw.setdefault("forecast", FORECAST)
    return ScenarioEditor(plant, params, **kw)


# --------------------------------------------------------------------------- building changes

def test_layout_offers_the_data(plant):
    e = editor(plant)
    assert e.tabs.titles == ("Demand", "Rush order", "Downtime", "Overtime", "Supplier delay", "Lead time")
    assert e.dm_items.options == ("A", "B", "R1") and e.dm_families.options == ("F1", "F2")
    assert e.dt_machines.options == ("M1", "M2", "M3") and e.ot_work_centers.options == ("W1", "W2")
    assert e.sd_supplier.options == ("S1",)
    assert "application/vnd.jupyter.widget-view+json" in e._repr_mimebundle_()


def test_each_add_button_makes_its_change(plant):
    e = editor(plant)
    e.dm_items.value, e.dm_families.value = ("A",), ("F2",)
    e.dm_from.value, e.dm_to.value = dt.date(2026, 11, 30), dt.date(2026, 12, 13)
    e.dm_factor.value, e.dm_apply.value = 1.5, "orders"
    e.dm_add.click()
    e.ro_item.value, e.ro_qty.value, e.ro_due.value, e.ro_priority.value = "B", 12.0, dt.date(2026, 12, 2), 2
    e.ro_add.click()
    e.dt_machines.value, e.dt_reason.value = ("M2",), "maintenance"
    e.dt_start_date.value, e.dt_start_time.value = dt.date(2026, 11, 24), dt.time(10, 0)
    e.dt_end_date.value, e.dt_end_time.value = dt.date(2026, 11, 25), None        # through the 25th
    e.dt_add.click()
    e.ot_work_centers.value, e.ot_repeat.value = ("W1",), 3
    e.ot_add.click()                                                              # defaults: Saturday 06-12
    e.ot_machines.value, e.ot_work_centers.value, e.ot_repeat.value, e.ot_weekdays.value = ("M3",), (), 1, (0, 4)
    e.ot_start_date.value, e.ot_start_time.value = dt.date(2026, 11, 23), dt.time(22, 0)
    e.ot_end_date.value, e.ot_end_time.value = dt.date(2026, 11, 24), dt.time(6, 0)
    e.ot_add.click()                                                              # nights after Mon and Fri
    e.sd_supplier.value, e.sd_days.value = "S1", 9
    e.sd_add.click()
    e.lt_items.value, e.lt_mode.value, e.lt_days.value = ("A", "B"), "add_days", -2.0
    e.lt_add.click()
    assert e.changes == [
        DemandMultiplier(factor=1.5, items=("A",), families=("F2",), start=dt.date(2026, 11, 30),
                         end=dt.date(2026, 12, 13), apply_to=("orders",)),
        RushOrder(item="B", qty=12.0, due=dt.date(2026, 12, 2), priority=2),
        Downtime(machines=("M2",), start=pd.Timestamp("2026-11-24 10:00"), end=pd.Timestamp("2026-11-26"),
                 reason="maintenance"),
        Overtime(work_centers=("W1",), start=pd.Timestamp("2026-11-28 06:00"),
                 end=pd.Timestamp("2026-11-28 12:00"), repeat_weeks=3),
        Overtime(machines=("M3",), start=pd.Timestamp("2026-11-23 22:00"), end=pd.Timestamp("2026-11-24 06:00"),
                 weekdays=(0, 4)),
        SupplierDelay(supplier="S1", days=9),
        LeadTimeChange(items=("A", "B"), add_days=-2.0),
    ]
    assert [label for label, _ in e.changes_list.options][1] == "2. rush order: 12 x B due 2026-12-02 (priority 2)"
    assert e.message == "added: lead time -2 days for A, B"


@pytest.mark.parametrize("setup, words", [
    (lambda e: None, "no machine or work center"),                                       # downtime, nothing picked
    (lambda e: setattr(e.dt_machines, "value", ("M1",)) or setattr(e.dt_end_time, "value", dt.time(5, 0)),
     "ends before it starts"),
])
def test_a_wrong_downtime_is_not_added(plant, setup, words):
    e = editor(plant)
    setup(e)
    e.dt_add.click()
    assert e.changes == [] and e.message.startswith("not added") and words in e.message
    assert "#c0392b" in e.status.value


def test_other_wrong_inputs_say_why(plant):
    e = editor(plant)
    e.lt_add.click()                                      # neither items nor supplier
    assert "no item or supplier given" in e.message
    e.dm_from.value, e.dm_to.value = dt.date(2026, 12, 10), dt.date(2026, 12, 1)
    e.dm_add.click()
    assert "'to' is before 'from'" in e.message
    e.lt_items.value, e.lt_mode.value, e.lt_days.value = ("A",), "add_days", -8.0
    e.lt_add.click()                                      # 7 - 8 < 0 days
    assert "below 0" in e.message
    assert e.changes == []


def test_a_change_that_does_nothing_is_added_with_a_note(plant):
    e = editor(plant)
    e.lt_supplier.value = "S1"
    e.lt_add.click()
    assert len(e.changes) == 1 and "note" not in e.message
    e2 = editor(plant.replace(scheduled_receipts=plant.scheduled_receipts.iloc[:0]))
    e2.sd_add.click()
    assert len(e2.changes) == 1
    assert e2.message == ("added: supplier S1 delivers 7 days late; "
                          "note: S1 has no open purchase receipts: the change does nothing")


def test_a_date_outside_the_plan_is_added_with_a_note(plant):
    e = editor(plant)
    e.ro_due.value = dt.date(2025, 12, 1)
    e.ro_add.click()
    assert len(e.changes) == 1
    assert e.message.endswith("note: due before the plan starts (2026-11-23): the order is past due at once")


def test_remove_and_clear(plant):
    e = editor(plant)
    for d in (3, 4, 5):
        e.sd_days.value = d
        e.sd_add.click()
    e.remove_button.click()
    assert "select a change" in e.message and len(e.changes) == 3
    e.changes_list.value = 1
    e.remove_button.click()
    assert [c.days for c in e.changes] == [3, 5]
    assert [label for label, _ in e.changes_list.options] == ["1. supplier S1 delivers 3 days late",
                                                              "2. supplier S1 delivers 5 days late"]
    e.clear_button.click()
    assert e.changes == [] and e.changes_list.options == ()


# --------------------------------------------------------------------------- run

def test_run_plans_base_once_and_shows_the_deltas(plant):
    planner = FakePlanner()
    e = editor(plant, planner=planner)
    e.dm_families.value, e.dm_factor.value = ("F2",), 2.0
    e.dm_add.click()                       # B: orders 30 -> 60, forecast 16 -> 32
    e.dt_machines.value = ("M1", "M3")
    e.dt_add.click()
    e.sd_days.value = 4
    e.sd_add.click()
    e.run_button.click()
    c = e.comparison.set_index("kpi")
    assert c.loc["open_demand", ["base", "scenario", "delta", "delta_pct"]].tolist() == [40.0, 70.0, 30.0, 75.0]
    assert c.loc["forecast_total", ["base", "scenario"]].tolist() == [26.0, 42.0]
    assert c.loc["downtime_rows", "delta"] == 2 and c.loc["overtime_rows", "delta"] == 0
    assert c.loc["receipt_delay_days", ["base", "scenario"]].tolist() == [0, 4]
    assert np.isnan(c.loc["receipt_delay_days", "delta_pct"]) and np.isnan(c.loc["status", "delta"])
    assert len(planner.calls) == 2
    assert planner.calls[0].ds is plant and planner.calls[0].forecast is FORECAST
    pd.testing.assert_frame_equal(planner.calls[1].forecast, scale_forecast(FORECAST, e.scenario(), plant.items))
    assert e.progress.value == 1.0 and e.progress.bar_style == "success"
    assert e.message.startswith("planned 'My scenario' in") and "3 change(s)" in e.message
    assert set(e.charts) == {"kpi_delta", "capacity", "exceptions"}
    assert e.order_changes[["item_id", "base_qty", "scenario_qty"]].values.tolist() == [["B", 30.0, 60.0]]
    for chart in e.charts.values():
        chart.to_dict()                     # a valid Vega-Lite spec
    # a second run re-plans only the scenario, against the same base
    e.clear_button.click()
    e.run_button.click()
    assert len(planner.calls) == 3
    assert (e.comparison.delta.dropna() == 0).all()
    assert plant.demand.qty.tolist() == [10, 30]        # the base data is untouched


def test_progress_moves_within_each_phase(plant):
    e = editor(plant)
    report = e._progress(0.6, 0.95, "scenario plan")
    report("mrp")                      # text only: half of what is left of the phase
    assert e.progress.value == pytest.approx(0.6 + 0.35 * 0.5) and e.message == "scenario plan: mrp"
    report("schedule")
    assert e.progress.value == pytest.approx(0.6 + 0.35 * 0.75) and e.message == "scenario plan: schedule"
    report("solving", 0.2)             # a fraction given: taken as is
    assert e.progress.value == pytest.approx(0.6 + 0.35 * 0.2)


def test_run_forecasts_once_when_no_forecast_is_given(plant):
    made = []

    def forecaster(ds, params, progress=None):
        progress("fitting")
        made.append(ds)
        return FORECAST

    planner = FakePlanner()
    e = ScenarioEditor(plant, PARAMS, planner=planner, forecaster=forecaster)
    e.run()
    e.run()
    assert made == [plant] and all(c.forecast is not None for c in planner.calls)
    # a base plan given up front brings its forecast along: nothing is forecast or planned for the base
    e2 = ScenarioEditor(plant, PARAMS, base=planner(plant, PARAMS, FORECAST), planner=planner,
                        forecaster=lambda *a, **k: pytest.fail("forecast again"))
    assert e2.run() is not None and len(planner.calls) == 5


def test_without_demand_history_there_is_no_forecast_to_scale(plant):
    planner = FakePlanner()
    e = ScenarioEditor(plant, PARAMS, planner=planner)        # the default forecaster
    e.dm_factor.value = 2.0
    e.dm_add.click()
    assert e.run() is not None
    assert [c.forecast for c in planner.calls] == [None, None]
    assert e.comparison.set_index("kpi").loc["open_demand", "scenario"] == 80.0


def test_run_with_a_scenario_that_does_not_fit_the_data(plant):
    bad = Scenario("other plant", changes=(Downtime(machines=("LATHE-9",), start=pd.Timestamp("2026-11-24"),
                                                    end=pd.Timestamp("2026-11-25")),))
    planner = FakePlanner()
    e = editor(plant, planner=planner, scenario=bad)
    assert e.run() is None
    assert "cannot run" in e.message and e.progress.bar_style == "danger" and planner.calls == []


def test_a_failing_planner_leaves_the_editor_usable(plant):
    e = editor(plant, planner=FakePlanner(fail=True))
    assert e.run() is None
    assert e.message == "planning failed: RuntimeError: solver exploded"
    assert not e.run_button.disabled and e.progress.bar_style == "danger"


# --------------------------------------------------------------------------- save and load

def test_save_writes_a_file_the_weekly_run_loads(plant, tmp_path):
    e = editor(plant, save_dir=tmp_path)
    e.save_button.click()
    assert "nothing to save" in e.message and not list(tmp_path.iterdir())
    e.name.value, e.description.value = "Late S1", "S1 slips a week."
    e.sd_days.value = 7
    e.sd_add.click()
    e.ot_machines.value = ("M2",)
    e.ot_add.click()
    e.save_button.click()
    assert e.saved_path == tmp_path / "late_s1.yaml"
    assert load_scenario(e.saved_path, plant) == e.scenario()
    assert f"--week 2026-W48 --scenario {tmp_path / 'late_s1.yaml'}" in e.message
    e.save_path.value = str(tmp_path / "x" / "typed.yaml")
    e.save_button.click()
    assert load_scenario(tmp_path / "x" / "typed.yaml") == e.scenario()


def test_load_fills_the_editor(plant, tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text("name: Loaded\ndescription: d\nchanges:\n  - kind: rush_order\n    item: A\n"
                    "    qty: 3\n    due: 2026-12-01\n")
    e = editor(plant)
    e.load_button.click()
    assert "type the path" in e.message
    e.load_path.value = str(path)
    e.load_button.click()
    assert e.message == f"loaded {path}: 1 change(s)"
    assert e.load(path).name == "Loaded"
    assert (e.name.value, e.description.value, len(e.changes)) == ("Loaded", "d", 1)
    assert e.changes_list.options[0][0] == "1. rush order: 3 x A due 2026-12-01 (priority 1)"
    path.write_text("name: Bad\nchanges:\n  - kind: rush_order\n    item: Z\n    qty: 3\n    due: 2026-12-01\n")
    assert e.load(path) is None and "cannot load" in e.message and e.name.value == "Loaded"


def _repo(tmp_path: Path, plant) -> Path:
    """A repository as a user has it: pyproject.toml at the root, the data in data/plant."""
    root = tmp_path / "my repo"
    (root / "notebooks").mkdir(parents=True)
    (root / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    write_dataset(plant, root / "data" / "plant")
    return root


def test_the_saved_command_works_pasted_at_the_repository_root(plant, tmp_path, monkeypatch):
    """The notebook runs in notebooks/ with ../data paths; the command is pasted at the root."""
    root = _repo(tmp_path, plant)
    monkeypatch.chdir(root / "notebooks")
    e = ScenarioEditor(load("../data/plant"), PARAMS, planner=FakePlanner(), forecast=FORECAST,
                       save_dir="../data/scenarios")
    assert e.root == root.resolve()
    e.sd_add.click()
    e.save_button.click()
    words = shlex.split(e.command)
    exe = Path(sys.executable).parent / "planlib"
    assert words[0] == (str(exe) if exe.is_file() else "planlib")       # this environment's planlib
    assert words[1:] == ["run", "data/plant", "--week", "2026-W48", "--scenario",
                         "data/scenarios/my_scenario.yaml", "--seed", "0", "--time-limit", "0.01"]
    args = build_parser().parse_args(words[1:])                           # what `planlib run` reads ...
    monkeypatch.chdir(root)                                               # ... at the repository root
    assert load_scenario(args.scenario[0], load(args.source)) == e.scenario()  # --scenario may repeat
    assert (args.week, args.time_limit, args.seed) == ("2026-W48", 0.01, 0)
    assert e.message == f"saved data/scenarios/my_scenario.yaml; to plan it in the weekly run, paste at " \
                        f"{root.resolve()}: {e.command}"
    assert "<code class='planlib-command'>" in e.status.value


def test_outside_a_repository_the_command_has_absolute_paths(plant, tmp_path, monkeypatch):
    folder = tmp_path / "no repo"
    write_dataset(plant, folder / "plant data")
    monkeypatch.chdir(folder)
    if repository_root() is not None:
        pytest.skip("the temporary folder lies inside a repository")
    e = ScenarioEditor(load("plant data"), PlanParams(plan_start="2026-11-23", seed=3),
                       planner=FakePlanner(), forecast=FORECAST, save_dir="out")
    e.sd_add.click()
    e.save()
    words = shlex.split(e.command)
    assert words[1:] == ["run", str(folder / "plant data"), "--week", "2026-W48", "--scenario",
                         str(folder / "out" / "my_scenario.yaml"), "--seed", "3", "--time-limit", "30"]
    assert "paste in any folder" in e.message


def test_the_command_keeps_the_staffing_limit(tmp_path):
    """An editor planning operators to staffing gives the weekly run command that does the same,
    and that command parses into ``planlib run`` with the flag set."""
    from planlib.cli import build_parser

    root = tmp_path.resolve()
    at = {"week": "2026-W48", "scenario_file": root / "s.yaml", "seed": 0, "time_limit_s": 10.0, "root": root}
    words = shlex.split(weekly_run_command(str(root / "data"), respect_staffing=True, **at))
    assert words[-1] == "--respect-staffing"
    assert build_parser().parse_args(words[1:]).respect_staffing is True
    assert "--respect-staffing" not in shlex.split(weekly_run_command(str(root / "data"), **at))


def test_an_editor_planning_to_staffing_says_so_in_its_command(plant, tmp_path):
    e = editor(plant, PARAMS.replace(respect_staffing=True), save_dir=tmp_path)
    e.sd_add.click()
    e.save()
    assert shlex.split(e.command)[-1] == "--respect-staffing"


def test_database_sources_in_the_command(tmp_path):
    root = tmp_path.resolve()
    at = {"week": "2026-W48", "scenario_file": root / "s.yaml", "seed": 0, "time_limit_s": 10.0, "root": root}
    assert shlex.split(weekly_run_command(f"sqlite:///{root}/db/plant.db", **at))[2] == "sqlite:///db/plant.db"
    pg = shlex.split(weekly_run_command("postgresql://planner:s3cret@host/plant", **at))[2]
    assert pg == "postgresql://planner:***@host/plant"                 # never the password on screen
    assert shlex.split(weekly_run_command("(memory)", **at))[2] == "SOURCE"


@settings(max_examples=40, deadline=None)
@given(st.lists(st.text(st.characters(codec="utf-8", exclude_characters="/\x00"), min_size=1, max_size=8)
                .filter(lambda n: n not in (".", "..")), min_size=1, max_size=3))
def test_any_path_in_the_command_comes_back_as_typed(tmp_path_factory, parts):
    """Whatever the folder names (spaces, quotes, $), the shell gives planlib the same paths."""
    root = tmp_path_factory.mktemp("root").resolve()
    inside, outside = root.joinpath(*parts), Path("/elsewhere").joinpath(*parts)
    words = shlex.split(weekly_run_command(str(inside), "2026-W48", outside / "s.yaml", 0, 10.0, root=root))
    assert root / words[2] == inside and not Path(words[2]).is_absolute()
    assert Path(words[6]) == outside / "s.yaml"


@pytest.mark.parametrize("mask", [0o022, 0o002, 0o077])
def test_saved_files_follow_the_umask(plant, tmp_path, mask):
    """umask 022: others can read the scenario file (mkstemp alone gives 0600)."""
    e = editor(plant, save_dir=tmp_path)
    e.sd_add.click()
    old = os.umask(mask)
    try:
        path = e.save()
    finally:
        os.umask(old)
    assert path.stat().st_mode & 0o777 == 0o666 & ~mask


def test_clicks_wait_while_a_run_is_in_progress(plant, tmp_path):
    seen = {}

    class ClickingPlanner(FakePlanner):
        """Clicks other buttons in the middle of the scenario plan, as an impatient user would."""

        def __call__(self, ds, params, forecast=None, progress=None):
            if len(self.calls) == 1:
                seen["disabled"] = {b.description: b.disabled for b in e._buttons}
                e.sd_days.value = 5
                e.sd_add.click()
                e.save_button.click()
                e.run_button.click()
                seen["changes"], seen["saved"] = len(e.changes), (tmp_path / "my_scenario.yaml").exists()
                seen["message"] = e.message
            return super().__call__(ds, params, forecast, progress)

    planner = ClickingPlanner()
    e = editor(plant, planner=planner, save_dir=tmp_path)
    e.sd_add.click()
    assert e.run() is not None
    assert all(seen["disabled"].values()) and len(seen["disabled"]) == 11
    assert (seen["changes"], seen["saved"]) == (1, False)          # nothing happened during the run ...
    assert seen["message"] == "a run is in progress: wait for it"
    assert len(planner.calls) == 2                                  # ... the second Run was not started ...
    assert [c.days for c in load_scenario(tmp_path / "my_scenario.yaml").changes] == [7, 5]   # ... the rest after
    assert e.comparison.set_index("kpi").loc["receipt_delay_days", "scenario"] == 7   # the run planned one delay
    assert not any(b.disabled for b in e._buttons)
    assert e.message.startswith("saved ")


def test_the_bar_moves_while_a_step_reports_nothing(plant):
    samples = []

    class SlowPlanner(FakePlanner):
        def __call__(self, ds, params, forecast=None, progress=None):
            progress("mrp")
            progress("schedule")                    # then silence, as while CP-SAT solves
            for _ in range(6):
                time.sleep(0.25)
                samples.append(e.progress.value)
            return super().__call__(ds, params, forecast, None)

    e = editor(plant, planner=SlowPlanner(), params=PlanParams(plan_start="2026-11-23", time_limit_s=0.5))
    assert e.run() is not None
    base, scen = samples[:6], samples[6:]
    for phase, lo, hi in ((base, 0.3, 0.6), (scen, 0.6, 0.95)):   # the base plan's and the scenario's steps
        assert phase == sorted(phase) and len(set(phase)) >= 4         # it moves on, never back
        assert lo + (hi - lo) * 0.75 <= phase[0] and phase[-1] < hi    # within the schedule step's part
    assert e.progress.value == 1.0
    time.sleep(0.5)
    assert e.progress.value == 1.0 and not [t for t in threading.enumerate() if t.name == "planlib-progress"]


# --------------------------------------------------------------------------- charts and table

def test_comparison_charts():
    comp = pd.DataFrame({"kpi": ["late", "status"], "base": [2, "OPTIMAL"], "scenario": [5, "FEASIBLE"],
                         "delta": [3.0, np.nan], "delta_pct": [150.0, np.nan], "unit": ["orders", ""]})
    spec = kpi_delta_chart(comp).to_dict()
    assert [r["name"] for r in spec["datasets"][next(iter(spec["datasets"]))]] == ["late"]
    load = pd.DataFrame({"work_center_id": ["W1"] * 10, "period": range(1, 11),
                         "period_start": pd.date_range("2026-11-23", periods=10, freq="7D"),
                         "load_hours": 1.0, "available_hours": 2.0})
    spec = capacity_comparison_chart(load, load, periods=4).to_dict()
    data = spec["datasets"][next(iter(spec["datasets"]))]
    assert len(data) == 8 and {d["plan"] for d in data} == {"base", "scenario"}
    ex = exception_comparison_chart(pd.DataFrame({"exception": ["a", "a", "b"]}),
                                    pd.DataFrame({"exception": ["a"]})).to_dict()
    counts = {(d["exception"], d["plan"]): d["messages"] for d in ex["datasets"][next(iter(ex["datasets"]))]}
    assert counts == {("a", "base"): 2, ("b", "base"): 1, ("a", "scenario"): 1}


# --------------------------------------------------------------------------- the real planner

def test_real_plan_week_on_the_sample(sample):
    """MRP and the schedule re-planned in process (short solver limit, flat forecast)."""
    pytest.importorskip("planlib.pipeline")
    from test_scenario import flat_forecast

    params = PlanParams(plan_start="2026-11-23", horizon_weeks=12, forecast_horizon=12, time_limit_s=0.01)
    e = ScenarioEditor(sample, params, forecast=flat_forecast(sample, params))
    e.ro_item.value, e.ro_qty.value, e.ro_due.value = "FG-01", 500.0, dt.date(2026, 12, 7)
    e.ro_add.click()
    e.dt_machines.value = ("LATHE-1", "LATHE-2")
    e.dt_start_date.value, e.dt_end_date.value, e.dt_end_time.value = (dt.date(2026, 11, 23),
                                                                       dt.date(2026, 11, 27), None)
    e.dt_add.click()
    e.run_button.click()
    assert e.progress.bar_style == "success", e.message
    c = e.comparison.set_index("kpi")
    assert {"on_time_pct", "planned_orders", "shortages", "capacity_utilisation_pct"} <= set(c.index)
    # MRP saw the rush order: 500 more FG-01 customer orders in week 50
    mps_b = e.base.mrp.mps.set_index(["item_id", "period_start"]).customer_orders
    mps_s = e.result.mrp.mps.set_index(["item_id", "period_start"]).customer_orders
    week = ("FG-01", pd.Timestamp("2026-12-07"))
    assert mps_s[week] - mps_b[week] == 500
    # the schedule saw the breakdown: the lathes have no working time in week 48, so nothing runs there
    def lathe_hours(plan):
        iv = plan.schedule.problem.calendar_intervals
        iv = iv[iv.machine_id.isin(["LATHE-1", "LATHE-2"]) & (iv.start < pd.Timestamp("2026-11-28"))]
        return float((iv.end.clip(upper=pd.Timestamp("2026-11-28")) - iv.start).dt.total_seconds().sum() / 3600)

    assert lathe_hours(e.base) == 2 * 5 * 16 and lathe_hours(e.result) == 0   # two shifts, Mon-Fri
    s = e.result.schedule.schedule
    assert s[s.machine_id.isin(["LATHE-1", "LATHE-2"]) & (s.start < pd.Timestamp("2026-11-28"))].empty
    assert c.loc["planned_orders", "delta"] >= 0 and c.loc["capacity_utilisation_pct", "delta"] > 0
