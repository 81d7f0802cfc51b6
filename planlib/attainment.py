"""Schedule attainment and production rates: what the shop floor did against the published plan.

:func:`attainment` compares the operations a weekly schedule planned to finish in a week with
the production reports of that week, per work center and per order, and reads the production
rates and downtime from the same reports. Scrap, material usage and cost variance are in
:mod:`planlib.variance`. Guide: docs/follow-up.md; words: docs/glossary.md.

Conventions
-----------
- ``week`` is the reported week (``"2026-W48"``): production reports dated Monday to Sunday of
  it (``production_reports.report_date``). The schedule compared with is the one *published for*
  that week (the weekly run of ``week``, whose plan starts on its Monday).
- An operation is *planned in the week* when its scheduled ``end`` falls in the week.
- An operation is *done* by the end of the week when ``operations_progress`` marks it ``done``, or
  when the good plus scrap reported on it from the week's Monday to its end reaches the quantity the
  schedule planned for it less the scrap reported on the order's earlier operations in that time
  (units scrapped upstream never reach it); tolerance 1e-6 units. This is the rule of
  ``planlib.actuals.reported_ops`` (docs/weekly-loop.md) applied to the week's reports.
- A planned order of the schedule (``PLN-...``) is followed to the production order released from
  it through ``scheduled_receipts.planned_order``; orders already released keep their number.
- Run hours of a report: ``end - start`` less ``downtime_min``, less the routing ``setup_min`` on
  the first report of an operation whose first report falls in the week (setup at its standard);
  reports without ``start`` or ``end`` add quantity but no hours.
- The standard rate of an operation on a machine: ``60 / run_min_per_unit * speed_factor`` units per
  run hour, as the scheduler plans run time. ``work_centers.efficiency`` is not applied: it derates
  the calendar hours a work center offers (``planlib.calendar.available_hours``), that is time
  lost to stops the reports book as downtime, not the speed while running.

References
----------
APICS/ASCM Dictionary, "schedule attainment" (the share of the operations or quantity scheduled
for a period that was completed in it); Vollmann, Berry, Whybark, Jacobs, *Manufacturing Planning
and Control for Supply Chain Management*, 5th ed., ch. 11 (shop-floor performance measures).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from planlib import buckets
from planlib.dataset import Dataset

__all__ = [
    "NO_REASON",
    "SCHEDULE_COLUMNS_USED",
    "Attainment",
    "attainment",
    "downtime_by_reason",
    "pareto",
    "production_rates",
    "week_bounds",
    "week_reports",
]

#: Columns of the published ``schedule`` table that attainment reads.
SCHEDULE_COLUMNS_USED = ("order_id", "item_id", "op_seq", "work_center_id", "machine_id", "setup_start", "end",
                         "qty", "setup_min", "changeover_min", "run_min")
_TOL = 1e-6
NO_REASON = "(no reason given)"


@dataclass(frozen=True)
class Attainment:
    """What :func:`attainment` returns: four tables and the basis of the comparison.

    Attributes
    ----------
    by_work_center, by_order, rates, downtime : DataFrame
        See :func:`attainment`.
    basis : str
        What the plan compared with was, in words: ``"the schedule published for 2026-W48"`` or
        ``"released orders' due dates (no previous plan in the archive)"``.
    week : str
        The reported week.
    """

    by_work_center: pd.DataFrame
    by_order: pd.DataFrame
    rates: pd.DataFrame
    downtime: pd.DataFrame
    basis: str
    week: str

    def tables(self) -> dict[str, pd.DataFrame]:
        """The four tables by name (``attainment_by_work_center``, ``attainment_by_order``, ...)."""
        return {"attainment_by_work_center": self.by_work_center, "attainment_by_order": self.by_order,
                "production_rates": self.rates, "downtime": self.downtime}


# --------------------------------------------------------------------------- the week's reports

def week_bounds(week: str) -> tuple[pd.Timestamp, pd.Timestamp]:
    """Monday 00:00 of ``week`` and the Monday after (exclusive end)."""
    start = pd.Timestamp(buckets.week_start(week))
    return start, start + pd.Timedelta(days=7)


def _order_items(ds: Dataset, extra: pd.DataFrame | None = None) -> pd.Series:
    """Item of each production order: ``scheduled_receipts``, then ``extra`` (order_id, item_id)."""
    frames = []
    if extra is not None and len(extra):
        frames.append(extra[["order_id", "item_id"]])
    sr = ds.scheduled_receipts
    frames.append(sr[["order_id", "item_id"]])
    both = pd.concat([f.astype({"order_id": object, "item_id": object}) for f in frames], ignore_index=True)
    return both.drop_duplicates("order_id", keep="last").set_index("order_id").item_id


def week_reports(ds: Dataset, week: str, order_items: pd.DataFrame | None = None) -> pd.DataFrame:
    """The production reports of one week, each with its item, work center and standards.

    Parameters
    ----------
    ds : Dataset
        Uses ``production_reports, scheduled_receipts, routings, machines``.
    week : str
        ISO week, ``2026-W48``.
    order_items : DataFrame, optional
        ``order_id, item_id`` of orders no longer in ``scheduled_receipts`` (closed before the
        snapshot), e.g. the published schedule.

    Returns
    -------
    DataFrame
        The week's report rows (``report_date`` in the week) with the columns of
        ``production_reports`` and ``item_id`` (empty if the order is unknown),
        ``work_center_id`` (the routing's, else the machine's), ``speed_factor`` (the machine's, 1
        if none), ``run_min_per_unit, setup_min, crew_size`` (routing), ``first_in_week`` (the
        operation's first report of all falls in this week), ``elapsed_h`` (``end - start`` [h],
        0 without both), ``machine_h`` (elapsed less downtime, never below 0 [h]), ``run_h``
        (that less, on the first report of an operation started this week, the routing setup [h]) and
        ``standard_run_h`` (``(qty_good + qty_scrap) * run_min_per_unit / speed_factor / 60`` [h]).
    """
    start, end = week_bounds(week)
    allr = ds.production_reports.copy()
    allr["report_date"] = pd.to_datetime(allr.report_date)
    allr["_pos"] = np.arange(len(allr))
    items = _order_items(ds, order_items)
    allr["item_id"] = allr.order_id.map(items).fillna("").astype(object)
    # first report of each operation of all (by date, then start, then position)
    allr = allr.sort_values(["report_date", "start", "_pos"], na_position="last", kind="stable")
    first = ~allr.duplicated(["order_id", "op_seq"])
    allr["first_in_week"] = first & (allr.report_date >= start)
    rep = allr[(allr.report_date >= start) & (allr.report_date < end)].sort_values("_pos").drop(columns="_pos")
    rt = ds.routings.drop_duplicates(["item_id", "op_seq"]).set_index(["item_id", "op_seq"])
    key = pd.MultiIndex.from_arrays([rep.item_id, rep.op_seq.astype("int64")])
    mach = ds.machines.set_index("machine_id")
    wc = pd.Series(rt.work_center_id.reindex(key).to_numpy(), index=rep.index)
    rep["work_center_id"] = wc.fillna(rep.machine_id.map(mach.work_center_id)).fillna("").astype(object)
    rep["speed_factor"] = rep.machine_id.map(mach.speed_factor).fillna(1.0).astype(float)
    for col, default in (("run_min_per_unit", np.nan), ("setup_min", 0.0), ("crew_size", 0.0)):
        rep[col] = pd.Series(rt[col].reindex(key).to_numpy(dtype=float), index=rep.index).fillna(default)
    elapsed = (pd.to_datetime(rep.end) - pd.to_datetime(rep.start)).dt.total_seconds() / 3600.0
    rep["elapsed_h"] = elapsed.fillna(0.0).clip(lower=0.0)
    setup_h = np.where(rep.first_in_week, rep.setup_min / 60.0, 0.0)
    rep["machine_h"] = (rep.elapsed_h - rep.downtime_min.fillna(0.0) / 60.0).clip(lower=0.0)
    rep["run_h"] = (rep.machine_h - setup_h).clip(lower=0.0)
    qty = rep.qty_good.fillna(0.0) + rep.qty_scrap.fillna(0.0)
    rep["standard_run_h"] = qty * rep.run_min_per_unit / rep.speed_factor / 60.0
    return rep.reset_index(drop=True)


# --------------------------------------------------------------------------- attainment

def _check_schedule(schedule: pd.DataFrame) -> pd.DataFrame:
    missing = [c for c in SCHEDULE_COLUMNS_USED if c not in schedule.columns]
    if missing:
        raise ValueError(f"the previous schedule lacks column(s) {', '.join(missing)}: pass the `schedule` table of "
                         f"a weekly run (its schedule.csv, or planlib.archive.read_run(path, week)['schedule'])")
    s = schedule.copy().reset_index(drop=True)

    def bad(col: str, parsed: pd.Series, what: str) -> None:
        wrong = parsed.isna() & schedule[col].reset_index(drop=True).notna()
        if col in ("op_seq", "end"):
            wrong |= parsed.isna()
        if wrong.any():
            i = int(np.flatnonzero(wrong.to_numpy())[0])
            raise ValueError(f"the previous schedule, row {i + 1}, column {col}: {schedule[col].iloc[i]!r} is not "
                             f"{what} ({int(wrong.sum())} such row(s)); pass the schedule table of a weekly run as "
                             f"it was published")

    for c in ("setup_start", "end"):
        parsed = pd.to_datetime(s[c], errors="coerce", format="mixed")
        bad(c, parsed, "a date and time")
        s[c] = parsed
    s["setup_start"] = s.setup_start.fillna(s.end)
    for c in ("op_seq", "qty", "setup_min", "changeover_min", "run_min"):
        parsed = pd.to_numeric(s[c], errors="coerce")
        bad(c, parsed, "a number")
        s[c] = parsed.astype(float).fillna(0.0)
    s["op_seq"] = s.op_seq.astype("int64")
    for c in ("order_id", "item_id", "work_center_id", "machine_id"):
        s[c] = s[c].astype(object)
    return s


def _released(ds: Dataset, schedule_orders) -> dict:
    """Production order -> the schedule's order id it carries out (itself, or its planned order)."""
    sr = ds.scheduled_receipts
    ids = set(schedule_orders)
    out = {}
    for oid, pln in zip(sr.order_id, sr.planned_order.fillna("")):
        if oid in ids:
            out[oid] = oid
        elif pln and pln in ids:
            out[oid] = pln
    return out


