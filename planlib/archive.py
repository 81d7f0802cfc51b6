"""The plan archive: every weekly run's plan, and what changed since last week.

Each run appends its planned orders, schedule, exceptions and KPIs to one
DuckDB file (``reports/archive.duckdb``), keyed by ISO week and scenario; a
re-run of the same week and scenario replaces that week's rows. The pure
functions :func:`compare_orders` and :func:`compare_schedule` say what changed
between two plans, so the weekly report can explain the plan to supervisors,
vendors and customers.
"""
from __future__ import annotations

import json
import re
import time
from pathlib import Path

import numpy as np
import pandas as pd

ARCHIVED_TABLES = ("planned_orders", "schedule", "exceptions", "kpis")


class ArchiveBusy(RuntimeError):
    """The archive file is held open by another program (DuckDB allows one writer process)."""


def _connect(path: str | Path, wait_s: float = 10.0):
    """A connection to the archive, waiting up to ``wait_s`` for another process to let go of it."""
    import duckdb

    Path(path).parent.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + wait_s
    while True:
        try:
            return duckdb.connect(str(path))
        except duckdb.IOException as exc:
            if "lock" not in str(exc).lower():
                raise
            if time.monotonic() >= deadline:
                holder = re.search(r"PID (\d+)", str(exc))
                raise ArchiveBusy(
                    f"the plan archive {path} is open in another program"
                    + (f" (process {holder.group(1)})" if holder else "")
                    + f"; waited {wait_s:g} s: close that program (a notebook or a DuckDB shell) and run again"
                ) from None
            time.sleep(0.2)


def _ensure(con, name: str, frame: pd.DataFrame) -> None:
    """Create ``name`` like ``frame`` (plus week, scenario), or add the columns it lacks."""
    con.register("_frame", frame)
    exists = con.execute("select count(*) from information_schema.tables where table_name = ?", [name]).fetchone()[0]
    if not exists:
        con.execute(f'create table "{name}" as select cast(null as varchar) as week, '
                    f'cast(null as varchar) as scenario, * from _frame limit 0')
    else:
        have = {r[0] for r in con.execute(f'describe "{name}"').fetchall()}
        types = {r[0]: r[1] for r in con.execute("describe _frame").fetchall()}
        for col in frame.columns:
            if col not in have:
                con.execute(f'alter table "{name}" add column "{col}" {types[col]}')
    con.unregister("_frame")


def archive_run(path: str | Path, week: str, scenario: str, tables: dict[str, pd.DataFrame],
                manifest: dict | None = None) -> None:
    """Store a run's tables in the archive, replacing an earlier run of the same week and scenario.

    Parameters
    ----------
    path : path
        The DuckDB file (created if absent).
    week : str
        ISO week of the plan, ``2026-W48``.
    scenario : str
        ``base`` or the scenario's name.
    tables : dict of DataFrame
        Any of ``planned_orders, schedule, exceptions, kpis`` (others are ignored).
    manifest : dict, optional
        Stored as JSON in the ``runs`` table.
    """
    stage_run(path, week, scenario, tables, manifest).commit()


class StagedRun:
    """A run written into the archive inside an open transaction: nobody sees it until :meth:`commit`.

    The weekly run stages the archive rows, publishes the run folder, then commits
    (:func:`planlib.pipeline.run_week`); :meth:`rollback` (or a killed process, whose
    open transaction DuckDB discards) leaves the archive as it was.
    """

    def __init__(self, con) -> None:
        self._con = con

    def commit(self) -> None:
        try:
            self._con.execute("commit")
        finally:
            self._close()

    def rollback(self) -> None:
        try:
            self._con.execute("rollback")
        except Exception:  # already rolled back by a failed commit
            pass
        finally:
            self._close()

    def _close(self) -> None:
        if self._con is not None:
            self._con.close()
            self._con = None


