"""Large neighbourhood search (LNS) around the CP-SAT model.

With few workers CP-SAT gives its own neighbourhood search one interleaved thread
shared by a dozen strategies, and on flexible job shops of a few hundred operations
(Brandimarte mk06, mk10) the full model then stalls for most of a minute. This loop
runs the neighbourhoods itself: from the best schedule so far, relax part of it,
keep the rest, and let CP-SAT re-optimise the relaxed part.

A round builds one neighbourhood per worker, all of one kind, and solves them side by side, each with
one CP-SAT worker and a *deterministic* time limit (CP-SAT's work units, not seconds).
A neighbourhood keeps every operation outside it on its machine and in its order
relative to the other kept operations of that machine; the relaxed operations may take
any machine and any place. Kinds, in turn:

``orders``    every operation of a random set of orders (jobs);
``window``    every operation whose run starts in a random time window;
``machines``  every operation on a random set of machines.

Each kind's size adapts (Pisinger & Ropke 2010): larger after a neighbourhood solved
to optimality, smaller after one cut off by its time limit. The best improving
result of a round is kept (ties: the first worker), so that for fixed inputs and seed
the sequence of schedules depends on nothing but the number of rounds; with
``deterministic`` the number of rounds is fixed by the time budget too.

References
----------
Shaw, Using constraint programming and local search methods to solve vehicle routing
problems, CP 1998. Pisinger & Ropke, Large neighborhood search, in Handbook of
Metaheuristics, 2nd ed., ch. 13, 2010.
"""
from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import pandas as pd
from ortools.sat.python import cp_model

from planlib.schedule.model import ModelVars, _timeline_groups, extract
from planlib.schedule.problem import Problem

KINDS = ("orders", "window", "machines")


@dataclass(frozen=True)
class LnsSettings:
    """Settings of :func:`improve`.

    Attributes
    ----------
    size : float
        Initial share of orders, time or machines relaxed by a neighbourhood.
    min_size, max_size : float
        Bounds of the adaptive size.
    round_dtime : float
        Deterministic time limit of one neighbourhood solve [CP-SAT work units; on the
        Brandimarte instances 0.1 is about a second of one core].
    round_seconds : float
        Deterministic runs: the time limit buys one round per ``round_seconds`` [s].
    """

    size: float = 0.2
    min_size: float = 0.05
    max_size: float = 0.6
    round_dtime: float = 0.1
    round_seconds: float = 1.0


def _full_hint(model: cp_model.CpModel, values) -> None:
    """Hint every variable of ``model`` (a full assignment in proto variable order)."""
    model.clear_hints()
    model.proto.solution_hint.vars.extend(range(len(values)))
    model.proto.solution_hint.values.extend(int(x) for x in values)


def _neighbourhood(kind: str, size: float, problem: Problem, best: pd.DataFrame, rng) -> set:
    """Operations (``op`` numbers) relaxed by one neighbourhood of ``kind``."""
    ops = problem.ops
    if kind == "orders":
        orders = ops.order_id.unique()
        k = max(2, int(round(size * len(orders))))
        pick = rng.choice(len(orders), size=min(k, len(orders)), replace=False)
        return set(np.flatnonzero(ops.order_id.isin(orders[pick]).to_numpy()).tolist())
    if kind == "window":
        start = np.array([problem.timelines[m].start_at(int(w)) or 0 for m, w in zip(best.machine_id, best.wr)])
        lo, hi = int(start.min()), int(start.max()) + 1
        width = max(1, int(size * (hi - lo)))
        a = int(rng.integers(lo, max(lo + 1, hi - width + 1)))
        return set(best.op[(start >= a) & (start < a + width)].astype(int).tolist())
    machines = np.array(sorted(best.machine_id.unique()))
    k = max(2, int(round(size * len(machines))))
    pick = machines[rng.choice(len(machines), size=min(k, len(machines)), replace=False)]
    return set(best.op[best.machine_id.isin(pick)].astype(int).tolist())


def _restrict(model: cp_model.CpModel, problem: Problem, v: ModelVars, best: pd.DataFrame,
              relaxed: set) -> cp_model.CpModel:
    """A copy of ``model`` where the operations outside ``relaxed`` keep machine and order."""
    alts = problem.alts
    group_of = _timeline_groups(problem.timelines)
    row_of = {(int(i), m): j for j, (i, m) in enumerate(zip(alts.op, alts.machine_id))}
    sub = model.clone()

    def run_start(i, m):
        return sub.get_int_var_from_proto_index(v.wr_vars[(i, group_of[m])].index)

    for m, g in best.sort_values(["machine_id", "ws", "we"], kind="stable").groupby("machine_id"):
        prev = None
        for i in g.op.astype(int):
            if i in relaxed:
                continue
            j = row_of[(i, m)]
            domain = sub.proto.variables[v.present[j].index].domain  # a literal: [0, 1]
            domain[0] = 1
            if prev is not None:
                # the kept operation starts its setup after the previous kept one ends
                pi, pj = prev
                sub.add(run_start(i, m) - int(alts.setup_min.iat[j]) >= run_start(pi, m) + int(alts.run_min.iat[pj]))
            prev = (i, j)
    return sub


