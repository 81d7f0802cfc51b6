"""The weekly run never destroys a published plan, runs code in a report or leaves a mess (issue #12).

Most tests drive :func:`planlib.pipeline.run_week` with a fake papermill (``fake_execute``)
that writes small step tables in a fraction of a second, so the publish, lock, archive and
clean-up logic is tested on many runs; one real run (module fixture ``real_run``) checks
what a planner receives: the four HTML reports and the index. Subprocesses (the lock, a
kill) run this file as a script: ``python tests/test_run_safety.py child <out> <json>``.
"""
from __future__ import annotations

import contextlib
import json
import os
import signal
import stat
import subprocess
import sys
import time
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "sample"
BAD = Path(__file__).resolve().parent / "data" / "bad_inputs"
WEEK = "2026-W48"
PAYLOAD = '"><img src=x onerror=alert(1)>'
LATHE = (ROOT / "data" / "scenarios" / "lathe_breakdown.yaml").read_text()
ENV = {**os.environ, "PYTHONPATH": str(ROOT)}


# =========================================================================== a fake papermill

def fake_execute(input_path, output_path, parameters=None, **kwargs):
    """Stands in for ``papermill.execute_notebook``: writes the step's tables, marked with the seed.

    ``PLANLIB_FAKE`` (JSON) steers it: ``{"fail": step}`` raises in that step, ``{"hold": step,
    "until": file}`` waits in that step until the file exists, ``{"fill": step}`` writes in that
    step until the disk is full (as a notebook would: a PapermillExecutionError).
    """
    import nbformat
    import papermill as pm

    from planlib.data import write_tables

    how = json.loads(os.environ.get("PLANLIB_FAKE", "{}"))
    step = Path(input_path).stem.split("_", 1)[1]
    run_dir, seed = Path(parameters["run_dir"]), int(parameters["seed"])
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(f"source = {parameters['source']!r}\nseed = {seed}\n"
                                          f"scenario = {parameters['scenario']!r}"),
                nbformat.v4.new_markdown_cell(f"# {step}")]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, str(output_path))
    if how.get("hold") == step:
        while not Path(how["until"]).exists():
            time.sleep(0.05)
    if how.get("fail") == step:
        raise pm.PapermillExecutionError(1, 1, "", "ValueError", f"{step} service is down", [])
    if how.get("fill") == step:
        big = run_dir / step / "big.bin"
        big.parent.mkdir(exist_ok=True)
        try:
            with open(big, "wb") as fh:
                while True:
                    fh.write(b"\0" * 65536)
                    fh.flush()
        except OSError as exc:
            raise pm.PapermillExecutionError(1, 1, "", "OSError", str(exc), []) from None
    if step == "forecast":
        tables = {"forecast": pd.DataFrame({"item_id": ["FG-01"], "forecast": [float(seed)]})}
    elif step == "mrp":
        tables = {"planned_orders": pd.DataFrame({"order_id": ["PO-1"], "item_id": ["FG-01"], "qty": [float(seed)]}),
                  "exceptions": pd.DataFrame({"exception": ["shortage"], "item_id": ["FG-01"]})}
    elif step == "schedule":
        tables = {"schedule": pd.DataFrame({"order_id": ["PO-1"], "op_seq": [10], "machine_id": ["SAW-1"]}),
                  "schedule_kpis": pd.DataFrame({"kpi": ["solver_status"], "value": ["OPTIMAL"],
                                                 "machine_id": [None]})}
    else:
        tables = {"kpis": pd.DataFrame({"kpi": ["late_orders"], "value": [seed], "unit": ["orders"]})}
    write_tables(tables, run_dir / step)


@pytest.fixture
def fake(monkeypatch):
    """run_week with the fake papermill; the environment variable steers it."""
    import papermill as pm

    monkeypatch.setattr(pm, "execute_notebook", fake_execute)
    monkeypatch.delenv("PLANLIB_FAKE", raising=False)
    return monkeypatch


def run(out, seed=1, scenario=None, **kw):
    from planlib.pipeline import run_week

    return run_week(str(SAMPLE), WEEK, scenario=scenario, out=out, seed=seed, **kw)


def archived_seed(out, scenario="base"):
    from planlib import archive

    got = archive.read_run(out / "archive.duckdb", WEEK, scenario)
    return int(got["planned_orders"].qty.iloc[0]) if got else None