def stage_run(path: str | Path, week: str, scenario: str, tables: dict[str, pd.DataFrame],
              manifest: dict | None = None) -> StagedRun:
    """Write a run's rows (as :func:`archive_run`) in a transaction left open: commit or roll it back.

    Returns
    -------
    StagedRun
    """
    con = _connect(path)
    try:
        con.execute("begin")
        con.execute("create table if not exists runs (week varchar, scenario varchar, archived_at timestamp, "
                    "manifest varchar)")
        con.execute("delete from runs where week = ? and scenario = ?", [week, scenario])
        con.execute("insert into runs values (?, ?, current_timestamp, ?)",
                    [week, scenario, json.dumps(manifest or {}, default=str)])
        for name in ARCHIVED_TABLES:
            frame = tables.get(name)
            if frame is None:
                continue
            frame = frame.copy()
            for col in frame.columns:  # DuckDB cannot store Python objects of mixed type
                if frame[col].dtype == object:
                    frame[col] = frame[col].astype("string")
            _ensure(con, name, frame)
            con.execute(f'delete from "{name}" where week = ? and scenario = ?', [week, scenario])
            if len(frame):
                con.register("_frame", frame.assign(week=week, scenario=scenario))
                con.execute(f'insert into "{name}" by name select * from _frame')
                con.unregister("_frame")
    except BaseException:
        try:
            con.execute("rollback")
        finally:
            con.close()
        raise
    return StagedRun(con)


def run_ids(path: str | Path) -> dict[tuple[str, str], str]:
    """``run_id`` of the manifest of every archived run, keyed by ``(week, scenario)`` ("" if it has none)."""
    if not Path(path).exists():
        return {}
    con = _connect(path)
    try:
        rows = con.execute("select week, scenario, manifest from runs").fetchall()
    except Exception:  # an archive without runs yet
        rows = []
    finally:
        con.close()
    out = {}
    for week, scenario, manifest in rows:
        try:
            out[(week, scenario)] = str(json.loads(manifest or "{}").get("run_id", ""))
        except ValueError:
            out[(week, scenario)] = ""
    return out


def weeks(path: str | Path, scenario: str = "base") -> list[str]:
    """Archived weeks of a scenario, oldest first."""
    if not Path(path).exists():
        return []
    con = _connect(path)
    try:
        rows = con.execute("select week from runs where scenario = ? order by week", [scenario]).fetchall()
    except Exception:  # an archive without runs yet
        rows = []
    finally:
        con.close()
    return [r[0] for r in rows]


def read_run(path: str | Path, week: str, scenario: str = "base") -> dict[str, pd.DataFrame]:
    """The archived tables of one run (empty dict if the run is not archived)."""
    if week not in weeks(path, scenario):
        return {}
    con = _connect(path)
    try:
        out = {}
        for name in ARCHIVED_TABLES:
            try:
                frame = con.execute(f'select * from "{name}" where week = ? and scenario = ?',
                                    [week, scenario]).df()
            except Exception:  # table never written
                continue
            out[name] = frame.drop(columns=["week", "scenario"])
        if "kpis" in out:  # values are stored as text (numbers and statuses share the column)
            out["kpis"]["value"] = out["kpis"].value.map(_number_or_text)
        return out
    finally:
        con.close()


def _number_or_text(value):
    try:
        return float(value)
    except (TypeError, ValueError):
        return value


def previous_week(path: str | Path, week: str, scenario: str = "base") -> str | None:
    """The latest archived week before ``week``, or None."""
    earlier = [w for w in weeks(path, scenario) if w < week]
    return earlier[-1] if earlier else None


def kpi_history(path: str | Path, scenario: str = "base") -> pd.DataFrame:
    """KPIs of every archived week: columns ``week, kpi, value, unit``."""
    if not weeks(path, scenario):
        return pd.DataFrame(columns=["week", "kpi", "value", "unit"])
    con = _connect(path)
    try:
        frame = con.execute("select * from kpis where scenario = ? order by week", [scenario]).df()
    finally:
        con.close()
    return frame.drop(columns=["scenario"])


