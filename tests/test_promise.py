"""promise_dates: the promise date of every customer order line, by the schedule and by MRP."""
from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from planlib.promise import PROMISE_COLUMNS, promise_dates

T0 = pd.Timestamp("2026-11-23")  # Monday of 2026-W48
TS = pd.Timestamp
PEG_COLUMNS = ["item_id", "supply_type", "supply_id", "supply_date", "demand_type", "demand_id",
               "demand_item_id", "demand_date", "qty"]


def peg(item, stype, sid, sdate, dtype, did, ditem, ddate, qty):
    return dict(zip(PEG_COLUMNS, (item, stype, sid, pd.Timestamp(sdate) if sdate else pd.NaT, dtype, did, ditem,
                                  pd.Timestamp(ddate), qty)))


def op(order_id, item, seq, wc, setup_start, start, end, due, earliest=None):
    return dict(order_id=order_id, item_id=item, op_seq=seq, work_center_id=wc, machine_id=f"{wc}-1",
                setup_start=TS(setup_start), start=TS(start), end=TS(end), due_date=TS(due),
                earliest_start=TS(earliest) if earliest else pd.NaT)


@pytest.fixture()
def case():
    """A small hand-built plan.

    - SO-1 (FG-A, 10) from stock;
    - SO-2 (FG-A, 20, due Thu 26 Nov) from PLN-1, which the schedule finishes Fri 27 Nov 10:00:
      its assembly waits at ASSY from Mon 06:30 to Wed 14:00 (capacity);
    - SO-3 (FG-B, 40) has no supply;
    - SO-4 (FG-A, 5, due 20 Dec) from PLN-2, released 14 Dec, beyond the 14-day schedule;
    - SO-5 (RM-1 spare part, 3) from the planned purchase order PLN-3 due 30 Nov;
    - SO-6 (FG-C, 8, due 25 Nov) from PLN-4 (late for material: its component SA-1 comes from PLN-5,
      which ends Wed 25 Nov 18:00; RM-2 from PO-9 due 24 Nov), and partly from stock.
    """
    demand = pd.DataFrame({
        "order_id": ["SO-1", "SO-2", "SO-3", "SO-4", "SO-5", "SO-6"],
        "customer_id": ["C1", "C2", "C3", "C4", "C5", "C6"],
        "item_id": ["FG-A", "FG-A", "FG-B", "FG-A", "RM-1", "FG-C"],
        "qty": [10.0, 20.0, 40.0, 5.0, 3.0, 8.0],
        "due_date": pd.to_datetime(["2026-11-25", "2026-11-26", "2026-11-27", "2026-12-20", "2026-12-01",
                                    "2026-11-25"]),
        "priority": [3, 3, 3, 3, 3, 3],
    })
    pegging = pd.DataFrame([
        peg("FG-A", "on_hand", "on hand", None, "customer_order", "SO-1", "FG-A", "2026-11-25", 10.0),
        peg("FG-A", "planned_order", "PLN-1", "2026-11-23", "customer_order", "SO-2", "FG-A", "2026-11-26", 20.0),
        peg("FG-B", "none", "shortage", None, "customer_order", "SO-3", "FG-B", "2026-11-27", 40.0),
        peg("FG-A", "planned_order", "PLN-2", "2026-12-14", "customer_order", "SO-4", "FG-A", "2026-12-20", 5.0),
        peg("RM-1", "planned_order", "PLN-3", "2026-11-30", "customer_order", "SO-5", "RM-1", "2026-12-01", 3.0),
        peg("FG-C", "on_hand", "on hand", None, "customer_order", "SO-6", "FG-C", "2026-11-25", 2.0),
        peg("FG-C", "planned_order", "PLN-4", "2026-11-23", "customer_order", "SO-6", "FG-C", "2026-11-25", 6.0),
        # components of PLN-4
        peg("SA-1", "planned_order", "PLN-5", "2026-11-23", "dependent", "PLN-4", "FG-C", "2026-11-23", 6.0),
        peg("RM-2", "scheduled_receipt", "PO-9", "2026-11-24", "dependent", "PLN-4", "FG-C", "2026-11-23", 12.0),
    ])
    planned = pd.DataFrame({
        "order_id": ["PLN-1", "PLN-2", "PLN-3", "PLN-4", "PLN-5"],
        "item_id": ["FG-A", "FG-A", "RM-1", "FG-C", "SA-1"],
        "order_type": ["make", "make", "buy", "make", "make"],
        "qty": [20.0, 5.0, 3.0, 6.0, 6.0],
        "release_date": pd.to_datetime(["2026-11-23", "2026-12-14", "2026-11-23", "2026-11-23", "2026-11-23"]),
        "due_date": pd.to_datetime(["2026-11-23", "2026-12-14", "2026-11-30", "2026-11-23", "2026-11-23"]),
    })
    schedule = pd.DataFrame([
        op("PLN-1", "FG-A", 10, "SAW", "2026-11-23 06:00", "2026-11-23 06:10", "2026-11-23 06:30", "2026-11-23",
           "2026-11-23"),
        op("PLN-1", "FG-A", 20, "ASSY", "2026-11-25 14:00", "2026-11-25 14:30", "2026-11-27 10:00", "2026-11-23"),
        op("PLN-5", "SA-1", 10, "WELD", "2026-11-23 06:00", "2026-11-23 06:00", "2026-11-25 18:00", "2026-11-23",
           "2026-11-23"),
        op("PLN-4", "FG-C", 10, "ASSY", "2026-11-25 18:00", "2026-11-25 18:00", "2026-11-26 08:00", "2026-11-23",
           "2026-11-25 18:00"),
    ])
    late = pd.DataFrame({
        "order_id": ["PLN-1", "PLN-4", "PLN-5"], "item_id": ["FG-A", "FG-C", "SA-1"],
        "due_date": pd.to_datetime(["2026-11-23"] * 3),
        "completion": pd.to_datetime(["2026-11-27 10:00", "2026-11-26 08:00", "2026-11-25 18:00"]),
        "lateness": [82.0, 32.0, 42.0],
        "earliest_finish": pd.to_datetime(["2026-11-23 09:00", "2026-11-25 20:00", "2026-11-25 18:00"]),
        "reason": ["capacity", "material", "release date"],
    })
    receipts = pd.DataFrame({"order_id": ["PO-9"], "order_type": ["purchase"]})
    return dict(demand=demand, pegging=pegging, schedule=schedule, late_orders=late, planned_orders=planned,
                plan_start=T0, scheduled_receipts=receipts, horizon_days=14)