def published_seed(out, scenario="base"):
    return json.loads((out / WEEK / scenario / "manifest.json").read_text())["seed"]


def hidden(out):
    return sorted(p.name for p in (out / WEEK).iterdir() if p.name.startswith("."))


def child(out: str, how: str) -> None:
    """A run in another process (the lock and kill tests); ``how`` is PLANLIB_FAKE plus ``kill_at``."""
    import papermill as pm

    from planlib import archive

    pm.execute_notebook = fake_execute
    opts = json.loads(how)
    os.environ["PLANLIB_FAKE"] = how
    if opts.get("kill_at") == "publish":  # killed between the archive write and the publish
        real = os.replace

        def replace(src, dst):
            if Path(dst).name.startswith(".old-"):
                os._exit(9)
            real(src, dst)
        os.replace = replace
    if opts.get("kill_at") == "commit":  # killed after the publish, before the archive commit
        archive.StagedRun.commit = lambda self: os._exit(9)
    run(Path(out), seed=int(opts.get("seed", 2)))


def start_child(out, **how):
    return subprocess.Popen([sys.executable, __file__, "child", str(out), json.dumps(how)], env=ENV,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


# =========================================================================== 1. safe scenario names

def scenario_file(folder: Path, name: str, text: str = LATHE) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


@pytest.mark.parametrize("name", ["X/..yaml", "base.yaml", "Base.yaml", "Lathe.yaml", PAYLOAD + ".yaml",
                                  "a b.yaml", "-rush.yaml", "...yaml", "con.yaml", "x" * 65 + ".yaml"])
def test_unsafe_scenario_names_are_refused_and_the_published_plan_stays(fake, tmp_path, name):
    from planlib.problems import InputError

    out = tmp_path / "reports"
    run(out, seed=1)
    run(out, seed=1, scenario=scenario_file(tmp_path, "rush.yaml"))
    with pytest.raises(InputError) as info:
        run(out, seed=2, scenario=scenario_file(tmp_path / "s", name))
    fix = info.value.problems.fix.iloc[0]
    assert fix.startswith("rename the file to ") and info.value.problems.column.iloc[0] == "file name"
    assert published_seed(out) == 1 and published_seed(out, "rush") == 1 and archived_seed(out) == 1
    assert sorted(p.name for p in (out / WEEK).iterdir()) == ["base", "rush"]


def test_a_link_to_base_yaml_keeps_its_own_name_in_the_notebooks(fake, tmp_path):
    target = scenario_file(tmp_path / "files", "base.yaml")
    (tmp_path / "rush.yaml").symlink_to(target)
    folder = run(tmp_path / "reports", scenario=tmp_path / "rush.yaml")
    assert folder.name == "rush"
    cell = json.loads((folder / "notebooks" / "04_weekly_report.ipynb").read_text())["cells"][0]["source"]
    assert f"scenario = {str(tmp_path / 'rush.yaml')!r}" in "".join(cell)  # notebook 04 keys the archive by it


def test_cli_refuses_base_yaml_with_exit_2_and_the_fix(tmp_path):
    path = scenario_file(tmp_path, "base.yaml")
    res = subprocess.run([sys.executable, "-m", "planlib.cli", "run", str(SAMPLE), "--week", WEEK, "--scenario",
                          str(path), "--out", str(tmp_path / "reports")], capture_output=True, text=True, env=ENV,
                         timeout=120)
    assert res.returncode == 2, res.stderr
    assert "rename the file to base_scenario.yaml" in res.stderr and "Traceback" not in res.stderr
    assert not (tmp_path / "reports" / WEEK).exists()


@settings(max_examples=300, deadline=None)
@given(st.text(min_size=1, max_size=80))
def test_a_run_name_stays_in_the_week_folder_and_never_collides(stem):
    from planlib.pipeline import RESERVED_NAMES, run_name
    from planlib.problems import InputError

    try:
        name = run_name(f"{stem}.yaml")
    except InputError as exc:  # refused: with a fix that is itself a safe name
        suggested = exc.problems.fix.iloc[0].split()[4]
        assert run_name(suggested) == Path(suggested).stem
        return
    week = Path("/reports/2026-W48")
    assert (week / name).resolve().parent == week and name == name.lower() and name not in RESERVED_NAMES
    assert name == Path(f"{stem}.yaml").stem  # the file's name: the weekly report's archive key


# =========================================================================== 2. escaping

class Elements(HTMLParser):
    """Every element and attribute of a page."""

    def __init__(self, page: str) -> None:
        super().__init__()
        self.tags, self.text, self.scripts = [], [], []
        self.feed(page)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)
        if self.tags and self.tags[-1][0] == "script":
            self.scripts.append(data)


