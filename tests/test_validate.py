"""Validation: every defect reported at once, naming table, row and column."""
from __future__ import annotations

import shutil
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

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


# --------------------------------------------------------------------------- issue #12: history, bounds, steps

def _history(dates, items=None):
    items = items or ["A"] * len(dates)
    return from_frames({"demand_history": pd.DataFrame({"item_id": items, "date": dates, "qty": [5.0] * len(dates)})})


def _weekly(start, weeks, item="A"):
    return [str(d.date()) for d in pd.date_range(start, periods=weeks, freq="W-MON")], [item] * weeks


def test_history_after_today_is_an_error_naming_the_row():
    dates, items = _weekly("2025-01-06", 60)
    dates[10] = "2036-03-10"
    problems = validate(_history(dates, items), today="2026-12-03")
    assert problems[["severity", "row", "column", "value"]].values.tolist() == [
        ["error", "demand_history row 11", "date", "2036-03-10"]]
    assert "after today (2026-12-03)" in problems.problem.iloc[0]


def test_history_far_after_the_rest_is_an_error_even_before_today():
    """A 2026 history with one row in 2028, checked in 2030: the forecast would start in 2028."""
    dates, items = _weekly("2025-01-06", 60)
    dates[3] = "2028-01-03"
    problems = validate(_history(dates, items), today="2030-01-01")
    assert problems[["severity", "row"]].values.tolist() == [["error", "demand_history row 4"]]
    assert "after the rest of it ends" in problems.problem.iloc[0]


def test_a_row_long_before_the_rest_is_a_warning():
    dates, items = _weekly("2024-11-25", 104)
    dates[0] = "2016-11-28"
    problems = validate(_history(dates, items), today="2026-12-03")
    assert problems[["severity", "row", "column"]].values.tolist() == [["warning", "demand_history row 1", "date"]]
    assert "before the rest of it starts (2024-12-02)" in problems.problem.iloc[0]


def test_an_item_whose_first_row_is_long_before_its_others_is_a_warning():
    a_dates, a_items = _weekly("2024-01-01", 150, "A")
    b_dates, b_items = _weekly("2025-06-02", 60, "B")
    b_dates[0] = "2024-01-08"  # inside the table's history, but 17 months before B's next row
    problems = validate(_history(a_dates + b_dates, a_items + b_items), today="2026-12-03")
    assert problems[["severity", "row"]].values.tolist() == [["warning", "demand_history row 151"]]
    assert "history of B" in problems.problem.iloc[0]


@given(weeks=st.integers(2, 150), gap_weeks=st.integers(0, 51), seed=st.integers(0, 10_000))  # 51 + the weekly step: 364 days
@hsettings(max_examples=40, deadline=None)
def test_history_without_a_year_long_gap_gives_no_finding(weeks, gap_weeks, seed):
    """Invariant: weekly history with gaps of at most a year, all before today, is never reported."""
    rng = np.random.default_rng(seed)
    dates, items = _weekly("2022-01-03", weeks)
    cut = int(rng.integers(0, weeks))
    shifted = [d if i < cut else str((pd.Timestamp(d) + pd.Timedelta(weeks=gap_weeks)).date())
               for i, d in enumerate(dates)]
    assert validate(_history(shifted, items), today="2026-12-03").empty


@pytest.mark.parametrize("column,value,bound", [
    ("lead_time_days", 1e308, "at most 3,650"), ("lead_time_days", 3651, "at most 3,650"),
    ("safety_stock", 2e9, "at most 1,000,000,000"), ("max_order_qty", 1e12, "at most 1,000,000,000"),
])
def test_absurd_values_are_errors_that_say_the_bound(column, value, bound):
    problems = validate(from_frames({"items": _items(**{column: [value, 1.0]})}))
    errors = problems[problems.severity == "error"]
    assert errors[["row", "column"]].values.tolist() == [["items row 1", column]]
    assert errors.fix.iloc[0].endswith(bound)


@pytest.mark.parametrize("text", ["inf", "-inf", "Infinity", "NaN", "nan", "1e999"])
def test_non_finite_numbers_are_errors(text):
    with pytest.raises(InputError) as info:
        from_frames({"items": _items(lead_time_days=[text, "7"], safety_stock=["1", text])})
    problems = info.value.problems
    assert problems[["row", "column", "problem"]].values.tolist() == [
        ["items row 1", "lead_time_days", "not a finite number"], ["items row 2", "safety_stock", "not a finite number"]]


