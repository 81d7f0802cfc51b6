"""Shared HTML reports: notebook export, KPI cards, the reports index.

Reports are self-contained: code hidden, charts interactive with the Vega libraries inlined once,
tables through :func:`table` (itables offline for long ones), no script or
style from another host, so a report opens offline and can be sent by mail.
"""
from __future__ import annotations

import html
import json
import math
import os
import re
from pathlib import Path
from urllib.parse import quote

import pandas as pd

TEMPLATES = Path(__file__).parent / "templates"


#: Vega-Lite mimetype of the notebook outputs: JupyterLab renders it natively, the exported page
#: through the Vega libraries inlined once in the page (templates/report/index.html.j2).
VEGALITE_MIME = "application/vnd.vegalite.v5+json"
#: Vega-Lite version of the libraries inlined in a page (vl-convert bundles them), matching the mimetype.
VEGALITE_VERSION = "5.21"
#: Tables up to this many rows stay plain HTML; longer ones are interactive (sortable, searchable, CSV).
PLAIN_ROWS = 15

#: Kept out of the KPI cards: how the plan was made, not a key figure (see :func:`how_made`).
NOT_KPIS = frozenset({"solver_status", "gap_pct", "gap", "objective", "bound", "seconds"})

#: Columns whose values are code names shown as words (``release_in_past`` -> "Release date passed").
CODE_VALUE_COLUMNS = frozenset({"exception", "line", "kpi", "change", "kind"})

_CONTEXT: dict = {"items": None, "suppliers": None, "currency": "EUR", "params": None}

CSS = """
.planlib-kpis{display:flex;flex-wrap:wrap;gap:12px;margin:8px 0 16px 0;font-family:system-ui,sans-serif}
.planlib-kpi{border:1px solid #ccd;border-radius:6px;padding:8px 14px;min-width:150px;max-width:260px;background:#f7f8fb;color:#222}
.planlib-kpi .value{font-size:1.6em;font-weight:600;white-space:nowrap}
.planlib-kpi .label{color:#555;font-size:.85em}
.planlib-kpi.bad{border-color:#d33;background:#fff3f3}
.planlib-kpi.good{border-color:#3a3}
.planlib-kpi .delta{font-size:.8em;color:#555}
table.planlib-table.planlib-table{border-collapse:collapse;font-size:.9em;margin:4px 0 12px 0}
table.planlib-table.planlib-table th{text-align:left;border-bottom:2px solid #889;padding:4px 8px;background:#f2f3f7;color:#222}
table.planlib-table.planlib-table td{text-align:left;border-bottom:1px solid #ddd;padding:3px 8px;color:#222}
table.planlib-table.planlib-table td.num{text-align:right;white-space:nowrap}
table.dataTable.display th,table.dataTable.display td{text-align:left}
table.dataTable.display th.dt-right,table.dataTable.display td.dt-right{text-align:right}
table.dataTable.display td.planlib-nowrap{white-space:nowrap}
table.dataTable.display td.planlib-long{min-width:18em;max-width:40em;white-space:normal}
.dt-container .dt-layout-table{overflow-x:auto}
.planlib-how{font-size:.85em;color:#444;border-top:1px solid #ccd;margin-top:24px;padding-top:6px}
.planlib-how.planlib-how table{border-collapse:collapse}
.planlib-how.planlib-how th{color:#666;font-weight:normal;text-align:left;padding:1px 16px 1px 0;white-space:nowrap}
.planlib-how.planlib-how td{text-align:left;padding:1px 0}
.planlib-chart{margin:6px 0 14px 0}
"""


def _style() -> str:
    return f"<style>{CSS}</style>"


def setup_notebook(ds=None, params=None) -> None:
    """Display settings for planlib notebooks and reports; call once after loading the data.

    Charts are shown as Vega-Lite (interactive in JupyterLab and in the exported page, where
    the libraries are inlined once); every DataFrame shown in a cell goes through :func:`table`
    (labels in plain words, item descriptions and supplier names next to their codes, numbers
    formatted); the interactive-table library is loaded once, offline (itables, no network).

    Parameters
    ----------
    ds : Dataset, optional
        The plan's dataset: ``items.description, uom`` and ``suppliers.name`` are shown next
        to ``item_id`` and ``supplier_id``.
    params : PlanParams, optional
        The plan's settings: ``currency`` is the symbol of every money figure.
    """
    import altair as alt

    _CONTEXT.update(items=None, suppliers=None, params=params,
                    currency=getattr(params, "currency", None) or "EUR")
    if ds is not None:
        items = getattr(ds, "items", None)
        if items is not None and "item_id" in items:
            cols = [c for c in ("description", "uom") if c in items]
            _CONTEXT["items"] = items.drop_duplicates("item_id").set_index("item_id")[cols]
        suppliers = getattr(ds, "suppliers", None)
        if suppliers is not None and "supplier_id" in suppliers and "name" in suppliers:
            _CONTEXT["suppliers"] = suppliers.drop_duplicates("supplier_id").set_index("supplier_id").name

    if "planlib" not in alt.renderers.names():
        alt.renderers.register("planlib", _vegalite_mimebundle)
    alt.renderers.enable("planlib")
    alt.data_transformers.disable_max_rows()
    pd.set_option("display.max_rows", 60)  # the text/plain copy only: reports show the HTML of table()
    pd.set_option("display.max_columns", 30)
    pd.set_option("display.float_format", lambda v: _labels().format_number(v))
    try:
        from IPython import get_ipython
        from IPython.display import HTML, display
    except ImportError:  # not in a notebook: nothing to display
        return
    ip = get_ipython()
    if ip is None:
        return
    html_formatter = ip.display_formatter.formatters["text/html"]
    html_formatter.for_type(pd.DataFrame, lambda df: table_html(df))
    html_formatter.for_type(pd.Series, lambda s: table_html(s.to_frame()))
    display(HTML(_itables_offline_html() + _style()))  # the table library, once per notebook, offline


