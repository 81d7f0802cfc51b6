"""Supplier follow-up: every open purchase order, what MRP needs of it, what the supplier
said, the customer orders hanging on it, and one line saying whom to call about what.

:func:`supplier_followup` builds the table (one row per open purchase order, most urgent
first); :func:`supplier_page` prints one supplier's rows as a self-contained A4 page,
:func:`mail_draft` writes them as an ``.eml`` and :func:`mailto_link` as a short ``mailto:``
link. The rules (which orders are open, the need date, the statuses, the ranking) are written
down in ``docs/supplier-followup.md``; words follow ``docs/glossary.md``.

Need date
---------
The date MRP needs an open order is the reschedule rule of MRP's exception messages
(:mod:`planlib.mrp.exceptions`; Orlicky, *Material Requirements Planning*, 1975, ch. on
rescheduling open orders), read from the plan's ``mrp_grid``: with the item's planned orders
left out, the requirement up to bucket *b* is ``safety stock + gross requirements of buckets
1..b - available on hand``; the item's open orders cover it in due-date order (then order id).
An order is needed in the first bucket where the requirement exceeds what the orders before
it bring; ``need_date`` is that bucket's Monday (MRP counts a receipt anywhere in the week for
the week, so the need is a week, and its Monday is the safe date to ask for). No such bucket
in the horizon: ``need_date`` is empty (MRP would cancel or defer the order). The available on
hand is the grid's own (projected on hand of bucket 1 minus its receipts plus its gross
requirements), so the rule sees exactly the stock MRP netted.
"""
from __future__ import annotations

import html
import re
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from urllib.parse import quote

import numpy as np
import pandas as pd

from planlib import labels, peg
from planlib.actions import unit_prices
from planlib.buckets import week_index

__all__ = ["COLUMNS", "STATUSES", "mail_draft", "mailto_link", "need_dates", "supplier_followup",
           "supplier_page"]

#: Statuses, most urgent first (the first sort key of :func:`supplier_followup`).
STATUSES = ("late", "at risk", "unconfirmed", "on track")

#: Columns of :func:`supplier_followup`, in order.
COLUMNS = ["order_id", "supplier_id", "supplier_name", "item_id", "ordered_qty", "received_qty", "open_qty",
           "due_date", "confirmed_date", "confirmed_qty", "confirmed_on", "need_date", "expected_date", "status",
           "reason", "days_late", "days_at_risk", "short_qty", "customer_orders", "priority", "value_at_risk",
           "contact_name", "email", "phone", "action"]

#: Quantities closer than this are equal [units] (MRP's tolerance).
TOL = 1e-6

#: Subject of the mail drafts.
SUBJECT = "Open orders: please confirm or pull in"


# --------------------------------------------------------------------------- need date

def need_dates(mrp_grid: pd.DataFrame, receipts: pd.DataFrame, safety_stock: pd.Series | None = None) -> pd.Series:
    """The date MRP needs each open order: the Monday of the first bucket in which the item,
    without its planned orders and without this order and the ones due after it, would fall
    below its safety stock (below zero when it has none).

    Parameters
    ----------
    mrp_grid : DataFrame
        MRP's ``mrp_grid``: ``item_id, period, period_start, gross_requirements,
        scheduled_receipts, projected_on_hand, planned_order_receipts`` [units].
    receipts : DataFrame
        The open orders MRP netted (``scheduled_receipts``): ``order_id, item_id, qty`` [units],
        ``due_date``. All open orders of an item count (purchase and production), in due-date
        order, then order id.
    safety_stock : Series, optional
        Safety stock by item id [units], as MRP used it; default none.

    Returns
    -------
    Series
        ``need_date`` (a Monday, ``datetime64``; NaT when the order is not needed within the
        horizon or its item is not in the grid), indexed like ``receipts``.
    """
    out = pd.Series(pd.NaT, index=receipts.index, dtype="datetime64[ns]")
    if receipts.empty or mrp_grid.empty:
        return out
    g = mrp_grid.assign(item_id=mrp_grid.item_id.astype(str)).sort_values(["item_id", "period"], kind="stable")
    starts = pd.DatetimeIndex(sorted(pd.to_datetime(g.period_start).unique()))
    H = len(starts)
    items = pd.Index(g.item_id.unique())
    gross = np.zeros((len(items), H))
    row = items.get_indexer(g.item_id)
    col = starts.get_indexer(pd.to_datetime(g.period_start))
    gross[row, col] = g.gross_requirements.to_numpy(dtype=float)
    first = g[pd.to_datetime(g.period_start) == starts[0]].set_index("item_id")
    avail = (first.projected_on_hand - first.scheduled_receipts - first.planned_order_receipts
             + first.gross_requirements).reindex(items).fillna(0.0).to_numpy(dtype=float)
    ss = np.zeros(len(items))
    if safety_stock is not None and len(safety_stock):
        ss = pd.Series(safety_stock, dtype=float).reindex(items).fillna(0.0).to_numpy()
    R = np.maximum.accumulate(ss[:, None] + np.cumsum(gross, axis=1) - avail[:, None], axis=1)

    r = pd.DataFrame({"item_id": receipts.item_id.astype(str).to_numpy(), "order_id": receipts.order_id.astype(str)
                      .to_numpy(), "qty": receipts.qty.to_numpy(dtype=float),
                      "due_date": pd.to_datetime(receipts.due_date).to_numpy(), "pos": np.arange(len(receipts))})
    r["_row"] = items.get_indexer(r.item_id)
    r["_bucket"] = week_index(r.due_date, starts[0], H)
    inside = r[(r._row >= 0) & (r._bucket < H)].sort_values(["_row", "_bucket", "due_date", "order_id"],
                                                           kind="stable")
    if inside.empty:
        return out
    before = inside.groupby("_row").qty.cumsum().to_numpy() - inside.qty.to_numpy()
    nb = (R[inside._row.to_numpy()] <= (before + TOL)[:, None]).sum(axis=1)
    needed = nb < H
    values = out.to_numpy().copy()
    values[inside.pos.to_numpy()[needed]] = starts.to_numpy()[nb[needed]]
    return pd.Series(values, index=receipts.index, dtype="datetime64[ns]")


