"""Altair charts of the plan, for the notebooks and the HTML reports.

Each function takes planlib output tables and returns an ``altair.Chart``;
nothing here computes a plan. The Gantt chart of a schedule is
:func:`planlib.schedule.gantt_chart`.
"""
from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd


def forecast_chart(history: pd.DataFrame, forecast: pd.DataFrame, items=None, weeks_of_history: int = 78,
                   columns: int = 2, names: pd.DataFrame | None = None) -> alt.FacetChart:
    """History, forecast and its 80 % and 95 % intervals, one panel per item on its own y-scale.

    Parameters
    ----------
    history : DataFrame
        Bucketed history ``item_id, period_start, qty`` [uom] (``ForecastResult.buckets``).
    forecast : DataFrame
        ``item_id, period_start, forecast, lo_80, hi_80, lo_95, hi_95`` (and ``statistical``) [uom].
    items : list of str, optional
        Items to show; default all in ``forecast``.
    names : DataFrame, optional
        The item master (``item_id, description, uom``): panels are titled with the description
        and the y-axis with the unit of measure.

    Returns
    -------
    altair.FacetChart
        One panel per item, each drawn from that item's rows only; tooltips on history and
        forecast. (No zoom: JupyterLab's Vega-Lite rejects a scale binding in a layered facet.)
    """
    items = list(items) if items is not None else sorted(forecast.item_id.unique())
    fc = forecast[forecast.item_id.isin(items)]
    start = fc.period_start.min() - pd.Timedelta(weeks=weeks_of_history)
    hist = history[history.item_id.isin(items) & (history.period_start >= start)]
    keep = [c for c in ("item_id", "period_start", "forecast", "lo_80", "hi_80", "lo_95", "hi_95", "statistical")
            if c in fc]
    data = pd.concat([fc[keep].assign(kind="forecast"),
                      hist[["item_id", "period_start", "qty"]].assign(kind="history")], ignore_index=True)
    panel = data.item_id.astype(str)
    if names is not None and "item_id" in names:
        master = names.drop_duplicates("item_id").set_index("item_id")
        desc = data.item_id.map(master["description"]) if "description" in master else None
        if desc is not None:
            panel = panel + desc.fillna("").map(lambda d: f" - {d}" if d else "")
        if "uom" in master:
            panel = panel + data.item_id.map(master["uom"]).fillna("").map(lambda u: f" [{u}]" if u else "")
    data["panel"] = panel
    data["period_start"] = pd.to_datetime(data.period_start)
    is_fc, is_hist = alt.datum.kind == "forecast", alt.datum.kind == "history"
    x = alt.X("period_start:T", title=None)
    band95 = alt.Chart().transform_filter(is_fc).mark_area(opacity=0.15, color="#d62728").encode(
        x, alt.Y("lo_95:Q", title="per week"), alt.Y2("hi_95:Q"))
    band80 = alt.Chart().transform_filter(is_fc).mark_area(opacity=0.25, color="#d62728").encode(
        x, alt.Y("lo_80:Q"), alt.Y2("hi_80:Q"))
    blue, red = "#1f77b4", "#d62728"
    past = alt.Chart().transform_filter(is_hist).mark_line(color=blue, point=alt.OverlayMarkDef(size=12, color=blue)).encode(
        x, alt.Y("qty:Q"), tooltip=[alt.Tooltip("item_id:N", title="Item"),
                                    alt.Tooltip("period_start:T", title="Week of"),
                                    alt.Tooltip("qty:Q", title="History", format=",.0f")])
    line = alt.Chart().transform_filter(is_fc).mark_line(color=red, point=alt.OverlayMarkDef(size=12, color=red)).encode(
        x, alt.Y("forecast:Q"), tooltip=[alt.Tooltip("item_id:N", title="Item"),
                                         alt.Tooltip("period_start:T", title="Week of"),
                                         alt.Tooltip("forecast:Q", title="Forecast", format=",.0f"),
                                         alt.Tooltip("lo_80:Q", title="80 % low", format=",.0f"),
                                         alt.Tooltip("hi_80:Q", title="80 % high", format=",.0f")])
    layers = [band95, band80, past, line]
    if "statistical" in fc and (fc.statistical != fc.forecast).any():
        layers.append(alt.Chart().transform_filter(is_fc).mark_line(color="#999", strokeDash=[4, 3]).encode(
            x, alt.Y("statistical:Q")))
    return (alt.layer(*layers, data=data).properties(width=330, height=150)
            .facet(facet=alt.Facet("panel:N", title=None, header=alt.Header(labelFontWeight="bold")),
                   columns=columns)
            .resolve_scale(y="independent"))


