"""Words a planner uses: column labels, units and number formats (planlib.labels)."""
from __future__ import annotations

import datetime as dt
import math

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from planlib import contract, labels
from planlib.params import PlanParams


@pytest.mark.parametrize("name, expected", [
    ("release_in_past", "Release date passed"),
    ("low_level_code", "BOM level"),
    ("setup_min", "Setup (min)"),
    ("lead_time_days", "Lead time (days)"),
    ("unit_cost", "Unit cost (€)"),
    ("item_id", "Item"),
])
def test_known_columns_read_as_plain_english_with_units(name, expected):
    assert labels.label(name) == expected


def test_unknown_columns_fall_back_to_words_with_the_unit_of_their_suffix():
    assert labels.label("queue_min") == "Queue (min)"
    assert labels.label("wait_days") == "Wait (days)"
    assert labels.label("yield_pct") == "Yield (%)"
    assert labels.label("tooling_cost", "USD") == "Tooling cost ($)"
    assert labels.label("route_id") == "Route"


@given(st.from_regex(r"[a-z_]{1,30}", fullmatch=True))
def test_no_label_ever_shows_an_underscore(name):
    text = labels.label(name)
    assert "_" not in text and text.strip()


def test_every_contract_column_has_a_label_without_underscore():
    for table in contract.TABLES.values():
        for col in table.columns:
            assert "_" not in labels.label(col.name), (table.name, col.name)


def test_money_labels_take_the_symbol_of_the_one_currency_setting():
    assert labels.label("plan_cost", PlanParams().currency) == "Plan cost (€)"
    assert labels.label("plan_cost", PlanParams(currency="gbp").currency) == "Plan cost (£)"
    assert labels.currency_symbol("CHF") == "CHF"
    with pytest.raises(ValueError, match="ISO 4217"):
        PlanParams(currency="euro")


@pytest.mark.parametrize("value, text", [
    (1126.0, "1,126"), (1126, "1,126"), (80.99, "81"), (1125.9999999, "1,126"), (19370.4, "19,370"), (2.5, "2.5"), (0.25, "0.25"),
    (1.937e4, "19,370"), (-0.0, "0"), (float("nan"), ""), (None, ""), (pd.NaT, ""), (pd.NA, ""),
])
def test_numbers_without_spurious_decimals_or_missing_markers(value, text):
    assert labels.format_number(value) == text


@given(st.floats(min_value=-1e15, max_value=1e15, allow_nan=False))
def test_numbers_are_never_in_scientific_notation_and_keep_their_value(v):
    text = labels.format_number(v)
    assert "e" not in text.lower() and "nan" not in text.lower()
    assert math.isclose(float(text.replace(",", "")), v, rel_tol=0.06, abs_tol=0.006)


def test_money_dates_and_date_times():
    assert labels.format_money(19370.4) == "€ 19,370"
    assert labels.format_money(12.5, "USD") == "$ 12.50"
    assert labels.format_money(float("nan")) == ""
    assert labels.format_date(pd.Timestamp("2026-11-23")) == "2026-11-23"
    assert labels.format_date(pd.Timestamp("2026-11-23 06:00:42")) == "2026-11-23 06:00"
    assert labels.format_date(dt.date(2026, 11, 23)) == "2026-11-23"
    assert labels.format_date(pd.NaT) == ""
