"""The plant manager's status report: one page, key figures first.

What happened last week against the plan, and what needs chasing this week:

1. key figures (cards): schedule attainment, quantity attainment, scrap, cost variance, late
   customer order lines, late and at-risk purchase orders, labour shortfall, inventory value;
2. production against plan: attainment per work center (operations and quantity), the chart;
3. attainment trend (the plan archive's KPI history, ``attainment_pct`` and ``scrap_pct``);
4. inventory: value trend from the archive;
5. materials used against standard (largest variances);
6. costs against plan: material, labour and machine variance, each with its main driver;
7. production problems: scrap and downtime by reason (Pareto);
8. late customer order lines and their reasons;
9. supplier follow-ups: late and at-risk purchase orders, the five most urgent with their action;
10. labour: operator hours short (or idle) per work center this week.

Nothing here computes a plan or reads a file: :func:`status_page` takes the tables the
follow-up engines computed (:func:`planlib.pipeline.follow_up_step` gathers them) and
returns a self-contained HTML page (Vega libraries inlined, no request to another host).
A table that is missing or empty gives a sentence saying so, never an error or an empty chart.

Tables (keys of ``tables``; the columns read, in the words of ``docs/glossary.md``):

- ``attainment_by_work_center``: ``work_center_id, ops_planned, ops_done, ops_attainment_pct,
  qty_planned, qty_good, qty_attainment_pct, hours_planned, hours_reported``.
- ``attainment_by_order``: ``order_id, item_id, qty_planned, qty_good, qty_scrap, ops_planned,
  ops_done, attainment_pct, late``.
- ``production_rates``: per work center and item, ``rate_pct`` (actual rate against the routing's).
- ``downtime``: ``work_center_id``, a reason column, ``downtime_min`` (or ``minutes``).
- ``scrap_by_item``, ``scrap_by_reason`` (a reason column, a quantity column), ``scrap_orders``.
- ``materials``: per order and component, a variance column (value preferred).
- ``cost_by_week``, ``cost_by_order``: material, labour, machine standard, actual, variance and
  the main driver, long (one row per cost kind) or wide (``<kind>_variance`` columns).
- ``supplier_followup``: one row per open purchase order, ``status`` (``late``, ``at risk``,
  ``unconfirmed``, ``on track``) and ``action``, sorted by urgency.
- ``labour_requirements``: ``work_center_id, hours_needed, hours_available, shortfall_h, idle_h``.
- ``late_order_lines``: :func:`planlib.pipeline.late_lines` of the schedule.
- ``production_reports``: the reports of the reported week (only counted).
"""
from __future__ import annotations

import html
import re
from collections.abc import Mapping

import altair as alt
import pandas as pd

from planlib import report
from planlib.buckets import iso_week, week_start
from planlib.labels import format_number

__all__ = ["ENGINES", "FOLLOW_UP_KPIS", "SECTIONS", "STATUS_KPIS", "follow_up_kpis", "links_html", "reported_week", "status_page",
           "table_note"]

#: The page's sections in order: (anchor id, heading).
SECTIONS = (
    ("progress", "Production against plan"),
    ("trend", "Attainment trend"),
    ("inventory", "Inventory level and value"),
    ("materials", "Materials used against standard"),
    ("costs", "Costs against plan"),
    ("problems", "Production problems: scrap and downtime"),
    ("late", "Late customer orders"),
    ("suppliers", "Supplier follow-up"),
    ("labour", "Labour this week"),
)

#: The key figures shown as cards, in this order (those present in the KPIs).
STATUS_KPIS = ("attainment_pct", "qty_attainment_pct", "scrap_pct", "cost_variance", "late_order_lines",
               "late_purchase_orders", "at_risk_purchase_orders", "labour_shortfall_h", "inventory_value",
               "on_time_pct")

#: The KPIs of :func:`follow_up_kpis` (archived with the plan's; the weekly plan's own KPIs never hold them).
FOLLOW_UP_KPIS = ("attainment_pct", "qty_attainment_pct", "scrap_pct", "cost_variance", "late_purchase_orders",
                  "at_risk_purchase_orders", "labour_shortfall_h")

_NO_REPORTS = ("No production reports this week: the dataset holds no <code>production_reports</code> "
               "for {week}, so there is no attainment, scrap or cost against plan to show. Export the "
               "shop-floor reports with the other tables to fill this section.")

_CSS = """
body{font-family:system-ui,sans-serif;max-width:1150px;margin:1.5em auto;padding:0 1em;color:#222}
h1{margin-bottom:.2em}.planlib-status-sub{color:#555;margin-top:0}
section.planlib-status{border-top:1px solid #ccd;margin-top:1.2em;padding-top:.3em}
.planlib-status-empty{color:#555;font-style:italic}
.planlib-status-lead{font-size:1.05em}
@media print{section.planlib-status{break-inside:avoid}}
"""


