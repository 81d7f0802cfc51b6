"""Material synchronisation across BOM levels: the schedule follows MRP's pegging.

An order's consuming operation starts its run only when its purchased supply has arrived and
the make orders supplying it have finished; nothing is left out for a shortage; late orders say
what they wait for through every level. Every schedule is re-checked by the independent
checker (``check_schedule`` with ``material``, ``check_material``), which reads only the
output tables.
"""
from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hyp_settings
from hypothesis import strategies as st

from planlib.data import from_frames, read_table, write_tables
from planlib.schedule import (
    ScheduleSettings,
    build_orders,
    check_material,
    check_schedule,
    long_uninterruptible_operations,
    material_supply,
    schedule_dataset,
)
from planlib.schedule.model import solve
from planlib.schedule.problem import build_problem
from planlib.schedule.report import to_schedule

T0 = pd.Timestamp("2026-11-23")  # Monday of ISO week 2026-W48
WEEK = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]


def checked(res, ds):
    """The independent checker, material included; the schedule table if it passes."""
    bad = check_schedule(res.schedule, res.problem.plan_start, res.problem.calendar_intervals, ds.setup_matrix,
                         None, ds.machines, res.problem.crews, material=res.material)
    assert bad.empty, bad.to_string()
    return res.schedule


# --------------------------------------------------------------------------- the sample factory, week 48

@pytest.fixture(scope="module")
def week48(sample):
    """The weekly run's MRP of week 48 (forecast and its safety stock), and the schedule from its pegging."""
    from planlib import steps
    from planlib.params import PlanParams

    params = PlanParams(plan_start=T0.date())
    fc = steps.forecast(sample, params)
    mrp = steps.mrp(sample, params, fc.forecast, fc.safety_stock)
    settings = ScheduleSettings(horizon_days=14, time_limit_s=3, workers=2, seed=0, skip_unschedulable=True)
    res = schedule_dataset(sample, T0, settings, planned_orders=mrp.planned_orders, pegging=mrp.pegging)
    return sample, mrp, settings, res


def _fg_fed_by_a_make_order(mrp, res) -> tuple[str, str, str]:
    """The issue's case on today's sample: a finished-good order of the schedule and a make order of
    one of its subassemblies, pegged to it by MRP and scheduled too (was FG-01 PLN-0000001 fed by
    SA-08 PLN-0000202 before the sample's paint lots were capped to a shift)."""
    peg, orders = mrp.pegging, set(res.schedule.order_id)
    dep = peg[(peg.demand_type.astype(str) == "dependent") & peg.demand_id.isin(orders) & peg.supply_id.isin(orders)
              & peg.demand_item_id.astype(str).str.startswith("FG") & peg.item_id.astype(str).str.startswith("SA")]
    assert len(dep), "no finished-good order of week 48 is fed by a scheduled subassembly order"
    row = dep.sort_values(["demand_id", "supply_id"]).iloc[0]
    return str(row.demand_id), str(row.supply_id), str(row.item_id)


def test_week48_parent_waits_for_the_make_order_pegged_to_it(week48):
    ds, mrp, _, res = week48
    peg = mrp.pegging
    parent, child, component = _fg_fed_by_a_make_order(mrp, res)
    s = checked(res, ds)
    fg = s[s.order_id == parent].sort_values("op_seq")
    sa_done = s[s.order_id == child].end.max()
    assert fg.start.iat[0] >= sa_done
    row = res.material[(res.material.order_id == parent) & (res.material.supply_id == child)]
    assert len(row) == 1 and row.available_at.iat[0] == sa_done and bool(row.in_schedule.iat[0])
    assert row.component_id.iat[0] == component
    # every make-to-make pegging between orders of this schedule holds, read from the input pegging
    done = s.groupby("order_id").end.max()
    first = s.sort_values("op_seq").groupby("order_id").start.first()
    dep = peg[(peg.demand_type.astype(str) == "dependent") & peg.demand_id.isin(first.index)
              & peg.supply_id.isin(done.index)]
    assert len(dep) >= 20
    assert (first[dep.demand_id].to_numpy() >= done[dep.supply_id].to_numpy()).all()


