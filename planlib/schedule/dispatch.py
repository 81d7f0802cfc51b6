"""Dispatching heuristic: a feasible schedule in a fraction of a second.

Giffler & Thompson's active-schedule generation with a priority rule: at each
step take the operation that can finish first (on its best machine, counting
calendars and changeovers); among the operations competing for that machine
and able to start before that finish, dispatch the one the rule ranks first.

Rules
-----
``atcs``  Apparent Tardiness Cost with Setups (Lee, Bhaskaran & Pinedo 1997):
          ``w / p * exp(-max(d - p_rem - t, 0) / (k1 * p_mean)) * exp(-s / (k2 * s_mean))``.
``edd``   earliest due date, then the larger weight.
``mwkr``  most work remaining (for makespan).
``previous``  rescheduling: operations keep their machine and old order (right shift),
          new ones go by latest start ``d - p_rem``.

References
----------
Giffler & Thompson, Algorithms for solving production-scheduling problems,
Operations Research 8(4), 1960. Lee, Bhaskaran & Pinedo, A heuristic to minimize
the total weighted tardiness with sequence-dependent setups, IIE Transactions 29, 1997.
Pinedo, Scheduling: Theory, Algorithms, and Systems, 5th ed., ch. 14.
"""
from __future__ import annotations

import heapq
import math

import numpy as np
import pandas as pd

from planlib.schedule.problem import Problem

SOLUTION_COLUMNS = ["op", "machine_id", "ws", "wr", "we", "changeover_min", "prev_op"]


class CalendarTooShort(Exception):
    """The machine calendars end before the heuristic could place every operation."""


def calendar_too_short(problem: Problem) -> str | None:
    """Why the machine calendars certainly cannot hold every operation, or None.

    A necessary condition only, checked before the heuristic (which would find out after placing
    most operations): an operation with a single eligible machine needs at least its setup and
    run minutes of that machine's working clock, so their sum per machine must fit in the
    machine's working minutes (after ``not_before``, when rescheduling).
    """
    alts = problem.alts
    single = alts[alts.groupby("op").machine_id.transform("size").to_numpy() == 1]
    need = (single.setup_min + single.run_min).groupby(single.machine_id).sum()
    for m, minutes in need.items():
        tl = problem.timelines.get(m)
        if tl is None:
            continue
        have = tl.total - (tl.work_at(problem.not_before) if problem.not_before else 0)
        if minutes > have:
            return f"machine {m} needs at least {int(minutes)} working minutes, its calendar has {int(have)}"
    return None


def _place(tl, free_w, ready, setup, run, change, unbroken):
    """Working-clock placement of one operation on one machine: ``(ws, wr, we, end)`` or None."""
    wr = max(free_w + change + setup, tl.work_at(ready))
    if unbroken:
        wr = tl.fit_unbroken(wr, run)
        if wr is None:
            return None
    we = wr + run
    if we > tl.total or tl.end_at(we) is None:
        return None
    end = _real_end(tl, wr, we)
    return wr - setup, wr, we, end


def _options(alts: pd.DataFrame, n: int) -> list:
    """Per operation, its ``(machine_id, setup_min, run_min)`` options in table order."""
    options = [[] for _ in range(n)]
    for i, m, s, p in zip(alts.op.tolist(), alts.machine_id.tolist(), alts.setup_min.tolist(),
                          alts.run_min.tolist()):
        options[i].append((m, int(s), int(p)))
    return options


