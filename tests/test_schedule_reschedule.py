"""Rescheduling after disruptions: frozen operations stay, moves are few and explained."""
from __future__ import annotations

import pandas as pd
import pytest

from planlib.schedule import (
    ScheduleSettings,
    build_orders,
    check_schedule,
    make_schedule,
    material_availability,
)
from planlib.schedule.generate import random_orders
from planlib.schedule.reschedule import change_quantity, late_material, machine_down, reschedule, rush_order

T0 = pd.Timestamp("2026-11-23")
NOW = pd.Timestamp("2026-11-24 10:00")
SETTINGS = ScheduleSettings(time_limit_s=3, skip_unschedulable=True, seed=1)


@pytest.fixture(scope="module")
def base(sample):
    orders = pd.concat([build_orders(sample, T0, 14), random_orders(sample, 20, T0, seed=5)], ignore_index=True)
    material = material_availability(sample, orders)
    res = make_schedule(sample, orders, T0, SETTINGS, material=material)
    return sample, orders, material, res


def _check(rr, ds):
    p = rr.result.problem
    bad = check_schedule(rr.result.schedule, T0, p.calendar_intervals, ds.setup_matrix, rr.frozen, ds.machines)
    assert bad.empty, bad.to_string()
    new = rr.result.schedule
    # nothing that is not frozen starts (setup included) before the repair time
    free = new[new.status != "frozen"]
    assert (free.setup_start >= NOW).all()


def test_machine_down_keeps_frozen_operations_and_moves_the_hit_ones(base):
    ds, orders, material, res = base
    old = res.schedule
    # the machine with the most runs starting in the next day and a half goes down for that time
    down_from, down_to = NOW + pd.Timedelta(hours=1), NOW + pd.Timedelta(hours=36)
    m = old[(old.start > down_from) & (old.start < down_to)].machine_id.value_counts().index[0]
    ds2 = machine_down(ds, m, down_from, down_to)
    rr = reschedule(ds2, orders, old, NOW, SETTINGS, plan_start=T0, material=material, frozen_hours=4)
    _check(rr, ds2)
    new = rr.result.schedule.set_index(["order_id", "op_seq"])
    prev = old.set_index(["order_id", "op_seq"])
    # frozen operations are exactly where they were
    assert len(rr.frozen) > 0
    for f in rr.frozen.itertuples():
        assert prev.loc[(f.order_id, f.op_seq), "machine_id"] == f.machine_id
        assert prev.loc[(f.order_id, f.op_seq), "start"] == f.start
        assert prev.loc[(f.order_id, f.op_seq), "end"] == f.end
    # operations done by now have left the schedule
    for d in rr.done.itertuples():
        assert (d.order_id, d.op_seq) not in new.index
    # nothing starts or ends on the machine while it is down (a run may pause over it, and the
    # checker has counted its working minutes outside the down time)
    on_m = rr.result.schedule[rr.result.schedule.machine_id == m]
    for col in ("start", "end"):
        assert not ((on_m[col] > down_from) & (on_m[col] < down_to)).any()
    # every operation whose run started or ended in the down window moved, and says why
    inside = lambda t: (t > down_from) & (t < down_to)
    hit = old[(old.machine_id == m) & (inside(old.start) | inside(old.end)) & (old.start >= NOW)]
    assert len(hit)
    moved = rr.moves.set_index(["order_id", "op_seq"])
    for h in hit.itertuples():
        if (h.order_id, h.op_seq) in new.index:
            assert (h.order_id, h.op_seq) in moved.index
            assert f"machine {m} down" in moved.loc[(h.order_id, h.op_seq), "reason"]


def test_rush_order_is_scheduled_and_moves_are_penalised(base):
    ds, orders, material, res = base
    item = res.schedule.item_id.iloc[0]
    orders2 = rush_order(orders, "RUSH-1", item, 5, NOW.normalize() + pd.Timedelta(days=2), NOW)
    cheap = reschedule(ds, orders2, res.schedule, NOW, ScheduleSettings(time_limit_s=3, move_penalty=0,
                                                                        skip_unschedulable=True),
                       plan_start=T0, material=material)
    dear = reschedule(ds, orders2, res.schedule, NOW, ScheduleSettings(time_limit_s=3, move_penalty=10**6,
                                                                       skip_unschedulable=True),
                      plan_start=T0, material=material)
    for rr in (cheap, dear):
        _check(rr, ds)
        assert "RUSH-1" in set(rr.result.schedule.order_id)
    # a huge price per move keeps (almost) everything in place
    assert len(dear.moves) <= len(cheap.moves)