# --------------------------------------------------------------------------- the table

def _table(mrp, name: str) -> pd.DataFrame | None:
    if isinstance(mrp, dict):
        return mrp.get(name)
    return getattr(mrp, name, None)


def _latest_confirmations(conf: pd.DataFrame) -> pd.DataFrame:
    """The latest confirmation of each order (by ``confirmed_on``; a tie: the later row)."""
    if conf is None or conf.empty:
        return pd.DataFrame(columns=["order_id", "confirmed_date", "confirmed_qty", "confirmed_on", "note"])
    c = conf.assign(order_id=conf.order_id.astype(str), _pos=np.arange(len(conf)))
    c = c.sort_values(["order_id", "confirmed_on", "_pos"], kind="stable")
    return c.groupby("order_id", sort=False).tail(1).drop(columns="_pos")


def _contacts(ds) -> pd.DataFrame:
    s = ds.suppliers
    cols = {"supplier_name": "name", "contact_name": "contact_name", "email": "email", "phone": "phone"}
    out = pd.DataFrame({"supplier_id": s.supplier_id.astype(str)})
    for new, old in cols.items():
        out[new] = (s[old].astype(object).where(s[old].notna(), "").astype(str).str.strip()
                    if old in s else "")
    return out.drop_duplicates("supplier_id").set_index("supplier_id")


def _short_list(ids: list[str], n: int = 3) -> str:
    return ", ".join(ids[:n]) + (f" and {len(ids) - n} more" if len(ids) > n else "")