def family_forecast_chart(history: pd.DataFrame, forecast: pd.DataFrame, items: pd.DataFrame,
                          weeks_of_history: int = 78) -> alt.FacetChart:
    """History and forecast summed per item family, one panel per family on its own y-scale.

    Parameters
    ----------
    history, forecast : DataFrame
        As in :func:`forecast_chart` [uom].
    items : DataFrame
        The item master (``item_id, family``); items without a family are summed as "No family".
    """
    fam = items.drop_duplicates("item_id").set_index("item_id").family.fillna("").replace("", "No family")
    h = history.assign(family=history.item_id.map(fam)).groupby(["family", "period_start"]).qty.sum().reset_index()
    f = forecast.assign(family=forecast.item_id.map(fam)).groupby(["family", "period_start"]).forecast.sum().reset_index()
    h = h[h.period_start >= f.period_start.min() - pd.Timedelta(weeks=weeks_of_history)]
    data = pd.concat([h.rename(columns={"qty": "units"}).assign(series="History"),
                      f.rename(columns={"forecast": "units"}).assign(series="Forecast")], ignore_index=True)
    zoom = alt.selection_interval(bind="scales", encodings=["x"])
    return (alt.Chart(data).mark_line().encode(
        x=alt.X("period_start:T", title=None), y=alt.Y("units:Q", title="per week"),
        color=alt.Color("series:N", title=None, scale=alt.Scale(domain=["History", "Forecast"],
                                                                range=["#1f77b4", "#d62728"])),
        tooltip=[alt.Tooltip("family:N", title="Family"), alt.Tooltip("series:N", title="Series"),
                 alt.Tooltip("period_start:T", title="Week of"), alt.Tooltip("units:Q", title="Units", format=",.0f")])
        .add_params(zoom).properties(width=330, height=140)
        .facet(facet=alt.Facet("family:N", title=None, header=alt.Header(labelFontWeight="bold")), columns=2)
        .resolve_scale(y="independent"))


def demand_class_chart(classes: pd.DataFrame, adi_cutoff: float = 1.32, cv2_cutoff: float = 0.49) -> alt.LayerChart:
    """Items by average inter-demand interval (ADI) and CV² of demand sizes, with the class boundaries.

    Parameters
    ----------
    classes : DataFrame
        The forecast's ``demand_classes`` (:func:`planlib.forecast.classify_demand`): ``item_id,
        adi`` [buckets], ``cv2`` [-], ``demand_class, model``.
    adi_cutoff, cv2_cutoff : float
        The class boundaries drawn (Syntetos, Boylan & Croston 2005).

    Returns
    -------
    altair.LayerChart
    """
    data = classes.dropna(subset=["adi", "cv2"])
    points = alt.Chart(data).mark_circle(size=70).encode(
        x=alt.X("adi:Q", title="average inter-demand interval (periods)", scale=alt.Scale(type="log")),
        y=alt.Y("cv2:Q", title="CV² of demand sizes"),
        color=alt.Color("demand_class:N", title="class"),
        tooltip=["item_id", "demand_class", "adi:Q", "cv2:Q", "model"])
    vline = alt.Chart(pd.DataFrame({"x": [adi_cutoff]})).mark_rule(strokeDash=[4, 4]).encode(x="x:Q")
    hline = alt.Chart(pd.DataFrame({"y": [cv2_cutoff]})).mark_rule(strokeDash=[4, 4]).encode(y="y:Q")
    return (points + vline + hline).properties(width=420, height=260, title="Demand classes")


