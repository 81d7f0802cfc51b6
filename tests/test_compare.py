"""Scenario comparison: which orders a scenario makes late or on time, KPIs side by side, load;
the weekly report's scenario page and what-changed section read in Chromium."""
from __future__ import annotations

import re
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from browser import chromium, needs_chromium, open_page
from hypothesis import given, settings
from hypothesis import strategies as st

from planlib.compare import (
    compare_kpis,
    compare_load,
    compare_order_status,
    compare_plans,
    comparison_html,
    judge_kpis,
)
from planlib.params import PlanParams
from planlib.scenario import parse_scenario

SCENARIO = parse_scenario("""
name: Lathe breakdown
description: What slips when LATHE-2 stops for two days?
changes:
  - kind: downtime
    machine: LATHE-2
    start: 2026-11-24 06:00
    end: 2026-11-26 22:00
""", "lathe.yaml")


def _late(rows):
    """A schedule's ``late_orders``: lateness in hours."""
    return pd.DataFrame(rows, columns=["order_id", "item_id", "due_date", "lateness", "cause", "reason"]).assign(
        due_date=lambda f: pd.to_datetime(f.due_date))


def _promises(rows):
    return pd.DataFrame(rows, columns=["order_id", "item_id", "customer_id", "qty", "due_date", "basis",
                                       "days_late", "reason"]).assign(due_date=lambda f: pd.to_datetime(f.due_date))


def _load(rows):
    return pd.DataFrame(rows, columns=["work_center_id", "period", "load_hours", "available_hours"]).assign(
        period_start=lambda f: pd.Timestamp("2026-11-16") + pd.to_timedelta(7 * f.period, unit="D"))


# Base: MO-1 late 2 days, MO-2 late 1 day, MO-3 late 10 h. Scenario: MO-1 on time, MO-2 as before,
# MO-3 late 58 h (2 days more), MO-4 late 12 h (was on time).
BASE = {
    "kpis": pd.DataFrame({"kpi": ["on_time_pct", "late_orders", "planned_orders", "solver_status"],
                          "label": ["orders on time", "late production orders", "planned orders", "solver"],
                          "value": [90.0, 3, 40, "OPTIMAL"], "unit": ["%", "orders", "orders", ""]}),
    "late_orders": _late([("MO-1", "FG-1", "2026-11-27", 48.0, "capacity", "capacity at LATHE"),
                          ("MO-2", "FG-2", "2026-11-27", 24.0, "material", "waits for RM-1"),
                          ("MO-3", "FG-3", "2026-11-30", 10.0, "capacity", "capacity at MILL")]),
    "promise_dates": _promises([("SO-1", "FG-1", "C1", 5, "2026-11-30", "schedule", 0, ""),
                                ("SO-2", "FG-2", "C2", 5, "2026-11-30", "schedule", 3, "waits for RM-1"),
                                ("SO-3", "FG-3", "C3", 5, "2026-11-30", "shortage", np.nan, "no supply")]),
    "capacity_load": _load([("LATHE", 1, 100.0, 120.0), ("LATHE", 2, 80.0, 120.0),
                            ("MILL", 1, 50.0, 80.0), ("SAW", 1, 30.0, 40.0)]),
}
SCEN = {
    "kpis": pd.DataFrame({"kpi": ["on_time_pct", "late_orders", "planned_orders", "solver_status"],
                          "value": [85.0, 3, 40, "FEASIBLE"], "unit": ["%", "orders", "orders", ""]}),
    "late_orders": _late([("MO-2", "FG-2", "2026-11-27", 24.0, "material", "waits for RM-1"),
                          ("MO-3", "FG-3", "2026-11-30", 58.0, "capacity", "capacity at LATHE (down)"),
                          ("MO-4", "FG-4", "2026-12-01", 12.0, "capacity", "capacity at LATHE (down)")]),
    "promise_dates": _promises([("SO-1", "FG-1", "C1", 5, "2026-11-30", "schedule", 2, "MO-1 late"),
                                ("SO-2", "FG-2", "C2", 5, "2026-11-30", "schedule", 0, ""),
                                ("SO-3", "FG-3", "C3", 5, "2026-11-30", "shortage", np.nan, "no supply")]),
    "capacity_load": _load([("LATHE", 1, 100.0, 80.0), ("LATHE", 2, 80.0, 120.0),
                            ("MILL", 1, 62.5, 80.0), ("SAW", 1, 30.0, 40.0)]),
}


