"""Tests of planlib.schedule: the factory scheduler on small datasets with known answers.

Every solve is followed by the independent checker (``check_schedule``).
"""
from __future__ import annotations

import itertools

import pandas as pd
import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hyp_settings
from hypothesis import strategies as st

from planlib.data import from_frames
from planlib.problems import InputError
from planlib.schedule import (
    ScheduleSettings,
    build_orders,
    build_problem,
    check_schedule,
    dispatch_html,
    gantt_chart,
    make_schedule,
    material_availability,
    order_summary,
)

T0 = pd.Timestamp("2026-11-23")  # a Monday
WEEKDAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
FAST = ScheduleSettings(time_limit_s=5, workers=2, seed=0)


def plant(machines=(("M1", "WC", 1.0),), days=WEEKDAYS[:5], shift=("06:00", "22:00"), items=(),
          routings=(), setup_matrix=(), exceptions=(), extra_calendars=()):
    """A small dataset: work centers from the machines, one calendar ``CAL``."""
    wcs = sorted({w for _, w, _ in machines})
    if shift == ("00:00", "24:00"):  # round the clock, as two 12-hour shifts
        shifts = [("00:00", "12:00"), ("12:00", "24:00")]
    else:
        shifts = [shift]
    cal = [dict(calendar_id="CAL", weekday=d, start_time=a, end_time=b) for d in days for a, b in shifts]
    cal += list(extra_calendars)
    tables = {
        "items": pd.DataFrame([dict(item_id=i, item_type="make", lead_time_days=1, family=f) for i, f in items]),
        "work_centers": pd.DataFrame([dict(work_center_id=w, calendar_id="CAL") for w in wcs]),
        "machines": pd.DataFrame([dict(machine_id=m, work_center_id=w, speed_factor=s) for m, w, s in machines]),
        "calendars": pd.DataFrame(cal),
        "routings": pd.DataFrame([dict(zip(["item_id", "op_seq", "work_center_id", "setup_min",
                                            "run_min_per_unit", "uninterruptible"], r)) for r in routings]),
        "setup_matrix": pd.DataFrame(list(setup_matrix),
                                     columns=["work_center_id", "from_family", "to_family", "setup_min"]),
        "calendar_exceptions": pd.DataFrame(list(exceptions),
                                            columns=["calendar_id", "machine_id", "start", "end", "kind"]),
    }
    return from_frames(tables)


def orders_frame(rows):
    """rows: (order_id, item_id, qty, release, due, priority)."""
    return pd.DataFrame([dict(order_id=o, item_id=i, qty=q, release_date=pd.Timestamp(r),
                              due_date=pd.Timestamp(d), priority=p, status="planned") for o, i, q, r, d, p in rows])


@pytest.fixture(scope="module")
def sample_dataset(sample):
    """The sample factory's production orders plus 25 seeded planned orders, with material dates."""
    from planlib.schedule.generate import random_orders
    orders = build_orders(sample, T0, 14)
    planned = random_orders(sample, 25, T0, seed=3)
    orders = pd.concat([orders, planned], ignore_index=True)
    return sample, orders, material_availability(sample, orders)


@pytest.fixture(scope="module")
def sample_schedule(sample_dataset):
    ds, orders, material = sample_dataset
    res = make_schedule(ds, orders, T0, ScheduleSettings(time_limit_s=3, skip_unschedulable=True),
                        material=material)
    return ds, res


def checked(result, ds, frozen=None):
    bad = check_schedule(result.schedule, result.problem.plan_start, result.problem.calendar_intervals,
                         ds.setup_matrix, frozen, ds.machines, result.problem.crews)
    assert bad.empty, bad.to_string()
    return result.schedule


# --------------------------------------------------------------------------- textbook optimum

