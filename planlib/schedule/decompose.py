"""Large plants: the schedule improved by CP-SAT one time window at a time, the rest fixed.

A model of the whole plant at 10,000 items (some 17,000 operations) takes half a minute to
build and CP-SAT finds nothing better than the dispatching heuristic in the weekly run's time.
Here the heuristic's schedule is cut into *time windows*: per work center, runs of about
``window_ops`` operations by run start (its machines get many operations to resequence); the
windows holding the most weighted tardiness go first (bottleneck first). Each window is a
small CP-SAT model (:func:`planlib.schedule.model.build_model` of a sub-problem):

- its operations are free: any machine of their work center, any order, inside the window's
  time span (setup start from the window's first setup start, run end by its last end);
- the operations of other windows that share a machine with the window and overlap its span,
  and on each machine the last one before and the first one after it, are *frozen* where they
  are, so that machine overlaps and changeovers in and out of the window are in the model;
- an operation whose predecessor (routing order, material link) lies outside the window starts
  after that predecessor's end; one whose successor lies outside ends before that successor's
  run starts (a fixed date on its working clock);
- the objective is the first objective level restricted to the window: for weighted
  tardiness, the orders whose last operation is in the window.

The window's solution replaces its operations if the whole schedule's objective drops, so the
published schedule is never worse than the heuristic's. A lower bound for the whole plant
comes from a relaxation (:func:`relaxed_bound`: every machine free, calendars kept), so the
gap reported is to a bound of the full problem, not of a restricted model.

Deterministic mode (``ScheduleSettings.deterministic``): the windows, their order and count
and every CP-SAT solve (a deterministic work budget, interleaved workers) depend only on the
inputs and the seed.

References
----------
Pinedo, Scheduling: Theory, Algorithms, and Systems, 5th ed., ch. 14.4 (time-based
decomposition, rolling horizon); Shaw, CP 1998 (large neighbourhood search).
"""
from __future__ import annotations

import time
from dataclasses import replace

import numpy as np
import pandas as pd
from ortools.sat.python import cp_model

from planlib.schedule.dispatch import SOLUTION_COLUMNS, _place, _real_end, _successors
from planlib.schedule.problem import Problem, ScheduleSettings

#: Deterministic mode: CP-SAT work units per second of a window's ``window_time_s``. A window's
#: model (about 200 operations, 2 workers) does about 0.25 units a second on the project machine
#: (measured at 10,000 items: 0.3 units in 1.2-1.5 s of an idle machine's 2 cores).
DTIME_PER_S = 0.25


def relaxed_bound(problem: Problem, name: str = "tardiness") -> float | None:
    """A lower bound of the objective: every operation as early as its calendars allow with every
    machine free (no other operation, no changeover), in routing and material order.

    Parameters
    ----------
    problem : Problem
    name : {"tardiness", "makespan", "setup"}

    Returns
    -------
    float or None
        Weighted tardiness [weight * min] or makespan [min from plan start] of that relaxation
        (no feasible schedule does better; a frozen operation ends where it is); 0 for ``setup``;
        None for an empty problem or a cycle.
    """
    ops = problem.ops
    n = len(ops)
    if n == 0:
        return None
    if name == "setup":
        return 0.0
    succs, waiting = _successors(problem)
    waiting = waiting.copy()
    ready = ops.earliest.to_numpy().astype(np.int64).copy()
    unbroken = ops.uninterruptible.to_numpy()
    options = [[] for _ in range(n)]
    for i, m, s, p in zip(problem.alts.op, problem.alts.machine_id, problem.alts.setup_min, problem.alts.run_min):
        options[int(i)].append((m, int(s), int(p)))
    floor = {m: (tl.work_at(problem.not_before) if problem.not_before else 0) for m, tl in problem.timelines.items()}
    end = np.zeros(n, np.int64)
    fixed = {}
    if problem.frozen is not None:
        for i, m, ws in zip(problem.frozen.op, problem.frozen.machine_id, problem.frozen.ws):
            s, p = next((s, p) for mm, s, p in options[int(i)] if mm == m)
            fixed[int(i)] = _real_end(problem.timelines[m], int(ws) + s, int(ws) + s + p)
    todo = [i for i in range(n) if waiting[i] == 0]
    seen = 0
    while todo:
        i = todo.pop()
        seen += 1
        best = fixed.get(i)
        for m, s, p in options[i] if best is None else ():
            placed = _place(problem.timelines[m], floor[m], int(ready[i]), s, p, 0, unbroken[i])
            if placed is not None and (best is None or placed[3] < best):
                best = placed[3]
        end[i] = best if best is not None else int(ready[i])
        for j in succs[i]:
            ready[j] = max(ready[j], end[i])
            waiting[j] -= 1
            if waiting[j] == 0:
                todo.append(j)
    if seen < n:
        return None
    last = ops.groupby("order_id", sort=False).tail(1)
    if name == "makespan":
        return float(end[last.index.to_numpy()].max())
    late = np.maximum(end[last.index.to_numpy()] - last.due.to_numpy(), 0)
    return float((late * last.weight.to_numpy()).sum())


