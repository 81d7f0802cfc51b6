"""Schedule attainment, production rates and downtime (planlib.attainment, #15).

The hand-built case ``tests/data/attainment/hand_case`` (its README works every figure out) follows
the APICS/ASCM definition of schedule attainment: the share of the operations (and quantity)
scheduled to be completed in a period that were completed in it. No published worked example of
the measure was found to cite; the case is built by hand.
"""
from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from planlib.attainment import attainment, week_reports
from planlib.data import from_frames, load

CASE = Path(__file__).parent / "data" / "attainment" / "hand_case"
WEEK = "2026-W48"


@pytest.fixture(scope="module")
def ds():
    return load(CASE)


@pytest.fixture(scope="module")
def schedule():
    return pd.read_csv(CASE / "schedule.csv", parse_dates=["setup_start", "start", "end"])


def _with(ds, **tables):
    return dataclasses.replace(ds, tables={**ds.tables, **tables}, present=ds.present | set(tables))


def test_by_work_center_matches_the_hand_case(ds, schedule):
    a = attainment(ds, WEEK, schedule)
    assert a.basis == "the schedule published for 2026-W48"
    wc = a.by_work_center.set_index("work_center_id")
    assert list(wc.index) == ["ASSY", "CUT"]
    assert (wc.week == WEEK).all()
    assert wc.loc["CUT", ["ops_planned", "ops_done"]].tolist() == [3, 1]
    assert wc.loc["CUT", "ops_attainment_pct"] == pytest.approx(100 / 3)
    assert wc.loc["CUT", ["qty_planned", "qty_good"]].tolist() == [35.0, 24.0]
    assert wc.loc["CUT", "qty_attainment_pct"] == pytest.approx(100 * 24 / 35)
    assert wc.loc["ASSY", ["ops_planned", "ops_done"]].tolist() == [2, 1]
    assert wc.loc["ASSY", "qty_attainment_pct"] == pytest.approx(60.0)
    # hours: half of PLN-1 op 20's working time (Fri 12:00-14:00 of Fri 12:00 .. Mon 08:00) is in the week
    assert wc.loc["CUT", "hours_planned"] == pytest.approx(5.0)
    assert wc.loc["ASSY", "hours_planned"] == pytest.approx(5.0)
    # reported machine hours of the week only (the 2026-11-30 report is next week's)
    assert wc.loc["CUT", "hours_reported"] == pytest.approx(4.0)
    assert wc.loc["ASSY", "hours_reported"] == pytest.approx(2.0)


def test_by_order_follows_released_planned_orders_and_upstream_scrap(ds, schedule):
    o = attainment(ds, WEEK, schedule).by_order.set_index("planned_order")
    # PLN-1 was released as MO-2: its reports count for it
    assert o.loc["PLN-1", "order_id"] == "MO-2"
    assert o.loc["PLN-1", ["qty_planned", "qty_good", "qty_scrap"]].tolist() == [20.0, 15.0, 1.0]
    assert bool(o.loc["PLN-1", "late"]) and o.loc["PLN-1", "ops_done"] == 0
    # MO-1 op 20 made 9 of 10 planned, but 1 was scrapped at op 10: nothing more could arrive, done
    assert o.loc["MO-1", ["ops_planned", "ops_done"]].tolist() == [2, 2]
    assert o.loc["MO-1", "attainment_pct"] == 100.0 and not bool(o.loc["MO-1", "late"])
    # PLN-2 never released: late, nothing reported
    assert o.loc["PLN-2", "order_id"] == "PLN-2" and bool(o.loc["PLN-2", "late"])
    assert list(attainment(ds, WEEK, schedule).by_order.late) == [True, True, False]  # late first


def test_progress_marks_an_operation_done(ds, schedule):
    prog = pd.DataFrame({"order_id": ["MO-2"], "op_seq": [10], "status": ["done"], "qty_done": [20.0]})
    a = attainment(_with(ds, operations_progress=prog), WEEK, schedule)
    assert a.by_order.set_index("planned_order").loc["PLN-1", "ops_done"] == 1
    assert a.by_work_center.set_index("work_center_id").loc["CUT", "ops_done"] == 2


def test_rates_against_the_routing_standard(ds, schedule):
    r = attainment(ds, WEEK, schedule).rates.set_index("work_center_id")
    # CUT: 26 units in 3.0 run hours (setup and downtime out); standard 10 x 6/60 + 16 x 6/1.2/60 h
    assert r.loc["CUT", "qty"] == 26.0
    assert r.loc["CUT", "run_hours"] == pytest.approx(3.0)
    assert r.loc["CUT", "standard_hours"] == pytest.approx(1.0 + 16 * 5 / 60, abs=1e-3)
    assert r.loc["CUT", "units_per_hour"] == pytest.approx(26 / 3)
    assert r.loc["CUT", "rate_pct"] == pytest.approx(100 * (1.0 + 16 * 5 / 60) / 3.0, abs=0.01)
    assert r.loc["ASSY", "standard_units_per_hour"] == pytest.approx(5.0)
    assert r.loc["ASSY", "rate_pct"] == pytest.approx(90.0)