def test_weighted_tardiness_textbook_optimum():
    """Pinedo, Scheduling: Theory, Algorithms, and Systems, the branch-and-bound example of the
    total weighted tardiness chapter (1 || sum w_j T_j; example number not checked against an edition):
    p = (10, 10, 13, 4), d = (4, 2, 1, 12), w = (14, 12, 1, 12); the optimal sequence is 1, 4, 2, 3
    with total weighted tardiness 408, re-derived below by enumeration. Time unit here: one day on a
    machine that never stops."""
    p, d, w = (10, 10, 13, 4), (4, 2, 1, 12), (14, 12, 1, 12)
    # the published value, re-derived by enumeration
    def cost(seq):
        t, c = 0, 0
        for j in seq:
            t += p[j]
            c += w[j] * max(0, t - d[j])
        return c
    assert min(cost(s) for s in itertools.permutations(range(4))) == 408
    ds = plant(days=WEEKDAYS, shift=("00:00", "24:00"), items=[(f"I{j}", "") for j in range(4)],
               routings=[(f"I{j}", 10, "WC", 0, 1440.0 * p[j], False) for j in range(4)])
    orders = pd.DataFrame([dict(order_id=f"J{j + 1}", item_id=f"I{j}", qty=1.0, release_date=T0,
                                due_date=T0 + pd.Timedelta(days=d[j] - 1), priority=1, weight=w[j],
                                status="planned") for j in range(4)])
    res = make_schedule(ds, orders, T0, FAST)
    sched = checked(res, ds)
    assert res.status == "OPTIMAL"
    assert res.objective == 408 * 1440
    assert list(sched.sort_values("start").order_id) == ["J1", "J4", "J2", "J3"]
    summary = order_summary(sched)
    assert (summary.tardiness * summary.weight).sum() == pytest.approx(408 * 24)


# --------------------------------------------------------------------------- calendars

def _friday_order(uninterruptible: bool):
    ds = plant(items=[("A", "")], routings=[("A", 10, "WC", 0, 240.0, uninterruptible)])
    friday_evening = T0 + pd.Timedelta(days=4, hours=20)
    orders = orders_frame([("O1", "A", 1, "2026-11-27", "2026-12-04", 3)])
    orders["earliest_start"] = friday_evening
    return ds, orders


def test_operation_pauses_over_the_weekend():
    ds, orders = _friday_order(False)
    res = make_schedule(ds, orders, T0, FAST)
    s = checked(res, ds).iloc[0]
    assert s.start == pd.Timestamp("2026-11-27 20:00")
    assert s.end == pd.Timestamp("2026-11-30 08:00")  # 2 h on Friday, 2 h on Monday


def test_uninterruptible_operation_waits_for_a_whole_shift():
    ds, orders = _friday_order(True)
    res = make_schedule(ds, orders, T0, FAST)
    s = checked(res, ds).iloc[0]
    assert s.start == pd.Timestamp("2026-11-30 06:00")
    assert s.end == pd.Timestamp("2026-11-30 10:00")


def test_maintenance_and_overtime_shape_the_schedule():
    ds = plant(items=[("A", "")], routings=[("A", 10, "WC", 0, 60.0, False)],
               exceptions=[(None, "M1", pd.Timestamp("2026-11-23 06:00"), pd.Timestamp("2026-11-23 12:00"),
                            "maintenance"),
                           (None, "M1", pd.Timestamp("2026-11-28 06:00"), pd.Timestamp("2026-11-28 08:00"),
                            "overtime")])
    orders = orders_frame([("O1", "A", 1, "2026-11-23", "2026-11-30", 3),
                           ("O2", "A", 1, "2026-11-28", "2026-11-30", 3)])
    res = make_schedule(ds, orders, T0, FAST)
    s = checked(res, ds).set_index("order_id")
    assert s.loc["O1", "start"] == pd.Timestamp("2026-11-23 12:00")  # after the maintenance
    assert s.loc["O2", "start"] == pd.Timestamp("2026-11-28 06:00")  # Saturday overtime


# --------------------------------------------------------------------------- setups, alternatives, crews

def _setup_case(with_matrix: bool):
    matrix = [("WC", a, b, 0 if a == b else 300) for a in "XY" for b in "XY"] if with_matrix else []
    ds = plant(days=WEEKDAYS, shift=("00:00", "24:00"), items=[("AX", "X"), ("AY", "Y"), ("BX", "X")],
               routings=[("AX", 10, "WC", 0, 60.0, False), ("AY", 10, "WC", 0, 60.0, False),
                         ("BX", 10, "WC", 0, 60.0, False)], setup_matrix=matrix)
    # due dates pull the Y order into the middle; with a 5 h changeover, grouping the X orders wins
    orders = pd.DataFrame([
        dict(order_id="O1", item_id="AX", qty=1.0, release_date=T0, due_date=T0, priority=1, weight=1),
        dict(order_id="O2", item_id="AY", qty=1.0, release_date=T0, due_date=T0, priority=1, weight=1),
        dict(order_id="O3", item_id="BX", qty=1.0, release_date=T0, due_date=T0 + pd.Timedelta(days=1),
             priority=1, weight=1)])
    return ds, orders


