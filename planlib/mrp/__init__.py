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

Reading order
-------------
``run.py``
    :class:`MrpResult` and :func:`run_mrp`, which wires the steps below
    (:class:`MrpSettings` is in ``settings.py``).
``checks.py``
    :func:`check_inputs`: what makes planning impossible, naming table, row and column.
``inputs.py``
    :class:`~planlib.mrp.inputs.PlanInputs`: everything derived from the dataset, once
    (items in low-level-code order, independent demand after :func:`consume_forecast`,
    scheduled receipts, BOM arrays, end items, work centers).
``netting.py``
    :func:`~planlib.mrp.netting.net_requirements`: netting, lot sizing
    (:func:`order_modifiers`) and BOM explosion by low-level code, giving the
    :class:`~planlib.mrp.netting.Netted` plan.
then one pure function ``f(inputs, netted) -> DataFrame`` per output table
``orders.py`` (planned_orders), ``grid.py`` (mrp_grid), ``mps.py`` (mps, atp),
``pegging.py`` (pegging, :func:`trace_pegging`), ``exceptions.py`` (exceptions),
``capacity.py`` (capacity_load, rough_cut), ``cost.py`` (purchase_requisitions,
cost_projection); ``_arrays.py`` holds the rounding conventions and array helpers.

Week arithmetic is :mod:`planlib.buckets`' (``bucket_index`` here is its
``week_index``, ``lead_time_buckets`` its ``lead_time_buckets``).

References
----------
Orlicky, J., Material Requirements Planning, McGraw-Hill, 1975 (netting,
low-level codes, pegging, exception messages).
Vollmann, T.E., Berry, W.L., Whybark, D.C. and Jacobs, F.R., Manufacturing
Planning and Control for Supply Chain Management, 5th ed., McGraw-Hill, 2005
(MPS, ATP, MRP record, capacity planning).
Nahmias, S., Production and Operations Analysis (MRP lot sizing).
"""
from planlib.buckets import lead_time_buckets
from planlib.buckets import week_index as bucket_index
from planlib.mrp._arrays import DECIMALS, WEEKS_PER_YEAR
from planlib.mrp.checks import check_inputs, low_level_codes
from planlib.mrp.inputs import COUNTED_UOMS, consume_forecast
from planlib.mrp.mps import available_to_promise
from planlib.mrp.netting import order_modifiers
from planlib.mrp.pegging import trace_pegging
from planlib.mrp.run import MrpResult, MrpSettings, run_mrp

__all__ = ["COUNTED_UOMS", "DECIMALS", "WEEKS_PER_YEAR", "MrpResult", "MrpSettings", "available_to_promise",
           "bucket_index", "check_inputs", "consume_forecast", "lead_time_buckets", "low_level_codes",
           "order_modifiers", "run_mrp", "trace_pegging"]
