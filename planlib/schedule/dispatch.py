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

    The steps: place the frozen operations where they are; hold every machine until the repair
    time (``not_before``); make the operations with no unplaced predecessor candidates; then,
    until none is left, take the candidate that can end first, and of the candidates competing
    for its machine dispatch the one the rule ranks first (:meth:`_Dispatch.step`).

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
    ValueError
        If predecessors (order sequence and material links) form a cycle.
    """
    if len(problem.ops) == 0:
        return pd.DataFrame(columns=SOLUTION_COLUMNS)
    run = _Dispatch(problem, rule, k1, k2)
    run.place_frozen()
    run.hold_until_repair()
    run.start()
    while run.cand:
        run.step()
    return run.solution()


def _atcs_scales(problem: Problem, options: list) -> tuple[np.ndarray, float, float]:
    """``(rem, p_mean, s_mean)`` for the priority rules [min].

    ``rem``: per operation, the work of its order from it on (each operation on its fastest
    machine, setup included); ``p_mean``: mean operation time; ``s_mean``: mean changeover of
    the setup matrices (1 when there is none).
    """
    n = len(problem.ops)
    min_work = np.array([min(s + p for _, s, p in options[i]) for i in range(n)], dtype=float)
    order_codes, _ = pd.factorize(problem.ops.order_id)
    rem = pd.Series(min_work[::-1]).groupby(order_codes[::-1]).cumsum().to_numpy()[::-1]
    p_mean = float(min_work.mean()) or 1.0
    changes = [c for table in problem.changeover.values() for c in table.values()]
    s_mean = float(np.mean(changes)) if changes else 1.0
    return rem, p_mean, s_mean or 1.0


class _Dispatch:
    """One run of the dispatching heuristic: the machines' state, the operations placed, the candidates.

    Times: ``free``, ``ws, wr, we`` in working-clock minutes of a machine; ``ready``, ends
    and crew use in real minutes from the plan start. A candidate is ``(end, machine, ws, wr,
    we, changeover)``: where the operation would go on its best machine now.
    """

    def __init__(self, problem: Problem, rule: str, k1: float, k2: float):
        ops, tls = problem.ops, problem.timelines
        self.problem, self.tls, self.rule, self.k1, self.k2 = problem, tls, rule, k1, k2
        self.n = len(ops)
        self.options = _options(problem.alts, self.n)
        self.family = ops.family.to_numpy()
        self.due = ops.due.to_numpy()
        self.weight = ops.weight.to_numpy().astype(float)
        self.unbroken = ops.uninterruptible.to_numpy()
        self.op_seq = ops.op_seq.to_numpy()
        self.rem, self.p_mean, self.s_mean = _atcs_scales(problem, self.options)
        # machines: working-clock minute it is free from, family and operation it last ran
        self.free = {m: 0 for m in tls}
        self.last_fam = {m: None for m in tls}
        self.last_op = {m: -1 for m in tls}
        # operations: placed ones (solution rows), earliest run start, predecessors still to place
        self.out = {}
        self.ready = ops.earliest.to_numpy().astype(np.int64).copy()
        self.done = np.zeros(self.n, bool)
        self.succs, self.waiting = _successors(problem)
        # candidates: a heap on earliest end (stale entries skipped), per machine the candidates
        # whose best machine it is, and the real time each candidate's run would start
        self.cand, self.heap, self.run_start = {}, [], {}
        self.by_best = {m: set() for m in tls}
        # rescheduling ("previous"): the old machine and start of each operation
        self.prev_m, self.prev_s = {}, {}
        if rule == "previous" and problem.previous is not None:
            self.prev_m = dict(zip(problem.previous.op, problem.previous.machine_id))
            self.prev_s = dict(zip(problem.previous.op, problem.previous.start))
        # crews: operators per work center and their use [(start, end, operators)]
        self.crew_cap = {w: float(c) for w, c in problem.crews.items()}
        self.crew_use = {w: [] for w in self.crew_cap}
        # staffing as a limit: the windows with fewer operators than crew_cap [(start, end, operators)]
        self.crew_low = {w: [] for w in self.crew_cap}
        if problem.staffing is not None:
            for w, s, e, n in zip(problem.staffing.work_center_id, problem.staffing.start, problem.staffing.end,
                                  problem.staffing.operators):
                if w in self.crew_cap and n < self.crew_cap[w]:
                    self.crew_low[w].append((int(s), int(e), float(n)))
        self.wc_of = ops.work_center_id.to_numpy()
        self.crew = ops.crew_size.to_numpy().astype(float)

    # ------------------------------------------------------------------ steps

    def place_frozen(self) -> None:
        """Frozen operations first, where they are (by setup start); they hold their crews."""
        problem = self.problem
        frozen = problem.frozen if problem.frozen is not None else pd.DataFrame(columns=["op", "machine_id", "ws"])
        for i, m, ws in sorted(zip(frozen.op, frozen.machine_id, frozen.ws), key=lambda x: x[2]):
            _, s, p = next(o for o in self.options[i] if o[0] == m)
            self.record(int(i), m, int(ws), int(ws) + s, int(ws) + s + p, 0)
        for i, (_, m, ws, _, we, _, _) in self.out.items():
            if self.needs_crew(i):
                self.crew_use[self.wc_of[i]].append((self.tls[m].start_at(ws), self.tls[m].end_at(we), self.crew[i]))

    def hold_until_repair(self) -> None:
        """Rescheduling: nothing new starts on a machine before the repair time ``not_before``."""
        if self.problem.not_before:
            for m, tl in self.tls.items():
                self.free[m] = max(self.free[m], tl.work_at(self.problem.not_before))

    def start(self) -> None:
        """The first candidates: operations not placed with no predecessor left to place."""
        for i in [i for i in range(self.n) if not self.done[i] and self.waiting[i] == 0]:
            self.put(i)

    def step(self) -> None:
        """Dispatch one operation (Giffler & Thompson): the candidate ending first sets the machine
        and the time; of the candidates whose best machine it is and that can start before that
        end, the rule's first goes. Its successors become candidates, and the candidates counting
        on that machine are looked at again."""
        e_star, i_star, c = self.first_ending()
        m_star = c[1]
        # (the operation that ends first is always in conflict: a zero-duration one ends as it starts)
        conflict = [i for i in self.by_best[m_star] if self.run_start[i] < e_star or i == i_star]
        chosen = self.choose(conflict, m_star)
        if self.needs_crew(chosen) and self.evaluate(chosen) != self.cand[chosen]:
            self.put(chosen)  # the crew has been taken on another machine since
            return
        self.dispatch_candidate(chosen)

    def dispatch_candidate(self, chosen: int) -> None:
        """Place candidate ``chosen`` where it is; its successors become candidates and the
        candidates counting on its machine are looked at again."""
        end, m, ws, wr, we, change = self.cand.pop(chosen)
        self.by_best[m].discard(chosen)
        self.record(chosen, m, ws, wr, we, change)
        if self.needs_crew(chosen):
            self.crew_use[self.wc_of[chosen]].append((self.tls[m].start_at(ws - change), end, self.crew[chosen]))
        new = [s for s in self.succs[chosen] if self.waiting[s] == 0 and not self.done[s] and s not in self.cand]
        for nxt in new:
            self.put(nxt)
        # only the candidates that counted on machine m need a new look (m got busier; a cheaper
        # changeover on m for another candidate is not looked for, to keep this fast)
        for i in list(self.by_best[m]):
            if i not in new and not self.unchanged(i, m):
                self.put(i)

    def solution(self) -> pd.DataFrame:
        """The solution table (see :func:`dispatch`); ValueError if predecessors formed a cycle."""
        if len(self.out) < self.n:
            ops = self.problem.ops
            stuck = [i for i in range(self.n) if i not in self.out][:3]
            raise ValueError("the dispatching heuristic could not place operation(s) "
                             + ", ".join(f"{ops.order_id.iat[i]} op {ops.op_seq.iat[i]}" for i in stuck)
                             + ": their predecessors (order sequence and material links) form a cycle")
        return pd.DataFrame([self.out[i] for i in range(self.n)], columns=SOLUTION_COLUMNS)

    # ------------------------------------------------------------------ the rules

    def choose(self, conflict: list, m) -> int:
        """The operation of ``conflict`` the rule dispatches next on machine ``m``."""
        due, rem = self.due, self.rem
        if self.rule == "previous":  # repair: keep the old sequence, new operations by latest start
            return min(conflict, key=lambda i: (self.prev_s.get(i, due[i] - rem[i]), i))
        if self.rule == "mwkr":  # makespan: the order with most work remaining first
            return max(conflict, key=lambda i: (rem[i], -i))
        if self.rule == "edd":
            return min(conflict, key=lambda i: (due[i], -self.weight[i], self.op_seq[i], i))
        t = self.tls[m].start_at(self.free[m]) or 0
        return max(conflict, key=lambda i: (self.atcs(i, t), -i))

    def atcs(self, i: int, t: int) -> float:
        """ATCS index of candidate ``i`` at real time ``t`` (Lee, Bhaskaran & Pinedo 1997)."""
        _, _, ws, _, we, change = self.cand[i]
        p = we - ws
        slack = max(self.due[i] - self.rem[i] - t, 0.0)
        return (self.weight[i] / max(p, 1)) * math.exp(-slack / (self.k1 * self.p_mean)) * \
            math.exp(-change / (self.k2 * self.s_mean))

    # ------------------------------------------------------------------ placing

    def record(self, i: int, m, ws: int, wr: int, we: int, change: int) -> None:
        """Place operation ``i`` on ``m``; its successors may not start their runs before its end."""
        self.out[i] = (i, m, ws, wr, we, change, self.last_op[m])
        self.free[m], self.last_fam[m], self.last_op[m] = we, self.family[i], i
        self.done[i] = True
        end = _real_end(self.tls[m], wr, we)
        for s in self.succs[i]:
            self.ready[s] = max(self.ready[s], end)
            self.waiting[s] -= 1

    def first_ending(self) -> tuple:
        """The heap's first current candidate ``(end, op, candidate)`` (stale entries dropped)."""
        while True:
            e_star, i_star, c = self.heap[0]
            if self.cand.get(i_star) is c:
                return e_star, i_star, c
            heapq.heappop(self.heap)

    def put(self, i: int) -> None:
        """(Re)make operation ``i`` a candidate at its best placement now."""
        c = self.evaluate(i)
        old = self.cand.get(i)
        if old is not None:
            self.by_best[old[1]].discard(i)
        self.cand[i] = c
        self.run_start[i] = self.tls[c[1]].start_at(c[3])
        self.by_best[c[1]].add(i)
        heapq.heappush(self.heap, (c[0], i, c))

    def evaluate(self, i: int) -> tuple:
        """Best placement of operation ``i`` now: earliest end, then least changeover.

        A rescheduled operation keeps its old machine if it can. Raises CalendarTooShort when
        no machine's calendar holds it.
        """
        best = None
        ready, place = int(self.ready[i]), self.place_with_crew
        for m, s, p in self.machine_options(i):
            change = self.changeover(m, i)
            placed = place(i, m, s, p, change, ready)
            if placed is None:
                continue
            key = (placed[3], change)
            if best is None or key < best[0]:
                best = (key, (placed[3], m, placed[0], placed[1], placed[2], change))
        if best is None:
            ops = self.problem.ops
            raise CalendarTooShort(f"operation {ops.order_id.iat[i]} op {ops.op_seq.iat[i]} does not fit")
        return best[1]

    def machine_options(self, i: int) -> list:
        """``(machine_id, setup_min, run_min)`` options of ``i``; repair: only its old machine if eligible."""
        opts = self.options[i]
        if i in self.prev_m and any(o[0] == self.prev_m[i] for o in opts):
            opts = [o for o in opts if o[0] == self.prev_m[i]]
        return opts

    def changeover(self, m, i: int) -> int:
        """Changeover [min] on ``m`` from the family it last ran to operation ``i``'s."""
        table = self.problem.changeover.get(m)
        return table.get((self.last_fam[m], self.family[i]), 0) if table and self.last_fam[m] is not None else 0

    def unchanged(self, i: int, m) -> bool:
        """True if machine ``m``'s new state leaves candidate ``i`` (best on ``m``) where it was.

        Only ``m`` changed: if ``i`` needs the same changeover there and can still start its
        setup where it did, its placement, and so its best machine, are the same.
        """
        if self.wc_of[i] in self.crew_use and self.crew[i] > 0:  # needs_crew, inlined: called for every candidate
            return False
        _, _, ws, _, _, change = self.cand[i]
        return self.changeover(m, i) == change and self.free[m] + change <= ws

    # ------------------------------------------------------------------ crews

    def needs_crew(self, i: int) -> bool:
        """Operation ``i`` takes operators of a work center with a crew limit."""
        return self.wc_of[i] in self.crew_use and self.crew[i] > 0

    def place_with_crew(self, i: int, m, s: int, p: int, change: int, ready: int):
        """:func:`_place` of ``i`` on ``m``, later until its crew is free: ``(ws, wr, we, end)`` or None.

        The crew is held from the start of the changeover and setup to the end of the run."""
        tl, floor, unbroken = self.tls[m], self.free[m], self.unbroken[i]
        while True:
            placed = _place(tl, floor, ready, s, p, change, unbroken)
            if placed is None:
                return None
            held = placed[0] - change  # working-clock start of changeover and setup
            later = self.crew_delay(i, tl.start_at(held), placed[3])
            if later is None:
                return placed
            floor = max(held + 1, tl.work_at(int(later)))

    def crew_delay(self, i: int, r: int, e: int):
        """None if the crew can take operation ``i`` in ``[r, e)`` [real min]; else the next time worth trying."""
        w = self.wc_of[i]
        if w not in self.crew_cap or self.crew[i] <= 0:
            return None
        busy = [(s, t, d) for s, t, d in self.crew_use[w] if s < e and t > r]
        low = [(s, t, n) for s, t, n in self.crew_low[w] if s < max(e, r + 1) and t > r]
        return _first_overload(busy, r, self.crew[i], self.crew_cap[w], low)


