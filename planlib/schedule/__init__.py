"""Finite-capacity scheduling on CP-SAT.

Released, in-progress and planned production orders are expanded into routing
operations and scheduled on the machines of their work centers (alternatives),
with sequence-dependent changeovers by item family, machine calendars (an
operation pauses at a shift end unless uninterruptible), release and material
dates, due dates weighted by priority, and operator crews.

Modules
-------
- :mod:`~planlib.schedule.problem`     orders and operations from the planning tables (:func:`build_orders`,
  :func:`build_problem`, :class:`ScheduleSettings`)
- :mod:`~planlib.schedule.timeline`    working-time arithmetic of one machine
- :mod:`~planlib.schedule.dispatch`    the dispatching heuristic (ATCS / EDD), CP-SAT's hint
- :mod:`~planlib.schedule.model`       the CP-SAT model: build, solve, extract
- :mod:`~planlib.schedule.check`       the independent checker :func:`check_schedule`
- :mod:`~planlib.schedule.report`      schedule table, KPIs, late orders, dispatch lists, Gantt chart
- :mod:`~planlib.schedule.reschedule`  repair after a disruption, keeping frozen operations
- :mod:`~planlib.schedule.jobshop`     JSPLIB / Brandimarte benchmark instances

Glossary: docs/glossary.md; guide: docs/schedule.md.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from planlib.dataset import Dataset
from planlib.schedule.check import check_material, check_schedule
from planlib.schedule.dispatch import CalendarTooShort, calendar_too_short, compact, dispatch
from planlib.schedule.model import build_model, evaluate, solve
from planlib.schedule.problem import (
    Problem,
    ScheduleSettings,
    build_orders,
    build_problem,
    consuming_operations,
    long_uninterruptible_operations,
    material_availability,
    material_supply,
    trim,
)
from planlib.schedule.report import (
    MATERIAL_RESULT_COLUMNS,
    dispatch_html,
    dispatch_list,
    gantt_chart,
    late_orders,
    material_table,
    order_summary,
    schedule_kpis,
    to_schedule,
)
from planlib.schedule.timeline import Timeline


@dataclass
class ScheduleResult:
    """What :func:`make_schedule` returns.

    Attributes
    ----------
    schedule : DataFrame
        See :func:`planlib.schedule.report.to_schedule`.
    kpis : DataFrame
        See :func:`planlib.schedule.report.schedule_kpis`.
    late_orders : DataFrame
        See :func:`planlib.schedule.report.late_orders`.
    dispatch_list : DataFrame
        See :func:`planlib.schedule.report.dispatch_list`.
    status : str
        CP-SAT status (OPTIMAL, FEASIBLE) or ``HEURISTIC`` when the dispatching rule's schedule
        is returned because CP-SAT had nothing better in time.
    objective, bound : float or None
        CP-SAT's objective and best bound of the first objective level.
    heuristic_objective : float
    problem : Problem
    solution : DataFrame
    material : DataFrame
        The supply of every consuming operation, as scheduled (see
        :func:`planlib.schedule.report.material_table`): ``order_id, item_id, op_seq,
        component_id, supply_type, supply_id, qty, supply_date, available_at, in_schedule``.
        With the ``schedule`` table it is all :func:`planlib.schedule.check.check_material` needs.
    """

    schedule: pd.DataFrame
    kpis: pd.DataFrame
    late_orders: pd.DataFrame
    dispatch_list: pd.DataFrame
    status: str
    objective: float | None
    bound: float | None
    heuristic_objective: float
    problem: Problem
    solution: pd.DataFrame
    info: dict = field(default_factory=dict)
    material: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=MATERIAL_RESULT_COLUMNS))

    @property
    def exceptions(self) -> pd.DataFrame:
        """Orders left out (``skip_unschedulable``), as a problems table."""
        from planlib.problems import PROBLEM_COLUMNS
        ex = self.problem.exceptions
        return ex if ex is not None else pd.DataFrame(columns=PROBLEM_COLUMNS)

    @property
    def warnings(self) -> pd.DataFrame:
        """Problems that did not keep an order out (severity ``warning``), as a problems table:
        an uninterruptible operation longer than every shift (scheduled to pause), a component
        no supply covers (assumed after its lead time), a loop between orders."""
        from planlib.problems import PROBLEM_COLUMNS
        w = self.problem.warnings
        return w if w is not None else pd.DataFrame(columns=PROBLEM_COLUMNS)

    @property
    def unscheduled_orders(self) -> list:
        """Orders left out for a data error (see :attr:`exceptions`)."""
        return list(self.problem.left_out or [])


def solve_problem(problem: Problem, settings: ScheduleSettings, hint: pd.DataFrame | None = None,
                  progress=None):
    """Heuristic, then CP-SAT from its hint, keeping the better schedule (left-shifted if no worse).

    A large problem (more than ``settings.decompose_ops`` operations, no crews, not a repair) is
    improved one time window at a time (:func:`planlib.schedule.decompose.improve_by_windows`);
    its bound is :func:`planlib.schedule.decompose.relaxed_bound` of the whole problem.

    Parameters
    ----------
    problem : Problem
    settings : ScheduleSettings
        ``time_limit_s <= 0`` returns the heuristic's schedule without calling CP-SAT.
    hint : DataFrame, optional
        A solution table (see :func:`planlib.schedule.dispatch.dispatch`): ``op`` (row of
        ``problem.ops``), ``machine_id``, ``ws, wr, we`` (minutes of the machine's working clock
        at which setup, run start and end fall), ``changeover_min`` [min], ``prev_op``.
        Default: the dispatching rule ``settings.rule``.
    progress : callable, optional
        Called with a line of text as the solve goes (time windows: objective, time left).

    Returns
    -------
    (DataFrame, dict)
        The solution table (see :func:`planlib.schedule.dispatch.dispatch`) and ``info``:
        ``heuristic_objective, heuristic_seconds, solver_status`` (CP-SAT's or ``HEURISTIC``),
        ``cpsat_status, objective, bound, gap_pct`` [% of the best objective], ``seconds`` [s],
        ``restricted``; with time windows also ``method`` (``windows``), ``bound_source``
        (``relaxation``), ``windows, windows_improved``.
    """
    import time
    t0 = time.perf_counter()
    if hint is None:
        hint = dispatch(problem, settings.rule)
    t_heur = hint.attrs.get("seconds", time.perf_counter() - t0)  # timed by make_schedule when it ran it
    first = settings.objectives()[0][0]
    h_obj = evaluate(problem, hint, first, settings)
    info = dict(heuristic_objective=h_obj, heuristic_seconds=round(t_heur, 3))
    if settings.time_limit_s <= 0:
        info.update(solver_status="HEURISTIC", objective=h_obj, bound=None, seconds=round(t_heur, 3))
        return hint, info
    if _decomposes(problem, settings):
        return _solve_by_windows(problem, settings, hint, info, t0, progress)
    if progress is not None:
        budget = (f"a work budget of {settings.time_limit_s:g} units" if settings.deterministic
                  else f"about {settings.time_limit_s:g} s left")
        progress(f"heuristic schedule: objective {h_obj:,.0f}; CP-SAT on {len(problem.ops):,} operations, {budget}")
    res = solve(problem, settings, hint)
    c_obj = evaluate(problem, res.solution, first, settings) if len(res.solution) else float("inf")
    if len(res.solution) and c_obj <= h_obj + 1e-9:
        sol, status = res.solution, res.status
    else:
        sol, status = hint, "HEURISTIC"
    if problem.previous is None or not len(problem.previous):
        tight = compact(problem, sol)
        if evaluate(problem, tight, first, settings) <= evaluate(problem, sol, first, settings) + 1e-9:
            sol = tight
    gap = None
    if res.bound is not None and res.objective is not None:
        best = min(res.objective, h_obj)
        gap = round(100.0 * (best - res.bound) / best, 3) if best > 0 else 0.0
    info.update(solver_status=status, cpsat_status=res.status, objective=res.objective, bound=res.bound,
                gap_pct=gap, seconds=round(time.perf_counter() - t0, 3), restricted=res.restricted)
    return sol, info


def _decomposes(problem: Problem, settings: ScheduleSettings) -> bool:
    """Time windows instead of one model: a large problem without crews and not a repair, and an
    objective without weights."""
    return (len(problem.ops) > settings.decompose_ops and not problem.crews and not settings.objective_weights
            and (problem.previous is None or not len(problem.previous)))


def _solve_by_windows(problem: Problem, settings: ScheduleSettings, hint: pd.DataFrame, info: dict, t0: float,
                      progress=None):
    """:func:`solve_problem` of a large problem: CP-SAT window by window from the heuristic's schedule."""
    import time

    from planlib.schedule.decompose import improve_by_windows, relaxed_bound

    first = settings.objectives()[0][0]
    say = progress or (lambda message: None)
    h_obj = info["heuristic_objective"]
    bound = relaxed_bound(problem, first)
    say(f"heuristic schedule: objective {h_obj:,.0f} in {info['heuristic_seconds']:.1f} s; "
        f"bound {'n/a' if bound is None else f'{bound:,.0f}'}; CP-SAT by time windows")
    sol, win = improve_by_windows(problem, settings, hint, progress=say, deadline=t0 + settings.time_limit_s)
    tight = compact(problem, sol)
    if evaluate(problem, tight, first, settings) <= evaluate(problem, sol, first, settings) + 1e-9:
        sol = tight
    obj = evaluate(problem, sol, first, settings)
    gap = None
    if bound is not None:
        gap = round(100.0 * (obj - bound) / obj, 3) if obj > 0 else 0.0
    status = "FEASIBLE" if win["windows_improved"] else "HEURISTIC"
    info.update(solver_status=status, cpsat_status="WINDOWS", objective=obj, bound=bound, gap_pct=gap,
                seconds=round(time.perf_counter() - t0, 3), restricted=False, method="windows",
                bound_source="relaxation", windows=win["windows"], windows_improved=win["windows_improved"])
    return sol, info


def make_schedule(ds: Dataset, orders: pd.DataFrame, plan_start, settings: ScheduleSettings | None = None,
                  *, material: pd.DataFrame | None = None, crews: dict | None = None, progress=None) -> ScheduleResult:
    """Finite-capacity schedule of production orders.

    Parameters
    ----------
    ds : Dataset
        Uses ``items, routings, machines, work_centers, calendars, calendar_exceptions,
        setup_matrix, operations_progress``.
    orders : DataFrame
        ``order_id, item_id, qty, release_date, due_date, priority`` (1 most urgent), optional
        ``weight, status, earliest_start``; see :func:`build_orders`.
    plan_start : datetime-like
    settings : ScheduleSettings
    material : DataFrame, optional
        ``order_id, material_ready``: earliest start from component supply
        (see :func:`material_availability`).
    crews : dict, optional
        ``work_center_id -> operators``.
    progress : callable, optional
        Called with a line of text at each stage (heuristic, solver, time windows with the time left).

    Returns
    -------
    ScheduleResult

    Raises
    ------
    InputError
        With a table naming the orders that cannot be scheduled and why.
    """
    import time

    settings = settings or ScheduleSettings()
    say = progress or (lambda message: None)
    days = settings.calendar_days or max(4 * settings.horizon_days, 56)
    for _ in range(6):
        problem = build_problem(ds, orders, plan_start, settings, material=material, crews=crews,
                                calendar_days=days)
        if calendar_too_short(problem):  # certain: do not run the heuristic to find out
            days *= 2
            continue
        try:
            say(f"dispatching heuristic: {len(problem.ops):,} operations on {len(problem.timelines)} machines")
            t_heur = time.perf_counter()
            hint = dispatch(problem, settings.rule)
            hint.attrs["seconds"] = round(time.perf_counter() - t_heur, 3)
            break
        except CalendarTooShort:
            days *= 2
    else:
        raise _too_long(problem, days)
    return make_schedule_from_problem(problem, settings, hint, progress=progress)


def _too_long(problem: Problem, days: int):
    """An :class:`InputError` naming the orders with the most work when even ``days`` of machine
    calendars cannot hold the schedule (an absurd quantity passes validation but not this)."""
    from planlib.problems import InputError, Problems

    alts = problem.alts
    least = (alts.setup_min + alts.run_min).groupby(alts.op).min()  # [working min] on its best machine
    ops = problem.ops
    work = least.reindex(ops.index).fillna(0).groupby(ops.order_id.to_numpy()).sum().sort_values(ascending=False)
    qty = ops.groupby("order_id").qty.first()
    item = ops.groupby("order_id").item_id.first()
    p = Problems()
    for oid in work.index[:5]:
        p.add("orders", str(oid), "qty", f"{float(qty[oid]):g}",
              f"order {oid} ({item[oid]}) needs {work[oid] / 60:,.0f} h of machine work: with the other orders "
              f"it does not fit in {days} days of machine calendars",
              "check the quantity (a typing error?) and the routing's run_min_per_unit, or split the order")
    return InputError(f"the orders do not fit in {days} days of machine calendars; the largest are listed",
                      p.frame())


def make_schedule_from_problem(problem: Problem, settings: ScheduleSettings | None = None,
                               hint: pd.DataFrame | None = None, progress=None) -> ScheduleResult:
    """Schedule a built :class:`Problem`: heuristic, calendar trimmed, CP-SAT, reports.

    Parameters
    ----------
    problem : Problem
    settings : ScheduleSettings
    hint : DataFrame, optional
        A solution table to start from; default the dispatching rule's (``previous`` when
        rescheduling).
    progress : callable, optional
        Called with a line of text as the solve goes.

    Returns
    -------
    ScheduleResult
    """
    settings = settings or ScheduleSettings()
    if hint is None:
        rule = "previous" if problem.previous is not None and len(problem.previous) else settings.rule
        hint = dispatch(problem, rule)
    if len(hint):
        ends = [problem.timelines[m].end_at(int(we)) for m, we in zip(hint.machine_id, hint.we)]
        cut = int(max(ends) * 1.25) + 3 * 1440
        if cut < problem.horizon:
            problem = trim(problem, cut)
    sol, info = solve_problem(problem, settings, hint, progress=progress)
    if problem.exceptions is not None:
        info["orders_left_out"] = int(problem.exceptions.table.size)
    sched = to_schedule(problem, sol)
    kpis = schedule_kpis(sched, problem, info)
    material = material_table(problem, sched)
    return ScheduleResult(schedule=sched, kpis=kpis, late_orders=late_orders(sched, problem, material),
                          dispatch_list=dispatch_list(sched, problem.orders), status=info["solver_status"],
                          objective=info.get("objective"), bound=info.get("bound"),
                          heuristic_objective=info["heuristic_objective"], problem=problem, solution=sol,
                          info=info, material=material)


def schedule_dataset(ds: Dataset, plan_start, settings: ScheduleSettings | None = None,
                     planned_orders: pd.DataFrame | None = None, crews: dict | None = None,
                     pegging: pd.DataFrame | None = None, progress=None) -> ScheduleResult:
    """Schedule the dataset's production orders (and MRP's planned make orders) in the horizon.

    Builds the orders with :func:`build_orders`, the supply of their components with
    :func:`material_supply` (following MRP's ``pegging`` when given), then calls
    :func:`make_schedule`: an order's consuming operation starts its run only when its
    purchased supply has arrived and the make orders supplying it have finished.

    Parameters
    ----------
    ds : Dataset
    plan_start : datetime-like
    settings : ScheduleSettings
    planned_orders : DataFrame, optional
        MRP's planned orders (:attr:`planlib.mrp.MrpResult.planned_orders`): the make ones are
        scheduled, all are supply.
    crews : dict, optional
        ``work_center_id -> operators``.
    pegging : DataFrame, optional
        MRP's pegging (:attr:`planlib.mrp.MrpResult.pegging`): which supply serves which order.
        Without it each order's components are netted on their own (see :func:`material_supply`).
    progress : callable, optional
        Called with a line of text at each stage (see :func:`make_schedule`).

    Returns
    -------
    ScheduleResult
    """
    settings = settings or ScheduleSettings()
    orders = build_orders(ds, plan_start, settings.horizon_days, planned_orders)
    material = material_supply(ds, orders, plan_start, planned_orders, pegging)
    return make_schedule(ds, orders, plan_start, settings, material=material, crews=crews, progress=progress)


def check(result: ScheduleResult, ds: Dataset, frozen: pd.DataFrame | None = None) -> pd.DataFrame:
    """:func:`check_schedule` of a result against the dataset's calendars, setups and material.

    Parameters
    ----------
    result : ScheduleResult
        Its ``schedule`` and ``material`` tables are checked, against the problem's plan start
        and machine calendars.
    ds : Dataset
        Uses ``setup_matrix, machines``; the problem's crews and staffing limits are checked too.
    frozen : DataFrame, optional
        Operations that must be unchanged: ``order_id, op_seq, machine_id, start, end``
        (timestamps), as :attr:`planlib.schedule.reschedule.RescheduleResult.frozen`.

    Returns
    -------
    DataFrame
        The checker's violations (see :func:`planlib.schedule.check.check_schedule`); empty when
        the schedule is feasible.
    """
    p = result.problem
    return check_schedule(result.schedule, p.plan_start, p.calendar_intervals, ds.setup_matrix, frozen,
                          ds.machines, crews=p.crews, material=result.material, staffing=p.staffing_rows)


__all__ = ["Problem", "ScheduleResult", "ScheduleSettings", "Timeline", "build_model", "build_orders",
           "build_problem", "check", "check_material", "check_schedule", "consuming_operations",
           "dispatch", "dispatch_html", "dispatch_list", "evaluate", "gantt_chart", "late_orders",
           "long_uninterruptible_operations", "make_schedule", "make_schedule_from_problem",
           "material_availability", "material_supply", "material_table", "order_summary",
           "schedule_dataset", "schedule_kpis", "solve", "solve_problem", "to_schedule", "trim"]
