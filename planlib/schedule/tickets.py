"""Work tickets: the schedule as the shop floor receives it.

One ticket per scheduled operation, grouped into one ticket list per work center and
day (the day the operation's setup starts), in the sequence of each machine. A ticket
names the order (and its status: ``released``, ``in progress``, ``planned``), the item and
its description, the quantity in the item's unit, the setup and run from and until (with
the year), setup and run hours, the crew, the components to pick for the operation that
consumes them (BOM ``qty_per`` times the order quantity, plus the BOM line's
``scrap_pct``), the next operation or where the parts go (the order they are made for, or
stock), and blank fields for the good quantity, scrap and sign-off.

Vocabulary: ``docs/glossary.md``.
"""
from __future__ import annotations

import html

import numpy as np
import pandas as pd

from planlib.schedule.problem import consuming_operations

TICKET_COLUMNS = ["work_center_id", "day", "machine_id", "seq", "order_id", "order_status", "item_id",
                  "description", "op_seq", "qty", "uom", "setup_start", "start", "end", "setup_hours",
                  "run_hours", "crew_size", "components", "next_step", "due_date", "late"]

#: How an order's status reads on a ticket (the ``status`` of ``scheduled_receipts``, or
#: ``planned`` for MRP's planned orders).
STATUS_WORDS = {"released": "released", "in_progress": "in progress", "planned": "planned", "firm": "firm"}

_DT = "%a %d %b %Y %H:%M"


def order_status(schedule: pd.DataFrame, orders: pd.DataFrame | None = None) -> pd.Series:
    """The status of each operation's order, as a ticket shows it.

    The ``status`` column of the schedule is the *operation's* (``planned`` until it runs,
    ``running``, ``frozen``), so a released order's operations read ``planned`` there; the
    order's own status is in the orders table the schedule was built from
    (:attr:`planlib.schedule.problem.Problem.orders`, ``status`` of ``scheduled_receipts``
    or ``planned`` for MRP's orders).

    Parameters
    ----------
    schedule : DataFrame
        The ``schedule`` table (:func:`planlib.schedule.report.to_schedule`): ``order_id, item_id, op_seq,
        work_center_id, machine_id, start, end`` (timestamps), ``qty`` [uom] ..., ``status``.
    orders : DataFrame, optional
        ``order_id, status`` of the orders scheduled.

    Returns
    -------
    Series
        Aligned with ``schedule``: ``released``, ``in progress``, ``planned`` ...; an
        operation that is running reads ``in progress (running)``.
    """
    if orders is not None and len(orders) and "status" in orders:
        of = dict(zip(orders.order_id, orders.status.astype(str)))
        st = schedule.order_id.map(of).fillna("planned")
    else:
        st = pd.Series("planned", index=schedule.index)
    out = st.map(lambda s: STATUS_WORDS.get(s, s.replace("_", " ")))
    if "status" in schedule:
        running = schedule.status.astype(str) == "running"
        out = out.where(~running, "in progress (running)")
    return out


