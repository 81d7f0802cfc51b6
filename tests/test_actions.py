"""Exceptions to act on (planlib.actions) and the pegging explorer (planlib.peg).

The hand-built case (two levels, answer worked out by hand):

* FG-A (make, first operation on ASSY, unit cost 100): customer lines SO-1 (10, due Thu 10 Dec) and
  SO-2 (5, due Mon 21 Dec). 4 on hand serve SO-1; planned order PLN-1 (11, due Mon 7 Dec) serves
  6 of SO-1 and 5 of SO-2.
* RM-B (buy, supplier S1 Nordic Steel AB): PLN-1 needs 22 on Mon 30 Nov (its release). Purchase order
  PO-1 (30, due Mon 14 Dec) gives those 22; 8 are excess.

Down from SO-1: on hand 4, PLN-1 6, and PO-1 22 * 6 / 11 = 12. Up from PO-1: PLN-1 22, then SO-1 12
and SO-2 10. PO-1 is 14 days later than PLN-1 needs it (slack -14); PLN-1 has 3 days to spare for
SO-1 and 14 for SO-2: SO-1 is 11 days late (at risk, 10 x 100 = 1,000), SO-2 is on time.
"""
from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from browser import chromium, needs_chromium, open_page, other_hosts
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from planlib import actions, peg, report
from planlib.data import from_frames
from planlib.mrp import run_mrp
from planlib.params import PlanParams

START = pd.Timestamp("2026-11-23")  # a Monday
T = pd.Timestamp


def _pegging(rows):
    cols = ["item_id", "supply_type", "supply_id", "supply_date", "demand_type", "demand_id", "demand_item_id",
            "demand_date", "qty"]
    p = pd.DataFrame(rows, columns=cols)
    p["supply_date"] = pd.to_datetime(p.supply_date)
    p["demand_date"] = pd.to_datetime(p.demand_date)
    for c in ("item_id", "supply_type", "supply_id", "demand_type", "demand_id", "demand_item_id"):
        p[c] = p[c].astype("category")  # as MRP writes them
    return p


PEG_ROWS = [
    ("FG-A", "on_hand", "on hand", None, "customer_order", "SO-1", "FG-A", "2026-12-10", 4.0),
    ("FG-A", "planned_order", "PLN-1", "2026-12-07", "customer_order", "SO-1", "FG-A", "2026-12-10", 6.0),
    ("FG-A", "planned_order", "PLN-1", "2026-12-07", "customer_order", "SO-2", "FG-A", "2026-12-21", 5.0),
    ("RM-B", "scheduled_receipt", "PO-1", "2026-12-14", "dependent", "PLN-1", "FG-A", "2026-11-30", 22.0),
    ("RM-B", "scheduled_receipt", "PO-1", "2026-12-14", "excess", "excess", "RM-B", None, 8.0),
]
PEGGING = _pegging(PEG_ROWS)
ITEMS = pd.DataFrame({
    "item_id": ["FG-A", "RM-B", "RM-C"], "description": ["Pump", "Steel bar", "Gasket"],
    "item_type": ["make", "buy", "buy"], "uom": ["ea", "kg", "ea"], "lead_time_days": [7, 14, 35],
    "unit_cost": [100.0, 2.0, 1.0], "supplier_id": [None, "S1", "S2"]})
DEMAND = pd.DataFrame({"order_id": ["SO-1", "SO-2"], "customer_id": ["C1", "C2"], "item_id": ["FG-A", "FG-A"],
                       "qty": [10.0, 5.0], "due_date": pd.to_datetime(["2026-12-10", "2026-12-21"]),
                       "priority": [1, 1]})
