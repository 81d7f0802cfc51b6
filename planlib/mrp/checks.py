"""Input checks: the problems that make an MRP run impossible, each naming its table, row and column.

:func:`check_inputs` returns them as a problems table (:mod:`planlib.problems`);
:func:`planlib.mrp.run_mrp` raises :class:`planlib.problems.InputError` with the
errors before it plans anything. :class:`ItemLookup` finds item ids in the items
table once per (table, column) and computes the low-level codes; the checks and
:func:`planlib.mrp.inputs.plan_inputs` share it.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from planlib import buckets
from planlib.dataset import Dataset
from planlib.mrp._arrays import repeat_ranges
from planlib.params import PlanParams
from planlib.problems import InputError, Problems

#: Lot-sizing rules and their codes in the plan's arrays (``items.lot_rule``; empty means L4L).
LOT_RULE_CODES = {r: i for i, r in enumerate(("L4L", "FOQ", "POQ", "EOQ", "WW", "SM", "LUC", "PPB"))}


def check_inputs(ds: Dataset, params: PlanParams, forecast: pd.DataFrame | None = None,
                 safety_stock: pd.DataFrame | None = None, _lookup: ItemLookup | None = None) -> pd.DataFrame:
    """Problems that make an MRP run impossible, as a problems table.

    Checks weekly buckets and a Monday plan start, one row per item with a lead
    time, a known lot rule and valid lot sizes, known items wherever an item id
    is referenced, a BOM without cycles, readable forecast and safety-stock
    tables, and demand or forecast on or after the plan start.

    Parameters
    ----------
    ds : Dataset
        Uses ``items, bom, demand, scheduled_receipts, inventory``.
    params : PlanParams
        ``plan_start``, ``bucket``.
    forecast, safety_stock : DataFrame, optional
        As for :func:`planlib.mrp.run_mrp`.
    _lookup : ItemLookup, optional
        Shared with :func:`planlib.mrp.inputs.plan_inputs` (internal).

    Returns
    -------
    DataFrame
        ``severity, table, row, column, value, problem, fix`` (see :mod:`planlib.problems`),
        one row per problem; ``severity == "error"`` rows prevent planning.
    """
    p = Problems()
    start = pd.Timestamp(params.plan_start)
    if params.bucket != "W":
        p.add("params", "bucket", "bucket", params.bucket, "MRP plans in weekly buckets only",
              "use bucket='W'")
    if start.weekday() != 0:
        monday = buckets.monday(start).date()
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
    bad_rule = ~rule.isin(list(LOT_RULE_CODES))
    for pos in np.flatnonzero(bad_rule.to_numpy()):
        p.add("items", ds.where("items", pos), "lot_rule", rule.iloc[pos], "unknown lot rule",
              "use one of " + ", ".join(LOT_RULE_CODES))
    bad_max = items.max_order_qty.notna() & ((items.max_order_qty <= 0) |
                                             (items.max_order_qty < items.min_order_qty.fillna(0)))
    for pos in np.flatnonzero(bad_max.to_numpy()):
        p.add("items", ds.where("items", pos), "max_order_qty", _fmt(items.max_order_qty.iloc[pos]),
              "max_order_qty is not positive or below min_order_qty", "raise it or leave it empty")
    for pos in np.flatnonzero((items.scrap_pct.fillna(0) >= 100).to_numpy()):
        p.add("items", ds.where("items", pos), "scrap_pct", _fmt(items.scrap_pct.iloc[pos]),
              "scrap of 100 % or more leaves nothing", "give the percent lost, below 100")
    lookup = _lookup if _lookup is not None else ItemLookup(items.item_id)
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


# --------------------------------------------------------------------------- item positions, low-level codes

class ItemLookup:
    """Positions of item ids in the items table, computed once per (table, column).

    Parameters
    ----------
    item_ids : Series
        ``items.item_id``.
    """

    def __init__(self, item_ids: pd.Series) -> None:
        self.index = pd.Index(item_ids.dropna().unique())
        self._memo: dict = {}
        self._llc = False

    def pos(self, table: str, column: str, values) -> np.ndarray:
        """Position in :attr:`index` of each id in ``values`` (``table.column``), -1 for an unknown id."""
        key = (table, column)
        if key not in self._memo:
            self._memo[key] = self.index.get_indexer(values)
        return self._memo[key]

    def llc(self, bom: pd.DataFrame):
        """Low-level codes over the known items (ndarray of int), or None if the BOM has a cycle."""
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
    """Low-level codes of ``n`` items from BOM lines given as item positions (layered topological sort,
    Kahn: an item's level is one below its deepest parent); InputError on a cycle."""
    llc = np.zeros(n, dtype=np.int64)
    order = np.argsort(par, kind="stable")
    par, comp = par[order], comp[order]
    ptr = np.searchsorted(par, np.arange(n + 1))
    indeg = np.bincount(comp, minlength=n)
    frontier = np.flatnonzero(indeg == 0)
    level, done = 0, 0
    while len(frontier):
        llc[frontier] = level
        done += len(frontier)
        children = comp[repeat_ranges(ptr[frontier], ptr[frontier + 1] - ptr[frontier])]
        np.subtract.at(indeg, children, 1)
        frontier = np.unique(children[indeg[children] == 0])
        level += 1
    if done < n:
        raise InputError("BOM cycle: some items are their own components")
    return llc
