"""Revising a published schedule mid-week: ``planlib reschedule`` and :mod:`planlib.revise`.

The published run is built in process (the sample's released production orders and one planned
make order, scheduled with the weekly run's schedule step) and written as ``planlib run`` writes a
run folder: ``manifest.json``, ``schedule/schedule.csv``, ``mrp/planned_orders.csv``.
"""
from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

import pandas as pd
import pytest

from planlib import steps
from planlib.cli import main
from planlib.data import read_table, write_tables
from planlib.params import PlanParams
from planlib.problems import InputError
from planlib.revise import order_changes, publish_revision, revise_schedule, revision_kpis
from planlib.scenario import absence_crews, baseline_crews, load_scenario, parse_scenario

T0 = pd.Timestamp("2026-11-23")
NOW = pd.Timestamp("2026-11-24 10:00")
# planned make orders: FG-01 whose SA-07 comes (past the stock) from MO-50017 on WELD-1, and MP-06
# whose RM-11 comes (past the stock of 11) from the purchase order PO-40004
PLANNED = pd.DataFrame({"order_id": ["PLN-T1", "PLN-T2"], "item_id": ["FG-01", "MP-06"], "order_type": "make",
                        "qty": [200.0, 100.0], "release_date": [T0, pd.Timestamp("2026-11-25")],
                        "due_date": pd.to_datetime(["2026-11-27", "2026-12-02"])})


