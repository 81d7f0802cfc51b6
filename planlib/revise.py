"""Revising the published schedule mid-week: a disruption, the progress so far, few moves.

The weekly run publishes a schedule on Monday; by Wednesday a machine is down, a rush
order came in, material is late, an order's quantity changed or operators are absent.
:func:`revise_schedule` takes the published run folder and a scenario file describing
the disruption (:mod:`planlib.scenario`: ``downtime``, ``rush_order``, ``late_material``,
``supplier_delay``, ``quantity_change``, ``operator_absence``), and repairs the schedule
at ``now`` with :func:`planlib.schedule.reschedule.reschedule`:

- operations ended by ``now`` are done; operations started by ``now`` or starting before
  ``now + frozen_hours`` keep their machine and times (unless the disruption makes their
  slot impossible, then they move and say so);
- the rest is re-planned from ``now`` on, with ``ScheduleSettings.move_penalty`` for every
  operation that changes machine or start;
- the result is checked by the independent checker (:func:`planlib.schedule.check_schedule`,
  with the frozen operations, the crews and the material dates) before it is returned.

:func:`publish_revision` writes the revision beside the weekly schedule, in
``<run_dir>/revisions/<scenario-slug>-<YYYYMMDD-HHMM>/`` (``schedule.csv``, ``moves.csv``,
``orders.csv``, ``kpis.csv``, a work-ticket page per work center, ``index.html`` saying what
moved and why), all at once, and lists every revision of the run in
``<run_dir>/revisions/index.html``.

Progress reported so far: the dataset is brought to ``now`` with
:func:`planlib.actuals.apply_actuals` when that module is installed; without it, the
published schedule alone says what is done (ended by ``now``) and started, and
:attr:`Revision.notes` says so.

Vocabulary: ``docs/glossary.md``; guide: ``docs/reschedule.md``.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import html
import json
import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from planlib.dataset import Dataset
from planlib.params import PlanParams
from planlib.problems import InputError, Problems

__all__ = ["Revision", "order_changes", "publish_revision", "revise_schedule", "revision_kpis",
           "write_revisions_index"]

_RUN = "run folder"


@dataclass(frozen=True)
class Revision:
    """A revised schedule, what moved and why (see :func:`revise_schedule`).

    Attributes
    ----------
    scenario : Scenario
        The disruption.
    now : Timestamp
        When the schedule was revised; nothing new starts before it.
    week : str
        The ISO week of the published run.
    schedule : DataFrame
        The revised ``schedule`` table (columns of :class:`planlib.schedule.ScheduleResult`):
        the operations not done by ``now``.
    moves : DataFrame
        ``order_id, op_seq, work_center_id, old_machine_id, new_machine_id, old_start, new_start,
        old_end, new_end`` (timestamps), ``shift_h`` [h, start later > 0], ``reason`` (text).
    orders : DataFrame
        See :func:`order_changes`.
    kpis : DataFrame
        See :func:`revision_kpis`.
    frozen, done : DataFrame
        ``order_id, op_seq, machine_id, start, end``: operations kept in place, and done by ``now``.
    result : RescheduleResult
        Everything :func:`planlib.schedule.reschedule.reschedule` returned.
    dataset : Dataset
        The data the revision planned from (progress and disruption applied).
    notes : tuple of str
        How it was computed (progress applied or not, absences as crews ...).
    """

    scenario: object
    now: pd.Timestamp
    week: str
    schedule: pd.DataFrame
    moves: pd.DataFrame
    orders: pd.DataFrame
    kpis: pd.DataFrame
    frozen: pd.DataFrame
    done: pd.DataFrame
    result: object = field(repr=False, default=None)
    dataset: Dataset | None = field(repr=False, default=None)
    notes: tuple = ()

    @property
    def slug(self) -> str:
        """The revision's folder name: ``lathe_breakdown-20261125-1000``."""
        return f"{self.scenario.slug}-{self.now:%Y%m%d-%H%M}"

    @property
    def later_orders(self) -> pd.DataFrame:
        """Rows of :attr:`orders` that now finish later than in the published schedule."""
        return self.orders[self.orders.delay_h > 0]

    def summary(self) -> str:
        """One line for a planner: ``12 operations moved, 3 orders later, 1 order newly late``."""
        moved = len(self.moves)
        later = len(self.later_orders)
        newly = int((self.orders.late_after & ~self.orders.late_before).sum())
        new = int(self.orders.new.sum())
        parts = [f"{moved} operation{'s' if moved != 1 else ''} moved",
                 f"{later} order{'s' if later != 1 else ''} later"]
        if newly:
            parts.append(f"{newly} order{'s' if newly != 1 else ''} newly late")
        if new:
            parts.append(f"{new} new order{'s' if new != 1 else ''} scheduled")
        return ", ".join(parts)