def capacity_chart(capacity_load: pd.DataFrame, periods: int = 12) -> alt.FacetChart:
    """Load against available hours per work center and week; overloads in red.

    Parameters
    ----------
    capacity_load : DataFrame
        MRP's ``capacity_load``: ``work_center_id, period, period_start, load_hours,
        available_hours, overload_hours`` [h] and ``utilisation`` [fraction] (``docs/mrp.md``).
    periods : int
        The first weeks shown.

    Returns
    -------
    altair.FacetChart
        One panel per work center.
    """
    data = capacity_load[capacity_load.period <= periods].copy()
    data["load"] = np.where(data.overload_hours > 0, "overloaded", "within capacity")
    data["utilisation_pct"] = 100 * data.utilisation
    bars = alt.Chart().mark_bar().encode(
        x=alt.X("period_start:T", title=None), y=alt.Y("load_hours:Q", title="load (h)"),
        color=alt.Color("load:N", scale=alt.Scale(domain=["within capacity", "overloaded"],
                                                  range=["#4c78a8", "#e45756"]), legend=alt.Legend(title=None)),
        tooltip=[alt.Tooltip("work_center_id:N", title="work center"),
                 alt.Tooltip("period_start:T", title="week of", format="%d %b %Y"),
                 alt.Tooltip("load_hours:Q", title="load (h)", format=",.1f"),
                 alt.Tooltip("available_hours:Q", title="available (h)", format=",.1f"),
                 alt.Tooltip("utilisation_pct:Q", title="load (%)", format=",.0f")])
    cap = alt.Chart().mark_line(color="black", interpolate="step-after").encode(
        x="period_start:T", y="available_hours:Q")
    return (alt.layer(bars, cap, data=data).properties(width=250, height=130)
            .facet(facet=alt.Facet("work_center_id:N", title=None), columns=3))


def requisitions_chart(requisitions: pd.DataFrame, periods: int = 12, currency: str = "€") -> alt.Chart:
    """Purchase requisition value per week, stacked by supplier.

    Parameters
    ----------
    requisitions : DataFrame
        MRP's ``purchase_requisitions``: ``supplier_id, period, period_start, orders, items, qty``
        [units] and ``cost`` [currency] (``docs/mrp.md``).
    periods : int
        The first weeks shown.
    currency : str
        The symbol shown.

    Returns
    -------
    altair.Chart
    """
    data = requisitions[requisitions.period <= periods]
    return alt.Chart(data).mark_bar().encode(
        x=alt.X("period_start:T", title=None), y=alt.Y("sum(cost):Q", title=f"purchase value ({currency})"),
        color=alt.Color("supplier_id:N", title="supplier"),
        tooltip=[alt.Tooltip("supplier_id:N", title="supplier"),
                 alt.Tooltip("period_start:T", title="week of", format="%d %b %Y"),
                 alt.Tooltip("orders:Q", title="orders"), alt.Tooltip("qty:Q", title="quantity", format=",.0f"),
                 alt.Tooltip("cost:Q", title=f"value ({currency})", format=",.0f")]
    ).properties(width=600, height=220)


_COST_WORDS = {"material_cost": "material", "labour_cost": "labour", "machine_cost": "machine",
               "order_cost": "ordering", "holding_cost": "holding"}


def cost_chart(cost_projection: pd.DataFrame, currency: str = "€") -> alt.Chart:
    """Plan cost per week by kind (material, labour, machine, ordering, holding).

    Parameters
    ----------
    cost_projection : DataFrame
        MRP's ``cost_projection``: ``period_start`` and the cost columns present of
        ``material_cost, labour_cost, machine_cost, order_cost, holding_cost`` [currency].
    currency : str
        The symbol shown.

    Returns
    -------
    altair.Chart
    """
    kinds = [c for c in _COST_WORDS if c in cost_projection]
    data = cost_projection.melt(id_vars=["period_start"], value_vars=kinds, var_name="cost", value_name="amount")
    data["cost"] = data.cost.map(_COST_WORDS)
    return alt.Chart(data).mark_bar().encode(
        x=alt.X("period_start:T", title=None), y=alt.Y("amount:Q", title=f"cost ({currency})"),
        color=alt.Color("cost:N", title="cost"),
        tooltip=[alt.Tooltip("period_start:T", title="week of", format="%d %b %Y"), "cost:N",
                 alt.Tooltip("amount:Q", title=f"amount ({currency})", format=",.0f")]
    ).properties(width=600, height=220)


#: The KPI trend charts: theme -> (kpi, title, unit) of its panels (``week_kpis`` names).
KPI_THEMES = {
    "Delivery": [("on_time_pct", "Production orders on time", "%"),
                 ("late_orders", "Late production orders", "orders"),
                 ("late_order_lines", "Customer order lines late", "lines")],
    "Load": [("peak_utilisation_pct", "Peak work center load, next 4 weeks", "% of available hours"),
             ("overloaded_work_centers", "Work centers overloaded, next 4 weeks", "work centers")],
    "Material": [("shortages", "Shortage exceptions", "exceptions"),
                 ("exceptions", "Exception messages", "messages")],
    "Money": [("plan_cost", "Plan cost over the horizon", "money"),
              ("inventory_value", "Inventory value on hand", "money")],
}