def supplier_followup(ds, mrp, today, unconfirmed_days: int = 7, safety_stock: pd.DataFrame | None = None,
                      currency: str = "EUR") -> pd.DataFrame:
    """Every open purchase order with what to chase, most urgent first.

    Parameters
    ----------
    ds : Dataset
        Reads ``scheduled_receipts`` (rows with ``order_type = purchase``), ``goods_receipts``,
        ``supplier_confirmations``, ``suppliers`` (``name, contact_name, email, phone``),
        ``items`` (``supplier_id, safety_stock, unit_cost``), ``demand`` and ``inventory.as_of``:
        the dataset MRP planned from (after :func:`planlib.actuals.apply_actuals`, or the snapshot:
        receipts dated on or after ``inventory.as_of`` and before ``today`` are then taken off
        the open quantity here).
    mrp : MrpResult or dict of DataFrame
        The plan: ``mrp_grid`` (the need date) and ``pegging`` (the customer orders served; without
        a pegging table the column is empty).
    today : date-like
        The day of the follow-up (the plan start in the weekly run).
    unconfirmed_days : int
        An order without a confirmed date due within this many days of ``today`` is ``unconfirmed``.
    safety_stock : DataFrame, optional
        ``item_id, safety_stock`` [units] as given to :func:`planlib.mrp.run_mrp` (replaces
        ``items.safety_stock`` for the items it lists).
    currency : str
        ISO code of money in the action text.

    Returns
    -------
    DataFrame
        One row per open purchase order: ``order_id, supplier_id`` (the order's, else its item's),
        ``supplier_name, item_id``; ``ordered_qty`` (= ``open_qty + received_qty``),
        ``received_qty`` (goods receipts against the order dated before ``today``),
        ``open_qty`` [units]; ``due_date``; ``confirmed_date, confirmed_qty`` [units],
        ``confirmed_on`` (the latest confirmation by ``confirmed_on``; an empty confirmed
        quantity is the open quantity); ``need_date`` (Monday of the week MRP needs the order,
        :func:`need_dates`); ``expected_date`` (the confirmed date, else the due date);
        ``status`` (``late | at risk | unconfirmed | on track``), ``reason`` (why, in words);
        ``days_late`` [days] (``today - due_date`` of a late order, else 0), ``days_at_risk``
        [days] (``expected_date - need_date`` when it arrives after the need date,
        else 0), ``short_qty`` [units] (open quantity the supplier has not confirmed);
        ``customer_orders`` (the customer order lines it serves through every BOM level,
        from the pegging, most urgent first, ``;``-separated), ``priority`` (the most urgent of
        their priorities, 1 = most urgent; empty when it serves none), ``value_at_risk``
        [currency] (value of those lines, quantity x unit price, when the order is late or at
        risk, else 0); ``contact_name, email, phone``; ``action`` (one line: whom to call, what
        to ask, which customer order it feeds). Sorted by status (late first), priority
        (1 first, none last), then days late / at risk (most first) or due date (soonest first),
        value at risk and order id.

    Raises
    ------
    ValueError
        ``today`` is not a date, ``unconfirmed_days`` is negative, or ``mrp`` has no ``mrp_grid``.
    """
    try:
        today = pd.Timestamp(today).normalize()
    except (TypeError, ValueError):
        raise ValueError(f"supplier_followup: today must be a date such as 2026-11-30, not {today!r}") from None
    if pd.isna(today):
        raise ValueError("supplier_followup: today is empty; give the day of the follow-up (the plan start)")
    if int(unconfirmed_days) < 0:
        raise ValueError(f"supplier_followup: unconfirmed_days must be 0 or more, not {unconfirmed_days}")
    grid = _table(mrp, "mrp_grid")
    if grid is None:
        raise ValueError("supplier_followup: the MRP result has no mrp_grid table; pass run_mrp's result "
                         "(or the run folder's mrp tables as a dict)")

    sr = ds.scheduled_receipts
    po = sr[sr.order_type.astype(str) == "purchase"].copy()
    po["order_id"] = po.order_id.astype(str)
    po["item_id"] = po.item_id.astype(str)
    po["due_date"] = pd.to_datetime(po.due_date)
    items = ds.items.assign(item_id=ds.items.item_id.astype(str)).drop_duplicates("item_id").set_index("item_id")
    sup = po.supplier_id.astype(object).where(po.supplier_id.notna() & (po.supplier_id.astype(str) != ""), None)
    po["supplier_id"] = sup.fillna(po.item_id.map(items.supplier_id.astype(object)
                                                  if "supplier_id" in items else pd.Series(dtype=object)))
    po["supplier_id"] = po.supplier_id.astype(object).where(po.supplier_id.notna(), "").astype(str)

    # need dates over every open order MRP netted (production orders of bought items count too)
    ss = items.safety_stock.astype(float) if "safety_stock" in items else pd.Series(dtype=float)
    if safety_stock is not None and len(safety_stock):
        ss = ss.copy()
        ss.loc[safety_stock.item_id.astype(str)] = pd.to_numeric(safety_stock.safety_stock).to_numpy(dtype=float)
    all_needs = need_dates(grid, sr.assign(order_id=sr.order_id.astype(str)), ss)
    need_by_order = pd.Series(all_needs.to_numpy(), index=sr.order_id.astype(str).to_numpy())
    need_by_order = need_by_order[~need_by_order.index.duplicated()]

    # receipts: all on record before today; those after the snapshot are not yet in the open qty
    gr = ds.goods_receipts
    gr = gr.assign(order_id=gr.order_id.astype(str), received_date=pd.to_datetime(gr.received_date))
    gr = gr[gr.received_date < today]
    received = gr.groupby("order_id").qty.sum()
    as_of = None
    if "as_of" in ds.inventory and ds.inventory.as_of.notna().any():
        as_of = pd.Timestamp(ds.inventory.as_of.dropna().iloc[0]).normalize()
    after = gr[gr.received_date >= as_of].groupby("order_id").qty.sum() if as_of is not None else pd.Series(
        dtype=float)
    po["received_qty"] = po.order_id.map(received).fillna(0.0).astype(float)
    po["open_qty"] = po.qty.astype(float) - po.order_id.map(after).fillna(0.0).astype(float)
    po = po[po.open_qty > TOL]
    po["ordered_qty"] = po.open_qty + po.received_qty

    # latest confirmation; its quantity is what was still to come on confirmed_on
    conf = _latest_confirmations(ds.supplier_confirmations).set_index("order_id")
    po["confirmed_date"] = pd.to_datetime(po.order_id.map(conf.confirmed_date))
    po["confirmed_on"] = pd.to_datetime(po.order_id.map(conf.confirmed_on))
    has_conf = po.confirmed_on.notna()
    cq = pd.to_numeric(po.order_id.map(conf.confirmed_qty), errors="coerce").astype(float)
    since = gr.merge(po[["order_id", "confirmed_on"]], on="order_id")
    since = since[since.received_date >= since.confirmed_on].groupby("order_id").qty.sum()
    still = cq - po.order_id.map(since).fillna(0.0)
    po["confirmed_qty"] = cq.where(has_conf & cq.notna(), np.where(has_conf, po.open_qty, np.nan))
    short = np.where(has_conf & cq.notna(), np.maximum(po.open_qty - still, 0.0), 0.0)
    po["short_qty"] = np.where(short > TOL, short, 0.0)

    po["need_date"] = pd.to_datetime(po.order_id.map(need_by_order))
    po["expected_date"] = po.confirmed_date.where(po.confirmed_date.notna(), po.due_date)

    late = po.due_date < today
    later_week = po.need_date.notna() & (po.expected_date > po.need_date)
    is_short = po.short_qty > 0
    at_risk = ~late & (later_week | is_short)
    unconfirmed = ~late & ~at_risk & po.confirmed_date.isna() & (
        po.due_date <= today + pd.Timedelta(days=int(unconfirmed_days)))
    po["status"] = np.select([late, at_risk, unconfirmed], list(STATUSES[:3]), STATUSES[3])
    po["days_late"] = np.where(late, (today - po.due_date).dt.days, 0).astype(int)
    po["days_at_risk"] = np.where(at_risk & later_week, (po.expected_date - po.need_date).dt.days, 0).astype(int)

    # customer order lines served, through every level
    pegging = _table(mrp, "pegging")
    lines = _lines_served(pegging, po.order_id.tolist(), ds)
    more = _lines_of_replacements(po, lines, pegging, _table(mrp, "planned_orders"), ds)
    if len(more):
        lines = (pd.concat([lines, more], ignore_index=True) if len(lines) else more.reset_index(drop=True)
                 ).sort_values(["supply_id", "priority", "due", "demand_id"], kind="stable")
    first = lines.groupby("supply_id", sort=False).head(1).set_index("supply_id")
    po["customer_orders"] = po.order_id.map(lines.groupby("supply_id", sort=False).label.agg("; ".join)).fillna("")
    po["priority"] = po.order_id.map(first.priority).astype("Int64")
    value = lines.groupby("supply_id").value.sum()
    po["value_at_risk"] = np.where(late | at_risk, po.order_id.map(value).fillna(0.0), 0.0).astype(float)

    contacts = _contacts(ds)
    for c in ("supplier_name", "contact_name", "email", "phone"):
        po[c] = po.supplier_id.map(contacts[c]).fillna("").astype(str)
    po["supplier_name"] = po.supplier_name.where(po.supplier_name != "", po.supplier_id)

    po["reason"] = _reasons(po, today)
    feeds = po.order_id.map(first.feed)
    n_lines = po.order_id.map(lines.groupby("supply_id").size()).fillna(0).astype(int)
    po["action"] = _actions(po, feeds, n_lines)

    key_days = np.select([late, at_risk], [-po.days_late, -po.days_at_risk],
                         (po.due_date - today).dt.days.to_numpy())
    po = po.assign(_s=po.status.map({s: i for i, s in enumerate(STATUSES)}),
                   _p=po.priority.astype(float).fillna(99.0), _d=key_days)
    po = po.sort_values(["_s", "_p", "_d", "value_at_risk", "order_id"], ascending=[True, True, True, False, True],
                        kind="stable")
    out = po[COLUMNS].reset_index(drop=True)
    return out.astype({"ordered_qty": float, "received_qty": float, "open_qty": float, "confirmed_qty": float,
                       "short_qty": float, "value_at_risk": float})


