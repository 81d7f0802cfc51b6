"""Plan comparisons: a scenario against the base plan of its week, and this week's plan against last week's.

Two questions, one module:

* **Scenario against base** (same week, same order numbers where the data are the same):
  :func:`compare_kpis` sets KPIs side by side and :func:`judge_kpis` says better or worse;
  :func:`compare_order_status` lists the orders a scenario makes late or on time;
  :func:`compare_load` the work centers whose load changes; :func:`compare_item_orders`
  planned orders per item. :func:`compare_plans` gathers them in a :class:`PlanComparison`
  and :func:`comparison_html` shows it (scenario editor and weekly report alike).
* **Week over week** (the weekly report's "what changed"): MRP renumbers its planned orders
  in every run, so comparing by ``order_id`` would report every order as cancelled and new.
  :func:`order_identity` pairs last week's orders with this week's (released and firm orders by
  id, planned orders by item, order type and due date, then the closest due date within a
  tolerance); :func:`compare_orders` reports what changed in the pairs and what is left over,
  ranked by value; :func:`compare_schedule` follows a renumbered order to its new number.
  :func:`changes_view`, :func:`schedule_changes_view` and :func:`summarize_changes` word them.
  KPIs week over week are :func:`compare_kpis` too (last week as ``base``).

A scenario plan is compared by id and per item, not by order identity: both plans start from the
same open orders in the same week, and the question is which orders become late (by id) and how
much each item's planned supply moves (per item), not which planned order became which.

Units: ``*_days_late`` and ``days_change`` in days, ``*_hours`` in hours, ``*_pct`` in percent
(0-100), quantities in the item's unit of measure (``uom``), ``value`` in currency.
Vocabulary: ``docs/glossary.md``.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = ["CHANGE_WORDS", "KPI_BETTER", "KPI_KEYS", "ORDER_CHANGES", "STATUS_CHANGES", "PlanComparison",
           "changes_view", "compare_item_orders", "compare_kpis", "compare_load", "compare_order_status",
           "compare_orders", "compare_plans", "compare_schedule", "comparison_html", "customer_orders_served",
           "judge_kpis", "order_identity", "schedule_changes_view", "summarize_changes"]


#: Columns that tell KPI rows apart besides ``kpi`` (a KPI per machine, per work center ...).
KPI_KEYS = ("machine_id", "work_center_id", "item_id", "supplier_id", "family", "period", "period_start")


def compare_kpis(base: pd.DataFrame, scenario: pd.DataFrame) -> pd.DataFrame:
    """Base and scenario KPIs side by side.

    Parameters
    ----------
    base, scenario : DataFrame
        KPI tables: ``kpi, value`` and optionally ``unit``, ``label`` and key
        columns (:data:`KPI_KEYS`: ``machine_id`` ...). Rows match on ``kpi`` and
        the key columns both tables have; other columns (``good`` ...) are dropped.

    Returns
    -------
    DataFrame
        ``kpi`` [, key columns] [, ``label``], ``base, scenario`` (the values;
        empty where a KPI is in one table only), ``delta`` (scenario - base) and
        ``delta_pct`` (100 * delta / |base|; empty for base 0 or text values)
        [, ``unit``]. Base order first, then KPIs only the scenario has.
    """
    keys = ["kpi"] + [c for c in KPI_KEYS if c in base.columns and c in scenario.columns]
    extra = [c for c in ("label", "unit") if c in base.columns or c in scenario.columns]
    b = base.assign(_o=np.arange(len(base)))
    s = scenario.assign(_o=len(base) + np.arange(len(scenario)))
    b_cols = keys + ["value", "_o"] + [c for c in extra if c in b.columns]
    s_cols = keys + ["value", "_o"] + [c for c in extra if c in s.columns]
    out = b[b_cols].rename(columns={"value": "base"}).merge(
        s[s_cols].rename(columns={"value": "scenario"}), on=keys, how="outer", sort=False, suffixes=("", "_s"))
    out["_o"] = out["_o"].fillna(out.pop("_o_s"))
    for c in extra:
        if c + "_s" in out:
            mine = out[c] if c in out else pd.Series(np.nan, index=out.index, dtype=object)
            out[c] = mine.where(mine.notna() & (mine.astype(str) != ""), out.pop(c + "_s"))
        out[c] = out[c].fillna("")
    bv = pd.to_numeric(out.base, errors="coerce")
    sv = pd.to_numeric(out.scenario, errors="coerce")
    numeric = out.base.map(_is_number) & out.scenario.map(_is_number)
    out["delta"] = (sv - bv).where(numeric)
    out["delta_pct"] = (100.0 * out.delta / bv.abs()).where(numeric & (bv != 0))
    cols = keys + (["label"] if "label" in extra else []) + ["base", "scenario", "delta", "delta_pct"] + (
        ["unit"] if "unit" in extra else [])
    return out.sort_values("_o", kind="stable")[cols].reset_index(drop=True)


def compare_item_orders(base: pd.DataFrame, scenario: pd.DataFrame) -> pd.DataFrame:
    """Planned orders per item, base against scenario, biggest changes first.

    Per item rather than per order (as :func:`compare_orders` does week over week): a scenario
    asks how much each item's planned supply grows, shrinks or moves, and its planned orders are
    renumbered, so totals per item say it without pairing orders.

    Parameters
    ----------
    base, scenario : DataFrame
        MRP ``planned_orders``: ``item_id, qty, release_date, due_date`` [uom, dates].

    Returns
    -------
    DataFrame
        One row per item with planned orders in either plan: ``item_id,
        base_orders, scenario_orders`` (counts), ``base_qty, scenario_qty,
        delta_qty`` [uom], ``base_first_release, scenario_first_release``
        (earliest release date; earlier in the scenario = pulled in), sorted by
        ``|delta_qty|`` then order count change, largest first; items whose
        orders are the same in both are left out.
    """
    def per_item(po: pd.DataFrame, tag: str) -> pd.DataFrame:
        g = po.groupby("item_id", sort=False)
        return pd.DataFrame({f"{tag}_orders": g.size(), f"{tag}_qty": g.qty.sum(),
                             f"{tag}_first_release": g.release_date.min()})

    out = per_item(base, "base").join(per_item(scenario, "scenario"), how="outer")
    for tag in ("base", "scenario"):
        out[f"{tag}_orders"] = out[f"{tag}_orders"].fillna(0).astype(int)
        out[f"{tag}_qty"] = out[f"{tag}_qty"].fillna(0.0)
    out["delta_qty"] = out.scenario_qty - out.base_qty
    same = ((out.delta_qty.abs() < 1e-9) & (out.base_orders == out.scenario_orders)
            & (out.base_first_release.eq(out.scenario_first_release)
               | (out.base_first_release.isna() & out.scenario_first_release.isna())))
    out = out[~same].reset_index(names="item_id")
    key = out.delta_qty.abs() + 1e-6 * (out.scenario_orders - out.base_orders).abs()
    out = out.iloc[np.argsort(-key.to_numpy(), kind="stable")].reset_index(drop=True)
    return out[["item_id", "base_orders", "scenario_orders", "base_qty", "scenario_qty", "delta_qty",
                "base_first_release", "scenario_first_release"]]


def _is_number(v) -> bool:
    if isinstance(v, (bool, np.bool_)) or v is None:
        return False
    if isinstance(v, (int, float, np.integer, np.floating)):
        return bool(np.isfinite(v))
    return False


#: Which way a KPI is better: +1 higher, -1 lower; KPIs not listed carry no judgment.
KPI_BETTER = {"on_time_pct": 1, "late_orders": -1, "late_order_lines": -1, "unscheduled_orders": -1,
              "weighted_tardiness": -1, "shortages": -1, "exceptions": -1, "overloaded_work_centers": -1,
              "peak_utilisation_pct": -1, "plan_cost": -1, "forecast_wape_pct": -1}

#: The order status changes :func:`compare_order_status` reports, in the order they are listed.
STATUS_CHANGES = ("became late", "now on time", "late by more", "late by less")


def judge_kpis(comparison: pd.DataFrame) -> pd.Series:
    """Whether each KPI is better or worse in the scenario (:data:`KPI_BETTER` says which way is better).

    Parameters
    ----------
    comparison : DataFrame
        :func:`compare_kpis` output: ``kpi, delta`` (scenario - base) at least.

    Returns
    -------
    Series
        ``judgment`` per row (same index): ``better``, ``worse``, ``same`` (``|delta|`` below
        1e-9), or "" for a KPI without a rule or a value that is not a number.
    """
    sign = comparison.kpi.map(KPI_BETTER)
    delta = pd.to_numeric(comparison.delta, errors="coerce")
    out = np.where(sign.isna() | delta.isna(), "",
                   np.where(delta.abs() < 1e-9, "same", np.where(delta * sign > 0, "better", "worse")))
    return pd.Series(out, index=comparison.index, name="judgment")


def _late_production(late: pd.DataFrame | None) -> pd.DataFrame:
    cols = ["order_id", "item_id", "due_date", "days_late", "reason"]
    if late is None or not len(late):
        return pd.DataFrame(columns=cols)
    hours = pd.to_numeric(late.get("lateness", pd.Series(np.nan, index=late.index)), errors="coerce")
    return pd.DataFrame({"order_id": late.order_id.astype(str), "item_id": late.item_id.astype(str),
                         "due_date": pd.to_datetime(late.get("due_date")), "days_late": hours / 24.0,
                         "reason": late.get("reason", pd.Series("", index=late.index)).fillna("").astype(str)})


def _late_lines(promise_dates: pd.DataFrame | None) -> pd.DataFrame:
    cols = ["order_id", "item_id", "customer_id", "due_date", "days_late", "reason"]
    if promise_dates is None or not len(promise_dates):
        return pd.DataFrame(columns=cols)
    p = promise_dates
    days = pd.to_numeric(p.days_late, errors="coerce")
    short = p.basis.astype(str) == "shortage" if "basis" in p else days.isna()
    late = p[(days.fillna(0) > 0) | short]
    return pd.DataFrame({"order_id": late.order_id.astype(str), "item_id": late.item_id.astype(str),
                         "customer_id": late.get("customer_id", pd.Series("", index=late.index)).astype(str),
                         "due_date": pd.to_datetime(late.due_date),
                         "days_late": days[late.index].where(~short[late.index], np.inf),
                         "reason": late.get("reason", pd.Series("", index=late.index)).fillna("").astype(str)})


def _kind_rank(change: pd.Series, kinds: tuple) -> np.ndarray:
    """Position of each row's ``change`` in ``kinds`` (a tuple inside ``kinds``: kinds ranked alike)."""
    rank = {}
    for k, kind in enumerate(kinds):
        rank.update({c: k for c in (kind if isinstance(kind, tuple) else (kind,))})
    return change.map(rank).to_numpy()


