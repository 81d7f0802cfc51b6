"""Tests of planlib.labour: operator hours a schedule needs per work center, day and shift.

A hand-built schedule with hours worked out by hand; the sample's published schedule against an
independent minute-by-minute sum; an invariant over random schedules and staffing (hypothesis).
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, example, given
from hypothesis import settings as hyp_settings
from hypothesis import strategies as st

from planlib.data import from_frames, read_table, write_tables
from planlib.labour import LABOUR_COLUMNS, crew_factor, labour_requirements, weekly_labour

T0 = pd.Timestamp("2026-11-23")  # a Monday
WEEKDAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]


def plant(staffing=(), exceptions=(), shift=("06:00", "22:00"), routings=()):
    """Work center WC with machines M1, M2 on calendar CAL (Mon-Fri ``shift``), and ``staffing``."""
    tables = {
        "items": pd.DataFrame([dict(item_id="A", item_type="make", lead_time_days=1)]),
        "work_centers": pd.DataFrame([dict(work_center_id="WC", calendar_id="CAL")]),
        "machines": pd.DataFrame([dict(machine_id="M1", work_center_id="WC"),
                                  dict(machine_id="M2", work_center_id="WC")]),
        "calendars": pd.DataFrame([dict(calendar_id="CAL", weekday=d, start_time=shift[0], end_time=shift[1])
                                   for d in WEEKDAYS[:5]]),
        "calendar_exceptions": pd.DataFrame(list(exceptions),
                                            columns=["calendar_id", "machine_id", "start", "end", "kind"]),
        "staffing": pd.DataFrame(list(staffing),
                                 columns=["work_center_id", "weekday", "start_time", "end_time", "operators"]),
    }
    if routings:
        tables["routings"] = pd.DataFrame(list(routings), columns=["item_id", "op_seq", "work_center_id",
                                                                   "setup_min", "run_min_per_unit", "crew_size"])
    return from_frames(tables)


def op(order, machine, setup_start, start, end, crew):
    return dict(order_id=order, op_seq=10, work_center_id="WC", machine_id=machine,
                setup_start=pd.Timestamp(setup_start), start=pd.Timestamp(start), end=pd.Timestamp(end),
                crew_size=float(crew))


TWO_SHIFTS = [("WC", d, a, b, n) for d in WEEKDAYS[:5] for a, b, n in (("06:00", "14:00", 2), ("14:00", "22:00", 1))]


def row(table, start, kind="shift"):
    hit = table[(table.start == pd.Timestamp(start)) & (table.kind == kind)]
    assert len(hit) == 1, table.to_string()
    return hit.iloc[0]


# --------------------------------------------------------------------------- hand-built schedule

def test_hand_built_schedule_hours_per_shift():
    """Worked by hand:

    - O1, crew 2, on M1: setup from Mon 12:00 (counted), run 13:00-16:00. Machine time 12:00-16:00:
      2 h in the early shift, 2 h in the late one -> 4 operator h in each.
    - O2, crew 1, on M2: Mon 13:00-15:00 -> 1 h early, 1 h late.
    - O3, crew 2, on M1: Tue 21:00 to Wed 07:00, paused over the night (the machine stops 22:00-06:00):
      1 h in Tuesday's late shift, 1 h in Wednesday's early shift -> 2 operator h in each.
    - O4, crew 1, on M1 in Saturday's calendar overtime 06:00-10:00 (nobody rostered): 07:00-09:00 -> 2 h
      needed, all of it shortfall, one extra operator or 2 h of overtime.
    - Thursday's early shift has a 2-hour maintenance of the calendar: 2 operators x 6 h available.
    """
    ds = plant(TWO_SHIFTS, exceptions=[("CAL", None, "2026-11-28 06:00", "2026-11-28 10:00", "overtime"),
                                       ("CAL", None, "2026-11-26 08:00", "2026-11-26 10:00", "maintenance")])
    sched = pd.DataFrame([
        op("O1", "M1", "2026-11-23 12:00", "2026-11-23 13:00", "2026-11-23 16:00", 2),
        op("O2", "M2", "2026-11-23 13:00", "2026-11-23 13:00", "2026-11-23 15:00", 1),
        op("O3", "M1", "2026-11-24 21:00", "2026-11-24 21:30", "2026-11-25 07:00", 2),
        op("O4", "M1", "2026-11-28 07:00", "2026-11-28 07:15", "2026-11-28 09:00", 1),
        op("O5", "M2", "2026-11-24 08:00", "2026-11-24 08:00", "2026-11-24 12:00", 0),  # unmanned
    ])
    lab = labour_requirements(sched, ds, T0)
    assert list(lab.columns) == LABOUR_COLUMNS
    mon_early, mon_late = row(lab, "2026-11-23 06:00"), row(lab, "2026-11-23 14:00")
    assert (mon_early.shift_name, mon_early.operators, mon_early.hours_needed) == ("06:00-14:00", 2, 5.0)
    assert (mon_late.hours_needed, mon_late.hours_available, mon_late.idle_h) == (5.0, 8.0, 3.0)
    assert row(lab, "2026-11-24 14:00").hours_needed == 2.0
    assert row(lab, "2026-11-25 06:00").hours_needed == 2.0
    assert row(lab, "2026-11-24 06:00").hours_needed == 0.0  # O5 has no crew
    thu = row(lab, "2026-11-26 06:00")
    assert (thu.off_hours, thu.hours_available) == (2.0, 12.0)
    sat = row(lab, "2026-11-28 06:00", kind="overtime")
    assert (sat.operators, sat.hours_needed, sat.hours_available) == (0, 2.0, 0.0)
    assert (sat.shortfall_h, sat.extra_operators, sat.overtime_h) == (2.0, 1.0, 2.0)
    # every hour of every operation is somewhere: 8 + 2 + 4 + 2
    assert lab.hours_needed.sum() == pytest.approx(16.0)


def test_shortfall_gives_extra_operators_and_overtime():
    """Three crews of 2 for the whole late shift (8 h each: 48 operator h) on one operator:
    40 h short, ceil(40 / 8) = 5 extra operators."""
    ds = plant(TWO_SHIFTS)
    sched = pd.DataFrame([op(f"O{k}", m, "2026-11-23 14:00", "2026-11-23 14:00", "2026-11-23 22:00", 2)
                          for k, m in enumerate(["M1", "M2", "M1"])])
    late = row(labour_requirements(sched, ds, T0), "2026-11-23 14:00")
    assert (late.hours_needed, late.hours_available, late.shortfall_h) == (48.0, 8.0, 40.0)
    assert (late.extra_operators, late.overtime_h, late.idle_h) == (5.0, 40.0, 0.0)


def test_without_staffing_the_calendar_gives_the_shifts():
    """No staffing rows: one row per calendar shift, operators unknown, the need still counted."""
    ds = plant()
    sched = pd.DataFrame([op("O1", "M1", "2026-11-23 20:00", "2026-11-23 20:00", "2026-11-24 08:00", 1)])
    lab = labour_requirements(sched, ds, T0)
    mon, tue = row(lab, "2026-11-23 06:00"), row(lab, "2026-11-24 06:00")
    assert mon.shift_name == "06:00-22:00" and np.isnan(mon.operators) and np.isnan(mon.shortfall_h)
    assert (mon.hours_needed, tue.hours_needed) == (2.0, 2.0)


def test_night_shift_past_midnight_and_overlapping_shifts():
    """A 22:00-06:00 shift belongs to the day it starts; time in two overlapping shifts counts once,
    in the earlier."""
    staffing = [("WC", "Mon", "06:00", "14:00", 1), ("WC", "Mon", "10:00", "18:00", 1),
                ("WC", "Mon", "22:00", "06:00", 1)]
    ds = plant(staffing, shift=("00:00", "24:00"))
    sched = pd.DataFrame([op("O1", "M1", "2026-11-23 12:00", "2026-11-23 12:00", "2026-11-23 16:00", 1),
                          op("O2", "M2", "2026-11-23 23:00", "2026-11-23 23:00", "2026-11-24 01:00", 1)])
    lab = labour_requirements(sched, ds, T0)
    assert row(lab, "2026-11-23 06:00").hours_needed == 2.0
    assert row(lab, "2026-11-23 10:00").hours_needed == 2.0
    night = row(lab, "2026-11-23 22:00")
    assert (night.shift_name, night.date, night.hours_needed) == ("22:00-06:00", T0, 2.0)
    assert lab.hours_needed.sum() == pytest.approx(6.0)


# --------------------------------------------------------------------------- invariant

@st.composite
def random_case(draw):
    shifts = draw(st.lists(st.tuples(st.sampled_from(WEEKDAYS[:6]), st.integers(0, 23), st.integers(1, 12),
                                     st.integers(0, 4)), min_size=0, max_size=6,
                           unique_by=lambda s: (s[0], s[1])))
    ops = draw(st.lists(st.tuples(st.sampled_from(["M1", "M2"]), st.integers(0, 6 * 1440),
                                  st.integers(0, 3000), st.sampled_from([0, 0.5, 1, 2, 3])), min_size=1, max_size=8))
    return shifts, ops


@hyp_settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(random_case())
@example(([], [("M1", 6 * 1440 - 100, 3000, 1)]))  # from Sunday into the next Monday's working time
@example(([("Mon", 0, 8, 0), ("Mon", 17, 1, 2), ("Tue", 7, 11, 0)],  # rows' rounding adds up past 1e-6 h
          [("M1", 220, 414, 1), ("M1", 473, 2396, 1), ("M1", 1824, 332, 0.5), ("M1", 1959, 600, 0.5)]))
def test_hours_needed_add_up_to_crew_times_staffed_working_time(case):
    """Sum of hours_needed over the shifts == sum over operations of crew_size x their minutes that are
    both machine working time and inside a staffed shift, counted minute by minute; with the overtime
    rows, every working minute of every operation is counted once."""
    shifts, ops = case
    staffing = [("WC", d, f"{h:02d}:00", f"{(h + n) % 24:02d}:00", k) for d, h, n, k in shifts]
    ds = plant(staffing, shift=("06:00", "22:00"))
    sched = pd.DataFrame([op(f"O{k}", m, T0 + pd.Timedelta(minutes=a), T0 + pd.Timedelta(minutes=a),
                             T0 + pd.Timedelta(minutes=a + d), c) for k, (m, a, d, c) in enumerate(ops)])
    lab = labour_requirements(sched, ds, T0)
    n = 10 * 1440
    working = np.zeros(n, bool)
    for day in range(10):  # Mon-Fri 06:00-22:00, the next week's Monday too (an operation may reach it)
        if day % 7 < 5:
            working[day * 1440 + 360: day * 1440 + 1320] = True
    staffed = np.zeros(n + 2 * 1440, bool)  # index shifted by a day: a Sunday-night shift reaches Monday
    for d, h, length, _ in shifts if staffing else []:
        for week in (-1, 0, 1):
            s = 1440 + (week * 7 + WEEKDAYS.index(d)) * 1440 + h * 60
            if 0 <= s < len(staffed):
                staffed[max(0, s): s + length * 60] = True
    staffed = staffed[1440: 1440 + n]
    want_staffed = want_all = 0.0
    for m, a, d, c in ops:
        minutes = np.zeros(n, bool)
        minutes[a: a + d] = True
        want_all += c * (minutes & working).sum() / 60
        want_staffed += c * (minutes & working & staffed).sum() / 60
    tol = 1e-6 * max(len(lab), 1)  # each row is rounded to 1e-6 h
    if staffing:
        got = lab[lab.kind == "shift"].hours_needed.sum()
        assert got == pytest.approx(want_staffed, abs=tol)
    assert lab.hours_needed.sum() == pytest.approx(want_all, abs=tol)


# --------------------------------------------------------------------------- a real published schedule

@pytest.fixture(scope="module")
def sample_plan(sample, tmp_path_factory):
    """The sample factory with staffing (2 operators on every calendar shift of every work center, 1 on
    Friday afternoons), scheduled by the schedule step and published as CSV, read back."""
    from planlib import steps
    from planlib.params import PlanParams

    cal = sample.calendars
    wc = sample.work_centers
    rows = []
    for w, cid in zip(wc.work_center_id, wc.calendar_id):
        for d, a, b in zip(cal[cal.calendar_id == cid].weekday, cal[cal.calendar_id == cid].start_time,
                           cal[cal.calendar_id == cid].end_time):
            h = lambda x: f"{int(x):02d}:{int(round(x % 1 * 60)):02d}"  # noqa: E731
            rows.append(dict(work_center_id=w, weekday=int(d), start_time=h(a), end_time=h(b),
                             operators=1 if (d == 4 and a >= 12) else 2))
    staffing = from_frames({"staffing": pd.DataFrame(rows)}).staffing
    ds = sample.replace(staffing=staffing)
    params = PlanParams(time_limit_s=2.0)
    res = steps.schedule(ds, params)
    out = tmp_path_factory.mktemp("labour")
    write_tables({"schedule": res.schedule}, out)
    return ds, read_table(out / "schedule.csv"), res


def test_sample_schedule_against_an_independent_sum(sample_plan):
    """labour_requirements over the published schedule equals a minute-by-minute sum: each operation's
    minutes from setup_start to end on its machine's working time (which must be its changeover, setup
    and run minutes), binned into the staffing shifts of its work center by weekday and time of day."""
    ds, sched, res = sample_plan
    lab = labour_requirements(sched, ds, T0)
    iv = res.problem.calendar_intervals
    staffing = ds.staffing
    assert (staffing.end_time > staffing.start_time).all()  # no shift past midnight in the sample
    t_end = pd.to_datetime(sched.end).max().normalize() + pd.Timedelta(days=1)
    n = int((t_end - T0).total_seconds() // 60)
    stamp = T0 + pd.to_timedelta(np.arange(n), unit="min")
    want = {}
    for o in sched[sched.crew_size > 0].itertuples():
        g = iv[iv.machine_id == o.machine_id]
        work = np.zeros(n, bool)
        for s, e in zip(g.start, g.end):
            a, b = max(0, int((s - T0).total_seconds() // 60)), int((e - T0).total_seconds() // 60)
            work[a:max(a, min(n, b))] = True
        a = int((pd.Timestamp(o.setup_start) - T0).total_seconds() // 60)
        b = int((pd.Timestamp(o.end) - T0).total_seconds() // 60)
        mine = np.flatnonzero(work[a:b]) + a
        assert len(mine) == o.setup_min + o.changeover_min + o.run_min, o
        st_ = staffing[staffing.work_center_id == o.work_center_id]
        hour = stamp[mine].hour + stamp[mine].minute / 60
        wday = stamp[mine].weekday
        left = np.ones(len(mine), bool)  # a minute counts in the first shift holding it
        for d, s, e in sorted(zip(st_.weekday, st_.start_time, st_.end_time), key=lambda x: (x[0], x[1])):
            hit = left & (wday == d) & (hour >= s) & (hour < e)
            for day in np.unique(stamp[mine][hit].normalize()):
                key = (o.work_center_id, day + pd.Timedelta(hours=s))
                k = hit & (stamp[mine].normalize() == day)
                want[key] = want.get(key, 0.0) + o.crew_size * k.sum() / 60
            left &= ~hit
    got = lab[lab.kind == "shift"].set_index(["work_center_id", "start"]).hours_needed
    got = got[got > 0]
    assert len(got) > 5  # the sample's schedule loads many shifts
    assert set(got.index) == set(want)
    for k, v in want.items():
        assert got[k] == pytest.approx(v, abs=1e-6), k
    assert lab[lab.kind == "overtime"].hours_needed.sum() == 0  # staffing covers every calendar shift


def test_weekly_labour_from_capacity_load():
    """Two weeks of load at WC (crew 2 on every operation): needed = load x 2; available = 5 days x
    (2 x 8 + 1 x 8) = 120 operator h; an operator works 5 x 8 = 40 h a week."""
    ds = plant(TWO_SHIFTS, routings=[("A", 10, "WC", 30, 5.0, 2), ("A", 20, "WC", 0, 1.0, 2)])
    assert crew_factor(ds)["WC"] == 2.0
    load = pd.DataFrame({"work_center_id": "WC", "period_start": pd.date_range(T0, periods=3, freq="7D"),
                         "load_hours": [10.0, 50.0, 80.0]})
    wk = weekly_labour(load, ds, T0, after=T0 + pd.Timedelta(days=7))
    assert list(wk.period_start) == list(pd.date_range(T0 + pd.Timedelta(days=7), periods=2, freq="7D"))
    first, second = wk.iloc[0], wk.iloc[1]
    assert (first.hours_needed, first.hours_available, first.idle_h, first.shortfall_h) == (100.0, 120.0, 20.0, 0.0)
    assert (second.hours_needed, second.shortfall_h, second.operator_hours) == (160.0, 40.0, 40.0)
    assert (second.extra_operators, second.overtime_h) == (1.0, 40.0)