SUPPLIERS = pd.DataFrame({"supplier_id": ["S1", "S2"], "name": ["Nordic Steel AB", "Sealtec Ltd"]})
ROUTINGS = pd.DataFrame({"item_id": ["FG-A", "FG-A"], "op_seq": [20, 10], "work_center_id": ["PAINT", "ASSY"]})
WORK_CENTERS = pd.DataFrame({"work_center_id": ["ASSY", "PAINT"], "description": ["Final assembly", "Paint line"]})
RECEIPTS = pd.DataFrame({"order_id": ["PO-1"], "item_id": ["RM-B"], "supplier_id": ["S1"]})


def _exc(kind, item, order, date, new_date, qty, severity="critical"):
    return dict(exception=kind, severity=severity, item_id=item, order_id=order, date=T(date),
                new_date=T(new_date) if new_date else pd.NaT, qty=qty, message=f"{kind} {order}")


def _exceptions():
    rows = [_exc("release_in_past", "RM-C", f"PLN-{k}", "2026-11-23", "2026-11-23", 900.0 + k) for k in (7, 8, 9)]
    rows.append(_exc("expedite", "RM-B", "PO-1", "2026-12-14", "2026-11-30", 30.0))
    rows.append(_exc("release_in_past", "FG-A", "PLN-5", "2026-11-30", "2026-11-23", 3.0))
    rows.append(_exc("defer", "RM-B", "PO-1", "2026-12-14", "2026-12-28", 30.0, "info"))
    return pd.DataFrame(rows)


def _worklist(exceptions=None):
    return actions.worklist(_exceptions() if exceptions is None else exceptions, PEGGING, None, DEMAND, ITEMS,
                            START, suppliers=SUPPLIERS, routings=ROUTINGS, work_centers=WORK_CENTERS,
                            scheduled_receipts=RECEIPTS)


# --------------------------------------------------------------------------- pegging, by hand

def test_trace_down_two_levels():
    down = peg.trace_down(PEGGING, "SO-1")
    got = {(r.level, r.parent_id, r.supply_id): r.qty for r in down.itertuples()}
    assert got == pytest.approx({(0, "SO-1", "on hand"): 4.0, (0, "SO-1", "PLN-1"): 6.0, (1, "PLN-1", "PO-1"): 12.0})
    assert down.set_index("supply_id").loc["PO-1", "need_date"] == T("2026-11-30")


def test_trace_up_two_levels():
    up = peg.trace_up(PEGGING, "PO-1")
    lines = peg.customer_lines_served(up).set_index("demand_id")
    assert lines.qty.to_dict() == pytest.approx({"SO-1": 12.0, "SO-2": 10.0})
    assert lines.slack_days.to_dict() == {"SO-1": -11.0, "SO-2": 0.0}  # -14 + 3, -14 + 14
    excess = up[up.demand_type == "excess"]
    assert excess.qty.tolist() == [8.0] and excess.level.tolist() == [1]


def test_trees_show_every_level_and_open_only_the_first():
    down = peg.trace_down(PEGGING, ["SO-1", "SO-2"])
    html = peg.down_tree_html(down, DEMAND, ITEMS, open_ids=["SO-1"])
    assert html.count("<details class='peg-line' open>") == 1 and html.count("<details class='peg-line'>") == 1
    assert "PO-1" in html and "12 kg" in html and "Steel bar" in html  # level 2, in the item's unit
    up_html = peg.up_tree_html(peg.trace_up(PEGGING, "PO-1"), pd.DataFrame({"supply_id": ["PO-1"],
                                                                             "item_id": ["RM-B"]}), ITEMS)
    assert "SO-1" in up_html and "takes 12 kg" in up_html and "takes 10 kg" in up_html


def test_a_pegging_without_its_columns_is_a_clear_error():
    with pytest.raises(ValueError, match="pegging table: column.*demand_id"):
        peg.trace_down(PEGGING.drop(columns="demand_id"), "SO-1")


# --------------------------------------------------------------------------- worklist

