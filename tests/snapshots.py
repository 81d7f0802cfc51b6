"""Snapshots of whole plans, to prove that a refactoring changes no output.

Every output table of a few plans, written once from the code as it stands and
compared after a change with ``check_exact`` (see tests/test_snapshots.py):

- ``sample``: the sample factory's weekly plan of 2026-W48 (forecast, MRP,
  schedule, KPIs), as :func:`planlib.pipeline.plan_week` makes it, and the
  plans and comparisons of every scenario in data/scenarios against it.
  Stored whole (pandas pickles), so a difference shows as a table diff.
  Every table also has a fingerprint (below).
- ``factory_10k``: MRP of a generated 10,000-item, 8-level factory (the MRP
  benchmark's plant and flat forecast); ``factory_300``: forecast (weekly and
  monthly) and MRP of a generated 300-item factory with daily history. Stored as a fingerprint
  per table (shape, dtypes and a hash of every value), because the tables are large.

Regenerate after a change that is meant to change plans (say so in the commit)::

    .venv/bin/python tests/snapshots.py --write
"""
from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
HERE = ROOT / "tests" / "data" / "snapshots"
SAMPLE = ROOT / "data" / "sample"
WEEK = "2026-W48"
TIME_LIMIT = 5.0


def _plan_tables(plan, prefix: str = "") -> dict[str, pd.DataFrame]:
    from planlib import steps

    out = {}
    if plan.forecast_result is not None:
        out.update({f"forecast.{k}": v for k, v in steps.forecast_tables(plan.forecast_result).items()})
    out.update({f"mrp.{k}": v for k, v in plan.mrp.tables().items()})
    out.update({f"schedule.{k}": v for k, v in steps.schedule_tables(plan.schedule).items()})
    out["kpis"] = plan.kpis
    return {prefix + k: _steady(v) for k, v in out.items() if isinstance(v, pd.DataFrame)}


def _steady(df: pd.DataFrame) -> pd.DataFrame:
    """The table without what a clock measures (the solver's ``seconds`` KPIs)."""
    if "kpi" in df.columns:
        return df[~df.kpi.astype(str).str.endswith("seconds")]
    return df


def sample_tables() -> dict[str, pd.DataFrame]:
    """The sample's W48 base plan and each scenario's plan and comparison."""
    from planlib import pipeline
    from planlib.compare import compare_plans
    from planlib.scenario import apply_scenario, load_scenario

    ds, params, _ = pipeline.inputs(str(SAMPLE), WEEK, time_limit_s=TIME_LIMIT)
    base = pipeline.plan_week(ds, params)
    out = _plan_tables(base)
    for path in sorted((ROOT / "data" / "scenarios").glob("*.yaml")):
        scen = load_scenario(path, ds)
        other = pipeline.plan_week(apply_scenario(ds, scen), params, forecast=base.forecast_result, scenario=scen)
        name = path.stem
        tables = _plan_tables(other, f"{name}.")
        tables.pop(f"{name}.forecast.forecast_accuracy", None)  # the base's, reused
        out.update(tables)
        comp = compare_plans(base, other, scen)
        for part in ("kpis", "order_status", "load", "item_orders"):
            out[f"{name}.compare.{part}"] = getattr(comp, part)
        out[f"{name}.compare.text"] = pd.DataFrame({"line": [comp.headline(), *comp.changes]})
    return out


def factory_10k_tables() -> dict[str, pd.DataFrame]:
    """MRP of the MRP benchmark's generated 10,000-item factory and flat forecast."""
    from planlib import steps
    from planlib.factory import make_factory
    from planlib.params import PlanParams

    sys.path.insert(0, str(ROOT / "benchmarks" / "mrp"))
    from bench_mrp import flat_forecast

    ds = make_factory(10_000, 8, 30, history_weeks=0, history_grain="W")
    res = steps.mrp(ds, PlanParams(plan_start="2026-11-23"), forecast=flat_forecast(ds, 26))
    return {f"mrp.{k}": v for k, v in res.tables().items()}


def factory_300_tables() -> dict[str, pd.DataFrame]:
    """A generated 300-item factory with daily history: forecast and MRP in weekly buckets, and
    the forecast in monthly buckets."""
    from planlib import steps
    from planlib.factory import make_factory
    from planlib.params import PlanParams

    ds = make_factory(300, 4, 8, history_weeks=104, seed=7)
    params = PlanParams(plan_start="2026-11-23")
    fc = steps.forecast(ds, params)
    res = steps.mrp(ds, params, fc.forecast, fc.safety_stock)
    out = {f"forecast.{k}": v for k, v in steps.forecast_tables(fc).items()}
    out.update({f"mrp.{k}": v for k, v in res.tables().items()})
    monthly = steps.forecast(ds, params.replace(bucket="M", forecast_horizon=6))
    out.update({f"monthly.forecast.{k}": v for k, v in steps.forecast_tables(monthly).items()})
    return out


CASES = {"sample": (sample_tables, "pickle"), "factory_10k": (factory_10k_tables, "hash"),
         "factory_300": (factory_300_tables, "hash")}


def fingerprint(df: pd.DataFrame) -> dict:
    """Shape, columns, dtypes and a hash of every value and the index (floats by their bits)."""
    values = pd.util.hash_pandas_object(df, index=True).to_numpy() if len(df.columns) else []
    h = hashlib.sha256(bytes(memoryview(values)) if len(values) else b"")
    return {"shape": list(df.shape), "columns": [str(c) for c in df.columns],
            "dtypes": [str(t) for t in df.dtypes], "sha256": h.hexdigest()}


def write(case: str) -> None:
    make, kind = CASES[case]
    tables = make()
    folder = HERE / case
    if folder.exists():
        for f in folder.iterdir():
            f.unlink()
    folder.mkdir(parents=True, exist_ok=True)
    if kind == "pickle":
        for name, df in tables.items():
            df.to_pickle(folder / f"{name}.pkl.gz")
    (folder / "fingerprints.json").write_text(
            json.dumps({name: fingerprint(df) for name, df in sorted(tables.items())}, indent=1) + "\n")


def stored(case: str):
    """The stored snapshot: ``{table: fingerprint}``, and ``{table: DataFrame}`` where kept whole."""
    folder = HERE / case
    whole = {f.name[:-len(".pkl.gz")]: pd.read_pickle(f) for f in sorted(folder.glob("*.pkl.gz"))}
    return json.loads((folder / "fingerprints.json").read_text()), whole


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--write", action="store_true", help="write the snapshots from the code as it stands")
    ap.add_argument("cases", nargs="*", default=list(CASES))
    a = ap.parse_args()
    if a.write:
        for c in a.cases:
            write(c)
            print("wrote", c)