def test_hand_built_case(case):
    out = promise_dates(**case).set_index("order_id")
    assert list(out.reset_index().columns) == PROMISE_COLUMNS
    assert list(out.index) == ["SO-1", "SO-2", "SO-3", "SO-4", "SO-5", "SO-6"]

    stock = out.loc["SO-1"]  # met from stock
    assert (stock.basis, stock.scheduled_date, stock.mrp_date, stock.days_late, stock.gap_days, stock.reason) == \
        ("on hand", T0, T0, 0, 0, "")

    cap = out.loc["SO-2"]  # a make order the schedule finishes late, for capacity
    assert (cap.basis, cap.supply_id, cap.scheduled_date) == ("schedule", "PLN-1", TS("2026-11-27 10:00"))
    assert cap.mrp_date == T0 and cap.days_late == 1 and cap.gap_days == 4
    assert cap.reason == ("PLN-1 completes 2026-11-27 10:00: capacity at ASSY "
                          "(op 20 ready Mon 2026-11-23 06:30, set up from Wed 2026-11-25 14:00)")

    short = out.loc["SO-3"]  # no supply
    assert short.basis == "shortage" and short.short_qty == 40.0
    assert pd.isna(short.scheduled_date) and pd.isna(short.mrp_date) and pd.isna(short.days_late)
    assert short.reason == "no supply: 40 short of FG-B"

    beyond = out.loc["SO-4"]  # supply beyond the schedule's horizon: MRP's date
    assert (beyond.basis, beyond.supply_id, beyond.scheduled_date, beyond.mrp_date, beyond.days_late,
            beyond.gap_days, beyond.reason) == ("MRP due date", "PLN-2", TS("2026-12-14"), TS("2026-12-14"), 0, 0, "")

    bought = out.loc["SO-5"]  # a planned purchase order: its due date
    assert (bought.basis, bought.scheduled_date, bought.days_late, bought.gap_days) == \
        ("purchase order", TS("2026-11-30"), 0, 0)

    mat = out.loc["SO-6"]  # partly stock, partly a make order late for a component two supplies down
    assert (mat.basis, mat.supply_id, mat.scheduled_date, mat.days_late, mat.gap_days) == \
        ("schedule", "PLN-4", TS("2026-11-26 08:00"), 1, 3)
    assert mat.reason == "PLN-4 completes 2026-11-26 08:00: material: waits for SA-1 from PLN-5 (2026-11-25 18:00)"


