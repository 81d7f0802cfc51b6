"""The planned orders table: MRP's proposed supply, one row per order."""
from __future__ import annotations

import numpy as np
import pandas as pd

from planlib.mrp.inputs import PlanInputs
from planlib.mrp.netting import Netted


def planned_orders(inputs: PlanInputs, netted: Netted) -> pd.DataFrame:
    """Planned production orders (make) and purchase requisitions (buy).

    Parameters
    ----------
    inputs : PlanInputs
    netted : Netted

    Returns
    -------
    DataFrame
        One row per planned order, in creation order (low-level code, item, bucket):
        ``order_id`` (``PLN-0000001`` ...), ``item_id``, ``order_type`` (``make|buy``),
        ``supplier_id`` (buy orders: the item's supplier; None for make), ``qty`` [units]
        to release or order (scrap included), ``release_date`` and ``due_date`` (bucket
        starts, Mondays), ``receipt_qty`` [units] (good units received), ``low_level_code``.
    """
    o = netted.planned_orders
    ps = inputs.period_starts.to_numpy()
    item = o.row.to_numpy()
    sup = inputs.items.supplier_id.to_numpy(dtype=object)[item]
    make = inputs.make[item]
    return pd.DataFrame({
        "order_id": o.order_id.to_numpy(),
        "item_id": inputs.item_ids[item],
        "order_type": np.where(make, "make", "buy"),
        "supplier_id": np.where(make, None, sup),
        "qty": o.qty.to_numpy(),
        "release_date": ps[o.release_bucket.to_numpy()] if len(o) else np.array([], "datetime64[ns]"),
        "due_date": ps[o.bucket.to_numpy()] if len(o) else np.array([], "datetime64[ns]"),
        "receipt_qty": o.receipt_qty.to_numpy(),
        "low_level_code": inputs.low_level_code[item],
    })