def _ranked(frame: pd.DataFrame, *keys) -> pd.DataFrame:
    """``frame``'s rows sorted by ``keys`` (arrays, most significant first; ties keep their order),
    renumbered from 0: how every comparison here lists its changes, the most telling first."""
    return frame.iloc[np.lexsort(keys[::-1])].reset_index(drop=True) if len(frame) else frame.reset_index(drop=True)


def compare_order_status(base_late: pd.DataFrame, scenario_late: pd.DataFrame, kind: str,
                         min_days: float = 1 / 24) -> pd.DataFrame:
    """Orders late in one plan and on time in the other, or late by a different amount.

    Orders match by ``order_id``. :func:`compare_plans` first gives the base plan's planned
    orders the scenario's numbers for the same orders (:func:`order_identity`): MRP numbers
    planned orders as it plans them, so a change upstream renumbers the same order, which would
    otherwise show as one order that became late and one now on time.

    Parameters
    ----------
    base_late, scenario_late : DataFrame
        The late orders of each plan: ``order_id, item_id, due_date, days_late`` [days;
        ``inf`` for a line with no supply at all], ``reason`` (optionally ``customer_id``).
        An order not in a table is on time in that plan.
    kind : str
        ``production order`` or ``customer order line`` (the ``kind`` column).
    min_days : float
        Smallest change of lateness listed for an order late in both plans [days].

    Returns
    -------
    DataFrame
        ``kind, change`` (:data:`STATUS_CHANGES`), ``order_id, item_id, customer_id,
        due_date, base_days_late, scenario_days_late`` [days, 0 on time, inf short],
        ``days_change`` [days, + later in the scenario], ``reason`` (the scenario's reason
        for a late order, the base's for one now on time). Became late first, then now on
        time, late by more, late by less; within each the largest change first.
    """
    cols = ["kind", "change", "order_id", "item_id", "customer_id", "due_date", "base_days_late",
            "scenario_days_late", "days_change", "reason"]
    b = base_late.set_index("order_id")
    s = scenario_late.set_index("order_id")
    rows = []
    for oid in list(b.index.difference(s.index)) + list(s.index.difference(b.index)) + list(
            b.index.intersection(s.index)):
        in_b, in_s = oid in b.index, oid in s.index
        src = s.loc[oid] if in_s else b.loc[oid]
        bd = float(b.loc[oid].days_late) if in_b else 0.0
        sd = float(s.loc[oid].days_late) if in_s else 0.0
        bd, sd = (0.0 if np.isnan(bd) else bd), (0.0 if np.isnan(sd) else sd)
        if in_b and in_s:
            if bd == sd or (np.isfinite(bd) and np.isfinite(sd) and abs(sd - bd) < min_days):
                continue
            change = "late by more" if sd > bd else "late by less"
        else:
            change = "became late" if in_s else "now on time"
        rows.append(dict(kind=kind, change=change, order_id=oid, item_id=src.item_id,
                         customer_id=str(src.get("customer_id", "") or ""), due_date=src.due_date,
                         base_days_late=bd, scenario_days_late=sd,
                         days_change=(sd - bd) if np.isfinite(sd - bd) else (np.inf if sd > bd else -np.inf),
                         reason=str(s.loc[oid].reason if in_s else b.loc[oid].reason)))
    out = pd.DataFrame(rows, columns=cols)
    if not len(out):
        return out
    return _ranked(out, _kind_rank(out.change, STATUS_CHANGES), -out.days_change.abs().to_numpy(),
                   out.order_id.to_numpy())