def components_to_pick(schedule: pd.DataFrame, ds) -> pd.DataFrame:
    """The components each operation consumes, with the quantity to pick.

    The components of an order are consumed by one operation of its routing
    (:func:`planlib.schedule.problem.consuming_operations`); the quantity is the order
    quantity times the BOM line's ``qty_per`` times ``1 + scrap_pct / 100``, over the BOM
    lines valid on the day the operation starts.

    Parameters
    ----------
    schedule : DataFrame
        ``order_id, item_id, op_seq, qty, start`` (see :func:`planlib.schedule.report.to_schedule`).
    ds : Dataset
        Uses ``bom, routings, items``.

    Returns
    -------
    DataFrame
        Columns ``order_id, op_seq, component_id, description, qty`` [component uom], ``uom``.
    """
    cols = ["order_id", "op_seq", "component_id", "description", "qty", "uom"]
    if ds is None or not ds.has("bom") or len(ds.bom) == 0 or len(schedule) == 0:
        return pd.DataFrame(columns=cols)
    consume = consuming_operations(ds.routings) if ds.has("routings") else {}
    s = schedule[[int(op) == consume.get(item, int(op)) for item, op in zip(schedule.item_id, schedule.op_seq)]]
    bom = ds.bom
    m = s[["order_id", "item_id", "op_seq", "qty", "start"]].merge(
        bom.rename(columns={"parent_id": "item_id", "qty_per": "_per", "scrap_pct": "_scrap"}), on="item_id")
    if "valid_from" in m:
        day = pd.to_datetime(m.start).dt.normalize()
        vf, vt = pd.to_datetime(m.valid_from), pd.to_datetime(m.valid_to)
        m = m[(vf.isna() | (vf <= day)) & (vt.isna() | (vt > day))]
    scrap = m._scrap.fillna(0).astype(float) if "_scrap" in m else 0.0
    m = m.assign(qty=m.qty.astype(float) * m._per.astype(float) * (1 + scrap / 100.0))
    items = ds.items.set_index("item_id")
    m["description"] = m.component_id.map(items.description).fillna("") if "description" in items else ""
    m["uom"] = m.component_id.map(items.uom).fillna("") if "uom" in items else ""
    return m[cols].sort_values(["order_id", "op_seq", "component_id"]).reset_index(drop=True)


def next_steps(schedule: pd.DataFrame, material: pd.DataFrame | None = None) -> pd.Series:
    """Where the parts of each operation go next.

    The order's next operation (its work center and machine, and when it starts); after the
    last operation, the orders of this schedule that consume the item, else ``to stock``.

    Parameters
    ----------
    schedule : DataFrame
        The ``schedule`` table (:func:`planlib.schedule.report.to_schedule`): ``order_id, item_id, op_seq,
        work_center_id, machine_id, start, end`` (timestamps), ``qty`` [uom] ...
    material : DataFrame, optional
        The supply of every consuming operation: ``order_id, item_id, op_seq, supply_id``
        (:func:`planlib.schedule.report.material_table`).

    Returns
    -------
    Series
        Text aligned with ``schedule``.
    """
    consumers: dict = {}
    if material is not None and len(material):
        for sid, oid, item, op in zip(material.supply_id, material.order_id, material.item_id, material.op_seq):
            if isinstance(sid, str) and sid:
                consumers.setdefault(sid, []).append(f"order {oid} ({item}, op {int(op)})")
    nxt = schedule.sort_values(["order_id", "op_seq"])
    following = nxt.groupby("order_id").shift(-1)
    out = {}
    for i, oid, op_n, wc_n, m_n, t_n in zip(nxt.index, nxt.order_id, following.op_seq, following.work_center_id,
                                          following.machine_id, following.setup_start):
        if pd.notna(op_n):
            out[i] = f"op {int(op_n)} at {wc_n} ({m_n}), from {pd.Timestamp(t_n).strftime(_DT)}"
        elif oid in consumers:
            out[i] = "to " + ", ".join(sorted(set(consumers[oid])))
        else:
            out[i] = "to stock"
    return pd.Series(out).reindex(schedule.index)


def format_qty(q: float, uom: str = "") -> str:
    """A quantity in its unit, without spurious decimals: ``66 ea``, ``7.5 kg``, ``1,250 ea``."""
    q = float(q)
    text = f"{q:,.0f}" if abs(q - round(q)) < 1e-9 else f"{q:,.2f}".rstrip("0").rstrip(".")
    return f"{text} {uom}".strip()


