"""Independent feasibility check of a schedule, from the output table alone.

Nothing here uses the model, the heuristic or the working-clock code of this
package: the checker recomputes working minutes from the machine calendar
intervals with its own arithmetic, so a bug in the scheduler cannot hide
behind the same bug in the check.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

VIOLATION_COLUMNS = ["rule", "order_id", "op_seq", "machine_id", "detail"]


def _minutes(ts, t0) -> np.ndarray:
    return ((pd.to_datetime(pd.Series(ts)) - t0).dt.total_seconds() / 60).round().to_numpy()


class _Calendar:
    """Working intervals of one machine, in minutes, with a working-minutes counter."""

    def __init__(self, starts, ends):
        order = np.argsort(starts)
        self.s = np.asarray(starts, float)[order]
        self.e = np.asarray(ends, float)[order]

    def work(self, t1: float, t2: float) -> float:
        """Working minutes inside ``[t1, t2)``."""
        return float(np.clip(np.minimum(self.e, t2) - np.maximum(self.s, t1), 0, None).sum())

    def inside(self, t: float, closed_right: bool = False) -> bool:
        if closed_right:
            return bool(((self.s < t) & (t <= self.e)).any())
        return bool(((self.s <= t) & (t < self.e)).any())

    def one_interval(self, t1: float, t2: float) -> bool:
        return bool(((self.s <= t1) & (t2 <= self.e)).any())


def check_schedule(schedule: pd.DataFrame, plan_start, intervals: pd.DataFrame | None = None,
                   setup_matrix: pd.DataFrame | None = None, frozen: pd.DataFrame | None = None,
                   machines: pd.DataFrame | None = None, crews: dict | None = None,
                   material: pd.DataFrame | None = None, staffing: pd.DataFrame | None = None) -> pd.DataFrame:
    """Every broken rule of a schedule; an empty table means feasible.

    Parameters
    ----------
    schedule : DataFrame
        The ``schedule`` table: ``order_id, op_seq, item_id, family, work_center_id, machine_id,
        setup_start, start, end`` (timestamps), ``setup_min, run_min`` [working min],
        ``uninterruptible``, ``earliest_start`` (timestamp).
    plan_start : datetime-like
        Nothing may start before it.
    intervals : DataFrame, optional
        Working intervals ``machine_id, start, end`` (timestamps), as from
        :func:`planlib.calendar.machine_intervals`; ``None`` means machines always work.
    setup_matrix : DataFrame, optional
        ``work_center_id, from_family, to_family, setup_min``: changeovers between consecutive
        operations on a machine.
    frozen : DataFrame, optional
        ``order_id, op_seq, machine_id, start, end`` that must be unchanged.
    machines : DataFrame, optional
        ``machine_id, work_center_id``: each operation must run on a machine of its work center.
    crews : dict, optional
        ``work_center_id -> operators``: operations needing ``crew_size`` operators (from
        ``setup_start`` to ``end``: changeover, setup and run) never need more at once.
    material : DataFrame, optional
        The supply of each consuming operation (see :func:`check_material`).
    staffing : DataFrame, optional
        The ``staffing`` table (``work_center_id, weekday`` 0 = Monday, ``start_time, end_time``
        [h], ``operators``): where a staffed work center's machines work (``intervals``), the
        operations needing ``crew_size`` operators never need more at once than the shifts there put on
        (see :func:`check_staffing`).

    Returns
    -------
    DataFrame
        Columns ``rule, order_id, op_seq, machine_id, detail``; ``rule`` is one of
        ``precedence, overlap, setup, run, calendar, uninterruptible, release, frozen,
        machine, start, crew, material, staffing``.
    """
    t0 = pd.Timestamp(plan_start)
    bad = []

    def add(rule, row, detail):
        bad.append((rule, row.order_id, int(row.op_seq), row.machine_id, detail))

    sch = schedule.reset_index(drop=True).copy()
    sch["t_ss"] = _minutes(sch.setup_start, t0)
    sch["t_s"] = _minutes(sch.start, t0)
    sch["t_e"] = _minutes(sch.end, t0)
    cals = {}
    if intervals is not None:
        for m, g in intervals.groupby("machine_id"):
            cals[m] = _Calendar(_minutes(g.start, t0), _minutes(g.end, t0))
    changes = {}
    if setup_matrix is not None:
        for w, f, t, s in zip(setup_matrix.work_center_id, setup_matrix.from_family,
                              setup_matrix.to_family, setup_matrix.setup_min):
            changes[(w, f, t)] = float(s)
    if machines is not None:
        wc_of = dict(zip(machines.machine_id, machines.work_center_id))
        for row in sch.itertuples():
            if wc_of.get(row.machine_id) != row.work_center_id:
                add("machine", row, f"{row.machine_id} is not a machine of {row.work_center_id}")

    for row in sch.itertuples():
        if row.t_ss < 0:
            add("start", row, "setup starts before the plan start")
        if not (row.t_ss <= row.t_s <= row.t_e):
            add("start", row, "setup_start <= start <= end does not hold")
        if "earliest_start" in sch and pd.notna(row.earliest_start):
            if row.t_s < _minutes([row.earliest_start], t0)[0]:
                add("release", row, f"starts before its earliest start {row.earliest_start}")
        cal = cals.get(row.machine_id) if intervals is not None else None
        if cal is None and intervals is not None:
            add("calendar", row, "machine has no working time")
            continue
        if cal is None:
            work_run = row.t_e - row.t_s
        else:
            work_run = cal.work(row.t_s, row.t_e)
            if row.run_min > 0:
                if not cal.inside(row.t_s):
                    add("calendar", row, f"run starts outside working time at {row.start}")
                if not cal.inside(row.t_e, closed_right=True):
                    add("calendar", row, f"run ends outside working time at {row.end}")
            if row.uninterruptible and not cal.one_interval(row.t_s, row.t_e):
                add("uninterruptible", row, "run pauses over a break")
        if work_run + 1e-6 < row.run_min:
            add("run", row, f"{work_run:g} working min for a run of {row.run_min:g} min")

    # precedence inside each order
    for _, g in sch.sort_values(["order_id", "op_seq"]).groupby("order_id"):
        ends = g.t_e.to_numpy()
        starts = g.t_s.to_numpy()
        for k in range(1, len(g)):
            if starts[k] < ends[k - 1]:
                add("precedence", g.iloc[k], f"starts {starts[k] - ends[k - 1]:g} min before op "
                                              f"{g.op_seq.iat[k - 1]} ends")
    # machines: no overlap, setups between consecutive operations; an operation of zero minutes
    # (no setup, no changeover, no run) takes no machine time and may sit anywhere
    empty = (sch.t_ss == sch.t_e) & (sch.setup_min == 0) & (sch.run_min == 0)
    if "changeover_min" in sch:
        empty &= sch.changeover_min == 0
    for m, g in sch[~empty].sort_values(["machine_id", "t_ss", "t_s"]).groupby("machine_id"):
        cal = cals.get(m)
        rows = list(g.itertuples())
        for k, row in enumerate(rows):
            need = float(row.setup_min)
            if k > 0:
                prev = rows[k - 1]
                if row.t_ss < prev.t_e:
                    add("overlap", row, f"overlaps {prev.order_id} op {prev.op_seq} on {m}")
                need += changes.get((row.work_center_id, prev.family, row.family), 0.0)
            lo = row.t_ss if k == 0 else max(row.t_ss, rows[k - 1].t_e)
            have = cal.work(lo, row.t_s) if cal is not None else row.t_s - lo
            if have + 1e-6 < need:
                add("setup", row, f"{have:g} working min before the run for {need:g} min of setup")

    if crews:
        for w, g in sch[sch.crew_size > 0].groupby("work_center_id"):
            if w not in crews:
                continue
            events = sorted([(s, c) for s, c in zip(g.t_ss, g.crew_size)] +
                            [(e, -c) for e, c in zip(g.t_e, g.crew_size)], key=lambda x: (x[0], x[1]))
            load = 0.0
            for t, c in events:
                load += c
                if load > crews[w] + 1e-9:
                    row = g[(g.t_ss <= t) & (g.t_e > t)].iloc[0]
                    add("crew", row, f"{load:g} operators needed at {w}, {crews[w]:g} available")
                    break
    if frozen is not None and len(frozen):
        key = sch.set_index(["order_id", "op_seq"])
        for f in frozen.itertuples():
            k = (f.order_id, int(f.op_seq))
            if k not in key.index:
                bad.append(("frozen", f.order_id, int(f.op_seq), f.machine_id, "frozen operation missing"))
                continue
            r = key.loc[k]
            if r.machine_id != f.machine_id or pd.Timestamp(r.start) != pd.Timestamp(f.start) \
                    or pd.Timestamp(r.end) != pd.Timestamp(f.end):
                bad.append(("frozen", f.order_id, int(f.op_seq), r.machine_id,
                            f"moved from {f.machine_id} {f.start}-{f.end} to {r.machine_id} {r.start}-{r.end}"))
    out = pd.DataFrame(bad, columns=VIOLATION_COLUMNS)
    if staffing is not None and len(staffing):
        out = pd.concat([out, check_staffing(schedule, plan_start, staffing, intervals)], ignore_index=True)
    if material is not None:
        out = pd.concat([out, check_material(schedule, material)], ignore_index=True)
    return out


def check_material(schedule: pd.DataFrame, material: pd.DataFrame) -> pd.DataFrame:
    """Every operation that starts before its components are there; an empty table means none.

    Recomputes from the two tables alone: each consuming operation's run starts at or after
    the ``available_at`` of each of its supplies, and when the supply is an order that is
    itself in the schedule, that order's last operation has ended by the consuming run's
    start (and by ``available_at``): a make order must be finished before its output is
    used. A supply whose consuming operation is not in the schedule is a violation too.

    Parameters
    ----------
    schedule : DataFrame
        ``order_id, op_seq, machine_id, start, end`` (timestamps).
    material : DataFrame
        ``order_id, op_seq, component_id, supply_id, available_at`` (timestamp), as
        ``ScheduleResult.material`` or its published CSV.

    Returns
    -------
    DataFrame
        Columns ``rule, order_id, op_seq, machine_id, detail`` with ``rule == "material"``.
    """
    bad = []
    if material is None or len(material) == 0:
        return pd.DataFrame(bad, columns=VIOLATION_COLUMNS)
    start = {(o, int(q)): (pd.Timestamp(s), m) for o, q, s, m in
             zip(schedule.order_id, schedule.op_seq, schedule.start, schedule.machine_id)}
    finish = {o: pd.Timestamp(e) for o, e in schedule.groupby("order_id").end.max().items()}
    avail = pd.to_datetime(material.available_at)
    for o, q, comp, sid, at in zip(material.order_id, material.op_seq, material.component_id,
                                   material.supply_id.fillna(""), avail):
        key = (o, int(q))
        if key not in start:
            bad.append(("material", o, int(q), "", f"consuming operation of {comp} is not in the schedule"))
            continue
        s, m = start[key]
        if pd.notna(at) and s < at:
            bad.append(("material", o, int(q), m, f"starts {s} before {comp} from {sid or 'stock'} is "
                                                  f"available at {at}"))
        if sid in finish and sid != o:
            if s < finish[sid]:
                bad.append(("material", o, int(q), m, f"starts {s} before order {sid} making {comp} ends "
                                                      f"at {finish[sid]}"))
            if pd.isna(at) or at < finish[sid]:
                bad.append(("material", o, int(q), m, f"{comp} from {sid} said available at {at}, but "
                                                      f"{sid} ends at {finish[sid]}"))
    return pd.DataFrame(bad, columns=VIOLATION_COLUMNS)


def check_staffing(schedule: pd.DataFrame, plan_start, staffing: pd.DataFrame,
                   intervals: pd.DataFrame | None = None) -> pd.DataFrame:
    """Every moment a staffed work center's operations need more operators than its shifts put on.

    Recomputed from the tables alone: the shifts are laid out day by day from ``staffing``
    (a shift whose end is not after its start ends the next day; overlapping shifts add up);
    at each moment a machine of the work center works (``intervals``; always, without them)
    the ``crew_size`` of the operations under way (``setup_start <= t < end``: an operation holds its
    crew through changeover, setup and run; ``start`` without a ``setup_start`` column) must not exceed the operators
    of the shifts covering it (0 where none does). Outside working time no machine of the work
    center runs, and nothing is checked.

    Parameters
    ----------
    schedule : DataFrame
        ``order_id, op_seq, work_center_id, machine_id, setup_start, start, end`` (timestamps),
        ``crew_size``.
    plan_start : datetime-like
    staffing : DataFrame
        ``work_center_id, weekday, start_time, end_time`` [h], ``operators``.
    intervals : DataFrame, optional
        Machine working intervals ``machine_id, start, end`` (timestamps).

    Returns
    -------
    DataFrame
        Columns ``rule, order_id, op_seq, machine_id, detail`` with ``rule == "staffing"``: one row
        per work center and shift in which it first happens.
    """
    t0 = pd.Timestamp(plan_start)
    bad = []
    sch = schedule[pd.to_numeric(schedule.crew_size, errors="coerce").fillna(0) > 0].reset_index(drop=True)
    sch = sch[sch.work_center_id.isin(set(staffing.work_center_id))]
    if not len(sch):
        return pd.DataFrame(bad, columns=VIOLATION_COLUMNS)
    begin = sch.setup_start if "setup_start" in sch else sch.start
    ts, te = _minutes(begin, t0), _minutes(sch.end, t0)
    first = (pd.to_datetime(begin).min() - t0).days - 2
    last = (pd.to_datetime(sch.end).max() - t0).days + 2
    for w, rows in staffing.groupby("work_center_id"):
        mine = (sch.work_center_id == w).to_numpy()
        if not mine.any():
            continue
        shifts = []  # (start, end, operators) [min from plan start]
        for day in range(first, last + 1):
            wd = (t0 + pd.Timedelta(days=day)).weekday()
            base = ((t0 + pd.Timedelta(days=day)).normalize() - t0).total_seconds() / 60
            for d, a, b, n in zip(rows.weekday, rows.start_time, rows.end_time, rows.operators):
                if int(d) == wd:
                    length = (float(b) - float(a)) if float(b) > float(a) else float(b) + 24 - float(a)
                    s = round(base + float(a) * 60)
                    shifts.append((s, s + round(length * 60), float(n)))
        if intervals is not None:
            machines = set(sch.machine_id[mine])
            if "work_center_id" in intervals:
                machines |= set(intervals.machine_id[intervals.work_center_id == w])
            iv = intervals[intervals.machine_id.isin(machines)]
            ws, we = _minutes(iv.start, t0), _minutes(iv.end, t0)
        else:
            ws, we = np.array([-np.inf]), np.array([np.inf])
        points = sorted(set(ts[mine]) | set(te[mine]) | {p for s, e, _ in shifts for p in (s, e)}
                        | set(ws[np.isfinite(ws)]) | set(we[np.isfinite(we)]))
        seen = set()
        for p in points:
            under = mine & (ts <= p) & (p < te)
            if not under.any() or not ((ws <= p) & (p < we)).any():
                continue
            need = float(sch.crew_size[under].sum())
            cover = [(s, e, n) for s, e, n in shifts if s <= p < e]
            have = sum(n for _, _, n in cover)
            key = tuple(sorted((s, e) for s, e, _ in cover))
            if need > have + 1e-9 and key not in seen:
                seen.add(key)
                row = sch[under].iloc[0]
                at = t0 + pd.Timedelta(minutes=float(p))
                bad.append(("staffing", row.order_id, int(row.op_seq), row.machine_id,
                            f"{need:g} operators needed at {w} at {at}, {have:g} on shift"))
    return pd.DataFrame(bad, columns=VIOLATION_COLUMNS)
