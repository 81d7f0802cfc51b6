"""Standard job-shop and flexible job-shop instances: read, solve for makespan, check.

Two text layouts are read:

``jsplib`` (JSPLIB / OR-Library, and Taillard's own layout)
    ``#`` comment lines, then ``n_jobs n_machines``, then one line per job with
    ``machine duration`` pairs in processing order; machines 0-based.
    Taillard's files are read too: a header line of words, ``n_jobs n_machines``
    followed by seeds and bounds, a ``Times`` matrix (one row per job) and a
    ``Machines`` matrix (1-based); of a file holding several instances, the first.
``fjs`` (Brandimarte)
    ``n_jobs n_machines [avg machines per op]``, then one line per job:
    ``n_ops``, then per operation ``k`` followed by ``k`` pairs ``machine duration``;
    machines 1-based.

An instance is a list of jobs, a job a list of operations, an operation a list
of ``(machine, duration)`` options (machines 0-based). It becomes a
:class:`~planlib.schedule.problem.Problem` with always-available machines and is
solved by the same CP-SAT model and heuristic as a factory.

References
----------
Fisher & Thompson (1963), Lawrence (1984), Brandimarte (1993) for the instances;
the best-known values are those of the benchmark collections' READMEs.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from ortools.sat.python import cp_model

from planlib.schedule.dispatch import dispatch
from planlib.schedule.lns import LnsSettings, improve
from planlib.schedule.model import build_model, extract
from planlib.schedule.problem import Problem, ScheduleSettings
from planlib.schedule.timeline import Timeline

Instance = list  # list[list[list[tuple[int, int]]]]


def _numbers(text: str) -> list[list[str]]:
    return [line.split() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]


def _read_taillard(path, lines: list[list[str]]) -> Instance:
    """Taillard's layout: ``Times`` then ``Machines`` matrices (machines 1-based in the file)."""
    words = [" ".join(line).lower() for line in lines]
    t0 = words.index("times")
    head = next(line for line in lines[:t0] if line[0].isdigit())
    n_jobs, n_machines = int(head[0]), int(head[1])
    m0 = words.index("machines", t0)
    times = [[int(x) for x in line] for line in lines[t0 + 1:t0 + 1 + n_jobs]]
    machines = [[int(x) for x in line] for line in lines[m0 + 1:m0 + 1 + n_jobs]]
    if len(times) != n_jobs or len(machines) != n_jobs:
        raise ValueError(f"{path}: expected {n_jobs} rows under Times and under Machines")
    jobs = []
    for k, (t, m) in enumerate(zip(times, machines)):
        if len(t) != len(m):
            raise ValueError(f"{path}: job {k}: {len(t)} times but {len(m)} machines")
        for mach in m:
            if not 1 <= mach <= n_machines:
                raise ValueError(f"{path}: job {k}: machine {mach} outside 1..{n_machines}")
        jobs.append([[(mach - 1, d)] for mach, d in zip(m, t)])
    return jobs


