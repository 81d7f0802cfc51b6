"""Pegging explorer: from a customer order line down to every supply that serves it, and
from a supply (purchase order, production order, planned order) up to the demands it serves.

Both traces read MRP's ``pegging`` table alone (:attr:`planlib.mrp.MrpResult.pegging`,
columns in ``docs/mrp.md``). A row pegs ``qty`` of a supply of ``item_id`` to a demand;
a ``dependent`` demand's ``demand_id`` is the parent's planned order, whose own supplies
are pegged in turn. Through a parent order the quantity is split in proportion: a supply
``S`` that gives ``q_SP`` to order ``P`` (receipt ``total_P``, the sum of ``P``'s pegging
rows) serves a customer line ``L`` that takes ``q_PL`` of ``P`` with
``q_SP * q_PL / total_P`` units of ``S``'s item. Down and up use the same rule, so the
quantity of ``S`` found under ``L`` going down equals the quantity of ``L`` found above
``S`` going up.

Each step also carries the *slack* of the path: the days between the date a supply
arrives (``supply_date``) and the date its demand needs it (``demand_date``), summed over
the levels. A supply that arrives ``d`` days later than planned makes the line at the
top late by ``d - slack`` days when that is positive (see :mod:`planlib.actions`).

Vocabulary: docs/glossary.md (pegging, supply, demand, planned order, scheduled receipt).
"""
from __future__ import annotations

import html

import numpy as np
import pandas as pd

#: Levels followed at most (a BOM is acyclic; this only guards a damaged pegging table).
MAX_LEVELS = 64

UP_COLUMNS = ["supply_id", "level", "via_id", "item_id", "demand_type", "demand_id", "demand_item_id",
              "demand_date", "qty", "slack_days"]
DOWN_COLUMNS = ["demand_id", "level", "parent_id", "item_id", "supply_type", "supply_id", "supply_date",
                "need_date", "qty"]


def _prepared(pegging: pd.DataFrame) -> pd.DataFrame:
    """Pegging with plain-string ids, dates as datetime and the receipt total of each supply."""
    cols = ["item_id", "supply_type", "supply_id", "supply_date", "demand_type", "demand_id", "demand_item_id",
            "demand_date", "qty"]
    missing = [c for c in cols if c not in pegging.columns]
    if missing:
        raise ValueError(f"pegging table: column(s) {', '.join(missing)} missing; pass MRP's pegging table "
                         "(MrpResult.pegging or <run>/mrp/pegging.csv)")
    if pegging.attrs.get("planlib_prepared"):  # already prepared (see prepare)
        return pegging
    p = pd.DataFrame({c: pegging[c].astype(object).where(pegging[c].notna(), None).astype(str)
                      if c not in ("supply_date", "demand_date", "qty") else pegging[c] for c in cols})
    p["supply_date"] = pd.to_datetime(p.supply_date)
    p["demand_date"] = pd.to_datetime(p.demand_date)
    p["qty"] = p.qty.astype(float)
    p.attrs["planlib_prepared"] = True
    return p


def prepare(pegging: pd.DataFrame) -> pd.DataFrame:
    """The pegging with its ids as plain text, once: pass the result to several traces of
    one plan to convert the (categorical) id columns only once.

    Parameters
    ----------
    pegging : DataFrame
        MRP's ``pegging`` table (columns in ``docs/mrp.md``: ``item_id, supply_type, supply_id,
        supply_date, demand_type, demand_id, demand_item_id, demand_date, qty`` [units]).

    Returns
    -------
    DataFrame
        Same columns and rows; ids as text, dates as ``datetime64``, plus the receipt total of
        each supply [units].
    """
    return _prepared(pegging)


def _totals(p: pd.DataFrame) -> pd.Series:
    """Receipt of each order (sum of its pegging rows, excess included), by supply id."""
    orders = p[p.supply_type.isin(["planned_order", "scheduled_receipt"])]
    return orders.groupby("supply_id").qty.sum()