def test_the_orders_that_changed_status_with_how_much_and_why():
    comp = compare_plans(BASE, SCEN, SCENARIO)
    got = comp.order_status[["kind", "change", "order_id", "base_days_late", "scenario_days_late",
                             "days_change"]].round(9).values.tolist()
    assert got == [["production order", "became late", "MO-4", 0.0, 0.5, 0.5],
                   ["production order", "now on time", "MO-1", 2.0, 0.0, -2.0],
                   ["production order", "late by more", "MO-3", round(10 / 24, 9), round(58 / 24, 9), 2.0],
                   ["customer order line", "became late", "SO-1", 0.0, 2.0, 2.0],
                   ["customer order line", "now on time", "SO-2", 3.0, 0.0, -3.0]]
    reasons = dict(zip(comp.order_status.order_id, comp.order_status.reason))
    # a late order carries the scenario's reason, an order now on time the base's (why it was late)
    assert reasons["MO-4"] == "capacity at LATHE (down)" and reasons["MO-1"] == "capacity at LATHE"
    assert comp.order_status.set_index("order_id").loc["SO-1", "customer_id"] == "C1"
    assert comp.headline() == ("Against the base plan - production orders: 1 became late, 1 now on time, "
                               "1 late by more; customer order lines: 1 became late, 1 now on time.")


def test_kpis_side_by_side_say_better_or_worse():
    comp = compare_plans(BASE, SCEN, SCENARIO)
    k = comp.kpis.set_index("kpi")
    assert k.loc["on_time_pct", ["base", "scenario", "delta", "judgment"]].tolist() == [90.0, 85.0, -5.0, "worse"]
    assert k.loc["late_orders", "judgment"] == "same"          # the count hides the status changes above
    assert k.loc["planned_orders", "judgment"] == ""           # no judgment without a direction
    assert judge_kpis(compare_kpis(SCEN["kpis"], BASE["kpis"])).tolist()[0] == "better"


def test_work_centers_whose_load_changed_most_first():
    load = compare_load(BASE["capacity_load"], SCEN["capacity_load"])
    assert load.work_center_id.tolist() == ["LATHE", "MILL"]     # SAW is unchanged: left out
    lathe, mill = load.iloc[0], load.iloc[1]
    assert (lathe.available_change_hours, lathe.load_change_hours) == (-40.0, 0.0)
    assert lathe.scenario_utilisation_pct == pytest.approx(100 * 180 / 200)
    assert (mill.load_change_hours, mill.load_change_pct) == (12.5, 25.0)


def test_the_html_names_the_scenario_its_changes_and_every_changed_order():
    page = comparison_html(compare_plans(BASE, SCEN, SCENARIO))
    text = re.sub(r"<[^>]+>", " ", page)
    assert text.index("Lathe breakdown") < text.index("LATHE-2 2026-11-24 06:00 to 2026-11-26 22:00") \
        < text.index("Key figures") < text.index("Customer order lines that became late")
    for oid in ("MO-1", "MO-3", "MO-4", "SO-1", "SO-2"):
        assert oid in text
    assert "MO-2" not in text and "SO-3" not in text                 # late alike in both plans
    assert "FEASIBLE" not in text and "OPTIMAL" not in text          # solver jargon stays out
    assert "nan" not in text.lower() and "None" not in text


def test_a_base_without_a_schedule_makes_no_order_late():
    comp = compare_plans({"kpis": BASE["kpis"]}, SCEN)
    assert comp.order_status.empty and comp.load.empty


def test_empty_parts_are_said_in_words():
    same = compare_plans(BASE, BASE)
    text = re.sub(r"<[^>]+>", " ", comparison_html(same))
    assert same.order_status.empty and same.load.empty
    assert "No change: every customer order line is late or on time in both plans alike" in text
    assert "No change: every work center has the same load" in text
    assert "<table" in comparison_html(same)  # the KPI table is still there
    assert same.headline().startswith("No production order or customer order line changes")


@settings(max_examples=50, deadline=None)
@given(st.dictionaries(st.sampled_from([f"MO-{k}" for k in range(8)]), st.floats(0.5, 400), max_size=8),
       st.dictionaries(st.sampled_from([f"MO-{k}" for k in range(8)]), st.floats(0.5, 400), max_size=8))
