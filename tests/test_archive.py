"""The plan archive and what changed since last week."""
from __future__ import annotations

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from planlib import archive, compare


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
    ch = compare.compare_orders(PREV, CUR)
    got = sorted(zip(ch.change, ch.item_id, ch.days_moved.fillna(0).astype(int), ch.qty_change))
    assert got == [("cancelled", "C", 0, -7), ("new", "D", 0, 3), ("rescheduled", "A", 7, 5),
                   ("rescheduled", "B", -7, 0)]
    moved = ch[(ch.change == "rescheduled") & (ch.item_id == "A")].iloc[0]
    assert (moved.previous_order_id, moved.order_id) == ("P2", "Q2")
    assert "7 days later" in moved.message and "20 -> 25" in moved.message


def test_unchanged_plan_has_no_changes():
    assert compare.compare_orders(PREV, PREV.assign(order_id=["X1", "X2", "X3", "X4"])).empty


def test_far_moves_are_new_and_cancelled():
    planned = PREV.iloc[[0]].assign(order_id="PLN-0000001")
    far = planned.assign(order_id="PLN-0000007", due_date=pd.Timestamp("2027-03-01"))
    ch = compare.compare_orders(planned, far, tolerance_days=28)
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
    ch = compare.compare_schedule(a, b)
    assert list(zip(ch.order_id, ch.op_seq, ch.change)) == [("O1", 10, "moved"), ("O1", 20, "machine_changed"),
                                                           ("O3", 10, "new"), ("O2", 10, "dropped")]
    assert ch.hours_moved.iloc[0] == 3.0
    assert ch.message.iloc[0] == "O1 op 10: M1 2026-11-23 06:00 -> M1 2026-11-23 09:00 (3 h later)."
    view = compare.schedule_changes_view(ch)
    assert view.notna().all().all() and view.machine_id.tolist() == ["M1", "M3", "M1", "M1"]
    assert view.order_id.tolist()[-1] == "O2" and view.change.tolist()[-1] == "no longer scheduled"


def test_a_renumbered_planned_order_in_the_schedule_is_moved_not_dropped_and_new():
    last_orders = _orders([("PLN-0000007", "A", "make", 10, "2026-11-23", "2026-12-07")])
    this_orders = _orders([("PLN-0000003", "A", "make", 10, "2026-11-30", "2026-12-07")])
    last = pd.DataFrame({"order_id": ["PLN-0000007"], "op_seq": [10], "machine_id": ["M1"],
                         "start": pd.to_datetime(["2026-11-25 06:00"])})
    this = last.assign(order_id="PLN-0000003", start=pd.to_datetime(["2026-12-01 06:00"]))
    identity = compare.order_identity(last_orders, this_orders)
    assert identity.values.tolist() == [["PLN-0000007", "PLN-0000003"]]
    ch = compare.compare_schedule(last, this, identity)
    assert ch[["change", "order_id", "previous_order_id", "hours_moved"]].values.tolist() == [
        ["moved", "PLN-0000003", "PLN-0000007", 144.0]]
    assert sorted(compare.compare_schedule(last, this).change) == ["dropped", "new"]  # without the identity


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


# --------------------------------------------------------------------------- identity across weeks

def _plan(rows):
    """Planned orders as MRP writes them: ``PLN-`` numbers, reissued by every run."""
    return _orders(rows)


def test_same_item_and_need_date_under_a_new_number_is_unchanged():
    last = _plan([("PLN-0000001", "A", "make", 10, "2026-11-23", "2026-11-30"),
                  ("PLN-0000002", "A", "make", 20, "2026-11-30", "2026-12-07"),
                  ("PLN-0000003", "B", "buy", 5, "2026-11-23", "2026-12-14")])
    # every order renumbered and listed in another order; one need date moved by a week
    this = _plan([("PLN-0000011", "B", "buy", 5, "2026-11-23", "2026-12-14"),
                  ("PLN-0000012", "A", "make", 20, "2026-11-30", "2026-12-14"),
                  ("PLN-0000013", "A", "make", 10, "2026-11-23", "2026-11-30")])
    ch = compare.compare_orders(last, this)
    assert ch[["change", "item_id", "previous_order_id", "order_id", "days_moved"]].values.tolist() == [
        ["rescheduled", "A", "PLN-0000002", "PLN-0000012", 7]]


def test_an_exact_need_date_wins_over_a_nearer_guess():
    """An order due a day before an old one must not take that old order from the order due on its very day."""
    last = _plan([("PLN-1", "A", "make", 10, "2026-11-23", "2026-12-07"),
                  ("PLN-2", "A", "make", 10, "2026-11-23", "2026-12-10")])
    this = _plan([("PLN-8", "A", "make", 10, "2026-11-23", "2026-12-06"),   # PLN-2 pulled in 4 days
                  ("PLN-9", "A", "make", 10, "2026-11-23", "2026-12-07")])  # same day as PLN-1: unchanged
    ch = compare.compare_orders(last, this)
    assert ch[["change", "previous_order_id", "order_id", "days_moved"]].values.tolist() == [
        ["rescheduled", "PLN-2", "PLN-8", -4]]


def test_released_orders_keep_their_id_and_planned_orders_match_on_date():
    last = _orders([("MO-100", "A", "make", 50, "2026-11-16", "2026-11-30"),
                    ("PLN-0000001", "A", "make", 50, "2026-11-23", "2026-12-07")])
    this = _orders([("MO-100", "A", "make", 50, "2026-11-23", "2026-12-07"),      # released order pushed a week
                    ("PLN-0000005", "A", "make", 50, "2026-11-23", "2026-11-30")])  # PLN-1 a week earlier
    ch = compare.compare_orders(last, this)
    got = {(r.change, r.order_id, r.previous_order_id, r.days_moved) for r in ch.itertuples()}
    # by date alone both would be "unchanged" (each date is still there); by id MO-100 moved out a week
    # and the planned order moved in a week
    assert got == {("rescheduled", "MO-100", "MO-100", 7), ("rescheduled", "PLN-0000005", "PLN-0000001", -7)}


