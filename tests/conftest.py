"""Shared fixtures: the sample factory, loaded once per test session."""
from __future__ import annotations

from pathlib import Path

import pytest

from planlib.data import load

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "sample"


@pytest.fixture(scope="session")
def sample_dir() -> Path:
    return SAMPLE


@pytest.fixture(scope="session")
def sample():
    """The sample factory as a Dataset (do not mutate its tables)."""
    return load(SAMPLE)