def _itables_offline_html() -> str:
    """The DataTables library of itables as one inline script (no network), for the first output.

    itables' ``init_notebook_mode(connected=False)`` also displays a dark-theme helper that awaits
    the library before it exists (a console error in JupyterLab); only the library is needed here.
    """
    import itables.options as opt
    from itables.javascript import generate_init_offline_itables_html

    return generate_init_offline_itables_html(opt.dt_bundle)


def _labels():
    from planlib import labels

    return labels


def _finite(value):
    """A chart spec with every NaN or infinite number as null (JSON has no NaN: the kernel would
    fail to send the chart, with a warning in the page)."""
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _vegalite_mimebundle(spec: dict, **kwargs) -> dict:
    """Altair renderer: the Vega-Lite spec under the v5 mimetype JupyterLab renders natively."""
    spec = _finite(dict(spec))
    spec["$schema"] = f"https://vega.github.io/schema/vega-lite/v{VEGALITE_VERSION.split('.')[0]}.json"
    return {VEGALITE_MIME: spec, "text/plain": "<chart>"}


def chart_html(chart, element_id: str = "chart") -> str:
    """A chart's ``<div>`` and the module script that draws it (needs :func:`vega_script` once in the page)."""
    if hasattr(chart, "to_dict"):
        import altair as alt

        with alt.data_transformers.disable_max_rows():  # a large plant's Gantt has more than 5,000 bars
            spec = chart.to_dict()
    else:
        spec = dict(chart)
    spec = _vegalite_mimebundle(spec)[VEGALITE_MIME]
    # no "<", ">" or "&" in the script: text from the data (an item description, a scenario's name)
    # can neither close the script element nor change how the HTML parser reads it
    data = json.dumps(spec).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    eid = html.escape(element_id)
    return (f'<div class="planlib-chart" id="{eid}"></div>\n<script type="module">'
            f'vegaEmbed("#{eid}", {data}, {{"actions": false, "renderer": "svg"}})'
            f'.catch(e => console.error(e));</script>')


def vega_script() -> str:
    """The Vega, Vega-Lite and vega-embed libraries as one inline module script (about 900 kB)."""
    return f'<script type="module">{_vega_bundle()}</script>'


_BUNDLE: dict = {}


def _vega_bundle() -> str:
    if "js" not in _BUNDLE:
        import vl_convert

        _BUNDLE["js"] = vl_convert.javascript_bundle(vl_version=VEGALITE_VERSION).replace("</script", "<\\/script")
    return _BUNDLE["js"]


def chart_page(chart, title: str) -> str:
    """A one-file offline HTML page showing one interactive chart (Vega inlined, nothing fetched)."""
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
            f'{_style()}{vega_script()}</head><body style="font-family:sans-serif">'
            f'<h1>{html.escape(title)}</h1>{chart_html(chart)}</body></html>\n')


def export_html(notebook: str | os.PathLike, html_path: str | os.PathLike, title: str | None = None) -> Path:
    """Export an executed notebook to a self-contained HTML page with the code hidden.

    Charts (Vega-Lite outputs) stay interactive: the Vega libraries are inlined once in the
    page head, never fetched. Returns the path written.
    """
    import nbformat
    from nbconvert import HTMLExporter

    nb = nbformat.read(str(notebook), as_version=4)
    if title:
        nb.metadata["title"] = title
    charts = 0
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if VEGALITE_MIME in data:  # drawn in the page by the libraries inlined once in the head
                charts += 1
                output["data"] = {"text/html": chart_html(data[VEGALITE_MIME], f"planlib-chart-{charts}")}
    exporter = HTMLExporter(template_name="report", extra_template_basedirs=[str(TEMPLATES)],
                            exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True,
                            embed_images=True)
    body, _ = exporter.from_notebook_node(nb, resources={"planlib_vega": vega_script() if charts else ""})
    out = Path(html_path)
    tmp = out.with_name(f".{out.name}.tmp")
    tmp.write_text(body, encoding="utf-8")
    os.replace(tmp, out)
    return out


