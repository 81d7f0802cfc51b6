"""Work tickets: components to pick, next operation, hours, order status, one printed page per ticket list.

A small BOM and routing of their own and a hand-made schedule: every expected quantity is worked out here.
"""
from __future__ import annotations

import re

import pandas as pd
import pytest
from browser import chromium, needs_chromium, open_page, other_hosts
from hypothesis import given, settings
from hypothesis import strategies as st

from planlib.schedule.report import dispatch_html, dispatch_list
from planlib.schedule.tickets import components_to_pick, next_steps, tickets_html, work_tickets

T = pd.Timestamp


@pytest.fixture(scope="module")
def ds(sample):
    """P1 (ops 10 at CUT, 20 at ASM) is made of 2 C1 (10 % scrap) and 0.5 kg C2; SUB (op 10 at CUT) of
    3 C1; a BOM line of P1 that expired before the plan (C3) is not picked."""
    return sample.replace(
        items=pd.DataFrame({"item_id": ["P1", "SUB", "C1", "C2", "C3"],
                            "description": ["Pump", "Sub-assembly", "Bolt", "Steel", "Old part"],
                            "uom": ["ea", "ea", "ea", "kg", "ea"]}),
        bom=pd.DataFrame({"parent_id": ["P1", "P1", "P1", "SUB"], "component_id": ["C1", "C2", "C3", "C1"],
                          "qty_per": [2.0, 0.5, 1.0, 3.0], "scrap_pct": [10.0, None, 0.0, 0.0],
                          "valid_from": pd.to_datetime([None, None, None, None]),
                          "valid_to": pd.to_datetime([None, None, "2026-01-01", None])}),
        routings=pd.DataFrame({"item_id": ["P1", "P1", "SUB"], "op_seq": pd.array([10, 20, 10], dtype="Int64"),
                               "work_center_id": ["CUT", "ASM", "CUT"], "setup_min": [60.0, 30.0, 0.0],
                               "run_min_per_unit": [1.0, 1.0, 1.0], "crew_size": [2.0, 1.0, 1.0],
                               "uninterruptible": [False, False, False]}),
        work_centers=pd.DataFrame({"work_center_id": ["CUT", "ASM"], "description": ["Cutting", "Assembly"],
                                   "calendar_id": ["DAY", "DAY"], "efficiency": [1.0, 1.0],
                                   "cost_per_hour": [1.0, 1.0], "labour_cost_per_hour": [1.0, 1.0]}),
    )


def op(order, item, seq, wc, machine, setup_start, start, end, qty, setup=60, run=300, lateness=-1.0, crew=1):
    return {"order_id": order, "item_id": item, "family": "F", "op_seq": seq, "work_center_id": wc,
            "machine_id": machine, "setup_start": T(setup_start), "start": T(start), "end": T(end), "qty": qty,
            "due_date": T("2026-11-27"), "lateness": lateness, "setup_min": setup, "changeover_min": 15,
            "run_min": run, "earliest_start": pd.NaT, "uninterruptible": False, "crew_size": crew,
            "status": "planned", "priority": 1, "weight": 1.0}


@pytest.fixture(scope="module")
def schedule():
    """R1 (released, 30 P1) at CUT on Monday then ASM on Tuesday; S1 (10 SUB, planned) at CUT on Wednesday;
    the 9932-minute run of R1 op 10 is 165.53 h."""
    return pd.DataFrame([
        op("R1", "P1", 10, "CUT", "CUT-1", "2026-11-23 06:00", "2026-11-23 07:15", "2026-11-23 12:00", 30, run=9932,
           crew=2),
        op("R1", "P1", 20, "ASM", "ASM-1", "2026-11-24 06:00", "2026-11-24 06:45", "2026-11-24 09:00", 30, setup=30,
           run=135, lateness=2.0),
        op("S1", "SUB", 10, "CUT", "CUT-1", "2026-11-25 06:00", "2026-11-25 06:15", "2026-11-25 07:00", 10, setup=0,
           run=30),
    ])


ORDERS = pd.DataFrame({"order_id": ["R1", "S1"], "status": ["released", "planned"]})
MATERIAL = pd.DataFrame({"order_id": ["X9"], "item_id": ["P9"], "op_seq": [10], "supply_id": ["S1"]})


def test_components_are_bom_times_order_quantity_with_scrap(ds, schedule):
    c = components_to_pick(schedule, ds).set_index(["order_id", "op_seq", "component_id"])
    assert c.loc[("R1", 10, "C1"), "qty"] == pytest.approx(30 * 2 * 1.10)  # 66 with 10 % scrap
    assert c.loc[("R1", 10, "C2"), "qty"] == pytest.approx(15.0) and c.loc[("R1", 10, "C2"), "uom"] == "kg"
    assert ("R1", 10, "C3") not in c.index  # expired BOM line
    assert ("R1", 20, "C1") not in c.index  # consumed by the first operation only
    assert c.loc[("S1", 10, "C1"), "qty"] == pytest.approx(30.0)


@settings(max_examples=25, deadline=None)
@given(qty=st.integers(1, 100_000), per=st.floats(0.01, 50), scrap=st.floats(0, 60))
def test_components_scale_with_quantity(ds, schedule, qty, per, scrap):
    bom = ds.bom.assign(qty_per=[per, 0.5, 1.0, 3.0], scrap_pct=[scrap, 0.0, 0.0, 0.0])
    s = schedule.iloc[[0]].assign(qty=qty)
    c = components_to_pick(s, ds.replace(bom=bom)).set_index("component_id")
    assert c.loc["C1", "qty"] == pytest.approx(qty * per * (1 + scrap / 100))