def test_week48_no_make_order_is_left_out(week48):
    ds, mrp, settings, res = week48
    wanted = set(build_orders(ds, T0, settings.horizon_days, mrp.planned_orders).order_id)
    assert set(res.schedule.order_id) == wanted
    assert res.exceptions.empty and res.unscheduled_orders == []
    assert res.kpis.set_index("kpi").value["unscheduled_orders"] == 0
    # planned purchase orders are supply: orders whose component has no open purchase order are in
    # (before, such orders were left out for "no open purchase order covers it")
    planned_buy = res.material[res.material.supply_type == "planned_purchase"].order_id
    assert planned_buy.nunique() >= 1 and set(planned_buy) <= set(res.schedule.order_id)
    # the sample's paint lots fit a shift (max_order_qty capped by the generator): nothing to warn about
    assert res.warnings.empty


def test_week48_material_check_from_published_files_and_a_planted_early_start(week48, tmp_path):
    ds, mrp, _, res = week48
    parent, child, _ = _fg_fed_by_a_make_order(mrp, res)
    write_tables({"schedule": res.schedule, "schedule_material": res.material}, tmp_path)
    sched, mat = read_table(tmp_path / "schedule.csv"), read_table(tmp_path / "schedule_material.csv")
    assert len(mat) == len(res.material) > 100
    assert check_material(sched, mat).empty
    # plant: FG-01's order starts its first operation a day before its SA-08 order is done
    sa_done = sched[sched.order_id == child].end.max()
    bad = sched.copy()
    k = bad.index[(bad.order_id == parent) & (bad.op_seq == bad[bad.order_id == parent].op_seq.min())]
    bad.loc[k, "start"] = sa_done - pd.Timedelta(days=1)
    found = check_material(bad, mat)
    assert set(found.rule) == {"material"} and set(found.order_id) == {parent}
    assert any(child in d and "ends at" in d for d in found.detail)
    # a material table claiming an earlier availability than the supplying order's end is caught too
    lie = mat.copy()
    lie.loc[lie.supply_id == child, "available_at"] = sa_done - pd.Timedelta(hours=5)
    assert any("said available" in d for d in check_material(sched, lie).detail)
    # and the full checker reports it among its rules
    full = check_schedule(bad, T0, res.problem.calendar_intervals, material=mat)
    assert "material" in set(full.rule)


def test_long_uninterruptible_operations_of_the_sample_and_a_planted_one(sample):
    assert long_uninterruptible_operations(sample).empty  # the sample has none for a typical lot
    routings = sample.routings.copy()
    k = routings.index[(routings.item_id == "SA-01") & routings.uninterruptible.astype(bool)][0]
    routings.loc[k, "run_min_per_unit"] = 20.0  # SA-01: fixed lot of 30 -> 600 min on a 510 min paint shift
    found = long_uninterruptible_operations(sample.replace(routings=routings))
    assert len(found) == 1
    r = found.iloc[0]
    assert (r.severity, r.table, r.row, r.column) == ("error", "routings", f"SA-01 op {routings.op_seq[k]}",
                                                      "uninterruptible")
    assert "600 min for a typical lot of 30 (fixed lot size)" in r.problem and "510 min" in r.problem
    assert "lots of at most 25 units" in r.fix


# --------------------------------------------------------------------------- three levels by hand