def test_a_tiny_max_order_qty_is_an_error_with_the_smallest_sensible_limit(sample_files):
    sample = sample_files  # the files as planlib validate reads them
    items = sample.items.copy()
    items.loc[items.item_id == "FG-01", "max_order_qty"] = 0.001
    problems = validate(sample.replace(items=items))
    errors = problems[problems.severity == "error"]
    assert errors[["row", "column", "value"]].values.tolist() == [["items row 1", "max_order_qty", "0.001"]]
    assert "110,000 orders" in errors.problem.iloc[0]  # FG-01's largest open order line is 110
    assert "at least 0.11" in errors.fix.iloc[0]
    items.loc[items.item_id == "FG-01", "max_order_qty"] = 0.2  # 550 orders a week: odd, but allowed
    assert validate(sample.replace(items=items)).empty


# --------------------------------------------------------------------------- per planning step

def test_each_step_of_the_sample_has_what_it_needs(sample_files):
    sample = sample_files
    from planlib.validate import STEP_TABLES, check_for

    for step in STEP_TABLES:
        assert check_for(sample, step).empty, step


def test_require_names_a_missing_machines_table(sample_dir, tmp_path):
    """A dataset without machines.csv: the schedule died with KeyError 'SAW-1' (issue #12 item 6)."""
    from planlib.validate import check_for, require

    src = tmp_path / "plant"
    shutil.copytree(sample_dir, src)
    (src / "machines.csv").unlink()
    (src / "calendar_exceptions.csv").unlink()  # it names machines too
    ds = load(src)  # a dataset without machines is valid: MRP does not need them
    with pytest.raises(InputError) as info:
        require(ds, "schedule")
    assert "machines" in str(info.value)
    problems = info.value.problems
    missing = problems[problems.table == "machines"]
    assert missing.problem.tolist() == ["table machines is missing: planlib schedule needs it"]
    assert "machine_id, work_center_id" in missing.fix.iloc[0]
    # every work center a routing uses is named too
    assert set(problems[problems.table == "routings"].value) == set(ds.routings.work_center_id)
    require(ds, "mrp")  # MRP runs without machines
    assert not check_for(ds, "run").empty


def test_require_forecast_refuses_future_history(sample):
    from planlib.validate import require

    history = sample.demand_history.copy()
    history.loc[5, "date"] = pd.Timestamp("2036-11-24")
    with pytest.raises(InputError) as info:
        require(sample.replace(demand_history=history), "forecast", today="2026-12-03")
    assert info.value.problems[["row", "column"]].values.tolist() == [["demand_history row 6", "date"]]


def test_require_masks_the_password_in_its_message():
    from planlib.data import Dataset
    from planlib.validate import require

    ds = Dataset({}, "postgresql://planner:S3cret@host/plant", frozenset(), {})
    with pytest.raises(InputError) as info:
        require(ds, "forecast")
    assert "S3cret" not in str(info.value) and "planner:***@host" in str(info.value)


# --------------------------------------------------------------------------- the fast paths against plain references

def _reference_weekly_requirement(ds, own):
    """The BOM part of weekly_requirement one item at a time (Kahn's order), as planlib did it."""
    need = own.astype(float).copy()
    bom = ds.bom.dropna(subset=["parent_id", "component_id", "qty_per"])
    bom = bom[bom.parent_id.isin(need.index) & bom.component_id.isin(need.index)]
    parents_left = bom.groupby("component_id").size().to_dict()
    children = {k: g for k, g in bom.groupby("parent_id")}
    ready = [i for i in need.index if parents_left.get(i, 0) == 0]
    while ready:
        item = ready.pop()
        if item not in children:
            continue
        for comp, qty_per, scrap in zip(children[item].component_id, children[item].qty_per,
                                        children[item].scrap_pct.fillna(0.0)):
            need[comp] += need[item] * qty_per * (1 + scrap / 100)
            parents_left[comp] -= 1
            if parents_left[comp] == 0:
                ready.append(comp)
    return need


def _reference_cycles(bom):
    """Every BOM cycle a depth-first search over the whole BOM names (sorted roots), as planlib did."""
    children = {}
    for parent, comp in zip(bom.parent_id, bom.component_id):
        children.setdefault(parent, []).append(comp)
    colour, found = {}, []
    for root in sorted(children):
        if colour.get(root):
            continue
        stack, path, colour[root] = [(root, iter(children.get(root, ())))], [root], 1
        while stack:
            node, it = stack[-1]
            nxt = next(it, None)
            if nxt is None:
                colour[node] = 2
                stack.pop()
                path.pop()
            elif colour.get(nxt) == 1:
                cycle = path[path.index(nxt):] + [nxt]
                if frozenset(cycle) not in {frozenset(c) for c in found}:
                    found.append(cycle)
            elif not colour.get(nxt):
                colour[nxt] = 1
                path.append(nxt)
                stack.append((nxt, iter(children.get(nxt, ()))))
    return ["BOM cycle: " + " -> ".join(c) for c in found]


