"""``planlib bench-schedule FILE... --format jsplib|fjs``: makespan of standard job-shop instances."""
from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

from planlib.cli.common import Progress, positive_float, positive_int
from planlib.data import write_tables

RESULT_COLUMNS = ["instance", "makespan", "bound", "status", "seconds", "heuristic_makespan", "jobs",
                  "operations", "check", "error"]
"""``status`` is ``FAILED`` for an instance that could not be read or solved, or whose schedule the
independent check rejects; ``error`` then says why (empty otherwise)."""


def add_parser(sub) -> None:
    """Register ``planlib bench-schedule`` and its arguments on the ``planlib`` subparsers ``sub``."""
    p = sub.add_parser(
        "bench-schedule", help="solve job-shop benchmark instances for makespan",
        description="Read job-shop instances (jsplib: JSPLIB/OR-Library layout, machines 0-based, or "
                    "Taillard's Times/Machines layout, machines 1-based; fjs: "
                    "Brandimarte flexible job shop, machines 1-based), minimise the makespan with the "
                    "planlib scheduler (CP-SAT from the dispatching heuristic's hint) and write one row per "
                    "instance: instance, makespan, bound, status, seconds (plus the heuristic's makespan "
                    "and the independent check). The CSV is rewritten after every instance. An instance that "
                    "fails (unreadable, solver error, rejected by the check) is a row with status FAILED and "
                    "its reason in 'error', and the batch goes on. Exit code 0 if at least one instance "
                    "was solved and passed the check, 1 if every instance failed.")
    p.add_argument("files", nargs="+", metavar="FILE", help="instance files")
    p.add_argument("--format", choices=("jsplib", "fjs"), required=True, help="instance layout")
    p.add_argument("--time-limit", type=positive_float, default=60.0, metavar="S",
                   help="CP-SAT seconds per instance (default 60)")
    p.add_argument("--workers", type=positive_int, default=2, metavar="N", help="CP-SAT workers (default 2)")
    p.add_argument("--seed", type=int, default=0, metavar="N", help="CP-SAT random seed (default 0)")
    p.add_argument("--out", required=True, metavar="FILE", help="results CSV")
    p.add_argument("--schedules", metavar="DIR",
                   help="also write one CSV per instance with job, op, machine, start, end (0-based)")
    p.add_argument("--quiet", action="store_true", help="no progress lines")
    p.set_defaults(func=run)


def run(args) -> int:
    """Run ``planlib bench-schedule`` with the parsed arguments ``args``.

    Returns
    -------
    int
        The exit code: 1 when an instance cannot be read or solved or its schedule fails the
        check, else 0.
    """
    from planlib.schedule.jobshop import check_jobshop, read_instance, solve_jobshop
    from planlib.schedule.problem import ScheduleSettings

    progress = Progress(args.quiet)
    settings = ScheduleSettings(time_limit_s=args.time_limit, workers=args.workers, seed=args.seed,
                                objective="makespan")
    out = Path(args.out)
    rows, failed = [], []

    def publish():
        table = pd.DataFrame(rows, columns=RESULT_COLUMNS)
        whole = ["makespan", "bound", "heuristic_makespan", "jobs", "operations"]
        table[whole] = table[whole].apply(pd.to_numeric).astype("Int64")  # a failed row leaves them empty
        write_tables({out.stem: table}, out.parent)

    for file in args.files:
        name = Path(file).stem
        try:
            jobs = read_instance(file, args.format)
        except (OSError, ValueError, IndexError) as err:
            reason = err.strerror if isinstance(err, OSError) and err.strerror else str(err)
            reason = reason.removeprefix(f"{file}: ")
            if "invalid literal for int()" in reason:
                reason = f"{reason.rsplit(': ', 1)[-1]} is not a whole number"
            reason = f"cannot be read as --format {args.format}: {reason}"
            rows.append(dict(instance=name, status="FAILED", error=reason))
            failed.append(f"  {file}: {reason}")
            progress(f"{name}: FAILED, {reason}")
            publish()
            continue
        try:
            res = solve_jobshop(jobs, settings, name)
            errors = check_jobshop(jobs, res.schedule)
        except Exception as err:  # noqa: BLE001 - one instance's failure must not stop the batch
            reason = f"solver error: {type(err).__name__}: {err}"
            rows.append(dict(instance=name, status="FAILED", jobs=len(jobs),
                             operations=sum(len(j) for j in jobs), error=reason))
            failed.append(f"  {file}: {reason}")
            progress(f"{name}: FAILED, {reason}")
            publish()
            continue
        error = f"the check rejects the schedule: {len(errors)} error(s), first: {errors[0]}" if errors else ""
        rows.append(dict(instance=name, makespan=res.makespan, bound=res.bound,
                         status="FAILED" if errors else res.status, seconds=round(res.seconds, 2),
                         heuristic_makespan=res.heuristic_makespan, jobs=len(jobs),
                         operations=sum(len(j) for j in jobs),
                         check="ok" if not errors else f"{len(errors)} errors: {errors[0]}", error=error))
        if errors:
            failed.append(f"  {file}: {error}")
        progress(f"{name}: makespan {res.makespan}, bound {res.bound}, {res.status}, {res.seconds:.1f}s, "
                 f"check {'ok' if not errors else 'FAILED'}")
        publish()
        if args.schedules:
            write_tables({name: res.schedule}, args.schedules)
    ok = len(rows) - len(failed)
    print(f"{ok} of {len(rows)} instance(s) solved and checked; results in {out}")
    if failed:
        print(f"planlib bench-schedule: {len(failed)} instance(s) failed:\n" + "\n".join(failed), file=sys.stderr)
    return 0 if ok else 1
