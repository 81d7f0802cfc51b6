"""Applying a scenario: check its references (:func:`check_scenario`), change the
dataset (:func:`apply_scenario`) and scale the forecast (:func:`scale_forecast`).

Pure functions: the base dataset and forecast are never mutated.
"""
from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

from planlib.problems import InputError, Problems
from planlib.scenario.changes import (
    Change,
    DemandMultiplier,
    OperatorAbsence,
    QuantityChange,
    RushOrder,
    Scenario,
    _crew_work_centers,
    _Window,
)
from planlib.scenario.reader import _TABLE, _fmt_moment, _Where

__all__ = ["absence_crews", "apply_scenario", "baseline_crews", "check_scenario", "scale_forecast"]


def check_scenario(scenario: Scenario, ds, params=None, planned_orders: tuple = ()) -> pd.DataFrame:
    """Check a scenario's references against a dataset (and its dates against a plan).

    Parameters
    ----------
    scenario : Scenario
    ds : Dataset
        Uses ``items, machines, work_centers, suppliers, scheduled_receipts, demand``.
    params : PlanParams, optional
        With it, a change dated wholly outside the plan (before ``plan_start`` or
        after the longer of ``horizon_weeks`` and ``forecast_horizon``) is a
        warning: a mistyped year would otherwise go unnoticed.
    planned_orders : tuple of str
        Order ids a ``quantity_change`` may name besides the production orders of
        ``scheduled_receipts``: a published run's planned make orders (``planlib reschedule``).

    Returns
    -------
    DataFrame
        Problems (``severity, table, row, column, value, problem, fix``; ``row``
        is ``<file> line <n>``); empty if every reference is known. Errors:
        unknown item, family, machine, work center, supplier or order, a rush
        order_id already taken, a lead time that would fall below 0. Warnings:
        a change that does nothing, a date outside the plan (with ``params``).
    """
    p = Problems()
    span = None
    if params is not None:
        first = pd.Timestamp(params.plan_start)
        weeks = max(params.horizon_weeks, params.forecast_horizon)
        last = first + (pd.Timedelta(weeks=weeks) if params.bucket == "W" else pd.DateOffset(months=weeks))
        span = (first, last)
    for i, c in enumerate(scenario.changes):
        where = _Where(scenario.source, dict(c.lines), c.line, i)
        if isinstance(c, QuantityChange):
            c.check(ds, p, where, planned=tuple(planned_orders))
        else:
            c.check(ds, p, where)
        if isinstance(c, OperatorAbsence):
            _check_absence(c, ds, p, where)
        if span is not None:
            _check_dates(c, span, p, where)
    return p.frame()


def _check_dates(c: Change, span: tuple, p: Problems, where: _Where) -> None:
    first, last = span
    plan = f"the plan ({first:%Y-%m-%d} to {last - pd.Timedelta(days=1):%Y-%m-%d})"
    fix = "check the year and the dates"
    if isinstance(c, _Window):
        windows = c.windows()
        if windows and (max(b for _, b in windows) <= first or min(a for a, _ in windows) >= last):
            p.warn(_TABLE, where("start"), "start", _fmt_moment(c.start),
                   f"the window lies outside {plan}: the change does nothing", fix)
    elif isinstance(c, RushOrder):
        if pd.Timestamp(c.due) < first:
            p.warn(_TABLE, where("due"), "due", c.due.isoformat(),
                   f"due before the plan starts ({first:%Y-%m-%d}): the order is past due at once", fix)
        elif pd.Timestamp(c.due) >= last:
            p.warn(_TABLE, where("due"), "due", c.due.isoformat(), f"due after {plan}: the plan ignores it", fix)
    elif isinstance(c, DemandMultiplier):
        if (c.end is not None and pd.Timestamp(c.end) < first and "orders" not in c.apply_to) or (
                c.start is not None and pd.Timestamp(c.start) >= last):
            key = "to" if c.end is not None and pd.Timestamp(c.end) < first else "from"
            p.warn(_TABLE, where(key), key, "", f"the period lies outside {plan}: the change does nothing", fix)


def _check_absence(c: OperatorAbsence, ds, p: Problems, where: _Where) -> None:
    base = baseline_crews(ds).get(c.work_center)
    if base is not None and c.operators >= base:
        p.add(_TABLE, where("operators"), "operators", f"{c.operators:g}",
              f"{c.operators:g} absent leaves no operator at {c.work_center} ({base:g} work there)",
              f"write operators: {max(base - 1, 0):g} or fewer, or a downtime change for its machines")


def baseline_crews(ds) -> dict:
    """Operators per work center before any absence, for the work centers whose operations
    need operators (``routings.crew_size > 0``).

    The largest headcount of any shift of ``staffing`` when the dataset has it for the work
    center; otherwise enough operators to run every machine of the work center at once with
    its largest crew (``machines`` x the largest ``crew_size``: no limit in effect).

    Parameters
    ----------
    ds : Dataset
        Uses ``routings, machines`` and, if present, ``staffing``.

    Returns
    -------
    dict
        ``work_center_id -> operators`` [persons].
    """
    r = ds.routings
    out = {}
    staffing = ds.staffing if ds.has("staffing") else None
    for wc in sorted(_crew_work_centers(r)):
        crew = float(r.crew_size[(r.work_center_id == wc)].max())
        machines = int((ds.machines.work_center_id == wc).sum())
        base = machines * crew
        if staffing is not None and len(staffing) and (staffing.work_center_id == wc).any():
            base = float(staffing.operators[staffing.work_center_id == wc].max())
        out[wc] = base
    return out


