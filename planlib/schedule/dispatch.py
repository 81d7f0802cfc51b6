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
    and crew use in real minutes from the plan start. A candidate is where the operation would
    go on its best machine now: ``(end, machine, ws, wr, we, changeover)``, held in arrays by
    operation (``c_end, c_mc, c_ws, c_wr, c_we, c_change``; ``c_end`` is ``_NONE`` and ``c_mc``
    -1 for an operation that is not a candidate).

    Incremental evaluation: a placement on machine ``m`` changes only ``m``, so only the
    candidates whose best machine is ``m`` (and whose placement there moves) and the operations
    it releases are evaluated again, all at once on arrays (:meth:`put_many`); candidates that
    need a crew or one unbroken shift are evaluated one by one (:meth:`evaluate`). The first
    ending candidate and the candidates of a machine are read off the arrays, and the rule's
    index is computed on arrays with the exact scalar value deciding among near ties. The
    decisions are those of the one-candidate-at-a-time algorithm this replaces (a copy of it in
    ``tests/dispatch_reference.py`` and a test hold it).
    """

    def __init__(self, problem: Problem, rule: str, k1: float, k2: float):
        ops, tls = problem.ops, problem.timelines
        self.problem, self.tls, self.rule, self.k1, self.k2 = problem, tls, rule, k1, k2
        self.n = n = len(ops)
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
            for w, s, e, c in zip(problem.staffing.work_center_id, problem.staffing.start, problem.staffing.end,
                                  problem.staffing.operators):
                if w in self.crew_cap and c < self.crew_cap[w]:
                    self.crew_low[w].append((int(s), int(e), float(c)))
        self.wc_of = ops.work_center_id.to_numpy()
        self.crew = ops.crew_size.to_numpy().astype(float)
        self._arrays()

    def _arrays(self) -> None:
        """The array form of machines, options, calendars and changeovers, and the candidate arrays."""
        n, tls = self.n, self.tls
        self.machines = list(tls)
        self.mcode = {m: k for k, m in enumerate(self.machines)}
        nm = len(self.machines)
        self.free_w = np.zeros(nm, np.int64)       # machine -> free from [working-clock min]
        self.last_code = np.full(nm, -1, np.int64)  # machine -> family code it last ran (-1: none)
        # options, flat in option order, op by op (the repair rule's restriction applied)
        opts = [self.machine_options(i) for i in range(n)]
        cnt = np.array([len(o) for o in opts], np.int64)
        self.opt_first = np.concatenate([[0], np.cumsum(cnt)[:-1]]).astype(np.int64)
        self.opt_cnt = cnt
        flat = [o for op in opts for o in op]
        self.opt_mc = np.array([self.mcode[m] for m, _, _ in flat], np.int64)
        self.opt_s = np.array([s for _, s, _ in flat], np.int64)
        self.opt_p = np.array([p for _, _, p in flat], np.int64)
        self.opt_rw = np.zeros(len(flat), np.int64)  # working-clock minute of the op's ready time
        self.rw_set = np.zeros(n, bool)
        # calendars end to end, machine k's values shifted by k * shift, so one searchsorted serves all
        segs = [tls[m] for m in self.machines]
        shift = max([tl.total for tl in segs] + [1]) + 1
        self.shift = np.int64(shift)
        self.total = np.array([tl.total for tl in segs], np.int64)
        self.a0 = np.array([tl.a[0] if len(tl.a) else 0 for tl in segs], np.int64)
        self.seg_a = np.concatenate([tl.a for tl in segs] + [np.zeros(1, np.int64)]).astype(np.int64)
        self.seg_cl = np.concatenate([tl.cum for tl in segs] + [np.zeros(1, np.int64)]).astype(np.int64)
        self.seg_ce = np.concatenate([tl.cum + tl.length + k * shift for k, tl in enumerate(segs)]
                                     + [np.array([nm * shift], np.int64)]).astype(np.int64)
        # changeovers: per machine with a table, minutes [from family code, to family code]
        codes, uniques = pd.factorize(pd.Series(self.family), use_na_sentinel=False)
        self.fam_code = np.asarray(codes, np.int64)
        self.fam_values = list(uniques)
        nf = len(uniques)
        self.chmat = {}
        for m, table in self.problem.changeover.items():
            if not table or m not in self.mcode:
                continue
            mat = np.zeros((nf, nf), np.int64)
            for a, fa in enumerate(uniques):
                for b, fb in enumerate(uniques):
                    mat[a, b] = table.get((fa, fb), 0)
            self.chmat[self.mcode[m]] = mat
        needs = np.array([self.needs_crew(i) for i in range(n)], bool) if n else np.zeros(0, bool)
        self.crew_op = needs
        self.scalar_op = needs | self.unbroken.astype(bool)  # evaluated one at a time
        # candidates
        self.c_end = np.full(n, _NONE, np.int64)
        self.c_mc = np.full(n, -1, np.int64)
        self.c_ws = np.zeros(n, np.int64)
        self.c_wr = np.zeros(n, np.int64)
        self.c_we = np.zeros(n, np.int64)
        self.c_change = np.zeros(n, np.int64)
        self.run_start = np.zeros(n, np.int64)
        self.n_cand = 0

    @property
    def cand(self) -> bool:
        """True while some operation is a candidate."""
        return self.n_cand > 0

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
                self.free_w[self.mcode[m]] = self.free[m]

    def start(self) -> None:
        """The first candidates: operations not placed with no predecessor left to place."""
        self.put_many([i for i in range(self.n) if not self.done[i] and self.waiting[i] == 0])

    def step(self) -> None:
        """Dispatch one operation (Giffler & Thompson): the candidate ending first sets the machine
        and the time; of the candidates whose best machine it is and that can start before that
        end, the rule's first goes. Its successors become candidates, and the candidates counting
        on that machine are looked at again."""
        i_star = int(np.argmin(self.c_end))  # earliest end, then the lowest operation number
        e_star, mc = self.c_end[i_star], self.c_mc[i_star]
        # (the operation that ends first is always in conflict: a zero-duration one ends as it starts)
        members = np.flatnonzero(self.c_mc == mc)
        conflict = members[(self.run_start[members] < e_star) | (members == i_star)]
        chosen = self.choose(conflict, self.machines[mc])
        if self.crew_op[chosen] and self.evaluate(chosen) != self.candidate(chosen):
            self.put(chosen)  # the crew has been taken on another machine since
            return
        self.dispatch_candidate(chosen)

    def dispatch_candidate(self, chosen: int) -> None:
        """Place candidate ``chosen`` where it is; its successors become candidates and the
        candidates counting on its machine are looked at again."""
        end, m, ws, wr, we, change = self.candidate(chosen)
        mc = self.mcode[m]
        self.drop(chosen)
        self.record(chosen, m, ws, wr, we, change)
        if self.crew_op[chosen]:  # the crew is held from the changeover's start
            self.crew_use[self.wc_of[chosen]].append((self.tls[m].start_at(ws - change), end, self.crew[chosen]))
        new = list(dict.fromkeys(s for s in self.succs[chosen]
                                 if self.waiting[s] == 0 and not self.done[s] and self.c_mc[s] < 0))
        # only the candidates that counted on machine m need a new look (m got busier; a cheaper
        # changeover on m for another candidate is not looked for, to keep this fast)
        members = np.flatnonzero(self.c_mc == mc)
        if len(members):
            members = members[~self.unchanged(members, mc)]
        self.put_many(np.concatenate([np.array(new, np.int64), members]))

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

    def choose(self, conflict: np.ndarray, m) -> int:
        """The operation of ``conflict`` the rule dispatches next on machine ``m``."""
        due, rem = self.due, self.rem
        if self.rule == "atcs":
            t = self.tls[m].start_at(self.free[m]) or 0
            if len(conflict) > 8:
                # the index on arrays; np.exp may differ from math.exp in the last bit, so the
                # candidates within a hair of the best are ranked by the exact scalar index
                value = self.atcs_many(conflict, t)
                conflict = conflict[value >= value.max() * (1 - 1e-9)]
            return max(conflict.tolist(), key=lambda i: (self.atcs(i, t), -i))
        conflict = conflict.tolist()
        if self.rule == "previous":  # repair: keep the old sequence, new operations by latest start
            return min(conflict, key=lambda i: (self.prev_s.get(i, due[i] - rem[i]), i))
        if self.rule == "mwkr":  # makespan: the order with most work remaining first
            return max(conflict, key=lambda i: (rem[i], -i))
        return min(conflict, key=lambda i: (due[i], -self.weight[i], self.op_seq[i], i))  # edd

    def atcs(self, i: int, t: int) -> float:
        """ATCS index of candidate ``i`` at real time ``t`` (Lee, Bhaskaran & Pinedo 1997)."""
        ws, we, change = int(self.c_ws[i]), int(self.c_we[i]), int(self.c_change[i])
        p = we - ws
        slack = max(self.due[i] - self.rem[i] - t, 0.0)
        return (self.weight[i] / max(p, 1)) * math.exp(-slack / (self.k1 * self.p_mean)) * \
            math.exp(-change / (self.k2 * self.s_mean))

    def atcs_many(self, ops: np.ndarray, t: int) -> np.ndarray:
        """:meth:`atcs` of the candidates ``ops`` on arrays (to within rounding of ``np.exp``)."""
        p = np.maximum(self.c_we[ops] - self.c_ws[ops], 1)
        slack = np.maximum(self.due[ops] - self.rem[ops] - t, 0.0)
        return (self.weight[ops] / p) * np.exp(-slack / (self.k1 * self.p_mean)) * \
            np.exp(-self.c_change[ops] / (self.k2 * self.s_mean))

    # ------------------------------------------------------------------ placing

    def record(self, i: int, m, ws: int, wr: int, we: int, change: int) -> None:
        """Place operation ``i`` on ``m``; its successors may not start their runs before its end."""
        self.out[i] = (i, m, ws, wr, we, change, self.last_op[m])
        self.free[m], self.last_fam[m], self.last_op[m] = we, self.family[i], i
        self.free_w[self.mcode[m]], self.last_code[self.mcode[m]] = we, self.fam_code[i]
        self.done[i] = True
        end = _real_end(self.tls[m], wr, we)
        for s in self.succs[i]:
            self.ready[s] = max(self.ready[s], end)
            self.waiting[s] -= 1

    def candidate(self, i: int) -> tuple:
        """Candidate ``i`` as ``(end, machine, ws, wr, we, changeover)``."""
        return (int(self.c_end[i]), self.machines[self.c_mc[i]], int(self.c_ws[i]), int(self.c_wr[i]),
                int(self.c_we[i]), int(self.c_change[i]))

    def drop(self, i: int) -> None:
        """Operation ``i`` is no longer a candidate."""
        if self.c_mc[i] >= 0:
            self.n_cand -= 1
        self.c_end[i], self.c_mc[i] = _NONE, -1

    def set_candidate(self, i, c) -> None:
        """Make ``i`` a candidate at ``c = (end, machine, ws, wr, we, changeover)``."""
        if self.c_mc[i] < 0:
            self.n_cand += 1
        mc = self.mcode[c[1]]
        self.c_end[i], self.c_mc[i], self.c_ws[i], self.c_wr[i], self.c_we[i], self.c_change[i] = \
            c[0], mc, c[2], c[3], c[4], c[5]
        self.run_start[i] = self.tls[c[1]].start_at(c[3])

    def put(self, i: int) -> None:
        """(Re)make operation ``i`` a candidate at its best placement now."""
        self.set_candidate(i, self.evaluate(i))

    def put_many(self, ops) -> None:
        """:meth:`put` of every operation of ``ops``, on arrays for those without crew or unbroken run."""
        ops = np.asarray(ops, np.int64)
        if not len(ops):
            return
        one = self.scalar_op[ops]
        for i in ops[one].tolist():
            self.put(i)
        ops = ops[~one]
        if len(ops) <= 2:
            for i in ops.tolist():
                self.put(i)
        elif len(ops):
            self.evaluate_many(ops)

    def evaluate_many(self, ops: np.ndarray) -> None:
        """:meth:`evaluate` and :meth:`set_candidate` of operations without crew or unbroken run, on
        arrays: every option's placement (:func:`_place`), the best by earliest end, then least
        changeover, then option order."""
        fresh = ops[~self.rw_set[ops]]
        for i in fresh.tolist():  # the ready time is final once an operation is a candidate
            r = int(self.ready[i])
            for row in range(self.opt_first[i], self.opt_first[i] + self.opt_cnt[i]):
                self.opt_rw[row] = self.tls[self.machines[self.opt_mc[row]]].work_at(r)
            self.rw_set[i] = True
        cnt = self.opt_cnt[ops]
        owner = np.repeat(np.arange(len(ops)), cnt)
        first = np.repeat(self.opt_first[ops] - (np.cumsum(cnt) - cnt), cnt)
        rows = first + np.arange(len(owner))
        mc, s, p = self.opt_mc[rows], self.opt_s[rows], self.opt_p[rows]
        change = self.changes(mc, ops[owner])
        wr = np.maximum(self.free_w[mc] + change + s, self.opt_rw[rows])
        we = wr + p
        ok = we <= self.total[mc]
        base = mc * self.shift
        # real end: end_at(we); a run of zero minutes ends where it starts (start_at(wr) if in the calendar)
        zero = we <= wr
        at_start = zero & (wr < self.total[mc])
        w = np.where(at_start, wr, we)
        k = np.searchsorted(self.seg_ce, w + base, side="left")
        k_start = np.searchsorted(self.seg_ce, w + base, side="right")
        k = np.where(at_start, k_start, k)
        end = np.where(~at_start & (w <= 0), self.a0[mc], self.seg_a[k] + w - self.seg_cl[k])
        end = np.where(ok, end, _NONE)
        order = np.lexsort((rows, change, end, owner))
        pick = order[np.r_[True, owner[order][1:] != owner[order][:-1]]]
        if (end[pick] == _NONE).any():
            i = int(ops[owner[pick][end[pick] == _NONE][0]])
            raise CalendarTooShort(f"operation {self.problem.ops.order_id.iat[i]} op "
                                   f"{self.problem.ops.op_seq.iat[i]} does not fit")
        who = ops[owner[pick]]
        mcb, wrb = mc[pick], wr[pick]
        kr = np.searchsorted(self.seg_ce, wrb + mcb * self.shift, side="right")
        self.n_cand += int((self.c_mc[who] < 0).sum())
        self.c_end[who], self.c_mc[who] = end[pick], mcb
        self.c_ws[who], self.c_wr[who], self.c_we[who] = wrb - s[pick], wrb, we[pick]
        self.c_change[who] = change[pick]
        self.run_start[who] = self.seg_a[kr] + wrb - self.seg_cl[kr]

    def changes(self, mc: np.ndarray, ops: np.ndarray) -> np.ndarray:
        """:meth:`changeover` of operations ``ops`` on machines ``mc`` (codes), on arrays."""
        out = np.zeros(len(mc), np.int64)
        for code in np.unique(mc).tolist():
            mat = self.chmat.get(code)
            if mat is not None and self.last_code[code] >= 0:
                sel = mc == code
                out[sel] = mat[self.last_code[code], self.fam_code[ops[sel]]]
        return out

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

    def unchanged(self, ops: np.ndarray, mc: int) -> np.ndarray:
        """Per candidate of ``ops`` (best on machine ``mc``): True if ``mc``'s new state leaves it where it was.

        Only ``mc`` changed: if the candidate needs the same changeover there and can still start
        its setup where it did, its placement, and so its best machine, are the same. A candidate
        with a crew is always looked at again.
        """
        change = self.c_change[ops]
        return ((self.changes(np.full(len(ops), mc), ops) == change)
                & (self.free_w[mc] + change <= self.c_ws[ops]) & ~self.crew_op[ops])

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


_NONE = np.iinfo(np.int64).max  # c_end of an operation that is not a candidate (or has no placement)


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