def no_payload_elements(page: str) -> Elements:
    els = Elements(page)
    handlers = [(t, a) for t, a in els.tags if any(k.startswith("on") for k in a)]
    assert handlers == [], handlers
    assert not [a for t, a in els.tags if t == "img" and a.get("src") == "x"]
    return els


def test_heading_shows_the_scenario_name_field_as_text(tmp_path):
    from planlib import report

    path = scenario_file(tmp_path, "lathe.yaml", LATHE.replace("name: Lathe breakdown", f"name: '{PAYLOAD} & co'"))
    page = report.heading("Weekly planning report, week 2026-W48", str(path))._repr_html_()
    els = no_payload_elements(page)
    assert [t for t, _ in els.tags] == ["h1", "em", "p"]
    assert "".join(els.text).startswith(f"Weekly planning report, week 2026-W48 - scenario lathe: {PAYLOAD} & co")


REAL_NAME = f"Lathe {PAYLOAD} <script>alert(2)</script>"


@pytest.fixture(scope="module")
def real_run(tmp_path_factory):
    """One real weekly run (papermill, four notebooks) of a scenario whose name: carries markup."""
    from planlib.pipeline import run_week

    tmp = tmp_path_factory.mktemp("real")
    path = scenario_file(tmp, "lathe.yaml", LATHE.replace("name: Lathe breakdown", f"name: '{REAL_NAME}'"))
    old = os.umask(0o022)
    try:
        folder = run_week(str(SAMPLE), WEEK, scenario=str(path), out=tmp / "reports", time_limit_s=5.0)
    finally:
        os.umask(old)
    return folder


def test_reports_show_the_scenario_name_and_no_element_from_it(real_run):
    pages = sorted(real_run.glob("*.html"))
    assert [p.name for p in pages] == ["follow_up.html", "forecast.html", "mrp.html", "schedule.html", "status_report.html",
                                       "weekly_report.html"]
    for path in pages + [real_run.parent.parent / "index.html"]:
        page = path.read_text()
        els = no_payload_elements(page)
        # the name may sit in a chart's data (a JSON string), never as markup: no "<" in any script
        assert not [s for s in els.scripts if "alert(" in s and "<" in s]
        assert not [s for s in els.scripts if "alert(" in s and not s.startswith("vegaEmbed(")]
        if path.name != "index.html":
            h1 = page[page.index('<h1 class="planlib-title">'):]
            h1 = h1[:h1.index("</h1>") + 5]
            assert "scenario <em>lathe</em>: " in h1 and [t for t, _ in Elements(h1).tags] == ["h1", "em"]
            assert f"week 2026-W48 - scenario lathe: {REAL_NAME}" in "".join(Elements(h1).text)
            title = page[page.index("<title>") + 7:page.index("</title>")]
            assert "&lt;script&gt;" in title and "<" not in title


def test_real_run_folders_follow_the_umask(real_run):
    assert stat.S_IMODE(real_run.stat().st_mode) == 0o755
    assert stat.S_IMODE((real_run / "manifest.json").stat().st_mode) == 0o644
    assert json.loads((real_run / "manifest.json").read_text())["scenario_name"] == REAL_NAME


# =========================================================================== 3. YAML limits and tags

LAUGHS = BAD / "scenario_billion_laughs" / "laughs.yaml"


def test_billion_laughs_is_refused_before_expansion():
    from planlib.problems import InputError
    from planlib.scenario import load_scenario

    assert LAUGHS.stat().st_size <= 342
    code = ("import resource, sys\nresource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))\n"
            "from planlib.scenario import load_scenario\nfrom planlib.problems import InputError\n"
            f"try:\n    load_scenario({str(LAUGHS)!r})\nexcept InputError as e:\n"
            "    print(e.problems.problem.iloc[0]); sys.exit(2)\n")
    t = time.perf_counter()
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=ENV, timeout=120)
    assert res.returncode == 2 and "more than 20 aliases" in res.stdout, res.stderr[-500:]
    assert time.perf_counter() - t < 30
    with pytest.raises(InputError) as info:
        load_scenario(LAUGHS)
    assert info.value.problems.row.iloc[0] == "laughs.yaml line 4"  # the 21st alias


