"""``planlib schedule`` on the sample factory and ``planlib bench-schedule`` on a known instance."""
from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest
from browser import chromium, needs_chromium, open_page, other_hosts

from planlib.calendar import machine_intervals
from planlib.cli import main
from planlib.schedule import check_schedule
from planlib.schedule.jobshop import check_jobshop, read_jsplib

DATA = Path(__file__).parent / "data" / "schedule"


def test_schedule_command_on_the_sample_factory(sample_dir, sample, tmp_path, capsys):
    out = tmp_path / "sched"
    code = main(["schedule", str(sample_dir), "--out", str(out), "--time-limit", "3", "--seed", "1",
                 "--crew", "ASSY=2", "--quiet"])
    assert code == 0
    printed = capsys.readouterr().out
    assert "operations, on time" in printed
    files = {p.name for p in out.iterdir()}
    assert {"schedule.csv", "dispatch_list.csv", "schedule_kpis.csv", "late_orders.csv",
            "schedule_exceptions.csv", "gantt.html"} <= files
    sched = pd.read_csv(out / "schedule.csv", parse_dates=["setup_start", "start", "end", "earliest_start"])
    assert len(sched) > 0
    wcs = set(sched.work_center_id)
    assert {f"dispatch_{w}.html" for w in wcs} <= files
    # the written schedule, read back, respects every calendar and changeover of the sample
    t0 = pd.Timestamp("2026-11-23")
    iv = machine_intervals(sample, t0, t0 + pd.Timedelta(days=120))
    bad = check_schedule(sched, t0, iv, sample.setup_matrix, None, sample.machines, {"ASSY": 2})
    assert bad.empty, bad.to_string()
    kpis = pd.read_csv(out / "schedule_kpis.csv").set_index("kpi")
    assert kpis.loc["solver_status", "value"] in ("OPTIMAL", "FEASIBLE", "HEURISTIC")
    assert float(kpis.loc["operations", "value"]) == len(sched)


@pytest.mark.parametrize("respect", [False, True], ids=["reported", "planned_to"])
def test_schedule_command_can_plan_operators_to_the_staffing(sample_dir, sample, tmp_path, capsys, respect):
    """``--respect-staffing``: the published schedule, read back, never needs more operators than the
    sample's shifts put on (the independent checker; the labour requirements show no shortfall).
    Without the flag the same command plans the ASSY crew into the night, where no shift is staffed."""
    from planlib.data import read_table
    from planlib.labour import labour_requirements

    out = tmp_path / "sched"
    args = ["schedule", str(sample_dir), "--out", str(out), "--time-limit", "3", "--quiet"]
    assert main(args + (["--respect-staffing"] if respect else [])) == 0
    sched = read_table(out / "schedule.csv")
    t0 = pd.Timestamp("2026-11-23")
    iv = machine_intervals(sample, t0, t0 + pd.Timedelta(days=120))
    bad = check_schedule(sched, t0, iv, sample.setup_matrix, None, sample.machines, staffing=sample.staffing)
    short = labour_requirements(sched, sample, t0).shortfall_h.sum()
    if respect:
        assert bad.empty, bad.to_string()
        assert short == 0.0
    else:
        assert set(bad.rule) == {"staffing"} and bad.detail.str.contains("0 on shift").any()
        assert short > 0.0


