"""MPS and MRP: independent demand, multi-level netting, lot sizing, pegging,
exception messages, available-to-promise, capacity load and cost.

:func:`run_mrp` is the entry point; it returns an :class:`MrpResult` that holds
one documented table per output. Every quantity is in the item's ``uom``,
every time in weekly buckets: bucket ``period`` (1-based) starts on
``plan_start + 7 * (period - 1)`` days (a Monday). The conventions (projected
on hand, safety stock netting, past due, FOQ, rounding) are written down with
their textbook references in ``docs/mrp.md``; the vocabulary is the glossary's.

How it runs (and why it is fast)
--------------------------------
Items are planned in low-level-code order, all the items of one level at once:
every step is numpy over (items of the level) x (buckets). The only loop over
buckets is the lot-sizing pass, which is a vector operation over the level's
items in each bucket; the dynamic rules (WW, SM, LUC, PPB) are vectorised over
the items that use them (:func:`planlib.lotsizing.dynamic_windows`). A plain
per-item, per-bucket reference implementation lives in ``tests/mrp_reference.py``
and the tests check that both give the same plan.

References
----------
Orlicky, J., Material Requirements Planning, McGraw-Hill, 1975 (netting,
low-level codes, pegging, exception messages).
Vollmann, T.E., Berry, W.L., Whybark, D.C. and Jacobs, F.R., Manufacturing
Planning and Control for Supply Chain Management, 5th ed., McGraw-Hill, 2005
(MPS, ATP, MRP record, capacity planning).
Nahmias, S., Production and Operations Analysis (MRP lot sizing).
"""
from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np
import pandas as pd

from planlib.data import Dataset
from planlib.lotsizing import DYNAMIC_RULES, EPS, dynamic_windows
from planlib.params import PlanParams
from planlib.problems import InputError, Problems

WEEKS_PER_YEAR = 52.0
_RULE_CODE = {r: i for i, r in enumerate(("L4L", "FOQ", "POQ", "EOQ", "WW", "SM", "LUC", "PPB"))}
#: Quantities are kept to this many decimals of their unit (a micro-unit): gross
#: requirements, receipts, stock and every netting step are rounded to it, so that the
#: plan does not depend on the order float sums are taken in.
DECIMALS = 6
_TOL = 5e-7  # half a micro-unit: float noise, never policy
#: Units of measure counted in whole pieces (see ``MrpSettings.whole_units``).
COUNTED_UOMS = ("ea", "pc", "pcs", "piece", "pieces", "unit", "units")


@dataclass(frozen=True)
class MrpSettings:
    """MRP settings beyond :class:`planlib.params.PlanParams`.

    Attributes
    ----------
    past_releases : {"expedite", "delay"}
        A planned order whose release date falls before the plan start:
        ``"expedite"`` keeps it on the date it is needed, releases it in the
        first bucket and reports ``release_in_past``; ``"delay"`` moves its
        receipt to the first bucket the lead time allows, so projected on hand
        may fall below safety stock (or below zero) inside the lead time and
        ``below_safety_stock`` / ``shortage`` are reported.
    whole_units : bool
        Round lot-sized quantities up to whole units for items counted in
        pieces (``uom`` in :data:`COUNTED_UOMS`, the default ``ea``) before the
        minimum, multiple and maximum apply; a fractional demand (a forecast)
        then gives whole orders. Items in other units (kg, m, l) keep fractions.
    round_yield_up : bool
        Round the quantity released for an item with ``scrap_pct`` up to whole
        units (the receipt stays the lot-sized quantity).
    reschedule_tolerance_weeks : int
        Expedite or defer a scheduled receipt only if its need date differs from
        its due date by more than this many weeks.
    pegging : bool
        Build the pegging table (one row per supply and demand pair). With demand
        in every bucket of a 100,000-item plan it has tens of millions of rows;
        ``False`` leaves it empty.
    """

    past_releases: str = "expedite"
    whole_units: bool = True
    round_yield_up: bool = True
    reschedule_tolerance_weeks: int = 0
    pegging: bool = True

    def __post_init__(self) -> None:
        if self.past_releases not in ("expedite", "delay"):
            raise ValueError(f"past_releases must be 'expedite' or 'delay', not {self.past_releases!r}")
        if self.reschedule_tolerance_weeks < 0:
            raise ValueError("reschedule_tolerance_weeks must be 0 or more")


@dataclass(frozen=True)
class MrpResult:
    """The tables of one MRP run (each documented in its builder and in docs/mrp.md).

    Attributes
    ----------
    mps : DataFrame
        Master production schedule of the end items (items no BOM uses):
        ``item_id, period, period_start, forecast, customer_orders, demand,
        scheduled_receipts, projected_on_hand, mps_receipts, mps_releases`` [units].
    mrp_grid : DataFrame
        ``item_id, period, period_start, gross_requirements, scheduled_receipts,
        projected_on_hand, net_requirements, planned_order_receipts,
        planned_order_releases`` [units], every item x bucket.
    planned_orders : DataFrame
        ``order_id, item_id, order_type (make|buy), supplier_id, qty, release_date,
        due_date, receipt_qty, low_level_code``.
    pegging : DataFrame
        ``item_id, supply_type, supply_id, supply_date, demand_type, demand_id,
        demand_item_id, demand_date, qty``.
    exceptions : DataFrame
        ``exception, severity, item_id, order_id, date, new_date, qty, message``.
    atp : DataFrame
        ``item_id, period, period_start, mps_qty, customer_orders, atp, cumulative_atp``.
    capacity_load : DataFrame
        ``work_center_id, period, period_start, planned_hours, released_hours,
        load_hours, available_hours, utilisation, overload_hours``.
    rough_cut : DataFrame
        ``item_id, work_center_id, period, period_start, mps_qty, hours``.
    purchase_requisitions : DataFrame
        ``supplier_id, period, period_start, orders, items, qty, cost``.
    cost_projection : DataFrame
        ``period, period_start, material_cost, labour_cost, machine_cost,
        order_cost, holding_cost, total_cost`` [currency].
    """

    mps: pd.DataFrame
    mrp_grid: pd.DataFrame
    planned_orders: pd.DataFrame
    pegging: pd.DataFrame
    exceptions: pd.DataFrame
    atp: pd.DataFrame
    capacity_load: pd.DataFrame
    rough_cut: pd.DataFrame
    purchase_requisitions: pd.DataFrame
    cost_projection: pd.DataFrame

    def tables(self) -> dict[str, pd.DataFrame]:
        """The tables by name, in the order above (what the CLI writes)."""
        return {f.name: getattr(self, f.name) for f in fields(self)}


# =========================================================================== entry point

def run_mrp(dataset: Dataset, params: PlanParams, forecast: pd.DataFrame | None = None,
            safety_stock: pd.DataFrame | None = None, settings: MrpSettings | None = None,
            timings: dict | None = None) -> MrpResult:
    """Plan material: MPS, multi-level MRP and everything derived from it.

    Parameters
    ----------
    dataset : Dataset
        Uses ``items, bom, inventory, scheduled_receipts, demand`` and, for
        capacity and cost, ``routings, work_centers, machines, calendars,
        calendar_exceptions, operations_progress, suppliers``.
    params : PlanParams
        ``plan_start`` (a Monday), ``horizon_weeks``, ``demand_time_fence_weeks``,
        ``consumption_backward_weeks``, ``consumption_forward_weeks``.
    forecast : DataFrame, optional
        Columns ``item_id, period_start, forecast`` [units per bucket]; other
        columns are ignored. Without it, customer orders alone are the demand.
    safety_stock : DataFrame, optional
        Columns ``item_id, safety_stock`` [units]; replaces ``items.safety_stock``
        for the items it lists.
    settings : MrpSettings, optional
    timings : dict, optional
        If given, filled with the wall seconds each phase took (``inputs, netting,
        planned_orders, mrp_grid, ...``) and its CPU seconds (``cpu:inputs`` ...),
        for benchmarks.

    Returns
    -------
    MrpResult

    Raises
    ------
    InputError
        Naming every row that makes planning impossible: missing lead time,
        zero lot size, BOM cycle, demand or forecast for an unknown item, plan
        start after all demand, a plan start that is not a Monday.
    """
    settings = settings or MrpSettings()
    clock = _Clock(timings)
    lookup = _Lookup(dataset.items.item_id)
    problems = check_inputs(dataset, params, forecast, safety_stock, _lookup=lookup)
    errors = problems[problems.severity == "error"]
    if len(errors):
        raise InputError(f"{len(errors)} problem(s) prevent planning", errors.reset_index(drop=True))
    clock("checks")
    plan = _Plan.build(dataset, params, forecast, safety_stock, settings, lookup)
    clock("inputs")
    plan.run()
    clock("netting")
    return plan.result(clock)


# =========================================================================== input checks

