"""Scrap, materials used and cost variance (planlib.variance, #15).

Textbook cases: direct materials and direct manufacturing labour efficiency variances,
(actual quantity - standard quantity allowed for the actual output) x standard price, as taught in
Horngren, Datar, Rajan, *Cost Accounting: A Managerial Emphasis*, ch. 7 "Flexible Budgets,
Direct-Cost Variances, and Management Control" (page not verified). The two exercises below are
end-of-chapter style problems of that chapter as reproduced on the web (the book itself could not
be checked); their arithmetic is verified by hand in each test:

- "Decorator's Draperies" (https://www.coursehero.com/file/5648932/, chapter 7 of the book): standard
  10 square yards at $5 and 5 labour hours at $10 per curtain; 1,500 curtains made with 14,000 square
  yards and 7,600 hours: materials efficiency variance $5,000 favourable (the page's answer); labour
  efficiency (7,600 - 7,500) x $10 = $1,000 unfavourable (computed here; the page shows no answer).
- "Warrier Gear" (https://wizedu.com/questions/371775/warrier-gear-manufactures-clothing-a-flannel):
  standard 2 square yards at $15 and 1.5 hours at $25 per shirt; 1,500 shirts with 3,200 square yards
  and 2,100 hours: materials $3,000 unfavourable, labour $3,750 favourable (the page's answers).

The data hold no actual prices, so the price (rate) variances of those exercises do not arise here:
actual cost is at the standard price.
"""
from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from planlib import variance
from planlib.data import from_frames, load

CASE = Path(__file__).parent / "data" / "attainment" / "hand_case"
WEEK = "2026-W48"


@pytest.fixture(scope="module")
def ds():
    return load(CASE)


def _with(ds, **tables):
    return dataclasses.replace(ds, tables={**ds.tables, **tables}, present=ds.present | set(tables))


def _textbook(units, material_std, material_price, material_used, hours_std, wage, hours_used):
    """One product, one operation, one component: the textbook's standard cost card as planlib tables."""
    return from_frames({
        "items": pd.DataFrame({"item_id": ["PRODUCT", "FABRIC"], "item_type": ["make", "buy"],
                               "lead_time_days": [1, 1], "unit_cost": [0.0, material_price]}),
        "bom": pd.DataFrame({"parent_id": ["PRODUCT"], "component_id": ["FABRIC"], "qty_per": [material_std]}),
        "calendars": pd.DataFrame({"calendar_id": ["C"], "weekday": ["Mon"], "start_time": ["00:00"],
                                   "end_time": ["24:00"]}),
        "work_centers": pd.DataFrame({"work_center_id": ["SEW"], "calendar_id": ["C"],
                                      "cost_per_hour": [0.0], "labour_cost_per_hour": [wage]}),
        "machines": pd.DataFrame({"machine_id": ["SEW-1"], "work_center_id": ["SEW"]}),
        "routings": pd.DataFrame({"item_id": ["PRODUCT"], "op_seq": [10], "work_center_id": ["SEW"],
                                  "setup_min": [0.0], "run_min_per_unit": [hours_std * 60], "crew_size": [1.0]}),
        "scheduled_receipts": pd.DataFrame({"order_id": ["MO-1"], "item_id": ["PRODUCT"],
                                            "order_type": ["production"], "qty": [float(units)],
                                            "due_date": ["2026-11-27"]}),
        "production_reports": pd.DataFrame({"order_id": ["MO-1"], "op_seq": [10], "machine_id": ["SEW-1"],
                                            "report_date": ["2026-11-23"], "qty_good": [float(units)],
                                            "labour_hours": [float(hours_used)]}),
        "material_issues": pd.DataFrame({"order_id": ["MO-1"], "item_id": ["FABRIC"],
                                         "qty": [float(material_used)], "issue_date": ["2026-11-23"]}),
    })


@pytest.mark.parametrize("case, material_variance, labour_variance", [
    (dict(units=1500, material_std=10, material_price=5.0, material_used=14000, hours_std=5, wage=10.0,
          hours_used=7600), -5000.0, 1000.0),  # Decorator's Draperies
    (dict(units=1500, material_std=2, material_price=15.0, material_used=3200, hours_std=1.5, wage=25.0,
          hours_used=2100), 3000.0, -3750.0),  # Warrier Gear
], ids=["decorators_draperies", "warrier_gear"])
def test_textbook_efficiency_variances(case, material_variance, labour_variance):
    ds = _textbook(**case)
    m = variance.materials(ds, WEEK)
    assert m.standard_qty.iloc[0] == case["units"] * case["material_std"]
    assert m.variance_value.iloc[0] == pytest.approx(material_variance)
    c = variance.costs(ds, WEEK).by_order.set_index("cost_type")
    assert c.loc["material", "variance"] == pytest.approx(material_variance)
    assert c.loc["labour", "standard_hours"] == pytest.approx(case["units"] * case["hours_std"])
    assert c.loc["labour", "variance"] == pytest.approx(labour_variance)
    assert c.loc["machine", "variance"] == 0.0  # no machine cost in the exercise
    word = "more" if labour_variance > 0 else "less"
    hours = abs(labour_variance) / case["wage"]
    assert c.loc["labour", "driver"] == f"labour: {hours:,.1f} h {word} than standard at SEW"


