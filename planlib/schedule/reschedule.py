"""Rescheduling after a disruption: keep what is frozen, move little, say what moved and why.

A disruption is applied to the inputs with the helpers below (a machine down, a rush
order, a quantity change, late material); :func:`reschedule` then repairs the current
schedule at time ``now``:

- operations finished by ``now`` are done and leave the problem;
- operations started by ``now`` or starting inside the frozen window
  ``[now, now + frozen_hours)`` keep their machine and times, unless the disruption makes
  that impossible (their machine is down during them), in which case they are replanned
  and reported;
- everything else starts at ``now`` or later, and the objective is the weighted tardiness
  plus ``ScheduleSettings.move_penalty`` for every operation that changes machine or moves
  its start by more than ``move_tolerance_min``.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from planlib.dataset import Dataset
from planlib.schedule.problem import Problem, ScheduleSettings, build_problem

MOVE_COLUMNS = ["order_id", "op_seq", "old_machine_id", "new_machine_id", "old_start", "new_start", "old_end",
                "new_end", "shift_h", "reason"]
"""Columns of the moves table: an operation moved if its machine changed, or its start or end shifted
by more than ``move_tolerance_min``; ``shift_h`` is the start's shift [h], ``reason`` says why."""


# --------------------------------------------------------------------------- disruptions

def machine_down(ds: Dataset, machine_id: str, start, end, description: str = "breakdown") -> Dataset:
    """The dataset with ``machine_id`` unavailable from ``start`` to ``end`` (a breakdown exception).

    Returns
    -------
    Dataset
        ``ds`` with one row added to ``calendar_exceptions`` (``calendar_id`` empty,
        ``machine_id, start, end, kind="breakdown", description``); ``ds`` is not changed.
    """
    ex = ds.calendar_exceptions
    row = pd.DataFrame([dict(calendar_id=None, machine_id=machine_id, start=pd.Timestamp(start),
                             end=pd.Timestamp(end), kind="breakdown", description=description)])
    return ds.replace(calendar_exceptions=pd.concat([ex, row.astype({"calendar_id": object})],
                                                    ignore_index=True))


def rush_order(orders: pd.DataFrame, order_id: str, item_id: str, qty: float, due_date, release_date,
               priority: int = 1) -> pd.DataFrame:
    """The orders with a new urgent order added.

    Parameters
    ----------
    orders : DataFrame
        ``order_id, item_id, qty`` [item's uom], ``release_date, due_date`` (timestamps),
        ``priority, weight, status, earliest_start``, as from
        :func:`planlib.schedule.problem.build_orders`; not changed.
    order_id, item_id : str
    qty : float
        In the item's unit of measure.
    due_date, release_date : datetime-like
    priority : int
        1 (most urgent) to 9.

    Returns
    -------
    DataFrame
        ``orders`` (columns of :func:`planlib.schedule.problem.build_orders`) and one row:
        status ``planned``, ``weight = 10 - priority``, no ``earliest_start``.
    """
    row = dict(order_id=order_id, item_id=item_id, qty=float(qty), release_date=pd.Timestamp(release_date),
               due_date=pd.Timestamp(due_date), priority=int(priority), weight=10 - int(priority),
               status="planned", earliest_start=pd.NaT)
    return pd.concat([orders, pd.DataFrame([row])], ignore_index=True)


def change_quantity(orders: pd.DataFrame, order_id: str, qty: float) -> pd.DataFrame:
    """The orders with the quantity of ``order_id`` changed (a copy; ``qty`` in the item's unit).

    Parameters
    ----------
    orders : DataFrame
        ``order_id, item_id, qty`` [item's uom], ``release_date, due_date`` (timestamps),
        ``priority, weight, status, earliest_start``, as from
        :func:`planlib.schedule.problem.build_orders`; not changed.
    order_id : str
    qty : float
        The new quantity, in the item's unit of measure.

    Returns
    -------
    DataFrame
        ``orders``' columns; ``qty`` of ``order_id``'s row(s) set to ``qty`` (unchanged if absent).
    """
    out = orders.copy()
    out.loc[out.order_id == order_id, "qty"] = float(qty)
    return out


