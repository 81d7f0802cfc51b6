"""The MRP package's structure: inputs derived once, netting, then one pure function per table.

``planlib.mrp`` is read top-down (``run`` -> ``checks`` -> ``inputs`` -> ``netting`` -> one
module per group of output tables). These tests hold that shape: the public API of
``planlib.mrp`` stays importable, week arithmetic is ``planlib.buckets``', the derived
inputs hold what they say, every table function is a pure function of the inputs and the
netted plan that ``run_mrp`` only wires, and each documents every column it returns.
"""
from __future__ import annotations

import copy
import dataclasses
import inspect

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_mrp_reference import random_case

from planlib import buckets
from planlib.mrp import MrpSettings, run_mrp
from planlib.mrp.capacity import capacity_load, operation_load, rough_cut
from planlib.mrp.checks import ItemLookup
from planlib.mrp.cost import cost_projection, purchase_requisitions
from planlib.mrp.exceptions import exceptions
from planlib.mrp.grid import mrp_grid
from planlib.mrp.inputs import plan_inputs
from planlib.mrp.mps import atp, mps
from planlib.mrp.netting import net_requirements
from planlib.mrp.orders import planned_orders
from planlib.mrp.pegging import pegging
from planlib.params import PlanParams, week_start

#: Each table of MrpResult and the function that builds it.
TABLES = {"mps": mps, "mrp_grid": mrp_grid, "planned_orders": planned_orders, "pegging": pegging,
          "exceptions": exceptions, "atp": atp, "capacity_load": capacity_load, "rough_cut": rough_cut,
          "purchase_requisitions": purchase_requisitions, "cost_projection": cost_projection}


def build(ds, params, forecast=None, mrp_settings=None):
    mrp_settings = mrp_settings or MrpSettings()
    inputs = plan_inputs(ds, params, forecast, None, mrp_settings, ItemLookup(ds.items.item_id))
    return inputs, net_requirements(inputs)


def frozen_copy(obj):
    """Deep copies of a dataclass's array and table fields (to see whether anything changed them)."""
    return {f.name: copy.deepcopy(getattr(obj, f.name)) for f in dataclasses.fields(obj)
            if isinstance(getattr(obj, f.name), (np.ndarray, pd.DataFrame))}


def assert_unchanged(before: dict, obj) -> None:
    for name, old in before.items():
        new = getattr(obj, name)
        if isinstance(old, np.ndarray):
            np.testing.assert_array_equal(new, old, err_msg=name)
        else:
            pd.testing.assert_frame_equal(new, old, check_exact=True, obj=name)


def test_public_names_still_import_from_planlib_mrp():
    import planlib.mrp as mrp

    for name in ("MrpResult", "MrpSettings", "run_mrp", "check_inputs", "consume_forecast", "lead_time_buckets",
                 "bucket_index", "low_level_codes", "order_modifiers", "available_to_promise", "trace_pegging",
                 "COUNTED_UOMS", "DECIMALS", "WEEKS_PER_YEAR"):
        assert hasattr(mrp, name), name
    assert set(mrp.__all__) <= set(dir(mrp))


def test_week_arithmetic_is_planlib_buckets():
    import planlib.mrp as mrp

    assert mrp.bucket_index is buckets.week_index
    assert mrp.lead_time_buckets is buckets.lead_time_buckets
    # the aliases keep their meaning: past due -> bucket 0, beyond the horizon -> n_periods
    b = mrp.bucket_index(pd.to_datetime(["2026-11-20", "2026-11-23", "2026-11-30", "2027-06-01"]),
                         "2026-11-23", 10)
    assert b.tolist() == [0, 0, 1, 10]
    assert mrp.lead_time_buckets([0, 7, 8]).tolist() == [0, 1, 2]