@pytest.mark.parametrize("folder", sorted(p.name for p in BAD.glob("scenario_*")))
def test_bad_scenario_corpus_exits_2_with_the_expected_finding(tmp_path, capsys, folder):
    from planlib.cli import main

    case = BAD / folder
    expected = next(line.split(":", 1)[1].strip() for line in (case / "README.md").read_text().splitlines()
                    if line.startswith("expected:"))
    path = next(p for p in case.iterdir() if p.name != "README.md")
    cmd = ["run", str(SAMPLE), "--week", WEEK, "--scenario", str(path), "--out", str(tmp_path / "reports")]
    if folder == "scenario_billion_laughs":  # on the old code this takes all memory: in a limited process
        limit = "import resource; resource.setrlimit(resource.RLIMIT_AS, (3 << 30, 3 << 30))"
        res = subprocess.run([sys.executable, "-c", f"{limit}\nfrom planlib.cli import entry; entry()", *cmd],
                             capture_output=True, text=True, env=ENV, timeout=300)
        code, err = res.returncode, res.stderr
    else:
        code, err = main(cmd), capsys.readouterr().err
    assert code == 2, err[-800:]
    assert expected in err and "Traceback" not in err, err[-800:]
    assert not (tmp_path / "reports" / WEEK).exists()


# =========================================================================== 4. a full disk

@contextlib.contextmanager
def small_disk(folder: Path, size: str):
    folder.mkdir()
    res = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)],
                         capture_output=True, text=True)
    if res.returncode:
        pytest.skip(f"cannot mount a tmpfs here ({res.stderr.strip() or 'not root'}); "
                    "the full-disk path is not tested on this machine")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)


def test_full_disk_names_the_step_keeps_the_failed_run_small_and_frees_the_space(fake, tmp_path):
    from planlib.pipeline import StepFailed

    with small_disk(tmp_path / "disk", "24m") as disk:
        out = disk / "reports"
        run(out, seed=1)
        free = os.statvfs(disk).f_bavail
        fake.setenv("PLANLIB_FAKE", json.dumps({"fill": "schedule"}))
        with pytest.raises(StepFailed) as info:
            run(out, seed=2)
        assert info.value.step == "schedule" and info.value.disk_full
        assert "the disk is full" in str(info.value)
        failed = out / WEEK / ".failed-base"
        manifest = json.loads((failed / "manifest.json").read_text())
        assert manifest["status"] == "failed" and manifest["failed_step"] == "schedule" and manifest["disk_full"]
        assert sorted(p.name for p in failed.iterdir()) == ["manifest.json", "notebooks"]
        assert [p.name for p in (failed / "notebooks").iterdir()] == ["03_schedule.ipynb"]
        assert hidden(out) == [".failed-base"]
        assert os.statvfs(disk).f_bavail >= free - 64  # the space is back (less a few 4 kB pages)
        assert published_seed(out) == 1 and archived_seed(out) == 1


def test_disk_too_full_for_a_manifest_leaves_nothing_behind(fake, tmp_path):
    from planlib.pipeline import StepFailed

    with small_disk(tmp_path / "disk", "24m") as disk:
        out = disk / "reports"
        run(out, seed=1)
        with open(disk / "ballast", "wb", buffering=0) as fh:  # somebody else fills the disk
            with contextlib.suppress(OSError):
                while True:
                    fh.write(b"\0" * 4096)
        with pytest.raises(StepFailed) as info:
            run(out, seed=2)
        assert info.value.disk_full and info.value.kept is None and "the disk is full" in str(info.value)
        assert info.value.step == "forecast"
        assert hidden(out) == []
        assert published_seed(out) == 1 and archived_seed(out) == 1


# =========================================================================== 5. one run per reports folder

def wait_for(predicate, seconds=60.0):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def lock_holder(out):
    path = out / ".planlib-run.lock"
    return path.exists() and path.read_text().strip() != "" and (out / WEEK).exists() and hidden(out) != []


