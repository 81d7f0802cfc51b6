"""The whole report set as a planner reads it: every page reachable from index.html, rendered offline in
headless Chromium, without developer noise, with every table complete and every chart drawn.

Runs on the session fixture ``weekly_reports`` (weeks 2026-W48 and 2026-W49 and the lathe_breakdown
scenario). ``python tests/test_reports_browser.py REPORTS_DIR`` runs the same checks on any reports folder.
"""
from __future__ import annotations

import re
import sys
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from browser import chromium, needs_chromium, open_page, other_hosts

#: Text a planner must never see in a page's visible body.
NOISE = ("NaN", "None", "NaT", "Warning", "Traceback", "/work/", "site-packages", "rows ×", "columns ×")
#: pandas' truncation marks ("..." row or column): a table cut short.
TRUNCATED = re.compile(r"(^|\s)(\.\.\.|…)(\s|$)")


def crawl(context, index: Path) -> list[Path]:
    """Every local HTML page reachable from ``index`` by links, index first."""
    seen, queue = [], [index.resolve()]
    while queue:
        path = queue.pop(0)
        if path in seen:
            continue
        seen.append(path)
        page = context.new_page()
        page.goto(path.as_uri())
        hrefs = page.eval_on_selector_all("a[href]", "els => els.map(e => e.href)")
        page.close()
        for href in hrefs:
            url = urlparse(href)
            if url.scheme == "file" and url.path.endswith(".html"):
                target = Path(unquote(url.path)).resolve()
                if target.exists() and target not in seen:
                    queue.append(target)
    return seen


def page_problems(page, path: Path, errors: list[str], requests: list[str]) -> list[str]:
    """What is wrong with one rendered page, as readable sentences (empty when the page is fine)."""
    problems = []
    name = str(path)
    if errors:
        problems.append(f"{name}: console errors {errors[:3]}")
    if other_hosts(requests):
        problems.append(f"{name}: requests to other hosts {other_hosts(requests)[:3]}")
    body = page.inner_text("body")
    for word in NOISE:
        if word in body:
            at = body.index(word)
            problems.append(f"{name}: {word!r} in the page: ...{body[max(0, at - 80):at + 60]!r}")
    for m in TRUNCATED.finditer(body):
        problems.append(f"{name}: truncation mark in the page: ...{body[max(0, m.start() - 80):m.end() + 40]!r}")
        break
    headers = page.eval_on_selector_all("th", "els => els.map(e => e.innerText)")
    if [h for h in headers if "_" in h]:
        problems.append(f"{name}: code names as column headers {[h for h in headers if '_' in h][:5]}")
    # every interactive table is complete: DataTables' total count equals the rows it holds
    tables = page.evaluate("""async () => {
        const key = Object.keys(window).find(k => k.startsWith('_itables_'));
        if (!key) return [];
        const { jQuery } = await window[key];
        return Array.from(document.querySelectorAll('table.dataTable'))
            .filter(t => !t.closest('.dt-scroll-head, .dt-scroll-foot'))
            .map(t => { const api = jQuery(t).DataTable();
                        const box = t.closest('.dt-container').querySelector('.dt-info');
                        return {rows: api.rows().count(), info: box ? box.innerText : ''}; });
    }""")
    for info in tables:
        m = re.search(r"of ([\d,]+) entries", info["info"])
        if not m or int(m.group(1).replace(",", "")) != info["rows"]:
            problems.append(f"{name}: table shows {info['info']!r} but holds {info['rows']} rows")
    return problems


def forecast_panels(page) -> list[str]:
    """Per item panel of the forecast chart, a fingerprint of what it draws (paths and axis labels)."""
    return page.evaluate("""() => {
        const chart = document.querySelector('.planlib-chart');
        if (!chart) return [];
        return Array.from(chart.querySelectorAll('g.mark-group.role-scope.cell > g')).map(cell =>
            Array.from(cell.querySelectorAll('path')).map(p => p.getAttribute('d') || '').join('|') +
            Array.from(cell.querySelectorAll('text')).map(t => t.textContent).join('|'));
    }""")


def check_report_set(root: Path) -> tuple[list[Path], list[str]]:
    """Crawl ``root/index.html`` and check every page; return ``(pages, problems)``."""
    problems: list[str] = []
    with chromium() as context:
        pages = crawl(context, root / "index.html")
        for path in pages:
            page, errors, requests = open_page(context, path)
            if page.locator(".planlib-chart").count():
                page.wait_for_function("""() => Array.from(document.querySelectorAll('.planlib-chart'))
                    .every(c => c.querySelector('svg, canvas'))""", timeout=20_000)
            problems += page_problems(page, path, errors, requests)
            if path.name == "forecast.html":
                panels = forecast_panels(page)
                if len(panels) < 2 or len(set(panels)) != len(panels):
                    problems.append(f"{path}: {len(panels)} forecast panels, {len(set(panels))} different")
            page.close()
    return pages, problems


@pytest.mark.browser
@pytest.mark.slow
@needs_chromium
def test_every_report_page_is_reachable_clean_and_complete(weekly_reports):
    pages, problems = check_report_set(weekly_reports)
    names = {p.name for p in pages}
    # the pages of every run are linked from the index: two weeks and the scenario
    for run in ("2026-W48/base", "2026-W49/base", "2026-W48/lathe_breakdown"):
        for report in ("forecast.html", "mrp.html", "schedule.html", "weekly_report.html"):
            assert (weekly_reports / run / report).resolve() in pages, (run, report)
    assert "index.html" in names
    assert problems == [], "\n".join(problems)


if __name__ == "__main__":
    found, issues = check_report_set(Path(sys.argv[1]))
    print(f"{len(found)} pages")
    print("\n".join(issues) or "no problems")
