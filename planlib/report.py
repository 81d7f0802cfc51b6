"""Shared HTML reports: notebook export, KPI cards, the reports index.

Reports are self-contained: code hidden, charts as inline SVG, no script or
style from another host, so a report opens offline and can be sent by mail.
"""
from __future__ import annotations

import html
import json
import os
import re
from pathlib import Path
from urllib.parse import quote

import pandas as pd

TEMPLATES = Path(__file__).parent / "templates"


def setup_notebook() -> None:
    """Display settings for planlib notebooks: altair charts as inline SVG, readable tables."""
    import altair as alt

    alt.renderers.enable("svg")
    alt.data_transformers.disable_max_rows()
    pd.set_option("display.max_rows", 60)
    pd.set_option("display.max_columns", 30)
    pd.set_option("display.width", 200)
    pd.set_option("display.max_colwidth", 240)
    pd.set_option("display.float_format", lambda v: f"{v:,.2f}")


def export_html(notebook: str | os.PathLike, html_path: str | os.PathLike, title: str | None = None) -> Path:
    """Export an executed notebook to a self-contained HTML page with the code hidden.

    Returns the path written.
    """
    import nbformat
    from nbconvert import HTMLExporter

    nb = nbformat.read(str(notebook), as_version=4)
    if title:
        nb.metadata["title"] = title
    exporter = HTMLExporter(template_name="report", extra_template_basedirs=[str(TEMPLATES)],
                            exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True,
                            embed_images=True)
    body, _ = exporter.from_notebook_node(nb)
    out = Path(html_path)
    out.write_text(body, encoding="utf-8")
    return out


def kpi_cards(kpis: pd.DataFrame, previous: pd.DataFrame | None = None):
    """KPI cards for the top of a report.

    Parameters
    ----------
    kpis : DataFrame
        Columns ``kpi, value, unit`` and optionally ``label`` and ``good`` (True/False/NA).
    previous : DataFrame, optional
        Last week's KPIs (``kpi, value``) to show the change.

    Returns
    -------
    IPython.display.HTML
    """
    from IPython.display import HTML

    prev = {} if previous is None or previous.empty else dict(zip(previous.kpi, previous.value))
    cards = []
    for row in kpis.itertuples(index=False):
        value = row.value
        unit = getattr(row, "unit", "") or ""
        text = _fmt(value) + (f" {unit}" if unit and unit != "count" else "")
        label = getattr(row, "label", None) or str(row.kpi).replace("_", " ")
        good = getattr(row, "good", None)
        cls = "good" if good is True else "bad" if good is False else ""
        delta = ""
        if row.kpi in prev and _is_number(value) and _is_number(prev[row.kpi]):
            d = float(value) - float(prev[row.kpi])
            delta = f'<div class="delta">{"+" if d >= 0 else ""}{_fmt(d)} since last week</div>'
        cards.append(f'<div class="planlib-kpi {cls}"><div class="value">{html.escape(text)}</div>'
                     f'<div class="label">{html.escape(label)}</div>{delta}</div>')
    return HTML('<div class="planlib-kpis">' + "".join(cards) + "</div>")


def _is_number(v) -> bool:
    try:
        return v is not None and not pd.isna(v) and float(v) == float(v)
    except (TypeError, ValueError):
        return False


def _fmt(v) -> str:
    if not _is_number(v):
        return str(v)
    v = float(v)
    if abs(v) >= 1000:
        return f"{v:,.0f}"
    if v.is_integer():
        return f"{v:.0f}"
    return f"{v:.1f}"


def write_index(reports_dir: str | os.PathLike) -> Path:
    """Write ``reports/index.html``: every week and scenario with links to its reports.

    Each run lists its report pages, then its schedule pages: the Gantt chart
    (``schedule/gantt.html``) and the printable work tickets of each work center
    (``schedule/dispatch_<work center>.html``).
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
            links = " ".join(link(p, p.stem) for p in sorted(run.glob("*.html")))
            sched = run / "schedule"
            extra = []
            if (sched / "gantt.html").is_file():
                extra.append(link(sched / "gantt.html", "Gantt chart"))
            tickets = sorted(sched.glob("dispatch_*.html")) if sched.is_dir() else []
            extra += [link(p, f"work tickets {p.stem.removeprefix('dispatch_')}") for p in tickets]
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
<th>schedule: Gantt chart and work tickets</th></tr></thead>
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
    "text-align:left;vertical-align:top}div.planlib-worklist table td.n{text-align:right;white-space:nowrap}"
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
    (:func:`planlib.scenario.comparison_html`, the same view as the scenario editor's).

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

    from planlib.scenario import comparison_html

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
