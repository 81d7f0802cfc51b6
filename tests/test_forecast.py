"""Tests of planlib.forecast: buckets, classes, model choice, quantiles, overrides, accuracy, CLI."""
from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from planlib.cli import main
from planlib.forecast import (
    INTERMITTENT_MODELS,
    ForecastSettings,
    accuracy,
    apply_overrides,
    bucket_history,
    build_forecast,
    classify_demand,
    clean_outliers,
    forecast_demand,
    hurdle_quantiles,
    interval_scales,
    make_model,
    screening_sample,
    select_models,
)
from planlib.problems import InputError

DATA = Path(__file__).parent / "data" / "forecast"
FAST = ForecastSettings(n_jobs=1)
INTERVALS = ["lo_95", "lo_80", "lo_50", "hi_50", "hi_80", "hi_95"]


def assert_forecast_frame(fc: pd.DataFrame, bucket: str = "W", horizon: int | None = None) -> None:
    """The invariants every forecast meets (applied to every forecast these tests make)."""
    for col in ["item_id", "period_start", "forecast", "lo_50", "hi_50", "lo_80", "hi_80", "lo_95", "hi_95",
                "model", "demand_class", "override", "statistical"]:
        assert col in fc.columns, col
    assert pd.api.types.is_datetime64_any_dtype(fc.period_start)
    if bucket == "W":
        assert (fc.period_start.dt.weekday == 0).all()
    else:
        assert (fc.period_start.dt.day == 1).all()
    vals = fc[["forecast", "statistical"] + INTERVALS].to_numpy(dtype=float)
    assert np.isfinite(vals).all()
    assert (vals >= 0).all()
    q = fc[INTERVALS].to_numpy(dtype=float)
    assert (np.diff(q, axis=1) >= -1e-9).all(), "intervals must be nested and ordered"
    assert not fc.duplicated(["item_id", "period_start"]).any()
    if horizon is not None:
        assert (fc.groupby("item_id").size() == horizon).all()
    no_override = fc.override == ""
    assert np.allclose(fc.forecast[no_override], fc.statistical[no_override])


def weekly(values, item="A", start="2024-01-01"):
    d = pd.date_range(start, periods=len(values), freq="W-MON")
    return pd.DataFrame({"item_id": item, "date": d, "qty": np.asarray(values, dtype=float)})


def monthly(values, item="A", start="2019-01-01"):
    d = pd.date_range(start, periods=len(values), freq="MS")
    return pd.DataFrame({"item_id": item, "date": d, "qty": np.asarray(values, dtype=float)})


# ---------------------------------------------------------------- buckets

def test_daily_transactions_to_weekly_buckets_reference():
    """tests/data/forecast/daily_history.csv -> weekly_buckets.csv (worked by hand, see README)."""
    hist = pd.read_csv(DATA / "daily_history.csv", parse_dates=["date"])
    expected = pd.read_csv(DATA / "weekly_buckets.csv", parse_dates=["period_start"])
    got = bucket_history(hist, "W", as_of="2026-02-02")
    pd.testing.assert_frame_equal(got.reset_index(drop=True), expected, check_dtype=False)


def test_bucket_zero_fill_returns_and_as_of():
    hist = pd.DataFrame({"item_id": ["A", "A", "A", "A", "B"],
                         "date": pd.to_datetime(["2026-01-06", "2026-01-08", "2026-01-27", "2026-02-03",
                                                 "2026-01-20"]),
                         "qty": [5.0, -2.0, 4.0, 100.0, 1.0]})
    b = bucket_history(hist, "W", as_of="2026-02-04")  # the week of Feb 2 is left out
    a = b[b.item_id == "A"]
    assert list(a.period_start.dt.strftime("%Y-%m-%d")) == ["2026-01-05", "2026-01-12", "2026-01-19",
                                                            "2026-01-26"]
    assert list(a.qty) == [3.0, 0.0, 0.0, 4.0]  # return netted, missing weeks zero, Feb 3 ignored
    assert list(b[b.item_id == "B"].qty) == [1.0, 0.0]  # B zero-filled to the common end
    gross = bucket_history(hist, "W", as_of="2026-02-04", net_returns=False)
    assert gross[gross.item_id == "A"].qty.iloc[0] == 5.0


def test_explicit_zero_rows_start_the_history_transactions_do_not():
    # bucket totals with explicit zeros before the first sale: those buckets are observations
    totals = weekly([0, 0, 0, 5, 0, 5], item="Z")
    b = bucket_history(totals, "W")
    assert list(b.qty) == [0, 0, 0, 5.0, 0, 5.0]
    cls = classify_demand(b, new_periods=2).iloc[0]
    assert cls.n_periods == 6 and cls.adi == pytest.approx(3.0)
    # transactions (no zero rows): the history starts at the first sale
    tx = totals[totals.qty > 0]
    assert list(bucket_history(tx, "W").qty) == [5.0, 0, 5.0]


def test_monthly_buckets_start_on_the_first():
    hist = pd.DataFrame({"item_id": "A", "date": pd.to_datetime(["2026-01-31", "2026-02-01", "2026-04-15"]),
                         "qty": [1.0, 2.0, 3.0]})
    b = bucket_history(hist, "M")
    assert list(b.period_start.dt.strftime("%Y-%m-%d")) == ["2026-01-01", "2026-02-01", "2026-03-01",
                                                            "2026-04-01"]
    assert list(b.qty) == [1.0, 2.0, 0.0, 3.0]