# ---------------------------------------------------------------- tables

def currency_symbol() -> str:
    """The symbol of the plan's currency (``PlanParams.currency`` given to :func:`setup_notebook`), for chart titles."""
    return _labels().currency_symbol(_CONTEXT.get("currency") or "EUR")


def display_frame(df, currency: str | None = None) -> pd.DataFrame:
    """The table as a report shows it: labelled columns, names next to codes, every cell text.

    Parameters
    ----------
    df : DataFrame or Series
        Any planlib table. A named index becomes columns; an unnamed one (row numbers) is dropped.
    currency : str, optional
        ISO code of money columns; default the one of :func:`setup_notebook` (``PlanParams.currency``).

    Returns
    -------
    DataFrame
        String cells (blank for missing values), columns labelled with :func:`planlib.labels.label`:
        the item's description and unit of measure follow ``item_id`` and the supplier's name follows
        ``supplier_id`` when the dataset is known (:func:`setup_notebook`).
    """
    cur = currency or _CONTEXT.get("currency") or "EUR"
    if isinstance(df, pd.Series):
        df = df.to_frame()
    df = df.copy()
    if isinstance(df.columns, pd.MultiIndex):
        df.columns = [" ".join(str(x) for x in c if str(x)) for c in df.columns]
    if isinstance(df.index, pd.MultiIndex) or df.index.name is not None:
        df = df.reset_index()
    else:
        df = df.reset_index(drop=True)
    df = _add_names(df)
    out = {}
    for col in df.columns:
        out[_header(col, cur)] = _format_column(df[col], col, cur)
    frame = pd.DataFrame({k: v.values for k, v in out.items()}) if out else pd.DataFrame(index=df.index)
    frame.columns = _unique(list(out))
    return frame


def _header(col, cur) -> str:
    lab = _labels()
    if isinstance(col, (pd.Timestamp,)) or hasattr(col, "isoformat"):
        return lab.format_date(col)
    return lab.label(str(col), cur)


def _unique(names):
    seen, res = {}, []
    for n in names:
        seen[n] = seen.get(n, 0) + 1
        res.append(n if seen[n] == 1 else f"{n} ({seen[n]})")
    return res


def _add_names(df: pd.DataFrame) -> pd.DataFrame:
    items, suppliers = _CONTEXT.get("items"), _CONTEXT.get("suppliers")
    lab = _labels()
    if items is not None and "item_id" in df and "description" not in df and "item_description" not in df \
            and "description" in items:
        pos = df.columns.get_loc("item_id") + 1
        ids = df["item_id"].astype(object)
        df.insert(pos, "item_description", ids.map(items["description"]).astype(object).fillna(""))
        if "uom" not in df and "uom" in items and any(c in lab.QUANTITIES for c in df.columns):
            df.insert(pos + 1, "uom", ids.map(items["uom"]).astype(object).fillna(""))
    if suppliers is not None and "supplier_id" in df and "supplier_name" not in df:
        df.insert(df.columns.get_loc("supplier_id") + 1, "supplier_name",
                  df["supplier_id"].astype(object).map(suppliers).astype(object).fillna(""))
    return df


def _format_column(s: pd.Series, name, cur: str) -> pd.Series:
    lab = _labels()
    key = str(name)
    if isinstance(s.dtype, pd.CategoricalDtype):
        s = s.astype(object)
    if pd.api.types.is_bool_dtype(s):
        return s.map(lambda v: "" if lab._missing(v) else ("yes" if v else "no"))
    if pd.api.types.is_datetime64_any_dtype(s):
        ts = pd.to_datetime(s)
        if getattr(ts.dt, "tz", None) is not None:
            ts = ts.dt.tz_localize(None)
        whole = ts.dropna()
        fmt = "%Y-%m-%d" if (whole == whole.dt.normalize()).all() else "%Y-%m-%d %H:%M"
        return ts.dt.strftime(fmt).fillna("")
    if pd.api.types.is_timedelta64_dtype(s):
        return (s.dt.total_seconds() / 3600).map(lambda v: "" if lab._missing(v) else f"{lab.format_number(v)} h")
    if pd.api.types.is_numeric_dtype(s):
        if key in lab.MONEY or "{cur}" in lab.LABELS.get(key, "") or key.endswith("_cost"):
            return s.map(lambda v: lab.format_money(v, cur))
        return s.map(lab.format_number)
    if key in CODE_VALUE_COLUMNS:
        return s.map(lambda v: "" if lab._missing(v) else
                     (lab.label(v, cur) if isinstance(v, str) and (v in lab.LABELS or "_" in v) else str(v)))
    return s.map(_cell)


def _cell(v) -> str:
    lab = _labels()
    if lab._missing(v):
        return ""
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, (pd.Timestamp,)) or hasattr(v, "isoformat"):
        return lab.format_date(v)
    if isinstance(v, float):
        return lab.format_number(v)
    return str(v)