def compare_load(base: pd.DataFrame, scenario: pd.DataFrame, periods: int | None = None) -> pd.DataFrame:
    """Work centers whose load or available hours differ between two plans, most changed first.

    Parameters
    ----------
    base, scenario : DataFrame
        MRP ``capacity_load``: ``work_center_id, period, load_hours, available_hours`` [h].
    periods : int, optional
        Only the first ``periods`` planning periods (default all).

    Returns
    -------
    DataFrame
        ``work_center_id, base_load_hours, scenario_load_hours, load_change_hours`` [h],
        ``load_change_pct`` [% of the base load; empty for base 0], ``base_available_hours,
        scenario_available_hours, available_change_hours`` [h], ``base_utilisation_pct,
        scenario_utilisation_pct`` [% load of available hours]; sorted by the largest of
        ``|load_change_hours|`` and ``|available_change_hours|``; unchanged work centers left out.
    """
    def total(cl, tag):
        cl = cl if periods is None else cl[cl.period <= periods]
        g = cl.groupby("work_center_id")[["load_hours", "available_hours"]].sum()
        return g.rename(columns={"load_hours": f"{tag}_load_hours", "available_hours": f"{tag}_available_hours"})

    out = total(base, "base").join(total(scenario, "scenario"), how="outer").fillna(0.0)
    out["load_change_hours"] = out.scenario_load_hours - out.base_load_hours
    out["load_change_pct"] = (100 * out.load_change_hours / out.base_load_hours).where(out.base_load_hours > 0)
    out["available_change_hours"] = out.scenario_available_hours - out.base_available_hours
    for tag in ("base", "scenario"):
        out[f"{tag}_utilisation_pct"] = (100 * out[f"{tag}_load_hours"] / out[f"{tag}_available_hours"]).where(
            out[f"{tag}_available_hours"] > 0)
    out["_size"] = np.maximum(out.load_change_hours.abs(), out.available_change_hours.abs())
    out = out[out._size > 0.05].sort_values("_size", ascending=False, kind="stable")
    return out.reset_index(names="work_center_id")[
        ["work_center_id", "base_load_hours", "scenario_load_hours", "load_change_hours", "load_change_pct",
         "base_available_hours", "scenario_available_hours", "available_change_hours",
         "base_utilisation_pct", "scenario_utilisation_pct"]]


