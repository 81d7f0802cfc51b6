"""The plan archive: every weekly run's plan, and what changed since last week.

Each run appends its planned orders, schedule, exceptions and KPIs to one
DuckDB file (``reports/archive.duckdb``), keyed by ISO week and scenario; a
re-run of the same week and scenario replaces that week's rows. The pure
functions :func:`compare_orders` and :func:`compare_schedule` say what changed
between two plans, so the weekly report can explain the plan to supervisors,
vendors and customers: :func:`compare_orders` keeps an order's identity across
weeks (planned orders by item and due date, released orders by id) and ranks the
changes by value; :func:`summarize_changes` says it in one sentence;
:func:`same_inputs` tells a run that read the same input files as last week's.
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


def run_manifest(path: str | Path, week: str, scenario: str = "base") -> dict:
    """The manifest archived with a run (``{}`` if the run or its manifest is not there)."""
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
    """True when ``inputs_sha256`` (file name -> SHA-256) equals the manifest's, and is not empty:
    the run read byte for byte the same input files (a database source has no checksums: False)."""
    before = manifest.get("inputs_sha256") if isinstance(manifest, dict) else None
    return bool(inputs_sha256) and isinstance(before, dict) and before == inputs_sha256


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


#: The kinds of change :func:`compare_orders` reports, most telling first.
ORDER_CHANGES = ("new", "cancelled", "rescheduled", "qty_changed", "past_due")


def _is_planned(orders: pd.DataFrame) -> pd.Series:
    """True for planned orders (renumbered by every MRP run), False for released or firm orders
    (a ``status`` other than ``planned``, or an id that is not a planned-order number ``PLN-...``)."""
    if "status" in orders:
        return orders.status.astype(str).str.lower().isin(["planned", "", "nan", "<na>"])
    return orders.order_id.astype(str).str.startswith("PLN-")


def customer_orders_served(pegging: pd.DataFrame | None) -> dict:
    """The customer orders each supply serves, through every BOM level.

    Parameters
    ----------
    pegging : DataFrame
        MRP ``pegging``: ``supply_id, demand_type, demand_id`` (a ``dependent`` demand's id is
        the parent order that consumes the supply).

    Returns
    -------
    dict
        ``supply_id`` -> frozenset of customer order ids (``demand_type == customer_order``).
    """
    if pegging is None or not len(pegging) or not {"supply_id", "demand_type", "demand_id"} <= set(pegging):
        return {}
    peg = pegging[["supply_id", "demand_type", "demand_id"]].astype(str)
    up: dict = {}
    for sid, dtype, did in peg.itertuples(index=False):
        up.setdefault(sid, []).append((dtype, did))
    memo: dict = {}

    def served(sid, depth=0):
        if sid in memo:
            return memo[sid]
        memo[sid] = frozenset()  # a cycle in bad data ends here
        out = set()
        for dtype, did in up.get(sid, ()):
            if dtype == "customer_order":
                out.add(did)
            elif dtype == "dependent" and depth < 50:
                out |= served(did, depth + 1)
        memo[sid] = frozenset(out)
        return memo[sid]

    return {sid: served(sid) for sid in up}


def _prepare(orders: pd.DataFrame) -> pd.DataFrame:
    out = orders.assign(due_date=pd.to_datetime(orders.due_date)).reset_index(drop=True)
    if "order_type" not in out:
        out["order_type"] = ""
    return out


def _match(prev: pd.DataFrame, cur: pd.DataFrame, tolerance_days: int):
    """Pairs ``(i, j)`` of the same order in ``prev`` and ``cur`` (positions), and the unmatched masks."""
    pairs: list[tuple[int, int]] = []
    p_free = np.ones(len(prev), dtype=bool)
    c_free = np.ones(len(cur), dtype=bool)
    # 1. released / firm orders by id
    p_firm, c_firm = ~_is_planned(prev).to_numpy(), ~_is_planned(cur).to_numpy()
    c_pos = {oid: i for i, oid in enumerate(cur.order_id.astype(str)) if c_firm[i]}
    for i, oid in enumerate(prev.order_id.astype(str)):
        j = c_pos.get(oid)
        if p_firm[i] and j is not None and c_free[j]:
            pairs.append((i, j))
            p_free[i] = c_free[j] = False
    # 2. planned orders: same item, order type and due date (closest quantity first)
    def groups(frame, free):
        idx = np.flatnonzero(free)
        sub = frame.iloc[idx]
        return {k: idx[g] for k, g in sub.groupby(["item_id", "order_type"], sort=False).indices.items()}

    pg, cg = groups(prev, p_free), groups(cur, c_free)
    p_due, c_due = prev.due_date.to_numpy(), cur.due_date.to_numpy()
    p_qty, c_qty = prev.qty.to_numpy(dtype=float), cur.qty.to_numpy(dtype=float)
    for key in pg.keys() & cg.keys():
        cand = [(abs(c_qty[j] - p_qty[i]), i, j) for i in pg[key] for j in cg[key] if p_due[i] == c_due[j]]
        for _, i, j in sorted(cand):
            if p_free[i] and c_free[j]:
                pairs.append((i, j))
                p_free[i] = c_free[j] = False
    # 3. what is left: the closest due dates within the tolerance (rescheduled)
    pg, cg = groups(prev, p_free), groups(cur, c_free)
    for key in pg.keys() & cg.keys():
        cand = []
        for i in pg[key]:
            for j in cg[key]:
                gap = abs((c_due[j] - p_due[i]) / np.timedelta64(1, "D"))
                if gap <= tolerance_days:
                    cand.append((gap, abs(c_qty[j] - p_qty[i]), i, j))
        for _, _, i, j in sorted(cand):
            if p_free[i] and c_free[j]:
                pairs.append((i, j))
                p_free[i] = c_free[j] = False
    return pairs, p_free, c_free


def order_identity(previous: pd.DataFrame, current: pd.DataFrame, tolerance_days: int = 28) -> pd.DataFrame:
    """Which order of this week's plan is which order of last week's (the rule of :func:`compare_orders`).

    Returns
    -------
    DataFrame
        ``previous_order_id, order_id``: every matched pair, unchanged orders included.
    """
    prev, cur = _prepare(previous), _prepare(current)
    pairs, _, _ = _match(prev, cur, tolerance_days)
    return pd.DataFrame({"previous_order_id": [prev.order_id.iat[i] for i, _ in pairs],
                         "order_id": [cur.order_id.iat[j] for _, j in pairs]}, dtype=object)


def compare_orders(previous: pd.DataFrame, current: pd.DataFrame, tolerance_days: int = 28,
                   unit_cost: pd.Series | None = None, plan_start=None,
                   pegging: pd.DataFrame | None = None) -> pd.DataFrame:
    """What changed in the orders between two plans (last week's and this week's), by impact.

    An order keeps its identity across plans where it is the same order:

    * released and firm orders by their ``order_id``;
    * planned orders, which MRP renumbers in every run, by item, order type and due
      (need) date: an order of the same item due the same day is the same order (a
      new number alone is no change). Orders left over are then paired, per item and
      order type, closest due dates first, within ``tolerance_days``: the order was
      rescheduled.

    Parameters
    ----------
    previous, current : DataFrame
        ``planned_orders`` tables: ``order_id, item_id, order_type, qty, due_date`` (and
        optionally ``status``; without it an id ``PLN-...`` is a planned order).
    tolerance_days : int
        Largest due-date move still seen as the same planned order rescheduled.
    unit_cost : Series, optional
        ``item_id`` -> unit cost [currency/uom], for the ``value`` of each change.
    plan_start : date, optional
        Start of the current plan: a previous order due before it that has no match is
        ``past_due`` (its date has passed), not ``cancelled``.
    pegging : DataFrame, optional
        The current plan's MRP ``pegging``, for the customer orders each order serves.

    Returns
    -------
    DataFrame
        One row per changed order, largest impact first (``value``, then customer
        orders served). Columns ``change`` (``new``, ``cancelled``, ``rescheduled``,
        ``qty_changed``, ``past_due``; a rescheduled order whose quantity also changed
        is ``rescheduled``), ``item_id, order_type, order_id, previous_order_id, qty,
        previous_qty, qty_change`` [uom], ``due_date, previous_due_date``,
        ``days_moved`` [days, + later, - earlier], ``value`` [currency: unit cost x the
        quantity added, cancelled, changed or moved], ``customer_orders`` (count served,
        by pegging), ``message``. Unchanged orders are left out.
    """
    cols = ["change", "item_id", "order_type", "order_id", "previous_order_id", "qty", "previous_qty",
            "qty_change", "due_date", "previous_due_date", "days_moved", "value", "customer_orders", "message"]
    prev, cur = _prepare(previous), _prepare(current)
    pairs, p_free, c_free = _match(prev, cur, tolerance_days)
    cost = unit_cost if unit_cost is not None else pd.Series(dtype=float)
    served = customer_orders_served(pegging)
    start = pd.Timestamp(plan_start) if plan_start is not None else None

    def uc(item):
        v = cost.get(item, 0.0)
        return float(v) if v is not None and not pd.isna(v) else 0.0

    rows = []
    for i, j in pairs:
        old, row = prev.iloc[i], cur.iloc[j]
        days = int((row.due_date - old.due_date).days)
        dq = float(row.qty) - float(old.qty)
        if days == 0 and np.isclose(dq, 0.0):
            continue
        item = row.item_id
        what = f"{row.order_type} order {row.order_id}" + (
            f" (was {old.order_id})" if old.order_id != row.order_id else "")
        if days:
            change = "rescheduled"
            msg = (f"{item}: {what} due {old.due_date:%Y-%m-%d} is now due {row.due_date:%Y-%m-%d} "
                   f"({abs(days)} days {'later' if days > 0 else 'earlier'})")
            msg += f", quantity {old.qty:g} -> {row.qty:g}." if not np.isclose(dq, 0.0) else "."
            value = uc(item) * max(float(row.qty), float(old.qty))
        else:
            change = "qty_changed"
            msg = f"{item}: {what} due {row.due_date:%Y-%m-%d}: quantity {old.qty:g} -> {row.qty:g}."
            value = uc(item) * abs(dq)
        rows.append(dict(change=change, item_id=item, order_type=row.order_type, order_id=row.order_id,
                         previous_order_id=old.order_id, qty=float(row.qty), previous_qty=float(old.qty),
                         qty_change=dq, due_date=row.due_date, previous_due_date=old.due_date, days_moved=days,
                         value=value, customer_orders=len(served.get(str(row.order_id), ())), message=msg))
    for j in np.flatnonzero(c_free):
        row = cur.iloc[j]
        rows.append(dict(change="new", item_id=row.item_id, order_type=row.order_type, order_id=row.order_id,
                         qty=float(row.qty), qty_change=float(row.qty), due_date=row.due_date,
                         value=uc(row.item_id) * float(row.qty),
                         customer_orders=len(served.get(str(row.order_id), ())),
                         message=f"New {row.order_type} order {row.order_id}: {row.qty:g} {row.item_id} "
                                 f"due {row.due_date:%Y-%m-%d}."))
    for i in np.flatnonzero(p_free):
        old = prev.iloc[i]
        past = start is not None and old.due_date < start
        rows.append(dict(change="past_due" if past else "cancelled", item_id=old.item_id,
                         order_type=old.order_type, previous_order_id=old.order_id, previous_qty=float(old.qty),
                         qty_change=-float(old.qty), previous_due_date=old.due_date,
                         value=uc(old.item_id) * float(old.qty), customer_orders=0,
                         message=(f"{old.order_type.capitalize()} order {old.order_id} for {old.qty:g} "
                                  f"{old.item_id} due {old.due_date:%Y-%m-%d} "
                                  + ("was due before this plan's start." if past else "is no longer needed."))))
    out = pd.DataFrame(rows, columns=cols)
    if not len(out):
        return out
    out["customer_orders"] = out.customer_orders.fillna(0).astype(int)
    rank = out.change.map({c: k for k, c in enumerate(ORDER_CHANGES)})
    order = np.lexsort((out.item_id.astype(str).to_numpy(), rank.to_numpy(), -out.customer_orders.to_numpy(),
                        -out.value.fillna(0).to_numpy()))
    return out.iloc[order].reset_index(drop=True)


#: How :func:`changes_view` words each kind of change.
CHANGE_WORDS = {"new": "new", "cancelled": "cancelled", "rescheduled": "rescheduled",
                "qty_changed": "quantity changed", "past_due": "due before this week"}


def changes_view(changes: pd.DataFrame) -> pd.DataFrame:
    """:func:`compare_orders` output as the weekly report lists it: every row, largest impact first,
    no empty cell.

    Returns
    -------
    DataFrame
        ``change`` (in words), ``item_id, order_id`` (this week's number, else last week's),
        ``due_date`` (this week's, else last week's), ``qty_change`` [uom], ``days_moved`` [days],
        ``value`` [currency], ``customer_orders`` (count served), ``message``.
    """
    cols = ["change", "item_id", "order_id", "due_date", "qty_change", "days_moved", "value", "customer_orders",
            "message"]
    if changes is None or not len(changes):
        return pd.DataFrame(columns=cols)
    out = pd.DataFrame({
        "change": changes.change.map(CHANGE_WORDS).fillna(changes.change),
        "item_id": changes.item_id,
        "order_id": changes.order_id.where(changes.order_id.notna(), changes.previous_order_id),
        "due_date": pd.to_datetime(changes.due_date).where(changes.due_date.notna(),
                                                            pd.to_datetime(changes.previous_due_date)).dt.date,
        "qty_change": changes.qty_change.fillna(0.0).round(2),
        "days_moved": changes.days_moved.fillna(0).astype(int),
        "value": changes.value.fillna(0.0).round(0),
        "customer_orders": changes.customer_orders.fillna(0).astype(int),
        "message": changes.message})
    return out.reset_index(drop=True)


def summarize_changes(changes: pd.DataFrame, unchanged: int | None = None) -> str:
    """One sentence on :func:`compare_orders` output: the count of each kind, then the largest.

    ``"12 new orders, 5 rescheduled (3 earlier, 2 later), 1 quantity changed, 2 cancelled;
    largest: FG-01: make order PLN-0000002 ... (value 9,646)"``; ``"No order changed."`` when empty.
    """
    if changes is None or not len(changes):
        return "No order changed" + (f" ({unchanged} orders as before)." if unchanged else ".")
    n = changes.change.value_counts()
    parts = []
    if n.get("new", 0):
        parts.append(f"{n['new']} new order{'s' if n['new'] != 1 else ''}")
    if n.get("rescheduled", 0):
        moved = changes[changes.change == "rescheduled"].days_moved
        parts.append(f"{n['rescheduled']} rescheduled ({int((moved < 0).sum())} earlier, "
                     f"{int((moved > 0).sum())} later)")
    if n.get("qty_changed", 0):
        parts.append(f"{n['qty_changed']} with a new quantity")
    if n.get("cancelled", 0):
        parts.append(f"{n['cancelled']} cancelled")
    if n.get("past_due", 0):
        parts.append(f"{n['past_due']} due before this week (dropped)")
    if unchanged is not None:
        parts.append(f"{unchanged} unchanged")
    top = changes.iloc[0]
    return "; ".join([", ".join(parts), f"largest: {top.message.rstrip('.')} (value {top.value:,.0f})."])


def compare_schedule(previous: pd.DataFrame, current: pd.DataFrame,
                     identity: pd.DataFrame | None = None) -> pd.DataFrame:
    """Operations whose machine or start moved between two schedules.

    Parameters
    ----------
    previous, current : DataFrame
        ``schedule`` tables with ``order_id, op_seq, machine_id, start``.
    identity : DataFrame, optional
        ``previous_order_id, order_id`` (:func:`order_identity`): last week's planned orders
        under this week's numbers, so a renumbered order is the same order, not one dropped
        and one new.

    Returns
    -------
    DataFrame
        Columns ``order_id, op_seq, change`` (``moved``, ``machine_changed``, ``new``, ``dropped``),
        ``machine_id, previous_machine_id, start, previous_start, hours_moved`` [h, + later],
        ``previous_order_id``, ``message`` (the change in words); largest moves first, then new
        and dropped operations.
    """
    cols = ["order_id", "op_seq", "change", "machine_id", "previous_machine_id", "start", "previous_start",
            "hours_moved", "previous_order_id", "message"]
    if previous is None or current is None:
        return pd.DataFrame(columns=cols)
    key = ["order_id", "op_seq"]
    a = previous[key + ["machine_id", "start"]].rename(columns={"machine_id": "previous_machine_id",
                                                                "start": "previous_start"})
    a = a.assign(previous_order_id=a.order_id)
    if identity is not None and len(identity):
        rename = dict(zip(identity.previous_order_id.astype(str), identity.order_id.astype(str)))
        a["order_id"] = a.order_id.astype(str).map(lambda o: rename.get(o, o))
    b = current[key + ["machine_id", "start"]].assign(order_id=lambda f: f.order_id.astype(str))
    a = a.assign(order_id=a.order_id.astype(str))
    m = b.merge(a, on=key, how="outer", indicator=True)
    m["start"] = pd.to_datetime(m.start)
    m["previous_start"] = pd.to_datetime(m.previous_start)
    m["hours_moved"] = (m.start - m.previous_start).dt.total_seconds() / 3600
    m["change"] = np.select(
        [m._merge == "left_only", m._merge == "right_only", m.machine_id != m.previous_machine_id,
         m.hours_moved.abs() > 1e-9],
        ["new", "dropped", "machine_changed", "moved"], default="")
    m = m[m.change != ""].copy()

    def say(r):
        if r.change == "new":
            return f"{r.order_id} op {r.op_seq}: new on {r.machine_id} at {r.start:%Y-%m-%d %H:%M}."
        if r.change == "dropped":
            return (f"{r.previous_order_id} op {r.op_seq}: no longer scheduled (was on {r.previous_machine_id} "
                    f"at {r.previous_start:%Y-%m-%d %H:%M}).")
        h = r.hours_moved
        when = f"{abs(h):.0f} h {'later' if h > 0 else 'earlier'}" if abs(h) >= 0.5 else "same time"
        return (f"{r.order_id} op {r.op_seq}: {r.previous_machine_id} {r.previous_start:%Y-%m-%d %H:%M} -> "
                f"{r.machine_id} {r.start:%Y-%m-%d %H:%M} ({when}).")

    m["message"] = [say(r) for r in m.itertuples(index=False)] if len(m) else []
    rank = m.change.map({"machine_changed": 0, "moved": 0, "new": 1, "dropped": 2}).to_numpy()
    order = np.lexsort((m.op_seq.to_numpy(), m.order_id.astype(str).to_numpy(),
                        -m.hours_moved.abs().fillna(0).to_numpy(), rank)) if len(m) else []
    return m.iloc[order][cols].reset_index(drop=True)


def schedule_changes_view(changes: pd.DataFrame) -> pd.DataFrame:
    """:func:`compare_schedule` output as the weekly report lists it, no empty cell: ``change`` (in
    words), ``order_id, op_seq, machine_id`` (now, else before), ``hours_moved`` [h, 0 for new or
    dropped operations], ``message``."""
    cols = ["change", "order_id", "op_seq", "machine_id", "hours_moved", "message"]
    if changes is None or not len(changes):
        return pd.DataFrame(columns=cols)
    words = {"moved": "moved", "machine_changed": "other machine", "new": "new", "dropped": "no longer scheduled"}
    return pd.DataFrame({
        "change": changes.change.map(words).fillna(changes.change),
        "order_id": changes.order_id.where(changes.change != "dropped", changes.previous_order_id),
        "op_seq": changes.op_seq,
        "machine_id": changes.machine_id.where(changes.machine_id.notna(), changes.previous_machine_id),
        "hours_moved": changes.hours_moved.fillna(0.0).round(1),
        "message": changes.message}).reset_index(drop=True)
