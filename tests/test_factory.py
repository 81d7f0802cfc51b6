"""The factory generator: reproducible, realistic in shape, and valid."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from planlib.data import write_dataset
from planlib.factory import make_factory, make_sample_factory
from planlib.validate import validate


def test_sample_files_are_regenerated_byte_for_byte(sample_dir, tmp_path):
    write_dataset(make_sample_factory(), tmp_path / "sample")
    names = sorted(p.name for p in sample_dir.glob("*.csv"))
    assert names == sorted(p.name for p in (tmp_path / "sample").glob("*.csv"))
    for name in names:
        assert (tmp_path / "sample" / name).read_bytes() == (sample_dir / name).read_bytes(), name


def test_other_seed_other_factory():
    a, b = make_factory(seed=1), make_factory(seed=2)
    assert not a.demand_history.equals(b.demand_history)


def _levels(ds):
    """Low-level code of every item from the BOM (longest path from a finished good)."""
    llc = {i: 0 for i in ds.items.item_id}
    for _ in range(20):
        changed = False
        for p, c in zip(ds.bom.parent_id, ds.bom.component_id):
            if llc[c] < llc[p] + 1:
                llc[c] = llc[p] + 1
                changed = True
        if not changed:
            return llc
    raise AssertionError("BOM has a cycle")


def test_sample_shape_matches_the_brief(sample, sample_state):
    items = sample.items
    assert items.item_id.str.startswith("FG").sum() == 8
    assert 40 <= (~items.item_id.str.startswith("FG")).sum() <= 80
    assert max(_levels(sample).values()) == 3  # four BOM levels, 0..3
    assert (sample.bom.component_id.value_counts() > 1).any()  # shared components
    assert sample.bom.valid_to.notna().any() and sample.bom.valid_from.notna().any()  # an engineering change
    wc = sample.work_centers
    assert 6 <= len(wc) <= 10
    per_wc = sample.machines.groupby("work_center_id").size()
    assert per_wc.min() >= 1 and per_wc.max() <= 4
    assert sample.setup_matrix.work_center_id.nunique() >= 2
    assert set(sample.calendar_exceptions.kind) >= {"holiday", "maintenance"}
    two_shift = sample.calendars[sample.calendars.calendar_id == "2SHIFT"]
    assert sorted(two_shift.weekday.unique()) == [0, 1, 2, 3, 4] and len(two_shift) == 10
    hist = sample.demand_history
    assert (hist.date.max() - hist.date.min()).days >= 2 * 364 - 7
    assert (hist.qty < 0).any()  # returns
    spare = set(hist.item_id) - set(items.item_id[items.item_id.str.startswith("FG")])
    assert len(spare) >= 5  # spare parts sold directly
    due = sample.demand.due_date
    start = pd.Timestamp("2026-11-23")
    assert due.max() < start + pd.Timedelta(weeks=8) and (due < start).any()  # 8 weeks out, some past due
    sr = sample_state.scheduled_receipts  # at the plan start, the week's reports applied
    assert {"purchase", "production"} <= set(sr.order_type) and "in_progress" in set(sr.status)
    assert {"done", "running"} <= set(sample_state.operations_progress.status)


def test_finished_goods_have_trend_seasonality_and_promotions(sample):
    hist = sample.demand_history
    fg = hist[hist.item_id.str.startswith("FG")]
    weekly = fg.groupby(["item_id", pd.Grouper(key="date", freq="W-MON", label="left", closed="left")]).qty.sum()
    # every finished good sells nearly every week; spare parts are intermittent
    per_item = weekly.groupby(level=0).apply(lambda s: (s > 0).mean())
    assert per_item.min() > 0.9
    spares = hist[~hist.item_id.str.startswith("FG")]
    w = spares.groupby(["item_id", pd.Grouper(key="date", freq="W-MON", label="left", closed="left")]).qty.sum()
    share = w.groupby(level=0).size() / 104
    assert share.median() < 0.6


def test_spare_parts_are_intermittent(sample):
    hist = sample.demand_history
    spares = hist[~hist.item_id.str.startswith("FG")]
    weeks_with_demand = spares.assign(week=spares.date.dt.to_period("W")).groupby("item_id").week.nunique()
    assert (weeks_with_demand < 104 * 0.6).mean() > 0.5


@pytest.mark.parametrize("n_items,levels", [(500, 8), (2500, 6)])
def test_large_factories_are_valid(n_items, levels):
    ds = make_factory(n_items=n_items, levels=levels, n_work_centers=12, history_weeks=52, seed=3)
    assert len(ds.items) == n_items
    errors = validate(ds)
    assert errors[errors.severity == "error"].empty, errors.head().to_string()
    assert max(_levels(ds).values()) == levels - 1
    assert len(ds.work_centers) == 12


def test_rejects_impossible_shapes():
    with pytest.raises(ValueError):
        make_factory(n_items=3, levels=4)


def test_factory_without_history():
    ds = make_factory(n_items=200, levels=4, history_weeks=0, seed=5)
    assert ds.demand_history.empty and len(ds.demand) > 0


def test_the_week_before_the_sample_leads_exactly_to_its_calibrated_state(sample_files):
    """data/sample is the snapshot of Monday 2026-11-16 and the records of 2026-W47 (factory._week_before);
    applied, they give make_factory's calibrated state of Monday 2026-11-23: stock, open orders, status."""
    from planlib import steps
    from planlib.factory import SAMPLE_PLAN_START, make_factory
    from planlib.params import PlanParams
    from planlib.validate import loop_problems, planning_dataset

    ss = steps.forecast(make_factory(), PlanParams(plan_start=SAMPLE_PLAN_START)).safety_stock
    calibrated = make_factory(safety_stock=ss.set_index("item_id").safety_stock)
    start = pd.Timestamp("2026-11-23")
    assert loop_problems(sample_files, start).empty
    assert (sample_files.inventory.on_hand >= 0).all() and (sample_files.inventory.as_of == "2026-11-16").all()
    state = planning_dataset(sample_files, start)
    inv = state.inventory.merge(calibrated.inventory, on="item_id", suffixes=("", "_cal"))
    assert len(inv) == len(calibrated.inventory) == 60
    assert np.allclose(inv.on_hand, inv.on_hand_cal, atol=1e-9)
    assert np.allclose(inv.allocated.fillna(0), inv.allocated_cal.fillna(0), atol=1e-9)
    a, b = (t.scheduled_receipts.sort_values("order_id").reset_index(drop=True) for t in (state, calibrated))
    assert a.order_id.tolist() == b.order_id.tolist()
    assert np.allclose(a.qty, b.qty) and (a.status == b.status).all() and (a.due_date == b.due_date).all()
    # the week's records: an independent stock balance for every item
    f = sample_files
    w0, item_of = pd.Timestamp("2026-11-16"), f.scheduled_receipts.set_index("order_id").item_id
    last = f.routings.groupby("item_id").op_seq.max()
    rep = f.production_reports.assign(item_id=f.production_reports.order_id.map(item_of))
    made = rep[rep.op_seq.to_numpy() == rep.item_id.map(last).to_numpy()].groupby("item_id").qty_good.sum()
    shipped = f.demand_history[(f.demand_history.date >= w0) & (f.demand_history.date < start)]
    flows = pd.concat([f.goods_receipts.groupby("item_id").qty.sum(), made,
                       -f.material_issues.groupby("item_id").qty.sum(), -shipped.groupby("item_id").qty.sum()],
                      axis=1).sum(axis=1)
    end = f.inventory.set_index("item_id").on_hand.add(flows, fill_value=0.0)
    assert np.allclose(end.reindex(inv.item_id).to_numpy(), inv.on_hand_cal.to_numpy())
    assert f.production_reports.scrap_reason.replace("", np.nan).dropna().nunique() >= 2
    assert (f.production_reports.downtime_min > 0).any()
