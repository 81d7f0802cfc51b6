"""HTML reports are self-contained (nothing fetched from another host) and read in a planner's words."""
from __future__ import annotations

import json
import re

import nbformat
import pandas as pd
import papermill as pm

from planlib import report


def _notebook(path):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(
        "import altair as alt, pandas as pd\nfrom planlib import report\nfrom planlib.params import PlanParams\n"
        "from types import SimpleNamespace\n"
        "ds = SimpleNamespace(items=pd.DataFrame({'item_id': ['FG-01'], 'description': ['Pump'], 'uom': ['ea']}),\n"
        "                     suppliers=pd.DataFrame({'supplier_id': ['S1'], 'name': ['Acme']}))\n"
        "report.setup_notebook(ds, PlanParams(currency='USD'))\n"
        "alt.Chart(pd.DataFrame({'a': [1, 2], 'b': [3, 4]})).mark_bar().encode(x='a:O', y='b', tooltip=['b'])"),
        nbformat.v4.new_markdown_cell("# Title with $x^2$"),
        nbformat.v4.new_code_cell("report.kpi_cards(pd.DataFrame({'kpi': ['on_time_pct', 'plan_cost', 'solver_status'], "
                                  "'value': [93.5, 19370.4, 'FEASIBLE'], 'unit': ['%', '', ''], "
                                  "'good': [False, None, None]}))"),
        nbformat.v4.new_code_cell("pd.DataFrame({'item_id': ['FG-01'] * 40, 'qty': [1126.0 + i for i in range(40)], "
                                  "'release_in_past': [True] * 40, 'unit_cost': [float('nan')] + [2.5] * 39})"),
        nbformat.v4.new_code_cell("alt.Chart(pd.DataFrame({'a': [1, 2]})).mark_point().encode(x='a')")]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)


def test_exported_report_is_one_offline_file_with_interactive_charts_and_tables(tmp_path):
    _notebook(tmp_path / "in.ipynb")
    pm.execute_notebook(str(tmp_path / "in.ipynb"), str(tmp_path / "out.ipynb"), progress_bar=False)
    html = report.export_html(tmp_path / "out.ipynb", tmp_path / "out.html", "t").read_text()
    assert not re.findall(r'<script[^>]+src=', html)
    assert not re.findall(r'<link[^>]+href="http', html)
    assert "@import url(http" not in html and "cdn.jsdelivr" not in html
    assert html.count("window.vegaEmbed=") == 1  # the Vega libraries inlined once ...
    assert html.count('vegaEmbed("#planlib-chart-') == 2  # ... for both charts
    assert "93.5 %" in html and "planlib-kpi bad" in html and "$ 19,370" in html
    assert "FEASIBLE" not in html  # solver status is no KPI
    assert "alt.Chart" not in html  # code hidden
    # the bare DataFrame went through report.table: every row, labels, names, no NaN, no row numbers
    assert "FG-01" in html and "Pump" in html and "1,165" in html and "Release date passed" in html
    text = re.sub(r"<(script|style)\b.*?</\1>", "", html, flags=re.DOTALL)
    assert "rows ×" not in text and "NaN" not in text and "release_in_past" not in text
    assert html.count("_itables_") >= 2 and "Download CSV" in html


def test_long_tables_are_interactive_and_complete_short_ones_plain():
    df = pd.DataFrame({"item_id": [f"I{i}" for i in range(602)], "setup_min": range(602)})
    long = report.table_html(df, "orders")
    assert "I601" in long and "Setup (min)" in long and "csvHtml5" in long and "<table" in long
    short = report.table_html(df.head(3))
    assert "<script" not in short and "csvHtml5" not in short
    assert [h for h in re.findall(r"<th>(.*?)</th>", short)] == ["Item", "Setup (min)"]


