"""Job-shop benchmark: planlib against PyJobShop on the same instances with the same limits.

Runs every chosen instance through planlib's scheduler (CP-SAT from the dispatching
heuristic's hint) and through PyJobShop (OR-Tools CP-SAT backend), one after the other,
with the same time limit and number of workers; checks every schedule with
``planlib.schedule.jobshop.check_jobshop``; scores makespans against the best-known
values of ``instances/best_known.csv``; prints one line per instance and per family,
and writes ``results/jobshop_<limit>s.csv``.

Usage (the full run is ~53 instances x 60 s x 2 solvers = about 1.8 h)::

    nice -n 10 .venv/bin/python benchmarks/schedule/run_jobshop.py --time-limit 60
    nice -n 10 .venv/bin/python benchmarks/schedule/run_jobshop.py --time-limit 10 --instances ft06 la01 mk01

Targets (issue 5): mean gap to best known <= 0.5 % on la01-la40 + ft06/10/20 and <= 2 % on
mk01-mk10 at 60 s with 2 workers; planlib no worse than PyJobShop on the mean of any family.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import pandas as pd

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))

from planlib.schedule.jobshop import check_jobshop, read_instance, solve_jobshop
from planlib.schedule.problem import ScheduleSettings


def pyjobshop_solve(jobs, time_limit: float, workers: int, seed: int):
    """Makespan by PyJobShop's CP-SAT model: ``(makespan, bound, status, seconds, schedule)``."""
    from pyjobshop import Model

    t0 = time.perf_counter()
    model = Model()
    n_machines = 1 + max(m for job in jobs for op in job for m, _ in op)
    machines = [model.add_machine() for _ in range(n_machines)]
    index = []
    for k, job in enumerate(jobs):
        pj = model.add_job()
        prev = None
        for o, opts in enumerate(job):
            task = model.add_task(pj)
            for m, d in opts:
                model.add_mode(task, machines[m], int(d))
            if prev is not None:
                model.add_end_before_start(prev, task)
            prev = task
            index.append((k, o))
    model.set_objective(weight_makespan=1)
    res = model.solve(time_limit=time_limit, display=False, num_workers=workers, random_seed=seed)
    seconds = time.perf_counter() - t0
    if res.objective == float("inf"):
        return None, None, str(res.status.value), seconds, pd.DataFrame(columns=["job", "op", "machine",
                                                                                  "start", "end"])
    rows = [(k, o, t.resources[0], t.start, t.end) for (k, o), t in zip(index, res.best.tasks)]
    sched = pd.DataFrame(rows, columns=["job", "op", "machine", "start", "end"])
    return int(res.objective), int(round(res.lower_bound)), str(res.status.value), seconds, sched


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--time-limit", type=float, default=60.0)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--instances", nargs="*", help="names (default: all of best_known.csv)")
    ap.add_argument("--families", nargs="*", help="ft, la, mk (default: all)")
    ap.add_argument("--solvers", nargs="*", default=["planlib", "pyjobshop"])
    ap.add_argument("--out", help="results CSV (default results/jobshop_<limit>s.csv)")
    args = ap.parse_args(argv)

    bks = pd.read_csv(HERE / "instances" / "best_known.csv")
    if args.instances:
        bks = bks[bks.instance.isin(args.instances)]
    if args.families:
        bks = bks[bks.family.isin(args.families)]
    out = Path(args.out) if args.out else HERE / "results" / f"jobshop_{args.time_limit:g}s.csv"
    out.parent.mkdir(parents=True, exist_ok=True)
    settings = ScheduleSettings(time_limit_s=args.time_limit, workers=args.workers, seed=args.seed)
    rows = []
    print(f"time limit {args.time_limit:g} s, {args.workers} workers, seed {args.seed}; "
          f"{len(bks)} instances; solvers {', '.join(args.solvers)}", flush=True)
    for b in bks.itertuples():
        folder = "jssp" if b.format == "jsplib" else "fjsp"
        path = HERE / "instances" / folder / (b.instance + (".fjs" if b.format == "fjs" else ""))
        jobs = read_instance(path, b.format)
        for solver in args.solvers:
            if solver == "planlib":
                r = solve_jobshop(jobs, settings, b.instance)
                mk, lb, status, secs, sched = r.makespan, r.bound, r.status, r.seconds, r.schedule
            else:
                mk, lb, status, secs, sched = pyjobshop_solve(jobs, args.time_limit, args.workers, args.seed)
            errors = check_jobshop(jobs, sched) if mk is not None else ["no solution"]
            gap = 100.0 * (mk - b.ub) / b.ub if mk is not None else None
            rows.append(dict(instance=b.instance, family=b.family, solver=solver, makespan=mk, bound=lb,
                             status=status, seconds=round(secs, 2), best_known=b.ub,
                             gap_pct=None if gap is None else round(gap, 3),
                             check="ok" if not errors else errors[0]))
            print(f"{b.instance:6s} {solver:9s} makespan {mk!s:>6} (best {b.ub}) gap "
                  f"{'-' if gap is None else f'{gap:6.2f}'} % bound {lb!s:>6} {status:10s} {secs:6.1f}s "
                  f"check {'ok' if not errors else 'FAILED: ' + errors[0]}", flush=True)
            pd.DataFrame(rows).to_csv(out, index=False)
    res = pd.DataFrame(rows)
    res["group"] = res.family.map({"ft": "la+ft", "la": "la+ft", "mk": "mk"})
    print("\nmean gap to best known [%] (instances run):")
    table = res.pivot_table(index="group", columns="solver", values="gap_pct", aggfunc="mean")
    counts = res.pivot_table(index="group", columns="solver", values="instance", aggfunc="count")
    print(table.round(3).to_string())
    print("instances:", counts.to_string())
    if {"planlib", "pyjobshop"} <= set(res.solver):
        for g, row in table.iterrows():
            verdict = "no worse" if row.planlib <= row.pyjobshop + 1e-9 else "WORSE"
            print(f"{g}: planlib {row.planlib:.3f} % vs PyJobShop {row.pyjobshop:.3f} %: {verdict}")
    print(f"schedules failing the check: {int((res.check != 'ok').sum())}")
    print(f"results: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
