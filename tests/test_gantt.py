"""The Gantt chart: bars cut to working time, calendar bands, late operations, legend, zoom, tooltips.

A small factory of its own (two machines on a day-shift calendar, a breakdown, Saturday overtime) and a
hand-made schedule, so every expected value is worked out here from the calendar, not read from the code.
"""
from __future__ import annotations

import re

import pandas as pd
import pytest
from browser import chromium, needs_chromium, open_page, other_hosts
from hypothesis import given, settings
from hypothesis import strategies as st

from planlib.schedule.gantt import KINDS, calendar_bands, gantt_bars, gantt_chart

T = pd.Timestamp
MON = T("2026-11-23")  # a Monday


@pytest.fixture(scope="module")
def ds(sample):
    """Machines M1, M2 of work center A on calendar DAY (Mon-Fri 06:00-14:00); M1 breaks down on Tuesday
    06:00 to Wednesday 00:00; calendar DAY works overtime on Saturday 06:00-10:00."""
    return sample.replace(
        machines=pd.DataFrame({"machine_id": ["M1", "M2"], "work_center_id": ["A", "A"],
                               "calendar_id": [None, None], "speed_factor": [1.0, 1.0]}),
        work_centers=pd.DataFrame({"work_center_id": ["A"], "description": ["Assembly"], "calendar_id": ["DAY"],
                                   "efficiency": [1.0], "cost_per_hour": [1.0], "labour_cost_per_hour": [1.0]}),
        calendars=pd.DataFrame({"calendar_id": ["DAY"] * 5, "weekday": pd.array(range(5), dtype="Int64"),
                                "start_time": [6.0] * 5, "end_time": [14.0] * 5}),
        calendar_exceptions=pd.DataFrame({
            "calendar_id": [None, "DAY"], "machine_id": ["M1", None],
            "start": [MON + pd.Timedelta(days=1, hours=6), MON + pd.Timedelta(days=5, hours=6)],
            "end": [MON + pd.Timedelta(days=2), MON + pd.Timedelta(days=5, hours=10)],
            "kind": ["breakdown", "overtime"], "description": ["Spindle bearing", "Saturday shift"]}),
        items=pd.DataFrame({"item_id": ["I1", "I2"], "description": ["Pump body", "Shaft"], "uom": ["ea", "kg"]}),
    )


def op(order, item, seq, machine, setup_start, start, end, lateness, qty=10, setup=60, run=300):
    return {"order_id": order, "item_id": item, "family": "F", "op_seq": seq, "work_center_id": "A",
            "machine_id": machine, "setup_start": T(setup_start), "start": T(start), "end": T(end), "qty": qty,
            "due_date": T("2026-11-25"), "lateness": lateness, "setup_min": setup, "changeover_min": 0,
            "run_min": run, "earliest_start": pd.NaT, "uninterruptible": False, "crew_size": 1,
            "status": "planned", "priority": 1, "weight": 1.0}


@pytest.fixture(scope="module")
def schedule():
    """O1 op 10 on M1 runs Monday 07:00 to Wednesday 08:00 (paused overnight and through the breakdown),
    on time; O1 op 20 on M2 ends late; O2 op 10 on M2 has no setup; O3 runs in Saturday's overtime."""
    return pd.DataFrame([
        op("O1", "I1", 10, "M1", "2026-11-23 06:00", "2026-11-23 07:00", "2026-11-25 08:00", -30.0, run=540),
        op("O1", "I1", 20, "M2", "2026-11-25 08:00", "2026-11-25 09:00", "2026-11-25 11:00", 2.5, run=120),
        op("O2", "I2", 10, "M2", "2026-11-23 06:00", "2026-11-23 06:00", "2026-11-23 08:00", 0.0, setup=0,
           run=120, qty=7.5),
        op("O3", "I2", 10, "M2", "2026-11-28 06:00", "2026-11-28 06:00", "2026-11-28 09:00", -1.0, setup=0,
           run=180),
    ])