def three_levels(with_pegging=True):
    """FG <- SA (make) <- RM (buy, planned purchase order due Wednesday); one machine round the clock."""
    items = pd.DataFrame([dict(item_id="FG", item_type="make", lead_time_days=1, family=""),
                          dict(item_id="SA", item_type="make", lead_time_days=1, family=""),
                          dict(item_id="RM", item_type="buy", lead_time_days=10, family="")])
    tables = {
        "items": items,
        "bom": pd.DataFrame([dict(parent_id="FG", component_id="SA", qty_per=1.0),
                             dict(parent_id="SA", component_id="RM", qty_per=2.0)]),
        "inventory": pd.DataFrame([dict(item_id=i, on_hand=0.0) for i in ("FG", "SA", "RM")]),
        "work_centers": pd.DataFrame([dict(work_center_id="WC", calendar_id="CAL")]),
        "machines": pd.DataFrame([dict(machine_id="M1", work_center_id="WC", speed_factor=1.0)]),
        "calendars": pd.DataFrame([dict(calendar_id="CAL", weekday=d, start_time=a, end_time=b)
                                   for d in WEEK for a, b in (("00:00", "12:00"), ("12:00", "24:00"))]),
        "routings": pd.DataFrame([dict(item_id="FG", op_seq=10, work_center_id="WC", setup_min=0,
                                       run_min_per_unit=6.0, uninterruptible=False),
                                  dict(item_id="SA", op_seq=10, work_center_id="WC", setup_min=0,
                                       run_min_per_unit=6.0, uninterruptible=False)]),
    }
    ds = from_frames(tables)
    planned = pd.DataFrame([
        dict(order_id="PLN-FG", item_id="FG", order_type="make", supplier_id=None, qty=10.0,
             release_date=T0, due_date=pd.Timestamp("2026-11-24"), receipt_qty=10.0, low_level_code=0),
        dict(order_id="PLN-SA", item_id="SA", order_type="make", supplier_id=None, qty=10.0,
             release_date=T0, due_date=pd.Timestamp("2026-11-24"), receipt_qty=10.0, low_level_code=1),
        dict(order_id="PLN-RM", item_id="RM", order_type="buy", supplier_id="S1", qty=20.0,
             release_date=T0 - pd.Timedelta(days=8), due_date=pd.Timestamp("2026-11-25"), receipt_qty=20.0,
             low_level_code=2)])
    pegging = None
    if with_pegging:
        pegging = pd.DataFrame([
            dict(item_id="SA", supply_type="planned_order", supply_id="PLN-SA", supply_date=pd.Timestamp("2026-11-24"),
                 demand_type="dependent", demand_id="PLN-FG", demand_item_id="FG", demand_date=T0, qty=10.0),
            dict(item_id="RM", supply_type="planned_order", supply_id="PLN-RM", supply_date=pd.Timestamp("2026-11-25"),
                 demand_type="dependent", demand_id="PLN-SA", demand_item_id="SA", demand_date=T0, qty=20.0)])
    return ds, planned, pegging


@pytest.mark.parametrize("with_pegging", [True, False], ids=["pegging", "netting"])
def test_three_levels_lateness_reason_names_the_raw_material_through_the_subassembly(with_pegging):
    ds, planned, pegging = three_levels(with_pegging)
    res = schedule_dataset(ds, T0, ScheduleSettings(time_limit_s=5, workers=2, seed=0), planned_orders=planned,
                           pegging=pegging)
    s = checked(res, ds).set_index("order_id")
    # RM arrives Wednesday 00:00; SA runs 60 min from then, FG 60 min after SA
    assert s.loc["PLN-SA", "start"] == pd.Timestamp("2026-11-25 00:00")
    assert s.loc["PLN-FG", "start"] == pd.Timestamp("2026-11-25 01:00")
    late = res.late_orders.set_index("order_id")
    assert late.loc["PLN-FG", "cause"] == "material"
    assert late.loc["PLN-FG", "reason"] == ("material: waits for SA from PLN-SA (done 2026-11-25 01:00), "
                                            "which waits for RM from PLN-RM due 2026-11-25")
    assert (late.loc["PLN-FG", "component_id"], late.loc["PLN-FG", "supply_id"]) == ("SA", "PLN-SA")


