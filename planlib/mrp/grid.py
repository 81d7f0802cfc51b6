"""The MRP grid: the MRP record of every item, bucket by bucket."""
from __future__ import annotations

import numpy as np
import pandas as pd

from planlib.mrp.inputs import PlanInputs
from planlib.mrp.netting import Netted


def mrp_grid(inputs: PlanInputs, netted: Netted) -> pd.DataFrame:
    """Every item x bucket, items in the order of the items table.

    Parameters
    ----------
    inputs : PlanInputs
    netted : Netted

    Returns
    -------
    DataFrame
        ``item_id`` (categorical), ``period`` (1-based), ``period_start`` (Monday),
        ``gross_requirements``, ``scheduled_receipts``, ``projected_on_hand`` (end of
        bucket, planned receipts included), ``net_requirements``,
        ``planned_order_receipts``, ``planned_order_releases`` [units].

    References
    ----------
    Vollmann, Berry, Whybark and Jacobs, Manufacturing Planning and Control for Supply
    Chain Management, 5th ed., 2005 (the MRP record).
    """
    n, H = inputs.n, inputs.n_periods
    back = inputs.plan_row
    same = bool((back == np.arange(n)).all())
    cols = {}
    for name, a in (("gross_requirements", netted.gross_requirements), ("scheduled_receipts", inputs.receipts),
                    ("projected_on_hand", netted.projected_on_hand), ("net_requirements", netted.net_requirements),
                    ("planned_order_receipts", netted.planned_receipts),
                    ("planned_order_releases", netted.planned_releases)):
        cols[name] = a.reshape(-1) if same else np.take(a, back, axis=0).reshape(-1)
    codes = np.repeat(np.arange(n, dtype=np.int32), H)
    head = {"item_id": pd.Categorical.from_codes(codes, categories=pd.Index(inputs.item_ids[back])),
            "period": np.tile(np.arange(1, H + 1, dtype=np.int64), n),
            "period_start": np.tile(inputs.period_starts.to_numpy(), n)}
    return pd.DataFrame(head | cols, copy=False)