def read_jsplib(path) -> Instance:
    """Read a JSPLIB or Taillard-layout instance (machines 0-based in the result)."""
    lines = _numbers(Path(path).read_text())
    if any(" ".join(line).lower() == "times" for line in lines):
        return _read_taillard(path, lines)
    n_jobs, n_machines = int(lines[0][0]), int(lines[0][1])
    if len(lines) < 1 + n_jobs:
        raise ValueError(f"{path}: the header announces {n_jobs} jobs but {len(lines) - 1} job line(s) follow")
    jobs = []
    for k in range(n_jobs):
        vals = [int(x) for x in lines[1 + k]]
        if len(vals) % 2:
            raise ValueError(f"{path}: job {k} has an odd number of values")
        ops = [[(vals[2 * o], vals[2 * o + 1])] for o in range(len(vals) // 2)]
        for o in ops:
            if not 0 <= o[0][0] < n_machines:
                raise ValueError(f"{path}: job {k}: machine {o[0][0]} outside 0..{n_machines - 1}")
        jobs.append(ops)
    return jobs


def read_fjs(path) -> Instance:
    """Read a Brandimarte ``.fjs`` instance (machines 1-based in the file, 0-based in the result)."""
    lines = _numbers(Path(path).read_text())
    n_jobs, n_machines = int(lines[0][0]), int(float(lines[0][1]))
    if len(lines) < 1 + n_jobs:
        raise ValueError(f"{path}: the header announces {n_jobs} jobs but {len(lines) - 1} job line(s) follow")
    jobs = []
    for k in range(n_jobs):
        vals = [int(x) for x in lines[1 + k]]
        n_ops, pos, ops = vals[0], 1, []
        for _ in range(n_ops):
            cnt = vals[pos]
            pos += 1
            opts = []
            for _ in range(cnt):
                m, d = vals[pos] - 1, vals[pos + 1]
                if not 0 <= m < n_machines:
                    raise ValueError(f"{path}: job {k}: machine {m + 1} outside 1..{n_machines}")
                opts.append((m, d))
                pos += 2
            ops.append(opts)
        if pos != len(vals):
            raise ValueError(f"{path}: job {k}: {len(vals) - pos} values left over")
        jobs.append(ops)
    return jobs


def read_instance(path, fmt: str) -> Instance:
    """Read an instance file in layout ``fmt`` (``jsplib`` or ``fjs``, see the module notes)."""
    if fmt == "jsplib":
        return read_jsplib(path)
    if fmt == "fjs":
        return read_fjs(path)
    raise ValueError(f"format must be jsplib or fjs, not {fmt!r}")


def to_problem(jobs: Instance, horizon: int | None = None) -> Problem:
    """A :class:`Problem` of the instance: one order per job, machines ``M0, M1, ...`` always available."""
    op_rows, alt_rows = [], []
    for k, job in enumerate(jobs):
        pred = -1
        for o, opts in enumerate(job):
            idx = len(op_rows)
            op_rows.append(dict(order_id=k, item_id=f"J{k}", op_seq=o, work_center_id="", family="", qty=1.0,
                                earliest=0, due=0, weight=1, crew_size=0.0, uninterruptible=False,
                                status="planned", pred=pred))
            for m, d in opts:
                alt_rows.append(dict(op=idx, machine_id=f"M{m}", setup_min=0, run_min=int(d)))
            pred = idx
    ops, alts = pd.DataFrame(op_rows), pd.DataFrame(alt_rows)
    if horizon is None:
        horizon = int(alts.groupby("op").run_min.max().sum()) if len(ops) else 1
    machines = sorted(alts.machine_id.unique(), key=lambda m: int(m[1:]))
    tls = {m: Timeline.always(max(1, horizon)) for m in machines}
    orders = pd.DataFrame({"order_id": range(len(jobs)), "due": 0, "weight": 1})
    return Problem(ops=ops, alts=alts, timelines=tls, orders=orders, plan_start=pd.Timestamp(0))


@dataclass
class JobshopResult:
    """What :func:`solve_jobshop` returns: ``makespan`` and ``bound`` [time units of the instance],
    ``status`` (OPTIMAL, FEASIBLE, HEURISTIC), wall ``seconds``, the ``schedule`` (``job, op,
    machine, start, end``), the dispatching rules' makespan and the LNS rounds run."""

    instance: str
    makespan: int | None
    bound: int | None
    status: str
    seconds: float
    schedule: pd.DataFrame
    heuristic_makespan: int
    lns_rounds: int = 0


def solve_jobshop(jobs: Instance, settings: ScheduleSettings | None = None, name: str = "",
                  lns: LnsSettings | None = None, full_share: float | None = None) -> JobshopResult:
    """Minimise the makespan of a (flexible) job shop.

    The better of two dispatching rules (most work remaining, earliest due date) gives the
    solution hint, and its makespan the horizon. CP-SAT then solves the full model for
    ``full_share`` of the time limit (which proves the small instances optimal and gives the
    bound); if that is not optimal, large neighbourhood search (:mod:`planlib.schedule.lns`)
    uses the rest, minimising the makespan and then the sum of job completion times.
    ``full_share`` defaults to 0.3 for a flexible job shop and 1 (no LNS) for a classic one,
    where CP-SAT's own search did as well in our runs (benchmarks/schedule/README.md).

    Returns
    -------
    JobshopResult
        ``schedule`` has columns ``job, op, machine, start, end`` (0-based job, op and machine).
    """
    settings = settings or ScheduleSettings()
    settings = ScheduleSettings(**{**settings.__dict__, "objective": "makespan", "objective_weights": None})
    lns = lns or LnsSettings()
    t0 = time.perf_counter()
    problem = to_problem(jobs)
    # the better of two dispatching rules is the hint and its makespan the horizon
    hint = min((dispatch(problem, rule) for rule in ("mwkr", "edd")), key=lambda h: int(h.we.max()))
    h_mk = int(hint.we.max())
    problem = to_problem(jobs, horizon=h_mk)
    sol, status, bound, mk = hint, "HEURISTIC", None, h_mk
    rounds = 0
    limit = float(settings.time_limit_s)
    if full_share is None:
        full_share = 0.3 if any(len(opts) > 1 for job in jobs for opts in job) else 1.0
    if limit > 0:
        model, v = build_model(problem, settings, hint)
        makespan_var = v.terms["makespan"]
        model.minimize(makespan_var)
        solver = cp_model.CpSolver()
        p = solver.parameters
        p.num_workers = int(settings.workers)
        p.random_seed = int(settings.seed)
        p.log_search_progress = bool(settings.log)
        first = limit * full_share
        if settings.deterministic:
            p.interleave_search = True
            p.max_deterministic_time = first
            p.max_time_in_seconds = 20 * limit
        else:
            p.max_time_in_seconds = first
        code = solver.solve(model)
        if code in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            bound = int(round(solver.best_objective_bound))
            cp_sol, cp_mk = extract(problem, v, solver), int(round(solver.objective_value))
            status = solver.status_name(code)
            if cp_mk > bound and full_share < 1:
                # then the makespan first, the sum of job completion times second
                ends = [v.wclock[i][g][2] for i in problem.ops.groupby("order_id").tail(1).index
                        for g in v.wclock[i]]
                weight = len(ends) * (problem.horizon + 1) + 1
                max_rounds = None
                if settings.deterministic:
                    max_rounds = max(1, int((limit - first) / lns.round_seconds))
                deadline = t0 + (20 * limit if settings.deterministic else limit)
                out = improve(problem, model, v, weight * makespan_var + sum(ends), cp_sol,
                              solver.response_proto.solution, deadline, seed=int(settings.seed),
                              workers=int(settings.workers), settings=lns, max_rounds=max_rounds)
                cp_sol, rounds = out["solution"], out["rounds"]
                cp_mk = int(cp_sol.we.max())
            status = "OPTIMAL" if cp_mk <= bound else "FEASIBLE"
            if cp_mk <= h_mk:
                sol, mk = cp_sol, cp_mk
            else:
                status = "HEURISTIC"
        else:
            status = f"HEURISTIC ({solver.status_name(code)})"
    ops = problem.ops
    sched = pd.DataFrame({"job": ops.order_id.to_numpy()[sol.op], "op": ops.op_seq.to_numpy()[sol.op],
                          "machine": sol.machine_id.str[1:].astype(int).to_numpy(),
                          "start": sol.wr.astype(int).to_numpy(), "end": sol.we.astype(int).to_numpy()})
    sched = sched.sort_values(["job", "op"]).reset_index(drop=True)
    return JobshopResult(name, mk, bound, status, time.perf_counter() - t0, sched, h_mk, rounds)


def check_jobshop(jobs: Instance, schedule: pd.DataFrame) -> list[str]:
    """Everything wrong with a job-shop schedule (``job, op, machine, start, end``); empty when feasible.

    Checks: every operation scheduled once, on one of its machines, for its duration
    on that machine; operations of a job in order; no two operations overlap on a machine
    (an operation of zero duration overlaps nothing).

    Parameters
    ----------
    jobs : Instance
        One list per job of its operations in order, each a list of ``(machine, duration)``
        options (0-based machine, duration in time units of the instance), as from
        :func:`read_instance`.
    schedule : DataFrame
        Columns ``job, op, machine`` (0-based), ``start, end`` [time units of the instance,
        from 0], as :attr:`JobshopResult.schedule`.

    Returns
    -------
    list of str
        One message per broken rule, naming the job, operation and machine.
    """
    errors = []
    s = schedule.sort_values(["job", "op"])
    seen = set(zip(s.job, s.op))
    for k, job in enumerate(jobs):
        prev_end = 0
        for o, opts in enumerate(job):
            if (k, o) not in seen:
                errors.append(f"job {k} op {o} not scheduled")
                continue
            row = s[(s.job == k) & (s.op == o)]
            if len(row) != 1:
                errors.append(f"job {k} op {o} scheduled {len(row)} times")
                continue
            r = row.iloc[0]
            dur = dict(opts).get(int(r.machine))
            if dur is None:
                errors.append(f"job {k} op {o} on machine {r.machine}, not one of {[m for m, _ in opts]}")
            elif int(r.end) - int(r.start) != dur:
                errors.append(f"job {k} op {o}: {r.end - r.start} time units for a duration of {dur}")
            if r.start < prev_end:
                errors.append(f"job {k} op {o} starts at {r.start} before op {o - 1} ends at {prev_end}")
            if r.start < 0:
                errors.append(f"job {k} op {o} starts before 0")
            prev_end = int(r.end)
    # an operation of zero duration takes no machine time: it may sit anywhere on its machine
    busy = s[s.end > s.start]
    for m, g in busy.sort_values(["machine", "start"]).groupby("machine"):
        st, en = g.start.to_numpy(), g.end.to_numpy()
        clash = np.flatnonzero(st[1:] < en[:-1])
        for c in clash:
            errors.append(f"machine {m}: job {g.job.iat[c + 1]} op {g.op.iat[c + 1]} overlaps "
                          f"job {g.job.iat[c]} op {g.op.iat[c]}")
    return errors


def makespan(schedule: pd.DataFrame) -> int:
    """Latest ``end`` of a job-shop schedule; 0 when empty.

    Parameters
    ----------
    schedule : DataFrame
        Columns ``job, op, machine`` (0-based), ``start, end`` [time units of the instance,
        from 0], as :attr:`JobshopResult.schedule`.

    Returns
    -------
    int
        The makespan [time units of the instance].
    """
    return int(schedule.end.max()) if len(schedule) else 0
