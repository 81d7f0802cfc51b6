"""Validation: every defect reported at once, naming table, row and column."""
from __future__ import annotations

import shutil
import subprocess
import sys

import pandas as pd
import pytest

from planlib.data import from_frames, load, read_dataset
from planlib.problems import InputError
from planlib.validate import validate


def _edit(path, fn):
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    frame = fn(frame)
    frame.to_csv(path, index=False)


def _set(frame, row, col, value):
    frame.loc[row, col] = value
    return frame


def _append(frame, **values):
    return pd.concat([frame, pd.DataFrame([values])], ignore_index=True).fillna("")


@pytest.fixture()
def broken(sample_dir, tmp_path):
    """A copy of the sample with fourteen defects; returns (folder, expected problems)."""
    src = tmp_path / "broken"
    shutil.copytree(sample_dir, src)
    items, bom = pd.read_csv(src / "items.csv", dtype=str), pd.read_csv(src / "bom.csv", dtype=str)
    fg, comp = items.item_id[0], bom.component_id[0]
    n_items, n_bom = len(items), len(bom)
    _edit(src / "items.csv", lambda f: _set(f, 2, "lead_time_days", "-7"))
    _edit(src / "items.csv", lambda f: _set(f, 3, "item_type", "made"))
    _edit(src / "items.csv", lambda f: _set(f, 5, "item_id", f.item_id[4]))
    _edit(src / "items.csv", lambda f: _set(_set(f, 6, "lot_rule", "FOQ"), 6, "lot_size", ""))
    _edit(src / "bom.csv", lambda f: _set(f, 1, "qty_per", "abc"))
    _edit(src / "bom.csv", lambda f: _set(f, 2, "component_id", "XX-999"))
    # a cycle: the first component now contains the finished good
    _edit(src / "bom.csv", lambda f: _append(f, parent_id=comp, component_id=fg, qty_per="1"))
    _edit(src / "demand.csv", lambda f: _set(f, 0, "due_date", "2026-13-45"))
    _edit(src / "demand.csv", lambda f: _set(f, 1, "qty", "-5"))
    _edit(src / "inventory.csv", lambda f: _set(f, 0, "on_hand", "lots"))
    _edit(src / "routings.csv", lambda f: _set(f, 0, "work_center_id", "OVEN"))
    _edit(src / "machines.csv", lambda f: _set(f, 0, "work_center_id", "GRIND"))
    _edit(src / "calendars.csv", lambda f: _append(f, calendar_id="NIGHT", weekday="Mon",
                                                   start_time="22:00", end_time="22:00"))
    _edit(src / "calendar_exceptions.csv", lambda f: _set(f, 0, "end", "2026-12-23 00:00"))
    expected = [
        ("items", "items.csv line 4", "lead_time_days"),
        ("items", "items.csv line 5", "item_type"),
        ("items", "items.csv line 7", "item_id"),
        ("items", "items.csv line 8", "lot_size"),
        ("bom", "bom.csv line 3", "qty_per"),
        ("bom", "bom.csv line 4", "component_id"),
        ("bom", f"bom.csv line {n_bom + 2}", "component_id"),
        ("demand", "demand.csv line 2", "due_date"),
        ("demand", "demand.csv line 3", "qty"),
        ("inventory", "inventory.csv line 2", "on_hand"),
        ("routings", "routings.csv line 2", "work_center_id"),
        ("machines", "machines.csv line 2", "work_center_id"),
        ("calendars", "calendars.csv line 17", "calendar_id"),
        ("calendar_exceptions", "calendar_exceptions.csv line 2", "end"),
    ]
    assert n_items == 60
    return src, expected


def _all_problems(src):
    ds, problems = read_dataset(src)
    return pd.concat([problems.frame(), validate(ds)], ignore_index=True)


def test_every_defect_is_reported_in_one_run(broken):
    src, expected = broken
    problems = _all_problems(src)
    errors = problems[problems.severity == "error"]
    found = set(zip(errors.table, errors.row, errors.column))
    missing = [e for e in expected if e not in found]
    assert not missing, f"not reported: {missing}\n{errors.to_string()}"
    assert errors.fix.str.len().min() > 5  # every error says how to fix it


