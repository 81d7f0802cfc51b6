"""Promise dates: when each customer order line can ship, by the schedule and by MRP.

The table a customer-service planner answers calls from. Each customer order line
(``demand``) is served by the supplies MRP pegs to it (:attr:`planlib.mrp.MrpResult.pegging`).
A supply is available

- ``on hand``: at the plan start;
- a make order in the finite-capacity schedule (an open production order or a planned
  make order): when its last operation ends;
- a make order not in the schedule (released beyond the schedule's horizon, or left
  out): at MRP's due date;
- an open or planned purchase order: at its due date;
- ``shortage`` (no supply): never; the line is flagged with the quantity short.

The line's ``scheduled_date`` is the latest availability of its pegged supplies; its
``mrp_date`` the latest ``supply_date`` MRP gives them (what MRP alone would promise).
Dates before the plan start count as the plan start (past-due supply is due now).

Conventions: ``days_late`` and ``gap_days`` are whole *calendar* days between dates
(the time of day of ``scheduled_date`` is dropped): a line is on time when it completes
on or before its due date. Words as in docs/glossary.md; guide in docs/promise-dates.md.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from planlib.problems import InputError, Problems

PROMISE_COLUMNS = ["order_id", "item_id", "customer_id", "qty", "due_date", "scheduled_date", "basis",
                   "supply_id", "mrp_date", "days_late", "gap_days", "short_qty", "reason"]

#: The short reasons :func:`planlib.schedule.late_orders` gives without naming their cause.
_BARE_REASONS = ("capacity", "material", "release date")


def promise_dates(demand: pd.DataFrame, pegging: pd.DataFrame, schedule: pd.DataFrame,
                  late_orders: pd.DataFrame, planned_orders: pd.DataFrame, plan_start, *,
                  scheduled_receipts: pd.DataFrame | None = None,
                  exceptions: pd.DataFrame | None = None,
                  horizon_days: int | None = None) -> pd.DataFrame:
    """Promise date of every customer order line, from the schedule and from MRP, with the reason for a gap.

    Parameters
    ----------
    demand : DataFrame
        Customer order lines: ``order_id, item_id, qty`` [uom], ``due_date``, optional
        ``customer_id`` (the ``demand`` table of docs/data-contract.md).
    pegging : DataFrame
        MRP's pegging: ``item_id, supply_type`` (``on_hand|scheduled_receipt|planned_order|none``),
        ``supply_id, supply_date, demand_type, demand_id, demand_item_id, demand_date, qty``
        (:attr:`planlib.mrp.MrpResult.pegging`). Rows with ``demand_type == "customer_order"``
        give each line's supplies; ``"dependent"`` rows give the components of a make order
        (used to name a late component).
    schedule : DataFrame
        The ``schedule`` table (:func:`planlib.schedule.report.to_schedule`): ``order_id, op_seq,
        work_center_id, setup_start, start, end`` (timestamps), ``earliest_start``.
    late_orders : DataFrame
        :func:`planlib.schedule.report.late_orders`: ``order_id`` and ``reason`` (passed through;
        the bare words ``capacity``, ``material``, ``release date`` are made specific: the work
        center where the order waited longest, the component supply that came last, the release
        date).
    planned_orders : DataFrame
        MRP's planned orders: ``order_id, item_id, order_type`` (``make|buy``), ``release_date,
        due_date``.
    plan_start : datetime-like
        First day of the plan: on hand is available then, and no date is earlier.
    scheduled_receipts : DataFrame, optional
        ``order_id, order_type`` (``purchase|production``): tells an open purchase order from a
        production order left out of the schedule. Without it an open order not in the schedule
        has basis ``open order``.
    exceptions : DataFrame, optional
        The schedule's exceptions (orders left out): ``row`` and ``problem``; their text is the
        reason for an order left out of the schedule.
    horizon_days : int, optional
        The schedule's horizon [days from plan start]: a make order released after it is said
        to be beyond the horizon.

    Raises
    ------
    InputError
        A table without a column it needs, a demand line without a due date or a repeated
        ``order_id`` in ``demand``; the problems table names table, row and column.

    Returns
    -------
    DataFrame
        One row per demand line, in the order of ``demand``. Columns ``order_id, item_id,
        customer_id, qty`` [uom], ``due_date`` (date), ``scheduled_date`` (timestamp: the line
        complete by the schedule; NaT when some of it has no supply), ``basis`` (what sets
        ``scheduled_date``: ``on hand``, ``schedule``, ``purchase order``, ``open order``,
        ``MRP due date`` for a make order not in the schedule, ``shortage``, or ``not pegged``
        when MRP did not plan the line), ``supply_id`` (the supply that sets the date),
        ``mrp_date`` (date MRP would promise; NaT when short), ``days_late`` [calendar days after
        ``due_date``, 0 when on time; missing when short], ``gap_days`` [calendar days,
        ``scheduled_date - mrp_date``; > 0 the schedule finishes later than MRP planned],
        ``short_qty`` [uom, no supply], ``reason`` (why the line is late or later than MRP, or
        short; empty otherwise).
    """
    _check_inputs(demand=demand, pegging=pegging, schedule=schedule, late_orders=late_orders,
                  planned_orders=planned_orders)
    t0 = pd.Timestamp(plan_start).normalize()
    peg = pegging[pegging.demand_type.astype(str) == "customer_order"]
    peg = peg.assign(demand_id=peg.demand_id.astype(str), supply_id=peg.supply_id.astype(str),
                     supply_type=peg.supply_type.astype(str))
    by_line: dict = {}  # a line's pegging rows as plain columns (a frame per line costs seconds at 10,000 items)
    for k, t, sid, d, q in zip(peg.demand_id.tolist(), peg.supply_type.tolist(), peg.supply_id.tolist(),
                               peg.supply_date.tolist(), peg.qty.tolist()):
        by_line.setdefault(k, _Pegged([], [], [], [])).add(t, sid, d, q)
    ctx = _Context(pegging, schedule, late_orders, planned_orders, t0, scheduled_receipts, exceptions,
                   horizon_days)
    customer = demand.customer_id if "customer_id" in demand else pd.Series(None, index=demand.index)
    rows = []
    for oid, item, cust, qty, due in zip(demand.order_id, demand.item_id, customer, demand.qty,
                                         pd.to_datetime(demand.due_date)):
        rows.append(_line(str(oid), item, cust, float(qty), due, by_line.get(str(oid)), ctx))
    out = pd.DataFrame(rows, columns=PROMISE_COLUMNS)
    for col in ("due_date", "scheduled_date", "mrp_date"):
        out[col] = pd.to_datetime(out[col])
    for col in ("days_late", "gap_days"):
        out[col] = out[col].astype("Int64")
    return out


_REQUIRED = {
    "demand": ("order_id", "item_id", "qty", "due_date"),
    "pegging": ("item_id", "supply_type", "supply_id", "supply_date", "demand_type", "demand_id", "qty"),
    "schedule": ("order_id", "op_seq", "work_center_id", "setup_start", "end"),
    "late_orders": ("order_id",),
    "planned_orders": ("order_id", "order_type", "release_date", "due_date"),
}


def _check_inputs(**tables) -> None:
    problems = Problems()
    for name, frame in tables.items():
        if frame is None:
            continue
        for col in _REQUIRED[name]:
            if col not in frame.columns:
                problems.add(name, "", col, "", f"{name} has no column {col}",
                             f"pass the {name} table as planlib writes it (see docs/promise-dates.md)")
    demand = tables["demand"]
    if not problems.errors:
        due = pd.to_datetime(demand.due_date, errors="coerce")
        for k in np.flatnonzero(due.isna().to_numpy()):
            problems.add("demand", f"demand row {k + 1}", "due_date", demand.due_date.iat[k],
                         f"order line {demand.order_id.iat[k]} has no due date", "give it a date YYYY-MM-DD")
        dup = demand.order_id.duplicated(keep="first").to_numpy()
        for k in np.flatnonzero(dup):
            problems.add("demand", f"demand row {k + 1}", "order_id", demand.order_id.iat[k],
                         f"order line {demand.order_id.iat[k]} appears more than once",
                         "give every customer order line its own order_id")
    if problems.errors:
        raise InputError(f"cannot compute promise dates: {problems.errors} problem(s) with the inputs",
                         problems.frame())


class _Context:
    """Lookups shared by every line: order completions, release dates, component supplies."""

    def __init__(self, pegging, schedule, late_orders, planned_orders, t0, receipts, exceptions, horizon_days):
        self.t0 = t0
        sch = schedule.assign(order_id=schedule.order_id.astype(str)).sort_values(["order_id", "op_seq"],
                                                                                   kind="stable")
        self.schedule = _Groups(sch, "order_id")  # an order's operations in op_seq order, built when asked
        self.completion = {k: pd.Timestamp(v) for k, v in sch.groupby("order_id", sort=False).end.max().items()}
        lo = late_orders if late_orders is not None and "reason" in late_orders else None
        self.late = ({} if lo is None else
                     dict(zip(lo.order_id.astype(str), lo.reason.fillna("").astype(str))))
        self.earliest_finish = ({} if lo is None or "earliest_finish" not in lo else
                                dict(zip(lo.order_id.astype(str), pd.to_datetime(lo.earliest_finish))))
        po = planned_orders
        self.planned = {str(o): (t, pd.Timestamp(r), pd.Timestamp(d)) for o, t, r, d in
                        zip(po.order_id, po.order_type, po.release_date, po.due_date)}
        self.receipt_type = ({} if receipts is None else
                             dict(zip(receipts.order_id.astype(str), receipts.order_type.astype(str))))
        self.left_out: dict = {}
        if exceptions is not None and len(exceptions):
            for row, text in zip(exceptions.row.astype(str), exceptions.problem.astype(str)):
                oid = row if row in self.planned or row in self.receipt_type else _order_named(text)
                if oid:
                    self.left_out.setdefault(oid, text)
        self.horizon_end = None if horizon_days is None else t0 + pd.Timedelta(days=int(horizon_days))
        dep = pegging[pegging.demand_type.astype(str) == "dependent"]
        self.components = _Groups(dep.assign(demand_id=dep.demand_id.astype(str)), "demand_id")

    def available(self, supply_type: str, supply_id: str, supply_date) -> tuple[pd.Timestamp, str]:
        """When a supply is available and on what basis."""
        if supply_type == "on_hand":
            return self.t0, "on hand"
        if supply_id in self.completion:
            return max(self.completion[supply_id], self.t0), "schedule"
        date = pd.Timestamp(supply_date)
        if pd.isna(date):  # no date on the pegging row: the planned order's own due date
            date = self.planned.get(supply_id, (None, None, self.t0))[2]
        date = max(date, self.t0)
        if supply_type == "planned_order":
            kind = self.planned.get(supply_id, ("buy",))[0]
            return date, "purchase order" if kind == "buy" else "MRP due date"
        kind = self.receipt_type.get(supply_id)
        return date, {"purchase": "purchase order", "production": "MRP due date"}.get(kind, "open order")

    def why(self, supply_id: str, basis: str, when: pd.Timestamp) -> str:
        """Why a supply comes when it does, for a planner."""
        if basis == "schedule":
            text = self.late.get(supply_id, "")
            if text in _BARE_REASONS:
                text = self._specific(supply_id, text)
            elif not text:
                last = self.schedule[supply_id].iloc[-1]
                own_due = pd.Timestamp(last.due_date) if "due_date" in last and pd.notna(last.due_date) else None
                if own_due is not None and when.normalize() <= own_due:
                    text = f"on time for its own due date {own_due:%Y-%m-%d}"
                else:
                    text = self._specific(supply_id, "capacity")
            return f"{supply_id} completes {when:%Y-%m-%d %H:%M}: {text}"
        if basis == "MRP due date":
            if supply_id in self.left_out:
                return f"{supply_id} left out of the schedule ({self.left_out[supply_id]}); MRP due date {when:%Y-%m-%d}"
            release = self.planned.get(supply_id, (None, pd.NaT))[1]
            if self.horizon_end is not None and pd.notna(release) and release > self.horizon_end:
                return (f"{supply_id} released {release:%Y-%m-%d}, beyond the schedule horizon "
                        f"({self.horizon_end:%Y-%m-%d}); MRP due date {when:%Y-%m-%d}")
            return f"{supply_id} not in the schedule; MRP due date {when:%Y-%m-%d}"
        if basis in ("purchase order", "open order"):
            return f"waits for {basis} {supply_id} due {when:%Y-%m-%d}"
        return ""

    def _specific(self, oid: str, bare: str) -> str:
        """A bare lateness reason made specific from the schedule and the pegging."""
        ops = self.schedule[oid]
        if bare == "release date":
            release = self.planned.get(oid, (None, pd.NaT))[1]
            first = pd.Timestamp(ops.earliest_start.iloc[0]) if "earliest_start" in ops else pd.NaT
            date = release if pd.notna(release) else first
            text = f"release date {date:%Y-%m-%d}" if pd.notna(date) else "release date"
            done = self.earliest_finish.get(oid, pd.NaT)
            if pd.notna(done):
                text += f": even on free machines it cannot finish before {done:%Y-%m-%d %H:%M}"
            return text
        if bare == "material":
            comp = self.components.get(oid)
            if comp is not None and len(comp):
                found = [(self.available(str(t), str(s), d)[0], str(i), str(s))
                         for t, s, d, i in zip(comp.supply_type, comp.supply_id, comp.supply_date, comp.item_id)
                         if str(t) != "none"]
                if found:
                    when, item, sid = max(found)
                    return f"material: waits for {item} from {sid} ({when:%Y-%m-%d %H:%M})"
            return "material"
        # capacity (or no reason given): the work center where the order waited longest for a machine
        ready = pd.Timestamp(ops.earliest_start.iloc[0]) if "earliest_start" in ops and \
            pd.notna(ops.earliest_start.iloc[0]) else self.t0
        wait, span, ready_at, prev = [], [], [], ready
        for ss, e in zip(ops.setup_start, ops.end):
            wait.append((pd.Timestamp(ss) - prev).total_seconds())
            span.append((pd.Timestamp(e) - pd.Timestamp(ss)).total_seconds())
            ready_at.append(prev)
            prev = pd.Timestamp(e)
        k = int(np.argmax(wait)) if max(wait) > 0 else int(np.argmax(span))
        wc, seq, fmt = ops.work_center_id.iloc[k], int(ops.op_seq.iloc[k]), "%a %Y-%m-%d %H:%M"
        if max(wait) > 0:  # calendar time: includes the hours the machines do not work
            return (f"capacity at {wc} (op {seq} ready {ready_at[k]:{fmt}}, "
                    f"set up from {pd.Timestamp(ops.setup_start.iloc[k]):{fmt}})")
        return f"capacity at {wc} (op {seq} takes {span[k] / 3600:.1f} h)"


@dataclass
class _Pegged:
    """One customer order line's pegging rows, column by column (``supply_type, supply_id, supply_date,
    qty``)."""

    supply_type: list
    supply_id: list
    supply_date: list
    qty: list

    def add(self, supply_type, supply_id, supply_date, qty) -> None:
        self.supply_type.append(supply_type)
        self.supply_id.append(supply_id)
        self.supply_date.append(supply_date)
        self.qty.append(qty)

    def __len__(self) -> int:
        return len(self.qty)


class _Groups:
    """``key -> rows of frame`` with that key (in frame order), each made when first asked: a frame
    per order up front costs seconds at 10,000 items, and only late lines ask."""

    def __init__(self, frame: pd.DataFrame, key: str):
        self.frame, self.rows, self.made = frame, frame.groupby(key, sort=False).indices, {}

    def __contains__(self, key) -> bool:
        return key in self.rows

    def __getitem__(self, key) -> pd.DataFrame:
        if key not in self.made:
            self.made[key] = self.frame.iloc[self.rows[key]]
        return self.made[key]

    def get(self, key, default=None):
        return self[key] if key in self.rows else default


def _order_named(text: str) -> str:
    """The order id after the word 'order' in an exception's text (``order PLN-0000330: ...``)."""
    words = text.replace(":", " ").split()
    for a, b in zip(words, words[1:]):
        if a == "order":
            return b
    return ""