def test_reason_beyond_horizon_is_said_when_late(case):
    case["demand"].loc[3, "due_date"] = TS("2026-12-10")  # SO-4 now due before PLN-2 can come
    row = promise_dates(**case).set_index("order_id").loc["SO-4"]
    assert row.days_late == 4
    assert row.reason == ("PLN-2 released 2026-12-14, beyond the schedule horizon (2026-12-07); "
                          "MRP due date 2026-12-14")


def test_specific_reasons_pass_through(case):
    """The schedule's own reason text is kept as it is when it says more than one word."""
    case["late_orders"].loc[0, "reason"] = "capacity at ASSY: ASSY-1 and ASSY-2 busy until Wed 14:00"
    row = promise_dates(**case).set_index("order_id").loc["SO-2"]
    assert row.reason == "PLN-1 completes 2026-11-27 10:00: capacity at ASSY: ASSY-1 and ASSY-2 busy until Wed 14:00"


def test_release_date_reason_and_past_due(case):
    case["pegging"].loc[1, "supply_id"] = "PLN-5"  # SO-2 now served by PLN-5 (late for its release date)
    case["demand"].loc[1, "due_date"] = TS("2026-11-20")  # and due before the plan start
    row = promise_dates(**case).set_index("order_id").loc["SO-2"]
    assert row.days_late == 5
    assert row.reason == ("due 2026-11-20, before the plan start; PLN-5 completes 2026-11-25 18:00: release date "
                          "2026-11-23: even on free machines it cannot finish before 2026-11-25 18:00")


def test_left_out_order_names_the_exception(case):
    case["schedule"] = case["schedule"][case["schedule"].order_id != "PLN-1"]
    case["exceptions"] = pd.DataFrame({"row": ["FG-A op 20"],
                                       "problem": ["order PLN-1 op 20: uninterruptible run of 900 min is longer "
                                                   "than every shift of work center ASSY"]})
    row = promise_dates(**case).set_index("order_id").loc["SO-2"]
    assert (row.basis, row.scheduled_date) == ("MRP due date", T0)
    assert row.reason == ""  # MRP's date is not late: nothing to explain
    case["demand"].loc[1, "due_date"] = TS("2026-11-20")
    row = promise_dates(**case).set_index("order_id").loc["SO-2"]
    assert "PLN-1 left out of the schedule (order PLN-1 op 20: uninterruptible run" in row.reason


def test_unpegged_line_is_flagged(case):
    case["pegging"] = case["pegging"][case["pegging"].demand_id != "SO-5"]
    row = promise_dates(**case).set_index("order_id").loc["SO-5"]
    assert row.basis == "not pegged" and pd.isna(row.scheduled_date) and "not in MRP's plan" in row.reason


def test_bad_inputs_named(case):
    from planlib.problems import InputError

    case["demand"].loc[2, "due_date"] = pd.NaT
    case["demand"].loc[4, "order_id"] = "SO-1"
    with pytest.raises(InputError) as err:
        promise_dates(**case)
    assert err.value.problems[["table", "row", "column", "value"]].values.tolist() == [
        ["demand", "demand row 3", "due_date", "NaT"], ["demand", "demand row 5", "order_id", "SO-1"]]
    case = dict(case, pegging=case["pegging"].drop(columns="supply_date"))
    with pytest.raises(InputError) as err:
        promise_dates(**case)
    assert err.value.problems[["table", "column", "problem"]].values.tolist() == [
        ["pegging", "supply_date", "pegging has no column supply_date"]]


def test_inputs_not_mutated(case):
    before = {k: v.copy() for k, v in case.items() if isinstance(v, pd.DataFrame)}
    promise_dates(**case)
    for k, v in before.items():
        pd.testing.assert_frame_equal(case[k], v)


# --------------------------------------------------------------------------- invariants