@dataclass
class PlanComparison:
    """A scenario plan against the base plan of the same week (see :func:`compare_plans`).

    Attributes
    ----------
    name, description : str
        The scenario's.
    changes : list of str
        Each change in words (``breakdown: LATHE-2 2026-11-24 06:00 to 2026-11-26 23:59``).
    kpis : DataFrame
        :func:`compare_kpis` with a ``judgment`` column (:func:`judge_kpis`).
    order_status : DataFrame
        :func:`compare_order_status` of production orders, then of customer order lines.
    load : DataFrame
        :func:`compare_load`.
    item_orders : DataFrame
        :func:`compare_item_orders` (empty when the plans have no planned orders).
    """

    name: str
    description: str
    changes: list
    kpis: pd.DataFrame
    order_status: pd.DataFrame
    load: pd.DataFrame
    item_orders: pd.DataFrame

    def headline(self) -> str:
        """One sentence: how many production orders and customer order lines became late or on time
        (:data:`STATUS_CHANGES`), or that none did."""
        if not len(self.order_status):
            return "No production order or customer order line changes between late and on time."
        parts = []
        for kind in ("production order", "customer order line"):
            g = self.order_status[self.order_status.kind == kind].change.value_counts()
            bits = [f"{int(g[c])} {c}" for c in STATUS_CHANGES if g.get(c, 0)]
            if bits:
                parts.append(f"{kind}s: " + ", ".join(bits))
        return "Against the base plan - " + "; ".join(parts) + "."