def _days(later, earlier):
    if pd.isna(later) or pd.isna(earlier):
        return None
    return int((pd.Timestamp(later).normalize() - pd.Timestamp(earlier).normalize()).days)


def _line(oid, item, customer, qty, due, peg, ctx: _Context) -> tuple:
    if peg is None or not len(peg):
        return (oid, item, customer, qty, due, pd.NaT, "not pegged", "", pd.NaT, None, None, 0.0,
                "not in MRP's plan: no supply is pegged to this line (due beyond MRP's horizon?)")
    short = float(np.array([q for t, q in zip(peg.supply_type, peg.qty) if t == "none"], float).sum())
    if short > 1e-9:
        return (oid, item, customer, qty, due, pd.NaT, "shortage", "shortage", pd.NaT, None, None, short,
                f"no supply: {short:g} short of {item}")
    found = []
    for t, s, d in zip(peg.supply_type, peg.supply_id, peg.supply_date):
        when, basis = ctx.available(t, s, d)
        mrp = ctx.t0 if t == "on_hand" or pd.isna(d) else max(pd.Timestamp(d), ctx.t0)
        found.append((when, basis != "on hand", s, basis, mrp))
    when, _, sid, basis, _ = max(found)  # the latest; on hand last among equals
    mrp_date = max(f[4] for f in found)
    late = max(_days(when, due), 0)
    gap = _days(when, mrp_date)
    reasons = []
    if late > 0 or gap > 0:
        if due < ctx.t0:
            reasons.append(f"due {due:%Y-%m-%d}, before the plan start")
        reasons.append(ctx.why(sid, basis, when))
    reason = "; ".join(r for r in reasons if r)
    return (oid, item, customer, qty, due, when, basis, sid if basis != "on hand" else "on hand", mrp_date,
            late, gap, 0.0, reason)