def check_inputs(ds: Dataset, params: PlanParams, forecast: pd.DataFrame | None = None,
                 safety_stock: pd.DataFrame | None = None, _lookup: _Lookup | None = None) -> pd.DataFrame:
    """Problems that make an MRP run impossible, as a problems table.

    Returns
    -------
    DataFrame
        ``severity, table, row, column, value, problem, fix`` (see :mod:`planlib.problems`).
    """
    p = Problems()
    start = pd.Timestamp(params.plan_start)
    if params.bucket != "W":
        p.add("params", "bucket", "bucket", params.bucket, "MRP plans in weekly buckets only",
              "use bucket='W'")
    if start.weekday() != 0:
        monday = (start - pd.Timedelta(days=start.weekday())).date()
        p.add("params", "plan_start", "plan_start", start.date(),
              f"plan start is a {start.day_name()}; weekly buckets start on Monday",
              f"start the plan on {monday} (or give the ISO week)")
    items = ds.items
    if items.empty:
        p.add("items", "items", "item_id", "", "no items", "load an items table")
    dup = items.item_id.duplicated(keep="first")
    for pos in np.flatnonzero(dup.to_numpy()):
        p.add("items", ds.where("items", pos), "item_id", items.item_id.iloc[pos],
              "item_id appears twice", "keep one row per item")
    for pos in np.flatnonzero(items.lead_time_days.isna().to_numpy()):
        p.add("items", ds.where("items", pos), "lead_time_days", "",
              f"item {items.item_id.iloc[pos]} has no lead time",
              "give the planned lead time in days (0 for none)")
    rule = items.lot_rule.fillna("L4L")
    bad_foq = (rule == "FOQ") & ~(items.lot_size > 0)
    bad_poq = (rule == "POQ") & ~(items.lot_size >= 1)
    for pos in np.flatnonzero(bad_foq.to_numpy()):
        p.add("items", ds.where("items", pos), "lot_size", _fmt(items.lot_size.iloc[pos]),
              f"item {items.item_id.iloc[pos]}: FOQ needs a lot size above zero",
              "give the fixed order quantity in lot_size")
    for pos in np.flatnonzero(bad_poq.to_numpy()):
        p.add("items", ds.where("items", pos), "lot_size", _fmt(items.lot_size.iloc[pos]),
              f"item {items.item_id.iloc[pos]}: POQ needs a lot size of at least 1 period",
              "give the number of periods an order covers in lot_size")
    bad_rule = ~rule.isin(list(_RULE_CODE))
    for pos in np.flatnonzero(bad_rule.to_numpy()):
        p.add("items", ds.where("items", pos), "lot_rule", rule.iloc[pos], "unknown lot rule",
              "use one of " + ", ".join(_RULE_CODE))
    bad_max = items.max_order_qty.notna() & ((items.max_order_qty <= 0) |
                                             (items.max_order_qty < items.min_order_qty.fillna(0)))
    for pos in np.flatnonzero(bad_max.to_numpy()):
        p.add("items", ds.where("items", pos), "max_order_qty", _fmt(items.max_order_qty.iloc[pos]),
              "max_order_qty is not positive or below min_order_qty", "raise it or leave it empty")
    for pos in np.flatnonzero((items.scrap_pct.fillna(0) >= 100).to_numpy()):
        p.add("items", ds.where("items", pos), "scrap_pct", _fmt(items.scrap_pct.iloc[pos]),
              "scrap of 100 % or more leaves nothing", "give the percent lost, below 100")
    lookup = _lookup if _lookup is not None else _Lookup(items.item_id)
    known = lookup.index
    _unknown_refs(ds, "bom", "parent_id", lookup, p)
    _unknown_refs(ds, "bom", "component_id", lookup, p)
    _unknown_refs(ds, "demand", "item_id", lookup, p, what="demand for unknown item")
    _unknown_refs(ds, "scheduled_receipts", "item_id", lookup, p)
    _unknown_refs(ds, "inventory", "item_id", lookup, p)
    if len(ds.bom) and lookup.llc(ds.bom) is None:
        _bom_cycle(ds, p)
    for name, frame, cols in (("forecast", forecast, ("item_id", "period_start", "forecast")),
                              ("safety_stock", safety_stock, ("item_id", "safety_stock"))):
        if frame is None:
            continue
        missing = [c for c in cols if c not in frame.columns]
        if missing:
            p.add(name, name, ", ".join(missing), "", f"{name} table lacks column(s) {', '.join(missing)}",
                  f"give columns {', '.join(cols)}")
            continue
        for pos in np.flatnonzero(known.get_indexer(frame.item_id) < 0):
            p.add(name, f"{name} row {pos + 1}", "item_id", frame.item_id.iloc[pos],
                  f"{name} for unknown item", "correct the item_id or add the item to items")
        value = pd.to_numeric(frame[cols[-1]], errors="coerce")
        for pos in np.flatnonzero((value.isna() | (value < 0)).to_numpy()):
            p.add(name, f"{name} row {pos + 1}", cols[-1], frame[cols[-1]].iloc[pos],
                  f"{cols[-1]} is missing or negative", "give a quantity of 0 or more")
        if name == "forecast":
            dates = pd.to_datetime(frame.period_start, errors="coerce")
            for pos in np.flatnonzero(dates.isna().to_numpy()):
                p.add(name, f"{name} row {pos + 1}", "period_start", frame.period_start.iloc[pos],
                      "not a date", "write the Monday of the bucket as YYYY-MM-DD")
    # plan start after all demand
    dem = ds.demand
    dates = [dem.due_date.dropna()]
    if forecast is not None and "period_start" in forecast.columns:
        f_dates = pd.to_datetime(forecast.period_start, errors="coerce")
        f_qty = pd.to_numeric(forecast.get("forecast"), errors="coerce").fillna(0)
        dates.append(f_dates[f_qty > 0].dropna())
    all_dates = pd.concat(dates) if any(len(d) for d in dates) else pd.Series([], dtype="datetime64[ns]")
    if len(all_dates) and all_dates.max() < start:
        if len(dem):
            pos = int(np.argmax(dem.due_date.to_numpy()))
            p.add("demand", ds.where("demand", pos), "due_date", dem.due_date.iloc[pos].date(),
                  f"plan start {start.date()} is after all demand (the latest is due "
                  f"{all_dates.max().date()}): nothing left to plan",
                  "start the plan on or before the last due date, or load current orders")
        else:
            p.add("forecast", "forecast", "period_start", all_dates.max().date(),
                  f"plan start {start.date()} is after all forecast", "start the plan earlier")
    return p.frame()


def _fmt(v) -> str:
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return ""
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def _unknown_refs(ds, table, column, lookup, p, what=None):
    frame = ds[table]
    if frame.empty:
        return
    bad = np.flatnonzero(lookup.pos(table, column, frame[column]) < 0)
    for pos in bad[frame[column].iloc[bad].notna().to_numpy()]:
        p.add(table, ds.where(table, pos), column, frame[column].iloc[pos],
              what or f"{column} is not in items", "correct the item_id or add the item to items")


def _bom_cycle(ds, p):
    """Find BOM cycles by iterative DFS; report each once, A -> B -> A, with the row closing it."""
    bom = ds.bom
    if bom.empty:
        return
    children: dict = {}
    for pos, (a, b) in enumerate(zip(bom.parent_id, bom.component_id)):
        children.setdefault(a, []).append((b, pos))
    colour: dict = {}
    seen = set()
    for root in sorted(children, key=str):
        if colour.get(root):
            continue
        colour[root] = 1
        path, stack = [root], [iter(children.get(root, ()))]
        while stack:
            nxt = next(stack[-1], None)
            if nxt is None:
                colour[path.pop()] = 2
                stack.pop()
                continue
            node, pos = nxt
            if colour.get(node) == 1:
                cycle = path[path.index(node):] + [node]
                key = frozenset(cycle)
                if key not in seen:
                    seen.add(key)
                    p.add("bom", ds.where("bom", pos), "component_id", node,
                          "BOM cycle: " + " -> ".join(map(str, cycle)),
                          "an item cannot contain itself; remove or correct one line of the cycle")
            elif not colour.get(node):
                colour[node] = 1
                path.append(node)
                stack.append(iter(children.get(node, ())))


# =========================================================================== building blocks

class _Lookup:
    """Positions of item ids in the items table, computed once per (table, column)."""

    def __init__(self, item_ids: pd.Series) -> None:
        self.index = pd.Index(item_ids.dropna().unique())
        self.exact = len(self.index) == len(item_ids)  # positions are rows of the items table
        self._memo: dict = {}
        self._llc = False

    def pos(self, table: str, column: str, values) -> np.ndarray:
        key = (table, column)
        if key not in self._memo:
            self._memo[key] = self.index.get_indexer(values)
        return self._memo[key]

    def llc(self, bom: pd.DataFrame):
        """Low-level codes over the known items, or None if the BOM has a cycle."""
        if self._llc is False:
            par, comp = self.pos("bom", "parent_id", bom.parent_id), self.pos("bom", "component_id", bom.component_id)
            ok = (par >= 0) & (comp >= 0)
            try:
                self._llc = _llc_from_positions(len(self.index), par[ok], comp[ok])
            except InputError:
                self._llc = None
        return self._llc


def low_level_codes(items: pd.Series, bom: pd.DataFrame) -> np.ndarray:
    """Low-level code of each item: its deepest level in any BOM (0 = not a component).

    Parameters
    ----------
    items : Series
        The item ids, in the order of the result.
    bom : DataFrame
        ``parent_id, component_id`` (every line, whatever its effectivity).

    Returns
    -------
    ndarray of int
    """
    index = pd.Index(items)
    if bom.empty:
        return np.zeros(len(index), dtype=np.int64)
    return _llc_from_positions(len(index), index.get_indexer(bom.parent_id), index.get_indexer(bom.component_id))


def _llc_from_positions(n: int, par: np.ndarray, comp: np.ndarray) -> np.ndarray:
    index = range(n)
    llc = np.zeros(n, dtype=np.int64)
    # layered topological sort (Kahn): an item's level is one below its deepest parent
    order = np.argsort(par, kind="stable")
    par, comp = par[order], comp[order]
    ptr = np.searchsorted(par, np.arange(len(index) + 1))
    indeg = np.bincount(comp, minlength=len(index))
    frontier = np.flatnonzero(indeg == 0)
    level, done = 0, 0
    while len(frontier):
        llc[frontier] = level
        done += len(frontier)
        cnt = ptr[frontier + 1] - ptr[frontier]
        lines = np.repeat(ptr[frontier], cnt) + (np.arange(cnt.sum()) - np.repeat(np.cumsum(cnt) - cnt, cnt))
        children = comp[lines]
        np.subtract.at(indeg, children, 1)
        frontier = np.unique(children[indeg[children] == 0])
        level += 1
    if done < len(index):
        raise InputError("BOM cycle: some items are their own components")
    return llc


def lead_time_buckets(lead_time_days) -> np.ndarray:
    """Lead-time offset in weekly buckets: days / 7 rounded up (7 days -> 1, 8 -> 2, 0 -> 0)."""
    days = np.asarray(lead_time_days, dtype=float)
    return np.ceil(days / 7.0 - 1e-9).clip(min=0).astype(np.int64)


def bucket_index(dates, plan_start, n_periods: int) -> np.ndarray:
    """0-based weekly bucket of each date: before the plan start -> 0 (past due), after the horizon -> ``n_periods``."""
    days = (pd.to_datetime(pd.Series(dates)).to_numpy("datetime64[D]")
            - np.datetime64(pd.Timestamp(plan_start).date(), "D")).astype(np.int64)
    return np.clip(np.floor_divide(days, 7), 0, n_periods)


def consume_forecast(orders: np.ndarray, forecast: np.ndarray, backward: int, forward: int) -> np.ndarray:
    """Forecast left after customer orders consume it, bucket by bucket.

    Orders of bucket ``b`` consume the forecast of ``b`` first, then of
    ``b-1 .. b-backward`` (nearest first), then of ``b+1 .. b+forward``;
    buckets are taken in time order. Order quantity beyond the forecast stays
    demand (it is not lost).

    Parameters
    ----------
    orders, forecast : ndarray, shape (items, periods)
        Customer orders and forecast per bucket [units].

    Returns
    -------
    ndarray, shape (items, periods)
        Unconsumed forecast [units].
    """
    left = np.array(forecast, dtype=float, copy=True)
    n_per = left.shape[1]
    offsets = [0] + [-k for k in range(1, backward + 1)] + list(range(1, forward + 1))
    for b in range(n_per):
        rem = orders[:, b].astype(float).copy()
        if not (rem > 0).any():
            continue
        for off in offsets:
            k = b + off
            if 0 <= k < n_per:
                take = np.minimum(rem, left[:, k])
                left[:, k] -= take
                rem -= take
    return left


