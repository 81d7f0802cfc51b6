"""Job-shop and flexible job-shop instances: readers, known optima, the checker, random instances."""
from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from planlib.schedule.dispatch import dispatch
from planlib.schedule.jobshop import (
    check_jobshop,
    makespan,
    read_fjs,
    read_instance,
    read_jsplib,
    solve_jobshop,
    to_problem,
)
from planlib.schedule.problem import ScheduleSettings

DATA = Path(__file__).parent / "data" / "schedule"
QUICK = ScheduleSettings(time_limit_s=5, workers=2, seed=0)


def test_ft06_reaches_its_known_optimum():
    """ft06 (Fisher & Thompson, Industrial Scheduling, Prentice Hall 1963; 6 jobs x 6 machines):
    optimal makespan 55, as in the JSPLIB and ScheduleOpt best-known lists."""
    jobs = read_jsplib(DATA / "ft06")
    assert len(jobs) == 6 and all(len(j) == 6 for j in jobs)
    assert jobs[0][0] == [(2, 1)]  # first pair of the file: machine 2, duration 1
    res = solve_jobshop(jobs, QUICK, "ft06")
    assert check_jobshop(jobs, res.schedule) == []
    assert res.makespan == 55 and res.bound == 55 and res.status == "OPTIMAL"
    assert res.heuristic_makespan >= 55


def test_mk01_reaches_its_known_optimum():
    """Brandimarte (1993) mk01, 10 jobs x 6 machines, flexible: optimum 40 (ScheduleOpt best-known list,
    proven optimal)."""
    jobs = read_fjs(DATA / "mk01.fjs")
    assert len(jobs) == 10 and sum(len(j) for j in jobs) == 55
    # first operation of job 1 in the file: "2 1 5 3 4": machines 1 and 3 (1-based) -> 0 and 2
    assert jobs[0][0] == [(0, 5), (2, 4)]
    res = solve_jobshop(jobs, ScheduleSettings(time_limit_s=10), "mk01")
    assert check_jobshop(jobs, res.schedule) == []
    assert res.makespan == 40


def test_readers_reject_bad_files(tmp_path):
    bad = tmp_path / "bad"
    bad.write_text("2 2\n0 3 1\n1 2 0 4\n")
    with pytest.raises(ValueError, match="odd number"):
        read_jsplib(bad)
    bad.write_text("1 2\n1 1 3 5\n")
    with pytest.raises(ValueError, match="outside 1..2"):
        read_fjs(bad)
    with pytest.raises(ValueError, match="jsplib or fjs"):
        read_instance(bad, "taillard")


def test_taillard_layout_reads_as_the_same_instance(tmp_path):
    """ft06 written in Taillard's own layout (Times and 1-based Machines matrices, a header of
    words, a second instance after it) reads as the JSPLIB file does."""
    jobs = read_jsplib(DATA / "ft06")
    times = "\n".join(" ".join(str(op[0][1]) for op in job) for job in jobs)
    machines = "\n".join(" ".join(str(op[0][0] + 1) for op in job) for job in jobs)
    text = (f"Nb of jobs, Nb of Machines, Time seed, Machine seed, Upper bound, Lower bound :\n"
            f"6 6 0 0 55 55\nTimes\n{times}\nMachines\n{machines}\n")
    path = tmp_path / "ft06_taillard.txt"
    path.write_text(text + text.replace("Times\n1 3", "Times\n9 9"))
    assert read_jsplib(path) == jobs
    path.write_text(text.replace(f"Machines\n{machines}", "Machines\n" + machines.replace("6", "7", 1)))
    with pytest.raises(ValueError, match="outside 1..6"):
        read_jsplib(path)