def layer_data(chart, name):
    spec = chart.to_dict()
    layer = next(l for l in spec["layer"] if l.get("name") == name)
    return pd.DataFrame(spec["datasets"][layer["data"]["name"]]), layer, spec


def test_breakdown_and_overtime_bands_on_the_machines_they_apply_to(ds):
    bands = calendar_bands(ds, ["M1", "M2"], MON, MON + pd.Timedelta(days=7))
    bd = bands[bands.kind == "breakdown"]
    assert list(bd.machine_id) == ["M1"]  # the breakdown names M1 only
    assert (bd.start.iloc[0], bd.end.iloc[0]) == (MON + pd.Timedelta(days=1, hours=6), MON + pd.Timedelta(days=2))
    assert "Spindle bearing" in bd.text.iloc[0]
    ot = bands[bands.kind == "overtime"]
    assert sorted(ot.machine_id) == ["M1", "M2"]  # calendar-wide
    off = bands[(bands.kind == "not working (off shift)") & (bands.machine_id == "M2")]
    # M2: off from Monday 14:00 to Tuesday 06:00, and over the weekend from Friday 14:00 to the overtime
    assert ((off.start == MON + pd.Timedelta(hours=14)) & (off.end == MON + pd.Timedelta(days=1, hours=6))).any()
    assert ((off.start == MON + pd.Timedelta(days=4, hours=14)) & (off.end == MON + pd.Timedelta(days=5, hours=6))).any()


def test_chart_draws_the_breakdown_band_and_no_bar_crosses_it(ds, schedule):
    chart = gantt_chart(schedule, ds, days=0)
    bands, _, _ = layer_data(chart, "bands")
    assert ((bands.kind == "breakdown") & (bands.machine_id == "M1")).sum() == 1
    bars, _, _ = layer_data(chart, "operations")
    run = bars[(bars.order_id == "O1") & (bars.op_seq == 10) & (bars.kind == "run")]
    # Monday 07:00-14:00, then nothing on Tuesday (breakdown), then Wednesday 06:00-08:00
    assert sorted(zip(run.bar_start, run.bar_end)) == [("2026-11-23T07:00:00", "2026-11-23T14:00:00"),
                                                       ("2026-11-25T06:00:00", "2026-11-25T08:00:00")]
    ot = bands[bands.kind == "overtime"]
    assert set(zip(ot.machine_id, ot.start, ot.end)) == {("M1", "2026-11-28T06:00:00", "2026-11-28T10:00:00"),
                                                        ("M2", "2026-11-28T06:00:00", "2026-11-28T10:00:00")}
    sat = bars[bars.order_id == "O3"]
    assert list(zip(sat.bar_start, sat.bar_end)) == [("2026-11-28T06:00:00", "2026-11-28T09:00:00")]


def test_late_operation_marked_not_the_whole_order(ds, schedule):
    bars = gantt_bars(schedule, ds.items)
    runs = bars[bars.kind != "setup"].set_index(["order_id", "op_seq"]).kind
    assert runs[("O1", 20)] == "run, late operation"
    assert runs[("O1", 10)] == "run"  # same late order, but this operation ends in time
    assert runs[("O2", 10)] == "run"


def test_setup_bars_and_bands_in_one_legend(ds, schedule):
    chart = gantt_chart(schedule, ds, days=0)
    bars, layer, _ = layer_data(chart, "operations")
    scale = layer["encoding"]["color"]["scale"]
    assert {"run", "run, late operation", "setup", "breakdown", "overtime", "not working (off shift)"} <= set(
        scale["domain"])
    assert dict(zip(scale["domain"], scale["range"]))["setup"] == KINDS["setup"] != KINDS["run"]
    setups = bars[bars.kind == "setup"]
    assert set(zip(setups.order_id, setups.op_seq)) == {("O1", 10), ("O1", 20)}  # O2 has no setup
    s = setups[setups.op_seq == 10].iloc[0]
    assert (s.bar_start, s.bar_end) == ("2026-11-23T06:00:00", "2026-11-23T07:00:00")