def test_materials_of_the_hand_case(ds):
    m = variance.materials(ds, WEEK).set_index("order_id")
    # started = good + scrap on op 10 in the week; standard = 2 x (1 + 10 %) x started
    assert m.loc["MO-1", ["qty_started", "standard_qty", "issued_qty"]].tolist() == pytest.approx([10, 22, 23])
    assert m.loc["MO-2", ["qty_started", "standard_qty", "issued_qty"]].tolist() == pytest.approx([16, 35.2, 36])
    assert m.loc["MO-2", "variance_value"] == pytest.approx(0.8 * 2.0)


def test_a_component_off_the_bom_is_all_variance(ds):
    extra = pd.concat([ds.material_issues, from_frames({"material_issues": pd.DataFrame(
        {"order_id": ["MO-1"], "item_id": ["FG"], "qty": [1.0], "issue_date": ["2026-11-24"]})}).material_issues],
        ignore_index=True)
    m = variance.materials(_with(ds, material_issues=extra), WEEK)
    row = m[(m.order_id == "MO-1") & (m.component_id == "FG")].iloc[0]
    assert row.standard_qty == 0 and row.variance_value == 50.0 and row.note == "not in the bill of materials"
    c = variance.costs(_with(ds, material_issues=extra), WEEK).by_order
    drv = c[(c.order_id == "MO-1") & (c.cost_type == "material")].driver.iloc[0]
    assert drv == "material: 1 more FG than standard (+50.00) (not in the bill of materials)"


def test_costs_of_the_hand_case(ds):
    c = variance.costs(ds, WEEK)
    o = c.by_order.set_index(["order_id", "cost_type"])
    assert o.loc[("MO-1", "labour"), ["standard", "actual", "variance"]].tolist() == pytest.approx([150, 165, 15])
    assert o.loc[("MO-1", "machine"), ["standard", "actual"]].tolist() == pytest.approx([92, 100])
    assert o.loc[("MO-1", "labour"), "driver"] == "labour: 0.4 h more than standard at ASSY (rate 90 %)"
    # MO-2: 15 good on CUT-2 (1.2 x) earn 15 x 5 min + 30 min setup = 1.75 h; 2.5 h ran (3 h less 30 min down)
    assert o.loc[("MO-2", "machine"), ["standard_hours", "actual_hours"]].tolist() == pytest.approx([1.75, 2.5])
    assert o.loc[("MO-2", "machine"), "driver"] == "machine: 0.8 h more than standard at CUT (rate 67 %)"
    w = c.by_week.set_index("cost_type")
    assert w.loc["labour", "driver"] == "labour: 1.4 h more than standard at CUT (rate 78 %)"
    assert list(c.by_week.cost_type) == ["material", "labour", "machine"] and (c.by_week.week == WEEK).all()


def test_scrap_of_the_hand_case(ds):
    s = variance.scrap(ds, WEEK)
    fg = s.by_item.set_index("item_id").loc["FG"]
    assert fg.scrap_pct == pytest.approx(100 * 2 / 26)  # op 10 lost 2 of 26, op 20 none
    assert fg.planned_scrap_pct == 5.0 and fg.scrap_over_plan_pct == pytest.approx(100 * 2 / 26 - 5)
    assert fg.scrap_value == 100.0
    assert s.by_reason.to_dict("records") == [dict(scrap_reason="burr", qty_scrap=2.0, share_pct=100.0,
                                                   cumulative_pct=100.0, scrap_value=100.0)]
    o = s.orders.set_index("order_id")
    assert o.loc["MO-2", "scrap_reasons"] == "burr 1" and o.loc["MO-2", "downtime_reasons"] == "tool change 30 min"
    assert o.loc["MO-1", "scrap_pct"] == pytest.approx(10.0)