def test_setups_change_the_optimal_sequence():
    ds, orders = _setup_case(False)
    free = checked(make_schedule(ds, orders, T0, FAST.__class__(time_limit_s=5, objective="makespan")), ds)
    ds2, _ = _setup_case(True)
    res = make_schedule(ds2, orders, T0, FAST.__class__(time_limit_s=5, objective="setup"))
    grouped = checked(res, ds2)
    assert res.status == "OPTIMAL"
    seq = list(grouped.sort_values("start").item_id)
    assert seq in (["AX", "BX", "AY"], ["BX", "AX", "AY"], ["AY", "AX", "BX"], ["AY", "BX", "AX"])
    assert grouped.changeover_min.sum() == 300
    assert res.objective == 300
    # without changeovers the makespan is just the work
    assert (free.end.max() - free.setup_start.min()) == pd.Timedelta(minutes=180)


def test_alternative_machines_share_the_load_and_speed_counts():
    ds = plant(machines=(("M1", "WC", 1.0), ("M2", "WC", 2.0)), days=WEEKDAYS, shift=("00:00", "24:00"),
               items=[("A", "")], routings=[("A", 10, "WC", 0, 60.0, False)])
    orders = orders_frame([(f"O{k}", "A", 1, "2026-11-23", "2026-11-23", 3) for k in range(3)])
    res = make_schedule(ds, orders, T0, ScheduleSettings(time_limit_s=5, objective="makespan"))
    s = checked(res, ds)
    # M2 runs twice as fast (30 min): two orders on M2, one on M1 -> everything done after 60 min
    assert sorted(s.machine_id) == ["M1", "M2", "M2"]
    assert s.end.max() == T0 + pd.Timedelta(minutes=60)
    assert set(s.run_min[s.machine_id == "M2"]) == {30}


def test_crews_limit_parallel_work():
    ds = plant(machines=(("M1", "WC", 1.0), ("M2", "WC", 1.0)), days=WEEKDAYS, shift=("00:00", "24:00"),
               items=[("A", "")], routings=[("A", 10, "WC", 0, 60.0, False)])
    ds = ds.replace(routings=ds.routings.assign(crew_size=1.0))
    orders = orders_frame([(f"O{k}", "A", 1, "2026-11-23", "2026-11-23", 3) for k in range(2)])
    settings = ScheduleSettings(time_limit_s=5, objective="makespan")
    two = checked(make_schedule(ds, orders, T0, settings, crews={"WC": 2}), ds)
    one = checked(make_schedule(ds, orders, T0, settings, crews={"WC": 1}), ds)
    assert two.end.max() == T0 + pd.Timedelta(minutes=60)
    assert one.end.max() == T0 + pd.Timedelta(minutes=120)  # one operator: one at a time
    a, b = one.sort_values("start").itertuples()
    assert b.start >= a.end


def test_release_and_material_dates_hold():
    ds = plant(days=WEEKDAYS, shift=("00:00", "24:00"), items=[("A", "")],
               routings=[("A", 10, "WC", 0, 60.0, False)])
    orders = orders_frame([("O1", "A", 1, "2026-11-24", "2026-11-30", 3),
                           ("O2", "A", 1, "2026-11-23", "2026-11-30", 3)])
    material = pd.DataFrame({"order_id": ["O2"], "material_ready": [pd.Timestamp("2026-11-25 10:00")]})
    s = checked(make_schedule(ds, orders, T0, FAST, material=material), ds).set_index("order_id")
    assert s.loc["O1", "start"] >= pd.Timestamp("2026-11-24")
    assert s.loc["O2", "start"] >= pd.Timestamp("2026-11-25 10:00")


# --------------------------------------------------------------------------- diagnosis