def test_tooltips_labels_and_zoom(ds, schedule):
    chart = gantt_chart(schedule, ds, days=2)
    bars, layer, spec = layer_data(chart, "operations")
    titles = [t["title"] for t in layer["encoding"]["tooltip"]]
    assert {"order", "item", "operation", "machine", "setup from", "run until", "setup", "run", "quantity",
            "order due", "late by"} <= set(titles)
    r = bars[(bars.order_id == "O1") & (bars.op_seq == 20) & (bars.kind != "setup")].iloc[0]
    assert r["item"] == "I1 Pump body" and r.operation == "op 20 at A" and r.late_text == "2.5 h late"
    assert r.setup_text == "1.00 h" and r.run_text == "2.00 h" and r.start_text == "Wed 25 Nov 2026 08:00"
    o2 = bars[bars.order_id == "O2"].iloc[0]
    assert o2.qty_text == "7.5 kg" and o2.late_text == "on time"
    labels, _, _ = layer_data(chart, "labels")
    assert "O1 I1" in set(labels.label)
    zoom = [p for p in spec.get("params", []) + layer.get("params", []) if p.get("bind") == "scales"]
    assert zoom and zoom[0]["select"]["encodings"] == ["x"]
    assert zoom[0]["value"]["x"][1]["date"] == 25  # opens on the first two days


WORK = [(d, 6, 14) for d in (0, 1, 2, 3, 4, 7, 8, 9, 10, 11)]  # DAY calendar: Mon-Fri 06:00-14:00, two weeks


def working_minutes(m, a, b):
    """Working minutes of machine m in [a, b), from the calendar written out here."""
    iv = [(MON + pd.Timedelta(days=d, hours=s), MON + pd.Timedelta(days=d, hours=e)) for d, s, e in WORK]
    iv.append((MON + pd.Timedelta(days=5, hours=6), MON + pd.Timedelta(days=5, hours=10)))  # overtime
    total = 0.0
    for s, e in iv:
        if m == "M1":  # the breakdown
            bs, be = MON + pd.Timedelta(days=1, hours=6), MON + pd.Timedelta(days=2)
            if bs <= s and e <= be:
                continue
        lo, hi = max(a, s), min(b, e)
        total += max(0.0, (hi - lo).total_seconds() / 60)
    return total


@settings(max_examples=20, deadline=None)
@given(m=st.sampled_from(["M1", "M2"]), start_h=st.integers(0, 6 * 24), length_h=st.integers(1, 60))
def test_bar_pieces_are_exactly_the_working_time(ds, m, start_h, length_h):
    a = MON + pd.Timedelta(hours=start_h)
    b = a + pd.Timedelta(hours=length_h)
    s = pd.DataFrame([op("O9", "I1", 10, m, a, a, b, 0.0)])
    bars, _, _ = layer_data(gantt_chart(s, ds, days=0), "operations")
    got = sum((T(e) - T(x)).total_seconds() / 60 for x, e in zip(bars.bar_start, bars.bar_end))
    want = working_minutes(m, a, b)
    if want == 0:  # no working time at all: the bar is kept as it is
        assert len(bars) == 1
    else:
        assert got == pytest.approx(want)


# --------------------------------------------------------------------------- in Chromium

def _hover_a_bar(page):
    """Move the mouse to the middle of a run bar that is inside the visible plot; return its aria-label."""
    box = page.evaluate("""() => {
        const clip = document.querySelector('svg').getBoundingClientRect();
        for (const p of document.querySelectorAll('g.operations_marks path')) {
            const r = p.getBoundingClientRect();
            if (r.width > 6 && r.left > clip.left + 60 && r.right < clip.right - 40 && r.top > clip.top)
                return {x: r.left + r.width / 2, y: r.top + r.height / 2, label: p.getAttribute('aria-label')};
        }
        return null; }""")
    assert box, "no bar in view"
    page.mouse.move(box["x"], box["y"])
    page.wait_for_timeout(400)
    return box["label"]


