"""Labour requirements: the operator hours a schedule needs against the operators on shift.

Per work center, day and shift, the operator hours the schedule's operations need
(``crew_size`` x their setup, changeover and run minutes that fall in the shift, on
their machine's working time) against the operator hours ``staffing`` puts on the
shift; the shortfall or idle hours; and what covers a shortfall, overtime hours or
extra operators. Beyond the schedule's horizon the same comparison per week comes
from MRP's capacity load (:func:`weekly_labour`).

Conventions
-----------
- Shifts are the ``staffing`` rows of a work center (weekday, start_time, end_time,
  operators); a work center without staffing rows takes its calendar's shifts, with
  ``operators`` unknown (NaN, and so are the columns computed from it).
- An operation needs ``crew_size`` operators for all its machine time: family changeover,
  routing setup and run, the working minutes of its machine between ``setup_start``
  and ``end`` of the ``schedule`` table. It pauses with its machine over breaks and
  nights; time in the pause needs nobody.
- Machine working time of a work center that no shift covers (a calendar ``overtime``
  exception, or calendar shifts nobody is rostered for) becomes rows of ``kind ==
  "overtime"`` with no operators: whatever is needed there is shortfall, to be worked
  as overtime or by extra operators.
- Time covered by two overlapping shifts of one work center counts in the earlier one.
- Operators are not available during the holiday, maintenance and breakdown exceptions
  of the work center's calendar (``calendar_id`` given, no ``machine_id``): a machine's
  own breakdown idles its operators rather than removing them.

Glossary: docs/glossary.md; guide: docs/labour.md.
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd

from planlib.buckets import bucket_start, monday
from planlib.calendar import machine_intervals, shift_hours
from planlib.dataset import Dataset

__all__ = ["LABOUR_COLUMNS", "WEEKLY_LABOUR_COLUMNS", "labour_requirements", "labour_shifts", "weekly_labour"]

LABOUR_COLUMNS = ["work_center_id", "date", "shift_name", "kind", "start", "end", "shift_hours", "off_hours",
                  "operators", "hours_needed", "hours_available", "shortfall_h", "idle_h", "extra_operators",
                  "overtime_h"]
"""Columns of :func:`labour_requirements`."""

WEEKLY_LABOUR_COLUMNS = ["work_center_id", "period_start", "load_hours", "crew_factor", "hours_needed",
                         "operator_hours", "hours_available", "shortfall_h", "idle_h", "extra_operators",
                         "overtime_h"]
"""Columns of :func:`weekly_labour`."""

_OFF = ("holiday", "maintenance", "breakdown")


def _hhmm(hours: float) -> str:
    minutes = int(round(float(hours) * 60))
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _minutes(ts, t0: pd.Timestamp) -> np.ndarray:
    return ((pd.to_datetime(pd.Series(ts)) - t0).dt.total_seconds() / 60).to_numpy(float)


def _union(starts, ends) -> tuple[np.ndarray, np.ndarray]:
    """Union of intervals ``[s, e)`` as sorted, disjoint arrays."""
    s, e = np.asarray(starts, float), np.asarray(ends, float)
    keep = e > s
    s, e = s[keep], e[keep]
    if not len(s):
        return s, e
    order = np.argsort(s, kind="stable")
    s, e = s[order], e[order]
    out_s, out_e = [s[0]], [e[0]]
    for a, b in zip(s[1:], e[1:]):
        if a <= out_e[-1]:
            out_e[-1] = max(out_e[-1], b)
        else:
            out_s.append(a)
            out_e.append(b)
    return np.array(out_s), np.array(out_e)


def _minus(s, e, bs, be) -> tuple[np.ndarray, np.ndarray]:
    """Intervals ``[s, e)`` less the disjoint sorted intervals ``[bs, be)``."""
    out_s, out_e = [], []
    for a, b in zip(s, e):
        cur = a
        for k in np.flatnonzero((bs < b) & (be > a)):
            if bs[k] > cur:
                out_s.append(cur)
                out_e.append(bs[k])
            cur = max(cur, be[k])
        if cur < b:
            out_s.append(cur)
            out_e.append(b)
    return np.array(out_s, float), np.array(out_e, float)


def _overlap(as_, ae, bs, be) -> np.ndarray:
    """Matrix of overlap lengths between intervals ``a`` (rows) and ``b`` (columns)."""
    lo = np.maximum(as_[:, None], bs[None, :])
    hi = np.minimum(ae[:, None], be[None, :])
    return np.clip(hi - lo, 0, None)


def labour_shifts(ds: Dataset, start, end) -> pd.DataFrame:
    """The shifts of every work center between ``start`` and ``end``, with their operators.

    Parameters
    ----------
    ds : Dataset
        Uses ``staffing`` (optional), ``work_centers``, ``calendars``, ``calendar_exceptions``.
    start, end : datetime-like
        Shifts that start on a day from the day before ``start`` to ``end`` and overlap
        ``[start, end)`` are listed (whole, not clipped).

    Returns
    -------
    DataFrame
        Columns ``work_center_id, date`` (the day the shift starts), ``shift_name`` (``"HH:MM-HH:MM"``),
        ``start, end`` (timestamps), ``shift_hours`` [h], ``off_hours`` [h of the shift in a
        holiday, maintenance or breakdown of the work center's calendar], ``operators``
        [headcount; NaN for a work center without staffing rows, whose calendar gives the shifts].
    """
    start, end = pd.Timestamp(start), pd.Timestamp(end)
    cols = ["work_center_id", "date", "shift_name", "start", "end", "shift_hours", "off_hours", "operators"]
    wc = ds.work_centers
    staffing = ds.staffing
    staffed = set(staffing.work_center_id)
    cal = ds.calendars
    patterns = []
    for w, cid in zip(wc.work_center_id, wc.calendar_id):
        if w in staffed:
            g = staffing[staffing.work_center_id == w]
            patterns.append(pd.DataFrame({"work_center_id": w, "weekday": g.weekday.astype(int).to_numpy(),
                                          "start_time": g.start_time.to_numpy(float),
                                          "end_time": g.end_time.to_numpy(float),
                                          "operators": g.operators.to_numpy(float), "calendar_id": cid}))
        else:
            g = cal[cal.calendar_id == cid]
            patterns.append(pd.DataFrame({"work_center_id": w, "weekday": g.weekday.astype(int).to_numpy(),
                                          "start_time": g.start_time.to_numpy(float),
                                          "end_time": g.end_time.to_numpy(float), "operators": np.nan,
                                          "calendar_id": cid}))
    patterns = [p for p in patterns if len(p)]
    if not patterns:
        return pd.DataFrame(columns=cols)
    pat = pd.concat(patterns, ignore_index=True)
    days = pd.date_range(start.normalize() - pd.Timedelta(days=1), end.normalize(), freq="D")
    frame = pd.DataFrame({"date": days, "weekday": days.weekday})
    rows = frame.merge(pat, on="weekday")
    length = shift_hours(rows.start_time, rows.end_time)
    rows["start"] = rows.date + pd.to_timedelta(rows.start_time, unit="h")
    rows["end"] = rows.start + pd.to_timedelta(length, unit="h")
    rows["shift_hours"] = length
    rows = rows[(rows.end > start) & (rows.start < end) & (rows.shift_hours > 0)].copy()
    rows["shift_name"] = [f"{_hhmm(a)}-{_hhmm(b)}" for a, b in zip(rows.start_time, rows.end_time)]
    ex = ds.calendar_exceptions
    off = ex[ex.kind.isin(_OFF) & ex.calendar_id.notna() & ex.machine_id.isna()] if len(ex) else ex
    rows["off_hours"] = 0.0
    for cid, g in off.groupby("calendar_id"):
        os_, oe = _union(_minutes(g.start, start), _minutes(g.end, start))
        mask = (rows.calendar_id == cid).to_numpy()
        if mask.any() and len(os_):
            rs, re = _minutes(rows.start[mask], start), _minutes(rows.end[mask], start)
            rows.loc[mask, "off_hours"] = _overlap(rs, re, os_, oe).sum(axis=1) / 60.0
    rows = rows.sort_values(["work_center_id", "start", "end"]).reset_index(drop=True)
    return rows[cols]


def labour_requirements(schedule: pd.DataFrame, ds: Dataset, plan_start, end=None) -> pd.DataFrame:
    """Operator hours the schedule needs per work center, day and shift, against staffing.

    Parameters
    ----------
    schedule : DataFrame
        The ``schedule`` table (:func:`planlib.schedule.report.to_schedule`, or its published
        CSV read back): ``work_center_id, machine_id, setup_start, end`` (timestamps),
        ``crew_size`` [operators]; other columns are ignored.
    ds : Dataset
        Uses ``staffing`` (optional), ``work_centers, machines, calendars, calendar_exceptions``.
    plan_start : datetime-like
        First day listed.
    end : datetime-like, optional
        Shifts starting before it are listed; default the end of the day of the schedule's
        last operation (or a day after ``plan_start`` for an empty schedule).

    Returns
    -------
    DataFrame
        One row per work center and shift (and per stretch of machine time outside every shift),
        sorted by work center and start: ``work_center_id, date`` (day the shift starts),
        ``shift_name`` (``"HH:MM-HH:MM"``), ``kind`` (``shift``, or ``overtime``: machine working
        time no shift covers, no operators), ``start, end`` (timestamps), ``shift_hours`` [h],
        ``off_hours`` [h of holiday, maintenance or breakdown of the work center's calendar],
        ``operators`` [headcount; NaN: no staffing rows for the work center], ``hours_needed``
        [operator h: crew_size x machine working time of changeover, setup and run in the
        shift], ``hours_available`` [operator h: operators x (shift_hours - off_hours)],
        ``shortfall_h`` [operator h needed beyond those available], ``idle_h`` [operator h
        available beyond those needed], ``extra_operators`` [headcount: ceil(shortfall_h /
        the shift's working hours)], ``overtime_h`` [operator h of overtime that would cover
        the shortfall instead: shortfall_h]. See the module notes for the conventions.
    """
    t0 = pd.Timestamp(plan_start).normalize()
    sched = schedule[pd.to_numeric(schedule.crew_size, errors="coerce").fillna(0) > 0] \
        if len(schedule) else schedule
    if end is None:
        last = pd.to_datetime(schedule.end).max() if len(schedule) else pd.NaT
        end = (last.normalize() + pd.Timedelta(days=1)) if pd.notna(last) else t0 + pd.Timedelta(days=1)
    end = max(pd.Timestamp(end), t0 + pd.Timedelta(days=1))
    shifts = labour_shifts(ds, t0, end)
    # machine working time, far enough to hold every operation of the schedule
    reach = max(end, pd.to_datetime(sched.end).max() if len(sched) else end) + pd.Timedelta(days=1)
    iv = machine_intervals(ds, t0 - pd.Timedelta(days=1), reach)
    rows = []
    for w in ds.work_centers.work_center_id:
        sh = shifts[shifts.work_center_id == w]
        mine = iv[iv.work_center_id == w]
        # the labour windows: each shift's own time (overlaps go to the earlier shift), then
        # the work center's machine time outside every shift
        own = []  # (row index into sh or -1, start, end) [min from t0]
        taken_s, taken_e = np.zeros(0), np.zeros(0)
        ss, se = _minutes(sh.start, t0), _minutes(sh.end, t0)
        for k, (a, b) in enumerate(zip(ss, se)):
            ps, pe = _minus([a], [b], taken_s, taken_e)
            own += [(k, x, y) for x, y in zip(ps, pe)]
            taken_s, taken_e = _union(np.r_[taken_s, a], np.r_[taken_e, b])
        ms, me = _union(_minutes(mine.start, t0), _minutes(mine.end, t0))
        lo, hi = 0.0, (end - t0).total_seconds() / 60
        ms, me = np.clip(ms, lo, hi), np.clip(me, lo, hi)
        xs, xe = _minus(ms, me, taken_s, taken_e)
        extra = [(-1 - n, x, y) for n, (x, y) in enumerate(zip(xs, xe)) if y > x]
        windows = own + extra
        if not windows:
            continue
        ws = np.array([x for _, x, _ in windows])
        we = np.array([y for _, _, y in windows])
        need = np.zeros(len(windows))
        ops = sched[sched.work_center_id == w]
        if len(ops):
            a, b = _minutes(ops.setup_start, t0), _minutes(ops.end, t0)
            crew = pd.to_numeric(ops.crew_size).to_numpy(float)
            for m, idx in pd.Series(np.arange(len(ops))).groupby(ops.machine_id.to_numpy()):
                g = iv[iv.machine_id == m]
                cs, ce = _union(_minutes(g.start, t0), _minutes(g.end, t0))
                idx = idx.to_numpy()
                # working pieces of each operation: [setup_start, end) on its machine's working time
                lo_, hi_ = np.maximum(a[idx][:, None], cs[None, :]), np.minimum(b[idx][:, None], ce[None, :])
                op_k, cal_k = np.nonzero(hi_ > lo_)
                if not len(op_k):
                    continue
                ps, pe = lo_[op_k, cal_k], hi_[op_k, cal_k]
                need += (crew[idx][op_k][:, None] * _overlap(ps, pe, ws, we)).sum(axis=0)
        for (k, x, y), n in zip(windows, need / 60.0):
            if k >= 0:
                r = sh.iloc[k]
                rows.append(dict(work_center_id=w, date=r.date, shift_name=r["shift_name"], kind="shift", start=r.start,
                                 end=r.end, shift_hours=float(r.shift_hours), off_hours=float(r.off_hours),
                                 operators=float(r.operators), hours_needed=n))
            else:
                s_ts, e_ts = t0 + pd.Timedelta(minutes=x), t0 + pd.Timedelta(minutes=y)
                rows.append(dict(work_center_id=w, date=s_ts.normalize(), shift_name=f"{s_ts:%H:%M}-{e_ts:%H:%M}",
                                 kind="overtime", start=s_ts, end=e_ts, shift_hours=(y - x) / 60.0,
                                 off_hours=0.0, operators=0.0, hours_needed=n))
    if not rows:
        return pd.DataFrame(columns=LABOUR_COLUMNS)
    out = pd.DataFrame(rows)
    # a shift's own time may be cut by an earlier overlapping shift: merge its pieces back
    out = out.groupby(["work_center_id", "kind", "start", "end", "date", "shift_name"], as_index=False, sort=False).agg(
        shift_hours=("shift_hours", "first"), off_hours=("off_hours", "first"), operators=("operators", "first"),
        hours_needed=("hours_needed", "sum"))
    out = out[(out.end > t0) & (out.start < end)]
    work = out.shift_hours - out.off_hours
    out["hours_available"] = out.operators * work
    out["shortfall_h"] = (out.hours_needed - out.hours_available).clip(lower=0)
    out["idle_h"] = (out.hours_available - out.hours_needed).clip(lower=0)
    per = np.where(work > 0, work, out.shift_hours)
    out["extra_operators"] = [math.ceil(s / p - 1e-9) if pd.notna(s) and p > 0 else np.nan
                              for s, p in zip(out.shortfall_h, per)]
    out["extra_operators"] = out.extra_operators.astype(float)
    out["overtime_h"] = out.shortfall_h
    for c in ("hours_needed", "hours_available", "shortfall_h", "idle_h", "overtime_h"):
        out[c] = out[c].round(6)
    out["date"] = pd.to_datetime(out.date)
    return out.sort_values(["work_center_id", "start", "kind"]).reset_index(drop=True)[LABOUR_COLUMNS]


def crew_factor(ds: Dataset) -> pd.Series:
    """Operators per machine hour of each work center, from its routings.

    The mean ``crew_size`` of the work center's routing operations weighted by their run
    minutes per unit (where the load comes from); exact when the operations of a work center
    share one crew size, an estimate otherwise.

    Parameters
    ----------
    ds : Dataset
        Uses ``routings`` (``work_center_id, run_min_per_unit, crew_size``).

    Returns
    -------
    Series
        ``work_center_id -> operators`` [operator h per machine h]; 0 for unmanned work.
    """
    r = ds.routings
    if not len(r):
        return pd.Series(dtype=float, name="crew_factor")
    run = r.run_min_per_unit.astype(float)
    crew = r.crew_size.fillna(0).astype(float)
    weight = run.where(run > 0, 0.0)
    num = (crew * weight).groupby(r.work_center_id).sum()
    den = weight.groupby(r.work_center_id).sum()
    plain = crew.groupby(r.work_center_id).mean()
    out = (num / den.where(den > 0)).fillna(plain)
    return out.rename("crew_factor")


def weekly_labour(capacity_load: pd.DataFrame, ds: Dataset, plan_start, after) -> pd.DataFrame:
    """Operator hours per work center and week beyond the schedule, from MRP's capacity load.

    Parameters
    ----------
    capacity_load : DataFrame
        MRP's ``capacity_load`` (:func:`planlib.mrp.capacity.capacity_load`): ``work_center_id,
        period_start, load_hours`` [machine h at routing standard].
    ds : Dataset
        Uses ``routings`` (crew sizes) and what :func:`labour_shifts` uses.
    plan_start : datetime-like
        The plan start (weeks before it are left out).
    after : datetime-like
        The end of the schedule's horizon: weeks starting on or after it are listed (the
        schedule covers the time before).

    Returns
    -------
    DataFrame
        ``work_center_id, period_start`` (Monday), ``load_hours`` [machine h], ``crew_factor``
        [operators per machine h, :func:`crew_factor`], ``hours_needed`` [operator h:
        load_hours x crew_factor], ``operator_hours`` [h one operator works in the week: per
        day the longest shift, less time off], ``hours_available`` [operator h: sum over the
        week's shifts of operators x working hours; NaN without staffing], ``shortfall_h,
        idle_h`` [operator h], ``extra_operators`` [headcount: ceil(shortfall_h /
        operator_hours)], ``overtime_h`` [operator h: shortfall_h].
    """
    first = max(pd.Timestamp(after).normalize(), monday(pd.Timestamp(plan_start)))
    cl = capacity_load.copy()
    cl["period_start"] = pd.to_datetime(cl.period_start)
    cl = cl[cl.period_start >= first]
    if not len(cl):
        return pd.DataFrame(columns=WEEKLY_LABOUR_COLUMNS)
    factor = crew_factor(ds)
    cl["crew_factor"] = cl.work_center_id.map(factor).fillna(0.0).astype(float)
    cl["hours_needed"] = cl.load_hours.astype(float) * cl.crew_factor
    last = cl.period_start.max() + pd.Timedelta(days=7)
    sh = labour_shifts(ds, cl.period_start.min(), last)
    sh = sh.assign(period_start=bucket_start(sh.date, "W"), work=sh.shift_hours - sh.off_hours)
    sh["avail"] = sh.operators * sh.work
    avail = sh.groupby(["work_center_id", "period_start"]).avail.sum(min_count=1)
    staffed = sh.groupby(["work_center_id", "period_start"]).operators.apply(lambda s: s.notna().any())
    day = sh.groupby(["work_center_id", "period_start", "date"]).work.max()
    per_op = day.groupby(level=[0, 1]).sum()
    key = pd.MultiIndex.from_arrays([cl.work_center_id, cl.period_start])
    cl["operator_hours"] = per_op.reindex(key).fillna(0.0).to_numpy()
    has = staffed.reindex(key).fillna(False).astype(bool).to_numpy()
    cl["hours_available"] = np.where(has, avail.reindex(key).fillna(0.0).to_numpy(), np.nan)
    cl["shortfall_h"] = (cl.hours_needed - cl.hours_available).clip(lower=0)
    cl["idle_h"] = (cl.hours_available - cl.hours_needed).clip(lower=0)
    cl["extra_operators"] = [float(math.ceil(s / p - 1e-9)) if pd.notna(s) and p > 0 else
                             (0.0 if pd.notna(s) and s == 0 else np.nan)
                             for s, p in zip(cl.shortfall_h, cl.operator_hours)]
    cl["overtime_h"] = cl.shortfall_h
    return cl.sort_values(["work_center_id", "period_start"]).reset_index(drop=True)[WEEKLY_LABOUR_COLUMNS]