def test_unschedulable_orders_are_named():
    ds = plant(shift=("06:00", "14:00"), items=[("A", ""), ("B", ""), ("C", "")],
               routings=[("A", 10, "WC", 0, 10.0, True), ("B", 10, "NOWC", 0, 1.0, False)])
    orders = orders_frame([("LONG", "A", 60, "2026-11-23", "2026-11-30", 3),     # 600 min > 8 h shift
                           ("NOMACH", "B", 1, "2026-11-23", "2026-11-30", 3),    # work center without machine
                           ("NOROUTE", "C", 1, "2026-11-23", "2026-11-30", 3),   # item without routing
                           ("LATE", "A", 1, "2027-06-01", "2027-06-30", 3),      # released after the calendar
                           ("OK", "A", 1, "2026-11-23", "2026-11-30", 3)])
    with pytest.raises(InputError) as err:
        build_problem(ds, orders, T0, FAST)
    text = " ".join(err.value.problems.problem)
    for oid in ("NOMACH", "NOROUTE", "LATE"):
        assert oid in text
    assert "OK" not in text.replace("NOROUTE", "") and "LONG" not in text
    # skip mode schedules the rest and lists the problems; LONG's lot is too long for a shift, which is
    # no data error (validate checks a typical lot): it is scheduled to pause at shift ends, with a warning
    res = make_schedule(ds, orders, T0, ScheduleSettings(time_limit_s=2, skip_unschedulable=True))
    assert sorted(res.schedule.order_id) == ["LONG", "OK"]
    assert len(res.exceptions) == 3
    assert res.unscheduled_orders == ["LATE", "NOMACH", "NOROUTE"]
    kpi = res.kpis.set_index("kpi").value
    assert kpi["unscheduled_orders"] == 3
    warn = res.warnings
    assert list(warn.severity) == ["warning"] and "LONG" in warn.problem.iat[0]
    assert "lots of at most 48 units" in warn.fix.iat[0]
    long = res.schedule.set_index("order_id").loc["LONG"]
    assert long.end - long.start > pd.Timedelta(hours=10)  # 600 min over two days' shifts
    checked(res, ds)


def test_late_orders_get_a_reason():
    ds = plant(days=WEEKDAYS, shift=("00:00", "24:00"), items=[("A", "")],
               routings=[("A", 10, "WC", 0, 600.0, False)])
    orders = orders_frame([("REL", "A", 1, "2026-11-25", "2026-11-24", 1),      # released after its due date
                           ("C1", "A", 2, "2026-11-23", "2026-11-23", 1),
                           ("C2", "A", 2, "2026-11-23", "2026-11-23", 5)])     # one machine, both due day 1
    res = make_schedule(ds, orders, T0, FAST)
    checked(res, ds)
    late = res.late_orders.set_index("order_id")
    assert late.cause["REL"] == "release date"
    assert late.reason["REL"] == "release date: released 2026-11-25, due 2026-11-24: too late even on free machines"
    assert "capacity" in set(late.cause.drop("REL"))
    cap = late[late.cause == "capacity"]
    assert all(r.startswith("capacity at work center WC: op 10 waited ") for r in cap.reason)
    assert set(cap.work_center_id) == {"WC"}


def test_material_availability_from_stock_and_purchase_orders():
    tables = {
        "items": pd.DataFrame([dict(item_id="P", item_type="make", lead_time_days=1),
                               dict(item_id="R", item_type="buy", lead_time_days=5)]),
        "bom": pd.DataFrame([dict(parent_id="P", component_id="R", qty_per=2.0)]),
        "inventory": pd.DataFrame([dict(item_id="R", on_hand=10.0)]),
        "scheduled_receipts": pd.DataFrame([
            dict(order_id="PO1", item_id="R", order_type="purchase", qty=5.0, due_date="2026-11-25"),
            dict(order_id="PO2", item_id="R", order_type="purchase", qty=20.0, due_date="2026-11-27")]),
    }
    ds = from_frames(tables)
    orders = orders_frame([("A", "P", 4, "2026-11-23", "2026-11-30", 3),    # 8 <= 10 on hand
                           ("B", "P", 7, "2026-11-23", "2026-11-30", 3),    # 14: needs PO1
                           ("C", "P", 10, "2026-11-23", "2026-11-30", 3),   # 20: needs PO2 as well
                           ("D", "P", 30, "2026-11-23", "2026-11-30", 3)])  # 60: nothing covers it
    m = material_availability(ds, orders).set_index("order_id")
    assert pd.isna(m.loc["A", "material_ready"])
    assert m.loc["B", "material_ready"] == pd.Timestamp("2026-11-25")
    assert m.loc["C", "material_ready"] == pd.Timestamp("2026-11-27")
    assert "no open purchase order" in m.loc["D", "problem"]


# --------------------------------------------------------------------------- checker

