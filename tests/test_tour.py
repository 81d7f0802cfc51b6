"""The README tour's step 2 as a user takes it: JupyterLab in Debian's chromium.

Start JupyterLab on localhost, open ``notebooks/scenario.ipynb``, run all cells from the
Run menu, add a downtime in the editor's Downtime tab, press **Run**, wait for the KPI
table and the charts, press **Save**, and paste the command the editor prints at the
repository root (``planlib run ... --scenario <file>``): it must plan the saved file.

JupyterLab serves a copy of the files the tour needs (the notebook, ``data/sample``,
``data/scenarios``, ``pyproject.toml``) in a temporary folder, with its own config,
data, runtime and settings folders: the test writes nothing into the checkout or the
user's Jupyter settings. ``planlib`` is imported from this checkout (PYTHONPATH).
The copy's notebook gets a shorter solver time limit than the notebook's 5 s; nothing
else differs from what a user has.
"""
from __future__ import annotations

import json
import os
import re
import secrets
import shlex
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pandas as pd
import pytest
from browser import needs_chromium

from planlib.scenario import Downtime, load_scenario

ROOT = Path(__file__).resolve().parents[1]
TOUR_FILES = ("notebooks/scenario.ipynb", "data/sample", "data/scenarios", "pyproject.toml")
TIME_LIMIT_S = 1.0  # the copy's solver time limit [s] (the notebook's default is 5)
WEEK_START = pd.Timestamp("2026-11-23")  # Monday of 2026-W48, the notebook's week


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _tour_copy(folder: Path) -> Path:
    """The files the tour uses, copied to ``folder`` (the notebook's solver limit shortened)."""
    for rel in TOUR_FILES:
        src, dst = ROOT / rel, folder / rel
        dst.parent.mkdir(parents=True, exist_ok=True)
        (shutil.copytree if src.is_dir() else shutil.copy2)(src, dst)
    nb = folder / "notebooks" / "scenario.ipynb"
    text = nb.read_text()
    shorter = re.sub(r"time_limit_s: float = [0-9.]+", f"time_limit_s: float = {TIME_LIMIT_S}", text)
    assert shorter != text, "the notebook's parameter cell has no 'time_limit_s: float = ...' line"
    nb.write_text(shorter)
    return folder


@contextmanager
def jupyterlab(root: Path, home: Path):
    """JupyterLab serving ``root`` on a free localhost port; yields ``(url, token, log path)``."""
    port, token = _free_port(), secrets.token_hex(16)
    dirs = {name: home / name for name in ("config", "data", "runtime", "settings", "workspaces", "home")}
    for d in dirs.values():
        d.mkdir(parents=True)
    # no "would you like to get Jupyter news" toast over the page, no update check
    notification = dirs["settings"] / "@jupyterlab" / "apputils-extension" / "notification.jupyterlab-settings"
    notification.parent.mkdir(parents=True)
    notification.write_text(json.dumps({"fetchNews": "false", "checkForUpdates": False}))
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
               JUPYTER_CONFIG_DIR=str(dirs["config"]), JUPYTER_DATA_DIR=str(dirs["data"]),
               JUPYTER_RUNTIME_DIR=str(dirs["runtime"]), JUPYTERLAB_SETTINGS_DIR=str(dirs["settings"]),
               JUPYTERLAB_WORKSPACES_DIR=str(dirs["workspaces"]), HOME=str(dirs["home"]))
    log = home / "jupyterlab.log"
    with open(log, "w") as out:
        server = subprocess.Popen(
            [sys.executable, "-m", "jupyterlab", "--no-browser", "--allow-root", "--ip=127.0.0.1",
             f"--port={port}", f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}",
             "--LabApp.news_url=None", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"],
            cwd=root, env=env, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=2)
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"JupyterLab did not start:\n{log.read_text()[-3000:]}")
                time.sleep(0.3)
        yield url, token, log
    finally:
        server.terminate()
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def _button(where, name: str):
    """The widget button labelled ``name`` (icon aside)."""
    return where.locator("button.jupyter-button").filter(has_text=re.compile(rf"^\s*{re.escape(name)}\s*$"))


def _bar(page) -> tuple[str, float]:
    """(status line, progress bar fill in %) as the browser shows them."""
    status = page.locator(".planlib-status").first.inner_text()
    width = page.locator(".planlib-progress .progress-bar").first.evaluate("e => e.style.width || '0%'")
    return status, float(width.rstrip("%") or 0)


