"""`planlib mrp` and `planlib validate` as whole processes on a 100,000-item factory, CSV and Parquet.

Generates the factory once (``make_factory(n, 8 levels, 30 work centers, history_weeks=0)``, as
``bench_mrp.py``), writes it as a CSV folder cached in ``benchmarks/mrp/results/cli_factory_<n>/``
(gitignored), then times, each in a fresh process, with ``resource.getrusage(RUSAGE_CHILDREN)``
(wall, CPU = user + system) and ``/usr/bin/time -v`` (peak resident memory):

- ``planlib mrp SOURCE --out DIR --horizon-weeks 104`` (CSV, the default);
- the same with ``--format parquet``;
- ``planlib validate SOURCE``;
- a plain reference: ``python benchmarks/mrp/bench_mrp_cli.py --plain``, a process that reads the
  CSV files with ``pandas.read_csv`` (no checks), plans with ``tests/mrp_reference.py`` (per item,
  per bucket) and writes its grid and planned orders with ``DataFrame.to_csv``.

Then checks that the CSV and Parquet plans read back identical (``planlib.data.read_table``,
``mrp_grid`` and ``planned_orders``) and prints a table and the ratios against the plain reference.

    flock /tmp/planlib-bench.lock nice -n 10 .venv/bin/python benchmarks/mrp/bench_mrp_cli.py
    ... bench_mrp_cli.py --items 10000 --repeat 3       # a smaller plant, best of three
    ... bench_mrp_cli.py --no-plain                     # without the reference (about a minute less)

Timing targets are not tests: read the figures (README.md in this folder).
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
RESULTS = HERE / "results"
LEVELS, WEEKS, WORK_CENTERS = 8, 104, 30


def factory_folder(n: int) -> Path:
    """The generated factory as a CSV folder (made once, then reused)."""
    folder = RESULTS / f"cli_factory_{n}"
    if (folder / "items.csv").exists():
        return folder
    sys.path.insert(0, str(ROOT))
    from planlib.data import write_dataset
    from planlib.factory import make_factory

    print(f"generating the {n:,}-item factory into {folder} ...", file=sys.stderr, flush=True)
    write_dataset(make_factory(n, LEVELS, WORK_CENTERS, history_weeks=0, history_grain="W"), folder)
    return folder


def timed(cmd: list[str], root: Path = ROOT) -> dict:
    """Run ``cmd`` to completion: wall and CPU seconds (user + system, the process and its children),
    peak resident memory [MB] (``/usr/bin/time -v`` when there, else 0) and the exit code."""
    wrap = ["/usr/bin/time", "-v"] if Path("/usr/bin/time").exists() else []
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    done = subprocess.run(wrap + cmd, cwd=root, capture_output=True, text=True, check=False,
                          env={**os.environ, "PYTHONPATH": str(root)})
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    peak = 0.0
    for line in done.stderr.splitlines():
        if "Maximum resident set size" in line:
            peak = int(line.split()[-1]) / 1024
    if done.returncode not in (0, 2):
        print(done.stdout[-2000:], done.stderr[-4000:], file=sys.stderr)
        raise SystemExit(f"failed: {' '.join(cmd)}")
    return {"wall_s": wall, "cpu_s": cpu, "peak_mb": peak, "rc": done.returncode}


def plain(source: str, out: str) -> None:
    """The plain reference as one process: pandas.read_csv, tests/mrp_reference.py, to_csv."""
    import numpy as np
    import pandas as pd

    sys.path.insert(0, str(ROOT / "tests"))
    from mrp_reference import reference_mrp

    from planlib.dataset import Dataset
    from planlib.params import PlanParams

    dates = {"demand": ["due_date"], "scheduled_receipts": ["due_date", "release_date"],
             "inventory": ["as_of"], "bom": ["valid_from", "valid_to"]}
    tables = {}
    for name in ("items", "bom", "inventory", "scheduled_receipts", "demand"):
        frame = pd.read_csv(Path(source) / f"{name}.csv", dtype={c: str for c in (
            "item_id", "parent_id", "component_id", "order_id", "supplier_id")})
        for col in dates.get(name, []):
            if col in frame:
                frame[col] = pd.to_datetime(frame[col])
        tables[name] = frame
    ds = Dataset(tables, source, frozenset(tables))
    params = PlanParams(horizon_weeks=WEEKS)
    grid, planned = reference_mrp(ds, params)
    Path(out).mkdir(parents=True, exist_ok=True)
    items = list(grid)
    periods = np.arange(1, WEEKS + 1)
    frame = pd.DataFrame({"item_id": np.repeat(items, WEEKS), "period": np.tile(periods, len(items))})
    for key in ("gross", "on_hand", "net", "receipts_planned", "releases"):
        frame[key] = np.concatenate([np.asarray(grid[i][key], dtype=float) for i in items])
    frame.to_csv(Path(out) / "mrp_grid.csv", index=False)
    pd.DataFrame(planned).to_csv(Path(out) / "planned_orders.csv", index=False)


def compare(csv_dir: Path, parquet_dir: Path) -> str:
    """Whether the two runs' plans read back identical (mrp_grid, planned_orders)."""
    import pandas as pd

    sys.path.insert(0, str(ROOT))
    from planlib.data import read_table, table_path

    for name in ("planned_orders", "mrp_grid"):
        a, b = read_table(table_path(csv_dir, name)), read_table(table_path(parquet_dir, name))
        try:
            pd.testing.assert_frame_equal(a, b)
        except AssertionError as exc:
            return f"{name} differs: {str(exc).splitlines()[0]}"
    return "identical (mrp_grid, planned_orders)"


