"""Seeded random production orders for a factory: test and benchmark workloads."""
from __future__ import annotations

import numpy as np
import pandas as pd

from planlib.dataset import Dataset
from planlib.schedule.problem import ORDER_COLUMNS, weight_of


def random_orders(ds: Dataset, n_orders: int, plan_start, seed: int = 0, release_days: int = 10,
                  due_days: tuple[int, int] = (3, 21), qty: tuple[int, int] = (5, 40)) -> pd.DataFrame:
    """``n_orders`` planned make orders of the dataset's routed items.

    Releases are spread over the first ``release_days`` days; due dates fall
    ``due_days`` days after release; priorities 1..9 are drawn so that most orders
    are of middle priority. The quantity of an item with an uninterruptible
    operation is capped so that its run fits in 7 hours on a speed-1 machine.

    Returns
    -------
    DataFrame
        Columns as :func:`planlib.schedule.problem.build_orders`.
    """
    rng = np.random.default_rng(seed)
    plan_start = pd.Timestamp(plan_start)
    routed = ds.routings.groupby("item_id")
    items = sorted(routed.groups)
    item = rng.choice(items, size=n_orders)
    q = rng.integers(qty[0], qty[1] + 1, size=n_orders).astype(float)
    un = ds.routings[ds.routings.uninterruptible.astype(bool)]
    cap = (420 / un.run_min_per_unit.clip(lower=1e-6)).groupby(un.item_id).min()
    q = np.minimum(q, pd.Series(item).map(cap).fillna(np.inf).to_numpy())
    q = np.maximum(1.0, np.floor(q))
    release = plan_start + pd.to_timedelta(rng.integers(0, release_days * 24, size=n_orders), unit="h")
    release = release.normalize()
    due = release + pd.to_timedelta(rng.integers(due_days[0], due_days[1] + 1, size=n_orders), unit="D")
    priority = rng.choice(np.arange(1, 10), size=n_orders,
                          p=np.array([2, 4, 8, 10, 10, 8, 4, 2, 2]) / 50)
    out = pd.DataFrame({"order_id": [f"PL-{k + 1:05d}" for k in range(n_orders)], "item_id": item, "qty": q,
                        "release_date": release, "due_date": due, "priority": priority,
                        "weight": weight_of(priority).to_numpy(), "status": "planned",
                        "earliest_start": pd.NaT})
    return out[ORDER_COLUMNS]
