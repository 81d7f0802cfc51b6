"""Generator speed: make_factory at 1,000 / 10,000 / 100,000 items (8 levels, 30 work centers).

Run: .venv/bin/python benchmarks/factory/bench_factory.py [--sizes 1000 10000 100000] [--write DIR]
Prints wall time and peak memory (tracemalloc) per size; the issue's target is 100,000 items in under a minute.
With --write, also times writing the CSV folder.
"""
from __future__ import annotations

import argparse
import tempfile
import time
import tracemalloc

from planlib.data import write_dataset
from planlib.factory import make_factory


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000, 100_000])
    ap.add_argument("--write", action="store_true", help="also write each factory as CSV and time it")
    args = ap.parse_args()
    print(f"{'items':>8} {'levels':>6} {'gen_s':>7} {'peak_MB':>8} {'bom':>8} {'routings':>8} {'history':>9} {'write_s':>8}")
    for n in args.sizes:
        tracemalloc.start()
        t0 = time.perf_counter()
        ds = make_factory(n_items=n, levels=8, n_work_centers=30, history_weeks=104, seed=1)
        gen = time.perf_counter() - t0
        peak = tracemalloc.get_traced_memory()[1] / 1e6
        tracemalloc.stop()
        write = float("nan")
        if args.write:
            with tempfile.TemporaryDirectory() as tmp:
                t0 = time.perf_counter()
                write_dataset(ds, f"{tmp}/factory")
                write = time.perf_counter() - t0
        print(f"{n:>8} {8:>6} {gen:>7.2f} {peak:>8.0f} {len(ds.bom):>8} {len(ds.routings):>8} "
              f"{len(ds.demand_history):>9} {write:>8.2f}", flush=True)


if __name__ == "__main__":
    main()
