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


_SEVERITY_ORDER = {"critical": 0, "error": 0, "warning": 1, "info": 2}


def exceptions_table(exceptions: pd.DataFrame, limit: int = 40) -> pd.DataFrame:
    """Exception messages, most severe and earliest first, with the columns a planner acts on."""
    if exceptions is None or exceptions.empty:
        return pd.DataFrame({"message": ["No exceptions: nothing to act on."]})
    ex = exceptions.assign(_rank=exceptions.severity.map(_SEVERITY_ORDER).fillna(3))
    ex = ex.sort_values(["_rank", "date", "item_id"]).drop(columns="_rank")
    cols = [c for c in ("severity", "exception", "item_id", "order_id", "date", "new_date", "qty", "message")
            if c in ex]
    return ex[cols].head(limit).reset_index(drop=True)


def changes_text(summary):
    """One paragraph: what changed in the plan since the previous archived week."""
    from IPython.display import Markdown

    if summary.previous_week is None:
        return Markdown("No earlier week in the plan archive: this is the first run; next week's report will "
                        "show what changed.")
    if not re.fullmatch(r"\d{4}-W\d{2}", str(summary.previous_week)):  # only a week enters the Markdown
        raise ValueError(f"not an ISO week: {summary.previous_week!r}")
    ch = summary.order_changes
    counts = ch.change.value_counts() if len(ch) else pd.Series(dtype=int)
    words = {"new": "new planned orders", "cancelled": "orders no longer needed", "moved_in": "orders pulled in",
             "moved_out": "orders pushed out", "qty_changed": "quantity changes"}
    parts = [f"**{int(counts.get(k, 0))}** {w}" for k, w in words.items()]
    moved = len(summary.schedule_changes)
    return Markdown(f"Since week {summary.previous_week}: " + ", ".join(parts) +
                    f"; **{moved}** scheduled operations changed machine or start.")


def scenario_comparison(summary):
    """Base against scenario: KPIs side by side and how the planned orders differ."""
    from IPython.display import Markdown, display

    if summary.base_comparison is None:
        return Markdown("This is the base plan (or no base run of this week is archived yet): "
                        "run a scenario with `planlib run --scenario FILE` to compare.")
    display(summary.base_comparison)
    return summary.base_order_differences
