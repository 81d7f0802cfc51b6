"""Words a planner uses: column labels, units and number formats of the reports.

Tables keep their code names (``release_in_past``, ``setup_min``; see ``docs/glossary.md``
and :mod:`planlib.contract`); a report shows them through :func:`label` as plain English
with the unit: ``"Release date passed"``, ``"Setup (min)"``. :data:`LABELS` is the one
place a column's words live: a helper that adds a column adds its label here. A name
not in :data:`LABELS` still reads as words (:func:`label` never shows an underscore).

Money carries the symbol of ``PlanParams.currency`` (:func:`currency_symbol`); a label
written with ``{cur}`` gets it: ``"Unit cost ({cur})"`` -> ``"Unit cost (€)"``.
"""
from __future__ import annotations

import datetime as dt
import math
import re

#: Column code name -> label shown in reports (plain English, unit in brackets).
LABELS: dict[str, str] = {
    # keys and names
    "item_id": "Item",
    "description": "Description",
    "item_description": "Item description",
    "item_type": "Make or buy",
    "uom": "Unit",
    "family": "Family",
    "supplier_id": "Supplier",
    "supplier_name": "Supplier name",
    "customer_id": "Customer",
    "order_id": "Order",
    "previous_order_id": "Order last week",
    "parent_order": "Parent order",
    "demand_id": "Customer order",
    "demand_item_id": "Customer order item",
    "demand_date": "Customer order due",
    "supply_id": "Supply order",
    "supply_type": "Supply type",
    "supply_date": "Supply date",
    "supply_op": "Supply operation",
    "work_center_id": "Work center",
    "work_center": "Work center",
    "machine_id": "Machine",
    "previous_machine_id": "Machine last week",
    "old_machine_id": "Machine before",
    "new_machine_id": "Machine now",
    "calendar_id": "Calendar",
    "parent_id": "Parent item",
    "component_id": "Component",
    "short_item_id": "Short item",
    "order_type": "Order type",
    "status": "Status",
    "kind": "Kind",
    "severity": "Severity",
    "exception": "Exception",
    "message": "Message",
    "reason": "Reason",
    "cause": "Cause",
    "action": "Action",
    "note": "Note",
    "detail": "Detail",
    "change": "Change",
    "kpi": "Measure",
    "label": "Measure",
    "value": "Value",
    "unit": "Unit",
    "week": "Week",
    "scenario": "Scenario",
    "model": "Forecast model",
    "demand_class": "Demand class",
    "flags": "Flags",
    "lot_rule": "Lot rule",
    "priority": "Priority",
    "line": "MRP line",
    "op_seq": "Operation",
    "seq": "Sequence",
    "op": "Operation",
    "crew_size": "Crew",
    "crew": "Crew",
    # quantities [uom]
    "qty": "Quantity",
    "quantity": "Quantity",
    "on_hand": "On hand",
    "allocated": "Allocated",
    "safety_stock": "Safety stock",
    "lot_size": "Lot size",
    "min_order_qty": "Minimum order",
    "max_order_qty": "Maximum order",
    "order_multiple": "Order multiple",
    "qty_per": "Quantity per parent",
    "previous_qty": "Quantity last week",
    "delta_qty": "Quantity change",
    "base_qty": "Base quantity",
    "scenario_qty": "Scenario quantity",
    "receipt_qty": "Receipt quantity",
    "short_qty": "Quantity short",
    "qty_done": "Quantity done",
    "mps_qty": "MPS quantity",
    "independent_demand": "Independent demand (orders + unconsumed forecast)",
    "forecast": "Forecast",
    "statistical": "Statistical forecast",
    "override": "Override",
    "cleaned_qty": "Cleaned quantity",
    "gross_requirements": "Gross requirements",
    "scheduled_receipts": "Scheduled receipts",
    "scheduled_receipt": "Scheduled receipt",
    "projected_on_hand": "Projected on hand",
    "net_requirements": "Net requirements",
    "planned_order_receipts": "Planned order receipts",
    "planned_order_releases": "Planned order releases",
    "atp": "Available to promise",
    "cumulative_atp": "Cumulative ATP",
    "reorder_point": "Reorder point",
    "expected_shortage": "Expected shortage",
    "mean_demand": "Mean demand per bucket",
    "demand_std": "Demand std. deviation",
    "demand_per_bucket": "Demand per bucket",
    "lo_50": "Low 50 %", "hi_50": "High 50 %",
    "lo_80": "Low 80 %", "hi_80": "High 80 %",
    "lo_95": "Low 95 %", "hi_95": "High 95 %",
    "orders": "Orders",
    "lines": "Lines",
    "n_obs": "Observations",
    "n_origins": "Backtest origins",
    "n_periods": "Periods",
    "n_nonzero": "Periods with demand",
    "periods_since_demand": "Periods since demand",
    # dates and times
    "date": "Date",
    "new_date": "New date",
    "due_date": "Due date",
    "previous_due_date": "Due date last week",
    "release_date": "Release date",
    "scheduled_date": "Scheduled date",
    "promise_date": "Promise date",
    "mrp_date": "MRP date",
    "need_date": "Need date",
    "period": "Bucket",
    "period_start": "Week of",
    "valid_from": "Valid from",
    "valid_to": "Valid to",
    "earliest_start": "Earliest start",
    "earliest_finish": "Earliest finish",
    "available_at": "Material available",
    "material_ready": "Material ready",
    "start": "Start",
    "end": "End",
    "setup_start": "Setup start",
    "old_start": "Start before",
    "new_start": "Start now",
    "old_end": "End before",
    "new_end": "End now",
    "previous_start": "Start last week",
    "not_before": "Not before",
    # flags
    "release_in_past": "Release date passed",
    "below_safety_stock": "Below safety stock",
    "frozen": "Frozen",
    "in_schedule": "In schedule",
    "machine_changed": "Machine changed",
    "overloaded": "Overloaded",
    "late": "Late",
    "dormant": "Dormant",
    # durations
    "lead_time_days": "Lead time (days)",
    "review_period_days": "Review period (days)",
    "days_late": "Days late",
    "days_moved": "Days moved",
    "gap_days": "Gap (days)",
    "add_days": "Days added",
    "lateness": "Lateness (h)",
    "tardiness": "Tardiness (h)",
    "weighted_tardiness": "Weighted tardiness (h)",
    "setup_min": "Setup (min)",
    "run_min": "Run (min)",
    "run_min_per_unit": "Run per unit (min)",
    "changeover_min": "Changeover (min)",
    "setup_hours": "Setup (h)",
    "run_hours": "Run (h)",
    "changeover_hours": "Changeover (h)",
    "hours": "Hours",
    "load_hours": "Load (h)",
    "available_hours": "Available (h)",
    "overload_hours": "Overload (h)",
    "planned_hours": "Planned (h)",
    "released_hours": "Released (h)",
    "hours_moved": "Hours moved",
    "crew_hours": "Crew hours",
    "hours_per_unit": "Hours per unit",
    "shift_h": "Shift (h)",
    "makespan": "Makespan (h)",
    "time_limit_s": "Time limit (s)",
    "low_level_code": "BOM level",
    # percentages and ratios
    "scrap_pct": "Scrap (%)",
    "pct": "Change (%)",
    "delta_pct": "Change (%)",
    "utilisation": "Utilisation (share of available hours)",
    "utilisation_pct": "Utilisation (%)",
    "capacity_utilisation_pct": "Capacity utilisation (%)",
    "machine_utilisation_pct": "Machine utilisation (%)",
    "peak_utilisation_pct": "Peak utilisation (%)",
    "on_time_pct": "On time (%)",
    "fill_rate": "Fill rate",
    "service_level": "Service level",
    "efficiency": "Efficiency",
    "speed_factor": "Speed factor",
    "holding_cost_rate": "Holding cost rate (per year)",
    "safety_factor": "Safety factor",
    "mase": "MASE",
    "rmsse": "RMSSE",
    "wape": "WAPE (%)",
    "bias": "Bias (%)",
    "fva": "Value added over naive (%)",
    "fva_pct": "Value added over naive (%)",
    "coverage_50": "Coverage of 50 % interval (%)",
    "coverage_80": "Coverage of 80 % interval (%)",
    "coverage_95": "Coverage of 95 % interval (%)",
    "adi": "Average demand interval (periods)",
    "cv2": "CV² of demand sizes",
    # money [currency]
    "unit_cost": "Unit cost ({cur})",
    "order_cost": "Order cost ({cur})",
    "cost": "Cost ({cur})",
    "total_cost": "Total cost ({cur})",
    "plan_cost": "Plan cost ({cur})",
    "material_cost": "Material ({cur})",
    "labour_cost": "Labour ({cur})",
    "machine_cost": "Machine ({cur})",
    "holding_cost": "Holding ({cur})",
    "cost_per_hour": "Machine cost ({cur}/h)",
    "labour_cost_per_hour": "Labour cost ({cur}/h)",
    "inventory_value": "Inventory value ({cur})",
    "purchase_value_4w": "Purchases, next 4 weeks ({cur})",
    "value_cur": "Value ({cur})",
}