@pytest.mark.slow
@pytest.mark.browser
@needs_chromium
def test_readme_tour_step_2_in_jupyterlab(tmp_path):
    from browser import chromium
    from playwright.sync_api import expect

    t0 = time.monotonic()
    root = _tour_copy(tmp_path / "repo")
    machine = pd.read_csv(root / "data" / "sample" / "machines.csv").machine_id.iloc[0]
    start, end = WEEK_START + pd.Timedelta(days=1), WEEK_START + pd.Timedelta(days=3)
    with jupyterlab(root, tmp_path / "jupyter") as (url, token, log), \
            chromium(offline=False, viewport={"width": 1400, "height": 1000}) as context:
        elsewhere: list[str] = []

        def local_only(route):  # the tour needs nothing from the internet
            if route.request.url.startswith(("http://127.0.0.1", "ws://127.0.0.1", "data:", "blob:")):
                route.continue_()
            else:
                elsewhere.append(route.request.url)
                route.abort()

        context.route("**/*", local_only)
        page = context.new_page()
        page_errors: list[str] = []
        page.on("pageerror", lambda e: page_errors.append(str(e)))
        page.set_default_timeout(60_000)

        # README step 2: "open notebooks/scenario.ipynb and run all its cells (Run > Run All Cells)"
        page.goto(f"{url}/lab/tree/notebooks/scenario.ipynb?token={token}")
        page.get_by_text("Python 3 (ipykernel) | Idle").wait_for(timeout=90_000)
        page.get_by_role("menuitem", name="Run", exact=True).click()
        page.get_by_role("menuitem", name="Run All Cells", exact=True).click()

        # the editor renders as controls, not as text
        editor = page.locator(".jp-OutputArea-output .jupyter-widgets.widget-vbox").first
        editor.wait_for(timeout=120_000)
        assert page.get_by_role("tab", name="Downtime").count() == 1
        assert _button(editor, "Run").count() == 1
        assert editor.locator(".widget-select-multiple select").count() >= 4
        assert page.get_by_text("Error displaying widget").count() == 0
        assert page.get_by_text(re.compile(r"ScenarioEditor object|VBox\(children=")).count() == 0
        t_open = time.monotonic() - t0

        # a downtime: machine and dates in its tab, then Add
        page.get_by_role("tab", name="Downtime").click()
        panel = editor.locator(".widget-tab-contents > .widget-vbox:visible").first
        panel.locator(".widget-select-multiple", has_text="Machines").locator("select").select_option(machine)
        dates = panel.locator("input[type=date]")
        dates.nth(0).fill(start.strftime("%Y-%m-%d"))
        dates.nth(1).fill(end.strftime("%Y-%m-%d"))
        _button(panel, "Add downtime").click()
        changes = editor.locator(".widget-select:not(.widget-select-multiple) select")
        first = changes.locator("option").first
        first.wait_for()
        added = first.inner_text().replace("\xa0", " ")
        assert added == f"1. breakdown: {machine} {start:%Y-%m-%d} 06:00 to {end:%Y-%m-%d} 14:00", added

        # Run: the bar moves while the schedule is solved; the other buttons wait
        _button(editor, "Run").click()
        samples: list[tuple[str, float]] = []
        disabled_seen = set()
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:
            status, width = _bar(page)
            samples.append((status, width))
            if status.startswith(("planned", "planning failed", "cannot run")):
                break
            for name in ("Save", "Add downtime", "Remove", "Open"):
                if _button(editor, name).is_disabled():
                    disabled_seen.add(name)
            page.wait_for_timeout(250)
        status = samples[-1][0]
        assert status.startswith("planned 'My scenario'"), (status, samples[-5:], log.read_text()[-2000:])
        assert disabled_seen == {"Save", "Add downtime", "Remove", "Open"}
        for phase in ("base plan", "scenario plan"):               # CP-SAT says nothing until it is done, ...
            schedule = [w for s, w in samples if s == f"{phase}: schedule"]
            assert len(set(schedule)) >= 2, (phase, samples)        # ... yet the bar moves meanwhile
            assert schedule == sorted(schedule), (phase, samples)   # and never back
        assert samples[-1][1] == 100.0

        # the KPI table and the three charts
        kpis = editor.locator(".planlib-comparison table.planlib-table").first
        kpis.wait_for()
        head = kpis.locator("th").all_inner_texts()
        assert head[:3] == ["key figure", "base", "scenario"]
        assert kpis.locator("tbody tr").count() >= 4
        charts = editor.locator(".widget-output .jp-RenderedSVG[data-mime-type='image/svg+xml'] img")
        charts.nth(2).wait_for()                                    # SVG charts, drawn in the kernel
        assert charts.count() == 3
        for i in range(3):
            box = charts.nth(i).bounding_box()
            assert box and box["width"] > 100 and box["height"] > 50
        for name in ("Save", "Add downtime", "Remove", "Open", "Run"):     # the run is over
            expect(_button(editor, name)).to_be_enabled(timeout=30_000)
        t_run = time.monotonic() - t0

        # Save, then paste the printed command at the repository root
        _button(editor, "Save").click()
        command = editor.locator("code.planlib-command")
        command.wait_for()
        command = command.inner_text()
        assert f"paste at {root.resolve()}: " in _bar(page)[0]
        saved = root / "data" / "scenarios" / "my_scenario.yaml"
        assert saved.is_file() and (saved.stat().st_mode & 0o777) == 0o666 & ~_umask()
        assert load_scenario(saved).changes == (Downtime(machines=(machine,), start=start + pd.Timedelta(hours=6),
                                                         end=end + pd.Timedelta(hours=14)),)
        assert page_errors == [] and elsewhere == []

    # README step 3 shows this command; what the editor prints is it, with the copy's time limit
    words = shlex.split(command)
    readme = next(shlex.split(m) for m in re.findall(r"`([^`]*--scenario data/scenarios/my_scenario.yaml[^`]*)`",
                                                         (ROOT / "README.md").read_text()))
    assert words[1:-1] == readme[1:-1] and words[-2:] == ["--time-limit", f"{TIME_LIMIT_S:g}"], (words, readme)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    done = subprocess.run(words, check=False, cwd=root, env=env, capture_output=True, text=True, timeout=420)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    run_folder = root / "reports" / "2026-W48" / "my_scenario"
    manifest = json.loads((run_folder / "manifest.json").read_text())
    assert manifest["status"] == "ok" and manifest["time_limit_s"] == TIME_LIMIT_S
    assert (root / manifest["scenario_file"]).resolve() == saved.resolve()
    assert (run_folder / "weekly_report.html").is_file()
    print(f"\ntour timings: notebook open and run {t_open:.0f} s, editor Run done {t_run:.0f} s, "
          f"weekly run of the saved scenario done {time.monotonic() - t0:.0f} s")


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask
