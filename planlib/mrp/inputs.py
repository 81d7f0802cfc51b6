"""Plan inputs: everything MRP derives from the dataset before netting, computed once.

:func:`plan_inputs` turns a dataset that passed :func:`planlib.mrp.checks.check_inputs`
into a frozen :class:`PlanInputs`: the items in low-level-code order with their
planning attributes as arrays, independent demand per item and bucket (customer
orders plus the forecast they leave unconsumed), scheduled receipts per bucket, the
BOM as arrays sorted by parent, the end-item mask, the routing lines' items and the
work-center ids. Netting (:mod:`planlib.mrp.netting`) and every output table read
it and never change it.

Arrays "per item" have one entry per *plan row*: the items in low-level-code order
(stable), so that each level is a contiguous block of rows. ``source_row`` maps a
plan row to its row in ``dataset.items``, ``plan_row`` the other way; output tables
list items in the items table's order.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from planlib import buckets
from planlib.dataset import Dataset
from planlib.mrp._arrays import DECIMALS, WEEKS_PER_YEAR, accumulate
from planlib.mrp.checks import LOT_RULE_CODES, ItemLookup
from planlib.mrp.settings import MrpSettings
from planlib.params import PlanParams

#: Units of measure counted in whole pieces (see ``MrpSettings.whole_units``).
COUNTED_UOMS = ("ea", "pc", "pcs", "piece", "pieces", "unit", "units")


@dataclass(frozen=True, eq=False)
class PlanInputs:
    """The inputs of one MRP run as arrays, derived once from the dataset.

    ``n`` items (plan rows, in low-level-code order) and ``n_periods`` weekly
    buckets; ``(n, n_periods)`` arrays hold a quantity per item and bucket [units].

    Attributes
    ----------
    dataset, settings
        What the run was called with (``dataset`` for the capacity and cost tables).
    start : Timestamp
        The plan start (a Monday); bucket ``b`` (0-based) starts ``7 * b`` days later.
    n_periods : int
        Weekly buckets in the horizon.
    period_starts : DatetimeIndex
        First day of each bucket.
    items : DataFrame
        ``dataset.items`` in plan-row order.
    item_ids : ndarray
        ``items.item_id``.
    source_row, plan_row : ndarray of int
        Plan row -> row of ``dataset.items``, and row of ``dataset.items`` -> plan row.
    low_level_code : ndarray of int
        Deepest BOM level of each item (0 = finished good), non-decreasing.
    level_start : ndarray of int
        First plan row of each low-level code (and ``n`` at the end).
    end_item : ndarray of bool
        Items no BOM line uses as a component (the MPS items).
    lead_time : ndarray of int
        Lead time in weekly buckets (:func:`planlib.buckets.lead_time_buckets`).
    safety_stock, on_hand : ndarray
        Safety stock and available stock at the start (``on_hand - allocated``) [units].
    unit_cost, order_cost : ndarray
        [currency/unit], [currency/order].
    holding_cost : ndarray
        ``unit_cost x holding_cost_rate / 52`` [currency/unit/week].
    lot_rule : ndarray of int
        Code of the lot rule (:data:`planlib.mrp.checks.LOT_RULE_CODES`).
    lot_size, min_order_qty, order_multiple, max_order_qty : ndarray
        [units] (``lot_size`` [buckets] for POQ); 0 (NaN for the maximum) means none.
    scrap : ndarray
        Fraction of a release lost to scrap (``scrap_pct / 100``).
    make : ndarray of bool
        Made in-house (else bought).
    whole_units : ndarray of bool
        Lot-sized quantities rounded up to whole units.
    demand : DataFrame
        Customer order lines due within the horizon (``dataset.demand`` columns) and
        ``_row`` (plan row), ``_bucket`` (0-based; past due -> 0).
    demand_beyond_horizon : DataFrame
        Customer order lines due after the horizon (not planned).
    customer_orders, forecast, unconsumed_forecast, independent_demand : ndarray (n, n_periods)
        Customer orders, forecast, forecast left after consumption by the orders
        (0 inside the demand time fence), and their sum (what enters gross requirements).
    has_forecast : bool
        A forecast was given.
    scheduled_receipts : DataFrame
        Every open order (``dataset.scheduled_receipts`` columns) and ``_row``, ``_bucket``
        (0-based; past due -> 0, after the horizon -> ``n_periods``).
    receipts : ndarray (n, n_periods)
        Scheduled receipts per item and bucket.
    bom_parent, bom_component : ndarray of int
        Plan rows of each BOM line, lines sorted by parent (stable).
    bom_qty : ndarray
        Component quantity per parent unit, component scrap included.
    bom_from, bom_to : ndarray of int
        Buckets in which the line is used for releases: ``[bom_from, bom_to)``.
    bom_ptr : ndarray of int
        Lines of parent row ``r``: ``bom_ptr[r]:bom_ptr[r + 1]``.
    routing_row : ndarray of int
        Plan row of each ``dataset.routings`` line (-1 for an unknown item).
    work_center_ids : ndarray of object
        The work centers of ``dataset.work_centers``, then any others routings name (sorted).
    """

    dataset: Dataset
    settings: MrpSettings
    start: pd.Timestamp
    n_periods: int
    period_starts: pd.DatetimeIndex
    items: pd.DataFrame
    item_ids: np.ndarray
    source_row: np.ndarray
    plan_row: np.ndarray
    low_level_code: np.ndarray
    level_start: np.ndarray
    end_item: np.ndarray
    lead_time: np.ndarray
    safety_stock: np.ndarray
    on_hand: np.ndarray
    unit_cost: np.ndarray
    order_cost: np.ndarray
    holding_cost: np.ndarray
    lot_rule: np.ndarray
    lot_size: np.ndarray
    min_order_qty: np.ndarray
    order_multiple: np.ndarray
    max_order_qty: np.ndarray
    scrap: np.ndarray
    make: np.ndarray
    whole_units: np.ndarray
    demand: pd.DataFrame
    demand_beyond_horizon: pd.DataFrame
    customer_orders: np.ndarray
    forecast: np.ndarray
    unconsumed_forecast: np.ndarray
    independent_demand: np.ndarray
    has_forecast: bool
    scheduled_receipts: pd.DataFrame
    receipts: np.ndarray
    bom_parent: np.ndarray
    bom_component: np.ndarray
    bom_qty: np.ndarray
    bom_from: np.ndarray
    bom_to: np.ndarray
    bom_ptr: np.ndarray
    routing_row: np.ndarray
    work_center_ids: np.ndarray

    @property
    def n(self) -> int:
        """Number of items."""
        return len(self.item_ids)

    def in_items_order(self, rows: np.ndarray) -> np.ndarray:
        """Plan rows re-ordered as their items are in ``dataset.items``."""
        return rows[np.argsort(self.source_row[rows], kind="stable")]


def plan_inputs(dataset: Dataset, params: PlanParams, forecast: pd.DataFrame | None,
                safety_stock: pd.DataFrame | None, settings: MrpSettings, lookup: ItemLookup) -> PlanInputs:
    """The plan's inputs from a dataset that passed :func:`planlib.mrp.checks.check_inputs`.

    Parameters
    ----------
    dataset, params, forecast, safety_stock, settings
        As for :func:`planlib.mrp.run_mrp`.
    lookup : ItemLookup
        The one the checks used (item positions and low-level codes).

    Returns
    -------
    PlanInputs
    """
    start = pd.Timestamp(params.plan_start)
    H = int(params.horizon_weeks)
    items = dataset.items.reset_index(drop=True)
    llc = lookup.llc(dataset.bom) if len(dataset.bom) else np.zeros(len(items), dtype=np.int64)
    source_row = np.argsort(llc, kind="stable")
    plan_row = np.argsort(source_row)
    if not (source_row == np.arange(len(source_row))).all():
        items = items.iloc[source_row].reset_index(drop=True)
    n = len(items)
    llc = llc[source_row]

    def rows_of(table: str, column: str, values) -> np.ndarray:
        """Plan rows of the item ids in ``table.column`` (-1 for none)."""
        p = lookup.pos(table, column, values)
        return np.where(p >= 0, plan_row[np.maximum(p, 0)], -1)

    item_ids = items.item_id.to_numpy()
    item_index = pd.Index(item_ids)
    unit_cost = items.unit_cost.fillna(0).to_numpy(dtype=float)
    bom = _bom_arrays(dataset.bom, rows_of, start, n)
    end_item = np.ones(n, dtype=bool)
    end_item[bom["bom_component"]] = False
    routings = dataset.routings
    work_centers = list(dataset.work_centers.work_center_id) if len(dataset.work_centers) else []
    others = sorted(set(routings.work_center_id.dropna()) - set(work_centers))
    return PlanInputs(
        dataset=dataset, settings=settings, start=start, n_periods=H,
        period_starts=buckets.week_starts(start, H),
        items=items, item_ids=item_ids, source_row=source_row, plan_row=plan_row,
        low_level_code=llc, level_start=np.searchsorted(llc, np.arange(int(llc.max()) + 2 if n else 1)),
        end_item=end_item,
        lead_time=buckets.lead_time_buckets(items.lead_time_days.to_numpy()),
        safety_stock=_safety_stock(items, safety_stock, item_index),
        on_hand=_on_hand(dataset.inventory, rows_of, n),
        unit_cost=unit_cost,
        order_cost=items.order_cost.fillna(0).to_numpy(dtype=float),
        holding_cost=unit_cost * items.holding_cost_rate.fillna(0.25).to_numpy(dtype=float) / WEEKS_PER_YEAR,
        lot_rule=items.lot_rule.fillna("L4L").map(LOT_RULE_CODES).to_numpy(),
        lot_size=items.lot_size.fillna(0).to_numpy(dtype=float),
        min_order_qty=items.min_order_qty.fillna(0).to_numpy(dtype=float),
        order_multiple=items.order_multiple.fillna(0).to_numpy(dtype=float),
        max_order_qty=items.max_order_qty.to_numpy(dtype=float),
        scrap=items.scrap_pct.fillna(0).to_numpy(dtype=float) / 100.0,
        make=(items.item_type == "make").to_numpy(),
        whole_units=(items.uom.fillna("ea").str.strip().str.lower().isin(COUNTED_UOMS).to_numpy()
                     if settings.whole_units else np.zeros(n, dtype=bool)),
        **_independent_demand(dataset.demand, forecast, params, start, H, rows_of, item_index),
        **_scheduled_receipts(dataset.scheduled_receipts, start, H, rows_of, n),
        **bom,
        routing_row=(rows_of("routings", "item_id", routings.item_id) if len(routings)
                     else np.zeros(0, dtype=np.int64)),
        work_center_ids=np.array(work_centers + others, dtype=object),
    )


def _safety_stock(items: pd.DataFrame, safety_stock: pd.DataFrame | None, item_index: pd.Index) -> np.ndarray:
    """``items.safety_stock``, replaced by the ``safety_stock`` table's for the items it lists [units]."""
    ss = items.safety_stock.fillna(0).to_numpy(dtype=float)
    if safety_stock is not None and len(safety_stock):
        pos = item_index.get_indexer(safety_stock.item_id)
        ss = ss.copy()
        ss[pos] = pd.to_numeric(safety_stock.safety_stock).to_numpy(dtype=float)
    return np.round(ss, DECIMALS)


