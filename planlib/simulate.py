"""A week on the shop floor, simulated: what happened when the plant carried out a plan.

The sample factory lives through its weeks (docs/sample-weeks.md): the previous week's plan is carried
out with realistic noise, and the execution records it leaves (``production_reports``,
``goods_receipts``, ``material_issues``, ``supplier_confirmations``, shipments in ``demand_history``)
are written beside the snapshot they start from, so that the next weekly run plans from what happened
(:func:`planlib.actuals.apply_actuals`) and reports on it (attainment, scrap, variance, supplier
follow-up). The same seed gives the same records.

The noise, each drawn per record from the seed:

- yield: scrap on an operation ~ binomial(quantity, the item's ``scrap_pct`` x a lognormal factor),
  split over :data:`SCRAP_REASONS`;
- run time: the routing standard x a lognormal factor (mean about 1.04, the plant runs a little slow);
- breakdowns: machine stops by :data:`DOWNTIME_REASONS`, their minutes reported on the operation hit;
- labour: hours booked = crew x hours on the machine x a factor; absence lowers a shift's operators;
- suppliers: late by a supplier's own delay, short by a few percent, partial confirmations.

Glossary: docs/glossary.md.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["DOWNTIME_REASONS", "SCRAP_REASONS", "downtime", "issue_rows", "report_rows", "run_minutes",
           "scrap_qty"]

#: Scrap reasons and their weights (the plant's Pareto: a few reasons make most of the scrap).
SCRAP_REASONS = {"dimension out of tolerance": 0.35, "surface defect": 0.25, "porosity": 0.15,
                 "setup piece": 0.15, "handling damage": 0.10}

#: Downtime reasons and their weights.
DOWNTIME_REASONS = {"breakdown": 0.40, "waiting for material": 0.20, "tool change": 0.15,
                    "no operator": 0.15, "quality hold": 0.10}

#: Run time factor: lognormal(mu, sigma) of the routing standard (mean exp(0.03 + 0.08**2 / 2) = 1.034).
RUN_TIME_LOGNORMAL = (0.03, 0.08)
#: Scrap rate factor: lognormal(0, 0.6) x the item's ``scrap_pct`` (at least :data:`SCRAP_RATE_MIN`),
#: capped at :data:`SCRAP_RATE_MAX`.
SCRAP_LOGNORMAL_SIGMA = 0.6
SCRAP_RATE_MIN, SCRAP_RATE_MAX = 0.004, 0.2
#: Share of operations hit by a stop, and the stop's minutes: lognormal(log 60, 0.5) (median 60 min).
DOWNTIME_SHARE = 0.25
DOWNTIME_LOGNORMAL = (np.log(60), 0.5)
#: Labour hours booked: crew x hours on the machine x lognormal(0, 0.05).
LABOUR_LOGNORMAL_SIGMA = 0.05
#: Share of material issues over-issued (the floor took more than the standard), by 2 to 6 %.
OVER_ISSUE_SHARE, OVER_ISSUE_RANGE = 0.3, (0.02, 0.06)
#: Units of measure issued in whole units (rounded up); others to 0.01.
WHOLE_UOM = ("ea", "set")


def _weights(reasons: dict) -> tuple[list, np.ndarray]:
    w = np.array(list(reasons.values()))
    return list(reasons), w / w.sum()


def run_minutes(rng, setup_min, run_min_per_unit, qty, speed_factor=1.0):
    """Minutes an operation takes on the machine: the routing standard x a lognormal factor.

    Parameters
    ----------
    rng : numpy.random.Generator
    setup_min : float or array
        Setup [min].
    run_min_per_unit : float or array
        Run time per unit [min/uom].
    qty : float or array
        Units run [uom].
    speed_factor : float or array
        The machine's ``speed_factor`` (run time is divided by it).

    Returns
    -------
    float or ndarray
        ``(setup_min + run_min_per_unit * qty / speed_factor) * lognormal`` [min]
        (:data:`RUN_TIME_LOGNORMAL`); one draw per operation, a float for scalar input.
    """
    std = np.asarray(setup_min, dtype=float) + np.asarray(run_min_per_unit, dtype=float) * \
        np.asarray(qty, dtype=float) / np.asarray(speed_factor, dtype=float)
    if std.ndim == 0:
        return float(std) * float(rng.lognormal(*RUN_TIME_LOGNORMAL))
    return std * rng.lognormal(*RUN_TIME_LOGNORMAL, size=std.shape)


def scrap_qty(rng, scrap_pct, entering):
    """Units scrapped on an operation: binomial(entering, rate).

    Parameters
    ----------
    rng : numpy.random.Generator
    scrap_pct : float or array
        The item's ``scrap_pct`` [%] (empty counts as 0).
    entering : float or array
        Units entering the operation [uom] (whole units).

    Returns
    -------
    int or ndarray of int
        The rate is ``max(scrap_pct / 100, SCRAP_RATE_MIN) x lognormal(0, 0.6)``, at most
        :data:`SCRAP_RATE_MAX`; one draw per operation.
    """
    pct = np.nan_to_num(np.asarray(scrap_pct, dtype=float))
    n = np.asarray(entering, dtype=float).astype(np.int64)
    if pct.ndim == 0 and n.ndim == 0:
        p = max(float(pct) / 100, SCRAP_RATE_MIN) * float(rng.lognormal(0.0, SCRAP_LOGNORMAL_SIGMA))
        return int(rng.binomial(int(n), min(p, SCRAP_RATE_MAX)))
    shape = np.broadcast(pct, n).shape
    p = np.maximum(pct / 100, SCRAP_RATE_MIN) * rng.lognormal(0.0, SCRAP_LOGNORMAL_SIGMA, size=shape)
    return rng.binomial(np.broadcast_to(n, shape), np.minimum(p, SCRAP_RATE_MAX)).astype(np.int64)


def downtime(rng) -> tuple[float, str]:
    """A machine stop on one operation, or none.

    Returns
    -------
    (float, str)
        Minutes stopped [min] (:data:`DOWNTIME_SHARE` of operations; lognormal, median 60) and the
        reason (by the weights of :data:`DOWNTIME_REASONS`); ``(0.0, "")`` for none.
    """
    if rng.random() < DOWNTIME_SHARE:
        names, w = _weights(DOWNTIME_REASONS)
        return round(float(rng.lognormal(*DOWNTIME_LOGNORMAL))), str(rng.choice(names, p=w))
    return 0.0, ""


def report_rows(rng, order_id: str, op_seq: int, machine_id: str, crew_size: float, segments: list,
                good: float, scrap: float, stop: tuple[float, str] = (0.0, ""), finished: bool = True) -> list[dict]:
    """The production reports of one operation: one row per day it ran.

    Parameters
    ----------
    rng : numpy.random.Generator
    order_id, op_seq, machine_id
        The operation and the machine it ran on.
    crew_size : float
        Operators while it runs.
    segments : list of (Timestamp, Timestamp)
        The working time it ran, in order.
    good : float
        Good units over all ``segments`` [uom], split over the days by minutes run (the rounding on
        the last day).
    scrap : float
        Units scrapped [uom], reported on the last day with a reason drawn from :data:`SCRAP_REASONS`.
    stop : (float, str)
        Downtime minutes [min] and reason (:func:`downtime`), reported on the last day.
    finished : bool
        False: the operation goes on after ``segments`` (cut at a week's end); its scrap and stop are
        still reported on the last day given.

    Returns
    -------
    list of dict
        Rows of ``production_reports``: ``order_id, op_seq, machine_id, report_date, start, end``
        (to the minute), ``qty_good, qty_scrap`` [uom], ``scrap_reason``, ``labour_hours`` [h] (crew x
        hours from the day's first start to its last end x lognormal(0, 0.05)), ``downtime_min``
        [min], ``downtime_reason``.
    """
    days = {}
    for s, e in segments:
        d = s.normalize()
        a, b = days.get(d, (s, e))
        days[d] = (min(a, s), max(b, e))
    mins = np.array([(e - s).total_seconds() / 60 for s, e in days.values()])
    share = np.floor(good * mins / mins.sum()).astype(int)
    share[-1] += int(good) - share.sum()
    names, w = _weights(SCRAP_REASONS)
    reason = str(rng.choice(names, p=w)) if scrap else ""
    rows = []
    for k, (d, (s, e)) in enumerate(days.items()):
        last = k == len(days) - 1
        hours = (e - s).total_seconds() / 3600
        rows.append(dict(order_id=order_id, op_seq=int(op_seq), machine_id=machine_id, report_date=d,
                         start=s.floor("min"), end=e.ceil("min"), qty_good=float(share[k]),
                         qty_scrap=float(scrap if last else 0), scrap_reason=reason if last else "",
                         labour_hours=round(float(crew_size) * hours * float(rng.lognormal(0, LABOUR_LOGNORMAL_SIGMA)), 2),
                         downtime_min=float(stop[0] if last else 0.0),
                         downtime_reason=stop[1] if last else ""))
    return rows


def issue_rows(rng, order_id: str, components: pd.DataFrame, qty: float, when) -> list[dict]:
    """The material issues of a production order started on ``when``.

    Parameters
    ----------
    rng : numpy.random.Generator
    order_id : str
    components : DataFrame
        The BOM lines of the order's item valid on ``when``: ``component_id, qty_per`` [uom per unit],
        ``scrap_pct`` [%] and ``uom`` (the component's).
    qty : float
        Units the order starts [uom].
    when : Timestamp
        The issue day (its time is dropped).

    Returns
    -------
    list of dict
        Rows of ``material_issues``: ``order_id, item_id, qty, issue_date``; ``qty = qty_per x qty x
        (1 + scrap_pct / 100)``, over-issued by 2 to 6 % on :data:`OVER_ISSUE_SHARE` of the lines,
        rounded up to whole units for :data:`WHOLE_UOM`, else to 0.01.
    """
    rows = []
    for c in components.itertuples():
        q = float(c.qty_per) * qty * (1 + float(c.scrap_pct or 0) / 100)
        if rng.random() < OVER_ISSUE_SHARE:  # over-issue: the floor took more than the standard
            q *= 1 + float(rng.uniform(*OVER_ISSUE_RANGE))
        q = np.ceil(q) if c.uom in WHOLE_UOM else round(q, 2)
        rows.append(dict(order_id=order_id, item_id=c.component_id, qty=float(q), issue_date=when.normalize()))
    return rows
