"""The plant manager's status report (planlib.status) and the follow-up step of the weekly run.

The follow-up tables are built by hand with the columns of the engines' API (attainment, variance,
supplier follow-up, labour: docs/status-report.md); the figures asserted are worked out here, by hand.
"""
from __future__ import annotations

import re
import sys
import types

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from planlib import status
from planlib.data import from_frames
from planlib.params import PlanParams


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


# --------------------------------------------------------------------------- the key figures

def _kpi(kpis: pd.DataFrame, name: str) -> float:
    return float(kpis.set_index("kpi").value[name])


def test_follow_up_kpis_are_the_hand_computed_figures():
    k = status.follow_up_kpis(follow_up_tables())
    assert _kpi(k, "attainment_pct") == pytest.approx(round(100 * 12 / 14, 1))  # ops done 8 + 4 of 10 + 4
    assert _kpi(k, "qty_attainment_pct") == pytest.approx(100 * 240 / 300)  # good 150 + 90 of 200 + 100
    assert _kpi(k, "scrap_pct") == pytest.approx(round(100 * 20 / 260, 2))  # scrap 10 + 5 + 5 of 240 + 20
    assert _kpi(k, "cost_variance") == 160  # 50 + 120 - 10 over standard
    assert _kpi(k, "late_purchase_orders") == 1 and _kpi(k, "at_risk_purchase_orders") == 1
    assert _kpi(k, "labour_shortfall_h") == 4
    good = k.set_index("kpi").good
    assert not good["attainment_pct"] and not good["cost_variance"] and not good["labour_shortfall_h"]


def test_follow_up_kpis_of_a_plant_without_execution_data():
    """Nothing reported: no attainment, scrap or cost figure (not a 0 % attainment); an engine that ran
    and found no open purchase order or no shortfall says 0."""
    assert status.follow_up_kpis({}).empty
    k = status.follow_up_kpis({n: t.iloc[0:0] for n, t in follow_up_tables().items()})
    assert set(k.kpi) == {"late_purchase_orders", "at_risk_purchase_orders", "labour_shortfall_h"}
    assert (k.value == 0).all()


def test_cost_variance_reads_the_wide_layout_as_the_long_one():
    long = follow_up_tables()["cost_by_week"]
    wide = pd.DataFrame({"week": ["2026-W48"]} | {f"{r.cost}_{c}": [getattr(r, c)] for r in long.itertuples()
                                                  for c in ("standard", "actual", "variance")}
                        | {f"{r.cost}_driver": [r.driver] for r in long.itertuples()})
    a = status._cost_variance(long).set_index("cost")
    b = status._cost_variance(wide).set_index("cost")
    pd.testing.assert_series_equal(a.variance, b.variance, check_dtype=False)
    assert b.loc["labour", "driver"].startswith("labour: 3.3 h more")


def test_reported_week_is_the_week_before_the_plan():
    assert status.reported_week("2026-W49") == "2026-W48"
    assert status.reported_week("2027-W01") == "2026-W53"


# --------------------------------------------------------------------------- the page

def _section(page: str, sid: str) -> str:
    m = re.search(rf'<section class="planlib-status" id="{sid}">(.*?)</section>', page, re.S)
    assert m, f"section {sid} missing"
    return m.group(1)


def _full_page(**kw) -> str:
    tables = follow_up_tables()
    inv = pd.DataFrame([dict(kpi="inventory_value", label="inventory value on hand (currency)", value=505000.0,
                             unit="", good=None),
                        dict(kpi="late_order_lines", label="customer order lines late", value=1, unit="lines",
                             good=False)])
    kpis = pd.concat([status.follow_up_kpis(tables), inv], ignore_index=True)
    return status.status_page(tables, kpis, history(), "2026-W49",
                              facts={"basis": "the schedule published for 2026-W48"},
                              supplier_links={"S001": "follow_up/supplier/S001.html"}, **kw)


def test_page_has_kpi_cards_first_then_every_section_in_order():
    page = _full_page()
    cards = page.index('<section id="kpis">')
    positions = [page.index(f'id="{sid}"') for sid, _ in status.SECTIONS]
    assert cards < positions[0] and positions == sorted(positions)
    first = re.findall(r'<div class="label">([^<]*)</div>', page)[:3]
    assert first == ["Schedule attainment, operations (last week)", "Good quantity against plan (last week)",
                     "Scrap, share of units made (last week)"]