def test_net_negative_bucket_becomes_zero():
    hist = weekly([5, -8, 3])
    b = bucket_history(pd.concat([hist, weekly([0, 0, 0])]), "W")
    assert (b.qty >= 0).all()
    assert list(b.qty) == [5.0, 0.0, 3.0]


# ---------------------------------------------------------------- classes

def _class_of(values):
    return classify_demand(bucket_history(weekly(values), "W")).iloc[0]


def test_classification_thresholds_syntetos_boylan():
    # ADI = periods / non-zero periods; CV2 of sizes with population variance
    smooth = _class_of([10, 12] * 20)
    assert smooth.adi == 1 and smooth.cv2 < 0.49 and smooth.demand_class == "smooth"
    # sizes 3 and 17: mean 10, variance 49 -> CV2 = 0.49 exactly: on the boundary -> erratic
    erratic = _class_of([3, 17] * 20)
    assert erratic.cv2 == pytest.approx(0.49)
    assert erratic.demand_class == "erratic"
    # 25 non-zero in 33 periods: ADI = 1.32 exactly -> intermittent (boundary belongs to the upper class)
    row = _class_of([10] * 25 + [0] * 8)
    assert row.n_periods == 33 and row.n_nonzero == 25
    assert row.adi == pytest.approx(1.32)
    assert row.demand_class == "intermittent"
    lumpy = _class_of([0, 0, 3, 0, 0, 17] * 8)
    assert lumpy.adi == pytest.approx(3.0, rel=0.05) and lumpy.demand_class == "lumpy"


def test_lifecycle_flags():
    hist = pd.concat([weekly([5] * 8, "NEW", "2025-11-03"),
                      weekly([5] * 30 + [0] * 70, "OLD", "2024-01-01"),
                      weekly([0] * 10, "NONE", "2025-10-27")])
    c = classify_demand(bucket_history(hist, "W", as_of="2025-12-29")).set_index("item_id")
    assert c.loc["NEW", "flags"] == "new"
    assert "dormant" in c.loc["OLD", "flags"]
    assert c.loc["NONE", "flags"] == "no_demand"


def test_a_dormant_item_keeps_a_fading_forecast_and_a_warning():
    # demand every third week for 60 weeks, then 44 weeks without: flagged, warned, not zeroed
    rng = np.random.default_rng(3)
    old = np.zeros(104)
    old[:60:3] = rng.integers(5, 15, 20)
    hist = pd.concat([weekly(old, "OLD"), weekly(rng.integers(8, 13, 104), "LIVE")])
    res = build_forecast(hist, 13, settings=FAST)
    c = res.classes.set_index("item_id")
    assert "dormant" in c.loc["OLD", "flags"] and c.loc["OLD", "demand_class"] in ("intermittent", "lumpy")
    f = res.forecast[res.forecast.item_id == "OLD"]
    assert (f.forecast > 0).all() and (f.hi_95 > 0).all()
    assert f.forecast.max() < old[:60].mean()  # below its rate while it sold: the zeros count
    warned = res.problems[res.problems.row == "item OLD"]
    assert len(warned) == 1 and "dormant" in warned.problem.iloc[0]


# ---------------------------------------------------------------- known patterns

def test_pure_seasonal_monthly_gets_seasonal_model_and_accurate_forecast():
    t = np.arange(84)
    truth = lambda k: 100 + 30 * np.sin(2 * np.pi * k / 12)
    rng = np.random.default_rng(1)
    fc = forecast_demand(monthly(truth(t) + rng.normal(0, 1, t.size)), 12, "M", settings=FAST)
    assert_forecast_frame(fc, "M", 12)
    err = np.abs(fc.forecast.to_numpy() - truth(np.arange(84, 96)))
    assert err.mean() < 3.0  # seasonal swing is +-30; a non-seasonal model errs by ~19 on average
    assert fc.demand_class.iloc[0] == "smooth"


def test_trend_is_extrapolated():
    t = np.arange(100)
    rng = np.random.default_rng(2)
    fc = forecast_demand(weekly(50 + 2 * t + rng.normal(0, 2, t.size)), 13, settings=FAST)
    assert_forecast_frame(fc, "W", 13)
    truth = 50 + 2 * np.arange(100, 113)
    assert np.abs(fc.forecast.to_numpy() - truth).mean() < 8  # a flat forecast would err by ~14+
    assert fc.forecast.iloc[-1] > fc.forecast.iloc[0] + 15


def test_intermittent_known_rate_gets_intermittent_model_and_mean_forecast():
    rng = np.random.default_rng(3)
    occ = rng.random(156) < 0.2
    values = occ * 5.0  # mean demand 1.0 per week, median 0
    fc = forecast_demand(weekly(values), 26, settings=FAST)
    assert_forecast_frame(fc, "W", 26)
    assert fc.demand_class.iloc[0] == "intermittent"
    assert any(m in fc.model.iloc[0] for m in INTERMITTENT_MODELS)
    assert fc.forecast.mean() == pytest.approx(values.mean(), rel=0.35)
    assert (fc.forecast > 0).all()  # never the zero forecast MAE would reward
    # the 95 % interval reaches the typical size; the 50 % interval starts at 0
    assert (fc.hi_95 >= 4).all() and (fc.lo_50 == 0).all()