#: Columns holding money [currency].
MONEY = frozenset(k for k, v in LABELS.items() if "{cur}" in v)

#: Columns holding quantities in the item's unit of measure.
QUANTITIES = frozenset({
    "qty", "quantity", "on_hand", "allocated", "safety_stock", "lot_size", "min_order_qty", "max_order_qty",
    "order_multiple", "previous_qty", "delta_qty", "base_qty", "scenario_qty", "receipt_qty", "short_qty",
    "qty_done", "mps_qty", "forecast", "statistical", "cleaned_qty", "gross_requirements",
    "scheduled_receipts", "projected_on_hand", "net_requirements", "planned_order_receipts",
    "planned_order_releases", "atp", "cumulative_atp", "reorder_point", "expected_shortage",
    "lo_50", "hi_50", "lo_80", "hi_80", "lo_95", "hi_95",
})

#: ISO 4217 code -> symbol shown next to money.
CURRENCY_SYMBOLS = {"EUR": "€", "USD": "$", "GBP": "£", "JPY": "¥", "CNY": "¥", "INR": "₹", "KRW": "₩",
                    "CHF": "CHF", "SEK": "kr", "NOK": "kr", "DKK": "kr", "PLN": "zł", "CZK": "Kč"}

_UNIT_SUFFIXES = (("_pct", "%"), ("_min", "min"), ("_days", "days"), ("_hours", "h"), ("_h", "h"),
                  ("_s", "s"), ("_weeks", "weeks"))