def test_page_says_what_happened_in_words():
    page = _full_page()
    assert "12 of 14 operations planned to finish were reported done" in _section(page, "progress")
    assert "240 good units against 300 planned (80 %)" in _section(page, "progress")
    assert "Compared with the schedule published for 2026-W48" in _section(page, "progress")
    assert "€ 160 over</b> standard" in _section(page, "costs")
    assert "labour: 3.3 h more than standard at ASSY" in _section(page, "costs")
    assert "1 purchase order late</b>, 1 at risk, 0 unconfirmed, of 3 open" in _section(page, "suppliers")
    assert 'href="follow_up/supplier/S001.html"' in _section(page, "suppliers")
    assert "4 operator hours more</b> than staffed, at 1 work center" in _section(page, "labour")
    assert "1 customer order line</b> will be late: most often: material: RM-01 arrives (PO-1) (1)" in _section(page, "late")
    # a chart per: attainment, trend, inventory trend, cost variance, scrap, downtime, labour
    assert page.count("vegaEmbed(") == 7 and "<script type=\"module\">" in page


def test_page_escapes_text_from_the_data():
    tables = follow_up_tables()
    tables["supplier_followup"].loc[0, "action"] = "<script>alert(1)</script>"
    page = status.status_page(tables, None, None, "2026-W49")
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_a_plant_without_execution_data_gets_sentences_not_errors():
    page = status.status_page({}, pd.DataFrame(columns=["kpi", "value", "unit"]), None, "2026-W49")
    assert "No production reports this week" in _section(page, "progress")
    assert "2026-W48" in _section(page, "progress")
    assert "No trend yet" in _section(page, "trend")
    assert "No material issues" in _section(page, "materials")
    assert "No costs against plan" in _section(page, "costs")
    assert "No scrap reported" in _section(page, "problems") and "No downtime reported" in _section(page, "problems")
    assert "Every customer order line is completed on time" in _section(page, "late")
    assert "No open purchase orders" in _section(page, "suppliers")
    assert "No labour requirements" in _section(page, "labour")
    assert "vegaEmbed(" not in page and "<svg" not in page  # no empty chart, and no 900 kB of Vega for nothing


def test_a_missing_engine_is_named_only_where_something_was_reported():
    page = status.status_page({"production_reports": follow_up_tables()["production_reports"]}, None, None,
                              "2026-W49", facts={"production_reports": 1},
                              missing_engines=("planlib.attainment", "planlib.labour"))
    assert "lacks <code>planlib.attainment</code>" in _section(page, "progress")
    assert "lacks <code>planlib.labour</code>" in _section(page, "labour")
    quiet = status.status_page({}, None, None, "2026-W49", missing_engines=("planlib.attainment",))
    assert "No production reports this week" in _section(quiet, "progress")


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(keep=st.sets(st.sampled_from(sorted(follow_up_tables()))), empty=st.sets(st.sampled_from(sorted(follow_up_tables()))),
       trend_weeks=st.integers(0, 3))
def test_any_subset_of_tables_gives_every_section(keep, empty, trend_weeks):
    """Whatever the engines give (a table missing, empty, or there), the page has every section and
    the cards stay within their ranges."""
    full = follow_up_tables()
    tables = {n: (full[n].iloc[0:0] if n in empty else full[n]) for n in keep}
    h = history()
    h = h[h.week.isin(sorted(h.week.unique())[:trend_weeks])]
    kpis = status.follow_up_kpis(tables)
    for name in ("attainment_pct", "scrap_pct"):
        if name in set(kpis.kpi):
            assert 0 <= _kpi(kpis, name) <= 100
    page = status.status_page(tables, kpis, h, "2026-W49")
    for sid, head in status.SECTIONS:
        assert len(_section(page, sid)) > 0 and f"<h2>{head}" in page
    if not trend_weeks or trend_weeks < 2:
        assert "No trend yet" in _section(page, "trend")


# --------------------------------------------------------------------------- the follow-up step

