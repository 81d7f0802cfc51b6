"""Staffing as a limit of the schedule (``respect_staffing``): operators per work center and shift.

Two machines, one operator on the early shift, two on the late one. Two orders of 6 h runs with a
crew of 1 would run side by side from 06:00: the early shift would need 2 operators. With the limit
the second moves; the independent checker finds the overload in the schedule made without it.
"""
from __future__ import annotations

import pandas as pd
import pytest

from planlib.data import from_frames
from planlib.params import PlanParams
from planlib.problems import InputError
from planlib.schedule import ScheduleSettings, build_problem, check_schedule, make_schedule
from planlib.schedule.check import check_staffing
from planlib.schedule.problem import staffing_capacity
from planlib.steps import schedule_settings

T0 = pd.Timestamp("2026-11-23")  # a Monday
DAYS = ["Mon", "Tue", "Wed", "Thu", "Fri"]


def plant(early=1, late=2, crew=1.0, staffing=True, setup_min=0):
    tables = {
        "items": pd.DataFrame([dict(item_id="A", item_type="make", lead_time_days=1, family="F")]),
        "work_centers": pd.DataFrame([dict(work_center_id="WC", calendar_id="CAL")]),
        "machines": pd.DataFrame([dict(machine_id="M1", work_center_id="WC"),
                                  dict(machine_id="M2", work_center_id="WC")]),
        "calendars": pd.DataFrame([dict(calendar_id="CAL", weekday=d, start_time="06:00", end_time="22:00")
                                   for d in DAYS]),
        "routings": pd.DataFrame([dict(item_id="A", op_seq=10, work_center_id="WC", setup_min=setup_min,
                                       run_min_per_unit=60, crew_size=crew)]),
    }
    if staffing:
        tables["staffing"] = pd.DataFrame(
            [dict(work_center_id="WC", weekday=d, start_time=a, end_time=b, operators=n)
             for d in DAYS for a, b, n in (("06:00", "14:00", early), ("14:00", "22:00", late))])
    return from_frames(tables)


ORDERS = pd.DataFrame([dict(order_id=o, item_id="A", qty=6, release_date=T0, due_date=T0, priority=1,
                            status="planned") for o in ("O1", "O2")])


def solve(ds, respect, time_limit=5.0):
    s = ScheduleSettings(time_limit_s=time_limit, workers=2, seed=0, deterministic=True, respect_staffing=respect)
    return make_schedule(ds, ORDERS, T0, s)


def violations(res, ds):
    p = res.problem
    return check_schedule(res.schedule, p.plan_start, p.calendar_intervals, ds.setup_matrix, None, ds.machines,
                          p.crews, staffing=ds.staffing)


def early_load(sched):
    """Most operators the runs need at once in Monday's early shift (06:00-14:00), minute by minute."""
    worst = 0.0
    for t in pd.date_range(T0 + pd.Timedelta(hours=6), T0 + pd.Timedelta(hours=14), freq="min", inclusive="left"):
        worst = max(worst, float(sched.crew_size[(sched.start <= t) & (sched.end > t)].sum()))
    return worst


def test_capacity_profile_follows_the_shifts():
    ds = plant()
    p = build_problem(ds, ORDERS, T0, ScheduleSettings(respect_staffing=True), calendar_days=7)
    assert p.crews == {"WC": 2.0}
    prof = staffing_capacity(ds.staffing, p.calendar_intervals, T0, T0 + pd.Timedelta(days=7))
    mon = prof[prof.start < 1440]
    assert mon[["start", "end", "operators"]].values.tolist() == [[360, 840, 1.0], [840, 1320, 2.0]]
    assert len(prof) == 10  # two windows a working day, nothing at night or at the weekend


