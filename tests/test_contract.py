"""The data contract and its documentation stay in step."""
from __future__ import annotations

from pathlib import Path

from planlib.contract import TABLES, contract_markdown

DOC = Path(__file__).resolve().parents[1] / "docs" / "data-contract.md"


def test_doc_holds_the_generated_tables():
    assert contract_markdown() in DOC.read_text(encoding="utf-8"), (
        "docs/data-contract.md is out of date: run `python -m planlib.contract docs/data-contract.md`")


def test_issue_minimum_columns_are_in_the_contract():
    minimum = {
        "items": "item_id description item_type uom lead_time_days safety_stock lot_rule lot_size min_order_qty "
                 "order_multiple max_order_qty unit_cost order_cost holding_cost_rate scrap_pct supplier_id family "
                 "service_level",
        "bom": "parent_id component_id qty_per scrap_pct valid_from valid_to",
        "inventory": "item_id on_hand allocated",
        "scheduled_receipts": "order_id item_id order_type qty due_date release_date status supplier_id",
        "demand": "order_id customer_id item_id qty due_date priority",
        "demand_history": "item_id date qty",
        "forecast_overrides": "item_id period_start qty pct reason",
        "suppliers": "supplier_id name lead_time_days",
        "work_centers": "work_center_id description calendar_id efficiency cost_per_hour",
        "machines": "machine_id work_center_id calendar_id speed_factor",
        "routings": "item_id op_seq work_center_id setup_min run_min_per_unit crew_size",
        "calendars": "calendar_id weekday start_time end_time",
        "calendar_exceptions": "calendar_id machine_id start end kind",
        "setup_matrix": "work_center_id from_family to_family setup_min",
        "operations_progress": "order_id op_seq status machine_id actual_start qty_done",
    }
    for table, cols in minimum.items():
        assert set(cols.split()) <= set(TABLES[table].column_names), table


def test_enums_match_the_issue():
    assert TABLES["items"].column("lot_rule").choices == ("L4L", "FOQ", "POQ", "EOQ", "WW", "SM", "LUC", "PPB")
    assert TABLES["scheduled_receipts"].column("status").choices == ("firm", "released", "in_progress")
    assert TABLES["calendar_exceptions"].column("kind").choices == ("holiday", "maintenance", "breakdown", "overtime")
