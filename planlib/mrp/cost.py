"""Cost: purchase requisitions by supplier and week, and the plan's cost week by week."""
from __future__ import annotations

import numpy as np
import pandas as pd

from planlib import buckets
from planlib.mrp.capacity import OperationLoad, operation_load
from planlib.mrp.inputs import PlanInputs
from planlib.mrp.netting import Netted
from planlib.mrp.orders import planned_orders


def purchase_requisitions(inputs: PlanInputs, netted: Netted) -> pd.DataFrame:
    """Planned buy orders by supplier and release week.

    Parameters
    ----------
    inputs : PlanInputs
    netted : Netted

    Returns
    -------
    DataFrame
        ``supplier_id`` (``(no supplier)`` for items without one), ``period`` (1-based
        release week), ``period_start`` (its Monday), ``orders`` (planned orders),
        ``items`` (distinct items), ``qty`` [units, summed over items], ``cost``
        [currency] (qty x ``unit_cost``), sorted by supplier and week.
    """
    planned = planned_orders(inputs, netted)
    buy = planned[planned.order_type == "buy"]
    cost = buy.item_id.map(inputs.items.set_index("item_id").unit_cost).fillna(0) * buy.qty
    g = buy.assign(cost=cost, supplier_id=buy.supplier_id.fillna("(no supplier)"))
    out = g.groupby(["supplier_id", "release_date"], sort=True).agg(
        orders=("order_id", "size"), items=("item_id", "nunique"), qty=("qty", "sum"),
        cost=("cost", "sum")).reset_index()
    period = buckets.week_index(out.release_date, inputs.start, inputs.n_periods) + 1
    return pd.DataFrame({"supplier_id": out.supplier_id, "period": period, "period_start": out.release_date,
                         "orders": out.orders, "items": out["items"], "qty": out.qty, "cost": out.cost})


def cost_projection(inputs: PlanInputs, netted: Netted, operations: OperationLoad | None = None) -> pd.DataFrame:
    """The plan's cost per week: material, labour, machine, ordering and holding.

    Parameters
    ----------
    inputs : PlanInputs
    netted : Netted
    operations : OperationLoad, optional
        :func:`planlib.mrp.capacity.operation_load` of ``inputs, netted``, if already computed.

    Returns
    -------
    DataFrame
        One row per week: ``period`` (1-based), ``period_start`` (Monday);
        ``material_cost`` (buy orders received that week, qty x ``unit_cost``),
        ``labour_cost`` (operation hours x crew x ``labour_cost_per_hour``, in the week an
        operation starts), ``machine_cost`` (operation hours x ``cost_per_hour``),
        ``order_cost`` (``order_cost`` of the planned orders released that week),
        ``holding_cost`` (positive projected on hand x unit holding cost per week),
        ``total_cost`` [currency].
    """
    ops = operations if operations is not None else operation_load(inputs, netted)
    H = inputs.n_periods
    o = netted.planned_orders
    i = o.row.to_numpy().astype(np.int64)
    b_due = o.bucket.to_numpy().astype(np.int64)
    b_rel = o.release_bucket.to_numpy().astype(np.int64)
    buy = ~inputs.make[i]
    material = np.bincount(b_due[buy], weights=(o.qty.to_numpy() * inputs.unit_cost[i])[buy], minlength=H)[:H]
    orders = np.bincount(b_rel, weights=inputs.order_cost[i], minlength=H)[:H]
    labour = np.zeros(H)
    machine = np.zeros(H)
    wc = inputs.dataset.work_centers
    if len(ops.work_center) and len(wc):
        w = wc.set_index("work_center_id").reindex(inputs.work_center_ids)
        labour_rate = w.labour_cost_per_hour.fillna(0).to_numpy(dtype=float)
        machine_rate = w.cost_per_hour.fillna(0).to_numpy(dtype=float)
        labour = np.bincount(ops.bucket, weights=ops.crew_hours * labour_rate[ops.work_center], minlength=H)[:H]
        machine = np.bincount(ops.bucket, weights=ops.hours * machine_rate[ops.work_center], minlength=H)[:H]
    holding = (np.maximum(netted.projected_on_hand, 0) * inputs.holding_cost[:, None]).sum(axis=0)
    return pd.DataFrame({"period": np.arange(1, H + 1), "period_start": inputs.period_starts,
                         "material_cost": material, "labour_cost": labour, "machine_cost": machine,
                         "order_cost": orders, "holding_cost": holding,
                         "total_cost": material + labour + machine + orders + holding})
