"""Large neighbourhood search (planlib.schedule.lns) on Brandimarte's mk01.

Every schedule goes through the independent job-shop checker.
"""
from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest
from ortools.sat.python import cp_model

from planlib.schedule.dispatch import dispatch
from planlib.schedule.jobshop import check_jobshop, read_fjs, solve_jobshop, to_problem
from planlib.schedule.lns import KINDS, _neighbourhood, _restrict, improve
from planlib.schedule.model import build_model, extract
from planlib.schedule.problem import ScheduleSettings

DATA = Path(__file__).parent / "data" / "schedule"
MK01_OPTIMUM = 40  # Brandimarte (1993) mk01, proven optimal (ScheduleOpt best-known list)


def as_jobshop(problem, sol):
    """A solution table as the job-shop checker reads it."""
    import pandas as pd
    ops = problem.ops
    return pd.DataFrame({"job": ops.order_id.to_numpy()[sol.op], "op": ops.op_seq.to_numpy()[sol.op],
                         "machine": sol.machine_id.str[1:].astype(int).to_numpy(),
                         "start": sol.wr.astype(int).to_numpy(), "end": sol.we.astype(int).to_numpy()})


@pytest.fixture(scope="module")
def mk01_start():
    """mk01's model and a poor first solution: the ATCS rule's schedule (no due dates, so a poor
    rule here), completed by CP-SAT with every hinted variable fixed."""
    jobs = read_fjs(DATA / "mk01.fjs")
    problem = to_problem(jobs)
    hint = dispatch(problem, "atcs")
    problem = to_problem(jobs, horizon=int(hint.we.max()))
    model, v = build_model(problem, ScheduleSettings(objective="makespan"), hint)
    model.minimize(v.terms["makespan"])
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.fix_variables_to_their_hinted_value = True
    assert solver.solve(model) == cp_model.OPTIMAL  # the only solution left: the hint
    start = extract(problem, v, solver)
    return jobs, problem, model, v, start, list(solver.response_proto.solution)


def random_flexible_shop(seed=5, n_jobs=10, n_ops=8, n_machines=6):
    """A seeded flexible job shop: 1-3 machines per operation, durations 1-20."""
    rng = np.random.default_rng(seed)
    return [[[(int(m), int(rng.integers(1, 21)))
              for m in rng.choice(n_machines, size=int(rng.integers(1, 4)), replace=False)]
             for _ in range(n_ops)] for _ in range(n_jobs)]


def run_lns(mk01_start, rounds=12, seed=0):
    _, problem, model, v, start, values = mk01_start
    model = model.clone()  # improve() sets the objective and hints on the model it is given
    out = improve(problem, model, v, v.terms["makespan"], start, values, time.perf_counter() + 600,
                  seed=seed, workers=2, max_rounds=rounds)
    return out


def test_lns_improves_a_poor_start_and_stays_feasible(mk01_start):
    jobs, problem, _, _, start, _ = mk01_start
    start_mk = int(start.we.max())
    assert start_mk > MK01_OPTIMUM + 3  # the start leaves room to improve
    out = run_lns(mk01_start)
    sched = as_jobshop(problem, out["solution"])
    assert check_jobshop(jobs, sched) == []
    assert out["rounds"] == 12 and out["improved"] >= 1
    assert MK01_OPTIMUM <= sched.end.max() == out["objective"] < start_mk


def test_lns_with_a_round_limit_repeats_itself(mk01_start):
    a, b = run_lns(mk01_start, rounds=6), run_lns(mk01_start, rounds=6)
    assert a["solution"].equals(b["solution"]) and a["objective"] == b["objective"]


@pytest.mark.parametrize("kind", KINDS)
def test_a_neighbourhood_keeps_machine_and_order_of_the_rest(mk01_start, kind):
    """Outside the relaxed operations every operation keeps its machine and its order on it."""
    jobs, problem, model, v, start, _ = mk01_start
    rng = np.random.default_rng(3)
    relaxed = _neighbourhood(kind, 0.3, problem, start, rng)
    assert 0 < len(relaxed) < len(problem.ops)
    sub = _restrict(model, problem, v, start, relaxed)
    sub.minimize(v.terms["makespan"])
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.max_deterministic_time = 1.0
    assert solver.solve(sub) in (cp_model.OPTIMAL, cp_model.FEASIBLE)
    new = extract(problem, v, solver)
    assert check_jobshop(jobs, as_jobshop(problem, new)) == []
    kept = ~start.op.isin(relaxed)
    old_m = start[kept].set_index("op").machine_id
    assert (new.set_index("op").machine_id.loc[old_m.index] == old_m).all()
    for m, g in start[kept].groupby("machine_id"):
        before = list(g.sort_values("ws").op)
        after = list(new[new.op.isin(before)].sort_values("ws").op)
        assert after == before


def test_flexible_job_shop_uses_lns_after_the_full_model():
    """solve_jobshop hands the rest of the time to the LNS when the full model is not proven optimal;
    deterministic mode: one round per ``round_seconds`` of what is left of the time limit."""
    jobs = random_flexible_shop()
    settings = ScheduleSettings(time_limit_s=3, workers=2, deterministic=True)
    res = solve_jobshop(jobs, settings, "random", full_share=0.01)
    assert check_jobshop(jobs, res.schedule) == []
    assert res.status == "FEASIBLE" and res.lns_rounds == 2
    assert res.bound <= res.makespan <= res.heuristic_makespan
    # a classic job shop (one machine per operation) does not use it
    classic = [[[opts[0]] for opts in job] for job in jobs]
    res = solve_jobshop(classic, ScheduleSettings(time_limit_s=1, workers=2), "mk01-classic")
    assert res.lns_rounds == 0 and check_jobshop(classic, res.schedule) == []