def late_material(material: pd.DataFrame | None, order_id: str, ready) -> pd.DataFrame:
    """The material table with ``order_id``'s material arriving at ``ready``.

    Parameters
    ----------
    material : DataFrame or None
        ``order_id, material_ready`` (timestamp), as from
        :func:`planlib.schedule.problem.material_availability`; not changed. ``None``: no
        material dates yet.
    order_id : str
    ready : datetime-like
        When the order's material arrives (its earliest start).

    Returns
    -------
    DataFrame
        Columns ``order_id, material_ready`` (timestamp, see
        :func:`planlib.schedule.problem.material_availability`), ``order_id``'s row replaced.
    """
    m = material.copy() if material is not None else pd.DataFrame(columns=["order_id", "material_ready"])
    m = m[m.order_id != order_id]
    return pd.concat([m, pd.DataFrame([dict(order_id=order_id, material_ready=pd.Timestamp(ready))])],
                     ignore_index=True)


# --------------------------------------------------------------------------- repair

@dataclass
class RescheduleResult:
    """What :func:`reschedule` returns: the new :class:`~planlib.schedule.ScheduleResult`, the
    frozen operations (``order_id, op_seq, machine_id, start, end``), the moves (see
    :data:`MOVE_COLUMNS`) and the operations done by ``now``."""

    result: object
    frozen: pd.DataFrame
    moves: pd.DataFrame
    done: pd.DataFrame


def _subset(problem: Problem, keep: np.ndarray, ended: np.ndarray | None = None) -> Problem:
    """The problem with only the operations ``keep`` (bool per op), renumbered.

    ``ended`` (datetime64 per op, optional): when each dropped operation ended; a component its
    order supplied is available from then (an operation that started on it before the repair
    time stays consistent). Without it, from the repair time."""
    ops = problem.ops
    new_index = -np.ones(len(ops), dtype=int)
    new_index[keep] = np.arange(int(keep.sum()))
    ops2 = ops[keep].copy()
    pred = ops2.pred.to_numpy()
    ops2["pred"] = np.where(pred >= 0, new_index[np.maximum(pred, 0)], -1)
    ops2 = ops2.reset_index(drop=True)
    alts = problem.alts[keep[problem.alts.op.to_numpy()]].copy()
    alts["op"] = new_index[alts.op.to_numpy()]
    fr = problem.frozen
    if fr is not None and len(fr):
        fr = fr[keep[fr.op.to_numpy()]].copy()
        fr["op"] = new_index[fr.op.to_numpy()]
    links, mat = problem.links, problem.material
    if links is not None and len(links):
        # a supplier order done by now holds nobody up; a consuming operation done needs nothing
        ok = keep[links.op.to_numpy()] & keep[links.supply_op.to_numpy()]
        links = pd.DataFrame({"op": new_index[links.op.to_numpy()[ok]],
                              "supply_op": new_index[links.supply_op.to_numpy()[ok]]})
    if mat is not None and len(mat):
        mat = mat[keep[mat.op.to_numpy()]].copy()
        sop = mat.supply_op.to_numpy()
        gone = (sop >= 0) & ~keep[np.maximum(sop, 0)]
        if gone.any():  # the supplying order finished before the repair time
            at = problem.plan_start + pd.Timedelta(minutes=int(problem.not_before))
            if ended is not None:
                when = pd.to_datetime(ended[sop[gone]])
                at = pd.Series(when, index=mat.index[gone]).fillna(at)
            mat.loc[gone, "available_at"] = at
        mat["supply_op"] = np.where((sop >= 0) & ~gone, new_index[np.maximum(sop, 0)], -1)
        mat["op"] = new_index[mat.op.to_numpy()]
    return Problem(**{**problem.__dict__, "ops": ops2, "alts": alts.reset_index(drop=True), "frozen": fr,
                      "links": links, "material": mat})


def _work_minutes(iv: pd.DataFrame, machine, t1, t2) -> float:
    """Working minutes of ``machine`` in ``[t1, t2)``."""
    g = iv[iv.machine_id == machine]
    lo = g.start.where(g.start > t1, pd.Timestamp(t1))
    hi = g.end.where(g.end < t2, pd.Timestamp(t2))
    return float(((hi - lo).dt.total_seconds() / 60).clip(lower=0).sum())


