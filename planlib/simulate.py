"""A week on the shop floor, simulated: what happened when the plant carried out a plan.

The sample factory lives through its weeks (docs/sample-weeks.md): the previous week's plan is carried
out with realistic noise, and the execution records it leaves (``production_reports``,
``goods_receipts``, ``material_issues``, ``supplier_confirmations``, shipments in ``demand_history``)
are written beside the snapshot they start from, so that the next weekly run plans from what happened
(:func:`planlib.actuals.apply_actuals`) and reports on it (attainment, scrap, variance, supplier
follow-up). The same seed gives the same records.

The noise, each drawn per record from the seed:

- yield: scrap on an operation ~ binomial(quantity, the item's ``scrap_pct`` x a lognormal factor),
  split over :data:`SCRAP_REASONS`;
- run time: the routing standard x a lognormal factor (mean about 1.04, the plant runs a little slow);
- breakdowns: machine stops by :data:`DOWNTIME_REASONS`, their minutes reported on the operation hit;
- labour: hours booked = crew x hours on the machine x a factor;
- operator absence: each operator of a staffed shift is absent with :data:`ABSENCE_RATE`; a shift left
  with too few operators for all its work center's machines idles some of them (:func:`absences`), and
  an operation caught there waits, its lost minutes reported as downtime ``no operator``;
- suppliers: late by a supplier's own delay, short by a few percent, partial confirmations.

Glossary: docs/glossary.md.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from planlib.actuals import snapshot_date
from planlib.contract import TABLES
from planlib.dataset import Dataset, conform, empty_table

__all__ = ["ABSENCE_RATE", "DOWNTIME_REASONS", "SCRAP_REASONS", "absences", "cut_to_stock", "downtime", "frame_start",
           "issue_rows", "report_rows", "run_minutes", "scrap_qty", "simulate_week", "simulate_weeks",
           "supplier_confirmations", "week_absences", "week_summary"]

#: Scrap reasons and their weights (the plant's Pareto: a few reasons make most of the scrap).
SCRAP_REASONS = {"dimension out of tolerance": 0.35, "surface defect": 0.25, "porosity": 0.15,
                 "setup piece": 0.15, "handling damage": 0.10}

#: Downtime reasons and their weights.
DOWNTIME_REASONS = {"breakdown": 0.40, "waiting for material": 0.20, "tool change": 0.15,
                    "no operator": 0.15, "quality hold": 0.10}

#: Run time factor: lognormal(mu, sigma) of the routing standard (mean exp(0.03 + 0.08**2 / 2) = 1.034).
RUN_TIME_LOGNORMAL = (0.03, 0.08)
#: Scrap rate factor: lognormal(0, 0.6) x the item's ``scrap_pct`` (at least :data:`SCRAP_RATE_MIN`),
#: capped at :data:`SCRAP_RATE_MAX`.
SCRAP_LOGNORMAL_SIGMA = 0.6
SCRAP_RATE_MIN, SCRAP_RATE_MAX = 0.004, 0.2
#: Share of operations hit by a stop, and the stop's minutes: lognormal(log 60, 0.5) (median 60 min).
DOWNTIME_SHARE = 0.25
DOWNTIME_LOGNORMAL = (np.log(60), 0.5)
#: Operator absence: the chance that one operator of a staffed shift does not come (illness, leave at
#: short notice), drawn per operator and shift; and the downtime reason of the minutes it costs.
ABSENCE_RATE = 0.04
NO_OPERATOR = "no operator"
#: Labour hours booked: crew x hours on the machine x lognormal(0, 0.05).
LABOUR_LOGNORMAL_SIGMA = 0.05
#: Days a supplier's deliveries and confirmations run late (SKF Distribution is the late supplier of the
#: sample's README; ElektroParts a little behind); other suppliers deliver on time.
SUPPLIER_DELAY_DAYS = {"S003": 8, "S009": 3}
#: Share of material issues over-issued (the floor took more than the standard), by 2 to 6 %.
OVER_ISSUE_SHARE, OVER_ISSUE_RANGE = 0.3, (0.02, 0.06)
#: Units of measure issued in whole units (rounded up); others to 0.01.
WHOLE_UOM = ("ea", "set")


def _weights(reasons: dict) -> tuple[list, np.ndarray]:
    w = np.array(list(reasons.values()))
    return list(reasons), w / w.sum()


def run_minutes(rng, setup_min, run_min_per_unit, qty, speed_factor=1.0):
    """Minutes an operation takes on the machine: the routing standard x a lognormal factor.

    Parameters
    ----------
    rng : numpy.random.Generator
    setup_min : float or array
        Setup [min].
    run_min_per_unit : float or array
        Run time per unit [min/uom].
    qty : float or array
        Units run [uom].
    speed_factor : float or array
        The machine's ``speed_factor`` (run time is divided by it).

    Returns
    -------
    float or ndarray
        ``(setup_min + run_min_per_unit * qty / speed_factor) * lognormal`` [min]
        (:data:`RUN_TIME_LOGNORMAL`); one draw per operation, a float for scalar input.
    """
    std = np.asarray(setup_min, dtype=float) + np.asarray(run_min_per_unit, dtype=float) * \
        np.asarray(qty, dtype=float) / np.asarray(speed_factor, dtype=float)
    if std.ndim == 0:
        return float(std) * float(rng.lognormal(*RUN_TIME_LOGNORMAL))
    return std * rng.lognormal(*RUN_TIME_LOGNORMAL, size=std.shape)


def scrap_qty(rng, scrap_pct, entering):
    """Units scrapped on an operation: binomial(entering, rate).

    Parameters
    ----------
    rng : numpy.random.Generator
    scrap_pct : float or array
        The item's ``scrap_pct`` [%] (empty counts as 0).
    entering : float or array
        Units entering the operation [uom] (whole units).

    Returns
    -------
    int or ndarray of int
        The rate is ``max(scrap_pct / 100, SCRAP_RATE_MIN) x lognormal(0, 0.6)``, at most
        :data:`SCRAP_RATE_MAX`; one draw per operation.
    """
    pct = np.nan_to_num(np.asarray(scrap_pct, dtype=float))
    n = np.asarray(entering, dtype=float).astype(np.int64)
    if pct.ndim == 0 and n.ndim == 0:
        p = max(float(pct) / 100, SCRAP_RATE_MIN) * float(rng.lognormal(0.0, SCRAP_LOGNORMAL_SIGMA))
        return int(rng.binomial(int(n), min(p, SCRAP_RATE_MAX)))
    shape = np.broadcast(pct, n).shape
    p = np.maximum(pct / 100, SCRAP_RATE_MIN) * rng.lognormal(0.0, SCRAP_LOGNORMAL_SIGMA, size=shape)
    return rng.binomial(np.broadcast_to(n, shape), np.minimum(p, SCRAP_RATE_MAX)).astype(np.int64)


def downtime(rng) -> tuple[float, str]:
    """A machine stop on one operation, or none.

    Returns
    -------
    (float, str)
        Minutes stopped [min] (:data:`DOWNTIME_SHARE` of operations; lognormal, median 60) and the
        reason (by the weights of :data:`DOWNTIME_REASONS`); ``(0.0, "")`` for none.
    """
    if rng.random() < DOWNTIME_SHARE:
        names, w = _weights(DOWNTIME_REASONS)
        return round(float(rng.lognormal(*DOWNTIME_LOGNORMAL))), str(rng.choice(names, p=w))
    return 0.0, ""


def report_rows(rng, order_id: str, op_seq: int, machine_id: str, crew_size: float, segments: list,
                good: float, scrap: float, stop: tuple[float, str] = (0.0, ""), finished: bool = True,
                idle: dict | None = None) -> list[dict]:
    """The production reports of one operation: one row per day it ran.

    Parameters
    ----------
    rng : numpy.random.Generator
    order_id, op_seq, machine_id
        The operation and the machine it ran on.
    crew_size : float
        Operators while it runs.
    segments : list of (Timestamp, Timestamp)
        The working time it ran, in order.
    good : float
        Good units over all ``segments`` [uom], split over the days by minutes run (the rounding on
        the last day).
    scrap : float
        Units scrapped [uom], reported on the last day with a reason drawn from :data:`SCRAP_REASONS`.
    stop : (float, str)
        Downtime minutes [min] and reason (:func:`downtime`), reported on the last day.
    finished : bool
        False: the operation goes on after ``segments`` (cut at a week's end); its scrap and stop are
        still reported on the last day given.
    idle : dict, optional
        Day (midnight) -> minutes the machine stood without an operator while the operation waited
        for it (:func:`absences`), reported on the day it ran next: added to the day's downtime,
        whose reason is ``no operator`` when they are the larger part.

    Returns
    -------
    list of dict
        Rows of ``production_reports``: ``order_id, op_seq, machine_id, report_date, start, end``
        (to the minute), ``qty_good, qty_scrap`` [uom], ``scrap_reason``, ``labour_hours`` [h] (crew x
        hours from the day's first start to its last end x lognormal(0, 0.05)), ``downtime_min``
        [min], ``downtime_reason``.
    """
    days = {}
    for s, e in segments:
        d = s.normalize()
        a, b = days.get(d, (s, e))
        days[d] = (min(a, s), max(b, e))
    mins = np.array([(e - s).total_seconds() / 60 for s, e in days.values()])
    if mins.sum() <= 0:
        mins = np.ones_like(mins)
    share = np.floor(good * mins / mins.sum()).astype(int)
    share[-1] += int(good) - share.sum()
    names, w = _weights(SCRAP_REASONS)
    reason = str(rng.choice(names, p=w)) if scrap else ""
    rows = []
    for k, (d, (s, e)) in enumerate(days.items()):
        last = k == len(days) - 1
        hours = (e - s).total_seconds() / 3600
        down, why = (float(stop[0]), stop[1]) if last else (0.0, "")
        away = float((idle or {}).get(d, 0.0))
        if away > 0:
            down, why = down + away, (NO_OPERATOR if away >= down else why)
        rows.append(dict(order_id=order_id, op_seq=int(op_seq), machine_id=machine_id, report_date=d,
                         start=s.floor("min"), end=e.ceil("min"), qty_good=float(share[k]),
                         qty_scrap=float(scrap if last else 0), scrap_reason=reason if last else "",
                         labour_hours=round(float(crew_size) * hours * float(rng.lognormal(0, LABOUR_LOGNORMAL_SIGMA)), 2),
                         downtime_min=down, downtime_reason=why))
    return rows


def absences(rng, ds: Dataset, start, end) -> pd.DataFrame:
    """Operators absent in the staffed shifts of ``[start, end)``, and the machines it idles.

    Each operator of each shift of :func:`planlib.labour.labour_shifts` (work centers with
    ``staffing`` rows) is absent with :data:`ABSENCE_RATE`. A work center runs at most
    ``floor(operators / crew)`` machines at once, ``crew`` its routings' largest ``crew_size``; the
    machines it can no longer run with the operators present stand idle for the whole shift, the
    ones drawn from its machines.

    Parameters
    ----------
    rng : numpy.random.Generator
    ds : Dataset
        Uses ``staffing``, ``work_centers``, ``machines``, ``routings``, ``calendars``.
    start, end : datetime-like

    Returns
    -------
    DataFrame
        One row per shift with someone absent: ``work_center_id, date, shift_name, start, end``,
        ``operators`` [headcount planned], ``absent`` [headcount], ``machines_idle`` (machine ids
        joined by ``", "``; empty when the operators left still run every machine).
    """
    from planlib.labour import labour_shifts

    cols = ["work_center_id", "date", "shift_name", "start", "end", "operators", "absent", "machines_idle"]
    if not ds.has("staffing") or not len(ds.staffing):
        return pd.DataFrame(columns=cols)
    shifts = labour_shifts(ds, start, end)
    shifts = shifts[shifts.operators.notna() & (shifts.start >= pd.Timestamp(start))].reset_index(drop=True)
    crew = ds.routings.groupby("work_center_id").crew_size.max()
    machines = {w: sorted(g.machine_id) for w, g in ds.machines.groupby("work_center_id")}
    rows = []
    for sh in shifts.itertuples():
        n = int(round(sh.operators))
        gone = int(rng.binomial(n, ABSENCE_RATE)) if n > 0 else 0
        if not gone:
            continue
        mine, c = machines.get(sh.work_center_id, []), float(crew.get(sh.work_center_id, 0.0))
        runs = (lambda k: len(mine) if c <= 0 else min(len(mine), int(np.floor(k / c + 1e-9))))
        lost = runs(n) - runs(n - gone)
        idle = sorted(rng.choice(mine, size=lost, replace=False).tolist()) if lost > 0 else []
        rows.append(dict(work_center_id=sh.work_center_id, date=sh.date, shift_name=sh.shift_name, start=sh.start,
                         end=sh.end, operators=float(sh.operators), absent=gone, machines_idle=", ".join(idle)))
    return pd.DataFrame(rows, columns=cols)


def week_absences(ds: Dataset, start, seed: int = 0) -> pd.DataFrame:
    """:func:`absences` of the week from ``start``, drawn as :func:`simulate_week` draws them (a
    stream of their own from the seed and the ISO week, so that they do not move the other draws).

    Returns
    -------
    DataFrame
        As :func:`absences`: ``work_center_id, date, shift_name, start, end, operators, absent,
        machines_idle``.
    """
    start = pd.Timestamp(start).normalize()
    year, week, _ = start.isocalendar()
    return absences(np.random.default_rng([int(seed), int(year), int(week), 1]), ds, start,
                    start + pd.Timedelta(days=7))


def _without(work: list, windows: list) -> list:
    """Working intervals ``work`` less the ``windows`` [(start, end)], in order."""
    out = list(work)
    for a, b in windows:
        nxt = []
        for s, e in out:
            if e <= a or s >= b:
                nxt.append((s, e))
                continue
            if s < a:
                nxt.append((s, a))
            if e > b:
                nxt.append((b, e))
        out = nxt
    return out


def _idle_by_day(segments: list, windows: list, earliest) -> dict:
    """Day -> minutes of ``windows`` (the machine without an operator) that held up an operation able to
    start at ``earliest`` and run in ``segments``: each window's minutes between ``earliest`` and the
    operation's end, on the first day the operation ran on or after the window began."""
    if not segments:
        return {}
    days = sorted({s.normalize() for s, _ in segments})
    stop = segments[-1][1]
    out = {}
    for a, b in windows:
        m = (min(stop, b) - max(pd.Timestamp(earliest), a)).total_seconds() / 60
        if m <= 0:
            continue
        d = next((d for d in days if d >= a.normalize()), days[-1])
        out[d] = out.get(d, 0.0) + m
    return {d: float(round(m)) for d, m in out.items()}  # whole minutes, as a shop floor reports them


def issue_rows(rng, order_id: str, components: pd.DataFrame, qty: float, when) -> list[dict]:
    """The material issues of a production order started on ``when``.

    Parameters
    ----------
    rng : numpy.random.Generator
    order_id : str
    components : DataFrame
        The BOM lines of the order's item valid on ``when``: ``component_id, qty_per`` [uom per unit],
        ``scrap_pct`` [%] and ``uom`` (the component's).
    qty : float
        Units the order starts [uom].
    when : Timestamp
        The issue day (its time is dropped).

    Returns
    -------
    list of dict
        Rows of ``material_issues``: ``order_id, item_id, qty, issue_date``; ``qty = qty_per x qty x
        (1 + scrap_pct / 100)``, over-issued by 2 to 6 % on :data:`OVER_ISSUE_SHARE` of the lines,
        rounded up to whole units for :data:`WHOLE_UOM`, else to 0.01.
    """
    rows = []
    for c in components.itertuples():
        q = float(c.qty_per) * qty * (1 + float(c.scrap_pct or 0) / 100)
        if rng.random() < OVER_ISSUE_SHARE:  # over-issue: the floor took more than the standard
            q *= 1 + float(rng.uniform(*OVER_ISSUE_RANGE))
        q = np.ceil(q) if c.uom in WHOLE_UOM else round(q, 2)
        rows.append(dict(order_id=order_id, item_id=c.component_id, qty=float(q), issue_date=when.normalize()))
    return rows


# --------------------------------------------------------------------------- the forward week

#: Customer orders booked per week ahead, as a share of the item's weekly rate (the order book the
#: sample starts with, :func:`planlib.factory._open_orders`): week 1 fully booked, week 8 a tenth.
BOOKED_SHARE = (1.0, 0.95, 0.8, 0.65, 0.5, 0.35, 0.2, 0.1)
#: Weeks of shipments an item's weekly rate is measured over (``demand_history``).
RATE_WEEKS = 26
#: The short delivery: one receipt of the week is this share of the open quantity (uniform).
SHORT_DELIVERY = (0.90, 0.97)
#: Days an on-time supplier delivers from the due date (uniform integers, -1 to +1).
SUPPLIER_DAYS = (-1, 2)


def simulate_week(ds: Dataset, plan, params, seed: int = 0) -> Dataset:
    """The dataset of the next week as the ERP gives it: week M's plan carried out with noise.

    Parameters
    ----------
    ds : Dataset
        The dataset of week M as the ERP gives it (a snapshot and the records since,
        e.g. ``data/sample``).
    plan : WeekPlan
        :func:`planlib.pipeline.plan_week` of ``ds`` with ``params``: its planned orders and
        published schedule are carried out.
    params : PlanParams
        ``plan_start`` is the Monday M of the week simulated.
    seed : int
        Seed of the week's draws (with M's ISO week): the same seed gives the same dataset.

    Returns
    -------
    Dataset
        The dataset of week M + 1: the snapshot as of M (:func:`planlib.validate.planning_dataset`,
        ``inventory.as_of`` = M) with the orders released in week M added to ``scheduled_receipts``
        (``MO-5xxxx`` production, status ``released``, ``PO-4xxxx`` purchase, status ``firm``;
        ``planned_order`` the planned order's id), and the records of [M, M + 7 days):

        - ``production_reports``: the published schedule's operations that start in the week, on
          their machine, in schedule order; an operation starts at its scheduled start or when its
          machine and its order's previous operation are through, runs the schedule's minutes x
          :func:`run_minutes`'s factor plus a stop (:func:`downtime`), loses :func:`scrap_qty`
          units; one row per day (:func:`report_rows`); an operation still running at the week's
          end reports the good units of its minutes in the week; a machine idled by operator
          absence (:func:`absences`, drawn from a stream of its own) runs nothing in that shift,
          and the operation it holds reports the minutes as downtime ``no operator``;
        - ``material_issues``: the BOM of the units entering an order's first operation (good + scrap reported on it in the week; :func:`issue_rows`);
        - ``goods_receipts``: the open purchase orders due before M + 7, received on the due date
          (-1 to +1 days), the late suppliers of ``SUPPLIER_DELAY_DAYS`` later (a receipt
          falling after the week stays open), one delivered short (:data:`SHORT_DELIVERY`);
        - ``supplier_confirmations`` of the purchase orders open at the week's end
          (:func:`supplier_confirmations`);
        - ``demand_history``: the customer order lines due before M + 7 shipped on their due date
          (past due: Monday), as far as stock allows;
        - ``demand``: shipped quantities taken off, fully shipped lines removed, and new lines booked
          over the next 8 weeks from M + 7 up to :data:`BOOKED_SHARE` of each sold item's rate
          (its mean weekly shipments over :data:`RATE_WEEKS` weeks).

        Stock never goes below zero day by day: on each day receipts and production come in first,
        then the issues and the shipments (by priority) go out, each cut to what is on hand. The
        staffing (the planned headcount), calendars and master data are unchanged.
    """
    from planlib.validate import planning_dataset

    start = pd.Timestamp(params.plan_start).normalize()
    end = start + pd.Timedelta(days=7)
    year, week, _ = start.isocalendar()
    rng = np.random.default_rng([int(seed), int(year), int(week)])
    state = planning_dataset(ds, start)
    inventory = state.inventory.assign(as_of=start)  # also for a dataset whose snapshot was current
    sr, new_ids = _release(state, plan, start, end)
    state = Dataset(dict(state.tables, scheduled_receipts=sr, inventory=inventory), state.source,
                    frozenset(state.present | {"scheduled_receipts"}), state.rows, state.warnings)
    away = week_absences(state, start, seed)
    idle = {}
    for a, b, ms in zip(away.start, away.end, away.machines_idle):
        for m in filter(None, ms.split(", ")):
            idle.setdefault(m, []).append((a, b))
    receipts = _receive(rng, state, start, end)
    reports, issues = _carry_out(rng, state, plan.schedule.schedule, new_ids, start, end, idle, receipts)
    shipments = _due_shipments(state, start, end)
    issues, shipments = cut_to_stock(state, reports, receipts, issues, shipments)
    demand = _roll_order_book(rng, state, shipments, start, end)
    confirmations = _confirm(rng, sr, receipts, start, end)
    history = pd.concat([state.demand_history, shipments[["item_id", "date", "qty"]]], ignore_index=True)
    tables = dict(state.tables, scheduled_receipts=sr, production_reports=reports, material_issues=issues,
                  goods_receipts=receipts, supplier_confirmations=confirmations, demand=demand,
                  demand_history=history)
    tables = {n: conform(n, t) if n in TABLES else t for n, t in tables.items()}
    rows = {n: [f"{n} row {i + 1}" for i in range(len(t))] for n, t in tables.items()}
    return Dataset(tables, f"{ds.source} + simulate_week({start:%Y-%m-%d}, seed={seed})",
                   frozenset(state.present | set(tables)), rows)


def supplier_confirmations(rng, sr: pd.DataFrame, w0, start) -> pd.DataFrame:
    """What the suppliers said about their open purchase orders in the week before the plan: most
    confirm the due date; the late supplier confirms its own delay; one confirms part of an order;
    one order due soon is not confirmed.

    Parameters
    ----------
    rng : numpy.random.Generator
    sr : DataFrame
        ``scheduled_receipts`` rows; the purchase orders are confirmed (``qty`` [uom] open).
    w0 : Timestamp
        The week's Monday: confirmations are dated in its first five days.
    start : Timestamp
        The Monday after the week.

    Returns
    -------
    DataFrame
        ``supplier_confirmations``: ``order_id, confirmed_date, confirmed_qty`` [uom], ``confirmed_on, note``.
    """
    po = sr[sr.order_type == "purchase"].sort_values("due_date", kind="stable")
    soon = po[(po.due_date >= start) & (po.due_date < start + pd.Timedelta(days=10))]
    silent = soon.order_id.iloc[-1] if len(soon) else None
    partial = po.order_id.iloc[len(po) // 2] if len(po) > 2 else None
    rows = []
    for p in po.itertuples():
        if p.order_id == silent:
            continue
        delay = SUPPLIER_DELAY_DAYS.get(p.supplier_id, 0)
        said = w0 + pd.Timedelta(days=int(rng.integers(0, 5)))
        date = max(pd.Timestamp(p.due_date), start) + pd.Timedelta(days=delay) if delay else pd.Timestamp(p.due_date)
        qty = p.qty
        if p.order_id == partial and not delay:
            qty = float(np.floor(0.8 * p.qty))
            note = f"{qty:.0f} on the due date, the rest a week later"
        elif delay and p.due_date < start:
            note = "backorder: the rest ships with next week's truck"
        elif delay:
            note = f"production delay at the mill: {delay} days late"
        else:
            note = "confirmed as ordered"
        rows.append(dict(order_id=p.order_id, confirmed_date=date, confirmed_qty=qty, confirmed_on=said, note=note))
    return pd.DataFrame(rows, columns=["order_id", "confirmed_date", "confirmed_qty", "confirmed_on", "note"])


def _next_number(ids: pd.Series, prefix: str, floor: int) -> int:
    """The first number after every ``<prefix><number>`` id given (at least ``floor``)."""
    nums = pd.to_numeric(pd.Series(ids, dtype=object).astype(str).str.extract(
        f"^{prefix}(\\d+)$", expand=False), errors="coerce").dropna()
    return int(max(nums.max() + 1, floor)) if len(nums) else floor


def _release(state: Dataset, plan, start, end) -> tuple[pd.DataFrame, dict]:
    """``scheduled_receipts`` with the planned orders released in the week; ``{planned id: order id}``.

    A planned order is released when its release date is before ``end`` or an operation of it is
    scheduled to start before ``end``; its release date becomes at least ``start`` (a release in the
    past is made on Monday), at most its due date.
    """
    sr = state.scheduled_receipts
    po = plan.planned_orders
    sched = plan.schedule.schedule
    starting = set(sched.order_id[sched.start < end]) if len(sched) else set()
    due_now = po[(po.release_date < end) | po.order_id.isin(starting)]
    due_now = due_now.sort_values(["release_date", "order_id"], kind="stable")
    known = pd.concat([sr.order_id] + [state[t].order_id for t in ("production_reports", "material_issues",
                                                                    "goods_receipts") if state.has(t)])
    out, ids = [], {}
    for kind, prefix, floor, order_type, status in (("make", "MO-", 50001, "production", "released"),
                                                    ("buy", "PO-", 40001, "purchase", "firm")):
        rel = due_now[due_now.order_type == kind]
        first = _next_number(known, prefix, floor)
        new = [f"{prefix}{first + k:05d}" for k in range(len(rel))]
        ids.update(zip(rel.order_id, new))
        release = rel.release_date.clip(lower=start)
        out.append(pd.DataFrame(dict(order_id=new, item_id=rel.item_id.to_numpy(), order_type=order_type,
                                     qty=rel.qty.to_numpy(dtype=float), due_date=rel.due_date.to_numpy(),
                                     release_date=np.minimum(release.to_numpy(), rel.due_date.to_numpy()),
                                     status=status,
                                     supplier_id=rel.supplier_id.to_numpy() if kind == "buy" else None,
                                     planned_order=rel.order_id.to_numpy())))
    return pd.concat([sr] + out, ignore_index=True), ids


def _book(work: list, earliest, minutes: float, until) -> tuple[list, bool]:
    """Working segments on a machine from ``earliest`` for ``minutes``, cut at ``until``.

    Returns the segments (maybe none) and whether the minutes were all booked before ``until``.
    """
    segs, left = [], float(minutes)
    for s, e in work:
        s, e = max(s, earliest), min(e, until)
        if (e - s).total_seconds() < 1:  # nothing left of the interval (or float dust at its end)
            continue
        take = min(left, (e - s).total_seconds() / 60)
        segs.append((s, s + pd.Timedelta(minutes=take)))
        left -= take
        if left <= 1e-9:
            return segs, True
    return segs, False


class _Stock:
    """Stock of components as the week is carried out: on hand at the start, the week's receipts and
    the good units of finished orders by the time they come in, less what was issued so far."""

    def __init__(self, inventory: pd.DataFrame, receipts: pd.DataFrame):
        self.base = inventory.groupby("item_id").on_hand.sum().astype(float).to_dict()
        self.used: dict = {}
        self.events: dict = {}  # item -> [(time, qty)]
        for i, t, q in zip(receipts.item_id, receipts.received_date, receipts.qty):
            self.add(i, pd.Timestamp(t), float(q))

    def add(self, item, when, qty: float) -> None:
        self.events.setdefault(item, []).append((when, qty))

    def use(self, item, qty: float) -> None:
        self.used[item] = self.used.get(item, 0.0) + qty

    def available(self, item, when) -> float:
        came = sum(q for t, q in self.events.get(item, ()) if t <= when)
        return self.base.get(item, 0.0) + came - self.used.get(item, 0.0)

    def kit(self, lines: pd.DataFrame, when, qty: float, until):
        """``(start, units)``: the first time from ``when`` (before ``until``) at which the components
        of ``qty`` units are all there; failing that, ``when`` and the units they allow then."""
        per = (lines.qty_per.astype(float) * (1 + lines.scrap_pct.fillna(0).astype(float) / 100)
               * (1 + OVER_ISSUE_RANGE[1])).to_numpy()
        comps = lines.component_id.tolist()

        def units(at):
            have = [self.available(c, at) for c in comps]
            return min(float(np.floor(max(h, 0.0) / n + 1e-9)) if n > 0 else np.inf for h, n in zip(have, per))

        if units(when) >= qty:
            return when, qty
        for t in sorted({t for c in comps for t, _ in self.events.get(c, ()) if when < t < until}):
            if units(t) >= qty:
                return t, qty
        return when, min(qty, units(when))


def _carry_out(rng, state: Dataset, schedule: pd.DataFrame, new_ids: dict, start, end, idle: dict | None = None,
               receipts: pd.DataFrame | None = None):
    """Production reports and material issues of the schedule's operations that start in the week.

    Operations are taken in order of their scheduled setup start; each starts at the latest of its
    scheduled setup start, its machine's end of the operation before and its order's previous
    operation's end (an operation whose previous one does not finish in the week does not start).
    The units it runs are the least of the schedule's quantity, what the order still lets into it
    (open quantity at the snapshot less the scrap of its earlier operations in the week and its own
    ``qty_done``) and what its previous operation passed on. ``idle``: machine -> windows
    [(start, end)] it stands without an operator (:func:`absences`); its operations wait them out.
    An order's first operation waits for its components: on hand at the start, the week's
    ``receipts`` and the good units of orders finished so far, less what was issued (:class:`_Stock`);
    when they do not come in the week it starts with the units they allow, or not at all.
    """
    from planlib.calendar import machine_intervals

    report_cols = ["order_id", "op_seq", "machine_id", "report_date", "start", "end", "qty_good", "qty_scrap",
                   "scrap_reason", "labour_hours", "downtime_min", "downtime_reason"]
    issue_cols = ["order_id", "item_id", "qty", "issue_date"]
    sr = state.scheduled_receipts
    mo = sr[sr.order_type == "production"].drop_duplicates("order_id").set_index("order_id")
    ops = schedule.assign(order_id=schedule.order_id.map(lambda o: new_ids.get(o, o)))
    ops = ops[ops.order_id.isin(mo.index) & (ops.setup_start < end)]
    ops = ops.sort_values(["setup_start", "start", "machine_id", "order_id", "op_seq"], kind="stable")
    prog = state.operations_progress if state.has("operations_progress") else empty_table("operations_progress")
    done = prog.drop_duplicates(["order_id", "op_seq"]).set_index(["order_id", "op_seq"]).qty_done.fillna(0.0)
    routing = state.routings.sort_values(["item_id", "op_seq"])
    prev_op = dict(zip(zip(routing.item_id, routing.op_seq), routing.groupby("item_id").op_seq.shift()))
    first_op = routing.groupby("item_id").op_seq.min()
    scrap_pct = state.items.set_index("item_id").scrap_pct
    uom = state.items.set_index("item_id").uom
    bom = state.bom
    idle = idle or {}
    work = {m: _without(list(zip(g.start, g.end)), idle.get(m, []))
            for m, g in machine_intervals(state, start, end).groupby("machine_id")}
    last_op = routing.groupby("item_id").op_seq.max()
    stock = _Stock(state.inventory, receipts if receipts is not None else pd.DataFrame(
        columns=["item_id", "received_date", "qty"]))
    in_week = set(zip(ops.order_id, ops.op_seq))
    machine_free, op_end, good_in_week, scrap_before = {}, {}, {}, {}
    reports, issues = [], []
    for op in ops.itertuples():
        key = (op.order_id, int(op.op_seq))
        item = mo.item_id[op.order_id]
        prev = prev_op.get((item, op.op_seq))
        earliest = max(op.setup_start, machine_free.get(op.machine_id, start), start)
        passed = np.inf
        if prev is not None and not pd.isna(prev):
            pkey = (op.order_id, int(prev))
            if pkey in in_week:
                if pkey not in op_end:  # the previous operation did not finish in the week
                    continue
                earliest = max(earliest, op_end[pkey])
            passed = done.get(pkey, 0.0) + good_in_week.get(pkey, 0.0) - done.get(key, 0.0)
        room = float(mo.qty[op.order_id]) - scrap_before.get(op.order_id, 0.0) - done.get(key, 0.0)
        qty = float(np.floor(max(min(float(op.qty), room, passed), 0.0) + 1e-9))
        if qty <= 0:
            continue
        first = op.op_seq == first_op.get(item)
        if first:  # the order's components: it waits for them, or starts with what they allow
            lines = _valid_lines(bom, item, earliest)
            if len(lines):
                earliest, qty = stock.kit(lines, earliest, qty, end)
                if qty <= 0:
                    continue
        minutes = run_minutes(rng, float(op.setup_min) + float(op.changeover_min),
                              float(op.run_min) / max(float(op.qty), 1e-9), qty)
        stop = downtime(rng)
        lost = scrap_qty(rng, scrap_pct.get(item, 0.0), qty)
        segs, finished = _book(work.get(op.machine_id, []), earliest, minutes + stop[0], end)
        if not segs:
            continue
        if finished:
            good, bad = qty - lost, float(lost)
            op_end[key] = segs[-1][1]
            if op.op_seq == last_op.get(item) and good > 0:
                stock.add(item, op_end[key], good)
        else:  # still running at the week's end: the good units of the minutes it ran
            ran = sum((e - s).total_seconds() / 60 for s, e in segs)
            good, bad = float(np.floor(qty * ran / (minutes + stop[0]))), 0.0
        machine_free[op.machine_id] = segs[-1][1]
        good_in_week[key] = good
        scrap_before[op.order_id] = scrap_before.get(op.order_id, 0.0) + bad
        reports += report_rows(rng, op.order_id, int(op.op_seq), op.machine_id, float(op.crew_size), segs,
                               good, bad, stop, finished, idle=_idle_by_day(segs, idle.get(op.machine_id, []), earliest))
        if first and good + bad > 0:  # components go out as units enter the order
            when = segs[0][0]
            lines = _valid_lines(bom, item, when)
            lines = lines.assign(uom=lines.component_id.map(uom).fillna("ea"))
            rows = issue_rows(rng, op.order_id, lines, good + bad, when)
            for r in rows:
                stock.use(r["item_id"], r["qty"])
            issues += rows
    reports = pd.DataFrame(reports, columns=report_cols)
    reports = reports.sort_values(["report_date", "machine_id", "start"], kind="stable").reset_index(drop=True)
    return reports, pd.DataFrame(issues, columns=issue_cols)


def _valid_lines(bom: pd.DataFrame, item, when) -> pd.DataFrame:
    """The BOM lines of ``item`` valid at ``when``."""
    return bom[(bom.parent_id == item) & (bom.valid_from.isna() | (bom.valid_from <= when))
               & (bom.valid_to.isna() | (bom.valid_to > when))]


def _receive(rng, state: Dataset, start, end) -> pd.DataFrame:
    """Goods receipts of the open purchase orders due before ``end`` (see :func:`simulate_week`)."""
    cols = ["receipt_id", "order_id", "item_id", "qty", "received_date"]
    sr = state.scheduled_receipts
    po = sr[(sr.order_type == "purchase") & (sr.due_date < end)].sort_values(["due_date", "order_id"], kind="stable")
    on_time = rng.integers(*SUPPLIER_DAYS, size=len(po))
    delay = po.supplier_id.map(SUPPLIER_DELAY_DAYS).fillna(pd.Series(on_time, index=po.index)).astype(int)
    got = (po.due_date + pd.to_timedelta(delay, unit="D")).clip(lower=start)
    po = po.assign(received_date=got)[got < end]
    qty = po.qty.to_numpy(dtype=float).copy()
    if len(po):  # one delivered short
        k = int(rng.integers(len(po)))
        items = state.items.set_index("item_id")
        mult = float(items.order_multiple.get(po.item_id.iloc[k], 0) or 0) or 1.0
        qty[k] = float(np.floor(qty[k] * rng.uniform(*SHORT_DELIVERY) / mult) * mult)
    out = po.assign(qty=qty)[qty > 0].sort_values(["received_date", "order_id"], kind="stable")
    first = _next_number(state.goods_receipts.receipt_id if state.has("goods_receipts") else [], "GR-", 60001)
    out = out.assign(receipt_id=[f"GR-{first + k}" for k in range(len(out))])
    return out[cols].reset_index(drop=True)


def _due_shipments(state: Dataset, start, end) -> pd.DataFrame:
    """The open customer order lines due before ``end``, to ship on their due date (past due:
    ``start``), in order of date, priority and due date: ``order_id, item_id, date, qty, priority``."""
    d = state.demand[state.demand.due_date < end]
    out = d.assign(date=d.due_date.clip(lower=start))
    out = out.sort_values(["date", "priority", "due_date", "order_id"], kind="stable")
    return out[["order_id", "item_id", "date", "qty", "priority"]].reset_index(drop=True)


def cut_to_stock(state: Dataset, reports: pd.DataFrame, receipts: pd.DataFrame, issues: pd.DataFrame,
                 shipments: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Material issues and shipments cut to the stock on hand, day by day.

    Parameters
    ----------
    state : Dataset
        The snapshot the week starts from: ``inventory`` (``on_hand`` [uom]), ``scheduled_receipts``
        (the order's item) and ``routings`` (an item's last operation).
    reports, receipts : DataFrame
        ``production_reports`` (good units of last operations come in on ``report_date``) and
        ``goods_receipts`` (on ``received_date``) of the week.
    issues, shipments : DataFrame
        ``material_issues`` (out on ``issue_date``) and shipments ``order_id, item_id, date, qty``
        (out on ``date``, in the order given) [uom].

    Returns
    -------
    (DataFrame, DataFrame)
        ``issues`` and ``shipments`` with ``qty`` cut so that no item's on hand goes below zero
        (rows cut to zero dropped). Per item and day, receipts and production come in first, then
        the issues, then the shipments go out in the order given; a row is cut to what is left.
        Vectorised: with ``S`` the running sum of the flows from the start stock, the on hand
        reflected at zero is ``S - min(0, cummin S)`` (Lindley's recursion), and a row's cut is
        the increase of ``-min(0, cummin S)`` on it.
    """
    sr = state.scheduled_receipts.drop_duplicates("order_id").set_index("order_id").item_id
    last = state.routings.groupby("item_id").op_seq.max()
    made = reports.assign(item_id=reports.order_id.map(sr))
    made = made[made.op_seq.to_numpy(dtype=float) == made.item_id.map(last).to_numpy(dtype=float)]
    frames = [pd.DataFrame(dict(item_id=made.item_id, date=made.report_date, flow=made.qty_good, rank=0, row=-1)),
              pd.DataFrame(dict(item_id=receipts.item_id, date=receipts.received_date, flow=receipts.qty, rank=0,
                                row=-1)),
              pd.DataFrame(dict(item_id=issues.item_id, date=issues.issue_date, flow=-issues.qty, rank=1,
                                row=np.arange(len(issues)))),
              pd.DataFrame(dict(item_id=shipments.item_id, date=shipments.date, flow=-shipments.qty, rank=2,
                                row=np.arange(len(shipments))))]
    ev = pd.concat([f for f in frames if len(f)], ignore_index=True) if any(len(f) for f in frames) else None
    if ev is None:
        return issues, shipments
    ev = ev.astype({"flow": float}).sort_values(["item_id", "date", "rank", "row"], kind="stable")
    start = state.inventory.drop_duplicates("item_id").set_index("item_id").on_hand.astype(float)
    s = ev.item_id.map(start).fillna(0.0) + ev.groupby("item_id").flow.cumsum()
    deficit = (-s.groupby(ev.item_id).cummin()).clip(lower=0.0)
    ev["cut"] = deficit - deficit.groupby(ev.item_id).shift().fillna(0.0)
    out = []
    for rank, frame in ((1, issues), (2, shipments)):
        cut = ev[ev["rank"] == rank].set_index("row").cut.reindex(np.arange(len(frame))).fillna(0.0).to_numpy()
        kept = np.round(frame.qty.to_numpy(dtype=float) - cut, 6)
        out.append(frame.assign(qty=kept)[kept > 1e-9].reset_index(drop=True))
    return out[0], out[1]


def _rates(state: Dataset, shipments: pd.DataFrame, end) -> pd.Series:
    """Mean weekly shipments [uom/week] of every item shipped in the :data:`RATE_WEEKS` weeks before ``end``."""
    h = pd.concat([state.demand_history[["item_id", "date", "qty"]], shipments[["item_id", "date", "qty"]]])
    h = h[(h.date >= end - pd.Timedelta(weeks=RATE_WEEKS)) & (h.date < end)]
    rate = h.groupby("item_id").qty.sum() / RATE_WEEKS
    return rate[rate > 0].sort_index()


def _roll_order_book(rng, state: Dataset, shipments: pd.DataFrame, start, end) -> pd.DataFrame:
    """The order book at ``end``: shipped quantities off, and new lines booked over the next 8 weeks.

    The week ``w`` weeks after ``end`` was booked to ``BOOKED_SHARE[w + 1]`` of the item's rate; it
    gets ``BOOKED_SHARE[w] - BOOKED_SHARE[w + 1]`` more (the eighth week its first tenth), drawn as
    :func:`planlib.factory._open_orders` draws the sample's book: end items 1 or 2 lines of
    gamma-distributed size a week, other sold items (spare parts) now and then a lognormal line.
    """
    demand = state.demand
    shipped = shipments.groupby("order_id").qty.sum()
    left = demand.qty.to_numpy(dtype=float) - demand.order_id.map(shipped).fillna(0.0).to_numpy()
    kept = demand.assign(qty=np.round(left, 6))[left > 1e-9]
    rate = _rates(state, shipments, end)
    ids, r = rate.index.to_numpy(), rate.to_numpy()
    end_item = ~np.isin(ids, state.bom.component_id.unique())
    share = np.r_[BOOKED_SHARE, 0.0]
    items, due, qty = [], [], []
    for w in range(len(BOOKED_SHARE)):
        more = share[w] - share[w + 1]
        expected = r * more
        n = np.where(end_item, rng.integers(1, 3, size=ids.size), (rng.random(ids.size) < 0.25 * more).astype(int))
        for k in range(int(n.max()) if ids.size else 0):
            has = n > k
            q = np.where(end_item, np.ceil(rng.gamma(4.0, np.maximum(expected, 0.5) / 4.0 / np.maximum(n, 1))),
                         np.ceil(rng.lognormal(np.log(np.maximum(r * 2, 1)), 0.5)))
            day = rng.integers(0, 5, size=ids.size)
            pick = has & (q > 0)
            items.append(ids[pick])
            due.append(end + pd.to_timedelta(w * 7 + day[pick], unit="D"))
            qty.append(q[pick])
    if not items:
        return kept.reset_index(drop=True)
    new = pd.DataFrame(dict(item_id=np.concatenate(items), due_date=np.concatenate(due), qty=np.concatenate(qty)))
    new = new.sort_values(["due_date", "item_id"], kind="stable").reset_index(drop=True)
    first = _next_number(demand.order_id, "SO-", 70001)
    new["order_id"] = [f"SO-{first + k}" for k in range(len(new))]
    new["customer_id"] = [f"C{c:03d}" for c in rng.integers(1, 31, size=len(new))]
    new["priority"] = rng.choice([1, 2, 3, 3, 3, 4, 5], size=len(new))
    return pd.concat([kept, new[kept.columns]], ignore_index=True)


def _confirm(rng, sr: pd.DataFrame, receipts: pd.DataFrame, start, end) -> pd.DataFrame:
    """The suppliers' confirmations in the week of the purchase orders open at its end
    (:func:`supplier_confirmations`)."""
    po = sr[sr.order_type == "purchase"]
    left = po.qty.to_numpy(dtype=float) - po.order_id.map(receipts.groupby("order_id").qty.sum()).fillna(0.0).to_numpy()
    conf = supplier_confirmations(rng, po.assign(qty=left)[left > 1e-9], start, end)
    # a confirmation says what was still to come on its day: the week's receipts from that day on add back
    later = conf[["order_id", "confirmed_on"]].merge(receipts, on="order_id")
    later = later[later.received_date >= later.confirmed_on].groupby("order_id").qty.sum()
    conf["confirmed_qty"] = conf.confirmed_qty + conf.order_id.map(later).fillna(0.0)
    return conf


def frame_start(ds: Dataset) -> pd.Timestamp:
    """The Monday a dataset as the ERP gives it is planned from: its snapshot's date + 7 days (the
    weekly loop's snapshot is the Monday before the plan), else the Monday after its latest shipment.
    """
    as_of = snapshot_date(ds)
    if as_of is not None:
        return as_of.normalize() + pd.Timedelta(days=7)
    day = pd.Timestamp(ds.demand_history.date.max()).normalize() + pd.Timedelta(days=1)
    return day + pd.Timedelta(days=(7 - day.weekday()) % 7)


def simulate_weeks(ds: Dataset, weeks: int, params=None, seed: int = 0, progress=None) -> list[Dataset]:
    """The datasets of the ``weeks`` weeks after ``ds``: each week planned and carried out.

    Parameters
    ----------
    ds : Dataset
        A dataset as the ERP gives it (e.g. ``data/sample``).
    weeks : int
        Weeks to simulate.
    params : PlanParams, optional
        The planning parameters; ``plan_start`` the first week's Monday (default:
        :func:`frame_start` of ``ds``, and the other defaults of :class:`PlanParams`). Each next
        week plans with ``plan_start`` 7 days later.
    seed : int
        Seed of every week's draws (:func:`simulate_week`).
    progress : callable, optional
        Called with a line of text before each week.

    Returns
    -------
    list of Dataset
        The datasets of weeks M + 1, M + 2, ...: ``result[k]`` is :func:`simulate_week` of
        ``result[k - 1]`` (``ds`` for the first) and its :func:`planlib.pipeline.plan_week`.
    """
    from planlib.params import PlanParams
    from planlib.pipeline import plan_week

    start = pd.Timestamp(params.plan_start) if params is not None else frame_start(ds)
    params = params or PlanParams(plan_start=start.date())
    out, current = [], ds
    for k in range(int(weeks)):
        p = params.replace(plan_start=(start + pd.Timedelta(weeks=k)).date())
        if progress:
            progress(f"week {p.plan_start.isoformat()}: plan and carry out")
        plan = plan_week(current, p)
        current = simulate_week(current, plan, p, seed)
        out.append(current)
    return out


def week_summary(ds_next: Dataset) -> pd.DataFrame:
    """What happened in the week a simulated dataset records (the week from its ``inventory.as_of``).

    Parameters
    ----------
    ds_next : Dataset
        A dataset of :func:`simulate_week` (or any dataset with a snapshot and the week's records).

    Returns
    -------
    DataFrame
        One row: ``week`` (ISO), ``reports`` (production report rows), ``good``, ``scrap`` [uom],
        one ``scrap: <reason>`` column per reason of :data:`SCRAP_REASONS` [uom], ``downtime_min``
        [min], ``labour_hours`` [h], ``receipts`` (goods receipt rows), ``late_receipts`` (received
        after the order's due date), ``late_pos`` (purchase orders due in the week still open at its
        end), ``shipments`` (shipment rows), ``shipped`` [uom], ``late_lines`` (customer order lines
        due in the week or before still open at its end).
    """
    start = snapshot_date(ds_next)
    end = start + pd.Timedelta(days=7)

    def week(table, column):
        if not ds_next.has(table):
            return empty_table(table)
        f = ds_next[table]
        return f[(f[column] >= start) & (f[column] < end)]

    pr = week("production_reports", "report_date")
    gr = week("goods_receipts", "received_date")
    sh = week("demand_history", "date")
    sr = ds_next.scheduled_receipts
    po = sr[sr.order_type == "purchase"]
    due = gr.order_id.map(po.drop_duplicates("order_id").set_index("order_id").due_date)
    received = gr.groupby("order_id").qty.sum()
    open_po = po[(po.due_date < end) & (po.qty - po.order_id.map(received).fillna(0.0) > 1e-9)]
    row = {"week": f"{start.isocalendar()[0]}-W{start.isocalendar()[1]:02d}", "reports": len(pr),
           "good": float(pr.qty_good.sum()), "scrap": float(pr.qty_scrap.sum())}
    by_reason = pr.groupby("scrap_reason").qty_scrap.sum()
    row.update({f"scrap: {r}": float(by_reason.get(r, 0.0)) for r in SCRAP_REASONS})
    row.update(downtime_min=float(pr.downtime_min.sum()), labour_hours=round(float(pr.labour_hours.sum()), 2),
               receipts=len(gr), late_receipts=int((gr.received_date > due).sum()), late_pos=len(open_po),
               shipments=len(sh), shipped=float(sh.qty.sum()),
               late_lines=int((ds_next.demand.due_date < end).sum()) if ds_next.has("demand") else 0)
    return pd.DataFrame([row])
