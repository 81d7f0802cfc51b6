"""Schedule outputs: the schedule table, KPIs, dispatch lists (CSV and HTML) and the Gantt chart."""
from __future__ import annotations

import html

import pandas as pd

from planlib.schedule.problem import Problem

SCHEDULE_COLUMNS = ["order_id", "item_id", "family", "op_seq", "work_center_id", "machine_id", "setup_start",
                    "start", "end", "qty", "due_date", "lateness", "setup_min", "changeover_min", "run_min",
                    "earliest_start", "uninterruptible", "crew_size", "status", "priority", "weight"]


def to_schedule(problem: Problem, sol: pd.DataFrame) -> pd.DataFrame:
    """The ``schedule`` table of a solution.

    Parameters
    ----------
    problem : Problem
        The scheduling problem solved (:func:`planlib.schedule.problem.build_problem`).
    sol : DataFrame
        The solution: one row per operation of ``problem.ops`` with its machine and start, end
        [min from the plan start] (the solvers' ``SOLUTION_COLUMNS``).

    Returns
    -------
    DataFrame
        One row per operation, sorted by machine and start: ``order_id, item_id, family, op_seq,
        work_center_id, machine_id, setup_start`` (changeover and setup begin), ``start`` (run
        begins), ``end`` (timestamps), ``qty`` [uom], ``due_date`` (the order's), ``lateness``
        [h, end of the operation less the end of the due date; > 0 late], ``setup_min`` (routing
        setup), ``changeover_min`` (family changeover), ``run_min`` [working min],
        ``earliest_start`` (release or material, timestamp), ``uninterruptible``, ``crew_size``,
        ``status`` (``planned|running|frozen``), ``priority``, ``weight``.
    """
    ops, tls = problem.ops, problem.timelines
    if len(sol) == 0:
        return pd.DataFrame(columns=SCHEDULE_COLUMNS)
    alts = problem.alts.set_index(["op", "machine_id"])
    rows = []
    for i, m, ws, wr, we, change in zip(sol.op, sol.machine_id, sol.ws, sol.wr, sol.we, sol.changeover_min):
        tl = tls[m]
        a = alts.loc[(i, m)]
        start = tl.start_at(int(wr)) if int(wr) < tl.total else tl.end_at(int(wr))
        end = start if int(we) <= int(wr) else tl.end_at(int(we))  # a zero-minute run ends as it starts
        rows.append((i, m, tl.start_at(int(ws) - int(change)) if int(ws) - int(change) < tl.total
                     else tl.end_at(int(ws) - int(change)),
                     start, end, int(a.setup_min), int(change), int(a.run_min)))
    t = pd.DataFrame(rows, columns=["op", "machine_id", "ss", "s", "e", "setup_min", "changeover_min", "run_min"])
    orders = problem.orders.set_index("order_id")
    o = ops.loc[t.op]
    out = pd.DataFrame({
        "order_id": o.order_id.to_numpy(), "item_id": o.item_id.to_numpy(), "family": o.family.to_numpy(),
        "op_seq": o.op_seq.to_numpy(), "work_center_id": o.work_center_id.to_numpy(),
        "machine_id": t.machine_id.to_numpy(),
        "setup_start": problem.timestamp(t.ss), "start": problem.timestamp(t.s), "end": problem.timestamp(t.e),
        "qty": o.qty.to_numpy(),
        "due_date": o.order_id.map(orders.due_date).to_numpy(),
        "lateness": (t.e.to_numpy() - o.due.to_numpy()) / 60.0,
        "setup_min": t.setup_min.to_numpy(), "changeover_min": t.changeover_min.to_numpy(),
        "run_min": t.run_min.to_numpy(),
        "earliest_start": problem.timestamp(o.earliest.to_numpy()),
        "uninterruptible": o.uninterruptible.to_numpy(), "crew_size": o.crew_size.to_numpy(),
        "status": o.status.to_numpy(),
        "priority": o.order_id.map(orders.priority).to_numpy(),
        "weight": o.weight.to_numpy(),
    })
    # the release/material date binds the first operation; later ones carry one only when rescheduling
    out.loc[(o.pred.to_numpy() >= 0) & (o.earliest.to_numpy() <= 0), "earliest_start"] = pd.NaT
    out["lateness"] = out.lateness.round(2)
    return out.sort_values(["machine_id", "start", "order_id"]).reset_index(drop=True)


