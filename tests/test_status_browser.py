"""The plant manager's status report as Chromium renders it, offline: key figure cards first, every
section, every chart drawn, no console error, no request to another host; and the sentences a plant
without execution data gets.

Uses the session fixture ``weekly_reports`` (weekly runs of the sample, 2026-W48 and 2026-W49) and the
hand-built follow-up tables of ``tests/test_status.py``.
"""
from __future__ import annotations

import dataclasses
import re
import shutil

import pandas as pd
import pytest
from browser import chromium, needs_chromium, open_page, other_hosts

from planlib import status

#: The execution tables of the data contract (#15): without them a plant has nothing reported.
EXECUTION_TABLES = frozenset({"production_reports", "goods_receipts", "material_issues", "supplier_confirmations"})


def _render(context, path):
    """Open a page and wait until every chart has drawn; return (page, errors, requests, facts)."""
    page, errors, requests = open_page(context, path)
    if page.locator(".planlib-chart").count():
        page.wait_for_function("""() => Array.from(document.querySelectorAll('.planlib-chart'))
            .every(c => c.querySelector('svg'))""", timeout=20_000)
    facts = page.evaluate("""() => ({
        order: Array.from(document.querySelectorAll('body > section')).map(s => s.id),
        headings: Array.from(document.querySelectorAll('section.planlib-status > h2')).map(h => h.innerText),
        cards: document.querySelectorAll('#kpis .planlib-kpi').length,
        firstBlock: document.querySelector('body > section').id,
        charts: Array.from(document.querySelectorAll('.planlib-chart')).map(c => ({
            id: c.id, marks: c.querySelectorAll('svg g.role-mark > *').length})),
        text: document.body.innerText})""")
    return page, errors, requests, facts


def _check_layout(facts, errors, requests):
    assert errors == [], errors
    assert other_hosts(requests) == []
    assert facts["firstBlock"] == "kpis" and facts["cards"] >= 1  # key figures first
    assert facts["order"] == ["kpis"] + [sid for sid, _ in status.SECTIONS]
    assert facts["headings"] == [head for _, head in status.SECTIONS]
    empty = [c["id"] for c in facts["charts"] if c["marks"] == 0]
    assert empty == [], f"charts drawn without marks: {empty}"
    for noise in ("NaN", "None", "NaT", "Traceback", "undefined"):
        assert noise not in facts["text"], noise


@pytest.mark.browser
@needs_chromium
def test_status_report_with_execution_data_draws_every_chart(tmp_path):
    from test_status import follow_up_tables, history

    tables = follow_up_tables()
    kpis = pd.concat([status.follow_up_kpis(tables),
                      pd.DataFrame([dict(kpi="inventory_value", label="inventory value on hand (currency)",
                                         value=505000.0, unit="", good=None)])], ignore_index=True)
    path = tmp_path / "status_report.html"
    path.write_text(status.status_page(tables, kpis, history(), "2026-W49",
                                       facts={"basis": "the schedule published for 2026-W48"}), encoding="utf-8")
    with chromium() as context:
        page, errors, requests, facts = _render(context, path)
        _check_layout(facts, errors, requests)
        assert sorted(c["id"] for c in facts["charts"]) == sorted(
            f"planlib-status-{n}" for n in ("attainment", "trend", "inventory", "costs", "scrap", "downtime", "labour"))
        # the attainment chart has a bar per work center and measure: 2 x 2
        bars = page.locator("#planlib-status-attainment svg g.mark-rect > path").count()
        assert bars == 4
        assert "12 of 14 operations planned to finish were reported done" in facts["text"]
        assert "No production reports this week" not in facts["text"]


@pytest.mark.browser
@needs_chromium
def test_status_report_of_a_weekly_run_opens_offline_from_the_index(weekly_reports):
    with chromium() as context:
        index, errors, _ = open_page(context, weekly_reports / "index.html")
        assert errors == []
        first = index.eval_on_selector_all("tbody tr", "rows => rows.map(r => r.querySelector('a').getAttribute('href'))")
        assert "2026-W49/base/status_report.html" in first  # each run's first link is its status report
        for run in ("2026-W48/base", "2026-W49/base", "2026-W48/lathe_breakdown"):
            page, errors, requests, facts = _render(context, weekly_reports / run / "status_report.html")
            _check_layout(facts, errors, requests)
            assert "Status report, week " + run[:8] in facts["text"]
            if run == "2026-W49/base":  # two archived weeks of inventory value: the trend is drawn
                assert [c["marks"] > 0 for c in facts["charts"] if c["id"] == "planlib-status-inventory"] == [True]
            page.close()


@pytest.mark.browser
@needs_chromium
def test_a_plant_without_execution_data_gets_sentences(weekly_reports, tmp_path):
    """The sample's week 2026-W49 run, followed up again on the data without any execution table."""
    from planlib import pipeline

    run = tmp_path / "2026-W49" / "base"
    shutil.copytree(weekly_reports / "2026-W49" / "base", run)
    ds, params, _ = pipeline.inputs(str(pipeline.ROOT / "data" / "sample"), "2026-W49")
    bare = dataclasses.replace(ds, tables={k: v for k, v in ds.tables.items() if k not in EXECUTION_TABLES},
                               present=ds.present - EXECUTION_TABLES)
    pipeline.follow_up_step(bare, params, run, archive="")
    with chromium() as context:
        page, errors, requests, facts = _render(context, run / "status_report.html")
        _check_layout(facts, errors, requests)
        text = facts["text"]
        assert "No production reports this week: the dataset holds no production_reports for 2026-W48" in text
        assert "No costs against plan for 2026-W48" in text and "No scrap reported in 2026-W48" in text
        assert "No material issues to compare with standard in 2026-W48" in text
        assert "No trend yet" in text  # no archive given
        assert not [c for c in facts["charts"] if c["id"] in ("planlib-status-attainment", "planlib-status-costs",
                                                               "planlib-status-scrap", "planlib-status-downtime")]
        assert re.search(r"Inventory on hand is worth € [\d,]+ at standard cost", text)