def _done_ops(rep: pd.DataFrame, planned: pd.DataFrame, progress_done: set) -> pd.Series:
    """Done flag of each planned operation (index of ``planned``), by the module's rule."""
    per_op = rep.groupby(["order_key", "op_seq"])[["qty_good", "qty_scrap"]].sum()
    out = []
    for key, seq, qty, rel in zip(planned.order_id, planned.op_seq, planned.qty, planned.released):
        if any((o, seq) in progress_done for o in rel):
            out.append(True)
            continue
        done = 0.0
        if (key, seq) in per_op.index:
            done = float(per_op.loc[(key, seq)].sum())
        ops = per_op.loc[key] if key in per_op.index.get_level_values(0) else None
        upstream = float(ops[ops.index < seq].qty_scrap.sum()) if ops is not None else 0.0
        out.append(done >= qty - upstream - _TOL and (done > 0 or qty - upstream <= _TOL))
    return pd.Series(out, index=planned.index, dtype=bool)


def _working_share(ds: Dataset, s: pd.DataFrame, start, end) -> np.ndarray:
    """Share of each scheduled operation's working time (setup start to end) inside [start, end)."""
    if not len(s):
        return np.zeros(0)
    lo, hi = s.setup_start.min(), s.end.max()
    try:
        from planlib.calendar import machine_intervals
        iv = machine_intervals(ds, min(lo, start), max(hi, end))
    except Exception:  # no calendars in the dataset: elapsed time instead
        iv = pd.DataFrame(columns=["machine_id", "start", "end"])
    by_m = {m: (g.start.to_numpy("datetime64[ns]"), g.end.to_numpy("datetime64[ns]")) for m, g in iv.groupby("machine_id")}
    s0, s1 = np.datetime64(start, "ns"), np.datetime64(end, "ns")
    shares = []
    for m, a, b in zip(s.machine_id, s.setup_start.to_numpy("datetime64[ns]"), s.end.to_numpy("datetime64[ns]")):
        if b <= a:
            shares.append(1.0 if s0 <= a < s1 else 0.0)
            continue
        ws, we = by_m.get(m, (np.array([a]), np.array([b])))
        tot = (np.minimum(we, b) - np.maximum(ws, a)).astype("int64").clip(min=0).sum()
        inside = (np.minimum(np.minimum(we, b), s1) - np.maximum(np.maximum(ws, a), s0)).astype("int64").clip(min=0).sum()
        if tot <= 0:  # no working time on record: elapsed time
            tot = (b - a).astype("int64")
            inside = max(0, (min(b, s1) - max(a, s0)).astype("int64"))
        shares.append(inside / tot)
    return np.asarray(shares, dtype=float)