def order_summary(schedule: pd.DataFrame) -> pd.DataFrame:
    """One row per order of a schedule.

    Parameters
    ----------
    schedule : DataFrame
        The ``schedule`` table (:func:`planlib.schedule.report.to_schedule`): ``order_id, item_id, op_seq,
        work_center_id, machine_id, start, end`` (timestamps), ``qty`` [uom] ..., ``due_date, weight``.

    Returns
    -------
    DataFrame
        Columns ``order_id, item_id, qty`` [uom], ``due_date, weight, completion`` (timestamp of
        the last operation's end), ``lateness`` [h] and ``tardiness`` [h, lateness if positive].
    """
    last = schedule.sort_values("op_seq").groupby("order_id").tail(1)
    out = last[["order_id", "item_id", "qty", "due_date", "weight", "end", "lateness"]].rename(
        columns={"end": "completion"})
    out["tardiness"] = out.lateness.clip(lower=0)
    return out.sort_values("order_id").reset_index(drop=True)


def schedule_kpis(schedule: pd.DataFrame, problem: Problem, info: dict | None = None) -> pd.DataFrame:
    """Key figures of a schedule, one row per figure.

    Parameters
    ----------
    schedule : DataFrame
        The ``schedule`` table (:func:`planlib.schedule.report.to_schedule`): ``order_id, item_id, op_seq,
        work_center_id, machine_id, start, end`` (timestamps), ``qty`` [uom] ... (:func:`to_schedule`).
    problem : Problem
        The problem scheduled (its orders, machines and calendars).
    info : dict, optional
        Solver facts: ``solver_status, objective, bound, gap_pct, seconds, heuristic_objective``.

    Returns
    -------
    DataFrame
        Columns ``kpi, machine_id, value, unit``: ``orders, unscheduled_orders`` (left out for a
        data error, see ``ScheduleResult.exceptions``), ``operations, on_time_pct [%],
        weighted_tardiness [weighted h], late_orders, makespan [h from plan start], setup_hours [h]``,
        ``changeover_hours [h]``, ``utilisation_pct [%]`` per machine (run and setup minutes over working
        minutes up to the makespan), and from ``info``: ``solver_status, objective, bound, gap_pct,
        seconds, heuristic_objective``.
    """
    rows = []

    def add(kpi, value, unit="", machine=""):
        rows.append(dict(kpi=kpi, machine_id=machine, value=value, unit=unit))

    orders = order_summary(schedule) if len(schedule) else pd.DataFrame(columns=["tardiness", "weight"])
    add("orders", len(orders))
    add("unscheduled_orders", len(problem.left_out or []))
    add("operations", len(schedule))
    late = orders.tardiness > 1e-9
    add("on_time_pct", round(100.0 * (1 - late.mean()), 2) if len(orders) else 100.0, "%")
    add("late_orders", int(late.sum()))
    add("weighted_tardiness", round(float((orders.tardiness * orders.weight).sum()), 2), "weighted h")
    t0 = problem.plan_start
    end = (schedule.end.max() - t0).total_seconds() / 60 if len(schedule) else 0.0
    add("makespan", round(end / 60, 2), "h")
    add("setup_hours", round(float((schedule.setup_min + schedule.changeover_min).sum()) / 60, 2), "h")
    add("changeover_hours", round(float(schedule.changeover_min.sum()) / 60, 2), "h")
    busy = (schedule.setup_min + schedule.changeover_min + schedule.run_min).groupby(schedule.machine_id).sum()
    for m, tl in problem.timelines.items():
        avail = tl.work_at(int(end)) if len(tl.a) else 0
        add("utilisation_pct", round(100.0 * float(busy.get(m, 0)) / avail, 2) if avail else 0.0, "%", m)
    for k, v in (info or {}).items():
        add(k, v, "%" if k.endswith("_pct") else "")
    return pd.DataFrame(rows, columns=["kpi", "machine_id", "value", "unit"])


MATERIAL_RESULT_COLUMNS = ["order_id", "item_id", "op_seq", "component_id", "supply_type", "supply_id", "qty",
                           "supply_date", "available_at", "in_schedule"]

LATE_COLUMNS = ["order_id", "item_id", "due_date", "completion", "lateness", "earliest_finish", "cause",
                "reason", "component_id", "supply_id", "available_at", "work_center_id"]