def test_intermittent_items_with_demand_never_get_an_all_zero_forecast(sample):
    # synthetic: 40 items, 3 to 8 demands in 104 weeks, sizes 1 to 20 (median bucket 0)
    rng = np.random.default_rng(11)
    frames = []
    for i in range(40):
        v = np.zeros(104)
        v[rng.choice(104, rng.integers(3, 9), replace=False)] = rng.integers(1, 21, 1)
        v[-rng.integers(1, 20)] = rng.integers(1, 21)  # a recent demand
        frames.append(weekly(v, item=f"S{i:02d}"))
    res = build_forecast(pd.concat(frames), 26, settings=FAST)
    assert_forecast_frame(res.forecast, "W", 26)
    assert (res.classes.demand_class.isin(["intermittent", "lumpy"])).all()
    assert (res.forecast.groupby("item_id").forecast.sum() > 0).all()
    # the sample factory: every intermittent or lumpy item with demand
    res = build_forecast(sample.demand_history, 26, as_of="2026-11-23", settings=FAST)
    c = res.classes
    live = c[c.demand_class.isin(["intermittent", "lumpy"]) & (c.n_nonzero > 0)].item_id
    assert len(live) > 0
    total = res.forecast.groupby("item_id").forecast.sum()
    assert (total.reindex(live) > 0).all()


def test_weekly_ets_searches_non_seasonal_forms_only():
    assert make_model("AutoETS", 52).model == "ZZN"  # ETS is not fitted with 52 seasonal states
    assert make_model("AutoETS", 12).model == "ZZZ"
    assert make_model("AutoETS", 52, ets_max_season=None).model == "ZZZ"  # statsforecast's own


# ---------------------------------------------------------------- quantiles

@hsettings(max_examples=60, deadline=None)
@given(st.lists(st.floats(0, 50, allow_nan=False), min_size=3, max_size=60),
       st.lists(st.one_of(st.just(0.0), st.floats(1e-6, 20)), min_size=1, max_size=8))
def test_hurdle_quantiles_non_negative_ordered_and_mean_preserving(history, means):
    qs = [0.025, 0.1, 0.25, 0.5, 0.75, 0.9, 0.975]
    q = hurdle_quantiles(np.array(history), np.array(means), qs)
    assert q.shape == (len(means), len(qs))
    assert (q >= 0).all()
    assert (np.diff(q, axis=1) >= -1e-9).all()
    h = np.array(history)
    if (h > 0).any():
        # a high quantile of a positive mean is positive
        assert ((q[:, -1] > 0) == (np.array(means) > 0)).all()


def test_hurdle_quantiles_known_case():
    # p = 0.25 (1 non-zero bucket in 4), sizes {8}: quantiles below 0.75 are 0, above are 8 x scale
    q = hurdle_quantiles(np.array([0, 8, 0, 0.0]), np.array([2.0, 4.0]), [0.5, 0.75, 0.9])
    np.testing.assert_allclose(q, [[0, 0, 8], [0, 0, 16]])


# ---------------------------------------------------------------- overrides

def _flat_forecast():
    p = pd.date_range("2026-11-23", periods=3, freq="W-MON")
    fc = pd.DataFrame({"item_id": ["A"] * 3 + ["B"] * 3, "period_start": list(p) * 2,
                       "forecast": [10.0, 10.0, 10.0, 0.0, 0.0, 0.0]})
    for c, v in zip(INTERVALS, [2, 4, 6, 14, 16, 18]):
        fc[c] = np.where(fc.item_id == "A", float(v), 0.0)
    return fc


def test_overrides_pct_and_qty_visible_beside_statistical():
    ov = pd.DataFrame({"item_id": ["A", "A", "B", "X"],
                       "period_start": pd.to_datetime(["2026-11-25", "2026-12-07", "2026-11-30", "2026-11-23"]),
                       "qty": [np.nan, 0.0, 7.0, 1.0], "pct": [30.0, np.nan, np.nan, np.nan],
                       "reason": ["Trade fair", "Project postponed", "New customer", ""]})
    out, prob = apply_overrides(_flat_forecast(), ov)
    a = out[out.item_id == "A"].reset_index(drop=True)
    assert list(a.forecast) == [13.0, 10.0, 0.0]  # Wed 25 Nov applies to the week of Mon 23 Nov
    assert list(a.statistical) == [10.0, 10.0, 10.0]
    assert list(a.override) == ["+30% (Trade fair)", "", "qty 0 (Project postponed)"]
    assert a.hi_80[0] == pytest.approx(16 * 1.3) and a.hi_95[2] == 0
    b = out[out.item_id == "B"].reset_index(drop=True)
    assert b.forecast[1] == 7.0 and b.hi_95[1] == 7.0  # shifted when the statistical forecast is 0
    assert len(prob) == 1 and prob.frame().severity[0] == "warning" and "X" in prob.frame().row[0]