def test_three_levels_the_cp_sat_model_alone_keeps_the_link():
    """No hint, no heuristic, no compaction: the model's own precedence between the orders holds."""
    ds, planned, pegging = three_levels()
    orders = build_orders(ds, T0, 14, planned)
    # the FG order is the more urgent: without the link the model would run it first, on Monday
    orders["weight"] = orders.order_id.map({"PLN-FG": 9, "PLN-SA": 1})
    mat = material_supply(ds, orders, T0, planned, pegging)
    problem = build_problem(ds, orders, T0, ScheduleSettings(), material=mat)
    assert problem.links.shape == (1, 2)
    out = solve(problem, ScheduleSettings(time_limit_s=5, workers=2, seed=0))
    assert out.status == "OPTIMAL"
    s = to_schedule(problem, out.solution).set_index("order_id")
    assert s.loc["PLN-FG", "start"] >= s.loc["PLN-SA", "end"] == pd.Timestamp("2026-11-25 01:00")


def test_open_purchase_order_two_levels_down_is_named():
    ds, planned, pegging = three_levels()
    planned = planned[planned.order_id != "PLN-RM"]
    ds = ds.replace(scheduled_receipts=pd.DataFrame([dict(order_id="PO-40011", item_id="RM", order_type="purchase",
                                                          qty=20.0, due_date=pd.Timestamp("2026-11-26"),
                                                          release_date=T0 - pd.Timedelta(days=9), status="firm")]))
    pegging = pegging.assign(supply_type=["planned_order", "scheduled_receipt"], supply_id=["PLN-SA", "PO-40011"])
    res = schedule_dataset(ds, T0, ScheduleSettings(time_limit_s=0), planned_orders=planned, pegging=pegging)
    checked(res, ds)
    assert res.late_orders.set_index("order_id").reason["PLN-FG"] == (
        "material: waits for SA from PLN-SA (done 2026-11-26 01:00), which waits for RM from PO-40011 due 2026-11-26")


# --------------------------------------------------------------------------- random factories

@st.composite
def factories(draw):
    """A few levels of make items over buy items, 1-2 work centers of 1-2 machines, planned orders and a
    pegging of each parent order's components to random supplies (on hand, a planned purchase, a make order)."""
    levels = draw(st.integers(2, 3))
    per_level = [draw(st.integers(1, 2)) for _ in range(levels)]
    items, bom, routings, orders, pegging = [], [], [], [], []
    names = [[f"L{lv}I{k}" for k in range(n)] for lv, n in enumerate(per_level)]
    buy = [f"RM{k}" for k in range(draw(st.integers(1, 2)))]
    n_wc = draw(st.integers(1, 2))
    machines = [dict(machine_id=f"W{w}M{m}", work_center_id=f"W{w}", speed_factor=1.0)
                for w in range(n_wc) for m in range(draw(st.integers(1, 2)))]
    for lv, level_items in enumerate(names):
        for it in level_items:
            items.append(dict(item_id=it, item_type="make", lead_time_days=1, family=""))
            below = names[lv + 1] if lv + 1 < levels else buy
            comps = draw(st.lists(st.sampled_from(below), min_size=1, max_size=2, unique=True))
            bom += [dict(parent_id=it, component_id=c, qty_per=1.0) for c in comps]
            for k in range(draw(st.integers(1, 2))):
                routings.append(dict(item_id=it, op_seq=10 * (k + 1), work_center_id=f"W{draw(st.integers(0, n_wc - 1))}",
                                     setup_min=0, run_min_per_unit=draw(st.sampled_from([1.0, 3.0, 10.0])),
                                     uninterruptible=False))
            for k in range(draw(st.integers(1, 2))):
                orders.append(dict(order_id=f"P-{it}-{k}", item_id=it, order_type="make", qty=10.0,
                                   release_date=T0 + pd.Timedelta(days=draw(st.integers(0, 2))),
                                   due_date=T0 + pd.Timedelta(days=draw(st.integers(1, 5)))))
    items += [dict(item_id=b, item_type="buy", lead_time_days=5, family="") for b in buy]
    for b in buy:
        for k in range(draw(st.integers(1, 2))):
            orders.append(dict(order_id=f"B-{b}-{k}", item_id=b, order_type="buy", qty=10.0,
                               release_date=T0 - pd.Timedelta(days=5),
                               due_date=T0 + pd.Timedelta(days=draw(st.integers(0, 6)), hours=0)))
    planned = pd.DataFrame(orders)
    by_item = {i: list(g.order_id) for i, g in planned.groupby("item_id")}
    for o in planned[planned.order_type == "make"].itertuples():
        for line in (b for b in bom if b["parent_id"] == o.item_id):
            c = line["component_id"]
            choice = draw(st.sampled_from(["on_hand"] + by_item[c]))
            pegging.append(dict(item_id=c, supply_type="on_hand" if choice == "on_hand" else "planned_order",
                                supply_id="on hand" if choice == "on_hand" else choice, supply_date=pd.NaT,
                                demand_type="dependent", demand_id=o.order_id, demand_item_id=o.item_id,
                                demand_date=o.release_date, qty=10.0))
    tables = {
        "items": pd.DataFrame(items), "bom": pd.DataFrame(bom), "routings": pd.DataFrame(routings),
        "inventory": pd.DataFrame([dict(item_id=i["item_id"], on_hand=0.0) for i in items]),
        "work_centers": pd.DataFrame([dict(work_center_id=f"W{w}", calendar_id="CAL") for w in range(n_wc)]),
        "machines": pd.DataFrame(machines),
        "calendars": pd.DataFrame([dict(calendar_id="CAL", weekday=d, start_time="06:00", end_time="22:00")
                                   for d in WEEK[:5]]),
    }
    return from_frames(tables), planned, pd.DataFrame(pegging), draw(st.sampled_from([0.0, 1.0]))