def _lines_of_replacements(po: pd.DataFrame, lines: pd.DataFrame, pegging, planned, ds) -> pd.DataFrame:
    """Lines an order due after its need week would serve if it came on time.

    MRP nets an open order on its due date: when that is a later week than the need, the
    plan covers the need with planned orders of the item (and MRP says "expedite"), and the
    pegging gives the open order only what comes later. The customer order lines those planned
    orders (due from the need week up to the order's due week) serve are the ones pulling the
    order in would serve; they are this order's lines when the pegging gives it none.
    """
    cols = ["supply_id", "demand_id", "label", "feed", "priority", "due", "value"]
    if planned is None or planned.empty or pegging is None or pegging.empty:
        return pd.DataFrame(columns=cols)
    gap = po[po.need_date.notna() & (po.due_date >= po.need_date + pd.Timedelta(days=7))
             & ~po.order_id.isin(lines.supply_id)]
    if gap.empty:
        return pd.DataFrame(columns=cols)
    pl = pd.DataFrame({"planned_id": planned.order_id.astype(str), "item_id": planned.item_id.astype(str),
                       "planned_due": pd.to_datetime(planned.due_date)})
    pairs = gap[["order_id", "item_id", "need_date", "due_date"]].merge(pl, on="item_id")
    pairs = pairs[(pairs.planned_due >= pairs.need_date)
                  & (pairs.planned_due < pairs.due_date - pd.to_timedelta(pairs.due_date.dt.weekday, unit="D"))]
    if pairs.empty:
        return pd.DataFrame(columns=cols)
    sub = _lines_served(pegging, pairs.planned_id.unique().tolist(), ds)
    sub = pairs[["order_id", "planned_id"]].merge(sub, left_on="planned_id", right_on="supply_id")
    sub = sub.drop(columns=["supply_id", "planned_id"]).rename(columns={"order_id": "supply_id"})
    return sub.drop_duplicates(["supply_id", "demand_id"])[cols]