def compare_plans(base, scenario, scenario_def=None) -> PlanComparison:
    """Everything a planner asks of a scenario: its changes, KPIs, the orders it makes late or on
    time, and the work centers whose load it changes.

    Parameters
    ----------
    base, scenario : mapping or object
        The two plans' tables, by key or attribute (a :class:`planlib.pipeline.WeekPlan`
        also through its ``schedule`` and ``mrp``): ``kpis`` (``kpi, value`` ...) and, where
        present, ``late_orders`` (schedule), ``promise_dates`` (schedule), ``capacity_load``
        and ``planned_orders`` (MRP). A table missing from either plan leaves its part empty
        (never "every order became late" against a base without a schedule).
    scenario_def : planlib.scenario.Scenario, optional
        The scenario (name, description and changes shown first).

    Returns
    -------
    PlanComparison
    """
    def get(plan, name):
        if isinstance(plan, Mapping):
            v = plan.get(name)
        else:  # a WeekPlan: its own tables, then its schedule's and MRP's
            v = getattr(plan, name, None)
            for part in ("schedule", "mrp"):
                if not isinstance(v, pd.DataFrame):
                    v = getattr(getattr(plan, part, None), name, None)
        return v if isinstance(v, pd.DataFrame) else None

    kb, ks = get(base, "kpis"), get(scenario, "kpis")
    kpis = compare_kpis(kb, ks) if kb is not None and ks is not None else pd.DataFrame(
        columns=["kpi", "base", "scenario", "delta", "delta_pct"])
    kpis["judgment"] = judge_kpis(kpis) if len(kpis) else pd.Series(dtype=str)
    parts = []
    pb, ps = get(base, "planned_orders"), get(scenario, "planned_orders")
    if get(base, "late_orders") is not None and get(scenario, "late_orders") is not None:
        base_late = _late_production(get(base, "late_orders"))
        if pb is not None and ps is not None and len(pb) and len(ps):
            base_late = base_late.assign(order_id=_in_scenario_numbers(base_late.order_id, pb, ps))
        parts.append(compare_order_status(base_late, _late_production(get(scenario, "late_orders")),
                                          "production order"))
    if get(base, "promise_dates") is not None and get(scenario, "promise_dates") is not None:
        parts.append(compare_order_status(_late_lines(get(base, "promise_dates")),
                                          _late_lines(get(scenario, "promise_dates")), "customer order line"))
    status = pd.concat(parts, ignore_index=True) if parts else compare_order_status(
        _late_production(None), _late_production(None), "")
    cb, cs = get(base, "capacity_load"), get(scenario, "capacity_load")
    load = compare_load(cb, cs) if cb is not None and cs is not None else compare_load(
        pd.DataFrame(columns=["work_center_id", "period", "load_hours", "available_hours"]),
        pd.DataFrame(columns=["work_center_id", "period", "load_hours", "available_hours"]))
    items = compare_item_orders(pb, ps) if pb is not None and ps is not None else pd.DataFrame()
    sc = scenario_def
    return PlanComparison(name=sc.name if sc else "", description=sc.description if sc else "",
                          changes=sc.describe() if sc else [], kpis=kpis, order_status=status, load=load,
                          item_orders=items)