def reported_week(week: str) -> str:
    """The week a status report looks back on: the week before the plan week.

    Parameters
    ----------
    week : str
        ISO week of the plan, ``2026-W49``.

    Returns
    -------
    str
        ``2026-W48``.
    """
    return iso_week(week_start(week) - pd.Timedelta(days=7).to_pytimedelta())


# --------------------------------------------------------------------------- key figures

def _table(tables: Mapping, name: str) -> pd.DataFrame:
    t = tables.get(name) if tables else None
    return t if isinstance(t, pd.DataFrame) else pd.DataFrame()


def _col(df: pd.DataFrame, *names: str) -> str | None:
    """The first of ``names`` that is a column of ``df``."""
    return next((n for n in names if n in df.columns), None)


def _num(s: pd.Series) -> pd.Series:
    return pd.to_numeric(s, errors="coerce")


def _cost_variance(costs: pd.DataFrame) -> pd.DataFrame:
    """Variance per cost kind: ``cost, standard, actual, variance, driver`` [currency], whatever the
    engine's layout (long: a ``cost``/``kind`` column; wide: ``<kind>_standard/_actual/_variance``)."""
    cols = ["cost", "standard", "actual", "variance", "driver"]
    if costs.empty:
        return pd.DataFrame(columns=cols)
    kind = _col(costs, "cost_type", "cost", "kind", "cost_kind", "component")
    driver = _col(costs, "driver", "main_driver")
    if kind and "variance" in costs:
        g = costs.assign(_v=_num(costs.variance), _s=_num(costs.get("standard", pd.Series(dtype=float))),
                         _a=_num(costs.get("actual", pd.Series(dtype=float))))
        out = g.groupby(kind, sort=False).agg(standard=("_s", "sum"), actual=("_a", "sum"),
                                              variance=("_v", "sum")).reset_index()
        out = out.rename(columns={kind: "cost"})
        if driver:
            top = g.assign(_abs=g._v.abs()).sort_values("_abs", ascending=False).drop_duplicates(kind)
            out["driver"] = out.cost.map(top.set_index(kind)[driver])
        return out.reindex(columns=cols)
    rows = []
    for k in ("material", "labour", "machine"):
        v = _col(costs, f"{k}_variance", f"{k}_cost_variance")
        if v is None:
            continue
        s, a = _col(costs, f"{k}_standard", f"standard_{k}"), _col(costs, f"{k}_actual", f"actual_{k}")
        d = _col(costs, f"{k}_driver")
        values = _num(costs[v])
        drv = ""
        if d:
            drv = costs[d].iloc[int(values.abs().fillna(0).to_numpy().argmax())] if len(costs) else ""
        elif driver:
            drv = costs[driver].iloc[int(values.abs().fillna(0).to_numpy().argmax())] if len(costs) else ""
        rows.append(dict(cost=k, standard=_num(costs[s]).sum() if s else float("nan"),
                         actual=_num(costs[a]).sum() if a else float("nan"), variance=values.sum(), driver=drv))
    return pd.DataFrame(rows, columns=cols)


