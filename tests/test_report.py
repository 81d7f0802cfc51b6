"""HTML reports are self-contained: nothing is fetched from another host."""
from __future__ import annotations

import re

import nbformat
import pandas as pd
import papermill as pm

from planlib import report


def _notebook(path):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(
        "import altair as alt, pandas as pd\nfrom planlib import report\nreport.setup_notebook()\n"
        "alt.Chart(pd.DataFrame({'a': [1, 2], 'b': [3, 4]})).mark_bar().encode(x='a:O', y='b')"),
        nbformat.v4.new_markdown_cell("# Title with $x^2$"),
        nbformat.v4.new_code_cell("report.kpi_cards(pd.DataFrame({'kpi': ['on_time_pct'], 'value': [93.5], "
                                  "'unit': ['%'], 'good': [False]}))")]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)


def test_exported_report_requests_nothing_from_other_hosts(tmp_path):
    _notebook(tmp_path / "in.ipynb")
    pm.execute_notebook(str(tmp_path / "in.ipynb"), str(tmp_path / "out.ipynb"), progress_bar=False)
    html = report.export_html(tmp_path / "out.ipynb", tmp_path / "out.html", "t").read_text()
    assert not re.findall(r'<script[^>]+src=', html)
    assert not re.findall(r'<link[^>]+href="http', html)
    assert "@import url(http" not in html
    assert "data:image/svg+xml" in html  # the chart, inline
    assert "93.5 %" in html and "planlib-kpi bad" in html
    assert "alt.Chart" not in html  # code hidden


def test_kpi_cards_show_change_since_last_week():
    now = pd.DataFrame({"kpi": ["late_orders"], "value": [3], "unit": ["orders"]})
    before = pd.DataFrame({"kpi": ["late_orders"], "value": [5]})
    assert "-2 since last week" in report.kpi_cards(now, before).data


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
