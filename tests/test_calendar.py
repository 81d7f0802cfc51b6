"""Working time from shifts and exceptions."""
from __future__ import annotations

import math

import pandas as pd

from planlib.calendar import available_hours, machine_intervals, shift_intervals
from planlib.data import from_frames


def _plant(exceptions=None):
    tables = {
        "calendars": pd.DataFrame({"calendar_id": ["D"] * 5 + ["N"], "weekday": ["Mon", "Tue", "Wed", "Thu", "Fri", "Mon"],
                                   "start_time": ["06:00"] * 5 + ["22:00"], "end_time": ["14:00"] * 5 + ["06:00"]}),
        "work_centers": pd.DataFrame({"work_center_id": ["W"], "calendar_id": ["D"], "efficiency": [0.5]}),
        "machines": pd.DataFrame({"machine_id": ["M1", "M2"], "work_center_id": ["W", "W"], "calendar_id": [None, "N"]}),
    }
    if exceptions is not None:
        tables["calendar_exceptions"] = exceptions
    return from_frames(tables)


def test_night_shift_runs_past_midnight():
    ds = _plant()
    s = shift_intervals(ds.calendars, "2026-11-23", "2026-11-30")
    night = s[s.calendar_id == "N"]
    assert list(zip(night.start, night.end)) == [(pd.Timestamp("2026-11-23 22:00"), pd.Timestamp("2026-11-24 06:00"))]


def test_exceptions_remove_and_add_time():
    ex = pd.DataFrame({
        "calendar_id": ["D", None], "machine_id": [None, "M1"],
        "start": ["2026-11-24 00:00", "2026-11-28 08:00"], "end": ["2026-11-25 00:00", "2026-11-28 12:00"],
        "kind": ["holiday", "overtime"]})
    iv = machine_intervals(_plant(ex), "2026-11-23", "2026-11-30")
    m1 = iv[iv.machine_id == "M1"]
    hours = ((m1.end - m1.start).dt.total_seconds() / 3600).sum()
    assert hours == 4 * 8 + 4  # Tuesday off, Saturday morning overtime
    assert pd.Timestamp("2026-11-24 06:00") not in set(m1.start)


def test_maintenance_cuts_a_shift_in_two():
    ex = pd.DataFrame({"calendar_id": [None], "machine_id": ["M1"], "start": ["2026-11-23 09:00"],
                       "end": ["2026-11-23 10:30"], "kind": ["maintenance"]})
    iv = machine_intervals(_plant(ex), "2026-11-23", "2026-11-24")
    m1 = iv[iv.machine_id == "M1"]
    assert [(s.strftime("%H:%M"), e.strftime("%H:%M")) for s, e in zip(m1.start, m1.end)] == [("06:00", "09:00"), ("10:30", "14:00")]


def test_available_hours_per_week_use_efficiency():
    cap = available_hours(_plant(), "2026-11-23", 2)
    # M1: 5 x 8 h on calendar D; M2: one night shift of 8 h on calendar N
    assert cap.calendar_hours.tolist() == [48.0, 48.0]
    assert cap.available_hours.tolist() == [24.0, 24.0]
    assert cap.machines.tolist() == [2, 2]


def test_available_hours_count_machine_speed():
    """A machine with speed_factor 1.5 gives 1.5 standard hours per calendar hour (routing run
    times are divided by the speed when scheduled)."""
    ds = _plant()
    ds = ds.replace(machines=ds.machines.assign(speed_factor=[1.5, 1.0]))
    cap = available_hours(ds, "2026-11-23", 1)
    assert cap.calendar_hours.tolist() == [48.0]
    assert cap.available_hours.tolist() == [(40 * 1.5 + 8) * 0.5]


def test_sample_christmas_week_has_less_capacity(sample):
    cap = available_hours(sample, "2026-11-23", 6).set_index(["work_center_id", "period_start"])
    normal = cap.loc[("SAW", pd.Timestamp("2026-11-23")), "calendar_hours"]
    xmas = cap.loc[("SAW", pd.Timestamp("2026-12-21")), "calendar_hours"]
    assert normal == 2 * 5 * 16 and xmas == 2 * 3 * 16


def test_round_the_clock_shift_is_24_hours():
    cal = pd.DataFrame({"calendar_id": ["C"], "weekday": ["Mon"], "start_time": ["00:00"], "end_time": ["24:00"]})
    s = shift_intervals(from_frames({"calendars": cal}).calendars, "2026-11-23", "2026-11-30")
    assert list(zip(s.start, s.end)) == [(pd.Timestamp("2026-11-23"), pd.Timestamp("2026-11-24"))]


def test_available_hours_periods_are_weeks_from_the_start_or_calendar_months():
    """Weekly periods start every 7 days from ``start`` (a Tuesday stays a Tuesday); monthly
    periods start on the 1st of the month holding ``start`` (computed here by hand)."""
    ds = _plant()
    weekly = available_hours(ds, "2026-11-24 08:00", 3, "W")
    assert sorted(set(weekly.period_start)) == [pd.Timestamp("2026-11-24 08:00") + pd.Timedelta(days=7 * k)
                                                for k in range(3)]
    monthly = available_hours(ds, "2026-11-24", 3, "M")
    assert sorted(set(monthly.period_start)) == [pd.Timestamp(y, m, 1) for y, m in ((2026, 11), (2026, 12), (2027, 1))]
    # December 2026 has 23 weekdays: M1 (day calendar D, 8 h Mon-Fri) works 23 x 8 h
    dec = monthly[monthly.period_start == pd.Timestamp("2026-12-01")].iloc[0]
    # M2 works the nights from Monday 22:00 to Tuesday 06:00: those of 7, 14, 21 and 28 December,
    # and the last 6 h of the night of Monday 30 November
    assert dec.calendar_hours == 23 * 8 + 4 * 8 + 6


def test_longest_working_interval_merges_touching_and_rounds_to_minutes_as_the_scheduler():
    from planlib.calendar import longest_working_interval
    from planlib.schedule.timeline import Timeline

    t0 = pd.Timestamp("2026-11-23")
    iv = pd.DataFrame({
        "machine_id": ["M1", "M1", "M1", "M2", "M2", "M3"],
        "start": pd.to_datetime(["2026-11-23 06:00", "2026-11-23 14:00", "2026-11-23 22:30:30",
                                 "2026-11-24 00:00", "2026-11-24 00:30", "2026-11-24 08:00:20"], format="mixed"),
        "end": pd.to_datetime(["2026-11-23 14:00", "2026-11-23 22:00", "2026-11-23 23:00",
                               "2026-11-24 01:00", "2026-11-24 02:00", "2026-11-24 08:00:50"], format="mixed"),
    })
    longest = longest_working_interval(iv, t0)
    # M1: two shifts touching at 14:00 are one stretch of 16 h; M2: overlapping ones 2 h; M3: no whole minute
    assert longest.to_dict() == {"M1": 960, "M2": 120}
    for m, g in iv.groupby("machine_id"):
        a = ((g.start - t0).dt.total_seconds() / 60).apply(math.ceil)
        b = ((g.end - t0).dt.total_seconds() / 60).apply(math.floor)
        tl = Timeline.from_pairs(zip(a, b))
        assert (int(tl.length.max()) if len(tl.a) else None) == longest.get(m)