def test_sample_overrides_reach_the_forecast(sample):
    fc = forecast_demand(sample.demand_history, 26, as_of="2026-11-23", overrides=sample.forecast_overrides,
                         settings=FAST)
    assert_forecast_frame(fc, "W", 26)
    row = fc[(fc.item_id == "FG-08") & (fc.period_start == "2026-12-14")].iloc[0]
    assert row.forecast == 0 and row.statistical > 0 and "postponed" in row.override
    promo = fc[(fc.item_id == "FG-01") & (fc.period_start == "2026-12-21")].iloc[0]
    assert promo.forecast == pytest.approx(promo.statistical * 1.3)
    assert fc.period_start.min() == pd.Timestamp("2026-11-23")
    # every spare part with demand gets a positive forecast
    assert (fc[fc.demand_class.isin(["intermittent", "lumpy"])].groupby("item_id").forecast.sum() > 0).all()
    assert fc.item_id.nunique() == 18


# ---------------------------------------------------------------- outliers

def test_outlier_cleaning_caps_a_one_off_spike_only():
    rng = np.random.default_rng(4)
    v = rng.normal(100, 5, 60)
    v[30] = 900  # a one-off project order
    b = bucket_history(weekly(v), "W")
    cleaned, report = clean_outliers(b, classify_demand(b))
    assert len(report) == 1 and report.qty[0] == 900
    assert 100 < cleaned.qty.iloc[30] < 200  # capped near the limit, not zeroed
    np.testing.assert_allclose(np.delete(cleaned.qty.to_numpy(), 30), np.delete(b.qty.to_numpy(), 30))
    res = build_forecast(weekly(v), 4, settings=ForecastSettings(n_jobs=1, clean_outliers=True))
    assert len(res.outliers) == 1 and "outliers_cleaned" in res.forecast["flags"].iloc[0]


# ---------------------------------------------------------------- accuracy

def test_accuracy_hand_computed():
    hist = pd.DataFrame({"item_id": "A", "period_start": pd.date_range("2026-01-05", periods=4, freq="W-MON"),
                         "qty": [10.0, 12.0, 10.0, 12.0]})  # naive in-sample MAE 2, MSE 4
    cut = pd.Timestamp("2026-01-26")
    rows = pd.DataFrame({"item_id": "A", "cutoff": cut,
                         "period_start": pd.date_range("2026-02-02", periods=2, freq="W-MON"), "step": [1, 2],
                         "actual": [10.0, 14.0], "model": "AutoETS", "forecast": [11.0, 11.0],
                         "q_0.025": [5.0, 5.0], "q_0.1": [8.0, 8.0], "q_0.25": [10.0, 10.0],
                         "q_0.75": [12.0, 12.0], "q_0.9": [13.0, 13.0], "q_0.975": [15.0, 15.0]})
    bench = rows.assign(model="SeasonalNaive", forecast=[12.0, 12.0])
    acc = accuracy(rows, bench, hist).set_index("item_id")
    a = acc.loc["A"]
    assert a.mase == pytest.approx((1 + 3) / 2 / 2)  # MAE 2 / scale 2
    assert a.rmsse == pytest.approx(np.sqrt((1 + 9) / 2 / 4))
    assert a.wape == pytest.approx(100 * 4 / 24)
    assert a.bias == pytest.approx(100 * (1 - 3) / 24)
    assert (a.coverage_50, a.coverage_80, a.coverage_95) == (50.0, 50.0, 100.0)
    assert a.fva == pytest.approx(100 * (2 - 2) / 2)
    assert acc.loc["TOTAL", "wape"] == pytest.approx(a.wape)


def test_backtest_accuracy_and_coverage_on_the_sample(sample):
    res = build_forecast(sample.demand_history, 13, as_of="2026-11-23", settings=FAST)
    tot = res.accuracy.set_index("item_id").loc["TOTAL"]
    assert 0.3 < tot.mase < 1.5
    assert 70 <= tot.coverage_80 <= 97 and 85 <= tot.coverage_95 <= 100  # calibrated, not degenerate
    assert tot.fva > 0  # better than seasonal naive on this sample
    assert set(res.backtest.step) == set(range(1, 14))
    fg = res.accuracy[res.accuracy.item_id.str.startswith("FG")]
    assert (fg.demand_class.isin(["smooth", "erratic"])).all()


# ---------------------------------------------------------------- bad input

def test_bad_input_messages():
    with pytest.raises(InputError, match="empty"):
        forecast_demand(weekly([])[:0], 4)
    with pytest.raises(InputError, match="horizon"):
        forecast_demand(weekly([1, 2, 3]), 0)
    with pytest.raises(InputError) as err:
        forecast_demand(weekly([np.nan, np.nan], "B"), 4)
    assert err.value.problems.value.iloc[0] == "B" and "no row can be used" in str(err.value)
    dates = weekly([1, 2, 3]).astype({"date": object})
    dates["date"] = "next tuesday"
    with pytest.raises(InputError, match="date"):
        forecast_demand(dates, 4)
    with pytest.raises(InputError, match="no item has any positive demand"):
        forecast_demand(pd.concat([weekly([0, 0, 0], "A"), weekly([0, 0], "B")]), 4)


def test_unreadable_rows_of_one_item_are_a_warning():
    rng = np.random.default_rng(7)
    b = weekly(rng.poisson(20, 60).astype(float), "B")
    b.loc[5, "qty"] = np.nan
    hist = pd.concat([weekly(rng.poisson(20, 60), "A"), b])
    fc = forecast_demand(hist, 4, settings=FAST)
    assert_forecast_frame(fc, "W", 4)
    assert set(fc.item_id) == {"A", "B"}
    prob = fc.attrs["problems"]
    row = prob[prob.column == "qty"].iloc[0]
    assert row.severity == "warning" and row.value == "B" and "left out" in row.problem