def _lines_served(pegging: pd.DataFrame | None, order_ids: list[str], ds) -> pd.DataFrame:
    """Customer order lines above each order: ``supply_id, demand_id, label, feed, priority, due, value``,
    most urgent first per order (priority, due date, id)."""
    cols = ["supply_id", "demand_id", "label", "feed", "priority", "due", "value"]
    if pegging is None or pegging.empty or not order_ids:
        return pd.DataFrame(columns=cols)
    served = peg.customer_lines_served(peg.trace_up(pegging, order_ids))
    if served.empty:
        return pd.DataFrame(columns=cols)
    d = ds.demand.assign(order_id=ds.demand.order_id.astype(str)).drop_duplicates("order_id").set_index("order_id")
    price = unit_prices(ds.items, ds.demand)  # the worklist's price rule (value at risk)
    price = price[~price.index.duplicated()]
    s = served.assign(demand_id=served.demand_id.astype(str))
    s["priority"] = s.demand_id.map(d.priority).astype(float).fillna(9.0)
    s["due"] = pd.to_datetime(s.demand_id.map(d.due_date))
    cust = s.demand_id.map(d.customer_id).fillna("").astype(str)
    s["label"] = s.demand_id + np.where(cust != "", " (" + cust + ", " + s.demand_item_id.astype(str) + ")",
                                        " (" + s.demand_item_id.astype(str) + ")")
    s["feed"] = s.demand_id + " for " + cust.where(cust != "", s.demand_item_id.astype(str))
    s["value"] = s.demand_id.map(d.qty).fillna(0.0).astype(float) * s.demand_id.map(price).fillna(0.0)
    s = s.sort_values(["supply_id", "priority", "due", "demand_id"], kind="stable")
    s["priority"] = s.priority.astype(int)
    return s[cols].reset_index(drop=True)


def _q(v) -> str:
    return labels.format_number(v)


def _day(v) -> str:
    return labels.format_date(pd.Timestamp(v)) if not pd.isna(v) else ""


def _reasons(po: pd.DataFrame, today) -> pd.Series:
    out = []
    for r in po.itertuples(index=False):
        parts = []
        if r.status == "late":
            parts.append(f"due {_day(r.due_date)}, {r.days_late} day(s) ago, {_q(r.open_qty)} still open")
        if r.days_at_risk > 0 or (r.status == "late" and not pd.isna(r.need_date)
                                  and r.expected_date > r.need_date):
            src = "confirmed for" if not pd.isna(r.confirmed_date) else "due"
            parts.append(f"{src} {_day(r.expected_date)}, needed in the week of {_day(r.need_date)}")
        if r.short_qty > 0:
            parts.append(f"confirmed {_q(r.open_qty - r.short_qty)} of {_q(r.open_qty)} open")
        if r.status == "unconfirmed":
            parts.append(f"no confirmed date, due {_day(r.due_date)}")
        if r.status == "on track":
            parts.append("not needed within the plan horizon" if pd.isna(r.need_date) else
                         (f"confirmed for {_day(r.confirmed_date)}" if not pd.isna(r.confirmed_date)
                          else f"due {_day(r.due_date)}") + f", needed in the week of {_day(r.need_date)}")
        out.append("; ".join(parts))
    return pd.Series(out, index=po.index, dtype=object)


