"""Shared fixtures: the sample factory, loaded once per test session."""
from __future__ import annotations

import fcntl
import json
from pathlib import Path

import pytest

from planlib.data import load

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "sample"


@pytest.fixture(scope="session")
def sample_dir() -> Path:
    return SAMPLE


@pytest.fixture(scope="session")
def sample_files():
    """The sample factory as its files give it: the snapshot of Monday 2026-11-16 and the execution
    records of 2026-W47 (do not mutate its tables)."""
    return load(SAMPLE)


@pytest.fixture(scope="session")
def sample(sample_files):
    """The sample at its plan start (Monday 2026-11-23, 2026-W48), as every plan reads it: the
    snapshot with the week's execution records applied (do not mutate its tables)."""
    from planlib.validate import planning_dataset

    return planning_dataset(sample_files, "2026-11-23")


@pytest.fixture(scope="session")
def sample_state(sample):
    """The sample at its plan start (the same as ``sample``; named where a test checks state)."""
    return sample


@pytest.fixture(scope="session")
def weekly_reports(tmp_path_factory) -> Path:
    """A reports folder as planners receive it: weekly runs of 2026-W48 and 2026-W49 of the sample and the
    lathe_breakdown scenario of 2026-W48 (``<out>/index.html``, ``<out>/2026-W48/base/...``).

    Built once per test session and shared by the pytest-xdist workers (a lock file guards the build);
    read it, do not change it.
    """
    import os

    from planlib.pipeline import run_week

    base = tmp_path_factory.getbasetemp()
    # this session's folder: under xdist each worker's basetemp sits in the session's own folder
    shared = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    out = shared / "weekly_reports"
    done = shared / "weekly_reports.done"
    with open(shared / "weekly_reports.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not done.exists():
            for week, scenario in (("2026-W48", None), ("2026-W49", None),
                                   ("2026-W48", str(ROOT / "data" / "scenarios" / "lathe_breakdown.yaml"))):
                run_week(str(SAMPLE), week, scenario=scenario, out=out, time_limit_s=5.0)
            done.write_text(json.dumps({"out": str(out)}))
    return out
