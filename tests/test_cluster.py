"""The forecast on a Dask cluster gives the local run's numbers (planlib.cluster, --dask)."""
from __future__ import annotations

from dataclasses import replace

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


def test_forecast_on_a_local_dask_cluster_equals_the_local_run():
    hist = _history()
    settings = ForecastSettings(n_jobs=1, chunk_size=10)  # several chunks: several distributed jobs
    local = build_forecast(hist, 13, "W", settings=settings)
    with open_cluster("local:2") as address:
        assert address.startswith("tcp://")
        dist = build_forecast(hist, 13, "W", settings=replace(settings, dask=address))
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