def test_next_operation_and_where_the_parts_go(schedule):
    nxt = next_steps(schedule, MATERIAL)
    assert nxt[0] == "op 20 at ASM (ASM-1), from Tue 24 Nov 2026 06:00"
    assert nxt[1] == "to stock"
    assert nxt[2] == "to order X9 (P9, op 10)"  # S1 is made for X9


def test_hours_crew_status_and_year_on_the_ticket(ds, schedule):
    t = work_tickets(schedule, ds, ORDERS, MATERIAL).set_index(["order_id", "op_seq"])
    r = t.loc[("R1", 10)]
    assert r.setup_hours == pytest.approx(75 / 60) and r.run_hours == pytest.approx(9932 / 60)
    assert r.order_status == "released" and r.crew_size == 2 and r.description == "Pump" and r.uom == "ea"
    assert t.loc[("S1", 10), "order_status"] == "planned"
    page = tickets_html(work_tickets(schedule, ds, ORDERS, MATERIAL), "CUT", "2026-W48", work_center_name="Cutting")
    assert "165.53 h" in page and "1.25 h" in page and "9932" not in page  # hours, not minutes
    assert "Mon 23 Nov 2026 07:15" in page and "Plan week 2026-W48" in page and "printed" in page
    assert "Bolt: <b>66 ea</b>" in page and "Steel: <b>15 kg</b>" in page
    assert "op 20 at ASM (ASM-1)" in page and "to order X9" in page
    assert page.count("<section class='list'>") == 2  # Monday and Wednesday
    assert page.count("class='blank'") == 3 * 2  # good qty, scrap, sign-off on each ticket
    assert "@media print" in page and "break-after:page" in page


def test_released_order_reads_released_on_the_dispatch_list(schedule):
    d = dispatch_list(schedule, ORDERS).set_index("order_id")
    assert d.loc["R1", "status"].tolist() == ["released", "released"]
    assert d.loc["S1", "status"] == "planned"
    running = schedule.assign(status=["running", "planned", "planned"])
    assert dispatch_list(running, ORDERS).set_index(["order_id", "op_seq"]).loc[("R1", 10), "status"] == \
        "in progress (running)"
    page = dispatch_html(dispatch_list(schedule, ORDERS), "CUT")
    assert re.search(r"R1<br><span class='status'>released", page)


# --------------------------------------------------------------------------- printing in Chromium

def pdf_pages(pdf: bytes) -> int:
    return len(re.findall(rb"/Type\s*/Page(?!s)", pdf))


@pytest.mark.browser
@needs_chromium
def test_one_printed_page_per_ticket_list(ds, schedule, tmp_path):
    days = pd.concat([schedule.assign(setup_start=schedule.setup_start + pd.Timedelta(days=7 * k),
                                      start=schedule.start + pd.Timedelta(days=7 * k),
                                      end=schedule["end"] + pd.Timedelta(days=7 * k),
                                      order_id=schedule.order_id + f"-{k}") for k in range(2)], ignore_index=True)
    path = tmp_path / "dispatch_CUT.html"
    path.write_text(tickets_html(work_tickets(days, ds), "CUT", "2026-W48"))
    with chromium() as context:
        page, errors, requests = open_page(context, path)
        assert not errors and not other_hosts(requests)
        assert pdf_pages(page.pdf(format="A4")) == 4  # Monday, Wednesday of two weeks


@pytest.mark.browser
@needs_chromium
def test_weekly_run_dispatch_pages_print_and_are_linked_from_the_index(weekly_reports):
    index = (weekly_reports / "index.html").read_text()
    for run in ("2026-W48/base", "2026-W49/base", "2026-W48/lathe_breakdown"):
        pages = sorted((weekly_reports / run / "schedule").glob("dispatch_*.html"))
        assert pages
        for p in pages:
            assert f'href="{run}/schedule/{p.name}"' in index
        assert f'href="{run}/schedule/gantt.html"' in index
    with chromium() as context:
        for p in sorted((weekly_reports / "2026-W48" / "base" / "schedule").glob("dispatch_*.html"))[:3]:
            page, errors, requests = open_page(context, p)
            assert not errors and not other_hosts(requests)
            lists = page.locator("section.list").count()
            text = page.inner_text("body")
            assert lists >= 1 and "Plan week 2026-W48" in text and "Sign-off" in text
            printed = pdf_pages(page.pdf(format="A4"))
            assert printed >= lists  # each list starts a new page
            if lists > 1:  # and it is the page break that does it
                page.add_style_tag(content="section.list{break-after:auto!important;page-break-after:auto!important}")
                assert pdf_pages(page.pdf(format="A4")) < printed


def test_index_links_the_gantt_chart_and_every_work_tickets_page(tmp_path):
    from planlib.report import write_index

    run = tmp_path / "2026-W48" / "base"
    (run / "schedule").mkdir(parents=True)
    (run / "weekly_report.html").write_text("x")
    for name in ("gantt.html", "dispatch_ASSY.html", "dispatch_LATHE.html"):
        (run / "schedule" / name).write_text("x")
    page = write_index(tmp_path).read_text()
    for name in ("gantt.html", "dispatch_ASSY.html", "dispatch_LATHE.html"):
        assert f'href="2026-W48/base/schedule/{name}"' in page
    assert ">work tickets LATHE</a>" in page and ">Gantt chart</a>" in page