def test_quantity_change_and_late_material_are_reasons(base):
    ds, orders, material, res = base
    later = res.schedule[res.schedule.start > NOW + pd.Timedelta(hours=12)]
    order = later.order_id.iloc[0]
    orders2 = change_quantity(orders, order, float(orders.set_index("order_id").qty[order]) * 2)
    rr = reschedule(ds, orders2, res.schedule, NOW, SETTINGS, plan_start=T0, material=material,
                    previous_orders=orders)
    _check(rr, ds)
    m = rr.moves[rr.moves.order_id == order]
    assert len(m) and m.reason.str.contains("quantity change").all()
    new_qty = rr.result.schedule[rr.result.schedule.order_id == order].qty.iloc[0]
    assert new_qty == pytest.approx(2 * float(orders.set_index("order_id").qty[order]))

    first = res.schedule[res.schedule.start > NOW + pd.Timedelta(hours=12)].sort_values("op_seq")
    order = first.order_id.iloc[-1]
    ready = NOW + pd.Timedelta(days=5)
    mat2 = late_material(material, order, ready)
    rr = reschedule(ds, orders, res.schedule, NOW, SETTINGS, plan_start=T0, material=mat2)
    _check(rr, ds)
    _late_material_respected(rr, res.schedule, order, ready)


def _late_material_respected(rr, old, order, ready):
    """The material of an order is issued to its first operation: if that had not started by now,
    the order waits for the material; if it had, the kit is on the shop floor and the running
    operation keeps its place."""
    assert rr.result.info["cpsat_status"] in ("OPTIMAL", "FEASIBLE")  # not a fallback after INFEASIBLE
    before = old[old.order_id == order].set_index("op_seq").sort_index()
    got = rr.result.schedule[rr.result.schedule.order_id == order].set_index("op_seq").sort_index()
    if before.start.iloc[0] > NOW:
        assert (got.start >= ready).all()
    else:
        running = before[(before.start <= NOW) & (before.end > NOW)].index
        assert len(running) and (got.loc[running, "start"] == before.loc[running, "start"]).all()


@pytest.mark.parametrize("which", ["started", "frozen, not started"])
def test_late_material_for_an_order_under_way_or_inside_the_frozen_window(base, which):
    """Regression: late material for an order whose first operation had started (or starts inside
    the frozen window) made the model infeasible, and the fallback schedule broke setups; and an
    operation stayed frozen ahead of its predecessor that had to move."""
    ds, orders, material, res = base
    old = res.schedule
    window = pd.Timedelta(hours=72)
    if which == "started":  # an order with an operation running now and one still to start
        later = set(old[old.setup_start > NOW].order_id)
        cand = old[(old.start < NOW) & (old.end > NOW) & old.order_id.isin(later)]
    else:  # an order not started yet, two or more of whose operations fall in the frozen window
        started = set(old[old.setup_start <= NOW].order_id)
        inside = old[(old.setup_start > NOW) & (old.setup_start < NOW + window) & ~old.order_id.isin(started)]
        cand = inside[inside.groupby("order_id").op_seq.transform("size") >= 2]
    assert len(cand), "the base schedule has no such operation"
    order = cand.sort_values(["start", "order_id"]).order_id.iloc[0]
    ready = NOW + pd.Timedelta(days=3)
    rr = reschedule(ds, orders, old, NOW, SETTINGS, plan_start=T0, material=late_material(material, order, ready),
                    frozen_hours=window.total_seconds() / 3600)
    _check(rr, ds)
    _late_material_respected(rr, old, order, ready)
    if which != "started":
        moved = rr.moves[rr.moves.order_id == order]
        moved = moved.sort_values("op_seq")
        assert len(moved) >= 2 and "material or release not before" in moved.reason.iloc[0]
        # the next operations left the frozen window with it, in order
        assert moved.reason.iloc[1:].str.contains("material or release not before|of its order, which moved").all()
