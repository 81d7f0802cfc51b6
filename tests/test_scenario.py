"""Scenario files: parsing, errors with file and line, application, forecast scaling, KPI comparison."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from planlib.calendar import machine_intervals
from planlib.compare import compare_item_orders, compare_kpis
from planlib.data import from_frames
from planlib.problems import InputError
from planlib.scenario import (
    CHANGE_KINDS,
    DemandMultiplier,
    Downtime,
    LeadTimeChange,
    Overtime,
    RushOrder,
    Scenario,
    SupplierDelay,
    apply_scenario,
    change_from_dict,
    check_scenario,
    load_scenario,
    parse_scenario,
    save_scenario,
    scale_forecast,
    scenario_to_yaml,
)

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted((ROOT / "data" / "scenarios").glob("*.yaml"))
TABLES = ("items", "demand", "calendar_exceptions", "scheduled_receipts", "suppliers", "machines",
          "work_centers", "calendars")


@pytest.fixture(scope="module")
def plant():
    """A small plant whose every number the tests below can check by hand."""
    return from_frames({
        "items": pd.DataFrame({
            "item_id": ["A", "B", "R1", "R2"], "item_type": ["make", "make", "buy", "buy"],
            "lead_time_days": [7, 14, 10, 21], "family": ["F1", "F2", "", ""],
            "supplier_id": [None, None, "S1", "S2"]}),
        "suppliers": pd.DataFrame({"supplier_id": ["S1", "S2"], "lead_time_days": [10, 21]}),
        "demand": pd.DataFrame({
            "order_id": ["O1", "O2", "O3"], "item_id": ["A", "A", "B"], "qty": [10, 20, 5],
            "due_date": ["2026-11-25", "2026-12-09", "2026-12-02"], "priority": [3, 2, 3]}),
        "calendars": pd.DataFrame({"calendar_id": ["C"] * 5, "weekday": ["Mon", "Tue", "Wed", "Thu", "Fri"],
                                   "start_time": ["06:00"] * 5, "end_time": ["14:00"] * 5}),
        "work_centers": pd.DataFrame({"work_center_id": ["W1", "W2"], "calendar_id": ["C", "C"]}),
        "machines": pd.DataFrame({"machine_id": ["M1", "M2", "M3"], "work_center_id": ["W1", "W1", "W2"]}),
        "calendar_exceptions": pd.DataFrame({"calendar_id": ["C"], "machine_id": [None],
                                             "start": ["2026-12-24 00:00"], "end": ["2026-12-25 00:00"],
                                             "kind": ["holiday"]}),
        "scheduled_receipts": pd.DataFrame({
            "order_id": ["P1", "P2", "P3", "MO1"], "item_id": ["R1", "R2", "R1", "A"],
            "order_type": ["purchase", "purchase", "purchase", "production"], "qty": [100, 50, 40, 10],
            "due_date": ["2026-12-01", "2026-12-03", "2026-12-10", "2026-11-30"],
            "supplier_id": ["S1", None, "S1", None]}),
    })


def scenario(text: str, name="test.yaml") -> Scenario:
    return parse_scenario(text, name)


def one(change_yaml: str) -> Scenario:
    return scenario("name: t\nchanges:\n" + change_yaml)


def problem_rows(exc: pytest.ExceptionInfo) -> list[tuple[str, str]]:
    p = exc.value.problems
    return list(zip(p.row, p.column))


def unchanged_except(base, new, *changed):
    """Every table but ``changed`` is the very same frame."""
    for t in TABLES:
        if t not in changed:
            pd.testing.assert_frame_equal(base[t], new[t])


# --------------------------------------------------------------------------- parsing

def test_every_kind_parses_to_its_values():
    s = scenario("""\
name: All kinds
description: one of each
changes:
  - kind: demand_multiplier
    factor: 1.25
    items: [A, B]
    family: F1
    from: 2026-W49
    to: 2026-W50
    apply_to: forecast
  - kind: rush_order
    item: A
    qty: 12.5
    due: 2026-12-04
    priority: 2
    customer: C9
  - kind: downtime
    machine: M1
    start: 2026-11-24 06:00
    end: 2026-11-25
    reason: maintenance
  - kind: overtime
    work_center: W1
    start: 2026-11-28 06:00
    hours: 6
    repeat_weeks: 3
  - kind: supplier_delay
    supplier: S1
    days: 7
    orders: [P1]
  - kind: lead_time
    supplier: S2
    add_days: -3
    note: new carrier
