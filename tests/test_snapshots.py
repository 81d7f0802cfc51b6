"""Whole plans identical to their snapshots (tests/snapshots.py), to the last bit.

A refactoring must not change a plan: every output table of the sample's weekly
plan and scenarios, of a generated 10,000-item factory's MRP and of a generated
300-item factory's forecast and MRP must equal the stored snapshot exactly (values,
dtypes, column order, index). A change that is meant to change plans regenerates
the snapshots (``python tests/snapshots.py --write``) and says so in its commit.
"""
from __future__ import annotations

import pandas as pd
import pytest
import snapshots


@pytest.mark.parametrize("case", list(snapshots.CASES))
def test_plan_equals_snapshot(case):
    fingerprints, whole = snapshots.stored(case)
    tables = snapshots.CASES[case][0]()
    assert sorted(tables) == sorted(fingerprints), "tables added or removed"
    differ = []
    for name, df in sorted(tables.items()):
        if snapshots.fingerprint(df) != fingerprints[name]:
            if name in whole:  # show how it differs
                pd.testing.assert_frame_equal(df, whole[name], check_exact=True, obj=f"{case}: {name}")
            differ.append(name)
    assert not differ, f"{case}: tables differ from the snapshot: {differ}"


def test_fingerprint_sees_one_bit():
    df = pd.DataFrame({"qty": [1.0, 2.0], "item_id": ["A", "B"]})
    other = df.copy()
    other.loc[1, "qty"] = 2.0 + 2**-51
    assert snapshots.fingerprint(df) == snapshots.fingerprint(df.copy())
    assert snapshots.fingerprint(df) != snapshots.fingerprint(other)
    assert snapshots.fingerprint(df) != snapshots.fingerprint(df.astype({"qty": "float32"}))
    assert snapshots.fingerprint(df) != snapshots.fingerprint(df[["item_id", "qty"]])
