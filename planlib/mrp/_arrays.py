"""Numeric conventions and array helpers shared by the MRP modules.

Every quantity is kept to :data:`DECIMALS` decimals of its unit (a micro-unit):
gross requirements, receipts, stock and every netting step are rounded to it, so
that the plan does not depend on the order float sums are taken in. :data:`TOL`
(half a micro-unit) tells float noise from a quantity; it is never policy.
"""
from __future__ import annotations

import numpy as np

#: Decimals every quantity is rounded to [units]: a micro-unit.
DECIMALS = 6
#: Half a micro-unit: float noise, never policy.
TOL = 5e-7
#: Weeks in a year, for yearly rates (holding cost rate, EOQ demand) [weeks/year].
WEEKS_PER_YEAR = 52.0


def accumulate(target: np.ndarray, flat_index, values) -> None:
    """``target.flat[flat_index] += values`` with repeated indices summed (in place)."""
    flat_index = np.asarray(flat_index, dtype=np.int64)
    if len(flat_index) == 0:
        return
    view = target.reshape(-1)
    if len(flat_index) * 8 > view.size:
        view += np.bincount(flat_index, weights=values, minlength=view.size)
    else:
        u, inv = np.unique(flat_index, return_inverse=True)
        view[u] += np.bincount(inv, weights=values, minlength=len(u))


def cum_within(group: np.ndarray, qty: np.ndarray) -> np.ndarray:
    """Cumulative sum of ``qty`` restarting at each change of the (sorted) ``group``."""
    c = np.cumsum(qty)
    if len(c) == 0:
        return c
    first = np.r_[True, group[1:] != group[:-1]]
    starts = np.flatnonzero(first)
    offset = np.repeat(np.r_[0.0, c[starts[1:] - 1]], np.diff(np.r_[starts, len(c)]))
    return c - offset


def clean(a: np.ndarray) -> np.ndarray:
    """``a`` with float noise (``|a| < TOL``) set to 0."""
    return np.where(np.abs(a) < TOL, 0.0, a)


def repeat_ranges(starts: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """``starts[k], starts[k] + 1, ..., starts[k] + counts[k] - 1`` for every k, concatenated."""
    return np.repeat(starts, counts) + (np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts))
