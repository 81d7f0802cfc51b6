"""Capacity: the load of planned and open production orders on the work centers, and rough-cut capacity.

:func:`operation_load` turns every make order (planned, and open production orders
as far as ``operations_progress`` says they are not done) into hours per routing
operation and week; :func:`capacity_load` sums them per work center and week against
the hours the calendars make available. :func:`rough_cut` multiplies the MPS by the
bill of resources (:func:`bill_of_resources`).

``utilisation`` is a fraction (1.0 = fully loaded), as everywhere in MRP's tables.

References
----------
Vollmann, Berry, Whybark and Jacobs, Manufacturing Planning and Control for Supply
Chain Management, 5th ed., 2005, chapter on capacity planning (capacity requirements
planning; bill of capacity / bill of resources).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from planlib.mrp._arrays import TOL, accumulate
from planlib.mrp.inputs import PlanInputs
from planlib.mrp.netting import Netted


@dataclass(frozen=True)
class OperationLoad:
    """Hours of each routing operation of each make order, in the week it starts.

    Attributes
    ----------
    work_center : ndarray of int
        Index into ``PlanInputs.work_center_ids``.
    bucket : ndarray of int
        0-based week the operation starts (before the plan start -> 0).
    hours, crew_hours : ndarray
        Setup plus run hours [h], and those hours times the crew size [person-h].
    released : ndarray of bool
        The operation belongs to an open production order (else to a planned order).
    """

    work_center: np.ndarray
    bucket: np.ndarray
    hours: np.ndarray
    crew_hours: np.ndarray
    released: np.ndarray


def operation_load(inputs: PlanInputs, netted: Netted) -> OperationLoad:
    """Hours per operation of planned make orders and open production orders, by week.

    An order's operations are spread evenly over its lead time, backwards from its due
    date; each operation's hours (setup + qty x run time) fall in the week it starts.
    Of an open production order, done operations carry no load and a running one only
    its units still to make, without setup (``operations_progress``).

    Parameters
    ----------
    inputs : PlanInputs
    netted : Netted

    Returns
    -------
    OperationLoad
    """
    ds = inputs.dataset
    rt = ds.routings
    if rt.empty:
        z = np.zeros(0, np.int64)
        return OperationLoad(z, z, np.zeros(0), np.zeros(0), np.zeros(0, bool))
    # routings sorted by (plan row, op_seq), with a pointer per item
    ri = inputs.routing_row
    keep = ri >= 0
    order = np.lexsort((rt.op_seq.to_numpy()[keep], ri[keep]))
    r_item = ri[keep][order]
    r_seq = rt.op_seq.to_numpy()[keep][order]
    r_wc = pd.Index(inputs.work_center_ids).get_indexer(rt.work_center_id.to_numpy()[keep][order])
    r_setup = rt.setup_min.fillna(0).to_numpy(dtype=float)[keep][order]
    r_run = rt.run_min_per_unit.fillna(0).to_numpy(dtype=float)[keep][order]
    r_crew = rt.crew_size.fillna(0).to_numpy(dtype=float)[keep][order]
    ptr = np.searchsorted(r_item, np.arange(inputs.n + 1))
    # orders: planned make orders, then open production orders
    o = netted.planned_orders
    mk = inputs.make[o.row.to_numpy()] if len(o) else np.zeros(0, bool)
    day0 = np.datetime64(inputs.start.date(), "D")
    sr = inputs.scheduled_receipts
    sr = sr[(sr.order_type == "production") & (sr._row >= 0)]
    o_item = np.concatenate([o.row.to_numpy()[mk], sr._row.to_numpy()]).astype(np.int64)
    o_qty = np.concatenate([o.qty.to_numpy()[mk], sr.qty.to_numpy(dtype=float)])
    o_due = np.concatenate([o.bucket.to_numpy()[mk] * 7,
                            (sr.due_date.to_numpy("datetime64[D]") - day0).astype(np.int64)])  # days from start
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
    lt = inputs.items.lead_time_days.fillna(0).to_numpy(dtype=float)[o_item[rep]]
    start_day = o_due[rep] - lt + k * lt / n_ops
    b = np.clip(np.floor(start_day / 7.0), 0, inputs.n_periods - 1).astype(np.int64)
    hours = (setup + qty * r_run[op]) / 60.0
    return OperationLoad(work_center=r_wc[op], bucket=b, hours=hours, crew_hours=hours * r_crew[op],
                         released=o_rel[rep])


def capacity_load(inputs: PlanInputs, netted: Netted, operations: OperationLoad | None = None) -> pd.DataFrame:
    """Load of planned and open production orders per work center and week, against available hours.

    Parameters
    ----------
    inputs : PlanInputs
    netted : Netted
    operations : OperationLoad, optional
        :func:`operation_load` of ``inputs, netted``, if already computed.

    Returns
    -------
    DataFrame
        Every work center (``PlanInputs.work_center_ids``) x week: ``work_center_id,
        period`` (1-based), ``period_start`` (Monday), ``planned_hours`` (planned make
        orders), ``released_hours`` (open production orders), ``load_hours`` (their sum),
        ``available_hours`` (:func:`planlib.calendar.available_hours`: standard hours
        comparable with routing times; NaN without work centers, machines or calendars)
        [h]; ``utilisation`` [fraction] (load / available; inf for load without
        available hours); ``overload_hours`` [h] (load beyond available).
    """
    ops = operations if operations is not None else operation_load(inputs, netted)
    ds = inputs.dataset
    wc = ds.work_centers
    H, W = inputs.n_periods, len(inputs.work_center_ids)
    flat = ops.work_center * H + ops.bucket
    rel = ops.released
    planned = np.bincount(flat[~rel], weights=ops.hours[~rel], minlength=W * H)
    released = np.bincount(flat[rel], weights=ops.hours[rel], minlength=W * H)
    avail = np.full(W * H, np.nan)
    if len(wc) and len(ds.machines) and len(ds.calendars):
        from planlib.calendar import available_hours
        av = available_hours(ds, inputs.start, H, freq="W")
        pos = pd.Index(inputs.work_center_ids).get_indexer(av.work_center_id) * H + np.tile(np.arange(H), len(wc))
        avail[pos] = av.available_hours.to_numpy(dtype=float)
    load = planned + released
    with np.errstate(divide="ignore", invalid="ignore"):
        util = np.where(avail > 0, load / np.where(avail > 0, avail, 1.0),
                        np.where(np.isnan(avail), np.nan, np.where(load > 0, np.inf, 0.0)))
    return pd.DataFrame({
        "work_center_id": np.repeat(inputs.work_center_ids, H),
        "period": np.tile(np.arange(1, H + 1), W),
        "period_start": np.tile(inputs.period_starts.to_numpy(), W),
        "planned_hours": planned,
        "released_hours": released,
        "load_hours": load,
        "available_hours": avail,
        "utilisation": util,
        "overload_hours": np.maximum(0.0, load - np.nan_to_num(avail, nan=np.inf)),
    })


def rough_cut(inputs: PlanInputs, netted: Netted) -> pd.DataFrame:
    """Rough-cut capacity per end item: bill of resources x MPS, in the MPS week.

    Parameters
    ----------
    inputs : PlanInputs
    netted : Netted

    Returns
    -------
    DataFrame
        ``item_id, work_center_id, period`` (1-based), ``period_start`` (Monday),
        ``mps_qty`` [units] (planned plus scheduled receipts of the end item),
        ``hours`` [h] (``mps_qty`` x :func:`bill_of_resources`), sorted by item, week
        and work center.
    """
    bor = bill_of_resources(inputs)
    cols = ["item_id", "work_center_id", "period", "period_start", "mps_qty", "hours"]
    if bor.empty:
        return pd.DataFrame(columns=cols)
    fg = np.flatnonzero(inputs.end_item)
    supply = netted.planned_receipts[fg] + inputs.receipts[fg]
    fi, fb = np.nonzero(supply > TOL)
    q = pd.DataFrame({"item_id": inputs.item_ids[fg[fi]], "b": fb, "mps_qty": supply[fi, fb]})
    out = q.merge(bor, on="item_id", how="inner")
    out["hours"] = out.mps_qty * out.hours_per_unit
    out = out.sort_values(["item_id", "b", "work_center_id"], kind="stable")
    return pd.DataFrame({"item_id": out.item_id.to_numpy(), "work_center_id": out.work_center_id.to_numpy(),
                         "period": out.b.to_numpy() + 1,
                         "period_start": inputs.period_starts.to_numpy()[out.b.to_numpy()],
                         "mps_qty": out.mps_qty.to_numpy(), "hours": out.hours.to_numpy()}, copy=False)


def bill_of_resources(inputs: PlanInputs) -> pd.DataFrame:
    """Run hours per unit of each end item at each work center, over its whole BOM.

    Parameters
    ----------
    inputs : PlanInputs

    Returns
    -------
    DataFrame
        ``item_id, work_center_id, hours_per_unit`` [h/unit], BOM lines in
        effect at the plan start, component scrap included, setups left out.
    """
    rt = inputs.dataset.routings
    if rt.empty:
        return pd.DataFrame(columns=["item_id", "work_center_id", "hours_per_unit"])
    wcs = pd.Index(sorted(rt.work_center_id.unique()))
    total = np.zeros((inputs.n, len(wcs)))
    rows = inputs.routing_row
    ok = rows >= 0
    accumulate(total, rows[ok] * len(wcs) + wcs.get_indexer(rt.work_center_id)[ok],
               rt.run_min_per_unit.fillna(0).to_numpy()[ok] / 60.0)
    # roll the components' hours up into their parents, deepest level first
    par, comp, llc = inputs.bom_parent, inputs.bom_component, inputs.low_level_code
    eff = (inputs.bom_from <= 0) & (inputs.bom_to > 0)
    par_level = llc[par] if len(par) else np.zeros(0, dtype=np.int64)
    for level in range(int(llc.max()) - 1, -1, -1):
        lines = np.flatnonzero(eff & (par_level == level))  # sorted by parent
        if not len(lines):
            continue
        p = par[lines]
        starts = np.flatnonzero(np.r_[True, p[1:] != p[:-1]])
        contrib = inputs.bom_qty[lines, None] * total[comp[lines]]
        total[p[starts]] += np.add.reduceat(contrib, starts, axis=0)
    fg = np.flatnonzero(inputs.end_item)
    fi, wi = np.nonzero(total[fg] > 0)
    return pd.DataFrame({"item_id": inputs.item_ids[fg[fi]], "work_center_id": wcs.to_numpy()[wi],
                         "hours_per_unit": total[fg[fi], wi]})