@hyp_settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(factories())
def test_random_factories_keep_the_material_invariant(case):
    ds, planned, pegging, limit = case
    res = schedule_dataset(ds, T0, ScheduleSettings(time_limit_s=limit, workers=1, seed=0),
                           planned_orders=planned, pegging=pegging)
    s = checked(res, ds)
    assert set(s.order_id) == set(planned.order_id[planned.order_type == "make"])
    # the invariant, straight from the input pegging and the schedule table
    done = s.groupby("order_id").end.max()
    first = s.sort_values("op_seq").groupby("order_id").start.first()
    due = planned.set_index("order_id").due_date
    for r in pegging.itertuples():
        if r.supply_id in done.index:
            assert first[r.demand_id] >= done[r.supply_id], (r.demand_id, r.supply_id)
        elif r.supply_id in due.index:
            assert first[r.demand_id] >= due[r.supply_id], (r.demand_id, r.supply_id)


def test_rescheduling_keeps_the_link_between_orders():
    """A breakdown on Wednesday morning pushes the SA order; the FG order it feeds moves after it."""
    from planlib.schedule.reschedule import machine_down, reschedule

    ds, planned, pegging = three_levels()
    settings = ScheduleSettings(time_limit_s=2, workers=2, seed=0)
    orders = build_orders(ds, T0, 14, planned)
    mat = material_supply(ds, orders, T0, planned, pegging)
    res = schedule_dataset(ds, T0, settings, planned_orders=planned, pegging=pegging)
    ds2 = machine_down(ds, "M1", "2026-11-24 12:00", "2026-11-25 06:00")
    rr = reschedule(ds2, orders, res.schedule, pd.Timestamp("2026-11-24 12:00"), settings, plan_start=T0,
                    material=mat, frozen_hours=0)
    s = checked(rr.result, ds2).set_index("order_id")
    assert s.loc["PLN-SA", "start"] == pd.Timestamp("2026-11-25 06:00")
    assert s.loc["PLN-FG", "start"] >= s.loc["PLN-SA", "end"] == pd.Timestamp("2026-11-25 07:00")
    assert len(rr.result.problem.links) == 1