def _in_scenario_numbers(order_ids: pd.Series, base_orders: pd.DataFrame,
                         scenario_orders: pd.DataFrame) -> pd.Series:
    """The base plan's order numbers as the scenario plan numbers the same orders.

    MRP numbers planned orders in the order it plans them, so a change upstream renumbers the
    same order (same item, type and due date) in the scenario. :func:`order_identity` (the
    week-over-week rule) pairs them; a base planned order with no pair keeps its number, marked
    ``(base plan)`` where the scenario uses that number for another order.
    """
    pairs = order_identity(base_orders, scenario_orders)
    same = dict(zip(pairs.previous_order_id.astype(str), pairs.order_id.astype(str)))
    taken = set(scenario_orders.order_id.astype(str))
    return order_ids.astype(str).map(lambda o: same.get(o, f"{o} (base plan)" if o in taken else o))


def _days(v: float) -> str:
    if not np.isfinite(v):
        return "not supplied"
    if v == 0:
        return "on time"
    if round(abs(v) * 24) < 24:
        return f"{v * 24:.0f} h"
    return f"{v:.1f} days"


def _num_text(v, digits: int = 1) -> str:
    if not _is_number(v):
        return "" if v is None or (isinstance(v, float) and np.isnan(v)) else str(v)
    v = float(v)
    if abs(v) >= 1000 or float(v).is_integer():
        return f"{v:,.0f}"
    return f"{v:,.{digits}f}"