def _who(r) -> str:
    reach = ", ".join(x for x in (r.contact_name, r.phone or r.email) if x)
    return f"{r.supplier_name} ({reach})" if reach else f"{r.supplier_name} (no contact on file)"


def _actions(po: pd.DataFrame, feeds: pd.Series, n_lines: pd.Series) -> pd.Series:
    out = []
    for r, feed, n in zip(po.itertuples(index=False), feeds.to_numpy(), n_lines.to_numpy()):
        if isinstance(feed, str) and feed:
            why = f": it feeds {feed}" + (f" and {n - 1} more customer order(s)" if n > 1 else "")
        else:
            why = ": no customer order depends on it yet (forecast or stock)"
        who, oid = _who(r), r.order_id
        if r.status == "late" and pd.isna(r.need_date):
            text = (f"call {who}, {oid} is {r.days_late} day(s) late but the plan does not need it within the "
                    f"horizon: agree to cancel it or deliver later")
        elif r.status == "late":
            text = (f"call {who}, {oid} is {r.days_late} day(s) late: ask them to ship the {_q(r.open_qty)} "
                    f"{r.item_id} still open now{why}")
        elif r.status == "at risk" and r.days_at_risk > 0:
            text = (f"call {who}, ask to pull in {oid} by {r.days_at_risk} day(s) (to {_day(r.need_date)})"
                    + (f" and confirm the missing {_q(r.short_qty)}" if r.short_qty > 0 else "") + why)
        elif r.status == "at risk":
            text = f"call {who}, ask for the missing {_q(r.short_qty)} {r.item_id} of {oid}{why}"
        elif r.status == "unconfirmed":
            text = f"ask {who} to confirm {oid}, due {_day(r.due_date)}{why}"
        else:
            text = "none"
        out.append(text)
    return pd.Series(out, index=po.index, dtype=object)


# --------------------------------------------------------------------------- page and mail

PAGE_CSS = """
@page{size:A4 landscape;margin:12mm}
body{font-family:system-ui,Arial,sans-serif;font-size:10pt;color:#111;margin:0 auto;max-width:273mm}
h1{font-size:15pt;margin:0 0 4px 0}
.contact{border:1px solid #99a;padding:6px 10px;margin:6px 0 10px 0;display:inline-block}
.contact td{padding:1px 10px 1px 0}
table.fu{border-collapse:collapse;width:100%;table-layout:auto}
table.fu th{text-align:left;border-bottom:2px solid #667;padding:3px 4px;font-size:8.5pt;background:#eef}
table.fu td{border-bottom:1px solid #ccc;padding:3px 4px;vertical-align:top;font-size:8.5pt}
table.fu td.n{text-align:right;white-space:nowrap}
table.fu td.d{white-space:nowrap}
tr.late td.s{color:#b00020;font-weight:bold}
tr.at-risk td.s{color:#b35c00;font-weight:bold}
tr{page-break-inside:avoid}
thead{display:table-header-group}
.foot{font-size:8pt;color:#555;margin-top:8px}
@media print{body{max-width:none}}
"""


def _rows_of(followup: pd.DataFrame, supplier_id) -> pd.DataFrame:
    if "supplier_id" not in followup:
        raise ValueError("supplier follow-up: the table has no supplier_id column; pass supplier_followup's result")
    return followup[followup.supplier_id.astype(str) == str(supplier_id)]


#: One plain e-mail address (no display name, no list).
_EMAIL = re.compile(r"[^@\s,;<>\"()\[\]]+@[^@\s,;<>\"()\[\]]+\.[^@\s,;<>\"()\[\]]+")


def _supplier(ds, supplier_id, check_email: bool = False) -> dict:
    """Name and contact of a supplier; ``check_email`` raises on an address a mail cannot go to."""
    c = _contacts(ds)
    sid = str(supplier_id)
    if sid not in c.index:
        return {"supplier_id": sid, "name": sid, "contact_name": "", "email": "", "phone": ""}
    r = c.loc[sid]
    if check_email and r.email and not _EMAIL.fullmatch(r.email):
        pos = int(np.flatnonzero(ds.suppliers.supplier_id.astype(str).to_numpy() == sid)[0])
        raise ValueError(f"{ds.where('suppliers', pos)}, column email: {r.email!r} is not one e-mail address; "
                         f"write a single address such as orders@example.com for supplier {sid} (or leave it empty)")
    return {"supplier_id": sid, "name": r.supplier_name or sid, "contact_name": r.contact_name,
            "email": r.email, "phone": r.phone}