def test_single_zero_item_is_a_warning_and_forecast_zero():
    rng = np.random.default_rng(5)
    hist = pd.concat([weekly(rng.poisson(20, 60), "A"), weekly([0] * 60, "Z")])
    fc = forecast_demand(hist, 8, settings=FAST)
    assert_forecast_frame(fc, "W", 8)
    z = fc[fc.item_id == "Z"]
    assert (z.forecast == 0).all() and z.model.iloc[0] == "Zero" and z["flags"].iloc[0] == "no_demand"
    assert (fc[fc.item_id == "A"].forecast > 10).all()
    prob = fc.attrs["problems"]
    assert (prob.severity == "warning").all() and prob.row.str.contains("Z").any()


def test_new_item_with_short_history_is_forecast_and_flagged():
    rng = np.random.default_rng(6)
    hist = pd.concat([weekly(rng.poisson(20, 80), "OLD", "2024-06-03"),
                      weekly([30, 32, 28, 31, 29], "NEW", "2025-11-10")])
    fc = forecast_demand(hist, 6, settings=FAST)
    new = fc[fc.item_id == "NEW"]
    assert len(new) == 6 and "new" in new["flags"].iloc[0] and "short_history" in new["flags"].iloc[0]
    assert new.forecast.between(20, 40).all()


# ---------------------------------------------------------------- CLI

def test_cli_on_the_sample_factory(sample_dir, tmp_path, capsys):
    out = tmp_path / "fc"
    assert main(["forecast", str(sample_dir), "--out", str(out), "--as-of", "2026-W48", "--quiet"]) == 0
    fc = pd.read_csv(out / "forecast.csv", parse_dates=["period_start"])
    fc["override"] = fc.override.fillna("")
    assert_forecast_frame(fc, "W", 26)
    acc = pd.read_csv(out / "forecast_accuracy.csv")
    assert {"mase", "rmsse", "wape", "bias", "coverage_80", "fva"} <= set(acc.columns)
    assert acc.item_id.iloc[-1] == "TOTAL"
    ss = pd.read_csv(out / "safety_stock.csv")
    assert {"item_id", "safety_stock", "reorder_point", "service_level", "lead_time_days"} <= set(ss.columns)
    assert set(ss.item_id) == set(fc.item_id) and (ss.safety_stock > 0).all()
    items = pd.read_csv(sample_dir / "items.csv").set_index("item_id")
    assert (ss.set_index("item_id").lead_time_days == items.lead_time_days.reindex(ss.item_id)).all()
    assert "backtest MASE" in capsys.readouterr().out