def work_tickets(schedule: pd.DataFrame, ds=None, orders: pd.DataFrame | None = None,
                 material: pd.DataFrame | None = None) -> pd.DataFrame:
    """One work ticket per scheduled operation, in run order per machine and day.

    Parameters
    ----------
    schedule : DataFrame
        See :func:`planlib.schedule.report.to_schedule` (the dispatch list's columns do too).
    ds : Dataset, optional
        Item descriptions and units, the BOM for the components to pick.
    orders : DataFrame, optional
        ``order_id, status`` of the orders (:attr:`Problem.orders`), for the order's status.
    material : DataFrame, optional
        The supply table (:attr:`ScheduleResult.material`): where a sub-assembly goes.

    Returns
    -------
    DataFrame
        Columns ``work_center_id, day`` (date the setup starts: one ticket list per work
        center and day), ``machine_id, seq`` (1, 2, ... in run order per machine),
        ``order_id, order_status, item_id, description, op_seq, qty, uom``, ``setup_start,
        start, end`` (timestamps), ``setup_hours, run_hours`` [h], ``crew_size``
        [operators], ``components`` (list of ``(component_id, description, qty, uom)`` to
        pick), ``next_step`` (text), ``due_date``, ``late`` (the operation ends after the due
        date).
    """
    if schedule is None or len(schedule) == 0:
        return pd.DataFrame(columns=TICKET_COLUMNS)
    s = schedule.sort_values(["work_center_id", "machine_id", "start"]).reset_index(drop=True)
    desc, uom = {}, {}
    if ds is not None and ds.has("items"):
        it = ds.items.set_index("item_id")
        desc, uom = it.description.to_dict(), it.uom.to_dict()
    comp = components_to_pick(s, ds)
    picks = {k: list(zip(g.component_id, g.description, g.qty, g.uom))
             for k, g in comp.groupby(["order_id", "op_seq"])} if len(comp) else {}
    late = (s.lateness.astype(float) > 1e-9) if "lateness" in s else s.get("late", pd.Series(False, index=s.index))
    out = pd.DataFrame({
        "work_center_id": s.work_center_id, "day": pd.to_datetime(s.setup_start).dt.normalize(),
        "machine_id": s.machine_id, "seq": s.groupby("machine_id").cumcount() + 1,
        "order_id": s.order_id, "order_status": order_status(s, orders), "item_id": s.item_id,
        "description": s.item_id.map(desc).fillna(""), "op_seq": s.op_seq.astype(int), "qty": s.qty.astype(float),
        "uom": s.item_id.map(uom).fillna(""), "setup_start": s.setup_start, "start": s.start, "end": s["end"],
        "setup_hours": (s.setup_min + s.changeover_min).astype(float) / 60.0,
        "run_hours": s.run_min.astype(float) / 60.0,
        "crew_size": s.crew_size if "crew_size" in s else np.nan,
        "components": [picks.get((o, int(op)), []) for o, op in zip(s.order_id, s.op_seq)],
        "next_step": next_steps(s, material), "due_date": s.due_date, "late": np.asarray(late, dtype=bool),
    })
    return out[TICKET_COLUMNS]


_CSS = """
body{font-family:sans-serif;font-size:9pt;margin:0 1cm;color:#111}
h1{font-size:15pt;margin:.6em 0 .1em}h2{font-size:12pt;margin:.2em 0 .6em;font-weight:normal}
.meta{color:#444;margin:0 0 .5em}
table{border-collapse:collapse;width:100%}
th,td{border:1px solid #888;padding:3px 5px;text-align:left;vertical-align:top}
th{background:#eee;font-size:9pt}
td.num{text-align:right;white-space:nowrap}
td.when{white-space:nowrap}
tr.late td{background:#fde2e2}
.blank{min-width:5em;height:2.2em}
.picks{margin:0;padding-left:1.1em}
td.next{font-size:8pt;max-width:16em}
.status{font-size:9pt;color:#333}
section.list{break-after:page;page-break-after:always}
section.list:last-of-type{break-after:auto;page-break-after:auto}
tr{break-inside:avoid;page-break-inside:avoid}
@page{size:A4 landscape;margin:1cm}
@media print{body{margin:0}.noprint{display:none}}
"""


def _hours(h: float) -> str:
    return f"{h:,.2f} h"