def compare_orders(previous: pd.DataFrame, current: pd.DataFrame, tolerance_days: int = 28) -> pd.DataFrame:
    """What changed in the planned orders between two plans.

    Planned orders get new numbers in every run, so orders are matched per item
    and order type by due date: each current order takes the nearest
    unmatched previous order within ``tolerance_days``.

    Parameters
    ----------
    previous, current : DataFrame
        ``planned_orders`` tables: ``order_id, item_id, order_type, qty, release_date, due_date``.
    tolerance_days : int
        Largest due-date move still seen as the same order moved.

    Returns
    -------
    DataFrame
        Columns ``change (new|cancelled|moved_in|moved_out|qty_changed), item_id, order_type,
        order_id, previous_order_id, qty, previous_qty, due_date, previous_due_date,
        days_moved, message``; unchanged orders are left out.
    """
    cols = ["change", "item_id", "order_type", "order_id", "previous_order_id", "qty", "previous_qty",
            "due_date", "previous_due_date", "days_moved", "message"]
    rows = []
    prev = previous.assign(due_date=pd.to_datetime(previous.due_date))
    cur = current.assign(due_date=pd.to_datetime(current.due_date))
    prev_groups = {k: g.sort_values("due_date") for k, g in prev.groupby(["item_id", "order_type"])}
    cur_groups = {k: g.sort_values("due_date") for k, g in cur.groupby(["item_id", "order_type"])}
    for key in sorted(set(prev_groups) | set(cur_groups)):
        p = prev_groups.get(key, prev.iloc[0:0])
        c = cur_groups.get(key, cur.iloc[0:0])
        used = np.zeros(len(p), dtype=bool)
        p_due = p.due_date.to_numpy()
        for _, row in c.iterrows():
            gap = np.abs((p_due - np.datetime64(row.due_date)) / np.timedelta64(1, "D")).astype(float)
            gap[used] = np.inf
            k = int(np.argmin(gap)) if len(gap) else -1
            if k < 0 or gap[k] > tolerance_days:
                rows.append(dict(change="new", item_id=key[0], order_type=key[1], order_id=row.order_id,
                                 qty=row.qty, due_date=row.due_date,
                                 message=f"New {key[1]} order for {row.qty:g} {key[0]} due {row.due_date:%Y-%m-%d}."))
                continue
            used[k] = True
            old = p.iloc[k]
            days = int((row.due_date - old.due_date).days)
            base = dict(item_id=key[0], order_type=key[1], order_id=row.order_id, previous_order_id=old.order_id,
                        qty=row.qty, previous_qty=old.qty, due_date=row.due_date, previous_due_date=old.due_date,
                        days_moved=days)
            if days < 0:
                rows.append(dict(base, change="moved_in", message=(
                    f"{key[0]}: order due {old.due_date:%Y-%m-%d} is now due {row.due_date:%Y-%m-%d} "
                    f"({-days} days earlier).")))
            elif days > 0:
                rows.append(dict(base, change="moved_out", message=(
                    f"{key[0]}: order due {old.due_date:%Y-%m-%d} is now due {row.due_date:%Y-%m-%d} "
                    f"({days} days later).")))
            if not np.isclose(row.qty, old.qty):
                rows.append(dict(base, change="qty_changed", message=(
                    f"{key[0]}: order due {row.due_date:%Y-%m-%d} changed from {old.qty:g} to {row.qty:g}.")))
        for k in np.flatnonzero(~used):
            old = p.iloc[k]
            rows.append(dict(change="cancelled", item_id=key[0], order_type=key[1], previous_order_id=old.order_id,
                             previous_qty=old.qty, previous_due_date=old.due_date,
                             message=f"{key[1].capitalize()} order for {old.qty:g} {key[0]} due "
                                     f"{old.due_date:%Y-%m-%d} is no longer needed."))
    return pd.DataFrame(rows, columns=cols)


def compare_schedule(previous: pd.DataFrame, current: pd.DataFrame) -> pd.DataFrame:
    """Operations whose machine or start moved between two schedules.

    Parameters
    ----------
    previous, current : DataFrame
        ``schedule`` tables with ``order_id, op_seq, machine_id, start, end``.

    Returns
    -------
    DataFrame
        Columns ``order_id, op_seq, change (new|dropped|moved|machine_changed), machine_id,
        previous_machine_id, start, previous_start, hours_moved``.
    """
    cols = ["order_id", "op_seq", "change", "machine_id", "previous_machine_id", "start", "previous_start",
            "hours_moved"]
    if previous is None or current is None:
        return pd.DataFrame(columns=cols)
    key = ["order_id", "op_seq"]
    a = previous[key + ["machine_id", "start"]].rename(columns={"machine_id": "previous_machine_id",
                                                                "start": "previous_start"})
    b = current[key + ["machine_id", "start"]]
    m = b.merge(a, on=key, how="outer", indicator=True)
    m["start"] = pd.to_datetime(m.start)
    m["previous_start"] = pd.to_datetime(m.previous_start)
    m["hours_moved"] = (m.start - m.previous_start).dt.total_seconds() / 3600
    m["change"] = np.select(
        [m._merge == "left_only", m._merge == "right_only", m.machine_id != m.previous_machine_id,
         m.hours_moved.abs() > 1e-9],
        ["new", "dropped", "machine_changed", "moved"], default="")
    return m[m.change != ""][cols].sort_values(key).reset_index(drop=True)