def test_checker_catches_planted_violations(sample_schedule):
    ds, res = sample_schedule
    sched = res.schedule
    args = (res.problem.plan_start, res.problem.calendar_intervals, ds.setup_matrix, None, ds.machines)
    assert check_schedule(sched, *args).empty
    # overlap: move an operation onto the start of the one before it on the same machine
    m = sched.groupby("machine_id").filter(lambda g: len(g) >= 2).machine_id.iloc[0]
    rows = sched.index[sched.machine_id == m][:2]
    bad = sched.copy()
    shift = bad.loc[rows[1], "setup_start"] - bad.loc[rows[0], "setup_start"]
    for c in ("setup_start", "start", "end"):
        bad.loc[rows[1], c] = bad.loc[rows[1], c] - shift
    assert "overlap" in set(check_schedule(bad, *args).rule)
    # calendar: a run starting on a Sunday
    bad = sched.copy()
    i = sched.index[0]
    bad.loc[i, "start"] = pd.Timestamp("2026-11-29 10:00")
    bad.loc[i, "end"] = pd.Timestamp("2026-11-29 12:00")
    assert "calendar" in set(check_schedule(bad, *args).rule)
    # precedence: a second operation before its first
    multi = sched.groupby("order_id").filter(lambda g: len(g) >= 2)
    first = multi.sort_values("op_seq").groupby("order_id").head(1).iloc[0]
    second = multi[(multi.order_id == first.order_id) & (multi.op_seq > first.op_seq)].iloc[0]
    bad = sched.copy()
    j = sched.index[(sched.order_id == second.order_id) & (sched.op_seq == second.op_seq)][0]
    bad.loc[j, "start"] = first.start
    assert "precedence" in set(check_schedule(bad, *args).rule)


def test_sample_schedule_respects_calendars_and_setups(sample_schedule):
    ds, res = sample_schedule
    s = res.schedule
    assert len(s) > 20
    assert s.changeover_min.sum() > 0  # families do change on the set-up machines
    assert res.status in ("OPTIMAL", "FEASIBLE", "HEURISTIC")
    # running operations stay on their machine
    prog = ds.operations_progress[ds.operations_progress.status == "running"]
    got = s.set_index(["order_id", "op_seq"])
    for o, q, m in zip(prog.order_id, prog.op_seq, prog.machine_id):
        if (o, q) in got.index:
            assert got.loc[(o, q), "machine_id"] == m
    # nothing the solver returned is worse than the dispatching rule it started from
    if res.objective is not None and res.status != "HEURISTIC":
        assert res.objective <= res.heuristic_objective + 1e-6


def test_outputs_dispatch_html_and_gantt(sample_schedule):
    ds, res = sample_schedule
    wc = res.dispatch_list.work_center_id.iloc[0]
    page = dispatch_html(res.dispatch_list, wc, "test")
    assert page.startswith("<!doctype html>") and f"work center {wc}" in page
    days = res.dispatch_list[res.dispatch_list.work_center_id == wc].setup_start.dt.normalize().nunique()
    assert page.count("<section class='list'>") == days  # one ticket list per work center and day
    assert [layer["name"] for layer in gantt_chart(res.schedule).to_dict()["layer"]] == ["bands", "operations",
                                                                                          "labels"]
    k = res.kpis.set_index("kpi")
    assert {"on_time_pct", "weighted_tardiness", "makespan", "utilisation_pct", "setup_hours", "solver_status",
            "objective", "bound"} <= set(k.index)
    # one convention (docs/glossary.md): a KPI in percent is named *_pct, and every *_pct is in percent
    in_pct = res.kpis[res.kpis.unit == "%"].kpi
    assert in_pct.str.endswith("_pct").all(), sorted(set(in_pct[~in_pct.str.endswith("_pct")]))
    assert (res.kpis[res.kpis.kpi.str.endswith("_pct")].unit == "%").all()


def test_deterministic_mode_repeats_the_schedule(sample_dataset):
    ds, orders, material = sample_dataset
    s = ScheduleSettings(time_limit_s=2, deterministic=True, skip_unschedulable=True)
    a = make_schedule(ds, orders, T0, s, material=material).schedule
    b = make_schedule(ds, orders, T0, s, material=material).schedule
    pd.testing.assert_frame_equal(a, b)


def test_heuristic_alone_is_feasible_and_flagged(sample_dataset):
    ds, orders, material = sample_dataset
    res = make_schedule(ds, orders, T0, ScheduleSettings(time_limit_s=0, skip_unschedulable=True),
                        material=material)
    checked(res, ds)
    assert res.status == "HEURISTIC"
    assert res.objective == res.heuristic_objective


def test_edd_and_atcs_rules_both_feasible(sample_dataset):
    ds, orders, material = sample_dataset
    for rule in ("edd", "atcs"):
        res = make_schedule(ds, orders, T0, ScheduleSettings(time_limit_s=0, rule=rule, skip_unschedulable=True),
                            material=material)
        checked(res, ds)