def order_modifiers(q, min_order_qty, order_multiple, max_order_qty):
    """Apply minimum, multiple and maximum to lot-sized quantities.

    ``q`` is raised to ``min_order_qty``, rounded up to a multiple of
    ``order_multiple``; a quantity above ``max_order_qty`` is split into
    orders of the largest multiple not above the maximum plus one remainder
    order (itself raised to the minimum and multiple).

    Parameters
    ----------
    q, min_order_qty, order_multiple, max_order_qty : array-like
        [units]; 0 (or NaN for the maximum) means none.

    Returns
    -------
    (total, n_orders, cap) : tuple of ndarray
        Total quantity, number of orders it is split into, quantity of every
        order but the last [units].
    """
    q = np.asarray(q, dtype=float)
    moq = np.nan_to_num(np.asarray(min_order_qty, dtype=float))
    mult = np.nan_to_num(np.asarray(order_multiple, dtype=float))
    maxq = np.asarray(max_order_qty, dtype=float)
    q = np.maximum(q, moq)
    q = np.where(mult > 0, np.ceil(q / np.where(mult > 0, mult, 1) - EPS) * mult, q)
    has_max = np.isfinite(maxq) & (maxq > 0)
    cap = np.where(mult > 0, np.maximum(np.floor(maxq / np.where(mult > 0, mult, 1) + EPS) * mult, mult), maxq)
    cap = np.where(has_max, cap, np.inf)
    n = np.where(has_max, np.maximum(np.ceil(q / np.where(has_max, cap, 1) - EPS), 1), 1)
    last = q - (n - 1) * np.where(has_max, cap, 0)
    last = np.maximum(last, moq)
    last = np.where(mult > 0, np.ceil(last / np.where(mult > 0, mult, 1) - EPS) * mult, last)
    total = (n - 1) * np.where(has_max, cap, 0) + last
    return total, n.astype(np.int64), cap


# =========================================================================== the plan