def windows(problem: Problem, sol: pd.DataFrame, size: int) -> list[np.ndarray]:
    """The solution's operations cut into windows: per work center, runs of about ``size``
    operations in run-start order; those holding the most weighted tardiness first (ties: the
    work center's name, then earlier first).

    A window of one work center gives its machines many operations to resequence; the orders'
    tardiness counts where their last operation is.

    Parameters
    ----------
    problem : Problem
    sol : DataFrame
        A solution table (:func:`planlib.schedule.dispatch.dispatch`): ``op, machine_id, ws, wr, we``.
    size : int
        Operations per window.

    Returns
    -------
    list of ndarray
        Operation numbers (rows of ``problem.ops``) of each window; windows without the last
        operation of a late order are left out.
    """
    tls, ops = problem.timelines, problem.ops
    sol = sol.sort_values("op")
    start = np.array([tls[m].start_at(int(w)) or 0 for m, w in zip(sol.machine_id, sol.wr)])
    end = np.array([_real_end(tls[m], int(wr), int(we)) for m, wr, we in zip(sol.machine_id, sol.wr, sol.we)])
    last = ops.groupby("order_id", sort=False).tail(1).index.to_numpy()
    late = np.zeros(len(ops))
    late[last] = np.maximum(end[last] - ops.due.to_numpy()[last], 0) * ops.weight.to_numpy()[last]
    frozen = set(problem.frozen.op) if problem.frozen is not None and len(problem.frozen) else set()
    movable = np.array([i not in frozen for i in range(len(ops))])
    wc = ops.work_center_id.astype(str).to_numpy()
    out = []
    for w in sorted(set(wc)):
        mine = np.flatnonzero((wc == w) & movable)
        mine = mine[np.lexsort((mine, start[mine]))]
        n_win = max(1, int(round(len(mine) / size)))
        for k, chunk in enumerate(np.array_split(mine, n_win)):
            weight = float(late[chunk].sum()) if len(chunk) else 0.0
            if weight > 0:
                out.append((-weight, w, k, chunk))
    return [c for *_, c in sorted(out, key=lambda x: x[:3])]