def test_large_problem_mode_is_feasible_and_no_worse_than_its_hint(sample_dataset):
    """The neighbourhood / windowed-arc model used on large problems, forced on a small one."""
    ds, orders, material = sample_dataset
    s = ScheduleSettings(time_limit_s=4, skip_unschedulable=True, large_ops=5, full_sequence_max=3,
                         sequence_window=2, neighbourhood_days=1.0)
    res = make_schedule(ds, orders, T0, s, material=material)
    checked(res, ds)
    assert res.info["restricted"] is True
    assert res.status in ("OPTIMAL", "FEASIBLE", "HEURISTIC")
    if res.status != "HEURISTIC":
        assert res.objective <= res.heuristic_objective + 1e-6


def test_lexicographic_and_weighted_objectives():
    ds, orders = _setup_case(True)
    tard = make_schedule(ds, orders, T0, ScheduleSettings(time_limit_s=3, objective="tardiness"))
    lexi = make_schedule(ds, orders, T0, ScheduleSettings(time_limit_s=3, objective=("tardiness", "setup")))
    both = make_schedule(ds, orders, T0, ScheduleSettings(time_limit_s=3,
                                                          objective_weights=(("tardiness", 1.0), ("setup", 1.0))))
    for r in (tard, lexi, both):
        checked(r, ds)
    wt = lambda r: float((order_summary(r.schedule).tardiness * order_summary(r.schedule).weight).sum())
    # the second level never gives up tardiness, and finds the least changeover among the least tardy
    assert wt(lexi) == pytest.approx(wt(tard))
    assert lexi.schedule.changeover_min.sum() <= tard.schedule.changeover_min.sum()
    assert len(lexi.info) and lexi.status in ("OPTIMAL", "FEASIBLE")


@st.composite
def small_plants(draw):
    n_wc = draw(st.integers(1, 3))
    machines = []
    for w in range(n_wc):
        for k in range(draw(st.integers(1, 2))):
            machines.append((f"M{w}{k}", f"W{w}", draw(st.sampled_from([0.8, 1.0, 1.25]))))
    items = [(f"I{k}", draw(st.sampled_from(["X", "Y"]))) for k in range(3)]
    routings = []
    for item, _ in items:
        for s in range(draw(st.integers(1, 3))):
            routings.append((item, 10 * (s + 1), f"W{draw(st.integers(0, n_wc - 1))}",
                             draw(st.sampled_from([0.0, 15.0, 30.0])), draw(st.sampled_from([2.0, 5.0, 12.0])),
                             draw(st.booleans())))
    matrix = [(f"W{w}", a, b, draw(st.sampled_from([0, 10, 45]))) for w in range(n_wc) for a in "XY" for b in "XY"]
    orders = [(f"O{k}", draw(st.sampled_from([i for i, _ in items])), draw(st.integers(1, 30)),
               str((T0 + pd.Timedelta(days=draw(st.integers(0, 4)))).date()),
               str((T0 + pd.Timedelta(days=draw(st.integers(0, 9)))).date()), draw(st.integers(1, 9)))
              for k in range(draw(st.integers(1, 6)))]
    maint = draw(st.booleans())
    exceptions = [(None, machines[0][0], T0 + pd.Timedelta(hours=20), T0 + pd.Timedelta(hours=40),
                   "maintenance")] if maint else []
    return machines, items, routings, matrix, orders, exceptions


@hyp_settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(small_plants())
def test_random_plants_schedule_feasibly(plant_spec):
    """Invariant: heuristic and CP-SAT schedules of random small plants (alternatives, changeovers,
    two-shift calendars, maintenance, uninterruptible runs) pass the independent checker."""
    machines, items, routings, matrix, orders, exceptions = plant_spec
    ds = plant(machines=machines, items=items, routings=routings, setup_matrix=matrix, exceptions=exceptions)
    frame = orders_frame(orders)
    for limit in (0, 1):
        res = make_schedule(ds, frame, T0, ScheduleSettings(time_limit_s=limit, workers=1,
                                                            skip_unschedulable=True))
        sched = checked(res, ds)
        left_out = set(res.exceptions.row) if len(res.exceptions) else set()
        assert len(sched) == len(res.problem.ops)
        if limit and res.status != "HEURISTIC":
            assert res.objective <= res.heuristic_objective + 1e-6
        assert left_out or set(sched.order_id) == set(frame.order_id)


def _overloaded_plant():
    # 100,000 one-minute units on one machine with 16 h a weekday: 56 and 112 days of calendar are
    # certainly too short (about 38,400 and 76,800 working minutes), 224 days are enough
    ds = plant(items=[("A", "")], routings=[("A", 10, "WC", 0, 1.0, False)])
    orders = orders_frame([("O1", "A", 100_000, "2026-11-23", "2027-06-30", 3)])
    return ds, orders


