"""Applying what happened since the snapshot (planlib.actuals): hand-computed cases of every rule,
invariants with hypothesis, and every planning path planning from the same applied state.

The fixture tests/data/loop/small (tests/data/loop/README.md): FG made in two operations (10 on A, 20 on B) from
2 kg of RM per unit; snapshot as of Monday 2026-11-16: FG 10 on hand, RM 100 on hand of which 20
allocated; MO-1 for 50 FG in progress (op 10 running, 20 done); PO-1 for 200 RM open.
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from planlib.actuals import apply_actuals, reported_ops, snapshot_date, stock_balance
from planlib.data import from_frames, load
from planlib.problems import InputError

SMALL = Path(__file__).parent / "data" / "loop" / "small"
PLAN_START = pd.Timestamp("2026-11-23")


def frames(**changes) -> dict[str, pd.DataFrame]:
    """The fixture's tables as text, with some replaced."""
    out = {f.stem: pd.read_csv(f, dtype=str, keep_default_na=False) for f in sorted(SMALL.glob("*.csv"))}
    out.update(changes)
    return out


def small(**changes):
    return from_frames(frames(**changes))


def on_hand(ds) -> dict:
    return ds.inventory.set_index("item_id").on_hand.to_dict()


def open_qty(ds) -> dict:
    return ds.scheduled_receipts.set_index("order_id").qty.to_dict()


def progress(ds) -> dict:
    p = ds.operations_progress
    return {(o, int(s)): (st_, q) for o, s, st_, q in zip(p.order_id, p.op_seq, p.status, p.qty_done)}


# --------------------------------------------------------------------------- hand-computed

def test_snapshot_date():
    assert snapshot_date(small()) == pd.Timestamp("2026-11-16")
    inv = frames()["inventory"].assign(as_of="")
    assert snapshot_date(small(inventory=inv)) is None


def test_the_fixture_week_by_hand():
    """Every rule once, computed by hand (the README of the fixture walks through it)."""
    ds = load(SMALL)
    out = apply_actuals(ds, PLAN_START)
    # FG: 10 + 30 made on the last op (20) - 5 shipped = 35; RM: 100 + 150 received - 60 issued = 190
    assert on_hand(out) == {"FG": 35.0, "RM": 190.0}
    # the issue of 60 RM relieves the 20 allocated (MRP nets on_hand - allocated)
    assert out.inventory.set_index("item_id").allocated.to_dict() == {"FG": 0.0, "RM": 0.0}
    # MO-1: 50 - 30 good on the last op - (2 + 1) scrapped = 17; PO-1: 200 - 150 = 50
    assert open_qty(out) == {"MO-1": 17.0, "PO-1": 50.0}
    # op 10: 20 done at the snapshot + 28 good + 2 scrap = 50 = what entered: done, qty_done 48
    # op 20: 30 + 1 = 31 < 50 - 2 entering: running, started 2026-11-17 06:00 on B1
    assert progress(out) == {("MO-1", 10): ("done", 48.0), ("MO-1", 20): ("running", 30.0)}
    row = out.operations_progress.set_index("op_seq").loc[20]
    assert (row.machine_id, row.actual_start) == ("B1", pd.Timestamp("2026-11-17 06:00"))
    assert (out.inventory.as_of == PLAN_START).all()
    # the 2026-11-13 report (before as_of) is already in the snapshot: not applied again
    assert out.operations_progress.set_index("op_seq").loc[10].actual_start == pd.Timestamp("2026-11-13 06:00")
    # the input is untouched
    assert on_hand(ds) == {"FG": 10.0, "RM": 100.0}
    assert out.rows["inventory"] == ds.rows["inventory"]  # row labels kept for messages


def test_stock_balance_by_hand():
    bal = stock_balance(load(SMALL), PLAN_START).set_index("item_id")
    assert bal.loc["FG"].to_dict() == dict(start=10, receipts=0, production=30, issues=0, shipments=5, end=35)
    assert bal.loc["RM"].to_dict() == dict(start=100, receipts=150, production=0, issues=60, shipments=0, end=190)


def test_cutoff_midweek_applies_only_what_happened_before_it():
    out = apply_actuals(load(SMALL), "2026-11-17")  # the 16th only: op 10's report and the issue
    assert on_hand(out) == {"FG": 10.0, "RM": 40.0}
    assert open_qty(out) == {"MO-1": 48.0, "PO-1": 200.0}  # 2 scrapped on op 10
    assert progress(out) == {("MO-1", 10): ("done", 48.0)}


def test_order_closed_when_its_last_op_delivers_everything():
    reports = frames()["production_reports"]
    last = reports.iloc[[2]].assign(qty_good="47", qty_scrap="1", report_date="2026-11-18",
                                    start="2026-11-18 06:00", end="2026-11-18 14:00")
    ds = small(production_reports=pd.concat([reports, last], ignore_index=True))
    out = apply_actuals(ds, PLAN_START)
    # 50 - (30 + 47) good on op 20 ... = -28: more came out than was open: dropped with its progress rows
    assert "MO-1" not in open_qty(out)
    assert out.operations_progress.empty
    assert on_hand(out)["FG"] == 10 + 30 + 47 - 5


