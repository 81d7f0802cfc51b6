"""Checks of a dataset against the data contract and across tables.

:func:`validate` returns every problem at once as a table (see
:mod:`planlib.problems`). The per-column rules (required values, enums,
ranges, references, keys) come from :mod:`planlib.contract`; the rules that
span rows or tables (BOM cycles, calendars without working time, make items
without routing ...) are written out below, one function each.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import numpy as np
import pandas as pd

from planlib import actuals
from planlib.buckets import monday
from planlib.calendar import longest_working_interval, machine_intervals, shift_hours
from planlib.contract import TABLES, Table, bound_text
from planlib.dataset import Dataset
from planlib.problems import InputError, Problems, mask_source


def validate(ds: Dataset, tables: Iterable[str] | None = None, *, today=None) -> pd.DataFrame:
    """Check a dataset; return its problems.

    Parameters
    ----------
    ds : Dataset
    tables : iterable of str, optional
        Check only these tables (references into tables not loaded are skipped).
    today : date-like, optional
        The day the check runs; demand history and execution records dated after it are an
        error (see :func:`_history_rules` and :func:`_loop_rules`; :func:`loop_problems` checks
        against a plan start). Default: :func:`reference_day`, the computer's date, or the end of
        the snapshot's week for a dataset whose snapshot week is not over yet (a simulated week).

    Returns
    -------
    DataFrame
        Columns ``severity (error|warning), table, row, column, value, problem, fix``;
        empty when the dataset is clean.
    """
    wanted = set(TABLES) if tables is None else set(tables)
    p = Problems()
    for name in TABLES:
        if name in wanted and ds.has(name):
            _check_columns(ds, TABLES[name], p)
            _check_key(ds, TABLES[name], p)
            _check_refs(ds, TABLES[name], p)
    for rule in _RULES:
        rule(ds, p)
    if today is None:
        today = reference_day(ds)
        _future_snapshot_rule(ds, p)
    _history_rules(ds, p, today)
    day = pd.Timestamp(today).normalize()
    # no as_of check here: a dataset applied up to next week's plan start has as_of after today
    _loop_rules(ds, p, future_from=day + pd.Timedelta(days=1), as_of_max=None)
    return p.frame()


def reference_day(ds: Dataset, computer_today=None) -> pd.Timestamp:
    """The day a dataset's records are judged against: nothing can be dated after it.

    The computer's date, unless the dataset's snapshot week is not over by then: a dataset as the
    ERP gives it on a Monday holds the snapshot of the Monday before (``inventory.as_of``) and the
    records of that week (docs/weekly-loop.md), so its records may run to the Sunday, ``as_of + 6``
    days. A simulated week (:mod:`planlib.simulate`) lies in the future of the computer's date and
    is judged against its own week; real data, whose snapshot's week is over, against the
    computer's date as before (within the snapshot's own week, records up to its Sunday pass
    here; every planning path still refuses records on or after its plan start,
    :func:`loop_problems`).

    Parameters
    ----------
    ds : Dataset
    computer_today : date-like, optional
        The computer's date (default: ``datetime.date.today()``; a test gives it).

    Returns
    -------
    Timestamp
        ``max(computer_today, as_of + 6 days)`` (midnight); ``computer_today`` without ``as_of``.
    """
    day = pd.Timestamp(computer_today if computer_today is not None else dt.date.today()).normalize()
    as_of = actuals.snapshot_date(ds)
    if as_of is None:
        return day
    return max(day, as_of.normalize() + pd.Timedelta(days=6))


def _future_snapshot_rule(ds: Dataset, p: Problems, computer_today=None) -> None:
    """A snapshot dated after the computer's date (a simulated week, or a typo in ``as_of``): a
    warning, since its records are then judged against its own week (:func:`reference_day`)."""
    day = pd.Timestamp(computer_today if computer_today is not None else dt.date.today()).normalize()
    as_of = actuals.snapshot_date(ds)
    if as_of is None or as_of <= day:
        return
    pos = int(np.argmax((ds.inventory.as_of == as_of).to_numpy()))
    p.warn("inventory", ds.where("inventory", pos), "as_of", _fmt(as_of),
           f"the snapshot is dated after today ({day:%Y-%m-%d}): the records are checked against its "
           f"week (to {as_of + pd.Timedelta(days=6):%Y-%m-%d}), as for a simulated week",
           "nothing to do for simulated or what-if data; else correct as_of (a typo in the date?)")


# --------------------------------------------------------------------------- per column

def _fmt(v) -> str:
    if v is None or v is pd.NaT or (isinstance(v, float) and np.isnan(v)):
        return "(empty)"
    if isinstance(v, pd.Timestamp):
        return v.strftime("%Y-%m-%d") if v == v.normalize() else v.strftime("%Y-%m-%d %H:%M")
    if isinstance(v, float) and abs(v) >= 1e15:
        return f"{v:g}"
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def _check_columns(ds: Dataset, spec: Table, p: Problems) -> None:
    frame = ds[spec.name]
    for col in spec.columns:
        if col.name not in frame:
            continue
        s = frame[col.name]
        if not col.nullable:
            for pos in np.flatnonzero(s.isna().to_numpy()):
                p.add(spec.name, ds.where(spec.name, pos), col.name, "", "value is empty",
                      f"fill in {col.name}" + (f" ({col.doc})" if col.doc else ""))
        if col.choices:
            bad = s.notna() & ~s.isin(col.choices)
            for pos in np.flatnonzero(bad.to_numpy()):
                p.add(spec.name, ds.where(spec.name, pos), col.name, s.iloc[pos],
                      "not an allowed value", "use one of: " + ", ".join(col.choices))
        if col.min is not None or col.max is not None:
            num = pd.to_numeric(s, errors="coerce").astype(float)
            too_low = num < col.min if col.min is not None else pd.Series(False, index=s.index)
            if col.min is not None and col.min_exclusive:
                too_low = num <= col.min
            too_high = num > col.max if col.max is not None else pd.Series(False, index=s.index)
            for pos in np.flatnonzero((too_low | too_high).fillna(False).to_numpy()):
                if col.min is not None and col.max is not None:
                    rng = (f"{'above' if col.min_exclusive else 'at least'} {bound_text(col.min)} "
                           f"and at most {bound_text(col.max)}")
                elif col.min is not None:
                    rng = f"{'above' if col.min_exclusive else 'at least'} {bound_text(col.min)}"
                else:
                    rng = f"at most {bound_text(col.max)}"
                p.add(spec.name, ds.where(spec.name, pos), col.name, _fmt(num.iloc[pos]),
                      "out of range" + (" (negative)" if num.iloc[pos] < 0 else ""),
                      f"{col.name} must be {rng}")


def _check_key(ds: Dataset, spec: Table, p: Problems) -> None:
    if not spec.key:
        return
    frame = ds[spec.name]
    key = list(spec.key)
    text = frame[key[0]].astype(str)  # NaT and NaN compare equal as text
    for k in key[1:]:
        text = text + " / " + frame[k].astype(str)
    dup = text.duplicated(keep="first") & frame[key[0]].notna()
    if not dup.any():
        return
    codes, _ = pd.factorize(text)
    first_of_code = np.full(codes.max() + 1, len(codes))
    np.minimum.at(first_of_code, codes, np.arange(len(codes)))
    first = first_of_code[codes]
    for pos in np.flatnonzero(dup.to_numpy()):
        values = ", ".join(_fmt(frame[k].iloc[pos]) for k in key)
        p.add(spec.name, ds.where(spec.name, pos), "/".join(key), values,
              f"duplicate key (also at {ds.where(spec.name, int(first[pos]))})",
              "remove the duplicate row or give it its own " + " / ".join(key))


def _check_refs(ds: Dataset, spec: Table, p: Problems) -> None:
    frame = ds[spec.name]
    for col in spec.columns:
        if not col.ref or col.name not in frame:
            continue
        table, column = col.ref.split(".")
        if not ds.has(table):
            if frame[col.name].notna().any():
                p.warn(spec.name, "", col.name, "", f"refers to table {table}, which the source does not hold",
                       f"add {table} to check these references")
            continue
        # the referenced column as it is (a missing value matches nothing that is checked): no Python set
        # of it, which isin would turn back into an array, twice the work at 100,000 items
        bad = frame[col.name].notna() & ~frame[col.name].isin(ds[table][column].to_numpy())
        for pos in np.flatnonzero(bad.to_numpy()):
            p.add(spec.name, ds.where(spec.name, pos), col.name, frame[col.name].iloc[pos],
                  f"unknown {column} (not in {table})",
                  f"add it to {table} or correct the {col.name}")


# --------------------------------------------------------------------------- across rows and tables

def _lookup(frame: pd.DataFrame, key: str, column: str) -> pd.Series:
    """``column`` by ``key``; the first row wins where a key is duplicated (reported elsewhere)."""
    return frame.dropna(subset=[key]).drop_duplicates(key).set_index(key)[column]


def _bom_cycles(ds: Dataset, p: Problems) -> None:
    """A BOM cycle makes explosion impossible: name it, A -> B -> C -> A."""
    if not ds.has("bom"):
        return
    bom = ds.bom.dropna(subset=["parent_id", "component_id"])
    # only items from which a cycle can be reached matter: peel off, a BOM level at a time, the
    # lines whose component has no lines left below it (the search below visits the rest in the
    # same order as the whole BOM, so it names the same cycles)
    codes, names = pd.factorize(pd.concat([bom.parent_id, bom.component_id], ignore_index=True))
    parent, comp = codes[:len(bom)], codes[len(bom):]
    keep = np.ones(len(bom), bool)
    while keep.any():
        has_lines = np.bincount(parent[keep], minlength=len(names)) > 0
        leaf = keep & ~has_lines[comp]
        if not leaf.any():
            break
        keep &= ~leaf
    children: dict[str, list[str]] = {}
    for parent_id, comp_id in zip(bom.parent_id[keep], bom.component_id[keep]):
        children.setdefault(parent_id, []).append(comp_id)
    colour: dict[str, int] = {}
    reported: set[frozenset] = set()
    for root in sorted(children):
        if colour.get(root):
            continue
        stack = [(root, iter(children.get(root, ())))]
        path = [root]
        colour[root] = 1
        while stack:
            node, it = stack[-1]
            nxt = next(it, None)
            if nxt is None:
                colour[node] = 2
                stack.pop()
                path.pop()
                continue
            if colour.get(nxt) == 1:
                cycle = path[path.index(nxt):] + [nxt]
                key = frozenset(cycle)
                if key not in reported:
                    reported.add(key)
                    pos = np.flatnonzero(((bom.parent_id == node) & (bom.component_id == nxt)).to_numpy())[0]
                    p.add("bom", ds.where("bom", int(bom.index[pos])), "component_id", nxt,
                          "BOM cycle: " + " -> ".join(cycle),
                          "an item cannot contain itself; remove or correct one line of the cycle")
            elif not colour.get(nxt):
                colour[nxt] = 1
                path.append(nxt)
                stack.append((nxt, iter(children.get(nxt, ()))))


def _bom_dates(ds: Dataset, p: Problems) -> None:
    bom = ds.bom
    if not ds.has("bom") or bom.empty:
        return
    bad = bom.valid_from.notna() & bom.valid_to.notna() & (bom.valid_to <= bom.valid_from)
    for pos in np.flatnonzero(bad.to_numpy()):
        p.add("bom", ds.where("bom", pos), "valid_to", bom.valid_to.iloc[pos].date(),
              "valid_to is not after valid_from", "valid_to is the first day the line no longer applies")
    self_ref = bom.parent_id == bom.component_id
    for pos in np.flatnonzero(self_ref.to_numpy()):
        p.add("bom", ds.where("bom", pos), "component_id", bom.component_id.iloc[pos],
              "an item is its own component", "correct the parent_id or the component_id")


def _items_rules(ds: Dataset, p: Problems) -> None:
    if not ds.has("items"):
        return
    items = ds.items
    for pos in np.flatnonzero(((items.lot_rule == "FOQ") & ~(items.lot_size > 0)).to_numpy()):
        p.add("items", ds.where("items", pos), "lot_size", items.lot_size.iloc[pos],
              "FOQ needs a lot_size above 0", "give the fixed order quantity in lot_size")
    for pos in np.flatnonzero(((items.lot_rule == "POQ") & ~(items.lot_size >= 1)).to_numpy()):
        p.add("items", ds.where("items", pos), "lot_size", items.lot_size.iloc[pos],
              "POQ needs a lot_size of at least 1 period", "give the number of periods an order covers")
    no_eoq = (items.lot_rule == "EOQ") & ~(items.lot_size > 0) & ~(
        (items.order_cost > 0) & (items.unit_cost > 0) & (items.holding_cost_rate > 0))
    for pos in np.flatnonzero(no_eoq.to_numpy()):
        p.warn("items", ds.where("items", pos), "lot_size", items.lot_size.iloc[pos],
               "EOQ without lot_size, order_cost, unit_cost or holding_cost_rate: planned lot for lot",
               "give the EOQ in lot_size, or the order cost, unit cost and holding cost rate")
    for pos in np.flatnonzero((items.holding_cost_rate > 5).to_numpy()):
        p.warn("items", ds.where("items", pos), "holding_cost_rate", _fmt(items.holding_cost_rate.iloc[pos]),
               "holding cost rate above 5 (500 % of the unit cost a year)",
               "give a fraction per year (0.25 = 25 %); keep it if it is meant")
    bad_max = items.max_order_qty.notna() & (items.max_order_qty < items.min_order_qty)
    bad_max |= items.max_order_qty.notna() & (items.max_order_qty <= 0)
    for pos in np.flatnonzero(bad_max.to_numpy()):
        p.add("items", ds.where("items", pos), "max_order_qty", _fmt(items.max_order_qty.iloc[pos]),
              "max_order_qty is below min_order_qty or not positive",
              "raise max_order_qty or leave it empty for no limit")
    bad_scrap = items.scrap_pct >= 100
    for pos in np.flatnonzero(bad_scrap.to_numpy()):
        p.add("items", ds.where("items", pos), "scrap_pct", _fmt(items.scrap_pct.iloc[pos]),
              "scrap of 100 % or more leaves nothing", "give the percent lost, below 100")
    if ds.has("routings"):
        routed = set(ds.routings.item_id.dropna())
        no_routing = (items.item_type == "make") & ~items.item_id.isin(routed)
        for pos in np.flatnonzero(no_routing.to_numpy()):
            p.warn("items", ds.where("items", pos), "item_id", items.item_id.iloc[pos],
                   "make item without routing: no capacity load or schedule for it",
                   "add its operations to routings, or make it a buy item")
    if ds.has("bom"):
        parents = set(ds.bom.parent_id.dropna())
        no_bom = (items.item_type == "make") & ~items.item_id.isin(parents)
        for pos in np.flatnonzero(no_bom.to_numpy()):
            p.warn("items", ds.where("items", pos), "item_id", items.item_id.iloc[pos],
                   "make item without BOM lines: it is made from nothing",
                   "add its components to bom, or make it a buy item")
    no_supplier = (items.item_type == "buy") & items.supplier_id.isna()
    for pos in np.flatnonzero(no_supplier.to_numpy()):
        p.warn("items", ds.where("items", pos), "supplier_id", "",
               "buy item without supplier: purchase requisitions cannot be grouped",
               "fill in supplier_id")


def _calendar_rules(ds: Dataset, p: Problems) -> None:
    if not ds.has("calendars"):
        return
    cal = ds.calendars
    zero = cal.start_time.notna() & (cal.start_time == cal.end_time)
    for pos in np.flatnonzero(zero.to_numpy()):
        p.add("calendars", ds.where("calendars", pos), "end_time", "",
              "shift has no length (end_time equals start_time)", "give the shift's end time")
    length = pd.Series(shift_hours(cal.start_time, cal.end_time), index=cal.index)
    hours = length.where(~zero, 0).groupby(cal.calendar_id).sum()
    for cid in hours.index[hours <= 0]:
        pos = int(np.flatnonzero((cal.calendar_id == cid).to_numpy())[0])
        p.add("calendars", ds.where("calendars", pos), "calendar_id", cid,
              "calendar has no working time", "add at least one shift with end_time after start_time")
    if ds.has("work_centers"):
        used = set(ds.work_centers.calendar_id.dropna()) | set(ds.machines.calendar_id.dropna())
        for cid in sorted(set(cal.calendar_id.dropna()) - used):
            pos = int(np.flatnonzero((cal.calendar_id == cid).to_numpy())[0])
            p.warn("calendars", ds.where("calendars", pos), "calendar_id", cid,
                   "calendar is not used by any work center or machine", "remove it or assign it")


def _exception_rules(ds: Dataset, p: Problems) -> None:
    if not ds.has("calendar_exceptions"):
        return
    ex = ds.calendar_exceptions
    neither = ex.calendar_id.isna() & ex.machine_id.isna()
    both = ex.calendar_id.notna() & ex.machine_id.notna()
    for pos in np.flatnonzero(neither.to_numpy()):
        p.add("calendar_exceptions", ds.where("calendar_exceptions", pos), "calendar_id", "",
              "names neither a calendar nor a machine", "fill in calendar_id or machine_id")
    for pos in np.flatnonzero(both.to_numpy()):
        p.add("calendar_exceptions", ds.where("calendar_exceptions", pos), "machine_id",
              ex.machine_id.iloc[pos], "names both a calendar and a machine",
              "keep one: calendar_id for all machines on it, machine_id for one machine")
    backwards = ex.start.notna() & ex.end.notna() & (ex.end <= ex.start)
    for pos in np.flatnonzero(backwards.to_numpy()):
        p.add("calendar_exceptions", ds.where("calendar_exceptions", pos), "end", ex.end.iloc[pos],
              "end is not after start", "give the moment the exception ends")


def _override_rules(ds: Dataset, p: Problems) -> None:
    if not ds.has("forecast_overrides"):
        return
    ov = ds.forecast_overrides
    for pos in np.flatnonzero((ov.qty.isna() & ov.pct.isna()).to_numpy()):
        p.add("forecast_overrides", ds.where("forecast_overrides", pos), "qty", "",
              "neither qty nor pct given", "give a quantity in qty or a percent change in pct")
    for pos in np.flatnonzero((ov.qty.notna() & ov.pct.notna()).to_numpy()):
        p.add("forecast_overrides", ds.where("forecast_overrides", pos), "pct", _fmt(ov.pct.iloc[pos]),
              "both qty and pct given", "keep one of them")


def _receipt_rules(ds: Dataset, p: Problems) -> None:
    if not ds.has("scheduled_receipts"):
        return
    sr = ds.scheduled_receipts
    late_release = sr.release_date.notna() & (sr.release_date > sr.due_date)
    for pos in np.flatnonzero(late_release.to_numpy()):
        p.add("scheduled_receipts", ds.where("scheduled_receipts", pos), "release_date",
              sr.release_date.iloc[pos].date(), "released after it is due",
              "correct release_date or due_date")
    if ds.has("items"):
        types = _lookup(ds.items, "item_id", "item_type")
        kind = sr.item_id.map(types)
        wrong = ((sr.order_type == "purchase") & (kind == "make")) | ((sr.order_type == "production") & (kind == "buy"))
        for pos in np.flatnonzero(wrong.to_numpy()):
            p.warn("scheduled_receipts", ds.where("scheduled_receipts", pos), "order_type",
                   sr.order_type.iloc[pos], f"order type does not match item_type '{kind.iloc[pos]}'",
                   "check the order type or the item master")


def _progress_rules(ds: Dataset, p: Problems) -> None:
    if not (ds.has("operations_progress") and ds.has("routings") and ds.has("scheduled_receipts")):
        return
    op = ds.operations_progress
    item = op.order_id.map(_lookup(ds.scheduled_receipts, "order_id", "item_id"))
    steps = set(zip(ds.routings.item_id, ds.routings.op_seq))
    for pos in range(len(op)):
        if pd.notna(item.iloc[pos]) and (item.iloc[pos], op.op_seq.iloc[pos]) not in steps:
            p.add("operations_progress", ds.where("operations_progress", pos), "op_seq",
                  op.op_seq.iloc[pos], f"item {item.iloc[pos]} has no operation {op.op_seq.iloc[pos]}",
                  "use an op_seq of the item's routing")
    running = (op.status == "running") & (op.machine_id.isna() | op.actual_start.isna())
    for pos in np.flatnonzero(running.to_numpy()):
        p.add("operations_progress", ds.where("operations_progress", pos), "machine_id", "",
              "a running operation needs its machine_id and actual_start",
              "fill in the machine it runs on and when it started")


#: A gap in the demand history longer than this [days] splits it into separate stretches.
HISTORY_GAP_DAYS = 365

#: More planned orders than this for one item in one week means max_order_qty is a typing error.
ORDERS_PER_WEEK_MAX = 1000


def _history_rules(ds: Dataset, p: Problems, today=None) -> None:
    """Demand history far outside the rest of it: a typo in a year moves or distorts the forecast.

    - a row dated after ``today`` is an error (history is what was shipped; one row in
      2036 moves the whole forecast to 2036);
    - the table's dates are split where two consecutive dates are more than
      :data:`HISTORY_GAP_DAYS` apart; rows after the stretch holding most rows are an
      error, rows before it a warning (a 2016 row in a 2024-2026 history makes the
      item look intermittent);
    - per item the same split: rows before the item's main stretch are a warning.
    """
    if not ds.has("demand_history"):
        return
    h = ds.demand_history
    if h.empty:
        return
    today = pd.Timestamp(today if today is not None else dt.date.today()).normalize()
    dates = h["date"]
    future = (dates > today).fillna(False).to_numpy()
    for pos in np.flatnonzero(future):
        p.add("demand_history", ds.where("demand_history", pos), "date", _fmt(dates.iloc[pos]),
              f"history dated after today ({today:%Y-%m-%d})",
              "correct the date (a typo in the year?) or remove the row: history is what was shipped, "
              "and a forecast starts after its last date")
    usable = dates.notna().to_numpy() & ~future
    if not usable.any():
        return
    reported = future.copy()
    frame = pd.DataFrame({"item": h["item_id"].to_numpy(), "date": dates.to_numpy(),
                          "pos": np.arange(len(h))})[usable]

    def stretches(sorted_frame: pd.DataFrame, by_item: bool) -> tuple[np.ndarray, np.ndarray]:
        """Rows before and after the main stretch (the one with most rows) of each group."""
        gap = sorted_frame["date"].diff().dt.days.gt(HISTORY_GAP_DAYS).to_numpy()
        new_group = sorted_frame["item"].ne(sorted_frame["item"].shift()).to_numpy() if by_item \
            else np.r_[True, np.zeros(len(sorted_frame) - 1, bool)]
        stretch = np.cumsum(gap | new_group)
        group = np.cumsum(new_group)
        size = pd.Series(stretch).map(pd.Series(stretch).value_counts()).to_numpy()
        main = pd.DataFrame({"group": group, "stretch": stretch, "size": size}) \
            .sort_values(["group", "size", "stretch"]).groupby("group").stretch.last()
        main_of_row = pd.Series(group).map(main).to_numpy()
        return stretch < main_of_row, stretch > main_of_row

    table = frame.sort_values("date", kind="stable")
    before, after = stretches(table, by_item=False)
    main_dates = table["date"][~before & ~after]
    first, last = main_dates.min(), main_dates.max()
    for pos, date in zip(table["pos"][after], table["date"][after]):
        p.add("demand_history", ds.where("demand_history", pos), "date", _fmt(date),
              f"history dated {(date - last).days} days after the rest of it ends ({last:%Y-%m-%d}): "
              "the forecast would start after this date",
              "correct the date (a typo in the year?) or remove the row")
        reported[pos] = True
    for pos, date in zip(table["pos"][before], table["date"][before]):
        p.warn("demand_history", ds.where("demand_history", pos), "date", _fmt(date),
               f"history dated {(first - date).days} days before the rest of it starts ({first:%Y-%m-%d}): "
               "the item's history looks longer and mostly zero (intermittent)",
               "correct the date (a typo in the year?) or remove the row; if the item really sold then, "
               "give its history in between")
        reported[pos] = True
    per_item = frame[~reported[frame["pos"].to_numpy()]].sort_values(["item", "date"], kind="stable")
    if per_item.empty:
        return
    before, _ = stretches(per_item, by_item=True)
    if before.any():
        starts = per_item[~before].groupby("item")["date"].min()
        for pos, item, date in zip(per_item["pos"][before], per_item["item"][before], per_item["date"][before]):
            p.warn("demand_history", ds.where("demand_history", pos), "date", _fmt(date),
                   f"history of {item} dated {(starts[item] - date).days} days before the rest of its history "
                   f"starts ({starts[item]:%Y-%m-%d}): the item looks intermittent",
                   "correct the date or remove the row; if the item really sold then, give its history "
                   "in between")


def history_problems(ds: Dataset, today=None) -> pd.DataFrame:
    """The problems of :func:`_history_rules` alone (for callers that read only the history).

    Returns
    -------
    DataFrame
        Columns ``severity, table, row, column, value, problem, fix``.
    """
    p = Problems()
    _history_rules(ds, p, today)
    return p.frame()



# --------------------------------------------------------------------------- the weekly loop: what happened

#: Receipts above the open quantity of a purchase order by at most this fraction are a warning
#: (over-delivery within tolerance), beyond it an error; the same for good + scrap on an operation.
OVER_TOLERANCE = 0.005

#: A production report dated more than this many days from its start and its end is a warning.
REPORT_DATE_SLACK_DAYS = 1

#: The execution tables, their date column and the kind of order they refer to.
_EXECUTION = {"production_reports": ("report_date", "production"), "material_issues": ("issue_date", "production"),
              "goods_receipts": ("received_date", "purchase"), "supplier_confirmations": ("confirmed_on", "purchase")}


def _day(ts) -> str:
    return _fmt(pd.Timestamp(ts))


def _loop_rules(ds: Dataset, p: Problems, future_from, as_of_max) -> None:
    """The execution records against the snapshot convention (docs/weekly-loop.md).

    Rows dated on or after ``as_of`` (and before ``future_from``) must be applied to the
    snapshot, so what they refer to must be in it: an unknown order there is an error, while
    before ``as_of`` (an order since closed) it is a warning. Rows dated on or after
    ``future_from`` (the plan start, or the day after ``today``) are in the future; a snapshot
    dated after ``as_of_max`` (the plan start; None: not checked) cannot be planned from.
    """
    future_from = pd.Timestamp(future_from)
    _as_of_rules(ds, p, None if as_of_max is None else pd.Timestamp(as_of_max))
    as_of = actuals.snapshot_date(ds)
    applied = {}
    for table, (column, kind) in _EXECUTION.items():
        if not ds.has(table) or ds[table].empty:
            continue
        frame = ds[table]
        dates = frame[column]
        future = (dates >= future_from).fillna(False).to_numpy()
        for pos in np.flatnonzero(future):
            p.add(table, ds.where(table, pos), column, _fmt(dates.iloc[pos]),
                  f"dated in the future (on or after {_day(future_from)}): a record of what happened "
                  "cannot be dated after the plan starts",
                  "correct the date, or plan a later week")
        # without as_of the snapshot is current: every record is already in it
        after = ((dates >= as_of) if as_of is not None else pd.Series(False, index=frame.index)).to_numpy()
        applied[table] = after & ~future
        _unknown_orders(ds, p, table, kind, applied[table])
    if as_of is not None and ds.has("demand_history") and len(ds.demand_history):
        dates = ds.demand_history["date"]
        for pos in np.flatnonzero((dates >= future_from).fillna(False).to_numpy()):
            if p.has_error("demand_history", ds.where("demand_history", pos), "date"):
                continue  # the history rule said it already (dated after today)
            p.add("demand_history", ds.where("demand_history", pos), "date", _fmt(dates.iloc[pos]),
                  f"shipment dated in the future (on or after {_day(future_from)})",
                  "correct the date: shipments after the snapshot are applied up to the plan start")
    if "goods_receipts" in applied:
        _over_receipt(ds, p, applied["goods_receipts"])
    if "production_reports" in applied:
        _report_rules(ds, p, applied["production_reports"])
    if "material_issues" in applied:
        _return_rule(ds, p)
    _staffing_rules(ds, p)
    if as_of is not None and ds.has("inventory") and as_of < future_from:
        _negative_stock(ds, p, actuals.stock_balance(ds, future_from), as_of, future_from)


def _as_of_rules(ds: Dataset, p: Problems, as_of_max: pd.Timestamp | None) -> None:
    if not ds.has("inventory") or "as_of" not in ds.inventory:
        return
    as_of = ds.inventory.as_of
    if as_of.isna().all():
        return
    counts = as_of.value_counts()
    top = set(counts.index[counts == counts.max()])
    first = next(v for v in as_of if v in top)  # the date most rows give (the first of a tie)
    for pos in np.flatnonzero((as_of != first).to_numpy()):
        p.add("inventory", ds.where("inventory", pos), "as_of", _fmt(as_of.iloc[pos]),
              f"as_of differs from the other rows ({_day(first)}): the snapshot has one date",
              f"give every row the snapshot's date ({_day(first)})")
    if as_of_max is None:
        return
    late = (as_of > as_of_max).fillna(False).to_numpy()
    for pos in np.flatnonzero(late)[:1]:
        p.add("inventory", ds.where("inventory", pos), "as_of", _fmt(as_of.iloc[pos]),
              f"the snapshot is dated after the plan start ({_day(as_of_max)}): a plan cannot start "
              "before the state it plans from", "plan a week starting on or after as_of, or correct as_of")


def _unknown_orders(ds: Dataset, p: Problems, table: str, kind: str, applied: np.ndarray) -> None:
    frame = ds[table]
    sr = ds.scheduled_receipts if ds.has("scheduled_receipts") else None
    types = _lookup(sr, "order_id", "order_type") if sr is not None else pd.Series(dtype=object)
    found = frame.order_id.map(types)
    other = "purchase" if kind == "production" else "production"
    for pos in np.flatnonzero((found == other).to_numpy()):
        p.add(table, ds.where(table, pos), "order_id", frame.order_id.iloc[pos],
              f"{frame.order_id.iloc[pos]} is a {other} order: {table} refer to {kind} orders",
              "correct the order_id")
    missing = (found.isna() & frame.order_id.notna()).to_numpy()
    for pos in np.flatnonzero(missing & applied):
        p.add(table, ds.where(table, pos), "order_id", frame.order_id.iloc[pos],
              f"unknown {kind} order (not in scheduled_receipts), dated on or after the snapshot "
              "(inventory.as_of): it must be open in the snapshot to be applied",
              "correct the order_id, or add the order to scheduled_receipts as it was at as_of")
    for pos in np.flatnonzero(missing & ~applied):
        p.warn(table, ds.where(table, pos), "order_id", frame.order_id.iloc[pos],
               f"unknown {kind} order (not in scheduled_receipts): an order closed before the snapshot? "
               "The row counts in reports only",
               "nothing to do if the order is closed; else correct the order_id")
    if table == "goods_receipts" and sr is not None:
        po_item = frame.order_id.map(_lookup(sr, "order_id", "item_id"))
        wrong = (po_item.notna() & (po_item != frame.item_id)).to_numpy()
        for pos in np.flatnonzero(wrong):
            p.add(table, ds.where(table, pos), "item_id", frame.item_id.iloc[pos],
                  f"purchase order {frame.order_id.iloc[pos]} is for {po_item.iloc[pos]}",
                  "correct the item_id or the order_id")


def _over_receipt(ds: Dataset, p: Problems, applied: np.ndarray) -> None:
    """Receipts applied to a purchase order above its open quantity in the snapshot."""
    if not ds.has("scheduled_receipts"):
        return
    gr = ds.goods_receipts.assign(pos_=np.arange(len(ds.goods_receipts)))[applied]
    open_qty = gr.order_id.map(_lookup(ds.scheduled_receipts, "order_id", "qty"))
    gr = gr.assign(open_=open_qty)[open_qty.notna()].sort_values(["order_id", "received_date", "pos_"])
    if gr.empty:
        return
    cum = gr.groupby("order_id").qty.cumsum()
    before = cum - gr.qty
    crossing = (cum > gr.open_ + 1e-9) & (before <= gr.open_ + 1e-9)  # the receipt that goes over
    total = gr.groupby("order_id").qty.transform("sum")
    for row in gr[crossing].assign(total_=total[crossing]).itertuples():
        over = row.total_ - row.open_
        text = (f"receipts since the snapshot total {_fmt(row.total_)}, above the open quantity "
                f"{_fmt(row.open_)} of {row.order_id} by {_fmt(round(over, 6))}")
        if over <= OVER_TOLERANCE * row.open_:
            p.warn("goods_receipts", ds.where("goods_receipts", row.pos_), "qty", _fmt(row.qty),
                   text + f" (within the {OVER_TOLERANCE:.1%} over-delivery tolerance)",
                   "nothing to do if the supplier over-delivered; the order is closed")
        else:
            p.add("goods_receipts", ds.where("goods_receipts", row.pos_), "qty", _fmt(row.qty),
                  text + f" (more than the {OVER_TOLERANCE:.1%} tolerance)",
                  "correct the quantity or the order_id, or give the order's open qty at as_of")


def _report_rules(ds: Dataset, p: Problems, applied: np.ndarray) -> None:
    """Production reports: routing, machine, times, machine given, and good + scrap per op."""
    pr = ds.production_reports
    backwards = (pr.start.notna() & pr.end.notna() & (pr.end < pr.start)).to_numpy()
    for pos in np.flatnonzero(backwards):
        p.add("production_reports", ds.where("production_reports", pos), "end", _fmt(pr.end.iloc[pos]),
              f"end is before start ({_fmt(pr.start.iloc[pos])})", "correct start or end")
    slack = pd.Timedelta(days=REPORT_DATE_SLACK_DAYS)
    far = pd.Series(True, index=pr.index)
    for col in ("start", "end"):
        far &= pr[col].isna() | ((pr[col].dt.normalize() - pr.report_date).abs() > slack)
    far &= pr.start.notna() | pr.end.notna()
    for pos in np.flatnonzero(far.to_numpy()):
        p.warn("production_reports", ds.where("production_reports", pos), "report_date",
               _fmt(pr.report_date.iloc[pos]),
               f"more than {REPORT_DATE_SLACK_DAYS} day from the report's start and end "
               f"({_fmt(pr.start.iloc[pos])} .. {_fmt(pr.end.iloc[pos])})",
               "correct report_date (the day of the shift) or the times")
    no_machine = applied & pr.machine_id.isna().to_numpy()
    for pos in np.flatnonzero(no_machine):
        p.add("production_reports", ds.where("production_reports", pos), "machine_id", "",
              "empty on a report applied to the snapshot: the schedule needs the machine a started "
              "operation runs on", "fill in the machine the operation ran on")
    if not (ds.has("scheduled_receipts") and ds.has("routings")):
        return
    sr = ds.scheduled_receipts
    item = pr.order_id.map(_lookup(sr[sr.order_type == "production"], "order_id", "item_id"))
    route = ds.routings.drop_duplicates(["item_id", "op_seq"]).set_index(["item_id", "op_seq"]).work_center_id
    keys = pd.MultiIndex.from_arrays([item, pr.op_seq.astype("Int64")])
    wc = pd.Series(route.reindex(keys).to_numpy(), index=pr.index)
    not_routed = item.notna() & wc.isna()
    for pos in np.flatnonzero(not_routed.to_numpy()):
        p.add("production_reports", ds.where("production_reports", pos), "op_seq", pr.op_seq.iloc[pos],
              f"item {item.iloc[pos]} (order {pr.order_id.iloc[pos]}) has no operation {pr.op_seq.iloc[pos]}",
              "use an op_seq of the item's routing")
    if ds.has("machines"):
        m_wc = pr.machine_id.map(_lookup(ds.machines, "machine_id", "work_center_id"))
        wrong = wc.notna() & m_wc.notna() & (m_wc != wc)
        for pos in np.flatnonzero(wrong.to_numpy()):
            p.warn("production_reports", ds.where("production_reports", pos), "machine_id", pr.machine_id.iloc[pos],
                   f"machine of work center {m_wc.iloc[pos]}; operation {pr.op_seq.iloc[pos]} of "
                   f"{item.iloc[pos]} is routed to {wc.iloc[pos]}",
                   "correct the machine_id, or route the operation to the machine's work center")
    _over_report(ds, p, applied & item.notna().to_numpy())


def _over_report(ds: Dataset, p: Problems, applied: np.ndarray) -> None:
    """Good + scrap reported on an operation since the snapshot above the quantity entering it."""
    pr = ds.production_reports.assign(pos_=np.arange(len(ds.production_reports)))[applied]
    if pr.empty:
        return
    sr = ds.scheduled_receipts
    open_qty = pr.order_id.map(_lookup(sr[sr.order_type == "production"], "order_id", "qty"))
    prog = ds.operations_progress if ds.has("operations_progress") else None
    done = 0.0
    if prog is not None and len(prog):
        before = prog.drop_duplicates(["order_id", "op_seq"]).set_index(["order_id", "op_seq"]).qty_done
        done = before.reindex(pd.MultiIndex.from_arrays([pr.order_id, pr.op_seq.astype("Int64")])) \
            .fillna(0.0).to_numpy()
    pr = pr.assign(open_=open_qty.to_numpy(), done_=done, both_=pr.qty_good + pr.qty_scrap)
    ops = pr.groupby(["order_id", "op_seq"]).agg(good=("qty_good", "sum"), scrap=("qty_scrap", "sum"),
                                                  both=("both_", "sum"), open=("open_", "first"),
                                                  done=("done_", "first"), last=("pos_", "max"))
    ops = ops.reset_index().sort_values(["order_id", "op_seq"])
    entering = ops.open - (ops.groupby("order_id").scrap.cumsum() - ops.scrap)
    total = ops.both + ops.done
    for row in ops.assign(in_=entering, total_=total)[total > entering + 1e-9].itertuples():
        text = (f"good + scrap on operation {row.op_seq} of {row.order_id} total {_fmt(row.total_)} "
                f"({_fmt(row.done)} done at the snapshot), above the {_fmt(row.in_)} entering it "
                "(the order's open qty less the scrap on earlier operations)")
        fix = "correct the quantities, or give the order's open qty and progress at as_of"
        where = ds.where("production_reports", int(row.last))
        value = _fmt(ds.production_reports.qty_good.iloc[int(row.last)])
        if row.total_ - row.in_ <= OVER_TOLERANCE * row.in_:
            p.warn("production_reports", where, "qty_good", value,
                   text + f" by at most {OVER_TOLERANCE:.1%}", "nothing to do if more was made than ordered")
        else:
            p.add("production_reports", where, "qty_good", value, text, fix)


def _return_rule(ds: Dataset, p: Problems) -> None:
    """A return (negative issue) larger than what was issued to the order before it."""
    mi = ds.material_issues.assign(pos_=np.arange(len(ds.material_issues)))
    mi = mi.sort_values(["order_id", "item_id", "issue_date", "pos_"])
    cum = mi.groupby(["order_id", "item_id"]).qty.cumsum()
    bad = (mi.qty < 0) & (cum < -1e-9)
    for row in mi.assign(cum_=cum)[bad].itertuples():
        p.add("material_issues", ds.where("material_issues", row.pos_), "qty", _fmt(row.qty),
              f"returns {_fmt(-row.qty)} of {row.item_id} from {row.order_id}, more than was issued to it "
              f"(net {_fmt(row.cum_)})", "correct the quantity, or give the issues it returns")


def _staffing_rules(ds: Dataset, p: Problems) -> None:
    if not ds.has("staffing") or ds.staffing.empty:
        return
    st = ds.staffing.assign(pos_=np.arange(len(ds.staffing)))
    st = st.dropna(subset=["work_center_id", "weekday", "start_time", "end_time"])
    end = st.end_time.where(st.end_time > st.start_time, st.end_time + 24.0)  # past midnight
    st = st.assign(_end=end).sort_values(["work_center_id", "weekday", "start_time", "pos_"])
    prev_end = st.groupby(["work_center_id", "weekday"])._end.cummax().groupby(
        [st.work_center_id, st.weekday]).shift()
    overlap = prev_end.notna() & (st.start_time < prev_end)
    for row in st[overlap].itertuples():
        p.add("staffing", ds.where("staffing", row.pos_), "start_time", f"{int(row.start_time):02d}:"
              f"{round(row.start_time % 1 * 60):02d}",
              f"overlaps an earlier shift of {row.work_center_id} on the same weekday",
              "one row per shift: merge the rows or correct the times")
    frac = ds.staffing.operators.notna() & (ds.staffing.operators % 1 != 0)
    for pos in np.flatnonzero(frac.to_numpy()):
        p.warn("staffing", ds.where("staffing", pos), "operators", _fmt(ds.staffing.operators.iloc[pos]),
               "fractional operators (a headcount)", "give whole operators, unless a part-time share is meant")


def _negative_stock(ds: Dataset, p: Problems, balance: pd.DataFrame, as_of, until) -> None:
    """On hand below zero once the records since the snapshot are applied."""
    low = balance[balance.end < -1e-9]
    if low.empty:
        return
    invpos_ = {item: pos for pos, item in reversed(list(enumerate(ds.inventory.item_id)))}
    out = []
    for table, column in (("material_issues", "issue_date"), ("demand_history", "date")):
        if ds.has(table) and len(ds[table]):
            f = ds[table]
            hit = f.item_id.isin(low.item_id) & (f[column] >= as_of) & (f[column] < until) & (f.qty > 0)
            out += [(item, ds.where(table, pos)) for pos, item in zip(np.flatnonzero(hit.to_numpy()), f.item_id[hit])]
    rows = pd.DataFrame(out, columns=["item_id", "row"]).groupby("item_id").row.agg(list) if out else {}
    for r in low.itertuples():
        named = list(rows.get(r.item_id, [])) if len(rows) else []
        shown = ", ".join(named[:5]) + (f" and {len(named) - 5} more" if len(named) > 5 else "")
        where = ds.where("inventory", invpos_[r.item_id]) if r.item_id in invpos_ else "inventory (no row)"
        p.warn("inventory", where, "on_hand", _fmt(r.start),
               f"on hand of {r.item_id} goes below zero ({_fmt(round(r.end, 6))}) once the records since the "
               f"snapshot are applied" + (f": {shown}" if shown else ""),
               "check the snapshot's on hand and the issues and shipments named")


def loop_problems(ds: Dataset, plan_start) -> pd.DataFrame:
    """The execution records checked against a plan starting at ``plan_start``
    (:func:`_loop_rules` with the plan start as the first day of the future).

    Parameters
    ----------
    ds : Dataset
    plan_start : date-like

    Returns
    -------
    DataFrame
        Columns ``severity, table, row, column, value, problem, fix``.
    """
    p = Problems()
    start = pd.Timestamp(plan_start)
    _loop_rules(ds, p, future_from=start, as_of_max=start)
    return p.frame()


def planning_dataset(ds: Dataset, plan_start) -> Dataset:
    """The dataset a plan starting at ``plan_start`` plans from: checked against the snapshot
    convention at the plan start, then :func:`planlib.actuals.apply_actuals` up to it.

    Every planning path calls it (the CLI's ``forecast``, ``mrp``, ``schedule`` and ``run``, the
    notebooks through :func:`planlib.pipeline.inputs`, :func:`planlib.scenario.plan_scenario` and
    the scenario editor). It is idempotent: the applied dataset has ``as_of`` = ``plan_start``.

    Parameters
    ----------
    ds : Dataset
    plan_start : date-like

    Returns
    -------
    Dataset
        As :func:`planlib.actuals.apply_actuals`; the warnings of the check added to ``warnings``.

    Raises
    ------
    InputError
        With the problems table, if an execution record is dated on or after the plan start, the
        snapshot is dated after it, or another rule of :func:`loop_problems` fails.
    """
    start = pd.Timestamp(plan_start)
    problems = loop_problems(ds, start)
    errors = problems[problems.severity == "error"]
    if len(errors):
        raise InputError(f"{len(errors)} problem(s) in the execution records for a plan starting "
                         f"{start:%Y-%m-%d}", errors)
    applied = actuals.apply_actuals(ds, start)
    warnings = problems[problems.severity == "warning"]
    if len(warnings):
        known = applied.warnings if applied.warnings is not None else warnings.iloc[:0]
        merged = pd.concat([known, warnings], ignore_index=True).drop_duplicates(
            subset=["table", "row", "column", "problem"])
        applied = Dataset(applied.tables, applied.source, applied.present, applied.rows, merged)
    return applied


def weekly_requirement(ds: Dataset) -> pd.Series:
    """A rough weekly requirement per item, to judge order-size limits.

    The larger of the item's largest open order line and its average weekly
    demand history, plus what its parents need of it through the BOM (quantity
    per and scrap, effectivity ignored; items in a BOM cycle get only their own).

    Returns
    -------
    Series
        Requirement per ``item_id`` [uom per week].
    """
    own = pd.Series(0.0, index=pd.Index(ds.items.item_id.dropna().unique(), name="item_id"))
    if ds.has("demand") and len(ds.demand):
        own = np.maximum(own, ds.demand.groupby("item_id").qty.max().reindex(own.index).fillna(0.0))
    if ds.has("demand_history") and len(ds.demand_history):
        h = ds.demand_history.dropna(subset=["date", "qty"])
        if len(h):
            weeks = max(1.0, (h.date.max() - h.date.min()).days / 7 + 1)
            mean = h[h.qty > 0].groupby("item_id").qty.sum() / weeks
            own = np.maximum(own, mean.reindex(own.index).fillna(0.0))
    need = own.astype(float).copy()
    if not ds.has("bom") or ds.bom.empty:
        return need
    bom = ds.bom.dropna(subset=["parent_id", "component_id", "qty_per"])
    bom = bom[bom.parent_id.isin(need.index) & bom.component_id.isin(need.index)]
    # Kahn's order, a whole frontier at a time: an item passes its need on once all its parents
    # have passed theirs (items in or below a BOM cycle never do: they keep what reached them)
    parent = need.index.get_indexer(bom.parent_id)
    comp = need.index.get_indexer(bom.component_id)
    factor = bom.qty_per.to_numpy(float) * (1 + bom.scrap_pct.fillna(0.0).to_numpy(float) / 100)
    values = need.to_numpy(copy=True)
    parents_left = np.bincount(comp, minlength=len(values))
    frontier = parents_left == 0
    while frontier.any():
        lines = frontier[parent]
        values += np.bincount(comp[lines], weights=values[parent[lines]] * factor[lines], minlength=len(values))
        done = np.bincount(comp[lines], minlength=len(values))
        parents_left -= done
        frontier = (parents_left == 0) & (done > 0)
    return pd.Series(values, index=need.index)


def _order_count_rule(ds: Dataset, p: Problems) -> None:
    """A max_order_qty so small that one week needs more than ORDERS_PER_WEEK_MAX orders."""
    if not ds.has("items"):
        return
    items = ds.items
    capped = items.max_order_qty.notna() & (items.max_order_qty > 0)
    if not capped.any():
        return
    need = weekly_requirement(ds)
    caps = items.max_order_qty.to_numpy(dtype=float, na_value=np.nan)
    weeklies = need.reindex(items.item_id).fillna(0.0).to_numpy(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        too_many = capped.to_numpy() & (weeklies / np.where(capped.to_numpy(), caps, 1.0) > ORDERS_PER_WEEK_MAX)
    for pos in np.flatnonzero(too_many):
        cap, weekly = float(caps[pos]), float(weeklies[pos])
        if weekly / cap > ORDERS_PER_WEEK_MAX:
            p.add("items", ds.where("items", pos), "max_order_qty", _fmt(cap),
                  f"max_order_qty splits about {weekly:,.0f} a week (largest open order or average weekly "
                  f"demand, through the BOM) into {weekly / cap:,.0f} orders",
                  f"raise max_order_qty to at least {weekly / ORDERS_PER_WEEK_MAX:.3g} (at most "
                  f"{ORDERS_PER_WEEK_MAX:,} orders a week) or leave it empty for no limit")


def _machine_rules(ds: Dataset, p: Problems, severity: str = "warning") -> None:
    """Work centers that routings use but no machine belongs to: nothing can schedule there."""
    if not (ds.has("routings") and ds.has("machines")) and severity == "warning":
        return
    equipped = set(ds.machines.work_center_id.dropna())
    routings = ds.routings
    for wc in sorted(set(routings.work_center_id.dropna()) - equipped):
        pos = int(np.flatnonzero((routings.work_center_id == wc).to_numpy())[0])
        p.add("routings", ds.where("routings", pos), "work_center_id", wc,
              "no machine belongs to this work center: its operations cannot be scheduled",
              f"add a machine with work_center_id {wc} to machines", severity=severity)


def long_uninterruptible_operations(ds: Dataset) -> pd.DataFrame:
    """Uninterruptible routing operations that cannot run in one shift even for a typical lot.

    An operation flagged ``uninterruptible`` must run inside one continuous working interval
    of its machine. Its run for the item's typical lot (``items.lot_size`` of a fixed-order-
    quantity item; else the median quantity of the item's open production orders; else
    ``items.min_order_qty``; else one unit) divided by each machine's ``speed_factor`` is
    compared with the longest continuous working interval of every machine of the work
    center over the next four weeks of its calendar (from the Monday of the week of the first
    open order's release, or of today; :func:`planlib.calendar.longest_working_interval`).
    Setup is not counted: it may be done before. Also reachable as
    ``planlib.schedule.long_uninterruptible_operations``; it lives here so that ``planlib
    validate`` does not load the scheduler (and OR-Tools).

    Returns
    -------
    DataFrame
        The problems table of :mod:`planlib.problems` (``severity, table, row, column,
        value, problem, fix``), one error per operation, ``table`` ``routings``, ``row``
        ``<item_id> op <op_seq>``, ``column`` ``uninterruptible``.
    """
    problems = Problems()
    if not (ds.has("routings") and ds.has("machines")):
        return problems.frame()
    r = ds.routings
    un = r[r.uninterruptible.astype("boolean").fillna(False).astype(bool)]
    if un.empty:
        return problems.frame()
    sr = ds.scheduled_receipts if ds.has("scheduled_receipts") else pd.DataFrame(columns=["item_id", "qty",
                                                                                          "order_type"])
    prod = sr[sr.order_type == "production"].groupby("item_id").qty.median()
    rel = pd.to_datetime(sr.release_date) if "release_date" in sr else pd.Series(dtype="datetime64[ns]")
    t0 = rel.min() if rel.notna().any() else pd.Timestamp.today()
    t0 = monday(t0)
    longest = longest_working_interval(machine_intervals(ds, t0, t0 + pd.Timedelta(days=28)), t0)

    # the typical lot of each operation's item, in the order of the rules above
    items = ds.items.drop_duplicates("item_id").set_index("item_id")
    item = un.item_id
    known = item.isin(items.index).to_numpy()

    def column(name):
        if name not in items:
            return pd.Series(np.nan, index=un.index)
        return pd.Series(item.map(items[name]).to_numpy(), index=un.index)

    lot_size = pd.to_numeric(column("lot_size"), errors="coerce").to_numpy(dtype=float)
    foq = known & (column("lot_rule").astype(str) == "FOQ").to_numpy() & (lot_size > 0)
    median = pd.to_numeric(item.map(prod), errors="coerce").to_numpy(dtype=float)
    moq = pd.to_numeric(column("min_order_qty"), errors="coerce").to_numpy(dtype=float)
    lots = np.select([foq, ~np.isnan(median), known & (moq > 0)], [lot_size, median, moq], 1.0)
    bases = np.select([foq, ~np.isnan(median), known & (moq > 0)],
                      ["fixed lot size", "median open production order", "minimum order quantity"], "one unit")

    # every (operation, machine of its work center): the run for the typical lot against the longest shift
    mach = ds.machines.dropna(subset=["work_center_id"]).drop_duplicates(["work_center_id", "machine_id"])
    speed = mach.drop_duplicates("machine_id", keep="last").set_index("machine_id").speed_factor.fillna(1.0)
    ops = pd.DataFrame({"op": np.arange(len(un)), "work_center_id": un.work_center_id.to_numpy(),
                        "lot": lots, "rmpu": pd.to_numeric(un.run_min_per_unit).to_numpy(dtype=float)})
    pairs = ops.merge(mach[["work_center_id", "machine_id"]], on="work_center_id")  # no machine: another check
    pairs["speed"] = pairs.machine_id.map(speed).fillna(1.0).to_numpy(dtype=float)
    pairs["run"] = np.ceil(pairs.lot * pairs.rmpu / pairs.speed - 1e-9)
    pairs["longest"] = pairs.machine_id.map(longest).fillna(0).astype(np.int64)
    pairs["fits"] = ~(pairs.run > pairs.longest)
    per_op = pairs.groupby("op").agg(fits=("fits", "any"), run=("run", "min"), best=("longest", "max"),
                                     slowest=("speed", "min"))
    for k in per_op.index[~per_op.fits.to_numpy()]:
        run, best, slowest = per_op.run[k], int(per_op.best[k]), float(per_op.slowest[k])
        rmpu, lot, wc = float(ops.rmpu[k]), float(lots[k]), ops.work_center_id[k]
        max_lot = int(best * slowest // rmpu) if rmpu else 0
        problems.add("routings", f"{un.item_id.iat[k]} op {int(un.op_seq.iat[k])}", "uninterruptible", True,
                     f"uninterruptible run of {int(run)} min for a typical lot of {lot:g} "
                     f"({bases[k]}) is longer than the longest working interval ({best} min) of every "
                     f"machine of work center {wc}",
                     f"allow the operation to pause (uninterruptible false), add a longer shift to "
                     f"{wc}, or plan lots of at most {max_lot} units")
    return problems.frame()


def _uninterruptible_rule(ds: Dataset, p: Problems) -> None:
    """Uninterruptible operations whose typical lot cannot run in one shift (see
    :func:`long_uninterruptible_operations`)."""
    if not (ds.has("routings") and ds.has("machines") and ds.has("calendars")):
        return
    p.extend(long_uninterruptible_operations(ds))


_RULES = [_bom_cycles, _bom_dates, _items_rules, _order_count_rule, _calendar_rules, _exception_rules,
          _override_rules, _receipt_rules, _progress_rules, _machine_rules, _uninterruptible_rule]


# --------------------------------------------------------------------------- per planning step

#: Tables each step cannot run without, then the further tables it reads when present.
STEP_TABLES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "forecast": (("demand_history",), ("forecast_overrides", "items")),
    "mrp": (("items",), ("bom", "inventory", "scheduled_receipts", "demand", "suppliers", "routings",
                         "work_centers", "goods_receipts", "production_reports", "material_issues")),
    "schedule": (("items", "routings", "work_centers", "machines", "calendars"),
                 ("scheduled_receipts", "operations_progress", "calendar_exceptions", "setup_matrix",
                  "bom", "inventory", "demand", "goods_receipts", "production_reports", "material_issues")),
}
STEP_TABLES["run"] = (
    tuple(dict.fromkeys(t for s in ("forecast", "mrp", "schedule") for t in STEP_TABLES[s][0])),
    tuple(dict.fromkeys(t for s in ("forecast", "mrp", "schedule") for t in STEP_TABLES[s][1])),
)


def check_for(ds: Dataset, step: str, *, today=None, checked: bool = False) -> pd.DataFrame:
    """Check that a dataset holds what one planning step needs.

    Parameters
    ----------
    ds : Dataset
    step : {"forecast", "mrp", "schedule", "run"}
        ``run`` is the weekly run: all three.
    today : date-like, optional
        As in :func:`validate`.
    checked : bool
        ``ds`` is as :func:`planlib.data.load` returned it (strict, the same ``today``): every
        check of :func:`validate` passed, so it is not run again (its errors over the step's
        tables are a subset of those over all tables, which were none); the missing tables and
        the step's own rules are still checked.

    Returns
    -------
    DataFrame
        Columns ``severity, table, row, column, value, problem, fix``: a missing
        required table (see :data:`STEP_TABLES`), the errors of :func:`validate`
        in the tables the step reads, and the step's own rules (the schedule:
        every work center a routing uses has a machine). Empty when the step can run.
    """
    if step not in STEP_TABLES:
        raise ValueError(f"unknown step {step!r}: one of {', '.join(STEP_TABLES)}")
    required, used = STEP_TABLES[step]
    p = Problems()
    for name in required:
        if not ds.has(name):
            columns = ", ".join(c.name for c in TABLES[name].columns if c.required)
            p.add(name, "", "", "", f"table {name} is missing: planlib {step} needs it",
                  f"add the table {name} ({name}.csv, a sheet or a database table) with the columns {columns}")
    if step in ("schedule", "run") and ds.has("routings"):
        _machine_rules(ds, p, severity="error")
    found = validate(ds, tables=required + used, today=today) if not checked else p.frame().iloc[:0]
    frame = pd.concat([p.frame(), found[found.severity == "error"]], ignore_index=True)
    return frame.drop_duplicates(subset=["table", "row", "column", "problem"]).reset_index(drop=True)


def require(ds: Dataset, step: str, *, today=None, checked: bool = False) -> None:
    """Raise :class:`InputError` with the problems of :func:`check_for` if ``step`` cannot run.

    Call it first in each step function, so a missing table or a broken rule is
    a table of problems (exit 2), never a ``KeyError`` halfway through. ``checked`` as in
    :func:`check_for` (a dataset straight from a strict :func:`planlib.data.load`).
    """
    problems = check_for(ds, step, today=today, checked=checked)
    errors = problems[problems.severity == "error"]
    if errors.empty:
        return
    missing = [t for t in STEP_TABLES[step][0] if not ds.has(t)]
    what = f"table {', '.join(missing)} missing" if missing else f"{len(errors)} problem(s)"
    raise InputError(f"cannot run {step}: {what} in {mask_source(ds.source) or 'the dataset'}", errors)