""")
    assert s.name == "All kinds" and s.description == "one of each" and s.slug == "all_kinds"
    assert s.changes == (
        DemandMultiplier(factor=1.25, items=("A", "B"), families=("F1",), start=dt.date(2026, 11, 30),
                         end=dt.date(2026, 12, 13), apply_to=("forecast",)),
        RushOrder(item="A", qty=12.5, due=dt.date(2026, 12, 4), priority=2, customer="C9"),
        Downtime(machines=("M1",), start=pd.Timestamp("2026-11-24 06:00"), end=pd.Timestamp("2026-11-26 00:00"),
                 reason="maintenance"),
        Overtime(work_centers=("W1",), start=pd.Timestamp("2026-11-28 06:00"),
                 end=pd.Timestamp("2026-11-28 12:00"), repeat_weeks=3),
        SupplierDelay(supplier="S1", days=7, orders=("P1",)),
        LeadTimeChange(supplier="S2", add_days=-3.0, note="new carrier"),
    )
    # each change knows the line of each of its keys
    assert s.where(2, "machine") == "test.yaml line 18"
    assert s.where(5, "add_days") == "test.yaml line 33"


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_example_files_round_trip_and_apply_to_the_sample(path, sample):
    s = load_scenario(path, sample)
    assert len(s.changes) >= 1 and s.description
    text = scenario_to_yaml(s)
    assert parse_scenario(text) == s
    assert scenario_to_yaml(parse_scenario(text)) == text
    assert check_scenario(s, sample).empty
    new = apply_scenario(sample, s)
    assert any(not new[t].equals(sample[t]) for t in TABLES)


def test_examples_cover_the_four_stories():
    assert {p.stem for p in EXAMPLES} >= {"rush_orders", "lathe_breakdown", "supplier_delay", "peak_demand"}


def test_save_writes_a_file_load_reads_back(tmp_path):
    s = one("  - kind: overtime\n    machines: [M1, M2]\n    start: 2026-11-28 06:00\n    end: 2026-11-28 14:00\n")
    path = save_scenario(s, tmp_path / "sub" / "ot.yaml")
    assert load_scenario(path) == s
    assert load_scenario(path).source == str(path)
    assert [p.name for p in path.parent.iterdir()] == ["ot.yaml"]


ids = st.sampled_from(["A", "B", "M1", "M2", "S1", "FG-01", "LATHE-2", "x y"])
days = st.dates(dt.date(2026, 1, 1), dt.date(2027, 12, 31))
moments = st.builds(lambda d, m: pd.Timestamp(d) + pd.Timedelta(minutes=15 * m), days, st.integers(0, 95))
texts = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=30)


def _window(cls, **kw):
    def make(ms, wcs, s, h, r, days, **k):
        h = min(h, 96) if days else h              # a daily window lasts 24 h at most
        return cls(machines=tuple(ms), work_centers=tuple(wcs), start=s, end=s + pd.Timedelta(minutes=15 * h),
                   repeat_weeks=r, weekdays=tuple(sorted(days)), **k)

    return st.builds(make, st.lists(ids, min_size=1, max_size=3, unique=True),
                     st.lists(ids, max_size=2, unique=True), moments, st.integers(1, 400), st.integers(1, 5),
                     st.lists(st.integers(0, 6), max_size=7, unique=True), **kw)


changes = st.one_of(
    st.builds(lambda f, its, fams, a, b, to: DemandMultiplier(
        factor=f, items=tuple(its), families=tuple(fams), start=min(a, b), end=max(a, b), apply_to=to),
        st.floats(0, 10, allow_nan=False), st.lists(ids, max_size=3, unique=True),
        st.lists(ids, max_size=2, unique=True), days, days,
        st.sampled_from([("orders", "forecast"), ("orders",), ("forecast",)])),
    st.builds(lambda i, q, d, p, n: RushOrder(item=i, qty=q, due=d, priority=p, note=n.strip()),
              ids, st.floats(0.001, 1e6), days, st.integers(1, 9), texts),
    _window(Downtime, reason=st.sampled_from(["breakdown", "maintenance"])),
    _window(Overtime),
    st.builds(lambda s, d, o: SupplierDelay(supplier=s, days=d, orders=tuple(o)),
              ids, st.integers(1, 200), st.lists(ids, max_size=3, unique=True)),
    st.builds(lambda its, s, d, add: LeadTimeChange(items=tuple(its), supplier=s,
                                                   days=None if add else d, add_days=d if add else None),
              st.lists(ids, min_size=1, max_size=3, unique=True), st.sampled_from(["", "S1"]),
              st.floats(0, 365, allow_nan=False), st.booleans()),
)


@settings(max_examples=60, deadline=None)
@given(name=texts.filter(lambda t: t.strip()), desc=texts, cs=st.lists(changes, max_size=6))
def test_yaml_round_trip_property(name, desc, cs):
    s = Scenario(name.strip(), desc.strip(), tuple(cs))
    back = parse_scenario(scenario_to_yaml(s))
    assert back == s


# --------------------------------------------------------------------------- errors with lines

def test_codes_stay_as_written():
    """YAML would read 0012 as the number 10 (octal) and NO as false: codes keep their text."""
    s = one("  - kind: rush_order\n    item: 0012\n    qty: 1\n    due: 2026-12-01\n    order_id: 007\n"
            "    customer: NO\n  - kind: downtime\n    machines: [0012, 1e3, NO]\n    start: 2026-12-01\n"
            "    hours: 1\n")
    assert (s.changes[0].item, s.changes[0].order_id, s.changes[0].customer) == ("0012", "007", "NO")
    assert s.changes[1].machines == ("0012", "1e3", "NO")
    assert parse_scenario(scenario_to_yaml(s)) == s


def test_yaml_syntax_error_names_the_line():
    with pytest.raises(InputError) as exc:
        scenario("name: x\nchanges:\n  - kind: downtime\n    machine: M1\n   start: 2026-11-24\n", "lathe.yaml")
    p = exc.value.problems
    assert p.row.tolist() == ["lathe.yaml line 5"]
    assert "not indented like the lines above" in p.problem[0] and "indentation" in p.fix[0]


def test_every_problem_of_a_file_at_once_with_lines_and_fixes():
    text = """\
name: Broken
changes:
  - kind: downtime
    machine: M1
    start: 2026-11-31 06:00
    end: 2026-11-26
  - kind: demand_multiplier
    factor: -1.2
  - kind: overtim
    machine: M1
  - kind: supplier_delay
    suplier: S1
    days: 2.5
  - kind: rush_order
    item: A
    due: 26/11/2026
    qty: 0
  - kind: lead_time
    item: A
    days: 3
    add_days: 2
  - just text