def _head(root: Path) -> str:
    done = subprocess.run(["git", "-C", str(root), "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
    return done.stdout.strip() or "?"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--items", type=int, default=100_000)
    ap.add_argument("--repeat", type=int, default=1, help="runs of each command; the fastest is shown")
    ap.add_argument("--no-plain", action="store_true", help="leave out the plain reference")
    ap.add_argument("--before", metavar="ROOT",
                    help="also time `planlib mrp` (CSV) and `planlib validate` of another checkout of planlib "
                         "(e.g. /work/main, the code before this change) in the same run")
    ap.add_argument("--plain", nargs=2, metavar=("SOURCE", "OUT"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.plain:
        plain(*args.plain)
        return
    source = factory_folder(args.items)
    size_mb = sum(p.stat().st_size for p in source.glob("*.csv")) / 1e6
    work = RESULTS / "cli_runs"
    shutil.rmtree(work, ignore_errors=True)
    py = sys.executable
    commands = {
        "mrp csv": [py, "-m", "planlib.cli", "mrp", str(source), "--out", str(work / "csv"),
                    "--horizon-weeks", str(WEEKS), "--quiet"],
        "mrp parquet": [py, "-m", "planlib.cli", "mrp", str(source), "--out", str(work / "parquet"),
                        "--horizon-weeks", str(WEEKS), "--format", "parquet", "--quiet"],
        "validate": [py, "-m", "planlib.cli", "validate", str(source)],
    }
    if not args.no_plain:
        commands["plain reference"] = [py, __file__, "--plain", str(source), str(work / "plain")]
    roots = {label: ROOT for label in commands}
    if args.before:
        before = Path(args.before).resolve()
        commands["mrp csv (before)"] = commands["mrp csv"][:6] + [str(work / "before")] + commands["mrp csv"][7:]
        commands["validate (before)"] = commands["validate"]
        roots.update({"mrp csv (before)": before, "validate (before)": before})
    rows = {}
    for label, cmd in commands.items():
        print(f"running {label} ...", file=sys.stderr, flush=True)
        runs = [timed(cmd, roots[label]) for _ in range(args.repeat)]
        rows[label] = min(runs, key=lambda r: r["wall_s"])
    out_mb = {fmt: sum(p.stat().st_size for p in (work / fmt).iterdir()) / 1e6 for fmt in ("csv", "parquet")}
    same = compare(work / "csv", work / "parquet")
    print(f"\n`planlib mrp` and `planlib validate` as whole processes: {args.items:,} items, {LEVELS} levels, "
          f"{WEEKS} weekly buckets, input {size_mb:.0f} MB of CSV; load average {os.getloadavg()[0]:.1f}")
    print(f"{'command':<18} {'wall s':>8} {'cpu s':>8} {'peak MB':>8} {'x plain (cpu)':>14}")
    ref = rows.get("plain reference")
    for label, r in rows.items():
        ratio = f"{ref['cpu_s'] / r['cpu_s']:.1f}" if ref and label != "plain reference" else "-"
        print(f"{label:<18} {r['wall_s']:>8.2f} {r['cpu_s']:>8.2f} {r['peak_mb']:>8.0f} {ratio:>14}")
    print(f"\noutputs: CSV {out_mb['csv']:.1f} MB, Parquet {out_mb['parquet']:.1f} MB; CSV and Parquet plans "
          f"read back {same}")
    if args.before:
        print(f"before: {args.before} (git {_head(Path(args.before))}); after: {ROOT} (git {_head(ROOT)})")
    print("x plain (cpu) = CPU seconds of the plain reference process / CPU seconds of the command "
          "(the reference reads without checks, plans item by item, writes the grid and orders only)")
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "bench_mrp_cli.json").write_text(json.dumps(
        {"items": args.items, "rows": rows, "output_mb": out_mb, "same": same,
         "load_avg": os.getloadavg()[0]}, indent=2))


if __name__ == "__main__":
    main()