def dispatch(problem: Problem, rule: str = "atcs", k1: float = 2.0, k2: float = 1.0) -> pd.DataFrame:
    """Schedule every operation by a priority rule (see the module notes).

    Parameters
    ----------
    problem : Problem
    rule : {"atcs", "edd", "mwkr", "previous"}
    k1, k2 : float
        ATCS look-ahead parameters for due dates and for changeovers.

    Returns
    -------
    DataFrame
        One row per operation: ``op, machine_id, ws, wr, we`` (minutes of the machine's
        working clock at which setup, run start and end fall), ``changeover_min``,
        ``prev_op`` (the operation before it on the machine, -1 for none).

    Raises
    ------
    CalendarTooShort
        If an operation does not fit in the machine calendars.
    """
    ops, alts, tls = problem.ops, problem.alts, problem.timelines
    n = len(ops)
    if n == 0:
        return pd.DataFrame(columns=SOLUTION_COLUMNS)
    options = _options(alts, n)
    family = ops.family.to_numpy()
    due = ops.due.to_numpy()
    weight = ops.weight.to_numpy().astype(float)
    unbroken = ops.uninterruptible.to_numpy()
    min_work = np.array([min(s + p for _, s, p in options[i]) for i in range(n)], dtype=float)
    order_codes, _ = pd.factorize(ops.order_id)
    # remaining work of the order from each operation on (for ATCS slack)
    rem = pd.Series(min_work[::-1]).groupby(order_codes[::-1]).cumsum().to_numpy()[::-1]
    p_mean = float(min_work.mean()) or 1.0
    changes = [c for table in problem.changeover.values() for c in table.values()]
    s_mean = float(np.mean(changes)) if changes else 1.0
    s_mean = s_mean or 1.0

    free = {m: 0 for m in tls}
    last_fam = {m: None for m in tls}
    last_op = {m: -1 for m in tls}
    out = {}
    ready = ops.earliest.to_numpy().astype(np.int64).copy()
    done = np.zeros(n, bool)

    # successors: the next operation of the order, and the operations whose material an order
    # supplies (links); an operation is a candidate once all its predecessors are placed
    succs, waiting = _successors(problem)

    def record(i, m, ws, wr, we, change):
        out[i] = (i, m, ws, wr, we, change, last_op[m])
        free[m], last_fam[m], last_op[m] = we, family[i], i
        done[i] = True
        end = _real_end(tls[m], wr, we)
        for s in succs[i]:
            ready[s] = max(ready[s], end)
            waiting[s] -= 1

    frozen = problem.frozen if problem.frozen is not None else pd.DataFrame(columns=["op", "machine_id", "ws"])
    for i, m, ws in sorted(zip(frozen.op, frozen.machine_id, frozen.ws), key=lambda x: x[2]):
        _, s, p = next(o for o in options[i] if o[0] == m)
        record(int(i), m, int(ws), int(ws) + s, int(ws) + s + p, 0)

    if problem.not_before:
        for m, tl in tls.items():  # nothing new starts before the repair time
            free[m] = max(free[m], tl.work_at(problem.not_before))
    firsts = [i for i in range(n) if not done[i] and waiting[i] == 0]
    cand = {}  # op -> (end, machine, ws, wr, we, change)
    prev_m, prev_s = {}, {}
    if rule == "previous" and problem.previous is not None:
        prev_m = dict(zip(problem.previous.op, problem.previous.machine_id))
        prev_s = dict(zip(problem.previous.op, problem.previous.start))

    crew_cap = {w: float(c) for w, c in problem.crews.items()}
    crew_use = {w: [] for w in crew_cap}  # work center -> [(start, end, operators)]
    wc_of = ops.work_center_id.to_numpy()
    crew = ops.crew_size.to_numpy().astype(float)
    for i, (_, m, ws, wr, we, _, _) in out.items():  # frozen operations hold their crews
        if wc_of[i] in crew_use and crew[i] > 0:
            crew_use[wc_of[i]].append((tls[m].start_at(wr), tls[m].end_at(we), crew[i]))

    def crew_delay(i, r, e):
        """None if the crew can take operation i in [r, e); else the next time worth trying."""
        w = wc_of[i]
        if w not in crew_cap or crew[i] <= 0:
            return None
        busy = [(s, t, d) for s, t, d in crew_use[w] if s < e and t > r]
        for point in [r] + [s for s, _, _ in busy if s > r]:
            load = sum(d for s, t, d in busy if s <= point < t)
            if load + crew[i] > crew_cap[w] + 1e-9:
                return min(t for s, t, _ in busy if s <= point < t)
        return None

    def place_with_crew(i, m, s, p, change, ready):
        tl = tls[m]
        while True:
            placed = _place(tl, free[m], ready, s, p, change, unbroken[i])
            if placed is None:
                return None
            later = crew_delay(i, tl.start_at(placed[1]), placed[3])
            if later is None:
                return placed
            ready = max(ready + 1, int(later))

    def evaluate(i):
        best = None
        opts = options[i]
        if i in prev_m and any(o[0] == prev_m[i] for o in opts):
            opts = [o for o in opts if o[0] == prev_m[i]]  # repair: keep the machine
        for m, s, p in opts:
            table = problem.changeover.get(m)
            change = table.get((last_fam[m], family[i]), 0) if table and last_fam[m] is not None else 0
            placed = place_with_crew(i, m, s, p, change, int(ready[i]))
            if placed is None:
                continue
            key = (placed[3], change)
            if best is None or key < best[0]:
                best = (key, (placed[3], m, placed[0], placed[1], placed[2], change))
        if best is None:
            raise CalendarTooShort(f"operation {ops.order_id.iat[i]} op {ops.op_seq.iat[i]} does not fit")
        return best[1]

    # candidates: a heap on earliest end (stale entries skipped), and per machine the candidates
    # whose best machine it is; per machine also every candidate that could use it
    heap: list = []
    by_best = {m: set() for m in tls}
    eligible = {m: set() for m in tls}
    op_seq = ops.op_seq.to_numpy()

    run_start = {}  # op -> real time its candidate run starts

    def put(i):
        c = evaluate(i)
        old = cand.get(i)
        if old is not None:
            by_best[old[1]].discard(i)
        cand[i] = c
        run_start[i] = tls[c[1]].start_at(c[3])
        by_best[c[1]].add(i)
        heapq.heappush(heap, (c[0], i, c))

    def unchanged(i, m):
        """True if machine ``m``'s new state leaves candidate ``i`` (best on ``m``) where it was.

        Only ``m`` changed: if ``i`` needs the same changeover there and can still start its
        setup where it did, its placement, and so its best machine, are the same.
        """
        if wc_of[i] in crew_use and crew[i] > 0:
            return False
        _, _, ws, _, _, change = cand[i]
        table = problem.changeover.get(m)
        new_change = table.get((last_fam[m], family[i]), 0) if table else 0
        return new_change == change and free[m] + change <= ws

    for i in firsts:
        for m, _, _ in options[i]:
            eligible[m].add(i)
        put(i)
    while cand:
        while True:
            e_star, i_star, c = heap[0]
            if cand.get(i_star) is c:
                break
            heapq.heappop(heap)
        m_star = c[1]
        tl = tls[m_star]
        # (the operation that ends first is always in conflict: a zero-duration one ends as it starts)
        conflict = [i for i in by_best[m_star] if run_start[i] < e_star or i == i_star]
        if rule == "previous":  # repair: keep the old sequence, new operations by latest start
            chosen = min(conflict, key=lambda i: (prev_s.get(i, due[i] - rem[i]), i))
        elif rule == "mwkr":  # makespan: the order with most work remaining first
            chosen = max(conflict, key=lambda i: (rem[i], -i))
        elif rule == "edd":
            chosen = min(conflict, key=lambda i: (due[i], -weight[i], op_seq[i], i))
        else:
            t = tl.start_at(free[m_star]) or 0

            def index(i):
                _, _, ws, _, we, change = cand[i]
                p = we - ws
                slack = max(due[i] - rem[i] - t, 0.0)
                return (weight[i] / max(p, 1)) * math.exp(-slack / (k1 * p_mean)) * \
                    math.exp(-change / (k2 * s_mean))
            chosen = max(conflict, key=lambda i: (index(i), -i))
        if wc_of[chosen] in crew_use and crew[chosen] > 0:
            fresh = evaluate(chosen)  # the crew may have been taken on another machine since
            if fresh != cand[chosen]:
                put(chosen)
                continue
        end, m, ws, wr, we, change = cand.pop(chosen)
        by_best[m].discard(chosen)
        for mm, _, _ in options[chosen]:
            eligible[mm].discard(chosen)
        record(chosen, m, ws, wr, we, change)
        if wc_of[chosen] in crew_use and crew[chosen] > 0:
            crew_use[wc_of[chosen]].append((tls[m].start_at(wr), end, crew[chosen]))
        new = [s for s in succs[chosen] if waiting[s] == 0 and not done[s] and s not in cand]
        for nxt in new:
            for mm, _, _ in options[nxt]:
                eligible[mm].add(nxt)
            put(nxt)
        # only the candidates that counted on machine m need a new look (m got busier; a cheaper
        # changeover on m for another candidate is not looked for, to keep this fast)
        for i in list(by_best[m]):
            if i not in new and not unchanged(i, m):
                put(i)
    if len(out) < n:
        stuck = [i for i in range(n) if i not in out][:3]
        raise ValueError("the dispatching heuristic could not place operation(s) "
                         + ", ".join(f"{ops.order_id.iat[i]} op {ops.op_seq.iat[i]}" for i in stuck)
                         + ": their predecessors (order sequence and material links) form a cycle")
    sol = pd.DataFrame([out[i] for i in range(n)], columns=SOLUTION_COLUMNS)
    return sol