def trace_up(pegging: pd.DataFrame, supply_ids) -> pd.DataFrame:
    """Follow supplies up through every level to the demands at the top.

    Parameters
    ----------
    pegging : DataFrame
        MRP's pegging table.
    supply_ids : str or list of str
        Planned orders (``PLN-...``) or scheduled receipts (purchase and production orders).

    Returns
    -------
    DataFrame
        One row per step of every path: ``supply_id`` (the supply traced), ``level`` (1 = the
        demands the supply is pegged to, 2 = the demands of those parent orders, ...),
        ``via_id`` (the order at the level below: the supply itself at level 1), ``item_id``
        (its item), ``demand_type`` (``customer_order | forecast | dependent | safety_stock |
        excess``), ``demand_id, demand_item_id, demand_date``, ``qty`` [units of the traced
        supply's item] and ``slack_days`` [days], the slack summed from the supply up to this
        demand. Rows with a ``demand_type`` other than ``dependent`` are the ends of the paths.
    """
    ids = [supply_ids] if isinstance(supply_ids, str) else [str(s) for s in supply_ids]
    p = _prepared(pegging)
    totals = _totals(p)
    by_supply = p[p.supply_type.isin(["planned_order", "scheduled_receipt"])]
    frontier = pd.DataFrame({"supply_id": ids, "node": ids, "share": 1.0, "slack_days": 0.0})
    out = []
    for level in range(1, MAX_LEVELS + 1):
        if frontier.empty:
            break
        step = frontier.merge(by_supply, left_on="node", right_on="supply_id", suffixes=("", "_p"))
        if step.empty:
            break
        slack = (step.demand_date - step.supply_date).dt.days.astype(float).fillna(0.0)
        step = step.assign(level=level, via_id=step.node, qty=step.qty * step.share,
                           slack_days=step.slack_days + slack)
        out.append(step[UP_COLUMNS])
        dep = step[step.demand_type == "dependent"]
        frontier = pd.DataFrame({"supply_id": dep.supply_id, "node": dep.demand_id,
                                 "share": dep.qty / dep.demand_id.map(totals).to_numpy(),
                                 "slack_days": dep.slack_days})
        frontier = frontier[np.isfinite(frontier.share) & (frontier.share > 0)]
    if not out:
        return pd.DataFrame(columns=UP_COLUMNS).astype({"level": int, "qty": float, "slack_days": float})
    return pd.concat(out, ignore_index=True)


def customer_lines_served(up: pd.DataFrame) -> pd.DataFrame:
    """The customer order lines at the top of :func:`trace_up`'s paths.

    Parameters
    ----------
    up : DataFrame
        :func:`trace_up`'s result (:data:`UP_COLUMNS`).

    Returns
    -------
    DataFrame
        ``supply_id, demand_id, demand_item_id, demand_date, qty`` [units of the supply's
        item] and ``slack_days`` [days, the least slack of the paths to the line].
    """
    top = up[up.demand_type == "customer_order"]
    cols = ["supply_id", "demand_id", "demand_item_id", "demand_date", "qty", "slack_days"]
    if top.empty:
        return pd.DataFrame(columns=cols).astype({"qty": float, "slack_days": float})
    return (top.groupby(["supply_id", "demand_id", "demand_item_id", "demand_date"], as_index=False, sort=False)
            .agg(qty=("qty", "sum"), slack_days=("slack_days", "min")))[cols]


def trace_down(pegging: pd.DataFrame, demand_ids) -> pd.DataFrame:
    """Follow demands (customer order lines) down to every supply that serves them.

    Parameters
    ----------
    pegging : DataFrame
        MRP's pegging table.
    demand_ids : str or list of str
        Customer order ids (``demand.order_id``) or any ``demand_id`` of the pegging.

    Returns
    -------
    DataFrame
        One row per supply at each level: ``demand_id`` (the line traced), ``level`` (0 = the
        supplies of the line's own item, 1 = the supplies of the components of its planned
        orders, ...), ``parent_id`` (the order whose components these are; the line itself at
        level 0), ``item_id, supply_type`` (``on_hand | scheduled_receipt | planned_order |
        none``: ``none`` is demand no supply covers), ``supply_id, supply_date, need_date``
        (when the level above needs it) and ``qty`` [units of ``item_id``] serving the line.
    """
    ids = [demand_ids] if isinstance(demand_ids, str) else [str(d) for d in demand_ids]
    p = _prepared(pegging)
    totals = _totals(p)
    frontier = pd.DataFrame({"demand_id": ids, "node": ids, "share": 1.0})
    out = []
    for level in range(MAX_LEVELS):
        if frontier.empty:
            break
        rows = p if level == 0 else p[p.demand_type == "dependent"]
        step = frontier.merge(rows, left_on="node", right_on="demand_id", suffixes=("", "_p"))
        if step.empty:
            break
        step = step.assign(level=level, parent_id=step.node, qty=step.qty * step.share,
                           need_date=step.demand_date)
        step = (step.groupby(["demand_id", "level", "parent_id", "item_id", "supply_type", "supply_id"],
                             as_index=False, sort=False, dropna=False)
                .agg(supply_date=("supply_date", "first"), need_date=("need_date", "min"), qty=("qty", "sum")))
        out.append(step[DOWN_COLUMNS])
        made = step[step.supply_type == "planned_order"]
        frontier = pd.DataFrame({"demand_id": made.demand_id, "node": made.supply_id,
                                 "share": made.qty / made.supply_id.map(totals).to_numpy()})
        frontier = frontier[np.isfinite(frontier.share) & (frontier.share > 0)]
    if not out:
        return pd.DataFrame(columns=DOWN_COLUMNS).astype({"level": int, "qty": float})
    return pd.concat(out, ignore_index=True)