# --------------------------------------------------------------------------- reading the run

def _fail(problems: Problems, message: str):
    raise InputError(message, problems.frame())


def _read_run(run_dir: Path) -> tuple[dict, pd.DataFrame, pd.DataFrame | None, pd.DataFrame | None]:
    from planlib.pipeline import read_step

    p = Problems()
    fix = "give the folder of a published weekly run (reports/<week>/<scenario>, as planlib run writes it)"
    if not run_dir.is_dir():
        p.add(_RUN, str(run_dir), "", "", "no such folder", fix)
        _fail(p, f"{run_dir} is not a run folder")
    manifest_path = run_dir / "manifest.json"
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        p.add(_RUN, str(manifest_path), "", "", "the run folder has no manifest.json", fix)
        _fail(p, f"{run_dir} is not a published run")
    except (ValueError, UnicodeDecodeError) as exc:
        p.add(_RUN, str(manifest_path), "", "", f"manifest.json is not valid JSON ({exc})",
              "publish the week again with planlib run")
        _fail(p, f"{run_dir} has a broken manifest")
    schedule = read_step(run_dir, "schedule", "schedule")
    if schedule is None or not len(schedule):
        p.add(_RUN, str(run_dir / "schedule" / "schedule.csv"), "", "",
              "the run has no published schedule (schedule/schedule.csv missing or empty)",
              "revise a run whose schedule step published operations")
        _fail(p, f"{run_dir} has no schedule to revise")
    return manifest, schedule, read_step(run_dir, "mrp", "planned_orders"), read_step(run_dir, "mrp", "pegging")


def _params(manifest: dict) -> PlanParams:
    plan = dict((manifest.get("parameters") or {}).get("plan") or {})
    names = {f.name for f in dataclasses.fields(PlanParams)}
    values = {k: v for k, v in plan.items() if k in names}
    start = values.get("plan_start") or manifest.get("plan_start")
    values["plan_start"] = dt.date.fromisoformat(str(start)[:10])
    return PlanParams(**values)


def _check_now(now, schedule: pd.DataFrame, plan_start: pd.Timestamp) -> pd.Timestamp:
    p = Problems()
    try:
        now = pd.Timestamp(now)
    except (ValueError, TypeError):
        p.add("schedule", "--now", "now", str(now), "not a date and time",
              'write the time as "YYYY-MM-DD HH:MM" (2026-11-25 10:00)')
        _fail(p, "now is not a date and time")
    if pd.isna(now):
        p.add("schedule", "--now", "now", "", "no time given", 'write the time as "YYYY-MM-DD HH:MM"')
        _fail(p, "now is missing")
    last = pd.Timestamp(schedule.end.max())
    if now < plan_start or now >= last:
        p.add("schedule", "--now", "now", f"{now:%Y-%m-%d %H:%M}",
              f"outside the published schedule ({plan_start:%Y-%m-%d %H:%M} to {last:%Y-%m-%d %H:%M})",
              "give a time inside the week the run planned, or revise a later week's run")
        _fail(p, f"{now:%Y-%m-%d %H:%M} is outside the published schedule")
    return now


