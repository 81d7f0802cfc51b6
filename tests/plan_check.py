"""An end-to-end plan checker, independent of the engines, run on a published run folder.

It reads what a planner receives, ``reports/<week>/<scenario>/`` (``mrp/pegging.csv``,
``mrp/planned_orders.csv``, ``schedule/schedule.csv``, ``schedule/dispatch_list.csv``,
``schedule/schedule_exceptions.csv``, ``manifest.json``), and the dataset the run planned, and
lists every broken rule:

``times``
    ``setup_start``, ``start`` and ``end`` of ``schedule.csv`` (and ``dispatch_list.csv``) are
    date-times that keep their time of day: a column of all midnights while the machines'
    working time begins or ends at another time of day (a 06:00 shift) lost it on the way.
``schedule.<rule>``
    :func:`planlib.schedule.check.check_schedule` of ``schedule.csv`` as read back, against
    the machines' working intervals laid out *here* from the dataset's calendars (shifts,
    overtime added, holidays/maintenance/breakdowns removed) and its setup matrix.
``missing``
    A make order MRP releases within the schedule horizon (``planned_orders.csv``,
    ``order_type == "make"``, ``release_date <= plan_start + horizon``) or an open production
    order (``scheduled_receipts``: ``released`` or ``in_progress``, or released within the
    horizon) with work left is not in ``schedule.csv`` and no *data error* in
    ``schedule_exceptions.csv`` names it. A data error is an ``error`` row about master data
    (:data:`DATA_TABLES`: a missing routing, a work center without machine, an uninterruptible
    operation longer than every shift ...); a component without supply is not one.
``material``
    For every scheduled order, every component supply MRP pegs to it (``pegging.csv`` rows with
    ``demand_type == "dependent"`` and ``demand_id`` the order) is available when the operation
    that consumes the components starts its run (its setup may be done before). That operation is
    the first of the routing, or the first flagged in a ``routings.consumes_material`` column
    where the dataset has one (the first scheduled one if it is already done). On hand is
    available at the plan start, a purchase order (open or planned) at its due date, a make
    order at its last operation's end in ``schedule.csv`` (its due date when it is not
    scheduled). A component pegged to ``shortage`` is a violation too. Released and in-progress
    production orders are not checked (their material was issued at release).

Independent by design, like :mod:`planlib.schedule.check`: nothing here imports planlib's
planning code (forecast, MRP, schedule model, calendar); it uses only the table reader
(:func:`planlib.data.read_table`, :func:`planlib.data.load`) and the independent schedule checker.

Command line: ``python tests/plan_check.py RUN_DIR DATASET`` prints the violations; exit code 0
when there are none, 1 when there are, 2 when a file is missing.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

import pandas as pd

from planlib.data import Dataset, load, read_table
from planlib.params import PlanParams
from planlib.schedule.check import check_schedule

VIOLATION_COLUMNS = ["rule", "order_id", "op_seq", "detail"]
#: Tables whose errors are data errors: an order they keep out of the schedule is excused.
DATA_TABLES = ("items", "bom", "routings", "work_centers", "machines", "calendars", "calendar_exceptions",
               "setup_matrix", "operations_progress")
_OFF = ("holiday", "maintenance", "breakdown")


class RunFolderError(Exception):
    """A file the checker needs is missing from the run folder."""


def check_plan(run_dir, dataset, *, plan_start=None, horizon_days: int | None = None) -> pd.DataFrame:
    """Every broken rule of a published plan; an empty table means the plan is coherent.

    Parameters
    ----------
    run_dir : path
        ``reports/<week>/<scenario>/``: the run folder ``planlib run`` published.
    dataset : path or Dataset
        The dataset the run planned (a source :func:`planlib.data.load` reads, or the Dataset), as
        of the plan start: a snapshot with execution records since (docs/weekly-loop.md) is given
        with them applied (:func:`planlib.validate.planning_dataset`); the checker does not apply
        them itself, to stay independent of the engines.
    plan_start : datetime-like, optional
        Default: ``plan_start`` of the run's ``manifest.json``.
    horizon_days : int, optional
        The schedule horizon [days]. Default: ``schedule_horizon_days`` of the manifest (at the
        top or under ``params``), else :class:`planlib.params.PlanParams`' default.

    Returns
    -------
    DataFrame
        Columns ``rule`` (``times``, ``schedule.<rule of check_schedule>``, ``missing``,
        ``material``), ``order_id``, ``op_seq`` (the operation concerned, if one), ``detail``.

    Raises
    ------
    RunFolderError
        When a file the checks need is not in the run folder.
    """
    run_dir = Path(run_dir)
    ds = dataset if isinstance(dataset, Dataset) else load(dataset)
    manifest = _manifest(run_dir)
    t0 = pd.Timestamp(plan_start if plan_start is not None else manifest.get("plan_start"))
    if pd.isna(t0):
        raise RunFolderError(f"{run_dir}/manifest.json: no plan_start; give plan_start=")
    horizon = horizon_days if horizon_days is not None else _horizon(manifest)
    schedule = _read(run_dir / "schedule" / "schedule.csv")
    pegging = _read(run_dir / "mrp" / "pegging.csv")
    planned = _read(run_dir / "mrp" / "planned_orders.csv")
    exc_path = run_dir / "schedule" / "schedule_exceptions.csv"
    exceptions = read_table(exc_path) if exc_path.exists() else pd.DataFrame(columns=["severity", "table", "row",
                                                                                        "problem"])
    bad: list = []
    end = t0 + pd.Timedelta(days=max(2 * horizon, 28))
    if len(schedule) and pd.api.types.is_datetime64_any_dtype(schedule.end):
        end = max(end, schedule.end.max().normalize() + pd.Timedelta(days=2))
    intervals = working_intervals(ds, t0 - pd.Timedelta(days=1), end)

    bad += _times(schedule, "schedule.csv", intervals)
    dispatch_path = run_dir / "schedule" / "dispatch_list.csv"
    if dispatch_path.exists():
        bad += _times(read_table(dispatch_path), "dispatch_list.csv", intervals)
    if all(pd.api.types.is_datetime64_any_dtype(schedule[c]) for c in ("setup_start", "start", "end")):
        sch = schedule.dropna(subset=["setup_start", "start", "end"])  # reported under times
        sch = sch.assign(family=sch.family.fillna("")) if "family" in sch else sch
        found = check_schedule(sch, t0, intervals, ds.setup_matrix, machines=ds.machines)
        bad += [(f"schedule.{r.rule}", r.order_id, int(r.op_seq), f"{r.machine_id}: {r.detail}")
                for r in found.itertuples()]
    bad += _missing(schedule, planned, exceptions, ds, t0, horizon)
    bad += _material(schedule, pegging, planned, ds, t0)
    out = pd.DataFrame(bad, columns=VIOLATION_COLUMNS)
    out["op_seq"] = out.op_seq.astype("Int64")
    return out


# --------------------------------------------------------------------------- inputs

def _read(path: Path) -> pd.DataFrame:
    if not path.exists():
        raise RunFolderError(f"{path} is missing: the run folder is incomplete (run `planlib run` again)")
    return read_table(path)


def _manifest(run_dir: Path) -> dict:
    path = run_dir / "manifest.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}


def _horizon(manifest: dict) -> int:
    for where in (manifest, manifest.get("params") or {}, manifest.get("parameters") or {}):
        if isinstance(where, dict) and where.get("schedule_horizon_days") is not None:
            return int(where["schedule_horizon_days"])
    return PlanParams().schedule_horizon_days


# --------------------------------------------------------------------------- working time

def _union(pairs: list) -> list:
    out: list = []
    for s, e in sorted(p for p in pairs if p[1] > p[0]):
        if out and s <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], e))
        else:
            out.append((s, e))
    return out


def _minus(work: list, off: list) -> list:
    out = []
    for s, e in work:
        for a, b in off:
            if b <= s or a >= e:
                continue
            if a > s:
                out.append((s, a))
            s = max(s, b)
            if s >= e:
                break
        if s < e:
            out.append((s, e))
    return out


def working_intervals(ds: Dataset, start, end) -> pd.DataFrame:
    """Working time of every machine in ``[start, end)``, laid out from the calendars alone.

    A machine works by its own ``calendar_id``, else its work center's: the calendar's shifts
    (an ``end_time`` not after ``start_time`` runs past midnight), plus ``overtime`` windows of
    ``calendar_exceptions`` naming its calendar or the machine, less their holiday, maintenance
    and breakdown windows (time off wins over overtime).

    Returns
    -------
    DataFrame
        ``machine_id, start, end`` (timestamps), disjoint and sorted per machine.
    """
    start, end = pd.Timestamp(start), pd.Timestamp(end)
    days = pd.date_range(start.normalize() - pd.Timedelta(days=1), end.normalize(), freq="D")
    shifts: dict = {}
    for cid, wd, a, b in zip(ds.calendars.calendar_id, ds.calendars.weekday, ds.calendars.start_time,
                             ds.calendars.end_time):
        if pd.isna(wd) or pd.isna(a) or pd.isna(b):
            continue
        hours = b - a if b > a else b + 24 - a
        for day in days[days.weekday == int(wd)]:
            s = day + pd.Timedelta(hours=float(a))
            shifts.setdefault(cid, []).append((s, s + pd.Timedelta(hours=float(hours))))
    wc_cal = dict(zip(ds.work_centers.work_center_id, ds.work_centers.calendar_id))
    ex = ds.calendar_exceptions
    rows = []
    for mid, wid, own in zip(ds.machines.machine_id, ds.machines.work_center_id, ds.machines.calendar_id):
        cid = own if isinstance(own, str) and own else wc_cal.get(wid)
        mine = ex[(ex.machine_id == mid) | (ex.calendar_id == cid)]
        extra = list(zip(mine.start[mine.kind == "overtime"], mine.end[mine.kind == "overtime"]))
        off = _union(list(zip(mine.start[mine.kind.isin(_OFF)], mine.end[mine.kind.isin(_OFF)])))
        for s, e in _minus(_union(shifts.get(cid, []) + extra), off):
            s, e = max(s, start), min(e, end)
            if e > s:
                rows.append((mid, s, e))
    return pd.DataFrame(rows, columns=["machine_id", "start", "end"])


# --------------------------------------------------------------------------- rules

def _times(table: pd.DataFrame, name: str, intervals: pd.DataFrame) -> list:
    """Date-time columns read back as date-times, keeping their time of day."""
    bad = []
    shifted = bool(len(intervals)) and bool(
        ((intervals.start != intervals.start.dt.normalize()) | (intervals.end != intervals.end.dt.normalize())).any())
    for col in ("setup_start", "start", "end"):
        if col not in table or not len(table):
            continue
        s = table[col]
        if not pd.api.types.is_datetime64_any_dtype(s):
            bad.append(("times", None, None, f"{name} column {col} is not a date-time: {s.iloc[0]!r}"))
            continue
        if s.isna().any():
            bad.append(("times", table.order_id[s.isna()].iloc[0] if "order_id" in table else None, None,
                        f"{name} column {col}: {int(s.isna().sum())} value(s) empty or not a date-time"))
        if shifted and (s.dropna() == s.dropna().dt.normalize()).all():
            bad.append(("times", None, None,
                        f"{name} column {col} holds only midnights ({s.iloc[0]:%Y-%m-%d %H:%M} ...) while the "
                        "machines' shifts start or end at other times of day: the time of day was lost"))
    return bad


def _excuses(exceptions: pd.DataFrame) -> dict:
    """Order id -> (is a data error, text), from schedule_exceptions.csv."""
    out: dict = {}
    if not len(exceptions):
        return out
    sev = exceptions.severity if "severity" in exceptions else pd.Series("error", index=exceptions.index)
    for s, table, row, text in zip(sev, exceptions.table, exceptions.row.astype(str), exceptions.problem.astype(str)):
        named = {row} | {w.rstrip(":,;") for a, w in zip(text.split(), text.split()[1:]) if a == "order"}
        data_error = s == "error" and table in DATA_TABLES
        for oid in named:
            if oid not in out or data_error:
                out[oid] = (data_error, text)
    return out


def _missing(schedule, planned, exceptions, ds: Dataset, t0, horizon: int) -> list:
    end = t0 + pd.Timedelta(days=horizon)
    expected = []
    make = planned[(planned.order_type == "make") & (planned.release_date.fillna(t0) <= end)]
    expected += [(o, i, f"MRP's make order released {r:%Y-%m-%d}") for o, i, r in
                 zip(make.order_id, make.item_id, make.release_date.fillna(t0))]
    sr = ds.scheduled_receipts
    sr = sr[(sr.order_type == "production") & (sr.status.isin(["released", "in_progress"])
                                               | (sr.release_date.fillna(t0) <= end))]
    done = ds.operations_progress[ds.operations_progress.status == "done"]
    done = done.groupby("order_id").op_seq.apply(set).to_dict()
    route = ds.routings.groupby("item_id").op_seq.apply(set).to_dict()
    for o, i, st in zip(sr.order_id, sr.item_id, sr.status):
        if route.get(i) and route[i] <= done.get(o, set()):
            continue  # every operation done: nothing left to schedule
        expected.append((o, i, f"open production order ({st})"))
    scheduled = set(schedule.order_id)
    excuses = _excuses(exceptions)
    bad = []
    for oid, item, what in expected:
        if oid in scheduled:
            continue
        data_error, text = excuses.get(oid, (False, ""))
        if data_error:
            continue
        said = f"; schedule_exceptions.csv says: {text}" if text else "; schedule_exceptions.csv does not name it"
        bad.append(("missing", oid, None, f"{what}, item {item}, is not in schedule.csv{said}"))
    return bad


def _consuming_operations(routings: pd.DataFrame) -> dict:
    """``item_id -> op_seq`` consuming the components: the first operation of the routing, or the
    first one flagged in a ``consumes_material`` column where the routings have one."""
    r = routings.sort_values(["item_id", "op_seq"])
    if "consumes_material" in r:
        flagged = r[r.consumes_material.astype("boolean").fillna(False).astype(bool)]
        r = pd.concat([flagged, r])
    return {i: int(s) for i, s in zip(*r.groupby("item_id").op_seq.first().reset_index().values.T)}


def _material(schedule, pegging, planned, ds: Dataset, t0) -> list:
    if not len(schedule):
        return []
    consume = _consuming_operations(ds.routings)
    ordered = schedule.sort_values(["order_id", "op_seq"])
    at = ordered.op_seq == ordered.item_id.map(consume)
    first = pd.concat([ordered[at], ordered]).groupby("order_id").head(1).set_index("order_id")
    done = schedule.groupby("order_id").end.max()
    due = dict(zip(planned.order_id, planned.due_date))
    sr = ds.scheduled_receipts
    issued = set(sr.order_id[(sr.order_type == "production") & sr.status.isin(["released", "in_progress"])])
    dep = pegging[(pegging.demand_type == "dependent") & pegging.demand_id.isin(first.index)
                  & ~pegging.demand_id.isin(issued)]
    dep = dep.groupby(["demand_id", "item_id", "supply_type", "supply_id"], as_index=False, dropna=False).agg(
        supply_date=("supply_date", "max"), qty=("qty", "sum"))
    bad = []
    for oid, comp, stype, sid, sdate, qty in zip(dep.demand_id, dep.item_id, dep.supply_type, dep.supply_id,
                                                 dep.supply_date, dep.qty):
        op = first.loc[oid]
        start = pd.Timestamp(op.start)
        if stype == "none":
            bad.append(("material", oid, int(op.op_seq), f"no supply for {qty:g} of component {comp}"))
            continue
        if stype == "on_hand":
            when, how = t0, "on hand"
        elif sid in done.index:
            when, how = done[sid], "its last operation ends"
        else:
            when = sdate if pd.notna(sdate) else due.get(sid, pd.NaT)
            how = "due"
        if pd.isna(when):
            bad.append(("material", oid, int(op.op_seq), f"component {comp} from {sid}: no date to check"))
        elif when > start:
            bad.append(("material", oid, int(op.op_seq),
                        f"component {comp} from {sid} ({how} {when:%Y-%m-%d %H:%M}) is not there when op "
                        f"{int(op.op_seq)} starts {start:%Y-%m-%d %H:%M}"))
    return bad


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 2:
        print("usage: python tests/plan_check.py RUN_DIR DATASET", file=sys.stderr)
        return 2
    try:
        found = check_plan(argv[0], argv[1])
    except RunFolderError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    if found.empty:
        print("plan check: no violations")
        return 0
    with pd.option_context("display.max_rows", 200, "display.max_colwidth", 160, "display.width", 250):
        print(found.to_string(index=False))
    print(f"plan check: {len(found)} violation(s): " + ", ".join(
        f"{k} {v}" for k, v in found.rule.value_counts().items()))
    return 1


if __name__ == "__main__":
    sys.exit(main())


__all__ = ["DATA_TABLES", "RunFolderError", "VIOLATION_COLUMNS", "check_plan", "working_intervals"]