def supplier_page(followup: pd.DataFrame, ds, supplier_id, today=None) -> str:
    """One supplier's open purchase orders as a printable page.

    Parameters
    ----------
    followup : DataFrame
        :func:`supplier_followup`'s table.
    ds : Dataset
        For the supplier's name and contact (``suppliers``) and item descriptions (``items``).
    supplier_id : str
        The supplier.
    today : date-like, optional
        Shown as the date of the page.

    Returns
    -------
    str
        A self-contained HTML document: the contact block, then every open purchase order of the
        supplier (most urgent first) with ordered, received and open quantity, due, confirmed and
        need dates, status and reason, the customer orders it serves and the action. No script,
        no link to another host; print CSS for A4 landscape.
    """
    e = html.escape
    s = _supplier(ds, supplier_id)
    rows = _rows_of(followup, supplier_id)
    desc = ds.items.assign(item_id=ds.items.item_id.astype(str)).drop_duplicates("item_id").set_index("item_id")
    uom = desc.uom.astype(object).fillna("") if "uom" in desc else pd.Series(dtype=object)
    desc = desc.description.astype(object).fillna("") if "description" in desc else pd.Series(dtype=object)
    counts = rows.status.value_counts()
    summary = ", ".join(f"{int(counts[k])} {k}" for k in STATUSES if k in counts) or "no open purchase orders"
    contact = "".join(f"<tr><td>{k}</td><td>{e(v)}</td></tr>" for k, v in
                      (("Supplier", f"{s['name']} ({s['supplier_id']})"), ("Contact", s["contact_name"]),
                       ("Phone", s["phone"]), ("E-mail", s["email"])) if v)
    head = ["PO", "Item", "Ordered", "Received", "Open", "Due", "Confirmed", "Needed (week of)", "Status",
            "Why", "Customer orders served", "Action"]
    body = []
    for r in rows.itertuples(index=False):
        u = str(uom.get(r.item_id, "") or "")
        conf = ""
        if not pd.isna(r.confirmed_on):
            conf = (_day(r.confirmed_date) or "no date") + f", {_q(r.confirmed_qty)} (on {_day(r.confirmed_on)})"
        cls = r.status.replace(" ", "-")
        cells = [(r.order_id, "d"), (f"{r.item_id} {desc.get(r.item_id, '')}".strip(), ""),
                 (f"{_q(r.ordered_qty)} {u}".strip(), "n"), (_q(r.received_qty), "n"), (_q(r.open_qty), "n"),
                 (_day(r.due_date), "d"), (conf, ""), (_day(r.need_date), "d"), (r.status, "s"),
                 (r.reason, ""), (r.customer_orders.replace("; ", "\n"), ""), (r.action, "")]
        tds = "".join(f'<td class="{c}">' + e(str(v)).replace("\n", "<br>") + "</td>" for v, c in cells)
        body.append(f'<tr class="{cls}">{tds}</tr>')
    if not body:
        body.append(f'<tr><td colspan="{len(head)}">No open purchase orders.</td></tr>')
    when = f" - {_day(pd.Timestamp(today))}" if today is not None else ""
    ths = "".join(f"<th>{h}</th>" for h in head)
    return ("<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
            f"<title>Open orders - {e(s['name'])}</title><style>{PAGE_CSS}</style></head><body>"
            f"<h1>Open purchase orders: {e(s['name'])}{e(when)}</h1>"
            f"<table class='contact'>{contact}</table>"
            f"<p>{len(rows)} open order(s): {e(summary)}.</p>"
            f"<table class='fu'><thead><tr>{ths}</tr></thead><tbody>{''.join(body)}</tbody></table>"
            "<p class='foot'>Needed: the week MRP needs the order in (its Monday). Late: due before today and not "
            "received. At risk: expected (confirmed, else due) after the Monday it is needed, or confirmed short. "
            "Unconfirmed: no confirmed date and due within the follow-up window.</p></body></html>")