def test_cli_with_only_demand_history_and_monthly(sample_dir, tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    shutil.copy(sample_dir / "demand_history.csv", src / "demand_history.csv")
    out = tmp_path / "fc"
    assert main(["forecast", str(src), "--out", str(out), "--bucket", "M", "--horizon", "6", "--quiet"]) == 0
    fc = pd.read_csv(out / "forecast.csv", parse_dates=["period_start"])
    fc["override"] = fc.override.fillna("")
    assert_forecast_frame(fc, "M", 6)
    ss = pd.read_csv(out / "safety_stock.csv")
    assert (ss.service_level == 0.95).all() and (ss.lead_time_days == 7).all()  # PlanParams defaults


def test_cli_warns_on_a_bad_row_and_goes_on(sample_dir, tmp_path, capsys):
    src = tmp_path / "src"
    src.mkdir()
    lines = (sample_dir / "demand_history.csv").read_text().splitlines()
    lines[5] = lines[5].split(",")[0] + ",not a date,3"
    (src / "demand_history.csv").write_text("\n".join(lines) + "\n")
    assert main(["forecast", str(src), "--out", str(tmp_path / "o"), "--quiet"]) == 0
    err = capsys.readouterr().err
    assert "warning" in err and "demand_history.csv line 6" in err
    assert (tmp_path / "o" / "forecast.csv").exists()


def test_cli_reads_the_statsforecast_long_format(sample_dir, tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    hist = pd.read_csv(sample_dir / "demand_history.csv")
    hist.rename(columns={"item_id": "unique_id", "date": "ds", "qty": "y"}).to_csv(
        src / "demand_history.csv", index=False)
    out = tmp_path / "fc"
    assert main(["forecast", str(src), "--out", str(out), "--horizon", "4", "--quiet"]) == 0
    fc = pd.read_csv(out / "forecast.csv")
    assert set(fc.item_id) == set(hist.item_id.astype(str))


def test_cli_missing_column_stops_with_the_column_named(tmp_path, capsys):
    src = tmp_path / "src"
    src.mkdir()
    (src / "demand_history.csv").write_text("item,date,qty\nA,2026-01-05,3\n")
    assert main(["forecast", str(src), "--out", str(tmp_path / "o"), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "demand_history.csv header" in err and "item_id" in err and "required column is missing" in err
    assert "warning" not in err  # an error up front, not a warning followed by a failure on every row
    assert "no row can be used" not in err
    assert "Traceback" not in err and not (tmp_path / "o").exists()


def test_cli_bad_input_exits_2(tmp_path, capsys):
    src = tmp_path / "src"
    src.mkdir()
    (src / "demand_history.csv").write_text("item_id,date,qty\nA,2026-01-05,0\nB,2026-01-05,0\n")
    assert main(["forecast", str(src), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "no item has any positive demand" in err and "A" in err
    assert not (tmp_path / "o").exists()


# ---------------------------------------------------------------- selection

def _bt(errors: dict, item="A", origins=3, steps=4, actual=10.0):
    rows = []
    for o in range(origins):
        cut = pd.Timestamp("2026-01-05") + pd.Timedelta(weeks=4 * o)
        for s in range(1, steps + 1):
            for model, e in errors.items():
                f = actual + (e[o] if isinstance(e, list) else e)
                rows.append(dict(item_id=item, cutoff=cut, period_start=cut + pd.Timedelta(weeks=s), step=s,
                                 actual=actual, model=model, forecast=f, **{"q_0.1": f - 1, "q_0.9": f + 1}))
    return pd.DataFrame(rows)


def _cls(*items, cls="smooth"):
    return pd.DataFrame({"item_id": list(items), "demand_class": cls})


def test_selection_picks_the_best_single_model():
    bt = _bt({"AutoETS": 1.0, "AutoTheta": 3.0, "MSTL": -4.0})
    choice, chosen = select_models(bt, _cls("A"), combine=0)
    assert choice.model[0] == "AutoETS" and choice.error[0] == pytest.approx(1.0)
    assert np.allclose(chosen.forecast, 11.0) and (chosen.model == "AutoETS").all()


def test_auto_strategy_decides_out_of_sample():
    # a stable best single model: the per-item choice wins on the last origin
    stable = pd.concat([_bt({"AutoETS": 2.0, "AutoTheta": -2.0, "MSTL": 0.5, "SeasonalNaive": -0.5}, item=i)
                        for i in "ABC"])
    choice, _ = select_models(stable, _cls("A", "B", "C"), combine=3, strategy="auto")
    assert (choice.strategy == "item").all() and (choice.model == "MSTL").all()
    # the best single model of the early origins breaks down at the last one; the mean holds:
    # early origins tie (0.5 each), so the per-item choice keeps AutoETS, which errs by 4 last;
    # the combination errs by 1.5 there, so auto switches to combinations
    shaky = pd.concat([_bt({"AutoETS": [0.5, 0.5, 4.0], "AutoTheta": [-1.5, -1.5, -1.0], "MSTL": 5.0}, item=i)
                       for i in "ABC"])
    choice, chosen = select_models(shaky, _cls("A", "B", "C"), combine=2, strategy="auto")
    assert (choice.strategy == "combo").all()
    assert (choice.model == "Combo(AutoETS,AutoTheta)").all()
    last = chosen[chosen.cutoff == chosen.cutoff.max()]
    assert np.allclose(last.forecast, 10 + 1.5)
    assert np.allclose(last["q_0.9"], 10 + 1.5 + 1)  # quantiles averaged level by level
    choice_c, _ = select_models(stable, _cls("A", "B", "C"), combine=3, strategy="combo")
    assert (choice_c.model == "Combo(AutoETS,MSTL,SeasonalNaive)").all()


def _bt_inter(errors: dict, items, origins=3):
    """Backtest rows of intermittent items: per item and model a constant error per origin."""
    rows = []
    for item in items:
        for o in range(origins):
            cut = pd.Timestamp("2026-01-05") + pd.Timedelta(weeks=4 * o)
            for s in range(1, 5):
                for model, e in errors[item].items():
                    rows.append(dict(item_id=item, cutoff=cut, period_start=cut + pd.Timedelta(weeks=s), step=s,
                                     actual=4.0, model=model, forecast=4.0 + e))
    return pd.DataFrame(rows)


def test_shrinkage_keeps_the_pooled_best_unless_the_own_best_is_clearly_better():
    # IMAPA is best over the group (scaled MSE); item B prefers TSB by 10 %, item C by 75 %
    errs = {"A": {"IMAPA": 1.0, "TSB": 2.0, "ADIDA": 1.5},
            "B": {"IMAPA": 1.0, "TSB": 0.9 ** 0.5, "ADIDA": 1.5},
            "C": {"IMAPA": 1.0, "TSB": 0.5, "ADIDA": 1.5}}
    bt = _bt_inter(errs, "ABC")
    cls = _cls("A", "B", "C", cls="intermittent")
    scales = pd.Series(1.0, index=list("ABC"))
    own, _ = select_models(bt, cls, combine=0)
    assert list(own.model) == ["IMAPA", "TSB", "TSB"]
    shrunk, chosen = select_models(bt, cls, combine=0, shrink={"intermittent": 0.2}, scales=scales)
    assert list(shrunk.model) == ["IMAPA", "IMAPA", "TSB"]
    assert shrunk.error[1] == pytest.approx(1.0)  # the error of the model it got
    assert np.allclose(chosen[chosen.item_id == "B"].forecast, 5.0)
    # smooth items are not shrunk when only the intermittent margin is set
    smooth, _ = select_models(bt, _cls("A", "B", "C"), combine=0, shrink={"intermittent": 0.2}, scales=scales)
    assert list(smooth.model) == ["IMAPA", "TSB", "TSB"]


def test_pooled_best_ranks_items_on_their_root_error_not_on_one_burst():
    # item A had one burst in the backtest: X errs by 10, Y by 8; fifty quiet items prefer X
    # slightly (error 1.0 against 1.05). Pooled squared scaled errors would let A's burst make
    # Y the group's model (X 150/51 = 2.94, Y 119/51 = 2.34) and shrink the quiet items to it;
    # pooled per-item RMSSE ranks X first (X 60/51 = 1.176, Y 60.5/51 = 1.186), so the quiet
    # items keep X, and A keeps its clearly better Y.
    quiet = [f"Q{i:02d}" for i in range(50)]
    errs = {"A": {"X": 10.0, "Y": 8.0}} | {q: {"X": 1.0, "Y": 1.05} for q in quiet}
    bt = _bt_inter(errs, ["A"] + quiet)
    scales = pd.Series(1.0, index=["A"] + quiet)
    choice, _ = select_models(bt, _cls("A", *quiet, cls="intermittent"), combine=0,
                              shrink={"intermittent": 0.2}, scales=scales)
    model = choice.set_index("item_id").model
    assert model["A"] == "Y"
    assert (model[quiet] == "X").all()


def test_an_items_own_combination_must_also_clearly_beat_the_pooled_best():
    # IMAPA is the group's model; TSB errs 5 % less in MSE on B and C. On B the two err the same
    # way, so their mean is only 5 % better than IMAPA: shrunk to IMAPA, B must not slip back to
    # its combination (which beats IMAPA, just not clearly). On C they err in opposite directions
    # and the mean is nearly exact: C gets the combination.
    errs = {"A": {"IMAPA": 1.0, "TSB": 2.0},
            "B": {"IMAPA": 1.0, "TSB": 0.95 ** 0.5},
            "C": {"IMAPA": 1.0, "TSB": -(0.95 ** 0.5)}}
    bt = _bt_inter(errs, "ABC")
    cls = _cls("A", "B", "C", cls="intermittent")
    scales = pd.Series(1.0, index=list("ABC"))
    plain, _ = select_models(bt, cls, combine=2, strategy="item", scales=scales)
    assert list(plain.model) == ["IMAPA", "TSB", "Combo(IMAPA,TSB)"]
    shrunk, chosen = select_models(bt, cls, combine=2, strategy="item", shrink={"intermittent": 0.2},
                                   scales=scales)
    assert list(shrunk.model) == ["IMAPA", "IMAPA", "Combo(IMAPA,TSB)"]
    assert np.allclose(chosen[chosen.item_id == "B"].forecast, 5.0)


def test_auto_strategy_chooses_without_peeking_at_the_holdout_window():
    # origins 2 weeks apart, each scored 4 weeks ahead: the second window overlaps the last one.
    # A is the better model up to the last origin and breaks down after it; the mean of A and B
    # errs less there than A alone. Choosing on what was known at the last origin keeps A, so
    # the out-of-sample score favours combining. Had the choice seen the overlap, it would
    # already have switched to B and judged the per-item choice sound.
    rows = []
    last = pd.Timestamp("2026-01-05") + pd.Timedelta(weeks=4)
    for item in "PQR":
        for o in range(3):
            cut = pd.Timestamp("2026-01-05") + pd.Timedelta(weeks=2 * o)
            for s in range(1, 5):
                when = cut + pd.Timedelta(weeks=s)
                for model, e in (("A", 0.5 if when <= last else 4.0), ("B", 1.0), ("C", -6.0)):
                    rows.append(dict(item_id=item, cutoff=cut, period_start=when, step=s, actual=10.0,
                                     model=model, forecast=10.0 + e))
    choice, _ = select_models(pd.DataFrame(rows), _cls("P", "Q", "R"), combine=2, strategy="auto")
    assert (choice.strategy == "combo").all()
    assert (choice.model == "Combo(A,B)").all()


def test_interval_scales_widen_to_the_backtest_coverage_and_never_narrow():
    # smooth item: forecast 10, errors spread evenly over [-4, 4]; intervals 10 -+ 1 (50 %),
    # 10 -+ 2 (80 %), 10 -+ 3 (95 %). The factor a level needs is the level's quantile of |e| / half-width.
    e = np.linspace(-4, 4, 401)
    rows = pd.DataFrame({"item_id": "S", "actual": 10 + e, "forecast": 10.0,
                         "q_0.25": 9.0, "q_0.75": 11.0, "q_0.1": 8.0, "q_0.9": 12.0,
                         "q_0.025": 7.0, "q_0.975": 13.0})
    sc = interval_scales(rows, _cls("S"), (50, 80, 95))
    assert sc[50] == pytest.approx(0.50 * 4 / 1, abs=0.02)
    assert sc[80] == pytest.approx(0.80 * 4 / 2, abs=0.02)
    assert sc[95] == pytest.approx(0.95 * 4 / 3, abs=0.02)
    # intervals that already cover are left alone (factor 1, not narrowed)
    wide = rows.assign(**{"q_0.25": 0.0, "q_0.75": 20.0, "q_0.1": -1.0, "q_0.9": 21.0,
                          "q_0.025": -2.0, "q_0.975": 22.0})
    assert interval_scales(wide, _cls("S"), (50, 80, 95)) == {50: 1.0, 80: 1.0, 95: 1.0}
    # intermittent items are not calibrated this way (their hurdle quantiles are empirical)
    assert interval_scales(rows, _cls("S", cls="intermittent"), (50, 80, 95)) == {50: 1.0, 80: 1.0, 95: 1.0}


def test_calibration_widens_smooth_items_by_the_backtest_factor(monkeypatch):
    import planlib.forecast as pf

    rng = np.random.default_rng(5)
    hist = pd.concat([weekly(100 + rng.normal(0, 15, 104).round(), f"I{i}") for i in range(4)]
                     + [weekly([0, 0, 6, 0, 0, 0, 9, 0] * 13, "SPARE")])
    s = ForecastSettings(n_jobs=1, smooth_models=("SeasonalNaive", "AutoETS"), combine=0,
                         calibrate_intervals=False)
    base = build_forecast(hist, 8, settings=s).forecast
    seen = {}

    def factors(chosen, classes, levels):
        seen["smooth"] = sorted(classes[classes.demand_class == "smooth"].item_id)
        return {50: 1.0, 80: 1.0, 95: 2.0}

    monkeypatch.setattr(pf, "interval_scales", factors)
    cal = build_forecast(hist, 8, settings=replace(s, calibrate_intervals=True)).forecast
    assert_forecast_frame(cal, "W", 8)
    assert seen["smooth"] == ["I0", "I1", "I2", "I3"]
    smooth, spare = cal.item_id != "SPARE", cal.item_id == "SPARE"
    assert np.allclose(cal.forecast, base.forecast)
    f = base.forecast[smooth]
    assert np.allclose(cal.hi_95[smooth], f + 2 * (base.hi_95[smooth] - f))
    assert np.allclose(cal.lo_95[smooth], np.maximum(f + 2 * (base.lo_95[smooth] - f), 0))
    assert np.allclose(cal.hi_80, base.hi_80) and np.allclose(cal.lo_50, base.lo_50)
    assert np.allclose(cal.hi_95[spare], base.hi_95[spare])  # hurdle quantiles are left as they are


def test_intermittent_selection_uses_squared_error_not_absolute():
    # actual demand 0,0,0,8 per origin: MAE prefers the zero forecast, MSE the mean (2)
    rows = []
    for o in range(3):
        cut = pd.Timestamp("2026-01-05") + pd.Timedelta(weeks=4 * o)
        for s, a in enumerate([0, 0, 0, 8.0], start=1):
            for model, f in (("ADIDA", 0.0), ("CrostonSBA", 2.0)):
                rows.append(dict(item_id="P", cutoff=cut, period_start=cut + pd.Timedelta(weeks=s), step=s,
                                 actual=a, model=model, forecast=f))
    bt = pd.DataFrame(rows)
    choice, _ = select_models(bt, _cls("P", cls="intermittent"), combine=0)
    assert choice.model[0] == "CrostonSBA" and choice.metric[0] == "mse"
    choice_s, _ = select_models(bt, _cls("P", cls="smooth"), combine=0)
    assert choice_s.model[0] == "ADIDA"  # what MAE would have chosen


# ---------------------------------------------------------------- screening of candidates

def _trending(n_items=30, weeks=80, seed=5):
    rng = np.random.default_rng(seed)
    t = np.arange(weeks)
    return pd.concat([weekly(rng.poisson(rng.uniform(20, 60) + rng.uniform(0.3, 1.0) * t), item=f"T{i:02d}")
                      for i in range(n_items)], ignore_index=True)


def test_screening_drops_a_candidate_that_does_not_earn_its_place():
    # trending items: on the sample, choosing among Theta and the seasonal naive alone is better out
    # of sample than with the naive forecast too (1.12 -> 0.98 MASE); Theta carries the trend
    hist = _trending()
    base = ForecastSettings(n_jobs=1, smooth_models=("AutoTheta", "Naive", "SeasonalNaive"))
    off = build_forecast(hist, 8, "W", settings=replace(base, screen_min_items=0))
    on = build_forecast(hist, 8, "W", settings=replace(base, screen_min_items=20, screen_sample=12))
    assert off.screening is None or off.screening.empty
    assert off.forecast.model.str.contains(r"(?:^|[(,])Naive(?:[,)]|$)").any()  # chosen without the screening
    rep = on.screening.set_index("model")
    assert set(rep.demand_class) == {"smooth"} and (rep.n_sample == 12).all() and (rep.n_items == 30).all()
    assert not rep.loc["AutoTheta", "dropped"]  # tried first (dearest): choosing without it is worse
    assert rep.loc["AutoTheta", "error_without"] > rep.loc["AutoTheta", "error_with"]
    assert rep.loc["Naive", "dropped"]
    assert rep.loc["Naive", "error_without"] <= rep.loc["Naive", "error_with"]
    # every item, sampled or not, chooses among the survivors; the benchmark stays in the backtest
    assert not on.forecast.model.str.contains(r"(?:^|[(,])Naive(?:[,)]|$)").any()
    assert (on.backtest.benchmark.notna()).all()
    assert_forecast_frame(on.forecast, "W", 8)


def test_screening_sample_is_the_same_whatever_the_order():
    items = [f"I{i:04d}" for i in range(500)]
    a = screening_sample(items, 50)
    b = screening_sample(list(reversed(items)), 50)
    assert len(a) == 50 and list(a) == list(b)
    assert list(screening_sample(items[:10], 50)) == items[:10]
