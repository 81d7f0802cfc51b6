"""Validation of the execution records against the snapshot convention (docs/weekly-loop.md):
one test per finding, each on the fixture tests/data/loop/small with one row made wrong, and the
CLI on a folder with several bad rows."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from planlib.data import from_frames
from planlib.validate import loop_problems, validate

SMALL = Path(__file__).parent / "data" / "loop" / "small"
PLAN_START = "2026-11-23"


def frames(**changes) -> dict[str, pd.DataFrame]:
    out = {f.stem: pd.read_csv(f, dtype=str, keep_default_na=False) for f in sorted(SMALL.glob("*.csv"))}
    out.update(changes)
    return out


def edit(table: str, row: int, **values) -> pd.DataFrame:
    frame = frames()[table].copy()
    for column, value in values.items():
        frame.loc[row, column] = value
    return frame


def append(table: str, **values) -> pd.DataFrame:
    frame = frames()[table]
    return pd.concat([frame, pd.DataFrame([values])], ignore_index=True).fillna("")


def problems(**changes) -> pd.DataFrame:
    """validate (today the eve of the plan start) and loop_problems at the plan start, together."""
    ds = from_frames(frames(**changes))
    both = pd.concat([validate(ds, today="2026-11-22"), loop_problems(ds, PLAN_START)], ignore_index=True)
    return both.drop_duplicates(subset=["severity", "table", "row", "column", "problem"])


def found(frame, table, row, column, severity="error", words=""):
    hit = frame[(frame.table == table) & (frame.row == row) & (frame.column == column)
                & (frame.severity == severity) & frame.problem.str.contains(words, regex=False)]
    assert len(hit) == 1, frame[["severity", "table", "row", "column", "problem"]].to_string()
    return hit.iloc[0]


def test_the_fixture_is_clean():
    assert problems().empty


def test_unknown_production_order_after_the_snapshot_is_an_error():
    p = problems(production_reports=edit("production_reports", 1, order_id="MO-9"))
    found(p, "production_reports", "production_reports row 2", "order_id", "error", "unknown production order")


def test_unknown_order_before_the_snapshot_is_a_warning():
    p = problems(production_reports=edit("production_reports", 0, order_id="MO-0"),
                 material_issues=append("material_issues", order_id="MO-0", item_id="RM", qty="5",
                                        issue_date="2026-11-10"))
    found(p, "production_reports", "production_reports row 1", "order_id", "warning", "closed before the snapshot")
    found(p, "material_issues", "material_issues row 2", "order_id", "warning", "closed before the snapshot")
    assert (p.severity == "warning").all()


def test_receipt_against_a_production_order():
    p = problems(goods_receipts=edit("goods_receipts", 0, order_id="MO-1", item_id="FG", qty="5"))
    found(p, "goods_receipts", "goods_receipts row 1", "order_id", "error", "is a production order")


def test_confirmation_of_an_unknown_purchase_order():
    confirmations = pd.DataFrame({"order_id": ["PO-7", "PO-8"], "confirmed_date": ["2026-11-30", ""],
                                  "confirmed_on": ["2026-11-18", "2026-11-02"]})
    p = problems(supplier_confirmations=confirmations)
    found(p, "supplier_confirmations", "supplier_confirmations row 1", "order_id", "error", "unknown purchase order")
    found(p, "supplier_confirmations", "supplier_confirmations row 2", "order_id", "warning", "unknown purchase")


def test_receipt_of_another_item_than_the_order():
    p = problems(goods_receipts=edit("goods_receipts", 0, item_id="FG"))
    found(p, "goods_receipts", "goods_receipts row 1", "item_id", "error", "PO-1 is for RM")


def test_receipts_above_the_open_quantity():
    extra = append("goods_receipts", receipt_id="GR-2", order_id="PO-1", item_id="RM", qty="60",
                   received_date="2026-11-20")
    p = problems(goods_receipts=extra)
    row = found(p, "goods_receipts", "goods_receipts row 2", "qty", "error", "above the open quantity 200")
    assert "210" in row.problem and "0.5%" in row.problem


def test_receipts_within_the_tolerance_are_a_warning():
    p = problems(goods_receipts=edit("goods_receipts", 0, qty="201"))
    found(p, "goods_receipts", "goods_receipts row 1", "qty", "warning", "within the 0.5% over-delivery tolerance")
    assert not (p.severity == "error").any()


def test_good_and_scrap_above_what_enters_the_operation():
    # op 10: 20 done at the snapshot + 38 + 2 = 60 > 50
    p = problems(production_reports=edit("production_reports", 1, qty_good="38"))
    row = found(p, "production_reports", "production_reports row 2", "qty_good", "error", "above the 50 entering it")
    assert "60" in row.problem


def test_report_for_an_operation_not_in_the_routing():
    p = problems(production_reports=edit("production_reports", 2, op_seq="30"))
    found(p, "production_reports", "production_reports row 3", "op_seq", "error", "has no operation 30")


def test_machine_of_another_work_center():
    p = problems(production_reports=edit("production_reports", 2, machine_id="A1"))
    found(p, "production_reports", "production_reports row 3", "machine_id", "warning", "routed to B")


def test_applied_report_without_machine():
    p = problems(production_reports=edit("production_reports", 2, machine_id=""))
    found(p, "production_reports", "production_reports row 3", "machine_id", "error", "applied to the snapshot")


def test_return_above_what_was_issued():
    p = problems(material_issues=append("material_issues", order_id="MO-1", item_id="RM", qty="-70",
                                        issue_date="2026-11-18"))
    found(p, "material_issues", "material_issues row 2", "qty", "error", "more than was issued")


@pytest.mark.parametrize("table, column, row", [("production_reports", "report_date", 2),
                                                ("goods_receipts", "received_date", 0),
                                                ("material_issues", "issue_date", 0),
                                                ("demand_history", "date", 1)])
def test_records_dated_on_or_after_the_plan_start(table, column, row):
    frame = edit(table, row, **{column: PLAN_START})
    if table == "production_reports":
        frame = edit(table, row, report_date=PLAN_START, start="2026-11-23 06:00", end="2026-11-23 14:00")
    ds = from_frames(frames(**{table: frame}))
    p = loop_problems(ds, PLAN_START)
    found(p, table, f"{table} row {row + 1}", column, "error", "in the future")
    # validate alone (today the computer's date, 2026-11-23 in the past) finds nothing to say
    assert not (validate(ds, today="2026-11-30").query("table == @table").severity == "error").any()


def test_end_before_start():
    p = problems(production_reports=edit("production_reports", 2, end="2026-11-17 05:00"))
    found(p, "production_reports", "production_reports row 3", "end", "error", "before start")


def test_report_date_far_from_the_times():
    p = problems(production_reports=edit("production_reports", 2, report_date="2026-11-20"))
    found(p, "production_reports", "production_reports row 3", "report_date", "warning", "more than 1 day")


def test_as_of_not_the_same_in_every_row():
    p = problems(inventory=edit("inventory", 1, as_of="2026-11-09"))
    found(p, "inventory", "inventory row 2", "as_of", "error", "differs from the other rows")


def test_as_of_after_the_plan_start():
    inv = frames()["inventory"].assign(as_of="2026-11-30")
    p = loop_problems(from_frames(frames(inventory=inv)), PLAN_START)
    found(p, "inventory", "inventory row 1", "as_of", "error", "after the plan start")


def test_staffing_overlap_and_fractional_operators():
    staffing = pd.DataFrame({"work_center_id": ["A", "A", "A", "B"], "weekday": ["Mon", "Mon", "Tue", "Mon"],
                             "start_time": ["06:00", "13:00", "06:00", "22:00"],
                             "end_time": ["14:00", "22:00", "14:00", "06:00"],
                             "operators": ["2", "1", "1.5", "1"]})
    p = problems(staffing=staffing)
    found(p, "staffing", "staffing row 2", "start_time", "error", "overlaps an earlier shift of A")
    found(p, "staffing", "staffing row 3", "operators", "warning", "fractional")
    assert len(p[p.table == "staffing"]) == 2  # the night shift past midnight overlaps nothing


def test_on_hand_below_zero_after_applying():
    p = problems(demand_history=append("demand_history", item_id="FG", date="2026-11-20", qty="40"))
    row = found(p, "inventory", "inventory row 1", "on_hand", "warning", "goes below zero (-5)")
    assert "demand_history row 2" in row.problem and "demand_history row 3" in row.problem


def test_cli_validate_names_every_bad_row(tmp_path):
    src = tmp_path / "data"
    src.mkdir()
    bad = frames(production_reports=edit("production_reports", 1, order_id="MO-9"),
                 goods_receipts=edit("goods_receipts", 0, item_id="FG"),
                 material_issues=append("material_issues", order_id="MO-1", item_id="RM", qty="-70",
                                        issue_date="2026-11-18"))
    bad["inventory"].loc[1, "as_of"] = "2026-11-09"
    for name, frame in bad.items():
        frame.to_csv(src / f"{name}.csv", index=False)
    run = subprocess.run([sys.executable, "-m", "planlib.cli", "validate", str(src), "--start", "2026-W48"],
                         check=False, capture_output=True, text=True, timeout=300)
    assert run.returncode == 2, run.stdout + run.stderr
    assert "Traceback" not in run.stderr
    for row in ("production_reports.csv line 3", "goods_receipts.csv line 2", "material_issues.csv line 3",
                "inventory.csv line 3"):
        assert row in run.stdout, run.stdout
    good = subprocess.run([sys.executable, "-m", "planlib.cli", "validate", str(SMALL), "--start", "2026-W48"],
                          check=False, capture_output=True, text=True, timeout=300)
    assert good.returncode == 0, good.stdout