_WORDS = {"id": "", "qty": "quantity", "wc": "work center", "po": "PO", "mrp": "MRP", "atp": "ATP",
          "kpi": "measure", "bom": "BOM", "mps": "MPS", "uom": "unit", "ss": "safety stock"}


def currency_symbol(currency: str = "EUR") -> str:
    """The symbol of an ISO 4217 currency code (``"EUR"`` -> ``"€"``); an unknown code is shown as is."""
    code = str(currency or "EUR").strip()
    return CURRENCY_SYMBOLS.get(code.upper(), code)


def label(name, currency: str = "EUR") -> str:
    """The words a report shows for a column name.

    Parameters
    ----------
    name : str
        Column code name (``release_in_past``); any other value is shown as text.
    currency : str
        ISO code of the plan's currency (``PlanParams.currency``), for money labels.

    Returns
    -------
    str
        The label of :data:`LABELS`, or for an unknown name its words with the unit
        of a known suffix in brackets (``queue_min`` -> ``"Queue (min)"``). Never an underscore.
    """
    if not isinstance(name, str):
        return str(name).replace("_", " ")
    if name in LABELS:
        return LABELS[name].replace("{cur}", currency_symbol(currency))
    base, unit = name, ""
    for suffix, u in _UNIT_SUFFIXES:
        if base.endswith(suffix) and len(base) > len(suffix):
            base, unit = base[: -len(suffix)], u
            break
    if base.endswith(("_cost", "_value")) or base == "cost":
        unit = unit or currency_symbol(currency)
    words = [w for w in re.split(r"[_\s]+", base) if w]
    words = [_WORDS.get(w.lower(), w) for w in words]
    text = " ".join(w for w in words if w) or name.replace("_", " ").strip() or "Column"
    text = text[:1].upper() + text[1:]
    return f"{text} ({unit})" if unit else text


def format_number(value, decimals: int | None = None) -> str:
    """A number as a planner reads it: thousands separated, no spurious decimals.

    Whole numbers show no decimals (``1126.0`` -> ``"1,126"``); others one or two
    significant decimals (``decimals`` fixes the count). Never scientific notation;
    missing values (NaN, None, NaT) are ``""``.
    """
    if _missing(value):
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    try:
        v = float(value)
    except (TypeError, ValueError):
        return str(value)
    if math.isinf(v):
        return "∞" if v > 0 else "-∞"
    if decimals is None:
        if abs(v - round(v)) < 1e-9 * max(1.0, abs(v)) or abs(v) >= 100:
            decimals = 0
        elif abs(v) >= 1:
            decimals = 1
        else:
            decimals = 2
        if round(v, decimals) == round(v):
            decimals = 0  # 80.99 shows as "81", not "81.0"
    if round(v, decimals) == 0:
        v = 0.0  # no "-0"
    return f"{v:,.{decimals}f}"


def format_money(value, currency: str = "EUR") -> str:
    """Money with the currency symbol and no cents above 100: ``"€ 19,370"``, ``"€ 12.50"``."""
    if _missing(value):
        return ""
    v = float(value)
    text = f"{v:,.0f}" if abs(v) >= 100 or float(v).is_integer() else f"{v:,.2f}"
    return f"{currency_symbol(currency)} {text}"


def format_date(value) -> str:
    """A date as ``2026-11-23``; a date-time to the minute (``2026-11-23 06:00``); missing -> ``""``."""
    if _missing(value):
        return ""
    if isinstance(value, dt.datetime) or hasattr(value, "to_pydatetime"):
        ts = value.to_pydatetime() if hasattr(value, "to_pydatetime") else value
        if ts.hour == ts.minute == ts.second == 0 and ts.microsecond == 0:
            return ts.strftime("%Y-%m-%d")
        return ts.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _missing(value) -> bool:
    if value is None:
        return True
    try:
        import pandas as pd

        res = pd.isna(value)
        return bool(res) if isinstance(res, (bool,)) or getattr(res, "shape", None) == () else False
    except (TypeError, ValueError):
        return False