def page_data(path, layer):
    """The data of a layer of the chart in a gantt.html page (the spec is in the page)."""
    import json

    spec = json.loads(re.search(r"const spec = (\{.*\});\n", path.read_text()).group(1))
    name = next(l for l in spec["layer"] if l.get("name") == layer)["data"]["name"]
    return pd.DataFrame(spec["datasets"][name])


@pytest.mark.browser
@needs_chromium
def test_gantt_tooltips_on_hover_in_the_weekly_run(weekly_reports):
    for run in ("base", "lathe_breakdown"):
        path = weekly_reports / "2026-W48" / run / "schedule" / "gantt.html"
        with chromium() as context:
            page, errors, requests = open_page(context, path, wait_ms=1500)
            assert not errors and not other_hosts(requests)
            label = _hover_a_bar(page)
            tip = page.locator("#vg-tooltip-element")
            assert tip.is_visible()
            text = tip.inner_text()
            order = re.search(r"order: (\S+?);", label).group(1)
            assert order in text and "operation" in text and "late by" in text
        if run == "lathe_breakdown":  # LATHE-2 down Tue 06:00 to the end of Fri, LATHE-1 Wed and Thu: bands
            bands = page_data(path, "bands")
            wed = "2026-11-25T10:00:00"
            down = bands[(bands.start <= wed) & (bands.end > wed)]
            assert {"LATHE-1", "LATHE-2"} <= set(down.machine_id) and "LATHE-3" not in set(down.machine_id)
            bars = page_data(path, "operations")
            on = bars[bars.machine_id == "LATHE-2"]
            assert not ((on.bar_start < "2026-11-28T00:00:00") & (on.bar_end > "2026-11-24T06:00:00")).any()


# --------------------------------------------------------------------------- the schedule report

def test_solver_status_is_not_a_kpi_card_but_how_the_plan_was_made(sample):
    from planlib.params import PlanParams
    from planlib.pipeline import week_kpis
    from planlib.report import how_made_html
    from planlib.schedule.report import schedule_figures

    kpis = pd.DataFrame({"kpi": ["on_time_pct", "late_orders", "solver_status", "gap_pct"], "machine_id": "",
                         "value": [90.0, 2, "FEASIBLE", 12.5], "unit": ["%", "", "", ""]})
    cards = week_kpis(sample, PlanParams(plan_start=MON.date()), schedule_kpis=kpis)
    assert "solver_status" not in set(cards.kpi) and "FEASIBLE" not in set(cards.value.astype(str))
    assert list(schedule_figures(kpis).kpi) == ["on_time_pct", "late_orders"]
    text = how_made_html(PlanParams(plan_start=MON.date(), time_limit_s=30, seed=0, workers=2,
                                    deterministic=False),
                         info={"solver_status": "FEASIBLE", "gap_pct": 12.5, "objective": 80,
                               "heuristic_objective": 100})
    assert "not proven best" in text and "12.5 %" in text and "30 s" in text and "gave 100" in text
    optimal = how_made_html(info={"solver_status": "OPTIMAL"})
    assert "no better schedule exists" in optimal and "Gap" not in optimal


def test_late_operations_and_links_to_the_pages(ds, schedule):
    from planlib.schedule.report import late_operations, page_links

    late = late_operations(schedule, ds.items)
    assert list(zip(late.order_id, late.op_seq)) == [("O1", 20)] and late.late_hours[0] == 2.5
    assert late.description[0] == "Pump body"
    links = page_links(["A", "B/C"])
    assert 'href="schedule/gantt.html"' in links and 'href="schedule/dispatch_A.html"' in links
    assert 'href="schedule/dispatch_B_C.html"' in links  # the file name schedule_pages writes