def test_a_second_run_exits_naming_the_first_then_waits_for_it(fake, tmp_path):
    from planlib.pipeline import RunLocked

    out = tmp_path / "reports"
    go = tmp_path / "go"
    first = start_child(out, hold="mrp", until=str(go), seed=2)
    try:
        assert wait_for(lambda: (out / WEEK).exists() and lock_holder(out)), first.stderr
        with pytest.raises(RunLocked) as info:
            run(out, seed=3, scenario=scenario_file(tmp_path, "rush.yaml"))
        holder = info.value.holder
        assert (holder["pid"], holder["week"], holder["scenario"]) == (first.pid, WEEK, "base")
        assert f"process {first.pid}" in str(info.value) and "started 20" in str(info.value)
        go.touch()
        run(out, seed=3, scenario=scenario_file(tmp_path, "rush.yaml"), lock_wait_s=60)  # waits for the first
        assert first.wait(60) == 0, first.stderr.read()
    finally:
        first.kill()
    assert published_seed(out) == 2 and published_seed(out, "rush") == 3
    assert archived_seed(out) == 2 and archived_seed(out, "rush") == 3


def test_cli_second_run_exits_2_without_a_duckdb_error(tmp_path):
    from planlib.pipeline import _RunLock

    out = tmp_path / "reports"
    out.mkdir()
    with _RunLock(out, WEEK, "base", 0, print):
        res = subprocess.run([sys.executable, "-m", "planlib.cli", "run", str(SAMPLE), "--week", WEEK, "--out",
                              str(out)], capture_output=True, text=True, env=ENV, timeout=120)
    assert res.returncode == 2, res.stderr
    assert f"process {os.getpid()}" in res.stderr and f"week {WEEK}, scenario base" in res.stderr
    assert "Could not set lock" not in res.stderr and "Traceback" not in res.stderr


def test_a_killed_run_s_lock_and_folders_are_taken_over(fake, tmp_path):
    out = tmp_path / "reports"
    run(out, seed=1)
    first = start_child(out, hold="schedule", until=str(tmp_path / "never"), seed=2)
    assert wait_for(lambda: lock_holder(out) and (out / WEEK).exists() and
                    any(p.name.startswith(".base.tmp-") for p in (out / WEEK).iterdir()))
    first.send_signal(signal.SIGKILL)
    first.wait(30)
    said = []
    run(out, seed=3, progress=said.append)
    assert any(f"taking over the lock of the run of week {WEEK}, scenario base, process {first.pid}" in s
               for s in said), said
    assert hidden(out) == [] and published_seed(out) == 3 and archived_seed(out) == 3


def test_publish_keeps_other_scenarios_failed_runs(fake, tmp_path):
    out = tmp_path / "reports"
    fake.setenv("PLANLIB_FAKE", json.dumps({"fail": "mrp"}))
    with pytest.raises(Exception):
        run(out, seed=1, scenario=scenario_file(tmp_path, "rush.yaml"))
    fake.delenv("PLANLIB_FAKE")
    run(out, seed=2)
    assert hidden(out) == [".failed-rush"]


