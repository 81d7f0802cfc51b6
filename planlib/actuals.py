"""What happened since the snapshot: execution records applied on top of the ERP snapshot.

The snapshot convention (docs/weekly-loop.md): ``inventory``, ``scheduled_receipts`` and
``operations_progress`` are the ERP's state at 00:00 on ``inventory.as_of`` (empty: the plan
start, the snapshot is current). The execution records dated on or after ``as_of`` and before
the cut-off (the plan start for a plan, ``now`` for a mid-week reschedule) happened after the
snapshot; :func:`apply_actuals` applies them:

- goods receipt: ``on_hand[item] += qty``; the purchase order's open qty ``-= qty`` (dropped at
  zero or below);
- production report: ``operations_progress.qty_done += qty_good`` of the (order, op); the op is
  ``done`` when its good plus scrap reaches the quantity that enters it (the order's open qty at
  the snapshot less the scrap reported since on the operations before it), else ``running``;
  ``actual_start`` the earliest start, ``machine_id`` the latest report's. On the order's last
  operation ``on_hand[item] += qty_good``. The order's open qty ``-= qty_good`` of the last op
  ``+ qty_scrap`` of every op (scrapped units never arrive); an order at zero or below is dropped
  with its progress rows; an order with a report applied is ``in_progress``;
- material issue: ``on_hand[component] -= qty`` (a negative qty is a return);
- shipment (a ``demand_history`` row): ``on_hand[item] -= qty``;
- issues and shipments relieve the allocation first: ``allocated -= min(allocated, issued +
  shipped)``. MRP nets from ``on_hand - allocated`` and never explodes an open production order
  (its components are taken as issued, or reserved in ``allocated``), so an issue that fills a
  reservation must not lower the available stock a second time;
- the result has ``inventory.as_of`` = the cut-off, so applying it again changes nothing.

Per item: end = start + receipts + production - issues - shipments (:func:`stock_balance`).
Every planning path plans from :func:`planlib.validate.planning_dataset`: these records checked
against the plan start (:func:`planlib.validate.loop_problems`), then :func:`apply_actuals`.
Records dated before ``as_of`` are already in the snapshot: they feed the reports (attainment,
scrap, variance; :func:`reported_ops`), never the state.

Glossary: docs/glossary.md.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from planlib.dataset import Dataset, empty_table
from planlib.problems import InputError, Problems

__all__ = ["apply_actuals", "reported_ops", "snapshot_date", "stock_balance"]

#: Open quantities at or below this [uom] are closed (rounding of partial receipts).
CLOSED_QTY = 1e-9

#: The date column of each execution table, by which rows are applied.
DATE_COLUMNS = {"goods_receipts": "received_date", "production_reports": "report_date",
                "material_issues": "issue_date", "demand_history": "date"}


def snapshot_date(ds: Dataset) -> pd.Timestamp | None:
    """The date of the ERP snapshot, ``inventory.as_of``.

    Parameters
    ----------
    ds : Dataset

    Returns
    -------
    Timestamp or None
        The latest ``as_of`` in ``inventory`` (validation makes it one date in every row); None when
        the column is absent or empty: the snapshot is current (taken at the plan start).
    """
    if not ds.has("inventory") or "as_of" not in ds.inventory:
        return None
    dates = pd.to_datetime(ds.inventory.as_of).dropna()
    return pd.Timestamp(dates.max()) if len(dates) else None


def _window(ds: Dataset, table: str, as_of, cutoff) -> pd.DataFrame:
    """The rows of ``table`` dated on or after ``as_of`` and before ``cutoff`` (the rows to apply)."""
    if not ds.has(table):
        return empty_table(table)
    frame = ds[table]
    dates = frame[DATE_COLUMNS[table]]
    return frame[(dates >= as_of) & (dates < cutoff)]


def _last_ops(ds: Dataset) -> pd.Series:
    """The last operation (largest ``op_seq``) of each item's routing, by ``item_id``."""
    if not ds.has("routings") or ds.routings.empty:
        return pd.Series(dtype="Int64", name="op_seq")
    return ds.routings.groupby("item_id").op_seq.max()


def _production_orders(ds: Dataset) -> pd.DataFrame:
    sr = ds.scheduled_receipts
    return sr[sr.order_type == "production"].drop_duplicates("order_id")


def _sum_by(frame: pd.DataFrame, key: str, column: str = "qty") -> pd.Series:
    return frame.groupby(key)[column].sum() if len(frame) else pd.Series(dtype=float)