def test_downtime_by_reason(ds, schedule):
    d = attainment(ds, WEEK, schedule).downtime
    assert d.to_dict("records") == [dict(work_center_id="CUT", downtime_reason="tool change", downtime_min=30.0,
                                         share_pct=100.0, cumulative_pct=100.0)]


def test_without_a_previous_schedule_released_orders_due_in_the_week(ds):
    a = attainment(ds, WEEK, None)
    assert a.basis == "released orders' due dates (no previous plan in the archive)"
    # only MO-1 is due in the week (MO-2 on 2026-12-01); both its operations are done
    assert a.by_order[["order_id", "ops_planned", "ops_done", "late"]].to_dict("records") == [
        dict(order_id="MO-1", ops_planned=2, ops_done=2, late=False)]
    wc = a.by_work_center.set_index("work_center_id")
    assert wc.loc["CUT", "hours_planned"] == pytest.approx(0.5 + 1.0)  # setup + 10 x 6 min
    assert wc.loc["CUT", "qty_attainment_pct"] == pytest.approx(90.0)


def test_week_reports_take_only_the_week(ds):
    rep = week_reports(ds, WEEK)
    assert len(rep) == 3 and rep.report_date.max() < pd.Timestamp("2026-11-30")
    assert list(rep.first_in_week) == [True, True, True]
    nxt = week_reports(ds, "2026-W49")
    assert len(nxt) == 1 and not bool(nxt.first_in_week.iloc[0])  # MO-2 op 10 started the week before


def test_bad_inputs_say_what_to_fix(ds, schedule):
    with pytest.raises(ValueError, match="lacks column.*run_min.*schedule.csv"):
        attainment(ds, WEEK, schedule.drop(columns=["run_min"]))
    with pytest.raises(ValueError, match="not an ISO week.*YYYY-Www"):
        attainment(ds, "48", schedule)


def test_no_reports_at_all(ds, schedule):
    empty = ds.production_reports.iloc[0:0]
    a = attainment(_with(ds, production_reports=empty), WEEK, schedule)
    assert a.by_work_center.ops_done.sum() == 0
    assert a.by_work_center.qty_attainment_pct.fillna(0).eq(0).all()
    assert a.by_order.late.all() and len(a.rates) == 0 and len(a.downtime) == 0


_OPS = [("MO-1", 10, "CUT-1"), ("MO-1", 20, "ASSY-1"), ("MO-2", 10, "CUT-2"), ("MO-2", 20, "ASSY-1")]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.sampled_from(range(len(_OPS))), st.integers(0, 25), st.integers(0, 5),
                          st.integers(23, 29)), max_size=12),
       st.booleans())
def test_attainment_invariants(ds, schedule, reports, with_schedule):
    rows = []
    for k, good, scrap, day in reports:
        o, s, m = _OPS[k]
        rows.append(dict(order_id=o, op_seq=s, machine_id=m, report_date=f"2026-11-{day}",
                         start=f"2026-11-{day} 06:00", end=f"2026-11-{day} 08:00", qty_good=float(good),
                         qty_scrap=float(scrap), labour_hours=2.0))
    rep = from_frames({"production_reports": pd.DataFrame(rows, columns=["order_id", "op_seq", "machine_id",
                                                                         "report_date", "start", "end",
                                                                         "qty_good", "qty_scrap",
                                                                         "labour_hours"])}).production_reports
    a = attainment(_with(ds, production_reports=rep), WEEK, schedule if with_schedule else None)
    wc = a.by_work_center
    assert (wc.ops_done <= wc.ops_planned).all()
    for col in ("ops_attainment_pct", "qty_attainment_pct"):
        v = wc[col].dropna()
        assert ((v >= 0) & (v <= 100 + 1e-9)).all()
    assert ((a.by_order.attainment_pct >= 0) & (a.by_order.attainment_pct <= 100)).all()
    assert (a.by_order.late == (a.by_order.ops_done < a.by_order.ops_planned)).all()
    # the work centers' operations add up to the orders'
    assert wc.ops_planned.sum() == a.by_order.ops_planned.sum()
    assert wc.ops_done.sum() == a.by_order.ops_done.sum()
    assert np.isclose(wc.hours_reported.sum(), 2.0 * len(rows), atol=0.01)


def test_a_schedule_cell_that_does_not_parse_is_named(ds, schedule):
    s = schedule.astype({"end": object})
    s.loc[2, "end"] = "tomorrow"
    with pytest.raises(ValueError, match=r"row 3, column end: 'tomorrow' is not a date and time \(1 such row"):
        attainment(ds, WEEK, s)
    s = schedule.astype({"qty": object})
    s.loc[0, "qty"] = "ten"
    with pytest.raises(ValueError, match=r"row 1, column qty: 'ten' is not a number"):
        attainment(ds, WEEK, s)


def test_a_schedule_read_as_text_gives_the_same_answer(ds, schedule):
    text = pd.read_csv(CASE / "schedule.csv", dtype=str)
    a, b = attainment(ds, WEEK, schedule), attainment(ds, WEEK, text)
    pd.testing.assert_frame_equal(a.by_work_center, b.by_work_center)
    pd.testing.assert_frame_equal(a.by_order, b.by_order)