def _load(manifest: dict, run_dir: Path, source: str | None) -> Dataset:
    from planlib.data import load

    source = source or manifest.get("source") or ""
    if "://" not in str(source) and not Path(source).is_absolute() and not Path(source).exists():
        # a run made at the repository root with a relative source: reports/<week>/<scenario>
        beside = run_dir.resolve().parents[2] / source if len(run_dir.resolve().parents) > 2 else None
        if beside is not None and beside.exists():
            source = str(beside)
    if "://" not in str(source) and not Path(source).exists():
        p = Problems()
        p.add(_RUN, str(run_dir / "manifest.json"), "source", str(source),
              "the dataset the run was planned from is not there",
              "pass the dataset with --source (the folder, workbook or database the week was planned from)")
        _fail(p, "the run's dataset is not found")
    if "***" in str(source):
        p = Problems()
        p.add(_RUN, str(run_dir / "manifest.json"), "source", str(source),
              "the manifest holds the database URL without its password",
              "pass the database URL with --source")
        _fail(p, "the run's database URL has no password")
    ds = load(str(source))
    scenario_file = manifest.get("scenario_file") or ""
    if scenario_file:
        from planlib.scenario import apply_scenario, load_scenario

        ds = apply_scenario(ds, load_scenario(scenario_file))
    return ds


def _progress_to(ds: Dataset, now: pd.Timestamp) -> tuple[Dataset, str]:
    try:
        from planlib.actuals import apply_actuals
    except ImportError:
        return ds, ("progress reports are not applied (planlib.actuals is not installed): the published "
                    "schedule says what is done (ended by now) and started (kept where it is)")
    return apply_actuals(ds, now), f"progress reported up to {now:%Y-%m-%d %H:%M} applied (planlib.actuals)"


# --------------------------------------------------------------------------- comparing

