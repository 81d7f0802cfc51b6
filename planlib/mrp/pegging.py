"""Pegging: which supply serves which demand, per item and through every BOM level.

:func:`pegging` pegs supplies to demands FIFO by date on each item's cumulative
quantity axis; a planned order's components peg to it as dependent demand, so
:func:`trace_pegging` can follow any supply up to the customer orders, forecast
and safety stock it serves (:mod:`planlib.peg` builds the planner's traces on it).

References
----------
Orlicky, J., Material Requirements Planning, McGraw-Hill, 1975 (pegging).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from planlib.mrp._arrays import TOL, cum_within
from planlib.mrp.inputs import PlanInputs
from planlib.mrp.netting import Netted

PEGGING_COLUMNS = ["item_id", "supply_type", "supply_id", "supply_date", "demand_type", "demand_id",
                   "demand_item_id", "demand_date", "qty"]


def pegging(inputs: PlanInputs, netted: Netted) -> pd.DataFrame:
    """FIFO pegging of supplies to demands per item, by date.

    Demands of an item, in order: bucket, then customer orders (by priority
    and due date), forecast, dependent demand of parent planned orders; then
    its safety stock. Supplies: on hand, scheduled receipts (by due date),
    planned orders (by due date). Each is a segment of the item's
    cumulative quantity; overlapping segments give the pegging rows.

    Parameters
    ----------
    inputs : PlanInputs
    netted : Netted

    Returns
    -------
    DataFrame
        Empty (these columns, no rows) with ``MrpSettings(pegging=False)``. Else one row per
        (supply, demand) pair, items in the items table's order:
        ``item_id``; ``supply_type`` (``on_hand | scheduled_receipt | planned_order | none``);
        ``supply_id`` (the order id, ``on hand`` or ``shortage``); ``supply_date`` (due
        date; NaT for on hand and shortage); ``demand_type`` (``customer_order | forecast |
        dependent | safety_stock | excess``); ``demand_id`` (customer order, ``forecast
        YYYY-MM-DD``, the parent's planned order, ``safety stock`` or ``excess``);
        ``demand_item_id`` (the parent item for dependent demand); ``demand_date`` (NaT for
        excess); ``qty`` [units of ``item_id``]. Id columns are categoricals. Demand no
        supply covers is pegged to ``supply_type="none"`` (``supply_id="shortage"``);
        supply beyond every demand and the safety stock to ``demand_type="excess"``.
    """
    if not inputs.settings.pegging:
        return pd.DataFrame(columns=PEGGING_COLUMNS)
    H = inputs.n_periods
    day0 = np.datetime64(inputs.start.date(), "D")
    ps_days = np.arange(H + 1) * 7
    # ---- demands: numeric keys + (type, index into that type's ids)
    dr = inputs.demand
    fi, fb = np.nonzero(inputs.unconsumed_forecast > TOL) if inputs.has_forecast else (np.zeros(0, np.int64),) * 2
    dep = netted.dependent_demand
    si = np.flatnonzero(inputs.safety_stock > TOL)
    d_i = np.concatenate([dr._row.to_numpy(), fi, dep.row.to_numpy(), si]).astype(np.int64)
    d_b = np.concatenate([dr._bucket.to_numpy(), fb, dep.bucket.to_numpy(), np.full(len(si), H)]).astype(np.int64)
    d_rank = np.repeat([0, 1, 2, 3], [len(dr), len(fi), len(dep), len(si)])
    d_prio = np.concatenate([dr.priority.fillna(9).to_numpy(dtype=np.int64), np.full(len(fi) + len(dep) + len(si), 9)])
    d_days = np.concatenate([(dr.due_date.to_numpy("datetime64[D]") - day0).astype(np.int64),
                             ps_days[fb], ps_days[dep.bucket.to_numpy().astype(np.int64)], ps_days[np.full(len(si), H - 1)]])
    d_qty = np.concatenate([dr.qty.to_numpy(dtype=float), inputs.unconsumed_forecast[fi, fb], dep.qty.to_numpy(dtype=float),
                            inputs.safety_stock[si]])
    d_src = np.concatenate([np.arange(len(dr)), np.arange(len(fi)), np.arange(len(dep)), np.arange(len(si))])
    keep = d_qty > TOL
    key = _sort_key(d_i, d_b + 1, d_rank, d_prio, d_days)
    order = np.flatnonzero(keep)[np.argsort(key[keep], kind="stable")]
    d_i, d_b, d_rank, d_days, d_qty, d_src = (a[order] for a in (d_i, d_b, d_rank, d_days, d_qty, d_src))
    # ---- supplies
    oi = np.flatnonzero(inputs.on_hand > TOL)
    sr = inputs.scheduled_receipts[inputs.scheduled_receipts._bucket < H]
    o = netted.planned_orders
    s_i = np.concatenate([oi, sr._row.to_numpy(), o.row.to_numpy()]).astype(np.int64)
    s_b = np.concatenate([np.full(len(oi), -1), sr._bucket.to_numpy(), o.bucket.to_numpy()]).astype(np.int64)
    s_rank = np.repeat([0, 1, 2], [len(oi), len(sr), len(o)])
    s_days = np.concatenate([np.full(len(oi), -1), (sr.due_date.to_numpy("datetime64[D]") - day0).astype(np.int64),
                             ps_days[o.bucket.to_numpy().astype(np.int64)]])
    s_qty = np.concatenate([inputs.on_hand[oi], sr.qty.to_numpy(dtype=float), o.receipt_qty.to_numpy()])
    s_src = np.concatenate([np.arange(len(oi)), np.arange(len(sr)), np.arange(len(o))])
    key = _sort_key(s_i, s_b + 1, s_rank, np.zeros(len(s_i), dtype=np.int64), s_days)
    order = np.argsort(key, kind="stable")
    s_i, s_rank, s_days, s_qty, s_src = (a[order] for a in (s_i, s_rank, s_days, s_qty, s_src))
    dk, sk, qty, item = _fifo_segments(d_i, d_qty, s_i, s_qty, inputs.n)
    shown = np.argsort(inputs.source_row[item], kind="stable")  # items in the items table's order
    dk, sk, qty, item = dk[shown], sk[shown], qty[shown], item[shown]
    n = len(qty)
    in_d, in_s = dk >= 0, sk >= 0
    dkk, skk = np.maximum(dk, 0), np.maximum(sk, 0)
    # ---- labels, as categoricals: codes point into the id lists (no object column per row)
    d_t = np.where(in_d, d_rank[dkk] if len(d_rank) else 4, 4)
    s_t = np.where(in_s, s_rank[skk] if len(s_rank) else 3, 3)
    d_s = d_src[dkk] if len(d_src) else np.zeros(n, dtype=np.int64)
    s_s = s_src[skk] if len(s_src) else np.zeros(n, dtype=np.int64)
    oid = o.order_id.to_numpy()
    fc_ids = np.array([f"forecast {d}" for d in (day0 + ps_days[:H]).astype(str)], dtype=object)
    # demand ids: excess, safety stock, customer orders, forecast weeks, planned orders
    d_cats = [np.array(["excess", "safety stock"], dtype=object), dr.order_id.to_numpy(dtype=object), fc_ids, oid]
    d_off = np.cumsum([0] + [len(c) for c in d_cats])
    d_code = np.zeros(n, dtype=np.int64)  # excess
    d_code[d_t == 0] = d_off[1] + d_s[d_t == 0]
    if len(fb):
        d_code[d_t == 1] = d_off[2] + fb[d_s[d_t == 1]]
    if len(dep):
        d_code[d_t == 2] = d_off[3] + dep.parent_seq.to_numpy().astype(np.int64)[d_s[d_t == 2]] - 1
    d_code[d_t == 3] = 1
    d_item = item.copy()
    if len(dep):
        d_item[d_t == 2] = dep.parent_row.to_numpy().astype(np.int64)[d_s[d_t == 2]]
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
    items = pd.Index(inputs.item_ids)
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
    d_end = base[d_i] + cum_within(d_i, d_qty)
    s_end = base[s_i] + cum_within(s_i, s_qty)
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
    keep = (in_d | in_s) & (hi - lo > TOL)
    lo, hi, dk, sk, in_d, in_s = lo[keep], hi[keep], dk[keep], sk[keep], in_d[keep], in_s[keep]
    dk = np.where(in_d, dk, -1)
    sk = np.where(in_s, sk, -1)
    item = np.where(in_d, d_i[np.maximum(dk, 0)] if nd else -1, s_i[np.maximum(sk, 0)] if ns else -1)
    # merge neighbouring pieces of the same pair
    new = np.r_[True, (dk[1:] != dk[:-1]) | (sk[1:] != sk[:-1]) | (item[1:] != item[:-1])]
    starts = np.flatnonzero(new)
    qty = np.add.reduceat(hi - lo, starts) if len(starts) else np.zeros(0)
    return dk[starts], sk[starts], qty, item[starts]

