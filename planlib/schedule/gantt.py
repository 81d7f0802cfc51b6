"""The Gantt chart of a schedule: one row per machine, as a scheduler reads it.

Bars are the scheduled operations (setup and run apart), labelled with the order and the
item where they fit, with a tooltip giving the operation's details. An operation that ends
after its order's due date is a *late operation* and is drawn in red (an earlier operation
of a late order that ends in time is not). Behind the bars, bands show the time the
machine does not work (off shift, weekends), holidays, maintenance and breakdowns, and the
overtime it works (``calendar_exceptions``), from :mod:`planlib.calendar`. The time axis
reads as days, and as hours once zoomed in; drag to pan, wheel to zoom (down to a day).

Vocabulary: ``docs/glossary.md``.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from planlib.calendar import machine_intervals
from planlib.schedule.tickets import format_qty

#: Legend entries and colours: bars first, then the bands behind them.
KINDS = {
    "run": "#4c78a8",
    "run, late operation": "#d62728",
    "setup": "#9ecae9",
    "not working (off shift)": "#ececec",
    "holiday": "#cfcfcf",
    "maintenance": "#fdd49e",
    "breakdown": "#f4a582",
    "overtime": "#b8e0b1",
}
BAR_KINDS = ("run", "run, late operation", "setup")
_BAND_OF = {"holiday": "holiday", "maintenance": "maintenance", "breakdown": "breakdown", "overtime": "overtime"}
_DT = "%a %d %b %Y %H:%M"


def _dt(ts) -> str:
    return "" if pd.isna(ts) else pd.Timestamp(ts).strftime(_DT)


def _hours(minutes) -> str:
    return f"{float(minutes) / 60:.2f} h"


def _split(bars: pd.DataFrame, work: pd.DataFrame) -> pd.DataFrame:
    """Bars cut to the working time of their machine: a run paused over a night, a weekend or a
    breakdown is drawn as pieces, so that no bar crosses a band. A bar with no working time
    at all (a zero-length run) is kept as it is."""
    by_machine = {m: (g.start.to_numpy("datetime64[ns]"), g.end.to_numpy("datetime64[ns]"))
                  for m, g in work.assign(machine_id=work.machine_id.astype(str)).sort_values("start")
                  .groupby("machine_id")}
    keep, starts, ends = [], [], []
    for i, (m, a, b) in enumerate(zip(bars.machine_id, bars.bar_start.to_numpy("datetime64[ns]"),
                                      bars.bar_end.to_numpy("datetime64[ns]"))):
        ws, we = by_machine.get(m, (np.array([], "datetime64[ns]"), np.array([], "datetime64[ns]")))
        hit = np.flatnonzero((ws < b) & (we > a))
        if len(hit) == 0 or b <= a:
            keep.append(i), starts.append(a), ends.append(b)
            continue
        for k in hit:
            keep.append(i), starts.append(max(a, ws[k])), ends.append(min(b, we[k]))
    out = bars.iloc[keep].reset_index(drop=True)
    out["bar_start"], out["bar_end"] = starts, ends
    return out


def gantt_bars(schedule: pd.DataFrame, items: pd.DataFrame | None = None,
               work: pd.DataFrame | None = None) -> pd.DataFrame:
    """The bars of the Gantt chart, one per setup and one per run of every operation.

    Parameters
    ----------
    schedule : DataFrame
        See :func:`planlib.schedule.report.to_schedule`.
    items : DataFrame, optional
        The ``items`` table (``item_id, description, uom``) for the tooltips.
    work : DataFrame, optional
        Working intervals ``machine_id, start, end`` (:func:`planlib.calendar.machine_intervals`):
        each bar is then cut into its pieces in working time.

    Returns
    -------
    DataFrame
        Columns ``machine_id, work_center_id, order_id, item_id, op_seq, kind`` (``run``,
        ``run, late operation`` or ``setup``), ``bar_start, bar_end`` (timestamps),
        ``label`` (order and item), ``late`` (bool, the operation
        ends after its order's due date),
        and the tooltip texts ``item, operation, start_text, end_text, setup_text, run_text,
        qty_text, due_text, late_text``.
    """
    cols = ["machine_id", "work_center_id", "order_id", "item_id", "op_seq", "kind", "bar_start", "bar_end",
            "label", "late", "item", "operation", "start_text", "end_text", "setup_text", "run_text",
            "qty_text", "due_text", "late_text"]
    if schedule is None or len(schedule) == 0:
        return pd.DataFrame(columns=cols)
    s = schedule.reset_index(drop=True)
    desc = uom = {}
    if items is not None and len(items):
        it = items.set_index("item_id")
        desc = it.description.dropna().to_dict() if "description" in it else {}
        uom = it.uom.dropna().to_dict() if "uom" in it else {}
    late = s.lateness.astype(float) > 1e-9
    base = pd.DataFrame({
        "machine_id": s.machine_id.astype(str), "work_center_id": s.work_center_id.astype(str),
        "order_id": s.order_id.astype(str), "item_id": s.item_id.astype(str), "op_seq": s.op_seq.astype(int),
        "label": s.order_id.astype(str) + " " + s.item_id.astype(str), "late": late.to_numpy(),
        "item": [f"{i} {desc[i]}" if i in desc else str(i) for i in s.item_id],
        "operation": [f"op {int(o)} at {w}" for o, w in zip(s.op_seq, s.work_center_id)],
        "start_text": [_dt(t) for t in s.setup_start], "end_text": [_dt(t) for t in s["end"]],
        "setup_text": [_hours(a + b) for a, b in zip(s.setup_min, s.changeover_min)],
        "run_text": [_hours(r) for r in s.run_min],
        "qty_text": [format_qty(q, uom.get(i, "")) for q, i in zip(s.qty.astype(float), s.item_id)],
        "due_text": [pd.Timestamp(d).strftime("%a %d %b %Y") if pd.notna(d) else "" for d in s.due_date],
        "late_text": [f"{v:.1f} h late" if v > 1e-9 else "on time" for v in s.lateness.astype(float)],
    })
    runs = base.assign(kind=np.where(late, "run, late operation", "run"), bar_start=s.start.to_numpy(),
                       bar_end=s["end"].to_numpy())
    has_setup = (s.setup_start < s.start).to_numpy()
    setups = base[has_setup].assign(kind="setup", bar_start=s.setup_start[has_setup].to_numpy(),
                                    bar_end=s.start[has_setup].to_numpy(), label="")
    out = pd.concat([setups, runs], ignore_index=True)[cols]
    return _split(out, work) if work is not None and len(work) else out


def off_shift(work: pd.DataFrame, machines, start, end) -> pd.DataFrame:
    """The time between the working intervals of each machine in the window.

    Parameters
    ----------
    work : DataFrame
        Working intervals: ``machine_id, start, end`` (timestamps; :func:`planlib.calendar.machine_intervals`).
    machines : iterable of str
        The machines shown.
    start, end : datetime-like
        The window.

    Returns
    -------
    DataFrame
        Columns ``machine_id, kind`` (``not working (off shift)``), ``start, end`` (timestamps), ``text``.
    """
    start, end = pd.Timestamp(start), pd.Timestamp(end)
    rows = []
    for m in [str(x) for x in machines]:
        w = work[work.machine_id.astype(str) == m].sort_values("start")
        w = w[(w.end > start) & (w.start < end)]
        edges = [start] + [x for pair in zip(w.start.clip(lower=start), w.end.clip(upper=end)) for x in pair] + [end]
        for a, b in zip(edges[0::2], edges[1::2]):
            if b > a:
                rows.append((m, "not working (off shift)", a, b, f"not working: {_dt(a)} to {_dt(b)}"))
    return pd.DataFrame(rows, columns=["machine_id", "kind", "start", "end", "text"])


def calendar_bands(ds, machines, start, end, work: pd.DataFrame | None = None) -> pd.DataFrame:
    """Bands to draw behind the bars: when each machine does not work, and why.

    The machine's working time comes from :func:`planlib.calendar.machine_intervals`; the
    time between its working intervals is ``not working (off shift)``. Every
    ``calendar_exceptions`` row that applies to the machine (naming it, or its calendar) adds
    a band of its kind: ``holiday``, ``maintenance``, ``breakdown`` (time lost) or
    ``overtime`` (time added).

    Parameters
    ----------
    ds : Dataset
        Uses ``machines, work_centers, calendars, calendar_exceptions``.
    machines : list-like
        The machines to draw.
    start, end : datetime-like
        The window of the chart.
    work : DataFrame, optional
        ``machine_intervals(ds, start, end)`` if already computed.

    Returns
    -------
    DataFrame
        Columns ``machine_id, kind, start, end`` (timestamps, clipped to the window),
        ``text`` (the tooltip: kind, description, from and until).
    """
    cols = ["machine_id", "kind", "start", "end", "text"]
    start, end = pd.Timestamp(start), pd.Timestamp(end)
    machines = [str(m) for m in machines]
    if work is None:
        work = machine_intervals(ds, start, end)
    rows = list(off_shift(work, machines, start, end).itertuples(index=False, name=None))
    mt = ds.machines.assign(machine_id=ds.machines.machine_id.astype(str))
    wc_cal = ds.work_centers.set_index("work_center_id").calendar_id
    cal_of = dict(zip(mt.machine_id, mt.calendar_id.fillna(mt.work_center_id.map(wc_cal))))
    ex = ds.calendar_exceptions if ds.has("calendar_exceptions") else pd.DataFrame()
    if len(ex):
        ex = ex[(pd.to_datetime(ex.end) > start) & (pd.to_datetime(ex.start) < end)
                & ex.kind.astype(str).isin(list(_BAND_OF))]
        desc = ex.description if "description" in ex else pd.Series("", index=ex.index)
        for cid, mid, a, b, kind, d in zip(ex.calendar_id, ex.machine_id, pd.to_datetime(ex.start),
                                           pd.to_datetime(ex.end), ex.kind.astype(str), desc):
            for m in machines:
                if (pd.notna(mid) and str(mid) == m) or (pd.isna(mid) and pd.notna(cid) and cal_of.get(m) == cid):
                    a2, b2 = max(a, start), min(b, end)
                    note = f" ({d})" if isinstance(d, str) and d.strip() else ""
                    rows.append((m, _BAND_OF[kind], a2, b2, f"{kind}{note}: {_dt(a)} to {_dt(b)}"))
    out = pd.DataFrame(rows, columns=cols)
    # off-shift first, so that a breakdown or overtime band is drawn over it
    out["_k"] = (out.kind != "not working (off shift)").astype(int)
    return out.sort_values(["_k", "machine_id", "start"]).drop(columns="_k").reset_index(drop=True)


def machine_order(schedule: pd.DataFrame, ds=None) -> list[str]:
    """Machines top to bottom: by work center in routing order of the data, then machine.

    Parameters
    ----------
    schedule : DataFrame
        The ``schedule`` table (:func:`planlib.schedule.report.to_schedule`): ``order_id, item_id, op_seq,
        work_center_id, machine_id, start, end`` (timestamps), ``qty`` [uom] ...
    ds : Dataset, optional
        Its ``routings`` give the work centers' order.

    Returns
    -------
    list of str
        Machine ids.
    """
    if ds is not None and ds.has("machines"):
        used = set(schedule.machine_id.astype(str))
        m = ds.machines.assign(machine_id=ds.machines.machine_id.astype(str))
        return [x for x in m.sort_values(["work_center_id", "machine_id"]).machine_id if x in used]
    return sorted(schedule.machine_id.astype(str).unique())


def _vl_date(ts) -> dict:
    ts = pd.Timestamp(ts)
    return {"year": ts.year, "month": ts.month, "date": ts.day, "hours": ts.hour, "minutes": ts.minute}


def gantt_chart(schedule: pd.DataFrame, ds=None, title: str = "Schedule", width: int = 1100, days: int = 14,
                calendar_intervals: pd.DataFrame | None = None):
    """The Gantt chart of a schedule (altair), with calendar bands when ``ds`` is given.

    Parameters
    ----------
    schedule : DataFrame
        See :func:`planlib.schedule.report.to_schedule`.
    ds : Dataset, optional
        For item descriptions and units, and the bands of non-working time, holidays,
        maintenance, breakdowns and overtime (:func:`calendar_bands`). Without it the chart
        has bars only, or with ``calendar_intervals`` the off-shift bands alone.
    title : str
    width : int
        Width of the plot [px].
    days : int
        The chart opens on this many days from the first operation (0: the whole schedule);
        pan or zoom out for the rest.
    calendar_intervals : DataFrame, optional
        Without ``ds``: the machines' working intervals ``machine_id, start, end``
        (:attr:`planlib.schedule.problem.Problem.calendar_intervals`); bars are cut to them and
        the time between them is drawn as ``not working`` (a breakdown too, unnamed).

    Returns
    -------
    altair.LayerChart
        Layers ``bands`` (behind), ``operations`` (bars, coloured by :data:`KINDS`) and
        ``labels`` (order and item, shown where the bar is wide enough). One legend lists
        run, late operation, setup and the band kinds present. Zoom and pan on the time
        axis (an interval selection bound to the scales); the axis shows days, and hours
        when zoomed in to a day.
    """
    import altair as alt

    bars = gantt_bars(schedule, ds.items if ds is not None and ds.has("items") else None)
    order = machine_order(schedule, ds) if len(schedule) else []
    bands = pd.DataFrame(columns=["machine_id", "kind", "start", "end", "text"])
    t0 = pd.Timestamp(bars.bar_start.min()).floor("D") if len(bars) else None
    if len(bars) and ds is not None:
        t1 = max(pd.Timestamp(bars.bar_end.max()).ceil("D"), t0 + pd.Timedelta(days=1))
        work = machine_intervals(ds, t0, t1)
        bars = _split(bars, work)
        bands = calendar_bands(ds, order, t0, t1, work)
    elif len(bars) and calendar_intervals is not None and len(calendar_intervals):
        t1 = max(pd.Timestamp(bars.bar_end.max()).ceil("D"), t0 + pd.Timedelta(days=1))
        work = calendar_intervals[["machine_id", "start", "end"]]
        bars = _split(bars, work)
        bands = off_shift(work, order, t0, t1)
    present = list(BAR_KINDS) + [k for k in KINDS if k not in BAR_KINDS and k in set(bands.kind)]
    color = alt.Color("kind:N", title=None, scale=alt.Scale(domain=present, range=[KINDS[k] for k in present]),
                      legend=alt.Legend(orient="top", columns=len(present), symbolType="square"))
    x_axis = alt.Axis(
        title=None, grid=True, labelOverlap=True, format="%a %d %b",
        labelExpr="hours(datum.value) == 0 && minutes(datum.value) == 0 ? "
                  "timeFormat(datum.value, '%a %d %b') : timeFormat(datum.value, '%H:%M')")
    y = alt.Y("machine_id:N", sort=order, title=None, scale=alt.Scale(domain=order),
              axis=alt.Axis(labelFontWeight="bold", labelFontSize=12))
    zoom = alt.selection_interval(bind="scales", encodings=["x"], name="zoom")
    if len(bars) and days and pd.Timestamp(bars.bar_end.max()) - t0 > pd.Timedelta(days=days):
        # open on the first days of the plan; pan to see the rest
        zoom = alt.selection_interval(bind="scales", encodings=["x"], name="zoom", value={"x": [
            _vl_date(t0), _vl_date(t0 + pd.Timedelta(days=days))]})
    band_layer = alt.Chart(bands, name="bands").mark_rect(opacity=0.9).encode(
        x=alt.X("start:T", axis=x_axis),
        x2="end:T", y=y, color=color, tooltip=[alt.Tooltip("machine_id:N", title="machine"),
                                               alt.Tooltip("text:N", title="calendar")])
    op_layer = alt.Chart(bars, name="operations").mark_bar(height={"band": 0.7}, stroke="white",
                                                           strokeWidth=0.5).encode(
        x=alt.X("bar_start:T", axis=x_axis), x2="bar_end:T", y=y, color=color,
        tooltip=[alt.Tooltip("order_id:N", title="order"), alt.Tooltip("item:N", title="item"),
                 alt.Tooltip("operation:N", title="operation"), alt.Tooltip("machine_id:N", title="machine"),
                 alt.Tooltip("kind:N", title="bar"), alt.Tooltip("start_text:N", title="setup from"),
                 alt.Tooltip("end_text:N", title="run until"), alt.Tooltip("setup_text:N", title="setup"),
                 alt.Tooltip("run_text:N", title="run"), alt.Tooltip("qty_text:N", title="quantity"),
                 alt.Tooltip("due_text:N", title="order due"), alt.Tooltip("late_text:N", title="late by")],
    ).add_params(zoom)
    # the label shows only where the bar is wide enough at the current zoom
    fits = "scale('x', toDate(datum.bar_end)) - scale('x', toDate(datum.bar_start)) > 6 * length(datum.label) + 6"
    label_layer = alt.Chart(bars[(bars.kind != "setup") & (bars.label != "")], name="labels").mark_text(
        align="left", baseline="middle", dx=3, fontSize=10, color="white", clip=True).encode(
        x="bar_start:T", y=y, text="label:N",
        opacity=alt.condition(fits, alt.value(1.0), alt.value(0.0)))
    height = max(120, 30 * len(order))
    return alt.layer(band_layer, op_layer, label_layer, title=title).properties(
        width=width, height=height).configure_view(stroke=None)
