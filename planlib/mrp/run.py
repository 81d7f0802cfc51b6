"""The MRP run: the result's tables, and :func:`run_mrp`, which wires the steps.

Read :func:`run_mrp` first: check the inputs (:mod:`~planlib.mrp.checks`), derive
the plan's inputs once (:mod:`~planlib.mrp.inputs`), net level by level
(:mod:`~planlib.mrp.netting`), then build each output table from the inputs and
the netted plan, one pure function per table.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, fields

import pandas as pd

from planlib.dataset import Dataset
from planlib.mrp import capacity, cost, exceptions, grid, mps, orders, pegging
from planlib.mrp.checks import ItemLookup, check_inputs
from planlib.mrp.inputs import plan_inputs
from planlib.mrp.netting import net_requirements
from planlib.mrp.settings import MrpSettings
from planlib.params import PlanParams
from planlib.problems import InputError

__all__ = ["MrpResult", "MrpSettings", "run_mrp"]


@dataclass(frozen=True)
class MrpResult:
    """The tables of one MRP run (each documented in its builder and in docs/mrp.md).

    Quantities are in the item's ``uom`` [units], hours [h], costs [currency];
    ``period`` is the 1-based weekly bucket, ``period_start`` its Monday.

    Attributes
    ----------
    mps : DataFrame
        Master production schedule of the end items (items no BOM uses):
        ``item_id, period, period_start, forecast, customer_orders, demand,
        scheduled_receipts, projected_on_hand, mps_receipts, mps_releases`` [units]
        (:func:`planlib.mrp.mps.mps`).
    mrp_grid : DataFrame
        ``item_id, period, period_start, gross_requirements, scheduled_receipts,
        projected_on_hand, net_requirements, planned_order_receipts,
        planned_order_releases`` [units], every item x bucket (:func:`planlib.mrp.grid.mrp_grid`).
    planned_orders : DataFrame
        ``order_id, item_id, order_type (make|buy), supplier_id, qty [units], release_date,
        due_date, receipt_qty [units], low_level_code`` (:func:`planlib.mrp.orders.planned_orders`).
    pegging : DataFrame
        ``item_id, supply_type, supply_id, supply_date, demand_type, demand_id,
        demand_item_id, demand_date, qty [units]`` (:func:`planlib.mrp.pegging.pegging`).
    exceptions : DataFrame
        ``exception, severity, item_id, order_id, date, new_date, qty [units], message``
        (:func:`planlib.mrp.exceptions.exceptions`).
    atp : DataFrame
        ``item_id, period, period_start, mps_qty, customer_orders, atp, cumulative_atp`` [units]
        (:func:`planlib.mrp.mps.atp`).
    capacity_load : DataFrame
        ``work_center_id, period, period_start, planned_hours, released_hours,
        load_hours, available_hours [h], utilisation [fraction], overload_hours [h]``
        (:func:`planlib.mrp.capacity.capacity_load`).
    rough_cut : DataFrame
        ``item_id, work_center_id, period, period_start, mps_qty [units], hours [h]``
        (:func:`planlib.mrp.capacity.rough_cut`).
    purchase_requisitions : DataFrame
        ``supplier_id, period, period_start, orders, items, qty [units], cost [currency]``
        (:func:`planlib.mrp.cost.purchase_requisitions`).
    cost_projection : DataFrame
        ``period, period_start, material_cost, labour_cost, machine_cost,
        order_cost, holding_cost, total_cost`` [currency] (:func:`planlib.mrp.cost.cost_projection`).
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
    lookup = ItemLookup(dataset.items.item_id)
    problems = check_inputs(dataset, params, forecast, safety_stock, _lookup=lookup)
    errors = problems[problems.severity == "error"]
    if len(errors):
        raise InputError(f"{len(errors)} problem(s) prevent planning", errors.reset_index(drop=True))
    clock("checks")
    inputs = plan_inputs(dataset, params, forecast, safety_stock, settings, lookup)
    clock("inputs")
    netted = net_requirements(inputs)
    clock("netting")
    tables = {}
    tables["planned_orders"] = orders.planned_orders(inputs, netted)
    clock("planned_orders")
    tables["mrp_grid"] = grid.mrp_grid(inputs, netted)
    clock("mrp_grid")
    tables["mps"] = mps.mps(inputs, netted)
    clock("mps")
    tables["pegging"] = pegging.pegging(inputs, netted)
    clock("pegging")
    tables["exceptions"] = exceptions.exceptions(inputs, netted)
    clock("exceptions")
    tables["atp"] = mps.atp(inputs, netted)
    clock("atp")
    operations = capacity.operation_load(inputs, netted)  # shared by capacity_load and cost_projection
    tables["capacity_load"] = capacity.capacity_load(inputs, netted, operations)
    clock("capacity_load")
    tables["rough_cut"] = capacity.rough_cut(inputs, netted)
    clock("rough_cut")
    tables["purchase_requisitions"] = cost.purchase_requisitions(inputs, netted)
    tables["cost_projection"] = cost.cost_projection(inputs, netted, operations)
    clock("requisitions_and_cost")
    return MrpResult(**tables)


class _Clock:
    """Records the seconds since the previous call under a phase name (or does nothing)."""

    def __init__(self, timings: dict | None) -> None:
        self._now, self._cpu = time.perf_counter, time.process_time
        self.timings = timings
        self.t, self.c = self._now(), self._cpu()

    def __call__(self, phase: str) -> None:
        if self.timings is not None:
            t, c = self._now(), self._cpu()
            self.timings[phase] = self.timings.get(phase, 0.0) + t - self.t
            self.timings["cpu:" + phase] = self.timings.get("cpu:" + phase, 0.0) + c - self.c
            self.t, self.c = t, c