def table_html(df, name: str = "table", plain_rows: int = PLAIN_ROWS) -> str:
    """The HTML of :func:`table`."""
    view = display_frame(df)
    if len(view) <= plain_rows:
        return _plain_table(view)
    import itables

    safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", str(name)).strip("_") or "table"
    short = _short_targets(view)
    return itables.to_html_datatable(
        view, connected=False, maxBytes=0, maxRows=0, maxColumns=0, showIndex=False,
        classes="display compact cell-border", style="width:auto;margin:0;caption-side:bottom",
        pageLength=25,
        lengthMenu=[[25, 100, -1], [25, 100, "all"]],
        layout={"topStart": "buttons", "topEnd": "search", "bottomStart": "info",
                "bottomEnd": ["pageLength", "paging"]},
        buttons=[{"extend": "csvHtml5", "text": "Download CSV", "title": safe}],
        columnDefs=[{"className": "dt-right", "targets": _numeric_targets(view)},
                    {"className": "planlib-nowrap", "targets": short},
                    {"className": "planlib-long", "targets": [i for i in range(len(view.columns)) if i not in short]}],
        allow_html=False)


def _short_targets(view: pd.DataFrame, width: int = 32) -> list[int]:
    """Columns kept on one line (codes, numbers, dates); longer texts (reasons, messages) wrap."""
    return [i for i, c in enumerate(view.columns) if not len(view) or view[c].str.len().max() <= width]


def _numeric_targets(view: pd.DataFrame) -> list[int]:
    num = re.compile(r"^-?[€$£¥]?\s?-?[\d,]+(\.\d+)?( [a-z%]+)?$")
    return [i for i, c in enumerate(view.columns)
            if view[c].ne("").any() and view[c][view[c].ne("")].map(lambda v: bool(num.match(v))).all()]


def _plain_table(view: pd.DataFrame) -> str:
    if view.empty and not len(view.columns):
        return "<p>Nothing to show.</p>"
    nums = set(_numeric_targets(view)) if len(view) else set()
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in view.columns)
    rows = "".join("<tr>" + "".join(
        f'<td class="num">{html.escape(v)}</td>' if i in nums else f"<td>{html.escape(v)}</td>"
        for i, v in enumerate(r)) + "</tr>" for r in view.itertuples(index=False))
    if not len(view):
        rows = f'<tr><td colspan="{len(view.columns)}">Nothing to show.</td></tr>'
    return f'{_style()}<table class="planlib-table"><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>'


def table(df, name: str = "table", plain_rows: int = PLAIN_ROWS):
    """Show a table as planners read it: every row, labels in words, names next to codes.

    Up to ``plain_rows`` rows a plain styled table; longer tables are interactive (sortable,
    searchable, every row reachable, "Download CSV" of the table shown), offline. Every
    notebook output goes through here (a bare DataFrame in a cell too, after :func:`setup_notebook`).

    Parameters
    ----------
    df : DataFrame or Series
        Any planlib table (see :func:`display_frame` for what is shown).
    name : str
        File name of the CSV download.

    Returns
    -------
    IPython.display.HTML
    """
    from IPython.display import HTML

    return HTML(table_html(df, name, plain_rows))


# ---------------------------------------------------------------- KPI cards, how the plan was made

def kpi_cards(kpis: pd.DataFrame, previous: pd.DataFrame | None = None):
    """KPI cards for the top of a report, styled inline (the same in JupyterLab and in the page).

    Parameters
    ----------
    kpis : DataFrame
        Columns ``kpi, value, unit`` and optionally ``label`` and ``good`` (True/False/NA).
        Solver figures (:data:`NOT_KPIS`) are left out: :func:`how_made` shows them.
    previous : DataFrame, optional
        Last week's KPIs (``kpi, value``) to show the change.

    Returns
    -------
    IPython.display.HTML
    """
    from IPython.display import HTML

    return HTML(kpi_cards_html(kpis, previous))


def kpi_cards_html(kpis: pd.DataFrame, previous: pd.DataFrame | None = None) -> str:
    """The HTML of :func:`kpi_cards`.

    Parameters
    ----------
    kpis : DataFrame
        Columns ``kpi, value, unit`` and optionally ``label`` and ``good``.
    previous : DataFrame, optional
        Last week's KPIs (``kpi, value``).

    Returns
    -------
    str
    """
    lab = _labels()
    cur = _CONTEXT.get("currency") or "EUR"
    prev = {} if previous is None or previous.empty else dict(zip(previous.kpi, previous.value))
    cards = []
    for row in kpis.itertuples(index=False):
        if str(row.kpi) in NOT_KPIS:
            continue
        value = row.value
        unit = str(getattr(row, "unit", "") or "")
        label = str(getattr(row, "label", None) or "") or lab.label(str(row.kpi), cur)
        money = str(row.kpi) in lab.MONEY or "(currency)" in label or unit.lower() in ("currency", cur.lower())
        label = label.replace(" (currency)", "").replace("(currency)", "")
        label = label[:1].upper() + label[1:]
        unit = {"weighted h": "h", "count": ""}.get(unit, unit)
        if unit.endswith("s") and _is_number(value) and float(value) == 1:
            unit = unit[:-1]  # 1 item, 1 order
        text = _money(value, cur) if money else _fmt(value) + (f" {unit}" if unit and _is_number(value) else "")
        good = getattr(row, "good", None)
        cls = "good" if good is True else "bad" if good is False else ""
        delta = ""
        if row.kpi in prev and _is_number(value) and _is_number(prev[row.kpi]):
            d = float(value) - float(prev[row.kpi])
            shown = _money(abs(d), cur) if money else _fmt(abs(d)) + (f" {unit}" if unit else "")
            delta = f'<div class="delta">{"+" if d >= 0 else "-"}{html.escape(shown)} since last week</div>'
        cards.append(f'<div class="planlib-kpi {cls}"><div class="value">{html.escape(text)}</div>'
                     f'<div class="label">{html.escape(label)}</div>{delta}</div>')
    return _style() + '<div class="planlib-kpis">' + "".join(cards) + "</div>"


