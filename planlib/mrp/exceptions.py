"""Exception messages: what a planner should act on, one row and one sentence each.

The messages, in the order they are listed: planned orders released in the past,
open orders to reschedule (past due, cancel, expedite, defer), open orders against
their item's lot rules, items projected short or below safety stock, past-due
customer orders and customer orders beyond the horizon. ``docs/mrp.md`` ("Acting on
exceptions") says what each asks for.

References
----------
Orlicky, J., Material Requirements Planning, McGraw-Hill, 1975 (exception messages).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from planlib.mrp._arrays import TOL
from planlib.mrp.checks import LOT_RULE_CODES
from planlib.mrp.inputs import PlanInputs
from planlib.mrp.netting import Netted

NAT = np.datetime64("NaT")


def exceptions(inputs: PlanInputs, netted: Netted) -> pd.DataFrame:
    """Exception messages, one row each: what is wrong, where, and what to do.

    Parameters
    ----------
    inputs : PlanInputs
    netted : Netted

    Returns
    -------
    DataFrame
        ``exception`` (``release_in_past, past_due_receipt, cancel, expedite, defer,
        lot_rule_violated, shortage, below_safety_stock, past_due_demand, beyond_horizon``),
        ``severity`` (``critical | warning | info``), ``item_id``, ``order_id`` (planned
        order, open order or customer order; empty for shortage and below_safety_stock),
        ``date`` (the date concerned: due date, or the first week short), ``new_date``
        (the suggested date, NaT if none), ``qty`` [units] (the order quantity; projected
        on hand for shortage and below_safety_stock), ``message`` (a sentence a planner
        can act on).
    """
    parts = _release_in_past(inputs, netted)
    if not inputs.scheduled_receipts.empty:
        parts += _reschedule_receipts(inputs, netted) + _lot_rule_violations(inputs)
    parts += _below_safety_stock(inputs, netted) + _customer_order_dates(inputs)
    if not parts:
        return _rows("", "", [], [], [], [], [], [])
    return pd.concat(parts, ignore_index=True)


def _release_in_past(inputs: PlanInputs, netted: Netted) -> list[pd.DataFrame]:
    """Planned orders whose release falls before the plan start (released in the first bucket)."""
    o = netted.planned_orders
    late = o[o.release_bucket_unclipped < 0]
    if not len(late):
        return []
    start = np.datetime64(inputs.start.date(), "ns")
    oid = late.order_id.to_numpy()
    item = inputs.item_ids[late.row.to_numpy()]
    due = inputs.period_starts.to_numpy()[late.bucket.to_numpy()]
    was = start + (late.release_bucket_unclipped.to_numpy() * 7).astype("timedelta64[D]")
    return [_rows("release_in_past", "critical", item, oid, due, start, late.qty.to_numpy(),
                  "Planned order " + _s(oid) + " for " + _g(late.qty) + " " + _s(item)
                  + " is needed in week of " + _d(due) + " but should have been released on "
                  + _d(was) + " (" + _s(-late.release_bucket_unclipped.to_numpy()) + " week(s) ago): release it now "
                  "and expedite, or move the demand it serves.")]


def _reschedule_receipts(inputs: PlanInputs, netted: Netted) -> list[pd.DataFrame]:
    """Open orders due before the plan start, not needed in the horizon, or needed earlier or later."""
    sr = inputs.scheduled_receipts
    ps = inputs.period_starts.to_numpy()
    start = np.datetime64(inputs.start.date(), "ns")
    H = inputs.n_periods
    tol_w = inputs.settings.reschedule_tolerance_weeks
    parts = []
    # need date of each receipt with planned orders left out: the first bucket where the
    # cumulative requirement (safety stock + gross - on hand) exceeds the receipts before it
    inside = sr[sr._bucket < H].sort_values(["_row", "_bucket", "due_date", "order_id"], kind="stable")
    before = inside.groupby("_row").qty.cumsum().to_numpy() - inside.qty.to_numpy()
    i = inside._row.to_numpy()
    u, at = np.unique(i, return_inverse=True)
    R = inputs.safety_stock[u, None] + np.cumsum(netted.gross_requirements[u], axis=1) - inputs.on_hand[u, None]
    Rmax = np.maximum.accumulate(R, axis=1)[at]
    nb = (Rmax <= (before + TOL)[:, None]).sum(axis=1)  # first bucket with Rmax > before
    b = inside._bucket.to_numpy()
    due = inside.due_date.to_numpy()
    oid, item, qty = inside.order_id.to_numpy(), inside.item_id.to_numpy(), inside.qty.to_numpy(dtype=float)
    head = "Order " + _s(oid) + " for " + _g(qty) + " " + _s(item)
    pastd = due < start
    if pastd.any():
        parts.append(_rows("past_due_receipt", "warning", item[pastd], oid[pastd], due[pastd], start, qty[pastd],
                           head[pastd] + " was due " + _d(due[pastd]) + " and is not received: it is counted "
                           "in the first week; confirm a new date with the supplier or shop."))
    cancel = nb >= H
    if cancel.any():
        parts.append(_rows("cancel", "warning", item[cancel], oid[cancel], due[cancel], NAT, qty[cancel],
                           head[cancel] + " due " + _d(due[cancel]) + " is not needed within the horizon: "
                           "cancel it (or defer it beyond " + str(pd.Timestamp(ps[-1]).date()) + ")."))
    nbc = np.minimum(nb, H - 1)
    exp = ~cancel & (nb < b - tol_w)
    if exp.any():
        parts.append(_rows("expedite", "critical", item[exp], oid[exp], due[exp], ps[nbc[exp]], qty[exp],
                           head[exp] + " is due " + _d(due[exp]) + " but needed in week of " + _d(ps[nbc[exp]])
                           + ": expedite it " + _s(b[exp] - nb[exp]) + " week(s)."))
    dfr = ~cancel & (nb > b + tol_w) & ~pastd
    if dfr.any():
        parts.append(_rows("defer", "info", item[dfr], oid[dfr], due[dfr], ps[nbc[dfr]], qty[dfr],
                           head[dfr] + " is due " + _d(due[dfr]) + " but not needed before week of "
                           + _d(ps[nbc[dfr]]) + ": defer it " + _s(nb[dfr] - b[dfr]) + " week(s)."))
    return parts


def _lot_rule_violations(inputs: PlanInputs) -> list[pd.DataFrame]:
    """Open orders below the minimum, above the maximum, or not a multiple of the order multiple or FOQ lot."""
    sr = inputs.scheduled_receipts
    j = sr._row.to_numpy()
    q = sr.qty.to_numpy(dtype=float)
    moq, mult, maxq = inputs.min_order_qty[j], inputs.order_multiple[j], inputs.max_order_qty[j]
    lot, rule = inputs.lot_size[j], inputs.lot_rule[j]
    why = np.full(len(sr), "", dtype=object)

    def add(mask, text):
        nonlocal why
        why = np.where(mask, np.where(why == "", text, why + " and " + text), why)

    add((moq > 0) & (q < moq - TOL), "below the minimum order quantity " + _g(moq))
    add(np.isfinite(maxq) & (maxq > 0) & (q > maxq + TOL), "above the maximum order quantity " + _g(maxq))
    safe = np.where(mult > 0, mult, 1.0)
    add((mult > 0) & (np.abs(q / safe - np.round(q / safe)) > 1e-6), "not a multiple of " + _g(mult))
    safe = np.where(lot > 0, lot, 1.0)
    add((rule == LOT_RULE_CODES["FOQ"]) & (lot > 0) & (np.abs(q / safe - np.round(q / safe)) > 1e-6),
        "not a multiple of the fixed lot size " + _g(lot))
    bad = why != ""
    if not bad.any():
        return []
    oid, item = sr.order_id.to_numpy()[bad], sr.item_id.to_numpy()[bad]
    return [_rows("lot_rule_violated", "info", item, oid, sr.due_date.to_numpy()[bad], NAT, q[bad],
                  "Open order " + _s(oid) + " for " + _g(q[bad]) + " " + _s(item) + " is "
                  + why[bad].astype(str) + ": adjust the quantity or accept the exception.")]


def _below_safety_stock(inputs: PlanInputs, netted: Netted) -> list[pd.DataFrame]:
    """Items projected below zero (shortage) or below safety stock, from the first week it happens."""
    ps = inputs.period_starts.to_numpy()
    POH, ss = netted.projected_on_hand, inputs.safety_stock
    parts = []
    low = np.flatnonzero(POH.min(axis=1) < np.maximum(ss, 0.0) - TOL)
    POHl = POH[low]
    short = POHl < -TOL
    below = (POHl < ss[low, None] - TOL) & (ss[low, None] > 0)
    for kind, mask, sev in (("shortage", short, "critical"), ("below_safety_stock", below & ~short, "warning")):
        hit_l = np.flatnonzero(mask.any(axis=1))
        if not len(hit_l):
            continue
        hit = low[hit_l]
        b = mask[hit_l].argmax(axis=1)
        poh = POH[hit, b]
        item = inputs.item_ids[hit]
        if kind == "shortage":
            msg = (_s(item) + " runs short in week of " + _d(ps[b]) + " (projected on hand " + _g(poh)
                   + ", lowest " + _g(POH[hit].min(axis=1)) + ") inside the lead time: expedite open "
                   "supply or move demand.")
        else:
            msg = (_s(item) + " is projected at " + _g(poh) + ", below its safety stock " + _g(ss[hit])
                   + ", from week of " + _d(ps[b]) + ": supply cannot arrive sooner within the lead time; "
                   "expedite or accept the lower buffer.")
        parts.append(_rows(kind, sev, item, "", ps[b], NAT, poh, msg))
    return parts


def _customer_order_dates(inputs: PlanInputs) -> list[pd.DataFrame]:
    """Customer orders due before the plan start (planned in the first week) or after the horizon (not planned)."""
    start = np.datetime64(inputs.start.date(), "ns")
    parts = []
    dr = inputs.demand
    past = dr[dr.due_date < inputs.start]
    if len(past):
        parts.append(_rows("past_due_demand", "warning", past.item_id, past.order_id, past.due_date, start,
                           past.qty, "Customer order " + _s(past.order_id) + " for " + _g(past.qty) + " "
                           + _s(past.item_id) + " was due " + _d(past.due_date) + ": it is planned in the "
                           "first week; agree a new date with the customer."))
    bey = inputs.demand_beyond_horizon
    if len(bey):
        parts.append(_rows("beyond_horizon", "info", bey.item_id, bey.order_id, bey.due_date, NAT, bey.qty,
                           "Customer order " + _s(bey.order_id) + " for " + _g(bey.qty) + " " + _s(bey.item_id)
                           + " due " + _d(bey.due_date) + " is after the plan horizon and is not planned: "
                           "extend the horizon to include it."))
    return parts


def _rows(kind, severity, item, order, date, new_date, qty, message) -> pd.DataFrame:
    """Exception rows of one kind (columns as :func:`exceptions` returns them)."""
    n = len(item)
    return pd.DataFrame({
        "exception": np.full(n, kind, dtype=object), "severity": np.full(n, severity, dtype=object),
        "item_id": np.asarray(item, dtype=object), "order_id": np.broadcast_to(np.asarray(order, dtype=object), (n,)),
        "date": pd.to_datetime(np.broadcast_to(np.asarray(date, dtype="datetime64[ns]"), (n,))),
        "new_date": pd.to_datetime(np.broadcast_to(np.asarray(new_date, dtype="datetime64[ns]"), (n,))),
        "qty": np.asarray(qty, dtype=float), "message": np.asarray(message, dtype=object)})


def _s(values) -> np.ndarray:
    """Values as text."""
    return np.asarray(pd.Series(np.asarray(values)).astype(str).to_numpy(), dtype=object)


def _g(values) -> np.ndarray:
    """Quantities as short text (``%g``)."""
    return np.asarray([f"{v:g}" for v in np.asarray(values, dtype=float)], dtype=object)


def _d(values) -> np.ndarray:
    """Dates as ``YYYY-MM-DD``."""
    return np.asarray(pd.DatetimeIndex(np.asarray(values, dtype="datetime64[ns]")).strftime("%Y-%m-%d"), dtype=object)