def _plant(report_dates=("2026-11-24", "2026-11-26")):
    """Two items, one open purchase order per supplier, production reports on ``report_dates``."""
    return from_frames({
        "items": pd.DataFrame({"item_id": ["FG-01", "RM-01"], "item_type": ["make", "buy"], "lead_time_days": [5, 10],
                               "unit_cost": [10.0, 2.0]}),
        "inventory": pd.DataFrame({"item_id": ["FG-01", "RM-01"], "on_hand": [5.0, 100.0]}),
        "production_reports": pd.DataFrame({"order_id": ["MO-1"] * len(report_dates), "op_seq": [10] * len(report_dates),
                                            "report_date": list(report_dates), "qty_good": [5.0] * len(report_dates)}),
        "scheduled_receipts": pd.DataFrame({"order_id": ["PO-1", "MO-1"], "item_id": ["RM-01", "FG-01"],
                                            "order_type": ["purchase", "production"], "qty": [50.0, 20.0],
                                            "due_date": ["2026-11-20", "2026-12-04"]}),
        "material_issues": pd.DataFrame({"order_id": ["MO-1"], "item_id": ["RM-01"], "qty": [10.0],
                                         "issue_date": ["2026-11-24"]}),
    })


def _fake_engines(monkeypatch) -> dict:
    """The four follow-up engines as the API names them, returning the hand-built tables; records the calls."""
    t, calls = follow_up_tables(), {}
    ns = types.SimpleNamespace

    def attainment(ds, week, previous_schedule=None):
        calls["attainment"] = (week, previous_schedule)
        return ns(by_work_center=t["attainment_by_work_center"], by_order=t["attainment_by_order"],
                  rates=t["production_rates"], downtime=t["downtime"],
                  basis="the schedule published for 2026-W48" if previous_schedule is not None
                  else "released orders' due dates (no previous plan in the archive)")

    def supplier_followup(ds, mrp, today, unconfirmed_days=7, safety_stock=None):
        calls["supplier_followup"] = (pd.Timestamp(today), unconfirmed_days, mrp.planned_orders is not None)
        return t["supplier_followup"]

    def labour_requirements(schedule, ds, plan_start):
        calls["labour"] = (len(schedule), str(plan_start))
        return pd.concat([t["labour_requirements"], t["labour_requirements"].iloc[[0]].assign(
            day=pd.Timestamp("2026-12-07"), shortfall_h=50.0)], ignore_index=True)  # next week: not on the page

    engines = {
        "attainment": dict(attainment=attainment),
        "variance": dict(scrap=lambda ds, week: ns(by_item=t["scrap_by_item"], by_reason=t["scrap_by_reason"],
                                                   orders=t["attainment_by_order"]),
                         materials=lambda ds, week: t["materials"],
                         costs=lambda ds, week: ns(by_order=t["cost_by_order"], by_week=t["cost_by_week"])),
        "supplier_followup": dict(supplier_followup=supplier_followup,
                                  supplier_page=lambda fu, ds, sid: f"<html><body>open orders of {sid}</body></html>",
                                  mail_draft=lambda fu, ds, sid: f"To: buyer@{sid}\r\n\r\nplease confirm".encode()),
        "labour": dict(labour_requirements=labour_requirements),
    }
    import planlib

    for name, funcs in engines.items():
        module = types.ModuleType(f"planlib.{name}")
        module.__dict__.update(funcs)
        monkeypatch.setitem(sys.modules, f"planlib.{name}", module)
        monkeypatch.setattr(planlib, name, module, raising=False)  # `from planlib import x` reads the attribute
    return calls


def _run_dir(tmp_path):
    """A run folder as the earlier steps leave it: MRP's planned orders, a schedule, the plan's KPIs."""
    from planlib.data import write_tables

    run = tmp_path / "2026-W49" / "base"
    write_tables({"planned_orders": pd.DataFrame({"order_id": ["PLN-1"], "item_id": ["FG-01"], "qty": [5.0]})},
                 run / "mrp")
    write_tables({"schedule": pd.DataFrame({"order_id": ["MO-1"], "op_seq": [10], "work_center_id": ["ASSY"],
                                            "start": [pd.Timestamp("2026-11-30 06:00")],
                                            "end": [pd.Timestamp("2026-11-30 10:00")]})}, run / "schedule")
    write_tables({"kpis": pd.DataFrame([dict(kpi="inventory_value", label="inventory value on hand (currency)",
                                             value=250.0, unit="", good=None)])}, run / "weekly_report")
    return run