def _publish(folder: Path, ds, source: Path) -> Path:
    params = PlanParams(plan_start=T0.date(), time_limit_s=1, seed=1)
    res = steps.schedule(ds, params, PLANNED)
    run = folder / "2026-W48" / "base"
    write_tables(steps.schedule_tables(res), run / "schedule")
    write_tables({"planned_orders": PLANNED}, run / "mrp")
    manifest = {"week": "2026-W48", "scenario": "base", "source": str(source), "scenario_file": "",
                "plan_start": "2026-11-23", "parameters": {"plan": params.as_dict()}, "status": "ok"}
    (run / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    return run


@pytest.fixture(scope="module")
def published(tmp_path_factory, sample, sample_dir):
    return _publish(tmp_path_factory.mktemp("reports"), sample, sample_dir)


def _run_copy(published: Path, tmp_path: Path) -> Path:
    """A fresh copy of the published run (each test publishes into its own)."""
    import shutil

    dst = tmp_path / "reports" / "2026-W48" / "base"
    shutil.copytree(published, dst)
    return dst


def _scenario(tmp_path: Path, text: str, name: str = "disruption.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _busy_machine(schedule: pd.DataFrame, lo, hi) -> str:
    """The machine with the most operations starting in ``[lo, hi)`` (computed, not assumed)."""
    s = schedule[(schedule.start >= lo) & (schedule.start < hi)]
    return str(s.machine_id.value_counts().index[0])


# --------------------------------------------------------------------------- the CLI, end to end

def test_cli_revises_keeps_started_operations_and_explains_every_move(published, tmp_path, capsys):
    run = _run_copy(published, tmp_path)
    before = read_table(run / "schedule" / "schedule.csv")
    down_from, down_to = NOW + pd.Timedelta(hours=2), NOW + pd.Timedelta(hours=30)
    machine = _busy_machine(before, down_from, down_to + pd.Timedelta(hours=24))
    path = _scenario(tmp_path, f"""name: Machine down
changes:
  - kind: downtime
    machine: {machine}
    start: {down_from:%Y-%m-%d %H:%M}
    end: {down_to:%Y-%m-%d %H:%M}
""")
    rc = main(["reschedule", str(run), str(path), "--now", f"{NOW:%Y-%m-%d %H:%M}", "--frozen-hours", "1",
               "--time-limit", "1", "--quiet"])
    out = capsys.readouterr().out
    assert rc == 0
    folder = run / "revisions" / "machine_down-20261124-1000"
    assert f"published in {folder}" in out
    after = read_table(folder / "schedule.csv")
    moves = read_table(folder / "moves.csv")
    assert out.startswith(f"{len(moves)} operation")
    # started operations keep machine and times
    started = before[(before.start < NOW) & (before.end > NOW)]
    assert len(started)
    a = after.set_index(["order_id", "op_seq"])
    for r in started.itertuples():
        kept = a.loc[(r.order_id, r.op_seq)]
        assert (kept.machine_id, kept.start, kept.end) == (r.machine_id, r.start, r.end)
    # done operations leave the schedule; nothing new starts before now
    done = before[before.end <= NOW]
    assert not set(zip(done.order_id, done.op_seq)) & set(a.index)
    moved_or_new = after[~after.set_index(["order_id", "op_seq"]).index.isin(
        list(zip(started.order_id, started.op_seq)))]
    assert (moved_or_new[moved_or_new.status != "frozen"].setup_start >= NOW).all()
    # nothing starts or ends on the machine while it is down
    on_m = after[after.machine_id == machine]
    for col in ("start", "end"):
        assert not ((on_m[col] > down_from) & (on_m[col] < down_to)).any()
    # each operation that moved is in moves.csv with its shift, recomputed here, and a reason;
    # each one the breakdown hit (its slot on the machine overlapped the window) says so
    b = before.set_index(["order_id", "op_seq"])
    m = moves.set_index(["order_id", "op_seq"])
    for k in a.index.intersection(b.index):
        changed = a.loc[k, "machine_id"] != b.loc[k, "machine_id"] or a.loc[k, "start"] != b.loc[k, "start"]
        if changed:
            assert k in m.index, k
            shift = (a.loc[k, "start"] - b.loc[k, "start"]).total_seconds() / 3600
            assert m.loc[k, "shift_h"] == pytest.approx(shift, abs=0.01)
            assert m.loc[k, "reason"]
    hit = before[(before.machine_id == machine) & (before.start < down_to) & (before.end > down_from)
                 & (before.setup_start >= NOW + pd.Timedelta(hours=1))]
    assert len(hit)
    for r in hit.itertuples():
        assert f"machine {machine} down" in m.loc[(r.order_id, r.op_seq), "reason"]
    # published beside the weekly run: tickets, a page, the revisions index links it
    assert list(folder.glob("dispatch_*.html"))
    page = (folder / "index.html").read_text(encoding="utf-8")
    assert f"machine {machine} down" in page and "Machine down" in page
    assert 'href="machine_down-20261124-1000/index.html"' in (run / "revisions" / "index.html").read_text()
    assert not [p for p in (run / "revisions").iterdir() if p.name.startswith(".")]


def _tree(folder: Path) -> dict:
    return {str(p.relative_to(folder)): p.stat().st_mtime_ns for p in folder.rglob("*")}


@pytest.mark.parametrize("case", ["no_run", "bad_file", "unknown_machine", "now_outside", "now_before",
                                  "missing_source"])
def test_cli_bad_input_exits_2_with_the_fix_and_writes_nothing(published, tmp_path, capsys, case):
    run = _run_copy(published, tmp_path)
    good = _scenario(tmp_path, "name: Down\nchanges:\n  - kind: downtime\n    machine: LATHE-1\n"
                               "    start: 2026-11-24 12:00\n    hours: 8\n")
    args = [str(run), str(good), "--now", "2026-11-24 10:00"]
    expect = {}
    if case == "no_run":
        args[0] = str(tmp_path / "reports" / "2026-W47" / "base")  # no such week
        expect = {"run folder", "no such folder", "published weekly run"}
    elif case == "bad_file":
        args[1] = str(_scenario(tmp_path, "name: Bad\nchanges:\n  - kind: operator_absence\n    work_center: ASSY\n"
                                          "    from: 2026-11-24\n    to: 2026-11-23\n    operators: 0\n",
                                "bad.yaml"))
        expect = {"bad.yaml line 6", "'to' is not after 'from'", "bad.yaml line 7", "must be more than 0",
                  "how many operators are absent"}
    elif case == "unknown_machine":
        args[1] = str(_scenario(tmp_path, "name: Bad\nchanges:\n  - kind: downtime\n    machine: LATHE-9\n"
                                          "    start: 2026-11-24 12:00\n    hours: 8\n"
                                          "  - kind: quantity_change\n    order: PO-40002\n    qty: 5\n",
                                "bad.yaml"))
        expect = {"bad.yaml line 4", "unknown machine 'LATHE-9'", "did you mean LATHE-", "bad.yaml line 8",
                  "PO-40002 is a purchase order"}
    elif case == "now_outside":
        args[3] = "2026-12-25 10:00"
        expect = {"--now", "outside the published schedule", "give a time inside the week"}
    elif case == "now_before":
        args[3] = "2026-11-20 10:00"
        expect = {"--now", "outside the published schedule"}
    elif case == "missing_source":
        manifest = json.loads((run / "manifest.json").read_text())
        manifest["source"] = str(tmp_path / "gone")
        (run / "manifest.json").write_text(json.dumps(manifest))
        expect = {"manifest.json", "source", "pass the dataset with --source"}
    before = _tree(run.parent.parent)
    rc = main(["reschedule", *args, "--quiet"])
    err = capsys.readouterr().err
    assert rc == 2
    assert err.startswith("planlib reschedule: ") and "severity" in err  # the message, then the problem table
    assert "Traceback" not in err
    assert _tree(run.parent.parent) == before  # nothing written
    # the problems in full (the terminal table shortens long cells): table, row, column and fix
    with pytest.raises(InputError) as exc:
        revise_schedule(args[0], args[1], args[3])
    found = " ".join(exc.value.problems.astype(str).to_numpy().ravel())
    for text in expect:
        assert text in found, (text, found)
    assert _tree(run.parent.parent) == before


def test_publish_is_all_or_nothing(published, tmp_path, monkeypatch, sample_dir):
    run = _run_copy(published, tmp_path)
    # a run made at the repository root names its source relative to it (reports/<week>/<scenario>)
    (tmp_path / "factory").symlink_to(sample_dir)
    manifest = json.loads((run / "manifest.json").read_text())
    (run / "manifest.json").write_text(json.dumps({**manifest, "source": "factory"}))
    scen = parse_scenario("name: Down\nchanges:\n  - kind: downtime\n    machine: LATHE-1\n"
                          "    start: 2026-11-24 12:00\n    hours: 8\n")
    rv = revise_schedule(run, scen, NOW, time_limit_s=1)

    import planlib.pipeline

    real = planlib.pipeline.schedule_pages

    def broken(*a, **k):
        raise OSError("disk full")

    monkeypatch.setattr(planlib.pipeline, "schedule_pages", broken)
    with pytest.raises(OSError):
        publish_revision(rv, run)
    assert not (run / "revisions").exists()  # a first revision that failed leaves no folder
    monkeypatch.setattr(planlib.pipeline, "schedule_pages", real)
    first = publish_revision(rv, run)
    assert (first / "schedule.csv").exists()
    original = (first / "moves.csv").read_bytes()
    monkeypatch.setattr(planlib.pipeline, "schedule_pages", broken)
    with pytest.raises(OSError):
        publish_revision(rv, run)
    # the earlier revision of the same minute is untouched, no temporary folder is left
    assert (first / "moves.csv").read_bytes() == original
    assert sorted(p.name for p in (run / "revisions").iterdir()) == ["down-20261124-1000", "index.html"]


# --------------------------------------------------------------------------- the disruptions

def test_material_from_an_order_done_before_now_keeps_the_started_consumer(published, tmp_path):
    """PLN-T1's first operation starts on SA-07 that MO-50017 finished before now: it has started,
    so it keeps its slot and the checker accepts it (the component was available when MO-50017
    ended, not only from the revision time)."""
    run = _run_copy(published, tmp_path)
    before = read_table(run / "schedule" / "schedule.csv")
    mo = before[before.order_id == "MO-50017"].end.max()
    first = before[(before.order_id == "PLN-T1")].sort_values("op_seq").iloc[0]
    material = read_table(run / "schedule" / "material.csv")
    assert "MO-50017" in set(material[material.order_id == "PLN-T1"].supply_id)
    now = max(first.start, mo) + pd.Timedelta(minutes=30)
    assert now < first.end
    scen = parse_scenario("name: Nothing much\nchanges:\n  - kind: downtime\n    machine: LATHE-1\n"
                          "    start: 2026-11-30 12:00\n    hours: 1\n")
    rv = revise_schedule(run, scen, now, time_limit_s=1)  # raised 'breaks ... material' before the fix
    kept = rv.schedule.set_index(["order_id", "op_seq"]).loc[("PLN-T1", int(first.op_seq))]
    assert (kept.machine_id, kept.start, kept.end) == (first.machine_id, first.start, first.end)
    supplied = rv.result.result.material
    row = supplied[(supplied.order_id == "PLN-T1") & (supplied.supply_id == "MO-50017")]
    assert (row.available_at <= first.start).all()


def test_operator_absence_lowers_the_crew_and_the_schedule_respects_it(published, tmp_path, sample):
    run = _run_copy(published, tmp_path)
    text = ("name: Absence\nchanges:\n  - kind: operator_absence\n    work_center: ASSY\n"
            "    from: 2026-11-24 06:00\n    to: 2026-11-25\n    operators: 2\n")
    scen = parse_scenario(text)
    r = sample.routings
    machines = int((sample.machines.work_center_id == "ASSY").sum())
    crew = float(r.crew_size[r.work_center_id == "ASSY"].max())
    assert baseline_crews(sample)["ASSY"] == machines * crew
    assert absence_crews(sample, scen)["ASSY"] == machines * crew - 2
    assert absence_crews(sample, scen, start="2026-11-26") == {}  # the absence is over by then
    rv = revise_schedule(run, scen, NOW, time_limit_s=1)
    limit = machines * crew - 2
    s = rv.schedule[(rv.schedule.work_center_id == "ASSY") & (rv.schedule.crew_size > 0)]
    # independent sweep: operators in use at every start never exceed what is left
    for t in s.start:
        assert s.crew_size[(s.start <= t) & (s.end > t)].sum() <= limit + 1e-9
    assert any("operator absence" in n for n in rv.notes)
    assert rv.kpis.set_index("kpi").loc["operations_moved", "after"] == len(rv.moves)


def test_rush_quantity_and_late_material_move_with_their_reasons(published, tmp_path):
    run = _run_copy(published, tmp_path)
    before = read_table(run / "schedule" / "schedule.csv")
    # a released order still to start after the frozen window gets a larger quantity
    later = before[(before.setup_start > NOW + pd.Timedelta(hours=8)) & before.order_id.str.startswith("MO-")]
    order = later.sort_values("start").order_id.iloc[0]
    qty = float(before[before.order_id == order].qty.iloc[0]) * 2
    scen = parse_scenario(f"""name: Midweek
changes:
  - kind: quantity_change
    order: {order}
    qty: {qty:g}
  - kind: quantity_change
    order: PLN-T1
    qty: 150
  - kind: rush_order
    item: FG-03
    qty: 10
    due: 2026-11-26
""")
    rv = revise_schedule(run, scen, NOW, time_limit_s=1)
    s = rv.schedule
    assert set(s[s.order_id == order].qty) == {qty}
    assert set(s[s.order_id == "PLN-T1"].qty) <= {150.0, 200.0}  # started operations keep their quantity
    assert "RUSH-001" in set(s.order_id)
    assert bool(rv.orders.set_index("order_id").loc["RUSH-001", "new"])
    m = rv.moves[rv.moves.order_id == order]
    assert len(m) and m.reason.str.contains("quantity change").all()


def test_late_material_holds_the_consuming_operation(published, tmp_path):
    run = _run_copy(published, tmp_path)
    before = read_table(run / "schedule" / "schedule.csv")
    material = read_table(run / "schedule" / "material.csv")
    assert "PO-40004" in set(material[material.order_id == "PLN-T2"].supply_id)
    was = before.set_index(["order_id", "op_seq"]).loc[("PLN-T2", 10)]
    late = pd.Timestamp("2026-11-30 14:00")
    assert was.start < late
    scen = parse_scenario("name: Late\nchanges:\n  - kind: late_material\n    order: PO-40004\n"
                          f"    date: {late:%Y-%m-%d %H:%M}\n")
    rv = revise_schedule(run, scen, NOW, time_limit_s=1)
    op = rv.schedule.set_index(["order_id", "op_seq"]).loc[("PLN-T2", 10)]
    assert op.start >= late
    reason = rv.moves.set_index(["order_id", "op_seq"]).loc[("PLN-T2", 10), "reason"]
    assert "material or release not before Mon 30 Nov 14:00" in reason


# --------------------------------------------------------------------------- the tables

def test_order_changes_and_kpis_by_hand():
    before = pd.DataFrame({"order_id": ["A", "A", "B", "C"], "op_seq": [10, 20, 10, 10],
                           "item_id": ["X", "X", "Y", "Z"],
                           "due_date": pd.to_datetime(["2026-11-25"] * 2 + ["2026-11-24", "2026-11-30"]),
                           "end": pd.to_datetime(["2026-11-24 08:00", "2026-11-25 12:00", "2026-11-24 20:00",
                                                  "2026-11-27 06:00"])})
    after = pd.DataFrame({"order_id": ["A", "B", "N"], "op_seq": [20, 10, 10], "item_id": ["X", "Y", "X"],
                          "due_date": pd.to_datetime(["2026-11-25", "2026-11-24", "2026-11-26"]),
                          "end": pd.to_datetime(["2026-11-26 18:00", "2026-11-24 20:00", "2026-11-26 10:00"])})
    done = pd.DataFrame({"order_id": ["A", "C"], "op_seq": [10, 10], "machine_id": ["M1", "M2"],
                         "start": pd.to_datetime(["2026-11-23", "2026-11-23"]),
                         "end": pd.to_datetime(["2026-11-24 08:00", "2026-11-27 06:00"])})
    o = order_changes(before, after, done).set_index("order_id")
    assert o.loc["A", "delay_h"] == 30.0  # 2026-11-25 12:00 -> 2026-11-26 18:00
    assert not o.loc["A", "late_before"] and o.loc["A", "late_after"]  # due 25th: late from the 26th on
    assert o.loc["C", "end_after"] == pd.Timestamp("2026-11-27 06:00")  # done orders count
    assert o.loc["N", "new"] and pd.isna(o.loc["N", "end_before"])
    k = revision_kpis(o.reset_index(), pd.DataFrame({"order_id": ["A"]})).set_index("kpi")
    assert (k.loc["orders", "before"], k.loc["orders", "after"]) == (3, 4)
    assert (k.loc["late_orders", "before"], k.loc["late_orders", "after"]) == (0, 1)
    assert k.loc["tardiness_h", "after"] == 18.0  # A ends 18:00 on the day after its due date
    assert k.loc["on_time_pct", "after"] == 75.0
    assert k.loc["orders_later", "after"] == 1


def test_scenario_file_round_trip_of_the_new_kinds(tmp_path):
    path = _scenario(tmp_path, """name: All three
changes:
  - kind: operator_absence
    work_center: ASSY
    from: 2026-11-25 06:00
    to: 2026-11-26
    operators: 1.5
  - kind: quantity_change
    order: MO-50012
    qty: 120
  - kind: late_material
    item: RM-08
    date: 2026-11-27 14:00
""")
    s = load_scenario(path)
    assert s.describe() == ["1.5 operator(s) absent at ASSY 2026-11-25 06:00 to 2026-11-27 00:00",
                            "quantity of MO-50012 becomes 120",
                            "material late: open purchase receipts of RM-08 not before 2026-11-27 14:00"]
    from planlib.scenario import scenario_to_yaml

    assert parse_scenario(scenario_to_yaml(s)) == s
    assert os.path.exists(path)


# --------------------------------------------------------------------------- the scenario editor's button

def test_editor_button_revises_and_shows_the_moves(published, tmp_path, sample):
    from planlib.scenario_editor import ScenarioEditor

    run = _run_copy(published, tmp_path)
    e = ScenarioEditor(sample, PlanParams(plan_start=T0.date(), time_limit_s=1, seed=1), save_dir=tmp_path)
    # nothing to revise with yet: a message, nothing written
    e.revise_run_dir.value = str(run)
    e.revise_button.click()
    assert "add a change first" in e.message and not (run / "revisions").exists()
    e.dt_machines.value = ("LATHE-1",)
    e.dt_start_date.value, e.dt_start_time.value = dt.date(2026, 11, 24), dt.time(12, 0)
    e.dt_end_date.value, e.dt_end_time.value = dt.date(2026, 11, 25), dt.time(12, 0)
    e.dt_add.click()
    e.name.value = "Lathe one down"
    # a wrong time: the problem is shown, nothing written
    e.revise_now.value = "2027-01-04 10:00"
    e.revise_button.click()
    assert e.message.startswith("cannot revise") and not (run / "revisions").exists()
    e.revise_now.value = "2026-11-24 10:00"
    e.revise_frozen.value = 2
    e.revise_button.click()
    folder = run / "revisions" / "lathe_one_down-20261124-1000"
    assert e.revision_folder == folder
    assert e.message.startswith(e.revision.summary()) and str(folder) in e.message
    moves = read_table(folder / "moves.csv")
    assert len(moves) == len(e.revision.moves) > 0
    assert moves.reason.str.contains("machine LATHE-1 down").any()
    shown = e.moves_html
    assert "planlib-moves" in shown and "machine LATHE-1 down" in shown
    # the same frozen hours as typed: nothing starting within 2 h of now moved
    early = moves[moves.old_start < pd.Timestamp("2026-11-24 12:00")]
    assert early.reason.str.contains("down|no longer possible|follows op").all()
    assert not any(b.disabled for b in [*e._buttons, e.revise_button])