def comparison_html(comp: PlanComparison) -> str:
    """:class:`PlanComparison` as HTML, in the order a planner asks: the scenario and its changes,
    a sentence on the orders it makes late or on time, KPIs side by side (better or worse), the
    customer order lines and production orders that changed status (how much, why), and the work
    centers whose load changed most. An empty part says so in words; every text is escaped.

    Parameters
    ----------
    comp : PlanComparison
        :func:`compare_plans` output.

    Returns
    -------
    str
        One ``<div class="planlib-comparison">`` fragment: no script, no request.
    """
    import html as _h

    e = _h.escape
    out = ['<div class="planlib-comparison">']
    if comp.name:
        out.append(f"<p><strong>Scenario: {e(comp.name)}</strong>"
                   + (f" - {e(comp.description)}" if comp.description else "") + "</p>")
    if comp.changes:
        out.append("<p>What the scenario changes in the base data:</p><ul>"
                   + "".join(f"<li>{e(c)}</li>" for c in comp.changes) + "</ul>")
    out.append(f"<p><strong>{e(comp.headline())}</strong></p>")

    def table(head, rows, numeric=(), wrap=None):
        """``numeric``: the column positions aligned right; only column ``wrap`` (the text, the last by
        default) may wrap, codes and dates stay on one line."""
        wrap = len(head) - 1 if wrap is None else wrap

        def cell(tag, k, v):
            style = ("text-align:right" if k in numeric else "text-align:left") + (
                "" if k == wrap else ";white-space:nowrap")
            return f"<{tag} style='{style}'>{e(str(v))}</{tag}>"
        th = "".join(cell("th", k, h) for k, h in enumerate(head))
        body = "".join("<tr>" + "".join(cell("td", k, c) for k, c in enumerate(r)) + "</tr>" for r in rows)
        return f"<table class='planlib-table'><thead><tr>{th}</tr></thead><tbody>{body}</tbody></table>"

    def change_text(v):
        if not np.isfinite(v):
            return "no supply" if v > 0 else "supplied now"
        return ("+" if v > 0 else "-") + _days(abs(v))

    def day(v):
        return "-" if pd.isna(v) else f"{pd.Timestamp(v):%Y-%m-%d}"

    out.append("<h4>Key figures, base and scenario</h4>")
    k = comp.kpis[comp.kpis.base.map(_is_number) | comp.kpis.scenario.map(_is_number)] if len(comp.kpis) else comp.kpis
    if len(k):
        rows = []
        for r in k.itertuples(index=False):
            label = getattr(r, "label", "") or str(r.kpi).replace("_", " ")
            unit = getattr(r, "unit", "") or ""
            nums = [float(v) for v in (r.base, r.scenario, r.delta) if _is_number(v)]
            digits = 1 if any(not x.is_integer() and abs(x) < 1000 for x in nums) else 0

            def fmt(v, digits=digits):
                return f"{float(v):,.{digits}f}" if _is_number(v) else "-"

            delta = "-" if pd.isna(r.delta) else ("+" if r.delta > 0 else "") + fmt(r.delta)
            rows.append((label, fmt(r.base), fmt(r.scenario), delta,
                         r.judgment or "-", "-" if unit in ("", "count") else unit))
        out.append(table(["key figure", "base", "scenario", "change", "better or worse", "unit"], rows, (1, 2, 3),
                         wrap=0))
    else:
        out.append("<p>No key figures to compare.</p>")
    st = comp.order_status
    for kind, title in (("customer order line", "Customer order lines that became late or on time"),
                        ("production order", "Production orders that became late or on time")):
        out.append(f"<h4>{title}</h4>")
        g = st[st.kind == kind]
        if not len(g):
            out.append(f"<p>No change: every {kind} is late or on time in both plans alike"
                       f"{' (and late by the same amount)' if kind == 'production order' else ''}.</p>")
            continue
        customer = kind == "customer order line"
        rows = [(r.change, r.order_id) + ((r.customer_id or "-",) if customer else ()) + (
                 r.item_id, day(r.due_date), _days(r.base_days_late), _days(r.scenario_days_late),
                 change_text(r.days_change), r.reason or "-") for r in g.itertuples(index=False)]
        head = (["change", "customer order" if customer else "order"] + (["customer"] if customer else [])
                + ["item", "due date", "late in base", "late in scenario", "change in lateness", "reason"])
        n = 3 if customer else 2
        out.append(table(head, rows, (n + 1, n + 2, n + 3, n + 4)))
    out.append("<h4>Work centers whose load changed most</h4>")
    if len(comp.load):
        rows = [(r.work_center_id, _num_text(r.base_load_hours), _num_text(r.scenario_load_hours),
                 ("+" if r.load_change_hours > 0 else "") + _num_text(r.load_change_hours),
                 "-" if pd.isna(r.load_change_pct) else f"{r.load_change_pct:+.1f} %",
                 ("+" if r.available_change_hours > 0 else "") + _num_text(r.available_change_hours),
                 "-" if pd.isna(r.base_utilisation_pct) else f"{r.base_utilisation_pct:.0f} %",
                 "-" if pd.isna(r.scenario_utilisation_pct) else f"{r.scenario_utilisation_pct:.0f} %")
                for r in comp.load.itertuples(index=False)]
        out.append(table(["work center", "base load (h)", "scenario load (h)", "load change (h)", "load change (%)",
                          "available hours change (h)", "base load of available hours",
                          "scenario load of available hours"], rows, range(1, 8)))
    else:
        out.append("<p>No change: every work center has the same load and available hours in both plans.</p>")
    out.append("<h4>Planned orders per item</h4>")
    io = comp.item_orders
    if len(io):
        rows = [(r.item_id, r.base_orders, r.scenario_orders, _num_text(r.base_qty), _num_text(r.scenario_qty),
                 ("+" if r.delta_qty > 0 else "") + _num_text(r.delta_qty), day(r.base_first_release),
                 day(r.scenario_first_release)) for r in io.itertuples(index=False)]
        out.append(table(["item", "orders in base", "orders in scenario", "base quantity", "scenario quantity",
                          "quantity change", "first release in base", "first release in scenario"], rows,
                         range(1, 8)))
    else:
        out.append("<p>No change: every item has the same planned orders in both plans.</p>")
    out.append("</div>")
    return "".join(out)