def test_calendar_too_short_is_seen_before_the_heuristic_runs(monkeypatch):
    import planlib.schedule as sched
    from planlib.schedule.dispatch import calendar_too_short

    ds, orders = _overloaded_plant()
    settings = ScheduleSettings(time_limit_s=0)
    short = build_problem(ds, orders, T0, settings, calendar_days=56)
    assert "machine M1 needs at least 100000 working minutes" in calendar_too_short(short)
    assert calendar_too_short(build_problem(ds, orders, T0, settings, calendar_days=224)) is None
    calls = []
    real = sched.dispatch
    monkeypatch.setattr(sched, "dispatch", lambda p, rule="atcs": calls.append(1) or real(p, rule))
    res = make_schedule(ds, orders, T0, settings)
    assert len(calls) == 1  # 56 and 112 days were skipped without dispatching
    # the same schedule as finding out by running the heuristic on each calendar
    monkeypatch.setattr(sched, "calendar_too_short", lambda p: None)
    again = make_schedule(ds, orders, T0, settings)
    assert len(calls) == 4
    pd.testing.assert_frame_equal(res.schedule, again.schedule)
    checked(res, ds)


@pytest.mark.parametrize("limit", [0, 5], ids=["heuristic", "cp-sat"])
def test_zero_minute_inspection_step(limit):
    """An inspection step of zero minutes (no setup, no run) between two operations, on a calendar with
    breaks: scheduled, reported with start == end, and accepted by the checker."""
    ds = plant(shift=("06:00", "14:00"), items=[("A", "")],
               routings=[("A", 10, "WC", 0, 48.0, False), ("A", 20, "WC", 0, 0.0, True),
                         ("A", 30, "WC", 0, 48.0, False)])
    orders = orders_frame([("O1", "A", 5, "2026-11-23", "2026-11-24", 1),   # 240 + 0 + 240 min
                           ("O2", "A", 5, "2026-11-23", "2026-11-25", 3)])
    res = make_schedule(ds, orders, T0, ScheduleSettings(time_limit_s=limit, workers=2, seed=0))
    s = checked(res, ds).set_index(["order_id", "op_seq"]).sort_index()
    assert list(s.run_min.loc["O1"]) == [240, 0, 240]
    for o in ("O1", "O2"):
        insp = s.loc[(o, 20)]
        assert insp.start == insp.end
        assert s.loc[(o, 10), "end"] <= insp.start <= s.loc[(o, 30), "start"]
    assert s.end.max() == pd.Timestamp("2026-11-24 14:00")  # 960 min of work in two 8 h shifts


def test_an_absurd_quantity_is_an_input_error_naming_the_order(sample):
    """A 20,000,000-unit order passes validation (below the bounds) but no calendar holds it: the
    schedule said 'CalendarTooShort' with exit 1; now the orders with the most work, exit 2."""
    from planlib.schedule import build_orders, make_schedule

    orders = build_orders(sample, T0, 14)
    big = orders.order_id.iloc[0]
    orders.loc[orders.order_id == big, "qty"] = 20_000_000.0
    with pytest.raises(InputError) as info:
        make_schedule(sample, orders, T0, ScheduleSettings(time_limit_s=0.01, horizon_days=14))
    problems = info.value.problems
    assert problems.row.iloc[0] == big and problems.column.iloc[0] == "qty"
    assert float(problems.value.iloc[0]) > 1e7 and "check the quantity" in problems.fix.iloc[0]


def test_left_shift_keeps_a_finished_running_operation_apart():
    """A running operation of zero minutes (a routing step without setup or run time) sits frozen at the
    plan start, where the heuristic may put the next operation's setup too. The left shift must read the
    machine's sequence as: the empty operation, then that one, then the third: it once took the empty
    operation for the second's machine predecessor and shifted the third onto the second (found on a
    simulated week of the sample: two orders at 07:00 on PACK-1, the empty one a running operation with
    every unit reported, which is now taken as done)."""
    from planlib.schedule.dispatch import compact, dispatch
    from planlib.schedule.report import to_schedule

    ds = plant(items=[("A", "F"), ("B", "F"), ("C", "F")],
               routings=[("A", 10, "WC", 0, 0, False), ("B", 10, "WC", 45, 1, False), ("C", 10, "WC", 20, 2, False)])
    progress = pd.DataFrame([dict(order_id="O1", op_seq=10, status="running", machine_id="M1", qty_done=2.0)])
    from planlib.dataset import Dataset

    progress = from_frames({"operations_progress": progress}).operations_progress
    ds = Dataset(dict(ds.tables, operations_progress=progress), ds.source, ds.present | {"operations_progress"},
                 ds.rows)
    orders = orders_frame([("O2", "B", 6, T0, T0, 1), ("O3", "C", 50, T0, T0 + pd.Timedelta(days=3), 2),
                           ("O1", "A", 5, T0, T0 + pd.Timedelta(days=1), 1)])
    p = build_problem(ds, orders, T0, FAST)
    assert p.ops.order_id.tolist() == ["O2", "O3", "O1"]  # the empty operation comes last in op order
    assert p.ops.status.tolist() == ["planned", "planned", "running"]
    assert p.alts.run_min[p.ops.order_id[p.alts.op].to_numpy() == "O1"].tolist() == [0]
    for sol in (dispatch(p), compact(p, dispatch(p))):
        sched = to_schedule(p, sol)
        assert check_schedule(sched, T0, p.calendar_intervals, ds.setup_matrix).empty
    s = to_schedule(p, compact(p, dispatch(p))).set_index("order_id")
    assert s.end["O2"] <= s.setup_start["O3"]


