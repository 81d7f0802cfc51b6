"""The plan archive: every weekly run's plan, and what changed since last week.

Each run appends its planned orders, schedule, exceptions and KPIs to one
DuckDB file (``reports/archive.duckdb``), keyed by ISO week and scenario; a
re-run of the same week and scenario replaces that week's rows. :func:`weeks`,
:func:`previous_week`, :func:`read_run` and :func:`kpi_history` read it back;
:func:`same_inputs` tells a run that read the same input files as last week's.

What changed between two weeks' plans (order identity across weeks, order and
schedule changes, in words) is computed by :mod:`planlib.compare`.
"""
from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pandas as pd

__all__ = ["ARCHIVED_TABLES", "ArchiveBusy", "StagedRun", "archive_run", "kpi_history", "previous_week", "read_run",
           "run_ids", "run_manifest", "same_inputs", "stage_run", "weeks"]

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

    Parameters
    ----------
    path : path
        The DuckDB file (created if absent).
    week : str
        ISO week of the plan, ``2026-W48``.
    scenario : str
        ``base`` or the scenario's name.
    tables : dict of DataFrame
        Any of ``planned_orders, schedule, exceptions, kpis`` (others are ignored), each with
        the columns (and units) of the run's output table of that name; each is stored as it is,
        plus columns ``week, scenario``, replacing the rows of an earlier run of the same week and
        scenario. Object columns are stored as text.
    manifest : dict, optional
        Stored as JSON in the ``runs`` table (``week, scenario, archived_at, manifest``).

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
    """``run_id`` of the manifest of every archived run.

    Parameters
    ----------
    path : path
        The DuckDB archive (absent: no runs).

    Returns
    -------
    dict
        ``(week, scenario)`` -> ``run_id`` ("" for a manifest without one).
    """
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


def run_manifest(path: str | Path, week: str, scenario: str = "base") -> dict:
    """The manifest archived with a run.

    Parameters
    ----------
    path : path
        The DuckDB archive.
    week, scenario : str
        ``2026-W48`` and ``base`` or the scenario's name.

    Returns
    -------
    dict
        The manifest (``{}`` if the run or its manifest is not there, or is not a JSON object).
    """
    if not Path(path).exists():
        return {}
    con = _connect(path)
    try:
        row = con.execute("select manifest from runs where week = ? and scenario = ?", [week, scenario]).fetchone()
    except Exception:  # an archive without runs yet
        row = None
    finally:
        con.close()
    try:
        out = json.loads(row[0] or "{}") if row else {}
    except ValueError:
        return {}
    return out if isinstance(out, dict) else {}


def same_inputs(manifest: dict, inputs_sha256: dict) -> bool:
    """Whether a run read byte for byte the same input files as an archived one.

    Parameters
    ----------
    manifest : dict
        The archived run's manifest (:func:`run_manifest`), with ``inputs_sha256``.
    inputs_sha256 : dict
        File name -> SHA-256 of this run's input files (empty for a database source).

    Returns
    -------
    bool
        True when both are equal and not empty (a database source has no checksums: False).
    """
    before = manifest.get("inputs_sha256") if isinstance(manifest, dict) else None
    return bool(inputs_sha256) and isinstance(before, dict) and before == inputs_sha256


def weeks(path: str | Path, scenario: str = "base") -> list[str]:
    """Archived weeks of a scenario.

    Parameters
    ----------
    path : path
        The DuckDB archive (absent: none).
    scenario : str
        ``base`` or the scenario's name.

    Returns
    -------
    list of str
        ISO weeks (``2026-W48``), oldest first.
    """
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
    """The archived tables of one run.

    Parameters
    ----------
    path : path
        The DuckDB archive.
    week, scenario : str
        ``2026-W48`` and ``base`` or the scenario's name.

    Returns
    -------
    dict of DataFrame
        Those of :data:`ARCHIVED_TABLES` the run stored, with the columns they were archived with
        (text columns as ``string``; ``kpis.value`` a number where it reads as one, else text);
        empty if the run is not archived.
    """
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
    """The latest archived week before ``week``.

    Parameters
    ----------
    path : path
        The DuckDB archive.
    week, scenario : str
        ``2026-W48`` and ``base`` or the scenario's name.

    Returns
    -------
    str or None
        The ISO week, or None if none was archived before ``week``.
    """
    earlier = [w for w in weeks(path, scenario) if w < week]
    return earlier[-1] if earlier else None


def kpi_history(path: str | Path, scenario: str = "base") -> pd.DataFrame:
    """KPIs of every archived week of a scenario, for the KPI trend.

    Parameters
    ----------
    path : path
        The DuckDB archive.
    scenario : str
        ``base`` or the scenario's name.

    Returns
    -------
    DataFrame
        ``week`` and the archived ``kpis`` columns (``kpi, label, value, unit`` ...; ``value`` as
        stored, text), oldest week first; ``week, kpi, value, unit`` and no row when nothing is archived.
    """
    if not weeks(path, scenario):
        return pd.DataFrame(columns=["week", "kpi", "value", "unit"])
    con = _connect(path)
    try:
        frame = con.execute("select * from kpis where scenario = ? order by week", [scenario]).df()
    finally:
        con.close()
    return frame.drop(columns=["scenario"])