def test_expedite_with_customer_orders_at_risk_ranks_above_release_in_past_of_no_demand():
    w = _worklist()
    top = w.rows.iloc[0]
    assert top.exception == "expedite" and top.order_ids == "PO-1"
    assert top.customer_lines == 1 and top.value_at_risk == pytest.approx(1000.0)  # SO-1: 10 x 100
    assert top.days_late == 14
    assert top.action == ("Expedite PO-1 (Nordic Steel AB, 30 RM-B) from 14 Dec to 30 Nov, 14 days late: "
                          "1 customer order, € 1,000 at risk")
    at_risk = w.lines[w.lines.row == top["rank"]]
    assert at_risk.order_id.tolist() == ["SO-1"] and at_risk.days_late.tolist() == [11.0]
    assert at_risk.customer_id.tolist() == ["C1"]
    # the release-in-past messages of no demand come later, though their supply is later (35 days)
    rip = w.rows[w.rows.item_ids == "RM-C"].iloc[0]
    assert rip["rank"] > top["rank"] and rip.days_late == 35 and rip.customer_lines == 0


def test_release_in_past_lateness_follows_the_lead_time_and_the_slack():
    # PLN-1 (due 7 Dec) with a 28-day lead time, released now (23 Nov), arrives 21 Dec: 14 days late.
    # SO-1 has 3 days of slack (11 days late, at risk), SO-2 14 (on time).
    ex = pd.DataFrame([_exc("release_in_past", "FG-A", "PLN-1", "2026-12-07", "2026-11-23", 11.0)])
    items = ITEMS.assign(lead_time_days=[28, 14, 35])
    w = actions.worklist(ex, PEGGING, None, DEMAND, items, START, suppliers=SUPPLIERS, routings=ROUTINGS,
                         work_centers=WORK_CENTERS)
    assert w.rows.days_late.tolist() == [14.0]
    assert w.lines.order_id.tolist() == ["SO-1"] and w.lines.days_late.tolist() == [11.0]
    assert w.rows.action.iloc[0] == ("Release PLN-1 (11 FG-A) now, due 7 Dec, 14 days late: 1 customer order, "
                                     "€ 1,000 at risk")
    assert w.rows.owner.iloc[0] == "Planner - ASSY (Final assembly)"


def test_a_shortage_puts_the_uncovered_line_at_risk():
    short = _pegging(PEG_ROWS + [("FG-A", "none", "shortage", None, "customer_order", "SO-3", "FG-A",
                                  "2026-12-03", 2.0)])
    demand = pd.concat([DEMAND, pd.DataFrame({"order_id": ["SO-3"], "customer_id": ["C3"], "item_id": ["FG-A"],
                                              "qty": [2.0], "due_date": [T("2026-12-03")], "priority": [1]})])
    ex = pd.DataFrame([_exc("shortage", "FG-A", "", "2026-11-30", None, -2.0)])
    w = actions.worklist(ex, short, None, demand, ITEMS, START, suppliers=SUPPLIERS, routings=ROUTINGS,
                         work_centers=WORK_CENTERS)
    assert w.lines.order_id.tolist() == ["SO-3"] and w.rows.value_at_risk.tolist() == [200.0]
    assert w.rows.action.iloc[0].startswith("Cover the shortage of FG-A from week of 30 Nov")


def test_owners_buyer_per_supplier_planner_per_first_work_center():
    w = _worklist()
    owners = w.owners()
    assert set(owners.owner) == {"Buyer - Nordic Steel AB (S1)", "Buyer - Sealtec Ltd (S2)",
                                 "Planner - ASSY (Final assembly)"}  # op 10 is ASSY, though listed second
    assert owners.owner.iloc[0] == "Buyer - Nordic Steel AB (S1)"  # the owner of rank 1 first
    # three release-in-past messages of one supplier in one week are one row with a count
    rip = w.rows[w.rows.item_ids == "RM-C"]
    assert len(rip) == 1 and rip.messages.iloc[0] == 3 and rip.order_ids.iloc[0] == "PLN-7, PLN-8, PLN-9"
    assert rip.action.iloc[0].startswith("Place 3 purchase orders now with Sealtec Ltd")
    assert rip.qty.iloc[0] == 2724.0
    assert len(w.messages) == 6 and len(w) == 4


