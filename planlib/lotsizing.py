"""Lot sizing: how much to order when a net requirement appears.

Two shapes of every rule:

* single-item functions (``wagner_whitin``, ``silver_meal``, ``least_unit_cost``,
  ``part_period_balancing``, ``period_order_quantity``, ``fixed_order_quantity``,
  ``lot_for_lot``) that take one series of net requirements and return the
  order quantities - what a planner or a notebook calls to compare rules;
* ``dynamic_windows``, the same dynamic rules vectorised over many items at
  once (numpy over items x periods), which :func:`planlib.mrp.run_mrp` uses.

Both shapes follow the same conventions (see ``docs/mrp.md``):

* an order is placed in a period with a positive net requirement and covers
  that period and the following ones of its *window*;
* holding cost ``h`` is charged per unit on the inventory at the end of each
  period, so a unit of period ``k`` covered by an order in period ``j`` costs
  ``h * (k - j)``; the order cost ``K`` is charged once per order;
* periods without requirement are carried inside the current window at no cost;
* ties are broken towards the longer window (fewer orders): Wagner-Whitin
  picks the earliest last order among equal-cost plans; the greedy rules
  extend while the criterion does not increase.

References
----------
Wagner, H.M. and Whitin, T.M. (1958), Dynamic version of the economic lot size
model, Management Science 5(1), 89-96.
Silver, E.A. and Meal, H.C. (1973), A heuristic for selecting lot size quantities
for the case of a deterministic time-varying demand rate and discrete opportunities
for replenishment, Production and Inventory Management 14(2), 64-74.
Nahmias, S., Production and Operations Analysis, chapter on MRP lot sizing
(Silver-Meal, least unit cost, part period balancing, Wagner-Whitin).
"""
from __future__ import annotations

import math

import numpy as np

#: Relative tolerance for comparing costs and quantities (float noise, not policy).
EPS = 1e-9

DYNAMIC_RULES = ("WW", "SM", "LUC", "PPB")


# --------------------------------------------------------------------------- single item

def lot_for_lot(net) -> np.ndarray:
    """Order exactly each period's net requirement (L4L)."""
    return np.asarray(net, dtype=float).copy()


def fixed_order_quantity(net, lot_size: float) -> np.ndarray:
    """FOQ: when stock runs short, order the smallest multiple of ``lot_size`` that covers it.

    Parameters
    ----------
    net : array-like
        Net requirements per period [units], before any lot sizing (L4L net).
    lot_size : float
        The fixed quantity [units], > 0.

    Returns
    -------
    ndarray
        Order receipts per period [units].
    """
    net = np.asarray(net, dtype=float)
    out = np.zeros_like(net)
    stock = 0.0
    for t, n in enumerate(net):
        if n > stock + EPS:
            q = math.ceil((n - stock) / lot_size - EPS) * lot_size
            out[t] = q
            stock += q
        stock -= n
    return out


def period_order_quantity(net, periods: int) -> np.ndarray:
    """POQ: each order covers the net requirements of ``periods`` periods from the first need."""
    net = np.asarray(net, dtype=float)
    ends = np.minimum(np.arange(len(net)) + int(periods) - 1, len(net) - 1)
    return _orders_from_ends(net, ends)


def economic_order_quantity(yearly_demand: float, order_cost: float, holding_cost_year: float) -> float:
    """EOQ = sqrt(2 K D / H), rounded to the nearest whole unit (at least 1); 0 if undefined.

    Parameters
    ----------
    yearly_demand : float
        D [units/year].
    order_cost : float
        K [currency/order].
    holding_cost_year : float
        H [currency/unit/year] (``unit_cost * holding_cost_rate``).
    """
    if yearly_demand <= 0 or order_cost <= 0 or holding_cost_year <= 0:
        return 0.0
    return float(max(1.0, np.floor(math.sqrt(2.0 * order_cost * yearly_demand / holding_cost_year) + 0.5)))