def test_scrap_pareto_orders_reasons(ds):
    rep = ds.production_reports.copy()
    rep.loc[len(rep)] = rep.iloc[0]
    rep.loc[len(rep) - 1, ["qty_scrap", "scrap_reason", "report_date"]] = [5.0, "porosity", pd.Timestamp("2026-11-24")]
    rep.loc[len(rep)] = rep.iloc[0]
    rep.loc[len(rep) - 1, ["qty_scrap", "scrap_reason"]] = [1.0, ""]
    p = variance.scrap(_with(ds, production_reports=rep), WEEK).by_reason
    assert list(p.scrap_reason) == ["porosity", "burr", "(no reason given)"]
    assert p.qty_scrap.tolist() == [5.0, 2.0, 1.0]
    assert p.cumulative_pct.tolist() == pytest.approx([500 / 8, 700 / 8, 100.0])


_OPS = [("MO-1", 10, "CUT-1"), ("MO-1", 20, "ASSY-1"), ("MO-2", 10, "CUT-2"), ("MO-2", 20, "ASSY-1")]
_REASONS = ["burr", "porosity", "", "setup"]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.sampled_from(range(len(_OPS))), st.integers(0, 30), st.integers(0, 6),
                          st.sampled_from(_REASONS), st.floats(0, 6), st.booleans()), max_size=10),
       st.lists(st.tuples(st.sampled_from(["MO-1", "MO-2"]), st.sampled_from(["RM", "FG"]),
                          st.integers(-5, 60)), max_size=5))
def test_variance_invariants(ds, reports, issues):
    rows = [dict(order_id=_OPS[k][0], op_seq=_OPS[k][1], machine_id=_OPS[k][2], report_date="2026-11-24",
                 start="2026-11-24 06:00" if timed else "", end="2026-11-24 09:00" if timed else "",
                 qty_good=float(g), qty_scrap=float(s), scrap_reason=r, labour_hours=h)
            for k, g, s, r, h, timed in reports]
    new = from_frames({
        "production_reports": pd.DataFrame(rows, columns=["order_id", "op_seq", "machine_id", "report_date", "start",
                                                          "end", "qty_good", "qty_scrap", "scrap_reason",
                                                          "labour_hours"]),
        "material_issues": pd.DataFrame([dict(order_id=o, item_id=i, qty=float(q), issue_date="2026-11-25")
                                         for o, i, q in issues], columns=["order_id", "item_id", "qty", "issue_date"]),
    })
    d = _with(ds, production_reports=new.production_reports, material_issues=new.material_issues)
    c = variance.costs(d, WEEK)
    o, w = c.by_order, c.by_week.set_index("cost_type")
    assert np.allclose(o.variance, o.actual - o.standard)
    for kind in variance.COST_TYPES:  # the orders add up to the week
        mine = o[o.cost_type == kind]
        assert mine.variance.sum() == pytest.approx(w.loc[kind, "variance"], abs=1e-6)
        assert mine.standard.sum() == pytest.approx(w.loc[kind, "standard"], abs=1e-6)
    m = variance.materials(d, WEEK)
    assert m.variance_value.sum() == pytest.approx(w.loc["material", "variance"], abs=1e-6)
    s = variance.scrap(d, WEEK)
    for p in (s.by_reason, s.downtime_by_reason):
        if len(p):
            assert p.cumulative_pct.iloc[-1] == 100.0
            assert (np.diff(p.cumulative_pct) >= -1e-9).all()
            assert p.share_pct.sum() == pytest.approx(100.0)
    assert ((s.by_item.scrap_pct >= 0) & (s.by_item.scrap_pct <= 100)).all()
    assert s.by_reason.qty_scrap.sum() == pytest.approx(sum(r["qty_scrap"] for r in rows))


def test_headlines_of_the_hand_case(ds):
    from planlib.attainment import attainment

    sched = pd.read_csv(CASE / "schedule.csv", parse_dates=["setup_start", "start", "end"])
    h = variance.headlines(attainment(ds, WEEK, sched), variance.scrap(ds, WEEK), variance.costs(ds, WEEK))
    h = h.set_index("kpi")
    assert h.loc["ops_attainment_pct", "value"] == pytest.approx(40.0)  # 2 of 5 operations
    assert h.loc["ops_attainment_pct", "text"] == ("Schedule attainment 2026-W48: 40 % of 5 operations done, 66 % of "
                                                   "the quantity (the schedule published for 2026-W48)")
    assert h.loc["qty_attainment_pct", "value"] == pytest.approx(100 * 33 / 50)  # (24 + 9) of (35 + 15)
    assert h.loc["orders_late", "text"] == "2 of 3 orders behind schedule: MO-2, PLN-2"
    assert h.loc["slowest_rate_pct", "text"] == "Slowest work center: CUT at 78 % of the routing's rate"
    assert h.loc["downtime_h", "value"] == 0.5
    assert h.loc["cost_variance", "value"] == pytest.approx(3.6 + 52.5 + 38.0)