def follow_up_kpis(tables: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """The key figures of the follow-up, for the status report's cards and the archive's trend.

    Parameters
    ----------
    tables : mapping of str to DataFrame
        The follow-up tables (module docstring): ``attainment_by_work_center``,
        ``attainment_by_order``, ``cost_by_week``, ``supplier_followup``, ``labour_requirements``.
        A missing or empty table gives no row for its figures.

    Returns
    -------
    DataFrame
        Columns ``kpi, label, value, unit, good`` (as :func:`planlib.pipeline.week_kpis`):
        ``attainment_pct`` [%] (operations planned to finish in the reported week that were
        reported done, over all work centers), ``qty_attainment_pct`` [%] (good quantity over
        planned quantity), ``scrap_pct`` [%] (scrap over good plus scrap of the orders reported),
        ``cost_variance`` [currency] (actual minus standard, all kinds; positive = over standard),
        ``late_purchase_orders``, ``at_risk_purchase_orders`` [orders] and ``labour_shortfall_h``
        [h] (operator hours the schedule needs beyond those staffed).
    """
    rows = []

    def add(kpi, label, value, unit, good=None):
        rows.append(dict(kpi=kpi, label=label, value=value, unit=unit, good=good))

    wc = _table(tables, "attainment_by_work_center")
    if len(wc) and {"ops_planned", "ops_done"} <= set(wc.columns):
        planned, done = _num(wc.ops_planned).sum(), _num(wc.ops_done).sum()
        if planned > 0:
            pct = round(100 * min(done, planned) / planned, 1)
            add("attainment_pct", "schedule attainment, operations (last week)", pct, "%", pct >= 95)
    if len(wc) and {"qty_planned", "qty_good"} <= set(wc.columns):
        planned, good = _num(wc.qty_planned).sum(), _num(wc.qty_good).sum()
        if planned > 0:
            pct = round(100 * good / planned, 1)
            add("qty_attainment_pct", "good quantity against plan (last week)", pct, "%", pct >= 95)
    orders = _table(tables, "attainment_by_order")
    if len(orders) and {"qty_good", "qty_scrap"} <= set(orders.columns):
        good, scrap = _num(orders.qty_good).sum(), _num(orders.qty_scrap).sum()
        if good + scrap > 0:
            add("scrap_pct", "scrap, share of units made (last week)", round(100 * scrap / (good + scrap), 2), "%")
    costs = _cost_variance(_table(tables, "cost_by_week"))
    if len(costs):
        v = float(_num(costs.variance).sum())
        add("cost_variance", "cost variance against standard (currency)", round(v, 0), "", v <= 0)
    fu = _table(tables, "supplier_followup")
    if "status" in fu:
        status = fu.status.astype(str).str.lower()
        late = int((status == "late").sum())
        risk = int(status.isin(["at risk", "at_risk"]).sum())
        add("late_purchase_orders", "purchase orders late", late, "orders", late == 0)
        add("at_risk_purchase_orders", "purchase orders at risk", risk, "orders", risk == 0)
    lab = _table(tables, "labour_requirements")
    if "shortfall_h" in lab and _staffed(lab):
        short = round(float(_num(lab.shortfall_h).sum()), 1)
        add("labour_shortfall_h", "operator hours short this week", short, "h", short == 0)
    return pd.DataFrame(rows, columns=["kpi", "label", "value", "unit", "good"])


# --------------------------------------------------------------------------- charts

def _chart(chart, eid: str) -> str:
    return report.chart_html(chart, f"planlib-status-{eid}")


def _attainment_chart(wc: pd.DataFrame):
    cols = [c for c in ("ops_attainment_pct", "qty_attainment_pct") if c in wc]
    words = {"ops_attainment_pct": "operations done", "qty_attainment_pct": "good quantity"}
    data = wc.melt(id_vars=["work_center_id"], value_vars=cols, var_name="measure", value_name="pct")
    data["measure"] = data.measure.map(words)
    data["pct"] = _num(data.pct)
    data = data.dropna(subset=["pct"])
    return alt.Chart(data).mark_bar().encode(
        x=alt.X("work_center_id:N", title="work center"), xOffset="measure:N",
        y=alt.Y("pct:Q", title="% of plan", scale=alt.Scale(domainMin=0)),
        color=alt.Color("measure:N", title=None),
        tooltip=[alt.Tooltip("work_center_id:N", title="work center"), alt.Tooltip("measure:N", title="measure"),
                 alt.Tooltip("pct:Q", title="% of plan", format=",.1f")]
    ).properties(width=alt.Step(22), height=200, title="Attainment by work center, last week")


def _trend_chart(history: pd.DataFrame, kpis: list[tuple[str, str]], title: str, unit: str):
    data = history[history.kpi.isin([k for k, _ in kpis])].copy()
    data["value"] = _num(data.value)
    data = data.dropna(subset=["value"])
    data["week"] = data.week.astype(str)
    data["measure"] = data.kpi.map(dict(kpis))
    weeks = sorted(data.week.unique())
    return alt.Chart(data).mark_line(point=alt.OverlayMarkDef(size=60)).encode(
        x=alt.X("week:O", title="week", sort=weeks, axis=alt.Axis(labelAngle=0)),
        y=alt.Y("value:Q", title=unit, scale=alt.Scale(zero=True)),
        color=alt.Color("measure:N", title=None),
        tooltip=[alt.Tooltip("week:N", title="week"), alt.Tooltip("measure:N", title="measure"),
                 alt.Tooltip("value:Q", title=unit, format=",.1f")]
    ).properties(width=420, height=170, title=title)


def _bar_chart(data: pd.DataFrame, x: str, y: str, title: str, x_title: str, y_title: str, color: str = "#4c78a8"):
    data = data.assign(**{y: _num(data[y])})
    return alt.Chart(data).mark_bar(color=color).encode(
        x=alt.X(f"{x}:N", title=x_title, sort="-y"), y=alt.Y(f"{y}:Q", title=y_title),
        tooltip=[alt.Tooltip(f"{x}:N", title=x_title), alt.Tooltip(f"{y}:Q", title=y_title, format=",.1f")]
    ).properties(width=alt.Step(28), height=170, title=title)


def _pareto(data: pd.DataFrame, reason: str, amount: str, title: str, unit: str):
    """Bars by reason, largest first, and the cumulative share on a second axis."""
    d = data.groupby(reason, dropna=False)[amount].sum().sort_values(ascending=False).reset_index()
    d[reason] = d[reason].astype(str).replace({"": "(no reason given)", "nan": "(no reason given)"})
    d["cum_pct"] = 100 * d[amount].cumsum() / d[amount].sum() if d[amount].sum() else 0.0
    order = list(d[reason])
    base = alt.Chart(d).encode(x=alt.X(f"{reason}:N", title="reason", sort=order))
    bars = base.mark_bar(color="#e45756").encode(
        y=alt.Y(f"{amount}:Q", title=unit),
        tooltip=[alt.Tooltip(f"{reason}:N", title="reason"), alt.Tooltip(f"{amount}:Q", title=unit, format=",.1f"),
                 alt.Tooltip("cum_pct:Q", title="cumulative %", format=".0f")])
    line = base.mark_line(color="#333", point=True).encode(
        y=alt.Y("cum_pct:Q", title="cumulative %", scale=alt.Scale(domain=[0, 100])))
    return alt.layer(bars, line).resolve_scale(y="independent").properties(
        width=alt.Step(40), height=170, title=title)


# --------------------------------------------------------------------------- the page

def _p(text: str, cls: str = "") -> str:
    return f'<p class="{cls}">{text}</p>' if cls else f"<p>{text}</p>"


def _empty(text: str) -> str:
    return _p(text, "planlib-status-empty")


def _top(df: pd.DataFrame, n: int, name: str, where: str = "") -> str:
    """The first ``n`` rows as a plain table, and how many more the CSV file ``where`` (default
    ``follow_up/<name>.csv``) holds."""
    shown = report.table_html(df.head(n), name, plain_rows=n)
    if len(df) > n:
        where = where or f"follow_up/{name}.csv"
        shown += _p(f"{len(df) - n:,} more in <code>{html.escape(where)}</code>.")
    return shown


def _fmt(v, unit: str = "") -> str:
    if v is None or (isinstance(v, float) and pd.isna(v)):
        return ""
    return f"{format_number(float(v))}{(' ' + unit) if unit else ''}"


def _money(v, currency: str) -> str:
    from planlib.labels import format_money

    return format_money(v, currency)


def _missing(facts, module: str, what: str) -> str:
    """A sentence when the engine of a section is not installed ("" when it is)."""
    if module not in facts.get("missing", ()):
        return ""
    if module in ("planlib.attainment", "planlib.variance") and not facts.get("production_reports"):
        return ""  # nothing reported: the section's own sentence says so
    return _empty(f"No {html.escape(what)} in this report: this installation of planlib lacks "
                  f"<code>{html.escape(module)}</code>.")


def _progress(tables, facts, currency) -> tuple[str, list[str]]:
    wc = _table(tables, "attainment_by_work_center")
    week = html.escape(str(facts.get("reported_week", "last week")))
    if not facts.get("production_reports", len(_table(tables, "production_reports"))) and not len(wc):
        return _empty(_NO_REPORTS.format(week=week)), []
    out, charts = [], []
    basis = facts.get("basis")
    if basis:
        out.append(_p(f"Compared with {html.escape(str(basis))}."))
    if not len(wc):
        out.append(_empty(f"No operation was planned to finish in {week}."))
        return "".join(out), charts
    planned, done = _num(wc.get("ops_planned", pd.Series(dtype=float))).sum(), _num(wc.get("ops_done", pd.Series(dtype=float))).sum()
    qp, qg = _num(wc.get("qty_planned", pd.Series(dtype=float))).sum(), _num(wc.get("qty_good", pd.Series(dtype=float))).sum()
    lead = f"In {week}, {int(done):,} of {int(planned):,} operations planned to finish were reported done"
    if qp > 0:
        lead += f"; {format_number(qg)} good units against {format_number(qp)} planned ({100 * qg / qp:.0f} %)"
    out.append(_p(lead + ".", "planlib-status-lead"))
    if "work_center_id" in wc and _col(wc, "ops_attainment_pct", "qty_attainment_pct"):
        charts.append(_chart(_attainment_chart(wc), "attainment"))
    cols = [c for c in ("work_center_id", "ops_planned", "ops_done", "ops_attainment_pct", "qty_planned", "qty_good",
                        "qty_attainment_pct", "hours_planned", "hours_reported") if c in wc]
    out.append(_top(wc[cols].sort_values(cols[3] if len(cols) > 3 else cols[0]), 20, "attainment_by_work_center"))
    orders = _table(tables, "attainment_by_order")
    if "late" in orders:
        late = orders[orders.late.astype(str).str.lower().isin(["true", "1", "yes"])]
        if len(late):
            out.append(_p(f"<b>{len(late):,} production order{'s' if len(late) != 1 else ''}</b> planned to finish "
                          f"in {week} {'were' if len(late) != 1 else 'was'} not done:"))
            out.append(_top(late, 10, "attainment_by_order"))
    rates = _table(tables, "production_rates")
    if "rate_pct" in rates and len(rates):
        slow = rates.assign(_r=_num(rates.rate_pct)).sort_values("_r").drop(columns="_r")
        out.append(_p("Production rates against the routing standard, slowest first:"))
        out.append(_top(slow, 5, "production_rates"))
    return "".join(charts[:1]) + "".join(out), charts


def _trend(history: pd.DataFrame) -> str:
    if history is None or history.empty or "kpi" not in history:
        return _empty("No trend yet: the plan archive holds no attainment figures. Each weekly run adds one point.")
    h = history[history.kpi.isin(["attainment_pct", "qty_attainment_pct", "scrap_pct"])]
    h = h[_num(h.value).notna()]
    weeks = h.week.astype(str).nunique() if len(h) else 0
    if weeks < 2:
        only = f"only week {h.week.astype(str).iloc[0]} has" if weeks else "no week has"
        return _empty(f"No trend yet: {only} attainment figures in the plan archive. Each weekly run adds one point.")
    chart = _trend_chart(h, [("attainment_pct", "operations done"), ("qty_attainment_pct", "good quantity"),
                             ("scrap_pct", "scrap")], "Attainment and scrap by week", "%")
    return _chart(chart, "trend")


def _inventory(history: pd.DataFrame, kpis: pd.DataFrame, currency: str) -> str:
    now = kpis[kpis.kpi == "inventory_value"].value if len(kpis) and "kpi" in kpis else pd.Series(dtype=float)
    out = []
    if len(now) and pd.notna(_num(now).iloc[0]):
        out.append(_p(f"Inventory on hand is worth <b>{html.escape(_money(float(_num(now).iloc[0]), currency))}</b> "
                      "at standard cost."))
    h = history[history.kpi == "inventory_value"] if history is not None and "kpi" in history else pd.DataFrame()
    h = h[_num(h.value).notna()] if len(h) else h
    if len(h) and h.week.astype(str).nunique() >= 2:
        sym = report._labels().currency_symbol(currency)
        out.append(_chart(_trend_chart(h, [("inventory_value", "inventory value")], "Inventory value by week",
                                       f"value ({sym})"), "inventory"))
    else:
        out.append(_empty("No inventory trend yet: fewer than two weeks in the plan archive."))
    return "".join(out)


def _materials(tables, facts) -> str:
    m = _table(tables, "materials")
    week = html.escape(str(facts.get("reported_week", "last week")))
    if not len(m):
        return _empty(f"No material issues to compare with standard in {week}: the dataset holds no "
                      "<code>material_issues</code> for the orders reported.")
    v = _col(m, "variance_value", "value_variance", "variance_cost", "variance_qty", "variance")
    if v:
        m = m.assign(_k=_num(m[v]).abs()).sort_values("_k", ascending=False).drop(columns="_k")
        over = int((_num(m[v]) > 0).sum())
        lead = (f"{over:,} of {len(m):,} order components used more than standard "
                f"(bill of material quantity per unit, with planned scrap), largest variance first:")
    else:
        lead = "Actual issues against standard:"
    return _p(lead) + _top(m, 10, "materials")


def _costs(tables, facts, currency) -> str:
    c = _cost_variance(_table(tables, "cost_by_week"))
    week = html.escape(str(facts.get("reported_week", "last week")))
    if not len(c):
        return _empty(f"No costs against plan for {week}: nothing was reported produced.")
    total = float(_num(c.variance).sum())
    word = "over" if total > 0 else "under"
    out = [_p(f"Actual cost was <b>{html.escape(_money(abs(total), currency))} {word}</b> standard for the good "
              "quantity produced (actual quantities at standard prices: the data carry no purchase prices).",
              "planlib-status-lead")]
    sym = report._labels().currency_symbol(currency)
    out.append(_chart(_bar_chart(c.dropna(subset=["variance"]), "cost", "variance", "Variance by cost kind",
                                 "cost", f"variance ({sym})", "#f58518"), "costs"))
    out.append(report.table_html(c.rename(columns={"driver": "main_driver"}), "cost_by_week", plain_rows=10))
    by_order = _table(tables, "cost_by_order")
    v = _col(by_order, "variance", "total_variance")
    if v:
        top = by_order.assign(_k=_num(by_order[v]).abs()).sort_values("_k", ascending=False).drop(columns="_k")
        out.append(_p("Orders with the largest variance:"))
        out.append(_top(top, 5, "cost_by_order"))
    return "".join(out)


def _problems(tables, facts) -> str:
    week = html.escape(str(facts.get("reported_week", "last week")))
    out = []
    scrap = _table(tables, "scrap_by_reason")
    reason = _col(scrap, "scrap_reason", "reason")
    amount = _col(scrap, "qty_scrap", "qty", "scrap_qty")
    if reason and amount and _num(scrap[amount]).sum() > 0:
        out.append(_chart(_pareto(scrap.assign(**{amount: _num(scrap[amount])}), reason, amount,
                                  "Scrap by reason", "units scrapped"), "scrap"))
    else:
        out.append(_empty(f"No scrap reported in {week}."))
    items = _table(tables, "scrap_by_item")
    if len(items):
        out.append(_p("Scrap rate by item against the planned rate:"))
        s = _col(items, "scrap_pct", "actual_scrap_pct")
        items = items.assign(_k=_num(items[s])).sort_values("_k", ascending=False).drop(columns="_k") if s else items
        out.append(_top(items, 5, "scrap_by_item"))
    down = _table(tables, "downtime")
    reason = _col(down, "downtime_reason", "reason")
    amount = _col(down, "downtime_min", "minutes")
    if reason and amount and _num(down[amount]).sum() > 0:
        out.append(_chart(_pareto(down.assign(**{amount: _num(down[amount])}), reason, amount,
                                  "Downtime by reason", "minutes"), "downtime"))
    else:
        out.append(_empty(f"No downtime reported in {week}."))
    return "".join(out)


def _reason_kind(reason: str) -> str:
    """A late line's reason without its dates and order numbers, to count alike reasons together."""
    text = str(reason).split(";")[0]
    # dates, order numbers (three digits or more: MO-50012, PO-40011) and bare numbers; item and machine
    # codes (RM-01, LATHE-1) stay
    text = re.sub(r"\b\d{4}-\d{2}-\d{2}\b|\b[A-Z]+-\d{3,}\b|(?<![\w-])\d+(\.\d+)?\b", "", text)
    text = re.sub(r"\(\s*\)", "", text)
    text = re.sub(r"\s+([,:)])", r"\1", re.sub(r"\s{2,}", " ", text)).strip(" ,:;")
    return text or "no reason given"


def _late(tables, facts) -> str:
    late = _table(tables, "late_order_lines")
    if not len(late):
        return _empty("Every customer order line is completed on time by this week's schedule.")
    worst = late.sort_values("days_late", ascending=False) if "days_late" in late else late
    n = len(late)
    parts = []
    rest = late
    if "due_date" in late and facts.get("week"):
        start = pd.Timestamp(week_start(facts["week"]))
        past = pd.to_datetime(late.due_date, errors="coerce") < start
        if past.any():
            parts.append(f"{int(past.sum()):,} {'were' if past.sum() != 1 else 'was'} already past due when the "
                         "week started")
        rest = late[~past]
    if "reason" in rest and len(rest):
        top = rest.reason.map(_reason_kind).value_counts().head(3)
        parts.append("the others: " + ", ".join(f"{html.escape(k)} ({v})" for k, v in top.items()) if parts
                     else "most often: " + ", ".join(f"{html.escape(k)} ({v})" for k, v in top.items()))
    why = (": " + "; ".join(parts)) if parts else ""
    return (_p(f"<b>{n:,} customer order line{'s' if n != 1 else ''}</b> will be late{why}. Latest first, "
               "with the reason:", "planlib-status-lead")
            + _top(worst, 10, "late_order_lines", "schedule/promise_dates.csv"))


def _suppliers(tables, links: Mapping[str, str]) -> str:
    fu = _table(tables, "supplier_followup")
    if not len(fu):
        return _empty("No open purchase orders to follow up.")
    status = fu.status.astype(str).str.lower() if "status" in fu else pd.Series("", index=fu.index)
    late, risk = int((status == "late").sum()), int(status.isin(["at risk", "at_risk"]).sum())
    unconf = int((status == "unconfirmed").sum())
    out = [_p(f"<b>{late:,} purchase order{'s' if late != 1 else ''} late</b>, {risk:,} at risk, {unconf:,} "
              f"unconfirmed, of {len(fu):,} open. The most urgent:", "planlib-status-lead")]
    cols = [c for c in ("order_id", "supplier_id", "supplier_name", "item_id", "status", "due_date", "need_date",
                        "open_qty", "action") if c in fu]
    out.append(report.table_html(fu[cols].head(5), "supplier_followup", plain_rows=5))
    if links:
        ordered = [s for s in dict.fromkeys(fu.supplier_id.astype(str)) if s in links] if "supplier_id" in fu \
            else list(links)
        ordered += [s for s in links if s not in ordered]
        a = " &middot; ".join(f'<a href="{html.escape(links[s])}">{html.escape(s)}</a>' for s in ordered)
        out.append(_p(f"One printable page and a mail draft per supplier: {a}."))
    return "".join(out)


def _staffed(lab: pd.DataFrame) -> bool:
    """True unless the labour requirements have shifts but no operators on any (no staffing table)."""
    return "operators" not in lab or lab.empty or bool(lab.operators.notna().any())


def _labour(tables) -> str:
    lab = _table(tables, "labour_requirements")
    if not len(lab) or "work_center_id" not in lab:
        return _empty("No labour requirements: the dataset holds no <code>staffing</code> table (operators per "
                      "work center and shift), or nothing is scheduled this week.")
    if not _staffed(lab):  # operator hours needed, nothing to compare them with
        need = lab.groupby("work_center_id", observed=True)[["hours_needed"]].sum(numeric_only=True).reset_index()
        return (_p(f"The schedule needs <b>{format_number(float(_num(need.hours_needed).sum()))} operator hours"
                   "</b> this week. The dataset holds no <code>staffing</code> table (operators per work center "
                   "and shift), so they are not compared with the operators on shift.", "planlib-status-lead")
                + _top(need.sort_values("hours_needed", ascending=False), 20, "labour_requirements"))
    cols = [c for c in ("hours_needed", "hours_available", "shortfall_h", "idle_h", "overtime_h") if c in lab]
    by_wc = lab.groupby("work_center_id", observed=True)[cols].sum(numeric_only=True).reset_index()
    if "extra_operators" in lab:
        by_wc["extra_operators"] = by_wc.work_center_id.map(lab.groupby("work_center_id", observed=True)
                                                            .extra_operators.max())
    short = float(_num(by_wc.get("shortfall_h", pd.Series(dtype=float))).sum())
    out = []
    if short > 0:
        n = int((_num(by_wc.shortfall_h) > 0).sum())
        out.append(_p(f"The schedule needs <b>{format_number(short)} operator hours more</b> than staffed, at {n} "
                      f"work center{'s' if n != 1 else ''}.", "planlib-status-lead"))
        out.append(_chart(_bar_chart(by_wc[_num(by_wc.shortfall_h) > 0], "work_center_id", "shortfall_h",
                                     "Operator hours short by work center", "work center", "hours short",
                                     "#e45756"), "labour"))
    else:
        out.append(_p("Staffing covers the operator hours the schedule needs at every work center.",
                      "planlib-status-lead"))
    by_wc = by_wc.sort_values("shortfall_h", ascending=False) if "shortfall_h" in by_wc else by_wc
    out.append(_top(by_wc, 20, "labour_requirements"))
    return "".join(out)


def status_page(tables: Mapping[str, pd.DataFrame], kpis: pd.DataFrame | None, history: pd.DataFrame | None,
                week: str, currency: str = "EUR", facts: Mapping | None = None,
                supplier_links: Mapping[str, str] | None = None, title: str = "",
                missing_engines: tuple = (), heading: str = "") -> str:
    """The plant manager's one-page status report as a self-contained HTML page.

    Parameters
    ----------
    tables : mapping of str to DataFrame
        The follow-up tables (module docstring); missing or empty ones give a sentence.
    kpis : DataFrame or None
        This week's key figures ``kpi, label, value, unit, good``: the weekly plan's
        (:func:`planlib.pipeline.week_kpis`) and the follow-up's (:func:`follow_up_kpis`);
        those of :data:`STATUS_KPIS` are shown as cards, in that order.
    history : DataFrame or None
        ``week, kpi, value`` of the archived weeks (:func:`planlib.archive.kpi_history`),
        this week included, for the attainment and inventory trends.
    week : str
        ISO week of the plan (``2026-W49``); the report looks back on the week before.
    currency : str
        ISO code of money figures.
    facts : mapping, optional
        ``reported_week`` (default the week before ``week``), ``basis`` (what attainment
        compares with, in words), ``production_reports`` (reports in the reported week [rows]).
    supplier_links : mapping of str to str, optional
        Supplier id -> relative link of its printable page.
    title : str
        The page title; default "Status report, week <week>".
    missing_engines : tuple of str
        Follow-up modules this installation lacks (``planlib.attainment`` ...): their sections
        say so instead of "nothing reported".
    heading : str
        The page's ``<h1>`` as HTML (:func:`planlib.report.heading_html`, which names a scenario);
        default ``title`` escaped.

    Returns
    -------
    str
        The HTML page: the title, the key figure cards, then one ``<section id=...>`` per
        entry of :data:`SECTIONS`. Every text from the data is HTML-escaped; the Vega
        libraries are inlined, so the page opens offline.
    """
    facts = dict(facts or {})
    facts.setdefault("reported_week", reported_week(week))
    facts["missing"] = tuple(missing_engines)
    facts["week"] = week
    kpis = kpis if kpis is not None else pd.DataFrame(columns=["kpi", "value", "unit"])
    history = history if history is not None else pd.DataFrame(columns=["week", "kpi", "value"])
    title = title or f"Status report, week {week}"
    cards = kpis[kpis.kpi.isin(STATUS_KPIS)].copy() if len(kpis) else kpis
    if len(cards):
        cards["_o"] = cards.kpi.map({k: i for i, k in enumerate(STATUS_KPIS)})
        cards = cards.sort_values("_o").drop(columns="_o").drop_duplicates("kpi")
    previous = None
    if len(history) and "kpi" in history:
        before = sorted(w for w in history.week.astype(str).unique() if w < week)
        if before:
            previous = history[history.week.astype(str) == before[-1]][["kpi", "value"]]
    old = report._CONTEXT.get("currency")
    report._CONTEXT["currency"] = currency
    try:
        card_html = report.kpi_cards_html(cards, previous) if len(cards) else _empty("No key figures.")
        body = {
            "progress": _missing(facts, "planlib.attainment", "attainment") or _progress(tables, facts, currency)[0],
            "trend": _trend(history),
            "inventory": _inventory(history, kpis, currency),
            "materials": _missing(facts, "planlib.variance", "materials against standard") or _materials(tables, facts),
            "costs": _missing(facts, "planlib.variance", "cost variance") or _costs(tables, facts, currency),
            "problems": _missing(facts, "planlib.variance", "scrap and downtime") or _problems(tables, facts),
            "late": _late(tables, facts),
            "suppliers": _missing(facts, "planlib.supplier_followup", "supplier follow-up")
            or _suppliers(tables, supplier_links or {}),
            "labour": _missing(facts, "planlib.labour", "labour requirements") or _labour(tables),
        }
    finally:
        report._CONTEXT["currency"] = old
    sections = "".join(f'<section class="planlib-status" id="{sid}"><h2>{html.escape(head)}</h2>{body[sid]}'
                       f"</section>" for sid, head in SECTIONS)
    sub = (f"Production of week {html.escape(str(facts['reported_week']))} against its plan, and what to chase "
           f"in week {html.escape(week)}.")
    vega = report.vega_script() if "vegaEmbed(" in sections else ""
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
            f"<style>{report.CSS}{_CSS}</style>{vega}</head><body>"
            f'{heading or f"<h1>{html.escape(title)}</h1>"}<p class="planlib-status-sub">{sub}</p>'
            f'<section id="kpis">{card_html}</section>{sections}</body></html>\n')