def test_swapping_base_and_scenario_swaps_late_and_on_time(a, b):
    def late(d):
        return _late([(k, "X", "2026-11-30", h, "capacity", f"r{k}") for k, h in sorted(d.items())])

    forward = compare_order_status(_prod(late(a)), _prod(late(b)), "production order")
    back = compare_order_status(_prod(late(b)), _prod(late(a)), "production order")
    swap = {"became late": "now on time", "now on time": "became late", "late by more": "late by less",
            "late by less": "late by more"}
    assert sorted(zip(forward.order_id, forward.change.map(swap))) == sorted(zip(back.order_id, back.change))
    assert set(forward[forward.change == "became late"].order_id) == set(b) - set(a)
    assert set(forward[forward.change == "now on time"].order_id) == set(a) - set(b)
    assert compare_order_status(_prod(late(a)), _prod(late(a)), "production order").empty


def _prod(late):
    from planlib.compare import _late_production

    return _late_production(late)


# --------------------------------------------------------------------------- the scenario editor

class _Planner:
    """Makes order MO-9 late by a day when the data carry a breakdown; the base has none."""

    def __call__(self, ds, params, forecast=None, progress=None):
        down = int(ds.calendar_exceptions.kind.isin(["breakdown"]).sum()) if "kind" in ds.calendar_exceptions else 0
        late = _late([("MO-9", "A", "2026-11-27", 24.0, "capacity", "capacity at W1")] if down else [])
        kpis = pd.DataFrame({"kpi": ["late_orders"], "value": [float(len(late))], "unit": ["orders"]})
        return SimpleNamespace(kpis=kpis, schedule=SimpleNamespace(late_orders=late),
                               capacity_load=_load([("W1", 1, 10.0, 40.0 - 8 * down)]),
                               exceptions=pd.DataFrame({"exception": []}))


def test_the_scenario_editor_shows_the_same_comparison(monkeypatch):
    import IPython.display

    from planlib.scenario_editor import ScenarioEditor

    shown_objects = []
    monkeypatch.setattr(IPython.display, "display", lambda *objs, **kw: shown_objects.extend(objs))

    forecast = pd.DataFrame({"item_id": ["A"], "period_start": pd.to_datetime(["2026-11-23"]),
                             "forecast": [5.0]})
    e = ScenarioEditor(_plant(), PlanParams(plan_start="2026-11-23", time_limit_s=0.01), planner=_Planner(),
                       forecast=forecast)
    e.dt_machines.value = ("M1",)
    e.dt_add.click()
    e.run_button.click()
    comp = e.plan_comparison
    assert comp.order_status[["change", "order_id", "reason"]].values.tolist() == [
        ["became late", "MO-9", "capacity at W1"]]
    assert comp.load.work_center_id.tolist() == ["W1"] and comp.load.available_change_hours.iloc[0] == -8.0
    shown = "".join(o.data for o in shown_objects if isinstance(o, IPython.display.HTML))
    assert shown.count(comparison_html(comp)) == 1          # the weekly report's very view
    assert "breakdown: M1" in shown and "became late" in shown


def _plant():
    from planlib.data import from_frames

    return from_frames({
        "items": pd.DataFrame({"item_id": ["A"], "item_type": ["make"], "lead_time_days": [7]}),
        "demand": pd.DataFrame({"order_id": ["O1"], "item_id": ["A"], "qty": [10],
                                "due_date": ["2026-11-25"]}),
        "calendars": pd.DataFrame({"calendar_id": ["C"], "weekday": ["Mon"], "start_time": ["06:00"],
                                   "end_time": ["14:00"]}),
        "work_centers": pd.DataFrame({"work_center_id": ["W1"], "calendar_id": ["C"]}),
        "machines": pd.DataFrame({"machine_id": ["M1"], "work_center_id": ["W1"]}),
    })


# --------------------------------------------------------------------------- KPI trends

def _history(weeks):
    rows = []
    for k, week in enumerate(weeks):
        for kpi, value in (("on_time_pct", 80.0 + k), ("late_orders", 5 - k), ("peak_utilisation_pct", 120.0),
                           ("overloaded_work_centers", 2), ("shortages", 3), ("exceptions", 40 + k),
                           ("plan_cost", 7e6), ("inventory_value", 2.6e6), ("solver_status", "FEASIBLE")):
            rows.append({"week": week, "kpi": kpi, "value": value, "unit": ""})
    return pd.DataFrame(rows)