"""
    with pytest.raises(InputError) as exc:
        scenario(text, "lathe.yaml")
    assert problem_rows(exc) == [
        ("lathe.yaml line 5", "start"),       # 31 November
        ("lathe.yaml line 8", "factor"),      # negative
        ("lathe.yaml line 9", "kind"),        # unknown kind
        ("lathe.yaml line 12", "suplier"),    # unknown key
        ("lathe.yaml line 11", "supplier"),   # so the supplier is missing (line of the change)
        ("lathe.yaml line 13", "days"),       # not whole
        ("lathe.yaml line 17", "qty"),        # not > 0
        ("lathe.yaml line 16", "due"),        # not a date
        ("lathe.yaml line 20", "days"),       # days and add_days
        ("lathe.yaml line 22", ""),           # not a mapping
    ]
    p = exc.value.problems.set_index(["row", "column"])
    assert "did you mean overtime?" in p.loc[("lathe.yaml line 9", "kind"), "fix"]
    assert "did you mean 'supplier'?" in p.loc[("lathe.yaml line 12", "suplier"), "fix"]
    assert "never negative" in p.loc[("lathe.yaml line 8", "factor"), "fix"]
    assert "YYYY-MM-DD" in p.loc[("lathe.yaml line 16", "due"), "fix"]
    assert set(exc.value.problems.table) == {"scenario"}


@pytest.mark.parametrize("body, row, column, words", [
    ("  - kind: downtime\n    machine: M1\n    start: 2026-11-24 06:00\n    end: 2026-11-24 05:00\n",
     6, "end", "ends before it starts"),
    ("  - kind: downtime\n    machine: M1\n    start: 2026-11-24 06:00\n", 3, "end", "'end' is missing"),
    ("  - kind: downtime\n    start: 2026-11-24 06:00\n    hours: 3\n", 3, "machine", "no machine"),
    ("  - kind: downtime\n    machine: M1\n    start: 2026-11-24 25:00\n    hours: 3\n", 5, "start", "not a date"),
    ("  - kind: downtime\n    machine: M1\n    start: 2026-11-24\n    hours: 3\n    reason: fire\n", 7, "reason",
     "not one of breakdown, maintenance"),
    ("  - kind: demand_multiplier\n    factor: 2\n    from: 2026-12-10\n    to: 2026-12-01\n", 6, "to",
     "before 'from'"),
    ("  - kind: demand_multiplier\n    factor: lots\n", 4, "factor", "not a number"),
    ("  - kind: demand_multiplier\n    factor: 2\n    apply_to: history\n", 5, "apply_to", "not orders or forecast"),
    ("  - kind: rush_order\n    item: A\n    qty: 5\n    due: 2026-12-01\n    priority: 12\n", 7, "priority",
     "at most 9"),
    ("  - machine: M1\n", 3, "kind", "no kind"),
])
def test_single_problems(body, row, column, words):
    with pytest.raises(InputError) as exc:
        scenario("name: t\nchanges:\n" + body)
    p = exc.value.problems
    assert (f"test.yaml line {row}", column) in problem_rows(exc), p.to_string()
    assert any(words in text for text in p.problem), p.problem.tolist()


def test_top_level_problems():
    with pytest.raises(InputError) as exc:
        scenario("name: t\nchange:\n  - kind: downtime\n")
    assert problem_rows(exc) == [("test.yaml line 2", "change"), ("test.yaml line 1", "changes")]
    assert "did you mean 'changes'?" in exc.value.problems.fix[0]
    with pytest.raises(InputError) as exc:
        scenario("- a\n- b\n")
    assert "must be a mapping" in exc.value.problems.problem[0]
    with pytest.raises(InputError) as exc:
        scenario("name: t\nname: u\nchanges: []\n")
    assert problem_rows(exc) == [("test.yaml line 2", "name")]


def test_missing_file(tmp_path):
    with pytest.raises(InputError) as exc:
        load_scenario(tmp_path / "nope.yaml")
    assert exc.value.problems.row.tolist() == ["nope.yaml"]


def test_references_are_checked_against_the_dataset_with_lines(plant, tmp_path):
    path = tmp_path / "refs.yaml"
    path.write_text("""\
name: refs
changes:
  - kind: downtime
    machines: [M1, M9]
    start: 2026-11-24
    hours: 4
  - kind: overtime
    work_center: W7
    start: 2026-11-28 06:00
    hours: 4
  - kind: demand_multiplier
    factor: 2
    family: F3
  - kind: rush_order
    item: Z
    qty: 1
    due: 2026-12-01
    order_id: O1
  - kind: supplier_delay
    supplier: S3
    days: 3
  - kind: supplier_delay
    supplier: S1
    days: 3
    orders: [P2, P9]
  - kind: lead_time
    item: R1
    add_days: -11
