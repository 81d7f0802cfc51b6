"""Hand-built follow-up tables with the columns of the engines' API (/work/briefs loop_api: attainment,
variance, supplier_followup, labour), for the status report tests."""
from __future__ import annotations

import pandas as pd


def follow_up_tables() -> dict[str, pd.DataFrame]:
    """A week with reports: two work centers, scrap and downtime by reason, a late PO, a labour shortfall."""
    wc = pd.DataFrame({
        "work_center_id": ["ASSY", "LATHE"], "week": ["2026-W48"] * 2,
        "ops_planned": [10, 4], "ops_done": [8, 4], "ops_attainment_pct": [80.0, 100.0],
        "qty_planned": [200.0, 100.0], "qty_good": [150.0, 90.0], "qty_attainment_pct": [75.0, 90.0],
        "hours_planned": [40.0, 20.0], "hours_reported": [44.0, 19.0]})
    orders = pd.DataFrame({
        "order_id": ["MO-1", "MO-2", "MO-3"], "item_id": ["FG-01", "SA-07", "MP-08"],
        "qty_planned": [100.0, 100.0, 100.0], "qty_good": [60.0, 90.0, 90.0], "qty_scrap": [10.0, 5.0, 5.0],
        "ops_planned": [6, 4, 4], "ops_done": [4, 4, 4], "attainment_pct": [66.7, 100.0, 100.0],
        "late": [True, False, False]})
    rates = pd.DataFrame({"work_center_id": ["ASSY", "LATHE"], "item_id": ["FG-01", "MP-08"],
                          "units_per_hour": [3.4, 5.0], "standard_units_per_hour": [4.0, 5.0],
                          "rate_pct": [85.0, 100.0]})
    downtime = pd.DataFrame({"work_center_id": ["LATHE", "LATHE", "ASSY"],
                             "downtime_reason": ["breakdown", "no material", "breakdown"],
                             "downtime_min": [240.0, 60.0, 30.0], "share": [0.727, 0.182, 0.091]})
    scrap_reason = pd.DataFrame({"scrap_reason": ["dimension", "surface", "material"],
                                 "qty_scrap": [12.0, 6.0, 2.0], "share_pct": [60.0, 30.0, 10.0],
                                 "cumulative_pct": [60.0, 90.0, 100.0]})
    scrap_item = pd.DataFrame({"item_id": ["FG-01", "SA-07"], "qty_good": [60.0, 90.0], "qty_scrap": [10.0, 5.0],
                               "scrap_pct": [14.3, 5.3], "planned_scrap_pct": [2.0, 5.0]})
    materials = pd.DataFrame({"order_id": ["MO-1", "MO-1"], "item_id": ["RM-01", "RM-02"],
                              "qty_issued": [75.0, 140.0], "qty_standard": [70.0, 140.0],
                              "variance_qty": [5.0, 0.0], "variance_value": [50.0, 0.0]})
    cost_week = pd.DataFrame({"week": ["2026-W48"] * 3, "cost": ["material", "labour", "machine"],
                              "standard": [1000.0, 500.0, 300.0], "actual": [1050.0, 620.0, 290.0],
                              "variance": [50.0, 120.0, -10.0],
                              "driver": ["material: RM-01 5 kg over standard on MO-1",
                                         "labour: 3.3 h more than standard at ASSY (rate 85 %)",
                                         "machine: 0.3 h less than standard at LATHE"]})
    cost_order = pd.DataFrame({"order_id": ["MO-1", "MO-2"], "standard": [1200.0, 600.0], "actual": [1360.0, 600.0],
                               "variance": [160.0, 0.0], "driver": ["labour at ASSY", ""]})
    followup = pd.DataFrame({
        "order_id": ["PO-1", "PO-2", "PO-3"], "supplier_id": ["S001", "S002", "S001"],
        "supplier_name": ["Nordic Steel AB", "Ruhr Guss GmbH", "Nordic Steel AB"], "item_id": ["RM-01", "RM-02", "RM-03"],
        "open_qty": [100.0, 50.0, 10.0], "due_date": pd.to_datetime(["2026-11-20", "2026-12-10", "2026-12-20"]),
        "need_date": pd.to_datetime(["2026-11-25", "2026-12-07", "2026-12-28"]),
        "status": ["late", "at risk", "on track"],
        "action": ["call Nordic Steel AB (Anna Berg, +46 8 123), ask to deliver PO-1 now: it feeds SO-7 for C018",
                   "call Ruhr Guss GmbH, ask to pull in PO-2 by 3 days", ""]})
    labour = pd.DataFrame({
        "work_center_id": ["ASSY", "ASSY", "LATHE"], "day": pd.to_datetime(["2026-11-30", "2026-12-01", "2026-11-30"]),
        "shift": ["06:00-14:00"] * 3, "hours_needed": [20.0, 12.0, 8.0], "operators": [2.0, 2.0, 1.0],
        "hours_available": [16.0, 16.0, 8.0], "shortfall_h": [4.0, 0.0, 0.0], "idle_h": [0.0, 4.0, 0.0],
        "extra_operators": [1, 0, 0], "overtime_h": [4.0, 0.0, 0.0]})
    late_lines = pd.DataFrame({"order_id": ["SO-7"], "customer_id": ["C018"], "item_id": ["FG-01"], "qty": [5.0],
                               "due_date": pd.to_datetime(["2026-12-02"]),
                               "scheduled_date": pd.to_datetime(["2026-12-04"]), "days_late": [2.0],
                               "reason": ["material: RM-01 arrives 2026-12-03 (PO-1)"]})
    reports = pd.DataFrame({"order_id": ["MO-1"], "op_seq": [10], "qty_good": [60.0], "qty_scrap": [10.0]})
    return {"attainment_by_work_center": wc, "attainment_by_order": orders, "production_rates": rates,
            "downtime": downtime, "scrap_by_reason": scrap_reason, "scrap_by_item": scrap_item,
            "materials": materials, "cost_by_week": cost_week, "cost_by_order": cost_order,
            "supplier_followup": followup, "labour_requirements": labour, "late_order_lines": late_lines,
            "production_reports": reports}


def history() -> pd.DataFrame:
    """Three archived weeks of the follow-up KPIs and inventory value."""
    rows = []
    for week, att, scrap, inv in (("2026-W47", 91.0, 3.0, 510000.0), ("2026-W48", 88.0, 4.2, 498000.0),
                                  ("2026-W49", 85.7, 6.1, 505000.0)):
        rows += [dict(week=week, kpi="attainment_pct", value=att, unit="%"),
                 dict(week=week, kpi="scrap_pct", value=scrap, unit="%"),
                 dict(week=week, kpi="inventory_value", value=inv, unit="")]
    return pd.DataFrame(rows)
