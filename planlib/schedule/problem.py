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

from planlib.calendar import machine_intervals
from planlib.data import Dataset
from planlib.problems import InputError, Problems
from planlib.schedule.timeline import Timeline

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

    @property
    def horizon(self) -> int:
        return max(t.end for t in self.timelines.values())

    def minutes(self, ts) -> int:
        return int(round((pd.Timestamp(ts) - self.plan_start).total_seconds() / 60))

    def timestamp(self, minutes):
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


def material_availability(ds: Dataset, orders: pd.DataFrame) -> pd.DataFrame:
    """Earliest start of each order not yet released, from its purchased components.

    Released and in-progress orders have their material (it is issued at release).
    For the others, each ``buy`` component of the item (one BOM level) is covered
    first by stock on hand less allocations, then by open purchase orders in
    due-date order; the order can start once every component is covered. Orders
    competing for the same stock are not netted against each other (that is MRP's
    pegging).

    Returns
    -------
    DataFrame
        Columns ``order_id, material_ready`` (timestamp; NaT when stock covers it),
        ``short_item_id`` (the component that sets the date; empty if none), ``problem``
        (text when no open supply covers a component; empty otherwise).
    """
    buy = set(ds.items.item_id[ds.items.item_type == "buy"])
    inv = ds.inventory.set_index("item_id")
    stock = (inv.on_hand - inv.allocated.fillna(0)).to_dict()
    po = ds.scheduled_receipts[ds.scheduled_receipts.order_type == "purchase"].sort_values("due_date")
    po_by_item = {i: g for i, g in po.groupby("item_id")}
    bom = {p: g for p, g in ds.bom.groupby("parent_id")}
    status = orders.status if "status" in orders else pd.Series("planned", index=orders.index)
    rows = []
    for oid, item, qty, st in zip(orders.order_id, orders.item_id, orders.qty, status):
        ready, short, problem = pd.NaT, "", ""
        if st in ("released", "in_progress") or item not in bom:
            rows.append((oid, ready, short, problem))
            continue
        g_bom = bom[item]
        for comp, per in zip(g_bom.component_id, g_bom.qty_per):
            if comp not in buy:
                continue
            need = qty * per - stock.get(comp, 0.0)
            if need <= 1e-9:
                continue
            g = po_by_item.get(comp)
            ok = g[g.qty.cumsum() >= need - 1e-9] if g is not None else None
            if ok is None or ok.empty:
                problem = (f"component {comp}: {need:g} short and no open purchase order covers it")
                short = comp
                break
            when = ok.due_date.iloc[0]
            if pd.isna(ready) or when > ready:
                ready, short = when, comp
        rows.append((oid, ready if not problem else pd.NaT, short, problem))
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
    if material is not None and len(material):
        if "problem" in material:
            for oid, text in zip(material.order_id, material.problem.fillna("")):
                if text and oid in set(orders.order_id):
                    bad_orders.add(oid)
                    problems.add("scheduled_receipts", str(oid), "item_id", "", f"order {oid}: {text}",
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
            if p is not None and p["status"] == "done":
                continue
            wc_machines = mach_of_wc.get(r.work_center_id, [])
            status, qty, setup = "planned", float(o.qty), float(r.setup_min)
            fixed = None
            if p is not None and p["status"] == "running":
                status = "running"
                qty = max(0.0, float(o.qty) - float(p.get("qty_done") or 0.0))
                setup = 0.0
                fixed = p.get("machine_id")
                if not isinstance(fixed, str) or not fixed:
                    fixed = None
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
                alt_rows.append(dict(op=idx, machine_id=m, setup_min=int(math.ceil(setup)), run_min=max(1, run)))
            if status == "running":
                frozen_rows.append(dict(op=idx, machine_id=fixed or cand[0], ws=0, kind="running"))
            pred = idx

    ops = pd.DataFrame(op_rows, columns=["order_id", "item_id", "op_seq", "work_center_id", "family", "qty",
                                         "earliest", "due", "weight", "crew_size", "uninterruptible",
                                         "status", "pred"])
    alts = pd.DataFrame(alt_rows, columns=["op", "machine_id", "setup_min", "run_min"])
    # an uninterruptible operation must fit in one shift of some eligible machine
    if len(ops):
        longest = {m: int(t.length.max()) if len(t.a) else 0 for m, t in timelines.items()}
        un = alts[alts.op.map(ops.uninterruptible)]
        fits = (un.setup_min * 0 + un.run_min) <= un.machine_id.map(longest)
        bad = set(un.op) - set(un.op[fits])
        for i in sorted(bad):
            op = ops.loc[i]
            bad_orders.add(op.order_id)
            problems.add("routings", f"{op.item_id} op {op.op_seq}", "uninterruptible", True,
                         f"order {op.order_id} op {op.op_seq}: uninterruptible run of "
                         f"{int(alts[alts.op == i].run_min.min())} min is longer than every shift of "
                         f"work center {op.work_center_id}",
                         "split the order, allow the operation to pause, or add a longer shift")
    if problems.errors and settings.skip_unschedulable:
        keep = orders[~orders.order_id.isin(bad_orders)][[c for c in orders.columns if c in ORDER_COLUMNS]]
        problem = build_problem(ds, keep, plan_start, replace(settings, skip_unschedulable=False),
                                material=material, crews=crews, calendar_days=calendar_days)
        problem.exceptions = problems.frame()
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
                   crews=dict(crews or {}), calendar_intervals=iv)