def _money(v, cur) -> str:
    return _labels().format_money(v, cur) if _is_number(v) else _fmt(v)


def _is_number(v) -> bool:
    try:
        return v is not None and not isinstance(v, bool) and not pd.isna(v) and float(v) == float(v)
    except (TypeError, ValueError):
        return False


def _fmt(v) -> str:
    if not _is_number(v):
        return "" if v is None or (not isinstance(v, str) and pd.isna(v)) else str(v)
    return _labels().format_number(float(v))


_STATUS_WORDS = {"OPTIMAL": "optimal: no better schedule exists", "FEASIBLE": "good, not proven best "
                 "(the time limit ended the search)", "HEURISTIC": "dispatching rule (no solver)",
                 "INFEASIBLE": "no schedule meets every rule", "UNKNOWN": "no schedule found in the time limit"}


def how_made(params=None, kpis: pd.DataFrame | None = None, info: dict | None = None):
    """A small "How this plan was made" section for the end of a report.

    Parameters
    ----------
    params : PlanParams, optional
        The run's settings (plan start, buckets, horizon, time limit, seed, workers); default
        those given to :func:`setup_notebook`.
    kpis : DataFrame, optional
        KPI rows (``kpi, value``) holding ``solver_status`` and ``gap_pct`` of the schedule.
    info : dict, optional
        Further solver facts (``solver_status``, ``gap_pct``, ``seconds``), as in ``ScheduleResult.info``.

    Returns
    -------
    IPython.display.HTML
    """
    from IPython.display import HTML

    return HTML(how_made_html(params, kpis, info))


def how_made_html(params=None, kpis: pd.DataFrame | None = None, info: dict | None = None) -> str:
    """The HTML of :func:`how_made`.

    Parameters
    ----------
    params : PlanParams, optional
    kpis : DataFrame, optional
        KPI rows (``kpi, value``) holding ``solver_status`` and ``gap_pct``.
    info : dict, optional

    Returns
    -------
    str
    """
    import importlib.metadata as md

    lab = _labels()
    params = params if params is not None else _CONTEXT.get("params")
    facts = dict(info or {})
    if kpis is not None and len(kpis) and {"kpi", "value"} <= set(kpis.columns):
        k = kpis
        if "machine_id" in k:
            k = k[k.machine_id.fillna("").astype(str).isin(["", "nan"])]
        for key, value in zip(k.kpi, k.value):
            if key in ("solver_status", "gap_pct", "seconds", "bound", "bound_source", "method", "windows",
                       "windows_improved") and key not in facts:
                facts[key] = value
    rows = []
    if params is not None:
        bucket = {"W": "weeks", "M": "months"}.get(getattr(params, "bucket", "W"), "weeks")
        rows += [("Plan start", lab.format_date(params.plan_start)),
                 ("Material plan horizon", f"{params.horizon_weeks} {bucket}"),
                 ("Schedule horizon", f"{params.schedule_horizon_days} days"),
                 ("Schedule objective", {"tardiness": "fewest weighted late hours", "makespan": "earliest finish",
                                         "setup": "least changeover time"}.get(params.objective, params.objective)),
                 ("Solver time limit",
                  f"a deterministic work budget set from {lab.format_number(params.time_limit_s)} s (the same "
                  "inputs give the same schedule)" if getattr(params, "deterministic", False)
                  else f"{lab.format_number(params.time_limit_s)} s"),
                 ("Random seed", str(params.seed)), ("Solver workers", str(params.workers)),
                 ("Currency", getattr(params, "currency", "EUR"))]
    status = facts.get("solver_status")
    if status not in (None, "") and not (isinstance(status, float) and pd.isna(status)):
        rows.append(("Schedule solver result", f"{_STATUS_WORDS.get(str(status), str(status).lower())} ({status})"))
    gap = facts.get("gap_pct")
    if _is_number(gap):
        rows.append(("Gap to the best possible schedule", f"{lab.format_number(float(gap))} %"))
    if _is_number(facts.get("bound")):
        source = facts.get("bound_source")
        rows.append(("Lower bound (weighted late minutes)", f"{lab.format_number(float(facts['bound']))}"
                     + ("; every machine free (a relaxation of the whole plant)" if source == "relaxation"
                        else "; CP-SAT's bound")))
    if facts.get("method") == "windows":
        rows.append(("How the solver worked", f"CP-SAT on {facts.get('windows')} time windows of the dispatching "
                     f"rule's schedule, one at a time (large plant); {facts.get('windows_improved')} improved it"))
    if _is_number(facts.get("objective")) and _is_number(facts.get("heuristic_objective")):
        rows.append(("Objective (weighted late minutes)", f"{lab.format_number(float(facts['objective']))}; the "
                     f"dispatching rule alone gave {lab.format_number(float(facts['heuristic_objective']))}"))
    if _is_number(facts.get("seconds")):
        rows.append(("Solver time used", f"{lab.format_number(float(facts['seconds']))} s"))
    versions = []
    for dist in ("planlib", "ortools", "pandas", "statsforecast"):
        try:
            versions.append(f"{dist} {md.version(dist)}")
        except md.PackageNotFoundError:
            if dist == "planlib":
                import planlib

                versions.append(f"planlib {getattr(planlib, '__version__', '')}".strip())
    rows.append(("Software", ", ".join(versions)))
    body = "".join(f"<tr><th>{html.escape(a)}</th><td>{html.escape(b)}</td></tr>" for a, b in rows)
    return (f'{_style()}<section class="planlib-how"><h2>How this plan was made</h2>'
            f'<table>{body}</table></section>')