def test_archive_held_by_another_program_is_a_clear_error(tmp_path):
    from planlib import archive

    path = tmp_path / "archive.duckdb"
    holder = subprocess.Popen([sys.executable, "-c", f"import duckdb, time; c = duckdb.connect({str(path)!r}); "
                               "print('open', flush=True); time.sleep(60)"], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "open"
        with pytest.raises(archive.ArchiveBusy) as info:
            archive._connect(path, wait_s=0.5)
        assert f"process {holder.pid}" in str(info.value) and "Could not set lock" not in str(info.value)
    finally:
        holder.kill()


# =========================================================================== 6. archive and publish agree

def test_failure_between_archive_write_and_publish_leaves_the_archive_as_published(fake, tmp_path):
    from planlib.pipeline import StepFailed

    out = tmp_path / "reports"
    run(out, seed=1)
    real = os.replace

    def replace(src, dst):
        if Path(src).name.startswith(".base.tmp-") and Path(dst).name == "base":
            raise OSError(5, "Input/output error")
        real(src, dst)
    fake.setattr(os, "replace", replace)
    with pytest.raises(StepFailed) as info:
        run(out, seed=2)
    fake.setattr(os, "replace", real)
    assert info.value.step == "publish"
    assert published_seed(out) == 1 and archived_seed(out) == 1
    assert hidden(out) == [".failed-base"]


@pytest.mark.parametrize("kill_at", ["publish", "commit"])
def test_a_kill_around_the_publish_leaves_archive_and_folder_agreeing(fake, tmp_path, kill_at):
    out = tmp_path / "reports"
    run(out, seed=1)
    killed = start_child(out, kill_at=kill_at, seed=2)
    assert killed.wait(120) == 9, killed.stderr.read()
    from planlib.pipeline import _recover

    assert archived_seed(out) == 1  # nothing archived that was not published
    expect = 1 if kill_at == "publish" else 2  # killed before or after the run folder was put in place
    _recover(out, print)  # what the next run does first, under the lock
    assert published_seed(out) == expect and archived_seed(out) == expect
    assert hidden(out) == []


# =========================================================================== 7. stale folders, modes

def test_stale_temporary_and_old_folders_are_cleaned_by_the_next_run(fake, tmp_path):
    out = tmp_path / "reports"
    run(out, seed=1)
    run(out, seed=1, scenario=scenario_file(tmp_path, "rush.yaml"))
    for stale in (".base.tmp-k1ll3d", ".rush.tmp-abc", ".old-rush"):
        (out / WEEK / stale).mkdir()
        (out / WEEK / stale / "big.csv").write_text("x\n" * 1000)
    (out / WEEK / ".failed-other").mkdir()
    run(out, seed=2)
    assert hidden(out) == [".failed-other"]
    assert published_seed(out, "rush") == 1


def test_an_interrupted_publish_is_put_back(fake, tmp_path):
    out = tmp_path / "reports"
    run(out, seed=1)
    os.replace(out / WEEK / "base", out / WEEK / ".old-base")  # killed between the two renames
    fake.setenv("PLANLIB_FAKE", json.dumps({"fail": "forecast"}))
    with pytest.raises(Exception):
        run(out, seed=2)
    assert published_seed(out) == 1 and hidden(out) == [".failed-base"]


@pytest.mark.parametrize("umask, folder, file", [(0o022, 0o755, 0o644), (0o027, 0o750, 0o640)])
def test_published_and_failed_runs_follow_the_umask(fake, tmp_path, umask, folder, file):
    old = os.umask(umask)
    try:
        out = tmp_path / "reports"
        run(out, seed=1)
        fake.setenv("PLANLIB_FAKE", json.dumps({"fail": "mrp"}))
        with pytest.raises(Exception):
            run(out, seed=2)
    finally:
        os.umask(old)
    for run_dir in (out / WEEK / "base", out / WEEK / ".failed-base"):
        assert stat.S_IMODE(run_dir.stat().st_mode) == folder, run_dir
        assert stat.S_IMODE((run_dir / "manifest.json").stat().st_mode) == file
    assert stat.S_IMODE((out / WEEK / "base" / "forecast.html").stat().st_mode) == file


# =========================================================================== the source's password

def test_database_password_never_recorded(fake, tmp_path):
    from planlib import pipeline

    url = "postgresql://planner:S3cretPw@db.example/plant"
    fake.setattr(pipeline, "inputs", lambda *a, **k: None)
    fake.setattr(pipeline, "_checksums", lambda source: {})
    said = []
    out = tmp_path / "reports"
    folder = pipeline.run_week(url, WEEK, out=out, progress=said.append)
    assert said and "S3cretPw" not in "\n".join(said)
    files = [p for p in folder.rglob("*") if p.is_file()]
    assert files and not [p for p in files if b"S3cretPw" in p.read_bytes()]
    assert json.loads((folder / "manifest.json").read_text())["source"] == "postgresql://planner:***@db.example/plant"
    fake.setenv("PLANLIB_FAKE", json.dumps({"fail": "mrp"}))
    with pytest.raises(pipeline.StepFailed):
        pipeline.run_week(url, WEEK, out=out, progress=said.append)
    assert not [p for p in (out / WEEK / ".failed-base").rglob("*") if p.is_file() and b"S3cretPw" in p.read_bytes()]


if __name__ == "__main__" and sys.argv[1:2] == ["child"]:
    child(sys.argv[2], sys.argv[3])
