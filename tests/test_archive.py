"""The plan archive and what changed since last week."""
from __future__ import annotations

import pandas as pd

from planlib import archive


def _orders(rows):
    return pd.DataFrame(rows, columns=["order_id", "item_id", "order_type", "qty", "release_date", "due_date"]).assign(
        release_date=lambda f: pd.to_datetime(f.release_date), due_date=lambda f: pd.to_datetime(f.due_date))


PREV = _orders([("P1", "A", "make", 10, "2026-11-23", "2026-11-30"),
                ("P2", "A", "make", 20, "2026-11-30", "2026-12-07"),
                ("P3", "B", "buy", 5, "2026-11-23", "2026-12-14"),
                ("P4", "C", "buy", 7, "2026-11-23", "2026-12-14")])
CUR = _orders([("Q1", "A", "make", 10, "2026-11-23", "2026-11-30"),   # unchanged
               ("Q2", "A", "make", 25, "2026-11-30", "2026-12-14"),   # pushed out a week, more
               ("Q3", "B", "buy", 5, "2026-11-23", "2026-12-07"),     # pulled in a week
               ("Q4", "D", "make", 3, "2026-11-23", "2026-12-21")])   # new; C's order cancelled


def test_compare_orders_names_every_change():
    ch = archive.compare_orders(PREV, CUR)
    got = sorted(zip(ch.change, ch.item_id, ch.days_moved.fillna(0).astype(int)))
    assert got == [("cancelled", "C", 0), ("moved_in", "B", -7), ("moved_out", "A", 7), ("new", "D", 0),
                   ("qty_changed", "A", 7)]
    moved = ch[ch.change == "moved_out"].iloc[0]
    assert (moved.previous_order_id, moved.order_id) == ("P2", "Q2")
    assert "7 days later" in moved.message


def test_unchanged_plan_has_no_changes():
    assert archive.compare_orders(PREV, PREV.assign(order_id=["X1", "X2", "X3", "X4"])).empty


def test_far_moves_are_new_and_cancelled():
    far = PREV.iloc[[0]].assign(due_date=pd.Timestamp("2027-03-01"))
    ch = archive.compare_orders(PREV.iloc[[0]], far, tolerance_days=28)
    assert sorted(ch.change) == ["cancelled", "new"]


def test_archive_keeps_weeks_and_replaces_a_rerun(tmp_path):
    db = tmp_path / "archive.duckdb"
    kpis = pd.DataFrame({"kpi": ["on_time_pct"], "value": [90.0], "unit": ["%"]})
    archive.archive_run(db, "2026-W48", "base", {"planned_orders": PREV, "kpis": kpis})
    archive.archive_run(db, "2026-W49", "base", {"planned_orders": CUR, "kpis": kpis.assign(value=80.0)})
    archive.archive_run(db, "2026-W49", "base", {"planned_orders": CUR, "kpis": kpis.assign(value=85.0)})
    archive.archive_run(db, "2026-W49", "rush", {"planned_orders": PREV, "kpis": kpis.assign(value=70.0)})
    assert archive.weeks(db) == ["2026-W48", "2026-W49"]
    assert archive.previous_week(db, "2026-W49") == "2026-W48"
    assert archive.previous_week(db, "2026-W48") is None
    hist = archive.kpi_history(db)
    assert hist.value.tolist() == [90.0, 85.0]
    run = archive.read_run(db, "2026-W48")
    assert run["planned_orders"].order_id.tolist() == ["P1", "P2", "P3", "P4"]
    assert archive.read_run(db, "2026-W49", "rush")["kpis"].value.tolist() == [70.0]


def test_archive_accepts_new_columns(tmp_path):
    db = tmp_path / "a.duckdb"
    archive.archive_run(db, "2026-W48", "base", {"planned_orders": PREV})
    archive.archive_run(db, "2026-W49", "base", {"planned_orders": CUR.assign(receipt_qty=1.0)})
    assert "receipt_qty" in archive.read_run(db, "2026-W49")["planned_orders"]


def test_compare_schedule():
    a = pd.DataFrame({"order_id": ["O1", "O1", "O2"], "op_seq": [10, 20, 10], "machine_id": ["M1", "M2", "M1"],
                      "start": pd.to_datetime(["2026-11-23 06:00", "2026-11-23 08:00", "2026-11-24 06:00"])})
    b = pd.DataFrame({"order_id": ["O1", "O1", "O3"], "op_seq": [10, 20, 10], "machine_id": ["M1", "M3", "M1"],
                      "start": pd.to_datetime(["2026-11-23 09:00", "2026-11-23 08:00", "2026-11-24 06:00"])})
    ch = archive.compare_schedule(a, b)
    assert list(zip(ch.order_id, ch.op_seq, ch.change)) == [("O1", 10, "moved"), ("O1", 20, "machine_changed"),
                                                           ("O2", 10, "dropped"), ("O3", 10, "new")]
    assert ch.hours_moved.iloc[0] == 3.0


def test_kpis_with_text_values_read_back_as_numbers_and_text(tmp_path):
    db = tmp_path / "a.duckdb"
    kpis = pd.DataFrame({"kpi": ["on_time_pct", "solver_status"], "value": [85.5, "OPTIMAL"], "unit": ["%", ""]})
    archive.archive_run(db, "2026-W48", "base", {"kpis": kpis})
    assert archive.read_run(db, "2026-W48")["kpis"].value.tolist() == [85.5, "OPTIMAL"]


def test_a_staged_run_is_seen_only_once_committed_and_a_rollback_keeps_the_earlier_run(tmp_path):
    db = tmp_path / "archive.duckdb"
    archive.archive_run(db, "2026-W48", "base", {"planned_orders": PREV}, {"run_id": "first"})
    staged = archive.stage_run(db, "2026-W48", "base", {"planned_orders": CUR}, {"run_id": "second"})
    staged.rollback()
    assert archive.run_ids(db) == {("2026-W48", "base"): "first"}
    assert archive.read_run(db, "2026-W48")["planned_orders"].order_id.tolist() == ["P1", "P2", "P3", "P4"]
    archive.stage_run(db, "2026-W48", "base", {"planned_orders": CUR}, {"run_id": "second"}).commit()
    assert archive.run_ids(db) == {("2026-W48", "base"): "second"}
    assert archive.read_run(db, "2026-W48")["planned_orders"].order_id.tolist() == ["Q1", "Q2", "Q3", "Q4"]
