"""Exceptions to act on: MRP's exception messages as a worklist ranked by impact, by owner.

:func:`worklist` turns MRP's ``exceptions`` into rows a planner or buyer acts on:

Impact
    The customer order lines each message puts at risk. The message's supply (the
    ``order_id`` of a ``release_in_past``, ``expedite`` or ``past_due_receipt``) is followed
    up through the pegging (:func:`planlib.peg.trace_up`) to the customer order lines it
    serves. The supply is expected ``delay`` days after the date the pegging counts on:
    ``expedite``, 0 (the pegging already uses its late due date); ``release_in_past``, the
    plan start plus the item's lead time (in weeks, as MRP offsets it) minus its due date;
    ``past_due_receipt``, the plan start minus its due date. A line served by the supply is
    late by ``delay - slack`` days when that is positive, ``slack`` being the days the
    path from the supply to the line has to spare (``demand_date - supply_date`` summed
    over the levels of the pegging). A line with ``days_late > 0`` is *at risk*; its value
    is its quantity times the unit price (``demand.unit_price``, else ``items.unit_price``,
    else the item's ``unit_cost``). A ``past_due_demand`` puts its own line at risk (days
    late: plan start minus due date); a ``shortage`` the lines whose demand no supply
    covers (days late: plan start plus lead time minus the shortage date). ``defer``,
    ``cancel``, ``lot_rule_violated``, ``beyond_horizon`` and ``below_safety_stock`` put
    no line at risk.
Rank
    Value at risk, then days late (of the supply: MRP's message), then quantity, largest
    first.
Owner
    Buy items: the buyer of the supplier (the purchase order's supplier, else the item's);
    make items: the planner of the work center of the item's first operation (the
    routing's lowest ``op_seq``: where the order is released).
Grouping
    Messages of the same owner, kind and week (of their ``date``) are one row with a
    count; the messages and lines at risk stay listed under the row.

The number of worklist rows is the KPI "messages to act on" (:func:`planlib.pipeline.week_kpis`).
Vocabulary: docs/glossary.md; definitions: docs/mrp.md, "Acting on exceptions".
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from planlib import peg
from planlib.buckets import bucket_start, lead_time_buckets

#: Kinds whose ``order_id`` is a supply followed up the pegging.
SUPPLY_KINDS = ("release_in_past", "expedite", "past_due_receipt")

ROW_COLUMNS = ["rank", "owner_type", "owner_id", "owner", "exception", "severity", "messages", "order_ids",
               "item_ids", "qty", "date", "new_date", "days_late", "customer_lines", "value_at_risk", "action"]
MESSAGE_COLUMNS = ["row", "exception", "severity", "item_id", "order_id", "date", "new_date", "qty", "days_late",
                   "owner_type", "owner_id", "owner", "customer_lines", "value_at_risk", "message"]
LINE_COLUMNS = ["row", "message", "order_id", "customer_id", "item_id", "qty", "due_date", "days_late", "value"]

_SEVERITY = {"critical": 0, "error": 0, "warning": 1, "info": 2}


@dataclass(frozen=True)
class Worklist:
    """Exceptions to act on (see :func:`worklist`).

    Attributes
    ----------
    rows : DataFrame
        One row per action, best rank first: ``rank`` (1 = largest impact), ``owner_type``
        (``buyer | planner``), ``owner_id`` (supplier or work center), ``owner`` (its name),
        ``exception, severity``, ``messages`` (MRP messages in the row), ``order_ids,
        item_ids`` (comma-separated), ``qty`` [units, summed], ``date, new_date`` (earliest),
        ``days_late`` [days, the latest], ``customer_lines`` (lines at risk), ``value_at_risk``
        [currency], ``action`` (one line).
    messages : DataFrame
        MRP's messages with the ``row`` they belong to: ``row, exception, severity, item_id,
        order_id, date, new_date, qty, days_late, owner_type, owner_id, owner,
        customer_lines, value_at_risk, message``.
    lines : DataFrame
        Customer order lines at risk, per message: ``row, message`` (index into
        ``messages``), ``order_id, customer_id, item_id, qty`` [units], ``due_date``,
        ``days_late`` [days], ``value`` [currency].
    currency : str
        The currency symbol of the values.
    """

    rows: pd.DataFrame
    messages: pd.DataFrame
    lines: pd.DataFrame
    currency: str = "€"

    def __len__(self) -> int:
        return len(self.rows)

    def owners(self) -> pd.DataFrame:
        """Owners in the order shown (the owner of the best-ranked row first):
        ``owner_type, owner_id, owner, rows, value_at_risk`` [currency]."""
        if self.rows.empty:
            return pd.DataFrame(columns=["owner_type", "owner_id", "owner", "rows", "value_at_risk"])
        g = self.rows.groupby(["owner_type", "owner_id", "owner"], as_index=False, sort=False)
        return g.agg(rows=("rank", "size"), value_at_risk=("value_at_risk", "sum"), best=("rank", "min")) \
            .sort_values("best").drop(columns="best").reset_index(drop=True)


# --------------------------------------------------------------------------- owners

def item_owners(items: pd.DataFrame, suppliers: pd.DataFrame | None = None, routings: pd.DataFrame | None = None,
                work_centers: pd.DataFrame | None = None) -> pd.DataFrame:
    """Who acts on each item's messages.

    Parameters
    ----------
    items : DataFrame
        ``item_id, item_type`` (``make | buy``), ``supplier_id``.
    suppliers : DataFrame, optional
        ``supplier_id, name``.
    routings : DataFrame, optional
        ``item_id, op_seq, work_center_id``.
    work_centers : DataFrame, optional
        ``work_center_id, description``.

    Returns
    -------
    DataFrame
        ``item_id, owner_type`` (``buyer`` for buy items, ``planner`` for make items),
        ``owner_id`` (the supplier, or the work center of the first operation; ``""`` if none),
        ``owner`` (``Buyer - Nordic Steel AB``, ``Planner - LATHE (CNC turning)``).
    """
    it = items[["item_id"]].assign(item_id=items.item_id.astype(str))
    make = items.get("item_type", pd.Series("buy", index=items.index)).astype(str).str.lower().eq("make").to_numpy()
    sup = items.get("supplier_id", pd.Series(None, index=items.index))
    first_wc = {}
    if routings is not None and len(routings):
        r = routings.sort_values(["item_id", "op_seq"], kind="stable").drop_duplicates("item_id")
        first_wc = dict(zip(r.item_id.astype(str), r.work_center_id.astype(str)))
    owner_id = np.where(make, it.item_id.map(first_wc).fillna("").to_numpy(dtype=object),
                        sup.where(sup.notna(), "").astype(str).to_numpy(dtype=object))
    owner_type = np.where(make, "planner", "buyer")
    out = pd.DataFrame({"item_id": it.item_id.to_numpy(), "owner_type": owner_type, "owner_id": owner_id})
    out["owner"] = owner_names(out.owner_type, out.owner_id, suppliers, work_centers)
    return out


def owner_names(owner_type, owner_id, suppliers=None, work_centers=None) -> np.ndarray:
    """``Buyer - <supplier name>`` / ``Planner - <work center> (<description>)`` for each owner."""
    names = {} if suppliers is None or "name" not in suppliers else dict(
        zip(suppliers.supplier_id.astype(str), suppliers["name"].fillna("").astype(str)))
    wcs = {} if work_centers is None or "description" not in work_centers else dict(
        zip(work_centers.work_center_id.astype(str), work_centers.description.fillna("").astype(str)))
    out = []
    for t, o in zip(owner_type, owner_id):
        o = "" if o is None or (isinstance(o, float) and np.isnan(o)) else str(o)
        if t == "buyer":
            out.append("Buyer - " + (names.get(o) or o or "no supplier given") + (f" ({o})" if names.get(o) else ""))
        else:
            d = wcs.get(o, "")
            out.append("Planner - " + (o or "no routing") + (f" ({d})" if d else ""))
    return np.asarray(out, dtype=object)


def unit_prices(items: pd.DataFrame, demand: pd.DataFrame | None = None) -> pd.Series:
    """Price of each customer order line [currency/unit]: ``demand.unit_price``, else
    ``items.unit_price``, else the item's ``unit_cost`` (0 when none is given).

    Parameters
    ----------
    items : DataFrame
        ``items``: ``item_id``, ``unit_price`` and ``unit_cost`` [currency/unit] where given.
    demand : DataFrame, optional
        ``demand`` (customer order lines): ``order_id, item_id``, ``unit_price`` [currency/unit]
        where given.

    Returns
    -------
    Series
        Price [currency/unit] indexed by ``order_id``.
    """
    if demand is None or demand.empty:
        return pd.Series(dtype=float)
    by_item = pd.Series(0.0, index=items.item_id.astype(str))
    for col in ("unit_cost", "unit_price"):  # a price beats the cost
        if col in items:
            v = pd.to_numeric(items[col], errors="coerce").to_numpy()
            by_item = by_item.where(~pd.notna(pd.Series(v, index=by_item.index)), pd.Series(v, index=by_item.index))
    price = demand.item_id.astype(str).map(by_item).fillna(0.0)
    if "unit_price" in demand:
        own = pd.to_numeric(demand.unit_price, errors="coerce")
        price = own.where(own.notna(), price)
    return pd.Series(price.to_numpy(dtype=float), index=demand.order_id.astype(str))


# --------------------------------------------------------------------------- impact

def lines_at_risk(exceptions: pd.DataFrame, pegging: pd.DataFrame, demand: pd.DataFrame, items: pd.DataFrame,
                  plan_start) -> tuple[pd.Series, pd.DataFrame]:
    """Days late of each message's supply, and the customer order lines it puts at risk.

    Parameters
    ----------
    exceptions : DataFrame
        MRP's ``exceptions`` (``exception, item_id, order_id, date, new_date, qty``).
    pegging : DataFrame
        MRP's ``pegging``.
    demand : DataFrame
        ``order_id, item_id, qty, due_date`` and optionally ``customer_id``.
    items : DataFrame
        ``item_id, lead_time_days``, and ``unit_cost`` / ``unit_price`` for the values.
    plan_start : date-like
        The plan's first day (a Monday).

    Returns
    -------
    days_late : Series
        Days late of each message's supply [days], on the exceptions' index (the module
        docstring defines it per kind; 0 for kinds that delay nothing).
    lines : DataFrame
        ``message`` (the exception's index), ``order_id, customer_id, item_id, qty`` [units],
        ``due_date, days_late`` [days, > 0] and ``value`` [currency] of each line at risk.
    """
    start = pd.Timestamp(plan_start).normalize()
    ex = exceptions
    lt = dict(zip(items.item_id.astype(str), lead_time_buckets(items.lead_time_days.fillna(0)) * 7)) \
        if "lead_time_days" in items else {}
    kind = ex.exception.astype(str)
    date = pd.to_datetime(ex.date)
    new_date = pd.to_datetime(ex.new_date)
    lt_days = ex.item_id.astype(str).map(lt).fillna(0).astype(float)
    arrival_after_plan = ((start - date).dt.days + lt_days).clip(lower=0)  # plan start + lead time - date
    days = pd.Series(0.0, index=ex.index)
    days[kind == "expedite"] = (date - new_date).dt.days[kind == "expedite"]
    days[kind == "release_in_past"] = arrival_after_plan[kind == "release_in_past"]
    days[kind == "shortage"] = arrival_after_plan[kind == "shortage"]
    for k in ("past_due_receipt", "past_due_demand"):
        days[kind == k] = (start - date).dt.days[kind == k].clip(lower=0)
    days = days.fillna(0.0).clip(lower=0)
    # delay beyond the date the pegging counts on, per supply message
    delay = pd.Series(0.0, index=ex.index)
    delay[kind == "release_in_past"] = days[kind == "release_in_past"]
    delay[kind == "past_due_receipt"] = days[kind == "past_due_receipt"]
    found = []
    if len(pegging):
        pegging = peg.prepare(pegging)
    sup = ex[kind.isin(SUPPLY_KINDS) & ex.order_id.notna() & (ex.order_id.astype(str) != "")]
    if len(sup) and len(pegging):
        served = peg.customer_lines_served(peg.trace_up(pegging, sup.order_id.astype(str).unique()))
        if len(served):
            m = sup[["order_id"]].assign(message=sup.index, order_id=sup.order_id.astype(str)) \
                .merge(served, left_on="order_id", right_on="supply_id", suffixes=("_msg", ""))
            m["days_late"] = m.message.map(delay) - m.slack_days
            found.append(m[["message", "demand_id", "days_late"]].rename(columns={"demand_id": "order_id"}))
    pdd = ex[kind == "past_due_demand"]
    if len(pdd):
        found.append(pd.DataFrame({"message": pdd.index, "order_id": pdd.order_id.astype(str),
                                   "days_late": days[pdd.index].to_numpy()}))
    short = ex[kind == "shortage"]
    if len(short) and len(pegging):
        p = pegging[pegging.supply_type.astype(str) == "none"]
        p = p.assign(item_id=p.item_id.astype(str), demand_id=p.demand_id.astype(str),
                     demand_type=p.demand_type.astype(str))
        parents = p[p.demand_type == "dependent"].demand_id.unique()
        above = peg.customer_lines_served(peg.trace_up(pegging, parents)) if len(parents) else None
        for i, r in short.iterrows():
            rows = p[p.item_id == str(r.item_id)]
            direct = rows[rows.demand_type == "customer_order"].demand_id.tolist()
            mine = rows[rows.demand_type == "dependent"].demand_id.unique()
            if len(mine):
                direct += above[above.supply_id.isin(mine)].demand_id.tolist()
            found += [pd.DataFrame({"message": i, "order_id": sorted(set(direct)), "days_late": days[i],
                                    "uncovered": True})]
    cols = ["message", "order_id", "customer_id", "item_id", "qty", "due_date", "days_late", "value"]
    if not found:
        return days, pd.DataFrame(columns=cols)
    f = pd.concat(found, ignore_index=True)
    uncovered = f["uncovered"].fillna(False).astype(bool) if "uncovered" in f else False
    f = f[(f.days_late > 0) | uncovered]  # demand no supply covers is at risk, however early
    f = f.groupby(["message", "order_id"], as_index=False, sort=False).days_late.max()
    d = demand.assign(order_id=demand.order_id.astype(str))
    if "customer_id" not in d:
        d = d.assign(customer_id="")
    d = d.drop_duplicates("order_id")[["order_id", "customer_id", "item_id", "qty", "due_date"]]
    f = f.merge(d, on="order_id", how="inner")
    price = unit_prices(items, demand)
    f["value"] = f.qty.astype(float) * f.order_id.map(price).fillna(0.0).to_numpy()
    f["customer_id"] = f.customer_id.fillna("").astype(str)
    return days, f[cols].reset_index(drop=True)


# --------------------------------------------------------------------------- worklist

def worklist(exceptions: pd.DataFrame, pegging: pd.DataFrame, planned_orders: pd.DataFrame | None,
             demand: pd.DataFrame, items: pd.DataFrame, plan_start, suppliers: pd.DataFrame | None = None,
             routings: pd.DataFrame | None = None, work_centers: pd.DataFrame | None = None,
             scheduled_receipts: pd.DataFrame | None = None, currency: str = "€") -> Worklist:
    """MRP's exception messages as a worklist ranked by impact, grouped by owner.

    Parameters
    ----------
    exceptions, pegging, planned_orders : DataFrame
        MRP's tables (``docs/mrp.md``); ``pegging`` may be empty (no lines at risk then).
    demand, items, suppliers, routings, work_centers, scheduled_receipts : DataFrame
        The dataset's tables (``docs/data-contract.md``).
    plan_start : date-like
        The plan's first day.
    currency : str
        Symbol written before money.

    Returns
    -------
    Worklist
        ``rows`` (one per action, best rank first), ``messages``, ``lines`` at risk; the
        definitions are in the module docstring.
    """
    cols = ["exception", "severity", "item_id", "order_id", "date", "new_date", "qty", "message"]
    missing = [c for c in cols if c not in exceptions.columns]
    if missing:
        raise ValueError(f"exceptions table: column(s) {', '.join(missing)} missing; pass MRP's exceptions table "
                         "(MrpResult.exceptions or <run>/mrp/exceptions.csv)")
    ex = exceptions[cols].reset_index(drop=True)
    ex = ex.assign(item_id=ex.item_id.astype(str), order_id=ex.order_id.fillna("").astype(str),
                   date=pd.to_datetime(ex.date), new_date=pd.to_datetime(ex.new_date),
                   qty=pd.to_numeric(ex.qty, errors="coerce").fillna(0.0))
    if ex.empty:
        return Worklist(pd.DataFrame(columns=ROW_COLUMNS), pd.DataFrame(columns=MESSAGE_COLUMNS),
                        pd.DataFrame(columns=LINE_COLUMNS), currency)
    days, lines = lines_at_risk(ex, pegging if pegging is not None else pd.DataFrame(), demand, items, plan_start)
    # owners: the order's own supplier first (a purchase order, a planned buy order), else the item's owner
    own = item_owners(items, suppliers, routings, work_centers).set_index("item_id")
    owner_type = ex.item_id.map(own.owner_type).fillna("planner").to_numpy(dtype=object)
    owner_id = ex.item_id.map(own.owner_id).fillna("").to_numpy(dtype=object)
    order_sup = {}
    for table in (scheduled_receipts, planned_orders):
        if table is not None and len(table) and "supplier_id" in table:
            t = table[table.supplier_id.notna() & (table.supplier_id.astype(str) != "")]
            order_sup.update(dict(zip(t.order_id.astype(str), t.supplier_id.astype(str))))
    osup = ex.order_id.map(order_sup)
    has = osup.notna().to_numpy()
    owner_type[has] = "buyer"
    owner_id[has] = osup[has].to_numpy(dtype=object)
    ex["owner_type"], ex["owner_id"] = owner_type, owner_id
    ex["owner"] = owner_names(ex.owner_type, ex.owner_id, suppliers, work_centers)
    ex["days_late"] = days.to_numpy()
    per = lines.groupby("message").agg(customer_lines=("order_id", "nunique"), value_at_risk=("value", "sum")) \
        if len(lines) else pd.DataFrame(columns=["customer_lines", "value_at_risk"])
    ex["customer_lines"] = ex.index.map(per.customer_lines).fillna(0).astype(int)
    ex["value_at_risk"] = ex.index.map(per.value_at_risk).fillna(0.0).astype(float)
    # group: owner, kind, week
    week = bucket_start(ex.date, "W")
    key = ex.owner_id.astype(str) + "\x1f" + ex.exception.astype(str) + "\x1f" + week.astype(str)
    ex["_key"] = key
    rows = []
    for k, g in ex.groupby("_key", sort=False):
        ln = lines[lines.message.isin(g.index)].drop_duplicates("order_id")
        rows.append(dict(
            _key=k, owner_type=g.owner_type.iloc[0], owner_id=g.owner_id.iloc[0], owner=g.owner.iloc[0],
            exception=g.exception.iloc[0], severity=min(g.severity, key=lambda s: _SEVERITY.get(s, 3)),
            messages=len(g), order_ids=", ".join(o for o in g.order_id if o),
            item_ids=", ".join(dict.fromkeys(g.item_id)), qty=float(g.qty.sum()), date=g.date.min(),
            new_date=g.new_date.min(), days_late=float(g.days_late.max()), customer_lines=int(len(ln)),
            value_at_risk=float(ln.value.sum())))
    r = pd.DataFrame(rows)
    r["_sev"] = r.severity.map(_SEVERITY).fillna(3)
    r = r.sort_values(["value_at_risk", "days_late", "qty", "_sev"], ascending=[False, False, False, True],
                      kind="stable").reset_index(drop=True)
    r["rank"] = np.arange(1, len(r) + 1)
    row_of = dict(zip(r._key, r["rank"]))
    ex["row"] = ex._key.map(row_of)
    r["action"] = [_action(row, ex[ex.row == row.rank], currency) for row in r.itertuples(index=False)]
    messages = ex.sort_values(["row", "value_at_risk", "days_late"], ascending=[True, False, False],
                              kind="stable")
    lines = lines.assign(row=lines.message.map(ex.row))
    return Worklist(r[ROW_COLUMNS], messages[MESSAGE_COLUMNS], lines[LINE_COLUMNS].sort_values(
        ["row", "days_late", "value"], ascending=[True, False, False], kind="stable").reset_index(drop=True),
        currency)


def worklist_of(ds, mrp, plan_start=None, currency: str = "€") -> Worklist:
    """:func:`worklist` of a dataset and an MRP result (or any object with its tables as
    attributes, such as the tables read back from a run folder)."""
    def table(name):
        return getattr(ds, name) if ds.has(name) else None

    start = plan_start
    if start is None:
        grid = getattr(mrp, "mrp_grid", None)
        if grid is not None and len(grid):
            start = pd.to_datetime(grid.period_start).min()
        else:
            start = pd.to_datetime(mrp.exceptions.new_date).min() if len(mrp.exceptions) else pd.Timestamp.today()
    pegging = getattr(mrp, "pegging", None)
    return worklist(mrp.exceptions, pegging if pegging is not None else pd.DataFrame(),
                    getattr(mrp, "planned_orders", None), table("demand") if table("demand") is not None
                    else pd.DataFrame(columns=["order_id", "item_id", "qty", "due_date"]), ds.items, start,
                    suppliers=table("suppliers"), routings=table("routings"), work_centers=table("work_centers"),
                    scheduled_receipts=table("scheduled_receipts"), currency=currency)


# --------------------------------------------------------------------------- words

def money(v: float, currency: str = "€") -> str:
    """``€ 41,200``: whole currency units, thousands separated."""
    return f"{currency} {float(v):,.0f}"


def quantity(v: float) -> str:
    """A quantity without spurious decimals: ``7,320``, ``1,160.36``."""
    v = float(v)
    if abs(v - round(v)) < 5e-7:
        return f"{v:,.0f}"
    return f"{v:,.2f}".rstrip("0").rstrip(".")


def _day(v) -> str:
    return "" if pd.isna(v) else pd.Timestamp(v).strftime("%-d %b")


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


_VERBS = {"release_in_past": ("Release {ref} now, due {date}", "Release {n} planned orders now"),
          "expedite": ("Expedite {ref} from {date} to {new}", "Expedite {n} orders"),
          "past_due_receipt": ("Chase {ref}, due {date} and not received", "Chase {n} overdue orders"),
          "past_due_demand": ("Agree a new date for customer order {ref}, due {date}",
                              "Agree new dates for {n} customer orders"),
          "defer": ("Defer {ref} from {date} to {new}", "Defer {n} orders"),
          "cancel": ("Cancel {ref}, not needed in the horizon", "Cancel {n} orders not needed in the horizon"),
          "shortage": ("Cover the shortage of {item} from week of {date}", "Cover {n} shortages"),
          "below_safety_stock": ("Expedite supply of {item} or accept a lower buffer: below safety stock from "
                                 "week of {date}", "Expedite supply of {n} items below safety stock"),
          "beyond_horizon": ("Extend the horizon for customer order {ref}, due {date}",
                             "Extend the horizon for {n} customer orders"),
          "lot_rule_violated": ("Check the quantity of {ref} against its lot rules",
                                "Check the quantities of {n} orders against their lot rules")}
_LATE_KINDS = ("release_in_past", "expedite", "past_due_receipt", "shortage", "past_due_demand")


def _action(row, msgs: pd.DataFrame, currency: str) -> str:
    """The row's action in one line, e.g. ``Expedite PO-40011 (Nordic Steel AB, 7,320 RM-24) from 25 Dec
    to 30 Nov, 25 days late: 3 customer orders, € 41,200 at risk``."""
    kind = str(row.exception)
    one, many = _VERBS.get(kind, ("{ref}: " + kind.replace("_", " "), "{n} messages: " + kind.replace("_", " ")))
    who = row.owner.split(" - ", 1)[-1].split(" (")[0] if row.owner_type == "buyer" else ""
    if kind == "release_in_past" and row.owner_type == "buyer":  # a buyer places a purchase order
        one, many = "Place purchase order {ref} now, due {date}", "Place {n} purchase orders now"
        who_many = f" with {who}" if who else ""
    else:
        who_many = f" from {who}" if who else ""
    if row.messages == 1:
        m = msgs.iloc[0]
        what = f"{quantity(m.qty)} {m.item_id}"
        ref = f"{m.order_id} ({who + ', ' if who else ''}{what})" if m.order_id else what
        text = one.format(ref=ref, item=m.item_id, date=_day(m.date), new=_day(m.new_date))
    else:
        text = many.format(n=row.messages) + who_many + f", due week of {_day(row.date)}"
    if row.days_late > 0 and kind in _LATE_KINDS:
        text += f", {_plural(int(round(row.days_late)), 'day')} late"
    if row.customer_lines:
        text += f": {_plural(int(row.customer_lines), 'customer order')}, {money(row.value_at_risk, currency)} at risk"
    elif kind in SUPPLY_KINDS or kind == "shortage":
        text += ": no customer order at risk"
    return text


# --------------------------------------------------------------------------- pegging view

def at_risk_lines(wl: Worklist) -> pd.DataFrame:
    """The customer order lines at risk, largest value first, each once.

    Returns
    -------
    DataFrame
        ``order_id, customer_id, item_id, qty`` [units], ``due_date, days_late`` [days, the
        most of any message], ``value`` [currency], ``note`` (``12 days late: PLN-0000529,
        PO-40011``: the orders that make it late).
    """
    cols = ["order_id", "customer_id", "item_id", "qty", "due_date", "days_late", "value", "note"]
    if wl.lines.empty:
        return pd.DataFrame(columns=cols)
    cause = wl.messages.order_id.where(wl.messages.exception != "past_due_demand", "its due date has passed")
    ln = wl.lines.assign(cause=wl.lines.message.map(cause))
    g = ln.groupby("order_id", sort=False).agg(
        customer_id=("customer_id", "first"), item_id=("item_id", "first"), qty=("qty", "first"),
        due_date=("due_date", "first"), days_late=("days_late", "max"), value=("value", "first"),
        cause=("cause", lambda s: ", ".join(dict.fromkeys(c for c in s if c))))
    g = g.reset_index().sort_values(["value", "days_late"], ascending=False, kind="stable")
    g["note"] = [f"at risk, up to {_plural(int(round(d)), 'day')} late: {c}" for d, c in zip(g.days_late, g.cause)]
    return g[cols].reset_index(drop=True)


def pegging_explorer(wl: Worklist, pegging: pd.DataFrame, items: pd.DataFrame | None = None, n_open: int = 5,
                     n_supplies: int = 20):
    """The report's pegging section: customer orders at risk down to every supply that serves
    them (the ``n_open`` largest expanded, the others collapsed), then the orders of the top
    ``n_supplies`` worklist messages up to the demands they serve (collapsed).

    Parameters
    ----------
    wl : Worklist
        The plan's worklist (:func:`worklist_of`).
    pegging : DataFrame
        MRP's ``pegging`` table (columns in ``docs/mrp.md``).
    items : DataFrame, optional
        ``items``: ``item_id, description`` for the labels.
    n_open : int
        Orders at risk shown expanded.
    n_supplies : int
        Worklist messages whose orders are traced up.

    Returns
    -------
    IPython.display.HTML
        A table of the lines at risk and the trees (``<details>``; no script, prints).
    """
    from IPython.display import HTML

    return HTML(pegging_explorer_html(wl, pegging, items, n_open, n_supplies))


def pegging_explorer_html(wl: Worklist, pegging: pd.DataFrame, items: pd.DataFrame | None = None, n_open: int = 5,
                          n_supplies: int = 20) -> str:
    """The HTML of :func:`pegging_explorer` (same parameters).

    Parameters
    ----------
    wl : Worklist
    pegging : DataFrame
        MRP's ``pegging`` table.
    items : DataFrame, optional
        ``items``: ``item_id, description``.
    n_open, n_supplies : int

    Returns
    -------
    str
    """
    import html as _html

    e = _html.escape
    out = [peg.STYLE]
    lines = at_risk_lines(wl)
    if pegging is None or not len(pegging):
        return "<p>No pegging in this run (MRP ran with pegging off).</p>"
    if len(lines):
        out.append("<h3>Customer orders at risk, down to their supplies</h3>")
        out.append("<table class='peg-lines'><thead><tr><th>Customer order</th><th>Customer</th><th>Item</th>"
                   "<th>Quantity</th><th>Due</th><th>Days late</th><th>Value</th><th>Made late by</th></tr></thead>"
                   "<tbody>" + "".join(
                       f"<tr><td>{e(str(r.order_id))}</td><td>{e(str(r.customer_id))}</td><td>{e(str(r.item_id))}"
                       f"</td><td class='n'>{e(quantity(r.qty))}</td><td>{e(peg._date(r.due_date))}</td>"
                       f"<td class='n'>{int(round(r.days_late))}</td><td class='n'>{e(money(r.value, wl.currency))}</td>"
                       f"<td>{e(r.note.split(': ', 1)[-1])}</td></tr>" for r in lines.itertuples(index=False))
                   + "</tbody></table>")
        down = peg.trace_down(pegging, lines.order_id.tolist())
        out.append(peg.down_tree_html(down, lines, items, open_ids=lines.order_id.head(n_open)))
    else:
        out.append("<p>No customer order is at risk from this week's exceptions.</p>")
    msgs = wl.messages[wl.messages.exception.isin(SUPPLY_KINDS) & (wl.messages.order_id != "")]
    msgs = msgs.drop_duplicates("order_id").head(n_supplies)
    if len(msgs):
        out.append("<h3>Orders of the exceptions, up to the demands they serve</h3>")
        up = peg.trace_up(pegging, msgs.order_id.tolist())
        sup = pd.DataFrame({"supply_id": msgs.order_id, "item_id": msgs.item_id,
                            "label": [f"{o}: {quantity(q)} {i}, {k.replace('_', ' ')} (action {r})"
                                      for o, q, i, k, r in zip(msgs.order_id, msgs.qty, msgs.item_id,
                                                               msgs.exception, msgs.row)]})
        out.append(peg.up_tree_html(up, sup, items))
    return "".join(out)