@st.composite
def plans(draw):
    """Random demand lines, each pegged to one to three supplies of random kinds and dates."""
    n = draw(st.integers(1, 6))
    demand, pegging, planned, schedule = [], [], [], []
    for k in range(n):
        oid, due = f"SO-{k}", T0 + pd.Timedelta(days=draw(st.integers(-5, 30)))
        demand.append(dict(order_id=oid, customer_id="C", item_id="FG", qty=10.0, due_date=due))
        for j in range(draw(st.integers(0, 3))):
            kind = draw(st.sampled_from(["on_hand", "make_scheduled", "make_unscheduled", "buy", "none"]))
            sid, sdate = f"PLN-{k}-{j}", T0 + pd.Timedelta(days=7 * draw(st.integers(-1, 4)))
            if kind == "on_hand":
                pegging.append(peg("FG", "on_hand", "on hand", None, "customer_order", oid, "FG", due, 1.0))
                continue
            if kind == "none":
                pegging.append(peg("FG", "none", "shortage", None, "customer_order", oid, "FG", due, 2.0))
                continue
            pegging.append(peg("FG", "planned_order", sid, sdate, "customer_order", oid, "FG", due, 1.0))
            planned.append(dict(order_id=sid, item_id="FG", order_type="buy" if kind == "buy" else "make",
                                release_date=sdate - pd.Timedelta(days=7), due_date=sdate))
            if kind == "make_scheduled":
                start = T0 + pd.Timedelta(minutes=draw(st.integers(0, 20 * 1440)))
                end = start + pd.Timedelta(minutes=draw(st.integers(1, 3 * 1440)))
                schedule.append(op(sid, "FG", 10, "ASSY", start, start, end, sdate))
    return (pd.DataFrame(demand), pd.DataFrame(pegging, columns=PEG_COLUMNS),
            pd.DataFrame(planned, columns=["order_id", "item_id", "order_type", "release_date", "due_date"]),
            pd.DataFrame(schedule, columns=list(op("x", "x", 1, "x", T0, T0, T0, T0).keys())))


@hsettings(max_examples=60, deadline=None)
@given(plans())
def test_invariants(plan):
    demand, pegging, planned, schedule = plan
    late = pd.DataFrame({"order_id": schedule.order_id, "reason": "capacity"})
    out = promise_dates(demand, pegging, schedule, late, planned, T0)
    assert list(out.order_id) == list(demand.order_id)  # one row per line, in order
    ends = schedule.groupby("order_id").end.max()
    for row, line in zip(out.itertuples(), demand.itertuples()):
        mine = pegging[pegging.demand_id == line.order_id]
        if mine.empty or (mine.supply_type == "none").any():  # no date: flagged
            assert pd.isna(row.scheduled_date) and pd.isna(row.days_late) and row.reason
            assert row.basis in ("not pegged", "shortage")
            assert row.short_qty == mine.qty[mine.supply_type == "none"].sum()
            continue
        # a plain re-computation: the latest of the supplies' availabilities, none before the plan start
        avail = [T0 if t == "on_hand" else max(ends.get(s, d), T0)
                 for t, s, d in zip(mine.supply_type, mine.supply_id, mine.supply_date)]
        mrp = max(T0 if t == "on_hand" else max(d, T0) for t, d in zip(mine.supply_type, mine.supply_date))
        assert row.scheduled_date == max(avail) >= T0
        assert row.mrp_date == mrp
        assert row.days_late == max(0, (row.scheduled_date.normalize() - line.due_date).days)
        assert row.gap_days == (row.scheduled_date.normalize() - mrp).days
        assert bool(row.reason) == (row.days_late > 0 or row.gap_days > 0)


# --------------------------------------------------------------------------- the sample factory

@pytest.mark.slow
def test_sample_factory(sample):
    from planlib.mrp import run_mrp
    from planlib.params import PlanParams, week_start
    from planlib.schedule import ScheduleSettings, schedule_dataset

    params = PlanParams(plan_start=week_start("2026-W48"))
    mrp = run_mrp(sample, params)
    res = schedule_dataset(sample, params.plan_start, ScheduleSettings(time_limit_s=2, horizon_days=14,
                                                                       skip_unschedulable=True),
                           planned_orders=mrp.planned_orders)
    out = promise_dates(sample.demand, mrp.pegging, res.schedule, res.late_orders, mrp.planned_orders,
                        params.plan_start, scheduled_receipts=sample.scheduled_receipts,
                        exceptions=res.exceptions, horizon_days=14)
    t0 = pd.Timestamp(params.plan_start)
    assert len(out) == len(sample.demand) == 145 and out.order_id.is_unique
    dated = out.scheduled_date.notna()
    assert (dated | (out.basis == "shortage")).all()  # every row dated or a flagged shortage
    assert (out.scheduled_date[dated] >= t0).all() and (out.mrp_date[dated] >= t0).all()
    assert set(out.basis) <= {"on hand", "schedule", "purchase order", "MRP due date"}
    # every line served by a scheduled order carries that order's completion
    done = res.schedule.groupby("order_id").end.max()
    sched = out[out.basis == "schedule"]
    assert len(sched) > 0 and (sched.scheduled_date == sched.supply_id.map(done)).all()
    # the lines later than they were due all say why
    assert (out.reason[out.days_late > 0] != "").all() and (out.days_late > 0).sum() > 0
