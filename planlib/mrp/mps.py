"""The master production schedule of the end items and what is still available to promise."""
from __future__ import annotations

import numpy as np
import pandas as pd

from planlib.mrp._arrays import TOL, clean
from planlib.mrp.inputs import PlanInputs
from planlib.mrp.netting import Netted


def mps(inputs: PlanInputs, netted: Netted) -> pd.DataFrame:
    """Master production schedule: end items (no BOM line uses them) with demand or supply, bucket by bucket.

    Parameters
    ----------
    inputs : PlanInputs
    netted : Netted

    Returns
    -------
    DataFrame
        ``item_id, period`` (1-based), ``period_start`` (Monday), ``forecast``,
        ``customer_orders``, ``independent_demand`` (customer orders plus the forecast they leave
        unconsumed: what entered gross requirements), ``scheduled_receipts``,
        ``projected_on_hand``, ``mps_receipts``, ``mps_releases`` (planned order
        receipts and releases) [units]; items in the items table's order.
    """
    has = (inputs.independent_demand > 0).any(axis=1) | (netted.planned_receipts > 0).any(axis=1)
    if inputs.has_forecast:
        has |= (inputs.forecast > 0).any(axis=1)
    rows = inputs.in_items_order(np.flatnonzero(inputs.end_item & has))
    H = inputs.n_periods
    return pd.DataFrame({
        "item_id": np.repeat(inputs.item_ids[rows], H),
        "period": np.tile(np.arange(1, H + 1), len(rows)),
        "period_start": np.tile(inputs.period_starts.to_numpy(), len(rows)),
        "forecast": inputs.forecast[rows].ravel(),
        "customer_orders": inputs.customer_orders[rows].ravel(),
        "independent_demand": inputs.independent_demand[rows].ravel(),
        "scheduled_receipts": inputs.receipts[rows].ravel(),
        "projected_on_hand": clean(netted.projected_on_hand[rows]).ravel(),
        "mps_receipts": netted.planned_receipts[rows].ravel(),
        "mps_releases": netted.planned_releases[rows].ravel(),
    }, copy=False)


def atp(inputs: PlanInputs, netted: Netted) -> pd.DataFrame:
    """Discrete available-to-promise with look-ahead per end item, and its running total.

    Parameters
    ----------
    inputs : PlanInputs
    netted : Netted

    Returns
    -------
    DataFrame
        End items with customer orders or supply: ``item_id, period`` (1-based),
        ``period_start`` (Monday), ``mps_qty`` (planned plus scheduled receipts),
        ``customer_orders``, ``atp`` (:func:`available_to_promise`), ``cumulative_atp`` [units].
    """
    rows = inputs.in_items_order(np.flatnonzero(
        inputs.end_item & ((inputs.customer_orders > 0).any(axis=1) | (netted.planned_receipts > 0).any(axis=1)
                           | (inputs.receipts > 0).any(axis=1))))
    H = inputs.n_periods
    supply = netted.planned_receipts[rows] + inputs.receipts[rows]
    booked = inputs.customer_orders[rows]
    promise = available_to_promise(inputs.on_hand[rows], supply, booked)
    return pd.DataFrame({
        "item_id": np.repeat(inputs.item_ids[rows], H),
        "period": np.tile(np.arange(1, H + 1), len(rows)),
        "period_start": np.tile(inputs.period_starts.to_numpy(), len(rows)),
        "mps_qty": supply.ravel(),
        "customer_orders": booked.ravel(),
        "atp": promise.ravel(),
        "cumulative_atp": np.cumsum(promise, axis=1).ravel(),
    }, copy=False)


def available_to_promise(on_hand, mps, booked) -> np.ndarray:
    """Discrete available-to-promise with look-ahead, for many items at once.

    In the first bucket and each bucket with an MPS quantity, ATP is on hand
    (first bucket only) plus the MPS quantity, less the customer orders booked
    from that bucket up to the next MPS bucket. A negative ATP is taken from
    the ATP of earlier MPS buckets (look-ahead), latest first.

    Parameters
    ----------
    on_hand : ndarray, shape (items,)
        Available stock at the plan start [units].
    mps, booked : ndarray, shape (items, periods)
        MPS receipts (planned and scheduled) and booked customer orders [units].

    Returns
    -------
    ndarray, shape (items, periods)
        ATP per bucket [units]; 0 in buckets without MPS (except the first).

    References
    ----------
    Vollmann, Berry, Whybark and Jacobs, Manufacturing Planning and Control for
    Supply Chain Management, 5th ed., 2005, chapter on master production scheduling.
    """
    mps = np.asarray(mps, dtype=float)
    booked = np.asarray(booked, dtype=float)
    m, H = mps.shape
    event = mps > TOL
    event[:, 0] = True
    owner = np.maximum.accumulate(np.where(event, np.arange(H)[None, :], 0), axis=1)
    atp = np.zeros((m, H))
    atp[:, 0] = on_hand
    atp += np.where(event, mps, 0.0)
    rows = np.repeat(np.arange(m), H)
    np.add.at(atp, (rows, owner.ravel()), -booked.ravel())
    # look-ahead: push negatives back to the previous MPS bucket
    carry = np.zeros(m)
    for t in range(H - 1, -1, -1):
        atp[:, t] += np.where(event[:, t], carry, 0.0)
        carry = np.where(event[:, t], 0.0, carry)
        neg = event[:, t] & (atp[:, t] < -TOL) & (t > 0)
        carry = np.where(neg, atp[:, t], carry)
        atp[:, t] = np.where(neg, 0.0, atp[:, t])
    atp[np.abs(atp) < TOL] = 0.0
    return atp

