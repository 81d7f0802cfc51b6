"""The forecast on a Dask cluster gives the local run's numbers (planlib.cluster, --dask)."""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from planlib.cli import main
from planlib.cluster import ClusterError, open_cluster, parse_cluster
from planlib.forecast import ForecastSettings, build_forecast

pytest.importorskip("distributed")


def _history(n_items: int = 24, weeks: int = 80, seed: int = 3) -> pd.DataFrame:
    """Smooth seasonal and intermittent weekly items (both model groups, combinations included)."""
    rng = np.random.default_rng(seed)
    t = np.arange(weeks)
    rows = []
    for i in range(n_items):
        if i % 3:
            level = rng.uniform(20, 200)
            qty = rng.poisson(level * (1 + 0.3 * np.sin(2 * np.pi * t / 52 + i)) * (1 + 0.002 * t))
        else:
            qty = (rng.random(weeks) < 0.25) * rng.integers(1, 20, weeks)
        qty[0] = max(qty[0], 1)
        rows.append(pd.DataFrame({"item_id": f"I{i:03d}", "qty": qty.astype(float),
                                  "date": pd.Timestamp("2024-01-01") + pd.to_timedelta(7 * t, unit="D")}))
    return pd.concat(rows, ignore_index=True)


def test_forecast_on_a_local_dask_cluster_equals_the_local_run(monkeypatch):
    import planlib.cluster
    import planlib.forecast

    # every statsforecast call to the cluster, even those cheap enough to stay here in a real run
    monkeypatch.setattr(planlib.forecast, "CHEAP_CALL_MS", 0.0)
    calls = []
    real = planlib.cluster.distributed_run
    monkeypatch.setattr(planlib.cluster, "distributed_run", lambda *a, **k: calls.append(a[1]) or real(*a, **k))
    hist = _history()
    settings = ForecastSettings(n_jobs=1, chunk_size=10)  # several chunks: several distributed jobs
    local = build_forecast(hist, 13, "W", settings=settings)
    assert not calls
    with open_cluster("local:2") as address:
        assert address.startswith("tcp://")
        dist = build_forecast(hist, 13, "W", settings=replace(settings, dask=address))
    assert {"cv", "fc"} <= set(calls)  # the backtest and the final fit went to the cluster
    # the run used refit=False models (carried forward over the origins) and combinations
    assert local.forecast.model.str.startswith("Combo(").any()
    assert set(local.classes.demand_class) >= {"smooth", "intermittent"}
    for name in ("forecast", "backtest", "accuracy", "classes"):
        pd.testing.assert_frame_equal(getattr(local, name), getattr(dist, name), check_exact=True)


@pytest.mark.parametrize("text", ["local:0", "local", "host:8786", "local:two", ""])
def test_a_bad_cluster_text_is_refused(text):
    if not text:
        with open_cluster(text) as address:
            assert address == ""
        return
    with pytest.raises(ClusterError) as err:
        parse_cluster(text)
    assert err.value.problems.column.iloc[0] == "--dask"


def test_unreachable_scheduler_exits_2_without_traceback(sample_dir, tmp_path, capsys):
    code = main(["forecast", str(sample_dir), "--out", str(tmp_path / "fc"), "--quiet",
                 "--dask", "tcp://127.0.0.1:9"])
    err = capsys.readouterr().err
    assert code == 2
    assert "no Dask scheduler answers" in err and "Traceback" not in err
    assert not (tmp_path / "fc").exists()


def _result(name, base, value):
    kpis = pd.DataFrame({"kpi": ["late_orders", "on_time_pct"], "label": ["late orders", "on time"],
                         "base": base, "scenario": value, "unit": ["count", "%"]})
    load = pd.DataFrame({"work_center_id": ["WC1"], "load_change_hours": [float(value[0])]})
    empty = pd.DataFrame(columns=["item_id", "change"])
    return {"name": name, "tables": {"kpis": kpis, "order_status": empty, "load": load, "item_orders": empty},
            "html": ""}


def test_scenario_batch_tables_side_by_side():
    from planlib.scenario.batch import scenario_batch_tables

    t = scenario_batch_tables([_result("a", [1, 90.0], [3, 80.0]), _result("b", [1, 90.0], [0, 99.0])])
    assert list(t["kpis"].columns) == ["kpi", "label", "unit", "base", "a", "b"]
    assert t["kpis"].set_index("kpi").loc["late_orders", ["base", "a", "b"]].tolist() == [1, 3, 0]
    assert t["load"].scenario.tolist() == ["a", "b"] and t["load"].load_change_hours.tolist() == [3.0, 0.0]
    assert t["order_status"].empty and list(t["order_status"].columns) == ["scenario", "item_id", "change"]


def test_two_scenario_files_with_one_run_name_exit_2(sample_dir, tmp_path, capsys):
    scen = Path(__file__).resolve().parents[1] / "data" / "scenarios" / "lathe_breakdown.yaml"
    (tmp_path / "other").mkdir()
    twin = tmp_path / "other" / "lathe_breakdown.yaml"
    twin.write_text(scen.read_text())
    code = main(["run", str(sample_dir), "--week", "2026-W48", "--out", str(tmp_path / "rep"), "--quiet",
                 "--scenario", str(scen), "--scenario", str(twin)])
    assert code == 2
    assert "same run name" in capsys.readouterr().err
    assert not (tmp_path / "rep" / "2026-W48" / "_scenarios").exists()


@pytest.mark.slow
def test_scenario_batch_on_a_local_cluster_equals_the_local_batch(sample_dir, tmp_path):
    from planlib.data import read_table
    from planlib.scenario.batch import run_scenarios

    scen = Path(__file__).resolve().parents[1] / "data" / "scenarios"
    files = [str(scen / "lathe_breakdown.yaml"), str(scen / "peak_demand.yaml")]
    local = run_scenarios(str(sample_dir), "2026-W48", files, tmp_path / "local", time_limit_s=2)
    with open_cluster("local:2") as address:
        dist = run_scenarios(str(sample_dir), "2026-W48", files, tmp_path / "dask", time_limit_s=2, dask=address)
    for name in ("kpis", "order_status", "load", "item_orders"):
        pd.testing.assert_frame_equal(read_table(local / f"{name}.csv"), read_table(dist / f"{name}.csv"))
    kpis = read_table(local / "kpis.csv").set_index("kpi")
    assert list(kpis.columns[-3:]) == ["base", "lathe_breakdown", "peak_demand"]
    # more demand loads the plant more; the comparison page names both scenarios
    assert kpis.loc["capacity_utilisation_pct", "peak_demand"] > kpis.loc["capacity_utilisation_pct", "base"]
    page = (local / "comparison.html").read_text()
    assert "lathe_breakdown" in page and "peak_demand" in page