def test_receipt_closes_a_purchase_order_and_adds_an_item_row():
    receipts = pd.DataFrame({"receipt_id": ["GR-1", "GR-2"], "order_id": ["PO-1", "PO-1"],
                             "item_id": ["RM", "RM"], "qty": ["150", "50"],
                             "received_date": ["2026-11-18", "2026-11-20"]})
    inv = frames()["inventory"].iloc[[0]]  # RM has no inventory row
    out = apply_actuals(small(goods_receipts=receipts, inventory=inv), PLAN_START)
    assert "PO-1" not in open_qty(out)
    assert on_hand(out)["RM"] == 0 + 200 - 60
    assert out.inventory.as_of.notna().all()


def test_returns_and_customer_returns_add_to_stock():
    issues = pd.DataFrame({"order_id": ["MO-1", "MO-1"], "item_id": ["RM", "RM"], "qty": ["60", "-15"],
                           "issue_date": ["2026-11-16", "2026-11-19"]})
    history = pd.DataFrame({"item_id": ["FG", "FG"], "date": ["2026-11-19", "2026-11-20"], "qty": ["5", "-2"]})
    out = apply_actuals(small(material_issues=issues, demand_history=history), PLAN_START)
    assert on_hand(out) == {"FG": 10 + 30 - 5 + 2, "RM": 100 + 150 - 45}
    assert out.inventory.set_index("item_id").allocated["RM"] == 0  # 45 net issued >= 20 allocated


def test_allocation_relieved_only_up_to_what_went_out():
    issues = frames()["material_issues"].assign(qty="8")
    out = apply_actuals(small(material_issues=issues), PLAN_START)
    assert out.inventory.set_index("item_id").allocated["RM"] == 12


def test_identity_without_as_of_or_at_as_of():
    ds = load(SMALL)
    assert apply_actuals(ds, "2026-11-16") is ds
    plain = small(inventory=frames()["inventory"].assign(as_of=""))
    assert apply_actuals(plain, PLAN_START) is plain


def test_cutoff_before_the_snapshot_is_refused():
    with pytest.raises(InputError) as err:
        apply_actuals(load(SMALL), "2026-11-09")
    assert err.value.problems.iloc[0][["table", "column"]].tolist() == ["inventory", "as_of"]


def test_applying_twice_is_applying_once():
    once = apply_actuals(load(SMALL), PLAN_START)
    twice = apply_actuals(once, PLAN_START)
    for name in ("inventory", "scheduled_receipts", "operations_progress"):
        pd.testing.assert_frame_equal(once[name], twice[name])
    later = apply_actuals(once, "2026-11-30")  # nothing new happened in between
    assert on_hand(later) == on_hand(once) and open_qty(later) == open_qty(once)


def test_reported_ops():
    ops = reported_ops(load(SMALL)).set_index("op_seq")
    assert ops.loc[10, ["qty_good", "qty_scrap", "labour_hours", "downtime_min"]].tolist() == [48, 2, 16, 30]
    assert ops.loc[10, "first_start"] == pd.Timestamp("2026-11-13 06:00")
    assert ops.loc[10, "work_center_id"] == "A" and ops.loc[20, "last_machine_id"] == "B1"
    assert ops.done.tolist() == [True, False]


# --------------------------------------------------------------------------- invariants

@st.composite
def weeks(draw):
    """The fixture with random records over 2026-11-13 .. 2026-11-22 (some before as_of)."""
    days = pd.date_range("2026-11-13", "2026-11-22")
    rep, left = [], {10: 30.0, 20: 50.0}  # op 10 has 20 done at the snapshot
    for op in (10, 20):
        for _ in range(draw(st.integers(0, 3))):
            good = draw(st.integers(0, 20))
            scrap = draw(st.integers(0, 3))
            if good + scrap > left[op]:
                continue
            left[op] -= good + scrap
            day = days[draw(st.integers(0, len(days) - 1))]
            rep.append(dict(order_id="MO-1", op_seq=str(op), machine_id="A1" if op == 10 else "B1",
                            report_date=f"{day:%Y-%m-%d}", qty_good=str(good), qty_scrap=str(scrap)))
    issues = [dict(order_id="MO-1", item_id="RM", qty=str(draw(st.integers(-5, 80))),
                   issue_date=f"{days[draw(st.integers(0, 9))]:%Y-%m-%d}") for _ in range(draw(st.integers(0, 3)))]
    receipts = [dict(receipt_id=f"GR-{i}", order_id="PO-1", item_id="RM", qty=str(draw(st.integers(0, 120))),
                     received_date=f"{days[draw(st.integers(0, 9))]:%Y-%m-%d}") for i in range(draw(st.integers(0, 3)))]
    ships = [dict(item_id="FG", date=f"{days[draw(st.integers(0, 9))]:%Y-%m-%d}", qty=str(draw(st.integers(-3, 20))))
             for _ in range(draw(st.integers(0, 3)))]
    cols = {"production_reports": ["order_id", "op_seq", "machine_id", "report_date", "qty_good", "qty_scrap"],
            "material_issues": ["order_id", "item_id", "qty", "issue_date"],
            "goods_receipts": ["receipt_id", "order_id", "item_id", "qty", "received_date"],
            "demand_history": ["item_id", "date", "qty"]}
    tables = {name: pd.DataFrame(rows, columns=cols[name]) for name, rows in
              (("production_reports", rep), ("material_issues", issues), ("goods_receipts", receipts),
               ("demand_history", ships))}
    cutoff = pd.Timestamp("2026-11-16") + pd.Timedelta(days=draw(st.integers(0, 7)))
    return small(**tables), cutoff