def _first_overload(busy: list, r: int, need: float, cap: float, low: list = ()):
    """With ``busy`` crew uses ``(start, end, operators)`` overlapping an operation from ``r``: None if
    ``need`` more operators stay within the operators available at ``r`` and at every later start,
    else the next time worth trying [real min]: the earliest end of a use busy at the first such time,
    or of the staffing window with fewer operators there.

    ``cap`` is the work center's operators, ``low`` the disjoint windows ``(start, end, operators)``
    in which staffing puts fewer (:func:`planlib.schedule.problem.staffing_capacity`)."""
    points = [r] + [s for s, _, _ in busy if s > r]
    if low:  # staffing: in time order, the operators change along the way
        points = sorted(points + [s for s, _, _ in low if s > r])
    for point in points:
        here = [(t, n) for s, t, n in low if s <= point < t]
        have = min([cap] + [n for _, n in here])
        load = sum(d for s, t, d in busy if s <= point < t)
        if load + need > have + 1e-9:
            later = [t for s, t, _ in busy if s <= point < t] + [t for t, _ in here]
            return min(later) if later else None
    return None


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
    crews is returned unchanged (shifting could overload a crew). Operations are retimed once
    their predecessors (order, machine, material links) are; a solution whose predecessors
    form a cycle (infeasible) is returned as it is.

    Parameters
    ----------
    sol : DataFrame
        A solution table (see :func:`dispatch`).

    Returns
    -------
    DataFrame
        The solution table, retimed (``ws, wr, we`` in working-clock minutes), in ``op`` order.
    """
    if problem.crews or len(sol) == 0:
        return sol
    sol = sol.sort_values(["machine_id", "ws", "we"], kind="stable").reset_index(drop=True)
    shift = _LeftShift(problem, sol)
    pending = list(sol.op)
    while pending:
        rest = [i for i in pending if not shift.place(i)]
        if len(rest) == len(pending):  # a cycle cannot happen in a feasible solution; keep it as it is
            return sol.sort_values("op").reset_index(drop=True)
        pending = rest
    out = sol.assign(ws=shift.ws, wr=shift.wr, we=shift.we)
    return out.sort_values("op").reset_index(drop=True)[SOLUTION_COLUMNS]


class _LeftShift:
    """State of :func:`compact`: the solution's times as they are retimed, row by row of ``sol``."""

    def __init__(self, problem: Problem, sol: pd.DataFrame):
        ops = problem.ops
        self.sol, self.tls = sol, problem.timelines
        self.alts = problem.alts.set_index(["op", "machine_id"])
        self.frozen = set(problem.frozen.op) if problem.frozen is not None and len(problem.frozen) else set()
        self.mprev = dict(zip(sol.op, sol.groupby("machine_id").op.shift().fillna(-1).astype(int)))
        self.row = {int(i): k for k, i in enumerate(sol.op)}
        self.pred = ops.pred.to_numpy()
        self.supplied_by = {}  # op -> last operations of the make orders supplying its material
        if problem.links is not None and len(problem.links):
            for i, j in zip(problem.links.op.to_numpy(), problem.links.supply_op.to_numpy()):
                self.supplied_by.setdefault(int(i), []).append(int(j))
        self.earliest = ops.earliest.to_numpy()
        self.unbroken = ops.uninterruptible.to_numpy()
        self.ws, self.wr, self.we = sol.ws.to_numpy().copy(), sol.wr.to_numpy().copy(), sol.we.to_numpy().copy()
        self.change = sol.changeover_min.to_numpy()
        self.done = np.zeros(len(sol), bool)
        self.floor = {m: (tl.work_at(problem.not_before) if problem.not_before else 0) for m, tl in self.tls.items()}

    def place(self, i: int) -> bool:
        """Retime operation ``i`` if its predecessors are done (False if one is not)."""
        p, q = self.pred[i], self.mprev[i]
        links = self.supplied_by.get(i, ())
        if any(j >= 0 and not self.done[self.row[j]] for j in [p, q, *links]):
            return False
        k = self.row[i]
        if i not in self.frozen:
            self.retime(i, k, [p] if p >= 0 else [], links, q)
        self.done[k] = True
        return True

    def retime(self, i: int, k: int, preds: list, links, q: int) -> None:
        """Move operation ``i`` (row ``k``) to its earliest placement after its order and material
        predecessors' ends and its machine predecessor ``q``, if that is not later."""
        row, tls, wr, we = self.row, self.tls, self.wr, self.we
        m = self.sol.machine_id.iat[k]
        a = self.alts.loc[(i, m)]
        ready = int(self.earliest[i])
        for j in preds + list(links):
            ready = max(ready, _real_end(tls[self.sol.machine_id.iat[row[j]]], int(wr[row[j]]), int(we[row[j]])))
        free = we[row[q]] if q >= 0 else self.floor[m]
        placed = _place(tls[m], int(free), ready, int(a.setup_min), int(a.run_min), int(self.change[k]),
                        bool(self.unbroken[i]))
        if placed is not None and placed[1] <= wr[k]:
            self.ws[k], self.wr[k], self.we[k] = placed[0], placed[1], placed[2]