def test_kpi_trends_one_chart_per_theme_with_units_points_and_week_labels():
    from planlib.charts import kpi_trend_chart

    spec = kpi_trend_chart(_history(["2026-W47", "2026-W48", "2026-W49"]), currency="€").to_dict()
    themes = [row["title"]["text"] for row in spec["vconcat"]]
    assert themes == ["Delivery", "Load", "Material", "Money"]
    panels = {p["title"]: p for row in spec["vconcat"] for p in row["hconcat"]}
    assert set(panels) == {"Production orders on time (%)", "Late production orders (orders)",
                           "Peak work center load, next 4 weeks (% of available hours)",
                           "Work centers overloaded, next 4 weeks (work centers)",
                           "Shortage exceptions (exceptions)",
                           "Exception messages (messages)", "Plan cost over the horizon (€)",
                           "Inventory value on hand (€)"}
    on_time = panels["Production orders on time (%)"]
    assert on_time["mark"]["type"] == "line" and on_time["mark"]["point"]
    assert on_time["encoding"]["x"]["scale"]["domain"] == ["2026-W47", "2026-W48", "2026-W49"]
    data = spec["datasets"][on_time["data"]["name"]]
    assert [d["value"] for d in data] == [80.0, 81.0, 82.0]


def test_kpi_trends_with_one_week_are_a_sentence():
    from IPython.display import Markdown

    from planlib.charts import kpi_trend_chart

    out = kpi_trend_chart(_history(["2026-W48"]))
    assert isinstance(out, Markdown) and "only week 2026-W48" in out.data


# --------------------------------------------------------------------------- the reports, in Chromium

def _late_sets(run):
    """Independently of planlib: the late production orders and customer order lines of a run folder."""
    late = pd.read_csv(run / "schedule" / "late_orders.csv")
    prom = pd.read_csv(run / "schedule" / "promise_dates.csv")
    lines = prom[(pd.to_numeric(prom.days_late, errors="coerce").fillna(0) > 0) | (prom.basis == "shortage")]
    return set(late.order_id.astype(str)), set(lines.order_id.astype(str))


_TABLES_JS = """() => Array.from(document.querySelectorAll('.planlib-comparison h4')).map(h => {
    let t = h.nextElementSibling;
    return {title: h.innerText, text: t ? t.innerText : '',
            rows: t && t.tagName === 'TABLE' ? Array.from(t.querySelectorAll('tbody tr')).map(
                r => Array.from(r.cells).map(c => c.innerText.trim())) : []};
})"""


@pytest.mark.browser
@needs_chromium
def test_scenario_report_lists_the_orders_that_changed_status_and_names_its_changes(weekly_reports):
    base_prod, base_lines = _late_sets(weekly_reports / "2026-W48" / "base")
    scen_prod, scen_lines = _late_sets(weekly_reports / "2026-W48" / "lathe_breakdown")
    with chromium() as context:
        page, errors, _ = open_page(context, weekly_reports / "2026-W48" / "lathe_breakdown"
                                    / "weekly_report.html")
        body = page.inner_text("body")
        parts = {p["title"]: p for p in page.evaluate(_TABLES_JS)}
    assert not errors
    section = body[body.index("Scenario against the base plan"):]
    # the scenario and its changes first, in words
    assert (section.index("Lathe breakdown") < section.index("LATHE-2 2026-11-24 06:00")
            < section.index("Key figures"))
    assert "LATHE-1, LATHE-3 2026-11-28 06:00" in section
    for title, base, scen in (("Production orders that became late or on time", base_prod, scen_prod),
                              ("Customer order lines that became late or on time", base_lines, scen_lines)):
        part = parts[title]
        listed = {(r[0], r[1]) for r in part["rows"]}
        expected = {("became late", o) for o in scen - base} | {("now on time", o) for o in base - scen}
        assert {x for x in listed if x[0] in ("became late", "now on time")} == expected
        if not part["rows"]:
            assert part["text"].startswith(("No change:", "No key figures"))  # an empty list is said in words
        for row in part["rows"]:
            assert all(cell not in ("", "nan", "NaN", "None", "NaT") for cell in row)