def material_table(problem: Problem, schedule: pd.DataFrame) -> pd.DataFrame:
    """The supply of every consuming operation, as scheduled.

    Parameters
    ----------
    problem : Problem
        The problem scheduled (its material supply per operation).
    schedule : DataFrame
        The ``schedule`` table (:func:`planlib.schedule.report.to_schedule`): ``order_id, item_id, op_seq,
        work_center_id, machine_id, start, end`` (timestamps), ``qty`` [uom] ... (:func:`to_schedule`).

    Returns
    -------
    DataFrame
        Columns ``order_id, item_id, op_seq`` (the consuming operation), ``component_id,
        supply_type`` (``on_hand | purchase_order | planned_purchase | production_order |
        planned_make | none``), ``supply_id, qty`` [component uom], ``supply_date`` (the
        supply's due date), ``available_at`` (timestamp: when the component is there; for a
        make supply in this schedule, that order's scheduled completion), ``in_schedule``
        (the supply is a make order of this schedule).
    """
    mat = problem.material
    if mat is None or mat.empty:
        return pd.DataFrame(columns=MATERIAL_RESULT_COLUMNS)
    out = mat.copy()
    done = schedule.groupby("order_id").end.max() if len(schedule) else pd.Series(dtype="datetime64[ns]")
    linked = (out.supply_op >= 0).to_numpy()
    out["in_schedule"] = linked
    out.loc[linked, "available_at"] = out.supply_id[linked].map(done).to_numpy()
    out["available_at"] = pd.to_datetime(out.available_at)
    return out[MATERIAL_RESULT_COLUMNS].sort_values(["order_id", "component_id", "available_at"]).reset_index(drop=True)


def _when(row) -> str:
    """How a supply is named in a reason."""
    if row.supply_type == "on_hand":
        return f"{row.component_id} on hand"
    if row.supply_type == "none":
        return (f"{row.component_id}: {row.qty:g} short, no supply (assumed after its lead time, "
                f"{row.available_at:%Y-%m-%d})")
    if row.in_schedule:
        return f"{row.component_id} from {row.supply_id} (done {row.available_at:%Y-%m-%d %H:%M})"
    return f"{row.component_id} from {row.supply_id} due {row.available_at:%Y-%m-%d}"