def wagner_whitin(net, order_cost: float, holding_cost: float) -> np.ndarray:
    """Wagner-Whitin: the order plan of least total order and holding cost.

    Parameters
    ----------
    net : array-like
        Net requirements per period [units].
    order_cost : float
        K [currency/order].
    holding_cost : float
        h [currency/unit/period], on end-of-period inventory.

    Returns
    -------
    ndarray
        Order receipts per period [units].
    """
    return _single("WW", net, order_cost, holding_cost)


def silver_meal(net, order_cost: float, holding_cost: float) -> np.ndarray:
    """Silver-Meal: extend an order while the cost per period covered does not rise."""
    return _single("SM", net, order_cost, holding_cost)


def least_unit_cost(net, order_cost: float, holding_cost: float) -> np.ndarray:
    """Least unit cost: extend an order while the cost per unit ordered does not rise."""
    return _single("LUC", net, order_cost, holding_cost)


def part_period_balancing(net, order_cost: float, holding_cost: float) -> np.ndarray:
    """Part period balancing: the window whose holding cost is closest to the order cost.

    On a tie between the window just below and the one just above the order
    cost, the longer window is taken.
    """
    return _single("PPB", net, order_cost, holding_cost)


def plan_cost(orders, net, order_cost: float, holding_cost: float) -> float:
    """Order plus holding cost of a plan: ``K * #orders + h * sum(end-of-period stock)``.

    Parameters
    ----------
    orders, net : array-like
        Order receipts and net requirements per period [units].
    """
    orders = np.asarray(orders, dtype=float)
    stock = np.cumsum(orders - np.asarray(net, dtype=float))
    return float(order_cost * np.count_nonzero(orders > EPS) + holding_cost * stock.sum())


def _single(rule, net, order_cost, holding_cost):
    net = np.asarray(net, dtype=float)
    ends = dynamic_windows(rule, net[None, :], np.array([float(order_cost)]),
                           np.array([float(holding_cost)]))[0]
    return _orders_from_ends(net, ends)