def kpi_trend_chart(history: pd.DataFrame, kpis=None, currency: str = ""):
    """KPIs over the archived weeks: one chart per theme (delivery, load, material, money).

    Parameters
    ----------
    history : DataFrame
        ``week, kpi, value`` (``planlib.archive.kpi_history`` plus this week).
    kpis : list of str, optional
        Only these KPIs (one chart, "Selected key figures"); default the themes of
        :data:`KPI_THEMES`.
    currency : str
        Symbol shown with money (``€``); default none.

    Returns
    -------
    altair.VConcatChart or IPython.display.Markdown
        A row of panels per theme, each titled with the KPI and its unit, a line with a
        point per week and the week on the axis; with fewer than two weeks archived, a
        sentence instead (a trend needs two points).
    """
    from IPython.display import Markdown

    data = history.copy()
    data["value"] = pd.to_numeric(data.value, errors="coerce")
    data = data.dropna(subset=["value"])
    weeks = sorted(data.week.astype(str).unique())
    if len(weeks) < 2:
        only = f"only week {weeks[0]} is" if weeks else "no week is"
        return Markdown(f"No trend yet: {only} in the plan archive. From next week's run on, the key figures "
                        "are drawn week by week here.")
    themes = KPI_THEMES if kpis is None else {"Selected key figures": [(k, k.replace("_", " ").capitalize(), "")
                                                                      for k in kpis]}
    rows = []
    for theme, panels in themes.items():
        charts = []
        for kpi, title, unit in panels:
            d = data[data.kpi == kpi]
            if d.empty:
                continue
            unit = (currency or "") if unit == "money" else unit
            full = f"{title} ({unit})" if unit else title
            fmt = ",.0f" if d.value.abs().max() >= 100 or (d.value % 1 == 0).all() else ",.1f"
            charts.append(alt.Chart(d.assign(week=d.week.astype(str))).mark_line(point=alt.OverlayMarkDef(size=60))
                          .encode(x=alt.X("week:O", title="week", sort=weeks, scale=alt.Scale(domain=weeks),
                                          axis=alt.Axis(labelAngle=0)),
                                  y=alt.Y("value:Q", title=unit or None, axis=alt.Axis(format=fmt),
                                          scale=alt.Scale(zero=True)),
                                  tooltip=[alt.Tooltip("week:N", title="week"),
                                           alt.Tooltip("value:Q", title=full, format=fmt)])
                          .properties(width=260, height=140, title=full))
        if charts:
            rows.append(alt.hconcat(*charts).properties(
                title=alt.TitleParams(theme, anchor="start", fontSize=15)))
    if not rows:
        return Markdown("No key figure with a trend to draw in the plan archive.")
    return alt.vconcat(*rows).resolve_scale(y="independent")


def mrp_grid_view(mrp_grid: pd.DataFrame, items, periods: int = 12) -> pd.DataFrame:
    """The MRP grid as planners read it: per item the six MRP lines as rows, the weeks as columns.

    Parameters
    ----------
    mrp_grid : DataFrame
        MRP's ``grid``: ``item_id, period, period_start, gross_requirements, scheduled_receipts,
        projected_on_hand, net_requirements, planned_order_receipts, planned_order_releases``
        [units] (``docs/mrp.md``).
    items : str or list of str
        The items shown.
    periods : int
        The first weeks shown.

    Returns
    -------
    DataFrame
        Index ``(item_id, line)`` (the six lines in MRP order), one column per week labelled
        ``dd Mon`` (its Monday), values [units].
    """
    items = [items] if isinstance(items, str) else list(items)
    rows = ["gross_requirements", "scheduled_receipts", "projected_on_hand", "net_requirements",
            "planned_order_receipts", "planned_order_releases"]
    g = mrp_grid[mrp_grid.item_id.isin(items) & (mrp_grid.period <= periods)]
    long = g.melt(id_vars=["item_id", "period_start"], value_vars=rows, var_name="line")
    view = long.pivot_table(index=["item_id", "line"], columns="period_start", values="value", sort=False,
                            observed=True)  # item_id is categorical: pandas warns without it
    view.columns = [c.strftime("%d %b") for c in view.columns]
    order = {r: i for i, r in enumerate(rows)}
    return view.sort_index(level=[0, 1], key=lambda s: s.map(order) if s.name == "line" else s)
