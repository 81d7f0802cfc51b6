"""Working time: shift patterns, holidays, maintenance, breakdowns and overtime.

A machine works by its own calendar (``machines.calendar_id``) or else by its
work center's. Its working time is the calendar's shifts, less the holiday,
maintenance and breakdown windows of ``calendar_exceptions`` that name its
calendar or the machine itself, plus overtime windows. Scheduling uses the
intervals; capacity planning uses their hours.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from planlib.buckets import bucket_start, pandas_freq, week_starts
from planlib.dataset import Dataset

_OFF = ("holiday", "maintenance", "breakdown")


def shift_hours(start_time, end_time):
    """Length of shifts [h] from their start and end times of day [h]: an end not after the start
    is on the next day (22:00-06:00 is 8 h, 00:00-24:00 is 24 h)."""
    start_time, end_time = np.asarray(start_time, dtype=float), np.asarray(end_time, dtype=float)
    return np.where(end_time > start_time, end_time - start_time, end_time + 24 - start_time)


def shift_intervals(calendars: pd.DataFrame, start, end) -> pd.DataFrame:
    """Shifts of every calendar between ``start`` and ``end``.

    Parameters
    ----------
    calendars : DataFrame
        The ``calendars`` table: ``calendar_id, weekday (0 = Monday), start_time, end_time`` [h].
    start, end : datetime-like
        The window; shifts are clipped to it.

    Returns
    -------
    DataFrame
        Columns ``calendar_id, start, end`` (timestamps), sorted; a shift whose
        end_time is not after its start_time runs past midnight.
    """
    start, end = pd.Timestamp(start), pd.Timestamp(end)
    days = pd.date_range(start.normalize() - pd.Timedelta(days=1), end.normalize(), freq="D")
    frame = pd.DataFrame({"day": days, "weekday": days.weekday})
    cal = calendars.dropna(subset=["calendar_id", "weekday", "start_time", "end_time"])
    cal = cal.assign(weekday=cal.weekday.astype(int))
    shifts = frame.merge(cal, on="weekday")
    length = shift_hours(shifts.start_time, shifts.end_time)
    s = shifts.day + pd.to_timedelta(shifts.start_time, unit="h")
    e = s + pd.to_timedelta(length, unit="h")
    out = pd.DataFrame({"calendar_id": shifts.calendar_id, "start": s.clip(lower=start), "end": e.clip(upper=end)})
    out = out[(out.end > out.start).to_numpy() & (length > 0)]
    return _merge(out, "calendar_id")


def _merge(intervals: pd.DataFrame, key: str) -> pd.DataFrame:
    """Union of overlapping or touching intervals per key."""
    if intervals.empty:
        return intervals.reset_index(drop=True)
    iv = intervals.sort_values([key, "start"]).reset_index(drop=True)
    prev_end = iv.groupby(key).end.transform(lambda s: s.cummax().shift())
    new_block = prev_end.isna() | (iv.start > prev_end)
    block = new_block.cumsum()
    out = iv.groupby(block).agg(**{key: (key, "first"), "start": ("start", "min"), "end": ("end", "max")})
    return out.reset_index(drop=True)


def _subtract(a: pd.DataFrame, b: pd.DataFrame) -> pd.DataFrame:
    """Intervals ``a`` less intervals ``b`` (one key's worth each, both sorted and merged)."""
    if b.empty or a.empty:
        return a
    out = []
    bs, be = b.start.to_numpy(), b.end.to_numpy()
    for s, e in zip(a.start.to_numpy(), a.end.to_numpy()):
        cur = s
        for k in np.flatnonzero((bs < e) & (be > s)):
            if bs[k] > cur:
                out.append((cur, bs[k]))
            cur = max(cur, be[k])
        if cur < e:
            out.append((cur, e))
    return pd.DataFrame(out, columns=["start", "end"])


def machine_intervals(ds: Dataset, start, end) -> pd.DataFrame:
    """Working intervals of every machine between ``start`` and ``end``.

    Parameters
    ----------
    ds : Dataset
        Uses ``machines, work_centers, calendars, calendar_exceptions``.
    start, end : datetime-like

    Returns
    -------
    DataFrame
        Columns ``machine_id, work_center_id, start, end``, non-overlapping and
        sorted per machine.
    """
    start, end = pd.Timestamp(start), pd.Timestamp(end)
    machines = ds.machines
    wc_cal = ds.work_centers.set_index("work_center_id").calendar_id
    cal_of = machines.calendar_id.fillna(machines.work_center_id.map(wc_cal))
    shifts = shift_intervals(ds.calendars, start, end)
    ex = ds.calendar_exceptions
    ex = ex[(ex.end > start) & (ex.start < end)]
    rows = []
    by_cal = {c: g[["start", "end"]] for c, g in shifts.groupby("calendar_id")}
    shared: dict = {}  # calendar -> its working time after calendar-wide exceptions (machines share it)
    own = set(ex.machine_id.dropna())
    for mid, wid, cid in zip(machines.machine_id, machines.work_center_id, cal_of):
        if mid not in own and cid in shared:
            rows.append(shared[cid].assign(machine_id=mid, work_center_id=wid))
            continue
        work = by_cal.get(cid, pd.DataFrame(columns=["start", "end"]))
        mine = ex[(ex.machine_id == mid) | (ex.calendar_id == cid)]
        extra = mine[mine.kind == "overtime"][["start", "end"]].clip(lower=start, upper=end)
        if len(extra):
            both = [w for w in (work, extra) if len(w)]  # concat of an empty frame warns (FutureWarning)
            work = _merge(pd.concat(both).assign(k=0), "k")[["start", "end"]]
        off = mine[mine.kind.isin(_OFF)][["start", "end"]]
        if len(off):
            work = _subtract(work.reset_index(drop=True), _merge(off.assign(k=0), "k"))
        if mid not in own:
            shared[cid] = work
        rows.append(work.assign(machine_id=mid, work_center_id=wid))
    rows = [r for r in rows if len(r)]  # a machine without working time adds nothing (and no dtype)
    if not rows:
        return pd.DataFrame(columns=["machine_id", "work_center_id", "start", "end"])
    out = pd.concat(rows, ignore_index=True)[["machine_id", "work_center_id", "start", "end"]]
    return out[out.end > out.start].reset_index(drop=True)


def longest_working_interval(intervals: pd.DataFrame, start) -> pd.Series:
    """Longest continuous working time of each machine, in whole minutes from ``start``.

    Each interval is cut to whole minutes from ``start`` (start rounded up, end down, as the
    scheduler's timelines, :class:`planlib.schedule.timeline.Timeline`), and intervals of a
    machine that touch or overlap are one: a pause of zero minutes is no pause.

    Parameters
    ----------
    intervals : DataFrame
        ``machine_id, start, end`` (timestamps), as from :func:`machine_intervals`.
    start : datetime-like
        Time zero.

    Returns
    -------
    Series
        Longest working interval [min] by ``machine_id``; machines without working time are
        left out.
    """
    if not len(intervals):
        return pd.Series(dtype=np.int64, index=pd.Index([], name="machine_id"))
    t0 = pd.Timestamp(start)
    frame = pd.DataFrame({
        "machine_id": intervals.machine_id.to_numpy(),
        "a": np.ceil((intervals.start - t0).dt.total_seconds().to_numpy() / 60).astype(np.int64),
        "b": np.floor((intervals.end - t0).dt.total_seconds().to_numpy() / 60).astype(np.int64),
    })
    frame = frame[frame.b > frame.a].sort_values(["machine_id", "a", "b"], kind="stable")
    # a new stretch starts where an interval begins after every earlier one of its machine ended
    reach = frame.groupby("machine_id", sort=False).b.cummax()
    before = reach.groupby(frame.machine_id, sort=False).shift()
    stretch = (before.isna() | (frame.a > before)).cumsum()
    spans = frame.groupby(stretch).agg(machine_id=("machine_id", "first"), a=("a", "min"), b=("b", "max"))
    return (spans.b - spans.a).groupby(spans.machine_id).max().astype(np.int64)


def available_hours(ds: Dataset, start, n_periods: int, freq: str = "W") -> pd.DataFrame:
    """Available capacity per work center and period, from calendars, machine speed and efficiency.

    Parameters
    ----------
    ds : Dataset
    start : datetime-like
        Start of the first period (a Monday for weekly periods).
    n_periods : int
    freq : {"W", "M"}
        Weekly periods from ``start``, or calendar months.

    Returns
    -------
    DataFrame
        Columns ``work_center_id, period_start, machines, calendar_hours, efficiency,
        available_hours`` [h]: ``calendar_hours`` is the working time of all the
        work center's machines; ``available_hours`` is that time in standard hours,
        each machine's hours times its ``speed_factor`` (a machine 20 % faster does
        1.2 h of routing run time an hour), times the work center's ``efficiency``.
        Load in routing hours compares directly with it.
    """
    start = pd.Timestamp(start)
    if freq == "W":
        edges = week_starts(start, n_periods + 1)
    else:
        edges = pd.date_range(bucket_start([start], "M")[0], periods=n_periods + 1, freq=pandas_freq("M"))
    iv = machine_intervals(ds, edges[0], edges[-1])
    hours = np.zeros((len(ds.work_centers), n_periods))
    std = np.zeros((len(ds.work_centers), n_periods))
    wc_index = pd.Series(np.arange(len(ds.work_centers)), index=ds.work_centers.work_center_id)
    if len(iv):
        # split every interval at the period edges (vectorised: a shift spans at most a few periods)
        s = iv.start.to_numpy("datetime64[ns]")
        e = iv.end.to_numpy("datetime64[ns]")
        w = wc_index.reindex(iv.work_center_id).to_numpy()
        speed = ds.machines.set_index("machine_id").speed_factor.fillna(1.0).reindex(iv.machine_id).to_numpy(float)
        edge = edges.to_numpy("datetime64[ns]")
        i = np.searchsorted(edge, s, side="right") - 1
        while len(s):
            ok = (i >= 0) & (i < n_periods)
            hi = np.minimum(e, edge[np.minimum(i + 1, n_periods)])
            part = (hi - s) / np.timedelta64(1, "h")
            np.add.at(hours, (w[ok], i[ok]), part[ok])
            np.add.at(std, (w[ok], i[ok]), part[ok] * speed[ok])
            rest = e > hi
            s, e, w, i, speed = hi[rest], e[rest], w[rest], i[rest] + 1, speed[rest]
    n_machines = ds.machines.groupby("work_center_id").size()
    wc = ds.work_centers
    out = pd.DataFrame({
        "work_center_id": np.repeat(wc.work_center_id.to_numpy(), n_periods),
        "period_start": np.tile(edges[:-1], len(wc)),
        "machines": np.repeat(wc.work_center_id.map(n_machines).fillna(0).astype(int).to_numpy(), n_periods),
        "calendar_hours": hours.ravel(),
        "efficiency": np.repeat(wc.efficiency.to_numpy(), n_periods),
    })
    out["available_hours"] = std.ravel() * out.efficiency
    return out
