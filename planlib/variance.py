"""Scrap, materials used and cost variance of one week, against the plan's standards.

Standards are those the plan itself uses: ``items.scrap_pct`` (planned yield loss), ``bom.qty_per``
and ``bom.scrap_pct`` (component use, as MRP explodes it), ``routings`` (setup and run minutes,
crew), ``machines.speed_factor``, and the prices ``items.unit_cost``,
``work_centers.labour_cost_per_hour`` and ``work_centers.cost_per_hour``. The data hold no actual
prices: actual cost is the actual quantity or hours at the standard price, so every variance here
is a usage (quantity, efficiency) variance; there is no price or rate variance to compute.
Guide: docs/follow-up.md; words: docs/glossary.md.

Conventions
-----------
- ``week`` is the reported week; its records are those dated Monday to Sunday of it
  (``production_reports.report_date``, ``material_issues.issue_date``).
- A variance is actual less standard: positive is unfavourable (more used or spent than the
  standard), negative favourable.
- Material standard of an order and component: ``qty_per * (1 + bom.scrap_pct / 100) *
  qty_started``, ``qty_started`` the good plus scrap units reported in the week on the first
  operation of the item's routing (the units that entered production and drew components). Units
  scrapped at a later operation used their components as planned: their loss shows in
  :func:`scrap` and in the labour and machine hours, not here. The BOM line in effect on the week's
  Monday counts.
- Labour and machine standard hours are the hours *earned* by the good units of each operation:
  ``qty_good * run_min_per_unit / speed_factor / 60``, plus the routing ``setup_min / 60`` once, on
  the report that starts the operation (its first report falls in the week). Labour hours are
  machine hours times ``crew_size``. Actual labour hours are ``labour_hours`` booked; actual
  machine hours are ``end - start`` less ``downtime_min`` (setup included); a report without
  ``start`` or ``end`` counts its standard hours as actual.

References
----------
Horngren, Datar, Rajan, *Cost Accounting: A Managerial Emphasis*, ch. 7 "Flexible Budgets,
Direct-Cost Variances, and Management Control" (efficiency variance = (actual quantity - standard
quantity allowed for actual output) x standard price); page not verified.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from planlib.attainment import NO_REASON, Attainment, _order_items, pareto, week_bounds, week_reports
from planlib.dataset import Dataset

__all__ = ["COST_TYPES", "CostVariance", "Scrap", "costs", "headlines", "materials", "scrap"]

COST_TYPES = ("material", "labour", "machine")


@dataclass(frozen=True)
class Scrap:
    """What :func:`scrap` returns.

    Attributes
    ----------
    by_item, by_reason, downtime_by_reason, orders : DataFrame
        See :func:`scrap`.
    week : str
    """

    by_item: pd.DataFrame
    by_reason: pd.DataFrame
    downtime_by_reason: pd.DataFrame
    orders: pd.DataFrame
    week: str

    def tables(self) -> dict[str, pd.DataFrame]:
        """The tables by name (``scrap_by_item``, ``scrap_by_reason``, ``downtime_by_reason``, ``scrap_orders``)."""
        return {"scrap_by_item": self.by_item, "scrap_by_reason": self.by_reason,
                "downtime_by_reason": self.downtime_by_reason, "scrap_orders": self.orders}


@dataclass(frozen=True)
class CostVariance:
    """What :func:`costs` returns.

    Attributes
    ----------
    by_order, by_week : DataFrame
        See :func:`costs`.
    week : str
    """

    by_order: pd.DataFrame
    by_week: pd.DataFrame
    week: str

    def tables(self) -> dict[str, pd.DataFrame]:
        """The tables by name (``cost_variance_by_order``, ``cost_variance_by_week``)."""
        return {"cost_variance_by_order": self.by_order, "cost_variance_by_week": self.by_week}


def _num(x: float) -> str:
    """A quantity as a person reads it: 12, 12.5, 1,250."""
    x = float(x)
    return f"{x:,.0f}" if abs(x - round(x)) < 0.05 else f"{x:,.1f}"


def _compound_scrap_pct(frame: pd.DataFrame, by: str) -> pd.Series:
    """Yield loss over the operations reported: ``100 * (1 - prod(good / (good + scrap)))`` per ``by``."""
    op = frame.groupby([by, "op_seq"])[["qty_good", "qty_scrap"]].sum()
    tot = op.qty_good + op.qty_scrap
    keep = op[tot > 0]
    ratio = (keep.qty_good / (keep.qty_good + keep.qty_scrap)).groupby(level=0).prod()
    return 100.0 * (1.0 - ratio)


# --------------------------------------------------------------------------- scrap

def scrap(ds: Dataset, week: str, order_items: pd.DataFrame | None = None) -> Scrap:
    """Scrap rate per item against the planned ``scrap_pct``, scrap and downtime by reason, orders hit.

    Parameters
    ----------
    ds : Dataset
        Uses ``production_reports, scheduled_receipts, items, routings, machines``.
    week : str
        The reported week, ``2026-W48``.
    order_items : DataFrame, optional
        ``order_id, item_id`` of orders closed before the snapshot (no longer in
        ``scheduled_receipts``), e.g. the published schedule; without it their item reads empty.

    Returns
    -------
    Scrap
        ``by_item``: ``item_id, qty_scrap`` [uom, every operation], ``scrap_pct`` [%, the yield
        loss over the operations reported: 100 x (1 - product over operations of good / (good +
        scrap))], ``planned_scrap_pct`` [%, ``items.scrap_pct``], ``scrap_over_plan_pct``
        [percentage points, actual less planned], ``scrap_value`` [currency, scrap at the item's
        ``unit_cost``: an upper bound, a unit scrapped early carries less cost], ``orders``
        [count], sorted by value.

        ``by_reason``: ``scrap_reason, qty_scrap`` [uom], ``share_pct, cumulative_pct`` [% of the
        week's scrap units: the Pareto], ``scrap_value`` [currency].

        ``downtime_by_reason``: ``downtime_reason, downtime_min`` [min], ``share_pct,
        cumulative_pct`` [%].

        ``orders``: orders with scrap or downtime in the week: ``order_id, item_id, qty_good``
        [uom, good units reported in the week on the order's furthest operation reported that
        week], ``qty_scrap`` [uom], ``scrap_pct`` [%], ``scrap_reasons`` (text, ``"porosity
        4, setup 1"``), ``downtime_min`` [min], ``downtime_reasons`` (text), sorted by scrap value.
    """
    rep = week_reports(ds, week, order_items)
    rep = rep.assign(qty_good=rep.qty_good.fillna(0.0), qty_scrap=rep.qty_scrap.fillna(0.0),
                     downtime_min=rep.downtime_min.fillna(0.0),
                     scrap_reason=rep.scrap_reason.fillna("").replace("", NO_REASON),
                     downtime_reason=rep.downtime_reason.fillna("").replace("", NO_REASON))
    items = ds.items.set_index("item_id")
    rep["unit_cost"] = rep.item_id.map(items.unit_cost).fillna(0.0).astype(float)
    rep["scrap_value"] = rep.qty_scrap * rep.unit_cost

    g = rep.groupby("item_id").agg(qty_scrap=("qty_scrap", "sum"), scrap_value=("scrap_value", "sum"),
                                   orders=("order_id", "nunique"))
    g["scrap_pct"] = _compound_scrap_pct(rep, "item_id").reindex(g.index).fillna(0.0)
    g["planned_scrap_pct"] = items.scrap_pct.reindex(g.index).fillna(0.0).astype(float)
    g["scrap_over_plan_pct"] = g.scrap_pct - g.planned_scrap_pct
    by_item = (g.reset_index()[["item_id", "qty_scrap", "scrap_pct", "planned_scrap_pct", "scrap_over_plan_pct",
                                "scrap_value", "orders"]]
               .sort_values(["scrap_value", "scrap_over_plan_pct", "item_id"], ascending=[False, False, True],
                            kind="stable").reset_index(drop=True))

    by_reason = pareto(rep, ["scrap_reason"], "qty_scrap")
    value = rep.groupby("scrap_reason").scrap_value.sum()
    by_reason["scrap_value"] = by_reason.scrap_reason.map(value).fillna(0.0)
    downtime = pareto(rep, ["downtime_reason"], "downtime_min")

    hit = rep[(rep.qty_scrap > 0) | (rep.downtime_min > 0)]
    rows = []
    for oid, g in rep[rep.order_id.isin(set(hit.order_id))].groupby("order_id", sort=True):
        last = g[g.op_seq == g.op_seq.max()]
        s = g[g.qty_scrap > 0].groupby("scrap_reason").qty_scrap.sum().sort_values(ascending=False)
        d = g[g.downtime_min > 0].groupby("downtime_reason").downtime_min.sum().sort_values(ascending=False)
        rows.append(dict(order_id=oid, item_id=g.item_id.iloc[0], qty_good=float(last.qty_good.sum()),
                         qty_scrap=float(g.qty_scrap.sum()), scrap_value=float(g.scrap_value.sum()),
                         scrap_reasons=", ".join(f"{r} {_num(q)}" for r, q in s.items()),
                         downtime_min=float(g.downtime_min.sum()),
                         downtime_reasons=", ".join(f"{r} {_num(q)} min" for r, q in d.items())))
    orders = pd.DataFrame(rows, columns=["order_id", "item_id", "qty_good", "qty_scrap", "scrap_value",
                                         "scrap_reasons", "downtime_min", "downtime_reasons"])
    pct = _compound_scrap_pct(rep, "order_id")
    orders.insert(4, "scrap_pct", orders.order_id.map(pct).fillna(0.0).astype(float))
    orders = orders.sort_values(["scrap_value", "qty_scrap", "downtime_min", "order_id"],
                                ascending=[False, False, False, True], kind="stable").drop(columns="scrap_value")
    return Scrap(by_item, by_reason, downtime, orders.reset_index(drop=True), week)


# --------------------------------------------------------------------------- materials

def _bom_in_effect(ds: Dataset, day: pd.Timestamp) -> pd.DataFrame:
    bom = ds.bom
    vf, vt = pd.to_datetime(bom.valid_from), pd.to_datetime(bom.valid_to)
    ok = (vf.isna() | (vf <= day)) & (vt.isna() | (vt > day))
    return bom[ok]


def materials(ds: Dataset, week: str, order_items: pd.DataFrame | None = None) -> pd.DataFrame:
    """Components issued to each production order in the week against the standard for what it started.

    Parameters
    ----------
    ds : Dataset
        Uses ``material_issues, production_reports, scheduled_receipts, bom, items, routings``.
    week : str
        The reported week, ``2026-W48``.
    order_items : DataFrame, optional
        ``order_id, item_id`` of orders closed before the snapshot (see :func:`scrap`).

    Returns
    -------
    DataFrame
        One row per order and component (its BOM lines and whatever was issued to it):
        ``order_id, item_id`` (made), ``component_id, qty_started`` [uom of the item, good + scrap
        on its first routing operation in the week], ``qty_per`` [component uom per unit],
        ``bom_scrap_pct`` [%], ``standard_qty`` [component uom, ``qty_per * (1 + bom_scrap_pct /
        100) * qty_started``], ``issued_qty`` [component uom, issues less returns dated in the
        week], ``variance_qty`` [issued less standard; > 0 more used], ``unit_cost`` [currency /
        component uom], ``standard_value, issued_value, variance_value`` [currency], ``note``
        (``"not in the bill of materials"`` for a component issued without a BOM line), sorted by
        order and component.
    """
    cols = ["order_id", "item_id", "component_id", "qty_started", "qty_per", "bom_scrap_pct", "standard_qty",
            "issued_qty", "variance_qty", "unit_cost", "standard_value", "issued_value", "variance_value", "note"]
    start, end = week_bounds(week)
    rep = week_reports(ds, week, order_items)
    first_op = ds.routings.groupby("item_id").op_seq.min()
    rep = rep[rep.op_seq == rep.item_id.map(first_op)]
    started = (rep.qty_good.fillna(0.0) + rep.qty_scrap.fillna(0.0)).groupby(rep.order_id).sum()
    iss = ds.material_issues
    iss = iss[(pd.to_datetime(iss.issue_date) >= start) & (pd.to_datetime(iss.issue_date) < end)]
    issued = iss.groupby(["order_id", "item_id"]).qty.sum()
    order_item = _order_items(ds, order_items)
    orders = sorted(set(started.index) | set(iss.order_id))
    if not orders:
        text = ("order_id", "item_id", "component_id", "note")
        return pd.DataFrame({c: pd.Series(dtype=object if c in text else float) for c in cols})
    bom = _bom_in_effect(ds, start)
    lines = {p: g for p, g in bom.groupby("parent_id")}
    cost = ds.items.set_index("item_id").unit_cost
    rows = []
    for oid in orders:
        item = order_item.get(oid, "")
        item = "" if pd.isna(item) else item
        qs = float(started.get(oid, 0.0))
        comps = {}
        g = lines.get(item)
        if g is not None:
            for c, qp, sp in zip(g.component_id, g.qty_per, g.scrap_pct.fillna(0.0)):
                comps[c] = (float(qp), float(sp))
        got = issued.loc[oid] if oid in issued.index.get_level_values(0) else pd.Series(dtype=float)
        for c in sorted(set(comps) | set(got.index)):
            qp, sp = comps.get(c, (0.0, 0.0))
            std = qp * (1.0 + sp / 100.0) * qs
            act = float(got.get(c, 0.0))
            uc = float(cost.get(c, 0.0)) if not pd.isna(cost.get(c, 0.0)) else 0.0
            rows.append(dict(order_id=oid, item_id=item, component_id=c, qty_started=qs, qty_per=qp, bom_scrap_pct=sp,
                             standard_qty=std, issued_qty=act, variance_qty=act - std, unit_cost=uc,
                             standard_value=std * uc, issued_value=act * uc, variance_value=(act - std) * uc,
                             note="" if c in comps else "not in the bill of materials"))
    return pd.DataFrame(rows, columns=cols)


# --------------------------------------------------------------------------- costs

def _hours(rep: pd.DataFrame, ds: Dataset) -> pd.DataFrame:
    """Per report: standard and actual machine and labour hours and their cost."""
    wc = ds.work_centers.set_index("work_center_id")
    good = rep.qty_good.fillna(0.0)
    setup_h = np.where(rep.first_in_week, rep.setup_min / 60.0, 0.0)
    std_m = (good * rep.run_min_per_unit.fillna(0.0) / rep.speed_factor / 60.0 + setup_h)
    timed = rep.elapsed_h > 0
    act_m = np.where(timed, rep.machine_h, std_m)
    out = pd.DataFrame({
        "order_id": rep.order_id, "item_id": rep.item_id, "work_center_id": rep.work_center_id,
        "std_machine_h": std_m, "act_machine_h": act_m,
        "std_labour_h": std_m * rep.crew_size, "act_labour_h": rep.labour_hours.fillna(0.0),
        "run_h": rep.run_h, "standard_run_h": rep.standard_run_h.fillna(0.0),
    })
    mrate = rep.work_center_id.map(wc.cost_per_hour).fillna(0.0).astype(float)
    lrate = rep.work_center_id.map(wc.labour_cost_per_hour).fillna(0.0).astype(float)
    out["std_machine"], out["act_machine"] = out.std_machine_h * mrate, out.act_machine_h * mrate
    out["std_labour"], out["act_labour"] = out.std_labour_h * lrate, out.act_labour_h * lrate
    return out


def _hours_driver(kind: str, h: pd.DataFrame) -> str:
    """'labour: 6.5 h more than standard at ASSY (rate 82 %)' for the work center with the largest variance."""
    if not len(h):
        return ""
    g = h.groupby("work_center_id")[[f"std_{kind}_h", f"act_{kind}_h", f"std_{kind}", f"act_{kind}",
                                     "run_h", "standard_run_h"]].sum()
    var = g[f"act_{kind}"] - g[f"std_{kind}"]
    hv = g[f"act_{kind}_h"] - g[f"std_{kind}_h"]
    if (var.abs() < 0.005).all() and (hv.abs() < 0.05).all():
        return f"{kind}: at standard"
    w = (var.abs() + 1e-9 * hv.abs()).idxmax()
    d = float(hv[w])
    words = f"{kind}: {abs(d):,.1f} h {'more' if d > 0 else 'less'} than standard at {w}"
    if g.run_h[w] > 0 and g.standard_run_h[w] > 0:
        words += f" (rate {100.0 * g.standard_run_h[w] / g.run_h[w]:.0f} %)"
    return words


def _material_driver(m: pd.DataFrame) -> str:
    """'material: 12 more RM-03 than standard (+34.20)' for the component with the largest variance value."""
    if not len(m):
        return ""
    g = m.groupby("component_id")[["variance_qty", "variance_value"]].sum()
    if (g.variance_qty.abs() < 1e-9).all():
        return "material: at standard"
    c = (g.variance_value.abs() + 1e-9 * g.variance_qty.abs()).idxmax()
    q, v = float(g.variance_qty[c]), float(g.variance_value[c])
    note = " (not in the bill of materials)" if (m[m.component_id == c].note != "").any() else ""
    return f"material: {_num(abs(q))} {'more' if q > 0 else 'less'} {c} than standard ({v:+,.2f}){note}"


def costs(ds: Dataset, week: str, order_items: pd.DataFrame | None = None) -> CostVariance:
    """Material, labour and machine cost against standard, per order and for the week, with the main driver.

    Parameters
    ----------
    ds : Dataset
        Uses ``production_reports, material_issues, scheduled_receipts, items, bom, routings,
        machines, work_centers``.
    week : str
        The reported week, ``2026-W48``.
    order_items : DataFrame, optional
        ``order_id, item_id`` of orders closed before the snapshot (see :func:`scrap`).

    Returns
    -------
    CostVariance
        ``by_order``: one row per order and cost type: ``order_id, item_id, cost_type``
        (``material|labour|machine``), ``standard, actual, variance`` [currency; variance = actual
        - standard, > 0 unfavourable], ``standard_hours, actual_hours`` [h; empty for material],
        ``driver`` (the main cause in words: ``"labour: 6.5 h more than standard at ASSY (rate 82
        %)"``, ``"material: 12 more RM-03 than standard (+34.20)"``). Material is
        :func:`materials` valued at ``unit_cost``; labour is labour hours at the work center's
        ``labour_cost_per_hour``; machine is machine hours at its ``cost_per_hour``; all at
        standard prices (the data hold no actual prices).

        ``by_week``: ``week, cost_type, standard, actual, variance`` [currency], ``standard_hours,
        actual_hours`` [h], ``driver`` (over all orders), the sums of ``by_order``.
    """
    cols = ["order_id", "item_id", "cost_type", "standard", "actual", "variance", "standard_hours", "actual_hours",
            "driver"]
    rep = week_reports(ds, week, order_items)
    h = _hours(rep, ds)
    m = materials(ds, week, order_items)
    order_item = _order_items(ds, order_items)
    orders = sorted(set(h.order_id) | set(m.order_id))
    mg = {o: g for o, g in m.groupby("order_id")}
    hg = {o: g for o, g in h.groupby("order_id")}
    empty_h, empty_m = h.iloc[0:0], m.iloc[0:0]
    rows = []

    def add(key: dict, mm: pd.DataFrame, hh: pd.DataFrame) -> None:
        rows.append(dict(key, cost_type="material", standard=float(mm.standard_value.sum()),
                         actual=float(mm.issued_value.sum()), standard_hours=np.nan, actual_hours=np.nan,
                         driver=_material_driver(mm)))
        for kind in ("labour", "machine"):
            rows.append(dict(key, cost_type=kind, standard=float(hh[f"std_{kind}"].sum()),
                             actual=float(hh[f"act_{kind}"].sum()),
                             standard_hours=float(hh[f"std_{kind}_h"].sum()),
                             actual_hours=float(hh[f"act_{kind}_h"].sum()), driver=_hours_driver(kind, hh)))

    for oid in orders:
        item = order_item.get(oid, "")
        add(dict(order_id=oid, item_id="" if pd.isna(item) else item), mg.get(oid, empty_m), hg.get(oid, empty_h))
    by_order = pd.DataFrame(rows, columns=[c for c in cols if c != "variance"])
    by_order = by_order.astype({c: float for c in ("standard", "actual", "standard_hours", "actual_hours")})
    by_order.insert(5, "variance", by_order.actual - by_order.standard)
    rows = []
    add(dict(week=week), m, h)
    by_week = pd.DataFrame(rows)
    by_week.insert(4, "variance", by_week.actual - by_week.standard)
    by_week = by_week[["week", "cost_type", "standard", "actual", "variance", "standard_hours", "actual_hours",
                       "driver"]]
    return CostVariance(by_order[cols], by_week, week)


# --------------------------------------------------------------------------- headlines

def headlines(att: Attainment, scrap_: Scrap, costs_: CostVariance) -> pd.DataFrame:
    """The week's follow-up in a few figures and lines, for the top of a plant manager's page.

    Parameters
    ----------
    att : Attainment
        :func:`planlib.attainment.attainment` of the week.
    scrap_ : Scrap
        :func:`scrap` of the week.
    costs_ : CostVariance
        :func:`costs` of the week.

    Returns
    -------
    DataFrame
        One row per headline: ``kpi`` (``ops_attainment_pct, qty_attainment_pct, orders_late,
        slowest_rate_pct, scrap_pct, downtime_h, cost_variance``), ``value`` (number; NaN when there is
        nothing to measure) and ``text`` (the line a person reads, e.g. ``"Schedule attainment
        2026-W48: 62 % of 69 operations done, 71 % of the quantity (the schedule published for
        2026-W48)"``).
    """
    rows = []
    wc = att.by_work_center
    planned, done = int(wc.ops_planned.sum()), int(wc.ops_done.sum())
    qp = float(wc.qty_planned.sum())
    capped = float((wc.qty_attainment_pct.fillna(0.0) * wc.qty_planned / 100.0).sum())
    ops_pct = 100.0 * done / planned if planned else np.nan
    qty_pct = 100.0 * capped / qp if qp > 0 else np.nan
    rows.append(("ops_attainment_pct", ops_pct,
                 f"Schedule attainment {att.week}: {ops_pct:.0f} % of {planned} operations done, {qty_pct:.0f} % of "
                 f"the quantity ({att.basis})" if planned else
                 f"Schedule attainment {att.week}: no operation was planned to finish ({att.basis})"))
    rows.append(("qty_attainment_pct", qty_pct, f"Good quantity: {qty_pct:.0f} % of the quantity planned"
                 if qp > 0 else "Good quantity: nothing planned"))
    late = att.by_order[att.by_order.late]
    rows.append(("orders_late", float(len(late)),
                 f"{len(late)} of {len(att.by_order)} orders behind schedule"
                 + (f": {', '.join(late.order_id.head(3))}" + (" ..." if len(late) > 3 else "") if len(late) else "")))
    r = att.rates.dropna(subset=["rate_pct"])
    if len(r):
        g = r.groupby("work_center_id")[["standard_hours", "run_hours"]].sum()
        g = g[g.run_hours > 0]
        pct = 100.0 * g.standard_hours / g.run_hours
        w = pct.idxmin()
        rows.append(("slowest_rate_pct", float(pct[w]), f"Slowest work center: {w} at {pct[w]:.0f} % of the "
                                                         f"routing's rate"))
    else:
        rows.append(("slowest_rate_pct", np.nan, "Production rates: no timed reports"))
    items = scrap_.by_item
    top = scrap_.by_reason.iloc[0] if len(scrap_.by_reason) else None
    worst = items.sort_values("scrap_over_plan_pct", ascending=False).iloc[0] if len(items) else None
    text = "Scrap: none reported"
    value = np.nan
    if worst is not None and items.qty_scrap.sum() > 0:
        value = float(worst.scrap_pct)
        text = (f"Scrap: worst {worst.item_id} at {worst.scrap_pct:.1f} % against {worst.planned_scrap_pct:.1f} % "
                f"planned; value {items.scrap_value.sum():,.0f}")
        if top is not None:
            text += f"; top reason {top.scrap_reason} ({top.share_pct:.0f} % of the units)"
    rows.append(("scrap_pct", value, text))
    d = att.downtime
    mins = float(d.downtime_min.sum()) if len(d) else 0.0
    rows.append(("downtime_h", mins / 60.0, f"Downtime {mins / 60.0:,.1f} h" + (
        f"; most: {d.work_center_id.iloc[0]} {d.downtime_reason.iloc[0]} ({d.downtime_min.iloc[0]:,.0f} min)"
        if len(d) else "")))
    w = costs_.by_week.set_index("cost_type")
    total = float(w.variance.sum())
    parts = ", ".join(f"{k} {w.variance[k]:+,.0f}" for k in COST_TYPES)
    main = w.variance.abs().idxmax() if len(w) and w.variance.abs().max() > 0 else None
    rows.append(("cost_variance", total, f"Cost against standard: {total:+,.0f} ({parts})"
                 + (f"; main driver {w.driver[main]}" if main else "")))
    return pd.DataFrame(rows, columns=["kpi", "value", "text"])
