import dataclasses
import datetime as dt

import pytest

from planlib.params import PlanParams, iso_week, parse_date_or_week, week_start


def test_iso_weeks():
    assert week_start("2026-W48") == dt.date(2026, 11, 23)
    assert week_start("2027-W01") == dt.date(2027, 1, 4)
    assert iso_week(dt.date(2026, 11, 29)) == "2026-W48"
    assert parse_date_or_week("2026-12-01") == dt.date(2026, 12, 1)


def test_params_are_frozen_and_checked():
    p = PlanParams(plan_start="2026-W48")
    assert p.plan_start == dt.date(2026, 11, 23) and p.workers == 2
    with pytest.raises(dataclasses.FrozenInstanceError):
        p.seed = 3
    with pytest.raises(ValueError, match="bucket"):
        PlanParams(bucket="D")
    with pytest.raises(ValueError, match="not an ISO week|not a date"):
        PlanParams(plan_start="next monday")
    assert p.replace(seed=5).seed == 5 and p.as_dict()["plan_start"] == "2026-11-23"