def links_html(supplier_pages: Mapping[str, str], folder: str = "follow_up/supplier") -> str:
    """Links from a page of the run folder to the status report and to each supplier's page and
    mail draft.

    Parameters
    ----------
    supplier_pages : mapping of str to str
        Supplier id -> file name without extension (:attr:`planlib.pipeline.FollowUp.supplier_pages`).
    folder : str
        Where the supplier files are, relative to the run folder.

    Returns
    -------
    str
        HTML paragraphs (every text escaped).
    """
    from urllib.parse import quote

    out = ['<p><a href="status_report.html">Status report (one page, for the plant manager)</a></p>']
    if supplier_pages:
        links = " &middot; ".join(
            f'<a href="{html.escape(quote(folder))}/{html.escape(quote(name))}.html">{html.escape(str(sid))}</a> '
            f'(<a href="{html.escape(quote(folder))}/{html.escape(quote(name))}.eml">mail</a>)'
            for sid, name in supplier_pages.items())
        out.append(f"<p>Supplier follow-up pages to print, and mail drafts: {links}</p>")
    return "".join(out)


#: The engine that computes each follow-up table (for :func:`table_note`).
ENGINES = {"attainment_by_work_center": "planlib.attainment", "attainment_by_order": "planlib.attainment",
           "production_rates": "planlib.attainment", "downtime": "planlib.attainment",
           "scrap_by_item": "planlib.variance", "scrap_by_reason": "planlib.variance",
           "scrap_orders": "planlib.variance", "materials": "planlib.variance", "cost_by_order": "planlib.variance",
           "cost_by_week": "planlib.variance", "supplier_followup": "planlib.supplier_followup",
           "labour_requirements": "planlib.labour"}

_NOTES = {
    "attainment_by_work_center": "No production reports for week {week}: nothing to compare with the plan.",
    "supplier_followup": "No open purchase order to follow up.",
    "labour_requirements": "No labour requirements: nothing is scheduled this week.",
    "kpis": "No follow-up figures: nothing was reported for week {week}, and no purchase order or staffing "
            "to follow up.",
}


def table_note(follow_up, name: str) -> str:
    """Why a follow-up table is not there, in a sentence (Markdown), for the follow-up notebook.

    Parameters
    ----------
    follow_up : planlib.pipeline.FollowUp
        The step's result (``reported_week``, ``missing_engines``).
    name : str
        The table's name (:data:`planlib.pipeline.FOLLOW_UP_TABLES`).

    Returns
    -------
    str
        The engine this installation lacks, else what the data lack.
    """
    engine = ENGINES.get(name)
    if engine in follow_up.missing_engines:
        return f"Not computed: this installation of planlib lacks `{engine}`."
    return _NOTES.get(name, "Nothing to show.").format(week=follow_up.reported_week)