def reschedule(ds: Dataset, orders: pd.DataFrame, previous: pd.DataFrame, now,
               settings: ScheduleSettings | None = None, *, plan_start=None, frozen_hours: float = 8.0,
               material: pd.DataFrame | None = None, crews: dict | None = None,
               previous_orders: pd.DataFrame | None = None) -> RescheduleResult:
    """Repair ``previous`` (a ``schedule`` table) at time ``now`` after a disruption.

    Parameters
    ----------
    ds, orders, material, crews
        The inputs after the disruption (see the helpers of this module).
    previous : DataFrame
        The current ``schedule`` table.
    now : datetime-like
        Time of the repair; nothing new starts before it.
    settings : ScheduleSettings
        ``move_penalty`` and ``move_tolerance_min`` price the moves.
    plan_start : datetime-like, optional
        Time zero of the schedule; default the earliest ``setup_start`` of ``previous``, at midnight.
    frozen_hours : float
        Operations starting before ``now + frozen_hours`` keep their place.
    previous_orders : DataFrame, optional
        The orders before the disruption, to name quantity changes and rush orders as reasons.

    Returns
    -------
    RescheduleResult
    """
    from planlib.schedule import make_schedule_from_problem

    settings = settings or ScheduleSettings()
    now = pd.Timestamp(now)
    plan_start = pd.Timestamp(plan_start) if plan_start is not None else previous.setup_start.min().normalize()
    days = settings.calendar_days or max(4 * settings.horizon_days, 56)
    problem = build_problem(ds, orders, plan_start, settings, material=material, crews=crews,
                            calendar_days=days)
    iv = problem.calendar_intervals
    prev = previous.set_index(["order_id", "op_seq"])
    ops = problem.ops
    key = list(zip(ops.order_id, ops.op_seq))
    in_prev = np.array([k in prev.index for k in key])
    pkeys = list(zip(previous.order_id, previous.op_seq))
    d_end, d_start = dict(zip(pkeys, previous.end)), dict(zip(pkeys, previous.start))
    prev_end = pd.to_datetime(pd.Series([d_end.get(k) for k in key], dtype=object)).to_numpy()
    prev_start = pd.to_datetime(pd.Series([d_start.get(k) for k in key], dtype=object)).to_numpy()
    done = in_prev & (prev_end <= np.datetime64(now))
    window = now + pd.Timedelta(hours=frozen_hours)
    want_frozen = in_prev & ~done & (prev_start < np.datetime64(window))
    now_min = problem.minutes(now)
    frozen_rows, unfrozen = [], []
    qty_changed = set()
    if previous_orders is not None:
        old_q = previous_orders.set_index("order_id").qty
        new_q = orders.set_index("order_id").qty
        qty_changed = {o for o in new_q.index if o in old_q.index and abs(old_q[o] - new_q[o]) > 1e-9}
    for i in np.flatnonzero(want_frozen):
        r = prev.loc[key[i]]
        m = r.machine_id
        tl = problem.timelines[m]
        run_ok = _work_minutes(iv, m, r.start, r.end) >= r.run_min and ops.order_id.iat[i] not in qty_changed
        alt = problem.alts[(problem.alts.op == i) & (problem.alts.machine_id == m)]
        # not started yet, but its material or release now comes after its slot: it cannot stay
        too_early = r.start > now and int(ops.earliest.iat[i]) > problem.minutes(r.start)
        if not run_ok or too_early or alt.empty or int(alt.run_min.iat[0]) != int(r.run_min):
            unfrozen.append(i)
            continue
        wr = tl.work_at(problem.minutes(r.start))
        frozen_rows.append(dict(op=int(i), machine_id=m, ws=int(wr - alt.setup_min.iat[0]), kind="frozen"))
    # an operation cannot stay frozen ahead of a predecessor that has to move (pred of an op is an
    # earlier row of the same order, so one pass in row order settles chains)
    pred = ops.pred.to_numpy()
    moving = set(unfrozen)
    kept, pushed = [], {}
    for f in sorted(frozen_rows, key=lambda f: f["op"]):
        if pred[f["op"]] >= 0 and int(pred[f["op"]]) in moving:
            moving.add(f["op"])
            unfrozen.append(f["op"])
            pushed[key[f["op"]]] = int(ops.op_seq.iat[int(pred[f["op"]])])
        else:
            kept.append(f)
    frozen_rows = kept
    is_frozen = np.zeros(len(ops), bool)
    is_frozen[[f["op"] for f in frozen_rows]] = True
    fr = pd.concat([problem.frozen[~problem.frozen.op.isin(np.flatnonzero(done | is_frozen))],
                    pd.DataFrame(frozen_rows, columns=problem.frozen.columns)], ignore_index=True)
    ops = ops.copy()
    ops.loc[is_frozen, "status"] = "frozen"
    # an operation that has started has its material: late material applies to what is still to start
    frozen_start = np.array([problem.minutes(prev.loc[key[i], "start"]) for i in np.flatnonzero(is_frozen)],
                            dtype=np.int64)
    ops.loc[is_frozen, "earliest"] = np.minimum(ops.earliest[is_frozen].to_numpy(), frozen_start)
    ops.loc[~is_frozen, "earliest"] = np.maximum(ops.earliest[~is_frozen], now_min)
    previous_rows = [dict(op=int(i), machine_id=prev.loc[key[i], "machine_id"],
                          start=problem.minutes(prev.loc[key[i], "start"]))
                     for i in np.flatnonzero(in_prev & ~done & ~is_frozen)]
    problem = Problem(**{**problem.__dict__, "ops": ops, "frozen": fr,
                         "previous": pd.DataFrame(previous_rows, columns=["op", "machine_id", "start"]),
                         "not_before": now_min})
    keep = ~done
    problem = _subset(problem, keep, ended=prev_end)
    if problem.previous is not None and len(problem.previous):
        new_index = np.cumsum(keep) - 1
        problem.previous = problem.previous.assign(op=new_index[problem.previous.op.to_numpy()])
    result = make_schedule_from_problem(problem, settings)
    sched = result.schedule
    frozen_tab = sched[sched.status == "frozen"][["order_id", "op_seq", "machine_id", "start", "end"]]

    # what moved, and why
    new = sched.set_index(["order_id", "op_seq"])
    tol = pd.Timedelta(minutes=settings.move_tolerance_min)
    new_orders = sorted(set(orders.order_id) - set(previous.order_id))
    down = ds.calendar_exceptions[ds.calendar_exceptions.kind == "breakdown"]
    unfrozen_keys = {key[i] for i in unfrozen}
    moves = []
    for k, r in prev.iterrows():
        if k not in new.index:
            continue
        n = new.loc[k]
        if n.machine_id == r.machine_id and abs(n.start - r.start) <= tol and abs(n.end - r.end) <= tol:
            continue
        reasons = []
        hit = down[(down.machine_id == r.machine_id) & (down.start < r.end) & (down.end > r.setup_start)]
        if k in unfrozen_keys or len(hit):
            if len(hit):
                h = hit.iloc[0]
                reasons.append(f"machine {r.machine_id} down {h.start:%a %d %b %H:%M}-{h.end:%a %d %b %H:%M}")
            elif k in pushed:
                reasons.append(f"follows op {pushed[k]} of its order, which moved")
            else:
                reasons.append("its frozen slot is no longer possible")
        if k[0] in qty_changed:
            reasons.append("quantity change")
        if pd.notna(n.get("earliest_start")) and n.earliest_start > r.start and n.earliest_start > now:
            reasons.append(f"material or release not before {n.earliest_start:%a %d %b %H:%M}")
        if not reasons and new_orders:
            rushed = sched[sched.order_id.isin(new_orders) & sched.machine_id.isin([r.machine_id, n.machine_id])]
            if len(rushed):
                reasons.append("makes room for rush order " + ", ".join(sorted(rushed.order_id.unique())))
        if not reasons:
            reasons.append("knock-on of other moves (less weighted tardiness)")
        moves.append((k[0], k[1], r.machine_id, n.machine_id, r.start, n.start, r.end, n.end,
                      round((n.start - r.start).total_seconds() / 3600, 2), "; ".join(reasons)))
    done_tab = previous[previous.set_index(["order_id", "op_seq"]).index.isin(
        [key[i] for i in np.flatnonzero(done)])][["order_id", "op_seq", "machine_id", "start", "end"]]
    return RescheduleResult(result=result, frozen=frozen_tab.reset_index(drop=True),
                            moves=pd.DataFrame(moves, columns=MOVE_COLUMNS), done=done_tab.reset_index(drop=True))