def _on_hand(inventory: pd.DataFrame, rows_of, n: int) -> np.ndarray:
    """Available stock per item: ``on_hand - allocated`` summed over its inventory rows [units]."""
    on_hand = np.zeros(n)
    if len(inventory):
        avail = inventory.on_hand.fillna(0).to_numpy() - inventory.allocated.fillna(0).to_numpy()
        accumulate(on_hand, rows_of("inventory", "item_id", inventory.item_id), avail)
        on_hand = np.round(on_hand, DECIMALS)
    return on_hand


def _independent_demand(demand: pd.DataFrame, forecast: pd.DataFrame | None, params: PlanParams,
                        start: pd.Timestamp, H: int, rows_of, item_index: pd.Index) -> dict:
    """Customer orders and the forecast they leave, per item and bucket (see :class:`PlanInputs`)."""
    n = len(item_index)
    b = buckets.week_index(demand.due_date, start, H) if len(demand) else np.zeros(0, dtype=np.int64)
    inside = b < H
    lines = demand.assign(_bucket=b, _row=rows_of("demand", "item_id", demand.item_id))[inside]
    orders = np.zeros((n, H))
    accumulate(orders, lines._row.to_numpy() * H + lines._bucket.to_numpy(), lines.qty.to_numpy(dtype=float))
    fc = np.zeros((n, H))
    left = np.zeros((n, H))
    if forecast is not None and len(forecast):
        f_dates = pd.to_datetime(forecast.period_start)
        fb = buckets.week_index(f_dates, start, H)
        ok = (f_dates >= start).to_numpy() & (fb < H)
        fi = item_index.get_indexer(forecast.item_id)[ok]
        accumulate(fc, fi * H + fb[ok], pd.to_numeric(forecast.forecast).to_numpy(dtype=float)[ok])
        rows = np.flatnonzero(fc.any(axis=1))
        if len(rows):
            # past-due orders (dated before the plan start) consume no forecast
            consuming = orders[rows].copy()
            past = lines[lines.due_date < start]
            if len(past):
                sub = np.zeros((n, H))
                accumulate(sub, past._row.to_numpy() * H + past._bucket.to_numpy(), past.qty.to_numpy(dtype=float))
                consuming -= sub[rows]
            left[rows] = consume_forecast(consuming, fc[rows], int(params.consumption_backward_weeks),
                                          int(params.consumption_forward_weeks))
    left[:, :min(int(params.demand_time_fence_weeks), H)] = 0.0
    has_forecast = forecast is not None and bool(len(forecast))
    return {"demand": lines, "demand_beyond_horizon": demand[~inside], "customer_orders": orders,
            "forecast": fc, "unconsumed_forecast": left, "has_forecast": has_forecast,
            "independent_demand": orders + left if has_forecast else orders}


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
    backward, forward : int
        Buckets before and after an order's bucket whose forecast it may consume.

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