def test_display_frame_names_codes_formats_numbers_and_leaves_missing_cells_blank():
    from types import SimpleNamespace

    ds = SimpleNamespace(items=pd.DataFrame({"item_id": ["RM-11"], "description": ["Cable gland"], "uom": ["m"]}),
                         suppliers=pd.DataFrame({"supplier_id": ["S1"], "name": ["Acme"]}))
    report.setup_notebook(ds)
    try:
        df = pd.DataFrame({"item_id": pd.Categorical(["RM-11", "XX"]), "supplier_id": ["S1", None],
                           "qty": [1126.0, float("nan")], "cost": [1937.4, 3.0],
                           "start": pd.to_datetime(["2026-11-23 06:00:10", None]),
                           "due_date": pd.to_datetime(["2026-11-23", "2026-11-30"]), "frozen": [True, False]},
                          index=[7, 8])
        view = report.display_frame(df)
    finally:
        report.setup_notebook()
    assert list(view.columns) == ["Item", "Item description", "Unit", "Supplier", "Supplier name", "Quantity",
                                  "Cost (€)", "Start", "Due date", "Frozen"]
    assert view.iloc[0].tolist() == ["RM-11", "Cable gland", "m", "S1", "Acme", "1,126", "€ 1,937",
                                     "2026-11-23 06:00", "2026-11-23", "yes"]
    assert view.iloc[1].tolist() == ["XX", "", "", "", "", "", "€ 3", "", "2026-11-30", "no"]


def test_kpi_cards_are_styled_inline_in_words_and_units():
    kpis = pd.DataFrame({"kpi": ["weighted_tardiness", "inventory_value", "items_forecast", "solver_status"],
                         "label": ["weighted tardiness (schedule)", "inventory value on hand (currency)",
                                   "items forecast", "schedule solver status"],
                         "value": [12.5, 19370.0, 1, "FEASIBLE"], "unit": ["weighted h", "", "items", ""]})
    page = report.kpi_cards_html(kpis)
    assert "<style>" in page and ".planlib-kpi{" in page  # the same look in JupyterLab as in the page
    assert "12.5 h" in page and "€ 19,370" in page and "1 item<" in page and "Inventory value on hand<" in page
    assert "e+04" not in page and "FEASIBLE" not in page and "(currency)" not in page


def test_how_made_names_solver_result_gap_and_settings():
    from planlib.params import PlanParams

    kpis = pd.DataFrame({"kpi": ["solver_status", "gap_pct"], "value": ["FEASIBLE", 3.25]})
    page = report.how_made_html(PlanParams(seed=7, time_limit_s=5), kpis)
    assert "How this plan was made" in page and "FEASIBLE" in page and "3.2 %" in page
    assert "<td>7</td>" in page and "5 s" in page and "ortools" in page


def test_forecast_panels_each_draw_their_own_items_rows():
    from planlib import charts

    weeks = pd.date_range("2026-01-05", periods=30, freq="W-MON")
    hist = pd.concat([pd.DataFrame({"item_id": i, "period_start": weeks[:20], "qty": q})
                      for i, q in (("FG-01", 300.0), ("RM-11", 2.0))])
    fc = pd.concat([pd.DataFrame({"item_id": i, "period_start": weeks[20:], "forecast": q, "lo_80": q * .8,
                                  "hi_80": q * 1.2, "lo_95": q * .7, "hi_95": q * 1.3})
                    for i, q in (("FG-01", 310.0), ("RM-11", 2.5))])
    spec = charts.forecast_chart(hist, fc, names=pd.DataFrame({"item_id": ["RM-11"], "description": ["Gland"],
                                                              "uom": ["m"]})).to_dict()
    assert all("data" not in layer for layer in spec["spec"]["layer"])  # no layer bypasses the facet
    assert spec["resolve"]["scale"]["y"] == "independent"
    rows = pd.DataFrame(next(iter(spec["datasets"].values())))
    assert set(rows.panel) == {"FG-01", "RM-11 - Gland [m]"}
    assert rows[rows.panel == "RM-11 - Gland [m]"][["qty", "forecast"]].max().max() == 2.5