def order_changes(before: pd.DataFrame, after: pd.DataFrame, done: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per order, when it finished in the published schedule and when it finishes now.

    Parameters
    ----------
    before, after : DataFrame
        ``schedule`` tables (``order_id, item_id, end, due_date``, timestamps); ``after`` holds the
        operations still to do.
    done : DataFrame, optional
        ``order_id, op_seq, end``: operations done before the revision (they count in ``after``).

    Returns
    -------
    DataFrame
        ``order_id, item_id, due_date, end_before, end_after`` (timestamps; ``end_before`` NaT for
        an order the revision adds), ``delay_h`` [h, later > 0], ``late_before, late_after`` (bool:
        the last operation ends after the due date), ``new`` (bool), sorted by ``delay_h`` descending.
    """
    def last(s: pd.DataFrame) -> pd.DataFrame:
        return s.groupby("order_id", sort=False).agg(item_id=("item_id", "first"), due_date=("due_date", "first"),
                                                     end=("end", "max"))

    b = last(before)
    a_frames = [after[["order_id", "item_id", "due_date", "end"]]]
    if done is not None and len(done):
        d = done.merge(before[["order_id", "op_seq", "item_id", "due_date"]], on=["order_id", "op_seq"], how="left")
        a_frames.append(d[["order_id", "item_id", "due_date", "end"]])
    a_frames = [f for f in a_frames if len(f)]
    a = last(pd.concat(a_frames, ignore_index=True) if a_frames else after[["order_id", "item_id", "due_date", "end"]])
    out = b.join(a, how="outer", lsuffix="_b", rsuffix="_a")
    out = pd.DataFrame({
        "order_id": out.index,
        "item_id": out.item_id_a.fillna(out.item_id_b).to_numpy(),
        "due_date": pd.to_datetime(out.due_date_a.fillna(out.due_date_b)).to_numpy(),
        "end_before": pd.to_datetime(out.end_b).to_numpy(),
        "end_after": pd.to_datetime(out.end_a).to_numpy(),
    })
    out["delay_h"] = ((out.end_after - out.end_before).dt.total_seconds() / 3600).round(2).fillna(0.0)
    out["late_before"] = (out.end_before > out.due_date + pd.Timedelta(days=1)).fillna(False).astype(bool)
    out["late_after"] = (out.end_after > out.due_date + pd.Timedelta(days=1)).fillna(False).astype(bool)
    out["new"] = out.end_before.isna()
    return out.sort_values(["delay_h", "order_id"], ascending=[False, True]).reset_index(drop=True)


def revision_kpis(orders: pd.DataFrame, moves: pd.DataFrame) -> pd.DataFrame:
    """The schedule's key figures before and after the revision, over the same orders.

    Computed from :func:`order_changes` (operations done by the revision time count with
    their published end), so the two columns compare like with like.

    Parameters
    ----------
    orders : DataFrame
        :func:`order_changes`.
    moves : DataFrame
        The moves (one row per moved operation).

    Returns
    -------
    DataFrame
        ``kpi, unit, before, after``: ``orders`` (scheduled), ``late_orders``, ``on_time_pct`` [%],
        ``tardiness_h`` [h, summed over late orders, end of the last operation after the end of
        the due date], ``operations_moved`` and ``orders_later`` (before 0).
    """
    def figures(end: pd.Series) -> dict:
        have = end.notna()
        late_h = ((end - (orders.due_date + pd.Timedelta(days=1))).dt.total_seconds() / 3600).clip(lower=0)
        n, late = int(have.sum()), int((late_h[have] > 0).sum())
        return {"orders": n, "late_orders": late, "on_time_pct": round(100.0 * (n - late) / n, 2) if n else 100.0,
                "tardiness_h": round(float(late_h[have].sum()), 2)}

    b, a = figures(orders.end_before), figures(orders.end_after)
    units = {"on_time_pct": "%", "tardiness_h": "h"}
    rows = [{"kpi": k, "unit": units.get(k, ""), "before": b[k], "after": a[k]} for k in b]
    rows += [{"kpi": "operations_moved", "unit": "", "before": 0, "after": len(moves)},
             {"kpi": "orders_later", "unit": "", "before": 0, "after": int((orders.delay_h > 0).sum())}]
    return pd.DataFrame(rows, columns=["kpi", "unit", "before", "after"])


def _explain(moves: pd.DataFrame, previous: pd.DataFrame, scenario, crews: dict) -> pd.DataFrame:
    """Moves with their work center and reasons the repair cannot know (absences, late material)."""
    from planlib.scenario import OperatorAbsence

    wc = previous.set_index(["order_id", "op_seq"]).work_center_id
    moves = moves.copy()
    moves.insert(2, "work_center_id", [wc.get((o, s), "") for o, s in zip(moves.order_id, moves.op_seq)])
    absent = {c.work_center: c for c in scenario.changes if isinstance(c, OperatorAbsence) and c.work_center in crews}
    reasons = []
    for r in moves.itertuples():
        reason = r.reason
        c = absent.get(r.work_center_id)
        if c is not None and reason.startswith("knock-on"):
            reason = (f"{c.operators:g} operator(s) absent at {c.work_center} "
                      f"({crews[c.work_center]:g} left to share)")
        reasons.append(reason)
    moves["reason"] = reasons
    return moves


# --------------------------------------------------------------------------- revising

def revise_schedule(run_dir, scenario, now, progress: Callable[[str], None] | None = None,
                    frozen_hours: float = 8.0, *, source: str | None = None, time_limit_s: float | None = None,
                    seed: int | None = None) -> Revision:
    """Revise a published run's schedule at ``now`` after a disruption.

    Parameters
    ----------
    run_dir : path
        A published run folder (``reports/<week>/<scenario>``: ``manifest.json``,
        ``schedule/schedule.csv``, ``mrp/planned_orders.csv`` ...).
    scenario : Scenario or path
        The disruption (a :class:`planlib.scenario.Scenario` or its YAML file).
    now : datetime-like
        The time of the revision, inside the published schedule.
    progress : callable, optional
        Called with a line of text as the revision goes.
    frozen_hours : float
        Operations starting before ``now + frozen_hours`` [h] keep their place.
    source : str, optional
        The dataset; default the run's (``manifest.json``'s ``source``).
    time_limit_s, seed : optional
        CP-SAT time limit [s] and seed; default the run's.

    Returns
    -------
    Revision

    Raises
    ------
    InputError
        An unknown run folder, a bad scenario or ``now`` outside the published schedule
        (the problems name the table, row and column and how to fix them).
    RuntimeError
        The independent checker finds a broken rule in the revised schedule.
    """
    from planlib.scenario import Scenario, absence_crews, apply_scenario, check_scenario, load_scenario
    from planlib.schedule import build_orders, check_schedule, material_supply
    from planlib.schedule.reschedule import reschedule, rush_order
    from planlib.steps import schedule_settings

    say = progress or (lambda message: None)
    run_dir = Path(run_dir)
    say(f"reading {run_dir}")
    manifest, previous, planned, pegging = _read_run(run_dir)
    if not isinstance(scenario, Scenario):
        scenario = load_scenario(scenario)
    params = _params(manifest)
    plan_start = pd.Timestamp(params.plan_start)
    now = _check_now(now, previous, plan_start)
    if frozen_hours < 0:
        p = Problems()
        p.add("schedule", "--frozen-hours", "frozen_hours", f"{frozen_hours:g}", "must be 0 or more",
              "write --frozen-hours 8 (hours from now in which operations keep their place)")
        _fail(p, "frozen hours must be 0 or more")
    overrides = {k: v for k, v in (("time_limit_s", time_limit_s), ("seed", seed)) if v is not None}
    params = params.replace(**overrides)
    say("loading the dataset")
    ds = _load(manifest, run_dir, source)
    ds, progress_note = _progress_to(ds, now)
    planned_ids = tuple(planned.order_id[planned.order_type == "make"]) if planned is not None and len(planned) else ()
    problems = check_scenario(scenario, ds, planned_orders=planned_ids)
    errors = problems[problems.severity == "error"]
    if len(errors):
        file = Path(scenario.source).name if scenario.source else scenario.name
        raise InputError(f"{len(errors)} problem(s) in scenario {file}", problems)
    say(f"applying {scenario.name}: " + "; ".join(scenario.describe()))
    after = apply_scenario(ds, scenario, check=False)
    settings = schedule_settings(params)
    horizon = settings.horizon_days
    orders_before = build_orders(ds, plan_start, horizon, planned)
    planned_after = planned
    from planlib.scenario import QuantityChange

    for c in scenario.changes:
        if isinstance(c, QuantityChange) and planned is not None and c.order in set(planned.order_id):
            planned_after = planned_after.assign(qty=planned_after.qty.where(planned_after.order_id != c.order,
                                                                            float(c.qty)))
    orders = build_orders(after, plan_start, horizon, planned_after)
    # a rush order line is made to order: a production order of its own, released now
    routed = set(after.routings.item_id)
    new_lines = after.demand[~after.demand.order_id.isin(ds.demand.order_id)]
    notes = [progress_note]
    for line in new_lines.itertuples():
        if line.item_id not in routed:
            notes.append(f"rush order {line.order_id} is for {line.item_id}, which has no routing: nothing to schedule")
            continue
        prio = int(line.priority) if pd.notna(line.priority) else 1
        orders = rush_order(orders, line.order_id, line.item_id, line.qty, line.due_date, now, prio)
    material = material_supply(after, orders, plan_start, planned_after, pegging)
    crews = absence_crews(after, scenario, now, previous.end.max())
    if crews:
        notes.append("operator absence: " + ", ".join(f"{wc} {n:g} operator(s)" for wc, n in sorted(crews.items())
                                                      if any(getattr(c, "work_center", None) == wc
                                                             for c in scenario.changes))
                     + " to share for the rest of the schedule (one headcount per work center)")
    say(f"rescheduling from {now:%Y-%m-%d %H:%M} ({frozen_hours:g} h frozen)")
    rr = reschedule(after, orders, previous, now, settings, plan_start=plan_start, frozen_hours=frozen_hours,
                    material=material, crews=crews or None, previous_orders=orders_before)
    res = rr.result
    p = res.problem
    violations = check_schedule(res.schedule, p.plan_start, p.calendar_intervals, after.setup_matrix, rr.frozen,
                                after.machines, crews=crews or None, material=res.material)
    if len(violations):
        raise RuntimeError(f"the revised schedule breaks {len(violations)} rule(s), first: "
                           f"{violations.iloc[0].to_dict()}")
    say("checked: the revised schedule keeps every rule")
    moves = _explain(rr.moves, previous, scenario, crews)
    orders_table = order_changes(previous, res.schedule, rr.done)
    return Revision(scenario=scenario, now=now, week=str(manifest.get("week", "")), schedule=res.schedule,
                    moves=moves, orders=orders_table, kpis=revision_kpis(orders_table, moves), frozen=rr.frozen,
                    done=rr.done, result=rr,
                    dataset=after, notes=tuple(notes))


# --------------------------------------------------------------------------- publishing

def _fmt(t) -> str:
    return "" if pd.isna(t) else pd.Timestamp(t).strftime("%a %d %b %H:%M")


def revision_page(revision: Revision, pages: list[str], table_suffix: str = ".csv") -> str:
    """The revision's ``index.html``: the disruption, the figures before and after, the orders
    that finish later and every move with its reason (plain HTML, prints on A4); it links the
    tables written with ``table_suffix`` (``.csv`` or ``.parquet``)."""
    e = html.escape
    rv = revision
    rows = "".join(
        f"<tr><td>{e(str(m.order_id))}</td><td>{m.op_seq}</td><td>{e(str(m.work_center_id))}</td>"
        f"<td>{e(str(m.old_machine_id))}</td><td>{e(str(m.new_machine_id))}</td><td>{_fmt(m.old_start)}</td>"
        f"<td>{_fmt(m.new_start)}</td><td class=num>{m.shift_h:+.1f}</td><td>{e(str(m.reason))}</td></tr>"
        for m in rv.moves.sort_values(["shift_h"], ascending=False).itertuples())
    later = rv.later_orders
    orders = "".join(
        f"<tr><td>{e(str(o.order_id))}</td><td>{e(str(o.item_id))}</td><td>{_fmt(o.due_date)[:10]}</td>"
        f"<td>{_fmt(o.end_before)}</td><td>{_fmt(o.end_after)}</td><td class=num>{o.delay_h:+.1f}</td>"
        f"<td>{'late' if o.late_after else 'on time'}</td></tr>" for o in later.itertuples())
    kpis = "".join(
        f"<tr><td>{e(k.kpi)}</td><td class=num>{'' if pd.isna(k.before) else f'{k.before:g}'}</td>"
        f"<td class=num>{'' if pd.isna(k.after) else f'{k.after:g}'}</td><td>{e(str(k.unit or ''))}</td></tr>"
        for k in rv.kpis.itertuples())
    links = " · ".join(f'<a href="{e(p)}">{e(p[:-5].replace("dispatch_", ""))}</a>' for p in pages)
    changes = "".join(f"<li>{e(d)}</li>" for d in rv.scenario.describe())
    notes = "".join(f"<li>{e(n)}</li>" for n in rv.notes)
    return f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>Revised schedule {e(rv.week)}: {e(rv.scenario.name)}</title>
<style>body{{font-family:sans-serif;margin:1.5em;max-width:70em}}table{{border-collapse:collapse;margin:.5em 0 1.5em}}
td,th{{border:1px solid #bbb;padding:.2em .5em;text-align:left}}.num{{text-align:right}}
@media print{{body{{margin:0}}}}</style></head><body>
<h1>Revised schedule {e(rv.week)}: {e(rv.scenario.name)}</h1>
<p><b>{e(rv.summary())}</b>. Revised at {rv.now:%a %d %b %Y %H:%M}; {len(rv.frozen)} operations kept in place,
{len(rv.done)} done. <a href="moves{table_suffix}">moves{table_suffix}</a> · <a href="schedule{table_suffix}">schedule{table_suffix}</a> ·
<a href="../index.html">all revisions</a></p>
<h2>What happened</h2><ul>{changes}</ul>
<h2>Key figures</h2><table><tr><th>figure</th><th>published</th><th>revised</th><th>unit</th></tr>{kpis}</table>
<h2>Orders that finish later ({len(later)})</h2>
<table><tr><th>order</th><th>item</th><th>due</th><th>published end</th><th>revised end</th><th>later [h]</th>
<th>now</th></tr>{orders}</table>
<h2>What moved, and why ({len(rv.moves)})</h2>
<table><tr><th>order</th><th>op</th><th>work center</th><th>machine was</th><th>machine now</th><th>start was</th>
<th>start now</th><th>shift [h]</th><th>why</th></tr>{rows}</table>
<h2>Work tickets</h2><p>{links or "none"}</p>
<h2>How it was computed</h2><ul>{notes}</ul>
</body></html>
"""