def _scheduled_receipts(receipts: pd.DataFrame, start: pd.Timestamp, H: int, rows_of, n: int) -> dict:
    """Open orders with their plan row and bucket, and their quantities per item and bucket."""
    b = buckets.week_index(receipts.due_date, start, H) if len(receipts) else np.zeros(0, dtype=np.int64)
    lines = receipts.assign(_bucket=b, _row=rows_of("scheduled_receipts", "item_id", receipts.item_id)
                            ).reset_index(drop=True)
    inside = lines[lines._bucket < H]
    grid = np.zeros((n, H))
    accumulate(grid, inside._row.to_numpy() * H + inside._bucket.to_numpy(), inside.qty.to_numpy(dtype=float))
    np.round(grid, DECIMALS, out=grid)
    return {"scheduled_receipts": lines, "receipts": grid}


def _bom_arrays(bom: pd.DataFrame, rows_of, start: pd.Timestamp, n: int) -> dict:
    """BOM lines as arrays sorted by parent (see :class:`PlanInputs`), effectivity as buckets."""
    par = rows_of("bom", "parent_id", bom.parent_id) if len(bom) else np.zeros(0, dtype=np.int64)
    order = np.argsort(par, kind="stable")
    parent = par[order]
    component = (rows_of("bom", "component_id", bom.component_id) if len(bom) else np.zeros(0, dtype=np.int64))[order]
    qty = (bom.qty_per.to_numpy(dtype=float) * (1 + bom.scrap_pct.fillna(0).to_numpy(dtype=float) / 100.0)
           )[order] if len(bom) else np.zeros(0)
    day0 = np.datetime64(start.date(), "D")
    vf = bom.valid_from.to_numpy("datetime64[D]")[order] if len(bom) else np.zeros(0, "datetime64[D]")
    vt = bom.valid_to.to_numpy("datetime64[D]")[order] if len(bom) else np.zeros(0, "datetime64[D]")
    # a line valid from day d is used from the first bucket starting on or after d
    return {"bom_parent": parent, "bom_component": component, "bom_qty": qty,
            "bom_from": np.where(np.isnat(vf), -(10 ** 9), _weeks_rounded_up(vf - day0)),
            "bom_to": np.where(np.isnat(vt), 10 ** 9, _weeks_rounded_up(vt - day0)),
            "bom_ptr": np.searchsorted(parent, np.arange(n + 1))}


def _weeks_rounded_up(delta) -> np.ndarray:
    """Whole weeks in each ``timedelta64`` (days), rounded up: the first bucket starting on or after it."""
    days = delta.astype("timedelta64[D]").astype(np.int64)
    return -np.floor_divide(-days, 7)