def _flows(ds: Dataset, as_of, cutoff) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Stock flows per item and the applied production reports per order and op.

    Returns ``(flows, ops, receipts)``: ``flows`` by ``item_id`` with ``receipts, production,
    issues, shipments`` [uom]; ``ops`` the applied reports summed per (order, op) of open
    production orders with the order's ``item_id``, ``open_qty`` and ``last`` (the last op);
    ``receipts`` the applied goods receipts.
    """
    receipts = _window(ds, "goods_receipts", as_of, cutoff)
    issues = _window(ds, "material_issues", as_of, cutoff)
    shipped = _window(ds, "demand_history", as_of, cutoff)
    reports = _window(ds, "production_reports", as_of, cutoff)
    orders = _production_orders(ds)[["order_id", "item_id", "qty"]].rename(columns={"qty": "open_qty"})
    ops = _sum_ops(reports).merge(orders, on="order_id", how="inner")
    ops["last"] = ops.op_seq.astype(float).to_numpy() == ops.item_id.map(_last_ops(ds)).astype(float).to_numpy()
    made = _sum_by(ops[ops["last"]], "item_id", "qty_good")
    flows = pd.DataFrame({"receipts": _sum_by(receipts, "item_id"), "production": made,
                          "issues": _sum_by(issues, "item_id"), "shipments": _sum_by(shipped, "item_id")})
    flows.index.name = "item_id"
    return flows.fillna(0.0).astype(float), ops, receipts


def _sum_ops(reports: pd.DataFrame) -> pd.DataFrame:
    """Production reports summed per (order, op): good, scrap, first start, latest machine."""
    cols = ["order_id", "op_seq", "qty_good", "qty_scrap", "labour_hours", "downtime_min",
            "first_start", "last_end", "last_machine_id"]
    if reports.empty:
        kinds = {"op_seq": "Int64", "first_start": "datetime64[ns]", "last_end": "datetime64[ns]",
                 "order_id": object, "last_machine_id": object}
        return pd.DataFrame({c: pd.Series(dtype=kinds.get(c, float)) for c in cols})
    r = reports.assign(_start=reports.start.fillna(reports.report_date),
                       _end=reports.end.fillna(reports.report_date))
    r = r.sort_values(["report_date", "_end", "_start"], kind="stable")
    g = r.groupby(["order_id", "op_seq"], sort=True)
    out = g.agg(qty_good=("qty_good", "sum"), qty_scrap=("qty_scrap", "sum"),
                labour_hours=("labour_hours", "sum"), downtime_min=("downtime_min", "sum"),
                first_start=("_start", "min"), last_end=("_end", "max"),
                last_machine_id=("machine_id", "last"))  # last non-empty, in report order
    return out.reset_index()


def _done(ops: pd.DataFrame, done_before: pd.Series) -> pd.Series:
    """Whether each (order, op) is done: good + scrap (and ``done_before``, the good units of the
    snapshot) reaches the quantity entering it, ``open_qty`` less the scrap reported on the order's
    earlier operations."""
    ops = ops.sort_values(["order_id", "op_seq"])
    scrap_before = ops.groupby("order_id").qty_scrap.cumsum() - ops.qty_scrap
    entering = ops.open_qty - scrap_before
    total = done_before.reindex(ops.index).fillna(0.0) + ops.qty_good + ops.qty_scrap
    done = (total >= entering - CLOSED_QTY).reindex(ops.index)
    return done.astype("boolean").fillna(False).astype(bool)  # an order not open (no open_qty): not done


def apply_actuals(ds: Dataset, cutoff) -> Dataset:
    """The state at ``cutoff``: the execution records since the snapshot applied on top of it.

    The rules are those of the module docstring (docs/weekly-loop.md). Pure: ``ds`` is not changed.

    Parameters
    ----------
    ds : Dataset
        Reads ``inventory`` (``as_of``), ``scheduled_receipts``, ``operations_progress``, ``routings``
        (which operation is an item's last), ``goods_receipts``, ``production_reports``,
        ``material_issues`` and ``demand_history`` (shipments).
    cutoff : date-like
        The moment of the state wanted: the plan start for a plan, ``now`` for a reschedule.
        Records dated before it and on or after ``as_of`` are applied.

    Returns
    -------
    Dataset
        ``inventory`` (``on_hand, allocated`` [uom]; a row added for an item that had none; ``as_of``
        = ``cutoff``), ``scheduled_receipts`` (open ``qty`` [uom]; closed orders dropped) and
        ``operations_progress`` (``qty_done`` [uom], ``status``, ``actual_start``, ``machine_id``;
        rows of dropped orders dropped) updated; every other table as it was. ``ds`` itself when it
        has no ``as_of`` or ``cutoff`` equals it.

    Raises
    ------
    InputError
        If ``cutoff`` is before ``as_of`` (a snapshot cannot be rolled back).
    """
    as_of = snapshot_date(ds)
    if as_of is None:
        return ds
    cutoff = pd.Timestamp(cutoff)
    if cutoff < as_of:
        p = Problems()
        p.add("inventory", ds.where("inventory", 0), "as_of", f"{as_of:%Y-%m-%d}",
              f"the snapshot is dated after the plan start ({cutoff:%Y-%m-%d %H:%M}): it cannot be rolled back",
              "plan a week that starts on or after the snapshot, or give the snapshot of that date")
        raise InputError(f"snapshot dated {as_of:%Y-%m-%d}, after the cut-off {cutoff}", p.frame())
    if cutoff == as_of:
        return ds
    flows, ops, receipts = _flows(ds, as_of, cutoff)
    inventory, inv_rows = _apply_inventory(ds, flows, cutoff)
    orders, order_rows = _apply_orders(ds, ops, receipts)
    progress, progress_rows = _apply_progress(ds, ops, set(orders.order_id))
    tables, rows = dict(ds.tables, inventory=inventory), dict(ds.rows, inventory=inv_rows)
    present = set(ds.present) | {"inventory"}
    if ds.has("scheduled_receipts"):
        tables["scheduled_receipts"], rows["scheduled_receipts"] = orders, order_rows
        if ds.has("operations_progress") or len(progress):
            tables["operations_progress"], rows["operations_progress"] = progress, progress_rows
            present.add("operations_progress")
    return Dataset(tables, ds.source, frozenset(present), rows, ds.warnings)


def _labels(ds: Dataset, table: str, keep: np.ndarray, added: int = 0) -> list:
    """The row labels of the rows ``keep`` (positions) of ``table``, then ``added`` new ones."""
    n = len(ds[table])
    given = list(ds.rows.get(table) or [])[:n]  # as Dataset.where: the label given, else "<table> row <n>"
    labels = given + [f"{table} row {i + 1}" for i in range(len(given), n)]
    old = np.asarray(labels, dtype=object)[np.asarray(keep, dtype=np.int64)].tolist()
    return old + [f"{table} row {n + i + 1} (applied)" for i in range(added)]


def _apply_inventory(ds: Dataset, flows: pd.DataFrame, cutoff) -> tuple[pd.DataFrame, list]:
    inv = ds.inventory.reset_index(drop=True)
    new_items = flows.index.difference(pd.Index(inv.item_id))
    added = pd.DataFrame({"item_id": new_items, "on_hand": 0.0, "allocated": 0.0})
    out = pd.concat([inv, added], ignore_index=True) if len(added) else inv.copy()
    f = flows.reindex(out.item_id).fillna(0.0)
    first = ~out.item_id.duplicated().to_numpy()  # a duplicated item (a validation error) moves once
    delta = np.where(first, (f.receipts + f.production - f.issues - f.shipments).to_numpy(), 0.0)
    outflow = np.where(first, np.maximum(f.issues + f.shipments, 0.0).to_numpy(), 0.0)
    allocated = out.allocated.fillna(0.0).to_numpy(dtype=float)
    out["on_hand"] = out.on_hand.fillna(0.0).to_numpy(dtype=float) + delta
    out["allocated"] = allocated - np.minimum(allocated, outflow)
    out["as_of"] = pd.Timestamp(cutoff)
    out["as_of"] = out["as_of"].astype("datetime64[ns]")
    return out, _labels(ds, "inventory", np.arange(len(inv)), len(added))


def _apply_orders(ds: Dataset, ops: pd.DataFrame, receipts: pd.DataFrame) -> tuple[pd.DataFrame, list]:
    sr = ds.scheduled_receipts.reset_index(drop=True)
    if sr.empty:
        return sr, []
    received = _sum_by(receipts, "order_id")
    made = ops.qty_good.where(ops["last"], 0.0) + ops.qty_scrap
    out_of_order = made.groupby(ops.order_id).sum() if len(ops) else pd.Series(dtype=float)
    purchase = (sr.order_type == "purchase").to_numpy()
    less = np.where(purchase, sr.order_id.map(received).fillna(0.0).to_numpy(dtype=float),
                    sr.order_id.map(out_of_order).fillna(0.0).to_numpy(dtype=float))
    qty = sr.qty.to_numpy(dtype=float) - less
    keep = np.flatnonzero(qty > CLOSED_QTY)
    out = sr.assign(qty=qty)
    if len(ops):  # an order with a report applied has started
        out.loc[out.order_id.isin(ops.order_id) & ~pd.Series(purchase), "status"] = "in_progress"
    out = out.iloc[keep].reset_index(drop=True)
    return out, _labels(ds, "scheduled_receipts", keep)


def _apply_progress(ds: Dataset, ops: pd.DataFrame, still_open: set) -> tuple[pd.DataFrame, list]:
    prog = ds.operations_progress.reset_index(drop=True)
    columns = list(empty_table("operations_progress").columns)
    key = ["order_id", "op_seq"]
    old = prog.assign(_pos=np.arange(len(prog)))
    merged = old.merge(ops.astype({"op_seq": "Int64"}), on=key, how="outer", indicator=True)
    reported = merged["_merge"] != "left_only"
    done_before = merged.qty_done.fillna(0.0)
    is_done = np.zeros(len(merged), dtype=bool)
    if reported.any():
        is_done[reported.to_numpy()] = _done(merged[reported], done_before[reported]).to_numpy(dtype=bool)
    merged["qty_done"] = done_before + merged.qty_good.fillna(0.0)
    status = np.where(merged.status.eq("done").to_numpy() | is_done, "done", "running")
    merged["status"] = np.where(reported, status, merged.status)
    start = pd.concat([pd.to_datetime(merged.actual_start), pd.to_datetime(merged.first_start)], axis=1).min(axis=1)
    merged["actual_start"] = start.astype("datetime64[ns]")
    merged["machine_id"] = merged.last_machine_id.where(merged.last_machine_id.notna(), merged.machine_id)
    merged = merged[merged.order_id.isin(still_open)]
    merged = merged.sort_values("_pos", na_position="last", kind="stable")
    keep = merged._pos[merged._pos.notna()].astype(int).to_numpy()
    out = merged[columns].reset_index(drop=True)
    out["op_seq"] = out.op_seq.astype("Int64")
    return out, _labels(ds, "operations_progress", keep, int(merged._pos.isna().sum()))


def stock_balance(ds: Dataset, cutoff) -> pd.DataFrame:
    """The stock balance per item from the snapshot to ``cutoff``.

    Parameters
    ----------
    ds : Dataset
        As for :func:`apply_actuals`.
    cutoff : date-like

    Returns
    -------
    DataFrame
        One row per item in ``inventory`` or moved in the window, sorted by ``item_id``; columns
        ``item_id, start`` (on hand at the snapshot), ``receipts`` (goods received), ``production``
        (good units of last operations), ``issues`` (issued to production orders, net of returns),
        ``shipments`` (to customers, net of returns), ``end`` = start + receipts + production -
        issues - shipments [uom]. Without ``as_of`` every flow is 0 and ``end`` = ``start``.
    """
    inv = ds.inventory.drop_duplicates("item_id")
    start = inv.set_index("item_id").on_hand.astype(float)
    as_of = snapshot_date(ds)
    if as_of is None or pd.Timestamp(cutoff) <= as_of:
        flows = pd.DataFrame(columns=["receipts", "production", "issues", "shipments"], dtype=float)
    else:
        flows, _, _ = _flows(ds, as_of, pd.Timestamp(cutoff))
    items = start.index.union(flows.index).sort_values()
    out = flows.reindex(items).fillna(0.0)
    out.insert(0, "start", start.reindex(items).fillna(0.0))
    out["end"] = out.start + out.receipts + out.production - out.issues - out.shipments
    out.index.name = "item_id"
    return out.reset_index()


def reported_ops(ds: Dataset) -> pd.DataFrame:
    """Production reports summed per order and operation (every row of ``production_reports``).

    Parameters
    ----------
    ds : Dataset
        Reads ``production_reports``, ``scheduled_receipts`` (the order's item and open qty) and
        ``routings`` (the operation's work center).

    Returns
    -------
    DataFrame
        One row per (order, op) reported, sorted; columns ``order_id, op_seq, item_id,
        work_center_id, qty_good, qty_scrap`` [uom], ``labour_hours`` [h], ``downtime_min`` [min],
        ``first_start, last_end`` (earliest start and latest end; the report date where none is
        given), ``last_machine_id`` (of the latest report giving one), ``done`` (good + scrap
        reached the quantity entering the op: the order's open qty in ``scheduled_receipts`` less
        the scrap reported on its earlier ops; True for an order no longer open).
    """
    ops = _sum_ops(ds.production_reports)
    orders = _production_orders(ds)[["order_id", "item_id", "qty"]].rename(columns={"qty": "open_qty"})
    ops = ops.merge(orders, on="order_id", how="left")
    if ds.has("routings") and len(ds.routings):
        wc = ds.routings.drop_duplicates(["item_id", "op_seq"])[["item_id", "op_seq", "work_center_id"]]
        ops = ops.merge(wc.astype({"op_seq": "Int64"}), on=["item_id", "op_seq"], how="left")
    else:
        ops["work_center_id"] = None
    done = pd.Series(True, index=ops.index)
    known = ops.open_qty.notna()
    if known.any():
        done[known] = _done(ops[known], pd.Series(0.0, index=ops.index[known]))
    ops["done"] = done.astype(bool)
    cols = ["order_id", "op_seq", "item_id", "work_center_id", "qty_good", "qty_scrap", "labour_hours",
            "downtime_min", "first_start", "last_end", "last_machine_id", "done"]
    return ops[cols].sort_values(["order_id", "op_seq"]).reset_index(drop=True)