def test_plan_inputs_hold_what_they_derive(sample):
    params = PlanParams(plan_start=week_start("2026-W48"))
    # items shuffled so that plan rows (low-level-code order) differ from the items table's rows
    ds = sample.replace(items=sample.items.sample(frac=1, random_state=4).reset_index(drop=True))
    inputs, _ = build(ds, params)
    with pytest.raises(dataclasses.FrozenInstanceError):
        inputs.end_item = None
    assert (np.diff(inputs.low_level_code) >= 0).all()
    assert (inputs.source_row != np.arange(inputs.n)).any()
    assert (inputs.plan_row[inputs.source_row] == np.arange(inputs.n)).all()
    assert (ds.items.item_id.to_numpy()[inputs.source_row] == inputs.item_ids).all()
    # end items: exactly the items that are no BOM line's component
    ends = set(ds.items.item_id) - set(ds.bom.component_id)
    assert set(inputs.item_ids[inputs.end_item]) == ends
    # work centers: the table's, in its order, then others the routings name, sorted
    listed = list(ds.work_centers.work_center_id)
    assert list(inputs.work_center_ids) == listed + sorted(set(ds.routings.work_center_id) - set(listed))
    # routing lines point at their item's plan row
    known = inputs.routing_row >= 0
    assert (inputs.item_ids[inputs.routing_row[known]] == ds.routings.item_id.to_numpy()[known]).all()
    # customer orders per bucket add up to the open order lines due within the horizon
    due = ds.demand.due_date < inputs.start + pd.Timedelta(weeks=inputs.n_periods)
    assert inputs.customer_orders.sum() == pytest.approx(ds.demand.qty[due].sum())


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, 10_000), st.booleans(), st.sampled_from(["expedite", "delay"]))
def test_tables_are_pure_functions_that_run_mrp_wires(seed, with_forecast, past_releases):
    ds, params, forecast = random_case(seed, 20, 3, 12, with_forecast)
    mrp_settings = MrpSettings(past_releases=past_releases)
    inputs, netted = build(ds, params, forecast, mrp_settings)
    before_inputs, before_netted = frozen_copy(inputs), frozen_copy(netted)
    first = {name: f(inputs, netted) for name, f in TABLES.items()}
    again = {name: f(inputs, netted) for name, f in reversed(list(TABLES.items()))}
    assert_unchanged(before_inputs, inputs)
    assert_unchanged(before_netted, netted)
    result = run_mrp(ds, params, forecast, settings=mrp_settings).tables()
    for name in TABLES:
        pd.testing.assert_frame_equal(first[name], again[name], check_exact=True, obj=name)
        pd.testing.assert_frame_equal(first[name], result[name], check_exact=True, obj=name)
    ops = operation_load(inputs, netted)
    pd.testing.assert_frame_equal(capacity_load(inputs, netted, ops), first["capacity_load"], check_exact=True)
    pd.testing.assert_frame_equal(cost_projection(inputs, netted, ops), first["cost_projection"], check_exact=True)


def test_every_table_function_documents_its_columns(sample):
    result = run_mrp(sample, PlanParams(plan_start=week_start("2026-W48")))
    for name, f in TABLES.items():
        doc = inspect.getdoc(f)
        assert "Parameters\n----------" in doc and "Returns\n-------" in doc, name
        returns = doc.split("Returns\n-------", 1)[1]
        missing = [c for c in getattr(result, name).columns if f"{c}" not in returns]
        assert not missing, f"{f.__module__}.{f.__name__} does not document {missing}"
        assert "[" in returns, f"{name}: no unit in the Returns section"


def test_every_public_function_has_a_numpydoc_docstring():
    import importlib
    import pkgutil

    import planlib.mrp

    bare = []
    for info in pkgutil.iter_modules(planlib.mrp.__path__):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"planlib.mrp.{info.name}")
        for name, f in inspect.getmembers(module, inspect.isfunction):
            if f.__module__ != module.__name__ or name.startswith("_"):
                continue
            doc = inspect.getdoc(f) or ""
            if "Returns\n-------" not in doc:
                bare.append(f"{module.__name__}.{name}")
    assert not bare, f"public functions without a numpydoc Returns section: {bare}"