def _sub_problem(problem: Problem, sol: pd.DataFrame, free: np.ndarray):
    """The window's sub-problem: its free operations and the frozen ones around them.

    Returns
    -------
    (Problem, ndarray, dict, dict, pd.DataFrame)
        The sub-problem; ``ops``: its operation numbers in the full problem (sub row ``k`` is
        full operation ``ops[k]``); ``span``: machine -> (earliest setup start, latest run end)
        [working-clock min] of a free operation there; ``deadline``: sub row -> latest real
        end [min from plan start]; the hint (the solution's rows, renumbered).
    """
    from planlib.schedule.problem import trim

    tls, P = problem.timelines, problem
    sol = sol.sort_values("op").reset_index(drop=True)
    mach = sol.machine_id.to_numpy()
    ws, wr, we = sol.ws.to_numpy(), sol.wr.to_numpy(), sol.we.to_numpy()
    real_end = np.array([_real_end(tls[m], int(a), int(b)) for m, a, b in zip(mach, wr, we)], np.int64)
    real_run = np.array([tls[m].start_at(int(a)) or 0 for m, a in zip(mach, wr)], np.int64)
    real_setup = np.array([tls[m].start_at(int(a)) or 0 for m, a in zip(mach[free], ws[free])], np.int64)
    a_real, b_real = int(real_setup.min()), int(real_end[free].max())
    free_set = set(free.tolist())
    alts = P.alts
    machines = set(alts.machine_id[alts.op.isin(free_set)])
    span = {m: (tls[m].work_at(a_real), tls[m].work_at(b_real)) for m in machines}
    context = set()
    for m, g in sol[sol.machine_id.isin(machines)].groupby("machine_id"):
        lo, hi = span[m]
        g = g[~g.op.isin(free_set)].sort_values("ws")
        inside = g[(g.we > lo) & (g.ws < hi)]
        context.update(inside.op.tolist())
        before, after = g[g.we <= lo], g[g.ws >= hi]
        if len(before):
            context.add(int(before.op.iat[-1]))
        if len(after):
            context.add(int(after.op.iat[0]))
    keep = np.array(sorted(free_set | context), np.int64)
    new_of = {int(i): k for k, i in enumerate(keep)}
    ops = P.ops.iloc[keep].reset_index(drop=True)
    # predecessors outside the window: an earliest start; inside: renumbered
    pred = P.ops.pred.to_numpy()[keep]
    earliest = ops.earliest.to_numpy().astype(np.int64).copy()
    new_pred = np.full(len(keep), -1, np.int64)
    for k, (i, p) in enumerate(zip(keep, pred)):
        if i in context or p < 0:
            continue
        if p in free_set:
            new_pred[k] = new_of[int(p)]
        else:
            earliest[k] = max(earliest[k], real_end[p])
    links = None
    deadline = {}
    succs, _ = _successors(P)
    if P.links is not None and len(P.links):
        rows = []
        for i, j in zip(P.links.op.to_numpy(), P.links.supply_op.to_numpy()):
            i, j = int(i), int(j)
            if i in free_set and j in free_set:
                rows.append((new_of[i], new_of[j]))
            elif i in free_set:
                earliest[new_of[i]] = max(earliest[new_of[i]], real_end[j])
        links = pd.DataFrame(rows, columns=["op", "supply_op"]) if rows else None
    for i in free_set:
        for s in succs[i]:
            if s not in free_set:
                k = new_of[i]
                deadline[k] = min(deadline.get(k, 1 << 62), int(real_run[s]))
    # tardiness only where the order's last operation is free in the window
    last = set(P.ops.groupby("order_id", sort=False).tail(1).index.tolist())
    big = int(P.horizon) * 4 + 1
    due = np.array([int(d) if (int(i) in last and int(i) in free_set) else big
                    for i, d in zip(keep, ops.due.to_numpy())], np.int64)
    # runs start in the window's span (and the calendars end after it): few calendar segments, so
    # the conversions between working clock and real time stay small
    is_free = np.array([int(i) in free_set for i in keep])
    earliest[is_free] = np.maximum(earliest[is_free], a_real)
    ops = ops.assign(earliest=earliest, pred=new_pred, due=due)
    sub_alts = alts[alts.op.isin(new_of)].copy()
    sub_alts["op"] = sub_alts.op.map(new_of)
    sub_alts = sub_alts.sort_values(["op"], kind="stable").reset_index(drop=True)
    ctx = sorted(context)
    frozen = pd.DataFrame({"op": [new_of[i] for i in ctx], "machine_id": mach[ctx], "ws": ws[ctx]})
    sub = replace(P, ops=ops, alts=sub_alts, frozen=frozen, links=links, previous=None, crews={}, staffing=None)
    sub = trim(sub, int(real_end[keep].max()) + 1440)
    hint = sol.iloc[keep].copy()
    hint["op"] = hint.op.map(new_of)
    hint["prev_op"] = [new_of.get(int(q), -1) for q in hint.prev_op]
    return sub, keep, span, deadline, hint.reset_index(drop=True)