def test_exceptions_table_has_a_heading_per_owner_and_a_row_per_worklist_row():
    w = _worklist()
    html = report.exceptions_html(w)
    headings = re.findall(r'<h3 class="owner">(.*?)</h3>', html)
    assert headings == list(w.owners().owner)
    assert len(re.findall(r"<tr(?: class=\"risk\")?><td class='n'>\d+</td>", html)) == len(w) == 4
    assert "<b>4</b> actions from 6 MRP messages" in html
    assert "SO-1" in html and "nan" not in html.lower() and "None" not in html


def test_no_exceptions():
    w = _worklist(_exceptions().iloc[:0])
    assert len(w) == 0
    assert "nothing to act on" in report.exceptions_html(w)


# --------------------------------------------------------------------------- the sample plan

@pytest.fixture(scope="module")
def sample_plan(sample):
    params = PlanParams()
    return sample, params, run_mrp(sample, params)


def test_card_count_equals_rows_shown(sample_plan):
    from planlib.pipeline import week_kpis

    ds, params, mrp = sample_plan
    w = actions.worklist_of(ds, mrp, params.plan_start)
    kpis = week_kpis(ds, params, mrp).set_index("kpi")
    shown = len(re.findall(r"<tr(?: class=\"risk\")?><td class='n'>\d+</td>", report.exceptions_html(w)))
    assert kpis.loc["exceptions", "value"] == len(w) == shown
    kinds = ["release_in_past", "below_safety_stock", "past_due_demand", "shortage"]
    assert kpis.loc["shortages", "value"] == w.rows.exception.isin(kinds).sum() <= len(w)
    assert kpis.loc["customer_lines_at_risk", "value"] == w.lines.order_id.nunique() > 0
    assert len(w) <= len(mrp.exceptions) and w.messages.row.notna().all()
    assert sorted(w.rows["rank"]) == list(range(1, len(w) + 1))
    # ranked: value at risk never increases down the list; ties by days late
    v = w.rows.value_at_risk.to_numpy()
    assert (np.diff(v) <= 1e-9).all()


def test_every_expedite_of_the_sample_is_one_line_naming_order_and_dates(sample_plan):
    ds, params, mrp = sample_plan
    w = actions.worklist_of(ds, mrp, params.plan_start)
    exp = mrp.exceptions[mrp.exceptions.exception == "expedite"]
    for m in exp.itertuples():
        row = w.rows[w.rows["rank"] == w.messages.set_index("order_id").loc[m.order_id, "row"]].iloc[0]
        assert m.order_id in row.order_ids
        assert row.days_late >= (m.date - m.new_date).days


# --------------------------------------------------------------------------- invariants