def _real_end(tl, wr: int, we: int) -> int:
    """Real time a run ends; a run of zero minutes ends where it starts."""
    if we <= wr:
        t = tl.start_at(int(wr))
        return int(t) if t is not None else int(tl.end_at(int(we)))
    return int(tl.end_at(int(we)))


def _successors(problem: Problem) -> tuple[list, np.ndarray]:
    """Per operation, the operations that wait for it, and how many each waits for.

    An operation waits for the previous operation of its order and, if it consumes material
    made by other orders in the problem, for the last operation of each (``problem.links``).
    Linear in operations plus links.
    """
    n = len(problem.ops)
    succs = [[] for _ in range(n)]
    waiting = np.zeros(n, np.int64)
    for i, p in enumerate(problem.ops.pred.to_numpy()):
        if p >= 0:
            succs[p].append(i)
            waiting[i] += 1
    links = problem.links
    if links is not None and len(links):
        for i, j in zip(links.op.to_numpy(), links.supply_op.to_numpy()):
            succs[int(j)].append(int(i))
            waiting[int(i)] += 1
    return succs, waiting


def compact(problem: Problem, sol: pd.DataFrame) -> pd.DataFrame:
    """Left-shift a solution: same machines and sequences, every operation as early as it can go.

    The result is semi-active: no completion time grows, so weighted tardiness, makespan
    and changeovers are no worse. Frozen operations stay where they are. A problem with
    crews is returned unchanged (shifting could overload a crew).

    Returns
    -------
    DataFrame
        The solution table, retimed.
    """
    if problem.crews or len(sol) == 0:
        return sol
    ops, tls = problem.ops, problem.timelines
    alts = problem.alts.set_index(["op", "machine_id"])
    frozen = set(problem.frozen.op) if problem.frozen is not None and len(problem.frozen) else set()
    sol = sol.sort_values(["machine_id", "ws"]).reset_index(drop=True)
    mprev = dict(zip(sol.op, sol.groupby("machine_id").op.shift().fillna(-1).astype(int)))
    row = {int(i): k for k, i in enumerate(sol.op)}
    pred = ops.pred.to_numpy()
    supplied_by = {}  # op -> last operations of the make orders supplying its material
    if problem.links is not None and len(problem.links):
        for i, j in zip(problem.links.op.to_numpy(), problem.links.supply_op.to_numpy()):
            supplied_by.setdefault(int(i), []).append(int(j))
    earliest = ops.earliest.to_numpy()
    unbroken = ops.uninterruptible.to_numpy()
    ws, wr, we = sol.ws.to_numpy().copy(), sol.wr.to_numpy().copy(), sol.we.to_numpy().copy()
    change = sol.changeover_min.to_numpy()
    done = np.zeros(len(sol), bool)
    floor = {m: (tl.work_at(problem.not_before) if problem.not_before else 0) for m, tl in tls.items()}
    # process in an order where the job and machine predecessors come first
    pending = list(sol.op)
    while pending:
        rest = []
        for i in pending:
            k = row[i]
            p, q = pred[i], mprev[i]
            links = supplied_by.get(i, ())
            if (p >= 0 and not done[row[p]]) or (q >= 0 and not done[row[q]]) or \
                    any(not done[row[j]] for j in links):
                rest.append(i)
                continue
            if i not in frozen:
                m = sol.machine_id.iat[k]
                tl = tls[m]
                a = alts.loc[(i, m)]
                ready = int(earliest[i])
                for j in ([p] if p >= 0 else []) + list(links):
                    ready = max(ready, _real_end(tls[sol.machine_id.iat[row[j]]], int(wr[row[j]]),
                                                 int(we[row[j]])))
                free = we[row[q]] if q >= 0 else floor[m]
                placed = _place(tl, int(free), ready, int(a.setup_min), int(a.run_min), int(change[k]),
                                bool(unbroken[i]))
                if placed is not None and placed[1] <= wr[k]:
                    ws[k], wr[k], we[k] = placed[0], placed[1], placed[2]
            done[k] = True
        if len(rest) == len(pending):  # a cycle cannot happen in a feasible solution; keep it as it is
            return sol.sort_values("op").reset_index(drop=True)
        pending = rest
    out = sol.assign(ws=ws, wr=wr, we=we)
    return out.sort_values("op").reset_index(drop=True)[SOLUTION_COLUMNS]
