"""Large plants: CP-SAT time window by time window over the heuristic's schedule (planlib.schedule.decompose).

The decomposition is switched on for small plants here (``decompose_ops``) so that it runs in a
test: its schedules must pass the independent checker (material included), be no worse than
the heuristic's (and better on a plant where the heuristic leaves room), report a bound of the
whole problem that no schedule beats, and repeat exactly in deterministic mode.
"""
from __future__ import annotations

from dataclasses import replace

import pandas as pd
import pytest

from planlib import pipeline
from planlib.factory import make_factory
from planlib.schedule import (
    ScheduleSettings,
    build_problem,
    check_schedule,
    dispatch,
    evaluate,
    make_schedule_from_problem,
)
from planlib.schedule.decompose import relaxed_bound, windows
from planlib.schedule.generate import random_orders

T0 = pd.Timestamp("2026-11-23")  # Monday of ISO week 2026-W48
SETTINGS = ScheduleSettings(horizon_days=28, skip_unschedulable=True, time_limit_s=6, window_time_s=1.0,
                            window_ops=60, decompose_ops=100, deterministic=True, workers=2, seed=3)


@pytest.fixture(scope="module")
def crowded():
    """Random orders released in two days on a plant of four work centers: queues, changeovers,
    calendars, late orders."""
    ds = make_factory(n_items=120, n_work_centers=4, seed=7, history_weeks=20)
    orders = random_orders(ds, 300, T0, seed=11, release_days=2, due_days=(1, 5))
    problem = build_problem(ds, orders, T0, SETTINGS, calendar_days=240)
    return ds, problem


def _checked(result, ds):
    p = result.problem
    bad = check_schedule(result.schedule, p.plan_start, p.calendar_intervals, ds.setup_matrix, None, ds.machines,
                         p.crews, material=result.material)
    assert bad.empty, bad.to_string()
    return result


@pytest.fixture(scope="module")
def windowed(crowded):
    """The crowded plant scheduled window by window, with its progress lines."""
    ds, problem = crowded
    hint = dispatch(problem, SETTINGS.rule)
    lines = []
    res = make_schedule_from_problem(problem, SETTINGS, hint, progress=lines.append)
    return res, hint, lines


def test_windows_improve_the_heuristic_and_pass_the_checker(crowded, windowed):
    ds, problem = crowded
    assert len(problem.ops) > SETTINGS.decompose_ops
    res, hint, lines = windowed
    h_obj = evaluate(problem, hint, "tardiness", SETTINGS)
    _checked(res, ds)
    info = res.info
    assert info["method"] == "windows" and info["cpsat_status"] == "WINDOWS"
    assert info["windows"] == min(len(windows(problem, hint, SETTINGS.window_ops)), 6)
    assert info["heuristic_objective"] == h_obj
    obj = evaluate(res.problem, res.solution, "tardiness", SETTINGS)
    assert obj == info["objective"]
    assert obj < h_obj, "CP-SAT found nothing better than the heuristic in any window"
    assert info["windows_improved"] >= 1 and info["solver_status"] == "FEASIBLE"
    # the bound is of the whole problem, and the gap is to it
    assert info["bound_source"] == "relaxation" and 0 <= info["bound"] <= obj
    assert info["gap_pct"] == pytest.approx(100 * (obj - info["bound"]) / obj, abs=1e-3)
    # the progress lines: one per window, with the time left
    windows_said = [line for line in lines if line.startswith("window ")]
    assert len(windows_said) == info["windows"] and all("s left" in line for line in windows_said)


def test_deterministic_windows_repeat_the_schedule(crowded, windowed):
    ds, problem = crowded
    first, hint, _ = windowed
    again = make_schedule_from_problem(problem, SETTINGS, hint)
    pd.testing.assert_frame_equal(first.schedule, again.schedule)
    other = make_schedule_from_problem(problem, replace(SETTINGS, time_limit_s=0), hint)
    assert other.info["solver_status"] == "HEURISTIC"  # no windows without a time limit


def test_relaxed_bound_is_the_objective_when_nothing_competes():
    """One order per machine: the relaxation (every machine free) is the schedule itself."""
    ds = make_factory(n_items=60, n_work_centers=4, seed=5, history_weeks=20)
    orders = random_orders(ds, 1, T0, seed=2, due_days=(0, 0))
    orders["due_date"] = orders.release_date - pd.Timedelta(days=1)  # due before its release: late
    problem = build_problem(ds, orders, T0, SETTINGS, calendar_days=60)
    hint = dispatch(problem, "atcs")
    obj = evaluate(problem, hint, "tardiness", SETTINGS)
    assert obj > 0
    assert relaxed_bound(problem, "tardiness") == obj
    assert relaxed_bound(problem, "makespan") == evaluate(problem, hint, "makespan", SETTINGS)


def test_relaxed_bound_is_below_every_schedule(crowded):
    _, problem = crowded
    bound = relaxed_bound(problem, "tardiness")
    for rule in ("atcs", "edd", "mwkr"):
        assert 0 <= bound <= evaluate(problem, dispatch(problem, rule), "tardiness", SETTINGS)


def test_weekly_run_relays_a_step_s_progress_lines():
    """run_week's relay: what a step's notebook writes through step_progress reaches run_week's
    progress callback, prefixed with the step."""
    assert pipeline.step_progress() is None  # outside a weekly run: no file, no callback
    heard = []
    with pipeline._ProgressRelay(heard.append, "step 3/4: schedule: "):
        say = pipeline.step_progress()
        say("window 1/4: objective 12, about 3 s left")
        say("window 2/4: objective 10,\nabout 2 s left")
    assert heard == ["step 3/4: schedule: window 1/4: objective 12, about 3 s left",
                     "step 3/4: schedule: window 2/4: objective 10, about 2 s left"]
    assert pipeline.step_progress() is None


def test_schedule_page_and_manifest_say_the_bound_and_the_gap(windowed):
    """What the planner reads ("How this plan was made") and what the run's manifest keeps."""
    from planlib.report import how_made_html

    res, _, _ = windowed
    page = how_made_html(None, res.kpis)
    bound, gap = res.info["bound"], res.info["gap_pct"]
    assert "Lower bound (weighted late minutes)" in page and "every machine free" in page
    assert f"CP-SAT on {res.info['windows']} time windows" in page
    assert "Gap to the best possible schedule" in page
    facts = pipeline._solver_facts(res.kpis)
    assert facts["bound"] == bound and facts["gap_pct"] == gap and facts["method"] == "windows"
    assert facts["objective"] < facts["heuristic_objective"]
