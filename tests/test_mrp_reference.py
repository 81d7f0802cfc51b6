"""The fast MRP against the plain reference on random factories, and the plan's invariants."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from mrp_reference import reference_mrp

from planlib.contract import LOT_RULES
from planlib.factory import make_factory
from planlib.mrp import MrpSettings, lead_time_buckets, run_mrp
from planlib.params import PlanParams

START = pd.Timestamp("2026-11-23")


def random_case(seed: int, n_items: int, levels: int, horizon: int, with_forecast: bool):
    """A generated factory with every lot rule, modifier, scrap and effectivity mixed in."""
    ds = make_factory(n_items, levels, 4, history_weeks=0, history_grain="W", seed=seed,
                      stressed=True)  # a plant short of stock: many planned orders to compare
    rng = np.random.default_rng(seed)
    items = ds.items.copy()
    n = len(items)
    items["lot_rule"] = rng.choice(LOT_RULES, n)
    items["lot_size"] = np.where(items.lot_rule == "FOQ", rng.integers(5, 80, n),
                                 np.where(items.lot_rule == "POQ", rng.integers(1, 5, n), np.nan)).astype(float)
    own_eoq = (items.lot_rule == "EOQ") & (rng.random(n) < 0.5)  # half the EOQ items carry the planner's EOQ
    items.loc[own_eoq, "lot_size"] = rng.integers(10, 90, int(own_eoq.sum())).astype(float)
    items["min_order_qty"] = np.where(rng.random(n) < 0.2, rng.integers(5, 50, n), 0).astype(float)
    items["order_multiple"] = np.where(rng.random(n) < 0.2, rng.integers(2, 12, n), 0).astype(float)
    items["max_order_qty"] = np.where(rng.random(n) < 0.15, rng.integers(60, 200, n), np.nan)
    items["safety_stock"] = np.where(rng.random(n) < 0.3, rng.integers(1, 30, n), 0).astype(float)
    items["scrap_pct"] = np.where(rng.random(n) < 0.15, rng.choice([2.0, 5.0, 10.0], n), 0.0)
    items["lead_time_days"] = rng.choice([0, 3, 7, 10, 14, 21], n).astype(float)
    bom = ds.bom.copy()
    if len(bom):
        switch = START + pd.Timedelta(weeks=int(rng.integers(1, horizon)))
        cut = rng.random(len(bom)) < 0.1
        bom.loc[cut, "valid_to"] = switch
        bom["scrap_pct"] = np.where(rng.random(len(bom)) < 0.1, 5.0, 0.0)
    ds = ds.replace(items=items, bom=bom)
    forecast = None
    if with_forecast:
        sold = ds.demand.item_id.unique()
        weeks = pd.date_range(START, periods=horizon, freq="7D")
        forecast = pd.DataFrame([(i, w, float(rng.integers(0, 40))) for i in sold for w in weeks],
                                columns=["item_id", "period_start", "forecast"])
    params = PlanParams(plan_start=START.date(), horizon_weeks=horizon,
                        demand_time_fence_weeks=int(rng.integers(0, 4)),
                        consumption_backward_weeks=int(rng.integers(0, 3)),
                        consumption_forward_weeks=int(rng.integers(0, 3)))
    return ds, params, forecast


cases = st.tuples(st.integers(0, 10_000), st.integers(12, 40), st.integers(2, 4), st.integers(6, 30),
                  st.booleans(), st.sampled_from(["expedite", "delay"]))


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases)
def test_fast_equals_reference(case):
    seed, n_items, levels, horizon, with_fc, mode = case
    ds, params, fc = random_case(seed, n_items, levels, horizon, with_fc)
    r = run_mrp(ds, params, forecast=fc, settings=MrpSettings(past_releases=mode))
    grid, planned = reference_mrp(ds, params, forecast=fc, delay=mode == "delay")
    H = params.horizon_weeks
    for col, key in (("gross_requirements", "gross"), ("scheduled_receipts", "receipts"),
                     ("projected_on_hand", "on_hand"), ("net_requirements", "net"),
                     ("planned_order_receipts", "receipts_planned"), ("planned_order_releases", "releases")):
        fast = r.mrp_grid[col].to_numpy().reshape(-1, H)
        ref = np.array([grid[i][key] for i in ds.items.item_id])
        np.testing.assert_allclose(fast, ref, atol=1e-6, err_msg=col)
    po = r.planned_orders
    ref_po = pd.DataFrame(planned, columns=["seq", "item_id", "period", "release_period", "release_raw",
                                            "qty", "receipt_qty"]).astype({"qty": float, "receipt_qty": float})
    assert po.item_id.tolist() == ref_po.item_id.tolist()
    assert po.order_id.tolist() == [f"PLN-{k:07d}" for k in ref_po.seq]
    np.testing.assert_allclose(po.qty, ref_po.qty, atol=1e-6)
    np.testing.assert_allclose(po.receipt_qty, ref_po.receipt_qty, atol=1e-6)
    due = ((po.due_date - START).dt.days // 7 + 1).tolist()
    assert due == ref_po.period.tolist()


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases)
def test_plan_invariants(case):
    seed, n_items, levels, horizon, _, mode = case
    ds, params, _ = random_case(seed, n_items, levels, horizon, False)
    r = run_mrp(ds, params, settings=MrpSettings(past_releases=mode))
    H = params.horizon_weeks
    items = ds.items.set_index("item_id")
    g = r.mrp_grid
    ids = ds.items.item_id.to_numpy()

    def m(col):
        return g[col].to_numpy().reshape(-1, H)

    poh, gr, sr, pr = m("projected_on_hand"), m("gross_requirements"), m("scheduled_receipts"), m("planned_order_receipts")
    inv = ds.inventory.set_index("item_id")
    start_oh = (inv.on_hand - inv.allocated).reindex(ids).fillna(0).to_numpy()
    # inventory balance, bucket by bucket
    prev = np.concatenate([start_oh[:, None], poh[:, :-1]], axis=1)
    np.testing.assert_allclose(poh, prev + sr + pr - gr, atol=1e-6)
    # at or above safety stock wherever the lead time allows
    ss = items.safety_stock.reindex(ids).to_numpy()
    lt = lead_time_buckets(items.lead_time_days.reindex(ids).to_numpy())
    allowed = np.ones_like(poh, dtype=bool) if mode == "expedite" else np.arange(H)[None, :] >= lt[:, None]
    assert (poh[allowed] >= np.broadcast_to(ss[:, None], poh.shape)[allowed] - 1e-6).all()
    # lot rules honoured by every planned order
    po = r.planned_orders.join(items[["min_order_qty", "order_multiple", "max_order_qty", "lot_rule", "lot_size"]],
                               on="item_id")
    assert (po.receipt_qty >= po.min_order_qty - 1e-6).all()
    mult = po[po.order_multiple > 0]
    assert np.allclose(mult.receipt_qty / mult.order_multiple, np.round(mult.receipt_qty / mult.order_multiple))
    capped = po[po.max_order_qty.notna()]
    assert (capped.receipt_qty <= capped.max_order_qty + 1e-6).all()
    plain_foq = po[(po.lot_rule == "FOQ") & (po.min_order_qty == 0) & (po.order_multiple == 0) & po.max_order_qty.isna()]
    assert np.allclose(plain_foq.receipt_qty / plain_foq.lot_size, np.round(plain_foq.receipt_qty / plain_foq.lot_size))
    # every planned order pegged, in full; lot-for-lot ones only to real demand or safety stock
    pg = r.pegging
    pegged = pg[pg.supply_type == "planned_order"].groupby("supply_id", observed=True).qty.sum()
    np.testing.assert_allclose(pegged.reindex(po.order_id).to_numpy(), po.receipt_qty.to_numpy(), atol=1e-6)
    l4l = po[(po.lot_rule == "L4L") & (po.min_order_qty == 0) & (po.order_multiple == 0)].order_id
    # (less than one unit of excess: counted items are ordered in whole units)
    excess = pg[pg.supply_id.isin(l4l) & (pg.demand_type == "excess")].groupby("supply_id", observed=True).qty.sum()
    assert (excess < 1 - 1e-9).all()
    # every customer order in the horizon is pegged in full (to supply or to a shortage)
    dem = ds.demand[ds.demand.due_date < START + pd.Timedelta(weeks=H)]
    served = pg[pg.demand_type == "customer_order"].groupby("demand_id", observed=True).qty.sum()
    np.testing.assert_allclose(served.reindex(dem.order_id).fillna(0).to_numpy(), dem.qty.to_numpy(), atol=1e-6)
    # quantities conserved through the explosion: dependent demand = releases x qty_per x (1 + scrap)
    bom = ds.bom
    lines = po.merge(bom, left_on="item_id", right_on="parent_id")
    ok = (lines.valid_from.isna() | (lines.valid_from <= lines.release_date)) & \
         (lines.valid_to.isna() | (lines.release_date < lines.valid_to))
    lines = lines[ok]
    dep = (lines.qty * lines.qty_per * (1 + lines.scrap_pct / 100)).groupby(lines.component_id).sum()
    orders = dem.groupby("item_id", observed=True).qty.sum()
    total = pd.Series(gr.sum(axis=1), index=ids)
    expect = dep.reindex(ids).fillna(0) + orders.reindex(ids).fillna(0)
    np.testing.assert_allclose(total.to_numpy(), expect.to_numpy(), atol=1e-6)
    pegged_dep = pg[pg.demand_type == "dependent"].groupby("item_id", observed=True).qty.sum()
    np.testing.assert_allclose(pegged_dep.reindex(ids).fillna(0).to_numpy(), dep.reindex(ids).fillna(0).to_numpy(),
                               atol=1e-6)


@pytest.mark.parametrize("seed", [1, 2])
def test_sample_size_factory_matches_reference(seed):
    """A 300-item, 5-level factory over a year: the fast engine reproduces the reference exactly."""
    ds, params, fc = random_case(seed, 300, 5, 52, True)
    r = run_mrp(ds, params, forecast=fc)
    grid, planned = reference_mrp(ds, params, forecast=fc)
    fast = r.mrp_grid.planned_order_releases.to_numpy().reshape(-1, 52)
    ref = np.array([grid[i]["releases"] for i in ds.items.item_id])
    np.testing.assert_allclose(fast, ref, atol=1e-6)
    assert len(r.planned_orders) == len(planned)