def _mail_lines(rows: pd.DataFrame) -> list[str]:
    out = []
    for r in rows.itertuples(index=False):
        head = f"- {r.order_id}, {_q(r.open_qty)} {r.item_id} open, due {_day(r.due_date)}"
        if r.status == "late":
            ask = f"{r.days_late} day(s) overdue: please ship now or give us a firm date"
        elif r.status == "at risk" and r.days_at_risk > 0:
            ask = (f"we need it by {_day(r.need_date)}, {r.days_at_risk} day(s) before the "
                   + ("confirmed" if not pd.isna(r.confirmed_date) else "due") + f" date {_day(r.expected_date)}: "
                   "please pull it in")
            if r.short_qty > 0:
                ask += f" and confirm the missing {_q(r.short_qty)}"
        elif r.status == "at risk":
            ask = f"confirmed {_q(r.open_qty - r.short_qty)}: please confirm the missing {_q(r.short_qty)}"
        else:
            ask = "please confirm the date and quantity"
        out.append(f"{head}: {ask}.")
    return out


def _follow_ups(followup, supplier_id) -> pd.DataFrame:
    rows = _rows_of(followup, supplier_id)
    return rows[rows.status != "on track"]


def mail_draft(followup: pd.DataFrame, ds, supplier_id, sender: str = "") -> bytes:
    """An e-mail draft (``.eml``) to the supplier listing its follow-ups.

    Parameters
    ----------
    followup : DataFrame
        :func:`supplier_followup`'s table.
    ds : Dataset
        ``suppliers`` for the address and the contact's name.
    supplier_id : str
    sender : str, optional
        ``From`` address; empty leaves it to the mail client.

    Returns
    -------
    bytes
        An RFC 5322 message: ``To`` the supplier's e-mail (absent when the supplier has none on
        file: the buyer types it), subject :data:`SUBJECT`, a plain-text body with one line per
        order that is late, at risk or unconfirmed (or a note that all are on track), and the
        header ``X-Unsent: 1`` so that mail clients open it as a draft.

    Raises
    ------
    ValueError
        The supplier's ``email`` is not one address (naming the suppliers row and column).
    """
    s = _supplier(ds, supplier_id, check_email=True)
    rows = _follow_ups(followup, supplier_id)
    msg = EmailMessage(policy=SMTP)
    if s["email"]:
        user, domain = s["email"].rsplit("@", 1)
        msg["To"] = Address(display_name=s["contact_name"], username=user, domain=domain)
    if sender:
        msg["From"] = sender
    msg["Subject"] = SUBJECT
    msg["X-Unsent"] = "1"
    greet = f"Dear {s['contact_name']}," if s["contact_name"] else f"Dear {s['name']} team,"
    if len(rows):
        body = [greet, "", f"please look at these {len(rows)} open purchase order(s) with us:", "",
                *_mail_lines(rows), "", "Please reply with a delivery date and quantity for each.", "",
                "Thank you."]
    else:
        body = [greet, "", "all our open purchase orders with you are on track; nothing to chase this week.", "",
                "Thank you."]
    msg.set_content("\n".join(body) + "\n")
    return msg.as_bytes()


def mailto_link(followup: pd.DataFrame, ds, supplier_id, max_chars: int = 1800) -> str:
    """A ``mailto:`` link opening a short mail to the supplier about its follow-ups.

    Parameters
    ----------
    followup : DataFrame
        :func:`supplier_followup`'s table.
    ds : Dataset
        ``suppliers`` for the address.
    supplier_id : str
    max_chars : int
        Longest link (mail clients cut long links): lines beyond it are summed up as
        "... and N more".

    Returns
    -------
    str
        ``mailto:ADDRESS?subject=...&body=...`` with every part percent-encoded (RFC 6068);
        the address is empty when the supplier has none on file.

    Raises
    ------
    ValueError
        The supplier's ``email`` is not one address (naming the suppliers row and column).
    """
    s = _supplier(ds, supplier_id, check_email=True)
    rows = _follow_ups(followup, supplier_id)
    lines = [f"{r.order_id}: {r.status}" + (f", {r.days_late} d late" if r.days_late else "")
             + (f", pull in {r.days_at_risk} d" if r.days_at_risk else "")
             + (f", {_q(r.short_qty)} not confirmed" if r.short_qty > 0 else "") for r in rows.itertuples()]
    base = "mailto:" + quote(s["email"], safe="@") + "?subject=" + quote(SUBJECT, safe="")

    def link(k):
        if not lines:
            return base + "&body=" + quote("All open orders are on track.\n", safe="")
        text = ["Please confirm or pull in:"] + lines[:k] + ([f"... and {len(lines) - k} more"] if k < len(lines)
                                                            else [])
        return base + "&body=" + quote("\n".join(text) + "\n", safe="")

    k = len(lines)
    while k > 0 and len(link(k)) > max_chars:
        k -= 1
    return link(k)
