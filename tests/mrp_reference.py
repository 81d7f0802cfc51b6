"""A deliberately plain MRP: one item at a time, one bucket at a time, in textbook order.

It is the oracle of ``tests/test_mrp_reference.py`` and the benchmark: slow,
easy to read, and written without the fast engine's tricks (no cumulative
requirement matrix, no vectorisation, its own lot-sizing loops). It follows
the conventions of ``docs/mrp.md``:

* projected on hand = previous + scheduled receipts + planned receipts - gross requirements;
* a planned receipt is made when on hand before it would fall below safety stock;
* past-due demand and receipts count in the first bucket;
* lead-time offset = ceil(lead_time_days / 7) buckets; a release before the
  plan start is released in the first bucket ("expedite") or, with
  ``delay=True``, no receipt is planned before the lead time allows.

Returns plain Python structures: ``grid[item] = {"gross": [...], ...}`` and a
list of planned orders.
"""
from __future__ import annotations

import math

EPS = 1e-9
TOL = 5e-7   # half of the micro-unit quantities are kept to
D = 6        # decimals of every quantity (docs/mrp.md: quantities to a micro-unit)


def reference_mrp(ds, params, forecast=None, safety_stock=None, delay=False, round_yield_up=True,
                  whole_units=True):
    H = params.horizon_weeks
    start = _day(params.plan_start)
    items = ds.items.reset_index(drop=True)
    ids = list(items.item_id)
    item = {r.item_id: r for r in items.itertuples()}

    def bucket(date):
        days = (_day(date) - start).days
        return max(0, days // 7)

    # low-level codes: depth below the top, recursively over parents
    parents = {i: [] for i in ids}
    lines = {i: [] for i in ids}
    for r in ds.bom.itertuples():
        parents[r.component_id].append(r.parent_id)
        lines[r.parent_id].append(r)
    memo = {}

    def llc(i):
        if i not in memo:
            memo[i] = max([llc(p) + 1 for p in parents[i]], default=0)
        return memo[i]

    # independent demand
    orders = {i: [0.0] * H for i in ids}
    dated = []
    for r in ds.demand.itertuples():
        b = bucket(r.due_date)
        if b < H:
            orders[r.item_id][b] += r.qty
            if _day(r.due_date) >= start:
                dated.append((b, r.item_id, r.qty))
    fc = {i: [0.0] * H for i in ids}
    if forecast is not None:
        for r in forecast.itertuples():
            days = (_day(r.period_start) - start).days
            if days >= 0 and days // 7 < H:
                fc[r.item_id][days // 7] += float(r.forecast)
    left = {i: list(fc[i]) for i in ids}
    dated.sort(key=lambda x: x[0])
    back, fwd = params.consumption_backward_weeks, params.consumption_forward_weeks
    for b, i, q in dated:
        rem = q
        for k in [b] + [b - d for d in range(1, back + 1)] + [b + d for d in range(1, fwd + 1)]:
            if 0 <= k < H and rem > 0:
                take = min(rem, left[i][k])
                left[i][k] -= take
                rem -= take
    for i in ids:
        for k in range(min(params.demand_time_fence_weeks, H)):
            left[i][k] = 0.0

    gross = {i: [orders[i][t] + left[i][t] for t in range(H)] for i in ids}
    receipts = {i: [0.0] * H for i in ids}
    for r in ds.scheduled_receipts.itertuples():
        b = bucket(r.due_date)
        if b < H:
            receipts[r.item_id][b] += r.qty
    receipts = {i: [round(x, D) for x in v] for i, v in receipts.items()}
    on_hand = {i: 0.0 for i in ids}
    for r in ds.inventory.itertuples():
        on_hand[r.item_id] += r.on_hand - (0.0 if _nan(r.allocated) else r.allocated)
    on_hand = {i: round(v, D) for i, v in on_hand.items()}
    ss = {i: (0.0 if _nan(item[i].safety_stock) else item[i].safety_stock) for i in ids}
    if safety_stock is not None:
        for r in safety_stock.itertuples():
            ss[r.item_id] = float(r.safety_stock)
    ss = {i: round(v, D) for i, v in ss.items()}

    grid = {}
    planned = []
    seq = 0
    for level in sorted({llc(i) for i in ids}):
        for i in [x for x in ids if llc(x) == level]:
            it = item[i]
            L = math.ceil(it.lead_time_days / 7 - 1e-9)
            rule = it.lot_rule if isinstance(it.lot_rule, str) else "L4L"
            h = _z(it.unit_cost) * (0.25 if _nan(it.holding_cost_rate) else it.holding_cost_rate) / 52.0
            K = _z(it.order_cost)
            gross[i] = G = [round(x, D) for x in gross[i]]  # every parent has been planned
            SR = receipts[i]
            ends = _window_ends(rule, _l4l_net(G, SR, on_hand[i], ss[i]), K, h, _z(it.lot_size), H)
            eoq = 0.0
            if rule == "EOQ":
                yearly = sum(G) * 52.0 / H
                if _z(it.lot_size) > 0:
                    eoq = _z(it.lot_size)  # the planner's own EOQ
                elif yearly > 0 and K > 0 and h > 0:
                    eoq = max(1.0, math.floor(math.sqrt(2 * K * yearly / (h * 52.0)) + 0.5))
            pab = on_hand[i]
            poh, net, por, rel = [], [], [0.0] * H, [0.0] * H
            for t in range(H):
                before = round(pab + SR[t] - G[t], D)
                need = round(ss[i] - before, D)
                net.append(need if need > TOL else 0.0)
                if before < ss[i] - TOL and (not delay or t >= L):
                    # what must arrive now to stay at safety stock through the order's window
                    worst, running = need, before
                    for k in range(t + 1, ends[t] + 1):
                        running = round(running + SR[k] - G[k], D)
                        worst = max(worst, round(ss[i] - running, D))
                    q = worst
                    if rule == "FOQ":
                        q = math.ceil(q / it.lot_size - EPS) * it.lot_size
                    elif rule == "EOQ" and eoq > 0:
                        q = max(q, eoq)
                    uom = it.uom.strip().lower() if isinstance(it.uom, str) else "ea"
                    if whole_units and uom in ("ea", "pc", "pcs", "piece", "pieces", "unit", "units"):
                        q = math.ceil(q - 1e-9)  # counted items are ordered in whole units
                    for piece in _pieces(q, _z(it.min_order_qty), _z(it.order_multiple), it.max_order_qty):
                        seq += 1
                        qty_rel = piece / (1 - _z(it.scrap_pct) / 100.0)
                        if round_yield_up and _z(it.scrap_pct) > 0:
                            qty_rel = math.ceil(qty_rel - 1e-9)
                        rb = max(t - L, 0)
                        planned.append({"seq": seq, "item_id": i, "period": t + 1, "release_period": rb + 1,
                                            "release_raw": t - L + 1, "qty": qty_rel, "receipt_qty": piece})
                        por[t] += piece
                        rel[rb] += qty_rel
                        when = start_of(start, rb)
                        for ln in lines[i]:
                            if (_nat(ln.valid_from) or _day(ln.valid_from) <= when) and \
                                    (_nat(ln.valid_to) or when < _day(ln.valid_to)):
                                gross[ln.component_id][rb] += qty_rel * ln.qty_per * (1 + _z(ln.scrap_pct) / 100.0)
                    before = round(before + por[t], D)
                pab = before
                poh.append(pab)
            grid[i] = {"gross": list(G), "receipts": list(SR), "on_hand": poh, "net": net, "receipts_planned": por,
                           "releases": rel}
    return grid, planned


def start_of(start, b):
    import datetime as dt
    return start + dt.timedelta(days=7 * b)


def _l4l_net(G, SR, on_hand, ss):
    """Lot-for-lot net requirements (what dynamic rules size)."""
    out, pab = [], on_hand
    for t in range(len(G)):
        before = round(pab + SR[t] - G[t], D)
        need = round(ss - before, D)
        need = need if need > TOL else 0.0
        out.append(need)
        pab = round(before + need, D)
    return out


def _window_ends(rule, net, K, h, lot, H):
    if rule == "POQ":
        return [min(t + int(lot) - 1, H - 1) for t in range(H)]
    if rule == "WW":
        starts = _ww_starts(net, K, h)
    elif rule in ("SM", "LUC", "PPB"):
        starts = _greedy_starts(rule, net, K, h)
    else:
        return list(range(H))
    ends = [H - 1] * H
    nxt = H
    for t in range(H - 1, -1, -1):
        ends[t] = nxt - 1
        if t in starts:
            nxt = t
    return ends


def _ww_starts(net, K, h):
    n = len(net)
    f = [0.0] * (n + 1)
    last = [-1] * n
    for t in range(n):
        if net[t] <= EPS:
            f[t + 1] = f[t]
            continue
        cands = []
        for j in range(t + 1):
            if net[j] <= EPS:
                continue
            hold = sum(h * (k - j) * net[k] for k in range(j, t + 1))
            cands.append((f[j] + K + hold, j))
        best = min(c for c, _ in cands)
        tol = EPS * max(1.0, abs(best))
        j = min(j for c, j in cands if c <= best + tol)
        f[t + 1] = best
        last[t] = j
    starts = set()
    t = n - 1
    while t >= 0:
        if net[t] <= EPS:
            t -= 1
            continue
        starts.add(last[t])
        t = last[t] - 1
    return starts


def _greedy_starts(rule, net, K, h):
    starts = set()
    s = -1
    hold = qty = 0.0
    closed = False
    for t, n_t in enumerate(net):
        if n_t <= EPS:
            continue
        if s >= 0 and not closed:
            new_hold = hold + h * (t - s) * n_t
            if rule == "SM":
                old, new = (K + hold) / (t - s), (K + new_hold) / (t - s + 1)
                extend, close = new <= old + EPS * max(1.0, abs(old)), False
            elif rule == "LUC":
                old, new = (K + hold) / qty, (K + new_hold) / (qty + n_t)
                extend, close = new <= old + EPS * max(1.0, abs(old)), False
            else:
                tol = EPS * max(1.0, K)
                if new_hold <= K + tol:
                    extend, close = True, False
                else:
                    extend = (new_hold - K) <= (K - hold) + tol
                    close = True
            if extend:
                hold, qty, closed = new_hold, qty + n_t, close
                continue
        s, hold, qty, closed = t, 0.0, n_t, False
        starts.add(t)
    return starts


def _pieces(q, moq, mult, maxq):
    q = max(q, moq)
    if mult > 0:
        q = math.ceil(q / mult - EPS) * mult
    if _nan(maxq) or maxq <= 0 or q <= maxq + TOL:
        return [q]
    cap = maxq if mult <= 0 else max(math.floor(maxq / mult + EPS) * mult, mult)
    out = []
    while q > cap + TOL:
        out.append(cap)
        q -= cap
    last = max(q, moq)
    if mult > 0:
        last = math.ceil(last / mult - EPS) * mult
    return out + [last]


def _day(d):
    import pandas as pd
    return pd.Timestamp(d).date()


def _nan(v):
    return v is None or (isinstance(v, float) and math.isnan(v))


def _nat(v):
    import pandas as pd
    return v is None or pd.isna(v)


def _z(v):
    return 0.0 if _nan(v) else float(v)