# --------------------------------------------------------------------------- HTML

#: Styles of the trees and the table of lines (a class selector with its element, so a notebook
#: theme's ``ul li`` or ``td`` rules do not win).
STYLE = ("<style>ul.peg-tree{list-style:none;margin:0 0 0 1.2em;padding:0}ul.peg-tree>li{margin:2px 0;"
         "list-style:none}details.peg-line{margin:4px 0}details.peg-line summary{cursor:pointer}"
         "span.peg-desc{color:#555}span.peg-none{color:#b00020;font-weight:bold}span.peg-note{color:#b00020}"
         "table.peg-lines{border-collapse:collapse;margin-bottom:1em}"
         "table.peg-lines th,table.peg-lines td{text-align:left;padding:3px 8px;border-bottom:1px solid #ddd;"
         "vertical-align:top}table.peg-lines td.n{text-align:right;white-space:nowrap}"
         "@media print{details.peg-line{display:block}}</style>")

def _qty(v: float) -> str:
    """A quantity (often a proportional share): whole numbers as such, else 1 decimal from 10 up,
    2 below (``45.05`` -> ``45.1``, ``0.86`` stays)."""
    v = float(v)
    if abs(v - round(v)) < 5e-7:
        return f"{v:,.0f}"
    text = f"{v:,.1f}" if abs(v) >= 10 else f"{v:,.2f}"
    return text.rstrip("0").rstrip(".")


def _date(v) -> str:
    return "" if pd.isna(v) else pd.Timestamp(v).strftime("%a %-d %b %Y")


_SUPPLY_WORDS = {"on_hand": "on hand", "scheduled_receipt": "open order", "planned_order": "planned order",
                 "none": "not covered"}


def down_tree_html(down: pd.DataFrame, lines: pd.DataFrame, items: pd.DataFrame | None = None,
                   open_ids=(), uom: bool = True) -> str:
    """Collapsible trees (HTML ``<details>``), one per customer order line, of :func:`trace_down`.

    Parameters
    ----------
    down : DataFrame
        :func:`trace_down` of the lines.
    lines : DataFrame
        The lines, in the order shown: ``order_id, item_id, qty, due_date`` and optionally
        ``customer_id`` and ``note`` (a text shown after the line, e.g. what puts it at risk).
    items : DataFrame, optional
        ``item_id, description, uom`` to name items.
    open_ids : iterable of str
        Lines whose tree is expanded; the others are collapsed (a click opens them).

    Returns
    -------
    str
        HTML, every text escaped; works offline and prints (an open ``<details>`` prints open).
    """
    desc, units = {}, {}
    if items is not None and len(items):
        desc = dict(zip(items.item_id.astype(str), items.get("description", pd.Series("", index=items.index))
                        .fillna("").astype(str)))
        units = dict(zip(items.item_id.astype(str), items.get("uom", pd.Series("", index=items.index))
                         .fillna("").astype(str)))
    open_ids = {str(o) for o in open_ids}
    e = html.escape

    def item_text(item):
        d = desc.get(item, "")
        return e(item) + (f" <span class='peg-desc'>{e(d)}</span>" if d else "")

    def qty_text(q, item):
        u = units.get(item, "") if uom else ""
        return e(_qty(q) + (f" {u}" if u else ""))

    by_parent = ({k: g for k, g in down.groupby(["demand_id", "level", "parent_id"], sort=False)}
                 if len(down) else {})

    def children(line, parent, depth):
        g = by_parent.get((line, depth, parent))
        if g is None or depth > MAX_LEVELS:
            return ""
        parts = []
        for r in g.itertuples(index=False):
            what = _SUPPLY_WORDS.get(r.supply_type, r.supply_type)
            sid = "" if r.supply_id in ("on hand", "shortage") else f"<b>{e(r.supply_id)}</b> "
            when = f", due {e(_date(r.supply_date))}" if not pd.isna(r.supply_date) else ""
            cls = " class='peg-none'" if r.supply_type == "none" else ""
            text = (f"<span{cls}>{sid}{e(what)}: {qty_text(r.qty, r.item_id)} {item_text(r.item_id)}{when}"
                    f"</span>")
            sub = children(line, r.supply_id, depth + 1) if r.supply_type == "planned_order" else ""
            if sub:
                parts.append(f"<li><details open><summary>{text}</summary>{sub}</details></li>")
            else:
                parts.append(f"<li>{text}</li>")
        return "<ul class='peg-tree'>" + "".join(parts) + "</ul>"

    out = []
    for r in lines.itertuples(index=False):
        oid, item = str(r.order_id), str(r.item_id)
        cust = getattr(r, "customer_id", "")
        cust = "" if cust is None or pd.isna(cust) or cust == "" else f" for {e(str(cust))}"
        note = getattr(r, "note", "")
        note = f" <span class='peg-note'>{e(str(note))}</span>" if isinstance(note, str) and note else ""
        head = (f"Customer order <b>{e(oid)}</b>{cust}: {qty_text(r.qty, item)} {item_text(item)}, "
                f"due {e(_date(r.due_date))}{note}")
        body = children(oid, oid, 0) or "<p>No supply is pegged to this line (it is outside the plan).</p>"
        attr = " open" if oid in open_ids else ""
        out.append(f"<details class='peg-line'{attr}><summary>{head}</summary>{body}</details>")
    return STYLE + "".join(out)