def improve(problem: Problem, model: cp_model.CpModel, v: ModelVars, objective, start: pd.DataFrame,
            start_values, deadline: float, seed: int = 0, workers: int = 2,
            settings: LnsSettings | None = None, max_rounds: int | None = None) -> dict:
    """Improve a solution of ``model`` by large neighbourhood search.

    Parameters
    ----------
    problem, model, v
        As from :func:`planlib.schedule.model.build_model`. ``model`` is changed: it gets a
        variable equal to ``objective``, that objective, and the best solution as its hint.
    objective : linear expression
        What to minimise, in whole numbers.
    start : DataFrame
        A solution of ``model`` (see :func:`planlib.schedule.model.extract`).
    start_values : sequence of int
        The full assignment of that solution (``CpSolver.response_proto.solution``).
    deadline : float
        ``time.perf_counter()`` value to stop at.
    seed : int
        Seeds the neighbourhood choice and every CP-SAT solve.
    workers : int
        Neighbourhoods solved side by side in a round (one CP-SAT worker each).
    max_rounds : int, optional
        Stop after this many rounds (deterministic runs).

    Returns
    -------
    dict
        ``solution`` (the best solution table), ``objective``, ``values`` (its full assignment),
        ``rounds``, ``improved`` (rounds that found a better schedule).
    """
    settings = settings or LnsSettings()
    rng = np.random.default_rng(seed)
    # the objective as a variable, so that a neighbourhood can be told to be no worse (its domain)
    lo, hi = _bounds(model, objective)
    obj_var = model.new_int_var(lo, hi, "lns_objective")
    model.add(obj_var == objective)
    model.minimize(obj_var)
    best_obj = _value(objective, start_values)
    best, values = start, list(start_values) + [int(best_obj)]
    size = {k: settings.size for k in KINDS}
    rounds = improved = 0
    pool = ThreadPoolExecutor(max_workers=max(1, workers))
    try:
        while time.perf_counter() < deadline and (max_rounds is None or rounds < max_rounds):
            _full_hint(model, values)
            jobs = []
            for w in range(max(1, workers)):
                kind = KINDS[rounds % len(KINDS)]  # one kind a round: solves of a round take alike long
                relaxed = _neighbourhood(kind, size[kind], problem, best, rng)
                sub = _restrict(model, problem, v, best, relaxed)
                sub.proto.variables[obj_var.index].domain[1] = int(best_obj)  # no worse than the best
                solver = cp_model.CpSolver()
                p = solver.parameters
                p.num_workers = 1
                p.random_seed = int(seed + 1000 * rounds + w)
                p.max_deterministic_time = float(settings.round_dtime)
                p.cp_model_probing_level = 0  # probing the whole model again each time costs more than it gives
                p.max_time_in_seconds = max(0.05, deadline - time.perf_counter())
                jobs.append((kind, solver, pool.submit(solver.solve, sub)))
            rounds += 1
            found = None
            for kind, solver, fut in jobs:
                status = fut.result()
                if status == cp_model.OPTIMAL:
                    size[kind] = min(settings.max_size, size[kind] * 1.15)
                else:
                    size[kind] = max(settings.min_size, size[kind] / 1.15)
                if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
                    obj = solver.objective_value
                    # no worse is taken too: a schedule as good but different moves the search on
                    if obj <= best_obj + 1e-9 and (found is None or obj < found[0] - 1e-9):
                        found = (obj, solver)
            if found is not None:
                improved += found[0] < best_obj - 1e-9
                best_obj, solver = found
                values = list(solver.response_proto.solution)
                best = extract(problem, v, solver)
    finally:
        pool.shutdown(wait=True)
    return dict(solution=best, objective=best_obj, values=values, rounds=rounds, improved=improved)


def _bounds(model: cp_model.CpModel, expr) -> tuple[int, int]:
    """Smallest and largest value of a linear expression over the variable domains."""
    vars_, cs, offset = _linear(expr)
    lo = hi = offset
    for x, c in zip(vars_, cs):
        d = list(model.proto.variables[x].domain)
        a, b = c * d[0], c * d[-1]
        lo, hi = lo + min(a, b), hi + max(a, b)
    return int(lo), int(hi)


def _linear(expr):
    """``(variable indices, coefficients, offset)`` of a linear expression."""
    flat = cp_model.FlatIntExpr(expr)
    return [x.index for x in flat.vars], list(flat.coeffs), int(flat.offset)


def _value(expr, values) -> int:
    """A linear expression's value at a full assignment."""
    vars_, cs, offset = _linear(expr)
    return int(offset + sum(c * values[x] for x, c in zip(vars_, cs)))
