"""Headless Chromium for the report tests: offline, console errors and requests recorded.

The browser tests open what a planner receives (the HTML pages of a run folder) in Debian's
chromium through Playwright, with the network off. Use::

    from browser import needs_chromium, chromium, open_page

    @needs_chromium
    def test_something(weekly_reports):
        with chromium() as context:
            page, errors, requests = open_page(context, weekly_reports / "index.html")
"""
from __future__ import annotations

import shutil
from contextlib import contextmanager
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")

needs_chromium = pytest.mark.skipif(
    CHROMIUM is None, reason="headless Chromium is not installed (.ci/run installs Debian's chromium package; "
                             "apt-get install chromium)")

ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]


@contextmanager
def chromium(offline: bool = True, **context_options):
    """A Playwright browser context on headless Chromium; offline (no network at all) by default."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            yield browser.new_context(offline=offline, **context_options)
        finally:
            browser.close()


def open_page(context, path: Path, wait_ms: int = 0):
    """Open a local file; return ``(page, errors, requests)``.

    ``errors`` collects console errors and uncaught page errors, ``requests`` every URL the page asked
    for (a self-contained page asks only for ``file:`` and ``data:`` URLs).
    """
    page = context.new_page()
    errors: list[str] = []
    requests: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("request", lambda r: requests.append(r.url))
    page.goto(Path(path).as_uri())
    page.wait_for_load_state("load")
    if wait_ms:
        page.wait_for_timeout(wait_ms)
    return page, errors, requests


def other_hosts(requests: list[str]) -> list[str]:
    """The requests that left the page's own file (anything but ``file:``, ``data:``, ``blob:``, ``about:``)."""
    return [u for u in requests if not u.startswith(("data:", "file:", "blob:", "about:"))]