@pytest.mark.parametrize("time_limit", [5.0, 0.0], ids=["cpsat", "heuristic"])
def test_staffing_moves_an_operation_out_of_an_overloaded_shift(time_limit):
    ds = plant()
    free = solve(ds, respect=False, time_limit=time_limit)
    assert early_load(free.schedule) == 2.0  # both run side by side from 06:00
    found = violations(free, ds)
    assert list(found.rule) == ["staffing"], found.to_string()
    assert "2 operators needed at WC" in found.detail.iat[0] and "1 on shift" in found.detail.iat[0]

    held = solve(ds, respect=True, time_limit=time_limit)
    assert violations(held, ds).empty
    assert early_load(held.schedule) == 1.0
    second = held.schedule.sort_values("start").iloc[1]
    assert second.start >= T0 + pd.Timedelta(hours=12)  # it waits for the first to end (or the late shift)


def test_no_staffing_rows_or_flag_off_leaves_the_schedule_alone():
    ds = plant(staffing=False)
    a, b = solve(ds, respect=True), solve(ds, respect=False)
    pd.testing.assert_frame_equal(a.schedule, b.schedule)
    assert a.problem.staffing is None and a.problem.crews == {}


def test_deterministic_mode_repeats_the_staffed_schedule():
    ds = plant()
    pd.testing.assert_frame_equal(solve(ds, True).schedule, solve(ds, True).schedule)


def test_crew_larger_than_any_shift_is_named():
    ds = plant(early=1, late=1, crew=2.0)
    with pytest.raises(InputError) as err:
        solve(ds, respect=True)
    text = err.value.problems.to_string()
    assert "needs 2 operators" in text and "staffing" in text


def test_checker_counts_night_shifts_and_overlaps():
    """A 22:00-06:00 shift of 1 and overlapping day shifts (1 + 1): two crews at 10:00 fit, at 23:00 do not."""
    staffing = pd.DataFrame([dict(work_center_id="WC", weekday=0, start_time=6.0, end_time=14.0, operators=1.0),
                             dict(work_center_id="WC", weekday=0, start_time=8.0, end_time=16.0, operators=1.0),
                             dict(work_center_id="WC", weekday=0, start_time=22.0, end_time=6.0, operators=1.0)])
    sched = pd.DataFrame([dict(order_id=o, op_seq=10, work_center_id="WC", machine_id=m, crew_size=1.0,
                               start=T0 + pd.Timedelta(hours=h), end=T0 + pd.Timedelta(hours=h + 1))
                          for o, m, h in (("O1", "M1", 10), ("O2", "M2", 10), ("O3", "M1", 23), ("O4", "M2", 23))])
    found = check_staffing(sched, T0, staffing)
    assert len(found) == 1 and "at 2026-11-23 23:00:00, 1 on shift" in found.detail.iat[0]


def test_plan_params_reach_the_schedule_settings():
    assert schedule_settings(PlanParams()).respect_staffing is False
    assert schedule_settings(PlanParams(respect_staffing=True)).respect_staffing is True


def test_cpsat_model_alone_holds_the_staffing_limit():
    """CP-SAT without the heuristic's hint, minimising makespan: without the limit both runs go side by
    side (done by 12:00); with it the second starts when the first ends, done by 18:00 (optimal)."""
    from planlib.schedule.model import solve as cpsat
    from planlib.schedule.report import to_schedule

    ds = plant()
    out = {}
    for respect in (False, True):
        s = ScheduleSettings(time_limit_s=5, workers=2, seed=0, deterministic=True, objective="makespan",
                             respect_staffing=respect)
        p = build_problem(ds, ORDERS, T0, s, calendar_days=7)
        res = cpsat(p, s, hint=None)
        assert res.status == "OPTIMAL"
        sched = to_schedule(p, res.solution)
        out[respect] = (sched, check_schedule(sched, T0, p.calendar_intervals, staffing=ds.staffing))
    assert out[False][0].end.max() == T0 + pd.Timedelta(hours=12) and list(out[False][1].rule) == ["staffing"]
    assert out[True][0].end.max() == T0 + pd.Timedelta(hours=18) and out[True][1].empty
    assert early_load(out[True][0]) == 1.0