def test_cycle_is_named_with_its_path(broken):
    src, _ = broken
    problems = _all_problems(src)
    cycle = problems[problems.problem.str.startswith("BOM cycle")].problem.tolist()
    assert len(cycle) == 1
    path = cycle[0].removeprefix("BOM cycle: ").split(" -> ")
    assert path[0] == path[-1] and len(path) >= 3


def test_cli_exits_2_without_traceback(broken):
    src, expected = broken
    run = subprocess.run([sys.executable, "-m", "planlib.cli", "validate", str(src)], capture_output=True, text=True)
    assert run.returncode == 2
    assert "Traceback" not in run.stdout + run.stderr
    assert "items.csv line 4" in run.stdout and "lead_time_days" in run.stdout
    assert "error(s)" in run.stdout.splitlines()[-1]


def test_load_raises_with_all_problems(broken):
    src, expected = broken
    with pytest.raises(InputError) as info:
        load(src)
    assert len(info.value.problems) >= len(expected)


def test_sample_is_clean(sample_dir):
    run = subprocess.run([sys.executable, "-m", "planlib.cli", "validate", str(sample_dir)],
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.stdout.splitlines()[-1] == "0 error(s), 0 warning(s): the dataset is valid"


def _items(**extra):
    base = {"item_id": ["A", "B"], "item_type": ["make", "buy"], "lead_time_days": [7, 14]}
    base.update(extra)
    return pd.DataFrame(base)


def test_warnings_do_not_fail(tmp_path):
    ds = from_frames({"items": _items(), "bom": pd.DataFrame({"parent_id": ["A"], "component_id": ["B"], "qty_per": [1]}),
                      "routings": pd.DataFrame(columns=["item_id", "op_seq", "work_center_id", "run_min_per_unit"])})
    problems = validate(ds)
    assert set(problems.severity) == {"warning"}
    assert set(problems.problem.str.split(":").str[0]) == {"make item without routing",
                                                          "buy item without supplier"}


def test_eoq_without_lot_size_or_costs_is_a_warning():
    ds = from_frames({"items": _items(lot_rule=["EOQ", "EOQ"], lot_size=[None, 73.0])})
    problems = validate(ds)
    eoq = problems[problems.problem.str.startswith("EOQ")]
    assert eoq.row.tolist() == ["items row 1"] and set(eoq.severity) == {"warning"}


def test_a_large_holding_cost_rate_is_a_warning_not_an_error():
    """unit_cost 1 with holding_cost_rate 52 is $1 per unit per week: odd for a plant, but meant in a
    textbook case, so it is reported, not refused."""
    ds = from_frames({"items": _items(unit_cost=[1.0, 1.0], holding_cost_rate=[52.0, 0.25])})
    problems = validate(ds)
    rate = problems[problems.column == "holding_cost_rate"]
    assert rate[["severity", "row"]].values.tolist() == [["warning", "items row 1"]]
    assert (problems.severity == "warning").all()


def test_missing_required_column_is_named():
    ds, problems = read_dataset_from({"items": pd.DataFrame({"item_id": ["A"], "lead_time_days": [1]})})
    frame = problems.frame()
    assert frame[frame.column == "item_type"].problem.tolist() == ["required column is missing"]


def read_dataset_from(frames):
    from planlib.contract import TABLES
    from planlib.data import Dataset, _as_text, type_table
    from planlib.problems import Problems

    p = Problems()
    typed = {n: type_table(TABLES[n], _as_text(f), [f"{n} row {i + 1}" for i in range(len(f))], p)
             for n, f in frames.items()}
    return Dataset(typed, "", frozenset(typed)), p


def test_calendar_exception_needs_one_target():
    cal = pd.DataFrame({"calendar_id": ["C"], "weekday": ["Mon"], "start_time": ["06:00"], "end_time": ["14:00"]})
    ex = pd.DataFrame({"calendar_id": [None], "machine_id": [None], "start": ["2026-12-24"], "end": ["2026-12-25"],
                       "kind": ["holiday"]})
    problems = validate(from_frames({"calendars": cal, "calendar_exceptions": ex}))
    assert "names neither a calendar nor a machine" in problems.problem.tolist()


def test_night_shift_past_midnight_is_working_time():
    cal = pd.DataFrame({"calendar_id": ["N"], "weekday": ["Mon"], "start_time": ["22:00"], "end_time": ["06:00"]})
    assert validate(from_frames({"calendars": cal})).empty