def test_sample_factory_schedule_respects_every_calendar_and_setup(sample_dir, sample, tmp_path, capsys):
    """The issue's check: ``planlib schedule data/sample --out DIR`` (no options but a short time limit);
    the written schedule is read back and checked against the sample's own tables: every run inside
    its machine's working time with enough working minutes, every routing setup and family changeover
    in working time between the previous operation on the machine and the run, and the work contents
    in the table recomputed from routings, machine speeds and item families, so that the checker is
    not fed the scheduler's own numbers."""
    out = tmp_path / "sched"
    assert main(["schedule", str(sample_dir), "--out", str(out), "--time-limit", "3", "--quiet"]) == 0
    sched = pd.read_csv(out / "schedule.csv", parse_dates=["setup_start", "start", "end", "earliest_start"])
    # work contents from the input tables
    r = sample.routings.set_index(["item_id", "op_seq"])
    speed = sample.machines.set_index("machine_id").speed_factor.fillna(1.0)
    family = sample.items.set_index("item_id").family
    for row in sched.itertuples():
        rt = r.loc[(row.item_id, row.op_seq)]
        run = max(1, math.ceil(row.qty * rt.run_min_per_unit / speed[row.machine_id] - 1e-9))
        assert row.run_min == run, row
        assert row.setup_min == (0 if row.status == "running" else math.ceil(rt.setup_min)), row
        assert row.family == family[row.item_id]
        assert bool(row.uninterruptible) == bool(rt.uninterruptible)
    # the schedule exercises both rules: runs pause over breaks, families change on machines
    paused = (sched.end - sched.start).dt.total_seconds() / 60 > sched.run_min
    assert paused.sum() >= 5
    assert (sched.changeover_min > 0).sum() >= 5
    t0 = pd.Timestamp("2026-11-23")
    iv = machine_intervals(sample, t0, t0 + pd.Timedelta(days=120))
    args = (t0, iv, sample.setup_matrix, None, sample.machines)
    bad = check_schedule(sched, *args)
    assert bad.empty, bad.to_string()
    # the check is not vacuous: a changeover squeezed out and a run on a Sunday are caught
    k = sched.index[(sched.changeover_min > 0) & (sched.status != "running")][0]
    m = sched.machine_id[k]
    same = sched[sched.machine_id == m].sort_values("start")
    prev_end = same.end[same.start < sched.start[k]].max()
    squeezed = sched.copy()
    shift = squeezed.start[k] - prev_end  # the run now starts right after the previous operation
    squeezed.loc[k, ["setup_start", "start", "end"]] = [prev_end, prev_end, squeezed.end[k] - shift]
    assert "setup" in set(check_schedule(squeezed, *args).rule)
    sunday = sched.copy()
    sunday.loc[k, ["setup_start", "start", "end"]] = [pd.Timestamp("2026-11-29 09:00"),
                                                      pd.Timestamp("2026-11-29 10:00"),
                                                      pd.Timestamp("2026-11-29 12:00")]
    assert "calendar" in set(check_schedule(sunday, *args).rule)


def test_schedule_command_reports_bad_input(tmp_path, capsys):
    code = main(["schedule", str(tmp_path / "missing"), "--out", str(tmp_path / "o"), "--quiet"])
    assert code in (1, 2)
    assert not (tmp_path / "o").exists()


def test_bench_schedule_command(tmp_path, capsys):
    results = tmp_path / "res" / "results.csv"
    code = main(["bench-schedule", str(DATA / "ft06"), "--format", "jsplib", "--time-limit", "5",
                 "--out", str(results), "--schedules", str(tmp_path / "s"), "--quiet"])
    assert code == 0
    r = pd.read_csv(results)
    assert list(r.columns[:5]) == ["instance", "makespan", "bound", "status", "seconds"]
    assert r.makespan.iat[0] == 55 and r.check.iat[0] == "ok"
    sched = pd.read_csv(tmp_path / "s" / "ft06.csv")
    assert list(sched.columns) == ["job", "op", "machine", "start", "end"]
    assert check_jobshop(read_jsplib(DATA / "ft06"), sched) == []
    assert sched.end.max() == 55


def test_bench_schedule_reports_a_bad_instance_and_goes_on(tmp_path, capsys):
    short = tmp_path / "short.txt"
    short.write_text("2 2\n0 3 1 4\n")
    results = tmp_path / "results.csv"
    code = main(["bench-schedule", str(DATA / "ft06"), str(short), str(tmp_path / "none.txt"),
                 str(DATA / "zero_duration.txt"), "--format", "jsplib", "--time-limit", "3",
                 "--out", str(results), "--quiet"])
    assert code == 0  # two instances solved and checked
    r = pd.read_csv(results).set_index("instance")
    r["error"] = r.error.fillna("")
    assert list(r.index) == ["ft06", "short", "none", "zero_duration"]
    assert r.loc["ft06", "makespan"] == 55 and r.loc["ft06", "check"] == "ok" and r.loc["ft06", "error"] == ""
    assert r.loc["zero_duration", "makespan"] == 15 and r.loc["zero_duration", "check"] == "ok"
    assert r.loc["short", "status"] == "FAILED"
    assert r.loc["short", "error"] == ("cannot be read as --format jsplib: the header announces 2 jobs but "
                                       "1 job line(s) follow")
    assert r.loc["none", "status"] == "FAILED" and "No such file or directory" in r.loc["none", "error"]
    err = capsys.readouterr().err
    assert "2 instance(s) failed" in err and "short.txt" in err and "Traceback" not in err