def _orders_from_ends(net: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """Orders of a window plan: at each period with a need not yet covered, cover to its window end."""
    out = np.zeros_like(net)
    covered = -1
    for t in range(len(net)):
        if t > covered and net[t] > EPS:
            covered = int(ends[t])
            out[t] = net[t:covered + 1].sum()
    return out


# --------------------------------------------------------------------------- many items

def dynamic_windows(rule: str, net: np.ndarray, order_cost: np.ndarray,
                    holding_cost: np.ndarray) -> np.ndarray:
    """Order windows of a dynamic lot-sizing rule for many items at once.

    Parameters
    ----------
    rule : {"WW", "SM", "LUC", "PPB"}
    net : ndarray, shape (items, periods)
        Net requirements [units], >= 0.
    order_cost : ndarray, shape (items,)
        K [currency/order].
    holding_cost : ndarray, shape (items,)
        h [currency/unit/period].

    Returns
    -------
    ndarray of int, shape (items, periods)
        For each period, the last period (0-based) of the order window that
        contains it: an order placed in period ``t`` covers the net
        requirements of ``t .. ends[t]``. Meaningful where ``net > 0``.
    """
    net = np.asarray(net, dtype=float)
    if rule not in DYNAMIC_RULES:
        raise ValueError(f"not a dynamic lot-sizing rule: {rule!r}")
    m, n_per = net.shape
    # periods after the last need of every item change nothing: size the needed span only
    need = np.flatnonzero((net > EPS).any(axis=0))
    span = int(need[-1]) + 1 if len(need) else 1
    order_cost = np.asarray(order_cost, dtype=float)
    holding_cost = np.asarray(holding_cost, dtype=float)
    if rule == "WW":
        ends = _ww_windows(net[:, :span], order_cost, holding_cost)
    else:
        ends = _greedy_windows(rule, net[:, :span], order_cost, holding_cost)
    if span < n_per:
        # a window reaching the end of the span runs on to the horizon end
        ends = np.where(ends == span - 1, n_per - 1, ends)
        ends = np.concatenate([ends, np.full((m, n_per - span), n_per - 1, dtype=np.int64)], axis=1)
    return ends


def _ww_windows(net, K, h):
    m, n_per = net.shape
    pos = net > EPS
    f = np.zeros((m, n_per + 1))           # f[:, t]: least cost of covering periods 0 .. t-1
    last = np.full((m, n_per), -1)          # start of the last order in the best plan up to t
    k_idx = np.arange(n_per)
    hold = np.zeros((m, n_per))             # hold[:, j]: h * sum_{k=j..t} (k - j) net_k
    for t in range(n_per):
        hold[:, : t + 1] += h[:, None] * (t - k_idx[None, : t + 1]) * net[:, t: t + 1]
        cand = np.where(pos[:, : t + 1], f[:, : t + 1] + K[:, None] + hold[:, : t + 1], np.inf)
        best = cand.min(axis=1)
        tol = EPS * np.maximum(1.0, np.abs(np.where(np.isfinite(best), best, 0.0)))
        j = np.argmax(cand <= (best + tol)[:, None], axis=1)  # earliest start among ties
        f[:, t + 1] = np.where(pos[:, t], best, f[:, t])
        last[:, t] = np.where(pos[:, t], j, -1)
    # backtrack: the last order starts at last[latest need]; the one before it at
    # last[latest need before that start], and so on
    latest = np.maximum.accumulate(np.where(pos, k_idx[None, :], -1), axis=1)
    rows = np.arange(m)
    ends = np.zeros((m, n_per), dtype=np.int64)
    cur_end = np.full(m, n_per - 1)
    p = latest[:, n_per - 1]
    s = np.where(p >= 0, last[rows, np.maximum(p, 0)], -1)
    for t in range(n_per - 1, -1, -1):
        ends[:, t] = cur_end
        here = s == t
        if t > 0 and here.any():
            p = latest[:, t - 1]
            s_prev = np.where(p >= 0, last[rows, np.maximum(p, 0)], -1)
            s = np.where(here, s_prev, s)
            cur_end = np.where(here, t - 1, cur_end)
    return ends


def _greedy_windows(rule, net, K, h):
    m, n_per = net.shape
    start = np.full(m, -1)            # start of the open window, -1 none
    hold = np.zeros(m)                # its holding cost [currency]
    qty = np.zeros(m)                 # its units
    closed = np.zeros(m, dtype=bool)  # PPB: closed after taking the period that crossed K
    begins = np.zeros((m, n_per), dtype=bool)
    for t in range(n_per):
        n_t = net[:, t]
        pos = n_t > EPS
        open_ = (start >= 0) & ~closed
        new_hold = hold + h * (t - np.maximum(start, 0)) * n_t
        close_after = np.zeros(m, dtype=bool)
        if rule == "SM":
            span = np.maximum(t - start, 1)
            old = (K + hold) / span
            new = (K + new_hold) / (span + 1)
            extend = new <= old + EPS * np.maximum(1.0, np.abs(old))
        elif rule == "LUC":
            old = (K + hold) / np.maximum(qty, EPS)
            new = (K + new_hold) / np.maximum(qty + n_t, EPS)
            extend = new <= old + EPS * np.maximum(1.0, np.abs(old))
        else:  # PPB
            tol = EPS * np.maximum(1.0, K)
            below = new_hold <= K + tol
            closer = (new_hold - K) <= (K - hold) + tol
            extend = below | closer
            close_after = ~below
        cont = pos & open_ & extend
        begin = pos & ~cont
        begins[:, t] = begin
        start = np.where(begin, t, start)
        hold = np.where(begin, 0.0, np.where(cont, new_hold, hold))
        qty = np.where(begin, n_t, np.where(cont, qty + n_t, qty))
        closed = np.where(begin, False, closed | (cont & close_after))
    # a window runs to the period before the next window begins
    idx = np.where(begins, np.arange(n_per)[None, :], n_per)
    next_begin = np.minimum.accumulate(idx[:, ::-1], axis=1)[:, ::-1]
    after = np.concatenate([next_begin[:, 1:], np.full((m, 1), n_per)], axis=1)
    return (after - 1).astype(np.int64)