def absence_crews(ds, scenario: Scenario, start=None, end=None, crews: dict | None = None) -> dict:
    """The operators each work center shares once the scenario's ``operator_absence`` changes apply.

    The schedule's crews hold one headcount per work center for the whole schedule, so an
    absence that overlaps ``[start, end)`` lowers the work center's operators for all of it
    (conservative: work after the absence could use the operators back). Absences at one work
    center add up. A work center is never left below its largest ``crew_size`` (one operation
    can still run). When the schedule can respect ``staffing`` by shift, point this at the
    staffing rows of the absence window instead.

    Parameters
    ----------
    ds : Dataset
        Uses ``routings, machines`` (and ``staffing``), see :func:`baseline_crews`.
    scenario : Scenario
    start, end : datetime-like, optional
        The time the schedule covers; absences wholly outside it do nothing (default: all count).
    crews : dict, optional
        ``work_center_id -> operators`` before the absence; default :func:`baseline_crews`.

    Returns
    -------
    dict
        ``work_center_id -> operators`` [persons]: ``crews`` with the absent operators taken off;
        empty when the scenario has no absence that applies (no crew limit added).
    """
    absences = [c for c in scenario.changes if isinstance(c, OperatorAbsence)
                and (start is None or c.end > pd.Timestamp(start)) and (end is None or c.start < pd.Timestamp(end))]
    if not absences:
        return dict(crews or {})
    base = dict(crews) if crews else baseline_crews(ds)
    r = ds.routings
    out = dict(base)
    for c in absences:
        if c.work_center not in base:
            continue
        need = float(r.crew_size[r.work_center_id == c.work_center].max())
        out[c.work_center] = max(out[c.work_center] - c.operators, need)
    return out


_TOUCHED = ("items", "demand", "calendar_exceptions", "machines", "scheduled_receipts", "suppliers")


def apply_scenario(ds, scenario: Scenario, check: bool = True):
    """The dataset with the scenario's changes applied, in file order.

    Parameters
    ----------
    ds : Dataset
        The base data; never mutated.
    scenario : Scenario
    check : bool
        Run :func:`check_scenario` first and raise on errors.

    Returns
    -------
    Dataset
        ``ds.replace(...)`` with the changed tables: ``demand`` (multiplied
        ``qty`` [uom]; rush order lines appended; lines scaled to 0 removed),
        ``calendar_exceptions`` (downtime and overtime rows appended, kind
        ``breakdown``/``maintenance``/``overtime``, one per machine and week),
        ``scheduled_receipts`` (``due_date`` of delayed purchase receipts
        later by ``days``), ``items`` and ``suppliers`` (``lead_time_days``).
        Row labels (``Dataset.where``) follow the rows: an added row is
        labelled with its scenario line (``rush.yaml line 4``), so an engine's
        error about it points at the scenario file. The forecast is not part of
        the dataset: pass it through :func:`scale_forecast`.

    Raises
    ------
    InputError
        If the scenario names what the dataset does not hold.
    """
    if check:
        problems = check_scenario(scenario, ds)
        errors = problems[problems.severity == "error"]
        if len(errors):
            file = Path(scenario.source).name if scenario.source else scenario.name
            raise InputError(f"{len(errors)} problem(s) in scenario {file}", problems)
    tables = {name: ds[name] for name in _TOUCHED}
    labels: dict[str, list] = {}
    changed: dict[str, pd.DataFrame] = {}
    ctx = {"name": scenario.name}
    for i, c in enumerate(scenario.changes):
        new = c.apply(tables, ctx)
        for name, frame in new.items():
            if name not in labels:
                labels[name] = _labels(ds, name)
            # row labels follow the rows: kept rows keep theirs, added rows name the scenario line
            if not frame.index.equals(pd.RangeIndex(len(frame))):
                labels[name] = [labels[name][k] for k in frame.index]
                new[name] = frame.reset_index(drop=True)
            elif len(frame) > len(tables[name]):
                labels[name] = labels[name] + [scenario.where(i)] * (len(frame) - len(tables[name]))
        tables = {**tables, **new}
        changed.update(new)
    if not changed:
        return ds
    out = ds.replace(**changed)
    return replace(out, rows={**out.rows, **{name: labels[name] for name in changed}})


def _labels(ds, name: str) -> list:
    rows = ds.rows.get(name)
    n = len(ds[name])
    if rows is not None and len(rows) == n:
        return list(rows)
    return [ds.where(name, i) for i in range(n)]


_SCALED = re.compile(r"^(forecast|statistical|lo_\d+|hi_\d+)$")


def scale_forecast(forecast: pd.DataFrame, scenario: Scenario, items: pd.DataFrame) -> pd.DataFrame:
    """Apply the scenario's demand multipliers to a forecast.

    Parameters
    ----------
    forecast : DataFrame
        ``item_id, period_start, forecast`` [uom per bucket], optional
        ``statistical, lo_*, hi_*`` [uom] and any other columns (kept as they are).
    scenario : Scenario
        Its ``demand_multiplier`` changes whose ``apply_to`` includes
        ``forecast`` apply; several that match the same bucket multiply.
    items : DataFrame
        ``items`` (``item_id, family``) to resolve families.

    Returns
    -------
    DataFrame
        A copy of ``forecast`` with ``forecast, statistical, lo_*, hi_*``
        multiplied where a multiplier applies (bucket chosen by ``period_start``).
    """
    factor = np.ones(len(forecast))
    for m in scenario.demand_multipliers():
        if "forecast" in m.apply_to:
            factor = np.where(m.selects(forecast.item_id, forecast.period_start, items), factor * m.factor, factor)
    out = forecast.copy()
    for col in out.columns:
        if _SCALED.match(str(col)) and pd.api.types.is_numeric_dtype(out[col]):
            out[col] = out[col] * factor
    out.attrs = dict(forecast.attrs)
    return out