@given(weeks())
@hsettings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_invariants(case):
    ds, cutoff = case
    out = apply_actuals(ds, cutoff)
    bal = stock_balance(ds, cutoff).set_index("item_id")
    # the balance identity, and the applied on hand is its end
    assert np.allclose(bal.end, bal.start + bal.receipts + bal.production - bal.issues - bal.shipments)
    assert np.allclose(pd.Series(on_hand(out)).reindex(bal.index).fillna(0.0), bal.end)
    # twice == once
    again = apply_actuals(out, cutoff)
    for name in ("inventory", "scheduled_receipts", "operations_progress"):
        pd.testing.assert_frame_equal(out[name], again[name])
    # cut-off at as_of: nothing changes
    assert apply_actuals(ds, "2026-11-16") is ds
    # good + scrap per operation never above what was released (50; op 10 had 20 done before)
    prog = out.operations_progress.set_index("op_seq")
    applied = ds.production_reports[(ds.production_reports.report_date >= "2026-11-16")
                                    & (ds.production_reports.report_date < cutoff)]
    scrap = applied.groupby("op_seq").qty_scrap.sum()
    for op, row in prog.iterrows():
        assert row.qty_done + scrap.get(op, 0.0) <= 50 + 1e-9
    # an open production order never grows
    assert open_qty(out).get("MO-1", 0.0) <= 50


# --------------------------------------------------------------------------- every path, one state

def _cli(*args, cwd):
    return subprocess.run([sys.executable, "-m", "planlib.cli", *args], check=False, capture_output=True, text=True,
                          cwd=cwd, timeout=300)


def test_cli_mrp_and_plan_week_plan_from_the_applied_state(tmp_path):
    from planlib import pipeline, steps

    run = _cli("mrp", str(SMALL), "--out", "mrp", "--start", "2026-W48", "--quiet", cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    cli = pd.read_csv(tmp_path / "mrp" / "planned_orders.csv")
    ds, params, _ = pipeline.inputs(str(SMALL), "2026-W48")
    no_forecast = pd.DataFrame({"item_id": pd.Series(dtype=object),
                                "period_start": pd.Series(dtype="datetime64[ns]"),
                                "forecast": pd.Series(dtype=float)})
    week = pipeline.plan_week(ds, params, forecast=no_forecast)
    cols = ["item_id", "order_type", "qty", "due_date"]
    mine = week.mrp.planned_orders[cols].assign(due_date=lambda f: pd.to_datetime(f.due_date))
    theirs = cli[cols].assign(due_date=lambda f: pd.to_datetime(f.due_date))
    pd.testing.assert_frame_equal(mine.reset_index(drop=True), theirs.reset_index(drop=True), check_dtype=False)
    # FG: 80 ordered for 2026-12-04 against 35 on hand + 17 still open on MO-1: 28 to make (the
    # snapshot alone, 10 + 50, would plan 20)
    first = cli[cli.item_id == "FG"].iloc[0]
    assert first.qty == 28
    snapshot_only = steps.mrp(load(SMALL), params).planned_orders
    assert snapshot_only[snapshot_only.item_id == "FG"].qty.iloc[0] == 20
    # the scenario path (plan_scenario, the scenario editor) plans the base from the same state
    from planlib.scenario import Scenario
    from planlib.scenario.plan import plan_scenario

    seen = []
    plan_scenario(load(SMALL), params, Scenario("none"), forecast=no_forecast,
                  planner=lambda d, p, forecast=None, progress=None: seen.append(on_hand(d)) or week)
    assert seen[0] == {"FG": 35.0, "RM": 190.0}


def test_cli_refuses_a_record_dated_in_the_plan_week(tmp_path):
    src = tmp_path / "data"
    src.mkdir()
    for name, frame in frames().items():
        frame.to_csv(src / f"{name}.csv", index=False)
    gr = pd.read_csv(src / "goods_receipts.csv", dtype=str)
    gr.loc[0, "received_date"] = "2026-11-24"
    gr.to_csv(src / "goods_receipts.csv", index=False)
    run = _cli("mrp", str(src), "--out", "mrp", "--start", "2026-W48", "--quiet", cwd=tmp_path)
    assert run.returncode == 2
    assert "goods_receipts.csv line 2" in run.stdout + run.stderr
    assert "Traceback" not in run.stderr
    assert not (tmp_path / "mrp").exists()