@pytest.mark.parametrize("time_limit", [5.0, 0.0], ids=["cpsat", "heuristic"])
def test_the_crew_is_held_through_setup_too(time_limit):
    """With a 1 h setup the operator sets up before running: the second order's setup may not start
    while the first runs in the one-operator early shift. First: setup 06:00, run 07:00-13:00; the
    second sets up from 13:00 (not 12:00, which would need two operators for an hour) and runs
    14:00-20:00. The labour requirements of the schedule show no shortfall in any shift."""
    from planlib.labour import labour_requirements

    ds = plant(setup_min=60)
    held = solve(ds, respect=True, time_limit=time_limit)
    sched = held.schedule.sort_values("setup_start").reset_index(drop=True)
    assert violations(held, ds).empty
    assert list(sched.setup_start) == [T0 + pd.Timedelta(hours=6), T0 + pd.Timedelta(hours=13)]
    assert list(sched.end) == [T0 + pd.Timedelta(hours=13), T0 + pd.Timedelta(hours=20)]
    need = labour_requirements(held.schedule, ds, T0, T0 + pd.Timedelta(days=1))
    assert need.hours_needed.sum() == pytest.approx(14.0)  # 2 x (1 h setup + 6 h run), one operator
    assert need.shortfall_h.sum() == 0.0


def test_checker_counts_the_setup_against_the_shift():
    """A setup that starts while another run holds the early shift's only operator is an overload."""
    ds = plant(setup_min=60)
    sched = pd.DataFrame([dict(order_id=o, op_seq=10, work_center_id="WC", machine_id=m, crew_size=1.0,
                               setup_start=T0 + pd.Timedelta(hours=ss), start=T0 + pd.Timedelta(hours=ss + 1),
                               end=T0 + pd.Timedelta(hours=ss + 7))
                          for o, m, ss in (("O1", "M1", 6), ("O2", "M2", 12))])
    found = check_staffing(sched, T0, ds.staffing)
    assert len(found) == 1 and "2 operators needed at WC at 2026-11-23 12:00:00, 1 on shift" in found.detail.iat[0]
    assert check_staffing(sched.assign(setup_start=sched.start), T0, ds.staffing).empty  # runs alone: fine


def test_the_weekly_schedule_notebook_takes_the_flag(tmp_path):
    """``planlib run --respect-staffing`` reaches the schedule through the notebook's parameter: the
    schedule step run by papermill with ``respect_staffing=True`` publishes a schedule the independent
    checker finds within the sample's shifts, and records the flag in its parameters."""
    import json
    from pathlib import Path

    import papermill as pm

    from planlib.calendar import machine_intervals
    from planlib.data import load
    from planlib.pipeline import NOTEBOOKS, read_step
    from planlib.validate import planning_dataset

    sample = Path(__file__).resolve().parents[1] / "data" / "sample"
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    pm.execute_notebook(str(NOTEBOOKS / "03_schedule.ipynb"), str(tmp_path / "03.ipynb"), progress_bar=False,
                        cwd=str(NOTEBOOKS), kernel_name="python3",
                        parameters=dict(source=str(sample), week="2026-W48", run_dir=str(run_dir), time_limit_s=3.0,
                                        respect_staffing=True))
    sched = read_step(run_dir, "schedule", "schedule")
    ds = planning_dataset(load(sample), T0)
    iv = machine_intervals(ds, T0, T0 + pd.Timedelta(days=120))
    assert len(sched) > 0
    assert check_staffing(sched, T0, ds.staffing, iv).empty
    used = json.loads((run_dir / "schedule" / "parameters.json").read_text())
    assert used["plan"]["respect_staffing"] is True


def test_cli_run_passes_the_flag(monkeypatch, capsys):
    from pathlib import Path

    from planlib.cli import main

    seen = {}

    def fake_run_week(source, week, scenario, out, **kwargs):
        seen.update(kwargs)
        return Path(out) / week / "base"

    monkeypatch.setattr("planlib.cli.run.run_week", fake_run_week)
    main(["run", "data/sample", "--week", "2026-W48", "--respect-staffing", "--quiet"])
    assert seen["respect_staffing"] is True
    main(["run", "data/sample", "--week", "2026-W48", "--quiet"])
    assert seen["respect_staffing"] is False