class _Plan:
    """State of one run: arrays over (all items) x (buckets), filled level by level."""

    @classmethod
    def build(cls, ds, params, forecast, safety_stock, settings, lookup: _Lookup) -> _Plan:
        """The plan's arrays from a dataset that passed :func:`check_inputs` (with ``lookup``)."""
        self = cls()
        self.ds, self.params, self.settings = ds, params, settings
        self.start = pd.Timestamp(params.plan_start)
        self.H = H = int(params.horizon_weeks)
        self.period_starts = pd.date_range(self.start, periods=H, freq="7D")
        # items are kept in low-level-code order (stable), so that each level is a
        # contiguous block of rows: the level's arrays are views, not copies
        items = ds.items.reset_index(drop=True)
        llc = lookup.llc(ds.bom) if len(ds.bom) else np.zeros(len(items), dtype=np.int64)
        self.perm = np.argsort(llc, kind="stable")  # internal row -> row of ds.items
        self._lookup, self._back = lookup, np.argsort(self.perm)
        if not (self.perm == np.arange(len(self.perm))).all():
            items = items.iloc[self.perm].reset_index(drop=True)
        self.items = items
        self.ids = items.item_id.to_numpy()
        self.index = pd.Index(self.ids)
        n = self.n = len(items)
        self.llc = llc[self.perm]
        self.level_start = np.searchsorted(self.llc, np.arange(int(self.llc.max()) + 2 if n else 1))
        self.lt = lead_time_buckets(items.lead_time_days.to_numpy())
        ss = items.safety_stock.fillna(0).to_numpy(dtype=float)
        if safety_stock is not None and len(safety_stock):
            pos = self.index.get_indexer(safety_stock.item_id)
            ss = ss.copy()
            ss[pos] = pd.to_numeric(safety_stock.safety_stock).to_numpy(dtype=float)
        self.ss = np.round(ss, DECIMALS)
        inv = ds.inventory
        self.on_hand = np.zeros(n)
        if len(inv):
            pos = self._pos("inventory", "item_id", inv.item_id)
            avail = inv.on_hand.fillna(0).to_numpy() - inv.allocated.fillna(0).to_numpy()
            _accumulate(self.on_hand, pos, avail)
            self.on_hand = np.round(self.on_hand, DECIMALS)
        self.cost = items.unit_cost.fillna(0).to_numpy(dtype=float)
        self.h = self.cost * items.holding_cost_rate.fillna(0.25).to_numpy(dtype=float) / WEEKS_PER_YEAR
        self.K = items.order_cost.fillna(0).to_numpy(dtype=float)
        self.rule = items.lot_rule.fillna("L4L").map(_RULE_CODE).to_numpy()
        self.lot = items.lot_size.fillna(0).to_numpy(dtype=float)
        self.moq = items.min_order_qty.fillna(0).to_numpy(dtype=float)
        self.mult = items.order_multiple.fillna(0).to_numpy(dtype=float)
        self.maxq = items.max_order_qty.to_numpy(dtype=float)
        self.scrap = items.scrap_pct.fillna(0).to_numpy(dtype=float) / 100.0
        self.make = (items.item_type == "make").to_numpy()
        self.whole = (items.uom.fillna("ea").str.strip().str.lower().isin(COUNTED_UOMS).to_numpy()
                      if settings.whole_units else np.zeros(n, dtype=bool))
        self._demand(forecast)
        self._receipts()
        self._bom()
        return self

    # ----------------------------------------------------------------- inputs
    def _pos(self, table: str, column: str, values) -> np.ndarray:
        """Internal rows of the item ids in ``table.column`` (-1 for none)."""
        p = self._lookup.pos(table, column, values)
        return np.where(p >= 0, self._back[np.maximum(p, 0)], -1)

    def _demand(self, forecast):
        H, n = self.H, self.n
        dem = self.ds.demand
        b = bucket_index(dem.due_date, self.start, H) if len(dem) else np.zeros(0, dtype=np.int64)
        inside = b < H
        self.dem_rows = dem.assign(_b=b, _i=self._pos("demand", "item_id", dem.item_id))[inside]
        self.dem_beyond = dem[~inside]
        orders = np.zeros((n, H))
        _accumulate(orders, self.dem_rows._i.to_numpy() * H + self.dem_rows._b.to_numpy(),
                    self.dem_rows.qty.to_numpy(dtype=float))
        self.orders = orders
        self.fc = np.zeros((n, H))
        self.fc_left = np.zeros((n, H))
        if forecast is not None and len(forecast):
            f_dates = pd.to_datetime(forecast.period_start)
            days = (f_dates.to_numpy("datetime64[D]") - np.datetime64(self.start.date(), "D")).astype(np.int64)
            fb = np.floor_divide(days, 7)
            ok = (fb >= 0) & (fb < H)
            fi = self.index.get_indexer(forecast.item_id)[ok]
            _accumulate(self.fc, fi * H + fb[ok], pd.to_numeric(forecast.forecast).to_numpy(dtype=float)[ok])
            rows = np.flatnonzero(self.fc.any(axis=1))
            if len(rows):
                # past-due orders (dated before the plan start) consume no forecast
                consuming = orders[rows].copy()
                past = self.dem_rows[(self.dem_rows.due_date < self.start)]
                if len(past):
                    sub = np.zeros((self.n, H))
                    _accumulate(sub, past._i.to_numpy() * H + past._b.to_numpy(), past.qty.to_numpy(dtype=float))
                    consuming -= sub[rows]
                self.fc_left[rows] = consume_forecast(consuming, self.fc[rows],
                                                      int(self.params.consumption_backward_weeks),
                                                      int(self.params.consumption_forward_weeks))
        dtf = min(int(self.params.demand_time_fence_weeks), H)
        self.fc_left[:, :dtf] = 0.0
        self.has_fc = forecast is not None and bool(len(forecast))
        self.indep = orders + self.fc_left if self.has_fc else orders

    def _receipts(self):
        sr = self.ds.scheduled_receipts
        H = self.H
        b = bucket_index(sr.due_date, self.start, H) if len(sr) else np.zeros(0, dtype=np.int64)
        self.sr_rows = sr.assign(_b=b, _i=self._pos("scheduled_receipts", "item_id", sr.item_id)).reset_index(drop=True)
        inside = self.sr_rows[self.sr_rows._b < H]
        self.SR = np.zeros((self.n, H))
        _accumulate(self.SR, inside._i.to_numpy() * H + inside._b.to_numpy(), inside.qty.to_numpy(dtype=float))
        np.round(self.SR, DECIMALS, out=self.SR)

    def _bom(self):
        bom = self.ds.bom
        par = self._pos("bom", "parent_id", bom.parent_id) if len(bom) else np.zeros(0, dtype=np.int64)
        order = np.argsort(par, kind="stable")
        self.b_par = par[order]
        self.b_comp = (self._pos("bom", "component_id", bom.component_id) if len(bom) else np.zeros(0, dtype=np.int64))[order]
        self.b_qty = (bom.qty_per.to_numpy(dtype=float) * (1 + bom.scrap_pct.fillna(0).to_numpy(dtype=float) / 100.0)
                      )[order] if len(bom) else np.zeros(0)
        day0 = np.datetime64(self.start.date(), "D")
        vf = bom.valid_from.to_numpy("datetime64[D]")[order] if len(bom) else np.zeros(0, "datetime64[D]")
        vt = bom.valid_to.to_numpy("datetime64[D]")[order] if len(bom) else np.zeros(0, "datetime64[D]")
        # effectivity as bucket bounds: line used for releases in buckets [b_from, b_to)
        self.b_from = np.where(np.isnat(vf), -(10 ** 9), _ceil_div_days(vf - day0))
        self.b_to = np.where(np.isnat(vt), 10 ** 9, _ceil_div_days(vt - day0))
        self.b_ptr = np.searchsorted(self.b_par, np.arange(self.n + 1))

    # ----------------------------------------------------------------- planning
    def run(self):
        H, n = self.H, self.n
        self.GR = self.indep.copy()
        self.PR = np.zeros((n, H))
        self.POH = np.zeros((n, H))
        self.NR = np.zeros((n, H))
        self.PL = np.zeros((n, H))
        self.dep_parts = []
        self.order_parts = []
        self.next_order = 1
        for level in range(int(self.llc.max()) + 1 if n else 0):
            lo, hi = self.level_start[level], self.level_start[level + 1]
            if hi > lo:
                self._plan_level(int(lo), int(hi))
        self.orders_df = (pd.concat(self.order_parts, ignore_index=True) if self.order_parts
                          else _empty_orders())
        self.dep_df = (pd.concat(self.dep_parts, ignore_index=True) if self.dep_parts
                       else pd.DataFrame({"i": [], "b": [], "qty": [], "parent_order": [], "parent_i": []}))

    def _plan_level(self, lo: int, hi: int):
        """Net and lot-size the items of rows ``lo:hi`` (one low-level code), all at once."""
        H = self.H
        rows = np.arange(lo, hi)
        level = slice(lo, hi)
        m = len(rows)
        L = self.lt[rows]
        delay = self.settings.past_releases == "delay"
        # after the last bucket with a gross requirement or receipt nothing changes: plan the
        # span T before it (plus the lead times in delay mode) and carry the end to the horizon
        busy = np.flatnonzero(self.GR[level].any(axis=0) | self.SR[level].any(axis=0))
        T = int(busy[-1]) + 1 if len(busy) else 1
        if delay and m:
            T = max(T, int(L.max()) + 1)
        T = min(T, H)
        GR, SR = self.GR[level, :T], self.SR[level, :T]
        np.round(GR, DECIMALS, out=GR)  # all of the level's gross requirements are known now
        # S[:, t]: planned receipts needed up to t to end bucket t at safety stock
        S = np.cumsum(GR, axis=1)
        S -= np.cumsum(SR, axis=1)
        S += (self.ss[rows] - self.on_hand[rows])[:, None]
        np.round(S, DECIMALS, out=S)
        M = np.maximum.accumulate(np.maximum(S, 0.0), axis=1)
        rule = self.rule[rows]
        t_idx = np.arange(T)
        # window ends for the rules whose order covers more than the bucket of the need
        win = (rule == _RULE_CODE["POQ"]) | np.isin(rule, [_RULE_CODE[r] for r in DYNAMIC_RULES])
        w_rows = np.flatnonzero(win)
        w_pos = np.full(m, -1)
        w_pos[w_rows] = np.arange(len(w_rows))
        E = np.empty((len(w_rows), T), dtype=np.int64)
        if len(w_rows):
            net = np.round(np.diff(M[w_rows], axis=1, prepend=0.0), DECIMALS)
            net[net < _TOL] = 0.0
            wr = rule[w_rows]
            poq = wr == _RULE_CODE["POQ"]
            if poq.any():
                E[poq] = np.minimum(t_idx[None, :] + self.lot[rows[w_rows[poq]], None].astype(np.int64) - 1, T - 1)
            for name in DYNAMIC_RULES:
                sel = wr == _RULE_CODE[name]
                if sel.any():
                    it = rows[w_rows[sel]]
                    E[sel] = dynamic_windows(name, net[sel], self.K[it], self.h[it])
        eoq = np.zeros(m)
        sel = rule == _RULE_CODE["EOQ"]
        if sel.any():
            it = rows[sel]
            yearly = GR[sel].sum(axis=1) * WEEKS_PER_YEAR / H
            K, hy = self.K[it], self.h[it] * WEEKS_PER_YEAR
            ok = (yearly > 0) & (K > 0) & (hy > 0)
            # economic_order_quantity, vectorised: sqrt(2 K D / H) to the nearest unit, at least 1
            q = np.sqrt(2.0 * K * yearly / np.where(ok, hy, 1.0))
            eoq[sel] = np.where(ok, np.maximum(1.0, np.floor(q + 0.5)), 0.0)
            given = self.lot[it]  # a lot_size on an EOQ item is the planner's EOQ: it wins
            eoq[sel] = np.where(given > 0, given, eoq[sel])
        foq = rule == _RULE_CODE["FOQ"]
        whole = self.whole[rows]
        lot = self.lot[rows]
        moq, mult, maxq = self.moq[rows], self.mult[rows], self.maxq[rows]
        if delay:
            # an order placed late must cover the largest need of its window, not the running one
            table = [S]
            while (1 << len(table)) <= T:
                w = 1 << (len(table) - 1)
                prev = table[-1]
                nxt = prev.copy()
                nxt[:, : T - w] = np.maximum(prev[:, : T - w], prev[:, w:])
                table.append(nxt)
            table = np.stack(table)
        P = np.zeros(m)
        ev_r, ev_t, ev_q, ev_n, ev_cap = [], [], [], [], []
        active = np.flatnonzero(M[:, -1] > _TOL)  # items that ever need a planned receipt
        S_a = S[active]
        for t in range(T):
            trig = S_a[:, t] - P[active] > _TOL
            if delay:
                trig &= t >= L[active]
            if not trig.any():
                continue
            r = active[trig]
            e = np.full(len(r), t)
            wp = w_pos[r]
            has_w = wp >= 0
            e[has_w] = E[wp[has_w], t]
            if delay:
                k = np.floor(np.log2(e - t + 1)).astype(np.int64)
                q = np.round(np.maximum(table[k, r, t], table[k, r, e - (1 << k) + 1]) - P[r], DECIMALS)
            else:
                q = np.round(M[r, e] - P[r], DECIMALS)
            f = foq[r]
            if f.any():
                q[f] = np.ceil(q[f] / lot[r][f] - EPS) * lot[r][f]
            eo = eoq[r] > 0
            if eo.any():
                q[eo] = np.maximum(q[eo], eoq[r][eo])
            wh = whole[r]
            q[wh] = np.ceil(q[wh] - 1e-9)
            total, n_ord, cap = order_modifiers(q, moq[r], mult[r], maxq[r])
            P[r] += total
            ev_r.append(r)
            ev_t.append(np.full(len(r), t))
            ev_q.append(total)
            ev_n.append(n_ord)
            ev_cap.append(cap)
        # projected on hand = safety stock - S + planned receipts so far; net requirement =
        # what the bucket needs beyond on hand, receipts and earlier planned receipts
        PRl = np.zeros((m, T))
        if ev_r:
            r = np.concatenate(ev_r)
            t = np.concatenate(ev_t)
            order = np.lexsort((t, r))  # item, then bucket: the order ids follow this order
            r, t = r[order], t[order]
            total = np.concatenate(ev_q)[order]
            PRl[r, t] = total
        cum = np.cumsum(PRl, axis=1)
        poh = np.round(self.ss[rows, None] - S + cum, DECIMALS)
        poh[np.abs(poh) < _TOL] = 0.0
        self.POH[level, :T] = poh
        self.POH[level, T:] = poh[:, -1:]
        cum -= PRl
        np.subtract(S, cum, out=cum)
        np.round(cum, DECIMALS, out=cum)
        cum[cum < _TOL] = 0.0
        self.NR[level, :T] = cum
        if not ev_r:
            return
        self.PR[level, :T] = PRl
        self._orders_and_explosion(rows[r], t, total, np.concatenate(ev_n)[order], np.concatenate(ev_cap)[order])

    def _orders_and_explosion(self, item, tb, total, n_ord, cap):
        """Planned orders of one level (split at max_order_qty), their releases, and the explosion."""
        H = self.H
        rep = np.repeat(np.arange(len(item)), n_ord)
        k = np.arange(len(rep)) - np.repeat(np.cumsum(n_ord) - n_ord, n_ord)
        last = k == n_ord[rep] - 1
        receipt = np.where(last, total[rep] - (n_ord[rep] - 1) * np.where(np.isfinite(cap[rep]), cap[rep], 0),
                           cap[rep])
        item = item[rep]
        tb = tb[rep]
        rel = receipt / (1.0 - self.scrap[item])
        if self.settings.round_yield_up:
            y = self.scrap[item] > 0
            rel[y] = np.ceil(rel[y] - 1e-9)
        rb_raw = tb - self.lt[item]
        rb = np.maximum(rb_raw, 0)
        _accumulate(self.PL, item * H + rb, rel)
        ids = np.arange(self.next_order, self.next_order + len(item))
        self.next_order += len(item)
        self.order_parts.append(pd.DataFrame({
            "seq": ids, "i": item, "b": tb, "rb": rb, "rb_raw": rb_raw, "qty": rel, "receipt_qty": receipt}))
        # explode releases into the components' gross requirements
        cnt = self.b_ptr[item + 1] - self.b_ptr[item]
        if cnt.sum() == 0:
            return
        o_rep = np.repeat(np.arange(len(item)), cnt)
        line = np.repeat(self.b_ptr[item], cnt) + (np.arange(cnt.sum()) - np.repeat(np.cumsum(cnt) - cnt, cnt))
        rbl = rb[o_rep]
        ok = (self.b_from[line] <= rbl) & (rbl < self.b_to[line])
        o_rep, line, rbl = o_rep[ok], line[ok], rbl[ok]
        comp = self.b_comp[line]
        q = rel[o_rep] * self.b_qty[line]
        _accumulate(self.GR, comp * H + rbl, q)
        self.dep_parts.append(pd.DataFrame({"i": comp, "b": rbl, "qty": q, "parent_order": ids[o_rep],
                                            "parent_i": item[o_rep]}))

    # ----------------------------------------------------------------- outputs
    def result(self, clock=None) -> MrpResult:
        clock = clock or _Clock(None)
        out = {}
        out["planned_orders"] = self._planned_orders()
        clock("planned_orders")
        out["mrp_grid"] = self._grid()
        clock("mrp_grid")
        out["mps"] = self._mps()
        clock("mps")
        out["pegging"] = self._pegging() if self.settings.pegging else _empty_pegging()
        clock("pegging")
        out["exceptions"] = self._exceptions()
        clock("exceptions")
        out["atp"] = self._atp()
        clock("atp")
        ops = self._operation_load(out["planned_orders"])
        out["capacity_load"] = self._capacity_load(ops)
        clock("capacity_load")
        out["rough_cut"] = self._rough_cut()
        clock("rough_cut")
        out["purchase_requisitions"] = self._purchase_requisitions(out["planned_orders"])
        out["cost_projection"] = self._cost_projection(out["planned_orders"], ops)
        clock("requisitions_and_cost")
        return MrpResult(**out)

    def order_ids(self, seq) -> np.ndarray:
        return self.order_id_strings()[np.asarray(seq, dtype=np.int64) - 1]

    def order_id_strings(self) -> np.ndarray:
        """Planned order ids ``PLN-0000001`` ... in creation order (level, item, bucket)."""
        if getattr(self, "_oid", None) is None:
            self._oid = np.array([f"PLN-{k:07d}" for k in range(1, self.next_order)], dtype=object)
        return self._oid

    def _planned_orders(self) -> pd.DataFrame:
        o = self.orders_df
        ps = self.period_starts.to_numpy()
        item = o.i.to_numpy()
        sup = self.items.supplier_id.to_numpy(dtype=object)[item]
        make = self.make[item]
        out = pd.DataFrame({
            "order_id": self.order_ids(o.seq.to_numpy()),
            "item_id": self.ids[item],
            "order_type": np.where(make, "make", "buy"),
            "supplier_id": np.where(make, None, sup),
            "qty": o.qty.to_numpy(),
            "release_date": ps[o.rb.to_numpy()] if len(o) else np.array([], "datetime64[ns]"),
            "due_date": ps[o.b.to_numpy()] if len(o) else np.array([], "datetime64[ns]"),
            "receipt_qty": o.receipt_qty.to_numpy(),
            "low_level_code": self.llc[item],
        })
        return out

    def _grid(self) -> pd.DataFrame:
        """Every item x bucket, items in the order of the items table."""
        n, H = self.n, self.H
        back = np.argsort(self.perm)  # row of ds.items -> internal row
        same = bool((back == np.arange(n)).all())
        cols = {}
        for name, a in (("gross_requirements", self.GR), ("scheduled_receipts", self.SR),
                        ("projected_on_hand", self.POH), ("net_requirements", self.NR),
                        ("planned_order_receipts", self.PR), ("planned_order_releases", self.PL)):
            cols[name] = a.reshape(-1) if same else np.take(a, back, axis=0).reshape(-1)
        codes = np.repeat(np.arange(n, dtype=np.int32), H)
        head = {"item_id": pd.Categorical.from_codes(codes, categories=pd.Index(self.ids[back])),
                "period": np.tile(np.arange(1, H + 1, dtype=np.int64), n),
                "period_start": np.tile(self.period_starts.to_numpy(), n)}
        return pd.DataFrame(head | cols, copy=False)

    def _in_item_order(self, rows: np.ndarray) -> np.ndarray:
        """Internal rows re-ordered as in the items table."""
        return rows[np.argsort(self.perm[rows], kind="stable")]

    def _mps(self) -> pd.DataFrame:
        """End items (no BOM line uses them) with independent demand, bucket by bucket."""
        used = np.zeros(self.n, dtype=bool)
        used[self.b_comp] = True
        has = (self.indep > 0).any(axis=1) | (self.PR > 0).any(axis=1)
        if self.has_fc:
            has |= (self.fc > 0).any(axis=1)
        rows = self._in_item_order(np.flatnonzero(~used & has))
        H = self.H
        return pd.DataFrame({
            "item_id": np.repeat(self.ids[rows], H),
            "period": np.tile(np.arange(1, H + 1), len(rows)),
            "period_start": np.tile(self.period_starts.to_numpy(), len(rows)),
            "forecast": self.fc[rows].ravel(),
            "customer_orders": self.orders[rows].ravel(),
            "demand": self.indep[rows].ravel(),
            "scheduled_receipts": self.SR[rows].ravel(),
            "projected_on_hand": _clean(self.POH[rows]).ravel(),
            "mps_receipts": self.PR[rows].ravel(),
            "mps_releases": self.PL[rows].ravel(),
        }, copy=False)

    # ----------------------------------------------------------------- pegging
    def _pegging(self) -> pd.DataFrame:
        """FIFO pegging of supplies to demands per item, by date.

        Demands of an item, in order: bucket, then customer orders (by priority
        and due date), forecast, dependent demand of parent planned orders; then
        its safety stock. Supplies: on hand, scheduled receipts (by due date),
        planned orders (by due date). Each is a segment of the item's
        cumulative quantity; overlapping segments give the pegging rows.
        Demand no supply covers is pegged to ``supply_type="none"``
        (``supply_id="shortage"``); supply beyond every demand and the safety
        stock to ``demand_type="excess"``.
        """
        H = self.H
        day0 = np.datetime64(self.start.date(), "D")
        ps_days = np.arange(H + 1) * 7
        # ---- demands: numeric keys + (type, index into that type's ids)
        dr = self.dem_rows
        fi, fb = np.nonzero(self.fc_left > _TOL) if self.has_fc else (np.zeros(0, np.int64),) * 2
        dep = self.dep_df
        si = np.flatnonzero(self.ss > _TOL)
        d_i = np.concatenate([dr._i.to_numpy(), fi, dep.i.to_numpy(), si]).astype(np.int64)
        d_b = np.concatenate([dr._b.to_numpy(), fb, dep.b.to_numpy(), np.full(len(si), H)]).astype(np.int64)
        d_rank = np.repeat([0, 1, 2, 3], [len(dr), len(fi), len(dep), len(si)])
        d_prio = np.concatenate([dr.priority.fillna(9).to_numpy(dtype=np.int64), np.full(len(fi) + len(dep) + len(si), 9)])
        d_days = np.concatenate([(dr.due_date.to_numpy("datetime64[D]") - day0).astype(np.int64),
                                 ps_days[fb], ps_days[dep.b.to_numpy().astype(np.int64)], ps_days[np.full(len(si), H - 1)]])
        d_qty = np.concatenate([dr.qty.to_numpy(dtype=float), self.fc_left[fi, fb], dep.qty.to_numpy(dtype=float),
                                self.ss[si]])
        d_src = np.concatenate([np.arange(len(dr)), np.arange(len(fi)), np.arange(len(dep)), np.arange(len(si))])
        keep = d_qty > _TOL
        key = _sort_key(d_i, d_b + 1, d_rank, d_prio, d_days)
        order = np.flatnonzero(keep)[np.argsort(key[keep], kind="stable")]
        d_i, d_b, d_rank, d_days, d_qty, d_src = (a[order] for a in (d_i, d_b, d_rank, d_days, d_qty, d_src))
        # ---- supplies
        oi = np.flatnonzero(self.on_hand > _TOL)
        sr = self.sr_rows[self.sr_rows._b < H]
        o = self.orders_df
        s_i = np.concatenate([oi, sr._i.to_numpy(), o.i.to_numpy()]).astype(np.int64)
        s_b = np.concatenate([np.full(len(oi), -1), sr._b.to_numpy(), o.b.to_numpy()]).astype(np.int64)
        s_rank = np.repeat([0, 1, 2], [len(oi), len(sr), len(o)])
        s_days = np.concatenate([np.full(len(oi), -1), (sr.due_date.to_numpy("datetime64[D]") - day0).astype(np.int64),
                                 ps_days[o.b.to_numpy().astype(np.int64)]])
        s_qty = np.concatenate([self.on_hand[oi], sr.qty.to_numpy(dtype=float), o.receipt_qty.to_numpy()])
        s_src = np.concatenate([np.arange(len(oi)), np.arange(len(sr)), np.arange(len(o))])
        key = _sort_key(s_i, s_b + 1, s_rank, np.zeros(len(s_i), dtype=np.int64), s_days)
        order = np.argsort(key, kind="stable")
        s_i, s_rank, s_days, s_qty, s_src = (a[order] for a in (s_i, s_rank, s_days, s_qty, s_src))
        dk, sk, qty, item = _fifo_segments(d_i, d_qty, s_i, s_qty, self.n)
        shown = np.argsort(self.perm[item], kind="stable")  # items in the items table's order
        dk, sk, qty, item = dk[shown], sk[shown], qty[shown], item[shown]
        n = len(qty)
        in_d, in_s = dk >= 0, sk >= 0
        dkk, skk = np.maximum(dk, 0), np.maximum(sk, 0)
        # ---- labels, as categoricals: codes point into the id lists (no object column per row)
        d_t = np.where(in_d, d_rank[dkk] if len(d_rank) else 4, 4)
        s_t = np.where(in_s, s_rank[skk] if len(s_rank) else 3, 3)
        d_s = d_src[dkk] if len(d_src) else np.zeros(n, dtype=np.int64)
        s_s = s_src[skk] if len(s_src) else np.zeros(n, dtype=np.int64)
        oid = self.order_id_strings()
        fc_ids = np.array([f"forecast {d}" for d in (day0 + ps_days[:H]).astype(str)], dtype=object)
        # demand ids: excess, safety stock, customer orders, forecast weeks, planned orders
        d_cats = [np.array(["excess", "safety stock"], dtype=object), dr.order_id.to_numpy(dtype=object), fc_ids, oid]
        d_off = np.cumsum([0] + [len(c) for c in d_cats])
        d_code = np.zeros(n, dtype=np.int64)  # excess
        d_code[d_t == 0] = d_off[1] + d_s[d_t == 0]
        if len(fb):
            d_code[d_t == 1] = d_off[2] + fb[d_s[d_t == 1]]
        if len(dep):
            d_code[d_t == 2] = d_off[3] + dep.parent_order.to_numpy().astype(np.int64)[d_s[d_t == 2]] - 1
        d_code[d_t == 3] = 1
        d_item = item.copy()
        if len(dep):
            d_item[d_t == 2] = dep.parent_i.to_numpy().astype(np.int64)[d_s[d_t == 2]]
        # supply ids: on hand, shortage, scheduled receipts, planned orders
        s_cats = [np.array(["on hand", "shortage"], dtype=object), sr.order_id.to_numpy(dtype=object), oid]
        s_off = np.cumsum([0] + [len(c) for c in s_cats])
        s_code = np.ones(n, dtype=np.int64)  # shortage
        s_code[s_t == 0] = 0
        s_code[s_t == 1] = s_off[1] + s_s[s_t == 1]
        if len(o):
            s_code[s_t == 2] = s_off[2] + o.seq.to_numpy().astype(np.int64)[s_s[s_t == 2]] - 1
        nat = np.iinfo(np.int64).min
        s_date = np.where(in_s & (s_t != 0), s_days[skk] if len(s_days) else 0, nat)
        d_date = np.where(in_d, d_days[dkk] if len(d_days) else 0, nat)
        items = pd.Index(self.ids)
        return pd.DataFrame({
            "item_id": pd.Categorical.from_codes(item, categories=items),
            "supply_type": pd.Categorical.from_codes(s_t, categories=["on_hand", "scheduled_receipt",
                                                                     "planned_order", "none"]),
            "supply_id": _labels(s_code, s_cats),
            "supply_date": _days_to_ts(day0, s_date),
            "demand_type": pd.Categorical.from_codes(d_t, categories=["customer_order", "forecast", "dependent",
                                                                     "safety_stock", "excess"]),
            "demand_id": _labels(d_code, d_cats),
            "demand_item_id": pd.Categorical.from_codes(d_item, categories=items),
            "demand_date": _days_to_ts(day0, d_date),
            "qty": qty,
        }, copy=False)

    # ----------------------------------------------------------------- exceptions
    def _exceptions(self) -> pd.DataFrame:
        """Exception messages, one row each: what is wrong, where, and what to do.

        ``exception`` is one of ``release_in_past, expedite, defer, cancel,
        past_due_receipt, shortage, below_safety_stock, past_due_demand,
        beyond_horizon, lot_rule_violated``; ``severity`` critical, warning or
        info; ``date`` the date concerned (due date, first bucket); ``new_date``
        the suggested date; ``qty`` [units] the order quantity (projected on
        hand for shortage and below_safety_stock).
        """
        ps = self.period_starts.to_numpy()
        start = np.datetime64(self.start.date(), "ns")
        parts = []
        o = self.orders_df
        late = o[o.rb_raw < 0]
        if len(late):
            oid = self.order_ids(late.seq.to_numpy())
            item = self.ids[late.i.to_numpy()]
            due = ps[late.b.to_numpy()]
            was = start + (late.rb_raw.to_numpy() * 7).astype("timedelta64[D]")
            parts.append(_exc("release_in_past", "critical", item, oid, due, start, late.qty.to_numpy(),
                              "Planned order " + _s(oid) + " for " + _g(late.qty) + " " + _s(item)
                              + " is needed in week of " + _d(due) + " but should have been released on "
                              + _d(was) + " (" + _s(-late.rb_raw.to_numpy()) + " week(s) ago): release it now "
                              "and expedite, or move the demand it serves."))
        parts += self._receipt_exceptions()
        low = np.flatnonzero(self.POH.min(axis=1) < np.maximum(self.ss, 0.0) - _TOL)
        POHl = self.POH[low]
        short = POHl < -_TOL
        below = (POHl < self.ss[low, None] - _TOL) & (self.ss[low, None] > 0)
        for kind, mask, sev in (("shortage", short, "critical"), ("below_safety_stock", below & ~short, "warning")):
            hit_l = np.flatnonzero(mask.any(axis=1))
            if not len(hit_l):
                continue
            hit = low[hit_l]
            b = mask[hit_l].argmax(axis=1)
            poh = self.POH[hit, b]
            item = self.ids[hit]
            if kind == "shortage":
                msg = (_s(item) + " runs short in week of " + _d(ps[b]) + " (projected on hand " + _g(poh)
                       + ", lowest " + _g(self.POH[hit].min(axis=1)) + ") inside the lead time: expedite open "
                       "supply or move demand.")
            else:
                msg = (_s(item) + " is projected at " + _g(poh) + ", below its safety stock " + _g(self.ss[hit])
                       + ", from week of " + _d(ps[b]) + ": supply cannot arrive sooner within the lead time; "
                       "expedite or accept the lower buffer.")
            parts.append(_exc(kind, sev, item, "", ps[b], np.datetime64("NaT"), poh, msg))
        dr = self.dem_rows
        past = dr[dr.due_date < self.start]
        if len(past):
            parts.append(_exc("past_due_demand", "warning", past.item_id, past.order_id, past.due_date, start,
                              past.qty, "Customer order " + _s(past.order_id) + " for " + _g(past.qty) + " "
                              + _s(past.item_id) + " was due " + _d(past.due_date) + ": it is planned in the "
                              "first week; agree a new date with the customer."))
        bey = self.dem_beyond
        if len(bey):
            parts.append(_exc("beyond_horizon", "info", bey.item_id, bey.order_id, bey.due_date,
                              np.datetime64("NaT"), bey.qty,
                              "Customer order " + _s(bey.order_id) + " for " + _g(bey.qty) + " " + _s(bey.item_id)
                              + " due " + _d(bey.due_date) + " is after the plan horizon and is not planned: "
                              "extend the horizon to include it."))
        if not parts:
            return _exc("", "", [], [], [], [], [], [])
        out = pd.concat(parts, ignore_index=True)
        return out

    def _receipt_exceptions(self):
        sr = self.sr_rows
        if sr.empty:
            return []
        ps = self.period_starts.to_numpy()
        start = np.datetime64(self.start.date(), "ns")
        H = self.H
        tol_w = self.settings.reschedule_tolerance_weeks
        nat = np.datetime64("NaT")
        parts = []
        # need date of each receipt with planned orders left out: the first bucket where the
        # cumulative requirement (safety stock + gross - on hand) exceeds the receipts before it
        inside = sr[sr._b < H].sort_values(["_i", "_b", "due_date", "order_id"], kind="stable")
        before = inside.groupby("_i").qty.cumsum().to_numpy() - inside.qty.to_numpy()
        i = inside._i.to_numpy()
        u, at = np.unique(i, return_inverse=True)
        R = self.ss[u, None] + np.cumsum(self.GR[u], axis=1) - self.on_hand[u, None]
        Rmax = np.maximum.accumulate(R, axis=1)[at]
        nb = (Rmax <= (before + _TOL)[:, None]).sum(axis=1)  # first bucket with Rmax > before
        b = inside._b.to_numpy()
        due = inside.due_date.to_numpy()
        oid, item, qty = inside.order_id.to_numpy(), inside.item_id.to_numpy(), inside.qty.to_numpy(dtype=float)
        head = "Order " + _s(oid) + " for " + _g(qty) + " " + _s(item)
        pastd = due < start
        if pastd.any():
            parts.append(_exc("past_due_receipt", "warning", item[pastd], oid[pastd], due[pastd], start, qty[pastd],
                              head[pastd] + " was due " + _d(due[pastd]) + " and is not received: it is counted "
                              "in the first week; confirm a new date with the supplier or shop."))
        cancel = nb >= H
        if cancel.any():
            parts.append(_exc("cancel", "warning", item[cancel], oid[cancel], due[cancel], nat, qty[cancel],
                              head[cancel] + " due " + _d(due[cancel]) + " is not needed within the horizon: "
                              "cancel it (or defer it beyond " + str(pd.Timestamp(ps[-1]).date()) + ")."))
        nbc = np.minimum(nb, H - 1)
        exp = ~cancel & (nb < b - tol_w)
        if exp.any():
            parts.append(_exc("expedite", "critical", item[exp], oid[exp], due[exp], ps[nbc[exp]], qty[exp],
                              head[exp] + " is due " + _d(due[exp]) + " but needed in week of " + _d(ps[nbc[exp]])
                              + ": expedite it " + _s(b[exp] - nb[exp]) + " week(s)."))
        dfr = ~cancel & (nb > b + tol_w) & ~pastd
        if dfr.any():
            parts.append(_exc("defer", "info", item[dfr], oid[dfr], due[dfr], ps[nbc[dfr]], qty[dfr],
                              head[dfr] + " is due " + _d(due[dfr]) + " but not needed before week of "
                              + _d(ps[nbc[dfr]]) + ": defer it " + _s(nb[dfr] - b[dfr]) + " week(s)."))
        # open orders against the item's lot rules
        j = sr._i.to_numpy()
        q = sr.qty.to_numpy(dtype=float)
        moq, mult, maxq, lot, rule = self.moq[j], self.mult[j], self.maxq[j], self.lot[j], self.rule[j]
        why = np.full(len(sr), "", dtype=object)

        def add(mask, text):
            nonlocal why
            why = np.where(mask, np.where(why == "", text, why + " and " + text), why)

        add((moq > 0) & (q < moq - _TOL), "below the minimum order quantity " + _g(moq))
        add(np.isfinite(maxq) & (maxq > 0) & (q > maxq + _TOL), "above the maximum order quantity " + _g(maxq))
        safe = np.where(mult > 0, mult, 1.0)
        add((mult > 0) & (np.abs(q / safe - np.round(q / safe)) > 1e-6), "not a multiple of " + _g(mult))
        safe = np.where(lot > 0, lot, 1.0)
        add((rule == _RULE_CODE["FOQ"]) & (lot > 0) & (np.abs(q / safe - np.round(q / safe)) > 1e-6),
            "not a multiple of the fixed lot size " + _g(lot))
        bad = why != ""
        if bad.any():
            oid, item = sr.order_id.to_numpy()[bad], sr.item_id.to_numpy()[bad]
            parts.append(_exc("lot_rule_violated", "info", item, oid, sr.due_date.to_numpy()[bad], nat, q[bad],
                              "Open order " + _s(oid) + " for " + _g(q[bad]) + " " + _s(item) + " is "
                              + why[bad].astype(str) + ": adjust the quantity or accept the exception."))
        return parts

    # ----------------------------------------------------------------- ATP
    def _atp(self) -> pd.DataFrame:
        """Discrete ATP with look-ahead per end item (Vollmann et al., MPS chapter), and its running total."""
        used = np.zeros(self.n, dtype=bool)
        used[self.b_comp] = True
        rows = self._in_item_order(np.flatnonzero(~used & ((self.orders > 0).any(axis=1) | (self.PR > 0).any(axis=1)
                                                           | (self.SR > 0).any(axis=1))))
        H = self.H
        mps = self.PR[rows] + self.SR[rows]
        booked = self.orders[rows]
        atp = available_to_promise(self.on_hand[rows], mps, booked)
        return pd.DataFrame({
            "item_id": np.repeat(self.ids[rows], H),
            "period": np.tile(np.arange(1, H + 1), len(rows)),
            "period_start": np.tile(self.period_starts.to_numpy(), len(rows)),
            "mps_qty": mps.ravel(),
            "customer_orders": booked.ravel(),
            "atp": atp.ravel(),
            "cumulative_atp": np.cumsum(atp, axis=1).ravel(),
        }, copy=False)

    # ----------------------------------------------------------------- capacity
    def _operation_load(self, planned: pd.DataFrame) -> dict:
        """Hours per operation of planned make orders and open production orders, by week.

        Returns arrays: ``wc`` (index into ``self.wc_ids``), ``b`` (0-based week the operation
        starts), ``hours``, ``crew_hours`` [h], ``released`` (open production order).
        """
        ds = self.ds
        rt = ds.routings
        wc_tab = list(ds.work_centers.work_center_id) if len(ds.work_centers) else []
        extra = sorted(set(rt.work_center_id.dropna()) - set(wc_tab))
        self.wc_ids = np.array(wc_tab + extra, dtype=object)
        empty = {"wc": np.zeros(0, np.int64), "b": np.zeros(0, np.int64), "hours": np.zeros(0),
                 "crew_hours": np.zeros(0), "released": np.zeros(0, bool)}
        if rt.empty:
            return empty
        # routings sorted by (internal item, op_seq), with a pointer per item
        ri = self._pos("routings", "item_id", rt.item_id)
        keep = ri >= 0
        order = np.lexsort((rt.op_seq.to_numpy()[keep], ri[keep]))
        r_item = ri[keep][order]
        r_seq = rt.op_seq.to_numpy()[keep][order]
        r_wc = pd.Index(self.wc_ids).get_indexer(rt.work_center_id.to_numpy()[keep][order])
        r_setup = rt.setup_min.fillna(0).to_numpy(dtype=float)[keep][order]
        r_run = rt.run_min_per_unit.fillna(0).to_numpy(dtype=float)[keep][order]
        r_crew = rt.crew_size.fillna(0).to_numpy(dtype=float)[keep][order]
        ptr = np.searchsorted(r_item, np.arange(self.n + 1))
        # orders: planned make orders, then open production orders
        o = self.orders_df
        mk = self.make[o.i.to_numpy()] if len(o) else np.zeros(0, bool)
        day0 = np.datetime64(self.start.date(), "D")
        sr = self.sr_rows[(self.sr_rows.order_type == "production") & (self.sr_rows._i >= 0)]
        o_item = np.concatenate([o.i.to_numpy()[mk], sr._i.to_numpy()]).astype(np.int64)
        o_qty = np.concatenate([o.qty.to_numpy()[mk], sr.qty.to_numpy(dtype=float)])
        o_due = np.concatenate([o.b.to_numpy()[mk] * 7, (sr.due_date.to_numpy("datetime64[D]") - day0).astype(np.int64)])
        o_rel = np.repeat([False, True], [int(mk.sum()), len(sr)])
        cnt = ptr[o_item + 1] - ptr[o_item]
        rep = np.repeat(np.arange(len(o_item)), cnt)
        k = np.arange(len(rep)) - np.repeat(np.cumsum(cnt) - cnt, cnt)
        op = ptr[o_item][rep] + k
        n_ops = cnt[rep]
        ok = np.ones(len(rep), dtype=bool)
        qty = o_qty[rep]
        setup = r_setup[op]
        prog = ds.operations_progress
        if len(prog) and len(sr):
            # released orders: done operations carry no load; a running one only its units to go
            n_plan = int(mk.sum())
            sr_ids = sr.order_id.to_numpy(dtype=object)
            rel = np.flatnonzero(o_rel[rep])
            keys = pd.MultiIndex.from_arrays([sr_ids[rep[rel] - n_plan], r_seq[op[rel]]])
            p = prog.set_index(["order_id", "op_seq"])
            p = p[~p.index.duplicated()]
            status = p.status.reindex(keys).to_numpy(dtype=object)
            done_qty = p.qty_done.fillna(0).reindex(keys).to_numpy(dtype=float)
            ok[rel[status == "done"]] = False
            running = rel[status == "running"]
            qty[running] = np.maximum(qty[running] - done_qty[status == "running"], 0.0)
            setup[running] = 0.0
        rep, k, op, n_ops, qty, setup = rep[ok], k[ok], op[ok], n_ops[ok], qty[ok], setup[ok]
        lt = self.items.lead_time_days.fillna(0).to_numpy(dtype=float)[o_item[rep]]
        start_day = o_due[rep] - lt + k * lt / n_ops
        b = np.clip(np.floor(start_day / 7.0), 0, self.H - 1).astype(np.int64)
        hours = (setup + qty * r_run[op]) / 60.0
        return {"wc": r_wc[op], "b": b, "hours": hours, "crew_hours": hours * r_crew[op], "released": o_rel[rep]}

    def _capacity_load(self, ops: dict) -> pd.DataFrame:
        ds = self.ds
        wc = ds.work_centers
        H, W = self.H, len(self.wc_ids)
        flat = ops["wc"] * H + ops["b"]
        rel = ops["released"]
        planned = np.bincount(flat[~rel], weights=ops["hours"][~rel], minlength=W * H)
        released = np.bincount(flat[rel], weights=ops["hours"][rel], minlength=W * H)
        avail = np.full(W * H, np.nan)
        if len(wc) and len(ds.machines) and len(ds.calendars):
            from planlib.calendar import available_hours
            av = available_hours(ds, self.start, H, freq="W")
            pos = pd.Index(self.wc_ids).get_indexer(av.work_center_id) * H + np.tile(np.arange(H), len(wc))
            avail[pos] = av.available_hours.to_numpy(dtype=float)
        load = planned + released
        with np.errstate(divide="ignore", invalid="ignore"):
            util = np.where(avail > 0, load / np.where(avail > 0, avail, 1.0),
                            np.where(np.isnan(avail), np.nan, np.where(load > 0, np.inf, 0.0)))
        return pd.DataFrame({
            "work_center_id": np.repeat(self.wc_ids, H),
            "period": np.tile(np.arange(1, H + 1), W),
            "period_start": np.tile(self.period_starts.to_numpy(), W),
            "planned_hours": planned,
            "released_hours": released,
            "load_hours": load,
            "available_hours": avail,
            "utilisation": util,
            "overload_hours": np.maximum(0.0, load - np.nan_to_num(avail, nan=np.inf)),
        })

    def _rough_cut(self) -> pd.DataFrame:
        """Rough-cut capacity per end item: bill of resources x MPS, in the MPS week."""
        bor = self.bill_of_resources()
        cols = ["item_id", "work_center_id", "period", "period_start", "mps_qty", "hours"]
        if bor.empty:
            return pd.DataFrame(columns=cols)
        used = np.zeros(self.n, dtype=bool)
        used[self.b_comp] = True
        fg = np.flatnonzero(~used)
        mps = self.PR[fg] + self.SR[fg]
        fi, fb = np.nonzero(mps > _TOL)
        q = pd.DataFrame({"item_id": self.ids[fg[fi]], "b": fb, "mps_qty": mps[fi, fb]})
        out = q.merge(bor, on="item_id", how="inner")
        out["hours"] = out.mps_qty * out.hours_per_unit
        out = out.sort_values(["item_id", "b", "work_center_id"], kind="stable")
        return pd.DataFrame({"item_id": out.item_id.to_numpy(), "work_center_id": out.work_center_id.to_numpy(),
                             "period": out.b.to_numpy() + 1,
                             "period_start": self.period_starts.to_numpy()[out.b.to_numpy()],
                             "mps_qty": out.mps_qty.to_numpy(), "hours": out.hours.to_numpy()}, copy=False)

    def bill_of_resources(self) -> pd.DataFrame:
        """Run hours per unit of each end item at each work center, over its whole BOM.

        Returns
        -------
        DataFrame
            ``item_id, work_center_id, hours_per_unit`` [h/unit], BOM lines in
            effect at the plan start, component scrap included, setups left out.
        """
        rt = self.ds.routings
        if rt.empty:
            return pd.DataFrame(columns=["item_id", "work_center_id", "hours_per_unit"])
        wcs = pd.Index(sorted(rt.work_center_id.unique()))
        own = np.zeros((self.n, len(wcs)))
        rows = self._pos("routings", "item_id", rt.item_id)
        ok = rows >= 0
        _accumulate(own, rows[ok] * len(wcs) + wcs.get_indexer(rt.work_center_id)[ok],
                    rt.run_min_per_unit.fillna(0).to_numpy()[ok] / 60.0)
        total = own
        eff = (self.b_from <= 0) & (self.b_to > 0)
        par_level = self.llc[self.b_par] if len(self.b_par) else np.zeros(0, dtype=np.int64)
        for level in range(int(self.llc.max()) - 1, -1, -1):
            lines = np.flatnonzero(eff & (par_level == level))  # sorted by parent
            if not len(lines):
                continue
            par = self.b_par[lines]
            starts = np.flatnonzero(np.r_[True, par[1:] != par[:-1]])
            contrib = self.b_qty[lines, None] * total[self.b_comp[lines]]
            total[par[starts]] += np.add.reduceat(contrib, starts, axis=0)
        used = np.zeros(self.n, dtype=bool)
        used[self.b_comp] = True
        fg = np.flatnonzero(~used)
        fi, wi = np.nonzero(total[fg] > 0)
        return pd.DataFrame({"item_id": self.ids[fg[fi]], "work_center_id": wcs.to_numpy()[wi],
                             "hours_per_unit": total[fg[fi], wi]})

    # ----------------------------------------------------------------- purchasing and cost
    def _purchase_requisitions(self, planned: pd.DataFrame) -> pd.DataFrame:
        buy = planned[planned.order_type == "buy"]
        cost = buy.item_id.map(self.items.set_index("item_id").unit_cost).fillna(0) * buy.qty
        g = buy.assign(cost=cost, supplier_id=buy.supplier_id.fillna("(no supplier)"))
        out = g.groupby(["supplier_id", "release_date"], sort=True).agg(
            orders=("order_id", "size"), items=("item_id", "nunique"), qty=("qty", "sum"),
            cost=("cost", "sum")).reset_index()
        period = ((out.release_date - self.start).dt.days // 7 + 1).astype(int)
        return pd.DataFrame({"supplier_id": out.supplier_id, "period": period, "period_start": out.release_date,
                             "orders": out.orders, "items": out["items"], "qty": out.qty, "cost": out.cost})

    def _cost_projection(self, planned: pd.DataFrame, ops: dict) -> pd.DataFrame:
        H = self.H
        o = self.orders_df
        i = o.i.to_numpy().astype(np.int64)
        b_due = o.b.to_numpy().astype(np.int64)
        b_rel = o.rb.to_numpy().astype(np.int64)
        buy = ~self.make[i]
        material = np.bincount(b_due[buy], weights=(o.qty.to_numpy() * self.cost[i])[buy], minlength=H)[:H]
        orders = np.bincount(b_rel, weights=self.K[i], minlength=H)[:H]
        labour = np.zeros(H)
        machine = np.zeros(H)
        wc = self.ds.work_centers
        if len(ops["wc"]) and len(wc):
            w = wc.set_index("work_center_id").reindex(self.wc_ids)
            labour_rate = w.labour_cost_per_hour.fillna(0).to_numpy(dtype=float)
            machine_rate = w.cost_per_hour.fillna(0).to_numpy(dtype=float)
            labour = np.bincount(ops["b"], weights=ops["crew_hours"] * labour_rate[ops["wc"]], minlength=H)[:H]
            machine = np.bincount(ops["b"], weights=ops["hours"] * machine_rate[ops["wc"]], minlength=H)[:H]
        holding = (np.maximum(self.POH, 0) * self.h[:, None]).sum(axis=0)
        return pd.DataFrame({"period": np.arange(1, H + 1), "period_start": self.period_starts,
                             "material_cost": material, "labour_cost": labour, "machine_cost": machine,
                             "order_cost": orders, "holding_cost": holding,
                             "total_cost": material + labour + machine + orders + holding})


# =========================================================================== helpers

class _Clock:
    """Records the seconds since the previous call under a phase name (or does nothing)."""

    def __init__(self, timings: dict | None) -> None:
        import time
        self._now, self._cpu = time.perf_counter, time.process_time
        self.timings = timings
        self.t, self.c = self._now(), self._cpu()

    def __call__(self, phase: str) -> None:
        if self.timings is not None:
            t, c = self._now(), self._cpu()
            self.timings[phase] = self.timings.get(phase, 0.0) + t - self.t
            self.timings["cpu:" + phase] = self.timings.get("cpu:" + phase, 0.0) + c - self.c
            self.t, self.c = t, c


def available_to_promise(on_hand, mps, booked) -> np.ndarray:
    """Discrete available-to-promise with look-ahead, for many items at once.

    In the first bucket and each bucket with an MPS quantity, ATP is on hand
    (first bucket only) plus the MPS quantity, less the customer orders booked
    from that bucket up to the next MPS bucket. A negative ATP is taken from
    the ATP of earlier MPS buckets (look-ahead), latest first.

    Parameters
    ----------
    on_hand : ndarray, shape (items,)
        Available stock at the plan start [units].
    mps, booked : ndarray, shape (items, periods)
        MPS receipts (planned and scheduled) and booked customer orders [units].

    Returns
    -------
    ndarray, shape (items, periods)
        ATP per bucket [units]; 0 in buckets without MPS (except the first).

    References
    ----------
    Vollmann, Berry, Whybark and Jacobs, Manufacturing Planning and Control for
    Supply Chain Management, 5th ed., 2005, chapter on master production scheduling.
    """
    mps = np.asarray(mps, dtype=float)
    booked = np.asarray(booked, dtype=float)
    m, H = mps.shape
    event = mps > _TOL
    event[:, 0] = True
    owner = np.maximum.accumulate(np.where(event, np.arange(H)[None, :], 0), axis=1)
    atp = np.zeros((m, H))
    atp[:, 0] = on_hand
    atp += np.where(event, mps, 0.0)
    rows = np.repeat(np.arange(m), H)
    np.add.at(atp, (rows, owner.ravel()), -booked.ravel())
    # look-ahead: push negatives back to the previous MPS bucket
    carry = np.zeros(m)
    for t in range(H - 1, -1, -1):
        atp[:, t] += np.where(event[:, t], carry, 0.0)
        carry = np.where(event[:, t], 0.0, carry)
        neg = event[:, t] & (atp[:, t] < -_TOL) & (t > 0)
        carry = np.where(neg, atp[:, t], carry)
        atp[:, t] = np.where(neg, 0.0, atp[:, t])
    atp[np.abs(atp) < _TOL] = 0.0
    return atp


def trace_pegging(pegging: pd.DataFrame, order_id: str) -> pd.DataFrame:
    """Follow a supply up through every level to the demands at the top.

    Parameters
    ----------
    pegging : DataFrame
        :attr:`MrpResult.pegging`.
    order_id : str
        A planned order or scheduled receipt id (``supply_id``).

    Returns
    -------
    DataFrame
        ``demand_type, demand_id, demand_item_id, demand_date, qty``: the
        customer orders, forecast and safety stock the supply serves, with the
        share of the supply's quantity [units of the supply's item] that each
        one takes, shares split in proportion at every level.
    """
    rows = pegging[pegging.supply_id == order_id]
    frontier = [(r.demand_type, r.demand_id, r.demand_item_id, r.demand_date, float(r.qty)) for r in rows.itertuples()]
    by_supply = {k: g for k, g in pegging.groupby("supply_id", observed=True)}
    out = []
    while frontier:
        dtype, did, ditem, ddate, qty = frontier.pop()
        if dtype != "dependent":
            out.append((dtype, did, ditem, ddate, qty))
            continue
        parent = by_supply.get(did)
        if parent is None or parent.qty.sum() <= 0:
            out.append((dtype, did, ditem, ddate, qty))
            continue
        share = qty / parent.qty.sum()
        for r in parent.itertuples():
            frontier.append((r.demand_type, r.demand_id, r.demand_item_id, r.demand_date, r.qty * share))
    res = pd.DataFrame(out, columns=["demand_type", "demand_id", "demand_item_id", "demand_date", "qty"])
    return res.groupby(["demand_type", "demand_id", "demand_item_id", "demand_date"], as_index=False, dropna=False,
                       observed=True).qty.sum()


def _sort_key(i, b, rank, prio, days) -> np.ndarray:
    """One int64 sort key: item, bucket, rank, priority, date (days, offset to be >= 0)."""
    d = days - (days.min() if len(days) else 0)
    d = np.clip(d, 0, (1 << 20) - 1)
    nb = int(b.max()) + 1 if len(b) else 1
    return ((((i.astype(np.int64) * nb + b) * 8 + rank) * 16 + np.clip(prio, 0, 15)) << 20) + d


def _labels(codes: np.ndarray, parts: list) -> pd.Categorical | np.ndarray:
    """Labels of ``codes`` into the concatenated id lists: a categorical when the ids are
    unique across the lists (the usual case), else plain strings."""
    cats = np.concatenate(parts) if parts else np.zeros(0, dtype=object)
    index = pd.Index(cats)
    if index.is_unique:
        return pd.Categorical.from_codes(codes, categories=index)
    return cats[codes]


def _days_to_ts(day0, days) -> np.ndarray:
    nat = np.iinfo(np.int64).min
    out = (day0 + np.where(days == nat, 0, days).astype("timedelta64[D]")).astype("datetime64[ns]")
    out[days == nat] = np.datetime64("NaT")
    return out


def _fifo_segments(d_i, d_qty, s_i, s_qty, n):
    """Overlap of demand and supply segments on each item's cumulative-quantity axis.

    Demands and supplies are each sorted by item, then in the order they are
    served and used. Returns ``(demand_pos, supply_pos, qty, item)`` per
    overlap, ``-1`` where a demand has no supply (shortage) or a supply no
    demand (excess).
    """
    d_tot = np.bincount(d_i, weights=d_qty, minlength=n)
    s_tot = np.bincount(s_i, weights=s_qty, minlength=n)
    span = np.maximum(d_tot, s_tot) + 1.0
    base = np.concatenate([[0.0], np.cumsum(span)[:-1]])
    d_end = base[d_i] + _cum_within(d_i, d_qty)
    s_end = base[s_i] + _cum_within(s_i, s_qty)
    d_start = d_end - d_qty
    s_start = s_end - s_qty
    pts = np.sort(np.concatenate([d_start, d_end, s_start, s_end]), kind="stable")
    if len(pts) == 0:
        z = np.zeros(0, dtype=np.int64)
        return z, z, np.zeros(0), z
    pts = pts[np.r_[True, np.diff(pts) > 0]]
    lo, hi = pts[:-1], pts[1:]
    mid = (lo + hi) / 2
    nd, ns = len(d_qty), len(s_qty)
    dk = np.searchsorted(d_end, mid, side="right")
    sk = np.searchsorted(s_end, mid, side="right")
    in_d = (dk < nd) & (d_start[np.minimum(dk, max(nd - 1, 0))] <= mid) if nd else np.zeros(len(mid), bool)
    in_s = (sk < ns) & (s_start[np.minimum(sk, max(ns - 1, 0))] <= mid) if ns else np.zeros(len(mid), bool)
    keep = (in_d | in_s) & (hi - lo > _TOL)
    lo, hi, dk, sk, in_d, in_s = lo[keep], hi[keep], dk[keep], sk[keep], in_d[keep], in_s[keep]
    dk = np.where(in_d, dk, -1)
    sk = np.where(in_s, sk, -1)
    item = np.where(in_d, d_i[np.maximum(dk, 0)] if nd else -1, s_i[np.maximum(sk, 0)] if ns else -1)
    # merge neighbouring pieces of the same pair
    new = np.r_[True, (dk[1:] != dk[:-1]) | (sk[1:] != sk[:-1]) | (item[1:] != item[:-1])]
    starts = np.flatnonzero(new)
    qty = np.add.reduceat(hi - lo, starts) if len(starts) else np.zeros(0)
    return dk[starts], sk[starts], qty, item[starts]


def _exc(kind, severity, item, order, date, new_date, qty, message) -> pd.DataFrame:
    n = len(item)
    return pd.DataFrame({
        "exception": np.full(n, kind, dtype=object), "severity": np.full(n, severity, dtype=object),
        "item_id": np.asarray(item, dtype=object), "order_id": np.broadcast_to(np.asarray(order, dtype=object), (n,)),
        "date": pd.to_datetime(np.broadcast_to(np.asarray(date, dtype="datetime64[ns]"), (n,))),
        "new_date": pd.to_datetime(np.broadcast_to(np.asarray(new_date, dtype="datetime64[ns]"), (n,))),
        "qty": np.asarray(qty, dtype=float), "message": np.asarray(message, dtype=object)})


def _s(values) -> np.ndarray:
    return np.asarray(pd.Series(np.asarray(values)).astype(str).to_numpy(), dtype=object)


def _g(values) -> np.ndarray:
    return np.asarray([f"{v:g}" for v in np.asarray(values, dtype=float)], dtype=object)


def _d(values) -> np.ndarray:
    return np.asarray(pd.DatetimeIndex(np.asarray(values, dtype="datetime64[ns]")).strftime("%Y-%m-%d"), dtype=object)

def _accumulate(target: np.ndarray, flat_index, values) -> None:
    """``target.flat[flat_index] += values`` with repeated indices summed (in place)."""
    flat_index = np.asarray(flat_index, dtype=np.int64)
    if len(flat_index) == 0:
        return
    view = target.reshape(-1)
    if len(flat_index) * 8 > view.size:
        view += np.bincount(flat_index, weights=values, minlength=view.size)
    else:
        u, inv = np.unique(flat_index, return_inverse=True)
        view[u] += np.bincount(inv, weights=values, minlength=len(u))


def _cum_within(group: np.ndarray, qty: np.ndarray) -> np.ndarray:
    """Cumulative sum of ``qty`` restarting at each change of the (sorted) ``group``."""
    c = np.cumsum(qty)
    if len(c) == 0:
        return c
    first = np.r_[True, group[1:] != group[:-1]]
    starts = np.flatnonzero(first)
    offset = np.repeat(np.r_[0.0, c[starts[1:] - 1]], np.diff(np.r_[starts, len(c)]))
    return c - offset


def _ceil_div_days(delta) -> np.ndarray:
    days = delta.astype("timedelta64[D]").astype(np.int64)
    return -np.floor_divide(-days, 7)


def _clean(a: np.ndarray) -> np.ndarray:
    out = np.where(np.abs(a) < _TOL, 0.0, a)
    return out


def _empty_orders() -> pd.DataFrame:
    return pd.DataFrame({"seq": np.zeros(0, np.int64), "i": np.zeros(0, np.int64), "b": np.zeros(0, np.int64),
                         "rb": np.zeros(0, np.int64), "rb_raw": np.zeros(0, np.int64), "qty": np.zeros(0),
                         "receipt_qty": np.zeros(0)})


def _empty_pegging() -> pd.DataFrame:
    return pd.DataFrame(columns=["item_id", "supply_type", "supply_id", "supply_date", "demand_type",
                                 "demand_id", "demand_item_id", "demand_date", "qty"])