def test_two_operations_reported_running_on_one_machine_and_a_running_pair_of_one_order():
    """Partial runs leave such states: O1 op 10 and O2 op 10 both running on M1 (O2 started later, so it
    is the one running now), and O3 with ops 10 and 20 both running (20 has run the units passed on). The
    schedule resumes O2 at the start, sets O1 up again on M1 after it, and runs O3 op 20 after op 10:
    before, both running ops were frozen at the plan start, on top of each other. O4's op 10 has every
    unit reported although it is still said to run, and started last on M1: it is done, and O2 still
    resumes."""
    from planlib.dataset import Dataset

    ds = plant(machines=(("M1", "WC", 1.0), ("M2", "WC2", 1.0)), items=[("A", "F"), ("B", "F")],
               routings=[("A", 10, "WC", 30, 1, False), ("B", 10, "WC2", 30, 1, False), ("B", 20, "WC", 30, 1, False)])
    progress = pd.DataFrame([
        dict(order_id="O1", op_seq=10, status="running", machine_id="M1", qty_done=10.0, actual_start=T0 - pd.Timedelta(days=3)),
        dict(order_id="O2", op_seq=10, status="running", machine_id="M1", qty_done=5.0, actual_start=T0 - pd.Timedelta(days=1)),
        dict(order_id="O3", op_seq=10, status="running", machine_id="M2", qty_done=20.0, actual_start=T0 - pd.Timedelta(days=2)),
        dict(order_id="O3", op_seq=20, status="running", machine_id="M1", qty_done=8.0, actual_start=T0 - pd.Timedelta(days=2)),
        dict(order_id="O4", op_seq=10, status="running", machine_id="M1", qty_done=12.0, actual_start=T0 - pd.Timedelta(hours=5)),
    ])
    progress = from_frames({"operations_progress": progress}).operations_progress
    ds = Dataset(dict(ds.tables, operations_progress=progress), ds.source, ds.present | {"operations_progress"},
                 ds.rows)
    orders = orders_frame([("O1", "A", 40, T0, T0 + pd.Timedelta(days=2), 1), ("O2", "A", 30, T0, T0 + pd.Timedelta(days=2), 1),
                           ("O3", "B", 60, T0, T0 + pd.Timedelta(days=3), 1),
                           ("O4", "A", 12, T0, T0 + pd.Timedelta(days=3), 1)]).assign(status="in_progress")
    for limit in (0.0, 5.0):  # the heuristic alone, and CP-SAT
        res = make_schedule(ds, orders, T0, ScheduleSettings(time_limit_s=limit, workers=2, seed=0))
        s = res.schedule.set_index(["order_id", "op_seq"])
        assert check_schedule(res.schedule, T0, res.problem.calendar_intervals, ds.setup_matrix).empty
        assert s.status[("O2", 10)] == "running" and s.setup_min[("O2", 10)] == 0
        assert s.start[("O2", 10)] == T0 + pd.Timedelta(hours=6)  # resumes at the first working minute
        assert s.status[("O1", 10)] == "planned" and s.setup_min[("O1", 10)] == 30 and s.qty[("O1", 10)] == 30
        assert s.status[("O3", 20)] == "planned" and s.start[("O3", 20)] >= s.end[("O3", 10)]
        assert s.machine_id[("O1", 10)] == "M1" and s.machine_id[("O3", 20)] == "M1"
        assert "O4" not in set(res.schedule.order_id)
        if limit:
            assert res.info["cpsat_status"] in ("OPTIMAL", "FEASIBLE")