def test_follow_up_step_writes_tables_supplier_pages_and_the_status_report(tmp_path, monkeypatch):
    from planlib import pipeline
    from planlib.data import read_table

    calls = _fake_engines(monkeypatch)
    run = _run_dir(tmp_path)
    params = PlanParams(plan_start="2026-11-30")
    fu = pipeline.follow_up_step(_plant(), params, run, archive="")
    assert calls["attainment"] == ("2026-W48", None)  # the week before the plan week; no archive
    assert calls["supplier_followup"] == (pd.Timestamp("2026-11-30"), pipeline.UNCONFIRMED_DAYS, True)
    assert calls["labour"] == (1, "2026-11-30")
    assert fu.missing_engines == () and fu.reported_week == "2026-W48"
    for name in pipeline.FOLLOW_UP_TABLES:
        assert (run / "follow_up" / f"{name}.csv").is_file(), name
    kpis = read_table(run / "follow_up" / "kpis.csv").set_index("kpi").value
    assert kpis["attainment_pct"] == pytest.approx(85.7) and kpis["late_purchase_orders"] == 1
    assert kpis["labour_shortfall_h"] == 4  # this week's shifts only: the 50 h of next week are not in it
    assert len(read_table(run / "follow_up" / "labour_requirements.csv")) == 4  # the table keeps them
    assert fu.supplier_pages == {"S001": "S001", "S002": "S002"}
    assert (run / "follow_up" / "supplier" / "S002.html").read_text() == "<html><body>open orders of S002</body></html>"
    assert (run / "follow_up" / "supplier" / "S001.eml").read_bytes().startswith(b"To: buyer@S001")
    page = (run / "status_report.html").read_text(encoding="utf-8")
    assert "12 of 14 operations planned to finish were reported done" in page
    assert "released orders&#x27; due dates (no previous plan in the archive)" in page
    assert 'href="follow_up/supplier/S001.html"' in page and "€ 250" in _section(page, "inventory")
    # the archive keeps the plan's KPIs and the follow-up's, for next week's trend
    archived = pipeline._archive_tables(run)["kpis"].set_index("kpi").value
    assert archived["inventory_value"] == 250 and archived["attainment_pct"] == pytest.approx(85.7)


def test_attainment_compares_with_the_schedule_archived_for_the_reported_week(tmp_path, monkeypatch):
    from planlib import archive, pipeline

    calls = _fake_engines(monkeypatch)
    db = tmp_path / "archive.duckdb"
    published = pd.DataFrame({"order_id": ["MO-1"], "op_seq": [10], "work_center_id": ["ASSY"]})
    kpis = pd.DataFrame([dict(kpi="attainment_pct", label="", value=90.0, unit="%", good=None)])
    archive.archive_run(db, "2026-W48", "base", {"schedule": published, "kpis": kpis})
    archive.archive_run(db, "2026-W47", "base", {"schedule": published.assign(order_id="MO-0")})
    fu = pipeline.follow_up_step(_plant(), PlanParams(plan_start="2026-11-30"), _run_dir(tmp_path), str(db))
    week, previous = calls["attainment"]
    assert week == "2026-W48" and list(previous.order_id) == ["MO-1"]
    assert fu.basis == "the schedule published for 2026-W48"
    # two weeks of attainment (90 % archived, 85.7 % now): the trend is drawn
    assert "No trend yet" not in _section(fu.status_page, "trend") and "vegaEmbed(" in _section(fu.status_page, "trend")


def test_reports_of_other_weeks_only_give_the_no_reports_sentence(tmp_path, monkeypatch):
    from planlib import pipeline

    calls = _fake_engines(monkeypatch)
    fu = pipeline.follow_up_step(_plant(report_dates=("2026-11-17",)), PlanParams(plan_start="2026-11-30"),
                                 _run_dir(tmp_path))
    assert "attainment" not in calls and "attainment_pct" not in set(fu.kpis.kpi)
    assert "No production reports this week" in _section(fu.status_page, "progress")


def test_supplier_file_names_are_safe_and_distinct():
    from planlib.pipeline import supplier_file_name

    names = [supplier_file_name(s) for s in ("S001", "S/001", "S_001", "../x", "Å")]
    assert names[0] == "S001" and len(set(names)) == len(names)
    assert all(re.fullmatch(r"[A-Za-z0-9_-]+", n) for n in names)


