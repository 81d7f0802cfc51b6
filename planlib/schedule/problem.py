"""From planning tables to a scheduling problem: orders, operations, machines, calendars.

A :class:`Problem` is the solver-neutral description every scheduler in this
package reads (the CP-SAT model, the dispatching heuristic, the benchmark
readers): one row per operation, one row per (operation, eligible machine),
one :class:`~planlib.schedule.timeline.Timeline` per machine, the changeover
times of each machine by item family. Times are whole minutes from the plan
start.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from planlib.buckets import monday
from planlib.calendar import machine_intervals
from planlib.dataset import Dataset
from planlib.problems import InputError, Problems
from planlib.schedule.timeline import Timeline
from planlib.validate import long_uninterruptible_operations  # noqa: F401  (planlib.schedule's name for it)

ORDER_COLUMNS = ["order_id", "item_id", "qty", "release_date", "due_date", "priority", "weight", "status",
                 "earliest_start"]


@dataclass(frozen=True)
class ScheduleSettings:
    """Settings of one scheduling run.

    Attributes
    ----------
    horizon_days : int
        Orders released before ``plan_start + horizon_days`` are scheduled.
    time_limit_s : float
        CP-SAT wall-clock limit [s]; ``0`` returns the dispatching heuristic's schedule.
    workers : int
        CP-SAT search workers.
    seed : int
        CP-SAT ``random_seed``.
    deterministic : bool
        Same inputs, same schedule: CP-SAT interleaves its workers in a fixed order
        and stops on a deterministic time budget of ``time_limit_s`` units instead of the
        wall clock (a wall-clock limit of ``20 * time_limit_s`` still applies as a safety net).
    objective : str or tuple of str
        ``"tardiness"`` (weighted tardiness, the default), ``"makespan"`` or ``"setup"``
        (total changeover minutes); a tuple orders them lexicographically
        (``("tardiness", "setup")``: least setup among the least-tardy schedules).
    objective_weights : tuple of (str, float), optional
        Instead of ``objective``: minimise a weighted sum, e.g.
        ``(("tardiness", 1.0), ("setup", 5.0))``.
    skip_unschedulable : bool
        Leave out orders that cannot be scheduled (listed in ``Problem.exceptions``) instead of
        raising :class:`~planlib.problems.InputError`.
    full_sequence_max, sequence_window : int
        A machine with changeovers and more than ``full_sequence_max`` candidate operations gets
        sequence arcs only between operations at most ``sequence_window`` places apart in the
        dispatching heuristic's order of its work center (large instances; the CP-SAT bound is then
        the bound of this restricted model, flagged ``restricted`` in the KPIs).
    large_ops, neighbourhood_days : int, float
        A problem with more than ``large_ops`` operations is searched only within
        ``neighbourhood_days`` of the heuristic's run start of every operation (a large
        neighbourhood around the hint; ``restricted`` in the KPIs, the bound is that of the
        restricted model). ``neighbourhood_days=0`` switches this off.
    rule : {"atcs", "edd"}
        Priority rule of the dispatching heuristic (the solution hint).
    calendar_days : int, optional
        How far machine calendars are laid out; default: long enough for the heuristic's schedule.
    move_penalty : int
        Rescheduling: cost of moving one operation, in weighted-tardiness minutes.
    move_tolerance_min : int
        Rescheduling: a start shifted by at most this much does not count as a move.
    decompose_ops, window_ops, window_time_s : int, int, float
        A problem with more than ``decompose_ops`` operations (and no crews, not a repair) is
        improved by CP-SAT one time window of about ``window_ops`` operations at a time, the rest
        fixed (:mod:`planlib.schedule.decompose`); ``time_limit_s`` buys ``time_limit_s /
        window_time_s`` windows of ``window_time_s`` seconds each (when ``deterministic``, a work
        budget of about as long, :data:`planlib.schedule.decompose.DTIME_PER_S`). The bound
        reported is a relaxation of the whole problem.
    respect_staffing : bool
        Operators as a limit: at a work center with ``staffing`` rows, operations with a crew
        (changeover, setup and run) never need more operators at once than the shifts put there, shift by
        shift (:func:`staffing_capacity`); without it only ``crews`` (constant) limit them.
    log : bool
        Print the CP-SAT search log.
    """

    horizon_days: int = 14
    time_limit_s: float = 30.0
    workers: int = 2
    seed: int = 0
    deterministic: bool = False
    objective: str | tuple = "tardiness"
    objective_weights: tuple | None = None
    rule: str = "atcs"
    calendar_days: int | None = None
    skip_unschedulable: bool = False
    full_sequence_max: int = 40
    sequence_window: int = 12
    large_ops: int = 400
    neighbourhood_days: float = 3.0
    move_penalty: int = 120
    move_tolerance_min: int = 30
    decompose_ops: int = 4000
    window_ops: int = 60
    window_time_s: float = 2.0
    respect_staffing: bool = False
    log: bool = False

    def objectives(self) -> list[tuple[str, float]]:
        """The objective as ``[(name, weight), ...]`` stages; one stage per lexicographic level."""
        if self.objective_weights:
            return [("+".join(n for n, _ in self.objective_weights), 0.0)]
        obj = (self.objective,) if isinstance(self.objective, str) else tuple(self.objective)
        for name in obj:
            if name not in ("tardiness", "makespan", "setup"):
                raise ValueError(f"objective must be tardiness, makespan or setup, not {name!r}")
        return [(name, 1.0) for name in obj]


@dataclass
class Problem:
    """A scheduling problem in minutes from ``plan_start``.

    Attributes
    ----------
    ops : DataFrame
        One row per operation (index ``0..n-1``, in order and op_seq order). Columns
        ``order_id, item_id, op_seq, work_center_id, family, qty, earliest`` [min],
        ``due`` [min, the order's], ``weight``, ``crew_size``, ``uninterruptible``,
        ``status`` (``planned|running|frozen``), ``pred`` (index of the previous operation
        of the order, -1 for the first).
    alts : DataFrame
        One row per operation and eligible machine: ``op, machine_id, setup_min, run_min``
        [min of the machine's working clock]. A fixed operation has one row.
    timelines : dict
        ``machine_id -> Timeline``.
    changeover : dict
        ``machine_id -> {(from_family, to_family): minutes}`` for machines with changeovers.
    orders : DataFrame
        ``order_id, item_id, qty, due`` [min], ``weight``, ``earliest`` [min], ``release`` [min],
        ``material`` [min], plus the input dates.
    frozen : DataFrame
        Operations fixed in place: ``op, machine_id, ws`` (working-clock minute the operation's
        setup starts; a running operation resumes at 0, the machine's first working minute),
        ``kind`` (``running|frozen``).
    previous : DataFrame
        Rescheduling: ``op, machine_id, start`` [min] of the schedule being repaired.
    crews : dict
        ``work_center_id -> operators available``; operations with ``crew_size > 0`` share them.
    not_before : int
        Rescheduling: no operation that is not frozen may start (setup included) before this minute.
    exceptions : DataFrame
        Orders left out because they cannot be scheduled (the problems table of
        :mod:`planlib.problems`), when ``skip_unschedulable`` is set.
    warnings : DataFrame
        Problems that did not keep an order out (severity ``warning``): an uninterruptible
        operation longer than every shift (scheduled to pause), a component no supply covers.
    material : DataFrame
        The supply of every consuming operation (see :func:`material_supply`) of the orders in
        the problem, with ``op`` (the consuming operation's index) and ``supply_op`` (the last
        operation of a make supply in this problem, -1 for a fixed date).
    links : DataFrame
        Precedences between orders: ``op`` may start its run only after ``supply_op`` has ended
        (a make order supplying a component of another order).
    left_out : list
        Orders not scheduled (a data error; see ``exceptions``).
    staffing : DataFrame, optional
        With ``respect_staffing``: operators over time at the work centers with staffing
        (:func:`staffing_capacity`): ``work_center_id, start, end`` [min from plan start],
        ``operators``. Its work centers are in ``crews`` with their most operators at once.
    staffing_rows : DataFrame, optional
        The ``staffing`` table the limit came from (for the checker).
    """

    ops: pd.DataFrame
    alts: pd.DataFrame
    timelines: dict
    changeover: dict = field(default_factory=dict)
    orders: pd.DataFrame | None = None
    plan_start: pd.Timestamp | None = None
    frozen: pd.DataFrame | None = None
    previous: pd.DataFrame | None = None
    crews: dict = field(default_factory=dict)
    calendar_intervals: pd.DataFrame | None = None
    exceptions: pd.DataFrame | None = None
    not_before: int = 0
    warnings: pd.DataFrame | None = None
    material: pd.DataFrame | None = None
    links: pd.DataFrame | None = None
    left_out: list = field(default_factory=list)
    staffing: pd.DataFrame | None = None
    staffing_rows: pd.DataFrame | None = None

    @property
    def horizon(self) -> int:
        """Latest end of any machine calendar [min from plan start]."""
        return max(t.end for t in self.timelines.values())

    def minutes(self, ts) -> int:
        """Minutes from ``plan_start`` to timestamp ``ts``, rounded."""
        return int(round((pd.Timestamp(ts) - self.plan_start).total_seconds() / 60))

    def timestamp(self, minutes):
        """Timestamps of ``minutes`` from ``plan_start`` (the inverse of :meth:`minutes`)."""
        return self.plan_start + pd.to_timedelta(np.asarray(minutes, dtype=float), unit="min")


# --------------------------------------------------------------------------- orders

def demand_priority(ds: Dataset) -> pd.Series:
    """Priority of every item from the customer orders it serves (1 most urgent).

    An item takes the most urgent ``demand.priority`` of itself and of every item
    above it in the BOM (where-used, all levels). Items no demand reaches get the
    contract default 3.
    """
    prio = ds.demand.groupby("item_id").priority.min().astype(float).to_dict()
    parents = ds.bom.groupby("component_id").parent_id.apply(list).to_dict()
    memo: dict = {}

    def best(item, seen=()):
        if item in memo:
            return memo[item]
        values = [prio.get(item, np.inf)]
        for p in parents.get(item, []):
            if p not in seen:
                values.append(best(p, seen + (item,)))
        memo[item] = min(values)
        return memo[item]

    out = {i: best(i) for i in ds.items.item_id}
    return pd.Series(out, dtype=float).replace(np.inf, 3.0).rename("priority")


def weight_of(priority) -> pd.Series:
    """Tardiness weight of a priority 1..9: ``10 - priority`` (1 -> 9, 9 -> 1)."""
    return (10 - pd.Series(priority, dtype=float).clip(1, 9)).astype(int)


def build_orders(ds: Dataset, plan_start, horizon_days: int = 14,
                 planned_orders: pd.DataFrame | None = None) -> pd.DataFrame:
    """Production orders to schedule: released and in-progress ones, and planned make orders.

    Parameters
    ----------
    ds : Dataset
        Uses ``scheduled_receipts`` (``order_type == "production"``), ``demand``, ``bom``, ``items``.
    plan_start : datetime-like
    horizon_days : int
        Orders released on or before ``plan_start + horizon_days`` are taken.
    planned_orders : DataFrame, optional
        MRP's planned orders (``order_id, item_id, order_type, qty, release_date, due_date``);
        the ``make`` ones are taken.

    Returns
    -------
    DataFrame
        Columns ``order_id, item_id, qty`` [uom], ``release_date, due_date`` (dates),
        ``priority`` (1 most urgent, from demand through the BOM), ``weight``, ``status``
        (``firm|released|in_progress|planned``), ``earliest_start`` (NaT: none).
    """
    plan_start = pd.Timestamp(plan_start)
    end = plan_start + pd.Timedelta(days=horizon_days)
    sr = ds.scheduled_receipts
    sr = sr[sr.order_type == "production"]
    frames = [sr[["order_id", "item_id", "qty", "release_date", "due_date", "status"]]]
    if planned_orders is not None and len(planned_orders):
        po = planned_orders[planned_orders.order_type == "make"]
        frames.append(po[["order_id", "item_id", "qty", "release_date", "due_date"]].assign(status="planned"))
    frames = [f for f in frames if len(f)]
    if not frames:
        return pd.DataFrame(columns=ORDER_COLUMNS)
    orders = pd.concat(frames, ignore_index=True)
    orders["release_date"] = pd.to_datetime(orders.release_date).fillna(plan_start)
    orders["due_date"] = pd.to_datetime(orders.due_date)
    orders = orders[(orders.release_date <= end) | (orders.status == "in_progress")]
    prio = demand_priority(ds)
    orders["priority"] = orders.item_id.map(prio).fillna(3).astype(int)
    orders["weight"] = weight_of(orders.priority).to_numpy()
    orders["earliest_start"] = pd.NaT
    return orders[ORDER_COLUMNS].sort_values(["due_date", "order_id"]).reset_index(drop=True)


MATERIAL_COLUMNS = ["order_id", "item_id", "op_seq", "component_id", "supply_type", "supply_id", "qty",
                    "supply_date", "available_at"]
"""Columns of the material table (see :func:`material_supply`)."""

SUPPLY_TYPES = ("on_hand", "purchase_order", "planned_purchase", "production_order", "planned_make", "none")
MAKE_SUPPLY = ("production_order", "planned_make")


def consuming_operations(routings: pd.DataFrame) -> dict:
    """``item_id -> op_seq`` of the operation that consumes the item's components.

    The first operation of the routing, unless ``routings`` has a boolean column
    ``consumes_material``: then the first operation flagged true (an item none is flagged
    for keeps its first operation).

    Parameters
    ----------
    routings : DataFrame
        The ``routings`` table: ``item_id, op_seq``, optional ``consumes_material`` (bool);
        other columns are ignored.

    Returns
    -------
    dict
        ``item_id -> op_seq`` (int) of every item with a routing.
    """
    r = routings.sort_values(["item_id", "op_seq"])
    first = r.groupby("item_id", sort=False).op_seq.first()
    if "consumes_material" in r:
        flag = r.consumes_material.astype("boolean").fillna(False).astype(bool)
        flagged = r[flag].groupby("item_id", sort=False).op_seq.first()
        first.update(flagged)
    return {k: int(v) for k, v in first.items()}


def _supplies(ds: Dataset, planned_orders: pd.DataFrame | None) -> dict:
    """``order_id -> (item_id, supply_type, due_date)`` of every open and planned supply."""
    out = {}
    sr = ds.scheduled_receipts
    kind = np.where(sr.order_type == "production", "production_order", "purchase_order")
    for oid, item, k, due in zip(sr.order_id, sr.item_id, kind, pd.to_datetime(sr.due_date)):
        out[oid] = (item, k, due)
    if planned_orders is not None and len(planned_orders):
        kind = np.where(planned_orders.order_type == "make", "planned_make", "planned_purchase")
        for oid, item, k, due in zip(planned_orders.order_id, planned_orders.item_id, kind,
                                     pd.to_datetime(planned_orders.due_date)):
            out[oid] = (item, k, due)
    return out


def material_supply(ds: Dataset, orders: pd.DataFrame, plan_start, planned_orders: pd.DataFrame | None = None,
                    pegging: pd.DataFrame | None = None) -> pd.DataFrame:
    """Which supply serves each component of each order, and from when it is available.

    Only orders not yet released need material: a released or in-progress order had its
    components issued at release (it gets no rows). The components are consumed by one
    operation of the order (:func:`consuming_operations`), which may start its run only when
    the last supply of every component has arrived (partial availability does not start it).

    With ``pegging`` (MRP's table), the supplies of an order are its dependent-demand rows
    (``demand_type == "dependent"``, ``demand_id`` the order). Without it, or for an order
    MRP did not peg (a firm production order), each component of the order's BOM is netted on
    its own: stock on hand less allocations first, then open and planned supplies of the
    component (purchase orders, planned purchase orders, production orders, planned make
    orders) in due-date order, up to the quantity needed; orders competing for the same stock
    are not netted against each other (that is what the pegging adds).

    Parameters
    ----------
    ds : Dataset
        Uses ``items, bom, inventory, scheduled_receipts, routings``.
    orders : DataFrame
        ``order_id, item_id, qty, status`` (see :func:`build_orders`).
    plan_start : datetime-like
    planned_orders : DataFrame, optional
        MRP's ``order_id, item_id, order_type (make|buy), due_date``.
    pegging : DataFrame, optional
        MRP's ``item_id, supply_type (on_hand|scheduled_receipt|planned_order|none), supply_id,
        supply_date, demand_type, demand_id, qty``.

    Returns
    -------
    DataFrame
        One row per (order, component, supply): ``order_id, item_id`` (the order's),
        ``op_seq`` (the consuming operation), ``component_id``, ``supply_type``
        (``on_hand | purchase_order | planned_purchase | production_order | planned_make |
        none``), ``supply_id`` (empty for on hand and none), ``qty`` [component uom],
        ``supply_date`` (the supply's due date; plan start for on hand; for ``none``, plan
        start plus the component's lead time), ``available_at`` (timestamp: ``supply_date``
        here; a make supply in the schedule becomes available at its scheduled completion,
        see :class:`planlib.schedule.ScheduleResult`).
    """
    plan_start = pd.Timestamp(plan_start)
    status = orders.status if "status" in orders else pd.Series("planned", index=orders.index)
    need = orders[~status.isin(["released", "in_progress"]).to_numpy()]
    consume = consuming_operations(ds.routings) if ds.has("routings") else {}
    supplies = _supplies(ds, planned_orders)
    lead = ds.items.set_index("item_id").lead_time_days.fillna(0).to_dict()
    rows = []

    def add(oid, item, comp, kind, sid, qty, date):
        rows.append((oid, item, consume.get(item, 0), comp, kind, sid, float(qty), date, date))

    pegged = set()
    if pegging is not None and len(pegging):
        dep = pegging[(pegging.demand_type.astype(str) == "dependent") & pegging.demand_id.isin(set(need.order_id))]
        item_of = dict(zip(need.order_id, need.item_id))
        for oid, comp, st, sid, sdate, qty in zip(dep.demand_id, dep.item_id, dep.supply_type.astype(str),
                                                  dep.supply_id, pd.to_datetime(dep.supply_date), dep.qty):
            item = item_of[oid]
            pegged.add(oid)
            if st == "on_hand":
                add(oid, item, comp, "on_hand", "", qty, plan_start)
            elif st == "none" or sid not in supplies:
                add(oid, item, comp, "none", "", qty,
                    plan_start + pd.Timedelta(days=float(lead.get(comp, 0))))
            else:
                _, kind, due = supplies[sid]
                add(oid, item, comp, kind, sid, qty, due if pd.notna(due) else sdate)
    rest = need[~need.order_id.isin(pegged)]
    if len(rest) and ds.has("bom") and len(ds.bom):
        inv = ds.inventory.set_index("item_id") if ds.has("inventory") else pd.DataFrame()
        stock = (inv.on_hand - inv.allocated.fillna(0)).to_dict() if len(inv) else {}
        by_item: dict = {}
        for sid, (item, kind, due) in supplies.items():
            by_item.setdefault(item, []).append((due, sid, kind))
        qty_of = {}
        sr = ds.scheduled_receipts
        qty_of.update(zip(sr.order_id, sr.qty.astype(float)))
        if planned_orders is not None and len(planned_orders):
            qty_of.update(zip(planned_orders.order_id, planned_orders.qty.astype(float)))
        for item in by_item:
            by_item[item].sort(key=lambda x: (x[0], x[1]))
        bom = ds.bom[ds.bom.parent_id.isin(set(rest.item_id))]
        lines_of = {p: g for p, g in bom.groupby("parent_id", sort=False)}
        empty = bom.iloc[:0]
        for oid, item, qty, rel in zip(rest.order_id, rest.item_id, rest.qty,
                                       pd.to_datetime(rest.release_date).fillna(plan_start)):
            lines = lines_of.get(item, empty)
            if "valid_from" in lines:
                vf, vt = pd.to_datetime(lines.valid_from), pd.to_datetime(lines.valid_to)
                lines = lines[(vf.isna() | (vf <= rel)) & (vt.isna() | (vt > rel))]
            for comp, per in zip(lines.component_id, lines.qty_per):
                left = float(qty) * float(per)
                have = max(0.0, float(stock.get(comp, 0.0)))
                if have > 1e-9:
                    add(oid, item, comp, "on_hand", "", min(have, left), plan_start)
                    left -= have
                for due, sid, kind in by_item.get(comp, []):
                    if left <= 1e-9:
                        break
                    add(oid, item, comp, kind, sid, min(qty_of.get(sid, 0.0), left), due)
                    left -= qty_of.get(sid, 0.0)
                if left > 1e-9:
                    add(oid, item, comp, "none", "", left,
                        plan_start + pd.Timedelta(days=float(lead.get(comp, 0))))
    out = pd.DataFrame(rows, columns=MATERIAL_COLUMNS)
    out["op_seq"] = out.op_seq.astype(int)
    for c in ("supply_date", "available_at"):
        out[c] = pd.to_datetime(out[c])
    return out


def material_availability(ds: Dataset, orders: pd.DataFrame, plan_start=None,
                          planned_orders: pd.DataFrame | None = None,
                          pegging: pd.DataFrame | None = None) -> pd.DataFrame:
    """Earliest start of each order from its fixed-date supply, one row per order.

    A summary of :func:`material_supply` (whose table :func:`build_problem` prefers: it also
    links an order to the make orders supplying it): the latest ``supply_date`` of the
    order's supplies, make orders included at their due date.

    Parameters
    ----------
    ds : Dataset
        Uses ``items, bom, inventory, scheduled_receipts, routings``.
    orders : DataFrame
        ``order_id, item_id, qty`` [item's uom], ``status``, ``release_date`` (see
        :func:`build_orders`).
    plan_start : datetime-like, optional
        Default: midnight of the earliest ``release_date`` (or today).
    planned_orders : DataFrame, optional
        MRP's ``order_id, item_id, order_type (make|buy), due_date``.
    pegging : DataFrame, optional
        MRP's pegging (see :func:`material_supply`).

    Returns
    -------
    DataFrame
        Columns ``order_id, material_ready`` (timestamp; NaT when stock covers it),
        ``short_item_id`` (the component that sets the date; empty if none), ``problem``
        (text when no supply covers a component: it is then assumed after its lead time;
        empty otherwise).
    """
    if plan_start is None:
        rel = pd.to_datetime(orders.release_date) if "release_date" in orders else pd.Series(dtype="datetime64[ns]")
        plan_start = rel.min().normalize() if rel.notna().any() else pd.Timestamp.today().normalize()
    m = material_supply(ds, orders, plan_start, planned_orders, pegging)
    rows = []
    for oid in orders.order_id:
        g = m[m.order_id == oid]
        g = g[g.supply_type != "on_hand"]
        if g.empty:
            rows.append((oid, pd.NaT, "", ""))
            continue
        last = g.loc[g.supply_date.idxmax()]
        short = g[g.supply_type == "none"]
        problem = "; ".join(f"component {c}: {q:g} short and no open purchase order or planned order covers it"
                            for c, q in zip(short.component_id, short.qty))
        rows.append((oid, last.supply_date, last.component_id, problem))
    return pd.DataFrame(rows, columns=["order_id", "material_ready", "short_item_id", "problem"])


# --------------------------------------------------------------------------- problem

class _Row(dict):
    """A record with attribute access."""

    __getattr__ = dict.__getitem__


def _timeline_from_intervals(iv: pd.DataFrame, plan_start: pd.Timestamp) -> dict:
    out = {}
    for mid, g in iv.groupby("machine_id", sort=False):
        s = np.ceil((g.start - plan_start).dt.total_seconds().to_numpy() / 60)
        e = np.floor((g.end - plan_start).dt.total_seconds().to_numpy() / 60)
        out[mid] = Timeline.from_pairs(zip(s.astype(np.int64), e.astype(np.int64)))
    return out


def staffing_capacity(staffing: pd.DataFrame, intervals: pd.DataFrame, plan_start, end) -> pd.DataFrame:
    """Operators over time at each work center with staffing, where its machines work.

    Inside the working time of a work center (the union of its machines' working intervals)
    the operators are those of the ``staffing`` shifts covering the moment (summed where
    shifts overlap; 0 where no shift does: nobody is rostered). Outside it no machine of the
    work center runs and no limit is listed.

    Parameters
    ----------
    staffing : DataFrame
        The ``staffing`` table: ``work_center_id, weekday`` (0 = Monday), ``start_time,
        end_time`` [h of the day; an end not after the start is on the next day], ``operators``.
    intervals : DataFrame
        Machine working intervals ``machine_id, work_center_id, start, end`` (timestamps), as
        from :func:`planlib.calendar.machine_intervals`.
    plan_start, end : datetime-like
        Time zero and the end of the window.

    Returns
    -------
    DataFrame
        ``work_center_id, start, end`` [min from plan start], ``operators`` [headcount]: sorted,
        disjoint windows of working time, consecutive windows of one work center differ in
        operators.
    """
    from planlib.calendar import shift_hours

    cols = ["work_center_id", "start", "end", "operators"]
    t0, end = pd.Timestamp(plan_start), pd.Timestamp(end)
    if staffing is None or not len(staffing):
        return pd.DataFrame(columns=cols)
    horizon = (end - t0).total_seconds() / 60
    days = pd.date_range(t0.normalize() - pd.Timedelta(days=1), end.normalize(), freq="D")
    frame = pd.DataFrame({"day": days, "weekday": days.weekday})
    st = staffing.assign(weekday=staffing.weekday.astype(int))
    shifts = frame.merge(st, on="weekday")
    s = ((shifts.day - t0).dt.total_seconds() / 60 + shifts.start_time.astype(float) * 60).to_numpy()
    e = s + shift_hours(shifts.start_time, shifts.end_time) * 60
    shifts = shifts.assign(s=np.round(s), e=np.round(e))
    out = []
    for w, g in shifts.groupby("work_center_id", sort=True):
        mine = intervals[intervals.work_center_id == w]
        ws = ((pd.to_datetime(mine.start) - t0).dt.total_seconds() / 60).round().to_numpy()
        we = ((pd.to_datetime(mine.end) - t0).dt.total_seconds() / 60).round().to_numpy()
        points = np.unique(np.clip(np.concatenate([g.s, g.e, ws, we, [0, horizon]]), 0, horizon))
        prev = None
        for p, q in zip(points[:-1], points[1:]):
            if not ((ws <= p) & (p < we)).any():
                prev = None
                continue
            ops = float(g.operators[(g.s <= p).to_numpy() & (p < g.e).to_numpy()].sum())
            if prev is not None and prev[2] == p and prev[3] == ops:
                prev[2] = q
                continue
            prev = [w, int(p), int(q), ops]
            out.append(prev)
    frame = pd.DataFrame(out, columns=["work_center_id", "start", "end", "operators"])
    return frame.astype({"start": np.int64, "end": np.int64, "operators": float})[cols]


def build_problem(ds: Dataset, orders: pd.DataFrame, plan_start, settings: ScheduleSettings | None = None,
                  *, material: pd.DataFrame | None = None, crews: dict | None = None,
                  calendar_days: int | None = None) -> Problem:
    """Expand orders into routing operations on machines with calendars and changeovers.

    Parameters
    ----------
    ds : Dataset
        Uses ``items, routings, machines, work_centers, calendars, calendar_exceptions,
        setup_matrix, operations_progress``.
    orders : DataFrame
        See :func:`build_orders`; ``weight`` defaults to ``10 - priority``.
    plan_start : datetime-like
        Time zero of the schedule.
    material : DataFrame, optional
        The material table of :func:`material_supply` (``order_id, op_seq, component_id,
        supply_type, supply_id, available_at``): the consuming operation may not start its run
        before a fixed-date supply is available, nor before a make supply that is itself in
        ``orders`` has finished (a link between the orders, see ``Problem.links``). Or the older
        ``order_id, material_ready`` (timestamp): the order's first operation may not start
        before it (see :func:`material_availability`).
    crews : dict, optional
        Operators per work center; operations with ``routings.crew_size > 0`` share them.
    calendar_days : int, optional
        Machine calendars are laid out this many days from ``plan_start``.

    Raises
    ------
    InputError
        Naming the orders: an item without routing, an operation whose work center has no
        machine, an uninterruptible operation longer than every shift of its machines, a
        release after the calendar.
    """
    settings = settings or ScheduleSettings()
    plan_start = pd.Timestamp(plan_start)
    days = calendar_days or settings.calendar_days or max(4 * settings.horizon_days, 56)
    end = plan_start + pd.Timedelta(days=days)
    iv = machine_intervals(ds, plan_start, end)
    timelines = _timeline_from_intervals(iv, plan_start)
    for mid in ds.machines.machine_id:
        timelines.setdefault(mid, Timeline(np.zeros(0, np.int64), np.zeros(0, np.int64)))

    def minutes(ts):
        return (pd.to_datetime(ts) - plan_start).dt.total_seconds().div(60).round()

    problems = Problems()
    bad_orders: set = set()
    orders = orders.copy()
    for col, default in (("weight", None), ("status", "planned"), ("earliest_start", pd.NaT),
                         ("priority", 3)):
        if col not in orders:
            orders[col] = default
    weight = pd.to_numeric(orders.weight, errors="coerce")
    default = weight_of(pd.to_numeric(orders.priority, errors="coerce").fillna(3))
    orders["weight"] = weight.fillna(pd.Series(default.to_numpy(), index=orders.index)).astype(int)
    orders["release"] = minutes(orders.release_date).fillna(0).clip(lower=0).astype(np.int64)
    orders["material"] = 0
    supply = None  # the material table (material_supply): fixed dates and links to make orders
    warnings = Problems()
    if material is not None and len(material) and "component_id" in material:
        supply = material[material.order_id.isin(set(orders.order_id))]
    elif material is not None and len(material):
        if "problem" in material:  # nothing is left out for a shortage: it is said, and the date holds
            for oid, text in zip(material.order_id, material.problem.fillna("")):
                if text and oid in set(orders.order_id):
                    warnings.warn("scheduled_receipts", str(oid), "item_id", "", f"order {oid}: {text}",
                                  "order the component (MRP) or give the order a later release")
        ready = orders.order_id.map(material.set_index("order_id").material_ready)
        ready = ready.where(ready.isna() | (ready < end), end)
        orders["material"] = minutes(ready).fillna(0).clip(lower=0).astype(np.int64)
    est = minutes(orders.earliest_start).fillna(0).clip(lower=0).astype(np.int64)
    orders["earliest"] = np.maximum(np.maximum(orders.release, orders.material), est)
    # due at the end of the due date
    orders["due"] = minutes(orders.due_date + pd.Timedelta(days=1)).astype(np.int64)

    horizon_end = plan_start + pd.Timedelta(days=settings.horizon_days)
    late_release = orders[(orders.release_date > min(end, horizon_end)) & (orders.status != "in_progress")]
    for oid, d in zip(late_release.order_id, late_release.release_date):
        bad_orders.add(oid)
        problems.add("orders", str(oid), "release_date", d.date(),
                     f"order {oid} is released after the scheduling horizon ({min(end, horizon_end).date()})",
                     "leave it for a later run or give a longer horizon (--horizon-days)")

    family = ds.items.set_index("item_id").family.fillna("").to_dict()
    routings = ds.routings.sort_values(["item_id", "op_seq"])
    by_item: dict = {}
    for r in routings.to_dict("records"):  # one conversion, not one per item (slow at 10,000 items)
        by_item.setdefault(r["item_id"], []).append(r)
    machines = ds.machines
    mach_of_wc = {w: list(g.machine_id) for w, g in machines.groupby("work_center_id")}
    speed = machines.set_index("machine_id").speed_factor.fillna(1.0).to_dict()
    progress = ds.operations_progress
    prog = {(o, int(s)): r for o, s, r in zip(progress.order_id, progress.op_seq,
                                              progress.to_dict("records"))}
    on_machine = _running_now(progress, dict(zip(orders.order_id, orders.qty)))

    op_rows, alt_rows, frozen_rows = [], [], []
    for o in orders.itertuples(index=False):
        route = by_item.get(o.item_id)
        if not route:
            bad_orders.add(o.order_id)
            problems.add("routings", str(o.order_id), "item_id", o.item_id,
                         f"order {o.order_id}: item {o.item_id} has no routing",
                         "add its operations to routings.csv or leave the order out")
            continue
        pred = -1
        for r in route:
            r = _Row(r)
            p = prog.get((o.order_id, int(r.op_seq)))
            if p is not None and (p["status"] == "done" or (
                    p["status"] == "running" and float(p.get("qty_done") or 0.0) >= float(o.qty))):
                continue  # done, or running with every unit reported: nothing left to schedule
            wc_machines = mach_of_wc.get(r.work_center_id, [])
            status, qty, setup = "planned", float(o.qty), float(r.setup_min)
            fixed = None
            if p is not None and p["status"] == "running":
                qty = max(0.0, float(o.qty) - float(p.get("qty_done") or 0.0))
                fixed = p.get("machine_id")
                if not isinstance(fixed, str) or not fixed:
                    fixed = None
                if pred >= 0 or (fixed and on_machine.get(fixed) != (o.order_id, int(r.op_seq))):
                    # paused: its previous operation is not done either (it has run the units passed on so
                    # far and waits for the rest), or another operation runs on its machine now; it goes on
                    # on its machine, set up again, when it can
                    status = "planned"
                else:
                    status, setup = "running", 0.0
            cand = [fixed] if fixed else wc_machines
            if not cand:
                bad_orders.add(o.order_id)
                problems.add("routings", f"{o.item_id} op {r.op_seq}", "work_center_id", r.work_center_id,
                             f"order {o.order_id} op {r.op_seq}: work center {r.work_center_id} has no machine",
                             "add a machine to the work center in machines.csv or route the item elsewhere")
                continue
            idx = len(op_rows)
            op_rows.append(dict(order_id=o.order_id, item_id=o.item_id, op_seq=int(r.op_seq),
                                work_center_id=r.work_center_id, family=family.get(o.item_id, ""),
                                qty=qty, earliest=int(o.earliest) if pred < 0 else 0, due=int(o.due),
                                weight=int(o.weight), crew_size=float(r.crew_size or 0.0),
                                uninterruptible=bool(r.uninterruptible), status=status, pred=pred))
            for m in cand:
                run = int(math.ceil(qty * float(r.run_min_per_unit) / speed.get(m, 1.0) - 1e-9))
                # at least a minute, unless the routing says none (an inspection or paperwork step)
                run = max(1, run) if qty * float(r.run_min_per_unit) > 0 else 0
                alt_rows.append(dict(op=idx, machine_id=m, setup_min=int(math.ceil(setup)), run_min=run))
            if status == "running":
                frozen_rows.append(dict(op=idx, machine_id=fixed or cand[0], ws=0, kind="running"))
            pred = idx

    ops = pd.DataFrame(op_rows, columns=["order_id", "item_id", "op_seq", "work_center_id", "family", "qty",
                                         "earliest", "due", "weight", "crew_size", "uninterruptible",
                                         "status", "pred"])
    alts = pd.DataFrame(alt_rows, columns=["op", "machine_id", "setup_min", "run_min"])
    # an uninterruptible operation must fit in one shift of some eligible machine; one that does not
    # (a lot too large for a shift) is scheduled to pause at shift ends, and said
    if len(ops):
        longest = {m: int(t.length.max()) if len(t.a) else 0 for m, t in timelines.items()}
        un = alts[alts.op.map(ops.uninterruptible)]
        fits = un.run_min <= un.machine_id.map(longest)
        bad = set(un.op) - set(un.op[fits])
        for i in sorted(bad):
            op = ops.loc[i]
            best = max(longest.get(m, 0) for m in alts.machine_id[alts.op == i])
            run = int(alts[alts.op == i].run_min.min())
            max_lot = int(op.qty * best / run) if run else 0
            warnings.warn("routings", f"{op.item_id} op {op.op_seq}", "uninterruptible", True,
                          f"order {op.order_id} op {op.op_seq}: uninterruptible run of {run} min is longer than "
                          f"every shift of work center {op.work_center_id} ({best} min); scheduled to pause at "
                          "shift ends",
                          f"split the order into lots of at most {max_lot} units or add a longer shift")
        if bad:
            ops.loc[sorted(bad), "uninterruptible"] = False
    crews = dict(crews or {})
    profile = rows_used = None
    if settings.respect_staffing and len(ds.staffing):
        rows_used = ds.staffing
        profile = staffing_capacity(rows_used, iv, plan_start, end)
        most = profile.groupby("work_center_id").operators.max()
        for w in set(rows_used.work_center_id):
            crews[w] = float(most.get(w, 0.0))
        _crew_beyond_staffing(ops, crews, set(rows_used.work_center_id), problems, bad_orders)
    links = pd.DataFrame(columns=["op", "supply_op"], dtype=np.int64)
    mat = None
    if supply is not None and not problems.errors:
        ops, mat, links = _material_links(ops, orders, supply, plan_start, warnings)
    if problems.errors and settings.skip_unschedulable:
        keep = orders[~orders.order_id.isin(bad_orders)][[c for c in orders.columns if c in ORDER_COLUMNS]]
        problem = build_problem(ds, keep, plan_start, replace(settings, skip_unschedulable=False),
                                material=material, crews=crews, calendar_days=calendar_days)
        problem.exceptions = problems.frame()
        problem.left_out = sorted(bad_orders, key=str)
        return problem
    if problems.errors:
        raise InputError(f"cannot schedule: {problems.errors} problem(s) with the orders", problems.frame())

    changeover = {}
    sm = ds.setup_matrix
    for w, g in sm.groupby("work_center_id"):
        table = {(a, b): int(math.ceil(s)) for a, b, s in zip(g.from_family, g.to_family, g.setup_min)}
        for m in mach_of_wc.get(w, []):
            changeover[m] = table
    frozen = pd.DataFrame(frozen_rows, columns=["op", "machine_id", "ws", "kind"])
    return Problem(ops=ops, alts=alts, timelines=timelines, changeover=changeover,
                   orders=orders.reset_index(drop=True), plan_start=plan_start, frozen=frozen,
                   crews=crews, calendar_intervals=iv, warnings=warnings.frame(), material=mat,
                   links=links, staffing=profile, staffing_rows=rows_used)


def _running_now(progress: pd.DataFrame, order_qty: dict) -> dict:
    """``machine_id -> (order_id, op_seq)``: of the operations reported running on a machine with units
    left (``order_qty``: order id -> quantity), the one running now (the latest ``actual_start``; a tie
    or none: the last row); the others are paused."""
    run = progress[(progress.status == "running") & progress.machine_id.notna()]
    left = run.order_id.map(order_qty).astype(float) - pd.to_numeric(run.qty_done, errors="coerce").fillna(0.0)
    run = run[(left > 0).to_numpy()]  # every unit reported: done, not running
    if not len(run):
        return {}
    start = pd.to_datetime(run.actual_start, errors="coerce") if "actual_start" in run else pd.Series(pd.NaT, index=run.index)
    run = run.assign(_t=start.fillna(pd.Timestamp.min), _k=np.arange(len(run)))
    last = run.sort_values(["machine_id", "_t", "_k"]).groupby("machine_id").tail(1)
    return {m: (o, int(q)) for m, o, q in zip(last.machine_id, last.order_id, last.op_seq)}


def _crew_beyond_staffing(ops: pd.DataFrame, crews: dict, staffed: set, problems: Problems, bad: set) -> None:
    """An operation whose crew is larger than its work center ever has on a shift cannot run: said,
    and its order kept out."""
    over = ops[ops.work_center_id.isin(staffed) & (ops.crew_size > ops.work_center_id.map(crews).fillna(np.inf))]
    for r in over.itertuples():
        bad.add(r.order_id)
        problems.add("staffing", str(r.work_center_id), "operators", f"{crews[r.work_center_id]:g}",
                     f"order {r.order_id} op {r.op_seq} needs {r.crew_size:g} operators; no shift of work center "
                     f"{r.work_center_id} has more than {crews[r.work_center_id]:g}",
                     "put more operators on a shift in staffing.csv or lower routings.crew_size")


def _material_links(ops: pd.DataFrame, orders: pd.DataFrame, supply: pd.DataFrame, plan_start,
                    warnings: Problems):
    """Fixed material dates on the consuming operations, and links to the make orders supplying them.

    Returns ``(ops, material, links)``: ``ops`` with ``earliest`` raised to the fixed-date
    supplies (``orders.material`` set too), the supply rows of operations still to run with
    ``op`` and ``supply_op``, and the ``op, supply_op`` precedences.
    """
    ops = ops.copy()
    op_of = {(o, int(q)): i for i, (o, q) in enumerate(zip(ops.order_id, ops.op_seq))}
    last_op = ops.groupby("order_id", sort=False).tail(1)
    last_of = dict(zip(last_op.order_id, last_op.index))
    in_problem = set(orders.order_id)
    sup = supply.copy()
    # an operation already running or done has its material: only operations still to run wait
    sup["op"] = [op_of.get((o, int(q)), -1) for o, q in zip(sup.order_id, sup.op_seq)]
    sup = sup[(sup.op >= 0).to_numpy()]
    sup = sup[(ops.status.to_numpy()[sup.op.to_numpy()] == "planned")] if len(sup) else sup
    make = sup.supply_type.isin(MAKE_SUPPLY) & sup.supply_id.isin(in_problem)
    sup["supply_op"] = [int(last_of.get(s, -2)) if m else -1 for s, m in zip(sup.supply_id, make)]
    # a make supply of this problem with no operation left has finished: available now
    done = sup.supply_op == -2
    sup.loc[done, "available_at"] = pd.Timestamp(plan_start)
    sup.loc[done, "supply_op"] = -1
    # no cycle between orders (a BOM loop would make one): drop the closing link, and say so
    order_of = ops.order_id.to_numpy()
    edges: dict = {}
    for o, so in zip(sup.order_id, sup.supply_op):
        if so >= 0:
            edges.setdefault(order_of[so], set()).add(o)
    cyclic = _cycle_edges(edges)
    if cyclic:
        drop = np.array([so >= 0 and (order_of[so], o) in cyclic for o, so in zip(sup.order_id, sup.supply_op)])
        for o, s in sorted(cyclic):
            warnings.warn("bom", str(s), "component_id", "", f"orders {o} and {s} supply each other",
                          "fix the BOM loop (planlib validate)")
        sup.loc[drop, "supply_op"] = -1
    fixed = sup[sup.supply_op < 0]
    t = ((pd.to_datetime(fixed.available_at) - pd.Timestamp(plan_start)).dt.total_seconds() / 60)
    t = np.ceil(t.fillna(0).to_numpy()).clip(min=0).astype(np.int64)
    need = pd.Series(t, index=fixed.op.to_numpy()).groupby(level=0).max()
    if len(need):
        idx = need.index.to_numpy()
        ops.loc[idx, "earliest"] = np.maximum(ops.earliest.to_numpy()[idx], need.to_numpy())
        by_order = pd.Series(need.to_numpy(), index=order_of[idx]).groupby(level=0).max()
        orders["material"] = orders.order_id.map(by_order).fillna(0).astype(np.int64).to_numpy()
    linked = sup[sup.supply_op >= 0]
    links = linked[["op", "supply_op"]].drop_duplicates().astype(np.int64).reset_index(drop=True)
    return ops, sup.reset_index(drop=True), links


def _cycle_edges(edges: dict) -> set:
    """Edges ``(a, b)`` that close a cycle in the graph ``a -> {b, ...}`` (iterative DFS)."""
    state, out = {}, set()
    for root in list(edges):
        if root in state:
            continue
        stack = [(root, iter(sorted(edges.get(root, ()), key=str)))]
        state[root] = 1
        while stack:
            node, it = stack[-1]
            nxt = next(it, None)
            if nxt is None:
                state[node] = 2
                stack.pop()
            elif state.get(nxt) == 1:
                out.add((node, nxt))
            elif nxt not in state:
                state[nxt] = 1
                stack.append((nxt, iter(sorted(edges.get(nxt, ()), key=str))))
    return out


def trim(problem: Problem, end: int) -> Problem:
    """The problem with machine calendars cut at minute ``end`` [min from plan start] (fewer segments,
    a smaller model); the rest of the problem is shared, not copied."""
    tls = {}
    for m, tl in problem.timelines.items():
        keep = tl.a < end
        tls[m] = Timeline(tl.a[keep], np.minimum(tl.b[keep], end))
    return Problem(**{**problem.__dict__, "timelines": tls})