@pytest.mark.browser
@needs_chromium
def test_week_49_warns_of_identical_inputs_and_lists_changes_by_impact(weekly_reports):
    with chromium() as context:
        page, errors, _ = open_page(context, weekly_reports / "2026-W49" / "base" / "weekly_report.html")
        body = page.inner_text("body")
        tables = page.evaluate("""() => Array.from(document.querySelectorAll('table')).map(t => ({
            head: Array.from(t.querySelectorAll('thead th')).map(c => c.innerText.trim()),
            rows: Array.from(t.querySelectorAll('tbody tr')).map(
                r => Array.from(r.cells).map(c => c.innerText.trim()))
        }))""")
        first, _, _ = open_page(context, weekly_reports / "2026-W48" / "base" / "weekly_report.html")
        first_body = first.inner_text("body")
    assert not errors
    # the sample's files are the same both weeks: said once, above the key figures
    warning = "The input data are identical to week 2026-W48"
    assert body.count(warning) == 1 and body.index(warning) < body.lower().index("late production orders")
    assert "identical" not in first_body and "No trend yet: only week 2026-W48" in first_body
    since = body[body.index("Since week 2026-W48:"):]
    assert re.match(r"Since week 2026-W48: (\d+ new orders?, )?\d+ rescheduled", since)
    changes = next(t for t in tables if any(h.lower().startswith("value") for h in t["head"])
                   and any(h.lower().startswith("message") for h in t["head"]))
    col = next(k for k, h in enumerate(changes["head"]) if h.lower().startswith("value"))
    offset = len(changes["head"]) - len(changes["rows"][0])  # a row-number column has a header, not a cell
    values = []
    for row in changes["rows"]:
        cell = row[col - offset].replace(",", "").replace("€", "").strip()
        if re.fullmatch(r"-?\d+(\.\d+)?", cell):
            values.append(float(cell))
    assert len(values) >= 10 and values == sorted(values, reverse=True)
    assert "No trend yet" not in body


# --------------------------------------------------------------------------- week over week, exactly

WOW = Path(__file__).parent / "data" / "compare" / "week_over_week"
WOW_CURRENT = ("lathe_breakdown", "peak_demand", "rush_orders", "supplier_delay")
WOW_PLAN_START = pd.Timestamp("2026-12-14")  # "this week" starts after the archived plan (past due orders)


def _wow_inputs(name: str) -> dict:
    return {t: pd.read_pickle(WOW / "inputs" / f"{name}.{t}.pkl.gz")
            for t in ("planned_orders", "pegging", "schedule", "kpis")}


def week_over_week_tables(tmp: Path) -> dict[str, pd.DataFrame]:
    """Every table the weekly report's "what changed" builds, as :func:`planlib.pipeline.weekly_summary`
    builds them: last week's plan (the sample's W48 base plan) goes through the DuckDB archive and is
    read back; each of four other plans of the sample (its scenario plans) is this week's."""
    from planlib import archive, compare

    db = tmp / "archive.duckdb"
    prev_plan = _wow_inputs("base")
    archive.archive_run(db, "2026-W48", "base", prev_plan)
    unit_cost = pd.read_pickle(WOW / "inputs" / "unit_cost.pkl.gz").set_index("item_id").unit_cost
    out = {}
    for week, name in enumerate(WOW_CURRENT, start=49):
        prev_week = archive.previous_week(db, f"2026-W{week}")
        prev = archive.read_run(db, prev_week)
        cur = _wow_inputs(name)
        identity = compare.order_identity(prev["planned_orders"], cur["planned_orders"])
        changes = compare.compare_orders(prev["planned_orders"], cur["planned_orders"], unit_cost=unit_cost,
                                         plan_start=WOW_PLAN_START, pegging=cur["pegging"])
        unchanged = len(cur["planned_orders"]) - int(changes.order_id.notna().sum())
        sched = compare.compare_schedule(prev["schedule"], cur["schedule"], identity)
        # pairs sorted: their order followed the hash order of (item, order type) keys, which
        # changes with PYTHONHASHSEED; the pairs themselves do not
        out[f"{name}.identity"] = identity.sort_values(["previous_order_id", "order_id"], ignore_index=True)
        out[f"{name}.changes"] = changes
        out[f"{name}.changes_view"] = compare.changes_view(changes)
        out[f"{name}.summary"] = pd.DataFrame({"line": [compare.summarize_changes(changes, unchanged)]})
        out[f"{name}.schedule_changes"] = sched
        out[f"{name}.schedule_changes_view"] = compare.schedule_changes_view(sched)
        out[f"{name}.served"] = pd.DataFrame(sorted((k, ",".join(sorted(v))) for k, v in
                                                    compare.customer_orders_served(cur["pegging"]).items()),
                                             columns=["supply_id", "customer_orders"])
        out[f"{name}.kpis"] = compare_kpis(prev["kpis"], cur["kpis"])
        archive.archive_run(db, f"2026-W{week}", "base", cur)
    out["kpi_history"] = archive.kpi_history(db)
    return out


