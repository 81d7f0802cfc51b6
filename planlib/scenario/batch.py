"""Several scenarios planned against one base, side by side: :func:`plan_scenarios`, :func:`run_scenarios`.

A batch plans the base forecast once (on a Dask cluster when given: the same numbers), the base
plan once, then every scenario with :func:`planlib.scenario.plan.plan_scenario` (the one
definition of a scenario plan next to its base): one after another here, or all at once as tasks
on the cluster. :func:`scenario_batch_tables` sets the comparisons side by side;
:func:`run_scenarios` (``planlib run SOURCE --scenario A.yaml --scenario B.yaml``) writes them,
all at once, into ``<reports>/<week>/_scenarios/``. A batch writes no run folders and does not
touch the plan archive: for a scenario's full weekly reports, run it on its own
(``planlib run SOURCE --scenario A.yaml``). Deployment on a cluster: ``docs/dask.md``.
"""
from __future__ import annotations

import html
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import pandas as pd

from planlib.params import PlanParams

__all__ = ["BATCH_FOLDER", "plan_scenarios", "run_scenarios", "scenario_batch_tables"]

#: The folder of a batch's comparison under ``<reports>/<week>/`` (no run folder can have this
#: name: run names start with a letter or a digit).
BATCH_FOLDER = "_scenarios"


def _plan_one(ds, params: PlanParams, name: str, scenario, base, forecast) -> dict:
    """One scenario's comparison with the base (what travels back from a cluster task)."""
    from planlib.compare import comparison_html
    from planlib.scenario.plan import plan_scenario

    sp = plan_scenario(ds, params, scenario, base=base, forecast=forecast)
    return {"name": name, "tables": sp.tables(), "html": comparison_html(sp.comparison)}


def plan_scenarios(ds, params: PlanParams, scenarios: Sequence[tuple[str, object]], *, dask: str = "",
                   progress: Callable[[str], None] | None = None) -> list[dict]:
    """Plan several scenarios against one base plan of ``ds``.

    Parameters
    ----------
    ds : Dataset
        The base data, as at the plan start (:func:`planlib.pipeline.inputs`).
    params : PlanParams
    scenarios : sequence of (str, Scenario)
        Each scenario with its name (the run name of its file).
    dask : str
        A Dask scheduler address: the forecast's models are fitted there and the scenarios are
        planned there as one task each, in parallel; empty: everything in this process.
    progress : callable, optional
        Called with a line of text per phase and per scenario planned (with the time left).

    Returns
    -------
    list of dict
        In the order of ``scenarios``: ``name``, ``tables`` (:meth:`ScenarioPlan.tables`:
        ``kpis, order_status, load, item_orders``) and ``html`` (:func:`planlib.compare.comparison_html`).
    """
    from planlib import steps
    from planlib.pipeline import plan_week

    say = progress or (lambda _m: None)
    forecast = None
    if len(ds.demand_history):
        say("forecast (base)")
        forecast = steps.forecast(ds, params, settings=steps.forecast_settings(params, dask=dask), progress=say)
    say("base plan")
    base = plan_week(ds, params, forecast=forecast)
    t0 = time.perf_counter()
    n = len(scenarios)
    if not dask:
        out = []
        for i, (name, scen) in enumerate(scenarios, 1):
            out.append(_plan_one(ds, params, name, scen, base, forecast))
            say(_done_line(name, i, n, t0))
        return out
    from distributed import as_completed

    from planlib.cluster import client

    c = client(dask)
    shared = c.scatter([ds, base, forecast], broadcast=True)
    futures = {c.submit(_plan_one, shared[0], params, name, scen, shared[1], shared[2], pure=False): name
               for name, scen in scenarios}
    say(f"{n} scenario(s) submitted to the cluster at {dask}")
    done = {}
    with c.as_current():
        for i, fut in enumerate(as_completed(list(futures)), 1):
            done[futures[fut]] = fut.result()
            say(_done_line(futures[fut], i, n, t0))
    return [done[name] for name, _ in scenarios]


def _done_line(name: str, i: int, n: int, t0: float) -> str:
    spent = time.perf_counter() - t0
    left = spent / i * (n - i)
    return f"scenario {name} planned ({i} of {n}; {spent:.0f} s so far, about {left:.0f} s left)"