def test_kpi_cards_show_change_since_last_week():
    now = pd.DataFrame({"kpi": ["late_orders"], "value": [3], "unit": ["orders"]})
    before = pd.DataFrame({"kpi": ["late_orders"], "value": [5]})
    assert "-2 orders since last week" in report.kpi_cards(now, before).data


def test_index_lists_weeks_and_scenarios(tmp_path):
    for week, scen in (("2026-W48", "base"), ("2026-W49", "base"), ("2026-W49", "rush")):
        run = tmp_path / week / scen
        run.mkdir(parents=True)
        (run / "weekly_report.html").write_text("x")
        (run / "manifest.json").write_text('{"status": "ok", "finished_at": "2026-11-23T06:00:00"}')
    (tmp_path / "2026-W49" / ".failed-base").mkdir()
    page = report.write_index(tmp_path).read_text()
    assert page.index("2026-W49") < page.index("2026-W48")  # newest first
    assert 'href="2026-W49/rush/weekly_report.html"' in page and ".failed" not in page


def test_index_escapes_folder_names_and_manifest_text(tmp_path):
    from html.parser import HTMLParser

    payload = '"><img src=x onerror=alert(1)>'
    run = tmp_path / "2026-W48" / f"x{payload}"
    run.mkdir(parents=True)
    (run / f"r{payload}.html").write_text("x")
    (run / "manifest.json").write_text('{"status": "<script>alert(2)</script>", "finished_at": "' + payload + '"}')
    (tmp_path / "2026-W49" / "base").mkdir(parents=True)
    (tmp_path / "2026-W49" / "base" / "manifest.json").write_text('{"status": "ok"')  # cut short: still listed

    tags = []

    class Tags(HTMLParser):
        def handle_starttag(self, tag, attrs):
            tags.append((tag, dict(attrs)))

    Tags().feed(report.write_index(tmp_path).read_text())
    assert not [a for _, a in tags if any(k.startswith("on") for k in a)]
    assert {t for t, _ in tags} == {"html", "head", "meta", "title", "style", "body", "h1", "table", "thead", "tr",
                                    "th", "tbody", "td", "a"}
    assert sum(t == "a" for t, _ in tags) == 1 and sum(t == "tr" for t, _ in tags) == 3


def test_chart_page_is_one_offline_file():
    import altair as alt

    chart = alt.Chart(pd.DataFrame({"a": range(6000)})).mark_point().encode(x="a")  # above altair's row limit
    page = report.chart_page(chart, "Schedule <W48>")
    assert page.count("window.vegaEmbed=") == 1 and "cdn.jsdelivr" not in page and "https://" not in page.split(
        "<script")[0]
    assert "Schedule &lt;W48&gt;" in page and '"a": 5999' in page


def test_an_empty_table_says_so_without_none():
    page = report.table_html(pd.DataFrame({"order_id": pd.Series([], dtype=str)}))
    assert "Nothing to show." in page and "None" not in page and "<th>Order</th>" in page


def test_chart_outputs_carry_no_nan_or_infinity():
    """JSON has no NaN: a chart whose data holds one (a work center without hours) must still reach
    the page, not a serialization warning."""
    import altair as alt
    import numpy as np

    data = pd.DataFrame({"week": ["W48", "W49", "W50"], "value": [1.0, np.nan, np.inf],
                         "good": pd.Series([np.nan] * 3, dtype=object)})  # altair leaves this NaN in
    report.setup_notebook()
    bundle = report._vegalite_mimebundle(alt.Chart(data).mark_line().encode(x="week", y="value").to_dict())
    text = json.dumps(bundle, allow_nan=False)  # raises on NaN or infinity
    assert '"value": 1.0' in text
    assert "NaN" not in report.chart_html(alt.Chart(data).mark_line().encode(x="week", y="value"))