def test_week_over_week_comparison_is_unchanged(tmp_path):
    """The archive's comparison of two weekly plans, table for table, exactly as stored
    (``python tests/test_compare.py --write`` regenerates; the inputs are the sample's W48 plans
    from the snapshot harness, copied, see the folder's README)."""
    got = week_over_week_tables(tmp_path)
    stored = sorted(p.name[:-len(".pkl.gz")] for p in (WOW / "expected").glob("*.pkl.gz"))
    assert sorted(got) == stored
    for name in stored:
        pd.testing.assert_frame_equal(got[name], pd.read_pickle(WOW / "expected" / f"{name}.pkl.gz"),
                                      check_exact=True, obj=name)
    # the comparison has something to say: every kind of order change, and moved operations
    changes = pd.concat([got[f"{n}.changes"] for n in WOW_CURRENT])
    assert {"new", "cancelled", "rescheduled", "qty_changed", "past_due"} <= set(changes.change)
    assert (pd.concat([got[f"{n}.schedule_changes"] for n in WOW_CURRENT]).change == "moved").any()


def test_a_renumbered_planned_order_is_the_same_order():
    """MRP renumbers planned orders when a change upstream shifts them: the same order (item,
    type, due date) late by the same in both plans is no change, and a real change is listed
    under the scenario's number (the peak_demand scenario showed FG-05's one late order as
    PLN-0000119 'now on time' and PLN-0000122 'became late')."""
    def planned(rows):
        return pd.DataFrame(rows, columns=["order_id", "item_id", "order_type", "qty", "due_date"]).assign(
            due_date=lambda f: pd.to_datetime(f.due_date), release_date=lambda f: f.due_date - pd.Timedelta(days=7))

    base = {"kpis": BASE["kpis"],
            "planned_orders": planned([("PLN-1", "FG-5", "make", 10.0, "2026-11-23"),
                                       ("PLN-2", "FG-6", "make", 20.0, "2026-11-30"),
                                       ("PLN-3", "FG-7", "make", 5.0, "2026-12-07")]),
            "late_orders": _late([("PLN-1", "FG-5", "2026-11-23", 8.0, "capacity", "capacity at TEST"),
                                  ("PLN-2", "FG-6", "2026-11-30", 4.0, "capacity", "capacity at TEST")])}
    scen = {"kpis": SCEN["kpis"],
            "planned_orders": planned([("PLN-1", "FG-4", "make", 7.0, "2026-11-23"),   # new
                                       ("PLN-2", "FG-5", "make", 10.0, "2026-11-23"),  # base PLN-1
                                       ("PLN-3", "FG-6", "make", 20.0, "2026-11-30"),  # base PLN-2
                                       ("PLN-4", "FG-7", "make", 5.0, "2026-12-07")]),  # base PLN-3
            "late_orders": _late([("PLN-2", "FG-5", "2026-11-23", 8.0, "capacity", "capacity at TEST"),
                                  ("PLN-3", "FG-6", "2026-11-30", 28.0, "capacity", "capacity at TEST")])}
    status = compare_plans(base, scen).order_status
    assert status[["change", "order_id", "item_id"]].values.tolist() == [["late by more", "PLN-3", "FG-6"]]
    assert status.days_change.tolist() == pytest.approx([1.0])


if __name__ == "__main__" and "--write" in __import__("sys").argv:
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        for name, table in week_over_week_tables(Path(tmp)).items():
            table.to_pickle(WOW / "expected" / f"{name}.pkl.gz")