def tickets_html(tickets: pd.DataFrame, work_center_id: str, plan_week: str = "", title: str = "",
                 work_center_name: str = "", made_at=None) -> str:
    """A printable page of one work center's ticket lists, one list (and printed page) per day.

    Parameters
    ----------
    tickets : DataFrame
        See :func:`work_tickets`.
    work_center_id : str
    plan_week : str
        ISO week of the plan, shown on every list.
    title : str
        A line under the heading (the plan, the scenario).
    work_center_name : str
        The work center's description.
    made_at : datetime-like, optional
        When the plan was made (default now); the print date is filled in when the page is
        opened or printed.

    Returns
    -------
    str
        One HTML page, no script or style from another host. ``@media print`` puts each
        day's list on its own page (``section.list``).
    """
    esc = html.escape
    t = tickets[tickets.work_center_id == work_center_id]
    made = pd.Timestamp(made_at) if made_at is not None else pd.Timestamp.now().floor("min")
    name = f" {esc(work_center_name)}" if work_center_name else ""
    parts = [(f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>Work tickets "
              f"{esc(str(work_center_id))}</title><style>{_CSS}</style></head><body>")]
    if t.empty:
        parts.append(f"<h1>Work tickets: work center {esc(str(work_center_id))}{name}</h1>"
                     "<p>No operations are scheduled at this work center.</p>")
    for day, g in t.groupby("day", sort=True):
        day_text = pd.Timestamp(day).strftime("%A %d %B %Y")
        parts.append(
            f"<section class='list'><h1>Work tickets: work center {esc(str(work_center_id))}{name}, "
            f"{esc(day_text)}</h1>"
            f"<p class='meta'>Plan week {esc(plan_week)} &middot; plan made {made:%Y-%m-%d %H:%M} &middot; "
            f"printed <span class='printed'>{made:%Y-%m-%d}</span>"
            f"{' &middot; ' + esc(title) if title else ''}</p>"
            "<table><thead><tr><th>Seq</th><th>Machine</th><th>Order</th><th>Item</th><th>Op</th>"
            "<th>Quantity</th><th>Setup from / run from / until</th><th>Setup</th><th>Run</th><th>Crew</th>"
            "<th>Components to pick</th><th>Next</th><th>Good qty</th><th>Scrap</th><th>Sign-off</th>"
            "</tr></thead><tbody>")
        for r in g.sort_values(["machine_id", "seq"]).itertuples():
            picks = "".join(f"<li>{esc(str(c))} {esc(str(d))}: <b>{esc(format_qty(q, u))}</b></li>"
                            for c, d, q, u in r.components)
            picks = f"<ul class='picks'>{picks}</ul>" if picks else "none"
            crew = "" if pd.isna(r.crew_size) else f"{float(r.crew_size):g}"
            due = f"due {pd.Timestamp(r.due_date):%d %b %Y}" if pd.notna(r.due_date) else ""
            late = " &middot; <b>LATE</b>" if r.late else ""
            parts.append(
                f"<tr{' class=late' if r.late else ''}><td class='num'>{int(r.seq)}</td>"
                f"<td>{esc(str(r.machine_id))}</td>"
                f"<td>{esc(str(r.order_id))}<br><span class='status'>{esc(str(r.order_status))}; {due}{late}"
                f"</span></td><td>{esc(str(r.item_id))}<br>{esc(str(r.description))}</td>"
                f"<td class='num'>{int(r.op_seq)}</td><td class='num'>{esc(format_qty(r.qty, r.uom))}</td>"
                f"<td class='when'>{pd.Timestamp(r.setup_start):{_DT}}<br>{pd.Timestamp(r.start):{_DT}}<br>"
                f"{pd.Timestamp(r.end):{_DT}}</td>"
                f"<td class='num'>{_hours(r.setup_hours)}</td><td class='num'>{_hours(r.run_hours)}</td>"
                f"<td class='num'>{crew}</td><td>{picks}</td><td class='next'>{esc(str(r.next_step))}</td>"
                "<td class='blank'></td><td class='blank'></td><td class='blank'></td></tr>")
        parts.append("</tbody></table></section>")
    parts.append("<script>for (const e of document.querySelectorAll('.printed')) "
                 "e.textContent = new Date().toISOString().slice(0, 10);</script></body></html>")
    return "".join(parts)