@pytest.fixture(scope="module")
def cyclic_factory():
    """A generated 400-item factory with three BOM cycles added (one of them a self-loop), its
    component lines pointing into the cycles, and items needing more than 1,000 orders a week."""
    from planlib.dataset import Dataset
    from planlib.factory import make_factory

    ds = make_factory(400, 5, 6, history_weeks=8, seed=3)
    bom, items = ds.bom, ds.items
    ids = items.item_id.tolist()
    line = bom.iloc[len(bom) // 2]  # its component now contains its parent
    extra = pd.DataFrame({"parent_id": [line.component_id, ids[40], ids[41], ids[42], ids[7]],
                          "component_id": [line.parent_id, ids[41], ids[42], ids[40], ids[7]], "qty_per": 1.0})
    bom = pd.concat([bom, extra], ignore_index=True)
    items = items.assign(max_order_qty=np.where(np.arange(len(items)) % 3 == 0, 0.01, items.max_order_qty))
    tables = {**ds.tables, "bom": bom, "items": items}
    return Dataset(tables, "(memory)", ds.present, {n: [f"{n} row {i + 1}" for i in range(len(t))]
                                                     for n, t in tables.items()})


def test_weekly_requirement_matches_the_item_by_item_reference(cyclic_factory):
    from planlib.validate import weekly_requirement

    fast = weekly_requirement(cyclic_factory)
    # the items' own requirement: the reference's starting point, the fast path with an empty BOM
    own = weekly_requirement(cyclic_factory.__class__({**cyclic_factory.tables, "bom": cyclic_factory.bom.iloc[:0]},
                                                      "", cyclic_factory.present, cyclic_factory.rows))
    ref = _reference_weekly_requirement(cyclic_factory, own)
    assert (fast.index == ref.index).all()
    np.testing.assert_allclose(fast.to_numpy(), ref.to_numpy(), rtol=1e-12)
    assert (fast > own).sum() > 100  # the BOM carried requirements down


def test_order_count_rule_names_the_items_it_did(cyclic_factory):
    from planlib.problems import Problems
    from planlib.validate import ORDERS_PER_WEEK_MAX, _order_count_rule, weekly_requirement

    p = Problems()
    _order_count_rule(cyclic_factory, p)
    found = p.frame()
    need = weekly_requirement(cyclic_factory).reindex(cyclic_factory.items.item_id).to_numpy()
    cap = cyclic_factory.items.max_order_qty.to_numpy(float)
    expected = [f"items row {i + 1}" for i in np.flatnonzero((cap > 0) & (need / cap > ORDERS_PER_WEEK_MAX))]
    assert expected and found.row.tolist() == expected
    assert found.problem.str.contains("orders").all()


def test_bom_cycles_match_the_whole_bom_search(cyclic_factory):
    found = validate(cyclic_factory)
    cycles = found[found.problem.str.startswith("BOM cycle")].problem.tolist()
    assert cycles == _reference_cycles(cyclic_factory.bom)
    assert len(cycles) == 3


def test_a_duplicate_key_names_the_first_row():
    ds = from_frames({"items": pd.DataFrame({"item_id": ["A", "B", "A", "C", "B"], "item_type": "buy",
                                             "lead_time_days": 7})})
    dup = validate(ds, ["items"])
    dup = dup[dup.problem.str.startswith("duplicate key")]
    assert dup[["row", "problem"]].values.tolist() == [["items row 3", "duplicate key (also at items row 1)"],
                                                       ["items row 5", "duplicate key (also at items row 2)"]]


def test_validate_reports_a_long_uninterruptible_operation_without_loading_the_scheduler(sample_dir, tmp_path):
    """The rule lives in planlib.validate: `planlib validate` finds it and does not import OR-Tools."""
    src = tmp_path / "src"
    shutil.copytree(sample_dir, src)
    routings = pd.read_csv(src / "routings.csv", dtype=str, keep_default_na=False)
    k = routings.index[(routings.item_id == "SA-01") & (routings.uninterruptible.str.lower() == "true")][0]
    routings.loc[k, "run_min_per_unit"] = "20"  # SA-01: fixed lot of 30 -> 600 min on a 510 min paint shift
    routings.to_csv(src / "routings.csv", index=False)
    code = ("import sys; from planlib.data import check_source; _, f = check_source(sys.argv[1]); "
            "print(f[f.column == 'uninterruptible'].problem.tolist()); "
            "print(sorted({m.split('.')[0] for m in sys.modules} & {'ortools'}), "
            "[m for m in sys.modules if m.startswith('planlib.schedule')])")
    run = subprocess.run([sys.executable, "-c", code, str(src)], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    found, loaded = run.stdout.splitlines()
    assert "600 min for a typical lot of 30 (fixed lot size)" in found and "510 min" in found
    assert loaded == "[] []"