def test_checker_catches_planted_errors():
    jobs = read_jsplib(DATA / "ft06")
    res = solve_jobshop(jobs, ScheduleSettings(time_limit_s=0), "ft06")  # heuristic only
    good = res.schedule
    assert check_jobshop(jobs, good) == []
    # overlap: put a second operation of the same machine on top of the first
    m = good.machine.iloc[0]
    same = good[good.machine == m].sort_values("start")
    bad = good.copy()
    i, j = same.index[0], same.index[1]
    d = bad.loc[j, "end"] - bad.loc[j, "start"]
    bad.loc[j, "start"], bad.loc[j, "end"] = bad.loc[i, "start"], bad.loc[i, "start"] + d
    assert any("overlaps" in e for e in check_jobshop(jobs, bad))
    # wrong duration, missing operation
    bad = good.copy()
    bad.loc[bad.index[0], "end"] += 1
    assert any("duration" in e for e in check_jobshop(jobs, bad))
    assert any("not scheduled" in e for e in check_jobshop(jobs, good.iloc[1:]))


@st.composite
def flexible_instances(draw):
    n_jobs = draw(st.integers(1, 5))
    n_machines = draw(st.integers(1, 4))
    jobs = []
    for _ in range(n_jobs):
        ops = []
        for _ in range(draw(st.integers(1, 4))):
            machines = draw(st.lists(st.integers(0, n_machines - 1), min_size=1, max_size=n_machines, unique=True))
            ops.append([(m, draw(st.integers(1, 9))) for m in machines])
        jobs.append(ops)
    return jobs


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(flexible_instances())
def test_random_flexible_job_shops_are_feasible_and_bounded(jobs):
    """Invariants: heuristic and CP-SAT schedules pass the checker; CP-SAT is no worse than its hint
    and no better than the trivial lower bounds (longest job, most loaded machine if inflexible)."""
    res = solve_jobshop(jobs, ScheduleSettings(time_limit_s=2, workers=1), "random")
    assert check_jobshop(jobs, res.schedule) == []
    heur = min(int(dispatch(to_problem(jobs), r).we.max()) for r in ("edd", "mwkr"))
    assert res.makespan <= res.heuristic_makespan == heur
    longest_job = max(sum(min(d for _, d in op) for op in job) for job in jobs)
    assert makespan(res.schedule) == res.makespan >= longest_job
    if res.status == "OPTIMAL":
        assert res.bound == res.makespan
    fixed = {}
    for job in jobs:
        for op in job:
            if len(op) == 1:
                fixed[op[0][0]] = fixed.get(op[0][0], 0) + op[0][1]
    assert res.makespan >= max(fixed.values(), default=0)


def test_zero_duration_operations_schedule_and_check():
    """tests/data/schedule/zero_duration.txt: inspection and paperwork steps of zero duration, first, in
    the middle and last in a job. The heuristic used to crash on them (``max() arg is an empty sequence``)."""
    jobs = read_jsplib(DATA / "zero_duration.txt")
    assert sorted(d for job in jobs for op in job for _, d in op)[:3] == [0, 0, 0]
    problem = to_problem(jobs)
    for rule in ("atcs", "edd", "mwkr"):
        sol = dispatch(problem, rule)
        assert len(sol) == sum(len(j) for j in jobs)
    res = solve_jobshop(jobs, QUICK, "zero_duration")
    assert check_jobshop(jobs, res.schedule) == []
    assert (res.makespan, res.bound, res.status) == (15, 15, "OPTIMAL")
    zero = res.schedule[res.schedule.end == res.schedule.start]
    assert len(zero) == 3


def test_checker_lets_a_zero_duration_operation_sit_inside_another():
    jobs = [[[(0, 5)]], [[(0, 0)]]]
    import pandas as pd
    sched = pd.DataFrame({"job": [0, 1], "op": [0, 0], "machine": [0, 0], "start": [0, 2], "end": [5, 2]})
    assert check_jobshop(jobs, sched) == []
    sched.loc[1, "end"] = 3  # no longer of zero duration: a duration error and an overlap
    errors = check_jobshop(jobs, sched)
    assert any("overlaps" in e for e in errors) and any("duration of 0" in e for e in errors)