#: The plant manager's status report in a run folder (:func:`planlib.status.status_page`).
STATUS_REPORT = "status_report.html"


def write_index(reports_dir: str | os.PathLike) -> Path:
    """Write ``reports/index.html``: every week and scenario with links to its reports.

    Each run lists its report pages, the plant manager's status report first
    (``status_report.html``), then its pages to print: the Gantt chart
    (``schedule/gantt.html``), the work tickets of each work center
    (``schedule/dispatch_<work center>.html``) and the follow-up page of each supplier
    (``follow_up/supplier/<supplier>.html``).
    """
    root = Path(reports_dir)
    rows = []

    def link(path: Path, text: str) -> str:
        return f'<a href="{html.escape(quote(path.relative_to(root).as_posix()))}">{html.escape(text)}</a>'

    for week_dir in sorted((p for p in root.iterdir() if p.is_dir() and p.name[:1].isdigit()), reverse=True):
        for run in sorted(p for p in week_dir.iterdir() if p.is_dir() and not p.name.startswith(".")):
            try:
                info = json.loads((run / "manifest.json").read_text(encoding="utf-8"))
            except (OSError, ValueError):  # no manifest, or one cut short
                info = {}
            info = info if isinstance(info, dict) else {}
            pages = sorted(run.glob("*.html"), key=lambda p: (p.name != STATUS_REPORT, p.name))
            links = " ".join(link(p, "status report" if p.name == STATUS_REPORT else p.stem) for p in pages)
            sched = run / "schedule"
            extra = []
            if (sched / "gantt.html").is_file():
                extra.append(link(sched / "gantt.html", "Gantt chart"))
            tickets = sorted(sched.glob("dispatch_*.html")) if sched.is_dir() else []
            extra += [link(p, f"work tickets {p.stem.removeprefix('dispatch_')}") for p in tickets]
            suppliers = run / "follow_up" / "supplier"
            extra += [link(p, f"supplier {p.stem}") for p in (sorted(suppliers.glob("*.html"))
                                                               if suppliers.is_dir() else [])]
            status = str(info.get("status", ""))
            rows.append(f"<tr><td>{html.escape(week_dir.name)}</td><td>{html.escape(run.name)}</td>"
                        f"<td>{html.escape(str(info.get('finished_at', ''))[:19])}</td>"
                        f"<td>{html.escape(status)}</td><td>{links}</td><td>{' '.join(extra)}</td></tr>")
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>planlib reports</title>
<style>body{{font-family:sans-serif;max-width:1100px;margin:2em auto}}table{{border-collapse:collapse;width:100%}}
td,th{{border-bottom:1px solid #ddd;padding:6px;text-align:left;vertical-align:top}}a{{margin-right:10px}}</style></head>
<body><h1>Planning reports</h1>
<table><thead><tr><th>week</th><th>scenario</th><th>run finished</th><th>status</th><th>reports</th>
<th>pages to print: Gantt chart, work tickets, supplier follow-up</th></tr></thead>
<tbody>{''.join(rows) or '<tr><td colspan="6">no runs yet</td></tr>'}</tbody></table>
</body></html>
"""
    tmp = root / ".index.html.tmp"
    tmp.write_text(page, encoding="utf-8")
    os.replace(tmp, root / "index.html")
    return root / "index.html"


def heading(title: str, scenario: str = ""):
    """The report's title line, naming the scenario when there is one.

    The scenario's ``name:`` field (``docs/scenarios.md``) and its description are shown
    with the run name (the file name): ``Weekly planning report, week 2026-W48 - scenario
    lathe_breakdown: Lathe breakdown``. Every text is HTML-escaped, so a name carrying
    markup shows as text and never becomes an element of the page.

    Returns
    -------
    IPython.display.HTML
    """
    from IPython.display import HTML

    return HTML(heading_html(title, scenario))


def heading_html(title: str, scenario: str = "") -> str:
    """The HTML of :func:`heading` (escaped)."""
    run = ""
    name = description = ""
    if scenario:
        path = Path(scenario)
        run = path.stem
        try:
            from planlib.scenario import load_scenario

            sc = load_scenario(path)
            name, description = sc.name, sc.description
        except Exception:  # a report heading never fails: the run name alone
            pass
    text = html.escape(title)
    if run:
        text += f" - scenario <em>{html.escape(run)}</em>"
        if name and name != run:
            text += f": {html.escape(name)}"
    page = f'<h1 class="planlib-title">{text}</h1>'
    if description:
        page += f'<p class="planlib-scenario">{html.escape(description)}</p>'
    return page


def exceptions_table(worklist):
    """The exceptions to act on, by owner: a heading per owner (buyer per supplier, planner
    per work center), then that owner's actions, largest impact first.

    Parameters
    ----------
    worklist : planlib.actions.Worklist
        :func:`planlib.actions.worklist_of` of the week's MRP (``Worklist.rows`` is what the
        KPI card "messages to act on" counts: one row here per worklist row).

    Returns
    -------
    IPython.display.HTML
        Per row: rank, the action in one line, days late, customer orders at risk and their
        value; a collapsible list (``<details>``) of the MRP messages of the row and the
        customer order lines at risk (order, customer, item, quantity, due date, days late,
        value). Every text is HTML-escaped; the page needs no script.
    """
    from IPython.display import HTML

    return HTML(exceptions_html(worklist))


def exceptions_html(worklist) -> str:
    """The HTML of :func:`exceptions_table`."""
    from planlib.actions import money, quantity

    e = html.escape
    rows, cur = worklist.rows, worklist.currency
    if rows.empty:
        return '<p class="planlib-worklist">No exceptions: nothing to act on.</p>'
    n_msg = len(worklist.messages)
    risk = rows[rows.customer_lines > 0]
    lines_at_risk = worklist.lines.order_id.nunique() if len(worklist.lines) else 0
    head = (f"<p><b>{len(rows):,}</b> action{'s' if len(rows) != 1 else ''} from {n_msg:,} MRP message"
            f"{'s' if n_msg != 1 else ''}, largest impact first; {len(risk):,} put customer orders at risk "
            f"({lines_at_risk:,} order line{'s' if lines_at_risk != 1 else ''}, "
            f"{e(money(worklist.lines.drop_duplicates('order_id').value.sum() if lines_at_risk else 0, cur))}).</p>")
    out = [_WORKLIST_STYLE, '<div class="planlib-worklist">', head]
    for own in worklist.owners().itertuples(index=False):
        mine = rows[(rows.owner_type == own.owner_type) & (rows.owner_id == own.owner_id)]
        out.append(f'<h3 class="owner">{e(str(own.owner))}</h3>')
        out.append("<table><thead><tr><th>Rank</th><th>Action</th><th>Days late</th>"
                   "<th>Customer orders at risk</th><th>Value at risk</th></tr></thead><tbody>")
        for r in mine.itertuples(index=False):
            msgs = worklist.messages[worklist.messages.row == r.rank]
            lines = worklist.lines[worklist.lines.row == r.rank].drop_duplicates("order_id")
            detail = ""
            if r.messages > 1 or len(lines):
                items = "".join(f"<li>{e(str(m.message))}</li>" for m in msgs.itertuples(index=False))
                tab = ""
                if len(lines):
                    tab = ("<table class='lines'><thead><tr><th>Customer order</th><th>Customer</th><th>Item</th>"
                           "<th>Quantity</th><th>Due</th><th>Days late</th><th>Value</th></tr></thead><tbody>"
                           + "".join(f"<tr><td>{e(str(x.order_id))}</td><td>{e(str(x.customer_id))}</td>"
                                     f"<td>{e(str(x.item_id))}</td><td class='n'>{e(quantity(x.qty))}</td>"
                                     f"<td>{e(pd.Timestamp(x.due_date).strftime('%a %-d %b %Y'))}</td>"
                                     f"<td class='n'>{int(round(x.days_late))}</td>"
                                     f"<td class='n'>{e(money(x.value, cur))}</td></tr>"
                                     for x in lines.itertuples(index=False))
                           + "</tbody></table>")
                what = []
                if r.messages > 1:
                    what.append(f"{r.messages} messages")
                if len(lines):
                    what.append(f"{len(lines)} customer order line{'s' if len(lines) != 1 else ''} at risk")
                detail = (f"<details><summary>{e(', '.join(what))}</summary><ul>{items}</ul>{tab}</details>")
            cls = ' class="risk"' if r.customer_lines else ""
            days = int(round(r.days_late)) if r.days_late else ""
            out.append(f"<tr{cls}><td class='n'>{r.rank}</td><td>{e(str(r.action))}{detail}</td>"
                       f"<td class='n'>{days}</td><td class='n'>{r.customer_lines or ''}</td>"
                       f"<td class='n'>{e(money(r.value_at_risk, cur)) if r.value_at_risk else ''}</td></tr>")
        out.append("</tbody></table>")
    out.append("</div>")
    return "".join(out)


_WORKLIST_STYLE = (
    "<style>.planlib-worklist table{border-collapse:collapse;width:100%;margin-bottom:1em}"
    "div.planlib-worklist table th,div.planlib-worklist table td{border-bottom:1px solid #ddd;padding:4px 6px;"
    "text-align:left!important;vertical-align:top}"  # the notebook page's own CSS right-aligns cells
    "div.planlib-worklist table td.n{text-align:right!important;white-space:nowrap}"
    ".planlib-worklist tr.risk>td:first-child{border-left:4px solid #b00020}"
    ".planlib-worklist h3.owner{margin:1.2em 0 .3em}.planlib-worklist details>summary{cursor:pointer;color:#333}"
    ".planlib-worklist>table{table-layout:fixed}.planlib-worklist>table th:nth-child(1){width:3.5em}"
    ".planlib-worklist>table th:nth-child(3){width:5em}.planlib-worklist>table th:nth-child(4){width:7em}"
    ".planlib-worklist>table th:nth-child(5){width:7em}"
    ".planlib-worklist table.lines{width:auto;margin:.3em 0}@media print{.planlib-worklist details{display:block}}"
    "</style>")


def changes_text(summary, inputs_only: bool = False):
    """What changed in the plan since the previous archived week, in a few sentences.

    The changes in one sentence, counts by kind and the largest (``summary.changes_summary``),
    and the scheduled operations that moved. ``inputs_only=True`` gives instead the warning
    for the top of the weekly report when the run read byte for byte the same input files
    as last week's run (``summary.same_inputs_as``: the data were not refreshed), or None
    when there is nothing to warn about.

    Returns
    -------
    IPython.display.HTML or None
    """
    from IPython.display import HTML

    warning = ""
    same = getattr(summary, "same_inputs_as", None)
    if same:
        warning = (f'<p class="planlib-warning"><strong>The input data are identical to week {html.escape(str(same))}'
                   "'s run</strong> (the same files, byte for byte): stock on hand, open orders and customer "
                   "orders have not been updated since. Check the data export before acting on this plan.</p>")
    if inputs_only:
        return HTML(warning) if warning else None
    warning = ""  # said once, at the top of the report
    if summary.previous_week is None:
        return HTML("<p>No earlier week in the plan archive: this is the first run; next week's report will "
                    "show what changed.</p>")
    if not re.fullmatch(r"\d{4}-W\d{2}", str(summary.previous_week)):  # only a week enters the page
        raise ValueError(f"not an ISO week: {summary.previous_week!r}")
    text = getattr(summary, "changes_summary", "") or "No order changed."
    sc = summary.schedule_changes
    if not len(sc):
        ops = "no scheduled operation changed machine or start"
    else:
        n = sc.change.value_counts() if "change" in sc else pd.Series({"changed": len(sc)})
        ops = "scheduled operations: " + ", ".join(f"{int(v)} {k}" for k, v in n.items())
    return HTML(warning + f"<p>Since week {summary.previous_week}: {html.escape(text)}</p>"
                f"<p>Orders are listed by value (unit cost times the quantity added, cancelled, changed or "
                f"moved), largest first; {ops}.</p>")


def scenario_comparison(summary, scenario=None):
    """The scenario against the base plan of the week: its changes, the orders that became late or
    on time, KPIs side by side, the work centers whose load changed most
    (:func:`planlib.compare.comparison_html`, the same view as the scenario editor's).

    Parameters
    ----------
    summary : WeeklySummary
    scenario : Scenario, optional
        Its name, description and changes head the comparison (when ``summary`` lacks them).

    Returns
    -------
    IPython.display.HTML or None
        None for the base plan (``scenario`` None and no comparison).
    """
    from dataclasses import replace

    from IPython.display import HTML

    from planlib.compare import comparison_html

    comp = getattr(summary, "comparison", None)
    head = "<h2>Scenario against the base plan</h2>"
    if comp is None:
        if scenario is None:  # the base plan: nothing to compare, nothing shown
            return None
        return HTML(head + f"<p>Scenario {html.escape(scenario.name)}: no base plan of this week is archived "
                    "yet, so there is nothing to compare it with. Run the base plan of the week "
                    "(<code>planlib run</code> without <code>--scenario</code>), then this scenario again.</p>")
    if scenario is not None and not comp.changes:
        comp = replace(comp, name=scenario.name, description=scenario.description, changes=scenario.describe())
    return HTML(head + comparison_html(comp))