def scenario_batch_tables(results: Sequence[dict]) -> dict[str, pd.DataFrame]:
    """The comparisons of a batch side by side.

    Parameters
    ----------
    results : sequence of dict
        :func:`plan_scenarios` output.

    Returns
    -------
    dict of DataFrame
        ``kpis``: ``kpi`` [, key columns of :data:`planlib.compare.KPI_KEYS`] [, ``label``, ``unit``],
        ``base`` and one column per scenario (its value of the KPI; units in ``unit``);
        ``order_status``, ``load``, ``item_orders``: each scenario's table
        (:func:`planlib.compare.compare_order_status`, :func:`~planlib.compare.compare_load`,
        :func:`~planlib.compare.compare_item_orders`) with a first column ``scenario``.
    """
    from planlib.compare import KPI_KEYS

    kpis = None
    for r in results:
        k = r["tables"]["kpis"]
        keys = ["kpi"] + [c for c in KPI_KEYS if c in k.columns]
        if kpis is None:
            kpis = k[keys + [c for c in ("label", "unit") if c in k.columns] + ["base"]].copy()
        kpis = kpis.merge(k[keys + ["scenario"]].rename(columns={"scenario": r["name"]}), on=keys, how="outer",
                          sort=False)
    out = {"kpis": kpis if kpis is not None else pd.DataFrame(columns=["kpi", "base"])}
    for part in ("order_status", "load", "item_orders"):
        frames = [r["tables"][part].assign(scenario=r["name"]) for r in results if len(r["tables"][part])]
        cols = ["scenario"] + ([c for c in results[0]["tables"][part].columns] if results else [])
        out[part] = pd.concat(frames, ignore_index=True)[cols] if frames else pd.DataFrame(columns=cols)
    return out


def _page(week: str, results: Sequence[dict]) -> str:
    from planlib.report import _style

    title = f"Scenarios against the base plan, week {week}"
    body = "".join(f'<section><h2>{html.escape(r["name"])}</h2>{r["html"]}</section>' for r in results)
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
            f'{_style()}</head><body style="font-family:sans-serif"><h1>{html.escape(title)}</h1>{body}'
            f'</body></html>\n')


def run_scenarios(source: str, week: str, scenario_files: Sequence[str], out="reports", *, seed: int = 0,
                  time_limit_s: float = 10.0, dask: str = "", respect_staffing: bool = False,
                  table_format: str = "csv", progress: Callable[[str], None] | None = None) -> Path:
    """Plan several scenario files against the base plan of ``week`` and write the comparison.

    Every file is read and checked against the data first (nothing is planned if one does not
    fit); then :func:`plan_scenarios`, and the tables of :func:`scenario_batch_tables` with a page
    ``comparison.html`` are written, all at once, into ``<out>/<week>/_scenarios/``
    (:data:`BATCH_FOLDER`).

    Parameters
    ----------
    source : str
        The dataset.
    week : str
        ISO week to plan.
    scenario_files : sequence of str
        Scenario YAML files; their run names (file names without ``.yaml``) must differ.
    out : path
        The reports folder.
    seed, time_limit_s, respect_staffing, table_format : as for :func:`planlib.pipeline.run_week`.
    dask : str
        A Dask scheduler address (see :func:`plan_scenarios`); empty: this process.
    progress : callable, optional

    Returns
    -------
    Path
        The folder written.

    Raises
    ------
    InputError
        A bad dataset, scenario file or file name, or two files with one run name.
    """
    from planlib.data import write_tables
    from planlib.pipeline import inputs, run_name
    from planlib.problems import InputError, Problems
    from planlib.scenario import check_scenario, load_scenario

    say = progress or (lambda _m: None)
    ds, params, _ = inputs(source, week, "", seed=seed, time_limit_s=time_limit_s, respect_staffing=respect_staffing)
    names, scenarios = {}, []
    for f in scenario_files:
        name = run_name(f)
        if name in names:
            p = Problems()
            p.add("scenario", str(f), "file name", name, f"the same run name as {names[name]}",
                  "give every scenario file its own name")
            raise InputError(f"two scenario files named {name}", p.frame())
        names[name] = f
        scen = load_scenario(f)
        problems = check_scenario(scen, ds, params)
        if (problems.severity == "error").any():
            raise InputError(f"problem(s) in scenario {f}", problems[problems.severity == "error"])
        scenarios.append((name, scen))
    results = plan_scenarios(ds, params, scenarios, dask=dask, progress=say)
    folder = write_tables(scenario_batch_tables(results), Path(out) / week / BATCH_FOLDER,
                          extra_files={"comparison.html": _page(week, results)}, table_format=table_format)
    say(f"comparison of {len(results)} scenario(s) written to {folder}")
    return folder