@st.composite
def plans(draw):
    """A two-level plan: a finished good made from one bought component, random demand and stock."""
    weeks = pd.date_range("2026-01-05", periods=8, freq="7D")
    n = draw(st.integers(1, 5))
    demand = pd.DataFrame({
        "order_id": [f"SO-{k}" for k in range(n)], "item_id": "FG",
        "qty": [float(draw(st.integers(1, 40))) for _ in range(n)],
        "due_date": [weeks[draw(st.integers(0, 7))] + pd.Timedelta(days=draw(st.integers(0, 4))) for _ in range(n)]})
    rule = draw(st.sampled_from(["L4L", "FOQ", "POQ"]))
    items = pd.DataFrame({"item_id": ["FG", "RM"], "item_type": ["make", "buy"], "lead_time_days": [7, 14],
                          "lot_rule": [rule, draw(st.sampled_from(["L4L", "FOQ"]))], "lot_size": [25, 60],
                          "unit_cost": [10.0, 1.0], "supplier_id": [None, "S1"]})
    bom = pd.DataFrame({"parent_id": ["FG"], "component_id": ["RM"], "qty_per": [float(draw(st.integers(1, 3)))]})
    inventory = pd.DataFrame({"item_id": ["FG", "RM"], "on_hand": [float(draw(st.integers(0, 30))),
                                                                   float(draw(st.integers(0, 50)))]})
    tables = dict(items=items, bom=bom, inventory=inventory, demand=demand)
    if draw(st.booleans()):
        tables["scheduled_receipts"] = pd.DataFrame({
            "order_id": ["PO-1"], "item_id": ["RM"], "order_type": ["purchase"],
            "qty": [float(draw(st.integers(1, 80)))], "due_date": [weeks[draw(st.integers(0, 5))]]})
    ds = from_frames(tables)
    return ds, run_mrp(ds, PlanParams(plan_start="2026-01-05", horizon_weeks=10))


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(plans())
def test_traced_quantities_sum_to_the_line_and_up_inverts_down(plan):
    ds, mrp = plan
    p = mrp.pegging
    lines = ds.demand.order_id.tolist()
    down = peg.trace_down(p, lines)
    for line in lines:
        mine = p[p.demand_id.astype(str) == line]
        covered = mine[mine.supply_type.astype(str) != "none"].qty.sum()
        d0 = down[(down.demand_id == line) & (down.level == 0) & (down.supply_type != "none")]
        assert d0.qty.sum() == pytest.approx(covered, abs=1e-6)
        assert covered <= float(ds.demand.set_index("order_id").qty[line]) + 1e-6
    orders = down[down.supply_type.isin(["planned_order", "scheduled_receipt"])]
    up = peg.customer_lines_served(peg.trace_up(p, orders.supply_id.unique()))
    got_up = up.groupby(["supply_id", "demand_id"]).qty.sum()
    got_down = orders.groupby(["supply_id", "demand_id"]).qty.sum()
    pd.testing.assert_series_equal(got_up.sort_index(), got_down.sort_index(), check_names=False, atol=1e-6)


# --------------------------------------------------------------------------- in the browser

@pytest.mark.browser
@needs_chromium
def test_mrp_page_shows_owner_headings_and_the_pegging_tree_expands(weekly_reports):
    page_path = weekly_reports / "2026-W48" / "base" / "mrp.html"
    with chromium() as context:
        page, errors, requests = open_page(context, page_path)
        headings = page.locator(".planlib-worklist h3.owner").all_inner_texts()
        assert headings and all(h.startswith(("Buyer - ", "Planner - ")) for h in headings)
        rows = page.locator(".planlib-worklist > table > tbody > tr").count()
        text = page.locator(".planlib-worklist").inner_text() + page.locator("details.peg-line").first.inner_text()
        assert not re.search(r"\b(NaN|nan|None|NaT)\b", text)
        cards = page.locator(".planlib-kpi", has_text="messages to act on").first.locator(".value").inner_text()
        assert int(cards.replace(",", "")) == rows
        # a collapsed line of the pegging tree opens on a click and shows its supplies
        lines = page.locator("details.peg-line")
        closed = [i for i in range(lines.count()) if lines.nth(i).get_attribute("open") is None
                  and lines.nth(i).locator("ul.peg-tree").count()]
        assert closed, "every pegging tree is open or empty"
        line = lines.nth(closed[0])  # a fixed position: the locator does not move when the line opens
        tree = line.locator("ul.peg-tree").first
        assert not tree.is_visible()
        line.locator("summary").first.click()
        assert line.get_attribute("open") is not None and tree.is_visible()
        assert re.search(r"(planned order|on hand|open order)", tree.inner_text())
        assert page.locator("details.peg-line[open]").count() >= 1  # the largest lines start open
        assert not errors and not other_hosts(requests)
        # the weekly report shows the same worklist under the same headings
        weekly, errors, _ = open_page(context, page_path.with_name("weekly_report.html"))
        assert weekly.locator(".planlib-worklist h3.owner").all_inner_texts() == headings
        assert weekly.locator(".planlib-worklist > table > tbody > tr").count() == rows