# =========================================================================== week over week

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
    for key in [k for k in pg if k in cg]:  # last week's order of (item, order type): no hash order
        cand = [(abs(c_qty[j] - p_qty[i]), i, j) for i in pg[key] for j in cg[key] if p_due[i] == c_due[j]]
        for _, i, j in sorted(cand):
            if p_free[i] and c_free[j]:
                pairs.append((i, j))
                p_free[i] = c_free[j] = False
    # 3. what is left: the closest due dates within the tolerance (rescheduled)
    pg, cg = groups(prev, p_free), groups(cur, c_free)
    for key in [k for k in pg if k in cg]:
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

    Parameters
    ----------
    previous, current : DataFrame
        ``planned_orders`` of last week's and this week's plan: ``order_id, item_id, order_type,
        qty`` [uom], ``due_date`` (optionally ``status``).
    tolerance_days : int
        Largest due-date move [days] still seen as the same planned order rescheduled.

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

    Per order (unlike :func:`compare_item_orders`, per item, for a scenario): last week's
    orders are released, firmed, received or dropped by this week, and a buyer acts on each one,
    so each order is followed across weeks. An order keeps its identity across plans where it is
    the same order:

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
    return _ranked(out, -out.value.fillna(0).to_numpy(), -out.customer_orders.to_numpy(),
                   _kind_rank(out.change, ORDER_CHANGES), out.item_id.astype(str).to_numpy())


#: How :func:`changes_view` words each kind of change.
CHANGE_WORDS = {"new": "new", "cancelled": "cancelled", "rescheduled": "rescheduled",
                "qty_changed": "quantity changed", "past_due": "due before this week"}


def changes_view(changes: pd.DataFrame) -> pd.DataFrame:
    """:func:`compare_orders` output as the weekly report lists it: every row, largest impact first,
    no empty cell.

    Parameters
    ----------
    changes : DataFrame or None
        :func:`compare_orders` output.

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

    Parameters
    ----------
    changes : DataFrame or None
        :func:`compare_orders` output (``change, days_moved, value, message`` used).
    unchanged : int, optional
        Orders of this week's plan that did not change (counted in the sentence when given).

    Returns
    -------
    str
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
    return _ranked(m[cols], _kind_rank(m.change, (("machine_changed", "moved"), "new", "dropped")),
                   -m.hours_moved.abs().fillna(0).to_numpy(), m.order_id.astype(str).to_numpy(),
                   m.op_seq.to_numpy())


def schedule_changes_view(changes: pd.DataFrame) -> pd.DataFrame:
    """:func:`compare_schedule` output as the weekly report lists it, no empty cell.

    Parameters
    ----------
    changes : DataFrame or None
        :func:`compare_schedule` output.

    Returns
    -------
    DataFrame
        ``change`` (in words), ``order_id, op_seq, machine_id`` (now, else before), ``hours_moved``
        [h, 0 for new or dropped operations], ``message``.
    """
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
