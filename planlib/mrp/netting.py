"""Netting by low-level code: gross to net requirements, lot sizing, planned orders, BOM explosion.

:func:`net_requirements` plans the items level by level, low-level code 0 first.
When a level's turn comes, every parent above it has released its planned orders,
so the level's gross requirements are complete; the level is netted and lot-sized
(all its items at once, numpy over items x buckets), and its planned releases are
exploded through the BOM into the gross requirements of the levels below.

Netting one level (:func:`_net_level`), with ``S[:, t]`` the planned receipts an
item needs up to bucket ``t`` to end it at safety stock (cumulative gross
requirements, less scheduled receipts, less on hand, plus safety stock):

1. the span: after its last requirement or receipt nothing changes for an item;
2. the window each order covers (POQ and the dynamic rules; one bucket otherwise);
3. EOQ quantities;
4. the lot-sizing pass, the only loop over buckets: in each bucket, the items whose
   planned receipts so far fall short of ``S`` get an order covering their window,
   sized by their rule and order modifiers (:func:`order_modifiers`);
5. projected on hand and net requirements from the planned receipts;
6. planned orders (split at the maximum order quantity), their releases (lead
   time, scrap) and the explosion (:func:`_release_and_explode`).

The conventions (safety stock, past due, FOQ, rounding) are in ``docs/mrp.md``.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from planlib.lotsizing import DYNAMIC_RULES, EPS, dynamic_windows
from planlib.mrp._arrays import DECIMALS, TOL, WEEKS_PER_YEAR, accumulate, repeat_ranges
from planlib.mrp.checks import LOT_RULE_CODES
from planlib.mrp.inputs import PlanInputs

_POQ, _EOQ, _FOQ = LOT_RULE_CODES["POQ"], LOT_RULE_CODES["EOQ"], LOT_RULE_CODES["FOQ"]
_DYNAMIC = [LOT_RULE_CODES[r] for r in DYNAMIC_RULES]


@dataclass(frozen=True, eq=False)
class Netted:
    """The netted plan: quantities per item (plan row, as in :class:`PlanInputs`) and bucket [units].

    Attributes
    ----------
    gross_requirements : ndarray (n, n_periods)
        Independent demand plus the dependent demand of parents' planned releases.
    projected_on_hand : ndarray (n, n_periods)
        Stock at the end of each bucket, planned receipts included.
    net_requirements : ndarray (n, n_periods)
        What each bucket needs beyond on hand, scheduled receipts and earlier planned receipts.
    planned_receipts, planned_releases : ndarray (n, n_periods)
        Planned order receipts (good units, in the due bucket) and releases (scrap
        included, in the release bucket).
    planned_orders : DataFrame
        One row per planned order, in creation order (level, item, bucket): ``seq`` (1, 2, ...),
        ``order_id`` (``PLN-0000001``), ``row`` (plan row), ``bucket`` (0-based due bucket),
        ``release_bucket`` (0-based), ``release_bucket_unclipped`` (negative when the release
        falls before the plan start), ``qty`` (released) and ``receipt_qty`` [units].
    dependent_demand : DataFrame
        One row per exploded BOM line: ``row`` (component's plan row), ``bucket``, ``qty``
        [units], ``parent_seq`` (the parent planned order's ``seq``), ``parent_row``.
    """

    gross_requirements: np.ndarray
    projected_on_hand: np.ndarray
    net_requirements: np.ndarray
    planned_receipts: np.ndarray
    planned_releases: np.ndarray
    planned_orders: pd.DataFrame
    dependent_demand: pd.DataFrame


def net_requirements(inputs: PlanInputs) -> Netted:
    """Net, lot-size and explode every item, one low-level code at a time.

    Parameters
    ----------
    inputs : PlanInputs

    Returns
    -------
    Netted

    References
    ----------
    Orlicky, J., Material Requirements Planning, McGraw-Hill, 1975 (netting by low-level code).
    """
    n, H = inputs.n, inputs.n_periods
    gross = inputs.independent_demand.copy()
    on_hand = np.zeros((n, H))
    net = np.zeros((n, H))
    receipts = np.zeros((n, H))
    releases = np.zeros((n, H))
    orders, dependent = [], []
    for level in range(int(inputs.low_level_code.max()) + 1 if n else 0):
        lo, hi = int(inputs.level_start[level]), int(inputs.level_start[level + 1])
        if hi == lo:
            continue
        planned = _net_level(inputs, lo, hi, gross, on_hand, net, receipts)
        if planned is None:
            continue
        first_seq = 1 + sum(len(o) for o in orders)
        part, dep = _release_and_explode(inputs, *planned, first_seq, gross, releases)
        orders.append(part)
        if dep is not None:
            dependent.append(dep)
    planned_orders = pd.concat(orders, ignore_index=True) if orders else _no_orders()
    planned_orders.insert(1, "order_id", _order_ids(len(planned_orders)))
    dependent_demand = (pd.concat(dependent, ignore_index=True) if dependent else
                        pd.DataFrame({"row": [], "bucket": [], "qty": [], "parent_seq": [], "parent_row": []}))
    return Netted(gross_requirements=gross, projected_on_hand=on_hand, net_requirements=net,
                  planned_receipts=receipts, planned_releases=releases, planned_orders=planned_orders,
                  dependent_demand=dependent_demand)


def _net_level(inputs: PlanInputs, lo: int, hi: int, gross, on_hand, net, receipts):
    """Net and lot-size the items of plan rows ``lo:hi`` (one low-level code), all at once.

    Fills rows ``lo:hi`` of ``on_hand``, ``net`` and ``receipts`` (and rounds the level's
    ``gross``) in place. Returns ``(row, bucket, total, n_orders, cap)`` of each lot-sized
    planned receipt, sorted by item and bucket (see :func:`order_modifiers`), or None.
    """
    H = inputs.n_periods
    rows = np.arange(lo, hi)
    level = slice(lo, hi)
    delay = inputs.settings.past_releases == "delay"
    L = inputs.lead_time[rows]
    # 1. after the last bucket with a gross requirement or receipt nothing changes: plan the
    # span T before it (plus the lead times in delay mode) and carry the end to the horizon
    busy = np.flatnonzero(gross[level].any(axis=0) | inputs.receipts[level].any(axis=0))
    T = int(busy[-1]) + 1 if len(busy) else 1
    if delay and len(rows):
        T = max(T, int(L.max()) + 1)
    T = min(T, H)
    GR, SR = gross[level, :T], inputs.receipts[level, :T]
    np.round(GR, DECIMALS, out=GR)  # all of the level's gross requirements are known now
    # S[:, t]: planned receipts needed up to t to end bucket t at safety stock
    S = np.cumsum(GR, axis=1)
    S -= np.cumsum(SR, axis=1)
    S += (inputs.safety_stock[rows] - inputs.on_hand[rows])[:, None]
    np.round(S, DECIMALS, out=S)
    M = np.maximum.accumulate(np.maximum(S, 0.0), axis=1)
    # 2.-4.
    window_row, window_end = _window_ends(inputs, rows, M, T)
    eoq = _eoq_quantities(inputs, rows, GR)
    row, bucket, total, n_orders, cap = _lot_size(inputs, rows, S, M, L, window_row, window_end, eoq, delay)
    # 5. projected on hand = safety stock - S + planned receipts so far; net requirement =
    # what the bucket needs beyond on hand, receipts and earlier planned receipts
    PRl = np.zeros((len(rows), T))
    if len(row):
        PRl[row, bucket] = total
    cum = np.cumsum(PRl, axis=1)
    poh = np.round(inputs.safety_stock[rows, None] - S + cum, DECIMALS)
    poh[np.abs(poh) < TOL] = 0.0
    on_hand[level, :T] = poh
    on_hand[level, T:] = poh[:, -1:]
    cum -= PRl
    np.subtract(S, cum, out=cum)
    np.round(cum, DECIMALS, out=cum)
    cum[cum < TOL] = 0.0
    net[level, :T] = cum
    if not len(row):
        return None
    receipts[level, :T] = PRl
    return rows[row], bucket, total, n_orders, cap


def _window_ends(inputs: PlanInputs, rows: np.ndarray, M: np.ndarray, T: int):
    """Last bucket an order placed in each bucket covers, for the POQ and dynamic-rule items.

    Returns ``(window_row, window_end)``: ``window_row[k]`` is the row of item ``k`` of the
    level in ``window_end`` (-1 for the other rules, whose order covers its own bucket).
    """
    rule = inputs.lot_rule[rows]
    t_idx = np.arange(T)
    win = (rule == _POQ) | np.isin(rule, _DYNAMIC)
    w_rows = np.flatnonzero(win)
    window_row = np.full(len(rows), -1)
    window_row[w_rows] = np.arange(len(w_rows))
    E = np.empty((len(w_rows), T), dtype=np.int64)
    if len(w_rows):
        net = np.round(np.diff(M[w_rows], axis=1, prepend=0.0), DECIMALS)
        net[net < TOL] = 0.0
        wr = rule[w_rows]
        poq = wr == _POQ
        if poq.any():
            E[poq] = np.minimum(t_idx[None, :] + inputs.lot_size[rows[w_rows[poq]], None].astype(np.int64) - 1, T - 1)
        for name in DYNAMIC_RULES:
            sel = wr == LOT_RULE_CODES[name]
            if sel.any():
                it = rows[w_rows[sel]]
                E[sel] = dynamic_windows(name, net[sel], inputs.order_cost[it], inputs.holding_cost[it])
    return window_row, E


def _eoq_quantities(inputs: PlanInputs, rows: np.ndarray, GR: np.ndarray) -> np.ndarray:
    """Economic order quantity of each EOQ item of the level (0 for the others, or to fall back to L4L)."""
    rule = inputs.lot_rule[rows]
    eoq = np.zeros(len(rows))
    sel = rule == _EOQ
    if sel.any():
        it = rows[sel]
        yearly = GR[sel].sum(axis=1) * WEEKS_PER_YEAR / inputs.n_periods
        K, hy = inputs.order_cost[it], inputs.holding_cost[it] * WEEKS_PER_YEAR
        ok = (yearly > 0) & (K > 0) & (hy > 0)
        # economic_order_quantity, vectorised: sqrt(2 K D / H) to the nearest unit, at least 1
        q = np.sqrt(2.0 * K * yearly / np.where(ok, hy, 1.0))
        eoq[sel] = np.where(ok, np.maximum(1.0, np.floor(q + 0.5)), 0.0)
        given = inputs.lot_size[it]  # a lot_size on an EOQ item is the planner's EOQ: it wins
        eoq[sel] = np.where(given > 0, given, eoq[sel])
    return eoq


def _running_max_table(S: np.ndarray) -> np.ndarray:
    """Sparse table of running maxima: ``table[k][:, t] = S[:, t:t + 2**k].max(axis=1)`` (clipped at the end)."""
    T = S.shape[1]
    table = [S]
    while (1 << len(table)) <= T:
        w = 1 << (len(table) - 1)
        prev = table[-1]
        nxt = prev.copy()
        nxt[:, : T - w] = np.maximum(prev[:, : T - w], prev[:, w:])
        table.append(nxt)
    return np.stack(table)


def _lot_size(inputs: PlanInputs, rows, S, M, L, window_row, window_end, eoq, delay: bool):
    """The lot-sizing pass over the level's buckets: planned receipts by rule and order modifiers.

    Returns ``(row, bucket, total, n_orders, cap)`` (``row`` within the level), sorted by item
    and bucket: the order ids follow this order.
    """
    T = S.shape[1]
    foq = inputs.lot_rule[rows] == _FOQ
    whole = inputs.whole_units[rows]
    lot = inputs.lot_size[rows]
    moq, mult, maxq = inputs.min_order_qty[rows], inputs.order_multiple[rows], inputs.max_order_qty[rows]
    # an order placed late must cover the largest need of its window, not the running one
    table = _running_max_table(S) if delay else None
    P = np.zeros(len(rows))
    ev_r, ev_t, ev_q, ev_n, ev_cap = [], [], [], [], []
    active = np.flatnonzero(M[:, -1] > TOL)  # items that ever need a planned receipt
    S_a = S[active]
    for t in range(T):
        trig = S_a[:, t] - P[active] > TOL
        if delay:
            trig &= t >= L[active]
        if not trig.any():
            continue
        r = active[trig]
        e = np.full(len(r), t)
        wp = window_row[r]
        has_w = wp >= 0
        e[has_w] = window_end[wp[has_w], t]
        if delay:
            k = np.floor(np.log2(e - t + 1)).astype(np.int64)
            q = np.round(np.maximum(table[k, r, t], table[k, r, e - (1 << k) + 1]) - P[r], DECIMALS)
        else:
            q = np.round(M[r, e] - P[r], DECIMALS)
        f = foq[r]
        if f.any():
            q[f] = np.ceil(q[f] / lot[r][f] - EPS) * lot[r][f]
        eo = eoq[r] > 0
        if eo.any():
            q[eo] = np.maximum(q[eo], eoq[r][eo])
        wh = whole[r]
        q[wh] = np.ceil(q[wh] - 1e-9)
        total, n_ord, cap = order_modifiers(q, moq[r], mult[r], maxq[r])
        P[r] += total
        ev_r.append(r)
        ev_t.append(np.full(len(r), t))
        ev_q.append(total)
        ev_n.append(n_ord)
        ev_cap.append(cap)
    if not ev_r:
        z = np.zeros(0, dtype=np.int64)
        return z, z, np.zeros(0), z, np.zeros(0)
    r = np.concatenate(ev_r)
    t = np.concatenate(ev_t)
    order = np.lexsort((t, r))  # item, then bucket
    return (r[order], t[order], np.concatenate(ev_q)[order], np.concatenate(ev_n)[order],
            np.concatenate(ev_cap)[order])


def order_modifiers(q, min_order_qty, order_multiple, max_order_qty):
    """Apply minimum, multiple and maximum to lot-sized quantities.

    ``q`` is raised to ``min_order_qty``, rounded up to a multiple of
    ``order_multiple``; a quantity above ``max_order_qty`` is split into
    orders of the largest multiple not above the maximum plus one remainder
    order (itself raised to the minimum and multiple).

    Parameters
    ----------
    q, min_order_qty, order_multiple, max_order_qty : array-like
        [units]; 0 (or NaN for the maximum) means none.

    Returns
    -------
    (total, n_orders, cap) : tuple of ndarray
        Total quantity, number of orders it is split into, quantity of every
        order but the last [units].
    """
    q = np.asarray(q, dtype=float)
    moq = np.nan_to_num(np.asarray(min_order_qty, dtype=float))
    mult = np.nan_to_num(np.asarray(order_multiple, dtype=float))
    maxq = np.asarray(max_order_qty, dtype=float)
    q = np.maximum(q, moq)
    q = np.where(mult > 0, np.ceil(q / np.where(mult > 0, mult, 1) - EPS) * mult, q)
    has_max = np.isfinite(maxq) & (maxq > 0)
    cap = np.where(mult > 0, np.maximum(np.floor(maxq / np.where(mult > 0, mult, 1) + EPS) * mult, mult), maxq)
    cap = np.where(has_max, cap, np.inf)
    n = np.where(has_max, np.maximum(np.ceil(q / np.where(has_max, cap, 1) - EPS), 1), 1)
    last = q - (n - 1) * np.where(has_max, cap, 0)
    last = np.maximum(last, moq)
    last = np.where(mult > 0, np.ceil(last / np.where(mult > 0, mult, 1) - EPS) * mult, last)
    total = (n - 1) * np.where(has_max, cap, 0) + last
    return total, n.astype(np.int64), cap



def _release_and_explode(inputs: PlanInputs, row, bucket, total, n_orders, cap, first_seq: int, gross, releases):
    """Planned orders of one level, their releases, and the dependent demand they explode into.

    Splits each lot-sized receipt into ``n_orders`` orders (all but the last of ``cap``),
    releases each ``lead_time`` buckets before its due bucket (not before the first) with its
    quantity grossed up for scrap, and adds the releases to ``releases`` and their components'
    needs to ``gross`` (in place). Returns the planned-order rows (see :class:`Netted`) and the
    dependent-demand rows (None without BOM lines).
    """
    H = inputs.n_periods
    rep = np.repeat(np.arange(len(row)), n_orders)
    k = np.arange(len(rep)) - np.repeat(np.cumsum(n_orders) - n_orders, n_orders)
    last = k == n_orders[rep] - 1
    receipt = np.where(last, total[rep] - (n_orders[rep] - 1) * np.where(np.isfinite(cap[rep]), cap[rep], 0),
                       cap[rep])
    item = row[rep]
    due = bucket[rep]
    rel = receipt / (1.0 - inputs.scrap[item])
    if inputs.settings.round_yield_up:
        y = inputs.scrap[item] > 0
        rel[y] = np.ceil(rel[y] - 1e-9)
    rb_raw = due - inputs.lead_time[item]
    rb = np.maximum(rb_raw, 0)
    accumulate(releases, item * H + rb, rel)
    seq = np.arange(first_seq, first_seq + len(item))
    orders = pd.DataFrame({"seq": seq, "row": item, "bucket": due, "release_bucket": rb,
                           "release_bucket_unclipped": rb_raw, "qty": rel, "receipt_qty": receipt})
    # explode releases into the components' gross requirements
    ptr = inputs.bom_ptr
    cnt = ptr[item + 1] - ptr[item]
    if cnt.sum() == 0:
        return orders, None
    o_rep = np.repeat(np.arange(len(item)), cnt)
    line = repeat_ranges(ptr[item], cnt)
    rbl = rb[o_rep]
    ok = (inputs.bom_from[line] <= rbl) & (rbl < inputs.bom_to[line])
    o_rep, line, rbl = o_rep[ok], line[ok], rbl[ok]
    comp = inputs.bom_component[line]
    q = rel[o_rep] * inputs.bom_qty[line]
    accumulate(gross, comp * H + rbl, q)
    return orders, pd.DataFrame({"row": comp, "bucket": rbl, "qty": q, "parent_seq": seq[o_rep],
                                 "parent_row": item[o_rep]})


def _order_ids(n: int) -> np.ndarray:
    """Planned order ids ``PLN-0000001`` ... ``n``, in creation order."""
    return np.array([f"PLN-{k:07d}" for k in range(1, n + 1)], dtype=object)


def _no_orders() -> pd.DataFrame:
    return pd.DataFrame({"seq": np.zeros(0, np.int64), "row": np.zeros(0, np.int64), "bucket": np.zeros(0, np.int64),
                         "release_bucket": np.zeros(0, np.int64), "release_bucket_unclipped": np.zeros(0, np.int64),
                         "qty": np.zeros(0), "receipt_qty": np.zeros(0)})