def write_revisions_index(revisions_dir) -> Path:
    """Write ``<run_dir>/revisions/index.html``: every revision of the run, newest first, with its
    time, disruption and summary (read from each revision's ``revision.json``); atomic.

    Returns
    -------
    Path
        The index page.
    """
    folder = Path(revisions_dir)
    rows = []
    for f in sorted(folder.glob("*/revision.json")):
        try:
            info = json.loads(f.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        rows.append((info.get("now", ""), f.parent.name, info))
    e = html.escape
    body = "".join(
        f'<tr><td>{e(now)}</td><td><a href="{e(name)}/index.html">{e(info.get("scenario", name))}</a></td>'
        f'<td>{e("; ".join(info.get("changes", [])))}</td><td>{e(info.get("summary", ""))}</td></tr>'
        for now, name, info in sorted(rows, reverse=True))
    page = f"""<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Schedule revisions</title>
<style>body{{font-family:sans-serif;margin:1.5em}}table{{border-collapse:collapse}}
td,th{{border:1px solid #bbb;padding:.2em .5em;text-align:left}}</style></head><body>
<h1>Schedule revisions of this week's run</h1>
<table><tr><th>revised at</th><th>disruption</th><th>changes</th><th>result</th></tr>{body}</table>
</body></html>
"""
    tmp = folder / ".index.html.tmp"
    tmp.write_text(page, encoding="utf-8")
    os.replace(tmp, folder / "index.html")
    return folder / "index.html"


def publish_revision(revision: Revision, run_dir, table_format: str = "csv") -> Path:
    """Write a revision beside the run's weekly schedule, all at once.

    ``<run_dir>/revisions/<slug>/`` (:attr:`Revision.slug`) gets ``schedule.csv`` (the revised
    schedule), ``moves.csv``, ``orders.csv``, ``kpis.csv`` (see :class:`Revision`), one
    printable work-ticket page ``dispatch_<work_center>.html`` per work center, ``index.html``
    (what moved and why) and ``revision.json``; the tables in ``table_format`` (``csv`` or
    ``parquet``, :func:`planlib.data.write_tables`); the folder is built in a temporary folder and
    moved in with ``os.replace`` (a revision of the same scenario and minute is replaced).
    Then ``<run_dir>/revisions/index.html`` lists every revision.

    Returns
    -------
    Path
        The revision's folder.
    """
    from planlib.data import TABLE_FORMATS, write_tables
    from planlib.pipeline import schedule_pages

    revisions = Path(run_dir) / "revisions"
    made = not revisions.exists()
    revisions.mkdir(exist_ok=True)
    final = revisions / revision.slug
    tmp = Path(tempfile.mkdtemp(prefix=f".{revision.slug}.tmp-", dir=revisions))
    old = None
    try:
        rr = revision.result
        pages = schedule_pages(rr.result, f"Revised {revision.now:%a %d %b %H:%M}: {revision.scenario.name}",
                               gantt=False, ds=revision.dataset) if rr is not None else {}
        info = {"scenario": revision.scenario.name, "now": f"{revision.now:%Y-%m-%d %H:%M}",
                "week": revision.week, "changes": revision.scenario.describe(), "summary": revision.summary(),
                "moved": len(revision.moves), "orders_later": len(revision.later_orders),
                "notes": list(revision.notes)}
        files = {**pages, "index.html": revision_page(revision, sorted(pages), TABLE_FORMATS[table_format]),
                 "revision.json": json.dumps(info, indent=2)}
        write_tables({"schedule": revision.schedule, "moves": revision.moves, "orders": revision.orders,
                      "kpis": revision.kpis}, tmp / "out", extra_files=files, table_format=table_format)
        staged = tmp / "out"
        if final.exists():
            old = revisions / f".{revision.slug}.old"
            shutil.rmtree(old, ignore_errors=True)
            os.replace(final, old)
        os.replace(staged, final)
    except BaseException:
        if old is not None and not final.exists():
            os.replace(old, final)  # the earlier revision of the same minute comes back
            old = None
        raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
        if made and not any(revisions.iterdir()):
            revisions.rmdir()  # a first revision that failed leaves no folder behind
    write_revisions_index(revisions)
    return final