def late_orders(schedule: pd.DataFrame, problem: Problem, material: pd.DataFrame | None = None) -> pd.DataFrame:
    """Late orders with the cause and a reason naming what they wait for.

    An order is late for its release date or its material if even with every machine
    free it could not finish by the due date (its operations back to back from the
    release and from the time its components are there, on the fastest machine's
    calendar); otherwise the machines were busy with other orders (``capacity``), and the
    reason names the work center where the order waited longest. A material reason
    follows the supply through every level: the component whose supply comes last, the
    supplying order and its date, and, if that order is a make order of this schedule
    that itself waited for material or capacity, why, and so on ("material: waits for
    SA-08 from PLN-0000202 (done 2026-11-26 14:00), which waits for RM-11 from PO-40011
    due 2026-11-25").

    Parameters
    ----------
    schedule : DataFrame
        See :func:`to_schedule`.
    problem : Problem
    material : DataFrame, optional
        See :func:`material_table`; built from the problem if not given.

    Returns
    -------
    DataFrame
        ``order_id, item_id, due_date, completion, lateness`` [h], ``earliest_finish``
        (timestamp), ``cause`` (``release date | material | capacity``), ``reason`` (the cause,
        then what the order waits for), ``component_id, supply_id, available_at`` (the
        binding supply of a material cause), ``work_center_id`` (of a capacity cause).
    """
    summary = order_summary(schedule)
    late = summary[summary.tardiness > 1e-9]
    if late.empty:
        return pd.DataFrame(columns=LATE_COLUMNS)
    if material is None:
        material = material_table(problem, schedule)
    ops, alts, tls = problem.ops, problem.alts, problem.timelines
    orders = problem.orders.set_index("order_id")
    o_earliest, o_release, o_due = orders.earliest.to_dict(), orders.release.to_dict(), orders.due.to_dict()
    ops_of = ops.groupby("order_id", sort=False).indices
    alts_of = alts.groupby("op").indices
    amach, asetup, arun = alts.machine_id.to_numpy(), alts.setup_min.to_numpy(), alts.run_min.to_numpy()
    op_earliest, op_status = ops.earliest.to_numpy(), ops.status.to_numpy()
    op_seq_of, op_unbroken = ops.op_seq.to_numpy(), ops.uninterruptible.to_numpy()
    mat_of = {o: g for o, g in material[material.supply_type != "on_hand"].groupby("order_id", sort=False)}
    # each order's operations in op_seq order, as plain rows (one sort, no frame per order)
    srt = schedule.sort_values(["order_id", "op_seq"], kind="stable")
    sched_rows = list(zip(srt.order_id.tolist(), srt.op_seq.tolist(), srt.work_center_id.tolist(),
                          srt.start.tolist(), srt.end.tolist(), srt.earliest_start.tolist()))
    sched_of: dict = {}
    for row in sched_rows:
        sched_of.setdefault(row[0], []).append(row)
    t0 = problem.plan_start
    links_of: dict = {}
    if problem.links is not None and len(problem.links):
        done = schedule.groupby("order_id").end.max()
        order_of = ops.order_id.to_numpy()
        for i, j in zip(problem.links.op, problem.links.supply_op):
            links_of.setdefault(int(i), []).append(problem.minutes(done[order_of[j]]))

    def minutes(ts):
        return int((pd.Timestamp(ts) - t0).total_seconds() // 60)

    def earliest_finish(oid):
        """Operations back to back on the fastest machine from the release and the material."""
        t = int(o_earliest[oid])
        g = sched_of.get(oid)
        for i in ops_of.get(oid, []):
            t = max([t, int(op_earliest[i])] + links_of.get(int(i), []))
            best = None
            for j in alts_of.get(i, []):
                tl, s, p = tls[amach[j]], int(asetup[j]), int(arun[j])
                if op_status[i] != "planned" and g is not None:
                    e = [r[4] for r in g if r[1] == op_seq_of[i]]
                    e = minutes(e[0]) if len(e) else None
                else:
                    w0 = max(tl.work_at(t), s)  # setups may be done before the part arrives
                    if op_unbroken[i]:
                        w0 = tl.fit_unbroken(w0, p)
                    e = None if w0 is None else (tl.start_at(w0) if p == 0 else tl.end_at(w0 + p))
                if e is not None and (best is None or e < best):
                    best = e
            t = best if best is not None else t
        return t

    bindings: dict = {}

    def binding(oid):
        """The supply of ``oid`` that comes last (a row of the material table), or None."""
        if oid not in bindings:
            g = mat_of.get(oid)
            bindings[oid] = None if g is None or g.empty else g.loc[g.available_at.idxmax()]
        return bindings[oid]

    waits: dict = {}

    def waited(oid):
        """``(work_center_id, op_seq, hours)`` of the longest wait for a machine, or None."""
        if oid in waits:
            return waits[oid]
        g = sched_of.get(oid)
        if not g:
            return None
        ready = t0 + pd.Timedelta(minutes=int(o_earliest[oid]))
        b = binding(oid)
        if b is not None and pd.notna(b.available_at):
            ready = max(ready, b.available_at)
        best = None
        for _, op_seq, wc, start, end, earliest_start in g:
            if pd.notna(earliest_start):
                ready = max(ready, earliest_start)
            wait = (start - ready).total_seconds() / 3600
            if wait > 1e-9 and (best is None or wait > best[2]):
                best = (wc, op_seq, wait)
            ready = end
        waits[oid] = best
        return best

    def chain(oid, seen):
        """Why the make order ``oid`` finished when it did, as ``which waits for ...``."""
        if oid in seen or len(seen) > 12:
            return ""
        seen = seen | {oid}
        b = binding(oid)
        if b is not None and oid in o_release and pd.notna(b.available_at) \
                and b.available_at > max(t0, t0 + pd.Timedelta(minutes=int(o_release[oid]))):
            text = ", which waits for " + _when(b)
            if b.in_schedule:
                text += chain(b.supply_id, seen)
            return text
        w = waited(oid)
        if w is not None and w[2] >= 1:
            return f", which waits for capacity at work center {w[0]}"
        return ""

    rows = []
    for r in late.itertuples():
        t = earliest_finish(r.order_id)
        comp = sid = wc = ""
        avail = pd.NaT
        b = binding(r.order_id)
        if t > o_due[r.order_id]:
            if b is not None and pd.notna(b.available_at) and \
                    b.available_at > t0 + pd.Timedelta(minutes=int(o_release[r.order_id])):
                cause = "material"
                comp, sid, avail = b.component_id, b.supply_id, b.available_at
                reason = "material: waits for " + _when(b) + (chain(b.supply_id, {r.order_id}) if b.in_schedule
                                                            else "")
            else:
                cause = "release date"
                rel = orders.loc[r.order_id].release_date
                reason = (f"release date: released {pd.Timestamp(rel):%Y-%m-%d}, due {pd.Timestamp(r.due_date):%Y-%m-%d}: "
                          "too late even on free machines")
        else:
            cause = "capacity"
            w = waited(r.order_id)
            if w is not None:
                wc = w[0]
                reason = (f"capacity at work center {w[0]}: op {w[1]} waited {w[2]:.1f} h for a machine")
            else:
                reason = "capacity: the machines were busy with other orders"
        rows.append((r.order_id, r.item_id, r.due_date, r.completion, r.lateness, problem.timestamp([t])[0],
                     cause, reason, comp, sid, avail, wc))
    return pd.DataFrame(rows, columns=LATE_COLUMNS)


def dispatch_list(schedule: pd.DataFrame, orders: pd.DataFrame | None = None) -> pd.DataFrame:
    """Work tickets per work center and machine, in the order they are to be run.

    Parameters
    ----------
    schedule : DataFrame
        See :func:`to_schedule`.
    orders : DataFrame, optional
        ``order_id, status`` (:attr:`Problem.orders`): ``status`` is then the order's
        (``released``, ``in progress``, ``planned``; ``in progress (running)`` for a running
        operation), see :func:`planlib.schedule.tickets.order_status`. Without it,
        ``status`` is the operation's (``planned`` until it runs, so a released order's
        operations read ``planned``).

    Returns
    -------
    DataFrame
        ``work_center_id, machine_id, seq`` (1, 2, ... per machine), ``order_id, item_id, op_seq,
        qty, setup_start, start, end, setup_min, changeover_min, run_min, due_date, status, late``.
    """
    from planlib.schedule.tickets import order_status

    cols = ["work_center_id", "machine_id", "order_id", "item_id", "op_seq", "qty", "setup_start", "start",
            "end", "setup_min", "changeover_min", "run_min", "due_date", "status"]
    d = schedule.sort_values(["work_center_id", "machine_id", "start"])[cols + ["lateness"]].copy()
    if orders is not None:
        d["status"] = order_status(d, orders)
    d.insert(2, "seq", d.groupby("machine_id").cumcount() + 1)
    d["late"] = d.pop("lateness") > 0
    return d.reset_index(drop=True)


def dispatch_html(dispatch: pd.DataFrame, work_center_id: str, title: str = "", ds=None,
                  orders: pd.DataFrame | None = None, material: pd.DataFrame | None = None,
                  plan_week: str = "", tickets: pd.DataFrame | None = None) -> str:
    """A printable page of one work center's work tickets, one ticket list per day.

    Parameters
    ----------
    dispatch : DataFrame
        The schedule or the dispatch list: The ``schedule`` table (:func:`planlib.schedule.report.to_schedule`): ``order_id, item_id, op_seq,
        work_center_id, machine_id, start, end`` (timestamps), ``qty`` [uom] ...
    work_center_id : str
    title : str
    ds : Dataset, optional
        Item descriptions and units, the work center's description.
    orders : DataFrame, optional
        ``order_id, status`` of the orders scheduled (the order's status on the ticket).
    material : DataFrame, optional
        :func:`material_table` (components to pick, where the parts go).
    plan_week : str
        The ISO week shown, ``2026-W48``.
    tickets : DataFrame, optional
        :func:`planlib.schedule.tickets.work_tickets` of every work center, built once for all
        pages; used as they are.

    Returns
    -------
    str
        The page's HTML (see :func:`planlib.schedule.tickets.tickets_html`).
    """
    from planlib.schedule.tickets import tickets_html, work_tickets

    if orders is None and "status" in dispatch and "late" in dispatch:  # a dispatch list: its status
        orders = dispatch[["order_id", "status"]].drop_duplicates("order_id")  # is the order's
    if tickets is None:
        tickets = work_tickets(dispatch, ds, orders, material)  # all work centers: the next operation
    name = ""
    if ds is not None and ds.has("work_centers"):
        wc = ds.work_centers.set_index("work_center_id")
        if "description" in wc and work_center_id in wc.index and pd.notna(wc.description.get(work_center_id)):
            name = str(wc.description[work_center_id])
    return tickets_html(tickets, work_center_id, plan_week, title, name)


def gantt_chart(schedule: pd.DataFrame, title: str = "Schedule", ds=None):
    """The Gantt chart of a schedule: see :func:`planlib.schedule.gantt.gantt_chart`.

    Parameters
    ----------
    schedule : DataFrame
        The ``schedule`` table (:func:`planlib.schedule.report.to_schedule`): ``order_id, item_id, op_seq,
        work_center_id, machine_id, start, end`` (timestamps), ``qty`` [uom] ...
    title : str
    ds : Dataset, optional
        Item descriptions and the calendar's bands.

    Returns
    -------
    altair.Chart
    """
    from planlib.schedule import gantt

    return gantt.gantt_chart(schedule, ds, title)


SOLVER_KPIS = ("solver_status", "cpsat_status", "objective", "bound", "gap_pct", "seconds", "heuristic_objective",
               "heuristic_seconds", "restricted", "orders_left_out", "method", "bound_source", "windows",
               "windows_improved")


def schedule_figures(kpis: pd.DataFrame) -> pd.DataFrame:
    """The schedule's key figures a planner reads: :func:`schedule_kpis` less the solver's own
    figures, which :func:`planlib.report.how_made` explains.

    Parameters
    ----------
    kpis : DataFrame
        :func:`schedule_kpis`: ``kpi, machine_id, value, unit``.

    Returns
    -------
    DataFrame
        The same columns, the solver's rows left out.
    """
    return kpis[~kpis.kpi.isin(SOLVER_KPIS)].reset_index(drop=True)


def late_operations(schedule: pd.DataFrame, items: pd.DataFrame | None = None) -> pd.DataFrame:
    """The operations that end after their order's due date, latest first.

    Parameters
    ----------
    schedule : DataFrame
        The ``schedule`` table (:func:`planlib.schedule.report.to_schedule`): ``order_id, item_id, op_seq,
        work_center_id, machine_id, start, end`` (timestamps), ``qty`` [uom] ..., ``due_date``.
    items : DataFrame, optional
        ``items``: ``item_id, description``.

    Returns
    -------
    DataFrame
        Columns ``order_id, item_id, description, op_seq, work_center_id, machine_id, start,
        end`` (timestamps), ``due_date, late_hours`` [h].
    """
    cols = ["order_id", "item_id", "description", "op_seq", "work_center_id", "machine_id", "start", "end",
            "due_date", "late_hours"]
    s = schedule[schedule.lateness.astype(float) > 1e-9]
    desc = items.set_index("item_id").description if items is not None and "description" in items else pd.Series(
        dtype=object)
    out = s.assign(description=s.item_id.map(desc).fillna(""), late_hours=s.lateness.astype(float).round(1))
    return out.sort_values(["late_hours", "order_id"], ascending=[False, True])[cols].reset_index(drop=True)


def dispatch_page_name(work_center_id) -> str:
    """File name of a work center's work tickets page: ``dispatch_<work center>.html``, the
    name made safe for a file."""
    import re

    return "dispatch_" + (re.sub(r"[^A-Za-z0-9_.-]", "_", str(work_center_id)).lstrip(".") or "_") + ".html"


def page_links(work_centers, folder: str = "schedule") -> str:
    """HTML links to the schedule's pages of a run (relative to the run folder): the Gantt
    chart and the work tickets of each work center (names as :func:`planlib.pipeline.schedule_pages`
    writes them)."""
    from urllib.parse import quote

    links = [f'<a href="{quote(folder)}/gantt.html">Gantt chart (full page)</a>']
    for wc in sorted({str(w) for w in work_centers}):
        links.append(f'<a href="{quote(folder)}/{quote(dispatch_page_name(wc))}">{html.escape(wc)}</a>')
    return ("<p>" + links[0] + "</p><p>Work tickets to print, one page per work center and day: "
            + " &middot; ".join(links[1:]) + "</p>")