def test_index_links_the_status_report_first_and_the_supplier_pages(tmp_path):
    from planlib.report import write_index

    run = tmp_path / "2026-W49" / "base"
    (run / "follow_up" / "supplier").mkdir(parents=True)
    for name in ("forecast.html", "weekly_report.html", "status_report.html", "follow_up/supplier/S001.html"):
        (run / name).write_text("<html></html>")
    page = write_index(tmp_path).read_text()
    links = re.findall(r'<a href="([^"]+)">([^<]+)</a>', page)
    assert links[0] == ("2026-W49/base/status_report.html", "status report")
    assert ("2026-W49/base/follow_up/supplier/S001.html", "supplier S001") in links


def test_a_scenario_is_compared_with_the_base_plan_not_with_its_follow_up(tmp_path):
    """The archive keeps the follow-up KPIs with the plan's; the scenario comparison (run before the
    scenario's own follow-up) compares plans only, so no follow-up KPI shows up with a blank scenario value."""
    from planlib import pipeline

    kpis = pd.DataFrame({"kpi": ["inventory_value", "attainment_pct", "late_purchase_orders"],
                         "value": [10.0, 80.0, 2.0]})
    base = pipeline._base_plan(tmp_path / "no-run", {"kpis": kpis})
    assert list(base["kpis"].kpi) == ["inventory_value"]
    assert set(status.FOLLOW_UP_KPIS) == set(status.follow_up_kpis(follow_up_tables()).kpi)


def test_late_lines_say_how_many_were_past_due_and_why_the_others_are_late():
    lines = pd.DataFrame({"order_id": ["SO-1", "SO-2", "SO-3", "SO-4"], "customer_id": ["C1"] * 4,
                          "item_id": ["FG-01"] * 4, "qty": [1.0] * 4,
                          "due_date": pd.to_datetime(["2026-11-20", "2026-11-25", "2026-12-02", "2026-12-03"]),
                          "scheduled_date": pd.to_datetime(["2026-11-30"] * 2 + ["2026-12-04"] * 2),
                          "days_late": [10.0, 5.0, 2.0, 1.0],
                          "reason": ["due 2026-11-20, before the plan start", "due 2026-11-25, before the plan start",
                                     "scheduled: MO-50012 op 20 ends 2026-12-04 on LATHE-1",
                                     "scheduled: MO-50019 op 30 ends 2026-12-04 on LATHE-1"]})
    page = status.status_page({"late_order_lines": lines}, None, None, "2026-W49")
    text = _section(page, "late")
    assert "4 customer order lines</b> will be late: 2 were already past due when the week started" in text
    assert "the others: scheduled: op ends on LATHE-1 (2)" in text


def test_labour_without_staffing_shows_hours_needed_and_claims_no_cover():
    """Without a staffing table the operators are unknown: the page gives the hours needed and says so,
    never "staffing covers" nor a 0 h shortfall card."""
    lab = pd.DataFrame({"work_center_id": ["ASSY", "ASSY", "LATHE"], "hours_needed": [10.0, 6.0, 4.5],
                        "operators": [float("nan")] * 3, "hours_available": [0.0] * 3, "shortfall_h": [0.0] * 3,
                        "idle_h": [0.0] * 3})
    page = status.status_page({"labour_requirements": lab}, None, None, "2026-W49")
    text = _section(page, "labour")
    assert "needs <b>20.5 operator hours</b>" in text and "no <code>staffing</code> table" in text
    assert "Staffing covers" not in text
    assert "labour_shortfall_h" not in set(status.follow_up_kpis({"labour_requirements": lab}).kpi)
    staffed = lab.assign(operators=2.0, hours_available=[16.0, 16.0, 16.0])
    assert "Staffing covers" in _section(status.status_page({"labour_requirements": staffed}, None, None,
                                                            "2026-W49"), "labour")
    assert "labour_shortfall_h" in set(status.follow_up_kpis({"labour_requirements": staffed}).kpi)


def test_costs_section_reads_the_variance_engine_s_own_table(sample_files):
    """The page's cost section from planlib.variance.costs of the sample's week 2026-W47 (its
    ``cost_type`` layout): the three cost types and their total, not 'nothing was reported produced'."""
    from planlib import variance

    by_week = variance.costs(sample_files, "2026-W47").by_week
    assert set(by_week.cost_type) == {"material", "labour", "machine"}
    c = status._cost_variance(by_week).set_index("cost")
    assert sorted(c.index) == ["labour", "machine", "material"]
    assert c.variance.sum() == pytest.approx(by_week.variance.sum())
    page = status._costs({"cost_by_week": by_week}, {"reported_week": "2026-W47"}, "EUR")
    assert "nothing was reported produced" not in page and "standard" in page