def test_bench_schedule_survives_a_solver_error_and_fails_only_if_all_fail(tmp_path, monkeypatch, capsys):
    import planlib.schedule.jobshop as jobshop

    real = jobshop.solve_jobshop

    def flaky(jobs, settings=None, name="", **kw):
        if name == "ft06":
            raise RuntimeError("solver crashed")
        return real(jobs, settings, name, **kw)

    monkeypatch.setattr(jobshop, "solve_jobshop", flaky)
    results = tmp_path / "results.csv"
    code = main(["bench-schedule", str(DATA / "ft06"), str(DATA / "zero_duration.txt"), "--format", "jsplib",
                 "--time-limit", "2", "--out", str(results), "--quiet"])
    assert code == 0
    r = pd.read_csv(results).set_index("instance")
    r["error"] = r.error.fillna("")
    assert r.loc["ft06", "status"] == "FAILED"
    assert r.loc["ft06", "error"] == "solver error: RuntimeError: solver crashed"
    assert r.loc["zero_duration", "check"] == "ok"
    # every instance failed: exit code 1, and the results still written
    code = main(["bench-schedule", str(DATA / "ft06"), str(tmp_path / "none.txt"), "--format", "jsplib",
                 "--out", str(results), "--quiet"])
    assert code == 1
    assert list(pd.read_csv(results).status) == ["FAILED", "FAILED"]
    assert "Traceback" not in capsys.readouterr().err


def test_gantt_page_of_a_large_plant_is_written():
    """More than altair's default 5,000 rows (a 10,000-item plant has ~19,000 bars) must not fail."""
    import altair as alt

    from planlib.pipeline import gantt_page

    bars = pd.DataFrame({"machine_id": [f"M{i % 30}" for i in range(6000)], "start": range(6000)})
    chart = alt.Chart(bars).mark_bar().encode(y="machine_id:N", x="start:Q")
    # altair's default limit, whatever an earlier test in this process set (report.setup_notebook lifts it)
    with alt.data_transformers.enable("default", max_rows=5000):
        with pytest.raises(alt.MaxRowsError):
            chart.to_html()
        html = gantt_page(chart)
    assert html.count('"machine_id": "M29"') == 200


@pytest.mark.browser
@needs_chromium
def test_gantt_page_of_the_schedule_command_renders_offline(sample_dir, tmp_path):
    """gantt.html carries the Vega libraries (no CDN): offline it draws the bars, the calendar's bands and
    shows a tooltip, and asks no other host for anything."""
    out = tmp_path / "sched"
    assert main(["schedule", str(sample_dir), "--out", str(out), "--time-limit", "2", "--no-mrp", "--quiet"]) == 0
    page_text = (out / "gantt.html").read_text()
    assert "cdn.jsdelivr" not in page_text and "<script src=" not in page_text.replace("<script src=\"data:", "")
    with chromium() as context:
        page, errors, requests = open_page(context, out / "gantt.html", wait_ms=1500)
        assert not errors and not other_hosts(requests)
        bars = page.locator("g.operations_marks path").count()
        assert bars >= pd.read_csv(out / "schedule.csv").shape[0]  # a bar (or its pieces) per operation
        assert page.locator("g.bands_marks path").count() > 0  # nights and weekends drawn
        box = page.evaluate("""() => {
            const clip = document.querySelector('svg').getBoundingClientRect();
            for (const p of document.querySelectorAll('g.operations_marks path')) {
                const r = p.getBoundingClientRect();
                if (r.width > 6 && r.left > clip.left + 60 && r.right < clip.right - 40)
                    return {x: r.left + r.width / 2, y: r.top + r.height / 2};
            }
            return null; }""")
        page.mouse.move(box["x"], box["y"])
        page.wait_for_timeout(400)
        assert "order" in page.locator("#vg-tooltip-element").inner_text()