def _solve_window(problem: Problem, sol: pd.DataFrame, free: np.ndarray, settings: ScheduleSettings,
                  limit: float, seed: int):
    """CP-SAT on one window; the window's operations' new rows (full numbering) or None."""
    from planlib.schedule.model import (
        _complete_hint,
        _level_solver,
        _objective,
        _timeline_groups,
        build_model,
        extract,
    )

    sub, keep, span, deadline, hint = _sub_problem(problem, sol, free)
    small = replace(settings, large_ops=max(settings.large_ops, len(sub.ops) + 1), seed=seed)
    model, v = build_model(sub, small, hint)
    alts = sub.alts
    frozen_ops = set(sub.frozen.op)
    for j, lit in v.present.items():
        k = int(alts.op.iat[j])
        if k in frozen_ops:
            continue
        m = alts.machine_id.iat[j]
        lo, hi = span[m]
        size = int(alts.setup_min.iat[j] + alts.run_min.iat[j])
        model.add(v.ws[j] >= lo).only_enforce_if(lit)
        model.add(v.ws[j] + size <= hi).only_enforce_if(lit)
    tls = sub.timelines
    group_tl = {}
    for m, g in _timeline_groups(tls).items():
        group_tl.setdefault(g, tls[m])
    for k, d in deadline.items():
        for g, (lit, _, we) in v.wclock[k].items():
            model.add(we <= group_tl[g].work_at(d)).only_enforce_if(lit)
    name = settings.objectives()[0][0]
    # CP-SAT does not always repair a partial hint of a window in its budget: complete it first
    # (every hinted variable fixed, the rest by propagation), then search from a full solution
    _complete_hint(model, v, name, replace(small, objective_weights=None), 30.0)
    model.minimize(_objective(v, name, settings, extra_moves=False))
    solver = _level_solver(small, limit, large=True)
    status = solver.solve(model)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None, solver.status_name(status)
    got = extract(sub, v, solver)
    got = got[~got.op.isin(frozen_ops)].copy()
    got["op"] = keep[got.op.to_numpy()]
    return got[["op", "machine_id", "ws", "wr", "we"]], solver.status_name(status)


def improve_by_windows(problem: Problem, settings: ScheduleSettings, sol: pd.DataFrame, progress=None,
                       deadline: float | None = None) -> tuple[pd.DataFrame, dict]:
    """Improve a solution window by window (see the module notes).

    Parameters
    ----------
    problem : Problem
        Without crews and not a repair (those use the whole model).
    settings : ScheduleSettings
        ``time_limit_s`` buys ``time_limit_s / window_time_s`` windows of ``window_ops``
        operations, each solved with ``window_time_s`` [s; ``window_time_s * DTIME_PER_S``
        deterministic work units when ``deterministic``]; ``seed`` seeds every solve.
    sol : DataFrame
        A solution table (see :func:`planlib.schedule.dispatch.dispatch`).
    progress : callable, optional
        Called with a line of text after each window (objective so far, estimated time left).
    deadline : float, optional
        ``time.perf_counter()`` value to stop at (not in deterministic mode: there the count of
        windows decides).

    Returns
    -------
    (DataFrame, dict)
        The best solution table and ``windows`` (solved), ``windows_improved``, ``objective``.
    """
    from planlib.schedule.model import evaluate, sequence

    say = progress or (lambda message: None)
    name = settings.objectives()[0][0]
    best_obj = evaluate(problem, sol, name, settings)
    plan = windows(problem, sol, settings.window_ops)
    budget = max(1, int(settings.time_limit_s / settings.window_time_s))
    plan = plan[:budget]
    t0 = time.perf_counter()
    solved = improved = 0
    for k, free in enumerate(plan):
        if not settings.deterministic and deadline is not None and time.perf_counter() >= deadline:
            break
        limit = settings.window_time_s * (DTIME_PER_S if settings.deterministic else 1.0)
        rows, _ = _solve_window(problem, sol, free, settings, limit, settings.seed + k)
        solved += 1
        if rows is not None:
            merged = sol.sort_values("op").reset_index(drop=True)[["op", "machine_id", "ws", "wr", "we"]].copy()
            at = rows.op.to_numpy()  # rows of merged are operations 0..n-1
            for col in ("machine_id", "ws", "wr", "we"):
                values = merged[col].to_numpy().copy()
                values[at] = rows[col].to_numpy()
                merged[col] = values
            merged = sequence(problem, merged)
            obj = evaluate(problem, merged, name, settings)
            if obj < best_obj - 1e-9:
                sol, best_obj = merged[SOLUTION_COLUMNS], obj
                improved += 1
        spent = time.perf_counter() - t0
        left = spent / (k + 1) * (len(plan) - k - 1)
        say(f"window {k + 1}/{len(plan)}: objective {best_obj:,.0f}, about {left:.0f} s left")
    return sol, dict(windows=solved, windows_improved=improved, objective=best_obj)