def _pct(num, den) -> np.ndarray:
    num, den = np.asarray(num, dtype=float), np.asarray(den, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(den > 0, 100.0 * num / np.where(den > 0, den, 1.0), np.nan)


def _due_date_plan(ds: Dataset, week: str) -> pd.DataFrame:
    """The released production orders due in the week as a schedule: one row per routing operation."""
    start, end = week_bounds(week)
    sr = ds.scheduled_receipts
    sr = sr[(sr.order_type == "production") & (pd.to_datetime(sr.due_date) >= start)
            & (pd.to_datetime(sr.due_date) < end)]
    rt = ds.routings.sort_values(["item_id", "op_seq"])
    rows = []
    for o in sr.itertuples(index=False):
        for r in rt[rt.item_id == o.item_id].itertuples(index=False):
            rows.append(dict(order_id=o.order_id, item_id=o.item_id, op_seq=int(r.op_seq),
                             work_center_id=r.work_center_id, machine_id="", setup_start=pd.NaT,
                             end=pd.Timestamp(o.due_date), qty=float(o.qty), setup_min=float(r.setup_min or 0),
                             changeover_min=0.0, run_min=float(o.qty) * float(r.run_min_per_unit)))
    cols = list(SCHEDULE_COLUMNS_USED)
    return pd.DataFrame(rows, columns=cols)


def attainment(ds: Dataset, week: str, previous_schedule: pd.DataFrame | None = None) -> Attainment:
    """Schedule attainment, production rates and downtime of one week.

    Parameters
    ----------
    ds : Dataset
        Uses ``production_reports, scheduled_receipts, operations_progress, routings, machines``
        (and the calendars, for the planned hours in the week).
    week : str
        The reported week, ``2026-W48`` (the week before the plan week).
    previous_schedule : DataFrame, optional
        The ``schedule`` table published for ``week`` (``planlib.archive.read_run(path,
        week)["schedule"]``). Without it the plan is the released production orders due in the
        week (``scheduled_receipts.due_date``), every routing operation of each planned to finish
        then; ``basis`` says so. Those orders must still be in the snapshot: an order closed
        before ``inventory.as_of`` is gone from it.

    Returns
    -------
    Attainment
        ``by_work_center``: ``work_center_id, week, ops_planned, ops_done`` [count],
        ``ops_attainment_pct`` [%, done / planned], ``qty_planned, qty_good`` [uom, good units
        reported in the week on the planned operations], ``qty_attainment_pct`` [%, the good units
        of each planned operation up to its planned quantity, summed, over the planned quantity],
        ``hours_planned`` [h, the scheduled setup, changeover and run time falling in the week, by
        the machines' working time], ``hours_reported`` [h, machine hours reported in the week
        on every operation: end - start less downtime, setup included]. Work centers with reports but no plan have ``ops_planned`` 0 and empty
        percentages.

        ``by_order``: ``order_id`` (the production order, or the planned order if none was
        released from it), ``planned_order`` (the schedule's order id), ``item_id, qty_planned``
        [uom, the planned quantity of its last operation planned in the week], ``qty_good`` [uom,
        good units reported in the week on that operation], ``qty_scrap`` [uom, every operation
        of the order in the week], ``ops_planned, ops_done`` [count], ``attainment_pct`` [%],
        ``late`` (bool: an operation planned to finish in the week is not done), sorted late
        first.

        ``rates``: ``work_center_id, item_id, op_seq, qty`` [uom, good + scrap], ``run_hours`` [h],
        ``standard_hours`` [h, the routing's run time for that quantity on the machines used],
        ``units_per_hour`` (actual) and ``standard_units_per_hour`` [uom/h], ``rate_pct`` [%,
        actual over standard: standard hours over run hours]. Reports without ``start`` and
        ``end`` are left out.

        ``downtime``: ``work_center_id, downtime_reason, downtime_min`` [min], ``share_pct`` [% of
        the week's downtime], sorted longest first.

        ``basis`` [text].

    Raises
    ------
    ValueError
        ``week`` is not an ISO week, or ``previous_schedule`` lacks a column it needs.
    """
    start, end = week_bounds(week)
    if previous_schedule is not None:
        sched = _check_schedule(previous_schedule)
        basis = f"the schedule published for {week}"
    else:
        sched = _due_date_plan(ds, week)
        basis = "released orders' due dates (no previous plan in the archive)"
    rep = week_reports(ds, week, sched[["order_id", "item_id"]].drop_duplicates("order_id"))
    released = _released(ds, sched.order_id.unique())
    rep["order_key"] = rep.order_id.map(released).fillna(rep.order_id)
    rel_of: dict = {}
    for oid, key in released.items():
        rel_of.setdefault(key, []).append(oid)

    planned = sched[(sched.end >= start) & (sched.end < end)].copy()
    planned["released"] = [rel_of.get(o, [o]) for o in planned.order_id]
    prog = ds.operations_progress
    progress_done = {(o, int(q)) for o, q, st in zip(prog.order_id, prog.op_seq, prog.status) if st == "done"}
    planned["done"] = _done_ops(rep, planned, progress_done)
    good = rep.groupby(["order_key", "op_seq"]).qty_good.sum()
    keys = list(zip(planned.order_id, planned.op_seq))
    planned["qty_good"] = [float(good.get(k, 0.0)) for k in keys]
    planned["qty_good_capped"] = np.minimum(planned.qty_good, planned.qty)

    # ---- by work center
    if previous_schedule is not None:
        share = _working_share(ds, sched, start, end)
        hours = sched.assign(h=(sched.setup_min + sched.changeover_min + sched.run_min) / 60.0 * share)
    else:
        hours = planned.assign(h=(planned.setup_min + planned.run_min) / 60.0)
    wc = planned.groupby("work_center_id").agg(ops_planned=("op_seq", "size"), ops_done=("done", "sum"),
                                               qty_planned=("qty", "sum"), qty_good=("qty_good", "sum"),
                                               _capped=("qty_good_capped", "sum"))
    hp = hours.groupby("work_center_id").h.sum()
    hr = rep.groupby("work_center_id").machine_h.sum()
    all_wc = sorted((set(wc.index) | set(hp[hp > 0].index) | set(hr.index)) - {""})
    wc = wc.reindex(all_wc)
    for c in ("ops_planned", "ops_done"):
        wc[c] = wc[c].fillna(0).astype("int64")
    for c in ("qty_planned", "qty_good", "_capped"):
        wc[c] = wc[c].fillna(0.0)
    by_wc = pd.DataFrame({
        "work_center_id": all_wc, "week": week,
        "ops_planned": wc.ops_planned.to_numpy(), "ops_done": wc.ops_done.to_numpy(),
        "ops_attainment_pct": _pct(wc.ops_done, wc.ops_planned),
        "qty_planned": wc.qty_planned.to_numpy(), "qty_good": wc.qty_good.to_numpy(),
        "qty_attainment_pct": _pct(wc._capped, wc.qty_planned),
        "hours_planned": hp.reindex(all_wc).fillna(0.0).round(2).to_numpy(),
        "hours_reported": hr.reindex(all_wc).fillna(0.0).round(2).to_numpy(),
    })

    # ---- by order
    scrap = rep.groupby("order_key").qty_scrap.sum()
    rows = []
    for key, g in planned.sort_values("op_seq").groupby("order_id", sort=True):
        last = g.iloc[-1]
        rel = rel_of.get(key, [])
        rows.append(dict(order_id=rel[0] if len(rel) == 1 else (", ".join(rel) if rel else key), planned_order=key,
                         item_id=last.item_id, qty_planned=float(last.qty), qty_good=float(last.qty_good),
                         qty_scrap=float(scrap.get(key, 0.0)), ops_planned=len(g), ops_done=int(g.done.sum()),
                         late=bool((~g.done).any())))
    by_order = pd.DataFrame(rows, columns=["order_id", "planned_order", "item_id", "qty_planned", "qty_good",
                                           "qty_scrap", "ops_planned", "ops_done", "late"])
    by_order.insert(8, "attainment_pct", _pct(by_order.ops_done, by_order.ops_planned))
    by_order = by_order.sort_values(["late", "attainment_pct", "order_id"], ascending=[False, True, True],
                                    kind="stable").reset_index(drop=True)
    return Attainment(by_wc, by_order, production_rates(rep), downtime_by_reason(rep), basis, week)


def production_rates(rep: pd.DataFrame) -> pd.DataFrame:
    """Actual against standard units per run hour, per work center, item and operation.

    Parameters
    ----------
    rep : DataFrame
        The week's reports as :func:`week_reports` returns them.

    Returns
    -------
    DataFrame
        ``work_center_id, item_id, op_seq, qty`` [uom, good + scrap], ``run_hours``,
        ``standard_hours`` [h], ``units_per_hour, standard_units_per_hour`` [uom/h], ``rate_pct``
        [%, standard hours over run hours], sorted by work center and rate (slowest first).
    """
    cols = ["work_center_id", "item_id", "op_seq", "qty", "run_hours", "standard_hours", "units_per_hour",
            "standard_units_per_hour", "rate_pct"]
    r = rep[(rep.elapsed_h > 0) & rep.run_min_per_unit.notna()]
    if not len(r):
        return pd.DataFrame(columns=cols)
    r = r.assign(qty=r.qty_good.fillna(0.0) + r.qty_scrap.fillna(0.0))
    g = r.groupby(["work_center_id", "item_id", "op_seq"], as_index=False).agg(
        qty=("qty", "sum"), run_hours=("run_h", "sum"), standard_hours=("standard_run_h", "sum"))
    g["units_per_hour"] = np.where(g.run_hours > 0, g.qty / g.run_hours.where(g.run_hours > 0, 1.0), np.nan)
    g["standard_units_per_hour"] = np.where(g.standard_hours > 0,
                                            g.qty / g.standard_hours.where(g.standard_hours > 0, 1.0), np.nan)
    g["rate_pct"] = _pct(g.standard_hours, g.run_hours)
    g[["run_hours", "standard_hours"]] = g[["run_hours", "standard_hours"]].round(3)
    return g.sort_values(["work_center_id", "rate_pct"], kind="stable").reset_index(drop=True)[cols]


def pareto(frame: pd.DataFrame, by: list[str], value: str) -> pd.DataFrame:
    """``frame`` summed by ``by``, largest first, with ``share_pct`` and ``cumulative_pct`` of ``value``.

    Parameters
    ----------
    frame : DataFrame
    by : list of str
        Grouping columns.
    value : str
        The column summed (rows where it is 0 are dropped).

    Returns
    -------
    DataFrame
        ``by`` columns, ``value``, ``share_pct`` [% of the total], ``cumulative_pct`` [%, 100 on the
        last row].
    """
    g = frame.groupby(by, as_index=False)[value].sum()
    g = g[g[value] > 0].sort_values([value] + by, ascending=[False] + [True] * len(by), kind="stable")
    total = g[value].sum()
    g["share_pct"] = _pct(g[value], np.full(len(g), total))
    cum = g[value].cumsum()
    g["cumulative_pct"] = _pct(cum, np.full(len(g), total))
    if len(g):
        g.iloc[-1, g.columns.get_loc("cumulative_pct")] = 100.0  # exactly, not 99.99999
    return g.reset_index(drop=True)


def downtime_by_reason(rep: pd.DataFrame) -> pd.DataFrame:
    """Downtime of the week's reports by work center and reason, longest first.

    Parameters
    ----------
    rep : DataFrame
        The week's reports as :func:`week_reports` returns them.

    Returns
    -------
    DataFrame
        ``work_center_id, downtime_reason, downtime_min`` [min], ``share_pct`` [% of the week's
        downtime], ``cumulative_pct`` [%].
    """
    r = rep.assign(downtime_reason=rep.downtime_reason.fillna("").replace("", NO_REASON),
                   downtime_min=rep.downtime_min.fillna(0.0))
    return pareto(r, ["work_center_id", "downtime_reason"], "downtime_min")