def up_tree_html(up: pd.DataFrame, supplies: pd.DataFrame, items: pd.DataFrame | None = None,
                 open_ids=()) -> str:
    """Collapsible trees, one per supply, of :func:`trace_up`: the orders it serves, level by level,
    up to the customer orders, forecast and safety stock at the top.

    Parameters
    ----------
    up : DataFrame
        :func:`trace_up` of the supplies.
    supplies : DataFrame
        ``supply_id, item_id`` and optionally ``label`` (the text of the tree's first line).
    items : DataFrame, optional
        ``item_id, description, uom`` to name items.
    open_ids : iterable of str
        Supplies whose tree is expanded.

    Returns
    -------
    str
        HTML, every text escaped.
    """
    desc = units = {}
    if items is not None and len(items):
        desc = dict(zip(items.item_id.astype(str), items.get("description", pd.Series("", index=items.index))
                        .fillna("").astype(str)))
        units = dict(zip(items.item_id.astype(str), items.get("uom", pd.Series("", index=items.index))
                         .fillna("").astype(str)))
    open_ids = {str(o) for o in open_ids}
    e = html.escape
    words = {"customer_order": "customer order", "forecast": "forecast", "dependent": "planned order",
             "safety_stock": "safety stock", "excess": "more than needed (excess)"}
    groups = {k: g for k, g in up.groupby(["supply_id", "level", "via_id"], sort=False)} if len(up) else {}

    def level(start, node, unit, depth):
        g = groups.get((start, depth, node))
        if g is None or depth > MAX_LEVELS:
            return ""
        g = (g.groupby(["demand_type", "demand_id", "demand_item_id"], as_index=False, sort=False)
             .agg(demand_date=("demand_date", "min"), qty=("qty", "sum")))
        parts = []
        for r in g.itertuples(index=False):
            ident = "" if r.demand_type in ("excess", "safety_stock") or r.demand_type == "forecast" \
                else f"<b>{e(str(r.demand_id))}</b> "
            if r.demand_type == "forecast":
                ident = f"{e(str(r.demand_id))} "
            d = desc.get(str(r.demand_item_id), "")
            what = (f"{ident}{e(words.get(r.demand_type, r.demand_type))} of {e(str(r.demand_item_id))}"
                    + (f" <span class='peg-desc'>{e(d)}</span>" if d else "")
                    + (f", needed {e(_date(r.demand_date))}" if not pd.isna(r.demand_date) else "")
                    + f": takes {e(_qty(r.qty))}{(' ' + e(unit)) if unit else ''}")
            sub = level(start, str(r.demand_id), unit, depth + 1) if r.demand_type == "dependent" else ""
            parts.append(f"<li><details open><summary>{what}</summary>{sub}</details></li>" if sub
                         else f"<li>{what}</li>")
        return "<ul class='peg-tree'>" + "".join(parts) + "</ul>"

    out = []
    for r in supplies.itertuples(index=False):
        sid, item = str(r.supply_id), str(r.item_id)
        label = getattr(r, "label", "") or f"{sid}: {item} {desc.get(item, '')}".strip()
        body = level(sid, sid, units.get(item, ""), 1) or "<p>Not pegged to any demand.</p>"
        attr = " open" if sid in open_ids else ""
        out.append(f"<details class='peg-line'{attr}><summary>{e(label)}</summary>{body}</details>")
    return STYLE + "".join(out)