def test_changes_are_sorted_by_value_and_past_orders_are_not_cancelled():
    last = _plan([("PLN-1", "CHEAP", "buy", 1000, "2026-11-16", "2026-11-30"),
                  ("PLN-2", "DEAR", "buy", 10, "2026-11-16", "2026-11-30"),
                  ("PLN-3", "DEAR", "buy", 10, "2026-11-16", "2026-11-20")])  # due before this plan's start
    this = _plan([("PLN-7", "CHEAP", "buy", 1100, "2026-11-23", "2026-11-30"),  # +100 x 1 = 100
                  ("PLN-8", "DEAR", "buy", 12, "2026-11-23", "2026-11-30"),     # +2 x 500 = 1000
                  ("PLN-9", "MID", "make", 3, "2026-11-23", "2026-12-21")])     # 3 x 100 = 300
    cost = pd.Series({"CHEAP": 1.0, "DEAR": 500.0, "MID": 100.0})
    ch = compare.compare_orders(last, this, unit_cost=cost, plan_start=pd.Timestamp("2026-11-23"))
    assert ch[["change", "item_id", "value"]].values.tolist() == [
        ["past_due", "DEAR", 5000.0], ["qty_changed", "DEAR", 1000.0], ["new", "MID", 300.0],
        ["qty_changed", "CHEAP", 100.0]]
    text = compare.summarize_changes(ch, unchanged=0)
    assert text.startswith("1 new order, 2 with a new quantity, 1 due before this week (dropped), 0 unchanged")
    assert "DEAR" in text.split("largest:")[1] and "value 5,000" in text


def test_customer_orders_served_follow_the_pegging_up_the_bom():
    peg = pd.DataFrame({"supply_id": ["PLN-2", "PLN-2", "PLN-1", "PLN-1", "PLN-3"],
                        "demand_type": ["dependent", "customer_order", "customer_order", "customer_order", "forecast"],
                        "demand_id": ["PLN-1", "SO-9", "SO-1", "SO-2", "F-1"]})
    served = compare.customer_orders_served(peg)
    assert served["PLN-2"] == {"SO-1", "SO-2", "SO-9"} and served["PLN-1"] == {"SO-1", "SO-2"}
    assert served["PLN-3"] == frozenset()
    new = _plan([("PLN-2", "C", "buy", 1, "2026-11-23", "2026-11-30")])
    ch = compare.compare_orders(new.iloc[0:0], new, pegging=peg)
    assert ch.customer_orders.tolist() == [3]


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["A", "B", "C"]), st.integers(0, 60), st.integers(1, 50)),
                min_size=1, max_size=25),
       st.randoms(use_true_random=False))
def test_a_renumbered_reordered_plan_is_unchanged_and_every_order_is_used_once(rows, rnd):
    start = pd.Timestamp("2026-11-23")
    last = _plan([(f"PLN-{k}", item, "make", qty, start, start + pd.Timedelta(days=d))
                  for k, (item, d, qty) in enumerate(rows)])
    shuffled = list(range(len(last)))
    rnd.shuffle(shuffled)
    this = last.iloc[shuffled].assign(order_id=[f"PLN-{100 + k}" for k in range(len(last))])
    assert compare.compare_orders(last, this).empty
    # drop one order and add one: each order of either plan appears at most once
    this = pd.concat([this.iloc[1:], _plan([("PLN-999", "A", "make", 7, start, start + pd.Timedelta(days=5))])])
    ch = compare.compare_orders(last, this)
    assert not ch.order_id.dropna().duplicated().any() and not ch.previous_order_id.dropna().duplicated().any()
    assert set(ch.order_id.dropna()) <= set(this.order_id)
    assert set(ch.previous_order_id.dropna()) <= set(last.order_id)
    assert (ch.change != "new").sum() >= 1 or len(this) == 1  # the dropped order is accounted for


def test_identical_inputs_are_flagged_from_the_archived_manifest(tmp_path):
    db = tmp_path / "archive.duckdb"
    sums = {"items.csv": "ab" * 32, "demand.csv": "cd" * 32}
    archive.archive_run(db, "2026-W48", "base", {"planned_orders": PREV}, {"run_id": "x", "inputs_sha256": sums})
    manifest = archive.run_manifest(db, "2026-W48")
    assert manifest["inputs_sha256"] == sums
    assert archive.same_inputs(manifest, dict(sums))
    assert not archive.same_inputs(manifest, {**sums, "demand.csv": "ef" * 32})
    assert not archive.same_inputs(manifest, {})  # a database source has no checksums: never flagged
    assert archive.run_manifest(db, "2026-W47") == {}


def test_changes_view_has_a_value_in_every_cell_and_keeps_the_impact_order():
    cost = pd.Series({"A": 2.0, "B": 10.0, "C": 1.0, "D": 100.0})
    ch = compare.compare_orders(PREV, CUR, unit_cost=cost)
    view = compare.changes_view(ch)
    assert view.notna().all().all()
    assert view.value.tolist() == sorted(view.value, reverse=True) == [300.0, 50.0, 50.0, 7.0]
    assert view.change.tolist()[0] == "new" and set(view.change) == {"new", "rescheduled", "cancelled"}
    assert view.set_index("change").loc["cancelled", "order_id"] == "P4"  # last week's number