""")
    s = load_scenario(path)                      # the file itself is fine
    p = check_scenario(s, plant)
    assert list(zip(p.row, p.column, p.value)) == [
        ("refs.yaml line 4", "machines", "M9"),
        ("refs.yaml line 8", "work_center", "W7"),
        ("refs.yaml line 13", "family", "F3"),
        ("refs.yaml line 15", "item", "Z"),
        ("refs.yaml line 18", "order_id", "O1"),
        ("refs.yaml line 20", "supplier", "S3"),
        ("refs.yaml line 25", "orders", "P2"),
        ("refs.yaml line 25", "orders", "P9"),
        ("refs.yaml line 28", "add_days", "-11"),
    ]
    assert (p.severity == "error").all()
    assert p.fix[0] == "use one of M1, M2, M3"
    assert p.fix[1] == "use one of W1, W2"
    assert "not an open purchase order of S1" in p.problem[6]
    assert "the shortest is 10 days" in p.problem[8]
    with pytest.raises(InputError) as exc:
        load_scenario(path, plant)
    assert len(exc.value.problems) == 9
    with pytest.raises(InputError):
        apply_scenario(plant, s)


def test_a_change_that_does_nothing_is_a_warning(plant):
    s = one("  - kind: lead_time\n    supplier: S1\n    days: 3\n")
    assert check_scenario(s, plant).empty
    p = check_scenario(one("  - kind: supplier_delay\n    supplier: S2\n    days: 3\n"),
                       plant.replace(scheduled_receipts=plant.scheduled_receipts.iloc[[0]]))
    assert p.severity.tolist() == ["warning"] and "does nothing" in p.problem[0]


def test_dates_outside_the_plan_are_warnings(plant):
    from planlib.params import PlanParams

    s = one("  - kind: downtime\n    machine: M1\n    start: 2025-11-24 06:00\n    hours: 8\n"     # 2025!
            "  - kind: overtime\n    machine: M1\n    start: 2026-11-21 06:00\n    hours: 8\n"
            "    weekdays: [Sat]\n    repeat_weeks: 2\n"                                            # 2nd inside
            "  - kind: rush_order\n    item: A\n    qty: 1\n    due: 2026-11-20\n"
            "  - kind: rush_order\n    item: A\n    qty: 1\n    due: 2027-12-01\n"
            "  - kind: demand_multiplier\n    factor: 2\n    from: 2027-08-01\n")
    params = PlanParams(plan_start="2026-11-23", horizon_weeks=26, forecast_horizon=26)
    p = check_scenario(s, plant, params)
    assert list(zip(p.row, p.column)) == [("test.yaml line 5", "start"), ("test.yaml line 16", "due"),
                                          ("test.yaml line 20", "due"), ("test.yaml line 23", "from")]
    assert (p.severity == "warning").all()
    assert p.problem[0] == "the window lies outside the plan (2026-11-23 to 2027-05-23): the change does nothing"
    assert "past due at once" in p.problem[1]
    assert check_scenario(s, plant).empty          # without a plan, dates are not judged


def test_change_from_dict_validates_like_a_file(plant):
    c = change_from_dict({"kind": "overtime", "machines": ["M1"], "start": "2026-11-28 06:00", "hours": 4})
    assert c == Overtime(machines=("M1",), start=pd.Timestamp("2026-11-28 06:00"),
                         end=pd.Timestamp("2026-11-28 10:00"))
    with pytest.raises(InputError, match="unknown machine 'M7'"):
        change_from_dict({"kind": "overtime", "machines": ["M7"], "start": "2026-11-28 06:00", "hours": 4}, plant)
    with pytest.raises(InputError, match="must be at least 0"):
        change_from_dict({"kind": "demand_multiplier", "factor": -1})


# --------------------------------------------------------------------------- application

def test_demand_multiplier_by_item_and_period(plant):
    s = one("  - kind: demand_multiplier\n    item: A\n    factor: 1.5\n    from: 2026-12-07\n    to: 2026-W50\n")
    new = apply_scenario(plant, s)
    assert new.demand.qty.tolist() == [10, 30, 5]       # only O2 (A, due 9 Dec) is in the window
    unchanged_except(plant, new, "demand")
    assert plant.demand.qty.tolist() == [10, 20, 5]     # input not mutated


def test_demand_multiplier_by_family_everywhere_and_stacked(plant):
    s = one("  - kind: demand_multiplier\n    family: F2\n    factor: 2\n"
            "  - kind: demand_multiplier\n    factor: 0.5\n")
    assert apply_scenario(plant, s).demand.qty.tolist() == [5, 10, 5]    # B: 5 * 2 * 0.5


def test_demand_multiplier_zero_removes_lines_and_forecast_only_leaves_orders(plant):
    s = one("  - kind: demand_multiplier\n    item: A\n    factor: 0\n    to: 2026-11-30\n")
    assert apply_scenario(plant, s).demand.order_id.tolist() == ["O2", "O3"]
    s = one("  - kind: demand_multiplier\n    factor: 3\n    apply_to: forecast\n")
    assert apply_scenario(plant, s) is plant


multipliers = st.lists(st.builds(
    lambda f, its, fams, a, b, orders: DemandMultiplier(
        factor=f, items=tuple(its), families=tuple(fams), start=a, end=b,
        apply_to=("orders", "forecast") if orders else ("forecast",)),
    st.sampled_from([0.0, 0.5, 1.0, 1.25, 2.0, 3.0]), st.lists(st.sampled_from(["A", "B"]), unique=True),
    st.lists(st.sampled_from(["F1", "F2"]), unique=True),
    st.none() | st.dates(dt.date(2026, 11, 20), dt.date(2026, 12, 12)),
    st.none() | st.dates(dt.date(2026, 11, 20), dt.date(2026, 12, 12)), st.booleans()), max_size=4)


@settings(max_examples=80, deadline=None)
@given(ms=multipliers)
def test_demand_is_the_product_of_the_multipliers_that_match(plant, ms):
    """Each order line ends as qty x every factor whose items, families and window hold it."""
    new = apply_scenario(plant, Scenario("p", changes=tuple(ms)))
    family = dict(zip(plant.items.item_id, plant.items.family))
    expected = {}
    for oid, item, qty, due in zip(plant.demand.order_id, plant.demand.item_id, plant.demand.qty,
                                   plant.demand.due_date):
        for m in ms:
            chosen = (not m.items and not m.families) or item in m.items or family[item] in m.families
            inside = (m.start is None or due.date() >= m.start) and (m.end is None or due.date() <= m.end)
            if "orders" in m.apply_to and chosen and inside:
                qty *= m.factor
        if qty > 0:
            expected[oid] = qty
    assert dict(zip(new.demand.order_id, new.demand.qty)) == pytest.approx(expected)
    unchanged_except(plant, new, "demand")
    assert plant.demand.qty.tolist() == [10, 20, 5]


def test_rush_orders_are_appended_with_numbered_ids(plant):
    s = one("  - kind: rush_order\n    item: B\n    qty: 7\n    due: 2026-11-26\n"
            "  - kind: rush_order\n    item: A\n    qty: 3\n    due: 2026-W49\n    priority: 4\n    customer: C2\n"
            "  - kind: rush_order\n    item: A\n    qty: 1\n    due: 2026-12-01\n    order_id: X-1\n")
    new = apply_scenario(plant, s)
    unchanged_except(plant, new, "demand")
    d = new.demand
    assert d.order_id.tolist() == ["O1", "O2", "O3", "RUSH-001", "RUSH-002", "X-1"]
    rush = d.iloc[3:]
    assert rush.item_id.tolist() == ["B", "A", "A"] and rush.qty.tolist() == [7, 3, 1]
    assert rush.due_date.tolist() == [pd.Timestamp("2026-11-26"), pd.Timestamp("2026-11-30"),
                                      pd.Timestamp("2026-12-01")]
    assert rush.priority.tolist() == [1, 4, 1] and rush.customer_id.tolist() == ["RUSH", "C2", "RUSH"]
    assert d.dtypes.equals(plant.demand.dtypes)


def _hours(ds, machine, start="2026-11-23", end="2026-12-07"):
    iv = machine_intervals(ds, start, end)
    iv = iv[iv.machine_id == machine]
    return float(((iv.end - iv.start).dt.total_seconds() / 3600).sum())


def test_downtime_removes_working_time_on_the_machines_named(plant):
    s = one("  - kind: downtime\n    machine: M1\n    start: 2026-11-24 10:00\n    end: 2026-11-25\n"
            "    note: bearing\n")
    new = apply_scenario(plant, s)
    unchanged_except(plant, new, "calendar_exceptions")
    row = new.calendar_exceptions.iloc[-1]
    assert (row.machine_id, row.start, row.end, row.kind, row.description) == (
        "M1", pd.Timestamp("2026-11-24 10:00"), pd.Timestamp("2026-11-26 00:00"), "breakdown", "bearing")
    assert len(new.calendar_exceptions) == 2
    # two weeks of 5 x 8 h; Tuesday 10-14 and Wednesday 6-14 are gone on M1 only
    assert _hours(plant, "M1") == 80 and _hours(new, "M1") == 80 - 4 - 8
    assert _hours(new, "M2") == 80


def test_overtime_on_a_work_center_repeats_weekly(plant):
    s = one("  - kind: overtime\n    work_center: W1\n    start: 2026-11-28 06:00\n    hours: 5\n"
            "    repeat_weeks: 2\n")
    new = apply_scenario(plant, s)
    unchanged_except(plant, new, "calendar_exceptions")
    ex = new.calendar_exceptions.iloc[1:]
    assert list(zip(ex.machine_id, ex.start.dt.strftime("%m-%d %H:%M"), ex.end.dt.strftime("%H:%M"))) == [
        ("M1", "11-28 06:00", "11:00"), ("M1", "12-05 06:00", "11:00"),
        ("M2", "11-28 06:00", "11:00"), ("M2", "12-05 06:00", "11:00")]
    assert set(ex.kind) == {"overtime"}
    assert _hours(new, "M1") == 80 + 10 and _hours(new, "M2") == 80 + 10 and _hours(new, "M3") == 80


def test_overtime_night_shift_on_weekdays(plant):
    """A night shift Monday to Friday for two weeks, from a Wednesday: 8 nights of 8 h."""
    s = one("  - kind: overtime\n    machine: M1\n    start: 2026-11-25 22:00\n    hours: 8\n"
            "    weekdays: [Mon, Tue, Wed, Thu, Fri]\n    repeat_weeks: 2\n")
    new = apply_scenario(plant, s)
    ex = new.calendar_exceptions.iloc[1:]
    assert ex.start.dt.strftime("%a %d").tolist() == ["Wed 25", "Thu 26", "Fri 27", "Mon 30", "Tue 01", "Wed 02",
                                                      "Thu 03", "Fri 04"]
    assert set(ex.start.dt.strftime("%H:%M")) == {"22:00"} and set(ex.end - ex.start) == {pd.Timedelta(hours=8)}
    assert _hours(new, "M1", "2026-11-23", "2026-12-07") == 80 + 8 * 8
    assert _hours(new, "M2", "2026-11-23", "2026-12-07") == 80


def test_weekdays_problems():
    with pytest.raises(InputError) as exc:
        one("  - kind: downtime\n    machine: M1\n    start: 2026-11-25 06:00\n    hours: 30\n"
            "    weekdays: [Mon, Fri, Funday]\n")
    assert problem_rows(exc) == [("test.yaml line 7", "weekdays"), ("test.yaml line 3", "end")]
    assert "24 hours at most" in exc.value.problems.problem[1]


def test_maintenance_on_a_work_center_every_machine(plant):
    s = one("  - kind: downtime\n    work_center: W2\n    machine: M1\n    reason: maintenance\n"
            "    start: 2026-11-23\n    end: 2026-11-23\n")
    ex = apply_scenario(plant, s).calendar_exceptions.iloc[1:]
    assert ex.machine_id.tolist() == ["M1", "M3"] and set(ex.kind) == {"maintenance"}
    assert _hours(apply_scenario(plant, s), "M3") == 72


def test_supplier_delay_moves_only_that_suppliers_open_purchases(plant):
    new = apply_scenario(plant, one("  - kind: supplier_delay\n    supplier: S1\n    days: 7\n"))
    unchanged_except(plant, new, "scheduled_receipts")
    assert new.scheduled_receipts.due_date.dt.strftime("%m-%d").tolist() == ["12-08", "12-03", "12-17", "11-30"]
    # P2 has no supplier on the receipt: the item's supplier S2 is taken
    new = apply_scenario(plant, one("  - kind: supplier_delay\n    supplier: S2\n    days: 2\n"))
    assert new.scheduled_receipts.due_date.dt.strftime("%m-%d").tolist() == ["12-01", "12-05", "12-10", "11-30"]
    new = apply_scenario(plant, one("  - kind: supplier_delay\n    supplier: S1\n    days: 1\n    order: P3\n"))
    assert new.scheduled_receipts.due_date.dt.strftime("%m-%d").tolist() == ["12-01", "12-03", "12-11", "11-30"]


def test_lead_time_change_by_item_and_by_supplier(plant):
    new = apply_scenario(plant, one("  - kind: lead_time\n    items: [A, B]\n    days: 3\n"))
    unchanged_except(plant, new, "items")
    assert new.items.lead_time_days.tolist() == [3, 3, 10, 21]
    new = apply_scenario(plant, one("  - kind: lead_time\n    supplier: S2\n    add_days: 14\n"))
    unchanged_except(plant, new, "items", "suppliers")
    assert new.items.lead_time_days.tolist() == [7, 14, 10, 35]
    assert new.suppliers.lead_time_days.tolist() == [10, 35]
    assert plant.items.lead_time_days.tolist() == [7, 14, 10, 21]


def test_row_labels_follow_the_rows(plant):
    s = one("  - kind: demand_multiplier\n    item: A\n    factor: 0\n    to: 2026-11-30\n"
            "  - kind: rush_order\n    item: B\n    qty: 7\n    due: 2026-11-26\n"
            "  - kind: overtime\n    machine: M1\n    start: 2026-11-28 06:00\n    hours: 2\n")
    new = apply_scenario(plant, s)
    assert [new.where("demand", i) for i in range(3)] == ["demand row 2", "demand row 3", "test.yaml line 7"]
    assert [new.where("calendar_exceptions", i) for i in range(2)] == ["calendar_exceptions row 1",
                                                                        "test.yaml line 11"]
    assert new.where("items", 0) == plant.where("items", 0)


def test_changes_apply_in_file_order(plant):
    rush_then_double = one("  - kind: rush_order\n    item: A\n    qty: 4\n    due: 2026-12-01\n"
                           "  - kind: demand_multiplier\n    item: A\n    factor: 2\n")
    double_then_rush = Scenario("t", changes=rush_then_double.changes[::-1])
    assert apply_scenario(plant, rush_then_double).demand.qty.tolist() == [20, 40, 5, 8]
    assert apply_scenario(plant, double_then_rush).demand.qty.tolist() == [20, 40, 5, 4]


def flat_forecast(ds, params):
    """Each item's mean weekly demand of the last year, flat over the horizon (fast, exact;
    no statsforecast run)."""
    h = ds.demand_history
    start = pd.Timestamp(params.plan_start)
    recent = h[(h.date >= start - pd.Timedelta(weeks=52)) & (h.date < start)]
    mean = recent.groupby("item_id").qty.sum() / 52.0
    weeks = pd.date_range(start, periods=params.horizon_weeks, freq="7D")
    idx = pd.MultiIndex.from_product([mean.index, weeks], names=["item_id", "period_start"])
    return pd.DataFrame({"forecast": np.repeat(mean.to_numpy(), len(weeks))}, index=idx).reset_index()


def test_mrp_sees_the_scenario(sample):
    """End to end on the sample: a supplier's delay and lead time change MRP's plan."""
    from planlib.mrp import run_mrp
    from planlib.params import PlanParams

    params = PlanParams(horizon_weeks=26)
    fc = flat_forecast(sample, params)
    s = load_scenario(ROOT / "data" / "scenarios" / "supplier_delay.yaml", sample)
    new_ds = apply_scenario(sample, s)
    base, new = run_mrp(sample, params, fc), run_mrp(new_ds, params, scale_forecast(fc, s, sample.items))
    s003 = set(sample.items.item_id[sample.items.supplier_id == "S003"])
    po, b = (r.planned_orders[r.planned_orders.item_id.isin(s003)] for r in (new, base))
    assert len(po) > 0 and len(b) > 0
    start = pd.Timestamp(params.plan_start)
    # MRP releases 35 days ahead now (or at once, when that is already past), 21 days before
    assert (((po.due_date - po.release_date).dt.days == 35) | (po.release_date == start)).all()
    assert (((b.due_date - b.release_date).dt.days == 21) | (b.release_date == start)).all()
    # the delayed receipts sit 14 days later in the MRP grid
    r = sample.scheduled_receipts
    delayed = r[(r.supplier_id == "S003") & (r.order_type == "purchase")]
    grid_b = base.mrp_grid.set_index(["item_id", "period_start"]).scheduled_receipts
    grid_n = new.mrp_grid.set_index(["item_id", "period_start"]).scheduled_receipts
    for item, due, qty in zip(delayed.item_id, delayed.due_date, delayed.qty):
        week = max(start, due - pd.Timedelta(days=due.weekday()))
        later = due + pd.Timedelta(days=14)
        week_n = later - pd.Timedelta(days=later.weekday())
        assert grid_b[(item, week)] >= qty
        if week_n != week:
            assert grid_n[(item, week)] == grid_b[(item, week)] - qty
            assert grid_n[(item, week_n)] == grid_b[(item, week_n)] + qty


def test_a_demand_peak_raises_mrp_demand(sample):
    from planlib.mrp import run_mrp
    from planlib.params import PlanParams

    params = PlanParams(horizon_weeks=10)
    fc = flat_forecast(sample, params)
    s = load_scenario(ROOT / "data" / "scenarios" / "peak_demand.yaml", sample)
    base = run_mrp(sample, params, fc).mps.set_index(["item_id", "period_start"])
    new = run_mrp(apply_scenario(sample, s), params, scale_forecast(fc, s, sample.items)).mps.set_index(
        ["item_id", "period_start"])
    bs = set(sample.items.item_id[sample.items.family == "BS"])
    for (item, week), f in base.forecast.items():
        factor = (1.3 * 1.1 if item in bs else 1.1) if pd.Timestamp("2026-11-30") <= week <= pd.Timestamp(
            "2026-12-21") else 1.0
        assert new.forecast[(item, week)] == pytest.approx(f * factor)


# --------------------------------------------------------------------------- forecast

def test_scale_forecast_multiplies_forecast_and_intervals(plant):
    fc = pd.DataFrame({
        "item_id": ["A", "A", "B", "B"],
        "period_start": pd.to_datetime(["2026-11-30", "2026-12-07", "2026-11-30", "2026-12-07"]),
        "forecast": [10.0, 10.0, 4.0, 4.0], "lo_80": [5.0, 5.0, 2.0, 2.0], "hi_80": [15.0, 15.0, 6.0, 6.0],
        "statistical": [10.0, 10.0, 4.0, 4.0], "model": ["AutoETS"] * 4, "extra": [1.0] * 4})
    fc.attrs["problems"] = "kept"
    s = one("  - kind: demand_multiplier\n    item: A\n    factor: 1.2\n    from: 2026-W50\n"
            "  - kind: demand_multiplier\n    family: F2\n    factor: 0.5\n    apply_to: forecast\n"
            "  - kind: demand_multiplier\n    factor: 9\n    apply_to: orders\n")
    out = scale_forecast(fc, s, plant.items)
    assert out.forecast.tolist() == [10, 12, 2, 2]
    assert out.lo_80.tolist() == [5, 6, 1, 1] and out.hi_80.tolist() == [15, 18, 3, 3]
    assert out.statistical.tolist() == [10, 12, 2, 2]
    assert out.extra.tolist() == [1.0] * 4 and out.model.tolist() == ["AutoETS"] * 4
    assert out.attrs["problems"] == "kept"
    assert fc.forecast.tolist() == [10, 10, 4, 4]
    assert scale_forecast(fc, Scenario("none"), plant.items).equals(fc)


# --------------------------------------------------------------------------- KPI comparison

def test_compare_kpis():
    base = pd.DataFrame({"kpi": ["on_time_pct", "late_orders", "shortages", "solver_status"],
                         "value": [90.0, 4, 0, "OPTIMAL"], "unit": ["%", "", "", ""]})
    scen = pd.DataFrame({"kpi": ["on_time_pct", "late_orders", "shortages", "solver_status", "overtime_hours"],
                         "value": [81.0, 6, 3, "FEASIBLE", 12.0], "unit": ["%", "", "", "", "h"]})
    out = compare_kpis(base, scen)
    assert out.columns.tolist() == ["kpi", "base", "scenario", "delta", "delta_pct", "unit"]
    assert out.kpi.tolist() == ["on_time_pct", "late_orders", "shortages", "solver_status", "overtime_hours"]
    assert out.delta.tolist()[:3] == [-9.0, 2.0, 3.0]
    assert out.delta_pct.tolist()[:2] == [-10.0, 50.0]
    assert np.isnan(out.delta_pct[2])          # from 0: no percentage
    assert np.isnan(out.delta[3]) and out.scenario[3] == "FEASIBLE"
    assert pd.isna(out.base[4]) and np.isnan(out.delta[4]) and out.unit[4] == "h"


def test_compare_kpis_with_machine_keys_and_no_unit():
    base = pd.DataFrame({"kpi": ["utilisation_pct", "utilisation_pct"], "machine_id": ["M1", "M2"], "value": [50.0, 80.0]})
    scen = pd.DataFrame({"kpi": ["utilisation_pct", "utilisation_pct"], "machine_id": ["M2", "M1"], "value": [60.0, 55.0]})
    out = compare_kpis(base, scen)
    assert out.columns.tolist() == ["kpi", "machine_id", "base", "scenario", "delta", "delta_pct"]
    assert out.delta.tolist() == [5.0, -20.0] and out.delta_pct.tolist() == [10.0, -25.0]


def test_compare_kpis_of_week_plans_match_on_kpi_not_on_good():
    base = pd.DataFrame({"kpi": ["late_orders", "solver_status"], "label": ["late orders", "status"],
                         "value": [0, "OPTIMAL"], "unit": ["orders", ""], "good": [True, None]})
    scen = base.assign(value=[3, "HEURISTIC"], good=[False, None])
    out = compare_kpis(base, scen)
    assert out.columns.tolist() == ["kpi", "label", "base", "scenario", "delta", "delta_pct", "unit"]
    assert out.kpi.tolist() == ["late_orders", "solver_status"] and out.delta[0] == 3


def test_compare_item_orders_per_item():
    d = pd.Timestamp
    base = pd.DataFrame({"item_id": ["A", "A", "B", "C"], "qty": [10.0, 5.0, 8.0, 3.0],
                         "release_date": [d("2026-11-30"), d("2026-12-07"), d("2026-11-23"), d("2026-11-23")]})
    scen = pd.DataFrame({"item_id": ["A", "B", "B", "D"], "qty": [15.0, 8.0, 40.0, 2.0],
                         "release_date": [d("2026-11-23"), d("2026-11-23"), d("2026-12-07"), d("2026-12-14")]})
    out = compare_item_orders(base, scen)
    assert out.item_id.tolist() == ["B", "C", "D", "A"]      # A: same quantity, pulled in a week
    assert out.set_index("item_id").loc["B", ["base_orders", "scenario_orders", "base_qty", "scenario_qty",
                                              "delta_qty"]].tolist() == [1, 2, 8.0, 48.0, 40.0]
    a = out.set_index("item_id").loc["A"]
    assert (a.delta_qty, a.base_first_release, a.scenario_first_release) == (0.0, d("2026-11-30"), d("2026-11-23"))
    assert out.set_index("item_id").loc["C", "scenario_orders"] == 0
    assert compare_item_orders(base, base).empty


def test_kinds_are_documented():
    doc = (ROOT / "docs" / "scenarios.md").read_text(encoding="utf-8")
    for kind, cls in CHANGE_KINDS.items():
        assert f"`{kind}`" in doc, kind
        for key in cls.keys:
            assert f"`{key}`" in doc, (kind, key)


# --------------------------------------------------------------------------- dates through planlib.buckets

@settings(max_examples=200, deadline=None)
@given(st.dates(min_value=dt.date(1990, 1, 1), max_value=dt.date(2090, 12, 31)))
def test_scenario_dates_are_read_as_the_buckets_module_reads_them(day):
    """A date and the ISO week holding it, in both spellings a scenario takes: the date itself,
    the week's Monday (:func:`planlib.buckets.week_start`), its Sunday as an end; the compact
    forms ``date.fromisoformat`` also reads are refused, as before."""
    from planlib.buckets import iso_week, monday, week_start
    from planlib.scenario.reader import _day, _moment

    week = iso_week(day)
    assert _day(day.isoformat()) == day and _day(day.isoformat(), end=True) == day
    assert _day(week) == week_start(week) == monday(day)
    assert _day(week.replace("-", ""), end=True) == monday(day) + dt.timedelta(days=6)
    assert _moment(week, end=True) == pd.Timestamp(monday(day) + dt.timedelta(days=7))
    for compact in (day.strftime("%Y%m%d"), f"{week}-1"):
        with pytest.raises(ValueError):
            _day(compact)


# --------------------------------------------------------------------------- mid-week kinds (#15)

@pytest.mark.parametrize("body, row, column, words, fix", [
    ("  - kind: operator_absence\n    work_center: W1\n    from: 2026-11-24 06:00\n    to: 2026-11-24 05:00\n"
     "    operators: 1\n", 6, "to", "'to' is not after 'from'", "later than 'from'"),
    ("  - kind: operator_absence\n    work_center: W1\n    from: 2026-11-24\n    to: 2026-11-25\n", 3,
     "operators", "'operators' is missing", "how many operators are absent"),
    ("  - kind: operator_absence\n    work_center: W1\n    from: 2026-11-24\n    to: 2026-11-25\n"
     "    operators: -1\n", 7, "operators", "must be more than 0", "operators: 2"),
    ("  - kind: operator_absence\n    from: 2026-11-24\n    to: 2026-11-25\n    operators: 1\n", 3,
     "work_center", "'work_center' is missing", "work_center_id"),
    ("  - kind: quantity_change\n    qty: 5\n", 3, "order", "one 'order' is needed", "order: MO-50001"),
    ("  - kind: quantity_change\n    order: MO1\n    qty: 0\n", 5, "qty", "must be more than 0", "new quantity"),
    ("  - kind: late_material\n    order: P1\n    item: R1\n    date: 2026-12-01\n", 4, "order",
     "give one purchase order or one item", "order: PO-40002 or item: RM-08"),
    ("  - kind: late_material\n    order: P1\n    date: soon\n", 5, "date", "not a date and time", "YYYY-MM-DD"),
])
def test_mid_week_kinds_single_problems(body, row, column, words, fix):
    with pytest.raises(InputError) as exc:
        scenario("name: t\nchanges:\n" + body)
    p = exc.value.problems
    assert (f"test.yaml line {row}", column) in problem_rows(exc), p.to_string()
    hit = p[(p.row == f"test.yaml line {row}") & (p.column == column)]
    assert any(words in text for text in hit.problem), hit.problem.tolist()
    assert any(fix in text for text in hit.fix), hit.fix.tolist()


def test_mid_week_kinds_are_checked_against_the_dataset(plant):
    s = scenario("name: t\nchanges:\n"
                 "  - kind: operator_absence\n    work_center: W9\n    from: 2026-11-24\n    to: 2026-11-24\n"
                 "    operators: 1\n"
                 "  - kind: quantity_change\n    order: P1\n    qty: 5\n"
                 "  - kind: quantity_change\n    order: MO9\n    qty: 5\n"
                 "  - kind: late_material\n    order: MO1\n    date: 2026-12-05\n"
                 "  - kind: late_material\n    item: A\n    date: 2026-12-05\n")
    p = check_scenario(s, plant)
    got = {(r.severity, r.row, r.column): r.problem for r in p.itertuples()}
    assert got[("error", "test.yaml line 4", "work_center")] == "unknown work center 'W9'"
    assert got[("error", "test.yaml line 9", "order")] == "P1 is a purchase order"
    assert got[("error", "test.yaml line 12", "order")] == "unknown production order 'MO9'"
    assert got[("error", "test.yaml line 15", "order")] == "MO1 is a production order"
    assert "has no open purchase receipts" in got[("warning", "test.yaml line 18", "item")]
    # a planned make order of a published run is a production order for planlib reschedule
    ok = check_scenario(scenario("name: t\nchanges:\n  - kind: quantity_change\n    order: PLN-1\n    qty: 5\n"),
                        plant, planned_orders=("PLN-1",))
    assert ok.empty


def test_quantity_change_and_late_material_change_only_their_receipts(plant):
    s = scenario("name: t\nchanges:\n"
                 "  - kind: quantity_change\n    order: MO1\n    qty: 25\n"
                 "  - kind: late_material\n    item: R1\n    date: 2026-12-05\n")
    new = apply_scenario(plant, s)
    unchanged_except(plant, new, "scheduled_receipts")
    r = new.scheduled_receipts.set_index("order_id")
    assert r.loc["MO1", "qty"] == 25 and r.loc["P2", "qty"] == 50
    # R1's receipts due before the 5th arrive on the 5th; the one due on the 10th stays
    assert r.loc["P1", "due_date"] == pd.Timestamp("2026-12-05")
    assert r.loc["P3", "due_date"] == pd.Timestamp("2026-12-10")
    assert r.loc["P2", "due_date"] == pd.Timestamp("2026-12-03")
    one_po = apply_scenario(plant, scenario("name: t\nchanges:\n  - kind: late_material\n    order: P3\n"
                                            "    date: 2026-12-12 14:00\n"))
    assert one_po.scheduled_receipts.set_index("order_id").loc["P3", "due_date"] == pd.Timestamp("2026-12-12 14:00")


def test_operator_absence_leaves_the_tables_and_lowers_the_crews(plant):
    from planlib.scenario import absence_crews, baseline_crews

    crews = plant.replace(routings=pd.DataFrame({"item_id": ["A", "B"], "op_seq": [10, 10],
                                                 "work_center_id": ["W1", "W2"], "setup_min": [0, 0],
                                                 "run_min_per_unit": [1.0, 1.0], "crew_size": [1.5, 0.0]}))
    s = scenario("name: t\nchanges:\n  - kind: operator_absence\n    work_center: W1\n"
                 "    from: 2026-11-24 06:00\n    to: 2026-11-24 14:00\n    operators: 1\n")
    assert apply_scenario(crews, s) is crews
    assert baseline_crews(crews) == {"W1": 3.0}  # two machines x 1.5 operators; W2 needs none
    assert absence_crews(crews, s) == {"W1": 2.0}
    assert absence_crews(crews, s, start="2026-11-24 14:00") == {}
    # never below one operation's crew; a given headcount is the base
    assert absence_crews(crews, s, crews={"W1": 2.0}) == {"W1": 1.5}
    too_many = scenario("name: t\nchanges:\n  - kind: operator_absence\n    work_center: W1\n"
                        "    from: 2026-11-24\n    to: 2026-11-25\n    operators: 3\n")
    p = check_scenario(too_many, crews)
    assert p.severity.tolist() == ["error"] and p.column.tolist() == ["operators"]
    idle = scenario("name: t\nchanges:\n  - kind: operator_absence\n    work_center: W2\n"
                    "    from: 2026-11-24\n    to: 2026-11-25\n    operators: 1\n")
    assert "changes nothing" in check_scenario(idle, crews).problem.iloc[0]
